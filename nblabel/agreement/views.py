"""What a live view (the dashboard) shows of prepared ratings, as JSON-ready data.

A task kind prepares a task's annotations into one of two families and wraps them in a view:

- :class:`CategoricalView`: one category per (item, annotator) — labels, label sets, the choice
  of a comparison, whole rankings. Coefficients, per-label and per-annotator rows, a confusion
  grid of categories, the items behind a cell.
- :class:`DocumentView`: a list of spans or boxes per (item, annotator), compared by matching
  (F1). The same parts, with matched-pair confusion of labels.

The dashboard (:mod:`nblabel.widgets.live`) only picks the pair of sides and formats; it never
asks what kind of task it shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .coefficients import gwet_ac1, landis_koch
from .confusion import MAX_CATEGORIES, OTHER, Grid, grid, selects
from .report import (
    CategoricalData,
    coefficient_rows,
    coefficient_specs,
    display_codes,
    majority_codes,
    per_annotator_table,
    per_label_table,
    reading_of,
    safe_ci,
    safe_value,
)
from .spans import NONE as SPAN_NONE
from .spans import SpanData, majority_spans

__all__ = ["MAX_LABEL_ROWS", "CategoricalView", "DocumentView", "coefficient_row", "number", "with_interval"]

#: Most rows of the per-label table in a snapshot (the most used labels; the count of the
#: others is sent instead).
MAX_LABEL_ROWS = 50
#: Extra coefficient rows a kind adds to a categorical view: ``fn(n_boot, level, seed)``.
ExtraRows = Callable[[int, float, "int | None"], list[list[Any]]]


# ---------------------------------------------------------------------- JSON cells
def number(value: Any) -> float | None:
    """A float for JSON (``None`` for NaN / missing)."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def coefficient_row(row: list[Any]) -> dict[str, Any]:
    """A report row (``key, name, value, low, high, items, annotators, reading, note``) as JSON."""
    key, name, value, low, high, items, annotators, reading, note = row
    return {
        "key": key,
        "name": name,
        "value": number(value),
        "ci": [number(low), number(high)],
        "items": int(items),
        "annotators": int(annotators),
        "reading": reading,
        "note": note,
    }


def with_interval(row: dict[str, Any], ci: list[Any]) -> dict[str, Any]:
    """A JSON coefficient row (:func:`coefficient_row`, computed without an interval) given its
    confidence interval ``[low, high]``: a Landis & Koch reading then names the range the
    interval spans too (see :func:`~nblabel.agreement.report.reading_of`); other readings stay."""
    value, (low, high) = row["value"], ci
    out = {**row, "ci": list(ci)}
    if value is not None and low is not None and high is not None and row["reading"] == landis_koch(value):
        out["reading"] = reading_of(value, True, low, high)
    return out


def _item_table(ids: pd.Index, texts: pd.Series | None) -> tuple[pd.DataFrame, pd.Series]:
    table = pd.DataFrame(index=ids)
    table.index.name = "item_id"
    text_of = texts.reindex(ids) if texts is not None else pd.Series(None, index=ids, dtype=object)
    if texts is not None:
        table["text"] = text_of.to_numpy(dtype=object) if len(ids) else []
    return table, text_of


# ---------------------------------------------------------------------- the shared table
class TableColumns:
    """What every live view reads of its items x annotators table (``table``, set by the view):
    whether there is gold, the items, one annotator's column, and gold aligned with the items
    (missing answers ``None`` when ``gold_none``, else as the table holds them)."""

    data: Any
    table: pd.DataFrame
    gold_none: bool = True

    @property
    def has_gold(self) -> bool:
        return self.data.gold is not None

    @property
    def items(self) -> pd.Index:
        return self.table.index

    def column(self, annotator: Any) -> pd.Series:
        return self.table[annotator]

    def gold_column(self) -> pd.Series:
        assert self.data.gold is not None
        column = self.data.gold.reindex(self.table.index)
        return column.astype(object).where(column.notna(), None) if self.gold_none else column


