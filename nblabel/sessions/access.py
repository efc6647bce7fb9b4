"""A session opened with an annotator's login (``session.grant``; see :mod:`nblabel.store.roles`).

Such a login may read only its own events (others' after the reveal, on items it answered) and
never the gold answers. A session built with it finds the plan its coordinator stored and checks
it against the one it computes (the gold items' keys, not their answers, which it cannot read);
its gold answers are :class:`StoreGold`: the keys of the stored plan, each answer asked of the
store once the annotator has answered that item (what feedback and the calibration gate need).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..store import roles
from ..store.errors import StoreError
from ..store.session_gold import GOLD_KEYS
from ..store.store import Store

__all__ = ["HIDDEN_GOLD", "StoreGold", "annotator_scope", "check_labeler", "gold_differs", "hidden_or"]


class _Hidden:
    """The answer of a gold item this login may not read (``nl.Session.open`` as an annotator)."""

    def __repr__(self) -> str:
        return "<hidden gold answer>"


#: Stands for a gold answer an annotator's login cannot read (the pool's items are known).
HIDDEN_GOLD = _Hidden()


def annotator_scope(store: Store, task: str, escalate: Any) -> roles.Scope | None:
    """The annotator ``store``'s login stands for (``None``: the owner, or SQLite); a login of
    another task, or adaptive overlap (which decides escalations from every annotator's answers),
    is refused with ``ValueError``."""
    scope = roles.current_scope(store)
    if scope is None:
        return None
    if scope.task != task:
        raise ValueError(
            f"this store login is annotator {scope.annotator!r} of task {scope.task!r}; it cannot open "
            f"session {task!r}"
        )
    if escalate is not None:
        raise ValueError(
            "adaptive overlap (escalate=) cannot run with an annotator's login: escalations are decided "
            "from every annotator's answers, which this login may not read"
        )
    return scope


def hidden_or(raw: Any, scope: roles.Scope | None) -> Any:
    """:data:`HIDDEN_GOLD` when ``raw`` is it (only an annotator's login may give it), else ``None``."""
    if raw is not HIDDEN_GOLD:
        return None
    if scope is None:
        raise ValueError("a hidden gold answer can only stand in for one with an annotator's login")
    return raw


def check_labeler(scope: roles.Scope | None, annotator: str) -> None:
    """``ValueError`` when an annotator's login would label as someone else."""
    if scope is not None and annotator != scope.annotator:
        raise ValueError(
            f"this store login is annotator {scope.annotator!r}: it cannot label as {annotator!r} "
            f"(every event it wrote as {annotator!r} would be refused)"
        )


def gold_differs(stored: Mapping[str, Any], gold: Mapping[str, Any]) -> bool:
    """Whether the stored plan's gold differs from ``gold`` (key → answer): the answers when the
    login may read them, else the keys."""
    if "gold" in stored:
        return False  # the caller compares the answers
    return list(stored.get(GOLD_KEYS, [])) != list(gold)


class StoreGold(Mapping[str, Any]):
    """The gold items of a session seen from an annotator's login: every key, in pool order; an
    answer is read from the store (``nbl_gold_answer``) once this annotator has answered the item
    and the session gives feedback or has a calibration gate. ``explanations`` holds the
    explanations read with them."""

    def __init__(self, store: Store, task: str, keys: list[str]) -> None:
        self.store = store
        self.task = task
        self._keys = list(keys)
        self._known = set(self._keys)
        self._answers: dict[str, Any] = {}
        self.explanations = _Explanations(self)

    def __contains__(self, key: object) -> bool:
        return key in self._known

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __getitem__(self, key: str) -> Any:
        if key not in self._known:
            raise KeyError(key)
        if key not in self._answers:
            found = roles.gold_answer(self.store, self.task, key)
            if found is None:
                raise StoreError(
                    f"the gold answer of item {key!r} of session {self.task!r} is not readable with this "
                    "login: an annotator reads it only after answering the item, and only when the "
                    "session gives feedback or has a calibration gate"
                )
            self._answers[key] = found[0]
            self.explanations.found[key] = found[1] or ""
        return self._answers[key]


class _Explanations:
    """``get(key, default)``: the explanation of a gold item read with its answer."""

    def __init__(self, gold: StoreGold) -> None:
        self.gold = gold
        self.found: dict[str, str] = {}

    def get(self, key: str, default: str = "") -> str:
        if key not in self.found:
            try:
                self.gold[key]
            except (KeyError, StoreError):
                return default
        return self.found.get(key, default) or default
