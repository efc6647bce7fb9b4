"""Bad input in a real notebook: clear errors in the cell output, and a widget that explains an
empty DataFrame or an empty cell instead of crashing."""

from __future__ import annotations

from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

CELLS = [
    "import numpy as np\nimport pandas as pd\nimport nblabel as nl",
    # 1: duplicate index
    'nl.Classify(pd.DataFrame({"t": ["a", "b", "c"]}, index=[7, 8, 7]), text="t", labels=["x", "y"],\n'
    '            task="dup", annotator="ana")',
    # 2: missing column
    'nl.Classify(pd.DataFrame({"review": ["a"], "stars": [1]}), text="text", labels=["x"],\n'
    '            task="missing", annotator="ana")',
    # 3: empty DataFrame
    'empty = nl.Classify(pd.DataFrame({"t": pd.Series([], dtype=object)}), text="t", labels=["x", "y"],\n'
    '                    task="empty", annotator="ana")\nempty',
    # 4: NaN / None text
    'nan = nl.Classify(pd.DataFrame({"t": [np.nan, None, "ok"]}, index=["a", "b", "c"]), text="t",\n'
    '                  labels=["x", "y"], task="nan", annotator="ana")\nnan',
    # 5: what the kernel holds
    'print("PROBE", nan.labels.to_dict(), nan.current, len(empty.labels), empty.current)',
]


def test_bad_input(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    harness.write_notebook(lab_root / "bad" / "bad.ipynb", CELLS)
    harness.open_notebook(page, lab, "bad/bad.ipynb")

    out = harness.run_cell(page, 0)
    assert out == ""

    out = harness.run_cell(page, 1)
    assert "ValueError" in out and "7 appears 2 times" in out, out

    out = harness.run_cell(page, 2)
    assert "KeyError" in out, out
    assert "'text'" in out and "['review', 'stars']" in out, out

    # an empty DataFrame: the widget says so, and keys do nothing harmful
    harness.run_cell(page, 3)
    cell = harness.cell(page, 3)
    empty = cell.locator(".nbl-root")
    expect(empty).to_have_attribute("data-state", "empty")
    expect(empty.locator(".nbl-message")).to_have_text("This DataFrame has no rows: nothing to label.")
    expect(empty.locator(".nbl-progress")).to_have_text("0 / 0 labeled")
    harness.focus_widget(page, 0)
    for key in ("1", "s", "u", "ArrowRight", "ArrowLeft", "f"):
        page.keyboard.press(key)
    expect(empty).to_have_attribute("data-state", "empty")
    expect(empty.locator(".nbl-banner")).to_be_hidden()
    assert "Error" not in harness.cell_output(page, 3)

    # NaN and None text: an explicit "(empty)" marker; labeling them works
    harness.run_cell(page, 4)
    nan = harness.cell(page, 4).locator(".nbl-root")
    expect(nan).to_have_attribute("data-key", "a")
    expect(nan.locator(".nbl-text")).to_have_text("(empty)")
    expect(nan.locator(".nbl-text")).to_have_class("nbl-text nbl-empty")
    harness.focus_widget(page, 1)
    page.keyboard.press("1")
    expect(nan).to_have_attribute("data-key", "b")
    expect(nan.locator(".nbl-text.nbl-empty")).to_have_text("(empty)")
    page.keyboard.press("2")
    expect(nan).to_have_attribute("data-key", "c")
    expect(nan.locator(".nbl-text")).to_have_text("ok")
    expect(nan.locator(".nbl-save")).to_have_text("All changes saved")

    out = harness.run_cell(page, 5)
    assert "PROBE {'a': 'x', 'b': 'y', 'c': None} c 0 None" in out, out
    assert dialogs == []
