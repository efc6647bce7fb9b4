"""``SessionServer``: the rooms of a served session (one per annotator, one for the coordinator's
dashboard), the widgets they build, and the tornado server (:mod:`.handlers`) on a thread of its
own — or in the foreground for the CLI."""

from __future__ import annotations

import asyncio
import contextlib
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
from . import relay, wire
from .handlers import MAX_MESSAGE_BYTES, PAGE_SCRIPT, routes
from .links import DASHBOARD, Links

__all__ = ["SessionServer"]

_log = logging.getLogger(__name__)

#: Traits the coordinator's dashboard page may set (its pause button and the confusion pair).
DASHBOARD_WRITABLE = frozenset({"paused", "_pair"})


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
        self._relaying = False

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
        """The store's location as pages see it (:meth:`_shown_location`)."""
        shown = self._shown_location()
        if isinstance(state.get("_config"), dict) and "store" in state["_config"]:
            state = {**state, "_config": {**state["_config"], "store": shown}}
        if isinstance(state.get("_status"), dict) and "location" in state["_status"]:
            state = {**state, "_status": {**state["_status"], "location": shown}}
        return state

    def _shown_location(self) -> str:
        """A SQLite file by its name, a server's database by its name: no path, host or URL."""
        store = self.session.store
        if store.backend == "sqlite":
            return Path(store.location).name
        return f"{store.url.database or ''} ({store.backend})"

    # ------------------------------------------------------------------ running
    def _app(self) -> tornado.web.Application:
        return tornado.web.Application(
            routes(self),
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
        self._relaying = True
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
        if self._relaying:
            relay.uninstall()
            self._relaying = False

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
