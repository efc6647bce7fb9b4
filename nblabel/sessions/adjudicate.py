"""Adjudication: walk the items where a session's annotators disagree, decide each one, and
turn the session into final labels with their provenance.

``nl.Adjudicate(session)`` is the session's own task widget (so a new value is edited with the
same controls the annotators used) serving the items to review, with every annotator's value,
comment and time side by side. Decisions are events of the task ``<task>/adjudication``:
a label (the chosen or edited value, the rationale as its comment) or, for an item marked
ambiguous, a skip whose value is ``{"ambiguous": true}``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..agreement.gold import values_agree
from ..core.frames import current_from_annotations
from ..widgets.base import _check_comment, _seqs
from ..widgets.queue import Queue
from .session import ADJUDICATION, item_keys, production_events

#: The value of the skip event that marks an item ambiguous.
AMBIGUOUS = {"ambiguous": True}
#: (annotator, kind, value, flag comment, active_ms) of one annotator's rating of an item.
Rating = tuple[str, str, Any, str | None, Any]
#: (adjudicator, kind, value, rationale, decided_at) of the decision on an item.
Decision = tuple[str, str, Any, str, Any]
#: Columns of :func:`final_labels`.
FINAL_COLUMNS = [
    "value", "status", "n_annotators", "annotators", "agreed_with", "adjudicator", "rationale", "decided_at",
]  # fmt: skip
#: ``status`` values of :func:`final_labels`.
STATUSES = ("adjudicated", "unanimous", "single", "ambiguous", "unresolved", "unlabeled")


class AdjudicationMixin:
    """The adjudicator's methods, mixed into the session's widget class."""

    def pick(self, item_id: Any, annotator: str, rationale: str = "") -> None:
        """Accept ``annotator``'s value for ``item_id`` as the final label."""
        policy = self._policy
        pos = self.items.position(item_id)
        values = _labels(policy.ratings(self.items.key(pos)))
        if annotator not in values:
            raise ValueError(f"{annotator!r} gave no label to item {item_id!r}; labels by: {sorted(values)}")
        self.resolve(item_id, values[annotator], rationale)

    def resolve(self, item_id: Any, value: Any, rationale: str = "") -> None:
        """Decide ``item_id`` with ``value`` (any valid value: an annotator's or a new one)."""
        pos = self._served(self.items.position(item_id))
        self._label(pos, self._validate_value(value, pos), comment=_rationale(rationale))

    def refresh(self) -> None:
        """Read the annotators' labels again and serve disagreements that arose since."""
        self._use_policy(self._policy)
        self._push_window()

    def mark_ambiguous(self, item_id: Any = None, rationale: str = "") -> None:
        """Mark ``item_id`` (default: the current item) ambiguous: no final label."""
        self._ambiguous(self._resolve(item_id), rationale)
        self._push_window()

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


_CLASSES: dict[type, type] = {}


def Adjudicate(session: Any, *, adjudicator: str | None = None, review_all: bool = False) -> Any:  # noqa: N802
    """The adjudication widget of ``session``: the items where annotators disagree (with
    ``review_all=True`` every labeled item; unanimous items are otherwise accepted as they are).

    Keys: ``Alt+1``… take that annotator's value (or click "Use"); label as usual to give a new
    value; ``Alt+A`` marks the item ambiguous. The rationale box goes with the decision.
    ``adj.pick(item, "ana")``, ``adj.resolve(item, value)`` and ``adj.mark_ambiguous(item)``
    do the same from Python; ``session.final_labels()`` reads the decisions.
    """
    cls = _CLASSES.get(session.widget)
    if cls is None:
        name = f"Adjudicate{session.widget.__name__}"
        cls = type(name, (AdjudicationMixin, session.widget), {"__module__": __name__, "__qualname__": name})
        _CLASSES[session.widget] = cls
    production = session.frame.iloc[: session.n_production]
    w = cls(
        production,
        task=session.adjudication_task,
        annotator=adjudicator,
        store=session.store,
        guidelines=session._guidelines_markdown(),
        **session.widget_options,
    )
    w._use_policy(AdjudicationPolicy(session, review_all))
    return w


