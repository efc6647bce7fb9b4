"""The dashboard's Suggestions box in JupyterLab + Chromium: shown only for a task whose labels
recorded suggestions, one row per person (a model annotator never one) and one for all, hostile
annotator names as text."""

from __future__ import annotations

from pathlib import Path

import harness
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

PWN = "window.__pwned=true"
TEXTS = ["Loved it.", "Broke after a day.", "It is fine.", "Terrible support.", "Great value.", "Meh."]
MODEL = ["pos", "pos", "pos", "neg", "pos", "neg"]


def _label(db: Path, task: str, annotator: str, values: list[str], suggestions: bool) -> None:
    df = pd.DataFrame({"text": TEXTS, "model": MODEL}, index=pd.Index(range(1, 7), name="id"))
    store = nl.Store(db)
    options = {"suggestions": "model"} if suggestions else {}
    w = nl.Classify(df, text="text", labels=["pos", "neg"], task=task, annotator=annotator, store=store,
                    **options)  # fmt: skip
    for item, value in zip(df.index, values, strict=True):
        w.annotate(item, value)
    w.close()
    store.close()


def test_suggestions_box(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    folder = lab_root / "dashboard-suggestions"
    folder.mkdir(parents=True, exist_ok=True)
    hostile = f"<img src=x onerror={PWN}>"
    db = folder / "s.db"
    _label(db, "sugg", "ana", ["pos", "neg", "pos", "neg", "pos", "neg"], True)  # rejects item 2's suggestion
    _label(db, "sugg", hostile, ["pos", "pos", "pos", "neg", "pos", "pos"], True)  # accepts it
    _label(db, "plain", "ana", ["pos", "neg", "pos", "neg", "pos", "neg"], False)
    cells = [
        "import nblabel as nl\nstore = nl.Store('s.db')",
        "dash = nl.Dashboard(store, task='sugg', interval=0.3, n_boot=0)\ndash",
        "plain = nl.Dashboard(store, task='plain', interval=0.3, n_boot=0)\nplain",
    ]
    harness.write_notebook(folder / "dash.ipynb", cells)
    page = lab_page
    harness.open_notebook(page, lab, "dashboard-suggestions/dash.ipynb")
    harness.run_all(page)
    dashes = page.locator(".nbl-dash")
    expect(dashes).to_have_count(2, timeout=30_000)
    sugg, plain = dashes.nth(0), dashes.nth(1)
    expect(sugg).to_have_attribute("data-events", "12", timeout=20_000)
    box = sugg.locator(".nbl-dash-suggestions-box")
    expect(box).to_be_visible()
    rows = box.locator("tbody tr")
    expect(rows).to_have_count(3)
    names = rows.locator(".nbl-dash-name").evaluate_all("(cells) => cells.map((c) => c.textContent)")
    assert sorted(names[:2]) == sorted(["ana", hostile]) and names[2] == "all"
    expect(rows.nth(2)).to_have_attribute("data-all", "true")
    # ana rejects item 2's suggestion, the other annotator item 6's: 10 of 12 accepted; people
    # tie on items 2 and 6 and agree with the model elsewhere, so no suggestion is known wrong
    cells = rows.nth(2).locator("td").evaluate_all("(cells) => cells.map((c) => c.textContent)")
    assert cells[:5] == ["all", "12", "0", "10 of 12 (83%)", "–"]
    expect(box.locator(".nbl-dash-suggestions-caption")).to_contain_text("A suggestion is wrong when")
    expect(plain).to_have_attribute("data-events", "6", timeout=20_000)
    expect(plain.locator(".nbl-dash-suggestions-box")).to_be_hidden()
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
    assert box.locator("img").count() == 0
