"""The live dashboard end to end: displayed under a labeling widget in JupyterLab + Chromium,
it refreshes when another process writes the store and when a key press in the widget above
lands; clicking a confusion cell lists the items behind it with their (hostile) text, as text."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import harness
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
README_SCREENSHOT = REPO / "docs" / "images" / "dashboard.png"
PWN = "window.__pwned=true"


@dataclass
class Session:
    """A store folder, a task, its labels and items, and the notebook that watches it."""

    folder: Path
    task: str
    labels: list[str]
    texts: list[str]

    @property
    def db(self) -> Path:
        return self.folder / "dash.db"

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame({"text": self.texts}, index=pd.Index(range(1, len(self.texts) + 1), name="id"))

    def label(self, annotator: str, values: list[str | None]) -> None:
        """Label from this (the test's) process: another process than the notebook's kernel."""
        store = nl.Store(self.db)
        w = nl.Classify(
            self.frame(), text="text", labels=self.labels, task=self.task, annotator=annotator, store=store
        )
        for item, value in zip(self.frame().index, values, strict=True):
            if value is not None:
                w.annotate(item, value)
        w.close()
        store.close()

    def annotations(self) -> pd.DataFrame:
        store = nl.Store(self.db)
        try:
            return store.annotations(self.task)
        finally:
            store.close()

    def notebook(self, *, widget: bool) -> Path:
        setup = (
            "import pandas as pd\nimport nblabel as nl\n"
            f"texts = {self.texts!r}\n"
            "df = pd.DataFrame({'text': texts}, index=pd.Index(range(1, len(texts) + 1), name='id'))\n"
            "store = nl.Store('dash.db')\n"
        )
        cells = [setup]
        if widget:
            cells.append(
                f"w = nl.Classify(df, text='text', labels={self.labels!r}, task={self.task!r}, "
                "annotator='cy', store=store)\nw"
            )
        cells.append(f"dash = nl.Dashboard(store, task={self.task!r}, interval=0.3, n_boot=50)\ndash")
        return harness.write_notebook(self.folder / "dash.ipynb", cells)


REVIEWS = [
    "Loved it, would buy again.",
    "Broke after a day.",
    "It is fine.\nNothing special.",
    "Arrived late but works — 👍🏽",
    "The colour is not what the photo shows, but it does the job.",
    "Terrible support: three emails, no answer.",
    "Great value for the price.",
    "Meh.",
    "Exactly as described.",
    "Stopped charging after a week; the replacement works.",
    "Too small, returned it.",
    "Okay for a gift.",
]
ANA = ["positive", "negative", "negative", "positive", "neutral", "negative",
       "positive", "neutral", "positive", "negative", "negative", "neutral"]  # fmt: skip
BOB = ["positive", "positive", "positive", "positive", "negative", "negative",
       "positive", "negative", "positive", "neutral", "negative", "positive"]  # fmt: skip
CHEN = ["positive", "negative", "neutral", "positive", "neutral", "negative",
        "positive", "neutral", "positive", "negative", "negative", None]  # fmt: skip


def expect_events(page: Page, n: int) -> None:
    expect(page.locator(".nbl-dash")).to_have_attribute("data-events", str(n), timeout=20_000)


def test_dashboard_follows_labels_and_lists_the_items_of_a_cell(
    lab, lab_root: Path, lab_page: Page, dialogs
) -> None:
    page = lab_page
    session = Session(lab_root / "dashboard", "review-pilot", ["positive", "negative", "neutral"], REVIEWS)
    session.notebook(widget=True)
    for name, values in (("ana", ANA), ("bob", BOB), ("chen", CHEN)):
        session.label(name, values)

    harness.open_notebook(page, lab, "dashboard/dash.ipynb")
    harness.run_all(page)
    dash = page.locator(".nbl-dash")
    expect(dash).to_have_count(1)
    expect_events(page, 35)
    expect(dash.locator(".nbl-dash-pill")).to_have_text("live")
    expect(dash.locator(".nbl-dash-task")).to_have_text(session.task)
    expect(dash.locator(".nbl-dash-total").nth(3)).to_have_text("3 annotators")
    # the coefficients equal the report of the same store
    report = nl.agreement_report(session.annotations(), labels=session.labels, n_boot=0)
    for key in ("fleiss_kappa", "krippendorff_alpha"):
        value = dash.locator(f".nbl-dash-coefficients tr[data-key='{key}'] .nbl-dash-value")
        expect(value).to_have_text(f"{report.loc[key, 'value']:.3f}".replace("-", "−"))
    # bootstrap intervals arrive after the values
    expect(dash.locator(".nbl-dash-coefficients tr[data-key='fleiss_kappa'] .nbl-dash-ci")).to_have_text(
        re.compile(r"^\[−?\d\.\d\d, −?\d\.\d\d\]$")
    )

    # labels from another process appear without touching the notebook
    session.label("dee", ["positive", "negative", "positive", "positive"] + [None] * 8)
    expect_events(page, 39)
    expect(dash.locator(".nbl-dash-total").nth(3)).to_have_text("4 annotators")
    expect(dash.locator(".nbl-dash-annotators tbody tr")).to_have_count(4)

    # a key press in the labeling widget above lands in the store and in the dashboard
    harness.focus_widget(page)
    page.keyboard.press("1")  # cy labels item 1 "positive"
    expect_events(page, 40)
    stored = session.annotations()
    assert stored[stored["annotator"] == "cy"][["item_id", "value"]].values.tolist() == [[1, "positive"]]
    expect(dash.locator(".nbl-dash-annotators tbody tr")).to_have_count(5)

    # the confusion matrix of ana x bob (the first pair with the most shared items)
    expect(dash.locator(".nbl-dash-rows")).to_have_value("annotator:ana")
    expect(dash.locator(".nbl-dash-columns")).to_have_value("annotator:bob")
    expect(dash.locator(".nbl-dash-cellbtn")).to_have_count(9)
    counts = [int(t) for t in dash.locator(".nbl-dash-count").all_inner_texts()]
    figure = nl.plot_confusion(session.annotations(), "ana", "bob", labels=session.labels)
    assert counts == figure.confusion.ravel().tolist()

    # click (ana: negative, bob: positive): the items listed with their text, verbatim
    expected = [
        i for i, (a, b) in enumerate(zip(ANA, BOB, strict=True), 1) if (a, b) == ("negative", "positive")
    ]
    assert expected == [2, 3]
    dash.locator(".nbl-dash-cellbtn[data-row='1'][data-col='0']").click()
    listing = dash.locator(".nbl-dash-items tbody tr")
    expect(listing).to_have_count(len(expected))
    expect(dash.locator(".nbl-dash-cell-title")).to_have_text("ana: negative × bob: positive — 2 items")
    assert listing.locator(".nbl-dash-id").all_inner_texts() == [str(i) for i in expected]
    texts = listing.locator(".nbl-dash-text").evaluate_all("(cells) => cells.map((c) => c.textContent)")
    assert texts == [REVIEWS[i - 1] for i in expected]
    header = dash.locator(".nbl-dash-items thead th").all_inner_texts()
    assert header == ["item", "text", "ana", "bob", "chen", "cy", "dee"]
    assert listing.nth(0).locator("td").all_inner_texts()[2:] == [
        "negative",
        "positive",
        "negative",
        "—",
        "negative",
    ]
    # a click on a text shows it whole; Escape closes the list
    listing.locator(".nbl-dash-text").first.click()
    expect(listing.locator(".nbl-dash-text").first).to_have_class(re.compile("nbl-dash-open"))
    page.keyboard.press("Escape")
    expect(dash.locator(".nbl-dash-cell")).to_be_hidden()

    # columns: the majority of the others; colour by share of row
    dash.locator(".nbl-dash-columns").select_option("majority")
    expect(dash.locator(".nbl-dash-corner")).to_contain_text("majority of the others →")
    dash.locator(".nbl-dash-normalize").select_option("row")
    expect(dash.locator(".nbl-dash-share").first).to_have_text(re.compile(r"^\d+%$"))

    # pause stops refreshing; resume catches up
    dash.locator(".nbl-dash-pause").click()
    expect(dash.locator(".nbl-dash-pill")).to_have_text("paused")
    session.label("eve", ["positive"] + [None] * 11)
    page.wait_for_timeout(1500)
    expect(dash).to_have_attribute("data-events", "40")
    dash.locator(".nbl-dash-pause").click()
    expect_events(page, 41)
    assert dialogs == []

    # the README's screenshot: ana x bob, counts, intervals shown
    dash.locator(".nbl-dash-columns").select_option("annotator:bob")
    dash.locator(".nbl-dash-normalize").select_option("none")
    expect(dash.locator(".nbl-dash-corner")).to_contain_text("bob →")
    expect(dash.locator(".nbl-dash-ci").first).to_have_text(re.compile(r"^\["))
    dash.locator(".nbl-dash-cellbtn[data-row='1'][data-col='0']").click()
    expect(listing).to_have_count(2)
    dash.scroll_into_view_if_needed()
    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "dashboard.png"
    dash.screenshot(path=str(shot), animations="disabled")


def test_hostile_labels_names_and_text_render_as_text(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    label = f"<b onmouseover={PWN}>mixed</b>"
    annotator = f"<svg onload={PWN}>"
    texts = [
        f"<img src=x onerror={PWN}> broke after a day",
        f"مرحبا <script>{PWN}</script>",
        '"><iframe srcdoc="<script>parent.__pwned=true</script>">',
    ]
    session = Session(lab_root / "dashboard-hostile", "hostile <i>task</i>", ["pos", label], texts)
    session.notebook(widget=False)
    session.label("ana", ["pos", "pos", label])
    session.label(annotator, [label, label, label])

    harness.open_notebook(page, lab, "dashboard-hostile/dash.ipynb")
    harness.run_all(page)
    dash = page.locator(".nbl-dash")
    expect_events(page, 6)
    expect(dash.locator(".nbl-dash-task")).to_have_text(session.task)
    expect(dash.locator(".nbl-dash-confusion th.nbl-dash-col").nth(1)).to_have_text(label)
    assert annotator in dash.locator(".nbl-dash-annotators tbody").inner_text()
    # rows: the hostile annotator (sorted first), columns: ana; (label, pos) holds items 1 and 2
    expect(dash.locator(".nbl-dash-rows")).to_have_value(f"annotator:{annotator}")
    dash.locator(".nbl-dash-cellbtn[data-row='1'][data-col='0']").click()
    listing = dash.locator(".nbl-dash-items tbody tr")
    expect(listing).to_have_count(2)
    shown = listing.locator(".nbl-dash-text").evaluate_all("(cells) => cells.map((c) => c.textContent)")
    assert shown == texts[:2]
    expect(dash.locator(".nbl-dash-cell-title")).to_have_text(f"{annotator}: {label} × ana: pos — 2 items")
    dash.locator(".nbl-dash-cellbtn").first.hover()
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
    assert dash.locator("img, svg, script, iframe, i").count() == 0  # (the totals use <b> for numbers)
    handlers = dash.evaluate(
        "(root) => [...root.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name))"
        ".filter((name) => name.startsWith('on'))"
    )
    assert handlers == []


def test_a_taxonomy_of_100000_labels_shows_the_most_frequent_and_other(
    lab, lab_root: Path, lab_page: Page, dialogs
) -> None:
    import numpy as np

    page = lab_page
    taxonomy = [f"C{i:05d}.{i % 7}" for i in range(100_000)]
    rng = np.random.default_rng(4)
    order = rng.permutation(len(taxonomy))
    n = 80

    def draw() -> np.ndarray:  # a few common codes, a long tail
        return order[np.minimum(rng.zipf(1.3, n), len(taxonomy)) - 1]

    truth = draw()
    votes = {
        name: [taxonomy[c] for c in np.where(rng.random(n) < 0.6, truth, draw())] for name in ("ana", "bob")
    }
    session = Session(
        lab_root / "dashboard-taxonomy", "icd", taxonomy, [f"note {i}" for i in range(1, n + 1)]
    )
    session.notebook(widget=False)
    for name, values in votes.items():
        session.label(name, values)

    harness.open_notebook(page, lab, "dashboard-taxonomy/dash.ipynb")
    harness.run_all(page)
    dash = page.locator(".nbl-dash")
    expect_events(page, 2 * n)
    annotations = session.annotations()
    figure = nl.plot_confusion(annotations, "ana", "bob", labels=taxonomy)
    given = set(votes["ana"]) | set(votes["bob"])
    assert len(given) > 30  # so the heatmap leaves some out
    left_out = len(given) - 30
    expect(dash.locator(".nbl-dash-cellbtn")).to_have_count(31 * 31)
    counts = [int(t) for t in dash.locator(".nbl-dash-count").all_inner_texts()]
    assert counts == figure.confusion.ravel().tolist()
    other = dash.locator(".nbl-dash-confusion th.nbl-dash-col").last
    expect(other).to_have_text(f"({left_out} others)")
    expect(other).to_have_class(re.compile("nbl-dash-other"))
    agree = sum(a == b for a, b in zip(votes["ana"], votes["bob"], strict=True))
    expect(dash.locator(".nbl-dash-caption").first).to_have_text(
        f"{n} items rated by both · {round(100 * agree / n)}% agree. Shown: the 30 most frequent of the "
        f"{len(given)} labels given; the other {left_out} are counted together in the last row and column. "
        "Click a cell to list its items."
    )
    in_use = len(given)
    listed = min(in_use, 50)
    expect(dash.locator(".nbl-dash-labels tbody tr")).to_have_count(listed)
    expect(dash.locator(".nbl-dash-labels-caption")).to_have_text(
        f"The {listed} most used of the {in_use} labels in use (100,000 labels in the task)."
        if listed < in_use
        else f"The {in_use} labels in use (100,000 labels in the task)."
    )

    # the "other" x "other" cell lists the items where both gave a label not shown
    shown = set(dash.locator(".nbl-dash-confusion th.nbl-dash-col").all_inner_texts()[:-1])
    expected = [i for i, (a, b) in enumerate(zip(votes["ana"], votes["bob"], strict=True), 1)
                if a not in shown and b not in shown]  # fmt: skip
    assert expected and figure.confusion[-1, -1] == len(expected)
    dash.locator(".nbl-dash-cellbtn[data-row='30'][data-col='30']").click()
    items = f"{len(expected)} item{'s' if len(expected) != 1 else ''}"
    expect(dash.locator(".nbl-dash-cell-title")).to_have_text(
        f"ana: ({left_out} others) × bob: ({left_out} others) — {items}"
    )
    listing = dash.locator(".nbl-dash-items tbody tr")
    expect(listing).to_have_count(len(expected))
    assert listing.locator(".nbl-dash-id").all_inner_texts() == [str(i) for i in expected]
    assert dialogs == []


def test_a_session_dashboard_leaves_gold_out_and_flags_drift(
    lab, lab_root: Path, lab_page: Page, dialogs
) -> None:
    """A session's task: 20 production items, 16 gold items met by each of three annotators; cy
    gets the gold right at first, then wrong. The dashboard (given the task, in another process)
    counts the 20 production items, shows each annotator's gold accuracy and cy's drift, and
    Dawid–Skene beside the majority vote."""
    page = lab_page
    folder = lab_root / "dashboard-session"
    folder.mkdir()
    n, n_gold = 20, 16
    data = pd.DataFrame(
        {
            "text": [f"review {i}" for i in range(n + n_gold)],
            "answer": [None] * n + [["pos", "neg"][i % 2] for i in range(n_gold)],
        },
        index=pd.Index(range(n + n_gold), name="id"),
    )
    store = nl.Store(folder / "dash.db")
    s = nl.Session(store, "cal", widget=nl.Classify, data=data, annotators=["ana", "ben", "cy"], overlap=3,
                   gold="answer", gold_rate=0.45, text="text", labels=["pos", "neg"])  # fmt: skip
    for name in ("ana", "ben", "cy"):
        w, met = s.labeler(name), 0
        while w.current is not None:
            answer = s.gold.get(str(w.current))
            if answer is None:
                w.annotate(w.current, "pos" if w.current % 3 else "neg")
                continue
            right = name != "cy" or met < 6
            met += 1
            w.annotate(w.current, answer if right else {"pos": "neg", "neg": "pos"}[answer])
        w.close()
    events = len(store.annotations("cal"))
    store.close()
    harness.write_notebook(
        folder / "dash.ipynb",
        ["import nblabel as nl\nstore = nl.Store('dash.db')\n"
         "dash = nl.Dashboard(store, task='cal', interval=0.3, n_boot=0)\ndash"],
    )  # fmt: skip

    harness.open_notebook(page, lab, "dashboard-session/dash.ipynb")
    harness.run_all(page)
    dash = page.locator(".nbl-dash")
    expect_events(page, events)
    expect(dash.locator(".nbl-dash-total").nth(1)).to_have_text("20 items")  # not 36: gold left out
    headers = dash.locator(".nbl-dash-annotators thead th").all_inner_texts()
    assert headers[-2:] == ["gold", "last 10 gold"]
    cy = dash.locator(".nbl-dash-annotators tr[data-annotator='cy']")
    expect(cy.locator(".nbl-dash-gold")).to_have_text("38% of 16")
    expect(cy.locator(".nbl-dash-gold")).to_have_attribute("data-flagged", "true")
    expect(cy.locator(".nbl-dash-recent")).to_have_text("0% · drift")
    expect(cy.locator(".nbl-dash-recent")).to_have_attribute("data-drift", "true")
    ana = dash.locator(".nbl-dash-annotators tr[data-annotator='ana']")
    expect(ana.locator(".nbl-dash-recent")).to_have_text("100%")
    expect(dash.locator(".nbl-dash-session-caption")).to_contain_text("the 16 gold and calibration items")
    expect(dash.locator(".nbl-dash-aggregation-box")).to_be_visible()
    expect(dash.locator(".nbl-dash-aggregation-caption")).to_contain_text(
        re.compile(r"^Dawid–Skene and the majority vote differ on \d+ of 20 items")
    )
    expect(dash.locator(".nbl-dash-aggregation-note")).to_contain_text("unstable")  # 20 items: a pilot
    assert dialogs == []
