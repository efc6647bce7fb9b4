"""Suggestions from a model (issue 15): model annotators, the suggestion engine behind the
widgets' ``suggest=``, ``show_suggestions=``, ``nl.record_model`` and non-voting models."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

import nblabel as nl
from nblabel.core.event import Event
from nblabel.core.models import MODEL_PREFIX, is_model, model_annotator, model_name, people_only
from nblabel.store.model_runs import callable_version, model_source
from nblabel.store.schema import SCHEMA_VERSION
from nblabel.widgets.suggester import shows

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402


def test_model_annotator_names():
    assert MODEL_PREFIX == "model:"
    assert model_annotator("clf") == "model:clf"
    assert model_annotator("model:clf") == "model:clf"
    assert model_name("model:clf") == "clf"
    assert is_model("model:clf") and not is_model("ann") and not is_model(None)
    with pytest.raises(ValueError, match="non-blank"):
        model_annotator("  ")


def test_people_only_drops_model_rows_and_keeps_attrs():
    frame = pd.DataFrame({"annotator": ["ann", "model:clf", "bob"], "value": [1, 2, 3]})
    frame.attrs["x"] = 1
    kept = people_only(frame)
    assert list(kept["annotator"]) == ["ann", "bob"]
    assert kept.attrs == {"x": 1}
    people = frame.iloc[[0, 2]]
    assert people_only(people) is people


# ---------------------------------------------------------------------- the suggestion_shown column
def test_suggestion_shown_round_trips_as_nullable_boolean(store):
    store.register_task("t", "classify", ["pos", "neg"])
    for i, shown in enumerate((True, False, None)):
        store.append(Event(task="t", item_id=str(i), item_kind="int", annotator="ana", kind="label",
                           value="pos", suggestion="pos" if shown is not None else None,
                           suggestion_shown=shown, client_id="c", client_seq=i))  # fmt: skip
    ann = store.annotations("t")
    assert str(ann["suggestion_shown"].dtype) == "boolean"
    assert ann["suggestion_shown"].tolist() == [True, False, pd.NA]
    only = store.annotations("t", columns=["suggestion_shown"])
    assert only["suggestion_shown"].tolist() == [True, False, pd.NA]
    assert store.current("t")["suggestion_shown"].tolist() == [True, False, pd.NA]
    assert str(store.annotations("none")["suggestion_shown"].dtype) == "boolean"


def test_a_version_2_store_gets_the_column_in_place(store_url):
    store = nl.Store(store_url)
    store.register_task("t", "classify", ["pos", "neg"])
    store.append(Event(task="t", item_id="1", item_kind="int", annotator="ana", kind="label", value="pos",
                       suggestion="neg", client_id="c", client_seq=1))  # fmt: skip
    store.close()
    engine = sa.create_engine(store_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:  # back to what nblabel wrote before schema 3
        conn.exec_driver_sql("ALTER TABLE nbl_events DROP COLUMN suggestion_shown")
        conn.exec_driver_sql("UPDATE nbl_meta SET value = '2' WHERE key = 'schema_version'")
    engine.dispose()
    store = nl.Store(store_url)
    with store.engine.connect() as conn:
        version = conn.exec_driver_sql("SELECT value FROM nbl_meta WHERE key = 'schema_version'").scalar()
    assert version == str(SCHEMA_VERSION)
    old = store.annotations("t")
    assert old["value"].tolist() == ["pos"] and old["suggestion"].tolist() == ["neg"]
    assert old["suggestion_shown"].isna().all()
    store.append(Event(task="t", item_id="2", item_kind="int", annotator="ana", kind="label", value="neg",
                       suggestion="neg", suggestion_shown=False, client_id="c", client_seq=2))  # fmt: skip
    assert store.annotations("t")["suggestion_shown"].tolist() == [pd.NA, False]
    store.close()
    nl.Store(store_url).close()  # opening again changes nothing


# ====================================================================== the suggestion engine
LABELS = ["pos", "neg"]


def frame(n: int = 6) -> pd.DataFrame:
    words = ["good", "bad", "fine", "awful", "great", "poor"]
    texts = [f"{words[i % 6]} {i}" for i in range(n)]
    guesses = ["pos" if i % 2 == 0 else "neg" for i in range(n)]
    index = pd.Index([f"r{i}" for i in range(n)], name="rid")
    return pd.DataFrame({"text": texts, "guess": guesses}, index=index)


def sentiment(batch: pd.DataFrame) -> list[Any]:
    """A deterministic local "model": pos for the good words, with a score."""
    return [("pos", 0.9) if is_good(t) else ("neg", 0.7) for t in batch["text"]]


def is_good(text: str) -> bool:
    return text.split()[0] in ("good", "fine", "great")


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.01)


def wait_stored(store, task: str, model: str, n: int) -> None:
    """Until ``n`` events of ``model`` are in the store: a suggestion is shown as soon as the
    model returns it, and written to the store by the suggester's thread just after."""
    wait_for(lambda: len(store.annotations(task, annotator=model)) >= n)


