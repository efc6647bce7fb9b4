"""Tell a store failure that may pass from one that never will.

A widget keeps every event it could not write and retries it. That is right while the store is
*unavailable* — locked by another writer, its disk full or read-only, the connection lost, the
server restarting, its file deleted — and wrong when the database *refuses this data* (a
constraint, a value it cannot hold): retrying such an event fails forever and, written strictly
in order, would hold back every event behind it. :func:`is_permanent` draws the line.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from ..core.redact import mask_passwords

__all__ = ["is_permanent", "describe"]

#: PostgreSQL SQLSTATE classes meaning "this statement can never succeed with these values":
#: 22 data exception (NUL bytes, value too long, bad encoding), 23 integrity constraint
#: violation, 54 program limit exceeded (an index row over the B-tree limit).
_PERMANENT_SQLSTATE_CLASSES = ("22", "23", "54")


def is_permanent(exc: BaseException) -> bool:
    """Whether writing the same event again can never succeed.

    Database errors are transient unless the database refused the data itself: SQLite's
    ``IntegrityError``/``DataError`` (a trigger's ``RAISE(ABORT)``, a CHECK, a value too big),
    or a PostgreSQL SQLSTATE of class 22, 23 or 54. Connection, lock, disk, permission and
    server-state errors are transient. An exception that does not come from the database at
    all (the event could not even be encoded) is permanent.
    """
    if isinstance(exc, sa.exc.DBAPIError):
        state = _sqlstate(exc.orig)
        if state is not None:
            return state[:2] in _PERMANENT_SQLSTATE_CLASSES
        return isinstance(exc, (sa.exc.IntegrityError, sa.exc.DataError))
    if isinstance(exc, sa.exc.StatementError):
        # raised while the driver adapted a parameter (psycopg refuses NUL bytes this way)
        return not isinstance(exc.orig, (OSError, ConnectionError, TimeoutError))
    if getattr(exc, "transient", False):  # nblabel's own StoreUnavailable
        return False
    return not isinstance(exc, (sa.exc.SQLAlchemyError, OSError, ConnectionError, TimeoutError))


def describe(exc: BaseException, secrets: Iterable[str | None] = ()) -> str:
    """One line saying what failed, without SQL text, parameters or passwords (any form of a
    URL's password is masked, and so is each of ``secrets``)."""
    orig = getattr(exc, "orig", None)
    source = orig if isinstance(exc, sa.exc.StatementError) and orig is not None else exc
    text = str(source).strip().splitlines()[0] if str(source).strip() else type(source).__name__
    return mask_passwords(text, [s for s in secrets if s])[:300]


def _sqlstate(orig: BaseException | None) -> str | None:
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state if isinstance(state, str) and len(state) == 5 else None
