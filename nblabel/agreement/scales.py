"""Agreement of ratings on a scale (``nl.Rate``): a number per item, or one per criterion.

A rating is a category of its scale (``1..n``), so every coefficient of a classification
applies; a scale adds the rows that count a near miss as less of a disagreement than a far one:

- ordinal Krippendorff's α and linear / quadratic weighted Cohen's κ (:mod:`.ordinal`);
- interval Krippendorff's α (the scale's points equally spaced);
- the intraclass correlation (:mod:`.icc`): ICC(1) over every item rated twice or more (the
  annotators need not be the same: Donner's average number of ratings), and ICC(A,1) and
  ICC(C,1) of the two-way model over the items every annotator rated, each with its F-based
  interval and Koo & Li's (2016) reading.

With criteria (``{criterion: number}`` values) each criterion gets all of these rows, keyed
``"<criterion>/<key>"``; the per-label table is indexed by (criterion, scale point), the
disagreements by (criterion, item), and the per-annotator table stays one row per annotator
(means over criteria, and each criterion's accuracy and κ against the reference). The live
view pools the criteria for the confusion of scale points (each item's rating of each
criterion is one unit) and shows each criterion's coefficients.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .coefficients import krippendorff_alpha
from .icc import ICCResult, icc, koo_li, oneway_unbalanced
from .ordinal import ordinal_extra
from .report import (
    AgreementReport,
    CategoricalData,
    build_report,
    categorical_report,
    coefficient_rows,
    disagreements_table,
    one_task,
    per_annotator_table,
    per_label_table,
    prepare,
    reading_of,
    safe_ci,
    safe_value,
    sort_key,
)
from .views import CategoricalView, ExtraRows, number

__all__ = ["CriteriaView", "by_criterion", "rating_live_view", "rating_report", "scale_rows"]

KIND = "rating"


# ---------------------------------------------------------------------- one criterion's ratings
def by_criterion(annotations: pd.DataFrame, criterion: str) -> pd.DataFrame:
    """``annotations`` (long, or a wide items x annotators table) with each rating
    ``{criterion: number, ...}`` reduced to its number for ``criterion`` (``None`` where it has
    none). ``ValueError`` naming the item and annotator of a label that is not such a dict."""
    if not {"item_id", "annotator", "value"} <= set(annotations.columns):
        return annotations.map(lambda v: _pick(v, criterion, "a cell"))
    values = annotations["value"].to_numpy(dtype=object)
    labels = (annotations["kind"] == "label").to_numpy() if "kind" in annotations.columns else None
    out = values.copy()
    items, annotators = annotations["item_id"].to_numpy(dtype=object), annotations["annotator"].to_numpy()
    for i in range(len(values)) if labels is None else np.flatnonzero(labels):
        out[i] = _pick(values[i], criterion, f"item {items[i]!r}, annotator {annotators[i]!r}")
    return annotations.assign(value=out)


def _pick(value: Any, criterion: str, where: str) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if not isinstance(value, Mapping):
        raise ValueError(f"{where}: {value!r} is not a rating per criterion ({{criterion: number}})")
    return value.get(criterion)


def _gold_of(gold: Any, criterion: str) -> Any:
    """A criterion's gold answers from ratings per criterion (a name of an annotator or column
    is kept: its ratings are reduced with the others')."""
    if isinstance(gold, Mapping):
        gold = pd.Series(dict(gold), dtype=object)
    if isinstance(gold, pd.Series):
        return gold.map(lambda v: _pick(v, criterion, "gold"))
    return gold


def _prepared(
    annotations: pd.DataFrame, gold: Any, points: Sequence[Any], criterion: str | None
) -> CategoricalData:
    """The ratings (of one ``criterion``) prepared as categories on ``points``."""
    if criterion is not None:
        frame = by_criterion(annotations, criterion)
        gold = _gold_of(gold, criterion)
        if isinstance(gold, str) and gold in frame.columns and gold not in ("item_id", "annotator", "value"):
            frame[gold] = [_pick(v, criterion, f"gold column {gold!r}") for v in frame[gold]]
        annotations = frame
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return prepare(annotations, gold, task_kind=KIND, labels=list(points), multi=False)


