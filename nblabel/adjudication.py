"""Adjudication: walk the items where a session's annotators disagree and decide each one.

``nl.Adjudicate(session)`` is the session's own task widget (so a new value is edited with the
same controls the annotators used) serving the items to review, with every annotator's value,
comment and time side by side. Decisions are events of the task ``<task>/adjudication``:
a label (the chosen or edited value, the rationale as its comment) or, for an item marked
ambiguous, a skip whose value is ``{"ambiguous": true}``. What they decide is read by
:mod:`nblabel.sessions.decisions` (``session.final_labels()``, the dataset card, the CLI).

This is the top layer under the CLI: it builds on a widget class and a session, which do not
know each other.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd

from .sessions.decisions import AMBIGUOUS, Rating, disagree, labels_by_annotator, ratings_by_item
from .sessions.policy import Labeler
from .sessions.resolution import Resolution, check_method
from .sessions.session import Session
from .widgets import messages
from .widgets.base import LabelWidget


class Adjudicate(LabelWidget):
    """The adjudication widget of ``session``: the items where annotators disagree (with
    ``review_all=True`` every labeled item; unanimous items are otherwise accepted as they are).
    With ``method`` (and ``min_confidence``), only the disagreements that
    ``session.final_labels(method=..., min_confidence=...)`` sends to adjudication: ties,
    low-confidence items and items where a model and the majority differ.

    Keys: ``Alt+1``… take that annotator's value (or click "Use"); label as usual to give a new
    value; ``Alt+A`` marks the item ambiguous. The rationale box goes with the decision.
    ``adj.pick(item, "ana")``, ``adj.resolve(item, value)`` and ``adj.mark_ambiguous(item)``
    do the same from Python; ``session.final_labels()`` reads the decisions.

    ``Adjudicate(session)`` returns an instance of ``Adjudicate<Widget>`` (e.g.
    ``AdjudicateClassify``), a subclass of both this class and the session's widget class, so
    ``isinstance(adj, nl.Adjudicate)`` and ``isinstance(adj, nl.Classify)`` both hold.
    """

    #: The combined class per widget class (one class per kind, built on first use).
    _combined: ClassVar[dict[type, type]] = {}

    def __new__(
        cls,
        session: Session,
        *,
        adjudicator: str | None = None,
        review_all: bool = False,
        method: str | None = None,
        min_confidence: float | None = None,
    ) -> Any:
        target = cls._combined_with(session.widget) if cls is Adjudicate else cls
        options = {"adjudicator": adjudicator, "review_all": review_all, "method": method,
                   "min_confidence": min_confidence}  # fmt: skip
        return super(Adjudicate, target).__new__(target, session, **options)  # traitlets' __new__

    @classmethod
    def _combined_with(cls, widget: type) -> type:
        """``Adjudicate<Widget>``: this class first (its methods win), then the widget class."""
        combined = cls._combined.get(widget)
        if combined is None:
            name = f"Adjudicate{widget.__name__}"
            namespace = {"__module__": __name__, "__qualname__": name, "__doc__": cls.__doc__}
            combined = type(widget)(name, (cls, widget), namespace)
            cls._combined[widget] = combined
        return combined

    def __init__(
        self,
        session: Session,
        *,
        adjudicator: str | None = None,
        review_all: bool = False,
        method: str | None = None,
        min_confidence: float | None = None,
    ) -> None:
        check_method(method, min_confidence)  # before the widget registers its task
        production = session.frame.iloc[: session.n_production]
        latest = session.latest_guidelines()
        super().__init__(  # the session's widget class (next in the combined class's MRO)
            production,
            task=session.adjudication_task,
            annotator=adjudicator,
            store=session.store,
            guidelines=None if latest is None else latest.markdown,
            **session.widget_options,
        )
        self._adjudication = AdjudicationPolicy(session, review_all, method, min_confidence)
        self.use_policy(self._adjudication)

    def pick(self, item_id: Any, annotator: str, rationale: str = "") -> None:
        """Accept ``annotator``'s value for ``item_id`` as the final label."""
        pos = self.items.position(item_id)
        values = labels_by_annotator(self._adjudication.ratings(self.item_key(pos)))
        if annotator not in values:
            raise ValueError(f"{annotator!r} gave no label to item {item_id!r}; labels by: {sorted(values)}")
        self.resolve(item_id, values[annotator], rationale)

    def resolve(self, item_id: Any, value: Any, rationale: str = "") -> None:
        """Decide ``item_id`` with ``value`` (any valid value: an annotator's or a new one)."""
        pos = self._served(self.items.position(item_id))
        self._label(pos, self._validate_value(value, pos), comment=_rationale(rationale))

    def refresh(self) -> None:
        """Read the annotators' labels again and serve disagreements that arose since."""
        self.use_policy(self._adjudication)
        self._push_window()

    def mark_ambiguous(self, item_id: Any = None, rationale: str = "") -> None:
        """Mark ``item_id`` (default: the current item) ambiguous: no final label."""
        self._ambiguous(self._resolve(item_id), rationale)
        self._push_window()

    def _on_message(self, msg: dict[str, Any]) -> bool:
        """``{"type": "ambiguous", "key", "comment"}`` marks an item ambiguous."""
        if msg.get("type") != "ambiguous":
            return False
        pos = self._served(self.items.position_of_key(str(msg["key"])))
        self._ambiguous(pos, msg.get("comment"), messages.browser_seqs(msg))
        return True

    def _ambiguous(self, pos: int, rationale: Any, browser_seqs: list[Any] | None = None) -> None:
        self._record(
            pos,
            "skip",
            dict(AMBIGUOUS),
            active_ms=None,
            comment=_rationale(rationale),
            browser_seqs=browser_seqs,
        )
        self._move_after(pos)


