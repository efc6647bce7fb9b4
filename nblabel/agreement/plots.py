"""Quality plots (matplotlib): confusion between annotators or against gold, the agreement
coefficients with their confidence intervals, and each annotator's accuracy against throughput.

Every function returns a :class:`matplotlib.figure.Figure` and never calls ``plt.show()``: in a
notebook the figure displays as the cell's value, and ``fig.savefig(...)`` writes it. Figures are
sized for a notebook column (at most 8 inches wide) and use colour-blind-safe colours (a
single-hue lightness ramp and the Okabe-Ito palette).
"""

from __future__ import annotations

import io
import math
import struct
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from ..core.frames import current_from_annotations
from ..core.media import oriented_image
from .confusion import MAX_CATEGORIES, Grid, grid, prepare_in_use
from .relations import prepare_relations
from .report import (
    BREAK,
    NOT_CHANCE_CORRECTED,
    AgreementReport,
    CategoricalData,
    one_task,
    per_annotator_table,
    printable,
)
from .spans import NONE, span_confusion

__all__ = ["NotebookFigure", "plot_agreement", "plot_annotators", "plot_confusion"]

#: Okabe & Ito (2008), a palette distinguishable with every common colour-vision deficiency.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
_INK = "#222222"
_MUTED = "#666666"
_GRID = "#DDDDDD"
#: Landis & Koch (1977) bands: (low, high, name).
_LANDIS_KOCH = [
    (-1.0, 0.0, "poor"),
    (0.0, 0.2, "slight"),
    (0.2, 0.4, "fair"),
    (0.4, 0.6, "moderate"),
    (0.6, 0.8, "substantial"),
    (0.8, 1.0, "almost\nperfect"),
]
#: Confusion cells: ColorBrewer's single-hue Blues (lightness alone carries the value, so it reads
#: the same with any colour-vision deficiency and in greyscale), without its white end so that an
#: empty cell still shows as a cell.
SEQUENTIAL = ListedColormap(matplotlib.colormaps["Blues"](np.linspace(0.04, 0.95, 256)), name="nblabel")
_NORMALIZE = {None: None, "true": "row", "pred": "column", "all": "all"}


