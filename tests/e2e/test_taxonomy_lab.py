"""Large label sets end to end: a Classify with 20,000 labels in JupyterLab + Chromium shows the
hotkeyed labels as buttons plus a type-ahead search (an ARIA combobox); typing, arrows and Enter
pick a label that lands in the store; typed letters never reach the label hotkeys or JupyterLab's
command mode; multi-label picks toggle the draft and Enter on an empty query confirms it."""

from __future__ import annotations

import os
from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
# Refreshed for the README with NBLABEL_SCREENSHOT=1; other runs write it to the test's temp dir.
README_SCREENSHOT = REPO / "docs" / "images" / "taxonomy.png"

SINGLE, MULTI = "taxonomy", "taxonomy-multi"
N_LABELS = 20_000
PWN = "<img src=x onerror=window.__pwned=true>"
#: Labels among the filler whose ranking the test knows (see label-search.js: word starts,
#: then shorter first).
KNOWN = [
    "J20.0 Acute bronchitis due to Mycoplasma pneumoniae",
    "J20.9 Acute bronchitis, unspecified",
    "J21.9 Acute bronchiolitis, unspecified",
    "J40 Bronchitis, not specified as acute or chronic",
    "J45 Asthma",
    "J45.0 Predominantly allergic asthma",
    "J45.9 Asthma, unspecified",
    f"{PWN} hostile label",
]
SETUP = f"""\
import pandas as pd
import nblabel as nl
KNOWN = {KNOWN!r}
n = {N_LABELS - len(KNOWN)}
filler = [f"Z{{i:05d}} filler category {{i % 613}} of group {{i % 29}}" for i in range(n)]
labels = filler[:5000] + KNOWN + filler[5000:]
df = pd.DataFrame({{"text": [f"patient note {{i}}" for i in range(6)]}})
w = nl.Classify(df, text="text", labels=labels, task={SINGLE!r}, annotator="ana", store="taxonomy.db")
w
"""
MULTI_CELL = f"""\
m = nl.Classify(df, text="text", labels=labels, task={MULTI!r}, annotator="ana", store="taxonomy.db",
                multi=True)
m
"""


def label(i: int) -> str:
    """The kernel's ``labels[i]`` (the same list, built here)."""
    filler = [f"Z{j:05d} filler category {j % 613} of group {j % 29}" for j in range(N_LABELS - len(KNOWN))]
    return (filler[:5000] + KNOWN + filler[5000:])[i]


def expect_item(page: Page, index: int, key: str) -> None:
    page.wait_for_function(
        """([sel, i, key]) => { const r = document.querySelectorAll(sel)[i];
                                return !!r && r.dataset.state === 'item' && r.dataset.key === key; }""",
        arg=[harness.WIDGET, index, key],
    )


def options(search) -> list[str]:
    return search.locator("[role=option]").evaluate_all("(e) => e.map((o) => o.getAttribute('aria-label'))")