class Counting:
    """A suggest callable that counts its calls (and may wait, fail or give a bad value)."""

    def __init__(self, fn=sentiment, gate: threading.Event | None = None, fail: bool = False) -> None:
        self.fn, self.gate, self.fail = fn, gate, fail
        self.calls = 0
        self.rows = 0
        self.started = threading.Event()
        self.finished = threading.Event()
        self.__name__ = "counting"

    def __call__(self, batch: pd.DataFrame) -> list[Any]:
        self.calls += 1
        self.rows += len(batch)
        self.started.set()
        try:
            if self.gate is not None:
                self.gate.wait(30)
            if self.fail:
                raise RuntimeError("the model server is down")
            return self.fn(batch)
        finally:
            self.finished.set()


def classify(store, fn, annotator="ana", task="t", df=None, **options) -> nl.Classify:
    return nl.Classify(df if df is not None else frame(), text="text", labels=LABELS, task=task,
                       annotator=annotator, store=store, suggest=fn, **options)  # fmt: skip


def test_a_callable_suggests_ahead_and_its_outputs_are_model_events(store_url):
    fn = Counting()
    w = classify(store_url, fn, suggest_name="clf", suggest_version="v1")
    wait_for(lambda: w._suggester.ready(5))
    wait_stored(w.store, "t", "model:clf", 6)
    assert fn.calls == 1 and fn.rows == 6  # one batch ahead of the annotator, in the background
    out = Browser(w).send({"type": "hello"})
    shown = {item["key"]: item["payload"].get("suggestion") for item in out["items"]}
    assert shown["r0"] == 0 and shown["r1"] == 1  # label indices of pos / neg
    w.annotate("r0", "pos")  # accepts the suggestion
    w.annotate("r1", "pos")  # overrides it
    ann = w.store.annotations("t")
    model = ann[ann["annotator"] == "model:clf"].set_index("item_id")
    assert model["value"].to_dict() == {f"r{i}": ("pos" if i % 2 == 0 else "neg") for i in range(6)}
    assert model.loc["r0", "suggestion"] == {"model": "clf", "version": "v1", "score": 0.9}
    assert model["kind"].eq("label").all() and model["suggestion_shown"].isna().all()
    people = ann[ann["annotator"] == "ana"]
    assert people["value"].tolist() == ["pos", "pos"]
    assert people["suggestion"].tolist() == ["pos", "neg"]
    assert people["suggestion_shown"].tolist() == [True, True]
    w.close()


def test_a_slow_callable_never_delays_a_commit(tmp_path):
    gate = threading.Event()
    fn = Counting(gate=gate)
    w = classify(tmp_path / "s.db", fn)
    assert fn.started.wait(5)  # the model is busy (it would take 30 s)
    began = time.monotonic()
    w.annotate("r0", "neg")
    w.annotate("r1", "pos")
    took = time.monotonic() - began
    assert not fn.finished.is_set()  # the callable is still running...
    standing = w.store.annotations("t", annotator="ana")
    assert standing["value"].tolist() == ["neg", "pos"]  # ...and the labels are in the store
    assert standing["suggestion"].isna().all() and standing["suggestion_shown"].isna().all()
    assert took < 1.0
    gate.set()
    wait_for(lambda: w._suggester.ready(2))
    w.close()


