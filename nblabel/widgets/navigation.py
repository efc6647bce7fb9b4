"""Where a widget is: the item on screen, moving on after an answer (through the session's
policy), stepping through the queue, and undo — which withdraws, by id, only an event this
widget may undo (read at open or written here, never another widget's)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from ..core.event import retract_target
from ..core.policy import QueuePolicy
from .active import ActiveOrder
from .annotator_state import AnnotatorState
from .items import ItemSource
from .outbox import Outbox
from .queue import Queue

_log = logging.getLogger(__name__)


class Navigation:
    """Mixin of :class:`~nblabel.widgets.base.LabelWidget`: the current item, moves and undo."""

    # provided by LabelWidget and its other parts
    task: str
    annotator: str
    items: ItemSource
    queue: Queue
    _lock: threading.RLock
    _current: int | None
    _policy: QueuePolicy[Any] | None
    _active: ActiveOrder | None
    _annotator_state: AnnotatorState
    _foreign: set[str]
    _outbox: Outbox
    _record: Callable[..., None]
    _push_window: Callable[..., None]
    send: Callable[..., None]

    def _first_position(self) -> int | None:
        first = self.queue.next_undone(None, 1)
        return first[0] if first else None

    def _resolve(self, item_id: Any) -> int:
        """The position of ``item_id`` (``None``: the current item) if the queue serves it."""
        if item_id is None:
            if self._current is None:
                raise ValueError("there is no current item (everything is labeled)")
            return self._current
        return self._served(self.items.position(item_id))

    def _served(self, pos: int) -> int:
        """``pos`` if this annotator's queue serves it, else a ``ValueError`` (in a session an
        annotator labels only the items assigned to them)."""
        if self.queue.serves(pos):
            return pos
        raise ValueError(
            f"item {self.items.label(pos)!r} is not in {self.annotator!r}'s queue for task {self.task!r}"
        )

    def _move_after(self, pos: int) -> None:
        """After a label or skip of ``pos``: let the policy react, then go to the next undone item."""
        if self._policy is not None:
            self._policy.advance(self, pos)  # may open more items (a calibration gate)
        if self._active is not None:
            self._active.after_answer(pos)  # counts; a refit is only requested, never run here
        nxt = self.queue.next_undone(pos, 1)
        self._current = nxt[0] if nxt else None

    def _after_record(self, pos: int) -> None:
        """Move on and show the next item once a label or skip is recorded. Nothing here may
        raise: the event is already accepted, and an exception would tell a caller of
        ``annotate`` that nothing was stored (a retry would label twice)."""
        try:
            self._move_after(pos)
        except Exception:
            _log.exception("nblabel: moving on after item %r failed", self.items.label(pos))
            self._current = pos
        self._push_window()

    def _step(self, key: Any, step: int) -> None:
        """Go ``step`` (±1) ranks from the item ``key`` (``None``: the current item) in serving
        order; past the end, step back onto the queue."""
        step = 1 if step > 0 else -1
        anchor = self._current if key is None else self.items.position_of_key(str(key))
        if anchor is None and self.queue.size:
            self._current = self.queue.at_rank(self.queue.size - 1 if step < 0 else 0)
        elif anchor is not None:
            nxt = self.queue.neighbour(anchor, step)
            if nxt is not None:
                self._current = nxt

    def _undo(self, browser_seqs: list[Any] | None = None) -> int | None:
        """Retract the latest event this widget may undo and go back to its item; the position,
        or ``None`` (the browser's action acknowledged) when there is nothing to undo."""
        with self._lock:
            target = self._undo_target()
            if target is None:
                if browser_seqs:
                    self.send({"type": "ack", "seqs": browser_seqs})
                return None
            key, event_id, seq = target
        pos = self.items.position_of_key(key)
        self._record(
            pos,
            "retract",
            None if event_id is None else {"retracts": event_id},
            active_ms=None,
            browser_seqs=browser_seqs,
            target_seq=seq,
        )
        self._current = pos
        return pos

    def _undo_target(self) -> tuple[str, int | None, int | None] | None:
        """The latest event this widget may undo: ``(key, store id, None)`` when committed,
        ``(key, None, client_seq)`` when still pending; ``None`` when there is none."""
        candidates: list[tuple[str, int | None, int | None]] = [
            (key, event_id, None) for key, event_id in self._annotator_state.undoable
        ]
        for out in self._outbox.pending:
            event = out.event
            if event.kind in ("label", "skip"):
                candidates.append((event.item_id, None, event.client_seq))
            elif event.kind == "retract":  # a pending undo already withdraws its target
                withdrawn = (event.item_id, retract_target(event.value), out.target_seq)
                if withdrawn in candidates:
                    candidates.remove(withdrawn)
        # Only items of this DataFrame can be undone here (the task may hold labels given
        # through another DataFrame, e.g. a different sample of the same data).
        if self._foreign:
            candidates = [c for c in candidates if c[0] not in self._foreign]
        return candidates[-1] if candidates else None
