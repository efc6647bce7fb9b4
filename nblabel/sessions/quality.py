"""Quality over time: each annotator's agreement with the others and gold accuracy per batch of
their answers or per day, a rolling gold accuracy, and a drift flag when it falls under the
session's ``gold_threshold``.

Every figure comes from each annotator's *first* answer to each item (as gold accuracy does: a
correction after seeing the answer, or a repeat of the item, does not count), placed in the period
it was given: ``by="batch"`` cuts an annotator's answers (production and gold, in the order they
gave them) into batches of ``batch_size``; ``by="day"`` takes the UTC day of ``created_at``.
Agreement compares each production label with the other annotators' first labels on the same
item, whenever they were given; gold accuracy scores first labels of gold items (skips left out,
as in ``session.gold_accuracy()``). The rolling gold accuracy at the end of a period is the mean
score of the annotator's last ``window`` gold answers so far (NaN before there are ``window``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..core.drift import drifting, rolling_accuracy
from ..core.session_plan import first_answers_frame

#: What ``by=`` may be.
QUALITY_BY = ("batch", "day")
#: Columns of :func:`quality_table`.
QUALITY_COLUMNS = [
    "period", "annotator", "start", "end", "labels", "pairs", "agreement", "gold_answered", "gold_accuracy",
    "rolling_gold_accuracy", "drift",
]  # fmt: skip


def quality_table(
    frame: pd.DataFrame,
    *,
    annotators: list[str],
    gold: dict[str, Any],
    agree: Callable[[Any, Any], bool],
    score: Callable[[Any, Any], float],
    by: str = "batch",
    batch_size: int = 50,
    window: int = 10,
    gold_threshold: float = 0.9,
) -> pd.DataFrame:
    """One row per annotator and period (see the module docstring); ``agree`` and ``score`` are
    the task kind's ``values_agree`` and ``gold_score``."""
    check_options(by, batch_size, window)
    first = first_answers_frame(frame)
    first = first[first["annotator"].isin(annotators)]
    labels = first[first["kind"] == "label"]
    by_item: dict[str, list[tuple[str, Any]]] = {}
    for key, name, value in zip(labels["key"], labels["annotator"], labels["value"], strict=True):
        if key not in gold:
            by_item.setdefault(key, []).append((name, value))
    rows: list[dict[str, Any]] = []
    for name in annotators:
        mine = first[first["annotator"] == name]
        if mine.empty:
            continue
        periods = _periods(mine, by, batch_size)
        rows.extend(_annotator_rows(name, mine, periods, by_item, gold, agree, score, window, gold_threshold))
    table = pd.DataFrame(rows, columns=QUALITY_COLUMNS)
    for column in ("labels", "pairs", "gold_answered"):
        table[column] = table[column].astype("int64")
    table["drift"] = table["drift"].astype(bool)
    table.attrs.update(by=by, batch_size=batch_size, window=window, gold_threshold=gold_threshold)
    return table


