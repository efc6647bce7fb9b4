"""The confidence a numeric ``escalate=`` compares with its threshold: ``nl.aggregate``'s, on the
standing labels the session's live plan holds.

``method="majority"`` (the default) reads only the items being decided: its confidence is the
share of the most given label (multi-label: of the least certain label, present or absent). A
model (``"dawid_skene"``, ``"one_coin"``, ``"glad"``, ``"mace"``, ``"wawa"``) needs every label:
it is fitted on all production and gold items answered so far, gold answers clamped, and the
decided items' posteriors are read from it — so a reliable annotator's label counts for more.
"""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from ..agreement.aggregate import SmallPilotWarning, aggregate
from ..agreement.aggregate_models import METHODS
from ..core import registry
from ..core.frames import RecordedTask, record_tasks
from ..store.store import TaskInfo
from .answers import AnswerBook
from .repeats import is_repeat

#: The default method of a numeric ``escalate=``.
DEFAULT_METHOD = "majority"


def check_method(method: Any, escalate: Any, info: TaskInfo) -> str:
    """``escalate_method=``: a method of ``nl.aggregate``, only with a numeric ``escalate=``, for a
    task kind ``nl.aggregate`` reads (not spans, boxes or rankings)."""
    if method not in METHODS:
        raise ValueError(f"escalate_method={method!r} must be one of {list(METHODS)}")
    if not isinstance(escalate, (int, float)) or isinstance(escalate, bool):
        if method != DEFAULT_METHOD:
            raise ValueError(f"escalate_method={method!r} needs a confidence threshold: escalate=0.8, say")
        return method
    try:
        registry.for_task(info.kind, info.config).aggregation_scheme(list(info.labels), info.config)
    except ValueError as exc:
        raise ValueError(
            f"escalate={escalate} needs a confidence, which {exc}; use escalate='disagreement'"
        ) from None
    return method


class AggregateConfidence:
    """Item keys -> ``nl.aggregate(method=...)`` confidence, from an :class:`AnswerBook`."""

    def __init__(self, answers: AnswerBook, info: TaskInfo, gold: dict[str, Any], method: str) -> None:
        self.answers = answers
        self.task = RecordedTask(info.name, info.kind, info.labels, info.config)
        self.gold = gold
        self.method = method

    def __call__(self, keys: list[str]) -> dict[str, float]:
        """The confidence of each of ``keys`` (items nobody labeled left out)."""
        if self.method == DEFAULT_METHOD:
            read = set(keys)
        else:
            read = {key for key in self.answers.item_keys() if not is_repeat(key)}
        rows = [
            (key, name, value)
            for key, given in self.answers.by_item(read).items()
            for name, (kind, value) in given.items()
            if kind == "label"
        ]
        frame = record_tasks(
            pd.DataFrame(rows, columns=["item_id", "annotator", "value"]), {self.task.name: self.task}
        )
        labeled = set(frame["item_id"])
        gold = None
        if self.method != DEFAULT_METHOD:
            known = {key: answer for key, answer in self.gold.items() if key in labeled}
            gold = pd.Series(known, dtype=object) if known else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SmallPilotWarning)  # a session grows from a pilot: expected
            result = aggregate(frame, self.method, gold=gold)
        confidence = result["confidence"]
        return {key: float(confidence[key]) for key in keys if key in confidence.index}
