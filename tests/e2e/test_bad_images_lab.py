"""Images that cannot be decoded — a decompression bomb (a 20000×20000 PNG of a few hundred KB),
a truncated JPEG, a file that is not an image — show a placeholder with the reason in Classify
and Boxes, in a real browser; the annotator labels past them, skips them, and every key press
is stored exactly once."""

from __future__ import annotations

import io
import time
from pathlib import Path

import harness
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

SETUP = """\
import pandas as pd, nblabel as nl
df = pd.DataFrame({{"image": ["good.png", "bomb.png", "truncated.jpg", "not-an-image.png", "good.png"]}},
                  index=["good-1", "bomb", "truncated", "pdf", "good-2"])
w = nl.{widget}(df, image="image", labels=["cat", "dog"], task="bad-{widget}", annotator="ana",
                store="bad.db")
w"""


def write_images(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 140, 20)).save(buf, format="PNG")
    (folder / "good.png").write_bytes(buf.getvalue())
    buf = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buf, format="PNG", optimize=True)
    (folder / "bomb.png").write_bytes(buf.getvalue())
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(buf, format="JPEG")
    (folder / "truncated.jpg").write_bytes(buf.getvalue()[:600])
    (folder / "not-an-image.png").write_bytes(b"%PDF-1.4 not pixels at all")


def stored(db: Path, task: str, count: int, timeout: float = 20) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while True:
        store = nl.Store(db)
        try:
            events = store.annotations(task)
        finally:
            store.close()
        rows = [(r.item_id, r.kind) for r in events.itertuples()]
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


@pytest.mark.parametrize("widget", ["Classify", "Boxes"])
def test_undecodable_images_show_the_reason_and_never_block(
    lab, lab_root: Path, lab_page: Page, widget: str
) -> None:
    page = lab_page
    folder = lab_root / f"bad-images-{widget.lower()}"
    write_images(folder)
    harness.write_notebook(folder / "bad.ipynb", [SETUP.format(widget=widget)])
    harness.open_notebook(page, lab, f"{folder.name}/bad.ipynb")
    harness.run_all(page)
    root = harness.focus_widget(page)
    expect(root).to_have_attribute("data-key", "good-1")
    if widget == "Classify":
        page.keyboard.press("1")
    else:  # Enter: this image has no boxes
        page.keyboard.press("Enter")
    reasons = {
        "bomb": "too large to decode safely",
        "truncated": "not a readable image",
        "pdf": "not a readable image",
    }
    for key, reason in reasons.items():
        expect(root).to_have_attribute("data-key", key)
        error = root.locator(".nbl-image-error")
        expect(error).to_be_visible()
        expect(error).to_contain_text(reason)
        expect(root.locator("img")).to_have_count(0)
        page.keyboard.press("s")  # skip it
    expect(root).to_have_attribute("data-key", "good-2")
    expect(root.locator("img").first).to_be_visible()
    expect(root.locator(".nbl-save")).to_have_text("All changes saved")
    rows = stored(folder / "bad.db", f"bad-{widget}", 4)
    assert rows == [("good-1", "label"), ("bomb", "skip"), ("truncated", "skip"), ("pdf", "skip")]
