"""Adjudication: walk the items where a session's annotators disagree, decide each one, and
turn the session into final labels with their provenance.

``nl.Adjudicate(session)`` is the session's own task widget (so a new value is edited with the
same controls the annotators used) serving the items to review, with every annotator's value,
comment and time side by side. Decisions are events of the task ``<task>/adjudication``:
a label (the chosen or edited value, the rationale as its comment) or, for an item marked
ambiguous, a skip whose value is ``{"ambiguous": true}``.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd

from . import ids
from .base import _check_comment, _seqs
from .gold import values_agree
from .queue import Queue
from .session import ADJUDICATION, production_events
from .store import current_from_annotations

#: The value of the skip event that marks an item ambiguous.
AMBIGUOUS = {"ambiguous": True}
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
        values = {
            name: value for name, kind, value, *_ in policy.ratings(self.items.key(pos)) if kind == "label"
        }
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
        pos = self._resolve(item_id)
        self._record(pos, "skip", dict(AMBIGUOUS), active_ms=None, comment=_rationale(rationale))
        self._move_after(pos)
        self._push_window()


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
        self._ratings: dict[str, list[tuple[str, str, Any, str | None, Any]]] = {}

    def queue(self, w: Any) -> Queue:
        """The items to review, in DataFrame order."""
        self._ratings = _ratings_by_item(self.session)
        keep = []
        for pos in range(len(w.items)):
            ratings = self._ratings.get(w.items.key(pos), [])
            labels = [value for _n, kind, value, *_ in ratings if kind == "label"]
            disagree = len(labels) >= 2 and not _unanimous(self.session.kind, labels)
            if disagree or (self.review_all and labels):
                keep.append(pos)
        return Queue(len(w.items), np.array(keep, dtype=np.int64))

    def ratings(self, key: str) -> list[tuple[str, str, Any, str | None, Any]]:
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
        pos = w._served(w.items.position_of_key(str(msg["key"])))
        comment = msg.get("comment")
        w._record(
            pos,
            "skip",
            dict(AMBIGUOUS),
            active_ms=None,
            comment=_rationale(comment) if comment else None,
            browser_seqs=_seqs(msg),
        )
        w._move_after(pos)
        return True


def _rationale(text: Any) -> str | None:
    return (_check_comment(text) or None) if text else None


def _unanimous(kind: str, values: list[Any]) -> bool:
    return all(values_agree(kind, a, b) for i, a in enumerate(values) for b in values[i + 1 :])


def _ratings_by_item(session: Any) -> dict[str, list[tuple[str, str, Any, str | None, Any]]]:
    """Each production item's standing rating per annotator, with the annotator's latest flag
    comment and the active time of the rating."""
    frame = session.production_annotations()
    current = current_from_annotations(frame)
    flags = frame[frame["kind"] == "flag"].drop_duplicates(["item_id", "annotator"], keep="last")
    comments = {
        (ids.encode(i)[0], a): c
        for i, a, c in zip(flags["item_id"], flags["annotator"], flags["comment"], strict=True)
    }
    table: dict[str, list[tuple[str, str, Any, str | None, Any]]] = {}
    current = current.sort_values(["annotator"], kind="stable")
    for item_id, name, kind, value, active in zip(
        current["item_id"],
        current["annotator"],
        current["kind"],
        current["value"],
        current["active_ms"],
        strict=True,
    ):
        key = ids.encode(item_id)[0]
        table.setdefault(key, []).append((name, kind, value, comments.get((key, name)), active))
    return table


def adjudication_counts(store: Any, task: str, kind: str, gold: set[str]) -> dict[str, int]:
    """How many production items of a session's ``task`` have annotators who disagree, and how
    many of those an adjudicator decided or marked ambiguous (for ``nblabel session status``)."""
    current = current_from_annotations(production_events(store.annotations(task), gold))
    labels = current[current["kind"] == "label"]
    disagree = {
        ids.encode(item)[0]
        for item, values in labels.groupby("item_id", sort=False)["value"]
        if len(values) >= 2 and not _unanimous(kind, list(values))
    }
    decisions = current_from_annotations(store.annotations(task + ADJUDICATION))
    decided = ambiguous = 0
    for item, kind_, value in zip(decisions["item_id"], decisions["kind"], decisions["value"], strict=True):
        if ids.encode(item)[0] not in disagree:
            continue
        if kind_ == "label":
            decided += 1
        elif isinstance(value, dict) and value.get("ambiguous"):
            ambiguous += 1
    return {"disagreements": len(disagree), "adjudicated": decided, "ambiguous": ambiguous}


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
    ratings = _ratings_by_item(session)
    decisions = current_from_annotations(session.store.annotations(session.adjudication_task))
    decided: dict[str, tuple[str, str, Any, str, Any]] = {}
    if len(decisions):
        adj_events = session.store.annotations(session.adjudication_task)
        rationale = {
            (ids.encode(i)[0], a, t): c
            for i, a, t, c in zip(
                adj_events["item_id"],
                adj_events["annotator"],
                adj_events["created_at"],
                adj_events["comment"],
                strict=True,
            )
        }  # fmt: skip
        for item_id, name, kind, value, at in zip(
            decisions["item_id"], decisions["annotator"], decisions["kind"], decisions["value"],
            decisions["created_at"], strict=True,
        ):  # fmt: skip
            key = ids.encode(item_id)[0]
            previous = decided.get(key)
            if previous is None or at >= previous[4]:
                decided[key] = (name, kind, value, rationale.get((key, name, at)) or "", at)
    kind_of_task = session.kind
    rows = []
    for key in session.keys[: session.n_production]:
        labels = {name: value for name, kind, value, *_ in ratings.get(key, []) if kind == "label"}
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
            elif kind == "skip" and isinstance(value, dict) and value.get("ambiguous"):
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


def value_json(value: Any) -> str:
    """A value as compact JSON text (for tables and the dataset card)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
