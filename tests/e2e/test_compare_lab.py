"""Compare end to end in JupyterLab + Chromium: with the sides swapped, "left is better" stores
the column that was on the left; the justification and rubric gate; hostile Markdown and HTML
in prompts and responses render without running anything."""

from __future__ import annotations

import os
from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "compare.png"
PWN = "window.__pwned=true"
PROMPTS = ["Write a Python function that adds two numbers.", "Say hello.", "Summarise the report."]
MODEL_X = [
    "```python\ndef add(a, b):\n    return a + b\n```\nThis returns the **sum**.",
    f"<script>{PWN}</script><img src=x onerror={PWN}> Hello! [click](javascript:{PWN})",
    "The report finds costs **rose 4%**.",
]
MODEL_Y = [
    "You can use `sum([a, b])`.",
    "Hi there, how can I help?",
    "Costs rose.",
]
SETUP = (
    "import pandas as pd\nimport nblabel as nl\n"
    f"df = pd.DataFrame({{'prompt': {PROMPTS!r}, 'model_x': {MODEL_X!r}, 'model_y': {MODEL_Y!r}}},\n"
    "                  index=pd.Index(['p1', 'p2', 'p3'], name='pid'))\n"
    "w = nl.Compare(df, prompt='prompt', a='model_x', b='model_y', task='pref', annotator='ana',\n"
    "               store='pref.db', seed=3{extra})\n"
    "print('SWAPPED', [w.swapped(i) for i in df.index])\n"
    "w"
)


def stored(db: Path, task: str, count: int) -> list[dict]:
    return list(harness.wait_for_events(db, task, count)["value"])


def open_compare(page: Page, lab, lab_root: Path, folder: str, extra: str = "") -> tuple[list[bool], Path]:
    harness.write_notebook(lab_root / folder / "compare.ipynb", [SETUP.replace("{extra}", extra)])
    harness.open_notebook(page, lab, f"{folder}/compare.ipynb")
    harness.run_all(page)
    out = harness.cell_output(page, 0)
    line = next(x for x in out.splitlines() if x.startswith("SWAPPED"))
    swapped = eval(line.split(" ", 1)[1])  # a list of bools printed by the notebook
    expect(page.locator(harness.WIDGET)).to_have_attribute("data-key", "p1")
    return swapped, lab_root / folder / "pref.db"


