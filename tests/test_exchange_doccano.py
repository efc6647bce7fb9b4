"""doccano's JSON Lines in and out: exports made the way doccano makes them (each member's file
written by pandas ``to_json(orient="records", force_ascii=False, lines=True)``, every example
listed in every member's file, ``[]`` where the member did not label it, zipped with
``shutil.make_archive`` — ``backend/data_export`` of doccano; span offsets in UTF-16 code
units, as doccano's browser counts them), imported through ``Store.import_file`` on SQLite and
PostgreSQL, and exported back with ``Store.export``."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import nblabel as nl
from nblabel.exchange.doccano import DOCCANO, annotator_file, annotator_of

TEXTS = [
    "EU rejects German call to boycott British lamb.",
    "🦄 Grace Hopper 👩‍👩‍👧 visited Tokyo 🇯🇵 — see https://example.org/a/b",
    "<b>Ada</b> wrote to <script>alert('x')</script> Paris & 𝔄𝔡𝔞",
    "Peter Blackburn",
]


def u16(text: str, i: int) -> int:
    """Code-point offset ``i`` of ``text`` in UTF-16 code units (what JavaScript counts)."""
    return len(text[:i].encode("utf-16-le")) // 2


def span16(text: str, marked: str, label: str) -> list[Any]:
    """``[start, end, label]`` of ``marked`` in ``text``, as doccano writes it (UTF-16)."""
    start = text.index(marked)
    return [u16(text, start), u16(text, start + len(marked)), label]


def doccano_export(tmp_path: Path, members: dict[str, list[dict[str, Any]]], name: str = "export") -> Path:
    """A doccano export zip: one ``<username>.jsonl`` per member (pandas ``to_json`` lines)."""
    folder = tmp_path / name
    folder.mkdir()
    for user, records in members.items():
        pd.DataFrame(records).to_json(
            folder / f"{user}.jsonl", orient="records", force_ascii=False, lines=True
        )
    return Path(shutil.make_archive(str(folder), "zip", folder))


def example(i: int, label: list[Any], **meta: Any) -> dict[str, Any]:
    return {"id": i + 1, "text": TEXTS[i], **meta, "label": label, "Comments": []}


ENTITIES = {  # member -> example -> [(marked string, label)]
    "admin": {0: [("EU", "ORG"), ("German", "MISC"), ("British", "MISC")], 1: [("Grace Hopper", "PER"),
              ("Tokyo", "LOC")], 2: [("Paris", "LOC"), ("𝔄𝔡𝔞", "PER")]},
    "ana": {0: [("EU", "ORG"), ("German", "MISC")], 1: [("Grace Hopper", "PER"), ("Tokyo", "LOC")],
            2: [("Paris", "LOC")], 3: [("Peter Blackburn", "PER")]},
    "bob": {1: [("Hopper", "PER"), ("Tokyo", "ORG")]},
}  # fmt: skip


def sequence_export(tmp_path: Path) -> Path:
    members = {
        user: [
            example(i, [span16(TEXTS[i], m, lab) for m, lab in by_item.get(i, [])]) for i in range(len(TEXTS))
        ]
        for user, by_item in ENTITIES.items()
    }
    return doccano_export(tmp_path, members)


def standing(store: nl.Store, task: str) -> dict[tuple[Any, str], tuple[str, Any]]:
    current = store.current(task)
    return {(r["item_id"], r["annotator"]): (r["kind"], r["value"]) for r in current.to_dict("records")}


def marked(store: nl.Store, task: str) -> dict[tuple[Any, str], list[tuple[str, str]]]:
    """Each standing span value as the strings it marks, with their labels."""
    texts = store.items(task)["text"]
    return {
        key: [(texts[key[0]][s["start"] : s["end"]], s["label"]) for s in value]
        for key, (kind, value) in standing(store, task).items()
    }


# ------------------------------------------------------------------------------------ pure parts
def test_annotator_file_names_round_trip():
    for name in [
        "admin",
        "ana.b+c@x-y_z",
        "a/b",
        "../etc",
        ".hidden",
        "100%",
        "<b>bob</b> 🦄",
        "ümlaut",
        "~",
    ]:
        file = annotator_file(name)
        assert "/" not in file and not file.startswith(".") and file.endswith(".jsonl")
        assert annotator_of(file) == name
    assert annotator_file("admin") == "admin.jsonl"  # doccano's own usernames stay as they are
    with pytest.raises(ValueError, match="longer than file systems take"):
        annotator_file("x" * 300)


# ------------------------------------------------------------------------------------ sequence labeling
def test_sequence_labeling_export_zip(store: nl.Store, tmp_path: Path):
    path = sequence_export(tmp_path)
    summary = store.import_file(path, format="doccano", task="ner")
    assert summary.kind == "spans" and summary.annotators == ["admin", "ana", "bob"]
    # every member's file lists every example; only the labeled ones are events
    assert summary.events == summary.written == 3 + 4 + 1
    assert store.task("ner").labels == ["ORG", "MISC", "PER", "LOC"]
    # UTF-16 offsets became code points: each span marks what the member marked
    got = marked(store, "ner")
    for user, by_item in ENTITIES.items():
        for i, spans in by_item.items():
            assert sorted(got[(i + 1, user)]) == sorted(spans)
    assert set(store.items("ner")["text"]) == set(TEXTS)  # "\/" of pandas read back as "/"
    report = nl.agreement_report(store.annotations("ner"), n_boot=20, seed=1)
    assert report.kind == "spans"
    again = store.import_file(path, format="doccano", task="ner")
    assert (again.written, again.already_present) == (0, 8)
    assert len(store.annotations("ner")) == 8


def test_entities_with_relations_and_intent_detection(store: nl.Store, tmp_path: Path):
    text = TEXTS[1]
    start, end, _ = span16(text, "Tokyo", "LOC")
    rel = {"id": 1, "text": text, "Comments": [], "relations": [],
           "entities": [{"id": 7, "label": "LOC", "start_offset": start, "end_offset": end}]}  # fmt: skip
    path = tmp_path / "ana.jsonl"
    path.write_text(json.dumps(rel, ensure_ascii=False) + "\n", encoding="utf-8")
    store.import_file(path, format="doccano", task="rel")
    assert marked(store, "rel") == {(1, "ana"): [("Tokyo", "LOC")]}
    intent = {"id": 2, "text": "book a flight to Tokyo", "entities": [[17, 22, "CITY"]], "cats": ["BOOK"]}
    path = tmp_path / "bob.jsonl"
    path.write_text(json.dumps(intent) + "\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match="every line fits categories and spans answers: pass field='entities'"
    ):
        store.import_file(path, format="doccano", task="intent")
    store.import_file(path, format="doccano", task="slots", field="entities")
    store.import_file(path, format="doccano", task="intent", field="cats")
    assert standing(store, "intent") == {(2, "bob"): ("label", "BOOK")}
    assert marked(store, "slots") == {(2, "bob"): [("Tokyo", "CITY")]}


def test_offsets_counted_as_the_file_says(store: nl.Store, tmp_path: Path):
    text = "नमस्ते 🦄 Tokyo"  # combining marks and an astral emoji before the span
    at = text.index("Tokyo")
    graphemes = len([*__import__("regex").finditer(r"\X", text[:at])])
    for offsets, start in (("utf-16", u16(text, at)), ("graphemes", graphemes), ("code-points", at)):
        path = tmp_path / f"{offsets}.jsonl"
        path.write_text(
            json.dumps({"id": 1, "text": text, "label": [[start, start + 5, "LOC"]]}) + "\n", "utf-8"
        )
        store.import_file(path, format="doccano", task=offsets, offsets=offsets)
        assert marked(store, offsets) == {(1, offsets): [("Tokyo", "LOC")]}
    # an offset inside a surrogate pair is no UTF-16 offset of the text
    bad = tmp_path / "ana.jsonl"
    bad.write_text(json.dumps({"id": 1, "text": "🦄 x", "label": [[1, 4, "X"]]}) + "\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"ana\.jsonl: line 1: label\[0\]: UTF-16 offset 1 splits a character"
    ):
        store.import_file(bad, format="doccano", task="bad")
    with pytest.raises(ValueError, match="offsets= must be one of"):
        store.import_file(bad, format="doccano", task="bad", offsets="bytes")


# ------------------------------------------------------------------------------------ classification
def classification_export(tmp_path: Path) -> Path:
    votes = {"admin": [["positive"], ["negative"], [], ["positive"]],
             "ana": [["positive"], ["positive"], ["neutral"], []],
             "bob": [["negative"], ["negative"], ["neutral"], ["positive"]]}  # fmt: skip
    members = {u: [example(i, v, source="web") for i, v in enumerate(vs)] for u, vs in votes.items()}
    return doccano_export(tmp_path, members, "classes")


def test_text_classification_export_zip(store: nl.Store, tmp_path: Path):
    path = classification_export(tmp_path)
    summary = store.import_file(path, format="doccano", task="sent")
    assert summary.kind == "classify" and summary.events == 10
    info = store.task("sent")
    assert info.labels == ["positive", "negative", "neutral"] and info.config == {}
    now = standing(store, "sent")
    assert now[(2, "ana")] == ("label", "positive") and (3, "admin") not in now
    frame = store.annotations("sent")
    assert nl.agreement_report(frame, n_boot=20, seed=1).kind == "classify"
    assert nl.aggregate(frame, method="majority").loc[2, "label"] == "negative"
    nl.Dashboard(store, task="sent", live=False).close()
    again = store.import_file(path, format="doccano", task="sent")
    assert again.written == 0


def test_several_categories_are_multi_label_and_empty_lists(store: nl.Store, tmp_path: Path):
    lines = [{"id": 1, "text": "a", "label": ["sport", "politics"]}, {"id": 2, "text": "b", "label": []},
             {"id": 3, "text": "c", "label": ["sport"]}]  # fmt: skip
    path = tmp_path / "ana.jsonl"
    path.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    store.import_file(path, format="doccano", task="topics")
    assert store.task("topics").config == {"multi": True}
    assert standing(store, "topics") == {
        (1, "ana"): ("label", ["sport", "politics"]),
        (3, "ana"): ("label", ["sport"]),
    }
    # a confirmed-only export: an empty list is an answer
    store.import_file(path, format="doccano", task="confirmed", keep_empty=True)
    assert standing(store, "confirmed")[(2, "ana")] == ("label", [])
    with pytest.raises(ValueError, match=r"line 1: label: 2 labels, but multi=False"):
        DOCCANO.read(path, multi=False)


# ------------------------------------------------------------------------------------ files, folders, zips
def test_a_folder_a_file_and_a_json_array(store: nl.Store, tmp_path: Path):
    folder = tmp_path / "folder"
    folder.mkdir()
    for user, label in (("ana", "pos"), ("bob", "neg")):
        (folder / f"{user}.jsonl").write_text(
            json.dumps({"id": 1, "text": "t", "label": [label]}) + "\n", "utf-8"
        )
    (folder / ".DS_Store").write_bytes(b"\x00\x01")
    (folder / "notes.txt").write_text("not doccano", encoding="utf-8")
    store.import_file(folder, format="doccano", task="f")
    assert standing(store, "f") == {(1, "ana"): ("label", "pos"), (1, "bob"): ("label", "neg")}
    with pytest.raises(ValueError, match="annotator= names the annotator of a single file"):
        store.import_file(folder, format="doccano", task="f", annotator="x")
    single = folder / "ana.jsonl"
    store.import_file(single, format="doccano", task="g", annotator="Ana Lopez")
    assert standing(store, "g") == {(1, "Ana Lopez"): ("label", "pos")}
    array = tmp_path / "cy.json"
    array.write_text(json.dumps([{"id": "x", "text": "t", "label": ["pos"]}]), encoding="utf-8")
    store.import_file(array, format="doccano", task="h")
    assert standing(store, "h") == {("x", "cy"): ("label", "pos")}


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"text": "t", "label": ["a"]}, r"ana\.jsonl, line 2: has no 'id' to identify the example"),
        ({"id": 2, "filename": "a.png", "label": ["cat"]}, r"line 2: text: a doccano line needs the exam"),
        ({"id": 2, "text": "t", "annotations": [{"label": 3, "start_offset": 0, "end_offset": 1, "user": 1}]},
         r"line 2: an export of doccano before 1\.6"),
        ({"id": 2, "text": "t", "label": "a"}, r"line 2: label: must be a list"),
        ({"id": 2, "text": "t", "label": ["a", [0, 1, "X"]]}, r"line 2: label: mixes label names and spans"),
        ({"id": 2, "text": "t", "label": [[0, 1, "X"]]}, r"line 2: records spans answers, but the lines"),
        ({"id": [2], "text": "t", "label": ["a"]}, r"line 2: id: an item id must be text or a number"),
    ],
)  # fmt: skip
def test_errors_name_the_file_line_and_field(store: nl.Store, tmp_path: Path, record, message):
    folder = tmp_path / "exp"
    folder.mkdir()
    (folder / "admin.jsonl").write_text(json.dumps({"id": 9, "text": "u", "label": ["a"]}) + "\n", "utf-8")
    good = json.dumps({"id": 1, "text": "t", "label": ["a"]})
    (folder / "ana.jsonl").write_text(f"{good}\n{json.dumps(record)}\n", encoding="utf-8")
    archive = Path(shutil.make_archive(str(folder), "zip", folder))
    with pytest.raises(ValueError, match=message) as err:
        store.import_file(archive, format="doccano", task="t")
    assert str(archive) in str(err.value)
    assert store.tasks().empty


def test_a_bad_span_names_its_field(store: nl.Store, tmp_path: Path):
    path = tmp_path / "ana.jsonl"
    path.write_text(json.dumps({"id": 1, "text": "short", "label": [[0, 99, "X"]]}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1: label\[0\]: UTF-16 offset 99 is outside the text"):
        store.import_file(path, format="doccano", task="t")
    path.write_text(json.dumps({"id": 1, "text": "short", "label": [[0, "2", "X"]]}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1: label\[0\]: offsets must be integers"):
        store.import_file(path, format="doccano", task="t")
    assert store.tasks().empty


# ------------------------------------------------------------------------------------ export
def _labeled(store: nl.Store, make_classify, texts: pd.DataFrame) -> None:
    for task, multi, per in (("single", False, {"admin": "pos", "<b>bob</b> 🦄": "neg", "a/b": "neu"}),
                             ("multi", True, {"admin": ["pos", "neu"], "ana": ["neg"]})):  # fmt: skip
        for who, value in per.items():
            w = make_classify(texts, task=task, annotator=who, multi=multi, store=store)
            for item in texts.index[:4]:
                w.annotate(item, value)
            w.skip(texts.index[4])
            w.close()


def test_classify_round_trips_as_zip_and_folder(store: nl.Store, tmp_path: Path, make_classify, texts):
    _labeled(store, make_classify, texts)
    for task in ("single", "multi"):
        archive = store.export(task, tmp_path / f"{task}.zip", format="doccano")
        with zipfile.ZipFile(archive) as z:
            names = sorted(z.namelist())
            first = json.loads(z.read(names[0]).decode("utf-8").splitlines()[0])
        assert "admin.jsonl" in names and all("/" not in n for n in names)
        assert set(first) == {"id", "text", "label"} and isinstance(first["label"], list)
        folder = store.export(task, tmp_path / f"{task}-folder", format="doccano")
        assert sorted(p.name for p in folder.iterdir()) == names
        for path in (archive, folder):
            back = nl.Store(tmp_path / f"{path.name}.db")
            summary = back.import_file(path, format="doccano", task=task)
            assert summary.kind == "classify"
            assert standing(back, task) == {k: v for k, v in standing(store, task).items() if v[0] == "label"}
            back.close()


def test_spans_round_trip_with_utf16_offsets(store_url: str, tmp_path: Path):
    df = pd.DataFrame({"text": TEXTS}, index=pd.Index(["a", "b", "c", "d"], name="doc"))
    values = {"ana": {"a": [("EU", "ORG")], "b": [("Grace Hopper 👩‍👩‍👧", "PER"), ("Tokyo", "LOC")],
                      "c": [("𝔄𝔡𝔞", "PER"), ("<script>", "ORG")]},
              "bob": {"b": [("Hopper 👩‍👩‍👧 visited", "PER"), ("visited Tokyo", "LOC")]}}  # fmt: skip
    with nl.Store(store_url) as store:
        for who, by_item in values.items():
            w = nl.Spans(df, text="text", labels=["ORG", "PER", "LOC"], task="ner", annotator=who,
                         store=store, overlap=True, snap="char")  # fmt: skip
            for item, spans in by_item.items():
                text = df.loc[item, "text"]
                w.annotate(item, [(text.index(m), text.index(m) + len(m), lab) for m, lab in spans])
            w.close()
        path = store.export("ner", tmp_path / "ner.zip", format="doccano")
        before = standing(store, "ner")
        jsonl = store.export("ner", tmp_path / "points.zip", format="doccano", offsets="code-points")
    with zipfile.ZipFile(path) as z:
        lines = [json.loads(x) for x in z.read("bob.jsonl").decode("utf-8").splitlines()]
    text = TEXTS[1]
    assert lines[0]["label"][0] == span16(text, "Hopper 👩‍👩‍👧 visited", "PER")  # UTF-16, as doccano counts
    back = nl.Store(tmp_path / "back.db")
    back.import_file(path, format="doccano", task="ner")
    assert standing(back, "ner") == before and back.task("ner").config == {"overlap": True}
    back.import_file(jsonl, format="doccano", task="ner2", offsets="code-points")
    assert standing(back, "ner2") == before
    back.close()


def test_final_values_and_layout_errors(store: nl.Store, tmp_path: Path, make_classify, texts):
    _labeled(store, make_classify, texts)
    final = pd.DataFrame({"value": ["pos", "neg"]}, index=texts.index[:2])
    one = store.export("single", tmp_path / "final.jsonl", format="doccano", values=final)
    assert [json.loads(x)["label"] for x in one.read_text(encoding="utf-8").splitlines()] == [
        ["pos"],
        ["neg"],
    ]
    archive = store.export("single", tmp_path / "final.zip", format="doccano", values=final)
    assert zipfile.ZipFile(archive).namelist() == ["all.jsonl"]
    with pytest.raises(ValueError, match="the task has 3 annotators, one file each: write a .zip"):
        store.export("single", tmp_path / "all.jsonl", format="doccano")
    assert not (tmp_path / "all.jsonl").exists()
    for who in ("Ana", "ana"):
        w = make_classify(texts, task="case", annotator=who, store=store)
        w.annotate(texts.index[0], "pos")
        w.close()
    with pytest.raises(ValueError, match="differ only in case"):
        store.export("case", tmp_path / "case", format="doccano")
    store.export("case", tmp_path / "case.zip", format="doccano")  # a zip tells them apart


def test_grapheme_offsets_cannot_split_a_cluster(store: nl.Store, tmp_path: Path):
    df = pd.DataFrame({"text": ["e\u0301te"]}, index=[1])
    w = nl.Spans(df, text="text", labels=["X"], task="g", annotator="ana", store=store, snap="char")
    w.annotate(1, [(1, 3, "X")])  # starts on the combining accent
    w.close()
    with pytest.raises(ValueError, match="item 1: offset 1 falls inside a grapheme cluster"):
        store.export("g", tmp_path / "g.zip", format="doccano", offsets="graphemes")
    assert not (tmp_path / "g.zip").exists()


def test_tasks_doccano_cannot_carry(store: nl.Store, tmp_path: Path):
    store.register_task("cmp", "compare", ["a", "b"], {"a": "a", "b": "b"})
    store.import_annotations(
        pd.DataFrame({"item_id": [1], "annotator": ["ana"], "value": [{"choice": "a"}]}), "cmp"
    )
    with pytest.raises(ValueError, match="compare task; doccano files carry classify and spans tasks"):
        store.export("cmp", tmp_path / "cmp.zip", format="doccano")


def test_the_command_imports_and_exports_doccano(tmp_path: Path, capsys: pytest.CaptureFixture):
    from nblabel.cli import main

    path = sequence_export(tmp_path)
    db = tmp_path / "s.db"
    assert main(["import", str(db), str(path), "-f", "doccano", "-t", "ner"]) == 0
    assert "8 events — 8 written, 0 already present" in capsys.readouterr().out
    assert main(["import", str(db), str(path), "-f", "doccano", "-t", "bad", "-O", "offsets=bytes"]) == 2
    assert "offsets= must be one of" in capsys.readouterr().err
    out = tmp_path / "back.zip"
    assert main(["export", str(db), "-t", "ner", "-f", "doccano", "-o", str(out)]) == 0
    assert sorted(zipfile.ZipFile(out).namelist()) == ["admin.jsonl", "ana.jsonl", "bob.jsonl"]
