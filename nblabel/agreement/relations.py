"""Agreement of relations between spans: the tables of :func:`~nblabel.agreement_report` for
``Spans(..., relations=[...])``.

A value is ``{"spans": [...], "relations": [{"head": i, "child": j, "label": ...}]}`` (``head``
and ``child`` index that value's spans). A relation is compared by what it links, not by index:
its key is (head span, child span, label), each span by its exact ``start``, ``end`` and label.
So two annotators' relations match when both of its spans match exactly, the relation label is
the same and it points the same way (head → child). Counts are summed over the items both
annotated: relation F1 = 2·matched / (relations of A + relations of B); with more than two
annotators the figure is the mean over pairs, like span F1 (:mod:`.spans`), and it is not
chance-corrected.

Two more readings separate the two sources of disagreement: ``any_label`` (spans and direction
agree, the relation label may differ) and ``shared_spans`` (only the relations whose two spans
both annotators marked: how well they agree on relations once they agree on the entities).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core.frames import is_missing
from .matching import _scores
from .report import NOT_CHANCE_CORRECTED, UNDEFINED
from .spans import (
    SpanData,
    bootstrap_pair_ratios,
    describe_spans,
    majority_spans,
    pair_arrays,
    prepare_spans,
    span_per_annotator,
    span_per_label,
    wide_values,
)
from .views import DocumentView

__all__ = [
    "MODES",
    "RelationData",
    "RelationView",
    "describe_relations",
    "document",
    "prepare_relations",
    "relation_agreement",
    "relation_coefficients",
    "relation_disagreements",
    "relation_pair_rows",
    "relation_per_annotator",
    "relation_per_label",
    "relation_per_pair",
    "relations_live_tables",
    "units_f1",
]

SpanKey = tuple[int, int, Any]
RelationKey = tuple[SpanKey, SpanKey, Any]
#: How relations are compared: the same spans, label and direction; any label; only the
#: relations between spans both annotators marked.
MODES = ("labeled", "any_label", "shared_spans")


def _span_key(span: Mapping[str, Any]) -> SpanKey:
    return int(span["start"]), int(span["end"]), span["label"]


def document(value: Any) -> tuple[list[dict[str, Any]], list[RelationKey]] | None:
    """A value's spans and the keys of its relations (``None`` when not annotated). A plain list
    of spans (a value of a task without relations) has no relations; a relation is a dict
    ``{head, child, label}`` or a ``(head, child, label)`` triple indexing the spans as given."""
    if value is None or (not isinstance(value, (list, tuple, Mapping)) and is_missing(value)):
        return None
    if isinstance(value, Mapping):
        spans, relations = list(value.get("spans") or []), list(value.get("relations") or [])
    else:
        spans, relations = list(value), []
    keys = [_span_key(s) for s in spans]
    out = []
    for r in relations:
        head, child, label = (r["head"], r["child"], r["label"]) if isinstance(r, Mapping) else r
        if not (0 <= head < len(keys) and 0 <= child < len(keys)):
            raise ValueError(f"relation {r!r} points outside the value's {len(keys)} span(s)")
        out.append((keys[head], keys[child], label))
    return spans, out


# ---------------------------------------------------------------------- prepared documents
@dataclass
class RelationData(SpanData):
    """:class:`~nblabel.agreement.spans.SpanData` (the spans of each value, so every span table
    works on it) with the relations: items x annotators, each cell a list of relation keys or
    ``None``; the values as stored (for the disagreements table); gold relations."""

    relations: pd.DataFrame = field(default_factory=pd.DataFrame)
    values: pd.DataFrame = field(default_factory=pd.DataFrame)
    gold_relations: pd.Series | None = None
    gold_values: pd.Series | None = None
    relation_labels: list[Any] = field(default_factory=list)


def prepare_relations(
    annotations: pd.DataFrame,
    gold: Any = None,
    *,
    labels: list[str] | None = None,
    relation_labels: list[str] | None = None,
) -> RelationData:
    """Spans and relations per (item, annotator) from a long store frame (or a wide items x
    annotators frame of values), with gold (a Series/mapping of values, or an annotator's name)."""
    wide, gold_values, events, skipped, flagged = wide_values(annotations, gold)
    parsed = {col: [document(v) for v in wide[col]] for col in wide.columns}
    spans = pd.DataFrame({c: [d[0] if d else None for d in p] for c, p in parsed.items()}, index=wide.index)
    keys = pd.DataFrame({c: [d[1] if d else None for d in p] for c, p in parsed.items()}, index=wide.index)
    spans, keys = (t.astype(object).where(t.notna(), None) for t in (spans, keys))
    gold_spans = gold_keys = None
    if gold_values is not None:
        gold_docs = {item: document(v) for item, v in gold_values.items()}
        gold_docs = {item: d for item, d in gold_docs.items() if d is not None}
        gold_spans = pd.Series({i: d[0] for i, d in gold_docs.items()}, dtype=object)
        gold_keys = pd.Series({i: d[1] for i, d in gold_docs.items()}, dtype=object)
    data = prepare_spans(spans, gold_spans, labels=labels)
    seen = {k[2] for col in keys.columns for doc in keys[col] if doc for k in doc}
    given = list(relation_labels or [])
    return RelationData(
        docs=data.docs,
        labels=data.labels,
        gold=data.gold,
        events=events,
        skipped=skipped,
        flagged=flagged,
        relations=keys,
        values=wide,
        gold_relations=gold_keys,
        gold_values=gold_values,
        relation_labels=given + sorted(seen - set(given), key=str),
    )


# ---------------------------------------------------------------------- matching
def _select(keys: list[RelationKey], mode: str, label: Any, shared: set[SpanKey] | None) -> list[Any]:
    if label is not None:
        keys = [k for k in keys if k[2] == label]
    if mode == "any_label":
        return [(h, c) for h, c, _ in keys]
    if mode == "shared_spans":
        assert shared is not None
        return [k for k in keys if k[0] in shared and k[1] in shared]
    return list(keys)


def _matched(a: list[RelationKey], b: list[RelationKey], sa: list, sb: list, mode: str, label: Any = None
             ) -> tuple[int, int, int]:  # fmt: skip
    """Matched relations, relations of a and of b on one item."""
    shared = {_span_key(s) for s in sa} & {_span_key(s) for s in sb} if mode == "shared_spans" else None
    ka, kb = _select(a, mode, label, shared), _select(b, mode, label, shared)
    return sum((Counter(ka) & Counter(kb)).values()), len(ka), len(kb)


def relation_arrays(
    rels_a: pd.Series, rels_b: pd.Series, spans_a: pd.Series, spans_b: pd.Series, mode: str, label: Any = None
) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """Over the items both annotated: item ids, matched relations, relations of a, of b."""
    both = (rels_a.notna() & rels_b.notna()).to_numpy()
    ids = rels_a.index[both]
    counts = [_matched(rels_a[i], rels_b[i], spans_a[i] or [], spans_b[i] or [], mode, label) for i in ids]
    table = np.array(counts, dtype=np.int64).reshape(-1, 3)
    return ids, table[:, 0], table[:, 1], table[:, 2]


def _pair(data: RelationData, x: Any, y: Any, mode: str, label: Any = None) -> tuple:
    return relation_arrays(data.relations[x], data.relations[y], data.docs[x], data.docs[y], mode, label)


def _f1(tp: np.ndarray, n_a: np.ndarray, n_b: np.ndarray) -> float:
    total = n_a.sum() + n_b.sum()
    return float(2 * tp.sum() / total) if total else math.nan


def _pairs(names: list[Any]) -> list[tuple[Any, Any]]:
    return [(x, y) for i, x in enumerate(names) for y in names[i + 1 :]]


def _mean_pairwise(data: RelationData, mode: str, label: Any = None) -> float:
    values = [_f1(*_pair(data, x, y, mode, label)[1:]) for x, y in _pairs(data.annotators)]
    values = [v for v in values if not math.isnan(v)]
    return float(np.mean(values)) if values else math.nan


def relation_agreement(values_a: Any, values_b: Any, match_label: bool = True) -> dict[str, Any]:
    """Relation agreement of B against the reference A: true positives, precision, recall, F1.

    A relation of B matches one of A when both of its spans match exactly (start, end and span
    label), it points the same way and, with ``match_label``, has the same relation label. Pass
    one value (``{"spans": [...], "relations": [{"head", "child", "label"}]}``) on each side, or
    several (lists or Series of values; ``None`` entries are skipped); counts are summed.

    >>> a = {"spans": [{"start": 0, "end": 3, "label": "PER"}, {"start": 13, "end": 17, "label": "ORG"}],
    ...      "relations": [{"head": 0, "child": 1, "label": "works_for"}]}
    >>> relation_agreement(a, a)["f1"]
    1.0
    """
    if isinstance(values_a, Mapping) and isinstance(values_b, Mapping):
        pairs = [(document(values_a), document(values_b))]
    else:
        pairs = [(document(a), document(b)) for a, b in _paired_values(values_a, values_b)]
    mode = "labeled" if match_label else "any_label"
    tp = n_a = n_b = 0
    for da, db in pairs:
        if da is None or db is None:
            continue
        t, x, y = _matched(da[1], db[1], da[0], db[0], mode)
        tp, n_a, n_b = tp + t, n_a + x, n_b + y
    return _scores(tp, n_a, n_b, "relation_agreement")


def _paired_values(values_a: Any, values_b: Any) -> list[tuple[Any, Any]]:
    """Several values on each side: Series (aligned on their index) or lists of one length."""
    if isinstance(values_a, pd.Series) and isinstance(values_b, pd.Series):
        values_a, values_b = values_a.align(values_b, join="inner")
    for name, side in (("values_a", values_a), ("values_b", values_b)):
        if isinstance(side, (str, bytes, Mapping)) or not hasattr(side, "__iter__"):
            raise TypeError(f"{name} must be one value {{spans, relations}} or a list or Series of values")
    a, b = list(values_a), list(values_b)
    if len(a) != len(b):
        raise ValueError(
            f"values_a has {len(a)} value(s) but values_b has {len(b)}; pass the same items in order"
        )
    return list(zip(a, b, strict=True))


def units_f1(value: Any, other: Any) -> float:
    """F1 over the spans and relations of two values together: 2·(matched spans + matched
    relations) / (spans and relations of both), spans matched exactly, relations as in
    :func:`relation_agreement`; 1.0 when both are empty. Without relations it is the exact span
    F1. (The gold score of a task with relations.)"""
    da, db = document(value) or ([], []), document(other) or ([], [])
    total = len(da[0]) + len(da[1]) + len(db[0]) + len(db[1])
    if not total:
        return 1.0
    spans = Counter(map(_span_key, da[0])) & Counter(map(_span_key, db[0]))
    relations = Counter(da[1]) & Counter(db[1])
    return 2 * (sum(spans.values()) + sum(relations.values())) / total


# ---------------------------------------------------------------------- the tables
#: (key, name, mode)
COEFFICIENTS = [
    ("relation_f1", "relation F1: both spans exact, same label and direction (mean pairwise)", "labeled"),
    ("relation_f1_any_label", "relation F1, exact spans and direction, any relation label (mean pairwise)",
     "any_label"),
    ("relation_f1_shared_spans", "relation F1 among the spans both annotators marked (mean pairwise)",
     "shared_spans"),
]  # fmt: skip


def _counts(data: RelationData) -> tuple[int, int]:
    shared = data.relations.notna().sum(axis=1) >= 2
    n_annotators = int(data.relations[shared].notna().any().sum()) if len(data.annotators) else 0
    return int(shared.sum()), n_annotators


def _row(key: str, name: str, pairs: list[tuple], data: RelationData, n_boot: int, level: float,
         seed: int | None) -> list[Any]:  # fmt: skip
    """One report row: the mean over ``pairs`` (each pair's ids, matched, n_a, n_b) of their F1."""
    n_items, n_annotators = _counts(data)
    per_pair = [_f1(tp, na, nb) for _, tp, na, nb in pairs]
    defined = [v for v in per_pair if not math.isnan(v)]
    value = float(np.mean(defined)) if defined else math.nan
    low = high = math.nan
    if defined and n_boot > 0:
        ratios = [(ids, 2 * tp, na + nb) for ids, tp, na, nb in pairs]
        low, high = bootstrap_pair_ratios(ratios, data.relations.index, n_boot, level, seed)
    note = "" if defined else "no pair of annotators drew any relation on a shared item"
    reading = NOT_CHANCE_CORRECTED if defined else UNDEFINED
    return [key, name, value, low, high, n_items, n_annotators, reading, note]


def relation_coefficients(
    data: RelationData, *, n_boot: int, level: float, seed: int | None
) -> list[list[Any]]:
    """Rows of the report table (the layout of ``REPORT_COLUMNS``): relation F1 three ways."""
    if len(data.annotators) < 2:
        n_items, n_annotators = _counts(data)
        why = "needs relations from at least two annotators"
        nan = math.nan
        return [
            [key, name, nan, nan, nan, n_items, n_annotators, UNDEFINED, why] for key, name, _ in COEFFICIENTS
        ]
    names = _pairs(data.annotators)
    return [
        _row(key, name, [_pair(data, x, y, mode) for x, y in names], data, n_boot, level, seed)
        for key, name, mode in COEFFICIENTS
    ]


def relation_pair_rows(data: RelationData, *, n_boot: int, level: float, seed: int | None) -> list[list[Any]]:
    """One report row per annotator pair: their relation F1 (the dashboard lists them)."""
    return [
        _row(
            f"relation_f1:{x}|{y}",
            f"relation F1, {x} and {y}",
            [_pair(data, x, y, "labeled")],
            data,
            n_boot,
            level,
            seed,
        )  # fmt: skip
        for x, y in _pairs(data.annotators)
    ]


def relation_per_label(data: RelationData) -> pd.DataFrame:
    """One row per relation label: how many relations carry it, and the mean pairwise relation
    F1 on it alone (all relations, and among the spans both annotators marked)."""
    rows = []
    for label in data.relation_labels:
        count = sum(1 for col in data.relations.columns for doc in data.relations[col] if doc
                    for k in doc if k[2] == label)  # fmt: skip
        rows.append({"relation": label, "count": count, "f1": _mean_pairwise(data, "labeled", label),
                     "f1_shared_spans": _mean_pairwise(data, "shared_spans", label)})  # fmt: skip
    table = pd.DataFrame(rows, columns=["relation", "count", "f1", "f1_shared_spans"]).set_index("relation")
    table["count"] = table["count"].astype("int64")
    return table


def relation_per_pair(data: RelationData) -> pd.DataFrame:
    """One row per annotator pair: shared items, each one's relations, matched relations,
    relation F1 (all; among the spans both marked) and exact span F1 on the same items."""
    rows = []
    for x, y in _pairs(data.annotators):
        ids, tp, na, nb = _pair(data, x, y, "labeled")
        _, tp_s, na_s, nb_s = _pair(data, x, y, "shared_spans")
        _, stp, sna, snb = pair_arrays(data.docs[x], data.docs[y], "exact")
        rows.append({"annotator_a": x, "annotator_b": y, "items": len(ids), "relations_a": int(na.sum()),
                     "relations_b": int(nb.sum()), "matched": int(tp.sum()), "relation_f1": _f1(tp, na, nb),
                     "relation_f1_shared_spans": _f1(tp_s, na_s, nb_s),
                     "span_f1_exact": _f1(stp, sna, snb)})  # fmt: skip
    columns = ["annotator_a", "annotator_b", "items", "relations_a", "relations_b", "matched", "relation_f1",
               "relation_f1_shared_spans", "span_f1_exact"]  # fmt: skip
    table = pd.DataFrame(rows, columns=columns)
    for col in ("items", "relations_a", "relations_b", "matched"):
        table[col] = table[col].astype("int64")
    return table


def majority_relations(relations: pd.DataFrame) -> pd.Series:
    """Per item, the relations drawn by more than half of the annotators who annotated it."""
    out = {}
    for item, row in relations.iterrows():
        present = [d for d in row if d is not None]
        if not present:
            continue
        votes = Counter(k for d in present for k in set(d))
        out[item] = sorted((k for k, n in votes.items() if 2 * n > len(present)), key=repr)
    return pd.Series(out, dtype=object)


def _reference(data: RelationData, annotator: Any) -> tuple[pd.Series, pd.Series, str]:
    """The reference spans and relations of ``annotator``: gold, or the majority of the others."""
    index = data.docs.index
    if data.gold is not None:
        spans, rels, name = data.gold, data.gold_relations, "gold"
    else:
        others = [a for a in data.annotators if a != annotator]
        spans = majority_spans(data.docs[others])
        rels = majority_relations(data.relations[others])
        name = "majority of others"
    spans, rels = spans.reindex(index), (rels if rels is not None else pd.Series(dtype=object)).reindex(index)
    spans = spans.astype(object).where(spans.notna(), None)
    rels = rels.astype(object).where(spans.notna(), None)
    rels = pd.Series([r if r is not None or s is None else [] for r, s in zip(rels, spans, strict=True)],
                     index=index, dtype=object)  # fmt: skip
    return spans, rels, name


def relation_per_annotator(data: RelationData) -> pd.DataFrame:
    """The span table of each annotator (:func:`~nblabel.agreement.spans.span_per_annotator`)
    with relation F1 against the reference (gold, or the majority of the others), and F1 over
    spans and relations together against it (as a gold answer is scored)."""
    table = span_per_annotator(data)
    relation_f1, overall = [], []
    for a in table.index:
        spans, rels, _ = _reference(data, a)
        ids, tp, na, nb = relation_arrays(rels, data.relations[a], spans, data.docs[a], "labeled")
        relation_f1.append(_f1(tp, na, nb))
        _, stp, sna, snb = pair_arrays(spans, data.docs[a], "exact")
        total = na.sum() + nb.sum() + sna.sum() + snb.sum()
        overall.append(float(2 * (tp.sum() + stp.sum()) / total) if total else math.nan)
    at = table.columns.get_loc("f1_reference") + 1
    table.insert(at, "relation_f1_reference", relation_f1)
    table.insert(at + 1, "overall_f1_reference", overall)
    return table


def relation_disagreements(data: RelationData) -> pd.DataFrame:
    """One row per item whose annotators marked different spans or relations: each annotator's
    value, the gold (when given), the number of annotators and the mean pairwise F1 over spans
    and relations together on the item."""
    rows = {}
    for item, row in data.values.iterrows():
        present = {a: v for a, v in row.items() if v is not None}
        if len(present) < 2:
            continue
        docs = {a: document(v) for a, v in present.items()}
        signatures = {(frozenset(map(_span_key, s)), frozenset(r)) for s, r in docs.values()}
        if len(signatures) == 1:
            continue
        values = list(present.values())
        f1s = [units_f1(values[i], values[j]) for i in range(len(values)) for j in range(i + 1, len(values))]
        record = {
            str(a) if a not in ("gold", "n_ratings", "agreement") else f"{a} (annotator)": v
            for a, v in row.items()
        }
        if data.gold_values is not None:
            record["gold"] = data.gold_values.get(item)
        record["n_ratings"] = len(present)
        record["agreement"] = float(np.mean(f1s))
        rows[item] = record
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "item_id"
    return table


# ---------------------------------------------------------------------- the dashboard
def relations_live_tables(data: RelationData) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The dashboard's tables: per annotator (its agreement is F1 over spans and relations
    together against the reference), per label (the span labels, then each relation label as
    ``→ label`` with its relation F1 under "F1 exact") and the disagreements."""
    people = relation_per_annotator(data)
    people["f1_reference"] = people["overall_f1_reference"]
    labels = span_per_label(data)
    relations = relation_per_label(data)
    extra = pd.DataFrame(
        {
            "count": relations["count"].to_numpy(),
            "f1_exact": relations["f1"].to_numpy(),
            "f1_overlap": math.nan,
        },
        index=pd.Index([f"→ {label}" for label in relations.index], name=labels.index.name),
    )
    return people, pd.concat([labels, extra]) if len(extra) else labels, relation_disagreements(data)


@dataclass
class RelationView(DocumentView):
    """The live view of spans with relations: a :class:`~nblabel.agreement.views.DocumentView`
    of the spans whose items behind a confusion cell show each value with its relations."""

    data: RelationData

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
        table = super().cell_items(a, b, row_code, col_code, texts, majority=majority)
        text_of = (
            texts.reindex(table.index)
            if texts is not None
            else pd.Series(None, index=table.index, dtype=object)
        )
        values = self.data.values
        for annotator in values.columns:
            table[str(annotator)] = [
                describe_relations(text_of.get(i), values.at[i, annotator]) for i in table.index
            ]
        if self.data.gold_values is not None:
            gold = self.data.gold_values
            table["gold"] = [describe_relations(text_of.get(i), gold.get(i)) for i in table.index]
        return table


def describe_relations(text: str | None, value: Any) -> str | None:
    """A value as short text: ``“Ada” PER · “Acme” ORG; “Ada” —works_for→ “Acme”``."""
    parsed = document(value)
    if parsed is None:
        return None
    spans, _ = parsed
    shown = describe_spans(text, spans) or "(no spans)"
    relations = value.get("relations") if isinstance(value, Mapping) else None
    if not relations:
        return shown

    def span_text(s: Mapping[str, Any]) -> str:
        return f"“{text[s['start'] : s['end']]}”" if isinstance(text, str) else f"{s['start']}–{s['end']}"

    links = [
        f"{span_text(spans[r['head']])} —{r['label']}→ {span_text(spans[r['child']])}" for r in relations
    ]
    return f"{shown}; {' · '.join(links)}"
