"""Drive JupyterLab (and Notebook 7, Voilà, marimo) with Debian's Chromium through Playwright.

Reusable outside pytest (the benchmarks import it)::

    from tests.e2e.harness import jupyter_lab, launch_chromium, open_notebook, run_all
    from playwright.sync_api import sync_playwright

    with jupyter_lab(root_dir) as lab, sync_playwright() as pw:
        browser = launch_chromium(pw)
        page = browser.new_page()
        open_notebook(page, lab, "quickstart.ipynb")
        run_all(page)

The other front ends the README names start the same way (own port, token, config dirs and
process group) and open with :func:`open_front_end`::

    with jupyter_notebook(root_dir) as server:      # Notebook 7
        roots = open_front_end(page, server, "nb.ipynb")
    with voila(notebook_path) as server:            # voila nb.ipynb
        roots = open_front_end(page, server)
    with marimo(app_path, "edit") as server:        # marimo edit / marimo run (write_marimo_app)
        roots = open_front_end(page, server)

Nothing here sleeps for a fixed time: every wait polls a condition with a deadline and fails
with an error that says what it was waiting for.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "FrontEnd",
    "JupyterLab",
    "LabError",
    "browser_launch_args",
    "cell",
    "cell_count",
    "cell_output",
    "cell_types",
    "drag_text",
    "focus_root",
    "focus_widget",
    "jupyter_lab",
    "jupyter_notebook",
    "kernel_idle",
    "launch_chromium",
    "marimo",
    "menu",
    "notebook_kernel_idle",
    "open_front_end",
    "open_notebook",
    "restart_kernel",
    "run_all",
    "run_cell",
    "text_char_boxes",
    "utf16_span",
    "voila",
    "wait_for_execution",
    "write_marimo_app",
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
    root = _root(root_dir)
    home, proc_env = _jupyter_home("nblabel-lab-", env)
    port = free_port()
    token = secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        *_jupyter_server_args(root, port, token),
        "--LabApp.news_url=None",
        "--LabApp.extension_manager=readonly",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        # window.jupyterapp: lets helpers read the notebook model (cell count and types)
        "--LabApp.expose_app_in_browser=True",
        *(extra_args or []),
    ]
    url = f"http://127.0.0.1:{port}"
    ready = _answers(f"{url}/api/status", {"Authorization": f"token {token}"})
    with _launch("JupyterLab", "answer /api/status", cmd, root, proc_env, home, ready, timeout) as (
        process,
        log_path,
    ):
        yield JupyterLab(root_dir=root, port=port, token=token, process=process, home=home, log_path=log_path)


def _root(root_dir: str | os.PathLike[str]) -> Path:
    root = Path(root_dir).resolve()
    if not root.is_dir():
        raise LabError(f"root_dir {root} is not a directory")
    return root


def _jupyter_home(prefix: str, env: dict[str, str] | None) -> tuple[Path, dict[str, str]]:
    """A temp dir with the server's own JUPYTER_CONFIG_DIR/DATA_DIR/RUNTIME_DIR (the news toast
    off), and the environment that points the server at them."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    config_dir, data_dir, runtime_dir = home / "config", home / "data", home / "runtime"
    settings = config_dir / "lab" / "user-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    data_dir.mkdir()
    runtime_dir.mkdir()
    proc_env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_DATA_DIR": str(data_dir),
        "JUPYTER_RUNTIME_DIR": str(runtime_dir),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    return home, proc_env


def _jupyter_server_args(root: Path, port: int, token: str) -> list[str]:
    """A Jupyter server on 127.0.0.1:``port`` only, with ``token``, serving ``root``."""
    return [
        "--no-browser",
        "--allow-root",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]


def _answers(url: str, headers: dict[str, str] | None = None) -> Callable[[], bool]:
    """A readiness check: ``url`` answers with a success (after redirects)."""

    def check() -> bool:
        request = urllib.request.Request(url, headers=headers or {})
        with _OPENER.open(request, timeout=2) as response:
            response.read()
        return True

    return check


