"""A Hugging Face ``datasets`` dataset written to a folder (``Dataset.save_to_disk``), loadable
with ``datasets.load_from_disk(folder)`` and pushed with the user's own ``push_to_hub``.

Rows are plain records (one per item). A column keeps its values' own types where Arrow can hold
them as one type (labels, lists of labels, spans, boxes, judgements); a column whose values
Arrow cannot type alike is written as JSON text, so nothing is lost.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .table import json_value

__all__ = ["item_fields", "plain_ids", "write_hf_dataset"]


def write_hf_dataset(records: Sequence[dict[str, Any]], directory: Path, columns: Sequence[str]) -> Path:
    """Write ``records`` (the ``columns`` of each, in that order) as a dataset in ``directory``."""
    try:
        import datasets
        import pyarrow as pa
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("format='hf' needs Hugging Face datasets: pip install datasets") from exc
    table = pa.table({name: _column(pa, [_plain(r.get(name)) for r in records]) for name in columns})
    directory.mkdir(parents=True, exist_ok=True)
    # without rows, datasets writes no shard at all, and load_from_disk then fails: write one
    shards = {"num_shards": 1} if table.num_rows == 0 else {}
    datasets.Dataset(table).save_to_disk(str(directory), **shards)
    return directory


def _column(pa: Any, cells: list[Any]) -> Any:
    """One Arrow column: the values as they are, or JSON text where Arrow cannot type them as
    one type (a number here and text there)."""
    try:
        return pa.array(cells)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return pa.array(
            [None if c is None else json.dumps(c, ensure_ascii=False) for c in cells], pa.string()
        )


def _plain(value: Any) -> Any:
    """A cell as plain JSON data (numpy scalars as Python values, NaN as null), recursively."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return json_value(value)


def plain_ids(index: pd.Index) -> list[Any]:
    """Item ids as one Arrow type: numbers when every id is an integer, else text."""
    values = [json_value(i) for i in index]
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return values
    return [str(v) for v in values]


def item_fields(shown: pd.DataFrame, item_id: Any, fields: Sequence[str]) -> dict[str, Any]:
    """The ``fields`` of what item ``item_id`` showed, as ``store.items(task)`` kept them (NaN
    and items the store has no row for as null)."""
    item = shown.loc[item_id] if item_id in shown.index else None
    return {f: None if item is None else _field(item[f]) for f in fields}


def _field(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value
