"""Widget construction and saved-state benchmarks for ``nl.Classify``.

Budgets (issue 2, item 8):
  * ``Classify`` on a 1,000,000-row DataFrame (a text column): construction <= 1 s and extra
    memory <= 100 MB. Each measurement runs in a fresh subprocess that first builds the
    DataFrame and imports nblabel, then constructs one widget: wall time of the constructor,
    RSS growth across it (``/proc/self/statm``), and in a separate subprocess the tracemalloc
    peak during construction (tracemalloc slows Python down, so it is never timed).
  * saved notebook widget state <= 50 KB whatever the DataFrame size: the JSON of
    ``w.get_state()`` and of the state ipywidgets' embedding saves (``embed_data``, what
    JupyterLab writes into the notebook's widget-state metadata) for 100, 10k and 1M rows,
    after labeling a few items.

Besides the budget case (RangeIndex, new store) it reports a string index (pandas builds a
hash table to check uniqueness and look ids up) and resuming a task with 100,000 labels
already in the store (the "restart the kernel and go on" path).

Run: ``python benchmarks/bench_construct.py`` (about 1-2 minutes; temp files are removed).
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import figure, footer, header, median, p95  # noqa: E402

N = 1_000_000
TIME_RUNS = 5
MEMORY_RUNS = 2
LABELS = ["positive", "negative", "neutral"]
RESUME_LABELS = 100_000


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def make_frame(n: int, index: str = "range"):
    import numpy as np
    import pandas as pd

    words = np.array(["good", "bad", "fine", "slow", "fast", "love", "hate", "meh"], dtype=object)
    rng = np.random.default_rng(0)
    text = [f"review {i}: {a} product, {b} delivery" for i, (a, b) in enumerate(rng.choice(words, (n, 2)))]
    df = pd.DataFrame({"review": text, "stars": rng.integers(1, 6, n)})
    if index == "str":
        df.index = pd.Index([f"r{i:08d}" for i in range(n)], name="review_id")
    return df


def child(variant: str, measure: str, store_path: str) -> None:
    """Runs in a fresh interpreter: build the frame, construct one widget, print JSON."""
    import tracemalloc

    import nblabel as nl

    df = make_frame(N, "str" if variant == "str" else "range")
    gc.collect()
    before = rss_bytes()
    if measure == "memory":
        tracemalloc.start()
    t0 = time.perf_counter()
    w = nl.Classify(df, text="review", labels=LABELS, task="bench", annotator="ana", store=store_path)
    elapsed = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1] if measure == "memory" else 0
    if measure == "memory":
        tracemalloc.stop()
    after = rss_bytes()
    assert w.current is not None
    label_ms = []
    if measure == "time":  # then a few labels: the kernel's cost per label at this size
        for _ in range(50):
            t0 = time.perf_counter()
            w.annotate(w.current, LABELS[0])
            label_ms.append((time.perf_counter() - t0) * 1e3)
    result = {"seconds": elapsed, "rss_delta": after - before, "tracemalloc_peak": peak, "label_ms": label_ms}
    print(json.dumps(result))


def run_child(variant: str, measure: str, store_path: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", variant, measure, str(store_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if out.returncode != 0:
        raise RuntimeError(f"child {variant}/{measure} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def prepare_resume_store(path: Path) -> None:
    import numpy as np
    import pandas as pd

    import nblabel as nl

    store = nl.Store(path)
    store.register_task("bench", "classify", LABELS, {"columns": {"text": "review"}, "multi": False})
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "item_id": np.arange(RESUME_LABELS, dtype=np.int64),
            "annotator": "ana",
            "value": np.array(LABELS, dtype=object)[rng.integers(0, 3, RESUME_LABELS)],
        }
    )
    store.import_annotations(frame, "bench")
    store.close()


def bench_construction(tmp: Path) -> None:
    resume_db = tmp / "resume.db"
    prepare_resume_store(resume_db)
    variants = [
        ("range", "1M rows, RangeIndex, new store", None),
        ("str", "1M rows, string index, new store", None),
        ("resume", f"1M rows, resume with {RESUME_LABELS:,} labels in the store", resume_db),
    ]
    for variant, title, shared in variants:
        times, rss, label_ms = [], [], []
        for run in range(TIME_RUNS):
            result = run_child(variant, "time", shared or tmp / f"{variant}-t{run}.db")
            times.append(result["seconds"])
            rss.append(result["rss_delta"])
            label_ms.extend(result["label_ms"])
        peaks = [
            run_child(variant, "memory", shared or tmp / f"{variant}-m{run}.db")["tracemalloc_peak"]
            for run in range(MEMORY_RUNS)
        ]
        figure(
            f"Classify construction ({title})",
            f"median {median(times) * 1e3:.0f} ms, p95 {p95(times) * 1e3:.0f} ms "
            f"({TIME_RUNS} fresh processes)",
            median(times) <= 1.0,
            "<= 1 s",
        )
        figure(
            f"w.annotate() after construction ({title})",
            f"median {median(label_ms):.2f} ms, p95 {p95(label_ms):.2f} ms per label "
            f"({len(label_ms)} labels: validate, durable commit, progress, next window)",
        )
        mem = max(median(rss), max(peaks))
        figure(
            f"Classify extra memory ({title})",
            f"RSS delta median {median(rss) / 1e6:.1f} MB (max {max(rss) / 1e6:.1f} MB); "
            f"tracemalloc peak {max(peaks) / 1e6:.1f} MB",
            mem <= 100e6,
            "<= 100 MB",
        )


def embed_size(w, *, drop_defaults: bool) -> int:
    """Bytes of the widget-state JSON ipywidgets' embedding saves for ``w`` (and its layout)."""
    import ipywidgets.embed

    manager_state = ipywidgets.embed.embed_data(views=[w], drop_defaults=drop_defaults)["manager_state"]
    mine = {w.model_id, w.layout.model_id}
    manager_state["state"] = {k: v for k, v in manager_state["state"].items() if k in mine}
    return len(json.dumps(manager_state).encode())