class AdjudicationPolicy:
    """Serves the items to review and shows each annotator's rating of them (read when the
    widget is built, and again on ``adj.refresh()``); a
    :class:`~nblabel.core.policy.QueuePolicy` of any :class:`~nblabel.sessions.policy.Labeler`.
    With ``method``, a disagreement the method decides (see
    :mod:`nblabel.sessions.resolution`) is not served."""

    def __init__(
        self,
        session: Session,
        review_all: bool,
        method: str | None = None,
        min_confidence: float | None = None,
    ) -> None:
        self.session = session
        self.review_all = review_all
        self.method = method
        self.min_confidence = min_confidence
        self._ratings: dict[str, list[Rating]] = {}

    def queue(self, w: Labeler) -> list[int]:
        """The items to review, in DataFrame order."""
        session = self.session
        self._ratings = ratings_by_item(session.store, session.task, session.gold)
        resolution = Resolution(session, self.method, self.min_confidence) if self.method else None
        keep = []
        for pos in range(session.n_production):  # the widget shows the production rows
            labels = labels_by_annotator(self._ratings.get(w.item_key(pos), []))
            if (self.review_all and labels) or self._to_decide(resolution, pos, labels):
                keep.append(pos)
        return keep

    def _to_decide(self, resolution: Resolution | None, pos: int, labels: dict[str, Any]) -> bool:
        """Whether the annotators of the item at ``pos`` disagree and no method decides it."""
        if not disagree(self.session.kind, list(labels.values())):
            return False
        return resolution is None or not resolution.verdict(self.session.frame.index[pos], labels).resolved

    def ratings(self, key: str) -> list[Rating]:
        """(annotator, kind, value, comment, active_ms) of each annotator of item ``key``."""
        return self._ratings.get(key, [])

    def advance(self, w: Labeler, pos: int) -> None:
        """Nothing opens by itself: ``adj.refresh()`` reads new disagreements."""

    def item_fields(self, w: Labeler, pos: int) -> dict[str, Any]:
        """Every annotator's value (as text and in the browser's encoding), comment and time."""
        rows = []
        for name, kind, value, comment, active_ms in self.ratings(w.item_key(pos)):
            rows.append(
                {
                    "annotator": name,
                    "text": w.describe(value, pos) if kind == "label" else "(skipped)",
                    "value": w.browser_value(value, pos) if kind == "label" else None,
                    "comment": comment or "",
                    "active_ms": None if pd.isna(active_ms) else int(active_ms),
                }
            )
        return {"review": rows}

    def may_open_more(self) -> bool:
        """The review list is fixed."""
        return False

    def handle(self, w: Labeler, msg: dict[str, Any]) -> bool:
        """No messages of its own: ``Adjudicate`` handles ``ambiguous`` itself."""
        return False


def _rationale(text: Any) -> str | None:
    return (messages.check_comment(text) or None) if text else None
