"""``agreement_report``: every agreement coefficient suited to a task in one table, plus the
per-label, per-annotator and disagreement tables a calibration session works from.

The coefficients themselves live in :mod:`nblabel.agreement`; this module prepares the ratings
(standing labels per item and annotator, gold answers, timing), calls them, and lays out the
results. A coefficient that is undefined on the data (one category, no item with two ratings)
shows ``NaN`` with the reading ``"undefined"`` and the reason in ``note``: its warning never
escapes, so a dashboard refresh or a CLI run never fails on it.
"""

from __future__ import annotations

import itertools
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core import registry
from ..core.frames import current_from_annotations, is_missing, recorded_task
from ..core.models import is_model
from . import coefficients

__all__ = ["AgreementReport", "agreement_report"]

#: The columns of the report table, in order.
REPORT_COLUMNS = ["coefficient", "value", "ci_low", "ci_high", "items", "annotators", "reading", "note"]
#: The reading of a value that is not chance-corrected (Landis & Koch apply to κ-like values only).
NOT_CHANCE_CORRECTED = "n/a (not chance-corrected)"
UNDEFINED = "undefined"
#: Pauses longer than this between two labels of one annotator are breaks, not work: they are
#: left out of ``items_per_hour``.
BREAK = pd.Timedelta(minutes=10)
#: The task kinds :func:`agreement_report` understands; the others raise ``NotImplementedError``.
#: Columns of the store's annotations frame that are not a gold column.
_STORE_COLUMNS = {
    "id", "task", "item_id", "annotator", "kind", "value", "comment", "created_at", "active_ms",
    "guideline_version", "suggestion", "suggestion_shown", "client_id", "client_seq", "item_kind",
}  # fmt: skip


# Control characters (C0 but newline and tab, DEL, C1) and bidirectional overrides in user data
# would let a label or annotator name rewrite a terminal line or garble a plot: they are shown
# escaped by :func:`printable`.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with control characters and bidi overrides shown as escapes (``\\x1b``)."""
    return _UNSAFE.sub(lambda m: repr(m.group())[1:-1], text)


def _agreement() -> Any:
    return coefficients


# ---------------------------------------------------------------------- the report object
class AgreementReport(pd.DataFrame):
    """The report table (one row per coefficient, indexed by a short key such as
    ``"fleiss_kappa"``) with three more tables as attributes:

    - ``per_label``: one row per label: ``count`` (ratings with the label), ``prevalence_<annotator>``
      (share of that annotator's ratings with the label), and the label-vs-rest binary
      ``agreement``, ``kappa`` (Cohen's κ for two annotators, else the mean over pairs) and
      ``alpha`` (Krippendorff's α).
    - ``per_annotator``: one row per annotator: items labeled, skipped, flagged, agreement with each
      other annotator (``kappa_with_<other>``; ``jaccard_with_<other>`` for multi-label), agreement
      with the ``reference`` (gold when given, else the majority of the other annotators), and
      throughput (``items_per_hour``, ``median_active_ms``).
    - ``disagreements``: one row per item whose annotators differ: each annotator's value in a
      column named after the annotator, then ``majority`` (``None`` on a tie), ``gold`` (when
      given), ``n_ratings`` and ``agreement`` (share of agreeing pairs of ratings).

    ``task_kind`` becomes the report's ``kind``; ``multi`` tells whether values are label sets.
    A session's report (``session.report()``) adds ``self_agreement``: each annotator's
    test–retest agreement with a bootstrap interval. A spans task with relations adds
    ``relations_per_label`` and ``relations_per_pair`` (:mod:`nblabel.agreement.relations`).
    """

    _metadata = [
        "per_label", "per_annotator", "disagreements", "kind", "multi", "reference", "level",
        "position_bias", "win_rates", "self_agreement", "relations_per_label", "relations_per_pair",
    ]  # fmt: skip

    @property
    def _constructor(self) -> Callable[..., AgreementReport]:
        return AgreementReport


def build_report(
    rows: list[list[Any]],
    *,
    per_label: pd.DataFrame,
    per_annotator: pd.DataFrame,
    disagreements: pd.DataFrame,
    task_kind: str,
    reference: str,
    level: float,
    multi: bool = False,
    **tables: pd.DataFrame,
) -> AgreementReport:
    """An :class:`AgreementReport` from its rows (the layout of ``REPORT_COLUMNS``) and tables;
    extra ``tables`` (``position_bias``, ``win_rates``) become attributes too."""
    report = AgreementReport(pd.DataFrame(rows, columns=["key", *REPORT_COLUMNS]).set_index("key"))
    report.index.name = None
    report["items"] = report["items"].astype("int64")
    report["annotators"] = report["annotators"].astype("int64")
    report.per_label = per_label
    report.per_annotator = per_annotator
    report.disagreements = disagreements
    report.kind = task_kind
    report.multi = multi
    report.reference = reference
    report.level = level
    for name, table in tables.items():
        setattr(report, name, table)
    return report


