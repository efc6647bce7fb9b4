"""One PostgreSQL login per annotator (``session.grant``): row-level security and grants, proven
on a real PostgreSQL server whose non-superuser logins need their password (SCRAM-SHA-256), so
every annotator URL below is also a password that works.

Connected with an annotator's URL: only their own events are readable (others' after the
reveal, only on items they answered), no table they can read holds a gold answer or another
annotator's label, writing as someone else is refused with a clear error, and the labeler runs
unchanged (labels land, gold feedback, the calibration gate). The coordinator sees everything;
revoke ends the login; hostile names are only ever data; the CLI prints the URL last, once.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

import nblabel as nl
from nblabel.core.event import Event
from nblabel.store import migrate, roles, schema
from nblabel.store.errors import StoreAccessError, StoreError

LABELS = ["LBL_POS", "LBL_NEG"]
N_ITEMS = 8
GOLD = {"gold-0": "LBL_POS", "gold-1": "LBL_NEG", "gold-2": "LBL_POS", "gold-3": "LBL_NEG"}
EXPLAIN = {key: f"EXPLAIN-secret-{i}" for i, key in enumerate(GOLD)}


# ---------------------------------------------------------------------- a server with passwords
@pytest.fixture(scope="module")
def pg():
    """A throw-away PostgreSQL server: the ``postgres`` superuser connects without a password,
    every other login needs its password (SCRAM-SHA-256)."""
    from pg_server import PostgresServer, pg_bin

    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; scripts/test.sh installs it")
        pytest.skip("PostgreSQL binaries not installed (run scripts/test.sh to install them)")
    server = PostgresServer()
    try:
        hba = server.dir / "data" / "pg_hba.conf"
        hba.write_text(
            "local all all trust\n"
            "host all postgres 127.0.0.1/32 trust\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        server._run("pg_ctl", "-D", str(server.dir / "data"), "reload")
        probe = sa.create_engine(
            f"postgresql+psycopg://nobody@127.0.0.1:{server.port}/postgres", poolclass=sa.pool.NullPool
        )
        deadline = time.monotonic() + 10
        while True:  # the reload is asynchronous: wait until a password is asked for
            try:
                probe.connect().close()
            except sa.exc.OperationalError as exc:
                if "password" in str(exc) or time.monotonic() > deadline:
                    break
            time.sleep(0.05)
        probe.dispose()
    except BaseException:
        server.stop()
        raise
    yield server
    server.stop()


def session_frame() -> pd.DataFrame:
    """Production items ``item-0``.. and a gold pool (``answer``, ``why``)."""
    keys = [f"item-{i}" for i in range(N_ITEMS)] + list(GOLD)
    return pd.DataFrame(
        {
            "text": [f"plain words number {i}" for i in range(len(keys))],
            "answer": [None] * N_ITEMS + list(GOLD.values()),
            "why": [None] * N_ITEMS + list(EXPLAIN.values()),
        },
        index=pd.Index(keys, name="rid"),
    )


def options(**overrides: Any) -> dict[str, Any]:
    settings = dict(
        widget=nl.Classify, data=session_frame(), annotators=["ana", "ben", "cy"], overlap=2,
        gold="answer", explanation="why", gold_rate=0.2, text="text", labels=LABELS,
    )  # fmt: skip
    settings.update(overrides)
    return settings


def label_all(w: Any, value: Any) -> list[Any]:
    """Label the labeler's whole queue with ``value`` (a label or a function of the item)."""
    done = []
    while w.current is not None:
        item = w.current
        w.annotate(item, value(item) if callable(value) else value)
        done.append(item)
    assert w.pending == 0 and w.failed.empty
    return done


@pytest.fixture
def owner_url(pg) -> str:
    return pg.new_database()


@pytest.fixture
def coordinator(owner_url):
    session = nl.Session(owner_url, "cal", **options())
    yield session
    session.close()


