"""A small least-recently-used cache of per-item values (offsets, tokens, decoded images)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class Recent:
    """The last ``size`` values computed by key; older ones are dropped first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        # A widget's background work (suggestions) reads the same caches as its key presses.
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value for ``key``, computed with ``make()`` the first time (outside the lock:
        two threads may both compute it; the first stored stays)."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = make()
        with self._lock:
            value = self._values.setdefault(key, value)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value
