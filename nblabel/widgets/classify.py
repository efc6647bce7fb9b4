"""``Classify``: one label (or a set of labels) per item; text and/or image items."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..core.labelset import MANY_LABELS
from ..kinds.classify import check_label
from ..store.store import Store
from .active import MIN_PER_LABEL, REFIT_EVERY
from .base import STATIC, LabelWidget
from .suggester import DEFAULT_BATCH

#: Cells holding several labels (parquet list columns come back as numpy arrays).
_LIST_CELLS = (list, tuple, set, frozenset, np.ndarray)


class Classify(LabelWidget):
    """Label each row of a DataFrame with one of ``labels`` (or several with ``multi=True``).

    >>> w = nl.Classify(df, text="review", labels=["positive", "negative", "neutral"],
    ...                 task="sentiment-pilot", annotator="ana")

    ``ordered=True`` says the labels are a scale in the order given (``["bad", "poor", "fair",
    "good", "great"]``): the task records it, and its agreement report adds ordinal
    Krippendorff's α and linear and quadratic weighted Cohen's κ, which count a near miss as
    less of a disagreement than a far one (numeric labels get them without it).

    ``suggest=`` a column, or a callable ``fn(batch: DataFrame) -> values`` (or ``(value,
    score)`` tuples) called in batches ahead of the annotator in the background: its outputs
    are stored as the events of the non-voting annotator ``model:<suggest_name>`` (reused by a
    restarted kernel or another annotator of the same ``suggest_version``) and shown as the
    suggestion; ``show_suggestions=False`` records them without showing them, a fraction ``p``
    shows them on a seeded share ``p`` of (item, annotator) pairs (see
    :mod:`nblabel.widgets.suggester`). ``suggestions=`` (a column) works as before.

    Active ordering: ``model=`` a scikit-learn-style estimator (fit on the ``text`` column as a
    Series, or on a DataFrame of the item columns) or ``refit(labeled) -> predict_proba``, and
    ``order="uncertainty" | "margin" | "entropy" | "random"`` (or a callable scoring the
    probabilities): the items the model is least sure about come first, refit every
    ``refit_every`` labels in the background; a seeded random cold start (stratified by the
    model's guesses) until every label has ``min_per_label`` examples. ``w.why(item)`` says why
    an item is served (see :mod:`nblabel.widgets.active`). ``multi=True``: one probability of
    presence per label.

    Keys: ``1``–``9``, ``0`` then letters pick a label (shown on the buttons); ``Enter``
    confirms (multi-label, or accepts the suggestion); arrows or ``j``/``k`` navigate; ``u`` or
    Backspace undoes; ``s`` skips; ``f`` flags with a comment; ``g`` shows the guidelines.
    """

    kind = "classify"
    suggestion_ui = True
    _esm = STATIC / "classify.js"

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        labels: list[Any],
        task: str,
        text: str | None = None,
        image: str | None = None,
        annotator: str | None = None,
        store: Store | str | os.PathLike[str] | None = None,
        multi: bool = False,
        ordered: bool = False,
        suggestions: str | None = None,
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
        if text is None and image is None:
            raise TypeError("Classify needs text= (a column of text) and/or image= (a column of images)")
        self.multi = bool(multi)
        if not isinstance(ordered, bool):
            raise TypeError(f"ordered must be True or False, got {ordered!r}")
        if ordered and self.multi:
            raise ValueError("ordered=True needs one label per item: label sets (multi=True) have no order")
        self.ordered = ordered
        super().__init__(
            df,
            columns={"text": text, "image": image, "suggestions": suggestions},
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
            config={"multi": self.multi, "ordered": self.ordered},
        )

    def _check_setup(self, df: pd.DataFrame) -> None:
        suggestions = self.items.columns.get("suggestions")
        if suggestions is not None:
            self._check_suggestions(df[suggestions], suggestions)

    # values ---------------------------------------------------------------
    # Checked by the task kind (nblabel.kinds.classify): one label, or a list with multi=True.
    def _value_from_browser(self, payload: Any, pos: int) -> Any:
        def label_at(i: Any) -> Any:
            if not isinstance(i, int) or isinstance(i, bool) or not 0 <= i < len(self._labels):
                raise ValueError(f"label index {i!r} is out of range")
            return self._labels[i]

        if self.multi:
            if not isinstance(payload, list):
                raise ValueError("a multi-label value must be a list of label indices")
            return self._validate_value([label_at(i) for i in payload], pos)
        return label_at(payload)

    def _value_to_browser(self, value: Any, pos: int) -> Any:
        if self.multi:
            values = value if isinstance(value, list) else [value]
            return [self._label_index[v] for v in values if v in self._label_index]
        return self._label_index.get(value)

    # suggestions ------------------------------------------------------------
    def _check_suggestions(self, column: pd.Series, name: str) -> None:
        cells = column.dropna() if column.dtype != object else column[column.notna()]
        for row, cell in cells.items():
            values = list(cell) if isinstance(cell, _LIST_CELLS) else [cell]
            if not self.multi and len(values) > 1:
                raise ValueError(
                    f"suggestions column {name!r}, row {row!r}: {cell!r} has several labels but multi=False"
                )
            for v in values:
                try:
                    check_label(v, self._labels, self._label_index)
                except ValueError as exc:  # "'x' is not one of the labels [...]"
                    raise ValueError(f"suggestions column {name!r}, row {row!r}: {exc}") from None

    def _suggestion(self, pos: int) -> Any:
        cell = self._suggested_cell(pos)
        if cell is None:
            return None
        if self.multi:
            return self._validate_value(list(cell) if isinstance(cell, _LIST_CELLS) else [cell], pos)
        # in stored form: the label as given in labels= (a numpy.int64 cell is not JSON)
        return self._validate_value(cell[0] if isinstance(cell, _LIST_CELLS) else cell, pos)

    # browser ----------------------------------------------------------------
    def _browser_config(self) -> dict[str, Any]:
        return {
            "labels": [str(label) for label in self._labels],
            # a taxonomy: hotkeyed buttons + type-ahead search; progress sends the top counts
            "many_labels": len(self._labels) > MANY_LABELS,
            "multi": self.multi,
            "has_text": self.items.has("text"),
            "has_image": self.items.has("image"),
        }

    def _shown(self, pos: int) -> dict[str, Any]:
        shown: dict[str, Any] = {}
        if self.items.has("text"):
            shown["text"] = self.items.text("text", pos)
        if self.items.has("image"):
            cell = self.items.cell("image", pos)
            # a path or URL names the image; pixels (bytes, arrays) stay out of the store
            if isinstance(cell, (str, os.PathLike)):
                shown["image"] = os.fspath(cell)
        return shown

    def _item_fields(self, pos: int, buffers: list[bytes]) -> dict[str, Any]:
        fields: dict[str, Any] = {"id": str(self.items.label(pos))}
        if self.items.has("text"):
            fields["text"] = self.items.text("text", pos)
        image = self._image_field(pos, buffers)
        if image is not None:
            fields["image"] = image
        suggestion = self._suggestion_field(pos)
        if suggestion is not None:
            fields["suggestion"] = suggestion
        return fields
