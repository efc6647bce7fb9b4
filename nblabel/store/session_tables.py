"""The session and guidelines tables of a store: a session's plan (fixed by the first process
that creates it), whether its labels are revealed, the log of what changed in the plan since
(escalations, retirements, hand-overs), and every guidelines version of a task."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..core import limits
from ..core.event import now_us
from . import schema
from .decode import to_datetime
from .encode import check_query
from .engine import insert_ignore, inserted
from .errors import StoreError
from .session_gold import INSUFFICIENT_PRIVILEGE, merge_gold, read_gold_rows, split_gold_rows

__all__ = ["SessionTables"]


class SessionTables:
    """Mixin of :class:`~nblabel.store.Store`: ``nbl_sessions``, ``nbl_session_log`` and
    ``nbl_guidelines``."""

    # provided by Store
    backend: str
    engine: Engine
    _writer: Engine
    _lock: threading.RLock
    location: str
    _read_fast: Callable[[Any, Mapping[str, Any]], list[Any] | None]

    # ------------------------------------------------------------------ sessions
    def register_session(
        self, task: str, config: dict[str, Any], explanations: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """Record a session's plan, or return the one already recorded for ``task`` (the first
        process to create a session fixes it; the caller compares).

        The gold answers (``config["gold"]``, ``[[key, answer], ...]``) and their
        ``explanations`` (by key) go to ``nbl_session_gold``; the stored config keeps their keys
        (``gold_keys``). A session already recorded is only read, so an annotator role (which may
        not write session tables) opens it; it gets the config without ``gold`` (see
        :meth:`session_config`). Explanations missing from a session recorded before they were
        stored are filled in by its owner."""
        limits.check_key(task, "task")
        public, gold_rows = split_gold_rows(task, config, explanations or {})
        if self.session_config(task) is None:
            t = schema.sessions
            statement = insert_ignore(self.backend, t, ["task"]).values(
                task=task, config=limits.json_text(public), revealed=0, created_us=now_us()
            )
            if self.backend == "postgresql":
                statement = statement.returning(t.c.task)
            try:
                with self._lock, self._writer.begin() as conn:
                    if inserted(conn.execute(statement)) and gold_rows:
                        conn.execute(schema.session_gold.insert(), gold_rows)
            except sa.exc.ProgrammingError as exc:
                if getattr(exc.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
                    raise StoreError(
                        f"there is no session {task!r} in {self.location} yet, and this login may not "
                        "create one: the session's coordinator creates it first (with the owner's URL)"
                    ) from None
                raise
        elif explanations:
            self._fill_explanations(task, explanations)
        stored = self.session_config(task)
        assert stored is not None
        return stored

    def _fill_explanations(self, task: str, explanations: Mapping[str, str]) -> None:
        """Store the explanations a session recorded before schema 4 lacks (its owner only)."""
        g = schema.session_gold
        with self.engine.connect() as conn:
            try:
                missing = conn.execute(
                    sa.select(g.c.key).where(g.c.task == task, g.c.explanation.is_(None))
                ).scalars().all()
            except sa.exc.ProgrammingError:
                return  # an annotator role: nothing to fill
        wanted = [k for k in missing if explanations.get(k) is not None]
        if not wanted:
            return
        with self._lock, self._writer.begin() as conn:
            for key in wanted:
                conn.execute(
                    g.update()
                    .where(g.c.task == task, g.c.key == key, g.c.explanation.is_(None))
                    .values(explanation=limits.check_text(str(explanations[key]), "explanation"))
                )

    def session_config(self, task: str) -> dict[str, Any] | None:
        """The plan of the session on ``task`` (``None``: ``task`` is not a session). For a
        login that may read the gold answers (the owner; anyone on SQLite) it has ``gold``
        (``[[key, answer], ...]``); an annotator role gets the keys only (``gold_keys``)."""
        check_query(task=task)
        t = schema.sessions
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.config).where(t.c.task == task)).first()
        if row is None:
            return None
        config = json.loads(row[0])
        if "gold" in config:  # read before the store was upgraded
            return config
        with self.engine.connect() as conn:
            rows = read_gold_rows(conn, task)
        return config if rows is None else merge_gold(config, rows)

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

    # ------------------------------------------------------------------ the plan's log
    def session_log(self, task: str, after_id: int = 0) -> list[dict[str, Any]]:
        """The rows of a session's log (escalations, retirements, hand-overs) in the order they
        were decided, after ``after_id``: ``id, kind, item_id, annotator, detail`` (decoded JSON),
        ``created_us``."""
        check_query(task=task)
        fast = self._read_fast(_LOG_AFTER, {"task": task, "after_id": int(after_id)})
        if fast is not None:  # PostgreSQL (a labeler reads it after every label)
            return _log_dicts(fast)
        with self.engine.connect() as conn:
            return _log_rows(conn, task, after_id, self.backend)

    def change_session_log(
        self,
        task: str,
        decide: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
        after_id: int = 0,
    ) -> list[dict[str, Any]]:
        """Append to a session's log what ``decide(rows)`` returns, writers taking turns.

        ``decide`` gets the log's rows after ``after_id`` (the caller's last look; 0: the whole
        log) read inside the write transaction — SQLite's ``BEGIN IMMEDIATE``, and on PostgreSQL a
        transaction-scoped advisory lock on the task — so it sees every row earlier writers
        appended, and no other writer appends until this one commits: two processes deciding the
        same change write it once. It returns new rows as dicts of ``kind``, ``item_id``,
        ``annotator``, ``detail`` (a JSON object) and ``key`` (the row's slot, unique per task: a
        row whose key is taken is skipped). Returns the rows written, with their ids."""
        limits.check_key(task, "task")
        t = schema.session_log
        with self._lock, self._writer.begin() as conn:
            if self.backend == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(task))))
            log = _log_rows(conn, task, after_id, self.backend)
            top = log[-1]["id"] if log else after_id
            statement = insert_ignore(self.backend, t, ["task", "key"])
            for row in decide(log):
                conn.execute(
                    statement.values(
                        task=task,
                        kind=row["kind"],
                        item_id=limits.check_text(row["item_id"], "item id"),
                        annotator=limits.check_text(row["annotator"], "annotator"),
                        detail=limits.json_text(row.get("detail") or {}),
                        key=_slot_digest(str(row["key"])),
                        created_us=now_us(),
                    )
                )
            return _log_rows(conn, task, top, self.backend)

    # ------------------------------------------------------------------ guidelines
    def add_guidelines(self, task: str, version: str, markdown: str, note: str = "") -> bool:
        """Record a guidelines version of ``task``; ``False`` when it was already recorded."""
        limits.check_key(task, "task")
        limits.check_key(version, "guidelines version")
        limits.check_text(markdown, "guidelines")
        limits.check_text(note, "guidelines note")
        t = schema.guidelines
        with self.engine.connect() as conn:  # already there: no write (an annotator role may not write)
            if conn.execute(sa.select(t.c.version).where(t.c.task == task, t.c.version == version)).first():
                return False
        with self._lock, self._writer.begin() as conn:
            result = conn.execute(
                insert_ignore(self.backend, t, ["task", "version"]).values(
                    task=task, version=version, markdown=markdown, note=note, created_us=now_us()
                )
            )
        return inserted(result) > 0

    def guidelines(self, task: str) -> pd.DataFrame:
        """Every guidelines version of ``task``, oldest first: number (1, 2, …), version, markdown,
        note, created_at."""
        check_query(task=task)
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
                "created_at": to_datetime([r[3] for r in rows]),
            }
        )


#: A task's log rows after an id, built once (a session labeler reads it after every label:
#: building the statement cost more than running it).
_LOG_AFTER = (
    sa.select(*(schema.session_log.c[n] for n in ("id", "kind", "item_id", "annotator", "detail")))
    .add_columns(schema.session_log.c.created_us)
    .where(schema.session_log.c.task == sa.bindparam("task"))
    .where(schema.session_log.c.id > sa.bindparam("after_id"))
    .order_by(schema.session_log.c.id)
)


def _log_rows(conn: Any, task: str, after_id: int, backend: str) -> list[dict[str, Any]]:
    t = schema.session_log
    if not (after_id and backend == "sqlite"):
        rows = conn.execute(_LOG_AFTER, {"task": task, "after_id": int(after_id)}).all()
        return _log_dicts(rows)
    query = (
        sa.select(t.c.id, t.c.kind, t.c.item_id, t.c.annotator, t.c.detail, t.c.created_us)
        .where(t.c.task == task, t.c.id > int(after_id))
        .order_by(t.c.id)
    )
    if after_id and backend == "sqlite":  # what is new since a look: seek by rowid, not the task's rows
        compiled = query.compile(dialect=conn.dialect)
        sql = str(compiled).replace(f"FROM {t.name}", f"FROM {t.name} NOT INDEXED", 1)
        rows = conn.exec_driver_sql(sql, tuple(compiled.params[n] for n in compiled.positiontup or ())).all()
    else:
        rows = conn.execute(query).all()
    return _log_dicts(rows)


def _log_dicts(rows: Any) -> list[dict[str, Any]]:
    return [
        {"id": int(i), "kind": kind, "item_id": item, "annotator": name, "detail": json.loads(detail),
         "created_us": int(us)}
        for i, kind, item, name, detail, us in rows
    ]  # fmt: skip


def _slot_digest(key: str) -> str:
    """A row's slot as 64 hex digits (an item id can be any length; the unique index holds this)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _lock_key(task: str) -> int:
    """The PostgreSQL advisory lock key of a session's log (a signed 64-bit integer)."""
    digest = hashlib.sha256(("nbl_session_log\x1f" + task).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
