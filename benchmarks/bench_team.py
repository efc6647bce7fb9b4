"""Team write throughput on PostgreSQL: 20 annotator processes labeling at once, against raw
psycopg INSERT + COMMIT from the same processes.

Budget (issue 16, item 3): the labelers' events/s >= 0.8x the raw peer's, measured in the same
run on the same server.

Each of 20 writer processes (one interpreter each, started before the clock) runs, per round,
three phases, each released for all 20 at once through a file barrier:

  * ``classify``: a plain ``nl.Classify`` of its own (``annotator=`` its name) over a
    ``PER_WRITER``-item DataFrame, ``w.annotate(w.current, label)`` until the queue is done;
    all 20 write to one task of the store;
  * ``session``: ``nl.Session(...).labeler(name)`` of a shared session (20 annotators,
    overlap 2, ``PER_WRITER`` items each), labeling its whole queue the same way;
  * ``raw``: the peer. The same process, with psycopg 3 (no SQLAlchemy), one
    ``INSERT ... ON CONFLICT (client_id, client_seq) DO NOTHING RETURNING id`` of an event row
    built exactly as the store builds one (``Event.row()``) into an identical ``nbl_events``
    table (its own database on the same server), then ``COMMIT``: one event per transaction,
    ``PER_WRITER`` rows. The widgets also write the item's row (``nbl_items``: what it showed)
    in the same transaction as its first label; the peer writes only the event;
  * ``raw1``: a second reference, not the budget's: the same INSERT on a psycopg connection in
    autocommit (the statement is its own transaction: one round trip instead of ``BEGIN``,
    ``INSERT``, ``COMMIT``), which is how the store writes an event on PostgreSQL.

The server's CPU per event is measured too (``/proc``: the postmaster and its backends, those
that exited included), so the ratio can be read as client + server CPU per event on a machine
whose CPUs are the limit.

Events/s of a phase = all events of the 20 writers / (last writer's end - first writer's
start). Figures are medians over ``ROUNDS`` rounds; the ratio is taken per round (each widget
phase against the raw phase of the same round) and its median printed. The events are checked
afterwards: each phase's exact count, no (item, annotator) twice, the session's plan held.

The server is the tests' throw-away PostgreSQL (``tests/pg_server.py``: ``initdb`` in a temp
dir, ``fsync=off``), so the figures measure the client path and the server's CPU, not a disk
flush. The machine is shared (2 CPUs): 20 writers and the server compete for them, which is why
CPU per event in the writers is printed too.

``--profile`` (no PostgreSQL server is shared): one process alone, ``w.annotate`` under
cProfile for a plain Classify and a session labeler on a private throw-away server; prints
the top functions by cumulative and by own time.

Run: ``python benchmarks/bench_team.py`` (about 3 minutes with 3 rounds; temp files are removed).
Environment: ``NBL_BENCH_ROUNDS`` (default 3), ``NBL_BENCH_EVENTS`` (events per writer and
phase, default 500).
"""

from __future__ import annotations

import itertools
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
    phase_summary,
    start_writers,
    timed_phase,
    wait_all,
)

WRITERS = 20
PER_WRITER = int(os.environ.get("NBL_BENCH_EVENTS", 500))
ROUNDS = int(os.environ.get("NBL_BENCH_ROUNDS", 3))
OVERLAP = 2
SESSION_ITEMS = WRITERS * PER_WRITER // OVERLAP
LABELS = ["pos", "neg"]
ANNOTATORS = [f"a{i}" for i in range(WRITERS)]
PHASES = ("classify", "session", "raw", "raw1")
BUDGET = 0.8


def frame(n: int) -> Any:
    import pandas as pd

    return pd.DataFrame({"text": [f"item {i}: a short review to label" for i in range(n)]})


def make_session(store: Any, rnd: int) -> Any:
    import nblabel as nl

    return nl.Session(
        store, f"session-{rnd}", widget=nl.Classify, data=frame(SESSION_ITEMS), annotators=ANNOTATORS,
        overlap=OVERLAP, gold_rate=0.0, calibration=0, seed=rnd, text="text", labels=LABELS,
    )  # fmt: skip


# ---------------------------------------------------------------------- worker side
def label_all(w: Any) -> tuple[int, list[Any]]:
    """``w.annotate(w.current, label)`` until the queue is done; (events, bad statuses)."""
    bad: list[Any] = []
    w.observe(
        lambda change: bad.append(change["new"]) if change["new"].get("state") != "ok" else None, "_status"
    )
    n = 0
    while w.current is not None:
        w.annotate(w.current, LABELS[n % 2])
        n += 1
    return n, bad


