"""How a store reaches its database: the URL (a path means SQLite), the SQLAlchemy engine set up
for durable, queued writes, and the insert-or-ignore statements both backends share."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from ..core.redact import mask_passwords
from .errors import StoreAccessError, StoreError
from .sqlite_file import DEFAULT_FILENAME, file_errors

__all__ = [
    "PING_AFTER_IDLE_S", "SQLITE_BUSY_TIMEOUT_MS", "insert_ignore", "inserted", "make_engine", "parse_url",
]  # fmt: skip

#: How long a SQLite writer waits for another process's write lock before the write fails (a
#: widget then keeps the event pending and retries it, so a long wait would only freeze the UI).
SQLITE_BUSY_TIMEOUT_MS = 5_000

#: A pooled PostgreSQL connection that sat in the pool longer than this (seconds) is pinged
#: (``SELECT 1``) when it is taken out again; one in steady use is not (see :func:`make_engine`).
PING_AFTER_IDLE_S = 1.0


def parse_url(url: str | os.PathLike[str] | None) -> URL:
    """The SQLAlchemy URL of a store given as a URL, a file path or ``None`` (``./nblabel.db``):
    SQLite paths made absolute, ``postgresql://`` driven by psycopg 3."""
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


def make_engine(url: URL) -> Engine:
    """The engine of a store: SQLite set up by :func:`_sqlite_engine`, PostgreSQL by
    :func:`_postgresql_engine`."""
    backend = url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    if backend == "postgresql":
        return _postgresql_engine(url)
    return sa.create_engine(url)


def _postgresql_engine(url: URL) -> Engine:
    """A PostgreSQL engine whose connections autocommit, pinged only after sitting idle.

    A read is one statement and one round trip: psycopg would open a transaction for it
    (``BEGIN``) and SQLAlchemy end it when the connection goes back to the pool
    (``ROLLBACK``), three round trips for one ``SELECT``, at PostgreSQL's default isolation
    (read committed: each statement its own snapshot either way). Writes of more than one
    statement run on the store's writer view of the engine, which opens a transaction
    (``isolation_level="READ COMMITTED"``, :class:`~nblabel.store.Store`).

    SQLAlchemy's ``pool_pre_ping`` costs a ``SELECT 1`` round trip (three statements with
    psycopg's transaction around it) at *every* checkout: with a team labeling, one per event.
    Here a connection is pinged when it comes out of the pool after more than
    :data:`PING_AFTER_IDLE_S` in it — the pessimistic check where a server restart is likely
    to have happened unseen — and a dead one is replaced before it is used (the pool's
    ``DisconnectionError`` protocol). A connection in steady use is trusted; if the server goes
    away under it, the operation fails as a disconnect, SQLAlchemy invalidates the connection,
    and event writes retry once on a fresh one (:meth:`~nblabel.store.writes.EventWrites.write`).
    """
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")

    @sa.event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        if record is not None:
            record.info["nbl_idle_since"] = time.monotonic()

    @sa.event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("nbl_idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_S:
            return  # new, or back from use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise sa.exc.DisconnectionError(str(exc)) from exc  # the pool connects anew
            raise

    return engine


def _sqlite_engine(url: URL) -> Engine:
    """A SQLite engine whose folder exists, whose file errors name the file
    (:func:`~nblabel.store.sqlite_file.file_errors`), with WAL, ``synchronous=FULL``, the busy
    timeout, and ``BEGIN IMMEDIATE`` for writes."""
    on_disk = bool(url.database and url.database != ":memory:")
    if on_disk:
        _make_folder(url)
    engine = sa.create_engine(
        url, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )
    if on_disk:
        sa.event.listen(engine, "handle_error", file_errors(Path(url.database or "")))

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


def _make_folder(url: URL) -> None:
    """Create the folder of a SQLite store's file; :class:`StoreAccessError` says why not."""
    folder = Path(url.database or "").parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
        why = f"{blocker} is a file, not a folder" if blocker else (exc.strerror or str(exc))
        raise StoreAccessError(
            f"cannot create the folder {folder} for the store {url.database}: {why}"
        ) from None


def insert_ignore(backend: str, table: sa.Table, conflict_columns: list[Any]) -> Any:
    """``INSERT ... ON CONFLICT (conflict_columns) DO NOTHING`` into ``table``."""
    if backend == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif backend == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        raise StoreError(f"unsupported backend {backend!r}; use sqlite or postgresql")
    return insert(table).on_conflict_do_nothing(index_elements=conflict_columns)


def inserted(result: Any) -> int:
    """How many rows an insert-or-ignore wrote."""
    if result.returns_rows:
        return len(result.all())
    return result.rowcount
