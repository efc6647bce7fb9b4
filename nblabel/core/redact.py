"""Passwords out of every message: a store URL may carry one in several forms.

:func:`mask_passwords` hides them in any text: the userinfo of a URL
(``postgresql://ana:s3cret@host/db``), query parameters (``?password=``, ``&passwd=``,
``sslpassword=``, percent-encoded names or ``=``), and libpq ``key=value`` connection strings
(``host=db password='s 3'``). :func:`secrets_in` finds the secrets themselves (raw and
percent-decoded), so that a message that quotes one in some other way is masked too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, unquote_plus

__all__ = ["MASK", "mask_passwords", "secrets_in"]

MASK = "***"

#: Parameter names whose value is a secret (compared after percent-decoding, case-insensitively).
_SECRET_NAME = re.compile(r"(?:^|_)(?:ssl)?(?:password|passwd|pass|pwd|secret|token)$")
#: The userinfo of a URL: ``scheme://user:password@`` (the password runs to the last ``@``
#: before a space, as SQLAlchemy reads it: more is masked rather than less).
_USERINFO = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@]*:)(?P<secret>\S*)(?P<tail>@)")
#: ``name=value`` in a query string or a key=value connection string; ``=`` may be written
#: ``%3D``, the value may be quoted (libpq: single quotes, backslash escapes).
_PAIR = re.compile(
    r"(?P<name>(?:(?!%3[Dd]|%26)[A-Za-z0-9_.%+\-])+)(?P<sep>\s*(?:=|%3[Dd])\s*)"
    r"(?P<secret>'(?:[^'\\]|\\.)*'?|\"(?:[^\"\\]|\\.)*\"?|(?:(?!%26|%20)[^\s&;,'\"])*)"
)
#: Literal secrets shorter than this are not searched for in free text (they would mask words).
MIN_LITERAL = 3


def _is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(unquote_plus(name).strip().lower()))


def mask_passwords(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every password replaced by ``***``: URL userinfo, secret query parameters,
    ``key=value`` pairs, and any of ``secrets`` (raw or percent-encoded) found elsewhere."""
    if not text:
        return text
    text = _USERINFO.sub(lambda m: f"{m['head']}{MASK}{m['tail']}", text)

    def pair(m: re.Match[str]) -> str:
        if not m["secret"] or not _is_secret_name(m["name"]):
            return m[0]
        return f"{m['name']}{m['sep']}{MASK}"

    text = _PAIR.sub(pair, text)
    for secret in sorted(_variants(secrets), key=len, reverse=True):
        text = text.replace(secret, MASK)
    return text


def secrets_in(text: str) -> list[str]:
    """The passwords ``text`` holds (URL userinfo, secret parameters, key=value pairs), each as
    written and percent-decoded."""
    found: list[str] = []
    for m in _USERINFO.finditer(text):
        found.append(m["secret"])
    for m in _PAIR.finditer(text):
        if m["secret"] and _is_secret_name(m["name"]):
            value = m["secret"]
            if len(value) >= 2 and value[0] in "'\"" and value[-1] == value[0]:
                value = value[1:-1]
            found.append(value)
    return [s for s in _variants(found)]


def _variants(secrets: Iterable[str]) -> set[str]:
    """Each secret as given, percent-decoded and percent-encoded (how messages may quote it)."""
    out: set[str] = set()
    for secret in secrets:
        if not secret:
            continue
        decoded = unquote_plus(secret)
        for form in (secret, decoded, quote(secret, safe=""), quote(decoded, safe="")):
            if len(form) >= MIN_LITERAL and form != MASK:
                out.add(form)
    return out
