"""Agreement of box tasks: the tables of :func:`~nblabel.agreement_report` for ``Boxes``.

Boxes of two annotators on the same image are matched one to one by
:func:`nblabel.agreement.box_agreement` (IoU ≥ 0.5, the most matches, then the most total IoU)
and counted over the images both annotated; with more than two annotators the figures are means
over pairs. Box F1 is not chance-corrected.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from .coefficients import box_agreement
from .matching import _best_assignment, box_matches, iou_matrix
from .report import NOT_CHANCE_CORRECTED, UNDEFINED, throughputs
from .spans import SpanData, bootstrap_pair_ratios, prepare_spans

NONE = "(none)"
IOU = 0.5


class BoxData(SpanData):
    """Standing box labels: images x annotators, each cell a list of boxes or ``None`` (the
    same reshaping as spans; its own type so that reports and the dashboard tell them apart)."""


def prepare_boxes(annotations: pd.DataFrame, gold: Any = None, *, labels: list[str] | None = None) -> BoxData:
    """Box labels per (image, annotator); ``gold`` an annotator's name or box lists by item."""
    spans = prepare_spans(annotations, gold, labels=labels)
    return BoxData(spans.docs, spans.labels, spans.gold, spans.events, spans.skipped, spans.flagged)


def _pair(a: pd.Series, b: pd.Series, match_label: bool = True, label: str | None = None) -> dict[str, Any]:

    both = a.notna() & b.notna()
    docs_a, docs_b = list(a[both]), list(b[both])
    if label is not None:
        docs_a = [[x for x in d if x["label"] == label] for d in docs_a]
        docs_b = [[x for x in d if x["label"] == label] for d in docs_b]
    if not docs_a:
        return {"f1": math.nan, "mean_iou": math.nan}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return box_agreement(docs_a, docs_b, iou_threshold=IOU, match_label=match_label)


def _mean_pairs(data: BoxData, key: str, match_label: bool = True, label: str | None = None) -> float:
    values = []
    names = data.annotators
    for i, x in enumerate(names):
        for y in names[i + 1 :]:
            v = _pair(data.docs[x], data.docs[y], match_label, label)[key]
            if not (v is None or math.isnan(v)):
                values.append(v)
    return float(np.mean(values)) if values else math.nan


COEFFICIENTS = [
    ("box_f1", f"box F1, IoU ≥ {IOU:g}, same label (mean pairwise)", "f1", True),
    ("box_f1_any_label", f"box F1, IoU ≥ {IOU:g}, any label (mean pairwise)", "f1", False),
    ("box_mean_iou", "mean IoU of matched boxes (mean pairwise)", "mean_iou", True),
]


def _pair_items(a: pd.Series, b: pd.Series, match_label: bool) -> dict[str, Any]:
    """Over the images both annotated: their ids and, per image, the matched boxes, their total
    IoU and each side's boxes — the sums of which give F1 and mean IoU, resampled by the bootstrap."""
    both = a.notna() & b.notna()
    docs_a, docs_b = list(a[both]), list(b[both])
    matched = [box_matches(da, db, IOU, match_label) for da, db in zip(docs_a, docs_b, strict=True)]
    tp = np.array([m for m, _ in matched], dtype=np.int64)
    return {
        "ids": a.index[both.to_numpy()],
        "tp": tp,
        "iou": np.array([i for _, i in matched], dtype=float),
        "boxes": np.array([len(d) for d in docs_a], dtype=np.int64)
        + np.array([len(d) for d in docs_b], dtype=np.int64),
    }


def _ratio(metric: str, pair: dict[str, Any]) -> tuple[pd.Index, np.ndarray, np.ndarray]:
    """``(ids, numerator, denominator)`` per image: F1 = 2·matched / boxes, mean IoU = IoU / matched."""
    if metric == "f1":
        return pair["ids"], 2 * pair["tp"], pair["boxes"]
    return pair["ids"], pair["iou"], pair["tp"]


def box_coefficients(
    data: BoxData, *, n_boot: int = 0, level: float = 0.95, seed: int | None = 0
) -> list[list[Any]]:
    """Report rows (the layout of ``REPORT_COLUMNS``): the mean over annotator pairs of box F1
    and mean IoU over the images both annotated, with percentile bootstrap intervals resampling
    images (``n_boot`` replicates, seeded; ``n_boot=0`` skips them), as spans have."""
    shared = data.docs.notna().sum(axis=1) >= 2
    n_items, k = int(shared.sum()), len(data.annotators)
    names = data.annotators
    couples = [(x, y) for i, x in enumerate(names) for y in names[i + 1 :]]
    pairs = {
        match_label: [_pair_items(data.docs[x], data.docs[y], match_label) for x, y in couples]
        for match_label in (True, False)
    }
    rows = []
    for key, name, metric, match_label in COEFFICIENTS:
        ratios = [_ratio(metric, pair) for pair in pairs[match_label]]
        per_pair = [num.sum() / den.sum() for _ids, num, den in ratios if den.sum() > 0]
        value = float(np.mean(per_pair)) if per_pair else math.nan
        low = high = math.nan
        if per_pair and n_boot > 0:
            low, high = bootstrap_pair_ratios(ratios, data.docs.index, n_boot, level, seed)
        note = "" if not math.isnan(value) else "needs boxes from two annotators on the same image"
        reading = NOT_CHANCE_CORRECTED if not math.isnan(value) else UNDEFINED
        rows.append([key, name, value, low, high, n_items, k, reading, note])
    return rows


