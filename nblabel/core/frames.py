"""Pure helpers on annotation tables (pandas in, pandas out): the current state of a long event
frame, JSON value columns, missing cells, and the task facts a frame read from a store carries
(its kind, labels and config), so that reports never have to guess a task's kind from its
values."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .event import reduce_state, retract_target

__all__ = [
    "RecordedTask",
    "TaskRecords",
    "current_from_annotations",
    "decode_json_column",
    "is_missing",
    "record_tasks",
    "recorded_task",
]

#: Where a frame read from a store keeps the facts of its tasks (``frame.attrs``).
ATTR = "nblabel.tasks"


class RecordedTask(dict):
    """A task as the store recorded it: ``name``, ``kind``, ``labels`` and ``config`` (a plain
    dict, so a frame's ``attrs`` stay JSON: parquet writes them)."""

    def __init__(
        self, name: str, kind: str, labels: Sequence[Any] = (), config: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(name=name, kind=kind, labels=list(labels), config=dict(config or {}))

    name = property(lambda self: self["name"])
    kind = property(lambda self: self["kind"])
    labels = property(lambda self: self["labels"])
    config = property(lambda self: self["config"])


class TaskRecords(dict):
    """The recorded tasks of a frame, by name. Shared, not copied: pandas deep-copies ``attrs``
    on most operations, which would copy a label set of 100,000 labels every time."""

    def __deepcopy__(self, memo: dict[int, Any]) -> TaskRecords:
        return self


def record_tasks(frame: pd.DataFrame, tasks: Mapping[str, RecordedTask]) -> pd.DataFrame:
    """Attach the recorded facts of ``tasks`` to ``frame`` (in place); returns it."""
    frame.attrs[ATTR] = TaskRecords(tasks)
    return frame


def recorded_task(frame: Any, task: str | None = None) -> RecordedTask | None:
    """The recorded task of ``frame``: ``task`` if named, else its only task; ``None`` for a
    frame that did not come from a store (or holds several tasks and none is named)."""
    records = getattr(frame, "attrs", {}).get(ATTR)
    if not records:
        return None
    if task is not None:
        return records.get(task)
    if len(records) == 1:
        return next(iter(records.values()))
    present = set(frame["task"].unique()) if "task" in getattr(frame, "columns", ()) else set()
    if len(present) == 1:
        return records.get(next(iter(present)))
    return None


def is_missing(value: Any) -> bool:
    """Whether a cell holds no value: None, NaN, NA or NaT (a list, dict or array never does)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (list, tuple, set, frozenset, np.ndarray, dict)):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def current_from_annotations(frame: pd.DataFrame) -> pd.DataFrame:
    """Reduce a long annotations frame to one row per (task, item_id, annotator)."""
    columns = [
        "task", "item_id", "annotator", "kind", "value", "created_at", "active_ms",
        "guideline_version", "suggestion", "suggestion_shown",
    ]  # fmt: skip
    if frame.empty:
        return pd.DataFrame(columns=columns)
    keys = ["task", "item_id", "annotator"]
    frame = frame[frame["kind"] != "flag"]
    retract = (frame["kind"] == "retract").to_numpy()
    slow = np.zeros(len(frame), dtype=bool)
    if retract.any():
        # Only the (item, annotator) pairs with an undo need the stack replay; elsewhere the
        # standing event is simply the last one.
        pairs = pd.MultiIndex.from_frame(frame[keys])
        slow = pairs.isin(pairs[retract])
    keep = frame.loc[~slow].drop_duplicates(keys, keep="last")["id"].tolist()
    if slow.any():
        part = frame.loc[slow]
        kinds = part["kind"].tolist()
        values = part["value"].tolist() if "value" in part.columns else [None] * len(part)
        targets = [retract_target(v) if k == "retract" else None for k, v in zip(kinds, values, strict=True)]
        rows = zip(
            zip(part["task"], part["item_id"], strict=True),
            part["annotator"], kinds, part["id"], part["id"], targets, strict=True,
        )  # fmt: skip
        keep.extend(event_id for _kind, event_id in reduce_state(rows).values())
    result = frame[frame["id"].isin(keep)]
    return result[[c for c in columns if c in result.columns]].reset_index(drop=True)


def decode_json_column(values: list[Any]) -> list[Any]:
    """Decode JSON text, parsing each distinct string once (labels repeat a lot).

    Lists and dicts are decoded afresh for every row, so no two rows share a mutable value.
    """
    n = len(values)
    if values.count(None) == n:
        return [None] * n
    decoded: dict[Any, Any] = {None: None}
    for text in dict.fromkeys(values):
        if text is None:
            continue
        value = json.loads(text)
        if isinstance(value, (list, dict)):
            break
        decoded[text] = value
    else:
        return list(map(decoded.__getitem__, values))
    out = []
    for text in values:
        if text is None:
            out.append(None)
            continue
        try:
            out.append(decoded[text])
        except KeyError:
            value = json.loads(text)
            if not isinstance(value, (list, dict)):
                decoded[text] = value
            out.append(value)
    return out