# ---------------------------------------------------------------------- prepared ratings
@dataclass
class CategoricalData:
    """Ratings prepared once for every table and plot."""

    task_kind: str  # the task kind the report is for (not an event's kind)
    multi: bool
    labels: list[Any]  # the individual labels, in order
    categories: list[Any]  # category values: labels, or label tuples (multi)
    codes: pd.DataFrame  # items x annotators, float category codes, NaN = not labeled
    member: np.ndarray  # categories x labels, bool: does category c contain label l
    gold: pd.Series | None = None  # float codes by item id (only items with a gold answer)
    events: pd.DataFrame | None = None  # every label event (timing), None without timing data
    skipped: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    flagged: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))

    @property
    def annotators(self) -> list[Any]:
        return list(self.codes.columns)

    def display(self, code: float) -> Any:
        """The user-facing value of a code: the label, or a list of labels (multi)."""
        if code is None or (isinstance(code, float) and math.isnan(code)):
            return None
        value = self.categories[int(code)]
        return list(value) if self.multi else value

    def category_name(self, code: int) -> str:
        """A short text for a category (axis labels)."""
        value = self.categories[code]
        if self.multi:
            return " + ".join(str(v) for v in value) if value else "(none)"
        return str(value)


def prepare(
    annotations: pd.DataFrame,
    gold: Any = None,
    *,
    task: str | None = None,
    task_kind: str = "classify",
    labels: Sequence[Any] | None = None,
    multi: bool | None = None,
) -> CategoricalData:
    """Standing labels as category codes, with gold and timing (shared by report and plots)."""
    if not isinstance(annotations, pd.DataFrame):
        raise TypeError(
            f"annotations must be a DataFrame (store.annotations(task) or a wide items x annotators "
            f"table), got {type(annotations).__name__}"
        )
    ratings = _Ratings.read(annotations, task)
    wide = ratings.wide
    gold_values: pd.Series | None = None
    if gold is not None:
        gold_values, wide = _gold(gold, ratings.frame, wide)
    cells = wide.to_numpy(dtype=object).ravel()
    coding = _Coding.of(_rated(cells, gold_values), task_kind, labels, multi)
    codes = pd.DataFrame(coding.codes(cells).reshape(wide.shape), index=wide.index, columns=wide.columns)
    codes = codes.dropna(how="all")
    codes = codes.loc[_in_order(codes.index), _in_order(codes.columns)]
    codes.index.name, codes.columns.name = "item_id", "annotator"
    gold_codes = None
    if gold_values is not None:
        gold_values = gold_values[[not is_missing(v) for v in gold_values]]
        gold_codes = pd.Series(coding.codes(gold_values.to_numpy(dtype=object)), index=gold_values.index)
        gold_codes = _align_ids(gold_codes, codes.index)
    return CategoricalData(
        task_kind=task_kind,
        multi=coding.multi,
        labels=coding.labels,
        categories=coding.categories,
        codes=codes,
        member=coding.member,
        gold=gold_codes,
        events=ratings.events,
        skipped=ratings.skipped,
        flagged=ratings.flagged,
    )


@dataclass
class _Ratings:
    """What :func:`prepare` reads from its input: items x annotators values, and from a long
    frame the frame itself, every label event (timing), standing skips and flags."""

    wide: pd.DataFrame
    frame: pd.DataFrame | None = None
    events: pd.DataFrame | None = None
    skipped: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    flagged: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))

    @classmethod
    def read(cls, annotations: pd.DataFrame, task: str | None) -> _Ratings:
        """A long frame (``item_id``, ``annotator``, ``value``) of one task, or a wide table."""
        if not {"item_id", "annotator", "value"} <= set(annotations.columns):
            return cls(wide=annotations.copy())
        frame = one_task(annotations, task)
        values, events, skipped, flagged = standing(frame)
        wide = values.pivot(index="item_id", columns="annotator", values="value") if len(values) else None
        if wide is None:
            wide = pd.DataFrame(index=pd.Index([], name="item_id"), columns=pd.Index([], name="annotator"))
        return cls(wide=wide, frame=frame, events=events, skipped=skipped, flagged=flagged)


def _rated(cells: np.ndarray, gold_values: pd.Series | None) -> np.ndarray:
    """Every value given: the ratings present, then the gold answers."""
    gold_cells = np.zeros(0, dtype=object)
    if gold_values is not None:
        gold_cells = gold_values.to_numpy(dtype=object)
        gold_cells = gold_cells[~pd.isna(gold_cells)]
    return np.concatenate([cells[~pd.isna(cells)], gold_cells])


@dataclass
class _Coding:
    """How rated values become category codes: the labels in order, the categories (labels, or
    label tuples when multi-label) and which labels each category holds."""

    scalar: bool  # every value is a plain scalar (coded with vectorised pandas)
    multi: bool
    labels: list[Any]
    position: dict[Any, int]
    categories: list[Any]
    member: np.ndarray
    code_of: dict[Any, float]

    @classmethod
    def of(
        cls, rated: np.ndarray, task_kind: str, labels: Sequence[Any] | None, multi: bool | None
    ) -> _Coding:
        """The coding of ``rated`` (every value given); ``labels`` first, in their order."""
        # Plain scalars (the common case) are coded with vectorised pandas; label lists (multi-label)
        # and dicts (spans, boxes, comparisons) take the per-value path.
        scalar = all(t in _SCALAR_TYPES for t in {type(v) for v in rated})
        if not scalar:
            _check_categorical(rated, task_kind)
        if multi is None:
            multi = not scalar and any(is_multi(v) for v in rated)
        distinct = list(pd.unique(pd.Series(rated, dtype=object))) if scalar else list(rated)
        label_list = _ordered_labels(labels, distinct, multi)
        position = {label: i for i, label in enumerate(label_list)}
        if multi:
            seen = {_label_tuple(v, position) for v in distinct}
            categories = sorted(seen, key=lambda t: (len(t), [position[x] for x in t]))
            member = np.zeros((len(categories), len(label_list)), dtype=bool)
            for c, labels_in in enumerate(categories):
                member[c, [position[x] for x in labels_in]] = True
        else:
            categories = label_list
            member = np.eye(len(categories), dtype=bool)
        code_of = {c: float(i) for i, c in enumerate(categories)}
        return cls(scalar, bool(multi), label_list, position, categories, member, code_of)

    def codes(self, values: np.ndarray) -> np.ndarray:
        """The float code of each value (NaN where missing)."""
        out = np.full(len(values), np.nan)
        ok = ~pd.isna(values)
        if self.scalar and not self.multi:
            out[ok] = pd.Series(values[ok], dtype=object).map(self.code_of).to_numpy(dtype=float)
        elif self.multi:
            out[ok] = [self.code_of[_label_tuple(v, self.position)] for v in values[ok]]
        else:
            out[ok] = [self.code_of[v] for v in values[ok]]
        return out


