"""Agreement between annotators: exact, vectorised coefficients.

``ratings`` is a units x annotators table: a wide DataFrame (index = item, columns =
annotators, NaN/None = missing), a 2-D list or array, or the long DataFrame that
``Store.annotations(task)`` returns (reduced to each annotator's current label, then pivoted).
Labels may be strings, ints or floats.

Every coefficient is computed from counts gathered with ``np.bincount`` over the ratings
(one pass per pair of annotator columns, no per-unit Python), so the work grows linearly with
the number of annotations. Undefined values (no unit with two ratings, a single category,
empty input) come back as ``nan`` with a :class:`UserWarning` saying why; bad input (ragged
lists, an unknown ``level``) raises.

>>> import nblabel as nl
>>> ratings = [["a", "a"], ["b", "b"], ["a", "b"], ["b", "b"]]
>>> round(nl.agreement.krippendorff_alpha(ratings), 4)
0.5333
>>> nl.agreement.landis_koch(0.53)
'moderate'
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .matching import box_agreement, box_iou, span_agreement
from .ratings import RatingTable, pair_table, rating_table, wide_table

if TYPE_CHECKING:  # SciPy is imported on first use: ``import nblabel`` stays light
    from scipy import sparse

__all__ = [
    "LEVELS",
    "WEIGHTS",
    "bootstrap_ci",
    "box_agreement",
    "box_iou",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "landis_koch",
    "percent_agreement",
    "scott_pi",
    "span_agreement",
]

LEVELS = ("nominal", "ordinal", "interval", "ratio")
WEIGHTS = (None, "linear", "quadratic")

#: Annotator columns above which a table is first compacted (present ratings moved left).
_COMPACT_ABOVE = 8


def _undefined(name: str, why: str) -> float:
    warnings.warn(f"{name} is undefined: {why}; returning nan", UserWarning, stacklevel=3)
    return math.nan


# ============================================================================ counting
def _compact(table: RatingTable) -> RatingTable:
    """With many annotator columns but few ratings per unit, sort each row so the present
    ratings come first and drop the all-missing tail: pairs are then enumerated over the
    largest number of ratings of one unit, not over every annotator."""
    codes = table.codes
    if codes.shape[1] <= _COMPACT_ABOVE:
        return table
    m = table.counts_per_unit()
    width = int(m.max()) if len(m) else 0
    if width * 2 > codes.shape[1]:
        return table
    packed = np.sort(np.ascontiguousarray(codes), axis=1)[:, :width]  # missing (= q) sorts last
    return RatingTable(np.asfortranarray(packed), table.categories, table.units, None)


def _pair_weights(m: np.ndarray) -> np.ndarray:
    """1 / (m_u - 1) for units with two or more ratings, 0 otherwise."""
    w = np.zeros(len(m), dtype=np.float64)
    np.divide(1.0, m - 1, out=w, where=m >= 2)
    return w


def _coincidence_half(table: RatingTable) -> np.ndarray:
    """Krippendorff's coincidences over the annotator-column pairs i < j: q x q, not yet
    symmetric (the full matrix is ``o + o.T``).

    Pairs are counted with one integer ``bincount`` per column pair, keyed by (number of
    ratings m of the unit, code i, code j); each count is then divided by m - 1 once, so the
    sums are exact. Pairs with a missing rating land in the dropped row/column q."""
    table = _compact(table)
    q, codes = table.q, table.codes
    big = q + 1
    m = table.counts_per_unit()
    width = int(m.max()) + 1 if len(m) else 1
    base = m * (big * big)
    acc = np.zeros(width * big * big, dtype=np.int64)
    for i in range(codes.shape[1]):
        left = base + codes[:, i].astype(np.intp) * big
        for j in range(i + 1, codes.shape[1]):
            acc += np.bincount(left + codes[:, j], minlength=width * big * big)
    counts = acc.reshape(width, big, big)[:, :q, :q]
    o = np.zeros((q, q), dtype=np.float64)
    for k in range(2, width):
        o += counts[k] / (k - 1.0)
    return o


def _coincidence_units(table: RatingTable) -> sparse.csr_matrix:
    """Per-unit coincidence contributions (units x q*q), summing to ``_coincidence_half``."""
    table = _compact(table)
    q, codes = table.q, table.codes
    w = _pair_weights(table.counts_per_unit())
    rows, cols, data = [], [], []
    for i in range(codes.shape[1]):
        for j in range(i + 1, codes.shape[1]):
            ok = np.flatnonzero((codes[:, i] != q) & (codes[:, j] != q))
            rows.append(ok)
            cols.append(codes[ok, i].astype(np.intp) * q + codes[ok, j])
            data.append(w[ok])
    return _csr(rows, cols, data, (table.n_units, q * q))


def _csr(rows: list, cols: list, data: list, shape: tuple[int, int]) -> sparse.csr_matrix:
    from scipy import sparse

    if not rows:
        return sparse.csr_matrix(shape, dtype=np.float64)
    return sparse.csr_matrix(
        (np.concatenate(data).astype(np.float64), (np.concatenate(rows), np.concatenate(cols))), shape=shape
    )


def _fleiss_stats(table: RatingTable) -> np.ndarray:
    """``[pa_sum, n2, n1, pi_sum_1..q]``: summed per-unit observed agreement over units with
    >= 2 ratings, their number, the number of units with >= 1 rating, and per category the
    summed share r_uk / r_u (Gwet 2014, ch. 2: Fleiss' kappa with missing ratings)."""
    table = _compact(table)
    q, codes = table.q, table.codes
    m = table.counts_per_unit()
    agree = np.zeros(len(m), dtype=np.int64)  # agreeing unordered pairs per unit
    for i in range(codes.shape[1]):
        ci = codes[:, i]
        present = ci != q
        for j in range(i + 1, codes.shape[1]):
            agree += (ci == codes[:, j]) & present
    # Sums grouped by m (integers, exact), then divided once per m.
    width = int(m.max()) + 1 if len(m) else 1
    agree_by_m = np.bincount(m, weights=agree, minlength=width)
    units_by_m = np.bincount(m, minlength=width)
    cat_by_m = np.zeros(width * (q + 1), dtype=np.int64)
    base = m * (q + 1)
    for j in range(codes.shape[1]):
        cat_by_m += np.bincount(base + codes[:, j], minlength=width * (q + 1))
    cat_by_m = cat_by_m.reshape(width, q + 1)[:, :q]
    pa_sum = sum(2.0 * agree_by_m[k] / (k * (k - 1.0)) for k in range(2, width))
    pi_sum = np.zeros(q, dtype=np.float64)
    for k in range(1, width):
        pi_sum += cat_by_m[k] / float(k)
    n2 = float(units_by_m[2:].sum())
    n1 = float(units_by_m[1:].sum())
    return np.concatenate([[pa_sum, n2, n1], pi_sum])


def _fleiss_units(table: RatingTable) -> sparse.csr_matrix:
    """Per-unit rows of ``_fleiss_stats`` (units x (3 + q))."""
    table = _compact(table)
    q, codes = table.q, table.codes
    m = table.counts_per_unit()
    n = len(m)
    agree = np.zeros(n, dtype=np.int64)
    for i in range(codes.shape[1]):
        present = codes[:, i] != q
        for j in range(i + 1, codes.shape[1]):
            agree += (codes[:, i] == codes[:, j]) & present
    pa = np.zeros(n, dtype=np.float64)
    np.divide(2.0 * agree, m * (m - 1.0), out=pa, where=m >= 2)
    inv_m = np.zeros(n, dtype=np.float64)
    np.divide(1.0, m, out=inv_m, where=m >= 1)
    unit = np.arange(n)
    rows = [unit, unit, unit]
    cols = [np.zeros(n, np.intp), np.ones(n, np.intp), np.full(n, 2, np.intp)]
    data = [pa, (m >= 2).astype(np.float64), (m >= 1).astype(np.float64)]
    for j in range(codes.shape[1]):
        ok = np.flatnonzero(codes[:, j] != q)
        rows.append(ok)
        cols.append(3 + codes[ok, j].astype(np.intp))
        data.append(inv_m[ok])
    return _csr(rows, cols, data, (n, 3 + q))


def _confusion(table: RatingTable) -> np.ndarray:
    """Counts of (a, b) label pairs over units rated by both (q x q), flattened."""
    q, codes = table.q, table.codes
    big = q + 1
    keys = codes[:, 0].astype(np.intp) * big + codes[:, 1]
    return np.bincount(keys, minlength=big * big).reshape(big, big)[:q, :q].astype(np.float64).ravel()


def _confusion_units(table: RatingTable) -> sparse.csr_matrix:
    q, codes = table.q, table.codes
    ok = np.flatnonzero((codes[:, 0] != q) & (codes[:, 1] != q))
    cols = codes[ok, 0].astype(np.intp) * q + codes[ok, 1]
    return _csr([ok], [cols], [np.ones(len(ok))], (table.n_units, q * q))


# ============================================================================ finishing
# Each ``_final_*`` turns summed statistics, shape (R, d) for R bootstrap replicates (or R = 1),
# into R coefficient values, with nan where undefined; ``why`` says why for the warning.
def _distances(level: str, categories: np.ndarray, n_c: np.ndarray) -> np.ndarray:
    q = len(categories)
    if level == "nominal":
        return 1.0 - np.eye(q)
    if level == "ordinal":
        cum = np.cumsum(n_c, axis=-1)
        return (cum[..., None, :] - cum[..., :, None] + (n_c[..., :, None] - n_c[..., None, :]) / 2.0) ** 2
    v = _numeric_categories(categories, level)
    diff = v[:, None] - v[None, :]
    if level == "interval":
        return diff**2
    total = v[:, None] + v[None, :]
    return np.divide(diff, total, out=np.zeros_like(diff), where=total != 0) ** 2


def _numeric_categories(categories: np.ndarray, level: str) -> np.ndarray:
    try:
        values = np.asarray(categories, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"level={level!r} needs numeric labels (distances are differences of values); "
            f"got {list(categories[:5])!r}. "
            "Use level='ordinal' with value_domain=[...] for ordered text labels"
        ) from None
    if level == "ratio" and (values < 0).any():
        raise ValueError(f"level='ratio' needs non-negative values; got {values[values < 0][:5].tolist()}")
    return values


def _final_alpha(stats: np.ndarray, level: str, categories: np.ndarray) -> tuple[np.ndarray, str]:
    q = len(categories)
    half = stats.reshape(-1, q, q)
    o = half + half.transpose(0, 2, 1)
    n_c = o.sum(axis=2)
    n = n_c.sum(axis=1)
    delta = _distances(level, categories, n_c)
    observed = (o * delta).sum(axis=(1, 2))
    expected = np.einsum("rc,rck,rk->r", n_c, np.broadcast_to(delta, o.shape), n_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        alpha = 1.0 - (n - 1.0) * observed / expected
    alpha[(n <= 1) | (expected <= 0)] = np.nan
    if n[0] <= 1:
        why = "no unit has two or more ratings"
    else:
        why = "every pairable rating has the same value, so there is no expected disagreement"
    return alpha, why


def _fleiss_parts(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore"):
        pa = stats[:, 0] / stats[:, 1]
        pi = stats[:, 3:] / stats[:, 2:3]
    return pa, pi, stats[:, 1]


def _final_percent(stats: np.ndarray) -> tuple[np.ndarray, str]:
    pa, _, n2 = _fleiss_parts(stats)
    return np.where(n2 > 0, pa, np.nan), "no unit has two or more ratings"


def _final_fleiss(stats: np.ndarray) -> tuple[np.ndarray, str]:
    pa, pi, n2 = _fleiss_parts(stats)
    pe = (pi * pi).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        kappa = (pa - pe) / (1.0 - pe)
    single = np.abs(1.0 - pe) <= 1e-12
    kappa[(n2 == 0) | single] = np.nan
    why = (
        "no unit has two or more ratings"
        if n2[0] == 0
        else "only one category was used, so chance agreement is 1"
    )
    return kappa, why


def _final_ac1(stats: np.ndarray, q: int) -> tuple[np.ndarray, str]:
    pa, pi, n2 = _fleiss_parts(stats)
    if q < 2:
        why = "only one category is known; pass categories=[...] listing every possible category"
        return np.full(len(stats), np.nan), why
    pe = (pi * (1.0 - pi)).sum(axis=1) / (q - 1)
    ac1 = (pa - pe) / (1.0 - pe)
    ac1[n2 == 0] = np.nan
    return ac1, "no unit has two or more ratings"


def _weight_matrix(weights: str | None, q: int) -> np.ndarray:
    pos = np.arange(q, dtype=np.float64)
    if weights is None:
        return 1.0 - np.eye(q)
    if weights == "linear":
        return np.abs(pos[:, None] - pos[None, :])
    return (pos[:, None] - pos[None, :]) ** 2


def _final_cohen(stats: np.ndarray, weights: str | None, q: int) -> tuple[np.ndarray, str]:
    conf = stats.reshape(-1, q, q)
    total = conf.sum(axis=(1, 2))
    w = _weight_matrix(weights, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = conf.sum(axis=2)[:, :, None] * conf.sum(axis=1)[:, None, :] / total[:, None, None]
        ratio = (conf * w).sum(axis=(1, 2)) / (expected * w).sum(axis=(1, 2))
    kappa = 1.0 - ratio
    kappa[(total == 0) | ~np.isfinite(ratio)] = np.nan
    if total[0] == 0:
        why = "no unit is rated by both annotators"
    else:
        why = "both annotators used only one category, so chance agreement is 1"
    return kappa, why


def _final_scott(stats: np.ndarray, q: int) -> tuple[np.ndarray, str]:
    conf = stats.reshape(-1, q, q)
    total = conf.sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        po = np.trace(conf, axis1=1, axis2=2) / total
        p = (conf.sum(axis=2) + conf.sum(axis=1)) / (2.0 * total[:, None])
        pe = (p * p).sum(axis=1)
        pi = (po - pe) / (1.0 - pe)
    pi[(total == 0) | (np.abs(1.0 - pe) <= 1e-12)] = np.nan
    if total[0] == 0:
        why = "no unit is rated by both annotators"
    else:
        why = "only one category was used, so chance agreement is 1"
    return pi, why


def _scalar(name: str, result: tuple[np.ndarray, str]) -> float:
    values, why = result
    value = float(values[0])
    if math.isnan(value):
        return _undefined_at(name, why)
    return value


def _undefined_at(name: str, why: str) -> float:
    warnings.warn(f"{name} is undefined: {why}; returning nan", UserWarning, stacklevel=4)
    return math.nan


# ============================================================================ coefficients
def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}; got {level!r}")


def _check_weights(weights: str | None) -> None:
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}; got {weights!r}")


def _empty(table: RatingTable) -> bool:
    return table.codes.size == 0 or table.q == 0


def percent_agreement(ratings: Any) -> float:
    """Mean, over units with two or more ratings, of the share of agreeing ordered pairs of
    ratings (no chance correction).

    >>> percent_agreement([[1, 1, 1], [1, 2, None], [2, 2, 2]])
    0.6666666666666666
    """
    table = rating_table(ratings)
    if _empty(table):
        return _undefined("percent_agreement", "there are no ratings")
    return _scalar("percent_agreement", _final_percent(_fleiss_stats(table)[None, :]))


def fleiss_kappa(ratings: Any) -> float:
    """Fleiss' kappa for any number of annotators.

    On complete data (every unit rated the same number of times) this is Fleiss' (1971)
    kappa; with missing ratings it is Gwet's generalisation (Gwet 2014, ch. 2): observed
    agreement averaged over units with two or more ratings, category shares averaged over
    units with at least one.

    >>> round(fleiss_kappa([["a", "a", "a"], ["a", "b", "b"], ["b", "b", "b"], ["a", "a", "b"]]), 4)
    0.3333
    """
    table = rating_table(ratings)
    if _empty(table):
        return _undefined("fleiss_kappa", "there are no ratings")
    return _scalar("fleiss_kappa", _final_fleiss(_fleiss_stats(table)[None, :]))


def gwet_ac1(ratings: Any, categories: Sequence[Any] | None = None) -> float:
    """Gwet's AC1 (Gwet 2008; with missing ratings as in Gwet 2014 and irrCAC).

    Chance agreement depends on the number of *possible* categories q: pass ``categories``
    to include categories no one used (default: the categories observed).

    >>> round(gwet_ac1([["a", "a"], ["a", "a"], ["b", "a"], ["b", "b"]]), 4)
    0.5294
    """
    table = rating_table(ratings, categories, "categories")
    if _empty(table):
        return _undefined("gwet_ac1", "there are no ratings")
    return _scalar("gwet_ac1", _final_ac1(_fleiss_stats(table)[None, :], table.q))


def krippendorff_alpha(
    ratings: Any, level: str = "nominal", value_domain: Sequence[Any] | None = None
) -> float:
    """Krippendorff's alpha at the ``nominal``, ``ordinal``, ``interval`` or ``ratio`` level.

    Units with fewer than two ratings are ignored. ``value_domain`` lists the possible
    values in order: it is required to order text labels for the ``ordinal`` level (e.g.
    ``["low", "mid", "high"]``); interval and ratio levels need numeric labels, and ratio
    labels must not be negative.

    >>> data = [[1, 1], [2, 2], [3, 3], [3, 2], [None, 1]]
    >>> round(krippendorff_alpha(data, level="ordinal"), 4)
    0.79
    """
    _check_level(level)
    table = rating_table(ratings, value_domain)
    if _empty(table):
        return _undefined("krippendorff_alpha", "there are no ratings")
    if level == "ordinal" and value_domain is None and table.categories.dtype == object:
        raise ValueError(
            "level='ordinal' on text labels needs value_domain=[...] listing the labels in order "
            f"(labels seen: {list(table.categories[:10])!r})"
        )
    if level in ("interval", "ratio"):
        _numeric_categories(table.categories, level)
    stats = _coincidence_half(table).ravel()[None, :]
    return _scalar("krippendorff_alpha", _final_alpha(stats, level, table.categories))


def cohen_kappa(a: Any, b: Any, weights: str | None = None, labels: Sequence[Any] | None = None) -> float:
    """Cohen's kappa between two annotators, optionally weighted.

    ``a`` and ``b`` are aligned label sequences (Series are aligned on their index); units
    where either is missing are dropped. ``weights="linear"`` or ``"quadratic"`` weigh a
    disagreement by the distance of the two categories' *positions* in ``labels`` (default:
    the sorted union of the observed values), as scikit-learn's ``cohen_kappa_score`` does.
    Every value must be in ``labels`` when it is given.

    >>> cohen_kappa(["a", "a", "b", "b"], ["a", "b", "b", "b"])
    0.5
    >>> cohen_kappa([1, 2, 3, 3], [1, 2, 2, 3], weights="quadratic")
    0.8
    """
    _check_weights(weights)
    table = pair_table(a, b, labels)
    if _empty(table):
        return _undefined("cohen_kappa", "there are no ratings")
    return _scalar("cohen_kappa", _final_cohen(_confusion(table)[None, :], weights, table.q))


def scott_pi(a: Any, b: Any) -> float:
    """Scott's pi between two annotators (chance agreement from the pooled label shares).

    >>> round(scott_pi(["a", "a", "b", "b"], ["a", "b", "b", "b"]), 4)
    0.4667
    """
    table = pair_table(a, b)
    if _empty(table):
        return _undefined("scott_pi", "there are no ratings")
    return _scalar("scott_pi", _final_scott(_confusion(table)[None, :], table.q))


def landis_koch(value: float | None) -> str:
    """Landis & Koch's (1977) reading of a kappa-like coefficient.

    ``< 0`` poor, ``0-0.20`` slight, ``0.21-0.40`` fair, ``0.41-0.60`` moderate,
    ``0.61-0.80`` substantial, ``0.81-1`` almost perfect; ``nan``/``None`` is undefined.

    >>> landis_koch(0.43), landis_koch(float("nan"))
    ('moderate', 'undefined')
    """
    if value is None or pd.isna(value):
        return "undefined"
    value = float(value)
    if value < 0:
        return "poor"
    for bound, name in ((0.20, "slight"), (0.40, "fair"), (0.60, "moderate"), (0.80, "substantial")):
        if value <= bound:
            return name
    return "almost perfect"


# ============================================================================ bootstrap
@dataclass
class _Spec:
    """How to bootstrap one of this module's coefficients without calling it R times."""

    prepare: Callable[..., tuple[RatingTable, dict]]
    unit_stats: Callable[[RatingTable], sparse.csr_matrix]
    total_stats: Callable[[RatingTable], np.ndarray]
    final: Callable[..., tuple[np.ndarray, str]]


def _prep_table(ratings: Any) -> tuple[RatingTable, dict]:
    return rating_table(ratings), {}


def _prep_ac1(ratings: Any, categories: Sequence[Any] | None = None) -> tuple[RatingTable, dict]:
    table = rating_table(ratings, categories, "categories")
    return table, {"q": table.q}


def _prep_alpha(ratings: Any, level: str = "nominal", value_domain: Sequence[Any] | None = None):
    _check_level(level)
    table = rating_table(ratings, value_domain)
    if level == "ordinal" and value_domain is None and table.categories.dtype == object:
        raise ValueError(
            "level='ordinal' on text labels needs value_domain=[...] listing the labels in order"
        )
    if level in ("interval", "ratio"):
        _numeric_categories(table.categories, level)
    return table, {"level": level, "categories": table.categories}


def _two_columns(table: RatingTable, name: str) -> RatingTable:
    if table.codes.shape[1] != 2:
        raise ValueError(
            f"{name} compares two annotators: ratings must have exactly 2 columns, got {table.codes.shape[1]}"
        )
    return table


def _prep_cohen(ratings: Any, weights: str | None = None, labels: Sequence[Any] | None = None):
    _check_weights(weights)
    table = _two_columns(rating_table(ratings, labels, "labels"), "cohen_kappa")
    return table, {"weights": weights, "q": table.q}


def _prep_scott(ratings: Any):
    table = _two_columns(rating_table(ratings), "scott_pi")
    return table, {"q": table.q}


_SPECS: dict[Callable, _Spec] = {
    percent_agreement: _Spec(_prep_table, _fleiss_units, _fleiss_stats, _final_percent),
    fleiss_kappa: _Spec(_prep_table, _fleiss_units, _fleiss_stats, _final_fleiss),
    gwet_ac1: _Spec(_prep_ac1, _fleiss_units, _fleiss_stats, _final_ac1),
    krippendorff_alpha: _Spec(
        _prep_alpha, _coincidence_units, lambda t: _coincidence_half(t).ravel(), _final_alpha
    ),
    cohen_kappa: _Spec(_prep_cohen, _confusion_units, _confusion, _final_cohen),
    scott_pi: _Spec(_prep_scott, _confusion_units, _confusion, _final_scott),
}


def _resample_counts(rng: np.random.Generator, n: int, n_boot: int, width: int = 1):
    """Bootstrap draws in chunks: yields ``(rows, counts)`` where ``rows`` (chunk x n) are
    the resampled unit positions and ``counts`` how often each unit was drawn. A chunk holds
    at most about 2M numbers per replicate row of ``n`` units or of ``width`` statistics (a
    coefficient over many categories has many); the draws do not depend on the chunk size."""
    chunk = max(1, min(n_boot, (1 << 21) // max(n, width, 1)))
    done = 0
    while done < n_boot:
        size = min(chunk, n_boot - done)
        rows = rng.integers(0, n, size=(size, n))
        offsets = (np.arange(size, dtype=np.int64) * n)[:, None]
        counts = np.bincount((rows + offsets).ravel(), minlength=size * n).reshape(size, n)
        yield rows, counts
        done += size


def bootstrap_ci(
    metric: Callable[..., float] | str,
    ratings: Any,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int | None = None,
    **kwargs: Any,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of ``metric`` by resampling units (rows).

    ``metric`` is one of this module's coefficients (or its name): those are bootstrapped in
    one vectorised pass over per-unit statistics; for ``cohen_kappa`` and ``scott_pi``
    ``ratings`` has exactly two annotator columns. Any other callable ``metric(ratings,
    **kwargs)`` is called once per replicate on the resampled table. The category set is
    fixed to the full data's (so weighted kappa positions and AC1's q do not change between
    replicates). Replicates where the metric is undefined are left out (with a warning);
    ``(nan, nan)`` when the metric is undefined on the full data. ``level`` here is the
    confidence level: for Krippendorff's alpha at another level of measurement pass
    ``functools.partial(krippendorff_alpha, level="ordinal")`` (still vectorised).

    >>> data = [[1, 1], [2, 2], [3, 3], [3, 2], [1, 1], [2, 2]] * 5
    >>> low, high = bootstrap_ci(krippendorff_alpha, data, n_boot=200, seed=0)
    >>> bool(low <= krippendorff_alpha(data) <= high)
    True
    """
    if isinstance(metric, str):
        known = {fn.__name__: fn for fn in _SPECS}
        if metric not in known:
            raise ValueError(f"unknown metric {metric!r}; known: {sorted(known)} (or pass a callable)")
        metric = known[metric]
    if isinstance(metric, functools.partial) and metric.func in _SPECS and not metric.args:
        # partial(krippendorff_alpha, level="ordinal"): ``level`` is this function's own argument.
        kwargs = {**metric.keywords, **kwargs}
        metric = metric.func
    if not callable(metric):
        raise TypeError(f"metric must be a callable or a coefficient name; got {type(metric).__name__}")
    if int(n_boot) != n_boot or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer; got {n_boot!r}")
    n_boot = int(n_boot)
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    rng = np.random.default_rng(seed)
    name = getattr(metric, "__name__", "metric")
    spec = _SPECS.get(metric)
    if spec is not None:
        table, params = spec.prepare(ratings, **kwargs)
        if _empty(table):
            return _undefined_pair(name, "there are no ratings")
        point, why = spec.final(spec.total_stats(table)[None, :], **params)
        if np.isnan(point[0]):
            return _undefined_pair(name, why)
        per_unit = spec.unit_stats(table).T.tocsr()  # d x n
        parts = []
        for _rows, counts in _resample_counts(rng, table.n_units, n_boot, per_unit.shape[0]):
            summed = np.asarray(per_unit @ counts.T.astype(np.float64)).T  # chunk x d
            parts.append(spec.final(summed, **params)[0])
        values = np.concatenate(parts)
    else:
        data = _resampleable(ratings)
        values = np.empty(n_boot, dtype=np.float64)
        k = 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            for rows, _counts in _resample_counts(rng, len(data), n_boot):
                for row in rows:
                    sample = data.iloc[row] if isinstance(data, pd.DataFrame) else data[row]
                    values[k] = metric(sample, **kwargs)
                    k += 1
    return _percentile_interval(values, level, name)


def _resampleable(ratings: Any) -> pd.DataFrame | np.ndarray:
    if isinstance(ratings, pd.DataFrame):
        return wide_table(ratings)
    if isinstance(ratings, np.ndarray):
        return ratings
    return np.asarray(wide_table(ratings).to_numpy(dtype=object))


def _undefined_pair(name: str, why: str) -> tuple[float, float]:
    warnings.warn(
        f"bootstrap_ci: {name} is undefined on the data ({why}); returning (nan, nan)",
        UserWarning,
        stacklevel=3,
    )
    return math.nan, math.nan


def _percentile_interval(values: np.ndarray, level: float, name: str) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if len(finite) < len(values):
        warnings.warn(
            f"bootstrap_ci: {name} is undefined in {len(values) - len(finite)} of {len(values)} "
            "resamples (e.g. only one category drawn); the interval uses the others",
            UserWarning,
            stacklevel=3,
        )
    if not len(finite):
        return math.nan, math.nan
    tail = (1.0 - level) / 2.0
    low, high = np.quantile(finite, [tail, 1.0 - tail])
    return float(low), float(high)
