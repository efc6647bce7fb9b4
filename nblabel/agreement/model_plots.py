"""The plot of a model leaderboard (:func:`~nblabel.agreement.models.rank_models`): each model's
Bradley–Terry score with its bootstrap interval, best at the top. Built as the quality plots are
(:mod:`nblabel.agreement.plots`): no pyplot, a Figure that shows itself in a notebook, the
Okabe–Ito palette, user text shown literally."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from .plots import _INK, OKABE_ITO, _figure, _fit, _plain, _titles

__all__ = ["plot_models"]


def plot_models(ranking: pd.DataFrame, *, title: str | None = None) -> Figure:
    """A :class:`~nblabel.agreement.models.ModelRanking` as points with their intervals, best at
    the top, each model's score and comparisons written at the right; the line marks the mean of
    the scores (or the anchor model)."""
    missing = {"score", "ci_low", "ci_high", "n"} - set(ranking.columns)
    if missing:
        raise KeyError(f"not a model ranking: columns {sorted(missing)} are missing")
    n = len(ranking)
    fig, ax = _figure(7.5, 1.2 + 0.38 * max(n, 1))
    elo = getattr(ranking, "scale", "log") == "elo"
    anchor = getattr(ranking, "anchor", None)
    centre = 1000.0 if elo else 0.0
    ax.axvline(centre, color="#BBBBBB", linewidth=0.8, zorder=1)
    colour = OKABE_ITO[0]
    for i, (model, row) in enumerate(ranking.iterrows()):
        score, low, high = float(row["score"]), float(row["ci_low"]), float(row["ci_high"])
        label = f"{score:.0f}" if elo else f"{score:+.2f}"
        if anchor is not None and model == anchor:
            label += "  (anchor)"
        elif not (math.isnan(low) or math.isnan(high)):
            ax.errorbar(
                score, i, xerr=[[score - low], [high - score]], fmt="none", ecolor=colour,
                elinewidth=2, capsize=4, capthick=1.5, zorder=3,
            )  # fmt: skip
            label += f"  [{low:.0f}, {high:.0f}]" if elo else f"  [{low:+.2f}, {high:+.2f}]"
        ax.plot(score, i, marker="o", markersize=7, color=colour, linestyle="none", zorder=4)
        label += f"  · n = {int(row['n'])}"
        ax.text(1.02, i, label, transform=ax.get_yaxis_transform(), va="center", fontsize=8.5, color=_INK)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_yticks(range(n), [_fit(m, 24, 2) for m in ranking.index])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.xaxis.grid(True, color="#EEEEEE", linewidth=0.8)
    ax.set_axisbelow(True)
    what = "Elo-like points (400 = ×10 odds)" if elo else "log-strength (difference = log-odds of winning)"
    ax.set_xlabel(what, fontsize=9, color=_INK)
    _titles(fig, ax, _plain(_title(ranking) if title is None else title), _subtitle(ranking, anchor, elo))
    return fig


def _title(ranking: pd.DataFrame) -> str:
    bits = [f"{len(ranking)} models"]
    judgements = getattr(ranking, "judgements", None)
    if judgements is not None:
        bits.append(f"{judgements} judgements")
    return "Model leaderboard (Bradley–Terry) · " + " · ".join(bits)


def _subtitle(ranking: pd.DataFrame, anchor: Any, elo: bool) -> str:
    level = getattr(ranking, "level", 0.95)
    n_boot = getattr(ranking, "n_boot", 0)
    where = f"line: {_plain(anchor)}" if anchor is not None else "line: mean of the models"
    bars = f"bars: {level:.0%} bootstrap CI over items ({n_boot} resamples)" if n_boot else "no intervals"
    if not np.isfinite(ranking["ci_low"].to_numpy(dtype=float)).any():
        bars = "no intervals"
    return f"{bars} · {where} · ties count half a win"