def bench_state(tmp: Path) -> None:
    import nblabel as nl

    sizes = {}
    for n in (100, 10_000, N):
        df = make_frame(n)
        task = f"state-{n:07d}"  # same length for every size: only the widget's own growth shows
        w = nl.Classify(df, text="review", labels=LABELS, task=task, annotator="ana", store=tmp / "state.db")
        for i in range(20):  # a few labels, so progress and counts are not empty
            w.annotate(i, LABELS[i % 3])
        state = w.get_state()
        own = len(json.dumps(state).encode())
        # embed_data drops traits at their default (the ESM and CSS); the front end's saved
        # state keeps them, so the full form (drop_defaults=False) is the one that counts.
        embedded = embed_size(w, drop_defaults=True)
        full = embed_size(w, drop_defaults=False)
        esm = len(json.dumps(state.get("_esm", "")).encode()) + len(
            json.dumps(state.get("_css", "")).encode()
        )
        sizes[n] = (own, full)
        figure(
            f"saved widget state ({n:,} rows)",
            f"w.get_state() {own / 1024:.1f} KB; "
            f"ipywidgets embed state {full / 1024:.1f} KB with every trait, "
            f"{embedded / 1024:.1f} KB with defaults dropped (JS bundle + CSS: {esm / 1024:.1f} KB)",
            max(own, full, embedded) <= 50 * 1024,
            "<= 50 KB",
        )
        w.layout.close()
        w.close()
        del w, df
        gc.collect()
    small, large = sizes[100][1], sizes[N][1]
    figure(
        "saved widget state growth 100 -> 1M rows",
        f"{large - small:+d} bytes of embed state (ratio {large / small:.3f})",
        None,
    )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        return 0
    header("bench_construct")
    with tempfile.TemporaryDirectory(prefix="nbl-bench-construct-") as tmp:
        bench_construction(Path(tmp))
        bench_state(Path(tmp))
    footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
