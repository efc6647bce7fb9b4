"""What ``nl.aggregate`` reads: the standing labels of a long annotations frame as integer
arrays, the gold answers by item, and the categories in use, read as the task's kind says
(:class:`~nblabel.core.registry.AggregationScheme`).

Labels (hashable scalars) are factorised in C and each distinct value is read once, so a
million labels never become a million Python objects; label sets and comparisons (lists,
dicts) are read one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core import registry
from ..core.frames import current_from_annotations, recorded_task
from ..core.labelset import preview_labels
from ..core.models import people_only
from . import aggregate_models as models
from .report import one_task, sort_key

__all__ = [
    "Positions", "Ratings", "coding", "factorize", "gold_by_item", "long_frame", "objects", "read_scheme",
]  # fmt: skip


def long_frame(annotations: Any, task: str | None) -> pd.DataFrame:
    """``annotations`` checked for the long frame's columns, reduced to ``task``."""
    if not isinstance(annotations, pd.DataFrame):
        raise TypeError(
            f"annotations must be the DataFrame of store.annotations(task), got {type(annotations).__name__}"
        )
    missing = [c for c in ("item_id", "annotator", "value") if c not in annotations.columns]
    if missing:
        raise KeyError(
            f"annotations need the columns item_id, annotator and value (the long frame of "
            f"store.annotations(task)); missing {missing}, present {[str(c) for c in annotations.columns]}"
        )
    return people_only(one_task(annotations, task))  # model annotators never vote


def read_scheme(
    annotations: pd.DataFrame,
    task: str | None,
    kind: str | None,
    labels: Sequence[Any] | None,
    multi: bool | None,
    criterion: str | None = None,
) -> registry.AggregationScheme:
    """How the kind of ``annotations`` reads its values as categories: the kind and label set
    recorded with a frame read from a store (else ``kind=``, or classify, and ``labels=``);
    ``multi`` overrides the recorded config; ``criterion`` picks one criterion of a task rated
    on several (``config["criterion"]``). ``ValueError`` for a kind without categories."""
    recorded = recorded_task(annotations, task)
    config = dict(recorded.config) if recorded is not None else {}
    if multi is not None:
        config["multi"] = multi
    if criterion is not None:
        if not config.get("criteria"):
            raise ValueError(
                f"criterion={criterion!r} chooses one criterion of a rating task rated on several; "
                "this task has no criteria"
            )
        config["criterion"] = criterion
    name = kind or (recorded.kind if recorded is not None else "classify")
    if labels is None and recorded is not None and recorded.labels:
        labels = recorded.labels
    return registry.for_task(name, config).aggregation_scheme(
        list(labels) if labels is not None else None, config
    )


