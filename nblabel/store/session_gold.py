"""Where a session's gold answers live: ``nbl_session_gold``, out of the session's config.

The config (``nbl_sessions.config``) is what every process of a session reads, annotator roles
included (see :mod:`nblabel.store.roles`), so it keeps only the gold items' keys
(``gold_keys``, in pool order); the answers and explanations are rows of ``nbl_session_gold``,
which annotator roles cannot read. The session's owner reads the config with its ``gold`` list
put back (:func:`merge_gold`), as it was stored before schema 4.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from ..core import limits
from . import schema

__all__ = ["GOLD_KEYS", "merge_gold", "read_gold_rows", "split_gold_rows"]

#: The config key holding the gold items' keys in pool order (their answers are not in the config).
GOLD_KEYS = "gold_keys"

#: PostgreSQL's SQLSTATE for "permission denied" (insufficient privilege).
INSUFFICIENT_PRIVILEGE = "42501"


def split_gold_rows(
    task: str, config: Mapping[str, Any], explanations: Mapping[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A session's ``config`` without its ``gold`` list (``[[key, answer], ...]``) but with the
    keys (:data:`GOLD_KEYS`), and the ``nbl_session_gold`` rows of the answers (with the
    ``explanations`` by key)."""
    public = {k: v for k, v in config.items() if k != "gold"}
    pairs = list(config.get("gold") or [])
    public[GOLD_KEYS] = [str(key) for key, _ in pairs]
    rows = [
        {
            "task": task,
            "position": position,
            "key": limits.check_text(str(key), "item id"),
            "value": limits.json_text(value),
            "explanation": None if explanations.get(key) is None else limits.check_text(
                str(explanations[key]), "explanation"
            ),
        }
        for position, (key, value) in enumerate(pairs)
    ]
    return public, rows


def merge_gold(config: dict[str, Any], rows: list[tuple[str, str]]) -> dict[str, Any]:
    """The owner's view of a session's config: ``gold`` (``[[key, answer], ...]`` in pool
    order) from the ``(key, value JSON)`` ``rows`` of ``nbl_session_gold``."""
    return {**config, "gold": [[key, json.loads(value)] for key, value in rows]}


def read_gold_rows(conn: Any, task: str) -> list[tuple[str, str]] | None:
    """The ``(key, value JSON)`` gold rows of ``task`` in pool order, or ``None`` when this
    login may not read them (an annotator role). ``conn`` is left in a failed transaction then:
    use a connection of its own."""
    g = schema.session_gold
    query = sa.select(g.c.key, g.c.value).where(g.c.task == task).order_by(g.c.position)
    try:
        return [(key, value) for key, value in conn.execute(query).all()]
    except sa.exc.ProgrammingError as exc:
        if getattr(exc.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE:
            return None
        raise
