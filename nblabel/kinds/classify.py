"""The classify task kind: one label per item, or a set of labels (``multi=True``).

Agreement is categorical: every coefficient of :mod:`nblabel.agreement.report` over labels
(single-label) or exact label sets plus the per-label macro means (multi-label). A label set of
any size works: the dashboard prepares only the labels in use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import pandas as pd

from ..agreement.confusion import prepare_in_use
from ..agreement.ordinal import ordinal_extra
from ..agreement.report import AgreementReport, categorical_report, prepare
from ..agreement.views import CategoricalView
from ..core.frames import recorded_task
from ..core.labelset import MANY_LABELS, close_labels, preview_labels
from ..core.registry import AggregationScheme, ItemContext, SuggestionOutcome
from ..exchange.doccano import DoccanoClassifyCodec
from ..exchange.label_studio_codecs import ChoicesCodec
from ..exchange.prodigy import ProdigyClassifyCodec
from .base import KindBase

__all__ = ["ClassifyKind", "MultiLabelKind", "CLASSIFY", "MULTI_LABEL", "check_label", "labels_text"]


def check_label(value: Any, labels: Sequence[Any], label_index: Mapping[Any, int]) -> Any:
    """``value`` as given in ``labels`` (``numpy.int64(2)`` from a DataFrame cell is ``2``), or
    ``ValueError`` saying it is not one of them (and, in a large label set, what it may mean)."""
    try:
        known = not isinstance(value, bool) and value in label_index
    except TypeError:  # unhashable, e.g. a list given without multi=True
        known = False
    if not known:
        raise ValueError(f"{value!r} is not one of the labels {labels_text(value, labels)}")
    return labels[label_index[value]]


def labels_text(value: Any, labels: Sequence[Any]) -> str:
    """The label set as an error message shows it: whole when short; else the first few and the
    labels ``value`` may have meant."""
    text = preview_labels(labels)
    if len(labels) > MANY_LABELS and isinstance(value, (str, int)):
        close = close_labels(value, labels)
        if close:
            text += f"; did you mean {', '.join(repr(label) for label in close)}?"
    return text


class ClassifyKind(KindBase):
    """One label per item."""

    name: ClassVar[str] = "classify"
    description: ClassVar[str] = "one label per item"

    def for_config(self, config: Mapping[str, Any]) -> KindBase:
        return MULTI_LABEL if config.get("multi") else self

    def check_value(self, value: Any, item: ItemContext) -> Any:
        """One of the task's labels, stored as given in ``labels=``."""
        return check_label(value, item.labels, item.label_index)

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
        ordinal = ordinal_extra(data, _scale(annotations, task, labels), config)  # ordered, or numeric
        extra = ordinal(n_boot, level, seed) if ordinal is not None else []
        return categorical_report(data, n_boot=n_boot, level=level, seed=seed, extra_rows=extra)

    def aggregation_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """The task's labels (or, without a label set, the labels given), one per item."""
        return AggregationScheme(categories=labels)

    def exchange_codec(self, format: str) -> Any:
        """Labels (and label sets) in other tools' files: Prodigy's choice and binary answers,
        doccano's category lists."""
        return _CODECS.get(format)

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
        return CategoricalView(data, n_labels=n_labels, extra_rows=ordinal_extra(data, labels, config))


class MultiLabelKind(ClassifyKind):
    """A set of labels per item (``Classify(..., multi=True)``): values are lists of labels,
    compared as sets."""

    description: ClassVar[str] = "a set of labels per item"

    def for_config(self, config: Mapping[str, Any]) -> KindBase:
        return self if config.get("multi", True) else CLASSIFY

    def check_value(self, value: Any, item: ItemContext) -> Any:
        """A list (or set) of the task's labels, or one label; stored in label order."""
        if isinstance(value, (str, int)):
            value = [value]
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise ValueError(f"a multi-label value must be a list of labels, got {value!r}")
        for v in value:
            check_label(v, item.labels, item.label_index)
        # in label order, as given in labels= (sorting the few chosen, not scanning them all)
        return [item.labels[i] for i in sorted({item.label_index[v] for v in value})]

    def suggestion_outcome(
        self, value: Any, suggestion: Any, reference: Any = None
    ) -> SuggestionOutcome | None:
        """Label by label: each suggested label kept (``accepted``) or dropped (``removed``),
        labels chosen beyond the suggestion ``added``; a suggested label the reference lacks is
        wrong."""
        if suggestion is None:
            return None
        suggested, chosen = _as_set(suggestion), _as_set(value)
        wrong = suggested - _as_set(reference) if reference is not None else set()
        return SuggestionOutcome(
            suggestion, parts=len(suggested), accepted=len(suggested & chosen),
            removed=len(suggested - chosen), added=len(chosen - suggested), wrong=len(wrong),
            wrong_accepted=len(wrong & chosen),
        )  # fmt: skip

    def aggregation_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """A set of labels per item: each label aggregated on its own, present or absent."""
        return AggregationScheme(categories=labels, multi=True, category=_label_list)


def _label_list(value: Any) -> list[Any]:
    """A multi-label value (or gold answer) as its list of labels; one label is a list of one."""
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if isinstance(value, dict):
        raise ValueError(f"a multi-label value is a list of labels, got {value!r}")
    return [value]


def _scale(annotations: pd.DataFrame, task: str | None, labels: list[Any] | None) -> list[Any] | None:
    """The task's whole label list, in order — the scale of an ordered task: ``labels``, else the
    list the store recorded with the frame."""
    recorded = recorded_task(annotations, task)
    if labels is not None or recorded is None:
        return labels
    return list(recorded.labels) or None


def _as_set(value: Any) -> set[str]:
    return {str(x) for x in (value if isinstance(value, list) else [value])}


#: This kind's codec for each file format of another tool (:mod:`nblabel.exchange`).
_CODECS: dict[str, Any] = {
    "label-studio": ChoicesCodec(),
    "prodigy": ProdigyClassifyCodec(),
    "doccano": DoccanoClassifyCodec(),
}

CLASSIFY = ClassifyKind()
MULTI_LABEL = MultiLabelKind()
