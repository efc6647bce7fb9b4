"""Dawid–Skene on 1,000,000 labels: ``nl.aggregate(method="dawid_skene")`` against crowd-kit's
``DawidSkene`` in the same run.

Budget (issue 14, item 8): on 100,000 items x 50 annotators x 10 classes, 1,000,000 labels
(10 per item, seeded; each annotator has a confusion matrix of their own), ``nl.aggregate``
takes <= 0.5x crowd-kit's time and <= 0.5x its peak memory. Both start from the same long
frame (crowd-kit's columns are named task/worker/label, ours item_id/annotator/value; the
frames exist before either call) and use the same defaults (at most 100 EM iterations,
tol 1e-5); both results hold every item's posterior.

- time: the whole call (reading the frame, coding, EM, the result table), ours and crowd-kit
  interleaved so both see the same machine noise; median of the runs;
- peak memory, measured alike on both sides: the tracemalloc peak during the call (numpy and
  pandas allocate through it), median of the runs; and the peak RSS of a fresh subprocess per
  run (VmHWM reset through /proc/self/clear_refs once the frame is built, minus the RSS then).

Also printed: the EM iterations each ran and the share of items where both give the same
label. Run: ``python benchmarks/bench_aggregate.py [--runs N]`` (about 2 minutes on 2 cores with
the default 3 runs). crowd-kit is a test dependency (``pip install --no-deps crowd-kit==1.4.2``).
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import figure, footer, header, median, p95  # noqa: E402

ITEMS, ANNOTATORS, CLASSES, PER_ITEM = 100_000, 50, 10, 10
MB = 1e6


def simulate(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ours, crowd-kit's): the same labels as nblabel's long frame and crowd-kit's frame.
    Annotator accuracy 0.3-0.8; their errors follow a confusion matrix of their own (Dirichlet
    rows), so Dawid–Skene has something to learn."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, CLASSES, ITEMS)
    confusion = np.empty((ANNOTATORS, CLASSES, CLASSES))
    for w in range(ANNOTATORS):
        accuracy = rng.uniform(0.3, 0.8)
        errors = rng.dirichlet(np.full(CLASSES - 1, 0.5), size=CLASSES) * (1 - accuracy)
        for c in range(CLASSES):
            confusion[w, c] = np.insert(errors[c], c, accuracy)
    item = np.repeat(np.arange(ITEMS), PER_ITEM)
    annotator = np.argsort(rng.random((ITEMS, ANNOTATORS)), axis=1)[:, :PER_ITEM].ravel()
    cumulative = confusion.cumsum(axis=2)
    label = np.empty(len(item), dtype=np.int64)
    for start in range(0, len(item), 200_000):  # inverse CDF, a chunk at a time
        part = slice(start, start + 200_000)
        cdf = cumulative[annotator[part], truth[item[part]]]
        label[part] = np.minimum((cdf < rng.random(len(cdf))[:, None]).sum(axis=1), CLASSES - 1)
    names = np.array([f"class {k}" for k in range(CLASSES)], dtype=object)
    people = np.array([f"annotator {w:02d}" for w in range(ANNOTATORS)], dtype=object)
    ours = pd.DataFrame({"item_id": item, "annotator": people[annotator], "value": names[label]})
    theirs = pd.DataFrame({"task": item, "worker": people[annotator], "label": names[label]})
    return ours, theirs


def run_ours(frame: pd.DataFrame) -> Any:
    import nblabel as nl

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 100,000 items x 10 labels: no small-pilot warning
        return nl.aggregate(frame, method="dawid_skene")


def run_crowdkit(frame: pd.DataFrame) -> Any:
    from crowdkit.aggregation import DawidSkene

    return DawidSkene(n_iter=100, tol=1e-5).fit(frame)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def traced_peak(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def child(side: str) -> None:
    """In a fresh process: build the frames, reset the RSS high-water mark, run one side, print
    its peak RSS above the RSS before the call (JSON)."""
    ours, theirs = simulate()
    if side == "ours":
        frame, fn = ours, run_ours
        del theirs
    else:
        frame, fn = theirs, run_crowdkit
        del ours
    import crowdkit.aggregation  # noqa: F401  (imports before the baseline, on both sides)
    import scipy.sparse  # noqa: F401

    import nblabel  # noqa: F401

    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status("VmRSS")
    fn(frame)
    print(json.dumps({"peak": _status("VmHWM") - before}))


def _status(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


def rss_peak(side: str) -> float:
    proc = subprocess.run(
        [sys.executable, __file__, "--child", side], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])["peak"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", choices=["ours", "crowdkit"])
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    header("Dawid–Skene on 1,000,000 labels: nl.aggregate vs crowd-kit 1.4.2 DawidSkene")
    ours_frame, their_frame = simulate()
    label = f"{ITEMS:,} items x {ANNOTATORS} annotators x {CLASSES} classes, {len(ours_frame):,} labels"
    print(f"# {label}; {args.runs} runs per figure", flush=True)

    run_ours(ours_frame), run_crowdkit(their_frame)  # warm-up: imports, first-touch page faults
    t_ours, t_peer = [], []
    result = model = None
    for _ in range(args.runs):
        t, result = timed(lambda: run_ours(ours_frame))
        t_ours.append(t)
        t, model = timed(lambda: run_crowdkit(their_frame))
        t_peer.append(t)
    ratio = median(t_ours) / median(t_peer)
    figure(
        f"dawid_skene time, {label}",
        f"nl.aggregate median {median(t_ours):.2f} s (p95 {p95(t_ours):.2f} s); crowd-kit median "
        f"{median(t_peer):.2f} s (p95 {p95(t_peer):.2f} s); ratio {ratio:.3f}x",
        ratio <= 0.5,
        "<= 0.5x crowd-kit",
    )

    m_ours = [traced_peak(lambda: run_ours(ours_frame)) for _ in range(args.runs)]
    m_peer = [traced_peak(lambda: run_crowdkit(their_frame)) for _ in range(args.runs)]
    ratio = median(m_ours) / median(m_peer)
    figure(
        "dawid_skene peak memory (tracemalloc, during the call)",
        f"nl.aggregate median {median(m_ours) / MB:.0f} MB; crowd-kit median {median(m_peer) / MB:.0f} MB; "
        f"ratio {ratio:.3f}x",
        ratio <= 0.5,
        "<= 0.5x crowd-kit",
    )

    r_ours, r_peer = [], []
    for _ in range(args.runs):
        r_ours.append(rss_peak("ours"))
        r_peer.append(rss_peak("crowdkit"))
    ratio = median(r_ours) / median(r_peer)
    figure(
        "dawid_skene peak RSS above the RSS before the call (fresh subprocess per run)",
        f"nl.aggregate median {median(r_ours) / MB:.0f} MB; crowd-kit median {median(r_peer) / MB:.0f} MB; "
        f"ratio {ratio:.3f}x",
        ratio <= 0.5,
        "<= 0.5x crowd-kit",
    )

    theirs = model.labels_.reindex(result.index)
    same = float((result["label"].to_numpy() == theirs.to_numpy()).mean())
    figure(
        "same labels as crowd-kit",
        f"{same:.4%} of {len(result):,} items; EM iterations: nl.aggregate {result.n_iter}, "
        f"crowd-kit {len(model.loss_history_)}",
        same >= 0.995,
        ">= 99.5% of items",
    )
    footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
