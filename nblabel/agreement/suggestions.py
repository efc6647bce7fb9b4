"""Anchoring, measured: what people did with the model suggestions their label events recorded.

:func:`suggestion_report` reads a task's long annotations frame (``store.annotations(task)``) —
people only: model annotators (``model:<name>``) are left out — and, per annotator and for all
of them, counts the suggestions shown and accepted, how often a *wrong* suggestion was shown and
accepted, the parts kept of suggestions made of parts (spans, boxes), and, on the randomised
share, the accuracy and active time with and without the suggestion.

Definitions (one row per annotator's standing label of an item; skips and undone labels left
out):

- *suggested*: the event recorded a suggestion (its ``suggestion`` column). *Shown*: its
  ``suggestion_shown`` is true, or missing (a store written before that column, or a frame
  without it: a recorded suggestion was shown). *Hidden*: ``suggestion_shown`` is false (with
  ``show_suggestions=p`` the suggestion is recorded but not shown).
- *accepted* / *partial* / *rejected*: what the task's kind says the stored value kept of the
  suggestion (``TaskKind.suggestion_outcome``): Classify accepts when the value is the
  suggested label (from the browser or ``w.annotate``), Spans and Boxes from the recorded
  accepted / changed / removed parts (part counts in the ``parts_*`` columns), Compare when
  the choice is the suggested one, Text when the draft was submitted unchanged.
- *wrong*: the suggested value does not agree with the reference (the kind's ``values_agree``):
  ``gold`` (item id → answer, in stored form) when given, else the final label of the people's
  labels (:func:`~nblabel.agreement.consensus.consensus`: unanimous, or the majority vote;
  items one person labeled have no reference — that label cannot check itself — nor do ties).
- *randomised share*: when the task has both shown and hidden suggestions, whether a suggestion
  was shown was decided by the seeded draw of ``show_suggestions=p``; the share is every event
  whose ``suggestion_shown`` is recorded (true or false). Accuracy (the share of values that
  agree with the reference) and median active time are compared on it, shown against hidden;
  without hidden suggestions there is no randomised share and those columns are NaN.
- intervals: Wilson score intervals for the accuracies, Newcombe's hybrid score interval
  (method 10) for their difference, at ``level``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ..core import registry
from ..core.frames import current_from_annotations, is_missing, recorded_task
from ..core.models import people_only
from .consensus import consensus

__all__ = [
    "ALL", "SUGGESTION_COLUMNS", "has_suggestions", "newcombe_interval", "suggestion_caption",
    "suggestion_report", "suggestion_table", "wilson_interval",
]  # fmt: skip

#: The name of the row over every annotator.
ALL = "all"
#: The columns of :func:`suggestion_report`, in order.
SUGGESTION_COLUMNS = [
    "events", "suggested", "shown", "hidden", "accepted", "partial", "rejected", "accept_rate",
    "hidden_match_rate", "wrong_shown", "wrong_accepted", "wrong_accept_rate",
    "parts_shown", "parts_accepted", "parts_changed", "parts_removed", "parts_added",
    "wrong_parts_shown", "wrong_parts_accepted", "wrong_parts_accept_rate",
    "n_accuracy_shown", "accuracy_shown", "accuracy_shown_low", "accuracy_shown_high",
    "n_accuracy_hidden", "accuracy_hidden", "accuracy_hidden_low", "accuracy_hidden_high",
    "accuracy_diff", "accuracy_diff_low", "accuracy_diff_high",
    "median_active_ms_shown", "median_active_ms_hidden",
]  # fmt: skip
_COUNTS = [
    *SUGGESTION_COLUMNS[:7], "wrong_shown", "wrong_accepted", *SUGGESTION_COLUMNS[12:17], "wrong_parts_shown",
    "wrong_parts_accepted",
]  # fmt: skip


def suggestion_report(
    annotations: pd.DataFrame, gold: Any = None, *, task: str | None = None, level: float = 0.95
) -> pd.DataFrame:
    """Per annotator (people only; plus an ``all`` row), what they did with suggestions.

    ``annotations`` is the long frame of ``store.annotations(task)`` (its recorded kind reads
    the values; a frame built by hand is read as classify). ``gold`` is a Series or mapping of
    item id → answer; without it a suggestion is checked against the people's final label.
    Columns (see the module's docstring for the definitions):

    - ``events`` (standing labels), ``suggested``, ``shown``, ``hidden``; of those shown
      ``accepted``, ``partial``, ``rejected`` and ``accept_rate`` (accepted / shown);
      ``hidden_match_rate``: the share of hidden suggestions the annotator's value agreed with
      anyway (what ``accept_rate`` would be without anchoring);
    - ``wrong_shown``, ``wrong_accepted``, ``wrong_accept_rate`` (of the wrong suggestions shown);
    - ``parts_shown``, ``parts_accepted``, ``parts_changed``, ``parts_removed``, ``parts_added``:
      the parts of the suggestions shown (a span, a box, a label of a multi-label set; one for a
      label); ``wrong_parts_shown``, ``wrong_parts_accepted`` and ``wrong_parts_accept_rate``:
      the suggested parts the reference lacks (a span not in it exactly; a box no reference box
      of its label overlaps with IoU ≥ 0.5), and those kept exactly;
    - on the randomised share: ``accuracy_shown`` and ``accuracy_hidden`` (with ``n_…`` and
      ``…_low``/``…_high``: Wilson), ``accuracy_diff`` = shown − hidden (Newcombe), and
      ``median_active_ms_shown`` / ``median_active_ms_hidden``.

    The frame's ``attrs`` say what was used: ``reference`` (``"gold"`` or ``"final label"``),
    ``randomised`` (whether there is a randomised share), ``interval`` and ``level``.
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    frame = _one_task(annotations, task)
    recorded = recorded_task(frame, task)
    config = dict(recorded.config) if recorded is not None else {}
    kind = registry.for_task(recorded.kind if recorded is not None else "classify", config)
    people = people_only(frame)
    reference = _reference(people, gold)
    events = _events(people, kind, reference)
    rows = {name: _row(part, level) for name, part in events.groupby("annotator", sort=True)}
    total = ALL if ALL not in rows else f"{ALL} (every annotator)"
    rows[total] = _row(events, level)
    report = pd.DataFrame.from_dict(rows, orient="index", columns=SUGGESTION_COLUMNS)
    report.index.name = "annotator"
    for column in _COUNTS:
        report[column] = report[column].astype("int64")
    report.attrs.update(
        reference="gold" if gold is not None else "final label",
        randomised=bool(events["randomised"].any()),
        interval="Wilson (difference: Newcombe)",
        level=level,
        kind=kind.name,
    )
    return report


# ---------------------------------------------------------------------- intervals
def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float, float]:
    """The share ``successes / n`` and its Wilson score interval (NaNs when ``n`` is 0)."""
    if n <= 0:
        return math.nan, math.nan, math.nan
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(
    a: tuple[float, float, float], b: tuple[float, float, float]
) -> tuple[float, float, float]:
    """The difference of two shares ``a - b`` (each ``(share, low, high)`` of
    :func:`wilson_interval`) and Newcombe's hybrid score interval (method 10)."""
    (p1, l1, u1), (p2, l2, u2) = a, b
    if any(math.isnan(v) for v in (p1, p2)):
        return math.nan, math.nan, math.nan
    d = p1 - p2
    return d, d - math.hypot(p1 - l1, u2 - p2), d + math.hypot(u1 - p1, p2 - l2)


