"""One JupyterLab + Chromium session for the browser benchmarks: a temp folder with one
notebook, run top to bottom, its widget on screen. Prints SKIP when JupyterLab, Playwright or
Chromium are missing."""

from __future__ import annotations

import contextlib
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "tests" / "e2e") not in sys.path:
    sys.path.insert(0, str(REPO / "tests" / "e2e"))


def available() -> bool:
    """Whether the browser benchmarks can run here (prints why not)."""
    try:
        import harness
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        print(f"SKIP: {exc} (needs tests/e2e/harness.py, playwright, jupyterlab)")
        return False
    if not Path(harness.CHROMIUM).exists():
        print(f"SKIP: {harness.CHROMIUM} not found (apt-get install chromium)")
        return False
    return True


@contextlib.contextmanager
def notebook_page(cells: list[str], prefix: str) -> Iterator[Any]:
    """A Chromium page showing a new notebook of ``cells``, run; the first cell's first output
    line is printed. Everything is removed afterwards."""
    import harness
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        root = tmp / "root"
        harness.write_notebook(root / "bench.ipynb", cells)
        with harness.jupyter_lab(root) as lab, sync_playwright() as pw:
            browser = harness.launch_chromium(pw)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                harness.open_notebook(page, lab, "bench.ipynb")
                harness.run_all(page, timeout=180_000)
                output = harness.cell_output(page, 0).splitlines()
                print(f"# notebook printed: {output[0] if output else '(nothing)'}", flush=True)
                yield page
            finally:
                browser.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

