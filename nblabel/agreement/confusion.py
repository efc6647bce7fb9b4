"""Confusion matrices and ratings of label sets of any size (ICD codes, product taxonomies).

A label set of at most :data:`MAX_CATEGORIES` labels is shown whole, unused labels included. A
larger one is reduced to the labels in use before the ratings are prepared
(:func:`prepare_in_use`: a square over 100,000 labels would not fit in memory), and a confusion
matrix (:func:`grid`) shows the :data:`MAX_CATEGORIES` categories that occur most often, the
rest counted together in one :data:`OTHER` row and column. Shared by the live dashboard
(:mod:`nblabel.live`) and :func:`nblabel.plot_confusion`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .report import CategoricalData, is_multi, prepare

__all__ = ["MAX_CATEGORIES", "OTHER", "Grid", "grid", "labels_in_use", "prepare_in_use", "selects"]

#: Most categories a confusion matrix shows on each axis (the rest become one "other").
MAX_CATEGORIES = 30
#: The code of the "other" row and column: every category that occurs but is not shown.
OTHER = -1


@dataclass(frozen=True)
class Grid:
    """The counts of a confusion matrix and what its axes show."""

    counts: np.ndarray  # len(codes) x len(codes) item counts
    codes: list[int]  # the category code of each row (= column); OTHER last when some were left out
    occurring: int  # categories given by either side (all categories when ``every``)
    left_out: int  # categories that occur but are counted in OTHER
    total: int  # items counted
    agree: int  # items where both sides gave the same category (shown or not)

    def names(self, name_of: Callable[[int], str]) -> list[str]:
        """Axis names: ``name_of(code)`` for each category, and :attr:`other_name`."""
        return [self.other_name if c == OTHER else name_of(c) for c in self.codes]

    @property
    def other_name(self) -> str:
        """The name of the OTHER row and column, e.g. ``"(551 others)"``."""
        return f"({self.left_out:,} other{'s' if self.left_out != 1 else ''})"


def grid(
    va: np.ndarray, vb: np.ndarray, n_categories: int, *, every: bool, limit: int = MAX_CATEGORIES
) -> Grid:
    """Counts of (``va[i]``, ``vb[i]``) over category codes. ``every`` shows all
    ``n_categories`` categories in code order (a small single-label set, unused labels too);
    otherwise the categories that occur, in code order, at most ``limit`` of them: the most
    frequent on either side (ties: the lower code), the others counted as :data:`OTHER`."""
    va = np.asarray(va, dtype=np.intp)
    vb = np.asarray(vb, dtype=np.intp)
    size = max(n_categories, int(va.max(initial=-1)) + 1, int(vb.max(initial=-1)) + 1)
    if every:
        shown = np.arange(size, dtype=np.intp)
        occurring = size
    else:
        frequency = np.bincount(va, minlength=size) + np.bincount(vb, minlength=size)
        present = np.flatnonzero(frequency)
        occurring = len(present)
        shown = present
        if occurring > limit:
            shown = np.sort(present[np.argsort(-frequency[present], kind="stable")[:limit]])
    left_out = occurring - len(shown)
    width = len(shown) + (1 if left_out else 0)
    position = np.full(size, width - 1, dtype=np.intp)  # not shown: the OTHER row/column
    position[shown] = np.arange(len(shown))
    counts = np.bincount(position[va] * width + position[vb], minlength=width * width).reshape(width, width)
    return Grid(
        counts=counts,
        codes=[int(c) for c in shown] + ([OTHER] if left_out else []),
        occurring=int(occurring),
        left_out=int(left_out),
        total=len(va),
        agree=int((va == vb).sum()),
    )


def selects(codes: pd.Series, code: int, shown: Sequence[int]) -> np.ndarray:
    """Which of ``codes`` (float codes, NaN = none) fall in the row or column ``code`` of a
    grid showing ``shown``: that category, or for :data:`OTHER` any category not shown."""
    values = codes.to_numpy(dtype=float)
    if code != OTHER:
        return values == code
    return ~np.isnan(values) & ~np.isin(values, [c for c in shown if c != OTHER])


# ---------------------------------------------------------------------- labels in use
def labels_in_use(labels: Sequence[Any], values: Iterable[Any]) -> list[Any]:
    """The labels (in their order) that occur in ``values`` (single labels or lists of them)."""
    used: set[Any] = set()
    for value in values:
        if is_multi(value):
            used.update(v for v in value if _hashable(v))
        elif value is not None and _hashable(value):
            used.add(value)
    return [label for label in labels if label in used]


def prepare_in_use(
    annotations: pd.DataFrame,
    gold: Any = None,
    *,
    task: str | None = None,
    labels: Sequence[Any] | None = None,
    multi: bool | None = None,
    compact_multi: bool = True,
) -> tuple[CategoricalData, int]:
    """:func:`~nblabel.report.prepare` with a large ``labels`` list (over
    :data:`MAX_CATEGORIES`) reduced to the labels in use in ``annotations`` and ``gold``, and
    the number of labels of the full list (values outside it included): the number of
    categories of a single-label task, which Gwet's AC1 counts. The codes, labels and
    categories of the result are those of the labels in use, in the same order.
    ``compact_multi=False`` keeps the whole list for multi-label ratings (their per-label
    macro means count unused labels)."""
    if labels is None or len(labels) <= MAX_CATEGORIES or not isinstance(annotations, pd.DataFrame):
        data = prepare(annotations, gold, task=task, labels=labels, multi=multi)
        return data, len(data.labels)
    values = _values(annotations, gold)
    if not compact_multi and (multi or (multi is None and any(is_multi(v) for v in values))):
        data = prepare(annotations, gold, task=task, labels=labels, multi=multi)
        return data, len(data.labels)
    in_use = labels_in_use(labels, values)
    data = prepare(annotations, gold, task=task, labels=in_use, multi=multi)
    return data, len(labels) + len(data.labels) - len(in_use)  # + values outside ``labels``


def _values(annotations: pd.DataFrame, gold: Any) -> list[Any]:
    """Every rated value of ``annotations`` (long or wide) and of ``gold``."""
    if {"item_id", "annotator", "value"} <= set(annotations.columns):
        rows = annotations["kind"] == "label" if "kind" in annotations.columns else slice(None)
        values = _distinct(annotations.loc[rows, "value"].to_numpy(dtype=object))
        if isinstance(gold, str) and gold in annotations.columns:
            values += _distinct(annotations[gold].to_numpy(dtype=object))
    else:
        values = _distinct(annotations.to_numpy(dtype=object).ravel())
    if isinstance(gold, pd.Series):
        values += list(gold.to_numpy(dtype=object))
    elif isinstance(gold, Mapping):
        values += list(gold.values())
    return values


def _distinct(values: np.ndarray) -> list[Any]:
    """The distinct values (all of them when some are lists: multi-label ratings)."""
    try:
        return list(pd.unique(values))
    except TypeError:
        return list(values)


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
