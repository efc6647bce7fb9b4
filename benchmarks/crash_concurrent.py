"""Crash safety: 4 processes label concurrently into one SQLite file through the widget path.

Each worker process builds ``nl.Classify`` on the same 2,000-row DataFrame (same task, its own
annotator) and labels every item with ``w.annotate`` — the same path as a key press: one
durable commit per event. All four start together (they wait on a shared start time), so their
schema creation, task registration and commits contend for the one file.

Checks: exactly 8,000 label events, 2,000 per annotator, each (annotator, item) once, no
duplicate ``(client_id, client_seq)``, nothing left pending and no store error seen by any
widget (its status never left "ok"), and SQLite's integrity check. Prints the throughput.
Exits non-zero only when one of these breaks.

Run: ``python benchmarks/crash_concurrent.py`` (a few seconds; temp files are removed).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import figure, header  # noqa: E402

WORKERS = 4
EVENTS_EACH = 2_000
LABELS = ["positive", "negative", "neutral"]


def worker(index: int, store_path: str, start_at: float) -> None:
    import pandas as pd

    import nblabel as nl

    df = pd.DataFrame({"text": [f"item {i}: some review text" for i in range(EVENTS_EACH)]})
    while time.time() < start_at:  # everyone starts at once
        time.sleep(0.001)
    t0 = time.perf_counter()
    w = nl.Classify(
        df, text="text", labels=LABELS, task="concurrent", annotator=f"worker{index}", store=store_path
    )
    bad_status: list[dict] = []
    w.observe(
        lambda change: bad_status.append(change["new"]) if change["new"].get("state") != "ok" else None,
        "_status",
    )
    acked = []
    w.on_label(lambda item_id, value: acked.append(item_id))
    t1 = time.perf_counter()
    for i in range(EVENTS_EACH):
        w.annotate(i, LABELS[(i + index) % 3])
    deadline = time.monotonic() + 60
    while w.pending and time.monotonic() < deadline:  # only non-zero if a write had failed
        w.retry()
        time.sleep(0.05)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "index": index,
                "acked": len(acked),
                "pending": w.pending,
                "bad_status": bad_status,
                "construct_s": t1 - t0,
                "label_s": t2 - t1,
                "start": t0,
                "end": t2,
                "current": w.current,
            }
        )
    )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]), sys.argv[3], float(sys.argv[4]))
        return 0
    header("crash_concurrent")
    import sqlite3

    import nblabel as nl

    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="nbl-crash-concurrent-") as tmp:
        path = Path(tmp) / "shared.db"  # created by the workers themselves, concurrently
        launched = time.time()
        start_at = launched + 3.0  # time for the interpreters to import pandas and nblabel
        procs = [
            subprocess.Popen(
                [sys.executable, __file__, "--worker", str(i), str(path), repr(start_at)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for i in range(WORKERS)
        ]
        results = []
        for i, proc in enumerate(procs):
            out, err = proc.communicate(timeout=300)
            if proc.returncode != 0:
                failures.append(f"worker {i} exited with {proc.returncode}: {err.strip()[-2000:]}")
                continue
            if err.strip():
                failures.append(f"worker {i} wrote to stderr: {err.strip()[-2000:]}")
            results.append(json.loads(out.strip().splitlines()[-1]))
        wall_end = time.time()

        for r in results:
            if r["acked"] != EVENTS_EACH or r["pending"] or r["bad_status"] or r["current"] is not None:
                failures.append(f"worker {r['index']}: {r}")

        store = nl.Store(path)
        events = store.annotations(task="concurrent")
        store.close()
        with sqlite3.connect(path) as conn:
            integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        labels = events[events["kind"] == "label"]
        per_annotator = labels.groupby("annotator").size().to_dict()
        dup_items = int(labels.duplicated(["annotator", "item_id"]).sum())
        dup_seq = int(events.duplicated(["client_id", "client_seq"]).sum())
        expected_values = all(
            v == LABELS[(int(item) + int(a.removeprefix("worker"))) % 3]
            for item, a, v in zip(labels["item_id"], labels["annotator"], labels["value"], strict=True)
        )
        total = len(events)
        if total != WORKERS * EVENTS_EACH or len(labels) != total:
            failures.append(f"{total} events ({len(labels)} labels), expected {WORKERS * EVENTS_EACH}")
        if per_annotator != {f"worker{i}": EVENTS_EACH for i in range(WORKERS)}:
            failures.append(f"events per annotator {per_annotator}")
        if dup_items or dup_seq:
            failures.append(f"duplicates: {dup_items} (annotator, item), {dup_seq} (client_id, client_seq)")
        if not expected_values:
            failures.append("some stored values differ from the labels given")
        if integrity != "ok":
            failures.append(f"integrity_check: {integrity}")

    ok = not failures
    figure(
        f"events in the store after {WORKERS} processes x {EVENTS_EACH:,} labels",
        f"{total:,} events ({len(labels):,} labels); per annotator {per_annotator}; duplicates: "
        f"{dup_items} (annotator, item), {dup_seq} (client_id, client_seq); "
        f"values as given: {expected_values}; "
        f"integrity_check {integrity}",
        total == WORKERS * EVENTS_EACH and not dup_items and not dup_seq and expected_values,
        f"exactly {WORKERS * EVENTS_EACH:,}, no duplicates",
    )
    errors = sum(len(r["bad_status"]) + r["pending"] for r in results) + (WORKERS - len(results))
    figure(
        "errors seen by the widgets",
        f"{errors} (store-failure banners, events left pending, failed workers)",
        errors == 0,
        "0",
    )
    if results:
        first = min(r["start"] for r in results)
        last = max(r["end"] for r in results)
        per_worker = ", ".join(
            f"{EVENTS_EACH / r['label_s']:,.0f}/s" for r in sorted(results, key=lambda r: r["index"])
        )
        figure(
            "throughput, 4 concurrent writers (durable commit per event)",
            f"{WORKERS * EVENTS_EACH / (last - first):,.0f} events/s overall "
            f"({last - first:.2f} s from the first widget to the last commit); per worker {per_worker}; "
            f"whole run incl. process start and a 3 s start barrier {wall_end - launched:.1f} s",
        )
    for failure in failures:
        print(f"FAIL: {failure}")
    print("# invariant holds" if ok else "# INVARIANT BROKEN", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
