"""The ranking task kind: three or more responses put in order, ties allowed
(``Compare(..., responses=[...])``; the task is stored as a compare task with ``responses`` in
its config).

A value is a list of tie groups of response columns, best first: ``[["r2"], ["r1", "r3"]]``.
Agreement: exact and first-place agreement, Krippendorff's α (ordinal) on the ranks; per
response the mean rank and first places. Exports as a compare task (``dpo`` pairs from the
order, ``reward``, ``jsonl``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..agreement.compare import ranking_report, ranking_text
from ..agreement.report import AgreementReport, one_task, prepare
from ..agreement.views import CategoricalView
from ..core.registry import AggregationScheme, ItemContext
from ..exports.compare import COMPARE_FORMATS, export_compare
from .base import KindBase

__all__ = ["OUTCOMES", "RankingKind", "RANKING", "outcome_frame"]


class RankingKind(KindBase):
    """An order of several responses."""

    name: ClassVar[str] = "compare"  # as the store records it: a compare task with responses
    description: ClassVar[str] = "an order of three or more responses, ties allowed"
    export_formats: ClassVar[tuple[str, ...]] = COMPARE_FORMATS
    export_options: ClassVar[bool] = True

    def for_config(self, config: Mapping[str, Any]) -> KindBase:
        return self

    def check_value(self, value: Any, item: ItemContext) -> list[list[str]]:
        """A ranking: tie groups of response columns (``responses`` in the config), best first;
        a lone column is a group of one; each column exactly once."""
        where, responses = item.where, list(item.config.get("responses") or item.labels)
        if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
            raise ValueError(
                f"{where}: a ranking is a list of columns (or of tie groups), best first; got {value!r}"
            )
        groups = [[g] if isinstance(g, str) else list(g) for g in value]
        flat = [name for g in groups for name in g]
        unknown = [name for name in flat if name not in responses]
        if unknown or any(not g for g in groups):
            raise ValueError(
                f"{where}: {unknown or 'an empty tie group'} in {value!r}; responses: {responses}"
            )
        if sorted(flat) != sorted(responses):
            raise ValueError(
                f"{where}: a ranking names every response once; got {value!r}, responses: {responses}"
            )
        return groups

    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        return " > ".join(" = ".join(map(str, group)) for group in value or [])

    def label_counts(self, value: Any) -> dict[Any, int]:
        """First places."""
        return {name: 1 for name in (value or [[]])[0]}

    def gold_score(self, value: Any, gold: Any) -> float:
        """The same ranking (tie groups in the same order) is right."""
        if isinstance(gold, list) and isinstance(value, list):
            same = [sorted(map(str, g)) for g in value] == [sorted(map(str, g)) for g in gold]
            return 1.0 if same else 0.0
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
        frame = one_task(annotations, task) if "item_id" in annotations.columns else annotations
        return ranking_report(frame, gold, n_boot=n_boot, level=level, seed=seed)

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> CategoricalView:
        rankings = frame.assign(value=[ranking_text(v) for v in frame["value"]])  # whole rankings
        data = prepare(rankings, gold, multi=False)
        return CategoricalView(data, n_labels=len(data.labels), unit="rankings")

    def aggregation_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """Rankings are not aggregated into one category per item."""
        raise ValueError(
            "nl.aggregate is not supported for rankings (compare tasks with responses=): it "
            "aggregates one category per item, such as the choice between two responses; for "
            "scores of the ranked responses' models see Bradley–Terry (nl.rank_models)"
        )

    def export_own(
        self,
        store: Any,
        task: str,
        path: Path,
        format: str,
        values: pd.DataFrame | None = None,
        **options: Any,
    ) -> Path:
        return export_compare(store, task, path, format, values=values, **options)

    def pairwise_outcomes(
        self, values: Sequence[Any], config: Mapping[str, Any], items: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """Every pair of responses of each ranking: a ``"win"`` for the better ranked one, a
        ``"tie"`` for two in one tie group (a ranking of k responses gives k(k-1)/2 pairs)."""
        responses = [str(r) for r in config.get("responses") or []]
        known = set(responses)
        rows: list[tuple[int, str, str, str]] = []
        for n, value in enumerate(values):
            groups = [[g] if isinstance(g, str) else g for g in value] if isinstance(value, list) else []
            flat = [x for g in groups if isinstance(g, list) for x in g]
            if (
                not groups
                or not all(isinstance(g, list) and g for g in groups)
                or not all(isinstance(x, str) and x in known for x in flat)
                or len(set(flat)) < len(flat)
            ):
                where = f"item {items[n]!r}" if items is not None else f"judgement {n}"
                raise ValueError(f"{where}: {value!r} is not a ranking of the responses {responses}")
            for k, group in enumerate(groups):
                rows.extend((n, x, y, "tie") for i, x in enumerate(group) for y in group[i + 1 :])
                rows.extend((n, x, y, "win") for worse in groups[k + 1 :] for x in group for y in worse)
        return outcome_frame(rows, responses)


def outcome_frame(rows: list[tuple[int, str, str, str]], responses: list[str]) -> pd.DataFrame:
    """``(judgement, first, second, outcome)`` rows as the frame of
    :meth:`~nblabel.core.registry.TaskKind.pairwise_outcomes`."""
    judgement, first, second, outcome = zip(*rows, strict=True) if rows else ((), (), (), ())
    return pd.DataFrame({
        "judgement": np.asarray(judgement, dtype=np.int64),
        "first": pd.Categorical(first, categories=responses),
        "second": pd.Categorical(second, categories=responses),
        "outcome": pd.Categorical(outcome, categories=OUTCOMES),
    })  # fmt: skip


#: What a pairwise outcome says of its ``first`` response against its ``second``.
OUTCOMES = ["win", "tie", "both_bad"]

RANKING = RankingKind()
