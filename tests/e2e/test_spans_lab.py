"""Spans end to end in JupyterLab + Chromium: words dragged with the mouse in text with emoji and
right-to-left script land in the store with code-point offsets that mark exactly those words;
keyboard-only tagging; clicking a span relabels it; hostile text renders as text."""

from __future__ import annotations

import os
from pathlib import Path

import harness
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "spans.png"
TASK = "ner-pilot"
LABELS = ["PER", "ORG", "LOC"]
PWN = "window.__pwned=true"
TEXTS = [
    "Meet 👩‍👩‍👧 Dana at מרכז העיר with Ahmed 👍🏽 today.",
    "Barack Obama visited Paris.",
    f"<img src=x onerror={PWN}> said <b>Zoë</b>\n\tand   left.",
]
SETUP = (
    "import pandas as pd\nimport nblabel as nl\n"
    f"df = pd.DataFrame({{'sentence': {TEXTS!r}}}, index=pd.Index([10, 11, 12], name='sid'))\n"
    f"w = nl.Spans(df, text='sentence', labels={LABELS!r}, task={TASK!r}, annotator='ana',\n"
    "             store='spans.db')\n"
    "w"
)


def char_boxes(page: Page, start: int, end: int) -> list[dict]:
    """Screen boxes of the first and the last character between UTF-16 offsets ``start`` and
    ``end`` (end exclusive) of the widget's text."""
    return harness.text_char_boxes(page.locator(harness.WIDGET).first, start, end)


def drag_select(page: Page, start: int, end: int, *, rtl: bool = False, shift: bool = False) -> None:
    """Drag the mouse over the widget's text between UTF-16 offsets ``start`` and ``end`` (see
    :func:`harness.drag_text`)."""
    harness.drag_text(page, page.locator(harness.WIDGET).first, start, end, rtl=rtl, shift=shift)


utf16 = harness.utf16_span


def stored_spans(db: Path, item: int, count: int) -> list[tuple[str, str]]:
    """(marked text, label) of the standing spans of ``item`` once ``count`` label events exist."""
    labels = harness.wait_for_events(db, TASK, count, timeout=40)
    value = labels[labels["item_id"] == item]["value"].iloc[-1]
    text = TEXTS[item - 10]
    return [(text[s["start"] : s["end"]], s["label"]) for s in value]


def spans_on_screen(page: Page) -> list[str]:
    return page.locator(f"{harness.WIDGET} .nbl-seg[data-label]").evaluate_all(
        "(els) => els.map((e) => e.dataset.label)"
    )


