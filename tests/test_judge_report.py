"""nl.judge_report (issue 15, item 4): a judge (``model:<name>``) against people — κ checked
against scikit-learn, the confusion matrix and a Compare case with flips, counted by hand;
through the store on SQLite and PostgreSQL."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score

import nblabel as nl
from nblabel.agreement.suggestions import wilson_interval
from nblabel.core.event import Event

ITEMS = list(range(1, 9))
PEOPLE = {
    "ana": ["pos", "pos", "neg", "neg", "pos", "neg", "pos", "neg"],
    "ben": ["pos", "neg", "neg", "neg", "pos", "pos", "pos", "neg"],
    "cy": ["pos", "pos", "neg", "pos", "neg", "pos", "pos", "pos"],
}
JUDGE = ["pos", "pos", "pos", "neg", "neg", "pos", "neg", "neg"]
# the majority of the three people, item by item
MAJORITY = ["pos", "pos", "neg", "neg", "pos", "pos", "pos", "neg"]


class Writer:
    def __init__(self, store: nl.Store, task: str) -> None:
        self.store, self.task, self.seq = store, task, 0

    def add(self, annotator: str, item: int, value, suggestion=None) -> None:
        self.seq += 1
        self.store.append(Event(task=self.task, item_id=str(item), item_kind="int", annotator=annotator,
                                kind="label", value=value, suggestion=suggestion, client_id=f"c-{annotator}",
                                client_seq=self.seq))  # fmt: skip


def _classify(store: nl.Store) -> pd.DataFrame:
    store.register_task("t", "classify", ["pos", "neg"])
    w = Writer(store, "t")
    for name, values in PEOPLE.items():
        for item, value in zip(ITEMS, values, strict=True):
            w.add(name, item, value)
    for item, value in zip(ITEMS, JUDGE, strict=True):
        w.add("model:judge", item, value, {"model": "judge", "version": "v1", "score": 0.8})
    w.add("model:other", 1, "neg", {"model": "other", "version": "v1", "score": None})  # never a person
    return store.annotations("t")


def test_kappa_with_each_person_and_the_majority_against_sklearn(store):
    report = nl.judge_report(_classify(store), judge="model:judge", n_boot=300, seed=1)
    assert list(report.summary.index) == ["ana", "ben", "cy", "majority"]
    assert report.reference == "majority" and report.judge == "model:judge"
    for name, values in [*PEOPLE.items(), ("majority", MAJORITY)]:
        row = report.summary.loc[name]
        assert row["kappa"] == pytest.approx(cohen_kappa_score(JUDGE, values)), name
        assert row["items"] == 8
        assert row["agreement"] == pytest.approx(sum(a == b for a, b in zip(JUDGE, values, strict=True)) / 8)
        assert row["kappa_low"] <= row["kappa"] <= row["kappa_high"]
    # how people agree among themselves: each one's mean kappa with the others, and over all pairs
    pairs = {
        (a, b): cohen_kappa_score(PEOPLE[a], PEOPLE[b])
        for a, b in [("ana", "ben"), ("ana", "cy"), ("ben", "cy")]
    }
    assert report.summary.loc["ana", "kappa_people"] == pytest.approx(
        (pairs["ana", "ben"] + pairs["ana", "cy"]) / 2
    )
    assert report.summary.loc["cy", "kappa_people"] == pytest.approx(
        (pairs["ana", "cy"] + pairs["ben", "cy"]) / 2
    )
    assert report.summary.loc["majority", "kappa_people"] == pytest.approx(sum(pairs.values()) / 3)
    # the judge (rows) against the majority (columns), counted by hand
    assert report.confusion.loc["pos", "pos"] == 3  # items 1, 2, 6
    assert report.confusion.loc["pos", "neg"] == 1  # item 3
    assert report.confusion.loc["neg", "pos"] == 2  # items 5, 7
    assert report.confusion.loc["neg", "neg"] == 2  # items 4, 8
    assert report.position_bias is None  # not a judge of pairs
    text = str(report)
    assert "model:judge" in text and "majority" in text and "Cohen's κ" in text
    assert "<table" in report._repr_html_()
    # the model's own name is enough; the same numbers again with the same seed
    again = nl.judge_report(store.annotations("t"), judge="judge", n_boot=300, seed=1)
    pd.testing.assert_frame_equal(again.summary, report.summary)


def test_gold_is_the_reference_when_given(store):
    gold = pd.Series(dict(zip(ITEMS, ["pos", "pos", "neg", "neg", "neg", "pos", "neg", "neg"], strict=True)))
    report = nl.judge_report(_classify(store), judge="model:judge", gold=gold, n_boot=0)
    assert report.reference == "gold" and list(report.summary.index)[-1] == "gold"
    assert report.summary.loc["gold", "kappa"] == pytest.approx(cohen_kappa_score(JUDGE, gold.tolist()))
    assert math.isnan(report.summary.loc["gold", "kappa_low"])  # n_boot=0: no interval
    assert int(report.confusion.to_numpy().sum()) == 8


def test_the_plot(store, tmp_path: Path):
    report = nl.judge_report(_classify(store), judge="model:judge", n_boot=100)
    fig = report.plot()
    assert fig.confusion.tolist() == [[3, 1], [2, 2]]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["ana", "ben", "cy", "majority"]
    fig.savefig(tmp_path / "judge.png")


def test_bad_input_is_named(store):
    frame = _classify(store)
    with pytest.raises(KeyError, match="model annotators: \\['model:judge', 'model:other'\\]"):
        nl.judge_report(frame, judge="model:nobody")
    spans = frame.assign(task="t")
    spans.attrs = {}
    with pytest.raises(TypeError, match="store.annotations"):
        nl.judge_report(list(spans.itertuples()), judge="model:judge")


# ---------------------------------------------------------------------- compare: position bias
def choice(c: str, swapped: bool = False) -> dict:
    strength = 1 if c in ("A", "B") else None
    return {"choice": c, "strength": strength, "rubric": {}, "justification": "", "swapped": swapped}


def test_compare_judge_flips_beside_the_peoples_position_bias(store):
    store.register_task("p", "compare", ["A", "B", "tie", "both_bad"], {"a": "gpt", "b": "claude"})
    w = Writer(store, "p")
    first = ["A", "A", "B", "A", "B", "tie"]
    other = ["B", "A", "B", "B", "A", "tie"]  # the verdict in the other order, mapped back to A/B
    for item, (a, b) in enumerate(zip(first, other, strict=True), start=1):
        record = {"model": "judge", "version": "1", "score": None, "other_order": choice(b)}
        w.add("model:judge", item, choice(a), record)
    people = {  # (choice, swapped): left wins are A unswapped or B swapped
        "ana": [("A", False), ("A", True), ("B", True), ("tie", False)],  # left, right, left
        "ben": [("B", False), ("A", False), ("B", False), ("tie", True)],  # right, left, right
    }
    for name, rows in people.items():
        for item, (c, swapped) in enumerate(rows, start=1):
            w.add(name, item, choice(c, swapped))
    report = nl.judge_report(store.annotations("p"), judge="model:judge", n_boot=50)
    bias = report.position_bias
    assert list(bias.index) == ["model:judge", "ana", "ben", "people"]
    judge = bias.loc["model:judge"]
    assert (judge["pairs"], judge["flips"], judge["flip_rate"]) == (6, 3, 0.5)  # items 1, 4, 5 flip
    assert (judge["flip_low"], judge["flip_high"]) == pytest.approx(wilson_interval(3, 6)[1:])
    # left wins: A in the first order (items 1, 2, 4), B in the other (items 1, 3, 4): 6 of 10 A/B verdicts
    assert (judge["decided"], judge["left_share"]) == (10, 0.6)
    assert (bias.loc["ana", "decided"], bias.loc["ana", "left_share"]) == (3, pytest.approx(2 / 3))
    assert (bias.loc["ben", "decided"], bias.loc["ben", "left_share"]) == (3, pytest.approx(1 / 3))
    assert (bias.loc["people", "decided"], bias.loc["people", "left_share"]) == (6, 0.5)
    assert bias.loc["people", "pairs"] == 0 and math.isnan(bias.loc["people", "flip_rate"])
    # κ on the choices: the judge's first-order verdicts against each person
    assert report.summary.loc["ana", "kappa"] == pytest.approx(
        cohen_kappa_score(["A", "A", "B", "A"], ["A", "A", "B", "tie"]))  # fmt: skip
    assert "Position bias" in str(report)


def test_a_multi_label_judge_compares_label_sets(store):
    store.register_task("m", "classify", ["x", "y", "z"], {"multi": True})
    w = Writer(store, "m")
    sets = {"ana": [["x"], ["x", "y"], ["z"], []], "ben": [["x"], ["y", "x"], ["z"], ["y"]]}
    for name, values in sets.items():
        for item, value in enumerate(values, start=1):
            w.add(name, item, sorted(value))
    for item, value in enumerate([["x"], ["x", "y"], ["y"], []], start=1):
        w.add("model:tagger", item, value, {"model": "tagger", "version": "1", "score": None})
    report = nl.judge_report(store.annotations("m"), judge="model:tagger", n_boot=0)
    judge = ["x", "x + y", "y", ""]
    assert report.summary.loc["ana", "kappa"] == pytest.approx(
        cohen_kappa_score(judge, ["x", "x + y", "z", ""])
    )
    assert report.summary.loc["ana", "agreement"] == 0.75
    assert report.confusion.loc["x + y", "x + y"] == 1  # items 1-3 are unanimous; item 4 a tie of two
