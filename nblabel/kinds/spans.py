"""The spans task kind: a list of ``{start, end, label}`` per text (code-point offsets).

Agreement matches spans one to one (exact bounds, or overlap) and reports F1; gold answers get
partial credit (F1 of exact matches). Exports: ``jsonl`` with the text, IOB2 ``bio``/``conll``,
and spaCy's ``DocBin``.
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
from ..core.registry import ItemContext
from ..exchange.doccano import DoccanoSpansCodec
from ..exchange.label_studio_codecs import LabelsCodec
from ..exchange.prodigy import ProdigySpansCodec
from ..exports.spans import SPAN_FORMATS, export_spans
from .base import KindBase

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

    def check_value(self, value: Any, item: ItemContext) -> list[dict[str, Any]]:
        """A list of ``{start, end, label}`` (dicts, or ``(start, end, label)`` triples) on
        ``item.text``: integer code-point offsets, ``end`` exclusive, known labels; stored sorted
        by position, duplicates dropped. Overlapping spans need ``overlap=True`` in the config."""
        where, text = item.where, item.text or ""
        if value is None:
            return []
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise ValueError(f"{where}: spans must be a list of {{start, end, label}}, got {value!r}")
        spans = [_check_span(span, text, item) for span in value]
        unique = {(s["start"], s["end"], s["label"]): s for s in spans}
        ordered = sorted(unique.values(), key=lambda s: (s["start"], s["end"], item.label_index[s["label"]]))
        if not item.config.get("overlap"):
            for a, b in zip(ordered, ordered[1:], strict=False):
                if b["start"] < a["end"]:
                    raise ValueError(f"{where}: spans {a} and {b} overlap (pass overlap=True to allow it)")
        return ordered

    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        text = (shown or {}).get("text")
        return describe_spans(text if isinstance(text, str) else None, value or []) or "(no spans)"

    def label_counts(self, value: Any) -> dict[Any, int]:
        counts: dict[Any, int] = {}
        for span in value or []:
            counts[span["label"]] = counts.get(span["label"], 0) + 1
        return counts

    def gold_score(self, value: Any, gold: Any) -> float:
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


def _check_span(span: Any, text: str, item: ItemContext) -> dict[str, Any]:
    """One span of a value, checked against the text and the labels."""
    where = item.where
    if isinstance(span, Mapping):
        try:
            start, end, label = span["start"], span["end"], span["label"]
        except KeyError as exc:
            raise ValueError(f"{where}: span {span!r} has no {exc.args[0]!r}") from None
    elif isinstance(span, (tuple, list)) and len(span) == 3:
        start, end, label = span
    else:
        raise ValueError(f"{where}: span {span!r} is not a {{start, end, label}} dict")
    if isinstance(start, bool) or isinstance(end, bool):
        raise ValueError(f"{where}: span {span!r} has a non-integer offset")
    try:
        start_i, end_i = int(start), int(end)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: span {span!r} has a non-integer offset") from None
    if start_i != start or end_i != end:
        raise ValueError(f"{where}: span {span!r} has a non-integer offset")
    if not 0 <= start_i < end_i <= len(text):
        raise ValueError(f"{where}: span {span!r} is empty or outside the text (0..{len(text)} code points)")
    if label not in item.label_index:
        raise ValueError(f"{where}: span {span!r} has label {label!r}, not one of {list(item.labels)}")
    return {"start": start_i, "end": end_i, "label": item.labels[item.label_index[label]]}


#: This kind's codec for each file format of another tool (:mod:`nblabel.exchange`).
_CODECS: dict[str, Any] = {
    "label-studio": LabelsCodec(),
    "prodigy": ProdigySpansCodec(),
    "doccano": DoccanoSpansCodec(),
}

SPANS = SpansKind()