# ---------------------------------------------------------------------- the events
def _one_task(annotations: pd.DataFrame, task: str | None) -> pd.DataFrame:
    if not isinstance(annotations, pd.DataFrame):
        raise TypeError(
            f"annotations must be the DataFrame of store.annotations(task), got {type(annotations).__name__}"
        )
    missing = {"item_id", "annotator", "kind", "value"} - set(annotations.columns)
    if missing:
        raise KeyError(f"annotations have no column(s) {sorted(missing)}: pass store.annotations(task)")
    if "id" not in annotations.columns:  # a frame built by hand: its rows in log order
        ids = annotations.assign(id=np.arange(len(annotations)))
        ids.attrs = annotations.attrs
        annotations = ids
    if "task" not in annotations.columns:
        return annotations
    tasks = list(pd.unique(annotations["task"]))
    if task is not None:
        frame = annotations[annotations["task"] == task]
        frame.attrs = annotations.attrs
        return frame
    if len(tasks) > 1:
        raise ValueError(f"annotations hold {len(tasks)} tasks {tasks[:5]}: name one with task=")
    return annotations


#: The outcome's part counts the report sums, as columns of the events.
_PARTS = ("parts", "accepted", "changed", "removed", "added", "wrong", "wrong_accepted")
#: Status codes of the events' ``status`` column.
_NONE, _ACCEPTED, _PARTIAL, _REJECTED = 0, 1, 2, 3
_STATUS = {"accepted": _ACCEPTED, "partial": _PARTIAL, "rejected": _REJECTED}