# ---------------------------------------------------------------------- categories
@dataclass
class CategoricalView(TableColumns):
    """A live view of categorical ratings.

    ``n_labels`` counts every label of the task (the data may hold only those in use: a large
    label set); ``unit`` names a category on the confusion axes ("labels", "label sets",
    "rankings"); ``extra_rows`` adds a kind's own coefficient rows (a comparison's α on the
    signed preference, its position bias).
    """

    data: CategoricalData
    n_labels: int
    unit: str = "labels"
    extra_rows: ExtraRows | None = None
    can_majority: bool = True
    annotators: list[Any] = field(init=False)

    gold_none = False  # gold codes stay numbers, as the table's

    def __post_init__(self) -> None:
        self.table = self.data.codes
        self.annotators = list(self.table.columns)

    def majority(self, exclude: Any | None) -> pd.Series:
        codes = self.data.codes
        others = codes.drop(columns=[exclude]) if exclude is not None else codes
        return majority_codes(self.data, others)

    # -------------------------------------------------------------- summary
    def summary(self) -> dict[str, Any]:
        """The snapshot fields of the task (the confusion pair is added by the caller)."""
        data = self.data
        codes = data.codes
        n = codes.notna().sum(axis=1).to_numpy()
        values = codes.to_numpy(dtype=float)
        lo = np.where(np.isnan(values), np.inf, values).min(axis=1) if values.size else np.zeros(0)
        hi = np.where(np.isnan(values), -np.inf, values).max(axis=1) if values.size else np.zeros(0)
        shown, in_use = _label_choice(data)
        listed = replace(data, labels=[data.labels[j] for j in shown], member=data.member[:, shown])
        rows = self._coefficients()
        if self.extra_rows is not None:
            rows += self.extra_rows(0, 0.95, 0)
        return {
            "empty": False,
            "multi": data.multi,
            "labels": [str(v) for v in listed.labels],  # those of the per-label rows
            "label_count": self.n_labels,
            "labels_in_use": in_use,
            "annotators": [str(a) for a in codes.columns],
            "has_gold": data.gold is not None,
            "reference": "gold" if data.gold is not None else "majority of others",
            "items": int(len(codes)),
            "shared": int((n >= 2).sum()),
            "ratings": int(n.sum()),
            "disagreements": int(((n >= 2) & (lo != hi)).sum()),
            "coefficients": [coefficient_row(r) for r in rows],
            "per_annotator": _per_annotator_rows(data),
            "per_label": _per_label_rows(listed),
        }

    def intervals(self, n_boot: int = 200, level: float = 0.95, seed: int | None = 0) -> dict[str, list[Any]]:
        """Bootstrap confidence intervals by coefficient key (slow: run after the summary)."""
        data = self.data
        if data.codes.shape[1] < 2:
            return {}
        out = {}
        every = self._every_category()
        for spec in coefficient_specs(data, data.codes.shape[1]):
            kwargs = every if spec.key == "gwet_ac1" and every else spec.kwargs
            low, high = safe_ci(spec.metric, data.codes, n_boot, level, seed, **kwargs)
            out[spec.key] = [number(low), number(high)]
        if self.extra_rows is not None:
            for r in self.extra_rows(n_boot, level, seed):
                out[r[0]] = [number(r[3]), number(r[4])]
        return out

    def _every_category(self) -> dict[str, Any] | None:
        """Gwet's AC1 ``categories=`` over every label of the task, when the data hold only the
        labels in use (AC1's chance agreement divides by the number of categories)."""
        if self.data.multi or self.n_labels == len(self.data.categories):
            return None
        return {"categories": [float(c) for c in range(self.n_labels)]}

    def _coefficients(self) -> list[list[Any]]:
        """The report's coefficient rows (no intervals), with AC1 over every label."""
        data = self.data
        rows = coefficient_rows(data, n_boot=0, level=0.95, seed=0)
        every = self._every_category()
        if every is None or data.codes.shape[1] < 2:
            return rows
        for row in rows:
            if row[0] == "gwet_ac1":
                value, note = safe_value(gwet_ac1, data.codes, **every)
                row[2], row[7], row[8] = value, reading_of(value, True), note
        return rows

    # -------------------------------------------------------------- confusion
    def grid(self, a: pd.Series, b: pd.Series) -> Grid:
        """The confusion counts of two code columns: every category of a small single-label
        set; else those that occur, the most frequent :data:`MAX_CATEGORIES` of them shown."""
        both = (a.notna() & b.notna()).to_numpy()
        every = not self.data.multi and self.n_labels <= MAX_CATEGORIES
        return grid(a.to_numpy()[both], b.to_numpy()[both], len(self.data.categories), every=every)

    def confusion(self, a: pd.Series, b: pd.Series) -> dict[str, Any]:
        """Counts of (a's category, b's category) over the items both have."""
        cells = self.grid(a, b)
        unit = "label sets" if self.data.multi else self.unit
        return {
            "categories": cells.names(self.data.category_name),
            "codes": cells.codes,
            "counts": cells.counts.tolist(),
            "total": cells.total,
            "agree": cells.agree,
            "occurring": cells.occurring,
            "left_out": cells.left_out,
            "category_kind": unit,
        }

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
        """The items behind one cell: their text and every annotator's value (and gold, and the
        ``majority`` column when ``b`` is the majority of the others). A code of
        :data:`~nblabel.agreement.confusion.OTHER` stands for every category left out."""
        data = self.data
        shown = self.grid(a, b).codes if OTHER in (row_code, col_code) else []
        hit = pd.Series(selects(a, row_code, shown) & selects(b, col_code, shown), index=a.index)
        ids = data.codes.index[hit.to_numpy()]
        table, _ = _item_table(ids, texts)
        for annotator in data.codes.columns:
            table[str(annotator)] = display_codes(data, data.codes.loc[ids, annotator])
        if data.gold is not None:
            table["gold"] = display_codes(data, data.gold.reindex(ids))
        if majority:
            table["majority"] = display_codes(data, b[hit])
        return table