def as_annotator(url: str, **overrides: Any) -> nl.Session:
    return nl.Session(url, "cal", **options(**overrides))


# ---------------------------------------------------------------------- reading
def test_annotator_reads_only_own_events(coordinator):
    urls = {name: coordinator.grant(name) for name in ("ana", "ben")}
    labeled = {}
    for name, url in urls.items():
        session = as_annotator(url)
        labeled[name] = label_all(session.labeler(name), "LBL_POS")
        session.close()

    store = nl.Store(urls["ana"])
    try:
        frame = store.annotations("cal")
        assert len(frame) == len(labeled["ana"]) > 0
        assert set(frame["annotator"]) == {"ana"}
        assert set(store.current("cal")["annotator"]) == {"ana"}
        assert store.revision("cal")[0] == len(labeled["ana"])
        assert store.events("cal", annotator="ben") == []
        assert store.annotations(annotator="ben").empty
        # what an annotator login can read of the session: no gold answers
        config = store.session_config("cal")
        assert "gold" not in config and config["gold_keys"] == list(GOLD)
    finally:
        store.close()

    # the coordinator sees everything, gold answers included
    everything = coordinator.store.annotations("cal")
    assert set(everything["annotator"]) == {"ana", "ben"}
    assert len(everything) == len(labeled["ana"]) + len(labeled["ben"])
    assert dict(coordinator.store.session_config("cal")["gold"]) == GOLD


def readable_tables(conn: Any) -> list[str]:
    """Every table or view of the store's schema this login may SELECT from (from the catalog,
    not from a list nblabel keeps)."""
    return conn.execute(
        sa.text(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
            "AND has_table_privilege(current_user, c.oid, 'SELECT') ORDER BY 1"
        )
    ).scalars().all()