def objects(values: Sequence[Any]) -> np.ndarray:
    """A 1-D object array of ``values`` (lists and tuples stay single cells)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


@dataclass
class Ratings:
    """The standing labels as arrays: item and annotator codes (in natural order of their ids),
    and ``raw``, each label's index into ``values``: the distinct values as the kind reads them
    (a category; multi-label: a list of categories)."""

    item: np.ndarray
    annotator: np.ndarray
    raw: np.ndarray
    values: list[Any]
    items: list[Any]
    annotators: list[Any]

    @classmethod
    def read(cls, frame: pd.DataFrame, scheme: registry.AggregationScheme) -> Ratings:
        """The standing labels of ``frame`` (retracts, skips and flags applied)."""
        frame = _standing(frame)
        raw, values = _distinct(frame["value"])
        if (raw < 0).any():  # no value: not a label
            frame, raw = frame[raw >= 0], raw[raw >= 0]
        item, items = factorize(frame["item_id"])
        annotator, annotators = factorize(frame["annotator"])
        keep = _last_of_pairs(item, annotator, len(annotators))
        if keep is not None:
            item, annotator, raw = item[keep], annotator[keep], raw[keep]
        ratings = cls(item, annotator, raw, values, items, annotators)
        if scheme.category is not None:
            ratings.values = [ratings.read_value(k, scheme.category) for k in range(len(values))]
        if not scheme.multi:  # values that read as the same category become one
            codes, distinct = pd.factorize(objects(ratings.values))
            ratings.raw, ratings.values = codes[ratings.raw], list(distinct)
        return ratings

    @property
    def n(self) -> int:
        return len(self.raw)

    def where(self, k: int) -> str:
        """Who first gave distinct value ``k``, as error messages name it."""
        row = int(np.flatnonzero(self.raw == k)[0])
        return f"item {self.items[self.item[row]]!r}, annotator {self.annotators[self.annotator[row]]!r}"

    def read_value(self, k: int, category: Callable[[Any], Any]) -> Any:
        try:
            return category(self.values[k])
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{self.where(k)}: {exc}") from None

    def with_values(self, raw: np.ndarray, values: list[Any]) -> Ratings:
        """The same labels with other values (a multi-label task's present/absent per label)."""
        return Ratings(self.item, self.annotator, raw, values, self.items, self.annotators)


def _standing(frame: pd.DataFrame) -> pd.DataFrame:
    """The standing label of every (item, annotator): events reduced by the event log's rules;
    a frame of bare labels is kept as it is (its last row per pair counts, see ``read``)."""
    if "kind" in frame.columns and "id" in frame.columns:
        frame = current_from_annotations(frame)
    elif "kind" in frame.columns:
        frame = frame[frame["kind"].isin(["label", "skip"])]
    if "kind" in frame.columns:
        last = ~frame.duplicated(["item_id", "annotator"], keep="last").to_numpy()
        frame = frame[last & (frame["kind"] == "label").to_numpy()]
    return frame


def factorize(values: Any) -> tuple[np.ndarray, list[Any]]:
    """Codes and distinct values in natural order (numbers, then text): the order of the result's
    items and annotators, and of categories that come from the values themselves."""
    try:
        codes, uniques = pd.factorize(values, sort=True)
        return np.asarray(codes, dtype=np.int64), list(uniques)
    except TypeError:  # values of types that do not compare
        codes, uniques = pd.factorize(values)
        order = sorted(range(len(uniques)), key=lambda i: sort_key(uniques[i]))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return rank[np.asarray(codes, dtype=np.int64)], [uniques[i] for i in order]


def _distinct(column: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Each value's index among the distinct values (-1: missing). Labels are hashable and
    factorised in C; label sets and comparisons (lists, dicts) are taken one by one."""
    try:
        raw, uniques = pd.factorize(column)
        return np.asarray(raw, dtype=np.int64), list(uniques)
    except TypeError:
        values = column.tolist()
        raw = np.array([-1 if is_missing(v) else k for k, v in enumerate(values)], dtype=np.int64)
        return raw, values


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value))


def _last_of_pairs(item: np.ndarray, annotator: np.ndarray, n_annotators: int) -> np.ndarray | None:
    """Which rows to keep where an (item, annotator) pair has several (the last); ``None``: all."""
    pair = item * max(n_annotators, 1) + annotator
    ordered = np.sort(pair)
    if not (ordered[1:] == ordered[:-1]).any():
        return None
    return ~pd.Series(pair).duplicated(keep="last").to_numpy()


# ---------------------------------------------------------------------- gold
def gold_by_item(gold: Any, ratings: Ratings, scheme: registry.AggregationScheme) -> dict[int, Any]:
    """The gold answers by item position, read as the kind reads values. Gold items nobody
    labeled are left out (a session's gold pool is rarely all served); ``ValueError`` when no
    gold item was labeled at all (the ids do not match the annotations'), or naming an answer
    the kind cannot read."""
    if gold is None:
        return {}
    if isinstance(gold, Mapping):
        gold = pd.Series(dict(gold), dtype=object)
    if not isinstance(gold, pd.Series):
        raise TypeError(f"gold must be a Series (or a mapping) item id -> answer, got {type(gold).__name__}")
    answers = gold.to_numpy(dtype=object)
    keep = np.array([not is_missing(a) for a in answers], dtype=bool)
    ids, answers = list(gold.index[keep]), answers[keep]
    position = _positions(ids, ratings.items)
    if ids and not (position >= 0).any():
        raise ValueError(
            f"none of the {len(ids)} gold item(s) was labeled: {preview_labels(ids)}; "
            "gold is indexed by the item ids of the annotations"
        )
    labeled = position >= 0
    ids = [item_id for item_id, known in zip(ids, labeled, strict=True) if known]
    answers, position = answers[labeled], position[labeled]
    out: dict[int, Any] = {}
    for pos, item_id, answer in zip(position, ids, answers, strict=True):
        try:
            out[int(pos)] = scheme.category(answer) if scheme.category is not None else answer
        except (ValueError, TypeError) as exc:
            raise ValueError(f"gold of item {item_id!r}: {exc}") from None
    return out


def _positions(ids: list[Any], items: list[Any]) -> np.ndarray:
    """Where each id is among ``items`` (-1: nowhere); ids that differ only in type ("7" and 7)
    match by their text."""
    if not ids:
        return np.zeros(0, dtype=np.int64)
    position = pd.Index(items, dtype=object).get_indexer(pd.Index(ids, dtype=object))
    if (position < 0).any():
        by_text = {str(i): k for k, i in enumerate(items)}
        position = np.array(
            [p if p >= 0 else by_text.get(str(i), -1) for p, i in zip(position, ids, strict=True)]
        )
    return np.asarray(position, dtype=np.int64)


# ---------------------------------------------------------------------- categories
def coding(
    ratings: Ratings, gold: dict[int, Any], categories: Sequence[Any] | None
) -> tuple[list[Any], models.Codes]:
    """The categories in use (in the scheme's order; without one, in natural order) and the
    labels as :class:`~nblabel.agreement.aggregate_models.Codes`."""
    n = len(ratings.values)
    everything = objects([*ratings.values, *gold.values()])
    if categories is None:
        codes, in_use = factorize(everything)
    else:
        codes, in_use = _codes_in(everything, list(categories), ratings, list(gold))
    gold_codes = None
    if gold:
        gold_codes = np.full(len(ratings.items), -1, dtype=np.int64)
        gold_codes[list(gold)] = codes[n:]
    return in_use, models.Codes(
        item=ratings.item,
        annotator=ratings.annotator,
        code=codes[:n][ratings.raw] if n else np.zeros(0, dtype=np.int64),
        n_items=len(ratings.items),
        n_annotators=len(ratings.annotators),
        n_classes=len(in_use),
        gold=gold_codes,
    )


def _codes_in(
    values: np.ndarray, categories: list[Any], ratings: Ratings, gold_items: list[int]
) -> tuple[np.ndarray, list[Any]]:
    """Codes of the distinct ``values`` (then the gold answers) among the categories that occur,
    in the order of ``categories``; ``ValueError`` naming a value that is not one of them."""
    position = Positions(categories)
    known = np.array([position.of(v) for v in values], dtype=np.int64)
    bad = np.flatnonzero(known < 0)
    if len(bad):
        k = int(bad[0])
        n = len(ratings.values)
        where = ratings.where(k) if k < n else f"gold of item {ratings.items[gold_items[k - n]]!r}"
        raise ValueError(f"{where}: {values[k]!r} is not one of the labels {preview_labels(categories)}")
    used = np.unique(known)
    rank = np.full(len(categories), -1, dtype=np.int64)
    rank[used] = np.arange(len(used))
    return rank[known], [categories[i] for i in used]


class Positions:
    """Where each category is in a list of them."""

    def __init__(self, categories: Sequence[Any]) -> None:
        self.index = {c: i for i, c in enumerate(categories)}
        self.bools = any(isinstance(c, (bool, np.bool_)) for c in categories)

    def of(self, value: Any) -> int:
        """``value``'s position (-1: not a category); ``True`` is not the label 1."""
        if isinstance(value, (bool, np.bool_)) and not self.bools:
            return -1
        try:
            return self.index.get(value, -1)
        except TypeError:  # unhashable: not a category
            return -1
