"""The classify task kind: one label per item, or a set of labels (``multi=True``).

Agreement is categorical: every coefficient of :mod:`nblabel.agreement.report` over labels
(single-label) or exact label sets plus the per-label macro means (multi-label). A label set of
any size works: the dashboard prepares only the labels in use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pandas as pd

from ..agreement.confusion import prepare_in_use
from ..agreement.report import AgreementReport, categorical_report, prepare
from ..agreement.views import CategoricalView
from .base import KindBase

__all__ = ["ClassifyKind", "MultiLabelKind", "CLASSIFY", "MULTI_LABEL"]


class ClassifyKind(KindBase):
    """One label per item."""

    name: ClassVar[str] = "classify"
    description: ClassVar[str] = "one label per item"

    def for_config(self, config: Mapping[str, Any]) -> KindBase:
        return MULTI_LABEL if config.get("multi") else self

    def label_counts(self, value: Any) -> dict[Any, int]:
        counts: dict[Any, int] = {}
        for label in value if isinstance(value, list) else [value]:
            counts[label] = counts.get(label, 0) + 1
        return counts

    def gold_score(self, value: Any, gold: Any) -> float:
        if isinstance(gold, list) or isinstance(value, list):  # label sets: the same set
            return 1.0 if _as_set(value) == _as_set(gold) else 0.0
        return 1.0 if value == gold else 0.0

    def report(
        self,
        annotations: pd.DataFrame,
        gold: Any,
        *,
        task: str | None,
        labels: list[Any] | None,
        config: Mapping[str, Any],
        n_boot: int,
        level: float,
        seed: int | None,
        models: tuple[str, str] | None = None,
    ) -> AgreementReport:
        data = prepare(annotations, gold, task=task, labels=labels, multi=config.get("multi"))
        return categorical_report(data, n_boot=n_boot, level=level, seed=seed)

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> CategoricalView:
        data, n_labels = prepare_in_use(
            frame,
            gold,
            labels=labels,
            multi=config.get("multi"),
            compact_multi=False,  # the per-label macro means count every label
        )
        return CategoricalView(data, n_labels=n_labels)


class MultiLabelKind(ClassifyKind):
    """A set of labels per item (``Classify(..., multi=True)``): values are lists of labels,
    compared as sets."""

    description: ClassVar[str] = "a set of labels per item"

    def for_config(self, config: Mapping[str, Any]) -> KindBase:
        return self if config.get("multi", True) else CLASSIFY


def _as_set(value: Any) -> set[str]:
    return {str(x) for x in (value if isinstance(value, list) else [value])}


CLASSIFY = ClassifyKind()
MULTI_LABEL = MultiLabelKind()
