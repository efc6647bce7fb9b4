"""Checking spans against an item's text and labels: shared by the spans kind and its relations
variant (:mod:`.relations`), which must know where each given span ended up."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.registry import ItemContext

__all__ = ["check_span", "checked_spans"]


def checked_spans(value: Any, item: ItemContext) -> tuple[list[dict[str, Any]], list[int]]:
    """A list of ``{start, end, label}`` (dicts, or ``(start, end, label)`` triples) checked on
    ``item.text`` and returned sorted by position, duplicates dropped; with, for each span as
    given, its position in that list. Overlapping spans need ``overlap=True`` in the config."""
    where, text = item.where, item.text or ""
    if value is None:
        return [], []
    if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
        raise ValueError(f"{where}: spans must be a list of {{start, end, label}}, got {value!r}")
    spans = [check_span(span, text, item) for span in value]
    unique = {(s["start"], s["end"], s["label"]): s for s in spans}
    ordered = sorted(unique.values(), key=lambda s: (s["start"], s["end"], item.label_index[s["label"]]))
    if not item.config.get("overlap"):
        for a, b in zip(ordered, ordered[1:], strict=False):
            if b["start"] < a["end"]:
                raise ValueError(f"{where}: spans {a} and {b} overlap (pass overlap=True to allow it)")
    position = {(s["start"], s["end"], s["label"]): i for i, s in enumerate(ordered)}
    return ordered, [position[(s["start"], s["end"], s["label"])] for s in spans]


def check_span(span: Any, text: str, item: ItemContext) -> dict[str, Any]:
    """One span of a value, checked against the text and the labels."""
    where = item.where
    if isinstance(span, Mapping):
        try:
            start, end, label = span["start"], span["end"], span["label"]
        except KeyError as exc:
            raise ValueError(f"{where}: span {span!r} has no {exc.args[0]!r}") from None
    elif isinstance(span, (tuple, list)) and len(span) == 3:
        start, end, label = span
    else:
        raise ValueError(f"{where}: span {span!r} is not a {{start, end, label}} dict")
    if isinstance(start, bool) or isinstance(end, bool):
        raise ValueError(f"{where}: span {span!r} has a non-integer offset")
    try:
        start_i, end_i = int(start), int(end)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: span {span!r} has a non-integer offset") from None
    if start_i != start or end_i != end:
        raise ValueError(f"{where}: span {span!r} has a non-integer offset")
    if not 0 <= start_i < end_i <= len(text):
        raise ValueError(f"{where}: span {span!r} is empty or outside the text (0..{len(text)} code points)")
    if label not in item.label_index:
        raise ValueError(f"{where}: span {span!r} has label {label!r}, not one of {list(item.labels)}")
    return {"start": start_i, "end": end_i, "label": item.labels[item.label_index[label]]}