def test_a_failing_callable_shows_in_the_banner_and_labeling_goes_on(tmp_path):
    fn = Counting(fail=True)
    w = classify(tmp_path / "s.db", fn)
    wait_for(lambda: "error" in w._suggest)
    assert "suggest callable 'counting' failed: RuntimeError: the model server is down" in w._suggest["error"]
    w.annotate("r0", "pos")
    assert w.store.annotations("t", annotator="ana")["value"].tolist() == ["pos"]
    assert w.current == "r1"
    calls = fn.calls
    fn.fail = False  # the server is back: a later batch is tried again and the banner clears
    wait_for(lambda: fn.calls > calls and not w._suggest, timeout=15)
    wait_for(lambda: w._suggestion(w.items.position("r2")) is not None)
    w.close()


def test_a_bad_value_is_named_and_that_item_gets_no_suggestion(tmp_path):
    def odd(batch: pd.DataFrame) -> list[Any]:
        return ["maybe" if i == "r2" else "pos" for i in batch.index]

    w = classify(tmp_path / "s.db", odd)
    wait_for(lambda: "error" in w._suggest)
    message = w._suggest["error"]
    assert "row 'r2'" in message and "'maybe'" in message and "not one of the labels" in message
    assert w._suggestion(2) is None and w._suggestion(3) == "pos"
    w.annotate("r2", "neg")
    w.close()


def test_a_restarted_kernel_and_another_annotator_reuse_stored_suggestions(store_url):
    first = Counting()
    w = classify(store_url, first)
    wait_for(lambda: w._suggester.ready(5))
    wait_stored(w.store, "t", "model:counting", 6)  # closing drops outputs not yet written
    w.close()
    assert first.calls == 1
    again = Counting()
    w = classify(store_url, again, annotator="ben")  # same code: same version
    wait_for(lambda: w._suggester.ready(5))
    assert again.calls == 0 and w._suggestion(0) == "pos" and w._suggestion(1) == "neg"
    w.close()
    newer = Counting()
    w = classify(store_url, newer, annotator="ben", suggest_version="v2")
    wait_for(lambda: w._suggester.ready(5))
    assert newer.calls == 1  # another version is asked again
    wait_stored(w.store, "t", "model:counting", 12)
    w.close()
    events = nl.Store(store_url).annotations("t")
    assert len(events[events["annotator"] == "model:counting"]) == 12  # 6 items x 2 versions, never doubled


def test_show_suggestions_fraction_is_a_stable_seeded_share(tmp_path):
    keys = [f"k{i}" for i in range(4000)]
    share = np.mean([shows(0.3, "t", "ana", k) for k in keys])
    assert 0.27 < share < 0.33
    assert [shows(0.3, "t", "ana", k) for k in keys] == [shows(0.3, "t", "ana", k) for k in keys]
    assert [shows(0.3, "t", "ana", k) for k in keys] != [shows(0.3, "t", "ben", k) for k in keys]
    df = frame(60)
    w = classify(tmp_path / "s.db", sentiment, df=df, show_suggestions=0.5, suggest_batch=64)
    wait_for(lambda: w._suggester.ready(59))
    seen = [w._shows_suggestion(p) for p in range(60)]
    assert 15 < sum(seen) < 45
    out = Browser(w).send({"type": "hello"})
    for item in out["items"]:
        assert ("suggestion" in item["payload"]) == seen[w.items.position_of_key(item["key"])]
    for p in range(10):
        w.annotate(df.index[p], "pos")
    w.close()
    w = classify(tmp_path / "s.db", sentiment, df=df, show_suggestions=0.5)
    assert [w._shows_suggestion(p) for p in range(60)] == seen  # the same pairs after a restart
    w.close()
    ann = nl.Store(tmp_path / "s.db").annotations("t", annotator="ana")
    assert ann["suggestion_shown"].tolist() == seen[:10]
    expected = ["pos" if is_good(df["text"].iloc[p]) else "neg" for p in range(10)]
    assert ann["suggestion"].tolist() == expected  # recorded when hidden too


