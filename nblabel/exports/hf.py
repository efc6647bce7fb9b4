"""A Hugging Face ``datasets`` dataset written to a folder (``Dataset.save_to_disk``), loadable
with ``datasets.load_from_disk(folder)`` and pushed with the user's own ``push_to_hub``.

Rows are plain records (one per item). A column keeps its values' own types where Arrow can hold
them as one type (labels, lists of labels, spans, boxes, judgements); a column whose values
Arrow cannot type alike is written as JSON text, so nothing is lost.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .table import json_value

__all__ = ["write_hf_dataset"]


def write_hf_dataset(records: Sequence[dict[str, Any]], directory: Path, columns: Sequence[str]) -> Path:
    """Write ``records`` (the ``columns`` of each, in that order) as a dataset in ``directory``."""
    try:
        import datasets
        import pyarrow as pa
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("format='hf' needs Hugging Face datasets: pip install datasets") from exc
    table = pa.table({name: _column(pa, [_plain(r.get(name)) for r in records]) for name in columns})
    directory.mkdir(parents=True, exist_ok=True)
    datasets.Dataset(table).save_to_disk(str(directory))
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
