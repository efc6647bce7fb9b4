"""Adaptive overlap: who labels what once a session's plan starts changing.

The seeded plan (:mod:`nblabel.sessions.assignment`) gives each production item ``overlap``
annotators. Two things change it afterwards, and both are rows of the session's log in the
store (``nbl_session_log``), appended by whichever process notices first, writers taking turns:

- **escalate**: an item whose annotators have all answered and whose labels disagree (or whose
  confidence is under a threshold) goes to one more annotator — the next one, in a seeded order
  of its own per item, who does not label it yet and has not retired — up to ``max_overlap``;
- **retire** and **handover**: an annotator who leaves hands each item they have not answered
  to the active annotator with the fewest items among those who do not label it yet (ties in the
  item's seeded order), so overlap stays exact and loads stay as even as the items allow.

Everything here is pure: :class:`PlanState` folds the log over the seeded plan, and the
functions decide the next rows from a state and the labels. Every process folds the same rows
in the same order, so all agree on who labels what.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .assignment import stable_seed

#: The kinds of rows in a session's log.
ESCALATE, RETIRE, HANDOVER = "escalate", "retire", "handover"
#: ``escalate=`` value that escalates an item whose labels are not unanimous.
DISAGREEMENT = "disagreement"

#: (kind, value) of an annotator's standing answer to an item ("label" or "skip").
Answer = tuple[str, Any]


@dataclass
class PlanState:
    """The plan as the log has changed it.

    ``planned`` is the seeded plan indexed by frame position: ``planned[p]`` holds the
    ``overlap`` annotator indices of production item ``p``. Only items the log touched keep a
    list of their own (``holders``), so a large session costs nothing until items change.
    """

    planned: np.ndarray
    keys: list[str]
    n_annotators: int
    seed: Any
    #: position -> [[annotator, base], ...]: the slots of items the log changed (``base``: one
    #: of the ``overlap`` planned slots, possibly handed over; else an escalation)
    holders: dict[int, list[list[Any]]] = field(default_factory=dict)
    #: annotator -> positions received (escalated or handed over) that they still label, in log order
    received: dict[int, dict[int, None]] = field(default_factory=dict)
    #: annotator -> positions of their planned items handed to someone else
    handed_away: dict[int, set[int]] = field(default_factory=dict)
    #: annotator -> the log row that retired them
    retired: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: position -> how many escalations the item ever had (the next one's slot number)
    escalations: dict[int, int] = field(default_factory=dict)
    last_id: int = 0
    #: stored key -> position of the production items (pass one to share it between states)
    positions: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.positions:
            self.positions = {key: pos for pos, key in enumerate(self.keys[: len(self.planned)])}

    # ------------------------------------------------------------------ reading
    def position(self, key: str) -> int | None:
        """The frame position of production item ``key`` (``None``: not a production item)."""
        return self.positions.get(key)

    def slots(self, pos: int) -> list[list[Any]]:
        """``[[annotator, base], ...]`` of item ``pos`` now (a copy)."""
        own = self.holders.get(pos)
        if own is not None:
            return [list(slot) for slot in own]
        return [[int(a), True] for a in self.planned[pos]]

    def holders_of(self, pos: int) -> list[int]:
        """The annotators who label item ``pos`` now, in slot order."""
        own = self.holders.get(pos)
        return [int(a) for a in self.planned[pos]] if own is None else [slot[0] for slot in own]

    def candidates(self, pos: int) -> list[int]:
        """The item's seeded order of every annotator (the same in every process); escalation
        and hand-over take the first eligible ones."""
        rng = np.random.default_rng(stable_seed("escalate", self.seed, self.keys[pos]))
        return [int(a) for a in rng.permutation(self.n_annotators)]

    def eligible(self, pos: int, leaving: int | None = None) -> list[int]:
        """Annotators who may take item ``pos`` (in its seeded order): active, and not labeling it."""
        held = set(self.holders_of(pos))
        return [a for a in self.candidates(pos) if a not in held and a not in self.retired and a != leaving]

    def has_eligible(self, pos: int) -> bool:
        """Whether some active annotator does not label item ``pos`` yet (no permutation drawn)."""
        held = set(self.holders_of(pos))
        return any(a not in held and a not in self.retired for a in range(self.n_annotators))

    def loads(self) -> np.ndarray:
        """Production items each annotator labels now (planned, less handed over, plus received)."""
        loads = np.bincount(self.planned.ravel(), minlength=self.n_annotators).astype(np.int64)
        for pos, slots in self.holders.items():
            for a in self.planned[pos]:
                loads[a] -= 1
            for a, _base in slots:
                loads[a] += 1
        return loads

    def held(self, annotator: int) -> list[int]:
        """The extra positions ``annotator`` still labels, in the order they were received."""
        return list(self.received.get(annotator, ()))

    # ------------------------------------------------------------------ folding the log
    def apply(self, rows: Iterable[Mapping[str, Any]], names: Mapping[str, int]) -> list[Mapping[str, Any]]:
        """Fold log rows (in id order) into the state; returns those that changed it. Rows about
        an item or annotator this plan does not know are ignored (another plan's rows)."""
        changed = []
        for row in rows:
            if row["id"] <= self.last_id:
                continue
            self.last_id = row["id"]
            if self._apply(row, names):
                changed.append(row)
        return changed

    def _apply(self, row: Mapping[str, Any], names: Mapping[str, int]) -> bool:
        kind, name = row["kind"], row["annotator"]
        if kind == RETIRE:
            if name not in names or names[name] in self.retired:
                return False
            self.retired[names[name]] = dict(row)
            return True
        pos = self.position(row["item_id"])
        if pos is None:
            return False
        to = names.get(name) if name else None
        slots = self.slots(pos)
        if kind == ESCALATE:
            self.escalations[pos] = self.escalations.get(pos, 0) + 1
            if to is None or any(a == to for a, _ in slots):
                return False
            slots.append([to, False])
        elif kind == HANDOVER:
            source = names.get(str(row["detail"].get("from")))
            index = next((i for i, (a, _) in enumerate(slots) if a == source), None)
            if source is None or index is None or (to is not None and any(a == to for a, _ in slots)):
                return False
            if slots[index][1] and source in set(int(a) for a in self.planned[pos]):
                self.handed_away.setdefault(source, set()).add(pos)
            self.received.get(source, {}).pop(pos, None)
            if to is None:
                slots.pop(index)
            else:
                slots[index][0] = to
        else:
            return False
        self.holders[pos] = slots
        if to is not None:
            self.received.setdefault(to, {})[pos] = None
        return True


# ---------------------------------------------------------------------- deciding
def should_escalate(
    labels: list[Any], rule: str | float, agree: Callable[[Any, Any], bool]
) -> tuple[bool, float]:
    """Whether labels (two or more) call for one more annotator, and their confidence: the share
    of the largest group of agreeing labels. ``rule`` is :data:`DISAGREEMENT` (escalate unless
    unanimous) or a threshold (escalate under it)."""
    groups: list[list[Any]] = []
    for value in labels:
        group = next((g for g in groups if agree(g[0], value)), None)
        if group is None:
            groups.append([value])
        else:
            group.append(value)
    confidence = max(len(g) for g in groups) / len(labels)
    if rule == DISAGREEMENT:
        return len(groups) > 1, confidence
    return confidence < float(rule) - 1e-12, confidence


def escalation_candidates(
    state: PlanState, answers: Mapping[int, Mapping[int, Answer]], max_overlap: int
) -> dict[int, list[Any]]:
    """Position -> labels (in slot order) of the items of ``answers`` (position -> annotator ->
    answer) that escalation may take: every annotator answered, at least two labels, fewer than
    ``max_overlap`` annotators and an eligible one left."""
    out = {}
    for pos, given in answers.items():
        holders = state.holders_of(pos)
        if len(holders) >= max_overlap or any(a not in given for a in holders):
            continue
        labels = [given[a][1] for a in holders if given[a][0] == "label"]
        if len(labels) >= 2 and state.has_eligible(pos):
            out[pos] = labels
    return out


def due_escalations(
    state: PlanState,
    answers: Mapping[int, Mapping[int, Answer]],
    *,
    rule: str | float,
    max_overlap: int,
    agree: Callable[[Any, Any], bool],
    names: list[str],
    confidence: Mapping[int, float] | None = None,
) -> list[dict[str, Any]]:
    """Log rows escalating every candidate of ``answers`` (:func:`escalation_candidates`) whose
    labels call for it (:func:`should_escalate`) to its first eligible annotator. ``confidence``
    (position -> a number, e.g. ``nl.aggregate``'s) replaces the share of agreeing labels for a
    numeric ``rule`` where it has the item."""
    rows = []
    for pos, labels in escalation_candidates(state, answers, max_overlap).items():
        escalate, share = should_escalate(labels, rule, agree)
        if rule != DISAGREEMENT and confidence is not None and pos in confidence:
            share = float(confidence[pos])
            escalate = share < float(rule) - 1e-12
        if not escalate:
            continue
        key = state.keys[pos]
        rows.append(
            {
                "kind": ESCALATE,
                "item_id": key,
                "annotator": names[state.eligible(pos)[0]],
                "detail": {
                    "level": len(state.holders_of(pos)) + 1,
                    "labels": len(labels),
                    "confidence": round(share, 6),
                },
                "key": f"{ESCALATE}\x1f{key}\x1f{state.escalations.get(pos, 0) + 1}",
            }
        )
    return rows


class ShortOfAnnotators(ValueError):
    """Retiring an annotator would leave planned items without an annotator to take them."""


def retirement_rows(
    state: PlanState, leaving: int, answered: set[int], names: list[str], note: str = ""
) -> list[dict[str, Any]]:
    """The rows that retire annotator ``leaving``: the retirement, then a hand-over of each item
    they label and have not answered (positions in ``answered`` stay theirs). Each goes to the
    eligible annotator with the fewest items (ties: the item's seeded order), so loads stay even;
    an escalation nobody can take is dropped (``annotator`` ""). :class:`ShortOfAnnotators` when
    a planned item would be left short of ``overlap``."""
    if leaving in state.retired:
        return []
    name = names[leaving]
    rows: list[dict[str, Any]] = [
        {
            "kind": RETIRE,
            "item_id": "",
            "annotator": name,
            "detail": {"note": note},
            "key": f"{RETIRE}\x1f{name}",
        }
    ]
    loads = state.loads()
    short: list[str] = []
    mine = [p for p in range(len(state.planned)) if leaving in state.holders_of(p)]
    extra = set(state.held(leaving))
    for pos in [p for p in mine if p not in extra] + state.held(leaving):
        if pos in answered:
            continue
        base = next(b for a, b in state.slots(pos) if a == leaving)
        eligible = state.eligible(pos, leaving)
        if not eligible and base:
            short.append(state.keys[pos])
            continue
        to = min(eligible, key=lambda a: (loads[a], eligible.index(a))) if eligible else None
        if to is not None:
            loads[to] += 1
        key = state.keys[pos]
        rows.append(
            {
                "kind": HANDOVER,
                "item_id": key,
                "annotator": "" if to is None else names[to],
                "detail": {"from": name, "base": bool(base)},
                "key": f"{HANDOVER}\x1f{key}\x1f{name}",
            }
        )
    if short:
        raise ShortOfAnnotators(
            f"retiring {name!r} would leave {len(short)} item(s) short of their planned annotators "
            f"(e.g. item {short[0]!r}): every active annotator already labels them"
        )
    return rows


def log_summary(rows: Iterable[Mapping[str, Any]], annotators: list[str]) -> dict[str, Any]:
    """What a session's log says, without the plan (for ``nblabel session status``): per
    annotator the items received by escalation and by hand-over and the items handed away;
    the retired annotators (name -> when); how many items were escalated."""
    received = {a: 0 for a in annotators}
    escalated_to = {a: 0 for a in annotators}
    away = {a: 0 for a in annotators}
    retired: dict[str, int] = {}
    items: set[str] = set()
    for row in rows:
        name = row["annotator"]
        if row["kind"] == RETIRE:
            retired.setdefault(name, row["created_us"])
        elif row["kind"] == ESCALATE and name in escalated_to:
            escalated_to[name] += 1
            items.add(row["item_id"])
        elif row["kind"] == HANDOVER:
            if name in received:
                received[name] += 1
            source = str(row["detail"].get("from"))
            if source in away:
                away[source] += 1
    return {"escalated_to": escalated_to, "received": received, "handed_away": away, "retired": retired,
            "escalated_items": len(items)}  # fmt: skip
