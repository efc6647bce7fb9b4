"""The annotation store: an append-only event log over SQLAlchemy Core.

SQLite (a file, the default ``./nblabel.db``) is the embedded backend; PostgreSQL
(``postgresql://...``) is the team backend. Both run the same code.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import IntegrityError, OperationalError

from ..core import ids, limits, registry
from ..core.event import Event, dump_json, now_us
from ..core.frames import RecordedTask, current_from_annotations, decode_json_column, record_tasks
from ..core.labelset import preview_labels
from ..core.redact import mask_passwords
from . import migrate, schema

__all__ = [
    "Store", "StoreAccessError", "StoreError", "StoreUnavailable", "TaskInfo", "default_store", "open_store",
]  # fmt: skip

DEFAULT_FILENAME = "nblabel.db"
#: How long a SQLite writer waits for another process's write lock before the write fails (a
#: widget then keeps the event pending and retries it, so a long wait would only freeze the UI).
SQLITE_BUSY_TIMEOUT_MS = 5_000

EVENT_COLUMNS = [
    "id",
    "task",
    "item_id",
    "item_kind",
    "annotator",
    "kind",
    "value",
    "comment",
    "created_us",
    "active_ms",
    "guideline_version",
    "suggestion",
    "client_id",
    "client_seq",
]


class StoreError(RuntimeError):
    """A store operation that cannot succeed as asked (not a transient failure)."""


class StoreUnavailable(StoreError):
    """The store cannot be written now but may be later (its file was deleted or replaced while
    open): a widget keeps its events pending and retries."""

    transient = True


class StoreAccessError(StoreError):
    """The store's file or server cannot be used as it is: not a SQLite database, damaged,
    read-only, a directory, unreachable. The message names the path (or server) and says what is
    wrong. Fixing it outside nblabel makes the store usable again, so a widget keeps its events
    and retries."""

    transient = True


class TaskInfo(dict):
    """A task's registered kind, labels and config (a plain dict with attribute access)."""

    __getattr__ = dict.__getitem__


