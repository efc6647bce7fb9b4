"""A widget's save pipeline: every accepted event is queued in order (the :class:`Outbox`),
written by :meth:`SavePipeline._flush`, acknowledged to the browser only once committed, and
never lost.

A *transient* failure (locked, disk full, read-only, connection lost, file deleted) keeps every
event, shows the banner and retries with back-off (0.25 s doubling to 10 s); a *permanent* one
(the database refuses that event) sets it aside in ``w.failed`` and the events behind it go on.
A store file deleted or replaced while open is noticed and the events wait in the kernel until a
file is back (``w.retry(create=True)`` starts a new one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import traceback
import uuid
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..core import ids
from ..core.event import Event
from ..core.guidelines import Guidelines
from ..store.encode import event_row
from ..store.failures import describe
from ..store.store import Store, StoreUnavailable
from .items import ItemSource
from .outbox import Failed, FlushResult, Outbox, Outgoing
from .queue import Queue

_log = logging.getLogger(__name__)

#: First and longest wait before writing again after a transient failure (seconds).
FIRST_RETRY, LONGEST_RETRY = 0.25, 10.0


class SavePipeline:
    """Mixin of :class:`~nblabel.widgets.base.LabelWidget`: record, flush, retry, the banner."""

    # provided by LabelWidget and its other parts
    task: str
    annotator: str
    store: Store
    items: ItemSource
    queue: Queue
    guidelines: Guidelines | None
    _lock: threading.RLock
    _owns_store: bool
    _status: dict[str, Any]
    _shown_saved: set[str]
    _callbacks: list[Callable[[Any, Any], None]]
    _apply: Callable[..., bool]
    _mark_queue: Callable[[str], None]
    _reload_state: Callable[[], None]
    _register_task: Callable[[], None]
    _update_progress: Callable[[], None]
    _suggestion_record: Callable[[int, Any], Any]
    _suggestion_shown: Callable[[int], bool | None]
    _shown: Callable[[int], dict[str, Any]]
    send: Callable[..., None]

    def _init_saving(self) -> None:
        self._client_id = uuid.uuid4().hex
        self._client_seq = 0
        self._outbox = Outbox(self.store)  # events accepted but not committed yet, in order
        self._closed = False
        self._store_error: BaseException | None = None  # the transient failure being retried
        self._retry_timer: Any = None
        self._retry_delay = FIRST_RETRY

    # ------------------------------------------------------------------ public API
    @property
    def pending(self) -> int:
        """Events accepted but not yet committed to the store (non-zero only while it fails)."""
        return len(self._outbox)

    @property
    def pending_events(self) -> pd.DataFrame:
        """The events accepted but not committed yet, in order (held in this kernel while the
        store is unavailable): ``item_id, kind, value, comment, created_at``."""
        with self._lock:
            events = [out.event for out in self._outbox.pending]
        return self._event_frame(events)

    @property
    def failed(self) -> pd.DataFrame:
        """Events the database refused (they can never be written as they are), set aside so
        that later events could be saved: ``item_id, kind, value, comment, created_at, reason,
        failed_at``. :meth:`retry_failed` tries them again; :meth:`discard_failed` drops them."""
        with self._lock:
            failed = list(self._outbox.failed)
        frame = self._event_frame([f.outgoing.event for f in failed])
        frame["reason"] = [f.reason for f in failed]
        frame["failed_at"] = _utc([f.failed_us for f in failed])
        return frame

    def retry_failed(self) -> bool:
        """Queue the failed events again (after the database was fixed) and write them now;
        ``True`` when nothing is left pending or failed."""
        with self._lock:
            again = [f.outgoing for f in self._outbox.failed]
            self._outbox.requeue_failed()
            for out in again:
                if out.event.kind in ("label", "skip"):
                    self._mark_queue(out.event.item_id)
        self._flush()
        with self._lock:
            return not self._outbox.pending and not self._outbox.failed

    def discard_failed(self) -> int:
        """Give up on the failed events (they stay listed nowhere); returns how many."""
        with self._lock:
            gone = self._outbox.discard_failed()
            self._refresh_status()
        return len(gone)

    def retry(self, *, create: bool = False) -> bool:
        """Try to write pending events now; ``True`` when none is left.

        If the store's file was deleted while the widget had it open, the pending events wait
        until a file is back at that path; ``create=True`` starts a new, empty store file there
        instead and writes them into it.
        """
        if self._store_error is not None:
            self._recover_store(create=create)
        return self._flush()

    # ------------------------------------------------------------------ record and flush
    def _record(
        self,
        pos: int,
        kind: str,
        value: Any,
        *,
        active_ms: int | None,
        comment: str | None = None,
        browser_seqs: list[Any] | None = None,
        target_seq: int | None = None,
    ) -> None:
        """Queue one event for the store, in order, and try to write it now."""
        with self._lock:
            event = self._new_event(pos, kind, value, active_ms=active_ms, comment=comment)
            # A value the store cannot hold is the caller's error, raised now: queued, it would
            # fail every retry and hold back every later event.
            event_row(event)
            self._outbox.add(Outgoing(event, browser_seqs or [], target_seq))
            if kind in ("label", "skip"):
                self.queue.mark(pos, True)
            elif kind == "retract":
                self.queue.mark(pos, False)  # settled from the committed state in _apply_committed
            if self._retry_timer is not None:
                # The store is failing and a retry is scheduled: queue behind the pending events
                # instead of blocking this key press on another attempt.
                self._status = {**self._status, "pending": len(self._outbox)}
                return
        self._flush()

    def _new_event(
        self, pos: int, kind: str, value: Any, *, active_ms: int | None, comment: str | None
    ) -> Event:
        """The next event of this widget (``client_seq`` one more than the last)."""
        key, item_kind = self.items.key_and_kind(pos)
        self._client_seq += 1
        return Event(
            task=self.task,
            item_id=key,
            item_kind=item_kind,
            annotator=self.annotator,
            kind=kind,
            value=value,
            comment=comment,
            active_ms=active_ms,
            guideline_version=self.guidelines.version if self.guidelines else None,
            suggestion=self._suggestion_record(pos, value) if kind == "label" else None,
            suggestion_shown=self._suggestion_shown(pos) if kind == "label" else None,
            client_id=self._client_id,
            client_seq=self._client_seq,
        )

    def _flush(self) -> bool:
        """Write pending events in order. A transient failure keeps them all, shows a banner
        and schedules a retry; an event the database refuses is set aside (``failed``) and
        the ones behind it go on. ``True`` when nothing is left pending."""
        # The whole flush holds the lock: a retry on a timer thread and a key press must not
        # interleave their progress updates, acks and callbacks (each would see the other's
        # events as done before they were announced).
        with self._lock:
            if self._store_error is not None and self._retry_timer is None:
                self._recover_store(create=False)
            result = self._outbox.flush(self._shown_once)
            self._settle(result)
            for failed in result.failed:
                self._refused(failed)
            self._after_attempt(result.error)
            if self._closed:  # closed while events were pending: release the store once saved
                self._release_if_closed()
                return not self._outbox.pending
            if result.committed or result.failed or result.dropped:
                self._update_progress()
            self._call_back(result)
            return not self._outbox.pending

    def _settle(self, result: FlushResult) -> None:
        """Apply the committed events and acknowledge them (and undos of refused events) to the
        browser — first, before the progress and status updates: "All changes saved" waits on it."""
        acked: list[Any] = []
        for out, event_id in result.committed:
            if out.event.kind == "label":
                self._shown_saved.add(out.event.item_id)
            self._apply_committed(out.event, event_id)
            acked.extend(out.seqs)
        for out in result.dropped:  # undo of an event the database refused: nothing to write
            acked.extend(out.seqs)
            self._mark_queue(out.event.item_id)
        if acked and not self._closed:
            self.send({"type": "ack", "seqs": acked})

    def _refused(self, failed: Failed) -> None:
        """An event the database refused: its item is not done, its browser actions get an error."""
        event = failed.outgoing.event
        self._mark_queue(event.item_id)
        for seq in failed.outgoing.seqs:
            self.send({"type": "error", "seq": seq, "message": f"Not saved: {failed.reason}"})
        _log.error(
            "nblabel: the store refused a %s of item %r (%s); kept in w.failed",
            event.kind, event.item_id, failed.reason,
        )  # fmt: skip

    def _after_attempt(self, error: BaseException | None) -> None:
        """After a flush: on a transient ``error`` reset the connections and schedule a retry,
        else drop the back-off (and a timer an explicit retry made moot); then the banner."""
        if error is not None:
            self._store_error = error
            # A pooled connection may stay broken (opened while the file was read-only, or
            # to a server that has since restarted): the retry connects afresh.
            with contextlib.suppress(Exception):
                self.store.reset()
            self._schedule_retry()
        else:
            self._store_error = None
            self._retry_delay = FIRST_RETRY
            if self._retry_timer is not None:  # saved by an explicit retry: drop the timer
                self._retry_timer.cancel()
                self._retry_timer = None
        self._refresh_status()

    def _call_back(self, result: FlushResult) -> None:
        """Call the ``on_label`` callbacks with each committed label (a broken one is reported
        and saving goes on)."""
        if not self._callbacks:
            return
        for out, _event_id in result.committed:
            event = out.event
            if event.kind != "label":
                continue
            item_id = self.items.label(self.items.position_of_key(event.item_id))
            for callback in self._callbacks:
                try:
                    callback(item_id, event.value)
                except Exception:  # a broken callback must not stop saving
                    traceback.print_exc()

    def _apply_committed(self, event: Event, event_id: int) -> None:
        self._apply(event_id, event.item_id, event.kind, event.value, event.comment)
        if event.kind == "retract":
            self._mark_queue(event.item_id)

    def _is_pending(self, key: str) -> bool:
        return any(o.event.item_id == key and o.event.kind in ("label", "skip") for o in self._outbox.pending)

    def _shown_once(self, event: Event) -> dict[str, Any] | None:
        """What the item of a label event showed, the first time this widget stores it."""
        if event.kind != "label" or event.item_id in self._shown_saved:
            return None
        try:
            return self._shown(self.items.position_of_key(event.item_id))
        except Exception:  # showing the item later is a convenience: it must never stop a save
            return None

    # ------------------------------------------------------------------ failures
    def _schedule_retry(self) -> None:
        if self._retry_timer is not None:
            return
        delay = self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, LONGEST_RETRY)

        def fire() -> None:
            self._retry_timer = None
            self._flush()

        try:
            loop = asyncio.get_running_loop()
            self._retry_timer = loop.call_later(delay, fire)
        except RuntimeError:
            timer = threading.Timer(delay, fire)
            timer.daemon = True
            self._retry_timer = timer
            timer.start()

    def _recover_store(self, *, create: bool) -> None:
        """After a failure, take the store's path as it is now: a file moved back or replaced
        by another store is adopted (the task registered there, the state read from it); a
        deleted file is created anew only when asked (``create``)."""
        if not isinstance(self._store_error, StoreUnavailable):
            return
        try:
            self.store.reopen(create=create)
            self._register_task()
        except Exception as exc:  # still unusable: keep waiting, say why
            self._store_error = exc
            return
        self._store_error = None
        self._reload_state()
        self._update_progress()

    def _refresh_status(self) -> None:
        """The banner and save state from the pending and failed events and the last error."""
        pending, failed = len(self._outbox), len(self._outbox.failed)
        state = "ok" if self._store_error is None else "retrying"
        parts = [] if self._store_error is None else [self._error_message(self._store_error, pending)]
        if failed:
            state = "failed" if state == "ok" else state
            reason = self._outbox.failed[-1].reason
            parts.append(
                f"{_changes(failed)} refused by the database ({reason}): "
                "kept in w.failed; w.retry_failed() tries again"
            )
        status = {"state": state, "message": " · ".join(parts), "pending": pending}
        if failed:
            status["failed"] = failed
        if status != self._status:  # after almost every save it is unchanged: skip traitlets
            self._status = status

    def _error_message(self, error: BaseException, pending: int) -> str:
        """The banner's text for the store failure being retried."""
        if not isinstance(error, StoreUnavailable):
            return f"Not saved yet — the store failed: {describe(error, [self.store.url.password])}"
        if pending:
            held = f"{_changes(pending)} held in this kernel (w.pending_events)"
        else:
            held = "new changes will be held in this kernel"
        return (
            f"Not saved — {error}. {held}, and written as soon as a store file is back at "
            "that path; w.retry(create=True) starts a new, empty one there."
        )

    def _release_if_closed(self) -> None:
        if self._closed and self._owns_store and not self._outbox.pending:
            self.store.close()

    # ------------------------------------------------------------------ tables
    def _event_frame(self, events: list[Event]) -> pd.DataFrame:
        item_ids = [self._item_label(e.item_id, e.item_kind) for e in events]
        return pd.DataFrame(
            {
                "item_id": pd.Series(item_ids, dtype=object),
                "kind": [e.kind for e in events],
                "value": pd.Series([e.value for e in events], dtype=object),
                "comment": pd.Series([e.comment for e in events], dtype=object),
                "created_at": _utc([e.created_us for e in events]),
            }
        )

    def _item_label(self, key: str, item_kind: str) -> Any:
        try:
            return self.items.label(self.items.position_of_key(key))
        except KeyError:
            return ids.decode(key, item_kind)


def _changes(n: int) -> str:
    return f"{n} change{'s' if n != 1 else ''}"


def _utc(microseconds: list[int]) -> pd.Series:
    return pd.to_datetime(pd.Series(microseconds, dtype="int64"), unit="us", utc=True)