def test_no_readable_table_holds_gold_or_another_annotators_label(coordinator, owner_url):
    urls = {name: coordinator.grant(name) for name in ("ana", "ben")}
    for name in ("ben", "ana"):
        session = as_annotator(urls[name], feedback=False)
        label_all(session.labeler(name), "LBL_NEG")
        session.close()
    coordinator.retire("cy")  # the session log now holds rows (hand-overs of cy's items)

    engine = sa.create_engine(urls["ana"].replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            tables = readable_tables(conn)
            assert set(tables) == set(roles.ANNOTATOR_TABLES)
            assert "nbl_session_gold" not in tables
            for table in tables:
                rows = conn.execute(sa.text(f'SELECT * FROM "{table}"')).mappings().all()
                for row in rows:
                    text = json.dumps({k: str(v) for k, v in row.items()})
                    assert not any(secret in text for secret in EXPLAIN.values()), (table, row)
                    if table == "nbl_events":
                        assert row["annotator"] == "ana", row
                        continue
                    for key, answer in GOLD.items():
                        assert not (key in text and answer in text), (table, row)
                    for other in ("ben", "cy"):
                        assert not (other in text and "LBL_" in text), (table, row)
            # the group role itself sees nothing and may write nothing
            group = roles.group_role(coordinator.store)
            conn.execute(sa.text(f'SET ROLE "{group}"'))
            assert conn.execute(sa.text("SELECT count(*) FROM nbl_events")).scalar() == 0
            assert conn.execute(sa.text("SELECT count(*) FROM nbl_sessions")).scalar() == 0
            conn.rollback()
            # the gold table itself is refused, and so are the functions for someone else's role
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                conn.execute(sa.text("SELECT * FROM nbl_session_gold"))
            conn.rollback()
            ben_role = roles.annotator_role(coordinator.store, "cal", "ben")
            for key in GOLD:
                asked = sa.text("SELECT * FROM nbl_gold_answer(:r, 'cal', :k)")
                assert conn.execute(asked, {"r": ben_role, "k": key}).all() == []
            # feedback is off and there is no calibration gate: no answer, even once answered
            answered = conn.execute(
                sa.text("SELECT * FROM nbl_gold_answer(current_user::text, 'cal', :k)"), {"k": "gold-0"}
            ).all()
            assert answered == []
    finally:
        engine.dispose()


def test_every_table_of_the_schema_is_decided_for_annotator_roles():
    """A new table must be listed as readable (with its row filter) or hidden: none slips through."""
    names = {t.name for t in schema.metadata.sorted_tables}
    assert names <= set(roles.ANNOTATOR_TABLES) | set(roles.HIDDEN_TABLES)
    assert not set(roles.ANNOTATOR_TABLES) & set(roles.HIDDEN_TABLES)


def test_reveal_shows_others_only_on_items_answered(coordinator):
    urls = {name: coordinator.grant(name) for name in ("ana", "ben", "cy")}
    ben = as_annotator(urls["ben"])
    label_all(ben.labeler("ben"), "LBL_NEG")
    cy = as_annotator(urls["cy"])
    label_all(cy.labeler("cy"), "LBL_NEG")
    ana = as_annotator(urls["ana"])
    w = ana.labeler("ana")
    first = w.current
    w.annotate(first, "LBL_POS")  # ana answers one item, the rest of her queue stays open
    others_on = set(coordinator.store.annotations("cal").query("annotator != 'ana'")["item_id"])

    assert set(ana.store.annotations("cal")["annotator"]) == {"ana"}  # before the reveal
    coordinator.reveal()
    seen = ana.store.annotations("cal")
    assert set(seen.loc[seen["annotator"] != "ana", "item_id"]) == {first} & others_on
    assert set(seen.loc[seen["annotator"] == "ana", "item_id"]) == {first}
    # the labeler shows the others' labels on the answered item, through the same login
    again = ana.labeler("ana")  # (an open labeler looks for the reveal every few seconds)
    fields = again._policy.item_fields(again, again.items.position(first))
    expected = set(seen.loc[seen["annotator"] != "ana", "annotator"])
    assert {o["annotator"] for o in fields.get("others", [])} == expected
    coordinator.reveal(False)
    assert set(ana.store.annotations("cal")["annotator"]) == {"ana"}
    for s in (ana, ben, cy):
        s.close()


# ---------------------------------------------------------------------- writing
def test_writing_as_another_annotator_is_refused_clearly(coordinator, owner_url):
    url = coordinator.grant("ana")
    session = as_annotator(url)
    w = session.labeler("ana")
    item = w.current
    w.annotate(item, "LBL_POS")
    before = len(coordinator.store.annotations("cal"))

    store = session.store
    forged = Event(task="cal", item_id="item-0", item_kind="str", annotator="ben", kind="label",
                   value="LBL_NEG")  # fmt: skip
    with pytest.raises(roles.RoleRefused, match=r"only as annotator 'ana' of task 'cal'.*annotator 'ben'"):
        store.append(forged)
    with pytest.raises(StoreError, match="nothing was written"):
        store.append(Event(task="other", item_id="x", item_kind="str", annotator="ana", kind="label",
                           value="LBL_NEG"))  # fmt: skip
    with pytest.raises(ValueError, match="annotator 'ana': it cannot label as 'ben'"):
        session.labeler("ben")
    # a widget built by hand for ben with ana's login: every event is set aside with the reason
    forged_widget = nl.Classify(session_frame(), task="cal", annotator="ben", store=url, text="text",
                                labels=LABELS)  # fmt: skip
    forged_widget.annotate("item-1", "LBL_NEG")
    assert forged_widget.pending == 0 and len(forged_widget.failed) == 1
    assert "only as annotator 'ana'" in forged_widget.failed["reason"].iloc[0]
    forged_widget.close()

    after = coordinator.store.annotations("cal")
    assert len(after) == before == 1  # nothing lost, nothing forged
    assert after["annotator"].tolist() == ["ana"] and after["item_id"].tolist() == [item]
    w.annotate(w.current, "LBL_NEG")  # the labeler goes on
    assert len(coordinator.store.annotations("cal")) == 2
    session.close()


def test_annotator_login_cannot_create_or_change_a_session(coordinator, owner_url):
    url = coordinator.grant("ana")
    with pytest.raises(ValueError, match="annotator 'ana' of task 'cal'; it cannot open session 'new'"):
        nl.Session(url, "new", **options())  # a task of another name is not this login's
    with pytest.raises(ValueError, match="other settings"):
        as_annotator(url, overlap=3)
    with pytest.raises(ValueError, match="other settings: .*different gold answers"):
        as_annotator(url, data=session_frame().rename(index={"gold-3": "gold-9"}))
    with pytest.raises(ValueError, match="escalate"):
        as_annotator(url, escalate="disagreement")
    session = as_annotator(url)
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        session.reveal()
    assert not coordinator.revealed
    session.close()


def test_adaptive_overlap_with_logins_is_refused(owner_url):
    session = nl.Session(owner_url, "adaptive", **options(escalate="disagreement"))
    with pytest.raises(StoreError, match="adaptive overlap"):
        session.grant("ana")
    session.close()


# ---------------------------------------------------------------------- the labeler, end to end
def test_labeler_end_to_end_with_an_annotator_url(coordinator, owner_url):
    """Calibration gate (two gold items, all right to pass) and training feedback, with gold
    answers the login cannot read until each is answered; reopened with Session.open too."""
    settings = options(calibration=2, pass_mark=1.0, feedback=True, guidelines="# Rules\n\nBe *kind*.")
    session = nl.Session(owner_url, "train", **settings)
    url = session.grant("ana")
    ana = nl.Session(url, "train", **settings)  # the coordinator's call: guidelines found, not written
    assert ana.gold.__class__.__name__ == "StoreGold"
    w = ana.labeler("ana")
    assert w.guidelines is not None and "kind" in w.guidelines.markdown
    policy = w._policy
    round_one = [w.current]
    wrong = "LBL_NEG" if GOLD[w.current] == "LBL_POS" else "LBL_POS"
    feedback: list[dict[str, Any]] = []
    w.send = lambda msg, *a, **k: feedback.append(msg) if msg.get("type") == "feedback" else None
    w.annotate(w.current, wrong)  # wrong: the round fails
    assert feedback[-1]["correct"] is False
    key = round_one[0]
    assert feedback[-1]["gold"] == GOLD[key] and feedback[-1]["explanation"] == EXPLAIN[key]
    round_one.append(w.current)
    w.annotate(w.current, GOLD[w.current])
    assert feedback[-1]["correct"] is True and feedback[-1]["explanation"] == EXPLAIN[round_one[1]]
    # round two: two fresh gold items, answered right: the production items open
    round_two = []
    for _ in range(2):
        item = w.current
        assert item in GOLD and item not in round_one
        round_two.append(item)
        w.annotate(item, GOLD[item])
    skipped = w.current
    w.skip(skipped)  # a skip, a flag and an undo (a retract) pass the login's policies too
    w.flag(skipped, "unclear wording")
    w.undo()
    assert w.current == skipped
    production = label_all(w, "LBL_POS")
    assert production and all(i.startswith("item-") for i in production)
    assert policy.phase["phase"] == "production"

    stored = session.store.annotations("train")
    assert stored["annotator"].unique().tolist() == ["ana"]
    labels = stored[stored["kind"] == "label"]
    assert labels["item_id"].tolist() == round_one + round_two + production
    assert set(stored["kind"]) == {"label", "skip", "flag", "retract"}
    table = session.gold_accuracy()
    assert table.loc["ana", "gold_answered"] == 4 and table.loc["ana", "gold_right"] == 3
    ana.close()

    # another annotator's role, asked through ana's login, answers nothing (not even "answered")
    ben = nl.Session(session.grant("ben"), "train", **settings)
    wb = ben.labeler("ben")
    ben_item = wb.current
    wb.annotate(ben_item, GOLD[ben_item])
    ben_role = roles.annotator_role(session.store, "train", "ben")
    with ana.store.engine.connect() as conn:
        asked = {"r": ben_role, "k": ben_item}
        assert conn.execute(sa.text("SELECT * FROM nbl_gold_answer(:r, 'train', :k)"), asked).all() == []
        assert conn.execute(sa.text("SELECT nbl_answered(:r, 'train', :k)"), asked).scalar() is False
    with ben.store.engine.connect() as conn:
        asked = {"k": ben_item}
        mine = sa.text("SELECT * FROM nbl_gold_answer(current_user::text, 'train', :k)")
        expected = [(json.dumps(GOLD[ben_item]), EXPLAIN[ben_item])]
        assert [tuple(r) for r in conn.execute(mine, asked)] == expected
        unanswered = next(k for k in GOLD if k != ben_item)
        assert conn.execute(mine, {"k": unanswered}).all() == []
    ben.close()

    # the same login reopens the session from the store alone and finds its place (all done)
    reopened = nl.Session.open(url, "train")
    assert reopened.labeler("ana").current is None
    reopened.close()
    session.close()


# ---------------------------------------------------------------------- logins
def test_revoke_stops_access_and_keeps_labels(coordinator):
    url = coordinator.grant("ana")
    session = as_annotator(url)
    label_all(session.labeler("ana"), "LBL_POS")
    store = session.store
    assert len(store.annotations("cal"))
    coordinator.revoke("ana")
    with pytest.raises(sa.exc.OperationalError):  # the open connection was ended; it cannot log in again
        store.annotations("cal")
    with pytest.raises(StoreAccessError, match="password authentication failed|does not exist"):
        nl.Store(url)
    assert set(coordinator.store.annotations("cal")["annotator"]) == {"ana"}
    with pytest.raises(StoreError, match="has no login"):
        coordinator.revoke("ana")
    # granting again gives a working login with a new password
    again = coordinator.grant("ana")
    assert again != url
    with nl.Store(again) as fresh:
        assert len(fresh.annotations("cal")) == len(coordinator.store.annotations("cal"))
    session.close()


def test_wrong_password_is_refused_and_a_new_password_replaces_the_old(coordinator):
    url = coordinator.grant("ana")
    password = sa.engine.make_url(url).password
    assert len(password) >= 30
    wrong = url.replace(password, "not-the-password")
    with pytest.raises(StoreAccessError, match="password authentication failed") as info:
        nl.Store(wrong)
    assert "not-the-password" not in str(info.value)
    policies = sa.text("SELECT oid, polname FROM pg_policy ORDER BY oid")
    with coordinator.store.engine.connect() as conn:
        before = conn.execute(policies).all()
    assert len(before) >= 2 * len(roles.ANNOTATOR_TABLES) - 3
    chosen = "pässwörd with spaces & @:/ signs"
    new_url = coordinator.grant("ana", password=chosen)
    with coordinator.store.engine.connect() as conn:  # set up once: a later grant locks no table
        assert conn.execute(policies).all() == before
    assert sa.engine.make_url(new_url).password == chosen
    with nl.Store(new_url) as store:
        assert store.annotations("cal").empty
    with pytest.raises(StoreAccessError, match="password authentication failed"):
        nl.Store(url)
    with pytest.raises(ValueError, match="not an annotator"):
        coordinator.grant("zoe")


def test_a_coordinator_who_is_not_a_superuser(pg):
    """The usual deployment: the coordinator's login owns the database (and so nblabel's tables)
    and has CREATEROLE, nothing more. Without CREATEROLE, grant says what is missing."""
    admin = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/postgres",
                             isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.exec_driver_sql("CREATE ROLE coord LOGIN CREATEROLE PASSWORD 'coord-pw'")
        conn.exec_driver_sql("CREATE ROLE plain LOGIN PASSWORD 'plain-pw'")
        conn.exec_driver_sql("CREATE DATABASE team OWNER coord")
        conn.exec_driver_sql("CREATE DATABASE solo OWNER plain")
    admin.dispose()
    try:
        owner = f"postgresql://coord:coord-pw@127.0.0.1:{pg.port}/team"
        session = nl.Session(owner, "cal", **options())
        url = session.grant("ana")
        ana = as_annotator(url)
        label_all(ana.labeler("ana"), "LBL_POS")
        assert set(ana.store.annotations("cal")["annotator"]) == {"ana"}
        ana.close()
        assert set(session.store.annotations("cal")["annotator"]) == {"ana"}
        held = nl.Store(url)  # a connection of ana's stays open across the revoke
        assert len(held.annotations("cal"))
        session.revoke("ana")  # (this login may not end her connections: it still loses everything)
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied for table nbl_events"):
            held.annotations("cal")
        held.close()
        with pytest.raises(StoreAccessError, match="password authentication failed|does not exist"):
            nl.Store(url)
        session.close()

        alone = nl.Session(f"postgresql://plain:plain-pw@127.0.0.1:{pg.port}/solo", "cal", **options())
        refused = r"this login \(plain\) may not give annotators logins.*CREATEROLE"
        with pytest.raises(StoreError, match=refused):
            alone.grant("ana")
        alone.close()
    finally:
        admin = sa.create_engine(f"postgresql+psycopg://postgres@127.0.0.1:{pg.port}/postgres",
                                 isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as conn:
            for database in ("team", "solo"):
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        admin.dispose()


HOSTILE = [
    "x'; DROP TABLE nbl_events; --",
    'Robert"); DROP ROLE postgres; --',
    "ünïcødé 💥 名前",
    "$$; SELECT pg_sleep(10); $$",
    "%s %(name)s {} \\",
]


def test_hostile_annotator_and_task_names_are_only_data(owner_url):
    task = "t'); DROP TABLE nbl_roles; -- 💥"
    session = nl.Session(owner_url, task, **options(annotators=HOSTILE, overlap=2))
    urls = {name: session.grant(name) for name in HOSTILE}
    assert len({sa.engine.make_url(u).username for u in urls.values()}) == len(HOSTILE)
    for name, url in urls.items():
        assert sa.engine.make_url(url).username.isascii()
        mine = nl.Session(url, task, **options(annotators=HOSTILE, overlap=2))
        label_all(mine.labeler(name), "LBL_POS")
        assert set(mine.store.annotations(task)["annotator"]) == {name}
        mine.close()
    events = session.store.annotations(task)
    assert set(events["annotator"]) == set(HOSTILE)
    assert events.groupby("annotator").size().sum() == len(events)
    with session.store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM pg_roles WHERE rolname = 'postgres'")).scalar() == 1
        assert conn.execute(sa.text("SELECT count(*) FROM nbl_roles")).scalar() == len(HOSTILE)
    for name in HOSTILE:
        session.revoke(name)
    session.close()


def test_sqlite_is_all_or_nothing(tmp_path):
    session = nl.Session(tmp_path / "s.db", "cal", **options())
    with pytest.raises(StoreError, match="SQLite is all-or-nothing"):
        session.grant("ana")
    with pytest.raises(StoreError, match="SQLite is all-or-nothing"):
        session.revoke("ana")
    session.close()
    from nblabel.cli import main

    assert main(["session", "grant", str(tmp_path / "s.db"), "--task", "cal", "--annotator", "ana"]) == 2


def test_cli_prints_the_url_last_and_once(coordinator, owner_url, capsys, tmp_path):
    from nblabel.cli import main

    assert main(["session", "grant", owner_url, "--task", "cal", "--annotator", "ana"]) == 0
    out, err = capsys.readouterr()
    url = out.strip().splitlines()[-1]
    password = sa.engine.make_url(url).password
    assert (out + err).count(password) == 1
    with nl.Store(url) as store:
        assert roles.current_scope(store) == roles.Scope(store.url.username, "cal", "ana")

    secret = tmp_path / "pw"
    secret.write_text("chosen-password-1\n")
    command = ["session", "grant", owner_url, "-t", "cal", "-a", "ben", "--password-file", str(secret)]
    assert main(command) == 0
    out, err = capsys.readouterr()
    assert out.strip().splitlines()[-1].count("chosen-password-1") == 1
    assert (out + err).count("chosen-password-1") == 1

    assert main(["session", "revoke", owner_url, "-t", "cal", "-a", "ben"]) == 0
    out, err = capsys.readouterr()
    assert "chosen-password-1" not in out + err
    assert main(["session", "grant", owner_url, "-t", "cal", "-a", "zoe"]) == 2
    assert "not an annotator" in capsys.readouterr().err


# ---------------------------------------------------------------------- old stores
def test_a_session_stored_before_schema_4_is_migrated_by_its_owner(store_url):
    """Gold answers written into the session's config by an older nblabel move out of it the
    first time the owner opens the store (both backends)."""
    session = nl.Session(store_url, "old", **options())
    session.close()
    engine = sa.create_engine(nl.Store(store_url).url)
    with engine.begin() as conn:  # back to how schema 3 stored it
        config = json.loads(conn.execute(sa.select(schema.sessions.c.config)).scalar_one())
        config.pop("gold_keys")
        config["gold"] = [[k, v] for k, v in GOLD.items()]
        conn.execute(schema.sessions.update().values(config=json.dumps(config)))
        conn.execute(schema.session_gold.delete())
        conn.execute(schema.meta.update().where(schema.meta.c.key == "schema_version").values(value="3"))
    engine.dispose()

    with nl.Store(store_url) as store:
        with store.engine.connect() as conn:
            assert migrate.schema_version(conn) == schema.SCHEMA_VERSION
            raw = json.loads(conn.execute(sa.select(schema.sessions.c.config)).scalar_one())
            rows = conn.execute(sa.select(schema.session_gold.c.key, schema.session_gold.c.value,
                                          schema.session_gold.c.explanation)
                                .order_by(schema.session_gold.c.position)).all()  # fmt: skip
        assert "gold" not in raw and raw["gold_keys"] == list(GOLD)
        assert [(k, json.loads(v)) for k, v, _ in rows] == list(GOLD.items())
        assert all(e is None for _, _, e in rows)  # an older nblabel never stored explanations
        # the owner opens it with the same settings; explanations are filled in from its data
        reopened = nl.Session(store, "old", **options())
        assert dict(store.session_config("old")["gold"]) == GOLD
        reopened.close()
        with store.engine.connect() as conn:
            notes = conn.execute(sa.select(schema.session_gold.c.explanation)
                                 .order_by(schema.session_gold.c.position)).scalars().all()  # fmt: skip
        assert notes == list(EXPLAIN.values())


def test_an_annotator_login_cannot_upgrade_a_store_and_says_so(coordinator, owner_url):
    url = coordinator.grant("ana")
    with coordinator.store.engine.begin() as conn:  # as if a newer nblabel had not opened it yet
        conn.execute(schema.meta.update().where(schema.meta.c.key == "schema_version").values(value="3"))
    with pytest.raises(StoreAccessError, match="may not create or upgrade nblabel's tables: open the store"):
        nl.Store(url)
    # the owner's open upgrades it; the annotator opens it then
    with nl.Store(owner_url) as owner, owner.engine.connect() as conn:
        assert migrate.schema_version(conn) == schema.SCHEMA_VERSION
    with nl.Store(url) as store:
        assert store.annotations("cal").empty


# ---------------------------------------------------------------------- twenty processes, twenty logins
def test_twenty_annotators_each_with_their_own_login(pg, tmp_path):
    from _session_worker import label_for, make_session
    from test_session_concurrent import assignment_of_events, check_reports, run_annotators

    annotators = [f"a{i}" for i in range(20)]
    cfg = {"task": "cal-20-roles", "items": 2_000, "annotators": annotators, "overlap": 2, "seed": 3,
           "gold_rate": 0.0}  # fmt: skip
    url = pg.new_database()
    owner = nl.Store(url)
    try:
        session = make_session(owner, cfg)
        urls = {name: session.grant(name) for name in annotators}
        assert len({sa.engine.make_url(u).username for u in urls.values()}) == 20

        reports = run_annotators(url, {**cfg, "urls": urls}, tmp_path, [annotators[i::4] for i in range(4)])
        check_reports(reports)
        events = owner.annotations(cfg["task"])
        plan = session.assignments()
    finally:
        owner.close()

    loads = {r["annotator"]: (r["assigned"], r["labeled"]) for r in reports}
    assert loads == {a: (200, 200) for a in annotators}
    assert len(events) == 4_000
    assert not events.duplicated(["item_id", "annotator"]).any()
    assert not events.duplicated(["client_id", "client_seq"]).any()
    assert events.groupby("annotator").size().to_dict() == {a: 200 for a in annotators}
    assert all(
        v == label_for(i, a)
        for i, a, v in zip(events["item_id"], events["annotator"], events["value"], strict=True)
    )
    held = assignment_of_events(events)
    assert len(held) == 2_000 and held.map(len).eq(2).all()
    assert held.to_dict() == plan["annotators"].to_dict()


def wait_for_suggestion(w: Any) -> None:
    deadline = time.monotonic() + 10
    while w.current is not None and not w._suggester.ready(w.items.position(w.current)):
        assert time.monotonic() < deadline, "no suggestion reached the labeler"
        time.sleep(0.02)


def test_models_events_are_read_by_a_login_but_never_written(coordinator):
    """Suggestions the coordinator recorded (``nl.record_model``, owner URL) reach an annotator's
    labeler through their login without calling the model; a model run in the annotator's own
    kernel suggests too, but its outputs are never stored under their login (an annotator must
    not plant the suggestions the others see), and that is no error in the banner."""
    calls: list[int] = []

    def guess(batch: pd.DataFrame) -> list[str]:
        calls.append(len(batch))
        return ["LBL_NEG"] * len(batch)

    data = session_frame()
    written = nl.record_model(data, task="cal", store=coordinator.store, fn_or_column=guess, name="guess")
    assert written == len(data) and calls
    calls.clear()
    url = coordinator.grant("ana")

    session = as_annotator(url, suggest=guess, suggest_name="guess")
    try:
        w = session.labeler("ana")
        wait_for_suggestion(w)
        assert calls == [], "the stored outputs were read: the model was not called"
        w.annotate(w.current, "LBL_NEG")
        seen = session.store.annotations("cal")
        assert (seen["annotator"] == "model:guess").sum() == len(data), "a login reads model events"
        mine = seen[seen["annotator"] == "ana"].iloc[-1]
        assert mine["suggestion"] == "LBL_NEG" and bool(mine["suggestion_shown"])
        w.close()
    finally:
        session.close()

    session = as_annotator(url, suggest=lambda b: ["LBL_POS"] * len(b), suggest_name="own")
    try:
        w = session.labeler("ana")
        wait_for_suggestion(w)
        deadline = time.monotonic() + 10
        while w._suggester._storing and time.monotonic() < deadline:  # the refused write was tried
            time.sleep(0.02)
        assert not w._suggester._storing
        assert not (w._suggest or {}).get("error"), w._suggest
        w.close()
    finally:
        session.close()
    everything = coordinator.store.annotations("cal")
    assert not (everything["annotator"] == "model:own").any(), "nothing of the login's own model is stored"
    assert (everything["annotator"] == "model:guess").sum() == len(data)
