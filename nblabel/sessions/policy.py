"""What a session needs from a labeling widget: the :class:`Labeler` protocol.

Sessions never import widget code. They build the widget from the class they were given
(``nl.Session(..., widget=nl.Classify)``), attach a queue policy to it
(:class:`nblabel.core.policy.QueuePolicy`) and from then on call only the members named
here — the public, policy-facing methods of ``LabelWidget``. Every labeling widget satisfies
it; a new kind of widget does by subclassing ``LabelWidget``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..core.guidelines import Guidelines
from ..core.policy import QueuePolicy


@runtime_checkable
class Labeler(Protocol):
    """A labeling widget as a session sees it."""

    #: The guidelines the widget shows (``None``: none); events record their version.
    guidelines: Guidelines | None

    @property
    def label_set(self) -> list[Any]:
        """The task's labels as the widget checked them, in order."""
        ...

    def item_key(self, pos: int) -> str:
        """The stored key of the item at position ``pos``."""
        ...

    def standing(self, key: str) -> tuple[str, Any] | None:
        """The annotator's committed ``(kind, value)`` of item ``key``, or ``None``."""
        ...

    def describe(self, value: Any, pos: int) -> str:
        """A stored value as one line of text."""
        ...

    def browser_value(self, value: Any, pos: int) -> Any:
        """Another annotator's stored value in this widget's browser encoding."""
        ...

    def validate_gold(self, value: Any, pos: int) -> Any:
        """A gold answer in stored form (``ValueError``/``TypeError`` if invalid)."""
        ...

    def show_session(self, state: dict[str, Any]) -> None:
        """Show the session's state (phase, message, score, notice)."""
        ...

    def use_guidelines(self, guidelines: Guidelines) -> None:
        """Switch to new guidelines."""
        ...

    def extend_queue(self, positions: Sequence[int] | np.ndarray) -> None:
        """Serve more positions after the queued ones."""
        ...

    def use_policy(self, policy: QueuePolicy[Labeler]) -> None:
        """Serve the items ``policy`` chooses and call it back around each answer."""
        ...

    def send(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        """Send a message to the browser (gold ``feedback``)."""
        ...

    def close(self) -> None:
        """Close the widget."""
        ...
