"""Classify end to end in Python: the browser message protocol, the Python API, validation,
multi-label, suggestions, guidelines, resume, order and widget state size."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from _driver import Browser

import nblabel as nl
from nblabel.store.store import _parse_url


@pytest.fixture
def w(make_classify, texts):
    return make_classify(texts, text="review")


@pytest.fixture
def b(w):
    return Browser(w)


def keys(window) -> list[str]:
    return [item["key"] for item in window["items"]]


def item_of(window, key) -> dict:
    return next(item for item in window["items"] if item["key"] == key)


# --------------------------------------------------------------------------- protocol
def test_hello_sends_the_window(w, b):
    win = b.hello()
    assert win["view"] == 1
    assert win["current"] == "101" and w.current == 101
    assert win["upcoming"] == ["102", "103", "104", "105", "106"]
    assert win["prev"] is None and win["next"] == "102"
    first = item_of(win, "101")
    assert first["payload"] == {"id": "101", "text": "great"}
    assert first["status"] is None and first["value"] is None and first["rank"] == 1
    assert b.out.of_type("ack") == [] and b.out.of_type("error") == []


def test_label_is_acked_after_commit_then_moves_to_next_unlabeled(w, b):
    b.hello()
    committed_at_ack = []
    send = w.send

    def spy(content, buffers=None):
        if content.get("type") == "ack":
            committed_at_ack.append(w.store.annotations("t")["item_id"].tolist())
        send(content, buffers)

    w.send = spy
    win = b.label("101", 1, active_ms=2500)
    # the ack came after the event was in the store, and before the new window
    assert committed_at_ack == [[101]]
    types = [m["type"] for m, _ in b.out.messages]
    assert types[-2:] == ["ack", "window"]
    assert b.out.last("ack")["seqs"] == [1]
    assert win["current"] == "102" and w.current == 102
    assert win["prev"] == "101"
    assert item_of(win, "101")["status"] == "label" and item_of(win, "101")["value"] == 1
    # items the browser already has come without their payload
    assert "payload" not in item_of(win, "102")
    row = w.annotations.iloc[-1]
    assert (row["item_id"], row["kind"], row["value"], row["active_ms"]) == (101, "label", "neg", 2500)
    assert w.labels[101] == "neg"
    assert w._progress["labeled"] == 1 and w._progress["counts"] == [0, 1, 0]
    assert w._progress["remaining"] == 5


def test_label_skips_already_labeled_items(w, b):
    b.hello()
    w.annotate(103, "pos")  # labeled out of order from Python
    b.goto("101")
    b.label("101", 0)
    win = b.label("102", 0)
    assert win["current"] == "104"  # 103 is done


def test_skip(w, b):
    b.hello()
    win = b.skip("101")
    assert win["current"] == "102"
    assert b.out.last("ack")["seqs"] == [1]
    assert w.annotations["kind"].tolist() == ["skip"]
    assert pd.isna(w.labels[101])
    assert w._progress["skipped"] == 1 and w._progress["remaining"] == 5
    assert item_of(win, "101")["status"] == "skip"


def test_flag_with_comment_stays_on_the_item(w, b):
    b.hello()
    comment = "sarcasm? <script>alert(1)</script> ✓"
    win = b.flag("101", comment)
    assert win["current"] == "101"
    assert b.out.last("ack")["seqs"] == [1]
    assert item_of(win, "101")["flag"] == comment
    ann = w.annotations
    assert ann["kind"].tolist() == ["flag"] and ann["comment"].tolist() == [comment]
    assert w._progress["flagged"] == 1 and w._progress["labeled"] == 0
    assert w.labels.isna().all()


def test_undo_retracts_and_returns_to_the_item(w, b):
    b.hello()
    b.label("101", 0)
    b.label("102", 1)
    win = b.undo()
    assert b.out.last("ack")["seqs"] == [3]
    assert win["current"] == "102" and w.current == 102
    assert item_of(win, "102")["status"] is None
    assert w.annotations["kind"].tolist() == ["label", "label", "retract"]
    assert w.labels[102] is None and w.labels[101] == "pos"
    win = b.undo()
    assert win["current"] == "101" and w.labels.isna().all()
    # nothing left: the undo is acknowledged, nothing written
    win = b.undo()
    assert b.out.last("ack")["seqs"] == [5]
    assert len(w.annotations) == 4
    assert w._progress["labeled"] == 0 and w._progress["remaining"] == 6


def test_undo_restores_a_relabel(w, b):
    b.hello()
    b.label("101", 0)
    b.goto("101")
    b.label("101", 2)
    assert w.labels[101] == "neu"
    b.undo()
    assert w.labels[101] == "pos" and w.current == 101
    assert w._progress["counts"] == [1, 0, 0]


def test_undo_after_skip(w, b):
    b.hello()
    b.skip("101")
    b.undo()
    assert w.current == 101 and w._progress["skipped"] == 0


def test_goto_and_nav(w, b):
    b.hello()
    win = b.goto("104")
    assert win["current"] == "104" and win["prev"] == "103" and win["next"] == "105"
    assert b.nav("104", 1)["current"] == "105"
    assert b.nav("105", -1)["current"] == "104"
    b.goto("101")
    assert b.nav("101", -1)["current"] == "101"  # no wrap at the start
    b.goto("106")
    assert b.nav("106", 1)["current"] == "106"  # nor at the end
    # nav without a key moves from the kernel's current item
    b.goto("103")
    assert b.nav(None, 1)["current"] == "104"


def test_nav_back_from_done(w, b):
    b.hello()
    for key, value in zip(["101", "102", "103", "104", "105", "106"], [0, 1, 2, 0, 1, 2], strict=True):
        win = b.label(key, value)
    assert win["current"] is None and w.current is None and win["upcoming"] == []
    assert w._progress["remaining"] == 0
    assert b.nav(None, -1)["current"] == "106"


def test_view_number_is_echoed_and_stale_views_ignored_by_the_browser(w, b):
    b.hello()
    b.label("101", 0)
    assert b.out.last("window")["view"] == b.view


def test_bad_messages_send_errors_and_keep_going(w, b):
    b.hello()
    b.send({"type": "label", "key": "999", "value": 0}, tracked=True)
    err = b.out.last("error")
    assert err["seq"] == 1 and "999" in err["message"]
    b.send({"type": "label", "key": "101", "value": 7}, tracked=True)
    assert "out of range" in b.out.last("error")["message"]
    b.send({"type": "label", "key": "101", "value": True}, tracked=True)
    assert b.out.last("error")["seq"] == 3
    b.send({"type": "flag", "key": "101", "comment": "x" * 6000}, tracked=True)
    assert "5000" in b.out.last("error")["message"]
    b.send({"type": "goto", "key": "nope"})
    b.send({"type": "bogus"})
    assert w.annotations.empty
    assert w.current == 101
    win = b.label("101", 0)  # still works
    assert win["current"] == "102"


def test_window_limits_prefetch(make_classify):
    df = pd.DataFrame({"t": [f"row {i}" for i in range(50)]})
    b = Browser(make_classify(df))
    win = b.hello()
    assert len(win["upcoming"]) == win["prefetch"] == 5
    assert len(win["items"]) <= 1 + 5 + 2


# --------------------------------------------------------------------------- Python API
def test_no_window_is_built_before_a_browser_view_says_hello(w):
    """Labeled from Python while no browser view has rendered it (a script, a simulated
    annotator): no window is built; the view that renders later gets the window as it is then."""
    b = Browser(w)
    synced: list[dict] = []  # trait updates to the browser's model (ipywidgets' comm messages)
    w._send = lambda msg, buffers=None: synced.append(msg["state"])  # type: ignore[method-assign]
    w.annotate(101, "pos")
    w.skip()
    assert b.out.of_type("window") == [] and w.current == 103
    # progress is current in Python, and held back from the browser's model until a view is there
    assert w._progress["labeled"] == 1 and w._progress["skipped"] == 1
    assert not [state for state in synced if "_progress" in state]
    window = b.hello()
    assert [state["_progress"] for state in synced if "_progress" in state] == [w._progress]
    assert window["current"] == "103" and window["prev"] == "102"
    shown = {item["key"]: item for item in window["items"]}
    assert shown["103"]["payload"]["text"] and shown["102"]["status"] == "skip"
    b.out.clear()
    w.annotate(103, "neg")  # from Python once a view is there: the window and progress follow
    assert b.out.last("window")["current"] == "104"
    assert synced[-1]["_progress"]["labeled"] == 2


def test_progress_observers_in_python_see_every_change_before_a_view_says_hello(w):
    """Before a view said hello the trait is kept without traitlets' notification only while
    nobody observes it: an observer in Python gets one change per answer, as always."""
    changes: list[dict] = []
    w.observe(lambda change: changes.append(change["new"]), "_progress")
    w.annotate(101, "pos")
    w.annotate(102, "neg")
    w.skip()
    assert [(c["labeled"], c["skipped"]) for c in changes] == [(1, 0), (2, 0), (2, 1)]
    assert changes[-1] == w._progress


def test_annotate_validates_and_moves_on(w):
    b = Browser(w)
    b.hello()
    out = b.out
    w.annotate(101, "pos")
    assert w.current == 102
    assert out.last("window")["current"] == "102"
    with pytest.raises(ValueError) as err:
        w.annotate(102, "positive")
    assert "'positive'" in str(err.value) and "['pos', 'neg', 'neu']" in str(err.value)
    with pytest.raises(ValueError):
        w.annotate(102, ["pos"])  # multi=False: one label
    with pytest.raises(KeyError, match="999"):
        w.annotate(999, "pos")
    assert len(w.annotations) == 1


def test_python_api_skip_flag_undo_goto(w):
    Browser(w)
    w.skip()
    assert w.current == 102
    w.flag(104, "check this")
    assert w.current == 102
    w.flag(comment="current")
    assert w.annotations.tail(1)[["item_id", "comment"]].values.tolist() == [[102, "current"]]
    assert w.undo() == 101
    assert w.current == 101
    assert w.undo() is None
    w.goto(105)
    assert w.current == 105
    with pytest.raises(KeyError):
        w.goto("105")
    with pytest.raises(TypeError):
        w.flag(101, comment=3)


def test_on_label_callback_after_commit(w):
    seen = []
    w.on_label(lambda item_id, value: seen.append((item_id, value, len(w.annotations))))
    w.annotate(103, "neu")
    w.skip(101)
    assert seen == [(103, "neu", 1)]


def test_multi_label_values_are_lists_in_label_order(make_classify, texts):
    w = make_classify(texts, text="review", multi=True, labels=["a", "b", "c", "d"], task="m")
    b = Browser(w)
    b.hello()
    b.label("101", [3, 0])
    w.annotate(102, ["c", "a", "c"])
    w.annotate(103, "b")
    w.annotate(104, [])
    assert w.labels.tolist()[:4] == [["a", "d"], ["a", "c"], ["b"], []]
    assert w.annotations["value"].tolist() == [["a", "d"], ["a", "c"], ["b"], []]
    assert w._progress["counts"] == [2, 1, 1, 1]
    assert w._config["multi"] is True
    win = b.goto("101")
    assert item_of(win, "101")["value"] == [0, 3]
    with pytest.raises(ValueError, match="'e'"):
        w.annotate(105, ["a", "e"])
    b.send({"type": "label", "key": "105", "value": 1}, tracked=True)  # not a list
    assert b.out.last("error")["seq"] == 2


def test_suggestions_are_sent_and_recorded(make_classify):
    df = pd.DataFrame(
        {"t": ["a", "b", "c"], "model": ["neg", None, "pos"]},
        index=["x", "y", "z"],
    )
    w = make_classify(df, text="t", suggestions="model")
    b = Browser(w)
    win = b.hello()
    assert item_of(win, "x")["payload"]["suggestion"] == 1
    assert "suggestion" not in item_of(win, "y")["payload"]
    b.label("x", 0)  # disagreeing with the model
    b.label("y", 2)
    b.skip("z")
    ann = w.annotations
    assert ann["suggestion"].tolist() == ["neg", None, None]  # skips record no suggestion
    assert ann["value"].tolist() == ["pos", "neu", None]


def test_multi_suggestions(make_classify):
    df = pd.DataFrame({"t": ["a", "b"], "model": [["c", "a"], "b"]})
    w = make_classify(df, text="t", labels=["a", "b", "c"], multi=True, suggestions="model")
    win = Browser(w).hello()
    assert item_of(win, "0")["payload"]["suggestion"] == [0, 2]
    w.annotate(0, ["a"])
    assert w.annotations["suggestion"].tolist() == [["a", "c"]]


@pytest.mark.parametrize(
    "column, multi, fragment",
    [(["pos", "bogus"], False, "'bogus'"), ([["pos", "neg"], "pos"], False, "multi=False"),
     ([["pos"], ["zzz"]], True, "'zzz'")],
)  # fmt: skip
def test_invalid_suggestion_names_row_and_value(make_classify, column, multi, fragment):
    df = pd.DataFrame({"t": ["a", "b"], "model": column}, index=["r1", "r2"])
    with pytest.raises(ValueError) as err:
        make_classify(df, text="t", suggestions="model", multi=multi)
    message = str(err.value)
    assert fragment in message and "model" in message and ("'r1'" in message or "'r2'" in message)


def test_guidelines_version_on_every_event(make_classify, texts, tmp_path):
    g = "# Rules\n\nLabel **sentiment**."
    w = make_classify(texts, text="review", guidelines=g)
    assert w._config["has_guidelines"] is True
    version = w._config["guideline_version"]
    assert version and "<strong>sentiment</strong>" in w._guidelines_html
    w.annotate(101, "pos")
    w.skip(102)
    w.flag(103, "?")
    w.undo()
    assert w.annotations["guideline_version"].tolist() == [version] * 4
    # edited guidelines: a new version for new events, old events keep theirs
    w2 = make_classify(texts, text="review", guidelines=g + "\n\nAlso: sarcasm is neg.")
    w2.annotate(104, "neg")
    versions = w2.annotations["guideline_version"].tolist()
    assert versions[:4] == [version] * 4 and versions[4] not in (None, version)
    # no guidelines: none recorded
    w3 = make_classify(texts, text="review", task="t-noguide")
    w3.annotate(101, "pos")
    assert w3.annotations["guideline_version"].tolist() == [None]
    assert w3._config["has_guidelines"] is False and w3._guidelines_html == ""


# --------------------------------------------------------------------------- resume
def test_resume_on_the_same_store(make_classify, texts):
    w = make_classify(texts, text="review")
    w.annotate(101, "pos")
    w.annotate(102, "neg")
    w.skip(103)
    w.flag(104, "odd")
    w.annotate(105, "neu")
    w.undo()  # 105 back to unlabeled
    before = w.labels
    w.close()

    w2 = make_classify(texts, text="review")  # "restart the kernel, run the cell again"
    assert w2.current == 104
    pd.testing.assert_series_equal(w2.labels, before)
    assert w2._progress == w._progress
    win = Browser(w2).hello()
    assert win["current"] == "104" and item_of(win, "104")["flag"] == "odd"
    # undo still works across the restart: latest standing event is the skip of 103
    assert w2.undo() == 103
    assert w2.current == 103
    # another annotator on the same store starts from scratch
    other = make_classify(texts, text="review", annotator="bob")
    assert other.current == 101 and other.labels.isna().all()


def test_resume_with_a_new_label_is_additive(make_classify, texts):
    make_classify(texts, text="review").annotate(101, "pos")
    w = make_classify(texts, text="review", labels=["pos", "neg", "neu", "mixed"])
    assert w.labels[101] == "pos"
    assert w.store.task("t").labels == ["pos", "neg", "neu", "mixed"]
    with pytest.raises(ValueError, match="'neu'"):
        make_classify(texts, text="review", labels=["pos", "neg"])


def test_order_column_higher_first(make_classify):
    df = pd.DataFrame({"t": list("abcde"), "p": [0.1, 5, 3, 5, -1]}, index=list("abcde"))
    w = make_classify(df, text="t", order="p")
    b = Browser(w)
    win = b.hello()
    assert win["current"] == "b"  # ties keep DataFrame order
    assert win["upcoming"] == ["d", "c", "a", "e"]
    assert item_of(win, "b")["rank"] == 1 and item_of(win, "e")["rank"] == 5
    b.label("b", 0)
    assert w.current == "d"
    w2 = make_classify(df, text="t", order=lambda frame: -frame["p"], task="t-callable")
    assert w2.current == "e"


# --------------------------------------------------------------------------- widget state
def _state(w) -> dict:
    return {k: v for k, v in w.get_state().items() if k not in ("_esm", "_css")}


def test_widget_state_is_small_and_holds_no_item_text(make_classify):
    n = 100_000
    df = pd.DataFrame({"text": [f"secret-text-{i:06d} " + "x" * 40 for i in range(n)]})
    w = make_classify(df)
    b = Browser(w)
    b.hello()
    for i in range(20):
        w.annotate(i, "pos")
    w.flag(25, "flag comment")
    w.goto(50_000)
    state = _state(w)
    blob = json.dumps(state, default=str)
    assert len(blob) < 10_000, len(blob)
    assert "secret-text-" not in blob
    # windows carry only the few items around the current one
    win = b.out.last("window")
    texts = [it["payload"]["text"] for it in win["items"] if "payload" in it]
    assert 0 < len(texts) <= 8
    assert w._config["total"] == n


def test_store_url_credentials_never_reach_the_browser(make_classify, texts, tmp_path):
    w = make_classify(texts, text="review", store=f"sqlite:///{tmp_path / 'private.db'}")
    assert w._config["store"] == str((tmp_path / "private.db").resolve())
    # A server URL is shown without its credentials (checked without connecting).
    s = nl.Store.__new__(nl.Store)
    s.url = _parse_url("postgresql://ana:hunter2@db.example:5433/labels")
    s.backend = "postgresql"
    assert s.location == "postgresql://db.example:5433/labels" and "hunter2" not in repr(s)


def test_numpy_int_labels(make_classify):
    df = pd.DataFrame({"t": ["a", "b"]})
    w = make_classify(df, text="t", labels=[1, 2, 3])
    w.annotate(0, 2)
    assert w.labels.tolist() == [2, None]
    assert w._config["labels"] == ["1", "2", "3"]
    b = Browser(w)
    b.hello()
    b.label("1", 2)
    assert w.labels.tolist() == [2, 3]
    assert isinstance(w.annotations["value"].iloc[1], int)
    np.testing.assert_array_equal(w._progress["counts"], [0, 1, 1])


def test_a_widget_on_part_of_the_data_counts_and_undoes_only_its_rows(make_classify):
    df = pd.DataFrame({"t": [f"row {i}" for i in range(10)]})
    full = make_classify(df, text="t")
    full.annotate(1, "neg")
    full.flag(2, "hmm")
    for i in range(3, 8):
        full.annotate(i, "pos")  # rows 3-7 are not in the sample below
    sample = make_classify(df.head(3), text="t")
    assert sample._progress["total"] == 3
    assert sample._progress["labeled"] == 1 and sample._progress["counts"] == [0, 1, 0]
    assert sample._progress["flagged"] == 1
    assert sample._progress["remaining"] == 2
    assert sample.current == 0
    assert sample.labels.tolist() == [None, "neg", None]
    # undo reaches back past rows this widget does not show
    assert sample.undo() == 1
    assert sample.labels.isna().all() and sample._progress["labeled"] == 0
    assert sample.undo() is None
    assert full.store.current("t", annotator="ana")["item_id"].tolist() == [3, 4, 5, 6, 7]


def test_int_labels_with_an_int_suggestions_column_are_saved(make_classify):
    # numpy.int64 cells must not reach the JSON encoder: they would fail every retry
    df = pd.DataFrame({"t": ["a", "b", "c"], "model": [1, 2, 3]})
    w = make_classify(df, text="t", labels=[1, 2, 3], suggestions="model")
    b = Browser(w)
    win = b.hello()
    assert item_of(win, "0")["payload"]["suggestion"] == 0
    b.label("0", 1)
    w.annotate(1, np.int64(3))
    assert w.pending == 0 and w._status["state"] == "ok"
    ann = w.annotations
    assert ann["value"].tolist() == [2, 3] and ann["suggestion"].tolist() == [1, 2]
    assert all(type(v) is int for v in ann["value"])
    floats = pd.DataFrame({"t": ["a", "b"], "model": [2.0, np.nan]})  # an int column with a gap
    w2 = make_classify(floats, text="t", labels=[1, 2, 3], suggestions="model", task="t-float")
    w2.annotate(0, 1)
    assert w2.annotations["suggestion"].tolist() == [2] and w2.pending == 0


def test_multi_suggestions_from_numpy_arrays(make_classify):
    # list columns read from parquet arrive as numpy arrays
    df = pd.DataFrame({"t": ["a", "b"], "model": [np.array(["c", "a"]), np.array([], dtype=object)]})
    w = make_classify(df, text="t", labels=["a", "b", "c"], multi=True, suggestions="model")
    win = Browser(w).hello()
    assert item_of(win, "0")["payload"]["suggestion"] == [0, 2]
    w.annotate(0, ["b"])
    w.annotate(1, ["a"])
    assert w.annotations["suggestion"].tolist() == [["a", "c"], []]
    bad = pd.DataFrame({"t": ["a"], "model": [np.array(["a", "zzz"])]})
    with pytest.raises(ValueError, match="'zzz'"):
        make_classify(bad, text="t", labels=["a", "b", "c"], multi=True, suggestions="model", task="t2")


# --------------------------------------------------------------------------- large label sets
#: A taxonomy the size of the issue's (ICD codes, product categories).
TAXONOMY = [f"C{i:05d} category {i % 977} of group {i % 31}" for i in range(100_000)]


def _bytes(message) -> int:
    return len(json.dumps(message, default=str).encode())


def test_a_taxonomy_of_100000_labels_builds_reopens_and_labels(make_classify, texts):
    w = make_classify(texts, text="review", labels=TAXONOMY, task="icd")
    assert w.store.task("icd").labels == TAXONOMY
    assert w._config["labels"] == TAXONOMY and w._config["many_labels"] is True
    b = Browser(w)
    b.hello()
    win = b.label("101", 99_999)  # the browser sends the label's index
    w.annotate(102, TAXONOMY[5])
    assert w.labels[101] == TAXONOMY[99_999] and w.labels[102] == TAXONOMY[5]
    assert item_of(win, "101")["value"] == 99_999
    w.close()
    # reopen on the same store ("restart the kernel, run the cell again")
    again = make_classify(texts, text="review", labels=TAXONOMY, task="icd")
    assert again.labels[101] == TAXONOMY[99_999] and again.current == 103
    assert again._progress["labeled"] == 2
    assert again._progress["top"] == [[5, 1], [99_999, 1]] and again._progress["used"] == 2
    assert again.store.task("icd").labels == TAXONOMY


def test_a_taxonomy_grows_only_additively(make_classify, texts):
    make_classify(texts, text="review", labels=TAXONOMY, task="icd").annotate(101, TAXONOMY[7])
    grown = make_classify(texts, text="review", labels=[*TAXONOMY, "Z99 new code"], task="icd")
    assert grown.store.task("icd").labels == [*TAXONOMY, "Z99 new code"]
    assert grown.labels[101] == TAXONOMY[7]
    grown.annotate(102, "Z99 new code")
    # a new order of the same labels is accepted; the stored order stays
    make_classify(texts, text="review", labels=[*reversed(TAXONOMY), "Z99 new code"], task="icd")
    assert grown.store.task("icd").labels[:2] == TAXONOMY[:2]
    # dropping labels is refused, and the message names what is missing without quoting
    # 100,000 labels
    with pytest.raises(ValueError) as err:
        make_classify(texts, text="review", labels=TAXONOMY[:50_000], task="icd")
    message = str(err.value)
    assert repr(TAXONOMY[50_000]) in message and "only grow" in message
    assert "and 99,981 more" in message and "and 49,981 more" in message  # 100,001 had, 50,001 lacking
    assert len(message) < 5_000
    assert grown.store.task("icd").labels == [*TAXONOMY, "Z99 new code"]  # nothing lost


def test_progress_and_windows_stay_small_with_100000_labels(make_classify, texts):
    w = make_classify(texts, text="review", labels=TAXONOMY, task="icd")
    b = Browser(w)
    b.hello()
    progress_messages = []
    w.observe(lambda change: progress_messages.append(change["new"]), names="_progress")
    for key, index in [("101", 10), ("102", 10), ("103", 99_000), ("104", 3)]:
        win = b.label(key, index)
        assert _bytes(win) < 2_000  # no label list: the item, its neighbours, label indices
    assert len(progress_messages) == 4
    for progress in progress_messages:
        assert "counts" not in progress and _bytes(progress) < 500
    assert w._progress["top"] == [[10, 2], [3, 1], [99_000, 1]]  # most used, then label order
    assert w._progress["used"] == 3 and w._progress["labeled"] == 4
    # the label list travels once, in _config, and nowhere else in the widget state
    state = {k: v for k, v in w.get_state().items() if k not in ("_esm", "_css", "_config")}
    assert _bytes(state) < 2_000
    # undo takes a count back down
    b.undo()
    assert w._progress["top"] == [[10, 2], [99_000, 1]] and w._progress["used"] == 2


@pytest.mark.parametrize("n, dense", [(3, True), (100, True), (101, False)])
def test_small_label_sets_keep_one_count_per_label(make_classify, texts, n, dense):
    labels = [f"label {i}" for i in range(n)]
    w = make_classify(texts, text="review", labels=labels, task=f"n{n}")
    w.annotate(101, labels[-1])
    assert w._config["many_labels"] is (not dense)
    if dense:
        assert w._progress["counts"] == [0] * (n - 1) + [1] and "top" not in w._progress
    else:
        assert w._progress["top"] == [[n - 1, 1]] and "counts" not in w._progress


def test_multi_label_taxonomy_keeps_label_order(make_classify, texts):
    w = make_classify(texts, text="review", labels=TAXONOMY, task="icd-multi", multi=True)
    b = Browser(w)
    b.hello()
    b.label("101", [99_998, 4, 70_000])
    w.annotate(102, [TAXONOMY[9], TAXONOMY[2], TAXONOMY[9]])
    assert w.labels[101] == [TAXONOMY[4], TAXONOMY[70_000], TAXONOMY[99_998]]
    assert w.labels[102] == [TAXONOMY[2], TAXONOMY[9]]
    win = b.goto("101")
    assert item_of(win, "101")["value"] == [4, 70_000, 99_998]
    again = make_classify(texts, text="review", labels=TAXONOMY, task="icd-multi", multi=True)
    assert again.labels[101] == w.labels[101] and again._progress["used"] == 5


def test_an_unknown_label_among_100000_names_close_ones_briefly(make_classify, texts):
    w = make_classify(texts, text="review", labels=TAXONOMY, task="icd")
    with pytest.raises(ValueError) as err:
        w.annotate(101, "c00042 CATEGORY 42 of group 11 ")
    message = str(err.value)
    assert "did you mean 'C00042 category 42 of group 11'" in message
    assert "and 99,980 more" in message and len(message) < 3_000
    with pytest.raises(ValueError, match="'zzz' is not one of the labels"):
        w.annotate(101, "zzz")
    bad = pd.DataFrame({"t": ["a", "b"], "model": [TAXONOMY[3], "nope"]}, index=["r1", "r2"])
    with pytest.raises(ValueError) as err:
        make_classify(bad, text="t", labels=TAXONOMY, task="icd-s", suggestions="model")
    assert "'r2'" in str(err.value) and "'nope'" in str(err.value) and len(str(err.value)) < 3_000
    assert w.annotations.empty


@pytest.mark.parametrize(
    "labels, error, fragment",
    [([*TAXONOMY, TAXONOMY[77_777]], ValueError, f"{TAXONOMY[77_777]!r} appears twice"),
     ([*TAXONOMY[:60_000], "  ", *TAXONOMY[60_000:]], ValueError, "'  ' is blank"),
     ([*TAXONOMY[:10], 2.5, *TAXONOMY[10:]], TypeError, "2.5 must be a string or an integer"),
     ([*TAXONOMY[:10], True], TypeError, "True must be a string or an integer")],
)  # fmt: skip
def test_bad_labels_in_a_taxonomy_are_named(make_classify, texts, labels, error, fragment):
    with pytest.raises(error, match=re.escape(fragment)):
        make_classify(texts, text="review", labels=labels, task="icd")
