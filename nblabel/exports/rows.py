"""The rows an exporter writes: a task's current labels (one row per item and annotator whose
standing event is a label) or values given by the caller (``values=``: one value per item, such
as ``session.final_labels()``).

Every exporter takes the same rows: ``item_id`` and ``value``, and ``annotator`` when the rows are
per annotator (the current labels). Other columns (``created_at``, ``guideline_version``,
``status``, ``rule``, ...) are provenance a format may write.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..core.frames import is_missing

__all__ = ["current_labels", "given_values", "label_rows", "per_annotator"]


def current_labels(store: Any, task: str) -> pd.DataFrame:
    """One row per (item, annotator) whose standing event of ``task`` is a label."""
    current = store.current(task)
    return current[current["kind"] == "label"].drop(columns=["kind"]).reset_index(drop=True)


def given_values(values: Any) -> pd.DataFrame:
    """``values`` as exporter rows: a DataFrame with the item ids in an ``item_id`` column or as
    its index, and a ``value`` column. Rows without a value (an unresolved, ambiguous or
    unlabeled item of ``final_labels()``) are left out. Without an ``annotator`` column an item
    may have one value only."""
    if not isinstance(values, pd.DataFrame):
        raise TypeError(
            "values= must be a DataFrame of item ids and values (such as session.final_labels()), "
            f"got {type(values).__name__}"
        )
    frame = values
    if "item_id" not in frame.columns:
        if frame.index.nlevels != 1:
            raise ValueError("values= must hold its item ids in an 'item_id' column or as a plain index")
        frame = frame.rename_axis("item_id").reset_index()
    if "value" not in frame.columns:
        raise ValueError(f"values= has no 'value' column to export; columns: {list(values.columns)}")
    frame = frame[[not is_missing(v) for v in frame["value"]]].reset_index(drop=True)
    if not per_annotator(frame):
        repeated = frame["item_id"][frame["item_id"].duplicated()]
        if len(repeated):
            raise ValueError(
                f"values= gives item {repeated.iloc[0]!r} more than one value; give one value per item, "
                "or an 'annotator' column to export one value per item and annotator"
            )
    return frame


def label_rows(store: Any, task: str, values: pd.DataFrame | None = None) -> pd.DataFrame:
    """The rows to write: ``values`` (checked by :func:`given_values`) or the current labels."""
    return current_labels(store, task) if values is None else given_values(values)


def per_annotator(rows: pd.DataFrame) -> bool:
    """Whether ``rows`` hold one value per item *and annotator* (an ``annotator`` column)."""
    return "annotator" in rows.columns
