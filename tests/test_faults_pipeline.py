"""Faults in the save pipeline, injected as they happen (issue "Never lose a label, part 2").

- the database refuses one event (a trigger on SQLite, a CHECK constraint on PostgreSQL): it is
  set aside with the reason, the events behind it are saved, and it can be retried or dropped;
- the store's file loses its write permission while a reader holds a connection (run as a user
  without root's override of file modes): once the permission is back, every pending label is
  saved within seconds;
- the store's file is deleted, moved away and back, or replaced while the widget is open;
- an image that cannot be decoded (a decompression bomb, truncated, not an image) is in the
  prefetch window: ``annotate`` stores the label once and never raises;
- two widgets of one annotator in two processes see each other's labels, and each one's undo
  withdraws only its own event.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from _driver import Browser
from PIL import Image

import nblabel as nl
from nblabel.store.failures import is_permanent
from nblabel.widgets import poller as _poller

LABELS = ["ok", "poison", "fine"]
IDS = [11, 12, 13, 14, 15, 16]


def frame() -> pd.DataFrame:
    return pd.DataFrame({"text": [f"item {i}" for i in IDS]}, index=IDS)


def refuse(store: nl.Store, word: str) -> None:
    """Make the database itself refuse any event whose value contains ``word``."""
    with store.engine.begin() as conn:
        if store.backend == "sqlite":
            conn.exec_driver_sql(
                f"CREATE TRIGGER refuse_{word} BEFORE INSERT ON nbl_events "
                f"WHEN NEW.value LIKE '%{word}%' "
                f"BEGIN SELECT RAISE(ABORT, 'the database refuses {word}'); END"
            )
        else:
            conn.exec_driver_sql(
                f"ALTER TABLE nbl_events ADD CONSTRAINT refuse_{word} "
                f"CHECK (value IS NULL OR strpos(value, '{word}') = 0)"
            )


def allow(store: nl.Store, word: str) -> None:
    with store.engine.begin() as conn:
        if store.backend == "sqlite":
            conn.exec_driver_sql(f"DROP TRIGGER refuse_{word}")
        else:
            conn.exec_driver_sql(f"ALTER TABLE nbl_events DROP CONSTRAINT refuse_{word}")


def current(store: nl.Store, task: str = "t") -> dict:
    cur = store.current(task)
    return {(r.item_id, r.annotator): r.value for r in cur.itertuples() if r.kind == "label"}


# --------------------------------------------------------------------------- refused events
def test_a_refused_event_is_set_aside_and_the_events_behind_it_are_saved(store: nl.Store) -> None:
    w = nl.Classify(frame(), text="text", labels=LABELS, task="t", annotator="ana", store=store)
    b = Browser(w)
    b.hello()
    refuse(store, "poison")
    b.label("11", 0)
    b.label("12", 1)  # refused by the database
    b.label("13", 2)

    assert current(store) == {(11, "ana"): "ok", (13, "ana"): "fine"}
    assert w.pending == 0
    failed = w.failed
    assert failed[["item_id", "kind", "value"]].values.tolist() == [[12, "label", "poison"]]
    reason = failed["reason"].iloc[0]
    assert ("refuses poison" in reason) if store.backend == "sqlite" else ("refuse_poison" in reason)
    assert "SELECT" not in reason and "INSERT" not in reason  # no SQL text in what users see
    assert w._status["state"] == "failed" and w._status["failed"] == 1
    assert "w.failed" in w._status["message"] and "w.retry_failed()" in w._status["message"]
    # the browser: 1 and 3 acknowledged, 2 answered with the reason (never acknowledged)
    assert b.out.acked() == [1, 3]
    errors = b.out.of_type("error")
    assert [e["seq"] for e in errors] == [2] and "Not saved" in errors[0]["message"]
    assert w.labels.loc[[11, 12, 13]].tolist() == ["ok", None, "fine"]
    assert w._progress["labeled"] == 2
    # the refused item is still to do: after the rest, it is served again
    for key in ("14", "15", "16"):
        b.label(key, 0)
    assert w.current == 12

    allow(store, "poison")
    assert w.retry_failed() is True
    assert current(store)[(12, "ana")] == "poison"
    assert w.failed.empty and w._status == {"state": "ok", "message": "", "pending": 0}
    assert w.labels.loc[12] == "poison"


def test_failed_events_can_be_discarded(store: nl.Store) -> None:
    w = nl.Classify(frame(), text="text", labels=LABELS, task="t", annotator="ana", store=store)
    refuse(store, "poison")
    w.annotate(11, "poison")  # no exception: the label was accepted, then refused by the store
    assert len(w.failed) == 1
    assert w.discard_failed() == 1
    assert w.failed.empty and w._status["state"] == "ok"
    assert current(store) == {}


def test_refused_events_do_not_block_a_browser_session_of_many_labels(store: nl.Store) -> None:
    df = pd.DataFrame({"text": [f"t{i}" for i in range(40)]})
    w = nl.Classify(df, text="text", labels=LABELS, task="t", annotator="ana", store=store)
    b = Browser(w)
    b.hello()
    refuse(store, "poison")
    for i in range(40):
        b.label(str(i), 1 if i % 10 == 3 else 0)
    assert len(w.failed) == 4 and w.pending == 0
    assert len(current(store)) == 36


def test_undoing_a_label_that_is_then_refused_discards_it(tmp_path: Path) -> None:
    from test_never_lose import WriteLock, short_busy_timeout

    path = tmp_path / "s.db"
    store = nl.Store(path)
    short_busy_timeout(store)
    w = nl.Classify(frame(), text="text", labels=LABELS, task="t", annotator="ana", store=store)
    b = Browser(w)
    b.hello()
    refuse(store, "poison")
    lock = WriteLock(path)
    try:
        b.label("11", 1)  # pending (locked), and will be refused
        b.undo()  # a pending undo of a pending label
        assert w.pending == 2
    finally:
        lock.release()
    _cancel_retry(w)
    assert w.retry() is True
    assert w.failed.empty  # undone: nothing to keep
    assert store.annotations("t").empty  # neither the label nor a retract of it
    assert sorted(b.out.acked()) == [2] and [e["seq"] for e in b.out.of_type("error")] == [1]
    assert w.current == 11


def test_which_failures_are_permanent(store: nl.Store, tmp_path: Path) -> None:
    refuse(store, "poison")
    with pytest.raises(sa.exc.DBAPIError) as refused, store.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO nbl_events (task, item_id, item_kind, annotator, kind, value, created_us) "
                "VALUES ('t', '1', 'int', 'a', 'label', '\"poison\"', 1)"
            )
        )
    assert is_permanent(refused.value)
    # a server that is not there (PostgreSQL) / a file that cannot be opened (SQLite): transient
    if store.backend == "postgresql":
        url = store.engine.url.set(port=1, host="127.0.0.1")
        engine = sa.create_engine(url)
    else:
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}")
    with pytest.raises(sa.exc.OperationalError) as down:
        engine.connect()
    assert not is_permanent(down.value)
    assert is_permanent(TypeError("Object of type set is not JSON serializable"))
    assert not is_permanent(nl.store.StoreUnavailable("the store file x was deleted"))


def test_a_locked_sqlite_store_is_transient(tmp_path: Path) -> None:
    from test_never_lose import WriteLock, short_busy_timeout

    store = nl.Store(tmp_path / "s.db")
    short_busy_timeout(store)
    lock = WriteLock(tmp_path / "s.db")
    try:
        with pytest.raises(sa.exc.OperationalError) as locked, store._writer.begin() as conn:
            conn.exec_driver_sql("DELETE FROM nbl_meta WHERE key = 'x'")
    finally:
        lock.release()
    assert not is_permanent(locked.value)


# --------------------------------------------------------------------------- permissions back
READONLY_WORKER = textwrap.dedent(
    """
    import os, sys, time
    import pandas as pd
    import nblabel as nl

    folder = sys.argv[1]
    def signal(name):
        open(os.path.join(folder, "..", name), "w").close()

    def wait(name):
        while not os.path.exists(os.path.join(folder, "..", name)):
            time.sleep(0.02)

    df = pd.DataFrame({"text": [f"t{i}" for i in range(40)]})
    w = nl.Classify(df, text="text", labels=["a", "b"], task="t", annotator="ana",
                    store=os.path.join(folder, "s.db"))
    w.annotate(0, "a")
    reader = w.store.engine.connect()  # a reader holds the pooled connection (a dashboard refresh)
    signal("ready")
    wait("revoked")
    for i in range(1, 31):
        w.annotate(i, "b")  # the widget opens a connection of its own: read-only now
    print("PENDING", w.pending, "|", w._status["message"], flush=True)
    reader.close()
    signal("labeled")
    wait("restored")
    started = time.monotonic()
    while w.pending and time.monotonic() - started < 30:
        time.sleep(0.05)
    print("SAVED_AFTER", round(time.monotonic() - started, 2), "PENDING", w.pending, flush=True)
    """
)


def _unprivileged() -> list[str]:
    """A command prefix that runs without root's override of file modes (none when not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.fail("setpriv (util-linux) is needed to run as root without CAP_DAC_OVERRIDE")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner"]


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the worker exited early:\n{proc.stdout.read()}")
        assert time.monotonic() < deadline, f"timed out waiting for {path.name}"
        time.sleep(0.02)


