"""The labeling widget classes by name, so that a session stored with ``widget="Classify"`` is
reopened (``nl.Session.open``) by code that must not import widgets: ``nblabel`` registers its
widgets when it is imported; a subclass of your own is registered with :func:`register`."""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["register", "get", "known"]

_classes: dict[str, type] = {}
_lock = threading.Lock()


def register(*classes: type) -> None:
    """Make each labeling widget class known by its ``__name__`` (the last registered wins)."""
    with _lock:
        for cls in classes:
            if not isinstance(cls, type) or not getattr(cls, "kind", ""):
                raise TypeError(f"only labeling widget classes can be registered, got {cls!r}")
            _classes[cls.__name__] = cls


def get(name: str) -> Any:
    """The widget class registered as ``name``; ``KeyError`` naming the known ones."""
    with _lock:
        cls = _classes.get(name)
        known_names = sorted(_classes)
    if cls is None:
        raise KeyError(
            f"no labeling widget class {name!r} is known in this process (known: {', '.join(known_names)}); "
            "import the module that defines it and call nblabel.core.widget_classes.register(cls), "
            "or pass widget= to nl.Session.open"
        )
    return cls


def known() -> list[str]:
    """The names of the registered widget classes."""
    with _lock:
        return sorted(_classes)
