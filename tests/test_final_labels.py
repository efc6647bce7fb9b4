"""Final labels without an adjudicator for every split: ``session.final_labels(method=...,
min_confidence=...)`` and the rule column, what ``nl.Adjudicate(session, method=...)`` serves,
soft labels, and every training format written from the final labels (loaded back with
pycocotools, spaCy and Hugging Face ``datasets``), YOLO files paired with their images as
Ultralytics pairs them, VOC file names without a folder."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import nblabel as nl
from nblabel.agreement.aggregate import SmallPilotWarning
from nblabel.core import registry
from nblabel.core.event import Event
from nblabel.kinds.classify import ClassifyKind
from nblabel.sessions.decisions import FINAL_COLUMNS

LABELS = ["pos", "neg"]
ANNOTATORS = ["ana", "ben", "cy"]
N, N_GOLD = 20, 10
TRUTH = {1000 + i: LABELS[i % 2] for i in range(N)}


def flip(label: str) -> str:
    return LABELS[1 - LABELS.index(label)]


def classify_session(store: Any, task: str = "cal", **options: Any) -> nl.Session:
    """20 production items (ids 1000-1019, truth alternating pos/neg) and 10 gold items that
    every annotator labels first (calibration with no pass mark: even a bad annotator goes on)."""
    answers = [None] * N + [LABELS[i % 2] for i in range(N_GOLD)]
    df = pd.DataFrame(
        {"text": [f"review {i}" for i in range(N + N_GOLD)], "answer": answers},
        index=pd.Index(range(1000, 1000 + N + N_GOLD), name="rid"),
    )
    settings = dict(widget=nl.Classify, data=df, annotators=ANNOTATORS, overlap=3, gold="answer",
                    calibration=N_GOLD, pass_mark=0.0, gold_rate=0.0, text="text", labels=LABELS)  # fmt: skip
    settings.update(options)
    return nl.Session(store, task, **settings)


def label(s: nl.Session, answer: Any) -> None:
    """Every annotator labels their whole queue: ``answer(name, item_id, truth)`` (gold items'
    truth is their gold answer)."""
    for name in s.annotators:
        w = s.labeler(name)
        while w.current is not None:
            key = str(w.current)
            truth = s.gold[key] if key in s.gold else TRUTH[w.current]
            w.annotate(w.current, answer(name, w.current, truth))


def quiet_final(s: nl.Session, **options: Any) -> pd.DataFrame:
    """``final_labels`` of a model-based method on this small pilot, which warns that it is one."""
    with pytest.warns(SmallPilotWarning):
        return s.final_labels(**options)


# ---------------------------------------------------------------------- the rule column
def test_without_a_method_every_disagreement_waits_as_before(store) -> None:
    s = classify_session(store)
    # cy disagrees on even ids; ben labels nothing on 1001
    label(s, lambda who, i, t: flip(t) if who == "cy" and i % 2 == 0 else t)
    final = s.final_labels()
    assert list(final.columns) == FINAL_COLUMNS
    even, odd = final.loc[1000], final.loc[1001]
    assert even["status"] == "unresolved" and even["value"] is None and even["rule"] is None
    assert even["reason"] == "disagreement" and math.isnan(even["confidence"])
    assert odd["status"] == "unanimous" and odd["rule"] == "unanimous" and odd["reason"] is None
    assert set(final["status"]) == {"unresolved", "unanimous"}


def test_two_to_one_splits_are_resolved_by_majority_when_confident(store) -> None:
    s = classify_session(store)
    label(s, lambda who, i, t: flip(t) if who == "cy" and i % 2 == 0 else t)
    final = s.final_labels(method="majority")
    split = final.loc[1000]
    assert split["status"] == "aggregated" and split["rule"] == "majority" and split["value"] == "pos"
    assert split["confidence"] == pytest.approx(2 / 3) and split["agreed_with"] == ["ana", "ben"]
    assert split["reason"] is None and split["annotators"] == {"ana": "pos", "ben": "pos", "cy": "neg"}
    assert final.loc[1001, "rule"] == "unanimous" and final.loc[1001, "confidence"] == pytest.approx(1.0)
    # a 2-to-1 split is not confident enough at 0.7: a person decides it
    strict = s.final_labels(method="majority", min_confidence=0.7)
    assert strict.loc[1000, "status"] == "unresolved" and strict.loc[1000, "reason"] == "low_confidence"
    assert strict.loc[1000, "value"] is None and strict.loc[1000, "confidence"] == pytest.approx(2 / 3)
    assert strict.loc[1001, "status"] == "unanimous"  # unanimous items stand at any threshold


def test_ties_go_to_an_adjudicator_under_every_method(store) -> None:
    s = classify_session(store, overlap=2)
    label(s, lambda who, i, t: flip(t) if who == "ana" else t)  # ana alone disagrees: 1-to-1 splits
    tied = [i for i, names in s.assignments()["annotators"].items() if "ana" in names]
    for options in ({"method": "majority"}, {"method": "dawid_skene", "min_confidence": 0.0}):
        final = s.final_labels(**options) if options["method"] == "majority" else quiet_final(s, **options)
        assert set(final.loc[tied, "reason"]) == {"tie"} and set(final.loc[tied, "status"]) == {"unresolved"}
        assert final.loc[tied, "value"].isna().all()
        others = final.drop(index=tied)
        assert set(others["status"]) == {"unanimous"}


def test_a_model_that_disagrees_with_the_majority_sends_the_item(store) -> None:
    s = classify_session(store)
    # the gold shows ben and cy answer the opposite of the truth; on production items they outvote ana
    label(s, lambda who, i, t: t if who == "ana" else flip(t))
    by_vote = s.final_labels(method="majority")
    assert (
        set(by_vote["status"]) == {"aggregated"}
        and (by_vote["value"] == [flip(TRUTH[i]) for i in by_vote.index]).all()
    )
    final = quiet_final(s, method="dawid_skene")
    assert set(final["status"]) == {"unresolved"} and set(final["reason"]) == {"model_vs_majority"}
    assert (final["confidence"] > 0.99).all()  # the model is sure: ana, who got the gold right, is right
    with pytest.warns(SmallPilotWarning):
        soft = s.soft_labels(method="dawid_skene")
    row = soft.loc[1000]
    assert row["soft_label"] == {"pos": pytest.approx(1 / 3), "neg": pytest.approx(2 / 3)}
    assert row["posterior"]["pos"] > 0.99 and row["agreement"] == pytest.approx(1 / 3)
    # the adjudication widget serves exactly what the method sends to a person
    with pytest.warns(SmallPilotWarning):
        adj = nl.Adjudicate(s, adjudicator="boss", method="dawid_skene")
    assert adj.queue.size == N
    by_majority = nl.Adjudicate(s, adjudicator="boss2", method="majority")
    assert by_majority.queue.size == 0 and by_majority.current is None


def test_a_confident_model_decides_and_the_adjudicator_still_wins(store) -> None:
    s = classify_session(store)
    # gold: everyone right; production: cy flips even ids (a 2-to-1 the model confirms)
    label(s, lambda who, i, t: flip(t) if who == "cy" and i % 2 == 0 and i < 1000 + N else t)
    final = quiet_final(s, method="dawid_skene", min_confidence=0.9)
    decided = final[final["status"] == "aggregated"]
    assert list(decided.index) == [i for i in TRUTH if i % 2 == 0]
    assert set(decided["rule"]) == {"dawid_skene"} and (decided["confidence"] >= 0.9).all()
    assert list(decided["value"]) == [TRUTH[i] for i in decided.index]
    with pytest.warns(SmallPilotWarning):
        adj = nl.Adjudicate(s, adjudicator="boss", method="dawid_skene", min_confidence=0.9)
    assert adj.queue.size == 0  # nothing left for a person
    everything = nl.Adjudicate(s, adjudicator="boss")  # no method: every disagreement, as before
    assert everything.queue.size == len(decided)
    everything.pick(1000, "cy", rationale="sarcasm")
    with pytest.warns(SmallPilotWarning):
        after = s.final_labels(method="dawid_skene", min_confidence=0.9)
    row = after.loc[1000]
    assert row["status"] == "adjudicated" and row["rule"] == "adjudicator" and row["value"] == "neg"
    assert row["agreed_with"] == ["cy"] and row["rationale"] == "sarcasm"


def test_bad_method_arguments_say_what_is_wrong(tmp_path: Path) -> None:
    s = classify_session(tmp_path / "s.db")
    with pytest.raises(ValueError, match="min_confidence= applies to a method"):
        s.final_labels(min_confidence=0.8)
    with pytest.raises(ValueError, match=r"min_confidence=1.5 must be between 0 and 1"):
        s.final_labels(method="majority", min_confidence=1.5)
    with pytest.raises(ValueError, match="unknown method 'vote'"):
        label(s, lambda who, i, t: t)
        s.final_labels(method="vote")
    with pytest.raises(TypeError, match="min_confidence= must be a number"):
        nl.Adjudicate(s, method="majority", min_confidence="high")
    with pytest.raises(KeyError):  # refused before its task was registered
        s.store.task("cal/adjudication")
    s.close()


# ---------------------------------------------------------------------- soft labels
def test_soft_labels_jsonl_and_the_hugging_face_dataset(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    s = classify_session(tmp_path / "s.db")
    label(s, lambda who, i, t: flip(t) if who == "cy" and i % 2 == 0 else t)
    soft = [
        json.loads(x) for x in s.export_final(tmp_path / "soft.jsonl", format="soft").read_text().splitlines()
    ]
    assert len(soft) == N and soft[0]["item_id"] == 1000
    assert soft[0]["soft_label"] == {"pos": pytest.approx(2 / 3), "neg": pytest.approx(1 / 3)}
    assert (
        soft[1]["soft_label"] == {"neg": 1.0} and soft[1]["agreement"] == 1.0 and "posterior" not in soft[1]
    )
    with pytest.warns(SmallPilotWarning):
        modelled = s.export_final(tmp_path / "ds.jsonl", format="soft", method="dawid_skene")
    first = json.loads(modelled.read_text().splitlines()[0])
    assert first["method"] == "dawid_skene" and first["posterior"]["pos"] > 0.5
    assert sum(first["posterior"].values()) == pytest.approx(1.0)

    out = s.export_final(tmp_path / "hf", format="hf", method="majority")
    ds = datasets.load_from_disk(str(out))
    assert len(ds) == N and ds.column_names[:2] == ["item_id", "text"]
    row = ds[0]
    assert row["item_id"] == 1000 and row["text"] == "review 0"
    assert row["annotators"] == ANNOTATORS and row["raw_labels"] == ["pos", "pos", "neg"]
    assert row["final_label"] == "pos" and row["status"] == "aggregated" and row["rule"] == "majority"
    assert row["agreement"] == pytest.approx(1 / 3) and row["n_annotators"] == 3
    assert row["soft_label"] == [
        {"label": "pos", "p": pytest.approx(2 / 3)},
        {"label": "neg", "p": pytest.approx(1 / 3)},
    ]
    assert ds[1]["rule"] == "unanimous" and ds[1]["confidence"] == pytest.approx(1.0)
    s.close()


def test_the_dataset_card_says_which_rule_decided(tmp_path: Path) -> None:
    s = classify_session(tmp_path / "s.db")
    label(s, lambda who, i, t: flip(t) if who == "cy" and i % 2 == 0 else t)
    plain = s.export(tmp_path / "plain")
    assert "final_labels" not in json.loads((plain / "card.json").read_text())
    first = json.loads((plain / "final_labels.jsonl").read_text().splitlines()[0])
    assert first["status"] == "unresolved" and first["rule"] is None and first["reason"] == "disagreement"
    out = s.export(tmp_path / "card", method="majority", min_confidence=0.6)
    card = json.loads((out / "card.json").read_text())
    assert card["final_labels"] == {"method": "majority", "min_confidence": 0.6}
    assert card["status_counts"] == {"aggregated": 10, "unanimous": 10}
    finals = [json.loads(x) for x in (out / "final_labels.jsonl").read_text().splitlines()]
    assert finals[0]["rule"] == "majority" and finals[0]["confidence"] == pytest.approx(2 / 3)
    assert finals[1]["rule"] == "unanimous" and finals[1]["reason"] is None
    disagreements = [json.loads(x) for x in (out / "disagreements.jsonl").read_text().splitlines()]
    assert len(disagreements) == 10 and {d["rule"] for d in disagreements} == {"majority"}
    readme = (out / "README.md").read_text()
    assert (
        "| aggregated | 10 |" in readme
        and "**Aggregation:** 10 disagreements were decided by majority" in readme
    )
    s.close()


def test_exports_from_final_labels_leave_out_items_without_one(tmp_path: Path) -> None:
    s = classify_session(tmp_path / "s.db")
    label(s, lambda who, i, t: flip(t) if who == "cy" and i % 2 == 0 else t)
    rows = [json.loads(x) for x in s.export_final(tmp_path / "f.jsonl").read_text().splitlines()]
    assert [r["item_id"] for r in rows] == [i for i in TRUTH if i % 2]  # the splits wait
    assert (
        rows[0]["value"] == "neg"
        and rows[0]["status"] == "unanimous"
        and rows[0]["annotators"]["ana"] == "neg"
    )
    csv = pd.read_csv(s.export_final(tmp_path / "f.csv", format="csv", method="majority"))
    assert len(csv) == N and set(csv["rule"]) == {"majority", "unanimous"}
    assert json.loads(csv.loc[0, "annotators"]) == {"ana": "pos", "ben": "pos", "cy": "neg"}
    parquet = pd.read_parquet(s.export_final(tmp_path / "f.parquet", format="parquet", method="majority"))
    assert list(parquet["value"]) == [TRUTH[i] for i in TRUTH]
    with pytest.raises(
        ValueError, match=r"format 'coco' is not one of .*, or a session's own \['soft', 'hf'\]"
    ):
        s.export_final(tmp_path / "x", format="coco")
    s.close()


# ---------------------------------------------------------------------- spans: BIO, CoNLL, spaCy
def test_span_final_labels_as_bio_conll_spacy_and_hf(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    datasets = pytest.importorskip("datasets")
    from spacy.tokens import DocBin

    df = pd.DataFrame({"text": ["Ada met Bob", "Paris in May", "Rome"]}, index=["d1", "d2", "d3"])
    s = nl.Session(tmp_path / "s.db", "ner", widget=nl.Spans, data=df, annotators=["ana", "ben"], overlap=2,
                   text="text", labels=["PER", "LOC"])  # fmt: skip
    ada, bob, paris = (
        {"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 11, "label": "PER"},
        {"start": 0, "end": 5, "label": "LOC"},
    )  # fmt: skip
    values = {
        "ana": {"d1": [ada, bob], "d2": [paris], "d3": []},
        "ben": {"d1": [ada, bob], "d2": [], "d3": []},
    }
    for name, by_item in values.items():
        w = s.labeler(name)
        for item, value in by_item.items():
            w.annotate(item, value)
    assert list(s.final_labels()["status"]) == ["unanimous", "unresolved", "unanimous"]
    adj = nl.Adjudicate(s, adjudicator="boss")
    adj.pick("d2", "ana")
    bio = s.export_final(tmp_path / "f.bio", format="bio").read_text()
    assert bio.split("\n\n")[0] == "Ada\tB-PER\nmet\tO\nBob\tB-PER"
    assert "Paris\tB-LOC" in bio and "__" not in bio
    conll = s.export_final(tmp_path / "f.conll", format="conll").read_text()
    assert conll.count("-DOCSTART-") == 3 and "Paris -X- _ B-LOC" in conll
    docs = list(
        DocBin()
        .from_disk(s.export_final(tmp_path / "f.spacy", format="spacy"))
        .get_docs(spacy.blank("xx").vocab)
    )
    assert [[(e.text, e.label_) for e in d.ents] for d in docs] == [
        [("Ada", "PER"), ("Bob", "PER")],
        [("Paris", "LOC")],
        [],
    ]
    assert [d.user_data["item_id"] for d in docs] == ["d1", "d2", "d3"] and "annotator" not in docs[
        0
    ].user_data
    jsonl = [
        json.loads(x) for x in s.export_final(tmp_path / "f.jsonl", format="jsonl").read_text().splitlines()
    ]
    assert jsonl[1] == {"item_id": "d2", "text": "Paris in May", "spans": [paris]}
    ds = datasets.load_from_disk(str(s.export_final(tmp_path / "hf", format="hf")))
    assert ds[1]["final_label"] == [paris] and ds[1]["status"] == "adjudicated"
    assert ds[1]["raw_labels"] == [[paris], []] and ds[1]["agreement"] == 0.0
    assert "soft_label" not in ds.column_names  # spans have no categories to share out
    s.close()


# ---------------------------------------------------------------------- boxes: COCO, YOLO, VOC
def _images(folder: Path) -> pd.DataFrame:
    """Three images in ``folder``: two of them with names that differ only in the extension
    would clash, so each has its own stem."""
    folder.mkdir()
    names = {"street": (640, 480), "park.v2": (320, 240), "road": (200, 100)}
    for name, size in names.items():
        Image.new("RGB", size, "white").save(folder / f"{name}.png")
    return pd.DataFrame({"image": [str(folder / f"{n}.png") for n in names]}, index=["i1", "i2", "i3"])


def ultralytics_label_path(image: str) -> str:
    """Where Ultralytics looks for an image's labels (``ultralytics.data.utils.img2label_paths``:
    the last ``/images/`` of the path becomes ``/labels/`` and the extension ``.txt``)."""
    head, sep, tail = image.rpartition("/images/")
    path = f"{head}/labels/{tail}" if sep else image
    return path.rsplit(".", 1)[0] + ".txt"


@pytest.fixture
def box_session(tmp_path: Path) -> nl.Session:
    df = _images(tmp_path / "photos")
    s = nl.Session(tmp_path / "s.db", "det", widget=nl.Boxes, data=df, annotators=["ana", "../evil"],
                   overlap=2, image="image", labels=["car", "bus"])  # fmt: skip
    car = {"x": 10, "y": 20, "w": 100, "h": 50, "label": "car"}
    bus = {"x": 50, "y": 50, "w": 60, "h": 40, "label": "bus"}
    values = {
        "ana": {"i1": [car, bus], "i2": [car], "i3": []},
        "../evil": {"i1": [car, bus], "i2": [bus], "i3": []},
    }
    for name, by_item in values.items():
        w = s.labeler(name)
        for item, value in by_item.items():
            w.annotate(item, value)
    yield s
    s.close()


def test_box_final_labels_as_coco_yolo_and_voc(box_session: nl.Session, tmp_path: Path) -> None:
    coco_api = pytest.importorskip("pycocotools.coco")
    s = box_session
    assert list(s.final_labels()["status"]) == ["unanimous", "unresolved", "unanimous"]
    coco = coco_api.COCO(str(s.export_final(tmp_path / "coco.json", format="coco")))
    images = coco.loadImgs(coco.getImgIds())
    assert [i["nblabel_item_id"] for i in images] == ["i1", "i3"]  # one image per item; i2 waits
    assert all("nblabel_annotator" not in i for i in images)
    assert sorted(a["bbox"] for a in coco.loadAnns(coco.getAnnIds(imgIds=[images[0]["id"]]))) == [
        [10, 20, 100, 50], [50, 50, 60, 40]
    ]  # fmt: skip

    yolo = s.export_final(tmp_path / "dataset", format="yolo")
    (yolo / "images").mkdir()
    for name in ("street.png", "road.png"):  # the images as Ultralytics expects them: images/ beside labels/
        (yolo / "images" / name).write_bytes((tmp_path / "photos" / name).read_bytes())
    for image in sorted((yolo / "images").iterdir()):
        assert Path(ultralytics_label_path(str(image))).is_file()
    lines = (yolo / "labels" / "street.txt").read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["0", "1"]
    assert [float(v) for v in lines[0].split()[1:]] == pytest.approx(
        [60 / 640, 45 / 480, 100 / 640, 50 / 480], abs=1e-6
    )
    assert (yolo / "labels" / "road.txt").read_text() == ""  # no object: an empty label file
    assert sorted(p.name for p in (yolo / "labels").iterdir()) == ["road.txt", "street.txt"]
    data_yaml = (yolo / "data.yaml").read_text()
    assert "train: images.txt" in data_yaml and '  0: "car"\n  1: "bus"' in data_yaml
    # Ultralytics trains on the images listed (./ is the list's folder): not park.v2.png, which has
    # no final label and would otherwise be read as an image without objects
    listed = (yolo / "images.txt").read_text().splitlines()
    assert listed == ["./images/street.png", "./images/road.png"]
    assert all((yolo / line[2:]).is_file() for line in listed)

    voc = s.export_final(tmp_path / "voc", format="voc")
    root = ET.parse(voc / "street.xml").getroot()
    assert root.find("filename").text == "street.png"  # the image's name, no folder of this machine
    assert [o.find("name").text for o in root.findall("object")] == ["car", "bus"]
    assert sorted(p.name for p in voc.iterdir()) == ["road.xml", "street.xml"]


def test_current_labels_give_one_yolo_dataset_per_annotator(box_session: nl.Session, tmp_path: Path) -> None:
    out = box_session.store.export("det", tmp_path / "yolo", format="yolo")
    folders = sorted(p.name for p in out.iterdir())
    assert len(folders) == 2 and "ana" in folders
    evil = next(f for f in folders if f != "ana")
    assert evil.startswith(".._evil-") and (out / evil).resolve().parent == out.resolve()  # stays inside
    for folder in folders:
        labels = out / folder / "labels"
        assert sorted(p.name for p in labels.iterdir()) == ["park.v2.txt", "road.txt", "street.txt"]
        assert ultralytics_label_path(str(out / folder / "images" / "park.v2.png")) == str(
            labels / "park.v2.txt"
        )
    assert (out / "ana" / "labels" / "park.v2.txt").read_text().startswith("0 ")
    assert (out / evil / "labels" / "park.v2.txt").read_text().startswith("1 ")
    voc = box_session.store.export("det", tmp_path / "voc", format="voc")
    root = ET.parse(voc / "ana" / "park.v2.xml").getroot()
    assert root.find("filename").text == "park.v2.png"


def test_images_with_the_same_name_cannot_share_a_yolo_dataset(tmp_path: Path) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        Image.new("RGB", (50, 40), "white").save(tmp_path / folder / "001.jpg")
    df = pd.DataFrame(
        {"image": [str(tmp_path / "a" / "001.jpg"), str(tmp_path / "b" / "001.jpg")]}, index=["x", "y"]
    )
    w = nl.Boxes(df, image="image", labels=["car"], task="det", annotator="ana", store=tmp_path / "b.db")
    for item in ("x", "y"):
        w.annotate(item, [{"x": 1, "y": 1, "w": 10, "h": 10, "label": "car"}])
    with pytest.raises(ValueError, match=r"items 'x' and 'y' both have an image named '001'"):
        w.store.export("det", tmp_path / "yolo", format="yolo")
    assert not (tmp_path / "yolo").exists()  # nothing half-written
    coco = json.loads(w.store.export("det", tmp_path / "c.json", format="coco").read_text())
    assert len(coco["images"]) == 2  # COCO keeps each path: both are there
    w.close()


def test_images_without_a_file_name_are_named_by_their_item_id(tmp_path: Path) -> None:
    import io

    def png() -> bytes:
        buf = io.BytesIO()
        Image.new("RGB", (60, 40), "white").save(buf, format="PNG")
        return buf.getvalue()

    df = pd.DataFrame({"image": [png(), png()]}, index=["a", "../b"])
    w = nl.Boxes(df, image="image", labels=["car"], task="det", annotator="ana", store=tmp_path / "b.db")
    for item in df.index:
        w.annotate(item, [{"x": 1, "y": 1, "w": 10, "h": 10, "label": "car"}])
    out = w.store.export("det", tmp_path / "yolo", format="yolo") / "ana"
    assert sorted(p.name for p in (out / "labels").iterdir()) == [".._b.txt", "a.txt"]  # no folder escapes
    assert not (out / "images.txt").exists() and "train: images\n" in (out / "data.yaml").read_text()
    voc = w.store.export("det", tmp_path / "voc", format="voc") / "ana"
    assert ET.parse(voc / ".._b.xml").getroot().find("filename").text == ".._b"
    w.close()


# ---------------------------------------------------------------------- compare: DPO, reward
def test_compare_final_labels_as_dpo_reward_and_hf(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    df = pd.DataFrame(
        {"p": ["q1", "q2", "q3"], "x": ["a1", "a2", "a3"], "y": ["b1", "b2", "b3"]}, index=[1, 2, 3]
    )
    s = nl.Session(tmp_path / "s.db", "pref", widget=nl.Compare, data=df, annotators=ANNOTATORS, overlap=3,
                   prompt="p", a="x", b="y")  # fmt: skip
    choices = {"ana": ["A", "B", "A"], "ben": ["A", "A", "tie"], "cy": ["B", "A", "B"]}
    for name, picks in choices.items():
        w = s.labeler(name)
        for item, choice in zip([1, 2, 3], picks, strict=True):
            w.annotate(item, {"choice": choice, "strength": 2 if name == "ben" and choice != "tie" else 1}
                       if choice != "tie" else {"choice": "tie"})  # fmt: skip
    final = s.final_labels(method="majority")
    assert list(final["status"]) == ["aggregated", "aggregated", "unresolved"]
    assert final.loc[1, "value"]["choice"] == "A" and final.loc[3, "reason"] == "tie"
    dpo_file = s.export_final(tmp_path / "d.jsonl", format="dpo", method="majority")
    dpo = datasets.load_dataset("json", data_files=str(dpo_file), split="train")
    assert dpo.to_list() == [{"prompt": "q1", "chosen": "a1", "rejected": "b1"},
                             {"prompt": "q2", "chosen": "a2", "rejected": "b2"}]  # fmt: skip
    reward = [json.loads(x) for x in s.export_final(tmp_path / "r.jsonl", format="reward", method="majority")
              .read_text().splitlines()]  # fmt: skip
    # the judgement most of the annotators of the winning choice gave; one each: the first by name
    assert [r["margin"] for r in reward] == [1.0, 2.0]  # item 1: ana's (ana, ben); item 2: ben's (ben, cy)
    judged = [json.loads(x) for x in s.export_final(tmp_path / "j.jsonl", format="jsonl", method="majority")
              .read_text().splitlines()]  # fmt: skip
    assert [j["item_id"] for j in judged] == [1, 2] and "annotator" not in judged[0]
    ds = datasets.load_from_disk(str(s.export_final(tmp_path / "hf", format="hf", method="majority")))
    assert ds.column_names[0] == "item_id" and set(ds.column_names[1:4]) == {"prompt", "a", "b"}
    assert [r["label"] for r in ds[2]["soft_label"]] == ["A", "B", "tie"]
    assert ds[0]["final_label"]["choice"] == "A" and ds[2]["final_label"] is None
    s.close()


def test_ranking_final_labels_as_dpo_pairs(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {"q": ["Q1?", "Q2?"], "r1": ["one", "uno"], "r2": ["two", "dos"], "r3": ["three", "tres"]}
    )
    s = nl.Session(tmp_path / "s.db", "rank", widget=nl.Compare, data=df, annotators=["ana", "ben"],
                   overlap=2, prompt="q", responses=["r1", "r2", "r3"])  # fmt: skip
    rankings = {
        "ana": [[["r2"], ["r1", "r3"]], ["r1", "r2", "r3"]],
        "ben": [[["r2"], ["r1", "r3"]], ["r3", "r2", "r1"]],
    }
    for name, values in rankings.items():
        w = s.labeler(name)
        for item, value in zip(df.index, values, strict=True):
            w.annotate(item, value)
    assert list(s.final_labels()["status"]) == ["unanimous", "unresolved"]
    with pytest.raises(ValueError, match="not supported for rankings"):
        s.final_labels(method="majority")  # a ranking is no category to vote on
    dpo = [json.loads(x) for x in s.export_final(tmp_path / "d.jsonl", format="dpo").read_text().splitlines()]
    assert dpo == [{"prompt": "Q1?", "chosen": "two", "rejected": "one"},
                   {"prompt": "Q1?", "chosen": "two", "rejected": "three"}]  # fmt: skip
    s.close()


# ---------------------------------------------------------------------- values= of store.export
def test_a_column_arrow_cannot_type_alike_is_written_as_json(tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    from nblabel.exports.hf import write_hf_dataset

    records = [{"id": "a", "value": 3}, {"id": "b", "value": "three"}, {"id": "c", "value": None}]
    ds = datasets.load_from_disk(str(write_hf_dataset(records, tmp_path / "hf", ["id", "value"])))
    assert ds["value"] == ["3", '"three"', None] and ds["id"] == ["a", "b", "c"]


def test_store_export_checks_the_values_it_is_given(box_session: nl.Session, tmp_path: Path) -> None:
    store = box_session.store
    with pytest.raises(TypeError, match="values= must be a DataFrame"):
        store.export("det", tmp_path / "x.json", format="coco", values=[1, 2])
    with pytest.raises(ValueError, match=r"values= has no 'value' column to export; columns: \['label'\]"):
        store.export("det", tmp_path / "x.json", format="coco", values=pd.DataFrame({"label": ["car"]}))
    twice = pd.DataFrame({"item_id": ["i1", "i1"], "value": [[], []]})
    with pytest.raises(ValueError, match="gives item 'i1' more than one value"):
        store.export("det", tmp_path / "x.json", format="coco", values=twice)
    outside = pd.DataFrame({"value": [[{"x": 600, "y": 0, "w": 100, "h": 10, "label": "car"}]]}, index=["i3"])
    with pytest.raises(ValueError, match=r"values= item 'i3': box .* is outside the 200×100 image"):
        store.export("det", tmp_path / "x.json", format="coco", values=outside)
    mine = pd.DataFrame({"value": [[{"x": 0, "y": 0, "w": 20, "h": 20, "label": "bus"}]]}, index=["i3"])
    coco = json.loads(store.export("det", tmp_path / "m.json", format="coco", values=mine).read_text())
    assert [a["bbox"] for a in coco["annotations"]] == [[0, 0, 20, 20]]
    assert not np.isnan(coco["annotations"][0]["area"])


class _OlderKind(ClassifyKind):
    """A kind written before exporters took ``values=``: its own format writes current labels only."""

    name = "older-kind"
    export_formats = ("txt",)

    def export_own(self, store, task, path, format, **options):
        path.write_text("\n".join(map(str, store.current(task)["value"])), encoding="utf-8")
        return path


def test_a_kind_without_values_in_its_own_format_refuses_them(tmp_path: Path) -> None:
    kind = registry.register(_OlderKind())
    try:
        store = nl.Store(tmp_path / "k.db")
        store.register_task("old", "older-kind", ["abc", "xyz"])
        store.append_many([Event(task="old", item_id="1", item_kind="int", annotator=a, kind="label", value=v)
                           for a, v in (("ana", "abc"), ("bob", "xyz"))])  # fmt: skip
        final = pd.DataFrame({"value": ["xyz"]}, index=pd.Index([1], name="item_id"))
        assert store.export("old", tmp_path / "o.txt", format="txt").read_text() == "abc\nxyz"
        with pytest.raises(ValueError, match="older-kind tasks cannot write given values= as 'txt'"):
            store.export("old", tmp_path / "f.txt", format="txt", values=final)
        rows = [
            json.loads(x)
            for x in store.export("old", tmp_path / "f.jsonl", values=final).read_text().splitlines()
        ]
        assert rows == [{"item_id": 1, "value": "xyz"}]  # the table formats every kind has take them
        store.close()
    finally:
        registry._KINDS.pop(kind.name)
