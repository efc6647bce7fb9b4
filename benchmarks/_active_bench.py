"""The refit part of ``benchmarks/bench_models.py`` (issue 15, item 5): an active ordering whose
model is refit on a 10,000-item DataFrame while people label.

Coordination (helper B wrote this; helper A owns ``bench_models.py``): the browser benchmark
builds its notebook from these pieces so that the suggester and the refit run at once —

* ``ACTIVE_SETUP``: code for the notebook cell, before the widget is made (imports scikit-learn,
  a test-only dependency, and builds ``_active_model``: TF-IDF + logistic regression);
* ``ACTIVE_OPTIONS``: keyword arguments to add to the widget's constructor call
  (``model=_active_model, order="uncertainty", refit_every=10, min_per_label=3``);
* ``ACTIVE_REPORT``: an expression to evaluate in the kernel after the timed key presses; it
  returns a dict (refits completed, their median/max seconds, labels at the last fit) for
  :func:`report_line`.

The DataFrame must have ``N_ITEMS`` rows and a text column named by ``TEXT``. A refit fits on
the labels so far and scores every unlabeled item (10,000 texts through TF-IDF and the model):
about a third of a second of CPU each on this machine, every ``REFIT_EVERY`` labels, in the
widget's background thread.

Run alone (``python benchmarks/_active_bench.py``), it measures the kernel's side without a
browser: ``w.annotate`` (validated, committed to SQLite, the next item chosen and the window
built) at a human pace, with and without the refits running, and the refits themselves.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))
from _common import figure, footer, header, median, p95  # noqa: E402

N_ITEMS = 10_000
REFIT_EVERY = 10
TEXT = "review"
LABELS = ["positive", "negative", "neutral"]

ACTIVE_SETUP = """
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
_active_model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=300))
"""

ACTIVE_OPTIONS = f'model=_active_model, order="uncertainty", refit_every={REFIT_EVERY}, min_per_label=3'

ACTIVE_REPORT = """{
    "refits": len(w._active.durations),
    "median_s": sorted(w._active.durations)[len(w._active.durations) // 2] if w._active.durations else None,
    "max_s": max(w._active.durations) if w._active.durations else None,
    "error": w._active.error,
    "why": w.why(),
    "spans": w._active.spans,
}"""


def refit_setup() -> tuple[str, str]:
    """What ``bench_models.py --refit`` puts in its notebook: the code run before the widget, and
    the widget's extra options (starting with ``", "``)."""
    return ACTIVE_SETUP, ", " + ACTIVE_OPTIONS


def report_line(report: dict[str, Any]) -> str:
    """One line about the refits that ran during a benchmark (from ``ACTIVE_REPORT``)."""
    if not report.get("refits"):
        return f"no refit completed (error: {report.get('error')})"
    return (
        f"{report['refits']} refits on {N_ITEMS:,} items completed while labeling, median "
        f"{report['median_s'] * 1000:.0f} ms, max {report['max_s'] * 1000:.0f} ms each; "
        f"error: {report.get('error')}; last why: {report.get('why')!r}"
    )


def commits_during_refits(report: dict[str, Any], keys: list[dict], commits: list[list], warmup: int) -> str:
    """Key press -> committed for the keys pressed while a refit ran and for the others (the
    page's key records and the kernel's label commits of ``bench_models.py``, one per key)."""
    spans = report.get("spans") or []
    labels = sorted((c for c in commits if c[1] == "label"), key=lambda c: c[0])
    during, outside = [], []
    for commit, key in zip(labels[warmup:], keys[warmup:], strict=True):
        pressed = key["epoch"] / 1000
        latency = commit[2] * 1000 - key["epoch"]
        (during if any(a <= pressed <= b for a, b in spans) else outside).append(latency)

    def stats(values: list[float]) -> str:
        return f"median {median(values):.1f} ms, p95 {p95(values):.1f} ms" if values else "none"

    return (
        f"key press -> committed while a refit ran: {stats(during)} ({len(during)} keys); "
        f"otherwise: {stats(outside)} ({len(outside)} keys)"
    )


def frame() -> Any:
    """``N_ITEMS`` short reviews whose words say their label (so the model learns something)."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    words = {
        "positive": ["good", "great", "love", "fast"],
        "negative": ["bad", "awful", "hate", "slow"],
        "neutral": ["fine", "meh", "okay", "average"],
    }
    truth = rng.choice(LABELS, N_ITEMS)
    every = sum(words.values(), [])
    text = [
        f"Review {i}: {rng.choice(words[t])} product, {rng.choice(every)} delivery"
        for i, t in enumerate(truth.tolist())
    ]
    return pd.DataFrame({TEXT: text, "truth": truth})


def type_labels(w: Any, df: Any, n: int, seed: int) -> list[float]:
    """Label ``n`` items through ``w.annotate`` at a fast human pace (one every 60-100 ms, the
    browser benchmarks' pace); the milliseconds each call took."""
    pace = random.Random(seed)
    took = []
    for _ in range(n):
        time.sleep(pace.uniform(0.06, 0.10))
        item = w.current
        t0 = time.perf_counter()
        w.annotate(item, df.loc[item, "truth"])
        took.append((time.perf_counter() - t0) * 1000)
    return took


def main() -> None:
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("SKIP: scikit-learn is not installed (pip install scikit-learn; a test-only dependency)")
        return
    import nblabel as nl

    header("refit on 10,000 items while labeling: w.annotate (commit + next item) in the kernel")
    df = frame()
    n = 200
    with tempfile.TemporaryDirectory(prefix="nbl-active-bench-") as tmp:
        db = Path(tmp) / "b.db"
        plain = nl.Classify(df, text=TEXT, labels=LABELS, task="plain", annotator="a", store=db)
        base = type_labels(plain, df, n, seed=1)
        plain.close()
        namespace: dict[str, Any] = {}
        exec(ACTIVE_SETUP, namespace)
        w = nl.Classify(
            df, text=TEXT, labels=LABELS, task="active", annotator="a", store=db,
            model=namespace["_active_model"], order="uncertainty", refit_every=REFIT_EVERY, min_per_label=3,
        )  # fmt: skip
        t0 = time.perf_counter()
        took = type_labels(w, df, n, seed=1)
        typing_s = time.perf_counter() - t0
        durations = list(w._active.durations)
        busy = sum(durations) / typing_s
        why = w.why()
        w.close()
    figure(
        "w.annotate, no model",
        f"median {median(base):.1f} ms, p95 {p95(base):.1f} ms ({n} labels)",
    )
    figure(
        "w.annotate, refits running",
        f"median {median(took):.1f} ms, p95 {p95(took):.1f} ms ({n} labels; "
        f"p95 x{p95(took) / p95(base):.2f} the plain widget's)",
        ok=p95(took) <= 50,
        budget="p95 <= 50 ms (key press -> committed, kernel side)",
    )
    figure(
        "refits",
        f"{len(durations)} on {N_ITEMS:,} items while typing, median {median(durations) * 1000:.0f} ms, "
        f"max {max(durations) * 1000:.0f} ms; a refit was running {busy:.0%} of the typing time",
        ok=len(durations) >= n // REFIT_EVERY // 2,
        budget=f">= {n // REFIT_EVERY // 2} refits completed",
    )
    print(f"# why the last item was served: {why}")
    footer()


if __name__ == "__main__":
    main()