def _label_tuple(value: Any, position: dict[Any, int]) -> tuple[Any, ...]:
    """A multi-label value as the tuple of its distinct labels, in label order."""
    items = [value] if isinstance(value, (str, int, float)) else list(value)
    return tuple(sorted(set(items), key=position.__getitem__))


def one_task(frame: pd.DataFrame, task: str | None) -> pd.DataFrame:
    if "task" not in frame.columns:
        if task is not None:
            raise KeyError(f"task={task!r} given but the annotations have no 'task' column")
        return frame
    tasks = list(pd.unique(frame["task"]))
    if task is not None:
        if task not in tasks:
            raise KeyError(f"no annotations for task {task!r}; tasks: {tasks}")
        return frame[frame["task"] == task]
    if len(tasks) > 1:
        raise ValueError(f"the annotations hold several tasks {tasks}: pass task=... or filter them first")
    return frame


def standing(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.Series, pd.Series]:
    """The standing label per (item, annotator), every label event (for timing), and the
    number of standing skips and of flags per annotator."""

    if "kind" in frame.columns and "id" in frame.columns:
        current = current_from_annotations(frame)
    elif "kind" in frame.columns:
        current = frame[frame["kind"].isin(["label", "skip"])]
    else:
        current = frame.assign(kind="label")
    current = current.drop_duplicates(["item_id", "annotator"], keep="last")
    values = current[current["kind"] == "label"][["item_id", "annotator", "value"]]
    skipped = current[current["kind"] == "skip"].groupby("annotator").size()
    flagged = (
        frame[frame["kind"] == "flag"].groupby("annotator").size()
        if "kind" in frame.columns
        else pd.Series(dtype="int64")
    )
    events = None
    if "created_at" in frame.columns:
        kinds = frame["kind"] if "kind" in frame.columns else pd.Series("label", index=frame.index)
        events = frame.loc[kinds == "label", ["item_id", "annotator", "created_at"]].copy()
        events["active_ms"] = frame["active_ms"] if "active_ms" in frame.columns else np.nan
    return values, events, skipped, flagged


