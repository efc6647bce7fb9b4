"""Writing the event log: one event per durable transaction, idempotent on
``(client_id, client_seq)``; many events in one transaction; a DataFrame of labels in bulk.

On PostgreSQL an event (and the item's row with its first label) is one statement on a
connection the store keeps for its writes, in autocommit: the statement is its own transaction,
committed before the server answers, in one round trip instead of ``BEGIN``, ``INSERT``,
``INSERT``, ``COMMIT`` on a connection checked out of the pool per event. A connection lost
under it (a server restart) is dropped and the write tried once more on a new one; still
failing, the error goes to the caller (a widget keeps the event and retries it), translated by
SQLAlchemy as every other store error is.
"""

from __future__ import annotations

import contextlib
import functools
import threading
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..core.event import Event
from . import schema
from .encode import IMPORT_COLUMNS, event_row, import_columns, item_row
from .engine import insert_ignore, inserted
from .schema import EVENT_COLUMNS

__all__ = ["EventWrites"]


class EventWrites:
    """Mixin of :class:`~nblabel.store.Store`: appending to ``nbl_events`` (and ``nbl_items``)."""

    # provided by Store
    backend: str
    _writer: Engine
    _lock: threading.RLock
    _insert_event: Any
    _insert_item: Any
    check_file: Callable[[], None]
    task: Callable[[str], Any]

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
        if self.backend == "postgresql":
            return self._write_postgresql(event, item)
        with self._lock, self._writer.begin() as conn:
            result = conn.execute(self._insert_event, event_row(event))
            if item is not None:
                conn.execute(self._insert_item, item_row(event.task, event.item_id, event.item_kind, item))
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

    # ------------------------------------------------------------------ PostgreSQL
    def _write_postgresql(self, event: Event, item: Mapping[str, Any] | None) -> tuple[int, bool]:
        """One event (and its item's row) in one autocommitted statement on the store's write
        connection, through the driver's cursor: SQLAlchemy's execution costs as much CPU as
        the rest of the write, and a team's writers share the server's CPUs. Anything but a new
        row (a failure, an event already stored) goes through :meth:`_write_postgresql_checked`."""
        row = event_row(event)
        with_item = item is not None
        if with_item:
            row["content"] = item_row(event.task, event.item_id, event.item_kind, item)["content"]
        with self._lock:
            conn = self._write_connection()
            try:
                new_ids = _event_prepared(with_item).run(
                    conn.connection.driver_connection, conn.connection.info, row
                )
            except Exception:
                new_ids = None
            if new_ids:
                return int(new_ids[0]), True
            # Not written here (the driver's own error, untranslated), or stored before: write
            # it again the way that says what failed (a lost connection, a refused row) and
            # replaces a lost connection, or finds the id it was stored under.
            return self._write_postgresql_checked(event, row, with_item)

    def _write_postgresql_checked(
        self, event: Event, row: dict[str, Any], with_item: bool
    ) -> tuple[int, bool]:
        """The write through SQLAlchemy (its error handling and translation: a disconnect
        invalidates the connection, a refused row says why); a lost connection is replaced and
        the write tried once more (idempotent on ``(client_id, client_seq)``, so a commit whose
        answer was lost is not written twice)."""
        with self._lock:
            for attempt in (1, 2):
                conn = self._write_connection()
                try:
                    new_ids = [r[0] for r in conn.execute(_event_statement(with_item), row)]
                    if new_ids:
                        return int(new_ids[0]), True
                    # already stored by an earlier attempt whose acknowledgement was lost
                    e = schema.events
                    found = conn.execute(
                        sa.select(e.c.id).where(
                            e.c.client_id == event.client_id, e.c.client_seq == event.client_seq
                        )
                    ).scalar_one()
                    return int(found), False
                except sa.exc.DBAPIError as exc:
                    self._release_write_connection()
                    if attempt == 2 or not exc.connection_invalidated:
                        raise
                except BaseException:
                    self._release_write_connection()
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _read_fast(self, statement: Any, params: Mapping[str, Any]) -> list[Any] | None:
        """PostgreSQL: the rows of a prebuilt ``SELECT`` read on the store's write connection
        through the driver's cursor (no pool checkout, no SQLAlchemy execution: for a read
        after every label). ``None`` on SQLite or when anything fails: the caller then reads
        the usual way, which says what failed."""
        if self.backend != "postgresql":
            return None
        with self._lock:
            try:
                conn = self._write_connection()
                compiled: dict[Any, str] = self.__dict__.setdefault("_read_sql_text", {})
                sql = compiled.get(statement)
                if sql is None:
                    sql = compiled[statement] = str(statement.compile(dialect=conn.dialect))
                with conn.connection.driver_connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    return cursor.fetchall()
            except Exception:
                self._release_write_connection()  # possibly broken: the next use opens another
                return None

    def _write_connection(self) -> Connection:
        """The connection this store writes events on (opened on first use, kept, autocommit)."""
        conn: Connection | None = self.__dict__.get("_events_conn")
        if conn is None or conn.closed or conn.invalidated:
            if conn is not None:
                self._release_write_connection()
            if not self.__dict__.get("_events_conn_watched"):
                # every engine.dispose() (close, reset after a failure) lets it go too
                sa.event.listen(
                    self.engine, "engine_disposed", functools.partial(_release, weakref.ref(self))
                )
                self._events_conn_watched = True
            conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            self._events_conn = conn
        return conn

    def _release_write_connection(self) -> None:
        """Close the write connection's socket now (not back into a pool that may have been
        disposed already); a later write opens a new one."""
        with self._lock:
            conn = self.__dict__.pop("_events_conn", None)
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.invalidate()
                with contextlib.suppress(Exception):
                    conn.close()

    def append_many(self, events: Iterable[Event]) -> int:
        """Write many events in one transaction (bulk import); returns how many were new."""
        rows = [event_row(e) for e in events]
        if not rows:
            return 0
        with self._lock, self._writer.begin() as conn:
            return inserted(conn.execute(self._insert_event, rows))

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
        columns = import_columns(frame, task, kind)
        with self._lock, self._writer.begin() as conn:
            return self._insert_chunks(conn, columns, chunk_size)

    def _insert_chunks(
        self,
        conn: Connection,
        columns: list[list[Any]],
        chunk_size: int,
        names: Sequence[str] = IMPORT_COLUMNS,
        *,
        table: str = schema.events.name,
        conflict: str | None = None,
    ) -> int:
        """Insert the rows of ``columns`` (one list per column of ``names``, by default
        :data:`IMPORT_COLUMNS` of ``nbl_events``) into ``table`` through the driver's
        ``executemany``, ``chunk_size`` rows at a time; returns how many were written.
        ``conflict`` (a unique key, e.g. ``"(client_id, client_seq)"``): a row whose key is
        already stored is skipped, and not counted."""
        marker = "%s" if self.backend == "postgresql" else "?"
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
        if conflict is not None:
            sql += f" ON CONFLICT {conflict} DO NOTHING"
        ignore_duplicates = conflict is not None
        n = len(columns[0])
        written = 0
        cur = conn.connection.driver_connection.cursor()
        for start in range(0, n, chunk_size):
            batch = list(zip(*(column[start : start + chunk_size] for column in columns), strict=True))
            cur.executemany(sql, batch)
            # sqlite3 and psycopg 3 both sum the rows each execution wrote
            written += cur.rowcount if ignore_duplicates else len(batch)
        cur.close()
        return written


