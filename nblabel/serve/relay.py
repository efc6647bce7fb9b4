"""The comm a served widget talks through: the widget protocol relayed to the pages of one room.

ipywidgets 8 opens a widget's comm with ``comm.create_comm`` — the hook a host replaces. While a
room builds its widget (:func:`building`), :func:`install`'s ``create_comm`` gives the widget a
:class:`RelayComm`; everywhere else (and in every other thread) the previous ``create_comm``
runs unchanged. A :class:`Room` holds one widget, the websockets of the pages showing it, and a
single worker thread that hands the pages' messages to the widget in the order they came (the
widget writes to the store there, never on the server's event loop).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import PurePath
from typing import Any

import comm
from comm.base_comm import BaseComm

__all__ = ["RelayComm", "Room", "building", "install", "uninstall", "split_buffers"]

_log = logging.getLogger(__name__)
_local = threading.local()
_installed: dict[str, Any] = {}
_install_lock = threading.Lock()

#: Traits a page never receives: the widget's code and style are served as files, and
#: ``layout`` names an ipywidgets Layout model no page has.
_NOT_SENT = ("_esm", "_css", "layout")


def install() -> None:
    """Route ``comm.create_comm`` through this module (see :func:`building`); counted, so that
    several servers in one process each :func:`uninstall` their own."""
    with _install_lock:
        if "previous" not in _installed:
            _installed["previous"] = comm.create_comm
            comm.create_comm = _create_comm
        _installed["count"] = _installed.get("count", 0) + 1


def uninstall() -> None:
    """Give ``comm.create_comm`` back when the last server stops (if nothing replaced it since)."""
    with _install_lock:
        _installed["count"] = max(0, _installed.get("count", 0) - 1)
        if _installed["count"]:
            return
        previous = _installed.pop("previous", None)
        if previous is not None and comm.create_comm is _create_comm:
            comm.create_comm = previous


@contextlib.contextmanager
def building(room: Room) -> Iterator[None]:
    """Comms created by this thread inside the block belong to ``room``."""
    _local.room = room
    try:
        yield
    finally:
        _local.room = None


def _create_comm(*args: Any, **kwargs: Any) -> BaseComm:
    room = getattr(_local, "room", None)
    if room is None:
        return _installed["previous"](*args, **kwargs)
    return RelayComm(room, *args, **kwargs)


class RelayComm(BaseComm):
    """A comm whose messages go to the pages of its room (only the room's widget's comm: the
    Layout model ipywidgets makes beside it goes nowhere)."""

    def __init__(self, room: Room, *args: Any, **kwargs: Any) -> None:
        self.room = room
        super().__init__(*args, **kwargs)

    def publish_msg(
        self,
        msg_type: str,
        data: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        buffers: list[bytes] | None = None,
        **keys: Any,
    ) -> None:
        """Relay a ``comm_msg`` of the room's widget to its pages (any thread)."""
        if msg_type == "comm_msg" and self.room.comm_id == self.comm_id:
            self.room.publish(data or {}, buffers or [])


class Room:
    """One widget served to the pages of one name (an annotator, or the coordinator).

    ``build()`` makes the widget (called once, on the room's worker thread); ``writable``: the
    traits a page may set (``update`` messages); ``redact(state)`` changes what pages see of the
    state. ``send(socket, message, buffers)`` is how the server writes to a page (called on the
    server's event loop, through ``call_soon``)."""

    def __init__(
        self,
        name: str,
        build: Callable[[], Any],
        *,
        writable: frozenset[str] = frozenset(),
        redact: Callable[[dict[str, Any]], dict[str, Any]] = lambda state: state,
        call_soon: Callable[..., None],
        send: Callable[[Any, dict[str, Any], list[bytes]], None],
    ) -> None:
        self.name = name
        self.writable = writable
        self._build = build
        self._redact = redact
        self._call_soon = call_soon
        self._send = send
        self.widget: Any = None
        self.comm_id: str | None = None
        self.sockets: set[Any] = set()
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"nblabel-room-{name[:20]}")
        self._lock = threading.Lock()

    # -- the widget
    def widget_now(self) -> Any:
        """The room's widget, built on first use (on the calling thread: call it on the worker)."""
        with self._lock:
            if self.widget is None:
                with building(self):
                    widget = self._build()
                self.comm_id = widget.comm.comm_id
                self.widget = widget
            return self.widget

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn`` on the room's worker thread (a Future)."""
        return self._worker.submit(fn, *args)

    def esm(self) -> str:
        """The widget's ES module (text)."""
        return str(self.widget_now()._esm)

    def css(self) -> str:
        """The widget's style sheet (text)."""
        return str(getattr(self.widget_now(), "_css", "") or "")

    def full_state(self) -> tuple[dict[str, Any], list[bytes]]:
        """What a page opens the widget with: its state (redacted) and buffers."""
        widget = self.widget_now()
        state = {k: v for k, v in widget.get_state().items() if k not in _NOT_SENT}
        message = {"method": "open", "state": self._redact(state)}
        return split_buffers(message)

    def deliver(self, data: dict[str, Any], buffers: list[bytes]) -> None:
        """A page's message to the widget, as ipywidgets reads a comm message (worker thread)."""
        widget = self.widget_now()
        widget.comm.handle_msg(
            {
                "header": {"msg_type": "comm_msg"},
                "content": {"comm_id": self.comm_id, "data": data},
                "buffers": [memoryview(b) for b in buffers],
            }
        )

    # -- to the pages
    def publish(self, data: dict[str, Any], buffers: list[bytes]) -> None:
        """Send a widget message to every page of the room (any thread)."""
        if data.get("method") in ("update", "echo_update") and isinstance(data.get("state"), dict):
            state = {k: v for k, v in data["state"].items() if k not in _NOT_SENT}
            if not state:
                return
            data = {**data, "state": self._redact(state)}
        message = {"msg_type": "comm_msg", "content": {"comm_id": self.comm_id, "data": data}}
        self._call_soon(self._broadcast, message, list(buffers))

    def _broadcast(self, message: dict[str, Any], buffers: list[bytes]) -> None:
        for socket in list(self.sockets):
            self._send(socket, message, buffers)

    def close(self) -> None:
        """Close the widget (on the worker) and stop the worker."""

        def close_widget() -> None:
            if self.widget is not None:
                try:
                    self.widget.close()
                except Exception:  # closing must go on for the other rooms
                    _log.exception("nblabel serve: closing %s's widget failed", self.name)

        with contextlib.suppress(RuntimeError):
            self._worker.submit(close_widget).result(timeout=30)
        self._worker.shutdown(wait=False)


def split_buffers(message: dict[str, Any]) -> tuple[dict[str, Any], list[bytes]]:
    """Binary values of ``message["state"]`` taken out as buffers (``buffer_paths``), as
    ipywidgets sends them."""
    buffers: list[bytes] = []
    paths: list[list[Any]] = []

    def walk(value: Any, path: list[Any]) -> Any:
        if isinstance(value, (bytes, bytearray, memoryview)):
            paths.append(path)
            buffers.append(bytes(value))
            return None
        if isinstance(value, dict):
            return {k: walk(v, [*path, k]) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(v, [*path, i]) for i, v in enumerate(value)]
        if isinstance(value, PurePath):
            return str(value)
        return value

    state = walk(message.get("state", {}), [])
    return {**message, "state": state, "buffer_paths": paths}, buffers
