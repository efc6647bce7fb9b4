"""Drive JupyterLab with Debian's Chromium through Playwright (see ``../shared/e2e-recipe.md``).

Reusable outside pytest (the benchmarks import it)::

    from tests.e2e.harness import jupyter_lab, launch_chromium, open_notebook, run_all
    from playwright.sync_api import sync_playwright

    with jupyter_lab(root_dir) as lab, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        open_notebook(page, lab, "quickstart.ipynb")
        run_all(page)

Nothing here sleeps for a fixed time: every wait polls a condition with a deadline and fails
with an error that says what it was waiting for.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "JupyterLab",
    "LabError",
    "browser_launch_args",
    "cell",
    "cell_count",
    "cell_output",
    "cell_types",
    "focus_widget",
    "jupyter_lab",
    "kernel_idle",
    "launch_chromium",
    "menu",
    "open_notebook",
    "restart_kernel",
    "run_all",
    "run_cell",
    "wait_for_execution",
    "write_notebook",
]

#: Debian's Chromium; Playwright's own browsers cannot be downloaded on these machines.
CHROMIUM = os.environ.get("NBLABEL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Generous default deadline (ms) for anything that waits on the kernel or the server.
TIMEOUT_MS = 60_000

STATUSBAR = "#jp-main-statusbar"
#: The notebook in the visible tab (other tabs stay in the DOM, hidden).
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
#: nblabel widgets in that notebook (CSS, usable in Playwright locators and querySelector).
WIDGET = f"{NOTEBOOK} .nbl-root"
IDLE_TEXT = "(ipykernel) | Idle"


#: Talks to the local server directly, whatever http_proxy says.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LabError(RuntimeError):
    """JupyterLab did not start, or the page did not reach the state waited for."""


# ----------------------------------------------------------------------------- server
class JupyterLab:
    """A running JupyterLab server (see :func:`jupyter_lab`)."""

    def __init__(
        self, root_dir: Path, port: int, token: str, process: subprocess.Popen, home: Path, log_path: Path
    ) -> None:
        self.root_dir = root_dir
        self.port = port
        self.token = token
        self.process = process
        self.home = home  # JUPYTER_CONFIG_DIR/DATA_DIR/RUNTIME_DIR live here
        self.log_path = log_path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path: str = "") -> str:
        """The URL that opens ``path`` (relative to ``root_dir``) in JupyterLab, with the token."""
        tree = f"/tree/{quote(path)}" if path else ""
        # reset: start from an empty workspace, not the tabs an earlier page left open
        return f"{self.url}/lab{tree}?token={self.token}&reset"

    def api(self, path: str, method: str = "GET", body: Any = None, timeout: float = 10) -> Any:
        """Call the server's REST API (``path`` like ``/api/kernels``); JSON in, JSON out."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        with _OPENER.open(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None

    def kernels(self) -> list[dict[str, Any]]:
        return self.api("/api/kernels")

    def shutdown_kernels(self) -> None:
        """Stop every running kernel and session (between tests, to spare CPU)."""
        for session in self.api("/api/sessions"):
            with contextlib.suppress(urllib.error.URLError):
                self.api(f"/api/sessions/{session['id']}", method="DELETE")
        for kernel in self.kernels():
            with contextlib.suppress(urllib.error.URLError):
                self.api(f"/api/kernels/{kernel['id']}", method="DELETE")

    def log(self) -> str:
        """The server's output so far (for error messages)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_lab(
    root_dir: str | os.PathLike[str],
    *,
    timeout: float = 90,
    env: dict[str, str] | None = None,
    extra_args: list[str] | None = None,
) -> Iterator[JupyterLab]:
    """Start JupyterLab on ``root_dir`` and stop it (with its kernels) on exit.

    127.0.0.1, a free port, a random token, its own config/data/runtime dirs in a temp dir,
    the news toast off, its own process group; ready when ``/api/status`` answers.
    """
    root = Path(root_dir).resolve()
    if not root.is_dir():
        raise LabError(f"root_dir {root} is not a directory")
    home = Path(tempfile.mkdtemp(prefix="nblabel-lab-"))
    config_dir, data_dir, runtime_dir = home / "config", home / "data", home / "runtime"
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    data_dir.mkdir()
    runtime_dir.mkdir()

    port = free_port()
    token = secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp: lets helpers read the notebook model (cell count and types)
        "--LabApp.expose_app_in_browser=True",
        *(extra_args or []),
    ]
    proc_env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_DATA_DIR": str(data_dir),
        "JUPYTER_RUNTIME_DIR": str(runtime_dir),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    log_path = home / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed in finally
    process = subprocess.Popen(
        cmd,
        cwd=root,
        env=proc_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    lab = JupyterLab(root_dir=root, port=port, token=token, process=process, home=home, log_path=log_path)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise LabError(f"JupyterLab exited with code {process.returncode}:\n{lab.log()[-4000:]}")
            try:
                lab.api("/api/status", timeout=2)
                break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise LabError(
                    f"JupyterLab did not answer /api/status within {timeout}s:\n{lab.log()[-4000:]}"
                )
            time.sleep(0.1)
        yield lab
    finally:
        _stop(process)
        log.close()
        import shutil

        shutil.rmtree(home, ignore_errors=True)


def _stop(process: subprocess.Popen, grace: float = 15) -> None:
    """SIGTERM the server's process group (it stops its kernels), SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    try:
        pgid = os.getpgid(process.pid)
    except ProcessLookupError:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        process.wait(5)
    # kernels are in the same group; make sure none outlives the server
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