def box_per_label(data: BoxData) -> pd.DataFrame:
    rows = []
    for label in data.labels:
        count = sum(1 for c in data.docs.columns for d in data.docs[c] if d for x in d if x["label"] == label)
        rows.append({"label": label, "count": count, "f1": _mean_pairs(data, "f1", True, label),
                     "mean_iou": _mean_pairs(data, "mean_iou", True, label)})  # fmt: skip
    table = pd.DataFrame(rows, columns=["label", "count", "f1", "mean_iou"]).set_index("label")
    table["count"] = table["count"].astype("int64")
    return table


def box_per_annotator(data: BoxData) -> pd.DataFrame:

    throughput = throughputs(data.events)
    rows = []
    for a in data.annotators:
        row: dict[str, Any] = {
            "annotator": a,
            "items": int(data.docs[a].notna().sum()),
            "skipped": int(data.skipped.get(a, 0)),
            "flagged": int(data.flagged.get(a, 0)),
        }
        others = []
        for b in data.annotators:
            value = math.nan if a == b else _pair(data.docs[a], data.docs[b])["f1"]
            row[f"f1_with_{b}"] = value
            if a != b and not math.isnan(value):
                others.append(value)
        if data.gold is not None:
            gold = data.gold.reindex(data.docs.index)
            row["reference"] = "gold"
            row["f1_reference"] = _pair(gold.astype(object).where(gold.notna(), None), data.docs[a])["f1"]
        else:
            row["reference"] = "mean of the others"
            row["f1_reference"] = float(np.mean(others)) if others else math.nan
        row.update(throughput.get(a, {"items_per_hour": math.nan, "median_active_ms": math.nan}))
        rows.append(row)
    columns = ["items", "skipped", "flagged", *[f"f1_with_{b}" for b in data.annotators], "reference",
               "f1_reference", "items_per_hour", "median_active_ms"]  # fmt: skip
    return pd.DataFrame(rows, columns=["annotator", *columns]).set_index("annotator")


def box_disagreements(data: BoxData) -> pd.DataFrame:
    """Images where two annotators' boxes do not all match (IoU ≥ 0.5, same label)."""

    rows = {}
    for item, row in data.docs.iterrows():
        present = {a: d for a, d in row.items() if d is not None}
        names = list(present)
        f1s = []
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                da, db = present[names[i]], present[names[j]]
                if not da and not db:
                    f1s.append(1.0)
                    continue
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    f1s.append(box_agreement(da, db, iou_threshold=IOU)["f1"])
        if len(present) < 2 or all(f == 1.0 for f in f1s):
            continue
        record = {str(a): d for a, d in row.items()}
        record["n_ratings"] = len(present)
        record["agreement"] = float(np.nanmean(f1s))
        rows[item] = record
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "item_id"
    return table


def box_confusion(
    a: pd.Series, b: pd.Series, labels: list[str]
) -> tuple[np.ndarray, dict[tuple[int, int], list[Any]]]:
    """Labels of boxes matched one to one by IoU ≥ 0.5 (labels ignored); unmatched boxes count
    against ``(none)`` (the last row/column). Also the images behind each cell."""

    index = {label: i for i, label in enumerate(labels)}
    none = len(labels)
    counts = np.zeros((none + 1, none + 1), dtype=np.int64)
    cells: dict[tuple[int, int], list[Any]] = {}

    def add(i: int, j: int, item: Any) -> None:
        counts[i, j] += 1
        bucket = cells.setdefault((i, j), [])
        if not bucket or bucket[-1] != item:
            bucket.append(item)

    both = a.notna() & b.notna()
    for item in a.index[both.to_numpy()]:
        da, db = a[item], b[item]
        xa = np.array([[x["x"], x["y"], x["w"], x["h"]] for x in da], dtype=float).reshape(-1, 4)
        xb = np.array([[x["x"], x["y"], x["w"], x["h"]] for x in db], dtype=float).reshape(-1, 4)
        iou = iou_matrix(xa, xb) if len(xa) and len(xb) else np.zeros((len(xa), len(xb)))
        rows, cols = _best_assignment(iou, iou >= IOU) if iou.size else (np.zeros(0, int), np.zeros(0, int))
        matched_a, matched_b = set(rows.tolist()), set(cols.tolist())
        for i, j in zip(rows, cols, strict=True):
            add(index.get(da[i]["label"], none), index.get(db[j]["label"], none), item)
        for i, x in enumerate(da):
            if i not in matched_a:
                add(index.get(x["label"], none), none, item)
        for j, y in enumerate(db):
            if j not in matched_b:
                add(none, index.get(y["label"], none), item)
    return counts, cells


def describe_boxes(doc: list | None) -> str | None:
    """Boxes as short text: ``car 10,20 100×50 · person ...``."""
    if doc is None:
        return None
    if not doc:
        return "(no boxes)"
    return " · ".join(f"{x['label']} {x['x']:.0f},{x['y']:.0f} {x['w']:.0f}×{x['h']:.0f}" for x in doc)
