"""The task-kind seam: every kind is one registered object; reports, exports, gold scoring and
the live dashboard look it up by the kind the store recorded with the task, never guess it from
the values; and a kind registered from outside works everywhere without touching nblabel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nblabel as nl
from nblabel.agreement.gold import gold_score, values_agree
from nblabel.core import registry
from nblabel.core.event import Event
from nblabel.core.frames import recorded_task
from nblabel.kinds.classify import ClassifyKind
from nblabel.widgets.live import LiveAgreement

TEXTS = pd.DataFrame({"text": ["Ada Lovelace wrote", "Paris is big", "nothing here"]}, index=[1, 2, 3])


def test_every_kind_is_registered_and_implements_the_protocol() -> None:
    assert {"boxes", "classify", "compare", "spans"} <= set(registry.known())
    for name in registry.known():
        kind = registry.get(name)
        assert isinstance(kind, registry.TaskKind), name
        assert kind.name == name and kind.description
    assert registry.for_task("classify", {"multi": True}).description == "a set of labels per item"
    assert "order" in registry.for_task("compare", {"responses": ["r1", "r2", "r3"]}).description
    with pytest.raises(ValueError, match="unknown task kind 'audio'; known kinds: boxes, classify"):
        registry.get("audio")


def test_a_frame_read_from_the_store_carries_its_task(store: nl.Store) -> None:
    w = nl.Spans(TEXTS, text="text", labels=["PER", "LOC"], task="ner", annotator="ana", store=store)
    w.annotate(1, [{"start": 0, "end": 12, "label": "PER"}])
    frame = store.annotations("ner")
    recorded = recorded_task(frame)
    assert (recorded.kind, recorded.labels, recorded.config["overlap"]) == ("spans", ["PER", "LOC"], False)
    assert recorded_task(frame[frame["kind"] == "label"]).kind == "spans"  # kept through pandas operations
    json.dumps(frame.attrs)  # plain JSON: parquet and others write it
    frame.to_parquet(store_path := Path(str(id(frame)) + ".parquet"))
    store_path.unlink()


def test_the_recorded_kind_chooses_the_report_and_values_never_do(store: nl.Store) -> None:
    for annotator in ("ana", "bob"):
        w = nl.Spans(TEXTS, text="text", labels=["PER", "LOC"], task="ner", annotator=annotator, store=store)
        w.annotate(1, [{"start": 0, "end": 12, "label": "PER"}])
        w.annotate(2, [{"start": 0, "end": 5, "label": "LOC"}])
    frame = store.annotations("ner")
    assert nl.agreement_report(frame, n_boot=0).kind == "spans"
    plain = frame.copy()
    plain.attrs = {}  # a frame with no record: a classify task unless kind= says otherwise
    with pytest.raises(TypeError, match="pass kind="):
        nl.agreement_report(plain, n_boot=0)
    assert nl.agreement_report(plain, kind="spans", n_boot=0).kind == "spans"


def test_store_export_asks_the_task_kind(store: nl.Store, tmp_path: Path) -> None:
    w = nl.Spans(TEXTS, text="text", labels=["PER"], task="ner", annotator="ana", store=store)
    w.annotate(1, [{"start": 0, "end": 12, "label": "PER"}])
    with pytest.raises(ValueError, match=r"'coco' is not one of \['bio', 'conll', 'csv', 'jsonl'"):
        store.export("ner", tmp_path / "x", format="coco")
    assert store.export("ner", tmp_path / "ner.bio", format="bio").read_text().startswith("Ada\tB-PER")


@pytest.mark.parametrize(
    ("kind", "value", "gold", "score"),
    [
        ("classify", "pos", "pos", 1.0),
        ("classify", ["a", "b"], ["b", "a"], 1.0),
        ("classify", ["a"], ["a", "b"], 0.0),
        ("spans", [{"start": 0, "end": 3, "label": "P"}], [{"start": 0, "end": 3, "label": "P"}], 1.0),
        ("spans", [], [], 1.0),
        ("boxes", [{"x": 0, "y": 0, "w": 10, "h": 10, "label": "c"}],
         [{"x": 1, "y": 0, "w": 10, "h": 10, "label": "c"}], 1.0),
        ("compare", {"choice": "A", "strength": 1}, {"choice": "A", "strength": 2}, 1.0),
        ("compare", {"choice": "A"}, {"choice": "tie"}, 0.0),
        ("compare", [["r2"], ["r1", "r3"]], [["r2"], ["r3", "r1"]], 1.0),
    ],
)  # fmt: skip
def test_gold_scores_come_from_the_kind(kind: str, value, gold, score: float) -> None:
    assert gold_score(kind, value, gold) == score
    assert values_agree(kind, value, gold) is (score == 1.0)


class ToyKind(ClassifyKind):
    """A kind from outside nblabel: labels written backwards, exported as a text file."""

    name = "toy"
    description = "a label, reversed"
    export_formats = ("txt",)

    def describe(self, value, shown=None) -> str:
        return str(value)[::-1]

    def export_own(self, store, task, path, format, **options):
        current = store.current(task)
        path.write_text("\n".join(self.describe(v) for v in current["value"]), encoding="utf-8")
        return path


@pytest.fixture
def toy_kind():
    kind = registry.register(ToyKind())
    yield kind
    registry._KINDS.pop("toy")


def test_a_kind_registered_from_outside_works_everywhere(toy_kind, store: nl.Store, tmp_path: Path) -> None:
    store.register_task("toy-task", "toy", ["abc", "xyz"])
    ratings = [(0, "ana", "abc"), (0, "bob", "abc"), (1, "ana", "xyz"), (1, "bob", "abc")]
    events = [
        Event(task="toy-task", item_id=str(i), item_kind="int", annotator=a, kind="label", value=v)
        for i, a, v in ratings
    ]
    store.append_many(events)
    report = nl.agreement_report(store.annotations("toy-task"), n_boot=0)
    assert report.loc["percent_agreement", "value"] == 0.5
    assert store.export("toy-task", tmp_path / "toy.txt", format="txt").read_text() == "cba\ncba\nzyx\ncba"
    live = LiveAgreement(store, "toy-task")
    live.read()
    snap = live.snapshot()
    assert snap["kind"] == "toy" and snap["confusion"]["counts"] == [[1, 0], [1, 0]]


# ---------------------------------------------------------------------- values, without a widget
# Each kind checks a value against plain data about its item (registry.ItemContext): the messages
# name the row and what is wrong, and are the very ones the widgets raise (below).
ItemContext = registry.ItemContext


def check(kind: str, value, config: dict | None = None, **item):
    """``value`` checked by the kind serving a task of ``kind`` and ``config``, for row 2."""
    config = config or {}
    item.setdefault("labels", ["PER", "LOC"])
    return registry.for_task(kind, config).check_value(value, ItemContext("row 2", config=config, **item))


def test_an_item_context_is_plain_frozen_data_with_its_label_index() -> None:
    item = ItemContext("row 'a'", labels=["x", "y"], text="hi")
    assert item.label_index == {"x": 0, "y": 1} and item.config == {} and item.size is None
    with pytest.raises(AttributeError):
        item.where = "row 'b'"  # type: ignore[misc]
    given = {"x": 0}
    assert ItemContext("row 1", labels=["x"], label_index=given).label_index is given  # a widget's own


def test_classify_values() -> None:
    labels = {"labels": ["pos", "neg", 2]}
    assert check("classify", "neg", **labels) == "neg"
    stored = check("classify", np.int64(2), **labels)
    assert stored == 2 and type(stored) is int  # the label as given in labels=: JSON
    with pytest.raises(ValueError, match=r"^'neutral' is not one of the labels \['pos', 'neg', 2\]$"):
        check("classify", "neutral", **labels)
    with pytest.raises(ValueError, match=r"^True is not one of the labels"):
        check("classify", True, labels=[1, 0])  # True == 1, but a bool is not a label
    with pytest.raises(ValueError, match=r"^\['pos'\] is not one of the labels"):
        check("classify", ["pos"], **labels)  # a list without multi=True
    many = [f"label {i}" for i in range(200)] + ["Cat"]
    close = r"^'cat' is not one of the labels \['label 0', .* and 1.. more\]; did you mean 'Cat'\?$"
    with pytest.raises(ValueError, match=close):
        check("classify", "cat", labels=many)


def test_multi_label_values() -> None:
    multi, labels = {"multi": True}, {"labels": ["a", "b", "c"]}
    assert check("classify", ["c", "a", "c"], multi, **labels) == ["a", "c"]  # label order, once
    assert check("classify", "b", multi, **labels) == ["b"]
    assert check("classify", (), multi, **labels) == []
    with pytest.raises(ValueError, match=r"^a multi-label value must be a list of labels, got 1\.5$"):
        check("classify", 1.5, multi, **labels)
    with pytest.raises(ValueError, match=r"^'d' is not one of the labels \['a', 'b', 'c'\]$"):
        check("classify", ["a", "d"], multi, **labels)


TEXT = "Ada met Bob in Paris"


def test_span_values() -> None:
    spans = [{"start": 15, "end": 20, "label": "LOC"}, (0, 3, "PER"), {"start": 0, "end": 3, "label": "PER"}]
    assert check("spans", spans, text=TEXT) == [
        {"start": 0, "end": 3, "label": "PER"},
        {"start": 15, "end": 20, "label": "LOC"},
    ]  # sorted by position, duplicates dropped
    assert check("spans", None, text=TEXT) == []
    bad = {
        "row 2: spans must be a list of {start, end, label}, got 'Ada'": "Ada",
        "row 2: span {'start': 0, 'end': 3} has no 'label'": [{"start": 0, "end": 3}],
        "row 2: span (0, 3) is not a {start, end, label} dict": [(0, 3)],
        "row 2: span (0.5, 3, 'PER') has a non-integer offset": [(0.5, 3, "PER")],
        "row 2: span (True, 3, 'PER') has a non-integer offset": [(True, 3, "PER")],
        "row 2: span (3, 3, 'PER') is empty or outside the text (0..20 code points)": [(3, 3, "PER")],
        "row 2: span (15, 21, 'LOC') is empty or outside the text (0..20 code points)": [(15, 21, "LOC")],
        "row 2: span (0, 3, 'ORG') has label 'ORG', not one of ['PER', 'LOC']": [(0, 3, "ORG")],
    }
    for message, value in bad.items():
        with pytest.raises(ValueError) as raised:
            check("spans", value, text=TEXT)
        assert str(raised.value) == message
    crossing = [(0, 7, "PER"), (4, 11, "PER")]
    with pytest.raises(ValueError, match=r"^row 2: spans \{.*'end': 7.*\} and \{.*'start': 4.*\} overlap \("):
        check("spans", crossing, text=TEXT)
    assert len(check("spans", crossing, {"overlap": True}, text=TEXT)) == 2


def test_box_values() -> None:
    size = {"labels": ["car"], "size": (40, 30)}
    box = {"x": -1e-9, "y": 1.00049, "w": 40.0000001, "h": 10, "label": "car"}
    assert check("boxes", [box], **size) == [{"x": 0.0, "y": 1.0, "w": 40.0, "h": 10.0, "label": "car"}]
    assert check("boxes", None, **size) == []
    bad = {
        "row 2: boxes must be a list of {x, y, w, h, label}, got {'x': 1}": {"x": 1},
        "row 2: box [1, 2] is not a {x, y, w, h, label} dict": [[1, 2]],
        "row 2: box {'x': 1, 'y': 1, 'w': 5} has no 'h'": [{"x": 1, "y": 1, "w": 5}],
        "row 2: box {'x': 'a', 'y': 1, 'w': 5, 'h': 5, 'label': 'car'} has a non-numeric coordinate":
            [{"x": "a", "y": 1, "w": 5, "h": 5, "label": "car"}],
        "row 2: box {'x': nan, 'y': 1, 'w': 5, 'h': 5, 'label': 'car'} has a non-finite coordinate":
            [{"x": float("nan"), "y": 1, "w": 5, "h": 5, "label": "car"}],
        "row 2: box {'x': 1, 'y': 1, 'w': 1.5, 'h': 5, 'label': 'car'} is smaller than 2 px":
            [{"x": 1, "y": 1, "w": 1.5, "h": 5, "label": "car"}],
        "row 2: box {'x': 30, 'y': 1, 'w': 11, 'h': 5, 'label': 'car'} is outside the 40×30 image":
            [{"x": 30, "y": 1, "w": 11, "h": 5, "label": "car"}],
        "row 2: box {'x': 1, 'y': 1, 'w': 5, 'h': 5, 'label': 'bus'} has label 'bus', not one of ['car']":
            [{"x": 1, "y": 1, "w": 5, "h": 5, "label": "bus"}],
    }  # fmt: skip
    for message, value in bad.items():
        with pytest.raises(ValueError) as raised:
            check("boxes", value, **size)
        assert str(raised.value) == message
    with pytest.raises(ValueError, match="^row 2: boxes need the size of the image they are drawn on$"):
        check("boxes", [], labels=["car"])


def test_compare_values() -> None:
    config = {"rubric": ["helpful"], "min_justification": 3}
    stored = check("compare", {"choice": "B", "rubric": {"helpful": {"A": 2}}, "justification": " ok! "},
                   config, swapped=True)  # fmt: skip
    assert stored == {"choice": "B", "strength": 1, "rubric": {"helpful": {"A": 2}},
                      "justification": "ok!", "swapped": True}  # fmt: skip
    bad = {
        "row 2: a comparison is a dict with 'choice' (one of ('A', 'B', 'tie', 'both_bad')), got 3": 3,
        "row 2: unknown keys ['why'] in {'choice': 'A', 'why': 'x'}": {"choice": "A", "why": "x"},
        "row 2: choice 'C' is not one of ('A', 'B', 'tie', 'both_bad')": "C",
        "row 2: strength must be 1 (slightly) or 2 (clearly better), got True":
            {"choice": "A", "strength": True, "justification": "why"},
        "row 2: strength goes with choice 'A' or 'B', not 'tie'": {"choice": "tie", "strength": 1},
        "row 2: rubric dimension 'safe' is not one of ['helpful']": {"choice": "A", "rubric": {"safe": {}}},
        "row 2: rubric['helpful'] must be {'A': 1-5, 'B': 1-5}, got {'C': 1}":
            {"choice": "A", "rubric": {"helpful": {"C": 1}}},
        "row 2: rubric['helpful']['A'] = 6 is not 1-5": {"choice": "A", "rubric": {"helpful": {"A": 6}}},
        "row 2: justification must be text, got int": {"choice": "A", "justification": 5},
        "row 2: a justification of at least 3 characters is required":
            {"choice": "A", "justification": " a "},
        "row 2: justification longer than 10000 characters": {"choice": "A", "justification": "x" * 10_001},
    }  # fmt: skip
    for message, value in bad.items():
        with pytest.raises(ValueError) as raised:
            check("compare", value, config)
        assert str(raised.value) == message
    gold = registry.for_task("compare", config).check_gold("A", ItemContext("row 2", config=config))
    assert gold == {"choice": "A", "strength": 1, "rubric": {}, "justification": "", "swapped": False}


def test_ranking_values() -> None:
    config = {"responses": ["r1", "r2", "r3"]}
    assert check("compare", ["r2", ("r3", "r1")], config) == [["r2"], ["r3", "r1"]]
    bad = {
        "row 2: a ranking is a list of columns (or of tie groups), best first; got 'r1'": "r1",
        "row 2: ['r9'] in ['r1', 'r9']; responses: ['r1', 'r2', 'r3']": ["r1", "r9"],
        "row 2: an empty tie group in [['r1'], []]; responses: ['r1', 'r2', 'r3']": [["r1"], []],
        "row 2: a ranking names every response once; got ['r1', 'r2'], responses: ['r1', 'r2', 'r3']":
            ["r1", "r2"],
    }  # fmt: skip
    for message, value in bad.items():
        with pytest.raises(ValueError) as raised:
            check("compare", value, config)
        assert str(raised.value) == message


def test_a_kind_without_rules_of_its_own_takes_any_json_value() -> None:
    from nblabel.kinds.base import KindBase

    class Free(KindBase):
        name = "free"

    kind, item = Free(), ItemContext("row 2")
    value = {"a": [1, "b"]}
    assert kind.check_value(value, item) == value == kind.check_gold(value, item)
    with pytest.raises(ValueError, match=r"^row 2: a free value cannot be None \(skip the item instead\)$"):
        kind.check_value(None, item)
    with pytest.raises(TypeError, match=r"^row 2: a free value must be plain JSON data \(.*not JSON serial"):
        kind.check_value({1, 2}, item)
    with pytest.raises(TypeError, match=r"^row 2: a free value must be plain JSON data \(Out of range float"):
        kind.check_value(float("nan"), item)


# ---------------------------------------------------------------------- the widgets ask their kind
def _widgets(tmp_path: Path) -> dict[str, nl.LabelWidget]:
    texts = pd.DataFrame({"text": ["a", TEXT, "c"]}, index=[1, 2, 3])
    images = pd.DataFrame({"image": [np.zeros((30, 40, 3), np.uint8)] * 3}, index=[1, 2, 3])
    pairs = pd.DataFrame({"a": ["x", "y", "z"], "b": ["u", "v", "w"]}, index=[1, 2, 3])
    ranks = pairs.assign(c=["p", "q", "r"])
    common = {"annotator": "ana", "store": tmp_path / "w.db"}
    return {
        "classify": nl.Classify(texts, text="text", labels=["PER", "LOC"], task="c", **common),
        "multi": nl.Classify(texts, text="text", labels=["PER", "LOC"], task="m", multi=True, **common),
        "spans": nl.Spans(texts, text="text", labels=["PER", "LOC"], task="s", **common),
        "boxes": nl.Boxes(images, image="image", labels=["PER", "LOC"], task="b", **common),
        "compare": nl.Compare(pairs, a="a", b="b", task="p", rubric=["helpful"], min_justification=3,
                              **common),  # fmt: skip
        "ranking": nl.Compare(ranks, responses=["a", "b", "c"], task="r", **common),
    }


BAD_VALUES = {
    "classify": ["ORG", ["PER"]],
    "multi": [1.5, ["PER", "ORG"]],
    "spans": ["PER", [(0, 3, "ORG")], [(15, 21, "LOC")], [(0, 7, "PER"), (4, 11, "PER")]],
    "boxes": [{"x": 1}, [{"x": 30, "y": 1, "w": 11, "h": 5, "label": "PER"}]],
    "compare": ["C", {"choice": "A", "justification": "a"}, {"choice": "A", "rubric": {"safe": {}}}],
    "ranking": [["a", "b"], ["a", "x", "b", "c"]],
}


def test_the_widgets_raise_what_their_kind_raises(tmp_path: Path) -> None:
    widgets = _widgets(tmp_path)
    item = {
        "classify": ItemContext("row 2", ["PER", "LOC"], {"multi": False}),
        "multi": ItemContext("row 2", ["PER", "LOC"], {"multi": True}),
        "spans": ItemContext("row 2", ["PER", "LOC"], {"overlap": False}, text=TEXT),
        "boxes": ItemContext("row 2", ["PER", "LOC"], size=(40, 30)),
        "compare": ItemContext("row 2", config={"rubric": ["helpful"], "min_justification": 3}),
        "ranking": ItemContext("row 2", config={"responses": ["a", "b", "c"]}),
    }
    try:
        for name, w in widgets.items():
            assert w.task_kind is registry.for_task(w.kind, w._kind_config)
            for value in BAD_VALUES[name]:
                with pytest.raises(ValueError) as by_kind:
                    w.task_kind.check_value(value, item[name])
                with pytest.raises(ValueError) as by_widget:
                    w.annotate(2, value)
                assert str(by_widget.value) == str(by_kind.value), (name, value)
            assert w.labels.isna().all()  # nothing stored
    finally:
        for w in widgets.values():
            w.close()


def test_the_widgets_serve_their_kind(tmp_path: Path) -> None:
    from nblabel import kinds

    widgets = _widgets(tmp_path)
    try:
        served = {name: w.task_kind for name, w in widgets.items()}
        assert served == {
            "classify": kinds.CLASSIFY,
            "multi": kinds.MULTI_LABEL,
            "spans": kinds.SPANS,
            "boxes": kinds.BOXES,
            "compare": kinds.COMPARE,
            "ranking": kinds.RANKING,
        }
        spans = widgets["spans"]
        spans.annotate(2, [(0, 3, "PER"), (8, 11, "PER"), (15, 20, "LOC")])
        assert spans.labels[2] == check("spans", [(15, 20, "LOC"), (8, 11, "PER"), (0, 3, "PER")], text=TEXT)
        assert spans._progress["counts"] == [2, 1]  # the kind's label counts
        assert spans.describe(spans.labels[2], 1) == kinds.SPANS.describe(spans.labels[2], {"text": TEXT})
        boxes = widgets["boxes"]
        boxes.annotate(1, [{"x": 0, "y": 0, "w": 40, "h": 30, "label": "LOC"}])
        assert boxes._progress["counts"] == [0, 1]
        assert boxes.describe(boxes.labels[1], 0) == kinds.BOXES.describe(boxes.labels[1]) != "(no boxes)"
        compare = widgets["compare"]
        with pytest.raises(ValueError, match="a justification of at least 3"):
            compare.annotate(1, "A")
        assert compare.validate_gold("A", 0)["choice"] == "A"  # a gold answer needs no justification
        ranking = widgets["ranking"]
        ranking.annotate(1, [["c"], ["a", "b"]])
        assert ranking._progress["counts"] == [0, 0, 1]  # first places
    finally:
        for w in widgets.values():
            w.close()