@contextlib.contextmanager
def _launch(
    name: str,
    what: str,
    cmd: list[str],
    cwd: Path,
    env: dict[str, str],
    home: Path,
    ready: Callable[[], bool],
    timeout: float,
) -> Iterator[tuple[subprocess.Popen, Path]]:
    """Run the server ``cmd`` in its own process group (output in ``home/server.log``) and wait
    until ``ready()`` (``what`` it waits for, in errors); on exit stop the group and remove
    ``home``."""
    log_path = home / "server.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed in finally
    process: subprocess.Popen | None = None
    tail = lambda: log_path.read_text(errors="replace")[-4000:]  # noqa: E731
    try:
        process = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise LabError(f"{name} exited with code {process.returncode}:\n{tail()}")
            try:
                if ready():
                    break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if time.monotonic() > deadline:
                raise LabError(f"{name} did not {what} within {timeout}s:\n{tail()}")
            time.sleep(0.1)
        yield process, log_path
    finally:
        if process is not None:
            _stop(process)
        log.close()
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
    page: Any,
    cells: list[int] | None = None,
    timeout: float = TIMEOUT_MS,
    *,
    fail_on_error: bool = True,
    idle: Callable[[Any, float], None] | None = None,
) -> None:
    """Wait until the given code cells (default: all) have run (a number in their prompt, not
    running) and the kernel is idle (``idle(page, timeout)`` waits for that: JupyterLab's status
    bar by default, :func:`notebook_kernel_idle` in Notebook 7). With ``fail_on_error`` a cell
    that raised is a :class:`LabError` carrying its traceback (the kernel skips the cells queued
    after it)."""
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
    (idle or kernel_idle)(page, timeout)


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


# ----------------------------------------------------------------------------- other front ends
class FrontEnd:
    """A running Notebook 7, Voilà or marimo server (see :func:`jupyter_notebook`, :func:`voila`,
    :func:`marimo`). ``kind`` is ``notebook``, ``voila``, ``marimo-edit`` or ``marimo-run``."""

    def __init__(
        self, kind: str, root_dir: Path, port: int, token: str, process: subprocess.Popen, log_path: Path
    ) -> None:
        self.kind = kind
        self.root_dir = root_dir
        self.port = port
        self.token = token
        self.process = process
        self.log_path = log_path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def page_url(self, path: str = "") -> str:
        """The URL a person opens (with the token): in Notebook 7 the notebook at ``path``
        (relative to ``root_dir``); in Voilà and marimo the one notebook or app served."""
        if self.kind == "notebook":
            return f"{self.url}/notebooks/{quote(path)}?token={self.token}"
        if self.kind == "voila":
            return f"{self.url}/?token={self.token}"
        return f"{self.url}/?access_token={self.token}"

    def log(self) -> str:
        """The server's output so far (for error messages)."""
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""


@contextlib.contextmanager
def jupyter_notebook(
    root_dir: str | os.PathLike[str], *, timeout: float = 90, env: dict[str, str] | None = None
) -> Iterator[FrontEnd]:
    """Start Notebook 7 (``jupyter notebook``) on ``root_dir``, as :func:`jupyter_lab` starts
    JupyterLab (``window.jupyterapp`` exposed); stopped with its kernels on exit."""
    root = _root(root_dir)
    home, proc_env = _jupyter_home("nblabel-nb7-", env)
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "notebook",
        *_jupyter_server_args(root, port, token),
        "--JupyterNotebookApp.expose_app_in_browser=True",
    ]
    ready = _answers(f"http://127.0.0.1:{port}/api/status", {"Authorization": f"token {token}"})
    with _launch("Notebook 7", "answer /api/status", cmd, root, proc_env, home, ready, timeout) as (
        proc,
        log,
    ):
        yield FrontEnd("notebook", root, port, token, proc, log)


@contextlib.contextmanager
def voila(
    notebook: str | os.PathLike[str], *, timeout: float = 90, env: dict[str, str] | None = None
) -> Iterator[FrontEnd]:
    """Start Voilà on one notebook (``voila nb.ipynb``): 127.0.0.1, a free port, a token, its own
    Jupyter dirs; each page load runs the notebook in a new kernel. Stopped on exit."""
    path = Path(notebook).resolve()
    if not path.is_file():
        raise LabError(f"notebook {path} does not exist")
    home, proc_env = _jupyter_home("nblabel-voila-", env)
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(path),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        f"--token={token}",
        "--show_tracebacks=True",
    ]
    # /api/status is not Voilà's: any page that answers (here the login redirect) means it serves
    ready = _answers(f"http://127.0.0.1:{port}/api/status")
    with _launch("Voilà", "answer HTTP", cmd, path.parent, proc_env, home, ready, timeout) as (proc, log):
        yield FrontEnd("voila", path.parent, port, token, proc, log)


