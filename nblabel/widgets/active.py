"""Active ordering: a model in the loop decides which unlabeled item comes next.

``order="uncertainty" | "margin" | "entropy" | "random"`` (or a callable scoring the model's
probabilities) with ``model=`` (a scikit-learn-style estimator or a ``refit`` callable) makes a
widget serve the items its model is least sure about first. The model is refit every
``refit_every`` labels in a background thread on a snapshot of the labels: never on the
key-press path. When a refit completes, the unlabeled items not yet in the browser are re-ranked
(the item on screen and the next ones the browser already holds stay: ``keep``, the widget's
prefetch window, so their suggestions stay ready); a failing refit keeps the last good ranking
and says why on the widget's "why" line. Until every label has ``min_per_label``
examples (the cold start), items come in a seeded random order, stratified by the model's
guesses once a model is available.

What the model sees (``X``): the widget's data columns of the item rows — the column as a
``pd.Series`` when there is one (a text column: a TF-IDF pipeline takes it as it is), else a
``pd.DataFrame`` of them. The target (``y``) is the task kind's reading of a value
(:meth:`nblabel.core.registry.TaskKind.active_scheme`): the label (classify), the choice
(compare), the point (rate); for multi-label classify, spans and boxes an indicator matrix, one
column per label present (use an estimator that takes one, e.g. ``OneVsRestClassifier``).

The scoring itself is pure (:mod:`nblabel.core.active`); this module is the engine around it.
"""

from __future__ import annotations

import copy
import hashlib
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..core import active as scoring
from ..core.policy import RankingPolicy
from ..core.redact import mask_passwords
from ..core.registry import AggregationScheme

_log = logging.getLogger(__name__)

#: Default labels between two refits.
REFIT_EVERY = 20
#: Default labeled examples every label needs before the model orders the items.
MIN_PER_LABEL = 3
#: Item roles that are not data the model sees (pre-annotations).
NON_DATA_ROLES = frozenset({"suggestions", "suggest"})

#: While a refit runs, the interpreter hands the GIL over this often (seconds) instead of every
#: 5 ms: a key press handled meanwhile waits at most this long each time it needs the GIL back
#: from the refit's Python code (TF-IDF tokenising, ...), so commits stay prompt.
REFIT_SWITCH_INTERVAL = 0.0005

#: ``predict_proba``-like: item rows -> an ``(n, n_labels)`` array.
Predict = Callable[[Any], Any]


@dataclass
class Ranking:
    """What the models fitted so far said about each position (arrays over the DataFrame's
    positions; NaN where no model scored the position)."""

    probs: np.ndarray
    priority: np.ndarray
    metric: np.ndarray
    version: np.ndarray  # the model version that scored each position (-1: none)
    fit_on: dict[int, int] = field(default_factory=dict)  # version -> labels it was fit on
    latest: int = -1  # the latest version (0: the model as given, already fitted)

    @classmethod
    def empty(cls, n: int, width: int) -> Ranking:
        nan = np.full(n, np.nan)
        return cls(np.full((n, width), np.nan), nan, nan.copy(), np.full(n, -1, dtype=np.int64))


