"""Fixtures for the end-to-end tests: one JupyterLab server per session on a temp copy of the
notebooks, Debian's Chromium through pytest-playwright, and a page with generous timeouts."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
if str(HERE) not in sys.path:  # `import harness` whatever pytest's import mode
    sys.path.insert(0, str(HERE))

import harness  # noqa: E402


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the end-to-end tests last. pytest-playwright keeps Playwright's event loop running in
    the main thread from its first browser test to the end of the session, and code that asks
    ``asyncio.get_running_loop()`` (the widget's retry timer, ``asyncio.run`` in unit tests)
    would find it; the unit and notebook tests therefore run before it starts."""
    items.sort(key=lambda item: HERE in Path(str(item.path)).resolve().parents)


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The server's root: ``examples/`` (copied) and one folder per generated notebook."""
    root = tmp_path_factory.mktemp("lab")
    shutil.copytree(
        REPO / "examples",
        root / "examples",
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "nblabel.db*", "*.jsonl"),
    )
    return root


@pytest.fixture(scope="session")
def lab(lab_root: Path) -> Iterator[harness.JupyterLab]:
    with harness.jupyter_lab(lab_root) as server:
        yield server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright: launch /usr/bin/chromium with the recipe's flags (no download)."""
    return {**browser_type_launch_args, **harness.browser_launch_args()}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}, "color_scheme": "light"}


@pytest.fixture
def dialogs(page) -> list[tuple[str, str]]:
    """Every alert/confirm/prompt the page opens (each is dismissed): ``(type, message)``."""
    seen: list[tuple[str, str]] = []

    def on_dialog(dialog) -> None:
        seen.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return seen


@pytest.fixture
def lab_page(page, lab: harness.JupyterLab, dialogs):
    """A page with generous timeouts (dialogs recorded); stops the kernels afterwards."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(60_000)
    yield page
    lab.shutdown_kernels()


@pytest.fixture
def front_page(page, dialogs):
    """A page for the other front ends' tests (Notebook 7, Voilà, marimo): the same generous
    timeouts as ``lab_page``, dialogs recorded; each test starts its own server."""
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    page.set_default_timeout(30_000)
    page.set_default_navigation_timeout(60_000)
    return page
