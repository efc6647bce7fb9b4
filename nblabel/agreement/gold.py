"""How close a value is to a gold answer, and whether annotators' values agree — per task kind.

Scores lie in [0, 1]: 1 is a perfect answer. Classify and Compare answers are right or wrong
(a label set must match exactly; a comparison must make the same choice, strength aside; a
ranking must be the same); Spans and Boxes get partial credit: the F1 of exact span matches
(same start, end and label), or of boxes matched at IoU ≥ 0.5 with the same label.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

from .matching import box_agreement, span_agreement

#: IoU at or above which a box matches a gold box.
BOX_IOU = 0.5


def gold_score(kind: str, value: Any, gold: Any) -> float:
    """Score of ``value`` against the gold answer ``gold`` (both in stored form) for a task of
    ``kind`` ("classify", "spans", "boxes", "compare")."""
    if kind in ("spans", "boxes"):
        gold, value = list(gold or []), list(value or [])
        if not gold or not value:  # an empty answer is right only when the gold is empty too
            return 1.0 if not gold and not value else 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "spans":
                scores = span_agreement(gold, value, mode="exact")
            else:
                scores = box_agreement(gold, value, iou_threshold=BOX_IOU)
        f1 = scores["f1"]
        return 0.0 if f1 is None or math.isnan(f1) else float(f1)
    return 1.0 if _same(kind, value, gold) else 0.0


def values_agree(kind: str, a: Any, b: Any) -> bool:
    """Whether two annotators gave the same answer (for unanimity and adjudication)."""
    return gold_score(kind, a, b) == 1.0


def _same(kind: str, value: Any, gold: Any) -> bool:
    if kind == "compare":
        if isinstance(gold, Mapping) and isinstance(value, Mapping):
            return value.get("choice") == gold.get("choice")
        if isinstance(gold, list) and isinstance(value, list):  # rankings: tie groups in order
            return [sorted(map(str, g)) for g in value] == [sorted(map(str, g)) for g in gold]
        return False
    if isinstance(gold, list) or isinstance(value, list):  # multi-label: the same set
        as_set = lambda v: {str(x) for x in (v if isinstance(v, list) else [v])}  # noqa: E731
        return as_set(value) == as_set(gold)
    return value == gold
