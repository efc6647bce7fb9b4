"""SQLAlchemy Core tables of the nblabel store (the same on SQLite and PostgreSQL).

Names and ids are ``Text``: no length limit but the one :mod:`nblabel.limits` checks for names
that index keys hold. An item id can be any length: PostgreSQL indexes it through its MD5 hash
(a B-tree entry over about 2,700 bytes fails there); SQLite indexes have no such limit and index
the id itself. ``nblabel.migrate`` upgrades stores written with an older schema.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
)

from ..core.event import EVENT_KINDS  # noqa: F401  (the values of nbl_events.kind)

#: 1: the first schema. 2: names and ids are Text; PostgreSQL indexes item ids by their MD5.
#: 3: ``nbl_events.suggestion_shown`` (whether a label's suggestion was shown: 1/0, NULL unknown).
#: 4: gold answers and explanations of sessions in ``nbl_session_gold`` (out of ``nbl_sessions.config``,
#: which annotator roles read); ``nbl_roles``: the login role of each annotator given one.
SCHEMA_VERSION = 4

metadata = MetaData()

#: Schema version and other store-wide facts.
meta = Table(
    "nbl_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

#: One row per task: its kind, label set and widget configuration.
tasks = Table(
    "nbl_tasks",
    metadata,
    Column("name", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("labels", Text, nullable=False),  # JSON list
    Column("config", Text, nullable=False),  # JSON object
    Column("created_us", BigInteger, nullable=False),
)

#: The append-only annotation event log. Rows are never updated or deleted.
events = Table(
    "nbl_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("task", Text, nullable=False),
    Column("item_id", Text, nullable=False),
    Column("item_kind", Text, nullable=False),
    Column("annotator", Text, nullable=False),
    Column("kind", Text, nullable=False),  # label | skip | flag | retract
    Column("value", Text),  # JSON
    Column("comment", Text),
    Column("created_us", BigInteger, nullable=False),  # UTC, microseconds since the epoch
    Column("active_ms", Integer),
    Column("guideline_version", Text),
    Column("suggestion", Text),  # JSON
    Column("client_id", Text),
    Column("client_seq", BigInteger),
    # 1/0: the label's suggestion was shown / hidden (show_suggestions=p); NULL: no suggestion,
    # or written before schema 3 (then shown when ``suggestion`` is not null).
    Column("suggestion_shown", Integer),
    Index("nbl_events_task_annotator", "task", "annotator", "id"),
    Index("nbl_events_client", "client_id", "client_seq", unique=True),
)
#: The columns of the event log, in table order (what :meth:`Store.events` returns by default).
EVENT_COLUMNS = [column.name for column in events.columns]
Index("nbl_events_task_item", events.c.task, events.c.item_id).ddl_if(dialect="sqlite")
#: PostgreSQL: the events of a task, by the hash of the item id (no B-tree size limit on ids).
EVENTS_TASK_ITEM_POSTGRESQL = Index("nbl_events_task_item", events.c.task, func.md5(events.c.item_id)).ddl_if(
    dialect="postgresql"
)

#: What each labeled item showed the annotator (its text fields and image reference), written
#: with the item's first label so that reports, the dashboard and exports can show items
#: without the DataFrame. One row per (task, item); the first copy stays.
items = Table(
    "nbl_items",
    metadata,
    Column("task", Text, nullable=False),
    Column("item_id", Text, nullable=False),
    Column("item_kind", Text, nullable=False),
    Column("content", Text, nullable=False),  # JSON object
    Column("created_us", BigInteger, nullable=False),
    PrimaryKeyConstraint("task", "item_id").ddl_if(dialect="sqlite"),
)
#: PostgreSQL: one row per (task, item) through the hash of the id (see the module docstring);
#: ``INSERT ... ON CONFLICT (task, md5(item_id)) DO NOTHING`` keeps the first copy.
ITEMS_KEY_POSTGRESQL = [items.c.task, func.md5(items.c.item_id)]
ITEMS_TASK_ITEM_POSTGRESQL = Index("nbl_items_task_item", *ITEMS_KEY_POSTGRESQL, unique=True).ddl_if(
    dialect="postgresql"
)

#: One row per calibration session (see nblabel.session): its plan (annotators, overlap, gold
#: answers, calibration settings) as JSON, fixed when the session is created, and whether the
#: owner has revealed the annotators' labels to each other.
sessions = Table(
    "nbl_sessions",
    metadata,
    Column("task", Text, primary_key=True),
    Column("config", Text, nullable=False),  # JSON object
    Column("revealed", Integer, nullable=False, default=0),
    Column("created_us", BigInteger, nullable=False),
)

#: Every version of a task's guidelines, oldest first; events record the version they were
#: labeled under (``nbl_events.guideline_version``).
guidelines = Table(
    "nbl_guidelines",
    metadata,
    Column("task", Text, primary_key=True),
    Column("version", Text, primary_key=True),
    Column("markdown", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)


#: What changed in a session's plan after it was created, in the order it was decided (append-only,
#: like the event log): an item escalated to one more annotator, an annotator retired, an item
#: handed from a retired annotator to another. Every process folds these rows over the seeded plan
#: and so agrees on who labels what. Writers take turns (``Store.change_session_log``); ``key``
#: (a digest of the row's item and slot) is unique per task, so one slot is never filled twice.
session_log = Table(
    "nbl_session_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("task", Text, nullable=False),
    Column("kind", Text, nullable=False),  # escalate | retire | handover
    Column("item_id", Text, nullable=False),  # the item's stored key ("" for retire)
    Column("annotator", Text, nullable=False),  # who now labels it ("" for nobody); retire: who left
    Column("detail", Text, nullable=False),  # JSON object
    Column("key", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Index("nbl_session_log_key", "task", "key", unique=True),
)


#: What reopens a session from the store alone (``nl.Session.open``), written once by the process
#: that creates the session: the widget class by name and its options (JSON), the item columns and
#: the kinds of the item ids. No gold answer and no explanation: annotator roles may read it.
session_setup = Table(
    "nbl_session_setup",
    metadata,
    Column("task", Text, primary_key=True),
    Column("widget", Text, nullable=False),
    Column("setup", Text, nullable=False),  # JSON object
    Column("created_us", BigInteger, nullable=False),
)

#: The items of a session in its frame's order (production rows, then the gold pool), one row
#: each: the columns its widget shows (JSON; bytes base64), never a gold answer or explanation.
session_items = Table(
    "nbl_session_items",
    metadata,
    Column("task", Text, nullable=False),
    Column("pos", Integer, nullable=False),
    Column("item_id", Text, nullable=False),
    Column("item_kind", Text, nullable=False),
    Column("data", Text, nullable=False),  # JSON object
    PrimaryKeyConstraint("task", "pos"),
)


#: The gold answers of a session (and their explanations), one row per gold item in pool order.
#: Kept out of ``nbl_sessions.config``: annotator roles (see :mod:`nblabel.store.roles`) may read
#: the config, never this table; a labeler reads an answer through ``nbl_gold_answer`` once it
#: has answered the item.
session_gold = Table(
    "nbl_session_gold",
    metadata,
    Column("task", Text, nullable=False),
    Column("position", Integer, nullable=False),  # in the gold pool's order
    Column("key", Text, nullable=False),  # the item's stored key
    Column("value", Text, nullable=False),  # JSON: the answer in stored form
    Column("explanation", Text),
    PrimaryKeyConstraint("task", "position"),
)

#: The PostgreSQL login role of an annotator of a session's task (``session.grant``): row-level
#: security lets that role write only as ``annotator`` on ``task`` and read only what it may.
roles = Table(
    "nbl_roles",
    metadata,
    Column("role", Text, primary_key=True),
    Column("task", Text, nullable=False),
    Column("annotator", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)
