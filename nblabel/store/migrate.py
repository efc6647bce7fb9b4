"""Upgrade a store written with an older schema, in place, when a :class:`~nblabel.Store` opens it.

Runs in the opener's write transaction, so an upgrade is all or nothing: SQLite's
``BEGIN IMMEDIATE`` and PostgreSQL's transactional DDL. Several processes may open an old store
at once: on PostgreSQL a transaction-scoped advisory lock lets one of them upgrade while the
others wait, then read the new version and go on; on SQLite the write lock does the same.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.schema import CreateIndex

from ..core import limits
from . import schema
from .session_gold import split_gold_rows

__all__ = ["schema_version", "upgrade"]

#: PostgreSQL advisory lock key held while a process checks and upgrades the schema.
LOCK_KEY = 0x6E626C6162656C  # "nblabel"

_VERSION = sa.select(schema.meta.c.value).where(schema.meta.c.key == "schema_version")


def schema_version(conn: Any) -> int | None:
    """The store's schema version (``None``: not written yet)."""
    value = conn.execute(_VERSION).scalar()
    return None if value is None else int(value)


def upgrade(conn: Any, backend: str) -> int:
    """Bring the store on ``conn`` (inside a write transaction) to :data:`schema.SCHEMA_VERSION`
    if it is older; returns the version found before (re-read under the lock)."""
    if backend == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_KEY)))
    found = schema_version(conn)  # again: another process may have upgraded it meanwhile
    if found is None or found >= schema.SCHEMA_VERSION:
        return found or schema.SCHEMA_VERSION
    if found < 2 and backend == "postgresql":
        _postgresql_v2(conn)
    # SQLite needs no DDL for version 2: it enforces no VARCHAR length and indexes the id itself.
    if found < 3:
        _v3(conn)
    if found < 4:
        _v4(conn)
    conn.execute(
        schema.meta.update()
        .where(schema.meta.c.key == "schema_version")
        .values(value=str(schema.SCHEMA_VERSION))
    )
    return found


def _v3(conn: Any) -> None:
    """Version 2 → 3 (both backends): the nullable event column ``suggestion_shown``."""
    present = {c["name"] for c in sa.inspect(conn).get_columns(schema.events.name)}
    if "suggestion_shown" not in present:
        conn.exec_driver_sql(f"ALTER TABLE {schema.events.name} ADD COLUMN suggestion_shown INTEGER")


def _v4(conn: Any) -> None:
    """Version 3 → 4 (both backends): each session's gold answers move from ``nbl_sessions.config``
    (which annotator roles may read) to ``nbl_session_gold``; the config keeps their item keys
    (``gold_keys``). The table itself was created by ``create_all`` before the upgrade."""
    s = schema.sessions
    for task, text in conn.execute(sa.select(s.c.task, s.c.config)).all():
        config = json.loads(text)
        if "gold" not in config:
            continue
        public, rows = split_gold_rows(task, config, {})
        if rows:
            conn.execute(schema.session_gold.insert(), rows)
        conn.execute(s.update().where(s.c.task == task).values(config=limits.json_text(public)))


def _postgresql_v2(conn: Any) -> None:
    """Version 1 → 2 on PostgreSQL: VARCHAR(n) names become text; item ids are indexed through
    their MD5 (the primary key of ``nbl_items`` becomes a unique index on ``(task, md5(item_id))``)."""
    tables = [t.name for t in schema.metadata.sorted_tables if t is not schema.meta]
    columns = conn.execute(
        sa.text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND data_type = 'character varying' "
            "AND table_name = ANY(:tables) ORDER BY table_name, ordinal_position"
        ),
        {"tables": tables},
    ).all()
    by_table: dict[str, list[str]] = {}
    for table, column in columns:
        by_table.setdefault(table, []).append(column)
    for table, names in by_table.items():
        changes = ", ".join(f'ALTER COLUMN "{name}" TYPE text' for name in names)
        conn.exec_driver_sql(f'ALTER TABLE "{table}" {changes}')
    conn.exec_driver_sql("DROP INDEX IF EXISTS nbl_events_task_item")
    conn.execute(CreateIndex(schema.EVENTS_TASK_ITEM_POSTGRESQL))
    primary = conn.execute(
        sa.text("SELECT conname FROM pg_constraint WHERE conrelid = 'nbl_items'::regclass AND contype = 'p'")
    ).scalar()
    if primary is not None:
        conn.exec_driver_sql(f'ALTER TABLE nbl_items DROP CONSTRAINT "{primary}"')
    conn.execute(CreateIndex(schema.ITEMS_TASK_ITEM_POSTGRESQL, if_not_exists=True))
