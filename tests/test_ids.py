"""Item id codec: every supported index label survives encode → text → decode, and
``w.labels`` re-aligns with the original index whatever its dtype."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel.core import ids

scalars = st.one_of(
    st.integers(min_value=-(2**62), max_value=2**62),
    st.text(max_size=40),
    st.floats(allow_nan=False),
    st.booleans(),
    # nanosecond-precision timestamps over pandas' whole range, naive and tz-aware
    st.builds(
        lambda ns, tz: pd.Timestamp(ns, unit="ns", tz=tz),
        st.integers(min_value=pd.Timestamp.min.value + 10**14, max_value=pd.Timestamp.max.value - 10**14),
        st.sampled_from([None, "UTC", "Europe/Paris", "Asia/Kolkata", "America/St_Johns"]),
    ),
)
labels = st.one_of(scalars, st.tuples(scalars, scalars), st.tuples(scalars, st.tuples(scalars, scalars)))


def same(a, b) -> bool:
    if isinstance(a, tuple):
        return (
            isinstance(b, tuple) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, float) and not isinstance(b, bool):
        return (
            isinstance(b, float)
            and (a == b or (math.isinf(a) and a == b))
            and (math.copysign(1, a) == math.copysign(1, b))
        )
    if isinstance(a, pd.Timestamp):
        # The same instant with the same UTC offset (a named zone comes back as a fixed offset,
        # which compares equal, so index look-ups and alignment work).
        return isinstance(b, pd.Timestamp) and a == b and a.utcoffset() == b.utcoffset()
    return type(a) is type(b) and a == b


@settings(max_examples=300, deadline=None)
@given(labels)
def test_encode_decode_round_trip(value):
    key, kind = ids.encode(value)
    assert isinstance(key, str) and isinstance(kind, str)
    back = ids.decode(key, kind)
    assert same(value, back), (value, key, kind, back)


@settings(max_examples=200, deadline=None)
@given(st.lists(labels, min_size=2, max_size=6, unique_by=lambda v: ids.encode(v)))
def test_distinct_labels_get_distinct_keys(values):
    # Keys are what the store and the browser use: two different labels must never collide
    # within one kind.
    pairs = [ids.encode(v) for v in values]
    assert len(set(pairs)) == len(pairs)


def test_numpy_scalars_encode_like_python():
    assert ids.encode(np.int64(7)) == ("7", "int")
    assert ids.encode(np.float32(0.5)) == ("0.5", "float")
    assert ids.encode(np.bool_(True)) == ("true", "bool")
    assert ids.decode(*ids.encode(np.int64(-3))) == -3


def test_timestamp_with_a_seconds_offset_round_trips():
    # Local mean time before 1911 has a UTC offset with seconds, which pd.Timestamp() alone
    # cannot parse back from its own isoformat().
    t = pd.Timestamp("1900-06-01 12:00", tz="Europe/Paris")
    key, kind = ids.encode(t)
    assert key.endswith("+00:09:21")
    back = ids.decode(key, kind)
    assert back == t and back.utcoffset() == t.utcoffset()


def test_bool_is_not_int():
    assert ids.encode(True) == ("true", "bool")
    assert ids.decode("true", "bool") is True


def test_unsupported_label_is_a_type_error():
    with pytest.raises(TypeError, match="cannot be used as an item id"):
        ids.encode(object())
    with pytest.raises(ValueError, match="unknown item id kind"):
        ids.decode("x", "complex")


@given(st.lists(st.integers(min_value=-(2**62), max_value=2**62), unique=True, max_size=30))
def test_encode_many_int_fast_path_matches_encode(values):
    index = pd.Index(values, dtype="int64")
    assert ids.encode_many(index) == [ids.encode(v)[0] for v in values]


# --------------------------------------------------------------------------- w.labels alignment
INDEXES = {
    "int": pd.Index([30, 10, 20, -5], dtype="int64"),
    "uint": pd.Index([3, 1, 2, 9], dtype="uint64"),
    "str": pd.Index(["b", "a", "é ü", "10"]),
    "float": pd.Index([0.5, -1.25, 1e20, 3.0]),
    "datetime": pd.DatetimeIndex(["2024-01-02", "2023-12-31 23:59:59.123456", "2024-02-29", "1999-01-01"]),
    "datetime_tz": pd.DatetimeIndex(["2024-01-02 10:00", "2024-01-03", "2024-01-04", "2024-01-05"], tz="UTC"),
    "datetime_dst": pd.DatetimeIndex(
        ["2024-01-02", "2024-07-01", "1900-01-01", "2024-03-31 03:30"], tz="Europe/Paris"
    ),
    "multi": pd.MultiIndex.from_tuples([("a", 1), ("a", 2), ("b", 1), ("c", 10)], names=["doc", "sent"]),
    "mixed_object": pd.Index(["x", 1, 2.5, "2"], dtype=object),
}


@pytest.mark.parametrize("name", list(INDEXES))
def test_labels_realign_with_original_index(name, make_classify):
    index = INDEXES[name]
    df = pd.DataFrame({"text": ["one", "two", "three", "four"]}, index=index)
    w = make_classify(df, task=f"align-{name}")
    # Label items 3, 1 (out of order), by their original index labels.
    w.annotate(index[2], "neg")
    w.annotate(index[0], "pos")
    labels = w.labels
    assert labels.index.equals(df.index)
    assert labels.tolist() == ["pos", None, "neg", None]
    # Assigning back to the DataFrame aligns by index.
    out = df.assign(label=labels)
    assert out["label"].tolist() == ["pos", None, "neg", None]
    # The store returns ids with the original values.
    ann = w.annotations
    got = list(ann["item_id"])
    expected = [index[2], index[0]]
    assert got == expected
    # A fresh widget over the same store re-reads the same labels (decode → position).
    w2 = make_classify(df, task=f"align-{name}")
    pd.testing.assert_series_equal(w2.labels, labels)


def test_labels_realign_after_the_frame_is_shuffled(make_classify):
    df = pd.DataFrame({"text": list("abcdef")}, index=[5, 3, 9, 1, 7, 2])
    w = make_classify(df)
    w.annotate(9, "pos")
    w.annotate(2, "neu")
    shuffled = df.sample(frac=1, random_state=0)
    w2 = make_classify(shuffled)
    assert w2.labels[9] == "pos" and w2.labels[2] == "neu"
    assert w2.labels.index.equals(shuffled.index)
    assert w2.labels.isna().sum() == 4
