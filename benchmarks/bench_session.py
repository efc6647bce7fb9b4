"""Session benchmarks: concurrent labelers on PostgreSQL, and picking the next item.

Budgets:
  * (a) PostgreSQL, 20 concurrent writer processes, each a session labeler (``nl.Session(...)
    .labeler(name)``) doing ``w.annotate(w.current, label)`` as fast as it can over its queue
    (5,000 items, overlap 2: 500 labels each): >= 500 events/s in total. Peer, in the same run
    and the same server: 20 processes each doing raw SQLAlchemy single-row INSERT + COMMIT
    (the same ``ON CONFLICT DO NOTHING``) into an identical ``nbl_events`` table; the ratio
    session/raw is printed. Rounds alternate between the two, each round on a new task.
  * (b) 100,000 items (10% of them gold, ``gold_rate=0.1``), 20 annotators, overlap 3, SQLite
    store in a temp dir: ``session.labeler(name)`` construction time (reported); the per-label
    "next item" step ``w._move_after(pos)`` (the policy's advance hook, then the queue's next
    undone item), timed inside real ``w.annotate`` calls over >= 2,000 labels: p95 <= 10 ms;
    the whole ``w.annotate(w.current, label)`` (a durable SQLite commit included) as an extra
    figure.

The PostgreSQL server is a throw-away one (``tests/pg_server.py``: ``initdb`` in a temp dir,
``fsync=off``), so (a) measures the client path and the server's CPU, not a disk flush. The
machine is shared (2 CPUs): 20 writers and the server compete for them.

Run: ``python benchmarks/bench_session.py`` (about 2-3 minutes; temp files are removed).
Environment: ``NBL_BENCH_ROUNDS`` (default 3) rounds of (a).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))
sys.path.insert(2, str(ROOT / "tests"))
from _common import (  # noqa: E402
    figure,
    footer,
    header,
    median,
    p95,
    phase_summary,
    start_writers,
    timed_phase,
    wait_all,
)

WRITERS = 20
PG_ITEMS = 5_000  # x overlap 2 / 20 writers = 500 labels each
PG_OVERLAP = 2
RAW_EACH = 500
ROUNDS = int(os.environ.get("NBL_BENCH_ROUNDS", 3))
BIG_ITEMS = 100_000
BIG_ANNOTATORS = 20
BIG_OVERLAP = 3
TIMED_LABELERS = 2
LABELS_EACH = 1_500  # x 2 labelers = 3,000 timed labels
LABELS = ["pos", "neg"]
ANNOTATORS = [f"a{i}" for i in range(WRITERS)]


# ---------------------------------------------------------------------- (a) worker side
def pg_frame() -> Any:
    import pandas as pd

    return pd.DataFrame({"text": [f"item {i}: a short review to label" for i in range(PG_ITEMS)]})


def worker(index: int, session_url: str, raw_url: str, barrier: str) -> None:
    """One writer: per round, a session labeler over its whole queue, then raw inserts."""
    import sqlalchemy as sa

    import nblabel as nl
    from nblabel.core.event import Event
    from nblabel.store import EVENT_COLUMNS

    gate = Path(barrier)
    name = ANNOTATORS[index]
    df = pg_frame()
    store = nl.Store(session_url)
    columns = [c for c in EVENT_COLUMNS if c != "id"]
    insert = sa.text(
        f"INSERT INTO nbl_events ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)}) "
        "ON CONFLICT (client_id, client_seq) DO NOTHING"
    )
    engine = sa.create_engine(raw_url.replace("postgresql://", "postgresql+psycopg://"))
    for rnd in range(ROUNDS):
        # -- the session labeler
        session = nl.Session(
            store, f"bench-{rnd}", widget=nl.Classify, data=df, annotators=ANNOTATORS, overlap=PG_OVERLAP,
            gold_rate=0.0, seed=rnd, text="text", labels=LABELS,
        )  # fmt: skip
        w = session.labeler(name)
        bad: list[Any] = []
        w.observe(
            lambda change, bad=bad: bad.append(change["new"]) if change["new"].get("state") != "ok" else None,
            "_status",
        )

        def label(w: Any = w, bad: list[Any] = bad) -> dict[str, Any]:
            n = 0
            while w.current is not None:
                w.annotate(w.current, LABELS[n % 2])
                n += 1
            return {"n": n, "bad": len(bad), "pending": w.pending}

        timed_phase(gate, f"s{rnd}", index, label)
        w.close()
        # -- the raw peer: the same kind of rows, one INSERT + COMMIT each
        rows = [
            Event(
                task=f"raw-{rnd}", item_id=str(i), item_kind="int", annotator=name, kind="label",
                value=LABELS[i % 2], client_id=f"raw-{rnd}-{name}", client_seq=i + 1,
            ).row()
            for i in range(RAW_EACH)
        ]  # fmt: skip
        with engine.begin() as conn:  # open the pool's connection before the clock starts
            conn.execute(sa.text("SELECT 1"))

        def peer(rows: list[dict[str, Any]] = rows) -> dict[str, Any]:
            for row in rows:
                with engine.begin() as conn:
                    conn.execute(insert, row)
            return {"n": len(rows)}

        timed_phase(gate, f"p{rnd}", index, peer)
    engine.dispose()
    store.close()


# ---------------------------------------------------------------------- (a) parent side
def phase(gate: Path, tag: str, procs: list[subprocess.Popen]) -> dict[str, Any]:
    """Release one phase once every writer is ready; the overall rate when all are done."""
    wait_all(gate, f"ready-{tag}", procs)
    (gate / f"go-{tag}").write_text("")
    wait_all(gate, f"done-{tag}", procs)
    return phase_summary(gate, tag, len(procs))


def bench_postgres() -> None:
    import sqlalchemy as sa
    from pg_server import PostgresServer, pg_bin

    import nblabel as nl

    if pg_bin() is None:
        figure("(a) PostgreSQL, 20 session labelers", "SKIP: PostgreSQL binaries not installed")
        return
    server = PostgresServer()
    procs: list[subprocess.Popen] = []
    try:
        session_url, raw_url = server.new_database(), server.new_database()
        nl.Store(raw_url).close()  # the peer's table: the same schema, in its own database
        with tempfile.TemporaryDirectory(prefix="nbl-bench-session-") as tmp:
            gate = Path(tmp)
            t0 = time.perf_counter()
            procs.extend(start_writers(__file__, WRITERS, [session_url, raw_url], gate))
            wait_all(gate, "ready-s0", procs)
            started = time.perf_counter() - t0
            session_runs, raw_runs = [], []
            for rnd in range(ROUNDS):
                session_runs.append(phase(gate, f"s{rnd}", procs))
                raw_runs.append(phase(gate, f"p{rnd}", procs))
            for p in procs:
                p.wait(timeout=120)
        rates = [r["rate"] for r in session_runs]
        raw_rates = [r["rate"] for r in raw_runs]
        ratios = [s / r for s, r in zip(rates, raw_rates, strict=True)]
        rate = median(rates)
        figure(
            f"(a) PostgreSQL: {WRITERS} concurrent session labelers, w.annotate events/s in total",
            f"median {rate:,.0f}/s, worst round {min(rates):,.0f}/s ({ROUNDS} rounds x "
            f"{session_runs[0]['total']:,} events, {session_runs[0]['span']:.1f} s first to last); "
            f"per writer median {median([x for r in session_runs for x in r['per_writer']]):,.0f}/s; "
            f"peer: raw SQLAlchemy single-row INSERT+COMMIT, {WRITERS} processes, median "
            f"{median(raw_rates):,.0f}/s ({raw_runs[0]['total']:,} rows a round); "
            f"ratio session/raw {median(ratios):.2f} ({WRITERS} interpreters started, sessions built, "
            f"before the clock: {started:.0f} s)",
            rate >= 500,
            ">= 500 events/s",
        )
        cpu = median([r["cpu_per_event"] for r in session_runs])
        raw_cpu = median([r["cpu_per_event"] for r in raw_runs])
        figure(
            "(a) client CPU per event in the writer processes (20 writers share the machine's CPUs)",
            f"session w.annotate median {cpu * 1e3:.2f} ms, raw INSERT+COMMIT {raw_cpu * 1e3:.2f} ms, "
            f"ratio {cpu / raw_cpu:.1f}; {WRITERS} writers x session CPU = "
            f"{WRITERS * cpu * 1e3:.0f} ms of CPU per {WRITERS} events on {os.cpu_count()} CPUs",
        )
        # The plan held under load: each item labeled by exactly the planned 2 annotators.
        store = nl.Store(session_url)
        try:
            broken = errors = 0
            for rnd in range(ROUNDS):
                session = nl.Session(
                    store, f"bench-{rnd}", widget=nl.Classify, data=pg_frame(), annotators=ANNOTATORS,
                    overlap=PG_OVERLAP, gold_rate=0.0, seed=rnd, text="text", labels=LABELS,
                )  # fmt: skip
                events = store.annotations(f"bench-{rnd}", columns=["item_id", "annotator", "kind"])
                held = events.groupby("item_id")["annotator"].agg(sorted)
                plan = session.assignments()["annotators"]
                broken += int(
                    len(events) != PG_ITEMS * PG_OVERLAP
                    or events.duplicated(["item_id", "annotator"]).any()
                    or held.to_dict() != plan.to_dict()
                )
                errors += session_runs[rnd]["errors"]
            engine = sa.create_engine(raw_url.replace("postgresql://", "postgresql+psycopg://"))
            with engine.connect() as conn:
                raw_rows = conn.execute(sa.text("SELECT count(*) FROM nbl_events")).scalar_one()
            engine.dispose()
        finally:
            store.close()
        figure(
            "(a) events and assignment after the concurrent rounds",
            f"{ROUNDS - broken}/{ROUNDS} rounds with exactly {PG_ITEMS * PG_OVERLAP:,} events, each item by "
            f"its 2 planned annotators; {errors} store errors seen by the widgets; raw peer rows "
            f"{raw_rows:,} of {ROUNDS * WRITERS * RAW_EACH:,}",
            broken == 0 and errors == 0 and raw_rows == ROUNDS * WRITERS * RAW_EACH,
            "exact",
        )
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        server.stop()


# ---------------------------------------------------------------------- (b) next item
def bench_next_item(tmp: Path) -> None:
    import pandas as pd

    import nblabel as nl

    frame = pd.DataFrame(
        {
            "text": [f"item {i}: a short review to label" for i in range(BIG_ITEMS)],
            "answer": [LABELS[i % 2] if i % 10 == 0 else None for i in range(BIG_ITEMS)],  # 10% gold
        }
    )
    annotators = [f"a{i}" for i in range(BIG_ANNOTATORS)]
    store = nl.Store(tmp / "next.db")
    t0 = time.perf_counter()
    session = nl.Session(
        store, "next", widget=nl.Classify, data=frame, annotators=annotators, overlap=BIG_OVERLAP,
        gold="answer", gold_rate=0.1, seed=0, text="text", labels=LABELS,
    )  # fmt: skip
    created = time.perf_counter() - t0

    builds, move, full = [], [], []
    sizes = []
    for name in annotators[:TIMED_LABELERS]:
        t0 = time.perf_counter()
        w = session.labeler(name)
        builds.append(time.perf_counter() - t0)
        sizes.append(w.queue.size)
        original = w._move_after

        def timed(pos: int, original: Any = original) -> None:
            t = time.perf_counter()
            original(pos)
            move.append(time.perf_counter() - t)

        w._move_after = timed  # the widget's own step, timed where w.annotate calls it
        for i in range(LABELS_EACH):
            t = time.perf_counter()
            w.annotate(w.current, LABELS[i % 2])
            full.append(time.perf_counter() - t)
        w.close()
    t0 = time.perf_counter()
    resumed = session.labeler(annotators[0])  # re-open with 1,500 labels in the store
    resume = time.perf_counter() - t0
    resumed_ok = resumed.queue.remaining == sizes[0] - LABELS_EACH
    resumed.close()
    store.close()

    gold = len(session.gold)
    figure(
        f"(b) session.labeler(name) construction, {BIG_ITEMS:,} items ({gold:,} gold), "
        f"{BIG_ANNOTATORS} annotators, overlap {BIG_OVERLAP}",
        f"median {median(builds) * 1e3:.0f} ms over {len(builds)} annotators "
        f"(queue {sizes[0]:,} items each); re-opened after {LABELS_EACH:,} labels {resume * 1e3:.0f} ms "
        f"(remaining as expected: {resumed_ok}); "
        f"nl.Session(...) itself {created * 1e3:.0f} ms",
    )
    figure(
        "(b) next-item assignment per label, w._move_after(pos) inside w.annotate",
        f"median {median(move) * 1e3:.3f} ms, p95 {p95(move) * 1e3:.3f} ms, max {max(move) * 1e3:.1f} ms "
        f"({len(move):,} labels)",
        p95(move) <= 0.010,
        "p95 <= 10 ms",
    )
    figure(
        "(b) full w.annotate(w.current, label) per label (durable SQLite commit included)",
        f"median {median(full) * 1e3:.2f} ms, p95 {p95(full) * 1e3:.2f} ms, max {max(full) * 1e3:.1f} ms "
        f"({len(full):,} labels)",
    )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
        return 0
    header("bench_session")
    bench_postgres()
    with tempfile.TemporaryDirectory(prefix="nbl-bench-next-") as tmp:
        bench_next_item(Path(tmp))
    footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
