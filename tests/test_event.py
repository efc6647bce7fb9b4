"""Events and the reduction of an event log to current labels (property tests against a model)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel.core.event import Event, dump_json, reduce_state
from nblabel.store import Store, current_from_annotations

items = st.sampled_from(["1", "2", "3"])
annotators = st.sampled_from(["ana", "bob"])
kinds = st.sampled_from(["label", "label", "skip", "flag", "retract"])
values = st.sampled_from(["A", "B", "C"])
logs = st.lists(st.tuples(items, annotators, kinds, values), max_size=40)


def model(rows):
    """Replay the log the obvious way: per (item, annotator), an undo history of standing events."""
    state = {}
    for item, annotator, kind, value in rows:
        key = (item, annotator)
        history = state.setdefault(key, [])
        if kind in ("label", "skip"):
            history.append((kind, value if kind == "label" else None))
        elif kind == "retract" and history:
            history.pop()
    return {key: h[-1] for key, h in state.items() if h}


def normalise(rows):
    return [(i, a, k, v if k == "label" else None) for i, a, k, v in rows]


@settings(max_examples=300, deadline=None)
@given(logs)
def test_reduce_state_matches_the_model(rows):
    rows = normalise(rows)
    assert reduce_state(rows) == model(rows)


@settings(max_examples=200, deadline=None)
@given(logs)
def test_flags_never_change_the_state(rows):
    rows = normalise(rows)
    without_flags = [r for r in rows if r[2] != "flag"]
    assert reduce_state(rows) == reduce_state(without_flags)


@settings(max_examples=200, deadline=None)
@given(logs, items, annotators, values)
def test_label_then_retract_is_a_no_op(rows, item, annotator, value):
    rows = normalise(rows)
    extended = rows + [(item, annotator, "label", value), (item, annotator, "retract", None)]
    assert reduce_state(extended) == reduce_state(rows)


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("ev") / "s.db")
    yield store
    store.close()


_examples = iter(range(10**9))


@settings(max_examples=60, deadline=None)
@given(logs)
def test_store_current_agrees_with_reduce_state(shared_store, rows):
    rows = normalise(rows)
    task = f"t{next(_examples)}"  # a fresh task per example in one store file
    shared_store.register_task(task, "classify", ["A", "B", "C"])
    shared_store.append_many(Event(task=task, item_id=i, annotator=a, kind=k, value=v) for i, a, k, v in rows)
    current = shared_store.current(task)
    got = {(str(r.item_id), r.annotator): (r.kind, r.value) for r in current.itertuples()}
    assert got == model(rows)
    assert current_from_annotations(shared_store.annotations(task)).equals(current)


def test_event_kind_is_checked():
    with pytest.raises(ValueError, match="delete"):
        Event(task="t", item_id="1", annotator="a", kind="delete")


def test_event_row_is_json_and_utc_microseconds():
    e = Event(task="t", item_id="1", annotator="a", kind="label", value=["é", 1], suggestion={"x": None})
    row = e.row()
    assert json.loads(row["value"]) == ["é", 1] and "é" in row["value"]
    assert json.loads(row["suggestion"]) == {"x": None}
    assert row["created_us"] > 1_700_000_000 * 10**6  # microseconds since the epoch
    assert dump_json(None) is None
