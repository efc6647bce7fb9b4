"""The Hugging Face dataset of any task (``store.export(task, folder, format="hf")``, written by
nblabel.exports.hf_task through the registered ``hf`` file format): written from a real store,
read back with ``datasets.load_from_disk``, every column checked, the card (README.md) read as
Markdown and its YAML by huggingface_hub."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import nblabel as nl

datasets = pytest.importorskip("datasets")

HOSTILE_TASK = 'rev|iews <script>alert("t")</script> *bold* `x` ---\npretty_name: pwned'
HOSTILE_LABEL = "<b>neg</b>|[x](javascript:alert(1))"
HOSTILE_NAME = "<img src=x onerror=alert(1)> | cy_*"
TEXTS = {
    1: "fine",
    2: "</td><script>alert(1)</script>",
    3: "שלום 🙂 \u202eevil",
    4: "a | b",
    5: "retracted",
    6: "never labeled",
}


def load(path: Path) -> Any:
    return datasets.load_from_disk(str(path))


def column(ds: Any, name: str) -> list[Any]:
    return [row[name] for row in ds]


def classify_task(store: nl.Store, task: str = "t", labels: list[str] | None = None) -> list[str]:
    """Three annotators on six reviews: unanimous (1), a 2-1 majority (2), a 1-1 tie with a skip
    (3), one annotator (4), a label taken back (5), nothing (6). Returns the annotators."""
    labels = labels or ["pos", "neg", "neu"]
    pos, neg, neu = labels
    df = pd.DataFrame({"text": list(TEXTS.values())}, index=pd.Index(list(TEXTS), name="rid"))
    plan = {
        "ana": {1: pos, 2: pos, 3: pos, 4: neu, 5: neg},
        "bo": {1: pos, 2: pos, 3: neg},
        HOSTILE_NAME: {1: pos, 2: neg, 3: None},
    }
    for name, answers in plan.items():
        w = nl.Classify(df, text="text", labels=labels, task=task, annotator=name, store=store)
        for item, value in answers.items():
            if value is None:
                w.skip(item)
            else:
                w.annotate(item, value)
        if name == "ana":
            w.undo()  # item 5's label is taken back: the item stays in the store, without a label
        w.close()
    return sorted(plan)


def test_a_classify_task_as_a_dataset_with_its_card(store: nl.Store, tmp_path: Path) -> None:
    names = classify_task(store)
    out = store.export("t", tmp_path / "hf", format="hf")
    ds = load(out)
    assert ds.column_names == [
        "item_id", "text", "annotators", "raw_labels", "final_label", "rule", "n_annotators", "agreement",
    ]  # fmt: skip
    assert column(ds, "item_id") == [1, 2, 3, 4, 5]  # 6 was never labeled
    assert column(ds, "text") == [TEXTS[i] for i in range(1, 6)]  # hostile text as it was
    cy, ana, bo = names  # sorted by name: "<" comes before letters
    assert cy == HOSTILE_NAME
    assert column(ds, "annotators") == [[cy, ana, bo], [cy, ana, bo], [ana, bo], [ana], []]
    assert column(ds, "raw_labels") == [
        ["pos", "pos", "pos"], ["neg", "pos", "pos"], ["pos", "neg"], ["neu"], [],
    ]  # fmt: skip
    assert column(ds, "final_label") == ["pos", "pos", None, "neu", None]
    assert column(ds, "rule") == ["unanimous", "majority", None, "single", None]
    assert column(ds, "n_annotators") == [3, 3, 2, 1, 0]
    agreement = column(ds, "agreement")
    assert agreement[0] == 1.0 and agreement[1] == pytest.approx(2 / 3) and agreement[3] == 1.0
    assert agreement[2] is None and agreement[4] is None
    assert str(ds.features["raw_labels"].feature) == str(datasets.Value("string"))

    readme = (out / "README.md").read_text(encoding="utf-8")
    report = nl.agreement_report(store.annotations("t"))
    assert f"| Fleiss' κ | {report.loc['fleiss_kappa', 'value']:.3f} |" in readme
    assert "| majority | 1 |" in readme and "| unanimous | 1 |" in readme and "| single | 1 |" in readme
    assert "| undecided | 1 |" in readme
    assert "5 items, 4 of them labeled, by 3 annotators" in readme and "9 labels" in readme
    assert "Labels: pos, neg, neu." in readme and "a **classify** task" in readme
    assert "| pos | 2 |" in readme and "| neu | 1 |" in readme  # labels of the final labels
    assert 'the majority vote of `nl.aggregate(method="majority")`' in readme
    assert "| ana | 4 | 100% of 3 |" in readme  # ana's tie (item 3) is undecided
    assert "<img" not in readme and "&lt;img src=x onerror=alert(1)&gt; \\| cy\\_\\*" in readme
    assert "load_from_disk" in readme


def test_the_card_survives_hostile_names(tmp_path: Path) -> None:
    hub = pytest.importorskip("huggingface_hub")
    store = nl.Store(tmp_path / "s.db")
    classify_task(store, HOSTILE_TASK, ["pos", HOSTILE_LABEL, "neu\u0085\x7f"])
    out = store.export(HOSTILE_TASK, tmp_path / "hf", format="hf")
    ds = load(out)
    assert column(ds, "raw_labels")[1] == [HOSTILE_LABEL, "pos", "pos"]
    readme = (out / "README.md").read_text(encoding="utf-8")
    card = hub.DatasetCard.load(out / "README.md")
    assert card.data.pretty_name == HOSTILE_TASK and card.data.tags == ["nblabel"]
    body = readme.split("---\n", 2)[2]
    assert "pretty_name" not in body.replace("pretty\\_name", "")  # the newline did not open a line
    assert "<script" not in body and "<b>" not in body
    assert re.search(r"(?<!\\)\]\(javascript", body) is None  # no link: the bracket is escaped
    assert "&lt;b&gt;neg&lt;/b&gt;\\|\\[x\\](javascript:alert(1))" in body
    first = body.splitlines()[1]
    assert first.startswith("# rev\\|iews &lt;script&gt;") and first.endswith("pretty\\_name: pwned")
    store.close()


def test_a_single_annotator_task_has_no_agreement_yet(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "s.db")
    df = pd.DataFrame({"text": ["a", "b"]}, index=["x", "y"])
    w = nl.Classify(df, text="text", labels=["pos", "neg"], task="solo", annotator="ana", store=store)
    w.annotate("x", "neg")
    w.close()
    ds = load(store.export("solo", tmp_path / "hf", format="hf"))
    assert column(ds, "item_id") == ["x"] and column(ds, "rule") == ["single"]
    readme = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    assert "No item has labels from two annotators yet." in readme
    store.register_task("empty", "classify", ["a"])
    empty = load(store.export("empty", tmp_path / "empty", format="hf"))
    assert len(empty) == 0 and "item_id" in empty.column_names
    assert (
        "0 items, 0 of them labeled, by 0 annotators (none)" in (tmp_path / "empty" / "README.md").read_text()
    )
    with pytest.raises(KeyError, match="nope"):
        store.export("nope", tmp_path / "x", format="hf")
    store.close()


# ---------------------------------------------------------------------- multi-label and values=
def multi_task(store: nl.Store) -> None:
    df = pd.DataFrame({"text": ["one", "two", "three"]}, index=[10, 20, 30])
    plan = {
        "ana": {10: ["x", "y"], 20: ["x"], 30: ["z"]},
        "bo": {10: ["x"], 20: ["x", "y"], 30: ["z"]},
        "cy": {10: ["y", "x"], 20: ["y"]},
    }
    for name, answers in plan.items():
        w = nl.Classify(
            df, text="text", labels=["x", "y", "z"], multi=True, task="m", annotator=name, store=store
        )
        for item, value in answers.items():
            w.annotate(item, value)
        w.close()


def test_a_multi_label_task_votes_label_by_label(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "s.db")
    multi_task(store)
    out = store.export("m", tmp_path / "hf", format="hf")
    ds = load(out)
    raw = [[["x", "y"], ["x"], ["x", "y"]], [["x"], ["x", "y"], ["y"]], [["z"], ["z"]]]
    assert column(ds, "raw_labels") == raw  # cy's ["y", "x"] is stored in the label set's order
    # 10: x by 3 of 3, y by 2 of 3 -> {x, y}; 20: x 2/3, y 2/3 -> {x, y}, which only bo gave
    assert column(ds, "final_label") == [["x", "y"], ["x", "y"], ["z"]]
    assert column(ds, "rule") == ["majority", "majority", "unanimous"]
    assert column(ds, "agreement") == [pytest.approx(2 / 3), pytest.approx(1 / 3), 1.0]
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "label by label (`majority`)" in readme and "| x | 2 |" in readme and "| z | 1 |" in readme
    assert "percent agreement (exact label set)" in readme
    store.close()


def test_values_are_the_final_labels(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "s.db")
    multi_task(store)
    given = pd.DataFrame({"value": [["y"], ["x", "y"], None]}, index=[10, 20, 40])
    ds = load(store.export("m", tmp_path / "hf", format="hf", values=given))
    assert column(ds, "item_id") == [10, 20, 30]  # 40 has no value: left out, as every exporter does
    assert column(ds, "final_label") == [["y"], ["x", "y"], None]
    assert column(ds, "rule") == ["given", "given", None]
    assert column(ds, "agreement") == [0.0, pytest.approx(1 / 3), None]
    readme = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    assert "given with the export (`values=`" in readme and "| given | 2 |" in readme
    assert "| undecided | 1 |" in readme
    unlabeled = pd.DataFrame({"item_id": [99], "value": [["z"]]})
    ds = load(store.export("m", tmp_path / "hf2", format="hf", values=unlabeled))
    assert column(ds, "item_id")[-1] == 99 and column(ds, "annotators")[-1] == []
    assert column(ds, "final_label")[-1] == ["z"] and column(ds, "agreement")[-1] is None
    per_annotator = pd.DataFrame({"item_id": [10], "annotator": ["ana"], "value": [["x"]]})
    with pytest.raises(ValueError, match="one value per item, without an 'annotator' column"):
        store.export("m", tmp_path / "hf3", format="hf", values=per_annotator)
    with pytest.raises(ValueError, match="values= has no 'value' column"):
        store.export("m", tmp_path / "hf3", format="hf", values=pd.DataFrame({"label": [1]}))
    store.close()


# ---------------------------------------------------------------------- spans, boxes, compare
def test_spans_and_boxes_have_no_vote_on_disagreement(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "s.db")
    texts = pd.DataFrame({"text": ["Ann in Rome", "Bob <b>"]}, index=["d1", "d2"])
    images = pd.DataFrame({"image": [np.zeros((30, 40, 3), np.uint8)] * 2}, index=["i1", "i2"])
    ann, rome = (0, 3, "PER"), (7, 11, "LOC")
    car = {"x": 1, "y": 1, "w": 10, "h": 10, "label": "car"}
    moved = {"x": 20, "y": 15, "w": 10, "h": 10, "label": "car"}
    for name, spans, boxes in [("ana", [[ann, rome], [(0, 3, "PER")]], [[car], [car]]),
                               ("bo", [[ann, rome], []], [[car], [moved]])]:  # fmt: skip
        s = nl.Spans(texts, text="text", labels=["PER", "LOC"], task="ner", annotator=name, store=store)
        b = nl.Boxes(images, image="image", labels=["car"], task="det", annotator=name, store=store)
        for item, value in zip(texts.index, spans, strict=True):
            s.annotate(item, value)
        for item, value in zip(images.index, boxes, strict=True):
            b.annotate(item, value)
        s.close()
        b.close()
    ner = load(store.export("ner", tmp_path / "ner", format="hf"))
    span = lambda start, end, label: {"start": start, "end": end, "label": label}  # noqa: E731
    assert column(ner, "text") == ["Ann in Rome", "Bob <b>"]
    assert column(ner, "final_label") == [[span(0, 3, "PER"), span(7, 11, "LOC")], None]
    assert column(ner, "raw_labels")[1] == [[span(0, 3, "PER")], []]
    assert column(ner, "rule") == ["unanimous", None] and column(ner, "agreement") == [1.0, None]
    card = (tmp_path / "ner" / "README.md").read_text(encoding="utf-8")
    assert "a spans task's values are not categories to vote on" in card and "span F1" in card
    assert "| PER | 1 |" in card and "| LOC | 1 |" in card and "| undecided | 1 |" in card
    det = load(store.export("det", tmp_path / "det", format="hf"))
    assert det.column_names[:3] == ["item_id", "width", "height"]  # the store keeps the image's size
    assert column(det, "width") == [40, 40] and column(det, "height") == [30, 30]
    box = {"x": 1.0, "y": 1.0, "w": 10.0, "h": 10.0, "label": "car"}
    assert column(det, "final_label") == [[box], None] and column(det, "rule") == ["unanimous", None]
    assert "box F1" in (tmp_path / "det" / "README.md").read_text(encoding="utf-8")
    store.close()


def test_a_compare_task_keeps_the_majority_judgement(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "s.db")
    pairs = pd.DataFrame({"prompt": ["Q?"], "a": ["one"], "b": ["two"]}, index=[7])
    plan = {"ana": {"choice": "B", "strength": 2}, "bo": {"choice": "B"}, "cy": {"choice": "A"},
            "dee": {"choice": "B", "strength": 2}}  # fmt: skip
    for name, value in plan.items():
        w = nl.Compare(pairs, prompt="prompt", a="a", b="b", task="cmp", annotator=name, store=store)
        w.annotate(7, value)
        w.close()
    ds = load(store.export("cmp", tmp_path / "hf", format="hf"))
    row = ds[0]
    assert (row["prompt"], row["a"], row["b"]) == ("Q?", "one", "two")
    assert [v["choice"] for v in row["raw_labels"]] == ["B", "B", "A", "B"]
    assert row["final_label"]["choice"] == "B" and row["final_label"]["strength"] == 2  # 2 of the 3 B's
    assert row["rule"] == "majority" and row["agreement"] == pytest.approx(3 / 4)
    card = (tmp_path / "hf" / "README.md").read_text(encoding="utf-8")
    assert "on the category of each value" in card and "| B | 1 |" in card and "position bias" in card
    store.close()


# ---------------------------------------------------------------------- the registered format
def test_the_hf_format_is_written_only_and_takes_n_boot(tmp_path: Path, capsys: Any) -> None:
    from nblabel.cli import main

    store = nl.Store(tmp_path / "s.db")
    classify_task(store)
    out = store.export("t", tmp_path / "hf", format="hf", n_boot=0)
    assert "| Fleiss' κ | " in (out / "README.md").read_text(encoding="utf-8")
    assert "| — – — |" in (out / "README.md").read_text(encoding="utf-8")  # no bootstrap, no interval
    with pytest.raises(TypeError, match=r"export options \['keep_ties'\] do not apply to format='hf'"):
        store.export("t", tmp_path / "x", format="hf", keep_ties=True)
    with pytest.raises(ValueError, match="format 'hf' is written by store.export, not imported"):
        store.import_file(out, format="hf", task="again")
    assert "again" not in set(store.tasks()["task"])  # refused before anything is written
    store.close()
    code = main(["export", str(tmp_path / "s.db"), "-t", "t", "-f", "hf", "-o", str(tmp_path / "cli")])
    assert code == 0 and "wrote" in capsys.readouterr().out
    assert column(load(tmp_path / "cli"), "final_label") == ["pos", "pos", None, "neu", None]
