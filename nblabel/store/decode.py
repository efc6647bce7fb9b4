"""What comes out of the event log: event columns (read row-wise or column-wise) made into the
annotations DataFrame, with item ids in their original dtype and JSON values decoded."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core import ids
from ..core.frames import decode_json_column
from .schema import EVENT_COLUMNS

__all__ = ["ANNOTATION_ORDER", "decode_ids", "frame", "frame_from_columns", "table_columns", "to_datetime"]

#: The columns of :meth:`Store.annotations`, in order.
ANNOTATION_ORDER = [
    "id", "task", "item_id", "annotator", "kind", "value", "comment", "created_at", "active_ms",
    "guideline_version", "suggestion", "suggestion_shown", "client_id", "client_seq", "item_kind",
]  # fmt: skip


def to_datetime(values: Sequence[int]) -> pd.DatetimeIndex:
    """UTC timestamps from microseconds since the epoch."""
    return pd.to_datetime(pd.Series(values, dtype="int64"), unit="us", utc=True)


def decode_ids(keys: list[Any], kinds: list[str]) -> Any:
    """Item ids in their original dtype, from their stored text (or ints) and kind."""
    distinct = set(kinds)
    if distinct == {"str"}:
        return _text_column(keys)
    if distinct == {"int"}:
        # Keys arrive as text (row reads) or as ints (column reads); numpy converts both.
        return np.asarray(keys, dtype=np.int64)
    return [ids.decode(k if isinstance(k, str) else str(k), t) for k, t in zip(keys, kinds, strict=True)]


@functools.cache
def _text_dtype() -> Any:
    """The dtype pandas infers for a list of strings (``str`` on pandas 3, ``object`` before)."""
    return pd.Series(["a"]).dtype


def _text_column(values: list[str]) -> Any:
    """A column of strings with the dtype pandas would infer, built through Arrow when pandas
    keeps strings in Arrow (about 3x faster than letting pandas convert a list)."""
    dtype = _text_dtype()
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        import pyarrow as pa

        try:
            return pd.array(pa.array(values, type=pa.large_string()), dtype=dtype)
        except (pa.ArrowException, TypeError):
            pass
    return values


def _nullable_int(values: Sequence[Any]) -> Any:
    """``Int64`` array of ints and ``None``s (fast when all or none are missing)."""
    n = len(values)
    missing = values.count(None) if isinstance(values, (list, tuple)) else None
    if missing == n:
        return pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool))
    if missing == 0:
        return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), np.zeros(n, dtype=bool))
    return pd.array(values, dtype="Int64")


def _nullable_bool(values: Sequence[Any]) -> Any:
    """``boolean`` array of 1/0 and ``None``s (NULL: not recorded)."""
    n = len(values)
    if isinstance(values, (list, tuple)) and values.count(None) == n:
        return pd.arrays.BooleanArray(np.zeros(n, dtype=bool), np.ones(n, dtype=bool))
    return pd.array([None if v is None else bool(v) for v in values], dtype="boolean")


def table_columns(columns: Sequence[str] | None) -> list[str]:
    """The table columns to read for the frame columns asked (all by default)."""
    if columns is None:
        return list(EVENT_COLUMNS)
    asked = {"created_us" if c == "created_at" else c for c in columns} | {"id"}
    unknown = asked - set(EVENT_COLUMNS)
    if unknown:
        raise KeyError(f"unknown annotation columns {sorted(unknown)}; columns: {ANNOTATION_ORDER}")
    if "item_id" in asked:
        asked.add("item_kind")  # needed to restore the ids' dtype
    return [c for c in EVENT_COLUMNS if c in asked]


def frame(rows: list[tuple], names: Sequence[str] = EVENT_COLUMNS) -> pd.DataFrame:
    """The annotations frame from event rows (tuples of ``names``)."""
    if not rows:
        return _empty_frame(names)
    cols = list(zip(*rows, strict=True))
    return frame_from_columns({name: list(col) for name, col in zip(names, cols, strict=True)}, names)


def _empty_frame(names: Sequence[str] = EVENT_COLUMNS) -> pd.DataFrame:
    empty = pd.DataFrame({c: [] for c in names})
    if "created_us" in empty.columns:
        empty["created_at"] = pd.to_datetime(empty.pop("created_us"), unit="us", utc=True)
    if "suggestion_shown" in empty.columns:
        empty["suggestion_shown"] = empty["suggestion_shown"].astype("boolean")
    return empty[[c for c in ANNOTATION_ORDER if c in empty.columns]]


#: How each table column becomes a frame column.
_BUILDERS: dict[str, Any] = {
    "id": lambda d: np.asarray(d["id"], dtype=np.int64),
    "task": lambda d: _text_column(d["task"]),
    "item_id": lambda d: decode_ids(d["item_id"], d["item_kind"]),
    "annotator": lambda d: _text_column(d["annotator"]),
    "kind": lambda d: _text_column(d["kind"]),
    "value": lambda d: pd.Series(decode_json_column(d["value"]), dtype=object),
    "comment": lambda d: pd.Series(d["comment"], dtype=object),
    "created_us": lambda d: pd.to_datetime(np.asarray(d["created_us"], dtype=np.int64), unit="us", utc=True),
    "active_ms": lambda d: _nullable_int(d["active_ms"]),
    "guideline_version": lambda d: pd.Series(d["guideline_version"], dtype=object),
    "suggestion": lambda d: pd.Series(decode_json_column(d["suggestion"]), dtype=object),
    "suggestion_shown": lambda d: _nullable_bool(d["suggestion_shown"]),
    "client_id": lambda d: pd.Series(d["client_id"], dtype=object),
    "client_seq": lambda d: _nullable_int(d["client_seq"]),
    "item_kind": lambda d: _text_column(d["item_kind"]),
}


def frame_from_columns(data: dict[str, Any], names: Sequence[str] = EVENT_COLUMNS) -> pd.DataFrame:
    """The annotations frame from one list (or array) per event column; an optional
    ``_order`` entry gives the positions that put the rows in log order."""
    if not len(data["id"]):
        return _empty_frame(names)
    built = {("created_at" if n == "created_us" else n): _BUILDERS[n](data) for n in names}
    result = pd.DataFrame({c: built[c] for c in ANNOTATION_ORDER if c in built})
    order = data.get("_order")
    if order is not None:
        result = result.take(order).reset_index(drop=True)
    return result
