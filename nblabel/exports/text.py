"""Exports of written answers (``nl.Text`` tasks).

* ``jsonl``: one record per answer — ``item_id``, ``annotator``, ``source`` (the item's text
  as shown), ``draft`` (the draft it started from, or ``null``), ``answer`` (the text written),
  ``edit_distance`` (Levenshtein distance from the draft in characters, or ``null`` without a
  draft) and ``created_at``;
* ``sft``: the prompt–completion layout of instruction tuning, ``{"prompt": source,
  "completion": answer}`` per answer — what TRL's ``SFTTrainer`` and Hugging Face
  ``datasets``' JSON loader read.

Texts are those stored with each item's first label. With ``values=`` (one answer per item,
such as ``session.final_labels()``) the records are per item, without ``annotator`` and
``created_at``. Without ``values=`` an item written by several annotators gives one record
each (several demonstrations of one prompt); export the final labels for one per item.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..agreement.report import sort_key
from ..agreement.text import edit_distance
from ..core.frames import is_missing
from ..store.store import Store
from .rows import label_rows, per_annotator

__all__ = ["TEXT_FORMATS", "export_text"]

TEXT_FORMATS = ("jsonl", "sft")


def export_text(
    store: Store, task: str, path: Path, format: str, *, values: pd.DataFrame | None = None
) -> Path:
    """Write the standing answers of ``task`` (or ``values``: one per item) to ``path`` as
    ``format`` (``jsonl`` or ``sft``)."""
    if format not in TEXT_FORMATS:
        raise ValueError(f"format {format!r} is not one of {TEXT_FORMATS}")
    rows = label_rows(store, task, values)
    keyed = per_annotator(rows)
    shown = store.items(task)
    missing = [i for i in pd.unique(rows["item_id"]) if i not in shown.index]
    if missing:
        raise ValueError(
            f"items {missing[:10]} of task {task!r} have no stored source text (labels imported with "
            "import_annotations carry none): label them in a Text widget, or export 'csv'"
        )
    records = rows.to_dict("records")
    records.sort(key=lambda r: (sort_key(r["item_id"]), (r.get("annotator") or "") if keyed else ""))
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for row in records:
            item = shown.loc[row["item_id"]]
            record = _record(row, item, format, keyed)
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _text(value: Any) -> str | None:
    return None if is_missing(value) else str(value)


def _record(row: dict[str, Any], item: pd.Series, format: str, keyed: bool) -> dict[str, Any]:
    answer = row["value"]
    if not isinstance(answer, str):
        raise ValueError(f"item {row['item_id']!r}: a text task's answer is a text, got {answer!r}")
    source = _text(item.get("text"))
    if format == "sft":
        return {"prompt": source, "completion": answer}
    draft = _text(item.get("draft"))
    suggestion = row.get("suggestion")
    if isinstance(suggestion, Mapping) and isinstance(suggestion.get("draft"), str):
        draft = suggestion["draft"]  # the draft this annotator was shown, as the event recorded it
    item_id = row["item_id"]
    record: dict[str, Any] = {"item_id": item_id.item() if hasattr(item_id, "item") else item_id}
    if keyed:
        record["annotator"] = row["annotator"]
    record.update(
        source=source,
        draft=draft,
        answer=answer,
        edit_distance=None if draft is None else edit_distance(draft, answer),
    )
    created = row.get("created_at") if keyed else None
    if created is not None and not is_missing(created):
        record["created_at"] = pd.Timestamp(created).isoformat()
    return record
