"""A widget's side of the browser protocol.

The browser sends ``hello | label | skip | flag | undo | goto | nav`` (and what a widget class
or its policy adds, e.g. ``ambiguous``), each numbered per view (``view``) under a random
``client`` id, with the keys it already ``have``s; the kernel handles them in that order and
answers with a ``window``: the current item, the next :data:`PREFETCH` unlabeled items and the
neighbours, with image bytes as binary buffers. Items never become traits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import comm
import traitlets

from ..core.guidelines import Guidelines
from ..core.media import ImageError, image_payload
from ..core.policy import QueuePolicy
from ..store.store import Store
from . import poller
from .active import ActiveOrder
from .items import ItemSource
from .messages import browser_seqs, check_comment, clamp_ms, short_error
from .queue import Queue

_log = logging.getLogger(__name__)

#: How many upcoming items the browser holds, so the next item paints without the kernel.
PREFETCH = 5
#: An active-time gap longer than this is idle time and is not counted (also enforced in JS).
IDLE_MS = 60_000
#: Messages held for a view while an earlier one is missing, before going on without it.
MAX_HELD = 1000


class BrowserProtocol:
    """Mixin of :class:`~nblabel.widgets.base.LabelWidget`: messages in order, windows out."""

    # provided by LabelWidget and its other parts
    kind: str
    task: str
    annotator: str
    store: Store
    items: ItemSource
    queue: Queue
    guidelines: Guidelines | None
    _lock: threading.RLock
    _current: int | None
    _policy: QueuePolicy[Any] | None
    _active: ActiveOrder | None
    _state: dict[str, tuple[str, Any]]
    _flags: dict[str, str | None]
    _record: Callable[..., None]
    _served: Callable[[int], int]
    _move_after: Callable[[int], None]
    _undo: Callable[..., int | None]
    _step: Callable[[Any, int], None]
    _browser_config: Callable[[], dict[str, Any]]
    _value_from_browser: Callable[[Any, int], Any]
    _value_to_browser: Callable[[Any, int], Any]
    _item_fields: Callable[[int, list[bytes]], dict[str, Any]]
    _on_message: Callable[[dict[str, Any]], bool]
    send: Callable[..., None]

    def _init_browser(self) -> None:
        self._have: set[str] = set()  # keys the browser said it holds (for windows we push)
        self._client_view = 0  # latest browser view number processed
        # Per browser view ("client"): the next message number to handle, and messages that
        # arrived before it (ipykernel >= 7 may hand one comm's messages to several threads).
        self._next_view: dict[str, int] = {}
        self._inbox: dict[str, dict[int, dict[str, Any]]] = {}
        # Whether a browser view has spoken (a view's first message is its ``hello``): until
        # then no window is built, as nothing would receive it (a widget labeled from Python
        # alone, never displayed); a view that renders later says ``hello`` and gets the window.
        self._viewed = False
        self._progress_held = False  # a ``_progress`` change not sent yet (see send_state)

    def _base_config(self, extra: dict[str, Any]) -> dict[str, Any]:
        """The ``_config`` trait: what every task's browser needs, then the task's own."""
        return {
            "kind": self.kind,
            "task": self.task,
            "annotator": self.annotator,
            "store": self.store.location,
            "total": len(self.items),
            "empty_message": "" if len(self.items) else "This DataFrame has no rows: nothing to label.",
            "idle_ms": IDLE_MS,
            "has_guidelines": self.guidelines is not None,
            "guideline_version": self.guidelines.version if self.guidelines else None,
            **self._browser_config(),
        }

    # ------------------------------------------------------------------ messages in
    def _on_browser_message(self, _widget: Any, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        """Handle the browser's messages one at a time, in the order each view sent them.

        ipykernel >= 7 routes a comm's messages to the main thread or to a subshell thread, so
        they can arrive concurrently and out of order (an undo handled before the label it
        undoes). Each view numbers its messages 1, 2, 3, ... (``view``) under a random
        ``client`` id; a message that arrives early waits for the ones before it.
        """
        client, view = msg.get("client"), msg.get("view")
        with self._lock:
            if not isinstance(client, str) or not isinstance(view, int) or isinstance(view, bool):
                self._handle_browser_message(msg)
                return
            expected = self._next_view.get(client, 1)
            if view < expected:
                return  # a duplicate
            inbox = self._inbox.setdefault(client, {})
            inbox[view] = msg
            if len(inbox) > MAX_HELD:  # a message was lost: go on with what is there, in order
                expected = min(inbox)
            while expected in inbox:
                ready = inbox.pop(expected)
                expected += 1
                self._next_view[client] = expected
                try:
                    self._handle_browser_message(ready)
                except Exception:  # keep handling the rest in order; the error is in the log
                    _log.exception("nblabel: failed to handle %r", ready.get("type"))

    def _handle_browser_message(self, msg: dict[str, Any]) -> None:
        """Handle one message and answer with a window (an ``error`` first if it was refused);
        a message nobody knows is ignored."""
        if not self._viewed:
            self._viewed = True
            if self._progress_held:  # before the window: the view draws both at once
                self._progress_held = False
                self.send_state("_progress")
        view = msg.get("view")
        if isinstance(view, int):
            self._client_view = max(self._client_view, view)
        have = set(msg.get("have") or [])
        self._have = have
        handler = _HANDLERS.get(str(msg.get("type")))
        try:
            if handler is not None:
                getattr(self, handler)(msg)
            elif not self._on_message(msg) and (self._policy is None or not self._policy.handle(self, msg)):
                return
        except (KeyError, ValueError, TypeError) as exc:
            self.send({"type": "error", "seq": msg.get("seq"), "message": short_error(exc)})
        self._push_window(have)

    def _on_hello(self, msg: dict[str, Any]) -> None:
        if not isinstance(getattr(self, "comm", None), comm.DummyComm):
            poller.watch(self)  # shown in a browser: keep it in step with the store

    def _on_answer(self, msg: dict[str, Any]) -> None:
        """``label`` or ``skip`` of the item ``key`` (the value in the browser's encoding)."""
        kind = msg["type"]
        pos = self._served(self.items.position_of_key(str(msg["key"])))
        value = self._value_from_browser(msg.get("value"), pos) if kind == "label" else None
        comment = msg.get("comment")
        self._record(
            pos,
            kind,
            value,
            active_ms=clamp_ms(msg.get("active_ms")),
            comment=check_comment(comment) if comment else None,
            browser_seqs=browser_seqs(msg),
        )
        self._move_after(pos)

    def _on_flag(self, msg: dict[str, Any]) -> None:
        pos = self.items.position_of_key(str(msg["key"]))
        comment = check_comment(str(msg.get("comment") or ""))
        self._record(pos, "flag", None, active_ms=None, comment=comment, browser_seqs=browser_seqs(msg))

    def _on_undo(self, msg: dict[str, Any]) -> None:
        self._undo(browser_seqs=browser_seqs(msg))

    def _on_goto(self, msg: dict[str, Any]) -> None:
        self._current = self._served(self.items.position_of_key(str(msg["key"])))

    def _on_nav(self, msg: dict[str, Any]) -> None:
        self._step(msg.get("key"), msg.get("step", 1))

    def send_state(self, key: str | list[str] | None = None) -> None:
        """ipywidgets' sync of traits to the browser's model, except that before a browser
        view said ``hello`` a change of ``_progress`` (one per answer) is held back: the
        trait's value is current in Python, and the browser's model receives it with the
        first ``hello``'s answer, before the window."""
        if key == "_progress" and not getattr(self, "_viewed", True):
            self._progress_held = True
            return
        super().send_state(key)  # type: ignore[misc]

    def _set_progress(self, progress: dict[str, Any]) -> None:
        """Set the ``_progress`` trait. Before a browser view said ``hello``, with nobody in
        Python observing the trait, the value is kept without traitlets' validation and change
        notification (their cost comes with every answer): nothing would receive the change,
        and the first ``hello`` sends the value as it is then."""
        notifiers = self._trait_notifiers  # type: ignore[attr-defined]
        if getattr(self, "_viewed", True) or notifiers.get("_progress") or notifiers.get(traitlets.All):
            self._progress = progress  # type: ignore[attr-defined]
        elif progress != self._trait_values.get("_progress"):
            self._trait_values["_progress"] = progress  # type: ignore[attr-defined]
            self._progress_held = True

    # ------------------------------------------------------------------ windows out
    def _push_window(self, have: set[str] | None = None) -> None:
        """Send the current item, the next unlabeled items and the neighbours to the browser
        (nothing until a browser view said ``hello``: its answer is the window as it is then)."""
        if not self._viewed:
            return
        have = have or set()
        cur = self._current
        upcoming = self.queue.next_undone(cur, PREFETCH) if cur is not None else []
        prev = self.queue.neighbour(cur, -1) if cur is not None else None
        nxt = self.queue.neighbour(cur, 1) if cur is not None else None
        positions = [] if cur is None else [cur, *upcoming] + [p for p in (prev, nxt) if p is not None]
        buffers: list[bytes] = []
        key = self.items.key
        items = [
            self._item(pos, buffers, include_payload=key(pos) not in have) for pos in dict.fromkeys(positions)
        ]
        self.send(
            {
                "type": "window",
                "view": self._client_view,
                # per view: the latest of its messages handled, so each view of the widget
                # (displayed twice, two tabs) can ignore windows older than its own last action
                "views": {client: n - 1 for client, n in self._next_view.items()},
                "current": None if cur is None else key(cur),
                "upcoming": [key(p) for p in upcoming],
                "prev": None if prev is None else key(prev),
                "next": None if nxt is None else key(nxt),
                "items": items,
                "prefetch": PREFETCH,
                # the queue may grow when it is finished (a calibration gate): never "all done" early
                "more": bool(self._policy is not None and self._policy.may_open_more()),
            },
            buffers,
        )

    def _item(self, pos: int, buffers: list[bytes], *, include_payload: bool) -> dict[str, Any]:
        """One item of a window: its key, rank, standing answer and flag; its payload (what it
        shows) unless the browser has it; the policy's fields."""
        key = self.items.key(pos)
        state = self._state.get(key)
        item: dict[str, Any] = {
            "key": key,
            "rank": self.queue.rank_of(pos) + 1,
            "status": state[0] if state else None,
            "value": self._value_to_browser(state[1], pos) if state and state[0] == "label" else None,
            "flag": self._flags.get(key),
        }
        if self._active is not None:  # why the active ordering serves it (a line under the header)
            item["why"] = self._active.why_text(pos)
        if include_payload:
            try:
                item["payload"] = self._item_fields(pos, buffers)
            except Exception as exc:  # an item that cannot be shown must not fail the window
                _log.exception("nblabel: cannot show item %r", self.items.label(pos))
                item["payload"] = {"id": str(self.items.label(pos)), "error": short_error(exc)}
        if self._policy is not None:
            fields = self._policy.item_fields(self, pos)
            shown_id = fields.pop("shown_id", None)
            if shown_id is not None and "payload" in item:
                item["payload"]["id"] = str(shown_id)  # e.g. a repeated item shows the original's id
            item.update(fields)
        return item

    def _image_field(self, pos: int, buffers: list[bytes]) -> dict[str, Any] | None:
        """The ``image`` field of an item: a buffer reference, or the error to show."""
        if not self.items.has("image"):
            return None
        cell = self.items.cell("image", pos)
        if cell is None:
            return {"error": "(no image)"}
        try:
            data, mime = image_payload(cell)
        except ImageError as exc:
            return {"error": str(exc)}
        except Exception as exc:  # whatever Pillow or numpy raise: the item shows the reason
            return {"error": f"cannot show this image ({type(exc).__name__}: {exc})"}
        buffers.append(data)
        return {"buffer": len(buffers) - 1, "mime": mime}


#: The base's own message types and the methods that handle them.
_HANDLERS = {
    "hello": "_on_hello",
    "label": "_on_answer",
    "skip": "_on_answer",
    "flag": "_on_flag",
    "undo": "_on_undo",
    "goto": "_on_goto",
    "nav": "_on_nav",
}
