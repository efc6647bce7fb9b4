"""The web server of ``nblabel session serve``: tornado handlers for each personal page, its
widget's code and style, and its websocket; :class:`SessionServer` runs them on a thread of its
own (or in the foreground for the CLI).

Routes (under the path of ``base_url``): ``/a/<token>`` an annotator's page, ``/d/<token>`` the
coordinator's dashboard, each with ``/widget.js``, ``/widget.css`` and ``/ws``; ``/static/page.js``
the page's own module. A wrong token is a 404 and opens no widget. Every response forbids
framing, sniffing, referrers and caching, and its Content-Security-Policy lets the page run only
scripts served here (no inline script, no eval).
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tornado.httpserver
import tornado.netutil
import tornado.web
import tornado.websocket

from ..sessions.session import Session
from ..store.store import Store
from ..widgets.assets import STATIC
from . import relay, wire
from .links import DASHBOARD, Links

__all__ = ["SessionServer"]

_log = logging.getLogger(__name__)

#: Largest websocket message a page may send (labels and comments are small).
MAX_MESSAGE_BYTES = 1 << 20
#: Traits the coordinator's dashboard page may set (its pause button and the confusion pair).
DASHBOARD_WRITABLE = frozenset({"paused", "_pair"})
#: The page's only script: the bundle of js/page.js.
PAGE_SCRIPT = STATIC / "page.js"

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<link rel="stylesheet" href="{base}/widget.css">
<style>
  body {{ margin: 0; font-family: system-ui, sans-serif; background: var(--nbl-page-bg, #fff); }}
  #nbl-page {{ max-width: 1100px; margin: 0 auto; padding: 16px; }}
  #nbl-page-status {{ font-size: 13px; color: #555; min-height: 1.4em; }}
  #nbl-page-status[data-state="lost"] {{ color: #a40000; font-weight: 600; }}
  @media (prefers-color-scheme: dark) {{ body {{ background: #1e1e1e; color: #ddd; }} }}
</style>
</head>
<body>
<div id="nbl-page">
<div id="nbl-page-status" role="status" aria-live="polite">Connecting…</div>
<main id="nbl-page-widget" data-kind="{kind}"></main>
</div>
<script type="module" src="{prefix}/static/page.js"></script>
</body>
</html>
"""


class _Base(tornado.web.RequestHandler):
    """Security headers on every response; errors as one line of text."""

    def initialize(self, server: SessionServer) -> None:
        self.server = server

    def set_default_headers(self) -> None:
        self.set_header("Content-Security-Policy", _CSP)
        self.set_header("X-Frame-Options", "DENY")
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "no-referrer")
        self.set_header("Cache-Control", "no-store")
        self.clear_header("Server")

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        if status_code == 404:
            self.finish("nblabel: no such page. Ask the session's coordinator for your personal link.\n")
        else:
            self.finish(f"nblabel: {self._reason}\n")

    def room(self, kind: str, token: str) -> relay.Room:
        room = self.server.room_for(kind, token)
        if room is None:
            _log.warning("nblabel serve: refused %s (unknown token)", self.request.remote_ip)
            raise tornado.web.HTTPError(404)
        return room


class PageHandler(_Base):
    """``/a/<token>`` and ``/d/<token>``: the page."""

    def get(self, kind: str, token: str) -> None:
        self.room(kind, token)
        base = f"{self.server.prefix}/{kind}/{token}"
        title = f"nblabel · {self.server.task}" + (" · dashboard" if kind == "d" else "")
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            _PAGE.format(
                title=html.escape(title),
                base=base,
                prefix=self.server.prefix,
                kind="dashboard" if kind == "d" else "labeler",
            )
        )


class AssetHandler(_Base):
    """``/<kind>/<token>/widget.js`` and ``widget.css``: the widget's own code and style."""

    async def get(self, kind: str, token: str, name: str) -> None:
        room = self.room(kind, token)
        if name == "widget.js":
            text = await asyncio.wrap_future(room.run(room.esm))
            self.set_header("Content-Type", "text/javascript; charset=utf-8")
        else:
            text = await asyncio.wrap_future(room.run(room.css))
            self.set_header("Content-Type", "text/css; charset=utf-8")
        self.finish(text)