# ---------------------------------------------------------------------- the rows of a scale
def _numbers(data: CategoricalData) -> pd.DataFrame:
    """The items x annotators ratings as numbers (NaN = not rated)."""
    lookup = np.append(np.array([float(c) for c in data.categories], dtype=float), np.nan)
    codes = data.codes.to_numpy(dtype=float)
    where = np.where(np.isnan(codes), len(data.categories), np.nan_to_num(codes)).astype(np.intp)
    return pd.DataFrame(lookup[where], index=data.codes.index, columns=data.codes.columns)


def _icc_reading(value: float, low: float, high: float) -> str:
    """Koo & Li's reading of an ICC, naming the range its interval spans."""
    if math.isnan(value):
        return "undefined"
    point = koo_li(value)
    if math.isnan(low) or math.isnan(high):
        return f"{point} (Koo & Li)"
    bottom, top = koo_li(min(low, high)), koo_li(max(low, high))
    spans = f"the CI lies within {bottom}" if bottom == top else f"the CI spans {bottom} to {top}"
    return f"{point}; {spans} (Koo & Li)"


def _icc_row(key: str, name: str, compute: Callable[[], ICCResult], annotators: int) -> list[Any]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compute()
    notes = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if result.dropped and not math.isnan(result.value):
        notes.append(f"over the {result.items} items every annotator rated ({result.dropped} left out)")
    value, low, high = float(result.value), float(result.ci_low), float(result.ci_high)
    return [
        key,
        name,
        value,
        low,
        high,
        result.items,
        annotators,
        _icc_reading(value, low, high),
        "; ".join(notes),
    ]


def scale_rows(data: CategoricalData, *, n_boot: int, level: float, seed: int | None) -> list[list[Any]]:
    """Report rows of interval α (with a bootstrap interval) and the ICCs (F-based intervals) of
    prepared ratings whose categories are numbers."""
    try:
        values = _numbers(data)
    except (TypeError, ValueError):
        note = "the ratings are not numbers"
        return [
            [key, name, math.nan, math.nan, math.nan, 0, 0, "undefined", note] for key, name in _SCALE_ROWS
        ]
    k = values.shape[1]
    rated = values.notna().to_numpy()
    shared = rated.sum(axis=1) >= 2
    n_items, n_annotators = int(shared.sum()), int(rated[shared].any(axis=0).sum()) if shared.any() else 0
    metric = functools.partial(krippendorff_alpha, level="interval")
    if k < 2:
        value, note = math.nan, "needs ratings from at least two annotators"
    else:
        value, note = safe_value(metric, values)
    low, high = (math.nan, math.nan) if math.isnan(value) else safe_ci(metric, values, n_boot, level, seed)
    (alpha_key, alpha_name), *icc_rows = _SCALE_ROWS
    rows = [
        [
            alpha_key,
            alpha_name,
            value,
            low,
            high,
            n_items,
            n_annotators,
            reading_of(value, True, low, high),
            note,
        ]
    ]
    per_item = [row for row in values.to_numpy(dtype=float)]
    computations: list[Callable[[], ICCResult]] = [
        lambda: oneway_unbalanced(per_item, level=level),
        lambda: icc(values, "twoway", "agreement", level=level),
        lambda: icc(values, "twoway", "consistency", level=level),
    ]
    for (key, name), compute in zip(icc_rows, computations, strict=True):
        if k < 2:
            rows.append([key, name, math.nan, math.nan, math.nan, 0, k, "undefined",
                         "needs ratings from at least two annotators"])  # fmt: skip
            continue
        rows.append(_icc_row(key, name, compute, n_annotators if key == "icc_oneway" else k))
    return rows


#: The keys and names of :func:`scale_rows`, in order.
_SCALE_ROWS = [
    ("interval_alpha", "Krippendorff's α (interval)"),
    ("icc_oneway", "ICC(1): one-way, single rating"),
    ("icc_agreement", "ICC(A,1): two-way, absolute agreement, single rating"),
    ("icc_consistency", "ICC(C,1): two-way, consistency, single rating"),
]


