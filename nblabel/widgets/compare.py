"""``Compare``: which of two model responses is better (preference data for RLHF / DPO).

A value is ``{"choice": "A"|"B"|"tie"|"both_bad", "strength": 1|2 (A/B only: slightly or
clearly better), "rubric": {dimension: {"A": 1-5, "B": 1-5}}, "justification": str,
"swapped": bool}``. ``A`` and ``B`` always name the DataFrame columns ``a=`` and ``b=``, never
the side of the screen: which response is shown on the left is decided per (task, item,
annotator) from ``seed`` and recorded as ``swapped`` (``True``: ``B`` was on the left). The
browser only ever says "left" or "right"; the kernel turns that into ``A``/``B``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import random
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from ..core.guidelines import render_markdown
from ..core.registry import ItemContext
from ..kinds.compare import CHOICES
from ..store.store import Store
from .active import MIN_PER_LABEL, REFIT_EVERY
from .base import STATIC, LabelWidget
from .suggester import DEFAULT_BATCH

__all__ = ["CHOICES", "Compare"]


class Compare(LabelWidget):
    """Judge two responses to the same prompt, side by side.

    >>> w = nl.Compare(df, prompt="prompt", a="response_a", b="response_b", task="rlhf-pilot",
    ...                annotator="ana", rubric=["helpful", "correct", "safe"])

    ``responses=["r1", "r2", "r3"]`` (instead of ``a``/``b``) ranks three or more responses: the
    value is then the list of tie groups of column names, best first (``[["r2"], ["r1", "r3"]]``).
    Select a response with its number, move it with ``↑``/``↓``, tie it with the one above with
    ``=``; ``Enter`` submits. The order they are shown in is shuffled the same way (see
    :meth:`shown_order`).

    Keys: ``1`` or ``←`` the left response is better, ``2`` or ``→`` the right one, ``3`` tie,
    ``4`` both bad; with Shift, *clearly* better (strength 2). Without a rubric or a required
    justification the choice is submitted at once; otherwise ``Enter`` submits (and says what is
    missing). ``j`` jumps to the justification box (``Esc`` leaves it, ``Enter`` there submits);
    ``r`` scores the rubric with the keyboard (``1``–``5`` per cell, ``Esc`` leaves); ``↑``/``↓``
    move between items; ``u`` undoes; ``s`` skips; ``f`` flags.

    Prompts and responses are Markdown (code blocks keep their layout and scroll sideways) or
    chat transcripts: a list of ``{"role", "content"}`` messages in the cell. The side each
    response is shown on is random per (task, item, annotator), reproducible from ``seed``;
    ``shuffle=False`` always shows ``a`` on the left.
    """

    kind = "compare"
    _esm = STATIC / "compare.js"

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        task: str,
        a: str | None = None,
        b: str | None = None,
        responses: list[str] | None = None,
        prompt: str | None = None,
        annotator: str | None = None,
        store: Store | str | os.PathLike[str] | None = None,
        rubric: list[str] | None = None,
        require_justification: bool = False,
        min_justification: int = 0,
        shuffle: bool = True,
        seed: int = 0,
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
        self.responses = _check_responses(a, b, responses)
        self.ranking = responses is not None
        self.rubric = _check_rubric(rubric)
        if self.ranking and (self.rubric or require_justification or min_justification):
            raise TypeError(
                "rubric= and justifications go with a pair (a=, b=), not with a ranking (responses=)"
            )
        if (
            not isinstance(min_justification, int)
            or isinstance(min_justification, bool)
            or min_justification < 0
        ):
            raise ValueError(f"min_justification must be a non-negative int, got {min_justification!r}")
        self.require_justification = bool(require_justification) or min_justification > 0
        self.min_justification = max(min_justification, 1 if self.require_justification else 0)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        if self.ranking:
            columns = {"prompt": prompt, **{f"r{i}": name for i, name in enumerate(self.responses)}}
            labels, config = list(self.responses), {"responses": list(self.responses)}
        else:
            columns, labels = {"prompt": prompt, "a": a, "b": b}, list(CHOICES)
            config = {"a": a, "b": b, "rubric": self.rubric}
        super().__init__(
            df,
            columns=columns,
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
            config=config,
        )

    # sides --------------------------------------------------------------------
    def swapped(self, item_id: Any) -> bool:
        """Whether ``b`` is shown on the left for ``item_id`` (for this task and annotator)."""
        return self._swapped(self.items.position(item_id))

    def _swapped(self, pos: int) -> bool:
        if not self.shuffle:
            return False
        return hashlib.sha256(self._side_key(pos)).digest()[0] & 1 == 1

    def _side_key(self, pos: int) -> bytes:
        return f"{self.seed}\x1f{self.task}\x1f{self.items.key(pos)}\x1f{self.annotator}".encode()

    def shown_order(self, item_id: Any) -> list[str]:
        """The response columns in the order they are shown for ``item_id`` (ranking mode)."""
        return [self.responses[i] for i in self._order(self.items.position(item_id))]

    def _order(self, pos: int) -> list[int]:
        order = list(range(len(self.responses)))
        if self.shuffle:
            random.Random(hashlib.sha256(self._side_key(pos)).digest()).shuffle(order)
        return order

    # values -------------------------------------------------------------------
    # Checked by the task kind (nblabel.kinds.compare, or .ranking with responses=): a gold
    # answer needs no justification; the sides this annotator saw are recorded as ``swapped``.
    def _item_context(self, pos: int) -> ItemContext:
        item = super()._item_context(pos)
        config = {**item.config, "min_justification": self.min_justification}
        return dataclasses.replace(item, config=config, swapped=self._swapped(pos))

    def _value_from_browser(self, payload: Any, pos: int) -> Any:
        if not isinstance(payload, Mapping):
            raise ValueError("a comparison must arrive as an object")
        if self.ranking:
            order = self._order(pos)
            groups = payload.get("ranking")
            if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
                raise ValueError("a ranking must arrive as a list of groups of shown positions")
            try:
                named = [[self.responses[order[i]] for i in g] for g in groups]
            except (IndexError, TypeError):
                raise ValueError(f"bad shown positions in {groups!r}") from None
            return self._validate_value(named, pos)
        swapped = self._swapped(pos)
        side = {"left": "B" if swapped else "A", "right": "A" if swapped else "B"}
        choice = payload.get("choice")
        choice = side.get(choice, choice) if choice in ("left", "right", "tie", "both_bad") else None
        rubric = {
            dimension: {side[s]: v for s, v in scores.items() if s in side}
            for dimension, scores in (payload.get("rubric") or {}).items()
            if isinstance(scores, Mapping)
        }
        return self._validate_value(
            {
                "choice": choice,
                "strength": payload.get("strength") if choice in ("A", "B") else None,
                "rubric": rubric,
                "justification": payload.get("justification") or "",
            },
            pos,
        )

    def _foreign_value_to_browser(self, value: Any, pos: int) -> Any:
        # another annotator saw other sides: map their A/B choice to this annotator's screen
        if isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if k != "swapped"}
        return self._value_to_browser(value, pos)

    def _describe_value(self, value: Any, pos: int) -> str:
        if self.ranking:
            return " > ".join(" = ".join(map(str, group)) for group in value or [])
        if not isinstance(value, Mapping):
            return str(value)
        choice = value.get("choice")
        if choice in ("A", "B"):
            left = (choice == "A") != self._swapped(pos)
            how = "clearly" if value.get("strength") == 2 else "slightly"
            return f"{'left' if left else 'right'} response {how} better"
        return {"tie": "a tie", "both_bad": "both bad"}.get(choice, str(choice))

    def _value_to_browser(self, value: Any, pos: int) -> dict[str, Any] | None:
        if self.ranking:
            if not isinstance(value, list):
                return None
            shown = {self.responses[i]: n for n, i in enumerate(self._order(pos))}
            return {"ranking": [[shown[name] for name in g if name in shown] for g in value]}
        if not isinstance(value, Mapping):
            return None
        swapped = bool(value.get("swapped", self._swapped(pos)))
        screen = {"A": "right" if swapped else "left", "B": "left" if swapped else "right"}
        return {
            "choice": screen.get(value.get("choice"), value.get("choice")),
            "strength": value.get("strength"),
            "rubric": {
                d: {screen[s]: v for s, v in scores.items() if s in screen}
                for d, scores in (value.get("rubric") or {}).items()
            },
            "justification": value.get("justification") or "",
        }

    # browser -----------------------------------------------------------------------
    def _browser_config(self) -> dict[str, Any]:
        if self.ranking:
            return {
                "mode": "rank",
                "labels": list(self.responses),
                "count": len(self.responses),
                "has_prompt": self.items.has("prompt"),
                "hide_counts": True,
            }
        return {
            "labels": ["A", "B", "tie", "both bad"],
            "rubric": list(self.rubric),
            "require_justification": self.require_justification,
            "min_justification": self.min_justification,
            "has_prompt": self.items.has("prompt"),
            "hide_counts": True,  # per-choice counts would reveal which column each side shows
        }

    def _item_fields(self, pos: int, buffers: list[bytes]) -> dict[str, Any]:
        if self.ranking:
            fields: dict[str, Any] = {
                "id": str(self.items.label(pos)),
                "responses": [_render(self.items.cell(f"r{i}", pos)) for i in self._order(pos)],
            }
            if self.items.has("prompt"):
                fields["prompt"] = _render(self.items.cell("prompt", pos))
            return fields
        swapped = self._swapped(pos)
        left, right = ("b", "a") if swapped else ("a", "b")
        fields = {
            "id": str(self.items.label(pos)),
            "left": _render(self.items.cell(left, pos)),
            "right": _render(self.items.cell(right, pos)),
        }
        if self.items.has("prompt"):
            fields["prompt"] = _render(self.items.cell("prompt", pos))
        return fields

    def _shown(self, pos: int) -> dict[str, Any]:
        if self.ranking:
            shown: dict[str, Any] = {
                "responses": {
                    name: _plain(self.items.cell(f"r{i}", pos)) for i, name in enumerate(self.responses)
                }
            }
            if self.items.has("prompt"):
                shown["prompt"] = _plain(self.items.cell("prompt", pos))
            return shown
        shown = {"a": _plain(self.items.cell("a", pos)), "b": _plain(self.items.cell("b", pos))}
        if self.items.has("prompt"):
            shown["prompt"] = _plain(self.items.cell("prompt", pos))
        return shown


# ---------------------------------------------------------------------- helpers
def _check_responses(a: str | None, b: str | None, responses: list[str] | None) -> list[str]:
    if responses is None:
        if a is None or b is None:
            raise TypeError("Compare needs a= and b= (two response columns), or responses=[...] to rank 3+")
        if a == b:
            raise ValueError(f"a= and b= name the same column {a!r}")
        return [a, b]
    if a is not None or b is not None:
        raise TypeError("pass either a= and b= (a pair) or responses= (a ranking), not both")
    if isinstance(responses, str) or len(responses) < 2 or len(set(responses)) != len(responses):
        raise ValueError(f"responses must name two or more different columns, got {responses!r}")
    return list(responses)


def _check_rubric(rubric: Any) -> list[str]:
    if rubric is None:
        return []
    if isinstance(rubric, str) or not all(isinstance(d, str) and d.strip() for d in rubric):
        raise TypeError(f"rubric must be a list of dimension names, got {rubric!r}")
    dimensions = list(rubric)
    if len(set(dimensions)) != len(dimensions):
        raise ValueError(f"rubric has duplicate dimensions: {dimensions}")
    return dimensions


def _is_chat(cell: Any) -> bool:
    return isinstance(cell, (list, tuple)) and all(isinstance(m, Mapping) and "content" in m for m in cell)


def _render(cell: Any) -> dict[str, Any]:
    """A cell for the browser: Markdown as sanitised HTML, or a chat transcript message by
    message (role as text, content as sanitised HTML)."""
    if cell is None:
        return {"html": "", "empty": True}
    if _is_chat(cell):
        return {
            "chat": [
                {"role": str(m.get("role", "")), "html": render_markdown(str(m.get("content") or ""))}
                for m in cell
            ]
        }
    return {"html": render_markdown(str(cell))}


def _plain(cell: Any) -> Any:
    """A cell as stored with the item (text, or the chat messages)."""
    if cell is None:
        return None
    if _is_chat(cell):
        return [{"role": str(m.get("role", "")), "content": str(m.get("content") or "")} for m in cell]
    return str(cell)
