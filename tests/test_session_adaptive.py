"""Adaptive sessions: escalation on disagreement and on low confidence (up to ``max_overlap``,
decided once however many processes look), retirement with exact overlap, test–retest repeats
and self-agreement, quality over time with drift flags, and what ``nblabel session status``
says of them. Store tests run on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from _released import run_interpreters

import nblabel as nl
from nblabel.cli import main as cli
from nblabel.sessions.assignment import stable_seed
from nblabel.sessions.quality import plot_quality
from nblabel.sessions.repeats import GAP, PREFIX

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402

HERE = Path(__file__).resolve().parent
LABELS = ["pos", "neg"]
FOUR = ["ana", "ben", "cy", "dan"]
#: ana and cy always say "pos", ben and dan "neg": an item disagrees when it mixes the two groups
OPINION = {"ana": "pos", "cy": "pos", "ben": "neg", "dan": "neg"}


def data(n: int, start: int = 100) -> pd.DataFrame:
    return pd.DataFrame(
        {"text": [f"text {i}" for i in range(n)]}, index=pd.Index(range(start, start + n), name="rid")
    )


def make(store, task: str = "adapt", n: int = 24, annotators=FOUR, **options) -> nl.Session:
    settings = dict(
        widget=nl.Classify, data=data(n), annotators=annotators, overlap=2, text="text", labels=LABELS
    )
    settings.update(options)
    return nl.Session(store, task, **settings)


def label_until_settled(session: nl.Session, labelers: dict[str, Any], choose) -> None:
    """Label every queue, then ``sync()`` (what the poller does in a browser) until nobody is
    served anything more."""
    for _ in range(20):
        for name, w in labelers.items():
            w.sync()
            for _ in range(len(session.frame) + 1):  # never the same item forever
                if w.current is None:
                    break
                w.annotate(w.current, choose(name, w.current))
            assert w.current is None, f"{name} is stuck on {w.current!r}"
        if all(w.current is None and not w._policy.may_open_more() for w in labelers.values()):
            return
    raise AssertionError("the session did not settle")


def slot_order(session: nl.Session) -> dict[Any, list[str]]:
    """Item id -> its annotators in slot order: the two planned ones, then escalations by level."""
    planned: dict[Any, list[str]] = {}
    for row, item in enumerate(session._item_order.tolist()):
        planned[session.frame.index[item]] = [session.annotators[a] for a in session._grid[row]]
    esc = session.escalations().sort_values("level", kind="stable")
    for item, name in zip(esc["item_id"], esc["annotator"], strict=True):
        planned[item].append(name)
    return planned


def standing(store, task: str) -> dict[tuple[Any, str], Any]:
    current = store.current(task)
    current = current[current["kind"] == "label"]
    return {
        (i, a): v for i, a, v in zip(current["item_id"], current["annotator"], current["value"], strict=True)
    }


def seeded_order(seed: Any, item: Any, n: int) -> list[int]:
    """The per-item order the session documents: a permutation seeded by ("escalate", seed, key)."""
    return [int(a) for a in np.random.default_rng(stable_seed("escalate", seed, str(item))).permutation(n)]


# ---------------------------------------------------------------------- escalation
def test_disagreement_escalates_one_annotator_at_a_time_up_to_max_overlap(store) -> None:
    s = make(store, max_overlap=4, escalate="disagreement")
    labelers = {name: s.labeler(name) for name in FOUR}
    ana = labelers["ana"]
    while ana.current is not None:
        ana.annotate(ana.current, "pos")
    assert s.escalations().empty  # one label per item: nothing to decide yet
    planned = s.assignments()["annotators"].to_dict()
    ben = labelers["ben"]
    shared = [i for i, names in planned.items() if names == ["ana", "ben"]]
    assert shared
    ben.annotate(shared[0], "neg")  # both answered and they disagree: escalated at once
    esc = s.escalations()
    assert list(esc["item_id"]) == [shared[0]] and list(esc["level"]) == [3]
    first = next(FOUR[a] for a in seeded_order(0, shared[0], 4) if FOUR[a] not in ("ana", "ben"))
    assert list(esc["annotator"]) == [first]
    assert esc["confidence"].iloc[0] == 0.5

    label_until_settled(s, labelers, lambda name, item: OPINION[name])
    final = s.assignments()
    order = slot_order(s)
    values = standing(store, "adapt")
    for item, names in planned.items():
        mixed = len({OPINION[n] for n in names}) == 2
        # a split item goes to a third annotator, stays split 2-1, goes to the fourth; max_overlap stops it
        assert final.loc[item, "annotators"] == (sorted(FOUR) if mixed else names)
        assert final.loc[item, "escalated"] == (2 if mixed else 0)
        held = order[item]
        assert sorted(held) == final.loc[item, "annotators"]
        assert {a for (i, a) in values if i == item} == set(held)  # labeled by exactly these annotators
        for level in range(3, len(held) + 1):  # each escalation: the next eligible in the item's order
            eligible = [FOUR[a] for a in seeded_order(0, item, 4) if FOUR[a] not in held[: level - 1]]
            assert held[level - 1] == eligible[0]
    esc = s.escalations()
    assert not esc.duplicated(["item_id", "level"]).any() and set(esc["level"]) == {3, 4}
    assert (s.progress()["remaining"] == 0).all()


def test_low_confidence_escalates_until_the_labels_are_confident(store) -> None:
    five = ["a0", "a1", "a2", "a3", "a4"]
    opinion = {"a0": "pos", "a1": "pos", "a2": "pos", "a3": "neg", "a4": "neg"}
    ends = {}
    for task, threshold in (("conf-60", 0.6), ("conf-70", 0.7)):
        s = make(store, task, n=30, annotators=five, max_overlap=5, escalate=threshold, seed=3)
        label_until_settled(s, {n: s.labeler(n) for n in five}, lambda name, item: opinion[name])
        ends[threshold] = s.assignments()["annotators"].map(len)
        for item, held in slot_order(s).items():
            labels = [opinion[n] for n in held]
            share = [max(labels[:k].count(v) for v in LABELS) / k for k in range(2, len(labels) + 1)]
            assert all(x < threshold for x in share[:-1]), (item, labels)  # each escalation was under it
            assert share[-1] >= threshold or len(held) == 5, (item, labels)  # and it stopped once confident
        esc = s.escalations()
        assert (esc["confidence"] < threshold).all()
    # 2-1 is 67 % sure: enough at 0.6, not at 0.7 (3-1 or 2-2 and on to the fifth annotator)
    assert set(ends[0.6]) == {2, 3}
    assert set(ends[0.7]) <= {2, 4, 5} and (ends[0.7] >= 4).any()


def test_a_model_confidence_escalates_what_the_majority_cannot_tell(tmp_path: Path) -> None:
    """``bad`` always gives the other label; gold answers show it. The majority of (good, bad)
    is a coin toss, so every item with ``bad`` is escalated; Dawid–Skene, clamped by gold,
    learns that ``bad`` flips and is sure of them: nothing is escalated."""
    store = nl.Store(tmp_path / "s.db")
    names = ["good", "bad", "ok"]
    gold = pd.DataFrame({"text": [f"g{i}" for i in range(20)], "gold": [LABELS[i % 2] for i in range(20)]},
                        index=range(300, 320))  # fmt: skip

    def say(name: str, item: Any) -> str:
        truth = int(item) % 2
        return LABELS[1 - truth if name == "bad" else truth]

    escalated = {}
    for method in ("majority", "dawid_skene"):
        s = nl.Session(store, method, widget=nl.Classify, data=data(30), annotators=names, overlap=2,
                       max_overlap=3, escalate=0.8, escalate_method=method, gold=gold, gold_rate=0.0,
                       text="text", labels=LABELS)  # fmt: skip
        history = [
            {"item_id": 300 + i, "annotator": n, "value": say(n, 300 + i)} for n in names for i in range(20)
        ]
        store.import_annotations(pd.DataFrame(history), method)  # every annotator answered the gold items
        label_until_settled(s, {n: s.labeler(n) for n in names}, say)
        escalated[method] = s.escalations()
    with_bad = [i for i, n in s.assignments()["annotators"].items() if "bad" in n]
    assert sorted(escalated["majority"]["item_id"]) == sorted(with_bad)
    assert (escalated["majority"]["confidence"] == 0.5).all()
    assert escalated["dawid_skene"].empty
    with pytest.raises(ValueError, match="escalate_method='dawid_skene' needs a confidence threshold"):
        make(store, "x", escalate="disagreement", escalate_method="dawid_skene")
    with pytest.raises(ValueError, match="escalate_method='best' must be one of"):
        make(store, "x", escalate=0.8, escalate_method="best")
    texts = pd.DataFrame({"text": ["Ada met Bob", "Cy left"]})
    with pytest.raises(
        ValueError, match="escalate=0.8 needs a confidence, which .*use escalate='disagreement'"
    ):
        nl.Session(store, "ner", widget=nl.Spans, data=texts, annotators=["a", "b", "c"], overlap=2,
                   escalate=0.8, text="text", labels=["PER"])  # fmt: skip
    s = nl.Session(store, "ner", widget=nl.Spans, data=texts, annotators=["a", "b", "c"], overlap=2,
                   escalate="disagreement", text="text", labels=["PER"])  # fmt: skip
    item, (one, two) = next(iter(s.assignments()["annotators"].items()))
    s.labeler(one).annotate(item, [{"start": 0, "end": 3, "label": "PER"}])
    s.labeler(two).annotate(item, [{"start": 0, "end": 2, "label": "PER"}])  # spans differ: escalated
    assert list(s.escalations()["item_id"]) == [item]
    store.close()


def test_a_skip_does_not_escalate_but_its_undo_and_a_disagreeing_label_do(store) -> None:
    s = make(store, n=8, max_overlap=3, escalate="disagreement")
    item, (first, second) = next(iter(s.assignments()["annotators"].items()))
    one, two = s.labeler(first), s.labeler(second)
    one.annotate(item, "pos")
    two.skip(item)
    assert s.escalations().empty  # one label and a skip: nothing to compare
    two.undo()
    two.annotate(item, "neg")
    assert list(s.escalations()["item_id"]) == [item]
    # the decision stands once recorded: agreeing afterwards does not take it back
    two.undo()
    two.annotate(item, "pos")
    assert len(s.assignments().loc[item, "annotators"]) == 3


def test_labels_written_elsewhere_are_decided_whichever_look_comes_first(tmp_path: Path) -> None:
    """Labels imported behind the plan's back: the first look at the plan (here the browser's
    "may more items come?") decides on them, and nothing is left for a later sweep to miss."""
    s = make(tmp_path / "s.db", n=8, max_overlap=3, escalate="disagreement")
    item, names = next(
        (i, n) for i, n in s.assignments()["annotators"].items() if len({OPINION[a] for a in n}) == 2
    )
    rows = [{"item_id": item, "annotator": name, "value": OPINION[name]} for name in names]
    s.store.import_annotations(pd.DataFrame(rows), "adapt")
    assert s._live.may_grow("ana") is True  # the other items still wait for their annotators
    assert list(s.escalations()["item_id"]) == [item]
    s._live.sweep()
    assert len(s.escalations()) == 1


def test_an_idle_labeler_shows_an_escalated_item_on_its_next_poll(tmp_path: Path) -> None:
    s = make(tmp_path / "s.db", n=12, max_overlap=3, escalate="disagreement")
    labelers = {name: s.labeler(name) for name in FOUR}
    target = None
    for item, names in s.assignments()["annotators"].items():
        nxt = next(FOUR[a] for a in seeded_order(0, item, 4) if FOUR[a] not in names)
        if len({OPINION[n] for n in names}) == 2:
            target = (item, names, nxt)
            break
    assert target is not None
    item, names, receiver = target
    w = labelers[receiver]
    while w.current is not None:  # the receiver finishes their own queue first
        w.annotate(w.current, OPINION[receiver])
    b = Browser(w)
    window = b.hello()
    assert window["current"] is None and window["more"] is True  # not "all done" while items may come
    b.out.clear()
    for name in names:
        labelers[name].annotate(item, OPINION[name])  # another widget (any process) records the escalation
    assert w.sync() is True  # the poller calls this about once a second while the widget is shown
    pushed = b.out.last("window")
    assert pushed["current"] == str(item)
    shown = next(i for i in pushed["items"] if i["key"] == str(item))
    assert shown["payload"]["text"] == f"text {item - 100}"
    assert "1 more item came to your queue" in w.session_status["message"]
    assert w.sync() is False  # nothing new: no window


def test_the_poller_and_an_answer_adapting_at_once_do_not_deadlock(tmp_path: Path) -> None:
    """The poller's thread adapts (it will extend the queue) while the kernel handles a browser
    message under the widget's lock and adapts too: neither may wait on the other."""
    s = make(tmp_path / "s.db", n=12, max_overlap=3, escalate="disagreement")
    labelers = {name: s.labeler(name) for name in FOUR}
    item, names = next(
        (i, n) for i, n in s.assignments()["annotators"].items() if len({OPINION[a] for a in n}) == 2
    )
    receiver = next(FOUR[a] for a in seeded_order(0, item, 4) if FOUR[a] not in names)
    w = labelers[receiver]
    for name in names:
        labelers[name].annotate(item, OPINION[name])  # escalated to the receiver, not served yet
    sweep, inside, go = s._live.sweep, threading.Event(), threading.Event()

    def paused_sweep() -> Any:
        if not inside.is_set():  # the poller's look stops here until the kernel holds the lock
            inside.set()
            assert go.wait(10)
        return sweep()

    s._live.sweep = paused_sweep
    poller = threading.Thread(target=w.sync, daemon=True)
    poller.start()
    assert inside.wait(10)
    done = threading.Event()

    def kernel() -> None:
        with w._lock:  # as while a browser message is handled
            go.set()
            time.sleep(0.2)  # the poller's thread now waits for the widget's lock
            w._policy.adapt(w)
        done.set()

    threading.Thread(target=kernel, daemon=True).start()
    assert done.wait(10), "the kernel's adapt waited on the poller's, which waited on the kernel"
    poller.join(10)
    assert not poller.is_alive()
    assert w.queue.serves(w.items.position(item))


