"""Active ordering, the pure part: how uncertain a model is about each item, and the seeded
random orders of a cold start.

Every scoring function takes a model's probabilities as an ``(n, n_labels)`` array, one row per
item, columns in the task's label order, and returns one number per item. Two readings of a row:

- **single-label** (one label per item: classify, a compare choice, a rating point): the row is a
  distribution over the labels (it sums to 1);
- **multi** (a set of labels per item: multi-label classify, the labels present among an item's
  spans or boxes): each column is the probability that the label is present, independently of
  the others. The scores are then those of the joint distribution over label sets that these
  independent labels define: the most likely set takes each label when ``p >= 0.5``; the second
  most likely flips the label closest to 0.5; the entropy is the sum of the labels' binary
  entropies.

Scores are *priorities*: higher is served first. ``"uncertainty"`` is least confidence
(``1 - P(most likely)``), ``"margin"`` serves the smallest gap between the two most likely
answers first (priority ``1 - margin``), ``"entropy"`` the highest entropy (natural log).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = [
    "STRATEGIES",
    "check_probabilities",
    "entropy",
    "least_confidence",
    "margin",
    "probabilities_by_label",
    "random_priority",
    "short_labels",
    "strategy_scores",
    "stratified_priority",
    "top_probabilities",
]

#: The strategies ``order=`` names (a callable scores probabilities its own way).
STRATEGIES = ("uncertainty", "margin", "entropy", "random")

#: How far a single-label row may sum from 1 before it is refused (it is renormalised within).
SUM_TOLERANCE = 1e-3


# ---------------------------------------------------------------------- the two most likely
def _top_two(p: np.ndarray, multi: bool) -> tuple[np.ndarray, np.ndarray]:
    """P(most likely answer) and P(second most likely) per row."""
    if multi:
        hi = np.maximum(p, 1.0 - p)
        lo = 1.0 - hi
        first = np.prod(hi, axis=1)
        if p.shape[1] == 0:
            return first, np.zeros(len(p))
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(hi > 0, lo / hi, 0.0)
        return first, first * ratio.max(axis=1)
    if p.shape[1] == 0:
        return np.ones(len(p)), np.zeros(len(p))
    if p.shape[1] == 1:
        return p[:, 0], np.zeros(len(p))
    two = -np.partition(-p, 1, axis=1)[:, :2]
    return two[:, 0], two[:, 1]


def least_confidence(p: np.ndarray, multi: bool = False) -> np.ndarray:
    """``1 - P(most likely answer)`` per row: 0 when the model is sure."""
    return 1.0 - _top_two(p, multi)[0]


def margin(p: np.ndarray, multi: bool = False) -> np.ndarray:
    """``P(most likely) - P(second most likely)`` per row: small when the model hesitates
    between two answers."""
    first, second = _top_two(p, multi)
    return first - second


def _xlogx(p: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


def entropy(p: np.ndarray, multi: bool = False) -> np.ndarray:
    """Entropy (nats) per row; ``multi``: the sum of each label's binary entropy."""
    if multi:
        return -(_xlogx(p) + _xlogx(1.0 - p)).sum(axis=1)
    return -_xlogx(p).sum(axis=1)


