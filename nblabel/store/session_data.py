"""What reopens a session from the store alone: its widget, options and items
(``nbl_session_setup`` and ``nbl_session_items``), written once with the session and read by
``nl.Session.open`` in any process — an annotator's too (no gold answer is kept here)."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..core import limits
from ..core.event import now_us
from . import schema
from .encode import check_query
from .engine import insert_ignore, inserted

__all__ = ["SessionData", "SessionSetup"]

#: Item rows written per ``executemany`` call.
CHUNK = 2000


@dataclass(frozen=True)
class SessionSetup:
    """A session's stored setup: ``widget`` (the class name), ``setup`` (options, columns, ...)
    and its ``items`` as ``(item_id, item_kind, data)`` in the frame's order."""

    widget: str
    setup: dict[str, Any]
    items: list[tuple[str, str, dict[str, Any]]]


class SessionData:
    """Mixin of :class:`~nblabel.store.Store`: the setup and items of a session."""

    # provided by Store
    backend: str
    engine: Engine
    _writer: Engine
    _lock: threading.RLock

    def has_session_setup(self, task: str) -> bool:
        """Whether the setup of the session on ``task`` is stored (a read: any role may ask)."""
        check_query(task=task)
        t = schema.session_setup
        with self.engine.connect() as conn:
            return conn.execute(sa.select(t.c.task).where(t.c.task == task)).first() is not None

    def save_session_setup(
        self,
        task: str,
        widget: str,
        setup: dict[str, Any],
        items: Sequence[tuple[str, str, dict[str, Any]]],
    ) -> bool:
        """Record a session's setup and items, once: the first writer's copy stays (setup and
        items in one transaction). Returns whether this call wrote them."""
        limits.check_key(task, "task")
        limits.check_text(widget, "widget")
        rows = [
            {"task": task, "pos": pos, "item_id": limits.check_text(key, "item id"), "item_kind": kind,
             "data": limits.json_text(data)}
            for pos, (key, kind, data) in enumerate(items)
        ]  # fmt: skip
        t = schema.session_setup
        with self._lock, self._writer.begin() as conn:
            statement = insert_ignore(self.backend, t, ["task"]).values(
                task=task, widget=widget, setup=limits.json_text(setup), created_us=now_us()
            )
            if self.backend == "postgresql":
                statement = statement.returning(t.c.task)
            if not inserted(conn.execute(statement)):
                return False
            for start in range(0, len(rows), CHUNK):
                conn.execute(schema.session_items.insert(), rows[start : start + CHUNK])
        return True

    def session_setup(self, task: str) -> SessionSetup | None:
        """The stored setup of the session on ``task`` (``None``: none was stored — a session
        made before nblabel stored them, or no session)."""
        check_query(task=task)
        t, i = schema.session_setup, schema.session_items
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t.c.widget, t.c.setup).where(t.c.task == task)).first()
            if row is None:
                return None
            items = conn.execute(
                sa.select(i.c.item_id, i.c.item_kind, i.c.data).where(i.c.task == task).order_by(i.c.pos)
            ).all()
        return SessionSetup(
            widget=row[0], setup=json.loads(row[1]), items=[(k, kind, json.loads(d)) for k, kind, d in items]
        )
