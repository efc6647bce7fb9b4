"""The text task kind: a written answer per item (a demonstration, a corrected transcript or
translation, a rationale), optionally corrected from a draft.

A value is the text itself (``str``), stored as written. It must hold a non-blank character
(an item with nothing to write is skipped) and, when the widget sets them, between
``min_length`` and ``max_length`` characters — counted in Unicode code points of the text
without its leading and trailing whitespace; never more than :data:`MAX_TEXT`. The bounds are
the widget's (its item context), not the task's: a gold answer or a final label given to an
export is checked as text only.

Agreement, gold scores and unanimity use :mod:`nblabel.agreement.text`: the normalised
Levenshtein similarity of the texts after whitespace normalisation; two texts agree when they
are equal after it. Exports: ``jsonl`` (source, draft, answer, edit distance) and ``sft``
(``prompt``/``completion`` for instruction tuning), besides csv and parquet.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..agreement.report import AgreementReport
from ..agreement.text import normalize_text, text_report, text_similarity, texts_agree
from ..agreement.text import prepare_texts as _prepare_texts
from ..agreement.text_view import TextView
from ..core.limits import quote, text_problem
from ..core.registry import ItemContext, SuggestionOutcome
from ..exports.text import TEXT_FORMATS, export_text
from .base import KindBase

__all__ = ["MAX_TEXT", "TEXT", "TextKind", "text_length"]

#: Longest text accepted (code points), whatever ``max_length`` says.
MAX_TEXT = 1_000_000


def text_length(text: str) -> int:
    """How long a text counts for ``min_length``/``max_length``: code points without the
    leading and trailing whitespace (``str.strip``)."""
    return len(text.strip())


class TextKind(KindBase):
    """A written answer per item."""

    name: ClassVar[str] = "text"
    description: ClassVar[str] = "a written answer per item, possibly corrected from a draft"
    export_formats: ClassVar[tuple[str, ...]] = TEXT_FORMATS

    def check_value(self, value: Any, item: ItemContext) -> str:
        """A text with a non-blank character, within the item's ``min_length``/``max_length``
        (``item.config``) and :data:`MAX_TEXT`, that the store can keep; returned as given."""
        text = self._checked_text(value, item.where)
        length = text_length(text)
        low, high = item.config.get("min_length"), item.config.get("max_length")
        if low is not None and length < low:
            raise ValueError(
                f"{item.where}: the text has {length:,} characters; at least {low:,} are required "
                "(min_length)"
            )
        if high is not None and length > high:
            raise ValueError(
                f"{item.where}: the text has {length:,} characters; at most {high:,} are allowed (max_length)"
            )
        return text

    def check_gold(self, value: Any, item: ItemContext) -> str:
        """A gold text: text the store can keep, with a non-blank character (no length bounds)."""
        return self._checked_text(value, item.where)

    def _checked_text(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise TypeError(
                f"{where}: a written answer is a text (str), got {type(value).__name__} {value!r}"
            )
        if not value.strip():
            raise ValueError(f"{where}: the text is empty; write something, or skip the item")
        if len(value) > MAX_TEXT:
            raise ValueError(
                f"{where}: the text has {len(value):,} characters; at most {MAX_TEXT:,} can be stored"
            )
        problem = text_problem(value)
        if problem is not None:
            raise ValueError(f"{where}: the text {quote(value)} {problem}")
        return value

    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        """The text on one line (whitespace runs as one space)."""
        if not isinstance(value, str):
            return str(value)
        return normalize_text(value) or "(empty text)"

    def label_counts(self, value: Any) -> dict[Any, int]:
        """None: a written answer has no labels."""
        return {}

    def gold_score(self, value: Any, gold: Any) -> float:
        """The similarity of the text to the gold text (normalised Levenshtein, whitespace
        normalised; 1.0 when equal after it); 0.0 for anything that is not a text."""
        if not isinstance(value, str) or not isinstance(gold, str):
            return 0.0
        return text_similarity(value, gold)

    def suggestion_outcome(
        self, value: Any, suggestion: Any, reference: Any = None
    ) -> SuggestionOutcome | None:
        """The draft (the record's ``draft``, or the draft itself) submitted as it is
        (``accepted``) or edited (``changed``); wrong when it does not agree with the
        reference text (:meth:`values_agree`)."""
        if suggestion is None:
            return None
        draft = suggestion.get("draft") if isinstance(suggestion, Mapping) else suggestion
        if not isinstance(draft, str):
            return None
        kept = isinstance(value, str) and value == draft
        wrong = reference is not None and not self.values_agree(draft, reference)
        return SuggestionOutcome(
            draft, parts=1, accepted=int(kept), changed=int(not kept), wrong=int(wrong),
            wrong_accepted=int(wrong and kept),
        )  # fmt: skip

    def values_agree(self, a: Any, b: Any) -> bool:
        """Equal after whitespace normalisation (Unicode NFC, whitespace runs one space, none at
        either end)."""
        return texts_agree(a, b)

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
        return text_report(annotations, gold, task=task, n_boot=n_boot, level=level, seed=seed)

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> TextView:
        return TextView(_prepare_texts(frame, gold))

    def export_own(
        self,
        store: Any,
        task: str,
        path: Path,
        format: str,
        values: pd.DataFrame | None = None,
        **options: Any,
    ) -> Path:
        return export_text(store, task, path, format, values=values)


TEXT = TextKind()
