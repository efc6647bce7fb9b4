"""Which rule decides an item of a session whose annotators disagree, when
``session.final_labels(method=...)`` names an aggregation method of ``nl.aggregate``.

An item the annotators labeled differently is decided by the method only where the vote has a
clear winner that the method confirms with enough confidence; otherwise it goes to an
adjudicator, with the reason:

- ``tie``: the most given label is tied (multi-label: for some label, as many annotators put it
  as left it out) — a method never breaks a tie of the vote by itself;
- ``model_vs_majority``: a model-based method (every method but ``majority``) chose another
  label than the majority vote;
- ``low_confidence``: the method's confidence in its label is under ``min_confidence``.

Unanimous items, items one annotator labeled and adjudicators' decisions stand as they do
without a method. The gold items of the session inform the models (each gold item's label is
clamped to its answer: :func:`nblabel.agreement.aggregate.aggregate`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..agreement.aggregate import AggregateResult, aggregate
from ..agreement.consensus import category_value
from ..core import registry
from ..core.frames import current_from_annotations
from ..core.models import people_only
from ..core.registry import AggregationScheme
from .events import item_keys

__all__ = ["AGGREGATED", "REASONS", "Resolution", "Verdict", "check_method"]

#: ``status`` of an item the method decided.
AGGREGATED = "aggregated"
#: Why an item goes to adjudication (``reason`` of an unresolved item): without a method every
#: disagreement does.
REASONS = ("disagreement", "tie", "model_vs_majority", "low_confidence")
#: Default of ``min_confidence=``: the label is at least as likely as all others together.
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Verdict:
    """What the rule says of one item the annotators labeled differently: the final ``value``
    and the ``rule`` that decided it, or (``value`` ``None``) the ``reason`` it goes to an
    adjudicator; ``confidence`` is the method's in its own label (NaN without a method)."""

    value: Any
    rule: str | None
    reason: str | None
    confidence: float

    @property
    def resolved(self) -> bool:
        """Whether the rule decided the item (no adjudicator needed)."""
        return self.rule is not None


def check_method(method: Any, min_confidence: Any) -> float | None:
    """``min_confidence`` as a number in [0, 1] (``None`` without a method); ``method`` a name."""
    if method is None:
        if min_confidence is not None:
            raise ValueError("min_confidence= applies to a method: pass method= too (e.g. method='majority')")
        return None
    if not isinstance(method, str):
        raise TypeError(f"method= must be the name of an aggregation method, got {method!r}")
    if min_confidence is None:
        return MIN_CONFIDENCE
    if isinstance(min_confidence, bool) or not isinstance(min_confidence, (int, float)):
        raise TypeError(f"min_confidence= must be a number between 0 and 1, got {min_confidence!r}")
    if not 0.0 <= float(min_confidence) <= 1.0:
        raise ValueError(f"min_confidence={min_confidence} must be between 0 and 1")
    return float(min_confidence)


class Resolution:
    """A session's labels aggregated once by ``method`` (``None``: no method, every
    disagreement goes to an adjudicator): the verdict on each item and the method's result."""

    def __init__(self, session: Any, method: str | None, min_confidence: float | None) -> None:
        self.method = method
        self.min_confidence = check_method(method, min_confidence)
        self.result: AggregateResult | None = None
        self.scheme: AggregationScheme | None = None
        self._rows: dict[Any, tuple[Any, float, bool, bool]] = {}
        if method is not None:
            self.scheme = aggregation_scheme(session)
            frame = session_labels(session)
            labeled = labeled_items(frame)
            if not labeled:
                return
            gold = gold_series(session)
            if gold is not None:  # gold items nobody labeled tell the model nothing
                gold = gold[[item in labeled for item in gold.index]]
            self.result = aggregate(
                frame, method=method, gold=gold, task=session.task, kind=session.kind,
                labels=list(session.labels) or None,
            )  # fmt: skip
            self._rows = {
                item: (label, float(conf), bool(tie), bool(agrees))
                for item, label, conf, tie, agrees in zip(
                    self.result.index, self.result["label"], self.result["confidence"],
                    self.result["majority_tie"], self.result["agrees_with_majority"], strict=True,
                )
            }  # fmt: skip

    def confidence(self, item_id: Any) -> float:
        """The method's confidence in its label for ``item_id`` (NaN: no method, or unrated)."""
        row = self._rows.get(item_id)
        return math.nan if row is None else row[1]

    def verdict(self, item_id: Any, labels: dict[str, Any]) -> Verdict:
        """The verdict on an item whose annotators (``labels``: annotator → value) disagree."""
        row = self._rows.get(item_id)
        if self.method is None or row is None:
            return Verdict(None, None, "disagreement", math.nan)
        label, confidence, tie, agrees = row
        if tie:
            return Verdict(None, None, "tie", confidence)
        if self.method != "majority" and not agrees:
            return Verdict(None, None, "model_vs_majority", confidence)
        assert self.min_confidence is not None
        if confidence < self.min_confidence - 1e-12:
            return Verdict(None, None, "low_confidence", confidence)
        value = self.value_of(label, labels)
        if value is None:  # no annotator gave it: a person decides
            return Verdict(None, None, "model_vs_majority", confidence)
        return Verdict(value, self.method, None, confidence)

    def value_of(self, label: Any, labels: dict[str, Any]) -> Any:
        """The stored value for the method's ``label`` (see
        :func:`nblabel.agreement.consensus.category_value`)."""
        assert self.scheme is not None
        return category_value(self.scheme, label, labels)


def aggregation_scheme(session: Any) -> AggregationScheme:
    """How the session's kind reads its values as categories (``ValueError`` for a kind that
    has none: spans, boxes, rankings)."""
    config = task_config(session)
    return registry.for_task(session.kind, config).aggregation_scheme(list(session.labels) or None, config)


def session_labels(session: Any) -> pd.DataFrame:
    """The session's people's events on its production and gold items (not repeats of
    test–retest; model annotators never vote)."""
    frame = people_only(session.annotations)
    if frame.empty:
        return frame
    wanted = set(session.keys[: session.n_production]) | set(session.gold)
    keep = [key in wanted for key in item_keys(frame)]
    return frame[keep]


def labeled_items(frame: pd.DataFrame) -> set[Any]:
    """The ids of the items of an annotations frame with at least one standing label."""
    if frame.empty:
        return set()
    current = current_from_annotations(frame)
    return set(current["item_id"][current["kind"] == "label"])


def gold_series(session: Any) -> pd.Series | None:
    """The session's gold answers by item id (in stored form), or ``None`` without gold."""
    if not session.gold:
        return None
    index = session.frame.index[session.n_production :]
    keys = session.keys[session.n_production :]
    return pd.Series([session.gold[k] for k in keys], index=index, dtype=object)


def task_config(session: Any) -> dict[str, Any]:
    """The config the store recorded with the session's task."""
    info = session.store.task(session.task)
    return dict(info["config"] or {})
