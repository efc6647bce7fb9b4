"""Import benchmark: a Label Studio JSON export of 100,000 annotations into a store.

Budget (issue 17): a 100,000-annotation Label Studio file imports "in seconds" — here at most
10 s on SQLite (read, every value checked by its kind, one transaction), and importing it again
(nothing new: every event already present) at most as long. Peer: ``Store.import_annotations``
of the same labels as a DataFrame (no file, no checks, no idempotency key).

Run: ``python benchmarks/bench_import.py`` (about a minute; temp files are removed).
Environment: ``NBL_BENCH_ANNOTATIONS`` (default 100000) scales it down for a quick look.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import figure, footer, header, median, p95  # noqa: E402

import nblabel as nl  # noqa: E402

N = int(os.environ.get("NBL_BENCH_ANNOTATIONS", 100_000))
PER_TASK = 5
RUNS = 3
LABELS = ["Positive", "Negative", "Neutral", "Mixed"]
BUDGET_S = 10.0


def export(path: Path, kind: str) -> None:
    """A Label Studio export of N annotations: N / 5 tasks, five annotators each, with lead
    times, times and a prediction per task (choices, or two labeled spans per annotation)."""
    rng = random.Random(0)
    tasks = []
    text = "Ada Lovelace met Charles Babbage in London in 1833 and wrote the first program."
    for t in range(N // PER_TASK):
        anns = []
        for a in range(PER_TASK):
            if kind == "choices":
                result = [
                    {
                        "id": f"r{t}_{a}",
                        "from_name": "sentiment",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": [rng.choice(LABELS)]},
                    }
                ]
            else:
                result = [
                    {
                        "id": f"r{t}_{a}_{k}",
                        "from_name": "label",
                        "to_name": "text",
                        "type": "labels",
                        "value": {"start": s, "end": e, "text": text[s:e], "labels": [label]},
                    }
                    for k, (s, e, label) in enumerate([(0, 12, "PER"), (rng.choice([17, 25]), 32, "PER")])
                ]
            anns.append(
                {
                    "id": t * PER_TASK + a,
                    "completed_by": {"id": a, "email": f"user{a}@example.org"},
                    "result": result,
                    "was_cancelled": False,
                    "lead_time": 2.5 + a,
                    "created_at": f"2024-03-01T10:{a:02d}:00.000000Z",
                    "task": t,
                }
            )
        tasks.append(
            {
                "id": t,
                "data": {"text": text if kind != "choices" else f"review {t}"},
                "annotations": anns,
                "predictions": [{"model_version": "m", "result": anns[0]["result"]}],
            }
        )
    path.write_text(json.dumps(tasks), encoding="utf-8")


def bench(tmp: Path, kind: str) -> None:
    path = tmp / f"{kind}.json"
    export(path, kind)
    size_mb = path.stat().st_size / 1e6
    first, again, peer = [], [], []
    for run in range(RUNS):
        with nl.Store(tmp / f"{kind}-{run}.db") as store:
            start = time.perf_counter()
            summary = store.import_file(path, format="label-studio", task="t")
            first.append(time.perf_counter() - start)
            assert summary.written == N, summary
            start = time.perf_counter()
            assert store.import_file(path, format="label-studio", task="t").written == 0
            again.append(time.perf_counter() - start)
            frame = store.annotations("t")[["item_id", "annotator", "value"]]
        with nl.Store(tmp / f"{kind}-peer-{run}.db") as store:
            store.register_task("t", "classify" if kind == "choices" else "spans", LABELS + ["PER"])
            start = time.perf_counter()
            store.import_annotations(pd.DataFrame(frame), "t")
            peer.append(time.perf_counter() - start)
    ratio = median(first) / median(peer)
    figure(
        f"import {N:,} {kind} annotations from Label Studio ({size_mb:.0f} MB, SQLite)",
        f"median {median(first):.2f} s, p95 {p95(first):.2f} s; import_annotations of the same frame "
        f"{median(peer):.2f} s (x{ratio:.1f})",
        median(first) <= BUDGET_S,
        f"<= {BUDGET_S:g} s",
    )
    figure(
        f"import the same {kind} file again (nothing written)",
        f"median {median(again):.2f} s, p95 {p95(again):.2f} s",
        median(again) <= BUDGET_S,
        f"<= {BUDGET_S:g} s",
    )


def main() -> None:
    header(f"Label Studio import, {N:,} annotations")
    with tempfile.TemporaryDirectory() as folder:
        for kind in ("choices", "labels"):
            bench(Path(folder), kind)
    footer()


if __name__ == "__main__":
    main()