@contextlib.contextmanager
def marimo(
    app: str | os.PathLike[str],
    mode: str = "edit",
    *,
    timeout: float = 90,
    env: dict[str, str] | None = None,
) -> Iterator[FrontEnd]:
    """Start ``marimo edit`` (``mode="edit"``) or ``marimo run`` on the app file ``app``:
    headless, 127.0.0.1, a free port, a token, marimo's config/state/cache dirs in a temp dir,
    the app's folder as working directory. Stopped (with its kernel) on exit."""
    if mode not in ("edit", "run"):
        raise ValueError(f"mode must be 'edit' or 'run', not {mode!r}")
    path = Path(app).resolve()
    if not path.is_file():
        raise LabError(f"marimo app {path} does not exist")
    home = Path(tempfile.mkdtemp(prefix=f"nblabel-marimo-{mode}-"))
    proc_env = {
        **os.environ,
        **{f"XDG_{what}_HOME": str(home / what.lower()) for what in ("CONFIG", "STATE", "CACHE", "DATA")},
        "PYTHONUNBUFFERED": "1",
        **(env or {}),
    }
    port, token = free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable,
        "-m",
        "marimo",
        "-y",
        mode,
        str(path),
        "--headless",
        "--host=127.0.0.1",
        f"--port={port}",
        f"--token-password={token}",
        "--no-sandbox",
        *(["--skip-update-check"] if mode == "edit" else []),
    ]
    ready = _answers(f"http://127.0.0.1:{port}/health")
    with _launch(f"marimo {mode}", "answer /health", cmd, path.parent, proc_env, home, ready, timeout) as (
        proc,
        log,
    ):
        yield FrontEnd(f"marimo-{mode}", path.parent, port, token, proc, log)


def write_marimo_app(path: str | os.PathLike[str], source: str) -> Path:
    """Write a marimo app of one cell running ``source`` (its last line an expression: the
    cell's output, e.g. the widget ``w`` or ``mo.ui.anywidget(w)``)."""
    import textwrap

    body = textwrap.indent(source.rstrip() + "\nreturn\n", " " * 4)
    text = (
        "import marimo\n\napp = marimo.App()\n\n\n@app.cell\ndef _():\n"
        f"{body}\n\nif __name__ == '__main__':\n    app.run()\n"
    )
    compile(text, str(path), "exec")  # a syntax error here, not in the browser
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def open_front_end(
    page: Any, server: FrontEnd, path: str = "", widgets: int = 1, timeout: float = TIMEOUT_MS
) -> Any:
    """Open the page a person opens on ``server``, run what they run there (Notebook 7: Run →
    Run All Cells; marimo edit: the Run button; Voilà and marimo run: the page runs itself) and
    wait until ``widgets`` nblabel widgets show an item or say they are done. Returns the
    locator of the widgets (``.nbl-root``; Playwright's CSS reaches into marimo's shadow roots)."""
    page.goto(server.page_url(path), timeout=timeout)
    if server.kind == "notebook":
        page.locator(".jp-Notebook").first.wait_for(state="visible", timeout=timeout)
        page.wait_for_function(
            "() => !!window.jupyterapp?.shell?.currentWidget?.content?.model", timeout=timeout
        )
        notebook_kernel_idle(page, timeout)
        _clear_counts(page)
        menu(page, "Run", "Run All Cells")
        wait_for_execution(page, timeout=timeout, idle=notebook_kernel_idle)
    elif server.kind == "marimo-edit":
        _marimo_run_all(page, timeout)
    roots = page.locator(".nbl-root")
    deadline = time.monotonic() + timeout / 1000
    while True:
        shown = roots.evaluate_all(
            "(rs) => rs.filter((r) => ['item', 'done'].includes(r.dataset.state)).length"
        )
        if shown >= widgets:
            return roots
        if time.monotonic() > deadline:
            raise LabError(
                f"{shown} of {widgets} nblabel widgets shown on {server.kind}:\n{server.log()[-3000:]}"
            )
        page.wait_for_timeout(50)


def notebook_kernel_idle(page: Any, timeout: float = TIMEOUT_MS) -> None:
    """Notebook 7 (no status bar): wait until the notebook's kernel exists and is idle."""
    page.wait_for_function(
        "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status === 'idle'",
        timeout=timeout,
    )