def test_labels_pending_on_a_read_only_store_are_saved_once_it_is_writable(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    worker = tmp_path / "worker.py"
    worker.write_text(READONLY_WORKER)
    proc = subprocess.Popen(
        [*_unprivileged(), sys.executable, str(worker), str(folder)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    db = folder / "s.db"
    try:
        _wait_for(tmp_path / "ready", proc)
        db.chmod(0o444)
        folder.chmod(0o555)
        (tmp_path / "revoked").touch()
        _wait_for(tmp_path / "labeled", proc)
    finally:
        folder.chmod(0o755)
        db.chmod(0o644)
    (tmp_path / "restored").touch()
    out, _ = proc.communicate(timeout=90)
    lines = {line.split()[0]: line for line in out.splitlines() if line.split()}
    assert "PENDING" in lines, out
    assert lines["PENDING"].startswith("PENDING 30 |"), out
    assert "readonly" in lines["PENDING"] or "read-only" in lines["PENDING"], out
    saved = lines["SAVED_AFTER"].split()
    assert saved[3] == "0", out  # nothing left pending
    assert float(saved[1]) < 15, out  # within the retry back-off, not "never"
    store = nl.Store(db)
    assert len(store.current("t")) == 31
    assert store.annotations("t")["client_seq"].tolist() == list(range(1, 32))
    store.close()


# --------------------------------------------------------------------------- the file under a widget
@pytest.fixture
def file_widget(tmp_path: Path):
    path = tmp_path / "labels.db"
    w = nl.Classify(frame(), text="text", labels=LABELS, task="t", annotator="ana", store=path)
    b = Browser(w)
    b.hello()
    b.label("11", 0)
    assert b.out.acked() == [1]
    yield w, b, path
    _cancel_retry(w)


def _cancel_retry(w) -> None:
    if w._retry_timer is not None:
        w._retry_timer.cancel()
        w._retry_timer = None


def test_a_deleted_store_file_is_noticed_and_nothing_is_acknowledged(file_widget, tmp_path: Path) -> None:
    w, b, path = file_widget
    path.unlink()
    b.label("12", 2)
    _cancel_retry(w)
    assert b.out.acked() == [1]  # 12 is not acknowledged: it was not saved where the user looks
    assert w.pending == 1
    assert w._status["state"] == "retrying"
    message = w._status["message"]
    assert str(path) in message and "deleted or moved" in message
    assert "held in this kernel" in message and "w.retry(create=True)" in message
    assert w.pending_events[["item_id", "kind", "value"]].values.tolist() == [[12, "label", "fine"]]
    assert not path.exists()  # no empty store was made behind the user's back
    assert w.retry() is False and not path.exists()
    # asked to, it starts a new store there with the task and the pending label
    assert w.retry(create=True) is True
    store = nl.Store(path)
    assert store.task("t").kind == "classify"
    assert current(store) == {(12, "ana"): "fine"}
    assert b.out.acked() == [1, 2]
    assert w.labels.loc[[11, 12]].tolist() == [None, "fine"]  # what the store at that path holds
    assert w._status["state"] == "ok"


def test_a_store_file_moved_away_and_back_gets_the_pending_labels(file_widget, tmp_path: Path) -> None:
    w, b, path = file_widget
    aside = tmp_path / "aside.db"
    path.rename(aside)
    b.label("12", 2)
    b.label("13", 0)
    _cancel_retry(w)
    assert w.pending == 2 and b.out.acked() == [1]
    aside.rename(path)
    deadline = time.monotonic() + 5
    while w.pending and time.monotonic() < deadline:  # the widget's own retry, not a call of ours
        w._flush() if w._retry_timer is None else time.sleep(0.05)
    assert w.pending == 0
    assert current(nl.Store(path)) == {(11, "ana"): "ok", (12, "ana"): "fine", (13, "ana"): "ok"}
    assert b.out.acked() == [1, 2, 3]


def test_a_store_file_replaced_by_another_store_is_adopted(file_widget, tmp_path: Path) -> None:
    w, b, path = file_widget
    other = tmp_path / "other.db"
    theirs = nl.Classify(frame(), text="text", labels=LABELS, task="t", annotator="ana", store=other)
    theirs.annotate(15, "fine")
    theirs.store.close()
    os.replace(other, path)
    b.label("12", 2)
    _cancel_retry(w)
    assert w.pending == 1 and "replaced" in w._status["message"]
    assert w.retry() is True
    assert current(nl.Store(path)) == {(15, "ana"): "fine", (12, "ana"): "fine"}
    assert w.labels.dropna().to_dict() == {12: "fine", 15: "fine"}  # the state of the file now there


def test_an_idle_widget_notices_its_store_file_deleted(file_widget, tmp_path: Path) -> None:
    w, b, path = file_widget
    aside = tmp_path / "aside.db"
    _poller.watch(w)  # what a widget shown in a browser does
    try:
        path.rename(aside)
        deadline = time.monotonic() + 10
        while w._status["state"] == "ok" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert w._status["state"] == "retrying" and "deleted or moved" in w._status["message"]
        assert w._status["pending"] == 0
        aside.rename(path)
        deadline = time.monotonic() + 10
        while w._status["state"] != "ok" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert w._status["state"] == "ok"
    finally:
        _poller.unwatch(w)
    b.label("12", 2)
    assert b.out.acked() == [1, 2] and current(nl.Store(path))[(12, "ana")] == "fine"


# --------------------------------------------------------------------------- undecodable images
def _bomb_png() -> bytes:
    buf = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _truncated_jpeg() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (300, 200), (200, 30, 30)).save(buf, format="JPEG")
    return buf.getvalue()[:600]


BAD_IMAGES = {
    "bomb": (_bomb_png, "too large to decode safely"),
    "truncated": (_truncated_jpeg, "not a readable image"),
    "not an image": (lambda: b"%PDF-1.4 definitely not pixels", "not a readable image"),
}


def _good_png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("bad", list(BAD_IMAGES))
@pytest.mark.parametrize("widget", ["classify", "boxes"])
def test_an_undecodable_image_never_fails_a_save(bad: str, widget: str, tmp_path: Path) -> None:
    make, reason = BAD_IMAGES[bad]
    bad_file = tmp_path / "bad.png"
    bad_file.write_bytes(make())
    good = tmp_path / "good.png"
    good.write_bytes(_good_png())
    df = pd.DataFrame({"image": [str(good), str(bad_file), str(good)]}, index=["a", "b", "c"])
    store = tmp_path / "s.db"
    if widget == "classify":
        w = nl.Classify(df, image="image", labels=["x", "y"], task="t", annotator="ana", store=store)
        value = "x"
    else:
        w = nl.Boxes(df, image="image", labels=["x", "y"], task="t", annotator="ana", store=store)
        value = [{"x": 1, "y": 1, "w": 10, "h": 10, "label": "x"}]
    b = Browser(w)
    window = b.hello()  # the bad image is in the prefetch window from the start
    bad_item = next(i for i in window["items"] if i["key"] == "b")
    assert reason in bad_item["payload"]["image"]["error"]
    w.annotate("a", value)  # must not raise: the label is stored exactly once
    assert w.current == "b"
    w.skip()  # the bad item can be skipped
    b.label("c", 0 if widget == "classify" else [[2, 2, 5, 5, 1]])
    events = nl.Store(store).annotations("t")
    assert events[["item_id", "kind"]].values.tolist() == [["a", "label"], ["b", "skip"], ["c", "label"]]
    if widget == "boxes":  # boxes need the image's size: a clear error, nothing stored
        with pytest.raises(ValueError, match="row 'b'.*cannot be read"):
            w.annotate("b", value)
        assert len(nl.Store(store).annotations("t")) == 3


# --------------------------------------------------------------------------- two widgets, one annotator
TWO_PROCESS_WORKER = textwrap.dedent(
    """
    import json, sys
    import pandas as pd
    import nblabel as nl

    url, actions = sys.argv[1], json.loads(sys.argv[2])
    ids = [11, 12, 13, 14, 15, 16]
    df = pd.DataFrame({"text": [f"item {i}" for i in ids]}, index=ids)
    w = nl.Classify(df, text="text", labels=["ok", "poison", "fine"], task="t", annotator="ana", store=url)
    for action in actions:
        if action[0] == "label":
            w.annotate(action[1], action[2])
        elif action[0] == "undo":
            w.undo()
    print(json.dumps({str(k): v for k, v in w.labels.items() if v is not None}))
    """
)


def _other_process(url: str, actions: list, tmp_path: Path) -> dict:
    import json

    script = tmp_path / "other_widget.py"
    script.write_text(TWO_PROCESS_WORKER)
    done = subprocess.run(
        [sys.executable, str(script), url, json.dumps(actions)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_two_widgets_of_one_annotator_in_two_processes_stay_coherent(store_url: str, tmp_path: Path) -> None:
    store = nl.Store(store_url)
    a = nl.Classify(frame(), text="text", labels=LABELS, task="t", annotator="ana", store=store)
    browser_a = Browser(a)
    browser_a.hello()
    a.annotate(11, "ok")
    # B, another kernel with the same task and annotator, labels 11 again and then 12
    _other_process(store_url, [["label", 11, "fine"], ["label", 12, "fine"]], tmp_path)
    assert a.sync() is True
    assert a.labels.loc[[11, 12]].tolist() == ["fine", "fine"]  # A shows what the store holds
    assert a._progress["labeled"] == 2
    window = browser_a.out.last("window")
    shown = {i["key"]: (i["status"], i["value"]) for i in window["items"]}
    assert shown.get("12") == ("label", 2) or shown.get("11") == ("label", 2)
    # A's undo withdraws A's own label of 11, not B's later one (which stays)
    assert a.undo() == 11
    assert current(store) == {(11, "ana"): "fine", (12, "ana"): "fine"}
    assert a.labels.loc[[11, 12]].tolist() == ["fine", "fine"]
    events = store.annotations("t")
    first_of_a = int(events["id"].iloc[0])
    assert events.iloc[-1]["kind"] == "retract" and events.iloc[-1]["value"] == {"retracts": first_of_a}
    # nothing else of A's is left to undo: B's labels are B's
    assert a.undo() is None
    # B (a new kernel of the same annotator) undoes its latest: 12
    seen_by_b = _other_process(store_url, [["undo"]], tmp_path)
    assert seen_by_b == {"11": "fine"}
    a.sync()
    assert a.labels.dropna().to_dict() == {11: "fine"} == {k: v for (k, _), v in current(store).items()}
    assert a._progress["labeled"] == 1
    store.close()


def test_a_shown_widget_picks_up_another_widgets_labels_by_itself(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    a = nl.Classify(frame(), text="text", labels=LABELS, task="t", annotator="ana", store=path)
    b = nl.Classify(frame(), text="text", labels=LABELS, task="t", annotator="ana", store=path)
    browser_a = Browser(a)
    browser_a.hello()
    _poller.watch(a)  # what the first message of a real browser view does
    try:
        b.annotate(13, "fine")

        assert "13" in browser_a.out.last("window")["upcoming"]

        def shown_labeled() -> bool:  # 13 is done: the browser will not serve it next
            window = browser_a.out.last("window")
            return "13" not in window["upcoming"] and window["upcoming"][:2] == ["12", "14"]

        deadline = time.monotonic() + 10
        while not shown_labeled() and time.monotonic() < deadline:  # pushed without a browser message
            time.sleep(0.05)
        assert shown_labeled()
        assert a.labels.loc[13] == "fine" and a._progress["labeled"] == 1
    finally:
        _poller.unwatch(a)
