"""Never lose a label: while the store really fails (another connection holds SQLite's write
lock), labels stay pending in order, the banner says so and nothing is acknowledged; once the
store is back, a retry — manual or automatic — commits each exactly once, in order."""

from __future__ import annotations

import asyncio
import sqlite3
import time

import pandas as pd
import pytest
import sqlalchemy as sa
from _driver import Browser

import nblabel as nl

BUSY_MS = 50


def short_busy_timeout(store: nl.Store, ms: int = BUSY_MS) -> None:
    """Make the store give up on a locked file after ``ms`` instead of its default 5 s.

    A real configuration of the real store (one more connect-time PRAGMA), so a locked file
    fails fast in the test; nothing of the widget or the store is replaced.
    """

    @sa.event.listens_for(store.engine, "connect")
    def _busy(dbapi_conn, _record):
        dbapi_conn.execute(f"PRAGMA busy_timeout = {ms}")

    store.engine.dispose()


class WriteLock:
    """Another process's connection holding the write lock (``BEGIN EXCLUSIVE``)."""

    def __init__(self, path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=5)
        self.conn.execute("BEGIN EXCLUSIVE")

    def release(self) -> None:
        self.conn.execute("ROLLBACK")
        self.conn.close()


@pytest.fixture
def locked_widget(tmp_path):
    path = tmp_path / "locked.db"
    store = nl.Store(path)
    short_busy_timeout(store)
    df = pd.DataFrame({"text": [f"item {i}" for i in range(6)]}, index=[11, 12, 13, 14, 15, 16])
    w = nl.Classify(df, text="text", labels=["a", "b", "c"], task="t", annotator="ana", store=store)
    b = Browser(w)
    b.hello()
    committed = []
    w.on_label(lambda item_id, value: committed.append((item_id, value)))
    yield w, b, path, committed
    if w._retry_timer is not None and hasattr(w._retry_timer, "cancel"):
        w._retry_timer.cancel()


def stored(path) -> list[tuple]:
    with sqlite3.connect(path) as conn:  # an independent reader (WAL: readers are not blocked)
        return conn.execute("SELECT item_id, kind, value, client_seq FROM nbl_events ORDER BY id").fetchall()


def label_three_while_locked(w, b, path):
    lock = WriteLock(path)
    for i, (key, value) in enumerate([("11", 0), ("12", 1), ("13", 2)], start=1):
        win = b.label(key, value)
        assert w.pending == i
        assert w._status["state"] == "retrying"
        assert w._status["pending"] == i
        assert "locked" in w._status["message"]
        assert b.out.of_type("ack") == []  # never acknowledged before the commit
        assert win["current"] == str(int(key) + 1)  # the labeler keeps going
    assert stored(path) == []
    assert w.labels.isna().all()  # labels are what is committed
    assert w._progress["labeled"] == 0
    return lock


def assert_committed_once_in_order(w, b, path, committed):
    assert stored(path) == [("11", "label", '"a"', 1), ("12", "label", '"b"', 2), ("13", "label", '"c"', 3)]
    assert b.out.acked() == [1, 2, 3]
    assert w.pending == 0
    assert w._status == {"state": "ok", "message": "", "pending": 0}
    assert w.labels.tolist()[:3] == ["a", "b", "c"]
    assert w._progress["labeled"] == 3
    assert committed == [(11, "a"), (12, "b"), (13, "c")]


def test_manual_retry_commits_pending_labels_in_order(locked_widget):
    w, b, path, committed = locked_widget
    lock = label_three_while_locked(w, b, path)
    assert w.retry() is False  # still locked: nothing changes
    assert w.pending == 3 and stored(path) == []
    lock.release()
    assert w.retry() is True
    assert_committed_once_in_order(w, b, path, committed)
    # later automatic retries find nothing to do: still exactly once
    time.sleep(0.6)
    assert w.retry() is True
    assert len(stored(path)) == 3 and b.out.acked() == [1, 2, 3]


