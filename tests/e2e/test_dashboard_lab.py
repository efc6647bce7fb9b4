"""The live dashboard end to end: displayed under a labeling widget in JupyterLab + Chromium,
it refreshes when another process writes the store and when a key press in the widget above
lands; clicking a confusion cell lists the items behind it with their (hostile) text, as text."""

from __future__ import annotations

import os
import re
from pathlib import Path

import harness
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
README_SCREENSHOT = REPO / "docs" / "images" / "dashboard.png"
TASK = "dash-pilot"
PWN = "window.__pwned=true"
HOSTILE_LABEL = f"<b onmouseover={PWN}>mixed</b>"
HOSTILE_ANNOTATOR = f"<svg onload={PWN}>"
LABELS = ["pos", "neg", HOSTILE_LABEL]
TEXTS = [
    "Loved it, would buy again.",
    f"<img src=x onerror={PWN}> broke after a day",
    "It is fine.\nNothing special.",
    "Arrived late but works — 👍🏽",
    "مرحبا <script>window.__pwned=true</script>",
    "Terrible support.",
    "Great value.",
    "Meh.",
]
ANA = ["pos", "neg", "neg", "pos", HOSTILE_LABEL, "neg", "pos", "neg"]
BOB = ["pos", "pos", "pos", "pos", "neg", "neg", "pos", HOSTILE_LABEL]
CELLS = [
    (
        "import pandas as pd\nimport nblabel as nl\n"
        f"LABELS = {LABELS!r}\n"
        f"df = pd.DataFrame({{'text': {TEXTS!r}}}, index=pd.Index(range(1, {len(TEXTS) + 1}), name='id'))\n"
        "store = nl.Store('dash.db')\n"
        f"w = nl.Classify(df, text='text', labels=LABELS, task={TASK!r}, annotator='cy', store=store)\n"
        "w"
    ),
    f"dash = nl.Dashboard(store, task={TASK!r}, interval=0.3, n_boot=50)\ndash",
]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"text": TEXTS}, index=pd.Index(range(1, len(TEXTS) + 1), name="id"))


def label(db: Path, annotator: str, values: list[str | None]) -> None:
    """Label from this (the test's) process: another process than the notebook's kernel."""
    store = nl.Store(db)
    w = nl.Classify(frame(), text="text", labels=LABELS, task=TASK, annotator=annotator, store=store)
    for item, value in zip(frame().index, values, strict=True):
        if value is not None:
            w.annotate(item, value)
    w.close()
    store.close()


def expect_events(page: Page, n: int) -> None:
    expect(page.locator(".nbl-dash")).to_have_attribute("data-events", str(n), timeout=20_000)


