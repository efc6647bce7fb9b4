"""The plot of a :func:`~nblabel.agreement.suggestions.suggestion_report`: how often each
annotator accepted suggestions against how often they accepted the wrong ones, and their
accuracy with and without a suggestion on the randomised share, with Wilson intervals. Built
as the other plots are (:mod:`nblabel.agreement.plots`): no pyplot, a Figure that shows itself
in a notebook, the Okabe–Ito palette, user text shown literally."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plots import _GRID, _INK, _MUTED, OKABE_ITO, NotebookFigure, _fit, _plain
from .suggestions import SUGGESTION_COLUMNS, suggestion_report

__all__ = ["plot_suggestions"]


def plot_suggestions(
    report_or_annotations: pd.DataFrame, gold: Any = None, *, title: str | None = None
) -> Figure:
    """Two panels from a suggestion report (or the annotations to make one, with ``gold``):
    left, each annotator's accept rate (x) against their wrong-accept rate (y) — on the diagonal
    a wrong suggestion is accepted as readily as any, under it wrong ones are caught; right,
    accuracy with the suggestion shown and hidden on the randomised share, with intervals. The
    figure's ``report`` is the report drawn."""
    report = report_or_annotations
    if not set(SUGGESTION_COLUMNS) <= set(getattr(report, "columns", ())):
        report = suggestion_report(report_or_annotations, gold=gold)
    people = report.iloc[:-1]  # the last row is every annotator's
    fig = NotebookFigure(figsize=(10.0, 1.9 + 0.42 * max(len(report), 3)), dpi=100, layout="constrained")
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.25]})
    for ax in (left, right):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        for side in ("left", "bottom"):
            ax.spines[side].set_color(_MUTED)
        ax.tick_params(colors=_INK, labelsize=9)
    _draw_rates(left, people, report.iloc[-1])
    _draw_accuracy(right, report)
    reference = report.attrs.get("reference", "final label")
    fig.suptitle(
        title or f"Suggestions: accepted, and accepted when wrong (against the {reference})",
        x=0.02, ha="left", fontsize=11.5, fontweight="bold", color=_INK,
    )  # fmt: skip
    fig.report = report
    return fig


def _draw_rates(ax: Any, people: pd.DataFrame, total: pd.Series) -> None:
    ax.plot([0, 1], [0, 1], color=_GRID, linewidth=1, zorder=1)
    ax.set_xlim(-0.04, 1.04)
    ax.set_ylim(-0.04, 1.04)
    drawn = 0
    for i, (name, row) in enumerate(people.iterrows()):
        x, y = float(row["accept_rate"]), float(row["wrong_accept_rate"])
        if math.isnan(x):
            continue
        y_shown = 0.0 if math.isnan(y) else y
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        ax.scatter([x], [y_shown], s=46, color=colour, marker="o" if not math.isnan(y) else "x", zorder=3)
        ax.annotate(_fit(name, 16, 1), (x, y_shown), xytext=(5, 4), textcoords="offset points", fontsize=8.5,
                    color=_INK)  # fmt: skip
        drawn += 1
    ax.set_xlabel("accept rate (accepted / shown)", color=_INK, fontsize=9.5)
    ax.set_ylabel("wrong-accept rate (accepted / wrong shown)", color=_INK, fontsize=9.5)
    subtitle = (
        f"all: {_pct(total['accept_rate'])} of {int(total['shown'])} shown accepted, "
        f"{_pct(total['wrong_accept_rate'])} of {int(total['wrong_shown'])} wrong ones"
    )
    if not drawn:
        subtitle = "no suggestion shown yet"
    ax.set_title(subtitle, loc="left", fontsize=8.5, color=_MUTED, pad=8)


def _draw_accuracy(ax: Any, report: pd.DataFrame) -> None:
    names = [_plain(str(n)) for n in report.index]
    y = np.arange(len(report))[::-1].astype(float)
    if not report.attrs.get("randomised", bool(report["n_accuracy_hidden"].sum())):
        ax.text(0.5, 0.5, "no randomised share:\nshow_suggestions=p hides a share of suggestions",
                ha="center", va="center", color=_MUTED, fontsize=9, transform=ax.transAxes)  # fmt: skip
        ax.set_yticks([])
        ax.set_xticks([])
        return
    for offset, side, colour in ((0.14, "shown", OKABE_ITO[5]), (-0.14, "hidden", OKABE_ITO[0])):
        values = report[f"accuracy_{side}"].to_numpy(float)
        low = report[f"accuracy_{side}_low"].to_numpy(float)
        high = report[f"accuracy_{side}_high"].to_numpy(float)
        ok = np.isfinite(values)
        ax.errorbar(
            values[ok], y[ok] + offset, xerr=[values[ok] - low[ok], high[ok] - values[ok]], fmt="o",
            color=colour, markersize=5, capsize=2.5, linewidth=1.2, label=f"suggestion {side}",
        )  # fmt: skip
    for yy, (_, row) in zip(y, report.iterrows(), strict=True):
        d = row["accuracy_diff"]
        if not math.isnan(d):
            low, high = row["accuracy_diff_low"] * 100, row["accuracy_diff_high"] * 100
            ax.text(1.03, yy, f"{d * 100:+.0f} pts [{low:+.0f}, {high:+.0f}]",
                    va="center", fontsize=8, color=_INK, transform=ax.get_yaxis_transform())  # fmt: skip
    ax.set_yticks(y, [_fit(n, 16, 1) for n in names])
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.7, len(report) - 0.3)
    ax.xaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.set_xlabel("accuracy on the randomised share", color=_INK, fontsize=9.5)
    level = report.attrs.get("level", 0.95)
    ax.set_title(f"with and without the suggestion · {level:.0%} Wilson intervals · right: shown − hidden",
                 loc="left", fontsize=8.5, color=_MUTED, pad=8)  # fmt: skip
    ax.legend(loc="lower left", fontsize=8, frameon=False)


def _pct(value: Any) -> str:
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0%}"
