"""What row-level security costs an annotator's login (``session.grant``) on PostgreSQL.

One process, one throw-away PostgreSQL server (``tests/pg_server.py``). A session of
``ITEMS`` production items and two annotators (overlap 2, so both label the same items): ``ana``
labels with the owner's URL (the tables' owner: row-level security does not apply to it),
``ben`` with his own login (every event passes the ``WITH CHECK`` policy and the ``RETURNING``
read policy). The two labelers take turns in chunks of ``CHUNK`` items, so both meet the same
server state and machine load.

Figures (medians and p95 over the per-event times, and the ratio of the medians):

* ``w.annotate`` as the owner vs as the annotator's login (a commit per event);
* reading the labeler's own events (``store.annotations(task, annotator=...)``, what a labeler
  reads when it opens) with ``EVENTS`` events of both in the task: owner vs login;
* the login reading the task after the reveal (others' events on answered items: a
  ``SECURITY DEFINER`` look-up per other annotator's event) against before it.

Budget: the login's per-event ``w.annotate`` median at most 1.25x the owner's, and its read
of its own events at most 2x the owner's read of the same events.

Run: ``python benchmarks/bench_roles.py`` (under a minute). ``NBL_BENCH_ITEMS`` (default 1000).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(ROOT))
sys.path.insert(2, str(ROOT / "tests"))

import pandas as pd  # noqa: E402
from _common import figure, footer, header, median, p95  # noqa: E402

import nblabel as nl  # noqa: E402

ITEMS = int(os.environ.get("NBL_BENCH_ITEMS", "1000"))
CHUNK = 10
READS = 15


def session_options() -> dict:
    frame = pd.DataFrame({"text": [f"item {i}: a sentence to label" for i in range(ITEMS)]})
    return dict(widget=nl.Classify, data=frame, annotators=["ana", "ben"], overlap=2, text="text",
                labels=["pos", "neg"])  # fmt: skip


def timed_reads(read, n: int = READS) -> list[float]:
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        read()
        times.append(time.perf_counter() - t0)
    return times


def line(name: str, owner: list[float], login: list[float], budget: float, what: str) -> None:
    ratio = median(login) / median(owner)
    figure(
        name,
        f"owner median {median(owner) * 1e3:.2f} ms (p95 {p95(owner) * 1e3:.2f}), login median "
        f"{median(login) * 1e3:.2f} ms (p95 {p95(login) * 1e3:.2f}) — {ratio:.2f}x {what}",
        ratio <= budget,
        f"<= {budget:g}x",
    )


def main() -> None:
    from pg_server import PostgresServer

    header(f"bench_roles: row-level security of an annotator login, {ITEMS} items x 2 annotators")
    server = PostgresServer()
    try:
        url = server.new_database()
        owner_session = nl.Session(url, "bench", **session_options())
        login_url = owner_session.grant("ben")
        login_session = nl.Session(login_url, "bench", **session_options())
        w_owner, w_login = owner_session.labeler("ana"), login_session.labeler("ben")
        owner_times: list[float] = []
        login_times: list[float] = []
        while w_owner.current is not None or w_login.current is not None:
            for w, times in ((w_owner, owner_times), (w_login, login_times)):
                for _ in range(CHUNK):
                    item = w.current
                    if item is None:
                        break
                    t0 = time.perf_counter()
                    w.annotate(item, "pos")
                    times.append(time.perf_counter() - t0)
        assert len(owner_times) == len(login_times) == ITEMS
        assert w_owner.pending == w_login.pending == 0 and w_owner.failed.empty and w_login.failed.empty
        line("w.annotate per event", owner_times, login_times, 1.25, "per label with the login")

        owner_store, login_store = owner_session.store, login_session.store
        read_owner = timed_reads(lambda: owner_store.annotations("bench", annotator="ana"))
        read_login = timed_reads(lambda: login_store.annotations("bench", annotator="ben"))
        assert len(login_store.annotations("bench")) == ITEMS  # only his own
        line(f"reading one's own {ITEMS} events", read_owner, read_login, 2.0, "to read them with the login")

        before = timed_reads(lambda: login_store.annotations("bench"))
        owner_session.reveal()
        assert len(login_store.annotations("bench")) == 2 * ITEMS
        after = timed_reads(lambda: login_store.annotations("bench"))
        figure(
            "login reading the task after the reveal",
            f"before {median(before) * 1e3:.1f} ms ({ITEMS} own events), after {median(after) * 1e3:.1f} ms "
            f"(p95 {p95(after) * 1e3:.1f}; {2 * ITEMS} events, {ITEMS} of them another's) — "
            f"{median(after) / median(before):.2f}x",
        )
        for s in (login_session, owner_session):
            s.close()
    finally:
        server.stop()
    footer()


if __name__ == "__main__":
    main()
