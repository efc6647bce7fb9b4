"""The shared base of every labeling widget: queue, navigation, undo, skip, flag, timing,
progress, guidelines, the save pipeline and the status banner.

A task widget (``Classify``, ...) subclasses :class:`LabelWidget` and supplies three things:
how to encode a value for the browser (its task kind, :attr:`LabelWidget.task_kind`, checks,
counts and describes values), what an item looks like in the browser, and its ESM bundle
(the subclass hooks below). :class:`LabelWidget` is assembled from parts with one job each:

- :class:`~nblabel.widgets.saving.SavePipeline` — record, flush, retry, the status banner,
  recovering a replaced store file; ``pending``, ``failed`` and friends;
- :class:`~nblabel.widgets.state_sync.StateSync` — this annotator's state loaded from the store,
  committed events applied, other widgets' events picked up (``sync``, the poller);
- :class:`~nblabel.widgets.progress.Progress` — the running tallies and the ``_progress`` trait;
- :class:`~nblabel.widgets.navigation.Navigation` — the current item, moving on, undo;
- :class:`~nblabel.widgets.browser.BrowserProtocol` — the browser's messages in order, windows.

This module holds the class itself: its traits, construction, the public API, the API a
session's policy uses (:class:`nblabel.sessions.policy.Labeler`) and the subclass hooks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import anywidget
import numpy as np
import pandas as pd
import traitlets

from ..core import registry
from ..core.guidelines import Guidelines, load_guidelines
from ..core.labelset import check_labels as _check_labels
from ..core.limits import check_name
from ..core.policy import PollingPolicy, QueuePolicy
from ..store.store import Store, open_store
from .active import MIN_PER_LABEL, REFIT_EVERY, ActiveOrder, check_active, static_why
from .assets import STATIC
from .browser import IDLE_MS, PREFETCH, BrowserProtocol
from .dashboard import Dashboard
from .items import ItemSource
from .messages import MAX_COMMENT, check_comment
from .navigation import Navigation
from .progress import TOP_COUNTS, Progress
from .queue import Queue
from .saving import SavePipeline
from .state_sync import StateSync
from .suggester import DEFAULT_BATCH, Suggester, check_show, shows

__all__ = ["IDLE_MS", "MAX_COMMENT", "PREFETCH", "STATIC", "TOP_COUNTS", "LabelWidget"]


class LabelWidget(SavePipeline, StateSync, Progress, Navigation, BrowserProtocol, anywidget.AnyWidget):
    """Base class of the labeling widgets (not used directly)."""

    #: Task kind stored with the task ("classify", "spans", ...).
    kind: str = ""
    #: Whether the task has a label set (``False``: a written answer, whose ``labels`` are ``[]``).
    labeled: bool = True
    #: Whether the browser shows a suggestion (``False``: suggestions are recorded, never
    #: shown; ``None``: the widget shows its own, such as a text's draft, and records no flag).
    suggestion_ui: bool | None = False

    _css = STATIC / "nblabel.css"
    _config = traitlets.Dict().tag(sync=True)
    _progress = traitlets.Dict().tag(sync=True)
    _status = traitlets.Dict().tag(sync=True)
    _guidelines_html = traitlets.Unicode("").tag(sync=True)
    #: What a session tells this annotator (calibration phase, learner score, notices).
    _session = traitlets.Dict().tag(sync=True)
    #: The suggestion engine's state: ``error``, a model failure the banner shows.
    _suggest = traitlets.Dict().tag(sync=True)

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
        suggest: str | Callable[[pd.DataFrame], Any] | None = None,
        suggest_name: str | None = None,
        suggest_version: str | None = None,
        suggest_batch: int = DEFAULT_BATCH,
        show_suggestions: bool | float = True,
        model: Any = None,
        refit_every: int = REFIT_EVERY,
        min_per_label: int = MIN_PER_LABEL,
    ) -> None:
        if not isinstance(task, str) or not task.strip():
            raise ValueError(f"task= must be a non-empty string naming the labeling task, got {task!r}")
        self.task = task
        self.annotator = _annotator_name(annotator)
        self.items = ItemSource(df, columns)
        self._labels = _check_labels(labels) if labels or self.labeled else []
        self._label_index = {label: i for i, label in enumerate(self._labels)}
        self._kind_config = dict(config or {})  # the task kind's options (multi=, overlap=, ...)
        # suggest= (a model's suggestions, nblabel.widgets.suggester): checked before the store too.
        self._show_suggestions = check_show(show_suggestions)
        self._suggester = (
            None if suggest is None
            else Suggester(self, suggest, name=suggest_name, version=suggest_version, batch=suggest_batch)
        )  # fmt: skip
        self._check_setup(df)  # before the store: a refused widget registers no task
        # Active ordering (order="uncertainty", model=): checked before the store too.
        strategy = check_active(order, model, refit_every, min_per_label, list(df.columns))
        self._active = (
            None
            if strategy is None
            # a re-rank leaves the items already in the browser (on screen and PREFETCH ahead) in place
            else ActiveOrder(self, strategy, model, refit_every, min_per_label, keep=PREFETCH)
        )
        self._order_option = order  # order= as given (why() explains it)
        # A store given as a URL or path (or None) is this widget's own: close() releases it.
        self.store, self._owns_store = open_store(store)
        try:
            self._open(guidelines, order, config or {})
        except BaseException:
            if self._owns_store:  # nothing of this widget survives: neither does its store
                self.store.close()
            raise

    def _open(
        self,
        guidelines: str | os.PathLike[str] | None,
        order: str | Callable[[pd.DataFrame], Any] | None,
        config: dict[str, Any],
    ) -> None:
        """Construction once the store is open: register the task, set up each part, replay
        this annotator's events, then the traits and the first item."""
        self.guidelines: Guidelines | None = load_guidelines(guidelines)
        self.queue = Queue(len(self.items), None if self._active else self.items.priority_order(order))
        self._task_config = {"columns": self.items.columns, **config}
        self._task_fixed = tuple(config)
        self._register_task()
        self._lock = threading.RLock()
        self._init_saving()
        self._init_state()
        self._init_progress()
        self._init_browser()
        self._callbacks: list[Callable[[Any, Any], None]] = []
        self._current: int | None = None
        # A session's queue policy (see nblabel.core.policy): which items this annotator is served,
        # what else an item shows (feedback, revealed labels, adjudication); None = every row.
        self._policy: QueuePolicy[LabelWidget] | None = None
        self._load_state()
        super().__init__(
            _config=self._base_config(config),
            _guidelines_html=self.guidelines.html if self.guidelines else "",
            _status={"state": "ok", "message": "", "pending": 0},
        )
        if self._active is not None:
            self._active.start()  # the cold-start order; a first fit in the background
        self._current = self._first_position()
        self._update_progress()
        self.on_msg(self._on_browser_message)
        if self._suggester is not None:
            self._suggester.start()  # stored suggestions, then batches ahead, in the background

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

    def flag(self, item_id: Any = None, comment: str = "") -> None:
        """Flag ``item_id`` (default: the current item) as an edge case, with a comment."""
        pos = self._resolve(item_id)
        self._record(pos, "flag", None, active_ms=None, comment=check_comment(comment))
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

    def why(self, item_id: Any = None, detail: bool = False) -> str | dict[str, Any]:
        """Why ``item_id`` (default: the current item) is served where it is: one line such as
        ``"uncertainty 0.48 (model v3 fit on 40 labels; P(pos)=0.52, P(neg)=0.48)"``,
        ``"cold start: random, ..."`` or ``"DataFrame order"``; ``detail=True`` returns a dict
        (``reason``, ``score``, ``probabilities``, ``model_version``, ...) with the line as ``text``."""
        pos = self._resolve(item_id)
        with self._lock:
            if self._active is None:
                info = static_why(self, pos, self._order_option)
            else:
                info = {**self._active.explain(pos), "text": self._active.why_text(pos)}
        return info if detail else str(info["text"])

    def on_label(self, callback: Callable[[Any, Any], None]) -> None:
        """Call ``callback(item_id, value)`` after each label is committed to the store."""
        self._callbacks.append(callback)

    def sync(self) -> bool:
        """Read this annotator's events that other widgets (another tab or kernel using the
        same task and annotator) wrote since the last look, and show them; in a session, also
        serve the items that became this annotator's meanwhile (an escalation: a widget that
        was done shows the first of them). ``True`` if anything changed. Widgets shown in a
        browser do this by themselves about once a second."""
        changed = self._sync()
        policy = self._policy
        if isinstance(policy, PollingPolicy):
            before = (self.queue.size, self._current)
            policy.poll(self)
            with self._lock:
                if self._current is None:
                    self._current = self._first_position()
                changed = changed or (self.queue.size, self._current) != before
        if changed:
            self._push_window(self._have)
        return changed

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
        if self._suggester is not None:
            self._suggester.close()
        if self._active is not None:
            self._active.close()
        self._stop_background()
        if self._outbox.pending:
            with contextlib.suppress(Exception):
                self._flush()  # a failure schedules a retry, which releases the store later
        super().close()
        self._release_if_closed()

    def _repr_keys(self) -> list[str]:  # pragma: no cover - debugging aid
        return list(self._state)

    # ------------------------------------------------------------------ the policy-facing API
    # What a queue policy (a session, an adjudication) calls: the widget side of
    # nblabel.sessions.policy.Labeler. Policies use these and nothing private.
    @classmethod
    def dashboard(cls, store: Store | str | os.PathLike[str] | None, task: str, **options: Any) -> Dashboard:
        """The live :class:`~nblabel.Dashboard` of ``task`` (``options`` as it takes them): how
        ``session.dashboard()`` reaches it, through the widget class the session labels with,
        without importing widget code."""
        return Dashboard(store, task, **options)

    @functools.cached_property
    def task_kind(self) -> registry.TaskKind:
        """The task's kind (:mod:`nblabel.kinds`): how its values are checked, counted and described."""
        return registry.for_task(self.kind, self._kind_config)

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
        if state != self._session:  # after most answers it is unchanged: skip traitlets
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
            if self._active is not None:
                self._active.rerank()
        self._config = {**self._config, "total": self.queue.size}
        self._update_progress()

    def use_policy(self, policy: QueuePolicy[LabelWidget]) -> None:
        """Serve the items ``policy`` chooses (a session's assignment) instead of every row,
        and call it back around each answer (see :class:`nblabel.core.policy.QueuePolicy`)."""
        with self._lock:
            self._policy = policy
            self.queue = Queue(len(self.items), np.asarray(policy.queue(self), dtype=np.int64))
            self._mark_done()
            if self._active is not None:
                self._active.rerank(keep_current=False)  # movable items only (RankingPolicy)
            self._current = self._first_position()
        self._config = {**self._config, "total": self.queue.size}
        self._update_progress()

    # ------------------------------------------------------------------ subclass hooks
    def _check_setup(self, df: pd.DataFrame) -> None:
        """Check the task-specific options (label types, a suggestions column) once the items
        and labels are known, before the store is opened; raise to refuse the widget."""

    def _validate_value(self, value: Any, pos: int) -> Any:
        """Check a value given from Python for the item at ``pos``; return it in stored form or
        raise ``ValueError`` (the task kind's ``check_value``)."""
        return self.task_kind.check_value(value, self._item_context(pos))

    def _item_context(self, pos: int) -> registry.ItemContext:
        """What the task kind may know of the item at ``pos`` when it checks a value (a widget
        adds its text, image size, ...)."""
        where = f"row {self.items.label(pos)!r}"
        return registry.ItemContext(where, self._labels, self._kind_config, label_index=self._label_index)

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
        """The model suggestion for the item at ``pos`` in stored form, or ``None`` (default:
        the ``suggest=`` model's, once ready)."""
        return self._suggested_cell(pos)

    def _check_model_value(self, value: Any, pos: int) -> Any:
        """A model's output for the item at ``pos`` in stored form: the task kind's
        ``check_value`` on the item as the task records it (the task's own config, no sides
        swapped: a model sees the columns as they are)."""
        item = dataclasses.replace(self._item_context(pos), swapped=False, config=self._kind_config)
        return self.task_kind.check_value(value, item)

    def _suggested_cell(self, pos: int) -> Any:
        """The raw suggestion for the item at ``pos``: the ``suggest=`` model's (stored form,
        ``None`` until ready: never waits), else the ``suggestions=`` column's cell."""
        if self._suggester is not None:
            return self._suggester.value(pos)
        return self.items.cell("suggestions", pos) if self.items.has("suggestions") else None

    def _shows_suggestion(self, pos: int) -> bool:
        """Whether the annotator sees the suggestion of the item at ``pos`` (``show_suggestions=``)."""
        return bool(self.suggestion_ui) and shows(
            self._show_suggestions, self.task, self.annotator, self.items.key(pos)
        )

    def _suggestion_shown(self, pos: int) -> bool | None:
        """What a label event of the item at ``pos`` records in ``suggestion_shown``: ``None``
        without a suggestion (or for a widget showing its own, such as a text's draft)."""
        if self.suggestion_ui is None or self._suggestion(pos) is None:
            return None
        return self._shows_suggestion(pos)

    def _suggestion_field(self, pos: int) -> Any:
        """The suggestion of the item at ``pos`` in the browser's encoding, or ``None`` (none,
        not ready, or hidden by ``show_suggestions=``)."""
        if not self._shows_suggestion(pos):
            return None
        suggestion = self._suggestion(pos)
        return None if suggestion is None else self._suggestion_to_browser(suggestion, pos)

    def _suggestion_to_browser(self, suggestion: Any, pos: int) -> Any:
        """Encode a suggestion (stored form) for the browser (default: as a value)."""
        return self._value_to_browser(suggestion, pos)

    def _suggest_state(self, state: dict[str, Any]) -> None:
        """Show the suggestion engine's state (an ``error`` in the banner; ``{}``: none)."""
        self._suggest = dict(state)

    def _window_positions(self) -> list[int]:
        """The positions a window holds: the item on screen, the next unlabeled ones, the neighbours."""
        cur = self._current
        if cur is None:
            return []
        near = (self.queue.neighbour(cur, -1), self.queue.neighbour(cur, 1))
        return [cur, *self.queue.next_undone(cur, PREFETCH), *(p for p in near if p is not None)]

    def _suggestions_arrived(self, positions: list[int]) -> None:
        """Suggestions became ready (in the background): push those of items in the browser's
        window, so one on screen shows it without waiting for the next key press."""
        with self._lock:
            window = set(self._window_positions())
            fields = [(self.items.key(p), self._suggestion_field(p)) for p in positions if p in window]
        items = [{"key": key, "suggestion": field} for key, field in fields if field is not None]
        if items:
            self.send({"type": "suggestion", "items": items})

    def _suggestion_record(self, pos: int, value: Any) -> Any:
        """What a label event records about the suggestion (default: the suggestion itself)."""
        return self._suggestion(pos)

    def _count_labels(self, counts: dict[Any, int], value: Any) -> None:
        """Add one stored value to the per-label counts."""
        for label, n in self.task_kind.label_counts(value).items():
            counts[label] = counts.get(label, 0) + n

    def _shown(self, pos: int) -> dict[str, Any]:
        """What the item at ``pos`` shows, as JSON (text fields, image references), stored with
        its first label so reports and the dashboard can show the item without the DataFrame."""
        return {}

    def _on_message(self, msg: dict[str, Any]) -> bool:
        """A browser message of a type the base does not know (the widget class's own, e.g.
        adjudication's ``ambiguous``); ``True`` when handled. Tried before the policy's."""
        return False

    def _validate_gold(self, value: Any, pos: int) -> Any:
        """Check a gold answer for the item at ``pos`` (the task kind's ``check_gold``)."""
        return self.task_kind.check_gold(value, self._item_context(pos))

    def _foreign_value_to_browser(self, value: Any, pos: int) -> Any:
        """Encode another annotator's stored value for this widget's browser (adjudication)."""
        return self._value_to_browser(value, pos)

    def _describe_value(self, value: Any, pos: int) -> str:
        """A value as one line of text (gold feedback, revealed labels, adjudication)."""
        return self.task_kind.describe(value, self._shown(pos))

    def _browser_config(self) -> dict[str, Any]:
        """Task-specific configuration for the browser (labels, hotkeys, ...)."""
        return {}


def _annotator_name(annotator: str | None) -> str:
    if annotator is None:
        annotator = os.environ.get("NBLABEL_ANNOTATOR") or os.environ.get("USER") or "anonymous"
    if not isinstance(annotator, str) or not annotator.strip():
        raise ValueError(f"annotator= must be a non-empty string, got {annotator!r}")
    return check_name(annotator, "annotator=")
