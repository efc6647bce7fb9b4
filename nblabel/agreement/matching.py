"""One-to-one matching of spans and boxes between two annotators (SciPy does the matching,
imported on first use).

Spans are dicts ``{start, end, label}`` (``end`` exclusive); boxes are dicts
``{x, y, w, h, label}`` in continuous image coordinates. Either argument is one document
(a list of dicts) or several (a list of lists, or a pandas Series of lists: one entry per
item, ``None`` = that annotator has not annotated the item, so the item is skipped).
Counts are summed over documents (micro-average).
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.frames import is_missing

SPAN_MODES = ("exact", "overlap")


# ---------------------------------------------------------------------------- documents
def _documents(value: Any, name: str, what: str) -> list[Any]:
    """A list of documents (each a list of dicts, or None when not annotated)."""
    if isinstance(value, pd.Series):
        return [None if is_missing(doc) else list(doc) for doc in value]
    if value is None or isinstance(value, str | bytes | Mapping):
        raise TypeError(
            f"{name} must be a list of {what} dicts, or a list of such lists; got {type(value).__name__}"
        )
    items = list(value)
    if not items:
        return [[]]
    if all(isinstance(x, Mapping) for x in items):
        return [items]
    if all(isinstance(x, list | tuple | np.ndarray) or is_missing(x) for x in items):
        return [None if is_missing(doc) else list(doc) for doc in items]
    raise TypeError(
        f"{name} must be one document (a list of {what} dicts) or several (a list of lists); "
        f"it mixes {sorted({type(x).__name__ for x in items})}"
    )


def _paired_documents(a: Any, b: Any, what: str) -> list[tuple[list, list]]:
    if isinstance(a, pd.Series) and isinstance(b, pd.Series) and not a.index.equals(b.index):
        a, b = a.align(b, join="inner")
    docs_a = _documents(a, f"{what}s_a", what)
    docs_b = _documents(b, f"{what}s_b", what)
    if len(docs_a) != len(docs_b):
        raise ValueError(
            f"{what}s_a has {len(docs_a)} document(s) but {what}s_b has {len(docs_b)}; "
            "pass the same documents in the same order"
        )
    return [(da, db) for da, db in zip(docs_a, docs_b, strict=True) if da is not None and db is not None]


def _scores(tp: int, n_a: int, n_b: int, name: str) -> dict[str, Any]:
    reasons = []
    if n_b == 0:
        reasons.append("B has none, so precision is undefined")
    if n_a == 0:
        reasons.append("A (the reference) has none, so recall is undefined")
    if reasons:
        both = " and F1 is undefined too" if n_a + n_b == 0 else ""
        warnings.warn(f"{name}: {'; '.join(reasons)}{both}; returning nan", UserWarning, stacklevel=3)
    return {
        "tp": int(tp),
        "precision": tp / n_b if n_b else math.nan,
        "recall": tp / n_a if n_a else math.nan,
        "f1": 2 * tp / (n_a + n_b) if n_a + n_b else math.nan,
    }


# ---------------------------------------------------------------------------- spans
def _span_arrays(doc: list, name: str) -> tuple[np.ndarray, np.ndarray, list]:
    starts = np.empty(len(doc), dtype=np.int64)
    ends = np.empty(len(doc), dtype=np.int64)
    labels = []
    for i, span in enumerate(doc):
        if not isinstance(span, Mapping):
            raise TypeError(f"{name}: each span must be a dict {{start, end, label}}; got {span!r:.60}")
        try:
            start, end = span["start"], span["end"]
        except KeyError as exc:
            raise ValueError(f"{name}: span {dict(span)!r:.80} has no {exc.args[0]!r}") from None
        if int(start) != start or int(end) != end:
            raise ValueError(f"{name}: span offsets must be integers; got {dict(span)!r:.80}")
        if end < start:
            raise ValueError(f"{name}: span {dict(span)!r:.80} ends before it starts")
        starts[i], ends[i] = start, end
        labels.append(span.get("label"))
    return starts, ends, labels


def span_agreement(
    spans_a: Any, spans_b: Any, mode: str = "exact", match_label: bool = True
) -> dict[str, Any]:
    """Span agreement of B against the reference A: true positives, precision, recall, F1.

    ``mode="exact"`` matches spans with the same ``start`` and ``end``; ``mode="overlap"``
    matches spans that share at least one character. With ``match_label`` the labels must be
    equal too. Each span matches at most one span of the other side (a maximum-cardinality
    one-to-one matching, so duplicates count separately). Pass one document (a list of span
    dicts) or several (a list of lists, or Series of lists; ``None`` entries are skipped);
    counts are summed over documents.

    >>> a = [{"start": 0, "end": 5, "label": "PER"}, {"start": 10, "end": 14, "label": "LOC"}]
    >>> b = [{"start": 0, "end": 5, "label": "PER"}, {"start": 9, "end": 14, "label": "LOC"}]
    >>> span_agreement(a, b)["f1"]
    0.5
    >>> span_agreement(a, b, mode="overlap")["f1"]
    1.0
    """
    if mode not in SPAN_MODES:
        raise ValueError(f"mode must be one of {SPAN_MODES}; got {mode!r}")
    pairs = _paired_documents(spans_a, spans_b, "span")
    tp = n_a = n_b = 0
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for doc_a, doc_b in pairs:
        sa, ea, la = _span_arrays(doc_a, "spans_a")
        sb, eb, lb = _span_arrays(doc_b, "spans_b")
        if mode == "exact":
            key_a = zip(sa.tolist(), ea.tolist(), la if match_label else [None] * len(la), strict=True)
            key_b = zip(sb.tolist(), eb.tolist(), lb if match_label else [None] * len(lb), strict=True)
            tp += sum((Counter(key_a) & Counter(key_b)).values())
        elif len(sa) and len(sb):
            linked = np.maximum(sa[:, None], sb[None, :]) < np.minimum(ea[:, None], eb[None, :])
            if match_label:
                linked &= _same_label(la, lb)
            r, c = np.nonzero(linked)
            rows.append(r + n_a)
            cols.append(c + n_b)
        n_a += len(sa)
        n_b += len(sb)
    if mode == "overlap" and rows:
        tp = _max_matching(np.concatenate(rows), np.concatenate(cols), n_a, n_b)
    return _scores(tp, n_a, n_b, "span_agreement")


def _same_label(la: list, lb: list) -> np.ndarray:
    codes, _ = pd.factorize(np.asarray(la + lb, dtype=object), use_na_sentinel=False)
    return codes[: len(la), None] == codes[None, len(la) :]


def _max_matching(rows: np.ndarray, cols: np.ndarray, n_a: int, n_b: int) -> int:
    """Size of a maximum-cardinality matching of the bipartite graph (Hopcroft-Karp in SciPy).
    Documents are disjoint blocks of one graph, so one call matches every document."""
    return int(matched_rows(rows, cols, n_a, n_b).sum())


def matched_rows(rows: np.ndarray, cols: np.ndarray, n_a: int, n_b: int) -> np.ndarray:
    """Which of the ``n_a`` A-side nodes a maximum-cardinality matching of the bipartite graph
    (edges ``rows[k]``–``cols[k]``) matches, as a boolean array."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_bipartite_matching

    if not len(rows):
        return np.zeros(n_a, dtype=bool)
    graph = csr_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(n_a, n_b))
    return maximum_bipartite_matching(graph, perm_type="column") >= 0


