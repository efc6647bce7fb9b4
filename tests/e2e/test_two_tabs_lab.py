"""Two browser tabs, two kernels, one task and one annotator: each widget shows the other's
labels as they are saved, and an undo in one tab withdraws only that tab's own label."""

from __future__ import annotations

import json
import time
from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

SETUP = """\
import pandas as pd, nblabel as nl
df = pd.DataFrame({"text": [f"review number {i}" for i in range(6)]})
w = nl.Classify(df, text="text", labels=["a", "b", "c"], task="two-tabs", annotator="ana",
                store="shared.db")
w"""

PROBE = """\
import json as _json
print("PROBE " + _json.dumps({"labels": {str(k): v for k, v in w.labels.items() if v is not None},
                              "labeled": w._progress["labeled"], "pending": w.pending}))"""


def probe(page: Page) -> dict:
    out = harness.run_cell(page, 1)
    line = next(line for line in out.splitlines() if line.startswith("PROBE "))
    return json.loads(line[len("PROBE ") :])


def current_in_store(db: Path, want: dict, timeout: float = 20) -> dict:
    """Poll the store (from this process) until its current labels are ``want``."""
    deadline = time.monotonic() + timeout
    while True:
        store = nl.Store(db)
        try:
            cur = store.current("two-tabs")
        finally:
            store.close()
        got = {int(r.item_id): r.value for r in cur.itertuples() if r.kind == "label"}
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def test_two_tabs_of_one_annotator_stay_coherent(lab, lab_root: Path, lab_page: Page) -> None:
    folder = lab_root / "two-tabs"
    for name in ("tab_a", "tab_b"):
        harness.write_notebook(folder / f"{name}.ipynb", [SETUP, PROBE])
    db = folder / "shared.db"
    tab_a = lab_page
    tab_b = tab_a.context.new_page()
    tab_b.set_default_timeout(30_000)
    try:
        harness.open_notebook(tab_a, lab, "two-tabs/tab_a.ipynb")
        harness.run_all(tab_a)
        harness.open_notebook(tab_b, lab, "two-tabs/tab_b.ipynb")
        harness.run_all(tab_b)
        widget_a, widget_b = tab_a.locator(harness.WIDGET), tab_b.locator(harness.WIDGET)
        expect(widget_a).to_have_attribute("data-key", "0")
        expect(widget_b).to_have_attribute("data-key", "0")

        # A labels item 0: B, idle on item 0, shows it labeled and counts it, by itself
        harness.focus_widget(tab_a)
        tab_a.keyboard.press("1")
        expect(widget_a).to_have_attribute("data-key", "1")
        expect(widget_b.locator(".nbl-item-id")).to_contain_text("labeled", timeout=10_000)
        expect(widget_b.locator(".nbl-progress")).to_contain_text("1 / 6 labeled")

        # B labels item 0 again ("b"): it replaces A's label in the store and in A's widget
        harness.focus_widget(tab_b)
        tab_b.keyboard.press("2")
        expect(widget_b).to_have_attribute("data-key", "1")
        assert current_in_store(db, {0: "b"}) == {0: "b"}

        # A undoes: A's own label of item 0 is withdrawn; B's later label stands
        harness.focus_widget(tab_a)
        tab_a.keyboard.press("u")
        expect(widget_a).to_have_attribute("data-key", "0")
        expect(widget_a.locator(".nbl-save")).to_have_text("All changes saved")
        assert current_in_store(db, {0: "b"}) == {0: "b"}
        expect(widget_a.locator(".nbl-item-id")).to_contain_text("labeled")  # B's label is on it
        expect(widget_a.locator(".nbl-progress")).to_contain_text("1 / 6 labeled")

        # B labels item 1; A sees it without any action of its own
        tab_b.keyboard.press("3")
        expect(widget_b).to_have_attribute("data-key", "2")
        expect(widget_a.locator(".nbl-progress")).to_contain_text("2 / 6 labeled", timeout=10_000)

        store = nl.Store(db)
        try:
            events = store.annotations("two-tabs")
        finally:
            store.close()
        retract = events[events["kind"] == "retract"]
        assert len(retract) == 1
        first = events.iloc[0]  # A's label of item 0
        assert first["value"] == "a" and retract["value"].iloc[0] == {"retracts": int(first["id"])}

        # both kernels agree with the store
        want = {"labels": {"0": "b", "1": "c"}, "labeled": 2, "pending": 0}
        assert probe(tab_a) == want
        assert probe(tab_b) == want
    finally:
        tab_b.close()