def _marimo_run_all(page: Any, timeout: float) -> None:
    """marimo edit opens an app with its cells not run: wait until they are there, marked as
    needing a run, then press the Run button (the last ``run-button``: the one for all cells,
    after each cell's own) until none needs a run."""
    cells = page.locator(".marimo-cell")
    page.locator(".marimo-cell.needs-run").first.wait_for(state="attached", timeout=timeout)
    deadline = time.monotonic() + timeout / 1000
    clicked = -1.0
    while page.locator(".marimo-cell.needs-run").count():
        busy = page.locator(".marimo-cell.running, .marimo-cell.queued").count()
        if not busy and time.monotonic() - clicked > 5:  # the first click, or one the page missed
            page.locator("button[data-testid=run-button]").last.click()
            clicked = time.monotonic()
        if time.monotonic() > deadline:
            raise LabError(f"marimo cells still need a run after {timeout / 1000}s ({cells.count()} cells)")
        page.wait_for_timeout(50)


def focus_root(root: Any) -> Any:
    """Click a widget's own padding (not a button) so it takes the keyboard; returns it. Works
    on any front end (``root``: the locator of one ``.nbl-root``)."""
    from playwright.sync_api import expect

    root.scroll_into_view_if_needed()
    root.click(position={"x": 4, "y": 4})
    expect(root).to_be_focused()
    return root


# ----------------------------------------------------------------------------- spans text
_CHAR_BOXES = """
(root, [start, end]) => {
  const text = root.querySelector('.nbl-spans-text');
  const at = (offset) => {  // the text node and offset of a text offset
    const walker = document.createTreeWalker(text, NodeFilter.SHOW_TEXT);
    let node, seen = 0;
    while ((node = walker.nextNode())) {
      if (offset < seen + node.length) return [node, offset - seen];
      seen += node.length;
    }
    throw new Error('offset outside the text');
  };
  const box = (offset, width) => {
    const [node, i] = at(offset);
    const r = document.createRange();
    r.setStart(node, i); r.setEnd(node, i + width);
    const b = r.getBoundingClientRect();
    return {left: b.left, right: b.right, top: b.top, bottom: b.bottom};
  };
  const width = (offset) => { const c = text.textContent.charCodeAt(offset);
                              return c >= 0xd800 && c <= 0xdbff ? 2 : 1; };
  let last = end - 1;
  const lo = text.textContent.charCodeAt(last);
  if (lo >= 0xdc00 && lo <= 0xdfff) last -= 1;
  return [box(start, width(start)), box(last, width(last))];
}
"""


def text_char_boxes(root: Any, start: int, end: int) -> list[dict[str, float]]:
    """Screen boxes of the first and the last character between UTF-16 offsets ``start`` and
    ``end`` (end exclusive) of a Spans widget's text (``root``: locator of its ``.nbl-root``)."""
    return root.evaluate(_CHAR_BOXES, [start, end])


def drag_text(page: Any, root: Any, start: int, end: int, *, rtl: bool = False, shift: bool = False) -> None:
    """Drag the mouse over a Spans widget's text between UTF-16 offsets ``start`` and ``end``:
    pressed inside the first character, moved, released inside the last one, as a person
    selecting those words does (``shift``: held on release, characters instead of words)."""
    first, last = text_char_boxes(root, start, end)
    y = (first["top"] + first["bottom"]) / 2
    fw = first["right"] - first["left"]
    lw = last["right"] - last["left"]
    if rtl:
        x0, x1 = first["right"] - fw * 0.2, last["left"] + lw * 0.2
    else:
        x0, x1 = first["left"] + fw * 0.2, last["right"] - lw * 0.2
    page.mouse.move(x0, y)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y + (last["top"] + last["bottom"]) / 2) / 2, steps=4)
    page.mouse.move(x1, (last["top"] + last["bottom"]) / 2, steps=4)
    if shift:
        page.keyboard.down("Shift")
    page.mouse.up()
    if shift:
        page.keyboard.up("Shift")


def utf16_span(text: str, word: str) -> tuple[int, int]:
    """UTF-16 offsets (the browser's) of the first ``word`` in ``text``."""
    i = text.index(word)
    return len(text[:i].encode("utf-16-le")) // 2, len(text[: i + len(word)].encode("utf-16-le")) // 2
