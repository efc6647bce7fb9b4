"""Agreement of span tasks: the tables of :func:`~nblabel.agreement_report` for ``Spans``.

Spans are compared per item between two annotators with the one-to-one maximum matching of
:func:`nblabel.agreement.span_agreement` (``exact`` bounds, or ``overlap``), and counts are
summed over the items both annotated (micro F1 = 2·matched / (spans of A + spans of B)). With
more than two annotators the figure is the mean over pairs. Span F1 is not chance-corrected.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from .matching import _same_label, _span_arrays, matched_rows
from .report import NOT_CHANCE_CORRECTED, UNDEFINED, sorted_values, standing, throughputs

NONE = "(none)"


@dataclass
class SpanData:
    """Standing span labels: items x annotators, each cell a list of spans or ``None``."""

    docs: pd.DataFrame
    labels: list[str]
    gold: pd.Series | None = None
    events: pd.DataFrame | None = None
    skipped: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    flagged: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))

    @property
    def annotators(self) -> list[Any]:
        return list(self.docs.columns)

    @property
    def codes(self) -> pd.DataFrame:
        """The items x annotators table (named as :class:`~nblabel.report._Data`'s)."""
        return self.docs


class WideValues(NamedTuple):
    """A document family's standing values as an items x annotators table, and what the events
    say besides (:func:`wide_values`)."""

    wide: pd.DataFrame
    gold: pd.Series | None
    events: pd.DataFrame | None
    skipped: pd.Series
    flagged: pd.Series


def wide_values(annotations: pd.DataFrame, gold: Any = None) -> WideValues:
    """Each annotator's standing value per item (items x annotators, sorted, ``None`` where not
    labeled) from a long store frame, or a wide frame as given; ``gold`` as values by item: an
    annotator's name (taken out of the table; ``KeyError`` if unknown) or a Series/mapping."""
    skipped = flagged = pd.Series(dtype="int64")
    if {"item_id", "annotator", "value"} <= set(annotations.columns):
        values, events, skipped, flagged = standing(annotations)
        wide = (
            values.pivot(index="item_id", columns="annotator", values="value")
            if len(values)
            else pd.DataFrame()
        )
    else:
        wide, events = annotations.copy(), None
    gold_values = None
    if isinstance(gold, str):
        if gold not in wide.columns:
            raise KeyError(
                f"gold={gold!r} is not an annotator of the annotations; annotators: {list(wide.columns)}"
            )
        gold_values = wide[gold].dropna()
        wide = wide.drop(columns=[gold])
    elif gold is not None:
        gold_values = pd.Series(dict(gold) if not isinstance(gold, pd.Series) else gold, dtype=object)
    wide = wide.astype(object).where(wide.notna(), None)
    if len(wide.columns):
        wide = wide.loc[sorted_values(wide.index), sorted_values(wide.columns)]
    return WideValues(wide, gold_values, events, skipped, flagged)


def prepare_spans(
    annotations: pd.DataFrame, gold: Any = None, *, labels: list[str] | None = None
) -> SpanData:
    """Span labels per (item, annotator) from a long store frame (or a wide items x annotators
    frame of span lists), with gold (a Series/mapping of span lists, or an annotator's name)."""

    wide, gold_docs, events, skipped, flagged = wide_values(annotations, gold)
    seen = {s["label"] for col in wide.columns for doc in wide[col] if doc for s in doc}
    label_list = list(labels or []) + sorted(seen - set(labels or []))
    return SpanData(wide, label_list, gold_docs, events, skipped, flagged)


# ---------------------------------------------------------------------- matching per item
def matched_per_item(docs_a: list[list], docs_b: list[list], mode: str, match_label: bool) -> np.ndarray:
    """Matched spans per document pair (one-to-one, maximum cardinality), one SciPy call for
    every document at once in ``overlap`` mode."""
    n = len(docs_a)
    out = np.zeros(n, dtype=np.int64)
    if mode == "exact":
        if match_label:

            def key(s: dict) -> tuple:
                return s["start"], s["end"], s["label"]
        else:

            def key(s: dict) -> tuple:
                return s["start"], s["end"]

        for i, (a, b) in enumerate(zip(docs_a, docs_b, strict=True)):
            out[i] = sum((Counter(map(key, a)) & Counter(map(key, b))).values())
        return out
    rows, cols, owner = [], [], []
    n_a = n_b = 0
    for i, (a, b) in enumerate(zip(docs_a, docs_b, strict=True)):
        sa, ea, la = _span_arrays(a, "spans_a")
        sb, eb, lb = _span_arrays(b, "spans_b")
        if len(sa) and len(sb):
            linked = np.maximum(sa[:, None], sb[None, :]) < np.minimum(ea[:, None], eb[None, :])
            if match_label:
                linked &= _same_label(la, lb)
            r, c = np.nonzero(linked)
            rows.append(r + n_a)
            cols.append(c + n_b)
        owner.extend([i] * len(sa))
        n_a += len(sa)
        n_b += len(sb)
    if rows:
        matched = matched_rows(np.concatenate(rows), np.concatenate(cols), n_a, n_b)
        np.add.at(out, np.asarray(owner, dtype=np.intp)[matched], 1)
    return out


def pair_arrays(
    a: pd.Series, b: pd.Series, mode: str, match_label: bool = True, label: str | None = None
) -> tuple[pd.Index, np.ndarray, np.ndarray, np.ndarray]:
    """Over the items both annotated: item ids, matched spans, spans of a, spans of b."""
    both = a.notna() & b.notna()
    docs_a, docs_b = list(a[both]), list(b[both])
    if label is not None:
        docs_a = [[s for s in d if s["label"] == label] for d in docs_a]
        docs_b = [[s for s in d if s["label"] == label] for d in docs_b]
    tp = matched_per_item(docs_a, docs_b, mode, match_label)
    n_a = np.array([len(d) for d in docs_a], dtype=np.int64)
    n_b = np.array([len(d) for d in docs_b], dtype=np.int64)
    return a.index[both.to_numpy()], tp, n_a, n_b


def _f1(tp: np.ndarray, n_a: np.ndarray, n_b: np.ndarray) -> float:
    total = n_a.sum() + n_b.sum()
    return float(2 * tp.sum() / total) if total else math.nan


def mean_pairwise_f1(data: SpanData, mode: str, match_label: bool = True, label: str | None = None) -> float:
    """Mean over annotator pairs of the micro F1 over their shared items (pairs with no span
    at all left out)."""
    values = []
    names = data.annotators
    for i, x in enumerate(names):
        for y in names[i + 1 :]:
            _, tp, n_a, n_b = pair_arrays(data.docs[x], data.docs[y], mode, match_label, label)
            f1 = _f1(tp, n_a, n_b)
            if not math.isnan(f1):
                values.append(f1)
    return float(np.mean(values)) if values else math.nan


# ---------------------------------------------------------------------- the tables
#: (key, name, mode, match_label)
COEFFICIENTS = [
    ("span_f1_exact", "span F1, exact bounds and label (mean pairwise)", "exact", True),
    ("span_f1_overlap", "span F1, overlapping with the same label (mean pairwise)", "overlap", True),
    ("span_f1_bounds", "span F1, exact bounds, any label (mean pairwise)", "exact", False),
]


def span_coefficients(data: SpanData, *, n_boot: int, level: float, seed: int | None) -> list[list[Any]]:
    """Rows of the report table (the layout of ``REPORT_COLUMNS``)."""

    names = data.annotators
    shared = data.docs.notna().sum(axis=1) >= 2
    n_items = int(shared.sum())
    n_annotators = int(data.docs[shared].notna().any().sum()) if len(names) else 0
    rows = []
    for key, name, mode, match_label in COEFFICIENTS:
        if len(names) < 2:
            rows.append([key, name, math.nan, math.nan, math.nan, n_items, n_annotators, UNDEFINED,
                         "needs spans from at least two annotators"])  # fmt: skip
            continue
        pairs = [
            pair_arrays(data.docs[x], data.docs[y], mode, match_label)
            for i, x in enumerate(names)
            for y in names[i + 1 :]
        ]
        per_pair = [_f1(tp, na, nb) for _, tp, na, nb in pairs]
        defined = [v for v in per_pair if not math.isnan(v)]
        value = float(np.mean(defined)) if defined else math.nan
        low = high = math.nan
        if defined and n_boot > 0:
            low, high = _bootstrap(pairs, data.docs.index, n_boot, level, seed)
        note = "" if defined else "no pair of annotators marked any span on a shared item"
        reading = NOT_CHANCE_CORRECTED if defined else UNDEFINED
        rows.append([key, name, value, low, high, n_items, n_annotators, reading, note])
    return rows


def _bootstrap(
    pairs: list, items: pd.Index, n_boot: int, level: float, seed: int | None
) -> tuple[float, float]:
    """Percentile interval of the mean pairwise F1, resampling items."""
    ratios = [(ids, 2 * tp, na + nb) for ids, tp, na, nb in pairs]
    return bootstrap_pair_ratios(ratios, items, n_boot, level, seed)


def bootstrap_pair_ratios(
    pairs: list[tuple[pd.Index, np.ndarray, np.ndarray]],
    items: pd.Index,
    n_boot: int,
    level: float,
    seed: int | None,
) -> tuple[float, float]:
    """Percentile interval of a mean over annotator pairs of a ratio of sums over their shared
    items (``pairs``: each pair's item ids and per-item numerators and denominators; F1 is
    2·matched / (A's + B's), mean IoU is total IoU / matched). Each replicate resamples
    ``items`` (the same draw for every pair); a pair whose denominator is 0 in a replicate is
    left out of its mean, a replicate with no pair left is dropped."""
    rng = np.random.default_rng(seed)
    position = pd.Index(items)
    draws = rng.integers(0, len(position), (n_boot, len(position)))
    weights = np.apply_along_axis(np.bincount, 1, draws, minlength=len(position))  # n_boot x items
    stats = []
    for ids, num, den in pairs:
        w = weights[:, position.get_indexer(ids)]
        total = w @ den
        with np.errstate(invalid="ignore", divide="ignore"):
            stats.append(np.where(total > 0, (w @ num) / total, np.nan))
    with warnings.catch_warnings():  # a resample where no pair is defined: NaN, dropped below
        warnings.simplefilter("ignore", RuntimeWarning)
        means = np.nanmean(np.vstack(stats), axis=0) if stats else np.full(n_boot, np.nan)
    means = means[~np.isnan(means)]
    if not len(means):
        return math.nan, math.nan
    alpha = (1 - level) / 2
    return float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def span_per_label(data: SpanData) -> pd.DataFrame:
    """One row per label: how many spans carry it, and the mean pairwise F1 on it alone."""
    rows = []
    for label in data.labels:
        count = sum(
            1
            for col in data.docs.columns
            for doc in data.docs[col]
            if doc
            for s in doc
            if s["label"] == label
        )
        rows.append(
            {
                "label": label,
                "count": count,
                "f1_exact": mean_pairwise_f1(data, "exact", True, label),
                "f1_overlap": mean_pairwise_f1(data, "overlap", True, label),
            }
        )
    table = pd.DataFrame(rows, columns=["label", "count", "f1_exact", "f1_overlap"]).set_index("label")
    table["count"] = table["count"].astype("int64")
    return table


def majority_spans(docs: pd.DataFrame) -> pd.Series:
    """Per item, the spans (exact bounds and label) marked by more than half of the annotators
    who annotated it."""
    out = {}
    for item, row in docs.iterrows():
        present = [d for d in row if d is not None]
        if not present:
            continue
        votes = Counter(
            (s["start"], s["end"], s["label"])
            for d in present
            for s in {(x["start"], x["end"], x["label"]): x for x in d}.values()
        )
        out[item] = [
            {"start": s, "end": e, "label": lab}
            for (s, e, lab), n in sorted(votes.items())
            if 2 * n > len(present)
        ]
    return pd.Series(out, dtype=object)


def span_per_annotator(data: SpanData) -> pd.DataFrame:
    """One row per annotator: volume, F1 with each other annotator and with the reference (gold,
    or the majority of the others), throughput."""

    names = data.annotators
    throughput = throughputs(data.events)
    rows = []
    for a in names:
        row: dict[str, Any] = {
            "annotator": a,
            "items": int(data.docs[a].notna().sum()),
            "skipped": int(data.skipped.get(a, 0)),
            "flagged": int(data.flagged.get(a, 0)),
        }
        for b in names:
            if a == b:
                row[f"f1_with_{b}"] = math.nan
            else:
                _, tp, na, nb = pair_arrays(data.docs[a], data.docs[b], "exact")
                row[f"f1_with_{b}"] = _f1(tp, na, nb)
        if data.gold is not None:
            reference = data.gold.reindex(data.docs.index)
            row["reference"] = "gold"
        else:
            reference = majority_spans(data.docs.drop(columns=[a])).reindex(data.docs.index)
            row["reference"] = "majority of others"
        reference = reference.astype(object).where(reference.notna(), None)
        ids, tp, na, nb = pair_arrays(reference, data.docs[a], "exact")
        row["n_reference"] = len(ids)
        row["f1_reference"] = _f1(tp, na, nb)
        row.update(throughput.get(a, {"items_per_hour": math.nan, "median_active_ms": math.nan}))
        rows.append(row)
    columns = ["items", "skipped", "flagged", *[f"f1_with_{b}" for b in names], "reference", "n_reference",
               "f1_reference", "items_per_hour", "median_active_ms"]  # fmt: skip
    table = pd.DataFrame(rows, columns=["annotator", *columns]).set_index("annotator")
    for col in ("items", "skipped", "flagged", "n_reference"):
        table[col] = table[col].astype("int64")
    return table


def span_disagreements(data: SpanData) -> pd.DataFrame:
    """One row per item whose annotators marked different spans: each annotator's spans, the
    gold (when given), the number of annotators and the mean pairwise exact F1 on the item."""

    def key(doc: list) -> frozenset:
        return frozenset((s["start"], s["end"], s["label"]) for s in doc)

    rows = {}
    for item, row in data.docs.iterrows():
        present = {a: d for a, d in row.items() if d is not None}
        if len(present) < 2 or len({key(d) for d in present.values()}) == 1:
            continue
        docs = list(present.values())
        f1s = []
        for i in range(len(docs)):
            for j in range(i + 1, len(docs)):
                tp = matched_per_item([docs[i]], [docs[j]], "exact", True)[0]
                total = len(docs[i]) + len(docs[j])
                f1s.append(2 * tp / total if total else 1.0)
        record = {
            str(a) if a not in ("gold", "n_ratings", "agreement") else f"{a} (annotator)": d
            for a, d in row.items()
        }
        if data.gold is not None:
            record["gold"] = data.gold.get(item)
        record["n_ratings"] = len(present)
        record["agreement"] = float(np.mean(f1s))
        rows[item] = record
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "item_id"
    return table


def span_confusion(
    a: pd.Series, b: pd.Series, labels: list[str]
) -> tuple[np.ndarray, dict[tuple[int, int], list[Any]]]:
    """Which labels two annotators give the same text: spans matched one-to-one by overlap
    (labels ignored), counted by (label of a, label of b); unmatched spans count against
    ``(none)`` (the last row/column). Also the items behind each cell."""
    both = a.notna() & b.notna()
    index = {label: i for i, label in enumerate(labels)}
    none = len(labels)
    counts = np.zeros((none + 1, none + 1), dtype=np.int64)
    cells: dict[tuple[int, int], list[Any]] = {}

    def add(i: int, j: int, item: Any) -> None:
        counts[i, j] += 1
        bucket = cells.setdefault((i, j), [])
        if not bucket or bucket[-1] != item:
            bucket.append(item)

    from scipy.optimize import linear_sum_assignment

    for item in a.index[both.to_numpy()]:
        da, db = a[item], b[item]
        overlap = np.zeros((len(da), len(db)))
        for i, x in enumerate(da):
            for j, y in enumerate(db):
                common = min(x["end"], y["end"]) - max(x["start"], y["start"])
                overlap[i, j] = common if common > 0 else 0
        matched_a, matched_b = set(), set()
        if overlap.size and overlap.max() > 0:
            rows, cols = linear_sum_assignment(-(overlap > 0).astype(float) * 1e6 - overlap)
            for i, j in zip(rows, cols, strict=True):
                if overlap[i, j] > 0:
                    add(index.get(da[i]["label"], none), index.get(db[j]["label"], none), item)
                    matched_a.add(i)
                    matched_b.add(j)
        for i, x in enumerate(da):
            if i not in matched_a:
                add(index.get(x["label"], none), none, item)
        for j, y in enumerate(db):
            if j not in matched_b:
                add(none, index.get(y["label"], none), item)
    return counts, cells


def describe_spans(text: str | None, doc: list | None) -> str | None:
    """Spans as short text: ``“Barack Obama” PER · “Paris” LOC`` (``None`` when not annotated)."""
    if doc is None:
        return None
    if not doc:
        return "(no spans)"
    parts = []
    for s in doc:
        shown = text[s["start"] : s["end"]] if isinstance(text, str) else f"{s['start']}–{s['end']}"
        parts.append(f"“{shown}” {s['label']}")
    return " · ".join(parts)
