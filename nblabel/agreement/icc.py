"""The intraclass correlation (ICC) of numeric ratings, with its F-based confidence interval.

``icc(ratings, model=, type=, unit=)`` follows R's ``irr::icc`` (its arguments and defaults) and
McGraw & Wong (1996); the six forms are Shrout & Fleiss's (1979):

========= ============ ======= ================== =============================
model     type         unit    McGraw & Wong      Shrout & Fleiss
========= ============ ======= ================== =============================
oneway    (either)     single  ICC(1)             ICC(1,1)
oneway    (either)     average ICC(k)             ICC(1,k)
twoway    agreement    single  ICC(A,1)           ICC(2,1)
twoway    agreement    average ICC(A,k)           ICC(2,k)
twoway    consistency  single  ICC(C,1)           ICC(3,1)
twoway    consistency  average ICC(C,k)           ICC(3,k)
========= ============ ======= ================== =============================

The one-way model has no rater effect to set apart, so ``type`` does not change it (as in
``irr::icc``). Items with a missing rating are left out (listwise, as ``irr::icc`` and
pingouin's ``intraclass_corr`` do). The confidence interval is the F-based one of McGraw & Wong;
the interval of an average ICC is the Spearman–Brown step-up of the single one's, as in
pingouin and ``psych::ICC`` (``irr`` 0.84.1 computes ICC(A,k)'s degrees of freedom from the
average ICC instead, which gives a lower bound of 0.04 instead of 0.07 on Shrout & Fleiss's
example). The F test is of H0: ICC = 0.

The agreement report of a rating task uses :func:`oneway_unbalanced` too: the one-way ICC of
items rated by different numbers of annotators (Donner's ``k0`` in place of ``k``), which equals
ICC(1) when every item has the same number of ratings.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .ratings import is_long_frame, wide_table

__all__ = ["ICCResult", "MODELS", "TYPES", "UNITS", "icc", "koo_li", "oneway_unbalanced"]

MODELS = ("oneway", "twoway")
TYPES = ("consistency", "agreement")
UNITS = ("single", "average")

#: Koo & Li's (2016) reading of an ICC: below .5 poor, .5-.75 moderate, .75-.9 good, above excellent.
_KOO_LI = ((0.5, "poor"), (0.75, "moderate"), (0.9, "good"), (math.inf, "excellent"))


@dataclass(frozen=True)
class ICCResult:
    """An intraclass correlation: ``value`` with its ``ci_low``/``ci_high`` at ``level``, the
    F test of H0: ICC = 0 (``f``, ``df1``, ``df2``, ``p_value``), ``items`` and ``raters`` used
    (``dropped``: items left out for a missing rating), and which form it is (``model``,
    ``type``, ``unit``; ``name`` in McGraw & Wong's notation, ``shrout_fleiss`` in theirs).
    ``float(result)`` is the value."""

    value: float
    ci_low: float
    ci_high: float
    level: float
    f: float
    df1: float
    df2: float
    p_value: float
    items: int
    raters: float
    model: str
    type: str
    unit: str
    dropped: int = 0

    def __float__(self) -> float:
        return float(self.value)

    @property
    def name(self) -> str:
        """McGraw & Wong's name: ``ICC(1)``, ``ICC(A,1)``, ``ICC(C,k)``, ..."""
        k = "1" if self.unit == "single" else "k"
        if self.model == "oneway":
            return "ICC(1)" if k == "1" else "ICC(k)"
        return f"ICC({'A' if self.type == 'agreement' else 'C'},{k})"

    @property
    def shrout_fleiss(self) -> str:
        """Shrout & Fleiss's name: ``ICC(1,1)``, ``ICC(2,1)`` (agreement), ``ICC(3,k)`` (consistency), ..."""
        case = 1 if self.model == "oneway" else 2 if self.type == "agreement" else 3
        return f"ICC({case},{'1' if self.unit == 'single' else 'k'})"

    @property
    def reading(self) -> str:
        """Koo & Li's (2016) reading of the value (poor, moderate, good, excellent)."""
        return koo_li(self.value)


def koo_li(value: float) -> str:
    """Koo & Li's (2016) reading of an ICC: ``poor`` (< .5), ``moderate`` (< .75), ``good``
    (< .9) or ``excellent``; ``undefined`` for NaN."""
    if value is None or math.isnan(value):
        return "undefined"
    return next(name for top, name in _KOO_LI if value < top)


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}={value!r} must be one of {', '.join(repr(c) for c in choices)}")
    return value