def test_show_suggestions_false_records_the_model_but_never_shows_it(tmp_path):
    w = classify(tmp_path / "s.db", sentiment, show_suggestions=False, suggest_name="judge")
    wait_for(lambda: w._suggester.ready(5))
    out = Browser(w).send({"type": "hello"})
    assert all("suggestion" not in item["payload"] for item in out["items"])
    w.annotate("r0", "neg")
    ann = w.store.annotations("t")
    mine = ann[ann["annotator"] == "ana"]
    assert mine["suggestion"].tolist() == ["pos"] and mine["suggestion_shown"].tolist() == [False]
    assert (ann["annotator"] == "model:judge").sum() == 6
    with pytest.raises(ValueError, match="show_suggestions must be True, False or a fraction"):
        classify(tmp_path / "s.db", sentiment, show_suggestions=1.5)
    w.close()


def test_a_late_suggestion_is_pushed_to_the_item_on_screen(tmp_path):
    gate = threading.Event()
    w = classify(tmp_path / "s.db", Counting(gate=gate))
    browser = Browser(w)
    out = browser.send({"type": "hello"})
    assert out["current"] == "r0" and "suggestion" not in out["items"][0]["payload"]
    gate.set()
    wait_for(lambda: browser.out.of_type("suggestion"))
    pushed = {i["key"]: i["suggestion"] for m in browser.out.of_type("suggestion") for i in m["items"]}
    assert pushed["r0"] == 0 and pushed["r1"] == 1
    assert set(pushed) <= set(w.items.key(p) for p in w._window_positions())
    w.close()


def test_suggest_column_and_the_suggestions_alias(tmp_path):
    w = classify(tmp_path / "s.db", "guess")  # a column: recorded as model:guess, version "column"
    wait_for(lambda: w._suggester.ready(5))
    wait_stored(w.store, "t", "model:guess", 6)
    assert w._suggestion(1) == "neg"
    w.close()
    model = nl.Store(tmp_path / "s.db").annotations("t", annotator="model:guess")
    assert len(model) == 6 and model["suggestion"].iloc[0]["version"] == "column"
    v = nl.Classify(frame(), text="text", labels=LABELS, task="t", annotator="bob", store=tmp_path / "s.db",
                    suggestions="guess")  # fmt: skip
    assert v._suggestion(1) == "neg" and v._suggestion_field(1) == 1  # the old name, as before
    v.close()
    with pytest.raises(KeyError, match="no column 'nope'"):
        classify(tmp_path / "s.db", "nope")
    with pytest.raises(TypeError, match="column name or a callable"):
        classify(tmp_path / "s.db", 3)


def test_spans_accepting_a_callable_suggestion_lands_in_the_accepted_record(store_url):
    df = pd.DataFrame({"text": ["Ada went to Paris", "Bob stayed in Rome"]}, index=["d1", "d2"])

    def places(batch: pd.DataFrame) -> list[Any]:
        out = []
        for text in batch["text"]:
            word = text.split()[-1]
            out.append([{"start": text.index(word), "end": len(text), "label": "LOC"}])
        return out

    w = nl.Spans(df, text="text", labels=["PER", "LOC"], task="s", annotator="ana", store=store_url,
                 suggest=places)  # fmt: skip
    wait_for(lambda: w._suggester.ready(1))
    out = Browser(w).send({"type": "hello"})
    assert out["items"][0]["payload"]["suggestion"] == [[12, 17, 1]]
    w.annotate("d1", [{"start": 12, "end": 17, "label": "LOC"}, {"start": 0, "end": 3, "label": "PER"}])
    w.annotate("d2", [])
    mine = w.store.annotations("s", annotator="ana")
    first = mine["suggestion"].iloc[0]
    assert first["accepted"] == [0] and first["spans"] == [{"start": 12, "end": 17, "label": "LOC"}]
    assert mine["suggestion"].iloc[1]["removed"] == [0]
    assert mine["suggestion_shown"].tolist() == [True, True]
    wait_stored(w.store, "s", "model:places", 2)
    w.close()


