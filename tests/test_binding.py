"""DataFrame binding: bad input gives clear errors; odd input (empty frame, NaN text) works."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _driver import Browser

from nblabel.widgets.items import ItemSource


def test_duplicate_index_names_a_duplicate(make_classify):
    df = pd.DataFrame({"text": list("abcd")}, index=[1, 2, 7, 7])
    with pytest.raises(ValueError, match="unique") as err:
        make_classify(df)
    assert "; 7 appears 2 times" in str(err.value)


def test_duplicate_string_index(make_classify):
    df = pd.DataFrame({"text": list("abc")}, index=["x", "dup-id", "dup-id"])
    with pytest.raises(ValueError, match="'dup-id'"):
        make_classify(df)


def test_missing_column_names_it_and_lists_the_columns(make_classify):
    df = pd.DataFrame({"review": ["a"], "stars": [5]})
    with pytest.raises(KeyError) as err:
        make_classify(df, text="body")
    message = str(err.value)
    assert "'body'" in message and "'review'" in message and "'stars'" in message


@pytest.mark.parametrize("kw", ["image", "suggestions", "order"])
def test_missing_column_for_other_roles(make_classify, kw):
    df = pd.DataFrame({"review": ["a"]})
    with pytest.raises(KeyError, match="nope") as err:
        make_classify(df, text="review", **{kw: "nope"})
    assert "'review'" in str(err.value)


def test_unknown_keyword_is_a_type_error(make_classify):
    df = pd.DataFrame({"review": ["a"]})
    with pytest.raises(TypeError, match="lables"):
        make_classify(df, text="review", lables=["x"])


def test_needs_text_or_image(make_classify):
    with pytest.raises(TypeError, match="text="):
        make_classify(pd.DataFrame({"a": [1]}), text=None)


def test_not_a_dataframe(make_classify):
    with pytest.raises(TypeError, match="DataFrame"):
        make_classify(pd.Series(["a"]), text="a")


@pytest.mark.parametrize(
    "labels, exc, fragment",
    [
        ([], ValueError, "at least one"),
        ("pos", TypeError, "list"),
        (["a", "a"], ValueError, "twice"),
        (["a", " "], ValueError, "blank"),
        (["a", None], TypeError, "None"),
        (["a", True], TypeError, "True"),
    ],
)
def test_bad_label_sets(make_classify, labels, exc, fragment):
    with pytest.raises(exc, match=fragment):
        make_classify(pd.DataFrame({"a": ["x"]}), labels=labels)


@pytest.mark.parametrize("kw, value", [("task", ""), ("task", None), ("annotator", " ")])
def test_bad_task_or_annotator(make_classify, kw, value):
    with pytest.raises(ValueError, match=kw):
        make_classify(pd.DataFrame({"a": ["x"]}), **{kw: value})


def test_empty_frame(make_classify):
    df = pd.DataFrame({"text": pd.Series([], dtype=object)})
    w = make_classify(df)
    assert w.current is None
    assert w._config["empty_message"]
    assert w._config["total"] == 0
    assert w._progress["total"] == 0 and w._progress["remaining"] == 0
    assert w.labels.empty and w.labels.index.equals(df.index)
    b = Browser(w)
    win = b.hello()
    assert win["current"] is None and win["items"] == [] and win["upcoming"] == []
    b.nav(None, 1)  # navigation on nothing does not crash
    b.nav(None, -1)
    assert b.out.of_type("error") == []
    assert w.undo() is None
    with pytest.raises(ValueError):
        w.skip()


def test_nonempty_frame_has_no_empty_message(make_classify):
    w = make_classify(pd.DataFrame({"t": ["a"]}))
    assert w._config["empty_message"] == ""


def test_missing_text_is_sent_as_null(make_classify):
    df = pd.DataFrame(
        {"text": ["a", None, np.nan, pd.NA, "", 12]},
        index=["a", "b", "c", "d", "e", "f"],
    )
    df["text"] = df["text"].astype(object)
    w = make_classify(df)
    b = Browser(w)
    win = b.hello()
    texts = {item["key"]: item["payload"]["text"] for item in win["items"]}
    assert texts == {"a": "a", "b": None, "c": None, "d": None, "e": "", "f": "12"}


def test_string_dtype_na_is_null(make_classify):
    df = pd.DataFrame({"text": pd.array(["x", None], dtype="string")}, index=[1, 2])
    b = Browser(make_classify(df))
    texts = [item["payload"]["text"] for item in b.hello()["items"]]
    assert texts == ["x", None]


def test_item_source_does_not_copy_the_frame():
    df = pd.DataFrame({"text": ["a", "b"], "other": [1, 2]})
    source = ItemSource(df, {"text": "text", "image": None})
    assert source.df is df
    assert source.columns == {"text": "text"}


def test_order_errors(make_classify):
    df = pd.DataFrame({"t": list("abc"), "p": [1.0, None, 2.0], "s": ["x", "y", "z"]}, index=[5, 6, 7])
    with pytest.raises(ValueError, match="missing priority at row 6"):
        make_classify(df, order="p")
    with pytest.raises(ValueError, match="numeric"):
        make_classify(df, order="s")
    with pytest.raises(ValueError, match="one priority per row"):
        make_classify(df, order=lambda frame: [1, 2])


def test_mixed_index_whose_ids_would_collide_is_refused(make_classify):
    df = pd.DataFrame({"t": list("abc")}, index=pd.Index([1, "1", "x"], dtype=object))
    with pytest.raises(ValueError, match="stored as item id '1'") as err:
        make_classify(df)
    assert "1 and '1'" in str(err.value)
    ok = pd.DataFrame({"t": list("abc")}, index=pd.Index([1, "2", 3.5], dtype=object))
    w = make_classify(ok)
    w.annotate("2", "neg")
    w.annotate(1, "pos")
    assert w.labels.tolist() == ["pos", "neg", None]


@pytest.mark.parametrize(
    "index",
    [
        pd.period_range("2024-01", periods=3, freq="M"),
        pd.timedelta_range("1D", periods=3),
        pd.interval_range(0, 3),
        pd.MultiIndex.from_arrays([["a", "b", "c"], pd.period_range("2024-01", periods=3, freq="M")]),
    ],
    ids=["period", "timedelta", "interval", "multi-period"],
)
def test_unsupported_index_type_fails_at_construction(make_classify, index):
    df = pd.DataFrame({"t": list("abc")}, index=index)
    with pytest.raises(TypeError, match="cannot be used as an item id"):
        make_classify(df)


def test_categorical_index_works(make_classify):
    df = pd.DataFrame({"t": list("abc")}, index=pd.CategoricalIndex(["x", "y", "z"]))
    w = make_classify(df)
    w.annotate("y", "neu")
    assert w.labels.tolist() == [None, "neu", None] and w.labels.index.equals(df.index)
