"""Rate end to end in JupyterLab + Chromium: a number key rates and moves on; with criteria a
number rates the active row, ↑/↓ and Tab move between rows, Enter submits only when every
criterion is rated; the store holds the numbers (a dict per criterion); undo and skip work from
the keyboard; hostile names and item text render as text."""

from __future__ import annotations

import os
import re
from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "rate.png"
PWN = "window.__pwned=true"
ANSWERS = [
    "The Eiffel Tower is in Paris and was finished in 1889 for the World's Fair.",
    f"<img src=x onerror={PWN}> Water boils at 90 °C at sea level.",
    "Photosynthesis turns light, water and CO₂ into sugar and oxygen.",
    "مرحبا — the capital of Australia is Sydney 🙂",
]
SETUP = (
    "import pandas as pd\nimport nblabel as nl\n"
    f"df = pd.DataFrame({{'answer': {ANSWERS!r}}}, index=pd.Index(['a1', 'a2', 'a3', 'a4'], name='aid'))\n"
    "w = nl.Rate(df, text='answer', task='{task}', annotator='ana', store='rate.db'{extra})\n"
    "w"
)
LIKERT = ["poor", "fair", "good", "very good", "excellent"]


def open_rate(page: Page, lab, lab_root: Path, folder: str, task: str, extra: str = "") -> Path:
    source = SETUP.replace("{task}", task).replace("{extra}", extra)
    harness.write_notebook(lab_root / folder / "rate.ipynb", [source])
    harness.open_notebook(page, lab, f"{folder}/rate.ipynb")
    harness.run_all(page)
    expect(page.locator(harness.WIDGET)).to_have_attribute("data-key", "a1")
    return lab_root / folder / "rate.db"


def test_a_number_key_rates_and_moves_on(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    db = open_rate(page, lab, lab_root, "rate-one", "quality", f", scale={LIKERT!r}")
    widget = page.locator(harness.WIDGET)
    points = widget.locator(".nbl-rate-point")
    expect(points).to_have_count(5)
    expect(points.nth(3)).to_have_text("4very good")
    harness.focus_widget(page)
    page.keyboard.press("4")
    expect(widget).to_have_attribute("data-key", "a2")
    # hostile item text is text
    expect(widget.locator(".nbl-text")).to_contain_text("<img src=x onerror=")
    assert widget.locator(".nbl-item img").count() == 0
    page.keyboard.press("1")
    expect(widget).to_have_attribute("data-key", "a3")
    page.keyboard.press("u")  # undo: back to a2
    expect(widget).to_have_attribute("data-key", "a2")
    page.keyboard.press("2")
    expect(widget).to_have_attribute("data-key", "a3")
    page.keyboard.press("s")  # skip a3
    expect(widget).to_have_attribute("data-key", "a4")
    widget.locator(".nbl-rate-point[data-point='5']").click()  # the mouse rates too
    expect(widget).to_have_attribute("data-state", "done")
    events = harness.wait_for_events(db, "quality", 6, kinds=("label", "retract", "skip"))
    assert [(e.item_id, e.kind) for e in events.itertuples()] == [
        ("a1", "label"), ("a2", "label"), ("a2", "retract"), ("a2", "label"), ("a3", "skip"), ("a4", "label"),
    ]  # fmt: skip
    labels = harness.wait_for_events(db, "quality", 4)
    standing = labels.drop_duplicates("item_id", keep="last").set_index("item_id")["value"].to_dict()
    assert standing == {"a1": 4, "a2": 2, "a4": 5}
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []


def test_criteria_rows_navigation_and_submit(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    extra = f", scale={LIKERT!r}, criteria=['fluency', 'accuracy', 'helpfulness']"
    db = open_rate(page, lab, lab_root, "rate-criteria", "criteria", extra)
    widget = page.locator(harness.WIDGET)
    rows = widget.locator(".nbl-rate-criteria .nbl-rate-points")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    harness.focus_widget(page)
    page.keyboard.press("4")  # fluency 4; accuracy is active next
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("Enter")  # not every criterion is rated: nothing is submitted
    expect(widget.locator(".nbl-rate-reason")).to_have_text(
        "Rate accuracy, helpfulness first (1–5; ↑ ↓ choose the criterion)."
    )
    expect(widget).to_have_attribute("data-key", "a1")
    page.keyboard.press("ArrowDown")  # to helpfulness
    expect(rows.nth(2)).to_have_attribute("aria-current", "true")
    page.keyboard.press("2")  # helpfulness 2; accuracy, the one left, becomes active
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("Shift+Tab")  # up to fluency ...
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")
    page.keyboard.press("5")  # ... rated again: 5; accuracy, still unrated, is active again
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("Tab")
    expect(rows.nth(2)).to_have_attribute("aria-current", "true")
    page.keyboard.press("ArrowUp")
    expect(rows.nth(1)).to_have_attribute("aria-current", "true")
    page.keyboard.press("3")  # accuracy 3
    expect(rows.nth(1).locator(".nbl-rate-point[aria-pressed='true']")).to_have_attribute("data-point", "3")
    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "rate.png"
    widget.screenshot(path=str(shot), animations="disabled")
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "a2")
    expect(rows.nth(0)).to_have_attribute("aria-current", "true")  # a fresh item: nothing rated
    expect(widget.locator(".nbl-rate-point[aria-pressed='true']")).to_have_count(0)
    for key in ("1", "1", "1"):
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "a3")
    page.keyboard.press("ArrowLeft")  # back to a2: its ratings are shown
    expect(widget).to_have_attribute("data-key", "a2")
    expect(widget.locator(".nbl-rate-point[aria-pressed='true']")).to_have_count(3)
    values = list(harness.wait_for_events(db, "criteria", 2)["value"])
    assert values == [
        {"fluency": 5, "accuracy": 3, "helpfulness": 2},
        {"fluency": 1, "accuracy": 1, "helpfulness": 1},
    ]
    assert dialogs == []


