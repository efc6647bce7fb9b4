"""The order in which one annotator is served items, and which of them are done."""

from __future__ import annotations

import numpy as np


class Queue:
    """Items in serving order with a done flag each.

    ``order`` is a permutation of positions (``None`` = DataFrame order). "Next" always means
    the next item in serving order after a given one, wrapping around to the start, so items
    passed over by navigation are served in the end.
    """

    def __init__(self, n: int, order: np.ndarray | None = None) -> None:
        self.n = n
        self.order = order
        self.rank = None if order is None else np.argsort(order)
        self.done = np.zeros(n, dtype=bool)

    def rank_of(self, pos: int) -> int:
        """Serving rank of position ``pos``."""
        return pos if self.rank is None else int(self.rank[pos])

    def at_rank(self, rank: int) -> int:
        """Position served at ``rank``."""
        return rank if self.order is None else int(self.order[rank])

    def mark(self, pos: int, done: bool = True) -> None:
        """Set whether the item at ``pos`` is done (labeled or skipped)."""
        self.done[pos] = done

    def next_undone(self, after: int | None, count: int = 1) -> list[int]:
        """Up to ``count`` undone positions after position ``after`` (``None``: from the start)."""
        if self.n == 0:
            return []
        start = 0 if after is None else self.rank_of(after) + 1
        found: list[int] = []
        chunk = max(256, count * 8)
        scanned = 0
        rank = start
        while scanned < self.n and len(found) < count:
            stop = min(rank + chunk, self.n, rank + self.n - scanned)
            span = np.arange(rank, stop)
            positions = span if self.order is None else self.order[span]
            hits = positions[~self.done[positions]]
            for p in hits[: count - len(found)]:
                if after is None or int(p) != after:
                    found.append(int(p))
            scanned += stop - rank
            rank = 0 if stop == self.n else stop
            chunk *= 2
        return found

    def neighbour(self, pos: int, step: int) -> int | None:
        """Position ``step`` ranks away from ``pos`` in serving order (no wrap)."""
        rank = self.rank_of(pos) + step
        if 0 <= rank < self.n:
            return self.at_rank(rank)
        return None

    @property
    def remaining(self) -> int:
        """How many items are not done."""
        return int(self.n - self.done.sum())
