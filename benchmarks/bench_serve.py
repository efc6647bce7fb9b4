"""nblabel session serve: key press -> next item painted, and key press -> "saved" shown, on an
annotator's served page against the same session's labeler in a JupyterLab notebook (the peer),
in the same run, with the same Chromium.

Budget: painted median <= 16 ms (the next-item budget of every labeler); the served page's
"saved" latency is reported beside JupyterLab's with the ratio (no budget was set).

Each side: a session of 100 review texts (one annotator, ``nl.Classify``, three labels) in a
SQLite store; 80 labels typed with the number keys at 150-250 ms; the first 5 are warm-up.
The page-side timing is ``bench_browser.py``'s instrument (keydown ``timeStamp`` -> the frame
that shows the next item; -> the widget's save indicator saying the label is stored).

Run: ``python benchmarks/bench_serve.py`` (about a minute). Prints SKIP when JupyterLab,
Playwright or Chromium are missing.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import _lab  # noqa: E402
from _common import figure, footer, header, median, p95  # noqa: E402

ITEMS = 100
LABELS = 80
WARMUP = 5
BUDGET_MS = 16

SESSION = """
import random
import pandas as pd
import nblabel as nl

vocab = ("the service room staff food price location clean friendly slow noisy great poor "
         "value breakfast view night desk bed quiet helpful").split()
r = random.Random(0)
df = pd.DataFrame({{"review": [" ".join(r.choice(vocab) for _ in range(r.randint(20, 60))) + "."
                              for _ in range({items})]}})
session = nl.Session({store!r}, "bench-serve", widget=nl.Classify, data=df, annotators=["ana"], overlap=1,
                     text="review", labels=["pos", "neg", "neu"])
"""


def type_labels(page: Any, selector: str) -> list[dict]:
    """Focus the labeler, instrument it, type the labels; the page's records of each key."""
    from bench_browser import INSTRUMENT
    from playwright.sync_api import expect

    page.wait_for_function(f"() => document.querySelector({json.dumps(selector)})?.dataset.state === 'item'")
    root = page.locator(selector).first
    root.click(position={"x": 4, "y": 4})
    expect(root).to_be_focused()
    page.evaluate(INSTRUMENT, selector)
    rng = random.Random(0)
    for _ in range(LABELS):
        page.keyboard.press(rng.choice("123"))
        page.wait_for_timeout(rng.uniform(150, 250))
    page.wait_for_function(
        "() => window.__nblBench.keys.every(k => k.painted !== null && k.acked !== null)", timeout=60_000
    )
    return page.evaluate("() => window.__nblBench.keys")[WARMUP:]


def in_lab() -> list[dict]:
    import harness

    cell = (
        SESSION.format(items=ITEMS, store="bench.db") + 'print(len(df), "reviews")\nsession.labeler("ana")\n'
    )
    with _lab.notebook_page([cell], "nbl-bench-serve-lab-") as page:
        return type_labels(page, harness.WIDGET)


def served() -> list[dict]:
    import harness
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="nbl-bench-serve-"))
    store = str(tmp / "bench.db")
    process = None
    try:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        subprocess.run([sys.executable, "-c", SESSION.format(items=ITEMS, store=store)], env=env, check=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "nblabel.cli", "session", "serve", store, "--task", "bench-serve",
             "--port", "0"],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, start_new_session=True,
        )  # fmt: skip
        output = ""
        while "Serving on" not in output:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("nblabel session serve did not start")
            output += line
        link = re.search(r"^  ana\s+(\S+)$", output, re.M).group(1)
        with sync_playwright() as pw:
            browser = harness.launch_chromium(pw)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(link)
                return type_labels(page, ".nbl-root")
            finally:
                browser.close()
    finally:
        if process is not None:
            process.send_signal(signal.SIGINT)
            process.wait(20)
            process.stdout.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    header("bench_serve")
    if not _lab.available():
        return 0
    from bench_browser import ensure_bundle

    print(
        f"# {ensure_bundle()}; {LABELS} labels per side ({WARMUP} warm-up), one key every 150-250 ms",
        flush=True,
    )
    page = served()
    lab = in_lab()
    for name, records in (("served page", page), ("JupyterLab notebook (peer)", lab)):
        painted = [r["painted"] - r["ts"] for r in records]
        figure(
            f"{name}: key -> next item painted",
            f"median {median(painted):.1f} ms, p95 {p95(painted):.1f} ms over {len(records)} labels",
            median(painted) <= BUDGET_MS,
            f"median <= {BUDGET_MS} ms",
        )
    saved = {name: [r["acked"] - r["ts"] for r in recs] for name, recs in (("page", page), ("lab", lab))}
    for name, label in (("page", "served page"), ("lab", "JupyterLab notebook (peer)")):
        figure(f"{label}: key -> 'saved' shown",
               f"median {median(saved[name]):.1f} ms, p95 {p95(saved[name]):.1f} ms")  # fmt: skip
    figure(
        "served page / JupyterLab, 'saved' shown",
        f"median ratio {median(saved['page']) / median(saved['lab']):.2f}, "
        f"p95 ratio {p95(saved['page']) / p95(saved['lab']):.2f}",
    )
    footer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