def test_two_sessions_sweeping_at_once_escalate_each_item_once(store_url: str) -> None:
    """Two Session objects (as two processes would have) look at the same answers at the same
    time: the log's writers take turns, so each escalation is written once."""
    stores = [nl.Store(store_url), nl.Store(store_url)]
    try:
        sessions = [make(st, n=40, max_overlap=4, escalate="disagreement") for st in stores]
        planned = sessions[0].assignments()["annotators"]
        rows = [
            {"item_id": item, "annotator": name, "value": OPINION[name]}
            for item, names in planned.items()
            for name in names
        ]
        stores[0].import_annotations(pd.DataFrame(rows), "adapt")
        barrier = threading.Barrier(2)
        errors: list[BaseException] = []

        def sweep(session: nl.Session) -> None:
            try:
                barrier.wait()
                session._live.sweep()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=sweep, args=(x,)) for x in sessions]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        mixed = [i for i, names in planned.items() if len({OPINION[n] for n in names}) == 2]
        log = sessions[0].plan_changes()
        assert sorted(log["item_id"]) == sorted(mixed) and (log["kind"] == "escalate").all()
        views = [x.assignments().to_dict() for x in sessions]
        assert views[0] == views[1]
    finally:
        for st in stores:
            st.close()


def run_workers(
    url: str, cfg: dict[str, Any], tmp_path: Path, groups: list[list[str]]
) -> list[dict[str, Any]]:
    configs = [{**cfg, "url": url, "run": group} for group in groups]
    return run_interpreters(HERE / "_adaptive_worker.py", configs, tmp_path / "barrier", timeout=300)