def icc(
    ratings: Any,
    model: str = "oneway",
    type: str = "consistency",  # noqa: A002  (the name irr::icc gives it)
    unit: str = "single",
    *,
    level: float = 0.95,
    criterion: str | None = None,
) -> ICCResult:
    """The intraclass correlation of numeric ratings, with its F-based confidence interval.

    ``ratings``: items x raters — a wide DataFrame (NaN = not rated), a 2-D list or array — or
    the long frame of ``store.annotations(task)`` of a rating task (each annotator's standing
    rating). A rating task with criteria holds one rating per criterion: ``criterion=`` picks
    one. Items any rater left unrated are left out (``result.dropped`` counts them).

    ``model``: ``"oneway"`` (each item rated by its own raters, the default as in ``irr::icc``)
    or ``"twoway"`` (the same raters rate every item); ``type``: ``"consistency"`` (a rater who
    is always one point higher is consistent) or ``"agreement"`` (absolute agreement; the
    one-way model is always this); ``unit``: ``"single"`` (the reliability of one rater's
    rating) or ``"average"`` (of the mean of the ``k`` raters). ``level``: of the interval.

    >>> sf = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    >>> round(icc(sf, "twoway", "agreement").value, 2)  # Shrout & Fleiss (1979): ICC(2,1)
    0.29

    Undefined values (fewer than two items or raters, no variance) are NaN with a
    ``UserWarning`` saying why; non-numeric ratings raise ``TypeError`` naming the item and rater.
    """
    _check_choice("model", model, MODELS)
    _check_choice("type", type, TYPES)
    _check_choice("unit", unit, UNITS)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95); got {level!r}")
    table = numeric_table(ratings, criterion)
    complete = table.notna().all(axis=1).to_numpy()
    values = table.to_numpy(dtype=float)[complete]
    dropped = int((~complete).sum())
    n, k = values.shape
    form = {"model": model, "type": type, "unit": unit, "level": float(level), "dropped": dropped}
    if n < 2 or k < 2:
        why = f"{n} item(s) rated by all {k} rater(s); it needs 2 or more of each"
        return _undefined(why, items=n, raters=k, **form)
    if model == "oneway":
        return oneway_unbalanced([row for row in values], unit=unit, level=level, dropped=dropped)
    return _twoway(values, type, unit, level, dropped)


def _undefined(why: str, *, items: int, raters: float, **form: Any) -> ICCResult:
    warnings.warn(f"icc is undefined: {why}; returning nan", UserWarning, stacklevel=3)
    nan = math.nan
    return ICCResult(nan, nan, nan, f=nan, df1=nan, df2=nan, p_value=nan, items=items, raters=raters, **form)


# ---------------------------------------------------------------------- input
def numeric_table(ratings: Any, criterion: str | None = None) -> pd.DataFrame:
    """``ratings`` as an items x raters float DataFrame (NaN = not rated): a long store frame is
    reduced to the standing ratings; ``criterion`` picks one rating of each ``{criterion:
    number}`` value. ``TypeError`` naming the item and rater of a value that is not a number."""
    if isinstance(ratings, pd.DataFrame):
        wide = wide_table(ratings) if is_long_frame(ratings) else ratings
    elif isinstance(ratings, (str, bytes, Mapping)) or not hasattr(ratings, "__iter__"):
        raise TypeError(
            "ratings must be items x raters (a wide DataFrame, a 2-D list or array) or the long "
            f"frame of store.annotations(task); got {type(ratings).__name__}"
        )
    else:
        wide = wide_table(ratings)
    cells = wide.to_numpy(dtype=object)
    out = np.full(cells.shape, np.nan)
    for (i, j), cell in np.ndenumerate(cells):
        out[i, j] = _number(cell, criterion, wide.index[i], wide.columns[j])
    return pd.DataFrame(out, index=wide.index, columns=wide.columns)


