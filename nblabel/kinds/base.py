"""What every task kind shares: the defaults of the :class:`~nblabel.core.registry.TaskKind`
protocol and the export of the table formats (jsonl, csv, parquet) that every kind has."""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..core.registry import AggregationScheme, ItemContext, SuggestionOutcome
from ..exports.rows import given_values
from ..exports.table import FORMATS as TABLE_FORMATS
from ..exports.table import export_table

__all__ = ["KindBase", "TABLE_FORMATS"]


class KindBase:
    """Defaults for a task kind: values compared by equality, described as text, exported as
    tables. A kind overrides what differs (see :class:`~nblabel.core.registry.TaskKind`)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    #: Formats of the kind's own exporter (:meth:`export_own`), besides the table formats.
    export_formats: ClassVar[tuple[str, ...]] = ()
    #: Whether :meth:`export_own` takes options (``keep_ties=`` of a comparison).
    export_options: ClassVar[bool] = False

    def __repr__(self) -> str:
        return f"<task kind {self.name!r}: {self.description}>"

    def for_config(self, config: Mapping[str, Any]) -> Any:
        """The kind that serves a task of this config (itself unless a variant differs)."""
        return self

    # ---------------------------------------------------------------- values
    def check_value(self, value: Any, item: ItemContext) -> Any:
        """Any value the store can hold (JSON, not ``None``), unchanged: a kind with rules of its
        own (labels, offsets, sizes) overrides this."""
        if value is None:
            raise ValueError(f"{item.where}: a {self.name} value cannot be None (skip the item instead)")
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{item.where}: a {self.name} value must be plain JSON data ({exc})") from None
        return value

    def check_gold(self, value: Any, item: ItemContext) -> Any:
        """A gold answer in stored form: by default, checked as any value."""
        return self.check_value(value, item)

    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        """A stored value as one line of text; ``shown`` is what the item showed (its text)."""
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "(none)"
        return str(value)

    def label_counts(self, value: Any) -> dict[Any, int]:
        """How many times each label occurs in one value (the widget's progress counts)."""
        return {value: 1}

    def gold_score(self, value: Any, gold: Any) -> float:
        """1.0 when ``value`` is the gold answer, else 0.0 (partial credit where a kind has it)."""
        return 1.0 if value == gold else 0.0

    def values_agree(self, a: Any, b: Any) -> bool:
        """Whether two annotators gave the same answer (unanimity, adjudication)."""
        return self.gold_score(a, b) == 1.0

    # ---------------------------------------------------------------- suggestions
    def suggestion_outcome(
        self, value: Any, suggestion: Any, reference: Any = None
    ) -> SuggestionOutcome | None:
        """The suggestion as one part: accepted when the value agrees with it
        (:meth:`values_agree`), else removed; wrong when it does not agree with the
        ``reference``; ``None`` without a suggestion."""
        if suggestion is None:
            return None
        kept = bool(self.values_agree(value, suggestion))
        wrong = reference is not None and not self.values_agree(suggestion, reference)
        return SuggestionOutcome(
            suggestion, parts=1, accepted=int(kept), removed=int(not kept), wrong=int(wrong),
            wrong_accepted=int(wrong and kept),
        )  # fmt: skip

    def swapped_columns(self, config: Mapping[str, Any]) -> tuple[str, str] | None:
        """No two fields whose order matters."""
        return None

    def from_swapped(self, value: Any) -> Any:
        """Unchanged."""
        return value

    # ---------------------------------------------------------------- aggregation
    def aggregation_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """How ``nl.aggregate`` reads this kind's values: by default it cannot (a kind whose
        values are categories overrides this)."""
        raise ValueError(
            f"nl.aggregate is not supported for {self.name} tasks ({self.description}): it aggregates "
            "categories — the labels of classify tasks and the choices of compare tasks"
        )

    def active_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """The classes a model in the loop predicts for an item: those of :meth:`aggregation_scheme`."""
        try:
            return self.aggregation_scheme(labels, config)
        except ValueError as exc:
            raise ValueError(
                f"model= (active ordering) needs a class per item, which {self.name} tasks "
                f"({self.description}) do not have: {exc}"
            ) from None

    def present_labels_scheme(self, labels: list[Any] | None) -> AggregationScheme:
        """A value read as the set of labels it marks (its :meth:`label_counts`), each label
        present or absent: how a model in the loop reads spans and boxes."""

        def present(value: Any) -> list[Any]:
            return [label for label, n in self.label_counts(value).items() if n > 0]

        return AggregationScheme(categories=labels, multi=True, category=present)

    # ---------------------------------------------------------------- exports
    def export(
        self,
        store: Any,
        task: str,
        path: Path,
        format: str,
        values: pd.DataFrame | None = None,
        **options: Any,
    ) -> Path:
        """Write the task's current labels as ``format``: the kind's own formats, or a table.
        ``values`` (item ids and a ``value`` column, such as ``session.final_labels()``) are
        written instead of the current labels; in a kind's own format each is checked first
        (as a gold answer of its item: :meth:`check_gold`)."""
        if options and not self.export_options:
            raise TypeError(f"export options {sorted(options)} only apply to compare tasks")
        if format in self.export_formats:
            if values is None:
                return self.export_own(store, task, path, format, **options)
            if "values" not in inspect.signature(self.export_own).parameters:
                raise ValueError(f"{self.name} tasks cannot write given values= as {format!r}")
            values = self._checked_values(store, task, values)
            return self.export_own(store, task, path, format, values=values, **options)
        if format not in TABLE_FORMATS:
            known: Any = TABLE_FORMATS
            if self.export_formats:
                known = sorted(set(self.export_formats) | set(TABLE_FORMATS))
            raise ValueError(f"format {format!r} is not one of {known}")
        return export_table(store, task, path, format, values)

    def export_own(self, store: Any, task: str, path: Path, format: str, **options: Any) -> Path:
        """Write one of :attr:`export_formats` (a kind with own formats overrides this; one
        that takes a ``values=`` frame writes those instead of the current labels)."""
        raise ValueError(f"{self.name} tasks have no export format {format!r}")

    def _checked_values(self, store: Any, task: str, values: pd.DataFrame) -> pd.DataFrame:
        """``values`` as exporter rows, each value checked against what its item showed (items
        the store kept nothing of are left to the exporter, which says so)."""
        rows = given_values(values)
        info, shown = store.task(task), store.items(task)
        checked = []
        for item_id, value in zip(rows["item_id"], rows["value"], strict=True):
            if item_id not in shown.index:
                checked.append(value)
                continue
            item = shown.loc[item_id]
            width, height, text = item.get("width"), item.get("height"), item.get("text")
            context = ItemContext(
                f"values= item {item_id!r}",
                labels=info["labels"],
                config=info["config"] or {},
                text=text if isinstance(text, str) else None,
                size=None if width is None or width != width else (int(width), int(height)),
            )
            checked.append(self.check_gold(value, context))
        return rows.assign(value=pd.Series(checked, index=rows.index, dtype=object))

    # ---------------------------------------------------------------- other tools' files
    def exchange_codec(self, format: str) -> Any:
        """This kind's codec for another tool's file format (:mod:`nblabel.exchange`): none by
        default (a kind a format can carry overrides this)."""
        return None

    # ---------------------------------------------------------------- preferences
    def pairwise_outcomes(
        self, values: Sequence[Any], config: Mapping[str, Any], items: Sequence[Any] | None = None
    ) -> pd.DataFrame:
        """Pairwise outcomes between responses: only kinds that hold preferences have them."""
        raise ValueError(
            f"rank_models needs a compare task (pairs or rankings of responses); this is a {self.name} task"
        )