class _FastSwitch:
    """Lower the interpreter's switch interval while any refit runs (process-wide, counted, and
    put back as it was when the last refit ends)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._saved = sys.getswitchinterval()

    def __enter__(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, REFIT_SWITCH_INTERVAL))
            self._depth += 1

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._depth -= 1
            if self._depth == 0:
                sys.setswitchinterval(self._saved)


_FAST_SWITCH = _FastSwitch()


def check_active(
    order: Any, model: Any, refit_every: Any, min_per_label: Any, columns: Sequence[str]
) -> str | Callable[[np.ndarray], Any] | None:
    """The active strategy ``order=`` and ``model=`` ask for, or ``None`` (a column or callable
    priority, or DataFrame order, as before). Refuses what does not fit together."""
    for name, value, low in (("refit_every", refit_every, 1), ("min_per_label", min_per_label, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name}= must be an integer >= {low}, got {value!r}")
    if model is not None and not (_is_estimator(model) or callable(model)):
        raise TypeError(
            "model= must be a scikit-learn-style estimator (fit, predict_proba, classes_) or a callable "
            f"refit(labeled: DataFrame) -> predict_proba, got {type(model).__name__}"
        )
    if isinstance(order, str) and order in scoring.STRATEGIES:
        if order in columns:
            if model is None:
                return None  # a column of the DataFrame, as before this option existed
            raise ValueError(
                f"order={order!r} is both a column of the DataFrame and an active ordering strategy: "
                f"rename the column, or pass order=lambda df: df[{order!r}] for the column's priorities"
            )
        if order != "random" and model is None:
            raise ValueError(f"order={order!r} ranks items by a model's probabilities: pass model= too")
        return order
    if model is None:
        return None
    if order is None:
        return "uncertainty"
    if callable(order):
        return order  # with model=: scores the model's probabilities
    raise ValueError(
        f"order={order!r} is a column priority, and model= orders items by the model: pass one of them, or "
        f"order= one of {scoring.STRATEGIES} (or a callable scoring the probabilities) with model="
    )


def _is_estimator(model: Any) -> bool:
    return callable(getattr(model, "fit", None)) and callable(getattr(model, "predict_proba", None))


def _is_fitted(model: Any) -> bool:
    try:
        return getattr(model, "classes_", None) is not None
    except Exception:  # a Pipeline not fitted yet raises AttributeError (or a subclass of it)
        return False


def stable_seed(*parts: Any) -> int:
    """A 64-bit seed from names (the same in every process)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


