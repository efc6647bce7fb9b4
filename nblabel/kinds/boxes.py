"""The boxes task kind: a list of ``{x, y, w, h, label}`` per image, in image pixels.

Agreement matches boxes one to one at IoU ≥ 0.5 (maximising matches, then IoU) and reports F1
and mean IoU; gold answers get partial credit (F1 at IoU ≥ 0.5). Exports: COCO (a file), YOLO
and Pascal VOC (folders).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from ..agreement.boxes import (
    IOU,
    box_coefficients,
    box_confusion,
    box_disagreements,
    box_per_annotator,
    box_per_label,
    describe_boxes,
    prepare_boxes,
)
from ..agreement.matching import box_agreement
from ..agreement.report import AgreementReport, build_report, one_task
from ..agreement.views import DocumentView
from ..core.registry import AggregationScheme, ItemContext, SuggestionOutcome
from ..exchange.label_studio_codecs import RectanglesCodec
from ..exports.boxes import BOX_FORMATS, export_boxes
from .base import KindBase
from .spans import documents_score
from .suggested_parts import box_parts_outcome

__all__ = ["BoxesKind", "BOXES", "MIN_SIDE"]

#: Boxes narrower or lower than this (image pixels) are rejected.
MIN_SIDE = 2.0


class BoxesKind(KindBase):
    """Bounding boxes on images."""

    name: ClassVar[str] = "boxes"
    description: ClassVar[str] = "a list of labeled boxes on the item's image"
    export_formats: ClassVar[tuple[str, ...]] = BOX_FORMATS

    def check_value(self, value: Any, item: ItemContext) -> list[dict[str, Any]]:
        """A list of ``{x, y, w, h, label}`` inside the ``item.size`` image (image pixels, finite,
        sides of at least :data:`MIN_SIDE`, known labels); stored rounded to 0.001 px and
        clipped to the image."""
        where = item.where
        if item.size is None:
            raise ValueError(f"{where}: boxes need the size of the image they are drawn on")
        if value is None:
            return []
        if isinstance(value, (str, bytes, Mapping)) or not hasattr(value, "__iter__"):
            raise ValueError(f"{where}: boxes must be a list of {{x, y, w, h, label}}, got {value!r}")
        return [_check_box(box, item.size, item) for box in value]

    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        return describe_boxes(value or []) or "(no boxes)"

    def active_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """A model in the loop reads an item as the set of labels its value marks."""
        return self.present_labels_scheme(labels)

    def label_counts(self, value: Any) -> dict[Any, int]:
        counts: dict[Any, int] = {}
        for box in value or []:
            counts[box["label"]] = counts.get(box["label"], 0) + 1
        return counts

    def suggestion_outcome(
        self, value: Any, suggestion: Any, reference: Any = None
    ) -> SuggestionOutcome | None:
        """Suggested boxes kept exactly (``accepted``), moved, resized or relabeled (``changed``:
        the widget's ``adjusted``) or dropped (``removed``: its ``rejected``); a suggested box
        no reference box of its label matches (IoU ≥ 0.5) is wrong."""
        return box_parts_outcome(value, suggestion, reference)

    def gold_score(self, value: Any, gold: Any) -> float:
        return documents_score(value, gold, lambda g, v: box_agreement(g, v, iou_threshold=IOU))

    def report(
        self,
        annotations: pd.DataFrame,
        gold: Any,
        *,
        task: str | None,
        labels: list[Any] | None,
        config: Mapping[str, Any],
        n_boot: int,
        level: float,
        seed: int | None,
        models: tuple[str, str] | None = None,
    ) -> AgreementReport:
        frame = one_task(annotations, task) if "item_id" in annotations.columns else annotations
        data = prepare_boxes(frame, gold, labels=labels)
        return build_report(
            box_coefficients(data, n_boot=n_boot, level=level, seed=seed),
            per_label=box_per_label(data),
            per_annotator=box_per_annotator(data),
            disagreements=box_disagreements(data),
            task_kind="boxes",
            reference="gold" if data.gold is not None else "mean of the others",
            level=level,
        )

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> DocumentView:
        return DocumentView(
            prepare_boxes(frame, gold, labels=labels),
            coefficients=lambda data, n_boot, level, seed: box_coefficients(
                data, n_boot=n_boot, level=level, seed=seed
            ),
            tables=lambda data: (box_per_annotator(data), box_per_label(data), box_disagreements(data)),
            matcher=box_confusion,
            describe=lambda _text, doc: describe_boxes(doc),
            agreement_name="box F1",
            reference="mean of the others",
            unit="boxes",
            label_columns=[["count", "boxes", "int"], ["f1", "F1", "value"],
                           ["mean_iou", "mean IoU", "value"]],  # fmt: skip
            can_majority=False,  # no "majority box"
        )

    def exchange_codec(self, format: str) -> Any:
        """Boxes in other tools' files: Label Studio's rectangle labels."""
        return _CODECS.get(format)

    def export_own(
        self,
        store: Any,
        task: str,
        path: Path,
        format: str,
        values: pd.DataFrame | None = None,
        **options: Any,
    ) -> Path:
        return export_boxes(store, task, path, format, values=values)


def _check_box(box: Any, size: tuple[int, int], item: ItemContext) -> dict[str, Any]:
    """One box of a value, checked against the image size and the labels."""
    where, (width, height) = item.where, size
    if not isinstance(box, Mapping):
        raise ValueError(f"{where}: box {box!r} is not a {{x, y, w, h, label}} dict")
    try:
        x, y, w, h, label = (box[k] for k in ("x", "y", "w", "h", "label"))
    except KeyError as exc:
        raise ValueError(f"{where}: box {dict(box)!r} has no {exc.args[0]!r}") from None
    try:
        x, y, w, h = (float(v) for v in (x, y, w, h))
    except (TypeError, ValueError):
        raise ValueError(f"{where}: box {dict(box)!r} has a non-numeric coordinate") from None
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise ValueError(f"{where}: box {dict(box)!r} has a non-finite coordinate")
    if w < MIN_SIDE or h < MIN_SIDE:
        raise ValueError(f"{where}: box {dict(box)!r} is smaller than {MIN_SIDE:g} px")
    eps = 1e-6
    if x < -eps or y < -eps or x + w > width + eps or y + h > height + eps:
        raise ValueError(f"{where}: box {dict(box)!r} is outside the {width}×{height} image")
    if label not in item.label_index:
        raise ValueError(f"{where}: box {dict(box)!r} has label {label!r}, not one of {list(item.labels)}")
    return {
        "x": round(max(0.0, x), 3),
        "y": round(max(0.0, y), 3),
        "w": round(min(w, width - max(0.0, x)), 3),
        "h": round(min(h, height - max(0.0, y)), 3),
        "label": item.labels[item.label_index[label]],
    }


#: This kind's codec for each file format of another tool (:mod:`nblabel.exchange`).
_CODECS: dict[str, Any] = {"label-studio": RectanglesCodec()}

BOXES = BoxesKind()