class Store:
    """An annotation store.

    ``url`` is a SQLAlchemy URL (``"sqlite:///pilot.db"``, ``"postgresql://user@host/db"``) or a
    file path for SQLite; ``None`` means ``./nblabel.db``. PostgreSQL credentials may come from
    the URL or the standard ``PG*`` environment variables; they are never shown.
    """

    def __init__(self, url: str | os.PathLike[str] | None = None) -> None:
        self.url: URL = _parse_url(url)
        self.backend = self.url.get_backend_name()
        if self.backend == "sqlite" and self.url.database not in (None, "", ":memory:"):
            _check_sqlite_path(Path(self.url.database))
        self.engine: Engine = _make_engine(self.url)
        # Writes run on this view of the engine: on SQLite they open with BEGIN IMMEDIATE (take
        # the write lock up front, queue on the busy timeout); reads stay deferred and never
        # wait for or block a writer.
        self._writer: Engine = self.engine.execution_options(nbl_write=True)
        self._lock = threading.RLock()
        # Built once: a statement executed with a parameter dict hits SQLAlchemy's compiled
        # cache, where ``stmt.values(**row)`` would build and key a new statement per event.
        self._insert_event = _insert_ignore(self.backend, schema.events, ["client_id", "client_seq"])
        if self.backend == "postgresql":
            # psycopg reports no rowcount for an INSERT that SQLAlchemy gives a RETURNING: ask for
            # the new ids instead, so a skipped duplicate is visible (SQLite's rowcount is exact).
            self._insert_event = self._insert_event.returning(schema.events.c.id)
        # PostgreSQL keeps one row per (task, item) through the hash of the id (no size limit).
        item_key = schema.ITEMS_KEY_POSTGRESQL if self.backend == "postgresql" else ["task", "item_id"]
        self._insert_item = _insert_ignore(self.backend, schema.items, item_key)
        self._ensure_schema()
        self._watch_file()

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
            raise StoreAccessError(
                f"cannot open the store {self.location}: {self._driver_message(exc)}"
            ) from None
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
                    _insert_ignore(self.backend, schema.meta, ["key"]).values(
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

    # ------------------------------------------------------------------ tasks
    def register_task(
        self,
        name: str,
        kind: str,
        labels: Sequence[Any] = (),
        config: dict[str, Any] | None = None,
        *,
        fixed: tuple[str, ...] = (),
    ) -> TaskInfo:
        """Create the task, or re-open it.

        Re-opening with a different label set is allowed only additively: new labels are
        appended; a label that the task had but the new set lacks is an error, and so is a
        different kind or a different value of a ``config`` key named in ``fixed`` (settings
        that change what a stored value means, such as ``multi``).
        """
        if not isinstance(name, str) or not name:
            raise ValueError(f"task must be a non-empty string, got {name!r}")
        limits.check_key(name, "task")
        labels = list(labels)
        t = schema.tasks
        with self._lock, self._writer.begin() as conn:
            conn.execute(
                _insert_ignore(self.backend, t, ["name"]).values(
                    name=name,
                    kind=kind,
                    labels=limits.json_text(labels),
                    config=limits.json_text(config or {}, default=str),
                    created_us=now_us(),
                )
            )
            row = conn.execute(sa.select(t).where(t.c.name == name)).mappings().one()
            if row["kind"] != kind:
                raise ValueError(
                    f"task {name!r} is a {row['kind']!r} task in {self.location}; "
                    f"it cannot be re-opened as {kind!r}"
                )
            stored_config = json.loads(row["config"])
            for key in fixed:
                if key in stored_config and stored_config[key] != (config or {}).get(key):
                    raise ValueError(
                        f"task {name!r} was created with {key}={stored_config[key]!r}; it cannot be "
                        f"re-opened with {key}={(config or {}).get(key)!r} (use a new task name)"
                    )
            old = json.loads(row["labels"])
            # sets, not list scans: a taxonomy of 100,000 labels is checked in milliseconds
            given = _membership(labels)
            missing = [label for label in old if label not in given]
            if missing:
                raise ValueError(
                    f"task {name!r} already has labels {preview_labels(old)}; the new label set "
                    f"lacks {preview_labels(missing)}. Label sets may only grow: add labels, or use "
                    "a new task name."
                )
            if labels != old:
                known = _membership(old)
                merged = old + [label for label in labels if label not in known]
                conn.execute(t.update().where(t.c.name == name).values(labels=limits.json_text(merged)))
                old = merged
            return TaskInfo(
                name=name,
                kind=row["kind"],
                labels=old,
                config=json.loads(row["config"]),
                created_at=_to_datetime([row["created_us"]])[0],
            )

    def tasks(self) -> pd.DataFrame:
        """One row per task: name, kind, labels, created_at, events, annotators, items."""
        t, e = schema.tasks, schema.events
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(t.c.name, t.c.kind, t.c.labels, t.c.created_us)).all()
            counts = {
                r[0]: r[1:]
                for r in conn.execute(
                    sa.select(
                        e.c.task,
                        sa.func.count(),
                        sa.func.count(sa.distinct(e.c.annotator)),
                        sa.func.count(sa.distinct(e.c.item_id)),
                    ).group_by(e.c.task)
                )
            }
        frame = pd.DataFrame(
            {
                "task": [r[0] for r in rows],
                "kind": [r[1] for r in rows],
                "labels": [json.loads(r[2]) for r in rows],
                "created_at": _to_datetime([r[3] for r in rows]),
                "events": [counts.get(r[0], (0, 0, 0))[0] for r in rows],
                "annotators": [counts.get(r[0], (0, 0, 0))[1] for r in rows],
                "items": [counts.get(r[0], (0, 0, 0))[2] for r in rows],
            }
        )
        return frame.sort_values("task", ignore_index=True)

    def task(self, name: str) -> TaskInfo:
        """The registered task ``name`` (``KeyError`` naming the known tasks if absent)."""
        _check_query(name=name)
        t = schema.tasks
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.name == name)).mappings().first()
            if row is None:
                known = [r[0] for r in conn.execute(sa.select(t.c.name))]
                raise KeyError(f"no task {name!r} in {self.location}; tasks: {known}")
        return TaskInfo(
            name=name,
            kind=row["kind"],
            labels=json.loads(row["labels"]),
            config=json.loads(row["config"]),
            created_at=_to_datetime([row["created_us"]])[0],
        )

    # ------------------------------------------------------------------ writing
    def append(self, event: Event, item: Mapping[str, Any] | None = None) -> bool:
        """Write one event in its own durable transaction.

        ``item`` is what the item showed (``{"text": ...}``), kept in the same transaction the
        first time the item is written for the task (see :meth:`items`).

        Returns ``False`` when an event with the same ``(client_id, client_seq)`` is already
        stored (a retried write), ``True`` otherwise. Transient failures (locked database,
        server down, disk full) raise the driver's exception; the caller retries.
        """
        return self._write(event, item)[1]

    def write(self, event: Event, item: Mapping[str, Any] | None = None) -> int:
        """Like :meth:`append`, but return the event's id in the store (for a retried write,
        the id it was stored under the first time). A SQLite store whose file was deleted or
        replaced since it was opened raises :class:`StoreUnavailable` instead of writing (or
        acknowledging a write) into a file that is no longer at its path."""
        return self._write(event, item)[0]

    def _write(self, event: Event, item: Mapping[str, Any] | None) -> tuple[int, bool]:
        self.check_file()
        with self._lock, self._writer.begin() as conn:
            result = conn.execute(self._insert_event, event_row(event))
            if item is not None:
                conn.execute(self._insert_item, _item_row(event.task, event.item_id, event.item_kind, item))
            if result.returns_rows:
                new_ids = [row[0] for row in result.all()]
            else:
                new_ids = [result.lastrowid] if result.rowcount else []
            if new_ids:
                event_id = int(new_ids[0])
            else:  # already stored by an earlier attempt whose acknowledgement was lost
                e = schema.events
                event_id = conn.execute(
                    sa.select(e.c.id).where(
                        e.c.client_id == event.client_id, e.c.client_seq == event.client_seq
                    )
                ).scalar_one()
        # Committed — but into the file that was opened: if the path names another file now
        # (deleted, moved, replaced), this commit is not where the user will look for it.
        self.check_file()
        return event_id, bool(new_ids)

    # ------------------------------------------------------------------ the file under a store
    _identity: tuple[int, int] | None = None
    _anchor: sqlite3.Connection | None = None

    def _watch_file(self) -> None:
        """Remember which file a SQLite store opened (device and inode), to notice later that
        its path names another file or none.

        An *anchor* connection stays on that file: when the path comes to name another file,
        the anchor checkpoints and empties the write-ahead log that sits beside the path, which
        would otherwise be replayed into whatever file is put there next.
        """
        self._identity = _file_identity(self.url) if self.backend == "sqlite" else None
        if self._identity is not None and self._anchor is None:
            self._anchor = sqlite3.connect(self.url.database or "", check_same_thread=False, timeout=5)

    def check_file(self) -> None:
        """Raise :class:`StoreUnavailable` if the store's SQLite file was deleted, moved or
        replaced since it was opened (no-op for other backends and in-memory stores)."""
        if self._identity is None:
            return
        now = _file_identity(self.url)
        if now == self._identity:
            return
        self._release_file()
        path = self.url.database
        if now is None:
            raise StoreUnavailable(f"the store file {path} was deleted or moved while it was open")
        raise StoreUnavailable(f"the store file {path} was replaced by another file while it was open")

    def _release_file(self) -> None:
        """Let go of a file that is no longer at the store's path (once): every pooled
        connection closes, and the anchor writes the log into that file and empties it."""
        with self._lock:
            anchor, self._anchor = self._anchor, None
            if anchor is None:
                return
            self.engine.dispose()
            with contextlib.suppress(sqlite3.Error):
                anchor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            anchor.close()

    def reset(self) -> None:
        """Drop every pooled connection, so the next operation connects afresh (a connection
        opened while the file was read-only, or to a server that restarted, stays broken)."""
        self.engine.dispose()

    def reopen(self, *, create: bool = False) -> None:
        """Adopt the file now at a SQLite store's path after :meth:`check_file` failed: a file
        moved back or replaced by another store is used from now on (its tables are created if
        missing). A missing file is created only when ``create`` is true; otherwise
        :class:`StoreUnavailable` says it is still missing."""
        if self.backend != "sqlite" or self._identity is None:
            self.reset()
            return
        path = Path(self.url.database or "")
        if not path.exists() and not create:
            raise StoreUnavailable(f"the store file {path} was deleted or moved, and is still missing")
        self._release_file()
        self.reset()
        self._ensure_schema()
        self._watch_file()

    def append_many(self, events: Iterable[Event]) -> int:
        """Write many events in one transaction (bulk import); returns how many were new."""
        rows = [event_row(e) for e in events]
        if not rows:
            return 0
        with self._lock, self._writer.begin() as conn:
            return _inserted(conn.execute(self._insert_event, rows))

    def import_annotations(
        self, frame: pd.DataFrame, task: str, *, kind: str = "label", chunk_size: int = 100_000
    ) -> int:
        """Bulk-import labels from a DataFrame with ``item_id``, ``annotator`` and ``value``.

        Optional columns: ``kind`` (default ``kind=``), ``created_at``, ``active_ms``,
        ``comment``, ``guideline_version``. The task must already exist. Returns the number of
        events written.
        """
        for col in ("item_id", "annotator", "value"):
            if col not in frame.columns:
                raise KeyError(f"column {col!r} is missing; columns: {list(frame.columns)}")
        self.task(task)
        n = len(frame)
        item_col = frame["item_id"]
        if pd.api.types.is_integer_dtype(item_col.dtype):
            keys = item_col.astype("int64").astype(str).tolist()
            kinds = ["int"] * n
        else:
            pairs = [ids.encode(v) for v in item_col]
            keys = [p[0] for p in pairs]
            kinds = [p[1] for p in pairs]
            _check_column(keys, frame.index, "item_id")
        values = _dump_json_column(frame["value"].tolist())
        if "created_at" in frame.columns:
            # as_unit: pandas 3 infers the resolution (s, ms, us, ns) from the input
            created = pd.to_datetime(frame["created_at"], utc=True).dt.as_unit("us")
            created_us = created.astype("int64").tolist()
        else:
            created_us = [now_us()] * n

        def column(name: str, default: Any) -> list[Any]:
            if name in frame.columns:
                return [None if pd.isna(v) else v for v in frame[name].tolist()]
            return [default] * n

        event_kinds = column("kind", kind)
        bad = sorted({k for k in event_kinds if k not in schema.EVENT_KINDS})
        if bad:
            raise ValueError(f"column 'kind' has values {bad}; allowed: {schema.EVENT_KINDS}")
        active = [None if v is None else int(v) for v in column("active_ms", None)]
        comments = column("comment", None)
        versions = column("guideline_version", None)
        annotators = [str(a) for a in frame["annotator"].tolist()]
        for name in set(annotators):
            limits.check_key(name, "annotator")
        for col, texts in (("comment", comments), ("guideline_version", versions)):
            _check_column(texts, frame.index, col)
        names = [
            "task", "item_id", "item_kind", "annotator", "kind", "value", "comment",
            "created_us", "active_ms", "guideline_version",
        ]  # fmt: skip
        sql = (
            f"INSERT INTO {schema.events.name} ({', '.join(names)}) VALUES "
            f"({', '.join(['%s' if self.backend == 'postgresql' else '?'] * len(names))})"
        )
        written = 0
        with self._lock, self._writer.begin() as conn:
            raw = conn.connection.driver_connection
            cur = raw.cursor()
            for start in range(0, n, chunk_size):
                stop = min(n, start + chunk_size)
                batch = list(
                    zip(
                        [task] * (stop - start),
                        keys[start:stop],
                        kinds[start:stop],
                        annotators[start:stop],
                        event_kinds[start:stop],
                        values[start:stop],
                        comments[start:stop],
                        created_us[start:stop],
                        active[start:stop],
                        versions[start:stop],
                        strict=True,
                    )
                )
                cur.executemany(sql, batch)
                written += len(batch)
            cur.close()
        return written

    # ------------------------------------------------------------------ reading
    def events(
        self,
        task: str | None = None,
        *,
        annotator: str | None = None,
        after_id: int = 0,
        columns: Sequence[str] = EVENT_COLUMNS,
    ) -> list[tuple]:
        """Raw event rows in log order, as tuples of ``columns`` (table column names, default
        ``EVENT_COLUMNS``)."""
        _check_query(task=task, annotator=annotator)
        e = schema.events
        query = sa.select(*[e.c[name] for name in columns]).order_by(e.c.id)
        if task is not None:
            query = query.where(e.c.task == task)
        if annotator is not None:
            query = query.where(e.c.annotator == annotator)
        if after_id:
            query = query.where(e.c.id > after_id)
        with self.engine.connect() as conn:
            # The raw driver cursor skips per-row Row objects: ~3x faster for a million events.
            compiled = query.compile(dialect=conn.dialect)
            params: Any = compiled.params
            if compiled.positional:
                params = tuple(params[name] for name in compiled.positiontup or ())
            return conn.exec_driver_sql(str(compiled), params).fetchall()

    def annotations(
        self,
        task: str | None = None,
        *,
        annotator: str | None = None,
        after_id: int = 0,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Every event as a long DataFrame (one row per event, in log order).

        Columns: ``id, task, item_id, annotator, kind, value, comment, created_at, active_ms,
        guideline_version, suggestion, client_id, client_seq, item_kind``. ``item_id`` has the
        original index dtype; ``value`` and ``suggestion`` are decoded JSON. ``after_id`` keeps
        only events with a higher ``id`` (to read what is new since a previous read);
        ``columns`` reads only those columns (and ``id``), which is faster on large logs.
        """
        names = _table_columns(columns)
        _check_query(task=task, annotator=annotator)
        frame = None
        if self.backend == "sqlite":
            data = self._sqlite_columns(task, annotator, after_id, names)
            if data is not None:
                frame = _frame_from_columns(data, names)
        if frame is None:
            frame = _frame(self.events(task, annotator=annotator, after_id=after_id, columns=names), names)
        return record_tasks(frame, self._recorded_tasks(task))

    def _recorded_tasks(self, task: str | None) -> dict[str, RecordedTask]:
        """The kind, labels and config of ``task`` (of every task without one), which a frame
        read from the store carries: reports then never guess a task's kind."""
        t = schema.tasks
        query = sa.select(t.c.name, t.c.kind, t.c.labels, t.c.config)
        if task is not None:
            query = query.where(t.c.name == task)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return {
            name: RecordedTask(name, kind, tuple(json.loads(labels)), json.loads(config))
            for name, kind, labels, config in rows
        }

    def _sqlite_columns(
        self, task: str | None, annotator: str | None, after_id: int = 0, names: Sequence[str] = EVENT_COLUMNS
    ) -> dict[str, list[Any]] | None:
        """Every event column as one list, read column-wise: SQLite aggregates each column into
        one JSON array, so a million events cost 14 strings instead of 14 million row cells.

        Returns ``None`` when SQLite cannot build the arrays (a column over its string limit);
        the caller then reads row by row.
        """
        where, params = [], []
        if task is not None:
            where.append("task = ?")
            params.append(task)
        if annotator is not None:
            where.append("annotator = ?")
            params.append(annotator)
        if after_id:
            where.append("id > ?")
            params.append(int(after_id))
        # Integer ids leave SQLite as JSON numbers, so they need no parsing from text in Python.
        select = ", ".join(
            "json_group_array(CASE WHEN item_kind = 'int' THEN json(item_id) ELSE item_id END)"
            if name == "item_id"
            else f"json_group_array({name})"
            for name in names
        )
        sql = f"SELECT {select} FROM {schema.events.name}"
        if annotator is None:
            # A rowid scan reads in log order; the task index would read in item order and
            # the rows would need sorting afterwards (slower even when other tasks are skipped).
            # (NOT INDEXED still lets ``id > ?`` seek by rowid.)
            sql += " NOT INDEXED"
        if where:
            sql += " WHERE " + " AND ".join(where)
        try:
            with self.engine.connect() as conn:
                row = conn.exec_driver_sql(sql, tuple(params)).one()
        except sa.exc.DBAPIError:
            return None
        data: dict[str, Any] = {name: json.loads(text) for name, text in zip(names, row, strict=True)}
        ids = data["id"] = np.asarray(data["id"], dtype=np.int64)
        if len(ids) > 1 and not bool((ids[1:] > ids[:-1]).all()):
            data["_order"] = np.argsort(ids, kind="stable")  # an index scan: back to log order
        return data

    def revision(self, task: str | None = None, *, annotator: str | None = None) -> tuple[int, int]:
        """``(number of events, highest event id)`` of ``task`` (of the store without one; of
        one ``annotator`` if given): it changes whenever any process writes an event, so a
        poller compares it to know when to read again. (The count is needed: on PostgreSQL a
        transaction that took a lower id may commit after a higher one.)"""
        _check_query(task=task, annotator=annotator)
        e = schema.events
        query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.max(e.c.id), 0))
        if task is not None:
            query = query.where(e.c.task == task)
        if annotator is not None:
            query = query.where(e.c.annotator == annotator)
        with self.engine.connect() as conn:
            count, top = conn.execute(query).one()
        return int(count), int(top)

    def last_event_id(self) -> int:
        """The highest event id in the store, any task (0 when empty); a primary-key lookup, so
        a poller can call it often. On SQLite, writes are serialised, so it grows with every
        committed event; on PostgreSQL an event may commit under a lower id later (use
        :meth:`revision` there)."""
        with self.engine.connect() as conn:
            return int(
                conn.execute(sa.select(sa.func.coalesce(sa.func.max(schema.events.c.id), 0))).scalar_one()
            )

    def items(self, task: str) -> pd.DataFrame:
        """What each labeled item of ``task`` showed the annotator, indexed by item id (original
        dtype): one column per field the widget stored (``text``, ``image`` for Classify).
        Items labeled only through :meth:`import_annotations` have no row."""
        _check_query(task=task)
        t = schema.items
        query = (
            sa.select(t.c.item_id, t.c.item_kind, t.c.content)
            .where(t.c.task == task)
            .order_by(t.c.created_us)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        index = pd.Index(_decode_ids([r[0] for r in rows], [r[1] for r in rows]), name="item_id")
        if not rows:  # e.g. a task with flags but no labels yet (pandas 2 refuses no records)
            return pd.DataFrame(index=index)
        records = [json.loads(r[2]) for r in rows]
        try:
            frame = pd.DataFrame(records)
        except UnicodeEncodeError:  # text with a lone surrogate, which Arrow strings cannot hold
            frame = pd.DataFrame(records, dtype=object)
        frame.index = index
        return frame

    def current(self, task: str, *, annotator: str | None = None) -> pd.DataFrame:
        """The current state: one row per (item_id, annotator) whose latest non-retracted
        label or skip event stands, with ``kind`` telling which."""
        frame = self.annotations(task, annotator=annotator)
        return current_from_annotations(frame)

    # ------------------------------------------------------------------ sessions
    def register_session(self, task: str, config: dict[str, Any]) -> dict[str, Any]:
        """Record a session's plan, or return the one already recorded for ``task`` (the first
        process to create a session fixes it; the caller compares)."""
        limits.check_key(task, "task")
        t = schema.sessions
        with self._lock, self._writer.begin() as conn:
            conn.execute(
                _insert_ignore(self.backend, t, ["task"]).values(
                    task=task,
                    config=limits.json_text(config),
                    revealed=0,
                    created_us=now_us(),
                )
            )
            row = conn.execute(sa.select(t.c.config).where(t.c.task == task)).one()
        return json.loads(row[0])

    def session_config(self, task: str) -> dict[str, Any] | None:
        """The plan of the session on ``task`` (``None``: ``task`` is not a session)."""
        _check_query(task=task)
        t = schema.sessions
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.config).where(t.c.task == task)).first()
        return None if row is None else json.loads(row[0])

    def session_revealed(self, task: str) -> bool:
        """Whether the owner of the session on ``task`` revealed the labels to the annotators."""
        t = schema.sessions
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.revealed).where(t.c.task == task)).first()
        return bool(row and row[0])

    def set_session_revealed(self, task: str, revealed: bool) -> None:
        """Reveal (or hide again) the annotators' labels to each other."""
        t = schema.sessions
        with self._lock, self._writer.begin() as conn:
            conn.execute(t.update().where(t.c.task == task).values(revealed=int(bool(revealed))))

    def add_guidelines(self, task: str, version: str, markdown: str, note: str = "") -> bool:
        """Record a guidelines version of ``task``; ``False`` when it was already recorded."""
        limits.check_key(task, "task")
        limits.check_key(version, "guidelines version")
        limits.check_text(markdown, "guidelines")
        limits.check_text(note, "guidelines note")
        t = schema.guidelines
        with self._lock, self._writer.begin() as conn:
            result = conn.execute(
                _insert_ignore(self.backend, t, ["task", "version"]).values(
                    task=task, version=version, markdown=markdown, note=note, created_us=now_us()
                )
            )
        return _inserted(result) > 0

    def guidelines(self, task: str) -> pd.DataFrame:
        """Every guidelines version of ``task``, oldest first: number (1, 2, …), version, markdown,
        note, created_at."""
        _check_query(task=task)
        t = schema.guidelines
        query = (
            sa.select(t.c.version, t.c.markdown, t.c.note, t.c.created_us)
            .where(t.c.task == task)
            .order_by(t.c.created_us, t.c.version)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return pd.DataFrame(
            {
                "number": list(range(1, len(rows) + 1)),
                "version": [r[0] for r in rows],
                "markdown": [r[1] for r in rows],
                "note": [r[2] for r in rows],
                "created_at": _to_datetime([r[3] for r in rows]),
            }
        )

    def export(self, task: str, path: str | os.PathLike[str], format: str = "jsonl", **options: Any) -> Path:
        """Write the current labels of ``task`` to ``path`` as ``jsonl``, ``csv`` or ``parquet``;
        span tasks also as ``bio``, ``conll`` or ``spacy`` (``jsonl`` then holds ``{text, spans}``);
        compare tasks as ``dpo`` or ``reward`` (``keep_ties=True`` keeps ties and "both bad");
        box tasks as ``coco`` (a file), ``yolo`` or ``voc`` (a folder). The task's kind (see
        :mod:`nblabel.kinds`) writes them."""
        info = self.task(task)  # KeyError naming the known tasks
        return registry.for_task(info.kind, info.config).export(self, task, Path(path), format, **options)


def _membership(values: list[Any]) -> Any:
    """``values`` as a set for ``in`` tests (a list when some value is unhashable)."""
    try:
        return set(values)
    except TypeError:
        return values


# ---------------------------------------------------------------------- helpers
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


def event_row(event: Event) -> dict[str, Any]:
    """The ``nbl_events`` row of ``event``, checked for what the store can hold (the same on
    both backends): ``ValueError`` names a text field holding NUL or a lone surrogate, or a
    name over :data:`nblabel.limits.MAX_NAME_BYTES`; JSON fields are always storable."""
    row = event.row()
    for field in ("task", "annotator"):
        limits.check_key(row[field], field)
    limits.check_text(row["item_id"], "item id")
    for field in ("comment", "guideline_version", "client_id"):
        if row[field] is not None:
            limits.check_text(row[field], field.replace("_", " "))
    if row["client_id"] is not None:
        limits.check_key(row["client_id"], "client id")
    for field in ("value", "suggestion"):
        if row[field] is not None:
            row[field] = limits.storable_json(row[field])
    return row


def _check_query(**names: str | None) -> None:
    """A task or annotator name asked for that no store can hold is refused alike on both
    backends (PostgreSQL would reject the query, SQLite would find nothing)."""
    for what, value in names.items():
        if isinstance(value, str) and limits.text_problem(value) is not None:
            limits.check_text(value, what)


def _check_column(values: Sequence[Any], index: pd.Index, column: str) -> None:
    """``ValueError`` naming the row of the first text in ``values`` the store cannot keep."""
    texts = [(pos, v) for pos, v in enumerate(values) if isinstance(v, str)]
    bad = limits.first_unstorable([v for _, v in texts])
    if bad is not None:
        pos, value = texts[bad]
        limits.check_text(value, f"column {column!r} at row {index[pos]!r}:")


def _parse_url(url: str | os.PathLike[str] | None) -> URL:
    if url is None:
        return make_url(f"sqlite:///{Path.cwd() / DEFAULT_FILENAME}")
    if isinstance(url, URL):
        return url
    text = os.fspath(url)
    if "://" not in text:
        return make_url(f"sqlite:///{Path(text).expanduser().resolve()}")
    try:
        parsed = make_url(text)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise StoreError(f"{mask_passwords(text)} is not a store URL or file path ({exc})") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        parsed = parsed.set(database=str(Path(parsed.database).expanduser().resolve()))
    return parsed


def _file_identity(url: URL) -> tuple[int, int] | None:
    """``(device, inode)`` of a SQLite store's file, ``None`` if the path names no file."""
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    try:
        st = os.stat(database)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _make_engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    if backend == "sqlite":
        if url.database and url.database != ":memory:":
            folder = Path(url.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
                why = f"{blocker} is a file, not a folder" if blocker else (exc.strerror or str(exc))
                raise StoreAccessError(
                    f"cannot create the folder {folder} for the store {url.database}: {why}"
                ) from None
        engine = sa.create_engine(
            url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        if url.database and url.database != ":memory:":
            sa.event.listen(engine, "handle_error", _sqlite_file_errors(Path(url.database)))

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy's "begin" event issue BEGIN IMMEDIATE: writers then queue on the
            # busy timeout instead of failing on a lock upgrade.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = FULL")
            cur.close()

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            write = conn.get_execution_options().get("nbl_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine
    if backend == "postgresql":
        return sa.create_engine(url, pool_pre_ping=True)
    return sa.create_engine(url)


#: The first bytes of every SQLite database file.
SQLITE_HEADER = b"SQLite format 3\x00"
#: What a file that is not a SQLite database looks like, by its first bytes.
_LOOKALIKES = (
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (an .xlsx, .docx or .zip file)"),
    (b"PAR1", "a Parquet file"),
    (b"\x1f\x8b", "a gzip file"),
)
READ_ONLY = "nblabel needs write access to the file and its folder"


def _sqlite_path_problem(path: Path, *, read_header: bool = False) -> str | None:
    """What makes ``path`` unusable as a SQLite store, said for a person, or ``None``.

    The file's first bytes are read only when ``read_header`` (after SQLite itself said the
    file is not a database): closing any descriptor of a file drops every POSIX lock this
    process holds on it, including the locks of SQLite connections already open there.
    """
    if path.is_dir():
        return f"is a directory, not a SQLite file: give a file path (such as {path / DEFAULT_FILENAME})"
    folder = path.parent
    if not path.exists():
        if folder.is_dir() and not _can(folder, os.W_OK | os.X_OK):
            return f"cannot be created: its folder {folder} is read-only ({READ_ONLY})"
        return None
    if not _can(path, os.R_OK):
        return "cannot be read (permission denied)"
    head = b""
    if read_header:
        try:
            with open(path, "rb") as f:
                head = f.read(len(SQLITE_HEADER))
        except OSError as exc:
            return f"cannot be read ({exc.strerror or exc})"
    if head and not SQLITE_HEADER.startswith(head) and not head.startswith(SQLITE_HEADER):
        looks = next((what for magic, what in _LOOKALIKES if head.startswith(magic)), None)
        if looks is None and b"\x00" not in head:
            try:
                head.decode("utf-8")
                looks = "a text file"
            except UnicodeDecodeError:
                pass
        return "is not a SQLite database" + (f" (it looks like {looks})" if looks else "")
    if not _can(path, os.W_OK):
        return f"is read-only: {READ_ONLY}"
    if not _can(folder, os.W_OK | os.X_OK):
        # WAL mode keeps -wal and -shm files beside the database; they must exist and be
        # writable, or the folder must let SQLite create them.
        sidecars = [Path(f"{path}-wal"), Path(f"{path}-shm")]
        if not all(p.exists() and _can(p, os.R_OK | os.W_OK) for p in sidecars):
            return f"cannot be written: its folder {folder} is read-only ({READ_ONLY})"
    return None


def _can(path: Path, mode: int) -> bool:
    effective = os.access in os.supports_effective_ids
    return os.access(path, mode, effective_ids=effective)


def _check_sqlite_path(path: Path) -> None:
    """Refuse a path that cannot be a SQLite store, before any SQL runs."""
    problem = _sqlite_path_problem(path)
    if problem is not None:
        raise StoreAccessError(f"the store {path} {problem}")


#: SQLite errors that mean "this file cannot serve as a store" (lower case) and what they mean.
_SQLITE_FILE_ERRORS = (
    ("file is not a database", "is not a SQLite database, or is damaged"),
    ("malformed", "is a damaged SQLite database: restore it from a backup"),
    ("readonly database", f"is read-only: {READ_ONLY}"),
    ("unable to open database file", "cannot be opened"),
)


def _sqlite_file_errors(path: Path) -> Callable[[Any], BaseException | None]:
    """A ``handle_error`` hook: SQLite's errors about the file itself become a
    :class:`StoreAccessError` naming the path and saying what is wrong (never SQL text)."""

    def translate(context: Any) -> BaseException | None:
        original = context.original_exception
        if not isinstance(original, sqlite3.Error):
            return None
        text = str(original)
        for needle, meaning in _SQLITE_FILE_ERRORS:
            if needle in text.lower():
                header = needle == "file is not a database"
                problem = _sqlite_path_problem(path, read_header=header) or f"{meaning} ({text})"
                return StoreAccessError(f"the store {path} {problem}")
        return None

    return translate


def _insert_ignore(backend: str, table: sa.Table, conflict_columns: list[Any]) -> Any:
    if backend == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif backend == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise StoreError(f"unsupported backend {backend!r}; use sqlite or postgresql")
    return insert(table).on_conflict_do_nothing(index_elements=conflict_columns)


def _item_row(task: str, item_id: str, item_kind: str, content: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "task": task,
        "item_id": item_id,
        "item_kind": item_kind,
        "content": limits.json_text(dict(content)),
        "created_us": now_us(),
    }


def _inserted(result: Any) -> int:
    """How many rows an insert-or-ignore wrote."""
    if result.returns_rows:
        return len(result.all())
    return result.rowcount


def _to_datetime(values: Sequence[int]) -> pd.DatetimeIndex:
    return pd.to_datetime(pd.Series(values, dtype="int64"), unit="us", utc=True)


def _dump_json_column(values: list[Any]) -> list[str | None]:
    """JSON text for each value, encoding each distinct string once (labels repeat a lot)."""
    cache: dict[str, str | None] = {}
    out = []
    for value in values:
        if type(value) is str:
            text = cache.get(value)
            if text is None:
                text = cache[value] = limits.json_text(value, separators=(",", ":"))
            out.append(text)
        else:
            text = dump_json(value)
            out.append(None if text is None else limits.storable_json(text))
    return out


def _decode_ids(keys: list[Any], kinds: list[str]) -> Any:
    distinct = set(kinds)
    if distinct == {"str"}:
        return _text_column(keys)
    if distinct == {"int"}:
        # Keys arrive as text (row reads) or as ints (column reads); numpy converts both.
        return np.asarray(keys, dtype=np.int64)
    return [ids.decode(k if isinstance(k, str) else str(k), t) for k, t in zip(keys, kinds, strict=True)]


@functools.cache
def _text_dtype() -> Any:
    """The dtype pandas infers for a list of strings (``str`` on pandas 3, ``object`` before)."""
    return pd.Series(["a"]).dtype


def _text_column(values: list[str]) -> Any:
    """A column of strings with the dtype pandas would infer, built through Arrow when pandas
    keeps strings in Arrow (about 3x faster than letting pandas convert a list)."""
    dtype = _text_dtype()
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        try:
            return pd.array(pa.array(values, type=pa.large_string()), dtype=dtype)
        except (pa.ArrowException, TypeError):
            pass
    return values


def _nullable_int(values: Sequence[Any]) -> Any:
    """``Int64`` array of ints and ``None``s (fast when all or none are missing)."""
    n = len(values)
    missing = values.count(None) if isinstance(values, (list, tuple)) else None
    if missing == n:
        return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    if missing == 0:
        return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), np.zeros(n, dtype=bool))
    return pd.array(values, dtype="Int64")


def _table_columns(columns: Sequence[str] | None) -> list[str]:
    """The table columns to read for the frame columns asked (all by default)."""
    if columns is None:
        return list(EVENT_COLUMNS)
    asked = {"created_us" if c == "created_at" else c for c in columns} | {"id"}
    unknown = asked - set(EVENT_COLUMNS)
    if unknown:
        raise KeyError(f"unknown annotation columns {sorted(unknown)}; columns: {_ANNOTATION_ORDER}")
    if "item_id" in asked:
        asked.add("item_kind")  # needed to restore the ids' dtype
    return [c for c in EVENT_COLUMNS if c in asked]


def _frame(rows: list[tuple], names: Sequence[str] = EVENT_COLUMNS) -> pd.DataFrame:
    if not rows:
        return _empty_frame(names)
    cols = list(zip(*rows, strict=True))
    return _frame_from_columns({name: list(col) for name, col in zip(names, cols, strict=True)}, names)


def _empty_frame(names: Sequence[str] = EVENT_COLUMNS) -> pd.DataFrame:
    frame = pd.DataFrame({c: [] for c in names})
    if "created_us" in frame.columns:
        frame["created_at"] = pd.to_datetime(frame.pop("created_us"), unit="us", utc=True)
    return frame[[c for c in _ANNOTATION_ORDER if c in frame.columns]]


#: How each table column becomes a frame column.
_BUILDERS: dict[str, Any] = {
    "id": lambda d: np.asarray(d["id"], dtype=np.int64),
    "task": lambda d: _text_column(d["task"]),
    "item_id": lambda d: _decode_ids(d["item_id"], d["item_kind"]),
    "annotator": lambda d: _text_column(d["annotator"]),
    "kind": lambda d: _text_column(d["kind"]),
    "value": lambda d: pd.Series(decode_json_column(d["value"]), dtype=object),
    "comment": lambda d: pd.Series(d["comment"], dtype=object),
    "created_us": lambda d: pd.to_datetime(np.asarray(d["created_us"], dtype=np.int64), unit="us", utc=True),
    "active_ms": lambda d: _nullable_int(d["active_ms"]),
    "guideline_version": lambda d: pd.Series(d["guideline_version"], dtype=object),
    "suggestion": lambda d: pd.Series(decode_json_column(d["suggestion"]), dtype=object),
    "client_id": lambda d: pd.Series(d["client_id"], dtype=object),
    "client_seq": lambda d: _nullable_int(d["client_seq"]),
    "item_kind": lambda d: _text_column(d["item_kind"]),
}


def _frame_from_columns(data: dict[str, Any], names: Sequence[str] = EVENT_COLUMNS) -> pd.DataFrame:
    """The annotations frame from one list (or array) per event column; an optional
    ``_order`` entry gives the positions that put the rows in log order."""
    if not len(data["id"]):
        return _empty_frame(names)
    built = {("created_at" if n == "created_us" else n): _BUILDERS[n](data) for n in names}
    frame = pd.DataFrame({c: built[c] for c in _ANNOTATION_ORDER if c in built})
    order = data.get("_order")
    if order is not None:
        frame = frame.take(order).reset_index(drop=True)
    return frame


_ANNOTATION_ORDER = [
    "id", "task", "item_id", "annotator", "kind", "value", "comment", "created_at", "active_ms",
    "guideline_version", "suggestion", "client_id", "client_seq", "item_kind",
]  # fmt: skip

__all__ += ["EVENT_COLUMNS"]
