"""The spans kind with relations (``Spans(..., relations=[...])``): the variant
``registry.for_task("spans", {"relations": [...]})`` serves.

A value is ``{"spans": [{start, end, label}], "relations": [{"head": i, "child": j, "label": r}]}``:
``head`` and ``child`` index that value's spans (sorted by position), and a relation points from
its head to its child. Agreement: span F1 as for spans, and relation F1 over exactly matched
spans (:mod:`nblabel.agreement.relations`). A gold answer scores the F1 of spans and relations
together. Exports: ``jsonl`` with ``relations``, spaCy's ``DocBin`` with the relations kept;
``bio``/``conll`` hold the spans only.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..agreement.relations import (
    RelationView,
    describe_relations,
    prepare_relations,
    relation_coefficients,
    relation_disagreements,
    relation_pair_rows,
    relation_per_annotator,
    relation_per_label,
    relation_per_pair,
    relations_live_tables,
    units_f1,
)
from ..agreement.report import AgreementReport, build_report, one_task
from ..agreement.spans import span_coefficients, span_confusion, span_per_label
from ..core.registry import AggregationScheme, ItemContext, SuggestionOutcome
from ..exports.spans import SPAN_FORMATS, export_spans
from .base import KindBase
from .span_values import checked_spans
from .suggested_parts import span_parts_outcome

__all__ = ["RELATIONS", "RelationsKind", "check_relation_labels"]


def check_relation_labels(relations: Any) -> list[str]:
    """``relations=`` of a spans task: a non-empty list of distinct, non-empty strings."""
    if isinstance(relations, (str, bytes)) or not isinstance(relations, (list, tuple)):
        raise TypeError(f"relations= must be a list of relation labels (strings), got {relations!r}")
    names = list(relations)
    if not names:
        raise ValueError("relations= needs at least one relation label (leave it out for spans only)")
    bad = [r for r in names if not isinstance(r, str) or not r.strip()]
    if bad:
        raise TypeError(f"relation labels must be non-empty strings, got {bad[0]!r}")
    twice = sorted({r for r in names if names.count(r) > 1})
    if twice:
        raise ValueError(f"relation labels must be distinct; given twice: {twice}")
    return names


class RelationsKind(KindBase):
    """Entity spans on text and directed, labeled relations between them."""

    name: ClassVar[str] = "spans"
    description: ClassVar[str] = "labeled spans of the item's text and labeled relations between them"
    export_formats: ClassVar[tuple[str, ...]] = SPAN_FORMATS

    def check_value(self, value: Any, item: ItemContext) -> dict[str, Any]:
        """``{"spans": [...], "relations": [...]}``: the spans as a spans task checks them (sorted,
        duplicates dropped), each relation ``{"head", "child", "label"}`` (or a ``(head, child,
        label)`` triple) indexing the spans *as given*, re-indexed to where they are stored; a
        label of ``relations=``; no span related to itself; no relation twice. A plain list of
        spans is a value with no relations."""
        where = item.where
        if isinstance(value, Mapping):
            unknown = sorted(map(str, set(value) - {"spans", "relations"}))
            if unknown:
                raise ValueError(f"{where}: a value has 'spans' and 'relations', not {unknown}")
            spans_given, relations_given = value.get("spans") or [], value.get("relations") or []
        elif isinstance(value, (list, tuple)):
            spans_given, relations_given = value, []
        else:
            raise ValueError(
                f"{where}: a value must be {{'spans': [...], 'relations': [...]}}, got {value!r}"
            )
        spans, moved = checked_spans(spans_given, item)
        if isinstance(relations_given, (str, bytes, Mapping)) or not isinstance(
            relations_given, (list, tuple)
        ):
            raise ValueError(
                f"{where}: relations must be a list of {{head, child, label}}, got {relations_given!r}"
            )
        names = list(item.config.get("relations") or [])
        relations, seen = [], set()
        for given in relations_given:
            head, child, label = _relation_parts(given, where)
            head, child = (
                _index(i, end, given, len(moved), where) for end, i in (("head", head), ("child", child))
            )
            if label not in names:
                raise ValueError(f"{where}: relation {given!r} has label {label!r}, not one of {names}")
            h, c = moved[head], moved[child]
            if h == c:
                raise ValueError(f"{where}: relation {given!r} links a span to itself")
            if (h, c, label) in seen:
                raise ValueError(f"{where}: relation {given!r} is given twice")
            seen.add((h, c, label))
            relations.append({"head": h, "child": c, "label": label})
        relations.sort(key=lambda r: (r["head"], r["child"], names.index(r["label"])))
        return {"spans": spans, "relations": relations}

    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        text = (shown or {}).get("text")
        return describe_relations(text if isinstance(text, str) else None, value) or "(no spans)"

    def active_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """A model in the loop reads an item as the set of labels its value marks."""
        return self.present_labels_scheme(labels)

    def label_counts(self, value: Any) -> dict[Any, int]:
        """How often each span label occurs (the widget's chips count spans)."""
        counts: dict[Any, int] = {}
        for span in _spans_of(value):
            counts[span["label"]] = counts.get(span["label"], 0) + 1
        return counts

    def suggestion_outcome(
        self, value: Any, suggestion: Any, reference: Any = None
    ) -> SuggestionOutcome | None:
        """Suggested spans (relations are drawn by hand) kept exactly, changed or removed;
        wrong unless the reference has them exactly."""
        return span_parts_outcome(value, suggestion, reference)

    def gold_score(self, value: Any, gold: Any) -> float:
        """F1 over spans and relations together: 2·(spans matched exactly + relations matched)
        / (spans and relations of the answer and of the gold); 1.0 when both are empty. A
        relation matches when both its spans match exactly, with the same label and direction."""
        return units_f1(value, gold)

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
        """Span F1 (three ways) and relation F1 (three ways); per span label; per annotator
        (with relation F1 against the reference); the disagreements; and two tables of its own:
        ``relations_per_label`` and ``relations_per_pair``."""
        frame = one_task(annotations, task) if "item_id" in annotations.columns else annotations
        data = prepare_relations(frame, gold, labels=labels, relation_labels=config.get("relations"))
        rows = span_coefficients(data, n_boot=n_boot, level=level, seed=seed)
        rows += relation_coefficients(data, n_boot=n_boot, level=level, seed=seed)
        return build_report(
            rows,
            per_label=span_per_label(data),
            per_annotator=relation_per_annotator(data),
            disagreements=relation_disagreements(data),
            task_kind="spans",
            reference="gold" if data.gold is not None else "majority of others",
            level=level,
            relations_per_label=relation_per_label(data),
            relations_per_pair=relation_per_pair(data),
        )

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> RelationView:
        """Span and relation F1, and relation F1 of each pair of annotators; per label (relation
        labels as ``→ label``); per annotator, F1 over spans and relations against the reference."""

        def coefficients(data: Any, n_boot: int, level: float, seed: int | None) -> list[list[Any]]:
            rows = span_coefficients(data, n_boot=n_boot, level=level, seed=seed)
            rows += relation_coefficients(data, n_boot=n_boot, level=level, seed=seed)
            return rows + relation_pair_rows(data, n_boot=n_boot, level=level, seed=seed)

        return RelationView(
            prepare_relations(frame, gold, labels=labels, relation_labels=config.get("relations")),
            coefficients=coefficients,
            tables=relations_live_tables,
            matcher=span_confusion,
            describe=describe_relations,
            agreement_name="span + relation F1",
            reference="majority of others",
            unit="spans",
            label_columns=[
                ["count", "count", "int"],
                ["f1_exact", "F1 exact", "value"],
                ["f1_overlap", "F1 overlap", "value"],
            ],  # fmt: skip
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
        """``jsonl`` (``text``, ``spans``, ``relations``), ``spacy`` (relations in
        ``doc.user_data["relations"]`` and ``doc._.rel``), ``bio``/``conll`` (spans only)."""
        return export_spans(store, task, path, format, values=values, relations=True)


def _relation_parts(given: Any, where: str) -> tuple[Any, Any, Any]:
    if isinstance(given, Mapping):
        try:
            return given["head"], given["child"], given["label"]
        except KeyError as exc:
            raise ValueError(f"{where}: relation {given!r} has no {exc.args[0]!r}") from None
    if isinstance(given, (list, tuple)) and len(given) == 3:
        return given[0], given[1], given[2]
    raise ValueError(f"{where}: relation {given!r} is not a {{head, child, label}} dict")


def _index(i: Any, end: str, given: Any, n: int, where: str) -> int:
    """A relation's ``head`` or ``child``: the index of one of the ``n`` spans given."""
    try:
        index = operator.index(i) if not isinstance(i, bool) else None
    except TypeError:
        index = None
    if index is None or not 0 <= index < n:
        raise ValueError(
            f"{where}: relation {given!r}: {end} must be the index of one of the {n} span(s) given"
        )
    return index


def _spans_of(value: Any) -> list[Any]:
    if isinstance(value, Mapping):
        return list(value.get("spans") or [])
    return list(value or [])


RELATIONS = RelationsKind()
