"""The final label of each item of a task no session decides: what the Hugging Face dataset of
any task holds (``store.export(task, path, format="hf")``).

- one annotator labeled the item: their value (rule ``single``);
- every annotator gave the same value (the kind's ``values_agree``): that value
  (``unanimous``);
- annotators disagree, and the kind's values are categories (``TaskKind.aggregation_scheme``:
  classify labels, multi-label sets label by label, compare choices): the majority vote of
  ``nl.aggregate(method="majority")`` (``majority``; a tie decides nothing); a kind without
  categories (spans, boxes, rankings) leaves the item undecided;
- final labels given by the caller (``given``, e.g. ``values=`` of an export): those, as they
  are (``given``); items without one are undecided.

An item's agreement is the share of its annotators whose value agrees with the final label
(the kind's ``values_agree``); undecided items have none.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..core import registry
from ..core.frames import current_from_annotations, recorded_task
from ..core.models import people_only
from ..core.registry import AggregationScheme
from .aggregate import aggregate
from .aggregate_input import factorize, objects

__all__ = ["CONSENSUS_COLUMNS", "RULES", "category_value", "consensus"]

#: Columns of :func:`consensus`.
CONSENSUS_COLUMNS = ["annotators", "raw_labels", "final_label", "rule", "n_annotators", "agreement"]
#: What decided a final label (``rule``; ``None``: undecided).
RULES = ("single", "unanimous", "majority", "given")


def consensus(
    annotations: pd.DataFrame, *, given: Mapping[Any, Any] | None = None, items: Sequence[Any] = ()
) -> pd.DataFrame:
    """One row per item, indexed by ``item_id`` in natural order (numbers, then text), for the
    items with a standing label in ``annotations`` (the long frame of ``store.annotations(task)``,
    whose recorded kind reads the values), those of ``given`` and ``items``:

    - ``annotators`` (names, sorted) and ``raw_labels`` (each one's standing value, same order);
    - ``final_label`` and ``rule`` (one of :data:`RULES`; both ``None`` when undecided): see the
      module's docstring; ``given`` (item id → final label) replaces the rules;
    - ``n_annotators`` and ``agreement`` (share of the annotators whose value agrees with the
      final label; NaN when undecided or nobody labeled the item).
    """
    recorded = recorded_task(annotations)
    annotations = people_only(annotations)  # model annotators never vote
    config = dict(recorded.config) if recorded is not None else {}
    kind = registry.for_task(recorded.kind if recorded is not None else "classify", config)
    by_item = _standing_labels(annotations)
    ids = _natural([*by_item, *(given or {}), *items])
    votes = {} if given is not None else _majority_votes(annotations, kind, recorded, by_item)
    rows = []
    for item_id in ids:
        labels = by_item.get(item_id, {})
        if given is not None:
            value = given.get(item_id)
            rule = None if value is None else "given"
        else:
            value, rule = _decide(kind, labels, votes.get(item_id))
        agreeing = [bool(kind.values_agree(v, value)) for v in labels.values()] if rule else []
        rows.append({
            "annotators": list(labels), "raw_labels": list(labels.values()), "final_label": value,
            "rule": rule, "n_annotators": len(labels),
            "agreement": sum(agreeing) / len(agreeing) if agreeing else math.nan,
        })  # fmt: skip
    index = pd.Index(objects(ids), name="item_id") if ids else pd.Index([], dtype=object, name="item_id")
    frame = pd.DataFrame(rows, index=index, columns=CONSENSUS_COLUMNS)
    for column in ("final_label", "rule"):  # None stays None (not NaN)
        frame[column] = pd.Series([row[column] for row in rows], index=index, dtype=object)
    frame["n_annotators"] = frame["n_annotators"].astype("int64")
    frame["agreement"] = frame["agreement"].astype(float)
    return frame


def category_value(scheme: AggregationScheme, category: Any, labels: Mapping[str, Any]) -> Any:
    """The stored value for an aggregated ``category``, given ``labels`` (annotator → value):
    the category itself where a value is its own category (classify; multi-label: the list of
    labels), else the value most of the annotators who chose that category gave (compare: their
    whole judgement, strength and rubric included); among values given equally often, that of
    the first annotator by name. ``None`` when no annotator chose it."""
    if scheme.category is None or scheme.multi:
        return list(category) if scheme.multi else category
    chosen = [v for _, v in sorted(labels.items()) if _category(scheme, v) == category]
    if not chosen:
        return None
    counts = Counter(json.dumps(v, sort_keys=True, default=str) for v in chosen)
    best = max(counts.values())
    return next(v for v in chosen if counts[json.dumps(v, sort_keys=True, default=str)] == best)


def _standing_labels(annotations: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    """Item id → annotator → standing value (annotators by name; skips and retracts applied)."""
    if annotations.empty:
        return {}
    current = current_from_annotations(annotations)
    current = current[current["kind"] == "label"].sort_values("annotator", kind="stable")
    by_item: dict[Any, dict[str, Any]] = {}
    for item_id, name, value in zip(current["item_id"], current["annotator"], current["value"], strict=True):
        by_item.setdefault(item_id, {})[name] = value
    return by_item


def _majority_votes(
    annotations: pd.DataFrame, kind: Any, recorded: Any, by_item: dict[Any, dict[str, Any]]
) -> dict[Any, tuple[AggregationScheme, Any, bool]]:
    """Item id → (scheme, majority category, tied) where annotators disagree, for a kind whose
    values are categories; ``{}`` for other kinds or when nobody disagrees."""
    if not any(_disagree(kind, list(labels.values())) for labels in by_item.values()):
        return {}
    labels = list(recorded.labels) if recorded is not None and recorded.labels else None
    config = dict(recorded.config) if recorded is not None else {}
    try:
        scheme = kind.aggregation_scheme(labels, config)
    except ValueError:  # spans, boxes, rankings: no categories to vote on
        return {}
    result = aggregate(annotations, method="majority")
    return {
        item: (scheme, label, bool(tie))
        for item, label, tie in zip(result.index, result["label"], result["majority_tie"], strict=True)
    }


def _decide(
    kind: Any, labels: dict[str, Any], vote: tuple[AggregationScheme, Any, bool] | None
) -> tuple[Any, Any]:
    """The final value of one item and the rule that chose it (``(None, None)``: undecided)."""
    values = list(labels.values())
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], "single"
    if not _disagree(kind, values):
        return values[0], "unanimous"
    if vote is None or vote[2]:
        return None, None
    value = category_value(vote[0], vote[1], labels)
    return (None, None) if value is None else (value, "majority")


def _disagree(kind: Any, values: list[Any]) -> bool:
    return any(not kind.values_agree(a, b) for i, a in enumerate(values) for b in values[i + 1 :])


def _category(scheme: AggregationScheme, value: Any) -> Any:
    try:
        return scheme.category(value) if scheme.category is not None else value
    except (ValueError, TypeError):
        return None


def _natural(ids: list[Any]) -> list[Any]:
    """The distinct ``ids`` in natural order (numbers, then text)."""
    if not ids:
        return []
    return factorize(objects(ids))[1]
