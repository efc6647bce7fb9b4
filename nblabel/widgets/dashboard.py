"""``Dashboard``: live agreement of a task while it is being labeled, from any process.

A background thread polls the store (one cheap ``count``/``max(id)`` query per ``interval``),
reads only the new events, recomputes the coefficients, the confusion counts and the
per-annotator and per-label rows, and publishes them in one synced trait; bootstrap
confidence intervals follow in a second step. Refreshes are throttled (never closer than
``interval``, nor than twice the time the last one took), run off the kernel's main thread,
and never raise: a failure is shown in the widget and the next poll tries again.
"""

from __future__ import annotations

import math
import os
import threading
import time
import traceback
from collections.abc import Mapping
from typing import Any

import anywidget
import pandas as pd
import traitlets

from ..agreement.aggregate_models import METHODS
from ..agreement.report import AgreementReport, agreement_report, printable
from ..agreement.views import with_interval
from ..core.limits import check_text
from ..store.store import Store, open_store
from .assets import STATIC
from .live import GOLD, MAJORITY, LiveAgreement, Side

__all__ = ["Dashboard"]

#: Items listed behind a confusion cell at most (the count is always given).
MAX_CELL_ITEMS = 200
#: Longest item text sent to the browser in a cell listing.
MAX_TEXT = 2_000
#: How long ``close()`` waits for a refresh in progress to finish (seconds).
CLOSE_WAIT = 10.0