def test_callable_version_is_stable_and_follows_the_code():
    def a(batch):
        return ["pos"] * len(batch)

    def b(batch):
        return ["neg"] * len(batch)

    assert callable_version(a) == callable_version(a)
    assert callable_version(a) != callable_version(b)
    assert callable_version(Counting()) == callable_version(Counting())
    assert model_source(a).name == "a" and model_source("col").version == "column"
    with pytest.raises(ValueError, match="a lambda has no name: give suggest_name="):
        model_source(lambda batch: ["pos"] * len(batch))
    assert model_source(lambda batch: [], "mine").annotator == "model:mine"


# ====================================================================== nl.record_model
def test_record_model_is_idempotent_and_names_bad_values(store_url):
    store = nl.Store(store_url)
    store.register_task("t", "classify", LABELS)
    fn = Counting()
    assert nl.record_model(frame(), task="t", store=store, fn_or_column=fn, name="judge") == 6
    assert fn.calls == 1
    assert nl.record_model(frame(), task="t", store=store, fn_or_column=fn, name="judge") == 0
    assert fn.calls == 1  # stored: not asked again
    assert nl.record_model(frame(), task="t", store=store, fn_or_column="guess") == 6
    model = store.annotations("t", annotator="model:guess")
    assert model["suggestion"].iloc[0] == {"model": "guess", "version": "column", "score": None}
    bad = frame().assign(guess=["pos", "neg", "maybe", "pos", "neg", "pos"])
    with pytest.raises(ValueError, match=r"5 events written\): row 'r2': 'maybe' refused"):
        nl.record_model(bad, task="t", store=store, fn_or_column="guess", name="other")
    assert len(store.annotations("t", annotator="model:other")) == 5  # the valid ones are kept
    with pytest.raises(KeyError, match="nope"):
        nl.record_model(frame(), task="nope", store=store, fn_or_column="guess")
    store.close()


def test_record_model_asks_a_comparison_judge_both_orders(store_url):
    df = pd.DataFrame({"prompt": ["p1", "p2", "p3"], "x": ["short", "a long answer", "mid"],
                       "y": ["a longer answer", "tiny", "middle one"]}, index=[1, 2, 3])  # fmt: skip
    w = nl.Compare(df, prompt="prompt", a="x", b="y", task="c", annotator="ana", store=store_url)
    w.close()

    def first_wins(batch: pd.DataFrame) -> list[Any]:  # position-biased: always the first response
        return ["A"] * len(batch)

    def longer(batch: pd.DataFrame) -> list[Any]:
        return ["A" if len(a) >= len(b) else "B" for a, b in zip(batch["x"], batch["y"], strict=True)]

    store = nl.Store(store_url)
    assert nl.record_model(df, task="c", store=store, fn_or_column=first_wins) == 3
    assert nl.record_model(df, task="c", store=store, fn_or_column=longer) == 3
    ann = store.annotations("c")
    biased = ann[ann["annotator"] == "model:first_wins"]
    assert [v["choice"] for v in biased["value"]] == ["A", "A", "A"]
    assert [s["other_order"]["choice"] for s in biased["suggestion"]] == ["B", "B", "B"]  # flips every time
    fair = ann[ann["annotator"] == "model:longer"]
    assert [v["choice"] for v in fair["value"]] == [s["other_order"]["choice"] for s in fair["suggestion"]]
    store.close()


