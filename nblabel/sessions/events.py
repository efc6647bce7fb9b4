"""A session's events as frames: the stored key of each row, and the rows on production items."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import ids
from .repeats import is_repeat


def item_keys(frame: pd.DataFrame) -> list[str]:
    """The stored item key of each row of an annotations frame."""
    return ids.encode_many(pd.Index(frame["item_id"])) if len(frame) else []


def production_events(frame: pd.DataFrame, gold: set[str] | dict[str, Any]) -> pd.DataFrame:
    """The rows of an annotations frame about production items: not a gold item (keys in
    ``gold``) and not a repeat (:mod:`nblabel.sessions.repeats`: a repeat's answer counts for the
    annotator's self-agreement only, never as a second production label)."""
    if frame.empty:
        return frame
    keys = item_keys(frame)
    keep = np.fromiter((key not in gold and not is_repeat(key) for key in keys), dtype=bool, count=len(keys))
    return frame[keep]