@functools.cache
def _event_statement(with_item: bool) -> Any:
    """PostgreSQL: insert-or-ignore an event returning its new id (nothing when its
    ``(client_id, client_seq)`` is stored); ``with_item``: and, in the same statement, the
    item's row (``content``; task, id and time are the event's) unless the task has it."""
    e, i = schema.events, schema.items
    event_columns = [c for c in EVENT_COLUMNS if c != "id"]
    event = (
        insert_ignore("postgresql", e, ["client_id", "client_seq"])
        .values({c: sa.bindparam(c, type_=e.c[c].type) for c in event_columns})
        .returning(e.c.id)
    )
    if not with_item:
        return event
    item_columns = ("task", "item_id", "item_kind", "content", "created_us")
    shown = (
        insert_ignore("postgresql", i, schema.ITEMS_KEY_POSTGRESQL)
        .values({c: sa.bindparam(c, type_=i.c[c].type) for c in item_columns})
        .cte("shown")
    )
    written = event.cte("written")
    return sa.select(written.c.id).add_cte(shown)


_EVENT_PREPARED: dict[bool, Any] = {}


def _event_prepared(with_item: bool) -> Any:
    """:func:`_event_statement` as a :class:`~nblabel.store.prepared.PreparedStatement`
    (imported on a PostgreSQL store's first write: psycopg is an optional dependency)."""
    prepared = _EVENT_PREPARED.get(with_item)
    if prepared is None:
        from .prepared import PreparedStatement

        prepared = _EVENT_PREPARED[with_item] = PreparedStatement(_event_statement(with_item))
    return prepared


def _release(ref: weakref.ref[EventWrites], _engine: Any) -> None:
    """``engine_disposed``: the store's write connection goes with the pool."""
    store = ref()
    if store is not None:
        store._release_write_connection()