@pytest.mark.browser_context_args(device_scale_factor=2)  # a crisp screenshot for the README
def test_taxonomy_type_ahead_single_and_multi(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    folder = lab_root / "taxonomy"
    harness.write_notebook(folder / "taxonomy.ipynb", [SETUP, MULTI_CELL])
    db = folder / "taxonomy.db"
    harness.open_notebook(page, lab, "taxonomy/taxonomy.ipynb")
    harness.run_all(page)
    widgets = page.locator(harness.WIDGET)
    expect(widgets).to_have_count(2)
    expect_item(page, 0, "0")
    widget = widgets.nth(0)

    # the hotkeyed labels as buttons, never 20,000 of them; the search box, named
    expect(widget.locator(".nbl-label-btn")).to_have_count(30)
    assert page.locator(f"{harness.NOTEBOOK} button").count() < 200
    box = widget.get_by_role("combobox", name=f"Search {N_LABELS:,} labels")
    expect(box).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "false")
    cells_before = harness.cell_types(page)

    # `/` opens the search; typed letters are commands and hotkeys elsewhere (u undo, s skip,
    # a/b add cells, d d deletes one, 1-9 labels, j next), here they are only text
    harness.focus_widget(page, 0)
    page.keyboard.press("/")
    expect(box).to_be_focused()
    expect(box).to_have_attribute("aria-expanded", "true")
    page.keyboard.type("acute bronchitis")
    listbox = widget.get_by_role("listbox", name="Matching labels")
    expect(listbox).to_be_visible()
    expect(listbox.get_by_role("option")).to_have_count(3)
    assert options(listbox) == [KNOWN[1], KNOWN[3], KNOWN[0]]  # word starts, shortest first
    expect(widget.locator(".nbl-search-status")).to_have_text("3 matching labels")
    first = listbox.get_by_role("option").nth(0)
    expect(first).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    expect(first.locator("mark")).to_have_text(["Acute", "bronchitis"])
    page.keyboard.press("ArrowDown")
    second = listbox.get_by_role("option").nth(1)
    expect(second).to_have_attribute("aria-selected", "true")
    expect(box).to_have_attribute("aria-activedescendant", second.get_attribute("id"))
    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "taxonomy.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    widget.screenshot(path=str(shot), animations="disabled")
    assert shot.stat().st_size > 10_000
    page.keyboard.press("Enter")
    expect_item(page, 0, "1")
    expect(widget).to_be_focused()  # the pick gives the keyboard back to the widget
    expect(box).to_have_value("")
    events = harness.wait_for_events(db, SINGLE, 1, kinds=("label", "skip", "retract"))
    assert events[["item_id", "kind", "value"]].values.tolist() == [[0, "label", KNOWN[3]]]

    # Esc leaves without labeling; the hotkeys work again after it
    page.keyboard.press("/")
    page.keyboard.type("j45 dd sua")
    expect(widget.locator(".nbl-search-status")).to_have_text("No label matches “j45 dd sua”")
    page.keyboard.press("Escape")
    expect(widget).to_be_focused()
    expect(box).to_have_attribute("aria-expanded", "false")
    page.keyboard.press("2")
    expect_item(page, 0, "2")

    # a label that is markup is shown as text, picked by typing part of it
    page.keyboard.press("/")
    page.keyboard.type("<img src")
    expect(listbox.get_by_role("option")).to_have_count(1)
    expect(listbox.get_by_role("option").nth(0)).to_have_text(KNOWN[7])
    page.keyboard.press("Enter")
    expect_item(page, 0, "3")
    events = harness.wait_for_events(db, SINGLE, 3, kinds=("label", "skip", "retract"))
    assert events["value"].tolist() == [KNOWN[3], label(1), KNOWN[7]]
    assert page.evaluate("() => window.__pwned") is None
    assert harness.cell_types(page) == cells_before, "a typed key reached JupyterLab's command mode"

    # the help lists the search key
    page.keyboard.press("?")
    expect(widget.locator(".nbl-help")).to_contain_text("search the labels")
    page.keyboard.press("?")

    # multi-label: `1` toggles the first label; picks in the search toggle labels in the draft
    # (chosen labels show as pressed buttons and selected options); Enter on an empty query
    # confirms the whole draft
    multi = widgets.nth(1)
    expect_item(page, 1, "0")
    harness.focus_widget(page, 1)
    page.keyboard.press("1")
    mbox = multi.get_by_role("combobox")
    page.keyboard.press("/")
    expect(mbox).to_be_focused()
    page.keyboard.type("asthma")
    mlist = multi.get_by_role("listbox")
    expect(mlist).to_have_attribute("aria-multiselectable", "true")
    assert options(mlist) == [KNOWN[4], KNOWN[6], KNOWN[5]]
    page.keyboard.press("Enter")  # J45 Asthma
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")  # J45.0 Predominantly allergic asthma
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")  # J45.9 Asthma, unspecified ...
    page.keyboard.press("Enter")  # ... and off again
    expect(mlist.locator("[role=option][aria-selected=true]")).to_have_count(2)
    expect(multi.locator(".nbl-label-btn[aria-pressed=true]")).to_have_count(3)
    expect(multi.locator(".nbl-label-btn[aria-pressed=true]", has_text="J45 Asthma")).to_have_count(1)
    for _ in "asthma":
        page.keyboard.press("Backspace")  # edits the query: no undo
    expect(mbox).to_have_value("")
    expect_item(page, 1, "0")
    page.keyboard.press("Enter")  # empty query: confirm
    expect_item(page, 1, "1")
    expect(multi).to_be_focused()
    events = harness.wait_for_events(db, MULTI, 1, kinds=("label", "skip", "retract"))
    assert events["value"].tolist() == [[label(0), KNOWN[4], KNOWN[5]]]  # in label order
    assert harness.wait_for_events(db, SINGLE, 3, kinds=("label", "skip", "retract", "flag")).shape[0] == 3
    assert harness.cell_types(page) == cells_before
    assert dialogs == []
