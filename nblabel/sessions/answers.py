"""Every annotator's standing answer to each item of a task, kept up to date incrementally.

Adaptive overlap decides on the answers of the few items that changed since it last looked;
reading the whole task again for every label would cost O(events) per key press. The book reads
only the events after the newest one it has: on SQLite, whose writes are serialised, when the
store's highest event id moved; on PostgreSQL, when the task's revision moved, reading everything
again when its count says an event committed late under a lower id — the widgets' rule.
"""

from __future__ import annotations

from typing import Any

from ..core.event import retract_target
from ..core.frames import decode_json_column
from ..core.models import is_model
from ..store.store import Store

#: (kind, value) of a standing answer: "label" or "skip".
Answer = tuple[str, Any]

_COLUMNS = ("id", "item_id", "annotator", "kind", "value")


class AnswerBook:
    """The standing label or skip per (item key, annotator) of one task."""

    def __init__(self, store: Store, task: str) -> None:
        self.store = store
        self.task = task
        self._stacks: dict[str, dict[str, list[tuple[str, Any, int]]]] = {}  # key -> annotator -> stack
        self._count = 0
        self._top = 0

    def update(self) -> set[str]:
        """Read what was written since the last look; the keys of items whose answers may have
        changed (every key after a full read)."""
        if self.store.backend == "sqlite":
            # writes are serialised: ids commit in order, and the store's highest id (a primary-key
            # look-up) says whether anything is new
            top = self.store.last_event_id()
            if top == self._top:
                return set()
            rows = self.store.events(self.task, after_id=self._top, columns=_COLUMNS)
            count = self._count + len(rows)
        else:
            count, top = self.store.revision(self.task)
            if (count, top) == (self._count, self._top):
                return set()
            rows = self.store.events(self.task, after_id=self._top, columns=_COLUMNS)
            rows = [r for r in rows if r[0] <= top]
            if self._count + len(rows) != count:  # an event committed late under a lower id: read all
                self._stacks.clear()
                self._count = self._top = 0
                rows = [r for r in self.store.events(self.task, columns=_COLUMNS) if r[0] <= top]
        values = decode_json_column([r[4] for r in rows])
        touched = set()
        for (event_id, key, annotator, kind, _raw), value in zip(rows, values, strict=True):
            if kind == "flag" or is_model(annotator):  # model annotators never vote
                continue
            stack = self._stacks.setdefault(key, {}).setdefault(annotator, [])
            touched.add(key)
            if kind == "retract":
                target = retract_target(value)
                index = next((i for i in range(len(stack) - 1, -1, -1) if stack[i][2] == target), None)
                if target is None and stack:
                    stack.pop()
                elif index is not None:
                    del stack[index]
            else:
                stack.append((kind, value, event_id))
        self._count = count
        self._top = max([self._top, top, *(r[0] for r in rows)])
        return touched

    def answers(self, key: str) -> dict[str, Answer]:
        """Annotator -> standing answer of item ``key``."""
        return {
            name: (stack[-1][0], stack[-1][1]) for name, stack in self._stacks.get(key, {}).items() if stack
        }

    def by_item(self, keys: set[str]) -> dict[str, dict[str, Answer]]:
        """Item key -> annotator -> standing answer, for ``keys`` (items without one left out)."""
        out = {key: self.answers(key) for key in keys}
        return {key: given for key, given in out.items() if given}

    def item_keys(self) -> list[str]:
        """Every item key with an event."""
        return list(self._stacks)

    def answered(self, annotator: str) -> set[str]:
        """The keys ``annotator`` has a standing label or skip on."""
        return {key for key, stacks in self._stacks.items() if stacks.get(annotator)}
