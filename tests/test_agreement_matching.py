"""Span and box agreement: one-to-one matching checked on cases where greedy matching is wrong,
and against brute force over every matching on small random cases."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from nblabel import agreement as ag


def span(start, end, label="X"):
    return {"start": start, "end": end, "label": label}


def box(x, w, label="car", y=0.0, h=1.0):
    return {"x": x, "y": y, "w": w, "h": h, "label": label}


def greedy_in_order(linked: np.ndarray) -> int:
    """What a first-come matching finds: each A takes its first free linked B."""
    taken, tp = set(), 0
    for i in range(linked.shape[0]):
        for j in range(linked.shape[1]):
            if linked[i, j] and j not in taken:
                taken.add(j)
                tp += 1
                break
    return tp


def greedy_best_first(iou: np.ndarray, threshold: float) -> tuple[int, float]:
    """What the usual detection matcher does: highest IoU first."""
    pairs = sorted(
        ((iou[i, j], i, j) for i, j in np.ndindex(iou.shape) if iou[i, j] >= threshold), reverse=True
    )
    used_a, used_b, tp, total = set(), set(), 0, 0.0
    for value, i, j in pairs:
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            tp += 1
            total += value
    return tp, total


def brute_force(score: np.ndarray, allowed: np.ndarray) -> tuple[int, float]:
    """Best (number of matches, total score) over every one-to-one matching."""
    na, nb = allowed.shape
    best = (0, 0.0)
    if na > nb:
        return brute_force(score.T, allowed.T)
    for perm in itertools.permutations(range(nb), na):
        pairs = [(i, j) for i, j in enumerate(perm) if allowed[i, j]]
        best = max(best, (len(pairs), sum(score[i, j] for i, j in pairs)))
    return best


# ------------------------------------------------------------------ spans
def test_exact_spans_count_duplicates_separately():
    a = [span(0, 4), span(0, 4), span(5, 9, "Y")]
    b = [span(0, 4), span(5, 9, "Y"), span(5, 9, "Y")]
    r = ag.span_agreement(a, b)
    assert r == {"tp": 2, "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3}


def test_exact_spans_labels():
    a = [span(0, 4, "PER"), span(5, 9, "LOC")]
    b = [span(0, 4, "ORG"), span(5, 9, "LOC")]
    assert ag.span_agreement(a, b)["tp"] == 1
    assert ag.span_agreement(a, b, match_label=False)["tp"] == 2


def test_overlap_matching_beats_first_come():
    # B1 overlaps both A spans, B2 only A1. First-come gives A1-B1 and leaves A2 alone;
    # the maximum matching is A1-B2, A2-B1.
    a = [span(0, 10), span(8, 12)]
    b = [span(5, 9), span(0, 3)]
    linked = np.array([[True, True], [True, False]])
    assert greedy_in_order(linked) == 1
    r = ag.span_agreement(a, b, mode="overlap")
    assert r["tp"] == 2 and r["f1"] == 1.0


def test_overlap_means_a_shared_character():
    a = [span(0, 5), span(7, 7)]
    b = [span(5, 9), span(6, 8)]  # [0,5) and [5,9) only touch; the empty span [7,7) has no character
    assert ag.span_agreement(a, b, mode="overlap")["tp"] == 0
    assert ag.span_agreement([span(0, 5)], [span(4, 9)], mode="overlap")["tp"] == 1


def test_overlap_labels():
    a = [span(0, 10, "PER")]
    b = [span(2, 6, "LOC"), span(3, 12, "PER")]
    assert ag.span_agreement(a, b, mode="overlap")["tp"] == 1
    assert ag.span_agreement(a, b, mode="overlap", match_label=False)["tp"] == 1


@pytest.mark.parametrize("seed", range(30))
def test_overlap_matching_is_maximum(seed):
    rng = np.random.default_rng(seed)
    na, nb = int(rng.integers(0, 6)), int(rng.integers(0, 6))
    labels = ["A", "B"]

    def spans(n):
        starts = rng.integers(0, 20, n)
        return [span(int(s), int(s + rng.integers(1, 8)), labels[rng.integers(0, 2)]) for s in starts]

    a, b = spans(na), spans(nb)
    for match_label in (True, False):
        allowed = np.array(
            [
                [
                    max(x["start"], y["start"]) < min(x["end"], y["end"])
                    and (not match_label or x["label"] == y["label"])
                    for y in b
                ]
                for x in a
            ],
            dtype=bool,
        ).reshape(na, nb)
        expected, _ = brute_force(allowed.astype(float), allowed)
        with pytest.warns(UserWarning) if na == 0 or nb == 0 else _nothing():
            r = ag.span_agreement(a, b, mode="overlap", match_label=match_label)
        assert r["tp"] == expected


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_several_documents_are_micro_averaged():
    docs_a = [[span(0, 4)], [span(0, 4), span(6, 8)], []]
    docs_b = [[span(0, 4)], [span(6, 8)], [span(1, 2)]]
    r = ag.span_agreement(docs_a, docs_b)
    assert r == {"tp": 2, "precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3}
    # Documents are matched separately: the same offsets in another document do not match.
    assert ag.span_agreement([[span(0, 4)], []], [[], [span(0, 4)]])["tp"] == 0


def test_series_of_documents_align_and_skip_unannotated_items():
    a = pd.Series([[span(0, 4)], [span(1, 3)], None], index=["x", "y", "z"])
    b = pd.Series([[span(9, 9)], [span(1, 3)], [span(0, 4)]], index=["z", "y", "x"])
    r = ag.span_agreement(a, b)
    assert r["tp"] == 2 and r["precision"] == 1.0  # item z skipped: a has not annotated it


def test_span_errors_and_undefined():
    with pytest.raises(ValueError, match="mode"):
        ag.span_agreement([], [], mode="fuzzy")
    with pytest.raises(ValueError, match="2 document"):
        ag.span_agreement([[span(0, 1)], []], [span(0, 1)])
    with pytest.raises(ValueError, match="ends before it starts"):
        ag.span_agreement([span(5, 1)], [])
    with pytest.raises(ValueError, match="no 'end'"):
        ag.span_agreement([{"start": 1}], [])
    with pytest.raises(TypeError, match="list of span dicts"):
        ag.span_agreement("PER 0 4", [])
    with pytest.warns(UserWarning, match="precision is undefined"):
        r = ag.span_agreement([span(0, 1)], [])
    assert r["tp"] == 0 and math.isnan(r["precision"]) and r["recall"] == 0 and r["f1"] == 0
    with pytest.warns(UserWarning, match="F1 is undefined"):
        assert math.isnan(ag.span_agreement([], [])["f1"])


# ------------------------------------------------------------------ boxes
def test_box_iou():
    assert ag.box_iou(box(0, 2, h=2), box(1, 2, h=2)) == pytest.approx(1 / 3)
    assert ag.box_iou(box(0, 2), box(2, 2)) == 0.0  # touching edges
    assert ag.box_iou(box(0.5, 2.5), box(0.5, 2.5)) == 1.0
    assert ag.box_iou({"x": 0, "y": 0, "w": 4, "h": 4}, {"x": 1, "y": 1, "w": 2, "h": 2}) == pytest.approx(
        0.25
    )
    with pytest.warns(UserWarning, match="zero area"):
        assert math.isnan(ag.box_iou(box(0, 0), box(0, 0)))
    with pytest.raises(ValueError, match=">= 0"):
        ag.box_iou(box(0, -1), box(0, 1))
    with pytest.raises(ValueError, match="no 'h'"):
        ag.box_iou({"x": 0, "y": 0, "w": 1}, box(0, 1))


def test_box_matching_maximises_matches_where_greedy_does_not():
    # IoU(A1,B1)=0.818, IoU(A1,B2)=0.667, IoU(A2,B1)=0.667, IoU(A2,B2)=0.333 < 0.5:
    # highest-IoU-first takes A1-B1 and strands A2; the best matching takes both.
    a = [box(0, 10), box(3, 10)]
    b = [box(1, 10), box(-2, 10)]
    iou = np.array([[ag.box_iou(x, y) for y in b] for x in a])
    assert greedy_best_first(iou, 0.5)[0] == 1
    r = ag.box_agreement(a, b)
    assert r["tp"] == 2 and r["f1"] == 1.0
    assert r["mean_iou"] == pytest.approx(2 / 3)


def test_box_matching_maximises_total_iou_where_greedy_does_not():
    # IoU: A1-B1 0.778, A1-B2 0.7, A2-B1 0.75, A2-B2 0.5. Greedy: 0.778 + 0.5;
    # best: 0.7 + 0.75 (same number of matches, more IoU).
    a = [box(5, 8), box(5, 6)]
    b = [box(4, 8), box(6, 9)]
    iou = np.array([[ag.box_iou(x, y) for y in b] for x in a])
    assert iou == pytest.approx(np.array([[7 / 9, 0.7], [0.75, 0.5]]))
    assert greedy_best_first(iou, 0.5) == (2, pytest.approx(7 / 9 + 0.5))
    r = ag.box_agreement(a, b)
    assert r["tp"] == 2
    assert r["mean_iou"] == pytest.approx((0.7 + 0.75) / 2)


def test_box_labels_and_threshold():
    a = [box(0, 10, "car")]
    b = [box(0, 10, "person"), box(2, 10, "car")]  # IoU with the car: 8/12
    assert ag.box_agreement(a, b)["tp"] == 1
    assert ag.box_agreement(a, b)["mean_iou"] == pytest.approx(8 / 12)
    assert ag.box_agreement(a, b, match_label=False)["mean_iou"] == 1.0
    with pytest.warns(UserWarning, match="mean_iou"):
        r = ag.box_agreement(a, b, iou_threshold=0.7)
    assert r["tp"] == 0 and math.isnan(r["mean_iou"])
    with pytest.raises(ValueError, match="iou_threshold"):
        ag.box_agreement(a, b, iou_threshold=1.5)


@pytest.mark.parametrize("seed", range(40))
def test_box_matching_is_optimal(seed):
    rng = np.random.default_rng(seed)
    na, nb = int(rng.integers(1, 6)), int(rng.integers(1, 6))

    def boxes(n):
        return [
            {
                "x": float(rng.uniform(0, 6)),
                "y": float(rng.uniform(0, 6)),
                "w": float(rng.uniform(1, 5)),
                "h": float(rng.uniform(1, 5)),
                "label": ["a", "b"][rng.integers(0, 2)],
            }
            for _ in range(n)
        ]

    a, b = boxes(na), boxes(nb)
    threshold = float(rng.choice([0.1, 0.3, 0.5]))
    iou = np.array([[ag.box_iou(x, y) for y in b] for x in a])
    same = np.array([[x["label"] == y["label"] for y in b] for x in a])
    for match_label in (True, False):
        allowed = (iou >= threshold) & (same if match_label else True)
        tp, total = brute_force(iou, allowed)
        if tp == 0:
            with pytest.warns(UserWarning, match="mean_iou"):
                r = ag.box_agreement(a, b, threshold, match_label)
            assert r["tp"] == 0
            continue
        r = ag.box_agreement(a, b, threshold, match_label)
        assert r["tp"] == tp
        assert r["mean_iou"] * tp == pytest.approx(total, abs=1e-12)
        assert r["precision"] == tp / nb and r["recall"] == tp / na


def test_boxes_over_several_documents():
    docs_a = [[box(0, 10)], [box(0, 10), box(20, 10)]]
    docs_b = [[box(0, 10)], [box(21, 10)]]
    r = ag.box_agreement(docs_a, docs_b)
    assert r["tp"] == 2 and r["recall"] == 2 / 3 and r["precision"] == 1.0
    assert r["mean_iou"] == pytest.approx((1 + 9 / 11) / 2)
