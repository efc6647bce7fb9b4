"""A session's events as frames: the stored key of each row, and the rows on production items
(neither gold nor a repeat). The rules live in :mod:`nblabel.core.session_plan`, which the live
dashboard reads too; this module names them for the session's code."""

from __future__ import annotations

from ..core.session_plan import item_keys, production_events

__all__ = ["item_keys", "production_events"]
