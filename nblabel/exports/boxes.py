"""Box exports: COCO instances JSON, an Ultralytics YOLO dataset folder, Pascal VOC XML.

The rows (:mod:`.rows`) are the current labels, one annotated image per (item, annotator), or
one value per item (``values=``, such as ``session.final_labels()``). Sizes and file names come
from what the store kept with each item's first label (the image's full-resolution size after
its EXIF orientation; its path when the cell was a path or URL).

YOLO and VOC pair a label file with its image by name, so every label file is named after its
image: ``labels/<image stem>.txt`` (Ultralytics finds the labels of ``images/x.jpg`` in
``labels/x.txt``) and ``<image stem>.xml`` whose ``<filename>`` is the image's file name, never
a path of the machine that labeled it. One value per item writes one such dataset in the folder;
the current labels write one dataset per annotator, in a subfolder named after the annotator.

A YOLO dataset also has ``classes.txt``, ``images.txt`` (``./images/<file name>`` of each of its
images, when every one was labeled from a path or URL) and ``data.yaml``, which trains on
``images.txt`` — only the images that have labels: Ultralytics reads an image without a label
file as one with no objects, so an item without a final label must not be trained on — or, when
some image had no file name (a bytes or PIL cell, named by its item id), on ``images/``.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pandas as pd

from ..agreement.report import sort_key
from ..store.store import Store
from .rows import label_rows, per_annotator

BOX_FORMATS = ("coco", "yolo", "voc")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
#: Characters no file name may hold (path separators, NUL and other control characters).
_NOT_IN_FILE_NAMES = re.compile(r"[\x00-\x1f\x7f/\\]")


def _images(store: Store, task: str, rows: pd.DataFrame) -> list[dict[str, Any]]:
    """One annotated image per row, in item (then annotator) order."""
    labels = store.task(task)["labels"]
    shown = store.items(task)
    out = []
    keyed = per_annotator(rows)
    order = sorted(
        rows.itertuples(index=False), key=lambda r: (sort_key(r.item_id), r.annotator if keyed else "")
    )
    for row in order:
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
            "annotator": row.annotator if keyed else None, "width": int(width), "height": int(height),
            "path": path if isinstance(path, str) else None,
            "file_name": path if isinstance(path, str) else f"{row.item_id}",
            "boxes": list(row.value or []), "labels": labels,
        })  # fmt: skip
    return out


def export_boxes(
    store: Store, task: str, path: Path, format: str, values: pd.DataFrame | None = None
) -> Path:
    """Write the boxes of ``task`` (or ``values``): ``coco`` to the file ``path``; ``yolo`` and
    ``voc`` to the folder ``path`` (see the module's docstring for the layout)."""
    rows = label_rows(store, task, values)
    images = _images(store, task, rows)
    labels = store.task(task)["labels"]
    if format == "coco":
        return _write_coco(images, labels, task, path)
    if not per_annotator(rows):
        datasets = [(path, images)]
    else:
        folders = annotator_folders(sorted({image["annotator"] for image in images}))
        datasets = [(path / f, [i for i in images if i["annotator"] == a]) for a, f in folders.items()]
    named = [(folder, part, image_file_names(part)) for folder, part in datasets]  # every clash first
    path.mkdir(parents=True, exist_ok=True)
    for folder, part, names in named:
        _write_dataset(part, names, labels, folder, format)
    return path


def _write_coco(images: list[dict[str, Any]], labels: list[Any], task: str, path: Path) -> Path:
    """One COCO instances file: an image per row (with ``nblabel_annotator`` when per annotator)."""
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
        entry = {
            "id": n, "file_name": image["file_name"], "width": image["width"], "height": image["height"],
            "nblabel_item_id": image["item_id"],
        }  # fmt: skip
        if image["annotator"] is not None:
            entry["nblabel_annotator"] = image["annotator"]
        coco["images"].append(entry)
        for box in image["boxes"]:
            coco["annotations"].append({
                "id": len(coco["annotations"]) + 1, "image_id": n, "category_id": category[box["label"]],
                "bbox": [box["x"], box["y"], box["w"], box["h"]], "area": box["w"] * box["h"],
                "iscrowd": 0, "segmentation": [],
            })  # fmt: skip
    path.write_text(json.dumps(coco, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _write_dataset(
    images: list[dict[str, Any]], names: list[tuple[str, str]], labels: list[Any], folder: Path, format: str
) -> None:
    """One YOLO or VOC dataset in ``folder``: one label file per image, named after the image
    (``names``: each image's file name and stem, from :func:`image_file_names`)."""
    folder.mkdir(parents=True, exist_ok=True)
    if format == "yolo":
        (folder / "labels").mkdir(exist_ok=True)
        (folder / "classes.txt").write_text("".join(f"{name}\n" for name in labels), encoding="utf-8")
        listed = all(image["path"] is not None for image in images)
        if listed:
            lines = "".join(f"./images/{name}\n" for name, _stem in names)
            (folder / "images.txt").write_text(lines, encoding="utf-8")
        (folder / "data.yaml").write_text(
            _data_yaml(labels, "images.txt" if listed else "images"), encoding="utf-8"
        )
    index = {name: i for i, name in enumerate(labels)}
    for image, (name, stem) in zip(images, names, strict=True):
        if format == "yolo":
            (folder / "labels" / f"{stem}.txt").write_text(_yolo_lines(image, index), encoding="utf-8")
        else:
            (folder / f"{stem}.xml").write_text(_voc_xml(image, name), encoding="utf-8")


def _yolo_lines(image: dict[str, Any], index: dict[Any, int]) -> str:
    """One ``class x_center y_center width height`` line per box, normalised to the image."""
    W, H = image["width"], image["height"]
    return "".join(
        f"{index[b['label']]} {(b['x'] + b['w'] / 2) / W:.6f} {(b['y'] + b['h'] / 2) / H:.6f} "
        f"{b['w'] / W:.6f} {b['h'] / H:.6f}\n"
        for b in image["boxes"]
    )


def _voc_xml(image: dict[str, Any], file_name: str) -> str:
    """A Pascal VOC annotation whose ``<filename>`` is the image's file name (no folder)."""
    objects = "".join(
        "  <object>\n"
        f"    <name>{escape(str(b['label']))}</name>\n    <pose>Unspecified</pose>\n"
        "    <truncated>0</truncated>\n    <difficult>0</difficult>\n"
        f"    <bndbox><xmin>{b['x']:g}</xmin><ymin>{b['y']:g}</ymin>"
        f"<xmax>{b['x'] + b['w']:g}</xmax><ymax>{b['y'] + b['h']:g}</ymax></bndbox>\n"
        "  </object>\n"
        for b in image["boxes"]
    )
    return (
        "<annotation>\n"
        f"  <filename>{escape(file_name)}</filename>\n"
        f"  <size><width>{image['width']}</width><height>{image['height']}</height><depth>3</depth></size>\n"
        f"  <segmented>0</segmented>\n{objects}</annotation>\n"
    )


def _data_yaml(labels: list[Any], images: str) -> str:
    """Ultralytics' dataset file: the images in ``images/`` beside ``labels/`` (``path`` left out,
    so it is the folder of this file), trained on ``images`` (the list or the folder), the class
    names by index (quoted as JSON strings, which YAML reads as they are)."""
    lines = [
        "# Ultralytics YOLO dataset written by nblabel: put the images in images/ beside labels/,",
        "# each named as it was labeled (labels/<name>.txt holds the boxes of images/<name>.<ext>).",
        f"train: {images}",
        f"val: {images}",
        "names:",
        *(f"  {i}: {json.dumps(str(name))}" for i, name in enumerate(labels)),
    ]
    return "\n".join(lines) + "\n"


def image_file_names(images: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The file name (no folder) of each image and its stem, as YOLO and VOC pair label files
    with images: the last part of the stored path or URL less its extension (as Ultralytics
    does: ``images/x.v2.jpg`` pairs with ``labels/x.v2.txt``), or the item id for an image that
    had no path (a bytes or PIL cell). Two images of one dataset with the same stem cannot be
    told apart: that is an error naming both items."""
    names: list[tuple[str, str]] = []
    seen: dict[str, Any] = {}
    for image in images:
        if image["path"] is None:
            name = stem = _safe_name(str(image["item_id"]))
        else:
            name = _file_name(image["path"])
            stem = name.rsplit(".", 1)[0] if "." in name else name
        if stem in seen:
            raise ValueError(
                f"items {seen[stem]!r} and {image['item_id']!r} both have an image named {stem!r}: "
                "YOLO and VOC pair label files with images by file name, so each image of a dataset needs "
                "its own name (rename one of the files, or export 'coco')"
            )
        seen[stem] = image["item_id"]
        names.append((name, stem))
    return names


def _file_name(source: str) -> str:
    """The last part of a path or URL (its query left out), made safe as a file name."""
    part = urlsplit(source).path if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", source) else source
    return _safe_name(re.split(r"[/\\]", part)[-1], source)


def _safe_name(name: str, source: str | None = None) -> str:
    """``name`` with no separator or control character, and never ``""``, ``.`` or ``..``."""
    name = _NOT_IN_FILE_NAMES.sub("_", name)
    if name.strip(".") == "":
        name = "_" + _UNSAFE_NAME.sub("_", source or name)[-100:]
    return name


def annotator_folders(annotators: list[str]) -> dict[str, str]:
    """A folder name per annotator: the name itself when it is plain (letters, digits, ``._-``,
    not only dots), otherwise its plain characters and a hash of the whole name (so ``a/b``,
    ``a b`` and ``..`` get distinct folders inside the export folder)."""
    out = {}
    for name in annotators:
        plain = _UNSAFE_NAME.sub("_", name)[:100]
        if plain != name or plain.strip(".") == "":
            plain = f"{plain}-{hashlib.sha256(name.encode('utf-8')).hexdigest()[:8]}"
        out[name] = plain
    return out
