"""Boxes without a browser: images from every source with their EXIF-oriented full-resolution
size, large images downscaled for display only, values in image pixels, suggestions recorded,
exports (COCO checked with pycocotools, YOLO, VOC)."""

from __future__ import annotations

import functools
import http.server
import io
import json
import sys
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import nblabel as nl
from nblabel.core.media import MAX_SIDE, ImageError, oriented_image

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402

LABELS = ["car", "person"]


def png(width: int, height: int, colour: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buf, format="PNG")
    return buf.getvalue()


def rotated_jpeg(width: int, height: int, orientation: int = 6) -> bytes:
    img = Image.new("RGB", (width, height), "teal")
    exif = img.getexif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    return buf.getvalue()


@pytest.fixture
def images(tmp_path: Path) -> pd.DataFrame:
    (tmp_path / "a.png").write_bytes(png(640, 480))
    (tmp_path / "r.jpg").write_bytes(rotated_jpeg(300, 200))
    return pd.DataFrame({"image": [str(tmp_path / "a.png"), str(tmp_path / "r.jpg")]}, index=["a", "r"])


def widget(images: pd.DataFrame, tmp_path: Path, **kwargs) -> nl.Boxes:
    return nl.Boxes(
        images, image="image", labels=LABELS, task="det", annotator="ana", store=tmp_path / "b.db", **kwargs
    )


# ---------------------------------------------------------------------- images
def test_every_image_source_gives_its_oriented_size(tmp_path: Path) -> None:
    (tmp_path / "p.png").write_bytes(png(40, 30))
    grey = np.linspace(0, 1, 20 * 10).reshape(10, 20)
    rgba = np.zeros((10, 20, 4), dtype=np.uint8)
    for value, size in [
        (str(tmp_path / "p.png"), (40, 30)),
        (tmp_path / "p.png", (40, 30)),
        (png(40, 30), (40, 30)),
        (Image.new("L", (7, 9)), (7, 9)),
        (grey, (20, 10)),
        (rgba, (20, 10)),
        (rotated_jpeg(300, 200, 6), (200, 300)),  # EXIF: rotated a quarter turn
        (rotated_jpeg(300, 200, 3), (300, 200)),  # upside down: same size
    ]:
        data, mime, width, height = oriented_image(value)
        assert (width, height) == size, value if not isinstance(value, bytes) else "bytes"
        shown = Image.open(io.BytesIO(data))
        assert shown.size == size
        assert mime in ("image/png", "image/jpeg")


def test_large_images_are_downscaled_for_display_only() -> None:
    data, _mime, width, height = oriented_image(Image.new("RGB", (8000, 8000), "white"))
    assert (width, height) == (8000, 8000)
    assert max(Image.open(io.BytesIO(data)).size) == MAX_SIDE


def test_images_from_an_http_url(tmp_path: Path) -> None:
    (tmp_path / "web.png").write_bytes(png(50, 20))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/web.png"
        assert oriented_image(url)[2:] == (50, 20)
        with pytest.raises(ImageError, match="cannot fetch image .*missing.png"):
            oriented_image(f"http://127.0.0.1:{server.server_port}/missing.png")
    finally:
        server.shutdown()


def test_bad_images_say_why_and_do_not_break_the_widget(tmp_path: Path) -> None:
    (tmp_path / "bad.png").write_bytes(b"nope")
    df = pd.DataFrame({"image": [str(tmp_path / "bad.png"), str(tmp_path / "gone.png"), None]})
    w = nl.Boxes(df, image="image", labels=LABELS, task="det", store=tmp_path / "b.db")
    fields = [w._item(i, [], include_payload=True)["payload"]["image"] for i in range(3)]
    assert "not a readable image (unknown or corrupt format)" in fields[0]["error"]
    assert "image file not found" in fields[1]["error"]
    assert fields[2]["error"] == "(no image)"
    with pytest.raises(ValueError, match="boxes need the image"):
        w.annotate(0, [])
    w.skip(0)  # skipping works
    assert w._progress["skipped"] == 1


