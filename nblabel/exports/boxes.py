"""Box exports: COCO instances JSON, YOLO text files, Pascal VOC XML.

One annotated image per (item, annotator) with a standing label; sizes and file names come
from what the store kept with each item's first label (the image's full-resolution size after
its EXIF orientation; its path when the cell was a path or URL).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pandas as pd

from ..agreement.report import sort_key
from ..store.store import Store

BOX_FORMATS = ("coco", "yolo", "voc")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def _images(store: Store, task: str) -> list[dict[str, Any]]:

    labels = store.task(task)["labels"]
    current = store.current(task)
    rows = current[current["kind"] == "label"]
    shown = store.items(task)
    out = []
    for row in sorted(rows.itertuples(index=False), key=lambda r: (sort_key(r.item_id), r.annotator)):
        item = shown.loc[row.item_id] if row.item_id in shown.index else pd.Series(dtype=object)
        width, height = item.get("width"), item.get("height")
        if width is None or pd.isna(width):
            raise ValueError(
                f"item {row.item_id!r} of task {task!r} has no stored image size (labels imported with "
                "import_annotations carry none): label it in a Boxes widget, or export 'csv'"
            )
        path = item.get("image")
        out.append({
            "item_id": row.item_id.item() if hasattr(row.item_id, "item") else row.item_id,
            "annotator": row.annotator, "width": int(width), "height": int(height),
            "file_name": path if isinstance(path, str) else f"{row.item_id}",
            "boxes": list(row.value or []), "labels": labels,
        })  # fmt: skip
    return out


def export_boxes(store: Store, task: str, path: Path, format: str) -> Path:
    """Write the boxes of ``task``: ``coco`` to the file ``path``; ``yolo`` and ``voc`` to the
    folder ``path`` (one file per image and annotator)."""
    images = _images(store, task)
    labels = store.task(task)["labels"]
    if format == "coco":
        path.parent.mkdir(parents=True, exist_ok=True)
        coco: dict[str, Any] = {
            "info": {"description": f"nblabel task {task}"},
            "images": [],
            "annotations": [],
            "categories": [
                {"id": i + 1, "name": str(name), "supercategory": ""} for i, name in enumerate(labels)
            ],
        }
        category = {name: i + 1 for i, name in enumerate(labels)}
        for n, image in enumerate(images, start=1):
            coco["images"].append({
                "id": n, "file_name": image["file_name"], "width": image["width"], "height": image["height"],
                "nblabel_item_id": image["item_id"], "nblabel_annotator": image["annotator"],
            })  # fmt: skip
            for box in image["boxes"]:
                coco["annotations"].append({
                    "id": len(coco["annotations"]) + 1, "image_id": n, "category_id": category[box["label"]],
                    "bbox": [box["x"], box["y"], box["w"], box["h"]], "area": box["w"] * box["h"],
                    "iscrowd": 0, "segmentation": [],
                })  # fmt: skip
        path.write_text(json.dumps(coco, ensure_ascii=False, indent=1), encoding="utf-8")
        return path
    path.mkdir(parents=True, exist_ok=True)
    if format == "yolo":
        (path / "classes.txt").write_text("".join(f"{name}\n" for name in labels), encoding="utf-8")
    index = {name: i for i, name in enumerate(labels)}
    for image in images:
        stem = _UNSAFE_NAME.sub("_", f"{Path(str(image['file_name'])).stem}__{image['annotator']}")
        W, H = image["width"], image["height"]
        if format == "yolo":
            lines = [
                f"{index[b['label']]} {(b['x'] + b['w'] / 2) / W:.6f} {(b['y'] + b['h'] / 2) / H:.6f} "
                f"{b['w'] / W:.6f} {b['h'] / H:.6f}\n"
                for b in image["boxes"]
            ]
            (path / f"{stem}.txt").write_text("".join(lines), encoding="utf-8")
        else:
            objects = "".join(
                "  <object>\n"
                f"    <name>{escape(str(b['label']))}</name>\n    <pose>Unspecified</pose>\n"
                "    <truncated>0</truncated>\n    <difficult>0</difficult>\n"
                f"    <bndbox><xmin>{b['x']:g}</xmin><ymin>{b['y']:g}</ymin>"
                f"<xmax>{b['x'] + b['w']:g}</xmax><ymax>{b['y'] + b['h']:g}</ymax></bndbox>\n"
                "  </object>\n"
                for b in image["boxes"]
            )
            xml = (
                "<annotation>\n"
                f"  <filename>{escape(str(image['file_name']))}</filename>\n"
                f"  <size><width>{W}</width><height>{H}</height><depth>3</depth></size>\n"
                f"  <segmented>0</segmented>\n{objects}</annotation>\n"
            )
            (path / f"{stem}.xml").write_text(xml, encoding="utf-8")
    return path