def check_options(by: str, batch_size: int, window: int) -> None:
    """``ValueError``/``TypeError`` naming a bad ``by=``, ``batch_size=`` or ``window=``."""
    if by not in QUALITY_BY:
        raise ValueError(f"by={by!r} must be one of {list(QUALITY_BY)}")
    for what, value in (("batch_size", batch_size), ("window", window)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
            raise TypeError(f"{what}= must be an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"{what}={value} must be at least 1")


def _periods(mine: pd.DataFrame, by: str, batch_size: int) -> np.ndarray:
    if by == "batch":
        return np.arange(len(mine)) // batch_size + 1
    return np.asarray(mine["created_at"].dt.tz_convert("UTC").dt.floor("D"))


def _annotator_rows(
    name: str,
    mine: pd.DataFrame,
    periods: np.ndarray,
    by_item: dict[str, list[tuple[str, Any]]],
    gold: dict[str, Any],
    agree: Callable[[Any, Any], bool],
    score: Callable[[Any, Any], float],
    window: int,
    threshold: float,
) -> list[dict[str, Any]]:
    grouped: dict[Any, list[tuple[str, str, Any, Any]]] = {}
    answers = zip(mine["key"], mine["kind"], mine["value"], mine["created_at"], strict=True)
    for period, answer in zip(periods.tolist(), answers, strict=True):
        grouped.setdefault(period, []).append(answer)  # periods in the order answers came
    scores: list[float] = []  # every gold score so far, in order
    rows = []
    for period, chosen in grouped.items():
        labels = pairs = agreed = 0
        period_scores = []
        for key, kind, value, _at in chosen:
            if kind != "label":
                continue
            if key in gold:
                period_scores.append(float(score(value, gold[key])))
                continue
            labels += 1
            for other, theirs in by_item.get(key, []):
                if other != name:
                    pairs += 1
                    agreed += bool(agree(value, theirs))
        scores.extend(period_scores)
        rolling = rolling_accuracy(scores, window)
        rows.append(
            {
                "period": _period(period),
                "annotator": name,
                "start": min(at for *_, at in chosen),
                "end": max(at for *_, at in chosen),
                "labels": labels,
                "pairs": pairs,
                "agreement": agreed / pairs if pairs else float("nan"),
                "gold_answered": len(period_scores),
                "gold_accuracy": float(np.mean(period_scores)) if period_scores else float("nan"),
                "rolling_gold_accuracy": rolling,
                "drift": drifting(rolling, threshold),
            }
        )
    return rows


def _period(value: Any) -> Any:
    """A batch number as an int; a day as a UTC Timestamp."""
    if isinstance(value, (int, np.integer)):
        return int(value)
    stamp = pd.Timestamp(value)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def drifting_annotators(table: pd.DataFrame) -> pd.DataFrame:
    """The annotators whose latest rolling gold accuracy is under the threshold: ``since`` (the
    first period of the current run of flags) and ``rolling_gold_accuracy`` (the latest)."""
    out = []
    for name, part in table.groupby("annotator", sort=False):
        known = part[part["rolling_gold_accuracy"].notna()]
        if known.empty or not known["drift"].iloc[-1]:
            continue
        flags = known["drift"].to_numpy()
        start = len(flags) - int(np.argmin(flags[::-1])) if not flags.all() else 0
        out.append([name, known["period"].iloc[start], float(known["rolling_gold_accuracy"].iloc[-1])])
    return pd.DataFrame(out, columns=["annotator", "since", "rolling_gold_accuracy"]).set_index("annotator")


def plot_quality(table: pd.DataFrame, title: str | None = None) -> Any:
    """Rolling gold accuracy (with the threshold and drift flags) and agreement with the others,
    per period and annotator: a matplotlib Figure (no pyplot)."""
    from ..agreement.plots import OKABE_ITO, NotebookFigure
    from ..agreement.report import printable

    def plain(text: Any) -> str:  # user text shown literally: "$" would start math mode
        return printable(str(text)).replace("$", r"\$")

    fig = NotebookFigure(figsize=(7.5, 5.0), dpi=100, layout="constrained")
    gold_ax, agree_ax = fig.subplots(2, 1, sharex=True)
    threshold = float(table.attrs.get("gold_threshold", 0.9))
    for i, (name, part) in enumerate(table.groupby("annotator", sort=False)):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        x = list(part["period"])
        gold_ax.plot(x, part["rolling_gold_accuracy"], marker="o", color=colour, label=plain(name))
        flagged = part[part["drift"]]
        gold_ax.scatter(list(flagged["period"]), flagged["rolling_gold_accuracy"], s=90, facecolors="none",
                        edgecolors="#D55E00", linewidths=1.5, zorder=3)  # fmt: skip
        agree_ax.plot(x, part["agreement"], marker="o", color=colour, label=plain(name))
    gold_ax.axhline(threshold, color="#666666", linestyle="--", linewidth=1)
    gold_ax.set_ylabel(f"gold accuracy\n(last {table.attrs.get('window', 10)} gold items)")
    agree_ax.set_ylabel("agreement with\nthe others")
    by = table.attrs.get("by", "batch")
    agree_ax.set_xlabel(
        f"batch of {table.attrs.get('batch_size', 50)} answers" if by == "batch" else "day (UTC)"
    )
    for ax in (gold_ax, agree_ax):
        ax.set_ylim(-0.02, 1.02)
        ax.grid(axis="y", color="#DDDDDD")
    if len(table):
        gold_ax.legend(loc="lower left", fontsize="small", frameon=False)
    gold_ax.set_title(
        plain(title or "Quality over time") + f" (drift under {threshold:.0%}: circled)", loc="left"
    )
    return fig
