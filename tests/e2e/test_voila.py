"""Voilà end to end: a notebook served with ``voila nb.ipynb`` (each page load runs it in a new
kernel) shows the widgets, and key presses and mouse drags land in the store."""

from __future__ import annotations

from pathlib import Path

import frontends
import harness
import pytest

pytestmark = pytest.mark.e2e


def serve(tmp_path: Path, source: str):
    return harness.voila(harness.write_notebook(tmp_path / "labeling.ipynb", [source]))


def test_classify_keys_land_in_the_store(front_page, tmp_path: Path, dialogs) -> None:
    db = tmp_path / "labels.db"
    with serve(tmp_path, frontends.classify_source(db)) as server:
        root = harness.open_front_end(front_page, server).first
        frontends.classify_keys_land_in_store(front_page, root, db)
    assert dialogs == []


def test_spans_mouse_drag_lands_in_the_store(front_page, tmp_path: Path) -> None:
    db = tmp_path / "labels.db"
    with serve(tmp_path, frontends.spans_source(db)) as server:
        root = harness.open_front_end(front_page, server).first
        frontends.spans_drag_lands_in_store(front_page, root, db)
