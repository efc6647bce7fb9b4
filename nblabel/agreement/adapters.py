"""Frames for other label-quality tools: crowd-kit's long ``task, worker, label`` frame
(:func:`to_crowdkit`) and cleanlab's wide frame of class indices, one column per annotator
(:func:`to_cleanlab`, for ``cleanlab.multiannotator.get_label_quality_multiannotator``:
CROWDLAB). cleanlab is AGPL-3.0: nblabel only lays out the frame, it never imports cleanlab.

Both read what ``nl.aggregate`` reads, the same way: each annotator's standing label per item
(retracted labels, skips and flags do not count), as the task's kind makes categories of its
values (``TaskKind.aggregation_scheme``: a classify task's labels, a compare task's choices, a
multi-label task's label sets). Kinds without categories (spans, boxes, rankings) are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core.labelset import preview_labels
from .aggregate_input import Positions, Ratings, coding, factorize, long_frame, objects, read_scheme

__all__ = ["to_cleanlab", "to_crowdkit"]


def to_crowdkit(
    annotations: pd.DataFrame,
    *,
    task: str | None = None,
    kind: str | None = None,
    labels: Sequence[Any] | None = None,
    multi: bool | None = None,
    label: Any = None,
) -> pd.DataFrame:
    """The standing labels of ``annotations`` (the long frame of ``store.annotations(task)``) as
    crowd-kit's long frame: one row per item and annotator, columns ``task`` (the item id),
    ``worker`` (the annotator) and ``label``, sorted by item and worker, for
    ``crowdkit.aggregation`` (``DawidSkene().fit_predict(frame)``).

    ``label`` is the category: a classify task's label, a compare task's choice (``A``, ``B``,
    ``tie``, ``both_bad``). For a multi-label task it is the annotator's list of labels (in
    the label set's order), which crowd-kit's ``BinaryRelevance`` takes; its classification
    models (Dawid–Skene, GLAD, MACE, ...) take one category per row, so pass ``label=`` (one of
    the labels) to get ``True``/``False``: whether the annotator put that label in the item's
    set — one frame per label, as ``nl.aggregate`` aggregates a multi-label task. ``label=`` on
    a single-label task gives that label against the rest.

    ``task``, ``kind``, ``labels`` and ``multi`` are read as ``nl.aggregate`` reads them (a frame
    read from a store carries its task's kind and labels). ``ValueError`` for a kind without
    categories, or a value that is not one of the labels (naming the item and annotator)."""
    standing = _standing(annotations, task, kind, labels, multi, "to_crowdkit")
    if label is not None:
        values: list[Any] = list(standing.present(label))
    elif standing.multi:
        values = [[standing.classes[k] for k in sorted(s)] for s in standing.sets]
    else:
        values = [standing.classes[k] for k in standing.codes]
    return pd.DataFrame(
        {
            "task": [standing.items[i] for i in standing.item],
            "worker": [standing.annotators[a] for a in standing.annotator],
            "label": objects(values) if standing.multi and label is None else values,
        }
    )


def to_cleanlab(
    annotations: pd.DataFrame,
    *,
    task: str | None = None,
    kind: str | None = None,
    labels: Sequence[Any] | None = None,
    multi: bool | None = None,
    label: Any = None,
) -> pd.DataFrame:
    """The standing labels of ``annotations`` as cleanlab's ``labels_multiannotator``: items as
    rows (indexed by ``item_id``, in natural order), one column per annotator (named after
    them), each cell the index of the annotator's label among the classes as a float, ``NaN``
    where the annotator did not label the item; every row and column has a label, as cleanlab
    requires. The classes, in order, are in ``frame.attrs["labels"]`` (class ``k`` is
    ``frame.attrs["labels"][k]``): the task's whole label set when it is known (recorded with a
    store's frame, or ``labels=``), so that a model's ``pred_probs`` columns can follow it; else
    the labels in use, in natural order. A compare task's classes are its choices.

    For ``cleanlab.multiannotator.get_label_quality_multiannotator(frame, pred_probs)``;
    cleanlab is AGPL-3.0 and nblabel does not depend on it. Its multiannotator functions take
    one class per annotator and item, so a multi-label task needs ``label=`` (one of its
    labels): 1.0 where the annotator put that label in the item's set, 0.0 where they did not,
    with classes ``[False, True]`` (pair it with a model's ``[1 - p, p]`` for that label).
    ``label=`` on a single-label task gives that label against the rest.

    ``task``, ``kind``, ``labels`` and ``multi`` are read as ``nl.aggregate`` reads them."""
    standing = _standing(annotations, task, kind, labels, multi, "to_cleanlab")
    if label is not None:
        cells = standing.present(label).astype(float)
        classes: list[Any] = [False, True]
    elif standing.multi:
        raise ValueError(
            "nl.to_cleanlab: a multi-label task has a set of labels per annotator and item, and "
            "cleanlab's multiannotator functions take one class; pass label= (one of "
            f"{preview_labels(standing.classes)}) for each label's present/absent frame"
        )
    else:
        cells = standing.codes.astype(float)
        classes = list(standing.classes)
    wide = np.full((len(standing.items), len(standing.annotators)), np.nan)
    wide[standing.item, standing.annotator] = cells
    frame = pd.DataFrame(
        wide,
        index=pd.Index(objects(standing.items), name="item_id").infer_objects(),
        columns=pd.Index(objects(standing.annotators), name="annotator").infer_objects(),
    )
    frame.attrs["labels"] = classes
    return frame


@dataclass
class _Standing:
    """The standing labels, one per item and annotator (sorted by item, then annotator): the
    codes of ``item`` and ``annotator`` among ``items`` and ``annotators`` (natural order), and
    the class of each label among ``classes`` (``codes``), or its set of classes (``sets``,
    multi-label)."""

    items: list[Any]
    annotators: list[Any]
    item: np.ndarray
    annotator: np.ndarray
    classes: list[Any]
    multi: bool
    codes: np.ndarray
    sets: list[frozenset[int]]

    def present(self, label: Any) -> np.ndarray:
        """Per label: whether it is (or, multi-label, holds) ``label``."""
        k = Positions(self.classes).of(label)
        if k < 0:
            raise ValueError(f"label={label!r} is not one of the labels {preview_labels(self.classes)}")
        if self.multi:
            return np.array([k in s for s in self.sets], dtype=bool)
        return self.codes == k


def _standing(
    annotations: pd.DataFrame,
    task: str | None,
    kind: str | None,
    labels: Sequence[Any] | None,
    multi: bool | None,
    caller: str,
) -> _Standing:
    frame = long_frame(annotations, task)
    try:
        scheme = read_scheme(annotations, task, kind, labels, multi)
    except ValueError as exc:
        raise ValueError(f"nl.{caller} takes the tasks nl.aggregate takes: {exc}") from None
    ratings = Ratings.read(frame, scheme)
    order = np.lexsort((ratings.annotator, ratings.item))
    item, annotator = ratings.item[order], ratings.annotator[order]
    if scheme.multi:
        classes, sets = _label_sets(ratings, scheme.categories)
        chosen = [sets[k] for k in ratings.raw[order]]
        return _Standing(
            ratings.items, ratings.annotators, item, annotator, classes, True, np.zeros(0, np.int64), chosen
        )
    in_use, codes = coding(ratings, {}, scheme.categories)
    classes = list(scheme.categories) if scheme.categories is not None else list(in_use)
    position = Positions(classes)
    to_class = np.array([position.of(c) for c in in_use], dtype=np.int64)
    by_class = to_class[codes.code[order]] if len(to_class) else np.zeros(0, np.int64)
    return _Standing(ratings.items, ratings.annotators, item, annotator, classes, False, by_class, [])


def _label_sets(ratings: Ratings, categories: Sequence[Any] | None) -> tuple[list[Any], list[frozenset[int]]]:
    """The classes (the label set; else the labels in use, in natural order) and each distinct
    value as the set of its labels' positions among them; ``ValueError`` naming the item and
    annotator of a label that is not one of the label set."""
    if categories is None:
        flat = [lab for value in ratings.values for lab in value]
        classes = factorize(objects(flat))[1] if flat else []
    else:
        classes = list(categories)
    position = Positions(classes)
    used = set(np.unique(ratings.raw).tolist())
    sets = []
    for k, value in enumerate(ratings.values):
        if k not in used:  # a value an annotator's later label replaced
            sets.append(frozenset())
            continue
        found = [position.of(lab) for lab in value]
        if any(p < 0 for p in found):
            bad = value[found.index(-1)]
            raise ValueError(
                f"{ratings.where(k)}: {bad!r} is not one of the labels {preview_labels(classes)}"
            )
        sets.append(frozenset(found))
    return classes, sets
