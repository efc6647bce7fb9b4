"""Export a task's current labels to the files training code reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..store.store import Store

FORMATS = ("jsonl", "csv", "parquet")


def export_table(store: Store, task: str, path: Path, format: str) -> Path:
    """Write one row per (item_id, annotator) with the current label of ``task`` as ``jsonl``,
    ``csv`` or ``parquet`` (every task kind has these; a kind's own formats are written by its
    exporter, see :mod:`nblabel.kinds`). Skipped items are left out. ``jsonl`` keeps values as
    JSON (lists for multi-label); ``csv`` and ``parquet`` store a value as itself when every
    value is a string, as JSON text otherwise."""
    if format not in FORMATS:
        raise ValueError(f"format {format!r} is not one of {FORMATS}")
    current = store.current(task)
    labels = current[current["kind"] == "label"].drop(columns=["kind"]).reset_index(drop=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    if format == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for row in labels.to_dict("records"):
                fh.write(json.dumps(json_row(row), ensure_ascii=False) + "\n")
        return path
    flat = labels.copy()
    for col in ("value", "suggestion"):
        if not all(isinstance(v, str) for v in flat[col].dropna()):
            flat[col] = [None if v is None else json.dumps(v, ensure_ascii=False) for v in flat[col]]
    flat["created_at"] = flat["created_at"].astype(str) if format == "csv" else flat["created_at"]
    if format == "csv":
        flat.to_csv(path, index=False)
    else:
        try:
            import pyarrow  # noqa: F401
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError("format='parquet' needs pyarrow: pip install 'nblabel[parquet]'") from exc
        flat["item_id"] = flat["item_id"].astype(str) if flat["item_id"].dtype == object else flat["item_id"]
        flat.to_parquet(path, index=False)
    return path


def json_value(value: Any) -> Any:
    """One cell as a JSON value: timestamps as ISO text, NaN/NA/NaT as null, numpy scalars as
    Python values; anything else as it is."""
    if value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            return value.item()
        except (ValueError, AttributeError):  # an array of several values
            return value
    return value


def json_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row with every cell as a JSON value (see :func:`json_value`)."""
    return {key: json_value(value) for key, value in row.items()}
