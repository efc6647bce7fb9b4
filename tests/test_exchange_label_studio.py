"""Label Studio JSON exports in and out (format="label-studio"): choices, labels, rectanglelabels
and pairwise results; annotators, skips, lead times and predictions; round trips; files read by
label-studio-converter (Label Studio's own converter) and made by it; hostile content.

The hand-written exports follow Label Studio's documented export (labelstud.io/guide/export.html,
the "Label Studio JSON format of annotated tasks"): tasks with ``id``, ``data``,
``annotations[]`` (``id``, ``completed_by`` as a user id or as ``{id, email, first_name,
last_name}``, ``result[]`` of ``{id, from_name, to_name, type, value, origin}``,
``was_cancelled``, ``ground_truth``, ``created_at``, ``updated_at``, ``lead_time``, ``task``) and
``predictions[]`` (``model_version``, ``score``, ``result[]``)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from label_studio_converter import Converter  # Label Studio's own converter (the test extra)
from label_studio_converter.imports.coco import convert_coco_to_ls
from PIL import Image

import nblabel as nl
from nblabel.cli import main
from nblabel.exchange.label_studio import config_path

HOSTILE_TEXT = 'I <b>loved</b> it <script>alert("x")</script> & 🙂 “quoted”'
ODD_LABELS = ["<b>pos</b>", "neg, really", "ünï 🙂"]


# ---------------------------------------------------------------------- Label Studio's shapes
def annotation(
    n: int,
    user: Any,
    results: list[dict[str, Any]],
    *,
    task: int,
    cancelled: bool = False,
    lead_time: float | None = 2.5,
    at: str = "2024-03-09T22:16:08.728353Z",
) -> dict[str, Any]:
    return {
        "id": n,
        "completed_by": user,
        "result": results,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": at,
        "updated_at": at,
        "lead_time": lead_time,
        "result_count": 0,
        "task": task,
    }


def choices(labels: list[str], name: str = "sentiment", rid: str = "Dx_aB91ISN") -> dict[str, Any]:
    return {
        "id": rid,
        "from_name": name,
        "to_name": "text",
        "type": "choices",
        "origin": "manual",
        "value": {"choices": labels},
    }


def span(start: int, end: int, text: str, label: str, rid: str = "BtfOIVC3G2") -> dict[str, Any]:
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
        "value": {"start": start, "end": end, "text": text, "labels": [label]},
    }


def rectangle(x: float, y: float, w: float, h: float, label: str, size=(800, 600)) -> dict[str, Any]:
    return {
        "id": "t5sp3TyXPo",
        "from_name": "tag",
        "to_name": "img",
        "type": "rectanglelabels",
        "original_width": size[0],
        "original_height": size[1],
        "image_rotation": 0,
        "origin": "manual",
        "value": {"x": x, "y": y, "width": w, "height": h, "rotation": 0, "rectanglelabels": [label]},
    }


def pairwise(selected: str) -> dict[str, Any]:
    # Label Studio's Pairwise tag writes its own name as to_name (createResult(..., self, self.name))
    return {
        "id": "pw1",
        "from_name": "pw",
        "to_name": "pw",
        "type": "pairwise",
        "origin": "manual",
        "value": {"selected": selected},
    }


ANA = {"id": 1, "email": "ana@example.org", "first_name": "Ana", "last_name": ""}
BOB = {"id": 2, "email": "bob@example.org", "first_name": "", "last_name": ""}


def sentiment_export() -> list[dict[str, Any]]:
    """Three annotators (two as user dicts, one as a bare id), a cancelled annotation, a
    prediction, HTML in the text."""
    votes = [
        ("Positive", "Positive", "Negative"),
        ("Negative", "Negative", "Negative"),
        ("Positive", "Neutral", "Positive"),
        ("Neutral", "Neutral", None),
    ]
    texts = [HOSTILE_TEXT, "awful", "fine, I guess", "meh"]
    tasks = []
    n = 0
    for t, (text, labels) in enumerate(zip(texts, votes, strict=True), 1):
        anns = []
        for user, label in zip((ANA, BOB, 7), labels, strict=True):
            n += 1
            result = [] if label is None else [choices([label])]
            anns.append(
                annotation(
                    n,
                    user,
                    result,
                    task=t,
                    cancelled=label is None,
                    lead_time=1.5 * t,
                    at=f"2024-03-0{t}T10:00:0{n % 10}.000000Z",
                )
            )
        tasks.append(
            {
                "id": t,
                "data": {"text": text},
                "annotations": anns,
                "drafts": [],
                "predictions": [
                    {
                        "id": 100 + t,
                        "model_version": "model 1",
                        "score": 0.8,
                        "created_ago": "3 hours",
                        "result": [choices(["Positive"], rid="p1")],
                    }
                ],
                "created_at": "2024-03-01T09:00:00Z",
                "updated_at": "2024-03-09T22:16:08Z",
                "project": 83,
            }
        )
    return tasks


def write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def current(store: nl.Store, task: str) -> list[tuple[Any, str, str, Any]]:
    """The standing labels and skips of a task, comparable across stores."""
    frame = store.current(task)
    return sorted(
        (item, who, kind, json.dumps(value, sort_keys=True))
        for item, who, kind, value in zip(
            frame["item_id"], frame["annotator"], frame["kind"], frame["value"], strict=True
        )
    )


def assert_dashboard_works(store: nl.Store, task: str, events: int) -> None:
    dash = nl.Dashboard(store, task=task, live=False, n_boot=0)
    try:
        dash.refresh()
        assert dash._status["state"] != "error", dash._status
        assert dash._snapshot["events"] == events
    finally:
        dash.close()


# ---------------------------------------------------------------------- choices → classify
def test_choices_import_annotators_skips_times_and_predictions(store: nl.Store, tmp_path: Path) -> None:
    path = write(tmp_path / "project-1-at-2024.json", sentiment_export())
    summary = store.import_file(path, format="label-studio", task="sentiment")
    assert (summary.kind, summary.items, summary.events) == ("classify", 4, 12)
    assert summary.annotators == ["7", "ana@example.org", "bob@example.org"]
    info = store.task("sentiment")
    assert info.labels == ["Positive", "Negative", "Neutral"] and info.config == {"multi": False}
    frame = store.annotations("sentiment").set_index(["item_id", "annotator"])
    row = frame.loc[(1, "7")]
    assert (row["kind"], row["value"], row["suggestion"]) == ("label", "Negative", "Positive")
    assert row["active_ms"] == 1500
    assert row["created_at"] == pd.Timestamp("2024-03-01T10:00:03Z")
    assert frame.loc[(4, "7"), "kind"] == "skip" and frame.loc[(4, "7"), "value"] is None
    assert store.items("sentiment").loc[1, "text"] == HOSTILE_TEXT  # stays text, byte for byte
    assert store.import_file(path, format="label-studio", task="sentiment").written == 0

    report = nl.agreement_report(store.annotations("sentiment"), n_boot=0)
    assert report.loc["fleiss_kappa", "items"] == 4  # the item one annotator skipped still has two labels
    assert nl.aggregate(store.annotations("sentiment"), "majority").loc[2, "label"] == "Negative"


def test_annotators_option_names_users(store: nl.Store, tmp_path: Path) -> None:
    path = write(tmp_path / "ls.json", sentiment_export())
    store.import_file(path, "label-studio", "t", annotators={7: "cy", "ana@example.org": "ana", 2: "bob"})
    assert sorted(store.annotations("t")["annotator"].unique()) == ["ana", "bob", "cy"]


def test_several_choices_make_a_multi_label_task(store: nl.Store, tmp_path: Path) -> None:
    tasks = [
        {
            "id": 1,
            "data": {"text": "a"},
            "annotations": [
                annotation(1, ANA, [choices(["Sports", "Politics"], name="topic")], task=1),
                annotation(2, BOB, [choices(["Sports"], name="topic")], task=1),
                annotation(3, 3, [], task=1),  # submitted with no choice: no topic at all
            ],
        }
    ]
    store.import_file(write(tmp_path / "ls.json", tasks), "label-studio", "topics")
    assert store.task("topics").config == {"multi": True}
    values = dict(
        zip(store.annotations("topics")["annotator"], store.annotations("topics")["value"], strict=True)
    )
    assert values == {"ana@example.org": ["Sports", "Politics"], "bob@example.org": ["Sports"], "3": []}


def test_a_single_label_annotation_without_a_choice_says_nothing(store: nl.Store, tmp_path: Path) -> None:
    tasks = [
        {
            "id": 1,
            "data": {"text": "a"},
            "annotations": [
                annotation(1, ANA, [choices(["Sports"])], task=1),
                annotation(2, BOB, [], task=1),
            ],
        }
    ]
    store.import_file(write(tmp_path / "ls.json", tasks), "label-studio", "t")
    assert list(store.annotations("t")["annotator"]) == ["ana@example.org"]


def test_the_basic_label_studio_json_format_with_other_data_names(store: nl.Store, tmp_path: Path) -> None:
    # labelstud.io/guide/tasks.html#Basic-Label-Studio-JSON-format: the object is named "message" and
    # shows $my_text; tasks to import have no id and their annotations no completed_by
    result = {"from_name": "sentiment_class", "to_name": "message", "type": "choices", "readonly": False,
              "hidden": False, "value": {"choices": ["Positive"]}}  # fmt: skip
    prediction = {**result, "value": {"choices": ["Neutral"]}}
    tasks = [{
        "data": {"my_text": "Opossums are great", "ref_id": 456,
                 "meta_info": {"timestamp": "2020-03-09 18:15:28.212882", "location": "North Pole"}},
        "annotations": [{"result": [result]}],
        "predictions": [{"result": [prediction], "score": 0.5}],
    }]  # fmt: skip
    path = write(tmp_path / "basic.json", tasks)
    with pytest.raises(ValueError, match=r"task 1: id: the task has no id; pass id_field="):
        store.import_file(path, "label-studio", "t")
    store.import_file(path, "label-studio", "t", id_field="ref_id", annotator="imported")
    frame = store.annotations("t")
    assert frame[["item_id", "annotator", "value", "suggestion"]].values.tolist() == [
        [456, "imported", "Positive", "Neutral"]
    ]
    assert store.items("t").loc[456, "text"] == "Opossums are great"
    assert store.task("t").labels == ["Positive", "Neutral"]


def test_older_completions_exports_with_epoch_times(store: nl.Store, tmp_path: Path) -> None:
    # the shape of Label Studio 0.x exports (issue HumanSignal/label-studio#539): "completions",
    # created_at in seconds since the epoch, no completed_by
    tasks = [{"id": 3, "data": {"text": "Великий Новгород и Тинькофф"}, "completions": [
        {"created_at": 1609789589, "id": 25001, "lead_time": 72.553, "result": [
            {"from_name": "label", "id": "BtfOIVC3G2", "to_name": "text", "type": "labels",
             "value": {"end": 16, "labels": ["City"], "start": 0, "text": "Великий Новгород"}},
            {"from_name": "label", "id": "5n2MsvFQur", "to_name": "text", "type": "labels",
             "value": {"end": 27, "labels": ["Organization"], "start": 19, "text": "Тинькофф"}},
        ]}]}]  # fmt: skip
    store.import_file(write(tmp_path / "old.json", tasks), "label-studio", "ner", annotator="ls")
    row = store.annotations("ner").iloc[0]
    assert row["created_at"] == pd.Timestamp(1609789589, unit="s", tz="UTC")
    assert row["active_ms"] == 72553
    assert row["value"] == [
        {"start": 0, "end": 16, "label": "City"},
        {"start": 19, "end": 27, "label": "Organization"},
    ]


# ---------------------------------------------------------------------- labels → spans
def test_labels_become_spans_in_code_points_and_old_utf16_offsets_are_converted(
    store: nl.Store, tmp_path: Path
) -> None:
    text = "🙂 Ada Lovelace went to Paris"
    ada, paris = text.index("Ada"), text.index("Paris")
    tasks = [
        {
            "id": 10,
            "data": {"text": text},
            "annotations": [
                annotation(
                    1,
                    ANA,
                    [span(ada, ada + 12, "Ada Lovelace", "PER"), span(paris, paris + 5, "Paris", "LOC")],
                    task=10,
                ),
                # an older Label Studio counted UTF-16 units: the emoji is two of them
                annotation(2, BOB, [span(ada + 1, ada + 13, "Ada Lovelace", "PER", rid="x2")], task=10),
            ],
        }
    ]
    summary = store.import_file(write(tmp_path / "ner.json", tasks), "label-studio", "ner")
    assert summary.kind == "spans" and store.task("ner").labels == ["PER", "LOC"]
    assert store.task("ner").config == {"overlap": False}
    values = dict(zip(store.annotations("ner")["annotator"], store.annotations("ner")["value"], strict=True))
    assert values["ana@example.org"] == [
        {"start": ada, "end": ada + 12, "label": "PER"},
        {"start": paris, "end": paris + 5, "label": "LOC"},
    ]
    assert values["bob@example.org"] == [{"start": ada, "end": ada + 12, "label": "PER"}]
    assert nl.agreement_report(store.annotations("ner"), n_boot=0).loc[
        "span_f1_exact", "value"
    ] == pytest.approx(2 / 3)
    assert_dashboard_works(store, "ner", events=2)


def test_overlapping_spans_make_an_overlap_task_and_bad_offsets_are_named(
    store: nl.Store, tmp_path: Path
) -> None:
    text = "New York City"
    tasks = [
        {
            "id": 1,
            "data": {"text": text},
            "annotations": [
                annotation(
                    1,
                    ANA,
                    [span(0, 8, "New York", "LOC"), span(0, 13, "New York City", "ORG", rid="b")],
                    task=1,
                ),
            ],
        }
    ]
    store.import_file(write(tmp_path / "a.json", tasks), "label-studio", "nested")
    assert store.task("nested").config == {"overlap": True}
    tasks[0]["annotations"].append(annotation(2, BOB, [span(4, 99, "Yorkshire", "LOC")], task=1))
    with pytest.raises(
        ValueError,
        match=r"b\.json: task 1 \(id 1\), annotation 2: result\[0\]\.value: offsets 4\.\.99 do not mark "
        r"'Yorkshire'",
    ):
        store.import_file(write(tmp_path / "b.json", tasks), "label-studio", "other")
    tasks[0]["annotations"][1] = annotation(2, BOB, [span(4, 99, None, "LOC")], task=1)  # no text to check by
    with pytest.raises(
        ValueError, match=r"c\.json: task 1 \(id 1\), annotation 2: value: .*outside the text"
    ):
        store.import_file(write(tmp_path / "c.json", tasks), "label-studio", "other")
    assert "other" not in set(store.tasks()["task"])


# ---------------------------------------------------------------------- rectanglelabels → boxes
def test_rectangles_become_pixel_boxes_and_items_keep_the_image(store: nl.Store, tmp_path: Path) -> None:
    tasks = [
        {
            "id": 1,
            "data": {"image": "https://example.com/opensource/label-studio/1.jpg"},
            "annotations": [
                annotation(
                    1,
                    ANA,
                    [rectangle(50.8, 5.869797225186766, 12.4, 10.458911419423693, "Moonwalker")],
                    task=1,
                ),
                annotation(2, BOB, [], task=1),  # nothing on this image
            ],
            "predictions": [
                {
                    "model_version": "model 1",
                    "score": 0.5,
                    "result": [rectangle(13.2, 34.702495201535505, 39.6, 11.612284069097889, "Moonwalker")],
                }
            ],
        }
    ]
    summary = store.import_file(write(tmp_path / "boxes.json", tasks), "label-studio", "boxes")
    assert summary.kind == "boxes"
    frame = store.annotations("boxes").set_index("annotator")
    (box,) = frame.loc["ana@example.org", "value"]
    assert box == {"x": 406.4, "y": 35.219, "w": 99.2, "h": 62.753, "label": "Moonwalker"}
    assert frame.loc["bob@example.org", "value"] == []
    assert frame.loc["bob@example.org", "suggestion"] == [
        {"x": 105.6, "y": 208.215, "w": 316.8, "h": 69.674, "label": "Moonwalker"}
    ]
    item = store.items("boxes").loc[1]
    assert (item["image"], item["width"], item["height"]) == (
        "https://example.com/opensource/label-studio/1.jpg",
        800,
        600,
    )


def test_rotated_or_outside_boxes_are_refused_with_the_field(store: nl.Store, tmp_path: Path) -> None:
    rotated = rectangle(10, 10, 20, 20, "car")
    rotated["value"]["rotation"] = 30
    tasks = [{"id": 5, "data": {"image": "a.jpg"}, "annotations": [annotation(1, ANA, [rotated], task=5)]}]
    with pytest.raises(
        ValueError, match=r"task 1 \(id 5\), annotation 1: result\[0\]\.value\.rotation: rotated"
    ):
        store.import_file(write(tmp_path / "r.json", tasks), "label-studio", "b")
    tasks[0]["annotations"] = [annotation(1, ANA, [rectangle(90, 10, 20, 20, "car")], task=5)]
    with pytest.raises(ValueError, match=r"annotation 1: value: .*outside the 800×600 image"):
        store.import_file(write(tmp_path / "o.json", tasks), "label-studio", "b")


# ---------------------------------------------------------------------- pairwise → compare
def test_pairwise_becomes_compare_left_is_a(store: nl.Store, tmp_path: Path) -> None:
    tasks = [
        {
            "id": t,
            "data": {"text1": f"answer one {t}", "text2": f"answer two {t}"},
            "annotations": [
                annotation(1, ANA, [pairwise("left")], task=t),
                annotation(2, BOB, [pairwise(side)], task=t),
            ],
        }
        for t, side in ((1, "left"), (2, "right"), (3, "right"))
    ]
    summary = store.import_file(write(tmp_path / "pw.json", tasks), "label-studio", "pref")
    assert summary.kind == "compare"
    info = store.task("pref")
    assert info.config == {"a": "text1", "b": "text2", "rubric": []}
    frame = store.annotations("pref")
    choices_ = sorted(
        zip(frame["item_id"], frame["annotator"], [v["choice"] for v in frame["value"]], strict=True)
    )
    assert choices_[:2] == [(1, "ana@example.org", "A"), (1, "bob@example.org", "A")]
    assert (2, "bob@example.org", "B") in choices_
    assert store.items("pref").loc[2].to_dict() == {"a": "answer one 2", "b": "answer two 2"}
    report = nl.agreement_report(frame, n_boot=0)
    assert report.loc["percent_agreement", "value"] == pytest.approx(1 / 3)
    assert nl.aggregate(frame, "majority").loc[1, "label"] == "A"
    assert_dashboard_works(store, "pref", events=6)


# ---------------------------------------------------------------------- the file and its errors
def test_errors_name_the_file_task_annotation_and_field(store: nl.Store, tmp_path: Path) -> None:
    tasks = sentiment_export()
    tasks[2]["annotations"][1]["result"][0]["value"]["choices"] = []
    with pytest.raises(
        ValueError,
        match=r"e\.json: task 3 \(id 3\), annotation 2: result\[0\]\.value\.choices: "
        r"expected a non-empty list",
    ):
        store.import_file(write(tmp_path / "e.json", tasks), "label-studio", "t")
    tasks = sentiment_export()
    tasks[1]["annotations"][0]["lead_time"] = "slow"
    with pytest.raises(ValueError, match=r"task 2 \(id 2\), annotation 1: lead_time: expected seconds"):
        store.import_file(write(tmp_path / "e.json", tasks), "label-studio", "t")
    tasks = sentiment_export()
    del tasks[1]["annotations"][0]["completed_by"]
    with pytest.raises(ValueError, match=r"annotation 1: completed_by: .*pass annotator="):
        store.import_file(write(tmp_path / "e.json", tasks), "label-studio", "t")
    del tasks[1]["id"]
    with pytest.raises(ValueError, match=r"task 2: id: the task has no id; pass id_field="):
        store.import_file(write(tmp_path / "e.json", tasks), "label-studio", "t", annotator="someone")
    with pytest.raises(ValueError, match=r"not a Label Studio task .*export the project as JSON"):
        store.import_file(
            write(tmp_path / "min.json", [{"text": "a", "sentiment": "Positive"}]), "label-studio", "t"
        )
    (tmp_path / "broken.json").write_text('[{"id": 1,', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json: line 1, column \d+: not JSON"):
        store.import_file(tmp_path / "broken.json", "label-studio", "t")
    assert store.tasks().empty


def test_a_project_with_several_controls_needs_from_name(store: nl.Store, tmp_path: Path) -> None:
    tasks = [
        {
            "id": 1,
            "data": {"text": "Ada in Paris"},
            "annotations": [annotation(1, ANA, [choices(["Positive"]), span(7, 12, "Paris", "LOC")], task=1)],
        }
    ]
    path = write(tmp_path / "two.json", tasks)
    with pytest.raises(
        ValueError, match=r"several controls \('sentiment' \(choices\), 'label' \(labels\)\): pass from_name="
    ):
        store.import_file(path, "label-studio", "t")
    store.import_file(path, "label-studio", "ner", from_name="label")
    store.import_file(path, "label-studio", "sentiment", from_name="sentiment")
    assert store.task("ner").kind == "spans" and store.task("sentiment").kind == "classify"
    with pytest.raises(ValueError, match=r"no results of control 'nope'; controls: 'sentiment'"):
        store.import_file(path, "label-studio", "x", from_name="nope")
    brush = {
        "from_name": "brush",
        "to_name": "img",
        "type": "brushlabels",
        "value": {"rle": [1], "brushlabels": ["a"]},
    }
    tasks = [{"id": 1, "data": {"image": "x.png"}, "annotations": [annotation(1, ANA, [brush], task=1)]}]
    with pytest.raises(
        ValueError, match=r"nothing nblabel reads: it reads .*choices \(classify\).*'brush' \(brushlabels\)"
    ):
        store.import_file(write(tmp_path / "brush.json", tasks), "label-studio", "x")


def test_importing_into_a_task_of_another_kind_is_refused(store: nl.Store, tmp_path: Path) -> None:
    store.register_task("sentiment", "spans", ["PER"])
    with pytest.raises(ValueError, match=r"is a 'spans' task; .* holds 'classify' labels"):
        store.import_file(write(tmp_path / "ls.json", sentiment_export()), "label-studio", "sentiment")


def test_odd_label_names_and_hostile_text_round_trip_as_text(tmp_path: Path) -> None:
    tasks = [
        {
            "id": 1,
            "data": {"text": HOSTILE_TEXT},
            "annotations": [
                annotation(
                    1,
                    {"id": 9, "email": '"><img src=x onerror=alert(1)>'},
                    [choices([ODD_LABELS[0]])],
                    task=1,
                ),
                annotation(2, BOB, [choices([ODD_LABELS[1]])], task=1),
                annotation(3, 3, [choices([ODD_LABELS[2]])], task=1),
            ],
        }
    ]
    with nl.Store(tmp_path / "a.db") as store:
        store.import_file(write(tmp_path / "odd.json", tasks), "label-studio", "t")
        assert store.task("t").labels == ODD_LABELS
        out = store.export("t", tmp_path / "out" / "odd.json", format="label-studio")
        xml = config_path(out).read_text(encoding="utf-8")
        assert '<Choice value="&lt;b&gt;pos&lt;/b&gt;"/>' in xml and "<b>" not in xml
        with nl.Store(tmp_path / "b.db") as other:
            other.import_file(out, "label-studio", "t")
            assert current(other, "t") == current(store, "t")
            assert other.items("t").loc[1, "text"] == HOSTILE_TEXT
    # Label Studio's own config parser reads the escaped labels back
    schema = Converter(xml, project_dir=str(tmp_path))._schema
    assert schema["label"]["labels"] == ODD_LABELS


# ---------------------------------------------------------------------- round trips
def _round_trip(store: nl.Store, task: str, tmp_path: Path, **options: Any) -> nl.Store:
    out = store.export(task, tmp_path / "rt" / f"{task}.json", format="label-studio")
    assert config_path(out).exists()
    other = nl.Store(tmp_path / f"rt-{task}.db")
    other.import_file(out, "label-studio", task, **options)
    assert current(other, task) == current(store, task)
    return other


def test_round_trip_classify_and_multi_label(store: nl.Store, tmp_path: Path) -> None:
    store.import_file(write(tmp_path / "ls.json", sentiment_export()), "label-studio", "sentiment")
    with _round_trip(store, "sentiment", tmp_path) as other:
        frame = other.annotations("sentiment").set_index(["item_id", "annotator"])
        assert frame.loc[(1, "7"), "suggestion"] == "Positive" and frame.loc[(1, "7"), "active_ms"] == 1500
        assert frame.loc[(1, "7"), "created_at"] == pd.Timestamp("2024-03-01T10:00:03Z")
        assert other.task("sentiment").config == store.task("sentiment").config
    store.register_task("topics", "classify", ["a", "b", "c"], {"multi": True})
    store.import_annotations(
        pd.DataFrame(
            {"item_id": ["x", "x", "y"], "annotator": ["p", "q", "p"], "value": [["a", "b"], ["b"], []]}
        ),
        "topics",
    )
    _round_trip(store, "topics", tmp_path, id_field="item_id", multi=True).close()


def test_round_trip_spans_boxes_and_compare_from_widgets(tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    docs = pd.DataFrame({"text": ["🙂 Ada went to Paris", "Bob <i>stayed</i>"]}, index=["d1", "d2"])
    for who, spans in (("ana", [(2, 5, "PER"), (14, 19, "LOC")]), ("bob", [(2, 5, "PER")])):
        w = nl.Spans(docs, text="text", labels=["PER", "LOC"], task="ner", annotator=who, store=str(db))
        w.annotate("d1", spans)
        w.annotate("d2", [])
        w.close()
    image = tmp_path / "img.png"
    Image.new("RGB", (640, 480)).save(image)
    pics = pd.DataFrame({"image": [str(image)]}, index=[7])
    for who, box in (
        ("ana", {"x": 10, "y": 20, "w": 100, "h": 50, "label": "car"}),
        ("bob", {"x": 12.5, "y": 21, "w": 98, "h": 52.25, "label": "bus"}),
    ):
        w = nl.Boxes(pics, image="image", labels=["car", "bus"], task="det", annotator=who, store=str(db))
        w.annotate(7, [box])
        w.close()
    pairs = pd.DataFrame({"q": ["2+2?", "capital?"], "r1": ["4", "Paris"], "r2": ["5", "Rome"]}, index=[1, 2])
    for who, judgements in (
        (
            "ana",
            [
                {
                    "choice": "A",
                    "strength": 2,
                    "justification": "right <b>sum</b>",
                    "rubric": {"facts": {"A": 5, "B": 1}},
                },
                "tie",
            ],
        ),
        ("bob", ["B", {"choice": "both_bad", "rubric": {"facts": {"A": 2}}}]),
    ):
        w = nl.Compare(
            pairs, a="r1", b="r2", prompt="q", rubric=["facts"], task="pref", annotator=who, store=str(db)
        )
        for item_id, value in zip([1, 2], judgements, strict=True):
            w.annotate(item_id, value)
        if who == "bob":
            w.skip(2)  # a skip after a label: the skip stands
        w.close()
    with nl.Store(db) as store:
        _round_trip(store, "ner", tmp_path, id_field="item_id").close()
        with _round_trip(store, "det", tmp_path) as other:
            assert other.items("det").loc[7].to_dict() == {"image": str(image), "width": 640, "height": 480}
        with _round_trip(store, "pref", tmp_path) as other:
            assert other.task("pref").config == {"a": "r1", "b": "r2", "rubric": ["facts"]}
            assert other.items("pref").loc[1].to_dict() == {"a": "4", "b": "5", "prompt": "2+2?"}


def test_export_of_final_values_is_ground_truth(store: nl.Store, tmp_path: Path) -> None:
    store.import_file(write(tmp_path / "ls.json", sentiment_export()), "label-studio", "t")
    final = pd.DataFrame({"value": ["Positive", "Neutral"]}, index=pd.Index([1, 3], name="item_id"))
    out = store.export("t", tmp_path / "final.json", format="label-studio", values=final)
    tasks = json.loads(out.read_text(encoding="utf-8"))
    by_id = {t["id"]: t["annotations"] for t in tasks}
    assert [a["completed_by"]["email"] for a in by_id[1]] == ["final"] and by_id[1][0]["ground_truth"] is True
    assert by_id[3][0]["result"][0]["value"] == {"choices": ["Neutral"]} and by_id[2] == []
    with pytest.raises(ValueError, match=r"values= item 3: 'Maybe' is not one of the labels"):
        store.export(
            "t",
            tmp_path / "bad.json",
            format="label-studio",
            values=pd.DataFrame({"value": ["Maybe"]}, index=pd.Index([3], name="item_id")),
        )


def test_a_ranking_task_cannot_be_written(store: nl.Store, tmp_path: Path) -> None:
    store.register_task("rank", "compare", ["r1", "r2", "r3"], {"responses": ["r1", "r2", "r3"]})
    with pytest.raises(ValueError, match="Label Studio export writes classify, spans, boxes and compare"):
        store.export("rank", tmp_path / "r.json", format="label-studio")


# ---------------------------------------------------------------------- label-studio-converter
def test_label_studio_converter_reads_our_classify_export(store: nl.Store, tmp_path: Path) -> None:
    store.import_file(write(tmp_path / "ls.json", sentiment_export()), "label-studio", "t")
    out = store.export("t", tmp_path / "out" / "t.json", format="label-studio")
    conv = Converter(str(config_path(out)), project_dir=str(tmp_path), download_resources=False)
    conv.convert(str(out), str(tmp_path / "min"), "JSON_MIN", is_dir=False)
    records = json.loads((tmp_path / "min" / "result.json").read_text(encoding="utf-8"))
    # the converter leaves cancelled annotations out: what it reads is every standing label
    frame = store.current("t")
    labels = frame[frame["kind"] == "label"]
    expected = sorted(zip(labels["item_id"], labels["annotator"], labels["value"], strict=True))
    assert sorted((r["id"], r["annotator"], r["label"]) for r in records) == expected
    assert {r["text"] for r in records if r["id"] == 1} == {HOSTILE_TEXT}
    conv.convert(str(out), str(tmp_path / "csv"), "CSV", is_dir=False)
    with (tmp_path / "csv" / "result.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert sorted((int(r["id"]), r["annotator"], r["label"]) for r in rows) == expected


def test_label_studio_converter_reads_our_spans_as_conll(tmp_path: Path) -> None:
    tasks = [
        {
            "id": 1,
            "data": {"text": "Ada Lovelace went to Paris ."},
            "annotations": [
                annotation(1, ANA, [span(0, 12, "Ada Lovelace", "PER"), span(21, 26, "Paris", "LOC")], task=1)
            ],
        }
    ]
    with nl.Store(tmp_path / "s.db") as store:
        store.import_file(write(tmp_path / "ner.json", tasks), "label-studio", "ner")
        out = store.export("ner", tmp_path / "out" / "ner.json", format="label-studio")
        values = store.annotations("ner")["value"].tolist()
    conv = Converter(str(config_path(out)), project_dir=str(tmp_path), download_resources=False)
    assert "CONLL2003" in conv.supported_formats
    conv.convert(str(out), str(tmp_path / "conll"), "CONLL2003", is_dir=False)
    lines = (tmp_path / "conll" / "result.conll").read_text(encoding="utf-8").split("\n")
    tags = [(line.split()[0], line.split()[-1]) for line in lines[1:] if line.strip()]
    assert tags == [
        ("Ada", "B-PER"),
        ("Lovelace", "I-PER"),
        ("went", "O"),
        ("to", "O"),
        ("Paris", "B-LOC"),
        (".", "O"),
    ]
    assert values == [[{"start": 0, "end": 12, "label": "PER"}, {"start": 21, "end": 26, "label": "LOC"}]]


def test_label_studio_converter_reads_our_boxes_as_coco_and_its_coco_import_reads_back(
    tmp_path: Path,
) -> None:
    image = tmp_path / "street.png"
    Image.new("RGB", (400, 300)).save(image)
    tasks = [
        {
            "id": 3,
            "data": {"image": str(image)},
            "annotations": [
                annotation(
                    1,
                    ANA,
                    [
                        rectangle(10, 20, 25, 50, "car", size=(400, 300)),
                        rectangle(60, 10, 30, 30, "bus", size=(400, 300)),
                    ],
                    task=3,
                )
            ],
        }
    ]
    with nl.Store(tmp_path / "b.db") as store:
        store.import_file(write(tmp_path / "det.json", tasks), "label-studio", "det")
        boxes = store.annotations("det")["value"].iloc[0]
        assert boxes == [
            {"x": 40.0, "y": 60.0, "w": 100.0, "h": 150.0, "label": "car"},
            {"x": 240.0, "y": 30.0, "w": 120.0, "h": 90.0, "label": "bus"},
        ]
        out = store.export("det", tmp_path / "out" / "det.json", format="label-studio")
    conv = Converter(str(config_path(out)), project_dir=str(tmp_path), download_resources=False)
    conv.convert(str(out), str(tmp_path / "coco"), "COCO", is_dir=False)
    coco = json.loads((tmp_path / "coco" / "result.json").read_text(encoding="utf-8"))
    names = {c["id"]: c["name"] for c in coco["categories"]}
    got = sorted((names[a["category_id"]], [round(v, 6) for v in a["bbox"]]) for a in coco["annotations"])
    assert got == [("bus", [240.0, 30.0, 120.0, 90.0]), ("car", [40.0, 60.0, 100.0, 150.0])]
    # and back: label-studio-converter's COCO importer makes Label Studio tasks (no ids, no users)
    convert_coco_to_ls(
        str(tmp_path / "coco" / "result.json"), str(tmp_path / "from_coco.json"), image_root_url="/data/"
    )
    with nl.Store(tmp_path / "c.db") as store:
        store.import_file(
            tmp_path / "from_coco.json", "label-studio", "det", id_field="image", annotator="coco"
        )
        (value,) = store.annotations("det")["value"]
        assert sorted(value, key=lambda b: b["label"]) == sorted(boxes, key=lambda b: b["label"])
        assert store.annotations("det")["annotator"].tolist() == ["coco"]


# ---------------------------------------------------------------------- the command line
def test_cli_imports_and_exports_label_studio(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write(tmp_path / "ls.json", sentiment_export())
    db = str(tmp_path / "cli.db")
    assert main(["import", db, str(path), "--format", "label-studio", "--task", "s"]) == 0
    assert "12 written" in capsys.readouterr().out
    assert (
        main(["export", db, "--task", "s", "--format", "label-studio", "--out", str(tmp_path / "o.json")])
        == 0
    )
    assert (tmp_path / "o.label_config.xml").exists()
    capsys.readouterr()
    assert main(["import", db, str(path), "-f", "label-studio", "-t", "s", "-O", "from_name=nope"]) == 2
    assert "no results of control 'nope'" in capsys.readouterr().err
