"""The order in which one annotator is served items, and which of them are done."""

from __future__ import annotations

import numpy as np


class Queue:
    """Items in serving order with a done flag each.

    ``order`` lists the served positions in serving order: a permutation of ``range(n)``, or a
    subset of it (a session serves each annotator only the items assigned to them), or ``None``
    for every position in DataFrame order. "Next" always means the next item in serving order
    after a given one, wrapping around to the start, so items passed over by navigation are
    served in the end. :meth:`extend` appends positions (a calibration gate opening).
    """

    def __init__(self, n: int, order: np.ndarray | None = None) -> None:
        self.n = n
        #: Done flag per position; change it through :meth:`mark` and :meth:`clear` only (they
        #: keep :attr:`remaining` counted).
        self.done = np.zeros(n, dtype=bool)
        self._remaining: int | None = None  # counted on first use, then kept by mark()
        self._set_order(order)

    def _set_order(self, order: np.ndarray | None) -> None:
        self._remaining = None
        self.order = None if order is None else np.asarray(order, dtype=np.int64)
        if self.order is None:
            self.size = self.n
            self.rank = None
        else:
            self.size = len(self.order)
            self.rank = np.full(self.n, -1, dtype=np.int64)
            self.rank[self.order] = np.arange(self.size)

    def extend(self, positions: np.ndarray | list[int]) -> None:
        """Serve ``positions`` after the ones already in the queue (those already in it stay
        where they are)."""
        current = np.arange(self.n) if self.order is None else self.order
        new = np.asarray(positions, dtype=np.int64)
        new = new[self.rank[new] < 0] if self.rank is not None else new[:0]
        self._set_order(np.concatenate([current, new]))

    def rearrange(self, order: np.ndarray) -> None:
        """Serve the same positions in a new ``order`` (an active ordering re-ranking them)."""
        order = np.asarray(order, dtype=np.int64)
        if len(order) != self.size or (self.rank is not None and (self.rank[order] < 0).any()):
            raise ValueError("a re-ranked queue must hold the same positions")
        self._set_order(order)

    def serves(self, pos: int) -> bool:
        """Whether position ``pos`` is in this queue."""
        return self.rank is None or self.rank[pos] >= 0

    def rank_of(self, pos: int) -> int:
        """Serving rank of position ``pos`` (-1 when the queue does not serve it)."""
        return pos if self.rank is None else int(self.rank[pos])

    def at_rank(self, rank: int) -> int:
        """Position served at ``rank``."""
        return rank if self.order is None else int(self.order[rank])

    def mark(self, pos: int, done: bool = True) -> None:
        """Set whether the item at ``pos`` is done (labeled or skipped)."""
        if self._remaining is not None and bool(self.done[pos]) != bool(done) and self.serves(pos):
            self._remaining += -1 if done else 1
        self.done[pos] = done

    def clear(self) -> None:
        """Mark every item not done."""
        self.done[:] = False
        self._remaining = None

    def next_undone(self, after: int | None, count: int = 1) -> list[int]:
        """Up to ``count`` undone positions after position ``after`` (``None`` or a position
        outside the queue: from the start)."""
        if self.size == 0:
            return []
        rank_after = -1 if after is None else self.rank_of(after)
        start = rank_after + 1
        if count == 1 and start < self.size:  # the next item after a label: usually undone
            pos = self.at_rank(start)
            if not self.done[pos] and pos != after:
                return [pos]
        found: list[int] = []
        chunk = max(256, count * 8)
        scanned = 0
        rank = start if start < self.size else 0
        while scanned < self.size and len(found) < count:
            stop = min(rank + chunk, self.size, rank + self.size - scanned)
            span = np.arange(rank, stop)
            positions = span if self.order is None else self.order[span]
            hits = positions[~self.done[positions]]
            for p in hits[: count - len(found)]:
                if after is None or int(p) != after:
                    found.append(int(p))
            scanned += stop - rank
            rank = 0 if stop == self.size else stop
            chunk *= 2
        return found

    def neighbour(self, pos: int, step: int) -> int | None:
        """Position ``step`` ranks away from ``pos`` in serving order (no wrap)."""
        rank = self.rank_of(pos)
        if rank < 0:
            return None
        rank += step
        if 0 <= rank < self.size:
            return self.at_rank(rank)
        return None

    @property
    def remaining(self) -> int:
        """How many served items are not done."""
        if self._remaining is None:
            if self.order is None:
                self._remaining = int(self.n - self.done.sum())
            else:
                self._remaining = int(self.size - self.done[self.order].sum())
        return self._remaining
