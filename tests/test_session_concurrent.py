"""Sessions under concurrency: many annotator processes, each building the same ``nl.Session``
on its own (no coordination), label their queues at once into one store. The deterministic
assignment must hold exactly: every production item labeled by exactly ``overlap`` distinct
annotators — the ones ``session.assignments()`` names — nobody labels an item twice, loads are
equal, and gold items reach every annotator at the gold rate.

Each annotator is its own process: an interpreter (``sys.executable tests/_session_worker.py``)
per annotator, or, for the 20-annotator run, 4 interpreters that each fork 5 annotator
processes after their imports (importing nblabel costs more CPU than labeling 500 items). They
wait on a file barrier after the imports, so the store's schema, the task and the session are
created by all of them at once; the pytest process computes the plan it checks against on its
own (another interpreter, another hash seed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _released import run_interpreters
from _session_worker import label_for, make_session

import nblabel as nl
from nblabel.core import ids

HERE = Path(__file__).resolve().parent
WORKER = HERE / "_session_worker.py"


def run_annotators(
    url: str, cfg: dict[str, Any], tmp_path: Path, groups: list[list[str]], timeout: float = 240.0
) -> list[dict[str, Any]]:
    """Start one interpreter (``sys.executable``) per group of annotators — a group of several
    forks one process per annotator after its imports — release them all together, and return
    every annotator's report."""
    configs = [{**cfg, "url": url, "run": group} for group in groups]
    outputs = run_interpreters(WORKER, configs, tmp_path / f"barrier-{cfg['task']}", timeout)
    reports = [report for group_reports in outputs for report in group_reports]
    assert sorted(r["annotator"] for r in reports) == sorted(cfg["annotators"])
    assert len({r["pid"] for r in reports}) == len(reports)  # one process per annotator
    return reports


def check_reports(reports: list[dict[str, Any]]) -> None:
    for r in reports:
        name = r["annotator"]
        assert r["pending"] == 0 and r["bad_status"] == [], f"{name}: store errors {r}"
        assert r["labeled"] == r["distinct"] == r["queue_size"], f"{name} did not label its queue once: {r}"
        assert r["queue_size"] - r["assigned"] == r["queue_gold"] == r["labeled_gold"], r


def assignment_of_events(events: pd.DataFrame) -> pd.Series:
    """Item id → sorted list of the annotators whose labels the store holds."""
    return events.groupby("item_id")["annotator"].agg(lambda names: sorted(names))


def test_twenty_annotators_label_concurrently_on_postgresql(postgres, tmp_path):
    annotators = [f"a{i}" for i in range(20)]
    cfg = {
        "task": "cal-20",
        "items": 5_000,
        "annotators": annotators,
        "overlap": 2,
        "seed": 0,
        "gold_rate": 0.0,
    }
    url = postgres.new_database()

    # 4 interpreters x 5 forked annotator processes: 20 processes, 4 different hash seeds
    reports = run_annotators(url, cfg, tmp_path, [annotators[i::4] for i in range(4)])
    check_reports(reports)
    assert {r["annotator"]: (r["assigned"], r["labeled"]) for r in reports} == {
        a: (500, 500) for a in annotators
    }

    store = nl.Store(url)
    try:
        session = make_session(store, cfg)  # the same settings: re-opens the stored session
        events = store.annotations(cfg["task"])
        plan = session.assignments()
    finally:
        store.close()

    assert len(events) == 10_000
    assert set(events["kind"]) == {"label"}
    assert not events.duplicated(["item_id", "annotator"]).any()
    assert not events.duplicated(["client_id", "client_seq"]).any()
    assert events.groupby("annotator").size().to_dict() == {a: 500 for a in annotators}
    assert all(
        v == label_for(i, a)
        for i, a, v in zip(events["item_id"], events["annotator"], events["value"], strict=True)
    )

    held = assignment_of_events(events)
    assert len(plan) == len(held) == 5_000
    assert held.map(len).eq(2).all()  # exactly two distinct annotators per item
    assert held.to_dict() == plan["annotators"].to_dict()
    assert session.production_annotations().shape[0] == 10_000


def test_overlap_and_gold_rate_with_concurrent_annotators(store_url, tmp_path):
    annotators = [f"a{i}" for i in range(4)]
    # 80 rows, every 4th with a gold answer: 60 production items x overlap 3 = 45 per annotator,
    # plus round(45 * 0.2 / 0.8) = 11 gold items mixed in: about 50 labels per process.
    cfg = {
        "task": "cal-gold", "items": 80, "gold_every": 4, "annotators": annotators, "overlap": 3,
        "seed": 7, "gold_rate": 0.2,
    }  # fmt: skip
    reports = run_annotators(store_url, cfg, tmp_path, [[a] for a in annotators])  # 4 interpreters
    check_reports(reports)

    store = nl.Store(store_url)
    try:
        session = make_session(store, cfg)
        events = store.annotations(cfg["task"])
        plan = session.assignments()
        progress = session.progress()
        # re-opened in this process, every queue is done, and another annotator's item is refused
        w = session.labeler("a0")
        assert w.current is None
        foreign = plan.index[plan["annotators"].map(lambda names: "a0" not in names)][0]
        with pytest.raises(ValueError, match="not in 'a0'"):
            w.annotate(foreign, "pos")
        w.close()
    finally:
        store.close()

    assert progress[["assigned", "labeled", "remaining", "gold_answered"]].to_dict("index") == {
        a: {"assigned": 45, "labeled": 45, "remaining": 0, "gold_answered": 11} for a in annotators
    }
    assert session.n_production == 60 and len(session.gold) == 20
    assert len(events) == sum(r["labeled"] for r in reports)
    assert set(events["kind"]) == {"label"}
    assert not events.duplicated(["item_id", "annotator"]).any()

    is_gold = events["item_id"].map(lambda i: ids.encode(i)[0] in session.gold)
    production, gold = events[~is_gold], events[is_gold]

    # overlap holds exactly on the production items, as planned
    held = assignment_of_events(production)
    assert len(plan) == len(held) == 60
    assert held.map(len).eq(3).all()
    assert held.to_dict() == plan["annotators"].to_dict()
    assert production.groupby("annotator").size().to_dict() == {a: 45 for a in annotators}
    assert not plan.index.map(lambda i: ids.encode(i)[0] in session.gold).any()

    # every annotator met gold items, at the gold rate: as many as their queue held beyond the
    # assignment, each gold item at most once
    gold_counts = gold.groupby("annotator").size().to_dict()
    for r in reports:
        name = r["annotator"]
        expected = round(r["assigned"] * 0.2 / 0.8)
        assert gold_counts.get(name, 0) == r["queue_size"] - r["assigned"] == expected == 11, (
            name,
            gold_counts,
        )
        assert abs(gold_counts[name] / r["labeled"] - 0.2) < 0.02, (name, gold_counts[name], r["labeled"])
    assert set(gold["item_id"].map(lambda i: ids.encode(i)[0])) <= set(session.gold)
