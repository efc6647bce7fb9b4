"""The tornado handlers of a served session: each personal page, its widget's code and style,
its websocket, and the page's own script.

Routes (under the path of ``base_url``): ``/a/<token>`` an annotator's page, ``/d/<token>`` the
coordinator's dashboard, each with ``/widget.js``, ``/widget.css`` and ``/ws``; ``/static/page.js``
the page's own module. A wrong token is a 404 and opens no widget. Every response forbids
framing, sniffing, referrers and caching, and its Content-Security-Policy lets the page run only
scripts served here (no inline script, no eval). The websocket carries the widget protocol and
nothing else: any other message is refused with an error and logged.
"""

from __future__ import annotations

import asyncio
import html
import logging
from typing import Any

import tornado.web
import tornado.websocket

from ..widgets.assets import STATIC
from . import relay, wire

__all__ = ["MAX_MESSAGE_BYTES", "PAGE_SCRIPT", "routes"]

_log = logging.getLogger(__name__)

#: Largest websocket message a page may send (labels and comments are small).
MAX_MESSAGE_BYTES = 1 << 20
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
<link rel="icon" href="data:,">
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

    def initialize(self, server: Any) -> None:
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

    def initialize(self, server: Any) -> None:
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
            except Exception:  # the reason goes to the coordinator's terminal, never to the page
                _log.exception("nblabel serve: opening %s's widget failed", room.name)
                loop.call_soon_threadsafe(
                    self._fail, "the labeler could not be opened; the session's coordinator can see why"
                )
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


def routes(server: Any) -> list[tuple[str, type, dict[str, Any]]]:
    """The application's routes, under ``server.prefix``."""
    p = server.prefix
    token = r"([A-Za-z0-9_-]{8,128})"
    args = {"server": server}
    return [
        (rf"{p}/(a|d)/{token}", PageHandler, args),
        (rf"{p}/(a|d)/{token}/(widget\.js|widget\.css)", AssetHandler, args),
        (rf"{p}/(a|d)/{token}/ws", SocketHandler, args),
        (rf"{p}/static/page\.js", ScriptHandler, args),
        (r".*", NotFound, args),
    ]
