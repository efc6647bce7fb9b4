"""The annotation event and the rule that turns an event log into current labels."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: What an event records (the ``kind`` column of the log; not the kind of task): a label, a
#: skip, a flag, or the retraction of an earlier label or skip.
EVENT_KINDS = ("label", "skip", "flag", "retract")


def now_us() -> int:
    """Current UTC time in microseconds since the epoch."""
    return time.time_ns() // 1000


@dataclass(frozen=True)
class Event:
    """One row of the append-only event log.

    ``item_id`` is the encoded id (see :mod:`nblabel.ids`); ``value`` and ``suggestion`` are
    JSON-serialisable Python values; ``suggestion_shown`` says whether the suggestion was shown.
    """

    task: str
    item_id: str
    annotator: str
    kind: str
    value: Any = None
    item_kind: str = "str"
    comment: str | None = None
    active_ms: int | None = None
    guideline_version: str | None = None
    suggestion: Any = None
    client_id: str | None = None
    client_seq: int | None = None
    created_us: int = field(default_factory=now_us)
    #: Whether the label's suggestion was shown (``True``/``False``); ``None``: no suggestion.
    suggestion_shown: bool | None = None

    def __post_init__(self) -> None:
        if self.kind not in EVENT_KINDS:
            raise ValueError(f"event kind {self.kind!r} is not one of {EVENT_KINDS}")

    def row(self) -> dict[str, Any]:
        """The event as a row of the ``nbl_events`` table."""
        return {
            "task": self.task,
            "item_id": self.item_id,
            "item_kind": self.item_kind,
            "annotator": self.annotator,
            "kind": self.kind,
            "value": dump_json(self.value),
            "comment": self.comment,
            "created_us": self.created_us,
            "active_ms": self.active_ms,
            "guideline_version": self.guideline_version,
            "suggestion": dump_json(self.suggestion),
            "client_id": self.client_id,
            "client_seq": self.client_seq,
            "suggestion_shown": None if self.suggestion_shown is None else int(bool(self.suggestion_shown)),
        }


#: ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))``, without building an
#: encoder per call (a value is dumped after every key press).
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dump_json(value: Any) -> str | None:
    """JSON text for a value column (``None`` stays NULL)."""
    if value is None:
        return None
    return _COMPACT.encode(value)


def retract_target(value: Any) -> int | None:
    """The id of the event a ``retract`` withdraws, or ``None`` for an untargeted retract.

    A widget's undo writes ``{"retracts": <event id>}``: it withdraws exactly that event, even
    when another widget of the same annotator labeled the item since. Retracts without a target
    (older stores, hand-written imports) withdraw the latest standing event of their item.
    """
    if isinstance(value, dict):
        target = value.get("retracts")
        if isinstance(target, int) and not isinstance(target, bool):
            return target
    return None


def reduce_state(rows: Iterable[tuple[str, str, str, Any]]) -> dict[tuple[str, str], tuple[str, Any]]:
    """Current state per (item_id, annotator) from ``(item_id, annotator, kind, value)`` rows.

    Rows must be in log order. ``label`` and ``skip`` events push onto a per-item stack, a
    ``retract`` pops the latest one, ``flag`` events do not change the state. The result maps
    ``(item_id, annotator)`` to ``(kind, value)`` of the event on top of the stack.

    Rows may carry two more fields, ``(item_id, annotator, kind, value, event_id, target)``:
    then a retract whose ``target`` is an event id withdraws that event wherever it stands in
    its stack (see :func:`retract_target`), and ``value`` is returned as before.
    """
    stacks: dict[tuple[str, str], list[tuple[str, Any, Any]]] = {}
    for row in rows:
        item_id, annotator, kind, value = row[:4]
        if kind == "flag":
            continue
        key = (item_id, annotator)
        stack = stacks.setdefault(key, [])
        if kind == "retract":
            target = row[5] if len(row) > 5 else None
            if target is None:
                if stack:
                    stack.pop()
            else:
                for i in range(len(stack) - 1, -1, -1):
                    if stack[i][2] == target:
                        del stack[i]
                        break
        else:
            stack.append((kind, value, row[4] if len(row) > 4 else None))
    return {key: stack[-1][:2] for key, stack in stacks.items() if stack}