# ---------------------------------------------------------------------------- boxes
def _box_arrays(doc: list, name: str) -> tuple[np.ndarray, list]:
    xywh = np.empty((len(doc), 4), dtype=np.float64)
    labels = []
    for i, box in enumerate(doc):
        xywh[i] = _box_xywh(box, name)
        labels.append(box.get("label"))
    return xywh, labels


def _box_xywh(box: Any, name: str) -> tuple[float, float, float, float]:
    if not isinstance(box, Mapping):
        raise TypeError(f"{name}: each box must be a dict {{x, y, w, h, label}}; got {box!r:.60}")
    try:
        x, y, w, h = (float(box[k]) for k in ("x", "y", "w", "h"))
    except KeyError as exc:
        raise ValueError(f"{name}: box {dict(box)!r:.80} has no {exc.args[0]!r}") from None
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise ValueError(f"{name}: box coordinates must be finite; got {dict(box)!r:.80}")
    if w < 0 or h < 0:
        raise ValueError(f"{name}: box width and height must be >= 0; got {dict(box)!r:.80}")
    return x, y, w, h


def iou_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of every box of ``a`` (k x 4, x y w h) with every box of ``b``; 0 where both are empty."""
    ax0, ay0 = a[:, 0:1], a[:, 1:2]
    ax1, ay1 = ax0 + a[:, 2:3], ay0 + a[:, 3:4]
    bx0, by0 = b[:, 0], b[:, 1]
    bx1, by1 = bx0 + b[:, 2], by0 + b[:, 3]
    iw = np.clip(np.minimum(ax1, bx1) - np.maximum(ax0, bx0), 0, None)
    ih = np.clip(np.minimum(ay1, by1) - np.maximum(ay0, by0), 0, None)
    inter = iw * ih
    union = (a[:, 2:3] * a[:, 3:4]) + (b[:, 2] * b[:, 3]) - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def box_iou(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    """Intersection over union of two boxes ``{x, y, w, h}`` (labels are ignored).

    >>> box_iou({"x": 0, "y": 0, "w": 2, "h": 2}, {"x": 1, "y": 0, "w": 2, "h": 2})
    0.3333333333333333
    """
    xa = np.array([_box_xywh(a, "a")])
    xb = np.array([_box_xywh(b, "b")])
    if xa[0, 2] * xa[0, 3] == 0 and xb[0, 2] * xb[0, 3] == 0:
        warnings.warn(
            "box_iou is undefined for two boxes of zero area; returning nan", UserWarning, stacklevel=2
        )
        return math.nan
    return float(iou_matrix(xa, xb)[0, 0])


def box_agreement(
    boxes_a: Any, boxes_b: Any, iou_threshold: float = 0.5, match_label: bool = True
) -> dict[str, Any]:
    """Box agreement of B against the reference A: tp, precision, recall, F1 and mean IoU.

    A pair of boxes can match when its IoU is at least ``iou_threshold`` (and above 0), and,
    with ``match_label``, the labels are equal. Boxes are matched one-to-one so that the
    number of matches is as large as possible and, among such matchings, the total IoU is
    largest (an exact assignment, not greedy). ``mean_iou`` is the mean IoU of the matched
    pairs. One document (a list of box dicts) or several (a list of lists, or Series).

    >>> a = [{"x": 0, "y": 0, "w": 10, "h": 10, "label": "car"}]
    >>> b = [{"x": 1, "y": 0, "w": 10, "h": 10, "label": "car"}]
    >>> r = box_agreement(a, b)
    >>> r["tp"], round(r["mean_iou"], 4)
    (1, 0.8182)
    """
    threshold = float(iou_threshold)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"iou_threshold must be between 0 and 1; got {iou_threshold!r}")
    pairs = _paired_documents(boxes_a, boxes_b, "box")
    tp = n_a = n_b = 0
    iou_sum = 0.0
    for doc_a, doc_b in pairs:
        matched, doc_iou = box_matches(doc_a, doc_b, threshold, match_label)
        n_a += len(doc_a)
        n_b += len(doc_b)
        tp += matched
        iou_sum += doc_iou
    result = _scores(tp, n_a, n_b, "box_agreement")
    if tp:
        result["mean_iou"] = iou_sum / tp
    else:
        if n_a and n_b:
            warnings.warn(
                "box_agreement: no box pair matched, so mean_iou is undefined; returning nan",
                UserWarning,
                stacklevel=2,
            )
        result["mean_iou"] = math.nan
    return result


def box_matches(
    doc_a: list, doc_b: list, iou_threshold: float, match_label: bool = True
) -> tuple[int, float]:
    """One document pair's boxes matched as :func:`box_agreement` matches them: the number of
    matched pairs and their total IoU (the per-document figures a bootstrap resamples)."""
    xa, la = _box_arrays(doc_a, "boxes_a")
    xb, lb = _box_arrays(doc_b, "boxes_b")
    if not (len(xa) and len(xb)):
        return 0, 0.0
    iou = iou_matrix(xa, xb)
    ok = (iou >= iou_threshold) & (iou > 0)
    if match_label:
        ok &= _same_label(la, lb)
    if not ok.any():
        return 0, 0.0
    r, c = _best_assignment(iou, ok)
    return len(r), float(iou[r, c].sum())


def _best_assignment(iou: np.ndarray, ok: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matched (row, column) pairs: most matches first, then the largest total IoU.

    Each allowed pair is worth ``big + iou`` with ``big`` larger than any possible total IoU,
    so one more match always outweighs any gain in IoU; SciPy's Hungarian solver then finds the
    optimum exactly. Pairs that are not allowed are worth 0 and dropped afterwards.
    """
    from scipy.optimize import linear_sum_assignment

    big = min(ok.shape) + 1.0
    cost = np.where(ok, -(big + iou), 0.0)
    rows, cols = linear_sum_assignment(cost)
    keep = ok[rows, cols]
    return rows[keep], cols[keep]
