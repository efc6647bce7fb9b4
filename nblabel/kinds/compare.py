"""The compare task kind: which of two responses is better (preference data for RLHF / DPO).

A value is ``{choice: "A"|"B"|"tie"|"both_bad", strength, rubric, justification, swapped}``;
``A``/``B`` name the DataFrame columns, never the screen side. Agreement is categorical on the
choice, plus Krippendorff's α on the signed preference and each rubric dimension, the position
bias and win rates. A compare task that ranks three or more responses (``responses=`` in its
config) is served by :mod:`nblabel.kinds.ranking`. Exports: ``dpo``, ``reward``, ``jsonl``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..agreement.compare import CHOICES as CHOICE_LABELS
from ..agreement.compare import choice_frame, compare_report, extra_rows
from ..agreement.report import AgreementReport, prepare
from ..agreement.views import CategoricalView
from ..core.registry import AggregationScheme, ItemContext, SuggestionOutcome
from ..exchange.label_studio_codecs import PairwiseCodec
from ..exports.compare import COMPARE_FORMATS, export_compare
from .base import KindBase
from .ranking import RANKING, outcome_frame

__all__ = ["CHOICES", "CompareKind", "COMPARE", "MAX_JUSTIFICATION", "SCORES"]

#: A comparison's choices: ``A``/``B`` name the response columns ``a=``/``b=``.
CHOICES = tuple(CHOICE_LABELS)
#: A rubric score of one response on one dimension.
SCORES = range(1, 6)
#: Longest justification accepted (characters).
MAX_JUSTIFICATION = 10_000
#: The keys a comparison may have.
KEYS = frozenset({"choice", "strength", "rubric", "justification", "swapped"})


class CompareKind(KindBase):
    """A preference between two responses."""

    name: ClassVar[str] = "compare"
    description: ClassVar[str] = "which of two responses is better (a choice, its strength, a rubric)"
    export_formats: ClassVar[tuple[str, ...]] = COMPARE_FORMATS
    export_options: ClassVar[bool] = True

    def for_config(self, config: Mapping[str, Any]) -> KindBase:
        return RANKING if config.get("responses") else self

    def check_value(self, value: Any, item: ItemContext) -> dict[str, Any]:
        """A comparison: a choice (or a dict with ``choice``, ``strength`` 1|2 for A/B,
        ``rubric`` scores of the config's dimensions, ``justification`` of at least the config's
        ``min_justification`` characters); stored with every key, ``swapped`` from ``item``."""
        where = item.where
        if isinstance(value, str):
            value = {"choice": value}
        if not isinstance(value, Mapping):
            raise ValueError(
                f"{where}: a comparison is a dict with 'choice' (one of {CHOICES}), got {value!r}"
            )
        unknown = set(value) - KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)} in {value!r}")
        choice = value.get("choice")
        if choice not in CHOICES:
            raise ValueError(f"{where}: choice {choice!r} is not one of {CHOICES}")
        return {
            "choice": choice,
            "strength": _check_strength(choice, value.get("strength"), where),
            "rubric": _check_scores(value.get("rubric") or {}, list(item.config.get("rubric") or []), where),
            "justification": _check_justification(
                value.get("justification") or "", item.config.get("min_justification", 0), where
            ),
            "swapped": item.swapped,
        }

    def check_gold(self, value: Any, item: ItemContext) -> dict[str, Any]:
        """A gold comparison: only its choice is scored, so it needs no justification."""
        unjustified = dataclasses.replace(item, config={**item.config, "min_justification": 0})
        return self.check_value(value, unjustified)

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

    def suggestion_outcome(
        self, value: Any, suggestion: Any, reference: Any = None
    ) -> SuggestionOutcome | None:
        """A suggested comparison (or choice) is accepted when the annotator made the same
        choice (``A``/``B`` name the columns, never the side), wrong when the reference's choice
        differs; strength and rubric aside."""
        if suggestion is None:
            return None
        choice = suggestion.get("choice") if isinstance(suggestion, Mapping) else suggestion
        suggested = suggestion if isinstance(suggestion, Mapping) else {"choice": choice}
        kept = isinstance(value, Mapping) and value.get("choice") == choice
        right = reference.get("choice") if isinstance(reference, Mapping) else reference
        wrong = reference is not None and right != choice
        return SuggestionOutcome(
            suggested, parts=1, accepted=int(kept), removed=int(not kept), wrong=int(wrong),
            wrong_accepted=int(wrong and kept),
        )  # fmt: skip

    def swapped_columns(self, config: Mapping[str, Any]) -> tuple[str, str] | None:
        """The responses ``a`` and ``b`` (a ranking of ``responses`` has no pair to exchange)."""
        return None if config.get("responses") else ("a", "b")

    def from_swapped(self, value: Any) -> Any:
        """A verdict given with ``a`` and ``b`` exchanged, back in terms of the stored columns:
        ``A`` and ``B`` (and their rubric scores) exchanged; ``tie`` and ``both_bad`` stay."""
        if not isinstance(value, Mapping):
            return value
        flip = {"A": "B", "B": "A"}
        back = {**value, "choice": flip.get(value.get("choice"), value.get("choice"))}
        rubric = value.get("rubric")
        if isinstance(rubric, Mapping):
            back["rubric"] = {
                dim: {flip.get(k, k): v for k, v in scores.items()} if isinstance(scores, Mapping) else scores
                for dim, scores in rubric.items()
            }
        return back

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

    def aggregation_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """The choice of each comparison (``A``, ``B``, ``tie``, ``both_bad``); strength, rubric
        and justification play no part."""
        return AggregationScheme(categories=CHOICES, category=_choice)

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> CategoricalView:
        data = prepare(choice_frame(frame), gold, labels=CHOICE_LABELS, multi=False)
        return CategoricalView(
            data,
            n_labels=len(data.labels),
            extra_rows=lambda n_boot, level, seed: extra_rows(frame, n_boot=n_boot, level=level, seed=seed),
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

    def exchange_codec(self, format: str) -> Any:
        """Comparisons in other tools' files: Label Studio's pairwise choices."""
        return _CODECS.get(format)

    def pairwise_outcomes(
        self, values: Sequence[Any], config: Mapping[str, Any], items: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """One outcome per judgement between the columns ``a`` and ``b`` of the config: ``A`` or
        ``B`` a ``"win"`` of that column (its strength aside), ``"tie"``, ``"both_bad"``."""
        a, b = str(config.get("a") or "A"), str(config.get("b") or "B")
        pairs = {"A": (a, b, "win"), "B": (b, a, "win"), "tie": (a, b, "tie"), "both_bad": (a, b, "both_bad")}
        rows: list[tuple[int, str, str, str]] = []
        for n, value in enumerate(values):
            choice = value.get("choice") if isinstance(value, Mapping) else value
            if not isinstance(choice, str) or choice not in pairs:
                where = f"item {items[n]!r}" if items is not None else f"judgement {n}"
                raise ValueError(f"{where}: {value!r} is not a comparison (a choice of {CHOICES})")
            rows.append((n, *pairs[choice]))
        return outcome_frame(rows, [a, b])


def _choice(value: Any) -> Any:
    """The choice of a stored comparison, or of a gold answer given as a choice ("A")."""
    choice = value.get("choice") if isinstance(value, Mapping) else value
    if isinstance(choice, str) and choice in CHOICES:
        return choice
    raise ValueError(f"a comparison's choice is one of {CHOICES}, got {value!r}")


def _check_strength(choice: str, strength: Any, where: str) -> int | None:
    if choice in ("A", "B"):
        strength = 1 if strength is None else strength
        if strength not in (1, 2) or isinstance(strength, bool):
            raise ValueError(
                f"{where}: strength must be 1 (slightly) or 2 (clearly better), got {strength!r}"
            )
        return strength
    if strength is not None:
        raise ValueError(f"{where}: strength goes with choice 'A' or 'B', not {choice!r}")
    return None


def _check_scores(rubric: Any, dimensions: list[str], where: str) -> dict[str, dict[str, int]]:
    if not isinstance(rubric, Mapping):
        raise ValueError(f"{where}: rubric must be a dict {{dimension: {{'A': 1-5, 'B': 1-5}}}}")
    out: dict[str, dict[str, int]] = {}
    for dimension, scores in rubric.items():
        if dimension not in dimensions:
            raise ValueError(f"{where}: rubric dimension {dimension!r} is not one of {dimensions}")
        if not isinstance(scores, Mapping) or set(scores) - {"A", "B"}:
            raise ValueError(f"{where}: rubric[{dimension!r}] must be {{'A': 1-5, 'B': 1-5}}, got {scores!r}")
        for side, score in scores.items():
            if score not in SCORES or isinstance(score, bool):
                raise ValueError(f"{where}: rubric[{dimension!r}][{side!r}] = {score!r} is not 1-5")
        out[dimension] = {side: int(scores[side]) for side in ("A", "B") if side in scores}
    return out


def _check_justification(justification: Any, min_justification: int, where: str) -> str:
    if not isinstance(justification, str):
        raise ValueError(f"{where}: justification must be text, got {type(justification).__name__}")
    justification = justification.strip()
    if len(justification) > MAX_JUSTIFICATION:
        raise ValueError(f"{where}: justification longer than {MAX_JUSTIFICATION} characters")
    if len(justification) < min_justification:
        raise ValueError(f"{where}: a justification of at least {min_justification} characters is required")
    return justification


#: This kind's codec for each file format of another tool (:mod:`nblabel.exchange`).
_CODECS: dict[str, Any] = {"label-studio": PairwiseCodec(CHOICES)}

COMPARE = CompareKind()