def label_report(w: Any) -> dict[str, Any]:
    """:func:`label_all` as a phase's report: events, bad statuses, events left pending."""
    n, bad = label_all(w)
    return {"n": n, "bad": len(bad), "pending": w.pending}


def raw_rows(rnd: int, name: str, prefix: str = "raw") -> list[tuple[Any, ...]]:
    """The peer's rows: events built as the store builds them, one per item."""
    from nblabel.core.event import Event
    from nblabel.store import EVENT_COLUMNS

    columns = [c for c in EVENT_COLUMNS if c != "id"]
    rows = []
    for i in range(PER_WRITER):
        row = Event(
            task=f"{prefix}-{rnd}", item_id=str(i), item_kind="int", annotator=name, kind="label",
            value=LABELS[i % 2], client_id=f"{prefix}-{rnd}-{name}", client_seq=i + 1,
        ).row()  # fmt: skip
        rows.append(tuple(row.get(c) for c in columns))
    return rows


def raw_insert_sql() -> str:
    from nblabel.store import EVENT_COLUMNS

    columns = [c for c in EVENT_COLUMNS if c != "id"]
    return (
        f"INSERT INTO nbl_events ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
        "ON CONFLICT (client_id, client_seq) DO NOTHING RETURNING id"
    )


def worker(index: int, url: str, raw_url: str, barrier: str) -> None:
    """One writer: per round, a plain Classify, a session labeler, then the raw peer."""
    import psycopg

    import nblabel as nl

    gate = Path(barrier)
    name = ANNOTATORS[index]
    df = frame(PER_WRITER)
    store = nl.Store(url)
    raw = psycopg.connect(raw_url)
    sql = raw_insert_sql()

    for rnd in range(ROUNDS):
        w = nl.Classify(df, text="text", labels=LABELS, task=f"classify-{rnd}", annotator=name, store=store)

        timed_phase(gate, f"classify{rnd}", index, lambda w=w: label_report(w))
        w.close()

        labeler = make_session(store, rnd).labeler(name)
        timed_phase(gate, f"session{rnd}", index, lambda w=labeler: label_report(w))
        labeler.close()

        rows = raw_rows(rnd, name)

        def peer(rows: list[tuple[Any, ...]] = rows) -> dict[str, Any]:
            for row in rows:
                with raw.cursor() as cur:
                    cur.execute(sql, row)
                    cur.fetchall()
                raw.commit()
            return {"n": len(rows)}

        timed_phase(gate, f"raw{rnd}", index, peer)

        rows1 = raw_rows(rnd, name, prefix="raw1")
        raw.autocommit = True

        def peer1(rows: list[tuple[Any, ...]] = rows1) -> dict[str, Any]:
            for row in rows:
                with raw.cursor() as cur:
                    cur.execute(sql, row)
                    cur.fetchall()
            return {"n": len(rows)}

        timed_phase(gate, f"raw1{rnd}", index, peer1)
        raw.autocommit = False
    raw.close()
    store.close()


# ---------------------------------------------------------------------- parent side
def server_cpu(data: Path) -> float:
    """CPU seconds the PostgreSQL server used so far: the postmaster with its exited children,
    and its living backends."""
    tick = os.sysconf("SC_CLK_TCK")
    postmaster = int((data / "postmaster.pid").read_text().split()[0])
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()  # after "pid (comm) "
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == postmaster:
            total += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
        elif ppid == postmaster:
            total += int(fields[11]) + int(fields[12])
    return total / tick


def phase(gate: Path, tag: str, procs: list[subprocess.Popen], data: Path) -> dict[str, Any]:
    """Release one phase once every writer is ready; the overall rate when all are done, with
    the server's CPU per event and the load average."""
    wait_all(gate, f"ready-{tag}", procs)
    server = server_cpu(data)
    (gate / f"go-{tag}").write_text("")
    wait_all(gate, f"done-{tag}", procs)
    server = server_cpu(data) - server
    summary = phase_summary(gate, tag, len(procs))
    return {**summary, "server_per_event": server / summary["total"], "load": os.getloadavg()[0]}


def check_events(url: str, raw_url: str) -> tuple[int, int, int]:
    """(phases with the exact events, phases checked, raw rows): counts, no doubles, the plan."""
    import psycopg

    import nblabel as nl

    store = nl.Store(url)
    good = checked = 0
    try:
        for rnd in range(ROUNDS):
            events = store.annotations(f"classify-{rnd}", columns=["item_id", "annotator", "kind"])
            checked += 1
            good += int(
                len(events) == WRITERS * PER_WRITER and not events.duplicated(["item_id", "annotator"]).any()
            )
            session = make_session(store, rnd)
            events = store.annotations(f"session-{rnd}", columns=["item_id", "annotator", "kind"])
            held = events.groupby("item_id")["annotator"].agg(sorted)
            plan = session.assignments()["annotators"]
            checked += 1
            good += int(
                len(events) == SESSION_ITEMS * OVERLAP
                and not events.duplicated(["item_id", "annotator"]).any()
                and held.to_dict() == plan.to_dict()
            )
    finally:
        store.close()
    with psycopg.connect(raw_url) as conn:
        raw = conn.execute("SELECT count(*) FROM nbl_events").fetchone()[0]
    return good, checked, raw


