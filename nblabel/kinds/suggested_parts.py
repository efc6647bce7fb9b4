"""What an annotator kept of a suggestion made of parts (spans, boxes): read from the record a
widget stores with each label event (``{spans|boxes, accepted, changed|adjusted,
removed|rejected}``, indices into the suggested list), or worked out the same way when the event
recorded the suggested list itself (an import from another tool's predictions).

A suggested part is *accepted* when the value holds it exactly, *changed* when a part of the
value overlaps it (moved, resized or relabeled), else *removed*; parts of the value that
neither are nor overlap a suggested part are *added*."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..agreement.boxes import IOU
from ..agreement.matching import box_iou
from ..core.registry import SuggestionOutcome

__all__ = ["box_parts_outcome", "box_record", "parts_outcome", "span_parts_outcome", "span_record"]


def split_parts(
    value_parts: Sequence[Mapping[str, Any]],
    suggested: Sequence[Mapping[str, Any]],
    *,
    identity: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    overlaps: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
) -> tuple[list[int], list[int], list[int]]:
    """Positions in ``suggested`` of the parts the value kept exactly, kept changed (a part of
    the value overlaps it) and removed."""
    final = {identity(part) for part in value_parts}
    kept: tuple[list[int], list[int], list[int]] = ([], [], [])
    for i, part in enumerate(suggested):
        if identity(part) in final:
            kept[0].append(i)
        elif any(overlaps(part, other) for other in value_parts):
            kept[1].append(i)
        else:
            kept[2].append(i)
    return kept


def _span_identity(s: Mapping[str, Any]) -> tuple[Any, ...]:
    return (s["start"], s["end"], s["label"])


def _spans_overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def _box_identity(b: Mapping[str, Any]) -> tuple[Any, ...]:
    return (b["x"], b["y"], b["w"], b["h"], b["label"])


def _boxes_overlap(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return box_iou(a, b) > 0


def span_record(spans: Sequence[Mapping[str, Any]] | None, suggested: list[dict[str, Any]]) -> dict[str, Any]:
    """The record a Spans label stores about suggested spans: the list, and by position which
    the annotator ``accepted`` (kept exactly), ``changed`` (an overlapping span stands) or
    ``removed``."""
    accepted, changed, removed = split_parts(
        list(spans or []), suggested, identity=_span_identity, overlaps=_spans_overlap
    )
    return {"spans": suggested, "accepted": accepted, "changed": changed, "removed": removed}


def box_record(boxes: Sequence[Mapping[str, Any]] | None, suggested: list[dict[str, Any]]) -> dict[str, Any]:
    """The record a Boxes label stores about suggested boxes: the list, and by position which
    were ``accepted`` (kept exactly), ``adjusted`` (a kept box overlaps it: moved, resized or
    relabeled) or ``rejected``."""
    accepted, adjusted, rejected = split_parts(
        list(boxes or []), suggested, identity=_box_identity, overlaps=_boxes_overlap
    )
    return {"boxes": suggested, "accepted": accepted, "adjusted": adjusted, "rejected": rejected}


def parts_outcome(
    value_parts: Sequence[Mapping[str, Any]] | None,
    suggestion: Any,
    *,
    key: str,
    identity: Callable[[Mapping[str, Any]], tuple[Any, ...]],
    overlaps: Callable[[Mapping[str, Any], Mapping[str, Any]], bool],
    names: tuple[str, str, str],
    reference: Sequence[Mapping[str, Any]] | None = None,
    matches: Callable[[Mapping[str, Any], Mapping[str, Any]], bool] | None = None,
) -> SuggestionOutcome | None:
    """The outcome of a suggestion of parts: ``suggestion`` is the widget's record (the
    suggested parts under ``key``, and the index lists named ``names``: accepted, changed,
    removed) or the suggested list itself; ``value_parts`` the parts of the stored value.
    ``identity`` says when two parts are the same, ``overlaps`` when one was made from the
    other. With a ``reference`` (the right parts), a suggested part no reference part
    ``matches`` is wrong (``wrong``), and ``wrong_accepted`` when the value kept it exactly."""
    if suggestion is None:
        return None
    value_parts = list(value_parts or [])
    if isinstance(suggestion, Mapping):
        suggested = list(suggestion.get(key) or [])
        accepted, changed, removed = (len(suggestion.get(name) or []) for name in names)
    else:
        suggested = list(suggestion)
        accepted, changed, removed = map(
            len, split_parts(value_parts, suggested, identity=identity, overlaps=overlaps)
        )
    offered = {identity(part) for part in suggested}
    added = sum(
        identity(part) not in offered and not any(overlaps(part, other) for other in suggested)
        for part in value_parts
    )
    wrong = wrong_accepted = 0
    if reference is not None:
        right = list(reference)
        same = matches or (lambda a, b: identity(a) == identity(b))
        kept = {identity(part) for part in value_parts}
        for part in suggested:
            if not any(same(part, r) for r in right):
                wrong += 1
                wrong_accepted += identity(part) in kept
    return SuggestionOutcome(
        suggested, parts=len(suggested), accepted=accepted, changed=changed, removed=removed, added=added,
        wrong=wrong, wrong_accepted=wrong_accepted,
    )  # fmt: skip


def span_parts_outcome(value: Any, suggestion: Any, reference: Any = None) -> SuggestionOutcome | None:
    """What a spans value (a list, or ``{spans, relations}``) kept of suggested spans; a
    suggested span is wrong unless the reference has it exactly (bounds and label)."""
    spans = value.get("spans") if isinstance(value, Mapping) else value
    right = reference.get("spans") if isinstance(reference, Mapping) else reference
    return parts_outcome(
        spans, suggestion, key="spans", names=("accepted", "changed", "removed"), reference=right,
        identity=_span_identity, overlaps=_spans_overlap,
    )  # fmt: skip


def box_parts_outcome(value: Any, suggestion: Any, reference: Any = None) -> SuggestionOutcome | None:
    """What a boxes value kept of suggested boxes (``adjusted`` and ``rejected`` in the widget's
    record are counted as changed and removed); a suggested box is wrong unless a reference box
    of its label overlaps it with IoU at least 0.5 (as box agreement matches)."""
    return parts_outcome(
        value, suggestion, key="boxes", names=("accepted", "adjusted", "rejected"), reference=reference,
        matches=lambda a, b: a["label"] == b["label"] and box_iou(a, b) >= IOU,
        identity=_box_identity, overlaps=_boxes_overlap,
    )  # fmt: skip
