"""``nl.aggregate``: from several annotators' labels to one label per item, with its confidence
and what the model learned of each annotator.

The task's kind says how its values become categories (``TaskKind.aggregation_scheme``: the
labels of a classify task, the choices of a compare task, each label of a multi-label task on
its own); :mod:`~nblabel.agreement.aggregate_input` reads the standing labels as integers and a
model of :mod:`~nblabel.agreement.aggregate_models` finds the labels. This module lays out the
result.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.labelset import preview_labels
from . import aggregate_models as models
from .aggregate_input import (
    Positions,
    Ratings,
    coding,
    factorize,
    gold_by_item,
    long_frame,
    objects,
    read_scheme,
)

__all__ = ["AggregateResult", "SmallPilotWarning", "aggregate"]

#: Below these a pilot is too small for the models to be trusted on their own.
MIN_ITEMS = 50
MIN_LABELS_PER_ITEM = 3.0


class SmallPilotWarning(UserWarning):
    """The labels are too few for an aggregation model to be stable: read it beside the majority
    vote, never instead of it."""


class AggregateResult(pd.DataFrame):
    """One row per item (indexed by ``item_id``): ``label`` (the aggregated label; multi-label: the
    list of labels found present), ``confidence`` (the posterior of that label; multi-label: of
    its least certain label), ``n_labels`` (annotators who labeled the item), ``majority`` (the
    majority vote, a tie going to the first category), ``majority_tie``, ``agrees_with_majority``
    and ``from_gold`` (the label is the item's gold answer); GLAD adds ``inverse_difficulty``.

    Attributes:

    - ``annotators``: one row per annotator: ``n_labels``, ``accuracy`` (share of their labels
      equal to the aggregated label), ``gold_accuracy`` (on gold items, with ``gold=``) and what
      the method learned: ``skill`` (Dawid–Skene: its estimated accuracy; one-coin: the chance of
      a right label; Wawa: the weight of the vote), ``ability`` (GLAD), ``competence`` and
      ``spam`` (MACE: the chance of labeling by the item and by habit).
    - ``confusion`` (Dawid–Skene): every annotator's confusion matrix, P(given label | true
      label), indexed by (annotator, true label) with a column per given label, so that
      ``result.confusion.loc["ana"]`` is one annotator's matrix.
    - ``probabilities``: items x categories, the posterior of each category (multi-label: of each
      label being present).
    - ``per_label`` and ``by_label`` (multi-label): the posterior of each label being present, and
      each label's own present/absent result (with its annotators' parameters).
    - ``method``, ``categories`` (in use, in order), ``n_iter`` (EM iterations run).
    """

    _metadata = [
        "annotators", "confusion", "probabilities", "per_label", "by_label", "method", "categories",
        "n_iter",
    ]  # fmt: skip

    @property
    def _constructor(self) -> Callable[..., AggregateResult]:
        return AggregateResult


def aggregate(
    annotations: pd.DataFrame,
    method: str = "dawid_skene",
    gold: pd.Series | Mapping[Any, Any] | None = None,
    *,
    task: str | None = None,
    kind: str | None = None,
    labels: Sequence[Any] | None = None,
    multi: bool | None = None,
    criterion: str | None = None,
    **options: Any,
) -> AggregateResult:
    """The most likely label of every item, from the standing labels of ``annotations`` (the
    long frame of ``store.annotations(task)``; retracted labels, skips and flags do not count).

    ``method``: ``"majority"`` (vote shares; a tie goes to the first category and is reported),
    ``"wawa"`` (votes weighted by each annotator's agreement with the majority),
    ``"dawid_skene"`` (a confusion matrix per annotator), ``"one_coin"`` (one accuracy per
    annotator), ``"glad"`` (annotator ability and item difficulty) or ``"mace"`` (who labels by
    habit). ``options`` go to the model and follow crowd-kit's: ``n_iter``, ``tol`` (Dawid–Skene,
    one-coin, GLAD), ``m_step_max_iter``, ``m_step_tol`` (GLAD); ``n_iter``, ``variational``,
    ``n_restarts``, ``default_noise``, ``alpha``, ``beta``, ``random_state`` (MACE).

    ``gold``: a Series (or mapping) item id -> answer. A gold item's label is its answer, fixed
    in every E-step, so gold informs every annotator's parameters (Dawid–Skene: their confusion
    matrices).

    The task's kind (recorded with a frame read from a store; else ``kind=``, or classify) says
    what the categories are: a classify task's labels (``labels=`` or the recorded label set; the
    labels given when neither is known), a compare task's choices (rankings are not supported),
    or, for multi-label tasks (recorded, or ``multi=True``), each label on its own, present or
    absent. A rating task's categories are the points of its scale; one rated on several
    criteria is aggregated one criterion at a time: ``criterion="fluency"`` (without it, a
    ``ValueError`` names the criteria).

    Warns (:class:`SmallPilotWarning`) on fewer than 50 items or fewer than 3 labels per item on
    average: the models are unstable there, so show them beside majority vote, never instead of
    it. Returns an :class:`AggregateResult`.
    """
    if method not in models.METHODS:
        raise ValueError(f"unknown method {method!r}; methods: {', '.join(models.METHODS)}")
    models.check_options(method, options)
    frame = long_frame(annotations, task)
    scheme = read_scheme(annotations, task, kind, labels, multi, criterion)
    ratings = Ratings.read(frame, scheme)
    gold_values = gold_by_item(gold, ratings, scheme)
    _warn_if_small(method, len(ratings.items), ratings.n)
    if scheme.multi:
        return _aggregate_multi(ratings, gold_values, scheme.categories, method, options)
    categories, codes = coding(ratings, gold_values, scheme.categories)
    return _result(ratings, codes, categories, method, models.fit(method, codes, **options))


def _warn_if_small(method: str, n_items: int, n_labels: int) -> None:
    if method == "majority" or n_items == 0:
        return
    per_item = n_labels / n_items
    if n_items < MIN_ITEMS or per_item < MIN_LABELS_PER_ITEM:
        warnings.warn(
            SmallPilotWarning(
                f"{n_items} items with {per_item:.1f} labels each on average (fewer than {MIN_ITEMS} "
                f"items or {MIN_LABELS_PER_ITEM:g} labels per item): {method} is unstable on a pilot "
                "this small; show it beside nl.aggregate(..., method='majority'), never instead of it"
            ),
            stacklevel=3,
        )


# ---------------------------------------------------------------------- single-label results
def _result(
    ratings: Ratings, codes: models.Codes, categories: list[Any], method: str, fit: models.Fit
) -> AggregateResult:
    proba = fit.proba
    index = _index(ratings.items, "item_id")
    rows = np.arange(codes.n_items)
    chosen = proba.argmax(axis=1) if proba.size else np.zeros(codes.n_items, dtype=np.int64)
    votes = codes.votes()
    top = votes.argmax(axis=1) if votes.size else np.zeros(codes.n_items, dtype=np.int64)
    names = objects(categories)
    gold = codes.gold if codes.gold is not None else np.full(codes.n_items, -1)
    result = AggregateResult(
        {
            "label": _labels(names[chosen] if len(names) else objects([None] * codes.n_items), index),
            "confidence": proba[rows, chosen] if proba.size else np.ones(codes.n_items),
            "n_labels": votes.sum(axis=1).astype(np.int64),
            "majority": _labels(names[top] if len(names) else objects([None] * codes.n_items), index),
            "majority_tie": (votes == votes.max(axis=1, keepdims=True)).sum(axis=1) > 1
            if votes.size
            else np.zeros(codes.n_items, dtype=bool),
            "agrees_with_majority": chosen == top,
            "from_gold": gold >= 0,
        },
        index=index,
    )
    for name, values in fit.items.items():
        result[name] = values
    _describe(
        result,
        annotators=_annotator_table(ratings, codes, chosen, method, fit),
        confusion=_confusion_table(ratings, categories, fit),
        probabilities=pd.DataFrame(proba, index=index, columns=pd.Index(names, name="label")),
        method=method,
        categories=categories,
        n_iter=fit.n_iter,
    )
    return result


def _labels(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Labels as given (text, numbers, booleans; lists when multi-label) in an object column."""
    return pd.Series(values, index=index, dtype=object)


