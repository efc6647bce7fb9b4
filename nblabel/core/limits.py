"""What the store can hold: the checks text passes before nblabel accepts it.

Both backends keep the same values, so a value is refused here — when it is given, with an error
that names it — and never later, by one backend's driver, after a widget has queued it:

- text kept as text (item ids, task and annotator names, comments, guidelines) holds no NUL
  character (PostgreSQL text cannot) and no lone surrogate (not UTF-8, which both need);
- task and annotator names (and the few other keys of B-tree indexes) are at most
  :data:`MAX_NAME_BYTES` bytes in UTF-8, so that no index entry exceeds PostgreSQL's limit
  (about 2,700 bytes). Item ids have no limit: PostgreSQL indexes them through a hash.

JSON columns need no check: :func:`json_text` always gives text both backends keep.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

__all__ = [
    "MAX_NAME_BYTES",
    "check_key",
    "check_name",
    "check_text",
    "first_unstorable",
    "json_text",
    "storable_json",
]

#: Longest task or annotator name (and guidelines version, client id) in UTF-8 bytes. Two such
#: names share one index entry (task, annotator, id): 2 x 1,024 bytes stay under PostgreSQL's
#: B-tree limit of 2,704 bytes whatever the characters.
MAX_NAME_BYTES = 1024
#: How much of a long value an error message quotes.
QUOTE_CHARS = 60


def quote(value: str) -> str:
    """``repr`` of a value for an error message, shortened when long (with its length)."""
    if len(value) <= QUOTE_CHARS:
        return repr(value)
    return f"{value[:QUOTE_CHARS]!r}… ({len(value):,} characters)"


def text_problem(value: str) -> str | None:
    """What makes ``value`` unfit to be stored as text, or ``None`` when it is fine."""
    at = value.find("\x00")
    if at >= 0:
        return (
            f"contains a NUL character (\\x00) at position {at}, which the store cannot keep "
            "(PostgreSQL text cannot hold it)"
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        return (
            f"is not valid Unicode text: a lone surrogate {value[exc.start]!r} at position {exc.start} "
            "(text decoded with errors='surrogateescape'?) cannot be stored"
        )
    return None


def check_text(value: Any, what: str) -> str:
    """``value`` if the store can keep it as text; ``TypeError``/``ValueError`` naming it otherwise."""
    if type(value) is str and value.isascii() and "\x00" not in value:
        return value  # the common case, checked without encoding (ASCII has no surrogates)
    if not isinstance(value, str):
        raise TypeError(f"{what} must be text, got {type(value).__name__}")
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(f"{what} {quote(value)} {problem}")
    return value


def check_name(value: Any, what: str) -> str:
    """A task or annotator name: non-blank text the store can keep, at most
    :data:`MAX_NAME_BYTES` bytes in UTF-8."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return check_key(value, what)


def check_key(value: Any, what: str) -> str:
    """Text that an index key holds (a name, a client id): storable, at most
    :data:`MAX_NAME_BYTES` bytes in UTF-8 (blank is allowed here: the callers decide)."""
    if type(value) is str and value.isascii() and len(value) <= MAX_NAME_BYTES and "\x00" not in value:
        return value  # the common case: ASCII text is one byte a character
    check_text(value, what)
    size = len(value.encode("utf-8"))
    if size > MAX_NAME_BYTES:
        raise ValueError(
            f"{what} {quote(value)} is {size:,} bytes long in UTF-8; names may be at most "
            f"{MAX_NAME_BYTES:,} bytes (the store indexes them)"
        )
    return value


def first_unstorable(values: Sequence[str], *, nul_ok: bool = False) -> int | None:
    """Position of the first string of ``values`` the store cannot keep as text, or ``None``
    (``nul_ok``: only lone surrogates count, for text that goes into JSON, which escapes NUL).

    Fast for the common case of no problem (one join and one encode for a million ids)."""
    if not len(values):
        return None
    joined = "".join(values)
    if nul_ok or "\x00" not in joined:
        try:
            joined.encode("utf-8")
            return None
        except UnicodeEncodeError:
            pass
    for pos, value in enumerate(values):
        problem = text_problem(value.replace("\x00", "") if nul_ok else value)
        if problem is not None:
            return pos
    return None  # pragma: no cover - the join found a problem, so some value has it


#: ``json.dumps(value, ensure_ascii=False)`` without building an encoder per call.
_READABLE = json.JSONEncoder(ensure_ascii=False)


def json_text(value: Any, **options: Any) -> str:
    """``json.dumps`` that both backends can store: non-ASCII stays readable, but a value holding
    a lone surrogate (which UTF-8 cannot encode) is written with ``\\u`` escapes instead."""
    text = json.dumps(value, ensure_ascii=False, **options) if options else _READABLE.encode(value)
    return storable_json(text)


def storable_json(text: str) -> str:
    """JSON text as given, or re-encoded with ASCII escapes when it cannot be encoded as UTF-8
    (JSON escapes NUL itself, so only lone surrogates need this)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(json.loads(text), ensure_ascii=True, separators=(",", ":"))
    return text
