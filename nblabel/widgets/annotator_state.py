"""One annotator's committed events of a task, reduced to what stands — the widget's view of
the store, kept in step with it event by event."""

from __future__ import annotations

import bisect
from typing import Any

from ..core.event import retract_target

__all__ = ["AnnotatorState"]

#: (kind, value) of an item's standing label or skip.
Entry = tuple[str, Any]


class AnnotatorState:
    """The state of every item for one annotator, built from committed events in any order.

    Per item, the standing label/skip events form a stack ordered by event id; the top is the
    item's state, as :func:`nblabel.store.current_from_annotations` computes it from the log.
    A retract withdraws the event it names (``{"retracts": id}``), or the top of the stack when
    it names none. ``undoable`` lists the events this widget may undo, oldest first: the
    annotator's events read when the widget opened and the ones it wrote itself — never those
    another widget of the same annotator writes meanwhile.
    """

    def __init__(self) -> None:
        self.state: dict[str, Entry] = {}
        self.flags: dict[str, str] = {}
        self.known: set[int] = set()  # ids of the events applied
        self.undoable: list[tuple[str, int]] = []  # (key, event id), oldest first
        self._stacks: dict[str, list[tuple[int, str, Any]]] = {}  # key -> [(event id, kind, value)]

    def clear(self) -> None:
        """Forget everything (before reading the store afresh)."""
        self.state.clear()
        self.flags.clear()
        self.known.clear()
        self.undoable.clear()
        self._stacks.clear()

    def apply(
        self, event_id: int, key: str, kind: str, value: Any, comment: str | None = None, *, own: bool = True
    ) -> tuple[Entry | None, Entry | None] | None:
        """Apply one committed event. Returns ``(old, new)`` state of its item when a label,
        skip or retract changed it, ``None`` for a flag or an event already applied. ``own``:
        the event may be undone through this widget."""
        if event_id in self.known:
            return None
        self.known.add(event_id)
        if kind == "flag":
            self.flags[key] = comment or ""
            return None
        old = self.state.get(key)
        stack = self._stacks.setdefault(key, [])
        if kind == "retract":
            target = retract_target(value)
            index = len(stack) - 1 if target is None else _find(stack, target)
            if index is not None and index >= 0:
                withdrawn = stack.pop(index)[0]
                self._forget_undoable(key, withdrawn)
        else:
            bisect.insort(stack, (event_id, kind, value), key=lambda entry: entry[0])
            if own:
                self.undoable.append((key, event_id))
        if stack:
            self.state[key] = stack[-1][1:]
        else:
            self.state.pop(key, None)
            self._stacks.pop(key, None)
        return old, self.state.get(key)

    def _forget_undoable(self, key: str, event_id: int) -> None:
        for i in range(len(self.undoable) - 1, -1, -1):
            if self.undoable[i] == (key, event_id):
                del self.undoable[i]
                return


def _find(stack: list[tuple[int, str, Any]], event_id: int) -> int | None:
    for i in range(len(stack) - 1, -1, -1):
        if stack[i][0] == event_id:
            return i
    return None