# ====================================================================== model annotators never vote
def test_model_annotators_never_change_majority_aggregate_or_final_labels(store_url):
    store = nl.Store(store_url)
    store.register_task("t", "classify", LABELS)
    people = pd.DataFrame({"item_id": ["r0", "r0", "r1", "r1", "r1"],
                           "annotator": ["ana", "ben", "ana", "ben", "cy"],
                           "value": ["pos", "neg", "neg", "neg", "pos"]})  # fmt: skip
    store.import_annotations(people, "t")
    before = store.annotations("t")
    nl.record_model(frame(2), task="t", store=store, fn_or_column=lambda b: ["pos"] * len(b), name="yes")
    nl.record_model(frame(2), task="t", store=store, fn_or_column=lambda b: ["pos"] * len(b), name="also")
    after = store.annotations("t")
    assert (after["annotator"].str.startswith("model:")).sum() == 4
    # majority: r0 stays a tie (two models saying pos would win it), r1 stays neg
    report = nl.agreement_report(after)
    assert report.disagreements.loc["r0", "majority"] is None
    assert report.disagreements.loc["r1", "majority"] == "neg"
    assert "model:yes" in report.per_annotator.index  # shown beside people, for comparison
    for method in ("majority", "dawid_skene"):
        pd.testing.assert_frame_equal(pd.DataFrame(nl.aggregate(after, method)),
                                      pd.DataFrame(nl.aggregate(before, method)))  # fmt: skip
    from nblabel.agreement.consensus import consensus

    pd.testing.assert_frame_equal(consensus(after), consensus(before))
    store.close()


def test_model_annotators_never_escalate_count_for_overlap_or_decide_a_session(store_url):
    data = pd.DataFrame({"text": [f"text {i}" for i in range(12)]}, index=pd.Index(range(100, 112), name="r"))
    s = nl.Session(store_url, "adapt", widget=nl.Classify, data=data, annotators=["ana", "ben", "cy"],
                   overlap=2, max_overlap=3, escalate="disagreement", text="text", labels=LABELS)  # fmt: skip
    for name in ("ana", "ben", "cy"):
        w = s.labeler(name)
        while w.current is not None:
            w.annotate(w.current, "pos")
        w.close()
    final_before = s.final_labels()
    progress_before = s.progress()
    nl.record_model(data, task="adapt", store=s.store, fn_or_column=lambda b: ["neg"] * len(b), name="judge")
    for name in ("ana", "ben", "cy"):  # a labeler looks at the store again: nothing to escalate
        w = s.labeler(name)
        w.sync()
        assert w.current is None
        w.close()
    assert s.escalations().empty
    pd.testing.assert_frame_equal(s.final_labels(), final_before)
    pd.testing.assert_frame_equal(s.progress(), progress_before)
    assert "model:judge" not in set(s.assignments()["annotators"].explode())


def test_a_compare_judge_beside_people_is_recorded_unswapped_and_never_shown(tmp_path):
    df = pd.DataFrame({"prompt": [f"p{i}" for i in range(8)], "x": ["short"] * 8, "y": ["a longer one"] * 8},
                      index=range(8))  # fmt: skip

    def longer(batch: pd.DataFrame) -> list[Any]:
        return [{"choice": "B", "justification": ""} for _ in range(len(batch))]

    w = nl.Compare(df, prompt="prompt", a="x", b="y", task="c", annotator="ana", store=tmp_path / "s.db",
                   suggest=longer, require_justification=True)  # fmt: skip
    wait_for(lambda: w._suggester.ready(7))
    assert any(w.swapped(i) for i in range(8))  # some pairs are shown B on the left to ana
    out = Browser(w).send({"type": "hello"})
    assert all("suggestion" not in item["payload"] for item in out["items"])  # no suggestion UI
    w.annotate(0, {"choice": "A", "justification": "shorter is better"})
    ann = w.store.annotations("c")
    model = ann[ann["annotator"] == "model:longer"]
    assert len(model) == 8 and not any(v["swapped"] for v in model["value"])  # the columns as they are
    mine = ann[ann["annotator"] == "ana"]
    assert mine["suggestion"].iloc[0]["choice"] == "B" and mine["suggestion_shown"].tolist() == [False]
    w.close()