def test_two_processes_escalate_the_same_way(store_url: str, tmp_path: Path) -> None:
    """Two interpreters (two hash seeds), each labeling for two annotators at once, escalate
    disagreements as they see them; both end with the plan the seeded order says, each item
    labeled by exactly its annotators."""
    from _adaptive_worker import label_for, make_session

    annotators = ["a0", "a1", "a2", "a3"]
    cfg = {"task": "two", "items": 90, "annotators": annotators, "overlap": 2, "max_overlap": 4,
           "escalate": "disagreement", "seed": 5}  # fmt: skip
    reports = run_workers(store_url, cfg, tmp_path, [["a0", "a1"], ["a2", "a3"]])
    store = nl.Store(store_url)
    try:
        s = make_session(store, cfg)
        plan = s.assignments()
        order = slot_order(s)
        values = standing(store, "two")
        events = store.annotations("two")
    finally:
        store.close()
    views = [{int(k): v for k, v in r["assignments"].items()} for r in reports]
    assert views[0] == views[1] == plan["annotators"].to_dict()  # every process agrees
    assert sum(r["labeled"] for r in reports) == len(events)
    assert not events.duplicated(["item_id", "annotator"]).any()
    assert (plan["escalated"] > 0).any()
    for item, held in order.items():
        assert {a for (i, a) in values if i == item} == set(held)  # labeled by exactly its annotators
        labels = [label_for(item, name) for name in held]
        for level in range(3, len(held) + 1):
            assert len(set(labels[: level - 1])) == 2  # escalated only on a disagreement
            eligible = [
                annotators[a] for a in seeded_order(5, item, 4) if annotators[a] not in held[: level - 1]
            ]
            assert held[level - 1] == eligible[0]
        if len(held) < 4:
            assert len(set(labels)) == 1  # settled: what stopped short of max_overlap agrees


