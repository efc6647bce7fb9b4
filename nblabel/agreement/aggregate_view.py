"""What a live view (the dashboard) shows of ``nl.aggregate``: a model's labels beside the
majority vote, as JSON-ready data.

The models are unstable on a small pilot, so they are shown beside majority vote, never
instead of it: how many items the model labels otherwise than the majority, how many majority
votes are ties, how many of its labels it is unsure of, and per label how often each gives it.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..core import registry
from ..core.frames import RecordedTask, record_tasks
from .aggregate import SmallPilotWarning, aggregate

__all__ = ["LOW_CONFIDENCE", "MAX_ROWS", "METHOD_NAMES", "aggregation_summary"]

#: A model's label with a posterior under this counts as unsure.
LOW_CONFIDENCE = 0.8
#: Most labels listed (the most frequent under either rule).
MAX_ROWS = 50
#: How the dashboard names the methods of ``nl.aggregate``.
METHOD_NAMES = {
    "majority": "majority vote", "wawa": "Wawa", "dawid_skene": "Dawid–Skene", "one_coin": "one-coin",
    "glad": "GLAD", "mace": "MACE",
}  # fmt: skip


def aggregation_summary(
    frame: pd.DataFrame,
    method: str,
    *,
    task: str,
    kind: str,
    labels: Sequence[Any] | None,
    config: Mapping[str, Any],
) -> dict[str, Any] | None:
    """``method``'s labels of the standing labels in ``frame`` (one task's events) beside the
    majority vote; ``None`` when the task's kind has no aggregation (spans, boxes, rankings).

    Returns ``method`` and its ``name``, ``items``, ``differ`` (items whose model label is not
    the majority's), ``majority_ties``, ``unsure`` (posterior under :data:`LOW_CONFIDENCE`),
    ``per_label`` (``label``, ``majority``, ``model``: items given it, the most frequent
    :data:`MAX_ROWS`; a multi-label item counts under each label of its set) and ``note`` (why the
    model may be unstable here, or "")."""
    scheme = getattr(registry.for_task(kind, config), "aggregation_scheme", None)
    try:
        if scheme is None:  # a kind registered from outside that predates aggregation
            return None
        scheme(list(labels) if labels else None, config)
    except ValueError:
        return None
    recorded = record_tasks(frame.copy(deep=False), {task: RecordedTask(task, kind, labels or (), config)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", SmallPilotWarning)
        result = aggregate(recorded, method, task=task)
    notes = [str(w.message) for w in caught if issubclass(w.category, SmallPilotWarning)]
    model, majority = _counts(result["label"]), _counts(result["majority"])
    shown = sorted(set(model) | set(majority), key=lambda v: (-max(model[v], majority[v]), str(v)))[:MAX_ROWS]
    return {
        "method": method,
        "name": METHOD_NAMES.get(method, method),
        "items": int(len(result)),
        "differ": int((~result["agrees_with_majority"].astype(bool)).sum()),
        "majority_ties": int(result["majority_tie"].astype(bool).sum()),
        "unsure": int((result["confidence"] < LOW_CONFIDENCE).sum()),
        "per_label": [{"label": str(v), "majority": majority[v], "model": model[v]} for v in shown],
        "label_count": len(set(model) | set(majority)),
        "note": notes[0] if notes else "",
    }


def _counts(values: pd.Series) -> Counter[Any]:
    """Items per label; a label set counts under each of its labels."""
    try:
        return Counter(values.value_counts(dropna=True).to_dict())  # labels: counted in C
    except TypeError:  # label sets (lists): each of their labels
        return Counter(values.explode().dropna().value_counts().to_dict())
