"""A widget's state and its sync with the store: this annotator's events replayed at open (a
restarted kernel resumes where it stopped), each committed event applied once, and the events
other widgets of the same annotator (a second tab, another kernel) wrote, picked up by
:meth:`StateSync._sync` and the background poller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ..core.frames import decode_json_column
from ..store.failures import describe
from ..store.store import Store, StoreUnavailable
from . import poller
from .annotator_state import AnnotatorState
from .items import ItemSource
from .outbox import Outbox
from .queue import Queue

_log = logging.getLogger(__name__)

#: Columns of ``Store.events`` rows read here.
_ID, _KEY, _KIND, _VALUE, _COMMENT, _CLIENT = 0, 2, 5, 6, 7, 12


class StateSync:
    """Mixin of :class:`~nblabel.widgets.base.LabelWidget`: the annotator's state and its sync."""

    # provided by LabelWidget and its other parts
    task: str
    kind: str
    annotator: str
    store: Store
    items: ItemSource
    queue: Queue
    _labels: list[Any]
    _lock: threading.RLock
    _task_config: dict[str, Any]
    _task_fixed: tuple[str, ...]
    _client_id: str
    _outbox: Outbox
    _store_error: BaseException | None
    _retry_timer: Any
    _tallying: bool
    _count_change: Callable[[str, tuple[Any, Any] | None], None]
    _recount: Callable[[], None]
    _update_progress: Callable[[], None]
    _refresh_status: Callable[[], None]
    _recover_store: Callable[..., None]
    _is_pending: Callable[[str], bool]
    sync: Callable[[], bool]

    def _init_state(self) -> None:
        # This annotator's committed events reduced to what stands (state, flags, undo list).
        self._annotator_state = AnnotatorState()
        self._state = self._annotator_state.state  # key -> (kind, value), committed
        self._flags = self._annotator_state.flags  # key -> latest comment
        # (events, highest id) of this annotator's events when the store was last read: other
        # widgets of the same annotator (a second tab, another kernel) are noticed when it moves
        self._seen_revision: tuple[int, int] = (0, 0)
        # Keys with a label or flag in the store but no row in this DataFrame (the task was also
        # labeled through another DataFrame, e.g. a different sample): left out of progress/undo.
        self._foreign: set[str] = set()
        self._shown_saved: set[str] = set()  # keys whose content this widget already stored

    def _register_task(self) -> None:
        self.store.register_task(
            self.task, self.kind, self._labels, self._task_config, fixed=self._task_fixed
        )

    def _load_state(self) -> None:
        """Rebuild this annotator's state from the store (resume after a kernel restart)."""
        self._seen_revision = self.store.revision(self.task, annotator=self.annotator)
        rows = self.store.events(self.task, annotator=self.annotator)
        values = decode_json_column([row[_VALUE] for row in rows])  # each distinct label parsed once
        for row, value in zip(rows, values, strict=True):
            self._apply(row[_ID], row[_KEY], row[_KIND], value, row[_COMMENT])
        for key in self._state:
            try:
                self.queue.mark(self.items.position_of_key(key))
            except KeyError:
                self._foreign.add(key)
        for key in self._flags:
            if not self._in_frame(key):
                self._foreign.add(key)
        self._recount()

    def _reload_state(self) -> None:
        """Read the state again from the store (it is another file now); pending events stay."""
        self._annotator_state.clear()
        self._foreign.clear()
        self._shown_saved.clear()
        self._tallying = False
        self.queue.clear()
        self._load_state()
        for out in self._outbox.pending:
            if out.event.kind in ("label", "skip"):
                self._mark_queue(out.event.item_id)

    def _apply(
        self, event_id: int, key: str, kind: str, value: Any, comment: str | None = None, *, own: bool = True
    ) -> bool:
        """Apply one committed event to the in-memory state; ``True`` if it was new."""
        if event_id in self._annotator_state.known:
            return False
        change = self._annotator_state.apply(event_id, key, kind, value, comment, own=own)
        self._count_change(key, change)
        return True

    def _sync(self) -> bool:
        """Apply this annotator's events written elsewhere since the store was last read."""
        with self._lock:
            rows = self._unseen_rows()
            values = decode_json_column([row[_VALUE] for row in rows])
            for row, value in zip(rows, values, strict=True):
                key, kind = row[_KEY], row[_KIND]
                if key not in self._foreign and not self._in_frame(key):
                    self._foreign.add(key)  # left out of progress, like at load time
                self._apply(row[_ID], key, kind, value, row[_COMMENT], own=False)
                if kind in ("label", "skip", "retract"):
                    self._mark_queue(key)
            if rows:
                self._update_progress()
            return bool(rows)

    def _unseen_rows(self) -> list[Any]:
        """This annotator's events another widget committed since the last look (none when the
        revision has not moved); the revision is then taken as seen."""
        revision = self.store.revision(self.task, annotator=self.annotator)
        if revision == self._seen_revision:
            return []
        (seen_count, seen_top), (count, _top) = self._seen_revision, revision
        rows = self.store.events(self.task, annotator=self.annotator, after_id=seen_top)
        if len(rows) < count - seen_count:
            # On PostgreSQL an event may commit under a lower id after a higher one: the
            # ids already applied are skipped, so reading everything again is safe.
            rows = self.store.events(self.task, annotator=self.annotator)
        self._seen_revision = revision
        known = self._annotator_state.known
        # This widget's own events are applied by its flush (one may be committed here but
        # still pending there, when the acknowledgement of a commit was lost).
        return [r for r in rows if r[_ID] not in known and r[_CLIENT] != self._client_id]

    def _in_frame(self, key: str) -> bool:
        try:
            self.items.position_of_key(key)
        except KeyError:
            return False
        return True

    def _poll(self) -> None:
        """Run by the background poller while the widget is shown: notice a store file that
        was deleted or replaced (even with nothing to save), adopt one that is back, and pick
        up this annotator's events that other widgets wrote."""
        with self._lock:
            if self._store_error is not None:
                if not self._outbox.pending and isinstance(self._store_error, StoreUnavailable):
                    self._recover_store(create=False)
                    self._refresh_status()
                return  # pending events: the retry timer is on it
            try:
                self.store.check_file()
            except StoreUnavailable as exc:
                self._store_error = exc
                self._refresh_status()
                return
        try:
            self.sync()
        except sa.exc.DBAPIError as exc:  # the store is down: the next write will say so
            _log.debug("nblabel: sync failed: %s", describe(exc))

    def _stop_background(self) -> None:
        """Stop polling and retrying (the widget is closed)."""
        poller.unwatch(self)
        timer, self._retry_timer = self._retry_timer, None
        if timer is not None:
            timer.cancel()

    def _mark_queue(self, key: str) -> None:
        """Set the queue's done flag of ``key`` from its standing or pending label/skip."""
        try:
            pos = self.items.position_of_key(key)
        except KeyError:
            self._foreign.add(key)
            return
        self.queue.mark(pos, key in self._state or self._is_pending(key))

    def _mark_done(self) -> None:
        """Mark every item with a standing label or skip as done in the queue."""
        for key in self._state:
            if key not in self._foreign:
                self.queue.mark(self.items.position_of_key(key), True)