class ScriptHandler(_Base):
    """``/static/page.js``: the page's module (js/page.js, bundled)."""

    def get(self) -> None:
        self.set_header("Content-Type", "text/javascript; charset=utf-8")
        self.finish(PAGE_SCRIPT.read_bytes())


class NotFound(_Base):
    def prepare(self) -> None:
        raise tornado.web.HTTPError(404)


class SocketHandler(tornado.websocket.WebSocketHandler):
    """``/<kind>/<token>/ws``: the widget protocol, and nothing else."""

    def initialize(self, server: SessionServer) -> None:
        self.server = server
        self.room_: relay.Room | None = None

    def prepare(self) -> None:
        kind, token = self.path_args[0], self.path_args[1]
        room = self.server.room_for(kind, token)
        if room is None:
            _log.warning("nblabel serve: refused a websocket from %s (unknown token)", self.request.remote_ip)
            raise tornado.web.HTTPError(404)
        self.room_ = room

    def open(self, kind: str, token: str) -> None:
        room = self.room_
        assert room is not None
        loop = asyncio.get_running_loop()

        def opened() -> None:
            try:
                message, buffers = room.full_state()
            except Exception as exc:
                _log.exception("nblabel serve: opening %s's widget failed", room.name)
                loop.call_soon_threadsafe(self._fail, f"the labeler could not be opened: {exc}")
                return
            loop.call_soon_threadsafe(self._opened, message, buffers)

        room.run(opened)

    def _opened(self, message: dict[str, Any], buffers: list[bytes]) -> None:
        room = self.room_
        assert room is not None
        if self.ws_connection is None:
            return
        room.sockets.add(self)
        frame = {"msg_type": "comm_open", "content": {"comm_id": room.comm_id, "data": message}}
        self.server.send(self, frame, buffers)

    def _fail(self, text: str) -> None:
        self.server.send(self, {"msg_type": "error", "content": {"ename": "Unavailable", "evalue": text}}, [])

    def on_message(self, frame: str | bytes) -> None:
        room = self.room_
        assert room is not None
        try:
            message, buffers = wire.decode(frame)
        except (wire.WireError, UnicodeDecodeError) as exc:
            self._refuse("?", f"unreadable message ({exc})")
            return
        header = message.get("header") if isinstance(message.get("header"), dict) else {}
        msg_type = message.get("msg_type") or header.get("msg_type") or "?"
        if msg_type != "comm_msg":
            self._refuse(str(msg_type), f"this page runs no code and has no kernel: {msg_type!r} refused")
            return
        content = message.get("content")
        data = content.get("data") if isinstance(content, dict) else None
        if (
            not isinstance(content, dict)
            or content.get("comm_id") != room.comm_id
            or not isinstance(data, dict)
        ):
            self._refuse(msg_type, "a message to a widget other than this page's own refused")
            return
        method = data.get("method")
        if method == "custom" and isinstance(data.get("content"), dict):
            room.run(self._deliver, room, {"method": "custom", "content": data["content"]}, buffers)
        elif method == "update" and isinstance(data.get("state"), dict) and data["state"]:
            refused = sorted(set(data["state"]) - room.writable)
            if refused:
                self._refuse(msg_type, f"this page may not set {', '.join(refused)}")
                return
            update = {"method": "update", "state": data["state"], "buffer_paths": []}
            room.run(self._deliver, room, update, [])
        elif method == "request_state":
            self.open(*self.path_args)
        else:
            self._refuse(msg_type, f"widget message method {method!r} refused")

    @staticmethod
    def _deliver(room: relay.Room, data: dict[str, Any], buffers: list[bytes]) -> None:
        try:
            room.deliver(data, buffers)
        except Exception:  # the widget's own errors are its to show; the room goes on
            _log.exception("nblabel serve: %s's widget failed on a message", room.name)

    def _refuse(self, msg_type: str, why: str) -> None:
        room = self.room_
        _log.warning("nblabel serve: %s's page sent %s: %s", room.name if room else "?", msg_type[:80], why)
        self.server.send(
            self,
            {
                "msg_type": "error",
                "parent_header": {"msg_type": msg_type[:80]},
                "content": {"ename": "Refused", "evalue": why},
            },
            [],
        )

    def on_close(self) -> None:
        if self.room_ is not None:
            self.room_.sockets.discard(self)


