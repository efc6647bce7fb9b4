"""How close a value is to a gold answer, and whether annotators' values agree — asked of the
task kind (see :mod:`nblabel.kinds`).

Scores lie in [0, 1]: 1 is a perfect answer. Classify and Compare answers are right or wrong
(a label set must match exactly; a comparison must make the same choice, strength aside; a
ranking must be the same); Spans and Boxes get partial credit: the F1 of exact span matches
(same start, end and label), or of boxes matched at IoU ≥ 0.5 with the same label.
"""

from __future__ import annotations

from typing import Any

from ..core import registry

__all__ = ["gold_score", "values_agree"]


def gold_score(task_kind: str, value: Any, gold: Any) -> float:
    """Score of ``value`` against the gold answer ``gold`` (both in stored form) for a task of
    ``task_kind`` ("classify", "spans", "boxes", "compare")."""
    return registry.get(task_kind).gold_score(value, gold)


def values_agree(task_kind: str, a: Any, b: Any) -> bool:
    """Whether two annotators gave the same answer (for unanimity and adjudication)."""
    return registry.get(task_kind).values_agree(a, b)
