"""A task's label set: checking ``labels=`` and naming labels in messages.

Label sets run from three labels to taxonomies of 100,000 (ICD codes, product categories), so
every pass here is linear, and a message never quotes more than a few labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["MANY_LABELS", "check_labels", "preview_labels", "close_labels"]

#: Above this many labels the browser shows the hotkeyed labels as buttons plus a type-ahead
#: search, and progress carries the most used labels' counts instead of one count per label.
MANY_LABELS = 100
#: How many labels a message quotes before "… and N more".
PREVIEW = 20


def check_labels(labels: Any) -> list[Any]:
    """``labels=`` as a list: non-empty, each a string or an integer, none blank, no repeats
    (``TypeError``/``ValueError`` naming the label at fault)."""
    if isinstance(labels, (str, bytes)) or not hasattr(labels, "__iter__"):
        raise TypeError(f"labels= must be a list of labels, got {labels!r}")
    labels = list(labels)
    if not labels:
        raise ValueError("labels= must name at least one label")
    # One pass per property over the whole list (C loops); the label at fault is looked for
    # only when a property fails.
    if not set(map(type, labels)) <= {str, int}:
        for label in labels:
            if not isinstance(label, (str, int)) or isinstance(label, bool):
                raise TypeError(f"label {label!r} must be a string or an integer")
    blank = next((label for label in labels if isinstance(label, str) and not label.strip()), None)
    if blank is not None:
        raise ValueError(f"label {blank!r} is blank")
    if len(set(labels)) != len(labels):
        seen: set[Any] = set()
        for label in labels:
            if label in seen:
                raise ValueError(f"label {label!r} appears twice in labels=")
            seen.add(label)
    return labels


def preview_labels(labels: Sequence[Any], limit: int = PREVIEW) -> str:
    """``labels`` as a list literal, cut after ``limit`` labels: ``['a', 'b', … and 99,998 more]``."""
    if len(labels) <= limit:
        return repr(list(labels))
    head = ", ".join(repr(label) for label in labels[:limit])
    return f"[{head}, … and {len(labels) - limit:,} more]"


def close_labels(value: Any, labels: Sequence[Any], limit: int = 5) -> list[Any]:
    """Up to ``limit`` labels that ``value`` may have meant: equal ignoring case and outer spaces
    first, then labels starting with it, then labels containing it (one linear pass)."""
    query = str(value).strip().casefold()
    if not query:
        return []
    equal: list[Any] = []
    prefix: list[Any] = []
    inside: list[Any] = []
    for label in labels:
        text = str(label).casefold()
        if query not in text:
            continue
        if text.strip() == query:
            equal.append(label)
        elif text.startswith(query):
            prefix.append(label)
        else:
            inside.append(label)
        if len(equal) >= limit:
            break
    return (equal + prefix + inside)[:limit]
