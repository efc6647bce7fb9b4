"""Models in the loop (issue 15, item 5): a suggest callable that takes 200 ms per batch, on
10,000 items, in JupyterLab + Chromium.

NOTE for the active-ordering refit (helper B): the notebook is built by :func:`cells`; pass
``refit=True`` (``python benchmarks/bench_models.py --refit``) to switch on a background refit.
Fill in :func:`refit_setup` (code run before the widget, and the widget's extra options such
as ``model=..., refit_every=...``); everything else (the figures, their budgets) stays.

Budgets (issue 15, item 5):
  * key press -> next item painted: median <= 16 ms;
  * key press -> event committed in the store: p95 <= 50 ms;
  * served items whose suggestion was ready when shown: >= 95 %.

How it measures:
  * painted: ``bench_browser.py``'s page-side clock (the keydown's ``timeStamp`` to the frame
    that shows the next item: a ``requestAnimationFrame`` callback followed by a MessageChannel
    message);
  * committed: the notebook wraps ``w.store.append``/``write`` (the widget's label commits; the
    model's events go through ``append_many`` and are not counted) to note the kernel's clock
    when each commit returns, against the key press's epoch time (``performance.timeOrigin +
    timeStamp``), matched label by label (one label per key, in order);
  * ready when shown: a MutationObserver on the widget notes, for each item when it is first
    drawn, whether its suggested label button (``.nbl-suggested``) is there in that same
    drawing; a suggestion pushed later is counted as not ready.
Keys: ``1``-``3`` at a fast human pace (60-100 ms apart), 200 timed after 10 warm-up keys;
the model is called in batches of 32 (``suggest_batch``), ahead of the annotator, in the
background.

``--baseline``: the same notebook and keys without ``suggest=`` (the machine's own figures, to
compare with; the machine is shared).

Run: ``python benchmarks/bench_models.py [--refit] [--baseline]`` (about a minute). Prints SKIP when
JupyterLab, Playwright or Chromium are missing.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import _lab  # noqa: E402
from _common import figure, footer, header, median, p95  # noqa: E402

ROWS = 10_000
WARMUP = 10
TIMED = 200
PACE_MS = (60, 100)
MODEL_MS = 200
BATCH = 32
PAINT_BUDGET_MS = 16
COMMIT_BUDGET_MS = 50
READY_BUDGET = 0.95

SETUP = """import time
import numpy as np, pandas as pd, nblabel as nl
rng = np.random.default_rng(0)
words = np.array(["good", "bad", "fine", "slow", "fast", "love", "hate", "meh"], dtype=object)
df = pd.DataFrame({{"review": [f"Review {{i}}: {{a}} product, {{b}} delivery, would buy again?"
                              for i, (a, b) in enumerate(rng.choice(words, ({rows}, 2)))]}})
LABELS = ["positive", "negative", "neutral"]

def slow_model(batch):
    time.sleep({model_s})  # a model that takes {model_ms} ms per batch
    return [(LABELS[len(text) % 3], 0.7) for text in batch["review"]]
{refit_code}
w = nl.Classify(df, text="review", labels=LABELS, task="bench-models", annotator="bench",
                store="bench.db"{suggest_options}{refit_options})
import time as _time
_commits = []
def _timed(write):
    def timed(event, *args, **kwargs):
        result = write(event, *args, **kwargs)
        _commits.append((event.client_seq, event.kind, _time.time()))
        return result
    return timed
for _name in ("append", "write"):
    if hasattr(w.store, _name):
        setattr(w.store, _name, _timed(getattr(w.store, _name)))
