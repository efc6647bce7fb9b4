"""What the line-oriented formats (Prodigy and doccano JSON Lines) share: records that know where
they are in the file, the one record type a file holds (and the kind whose codec reads it), the
items a file showed, and the rows a writer writes with what each item showed.

A *record type* is what a format says one line records (Prodigy: ``"choice"``, ``"binary"``,
``"spans"``; doccano: ``"categories"``, ``"spans"``). A line may fit several (a Prodigy
``blocks`` answer with both choices and spans, a doccano line with no labels yet); the file's
type is the one every line fits, and the kind reading it is the one whose codec for the format
says it reads that type (``codec.reads(record_type)``) — never chosen by a kind's name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import registry
from ..core.frames import is_missing
from ..core.registry import ItemContext
from ..exports.rows import given_values
from .base import codecs, items_by_id

__all__ = [
    "Decoded",
    "ExportRows",
    "Items",
    "Record",
    "export_rows",
    "file_type",
    "reader_for",
]


@dataclass(frozen=True)
class Record:
    """One line of a file: where it is (``"line 12"``, ``"ana.jsonl, line 3"``) and its JSON."""

    where: str
    data: dict[str, Any]


@dataclass
class Decoded:
    """What a format's codec read from a file's records: the task's labels and config, each
    record's event (``("label", value)``, ``("skip", None)``, or ``None``: the line records no
    event) and extra fields each record's item showed (spans: its ``tokens``)."""

    labels: list[Any]
    config: dict[str, Any]
    answers: list[tuple[str, Any] | None]
    shown: list[dict[str, Any]] = field(default_factory=list)


def as_records(path: Path, lines: Iterable[tuple[int, Any]], prefix: str = "") -> list[Record]:
    """``(line number, JSON)`` pairs as :class:`Record` objects; ``ValueError`` naming the line
    that is not a JSON object."""
    out = []
    for number, data in lines:
        where = f"{prefix}line {number}"
        if not isinstance(data, dict):
            raise ValueError(f"{path}: {where}: a record must be a JSON object, got {type(data).__name__}")
        out.append(Record(where, data))
    return out


def file_type(path: Path, typed: Sequence[tuple[Record, frozenset[str]]], choose: str) -> str:
    """The one record type every line fits. ``typed`` holds each record with the types it fits
    (several when it cannot tell); ``choose`` says how to pick one (an option of the format).
    ``ValueError`` naming the first line that fits none of the types the earlier lines fit, or
    saying that the file fits several."""
    if not typed:
        raise ValueError(f"{path}: the file holds no records")
    common: frozenset[str] | None = None
    first = typed[0][0]
    for record, types in typed:
        narrowed = types if common is None else common & types
        if not narrowed:
            earlier = " or ".join(sorted(common or ()))
            raise ValueError(
                f"{path}: {record.where}: records {' or '.join(sorted(types))} answers, but the lines "
                f"before it (from {first.where}) record {earlier} answers; a file imports into one task"
            )
        common = narrowed
    assert common is not None
    if len(common) > 1:
        raise ValueError(f"{path}: every line fits {' and '.join(sorted(common))} answers: {choose}")
    return next(iter(common))


def reader_for(format: str, record_type: str, path: Path) -> tuple[str, Any]:
    """``(kind name, codec)`` of the registered kind whose codec for ``format`` reads
    ``record_type``; ``ValueError`` when no kind (or more than one) does."""
    found = [(name, codec) for name, codec in codecs(format) if codec.reads(record_type)]
    if len(found) != 1:
        who = (
            "no registered task kind reads them"
            if not found
            else (f"task kinds {[name for name, _ in found]} all read them")
        )
        raise ValueError(f"{path}: the file records {record_type} answers ({format}), but {who}")
    return found[0]