def test_mouse_and_keyboard_tagging_land_in_the_store(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    folder = lab_root / "spans"
    harness.write_notebook(folder / "spans.ipynb", [SETUP])
    harness.open_notebook(page, lab, "spans/spans.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "10")
    expect(widget.locator(".nbl-chip")).to_have_count(3)
    expect(widget.locator(".nbl-chip").first).to_contain_text("PER")
    harness.focus_widget(page)

    # ---- item 10: the mouse, in text with emoji and right-to-left script
    text = TEXTS[0]
    page.keyboard.press("1")  # PER for new spans
    drag_select(page, *utf16(text, "Dana"))
    expect(widget.locator(".nbl-seg[data-label='PER']")).to_have_count(1)
    drag_select(page, *utf16(text, "Ahmed"))
    page.keyboard.press("3")  # LOC
    drag_select(page, *utf16(text, "מרכז העיר"), rtl=True)
    page.keyboard.press("2")  # ORG
    drag_select(page, *utf16(text, "👩‍👩‍👧"))
    expect(widget.locator(".nbl-seg[data-label]")).to_have_count(4)
    # a partial drag snaps to the whole word: "oda" of "today" tags "today"
    start, end = utf16(text, "today")
    drag_select(page, start + 1, end - 1)
    expect(widget.locator(".nbl-seg[data-label]")).to_have_count(5)
    page.keyboard.press("Backspace")  # per-span undo: "today" again untagged
    expect(widget.locator(".nbl-seg[data-label]")).to_have_count(4)
    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "spans.png"
    widget.screenshot(path=str(shot), animations="disabled")
    page.keyboard.press("Enter")  # nothing selected: confirm the item
    expect(widget).to_have_attribute("data-key", "11")
    assert sorted(stored_spans(lab_root / "spans" / "spans.db", 10, 1)) == sorted(
        [("Dana", "PER"), ("Ahmed", "PER"), ("מרכז העיר", "LOC"), ("👩‍👩‍👧", "ORG")]
    )

    # ---- item 11: the keyboard only
    page.keyboard.press("1")  # PER
    page.keyboard.press("ArrowRight")  # the cursor on "Barack"
    page.keyboard.press("Shift+ArrowRight")  # ... extended over "Obama"
    expect(widget.locator(".nbl-span-cursor")).to_have_text("Barack Obama")
    page.keyboard.press("Enter")  # tag PER; the cursor moves on to "visited"
    page.keyboard.press("ArrowRight")  # "Paris"
    page.keyboard.press("3")  # a label key with a cursor tags at once: LOC
    page.keyboard.press("Escape")
    expect(widget.locator(".nbl-span-cursor")).to_have_count(0)
    assert spans_on_screen(page) == ["PER", "LOC"]
    # click the LOC span and relabel it ORG
    widget.locator(".nbl-seg[data-label='LOC']").click()
    expect(widget.locator(".nbl-selected-span")).to_have_count(1)
    expect(widget.locator(".nbl-span-selected")).to_contain_text("Span LOC “Paris”")
    harness.focus_widget(page)
    page.keyboard.press("2")
    assert spans_on_screen(page) == ["PER", "ORG"]
    page.keyboard.press(" ")  # Space confirms too
    expect(widget).to_have_attribute("data-key", "12")
    assert stored_spans(lab_root / "spans" / "spans.db", 11, 2) == [("Barack Obama", "PER"), ("Paris", "ORG")]

    # ---- item 12: hostile text is text; double-click a word
    text_box = widget.locator(".nbl-spans-text")
    assert text_box.evaluate("(e) => e.textContent") == TEXTS[2]
    assert widget.locator(".nbl-spans-text img, .nbl-spans-text b").count() == 0
    page.keyboard.press("1")
    start, end = utf16(TEXTS[2], "Zoë")
    first, last = char_boxes(page, start, end)
    page.mouse.dblclick((first["left"] + last["right"]) / 2, (first["top"] + first["bottom"]) / 2)
    expect(widget.locator(".nbl-seg[data-label='PER']")).to_have_text("Zoë")
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-state", "done")
    assert stored_spans(lab_root / "spans" / "spans.db", 12, 3) == [("Zoë", "PER")]
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []


def test_overlapping_span_replaces_with_a_warning(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    folder = lab_root / "spans-overlap"
    harness.write_notebook(folder / "spans.ipynb", [SETUP])
    harness.open_notebook(page, lab, "spans-overlap/spans.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "10")
    harness.focus_widget(page)
    page.keyboard.press("j")  # item 11
    expect(widget).to_have_attribute("data-key", "11")
    text = TEXTS[1]
    page.keyboard.press("1")
    drag_select(page, *utf16(text, "Obama"))
    page.keyboard.press("2")
    drag_select(page, *utf16(text, "Barack Obama"))
    expect(widget.locator(".nbl-notice")).to_contain_text("Replaced PER “Obama”")
    assert spans_on_screen(page) == ["ORG"]
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "12")  # the next unlabeled item after 11
    db = folder / "spans.db"
    assert stored_spans(db, 11, 1) == [("Barack Obama", "ORG")]

    # u undoes the whole item: back on 11, its spans retracted
    page.keyboard.press("u")
    expect(widget).to_have_attribute("data-key", "11")
    expect(widget.locator(".nbl-seg[data-label]")).to_have_count(0)
    # Shift while selecting: characters, not words ("Oba"), marked as not token-aligned
    page.keyboard.press("1")
    start, _ = utf16(text, "Obama")
    drag_select(page, start, start + 3, shift=True)
    expect(widget.locator(".nbl-seg.nbl-unaligned")).to_have_text("Oba")
    expect(widget.locator(".nbl-notice")).to_contain_text("“Oba” does not line up with whole tokens")
    # click it, Delete removes it
    widget.locator(".nbl-seg.nbl-unaligned").click()
    harness.focus_widget(page)
    page.keyboard.press("Delete")
    expect(widget.locator(".nbl-seg[data-label]")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "12")
    harness.wait_for_events(db, TASK, 2)  # the kernel commits after the screen moves
    frame = pd.DataFrame(nl.Store(db).annotations(TASK))
    assert frame["kind"].tolist() == ["label", "retract", "label"]
    assert frame["value"].iloc[-1] == []
    assert frame["annotator"].unique().tolist() == ["ana"]


SUGGESTED = (
    "import pandas as pd\nimport nblabel as nl\n"
    "text = 'Barack Obama visited Paris with Angela Merkel.'\n"
    "model = [{'start': 0, 'end': 12, 'label': 'PER'}, {'start': 21, 'end': 26, 'label': 'ORG'},\n"
    "         {'start': 32, 'end': 45, 'label': 'PER'}]\n"
    "df = pd.DataFrame({'sentence': [text, text], 'model': [model, model]})\n"
    f"w = nl.Spans(df, text='sentence', labels={LABELS!r}, task='suggested', annotator='ana',\n"
    "             store='spans.db', suggestions='model')\n"
    "w"
)


def test_suggestions_accepted_changed_and_rejected(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    folder = lab_root / "spans-suggested"
    harness.write_notebook(folder / "spans.ipynb", [SUGGESTED])
    harness.open_notebook(page, lab, "spans-suggested/spans.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "0")
    expect(widget.locator(".nbl-suggested-span")).to_have_count(3)
    expect(widget.locator("[data-action='accept-all']")).to_have_text("Accept 3 suggestions")
    # Obama: click, Enter accepts it as suggested
    widget.locator(".nbl-suggested-span", has_text="Barack Obama").click()
    expect(widget.locator(".nbl-span-selected")).to_contain_text("Suggested PER “Barack Obama”")
    harness.focus_widget(page)
    page.keyboard.press("Enter")
    # Paris: click, the LOC key accepts it with another label (a change)
    widget.locator(".nbl-suggested-span", has_text="Paris").click()
    harness.focus_widget(page)
    page.keyboard.press("3")
    # Merkel: click, Delete rejects it
    widget.locator(".nbl-suggested-span", has_text="Angela Merkel").click()
    harness.focus_widget(page)
    page.keyboard.press("Delete")
    expect(widget.locator(".nbl-suggested-span")).to_have_count(0)
    assert spans_on_screen(page) == ["PER", "LOC"]
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "1")
    # item 1: accept all at once
    widget.locator("[data-action='accept-all']").click()
    assert spans_on_screen(page) == ["PER", "ORG", "PER"]
    harness.focus_widget(page)
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-state", "done")

    frame = harness.wait_for_events(folder / "spans.db", "suggested", 2)
    first, second = frame["suggestion"].tolist()
    assert (first["accepted"], first["changed"], first["removed"]) == ([0], [1], [2])
    assert (second["accepted"], second["changed"], second["removed"]) == ([0, 1, 2], [], [])
    text = "Barack Obama visited Paris with Angela Merkel."
    assert [(text[s["start"] : s["end"]], s["label"]) for s in frame["value"].iloc[0]] == [
        ("Barack Obama", "PER"),
        ("Paris", "LOC"),
    ]


NESTED = (
    "import pandas as pd\nimport nblabel as nl\n"
    "df = pd.DataFrame({'sentence': ['She works at Bank of America Tower in Charlotte.']})\n"
    f"w = nl.Spans(df, text='sentence', labels={LABELS!r}, task='nested', annotator='ana',\n"
    "             store='spans.db', overlap=True)\n"
    "w"
)


def test_nested_spans_are_kept_and_drawn_stacked(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    folder = lab_root / "spans-nested"
    harness.write_notebook(folder / "spans.ipynb", [NESTED])
    harness.open_notebook(page, lab, "spans-nested/spans.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "0")
    harness.focus_widget(page)
    text = "She works at Bank of America Tower in Charlotte."
    page.keyboard.press("3")
    drag_select(page, *utf16(text, "Bank of America Tower"))
    page.keyboard.press("2")
    drag_select(page, *utf16(text, "Bank of America"))
    page.keyboard.press("3")
    drag_select(page, *utf16(text, "America"))
    expect(widget.locator(".nbl-notice")).to_have_count(0)  # nothing replaced
    # "America" ends two spans (LOC inside ORG); the tower's LOC ends after "Tower"
    assert spans_on_screen(page) == ["ORG · LOC", "LOC"]
    # inside "America" three underlines are stacked on three lines
    lines = widget.locator(".nbl-seg", has_text="America").evaluate(
        "(e) => [getComputedStyle(e).backgroundImage.split('linear-gradient').length - 1,"
        " getComputedStyle(e).paddingBottom]"
    )
    assert lines == [3, "12px"]
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-state", "done")
    value = harness.wait_for_events(folder / "spans.db", "nested", 1)["value"].iloc[0]
    assert [(text[s["start"] : s["end"]], s["label"]) for s in value] == [
        ("Bank of America", "ORG"),
        ("Bank of America Tower", "LOC"),
        ("America", "LOC"),
    ]
