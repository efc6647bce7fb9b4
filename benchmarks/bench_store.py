"""Store benchmarks: single-event durable commits, bulk import, reading into a DataFrame.

Budgets (issue 2, item 8):
  * >= 2,000 single-event commits/s on SQLite (WAL, synchronous=FULL, one transaction per
    event); peer: a raw ``sqlite3`` loop doing the same INSERT + COMMIT with the same pragmas.
  * bulk import of 1,000,000 events <= 10 s (``Store.import_annotations``).
  * ``Store.annotations()`` of 1,000,000 events into a DataFrame <= 2 s.

Run: ``python benchmarks/bench_store.py`` (about 1-2 minutes; temp files are removed).
Environment: ``NBL_BENCH_EVENTS`` (default 1000000) scales the bulk figures down for a quick look.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import figure, footer, header, median, p95  # noqa: E402

import nblabel as nl  # noqa: E402
from nblabel.core.event import Event  # noqa: E402
from nblabel.store import EVENT_COLUMNS  # noqa: E402

N_BULK = int(os.environ.get("NBL_BENCH_EVENTS", 1_000_000))
COMMITS_PER_RUN = 500
COMMIT_RUNS = 7
IMPORT_RUNS = 3
READ_RUNS = 5
LABELS = ["positive", "negative", "neutral"]
ROW_COLUMNS = [c for c in EVENT_COLUMNS if c != "id"]


def bench_commits(tmp: Path) -> None:
    store = nl.Store(tmp / "commits.db")
    store.register_task("bench", "classify", LABELS)
    # The peer writes into an identical schema (made by the Store, then closed) in its own file.
    peer_path = tmp / "commits_peer.db"
    nl.Store(peer_path).close()
    raw = sqlite3.connect(peer_path, isolation_level=None, timeout=30)
    raw.execute("PRAGMA busy_timeout = 30000")
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = FULL")
    sql = (
        f"INSERT INTO nbl_events ({', '.join(ROW_COLUMNS)}) VALUES ({', '.join('?' * len(ROW_COLUMNS))}) "
        "ON CONFLICT (client_id, client_seq) DO NOTHING"
    )
    seq = 0

    def event(i: int) -> Event:
        nonlocal seq
        seq += 1
        return Event(
            task="bench", item_id=str(i), item_kind="int", annotator="ana", kind="label",
            value=LABELS[i % 3], active_ms=1200, client_id="bench-client", client_seq=seq,
        )  # fmt: skip

    def run_store() -> tuple[float, list[float]]:
        lat = []
        start = time.perf_counter()
        for i in range(COMMITS_PER_RUN):
            t0 = time.perf_counter()
            store.append(event(i))
            lat.append(time.perf_counter() - t0)
        return COMMITS_PER_RUN / (time.perf_counter() - start), lat

    def run_raw() -> tuple[float, list[float]]:
        lat = []
        start = time.perf_counter()
        for i in range(COMMITS_PER_RUN):
            t0 = time.perf_counter()
            row = event(i).row()
            raw.execute("BEGIN IMMEDIATE")
            raw.execute(sql, [row[c] for c in ROW_COLUMNS])
            raw.execute("COMMIT")
            lat.append(time.perf_counter() - t0)
        return COMMITS_PER_RUN / (time.perf_counter() - start), lat

    run_store(), run_raw()  # warm-up: page cache, WAL file, compiled statement cache
    rates, peer_rates, lat, peer_lat, ratios = [], [], [], [], []
    for _ in range(COMMIT_RUNS):  # interleaved, so both see the same machine noise
        r, lt = run_store()
        pr, plt = run_raw()
        rates.append(r), peer_rates.append(pr), lat.extend(lt), peer_lat.extend(plt), ratios.append(r / pr)
    raw.close()
    store.close()
    rate = median(rates)
    figure(
        "store.append single-event commits/s (SQLite WAL, synchronous=FULL, 1 txn/event)",
        f"median {rate:,.0f}/s, worst run {min(rates):,.0f}/s ({COMMIT_RUNS} runs x {COMMITS_PER_RUN}); "
        f"commit latency median {median(lat) * 1e3:.2f} ms, p95 {p95(lat) * 1e3:.2f} ms; "
        f"raw sqlite3 peer median {median(peer_rates):,.0f}/s (p95 latency {p95(peer_lat) * 1e3:.2f} ms); "
        f"ratio store/raw {median(ratios):.2f}",
        rate >= 2000,
        ">= 2,000/s",
    )


def make_frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    start = pd.Timestamp("2024-01-01", tz="UTC")
    return pd.DataFrame(
        {
            "item_id": np.arange(n, dtype=np.int64) % 200_000,
            "annotator": np.array(["ana", "bob", "cho", "dev", "eli"])[rng.integers(0, 5, n)],
            "value": np.array(LABELS, dtype=object)[rng.integers(0, 3, n)],
            "created_at": start + pd.to_timedelta(np.arange(n, dtype=np.int64) * 1000, unit="ms"),
            "active_ms": rng.integers(300, 20_000, n),
        }
    )


def bench_import_and_read(tmp: Path) -> None:
    frame = make_frame(N_BULK)
    label = f"{N_BULK:,}"
    times = []
    keep: Path | None = None
    for run in range(IMPORT_RUNS):
        path = tmp / f"bulk{run}.db"
        store = nl.Store(path)
        store.register_task("bench", "classify", LABELS)
        t0 = time.perf_counter()
        written = store.import_annotations(frame, "bench")
        times.append(time.perf_counter() - t0)
        store.close()
        assert written == N_BULK, written
        if keep is None:
            keep = path
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
    figure(
        f"store.import_annotations of {label} events",
        f"median {median(times):.2f} s, p95 {p95(times):.2f} s ({IMPORT_RUNS} runs, fresh file each, "
        f"{N_BULK / median(times):,.0f} events/s)",
        median(times) <= 10 * N_BULK / 1_000_000,
        "<= 10 s per 1,000,000",
    )

    assert keep is not None
    store = nl.Store(keep)
    reads, task_reads, peer_reads = [], [], []
    raw = sqlite3.connect(keep)
    sql = f"SELECT {', '.join(EVENT_COLUMNS)} FROM nbl_events ORDER BY id"
    cpu = []  # this process's CPU time: what the read costs when no neighbour competes for the CPUs
    for _ in range(READ_RUNS):
        t0, c0 = time.perf_counter(), time.process_time()
        frame_out = store.annotations()
        reads.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        t0 = time.perf_counter()
        task_out = store.annotations(task="bench")
        task_reads.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        rows = raw.execute(sql).fetchall()
        peer_reads.append(time.perf_counter() - t0)
        assert len(frame_out) == len(task_out) == len(rows) == N_BULK
        del frame_out, task_out, rows
    raw.close()
    store.close()
    budget = 2 * N_BULK / 1_000_000
    figure(
        f"store.annotations() of {label} events into a DataFrame",
        f"median {median(reads):.2f} s, p95 {p95(reads):.2f} s, CPU time median {median(cpu):.2f} s "
        f"({READ_RUNS} runs); "
        f"peer: raw sqlite3 fetchall of the same rows as tuples (no DataFrame) "
        f"median {median(peer_reads):.2f} s, "
        f"ratio {median(reads) / median(peer_reads):.2f}",
        median(reads) <= budget,
        "<= 2 s per 1,000,000",
    )
    figure(
        f"store.annotations(task=...) of {label} events into a DataFrame",
        f"median {median(task_reads):.2f} s, p95 {p95(task_reads):.2f} s ({READ_RUNS} runs)",
        median(task_reads) <= budget,
        "<= 2 s per 1,000,000",
    )


def main() -> int:
    header("bench_store")
    with tempfile.TemporaryDirectory(prefix="nbl-bench-store-") as tmp:
        bench_commits(Path(tmp))
        bench_import_and_read(Path(tmp))
    footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