def _per_annotator_rows(data: CategoricalData) -> list[dict[str, Any]]:
    table = per_annotator_table(data)
    agreement = "jaccard_reference" if data.multi else "kappa_reference"
    return [
        {
            "annotator": str(name),
            "items": int(row["items"]),
            "skipped": int(row["skipped"]),
            "flagged": int(row["flagged"]),
            "accuracy": number(row["accuracy"]),
            "agreement": number(row[agreement]),
            "n_reference": int(row["n_reference"]),
            "items_per_hour": number(row["items_per_hour"]),
            "median_active_ms": number(row["median_active_ms"]),
        }
        for name, row in table.iterrows()
    ]


def _per_label_rows(data: CategoricalData) -> list[dict[str, Any]]:
    table = per_label_table(data)
    return [
        {
            "label": str(label),
            "count": int(row["count"]),
            "agreement": number(row["agreement"]),
            "kappa": number(row["kappa"]),
            "alpha": number(row["alpha"]),
        }
        for label, row in table.iterrows()
    ]


def _label_choice(data: CategoricalData) -> tuple[list[int], int]:
    """The labels of the per-label rows (every label of a list of at most
    :data:`MAX_LABEL_ROWS`; else the most used labels in use, in label order) and the number of
    labels in use (given by an annotator or in gold)."""
    categories, labels = np.nonzero(data.member)  # (category, label it holds) pairs

    def per_label(codes: np.ndarray) -> np.ndarray:  # how many of the codes hold each label
        codes = codes[~np.isnan(codes)].astype(np.intp)
        per_category = np.bincount(codes, minlength=data.member.shape[0])
        return np.bincount(labels, weights=per_category[categories], minlength=len(data.labels))

    counts = per_label(data.codes.to_numpy(dtype=float).ravel())
    in_use = counts > 0
    if data.gold is not None:
        in_use |= per_label(data.gold.to_numpy(dtype=float)) > 0
    if len(data.labels) <= MAX_LABEL_ROWS:
        return list(range(len(data.labels))), int(in_use.sum())
    used = np.flatnonzero(in_use)
    top = np.sort(used[np.argsort(-counts[used], kind="stable")[:MAX_LABEL_ROWS]])
    return [int(j) for j in top], len(used)


# ---------------------------------------------------------------------- documents
#: ``coefficients(data, n_boot, level, seed)``: report rows of a document family.
DocumentRows = Callable[[Any, int, float, "int | None"], list[list[Any]]]
#: ``tables(data)``: the per-annotator, per-label and disagreement tables.
DocumentTables = Callable[[Any], tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]]
#: ``matcher(a, b, labels)``: the label confusion of matched pairs (counts, items per cell).
DocumentMatcher = Callable[[pd.Series, pd.Series, list[Any]], tuple[np.ndarray, dict[tuple[int, int], list]]]


