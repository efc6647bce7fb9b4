"""Notebook 7 end to end (``jupyter notebook``): Run All Cells shows the widgets, key presses
and mouse drags land in the store, and the widget's keys never reach the notebook's command
mode (a "1" there would turn the cell into a heading)."""

from __future__ import annotations

from collections.abc import Iterator

import frontends
import harness
import pytest

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def notebook_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.FrontEnd]:
    with harness.jupyter_notebook(tmp_path_factory.mktemp("nb7")) as server:
        yield server


def open_widget(page, server: harness.FrontEnd, name: str, source: str):
    harness.write_notebook(server.root_dir / name / "labeling.ipynb", [source])
    return harness.open_front_end(page, server, f"{name}/labeling.ipynb").first


def test_classify_keys_land_in_the_store(front_page, notebook_server, dialogs) -> None:
    db = notebook_server.root_dir / "classify" / "labels.db"
    root = open_widget(front_page, notebook_server, "classify", frontends.classify_source(db))
    frontends.classify_keys_land_in_store(front_page, root, db)
    assert harness.cell_types(front_page) == ["code"]  # the keys stayed in the widget
    assert dialogs == []


def test_spans_mouse_drag_lands_in_the_store(front_page, notebook_server) -> None:
    db = notebook_server.root_dir / "spans" / "labels.db"
    root = open_widget(front_page, notebook_server, "spans", frontends.spans_source(db))
    frontends.spans_drag_lands_in_store(front_page, root, db)
    assert harness.cell_types(front_page) == ["code"]
