"""Drive a widget as the browser does, without a browser or a kernel (ipywidgets' dummy comm).

A helper module, not ``conftest.py``: test modules import it by name, and ``tests/e2e`` has a
``conftest.py`` of its own that would shadow names imported ``from conftest``.
"""

from __future__ import annotations


class Outbox:
    """Messages a widget sends to the browser (``w.send`` replaced on the instance)."""

    def __init__(self, widget) -> None:
        self.messages: list[tuple[dict, list]] = []
        widget.send = self._send

    def _send(self, content, buffers=None) -> None:
        self.messages.append((content, list(buffers or [])))

    def of_type(self, kind: str) -> list[dict]:
        return [m for m, _ in self.messages if m.get("type") == kind]

    def last(self, kind: str) -> dict:
        found = self.of_type(kind)
        assert found, f"no {kind!r} message among {[m.get('type') for m, _ in self.messages]}"
        return found[-1]

    def last_with_buffers(self, kind: str) -> tuple[dict, list]:
        for msg, buffers in reversed(self.messages):
            if msg.get("type") == kind:
                return msg, buffers
        raise AssertionError(f"no {kind!r} message")

    def clear(self) -> None:
        self.messages.clear()

    def acked(self) -> list[int]:
        return [s for m in self.of_type("ack") for s in m["seqs"]]


class Browser:
    """Drives a widget the way the front end does: view numbers, seqs and ``have`` keys."""

    def __init__(self, widget) -> None:
        self.w = widget
        self.out = Outbox(widget)
        self.view = 0
        self.seq = 0
        self.have: set[str] = set()

    def send(self, msg: dict, *, tracked: bool = False) -> dict:
        self.view += 1
        msg = {**msg, "view": self.view, "have": sorted(self.have)}
        if tracked:
            self.seq += 1
            msg["seq"] = self.seq
        self.w._on_browser_message(self.w, msg, [])
        window = self.out.last("window")
        self.have |= {item["key"] for item in window["items"] if "payload" in item}
        return window

    def hello(self) -> dict:
        return self.send({"type": "hello"})

    def label(self, key: str, value, active_ms: int = 1200) -> dict:
        return self.send({"type": "label", "key": key, "value": value, "active_ms": active_ms}, tracked=True)

    def skip(self, key: str) -> dict:
        return self.send({"type": "skip", "key": key, "active_ms": 10}, tracked=True)

    def flag(self, key: str, comment: str) -> dict:
        return self.send({"type": "flag", "key": key, "comment": comment}, tracked=True)

    def undo(self) -> dict:
        return self.send({"type": "undo"}, tracked=True)

    def goto(self, key: str) -> dict:
        return self.send({"type": "goto", "key": key})

    def nav(self, key: str | None, step: int) -> dict:
        return self.send({"type": "nav", "key": key, "step": step})
