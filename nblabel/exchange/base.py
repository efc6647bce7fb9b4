"""What every format of :mod:`nblabel.exchange` shares: the :class:`ImportedTask` a reader
returns, the events frame it holds, the codecs the registered kinds offer for a format, reading
JSON and JSON Lines with the line at fault named, and the rows a writer writes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import registry
from ..core.imported import EVENT_COLUMNS, OPTIONAL_EVENT_COLUMNS, ImportedTask, ImportSummary
from ..exports.rows import label_rows

__all__ = [
    "EVENT_COLUMNS",
    "ImportSummary",
    "ImportedTask",
    "TaskRows",
    "codecs",
    "events_frame",
    "read_json",
    "read_jsonl",
    "task_rows",
]


def events_frame(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """The :attr:`ImportedTask.events` frame of ``rows`` (dicts with the :data:`EVENT_COLUMNS`
    a format knows; missing ones are empty): ``created_at`` as UTC timestamps, ``active_ms`` as
    ``Int64``, values kept as Python objects."""
    columns: dict[str, list[Any]] = {name: [r.get(name) for r in rows] for name in EVENT_COLUMNS}
    for name in OPTIONAL_EVENT_COLUMNS:
        if any(name in r for r in rows):
            columns[name] = [r.get(name) for r in rows]
    frame = pd.DataFrame({name: pd.Series(col, dtype=object) for name, col in columns.items()})
    frame["created_at"] = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    frame["active_ms"] = pd.array(
        [None if v is None else int(v) for v in columns["active_ms"]], dtype="Int64"
    )
    frame["kind"] = frame["kind"].fillna("label")
    return frame


def codecs(format: str) -> list[tuple[str, Any]]:
    """``(kind name, codec)`` of every registered kind whose codec reads or writes ``format``."""
    found = []
    for name in registry.known():
        codec = registry.get(name).exchange_codec(format)
        if codec is not None:
            found.append((name, codec))
    return found


def read_json(path: Path) -> Any:
    """The JSON document at ``path``; ``ValueError`` naming the file, line and column when it is
    not JSON, ``FileNotFoundError`` naming it when it is not there."""
    try:
        with path.open(encoding="utf-8") as f:
            return json.load(f)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: line {exc.lineno}, column {exc.colno}: not JSON ({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def read_jsonl(path: Path) -> Iterator[tuple[int, Any]]:
    """``(line number, record)`` of each non-blank line of the JSON Lines file at ``path``;
    ``ValueError`` naming the file and line that is not JSON."""
    try:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(
                        f"{path}: line {number}, column {exc.colno}: not JSON ({exc.msg})"
                    ) from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start})") from None


@dataclass
class TaskRows:
    """What a writer writes of a task: its record, its kind, the rows (``item_id``, ``value``,
    ``annotator`` when per annotator, and the event's provenance) and what each item showed."""

    info: Any
    kind: Any
    rows: pd.DataFrame
    items: pd.DataFrame


def task_rows(store: Any, task: str, values: pd.DataFrame | None = None) -> TaskRows:
    """The current labels of ``task`` (or ``values``, one per item) with what the store kept."""
    info = store.task(task)
    kind = registry.for_task(info.kind, info.config)
    return TaskRows(info, kind, label_rows(store, task, values), store.items(task))


def items_by_id(items: pd.DataFrame) -> dict[Any, dict[str, Any]]:
    """``{item id: {field: value}}`` of the store's items frame, missing fields left out."""
    out: dict[Any, dict[str, Any]] = {}
    for item_id, record in zip(items.index, items.to_dict("records"), strict=True):
        out[item_id] = {k: v for k, v in record.items() if not _missing(v)}
    return out


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return value is pd.NA or value is pd.NaT
