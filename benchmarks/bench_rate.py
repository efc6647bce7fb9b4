"""Rate: key press -> next item painted, in JupyterLab + Chromium.

Budget (issue 18, item 4): median <= 16 ms.

Two figures, each in its own notebook of 120 answers of 60-140 words on the five-point scale
``poor`` … ``excellent``:

- one rating per item: a number key (``1``–``3``, at 150-250 ms) rates and the next item is
  drawn from the prefetched window;
- three criteria per item: three number keys rate the rows, then ``Enter`` submits; the figure
  is ``Enter`` -> next item painted.

The page-side timing is ``bench_browser.py``'s: the keydown's ``timeStamp`` to the frame that
shows the next item (a ``requestAnimationFrame`` callback followed by a MessageChannel
message).

Run: ``python benchmarks/bench_rate.py`` (about a minute and a half). Prints SKIP when
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

ITEMS = 120
WARMUP = 5
BUDGET_MS = 16

SETUP = """
import random
import pandas as pd
import nblabel as nl

vocab = ("the answer model because value result data table function first second however "
         "therefore example user input output error case claim source evidence").split()
r = random.Random(0)
df = pd.DataFrame({{"answer": [" ".join(r.choice(vocab) for _ in range(r.randint(60, 140))) + "."
                              for _ in range({items})]}})
w = nl.Rate(df, text="answer", scale=["poor", "fair", "good", "very good", "excellent"],
            task="bench-rate", annotator="bench", store="bench.db"{extra})
print(len(df), "answers", {label!r})
w
"""


def timed_keys(page: Any, keys: list[list[str]], submitting: list[str]) -> list[dict]:
    """Press each item's keys (the last one moves on) and return the page's records of the
    presses of the ``submitting`` keys."""
    import harness
    from bench_browser import INSTRUMENT

    watched = "['1', '2', '3']"
    assert watched in INSTRUMENT  # the keys bench_browser's instrument times
    instrument = INSTRUMENT.replace(watched, json.dumps(submitting))
    rng = random.Random(0)
    page.wait_for_function(
        f"() => document.querySelector({json.dumps(harness.WIDGET)})?.dataset.state === 'item'"
    )
    harness.focus_widget(page)
    page.evaluate(instrument, harness.WIDGET)
    for item_keys in keys:
        for key in item_keys[:-1]:
            page.keyboard.press(key)
            page.wait_for_timeout(rng.uniform(40, 80))
        page.keyboard.press(item_keys[-1])
        page.wait_for_timeout(rng.uniform(150, 250))
    page.wait_for_function("() => window.__nblBench.keys.every(k => k.painted !== null)", timeout=60_000)
    return page.evaluate("() => window.__nblBench.keys")


def report(name: str, records: list[dict]) -> None:
    timed = records[WARMUP:]
    painted = [r["painted"] - r["ts"] for r in timed]
    dom = [r["mutated"] - r["ts"] for r in timed]
    figure(
        name,
        f"median {median(painted):.1f} ms, p95 {p95(painted):.1f} ms over {len(timed)} items "
        f"(DOM switched: median {median(dom):.1f} ms)",
        median(painted) <= BUDGET_MS,
        f"median <= {BUDGET_MS} ms",
    )


def main() -> int:
    header("bench_rate")
    if not _lab.available():
        return 0
    from bench_browser import ensure_bundle

    print(f"# {ensure_bundle()}; {ITEMS} items per figure", flush=True)
    rng = random.Random(1)
    single = SETUP.format(items=ITEMS, extra="", label="one rating")
    with _lab.notebook_page([single], "nbl-bench-rate-") as page:
        keys = [[rng.choice("123")] for _ in range(ITEMS - 1)]
        report(
            "number key -> next item painted (one rating per item)", timed_keys(page, keys, ["1", "2", "3"])
        )
    criteria = SETUP.format(
        items=ITEMS, extra=", criteria=['fluency', 'accuracy', 'helpfulness']", label="three criteria"
    )
    with _lab.notebook_page([criteria], "nbl-bench-rate-criteria-") as page:
        keys = [[rng.choice("12345") for _ in range(3)] + ["Enter"] for _ in range(ITEMS - 1)]
        report("Enter -> next item painted (three criteria per item)", timed_keys(page, keys, ["Enter"]))
    footer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
