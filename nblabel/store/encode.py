"""What goes into the event log: an event's row and an item's row checked for what the store can
hold (the same on both backends), names asked for checked alike, and a DataFrame's columns
encoded for a bulk import with the row at fault named."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from ..core import ids, limits
from ..core.event import EVENT_KINDS, Event, dump_json, now_us

__all__ = ["IMPORT_COLUMNS", "check_column", "check_query", "event_row", "import_columns", "item_row"]

#: The event columns a bulk import writes, in the order of :func:`import_columns`.
IMPORT_COLUMNS = (
    "task", "item_id", "item_kind", "annotator", "kind", "value", "comment",
    "created_us", "active_ms", "guideline_version",
)  # fmt: skip


#: The last event :func:`event_row` checked, with its row: a widget checks an event when it
#: accepts it and the store when it writes it, one after the other (events are frozen).
_last_checked: tuple[Event, dict[str, Any]] | None = None


def event_row(event: Event) -> dict[str, Any]:
    """The ``nbl_events`` row of ``event``, checked for what the store can hold (the same on
    both backends): ``ValueError`` names a text field holding NUL or a lone surrogate, or a
    name over :data:`nblabel.limits.MAX_NAME_BYTES`; JSON fields are always storable. A new
    dict each call."""
    global _last_checked
    last = _last_checked
    if last is not None and last[0] is event:
        return dict(last[1])
    row = _checked_row(event)
    _last_checked = (event, row)
    return dict(row)


def _checked_row(event: Event) -> dict[str, Any]:
    row = event.row()
    for field in ("task", "annotator"):
        limits.check_key(row[field], field)
    limits.check_text(row["item_id"], "item id")
    for field in ("comment", "guideline_version", "client_id"):
        if row[field] is not None:
            limits.check_text(row[field], field.replace("_", " "))
    if row["client_id"] is not None:
        limits.check_key(row["client_id"], "client id")
    for field in ("value", "suggestion"):
        if row[field] is not None:
            row[field] = limits.storable_json(row[field])
    return row


def item_row(task: str, item_id: str, item_kind: str, content: Mapping[str, Any]) -> dict[str, Any]:
    """The ``nbl_items`` row of what an item showed (``content``, as JSON text)."""
    return {
        "task": task,
        "item_id": item_id,
        "item_kind": item_kind,
        "content": limits.json_text(dict(content)),
        "created_us": now_us(),
    }


def check_query(**names: str | None) -> None:
    """A task or annotator name asked for that no store can hold is refused alike on both
    backends (PostgreSQL would reject the query, SQLite would find nothing)."""
    for what, value in names.items():
        if isinstance(value, str) and limits.text_problem(value) is not None:
            limits.check_text(value, what)


def check_column(values: Sequence[Any], index: pd.Index, column: str) -> None:
    """``ValueError`` naming the row of the first text in ``values`` the store cannot keep."""
    texts = [(pos, v) for pos, v in enumerate(values) if isinstance(v, str)]
    bad = limits.first_unstorable([v for _, v in texts])
    if bad is not None:
        pos, value = texts[bad]
        limits.check_text(value, f"column {column!r} at row {index[pos]!r}:")


# ---------------------------------------------------------------------- bulk import
def import_columns(frame: pd.DataFrame, task: str, kind: str) -> list[list[Any]]:
    """The columns of ``frame`` (``item_id``, ``annotator``, ``value``; optional ``kind``,
    ``created_at``, ``active_ms``, ``comment``, ``guideline_version``) as one list per
    :data:`IMPORT_COLUMNS` column, checked: an error names the column (and row) at fault."""
    n = len(frame)
    keys, kinds = _item_keys(frame)
    values = _dump_json_column(frame["value"].tolist())
    created_us = _created_us(frame)
    event_kinds = _optional(frame, "kind", kind)
    bad = sorted({k for k in event_kinds if k not in EVENT_KINDS})
    if bad:
        raise ValueError(f"column 'kind' has values {bad}; allowed: {EVENT_KINDS}")
    active = [None if v is None else int(v) for v in _optional(frame, "active_ms", None)]
    comments = _optional(frame, "comment", None)
    versions = _optional(frame, "guideline_version", None)
    annotators = [str(a) for a in frame["annotator"].tolist()]
    for name in set(annotators):
        limits.check_key(name, "annotator")
    for col, texts in (("comment", comments), ("guideline_version", versions)):
        check_column(texts, frame.index, col)
    return [[task] * n, keys, kinds, annotators, event_kinds, values, comments, created_us, active, versions]


def _item_keys(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The stored text and dtype kind of each item id (integer ids without per-id encoding)."""
    item_col = frame["item_id"]
    if pd.api.types.is_integer_dtype(item_col.dtype):
        return item_col.astype("int64").astype(str).tolist(), ["int"] * len(frame)
    pairs = [ids.encode(v) for v in item_col]
    keys = [p[0] for p in pairs]
    check_column(keys, frame.index, "item_id")
    return keys, [p[1] for p in pairs]


def _created_us(frame: pd.DataFrame) -> list[int]:
    """Each event's time in UTC microseconds: ``created_at`` if given, else now."""
    if "created_at" not in frame.columns:
        return [now_us()] * len(frame)
    # as_unit: pandas 3 infers the resolution (s, ms, us, ns) from the input
    created = pd.to_datetime(frame["created_at"], utc=True).dt.as_unit("us")
    return created.astype("int64").tolist()


def _optional(frame: pd.DataFrame, name: str, default: Any) -> list[Any]:
    """Column ``name`` as a list with missing values as ``None``, or ``default`` everywhere."""
    if name in frame.columns:
        return [None if pd.isna(v) else v for v in frame[name].tolist()]
    return [default] * len(frame)


def _dump_json_column(values: list[Any]) -> list[str | None]:
    """JSON text for each value, encoding each distinct string once (labels repeat a lot)."""
    cache: dict[str, str | None] = {}
    out = []
    for value in values:
        if type(value) is str:
            text = cache.get(value)
            if text is None:
                text = cache[value] = limits.json_text(value, separators=(",", ":"))
            out.append(text)
        else:
            text = dump_json(value)
            out.append(None if text is None else limits.storable_json(text))
    return out