def strategy_scores(
    strategy: str | Callable[[np.ndarray], Any], p: np.ndarray, multi: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """``(priority, metric)`` per row for a strategy: the priority orders items (higher first),
    the metric is what a person reads (the margin itself for ``"margin"``). A callable gets the
    probabilities and returns one priority per row (its metric is that priority)."""
    if callable(strategy):
        raw = np.asarray(strategy(p))
        if raw.shape != (len(p),):
            raise ValueError(
                f"order= callable must return one priority per row ({len(p)}), got shape {raw.shape}"
            )
        try:
            priority = raw.astype("float64")
        except (TypeError, ValueError):
            raise ValueError("order= callable must return numeric priorities") from None
        if np.isnan(priority).any():
            raise ValueError(
                f"order= callable returned a missing priority for row {int(np.isnan(priority).argmax())}"
            )
        return priority, priority
    if strategy == "uncertainty":
        score = least_confidence(p, multi)
        return score, score
    if strategy == "margin":
        gap = margin(p, multi)
        return 1.0 - gap, gap
    if strategy == "entropy":
        score = entropy(p, multi)
        return score, score
    raise ValueError(f"unknown strategy {strategy!r}; one of {STRATEGIES[:3]} or a callable")


# ---------------------------------------------------------------------- a model's output
def probabilities_by_label(proba: Any, classes: Sequence[Any], labels: Sequence[Any]) -> np.ndarray:
    """An estimator's ``predict_proba`` output (columns in ``classes``, its ``classes_``) as
    columns in ``labels`` order; a label the model never saw has probability 0."""
    proba = np.asarray(proba, dtype="float64")
    if proba.ndim != 2 or proba.shape[1] != len(classes):
        raise ValueError(
            f"predict_proba returned shape {proba.shape}, but the model has {len(classes)} classes_"
        )
    index = {label: i for i, label in enumerate(labels)}
    out = np.zeros((len(proba), len(labels)))
    for j, cls in enumerate(classes):
        cls = cls.item() if isinstance(cls, np.generic) else cls
        i = index.get(cls)
        if i is None:
            raise ValueError(
                f"the model's classes_ include {cls!r}, which is not one of the labels {list(labels)[:20]}"
            )
        out[:, i] = proba[:, j]
    return out


def check_probabilities(
    proba: Any, n: int, labels: Sequence[Any], multi: bool, rows: Sequence[Any] | None = None
) -> np.ndarray:
    """Probabilities from a model as a float ``(n, len(labels))`` array, refused with the row at
    fault when the shape is wrong, a value is missing or outside [0, 1], or (single-label) a row
    does not sum to 1 (within :data:`SUM_TOLERANCE`; rows within it are renormalised)."""
    try:
        p = np.asarray(proba, dtype="float64")
    except (TypeError, ValueError):
        raise ValueError("the model's probabilities are not numbers") from None
    width = len(labels)
    if p.shape != (n, width):
        raise ValueError(
            f"the model returned probabilities of shape {p.shape}; expected ({n}, {width}): one row per "
            f"item, one column per label in the widget's order {list(labels)[:20]}"
        )

    def where(i: int) -> str:
        return f"row {rows[i]!r}" if rows is not None else f"row {i}"

    bad = ~np.isfinite(p).all(axis=1) | (p < -1e-9).any(axis=1) | (p > 1 + 1e-9).any(axis=1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(f"the model's probabilities for {where(i)} are not in [0, 1]: {p[i].tolist()[:10]}")
    p = np.clip(p, 0.0, 1.0)
    if not multi and width:
        sums = p.sum(axis=1)
        off = np.abs(sums - 1.0) > SUM_TOLERANCE
        if off.any():
            i = int(np.flatnonzero(off)[0])
            raise ValueError(
                f"the model's probabilities for {where(i)} sum to {sums[i]:.4g}, not 1 (one label per item: "
                "give a distribution over the labels)"
            )
        p = p / sums[:, None]
    return p


def top_probabilities(
    row: np.ndarray, labels: Sequence[Any], multi: bool, top: int = 3
) -> list[tuple[Any, float]]:
    """The ``top`` most likely labels of one row, most likely first (``multi``: the labels whose
    presence is most likely)."""
    order = np.argsort(-row, kind="stable")[:top]
    return [(labels[i], float(row[i])) for i in order.tolist()]


# ---------------------------------------------------------------------- random orders
def random_priority(n: int, seed: int) -> np.ndarray:
    """A seeded random priority in [0, 1) per position (the ``"random"`` strategy)."""
    return np.random.default_rng(seed).random(n)


def stratified_priority(groups: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Priorities (higher first) that serve items in random order stratified by ``groups`` (a
    model's guess per item; ``-1``: no guess, a group of its own): one item of each group in
    turn, the groups' turn and the items within a group in the random order of ``u``."""
    groups = np.asarray(groups, dtype=np.int64)
    u = np.asarray(u, dtype="float64")
    n = len(groups)
    if n == 0:
        return np.zeros(0)
    order = np.lexsort((u, groups))
    sorted_groups = groups[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_groups)) + 1]
    lengths = np.diff(np.r_[starts, n])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - np.repeat(starts, lengths)
    # each group's turn within a round: the smallest u of the group decides
    first_u = u[order][starts]
    turn_of_group = np.empty(len(starts))
    turn_of_group[np.argsort(first_u, kind="stable")] = np.arange(len(starts)) / max(len(starts), 1)
    turn = np.repeat(turn_of_group, lengths)
    turn_by_item = np.empty(n)
    turn_by_item[order] = turn
    return -(rank + turn_by_item)


# ---------------------------------------------------------------------- the cold start
def short_labels(counts: Mapping[Any, int], labels: Sequence[Any], min_per_label: int) -> list[Any]:
    """The labels with fewer than ``min_per_label`` labeled examples, in label order."""
    return [label for label in labels if counts.get(label, 0) < min_per_label]
