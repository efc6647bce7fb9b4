"""Classify end to end: real key presses in JupyterLab + Chromium land in the store, in
``w.labels``, survive a kernel restart, and never reach JupyterLab's command mode."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import harness
import nbformat
import pandas as pd
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

import nblabel as nl

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
# The README's screenshot is refreshed with NBLABEL_SCREENSHOT=1; other runs write it to the
# test's temp dir, so a test run leaves the work tree clean.
README_SCREENSHOT = REPO / "docs" / "images" / "classify.png"
TASK = "sentiment-pilot"

PROBE = """\
import json as _json
print("PROBE " + _json.dumps({
    "current": w.current,
    "pending": w.pending,
    "labels": {str(k): v for k, v in w.labels.items() if v is not None},
    "aligned": bool(w.labels.index.equals(df.index)),
    "events": len(w.annotations),
}))
"""


# ----------------------------------------------------------------------------- helpers
def add_cell(path: Path, source: str) -> int:
    """Append a code cell to the notebook at ``path``; returns its index."""
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(source))
    nbformat.write(nb, path)
    return len(nb.cells) - 1


def probe(page: Page, cell: int) -> dict[str, Any]:
    """Run the probe cell and parse what it printed about ``w``."""
    out = harness.run_cell(page, cell)
    lines = [line for line in out.splitlines() if line.startswith("PROBE ")]
    assert lines, f"the probe cell printed no PROBE line:\n{out}"
    return json.loads(lines[-1][len("PROBE ") :])


def expect_item(page: Page, key: str, timeout: float = 20_000) -> None:
    """Wait until the widget shows the item whose id is ``key``."""
    try:
        page.wait_for_function(
            """([sel, key]) => { const r = document.querySelector(sel);
                                 return !!r && r.dataset.state === 'item' && r.dataset.key === key; }""",
            arg=[harness.WIDGET, key],
            timeout=timeout,
        )
    except PlaywrightTimeoutError:
        widget = page.locator(harness.WIDGET)
        shown = widget.first.evaluate("(r) => [r.dataset.state, r.dataset.key, r.innerText]")
        raise AssertionError(f"the widget never showed item {key}; it shows {shown}") from None


def expect_saved(page: Page) -> None:
    expect(page.locator(harness.WIDGET).locator(".nbl-save")).to_have_text("All changes saved")


def store_events(db: Path, task: str, count: int, timeout: float = 20) -> pd.DataFrame:
    """Poll the store file (from this process) until it holds ``count`` events of ``task``."""
    deadline = time.monotonic() + timeout
    seen = -1
    while True:
        if db.exists():
            store = nl.Store(db)
            try:
                frame = store.annotations(task)
            finally:
                store.close()
            seen = len(frame)
            if seen >= count:
                return frame
        if time.monotonic() > deadline:
            raise AssertionError(f"{db} holds {seen} events of {task!r} after {timeout}s, expected {count}")
        time.sleep(0.05)


def events_as_tuples(frame: pd.DataFrame) -> list[tuple]:
    """``(item, kind, value, flag comment)`` per event; a retract's value names the position of
    the event it withdraws (``{"retracts": n}``) instead of its store id."""
    position = {event_id: i for i, event_id in enumerate(frame["id"])}
    return [
        (
            row.item_id,
            row.kind,
            {"retracts": position[row.value["retracts"]]} if row.kind == "retract" else row.value,
            row.comment if row.kind == "flag" else None,
        )
        for row in frame.itertuples()
    ]


def simulate(keys: list[str], *, start: int, done: set[int], guesses: pd.Series, first: int = 0) -> tuple:
    """What a burst of keys must do to items served in id order, starting at ``start`` with
    ``done`` already labeled: the events, the labels that stand, and the item shown after.
    ``first`` is the position in the log of the first event the keys write."""
    names = {"1": "positive", "2": "negative", "3": "neutral"}
    done, current, history = set(done), start, []
    events: list[tuple] = []
    standing: dict[int, str] = {}

    def next_undone(item: int) -> int:
        return min(i for i in range(item + 1, 1046) if i not in done)

    for key in keys:
        if key in names or key in ("Enter", "s"):
            kind = "skip" if key == "s" else "label"
            value = None if key == "s" else names.get(key, guesses.get(current))
            events.append((current, kind, value, None))
            if kind == "label":
                standing[current] = value
            done.add(current)
            history.append((current, first + len(events) - 1))
            current = next_undone(current)
        elif key in ("u", "Backspace"):
            item, undone = history.pop()
            events.append((item, "retract", {"retracts": undone}, None))
            standing.pop(item, None)
            done.discard(item)
            current = item
    return events, standing, current


# ----------------------------------------------------------------------------- the test
@pytest.mark.browser_context_args(device_scale_factor=2)  # a crisp screenshot for the README
def test_quickstart_keyboard_store_and_resume(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    notebook = lab_root / "examples" / "quickstart.ipynb"
    db = lab_root / "examples" / "nblabel.db"
    probe_cell = add_cell(notebook, PROBE)

    harness.open_notebook(page, lab, "examples/quickstart.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_count(1)
    expect_item(page, "1001")
    # the notebook's last cell labels review 1045 from code (w.annotate): counted at once
    expect(widget.locator(".nbl-progress")).to_have_text("1 / 45 labeled")
    # the footer names the store by its file name; the full path is the tooltip, never in the text
    expect(widget.locator(".nbl-footer")).to_contain_text("store nblabel.db")
    expect(widget.locator(".nbl-where")).to_have_attribute("title", f"store: {db}")
    assert str(db.parent) not in widget.locator(".nbl-footer").inner_text()
    cells_before = harness.cell_types(page)

    harness.focus_widget(page)
    # clicking the output puts the notebook in command mode, where 1/m/a/b/d d are commands
    expect(page.locator(harness.STATUSBAR)).to_contain_text("Mode: Command")

    # the next item is painted in the same task as the key press, from the prefetched window,
    # without a round trip to the kernel (checked synchronously, inside the page)
    painted = page.evaluate(
        """(sel) => { const r = document.querySelector(sel);
                      r.dispatchEvent(new KeyboardEvent('keydown', {key: '1', bubbles: true}));
                      return [r.dataset.state, r.dataset.key, r.querySelector('.nbl-text').textContent]; }""",
        harness.WIDGET,
    )
    assert painted == ["item", "1002", "Arrived on Tuesday."]
    # then real key presses
    for key, nxt in (("2", "1003"), ("3", "1004")):
        page.keyboard.press(key)
        expect_item(page, nxt)
    page.keyboard.press("u")  # undo: back to 1003, its label retracted
    expect_item(page, "1003")
    expect(widget.locator(".nbl-item-id")).to_have_text("Item 1003 · #3 of 45")
    page.keyboard.press("1")
    expect_item(page, "1004")
    page.keyboard.press("s")  # skip
    expect_item(page, "1005")

    comment = 'Sarcasm? "great" — can\'t tell 🤔'
    page.keyboard.press("f")
    flag_input = widget.locator(".nbl-flag-input")
    expect(flag_input).to_be_visible()
    expect(flag_input).to_be_focused()
    page.keyboard.type(comment)
    page.keyboard.press("Enter")
    expect(flag_input).to_be_hidden()
    expect(widget).to_be_focused()
    expect(widget.locator(".nbl-flag-note")).to_have_text(f"⚑ flagged: {comment}")
    expect_item(page, "1005")  # flagging does not move on
    page.keyboard.press("2")
    expect_item(page, "1006")

    # arrows / j k walk the serving order, labeled or not
    page.keyboard.press("ArrowLeft")
    expect_item(page, "1005")
    expect(widget.locator(".nbl-item-id")).to_have_text("Item 1005 · #5 of 45 · labeled")
    expect(widget.locator(".nbl-label-btn[aria-pressed='true']")).to_contain_text("negative")
    page.keyboard.press("ArrowLeft")
    expect_item(page, "1004")
    expect(widget.locator(".nbl-item-id")).to_have_text("Item 1004 · #4 of 45 · skipped")
    page.keyboard.press("j")
    expect_item(page, "1005")
    page.keyboard.press("ArrowRight")
    expect_item(page, "1006")
    page.keyboard.press("k")
    expect_item(page, "1005")
    page.keyboard.press("ArrowRight")
    expect_item(page, "1006")

    # JupyterLab's command-mode keys, pressed inside the widget, must do nothing to the notebook
    for key in ("m", "a", "b", "d", "d", "y", "x", "c", "v", "z", "Escape"):
        page.keyboard.press(key)
    expect_item(page, "1006")
    expect(widget).to_be_focused()
    expect_saved(page)
    expect(widget.locator(".nbl-progress")).to_have_text("5 / 45 labeled · 1 skipped · 1 flagged")
    expect(widget.locator(".nbl-counts")).to_have_text("positive2negative3neutral0")
    expect(widget.locator(".nbl-banner")).to_be_hidden()
    assert harness.cell_types(page) == cells_before, "a key press reached JupyterLab's command mode"
    assert page.locator(f"{harness.NOTEBOOK} .jp-Cell").count() == len(cells_before)

    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "classify.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    widget.screenshot(path=str(shot), animations="disabled")
    assert shot.stat().st_size > 10_000

    # the store, read from this process
    expected = [
        (1045, "label", "negative", None),  # from code, by the notebook's last cell
        (1001, "label", "positive", None),
        (1002, "label", "negative", None),
        (1003, "label", "neutral", None),
        (1003, "retract", {"retracts": 3}, None),  # withdraws the "neutral" of 1003
        (1003, "label", "positive", None),
        (1004, "skip", None, None),
        (1005, "flag", None, comment),
        (1005, "label", "negative", None),
    ]
    frame = store_events(db, TASK, len(expected))
    assert events_as_tuples(frame) == expected
    assert set(frame["annotator"]) == {"ana"}
    labels_rows = frame[frame["kind"] == "label"]
    from_code = labels_rows["item_id"] == 1045
    assert labels_rows[~from_code]["active_ms"].notna().all(), "key-press labels carry their active time"
    assert labels_rows[from_code]["active_ms"].isna().all(), "a label written from code has no active time"
    guesses = pd.read_csv(REPO / "examples" / "data" / "reviews.csv", index_col="review_id")["model_guess"]
    assert labels_rows["suggestion"].tolist() == guesses[labels_rows["item_id"]].tolist()
    assert frame["client_seq"].is_unique

    # ... and the kernel's view of it
    state = probe(page, probe_cell)
    labels = {
        "1001": "positive",
        "1002": "negative",
        "1003": "positive",
        "1005": "negative",
        "1045": "negative",
    }
    assert state == {"current": 1006, "pending": 0, "labels": labels, "aligned": True, "events": 9}

    # restart the kernel and run everything again: resume at the next unlabeled item
    harness.restart_kernel(page)
    harness.run_all(page)
    expect(widget).to_have_count(1)
    expect_item(page, "1006")
    expect(widget.locator(".nbl-progress")).to_have_text("5 / 45 labeled · 1 skipped · 1 flagged")
    state = probe(page, probe_cell)
    assert state == {"current": 1006, "pending": 0, "labels": labels, "aligned": True, "events": 9}
    # nothing lost, nothing doubled (the cell that labels from code skips what is labeled)
    assert events_as_tuples(store_events(db, TASK, 9)) == expected

    # labeling goes on after the restart. A fast burst of keys, pressed without waiting for
    # the kernel (undo, then keys while the widget fetches the item), lands in order.
    burst = ["3", "1", "2", "u", "Backspace", "1", "Enter", "2", "s", "u", "3", "1", "u", "u", "2", "3"]
    harness.focus_widget(page)
    for key in burst:
        page.keyboard.press(key)
    after, final, current = simulate(
        burst, start=1006, done={1001, 1002, 1003, 1004, 1005, 1045}, guesses=guesses, first=len(expected)
    )
    expect_item(page, str(current))
    expect_saved(page)
    frame = store_events(db, TASK, len(expected) + len(after))
    assert events_as_tuples(frame) == expected + after
    state = probe(page, probe_cell)
    assert state["labels"] == {**labels, **{str(k): v for k, v in final.items()}}
    assert state["current"] == current
    assert dialogs == []

    # control: outside the widget the same keys do reach command mode ("b" adds a cell), so the
    # isolation check above is not vacuous
    harness.cell(page, 2).locator(".jp-InputPrompt").click()
    expect(page.locator(harness.STATUSBAR)).to_contain_text("Mode: Command")
    page.keyboard.press("b")
    expect(page.locator(f"{harness.NOTEBOOK} .jp-Cell")).to_have_count(len(cells_before) + 1)