def test_spans_with_relations_suggest_the_spans_of_a_models_value(tmp_path):
    df = pd.DataFrame({"text": ["Ada works for Acme"]}, index=["d1"])

    def linker(batch: pd.DataFrame) -> list[Any]:
        spans = [{"start": 0, "end": 3, "label": "PER"}, {"start": 14, "end": 18, "label": "ORG"}]
        return [{"spans": spans, "relations": [{"head": 0, "child": 1, "label": "works_for"}]}] * len(batch)

    w = nl.Spans(df, text="text", labels=["PER", "ORG"], task="r", annotator="ana", store=tmp_path / "s.db",
                 relations=["works_for"], suggest=linker)  # fmt: skip
    wait_for(lambda: w._suggester.ready(0))
    spans = [{"start": 0, "end": 3, "label": "PER"}, {"start": 14, "end": 18, "label": "ORG"}]
    assert w._suggestion(0) == spans
    wait_stored(w.store, "r", "model:linker", 1)
    model = w.store.annotations("r", annotator="model:linker")
    assert model["value"].iloc[0]["relations"] == [{"head": 0, "child": 1, "label": "works_for"}]
    w.close()


def test_closing_never_waits_for_a_model_call_in_flight(tmp_path):
    gate = threading.Event()
    fn = Counting(gate=gate)
    w = classify(tmp_path / "s.db", fn)
    assert fn.started.wait(5)
    began = time.monotonic()
    w.close()
    assert time.monotonic() - began < 3
    gate.set()
    assert fn.finished.wait(5)
    time.sleep(0.2)
    assert nl.Store(tmp_path / "s.db").annotations("t", annotator="model:counting").empty  # dropped


def test_boxes_from_a_callable_are_checked_against_the_image_and_recorded(tmp_path):
    from PIL import Image

    Image.new("RGB", (640, 480), "red").save(tmp_path / "a.png")
    Image.new("RGB", (100, 80), "blue").save(tmp_path / "b.png")
    df = pd.DataFrame({"image": [str(tmp_path / "a.png"), str(tmp_path / "b.png")]}, index=["a", "b"])

    def detector(batch: pd.DataFrame) -> list[Any]:
        # one box per image; on the small image it runs out of the picture: refused, named
        return [[{"x": 10, "y": 10, "w": 200, "h": 100, "label": "car"}] for _ in range(len(batch))]

    w = nl.Boxes(df, image="image", labels=["car", "person"], task="det", annotator="ana",
                 store=tmp_path / "s.db", suggest=detector)  # fmt: skip
    wait_for(lambda: w._suggester.ready(1))
    assert w._suggestion(0) == [{"x": 10.0, "y": 10.0, "w": 200.0, "h": 100.0, "label": "car"}]
    assert w._suggestion(1) is None and "row 'b'" in w._suggest["error"]
    out = Browser(w).send({"type": "hello"})
    assert out["items"][0]["payload"]["suggestion"] == [[10.0, 10.0, 200.0, 100.0, 0]]
    w.annotate("a", [{"x": 10, "y": 10, "w": 200, "h": 100, "label": "car"}])
    record = w.store.annotations("det", annotator="ana")["suggestion"].iloc[0]
    assert record["accepted"] == [0]
    wait_stored(w.store, "det", "model:detector", 1)
    assert len(w.store.annotations("det", annotator="model:detector")) == 1
    w.close()


def test_a_two_second_callable_never_delays_a_commit(tmp_path):
    def slow(batch: pd.DataFrame) -> list[Any]:
        time.sleep(2)
        return ["pos"] * len(batch)

    w = classify(tmp_path / "s.db", slow)
    time.sleep(0.1)  # the first call is under way
    began = time.monotonic()
    w.annotate("r0", "neg")
    took = time.monotonic() - began
    assert not w._suggester.ready(0)  # the callable is still running
    assert w.store.annotations("t", annotator="ana")["value"].tolist() == ["neg"]
    assert took < 1.0
    w.close()