def _events(people: pd.DataFrame, kind: Any, reference: dict[Any, Any]) -> pd.DataFrame:
    """Each person's standing label with what it kept of its suggestion (status, part counts),
    whether the suggestion was shown, and against the reference: ``scored`` (one exists),
    ``correct`` (the value agrees with it) and ``wrong`` (the suggestion does not)."""
    current = current_from_annotations(people)
    current = current[current["kind"] == "label"]
    n = len(current)
    items, values = current["item_id"].tolist(), current["value"].tolist()
    suggestions = current["suggestion"].tolist() if "suggestion" in current.columns else [None] * n
    judge = _Judge(kind, reference)
    columns = np.zeros((n, len(_PARTS)), dtype=np.int64)
    status = np.zeros(n, dtype=np.int8)
    scored, correct, wrong = np.zeros(n, bool), np.zeros(n, bool), np.zeros(n, bool)
    for row, (item_id, value, suggestion) in enumerate(zip(items, values, suggestions, strict=True)):
        scored[row], correct[row], outcome, wrong[row] = judge(item_id, value, suggestion)
        if outcome is not None:
            status[row] = _STATUS[outcome.status]
            columns[row] = [getattr(outcome, name) for name in _PARTS]
    if "suggestion_shown" in current.columns:
        flag = pd.array(current["suggestion_shown"], dtype="boolean")
    else:
        flag = pd.array([pd.NA] * n, dtype="boolean")
    suggested = status != _NONE
    recorded = ~np.asarray(flag.isna(), dtype=bool)
    flag_true = np.asarray(flag.fillna(False), dtype=bool)
    shown = suggested & (flag_true | ~recorded)
    hidden = suggested & recorded & ~flag_true
    # the seeded draw decided: the task has both shown and hidden, and this event recorded which
    drawn = bool(hidden.any() and (suggested & recorded & flag_true).any())
    active = pd.array(current["active_ms"], dtype="Float64") if "active_ms" in current.columns else None
    return pd.DataFrame(
        {
            "annotator": current["annotator"].astype(str).to_numpy(dtype=object),
            "status": status,
            "suggested": suggested,
            "shown": shown,
            "hidden": hidden,
            "randomised": suggested & recorded & drawn,
            "scored": scored,
            "correct": correct,
            "wrong": wrong,
            **{f"n_{name}": columns[:, i] for i, name in enumerate(_PARTS)},
            "active_ms": (
                np.full(n, np.nan) if active is None else active.to_numpy(dtype=float, na_value=np.nan)
            ),
        }
    )


