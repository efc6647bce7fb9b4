"""The shared base of every labeling widget: queue, navigation, undo, skip, flag, timing,
progress, guidelines, the save pipeline and the status banner.

A task widget (``Classify``, ...) subclasses :class:`LabelWidget` and supplies three things:
how to validate and encode a value, what an item looks like in the browser, and its ESM bundle.
"""

from __future__ import annotations

import contextlib
import heapq
import logging
import os
import threading
import traceback
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import anywidget
import comm
import numpy as np
import pandas as pd
import sqlalchemy as sa
import traitlets

from ..core import ids
from ..core.event import Event, retract_target
from ..core.frames import decode_json_column
from ..core.guidelines import Guidelines, load_guidelines
from ..core.labelset import MANY_LABELS
from ..core.labelset import check_labels as _check_labels
from ..core.limits import check_name, check_text
from ..core.media import ImageError, image_payload
from ..core.policy import QueuePolicy
from ..store.failures import describe
from ..store.store import Store, StoreUnavailable, open_store
from . import poller
from .annotator_state import AnnotatorState
from .items import ItemSource
from .outbox import Outbox, Outgoing
from .queue import Queue

STATIC = Path(__file__).resolve().parents[1] / "static"  # bundles built by esbuild (js/)
_log = logging.getLogger(__name__)

#: How many upcoming items the browser holds, so the next item paints without the kernel.
PREFETCH = 5
#: An active-time gap longer than this is idle time and is not counted (also enforced in JS).
IDLE_MS = 60_000
#: Longest accepted flag comment.
MAX_COMMENT = 5_000
#: With more than ``MANY_LABELS`` labels, progress counts only this many most used labels.
TOP_COUNTS = 10