def bench_team() -> None:
    from pg_server import PostgresServer, pg_bin

    import nblabel as nl

    if pg_bin() is None:
        figure("PostgreSQL, 20 writers", "SKIP: PostgreSQL binaries not installed")
        return
    server = PostgresServer()
    procs: list[subprocess.Popen] = []
    try:
        url, raw_url = server.new_database(), server.new_database()
        nl.Store(url).close()  # the schema, created once before the writers open it
        nl.Store(raw_url).close()  # the peer's table: the same schema, in its own database
        runs: dict[str, list[dict[str, Any]]] = {p: [] for p in PHASES}
        with tempfile.TemporaryDirectory(prefix="nbl-bench-team-") as tmp:
            gate = Path(tmp)
            procs.extend(start_writers(__file__, WRITERS, [url, raw_url], gate))
            for rnd in range(ROUNDS):
                for name in PHASES:
                    runs[name].append(phase(gate, f"{name}{rnd}", procs, server.dir / "data"))
            for p in procs:
                p.wait(timeout=120)
        raw_rates = [r["rate"] for r in runs["raw"]]
        raw1_rates = [r["rate"] for r in runs["raw1"]]

        def cpu(name: str) -> str:
            client = median([r["cpu_per_event"] for r in runs[name]])
            server = median([r["server_per_event"] for r in runs[name]])
            return f"CPU per event: client {client * 1e3:.2f} ms, server {server * 1e3:.2f} ms"

        figure(
            f"raw peer: psycopg INSERT + COMMIT, {WRITERS} processes, events/s in total",
            f"median {median(raw_rates):,.0f}/s (rounds: {', '.join(f'{r:,.0f}' for r in raw_rates)}; "
            f"{runs['raw'][0]['total']:,} events a round); {cpu('raw')}",
        )
        figure(
            f"second reference: psycopg autocommit INSERT (one round trip), {WRITERS} processes",
            f"median {median(raw1_rates):,.0f}/s (rounds: {', '.join(f'{r:,.0f}' for r in raw1_rates)}); "
            f"{cpu('raw1')}",
        )
        for name, what in (("classify", "nl.Classify"), ("session", "session.labeler")):
            rates = [r["rate"] for r in runs[name]]
            ratios = [s / r for s, r in zip(rates, raw_rates, strict=True)]
            ratios1 = [s / r for s, r in zip(rates, raw1_rates, strict=True)]
            ratio = median(ratios)
            figure(
                f"{what}: {WRITERS} processes, w.annotate events/s in total",
                f"median {median(rates):,.0f}/s (rounds: {', '.join(f'{r:,.0f}' for r in rates)}; "
                f"{runs[name][0]['total']:,} events a round); {cpu(name)}; ratio to raw median "
                f"{ratio:.2f} (rounds: {', '.join(f'{r:.2f}' for r in ratios)}); to the autocommit "
                f"reference {median(ratios1):.2f}",
                ratio >= BUDGET,
                f">= {BUDGET}x raw",
            )
        loads = [r["load"] for phase_runs in runs.values() for r in phase_runs]
        figure("load average (1 min) at the end of each phase", ", ".join(f"{x:.1f}" for x in loads))
        good, checked, raw = check_events(url, raw_url)
        errors = sum(r["errors"] for name in ("classify", "session") for r in runs[name])
        expected_raw = 2 * ROUNDS * WRITERS * PER_WRITER  # raw and raw1
        figure(
            "events after the concurrent rounds",
            f"{good}/{checked} widget phases with exactly the events written, none doubled, the "
            f"session's plan held; {errors} store errors or pending events seen by the widgets; "
            f"raw rows {raw:,} of {expected_raw:,}",
            good == checked and errors == 0 and raw == expected_raw,
            "exact",
        )
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        server.stop()