# ---------------------------------------------------------------------- values
def test_browser_boxes_are_image_pixels(images: pd.DataFrame, tmp_path: Path) -> None:
    w = widget(images, tmp_path)
    browser = Browser(w)
    window = browser.send({"type": "hello"})
    payload = next(i for i in window["items"] if i["key"] == "a")["payload"]
    assert (payload["width"], payload["height"]) == (640, 480)
    browser.send(
        {"type": "label", "key": "a", "value": [[10.5, 20, 100, 50.25, 1], [0, 0, 640, 480, 0]]}, tracked=True
    )
    assert w.labels["a"] == [
        {"x": 10.5, "y": 20.0, "w": 100.0, "h": 50.25, "label": "person"},
        {"x": 0.0, "y": 0.0, "w": 640.0, "h": 480.0, "label": "car"},
    ]
    assert w.image_size("r") == (200, 300)
    assert w.store.items("det").loc["a", "width"] == 640


def test_bad_boxes_name_the_row_and_box(images: pd.DataFrame, tmp_path: Path) -> None:
    w = widget(images, tmp_path)
    with pytest.raises(ValueError, match="row 'a': box .* is outside the 640×480 image"):
        w.annotate("a", [{"x": 600, "y": 0, "w": 100, "h": 10, "label": "car"}])
    with pytest.raises(ValueError, match="smaller than 2 px"):
        w.annotate("a", [{"x": 0, "y": 0, "w": 1.5, "h": 10, "label": "car"}])
    with pytest.raises(ValueError, match="has label 'bus'"):
        w.annotate("a", [{"x": 0, "y": 0, "w": 10, "h": 10, "label": "bus"}])
    with pytest.raises(ValueError, match="non-finite"):
        w.annotate("a", [{"x": float("nan"), "y": 0, "w": 10, "h": 10, "label": "car"}])
    with pytest.raises(ValueError, match="has no 'h'"):
        w.annotate("a", [{"x": 0, "y": 0, "w": 10, "label": "car"}])
    assert w.store.annotations("det").empty
    w.annotate("a", [])  # no object in the image is an answer
    assert w.labels["a"] == []


def test_suggestions_are_recorded(images: pd.DataFrame, tmp_path: Path) -> None:
    first = [
        {"x": 10, "y": 10, "w": 50, "h": 50, "label": "car"},
        {"x": 100, "y": 100, "w": 40, "h": 40, "label": "person"},
        {"x": 300, "y": 300, "w": 20, "h": 20, "label": "car"},
    ]
    model = [first, None]
    w = widget(images.assign(model=model), tmp_path, suggestions="model")
    assert w._item(0, [], include_payload=True)["payload"]["suggestion"][0] == [10.0, 10.0, 50.0, 50.0, 0]
    w.annotate(
        "a",
        [
            {"x": 10, "y": 10, "w": 50, "h": 50, "label": "car"},
            {"x": 105, "y": 100, "w": 40, "h": 40, "label": "person"},
        ],
    )
    record = w.store.annotations("det")["suggestion"].iloc[0]
    assert (record["accepted"], record["adjusted"], record["rejected"]) == ([0], [1], [2])


# ---------------------------------------------------------------------- exports
@pytest.fixture
def boxed(images: pd.DataFrame, tmp_path: Path) -> nl.Store:
    w = widget(images, tmp_path)
    w.annotate(
        "a",
        [
            {"x": 10, "y": 20, "w": 100, "h": 50, "label": "person"},
            {"x": 200, "y": 100, "w": 60, "h": 40, "label": "car"},
        ],
    )
    w.annotate("r", [{"x": 0, "y": 0, "w": 200, "h": 300, "label": "car"}])
    return w.store


def test_export_coco_loads_with_pycocotools(boxed: nl.Store, tmp_path: Path) -> None:
    coco_api = pytest.importorskip("pycocotools.coco")
    path = boxed.export("det", tmp_path / "coco.json", format="coco")
    coco = coco_api.COCO(str(path))
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == LABELS
    first = coco.loadImgs(1)[0]
    assert (first["width"], first["height"]) == (640, 480) and first["file_name"].endswith("a.png")
    anns = coco.loadAnns(coco.getAnnIds(imgIds=[1]))
    assert sorted(a["bbox"] for a in anns) == [[10, 20, 100, 50], [200, 100, 60, 40]]
    assert coco.loadImgs(2)[0]["height"] == 300  # the oriented size


