"""``Text``: a written answer per item, optionally corrected from a draft.

A value is the text written (``str``), kept as typed. With ``draft=`` (a column of model
outputs, say) the text area starts from the item's draft, the screen shows a word diff of the
text against it, and each label event records the edit in the event's ``suggestion`` column:
``{"draft": <the draft shown>, "edit_distance": <Levenshtein distance in characters>,
"similarity": <normalised similarity, as agreement measures it>}`` — so the value stays a
plain string and every answer keeps how far it moved from the draft it was shown
(``agreement_report`` sums it up per annotator; the ``jsonl`` export writes it).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..agreement.text import edit_distance, text_similarity
from ..core.limits import text_problem
from ..core.registry import ItemContext
from ..kinds.text import MAX_TEXT
from ..store.store import Store
from .active import MIN_PER_LABEL, REFIT_EVERY
from .base import STATIC, LabelWidget
from .suggester import DEFAULT_BATCH

__all__ = ["Text"]


class Text(LabelWidget):
    """Write (or correct) a text for each item.

    >>> w = nl.Text(df, text="source", draft="model_output", task="summaries", annotator="ana",
    ...             min_length=20, max_length=2000)

    The item's ``text`` is shown above a text area; with ``draft=`` the text area starts from
    the item's draft (a model's output to correct) and a word diff against it is shown as you
    type. Typing stays in the text area (JupyterLab never sees those keys): ``Ctrl+Enter``
    (``Cmd+Enter`` on a Mac) submits and moves on, ``Esc`` leaves the text area so the usual
    keys work — ``j``/``k`` or arrows move between items, ``u`` undoes, ``s`` skips, ``f`` flags,
    ``g`` shows the guidelines, ``?`` the help — and ``Enter``, ``e`` or ``i`` goes back into it.

    ``min_length``/``max_length`` bound the text's length in characters (code points, leading
    and trailing whitespace left out); the reason a text cannot be submitted is shown before
    it is. An empty text is never an answer: skip the item instead.
    """

    kind = "text"
    #: the draft is the text area's own start; a suggest= model is recorded beside it
    suggestion_ui = None
    labeled = False
    _esm = STATIC / "text.js"

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        text: str,
        task: str,
        draft: str | None = None,
        annotator: str | None = None,
        store: Store | str | os.PathLike[str] | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
        guidelines: str | os.PathLike[str] | None = None,
        order: str | Callable[[pd.DataFrame], Any] | None = None,
        model: Any = None,
        refit_every: int = REFIT_EVERY,
        min_per_label: int = MIN_PER_LABEL,
        suggest: str | Callable[[pd.DataFrame], Any] | None = None,
        suggest_name: str | None = None,
        suggest_version: str | None = None,
        suggest_batch: int = DEFAULT_BATCH,
        show_suggestions: bool | float = True,
    ) -> None:
        self.min_length, self.max_length = _check_bounds(min_length, max_length)
        if draft is not None and draft == text:
            raise ValueError(f"text= and draft= name the same column {text!r}")
        super().__init__(
            df,
            columns={"text": text, "draft": draft},
            labels=[],
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
        )

    def _check_setup(self, df: pd.DataFrame) -> None:
        name = self.items.columns.get("draft")
        if name is None:
            return
        for pos in range(len(self.items)):
            cell = self.items.cell("draft", pos)
            if cell is None:
                continue
            where = f"draft column {name!r}, row {self.items.label(pos)!r}"
            if not isinstance(cell, str):
                raise TypeError(f"{where}: a draft is a text, got {type(cell).__name__} {cell!r}")
            problem = text_problem(cell)
            if problem is not None:
                raise ValueError(f"{where}: the draft {problem}")

    # values -------------------------------------------------------------------
    # Checked by the task kind (nblabel.kinds.text) with this widget's length bounds.
    def _item_context(self, pos: int) -> ItemContext:
        item = super()._item_context(pos)
        bounds = {"min_length": self.min_length, "max_length": self.max_length}
        return dataclasses.replace(item, config={**item.config, **bounds})

    def _value_from_browser(self, payload: Any, pos: int) -> str:
        if not isinstance(payload, str):
            raise ValueError("a written answer must arrive as a text")
        return self._validate_value(payload, pos)

    def _value_to_browser(self, value: Any, pos: int) -> str | None:
        return value if isinstance(value, str) else None

    def draft(self, item_id: Any) -> str | None:
        """The draft of ``item_id`` (``None``: none, or no ``draft=`` column)."""
        return self._draft(self.items.position(item_id))

    def _draft(self, pos: int) -> str | None:
        return self.items.cell("draft", pos) if self.items.has("draft") else None

    def _suggestion(self, pos: int) -> str | None:
        return self._draft(pos)

    def _suggestion_record(self, pos: int, value: Any) -> dict[str, Any] | None:
        """The draft shown and how far the text moved from it: ``edit_distance`` (Levenshtein,
        characters as typed) and ``similarity`` (normalised, whitespace normalised: the measure
        of agreement and gold scores)."""
        draft = self._draft(pos)
        if draft is None or not isinstance(value, str):
            return None
        return {
            "draft": draft,
            "edit_distance": edit_distance(draft, value),
            "similarity": round(text_similarity(draft, value), 6),
        }

    # browser -----------------------------------------------------------------------
    def _browser_config(self) -> dict[str, Any]:
        return {
            "labels": [],
            "hide_counts": True,
            "has_draft": self.items.has("draft"),
            "min_length": self.min_length,
            "max_length": self.max_length,
        }

    def _item_fields(self, pos: int, buffers: list[bytes]) -> dict[str, Any]:
        fields: dict[str, Any] = {"id": str(self.items.label(pos)), "text": self.items.text("text", pos)}
        if self.items.has("draft"):
            fields["draft"] = self._draft(pos)
        return fields

    def _shown(self, pos: int) -> dict[str, Any]:
        shown: dict[str, Any] = {"text": self.items.text("text", pos)}
        if self.items.has("draft"):
            shown["draft"] = self._draft(pos)
        return shown


def _check_bounds(min_length: Any, max_length: Any) -> tuple[int | None, int | None]:
    for name, value in (("min_length", min_length), ("max_length", max_length)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise ValueError(f"{name} must be a non-negative int or None, got {value!r}")
    if max_length is not None and max_length > MAX_TEXT:
        raise ValueError(f"max_length={max_length:,} is over the longest text nblabel stores ({MAX_TEXT:,})")
    if min_length is not None and max_length is not None and min_length > max_length:
        raise ValueError(f"min_length={min_length} is larger than max_length={max_length}")
    if max_length == 0:
        raise ValueError("max_length=0 allows no text: an answer has at least one character")
    return min_length, max_length
