"""nl.suggestion_report and nl.judge_report on tasks of the size a live dashboard refreshes.

The dashboard recomputes the suggestion report on every refresh of a task whose labels recorded
suggestions (``LiveAgreement.suggestions``), so its cost is part of each refresh:

- classify: 10,000 items x 3 people (30,000 standing labels), each recording the model's
  suggestion, shown on a seeded half; the reference is the people's final labels (the
  consensus vote runs too) — budget 2 s (median): the dashboard refreshes at most every 2 s
  (``interval``) and never spends more than a third of its time refreshing;
- spans: 3,000 documents x 3 people, five suggested spans each (45,000 suggested parts), the
  widget's accepted/changed/removed record, against gold — budget 2 s;
- judge: nl.judge_report of one judge against 3 people on 10,000 items with 1,000 bootstrap
  resamples of each κ (four κ intervals) — budget 5 s.

Run: ``python benchmarks/bench_suggestions.py [--runs N]`` (about half a minute with 5 runs).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import figure, footer, header, median, p95  # noqa: E402

import nblabel as nl  # noqa: E402
from nblabel.core.frames import RecordedTask, record_tasks  # noqa: E402

LABELS = ["pos", "neg", "neu"]
PEOPLE = ["ana", "ben", "cy"]


def classify_frame(items: int, seed: int = 0) -> pd.DataFrame:
    """People's labels (right 80%) with the model's suggestion (right 70%), shown on half."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, 3, items)
    model = np.where(rng.random(items) < 0.7, truth, (truth + 1) % 3)
    rows = []
    for person in PEOPLE:
        shown = rng.random(items) < 0.5
        value = np.where(shown & (rng.random(items) < 0.5), model, truth)
        value = np.where(rng.random(items) < 0.2, (value + 2) % 3, value)
        rows.append(pd.DataFrame({
            "item_id": np.arange(items), "annotator": person, "kind": "label",
            "value": [LABELS[v] for v in value], "suggestion": [LABELS[v] for v in model],
            "suggestion_shown": pd.array(shown, dtype="boolean"),
            "active_ms": rng.integers(500, 8000, items),
        }))  # fmt: skip
    frame = pd.concat(rows, ignore_index=True)
    frame["id"], frame["task"] = np.arange(len(frame)), "t"
    return record_tasks(frame, {"t": RecordedTask("t", "classify", LABELS, {})})


def spans_frame(documents: int, seed: int = 1) -> tuple[pd.DataFrame, dict[int, list[dict]]]:
    """Five suggested spans per document; people keep, move or drop each; gold has four of them."""
    rng = np.random.default_rng(seed)
    rows, gold = [], {}
    for doc in range(documents):
        suggested = [{"start": 10 * k, "end": 10 * k + 5, "label": "PER"} for k in range(5)]
        gold[doc] = suggested[:4]
        for person in PEOPLE:
            fate = rng.integers(0, 3, 5)  # 0 kept, 1 moved, 2 dropped
            kept = zip(suggested, fate, strict=True)
            value = [s if f == 0 else {**s, "end": s["end"] + 1} for s, f in kept if f < 2]
            record = {
                "spans": suggested,
                "accepted": [i for i, f in enumerate(fate) if f == 0],
                "changed": [i for i, f in enumerate(fate) if f == 1],
                "removed": [i for i, f in enumerate(fate) if f == 2],
            }
            rows.append((doc, person, "label", value, record, True, 1000))
    frame = pd.DataFrame(
        rows, columns=["item_id", "annotator", "kind", "value", "suggestion", "suggestion_shown", "active_ms"]
    )
    frame["suggestion_shown"] = frame["suggestion_shown"].astype("boolean")
    frame["id"], frame["task"] = np.arange(len(frame)), "s"
    return record_tasks(frame, {"s": RecordedTask("s", "spans", ["PER"], {})}), gold


def judge_frame(items: int, seed: int = 2) -> pd.DataFrame:
    frame = classify_frame(items, seed)
    rng = np.random.default_rng(seed)
    judge = frame[frame["annotator"] == "ana"].assign(
        annotator="model:judge",
        value=[LABELS[v] for v in rng.integers(0, 3, items)],
        suggestion=[{"model": "judge", "version": "1", "score": None}] * items,
    )
    both = pd.concat([frame, judge], ignore_index=True)
    both["id"] = np.arange(len(both))
    both.attrs = frame.attrs
    return both


def report(name: str, times: list[float], budget: float) -> None:
    text = f"median {median(times):.3f} s, p95 {p95(times):.3f} s"
    figure(name, text, median(times) <= budget, f"median {budget:g} s")


def timed(call, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    header("suggestion_report and judge_report")
    frame = classify_frame(10_000)
    times = timed(lambda: nl.suggestion_report(frame), args.runs)
    report("suggestion_report, classify, 30,000 labels (final labels as reference)", times, 2.0)
    spans, gold = spans_frame(3_000)
    times = timed(lambda: nl.suggestion_report(spans, gold=gold), args.runs)
    report("suggestion_report, spans, 9,000 labels x 5 suggested spans (gold)", times, 2.0)
    judged = judge_frame(10_000)
    times = timed(lambda: nl.judge_report(judged, judge="model:judge", n_boot=1000), max(1, args.runs // 2))
    report("judge_report, 10,000 items x 3 people, 1,000 resamples per kappa", times, 5.0)
    footer()


if __name__ == "__main__":
    main()
