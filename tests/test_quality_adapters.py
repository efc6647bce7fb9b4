"""nl.to_crowdkit and nl.to_cleanlab: the standing labels of a real store as crowd-kit's long
frame (fed to crowd-kit's own models and compared with nl.aggregate) and as cleanlab's wide
frame of class indices (checked by hand: cleanlab is AGPL-3.0 and never imported)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import nblabel as nl
from nblabel.agreement.aggregate import SmallPilotWarning

pytestmark = pytest.mark.filterwarnings("ignore::Warning:crowdkit")

LABELS = ["neu", "pos", "neg"]  # the label set's order is not the alphabetical one
TOPICS = ["sports", "politics", "tech", "arts"]


@pytest.fixture(scope="module")
def crowdkit() -> Any:
    return pytest.importorskip(
        "crowdkit.aggregation", reason="crowd-kit not installed (pip install --no-deps crowd-kit==1.4.2)"
    )


def crowd(seed: int, n_items: int, n_annotators: int) -> pd.DataFrame:
    """A simulated crowd in nblabel's long frame: annotators of their own accuracy, 3 to 5 labels
    per item."""
    rng = np.random.default_rng(seed)
    accuracy = rng.uniform(0.45, 0.95, n_annotators)
    rows = []
    for item in range(n_items):
        truth = rng.integers(0, len(LABELS))
        for who in rng.choice(n_annotators, rng.integers(3, 6), replace=False):
            right = rng.random() < accuracy[who]
            label = truth if right else rng.choice([k for k in range(len(LABELS)) if k != truth])
            rows.append((item, f"w{who:02d}", LABELS[label]))
    return pd.DataFrame(rows, columns=["item_id", "annotator", "value"])


def store_with(tmp_path: Path, frame: pd.DataFrame, task: str, labels: list[str], **config: Any) -> nl.Store:
    store = nl.Store(tmp_path / "s.db")
    store.register_task(task, "classify", labels, config)
    store.import_annotations(frame, task)
    return store


def not_standing(store: nl.Store, task: str, labels: list[str], value: Any) -> None:
    """Events of 'zed' that leave no standing label: a label taken back, a skip, a label then a
    skip, a flag."""
    df = pd.DataFrame({"text": ["a", "b", "c", "d"]}, index=[0, 1, 2, 3])
    w = nl.Classify(df, text="text", labels=labels, task=task, annotator="zed", store=store,
                    multi=isinstance(value, list))  # fmt: skip
    w.annotate(0, value)
    w.undo()
    w.skip(1)
    w.annotate(2, value)
    w.skip(2)
    w.flag(3, "unsure")
    w.close()


# ---------------------------------------------------------------------- crowd-kit
def test_to_crowdkit_feeds_crowdkit_dawid_skene(crowdkit: Any, tmp_path: Path) -> None:
    frame = crowd(seed=4, n_items=300, n_annotators=8)
    store = store_with(tmp_path, frame, "sentiment", LABELS)
    not_standing(store, "sentiment", LABELS, "pos")
    annotations = store.annotations("sentiment")
    ck = nl.to_crowdkit(annotations)
    assert list(ck.columns) == ["task", "worker", "label"] and len(ck) == len(frame)
    assert "zed" not in set(ck["worker"])  # retracted, skipped and flagged: no standing label
    expected = frame.sort_values(["item_id", "annotator"]).reset_index(drop=True)
    assert ck["task"].tolist() == expected["item_id"].tolist()
    assert ck["worker"].tolist() == expected["annotator"].tolist()
    assert ck["label"].tolist() == expected["value"].tolist()
    assert ck["task"].dtype == np.int64

    model = crowdkit.DawidSkene(n_iter=100)
    theirs = model.fit_predict(ck)
    ours = nl.aggregate(annotations, "dawid_skene")
    assert (theirs.reindex(ours.index) == ours["label"]).all()
    proba = model.probas_.reindex(index=ours.index, columns=ours.probabilities.columns)
    np.testing.assert_allclose(ours.probabilities.to_numpy(), proba.to_numpy(), atol=1e-8)
    store.close()


def test_multi_label_as_label_lists_and_per_label_frames(crowdkit: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    rows = []
    for item in range(150):
        truth = {t for t in TOPICS[:3] if rng.random() < 0.4}
        for name, accuracy in (("ana", 0.95), ("bob", 0.85), ("cy", 0.8), ("dan", 0.6)):
            rows.append((item, name, [t for t in TOPICS[:3] if (t in truth) == (rng.random() < accuracy)]))
    frame = pd.DataFrame(rows, columns=["item_id", "annotator", "value"])
    store = store_with(tmp_path, frame, "topics", TOPICS, multi=True)
    not_standing(store, "topics", TOPICS, ["arts"])
    annotations = store.annotations("topics")
    result = nl.aggregate(annotations, "dawid_skene")

    ck = nl.to_crowdkit(annotations)
    assert len(ck) == len(frame) and all(isinstance(v, list) for v in ck["label"])
    assert ck["label"].tolist() == frame.sort_values(["item_id", "annotator"])["value"].tolist()
    relevance = crowdkit.BinaryRelevance(crowdkit.DawidSkene(n_iter=100)).fit_predict(ck)
    assert [set(v) for v in relevance.reindex(result.index)] == [set(v) for v in result["label"]]

    for label in result.categories:
        binary = nl.to_crowdkit(annotations, label=label)
        assert binary["label"].tolist() == [label in v for v in ck["label"]]
        theirs = crowdkit.DawidSkene(n_iter=100).fit_predict(binary)
        assert (theirs.reindex(result.index) == result.by_label[label]["label"]).all()
    unused = nl.to_crowdkit(annotations, label="arts")  # in the label set, never given
    assert not unused["label"].any()
    with pytest.raises(ValueError, match=r"label='music' is not one of the labels \['sports'"):
        nl.to_crowdkit(annotations, label="music")
    store.close()


def test_to_crowdkit_of_a_compare_task_gives_the_choices(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "s.db")
    pairs = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}, index=["p1", "p2"])
    for name, choices in {"ana": ["A", "tie"], "bo": ["B", "tie"]}.items():
        w = nl.Compare(pairs, a="a", b="b", task="cmp", annotator=name, store=store)
        for item, choice in zip(pairs.index, choices, strict=True):
            w.annotate(item, {"choice": choice, "justification": "because"})
        w.close()
    ck = nl.to_crowdkit(store.annotations("cmp"))
    assert ck.to_dict("list") == {
        "task": ["p1", "p1", "p2", "p2"],
        "worker": ["ana", "bo", "ana", "bo"],
        "label": ["A", "B", "tie", "tie"],
    }
    wide = nl.to_cleanlab(store.annotations("cmp"))
    assert wide.attrs["labels"] == ["A", "B", "tie", "both_bad"]
    assert wide.to_numpy().tolist() == [[0.0, 1.0], [2.0, 2.0]]
    store.close()


def test_kinds_without_categories_are_refused(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "s.db")
    w = nl.Spans(pd.DataFrame({"text": ["Ann"]}), text="text", labels=["PER"], task="ner", annotator="a",
                 store=store)  # fmt: skip
    w.annotate(0, [(0, 3, "PER")])
    w.close()
    for adapter in (nl.to_crowdkit, nl.to_cleanlab):
        name = adapter.__name__
        with pytest.raises(ValueError, match=rf"nl\.{name} takes the tasks nl\.aggregate takes: .*spans"):
            adapter(store.annotations("ner"))
    store.close()


# ---------------------------------------------------------------------- cleanlab
def test_to_cleanlab_lays_out_class_indices(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "item_id": ["b", "a", "a", "c", "b", "c", "a"],
            "annotator": ["cy", "ana", "bo", "ana", "ana", "cy", "cy"],
            "value": ["pos", "pos", "neu", "pos", "pos", "pos", "pos"],
        }
    )
    store = store_with(tmp_path, frame, "t", LABELS + ["never used"])
    not_standing(store, "t", LABELS + ["never used"], "neg")
    wide = nl.to_cleanlab(store.annotations("t"))
    # classes: the whole label set, in its order, so pred_probs columns can follow it
    assert wide.attrs["labels"] == ["neu", "pos", "neg", "never used"]
    assert wide.index.tolist() == ["a", "b", "c"] and wide.index.name == "item_id"
    assert wide.columns.tolist() == ["ana", "bo", "cy"] and wide.columns.name == "annotator"
    assert (wide.dtypes == np.float64).all()
    expected = np.array([[1.0, 0.0, 1.0], [1.0, np.nan, 1.0], [1.0, np.nan, 1.0]])
    np.testing.assert_array_equal(wide.to_numpy(), expected)
    # what cleanlab's checks require: no row or column without a label, integer classes < K
    values = wide.to_numpy()
    assert not np.isnan(values).all(axis=1).any() and not np.isnan(values).all(axis=0).any()
    given = values[~np.isnan(values)]
    assert (given == given.round()).all() and given.max() < len(wide.attrs["labels"])

    hand = frame.assign(value=["x", "z", "y", "z", "x", "x", "y"])  # a frame of no store: no label set
    plain = nl.to_cleanlab(hand)
    assert plain.attrs["labels"] == ["x", "y", "z"]
    assert plain.loc["a"].tolist() == [2.0, 1.0, 1.0] and plain.loc["b", "bo"] != plain.loc["b", "bo"]
    one_vs_rest = nl.to_cleanlab(hand, label="x")
    assert one_vs_rest.attrs["labels"] == [False, True]
    assert one_vs_rest.loc["b"].tolist()[::2] == [1.0, 1.0] and one_vs_rest.loc["a", "ana"] == 0.0
    store.close()


def test_to_cleanlab_of_a_multi_label_task_needs_a_label(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"item_id": [1, 1, 2], "annotator": ["ana", "bo", "ana"], "value": [["tech", "arts"], [], ["sports"]]}
    )
    store = store_with(tmp_path, frame, "topics", TOPICS, multi=True)
    annotations = store.annotations("topics")
    with pytest.raises(ValueError, match=r"multi-label task .* pass label= \(one of \['sports'"):
        nl.to_cleanlab(annotations)
    tech = nl.to_cleanlab(annotations, label="tech")
    assert tech.attrs["labels"] == [False, True]
    np.testing.assert_array_equal(tech.to_numpy(), np.array([[1.0, 0.0], [0.0, np.nan]]))
    with pytest.raises(ValueError, match=r"item 1, annotator 'ana': 'music' is not one of the labels"):
        nl.to_crowdkit(pd.DataFrame({"item_id": [1], "annotator": ["ana"], "value": [["music"]]}),
                       labels=TOPICS, multi=True)  # fmt: skip
    with warnings.catch_warnings():
        warnings.simplefilter("error", SmallPilotWarning)  # the adapters fit nothing: no warning
        nl.to_crowdkit(annotations)
    store.close()
