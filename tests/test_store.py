"""The event store: append-only log, idempotent appends, current state, tasks, exports, imports,
several writer processes, reopening. Every test runs on each backend of the ``store`` fixture."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nblabel as nl
from nblabel.core import ids
from nblabel.core.event import Event
from nblabel.store import StoreError

sys.path.insert(0, str(Path(__file__).parent))
from _store_worker import write_events  # noqa: E402


def ev(item, kind="label", value=None, *, annotator="ana", task="t", seq=None, client="c1", **kw) -> Event:
    key, item_kind = ids.encode(item)
    return Event(
        task=task,
        item_id=key,
        item_kind=item_kind,
        annotator=annotator,
        kind=kind,
        value=value,
        client_id=None if seq is None else client,
        client_seq=seq,
        **kw,
    )


@pytest.fixture
def task(store):
    store.register_task("t", "classify", ["A", "B", "C"])
    return "t"


# --------------------------------------------------------------------------- append / read
def test_append_and_annotations_round_trip(store, task):
    assert store.append(ev(1, value="A", seq=1, active_ms=900, guideline_version="abc123", suggestion="B"))
    assert store.append(ev(2, "skip", seq=2, active_ms=15))
    assert store.append(ev(3, "flag", seq=3, comment="ambiguous ✓"))
    assert store.append(ev(1, value=["A", "C"], annotator="bob", seq=1, client="c2"))
    ann = store.annotations(task)
    assert list(ann.columns) == [
        "id", "task", "item_id", "annotator", "kind", "value", "comment", "created_at", "active_ms",
        "guideline_version", "suggestion", "suggestion_shown", "client_id", "client_seq", "item_kind",
    ]  # fmt: skip
    assert ann["item_id"].tolist() == [1, 2, 3, 1]
    assert ann["annotator"].tolist() == ["ana", "ana", "ana", "bob"]
    assert ann["kind"].tolist() == ["label", "skip", "flag", "label"]
    assert ann["value"].tolist() == ["A", None, None, ["A", "C"]]
    assert ann["comment"].tolist()[2] == "ambiguous ✓"
    assert ann["active_ms"].tolist()[:2] == [900, 15]
    assert ann.loc[0, "guideline_version"] == "abc123"
    assert ann.loc[0, "suggestion"] == "B"
    assert ann["client_seq"].tolist() == [1, 2, 3, 1]
    assert str(ann["created_at"].dt.tz) == "UTC"
    assert ann["id"].is_monotonic_increasing
    # filters
    assert store.annotations(task, annotator="bob")["annotator"].tolist() == ["bob"]
    assert store.annotations("other").empty
    assert len(store.annotations()) == 4


def test_empty_annotations_have_the_columns(store, task):
    ann = store.annotations(task)
    assert ann.empty
    assert {"item_id", "annotator", "value", "kind", "created_at", "active_ms"} <= set(ann.columns)
    assert store.current(task).empty


def test_created_at_is_utc_now(store, task):
    before = pd.Timestamp.now(tz="UTC")
    store.append(ev("x", value="A"))
    after = pd.Timestamp.now(tz="UTC")
    created = store.annotations(task)["created_at"].iloc[0]
    assert before - pd.Timedelta("1ms") <= created <= after + pd.Timedelta("1ms")


def test_same_client_seq_twice_is_one_row(store, task):
    e = ev(7, value="A", seq=41)
    assert store.append(e) is True
    assert store.append(e) is False  # a retry after a lost acknowledgement
    # Even a different payload with the same (client_id, client_seq) is the same write.
    assert store.append(ev(8, value="B", seq=41)) is False
    ann = store.annotations(task)
    assert len(ann) == 1 and ann["item_id"].tolist() == [7]
    # Another client may use the same seq.
    assert store.append(ev(7, value="B", seq=41, client="c2")) is True
    # Events without a client id (imports, scripts) are never deduplicated.
    assert store.append(ev(9, value="A")) and store.append(ev(9, value="A"))
    assert len(store.annotations(task)) == 4


def test_append_many_is_idempotent_too(store, task):
    events = [ev(i, value="A", seq=i) for i in range(1, 11)]
    assert store.append_many(events) == 10
    assert store.append_many(events[5:] + [ev(11, value="B", seq=11)]) == 1
    assert store.annotations(task)["client_seq"].tolist() == list(range(1, 12))


# --------------------------------------------------------------------------- current state
def current_of(store, task, annotator="ana") -> dict:
    cur = store.current(task, annotator=annotator)
    return {(r.item_id): (r.kind, r.value) for r in cur.itertuples()}


def test_retract_pops_back_to_the_previous_label(store, task):
    store.append(ev(1, value="A"))
    store.append(ev(1, value="B"))
    assert current_of(store, task) == {1: ("label", "B")}
    store.append(ev(1, "retract"))
    assert current_of(store, task) == {1: ("label", "A")}
    store.append(ev(1, "retract"))
    assert current_of(store, task) == {}
    store.append(ev(1, "retract"))  # retracting nothing is harmless
    assert current_of(store, task) == {}
    store.append(ev(1, value="C"))
    assert current_of(store, task) == {1: ("label", "C")}
    # nothing was updated or deleted: 6 events in the log
    assert store.annotations(task)["kind"].tolist() == [
        "label",
        "label",
        "retract",
        "retract",
        "retract",
        "label",
    ]


def test_skip_is_state_and_retractable(store, task):
    store.append(ev(1, value="A"))
    store.append(ev(1, "skip"))
    assert current_of(store, task) == {1: ("skip", None)}
    store.append(ev(1, "retract"))
    assert current_of(store, task) == {1: ("label", "A")}


def test_flags_do_not_change_state(store, task):
    store.append(ev(1, value="A"))
    store.append(ev(1, "flag", comment="unclear"))
    store.append(ev(2, "flag", comment="only flagged"))
    assert current_of(store, task) == {1: ("label", "A")}
    store.append(ev(1, "retract"))  # the retract skips over the flag
    assert current_of(store, task) == {}


def test_current_is_per_annotator_and_per_task(store, task):
    store.register_task("t2", "classify", ["A", "B"])
    store.append(ev(1, value="A", annotator="ana"))
    store.append(ev(1, value="B", annotator="bob"))
    store.append(ev(1, value="B", annotator="ana", task="t2"))
    store.append(ev(1, "retract", annotator="bob"))
    cur = store.current(task)
    assert cur[["item_id", "annotator", "value"]].values.tolist() == [[1, "ana", "A"]]
    assert current_of(store, "t2") == {1: ("label", "B")}
    assert {"task", "item_id", "annotator", "kind", "value", "created_at", "active_ms"} <= set(cur.columns)


# --------------------------------------------------------------------------- tasks
def test_register_task_is_additive_only(store):
    info = store.register_task("s", "classify", ["pos", "neg"], {"multi": False})
    assert info.labels == ["pos", "neg"] and info.kind == "classify"
    # the same set, in another order, or with a new label: fine; order of existing labels kept
    assert store.register_task("s", "classify", ["neg", "pos"]).labels == ["pos", "neg"]
    assert store.register_task("s", "classify", ["pos", "neg", "neu"]).labels == ["pos", "neg", "neu"]
    assert store.task("s").labels == ["pos", "neg", "neu"]
    with pytest.raises(ValueError, match="neg") as err:
        store.register_task("s", "classify", ["pos", "neu"])
    assert "'neg'" in str(err.value)
    assert store.task("s").labels == ["pos", "neg", "neu"]  # unchanged by the failed call
    with pytest.raises(ValueError, match="spans"):
        store.register_task("s", "spans", ["pos", "neg", "neu"])
    with pytest.raises(ValueError):
        store.register_task("", "classify", ["a"])


def test_unknown_task_is_a_key_error_listing_tasks(store, task):
    with pytest.raises(KeyError, match="nope") as err:
        store.task("nope")
    assert "'t'" in str(err.value)


def test_tasks_table(store, task):
    store.register_task("b-task", "classify", ["x"])
    store.append(ev(1, value="A", annotator="ana"))
    store.append(ev(2, value="B", annotator="bob"))
    store.append(ev(2, "flag", annotator="bob", comment="?"))
    tasks = store.tasks()
    assert tasks["task"].tolist() == ["b-task", "t"]
    row = tasks.set_index("task").loc["t"]
    assert row["kind"] == "classify"
    assert row["labels"] == ["A", "B", "C"]
    assert (row["events"], row["annotators"], row["items"]) == (3, 2, 2)
    assert tasks.set_index("task").loc["b-task", "events"] == 0
    assert str(tasks["created_at"].dt.tz) == "UTC"


# --------------------------------------------------------------------------- export
@pytest.fixture
def exported(store, task):
    store.append(ev(1, value="A", active_ms=10))
    store.append(ev(2, value="B"))
    store.append(ev(2, value="C"))  # relabel: C stands
    store.append(ev(3, "skip"))  # skipped items are left out
    store.append(ev(4, value="A"))
    store.append(ev(4, "retract"))  # retracted: left out
    store.append(ev(5, "flag", comment="x"))  # flag only: left out
    store.append(ev(1, value="B", annotator="bob"))
    return {(1, "ana"): "A", (2, "ana"): "C", (1, "bob"): "B"}


def test_export_jsonl(store, exported, tmp_path):
    path = store.export("t", tmp_path / "out" / "labels.jsonl")
    assert path.exists()
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert {(r["item_id"], r["annotator"]): r["value"] for r in rows} == exported
    frame = pd.read_json(path, lines=True)
    assert set(frame.columns) >= {"task", "item_id", "annotator", "value", "created_at", "active_ms"}
    assert frame.loc[frame["item_id"].eq(1) & frame["annotator"].eq("ana"), "active_ms"].item() == 10
    pd.to_datetime(frame["created_at"], utc=True)  # ISO timestamps


def test_export_csv(store, exported, tmp_path):
    path = store.export("t", tmp_path / "labels.csv", format="csv")
    frame = pd.read_csv(path)
    assert {(r.item_id, r.annotator): r.value for r in frame.itertuples()} == exported
    assert pd.to_datetime(frame["created_at"], utc=True).notna().all()


def test_export_parquet(store, exported, tmp_path):
    pytest.importorskip("pyarrow")
    path = store.export("t", tmp_path / "labels.parquet", format="parquet")
    frame = pd.read_parquet(path)
    assert {(r.item_id, r.annotator): r.value for r in frame.itertuples()} == exported
    assert str(frame["created_at"].dt.tz) == "UTC"


def test_export_multi_label_values(store, tmp_path):
    store.register_task("m", "classify", ["a", "b", "c"])
    store.append(ev(1, value=["a", "c"], task="m"))
    store.append(ev(2, value=[], task="m"))
    rows = [json.loads(x) for x in store.export("m", tmp_path / "m.jsonl").read_text().splitlines()]
    assert [r["value"] for r in rows] == [["a", "c"], []]
    csv = pd.read_csv(store.export("m", tmp_path / "m.csv", format="csv"))
    assert [json.loads(v) for v in csv["value"]] == [["a", "c"], []]


def test_export_errors(store, task, tmp_path):
    with pytest.raises(ValueError, match="xlsx"):
        store.export("t", tmp_path / "x.xlsx", format="xlsx")
    with pytest.raises(KeyError, match="missing-task"):
        store.export("missing-task", tmp_path / "x.jsonl")


# --------------------------------------------------------------------------- import
def test_import_annotations_int_ids(store, task):
    frame = pd.DataFrame(
        {
            "item_id": [10, 20, 30],
            "annotator": ["ana", "bob", "ana"],
            "value": ["A", "B", ["A", "C"]],
            "created_at": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"], utc=True),
            "active_ms": [100, None, 300],
        }
    )
    assert store.import_annotations(frame, "t") == 3
    ann = store.annotations("t")
    assert ann["item_id"].tolist() == [10, 20, 30]
    assert ann["item_kind"].tolist() == ["int"] * 3
    assert ann["value"].tolist() == ["A", "B", ["A", "C"]]
    assert ann["kind"].tolist() == ["label"] * 3
    assert ann["created_at"].tolist() == frame["created_at"].tolist()
    assert ann["active_ms"].tolist()[0] == 100 and ann["active_ms"].isna().tolist() == [False, True, False]
    # A widget reading the store sees imported labels against the original int index.
    assert current_of(store, "t") == {10: ("label", "A"), 30: ("label", ["A", "C"])}


def test_import_annotations_string_ids_and_kinds(store, task):
    frame = pd.DataFrame(
        {
            "item_id": ["doc-1", "doc-2", "doc-1"],
            "annotator": ["ana", "ana", "ana"],
            "value": ["A", "B", None],
            "kind": ["label", "label", "retract"],
        }
    )
    assert store.import_annotations(frame, "t") == 3
    ann = store.annotations("t")
    assert ann["item_id"].tolist() == ["doc-1", "doc-2", "doc-1"]
    assert current_of(store, "t") == {"doc-2": ("label", "B")}


def test_import_annotations_errors(store, task):
    with pytest.raises(KeyError, match="value"):
        store.import_annotations(pd.DataFrame({"item_id": [1], "annotator": ["a"]}), "t")
    with pytest.raises(KeyError, match="nope"):
        store.import_annotations(pd.DataFrame({"item_id": [1], "annotator": ["a"], "value": ["A"]}), "nope")
    bad = pd.DataFrame({"item_id": [1], "annotator": ["a"], "value": ["A"], "kind": ["delete"]})
    with pytest.raises(ValueError, match="delete"):
        store.import_annotations(bad, "t")
    assert store.annotations("t").empty


# --------------------------------------------------------------------------- durability
def test_store_survives_reopening(store_url, tmp_path):
    s1 = nl.Store(store_url)
    s1.register_task("t", "classify", ["A", "B"])
    s1.append(ev(1, value="A", seq=1))
    s1.append(ev(2, value="B", seq=2))
    s1.close()
    s2 = nl.Store(store_url)
    assert s2.task("t").labels == ["A", "B"]
    assert s2.annotations("t")["item_id"].tolist() == [1, 2]
    # idempotency survives the reopen (a retry from before the restart)
    assert s2.append(ev(2, value="B", seq=2)) is False
    assert s2.append(ev(3, value="A", seq=3)) is True
    assert len(s2.annotations("t")) == 3
    s2.close()


def test_path_and_url_forms(tmp_path, monkeypatch):
    s = nl.Store(tmp_path / "sub" / "a.db")  # a path; the directory is created
    assert s.location == str((tmp_path / "sub" / "a.db").resolve())
    assert repr(s) == f"Store({s.location!r})"
    s.close()
    monkeypatch.chdir(tmp_path)
    d = nl.Store()
    assert Path(d.location) == (tmp_path / "nblabel.db").resolve()
    d.close()


def test_sqlite_settings(sqlite_path):
    s = nl.Store(sqlite_path)
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    s.close()


def test_newer_schema_is_refused(sqlite_path):
    nl.Store(sqlite_path).close()
    with sqlite3.connect(sqlite_path) as raw:
        raw.execute("UPDATE nbl_meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="newer"):
        nl.Store(sqlite_path)


def test_several_processes_write_one_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    procs, per_proc = 4, 300
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(procs)
    with ctx.Pool(procs) as pool:
        results = pool.starmap(write_events, [(url, i, per_proc, barrier) for i in range(procs)])
    errors = [err for _, _, err in results if err]
    assert not errors, errors[0]
    assert [written for written, _, _ in results] == [per_proc] * procs
    assert [dupes for _, dupes, _ in results] == [0] * procs
    store = nl.Store(url)
    ann = store.annotations("concurrent")
    assert len(ann) == procs * per_proc
    assert not ann.duplicated(["client_id", "client_seq"]).any()
    for i in range(procs):
        mine = ann[ann["annotator"] == f"w{i}"]
        assert mine["client_seq"].tolist() == list(range(1, per_proc + 1))  # in order per writer
    assert store.tasks().set_index("task").loc["concurrent", "events"] == procs * per_proc
    store.close()


# --------------------------------------------------------------------------- round trips
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=30,
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=6,
)
# One kind of id per task, as from one DataFrame index (a pandas column mixing ints and
# floats turns the ints into floats).
item_id_kinds = st.sampled_from(
    [
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        text,
        st.floats(allow_nan=False, allow_infinity=False),
        st.tuples(text, st.integers(-(10**12), 10**12)),
    ]
)


@pytest.fixture(scope="module")
def module_store(tmp_path_factory):
    s = nl.Store(tmp_path_factory.mktemp("rt") / "rt.db")
    yield s
    s.close()


_round = iter(range(10**9))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    item_id_kinds.flatmap(
        lambda item_ids: st.lists(
            st.tuples(item_ids, text.filter(bool), json_values, st.none() | text, st.none() | json_values),
            min_size=1,
            max_size=8,
        )
    )
)
def test_events_round_trip_through_the_store(module_store, rows):
    task = f"rt{next(_round)}"
    module_store.register_task(task, "classify", ["a"])
    events = []
    for i, (item, annotator, value, comment, suggestion) in enumerate(rows):
        key, kind = ids.encode(item)
        events.append(
            Event(
                task=task,
                item_id=key,
                item_kind=kind,
                annotator=annotator,
                kind="label",
                value=value,
                comment=comment,
                suggestion=suggestion,
                client_id=task,
                client_seq=i,
            )
        )
        module_store.append(events[-1])
    ann = module_store.annotations(task)
    assert len(ann) == len(rows)
    for (item, annotator, value, comment, suggestion), got in zip(rows, ann.itertuples(), strict=True):
        assert got.item_id == item
        assert isinstance(got.item_id, (np.integer, int) if isinstance(item, int) else type(item))
        assert got.annotator == annotator
        assert got.value == value
        assert got.comment == comment
        assert got.suggestion == suggestion
    # reading one annotator takes the same path with a filter
    first = rows[0][1]
    assert (module_store.annotations(task, annotator=first)["annotator"] == first).all()