class _Judge:
    """One event checked: (scored, correct, outcome, wrong) — the kind asked once per distinct
    (value, suggestion, reference) of hashable values (labels and choices repeat a lot)."""

    def __init__(self, kind: Any, reference: dict[Any, Any]) -> None:
        self.kind, self.reference = kind, reference
        self.cache: dict[Any, tuple[bool, bool, Any, bool]] = {}

    def __call__(self, item_id: Any, value: Any, suggestion: Any) -> tuple[bool, bool, Any, bool]:
        answer = self.reference.get(item_id)
        try:
            key: Any = (value, suggestion, answer, item_id in self.reference)
            found = self.cache.get(key)
        except TypeError:  # lists and dicts: no cache
            key, found = None, None
        if found is None:
            found = self._check(item_id, value, suggestion, answer)
            if key is not None:
                self.cache[key] = found
        return found

    def _check(self, item_id: Any, value: Any, suggestion: Any, answer: Any) -> tuple[bool, bool, Any, bool]:
        kind, has = self.kind, item_id in self.reference
        correct = has and bool(kind.values_agree(value, answer))
        if is_missing(suggestion):
            return has, correct, None, False
        try:
            outcome = kind.suggestion_outcome(value, suggestion, answer if has else None)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            raise ValueError(
                f"item {item_id!r}: the recorded suggestion {suggestion!r} is not a {kind.name} suggestion "
                f"({type(exc).__name__}: {exc})"
            ) from None
        wrong = has and outcome is not None and not kind.values_agree(outcome.suggested, answer)
        return has, correct, outcome, wrong


def _reference(people: pd.DataFrame, gold: Any) -> dict[Any, Any]:
    """Item id → the answer a suggestion and a value are checked against."""
    if gold is not None:
        if isinstance(gold, pd.DataFrame):
            raise TypeError("gold must be a Series (item id -> answer) or a mapping, not a DataFrame")
        if isinstance(gold, pd.Series):
            return {k: v for k, v in gold.items() if not is_missing(v)}
        if isinstance(gold, Mapping):
            return {k: v for k, v in gold.items() if not is_missing(v)}
        raise TypeError(f"gold must be a Series or a mapping of item id -> answer, got {type(gold).__name__}")
    if people.empty or not (people["kind"] == "label").any():
        return {}
    final = consensus(people)
    decided = final[final["rule"].isin(["unanimous", "majority"])]
    return dict(zip(decided.index, decided["final_label"], strict=True))


def _row(part: pd.DataFrame, level: float) -> dict[str, Any]:
    shown, hidden = part["shown"].to_numpy(bool), part["hidden"].to_numpy(bool)
    status = part["status"].to_numpy()
    accepted = shown & (status == _ACCEPTED)
    wrong = shown & part["wrong"].to_numpy(bool)
    parts = {name: int(part[f"n_{name}"].to_numpy()[shown].sum()) for name in _PARTS}
    randomised, scored = part["randomised"].to_numpy(bool), part["scored"].to_numpy(bool)
    correct = part["correct"].to_numpy(bool)
    with_s, without = randomised & shown & scored, randomised & hidden & scored
    acc_shown = wilson_interval(int(correct[with_s].sum()), int(with_s.sum()), level)
    acc_hidden = wilson_interval(int(correct[without].sum()), int(without.sum()), level)
    diff = newcombe_interval(acc_shown, acc_hidden)
    active = part["active_ms"].to_numpy(float)
    n_shown, n_hidden, n_wrong = int(shown.sum()), int(hidden.sum()), int(wrong.sum())
    return {
        "events": len(part),
        "suggested": int(part["suggested"].sum()),
        "shown": n_shown,
        "hidden": n_hidden,
        "accepted": int(accepted.sum()),
        "partial": int((shown & (status == _PARTIAL)).sum()),
        "rejected": int((shown & (status == _REJECTED)).sum()),
        "accept_rate": _share(int(accepted.sum()), n_shown),
        "hidden_match_rate": _share(int((hidden & (status == _ACCEPTED)).sum()), n_hidden),
        "wrong_shown": n_wrong,
        "wrong_accepted": int((wrong & accepted).sum()),
        "wrong_accept_rate": _share(int((wrong & accepted).sum()), n_wrong),
        "parts_shown": parts["parts"],
        "parts_accepted": parts["accepted"],
        "parts_changed": parts["changed"],
        "parts_removed": parts["removed"],
        "parts_added": parts["added"],
        "wrong_parts_shown": parts["wrong"],
        "wrong_parts_accepted": parts["wrong_accepted"],
        "wrong_parts_accept_rate": _share(parts["wrong_accepted"], parts["wrong"]),
        "n_accuracy_shown": int(with_s.sum()),
        "accuracy_shown": acc_shown[0],
        "accuracy_shown_low": acc_shown[1],
        "accuracy_shown_high": acc_shown[2],
        "n_accuracy_hidden": int(without.sum()),
        "accuracy_hidden": acc_hidden[0],
        "accuracy_hidden_low": acc_hidden[1],
        "accuracy_hidden_high": acc_hidden[2],
        "accuracy_diff": diff[0],
        "accuracy_diff_low": diff[1],
        "accuracy_diff_high": diff[2],
        "median_active_ms_shown": _median(active[randomised & shown]),
        "median_active_ms_hidden": _median(active[randomised & hidden]),
    }