def _gold(gold: Any, frame: pd.DataFrame | None, wide: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Gold answers by item id, and the ratings without the gold annotator (if gold is one)."""
    if isinstance(gold, pd.Series):
        return gold, wide
    if isinstance(gold, Mapping):
        return pd.Series(dict(gold), dtype=object), wide
    if isinstance(gold, str):
        if frame is not None and gold in frame.columns and gold not in _STORE_COLUMNS:
            column = frame[["item_id", gold]].dropna(subset=[gold])
            return column.drop_duplicates("item_id").set_index("item_id")[gold], wide
        if gold in wide.columns:
            return wide[gold].dropna(), wide.drop(columns=[gold])
        where = "a column or an annotator" if frame is not None else "a column"
        choices = sorted(str(c) for c in wide.columns)
        if frame is not None:
            choices = sorted(set(frame.columns) - _STORE_COLUMNS) + choices
        raise KeyError(f"gold={gold!r} is not {where} of the annotations; choices: {choices}")
    raise TypeError(
        "gold must be a Series indexed by item id, a mapping item id -> label, or the name of a "
        f"column or annotator; got {type(gold).__name__}"
    )


def _align_ids(values: pd.Series, items: pd.Index) -> pd.Series:
    """Gold ids matched to the annotation ids; ids that differ only in type ("7" vs 7) match
    by their text."""
    if values.empty or items.empty or values.index.isin(items).any():
        return values
    by_text = {str(i): i for i in items}
    mapped = [by_text.get(str(i)) for i in values.index]
    if not any(m is not None for m in mapped):
        return values
    keep = [m is not None for m in mapped]
    return pd.Series(values.to_numpy()[keep], index=pd.Index([m for m in mapped if m is not None]))


#: Value types coded by the vectorised path of :func:`prepare` (labels of single-label tasks).
_SCALAR_TYPES = {str, int, float, bool, np.str_, np.int64, np.int32, np.float64, np.float32, np.bool_}


def is_multi(value: Any) -> bool:
    return isinstance(value, (list, tuple, set, frozenset, np.ndarray))


def _check_categorical(values: np.ndarray, task_kind: str) -> None:
    """Refuse values that are not labels or label lists (spans, boxes, judgements given to a
    report of categories), saying where the task's kind comes from."""
    for value in values:
        inner = next(iter(value), None) if is_multi(value) else value
        if isinstance(value, dict) or isinstance(inner, (dict, list, tuple)):
            raise TypeError(
                f"a {task_kind} report rates labels (or lists of labels), but the annotations hold "
                f"{type(value).__name__} values such as {str(value)[:80]!r}: read them with "
                "store.annotations(task), which records the task's kind, or pass kind= "
                "('spans', 'boxes', 'compare', ...)"
            )


def sort_key(value: Any) -> tuple[int, Any]:
    # Numbers before text, each in its natural order; mixed types never fail to sort.
    if isinstance(value, (bool, np.bool_)):
        return (0, int(value))
    if isinstance(value, (int, float, np.integer, np.floating)):
        return (0, value)
    return (1, str(value))


def sorted_values(values: Any) -> list[Any]:
    return sorted(values, key=sort_key)


def _in_order(index: pd.Index) -> Any:
    """``index`` in :func:`sort_key` order; an index of only numbers or only strings that is
    already sorted (what ``pivot`` returns) is kept as it is, without a Python sort."""
    kind = pd.api.types.infer_dtype(index, skipna=False)
    if kind in ("integer", "floating", "mixed-integer-float", "string") and index.is_monotonic_increasing:
        return index
    return sorted_values(index)


def _ordered_labels(labels: Sequence[Any] | None, raw: list[Any], multi: bool) -> list[Any]:
    given = list(labels) if labels is not None else []
    observed: set[Any] = set()
    for value in raw:
        if multi and is_multi(value):
            observed.update(value)
        else:
            observed.add(value)
    known = set(given)
    return given + sorted_values(v for v in observed if v not in known)


# ---------------------------------------------------------------------- safe calls
def safe_value(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> tuple[float, str]:
    """``fn(...)`` as a float, and the warnings it raised as one note; never raises for an
    undefined value (a warning, or a ValueError from degenerate input, gives ``NaN``)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = float(fn(*args, **kwargs))
        except (ValueError, ZeroDivisionError, FloatingPointError) as exc:
            value, caught = math.nan, [*caught, warnings.WarningMessage(exc, UserWarning, "", 0)]
    notes = dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, UserWarning))
    return value, "; ".join(notes)


def safe_ci(
    metric: Callable[..., float],
    ratings: pd.DataFrame,
    n_boot: int,
    level: float,
    seed: int | None,
    **kwargs: Any,
) -> tuple[float, float]:
    if n_boot <= 0 or len(ratings) == 0:
        return math.nan, math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            low, high = _agreement().bootstrap_ci(
                metric, ratings, n_boot=n_boot, level=level, seed=seed, **kwargs
            )
        except (ValueError, ZeroDivisionError, FloatingPointError):
            return math.nan, math.nan
    return float(low), float(high)


def reading_of(value: float, chance_corrected: bool, low: float = math.nan, high: float = math.nan) -> str:
    """The Landis & Koch reading of a chance-corrected ``value``, naming the range its confidence
    interval ``[low, high]`` spans when one is given: ``"moderate; the CI spans fair to
    substantial"`` (``"substantial; the CI lies within substantial"`` when it stays in one band).
    The point's reading alone without an interval; ``"undefined"`` for NaN, and
    ``"n/a (not chance-corrected)"`` for values the bands do not apply to."""
    if math.isnan(value):
        return UNDEFINED
    if not chance_corrected:
        return NOT_CHANCE_CORRECTED
    landis_koch = _agreement().landis_koch
    point = str(landis_koch(value))
    if math.isnan(low) or math.isnan(high):
        return point
    bottom, top = str(landis_koch(min(low, high))), str(landis_koch(max(low, high)))
    if bottom == top:
        return f"{point}; the CI lies within {bottom}"
    return f"{point}; the CI spans {bottom} to {top}"


def _frame(ratings: Any) -> pd.DataFrame:
    """The float-code table a composite metric receives (from the report, or resampled by
    ``bootstrap_ci``, which may hand over its own integer-coded table) as a DataFrame."""
    if isinstance(ratings, pd.DataFrame):
        return ratings
    codes, categories = getattr(ratings, "codes", None), getattr(ratings, "categories", None)
    if codes is not None and categories is not None:  # an encoded table: codes index categories
        lookup = np.append(np.asarray(categories, dtype=float), np.nan)
        q = len(categories)
        return pd.DataFrame(lookup[np.where((codes < 0) | (codes >= q), q, codes)])
    return pd.DataFrame(np.asarray(ratings, dtype=float))


# ---------------------------------------------------------------------- metrics on codes
def _cohen_pair(ratings: Any) -> float:
    r = _frame(ratings)
    return _agreement().cohen_kappa(r.iloc[:, 0], r.iloc[:, 1])


def _mean_defined(computations: Iterable[Callable[[], Any]], why: str) -> float:
    """Mean of the values that are defined (undefined ones, NaN or raising, left out); NaN with a
    ``UserWarning`` saying ``why`` when none is."""
    values = []
    for compute in computations:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                value = float(compute())
            except (ValueError, ZeroDivisionError):
                continue
        if not math.isnan(value):
            values.append(value)
    if not values:
        warnings.warn(why, UserWarning, stacklevel=3)
        return math.nan
    return float(np.mean(values))


def _kappa_metric(n_annotators: int) -> Callable[[Any], float]:
    if n_annotators == 2:
        return _cohen_pair
    return _mean_pairwise_kappa


def pairwise_kappas(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cohen's κ (unweighted) of every pair of columns of a float code table (NaN = not
    rated), over the rows both rated, and the number of those rows: two k x k matrices. κ is
    NaN where undefined (no shared row, or chance agreement 1). Equal to
    :func:`nblabel.agreement.cohen_kappa` on each pair, computed with one matrix product per
    category instead of k(k-1)/2 calls."""
    values = np.asarray(values, dtype=float)
    rated = ~np.isnan(values)
    both_rated = rated.astype(np.float64)
    shared = both_rated.T @ both_rated
    codes = np.where(rated, values, -1).astype(np.intp)
    agree = np.zeros_like(shared)
    chance = np.zeros_like(shared)
    for c in range(int(codes.max()) + 1 if rated.any() else 0):
        said = (codes == c).astype(np.float64)
        agree += said.T @ said
        a_said = said.T @ both_rated  # [a, b]: items both rated where a said c
        chance += a_said * a_said.T  # x (items both rated where b said c)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_disagreement = shared - chance / shared
        kappa = 1.0 - (shared - agree) / expected_disagreement
    kappa[(shared == 0) | ~np.isfinite(kappa) | (expected_disagreement <= 0)] = np.nan
    return kappa, shared


def _mean_pairwise_kappa(ratings: Any) -> float:
    """Light's κ: the mean of Cohen's κ over the pairs of annotators that share an item, pairs
    where it is undefined left out."""
    kappa, shared = pairwise_kappas(_frame(ratings).to_numpy(dtype=float))
    upper = np.triu(np.ones_like(kappa, dtype=bool), k=1) & (shared > 0)
    defined = kappa[upper & ~np.isnan(kappa)]
    if not len(defined):
        warnings.warn("no pair of annotators has a defined value", UserWarning, stacklevel=2)
        return math.nan
    return float(np.mean(defined))


def _binary(codes: pd.DataFrame | np.ndarray, member: np.ndarray, label: int) -> pd.DataFrame:
    """Label-vs-rest ratings (1.0 has the label, 0.0 not, NaN not rated)."""
    r = _frame(codes)
    values = r.to_numpy(dtype=float)
    out = np.full(values.shape, np.nan)
    rated = ~np.isnan(values)
    out[rated] = member[values[rated].astype(np.intp), label].astype(float)
    return pd.DataFrame(out, index=r.index, columns=r.columns)


def _per_label_mean(metric: Callable[[pd.DataFrame], float], member: np.ndarray) -> Callable[[Any], float]:
    """Macro mean over labels of a metric on label-vs-rest ratings (undefined labels left out)."""

    def mean(ratings: Any) -> float:
        return _mean_defined(
            (lambda label=label: metric(_binary(ratings, member, label)) for label in range(member.shape[1])),
            "undefined for every label",
        )

    return mean


def _jaccard_matrix(member: np.ndarray) -> np.ndarray:
    """Jaccard similarity of every pair of label sets (two empty sets agree: 1)."""
    m = member.astype(np.int64)
    inter = m @ m.T
    sizes = m.sum(axis=1)
    union = sizes[:, None] + sizes[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union == 0, 1.0, inter / np.maximum(union, 1))


def _mean_jaccard(member: np.ndarray) -> Callable[[Any], float]:
    """Mean over items with two or more ratings of the mean pairwise Jaccard similarity of the
    label sets (the set analogue of percent agreement)."""
    similarity = _jaccard_matrix(member)

    def metric(ratings: Any) -> float:
        values = _frame(ratings).to_numpy(dtype=float)
        total = np.zeros(values.shape[0])
        pairs = np.zeros(values.shape[0])
        for i, j in itertools.combinations(range(values.shape[1]), 2):
            both = ~np.isnan(values[:, i]) & ~np.isnan(values[:, j])
            a = values[both, i].astype(np.intp)
            b = values[both, j].astype(np.intp)
            total[both] += similarity[a, b]
            pairs[both] += 1
        used = pairs > 0
        if not used.any():
            warnings.warn("no item has two or more ratings", UserWarning, stacklevel=2)
            return math.nan
        return float(np.mean(total[used] / pairs[used]))

    return metric


# ---------------------------------------------------------------------- the report
def agreement_report(
    annotations: pd.DataFrame,
    gold: Any = None,
    *,
    task: str | None = None,
    kind: str | None = None,
    labels: Sequence[Any] | None = None,
    multi: bool | None = None,
    n_boot: int = 200,
    level: float = 0.95,
    seed: int | None = 0,
    models: tuple[str, str] | None = None,
) -> AgreementReport:
    """Every agreement coefficient suited to the task, in one table.

    ``annotations`` is the long frame of ``store.annotations(task)`` (events are reduced to the
    standing label per item and annotator; skips and retracted labels do not count) or a wide
    items x annotators table (NaN = not labeled). ``gold`` is a Series indexed by item id, a
    mapping item id -> label, or a name: a column of ``annotations`` holding gold answers, or an
    annotator whose labels are the gold (that annotator is then left out of the agreement).

    Single-label tasks get percent agreement, Cohen's κ (mean over pairs for more than two
    annotators), Fleiss' κ, Krippendorff's α (nominal) and Gwet's AC1. Multi-label tasks
    (values are lists of labels) get set-based measures: exact-set percent agreement, mean
    pairwise Jaccard, Krippendorff's α on exact sets, and the macro mean over labels of the
    label-vs-rest binary κ, α and AC1.

    The task's kind (and its config: ``multi``, a ranking's ``responses``) is the one the store
    recorded: a frame read by ``store.annotations(task)`` carries it. Another frame is a
    classify task unless ``kind=`` says otherwise (the kind is never guessed from the values).
    ``labels`` (the task's label set, which orders the labels and includes unused ones) comes
    from ``store.task(name)`` when known. Confidence
    intervals are percentile bootstraps over items (``n_boot`` resamples, ``level``, seeded
    with ``seed``; ``n_boot=0`` skips them).

    Span tasks get span F1 (exact, overlapping, bounds only); compare tasks get the choice
    coefficients (ties a category), Krippendorff's α on the signed preference and per rubric
    dimension, and the position bias, with ``position_bias`` and ``win_rates`` tables (``models``
    names the two compared columns there).

    Returns an :class:`AgreementReport`: a DataFrame indexed by coefficient key with columns
    ``coefficient, value, ci_low, ci_high, items, annotators, reading, note``, and the tables
    ``per_label``, ``per_annotator`` and ``disagreements`` as attributes.
    """
    recorded = recorded_task(annotations, task)
    config = dict(recorded.config) if recorded is not None else {}
    if multi is not None:
        config["multi"] = multi
    name = kind or (recorded.kind if recorded is not None else "classify")
    return registry.for_task(name, config).report(
        annotations,
        gold,
        task=task,
        labels=list(labels) if labels is not None else None,
        config=config,
        n_boot=n_boot,
        level=level,
        seed=seed,
        models=models,
    )


def categorical_report(
    data: CategoricalData,
    *,
    n_boot: int,
    level: float,
    seed: int | None,
    extra_rows: Sequence[list[Any]] = (),
    per_label: pd.DataFrame | None = None,
    per_annotator: pd.DataFrame | None = None,
    **tables: pd.DataFrame,
) -> AgreementReport:
    """The report of prepared categorical ratings: every coefficient, per label, per annotator
    and the disagreements; a kind adds its own rows (``extra_rows``) and tables (``tables``),
    or replaces the per-label or per-annotator table."""
    return build_report(
        coefficient_rows(data, n_boot=n_boot, level=level, seed=seed) + list(extra_rows),
        per_label=per_label_table(data) if per_label is None else per_label,
        per_annotator=per_annotator_table(data) if per_annotator is None else per_annotator,
        disagreements=disagreements_table(data),
        task_kind=data.task_kind,
        multi=data.multi,
        reference="gold" if data.gold is not None else "majority of others",
        level=level,
        **tables,
    )


@dataclass
class _Coefficient:
    key: str
    name: str
    metric: Callable[..., float]  # metric(ratings, **kwargs); bootstrapped the same way
    kwargs: dict[str, Any] = field(default_factory=dict)
    chance_corrected: bool = True


def coefficient_specs(data: CategoricalData, k: int) -> list[_Coefficient]:
    ag = _agreement()
    kappa_name = "Cohen's κ" if k == 2 else "Cohen's κ (mean pairwise)"
    # Cohen's κ of two annotators goes to bootstrap_ci as agreement.cohen_kappa on the two
    # columns (its vectorised path); the mean over pairs is a callable resampled per replicate.
    kappa: Callable[..., float] = ag.cohen_kappa if k == 2 else _kappa_metric(k)
    if not data.multi:
        return [
            _Coefficient(
                "percent_agreement", "percent agreement", ag.percent_agreement, chance_corrected=False
            ),
            _Coefficient("cohen_kappa", kappa_name, kappa),
            _Coefficient("fleiss_kappa", "Fleiss' κ", ag.fleiss_kappa),
            _Coefficient("krippendorff_alpha", "Krippendorff's α (nominal)", ag.krippendorff_alpha),
            _Coefficient(
                "gwet_ac1", "Gwet's AC1", ag.gwet_ac1,
                {"categories": [float(c) for c in range(len(data.categories))]},
            ),
        ]  # fmt: skip
    member = data.member
    return [
        _Coefficient(
            "exact_set_agreement", "percent agreement (exact label set)", ag.percent_agreement,
            chance_corrected=False,
        ),
        _Coefficient("mean_jaccard", "mean pairwise Jaccard", _mean_jaccard(member), chance_corrected=False),
        _Coefficient("exact_set_alpha", "Krippendorff's α (nominal, exact label set)", ag.krippendorff_alpha),
        _Coefficient(
            "label_kappa", f"{kappa_name} per label, macro mean", _per_label_mean(_kappa_metric(k), member)
        ),
        _Coefficient(
            "label_alpha", "Krippendorff's α per label, macro mean",
            _per_label_mean(ag.krippendorff_alpha, member),
        ),
        _Coefficient(
            "label_ac1", "Gwet's AC1 per label, macro mean",
            _per_label_mean(lambda r: ag.gwet_ac1(r, categories=[0.0, 1.0]), member),
        ),
    ]  # fmt: skip


def coefficient_rows(
    data: CategoricalData, *, n_boot: int, level: float, seed: int | None
) -> list[list[Any]]:
    """One row per coefficient. Every coefficient sees every item with a rating (Krippendorff's
    α and percent agreement ignore items with one rating themselves; Fleiss' κ and AC1 use them
    for the category shares when ratings are missing); ``items`` counts the items with two or
    more ratings (for Cohen's κ of two annotators: the items both rated)."""
    codes = data.codes
    k = codes.shape[1]
    shared = codes[codes.notna().sum(axis=1) >= 2]
    n_items = len(shared)
    n_annotators = int(shared.notna().any().sum())
    rows = []
    for spec in coefficient_specs(data, k):
        items = n_items
        pair = spec.key == "cohen_kappa" and k == 2
        if pair:
            items = int(codes.notna().all(axis=1).sum())
        if k < 2:
            value, note = math.nan, "needs ratings from at least two annotators"
        elif pair:
            value, note = safe_value(spec.metric, codes.iloc[:, 0], codes.iloc[:, 1])
        else:
            value, note = safe_value(spec.metric, codes, **spec.kwargs)
        low = high = math.nan
        if not math.isnan(value):
            low, high = safe_ci(spec.metric, codes, n_boot, level, seed, **spec.kwargs)
        reading = reading_of(value, spec.chance_corrected, low, high)
        rows.append([spec.key, spec.name, value, low, high, items, n_annotators, reading, note])
    return rows


# ---------------------------------------------------------------------- per label
def per_label_table(data: CategoricalData) -> pd.DataFrame:
    """One row per label: count, prevalence per annotator, label-vs-rest agreement, κ and α."""
    ag = _agreement()
    codes = data.codes
    k = codes.shape[1]
    kappa = _kappa_metric(k)
    rated = codes.notna()
    rows = []
    for j, label in enumerate(data.labels):
        binary = _binary(codes, data.member, j)
        row: dict[str, Any] = {"label": label, "count": int(np.nansum(binary.to_numpy()))}
        for annotator in codes.columns:
            n = int(rated[annotator].sum())
            row[f"prevalence_{annotator}"] = float(binary[annotator].sum()) / n if n else math.nan
        if k >= 2:
            row["agreement"] = safe_value(ag.percent_agreement, binary)[0]
            row["kappa"] = safe_value(kappa, binary)[0]
            row["alpha"] = safe_value(ag.krippendorff_alpha, binary)[0]
        else:
            row["agreement"] = row["kappa"] = row["alpha"] = math.nan
        rows.append(row)
    columns = ["count", *[f"prevalence_{a}" for a in codes.columns], "agreement", "kappa", "alpha"]
    table = pd.DataFrame(rows, columns=["label", *columns]).set_index("label")
    table["count"] = table["count"].astype("int64")
    return table


# ---------------------------------------------------------------------- per annotator
def majority_codes(data: CategoricalData, codes: pd.DataFrame) -> pd.Series:
    """The majority value of each item over the given columns (NaN on a tie or no rating).

    Single-label: the most frequent label, if unique. Multi-label: the set of labels chosen by
    more than half of the ratings of the item. Model annotators (``model:<name>``) do not vote.
    """
    codes = codes[[c for c in codes.columns if not is_model(c)]]  # model annotators never vote
    values = codes.to_numpy(dtype=float)
    n_items = values.shape[0]
    out = np.full(n_items, np.nan)
    if n_items == 0 or values.shape[1] == 0:
        return pd.Series(out, index=codes.index)
    rated = ~np.isnan(values)
    n = rated.sum(axis=1)
    if data.multi:
        sets = []
        per_label = np.zeros((n_items, data.member.shape[1]))
        for c in range(values.shape[1]):
            ok = rated[:, c]
            per_label[ok] += data.member[values[ok, c].astype(np.intp)]
        chosen = per_label * 2 > n[:, None]
        index = {tuple(row): i for i, row in enumerate(data.member)}
        for i in range(n_items):
            if n[i] == 0:
                sets.append(np.nan)
                continue
            key = tuple(chosen[i])
            if key not in index:  # a set nobody chose as such: add it as a category
                data.categories.append(tuple(lab for lab, on in zip(data.labels, key, strict=True) if on))
                data.member = np.vstack([data.member, np.array(key, dtype=bool)])
                index[key] = len(data.categories) - 1
            sets.append(float(index[key]))
        out = np.array(sets, dtype=float)
    else:
        n_cat = max(len(data.categories), 1)
        rows = np.nonzero(rated)[0]
        keys = rows * n_cat + values[rated].astype(np.intp)
        counts = np.bincount(keys, minlength=n_items * n_cat).reshape(n_items, n_cat)
        top = counts.max(axis=1)
        unique = (counts == top[:, None]).sum(axis=1) == 1
        best = counts.argmax(axis=1).astype(float)
        out = np.where((n > 0) & unique, best, np.nan)
    return pd.Series(out, index=codes.index)


def reference_codes(data: CategoricalData, annotator: Any) -> pd.Series:
    """What ``annotator`` is compared with: gold if given, else the majority of the others."""
    if data.gold is not None:
        return data.gold.reindex(data.codes.index)
    others = data.codes.drop(columns=[annotator])
    return majority_codes(data, others)


def per_annotator_table(data: CategoricalData) -> pd.DataFrame:
    """One row per annotator: volume, agreement with each other annotator and with the reference,
    and throughput."""
    ag = _agreement()
    codes = data.codes
    annotators = list(codes.columns)
    similarity = _jaccard_matrix(data.member) if data.multi else None
    pair = "jaccard_with_" if data.multi else "kappa_with_"
    rows = []
    kappas = None if data.multi else pairwise_kappas(codes.to_numpy(dtype=float))[0]
    throughput = throughputs(data.events)
    for ia, a in enumerate(annotators):
        row: dict[str, Any] = {
            "annotator": a,
            "items": int(codes[a].notna().sum()),
            "skipped": int(data.skipped.get(a, 0)),
            "flagged": int(data.flagged.get(a, 0)),
        }
        for ib, b in enumerate(annotators):
            if a == b:
                row[pair + str(b)] = math.nan
            elif kappas is None:
                row[pair + str(b)] = _jaccard_mean(codes[a], codes[b], similarity)
            else:
                row[pair + str(b)] = float(kappas[ia, ib])
        ref = reference_codes(data, a)
        if data.multi:
            similarity = _jaccard_matrix(data.member)  # the majority may have added sets
        both = codes[a].notna() & ref.notna()
        row["reference"] = "gold" if data.gold is not None else "majority of others"
        row["n_reference"] = int(both.sum())
        row["accuracy"] = float((codes[a][both] == ref[both]).mean()) if both.any() else math.nan
        if data.multi:
            row["jaccard_reference"] = _jaccard_mean(codes[a], ref, similarity)
        else:
            row["kappa_reference"] = safe_value(ag.cohen_kappa, codes[a][both], ref[both])[0]
        row.update(throughput.get(a, {"items_per_hour": math.nan, "median_active_ms": math.nan}))
        rows.append(row)
    columns = [
        "items", "skipped", "flagged", *[pair + str(b) for b in annotators], "reference", "n_reference",
        "accuracy", "jaccard_reference" if data.multi else "kappa_reference", "items_per_hour",
        "median_active_ms",
    ]  # fmt: skip
    table = pd.DataFrame(rows, columns=["annotator", *columns]).set_index("annotator")
    for col in ("items", "skipped", "flagged", "n_reference"):
        table[col] = table[col].astype("int64")
    return table


def _jaccard_mean(a: pd.Series, b: pd.Series, similarity: np.ndarray) -> float:
    both = a.notna() & b.notna()
    if not both.any():
        return math.nan
    return float(similarity[a[both].astype(np.intp), b[both].astype(np.intp)].mean())


def throughputs(events: pd.DataFrame | None) -> dict[Any, dict[str, float]]:
    """Per annotator: items per hour from the label events' timestamps (pauses over ``BREAK``
    left out) and the median active time per label event — both from the events that carry an
    active time only. Labels written by code or imported have none, and their timestamps say
    nothing of how long labeling took (an import writes thousands a millisecond): an annotator
    without timed events gets no figure (NaN)."""
    if events is None or not len(events):
        return {}
    events = events[pd.to_numeric(events["active_ms"], errors="coerce").notna().to_numpy()]
    if not len(events):
        return {}
    ordered = events.assign(created_at=pd.to_datetime(events["created_at"], utc=True)).sort_values(
        ["annotator", "created_at"], kind="stable"
    )
    same = ordered["annotator"].to_numpy(dtype=object)
    gaps = ordered["created_at"].diff().dt.total_seconds().to_numpy(dtype=float, copy=True)
    gaps[1:][same[1:] != same[:-1]] = np.nan
    gaps[0] = np.nan
    counted = ~np.isnan(gaps) & (gaps <= BREAK.total_seconds())
    work = pd.DataFrame(
        {
            "annotator": ordered["annotator"].to_numpy(),
            "gap": np.where(counted, gaps, 0.0),
            "counted": counted,
            "active": pd.to_numeric(ordered["active_ms"], errors="coerce").to_numpy(dtype=float),
        }
    ).groupby("annotator", sort=False)
    seconds, n, active = work["gap"].sum(), work["counted"].sum(), work["active"].median()
    out = {}
    for annotator in seconds.index:
        rate = n[annotator] / seconds[annotator] * 3600 if seconds[annotator] > 0 else math.nan
        out[annotator] = {"items_per_hour": float(rate), "median_active_ms": float(active[annotator])}
    return out


# ---------------------------------------------------------------------- disagreements
def disagreements_table(data: CategoricalData) -> pd.DataFrame:
    """One row per item whose annotators gave different values, ready for adjudication."""
    codes = data.codes
    values = codes.to_numpy(dtype=float)
    rated = ~np.isnan(values)
    n = rated.sum(axis=1)
    lo = np.where(rated, values, np.inf).min(axis=1) if values.size else np.zeros(0)
    hi = np.where(rated, values, -np.inf).max(axis=1) if values.size else np.zeros(0)
    differ = (n >= 2) & (lo != hi)
    subset = codes[differ]
    majority = majority_codes(data, subset)
    columns = {}
    fixed = {"majority", "gold", "n_ratings", "agreement"}
    for a in codes.columns:
        name = f"{a} (annotator)" if a in fixed else a
        columns[name] = display_codes(data, subset[a])
    table = pd.DataFrame(columns, index=subset.index, dtype=object)
    table["majority"] = pd.Series(display_codes(data, majority), index=subset.index, dtype=object)
    if data.gold is not None:
        gold = data.gold.reindex(subset.index)
        table["gold"] = pd.Series(display_codes(data, gold), index=subset.index, dtype=object)
    table["n_ratings"] = n[differ].astype("int64")
    table["agreement"] = _item_agreement(subset.to_numpy(dtype=float))
    table.index.name = "item_id"
    table.columns.name = None
    return table


def display_codes(data: CategoricalData, codes: pd.Series | np.ndarray) -> list[Any]:
    """The user-facing values of many codes (``None`` where missing)."""
    values = np.asarray(codes, dtype=float)
    shown = [data.display(float(c)) for c in range(len(data.categories))] + [None]
    where = np.where(np.isnan(values), len(data.categories), np.nan_to_num(values)).astype(np.intp)
    if data.multi:  # a fresh list per cell: callers may edit one without touching the others
        return [None if shown[i] is None else list(shown[i]) for i in where]
    return [shown[i] for i in where]


def _item_agreement(values: np.ndarray) -> np.ndarray:
    """Per item, the share of ordered pairs of ratings that agree (NaN under two ratings)."""
    n_items = values.shape[0]
    rated = ~np.isnan(values)
    m = rated.sum(axis=1)
    out = np.full(n_items, np.nan)
    if not values.size or not rated.any():
        return out
    rows = np.broadcast_to(np.arange(n_items)[:, None], values.shape)[rated]
    codes = values[rated].astype(np.intp)
    width = int(codes.max()) + 1
    counts = np.bincount(rows * width + codes, minlength=n_items * width).reshape(n_items, width)
    pairs = (counts * (counts - 1)).sum(axis=1)
    ok = m >= 2
    out[ok] = pairs[ok] / (m[ok] * (m[ok] - 1))
    return out