def rating_extra(data: CategoricalData, points: Sequence[Any]) -> ExtraRows:
    """The rows a scale adds to the categorical ones, as a function of ``(n_boot, level, seed)``:
    ordinal α, weighted κ, interval α and the ICCs."""
    ordinal = ordinal_extra(data, list(points), {})

    def rows(n_boot: int, level: float, seed: int | None) -> list[list[Any]]:
        out = ordinal(n_boot, level, seed) if ordinal is not None else []
        return out + scale_rows(data, n_boot=n_boot, level=level, seed=seed)

    return rows


def _all_rows(
    data: CategoricalData, points: Sequence[Any], n_boot: int, level: float, seed: int | None
) -> list:
    return coefficient_rows(data, n_boot=n_boot, level=level, seed=seed) + rating_extra(data, points)(
        n_boot, level, seed
    )


def _prefixed(criterion: str, rows: list[list[Any]]) -> list[list[Any]]:
    return [[f"{criterion}/{key}", f"{criterion} — {name}", *rest] for key, name, *rest in rows]


# ---------------------------------------------------------------------- the report
def rating_report(
    annotations: pd.DataFrame,
    gold: Any,
    *,
    task: str | None,
    points: Sequence[Any],
    criteria: Sequence[str] | None,
    n_boot: int,
    level: float,
    seed: int | None,
) -> AgreementReport:
    """The agreement report of a rating task (see the module's docstring)."""
    frame = (
        one_task(annotations, task)
        if {"item_id", "annotator", "value"} <= set(annotations.columns)
        else annotations
    )
    if not criteria:
        data = _prepared(frame, gold, points, None)
        extra = rating_extra(data, points)(n_boot, level, seed)
        return categorical_report(data, n_boot=n_boot, level=level, seed=seed, extra_rows=extra)
    datas = {c: _prepared(frame, gold, points, c) for c in criteria}
    rows = [row for c, d in datas.items() for row in _prefixed(c, _all_rows(d, points, n_boot, level, seed))]
    first = next(iter(datas.values()))
    return build_report(
        rows,
        per_label=pd.concat({c: per_label_table(d) for c, d in datas.items()}, names=["criterion", "label"]),
        per_annotator=_annotators(datas),
        disagreements=pd.concat(
            {c: disagreements_table(d) for c, d in datas.items()}, names=["criterion", "item_id"]
        ),
        task_kind=KIND,
        reference="gold" if first.gold is not None else "majority of others",
        level=level,
    )


def _annotators(datas: Mapping[str, CategoricalData]) -> pd.DataFrame:
    """One row per annotator over every criterion: volume and throughput as rated, agreement
    with each other annotator and with the reference as means over criteria, and each
    criterion's ``accuracy[<criterion>]`` and ``kappa_reference[<criterion>]``."""
    tables = {c: per_annotator_table(d) for c, d in datas.items()}
    stacked = pd.concat(tables, names=["criterion", "annotator"])
    by = stacked.groupby(level="annotator", sort=False)
    first = next(iter(tables.values()))
    out = by.mean(numeric_only=True).reindex(columns=[c for c in first.columns if c != "reference"])
    for column in ("items", "skipped", "flagged"):
        out[column] = by[column].max().astype("int64")
    out["n_reference"] = by["n_reference"].sum().astype("int64")
    out.insert(
        list(out.columns).index("n_reference"), "reference", first["reference"].iloc[0] if len(first) else ""
    )
    for c, table in tables.items():
        out[f"accuracy[{c}]"] = table["accuracy"]
        out[f"kappa_reference[{c}]"] = table["kappa_reference"]
    out = out.loc[sorted(out.index, key=sort_key)]
    out.index.name = "annotator"
    return out


