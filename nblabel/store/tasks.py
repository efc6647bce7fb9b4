"""The task registry of a store: each task's kind, label set (which may only grow) and config,
recorded once and re-opened under the same terms."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..core import limits
from ..core.event import now_us
from ..core.labelset import preview_labels
from . import schema
from .decode import to_datetime
from .encode import check_query
from .engine import insert_ignore

__all__ = ["TaskInfo", "TaskRegistry"]


class TaskInfo(dict):
    """A task's registered kind, labels and config (a plain dict with attribute access)."""

    __getattr__ = dict.__getitem__


class TaskRegistry:
    """Mixin of :class:`~nblabel.store.Store`: ``nbl_tasks``."""

    # provided by Store
    backend: str
    engine: Engine
    _writer: Engine
    _lock: threading.RLock
    location: str

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
        with self._lock, self._writer.begin() as conn:
            return self._register_in(conn, name, kind, list(labels), config or {}, fixed)

    def _register_in(
        self,
        conn: Connection,
        name: str,
        kind: str,
        labels: list[Any],
        config: dict[str, Any],
        fixed: tuple[str, ...],
    ) -> TaskInfo:
        """:meth:`register_task` inside the caller's write transaction ``conn`` (an import
        registers its task in the transaction that writes its events)."""
        t = schema.tasks
        conn.execute(
            insert_ignore(self.backend, t, ["name"]).values(
                name=name,
                kind=kind,
                labels=limits.json_text(labels),
                config=limits.json_text(config, default=str),
                created_us=now_us(),
            )
        )
        row = conn.execute(sa.select(t).where(t.c.name == name)).mappings().one()
        self._check_reopen(row, kind, config, fixed)
        merged = self._grow_labels(conn, name, json.loads(row["labels"]), labels)
        return _task_info(row, merged)

    def _check_reopen(
        self, row: Mapping[str, Any], kind: str, config: dict[str, Any], fixed: tuple[str, ...]
    ) -> None:
        """``ValueError`` when the task recorded in ``row`` has another kind, or another value of
        a ``fixed`` config key, than it is re-opened with."""
        name = row["name"]
        if row["kind"] != kind:
            raise ValueError(
                f"task {name!r} is a {row['kind']!r} task in {self.location}; "
                f"it cannot be re-opened as {kind!r}"
            )
        stored_config = json.loads(row["config"])
        for key in fixed:
            if key in stored_config and stored_config[key] != config.get(key):
                raise ValueError(
                    f"task {name!r} was created with {key}={stored_config[key]!r}; it cannot be "
                    f"re-opened with {key}={config.get(key)!r} (use a new task name)"
                )

    def _grow_labels(self, conn: Connection, name: str, old: list[Any], labels: list[Any]) -> list[Any]:
        """The task's label set after re-opening with ``labels``: the ``old`` ones, then the new
        ones (stored); ``ValueError`` when ``labels`` lacks an old one."""
        # sets, not list scans: a taxonomy of 100,000 labels is checked in milliseconds
        given = _membership(labels)
        missing = [label for label in old if label not in given]
        if missing:
            raise ValueError(
                f"task {name!r} already has labels {preview_labels(old)}; the new label set "
                f"lacks {preview_labels(missing)}. Label sets may only grow: add labels, or use "
                "a new task name."
            )
        if labels == old:
            return old
        known = _membership(old)
        merged = old + [label for label in labels if label not in known]
        t = schema.tasks
        conn.execute(t.update().where(t.c.name == name).values(labels=limits.json_text(merged)))
        return merged

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
                "created_at": to_datetime([r[3] for r in rows]),
                "events": [counts.get(r[0], (0, 0, 0))[0] for r in rows],
                "annotators": [counts.get(r[0], (0, 0, 0))[1] for r in rows],
                "items": [counts.get(r[0], (0, 0, 0))[2] for r in rows],
            }
        )
        return frame.sort_values("task", ignore_index=True)

    def task(self, name: str) -> TaskInfo:
        """The registered task ``name`` (``KeyError`` naming the known tasks if absent)."""
        check_query(name=name)
        t = schema.tasks
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.name == name)).mappings().first()
            if row is None:
                known = [r[0] for r in conn.execute(sa.select(t.c.name))]
                raise KeyError(f"no task {name!r} in {self.location}; tasks: {known}")
        return _task_info(row, json.loads(row["labels"]))


def _task_info(row: Mapping[str, Any], labels: list[Any]) -> TaskInfo:
    """The :class:`TaskInfo` of a ``nbl_tasks`` row (with its current ``labels``)."""
    return TaskInfo(
        name=row["name"],
        kind=row["kind"],
        labels=labels,
        config=json.loads(row["config"]),
        created_at=to_datetime([row["created_us"]])[0],
    )


def _membership(values: list[Any]) -> Any:
    """``values`` as a set for ``in`` tests (a list when some value is unhashable)."""
    try:
        return set(values)
    except TypeError:
        return values
