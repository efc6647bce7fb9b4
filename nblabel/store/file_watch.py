"""The file under a SQLite store, watched: a store notices when its path comes to name another
file or none (:meth:`FileWatch.check_file`), lets go of the file it opened, and adopts the one
now at the path (:meth:`FileWatch.reopen`)."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import URL, Engine

from .errors import StoreUnavailable
from .sqlite_file import file_identity

__all__ = ["FileWatch"]


class FileWatch:
    """Mixin of :class:`~nblabel.store.Store`: the identity of its SQLite file, checked before
    and after every write."""

    # provided by Store
    url: URL
    backend: str
    engine: Engine
    _lock: threading.RLock
    _ensure_schema: Callable[[], None]

    _identity: tuple[int, int] | None = None
    _anchor: sqlite3.Connection | None = None

    def _watch_file(self) -> None:
        """Remember which file a SQLite store opened (device and inode), to notice later that
        its path names another file or none.

        An *anchor* connection stays on that file: when the path comes to name another file,
        the anchor checkpoints and empties the write-ahead log that sits beside the path, which
        would otherwise be replayed into whatever file is put there next.
        """
        self._identity = file_identity(self.url) if self.backend == "sqlite" else None
        if self._identity is not None and self._anchor is None:
            self._anchor = sqlite3.connect(self.url.database or "", check_same_thread=False, timeout=5)

    def check_file(self) -> None:
        """Raise :class:`StoreUnavailable` if the store's SQLite file was deleted, moved or
        replaced since it was opened (no-op for other backends and in-memory stores)."""
        if self._identity is None:
            return
        now = file_identity(self.url)
        if now == self._identity:
            return
        self._release_file()
        path = self.url.database
        if now is None:
            raise StoreUnavailable(f"the store file {path} was deleted or moved while it was open")
        raise StoreUnavailable(f"the store file {path} was replaced by another file while it was open")

    def _release_file(self) -> None:
        """Let go of a file that is no longer at the store's path (once): every pooled
        connection closes, and the anchor writes the log into that file and empties it."""
        with self._lock:
            anchor, self._anchor = self._anchor, None
            if anchor is None:
                return
            self.engine.dispose()
            with contextlib.suppress(sqlite3.Error):
                anchor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            anchor.close()

    def reset(self) -> None:
        """Drop every pooled connection, so the next operation connects afresh (a connection
        opened while the file was read-only, or to a server that restarted, stays broken)."""
        self.engine.dispose()

    def reopen(self, *, create: bool = False) -> None:
        """Adopt the file now at a SQLite store's path after :meth:`check_file` failed: a file
        moved back or replaced by another store is used from now on (its tables are created if
        missing). A missing file is created only when ``create`` is true; otherwise
        :class:`StoreUnavailable` says it is still missing."""
        if self.backend != "sqlite" or self._identity is None:
            self.reset()
            return
        path = Path(self.url.database or "")
        if not path.exists() and not create:
            raise StoreUnavailable(f"the store file {path} was deleted or moved, and is still missing")
        self._release_file()
        self.reset()
        self._ensure_schema()
        self._watch_file()