class Dashboard(anywidget.AnyWidget):
    """Agreement coefficients, a confusion heatmap and per-annotator figures for one task,
    refreshed as labels arrive — from this notebook, another notebook or any process writing
    the same store.

    >>> nl.Dashboard(store, task="sentiment-pilot")                 # display it next to the labeler
    >>> nl.Dashboard("pilot.db", task="sentiment-pilot", gold="ana")  # ana's labels are the gold

    Click a cell of the heatmap to list the items behind it, with their text (stored with each
    item's first label, or ``data[text]`` when ``data=`` and ``text=`` are given). ``gold`` is a
    Series or mapping of gold answers by item id, or the name of an annotator whose labels are
    the gold. ``interval`` is the shortest time between two refreshes, in seconds; ``n_boot``
    the bootstrap resamples for the confidence intervals (0 skips them). ``live=False`` only
    refreshes on :meth:`refresh` or the widget's refresh button. ``aggregate`` names the
    :func:`~nblabel.aggregate` method whose labels are shown beside the majority vote (how many
    items they differ on, and per label), for the kinds it supports; ``None`` shows none.

    On a session's task (``session.dashboard()``, or this class given the session's task) the
    agreement counts production items only, as ``session.report()`` does: gold and
    calibration items (and repeated items) are left out. Each annotator's live gold accuracy
    (first answers, as ``session.gold_accuracy()`` counts them) is shown with a drift flag when
    the rolling accuracy of their last 10 gold answers falls under the session's
    ``gold_threshold``.

    A task of more than 30 labels (a taxonomy of thousands) shows only the labels in use: the
    heatmap the 30 most frequent, the others counted in one last row and column (its name, e.g.
    ``"(441 others)"``, works in :meth:`cell_items` too), and the per-label table the 50 most
    used. The numbers are those of :func:`~nblabel.agreement_report` over the whole label list.
    """

    _esm = STATIC / "dashboard.js"
    _css = STATIC / "nblabel.css"
    _snapshot = traitlets.Dict().tag(sync=True)
    _status = traitlets.Dict().tag(sync=True)
    _pair = traitlets.List(traitlets.Unicode(), default_value=[]).tag(sync=True)
    #: Pause the automatic refresh (the widget's pause button sets it too).
    paused = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        store: Store | str | os.PathLike[str] | None = None,
        task: str | None = None,
        *,
        gold: Any = None,
        data: pd.DataFrame | None = None,
        text: str | None = None,
        interval: float = 2.0,
        n_boot: int = 200,
        live: bool = True,
        aggregate: str | None = "dawid_skene",
    ) -> None:
        if not isinstance(task, str) or not task.strip():
            raise ValueError(f"task= must name the task to watch, got {task!r}")
        check_text(task, "task=")
        if not (isinstance(interval, (int, float)) and math.isfinite(interval) and interval > 0):
            raise ValueError(f"interval must be a positive number of seconds, got {interval!r}")
        if not isinstance(n_boot, int) or n_boot < 0:
            raise ValueError(f"n_boot must be a non-negative int, got {n_boot!r}")
        if aggregate is not None and aggregate not in METHODS:
            raise ValueError(f"aggregate={aggregate!r} is not a method of nl.aggregate: {', '.join(METHODS)}")
        # A store given as a URL or path (or None) is the dashboard's own: close() releases it.
        self.store, self._owns_store = open_store(store)
        self.task = task
        self.interval = float(interval)
        self.n_boot = n_boot
        self._live = LiveAgreement(self.store, task, gold=gold, texts=_texts(data, text), aggregate=aggregate)
        self._compute_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._force = False
        self._took = 0.0
        super().__init__(
            _status={"state": "starting", "message": "", "location": self.store.location, "task": task},
            _snapshot={"task": task, "empty": True, "events": 0},
        )
        self.on_msg(self._on_browser_message)
        self._thread: threading.Thread | None = None
        if live:
            self._thread = threading.Thread(target=self._run, name=f"nblabel-dashboard-{task}", daemon=True)
            self._thread.start()
        else:
            self.refresh()

    # ------------------------------------------------------------------ public API
    def refresh(self) -> bool:
        """Read new labels and recompute now (in the caller's thread); returns whether anything
        was new. Never raises: a failure is shown in the widget and returned as ``False``."""
        return self._update(force=True)

    @property
    def report(self) -> AgreementReport:
        """The full :func:`~nblabel.agreement_report` of the labels read so far (a session's
        production items)."""
        with self._compute_lock:
            frame = self._live.rated()
            info = self._live.info or {}
        if frame is None or not len(frame):
            raise ValueError(f"no labels of task {self.task!r} yet")
        return agreement_report(frame, self._live.gold, labels=info.get("labels") or None, n_boot=self.n_boot)

    @property
    def pair(self) -> tuple[str, str] | None:
        """The confusion matrix shown: ``(rows, columns)`` as ``"annotator:<name>"``, ``"gold"``
        or ``"majority"``. Set it with annotator names or those ids."""
        confusion = self._snapshot.get("confusion") or {}
        if not confusion:
            return None
        return confusion["rows"], confusion["columns"]

    @pair.setter
    def pair(self, value: tuple[str, str]) -> None:
        rows, columns = value
        self._pair = [_side_id(rows, self._live), _side_id(columns, self._live)]

    def cell_items(self, row_label: Any, column_label: Any) -> pd.DataFrame:
        """The items behind one cell of the confusion matrix shown: rows where the row side
        gave ``row_label`` and the column side ``column_label`` (for multi-label tasks, the
        label sets as shown on the axes), with their text and every annotator's value. A text
        task shows one row (``"items written by both"``) against similarity bands
        (``"identical"``, ``"≥ 0.9"``, ...): its cells list the items of a band."""
        with self._compute_lock:
            confusion = self._live.confusion(*self._pair_or_none())
            if not confusion:
                return pd.DataFrame()
            names = confusion["categories"]
            row = _category_index(confusion.get("row_categories", names), row_label)
            col = _category_index(names, column_label)
            row_codes = confusion.get("row_codes", confusion["codes"])
            return self._live.cell_items(
                confusion["rows"], confusion["columns"], row_codes[row], confusion["codes"][col]
            )

    def close(self) -> None:
        """Stop polling, close the widget, and release the store if the dashboard opened it (a
        URL, a path or ``None``); a :class:`Store` passed in stays open."""
        if hasattr(self, "_stop"):  # absent when __init__ refused its arguments
            self._stop.set()
            self._wake.set()
            thread = getattr(self, "_thread", None)
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout=CLOSE_WAIT)
        super().close()
        if getattr(self, "_owns_store", False):
            self.store.close()

    # ------------------------------------------------------------------ refreshing
    def _run(self) -> None:
        while not self._stop.is_set():
            if not self.paused or self._force:
                self._update(force=self._force)
            # Throttle: at least ``interval`` between refreshes, and at most a third of the time
            # spent refreshing, however slow the machine or large the task.
            self._wake.wait(max(self.interval, 2 * self._took))
            self._wake.clear()

    def _update(self, *, force: bool) -> bool:
        self._force = False
        started = time.perf_counter()
        try:
            with self._compute_lock:
                if not force and self._live.frame is not None and not self._live.changed():
                    self._set_status("live" if not self.paused else "paused")
                    return False
                try:
                    new = self._live.read()
                except KeyError:  # the task is not registered yet: wait for its first widget
                    self._set_status("waiting", f"waiting for task {printable(self.task)!r} to be created")
                    return False
                if not new and not force:
                    return False
                snapshot = self._live.snapshot(*self._pair_or_none())
                revision = self._live.revision
            snapshot["took_ms"] = round((time.perf_counter() - started) * 1000, 1)
            self._snapshot = snapshot
            self._set_status("live" if not self.paused else "paused")
            if self.n_boot and not snapshot.get("empty"):
                self._add_intervals(revision)
            return new
        except Exception as exc:  # shown in the widget; the next poll tries again
            traceback.print_exc()
            self._set_status("error", f"refresh failed: {type(exc).__name__}: {exc}")
            return False
        finally:
            self._took = time.perf_counter() - started

    def _add_intervals(self, revision: tuple[int, int]) -> None:
        with self._compute_lock:
            if self._live.revision != revision:
                return
            intervals = self._live.intervals(self.n_boot)
        snapshot = dict(self._snapshot)
        if snapshot.get("revision") != list(revision):
            return  # a newer snapshot was published meanwhile
        snapshot["coefficients"] = [
            with_interval(row, intervals[row["key"]]) if row["key"] in intervals else row
            for row in snapshot.get("coefficients", [])
        ]
        snapshot["ci_level"] = 0.95
        self._snapshot = snapshot

    def _pair_or_none(self) -> tuple[str | None, str | None]:
        return (self._pair[0], self._pair[1]) if len(self._pair) == 2 else (None, None)

    @traitlets.observe("_pair")
    def _on_pair(self, _change: Any) -> None:
        with self._compute_lock:
            confusion = self._live.confusion(*self._pair_or_none())
        if confusion:
            self._snapshot = {**self._snapshot, "confusion": confusion}

    @traitlets.observe("paused")
    def _on_paused(self, change: Any) -> None:
        self._set_status("paused" if change["new"] else "live")
        if not change["new"]:
            self._wake.set()

    def _set_status(self, state: str, message: str = "") -> None:
        status = {**self._status, "state": state, "message": message, "checked_at": time.time()}
        if status != self._status:
            self._status = status

    # ------------------------------------------------------------------ browser messages
    def _on_browser_message(self, _widget: Any, msg: Any, _buffers: list[bytes]) -> None:
        if not isinstance(msg, Mapping):
            return
        kind = msg.get("type")
        if kind == "refresh":
            self._force = True
            self._wake.set()
            if self._thread is None:
                self.refresh()
        elif kind == "cell":
            self.send(self._cell_reply(msg))

    def _cell_reply(self, msg: Mapping[str, Any]) -> dict[str, Any]:
        reply: dict[str, Any] = {"type": "cell", "req": msg.get("req")}
        try:
            row, col = int(msg["row"]), int(msg["col"])
            with self._compute_lock:
                confusion = self._live.confusion(str(msg["rows"]), str(msg["columns"]))
                codes, names = confusion["codes"], confusion["categories"]
                # a view may give its rows categories of their own (texts: one row, similarity bands)
                row_codes = confusion.get("row_codes", codes)
                row_names = confusion.get("row_categories", names)
                if not (0 <= row < len(row_codes) and 0 <= col < len(codes)):
                    raise ValueError("cell out of range")
                sides = confusion["rows"], confusion["columns"]
                table = self._live.cell_items(*sides, row_codes[row], codes[col])
        except Exception as exc:
            return {**reply, "error": f"{type(exc).__name__}: {exc}"}
        shown = table.head(MAX_CELL_ITEMS)
        value_columns = [c for c in shown.columns if c != "text"]
        reply.update(
            row=row_names[row],
            col=names[col],
            total=int(len(table)),
            columns=value_columns,
            has_text="text" in shown.columns,
            items=[
                {
                    "id": str(item_id),
                    "text": _clip(record.get("text")) if "text" in shown.columns else None,
                    "values": [_clip(_display(record[c])) for c in value_columns],
                }
                for item_id, record in zip(shown.index, shown.to_dict("records"), strict=True)
            ],
        )
        return reply


