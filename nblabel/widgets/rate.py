"""``Rate``: a point on a rating scale per item (Likert quality ratings, relevance grades), or
one per criterion."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..kinds.rating import Scale, check_criteria, check_scale
from ..store.store import Store
from .active import MIN_PER_LABEL, REFIT_EVERY
from .base import STATIC, LabelWidget
from .suggester import DEFAULT_BATCH

__all__ = ["Rate"]


class Rate(LabelWidget):
    """Rate each row of a DataFrame on a scale of ``1..n``, or on several criteria.

    >>> w = nl.Rate(df, text="answer", scale=["poor", "fair", "good", "very good", "excellent"],
    ...             criteria=["fluency", "accuracy"], task="quality", annotator="ana")

    ``scale``: the number of points (2–10), or the names of the points in order (shown beside
    their numbers). A rating is stored as its number (``4``); with ``criteria``, as a dict of
    every criterion's number (``{"fluency": 4, "accuracy": 2}``). ``w.annotate(item, "good")``
    takes a point's name too.

    Keys: ``1``–``9`` and ``0`` (the tenth point) rate. Without criteria the key submits at
    once. With criteria each criterion is a row of keys: a number rates the active criterion
    and moves to the next one; ``↑``/``↓`` or ``Tab``/``Shift+Tab`` move between criteria;
    ``Enter`` submits once every criterion is rated. ``←``/``→`` (or ``k``/``j``) move between
    items; ``u`` undoes; ``s`` skips; ``f`` flags; ``g`` shows the guidelines.
    """

    kind = "rating"
    _esm = STATIC / "rate.js"

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        task: str,
        text: str,
        scale: int | list[str] = 5,
        criteria: list[str] | None = None,
        annotator: str | None = None,
        store: Store | str | os.PathLike[str] | None = None,
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
        recorded = check_scale(scale)
        self.criteria = check_criteria(criteria)
        self.scale = Scale.of({"scale": recorded})
        super().__init__(
            df,
            columns={"text": text},
            labels=list(self.scale.points),
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
            config={"scale": recorded, "criteria": self.criteria},
        )

    # values ---------------------------------------------------------------
    # Checked by the task kind (nblabel.kinds.rating). The browser sends the point (a number),
    # or with criteria the list of points in the criteria's order.
    def _value_from_browser(self, payload: Any, pos: int) -> Any:
        if not self.criteria:
            if not isinstance(payload, int) or isinstance(payload, bool):
                raise ValueError(f"a rating must arrive as a point, got {payload!r}")
            return self._validate_value(payload, pos)
        if not isinstance(payload, list) or len(payload) != len(self.criteria):
            raise ValueError(f"a rating of {len(self.criteria)} criteria must arrive as a list of points")
        if not all(isinstance(p, int) and not isinstance(p, bool) for p in payload):
            raise ValueError(f"every criterion must be rated: got {payload!r}")
        return self._validate_value(dict(zip(self.criteria, payload, strict=True)), pos)

    def _value_to_browser(self, value: Any, pos: int) -> Any:
        if not self.criteria:
            return value if isinstance(value, int) and not isinstance(value, bool) else None
        if not isinstance(value, dict):
            return None
        return [value.get(c) if isinstance(value.get(c), int) else None for c in self.criteria]

    # browser ----------------------------------------------------------------
    def _browser_config(self) -> dict[str, Any]:
        names = self.scale.names
        return {
            "points": list(self.scale.points),
            "names": names,
            "criteria": list(self.criteria or []),
            # the progress counts: one per point (with criteria they would count several per item)
            "labels": [f"{p} · {names[p - 1]}" if names else str(p) for p in self.scale.points],
            "hide_counts": bool(self.criteria),
        }

    def _shown(self, pos: int) -> dict[str, Any]:
        return {"text": self.items.text("text", pos)}

    def _item_fields(self, pos: int, buffers: list[bytes]) -> dict[str, Any]:
        return {"id": str(self.items.label(pos)), "text": self.items.text("text", pos)}
