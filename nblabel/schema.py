"""SQLAlchemy Core tables of the nblabel store (the same on SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

SCHEMA_VERSION = 1

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
    Column("name", String(255), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("labels", Text, nullable=False),  # JSON list
    Column("config", Text, nullable=False),  # JSON object
    Column("created_us", BigInteger, nullable=False),
)

#: The append-only annotation event log. Rows are never updated or deleted.
events = Table(
    "nbl_events",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("task", String(255), nullable=False),
    Column("item_id", Text, nullable=False),
    Column("item_kind", String(16), nullable=False),
    Column("annotator", String(255), nullable=False),
    Column("kind", String(16), nullable=False),  # label | skip | flag | retract
    Column("value", Text),  # JSON
    Column("comment", Text),
    Column("created_us", BigInteger, nullable=False),  # UTC, microseconds since the epoch
    Column("active_ms", Integer),
    Column("guideline_version", String(64)),
    Column("suggestion", Text),  # JSON
    Column("client_id", String(64)),
    Column("client_seq", BigInteger),
    Index("nbl_events_task_annotator", "task", "annotator", "id"),
    Index("nbl_events_task_item", "task", "item_id"),
    Index("nbl_events_client", "client_id", "client_seq", unique=True),
)

#: What each labeled item showed the annotator (its text fields and image reference), written
#: with the item's first label so that reports, the dashboard and exports can show items
#: without the DataFrame. One row per (task, item); the first copy stays.
items = Table(
    "nbl_items",
    metadata,
    Column("task", String(255), primary_key=True),
    Column("item_id", Text, primary_key=True),
    Column("item_kind", String(16), nullable=False),
    Column("content", Text, nullable=False),  # JSON object
    Column("created_us", BigInteger, nullable=False),
)

#: One row per calibration session (see nblabel.session): its plan (annotators, overlap, gold
#: answers, calibration settings) as JSON, fixed when the session is created, and whether the
#: owner has revealed the annotators' labels to each other.
sessions = Table(
    "nbl_sessions",
    metadata,
    Column("task", String(255), primary_key=True),
    Column("config", Text, nullable=False),  # JSON object
    Column("revealed", Integer, nullable=False, default=0),
    Column("created_us", BigInteger, nullable=False),
)

#: Every version of a task's guidelines, oldest first; events record the version they were
#: labeled under (``nbl_events.guideline_version``).
guidelines = Table(
    "nbl_guidelines",
    metadata,
    Column("task", String(255), primary_key=True),
    Column("version", String(64), primary_key=True),
    Column("markdown", Text, nullable=False),
    Column("note", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
)

EVENT_KINDS = ("label", "skip", "flag", "retract")