# ---------------------------------------------------------------------- helpers
def _texts(data: pd.DataFrame | None, text: str | None) -> pd.Series | None:
    if data is None and text is None:
        return None
    if data is None or text is None:
        raise TypeError("data= and text= go together: the DataFrame and its column of item text")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if text not in data.columns:
        raise KeyError(f"column {text!r} not found; columns: {[str(c) for c in data.columns]}")
    return data[text]


def _side_id(value: str, live: LiveAgreement) -> str:
    if value.startswith("annotator:"):
        return value
    view = live.prepared()
    annotators = [str(a) for a in view.annotators] if view is not None else []
    if value in annotators:  # an annotator's name wins over the reserved words
        return Side("annotator", value).id
    if value in (GOLD, MAJORITY):
        return value
    raise KeyError(f"no annotator {value!r}; annotators: {annotators} (or 'gold', 'majority')")


def _category_index(names: list[str], label: Any) -> int:
    text = " + ".join(str(v) for v in label) if isinstance(label, (list, tuple)) else str(label)
    if text not in names:
        raise KeyError(f"{label!r} is not on the axes of the confusion matrix: {names}")
    return names.index(text)


def _clip(text: Any) -> str | None:
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return None
    text = str(text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def _display(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (list, tuple)):
        return " + ".join(str(v) for v in value) if value else "(none)"
    return str(value)