# ---------------------------------------------------------------------- the live view
def rating_live_view(
    frame: pd.DataFrame, gold: Any, *, points: Sequence[Any], criteria: Sequence[str] | None
) -> CategoricalView:
    """What the dashboard shows of a rating task: the categorical view of the scale's points
    with the scale's rows; with criteria, a :class:`CriteriaView`."""
    if not criteria:
        data = _prepared(frame, gold, points, None)
        return CategoricalView(
            data, n_labels=len(points), unit="scale points", extra_rows=rating_extra(data, points)
        )
    datas = {c: _prepared(frame, gold, points, c) for c in criteria}

    def rows(n_boot: int, level: float, seed: int | None) -> list[list[Any]]:
        return [
            row for c, d in datas.items() for row in _prefixed(c, _all_rows(d, points, n_boot, level, seed))
        ]

    return CriteriaView(_pooled(datas), n_labels=len(points), unit="scale points", extra_rows=rows)


def _pooled(datas: Mapping[str, CategoricalData]) -> CategoricalData:
    """The criteria's ratings as one table whose units are (criterion, item) pairs."""
    categories: list[Any] = []
    for d in datas.values():
        categories += [c for c in d.categories if c not in categories]
    categories.sort(key=sort_key)
    position = {c: i for i, c in enumerate(categories)}

    def recode(codes: pd.DataFrame | pd.Series, d: CategoricalData) -> Any:
        lut = np.array([position[c] for c in d.categories] + [np.nan], dtype=float)
        raw = codes.to_numpy(dtype=float)
        return lut[np.where(np.isnan(raw), len(d.categories), np.nan_to_num(raw)).astype(np.intp)]

    codes = pd.concat(
        {
            c: pd.DataFrame(recode(d.codes, d), index=d.codes.index, columns=d.codes.columns)
            for c, d in datas.items()
        },
        names=["criterion", "item_id"],
    )
    codes = codes[sorted(codes.columns, key=sort_key)]
    codes.columns.name = "annotator"
    golds = {
        c: pd.Series(recode(d.gold, d), index=d.gold.index) for c, d in datas.items() if d.gold is not None
    }
    first = next(iter(datas.values()))
    return CategoricalData(
        task_kind=KIND,
        multi=False,
        labels=list(categories),
        categories=list(categories),
        codes=codes,
        member=np.eye(len(categories), dtype=bool),
        gold=pd.concat(golds, names=["criterion", "item_id"]) if golds else None,
        events=first.events,
        skipped=first.skipped,
        flagged=first.flagged,
    )


class CriteriaView(CategoricalView):
    """The live view of ratings per criterion: the confusion, per-annotator and per-point rows of
    every criterion's ratings pooled (a unit is one item's rating of one criterion); the
    coefficients of each criterion (``extra_rows``)."""

    def _coefficients(self) -> list[list[Any]]:
        return []  # pooled coefficients would mix criteria: each criterion's are the extra rows

    def summary(self) -> dict[str, Any]:
        out = super().summary()
        out["criteria"] = [str(c) for c in self.data.codes.index.get_level_values(0).unique()]
        return out

    def intervals(self, n_boot: int = 200, level: float = 0.95, seed: int | None = 0) -> dict[str, list[Any]]:
        if self.data.codes.shape[1] < 2 or self.extra_rows is None:
            return {}
        return {r[0]: [number(r[3]), number(r[4])] for r in self.extra_rows(n_boot, level, seed)}

    def cell_items(
        self,
        a: pd.Series,
        b: pd.Series,
        row_code: int,
        col_code: int,
        texts: pd.Series | None,
        *,
        majority: bool,
    ) -> pd.DataFrame:
        """The (item, criterion) ratings behind one cell, indexed by item id, with the criterion
        and every annotator's rating of it."""
        table = super().cell_items(a, b, row_code, col_code, None, majority=majority)
        items = table.index.get_level_values("item_id")
        flat = pd.DataFrame(index=pd.Index(items, name="item_id"))
        if texts is not None:
            flat["text"] = texts.reindex(items).to_numpy(dtype=object)
        flat["criterion"] = table.index.get_level_values("criterion").to_numpy(dtype=object)
        for column in table.columns:
            flat[column] = table[column].to_numpy(dtype=object)
        return flat
