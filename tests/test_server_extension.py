"""nblabel_server, the Jupyter server extension: TCP_NODELAY on kernel websockets.

Each test starts a real server (jupyter server, JupyterLab, Notebook 7, Voilà), starts a kernel,
opens the kernel websocket from this process (tornado's client, the protocol JupyterLab speaks)
and, once the kernel has answered through it, reads TCP_NODELAY on the *server's* end of that
connection: the server's socket is duplicated into this process with ``pidfd_getfd(2)`` (Linux
>= 5.6, allowed for a child process) and read with ``getsockopt``. Nothing runs inside the server
but the server itself, and a server without the extension reads 0 (``test_disabled_*``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import importlib.util
import json
import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pidfd_getfd is Linux-only")

SYS_PIDFD_GETFD = 438  # the same number on every Linux architecture (new syscalls share one table)
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # whatever http_proxy says


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    token: str
    log_path: Path

    def url(self, path: str) -> str:
        query = f"{'&' if '?' in path else '?'}token={self.token}" if self.token else ""
        return f"http://127.0.0.1:{self.port}{path}{query}"

    def get(self, path: str, method: str = "GET", timeout: float = 60) -> bytes:
        data = b"{}" if method == "POST" else None
        request = urllib.request.Request(self.url(path), method=method, data=data)
        with _OPENER.open(request, timeout=timeout) as response:
            return response.read()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(app: str, tmp: Path, *args: str) -> Iterator[Server]:
    """``python -m <app>`` on 127.0.0.1 with its own config/data/runtime dirs (the environment's
    own config, where nblabel's install put ``jupyter_server_config.d/nblabel.json``, still
    applies); ready when it answers (Voilà: when it accepts connections, since its only page
    starts a kernel); stopped with its kernels on exit."""
    port, token = _free_port(), secrets.token_hex(8)
    home = tmp / "home"
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    if app == "voila":
        cmd = [sys.executable, "-m", "voila", "--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1"]
        token = ""
    else:
        cmd = [
            sys.executable, "-m", "jupyter", app, "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp}",
        ]  # fmt: skip
    log_path = tmp / f"{app}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [*cmd, *args], cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
    server = Server(process, port, token, log_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"{app} exited with code {process.returncode}:\n{server.log()[-3000:]}")
            try:
                if app == "voila":
                    socket.create_connection(("127.0.0.1", port), timeout=5).close()
                else:
                    server.get("/api/status", timeout=5)
                break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(f"{app} did not answer within 90 s:\n{server.log()[-3000:]}")
                time.sleep(0.1)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)
        with contextlib.suppress(ProcessLookupError):  # no kernel outlives its server
            os.killpg(process.pid, signal.SIGKILL)


def _notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells.append(nbformat.v4.new_code_cell("1 + 1"))
    nbformat.write(nb, path)


def _kernel_from_page(html: bytes) -> str:
    """The kernel Voilà started for the page it rendered."""
    match = re.search(rb'"kernelId": "([0-9a-f-]{36})"', html)
    assert match, f"no kernelId in Voilà's page: {html[:500]!r}"
    return match.group(1).decode()


def server_end_nodelay(server: Server, client: socket.socket) -> int:
    """TCP_NODELAY on the server's socket of ``client``'s connection, read from the server's own
    file descriptor (duplicated into this process with pidfd_getfd)."""
    libc = ctypes.CDLL(None, use_errno=True)
    pid = server.process.pid
    peer = client.getsockname()[1]
    pidfd = os.pidfd_open(pid)
    try:
        for name in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if not os.readlink(f"/proc/{pid}/fd/{name}").startswith("socket:"):
                    continue
            fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                code = ctypes.get_errno()
                if code in (errno.ENOSYS, errno.EPERM):
                    pytest.skip(f"pidfd_getfd is unavailable here ({os.strerror(code)})")
                continue  # closed meanwhile
            sock = socket.socket(fileno=fd)  # our duplicate: closing it leaves the server's open
            try:
                if (
                    sock.family == socket.AF_INET
                    and sock.type == socket.SOCK_STREAM
                    and sock.getsockname()[1] == server.port
                    and sock.getpeername()[1] == peer
                ):
                    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            except OSError:  # a listening socket has no peer
                pass
            finally:
                sock.close()
    finally:
        os.close(pidfd)
    raise AssertionError(f"no socket of {server.log_path.stem} (pid {pid}) is connected to port {peer}")


def kernel_websocket_nodelay(server: Server, kernel_id: str) -> int:
    """Open the kernel's websocket, wait for the kernel's reply to a kernel_info_request sent
    through it (the server has then run its connection's ``connect()``), and read TCP_NODELAY
    on the server's end."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    session = uuid.uuid4().hex
    url = f"ws://127.0.0.1:{server.port}/api/kernels/{kernel_id}/channels?session_id={session}"
    headers = {"Authorization": f"token {server.token}"} if server.token else {}
    msg_id = uuid.uuid4().hex
    request = {
        "header": {
            "msg_id": msg_id, "msg_type": "kernel_info_request", "username": "test", "session": session,
            "date": datetime.now(UTC).isoformat(), "version": "5.3",
        },
        "parent_header": {}, "metadata": {}, "content": {}, "channel": "shell", "buffers": [],
    }  # fmt: skip

    async def talk() -> int:
        ws = await websocket_connect(HTTPRequest(url, headers=headers, connect_timeout=30))
        try:
            await ws.write_message(json.dumps(request))
            while True:
                raw = await asyncio.wait_for(ws.read_message(), 60)
                assert raw is not None, f"the server closed the kernel websocket:\n{server.log()[-3000:]}"
                if isinstance(raw, str) and json.loads(raw).get("parent_header", {}).get("msg_id") == msg_id:
                    break
            return server_end_nodelay(server, ws.protocol.stream.socket)
        finally:
            ws.close()

    return asyncio.run(talk())


def _new_kernel(server: Server) -> str:
    return json.loads(server.get("/api/kernels", method="POST"))["id"]


APPS = {
    "jupyter server": ("server", "jupyter_server"),
    "JupyterLab": ("lab", "jupyterlab"),
    "Notebook 7": ("notebook", "notebook"),
}


@pytest.mark.parametrize("name", list(APPS))
def test_kernel_websocket_has_tcp_nodelay(name: str, tmp_path: Path) -> None:
    app, module = APPS[name]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")
    with running(app, tmp_path) as server:
        assert kernel_websocket_nodelay(server, _new_kernel(server)) == 1
        assert "nblabel_server: TCP_NODELAY on kernel websockets" in server.log()


def test_voila_served_by_jupyter_server_has_tcp_nodelay(tmp_path: Path) -> None:
    """Voilà as a server extension: its page's kernel talks through the server's websocket."""
    pytest.importorskip("voila")
    _notebook(tmp_path / "nb.ipynb")
    with running("server", tmp_path) as server:
        kernel = _kernel_from_page(server.get("/voila/render/nb.ipynb"))
        assert kernel_websocket_nodelay(server, kernel) == 1


def test_standalone_voila_opts_in_through_its_connection_class(tmp_path: Path) -> None:
    """The ``voila`` command loads no server extensions: the documented option turns it on."""
    pytest.importorskip("voila")
    _notebook(tmp_path / "nb.ipynb")
    option = "--Voila.kernel_websocket_connection_class=nblabel_server.NodelayWebsocketConnection"
    with running("voila", tmp_path, "nb.ipynb", option) as server:
        assert kernel_websocket_nodelay(server, _kernel_from_page(server.get("/"))) == 1


OFF = {"ServerApp": {"jpserver_extensions": {"nblabel_server": False}}}


@pytest.mark.parametrize("how", ["user config", "command line"])
def test_disabled_extension_leaves_nagle_on(how: str, tmp_path: Path) -> None:
    """Turned off per user (``~/.jupyter/jupyter_server_config.json``; here the test's own config
    dir) or per run (``--ServerApp.jpserver_extensions=nblabel_server=False``), the socket check
    above reads 0: it tests the extension, not tornado's defaults."""
    args: list[str] = []
    if how == "user config":
        (tmp_path / "home" / "config").mkdir(parents=True)
        (tmp_path / "home" / "config" / "jupyter_server_config.json").write_text(json.dumps(OFF))
    else:
        args.append("--ServerApp.jpserver_extensions=nblabel_server=False")
    with running("server", tmp_path, *args) as server:
        assert kernel_websocket_nodelay(server, _new_kernel(server)) == 0
        assert "nblabel_server" not in server.log()


def test_installed_enabled() -> None:
    """nblabel's install enabled the extension (etc/jupyter/jupyter_server_config.d/nblabel.json)."""
    listing = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"],
        capture_output=True, text=True, check=True, env={**os.environ, "NO_COLOR": "1"},
    )  # fmt: skip
    text = re.sub(r"\x1b\[[0-9;]*m", "", listing.stdout + listing.stderr)
    assert re.search(r"nblabel_server\s+enabled", text), text
    assert re.search(r"nblabel_server\s+OK", text), text