# ----------------------------------------------------------------------------- browser
def browser_launch_args(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch`` (and pytest-playwright's
    ``browser_type_launch_args`` fixture)."""
    if not Path(CHROMIUM).exists():
        raise LabError(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)")
    return {"executable_path": CHROMIUM, "args": list(CHROMIUM_ARGS), "headless": True, **overrides}


def launch_chromium(playwright: Any, **overrides: Any) -> Any:
    """Launch Debian's Chromium with the recipe's flags; returns a Playwright ``Browser``."""
    return playwright.chromium.launch(**browser_launch_args(**overrides))


# ----------------------------------------------------------------------------- notebook
def kernel_idle(page: Any, timeout: float = TIMEOUT_MS) -> None:
    """Wait until the status bar says ``(ipykernel) | Idle`` (a kernel exists and is idle)."""
    from playwright.sync_api import expect

    expect(page.locator(STATUSBAR), f"kernel never became idle ({IDLE_TEXT})").to_contain_text(
        IDLE_TEXT, timeout=timeout
    )


def open_notebook(page: Any, lab: JupyterLab, path: str, timeout: float = TIMEOUT_MS) -> None:
    """Open ``path`` in JupyterLab in ``page`` and wait for its kernel to be idle.

    A notebook without kernel metadata makes JupyterLab ask for a kernel: the dialog's default
    (the Python kernel) is accepted.
    """
    page.goto(lab.lab_url(path), timeout=timeout)
    page.locator(NOTEBOOK).first.wait_for(state="visible", timeout=timeout)
    page.wait_for_function("() => !!window.jupyterapp", timeout=timeout)
    status = page.locator(STATUSBAR)
    select = page.locator(".jp-Dialog", has_text="Select Kernel")
    deadline = time.monotonic() + timeout / 1000
    while IDLE_TEXT not in (status.text_content() or ""):
        if select.count() and select.first.is_visible():
            select.first.locator("button.jp-mod-accept").click()
        if time.monotonic() > deadline:
            raise LabError(
                f"the kernel of {path} never became idle ({IDLE_TEXT}); status bar: {status.text_content()!r}"
            )
        page.wait_for_timeout(100)


def write_notebook(path: str | os.PathLike[str], cells: list[str | tuple[str, str]]) -> Path:
    """Write a notebook of ``cells`` (code source, or ``("markdown", source)``) with Python
    kernel metadata, so JupyterLab starts its kernel without asking."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for cell in cells:
        if isinstance(cell, tuple) and cell[0] == "markdown":
            nb.cells.append(nbformat.v4.new_markdown_cell(cell[1]))
        else:
            nb.cells.append(nbformat.v4.new_code_cell(cell if isinstance(cell, str) else cell[1]))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


_EXEC_STATE = """
() => {
  const nb = window.jupyterapp?.shell?.currentWidget?.content;
  if (!nb || !nb.model) return null;
  const cells = [];
  for (let i = 0; i < nb.model.cells.length; i++) {
    const m = nb.model.cells.get(i);
    cells.push({type: m.type, count: m.type === 'code' ? m.executionCount : null,
                pending: m.type === 'code' && m.executionState === 'running',
                error: m.type === 'code' && Array.from({length: m.outputs.length},
                  (_, j) => m.outputs.get(j).type).includes('error')});
  }
  return cells;
}
"""


def _cells(page: Any) -> list[dict[str, Any]]:
    cells = page.evaluate(_EXEC_STATE)
    if cells is None:
        raise LabError("no notebook is the current widget")
    return cells


def cell_count(page: Any) -> int:
    """Number of cells in the current notebook (from its model)."""
    return len(_cells(page))


def cell_types(page: Any) -> list[str]:
    """Cell types (``code``/``markdown``/``raw``) of the current notebook, in order."""
    return [c["type"] for c in _cells(page)]


def wait_for_execution(
    page: Any, cells: list[int] | None = None, timeout: float = TIMEOUT_MS, *, fail_on_error: bool = True
) -> None:
    """Wait until the given code cells (default: all) have run (a number in their prompt, not
    running) and the kernel is idle. With ``fail_on_error`` a cell that raised is a
    :class:`LabError` carrying its traceback (the kernel skips the cells queued after it)."""
    deadline = time.monotonic() + timeout / 1000
    last: Any = None
    while True:
        state = _cells(page)
        picked = [state[i] for i in cells] if cells is not None else state
        code = [c for c in picked if c["type"] == "code"]
        if all(c["count"] is not None and not c["pending"] for c in code):
            break
        if fail_on_error:
            failed = [i for i, c in enumerate(state) if c["error"] and not c["pending"]]
            if failed and not any(c["pending"] for c in code):
                raise LabError(f"cell {failed[0]} raised:\n{cell_output(page, failed[0])[-3000:]}")
        last = code
        if time.monotonic() > deadline:
            raise LabError(f"cells did not finish running within {timeout / 1000}s: {last}")
        page.wait_for_timeout(50)
    kernel_idle(page, timeout)


def run_all(page: Any, timeout: float = TIMEOUT_MS) -> None:
    """Menu Run → Run All Cells, then wait until every code cell has run."""
    kernel_idle(page, timeout)
    _clear_counts(page)
    menu(page, "Run", "Run All Cells")
    wait_for_execution(page, timeout=timeout)


def menu(page: Any, title: str, item: str) -> None:
    """Click ``title`` in JupyterLab's menu bar, then the item labelled exactly ``item``."""
    exact = lambda text: re.compile(f"^{re.escape(text)}$")  # noqa: E731
    page.locator(".lm-MenuBar-itemLabel").filter(has_text=exact(title)).first.click()
    entry = page.locator(".lm-Menu-item").filter(
        has=page.locator(".lm-Menu-itemLabel").filter(has_text=exact(item))
    )
    entry.first.click()


def _clear_counts(page: Any) -> None:
    """Forget execution counts so waits see the new run (the model keeps old ones)."""
    page.evaluate(
        """() => { const nb = window.jupyterapp.shell.currentWidget.content;
                   for (let i = 0; i < nb.model.cells.length; i++) {
                     const m = nb.model.cells.get(i); if (m.type === 'code') m.executionCount = null; } }"""
    )


def cell(page: Any, index: int) -> Any:
    """Locator of cell ``index`` of the notebook in the visible tab."""
    return page.locator(f"{NOTEBOOK} .jp-Cell").nth(index)


def run_cell(page: Any, index: int, timeout: float = TIMEOUT_MS) -> str:
    """Run cell ``index`` (click its input, Control+Enter) and return its output text."""
    kernel_idle(page, timeout)
    page.evaluate(
        """(i) => { const nb = window.jupyterapp.shell.currentWidget.content;
                    nb.model.cells.get(i).executionCount = null; nb.activeCellIndex = i;
                    nb.scrollToItem(i); }""",
        index,
    )
    cell(page, index).locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    wait_for_execution(page, [index], timeout, fail_on_error=False)
    return cell_output(page, index)


def cell_output(page: Any, index: int) -> str:
    """Text of cell ``index``'s output area (``""`` when it has none)."""
    area = cell(page, index).locator(".jp-OutputArea")
    if area.count() == 0:
        return ""
    return area.first.inner_text()


def restart_kernel(page: Any, timeout: float = TIMEOUT_MS) -> None:
    """Menu Kernel → Restart Kernel…, accept the dialog, wait for a new idle kernel."""
    from playwright.sync_api import expect

    kernel_idle(page, timeout)
    # the status bar still says Idle for a moment after the dialog closes: watch for the restart
    page.evaluate(
        """() => { window.__nblRestarted = false;
                   const ctx = window.jupyterapp.shell.currentWidget.sessionContext;
                   const seen = (_, status) => {
                     if (status === 'restarting' || status === 'autorestarting') {
                       window.__nblRestarted = true; ctx.statusChanged.disconnect(seen); } };
                   ctx.statusChanged.connect(seen); }"""
    )
    menu(page, "Kernel", "Restart Kernel…")
    dialog = page.locator(".jp-Dialog")
    dialog.locator("button.jp-mod-accept").click()
    expect(dialog).to_have_count(0, timeout=timeout)
    page.wait_for_function("() => window.__nblRestarted === true", timeout=timeout)
    kernel_idle(page, timeout)


def focus_widget(page: Any, index: int = 0, selector: str = ".nbl-root") -> Any:
    """Click the widget's own padding (not a button) so it takes the keyboard; returns it."""
    from playwright.sync_api import expect

    root = page.locator(f"{NOTEBOOK} {selector}").nth(index)
    root.scroll_into_view_if_needed()
    root.click(position={"x": 4, "y": 4})
    expect(root).to_be_focused()
    return root


def wait_for_events(
    db: str | os.PathLike[str],
    task: str,
    count: int,
    kinds: tuple[str, ...] = ("label",),
    timeout: float = 30,
) -> Any:
    """Poll the store file (from the test's process) until it holds ``count`` events of
    ``kinds`` for ``task``; returns those events (the store's annotations frame)."""
    import nblabel as nl

    deadline = time.monotonic() + timeout
    while True:
        store = nl.Store(db)
        try:
            frame = store.annotations(task)
        finally:
            store.close()
        events = frame[frame["kind"].isin(kinds)]
        if len(events) >= count:
            return events
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{len(events)} {'/'.join(kinds)} events of {task!r} in {db}, expected {count}"
            )
        time.sleep(0.05)