@dataclass
class DocumentView(TableColumns):
    """A live view of documents — spans, boxes, any list of annotations matched one to one:
    one list per (item, annotator) in ``data.docs`` (a :class:`~nblabel.agreement.spans.SpanData`).

    The kind gives its own functions: ``coefficients`` (report rows; ``with_intervals`` when
    they bootstrap), ``tables`` (per annotator — with ``f1_reference`` — per label, and the
    disagreements), ``matcher`` (the label confusion of matched pairs) and ``describe(text,
    doc)`` (one line for a document); ``agreement_name`` and ``reference`` name the agreement
    shown per annotator, ``unit`` what is counted, ``label_columns`` the per-label columns.
    """

    data: SpanData
    coefficients: DocumentRows
    tables: DocumentTables
    matcher: DocumentMatcher
    describe: Callable[[str | None, list | None], str | None]
    agreement_name: str
    reference: str
    unit: str
    label_columns: Sequence[Sequence[str]]
    can_majority: bool = True
    with_intervals: bool = True
    annotators: list[Any] = field(init=False)

    def __post_init__(self) -> None:
        self.table = self.data.docs
        self.annotators = list(self.table.columns)

    def majority(self, exclude: Any | None) -> pd.Series:
        docs = self.data.docs
        others = docs.drop(columns=[exclude]) if exclude is not None else docs
        majority = majority_spans(others).reindex(docs.index)
        return majority.astype(object).where(majority.notna(), None)

    def summary(self) -> dict[str, Any]:
        """The snapshot fields of the task (the confusion pair is added by the caller)."""
        data = self.data
        coefficients = self.coefficients(data, 0, 0.95, 0)
        people, labels, disagreements = self.tables(data)
        docs = data.docs
        n = docs.notna().sum(axis=1).to_numpy()
        return {
            "empty": False,
            "multi": False,
            "labels": list(data.labels),
            "annotators": [str(a) for a in docs.columns],
            "has_gold": data.gold is not None,
            "reference": "gold" if data.gold is not None else self.reference,
            "items": int(len(docs)),
            "shared": int((n >= 2).sum()),
            "ratings": int(n.sum()),
            "disagreements": int(len(disagreements)),
            "coefficients": [coefficient_row(r) for r in coefficients],
            "agreement_name": self.agreement_name,
            "per_annotator": [
                {
                    "annotator": str(a),
                    "items": int(row["items"]),
                    "skipped": int(row["skipped"]),
                    "flagged": int(row["flagged"]),
                    "accuracy": None,
                    "agreement": number(row["f1_reference"]),
                    "n_reference": int(row.get("n_reference", 0)),
                    "items_per_hour": number(row["items_per_hour"]),
                    "median_active_ms": number(row["median_active_ms"]),
                }
                for a, row in people.iterrows()
            ],
            "label_columns": [list(c) for c in self.label_columns],
            "per_label": [
                {"label": str(label), **self._label_cells(row)}
                for label, row in labels.iterrows()
            ],
        }

    def _label_cells(self, row: pd.Series) -> dict[str, Any]:
        cells = {}
        for key, _name, fmt in self.label_columns:
            cells[key] = int(row[key]) if fmt == "int" else number(row[key])
        return cells

    def intervals(self, n_boot: int = 200, level: float = 0.95, seed: int | None = 0) -> dict[str, list[Any]]:
        """Bootstrap confidence intervals by coefficient key (none when the kind's coefficients
        do not bootstrap: ``with_intervals=False``)."""
        if not self.with_intervals or self.data.docs.shape[1] < 2:
            return {}
        rows = self.coefficients(self.data, n_boot, level, seed)
        return {r[0]: [number(r[3]), number(r[4])] for r in rows}

    def _matched(self, a: pd.Series, b: pd.Series) -> tuple[np.ndarray, dict[tuple[int, int], list]]:
        return self.matcher(a, b, self.data.labels)

    def confusion(self, a: pd.Series, b: pd.Series) -> dict[str, Any]:
        """Counts of (a's label, b's label) over matched pairs; unmatched against "(none)"."""
        counts, _cells = self._matched(a, b)
        labels = self.data.labels
        return {
            "categories": [*labels, SPAN_NONE],
            "codes": list(range(len(labels) + 1)),
            "counts": counts.tolist(),
            "total": int(counts.sum()),
            "agree": int(np.trace(counts[:-1, :-1])),
            "unit": self.unit,
        }

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
        """The items behind one cell: their text and each annotator's (and gold's, and the
        majority's) documents as one line each."""
        _counts, cells = self._matched(a, b)
        ids = pd.Index(cells.get((row_code, col_code), []))
        table, text_of = _item_table(ids, texts)
        docs = self.data.docs
        for annotator in docs.columns:
            table[str(annotator)] = [self.describe(text_of.get(i), docs.at[i, annotator]) for i in ids]
        if self.data.gold is not None:
            table["gold"] = [self.describe(text_of.get(i), self.data.gold.get(i)) for i in ids]
        if majority:
            table["majority"] = [self.describe(text_of.get(i), b.get(i)) for i in ids]
        return table