def test_left_is_better_stores_the_column_shown_left(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    swapped, db = open_compare(page, lab, lab_root, "compare")
    assert swapped.count(True) >= 1 and swapped.count(False) >= 1, swapped  # seed 3 swaps some, not all
    widget = page.locator(harness.WIDGET)
    # the pair on screen (the next one waits)
    shown = widget.locator(".nbl-compare-slot:not(.nbl-compare-slot-next)")
    left = shown.locator(".nbl-response[data-side='left'] .nbl-response-body")
    # p1: the code block keeps its layout
    expect(shown.locator(".nbl-response pre code").first).to_contain_text("def add(a, b):\n    return a + b")
    shown_left = left.inner_text()
    assert ("def add" in shown_left) == (not swapped[0])
    harness.focus_widget(page)
    page.keyboard.press("1")  # left is better, slightly
    expect(widget).to_have_attribute("data-key", "p2")
    # p2: hostile Markdown and HTML are text; Shift+← says "clearly better"
    expect(shown.locator(".nbl-response-body", has_text="<script>")).to_have_count(1)
    assert widget.locator(".nbl-response-body script, .nbl-response-body img").count() == 0
    assert widget.locator(".nbl-response-body a[href^='javascript']").count() == 0
    assert widget.locator(".nbl-compare-slot-next").evaluate_all("(els) => els.every((e) => e.inert)")
    page.keyboard.press("Shift+ArrowLeft")
    expect(widget).to_have_attribute("data-key", "p3")
    page.keyboard.press("3")  # tie
    expect(widget).to_have_attribute("data-state", "done")

    values = stored(db, "pref", 3)
    for value, was_swapped in zip(values[:2], swapped[:2], strict=True):
        assert value["swapped"] == was_swapped
        assert value["choice"] == ("B" if was_swapped else "A")  # the column that was on the left
    assert [v["strength"] for v in values] == [1, 2, None]
    assert values[2]["choice"] == "tie"
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []


def test_justification_and_rubric_gate(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    swapped, db = open_compare(
        page, lab, lab_root, "compare-gate", extra=", rubric=['helpful', 'correct'], min_justification=10"
    )
    widget = page.locator(harness.WIDGET)
    harness.focus_widget(page)
    page.keyboard.press("2")  # right is better: chosen, not submitted (the gate is on)
    expect(widget.locator(".nbl-choice[data-choice='right']")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("Enter")
    reason = widget.locator(".nbl-compare-reason")
    expect(reason).to_have_text("Score both responses on helpful, correct (press r, then 1–5).")
    expect(widget).to_have_attribute("data-key", "p1")
    # the rubric with the keyboard: r, then helpful left/right, correct left/right
    page.keyboard.press("r")
    for key in ("2", "5", "3", "4"):
        page.keyboard.press(key)
    expect(widget.locator(".nbl-score[aria-pressed='true']")).to_have_count(4)
    page.keyboard.press("Enter")
    expect(reason).to_contain_text("A justification of at least 10 characters is required (0 so far")
    page.keyboard.press("j")
    expect(widget.locator(".nbl-justification")).to_be_focused()
    page.keyboard.type("short")
    page.keyboard.press("Enter")  # Enter in the box submits: still too short
    expect(reason).to_contain_text("(5 so far")
    page.keyboard.type(" but right")
    expect(widget.locator(".nbl-counts")).to_have_text("")  # A/B counts would reveal the sides
    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "compare.png"
    widget.screenshot(path=str(shot), animations="disabled")
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "p2")
    value = stored(db, "pref", 1)[0]
    right = "A" if swapped[0] else "B"
    left = "B" if swapped[0] else "A"
    assert value["choice"] == right
    assert value["rubric"] == {"helpful": {left: 2, right: 5}, "correct": {left: 3, right: 4}}
    assert value["justification"] == "short but right"


RANKING = (
    "import pandas as pd\nimport nblabel as nl\n"
    "df = pd.DataFrame({'q': ['Which is best?'], 'r1': ['**one**'], 'r2': ['two'], 'r3': ['three']})\n"
    "w = nl.Compare(df, prompt='q', responses=['r1', 'r2', 'r3'], task='rank', annotator='ana',\n"
    "               store='rank.db')\n"
    "print('SHOWN', w.shown_order(0))\n"
    "w"
)


def test_ranking_with_the_keyboard_and_ties(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    harness.write_notebook(lab_root / "ranking" / "rank.ipynb", [RANKING])
    harness.open_notebook(page, lab, "ranking/rank.ipynb")
    harness.run_all(page)
    line = next(x for x in harness.cell_output(page, 0).splitlines() if x.startswith("SHOWN"))
    shown = eval(line.split(" ", 1)[1])
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "0")
    expect(widget.locator(".nbl-rank-card")).to_have_count(3)
    harness.focus_widget(page)
    page.keyboard.press("Enter")  # untouched: asks before submitting the order as shown
    expect(widget.locator(".nbl-compare-reason")).to_contain_text("still the order shown")
    page.keyboard.press("3")  # select the third response shown ...
    page.keyboard.press("ArrowUp")  # ... move it to the top
    page.keyboard.press("ArrowUp")
    page.keyboard.press("2")  # select the second shown ...
    page.keyboard.press("=")  # ... tie it with the one above it (the first shown)
    expect(widget.locator(".nbl-rank-group")).to_have_count(2)
    expect(widget.locator(".nbl-rank-group").nth(1)).to_contain_text("Response 1= Response 2")
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-state", "done")
    # (the browser moves on before the kernel commits: wait for the store)
    value = harness.wait_for_events(lab_root / "ranking" / "rank.db", "rank", 1)["value"].iloc[0]
    assert value == [[shown[2]], sorted([shown[0], shown[1]], key=shown.index)]


LONG = (
    "import pandas as pd\nimport nblabel as nl\n"
    "a = '\\n\\n'.join(f'Paragraph {i} of the first answer says the value is {i}.' for i in range(80))\n"
    "b = a.replace('value is 7.', 'value is seven.')\n"
    "df = pd.DataFrame({'q': ['Explain.'], 'x': [a], 'y': [b]})\n"
    "w = nl.Compare(df, prompt='q', a='x', b='y', task='long', annotator='ana', store='long.db',\n"
    "               shuffle=False)\n"
    "w"
)


def test_synchronised_scrolling_and_highlighted_differences(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    harness.write_notebook(lab_root / "compare-long" / "long.ipynb", [LONG])
    harness.open_notebook(page, lab, "compare-long/long.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "0")
    shown = widget.locator(".nbl-compare-slot:not(.nbl-compare-slot-next)")
    left = shown.locator(".nbl-response[data-side='left'] .nbl-response-body")
    right = shown.locator(".nbl-response[data-side='right'] .nbl-response-body")
    # each scrolls on its own ...
    left.evaluate("(e) => { e.scrollTop = 300; e.dispatchEvent(new Event('scroll')); }")
    page.wait_for_timeout(200)
    assert right.evaluate("(e) => e.scrollTop") == 0
    # ... until the toggle ties them together
    widget.locator("[data-toggle='sync']").check()
    left.evaluate("(e) => { e.scrollTop = 600; }")
    page.wait_for_function("(e) => e.scrollTop > 500", arg=right.element_handle())
    # differences: only the changed words are marked, on each side
    widget.locator("[data-toggle='diff']").check()
    expect(shown.locator(".nbl-diff-only")).to_have_count(2)
    marks = shown.locator(".nbl-diff-only").all_inner_texts()
    assert [m.strip() for m in marks] == ["7", "seven"]
