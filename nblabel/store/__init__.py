"""The annotation store: an append-only event log over SQLAlchemy Core (SQLite or PostgreSQL),
with its schema, in-place migrations and the rule that tells a transient failure from a
permanent one."""

from ..core.frames import current_from_annotations, decode_json_column
from .store import (
    EVENT_COLUMNS,
    Store,
    StoreAccessError,
    StoreError,
    StoreUnavailable,
    TaskInfo,
    default_store,
    open_store,
)

__all__ = [
    "EVENT_COLUMNS",
    "Store",
    "StoreAccessError",
    "StoreError",
    "StoreUnavailable",
    "TaskInfo",
    "current_from_annotations",
    "decode_json_column",
    "default_store",
    "open_store",
]
