"""marimo end to end, in ``marimo edit`` (cells run with the Run button) and ``marimo run`` (the
app runs on page load). marimo draws each anywidget inside a shadow root: these tests drag the
mouse over Spans text in there, and check what happens when a browser cannot say where such a
selection is (a notice, and Enter stores nothing the annotator did not choose)."""

from __future__ import annotations

from pathlib import Path

import frontends
import harness
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

#: A browser that cannot read a selection inside a shadow root: without these two calls
#: ``window.getSelection()`` points at the shadow host, as it did before nblabel asked for them.
NO_SHADOW_SELECTION = (
    "delete Selection.prototype.getComposedRanges; delete ShadowRoot.prototype.getSelection;"
)


def serve(tmp_path: Path, source: str, mode: str):
    return harness.marimo(harness.write_marimo_app(tmp_path / "labeling.py", source), mode)


def in_shadow_root(root) -> bool:
    return root.evaluate("(r) => r.getRootNode() instanceof ShadowRoot")


@pytest.mark.parametrize("mode", ["edit", "run"])
def test_classify_keys_land_in_the_store(front_page, tmp_path: Path, mode: str, dialogs) -> None:
    # run: shown through mo.ui.anywidget(w); edit: the widget returned as the cell's value
    db = tmp_path / "labels.db"
    with serve(tmp_path, frontends.classify_source(db, marimo_wrap=mode == "run"), mode) as server:
        root = harness.open_front_end(front_page, server).first
        assert in_shadow_root(root)
        frontends.classify_keys_land_in_store(front_page, root, db)
    assert dialogs == []


@pytest.mark.parametrize("mode", ["edit", "run"])
def test_spans_mouse_drag_lands_in_the_store(front_page, tmp_path: Path, mode: str) -> None:
    db = tmp_path / "labels.db"
    with serve(tmp_path, frontends.spans_source(db, marimo_wrap=mode == "run"), mode) as server:
        root = harness.open_front_end(front_page, server).first
        assert in_shadow_root(root)
        frontends.spans_drag_lands_in_store(front_page, root, db)


def test_unreadable_selection_shows_a_notice_and_enter_stores_nothing_unchosen(
    front_page, tmp_path: Path
) -> None:
    page = front_page
    page.add_init_script(NO_SHADOW_SELECTION)
    db = tmp_path / "labels.db"
    texts = frontends.SPANS_TEXTS
    with serve(tmp_path, frontends.spans_source(db), "edit") as server:
        root = harness.open_front_end(page, server).first
        assert page.evaluate("() => 'getComposedRanges' in Selection.prototype") is False
        notice = root.locator(".nbl-notice")

        # item 0: the drag selects text the widget cannot place: a notice, no span
        harness.focus_root(root)
        page.keyboard.press("1")
        harness.drag_text(page, root, *harness.utf16_span(texts[0], "Dana"))
        expect(notice).to_contain_text("could not be read as text")
        expect(root.locator(".nbl-seg[data-label]")).to_have_count(0)
        # Enter does not store the empty span list: it asks, and the item stays
        page.keyboard.press("Enter")
        expect(notice).to_contain_text("Press Enter again to confirm that it has none")
        expect(root).to_have_attribute("data-key", "0")
        # the keyboard still tags: → puts the cursor on "Meet", → → moves it over the emoji to
        # "Dana", Enter tags it
        for _ in range(3):
            page.keyboard.press("ArrowRight")
        expect(root.locator(".nbl-span-cursor")).to_have_text("Dana")
        page.keyboard.press("Enter")
        expect(root.locator(".nbl-seg[data-label='PER']")).to_have_text("Dana")
        page.keyboard.press("Escape")  # the cursor off: Enter confirms the item
        page.keyboard.press("Enter")
        expect(root).to_have_attribute("data-key", "1")
        # the store holds that one label: the first Enter sent nothing (the kernel commits in order)
        assert frontends.stored_spans(db, 1, 0) == [("Dana", "PER")]

        # item 1: "no entities here", stated on purpose: Enter asks, a second Enter confirms
        page.keyboard.press("Enter")
        expect(notice).to_contain_text("No spans tagged on this item")
        expect(root).to_have_attribute("data-key", "1")
        page.keyboard.press("Enter")
        expect(root).to_have_attribute("data-key", "2")
        assert frontends.label_events(db, frontends.SPANS_TASK, 2)[1] == (1, [], "ana")
