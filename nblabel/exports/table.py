"""Export a task's current labels to the files training code reads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.frames import is_missing
from ..store.store import Store
from .rows import label_rows

FORMATS = ("jsonl", "csv", "parquet")


def export_table(
    store: Store, task: str, path: Path, format: str, values: pd.DataFrame | None = None
) -> Path:
    """Write one row per (item_id, annotator) with the current label of ``task`` as ``jsonl``,
    ``csv`` or ``parquet`` (every task kind has these; a kind's own formats are written by its
    exporter, see :mod:`nblabel.kinds`). Skipped items are left out. With ``values=`` (such as
    ``session.final_labels()``) the rows are those values, with every column they have.
    ``jsonl`` keeps values as JSON (lists for multi-label); ``csv`` and ``parquet`` store a
    column as itself when every cell is a string, a column holding lists or dicts as JSON text."""
    if format not in FORMATS:
        raise ValueError(f"format {format!r} is not one of {FORMATS}")
    labels = label_rows(store, task, values)
    path.parent.mkdir(parents=True, exist_ok=True)
    if format == "jsonl":
        with path.open("w", encoding="utf-8") as fh:
            for row in labels.to_dict("records"):
                fh.write(json.dumps(json_row(row), ensure_ascii=False) + "\n")
        return path
    flat = labels.copy()
    for col in flat.columns:
        encode = col in ("value", "suggestion") or _holds_json(flat[col])
        if encode and not all(isinstance(v, str) for v in flat[col].dropna()):
            flat[col] = [None if is_missing(v) else json.dumps(v, ensure_ascii=False, default=str)
                         for v in flat[col]]  # fmt: skip
        if format == "csv" and pd.api.types.is_datetime64_any_dtype(flat[col]):
            flat[col] = flat[col].astype(str).where(flat[col].notna(), None)
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


def _holds_json(column: pd.Series) -> bool:
    """Whether a column holds lists or dicts (written as JSON text in csv and parquet)."""
    return column.dtype == object and any(isinstance(v, (list, dict)) for v in column)


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
