"""A widget's suggestions from a model (``suggest=`` a callable or a column): computed in batches
ahead of the annotator, in a background thread, never on the key-press path.

The thread takes the next items of this annotator's serving order that have no suggestion yet
(the item on screen first), calls the model on them (:func:`nblabel.store.model_runs.run_batch`,
the same code as :func:`nblabel.record_model`), checks each output with the task kind and stores
the outputs as the events of ``model:<name>`` (idempotent, so another widget, kernel or annotator
of the same model name and version reuses them: they are read from the store first). A failing
model shows in the widget's banner and labeling goes on without its suggestions; it is asked
again after a pause (2 s, doubling up to a minute while it keeps failing). A suggestion that
arrives while its item is in the browser's window is pushed to it (``{"type": "suggestion"}``).

``show_suggestions=``: ``True`` shows them, ``False`` records them without showing them (an LLM
judge running beside people), a fraction ``p`` shows them on a seeded random share ``p`` of
(item, annotator) pairs, the same share after a restart. Each person's label event records the
suggestion and whether it was shown (``suggestion_shown``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from ..store.failures import describe
from ..store.model_runs import (
    DEFAULT_BATCH,
    ModelSource,
    model_events,
    model_source,
    run_batch,
    stored_outputs,
)
from ..store.roles import RoleRefused

__all__ = ["DEFAULT_BATCH", "Suggester", "check_show", "shows"]

_log = logging.getLogger(__name__)

#: How far ahead of the item on screen suggestions are kept ready, in batches.
AHEAD_BATCHES = 2
#: A model that failed is asked again after this many seconds, doubled after each failure in a
#: row up to :data:`MAX_RETRY_S` (labeling goes on without its suggestions meanwhile).
RETRY_S = 2.0
MAX_RETRY_S = 60.0


def check_show(show: Any) -> bool | float:
    """``show_suggestions=``: ``True``, ``False`` or a fraction strictly between 0 and 1."""
    if isinstance(show, bool):
        return show
    if isinstance(show, (int, float)) and 0 < float(show) < 1:
        return float(show)
    raise ValueError(f"show_suggestions must be True, False or a fraction between 0 and 1, got {show!r}")


def shows(show: bool | float, task: str, annotator: str, key: str) -> bool:
    """Whether the (item ``key``, ``annotator``) pair of ``task`` sees its suggestion: with a
    fraction, a uniform draw seeded by the three names (stable across restarts)."""
    if isinstance(show, bool):
        return show
    digest = hashlib.sha256("\x1f".join([task, annotator, key]).encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < show


class Suggester:
    """The background suggestions of one widget (see the module docstring)."""

    def __init__(
        self,
        widget: Any,
        suggest: str | Callable[[pd.DataFrame], Any],
        *,
        name: str | None = None,
        version: str | None = None,
        batch: int = DEFAULT_BATCH,
    ) -> None:
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise ValueError(f"suggest_batch must be a positive int, got {batch!r}")
        self.source: ModelSource = model_source(suggest, name, version)
        if self.source.column is not None and self.source.column not in widget.items.df.columns:
            raise KeyError(
                f"suggest={self.source.column!r}: no column {self.source.column!r} in the DataFrame; "
                f"columns: {list(widget.items.df.columns)}"
            )
        self.batch = batch
        self._w = widget
        self._values: dict[int, Any] = {}  # position -> checked value (stored form)
        self._tried: set[int] = set()  # positions asked (with or without a suggestion)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        #: How many times the model was called (batches; a column is never "called").
        self.calls = 0
        #: The last failure, as the banner says it (``None`` once a later batch succeeds).
        self.error: str | None = None
        self._retry_at = 0.0
        self._failures = 0
        #: False once the store refused a model's events (an annotator's login): kept in memory.
        self._storing = True

    # ------------------------------------------------------------------ the widget's side
    def value(self, pos: int) -> Any:
        """The suggestion for the item at ``pos`` in stored form, or ``None`` (none, or not
        ready yet: then the thread is woken to compute it). Never waits."""
        value = self._values.get(pos)
        if value is None and pos not in self._tried:
            self._wake.set()
        return value

    def ready(self, pos: int) -> bool:
        """Whether the item at ``pos`` has been asked (a suggestion, or none to give)."""
        return pos in self._tried

    def wake(self) -> None:
        """Look ahead again (the annotator moved on)."""
        self._wake.set()

    def start(self) -> None:
        """Start the thread: stored outputs first, then the items ahead."""
        name = f"nblabel-suggest-{self.source.name}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def close(self, timeout: float = 1.0) -> None:
        """Stop the thread. A model call under way is not waited for beyond ``timeout``: it
        finishes in the background and its outputs are dropped (the widget's store may be
        released by then); the next widget asks for them again."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    # ------------------------------------------------------------------ the thread
    def _run(self) -> None:
        try:
            self._load_stored()
        except Exception as exc:  # an unreadable store: compute instead, say why
            _log.exception("nblabel: cannot read stored suggestions")
            said = describe(exc, [self._w.store.url.password or ""])
            self._fail(f"stored suggestions of {self.source.describe()} could not be read: {said}")
        self._wake.set()
        while not self._stop.is_set():
            self._wake.wait(timeout=0.5)
            self._wake.clear()
            if self._stop.is_set():
                break
            if self.error is not None and time.monotonic() < self._retry_at:
                continue
            positions = self._next_batch()
            if not positions:
                continue
            try:
                self._compute(positions)
            except Exception as exc:  # the model failed: banner, no suggestions for now
                self._failures += 1
                self._retry_at = time.monotonic() + min(RETRY_S * 2 ** (self._failures - 1), MAX_RETRY_S)
                self._fail(f"{self.source.describe()} failed: {type(exc).__name__}: {exc}")
                continue
            self._failures = 0
            self._wake.set()  # keep ahead

    def _load_stored(self) -> None:
        w = self._w
        stored = stored_outputs(w.store, w.task, self.source)
        if not stored:
            return
        found = {}
        for key, (value, _score) in stored.items():
            try:
                found[w.items.position_of_key(key)] = value
            except KeyError:
                continue  # an item not in this DataFrame
        self._values.update(found)
        self._tried.update(found)
        self._arrived(list(found))

    def _next_batch(self) -> list[int]:
        """The next items without a suggestion in serving order (the one on screen first), once
        fewer than a batch of those ahead have theirs: so the model gets full batches."""
        w = self._w
        with w._lock:
            current = w._current
            if current is None:
                return []
            ahead = w.queue.next_undone(current, self.batch * AHEAD_BATCHES)
        window = list(dict.fromkeys([current, *ahead]))
        if all(p in self._tried for p in window[: self.batch]):
            return []  # a batch or more ahead already: wait, then ask for a full batch
        return [p for p in window if p not in self._tried][: self.batch]

    def _compute(self, positions: list[int]) -> None:
        w = self._w
        batch = w.items.df.iloc[positions]
        if self.source.fn is not None:
            self.calls += 1
        result = run_batch(self.source, batch, lambda value, i: w._check_model_value(value, positions[i]))
        kept = sorted(result.values)
        for i in kept:
            self._values[positions[i]] = result.values[i]
        self._tried.update(positions)
        if result.problems:
            more = f" (and {len(result.problems) - 1} more)" if len(result.problems) > 1 else ""
            self._fail(f"{self.source.describe()}: {result.problems[0]}{more}; those items get no suggestion")
        elif self.error is not None:
            self.error = None
            w._suggest_state({})
        self._arrived([positions[i] for i in kept])
        events = model_events(
            w.task, self.source, [w.items.key_and_kind(positions[i]) for i in kept],
            [result.values[i] for i in kept], [result.scores[i] for i in kept],
        )  # fmt: skip
        if self._stop.is_set():
            return  # closed meanwhile: the store may be released
        if not self._storing:
            return
        try:
            w.store.append_many(events)
        except RoleRefused:  # an annotator's login reads models' events but never writes them
            self._storing = False
            _log.info("nblabel: this login stores no outputs of %s: kept in this kernel", self.source.name)
        except Exception as exc:  # shown anyway; the store's failure is said
            said = describe(exc, [w.store.url.password or ""])
            self._fail(f"suggestions of {self.source.describe()} not saved: {said}")

    def _fail(self, message: str) -> None:
        self.error = message
        self._w._suggest_state({"error": message})

    def _arrived(self, positions: list[int]) -> None:
        if positions:
            self._w._suggestions_arrived(positions)

