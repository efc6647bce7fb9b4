"""The numbers a live dashboard shows, kept up to date from a store that other processes write.

:class:`LiveAgreement` holds the task's annotations read so far and reads only what is new on
each update (a full read when the log changed in a way an incremental read cannot see). Its
:meth:`~LiveAgreement.snapshot` is a JSON-ready summary (coefficients, confusion counts of one
pair, per-annotator and per-label rows) and :meth:`~LiveAgreement.cell_items` lists the items
behind one confusion cell. It knows nothing of widgets: :mod:`nblabel.dashboard` draws it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..agreement.boxes import (
    BoxData,
    box_coefficients,
    box_confusion,
    box_per_annotator,
    box_per_label,
    describe_boxes,
    prepare_boxes,
)
from ..agreement.coefficients import gwet_ac1
from ..agreement.compare import CHOICES, choice_frame, ranking_text
from ..agreement.compare import extra_rows as compare_rows
from ..agreement.confusion import MAX_CATEGORIES, OTHER, Grid, grid, prepare_in_use, selects
from ..agreement.report import (
    _coefficients,
    _Data,
    _majority_codes,
    _reading,
    _safe,
    _safe_ci,
    _specs,
    display_codes,
    per_annotator_table,
    per_label_table,
    prepare,
)
from ..agreement.spans import (
    NONE as SPAN_NONE,
)
from ..agreement.spans import (
    SpanData,
    describe_spans,
    majority_spans,
    prepare_spans,
    span_coefficients,
    span_confusion,
    span_per_annotator,
    span_per_label,
)
from ..store.store import Store

__all__ = ["GOLD", "MAJORITY", "MAX_LABEL_ROWS", "LiveAgreement"]

#: The annotation columns the dashboard reads (comments, suggestions and client ids are not).
COLUMNS = ["task", "item_id", "annotator", "kind", "value", "created_at", "active_ms"]
#: Column choices of the confusion matrix besides the annotators.
GOLD = "gold"
MAJORITY = "majority"
#: Most rows of the per-label table in a snapshot (the most used labels; the count of the
#: others is sent instead).
MAX_LABEL_ROWS = 50


@dataclass(frozen=True)
class Side:
    """One axis of the confusion matrix: an annotator, the gold answers or the majority."""

    kind: str  # "annotator" | "gold" | "majority"
    name: str = ""

    @property
    def id(self) -> str:
        return f"annotator:{self.name}" if self.kind == "annotator" else self.kind

    @classmethod
    def parse(cls, text: str) -> Side:
        if text.startswith("annotator:"):
            return cls("annotator", text.removeprefix("annotator:"))
        if text in (GOLD, MAJORITY):
            return cls(text)
        raise ValueError(f"unknown confusion axis {text!r}")


class LiveAgreement:
    """Agreement of one task in ``store``, re-read incrementally.

    ``gold`` is what :func:`~nblabel.agreement_report` accepts (a Series or mapping by item id,
    or the name of an annotator whose labels are the gold). ``texts`` (a Series of item text by
    item id) names the items listed behind a confusion cell; without it, the text stored with
    each item's first label is used.
    """

    def __init__(
        self,
        store: Store,
        task: str,
        *,
        gold: Any = None,
        texts: pd.Series | None = None,
    ) -> None:
        self.store = store
        self.task = task
        self.gold = gold
        self.texts = texts
        self.frame: pd.DataFrame | None = None  # every event of the task read so far
        self.revision: tuple[int, int] = (0, 0)  # (events, highest id) that ``frame`` holds
        self.data: _Data | None = None
        self.info: Mapping[str, Any] | None = None
        # Labels of the task (values outside its label list included): a large label list is
        # prepared with only the labels in use, so ``data`` may hold fewer.
        self.n_labels = 0
        self._last_id = -1  # the store's highest event id when last checked (SQLite fast path)
        self._stored_texts: pd.Series | None = None
        self._texts_revision: tuple[int, int] | None = None

    # ------------------------------------------------------------------ reading
    def changed(self) -> bool:
        """Whether the store holds events of the task that have not been read (cheap: on SQLite
        one primary-key lookup while nothing is written; else a count over the task's index)."""
        if self.store.backend == "sqlite":
            last = self.store.last_event_id()
            if last == self._last_id:
                return False
            if self.store.revision(self.task) == self.revision:
                self._last_id = last  # only other tasks were written
                return False
            return True
        return self.store.revision(self.task) != self.revision

    def read(self) -> bool:
        """Read what is new; returns whether anything was. A full read replaces the cache when
        an incremental one cannot be trusted (an event committed under an id already passed)."""
        last = self.store.last_event_id() if self.store.backend == "sqlite" else -1
        count, top = self.store.revision(self.task)
        self._last_id = last
        if (count, top) == self.revision and self.frame is not None:
            return False
        frame = self.frame
        if frame is not None and count > len(frame):
            new = self.store.annotations(self.task, after_id=self.revision[1], columns=COLUMNS)
            if len(frame) + len(new) >= count and len(new):
                frame = pd.concat([frame, new], ignore_index=True) if len(frame) else new
            else:
                frame = None
        if frame is None or count < len(frame):
            frame = self.store.annotations(self.task, columns=COLUMNS)
        self.frame = frame
        self.revision = (len(frame), int(frame["id"].max()) if len(frame) else 0)
        self.info = self.store.task(self.task)
        self.data = None
        return True

    def prepared(self) -> Any:
        """The ratings prepared for the coefficients (``None`` before the first label): a
        :class:`~nblabel.report._Data`, or a :class:`~nblabel.span_report.SpanData` for spans.
        A single-label task with a large label list holds only the labels in use
        (:func:`~nblabel.confusion.prepare_in_use`); :attr:`n_labels` counts them all."""
        if self.data is None and self.frame is not None and (self.frame["kind"] == "label").any():
            self.data, self.n_labels = self._prepare()
        return self.data

    def _prepare(self) -> tuple[Any, int]:
        assert self.frame is not None
        info = self.info or {}
        labels = info.get("labels") or None
        data: Any
        if info.get("kind") == "spans":
            data = prepare_spans(self.frame, self.gold, labels=labels)
        elif info.get("kind") == "boxes":
            data = prepare_boxes(self.frame, self.gold, labels=labels)
        elif info.get("kind") == "compare" and self._rankings():  # whole rankings as categories
            rankings = self.frame.assign(value=[ranking_text(v) for v in self.frame["value"]])
            data = prepare(rankings, self.gold, kind="classify", multi=False)
        elif info.get("kind") == "compare":  # agreement on the choice; extra rows in snapshot()
            data = prepare(choice_frame(self.frame), self.gold, kind="classify", labels=CHOICES, multi=False)
        else:
            return prepare_in_use(
                self.frame,
                self.gold,
                kind=info.get("kind"),
                labels=labels,
                multi=info.get("config", {}).get("multi"),
                compact_multi=False,  # the per-label macro means count every label
            )
        return data, len(data.labels)

    def _rankings(self) -> bool:
        """Whether this compare task ranks 3+ responses (values are lists of tie groups)."""
        return self.frame is not None and any(isinstance(v, list) for v in self.frame["value"])

    # ------------------------------------------------------------------ the summary
    def snapshot(self, rows: str | None = None, columns: str | None = None) -> dict[str, Any]:
        """Everything the dashboard draws, as JSON-ready data. ``rows``/``columns`` choose the
        confusion pair (ids of :class:`Side`); by default the two annotators with the most
        shared items, or the first annotator against gold."""
        frame = self.frame if self.frame is not None else pd.DataFrame(columns=["kind", "annotator"])
        data = self.prepared()
        info = self.info or {}
        snap: dict[str, Any] = {
            "task": self.task,
            "kind": info.get("kind", ""),
            "events": int(len(frame)),
            "revision": list(self.revision),
            "updated_at": time.time(),
        }
        if data is None:
            snap.update(empty=True, annotators=[], coefficients=[], per_annotator=[], per_label=[])
            return snap
        if isinstance(data, SpanData):  # spans and boxes
            snap.update(document_summary(data))
            snap["confusion"] = self.confusion(rows, columns)
            return snap
        codes = data.codes
        n = codes.notna().sum(axis=1).to_numpy()
        values = codes.to_numpy(dtype=float)
        lo = np.where(np.isnan(values), np.inf, values).min(axis=1) if values.size else np.zeros(0)
        hi = np.where(np.isnan(values), -np.inf, values).max(axis=1) if values.size else np.zeros(0)
        shown, in_use = _label_choice(data)
        listed = replace(data, labels=[data.labels[j] for j in shown], member=data.member[:, shown])
        snap.update(
            empty=False,
            multi=data.multi,
            labels=[str(v) for v in listed.labels],  # those of the per-label rows
            label_count=self.n_labels,
            labels_in_use=in_use,
            annotators=[str(a) for a in codes.columns],
            has_gold=data.gold is not None,
            reference="gold" if data.gold is not None else "majority of others",
            items=int(len(codes)),
            shared=int((n >= 2).sum()),
            ratings=int(n.sum()),
            disagreements=int(((n >= 2) & (lo != hi)).sum()),
            coefficients=[_coefficient_row(r) for r in self._coefficients(data)],
            per_annotator=_per_annotator_rows(data),
            per_label=_per_label_rows(listed),
        )
        if info.get("kind") == "compare" and not self._rankings():
            extra = compare_rows(self.frame, n_boot=0, level=0.95, seed=0)
            snap["coefficients"] += [_coefficient_row(r) for r in extra]
        snap["confusion"] = self.confusion(rows, columns)
        return snap

    def intervals(
        self, n_boot: int = 200, level: float = 0.95, seed: int | None = 0
    ) -> dict[str, list[float]]:
        """Bootstrap confidence intervals by coefficient key (slow: run after the snapshot)."""
        data = self.prepared()
        if data is None or data.codes.shape[1] < 2:
            return {}
        if isinstance(data, BoxData):
            return {}
        if isinstance(data, SpanData):
            rows = span_coefficients(data, n_boot=n_boot, level=level, seed=seed)
            return {r[0]: [_number(r[3]), _number(r[4])] for r in rows}
        out = {}
        k = data.codes.shape[1]
        every = self._every_category(data)
        for spec in _specs(data, k):
            kwargs = every if spec.key == "gwet_ac1" and every else spec.kwargs
            low, high = _safe_ci(spec.metric, data.codes, n_boot, level, seed, **kwargs)
            out[spec.key] = [_number(low), _number(high)]
        if (self.info or {}).get("kind") == "compare" and not self._rankings():
            for r in compare_rows(self.frame, n_boot=n_boot, level=level, seed=seed):
                out[r[0]] = [_number(r[3]), _number(r[4])]
        return out

    def _every_category(self, data: _Data) -> dict[str, Any] | None:
        """Gwet's AC1 ``categories=`` over every label of the task, when ``data`` holds only
        the labels in use (AC1's chance agreement divides by the number of categories)."""
        if data.multi or self.n_labels == len(data.categories):
            return None
        return {"categories": [float(c) for c in range(self.n_labels)]}

    def _coefficients(self, data: _Data) -> list[list[Any]]:
        """The report's coefficient rows (no intervals) of ``data``, with AC1 over every label."""
        rows = _coefficients(data, n_boot=0, level=0.95, seed=0)
        every = self._every_category(data)
        if every is None or data.codes.shape[1] < 2:
            return rows
        for row in rows:
            if row[0] == "gwet_ac1":
                value, note = _safe(gwet_ac1, data.codes, **every)
                row[2], row[7], row[8] = value, _reading(value, True), note
        return rows

    # ------------------------------------------------------------------ confusion
    def sides(self) -> tuple[list[Side], list[Side]]:
        """The axes the confusion matrix can show: rows are annotators; columns are annotators,
        the gold answers (when given) and the majority of the other annotators."""
        data = self.prepared()
        if data is None:
            return [], []
        annotators = [Side("annotator", str(a)) for a in data.codes.columns]
        columns = list(annotators)
        if data.gold is not None:
            columns.append(Side(GOLD))
        if len(annotators) >= 3 and not isinstance(data, BoxData):  # no "majority box"
            columns.append(Side(MAJORITY))
        return annotators, columns

    def default_pair(self) -> tuple[str, str] | None:
        data = self.prepared()
        if data is None:
            return None
        names = list(data.codes.columns)
        if data.gold is not None:
            return Side("annotator", str(names[0])).id, GOLD
        if len(names) < 2:
            return Side("annotator", str(names[0])).id, Side("annotator", str(names[0])).id
        rated = data.codes.notna().to_numpy().astype(np.int64)
        shared = rated.T @ rated
        np.fill_diagonal(shared, -1)
        i, j = np.unravel_index(int(np.argmax(shared)), shared.shape)
        i, j = sorted((int(i), int(j)))
        return Side("annotator", str(names[i])).id, Side("annotator", str(names[j])).id

    def _column(self, side: Side, row_side: Side) -> pd.Series:
        data = self.prepared()
        assert data is not None
        codes = data.codes
        if side.kind == "annotator":
            return codes[self._annotator(side.name)]
        if side.kind == GOLD:
            if data.gold is None:
                raise ValueError("no gold answers: pass gold= to the dashboard")
            return data.gold.reindex(codes.index)
        others = (
            codes.drop(columns=[self._annotator(row_side.name)]) if row_side.kind == "annotator" else codes
        )
        if isinstance(data, BoxData):
            raise ValueError("box tasks compare annotators with each other or with gold")
        if isinstance(data, SpanData):
            majority = majority_spans(others).reindex(codes.index)
            return majority.astype(object).where(majority.notna(), None)
        return _majority_codes(data, others)

    def _annotator(self, name: str) -> Any:
        data = self.prepared()
        assert data is not None
        for a in data.codes.columns:
            if str(a) == name:
                return a
        raise KeyError(f"no annotator {name!r}; annotators: {[str(a) for a in data.codes.columns]}")

    def _pair_columns(self, rows: str | None, columns: str | None) -> tuple[Side, Side, pd.Series, pd.Series]:
        default = self.default_pair()
        if default is None:
            raise ValueError("no labels yet")
        row_side = Side.parse(rows or default[0])
        if row_side.kind != "annotator":
            raise ValueError("the rows of the confusion matrix are an annotator's labels")
        col_side = Side.parse(columns or default[1])
        return row_side, col_side, self._column(row_side, row_side), self._column(col_side, row_side)

    def confusion(self, rows: str | None = None, columns: str | None = None) -> dict[str, Any]:
        """Counts of (row side's value, column side's value) over the items both have."""
        data = self.prepared()
        if data is None:
            return {}
        try:
            row_side, col_side, a, b = self._pair_columns(rows, columns)
        except (KeyError, ValueError):
            row_side, col_side, a, b = self._pair_columns(None, None)
        row_choices, col_choices = self.sides()
        if isinstance(data, SpanData):
            matcher = box_confusion if isinstance(data, BoxData) else span_confusion
            counts, _cells = matcher(a, b, data.labels)
            return {
                "rows": row_side.id,
                "columns": col_side.id,
                "row_choices": [_side_choice(s) for s in row_choices],
                "column_choices": [_side_choice(s) for s in col_choices],
                "categories": [*data.labels, SPAN_NONE],
                "codes": list(range(len(data.labels) + 1)),
                "counts": counts.tolist(),
                "total": int(counts.sum()),
                "agree": int(np.trace(counts[:-1, :-1])),
                "unit": "boxes" if isinstance(data, BoxData) else "spans",
            }
        cells = self._grid(data, a, b)
        kind = "label sets" if data.multi else "rankings" if self._rankings() else "labels"
        return {
            "rows": row_side.id,
            "columns": col_side.id,
            "row_choices": [_side_choice(s) for s in row_choices],
            "column_choices": [_side_choice(s) for s in col_choices],
            "categories": cells.names(data.category_name),
            "codes": cells.codes,
            "counts": cells.counts.tolist(),
            "total": cells.total,
            "agree": cells.agree,
            "occurring": cells.occurring,
            "left_out": cells.left_out,
            "category_kind": kind,
        }

    def _grid(self, data: _Data, a: pd.Series, b: pd.Series) -> Grid:
        """The confusion counts of two code columns: every category of a small single-label
        set; else those that occur, the most frequent :data:`MAX_CATEGORIES` of them shown."""
        both = (a.notna() & b.notna()).to_numpy()
        every = not data.multi and self.n_labels <= MAX_CATEGORIES
        return grid(a.to_numpy()[both], b.to_numpy()[both], len(data.categories), every=every)

    def cell_items(self, rows: str, columns: str, row_code: int, col_code: int) -> pd.DataFrame:
        """The items behind one confusion cell: their text (when known) and every annotator's
        value (and gold), indexed by item id, in item order. A code of
        :data:`~nblabel.confusion.OTHER` stands for every category the matrix leaves out."""
        data = self.prepared()
        if data is None:
            return pd.DataFrame()
        _row_side, col_side, a, b = self._pair_columns(rows, columns)
        if isinstance(data, SpanData):
            return self._span_cell_items(data, col_side, a, b, row_code, col_code)
        shown = self._grid(data, a, b).codes if OTHER in (row_code, col_code) else []
        hit = pd.Series(selects(a, row_code, shown) & selects(b, col_code, shown), index=a.index)
        ids = data.codes.index[hit.to_numpy()]
        table = pd.DataFrame(index=ids)
        table.index.name = "item_id"
        texts = self._texts()
        if texts is not None:
            table["text"] = texts.reindex(ids).to_numpy(dtype=object) if len(ids) else []
        for annotator in data.codes.columns:
            table[str(annotator)] = display_codes(data, data.codes.loc[ids, annotator])
        if data.gold is not None:
            table[GOLD] = display_codes(data, data.gold.reindex(ids))
        if col_side.kind == MAJORITY:
            table[MAJORITY] = display_codes(data, b[hit])
        return table

    def _span_cell_items(
        self, data: Any, col_side: Side, a: pd.Series, b: pd.Series, row_code: int, col_code: int
    ) -> pd.DataFrame:
        boxes = isinstance(data, BoxData)
        _counts, cells = (box_confusion if boxes else span_confusion)(a, b, data.labels)
        ids = pd.Index(cells.get((row_code, col_code), []))
        table = pd.DataFrame(index=ids)
        table.index.name = "item_id"
        texts = self._texts()
        text_of = texts.reindex(ids) if texts is not None else pd.Series(None, index=ids, dtype=object)
        if texts is not None:
            table["text"] = text_of.to_numpy(dtype=object) if len(ids) else []
        describe = (lambda _text, doc: describe_boxes(doc)) if boxes else describe_spans
        for annotator in data.docs.columns:
            table[str(annotator)] = [describe(text_of.get(i), data.docs.at[i, annotator]) for i in ids]
        if data.gold is not None:
            table[GOLD] = [describe(text_of.get(i), data.gold.get(i)) for i in ids]
        if col_side.kind == MAJORITY:
            table[MAJORITY] = [describe_spans(text_of.get(i), b.get(i)) for i in ids]
        return table

    def _texts(self) -> pd.Series | None:
        if self.texts is not None:
            return self.texts
        if self._texts_revision != self.revision:
            shown = self.store.items(self.task)
            column = next((c for c in ("text", "prompt", "image") if c in shown.columns), None)
            self._stored_texts = shown[column] if column else None
            self._texts_revision = self.revision
        return self._stored_texts


# ---------------------------------------------------------------------- JSON rows
def _number(value: Any) -> float | None:
    """A float for JSON (``None`` for NaN / missing)."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) or math.isinf(value) else value


def _coefficient_row(row: list[Any]) -> dict[str, Any]:
    key, name, value, low, high, items, annotators, reading, note = row
    return {
        "key": key,
        "name": name,
        "value": _number(value),
        "ci": [_number(low), _number(high)],
        "items": int(items),
        "annotators": int(annotators),
        "reading": reading,
        "note": note,
    }


def _per_annotator_rows(data: _Data) -> list[dict[str, Any]]:
    table = per_annotator_table(data)
    agreement = "jaccard_reference" if data.multi else "kappa_reference"
    return [
        {
            "annotator": str(name),
            "items": int(row["items"]),
            "skipped": int(row["skipped"]),
            "flagged": int(row["flagged"]),
            "accuracy": _number(row["accuracy"]),
            "agreement": _number(row[agreement]),
            "n_reference": int(row["n_reference"]),
            "items_per_hour": _number(row["items_per_hour"]),
            "median_active_ms": _number(row["median_active_ms"]),
        }
        for name, row in table.iterrows()
    ]


def _per_label_rows(data: _Data) -> list[dict[str, Any]]:
    table = per_label_table(data)
    return [
        {
            "label": str(label),
            "count": int(row["count"]),
            "agreement": _number(row["agreement"]),
            "kappa": _number(row["kappa"]),
            "alpha": _number(row["alpha"]),
        }
        for label, row in table.iterrows()
    ]


def _label_choice(data: _Data) -> tuple[list[int], int]:
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


def document_summary(data: SpanData) -> dict[str, Any]:
    """The snapshot fields of a span or box task (the confusion pair is added by the caller):
    one list of spans or boxes per (item, annotator), compared by F1 of matched pairs."""
    from ..agreement.boxes import box_disagreements
    from ..agreement.spans import span_disagreements

    if isinstance(data, BoxData):
        coefficients = box_coefficients(data)
        people, labels, disagreements = box_per_annotator(data), box_per_label(data), box_disagreements(data)
        label_columns = [["count", "boxes", "int"], ["f1", "F1", "value"], ["mean_iou", "mean IoU", "value"]]
        name, reference = "box F1", "mean of the others"
    else:
        coefficients = span_coefficients(data, n_boot=0, level=0.95, seed=0)
        people, labels, disagreements = (
            span_per_annotator(data),
            span_per_label(data),
            span_disagreements(data),
        )
        label_columns = [["count", "spans", "int"], ["f1_exact", "F1 exact", "value"],
                         ["f1_overlap", "F1 overlap", "value"]]  # fmt: skip
        name, reference = "span F1", "majority of others"
    docs = data.docs
    n = docs.notna().sum(axis=1).to_numpy()
    return {
        "empty": False,
        "multi": False,
        "labels": list(data.labels),
        "annotators": [str(a) for a in docs.columns],
        "has_gold": data.gold is not None,
        "reference": "gold" if data.gold is not None else reference,
        "items": int(len(docs)),
        "shared": int((n >= 2).sum()),
        "ratings": int(n.sum()),
        "disagreements": int(len(disagreements)),
        "coefficients": [_coefficient_row(r) for r in coefficients],
        "agreement_name": name,
        "per_annotator": [
            {
                "annotator": str(a),
                "items": int(row["items"]),
                "skipped": int(row["skipped"]),
                "flagged": int(row["flagged"]),
                "accuracy": None,
                "agreement": _number(row["f1_reference"]),
                "n_reference": int(row.get("n_reference", 0)),
                "items_per_hour": _number(row["items_per_hour"]),
                "median_active_ms": _number(row["median_active_ms"]),
            }
            for a, row in people.iterrows()
        ],
        "label_columns": label_columns,
        "per_label": [
            {
                "label": str(label),
                **{k: int(row[k]) if fmt == "int" else _number(row[k]) for k, _, fmt in label_columns},
            }
            for label, row in labels.iterrows()
        ],
    }


def _side_choice(side: Side) -> dict[str, str]:
    names = {GOLD: "gold answers", MAJORITY: "majority of the others"}
    return {"id": side.id, "name": side.name if side.kind == "annotator" else names[side.kind]}
