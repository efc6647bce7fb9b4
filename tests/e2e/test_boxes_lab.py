"""Boxes end to end in JupyterLab + Chromium: a box dragged at known screen coordinates on a
known image lands in the store within one image pixel, at two zoom levels; move, resize,
relabel and delete by mouse and keyboard; a broken image shows a placeholder and can be skipped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "boxes.png"

SETUP = """\
from pathlib import Path
import numpy as np
import pandas as pd
from PIL import Image
import nblabel as nl

# a 640x480 test card (big enough to zoom) and an EXIF-rotated photo: stored 300x200, shown 200x300
card = np.zeros((480, 640, 3), dtype=np.uint8); card[:, :, 0] = np.arange(640) % 256; card[:, :, 1] = 90
Image.fromarray(card).save("card.png")
photo = Image.new("RGB", (300, 200), "teal"); exif = photo.getexif(); exif[0x0112] = 6
photo.save("rotated.jpg", exif=exif.tobytes())
Path("broken.png").write_bytes(b"not an image")
df = pd.DataFrame({"image": ["card.png", "rotated.jpg", "broken.png"]},
                  index=pd.Index(["card", "rotated", "broken"], name="iid"))
w = nl.Boxes(df, image="image", labels=["car", "person"], task="detect", annotator="ana", store="boxes.db")
w
"""


def view(page: Page) -> dict:
    """The canvas's place on screen and its view transform (image px -> canvas px)."""
    return page.locator(f"{harness.WIDGET} .nbl-box-canvas").evaluate(
        "(c) => { const r = c.getBoundingClientRect();"
        " return {left: r.left, top: r.top, scale: +c.dataset.scale, tx: +c.dataset.tx, ty: +c.dataset.ty}; }"
    )


def screen(v: dict, x: float, y: float) -> tuple[float, float]:
    return v["left"] + v["tx"] + x * v["scale"], v["top"] + v["ty"] + y * v["scale"]


def drag(page: Page, a: tuple[float, float], b: tuple[float, float]) -> None:
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move((a[0] + b[0]) / 2, (a[1] + b[1]) / 2, steps=5)
    page.mouse.move(*b, steps=5)
    page.mouse.up()


def stored(db: Path, count: int) -> list:
    done = harness.wait_for_events(db, "detect", count, kinds=("label", "skip"))
    return list(zip(done["item_id"], done["kind"], done["value"], strict=True))


def test_boxes_drawn_by_mouse_land_within_a_pixel(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    folder = lab_root / "boxes"
    harness.write_notebook(folder / "boxes.ipynb", [SETUP])
    harness.open_notebook(page, lab, "boxes/boxes.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "card")
    expect(widget.locator(".nbl-box-image")).to_have_js_property("complete", True)
    harness.focus_widget(page)

    # fitted view: a car from (50, 40) to (250, 200)
    v = view(page)
    assert v["scale"] < 1.5
    drag(page, screen(v, 50, 40), screen(v, 250, 200))
    expect(widget.locator(".nbl-box")).to_have_count(1)
    # zoom in twice (+), then a person from (300, 100) to (420, 380) at the new scale
    page.keyboard.press("+")
    page.keyboard.press("+")
    v2 = view(page)
    assert v2["scale"] == pytest.approx(v["scale"] * 1.5625)
    page.keyboard.press("Escape")  # the new box stays selected (a label key would relabel it)
    page.keyboard.press("2")  # person, for the next box
    v2 = view(page)
    drag(page, screen(v2, 300, 100), screen(v2, 420, 380))
    expect(widget.locator(".nbl-box")).to_have_count(2)
    page.keyboard.press("0")  # fit again
    v = view(page)

    # move the car by mouse by (+20, +10), resize the person's south-east corner by (-20, -30)
    drag(page, screen(v, 150, 120), screen(v, 170, 130))
    widget.locator(".nbl-box-pick").nth(1).click()
    harness.focus_widget(page)
    v = view(page)
    drag(page, screen(v, 420, 380), screen(v, 400, 350))
    # keyboard: nudge the person right by 10 (Shift+arrow) and relabel it car, then back to person
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("1")
    page.keyboard.press("2")
    # a third box, deleted again with Delete
    drag(page, screen(v, 500, 50), screen(v, 600, 100))
    expect(widget.locator(".nbl-box")).to_have_count(3)
    page.keyboard.press("Delete")
    expect(widget.locator(".nbl-box")).to_have_count(2)
    # a click is a first corner; a second click finishes a two-click box (then deleted again)
    page.mouse.click(*screen(v, 500, 300))
    expect(widget.locator(".nbl-box-corner")).to_have_count(1)
    page.mouse.click(*screen(v, 560, 400))
    expect(widget.locator(".nbl-box")).to_have_count(3)
    expect(widget.locator(".nbl-box-row").nth(2)).to_contain_text("60×100 at 500, 300")
    page.keyboard.press("Delete")
    expect(widget.locator(".nbl-box")).to_have_count(2)
    # the wheel zooms at the cursor (the image point under it stays put); Space+drag pans
    cx, cy = screen(v, 320, 240)
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -300)
    zoomed = "(s) => +document.querySelector('.nbl-box-canvas').dataset.scale > s"
    page.wait_for_function(zoomed, arg=v["scale"])
    z = view(page)
    assert screen(z, 320, 240) == pytest.approx((cx, cy), abs=1.0)
    page.keyboard.down(" ")
    drag(page, (cx, cy), (cx - 100, cy - 50))
    page.keyboard.up(" ")
    panned = view(page)
    assert (panned["tx"] - z["tx"], panned["ty"] - z["ty"]) == pytest.approx((-100, -50), abs=1.0)
    expect(widget.locator(".nbl-box")).to_have_count(2)  # panning drew nothing
    page.keyboard.press("0")
    v = view(page)
    # a box under 2 px is not kept
    drag(page, screen(v, 10, 10), screen(v, 11, 11))
    expect(widget.locator(".nbl-box")).to_have_count(2)
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "rotated")

    db = folder / "boxes.db"
    ((item, kind, value),) = stored(db, 1)
    assert (item, kind) == ("card", "label")
    expected = [(70, 50, 200, 160, "car"), (310, 100, 100, 250, "person")]
    assert len(value) == 2
    for box, (x, y, w, h, label) in zip(value, expected, strict=True):
        assert box["label"] == label
        for got, want in zip((box["x"], box["y"], box["w"], box["h"]), (x, y, w, h), strict=True):
            assert abs(got - want) <= 1.0, (box, (x, y, w, h))

    # the EXIF-rotated photo is shown upright: 200 wide, 300 high
    expect(widget.locator(".nbl-box-svg")).to_have_attribute("viewBox", "0 0 200 300")
    v = view(page)
    drag(page, screen(v, 20, 30), screen(v, 180, 280))
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "broken")
    # a broken image: a placeholder that says why, and the item can be skipped
    expect(widget.locator(".nbl-image-error")).to_contain_text("not a readable image")
    page.keyboard.press("s")
    expect(widget).to_have_attribute("data-state", "done")
    events = stored(db, 3)
    rotated = events[1][2][0]
    assert rotated["x"] + rotated["w"] <= 200 and rotated["y"] + rotated["h"] <= 300
    assert abs(rotated["w"] - 160) <= 1 and abs(rotated["h"] - 250) <= 1
    assert events[2][:2] == ("broken", "skip")
    assert dialogs == []
    print(json.dumps(value))


