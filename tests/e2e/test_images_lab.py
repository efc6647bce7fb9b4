"""Image items and multi-label in a real browser: the images notebook from examples/, images
arriving as binary buffers (blob: URLs, never base64), label toggles confirmed with Enter."""

from __future__ import annotations

from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e


def test_images_multi_label(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    harness.open_notebook(page, lab, "examples/images.ipynb")
    harness.run_all(page)

    widget = harness.focus_widget(page, 0)
    expect(widget).to_have_attribute("data-key", "img-05")  # five were labeled from code
    image = widget.locator("img.nbl-image")
    expect(image).to_be_visible()
    assert image.get_attribute("src").startswith("blob:")
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 240
    expect(widget.locator(".nbl-text")).to_have_text("picture 6")

    # toggle circle (1) and triangle (3), untoggle and retoggle square (2 2), confirm
    for key in ("1", "3", "2", "2", "Enter"):
        page.keyboard.press(key)
    expect(widget).to_have_attribute("data-key", "img-06")
    expect(widget.locator("img.nbl-image")).to_be_visible()

    # a greyscale numpy array (img-03) shows too: go back to it with the arrows
    for _ in range(3):
        page.keyboard.press("ArrowLeft")
    expect(widget).to_have_attribute("data-key", "img-03")
    expect(widget.locator("img.nbl-image")).to_be_visible()
    expect(widget.locator('.nbl-label-btn[aria-pressed="true"]')).to_have_count(2)  # labeled from code

    store = nl.Store(lab_root / "examples" / "nblabel.db")
    expect_value = ["circle", "triangle"]
    for _ in range(100):
        events = store.annotations("shapes-demo")
        if len(events) == 6:
            break
        page.wait_for_timeout(50)
    assert events["item_id"].tolist()[-1] == "img-05"
    assert events["value"].tolist()[-1] == expect_value
    assert not dialogs