class AdjudicationPolicy:
    """Serves the items to review and shows each annotator's rating of them (read when the
    widget is built, and again on ``adj.refresh()``)."""

    def __init__(self, session: Any, review_all: bool) -> None:
        self.session = session
        self.review_all = review_all
        self._ratings: dict[str, list[Rating]] = {}

    def queue(self, w: Any) -> Queue:
        """The items to review, in DataFrame order."""
        session = self.session
        self._ratings = ratings_by_item(session.store, session.task, session.gold)
        keep = []
        for pos in range(len(w.items)):
            labels = list(_labels(self._ratings.get(w.items.key(pos), [])).values())
            if _disagree(session.kind, labels) or (self.review_all and labels):
                keep.append(pos)
        return Queue(len(w.items), np.array(keep, dtype=np.int64))

    def ratings(self, key: str) -> list[Rating]:
        """(annotator, kind, value, comment, active_ms) of each annotator of item ``key``."""
        return self._ratings.get(key, [])

    def advance(self, w: Any, pos: int) -> None:
        """Nothing opens by itself: ``adj.refresh()`` reads new disagreements."""

    def item_fields(self, w: Any, pos: int) -> dict[str, Any]:
        """Every annotator's value (as text and in the browser's encoding), comment and time."""
        rows = []
        for name, kind, value, comment, active_ms in self.ratings(w.items.key(pos)):
            rows.append(
                {
                    "annotator": name,
                    "text": w._describe_value(value, pos) if kind == "label" else "(skipped)",
                    "value": w._foreign_value_to_browser(value, pos) if kind == "label" else None,
                    "comment": comment or "",
                    "active_ms": None if pd.isna(active_ms) else int(active_ms),
                }
            )
        return {"review": rows}

    def may_open_more(self) -> bool:
        """The review list is fixed."""
        return False

    def handle(self, w: Any, msg: dict[str, Any]) -> bool:
        """``{"type": "ambiguous", "key", "comment"}`` marks an item ambiguous."""
        if msg.get("type") != "ambiguous":
            return False
        w._ambiguous(w._served(w.items.position_of_key(str(msg["key"]))), msg.get("comment"), _seqs(msg))
        return True


def _rationale(text: Any) -> str | None:
    return (_check_comment(text) or None) if text else None


def _unanimous(kind: str, values: list[Any]) -> bool:
    return all(values_agree(kind, a, b) for i, a in enumerate(values) for b in values[i + 1 :])


def _disagree(kind: str, values: list[Any]) -> bool:
    """Whether at least two annotators labeled an item and their values differ."""
    return len(values) >= 2 and not _unanimous(kind, values)


def _labels(ratings: list[Rating]) -> dict[str, Any]:
    """Annotator → value of the ratings that are labels (skips left out)."""
    return {name: value for name, kind, value, *_ in ratings if kind == "label"}


def _is_ambiguous(kind: str, value: Any) -> bool:
    return kind == "skip" and isinstance(value, dict) and bool(value.get("ambiguous"))


def ratings_by_item(store: Any, task: str, gold: Any) -> dict[str, list[Rating]]:
    """Each production item's standing rating per annotator (by name), with the annotator's
    latest flag comment and the active time of the rating; gold items (keys in ``gold``) left
    out."""
    frame = production_events(store.annotations(task), gold)
    flags = frame[frame["kind"] == "flag"].drop_duplicates(["item_id", "annotator"], keep="last")
    comments = dict(
        zip(zip(item_keys(flags), flags["annotator"], strict=True), flags["comment"], strict=True)
    )
    current = current_from_annotations(frame).sort_values(["annotator"], kind="stable")
    table: dict[str, list[Rating]] = {}
    for key, name, kind, value, active in zip(
        item_keys(current), current["annotator"], current["kind"], current["value"], current["active_ms"],
        strict=True,
    ):  # fmt: skip
        table.setdefault(key, []).append((name, kind, value, comments.get((key, name)), active))
    return table


