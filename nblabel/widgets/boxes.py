"""``Boxes``: bounding boxes drawn on images.

A value is a list of ``{"x", "y", "w", "h", "label"}`` in **original image pixels** (after the
image's EXIF orientation is applied), origin top-left, whatever the display size or zoom. The
browser draws in that same space (an SVG overlay whose viewBox is the image's full-resolution
size), so no coordinate is ever scaled on the way to the store.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..core.cache import Recent
from ..core.media import ImageError, oriented_image
from ..core.registry import ItemContext
from ..kinds.boxes import MIN_SIDE
from ..kinds.suggested_parts import box_record
from ..store.store import Store
from .active import MIN_PER_LABEL, REFIT_EVERY
from .base import STATIC, LabelWidget
from .suggester import DEFAULT_BATCH

__all__ = ["Boxes", "MIN_SIDE"]


class Boxes(LabelWidget):
    """Draw bounding boxes with ``labels`` on the images of a DataFrame column.

    >>> w = nl.Boxes(df, image="path", labels=["car", "person"], task="detect-pilot", annotator="ana")

    Images come from file paths, ``http(s)`` URLs, bytes, PIL images or numpy arrays (grey,
    RGB, RGBA; uint8 or float). Drag to draw a box with the active label (a label key chooses
    it), or click two corners. Click a box to select it: drag to move, drag a handle to resize,
    a label key relabels, ``Delete`` removes, arrows nudge (Shift: 10 px), ``Shift+D``
    duplicates. Wheel or ``+``/``-`` zoom, Space-drag pans, ``0`` fits. ``Enter`` confirms the
    image; ``Backspace`` undoes the last box change (``Shift+Backspace`` redoes); ``u`` undoes
    the last image; ``j``/``k`` move between images.
    """

    kind = "boxes"
    suggestion_ui = True
    _esm = STATIC / "boxes.js"

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        image: str,
        labels: list[Any],
        task: str,
        annotator: str | None = None,
        store: Store | str | os.PathLike[str] | None = None,
        suggestions: str | None = None,
        guidelines: str | os.PathLike[str] | None = None,
        order: str | Callable[[pd.DataFrame], Any] | None = None,
        model: Any = None,
        refit_every: int = REFIT_EVERY,
        min_per_label: int = MIN_PER_LABEL,
        suggest: str | Callable[[pd.DataFrame], Any] | None = None,
        suggest_name: str | None = None,
        suggest_version: str | None = None,
        suggest_batch: int = DEFAULT_BATCH,
        show_suggestions: bool | float = True,
    ) -> None:
        self._images = Recent(16)  # per position: (data, mime, width, height) or the ImageError
        super().__init__(
            df,
            columns={"image": image, "suggestions": suggestions},
            labels=labels,
            task=task,
            annotator=annotator,
            store=store,
            guidelines=guidelines,
            order=order,
            suggest=suggest,
            suggest_name=suggest_name,
            suggest_version=suggest_version,
            suggest_batch=suggest_batch,
            show_suggestions=show_suggestions,
            model=model,
            refit_every=refit_every,
            min_per_label=min_per_label,
        )

    def _check_setup(self, df: pd.DataFrame) -> None:
        if any(not isinstance(label, str) for label in self._labels):
            raise TypeError(f"box labels must be strings, got {self._labels}")

    # images -------------------------------------------------------------------
    def _image(self, pos: int) -> tuple[bytes, str, int, int]:
        """The image at ``pos`` (cached for the few items around the current one)."""
        cached = self._images.get(pos, lambda: self._load_image(pos))
        if isinstance(cached, ImageError):
            raise cached
        return cached

    def _load_image(self, pos: int) -> tuple[bytes, str, int, int] | ImageError:
        cell = self.items.cell("image", pos)
        if cell is None:
            return ImageError("(no image)")
        try:
            return oriented_image(cell)
        except ImageError as exc:
            return exc
        except Exception as exc:  # whatever Pillow or numpy raise: the item shows the reason
            return ImageError(f"cannot show this image ({type(exc).__name__}: {exc})")

    def image_size(self, item_id: Any) -> tuple[int, int]:
        """``(width, height)`` of the image of ``item_id`` in the pixels boxes are stored in."""
        _data, _mime, width, height = self._image(self.items.position(item_id))
        return width, height

    # values -------------------------------------------------------------------
    # Checked by the task kind (nblabel.kinds.boxes) against the image's size.
    def _item_context(self, pos: int) -> ItemContext:
        item = super()._item_context(pos)
        try:
            _data, _mime, width, height = self._image(pos)
        except ImageError as exc:
            raise ValueError(f"{item.where}: boxes need the image, which cannot be read: {exc}") from None
        return dataclasses.replace(item, size=(width, height))

    def _value_from_browser(self, payload: Any, pos: int) -> list[dict[str, Any]]:
        if not isinstance(payload, list):
            raise ValueError("boxes must arrive as a list of [x, y, w, h, label index]")
        boxes = []
        for entry in payload:
            if not (isinstance(entry, list) and len(entry) == 5):
                raise ValueError(f"bad box {entry!r} from the browser")
            x, y, w, h, index = entry
            if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self._labels):
                raise ValueError(f"label index {index!r} is out of range")
            boxes.append({"x": x, "y": y, "w": w, "h": h, "label": self._labels[index]})
        return self._validate_value(boxes, pos)

    def _value_to_browser(self, value: Any, pos: int) -> list[list[Any]]:
        out = []
        for box in value or []:
            index = self._label_index.get(box.get("label"))
            if index is not None:
                out.append([box["x"], box["y"], box["w"], box["h"], index])
        return out

    # suggestions ----------------------------------------------------------------
    def _suggestion(self, pos: int) -> list[dict[str, Any]] | None:
        cell = self._suggested_cell(pos)
        if cell is None:
            return None
        try:
            self._image(pos)
        except ImageError:  # the item shows why, with no suggestion
            return None
        item = self._item_context(pos)
        item = dataclasses.replace(item, where=f"suggestions column, {item.where}")
        return self.task_kind.check_value(list(cell), item)

    def _suggestion_record(self, pos: int, value: Any) -> dict[str, Any] | None:
        """The suggested boxes and, by position, which were ``accepted`` (kept exactly),
        ``adjusted`` (a kept box overlaps it: moved, resized or relabeled) or ``rejected``."""
        suggested = self._suggestion(pos)
        if suggested is None:
            return None
        return box_record(value, suggested)

    # browser ------------------------------------------------------------------------
    def _browser_config(self) -> dict[str, Any]:
        return {"labels": [str(label) for label in self._labels], "min_side": MIN_SIDE}

    def _item_fields(self, pos: int, buffers: list[bytes]) -> dict[str, Any]:
        fields: dict[str, Any] = {"id": str(self.items.label(pos))}
        try:
            data, mime, width, height = self._image(pos)
        except ImageError as exc:
            fields["image"] = {"error": str(exc)}
            return fields
        buffers.append(data)
        fields["image"] = {"buffer": len(buffers) - 1, "mime": mime}
        fields["width"], fields["height"] = width, height
        suggestion = self._suggestion_field(pos)
        if suggestion:
            fields["suggestion"] = suggestion
        return fields

    def _shown(self, pos: int) -> dict[str, Any]:
        cell = self.items.cell("image", pos)
        shown: dict[str, Any] = {}
        if isinstance(cell, (str, os.PathLike)):
            shown["image"] = os.fspath(cell)
        with contextlib.suppress(ImageError):  # the size is a convenience for exports
            _data, _mime, shown["width"], shown["height"] = self._image(pos)
        return shown