class LabelWidget(anywidget.AnyWidget):
    """Base class of the labeling widgets (not used directly)."""

    #: Task kind stored with the task ("classify", "spans", ...).
    kind: str = ""

    _css = STATIC / "nblabel.css"
    _config = traitlets.Dict().tag(sync=True)
    _progress = traitlets.Dict().tag(sync=True)
    _status = traitlets.Dict().tag(sync=True)
    _guidelines_html = traitlets.Unicode("").tag(sync=True)
    #: What a session tells this annotator (calibration phase, learner score, notices).
    _session = traitlets.Dict().tag(sync=True)

    def __init__(
        self,
        df: pd.DataFrame,
        *,
        columns: dict[str, str | None],
        labels: list[Any],
        task: str,
        annotator: str | None = None,
        store: Store | str | os.PathLike[str] | None = None,
        guidelines: str | os.PathLike[str] | None = None,
        order: str | Callable[[pd.DataFrame], Any] | None = None,
        config: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(task, str) or not task.strip():
            raise ValueError(f"task= must be a non-empty string naming the labeling task, got {task!r}")
        self.task = task
        self.annotator = _annotator_name(annotator)
        self.items = ItemSource(df, columns)
        self._labels = _check_labels(labels)
        self._label_index = {label: i for i, label in enumerate(self._labels)}
        self._check_setup(df)  # before the store: a refused widget registers no task
        # A store given as a URL or path (or None) is this widget's own: close() releases it.
        self.store, self._owns_store = open_store(store)
        try:
            self.guidelines: Guidelines | None = load_guidelines(guidelines)
            self.queue = Queue(len(self.items), self.items.priority_order(order))
            self._task_config = {"columns": self.items.columns, **(config or {})}
            self._task_fixed = tuple(config or {})
            self._register_task()

            self._client_id = uuid.uuid4().hex
            self._client_seq = 0
            self._lock = threading.RLock()
            self._outbox = Outbox(self.store)  # events accepted but not committed yet, in order
            self._closed = False
            self._store_error: BaseException | None = None  # the transient failure being retried
            self._retry_timer: Any = None
            self._retry_delay = 0.25
            # This annotator's committed events reduced to what stands (state, flags, undo list).
            self._annotator_state = AnnotatorState()
            self._state = self._annotator_state.state  # key -> (kind, value), committed
            self._flags = self._annotator_state.flags  # key -> latest comment
            # (events, highest id) of this annotator's events when the store was last read: other
            # widgets of the same annotator (a second tab, another kernel) are noticed when it moves
            self._seen_revision = (0, 0)
            self._have: set[str] = set()  # keys the browser said it holds (for windows we push)
            # Keys with a label or flag in the store but no row in this DataFrame (the task was also
            # labeled through another DataFrame, e.g. a different sample): left out of progress/undo.
            self._foreign: set[str] = set()
            self._shown_saved: set[str] = set()  # keys whose content this widget already stored
            # Progress tallies of _state (foreign keys left out), kept up to date by _apply so a
            # label costs O(1) however many items are already labeled.
            self._labeled = 0
            self._skipped = 0
            self._label_counts: dict[Any, int] = {}
            self._tallying = False  # off while _load_state replays the log (one _recount at its end)
            self._callbacks: list[Callable[[Any, Any], None]] = []
            self._current: int | None = None
            self._client_view = 0  # latest browser view number processed
            # Per browser view ("client"): the next message number to handle, and messages that
            # arrived before it (ipykernel >= 7 may hand one comm's messages to several threads).
            self._next_view: dict[str, int] = {}
            self._inbox: dict[str, dict[int, dict[str, Any]]] = {}
            # A session's queue policy (see nblabel.core.policy): which items this annotator is served,
            # what else an item shows (feedback, revealed labels, adjudication); None = every row.
            self._policy: QueuePolicy[LabelWidget] | None = None
            self._load_state()

            super().__init__(
                _config=self._base_config(config or {}),
                _guidelines_html=self.guidelines.html if self.guidelines else "",
                _status={"state": "ok", "message": "", "pending": 0},
            )
            self._current = self._first_position()
            self._update_progress()
            self.on_msg(self._on_browser_message)
        except BaseException:
            if self._owns_store:  # nothing of this widget survives: neither does its store
                self.store.close()
            raise

    # ------------------------------------------------------------------ subclass hooks
    def _check_setup(self, df: pd.DataFrame) -> None:
        """Check the task-specific options (label types, a suggestions column) once the items
        and labels are known, before the store is opened; raise to refuse the widget."""

    def _validate_value(self, value: Any, pos: int) -> Any:
        """Check a value given from Python for the item at ``pos``; return it in stored form or
        raise ``ValueError``."""
        raise NotImplementedError

    def _value_from_browser(self, payload: Any, pos: int) -> Any:
        """Turn the browser's encoding of a value for the item at ``pos`` into the stored form
        (``ValueError`` if bad)."""
        raise NotImplementedError

    def _value_to_browser(self, value: Any, pos: int) -> Any:
        """Encode a stored value of the item at ``pos`` for the browser."""
        raise NotImplementedError

    def _item_fields(self, pos: int, buffers: list[bytes]) -> dict[str, Any]:
        """Task-specific fields of the item at ``pos``; binary data is appended to ``buffers``."""
        raise NotImplementedError

    def _suggestion(self, pos: int) -> Any:
        """The model suggestion for the item at ``pos`` in stored form, or ``None``."""
        return None

    def _suggestion_record(self, pos: int, value: Any) -> Any:
        """What a label event records about the suggestion (default: the suggestion itself)."""
        return self._suggestion(pos)

    def _count_labels(self, counts: dict[Any, int], value: Any) -> None:
        """Add one stored value to the per-label counts."""
        counts[value] = counts.get(value, 0) + 1

    def _shown(self, pos: int) -> dict[str, Any]:
        """What the item at ``pos`` shows, as JSON (text fields, image references), stored with
        its first label so reports and the dashboard can show the item without the DataFrame."""
        return {}

    def _on_message(self, msg: dict[str, Any]) -> bool:
        """A browser message of a type the base does not know (the widget class's own, e.g.
        adjudication's ``ambiguous``); ``True`` when handled. Tried before the policy's."""
        return False

    def _validate_gold(self, value: Any, pos: int) -> Any:
        """Check a gold answer for the item at ``pos`` (default: as any value)."""
        return self._validate_value(value, pos)

    def _foreign_value_to_browser(self, value: Any, pos: int) -> Any:
        """Encode another annotator's stored value for this widget's browser (adjudication)."""
        return self._value_to_browser(value, pos)

    def _describe_value(self, value: Any, pos: int) -> str:
        """A value as one line of text (gold feedback, revealed labels, adjudication)."""
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) or "(none)"
        return str(value)

    def _shown_once(self, event: Event) -> dict[str, Any] | None:
        if event.kind != "label" or event.item_id in self._shown_saved:
            return None
        try:
            return self._shown(self.items.position_of_key(event.item_id))
        except Exception:  # showing the item later is a convenience: it must never stop a save
            return None

    # ------------------------------------------------------------------ public API
    @property
    def current(self) -> Any:
        """The id of the item on screen, or ``None`` when nothing is left to label."""
        if self._current is None:
            return None
        return self.items.label(self._current)

    @property
    def labels(self) -> pd.Series:
        """This annotator's current labels, aligned with the DataFrame index (``None`` = none)."""
        values: list[Any] = [None] * len(self.items)
        with self._lock:
            for key, (kind, value) in self._state.items():
                if kind == "label":
                    try:
                        values[self.items.position_of_key(key)] = value
                    except KeyError:
                        continue  # labeled in the store but no longer in this DataFrame
        return pd.Series(values, index=self.items.index, dtype=object, name=self.task)

    @property
    def annotations(self) -> pd.DataFrame:
        """Every event this annotator wrote for this task, as a long DataFrame."""
        return self.store.annotations(self.task, annotator=self.annotator)

    @property
    def session_status(self) -> dict[str, Any]:
        """In a session: this annotator's ``phase`` ("calibration", "production", "blocked"),
        the ``message`` the widget shows, and in training mode the ``score`` (empty outside a
        session)."""
        return dict(self._session)

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

    def annotate(self, item_id: Any, value: Any) -> None:
        """Label ``item_id`` with ``value`` — the same path as a key press: validated, stored,
        and the widget moves on to the next unlabeled item."""
        pos = self._served(self.items.position(item_id))
        self._label(pos, self._validate_value(value, pos))

    def _label(self, pos: int, stored: Any, comment: str | None = None) -> None:
        self._record(pos, "label", stored, active_ms=None, comment=comment)
        self._after_record(pos)

    def skip(self, item_id: Any = None) -> None:
        """Skip ``item_id`` (default: the current item) and move on."""
        pos = self._resolve(item_id)
        self._record(pos, "skip", None, active_ms=None)
        self._after_record(pos)

    def _after_record(self, pos: int) -> None:
        """Move on and show the next item once a label or skip is recorded. Nothing here may
        raise: the event is already accepted, and an exception would tell a caller of
        :meth:`annotate` that nothing was stored (a retry would label twice)."""
        try:
            self._move_after(pos)
        except Exception:
            _log.exception("nblabel: moving on after item %r failed", self.items.label(pos))
            self._current = pos
        self._push_window()

    def flag(self, item_id: Any = None, comment: str = "") -> None:
        """Flag ``item_id`` (default: the current item) as an edge case, with a comment."""
        pos = self._resolve(item_id)
        self._record(pos, "flag", None, active_ms=None, comment=_check_comment(comment))
        self._push_window()

    def undo(self) -> Any:
        """Retract this annotator's latest standing label or skip and go back to that item.

        Only events read when the widget opened and those it wrote itself are undone: a label
        that another widget of the same annotator (a second tab or kernel) gave meanwhile is
        never withdrawn from here. Returns the item id that was undone, or ``None`` when there
        is nothing to undo.
        """
        pos = self._undo()
        self._push_window()
        return None if pos is None else self.items.label(pos)

    def goto(self, item_id: Any) -> None:
        """Show ``item_id``."""
        self._current = self._served(self.items.position(item_id))
        self._push_window()

    def on_label(self, callback: Callable[[Any, Any], None]) -> None:
        """Call ``callback(item_id, value)`` after each label is committed to the store."""
        self._callbacks.append(callback)

    def retry(self, *, create: bool = False) -> bool:
        """Try to write pending events now; ``True`` when none is left.

        If the store's file was deleted while the widget had it open, the pending events wait
        until a file is back at that path; ``create=True`` starts a new, empty store file there
        instead and writes them into it.
        """
        if self._store_error is not None:
            self._recover_store(create=create)
        return self._flush()

    def sync(self) -> bool:
        """Read this annotator's events that other widgets (another tab or kernel using the
        same task and annotator) wrote since the last look, and show them; ``True`` if any.
        Widgets shown in a browser do this by themselves about once a second."""
        changed = self._sync()
        if changed:
            self._push_window(self._have)
        return changed

    # ------------------------------------------------------------------ the policy-facing API
    # What a queue policy (a session, an adjudication) calls: the widget side of
    # nblabel.sessions.policy.Labeler. Policies use these and nothing private.
    @property
    def label_set(self) -> list[Any]:
        """The task's labels as checked at construction (``labels=``), in order."""
        return list(self._labels)

    def item_key(self, pos: int) -> str:
        """The stored key of the item at position ``pos`` of the DataFrame."""
        return self.items.key(pos)

    def standing(self, key: str) -> tuple[str, Any] | None:
        """This annotator's committed ``(kind, value)`` of item ``key`` ("label" or "skip"), or
        ``None`` when nothing stands."""
        return self._state.get(key)

    def describe(self, value: Any, pos: int) -> str:
        """A stored value of the item at ``pos`` as one line of text (gold feedback, revealed
        labels, adjudication)."""
        return self._describe_value(value, pos)

    def browser_value(self, value: Any, pos: int) -> Any:
        """Another annotator's stored value of the item at ``pos`` in this widget's browser
        encoding (what "Use" sends back when adjudicating)."""
        return self._foreign_value_to_browser(value, pos)

    def validate_gold(self, value: Any, pos: int) -> Any:
        """A gold answer for the item at ``pos`` in stored form (``ValueError`` or
        ``TypeError`` when it is not a valid value)."""
        return self._validate_gold(value, pos)

    def show_session(self, state: dict[str, Any]) -> None:
        """Show what a session tells this annotator (``phase``, ``message``, ``score``,
        ``notice``, ...); :attr:`session_status` returns it."""
        self._session = dict(state)

    def use_guidelines(self, guidelines: Guidelines) -> None:
        """Show new guidelines; later events record their version."""
        self.guidelines = guidelines
        self._guidelines_html = guidelines.html
        self._config = {**self._config, "has_guidelines": True, "guideline_version": guidelines.version}

    def extend_queue(self, positions: Sequence[int] | np.ndarray) -> None:
        """Serve ``positions`` too, after the items already queued (a calibration gate
        opening); the total and progress follow."""
        with self._lock:
            self.queue.extend(positions)
        self._config = {**self._config, "total": self.queue.size}
        self._update_progress()

    def use_policy(self, policy: QueuePolicy[LabelWidget]) -> None:
        """Serve the items ``policy`` chooses (a session's assignment) instead of every row,
        and call it back around each answer (see :class:`nblabel.core.policy.QueuePolicy`)."""
        with self._lock:
            self._policy = policy
            self.queue = Queue(len(self.items), np.asarray(policy.queue(self), dtype=np.int64))
            self._mark_done()
            self._current = self._first_position()
        self._config = {**self._config, "total": self.queue.size}
        self._update_progress()

    # ------------------------------------------------------------------ state
    def _register_task(self) -> None:
        self.store.register_task(
            self.task, self.kind, self._labels, self._task_config, fixed=self._task_fixed
        )

    def _load_state(self) -> None:
        """Rebuild this annotator's state from the store (resume after a kernel restart)."""
        self._seen_revision = self.store.revision(self.task, annotator=self.annotator)
        rows = self.store.events(self.task, annotator=self.annotator)
        values = decode_json_column([row[6] for row in rows])  # each distinct label parsed once
        for row, value in zip(rows, values, strict=True):
            self._apply(row[0], row[2], row[5], value, row[7])
        for key in self._state:
            try:
                self.queue.mark(self.items.position_of_key(key))
            except KeyError:
                self._foreign.add(key)
        for key in self._flags:
            try:
                self.items.position_of_key(key)
            except KeyError:
                self._foreign.add(key)
        self._recount()

    def _reload_state(self) -> None:
        """Read the state again from the store (it is another file now); pending events stay."""
        self._annotator_state.clear()
        self._foreign.clear()
        self._shown_saved.clear()
        self._tallying = False
        self.queue.done[:] = False
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
        if change is not None and self._tallying and key not in self._foreign:
            old, new = change
            if old is not new:
                if old is not None:
                    self._tally(old, -1)
                if new is not None:
                    self._tally(new, 1)
        return True

    def _tally(self, entry: tuple[str, Any], sign: int) -> None:
        """Add (``sign=1``) or remove (``-1``) one standing label/skip from the progress tallies."""
        kind, value = entry
        if kind != "label":
            self._skipped += sign
            return
        self._labeled += sign
        counts: dict[Any, int] = {}
        self._count_labels(counts, value)
        for label, n in counts.items():
            self._label_counts[label] = self._label_counts.get(label, 0) + sign * n

    def _recount(self) -> None:
        """Recompute the progress tallies from ``_state`` (after loading, once foreign keys are
        known); from then on ``_apply`` keeps them up to date."""
        labeled = skipped = 0
        counts: dict[Any, int] = {}
        for key, (kind, value) in self._state.items():
            if key in self._foreign:
                continue  # labeled through another DataFrame of the same task
            if kind == "label":
                labeled += 1
                self._count_labels(counts, value)
            else:
                skipped += 1
        self._labeled, self._skipped, self._label_counts = labeled, skipped, counts
        self._tallying = True

    def _sync(self) -> bool:
        """Apply this annotator's events written elsewhere since the store was last read."""
        with self._lock:
            revision = self.store.revision(self.task, annotator=self.annotator)
            if revision == self._seen_revision:
                return False
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
            rows = [r for r in rows if r[0] not in known and r[12] != self._client_id]
            values = decode_json_column([row[6] for row in rows])
            for row, value in zip(rows, values, strict=True):
                key, kind = row[2], row[5]
                if key not in self._foreign and not self._in_frame(key):
                    self._foreign.add(key)  # left out of progress, like at load time
                self._apply(row[0], key, kind, value, row[7], own=False)
                if kind in ("label", "skip", "retract"):
                    self._mark_queue(key)
            if rows:
                self._update_progress()
            return bool(rows)

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

    def _first_position(self) -> int | None:
        first = self.queue.next_undone(None, 1)
        return first[0] if first else None

    def _resolve(self, item_id: Any) -> int:
        if item_id is None:
            if self._current is None:
                raise ValueError("there is no current item (everything is labeled)")
            return self._current
        return self._served(self.items.position(item_id))

    def _served(self, pos: int) -> int:
        """``pos`` if this annotator's queue serves it, else a ``ValueError`` (in a session an
        annotator labels only the items assigned to them)."""
        if self.queue.serves(pos):
            return pos
        raise ValueError(
            f"item {self.items.label(pos)!r} is not in {self.annotator!r}'s queue for task {self.task!r}"
        )

    def _mark_done(self) -> None:
        """Mark every item with a standing label or skip as done in the queue."""
        for key in self._state:
            if key not in self._foreign:
                self.queue.mark(self.items.position_of_key(key), True)

    def _move_after(self, pos: int) -> None:
        if self._policy is not None:
            self._policy.advance(self, pos)  # may open more items (a calibration gate)
        nxt = self.queue.next_undone(pos, 1)
        self._current = nxt[0] if nxt else None

    # ------------------------------------------------------------------ the save pipeline
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
        key, item_kind = self.items.key_and_kind(pos)
        with self._lock:
            self._client_seq += 1
            event = Event(
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
                client_id=self._client_id,
                client_seq=self._client_seq,
            )
            # A value the store cannot hold is the caller's error, raised now: queued, it would
            # fail every retry and hold back every later event.
            event.row()
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

    def _flush(self) -> bool:
        """Write pending events in order. A transient failure keeps them all, shows a banner
        and schedules a retry; an event the database refuses is set aside (``failed``) and
        the ones behind it go on."""
        # The whole flush holds the lock: a retry on a timer thread and a key press must not
        # interleave their progress updates, acks and callbacks (each would see the other's
        # events as done before they were announced).
        with self._lock:
            if self._store_error is not None and self._retry_timer is None:
                self._recover_store(create=False)
            result = self._outbox.flush(self._shown_once)
            acked: list[Any] = []
            for out, event_id in result.committed:
                event = out.event
                if event.kind == "label":
                    self._shown_saved.add(event.item_id)
                self._apply_committed(event, event_id)
                acked.extend(out.seqs)
            for out in result.dropped:  # undo of an event the database refused: nothing to write
                acked.extend(out.seqs)
                self._mark_queue(out.event.item_id)
            if acked and not self._closed:
                # First, before the progress and status updates: "All changes saved" waits on it.
                self.send({"type": "ack", "seqs": acked})
            for failed in result.failed:
                self._mark_queue(failed.outgoing.event.item_id)
                for seq in failed.outgoing.seqs:
                    self.send({"type": "error", "seq": seq, "message": f"Not saved: {failed.reason}"})
                _log.error(
                    "nblabel: the store refused a %s of item %r (%s); kept in w.failed",
                    failed.outgoing.event.kind, failed.outgoing.event.item_id, failed.reason,
                )
            if result.error is not None:
                self._store_error = result.error
                # A pooled connection may stay broken (opened while the file was read-only, or
                # to a server that has since restarted): the retry connects afresh.
                with contextlib.suppress(Exception):
                    self.store.reset()
                self._schedule_retry()
            else:
                self._store_error = None
                self._retry_delay = 0.25
                if self._retry_timer is not None:  # saved by an explicit retry: drop the timer
                    self._retry_timer.cancel()
                    self._retry_timer = None
            self._refresh_status()
            if self._closed:  # closed while events were pending: release the store once saved
                self._release_if_closed()
                return not self._outbox.pending
            if result.committed or result.failed or result.dropped:
                self._update_progress()
            for out, _event_id in result.committed:
                event = out.event
                if event.kind == "label":
                    item_id = self.items.label(self.items.position_of_key(event.item_id))
                    for callback in self._callbacks:
                        try:
                            callback(item_id, event.value)
                        except Exception:  # a broken callback must not stop saving
                            traceback.print_exc()
            return not self._outbox.pending

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
        parts = []
        state = "ok"
        error = self._store_error
        if error is not None:
            state = "retrying"
            if isinstance(error, StoreUnavailable):
                if pending:
                    held = f"{_changes(pending)} held in this kernel (w.pending_events)"
                else:
                    held = "new changes will be held in this kernel"
                parts.append(
                    f"Not saved — {error}. {held}, and written as soon as a store file is back at "
                    "that path; w.retry(create=True) starts a new, empty one there."
                )
            else:
                reason = describe(error, [self.store.url.password])
                parts.append(f"Not saved yet — the store failed: {reason}")
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
        self._status = status

    def _apply_committed(self, event: Event, event_id: int) -> None:
        self._apply(event_id, event.item_id, event.kind, event.value, event.comment)
        if event.kind == "retract":
            self._mark_queue(event.item_id)

    def _is_pending(self, key: str) -> bool:
        return any(o.event.item_id == key and o.event.kind in ("label", "skip") for o in self._outbox.pending)

    def _schedule_retry(self) -> None:
        if self._retry_timer is not None:
            return
        delay = self._retry_delay
        self._retry_delay = min(self._retry_delay * 2, 10.0)

        def fire() -> None:
            self._retry_timer = None
            self._flush()

        try:
            import asyncio

            loop = asyncio.get_running_loop()
            self._retry_timer = loop.call_later(delay, fire)
        except RuntimeError:
            timer = threading.Timer(delay, fire)
            timer.daemon = True
            self._retry_timer = timer
            timer.start()

    def _undo(self, browser_seqs: list[Any] | None = None) -> int | None:
        with self._lock:
            target = self._undo_target()
            if target is None:
                if browser_seqs:
                    self.send({"type": "ack", "seqs": browser_seqs})
                return None
            key, event_id, seq = target
        pos = self.items.position_of_key(key)
        self._record(
            pos,
            "retract",
            None if event_id is None else {"retracts": event_id},
            active_ms=None,
            browser_seqs=browser_seqs,
            target_seq=seq,
        )
        self._current = pos
        return pos

    def _undo_target(self) -> tuple[str, int | None, int | None] | None:
        """The latest event this widget may undo: ``(key, store id, None)`` when committed,
        ``(key, None, client_seq)`` when still pending; ``None`` when there is none."""
        candidates: list[tuple[str, int | None, int | None]] = [
            (key, event_id, None) for key, event_id in self._annotator_state.undoable
        ]
        for out in self._outbox.pending:
            event = out.event
            if event.kind in ("label", "skip"):
                candidates.append((event.item_id, None, event.client_seq))
            elif event.kind == "retract":  # a pending undo already withdraws its target
                withdrawn = (event.item_id, retract_target(event.value), out.target_seq)
                if withdrawn in candidates:
                    candidates.remove(withdrawn)
        # Only items of this DataFrame can be undone here (the task may hold labels given
        # through another DataFrame, e.g. a different sample of the same data).
        if self._foreign:
            candidates = [c for c in candidates if c[0] not in self._foreign]
        return candidates[-1] if candidates else None

    # ------------------------------------------------------------------ progress
    def _update_progress(self) -> None:
        foreign = self._foreign  # labeled through another DataFrame of the same task: not counted
        with self._lock:
            labeled, skipped, counts = self._labeled, self._skipped, self._label_counts
            flagged = len(self._flags) - (len(foreign.intersection(self._flags)) if foreign else 0)
        progress: dict[str, Any] = {
            "total": self.queue.size,
            "labeled": labeled,
            "skipped": skipped,
            "flagged": flagged,
            "remaining": self.queue.remaining,
        }
        if len(self._labels) <= MANY_LABELS:
            progress["counts"] = [counts.get(label, 0) for label in self._labels]
        else:
            # A taxonomy: one count per label would make every key press a message as long as
            # the label list. Send the most used labels (by index) and how many are in use.
            progress.update(_top_counts(counts, self._label_index))
        self._progress = progress

    # ------------------------------------------------------------------ browser protocol
    def _base_config(self, extra: dict[str, Any]) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "task": self.task,
            "annotator": self.annotator,
            "store": self.store.location,
            "total": len(self.items),
            "empty_message": "" if len(self.items) else "This DataFrame has no rows: nothing to label.",
            "idle_ms": IDLE_MS,
            "has_guidelines": self.guidelines is not None,
            "guideline_version": self.guidelines.version if self.guidelines else None,
            **self._browser_config(),
        }

    def _browser_config(self) -> dict[str, Any]:
        """Task-specific configuration for the browser (labels, hotkeys, ...)."""
        return {}

    def _on_browser_message(self, _widget: Any, msg: dict[str, Any], _buffers: list[bytes]) -> None:
        """Handle the browser's messages one at a time, in the order each view sent them.

        ipykernel >= 7 routes a comm's messages to the main thread or to a subshell thread, so
        they can arrive concurrently and out of order (an undo handled before the label it
        undoes). Each view numbers its messages 1, 2, 3, ... (``view``) under a random
        ``client`` id; a message that arrives early waits for the ones before it.
        """
        client, view = msg.get("client"), msg.get("view")
        with self._lock:
            if not isinstance(client, str) or not isinstance(view, int) or isinstance(view, bool):
                self._handle_browser_message(msg)
                return
            expected = self._next_view.get(client, 1)
            if view < expected:
                return  # a duplicate
            inbox = self._inbox.setdefault(client, {})
            inbox[view] = msg
            if len(inbox) > 1000:  # a message was lost: go on with what is there, in order
                expected = min(inbox)
            while expected in inbox:
                ready = inbox.pop(expected)
                expected += 1
                self._next_view[client] = expected
                try:
                    self._handle_browser_message(ready)
                except Exception:  # keep handling the rest in order; the error is in the log
                    _log.exception("nblabel: failed to handle %r", ready.get("type"))

    def _handle_browser_message(self, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        view = msg.get("view")
        if isinstance(view, int):
            self._client_view = max(self._client_view, view)
        have = set(msg.get("have") or [])
        self._have = have
        try:
            if kind == "hello":
                if not isinstance(getattr(self, "comm", None), comm.DummyComm):
                    poller.watch(self)  # shown in a browser: keep it in step with the store
            elif kind in ("label", "skip"):
                pos = self._served(self.items.position_of_key(str(msg["key"])))
                value = self._value_from_browser(msg.get("value"), pos) if kind == "label" else None
                comment = msg.get("comment")
                self._record(
                    pos,
                    kind,
                    value,
                    active_ms=_clamp_ms(msg.get("active_ms")),
                    comment=_check_comment(comment) if comment else None,
                    browser_seqs=_seqs(msg),
                )
                self._move_after(pos)
            elif kind == "flag":
                pos = self.items.position_of_key(str(msg["key"]))
                self._record(
                    pos,
                    "flag",
                    None,
                    active_ms=None,
                    comment=_check_comment(str(msg.get("comment") or "")),
                    browser_seqs=_seqs(msg),
                )
            elif kind == "undo":
                self._undo(browser_seqs=_seqs(msg))
            elif kind == "goto":
                self._current = self._served(self.items.position_of_key(str(msg["key"])))
            elif kind == "nav":
                step = 1 if msg.get("step", 1) > 0 else -1
                anchor = self._current
                if msg.get("key") is not None:
                    anchor = self.items.position_of_key(str(msg["key"]))
                if anchor is None and self.queue.size:  # past the end: step back onto the queue
                    self._current = self.queue.at_rank(self.queue.size - 1 if step < 0 else 0)
                elif anchor is not None:
                    nxt = self.queue.neighbour(anchor, step)
                    if nxt is not None:
                        self._current = nxt
            elif not self._on_message(msg) and (self._policy is None or not self._policy.handle(self, msg)):
                return
        except (KeyError, ValueError, TypeError) as exc:
            self.send({"type": "error", "seq": msg.get("seq"), "message": _short(exc)})
        self._push_window(have)

    def _push_window(self, have: set[str] | None = None) -> None:
        """Send the current item, the next unlabeled items and the neighbours to the browser."""
        have = have or set()
        buffers: list[bytes] = []
        cur = self._current
        positions: list[int] = []
        upcoming: list[int] = []
        prev = nxt = None
        if cur is not None:
            upcoming = self.queue.next_undone(cur, PREFETCH)
            prev = self.queue.neighbour(cur, -1)
            nxt = self.queue.neighbour(cur, 1)
            positions = [cur, *upcoming] + [p for p in (prev, nxt) if p is not None]
        items = []
        seen: set[int] = set()
        for pos in positions:
            if pos in seen:
                continue
            seen.add(pos)
            items.append(self._item(pos, buffers, include_payload=self.items.key(pos) not in have))
        key = self.items.key
        self.send(
            {
                "type": "window",
                "view": self._client_view,
                # per view: the latest of its messages handled, so each view of the widget
                # (displayed twice, two tabs) can ignore windows older than its own last action
                "views": {client: n - 1 for client, n in self._next_view.items()},
                "current": None if cur is None else key(cur),
                "upcoming": [key(p) for p in upcoming],
                "prev": None if prev is None else key(prev),
                "next": None if nxt is None else key(nxt),
                "items": items,
                "prefetch": PREFETCH,
                # the queue may grow when it is finished (a calibration gate): never "all done" early
                "more": bool(self._policy is not None and self._policy.may_open_more()),
            },
            buffers,
        )

    def _item(self, pos: int, buffers: list[bytes], *, include_payload: bool) -> dict[str, Any]:
        key = self.items.key(pos)
        state = self._state.get(key)
        item: dict[str, Any] = {
            "key": key,
            "rank": self.queue.rank_of(pos) + 1,
            "status": state[0] if state else None,
            "value": self._value_to_browser(state[1], pos) if state and state[0] == "label" else None,
            "flag": self._flags.get(key),
        }
        if include_payload:
            try:
                item["payload"] = self._item_fields(pos, buffers)
            except Exception as exc:  # an item that cannot be shown must not fail the window
                _log.exception("nblabel: cannot show item %r", self.items.label(pos))
                item["payload"] = {"id": str(self.items.label(pos)), "error": _short(exc)}
        if self._policy is not None:
            item.update(self._policy.item_fields(self, pos))
        return item

    def _image_field(self, pos: int, buffers: list[bytes]) -> dict[str, Any] | None:
        """The ``image`` field of an item: a buffer reference, or the error to show."""
        if not self.items.has("image"):
            return None
        cell = self.items.cell("image", pos)
        if cell is None:
            return {"error": "(no image)"}
        try:
            data, mime = image_payload(cell)
        except ImageError as exc:
            return {"error": str(exc)}
        except Exception as exc:  # whatever Pillow or numpy raise: the item shows the reason
            return {"error": f"cannot show this image ({type(exc).__name__}: {exc})"}
        buffers.append(data)
        return {"buffer": len(buffers) - 1, "mime": mime}

    def _repr_keys(self) -> list[str]:  # pragma: no cover - debugging aid
        return list(self._state)

    def close(self) -> None:
        """Close the widget: stop its background work, write what is pending, and release the
        store if the widget opened it (``store=`` a URL, a path or ``None``); a :class:`Store`
        passed in stays open for its owner. If the store is failing, the pending events stay
        queued and retried, and the store is released once they are written: closing never
        loses a label."""
        if "_outbox" not in self.__dict__:  # __init__ failed early: nothing of ours to stop
            super().close()
            return
        self._closed = True
        self._stop_background()
        if self._outbox.pending:
            with contextlib.suppress(Exception):
                self._flush()  # a failure schedules a retry, which releases the store later
        super().close()
        self._release_if_closed()

    def _release_if_closed(self) -> None:
        if self._closed and self._owns_store and not self._outbox.pending:
            self.store.close()


# ---------------------------------------------------------------------- helpers
def _annotator_name(annotator: str | None) -> str:
    if annotator is None:
        annotator = os.environ.get("NBLABEL_ANNOTATOR") or os.environ.get("USER") or "anonymous"
    if not isinstance(annotator, str) or not annotator.strip():
        raise ValueError(f"annotator= must be a non-empty string, got {annotator!r}")
    return check_name(annotator, "annotator=")


def _top_counts(counts: dict[Any, int], index: dict[Any, int], n: int = TOP_COUNTS) -> dict[str, Any]:
    """The ``n`` most used labels as ``[[label index, count], ...]`` (most used first, ties in
    label order) and how many labels are in use."""
    used = [(count, -index[label]) for label, count in counts.items() if count > 0 and label in index]
    top = heapq.nlargest(n, used)
    return {"top": [[-neg, count] for count, neg in top], "used": len(used)}


def _check_comment(comment: Any) -> str:
    if not isinstance(comment, str):
        raise TypeError(f"a flag comment must be text, got {type(comment).__name__}")
    if len(comment) > MAX_COMMENT:
        raise ValueError(f"a flag comment may hold {MAX_COMMENT} characters, got {len(comment)}")
    return check_text(comment, "the comment")


def _seqs(msg: dict[str, Any]) -> list[Any] | None:
    """The browser's id for an acknowledged action: opaque (``client/n``), echoed in the ack."""
    seq = msg.get("seq")
    if isinstance(seq, (str, int)) and not isinstance(seq, bool):
        return [seq]
    return None


def _clamp_ms(value: Any) -> int | None:
    if not isinstance(value, (int, float)) or value != value:
        return None
    return max(0, min(int(value), 24 * 3600 * 1000))


def _changes(n: int) -> str:
    return f"{n} change{'s' if n != 1 else ''}"


def _utc(microseconds: list[int]) -> pd.Series:
    return pd.to_datetime(pd.Series(microseconds, dtype="int64"), unit="us", utc=True)


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
