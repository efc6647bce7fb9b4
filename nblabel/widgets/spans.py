"""``Spans``: entity and span tagging on text.

A value is a list of ``{"start", "end", "label"}`` dicts with Python code-point offsets, ``end``
exclusive, so ``text[start:end]`` is always the marked string; sorted by position. With
``relations=[...]`` it is ``{"spans": [...], "relations": [{"head", "child", "label"}]}``. The
browser works in UTF-16 offsets; :mod:`nblabel.offsets` converts at the boundary.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..core.cache import Recent
from ..core.offsets import Offsets
from ..core.registry import ItemContext
from ..core.tokens import Tokenizer, check_tokens, default_tokenizer
from ..kinds.relations import check_relation_labels
from ..kinds.suggested_parts import span_record
from ..store.store import Store
from .active import MIN_PER_LABEL, REFIT_EVERY
from .base import STATIC, LabelWidget
from .suggester import DEFAULT_BATCH

__all__ = ["Spans"]

SNAP_MODES = ("token", "char")


class Spans(LabelWidget):
    """Tag spans of text with ``labels``, one item per DataFrame row.

    >>> w = nl.Spans(df, text="sentence", labels=["PER", "ORG", "LOC"], task="ner-pilot", annotator="ana")

    Choose the active label with its key (shown on the chips), then select text with the mouse
    (drag, or double-click a word): selections snap to whole tokens (hold Shift as you release, or pass
    ``snap="char"``, for characters). Or tag with the keyboard only: ``←``/``→`` move a token
    cursor, ``Shift+←/→`` extend it, ``Enter`` tags. Click a span to relabel or delete it.
    ``Enter`` (or ``Space``) with nothing selected confirms the item; ``Backspace`` removes the
    last span; ``u`` undoes the last confirmed item.

    ``overlap=False`` (default): a new span that overlaps others replaces them (a warning says
    which). ``overlap=True``: nested and crossing spans are kept and drawn stacked.
    ``tokenizer`` is a callable ``text -> [(start, end), ...]`` (default: words, numbers,
    punctuation, CJK characters, emoji). ``suggestions`` names a column of pre-annotated spans
    (lists of ``{start, end, label}``), shown dashed to accept or reject; ``suggest=`` a
    column or a callable ``fn(batch) -> lists of spans`` computes them in the background as the
    non-voting annotator ``model:<suggest_name>`` (``show_suggestions=`` as in ``Classify``).

    ``relations=["works_for", "located_in"]``: draw directed, labeled arcs between spans too.
    Keyboard: ``r`` starts a relation from the selected span (or the span under the token
    cursor), ``→``/``←`` or ``Tab`` pick the other span, a relation key (``1``, ``2``, ...) or
    ``Enter`` adds it, ``Esc`` cancels; ``]``/``[`` select an arc, ``Delete`` removes it. Mouse:
    click a span, then Shift+click (or Alt+click) the other one and choose the relation.
    Removing a span removes its relations. The value becomes ``{"spans": [...], "relations":
    [{"head": i, "child": j, "label": ...}]}`` (``head``/``child`` index the value's spans).

    Active ordering (``model=``, ``order="uncertainty"``, ...; see :class:`Classify`): a model
    reads an item as the set of labels its spans mark, so it gives one probability of presence
    per label (``P(ORG present)``), and an item's uncertainty is that of the most likely set of
    labels. A ``refit(labeled)`` callable gets the spans themselves in ``labeled["value"]`` (to
    train a tagger) and the labels they mark in ``labeled["label"]``.
    """

    kind = "spans"
    suggestion_ui = True
    _esm = STATIC / "spans.js"

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        text: str,
        labels: list[Any],
        task: str,
        annotator: str | None = None,
        store: Store | str | os.PathLike[str] | None = None,
        overlap: bool = False,
        snap: str = "token",
        tokenizer: Tokenizer | None = None,
        suggestions: str | None = None,
        guidelines: str | os.PathLike[str] | None = None,
        order: str | Callable[[pd.DataFrame], Any] | None = None,
        model: Any = None,
        refit_every: int = REFIT_EVERY,
        min_per_label: int = MIN_PER_LABEL,
        relations: list[str] | None = None,
        suggest: str | Callable[[pd.DataFrame], Any] | None = None,
        suggest_name: str | None = None,
        suggest_version: str | None = None,
        suggest_batch: int = DEFAULT_BATCH,
        show_suggestions: bool | float = True,
    ) -> None:
        self.relations = None if relations is None else check_relation_labels(relations)
        if snap not in SNAP_MODES:
            raise ValueError(f"snap must be one of {SNAP_MODES}, got {snap!r}")
        if tokenizer is not None and not callable(tokenizer):
            raise TypeError(
                f"tokenizer must be a callable text -> [(start, end), ...], got {type(tokenizer).__name__}"
            )
        self.overlap = bool(overlap)
        self.snap = snap
        self._tokenizer = tokenizer
        self._custom_tokens = tokenizer is not None
        # Offsets and tokens of recently shown items (a 50,000-character text takes ~10 ms).
        self._offsets_cache = Recent(32)
        self._tokens_cache = Recent(32)
        super().__init__(
            df,
            columns={"text": text, "suggestions": suggestions},
            labels=labels,
            task=task,
            annotator=annotator,
            store=store,
            guidelines=guidelines,
            order=order,
            suggest=suggest,
            suggest_name=suggest_name,
            suggest_version=suggest_version,
            suggest_batch=suggest_batch,
            show_suggestions=show_suggestions,
            model=model,
            refit_every=refit_every,
            min_per_label=min_per_label,
            config={"overlap": self.overlap, **({"relations": self.relations} if self.relations else {})},
        )

    def _register_task(self) -> None:
        """Register the task; a task recorded with other relation labels (or none) is refused."""
        super()._register_task()
        recorded = self.store.task(self.task).config.get("relations")
        if recorded != self.relations:
            raise ValueError(
                f"task {self.task!r} was created with relations={recorded!r}; it cannot be re-opened "
                f"with relations={self.relations!r} (use a new task name)"
            )

    def _check_setup(self, df: pd.DataFrame) -> None:
        if any(not isinstance(label, str) for label in self._labels):
            raise TypeError(f"span labels must be strings, got {self._labels}")
        if self.items.has("suggestions"):
            for pos in range(len(self.items)):
                self._suggestion(pos)  # ValueError naming the row and the span at fault

    # text, offsets, tokens --------------------------------------------------
    def _text(self, pos: int) -> str:
        return self.items.text("text", pos) or ""

    def _offsets(self, pos: int) -> Offsets:
        return self._offsets_cache.get(pos, lambda: Offsets(self._text(pos)))

    def _tokens(self, pos: int) -> list[tuple[int, int]]:
        return self._tokens_cache.get(pos, lambda: self._tokenize(pos))

    def _tokenize(self, pos: int) -> list[tuple[int, int]]:
        text = self._text(pos)
        if self._tokenizer is None:
            return default_tokenizer(text)
        where = f"tokenizer on row {self.items.label(pos)!r}"
        try:
            tokens = self._tokenizer(text)
        except Exception as exc:
            raise ValueError(f"{where} failed: {type(exc).__name__}: {exc}") from exc
        return check_tokens(tokens, text, where)

    # values -----------------------------------------------------------------
    # Checked by the task kind (nblabel.kinds.spans) against the item's text.
    def _item_context(self, pos: int) -> ItemContext:
        return dataclasses.replace(super()._item_context(pos), text=self._text(pos))

    def _value_from_browser(self, payload: Any, pos: int) -> Any:
        if self.relations:
            return self._validate_value(self._relations_from_browser(payload, pos), pos)
        return self._validate_value(self._spans_from_browser(payload, pos), pos)

    def _spans_from_browser(self, payload: Any, pos: int) -> list[dict[str, Any]]:
        if not isinstance(payload, list):
            raise ValueError("spans must arrive as a list of [start, end, label index]")
        offsets = self._offsets(pos)
        spans = []
        for entry in payload:
            if not (isinstance(entry, list) and len(entry) == 3 and all(type(v) is int for v in entry)):
                raise ValueError(f"bad span {entry!r} from the browser")
            start16, end16, index = entry
            if not 0 <= index < len(self._labels):
                raise ValueError(f"label index {index} is out of range")
            spans.append(
                {
                    "start": offsets.from_utf16(start16),
                    "end": offsets.from_utf16(end16),
                    "label": self._labels[index],
                }
            )
        return spans

    def _relations_from_browser(self, payload: Any, pos: int) -> dict[str, Any]:
        """``{"spans": [[start, end, label index]], "relations": [[head, child, relation index]]}``."""
        assert self.relations is not None
        if not isinstance(payload, dict) or set(payload) != {"spans", "relations"}:
            raise ValueError("a value with relations must arrive as {spans, relations}")
        relations = []
        for entry in payload["relations"] if isinstance(payload["relations"], list) else [None]:
            if not (isinstance(entry, list) and len(entry) == 3 and all(type(v) is int for v in entry)):
                raise ValueError(f"bad relation {entry!r} from the browser")
            if not 0 <= entry[2] < len(self.relations):
                raise ValueError(f"relation label index {entry[2]} is out of range")
            relations.append({"head": entry[0], "child": entry[1], "label": self.relations[entry[2]]})
        return {"spans": self._spans_from_browser(payload["spans"], pos), "relations": relations}

    def _value_to_browser(self, value: Any, pos: int) -> Any:
        if not self.relations:
            return self._spans_to_browser(value, pos)[0]
        spans, kept = self._spans_to_browser((value or {}).get("spans"), pos)
        relations = []
        for r in (value or {}).get("relations") or []:
            head, child = kept.get(r["head"]), kept.get(r["child"])
            if head is not None and child is not None and r["label"] in self.relations:
                relations.append([head, child, self.relations.index(r["label"])])
        return {"spans": spans, "relations": relations}

    def _spans_to_browser(self, value: Any, pos: int) -> tuple[list[list[int]], dict[int, int]]:
        """The drawable spans in the browser's encoding, and where each stored span went."""
        offsets = self._offsets(pos)
        out, kept = [], {}
        for i, span in enumerate(value or []):
            index = self._label_index.get(span.get("label"))
            if index is None or not 0 <= span["start"] < span["end"] <= len(offsets.text):
                continue  # a label or text that changed since: not drawable
            kept[i] = len(out)
            out.append([offsets.to_utf16(span["start"]), offsets.to_utf16(span["end"]), index])
        return out, kept

    # suggestions --------------------------------------------------------------
    def _suggestion(self, pos: int) -> list[dict[str, Any]] | None:
        cell = self._suggested_cell(pos)
        if cell is None:
            return None
        item = self._item_context(pos)
        item = dataclasses.replace(item, where=f"suggestions column, {item.where}")
        if self.relations:  # suggested spans, to accept or reject
            if isinstance(cell, dict) and self._suggester is not None:
                cell = cell.get("spans") or []  # a model's {spans, relations}: its spans are suggested
            if isinstance(cell, dict):
                raise ValueError(f"{item.where}: suggestions are lists of spans (relations: by hand)")
            return self.task_kind.check_value(list(cell), item)["spans"]
        return self.task_kind.check_value(list(cell), item)

    def _suggestion_to_browser(self, suggestion: Any, pos: int) -> Any:
        return self._spans_to_browser(suggestion, pos)[0] or None

    def _suggestion_record(self, pos: int, value: Any) -> dict[str, Any] | None:
        """The suggested spans and, by their position in that list, which the annotator
        ``accepted`` (kept exactly), ``changed`` (kept with other bounds or label: an overlapping
        span stands) or ``removed``."""
        suggested = self._suggestion(pos)
        if suggested is None:
            return None
        spans = (value or {}).get("spans") if self.relations else value
        return span_record(spans, suggested)

    # browser -----------------------------------------------------------------
    def _browser_config(self) -> dict[str, Any]:
        labels = [str(label) for label in self._labels]
        config: dict[str, Any] = {"labels": labels, "overlap": self.overlap, "snap": self.snap}
        if self.relations:
            config["relations"] = list(self.relations)
        return config

    def _item_fields(self, pos: int, buffers: list[bytes]) -> dict[str, Any]:
        text = self.items.text("text", pos)
        fields: dict[str, Any] = {"id": str(self.items.label(pos)), "text": text}
        if text:
            offsets = self._offsets(pos)
            tokens = self._tokens(pos)
            flat = [v for token in tokens for v in token]
            fields["tokens"] = offsets.many_to_utf16(flat)
        suggestion = self._suggestion_field(pos)
        if suggestion:
            fields["suggestion"] = suggestion
        return fields

    def _shown(self, pos: int) -> dict[str, Any]:
        shown: dict[str, Any] = {"text": self._text(pos)}
        if self._custom_tokens:  # exports (BIO, CoNLL) tokenise the same way
            shown["tokens"] = [list(t) for t in self._tokens(pos)]
        return shown
