"""Importing another tool's file (Label Studio, Prodigy, doccano): the registered file format
reads it, every value is checked by the task's kind, then the task, its items and its events are
written in one transaction — or, when anything is wrong, nothing is.

An import is idempotent: each event gets a ``client_id`` derived from what it says (task, item,
annotator, event kind, value, time) and is inserted with insert-or-ignore on the log's
``(client_id, client_seq)`` key, so importing the same file again writes nothing; items keep
their first copy.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection, Engine

from ..core import ids, limits, registry
from ..core.event import dump_json, now_us
from ..core.imported import EVENT_COLUMNS, ImportedTask, ImportSummary
from ..core.registry import ItemContext
from . import schema
from .encode import IMPORT_COLUMNS

__all__ = ["FileImports"]

#: The event columns an import writes: a bulk import's, the suggestion and the idempotency key.
IMPORTED_EVENT_COLUMNS = (*IMPORT_COLUMNS, "suggestion", "client_id", "client_seq")
#: The item columns an import writes.
ITEM_COLUMNS = ("task", "item_id", "item_kind", "content", "created_us")
#: Rows per ``executemany`` call.
CHUNK = 50_000
#: Event kinds a file may record.
IMPORTED_KINDS = ("label", "skip")


class FileImports:
    """Mixin of :class:`~nblabel.store.Store`: :meth:`import_file`."""

    # provided by Store
    backend: str
    location: str
    _writer: Engine
    _lock: threading.RLock
    check_file: Callable[[], None]
    task: Callable[[str], Any]
    _register_in: Callable[..., Any]
    _insert_chunks: Callable[..., int]

    def import_file(
        self, path: str | os.PathLike[str], format: str, task: str, **options: Any
    ) -> ImportSummary:
        """Import the labels of another tool's file into ``task``.

        ``format`` names a registered file format (``"label-studio"``, ``"prodigy"``,
        ``"doccano"``); ``options`` go to its reader (``id_field=``, ``annotator=``, ...). Every
        value is checked by the task kind first: a bad one raises ``ValueError`` naming the
        file, the line or record and the field, and nothing is written. The task is created (or
        re-opened: it must be of the same kind; its label set may grow), then its items and
        events are written in one transaction, keeping times, active time and suggestions the
        file has. Importing the same file again writes nothing. Returns an
        :class:`~nblabel.core.imported.ImportSummary`.
        """
        path = Path(path)
        fmt = registry.file_format(format)  # KeyError naming the known formats
        if not isinstance(task, str) or not task:
            raise ValueError(f"task must be a non-empty string, got {task!r}")
        limits.check_key(task, "task")
        imported = fmt.read(path, **options)
        plan = self._plan_import(path, task, imported)
        self.check_file()
        with self._lock, self._writer.begin() as conn:
            self._register_in(conn, task, imported.kind, plan.labels, plan.config, plan.fixed)
            items_written = self._write_items(conn, plan.items)
            written = self._insert_chunks(
                conn, plan.events, CHUNK, IMPORTED_EVENT_COLUMNS, conflict="(client_id, client_seq)"
            )
        self.check_file()
        n_events = len(plan.events[0])
        return ImportSummary(
            task=task,
            kind=imported.kind,
            path=path,
            format=fmt.name,
            items=plan.n_items,
            annotators=plan.annotators,
            events=n_events,
            written=written,
            already_present=n_events - written,
            items_written=items_written,
        )

    def _write_items(self, conn: Connection, columns: list[list[Any]]) -> int:
        if not columns[0]:
            return 0
        key = "(task, md5(item_id))" if self.backend == "postgresql" else "(task, item_id)"
        return self._insert_chunks(conn, columns, CHUNK, ITEM_COLUMNS, table=schema.items.name, conflict=key)

    # ------------------------------------------------------------------ checks (nothing written)
    def _plan_import(self, path: Path, task: str, imported: ImportedTask) -> _Plan:
        """What the import writes, every value checked; ``ValueError`` naming the file, the
        record and the field at fault."""
        events = imported.events
        missing = [c for c in EVENT_COLUMNS if c not in events.columns]
        if missing:
            raise ValueError(f"{path}: the reader gave no {missing} columns (a bug of the format)")
        kind_name = imported.kind
        registry.get(kind_name)  # TaskKindError naming the known kinds
        labels, config, fixed = self._task_terms(path, task, imported)
        kind = registry.for_task(kind_name, config)
        label_index = _label_index(labels)
        items = _Items(imported.items)

        def context(where: str, key: str, swapped: Any) -> ItemContext:
            text, size = items.shown(key)
            return ItemContext(
                where, labels=labels, config=config, text=text, size=size,
                swapped=bool(swapped) if swapped is not None and not pd.isna(swapped) else False,
                label_index=label_index,
            )  # fmt: skip

        n = len(events)
        keys, kinds_ = _encode_ids(events["item_id"].tolist(), events["source"].tolist(), path)
        sources = [str(s) for s in events["source"].tolist()]
        annotators = [str(a) for a in events["annotator"].tolist()]
        for name in dict.fromkeys(annotators):
            _checked(path, sources[annotators.index(name)], "annotator", limits.check_key, name, "annotator")
        event_kinds = [str(k) for k in events["kind"].tolist()]
        swapped = events["swapped"].tolist() if "swapped" in events.columns else [None] * n
        comments = [None if _missing(c) else str(c) for c in _column(events, "comment", n)]
        values, suggestions = [], []
        texts: dict[str, str | None] = {}  # JSON of each distinct label, made once
        for pos, (key, event_kind, value, suggestion) in enumerate(
            zip(keys, event_kinds, events["value"].tolist(), events["suggestion"].tolist(), strict=True)
        ):
            where = sources[pos]
            if event_kind not in IMPORTED_KINDS:
                raise ValueError(f"{path}: {where}: event kind {event_kind!r} is not one of {IMPORTED_KINDS}")
            if comments[pos] is not None:
                _checked(path, where, "comment", limits.check_text, comments[pos], "comment")
            item = context(where, key, swapped[pos])
            if event_kind == "label":
                values.append(_json(_checked(path, where, "value", kind.check_value, value, item), texts))
            else:
                values.append(None)
            if _missing(suggestion):
                suggestions.append(None)
            else:
                checked = _checked(path, where, "prediction", kind.check_value, suggestion, item)
                suggestions.append(_json(checked, texts))
        values = [None if v is None else limits.storable_json(v) for v in values]
        suggestions = [None if v is None else limits.storable_json(v) for v in suggestions]
        created = _created_us(events["created_at"], path)
        active = [None if _missing(v) else int(v) for v in events["active_ms"].tolist()]
        client_ids, seqs = _client_ids(task, keys, kinds_, annotators, event_kinds, values, created)
        now = now_us()
        created_us = [now if c is None else c for c in created]
        event_columns = [
            [task] * n, keys, kinds_, annotators, event_kinds, values, comments, created_us, active,
            [None] * n, suggestions, client_ids, seqs,
        ]  # fmt: skip
        return _Plan(
            labels=labels,
            config=config,
            fixed=fixed,
            events=event_columns,
            items=items.columns(task, now),
            n_items=len(set(keys) | set(items.keys)),
            annotators=sorted(set(annotators)),
        )

    def _task_terms(
        self, path: Path, task: str, imported: ImportedTask
    ) -> tuple[list[Any], dict[str, Any], tuple[str, ...]]:
        """The label set, config and fixed config keys the task will have: the file's for a new
        task; the stored ones (labels grown by the file's) for an existing task of the same
        kind. ``ValueError`` when the task is of another kind or its config disagrees."""
        labels = list(dict.fromkeys(imported.labels))
        config = dict(imported.config)
        try:
            info = self.task(task)
        except KeyError:
            return labels, config, tuple(config)
        if info.kind != imported.kind:
            raise ValueError(
                f"task {task!r} in {self.location} is a {info.kind!r} task; {path} holds "
                f"{imported.kind!r} labels — import it into another task"
            )
        stored = dict(info.config or {})
        different = [k for k in config if k in stored and stored[k] != config[k]]
        if not different and registry.for_task(info.kind, stored) is not registry.for_task(
            info.kind, {**stored, **config}
        ):
            different = [k for k in config if k not in stored]
        if different:
            said = ", ".join(f"{k}={config.get(k)!r} (the task has {stored.get(k)!r})" for k in different)
            raise ValueError(f"{path} does not fit task {task!r} in {self.location}: the file has {said}")
        known = _label_index(info.labels)
        merged = list(info.labels) + [label for label in labels if label not in known]
        return merged, stored, ()


@dataclass
class _Plan:
    """What an import writes, checked."""

    labels: list[Any]
    config: dict[str, Any]
    fixed: tuple[str, ...]
    events: list[list[Any]]  # one list per IMPORTED_EVENT_COLUMNS column
    items: list[list[Any]]  # one list per ITEM_COLUMNS column
    n_items: int
    annotators: list[str]


class _Items:
    """The items frame of an import, by stored item key: what each showed."""

    def __init__(self, frame: pd.DataFrame) -> None:
        encoded = [ids.encode(_plain(v)) for v in frame.index]
        self.keys = [key for key, _ in encoded]
        self._kinds = [kind for _, kind in encoded]
        records = frame.to_dict("records") if len(frame.columns) else [{} for _ in range(len(frame))]
        self.content = [{k: _plain(v) for k, v in r.items() if not _missing(v)} for r in records]
        self._by_key = dict(zip(self.keys, self.content, strict=True))

    def shown(self, key: str) -> tuple[str | None, tuple[int, int] | None]:
        content = self._by_key.get(key)
        if content is None:
            return None, None
        text = content.get("text")
        width, height = content.get("width"), content.get("height")
        size = None if width is None or height is None else (int(width), int(height))
        return (text if isinstance(text, str) else None), size

    def columns(self, task: str, now: int) -> list[list[Any]]:
        n = len(self.keys)
        contents = [limits.json_text(c) for c in self.content]
        return [[task] * n, list(self.keys), list(self._kinds), contents, [now] * n]


def _checked(path: Path, where: str, field: str, check: Callable[..., Any], *args: Any) -> Any:
    """``check(*args)``, its error said with the file, the record and the field."""
    try:
        return check(*args)
    except (ValueError, TypeError) as exc:
        message = str(exc)
        if message.startswith(where):
            message = message[len(where) :].lstrip(": ")
        raise ValueError(f"{path}: {where}: {field}: {message}") from None


def _encode_ids(values: list[Any], sources: list[Any], path: Path) -> tuple[list[str], list[str]]:
    keys, kinds = [], []
    for value, source in zip(values, sources, strict=True):
        key, kind = _checked(path, str(source), "item id", ids.encode, _plain(value))
        keys.append(key)
        kinds.append(kind)
    bad = limits.first_unstorable(keys)
    if bad is not None:
        _checked(path, str(sources[bad]), "item id", limits.check_text, keys[bad], "item id")
    return keys, kinds


def _created_us(column: pd.Series, path: Path) -> list[int | None]:
    """Each event's time in UTC microseconds, ``None`` where the file has none."""
    try:
        created = pd.to_datetime(column, utc=True).dt.as_unit("us")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: created_at: {exc}") from None
    missing = created.isna().tolist()
    micros = created.array.asi8.tolist()
    return [None if m else v for m, v in zip(missing, micros, strict=True)]


def _client_ids(
    task: str,
    keys: list[str],
    item_kinds: list[str],
    annotators: list[str],
    kinds: list[str],
    values: list[str | None],
    created: list[int | None],
) -> tuple[list[str], list[int]]:
    """A deterministic ``(client_id, client_seq)`` per event: the hash of what it says, and its
    occurrence among identical events of the file (so two identical events are both kept)."""
    client_ids, seqs = [], []
    seen: dict[str, int] = {}
    for row in zip(keys, item_kinds, annotators, kinds, values, created, strict=True):
        # fields joined by a separator no field can hold unescaped (values are JSON text)
        text = "\x1f".join([task, *("" if field is None else str(field) for field in row)])
        digest = "import:" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        seq = seen.get(digest, 0)
        seen[digest] = seq + 1
        client_ids.append(digest)
        seqs.append(seq)
    return client_ids, seqs


def _json(value: Any, cache: dict[str, str | None]) -> str | None:
    """JSON text of a stored value; a label (text) is encoded once however often it occurs."""
    if type(value) is not str:
        return dump_json(value)
    text = cache.get(value)
    if text is None:
        text = cache[value] = dump_json(value)
    return text


def _label_index(labels: list[Any]) -> dict[Any, int]:
    index: dict[Any, int] = {}
    for i, label in enumerate(labels):
        try:
            index.setdefault(label, i)
        except TypeError:  # an unhashable label (never from a file): found by no value
            continue
    return index


def _column(frame: pd.DataFrame, name: str, n: int) -> list[Any]:
    return frame[name].tolist() if name in frame.columns else [None] * n


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and value != value:
        return True
    return value is pd.NA or value is pd.NaT


def _plain(value: Any) -> Any:
    """numpy scalars as Python ones (JSON and id encoding take Python values)."""
    item = getattr(value, "item", None)
    if item is not None and not isinstance(value, (str, bytes, Mapping, list)) and callable(item):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value
