"""What a store raises when an operation cannot succeed: :class:`StoreError`, and the two
transient kinds a widget keeps its events through and retries (:class:`StoreUnavailable`,
:class:`StoreAccessError`)."""

from __future__ import annotations

__all__ = ["StoreAccessError", "StoreError", "StoreUnavailable"]


class StoreError(RuntimeError):
    """A store operation that cannot succeed as asked (not a transient failure)."""


class StoreUnavailable(StoreError):
    """The store cannot be written now but may be later (its file was deleted or replaced while
    open): a widget keeps its events pending and retries."""

    transient = True


class StoreAccessError(StoreError):
    """The store's file or server cannot be used as it is: not a SQLite database, damaged,
    read-only, a directory, unreachable. The message names the path (or server) and says what is
    wrong. Fixing it outside nblabel makes the store usable again, so a widget keeps its events
    and retries."""

    transient = True