class SessionServer:
    """Serve the session on ``task`` of ``store`` (a URL: the coordinator's, the owner's): one
    page per annotator behind a personal link (:meth:`links`), and the coordinator's dashboard.

    - ``host``/``port``: where to listen (port 0: a free one; :attr:`port` says which).
    - ``base_url``: the address annotators reach (a reverse proxy's, ``https://…/label``); the
      links start with it and the routes live under its path.
    - ``links_file``: a JSON file (mode 0600) keeping the tokens — and on PostgreSQL each
      annotator's own store URL — so the links survive a restart; without it they are new each time.

    On PostgreSQL each annotator's labeler runs with the store URL ``session.grant(name)`` gives
    (their own login role, row-level security); on SQLite with the store file itself.
    """

    def __init__(
        self,
        store: str | os.PathLike[str],
        task: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        base_url: str | None = None,
        links_file: str | os.PathLike[str] | None = None,
    ) -> None:
        if isinstance(store, Store):
            raise TypeError("store= must be the store's URL or path (each annotator's labeler opens its own)")
        self.task = task
        self.session = Session.open(store, task)
        try:
            self.links_store = Links([*self.session.annotators, DASHBOARD], links_file)
        except BaseException:
            self.session.close()
            raise
        self.host = host
        self.port = port
        self.base_url = base_url.rstrip("/") if base_url else None
        self.prefix = urlsplit(self.base_url).path.rstrip("/") if self.base_url else ""
        self._rooms: dict[str, relay.Room] = {}
        self._sessions: list[Session] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._http: tornado.httpserver.HTTPServer | None = None
        self._stopped = threading.Event()

    # ------------------------------------------------------------------ links
    def links(self) -> dict[str, str]:
        """Each annotator's personal link, and the dashboard's under ``"(dashboard)"``."""
        root = self.base_url or f"http://{_display_host(self.host)}:{self.port}{self.prefix}"
        out = {name: f"{root}/a/{self.links_store.tokens[name]}" for name in self.session.annotators}
        out[DASHBOARD] = f"{root}/d/{self.links_store.tokens[DASHBOARD]}"
        return out

    def room_for(self, kind: str, token: str) -> relay.Room | None:
        """The room a link's kind (``a``/``d``) and token open, or ``None``."""
        name = self.links_store.name_of(token)
        if name is None or (kind == "d") != (name == DASHBOARD):
            return None
        with self._lock:
            room = self._rooms.get(name)
            if room is None:
                build = self._build_dashboard if name == DASHBOARD else _bound(self._build_labeler, name)
                writable = DASHBOARD_WRITABLE if name == DASHBOARD else frozenset()
                room = relay.Room(
                    name,
                    build,
                    writable=writable,
                    redact=self._redact,
                    call_soon=self._call_soon,
                    send=self.send,
                )
                self._rooms[name] = room
            return room

    # ------------------------------------------------------------------ widgets
    def _build_labeler(self, name: str) -> Any:
        if self.session.store.backend != "postgresql":
            return self.session.labeler(name)  # SQLite: one file, all or nothing
        own = Session.open(self._annotator_url(name), self.task)
        with self._lock:
            self._sessions.append(own)
        return own.labeler(name)

    def _annotator_url(self, name: str) -> str:
        """The annotator's own store URL: kept from an earlier run, or granted now."""
        kept = self.links_store.urls.get(name)
        if kept:
            try:
                Store(kept).close()
                return kept
            except Exception:
                _log.info("nblabel serve: %s's kept store URL no longer connects; granting a new one", name)
        grant = getattr(self.session, "grant", None)
        if grant is None:
            raise RuntimeError(
                "serving a PostgreSQL session needs per-annotator roles (session.grant), which this "
                "nblabel does not have"
            )
        url = grant(name)
        self.links_store.set_url(name, url)
        return url

    def _build_dashboard(self) -> Any:
        return self.session.dashboard()

    def _redact(self, state: dict[str, Any]) -> dict[str, Any]:
        """The store's location as pages see it: a SQLite file by its name only."""
        shown = self._shown_location()
        if isinstance(state.get("_config"), dict) and "store" in state["_config"]:
            state = {**state, "_config": {**state["_config"], "store": shown}}
        if isinstance(state.get("_status"), dict) and "location" in state["_status"]:
            state = {**state, "_status": {**state["_status"], "location": shown}}
        return state

    def _shown_location(self) -> str:
        location = self.session.store.location
        return Path(location).name if self.session.store.backend == "sqlite" else location

    # ------------------------------------------------------------------ running
    def _app(self) -> tornado.web.Application:
        p = self.prefix
        token = r"([A-Za-z0-9_-]{8,128})"
        args = {"server": self}
        return tornado.web.Application(
            [
                (rf"{p}/(a|d)/{token}", PageHandler, args),
                (rf"{p}/(a|d)/{token}/(widget\.js|widget\.css)", AssetHandler, args),
                (rf"{p}/(a|d)/{token}/ws", SocketHandler, args),
                (rf"{p}/static/page\.js", ScriptHandler, args),
                (r".*", NotFound, args),
            ],
            websocket_max_message_size=MAX_MESSAGE_BYTES,
            websocket_ping_interval=20,
            xsrf_cookies=False,
            compress_response=True,
        )

    def start(self) -> SessionServer:
        """Listen and serve on a background thread; returns at once (see :meth:`stop`)."""
        if not PAGE_SCRIPT.exists():
            raise RuntimeError(f"{PAGE_SCRIPT} is missing: build the front end (npm run build)")
        relay.install()
        sockets = tornado.netutil.bind_sockets(self.port, self.host or None)
        self.port = sockets[0].getsockname()[1]
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self._loop = loop
            self._http = tornado.httpserver.HTTPServer(self._app(), xheaders=self.base_url is not None)
            self._http.add_sockets(sockets)
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="nblabel-serve", daemon=True)
        self._thread.start()
        ready.wait()
        return self

    def serve_forever(self) -> None:
        """:meth:`start`, then wait until :meth:`stop` or Ctrl+C."""
        if self._thread is None:
            self.start()
        try:
            while not self._stopped.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop listening, close every page's socket, widget and store."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        loop = self._loop
        if loop is not None:

            async def shutdown() -> None:
                if self._http is not None:
                    self._http.stop()
                for room in list(self._rooms.values()):
                    for sock in list(room.sockets):
                        sock.close()
                await asyncio.sleep(0)
                loop.stop()

            asyncio.run_coroutine_threadsafe(shutdown(), loop)
            if self._thread is not None:
                self._thread.join(timeout=10)
        for room in list(self._rooms.values()):
            room.close()
        for session in self._sessions:
            session.close()
        self.session.close()
        relay.uninstall()

    def __enter__(self) -> SessionServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ to the pages
    def _call_soon(self, fn: Any, *args: Any) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn, *args)

    def send(self, sock: Any, message: dict[str, Any], buffers: list[bytes]) -> None:
        """Write one message to a page (on the event loop); a closed page is dropped."""
        if sock.ws_connection is None:
            return
        frame = wire.encode(message, buffers)
        with contextlib.suppress(tornado.websocket.WebSocketClosedError):
            sock.write_message(frame, binary=isinstance(frame, bytes))


def _bound(fn: Any, name: str) -> Any:
    return lambda: fn(name)


def _display_host(host: str) -> str:
    """The host name printed in links: this machine's name for an address that means any."""
    if host in ("", "0.0.0.0", "::"):
        return socket.getfqdn()
    return f"[{host}]" if ":" in host else host
