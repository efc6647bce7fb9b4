"""``Spans``: entity and span tagging on text.

A value is a list of ``{"start", "end", "label"}`` dicts with Python code-point offsets, ``end``
exclusive, so ``text[start:end]`` is always the marked string; sorted by position. The browser
works in UTF-16 offsets; :mod:`nblabel.offsets` converts at the boundary.
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
from ..store.store import Store
from .base import STATIC, LabelWidget

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
    (lists of ``{start, end, label}``), shown dashed to accept or reject.
    """

    kind = "spans"
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
    ) -> None:
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
            config={"overlap": self.overlap},
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

    def _value_from_browser(self, payload: Any, pos: int) -> list[dict[str, Any]]:
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
        return self._validate_value(spans, pos)

    def _value_to_browser(self, value: Any, pos: int) -> list[list[int]]:
        offsets = self._offsets(pos)
        out = []
        for span in value or []:
            index = self._label_index.get(span.get("label"))
            if index is None or not 0 <= span["start"] < span["end"] <= len(offsets.text):
                continue  # a label or text that changed since: not drawable
            out.append([offsets.to_utf16(span["start"]), offsets.to_utf16(span["end"]), index])
        return out

    # suggestions --------------------------------------------------------------
    def _suggestion(self, pos: int) -> list[dict[str, Any]] | None:
        if not self.items.has("suggestions"):
            return None
        cell = self.items.cell("suggestions", pos)
        if cell is None:
            return None
        item = self._item_context(pos)
        item = dataclasses.replace(item, where=f"suggestions column, {item.where}")
        return self.task_kind.check_value(list(cell), item)

    def _suggestion_record(self, pos: int, value: Any) -> dict[str, Any] | None:
        """The suggested spans and, by their position in that list, which the annotator
        ``accepted`` (kept exactly), ``changed`` (kept with other bounds or label: an overlapping
        span stands) or ``removed``."""
        suggested = self._suggestion(pos)
        if suggested is None:
            return None
        final = {(s["start"], s["end"], s["label"]) for s in value or []}
        record: dict[str, Any] = {"spans": suggested, "accepted": [], "changed": [], "removed": []}
        for i, s in enumerate(suggested):
            if (s["start"], s["end"], s["label"]) in final:
                record["accepted"].append(i)
            elif any(v["start"] < s["end"] and s["start"] < v["end"] for v in value or []):
                record["changed"].append(i)
            else:
                record["removed"].append(i)
        return record

    # browser -----------------------------------------------------------------
    def _browser_config(self) -> dict[str, Any]:
        return {"labels": [str(label) for label in self._labels], "overlap": self.overlap, "snap": self.snap}

    def _item_fields(self, pos: int, buffers: list[bytes]) -> dict[str, Any]:
        text = self.items.text("text", pos)
        fields: dict[str, Any] = {"id": str(self.items.label(pos)), "text": text}
        if text:
            offsets = self._offsets(pos)
            tokens = self._tokens(pos)
            flat = [v for token in tokens for v in token]
            fields["tokens"] = offsets.many_to_utf16(flat)
        suggestion = self._suggestion(pos)
        if suggestion:
            fields["suggestion"] = self._value_to_browser(suggestion, pos)
        return fields

    def _shown(self, pos: int) -> dict[str, Any]:
        shown: dict[str, Any] = {"text": self._text(pos)}
        if self._custom_tokens:  # exports (BIO, CoNLL) tokenise the same way
            shown["tokens"] = [list(t) for t in self._tokens(pos)]
        return shown
