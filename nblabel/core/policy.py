"""The queue policy a labeling widget serves: the seam between widgets and sessions.

A widget with no policy serves every row of its DataFrame. A session (or an adjudication)
hands its widget an object of this shape with ``w.use_policy(policy)``; the widget then asks
it which items to serve and calls it back after each label or skip. The protocol lives in
``core`` because both layers name it: widgets call it, sessions implement it, and neither
imports the other.

``W`` is the widget type the policy is written against: the widget calls the policy with
itself, and a session's policy asks no more of it than the small public
:class:`nblabel.sessions.policy.Labeler` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, TypeVar, runtime_checkable

import numpy as np

W_contra = TypeVar("W_contra", contravariant=True)


@runtime_checkable
class QueuePolicy(Protocol[W_contra]):
    """Which items one widget serves, and what happens around each answer."""

    def queue(self, w: W_contra) -> Sequence[int] | np.ndarray:
        """The positions (in the widget's DataFrame) to serve, in serving order; called when
        the policy is attached and again when it is re-attached (``Adjudicate.refresh``)."""
        ...

    def advance(self, w: W_contra, pos: int) -> None:
        """Called after a label or skip of the item at ``pos`` was accepted, before the widget
        moves on: score gold, open more items (``w.extend_queue``), send feedback."""
        ...

    def item_fields(self, w: W_contra, pos: int) -> dict[str, Any]:
        """Extra fields of the item at ``pos`` in the browser's window (feedback, revealed
        labels, the ratings to adjudicate); ``{}`` for none. ``shown_id`` is not sent as a field:
        the browser shows the item under that id instead of its own (a session's repeated item
        shows the original's)."""
        ...

    def may_open_more(self) -> bool:
        """Whether finishing the queue may still open more items (the browser then waits for
        the kernel instead of saying "All done")."""
        ...

    def handle(self, w: W_contra, msg: dict[str, Any]) -> bool:
        """A browser message the widget does not know; ``True`` when the policy handled it."""
        ...


@runtime_checkable
class PollingPolicy(QueuePolicy[W_contra], Protocol[W_contra]):
    """A queue policy that also looks for news while nobody answers: the widget calls
    :meth:`poll` from ``w.sync()``, which its poller runs about once a second while it is shown
    in a browser. A policy may extend the queue there (``w.extend_queue``): a widget with
    nothing left on screen then shows the first new item."""

    def poll(self, w: W_contra) -> None:
        """Look at the store: open items that became this widget's (a session's escalations)."""
        ...


@runtime_checkable
class RankingPolicy(QueuePolicy[W_contra], Protocol[W_contra]):
    """A queue policy that lets a widget's active ordering (``order="uncertainty"``, ``model=``)
    re-rank some of its items: those :meth:`movable` says (a session's production items) swap
    places among themselves; every other item (gold, repeats) keeps its place in the queue, and
    which items are served does not change. A policy that is not a ``RankingPolicy`` keeps its
    own order."""

    def movable(self, w: W_contra, positions: np.ndarray) -> np.ndarray:
        """A boolean mask over ``positions``: which of them an active ordering may move."""
        ...