def test_escalation_settings_are_checked_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    with pytest.raises(ValueError, match="escalate='maybe' must be 'disagreement' or a confidence threshold"):
        make(path, escalate="maybe")
    with pytest.raises(TypeError, match="escalate= must be a number between 0 and 1"):
        make(path, escalate=[0.5])
    with pytest.raises(ValueError, match="max_overlap=3 needs escalate="):
        make(path, max_overlap=3)
    with pytest.raises(ValueError, match="max_overlap=5 must be between 2 and 4"):
        make(path, max_overlap=5, escalate="disagreement")
    with pytest.raises(ValueError, match="max_overlap=2 leaves no room to escalate"):
        make(path, max_overlap=2, escalate="disagreement")
    with pytest.raises(ValueError, match="escalate= needs an annotator to escalate to"):
        make(path, annotators=["ana", "ben"], escalate=0.8)
    assert make(path, "defaults", escalate=0.8).max_overlap == 3  # one more than overlap
    with pytest.raises(ValueError, match=r"escalate=0.8 \(now 'disagreement'\)"):
        make(path, "defaults", escalate="disagreement")
    with pytest.raises(ValueError, match=r"repeat_rate=0.0 \(now 0.2\)"):
        make(path, "defaults", escalate=0.8, repeat_rate=0.2)
    bad = data(3)
    bad.index = pd.Index(["a", PREFIX + "b", "c"])
    with pytest.raises(ValueError, match="starts with 'nblabel-repeat:'"):
        make(path, "bad", data=bad)


