"""The session and guidelines tables of a store: a session's plan (fixed by the first process
that creates it), whether its labels are revealed, and every guidelines version of a task."""

from __future__ import annotations

import json
import threading
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

__all__ = ["SessionTables"]


class SessionTables:
    """Mixin of :class:`~nblabel.store.Store`: ``nbl_sessions`` and ``nbl_guidelines``."""

    # provided by Store
    backend: str
    engine: Engine
    _writer: Engine
    _lock: threading.RLock

    # ------------------------------------------------------------------ sessions
    def register_session(self, task: str, config: dict[str, Any]) -> dict[str, Any]:
        """Record a session's plan, or return the one already recorded for ``task`` (the first
        process to create a session fixes it; the caller compares)."""
        limits.check_key(task, "task")
        t = schema.sessions
        with self._lock, self._writer.begin() as conn:
            conn.execute(
                insert_ignore(self.backend, t, ["task"]).values(
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
        check_query(task=task)
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

    # ------------------------------------------------------------------ guidelines
    def add_guidelines(self, task: str, version: str, markdown: str, note: str = "") -> bool:
        """Record a guidelines version of ``task``; ``False`` when it was already recorded."""
        limits.check_key(task, "task")
        limits.check_key(version, "guidelines version")
        limits.check_text(markdown, "guidelines")
        limits.check_text(note, "guidelines note")
        t = schema.guidelines
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
