"""A widget's progress: running tallies of what stands (labeled, skipped, per label) and the
``_progress`` trait the browser draws from them.

The tallies change by one event at a time (:meth:`Progress._count_change`), so a label costs
O(1) however many items are already labeled; :meth:`Progress._recount` rebuilds them once after
the log is replayed.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable
from typing import Any

from ..core.labelset import MANY_LABELS
from .queue import Queue

#: With more than ``MANY_LABELS`` labels, progress counts only this many most used labels.
TOP_COUNTS = 10


class Progress:
    """Mixin of :class:`~nblabel.widgets.base.LabelWidget`: the progress tallies and trait."""

    # provided by LabelWidget
    queue: Queue
    _lock: threading.RLock
    _labels: list[Any]
    _label_index: dict[Any, int]
    _state: dict[str, tuple[str, Any]]
    _flags: dict[str, str | None]
    _foreign: set[str]
    _progress: dict[str, Any]
    _count_labels: Callable[[dict[Any, int], Any], None]  # the subclass hook
    _set_progress: Callable[[dict[str, Any]], None]  # the trait, set (or held) by the browser side

    def _init_progress(self) -> None:
        self._labeled = 0
        self._skipped = 0
        self._label_counts: dict[Any, int] = {}
        self._tallying = False  # off while _load_state replays the log (one _recount at its end)

    def _count_change(self, key: str, change: tuple[Any, Any] | None) -> None:
        """Follow one item's standing entry from ``old`` to ``new`` (``(kind, value)`` or
        ``None``) in the tallies; items of another DataFrame are not counted."""
        if change is None or not self._tallying or key in self._foreign:
            return
        old, new = change
        if old is new:
            return
        if old is not None:
            self._tally(old, -1)
        if new is not None:
            self._tally(new, 1)

    def _tally(self, entry: tuple[str, Any], sign: int) -> None:
        """Add (``sign=1``) or remove (``-1``) one standing label/skip from the progress tallies."""
        kind, value = entry
        if kind != "label":
            self._skipped += sign
            return
        self._labeled += sign
        counts: dict[Any, int] = {}
        self._count_labels(counts, value)
        for label, n in counts.items():
            self._label_counts[label] = self._label_counts.get(label, 0) + sign * n

    def _recount(self) -> None:
        """Recompute the progress tallies from ``_state`` (after loading, once foreign keys are
        known); from then on each applied event keeps them up to date."""
        labeled = skipped = 0
        counts: dict[Any, int] = {}
        for key, (kind, value) in self._state.items():
            if key in self._foreign:
                continue  # labeled through another DataFrame of the same task
            if kind == "label":
                labeled += 1
                self._count_labels(counts, value)
            else:
                skipped += 1
        self._labeled, self._skipped, self._label_counts = labeled, skipped, counts
        self._tallying = True

    def _update_progress(self) -> None:
        """Publish the tallies and the queue's size and remaining count as ``_progress``."""
        foreign = self._foreign  # labeled through another DataFrame of the same task: not counted
        with self._lock:
            labeled, skipped, counts = self._labeled, self._skipped, self._label_counts
            flagged = len(self._flags) - (len(foreign.intersection(self._flags)) if foreign else 0)
        progress: dict[str, Any] = {
            "total": self.queue.size,
            "labeled": labeled,
            "skipped": skipped,
            "flagged": flagged,
            "remaining": self.queue.remaining,
        }
        if len(self._labels) <= MANY_LABELS:
            progress["counts"] = [counts.get(label, 0) for label in self._labels]
        else:
            # A taxonomy: one count per label would make every key press a message as long as
            # the label list. Send the most used labels (by index) and how many are in use.
            progress.update(top_counts(counts, self._label_index))
        self._set_progress(progress)


def top_counts(counts: dict[Any, int], index: dict[Any, int], n: int = TOP_COUNTS) -> dict[str, Any]:
    """The ``n`` most used labels as ``[[label index, count], ...]`` (most used first, ties in
    label order) and how many labels are in use."""
    used = [(count, -index[label]) for label, count in counts.items() if count > 0 and label in index]
    top = heapq.nlargest(n, used)
    return {"top": [[-neg, count] for count, neg in top], "used": len(used)}
