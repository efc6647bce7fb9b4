"""A session's events as frames: the stored key of each row, and the rows on production items."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..core import ids


def item_keys(frame: pd.DataFrame) -> list[str]:
    """The stored item key of each row of an annotations frame."""
    return ids.encode_many(pd.Index(frame["item_id"])) if len(frame) else []


def production_events(frame: pd.DataFrame, gold: set[str] | dict[str, Any]) -> pd.DataFrame:
    """The rows of an annotations frame that are not about a gold item (keys in ``gold``)."""
    if frame.empty:
        return frame
    keys = item_keys(frame)
    return frame[np.fromiter((key not in gold for key in keys), dtype=bool, count=len(keys))]
