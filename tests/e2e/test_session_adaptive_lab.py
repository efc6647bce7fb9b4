"""Adaptive overlap end to end in JupyterLab + Chromium: an annotator whose widget says "All
done." is sent an escalated item by another process (this test's, as a second annotator's
kernel would) and the page shows it by itself, within the widget poller's second, without a key
press; answering it stores the third label."""

from __future__ import annotations

import json
import time
from pathlib import Path

import harness
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

ANNOTATORS = ["ana", "ben", "cy"]
RECEIVER = "cy"

SETUP = """\
import json
import pandas as pd
import nblabel as nl
cfg = json.load(open("session.json"))
df = pd.DataFrame({"text": [f"review {i}" for i in range(6)]})
session = nl.Session(cfg["store"], "adaptive", widget=nl.Classify, data=df, annotators=cfg["annotators"],
                     overlap=2, max_overlap=3, escalate="disagreement", text="text", labels=["pos", "neg"])
w = session.labeler(cfg["receiver"])
w"""


def make_session(path: Path) -> nl.Session:
    df = pd.DataFrame({"text": [f"review {i}" for i in range(6)]})
    return nl.Session(path, "adaptive", widget=nl.Classify, data=df, annotators=ANNOTATORS, overlap=2,
                      max_overlap=3, escalate="disagreement", text="text", labels=["pos", "neg"])  # fmt: skip


def labels_of(path: Path, item: int) -> dict[str, str]:
    store = nl.Store(path)
    try:
        current = store.current("adaptive")
    finally:
        store.close()
    current = current[(current["item_id"] == item) & (current["kind"] == "label")]
    return dict(zip(current["annotator"], current["value"], strict=True))


def test_an_idle_page_shows_an_item_escalated_by_another_process(lab, lab_root: Path, lab_page: Page) -> None:
    folder = lab_root / "adaptive"
    folder.mkdir()
    db = folder / "adaptive.db"
    (folder / "session.json").write_text(
        json.dumps({"store": str(db), "annotators": ANNOTATORS, "receiver": RECEIVER})
    )
    harness.write_notebook(folder / "receiver.ipynb", [SETUP])
    session = make_session(db)  # the other annotators' process (this one)
    try:
        harness.open_notebook(lab_page, lab, "adaptive/receiver.ipynb")
        harness.run_all(lab_page)
        widget = lab_page.locator(harness.WIDGET)
        mine = [int(i) for i in session.production_positions(RECEIVER)]
        expect(widget).to_have_attribute("data-key", str(mine[0]))
        harness.focus_widget(lab_page)
        for _ in mine:  # the receiver labels their own items: "pos"
            lab_page.keyboard.press("1")
        expect(widget.locator(".nbl-done")).to_contain_text("All done.")
        expect(widget.locator(".nbl-save")).to_have_text("All changes saved")

        # ana and ben disagree on an item of theirs: cy, the only one left, gets it
        item = next(i for i, names in session.assignments()["annotators"].items() if RECEIVER not in names)
        first, second = (session.labeler(name) for name in ANNOTATORS if name != RECEIVER)
        first.annotate(item, "pos")
        second.annotate(item, "neg")
        assert session.assignments().loc[item, "annotators"] == ANNOTATORS
        start = time.monotonic()
        expect(widget).to_have_attribute("data-key", str(item), timeout=10_000)  # no key pressed
        assert time.monotonic() - start < 5  # the poller looks once a second
        expect(widget.locator(".nbl-progress")).to_contain_text(f"{len(mine)} / {len(mine) + 1} labeled")
        expect(widget).to_contain_text("1 more item came to your queue")
        lab_page.keyboard.press("2")
        expect(widget.locator(".nbl-done")).to_contain_text("All done.")
        deadline = time.monotonic() + 20
        while labels_of(db, item) != {first.annotator: "pos", second.annotator: "neg", RECEIVER: "neg"}:
            assert time.monotonic() < deadline, labels_of(db, item)
            time.sleep(0.1)
    finally:
        session.close()
        session.store.close()
