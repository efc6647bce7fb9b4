"""The steps every front-end test takes, whatever draws the widget (Notebook 7, Voilà, marimo):
the code that shows a Classify or a Spans widget, key presses on Classify landing in the store,
and a mouse drag over Spans text landing in the store with the offsets of the dragged words.

A step drives one widget (``root``: the locator of its ``.nbl-root``) with real input through
Playwright and reads the store file from the test's process, so it proves the whole path:
browser → front end's widget bridge → kernel → store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import harness
from playwright.sync_api import expect

CLASSIFY_TASK = "fe-classify"
CLASSIFY_LABELS = ["positive", "negative", "neutral"]
CLASSIFY_TEXTS = ["I loved every minute.", "The service was terrible.", "It arrived on Tuesday."]

SPANS_TASK = "fe-spans"
SPANS_LABELS = ["PER", "ORG", "LOC"]
# emoji and right-to-left script before the dragged words: browser offsets (UTF-16) differ
# from the stored ones (code points), so a wrong conversion shows in text[start:end]
SPANS_TEXTS = [
    "Meet 👩‍👩‍👧 Dana at מרכז העיר with Ahmed today.",
    "Barack Obama visited Paris.",
    "Nothing to tag in this sentence.",
]


def _show(line: str, marimo_wrap: bool) -> str:
    """The cell's last line: the widget itself, or marimo's explicit wrapper."""
    return f"import marimo as mo\nmo.ui.anywidget({line})" if marimo_wrap else line


def classify_source(db: Path, *, marimo_wrap: bool = False) -> str:
    """Code that builds a Classify widget on :data:`CLASSIFY_TEXTS` storing in ``db`` and shows it
    (a notebook cell, or a marimo cell; ``marimo_wrap``: shown through ``mo.ui.anywidget``)."""
    return (
        "import pandas as pd\nimport nblabel as nl\n"
        f"df = pd.DataFrame({{'review': {CLASSIFY_TEXTS!r}}})\n"
        f"w = nl.Classify(df, text='review', labels={CLASSIFY_LABELS!r}, task={CLASSIFY_TASK!r},\n"
        f"                annotator='ana', store={str(db)!r})\n" + _show("w", marimo_wrap)
    )


def spans_source(db: Path, *, marimo_wrap: bool = False) -> str:
    """Code that builds a Spans widget on :data:`SPANS_TEXTS` storing in ``db`` and shows it."""
    return (
        "import pandas as pd\nimport nblabel as nl\n"
        f"df = pd.DataFrame({{'sentence': {SPANS_TEXTS!r}}})\n"
        f"w = nl.Spans(df, text='sentence', labels={SPANS_LABELS!r}, task={SPANS_TASK!r},\n"
        f"             annotator='ana', store={str(db)!r})\n" + _show("w", marimo_wrap)
    )


def label_events(db: Path, task: str, count: int) -> list[tuple[Any, ...]]:
    """``(item_id, value, annotator)`` of the label events of ``task`` once ``count`` exist, and
    no more than ``count`` (every event the test did not cause is a failure)."""
    events = harness.wait_for_events(db, task, count)
    rows = [(row.item_id, row.value, row.annotator) for row in events.itertuples()]
    assert len(rows) == count, f"expected {count} label events, the store holds {rows}"
    return rows


def classify_keys_land_in_store(page: Any, root: Any, db: Path) -> None:
    """Keys 1 and 2 label the first two reviews positive and negative: the widget moves on after
    each, and the store holds exactly those two labels."""
    expect(root).to_have_attribute("data-key", "0")
    expect(root.locator(".nbl-item")).to_contain_text(CLASSIFY_TEXTS[0])
    harness.focus_root(root)
    page.keyboard.press("1")
    expect(root).to_have_attribute("data-key", "1")
    page.keyboard.press("2")
    expect(root).to_have_attribute("data-key", "2")
    expect(root.locator(".nbl-save")).to_have_text("All changes saved")
    assert label_events(db, CLASSIFY_TASK, 2) == [(0, "positive", "ana"), (1, "negative", "ana")]


def stored_spans(db: Path, count: int, item: int) -> list[tuple[str, str]]:
    """``(text[start:end], label)`` of the spans stored for ``item`` (with ``count`` label
    events in the store)."""
    rows = label_events(db, SPANS_TASK, count)
    value = [v for item_id, v, _ in rows if item_id == item][-1]
    return [(SPANS_TEXTS[item][s["start"] : s["end"]], s["label"]) for s in value]


def spans_drag_lands_in_store(page: Any, root: Any, db: Path) -> None:
    """Mouse drags over "Dana" (PER) and the right-to-left "מרכז העיר" (LOC), then Enter: the
    store holds exactly those two spans, their stored offsets marking exactly those words."""
    text = SPANS_TEXTS[0]
    expect(root).to_have_attribute("data-key", "0")
    expect(root.locator(".nbl-spans-text")).to_have_text(text)
    harness.focus_root(root)
    page.keyboard.press("1")  # PER for new spans
    harness.drag_text(page, root, *harness.utf16_span(text, "Dana"))
    expect(root.locator(".nbl-seg[data-label='PER']")).to_have_text("Dana")
    page.keyboard.press("3")  # LOC
    harness.drag_text(page, root, *harness.utf16_span(text, "מרכז העיר"), rtl=True)
    expect(root.locator(".nbl-seg[data-label='LOC']")).to_have_text("מרכז העיר")
    expect(root.locator(".nbl-confirm")).to_contain_text("Confirm 2 spans")
    page.keyboard.press("Enter")
    expect(root).to_have_attribute("data-key", "1")
    assert sorted(stored_spans(db, 1, 0)) == [("Dana", "PER"), ("מרכז העיר", "LOC")]