def _number(cell: Any, criterion: str | None, item: Any, rater: Any) -> float:
    where = f"item {item!r}, rater {rater!r}"
    if isinstance(cell, Mapping):
        if criterion is None:
            raise TypeError(
                f"{where}: {cell!r} holds one rating per criterion ({', '.join(map(repr, cell))}): "
                "pass criterion= to choose one"
            )
        if criterion not in cell:
            raise KeyError(f"{where}: no rating of criterion {criterion!r} in {cell!r}")
        cell = cell[criterion]
    elif criterion is not None and not _missing(cell):
        raise TypeError(f"{where}: criterion={criterion!r} given, but {cell!r} is not a rating per criterion")
    if _missing(cell):
        return math.nan
    if isinstance(cell, (bool, np.bool_)) or not isinstance(cell, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: the ICC needs numeric ratings, got {cell!r}")
    value = float(cell)
    if math.isinf(value):
        raise ValueError(f"{where}: the rating {cell!r} is not finite")
    return value


def _missing(cell: Any) -> bool:
    return cell is None or cell is pd.NA or (isinstance(cell, (float, np.floating)) and math.isnan(cell))


# ---------------------------------------------------------------------- the models
def oneway_unbalanced(
    items: list[np.ndarray], *, unit: str = "single", level: float = 0.95, dropped: int = 0
) -> ICCResult:
    """The one-way ICC of items rated ``len(items[i])`` times each (at least twice; the raters
    need not be the same): the one-way ANOVA's mean squares with Donner's average group size
    ``k0 = (N - sum(n_i^2) / N) / (n - 1)`` in place of ``k`` (``k0 = k`` when every item has
    ``k`` ratings: ICC(1) then). ``unit="average"``: the ICC of the mean of ``k0`` ratings."""
    rated = [np.asarray(v, dtype=float) for v in items]
    rated = [v[~np.isnan(v)] for v in rated]
    rated = [v for v in rated if len(v) >= 2]
    n = len(rated)
    sizes = np.array([len(v) for v in rated], dtype=float)
    total = int(sizes.sum())
    k0 = (total - float((sizes**2).sum()) / total) / (n - 1) if n >= 2 else math.nan
    if not math.isnan(k0) and abs(k0 - round(k0)) < 1e-9:
        k0 = int(round(k0))  # balanced: k
    form = {"model": "oneway", "type": "agreement", "unit": unit, "level": float(level), "dropped": dropped}
    if n < 2:
        return _undefined(
            f"{n} item(s) with two or more ratings; it needs 2 or more", items=n, raters=k0, **form
        )
    means = np.array([v.mean() for v in rated])
    grand = float(np.concatenate(rated).mean())
    msb = float((sizes * (means - grand) ** 2).sum()) / (n - 1)
    df_within = total - n
    msw = float(sum(((v - m) ** 2).sum() for v, m in zip(rated, means, strict=True))) / df_within
    if msw == 0 and msb == 0:
        return _undefined("every rating is the same (no variance)", items=n, raters=k0, **form)
    value = (msb - msw) / (msb + (k0 - 1) * msw) if unit == "single" else (msb - msw) / msb
    f_value = msb / msw if msw > 0 else math.inf
    low, high = _f_bounds(f_value, n - 1, df_within, k0 if unit == "single" else None, level)
    return ICCResult(
        value, low, high, f=f_value, df1=n - 1, df2=df_within, p_value=_p(f_value, n - 1, df_within),
        items=n, raters=k0, **form,
    )  # fmt: skip


def _twoway(values: np.ndarray, type_: str, unit: str, level: float, dropped: int) -> ICCResult:
    """ICC(A,1), ICC(C,1), ICC(A,k), ICC(C,k) of a complete items x raters table."""
    n, k = values.shape
    grand = values.mean()
    ss_rows = k * float(((values.mean(axis=1) - grand) ** 2).sum())
    ss_cols = n * float(((values.mean(axis=0) - grand) ** 2).sum())
    ss_error = float(((values - grand) ** 2).sum()) - ss_rows - ss_cols
    ss_error = max(ss_error, 0.0)  # rounding of an exact fit
    msr, msc = ss_rows / (n - 1), ss_cols / (k - 1)
    mse = ss_error / ((n - 1) * (k - 1))
    form = {"model": "twoway", "type": type_, "unit": unit, "level": float(level), "dropped": dropped}
    if msr == 0 and mse == 0 and (type_ == "consistency" or msc == 0):
        return _undefined("every item has the same ratings (no variance)", items=n, raters=k, **form)
    df1, df2 = n - 1, (n - 1) * (k - 1)
    f_value = msr / mse if mse > 0 else math.inf
    if type_ == "consistency":
        value = (msr - mse) / (msr + (k - 1) * mse) if unit == "single" else (msr - mse) / msr
        low, high = _f_bounds(f_value, df1, df2, k if unit == "single" else None, level)
    else:
        single = (msr - mse) / (msr + (k - 1) * mse + k * (msc - mse) / n)
        value = single if unit == "single" else (msr - mse) / (msr + (msc - mse) / n)
        low, high = _agreement_bounds(single, msr, msc, mse, n, k, level)
        if unit == "average":
            low, high = _step_up(low, k), _step_up(high, k)
    return ICCResult(value, low, high, f=f_value, df1=df1, df2=df2, p_value=_p(f_value, df1, df2),
                     items=n, raters=k, **form)  # fmt: skip


def _p(f_value: float, df1: float, df2: float) -> float:
    from scipy.stats import f

    return 0.0 if math.isinf(f_value) else float(f.sf(f_value, df1, df2))


def _f_bounds(f_value: float, df1: float, df2: float, k: float | None, level: float) -> tuple[float, float]:
    """The interval from the F ratio: of a single ICC over ``k`` ratings, or (``k`` None) of an
    average one."""
    from scipy.stats import f

    if math.isinf(f_value):
        return 1.0, 1.0
    tail = 1 - (1 - level) / 2
    f_low = f_value / f.ppf(tail, df1, df2)
    f_high = f_value * f.ppf(tail, df2, df1)
    if k is None:
        return 1 - 1 / f_low, 1 - 1 / f_high
    return (f_low - 1) / (f_low + k - 1), (f_high - 1) / (f_high + k - 1)


def _agreement_bounds(
    single: float, msr: float, msc: float, mse: float, n: int, k: int, level: float
) -> tuple[float, float]:
    """McGraw & Wong's interval of ICC(A,1), with Satterthwaite's degrees of freedom ``v``."""
    from scipy.stats import f

    if single >= 1.0 or mse == 0:
        return 1.0, 1.0
    a = k * single / (n * (1 - single))
    b = 1 + k * single * (n - 1) / (n * (1 - single))
    v = (a * msc + b * mse) ** 2 / ((a * msc) ** 2 / (k - 1) + (b * mse) ** 2 / ((n - 1) * (k - 1)))
    tail = 1 - (1 - level) / 2
    f_low, f_high = f.ppf(tail, n - 1, v), f.ppf(tail, v, n - 1)
    middle = k * msc + (k * n - k - n) * mse
    low = n * (msr - f_low * mse) / (f_low * middle + n * msr)
    high = n * (f_high * msr - mse) / (middle + n * f_high * msr)
    return float(low), float(high)


def _step_up(value: float, k: float) -> float:
    """Spearman–Brown: the reliability of the mean of ``k`` ratings."""
    return k * value / (1 + (k - 1) * value)
