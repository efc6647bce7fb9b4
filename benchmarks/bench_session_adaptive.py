"""Adaptive-overlap benchmarks: what escalation costs each label, a poll, and a retirement.

Budgets (the next-item budget of ``bench_session.py``, which escalation must keep):

  * (a) 10,000 items, 4 annotators, overlap 2, ``max_overlap=4``, SQLite in a temp dir. The other
    three annotators' labels are in the store already, so each of the timed annotator's 2,000
    labels completes an item and is decided on (about half of them disagree and are escalated).
    The per-label step ``w._move_after(pos)`` (the policy's advance: the sweep, the log, the
    queue) inside real ``w.annotate`` calls: p95 <= 10 ms with ``escalate="disagreement"`` and
    with ``escalate=0.8`` (``nl.aggregate``'s majority confidence); the same session without
    ``escalate=`` is the peer, in the same run (ratio printed). The whole ``w.annotate`` (a
    durable SQLite commit included) as an extra figure.
  * (b) ``w.sync()`` — what the widget poller runs once a second while a labeler is shown —
    when nothing changed, and after one label of another annotator: reported.
  * (c) ``session.retire(name)`` of an annotator with 5,000 unanswered items: reported, with the
    overlap and the load spread checked.

Run: ``python benchmarks/bench_session_adaptive.py`` (about a minute; temp files removed).
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))
from _common import figure, footer, header, median, p95  # noqa: E402

ITEMS = 10_000
ANNOTATORS = ["a0", "a1", "a2", "a3"]
TIMED = 2_000
POLLS = 200
LABELS = ["pos", "neg"]


def opinion(name: str, item: int) -> str:
    """a0 and a2 follow the item's parity; a1 and a3 say "neg" on every third item."""
    if name in ("a0", "a2"):
        return LABELS[item % 2]
    return "neg" if item % 3 == 0 else LABELS[item % 2]


def session_with_history(tmp: Path, task: str, **options: Any) -> Any:
    import pandas as pd

    import nblabel as nl

    frame = pd.DataFrame({"text": [f"item {i}: a short review" for i in range(ITEMS)]})
    store = nl.Store(tmp / f"{task}.db")
    session = nl.Session(store, task, widget=nl.Classify, data=frame, annotators=ANNOTATORS, overlap=2,
                         text="text", labels=LABELS, **options)  # fmt: skip
    plan = session.assignments()["annotators"]
    rows = [
        {"item_id": item, "annotator": name, "value": opinion(name, item)}
        for item, names in plan.items()
        for name in names
        if name != "a0"
    ]
    store.import_annotations(pd.DataFrame(rows), task)
    return session


def timed_labels(session: Any) -> tuple[list[float], list[float]]:
    w = session.labeler("a0")
    move: list[float] = []
    full: list[float] = []
    original = w._move_after

    def timed(pos: int) -> None:
        t = time.perf_counter()
        original(pos)
        move.append(time.perf_counter() - t)

    w._move_after = timed
    for _ in range(TIMED):
        if w.current is None:
            break
        t = time.perf_counter()
        w.annotate(w.current, opinion("a0", int(w.current)))
        full.append(time.perf_counter() - t)
    w.close()
    return move, full


def bench_labels(tmp: Path) -> None:
    runs = {
        "no escalation": {},
        'escalate="disagreement"': {"max_overlap": 4, "escalate": "disagreement"},
        "escalate=0.8 (majority)": {"max_overlap": 4, "escalate": 0.8},
    }
    results = {}
    for i, (name, options) in enumerate(runs.items()):
        session = session_with_history(tmp, f"t{i}", **options)
        results[name] = (*timed_labels(session), len(session.escalations()))
        session.store.close()
    peer = median(results["no escalation"][0])
    for name, (move, full, escalated) in results.items():
        budget = name != "no escalation"
        figure(
            f"(a) next-item step per label, w._move_after(pos), {ITEMS:,} items x 4 annotators, {name}",
            f"median {median(move) * 1e3:.3f} ms, p95 {p95(move) * 1e3:.3f} ms, max {max(move) * 1e3:.1f} ms "
            f"({len(move):,} labels, {escalated:,} escalations); {median(move) / peer:.1f}x the session "
            "without escalation",
            p95(move) <= 0.010 if budget else None,
            "p95 <= 10 ms" if budget else "",
        )
        figure(
            f"(a) full w.annotate per label (durable SQLite commit included), {name}",
            f"median {median(full) * 1e3:.2f} ms, p95 {p95(full) * 1e3:.2f} ms",
        )


def bench_poll(tmp: Path) -> None:
    session = session_with_history(tmp, "poll", max_overlap=4, escalate="disagreement")
    w = session.labeler("a0")
    idle = []
    for _ in range(POLLS):
        t = time.perf_counter()
        w.sync()
        idle.append(time.perf_counter() - t)
    other = session.labeler("a1")
    after_label = []
    for _ in range(POLLS):
        if other.current is None:
            break
        other.annotate(other.current, "pos")
        t = time.perf_counter()
        w.sync()
        after_label.append(time.perf_counter() - t)
    figure(
        "(b) w.sync() (the poller's look, once a second while shown), nothing new",
        f"median {median(idle) * 1e3:.2f} ms, p95 {p95(idle) * 1e3:.2f} ms ({len(idle)} polls)",
    )
    figure(
        "(b) w.sync() after another annotator's label",
        f"median {median(after_label) * 1e3:.2f} ms, p95 {p95(after_label) * 1e3:.2f} ms "
        f"({len(after_label)} polls)",
    )
    w.close()
    other.close()
    session.store.close()


def bench_retire(tmp: Path) -> None:
    import pandas as pd

    import nblabel as nl

    frame = pd.DataFrame({"text": [f"item {i}" for i in range(ITEMS)]})
    store = nl.Store(tmp / "retire.db")
    session = nl.Session(store, "retire", widget=nl.Classify, data=frame, annotators=ANNOTATORS, overlap=2,
                         text="text", labels=LABELS)  # fmt: skip
    t = time.perf_counter()
    handed = session.retire("a0")
    took = time.perf_counter() - t
    plan = session.assignments()["annotators"]
    exact = bool(plan.map(len).eq(2).all()) and not plan.map(lambda names: "a0" in names).any()
    loads = pd.Series([n for names in plan for n in names]).value_counts()
    figure(
        f"(c) session.retire(name), {len(handed):,} unanswered items handed over "
        f"({ITEMS:,} items, overlap 2)",
        f"{took * 1e3:.0f} ms; overlap exact: {exact}; "
        f"loads of the others {loads.min():,} to {loads.max():,}",
    )
    store.close()


def main() -> int:
    header("bench_session_adaptive")
    with tempfile.TemporaryDirectory(prefix="nbl-bench-adaptive-") as tmp:
        bench_labels(Path(tmp))
        bench_poll(Path(tmp))
        bench_retire(Path(tmp))
    footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
