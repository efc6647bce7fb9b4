"""Never lose a label, part 2 (issue 12): values the store cannot hold are refused when given,
the same on SQLite and PostgreSQL (and old stores are upgraded in place); closing a widget,
session, adjudication or dashboard releases the store it opened; no password in any output;
clear errors for a store that is not a database; flags without labels."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from PIL import Image

import nblabel as nl
from nblabel.cli import main as cli
from nblabel.core import limits
from nblabel.core.event import Event
from nblabel.core.redact import mask_passwords, secrets_in
from nblabel.store import StoreAccessError, StoreError, schema

LABELS = ["pos", "neg"]
LONG_ID = "id-" + "x" * 10_000  # 10 KB: over PostgreSQL's B-tree entry limit (2,704 bytes)
LONG_NAME = "annotator-" + "n" * 290  # 300 characters: over the old VARCHAR(255)


def frame(ids: list, texts: list[str] | None = None) -> pd.DataFrame:
    # object columns: pandas 3's Arrow strings cannot even hold the lone surrogates tested here
    texts = texts or [f"text {i}" for i in range(len(ids))]
    index = pd.Index(ids)
    return pd.DataFrame({"text": pd.Series(texts, index=index, dtype=object)}, index=index)


def classify(df: pd.DataFrame, store, **kwargs) -> nl.Classify:
    options = dict(text="text", labels=LABELS, task="t", annotator="ana")
    options.update(kwargs)
    return nl.Classify(df, store=store, **options)


def stored(store: nl.Store, task: str = "t") -> list[tuple]:
    """(item id, annotator, kind, value, comment) of every event of ``task``, in log order."""
    a = store.annotations(task)
    return list(zip(a["item_id"], a["annotator"], a["kind"], a["value"], a["comment"], strict=True))


# ====================================================================== item 1: what the store holds
def test_a_10kb_item_id_and_a_300_character_annotator_are_stored_and_read_back(store_url: str) -> None:
    df = frame([LONG_ID, "short", "L" * 3_000])
    w = classify(df, store_url, annotator=LONG_NAME)
    for item_id, value in zip(df.index, ["pos", "neg", "pos"], strict=True):
        w.annotate(item_id, value)
    w.flag(LONG_ID, "long one")
    assert w.pending == 0 and w._status["state"] == "ok"
    w.close()

    store = nl.Store(store_url)
    assert stored(store) == [
        (LONG_ID, LONG_NAME, "label", "pos", None),
        ("short", LONG_NAME, "label", "neg", None),
        ("L" * 3_000, LONG_NAME, "label", "pos", None),
        (LONG_ID, LONG_NAME, "flag", None, "long one"),
    ]
    shown = store.items("t")
    assert list(shown.index) == [LONG_ID, "short", "L" * 3_000]
    assert shown.loc[LONG_ID, "text"] == "text 0"
    # a second widget of the same annotator resumes from the store: the long ids are found again
    again = classify(df, store, annotator=LONG_NAME)
    assert again.labels.tolist() == ["pos", "neg", "pos"] and again.current is None
    # the first copy of what an item showed stays (PostgreSQL: unique on (task, md5(item_id)))
    other = classify(frame([LONG_ID], ["changed"]), store, annotator="ben")
    other.annotate(LONG_ID, "neg")
    assert other.pending == 0
    assert store.items("t").loc[LONG_ID, "text"] == "text 0" and len(store.items("t")) == 3
    other.close()
    again.close()
    store.close()


def test_names_at_the_byte_limit_fit_every_index(store_url: str) -> None:
    # 4-byte characters: 1,024 bytes each for the task and the annotator, which share the
    # (task, annotator, id) index entry, and an id of 1,000 emoji (indexed through its hash)
    task, annotator = "😀" * 256, "🙂" * 256
    assert len(task.encode()) == len(annotator.encode()) == limits.MAX_NAME_BYTES
    item = "🎉" * 1_000
    w = classify(frame([item]), store_url, task=task, annotator=annotator)
    w.annotate(item, "pos")
    assert w.pending == 0
    w.store.add_guidelines(task, "v" * limits.MAX_NAME_BYTES, "# rules")
    assert stored(w.store, task) == [(item, annotator, "label", "pos", None)]
    w.close()


def index_of(kind: str, last: str) -> pd.Index:
    """Three ids ending with ``last``: a string index, an object index, a MultiIndex, tuples."""
    if kind == "str":
        return pd.Index(["ok", "fine", last], dtype=object if "\udc80" in last else "str")
    if kind == "object":
        return pd.Index([1, "fine", last], dtype=object)
    if kind == "multi":
        return pd.MultiIndex.from_arrays([[1, 2, 3], pd.Index(["ok", "fine", last], dtype=object)])
    return pd.Index([(1, "ok"), (2, "fine"), (3, last)], tupleize_cols=False)


@pytest.mark.parametrize("index", ["str", "object", "multi", "tuples"])
@pytest.mark.parametrize("problem", ["nul", "surrogate"])
def test_an_item_id_the_store_cannot_hold_is_refused_when_bound_naming_the_row(
    store_url: str, index: str, problem: str
) -> None:
    good = classify(frame(["a", "b"]), store_url)
    good.annotate("a", "pos")
    last = "bad\x00id" if problem == "nul" else "caf\udc80"  # a name read with surrogateescape
    df = pd.DataFrame({"text": ["x", "y", "z"]}, index=index_of(index, last))
    kept = problem == "nul" and index in ("multi", "tuples")
    if kept:
        # a tuple id is stored as JSON, which escapes NUL: it is kept, and read back as it was
        w = classify(df, good.store, annotator="ben")
        w.annotate(df.index[2], "neg")
        assert w.pending == 0
        assert stored(good.store)[-1] == ((3, last), "ben", "label", "neg", None)
        w.close()
    else:
        message = "NUL character" if problem == "nul" else "lone surrogate '\\\\udc80'"
        with pytest.raises(ValueError, match=rf"item id at row 2 of the DataFrame index.*{message}"):
            classify(df, good.store, annotator="ben")
    # nothing labeled before is lost, nothing of a refused frame was written
    assert stored(good.store)[0] == ("a", "ana", "label", "pos", None)
    assert len(stored(good.store)) == (2 if kept else 1)
    good.close()


BAD_TEXT = {
    "nul": ("an\x00a", r"NUL character \(\\x00\) at position \d"),
    "surrogate": ("an\udc80a", r"lone surrogate '\\udc80' at position \d"),
    "too long": ("é" * 513, r"1,026 bytes long in UTF-8; names may be at most 1,024 bytes"),
}


@pytest.mark.parametrize("problem", BAD_TEXT)
@pytest.mark.parametrize("field", ["annotator", "task", "session annotator"])
def test_a_name_the_store_cannot_hold_is_refused_before_anything_is_queued(
    store_url: str, field: str, problem: str
) -> None:
    store = nl.Store(store_url)
    first = classify(frame(["a", "b"]), store)
    first.annotate("a", "pos")
    bad, message = BAD_TEXT[problem]
    with pytest.raises(ValueError, match=message) as refused:
        if field == "annotator":
            classify(frame(["a", "b"]), store, annotator=bad)
        elif field == "task":
            classify(frame(["a", "b"]), store, task=bad)
        else:
            nl.Session(store, "s", widget=nl.Classify, data=frame(["a", "b"]), annotators=["ana", bad],
                       overlap=1, text="text", labels=LABELS)  # fmt: skip
    assert repr(bad[:10])[1:-1] in str(refused.value)  # the message names the value
    assert stored(store) == [("a", "ana", "label", "pos", None)]
    assert store.tasks()["task"].tolist() == ["t"]
    first.close()
    store.close()


@pytest.mark.parametrize("problem", ["nul", "surrogate"])
def test_a_comment_the_store_cannot_hold_is_refused_and_nothing_is_lost(store_url: str, problem: str) -> None:
    w = classify(frame(["a", "b", "c"]), store_url)
    w.annotate("a", "pos")
    bad, message = BAD_TEXT[problem]
    with pytest.raises(ValueError, match=message):
        w.flag("b", f"odd {bad}")
    # the same comment from the browser: an error message back, nothing queued
    sent: list[dict] = []
    w.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    w._handle_browser_message({"type": "flag", "key": "b", "comment": f"odd {bad}", "seq": "v/1"})
    assert any(m.get("type") == "error" and "comment" in m["message"] for m in sent)
    w.flag("b", "fine comment")
    assert w.pending == 0 and not len(w.failed)
    assert stored(w.store) == [("a", "ana", "label", "pos", None), ("b", "ana", "flag", None, "fine comment")]
    w.close()


def test_guidelines_the_store_cannot_hold_are_refused(store_url: str) -> None:
    with pytest.raises(ValueError, match="the guidelines .*NUL character"):
        classify(frame(["a"]), store_url, guidelines="# Rules\n\x00 binary?")
    s = nl.Session(store_url, "s", widget=nl.Classify, data=frame(["a", "b"]), annotators=["ana"],
                   overlap=1, text="text", labels=LABELS, guidelines="# v1")  # fmt: skip
    with pytest.raises(ValueError, match="NUL character"):
        s.revise_guidelines("# v2 \x00")
    with pytest.raises(ValueError, match="guidelines note .*NUL character"):
        s.store.add_guidelines("s", "v2", "# v2", note="n\x00")
    assert s.guideline_versions()["markdown"].tolist() == ["# v1"]
    s.close()


def test_the_store_api_refuses_the_same_values_on_both_backends(store: nl.Store) -> None:
    store.register_task("t", "classify", LABELS)
    ok = Event(task="t", item_id="a", annotator="ana", kind="label", value="pos", client_id="c", client_seq=1)
    assert store.append(ok)
    for change, message in [
        ({"item_id": "a\x00"}, "item id 'a\\\\x00' contains a NUL"),
        ({"annotator": "x" * 1_100}, "annotator 'xxx.*1,100 bytes"),
        ({"comment": "c\x00"}, "comment 'c\\\\x00' contains a NUL"),
        ({"task": "t\x00"}, "task 't\\\\x00' contains a NUL"),
    ]:
        bad = Event(**{**ok.__dict__, "client_seq": 2, **change})
        with pytest.raises(ValueError, match=message):
            store.append(bad)
        with pytest.raises(ValueError, match=message):
            store.append_many([bad])
    with pytest.raises(ValueError, match="task 'x\\\\x00y' contains a NUL"):
        store.register_task("x\x00y", "classify", LABELS)
    imported = pd.DataFrame({"item_id": ["b", "c\x00", "d"], "annotator": "ben", "value": "neg"})
    with pytest.raises(ValueError, match=r"column 'item_id' at row 1.*NUL"):
        store.import_annotations(imported, "t")
    comment = pd.Series(["x\udc80"], dtype=object)
    imported = pd.DataFrame({"item_id": ["b"], "annotator": "ben", "value": "neg", "comment": comment})
    with pytest.raises(ValueError, match=r"column 'comment' at row 0.*lone surrogate"):
        store.import_annotations(imported, "t")
    # reads: a name no store can hold is refused alike (PostgreSQL would fail, SQLite find nothing)
    reads = [
        lambda: store.annotations("t\x00"),
        lambda: store.annotations("t", annotator="a\x00"),
        lambda: store.items("t\x00"),
        lambda: store.task("t\x00"),
        lambda: store.revision("t\x00"),
        lambda: store.guidelines("t\x00"),
        lambda: store.session_config("t\x00"),
    ]
    for read in reads:
        with pytest.raises(ValueError, match="contains a NUL"):
            read()
    assert stored(store) == [("a", "ana", "label", "pos", None)]


def test_values_with_lone_surrogates_are_stored_as_json_escapes(store_url: str) -> None:
    # JSON columns (labels, values, what an item showed) take any Python string: text that
    # UTF-8 cannot encode is written with \u escapes and read back unchanged
    label = "caf\udce9"
    w = classify(frame(["a"], ["shown \udcff"]), store_url, labels=[label, "other"])
    w.annotate("a", label)
    assert w.pending == 0 and not len(w.failed)
    assert w.store.annotations("t")["value"].tolist() == [label]
    assert w.store.task("t").labels == [label, "other"]
    assert w.store.items("t").loc["a", "text"] == "shown \udcff"
    w.close()


# ---------------------------------------------------------------------- the v1 → v2 upgrade
V1 = sa.MetaData()  # the schema of version 1, as nblabel 0.x created it (frozen copy)
sa.Table("nbl_meta", V1, sa.Column("key", sa.String(64), primary_key=True),
         sa.Column("value", sa.Text, nullable=False))  # fmt: skip
sa.Table(
    "nbl_tasks", V1, sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False), sa.Column("labels", sa.Text, nullable=False),
    sa.Column("config", sa.Text, nullable=False), sa.Column("created_us", sa.BigInteger, nullable=False),
)  # fmt: skip
sa.Table(
    "nbl_events", V1,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("task", sa.String(255), nullable=False),
    sa.Column("item_id", sa.Text, nullable=False),
    sa.Column("item_kind", sa.String(16), nullable=False),
    sa.Column("annotator", sa.String(255), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.Text),
    sa.Column("comment", sa.Text),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("active_ms", sa.Integer),
    sa.Column("guideline_version", sa.String(64)),
    sa.Column("suggestion", sa.Text),
    sa.Column("client_id", sa.String(64)),
    sa.Column("client_seq", sa.BigInteger),
    sa.Index("nbl_events_task_annotator", "task", "annotator", "id"),
    sa.Index("nbl_events_task_item", "task", "item_id"),
    sa.Index("nbl_events_client", "client_id", "client_seq", unique=True),
)  # fmt: skip
sa.Table(
    "nbl_items", V1, sa.Column("task", sa.String(255), primary_key=True),
    sa.Column("item_id", sa.Text, primary_key=True), sa.Column("item_kind", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False), sa.Column("created_us", sa.BigInteger, nullable=False),
)  # fmt: skip
sa.Table(
    "nbl_sessions", V1, sa.Column("task", sa.String(255), primary_key=True),
    sa.Column("config", sa.Text, nullable=False), sa.Column("revealed", sa.Integer, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
)  # fmt: skip
sa.Table(
    "nbl_guidelines", V1, sa.Column("task", sa.String(255), primary_key=True),
    sa.Column("version", sa.String(64), primary_key=True), sa.Column("markdown", sa.Text, nullable=False),
    sa.Column("note", sa.Text, nullable=False), sa.Column("created_us", sa.BigInteger, nullable=False),
)  # fmt: skip


def sa_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def make_v1_store(url: str, n_items: int = 30) -> list[tuple]:
    """A version-1 store with the old DDL and some labels, flags, items, a session and
    guidelines; returns its events as ``stored`` reads them."""
    engine = sa.create_engine(sa_url(url))
    if url.startswith("sqlite"):
        with engine.connect() as conn:  # as nblabel created it: in WAL mode
            conn.exec_driver_sql("PRAGMA journal_mode = WAL")
    V1.create_all(engine)
    t = V1.tables
    expected = []
    with engine.begin() as conn:
        conn.execute(t["nbl_meta"].insert().values(key="schema_version", value="1"))
        task = dict(name="t", kind="classify", labels='["pos","neg"]', config='{"columns":{"text":"text"}}')
        conn.execute(t["nbl_tasks"].insert().values(**task, created_us=1))
        rows = []
        for i in range(n_items):
            for annotator in ("ana", "ben"):
                value = LABELS[(i + (annotator == "ben")) % 2]
                rows.append(dict(task="t", item_id=str(i), item_kind="int", annotator=annotator, kind="label",
                                 value=f'"{value}"', comment=None, created_us=10 + i,
                                 client_id=annotator, client_seq=i))  # fmt: skip
                expected.append((i, annotator, "label", value, None))
        rows.append(dict(task="t", item_id="3", item_kind="int", annotator="ana", kind="flag", value=None,
                         comment="edge", created_us=99, client_id="ana", client_seq=999))  # fmt: skip
        expected.append((3, "ana", "flag", None, "edge"))
        conn.execute(t["nbl_events"].insert(), rows)
        conn.execute(t["nbl_items"].insert(), [dict(task="t", item_id=str(i), item_kind="int",
                                                     content=f'{{"text":"text {i}"}}', created_us=i)
                                                for i in range(n_items)])  # fmt: skip
        conn.execute(t["nbl_sessions"].insert().values(task="t", config="{}", revealed=0, created_us=1))
        conn.execute(t["nbl_guidelines"].insert().values(task="t", version="abc", markdown="# v1", note="",
                                                         created_us=1))  # fmt: skip
    engine.dispose()
    return expected


def schema_facts(store: nl.Store) -> dict:
    """The stored schema version, and on PostgreSQL the column types and index definitions."""
    with store.engine.connect() as conn:
        facts: dict = {"version": conn.execute(sa.text("SELECT value FROM nbl_meta")).scalar()}
        if store.backend == "postgresql":
            facts["varchar"] = conn.execute(sa.text(
                "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE "
                "table_schema = current_schema() AND data_type = 'character varying' ORDER BY 1"
            )).scalars().all()  # fmt: skip
            facts["indexes"] = dict(conn.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('nbl_events', 'nbl_items')"
            )).all())  # fmt: skip
    return facts


def test_a_version_1_store_is_upgraded_in_place_and_keeps_every_label(store_url: str) -> None:
    expected = make_v1_store(store_url)
    store = nl.Store(store_url)
    facts = schema_facts(store)
    assert facts["version"] == str(schema.SCHEMA_VERSION) == "4"
    shown = store.annotations("t")["suggestion_shown"]  # version 3's column: unknown for old events
    assert str(shown.dtype) == "boolean" and shown.isna().all()
    if store.backend == "postgresql":
        assert facts["varchar"] == ["nbl_meta.key"]
        assert "md5(item_id)" in facts["indexes"]["nbl_events_task_item"]
        assert "UNIQUE" in facts["indexes"]["nbl_items_task_item"]
        assert "md5(item_id)" in facts["indexes"]["nbl_items_task_item"]
        assert "nbl_items_pkey" not in facts["indexes"]
    assert stored(store) == expected
    assert store.items("t").loc[7, "text"] == "text 7"
    assert store.guidelines("t")["markdown"].tolist() == ["# v1"]
    # what version 1 could not hold, version 2 does; an item's first copy still wins
    w = classify(frame([5, LONG_ID], ["again", "long"]), store, annotator=LONG_NAME)
    w.annotate(5, "neg")
    w.annotate(LONG_ID, "pos")
    assert w.pending == 0
    assert store.items("t").loc[5, "text"] == "text 5" and store.items("t").loc[LONG_ID, "text"] == "long"
    assert stored(store)[-2:] == [
        (5, LONG_NAME, "label", "neg", None),
        (LONG_ID, LONG_NAME, "label", "pos", None),
    ]
    w.close()
    store.close()
    # opening again changes nothing
    again = nl.Store(store_url)
    assert schema_facts(again) == facts
    assert stored(again)[: len(expected)] == expected
    again.close()


def _open_store(url: str, barrier) -> str:
    try:
        barrier.wait(timeout=60)
        store = nl.Store(url)
        n = len(store.annotations("t"))
        store.close()
        return f"ok {n}"
    except Exception as exc:  # reported to the parent
        return f"{type(exc).__name__}: {exc}"


def test_several_processes_open_a_version_1_store_at_once(store_url: str) -> None:
    expected = make_v1_store(store_url, n_items=200)
    procs = 4
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Manager().Barrier(procs)
    with ctx.Pool(procs) as pool:
        results = pool.starmap(_open_store, [(store_url, barrier)] * procs)
    assert results == [f"ok {len(expected)}"] * procs
    store = nl.Store(store_url)
    assert schema_facts(store)["version"] == "4"
    assert stored(store) == expected
    store.close()


def test_a_store_of_a_newer_schema_is_refused_and_left_alone(store_url: str) -> None:
    nl.Store(store_url).close()
    engine = sa.create_engine(sa_url(store_url))
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE nbl_meta SET value = '99' WHERE key = 'schema_version'"))
    engine.dispose()
    with pytest.raises(StoreError, match="newer nblabel"):
        nl.Store(store_url)


# ====================================================================== item 7: close() releases the store
FD_WORKER = textwrap.dedent(
    """
    import gc, os, resource, sys, threading
    resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
    import pandas as pd
    import nblabel as nl

    url, kind, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    gc.disable()  # close() must release the store by itself, not the garbage collector
    df = pd.DataFrame({"text": [f"t{i}" for i in range(6)]}, index=range(6))
    options = dict(widget=nl.Classify, data=df, annotators=["ana", "ben"], overlap=2, text="text",
                   labels=["pos", "neg"])

    def fds():
        return len(os.listdir("/proc/self/fd"))

    def classify():
        w = nl.Classify(df, text="text", labels=["pos", "neg"], task="t", annotator="ana", store=url)
        w.annotate(w.current if w.current is not None else 0, "pos")
        w.close()

    def refused():  # the store is opened, then the task refuses the label set
        try:
            nl.Classify(df, text="text", labels=["other"], task="t", annotator="ana", store=url)
        except ValueError:
            return
        raise AssertionError("not refused")

    def session():
        s = nl.Session(url, "s", **options)
        w = s.labeler("ana")
        if w.current is not None:
            w.annotate(w.current, "pos")
        s.close()

    def dashboard():
        d = nl.Dashboard(url, task="t", interval=0.01)
        d.refresh()
        d.close()
        assert not d._thread.is_alive()

    shared = None
    if kind == "adjudicate":
        shared = nl.Session(url, "s", **options)
        for a in ("ana", "ben"):
            w = shared.labeler(a)
            while w.current is not None:
                w.annotate(w.current, "pos" if a == "ana" else "neg")
        classify()  # the task of refused() and dashboard()

    def adjudicate():
        adj = nl.Adjudicate(shared, adjudicator="boss")
        adj.close()

    classify()
    if kind == "adjudicate":
        adjudicate()
    make = {"classify": classify, "refused": refused, "session": session, "dashboard": dashboard,
            "adjudicate": adjudicate}[kind]
    make()
    before, threads = fds(), threading.active_count()
    for _ in range(n):
        make()
    after = fds()
    if shared is not None:
        shared.close()
    print(before, after, threads, threading.active_count(), fds())
    """
)


@pytest.mark.parametrize("kind", ["classify", "refused", "session", "adjudicate", "dashboard"])
def test_closing_releases_the_store_under_a_256_file_limit(store_url: str, tmp_path: Path, kind: str) -> None:
    # 300 stores opened and closed where 256 descriptors are allowed: each leaked store holds
    # one or two (the SQLite file and its WAL; a PostgreSQL socket), so a leak fails here
    done = subprocess.run(
        [sys.executable, "-c", FD_WORKER, store_url, kind, "300"],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    before, after, threads_before, threads_after, at_end = map(int, done.stdout.split())
    assert after <= before + 2, (before, after)
    assert threads_after <= threads_before, (threads_before, threads_after)
    assert at_end <= after


def test_a_store_passed_in_stays_open_and_an_own_store_is_released(store_url: str) -> None:
    def held(pool: sa.pool.Pool) -> int:  # pooled connections, and the one a PostgreSQL store writes on
        return pool.checkedin() + pool.checkedout()

    mine = nl.Store(store_url)
    w = classify(frame(["a", "b"]), mine)
    w.annotate("a", "pos")
    w.close()
    assert held(mine.engine.pool) >= 1  # the user's store keeps its connection
    assert stored(mine) == [("a", "ana", "label", "pos", None)]

    own = classify(frame(["a", "b"]), store_url, annotator="ben")
    own.annotate("b", "neg")
    pool = own.store.engine.pool
    assert held(pool) >= 1
    own.close()
    assert own.store.engine.pool is not pool and held(own.store.engine.pool) == 0
    own.close()  # closing twice is harmless

    s = nl.Session(mine, "s", widget=nl.Classify, data=frame(["a", "b"]), annotators=["ana"], overlap=1,
                   text="text", labels=LABELS)  # fmt: skip
    labeler = s.labeler("ana")
    s.close()
    assert labeler.comm is None  # the session closed the widget it built
    assert held(mine.engine.pool) >= 1  # and left the user's store open
    d = nl.Dashboard(mine, task="t", interval=0.01)
    d.close()
    assert not d._thread.is_alive() and held(mine.engine.pool) >= 1
    mine.close()


def test_closing_a_widget_whose_store_fails_keeps_its_pending_labels(tmp_path: Path) -> None:
    path = tmp_path / "gone.db"
    w = classify(frame(["a", "b"]), os.fspath(path))
    w.annotate("a", "pos")
    path.unlink()  # the store's file is deleted while the widget is open
    w.annotate("b", "neg")
    assert w.pending == 1
    w.close()  # cannot write: the label stays pending, the store open, retries go on
    assert w.pending == 1 and w.pending_events["item_id"].tolist() == ["b"]
    assert w.retry(create=True) and w.pending == 0
    assert stored(nl.Store(path)) == [("b", "ana", "label", "neg", None)]


# ====================================================================== item 8: no password in any output
SECRET = "Hunter2pw"


def password_forms(base: str) -> dict[str, str]:
    """``base`` (``postgresql://user@host:port/db``) with the password given every way."""
    head, rest = base.split("://", 1)
    user, hostpart = rest.split("@", 1)
    return {
        "userinfo": f"{head}://{user}:{SECRET}@{hostpart}",
        "percent-encoded userinfo": f"{head}://{user}:{SECRET}%40x@{hostpart}",
        "?password=": f"{head}://{user}@{hostpart}?password={SECRET}",
        "&password= among others": f"{head}://{user}@{hostpart}?application_name=nbl&password={SECRET}",
        "?passwd=": f"{head}://{user}@{hostpart}?passwd={SECRET}",
        "?sslpassword=": f"{head}://{user}@{hostpart}?sslpassword={SECRET}",
        "percent-encoded name": f"{head}://{user}@{hostpart}?pass%77ord={SECRET}",
        "percent-encoded =": f"{head}://{user}@{hostpart}?password%3D{SECRET}",
        "key=value DSN": f"host=127.0.0.1 user={user} password={SECRET} dbname=x",
        "quoted key=value DSN": f"host=127.0.0.1 password='{SECRET} x' dbname=x",
        "bad port": f"{head}://{user}:{SECRET}@127.0.0.1:port/db",
    }


def assert_no_secret(text: str) -> None:
    for form in (SECRET, SECRET + "%40x", SECRET + "@x"):
        assert form not in text, text


@pytest.mark.parametrize("command", ["report", "export", "session status"])
def test_the_cli_never_prints_a_password(store_url: str, tmp_path: Path, capsys, command: str) -> None:
    if not store_url.startswith("postgresql"):
        store_url = "postgresql://ana@127.0.0.1:1/nodb"  # an unreachable server: the error path
    # (the test server trusts every user: a password in the URL is accepted and a task is missing)
    for form, url in password_forms(store_url).items():
        argv = [*command.split(), url, "--task", "t"]
        if command == "export":
            argv += ["--out", str(tmp_path / "out.jsonl")]
        code = cli(argv)
        out, err = capsys.readouterr()
        assert code == 2, (form, out, err)
        assert_no_secret(out + err)
        assert err.startswith("nblabel: ") and ("store" in err or "task" in err), (form, err)


def test_the_cli_masks_passwords_in_usage_errors_and_in_a_real_process(store_url: str) -> None:
    url = password_forms(store_url if store_url.startswith("postgresql") else "postgresql://a@127.0.0.1:1/x")
    for argv in (["report", url["?password="]], ["report", url["userinfo"], "--task", "t", "--n-boot", "x"]):
        done = subprocess.run([sys.executable, "-m", "nblabel.cli", *argv], capture_output=True, text=True,
                              timeout=120)  # fmt: skip
        assert done.returncode == 2
        assert_no_secret(done.stdout + done.stderr)
    done = subprocess.run([sys.executable, "-m", "nblabel.cli", "report", url["&password= among others"],
                           "--task", "t"], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 2 and "nblabel: " in done.stderr
    assert_no_secret(done.stdout + done.stderr)


def test_store_errors_name_the_server_without_the_password() -> None:
    pytest.importorskip("psycopg")
    for form, url in password_forms("postgresql://ana@127.0.0.1:1/nodb").items():
        if "DSN" in form:
            continue  # not a URL: a file path, which the CLI test covers
        with pytest.raises(StoreError) as refused:
            nl.Store(url + ("&" if "?" in url else "?") + "connect_timeout=2")
        assert_no_secret(str(refused.value))
        if form != "bad port":
            assert str(refused.value).startswith("cannot open the store postgresql://127.0.0.1:1/nodb: ")
        assert "[SQL" not in str(refused.value) and "sqlalche.me" not in str(refused.value)


@pytest.mark.parametrize(
    "text, masked",
    [
        ("postgresql://ana:pw1@h/db", "postgresql://ana:***@h/db"),
        ("postgresql+psycopg://ana:p%40ss@h:5/db", "postgresql+psycopg://ana:***@h:5/db"),
        ("postgresql://ana:p@ss/w@h/db", "postgresql://ana:***@h/db"),
        ("x postgresql://h/db?ssl=1&password=pw1&a=b y", "x postgresql://h/db?ssl=1&password=***&a=b y"),
        ("postgresql://h/db?PASSWD=pw1", "postgresql://h/db?PASSWD=***"),
        ("postgresql://h/db?sslpassword=pw1", "postgresql://h/db?sslpassword=***"),
        ("postgresql://h/db?pass%77ord=pw1", "postgresql://h/db?pass%77ord=***"),
        ("postgresql://h/db?password%3Dpw1%26x=1", "postgresql://h/db?password%3D***%26x=1"),
        ("host=h password=pw1 dbname=d", "host=h password=*** dbname=d"),
        ("host=h password = 'p w\\'1' dbname=d", "host=h password = *** dbname=d"),
        ("host=h db_password=pw1", "host=h db_password=***"),
        ("no secret: postgresql://ana@h:5/db?application_name=x", "no secret: postgresql://ana@h:5/db?application_name=x"),
    ],
)  # fmt: skip
def test_mask_passwords_every_form(text: str, masked: str) -> None:
    assert mask_passwords(text) == masked
    for secret in secrets_in(text):
        assert secret not in mask_passwords(f"said: {secret}", secrets_in(text))


# ====================================================================== item 9: not a database
def _good_store(path: Path, n: int = 200) -> None:
    store = nl.Store(path)
    store.register_task("t", "classify", LABELS)
    row = dict(task="t", annotator="ana", kind="label", value="pos", item_kind="int", comment="c" * 200)
    store.append_many(Event(item_id=str(i), **row) for i in range(n))
    store.close()
    raw = sqlite3.connect(path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # everything into the main file
    raw.close()  # the last connection: SQLite removes the -wal and -shm files
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()


def _make_bad_store(kind: str, tmp_path: Path) -> tuple[Path, str]:
    if kind == "text file":
        path = tmp_path / "notes.txt"
        path.write_text("not a database\n")
        return path, r"is not a SQLite database \(it looks like a text file\)"
    if kind == "PNG":
        path = tmp_path / "picture.png"
        Image.new("RGB", (4, 4)).save(path)
        return path, r"is not a SQLite database \(it looks like a PNG image\)"
    if kind == "directory":
        path = tmp_path / "folder.db"
        path.mkdir()
        return path, "is a directory, not a SQLite file"
    good = tmp_path / "good.db"
    _good_store(good)
    data = good.read_bytes()
    path = tmp_path / f"{kind.replace(' ', '_')}.db"
    if kind == "truncated":
        path.write_bytes(data[: len(data) // 3])
        return path, "is a damaged SQLite database"
    if kind == "cut in the header":
        path.write_bytes(data[:10])
        return path, "is not a SQLite database, or is damaged"
    if kind == "corrupt":  # the header is intact, the pages after it are garbage
        noise = np.random.default_rng(0).integers(0, 256, len(data) - 100, dtype=np.uint8)
        path.write_bytes(data[:100] + noise.tobytes())
        return path, "is not a SQLite database, or is damaged|is a damaged SQLite database"
    raise AssertionError(kind)


BAD_STORES = ["text file", "PNG", "directory", "truncated", "cut in the header", "corrupt"]


def assert_clear(message: str, path: Path, expected: str) -> None:
    import re

    assert str(path) in message, message
    assert re.search(expected, message), message
    for raw in ("[SQL", "SELECT", "PRAGMA", "INSERT", "parameters", "sqlalche.me", "Traceback"):
        assert raw not in message, message


@pytest.mark.parametrize("kind", BAD_STORES)
def test_a_store_that_is_not_a_database_gets_a_clear_error(tmp_path: Path, kind: str, capsys) -> None:
    path, expected = _make_bad_store(kind, tmp_path)
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(StoreError) as refused:
        nl.Store(path)
    assert isinstance(refused.value, StoreAccessError)
    assert_clear(str(refused.value), path, expected)
    with pytest.raises(StoreError) as refused:
        classify(frame(["a"]), os.fspath(path))
    assert_clear(str(refused.value), path, expected)
    assert cli(["report", str(path), "--task", "t"]) == 2
    err = capsys.readouterr().err
    assert_clear(err, path, expected)
    if before is not None:
        assert path.read_bytes() == before  # nothing was written into the file


def test_a_store_in_a_folder_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "notes").write_text("x")
    with pytest.raises(StoreAccessError, match="notes is a file, not a folder"):
        nl.Store(tmp_path / "notes" / "sub" / "s.db")


UNPRIVILEGED = textwrap.dedent(
    """
    import sys
    import pandas as pd
    import nblabel as nl
    from nblabel.store import StoreError
    said = []
    for open_it in (lambda: nl.Store(sys.argv[1]),
                    lambda: nl.Classify(pd.DataFrame({"t": ["x"]}), text="t", labels=["pos", "neg"], task="t",
                                        store=sys.argv[1])):
        try:
            open_it().close()
        except StoreError as exc:
            said.append(str(exc))
        else:
            said.append("OPENED")
    assert said[0] == said[1], said  # the widget says the same as the store
    print(said[0])
    """
)


def run_without_root_override(*args: str) -> str:
    """Run the store check as a process that file modes bind: root ignores them, so drop the
    capabilities that override them (or run as is when not root)."""
    prefix: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv: file modes cannot be enforced")
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search,-fowner"]
    command = [*prefix, sys.executable, "-c", UNPRIVILEGED, *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_read_only_store_file_or_folder_gets_a_clear_error(tmp_path: Path) -> None:
    ro_file = tmp_path / "ro.db"
    _good_store(ro_file)
    ro_file.chmod(0o444)
    message = run_without_root_override(str(ro_file))
    assert_clear(message, ro_file, "is read-only: nblabel needs write access to the file and its folder")

    folder = tmp_path / "locked"
    folder.mkdir()
    in_folder = folder / "s.db"
    _good_store(in_folder)
    folder.chmod(0o555)
    try:
        message = run_without_root_override(str(in_folder))
        assert_clear(message, in_folder, f"its folder {folder} is read-only")
        message = run_without_root_override(str(folder / "new.db"))
        assert_clear(message, folder / "new.db", "cannot be created: its folder .* is read-only")
    finally:
        folder.chmod(0o755)
    assert run_without_root_override(str(in_folder)) == "OPENED"  # writable again: fine


def test_a_file_damaged_while_open_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _good_store(path, n=2_000)
    store = nl.Store(path)
    data = bytearray(path.read_bytes())
    data[4096:] = b"\xee" * (len(data) - 4096)  # every page after the first is garbage
    path.write_bytes(bytes(data))
    store.close()  # new connections see the damage
    with pytest.raises(StoreAccessError) as refused:
        store.annotations("t")
    assert_clear(str(refused.value), path, "damaged|is not a SQLite database")


# ====================================================================== item 10: flags without labels
def test_flags_without_labels(store_url: str) -> None:
    df = frame([1, 2, 3, 4])
    s = nl.Session(store_url, "s", widget=nl.Classify, data=df, annotators=["ana", "ben"], overlap=2,
                   text="text", labels=LABELS)  # fmt: skip
    ana, ben = s.labeler("ana"), s.labeler("ben")
    ana.flag(2, "sarcasm?")
    ben.flag(2, "")
    ben.flag(3, "typo")
    shown = s.store.items("s")
    assert shown.empty and shown.index.name == "item_id"
    flags = s.flags()
    assert flags["n_flags"].to_dict() == {2: 2, 3: 1}
    assert flags.loc[2, "comments"] == ["ana: sarcasm?", "ben"] and flags.loc[3, "annotators"] == ["ben"]
    # once an item is labeled, its text joins the table
    ana.annotate(2, "pos")
    assert s.flags().loc[2, "text"] == "text 1"
    s.close()
    plain = nl.Store(store_url)
    plain.register_task("only-flags", "classify", LABELS)
    assert plain.items("only-flags").empty
    plain.close()


def test_threads_are_not_left_behind_by_closed_dashboards(store: nl.Store) -> None:
    store.register_task("t", "classify", LABELS)
    before = threading.active_count()
    boards = [nl.Dashboard(store, task="t", interval=0.01) for _ in range(5)]
    for d in boards:
        d.close()
    assert threading.active_count() <= before


def test_opening_a_second_store_on_a_file_keeps_the_first_ones_commits_visible(tmp_path: Path) -> None:
    """Closing any descriptor of a file drops every POSIX lock the process holds on it: opening
    a store must never read the database file itself, or another process, believing it is
    alone, checkpoints and deletes the write-ahead log under the first store's connections and
    stops seeing their commits."""
    path = tmp_path / "shared.db"
    df = pd.DataFrame({"t": list("abcdef")})
    w = nl.Classify(df, text="t", labels=["x", "y"], task="t", annotator="a", store=path)
    nl.Classify(df, text="t", labels=["x", "y"], task="m", annotator="a", store=path, multi=True)
    reader = f"import nblabel as nl; s = nl.Store({str(path)!r}); print(len(s.annotations('t'))); s.close()"

    def seen_elsewhere() -> int:
        done = subprocess.run([sys.executable, "-c", reader], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return int(done.stdout.strip())

    for i in range(3):
        w.annotate(i, "x")
        assert seen_elsewhere() == i + 1
