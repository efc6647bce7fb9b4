"""What a session's stored plan says about its task's events, for every layer that reads them.

A session (:mod:`nblabel.sessions`) stores its plan in ``nbl_sessions``
(``store.session_config(task)``): among others its gold answers (``config["gold"]``: ``[key,
answer]`` pairs, the calibration items among them) and ``gold_threshold``. Agreement counts
*production* items only: the events about a gold item, and those about a repeated item
(test–retest: its id is the original's key behind :data:`REPEAT_PREFIX`), are left out. Gold
accuracy counts each annotator's *first* answer to a gold item. Both the session (its report,
progress, quality over time) and the live dashboard (in the widgets layer, which never imports
sessions) read the events this way, so they count the same items; these pure functions are the
one place that says how.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from . import ids

__all__ = [
    "REPEAT_PREFIX",
    "first_answers_frame",
    "gold_answers",
    "gold_mask",
    "is_repeat",
    "item_keys",
    "production_events",
    "production_mask",
]

#: What a repeated item's stored key starts with (the original's key follows).
REPEAT_PREFIX = "nblabel-repeat:"


def is_repeat(key: str) -> bool:
    """Whether a stored key names a repeated item (test–retest), not a production item."""
    return key.startswith(REPEAT_PREFIX)


def gold_answers(config: Mapping[str, Any] | None) -> dict[str, Any]:
    """The gold answers of a session's stored plan by item key (calibration items included);
    empty for ``None`` (a task that is not a session)."""
    return {key: value for key, value in (config or {}).get("gold", [])}


def item_keys(frame: pd.DataFrame) -> list[str]:
    """The stored item key of each row of an annotations frame."""
    return ids.encode_many(pd.Index(frame["item_id"])) if len(frame) else []


def gold_mask(keys: list[str], gold: Mapping[str, Any] | set[str]) -> np.ndarray:
    """Which of the item ``keys`` are gold items (keys in ``gold``; hashed in C)."""
    if not gold or not keys:
        return np.zeros(len(keys), dtype=bool)
    return pd.Index(keys, dtype=object).isin(list(gold))


def production_mask(keys: list[str], gold: Mapping[str, Any] | set[str]) -> np.ndarray:
    """Which of the item ``keys`` are production items: not gold (keys in ``gold``), not a repeat."""
    repeat = np.fromiter((key.startswith(REPEAT_PREFIX) for key in keys), dtype=bool, count=len(keys))
    return ~(gold_mask(keys, gold) | repeat)


def production_events(frame: pd.DataFrame, gold: Mapping[str, Any] | set[str]) -> pd.DataFrame:
    """The rows of an annotations frame about production items (see :func:`production_mask`)."""
    if frame.empty:
        return frame
    return frame[production_mask(item_keys(frame), gold)]


def first_answers_frame(frame: pd.DataFrame, keys: list[str] | None = None) -> pd.DataFrame:
    """Each annotator's first label or skip of each item (repeats left out), in log order (by
    event id), with its stored ``key`` column. ``keys``: the rows' stored keys when known."""
    answered = frame["kind"].isin(["label", "skip"]).to_numpy()
    row_keys = pd.Series(keys if keys is not None else item_keys(frame), index=frame.index, dtype=object)
    first = frame[answered].assign(key=row_keys[answered])
    first = first[~first["key"].map(is_repeat).astype(bool)] if len(first) else first
    first = first.sort_values("id", kind="stable")
    return first.drop_duplicates(["key", "annotator"], keep="first")