print(len(df), "reviews; {suggest_label}{refit_label}")
w"""

DUMP = """import json
_s = w._suggester
_probe = {"commits": _commits, "calls": _s and _s.calls, "error": _s and _s.error}
print("COMMITS " + json.dumps(_probe))"""

#: For each item when it is first drawn: whether its suggestion is drawn with it.
READY_PROBE = """
(sel) => {
  const root = document.querySelector(sel);
  const R = (window.__nblReady = { seen: {}, order: [] });
  const note = () => {
    if (root.dataset.state !== 'item') return;
    const key = root.dataset.key;
    if (key in R.seen) return;
    R.seen[key] = !!root.querySelector('.nbl-label-btn.nbl-suggested');
    R.order.push(key);
  };
  new MutationObserver(note).observe(root, { subtree: true, childList: true, attributes: true,
                                             attributeFilter: ['data-key', 'data-state'] });
  note();
}
"""


def refit_setup() -> tuple[str, str]:
    """Helper B: the code run before the widget and the widget's extra options (starting with
    ``", "``) that switch on a background refit, e.g. ``("from sklearn... import ...\\npipe =
    ...", ", model=pipe, refit_every=20")``."""
    from _active_bench import refit_setup as active_refit_setup  # helper B's part

    return active_refit_setup()


def cells(refit: bool = False, suggest: bool = True) -> list[str]:
    """The benchmark notebook: the widget (with a refit when ``refit``; without ``suggest=``
    for the baseline), then the probe dump."""
    code, options = refit_setup() if refit else ("", "")
    setup = SETUP.format(
        suggest_options=f", suggest=slow_model, suggest_batch={BATCH}" if suggest else "",
        suggest_label=f"a suggest callable of {MODEL_MS} ms per batch of {BATCH}" if suggest else "no model",
        rows=ROWS, model_s=MODEL_MS / 1000, model_ms=MODEL_MS, batch=BATCH, refit_code=code,
        refit_options=options, refit_label=" and a background refit" if refit else "",
    )  # fmt: skip
    if refit:  # helper B: what the refits did meanwhile (benchmarks/_active_bench.py)
        from _active_bench import ACTIVE_REPORT

        return [setup, DUMP + f"\nprint('REFIT ' + json.dumps({ACTIVE_REPORT}, default=str))"]
    return [setup, DUMP]


def press_keys(page: Any) -> tuple[list[dict], dict[str, bool], list[str]]:
    """Type WARMUP + TIMED label keys; the page's key records and readiness notes."""
    import harness
    from bench_browser import INSTRUMENT

    rng = random.Random(0)
    page.wait_for_function(
        f"() => document.querySelector({json.dumps(harness.WIDGET)})?.dataset.state === 'item'"
    )
    harness.focus_widget(page)
    page.evaluate(INSTRUMENT, harness.WIDGET)
    page.evaluate(READY_PROBE, harness.WIDGET)
    for _ in range(WARMUP + TIMED):
        page.keyboard.press(rng.choice("123"))
        page.wait_for_timeout(rng.uniform(*PACE_MS))
    page.wait_for_function(
        "() => window.__nblBench.keys.every(k => k.painted !== null && k.acked !== null)", timeout=60_000
    )
    keys = page.evaluate("() => window.__nblBench.keys")
    ready = page.evaluate("() => window.__nblReady")
    return keys, ready["seen"], ready["order"]


def report(keys: list[dict], commits: dict[str, Any], seen: dict[str, bool], order: list[str]) -> None:
    timed = keys[WARMUP:]
    painted = [k["painted"] - k["ts"] for k in timed]
    dom = [k["mutated"] - k["ts"] for k in timed]
    figure(
        "key press -> next item painted",
        f"median {median(painted):.1f} ms, p95 {p95(painted):.1f} ms over {len(timed)} keys "
        f"(DOM switched: median {median(dom):.1f} ms)",
        median(painted) <= PAINT_BUDGET_MS,
        f"median <= {PAINT_BUDGET_MS} ms",
    )
    labels = sorted((c for c in commits["commits"] if c[1] == "label"), key=lambda c: c[0])
    assert len(labels) == len(keys), f"{len(labels)} label commits for {len(keys)} keys"
    committed = [(c[2] * 1000 - k["epoch"]) for c, k in zip(labels[WARMUP:], timed, strict=True)]
    figure(
        "key press -> event committed (kernel clock)",
        f"median {median(committed):.1f} ms, p95 {p95(committed):.1f} ms over {len(committed)} labels",
        p95(committed) <= COMMIT_BUDGET_MS,
        f"p95 <= {COMMIT_BUDGET_MS} ms",
    )
    if commits["calls"] is None:  # the baseline: no model
        return
    served = [seen[key] for key in order[WARMUP:]]
    share = sum(served) / len(served)
    error = f"; last error: {commits['error']}" if commits["error"] else ""
    figure(
        "served items whose suggestion was ready when shown",
        f"{sum(served)} of {len(served)} ({share:.1%}); the model was called {commits['calls']} times "
        f"({MODEL_MS} ms per batch of {BATCH}){error}",
        share >= READY_BUDGET,
        f">= {READY_BUDGET:.0%}",
    )


def main(argv: list[str]) -> int:
    refit = "--refit" in argv
    if "--baseline" in argv:  # the same notebook and keys without suggest=, on this machine now
        header("bench_models baseline (no suggest=)")
        if not _lab.available():
            return 0
        import harness

        with _lab.notebook_page(cells(refit, suggest=False), "nbl-bench-models-base-") as page:
            keys, seen, order = press_keys(page)
            out = harness.run_cell(page, 1)
        lines = [line for line in out.splitlines() if line.startswith("COMMITS ")]
        report(keys, json.loads(lines[-1][len("COMMITS ") :]), seen, order)
        footer()
        return 0
    header("bench_models" + (" (with a background refit)" if refit else ""))
    if not _lab.available():
        return 0
    import harness
    from bench_browser import ensure_bundle

    print(f"# {ensure_bundle()}; {ROWS} items, {WARMUP} warm-up + {TIMED} timed keys", flush=True)
    with _lab.notebook_page(cells(refit), "nbl-bench-models-") as page:
        keys, seen, order = press_keys(page)
        out = harness.run_cell(page, 1)
    lines = [line for line in out.splitlines() if line.startswith("COMMITS ")]
    assert lines, f"the probe cell printed no COMMITS line:\n{out[:2000]}"
    report(keys, json.loads(lines[-1][len("COMMITS ") :]), seen, order)
    refits = [line for line in out.splitlines() if line.startswith("REFIT ")]
    if refit:  # helper B: the refits that ran during the timed keys
        from _active_bench import report_line

        assert refits, f"the probe cell printed no REFIT line:\n{out[:2000]}"
        from _active_bench import commits_during_refits

        refit_report = json.loads(refits[-1][len("REFIT ") :])
        print(f"# refit: {report_line(refit_report)}", flush=True)
        commits = json.loads(lines[-1][len("COMMITS ") :])["commits"]
        print(f"# refit: {commits_during_refits(refit_report, keys, commits, WARMUP)}", flush=True)
    footer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
