"""The compare task kind: which of two responses is better (preference data for RLHF / DPO).

A value is ``{choice: "A"|"B"|"tie"|"both_bad", strength, rubric, justification, swapped}``;
``A``/``B`` name the DataFrame columns, never the screen side. Agreement is categorical on the
choice, plus Krippendorff's α on the signed preference and each rubric dimension, the position
bias and win rates. A compare task that ranks three or more responses (``responses=`` in its
config) is served by :mod:`nblabel.kinds.ranking`. Exports: ``dpo``, ``reward``, ``jsonl``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..agreement.compare import CHOICES, choice_frame, compare_report, extra_rows
from ..agreement.report import AgreementReport, prepare
from ..agreement.views import CategoricalView
from ..exports.compare import COMPARE_FORMATS, export_compare
from .base import KindBase
from .ranking import RANKING

__all__ = ["CompareKind", "COMPARE"]


class CompareKind(KindBase):
    """A preference between two responses."""

    name: ClassVar[str] = "compare"
    description: ClassVar[str] = "which of two responses is better (a choice, its strength, a rubric)"
    export_formats: ClassVar[tuple[str, ...]] = COMPARE_FORMATS
    export_options: ClassVar[bool] = True

    def for_config(self, config: Mapping[str, Any]) -> KindBase:
        return RANKING if config.get("responses") else self

    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        if not isinstance(value, Mapping):
            return str(value)
        choice = value.get("choice")
        if choice in ("A", "B"):
            how = "clearly" if value.get("strength") == 2 else "slightly"
            return f"{choice} {how} better"
        return {"tie": "a tie", "both_bad": "both bad"}.get(choice, str(choice))

    def label_counts(self, value: Any) -> dict[Any, int]:
        return {value.get("choice") if isinstance(value, Mapping) else value: 1}

    def gold_score(self, value: Any, gold: Any) -> float:
        """The same choice (strength aside) is right; a ranking (the values of a compare task
        with ``responses``) is scored as :mod:`nblabel.kinds.ranking` does."""
        if isinstance(gold, Mapping) and isinstance(value, Mapping):
            return 1.0 if value.get("choice") == gold.get("choice") else 0.0
        if isinstance(gold, list) and isinstance(value, list):
            return RANKING.gold_score(value, gold)
        return 0.0

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
        return compare_report(
            annotations, gold, task=task, names=models or ("A", "B"), n_boot=n_boot, level=level, seed=seed
        )

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> CategoricalView:
        data = prepare(choice_frame(frame), gold, labels=CHOICES, multi=False)
        return CategoricalView(
            data,
            n_labels=len(data.labels),
            extra_rows=lambda n_boot, level, seed: extra_rows(frame, n_boot=n_boot, level=level, seed=seed),
        )

    def export_own(self, store: Any, task: str, path: Path, format: str, **options: Any) -> Path:
        return export_compare(store, task, path, format, **options)


COMPARE = CompareKind()
