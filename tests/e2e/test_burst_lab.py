"""A fast burst of keys against a slow store (a PostgreSQL-like commit latency) lands in the
store exactly in the order pressed.

Why this needs a real kernel: ipykernel >= 7 routes one comm's messages to the main thread or
to a subshell thread (JupyterLab's widget manager opens a subshell once a widget exists), so
the browser's messages can be handled concurrently and out of order. The widget must put
them back in order; this test presses keys faster than the store commits to provoke it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

import nblabel as nl

pytestmark = pytest.mark.e2e

N = 40
LABELS = ["a", "b", "c"]
SETUP = f"""\
import time
import pandas as pd
import nblabel as nl

df = pd.DataFrame({{"text": [f"item number {{i}}" for i in range({N})]}}, index=range(100, 100 + {N}))
w = nl.Classify(df, text="text", labels={LABELS!r}, task="burst", annotator="ann")
_append = w.store.append
def slow_append(event):
    time.sleep(0.03)  # a store 30 ms away, as a PostgreSQL server across a network can be
    return _append(event)
w.store.append = slow_append
w
"""
WAIT_FOR_SUBSHELL = """\
import time
from ipykernel.kernelbase import Kernel

manager = getattr(getattr(Kernel.instance(), "shell_channel_thread", None), "manager", None)
deadline = time.monotonic() + 10
while manager is not None and not manager.list_subshell() and time.monotonic() < deadline:
    time.sleep(0.02)
print("SUBSHELLS", None if manager is None else len(manager.list_subshell()))
"""
PROBE = """\
import json
print("PROBE " + json.dumps({"labels": {str(k): v for k, v in w.labels.items() if v is not None},
                             "current": w.current, "pending": w.pending}))
"""


def simulate(keys: list[str]) -> tuple[list[tuple], dict[int, str], int]:
    """Events, standing labels and the item shown after ``keys``, items served 100, 101, ..."""
    names = {"1": "a", "2": "b", "3": "c"}
    done: set[int] = set()
    history: list[int] = []
    standing: dict[int, str] = {}
    events: list[tuple] = []
    current = 100
    for key in keys:
        if key in names or key == "s":
            value = names.get(key)
            events.append((current, "skip" if key == "s" else "label", value))
            if value is not None:
                standing[current] = value
            done.add(current)
            history.append(current)
            current = min(i for i in range(current + 1, 100 + N) if i not in done)
        elif key == "u":
            item = history.pop()
            events.append((item, "retract", None))
            standing.pop(item, None)
            done.discard(item)
            current = item
    return events, standing, current


def test_fast_burst_lands_in_order(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    folder = lab_root / "burst"
    harness.write_notebook(folder / "burst.ipynb", [SETUP, WAIT_FOR_SUBSHELL, PROBE])
    harness.open_notebook(page, lab, "burst/burst.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "100")
    # JupyterLab's widget manager opens a kernel subshell a moment after the widget appears;
    # the second cell waits for it, so the burst below meets the two-thread routing
    print(harness.cell_output(page, 1))
    harness.focus_widget(page)

    keys = list("123123123123") + ["u", "1", "s", "u", "u", "2", "3", "1"]
    for key in keys:
        page.keyboard.press(key)
    events, standing, current = simulate(keys)
    with contextlib.suppress(AssertionError, PlaywrightTimeoutError):  # the store check says why
        expect(widget).to_have_attribute("data-key", str(current), timeout=30_000)
    expect(widget.locator(".nbl-save")).to_have_text("All changes saved", timeout=30_000)

    store = nl.Store(folder / "nblabel.db")
    try:
        frame = store.annotations("burst")
    finally:
        store.close()
    got = [(row.item_id, row.kind, row.value) for row in frame.itertuples()]
    assert got == events, "the store's events are not the keys pressed, in order"
    assert frame["client_seq"].tolist() == sorted(frame["client_seq"])

    out = harness.run_cell(page, 2)
    state = json.loads(out[out.index("PROBE ") + len("PROBE ") :].splitlines()[0])
    assert state == {"labels": {str(k): v for k, v in standing.items()}, "current": current, "pending": 0}
    expect(widget).to_have_attribute("data-key", str(current))
    assert dialogs == []