class ActiveOrder:
    """The active ordering of one widget: the model, its refits in a background thread, the
    ranking they produce and the queue re-ranked from it (see the module docstring)."""

    def __init__(
        self,
        w: Any,
        strategy: str | Callable[[np.ndarray], Any],
        model: Any,
        refit_every: int,
        min_per_label: int,
        keep: int = 1,
    ) -> None:
        self.w = w
        self.keep = keep  # upcoming items a re-rank leaves in place (those already in the browser)
        self.strategy = strategy
        self.model = model
        self.refit_every = refit_every
        self.min_per_label = min_per_label if model is not None else 0
        self.scheme: AggregationScheme | None = None
        if model is not None:
            self.scheme = w.task_kind.active_scheme(w.label_set, w._kind_config)
        self.labels: list[Any] = list(self.scheme.categories or w.label_set) if self.scheme else []
        if model is not None and not self.labels:
            raise ValueError("model= needs the task's labels (labels=): they are the model's classes")
        self.multi = bool(self.scheme and self.scheme.multi)
        self.columns = [col for role, col in w.items.columns.items() if role not in NON_DATA_ROLES]
        if model is not None and not _is_estimator(model):
            clash = {"label", "value"}.intersection(self.columns)
            if clash:
                raise ValueError(
                    f"model= callable: the data column {sorted(clash)[0]!r} has the name of a column "
                    "refit(labeled) adds (label, value); rename it"
                )
        n = len(w.items)
        self.u = scoring.random_priority(n, stable_seed("active", w.task, w.annotator))
        self.ranking = Ranking.empty(n, len(self.labels))
        self.error: str | None = None
        self.waiting: str | None = None  # why no model is fit yet (one class labeled, ...)
        self._prefitted = _is_estimator(model) and _is_fitted(model)
        self._mu = threading.Lock()  # counts and categories below
        self._cats: dict[str, tuple[Any, ...]] = {}
        self._touched: dict[str, tuple[Any, ...] | None] = {}  # answered since the last snapshot
        self.counts: dict[Any, int] = {}
        self._since = 0
        self._wake = threading.Condition()
        self._requested = False
        self._closed = False
        self._thread: threading.Thread | None = None
        self._version = 0
        self.refits = 0  # refits completed (successful or not)
        self.durations: list[float] = []  # seconds each refit took (fit, predict, score), for benchmarks
        self.spans: list[tuple[float, float]] = []  # (start, end) epoch seconds of each refit

    # ------------------------------------------------------------------ set-up
    def start(self) -> None:
        """Count the labels read from the store, order the queue, and fit a first model in the
        background when there is something to fit on (or a model fitted already)."""
        with self.w._lock:
            labeled = self._labeled_snapshot()
            with self._mu:
                self._touched = {}
        self._set_counts({key: self._categories(value) for key, _pos, value in labeled})
        self.rerank(keep_current=False)
        if self.model is not None and (labeled or self._prefitted):
            self.request()

    def _labeled_snapshot(self) -> list[tuple[str, int, Any]]:
        """(key, position, value) of every standing label of this annotator in this DataFrame."""
        w = self.w
        out = []
        for key, (kind, value) in w._state.items():
            if kind != "label" or key in w._foreign:
                continue
            try:
                out.append((key, w.items.position_of_key(key), value))
            except KeyError:
                continue
        return out

    def _categories(self, value: Any) -> tuple[Any, ...]:
        if self.scheme is None:
            return ()
        try:
            cat = value if self.scheme.category is None else self.scheme.category(value)
        except (ValueError, TypeError, KeyError):
            return ()
        return tuple(cat) if self.multi else (cat,)

    def _set_counts(self, cats: dict[str, tuple[Any, ...]]) -> None:
        """Take the categories of a snapshot of the labels; answers given since the snapshot
        (:meth:`after_answer` ran meanwhile, on another thread) keep theirs."""
        with self._mu:
            cats = {**cats, **self._touched}
            cats = {key: values for key, values in cats.items() if values is not None}
            counts: dict[Any, int] = {}
            for values in cats.values():
                for c in set(values):
                    counts[c] = counts.get(c, 0) + 1
            self._cats, self.counts = cats, counts

    @property
    def short(self) -> list[Any]:
        """The labels with fewer than ``min_per_label`` examples (empty: the cold start is over)."""
        if self.model is None or not self.min_per_label:
            return []
        with self._mu:
            return scoring.short_labels(self.counts, self.labels, self.min_per_label)

    # ------------------------------------------------------------------ the key-press path
    def after_answer(self, pos: int) -> None:
        """After a label or skip of ``pos`` (O(1)): keep the label counts and ask for a refit
        every ``refit_every`` labels, or at once when the cold start ends. Never fits here."""
        if self.model is None:
            return
        key = self.w.items.key(pos)
        entry = self.w._state.get(key)
        was_cold = bool(self.short)
        new = self._categories(entry[1]) if entry is not None and entry[0] == "label" else None
        with self._mu:
            self._touched[key] = new  # (None: skipped; a snapshot taken before this keeps it)
            old = self._cats.pop(key, ())
            for c in set(old):
                self.counts[c] = self.counts.get(c, 0) - 1
            if new is not None:
                self._cats[key] = new
                for c in set(new):
                    self.counts[c] = self.counts.get(c, 0) + 1
                self._since += 1
            due = self._since >= self.refit_every
        if (was_cold and not self.short) or due or self.ranking.latest < 0:  # (no model yet: try now)
            self.request()

    def request(self) -> None:
        """Ask the background thread for a refit (coalesced: one runs at a time, and a request
        made while one runs starts another when it ends)."""
        with self._mu:
            self._since = 0
        with self._wake:
            if self._closed:
                return
            self._requested = True
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="nblabel-refit", daemon=True)
                self._thread.start()
            self._wake.notify()

    def close(self) -> None:
        """Stop the background thread (a refit under way finishes and is dropped)."""
        with self._wake:
            self._closed = True
            self._wake.notify()

    def wait(self, timeout: float = 30.0) -> bool:
        """Wait until no refit is requested or running (tests, benchmarks); ``True`` if idle."""
        deadline = time.monotonic() + timeout
        with self._wake:
            while self._requested or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._wake.wait(left)
        return True

    _busy = False

    # ------------------------------------------------------------------ the background thread
    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._requested and not self._closed:
                    self._wake.wait()
                if self._closed:
                    self._wake.notify_all()
                    return
                self._requested = False
                self._busy = True
            started = time.perf_counter()
            wall = time.time()
            try:
                with _FAST_SWITCH:
                    self._refit()
                self.durations.append(time.perf_counter() - started)
                self.spans.append((wall, time.time()))
            except Exception as exc:  # the model failed: keep the last good ranking, say why
                _log.warning("nblabel: refit of the active ordering failed", exc_info=True)
                self.error = mask_passwords(f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
                try:
                    self._publish(None)
                except Exception:
                    _log.exception("nblabel: showing a failed refit failed")
            finally:
                with self._wake:
                    self._busy = False
                    self.refits += 1
                    self._wake.notify_all()

    def _refit(self) -> None:
        w = self.w
        with w._lock:  # a snapshot: the key-press path goes on while the model fits
            labeled = self._labeled_snapshot()
            with self._mu:
                self._touched = {}
            queue = w.queue
            served = np.arange(queue.n) if queue.order is None else queue.order.copy()
            todo = served[~queue.done[served]]
        self._set_counts({key: self._categories(value) for key, _pos, value in labeled})
        cats = [self._categories(value) for _key, _pos, value in labeled]
        distinct = {c for values in cats for c in values}
        predict: Predict | None = None
        version = 0
        if labeled and (self.multi or len(distinct) >= 2 or not _is_estimator(self.model)):
            predict = self._fit([pos for _key, pos, _value in labeled], [v for _k, _p, v in labeled], cats)
            self._version += 1
            version = self._version
        elif self._prefitted and self.ranking.latest < 0:
            predict = self._given_model()
        else:
            self.waiting = "labels of two classes" if labeled else "labels"
            self._publish(None)
            return
        probs = self._predict(predict, todo)
        priority, metric = scoring.strategy_scores(
            "uncertainty" if self.strategy == "random" else self.strategy, probs, self.multi
        )
        ranking = copy.copy(self.ranking)
        ranking.probs = ranking.probs.copy()
        ranking.priority, ranking.metric = ranking.priority.copy(), ranking.metric.copy()
        ranking.version = ranking.version.copy()
        ranking.probs[todo] = probs
        ranking.priority[todo] = priority
        ranking.metric[todo] = metric
        ranking.version[todo] = version
        ranking.fit_on = {**ranking.fit_on, version: len(labeled)}
        ranking.latest = version
        self.waiting = None
        self._publish(ranking)

    def _data(self, positions: Sequence[int] | np.ndarray) -> pd.Series | pd.DataFrame:
        """X: the data columns of the rows at ``positions`` (a Series for one column)."""
        frame = self.w.items.df
        if len(self.columns) == 1:
            return frame[self.columns[0]].iloc[np.asarray(positions, dtype=np.int64)]
        return frame[self.columns].iloc[np.asarray(positions, dtype=np.int64)]

    def _fit(self, positions: list[int], values: list[Any], cats: list[tuple[Any, ...]]) -> Predict:
        """Fit a copy of the estimator (or call ``refit``) on the labeled rows."""
        model = self.model
        if _is_estimator(model):
            est = copy.deepcopy(model)
            x = self._data(positions)
            if self.multi:
                index = {label: i for i, label in enumerate(self.labels)}
                y: Any = np.zeros((len(positions), len(self.labels)), dtype=np.int64)
                for row, values_of in enumerate(cats):
                    for c in values_of:
                        if c in index:
                            y[row, index[c]] = 1
            else:
                y = np.asarray([c[0] if c else None for c in cats], dtype=object)
            est.fit(x, y)
            return self._estimator_predict(est)
        labeled = self._data(positions)
        labeled = labeled.to_frame() if isinstance(labeled, pd.Series) else labeled.copy()
        labeled["label"] = [list(c) if self.multi else (c[0] if c else None) for c in cats]
        labeled["value"] = values
        predict = model(labeled)
        if not callable(predict):
            raise TypeError(
                f"model= refit(labeled) must return a callable rows -> probabilities, got {predict!r}"
            )
        return lambda rows: predict(rows if isinstance(rows, pd.DataFrame) else rows.to_frame())

    def _given_model(self) -> Predict:
        return self._estimator_predict(self.model)

    def _estimator_predict(self, est: Any) -> Predict:
        def predict(x: Any) -> np.ndarray:
            proba = est.predict_proba(x)
            if self.multi:
                if isinstance(proba, list):  # one (n, 2) array per label (multi-output estimators)
                    proba = np.column_stack([np.asarray(p)[:, -1] for p in proba])
                return np.asarray(proba)
            return scoring.probabilities_by_label(proba, list(est.classes_), self.labels)

        return predict

    def _predict(self, predict: Predict, positions: np.ndarray) -> np.ndarray:
        if not len(positions):
            return np.zeros((0, len(self.labels)))
        x = self._data(positions)
        rows = self.w.items.index[positions]
        return scoring.check_probabilities(predict(x), len(positions), self.labels, self.multi, rows=rows)

    def _publish(self, ranking: Ranking | None) -> None:
        """A refit ended: take its ranking (``None``: keep the last good one) and re-rank the
        unlabeled items not yet on screen; tell the browser."""
        w = self.w
        with w._lock:
            if self._closed:
                return
            if ranking is not None:
                self.ranking = ranking
                self.error = None
                self.rerank()
            w._push_window(w._have)

    # ------------------------------------------------------------------ the order
    def priority(self) -> np.ndarray:
        """The priority of every position now (higher first; NaN: after the others)."""
        if self.strategy == "random":
            return -self.u  # ascending u: the order of a cold start without guesses
        if self.short or self.ranking.latest < 0:  # the cold start (or no model fit yet)
            probs = self.ranking.probs
            scored = ~np.isnan(probs).any(axis=1) if probs.shape[1] else np.zeros(len(probs), bool)
            guesses = (
                np.where(scored, np.argmax(np.nan_to_num(probs, nan=-1.0), axis=1), -1)
                if probs.shape[1]
                else (np.full(len(probs), -1))
            )
            return scoring.stratified_priority(guesses, self.u)
        return self.ranking.priority

    def _movable(self, positions: np.ndarray) -> np.ndarray:
        policy = self.w._policy
        if policy is None:
            return np.ones(len(positions), dtype=bool)
        if isinstance(policy, RankingPolicy):
            return np.asarray(policy.movable(self.w, positions), dtype=bool)
        return np.zeros(len(positions), dtype=bool)  # a policy that orders its own queue

    def rerank(self, keep_current: bool = True) -> None:
        """Re-rank the unlabeled items the widget may move (a session's production items) by
        :meth:`priority`; the item on screen and the ``keep`` next ones (already in the browser)
        stay (``keep_current``), and every other item keeps its place in the queue. Call holding
        the widget's lock."""
        w = self.w
        queue = w.queue
        order = np.arange(queue.n, dtype=np.int64) if queue.order is None else queue.order.copy()
        m = len(order)
        if not m:
            return
        cur = w._current if keep_current else None
        fixed: list[int] = []
        start = 0
        if cur is not None and queue.rank_of(cur) >= 0:
            fixed = [cur, *queue.next_undone(cur, self.keep)]
            start = queue.rank_of(cur) + 1
        visit = (np.arange(m) + start) % m  # ranks in the order they are served from here
        at = order[visit]
        ok = ~queue.done[at] & self._movable(at)
        if fixed:
            ok &= ~np.isin(at, fixed)
        slots = visit[ok]
        if not len(slots):
            return
        items = order[slots]
        priority = self.priority()[items]
        priority = np.where(np.isnan(priority), -np.inf, priority)
        order[slots] = items[np.argsort(-priority, kind="stable")]
        queue.rearrange(order)

    # ------------------------------------------------------------------ why
    def explain(self, pos: int) -> dict[str, Any]:
        """Why the item at ``pos`` is served where it is, as a dict (see :meth:`why_text`)."""
        out: dict[str, Any] = {"strategy": self.strategy if isinstance(self.strategy, str) else "callable"}
        if self.error:
            out["error"] = self.error
        ranking = self.ranking
        version = int(ranking.version[pos])
        probs = ranking.probs[pos] if version >= 0 else None
        if probs is not None and len(self.labels):
            out["model_version"] = version
            out["fit_on"] = ranking.fit_on.get(version, 0)
            out["probabilities"] = {str(label): float(p) for label, p in zip(self.labels, probs, strict=True)}
            out["top"] = scoring.top_probabilities(probs, self.labels, self.multi)
        short = self.short
        if self.strategy == "random":
            out["reason"] = "random"
            out["score"] = float(self.u[pos])
        elif short or ranking.latest < 0:
            out["reason"] = "cold start"
            out["short_labels"] = short
            out["min_per_label"] = self.min_per_label
            if probs is not None:
                out["guess"] = self.labels[int(np.argmax(probs))]
            if self.waiting:
                out["waiting"] = self.waiting
        elif version < 0:
            out["reason"] = "not scored"
        else:
            out["reason"] = out["strategy"]
            out["score"] = float(ranking.metric[pos])
            out["priority"] = float(ranking.priority[pos])
        out["within_plan"] = self.w._policy is not None and isinstance(self.w._policy, RankingPolicy)
        return out

    def why_text(self, pos: int) -> str:
        """One line saying why the item at ``pos`` is served now."""
        d = self.explain(pos)
        probs = ", ".join(
            f"P({label}{' present' if self.multi else ''})={p:.2f}" for label, p in d.get("top", [])
        )
        model = (
            f"model v{d['model_version']} fit on {d['fit_on']} labels"
            if d.get("model_version")
            else "the model as given"
        )
        reason = d["reason"]
        if reason == "random":
            text = "random order (seeded)"
            if probs:
                text += f" ({model}; {probs})"
        elif reason == "cold start":
            short, n = d["short_labels"], len(self.labels)
            if short:
                need = (
                    f"{len(short)} of {n} labels have fewer than {self.min_per_label} examples"
                    if len(short) > 1
                    else f"{short[0]!s} has "
                    + (
                        "no example yet"
                        if self.min_per_label == 1
                        else f"fewer than {self.min_per_label} examples"
                    )
                )
            else:
                need = f"waiting for the first model fit on {d.get('waiting') or 'labels'}"
            if "guess" in d:
                text = f"cold start: random, stratified by the model's guess '{d['guess']!s}' ({need})"
            else:
                text = f"cold start: random ({need})"
        elif reason == "not scored":
            latest = self.ranking.latest
            text = f"not scored yet (added after model v{latest}'s ranking): served after scored items"
        else:
            name = d["strategy"] if d["strategy"] != "callable" else "order= score"
            text = f"{name} {d['score']:.2f} ({model}; {probs})"
        if d["within_plan"]:
            text += " · ordered within the session's plan"
        if d.get("error"):
            text += f" · refit failed ({d['error']}): using the last good ranking"
        return text


def static_why(w: Any, pos: int, order: Any) -> dict[str, Any]:
    """Why the item at ``pos`` is served where it is when no model orders the queue: the
    DataFrame's order, an ``order=`` column or callable, or a queue policy (a session's plan)."""
    rank = w.queue.rank_of(pos) + 1
    if w._policy is not None:
        return {
            "reason": "policy",
            "rank": rank,
            "text": "the order the session plans (a seeded random order)",
        }
    if order is None:
        return {"reason": "DataFrame order", "rank": rank, "text": "DataFrame order"}
    if callable(order):
        return {
            "reason": "order callable",
            "rank": rank,
            "text": f"order= callable's priority (#{rank}, higher first)",
        }
    value = w.items.df[order].iloc[pos]
    value = value.item() if isinstance(value, np.generic) else value
    return {
        "reason": "order column",
        "rank": rank,
        "priority": value,
        "text": f"order column {order!r}: priority {value!r} (#{rank}, higher first)",
    }