def test_hostile_names_of_criteria_and_points_are_text(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    criterion, point = f"<img src=x onerror={PWN}>", "<b>meh</b>"
    db = open_rate(
        page,
        lab,
        lab_root,
        "rate-hostile",
        "hostile",
        f", scale=['bad', {point!r}], criteria=[{criterion!r}]",
    )
    widget = page.locator(harness.WIDGET)
    expect(widget.locator(".nbl-rate-criterion")).to_have_text(criterion)
    expect(widget.locator(".nbl-rate-point").nth(1)).to_have_text(f"2{point}")
    assert widget.locator(".nbl-controls img, .nbl-controls b").count() == 0
    harness.focus_widget(page)
    page.keyboard.press("2")
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "a2")
    assert list(harness.wait_for_events(db, "hostile", 1)["value"]) == [{criterion: 2}]
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []


DASHBOARD = (
    "import pandas as pd\nimport nblabel as nl\n"
    f"df = pd.DataFrame({{'answer': {ANSWERS!r}}}, index=pd.Index(['a1', 'a2', 'a3', 'a4'], name='aid'))\n"
    "store = nl.Store('dash.db')\n"
    "given = {'ana': [(4, 2), (3, 3), (5, 1), (2, 2)], 'ben': [(4, 3), (3, 3), (4, 1), (2, 2)]}\n"
    "for name, points in given.items():\n"
    "    r = nl.Rate(df, text='answer', criteria=['fluency', 'accuracy'], task='dash', annotator=name,\n"
    "                store=store)\n"
    "    for item, (f, a) in zip(df.index, points):\n"
    "        r.annotate(item, {'fluency': f, 'accuracy': a})\n"
    "dash = nl.Dashboard(store, task='dash', interval=0.3, n_boot=50)\n"
    "dash"
)


def test_the_dashboard_of_ratings_per_criterion(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    harness.write_notebook(lab_root / "rate-dash" / "dash.ipynb", [DASHBOARD])
    harness.open_notebook(page, lab, "rate-dash/dash.ipynb")
    harness.run_all(page)
    dash = page.locator(".nbl-dash")
    for key in ("fluency/ordinal_alpha", "accuracy/interval_alpha", "fluency/icc_agreement"):
        expect(dash.locator(f".nbl-dash-coefficients tr[data-key='{key}'] .nbl-dash-value")).to_have_text(
            re.compile(r"^-?\d\.\d+$")
        )
    expect(dash.locator(".nbl-dash-cellbtn")).to_have_count(25)  # the five points on each axis
    # ana 5, ben 4 on a3's fluency; ana 2, ben 3 on a1's accuracy
    dash.locator(".nbl-dash-cellbtn[data-row='4'][data-col='3']").click()
    listing = dash.locator(".nbl-dash-items tbody tr")
    expect(listing).to_have_count(1)
    assert listing.locator(".nbl-dash-id").all_inner_texts() == ["a3"]
    assert "fluency" in listing.inner_text()
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
