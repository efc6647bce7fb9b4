"""PostgreSQL: an event is written by one prepared statement run through libpq
(``nblabel.store.prepared``); whatever that path cannot do safely — a connection inside a
transaction, a value of another type, a statement the server forgot, a refused row — is left to
the usual write, and no label is lost or written twice.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa

import nblabel as nl
from nblabel.core.event import Event
from nblabel.store import writes
from nblabel.store.prepared import PreparedStatement


def frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"text": [f"item {i}" for i in range(n)]})


def event(seq: int, **change: Any) -> Event:
    fields: dict[str, Any] = {
        "task": "t", "item_id": str(seq), "item_kind": "int", "annotator": "ana", "kind": "label",
        "value": "pos", "client_id": "c", "client_seq": seq,
    }  # fmt: skip
    return Event(**{**fields, **change})


@pytest.fixture
def counted(monkeypatch) -> list[int]:
    """The ``client_seq`` of the events written the usual way (not by the prepared
    statement), in order."""
    seen: list[int] = []
    usual = writes.EventWrites._write_postgresql_checked

    def checked(self: Any, event: Event, row: dict[str, Any], with_item: bool) -> tuple[int, bool]:
        seen.append(event.client_seq)
        return usual(self, event, row, with_item)

    monkeypatch.setattr(writes.EventWrites, "_write_postgresql_checked", checked)
    return seen


def prepared_names(store: nl.Store) -> list[str]:
    """The statements prepared on the store's write connection (a session's own catalog view)."""
    conn = store._write_connection()
    rows = conn.execute(sa.text("SELECT name FROM pg_prepared_statements ORDER BY name")).all()
    return [r[0] for r in rows]


def test_labels_are_written_by_the_prepared_statement_with_their_item(postgres, counted) -> None:
    store = nl.Store(postgres.new_database())
    w = nl.Classify(frame(3), text="text", labels=["pos", "neg"], task="t", annotator="ana", store=store)
    try:
        for i, label in enumerate(["pos", "neg", "pos"]):
            w.annotate(i, label)
        assert counted == []  # none needed the usual way
        assert [n for n in prepared_names(store) if n.startswith("nbl_prepared_")]
        stored = store.annotations("t")
        assert stored[["item_id", "value"]].values.tolist() == [[0, "pos"], [1, "neg"], [2, "pos"]]
        assert store.items("t")["text"].tolist() == ["item 0", "item 1", "item 2"]
    finally:
        w.close()
        store.close()


def test_a_statement_the_server_forgot_is_written_the_usual_way_then_prepared_again(
    postgres, counted
) -> None:
    store = nl.Store(postgres.new_database())
    try:
        store.register_task("t", "classify", ["pos", "neg"], {})
        first = store.write(event(1))
        conn = store._write_connection()
        conn.execute(sa.text("DEALLOCATE ALL"))  # as a pooler or an admin's DISCARD ALL would
        second = store.write(event(2))
        assert counted == [2]  # the prepared statement was missing: the usual way, once
        third = store.write(event(3))
        assert len(counted) == 1  # prepared again on the same connection
        assert store.write(event(2)) == second  # a retried write: the id it was stored under
        assert sorted(store.annotations("t")["item_id"].tolist()) == [1, 2, 3]
        assert len({first, second, third}) == 3
    finally:
        store.close()


def test_a_value_of_another_type_is_left_to_the_driver(postgres, counted) -> None:
    store = nl.Store(postgres.new_database())
    try:
        store.register_task("t", "classify", ["pos"], {})
        store.write(event(1, active_ms=True))  # a bool is not an integer to send as text
        assert counted == [1]
        assert store.annotations("t")["active_ms"].tolist() == [1]
    finally:
        store.close()


def test_the_statement_is_not_run_inside_an_open_transaction(postgres) -> None:
    """A connection inside a transaction would hold the event uncommitted: not run there."""
    url = postgres.new_database()
    nl.Store(url).close()
    statement = PreparedStatement(writes._event_statement(False))
    row = event(1).row()
    with psycopg.connect(url) as conn:
        conn.autocommit = False
        conn.execute("SELECT 1")  # a transaction is open
        assert statement.run(conn, {}, row) is None
        conn.rollback()
        conn.autocommit = True
        conn.execute("BEGIN")  # in autocommit, a transaction begun by hand
        assert statement.run(conn, {}, row) is None
        conn.execute("ROLLBACK")
        info: dict[str, Any] = {}
        ids = statement.run(conn, info, row)
        assert ids is not None and len(ids) == 1  # idle and in autocommit: committed
        assert statement.run(conn, info, row) == []  # the same event again: nothing new
        assert statement.run(conn, info, {**row, "client_seq": 1.5}) is None  # not text or integer
    with psycopg.connect(url) as other:
        assert other.execute("SELECT count(*) FROM nbl_events").fetchone()[0] == 1


def test_a_refused_row_says_why_and_writes_nothing(postgres, counted) -> None:
    url = postgres.new_database()
    store = nl.Store(url)
    try:
        store.register_task("t", "classify", ["pos"], {})
        store.write(event(1))
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute("ALTER TABLE nbl_events ADD CONSTRAINT short_values CHECK (length(value) < 8)")
        with pytest.raises(sa.exc.IntegrityError, match="short_values"):
            store.write(event(2, value="a label far too long"))
        assert counted == [2]  # said by the usual way
        store.write(event(3))
        assert len(counted) == 1  # the prepared statement goes on
        assert store.annotations("t")["item_id"].tolist() == [1, 3]
    finally:
        store.close()