def test_a_plan_stored_before_adaptive_settings_reopens(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    make(path).close()
    store = nl.Store(path)
    with store.engine.begin() as conn:  # as an older nblabel wrote it: no adaptive settings
        config = json.loads(conn.execute(sa.text("SELECT config FROM nbl_sessions")).scalar_one())
        for key in ("max_overlap", "escalate", "repeat_rate"):
            config.pop(key)
        conn.execute(sa.text("UPDATE nbl_sessions SET config = :c"), {"c": json.dumps(config)})
    make(store)  # the defaults match
    with pytest.raises(ValueError, match=r"max_overlap=2 \(now 3\)"):
        make(store, escalate="disagreement")
    store.close()


# ---------------------------------------------------------------------- retirement
def test_retire_hands_unanswered_items_to_the_others_with_exact_overlap(store) -> None:
    s = make(store, "ret", n=40)
    labelers = {name: s.labeler(name) for name in FOUR}
    ana = labelers["ana"]
    answered = []
    for _ in range(5):
        answered.append(ana.current)
        ana.annotate(ana.current, "pos")
    before = s.assignments()["annotators"]
    ben_queue = labelers["ben"].queue.size
    handed = s.retire("ana", note="left the project")
    mine = [i for i, names in before.items() if "ana" in names]
    assert sorted(handed.index) == sorted(set(mine) - set(answered)) and len(handed) == 15
    after = s.assignments()["annotators"]
    for item, to in handed["to"].items():
        assert to != "ana" and to not in before[item]  # nobody labels an item twice
        assert after[item] == sorted([n for n in before[item] if n != "ana"] + [to])
    assert after.map(len).eq(2).all()  # overlap stays exact
    assert sorted(i for i, names in after.items() if "ana" in names) == sorted(answered)
    loads = pd.Series([n for names in after for n in names]).value_counts()
    assert loads["ana"] == 5 and loads[["ben", "cy", "dan"]].max() - loads[["ben", "cy", "dan"]].min() <= 1
    # her open labeler stops serving the handed items; ben's (open here too) serves his new ones
    assert ana.current is None and "You have left this session" in ana.session_status["message"]
    with pytest.raises(ValueError, match="not in 'ana'"):
        ana.annotate(handed.index[0], "pos")
    assert labelers["ben"].queue.size == ben_queue + int((handed["to"] == "ben").sum())
    label_until_settled(s, {n: w for n, w in labelers.items() if n != "ana"}, lambda name, item: "neg")
    labeled = store.current("ret").groupby("item_id")["annotator"].agg(sorted)
    assert labeled.to_dict() == after.to_dict()
    # recorded in the store: another Session object, the progress table and the CLI agree
    again = make(store, "ret", n=40)
    assert again.assignments()["annotators"].to_dict() == after.to_dict()
    progress = again.progress()
    assert progress.loc["ana", ["assigned", "remaining", "handed_away"]].tolist() == [5, 0, 15]
    assert bool(progress.loc["ana", "retired"]) and progress["received"].sum() == 15
    assert s.retire("ana").empty  # already retired: nothing changes
    log = s.plan_changes()
    assert list(log["kind"]) == ["retire"] + ["handover"] * 15
    assert log["detail"].iloc[0] == {"note": "left the project"}


def test_retire_refuses_to_break_overlap_and_drops_an_escalation_nobody_can_take(tmp_path: Path) -> None:
    s = make(tmp_path / "s.db", annotators=["ana", "ben"], n=6)
    with pytest.raises(ValueError, match="retiring 'ana' would leave 6 item\\(s\\) short"):
        s.retire("ana")
    assert s.plan_changes().empty  # nothing recorded
    with pytest.raises(ValueError, match="'zed' is not an annotator"):
        s.retire("zed")

    three = ["ana", "ben", "cy"]
    s = make(tmp_path / "s.db", "esc", annotators=three, n=9, max_overlap=3, escalate="disagreement")
    item, names = next((i, n) for i, n in s.assignments()["annotators"].items() if "cy" not in n)
    s.labeler(names[0]).annotate(item, "pos")
    s.labeler(names[1]).annotate(item, "neg")
    assert s.assignments().loc[item, "annotators"] == three  # escalated to cy
    handed = s.retire("cy")
    assert handed.loc[item, "to"] is None  # everyone else labels it already: the escalation is dropped
    plan = s.assignments()
    assert plan.loc[item, "annotators"] == sorted(names) and plan.loc[item, "escalated"] == 0
    assert plan["annotators"].map(len).eq(2).all() and not plan["annotators"].map(lambda n: "cy" in n).any()


# ---------------------------------------------------------------------- test–retest
def test_repeats_come_back_later_under_the_original_id_and_count_only_for_self_agreement(store) -> None:
    s = make(store, "rr", n=40, annotators=["ana", "ben"], repeat_rate=0.25)
    ana, ben = s.labeler("ana"), s.labeler("ben")
    assert ana.queue.size == ben.queue.size == 50  # 40 items and 10 repeats
    order = [str(ana.items.label(p)) for p in ana.queue.order]
    repeats = [k for k in order if k.startswith(PREFIX)]
    assert len(repeats) == 10
    for key in repeats:  # each repeat comes at least GAP items after its original
        assert order.index(key) > order.index(key[len(PREFIX) :]) + GAP
    assert s.labeler("ana").queue.order.tolist() == ana.queue.order.tolist()  # seeded: the same on reopening
    b = Browser(ana)
    window = b.hello()
    flipped: list[str] = []
    payloads: dict[str, dict[str, Any]] = {}  # what the browser holds (sent once per item)
    while window["current"] is not None:
        key = window["current"]
        payloads.update({i["key"]: i["payload"] for i in window["items"] if "payload" in i})
        if key.startswith(PREFIX):
            assert payloads[key]["id"] == key[len(PREFIX) :]  # the browser shows the original's id
            assert payloads[key]["text"] == f"text {int(key[len(PREFIX) :]) - 100}"
        value = 0  # "pos"
        if key.startswith(PREFIX) and len(flipped) < 2:
            flipped.append(key[len(PREFIX) :])
            value = 1  # changes their mind on two repeats
        window = b.label(key, value)
    while ben.current is not None:
        ben.annotate(ben.current, "pos")
    table = s.self_agreement(n_boot=500, seed=1)
    assert (
        table.loc["ana", ["repeats", "agreed"]].tolist() == [10, 8]
        and table.loc["ana", "self_agreement"] == 0.8
    )
    assert table.loc["ana", "ci_low"] < 0.8 < table.loc["ana", "ci_high"] <= 1.0
    assert table.loc["ben", ["repeats", "agreed", "self_agreement", "ci_low", "ci_high"]].tolist() == [
        10,
        10,
        1,
        1,
        1,
    ]
    assert s.self_agreement(n_boot=0)["ci_low"].isna().all()
    # the first answer is the production label: the flipped repeats change nothing there
    final = s.final_labels()
    assert len(final) == 40 and (final["status"] == "unanimous").all() and (final["value"] == "pos").all()
    report = s.report(n_boot=100)
    assert report.loc["percent_agreement", "items"] == 40 and report.loc["percent_agreement", "value"] == 1.0
    assert report.self_agreement.loc["ana", "self_agreement"] == 0.8
    assert len(store.annotations("rr")) == 100 and s.production_annotations().shape[0] == 80
    assert s.progress()[["assigned", "labeled", "remaining"]].to_dict("index") == {
        n: {"assigned": 40, "labeled": 40, "remaining": 0} for n in ("ana", "ben")
    }


def test_a_session_without_repeats_has_an_empty_self_agreement_table(tmp_path: Path) -> None:
    s = make(tmp_path / "s.db", "plain", n=6, annotators=["ana", "ben"])
    w = s.labeler("ana")
    assert w.queue.size == 6 and s._labeler_frame is s.frame
    while w.current is not None:
        w.annotate(w.current, "pos")
    table = s.report(n_boot=0).self_agreement
    assert table["repeats"].tolist() == [0, 0] and table["self_agreement"].isna().all()


# ---------------------------------------------------------------------- quality over time
def timeline_session(store) -> nl.Session:
    """Two annotators, 8 production items (100-107) and 8 gold ones (200-207, all "pos"), and a
    made-up history: day 1 ana is right on all gold, ben on half; day 2 ana gets 3 of 4 wrong."""
    production = data(8)
    gold = pd.DataFrame({"text": [f"gold {i}" for i in range(8)], "gold": ["pos"] * 8}, index=range(200, 208))
    s = nl.Session(store, "time", widget=nl.Classify, data=production, annotators=["ana", "ben"], overlap=2,
                   gold=gold, gold_threshold=0.9, text="text", labels=LABELS)  # fmt: skip
    ana_p = ["pos", "pos", "neg", "neg", "pos", "pos", "pos", "pos"]
    ben_p = ["pos", "neg", "neg", "neg", "pos", "pos", "neg", "neg"]
    ana_g = ["pos"] * 4 + ["neg", "neg", "neg", "pos"]
    ben_g = ["pos", "pos", "neg", "neg"] + ["pos"] * 4
    rows = []
    for day in (0, 1):
        at = pd.Timestamp("2024-03-01 09:00", tz="UTC") + pd.Timedelta(days=day)
        for name, prod, golds in (("ana", ana_p, ana_g), ("ben", ben_p, ben_g)):
            for j in range(4):
                i = 4 * day + j
                rows.append({"item_id": 100 + i, "annotator": name, "value": prod[i], "created_at": at})
                at += pd.Timedelta(minutes=1)
            for j in range(4):
                i = 4 * day + j
                rows.append({"item_id": 200 + i, "annotator": name, "value": golds[i], "created_at": at})
                at += pd.Timedelta(minutes=1)
    # day 3: ana corrects a gold answer (a first answer counts, not the correction)
    rows.append({"item_id": 204, "annotator": "ana", "value": "pos",
                 "created_at": pd.Timestamp("2024-03-03 10:00", tz="UTC")})  # fmt: skip
    store.import_annotations(pd.DataFrame(rows), "time")
    return s


def test_quality_over_time_by_day_and_by_batch(store) -> None:
    s = timeline_session(store)
    table = s.quality_over_time(by="day", window=4)
    assert list(table.columns) == [
        "period", "annotator", "start", "end", "labels", "pairs", "agreement", "gold_answered",
        "gold_accuracy", "rolling_gold_accuracy", "drift",
    ]  # fmt: skip
    day1, day2 = pd.Timestamp("2024-03-01", tz="UTC"), pd.Timestamp("2024-03-02", tz="UTC")
    got = {
        (row.annotator, row.period): (row.labels, row.pairs, row.agreement, row.gold_answered,
                                      row.gold_accuracy, row.rolling_gold_accuracy, row.drift)
        for row in table.itertuples()
    }  # fmt: skip
    assert got == {
        ("ana", day1): (4, 4, 0.75, 4, 1.0, 1.0, False),
        ("ana", day2): (4, 4, 0.5, 4, 0.25, 0.25, True),
        ("ben", day1): (4, 4, 0.75, 4, 0.5, 0.5, True),
        ("ben", day2): (4, 4, 0.5, 4, 1.0, 1.0, False),
    }
    assert table.loc[0, "start"] == pd.Timestamp("2024-03-01 09:00", tz="UTC")
    # a rolling window of 6: ana's day 2 is [1, 1, 0, 0, 0, 1] -> 0.5; nothing before 6 answers
    wide = s.quality_over_time(by="day", window=6)
    assert wide["rolling_gold_accuracy"].isna().tolist() == [True, False, True, False]
    assert wide.loc[1, "rolling_gold_accuracy"] == 0.5 and wide.loc[3, "rolling_gold_accuracy"] == 4 / 6
    # batches of 8 answers are the days here; batches of 4 split production from gold
    batches = s.quality_over_time(by="batch", batch_size=8, window=4)
    assert batches[["labels", "agreement", "gold_accuracy", "drift"]].equals(
        table[["labels", "agreement", "gold_accuracy", "drift"]]
    )
    assert batches["period"].tolist() == [1, 2, 1, 2]
    fours = s.quality_over_time(by="batch", batch_size=4, window=4, gold_threshold=0.5)
    ana = fours[fours["annotator"] == "ana"]
    assert ana["labels"].tolist() == [4, 0, 4, 0] and ana["gold_answered"].tolist() == [0, 4, 0, 4]
    assert ana["drift"].tolist() == [False, False, False, True]  # 0.25 < 0.5
    with pytest.raises(ValueError, match="by='week' must be one of"):
        s.quality_over_time(by="week")
    with pytest.raises(ValueError, match="batch_size=0 must be at least 1"):
        s.quality_over_time(batch_size=0)


def test_quality_plot_and_the_cli_show_drift_escalations_and_retirement(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.db"
    store = nl.Store(path)
    s = timeline_session(store)
    fig = s.plot_quality_over_time(by="day", window=4)
    gold_ax, agree_ax = fig.axes
    assert (
        len(gold_ax.get_lines()) == 3 and len(agree_ax.get_lines()) == 2
    )  # two annotators and the threshold
    assert len(gold_ax.collections) == 2 and gold_ax.collections[0].get_offsets().shape == (
        1,
        2,
    )  # ana's day 2
    assert fig._repr_png_()[0][:4] == b"\x89PNG"
    hostile = s.quality_over_time(by="day", window=4)
    hostile["annotator"] = hostile["annotator"].map({"ana": "$a_{x", "ben": "<b>ben\x07"})
    fig = plot_quality(hostile, title="cost $5")  # user text is shown as it is, never as math
    assert fig._repr_png_()[0][:4] == b"\x89PNG"
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == [r"\$a_{x", "<b>ben\\x07"]
    assert cli(["session", "status", str(path), "--task", "time"]) == 0
    out = capsys.readouterr().out
    assert "Drift (last 10 gold answers under 90%): none" in out  # 8 gold answers: no window of 10 yet
    store.close()

    s = make(path, "live", n=12, max_overlap=3, escalate="disagreement")
    label_until_settled(s, {n: s.labeler(n) for n in FOUR}, lambda name, item: OPINION[name])
    s.retire("dan")
    assert cli(["session", "status", str(path), "--task", "live"]) == 0
    out = capsys.readouterr().out
    n_escalated = len(s.escalations())
    assert (
        n_escalated and f"Escalation on disagreement, up to 3 annotators per item: {n_escalated} items" in out
    )
    assert "Retired: dan (" in out and "received" in out and "retired" in out