def test_import_is_light() -> None:
    """The server imports nblabel_server, not nblabel (its widgets, pandas, anywidget)."""
    code = (
        "import sys, nblabel_server; "
        "print(sorted(m for m in ('nblabel', 'pandas', 'anywidget') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------- the loader's own decisions
def _fake_server(settings: dict) -> SimpleNamespace:
    """Only what the loader reads: the web app's settings and a logger."""
    return SimpleNamespace(web_app=SimpleNamespace(settings=settings), log=logging.getLogger("test-server"))


def test_loading_twice_wraps_once() -> None:
    from jupyter_server.services.kernels.connection.channels import ZMQChannelsWebsocketConnection

    import nblabel_server

    server = _fake_server({"kernel_websocket_connection_class": ZMQChannelsWebsocketConnection})
    nblabel_server._load_jupyter_server_extension(server)
    wrapped = server.web_app.settings["kernel_websocket_connection_class"]
    assert wrapped.__mro__[2] is ZMQChannelsWebsocketConnection
    nblabel_server._load_jupyter_server_extension(server)
    assert server.web_app.settings["kernel_websocket_connection_class"] is wrapped
    # the connection's own config section still applies to the subclass
    assert "ZMQChannelsWebsocketConnection" in wrapped.section_names()


def test_unexpected_jupyter_server_changes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    import nblabel_server

    settings = {"kernel_websocket_connection_class": None, "other": 1}
    with caplog.at_level(logging.WARNING, logger="test-server"):
        nblabel_server._load_jupyter_server_extension(_fake_server(settings))
    assert settings == {"kernel_websocket_connection_class": None, "other": 1}
    assert "left as they are" in caplog.text
