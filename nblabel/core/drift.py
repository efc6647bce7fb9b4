"""Rolling gold accuracy and the drift flag: one definition for the session's quality over time
and the live dashboard.

An annotator *drifts* when the mean score of their last ``window`` first answers to gold items
falls under the session's ``gold_threshold`` — a recent slide that the accuracy over all their
gold answers can hide. With fewer than ``window`` gold answers there is no rolling figure yet
(NaN) and no flag.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["DRIFT_WINDOW", "drifting", "rolling_accuracy"]

#: Gold answers the rolling accuracy is the mean of.
DRIFT_WINDOW = 10
#: Tolerance of the comparison with the threshold (a mean of 0.9 exactly is not under 0.9).
_EPS = 1e-12


def rolling_accuracy(scores: Sequence[float] | np.ndarray, window: int = DRIFT_WINDOW) -> float:
    """The mean of the last ``window`` gold scores (``scores`` in the order they were given;
    NaN with fewer than ``window``)."""
    if window < 1:
        raise ValueError(f"window={window} must be at least 1")
    if len(scores) < window:
        return math.nan
    return float(np.mean(np.asarray(scores[len(scores) - window :], dtype=float)))


def drifting(rolling: float, threshold: float) -> bool:
    """Whether a rolling gold accuracy is under ``threshold`` (never for NaN)."""
    return bool(not math.isnan(rolling) and rolling < threshold - _EPS)