STREET = """\
import pandas as pd
import nblabel as nl
df = pd.DataFrame({"path": ["../examples/data/street/street1.jpg"]}, index=["street1"])
df["model"] = [[{"x": 304, "y": 217, "w": 78, "h": 42, "label": "car"},
                {"x": 264, "y": 138, "w": 20, "h": 70, "label": "person"},
                {"x": 20, "y": 20, "w": 60, "h": 40, "label": "car"}]]
w = nl.Boxes(df, image="path", labels=["car", "person"], task="street", annotator="ana", store="street.db",
             suggestions="model")
w
"""


def test_suggestions_duplicate_hide_lock_undo(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    folder = lab_root / "boxes-street"
    harness.write_notebook(folder / "street.ipynb", [STREET])
    harness.open_notebook(page, lab, "boxes-street/street.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "street1")
    expect(widget.locator(".nbl-box-suggested")).to_have_count(3)
    harness.focus_widget(page)
    v = view(page)
    # accept the car as suggested, accept the person relabeled "car" then back, reject the third
    page.mouse.click(*screen(v, 304 + 39, 217 + 2))  # on the car's outline area
    page.keyboard.press("Enter")
    expect(widget.locator(".nbl-box-suggested")).to_have_count(2)
    page.mouse.click(*screen(v, 264 + 10, 138 + 35))
    page.keyboard.press("2")  # accepted as person
    page.mouse.click(*screen(v, 20 + 30, 20 + 20))
    page.keyboard.press("Delete")  # rejected
    expect(widget.locator(".nbl-box-suggested")).to_have_count(0)
    expect(widget.locator(".nbl-box:not(.nbl-box-suggested)")).to_have_count(2)
    # duplicate the person (Shift+D), then undo it (Backspace), redo (Shift+Backspace), undo again
    page.mouse.click(*screen(v, 264 + 10, 138 + 35))
    page.keyboard.press("Shift+D")
    expect(widget.locator(".nbl-box-row")).to_have_count(3)
    page.keyboard.press("Escape")
    page.keyboard.press("Backspace")
    expect(widget.locator(".nbl-box-row")).to_have_count(2)
    page.keyboard.press("Shift+Backspace")
    expect(widget.locator(".nbl-box-row")).to_have_count(3)
    page.keyboard.press("Backspace")
    expect(widget.locator(".nbl-box-row")).to_have_count(2)
    # lock the car: a drag on it no longer moves it; hide and show it from the list
    page.mouse.click(*screen(v, 304 + 39, 217 + 20))
    page.keyboard.press("Shift+L")
    drag(page, screen(v, 304 + 39, 217 + 20), screen(v, 304 + 80, 217 + 40))
    widget.locator(".nbl-box-row").nth(0).locator("[data-toggle='hidden']").click()
    expect(widget.locator(".nbl-box:not(.nbl-box-suggested)")).to_have_count(1)
    widget.locator(".nbl-box-row").nth(0).locator("[data-toggle='hidden']").click()
    expect(widget.locator(".nbl-box:not(.nbl-box-suggested)")).to_have_count(2)
    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "boxes.png"
    widget.screenshot(path=str(shot), animations="disabled")
    harness.focus_widget(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-state", "done")
    # (the browser moves on before the kernel commits: wait for the store)
    frame = harness.wait_for_events(folder / "street.db", "street", 1)
    value, record = frame["value"].iloc[0], frame["suggestion"].iloc[0]
    assert [(b["x"], b["y"], b["w"], b["h"], b["label"]) for b in value] == [
        (304, 217, 78, 42, "car"),  # locked: the drag did not move it
        (264, 138, 20, 70, "person"),
    ]
    assert (record["accepted"], record["adjusted"], record["rejected"]) == ([0, 1], [], [2])
