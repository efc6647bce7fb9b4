"""A session's live plan: the seeded plan plus its log (escalations, retirements, hand-overs),
read from the store, and the decisions that append to the log.

One :class:`LivePlan` per :class:`~nblabel.sessions.session.Session` object, shared by its
labelers (a lock guards it: the widget poller calls in from its own thread). Every process keeps
its own and they agree through the store: rows are decided inside
:meth:`~nblabel.store.Store.change_session_log`, which re-reads the log with writers taking
turns, so two processes that notice the same disagreement at once escalate it once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ..store.store import Store
from .adaptive import (
    DISAGREEMENT,
    PlanState,
    ShortOfAnnotators,
    due_escalations,
    escalation_candidates,
    retirement_rows,
)
from .answers import AnswerBook


class LivePlan:
    """The plan as the store's log has changed it, kept up to date on demand."""

    def __init__(
        self,
        store: Store,
        task: str,
        *,
        planned: np.ndarray,
        keys: list[str],
        annotators: list[str],
        seed: Any,
        escalate: str | float | None,
        max_overlap: int,
        agree: Callable[[Any, Any], bool],
        confidence: Callable[[list[str]], dict[str, float]] | None = None,
    ) -> None:
        self.store = store
        self.task = task
        self.annotators = annotators
        self.escalate = escalate
        self.max_overlap = max_overlap
        self.agree = agree
        self.confidence = confidence  # item keys -> confidence (nl.aggregate), for a numeric escalate=
        self._names = {name: i for i, name in enumerate(annotators)}
        self.state = PlanState(planned, keys, len(annotators), seed)
        self.answers = AnswerBook(store, task)
        self._lock = threading.RLock()
        self._open: set[int] | None = None  # items that may still be escalated (see may_grow)
        self._read_at = -float("inf")  # time.monotonic() of the last read of the log

    # ------------------------------------------------------------------ reading
    def refresh(self) -> list[dict[str, Any]]:
        """Fold the log rows written since the last look; returns those that changed the plan."""
        with self._lock:
            rows = self.store.session_log(self.task, self.state.last_id)
            self._read_at = time.monotonic()
            return self._fold(rows)

    def due(self, max_age: float) -> bool:
        """Whether a :meth:`sweep` is due, the last read of the log being ``max_age`` seconds
        old at most otherwise: always with ``escalate=`` (an answer may call for an escalation
        at once); without it the log changes only by retirements and hand-overs, which this
        process folds in as it writes them, so only another process's (or another Session
        object's) wait up to ``max_age``."""
        return self.escalate is not None or time.monotonic() - self._read_at >= max_age

    def _fold(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return list(self.state.apply(rows, self._names))

    def sweep(self) -> list[dict[str, Any]]:
        """Read new answers, escalate the items that call for it (appending to the log), and
        fold what the log gained. Without ``escalate=`` only :meth:`refresh`."""
        with self._lock:
            if self.escalate is None:
                return self.refresh()
            touched = self.answers.update()
            changed = self.refresh()
            confidence = self._confidence(touched)
            if self._due(touched, confidence):

                def decide(new: list[dict[str, Any]]) -> list[dict[str, Any]]:
                    # in the log's write turn: what others appended meanwhile first, then decide
                    changed.extend(self._fold(new))
                    return self._due(touched, confidence)

                changed += self._fold(self.store.change_session_log(self.task, decide, self.state.last_id))
            self._recheck(touched | {row["item_id"] for row in changed})
            return changed

    def _confidence(self, touched: set[str]) -> dict[int, float] | None:
        """The confidence of the candidates among ``touched`` (outside the log's write turn: a
        model may take a while), when ``escalate=`` is a threshold and a method gives it."""
        if self.escalate == DISAGREEMENT or self.confidence is None:
            return None
        candidates = escalation_candidates(self.state, self._answers_of(touched), self.max_overlap)
        if not candidates:
            return {}
        keys = self.state.keys
        by_key = self.confidence([keys[pos] for pos in candidates])
        return {pos: by_key[keys[pos]] for pos in candidates if keys[pos] in by_key}

    def _due(self, touched: set[str], confidence: dict[int, float] | None) -> list[dict[str, Any]]:
        return due_escalations(
            self.state, self._answers_of(touched), rule=self._rule(), max_overlap=self.max_overlap,
            agree=self.agree, names=self.annotators, confidence=confidence,
        )  # fmt: skip

    def _rule(self) -> str | float:
        return DISAGREEMENT if self.escalate is None else self.escalate

    def _answers_of(self, keys: set[str]) -> dict[int, dict[int, Any]]:
        """Position -> annotator index -> answer, for the production items among ``keys``."""
        state = self.state
        out: dict[int, dict[int, Any]] = {}
        for key, given in self.answers.by_item(keys).items():
            pos = state.position(key)
            if pos is not None:
                out[pos] = {self._names[n]: a for n, a in given.items() if n in self._names}
        return out

    def _recheck(self, keys: set[str] | None) -> None:
        """Update the set of items that may still be escalated (:meth:`may_grow`): those with
        room under ``max_overlap``, someone eligible, and an annotator who has not answered
        (items whose labels call for more are escalated by the sweep itself). ``None``: all."""
        state = self.state
        if keys is None or self._open is None:
            self._open = set()
            keys = set(state.keys[: len(state.planned)])
        given = self._answers_of(keys)
        for key in keys:
            pos = state.position(key)
            if pos is None:
                continue
            holders = state.holders_of(pos)
            answered = given.get(pos, {})
            if (
                len(holders) < self.max_overlap
                and any(a not in answered for a in holders)
                and state.has_eligible(pos)
            ):
                self._open.add(pos)
            else:
                self._open.discard(pos)

    def may_grow(self, annotator: str) -> bool:
        """Whether ``annotator`` may still be sent items (an escalation), so the browser never
        says "All done" too early: some item is not settled yet, and they have not retired."""
        if self.escalate is None:
            return False
        with self._lock:
            if self._open is None:
                self.sweep()  # (an update of the answers without a sweep would skip their decisions)
            return bool(self._open) and self._names[annotator] not in self.state.retired

    # ------------------------------------------------------------------ what an annotator labels
    def extras(self, annotator: str) -> list[int]:
        """Positions ``annotator`` received (escalated or handed over) and still labels, in log order."""
        with self._lock:
            return self.state.held(self._names[annotator])

    def handed_away(self, annotator: str) -> set[int]:
        """Positions of ``annotator``'s planned items now labeled by someone else."""
        with self._lock:
            return set(self.state.handed_away.get(self._names[annotator], set()))

    def retired(self, annotator: str) -> dict[str, Any] | None:
        """The log row that retired ``annotator`` (``None``: active)."""
        with self._lock:
            return self.state.retired.get(self._names[annotator])

    def changed_slots(self) -> dict[int, list[tuple[int, bool]]]:
        """Position -> ``(annotator, base)`` slots of the items the log changed (a snapshot; see
        :attr:`PlanState.holders`)."""
        with self._lock:
            return {pos: [(a, base) for a, base in slots] for pos, slots in self.state.holders.items()}

    # ------------------------------------------------------------------ retiring
    def retire(self, annotator: str, note: str = "") -> list[dict[str, Any]]:
        """Retire ``annotator`` and hand their unanswered items to the others (see
        :func:`~nblabel.sessions.adaptive.retirement_rows`); returns the rows written (none
        when they had retired already). ``ValueError`` when the items cannot all be handed over."""
        leaving = self._names[annotator]
        with self._lock:
            self.answers.update()
            answered_keys = self.answers.answered(annotator)

            def decide(new: list[dict[str, Any]]) -> list[dict[str, Any]]:
                self._fold(new)  # in the log's write turn: what others appended meanwhile
                state = self.state
                answered = {p for p in (state.position(k) for k in answered_keys) if p is not None}
                return retirement_rows(state, leaving, answered, self.annotators, note)

            try:
                written = self.store.change_session_log(self.task, decide, self.state.last_id)
            except ShortOfAnnotators as exc:
                raise ValueError(str(exc)) from None
            self._fold(written)
            self._open = None  # hand-overs changed many items: look at all of them again
            return written