def decisions_by_item(store: Any, task: str) -> dict[str, Decision]:
    """The standing decision per item in a session's adjudication ``task`` (the latest one when
    several adjudicators decided): (adjudicator, kind, value, rationale, decided_at)."""
    events = store.annotations(task)
    if events.empty:
        return {}
    rationale = dict(
        zip(
            zip(item_keys(events), events["annotator"], events["created_at"], strict=True),
            events["comment"],
            strict=True,
        )
    )
    current = current_from_annotations(events)
    decided: dict[str, Decision] = {}
    for key, name, kind, value, at in zip(
        item_keys(current), current["annotator"], current["kind"], current["value"], current["created_at"],
        strict=True,
    ):  # fmt: skip
        previous = decided.get(key)
        if previous is None or at >= previous[4]:
            decided[key] = (name, kind, value, rationale.get((key, name, at)) or "", at)
    return decided


def adjudication_counts(store: Any, task: str, kind: str, gold: set[str]) -> dict[str, int]:
    """How many production items of a session's ``task`` have annotators who disagree, and how
    many of those an adjudicator decided or marked ambiguous (for ``nblabel session status``)."""
    ratings = ratings_by_item(store, task, gold)
    disagree = [key for key, rated in ratings.items() if _disagree(kind, list(_labels(rated).values()))]
    decided = decisions_by_item(store, task + ADJUDICATION)
    decisions = [decided[key] for key in disagree if key in decided]
    return {
        "disagreements": len(disagree),
        "adjudicated": sum(d[1] == "label" for d in decisions),
        "ambiguous": sum(_is_ambiguous(d[1], d[2]) for d in decisions),
    }


def final_labels(session: Any) -> pd.DataFrame:
    """One row per production item of ``session``, indexed by item id:

    - ``value``: the final label (``None`` when ambiguous, unresolved or unlabeled);
    - ``status``: ``adjudicated`` (decided by an adjudicator), ``unanimous`` (every annotator
      gave the same value; at least two), ``single`` (one annotator labeled it), ``ambiguous``
      (an adjudicator said no label fits), ``unresolved`` (annotators disagree and nobody has
      adjudicated yet) or ``unlabeled``;
    - ``n_annotators`` and ``annotators`` (annotator → value) of the raw labels;
    - ``agreed_with``: the annotators whose value equals the final one;
    - ``adjudicator``, ``rationale`` and ``decided_at`` for adjudicated and ambiguous items.
    """
    ratings = ratings_by_item(session.store, session.task, session.gold)
    decided = decisions_by_item(session.store, session.adjudication_task)
    kind_of_task = session.kind
    rows = []
    for key in session.keys[: session.n_production]:
        labels = _labels(ratings.get(key, []))
        row: dict[str, Any] = {
            "value": None, "status": "unlabeled", "n_annotators": len(labels), "annotators": labels,
            "agreed_with": [], "adjudicator": None, "rationale": None, "decided_at": pd.NaT,
        }  # fmt: skip
        decision = decided.get(key)
        if decision is not None:
            name, kind, value, text, at = decision
            row.update(adjudicator=name, rationale=text, decided_at=at)
            if kind == "label":
                row.update(value=value, status="adjudicated")
            elif _is_ambiguous(kind, value):
                row.update(status="ambiguous")
            else:
                decision = None  # a plain skip by the adjudicator decides nothing
                row.update(adjudicator=None, rationale=None, decided_at=pd.NaT)
        if decision is None and labels:
            values = list(labels.values())
            if len(values) == 1:
                row.update(value=values[0], status="single")
            elif _unanimous(kind_of_task, values):
                row.update(value=values[0], status="unanimous")
            else:
                row.update(status="unresolved")
        if row["value"] is not None:
            row["agreed_with"] = [n for n, v in labels.items() if values_agree(kind_of_task, v, row["value"])]
        rows.append(row)
    index = session.frame.index[: session.n_production].rename("item_id")
    frame = pd.DataFrame(rows, index=index, columns=FINAL_COLUMNS)
    for column in ("value", "adjudicator", "rationale"):  # keep None (pandas would make it NaN)
        frame[column] = pd.Series([row[column] for row in rows], index=index, dtype=object)
    return frame