def _describe(result: AggregateResult, **attributes: Any) -> None:
    for name in AggregateResult._metadata:
        setattr(result, name, attributes.get(name))
    result.categories = list(attributes["categories"])


def _index(values: list[Any], name: str) -> pd.Index:
    return pd.Index(values if values else objects([]), name=name)


def _annotator_table(
    ratings: Ratings, codes: models.Codes, chosen: np.ndarray, method: str, fit: models.Fit
) -> pd.DataFrame:
    counts = codes.annotator_sum(None)
    right = codes.annotator_sum((codes.code == chosen[codes.item]).astype(float))
    table = pd.DataFrame(
        {"n_labels": counts.astype(np.int64), "accuracy": _ratio(right, counts)},
        index=_index(ratings.annotators, "annotator"),
    )
    if codes.gold is not None:
        truth = codes.gold[codes.item]
        hits = codes.annotator_sum(((truth >= 0) & (codes.code == truth)).astype(float))
        table["gold_accuracy"] = _ratio(hits, codes.annotator_sum((truth >= 0).astype(float)))
    for column in models.ANNOTATOR_COLUMNS[method]:
        table[column] = fit.annotators.get(column, np.full(codes.n_annotators, np.nan))
    return table


def _ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.divide(a, b, out=np.full(len(a), np.nan), where=b > 0)


