"""The spans task kind: a list of ``{start, end, label}`` per text (code-point offsets).

Agreement matches spans one to one (exact bounds, or overlap) and reports F1; gold answers get
partial credit (F1 of exact matches). Exports: ``jsonl`` with the text, IOB2 ``bio``/``conll``,
and spaCy's ``DocBin``. A task with ``relations`` in its config is served by the variant of
:mod:`.relations` (values ``{"spans", "relations"}``).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..agreement.matching import span_agreement
from ..agreement.report import AgreementReport, build_report, one_task
from ..agreement.spans import (
    describe_spans,
    prepare_spans,
    span_coefficients,
    span_confusion,
    span_disagreements,
    span_per_annotator,
    span_per_label,
)
from ..agreement.views import DocumentView
from ..core.registry import AggregationScheme, ItemContext, SuggestionOutcome
from ..exchange.doccano import DoccanoSpansCodec
from ..exchange.label_studio_codecs import LabelsCodec
from ..exchange.prodigy import ProdigySpansCodec
from ..exports.spans import SPAN_FORMATS, export_spans
from .base import KindBase
from .relations import RELATIONS
from .span_values import checked_spans
from .suggested_parts import span_parts_outcome

__all__ = ["SpansKind", "SPANS", "documents_score"]


def documents_score(value: Any, gold: Any, f1: Any) -> float:
    """The F1 of a list of spans or boxes against the gold list (1.0 when both are empty)."""
    gold, value = list(gold or []), list(value or [])
    if not gold or not value:  # an empty answer is right only when the gold is empty too
        return 1.0 if not gold and not value else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        score = f1(gold, value)["f1"]
    return 0.0 if score is None or math.isnan(score) else float(score)


class SpansKind(KindBase):
    """Entity spans on text."""

    name: ClassVar[str] = "spans"
    description: ClassVar[str] = "a list of labeled spans of the item's text"
    export_formats: ClassVar[tuple[str, ...]] = SPAN_FORMATS

    def for_config(self, config: Mapping[str, Any]) -> KindBase:
        """Relations between the spans (``relations`` in the config) are the variant of
        :mod:`.relations`."""
        return RELATIONS if config.get("relations") else self

    def check_value(self, value: Any, item: ItemContext) -> list[dict[str, Any]]:
        """A list of ``{start, end, label}`` (dicts, or ``(start, end, label)`` triples) on
        ``item.text``: integer code-point offsets, ``end`` exclusive, known labels; stored sorted
        by position, duplicates dropped. Overlapping spans need ``overlap=True`` in the config."""
        return checked_spans(value, item)[0]

    # The values of the relations variant are dicts; sessions and adjudication look a kind up
    # by the name the task records ("spans"), so this kind describes and scores them too.
    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        if isinstance(value, Mapping):
            return RELATIONS.describe(value, shown)
        text = (shown or {}).get("text")
        return describe_spans(text if isinstance(text, str) else None, value or []) or "(no spans)"

    def active_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """A model in the loop reads an item as the set of labels its value marks."""
        return self.present_labels_scheme(labels)

    def label_counts(self, value: Any) -> dict[Any, int]:
        if isinstance(value, Mapping):
            return RELATIONS.label_counts(value)
        counts: dict[Any, int] = {}
        for span in value or []:
            counts[span["label"]] = counts.get(span["label"], 0) + 1
        return counts

    def suggestion_outcome(
        self, value: Any, suggestion: Any, reference: Any = None
    ) -> SuggestionOutcome | None:
        """Suggested spans kept exactly (``accepted``), with other bounds or label (``changed``:
        an overlapping span stands) or ``removed``, from the widget's record (or the suggested
        list of an import); suggested spans the reference lacks exactly are wrong."""
        return span_parts_outcome(value, suggestion, reference)

    def gold_score(self, value: Any, gold: Any) -> float:
        if isinstance(value, Mapping) or isinstance(gold, Mapping):
            return RELATIONS.gold_score(value, gold)
        return documents_score(value, gold, lambda g, v: span_agreement(g, v, mode="exact"))

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
        data = prepare_spans(frame, gold, labels=labels)
        return build_report(
            span_coefficients(data, n_boot=n_boot, level=level, seed=seed),
            per_label=span_per_label(data),
            per_annotator=span_per_annotator(data),
            disagreements=span_disagreements(data),
            task_kind="spans",
            reference="gold" if data.gold is not None else "majority of others",
            level=level,
        )

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> DocumentView:
        return DocumentView(
            prepare_spans(frame, gold, labels=labels),
            coefficients=lambda data, n_boot, level, seed: span_coefficients(
                data, n_boot=n_boot, level=level, seed=seed
            ),
            tables=lambda data: (span_per_annotator(data), span_per_label(data), span_disagreements(data)),
            matcher=span_confusion,
            describe=describe_spans,
            agreement_name="span F1",
            reference="majority of others",
            unit="spans",
            label_columns=[["count", "spans", "int"], ["f1_exact", "F1 exact", "value"],
                           ["f1_overlap", "F1 overlap", "value"]],  # fmt: skip
        )

    def exchange_codec(self, format: str) -> Any:
        """Spans in other tools' files: Prodigy's manual span answers, doccano's sequence labels."""
        return _CODECS.get(format)

    def export_own(
        self,
        store: Any,
        task: str,
        path: Path,
        format: str,
        values: pd.DataFrame | None = None,
        **options: Any,
    ) -> Path:
        return export_spans(store, task, path, format, values=values)


#: This kind's codec for each file format of another tool (:mod:`nblabel.exchange`).
_CODECS: dict[str, Any] = {
    "label-studio": LabelsCodec(),
    "prodigy": ProdigySpansCodec(),
    "doccano": DoccanoSpansCodec(),
}

SPANS = SpansKind()
