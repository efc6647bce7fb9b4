"""One background thread that lets open widgets look at the store about once a second.

A widget shown in a browser asks to be polled (:func:`watch`); its ``_poll()`` then runs on
this thread, never on the kernel's. Widgets are held weakly and :func:`unwatch` removes one at
``close()``, so a forgotten widget costs nothing.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any

__all__ = ["watch", "unwatch", "INTERVAL"]

#: Seconds between two looks at the store.
INTERVAL = 1.0

_log = logging.getLogger(__name__)
_watched: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()
_thread: threading.Thread | None = None


def watch(target: Any) -> None:
    """Call ``target._poll()`` every :data:`INTERVAL` seconds until :func:`unwatch`."""
    global _thread
    with _lock:
        _watched.add(target)
        if _thread is None or not _thread.is_alive():
            _thread = threading.Thread(target=_run, name="nblabel-poller", daemon=True)
            _thread.start()


def unwatch(target: Any) -> None:
    """Stop polling ``target``."""
    with _lock:
        _watched.discard(target)


def _run() -> None:
    while True:
        time.sleep(INTERVAL)
        with _lock:
            targets = list(_watched)
        for target in targets:
            try:
                target._poll()
            except Exception:  # one widget's failure must not stop the others' polling
                _log.exception("nblabel: polling %r failed", target)
        del targets