def test_export_yolo_and_voc(boxed: nl.Store, tmp_path: Path) -> None:
    # one dataset per annotator, each label file named after its image (issue 14 changed this:
    # it was yolo/a__ana.txt and voc/r__ana.xml with the image's absolute path in <filename>)
    yolo = boxed.export("det", tmp_path / "yolo", format="yolo")
    assert (yolo / "ana" / "classes.txt").read_text() == "car\nperson\n"
    line = (yolo / "ana" / "labels" / "a.txt").read_text().splitlines()[0].split()
    assert line[0] == "1" and [float(v) for v in line[1:]] == pytest.approx(
        [60 / 640, 45 / 480, 100 / 640, 50 / 480], abs=1e-6
    )
    voc = boxed.export("det", tmp_path / "voc", format="voc")
    root = ET.parse(voc / "ana" / "r.xml").getroot()
    assert root.find("filename").text == "r.jpg"
    assert root.find("size/width").text == "200" and root.find("size/height").text == "300"
    box = root.find("object/bndbox")
    assert [box.find(k).text for k in ("xmin", "ymin", "xmax", "ymax")] == ["0", "0", "200", "300"]
    with pytest.raises(ValueError, match="format 'spacy' is not one of"):
        boxed.export("det", tmp_path / "x", format="spacy")
    rows = [
        json.loads(x)
        for x in boxed.export("det", tmp_path / "b.jsonl", format="jsonl").read_text().splitlines()
    ]
    assert rows[0]["value"][0]["label"] == "person"


# ---------------------------------------------------------------------- agreement
def test_box_report_dashboard_and_overlay(images: pd.DataFrame, tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "agree.db")

    def box(x: int, y: int, w: int, h: int, label: str) -> dict:
        return {"x": x, "y": y, "w": w, "h": h, "label": label}

    boxes = {
        "ana": [box(10, 10, 100, 100, "car"), box(300, 300, 50, 50, "person")],
        "bob": [box(15, 12, 100, 100, "car"), box(300, 300, 50, 50, "car"), box(500, 20, 30, 30, "person")],
    }
    for name, value in boxes.items():
        w = nl.Boxes(images, image="image", labels=LABELS, task="det", annotator=name, store=store)
        w.annotate("a", value)
    ann = store.annotations("det")
    report = nl.agreement_report(ann)
    expected = nl.agreement.box_agreement(boxes["ana"], boxes["bob"])
    assert report.loc["box_f1", "value"] == pytest.approx(expected["f1"])  # 1 match of 2 + 3 -> 0.4
    assert report.loc["box_f1", "value"] == pytest.approx(0.4)
    assert report.loc["box_f1_any_label", "value"] == pytest.approx(0.8)
    assert report.loc["box_mean_iou", "value"] == pytest.approx(expected["mean_iou"])
    assert list(report.disagreements.index) == ["a"]
    assert report.per_label.loc["car", "count"] == 3

    dash = nl.Dashboard(store, task="det", live=False)
    assert dash._status["state"] == "live", dash._status
    confusion = dash._snapshot["confusion"]
    assert confusion["categories"] == ["car", "person", "(none)"]
    assert confusion["counts"] == [[1, 0, 0], [1, 0, 0], [0, 1, 0]]
    assert dash.cell_items("person", "car").loc["a", "ana"].startswith("car 10,10 100×100")
    dash.close()

    fig = nl.plot_boxes(ann, "a", images.loc["a", "image"])
    assert len(fig.axes[0].patches) == 5
    assert fig._repr_png_()[0][:4] == b"\x89PNG"


