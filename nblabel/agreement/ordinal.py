"""Agreement of ordered labels: ordinal Krippendorff's α and weighted Cohen's κ.

A classify task whose labels are a scale — ``Classify(..., ordered=True)`` (the order of
``labels=``), or labels that are all numbers (their numeric order) — gets three more report
rows besides the nominal coefficients, which count a near miss (4 for 5) as fully as a far
one (1 for 5):

- ``ordinal_alpha``: Krippendorff's α at the ordinal level;
- ``weighted_kappa_linear`` / ``weighted_kappa_quadratic``: Cohen's κ with disagreements
  weighted by the distance of the two labels' positions on the scale (linear or squared), the
  mean over pairs of annotators for more than two — as scikit-learn's ``cohen_kappa_score``
  with ``labels=`` the scale.

Positions are those of the whole scale even when the ratings hold only the labels in use (a
large label set prepared for the dashboard), so a gap of unused labels weighs as it does in
the report.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from . import coefficients
from .report import CategoricalData, reading_of, safe_ci, safe_value

__all__ = ["is_ordered", "ordinal_extra", "ordinal_rows", "scale_positions"]

#: Weights of a disagreement between positions ``i`` and ``j`` on the scale.
WEIGHTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": np.abs,
    "quadratic": np.square,
}


def _is_number(value: Any) -> bool:
    number = isinstance(value, (int, float, np.integer, np.floating))
    return number and not isinstance(value, (bool, np.bool_))


def is_ordered(data: CategoricalData, labels: Sequence[Any] | None, config: Mapping[str, Any]) -> bool:
    """Whether the labels of prepared single-label ratings are a scale: the task says so
    (``ordered=True`` in its config) or every label (of ``labels``, the task's whole list, and
    of the ratings) is a number."""
    if data.multi or not data.categories:
        return False
    return bool(config.get("ordered")) or all(_is_number(c) for c in [*(labels or ()), *data.categories])


def ordinal_extra(
    data: CategoricalData, labels: Sequence[Any] | None, config: Mapping[str, Any]
) -> Callable[[int, float, int | None], list[list[Any]]] | None:
    """The ordinal rows of a task as a function of ``(n_boot, level, seed)`` (what a report adds
    and a live view's ``extra_rows`` takes), or ``None`` when its labels are not a scale."""
    if not is_ordered(data, labels, config):
        return None
    positions = scale_positions(data.categories, labels, config)

    def rows(n_boot: int, level: float, seed: int | None) -> list[list[Any]]:
        return ordinal_rows(data, positions, n_boot=n_boot, level=level, seed=seed)

    return rows


def scale_positions(
    categories: Sequence[Any], labels: Sequence[Any] | None, config: Mapping[str, Any]
) -> np.ndarray:
    """The position on the scale of each category: its place in ``labels`` (the task's whole
    label list) when the task is ``ordered``, else its rank among the numbers of ``labels``
    and ``categories`` (numeric labels). Categories outside ``labels`` come after it, in the
    order they have."""
    scale = list(labels) if labels is not None else []
    known = set(scale)
    scale += [c for c in categories if c not in known]
    if not config.get("ordered"):
        scale = sorted(scale, key=float)
    where = {label: i for i, label in enumerate(scale)}
    return np.array([where[c] for c in categories], dtype=float)


def _on_scale(data: CategoricalData, positions: np.ndarray) -> np.ndarray:
    """The items x annotators codes as positions on the scale (NaN where not rated)."""
    codes = data.codes.to_numpy(dtype=float)
    out = np.full(codes.shape, np.nan)
    rated = ~np.isnan(codes)
    out[rated] = positions[codes[rated].astype(np.intp)]
    return out


def weighted_kappa(observed: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Cohen's weighted κ of confusion counts ``observed`` (``... x q x q``, rows one rater's
    category, columns the other's) with disagreement ``weights`` (``q x q``, 0 on the
    diagonal): ``1 - Σ w·observed / Σ w·expected``, expected from the margins. NaN where
    undefined (no rating, or no expected disagreement)."""
    n = observed.sum(axis=(-2, -1))
    rows, cols = observed.sum(axis=-1), observed.sum(axis=-2)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.einsum("...i,ij,...j->...", rows, weights, cols) / n
        kappa = 1.0 - np.einsum("...ij,ij->...", observed, weights) / expected
    return np.where((n > 0) & (expected > 0), kappa, np.nan)


def mean_pairwise_weighted_kappa(ratings: Any, weights: str) -> float:
    """The mean over pairs of annotators (columns) of Cohen's κ weighted by the distance of
    their positions on the scale (``ratings``: positions, NaN = not rated), each pair over
    the items both rated; pairs where it is undefined left out (``UserWarning`` when none is
    defined). Two columns: Cohen's weighted κ itself."""
    values = np.asarray(ratings, dtype=float)
    rated = ~np.isnan(values)
    scale = np.unique(values[rated])
    q = len(scale)
    distance = WEIGHTS[weights](scale[:, None] - scale[None, :])
    index = np.searchsorted(scale, np.where(rated, values, scale[0] if q else 0.0))
    kappas = []
    for a in range(values.shape[1]):
        for b in range(a + 1, values.shape[1]):
            both = rated[:, a] & rated[:, b]
            cells = np.bincount(index[both, a] * q + index[both, b], minlength=q * q).reshape(q, q)
            kappa = float(weighted_kappa(cells.astype(float), distance)) if q else math.nan
            if not math.isnan(kappa):
                kappas.append(kappa)
    if not kappas:
        warnings.warn("weighted κ is undefined for every pair of annotators", UserWarning, stacklevel=2)
        return math.nan
    return float(np.mean(kappas))


def ordinal_rows(
    data: CategoricalData,
    positions: np.ndarray,
    *,
    n_boot: int,
    level: float,
    seed: int | None,
) -> list[list[Any]]:
    """Report rows (the layout of ``REPORT_COLUMNS``) of ordinal α and linear and quadratic
    weighted κ of prepared single-label ratings whose categories sit at ``positions`` on the
    scale (:func:`scale_positions`), with percentile bootstrap intervals resampling items."""
    values = _on_scale(data, positions)
    rated = ~np.isnan(values)
    k = values.shape[1]
    shared = rated.sum(axis=1) >= 2
    n_items = int(shared.sum())
    n_annotators = int(rated[shared].any(axis=0).sum()) if n_items else 0
    domain = np.unique(values[rated]).tolist()  # the positions in use (α ignores the others)
    pairwise = "" if k == 2 else " (mean pairwise)"
    specs: list[tuple[str, str, Callable[..., float]]] = [
        (
            "ordinal_alpha",
            "Krippendorff's α (ordinal)",
            functools.partial(coefficients.krippendorff_alpha, level="ordinal", value_domain=domain),
        ),
        *[
            (
                f"weighted_kappa_{w}",
                f"Cohen's κ, {w} weights{pairwise}",
                functools.partial(mean_pairwise_weighted_kappa, weights=w),
            )
            for w in WEIGHTS
        ],
    ]
    rows = []
    for key, name, metric in specs:
        if k < 2:
            value, note = math.nan, "needs ratings from at least two annotators"
        else:
            value, note = safe_value(metric, values)
        low = high = math.nan
        if not math.isnan(value):
            low, high = safe_ci(metric, values, n_boot, level, seed)
        items = int(rated.all(axis=1).sum()) if k == 2 else n_items
        reading = reading_of(value, True, low, high)
        rows.append([key, name, value, low, high, items, n_annotators, reading, note])
    return rows
