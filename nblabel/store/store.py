"""The annotation store: an append-only event log over SQLAlchemy Core.

SQLite (a file, the default ``./nblabel.db``) is the embedded backend; PostgreSQL
(``postgresql://...``) is the team backend. Both run the same code.

:class:`Store` is assembled here from its parts, one module each: the task registry
(:mod:`.tasks`), writing the event log (:mod:`.writes`), reading it (:mod:`.reads`), the session
and guidelines tables (:mod:`.session_tables`) and the watch on a SQLite store's file
(:mod:`.file_watch`); the URL and engine are :mod:`.engine`'s, rows in and frames out are
:mod:`.encode`'s and :mod:`.decode`'s.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from ..core import registry
from ..core.redact import mask_passwords
from . import migrate, roles, schema
from .encode import event_row  # noqa: F401  (offered here since it was written here)
from .engine import SQLITE_BUSY_TIMEOUT_MS, insert_ignore, make_engine  # noqa: F401
from .engine import parse_url as _parse_url
from .errors import StoreAccessError, StoreError, StoreUnavailable
from .file_watch import FileWatch
from .imports import FileImports
from .reads import EventReads
from .schema import EVENT_COLUMNS
from .session_data import SessionData, SessionSetup
from .session_tables import SessionTables
from .sqlite_file import DEFAULT_FILENAME, READ_ONLY, SQLITE_HEADER, check_path  # noqa: F401

if TYPE_CHECKING:
    import pandas as pd
from .tasks import TaskInfo, TaskRegistry
from .writes import EventWrites

__all__ = [
    "EVENT_COLUMNS", "SessionSetup", "Store", "StoreAccessError", "StoreError", "StoreUnavailable",
    "TaskInfo", "default_store", "open_store",
]  # fmt: skip


class Store(TaskRegistry, EventWrites, FileImports, EventReads, SessionTables, SessionData, FileWatch):
    """An annotation store.

    ``url`` is a SQLAlchemy URL (``"sqlite:///pilot.db"``, ``"postgresql://user@host/db"``) or a
    file path for SQLite; ``None`` means ``./nblabel.db``. PostgreSQL credentials may come from
    the URL or the standard ``PG*`` environment variables; they are never shown.

    - tasks: :meth:`register_task`, :meth:`task`, :meth:`tasks`
    - writing: :meth:`append`, :meth:`write` (one durable transaction each, idempotent on
      ``(client_id, client_seq)``), :meth:`append_many`, :meth:`import_annotations`,
      :meth:`import_file` (another tool's file: Label Studio, Prodigy, doccano)
    - reading: :meth:`annotations`, :meth:`events`, :meth:`current`, :meth:`items`,
      :meth:`revision`, :meth:`last_event_id`
    - sessions and guidelines: :meth:`register_session`, :meth:`session_config`,
      :meth:`session_revealed`, :meth:`set_session_revealed`, :meth:`session_log`,
      :meth:`change_session_log`, :meth:`add_guidelines`, :meth:`guidelines`; what reopens a
      session (:meth:`save_session_setup`, :meth:`session_setup`, :meth:`has_session_setup`)
    - the SQLite file: :meth:`check_file`, :meth:`reopen`, :meth:`reset`
    - :meth:`export`, :attr:`location`, :meth:`close` (also as a context manager); the
      attributes ``url``, ``backend`` and ``engine``
    """

    def __init__(self, url: str | os.PathLike[str] | None = None) -> None:
        self.url: URL = _parse_url(url)
        self.backend = self.url.get_backend_name()
        if self.backend == "sqlite" and self.url.database not in (None, "", ":memory:"):
            check_path(Path(self.url.database))
        self.engine: Engine = make_engine(self.url)
        # Writes run on this view of the engine: on SQLite they open with BEGIN IMMEDIATE (take
        # the write lock up front, queue on the busy timeout); reads stay deferred and never
        # wait for or block a writer.
        self._writer: Engine = self.engine.execution_options(nbl_write=True)
        if self.backend == "postgresql":  # reads autocommit (engine.py); writes are transactions
            self._writer = self._writer.execution_options(isolation_level="READ COMMITTED")
        self._lock = threading.RLock()
        # Built once: a statement executed with a parameter dict hits SQLAlchemy's compiled
        # cache, where ``stmt.values(**row)`` would build and key a new statement per event.
        self._insert_event = insert_ignore(self.backend, schema.events, ["client_id", "client_seq"])
        if self.backend == "postgresql":
            # psycopg reports no rowcount for an INSERT that SQLAlchemy gives a RETURNING: ask for
            # the new ids instead, so a skipped duplicate is visible (SQLite's rowcount is exact).
            self._insert_event = self._insert_event.returning(schema.events.c.id)
        # PostgreSQL keeps one row per (task, item) through the hash of the id (no size limit).
        item_key = schema.ITEMS_KEY_POSTGRESQL if self.backend == "postgresql" else ["task", "item_id"]
        self._insert_item = insert_ignore(self.backend, schema.items, item_key)
        self._ensure_schema()
        self._watch_file()
        roles.watch_refusals(self)  # an annotator login's refused row, said clearly

    # ------------------------------------------------------------------ description
    @property
    def location(self) -> str:
        """Where the data lives, safe to display: a file path or ``backend://host/db``."""
        if self.backend == "sqlite":
            return self.url.database or ":memory:"
        host = self.url.host or self.url.query.get("host") or "localhost"
        if not isinstance(host, str):  # given twice in the query
            host = ",".join(host)
        port = f":{self.url.port}" if self.url.port else ""
        return f"{self.backend}://{host}{port}/{self.url.database or ''}"

    def __repr__(self) -> str:
        return f"Store({self.location!r})"

    def close(self) -> None:
        """Release every pooled connection (open files and sockets). The store stays usable: a
        later operation connects again."""
        self.engine.dispose()
        anchor, self._anchor = self._anchor, None
        if anchor is not None:
            anchor.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ schema
    def _ensure_schema(self) -> None:
        """Create the tables of a new store, or upgrade an older one in place (see
        :mod:`nblabel.migrate`). A store that cannot be opened raises :class:`StoreError`
        naming it and saying why (never SQL text)."""
        try:
            self._create_or_upgrade()
        except sa.exc.DBAPIError as exc:
            self.engine.dispose()
            why = self._driver_message(exc)
            if getattr(exc.orig, "sqlstate", None) == "42501":  # e.g. an annotator's login (store/roles.py)
                why += (
                    "; this login may not create or upgrade nblabel's tables: open the store once with "
                    "its owner's URL (this nblabel adds or upgrades them then)"
                )
            raise StoreAccessError(f"cannot open the store {self.location}: {why}") from None
        except StoreError:
            self.engine.dispose()
            raise

    def _create_or_upgrade(self) -> None:
        # Several processes may open a new file at once: creating tables is retried when a
        # concurrent creator wins the race.
        for attempt in range(5):
            try:
                schema.metadata.create_all(self._writer, checkfirst=True)
                break
            except (OperationalError, IntegrityError, sa.exc.ProgrammingError):
                if attempt == 4:
                    raise
        with self._writer.begin() as conn:
            found = migrate.schema_version(conn)
            if found is None:
                conn.execute(
                    insert_ignore(self.backend, schema.meta, ["key"]).values(
                        key="schema_version", value=str(schema.SCHEMA_VERSION)
                    )
                )
            elif found > schema.SCHEMA_VERSION:
                raise StoreError(
                    f"{self.location} was written by a newer nblabel (schema {found}); upgrade nblabel"
                )
            elif found < schema.SCHEMA_VERSION:
                migrate.upgrade(conn, self.backend)

    def _driver_message(self, exc: BaseException) -> str:
        """The database's own words about a failure: its first line, without SQL text,
        parameters or any password of the URL."""
        orig = getattr(exc, "orig", None) or exc
        lines = str(orig).strip().splitlines()
        return mask_passwords(lines[0] if lines else type(orig).__name__, [self.url.password or ""])

    # ------------------------------------------------------------------ exports
    def export(
        self,
        task: str,
        path: str | os.PathLike[str],
        format: str = "jsonl",
        *,
        values: pd.DataFrame | None = None,
        **options: Any,
    ) -> Path:
        """Write the current labels of ``task`` to ``path`` as ``jsonl``, ``csv`` or ``parquet``;
        span tasks also as ``bio``, ``conll`` or ``spacy`` (``jsonl`` then holds ``{text, spans}``);
        compare tasks as ``dpo`` or ``reward`` (``keep_ties=True`` keeps ties and "both bad");
        box tasks as ``coco`` (a file), ``yolo`` or ``voc`` (a folder: one dataset per annotator,
        label files named after their images). The task's kind (see :mod:`nblabel.kinds`) writes
        them. ``values=`` (item ids and a ``value`` column, such as ``session.final_labels()``)
        writes those values, one per item, instead of each annotator's (items without a value
        are left out). Other tools' formats registered in :mod:`nblabel.exchange`
        (``label-studio``, ``prodigy``, ``doccano``, ...) are written by the format, for a task
        of any kind the format carries; ``options`` go to the format's writer."""
        info = self.task(task)  # KeyError naming the known tasks
        if format in registry.known_formats():
            return registry.file_format(format).write(self, task, Path(path), values=values, **options)
        kind = registry.for_task(info.kind, info.config)
        if values is not None:  # a kind written before values= existed still exports its labels
            options["values"] = values
        return kind.export(self, task, Path(path), format, **options)


def default_store() -> Store:
    """The store used when a widget gets no ``store=``: ``./nblabel.db``."""
    return Store(Path.cwd() / DEFAULT_FILENAME)


def open_store(store: Store | str | os.PathLike[str] | None) -> tuple[Store, bool]:
    """The store a widget, session or dashboard uses, and whether it opened it itself (a URL,
    a path or ``None`` for ``./nblabel.db``) and so releases it on ``close()``. A :class:`Store`
    given by the caller stays the caller's: it is used as is and left open."""
    if isinstance(store, Store):
        return store, False
    return (default_store() if store is None else Store(store)), True
