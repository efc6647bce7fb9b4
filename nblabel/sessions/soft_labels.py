"""Soft labels of a session: each production item's distribution of labels over its annotators
(and, with a model-based method, the model's posterior), and each item's agreement.

A soft label gives each category the share of the item's annotators whose value has it: for a
classify task or the choices of a compare task the shares sum to 1; for a multi-label task each
label's share is the share of annotators who put it (the shares need not sum to 1). The
categories are those the task's kind aggregates (``TaskKind.aggregation_scheme``); a kind
without categories (spans, boxes, rankings) has no soft labels, only agreement.
"""

from __future__ import annotations

import math
from itertools import combinations
from typing import Any

import pandas as pd

from ..agreement.report import sort_key
from ..core import registry
from ..core.registry import AggregationScheme
from .decisions import labels_by_annotator, ratings_by_item
from .resolution import Resolution, aggregation_scheme, task_config

__all__ = ["SOFT_COLUMNS", "item_agreement", "soft_labels", "vote_shares"]

#: Columns of :func:`soft_labels` (``posterior`` only with a method).
SOFT_COLUMNS = ["n_annotators", "soft_label", "agreement", "posterior"]


def soft_labels(
    session: Any, method: str | None = None, *, resolution: Resolution | None = None
) -> pd.DataFrame:
    """One row per production item of ``session``, indexed by item id: ``n_annotators``,
    ``soft_label`` (category → share of the annotators; ``{}`` when nobody labeled the item),
    ``agreement`` (see :func:`item_agreement`) and ``posterior`` (category → the method's
    probability; ``None`` without a method or for items it did not rate). ``ValueError`` for
    a kind without categories. (``resolution``: the method's result when the caller has it.)"""
    scheme = aggregation_scheme(session)
    if resolution is None and method is not None:
        resolution = Resolution(session, method, None)
    posterior = _posteriors(resolution)
    kind = registry.for_task(session.kind, task_config(session))
    ratings = ratings_by_item(session.store, session.task, session.gold)
    index = session.frame.index[: session.n_production].rename("item_id")
    rows = []
    for item_id, key in zip(index, session.keys[: session.n_production], strict=True):
        labels = list(labels_by_annotator(ratings.get(key, [])).values())
        rows.append({
            "n_annotators": len(labels), "soft_label": vote_shares(scheme, labels),
            "agreement": item_agreement(kind.values_agree, labels), "posterior": posterior.get(item_id),
        })  # fmt: skip
    frame = pd.DataFrame(rows, index=index, columns=SOFT_COLUMNS)
    for column in ("soft_label", "posterior"):
        frame[column] = pd.Series([row[column] for row in rows], index=index, dtype=object)
    return frame


def vote_shares(scheme: AggregationScheme, values: list[Any]) -> dict[Any, float]:
    """Category → share of ``values`` that have it (in the scheme's order of categories, else
    natural order); categories nobody gave are left out."""
    if not values:
        return {}
    counts: dict[Any, int] = {}
    for value in values:
        category = scheme.category(value) if scheme.category is not None else value
        for c in set(category) if scheme.multi else [category]:
            counts[c] = counts.get(c, 0) + 1
    if scheme.categories is not None:
        order = {c: i for i, c in enumerate(scheme.categories)}
        ranked = sorted(counts, key=lambda c: (order.get(c, len(order)), sort_key(c)))
    else:
        ranked = sorted(counts, key=sort_key)
    return {c: counts[c] / len(values) for c in ranked}


def item_agreement(agree: Any, values: list[Any]) -> float:
    """The share of an item's pairs of annotators who gave the same answer (the kind's
    ``values_agree``); NaN with fewer than two."""
    pairs = list(combinations(values, 2))
    if not pairs:
        return math.nan
    return sum(bool(agree(a, b)) for a, b in pairs) / len(pairs)


def _posteriors(resolution: Resolution | None) -> dict[Any, dict[Any, float]]:
    """Item id → category → the method's probability (multi-label: of each label present)."""
    if resolution is None or resolution.result is None or resolution.method == "majority":
        return {}
    proba = resolution.result.probabilities
    columns = list(proba.columns)
    return {
        item: {c: float(p) for c, p in zip(columns, row, strict=True)}
        for item, row in zip(proba.index, proba.to_numpy(dtype=float), strict=True)
    }
