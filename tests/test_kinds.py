"""The task-kind seam: every kind is one registered object; reports, exports, gold scoring and
the live dashboard look it up by the kind the store recorded with the task, never guess it from
the values; and a kind registered from outside works everywhere without touching nblabel."""

from __future__ import annotations

import json
from pathlib import Path

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
    assert registry.known() == ["boxes", "classify", "compare", "spans"]
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
