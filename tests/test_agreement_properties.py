"""Invariants of the agreement coefficients (hypothesis): symmetry, permutations of
annotators and units, relabeling of categories, perfect agreement, and the krippendorff
package on arbitrary small tables."""

from __future__ import annotations

import math
import warnings

import krippendorff
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel import agreement as ag

TOL = 1e-9
TABLE_FNS = (ag.percent_agreement, ag.fleiss_kappa, ag.gwet_ac1, ag.krippendorff_alpha)


@st.composite
def tables(draw, max_cats: int = 4):
    k = draw(st.integers(2, 6))
    n = draw(st.integers(1, 15))
    cell = st.one_of(st.none(), st.integers(0, max_cats - 1))
    rows = draw(st.lists(st.lists(cell, min_size=k, max_size=k), min_size=n, max_size=n))
    return rows


@st.composite
def pairs(draw):
    n = draw(st.integers(1, 20))
    cell = st.one_of(st.none(), st.integers(0, 3))
    a = draw(st.lists(cell, min_size=n, max_size=n))
    b = draw(st.lists(cell, min_size=n, max_size=n))
    return a, b


def quiet(fn, *args, **kwargs) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


def same(x: float, y: float) -> bool:
    return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= TOL


@settings(max_examples=60, deadline=None)
@given(pairs())
def test_kappa_and_pi_are_symmetric(ab):
    a, b = ab
    for weights in (None, "linear", "quadratic"):
        assert same(
            quiet(ag.cohen_kappa, a, b, weights=weights), quiet(ag.cohen_kappa, b, a, weights=weights)
        )
    assert same(quiet(ag.scott_pi, a, b), quiet(ag.scott_pi, b, a))


@settings(max_examples=60, deadline=None)
@given(tables(), st.randoms(use_true_random=False))
def test_permuting_annotators_and_units_changes_nothing(rows, rnd):
    cols = list(range(len(rows[0])))
    rnd.shuffle(cols)
    order = list(range(len(rows)))
    rnd.shuffle(order)
    permuted = [[rows[i][j] for j in cols] for i in order]
    for fn in TABLE_FNS:
        assert same(quiet(fn, rows), quiet(fn, permuted)), fn.__name__
    for level in ("ordinal", "interval"):
        assert same(
            quiet(ag.krippendorff_alpha, rows, level=level),
            quiet(ag.krippendorff_alpha, permuted, level=level),
        )


@settings(max_examples=60, deadline=None)
@given(tables(), st.permutations(["w", "x", "y", "z"]))
def test_relabeling_categories_changes_nothing_nominal(rows, names):
    relabeled = [[None if v is None else names[v] for v in row] for row in rows]
    for fn in TABLE_FNS:
        assert same(quiet(fn, rows), quiet(fn, relabeled)), fn.__name__
    a = [row[0] for row in rows]
    b = [row[1] for row in rows]
    ra = [row[0] for row in relabeled]
    rb = [row[1] for row in relabeled]
    assert same(quiet(ag.cohen_kappa, a, b), quiet(ag.cohen_kappa, ra, rb))
    assert same(quiet(ag.scott_pi, a, b), quiet(ag.scott_pi, ra, rb))
    # Ordinal alpha depends on order only: any order-preserving relabeling leaves it alone.
    ordered = [[None if v is None else f"level-{v}" for v in row] for row in rows]
    domain = [f"level-{v}" for v in range(4)]
    assert same(
        quiet(ag.krippendorff_alpha, rows, level="ordinal"),
        quiet(ag.krippendorff_alpha, ordered, level="ordinal", value_domain=domain),
    )


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(2, 5)), min_size=1, max_size=12))
def test_perfect_agreement_is_one(units):
    rows = [[label] * m + [None] * (5 - m) for label, m in units]
    used = {label for label, _ in units}
    for fn in TABLE_FNS:
        value = quiet(fn, rows)
        if len(used) >= 2 or fn is ag.percent_agreement:
            assert value == 1.0, fn.__name__
        else:
            assert math.isnan(value), fn.__name__
    assert ag.gwet_ac1(rows, categories=[0, 1, 2, 3]) == 1.0
    labels = [label for label, _ in units]
    if len(used) >= 2:
        assert ag.cohen_kappa(labels, labels, weights="linear") == 1.0
        assert ag.scott_pi(labels, labels) == 1.0


@settings(max_examples=80, deadline=None)
@given(tables(max_cats=5), st.sampled_from(["nominal", "ordinal", "interval", "ratio"]))
def test_alpha_equals_krippendorff_package(rows, level):
    data = np.array([[np.nan if v is None else float(v) for v in row] for row in rows]).T
    ours = quiet(ag.krippendorff_alpha, rows, level=level)
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = float(krippendorff.alpha(data, level_of_measurement=level))
    except ValueError:  # it refuses one value in all, or no unit with two ratings
        expected = math.nan
    assert same(ours, expected)


@settings(max_examples=60, deadline=None)
@given(tables())
def test_ranges(rows):
    p = quiet(ag.percent_agreement, rows)
    assert math.isnan(p) or 0.0 <= p <= 1.0
    for fn in (ag.fleiss_kappa, ag.gwet_ac1, ag.krippendorff_alpha):
        v = quiet(fn, rows)
        assert math.isnan(v) or v <= 1.0 + TOL
