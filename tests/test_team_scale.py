"""A team on one PostgreSQL server: many annotators writing at once lose nothing, double nothing
and keep the plan; a connection the server drops, or the server stopping mid-run, costs no
label.

The 100-annotator run: 4 interpreters (``tests/_team_worker.py``) each fork 5 processes after
their imports, and each process runs 5 annotators of one ``nl.Session`` in 5 threads sharing
its store: 100 annotators in 20 processes, labeling their whole queues at once. Every label
``w.annotate`` accepted (each thread's log) must be in the store exactly once, and nothing
else; overlap exact per item, as the plan says; every annotator the same load.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from _released import run_interpreters
from _session_worker import label_for, make_session

import nblabel as nl
from nblabel.core.event import Event
from nblabel.store import engine as store_engine

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_team_worker.py"


def run_team(
    url: str, cfg: dict[str, Any], tmp_path: Path, interpreters: list[list[list[str]]]
) -> list[dict[str, Any]]:
    """Start one interpreter per entry of ``interpreters`` (each a list of groups: one forked
    process per group, one thread per annotator), release them together, return the reports."""
    configs = [{**cfg, "url": url, "run": groups} for groups in interpreters]
    outputs = run_interpreters(WORKER, configs, tmp_path / "barrier", timeout=240)
    return [report for reports in outputs for report in reports]


def test_one_hundred_annotators_label_at_once_on_postgresql(postgres, tmp_path: Path) -> None:
    annotators = [f"a{i}" for i in range(100)]
    items, overlap = 600, 2  # 1,200 labels: 12 per annotator
    cfg = {"task": "team-100", "items": items, "annotators": annotators, "overlap": overlap, "seed": 3}
    url = postgres.new_database()
    nl.Store(url).close()  # the schema exists; the session is created by the workers, all at once
    # 4 interpreters x 5 processes x 5 annotator threads
    groups = [annotators[i : i + 5] for i in range(0, 100, 5)]
    reports = run_team(url, cfg, tmp_path, [groups[i::4] for i in range(4)])

    assert sorted(r["annotator"] for r in reports) == sorted(annotators)
    assert len({r["pid"] for r in reports}) == 20  # 20 processes of 5 annotators
    for r in reports:
        assert r["pending"] == 0 and r["failed"] == 0 and r["bad_status"] == [], r
        assert len(r["accepted"]) == r["queue_size"] == r["assigned"] == items * overlap // 100, r

    store = nl.Store(url)
    try:
        session = make_session(store, cfg)
        events = store.annotations(cfg["task"])
        plan = session.assignments()["annotators"]
    finally:
        store.close()

    # nothing lost and nothing else: each annotator's events are exactly what w.annotate accepted
    stored = Counter(zip(events["annotator"], events["item_id"], events["value"], strict=True))
    accepted = Counter((r["annotator"], item, value) for r in reports for item, value in r["accepted"])
    assert stored == accepted
    # nothing doubled
    assert max(stored.values()) == 1
    assert not events.duplicated(["client_id", "client_seq"]).any()
    assert len(events) == items * overlap and set(events["kind"]) == {"label"}
    # overlap exact per item, as planned; loads equal
    held = events.groupby("item_id")["annotator"].agg(sorted)
    assert len(held) == len(plan) == items
    assert held.map(len).eq(overlap).all()
    assert held.to_dict() == plan.to_dict()
    assert set(events.groupby("annotator").size()) == {items * overlap // 100}
    assert all(v == label_for(i, a) for a, i, v in stored)


# ---------------------------------------------------------------------- connections lost
def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"text": [f"item {i}" for i in range(n)]}, index=pd.RangeIndex(100, 100 + n))


def drop_connections(url: str) -> int:
    """End every other session of the database, as a server restart or an admin would."""
    admin = sa.create_engine(
        url.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            return len(
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).all()
            )
    finally:
        admin.dispose()


def stored(store: nl.Store, task: str) -> list[tuple[Any, str]]:
    events = store.annotations(task)
    return sorted(zip(events["item_id"], events["value"], strict=True))


def test_a_write_on_a_connection_the_server_dropped_is_retried_once_on_a_new_one(postgres) -> None:
    url = postgres.new_database()
    store = nl.Store(url)
    w = nl.Classify(frame(4), text="text", labels=["pos", "neg"], task="t", annotator="ana", store=store)
    try:
        w.annotate(100, "pos")
        assert drop_connections(url) >= 1  # the store's write connection among them
        w.annotate(101, "neg")  # the dropped connection fails; the write goes on a new one at once
        assert w.pending == 0 and w._status["state"] == "ok"
        assert stored(store, "t") == [(100, "pos"), (101, "neg")]
        # the event API too: a retried write is stored once
        drop_connections(url)
        event = Event(task="t", item_id="102", item_kind="int", annotator="bo", kind="label", value="pos",
                      client_id="c", client_seq=1)  # fmt: skip
        first = store.write(event)
        assert store.write(event) == first  # the same event again: the same id, no second row
        assert stored(store, "t") == [(100, "pos"), (101, "neg"), (102, "pos")]
    finally:
        w.close()
        store.close()


def test_an_idle_pooled_connection_to_a_dropped_session_is_replaced_before_use(postgres, monkeypatch) -> None:
    monkeypatch.setattr(store_engine, "PING_AFTER_IDLE_S", 0.05)
    url = postgres.new_database()
    store = nl.Store(url)
    try:
        store.register_task("t", "classify", ["pos"], {})
        assert store.engine.pool.checkedin() >= 1
        drop_connections(url)
        time.sleep(0.1)  # idle longer than PING_AFTER_IDLE_S: pinged at checkout, found dead, replaced
        assert store.task("t").kind == "classify"
    finally:
        store.close()


def test_labels_given_while_the_server_is_stopped_are_kept_and_saved_once_it_is_back() -> None:
    from pg_server import PostgresServer, pg_bin

    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; scripts/test.sh installs it")
        pytest.skip("PostgreSQL binaries not installed (run scripts/test.sh to install them)")
    server = PostgresServer()  # its own: this test stops it
    try:
        url = server.new_database()
        w = nl.Classify(frame(6), text="text", labels=["pos", "neg"], task="t", annotator="ana", store=url)
        w.annotate(100, "pos")
        w.annotate(101, "neg")
        server.halt()  # mid-run: the server goes away under the widget's connection
        w.annotate(102, "pos")  # accepted, kept in the kernel: never raises
        w.annotate(103, "neg")
        assert w.pending == 2
        assert w._status["state"] == "retrying" and w._status["pending"] == 2
        assert list(w.pending_events["item_id"]) == [102, 103]
        server.resume()
        deadline = time.monotonic() + 30
        while not w.retry() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert w.pending == 0 and w._status["state"] == "ok"
        w.annotate(104, "pos")  # and the next label is written at once
        assert w.pending == 0
        with nl.Store(url) as check:
            expected = [(100, "pos"), (101, "neg"), (102, "pos"), (103, "neg"), (104, "pos")]
            assert stored(check, "t") == expected
            events = check.annotations("t")
            assert not events.duplicated(["client_id", "client_seq"]).any()
        w.close()
    finally:
        server.stop()
