"""What a session's adjudication decided, read from the store: each item's ratings, the
standing decisions, the counts for ``nblabel session status`` and :func:`final_labels` (with an
aggregation method, the rule of :mod:`nblabel.sessions.resolution` decides some disagreements).

Decisions are events of the task ``<task>/adjudication`` (:data:`ADJUDICATION`): a label (the
chosen or edited value, the rationale as its comment) or, for an item marked ambiguous, a skip
whose value is :data:`AMBIGUOUS`. The widget that writes them is ``nl.Adjudicate``
(:mod:`nblabel.adjudication`); this module only reads.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..agreement.gold import values_agree
from ..core.frames import current_from_annotations
from ..core.models import people_only
from .events import item_keys, production_events
from .resolution import AGGREGATED, Resolution

#: Suffix of the task that holds a session's adjudications.
ADJUDICATION = "/adjudication"
#: The value of the skip event that marks an item ambiguous.
AMBIGUOUS = {"ambiguous": True}
#: (annotator, kind, value, flag comment, active_ms) of one annotator's rating of an item.
Rating = tuple[str, str, Any, str | None, Any]
#: (adjudicator, kind, value, rationale, decided_at) of the decision on an item.
Decision = tuple[str, str, Any, str, Any]
#: Columns of :func:`final_labels`.
FINAL_COLUMNS = [
    "value", "status", "n_annotators", "annotators", "agreed_with", "adjudicator", "rationale", "decided_at",
    "rule", "reason", "confidence",
]  # fmt: skip
#: ``status`` values of :func:`final_labels`.
STATUSES = ("adjudicated", "unanimous", "single", AGGREGATED, "ambiguous", "unresolved", "unlabeled")


def unanimous(kind: str, values: list[Any]) -> bool:
    """Whether every pair of ``values`` agrees (:func:`nblabel.agreement.gold.values_agree`)."""
    return all(values_agree(kind, a, b) for i, a in enumerate(values) for b in values[i + 1 :])


def disagree(kind: str, values: list[Any]) -> bool:
    """Whether at least two annotators labeled an item and their values differ."""
    return len(values) >= 2 and not unanimous(kind, values)


def labels_by_annotator(ratings: list[Rating]) -> dict[str, Any]:
    """Annotator → value of the ratings that are labels (skips left out)."""
    return {name: value for name, kind, value, *_ in ratings if kind == "label"}


def is_ambiguous(kind: str, value: Any) -> bool:
    """Whether a decision ``(kind, value)`` marks its item ambiguous."""
    return kind == "skip" and isinstance(value, dict) and bool(value.get("ambiguous"))


def ratings_by_item(store: Any, task: str, gold: Any) -> dict[str, list[Rating]]:
    """Each production item's standing rating per annotator (by name), with the annotator's
    latest flag comment and the active time of the rating (gold items, keys in ``gold``, left
    out; model annotators never vote)."""
    frame = production_events(people_only(store.annotations(task)), gold)
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
    contested = [
        key for key, rated in ratings.items() if disagree(kind, list(labels_by_annotator(rated).values()))
    ]
    decided = decisions_by_item(store, task + ADJUDICATION)
    decisions = [decided[key] for key in contested if key in decided]
    return {
        "disagreements": len(contested),
        "adjudicated": sum(d[1] == "label" for d in decisions),
        "ambiguous": sum(is_ambiguous(d[1], d[2]) for d in decisions),
    }


def final_labels(
    session: Any,
    method: str | None = None,
    min_confidence: float | None = None,
    *,
    resolution: Resolution | None = None,
) -> pd.DataFrame:
    """One row per production item of ``session``, indexed by item id:

    - ``value``: the final label (``None`` when ambiguous, unresolved or unlabeled);
    - ``status``: ``adjudicated`` (decided by an adjudicator), ``unanimous`` (every annotator
      gave the same value; at least two), ``single`` (one annotator labeled it), ``aggregated``
      (annotators disagree and ``method`` decided, see :mod:`nblabel.sessions.resolution`),
      ``ambiguous`` (an adjudicator said no label fits), ``unresolved`` (annotators disagree and
      nobody has adjudicated yet) or ``unlabeled``;
    - ``n_annotators`` and ``annotators`` (annotator → value) of the raw labels;
    - ``agreed_with``: the annotators whose value equals the final one;
    - ``adjudicator``, ``rationale`` and ``decided_at`` for adjudicated and ambiguous items;
    - ``rule``: what decided the value: ``adjudicator``, ``unanimous``, ``single`` or the
      method's name (``None`` while unresolved, and for unlabeled items);
    - ``reason``: why an unresolved item waits for an adjudicator: ``disagreement`` (no method),
      ``tie``, ``model_vs_majority`` or ``low_confidence``;
    - ``confidence``: the method's confidence in its own label for the item (NaN without one).

    Without ``method`` every disagreement waits for an adjudicator. With one (a method of
    ``nl.aggregate``), a disagreement is decided by it unless the vote is tied, a model-based
    method disagrees with the majority, or its confidence is under ``min_confidence`` (default
    0.5). An adjudicator's decision always wins. (``resolution``: the method's result when the
    caller has it already.)
    """
    ratings = ratings_by_item(session.store, session.task, session.gold)
    decided = decisions_by_item(session.store, session.adjudication_task)
    if resolution is None:
        resolution = Resolution(session, method, min_confidence)
    kind_of_task = session.kind
    index = session.frame.index[: session.n_production].rename("item_id")
    rows = []
    for item_id, key in zip(index, session.keys[: session.n_production], strict=True):
        labels = labels_by_annotator(ratings.get(key, []))
        row: dict[str, Any] = {
            "value": None, "status": "unlabeled", "n_annotators": len(labels), "annotators": labels,
            "agreed_with": [], "adjudicator": None, "rationale": None, "decided_at": pd.NaT,
            "rule": None, "reason": None, "confidence": resolution.confidence(item_id),
        }  # fmt: skip
        decision = decided.get(key)
        if decision is not None:
            name, kind, value, text, at = decision
            row.update(adjudicator=name, rationale=text, decided_at=at)
            if kind == "label":
                row.update(value=value, status="adjudicated", rule="adjudicator")
            elif is_ambiguous(kind, value):
                row.update(status="ambiguous", rule="adjudicator")
            else:
                decision = None  # a plain skip by the adjudicator decides nothing
                row.update(adjudicator=None, rationale=None, decided_at=pd.NaT)
        if decision is None and labels:
            row.update(_undecided(kind_of_task, item_id, labels, resolution))
        if row["value"] is not None:
            row["agreed_with"] = [n for n, v in labels.items() if values_agree(kind_of_task, v, row["value"])]
        rows.append(row)
    frame = pd.DataFrame(rows, index=index, columns=FINAL_COLUMNS)
    for column in ("value", "adjudicator", "rationale", "rule", "reason"):  # keep None (not NaN)
        frame[column] = pd.Series([row[column] for row in rows], index=index, dtype=object)
    frame["confidence"] = frame["confidence"].astype(float)
    return frame


def _undecided(kind: str, item_id: Any, labels: dict[str, Any], resolution: Resolution) -> dict[str, Any]:
    """Value, status, rule and reason of an item no adjudicator decided."""
    values = list(labels.values())
    if len(values) == 1:
        return {"value": values[0], "status": "single", "rule": "single"}
    if unanimous(kind, values):
        return {"value": values[0], "status": "unanimous", "rule": "unanimous"}
    verdict = resolution.verdict(item_id, labels)
    if verdict.resolved:
        return {"value": verdict.value, "status": AGGREGATED, "rule": verdict.rule}
    return {"status": "unresolved", "reason": verdict.reason}