class NotebookFigure(Figure):
    """A matplotlib Figure that shows itself as a PNG in a notebook without pyplot.

    The plots are built without pyplot (no global figure registry, nothing to close, nothing
    shown twice); a bare Figure would then display as text, so this one renders itself, at
    twice its pixel size for sharp HiDPI screens. Where pyplot's inline backend is active its
    own formatter takes over, with the same result.
    """

    def _repr_png_(self) -> tuple[bytes, dict[str, int]]:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=2 * self.dpi, bbox_inches="tight", facecolor="white")
        data = buffer.getvalue()
        width, height = struct.unpack(">II", data[16:24])  # the PNG header's IHDR size
        return data, {"width": width // 2, "height": height // 2}


def _figure(width: float, height: float) -> tuple[Figure, Any]:
    fig = NotebookFigure(figsize=(width, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(_MUTED)
    ax.tick_params(colors=_INK, labelsize=9)
    return fig, ax


def _titles(fig: Figure, ax: Any, title: str, subtitle: str = "") -> None:
    """A bold title at the figure's left edge and a grey subtitle over the axes."""
    fig.suptitle(title, x=0.02, ha="left", fontsize=11.5, fontweight="bold", color=_INK)
    if subtitle:
        ax.set_title(subtitle, loc="left", fontsize=8.5, color=_MUTED, pad=8)


def _plain(text: Any) -> str:
    """User text shown literally: ``$`` would start matplotlib math mode; control characters
    are shown escaped."""
    return printable(str(text)).replace("$", r"\$")


def _fit(text: Any, width: int = 14, lines: int = 2) -> str:
    """A name wrapped to ``width`` characters on at most ``lines`` lines, cut with an ellipsis."""
    text = " ".join(str(text).split()) or "(empty)"
    wrapped = textwrap.wrap(text, width, break_long_words=True, break_on_hyphens=True)
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 1].rstrip() + "…"
    return _plain("\n".join(wrapped))


# ---------------------------------------------------------------------- confusion
def confusion_counts(
    data: CategoricalData, a: Any, b: Any, n_labels: int | None = None
) -> tuple[np.ndarray, list[int], pd.Index]:
    """Counts of (value of ``a``, value of ``b``) over the items both rated, the category codes
    shown, and the items counted. Shown: every label of a single-label task of at most
    :data:`~nblabel.confusion.MAX_CATEGORIES` labels (``n_labels``, default the labels of
    ``data``); else the categories (labels, or label sets for multi-label tasks) that occur,
    the most frequent ``MAX_CATEGORIES`` of them, the others counted under the code
    :data:`~nblabel.confusion.OTHER`."""
    cells, items = _grid(data, a, b, n_labels)
    return cells.counts, cells.codes, items


def _grid(data: CategoricalData, a: Any, b: Any, n_labels: int | None) -> tuple[Grid, pd.Index]:
    col_a, col_b = _column(data, a), _column(data, b)
    both = (col_a.notna() & col_b.notna()).to_numpy()
    every = not data.multi and (len(data.labels) if n_labels is None else n_labels) <= MAX_CATEGORIES
    cells = grid(col_a.to_numpy()[both], col_b.to_numpy()[both], len(data.categories), every=every)
    return cells, col_a.index[both]


def _column(data: CategoricalData, name: Any) -> pd.Series:
    if name == "gold" and (data.gold is not None or name not in data.codes.columns):
        if data.gold is None:
            raise ValueError("'gold' needs gold answers: pass gold= (a Series, mapping, column or annotator)")
        return data.gold.reindex(data.codes.index)
    if name not in data.codes.columns:
        raise KeyError(f"no annotator {name!r}; annotators: {list(data.codes.columns)}")
    return data.codes[name]


def plot_confusion(
    annotations: pd.DataFrame,
    a: Any,
    b: Any,
    normalize: str | None = None,
    *,
    gold: Any = None,
    labels: Sequence[Any] | None = None,
    task: str | None = None,
    cmap: Any = SEQUENTIAL,
) -> Figure:
    """Confusion matrix of annotator ``a`` (rows) against annotator ``b`` (columns) over the
    items both labeled; ``b="gold"`` (or ``a="gold"``) compares with ``gold=`` answers.

    Each cell prints its count. ``normalize`` colours the cells by share instead of count:
    ``"true"`` of each row (a's label), ``"pred"`` of each column (b's label), ``"all"`` of all
    items; the share is printed under the count. Multi-label tasks compare exact label sets.

    A label set of more than 30 labels (``nblabel.confusion.MAX_CATEGORIES``) shows the labels
    that occur, at most the 30 most frequent; the others are counted in one "other" row and
    column, and the subtitle says how many categories it holds.
    """
    if normalize not in _NORMALIZE:
        raise ValueError(f"normalize must be one of None, 'true', 'pred', 'all'; got {normalize!r}")
    data, n_labels = prepare_in_use(annotations, gold, task=task, labels=labels)
    cells, items = _grid(data, a, b, n_labels)
    counts = cells.counts
    unit = "label sets" if data.multi else "labels"
    total = cells.total
    subtitle = f"{total} items labeled by both"
    if total:
        subtitle += f" · {cells.agree / total:.0%} agree"
    if cells.left_out:
        subtitle += f" · the {len(cells.codes) - 1} most frequent of {cells.occurring:,} {unit}"
    fig = _confusion_figure(counts, cells.names(data.category_name), a, b, normalize, cmap, subtitle)
    fig.confusion = counts  # the matrix behind the picture, for tests and callers
    fig.confusion_items = items
    return fig


def plot_span_confusion(
    annotations: pd.DataFrame,
    a: Any,
    b: Any,
    normalize: str | None = None,
    *,
    gold: Any = None,
    labels: Sequence[Any] | None = None,
    task: str | None = None,
    cmap: Any = SEQUENTIAL,
) -> Figure:
    """Which labels two annotators of a span task give the same text: their spans are matched
    one to one by overlap (labels ignored) and counted by (label of ``a``, label of ``b``);
    a span without a counterpart counts against ``(none)``. ``b="gold"`` with ``gold=``
    (an annotator's name, or span lists by item id) compares with gold. A task with relations
    between its spans: the spans of its values."""

    if normalize not in _NORMALIZE:
        raise ValueError(f"normalize must be one of None, 'true', 'pred', 'all'; got {normalize!r}")
    frame = one_task(annotations, task) if "item_id" in annotations.columns else annotations
    # a list of spans reads as a value without relations: the same table either way
    data = prepare_relations(frame, gold, labels=list(labels) if labels else None)

    def side(name: Any) -> pd.Series:
        if name == "gold" and data.gold is not None:
            column = data.gold.reindex(data.docs.index)
            return column.astype(object).where(column.notna(), None)
        if name not in data.docs.columns:
            raise KeyError(f"no annotator {name!r}; annotators: {list(data.docs.columns)}")
        return data.docs[name]

    counts, _cells = span_confusion(side(a), side(b), data.labels)
    total = int(counts.sum())
    subtitle = f"{total} spans matched by overlap"
    if total:
        subtitle += f" · {int(np.trace(counts[:-1, :-1])) / total:.0%} same label"
    fig = _confusion_figure(counts, [*map(str, data.labels), NONE], a, b, normalize, cmap, subtitle, "spans")
    fig.confusion = counts
    return fig


def plot_confusion_grid(
    grid: dict[str, Any], a: Any, b: Any, normalize: str | None = None, *, cmap: Any = SEQUENTIAL
) -> Figure | None:
    """The heatmap of a confusion grid as a task kind's live view gives it
    (:meth:`~nblabel.core.registry.LiveView.confusion`: ``categories``, ``counts``, ``total``,
    ``agree``): the dashboard's matrix for any kind, drawn for a report. ``None`` for a grid
    whose rows are not its columns (``row_categories``: texts against similarity bands)."""
    if normalize not in _NORMALIZE:
        raise ValueError(f"normalize must be one of None, 'true', 'pred', 'all'; got {normalize!r}")
    if "row_categories" in grid:
        return None
    counts = np.asarray(grid["counts"], dtype=np.int64).reshape(len(grid["categories"]), -1)
    total = int(grid.get("total", counts.sum()))
    unit = str(grid.get("category_kind") or grid.get("unit") or "items")
    subtitle = f"{total} {unit} compared"
    if total:
        subtitle += f" · {int(grid.get('agree', np.trace(counts))) / total:.0%} agree"
    names = [str(c) for c in grid["categories"]]
    fig = _confusion_figure(counts, names, a, b, normalize, cmap, subtitle, unit=unit)
    fig.confusion = counts
    return fig


def _confusion_figure(
    counts: np.ndarray,
    names: list[str],
    a: Any,
    b: Any,
    normalize: str | None,
    cmap: Any,
    subtitle: str,
    unit: str = "items",
) -> Figure:
    """The heatmap both confusion plots draw: counts printed in the cells."""
    n = len(names)
    share = _shares(counts, normalize)
    shade = np.nan_to_num(share) if share is not None else counts.astype(float)
    vmax = 1.0 if share is not None else max(1.0, float(counts.max(initial=0)))
    longest = max((len(s) for s in names), default=1)
    size = min(8.0, max(4.6, 2.6 + 0.62 * n + 0.04 * min(longest, 14)))
    fig, ax = _figure(size, min(7.5, max(3.9, 1.9 + 0.55 * n)))
    image = ax.imshow(shade, cmap=cmap, vmin=0, vmax=vmax, aspect="equal")
    _print_counts(ax, n, image.cmap(image.norm(shade)), counts, share)
    _confusion_axes(ax, names, rotate=n > 4 or longest > 8)
    ax.set_ylabel(_fit(a, 30, 1), color=_INK, fontsize=10)
    ax.set_xlabel(_fit(b, 30, 1), color=_INK, fontsize=10)
    _titles(fig, ax, f"{_fit(a, 24, 1)} × {_fit(b, 24, 1)}", subtitle)
    _confusion_colorbar(fig, ax, image, normalize, unit, percent=share is not None)
    return fig


def _shares(counts: np.ndarray, normalize: str | None) -> np.ndarray | None:
    """Each cell's share of its row, column or of all (``normalize``); ``None`` for counts."""
    with np.errstate(invalid="ignore", divide="ignore"):
        if normalize == "true":
            return counts / counts.sum(axis=1, keepdims=True)
        if normalize == "pred":
            return counts / counts.sum(axis=0, keepdims=True)
        if normalize == "all":
            return counts / counts.sum()
    return None


def _print_counts(ax: Any, n: int, colours: np.ndarray, counts: np.ndarray, share: np.ndarray | None) -> None:
    """Each cell's count (and share) in ink that reads on the cell's colour; the diagonal bold."""
    fontsize = 10 if n <= 6 else 8 if n <= 12 else 6
    for i in range(n):
        for j in range(n):
            r, g, bl, _ = colours[i, j]
            dark = 0.2126 * r + 0.7152 * g + 0.0722 * bl < 0.5
            text = str(counts[i, j])
            if share is not None and counts[i, j]:
                text += f"\n{share[i, j]:.0%}"
            ax.text(
                j, i, text, ha="center", va="center", fontsize=fontsize,
                color="white" if dark else (_INK if counts[i, j] else "#9A9A9A"),
                fontweight="bold" if i == j else "normal",
            )  # fmt: skip


def _confusion_axes(ax: Any, names: list[str], *, rotate: bool) -> None:
    """The category names on both axes (column names rotated when long or many), white lines
    between the cells, no ticks or frame."""
    n = len(names)
    # Rotated column names get one line (two rotated lines collide with their neighbours).
    ax.set_xticks(range(n), [_fit(s, 18, 1) if rotate else _fit(s, 16) for s in names])
    ax.set_yticks(range(n), [_fit(s, 12 if n > 6 else 16) for s in names])
    if rotate:
        for label in ax.get_xticklabels():
            label.set(rotation=40, ha="right", rotation_mode="anchor")
    ax.set_xticks(np.arange(-0.5, n, 1), minor=True)
    ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
    ax.grid(which="minor", color="white", linewidth=1.5)
    ax.tick_params(which="minor", length=0)
    ax.tick_params(which="major", length=0)
    for side in ax.spines.values():
        side.set_visible(False)


def _confusion_colorbar(
    fig: Figure, ax: Any, image: Any, normalize: str | None, unit: str, *, percent: bool
) -> None:
    """The colour scale, labeled with what the colour measures (ticks in percent for shares)."""
    bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, shrink=0.85)
    bar.set_label(
        {None: unit, "true": "share of row", "pred": "share of column", "all": f"share of {unit}"}[normalize],
        color=_INK,
        fontsize=9,
    )
    bar.outline.set_visible(False)
    bar.ax.tick_params(labelsize=8, colors=_INK)
    if percent:
        bar.ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")


# ---------------------------------------------------------------------- coefficients
def plot_agreement(report: pd.DataFrame, *, title: str | None = None) -> Figure:
    """The coefficients of an :func:`~nblabel.agreement_report` as points with their confidence
    intervals, over the Landis & Koch bands. Chance-corrected coefficients are filled circles;
    raw agreement (not chance-corrected) is a hollow diamond; undefined ones are marked."""

    missing = {"coefficient", "value", "ci_low", "ci_high"} - set(report.columns)
    if missing:
        raise KeyError(f"not an agreement report: columns {sorted(missing)} are missing")
    rows = report.reset_index(drop=True)
    n = len(rows)
    fig, ax = _figure(7.5, 1.3 + 0.42 * max(n, 1))
    lows = pd.to_numeric(rows["ci_low"], errors="coerce").fillna(rows["value"])
    lowest = np.nanmin(np.r_[lows.to_numpy(dtype=float), rows["value"].to_numpy(dtype=float), 0.0])
    left = -0.2 if lowest >= -0.2 else max(-1.0, math.floor(lowest * 5) / 5 - 0.05)
    ax.set_xlim(left, 1.0)
    ax.set_ylim(n - 0.5, -0.5 - 0.75)
    _landis_koch_bands(ax, left)

    ci_text = getattr(report, "level", None) or 0.95
    handles: dict[str, Any] = {}
    for i, row in rows.iterrows():
        _draw_coefficient(ax, i, row, left, handles)

    ax.set_yticks(range(n), [_fit(c, 34, 2) for c in rows["coefficient"]])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("value", fontsize=9, color=_INK)
    ax.xaxis.grid(True, color="white", linewidth=1)
    _titles(
        fig, ax, _plain(_agreement_title(rows) if title is None else title),
        f"bars: {ci_text:.0%} bootstrap CI · bands: Landis & Koch reading (chance-corrected only)",
    )  # fmt: skip
    if len(handles) > 1:
        fig.legend(
            handles.values(), handles.keys(), loc="outside lower right", fontsize=8, frameon=False,
            ncol=2, handletextpad=0.3, columnspacing=1.2,
        )  # fmt: skip
    return fig


def _landis_koch_bands(ax: Any, left: float) -> None:
    """The Landis & Koch reading bands right of ``left``, named above the rows, and the 0 line."""
    for k, (lo, hi, name) in enumerate(_LANDIS_KOCH):
        lo = max(lo, left)
        if hi <= left:
            continue
        ax.axvspan(lo, hi, color="#F2F2F2" if k % 2 else "#FAFAFA", zorder=0, linewidth=0)
        ax.text(
            (lo + hi) / 2, -0.5 - 0.38, name if hi - lo > 0.15 else "",
            ha="center", va="center", fontsize=7.5, color="#888888", linespacing=1.0,
        )  # fmt: skip
    ax.axvline(0, color="#BBBBBB", linewidth=0.8, zorder=1)


def _draw_coefficient(ax: Any, i: int, row: pd.Series, left: float, handles: dict[str, Any]) -> None:
    """Row ``i`` of the report: its point and interval (or "undefined"), its value written at
    the right; the first point of each style goes into ``handles`` (the legend)."""
    value = float(row["value"])
    low, high = float(row["ci_low"]), float(row["ci_high"])
    raw = str(row.get("reading", "")) == NOT_CHANCE_CORRECTED
    colour = OKABE_ITO[1] if raw else OKABE_ITO[0]
    if math.isnan(value):
        ax.text(max(left, 0) + 0.01, i, "undefined", va="center", fontsize=9, color=_MUTED, style="italic")
        label = "–"
    else:
        if not (math.isnan(low) or math.isnan(high)):
            ax.errorbar(
                value, i, xerr=[[value - low], [high - value]], fmt="none", ecolor=colour,
                elinewidth=2, capsize=4, capthick=1.5, zorder=3,
            )  # fmt: skip
        handle = ax.plot(
            value, i, marker="D" if raw else "o", markersize=8 if not raw else 7, zorder=4,
            color=colour, markerfacecolor="white" if raw else colour, markeredgewidth=1.8,
            linestyle="none",
        )[0]  # fmt: skip
        handles.setdefault("raw agreement" if raw else "chance-corrected", handle)
        label = f"{value:.2f}"
        if not (math.isnan(low) or math.isnan(high)):
            label += f"  [{low:.2f}, {high:.2f}]"
    ax.text(1.02, i, label, transform=ax.get_yaxis_transform(), va="center", fontsize=9, color=_INK)


def _agreement_title(rows: pd.DataFrame) -> str:
    """``Agreement · N items · M annotators`` (what the report's rows tell)."""
    n = len(rows)
    bits = []
    if "items" in rows and n:
        bits.append(f"{int(rows['items'].max())} items")
    if "annotators" in rows and n:
        bits.append(f"{int(rows['annotators'].max())} annotators")
    return "Agreement" + (f" · {' · '.join(bits)}" if bits else "")


# ---------------------------------------------------------------------- annotators
def plot_annotators(
    annotations: pd.DataFrame,
    gold: Any = None,
    *,
    task: str | None = None,
    labels: Sequence[Any] | None = None,
    target: float | None = 0.9,
) -> Figure:
    """Each annotator's accuracy (against ``gold`` when given, else against the majority of the
    other annotators) against throughput (items per hour, pauses over 10 minutes left out),
    one labeled point per annotator, sized by the number of items labeled.

    ``annotations`` may also be an :class:`~nblabel.report.AgreementReport` (its
    ``per_annotator`` table is used). With gold answers a dashed line marks ``target``
    accuracy (``None`` hides it).
    """
    if isinstance(annotations, AgreementReport):
        table = annotations.per_annotator
        has_gold = annotations.reference == "gold"
    else:
        data, _n_labels = prepare_in_use(annotations, gold, task=task, labels=labels)
        table = per_annotator_table(data)
        has_gold = data.gold is not None
    fig, ax = _figure(7.0, 4.6)
    x = pd.to_numeric(table["items_per_hour"], errors="coerce")
    timed = x.notna().any()
    if not timed:
        x = table["items"].astype(float)
    quality = _quality_column(table)
    y = pd.to_numeric(table[quality], errors="coerce") if quality else pd.Series(np.nan, index=table.index)
    xmax = float(np.nanmax(np.r_[x.to_numpy(dtype=float), 1.0]))
    finite_y = y.dropna()
    ybottom = 0.0 if finite_y.empty else max(0.0, math.floor((finite_y.min() - 0.05) * 10) / 10)
    ax.set_ylim(ybottom, 1.04)
    xlim = xmax * 1.22
    ax.set_xlim(0, xlim)
    if has_gold and target is not None and ybottom < target:
        ax.axhline(target, color=OKABE_ITO[5], linestyle="--", linewidth=1.2, zorder=1)
        ax.text(
            xmax * 1.21, target, f"target {target:.0%}", color=OKABE_ITO[5], fontsize=8,
            ha="right", va="bottom",
        )  # fmt: skip
    _draw_annotators(ax, table, x, y, ybottom, xlim)
    _annotator_axes(fig, ax, has_gold=has_gold, timed=timed, measure=_QUALITY_NAMES.get(quality, quality))
    return fig


#: What the y axis of :func:`plot_annotators` says for each kind's per-annotator measure.
_QUALITY_NAMES = {
    "accuracy": "accuracy",
    "f1_reference": "F1",
    "kappa_reference": "κ",
    "similarity_reference": "similarity",
}


def _quality_column(table: pd.DataFrame) -> str | None:
    """The per-annotator table's measure against the reference: ``accuracy`` (categories), else
    the kind's ``<measure>_reference`` column (span and box F1, ...); ``None`` without one."""
    if "accuracy" in table.columns:
        return "accuracy"
    return next(
        (c for c in table.columns if isinstance(c, str) and c.endswith("_reference") and c != "n_reference"),
        None,
    )


def _draw_annotators(
    ax: Any, table: pd.DataFrame, x: pd.Series, y: pd.Series, ybottom: float, xlim: float
) -> None:
    """One point per annotator, sized by items labeled and named with its accuracy (a cross on
    the bottom edge for an annotator with no reference to compare with)."""
    sizes = 40 + 260 * table["items"] / max(1, table["items"].max())
    for k, (name, row) in enumerate(table.iterrows()):
        xi, yi = x[name], y[name]
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        if math.isnan(yi):
            ax.plot(xi, ybottom, marker="x", color=_MUTED, clip_on=False, zorder=3)
            ax.annotate(
                f"{_fit(name, 18, 1)} (no reference)", (xi, ybottom), xytext=(6, 4),
                textcoords="offset points", fontsize=8, color=_MUTED,
            )  # fmt: skip
            continue
        ax.scatter(xi, yi, s=sizes[name], color=colour, alpha=0.9, edgecolor="white", linewidth=1, zorder=3)
        right = xi > 0.6 * xlim
        ax.annotate(
            f"{_fit(name, 18, 1)}  {yi:.0%} · {int(row['items'])} items", (xi, yi),
            xytext=(-9 if right else 9, 7), textcoords="offset points", fontsize=8.5, color=_INK,
            ha="right" if right else "left", zorder=4,
        )  # fmt: skip


def _annotator_axes(
    fig: Figure, ax: Any, *, has_gold: bool, timed: bool, measure: str | None = "accuracy"
) -> None:
    """What the axes of :func:`plot_annotators` measure, its grid and titles."""
    reference = "gold" if has_gold else "majority of the other annotators"
    measure = measure or "agreement"
    ax.set_ylabel(f"{measure} vs {'gold' if has_gold else 'majority'}", fontsize=9, color=_INK)
    if timed:
        minutes = int(BREAK.total_seconds() // 60)
        ax.set_xlabel(f"items per hour (pauses over {minutes} min left out)", fontsize=9, color=_INK)
    else:
        ax.set_xlabel("items labeled (no timing data)", fontsize=9, color=_INK)
    ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:.0%}")
    ax.grid(True, color=_GRID, linewidth=0.7)
    ax.set_axisbelow(True)
    _titles(
        fig, ax, f"Annotators: {measure} and throughput",
        f"{measure} against {reference} · point size: items labeled",
    )  # fmt: skip


# ---------------------------------------------------------------------- boxes
def plot_boxes(
    annotations: pd.DataFrame,
    item_id: Any,
    image: Any,
    *,
    task: str | None = None,
    annotators: Sequence[Any] | None = None,
) -> Figure:
    """Every annotator's boxes on one image, for review: one colour per annotator (legend),
    the label written at each box. ``image`` is what the widget was given for that item (a
    path, URL, bytes, PIL image or array); boxes are drawn in its EXIF-oriented pixels."""
    import io

    from matplotlib.patches import Rectangle
    from PIL import Image


    frame = one_task(annotations, task) if "item_id" in annotations.columns else annotations
    current = current_from_annotations(frame) if "id" in frame.columns else frame
    rows = current[(current["item_id"] == item_id) & (current["kind"] == "label")]
    if annotators is not None:
        rows = rows[rows["annotator"].isin(list(annotators))]
    data, _mime, width, height = oriented_image(image)
    picture = Image.open(io.BytesIO(data))
    aspect = height / width if width else 1.0
    fig, ax = _figure(7.0, max(3.0, min(8.0, 7.0 * aspect + 0.8)))
    ax.imshow(picture, extent=(0, width, height, 0))
    for n, (annotator, value) in enumerate(zip(rows["annotator"], rows["value"], strict=True)):
        colour = OKABE_ITO[n % len(OKABE_ITO)]
        for k, box in enumerate(value or []):
            ax.add_patch(
                Rectangle(
                    (box["x"], box["y"]),
                    box["w"],
                    box["h"],
                    fill=False,
                    edgecolor=colour,
                    linewidth=2,
                    label=_plain(annotator) if k == 0 else None,
                )  # fmt: skip
            )
            ax.text(box["x"], box["y"], _fit(box["label"], 18, 1), color="white", fontsize=8, va="bottom",
                    bbox={"facecolor": colour, "edgecolor": "none", "pad": 1})  # fmt: skip
    ax.set_xlim(0, width)
    ax.set_ylim(height, 0)
    ax.set_xticks([])
    ax.set_yticks([])
    if len(rows):
        ax.legend(loc="upper right", fontsize=8, framealpha=0.85)
    _titles(fig, ax, f"item {_fit(item_id, 30, 1)}", f"{len(rows)} annotator(s) · {width}×{height} px")
    return fig