def _simulated_boxes(seed: int, images: int = 40, annotators: int = 3) -> pd.DataFrame:
    """Each annotator's boxes on ``images`` images: the true boxes jittered, some missed, some
    mislabeled, some extra (seeded)."""
    rng = np.random.default_rng(seed)
    rows = []
    for item in range(images):
        truth = [
            (float(rng.uniform(0, 400)), float(rng.uniform(0, 300)), float(rng.uniform(20, 120)),
             float(rng.uniform(20, 120)), LABELS[int(rng.integers(2))])
            for _ in range(int(rng.integers(0, 4)))
        ]  # fmt: skip
        for a in range(annotators):
            value = []
            for x, y, w, h, label in truth:
                if rng.random() < 0.15:
                    continue  # missed
                jitter = rng.normal(0, 6, 4)
                if rng.random() < 0.1:
                    label = LABELS[1 - LABELS.index(label)]
                value.append({"x": x + jitter[0], "y": y + jitter[1], "w": max(w + jitter[2], 5),
                              "h": max(h + jitter[3], 5), "label": label})  # fmt: skip
            if rng.random() < 0.2:
                value.append({"x": 450.0, "y": 10.0, "w": 30.0, "h": 30.0, "label": "person"})
            rows.append({"item_id": item, "annotator": f"a{a}", "value": value})
    return pd.DataFrame(rows)


def _reference_box_interval(
    docs: pd.DataFrame, metric: str, match_label: bool, n_boot: int, seed: int
) -> tuple[float, float]:
    """The percentile interval of the mean pairwise box F1 (or mean IoU) computed the slow way:
    each replicate's resampled images through box_agreement, pair by pair."""
    import warnings

    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(docs), (n_boot, len(docs)))
    names = list(docs.columns)
    means = []
    for rows in draws:
        sample = docs.iloc[rows]
        values = []
        for i, x in enumerate(names):
            for y in names[i + 1 :]:
                both = sample[x].notna() & sample[y].notna()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    r = nl.agreement.box_agreement(
                        list(sample.loc[both, x]), list(sample.loc[both, y]), match_label=match_label
                    )
                if not np.isnan(r[metric]):
                    values.append(r[metric])
        if values:
            means.append(np.mean(values))
    return float(np.quantile(means, 0.025)), float(np.quantile(means, 0.975))


def test_box_agreement_gets_seeded_bootstrap_intervals(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "ci.db")
    store.register_task("det", "boxes", LABELS)
    votes = _simulated_boxes(seed=3)
    store.import_annotations(votes, "det")
    ann = store.annotations("det")
    report = nl.agreement_report(ann, n_boot=200, seed=5)
    docs = votes.pivot(index="item_id", columns="annotator", values="value")
    for key, metric, match_label in [
        ("box_f1", "f1", True), ("box_f1_any_label", "f1", False), ("box_mean_iou", "mean_iou", True)
    ]:  # fmt: skip
        value, low, high = report.loc[key, ["value", "ci_low", "ci_high"]]
        assert low < value < high, key  # the interval covers the point and has a width
        assert (low, high) == pytest.approx(_reference_box_interval(docs, metric, match_label, 200, 5)), key
    again = nl.agreement_report(ann, n_boot=200, seed=5)
    pd.testing.assert_frame_equal(pd.DataFrame(report), pd.DataFrame(again))  # seeded
    other = nl.agreement_report(ann, n_boot=200, seed=6)
    assert other.loc["box_f1", "ci_low"] != report.loc["box_f1", "ci_low"]
    assert nl.agreement_report(ann, n_boot=0)[["ci_low", "ci_high"]].isna().all().all()  # n_boot=0: none
    assert report.loc["box_f1", "reading"] == "n/a (not chance-corrected)"

    dash = nl.Dashboard(store, task="det", live=False, n_boot=200)  # the dashboard's intervals too
    by_key = {row["key"]: row for row in dash._snapshot["coefficients"]}
    expected = nl.agreement_report(ann, n_boot=200, seed=0)
    for key in ("box_f1", "box_f1_any_label", "box_mean_iou"):
        assert by_key[key]["ci"] == pytest.approx(expected.loc[key, ["ci_low", "ci_high"]].tolist())
    dash.close()
    store.close()