class Items:
    """What each item of a file showed, by item id: the first line of an item gives its fields;
    a later line that shows the same item otherwise is an error (two items under one id)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._shown: dict[Any, dict[str, Any]] = {}
        self._first: dict[Any, str] = {}

    def add(
        self, item_id: Any, shown: dict[str, Any], where: str, compare: Sequence[str] = ("text",)
    ) -> None:
        """Keep ``shown`` for ``item_id`` (the first time); ``ValueError`` when a field named in
        ``compare`` differs from what an earlier line of the same item showed."""
        known = self._shown.get(item_id)
        if known is None:
            self._shown[item_id] = shown
            self._first[item_id] = where
            return
        for name in compare:
            if name in shown and name in known and shown[name] != known[name]:
                raise ValueError(
                    f"{self.path}: {where}: item {item_id!r} shows another {name} than on "
                    f"{self._first[item_id]}: two items share one id (pass id_field= naming a field "
                    "that tells them apart)"
                )

    def frame(self) -> pd.DataFrame:
        """The items frame of an :class:`~nblabel.exchange.base.ImportedTask`."""
        index = pd.Index(list(self._shown), dtype=object, name="item_id")
        return pd.DataFrame.from_records(list(self._shown.values()), index=index)


@dataclass
class ExportRows:
    """What a writer writes of a task: its record (``info``: labels, config), its kind, one row
    per value (``item_id``, ``value``, ``kind`` "label" or "skip", and ``annotator`` and
    ``created_at`` when the rows are each annotator's) and what each item showed."""

    info: Any
    kind: Any
    rows: list[dict[str, Any]]
    shown: dict[Any, dict[str, Any]]
    per_annotator: bool


def export_rows(store: Any, task: str, values: pd.DataFrame | None, *, skips: bool) -> ExportRows:
    """The rows to write: each annotator's standing label of ``task`` (and skip, with
    ``skips``, of the items the store kept: a skip alone keeps nothing of its item), or
    ``values`` (one per item, such as ``session.final_labels()``), each checked as a gold
    answer of its item. Rows are in item order (as the store first saw the items), then by
    annotator."""
    info = store.task(task)
    kind = registry.for_task(info.kind, info.config)
    items = store.items(task)
    shown = items_by_id(items)
    if values is None:
        current = store.current(task)
        kinds = ("label", "skip") if skips else ("label",)
        current = current[current["kind"].isin(kinds)]
        # a skip stores nothing of its item: one nobody labeled has nothing to write
        current = current[(current["kind"] == "label") | current["item_id"].isin(items.index)]
        rows = [
            {"item_id": r["item_id"], "annotator": r["annotator"], "kind": r["kind"], "value": r["value"],
             "created_at": r["created_at"]}
            for r in current.to_dict("records")
        ]  # fmt: skip
        per_annotator = True
    else:
        given = given_values(values)
        per_annotator = "annotator" in given.columns
        rows = []
        for r in given.to_dict("records"):
            context = _context(info, shown.get(r["item_id"]), r["item_id"])
            row = {"item_id": r["item_id"], "kind": "label", "value": kind.check_gold(r["value"], context)}
            if per_annotator:
                row["annotator"] = r["annotator"]
                created = r.get("created_at")
                row["created_at"] = None if is_missing(created) else created
            rows.append(row)
    order = {item_id: i for i, item_id in enumerate(items.index)}
    rows.sort(key=lambda r: (order.get(r["item_id"], len(order)), str(r.get("annotator", ""))))
    return ExportRows(info=info, kind=kind, rows=rows, shown=shown, per_annotator=per_annotator)


def _context(info: Any, shown: dict[str, Any] | None, item_id: Any) -> ItemContext:
    text = (shown or {}).get("text")
    return ItemContext(
        f"values= item {item_id!r}",
        labels=info["labels"],
        config=info["config"] or {},
        text=text if isinstance(text, str) else None,
    )


def item_text(path: Path, ex: ExportRows, item_id: Any, format: str) -> str:
    """The text item ``item_id`` showed; ``ValueError`` when the store kept none (labels
    imported with ``import_annotations`` carry no text)."""
    text = ex.shown.get(item_id, {}).get("text")
    if not isinstance(text, str):
        raise ValueError(
            f"item {item_id!r} of the task has no stored text, which a {format} file needs (labels "
            "imported with import_annotations carry none): label it in a widget, or import a file "
            "that has its text"
        )
    return text


def plain(value: Any) -> Any:
    """numpy scalars as Python values, so that JSON writes them."""
    item = getattr(value, "item", None)
    if item is not None and callable(item) and not isinstance(value, (str, bytes, list, dict)):
        try:
            return item()
        except (TypeError, ValueError):
            return value
    return value


def json_id(item_id: Any) -> Any:
    """An item id as JSON keeps it: ints and strings as they are, other ids as text."""
    item_id = plain(item_id)
    if isinstance(item_id, bool) or not isinstance(item_id, (int, str)):
        return str(item_id)
    return item_id