def test_automatic_retry_with_a_thread_timer(locked_widget):
    w, b, path, committed = locked_widget
    lock = label_three_while_locked(w, b, path)
    assert w._retry_timer is not None
    time.sleep(0.4)  # a retry or two fail while the lock is still held
    assert w.pending == 3
    lock.release()
    deadline = time.monotonic() + 15
    while w.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    assert_committed_once_in_order(w, b, path, committed)


def test_automatic_retry_on_the_event_loop(locked_widget):
    # In a kernel the widget runs inside an asyncio loop: the retry is scheduled on it.
    w, b, path, committed = locked_widget

    async def main():
        lock = label_three_while_locked(w, b, path)
        assert isinstance(w._retry_timer, asyncio.TimerHandle)
        await asyncio.sleep(0.3)
        assert w.pending == 3
        lock.release()
        for _ in range(300):
            if not w.pending:
                break
            await asyncio.sleep(0.05)

    asyncio.run(main())
    assert_committed_once_in_order(w, b, path, committed)


def test_undo_and_flag_while_pending_keep_their_place(locked_widget):
    w, b, path, committed = locked_widget
    lock = label_three_while_locked(w, b, path)
    win = b.undo()  # undoes the pending label of 13
    assert win["current"] == "13" and w.pending == 4
    b.flag("13", "hard one")
    win = b.label("13", 0)
    assert win["current"] == "14"
    assert b.out.of_type("ack") == []
    lock.release()
    assert w.retry()
    assert [(r[0], r[1], r[3]) for r in stored(path)] == [
        ("11", "label", 1), ("12", "label", 2), ("13", "label", 3), ("13", "retract", 4),
        ("13", "flag", 5), ("13", "label", 6),
    ]  # fmt: skip
    assert b.out.acked() == [1, 2, 3, 4, 5, 6]
    assert w.labels.tolist()[:4] == ["a", "b", "a", None]
    assert committed == [(11, "a"), (12, "b"), (13, "c"), (13, "a")]


def test_widget_reopened_after_a_failure_sees_only_committed_labels(locked_widget, tmp_path):
    w, b, path, _ = locked_widget
    lock = label_three_while_locked(w, b, path)
    lock.release()
    w.retry()
    df = pd.DataFrame({"text": [f"item {i}" for i in range(6)]}, index=[11, 12, 13, 14, 15, 16])
    w2 = nl.Classify(df, text="text", labels=["a", "b", "c"], task="t", annotator="ana", store=path)
    assert w2.current == 14
    assert w2.labels.tolist()[:3] == ["a", "b", "c"]


def test_key_presses_while_failing_do_not_wait_for_the_store(tmp_path):
    """With a retry scheduled, later key presses queue behind it at once (the store's busy
    timeout is not paid again per key), and an explicit retry clears the schedule."""
    path = tmp_path / "slow.db"
    store = nl.Store(path)
    short_busy_timeout(store, ms=400)
    df = pd.DataFrame({"text": [f"item {i}" for i in range(6)]}, index=[11, 12, 13, 14, 15, 16])
    w = nl.Classify(df, text="text", labels=["a", "b"], task="t", annotator="ana", store=store)
    b = Browser(w)
    b.hello()
    lock = WriteLock(path)
    try:
        b.label("11", 0)  # pays the busy timeout once, then schedules a retry
        assert w._retry_timer is not None
        started = time.perf_counter()
        b.label("12", 1)
        b.label("13", 0)
        assert time.perf_counter() - started < 0.2
        assert w.pending == 3
    finally:
        lock.release()
    assert w.retry()
    assert w._retry_timer is None
    assert [r[0] for r in stored(path)] == ["11", "12", "13"]
    b.label("14", 1)  # the store is healthy again: written at once
    assert w.pending == 0
    assert [r[0] for r in stored(path)][-1] == "14"