# ---------------------------------------------------------------------- profile
def breakdown(store: Any, url: str) -> None:
    """Where one process's CPU goes per event (no contention): ``w.annotate`` whole, then with
    the window or the progress update left out (the widget's own methods replaced by no-ops on
    that one widget: a measurement, not a configuration), the store's write alone, and the two
    raw references. Medians of 3 runs of ``PER_WRITER`` events each."""
    import psycopg

    import nblabel as nl
    from nblabel.core.event import Event

    def skip(*names: str) -> Any:
        def patch(w: Any) -> None:
            for name in names:
                setattr(w, name, lambda *_a, **_k: None)

        return patch

    sessions = itertools.count(100)  # a new session (task) for each run

    def annotate(tag: str, patch: Any = None, session: bool = False) -> float:
        runs = []
        for rnd in range(3):
            if session:
                w = make_session(store, next(sessions)).labeler(f"a{rnd}")
            else:
                df = frame(PER_WRITER)
                w = nl.Classify(
                    df, text="text", labels=LABELS, task=f"{tag}-{rnd}", annotator="a0", store=store
                )
            if patch is not None:
                patch(w)
            cpu = time.process_time()
            n, _bad = label_all(w)
            runs.append((time.process_time() - cpu) / n)
            w.close()
        return median(runs)

    def loop(tag: str, body: Any) -> float:
        runs = []
        for rnd in range(3):
            items = body(f"{tag}-{rnd}")
            cpu = time.process_time()
            for item in items[0]:
                items[1](item)
            runs.append((time.process_time() - cpu) / len(items[0]))
        return median(runs)

    def store_write(tag: str) -> tuple[list[Any], Any]:
        events = [
            Event(
                task=tag,
                item_id=str(i),
                item_kind="int",
                annotator="a0",
                kind="label",
                value="pos",
                client_id=tag,
                client_seq=i + 1,
            )  # fmt: skip
            for i in range(PER_WRITER)
        ]
        return events, lambda e: store.write(e, item={"text": "item"})

    def no_log(w: Any) -> None:  # the session's LivePlan reads nbl_session_log after every label
        w._policy.session._live.refresh = lambda: []

    raw = psycopg.connect(url)
    sql = raw_insert_sql()

    def peer(tag: str, autocommit: bool) -> tuple[list[Any], Any]:
        raw.autocommit = autocommit

        def one(row: tuple[Any, ...]) -> None:
            with raw.cursor() as cur:
                cur.execute(sql, row)
                cur.fetchall()
            if not autocommit:
                raw.commit()

        return raw_rows(0, tag, prefix=tag), one

    figures = [
        ("nl.Classify w.annotate, whole", annotate("whole")),
        ("  without the window (_push_window)", annotate("nowindow", skip("_push_window"))),
        ("  without the progress trait (_update_progress)", annotate("noprogress", skip("_update_progress"))),
        ("  without both", annotate("neither", skip("_push_window", "_update_progress"))),
        ("store.write(event, item) alone", loop("write", store_write)),
        ("raw peer: psycopg INSERT + COMMIT", loop("peer", lambda t: peer(t, False))),
        ("raw psycopg autocommit INSERT", loop("peer1", lambda t: peer(t, True))),
        ("session.labeler w.annotate, whole", annotate("session", session=True)),
        ("  without the window", annotate("sessionnw", skip("_push_window"), session=True)),
        ("  without reading the plan's log after each label", annotate("sessionnl", no_log, session=True)),
    ]
    raw.close()
    for name, cpu in figures:
        figure(f"one process alone, client CPU per event: {name}", f"{cpu * 1e6:,.0f} us")


def profile() -> None:
    """One process alone: where the CPU goes (:func:`breakdown`), then w.annotate under cProfile
    (CPU time) for a plain Classify and a session labeler."""
    import cProfile
    import pstats

    from pg_server import PostgresServer

    import nblabel as nl

    server = PostgresServer()
    try:
        url = server.new_database()
        store = nl.Store(url)
        header("bench_team --profile")
        breakdown(store, url)
        for what in ("classify", "session"):
            if what == "classify":
                df = frame(PER_WRITER * 4)
                w = nl.Classify(df, text="text", labels=LABELS, task="p", annotator="a0", store=store)
            else:
                w = make_session(store, 0).labeler("a0")
            prof = cProfile.Profile(time.process_time)  # CPU time: the server and the load are not ours
            t0 = time.perf_counter()
            prof.enable()
            n, _bad = label_all(w)
            prof.disable()
            elapsed = time.perf_counter() - t0
            w.close()
            print(f"## {what}: {n} events alone in {elapsed:.2f} s ({n / elapsed:,.0f}/s under cProfile)")
            stats = pstats.Stats(prof)
            stats.sort_stats("cumulative").print_stats(40)
            stats.sort_stats("tottime").print_stats(25)
        store.close()
    finally:
        server.stop()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])
        return 0
    if len(sys.argv) > 1 and sys.argv[1] == "--profile":
        profile()
        return 0
    header("bench_team")
    bench_team()
    footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
