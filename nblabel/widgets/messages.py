"""Checking what a caller or the browser sends with an action: a flag comment or rationale,
the browser's id of the action, its active time, and the short error text sent back."""

from __future__ import annotations

from typing import Any

from ..core.limits import check_text

#: Longest accepted flag comment (or adjudication rationale).
MAX_COMMENT = 5_000
#: Longest active time accepted for one action (a day, in milliseconds).
MAX_ACTIVE_MS = 24 * 3600 * 1000


def check_comment(comment: Any) -> str:
    """``comment`` if it is text the store can hold and at most :data:`MAX_COMMENT` characters
    long; ``TypeError``/``ValueError`` naming the problem otherwise."""
    if not isinstance(comment, str):
        raise TypeError(f"a flag comment must be text, got {type(comment).__name__}")
    if len(comment) > MAX_COMMENT:
        raise ValueError(f"a flag comment may hold {MAX_COMMENT} characters, got {len(comment)}")
    return check_text(comment, "the comment")


def browser_seqs(msg: dict[str, Any]) -> list[Any] | None:
    """The browser's id for an acknowledged action: opaque (``client/n``), echoed in the ack."""
    seq = msg.get("seq")
    if isinstance(seq, (str, int)) and not isinstance(seq, bool):
        return [seq]
    return None


def clamp_ms(value: Any) -> int | None:
    """An active time from the browser as whole milliseconds in ``[0, MAX_ACTIVE_MS]``, or
    ``None`` when it is not a number."""
    if not isinstance(value, (int, float)) or value != value:
        return None
    return max(0, min(int(value), MAX_ACTIVE_MS))


def short_error(exc: BaseException) -> str:
    """The first line of an error, at most 300 characters (what the browser shows)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