def _share(k: int, n: int) -> float:
    return k / n if n else math.nan


def _median(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(np.median(values)) if len(values) else math.nan


# ---------------------------------------------------------------------- text
def suggestion_table(report: pd.DataFrame) -> pd.DataFrame:
    """The headline figures of a :func:`suggestion_report` as text cells, one row per annotator
    (what the dashboard, ``nblabel report`` and the dataset cards show): ``shown``, ``hidden``,
    ``accepted`` and ``wrong accepted`` (counts and rates; of suggestions made of parts, also
    ``wrong parts accepted``), the accuracy with and without the
    suggestion with intervals, their difference in percentage points, and the median active
    seconds with and without."""
    rows = []
    for name, r in report.iterrows():
        rows.append({
            "annotator": str(name),
            "shown": f"{int(r['shown'])}",
            "hidden": f"{int(r['hidden'])}",
            "accepted": _of(r["accepted"], r["shown"]),
            "wrong accepted": _of(r["wrong_accepted"], r["wrong_shown"]),
            "accuracy shown": _share_ci(r, "accuracy_shown"),
            "accuracy hidden": _share_ci(r, "accuracy_hidden"),
            "difference": _points(r["accuracy_diff"], r["accuracy_diff_low"], r["accuracy_diff_high"]),
            "median s shown": _seconds(r["median_active_ms_shown"]),
            "median s hidden": _seconds(r["median_active_ms_hidden"]),
        })  # fmt: skip
    table = pd.DataFrame(rows).set_index("annotator") if rows else pd.DataFrame()
    if rows and (report["parts_shown"] != report["shown"]).any():  # suggestions of several parts
        kept, wrong = report["wrong_parts_accepted"], report["wrong_parts_shown"]
        parts = [_of(k, n) for k, n in zip(kept, wrong, strict=True)]
        table.insert(4, "wrong parts accepted", parts)
    return table


def suggestion_caption(report: pd.DataFrame) -> str:
    """One paragraph saying how :func:`suggestion_table` reads: the reference of "wrong" and the
    randomised share."""
    given = report.attrs.get("reference", "final label")
    reference = {
        "gold": "the gold answers",
        "final label": "the final labels (people only; items one person labeled have none)",
    }.get(given, f"the {given}")
    level = report.attrs.get("level", 0.95)
    text = f"A suggestion is wrong when it differs from {reference}. "
    if report.attrs.get("randomised"):
        text += (
            "Accuracy and active time compare the randomised share (show_suggestions=p decided, by a "
            f"seeded draw, whether each suggestion was shown): {level:.0%} Wilson intervals, the "
            "difference (shown − hidden) with Newcombe's interval."
        )
    else:
        text += "Every suggestion was shown: no randomised share to compare accuracy with and without."
    return text


def has_suggestions(report: pd.DataFrame) -> bool:
    """Whether any person's label recorded a suggestion."""
    return bool(len(report)) and int(report["suggested"].iloc[-1]) > 0


def _of(k: Any, n: Any) -> str:
    k, n = int(k), int(n)
    return f"{k} of {n} ({k / n:.0%})" if n else "–"


def _share_ci(row: pd.Series, key: str) -> str:
    value = row[key]
    if math.isnan(value):
        return "–"
    return f"{value:.0%} [{row[key + '_low']:.0%}, {row[key + '_high']:.0%}] of {int(row['n_' + key])}"


def _points(value: float, low: float, high: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value * 100:+.0f} pts [{low * 100:+.0f}, {high * 100:+.0f}]"


def _seconds(ms: float) -> str:
    return "–" if math.isnan(ms) else f"{ms / 1000:.1f}"