def test_dashboard_follows_labels_and_lists_the_items_of_a_cell(
    lab, lab_root: Path, lab_page: Page, dialogs
) -> None:
    page = lab_page
    folder = lab_root / "dashboard"
    db = folder / "dash.db"
    harness.write_notebook(folder / "dash.ipynb", CELLS)
    label(db, "ana", ANA)
    label(db, "bob", BOB)
    label(db, HOSTILE_ANNOTATOR, ["neg"] * 4 + [None] * 4)

    harness.open_notebook(page, lab, "dashboard/dash.ipynb")
    harness.run_all(page)
    dash = page.locator(".nbl-dash")
    expect(dash).to_have_count(1)
    expect_events(page, 20)
    expect(dash.locator(".nbl-dash-pill")).to_have_text("live")
    expect(dash.locator(".nbl-dash-task")).to_have_text(TASK)
    expect(dash.locator(".nbl-dash-total").nth(3)).to_have_text("3 annotators")
    # the coefficients equal the report of the same store
    report = nl.agreement_report(nl.Store(db).annotations(TASK), labels=LABELS, n_boot=0)
    fleiss = dash.locator(".nbl-dash-coefficients tr[data-key='fleiss_kappa'] .nbl-dash-value")
    expect(fleiss).to_have_text(f"{report.loc['fleiss_kappa', 'value']:.3f}".replace("-", "−"))
    # bootstrap intervals arrive after the values
    expect(dash.locator(".nbl-dash-coefficients tr[data-key='fleiss_kappa'] .nbl-dash-ci")).to_have_text(
        re.compile(r"^\[−?\d\.\d\d, −?\d\.\d\d\]$")
    )

    # labels from another process appear without touching the notebook
    label(db, "dee", ["pos", "neg", "pos", "pos", None, None, None, None])
    expect_events(page, 24)
    expect(dash.locator(".nbl-dash-total").nth(3)).to_have_text("4 annotators")
    expect(dash.locator(".nbl-dash-annotators tbody tr")).to_have_count(4)

    # a key press in the labeling widget above lands in the store and in the dashboard
    harness.focus_widget(page)
    page.keyboard.press("1")  # cy: item 1 is "pos"
    expect_events(page, 25)
    stored = nl.Store(db).annotations(TASK)
    assert stored[stored["annotator"] == "cy"][["item_id", "value"]].values.tolist() == [[1, "pos"]]
    expect(dash.locator(".nbl-dash-annotators tbody tr")).to_have_count(5)

    # the confusion matrix of ana x bob (the pair with most shared items), counts in cells
    expect(dash.locator(".nbl-dash-rows")).to_have_value("annotator:ana")
    expect(dash.locator(".nbl-dash-columns")).to_have_value("annotator:bob")
    cells = dash.locator(".nbl-dash-cellbtn")
    expect(cells).to_have_count(9)
    counts = [int(t) for t in dash.locator(".nbl-dash-count").all_inner_texts()]
    figure = nl.plot_confusion(nl.Store(db).annotations(TASK), "ana", "bob", labels=LABELS)
    assert counts == figure.confusion.ravel().tolist()
    expect(dash.locator(".nbl-dash-confusion th.nbl-dash-col").nth(2)).to_have_text(HOSTILE_LABEL)

    # click (ana: neg, bob: pos): items 2 and 3 listed with their text, verbatim
    expected = [
        i for i, (a, b) in enumerate(zip(ANA, BOB, strict=True), start=1) if a == "neg" and b == "pos"
    ]
    assert expected == [2, 3]
    dash.locator(".nbl-dash-cellbtn[data-row='1'][data-col='0']").click()
    listing = dash.locator(".nbl-dash-items tbody tr")
    expect(listing).to_have_count(len(expected))
    expect(dash.locator(".nbl-dash-cell-title")).to_have_text(f"ana: neg × bob: pos — {len(expected)} items")
    assert listing.locator(".nbl-dash-id").all_inner_texts() == [str(i) for i in expected]
    texts = listing.locator(".nbl-dash-text").evaluate_all("(cells) => cells.map((c) => c.textContent)")
    assert texts == [TEXTS[i - 1] for i in expected]
    # a click on a long text shows it whole; Escape closes the list
    listing.locator(".nbl-dash-text").first.click()
    expect(listing.locator(".nbl-dash-text").first).to_have_class(re.compile("nbl-dash-open"))
    page.keyboard.press("Escape")
    expect(dash.locator(".nbl-dash-cell")).to_be_hidden()

    # columns: the majority of the others; colour by share of row
    dash.locator(".nbl-dash-columns").select_option("majority")
    expect(dash.locator(".nbl-dash-columns")).to_have_value("majority")
    expect(dash.locator(".nbl-dash-corner")).to_contain_text("majority of the others →")
    dash.locator(".nbl-dash-normalize").select_option("row")
    expect(dash.locator(".nbl-dash-share").first).to_have_text(re.compile(r"^\d+%$"))

    # pause stops refreshing; resume catches up
    dash.locator(".nbl-dash-pause").click()
    expect(dash.locator(".nbl-dash-pill")).to_have_text("paused")
    label(db, "eve", ["pos"] + [None] * 7)
    page.wait_for_timeout(1500)
    expect(dash).to_have_attribute("data-events", "25")
    dash.locator(".nbl-dash-pause").click()
    expect_events(page, 26)

    # nothing hostile ran
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
    assert dash.locator("img, svg, script, b[onmouseover]").count() == 0

    dash.locator(".nbl-dash-columns").select_option("annotator:bob")
    dash.locator(".nbl-dash-normalize").select_option("none")
    expect(dash.locator(".nbl-dash-corner")).to_contain_text("bob →")
    expect(dash.locator(".nbl-dash-ci").first).to_have_text(re.compile(r"^\["))
    dash.scroll_into_view_if_needed()
    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "dashboard.png"
    dash.screenshot(path=str(shot), animations="disabled")
