"""The plot of a :class:`~nblabel.agreement.judge.JudgeReport`: Cohen's κ of the judge with
each person and with the reference (points with their bootstrap intervals, over the Landis &
Koch bands' boundaries), and the judge × reference confusion heatmap drawn as the other
confusion plots are (:mod:`nblabel.agreement.plots`)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .plots import (
    _GRID,
    _INK,
    _MUTED,
    OKABE_ITO,
    SEQUENTIAL,
    NotebookFigure,
    _confusion_axes,
    _confusion_colorbar,
    _fit,
    _print_counts,
)

__all__ = ["plot_judge"]


def plot_judge(report: Any, *, title: str | None = None) -> Figure:
    """κ with intervals (left) and the judge × reference confusion (right); the figure's
    ``confusion`` is the matrix drawn."""
    summary, confusion = report.summary, report.confusion
    n = len(confusion)
    height = max(3.6, 1.6 + 0.42 * max(len(summary), n))
    fig = NotebookFigure(figsize=(11.0, height), dpi=100, layout="constrained")
    left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.0, 1.0]})
    _draw_kappa(left, summary, report)
    counts = confusion.to_numpy()
    names = [str(c) for c in confusion.index]
    image = right.imshow(
        counts.astype(float), cmap=SEQUENTIAL, vmin=0, vmax=max(1.0, float(counts.max(initial=0)))
    )
    _print_counts(right, n, image.cmap(image.norm(counts.astype(float))), counts, None)
    _confusion_axes(right, names, rotate=n > 4 or max((len(s) for s in names), default=1) > 8)
    right.set_ylabel(_fit(report.judge, 30, 1), color=_INK, fontsize=10)
    right.set_xlabel(_fit(report.reference, 30, 1), color=_INK, fontsize=10)
    total, agree = int(counts.sum()), int(np.trace(counts)) if n else 0
    subtitle = f"{total} items" + (f" · {agree / total:.0%} agree" if total else "")
    right.set_title(subtitle, loc="left", fontsize=8.5, color=_MUTED, pad=8)
    _confusion_colorbar(fig, right, image, None, "items", percent=False)
    heading = title or f"Judge {_fit(report.judge, 40, 1)} against people"
    fig.suptitle(heading, x=0.02, ha="left", fontsize=11.5, fontweight="bold", color=_INK)
    fig.confusion = counts
    return fig


def _draw_kappa(ax: Any, summary: Any, report: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_MUTED)
    ax.tick_params(colors=_INK, labelsize=9)
    y = np.arange(len(summary))[::-1].astype(float)
    for edge in (0.0, 0.2, 0.4, 0.6, 0.8):
        ax.axvline(edge, color=_GRID, linewidth=0.8, zorder=1)
    reference_row = len(summary) - 1
    for i, (yy, (_, row)) in enumerate(zip(y, summary.iterrows(), strict=True)):
        kappa = float(row["kappa"])
        if math.isnan(kappa):
            continue
        colour = OKABE_ITO[5] if i == reference_row else OKABE_ITO[0]
        low, high = float(row["kappa_low"]), float(row["kappa_high"])
        if not (math.isnan(low) or math.isnan(high)):
            bar = [[kappa - low], [high - kappa]]
            ax.errorbar([kappa], [yy], xerr=bar, fmt="o", color=colour, capsize=2.5, markersize=5.5, zorder=3)
        else:
            ax.scatter([kappa], [yy], color=colour, s=30, zorder=3)
        ax.text(1.02, yy, f"{kappa:.2f} · {int(row['items'])} items", va="center", fontsize=8, color=_INK,
                transform=ax.get_yaxis_transform())  # fmt: skip
    between = float(summary["kappa_people"].iloc[-1]) if "kappa_people" in summary else math.nan
    if not math.isnan(between):  # how far people agree among themselves
        ax.axvline(between, color=_MUTED, linestyle="--", linewidth=1, zorder=2)
        ax.text(between, 0.01, " people with\n each other", fontsize=7.5, color=_MUTED, va="bottom",
                transform=ax.get_xaxis_transform())  # fmt: skip
    ax.set_yticks(y, [_fit(name, 16, 1) for name in summary.index])
    ax.set_xlim(min(-0.1, float(np.nanmin(summary["kappa_low"].to_numpy(float), initial=0.0)) - 0.05), 1.0)
    ax.set_ylim(-0.7, len(summary) - 0.3)
    ax.set_xlabel("Cohen's κ with the judge", color=_INK, fontsize=9.5)
    ax.set_title(
        f"{report.level:.0%} bootstrap intervals over items · last row: the {report.reference}",
        loc="left", fontsize=8.5, color=_MUTED, pad=8,
    )  # fmt: skip