def _confusion_table(ratings: Ratings, categories: list[Any], fit: models.Fit) -> pd.DataFrame | None:
    cube = fit.annotators.get("confusion")
    if cube is None:
        return None
    k = len(categories)
    names = objects(categories)
    index = pd.MultiIndex.from_arrays(
        [np.repeat(objects(ratings.annotators), k), np.tile(names, len(ratings.annotators))],
        names=["annotator", "true"],
    )
    return pd.DataFrame(cube.reshape(-1, k), index=index, columns=pd.Index(names, name="given"))


# ---------------------------------------------------------------------- multi-label
def _aggregate_multi(
    ratings: Ratings,
    gold: dict[int, Any],
    categories: Sequence[Any] | None,
    method: str,
    options: dict[str, Any],
) -> AggregateResult:
    """Each label on its own, present or absent in the set of every annotator who labeled the
    item; the item's label is the set of labels found present."""
    labels, sets, gold_sets = _label_sets(ratings, gold, categories)
    by_label: dict[Any, AggregateResult] = {}
    for k, label in enumerate(labels):
        present = np.array([k in s for s in sets], dtype=np.int64)
        binary = ratings.with_values(present[ratings.raw] if len(present) else ratings.raw, [False, True])
        in_use, codes = coding(binary, {pos: k in s for pos, s in gold_sets.items()}, [False, True])
        by_label[label] = _result(binary, codes, in_use, method, models.fit(method, codes, **options))
    return _multi_result(ratings, sets, gold_sets, labels, by_label, method)


def _label_sets(
    ratings: Ratings, gold: dict[int, Any], categories: Sequence[Any] | None
) -> tuple[list[Any], list[frozenset[int]], dict[int, frozenset[int]]]:
    """The labels in use (in the label set's order; else natural order), and each distinct value
    and gold answer as the set of their positions among them."""
    given = [list(v) for v in ratings.values] + [list(v) for v in gold.values()]
    flat = objects([label for labels in given for label in labels])
    owner = np.repeat(np.arange(len(given)), [len(labels) for labels in given])
    if categories is None:
        codes, labels = factorize(flat) if len(flat) else (np.zeros(0, dtype=np.int64), [])
    else:
        position = Positions(categories)
        known = np.array([position.of(v) for v in flat], dtype=np.int64)
        bad = np.flatnonzero(known < 0)
        if len(bad):
            k, n = int(owner[bad[0]]), len(ratings.values)
            where = ratings.where(k) if k < n else f"gold of item {ratings.items[list(gold)[k - n]]!r}"
            raise ValueError(
                f"{where}: {flat[bad[0]]!r} is not one of the labels {preview_labels(list(categories))}"
            )
        used = np.unique(known)
        rank = np.full(len(categories), -1, dtype=np.int64)
        rank[used] = np.arange(len(used))
        codes, labels = rank[known], [categories[i] for i in used]
    sets: list[set[int]] = [set() for _ in given]
    for k, code in zip(owner, codes, strict=True):
        sets[k].add(int(code))
    frozen = [frozenset(s) for s in sets]
    n = len(ratings.values)
    return labels, frozen[:n], dict(zip(gold, frozen[n:], strict=True))


def _multi_result(
    ratings: Ratings,
    sets: list[frozenset[int]],
    gold: dict[int, frozenset[int]],
    labels: list[Any],
    by_label: dict[Any, AggregateResult],
    method: str,
) -> AggregateResult:
    n_items = len(ratings.items)
    present = np.zeros((n_items, len(labels)), dtype=bool)
    voted = np.zeros_like(present)
    per_label = np.zeros((n_items, len(labels)))
    tie = np.zeros(n_items, dtype=bool)
    confidence = np.ones(n_items)
    for k, label in enumerate(labels):
        part = by_label[label]
        present[:, k] = part["label"].to_numpy(dtype=bool)
        voted[:, k] = part["majority"].to_numpy(dtype=bool)
        tie |= part["majority_tie"].to_numpy(dtype=bool)
        per_label[:, k] = part.probabilities[True] if True in part.categories else 0.0
        confidence = np.minimum(confidence, part["confidence"].to_numpy(dtype=float))
    names = objects(labels)
    index = _index(ratings.items, "item_id")
    result = AggregateResult(
        {
            "label": _labels(objects([list(names[row]) for row in present]), index),
            "confidence": confidence,
            "n_labels": np.bincount(ratings.item, minlength=n_items).astype(np.int64),
            "majority": _labels(objects([list(names[row]) for row in voted]), index),
            "majority_tie": tie,
            "agrees_with_majority": (present == voted).all(axis=1),
            "from_gold": np.isin(np.arange(n_items), list(gold)),
        },
        index=index,
    )
    per_label_table = pd.DataFrame(per_label, index=index, columns=pd.Index(names, name="label"))
    _describe(
        result,
        annotators=_multi_annotators(ratings, sets, gold, present),
        probabilities=per_label_table,
        per_label=per_label_table,
        by_label=by_label,
        method=method,
        categories=labels,
        n_iter=max((part.n_iter for part in by_label.values()), default=0),
    )
    return result


def _multi_annotators(
    ratings: Ratings, sets: list[frozenset[int]], gold: dict[int, frozenset[int]], present: np.ndarray
) -> pd.DataFrame:
    """Per annotator: items labeled, the share of their sets equal to the aggregated set (and to
    the gold set, on gold items)."""
    chosen = [frozenset(np.flatnonzero(row).tolist()) for row in present]
    given = [sets[r] for r in ratings.raw]
    same = np.array([g == chosen[i] for g, i in zip(given, ratings.item, strict=True)], dtype=float)
    w = len(ratings.annotators)
    counts = np.bincount(ratings.annotator, minlength=w).astype(float)
    table = pd.DataFrame(
        {
            "n_labels": counts.astype(np.int64),
            "accuracy": _ratio(np.bincount(ratings.annotator, same, w), counts),
        },
        index=_index(ratings.annotators, "annotator"),
    )
    if gold:
        on_gold = np.array([i in gold for i in ratings.item], dtype=float)
        hits = np.array(
            [i in gold and g == gold[i] for g, i in zip(given, ratings.item, strict=True)], dtype=float
        )
        table["gold_accuracy"] = _ratio(
            np.bincount(ratings.annotator, hits, w), np.bincount(ratings.annotator, on_gold, w)
        )
    return table
