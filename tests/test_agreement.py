"""nblabel.agreement: every coefficient against the reference packages and published worked
examples, every input form, and the undefined / bad-input rules.

References: krippendorff, scikit-learn, statsmodels and nltk are test dependencies. irrCAC's
metadata pins pandas<3 and scipy==1.12.0, so it is not in the test extra; when it is installed
(``pip install --no-deps irrCAC``) its tests run, and the same coefficients are always checked
against a direct, loop-per-unit transcription of Gwet's formulas below.
"""

from __future__ import annotations

import functools
import math
import warnings

import krippendorff
import numpy as np
import pandas as pd
import pytest
from nltk.metrics.agreement import AnnotationTask
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import aggregate_raters
from statsmodels.stats.inter_rater import fleiss_kappa as sm_fleiss_kappa

import nblabel as nl
from nblabel import agreement as ag

TOL = 1e-9

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 coders x 12
# units with missing values (coders are rows here as in the paper; our tables are units x coders).
KRIPPENDORFF_2011 = np.array(
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, np.nan, np.nan, np.nan],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, np.nan, 3],
        [np.nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, np.nan],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, np.nan],
    ]
)
KRIPPENDORFF_2011_ALPHA = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849, "ratio": 0.797}

# Fleiss (1971), 30 patients x 6 psychiatrists, 5 diagnoses (statsmodels' test data; the
# published kappa is 0.430, R irr's kappam.fleiss gives 0.4302445).
FLEISS_1971 = np.array(
    [
        [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5],
        [2, 2, 2, 4, 4, 4], [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4],
        [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5], [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4],
        [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5], [3, 3, 3, 3, 3, 5],
        [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
        [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4],
        [1, 4, 4, 4, 4, 5], [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4],
        [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
    ]
)  # fmt: skip


# ------------------------------------------------------------------ independent formulas
def gwet_by_hand(table: np.ndarray, categories: list) -> tuple[float, float, float]:
    """(percent agreement, Fleiss' kappa, AC1) from Gwet (2014), ch. 2, one unit at a time.

    r_ik = raters putting unit i in category k, r_i = sum_k r_ik; units with r_i >= 2 give
    pa = mean of sum_k r_ik (r_ik - 1) / (r_i (r_i - 1)); pi_k = mean over units with r_i >= 1
    of r_ik / r_i; Fleiss pe = sum pi_k^2; AC1 pe = sum pi_k (1 - pi_k) / (q - 1).
    """
    q = len(categories)
    pa_terms, pi_terms = [], []
    for row in table:
        present = [v for v in row if v is not None and not (isinstance(v, float) and math.isnan(v))]
        if not present:
            continue
        r = [sum(1 for v in present if v == c) for c in categories]
        ri = len(present)
        pi_terms.append([rk / ri for rk in r])
        if ri >= 2:
            pa_terms.append(sum(rk * (rk - 1) for rk in r) / (ri * (ri - 1)))
    pa = sum(pa_terms) / len(pa_terms)
    pi = [sum(t[k] for t in pi_terms) / len(pi_terms) for k in range(q)]
    pe_f = sum(p * p for p in pi)
    pe_g = sum(p * (1 - p) for p in pi) / (q - 1)
    return pa, (pa - pe_f) / (1 - pe_f), (pa - pe_g) / (1 - pe_g)


def random_ratings(seed: int, *, n: int = 60, strings: bool = False, missing: float = 0.25):
    """A seeded units x annotators table: 2-10 annotators, 2-6 categories, some missing, and
    one more category in the label set than is ever used."""
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 11))
    q = int(rng.integers(2, 7))
    # Skewed category probabilities so agreement is not only chance.
    truth = rng.integers(0, q, n)
    codes = np.where(rng.random((n, k)) < 0.6, truth[:, None], rng.integers(0, q, (n, k)))
    mask = rng.random((n, k)) < missing
    mask[: n // 10] = False  # a few complete units whatever the draw
    if strings:
        names = np.array([f"cat-{c}" for c in range(q + 1)], dtype=object)  # cat-q: never used
        table = names[codes].astype(object)
        table[mask] = None
        domain = list(names)
    else:
        table = (codes + 1).astype(float)  # values 1..q, q+1 never used
        table[mask] = np.nan
        domain = list(range(1, q + 2))
    return table, domain


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def _float_table(table: np.ndarray, domain: list) -> np.ndarray:
    """The same table as floats (positions in ``domain``) for the krippendorff package."""
    index = {v: i for i, v in enumerate(domain)}
    out = np.full(table.shape, np.nan)
    for (i, j), v in np.ndenumerate(table):
        if not _is_missing(v):
            out[i, j] = index[v]
    return out


# ------------------------------------------------------------------ published examples
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_krippendorff_2011_example(level):
    ours = ag.krippendorff_alpha(KRIPPENDORFF_2011.T, level=level)
    assert round(ours, 3) == KRIPPENDORFF_2011_ALPHA[level]
    assert ours == pytest.approx(krippendorff.alpha(KRIPPENDORFF_2011, level_of_measurement=level), abs=TOL)


def test_krippendorff_2011_example_with_text_labels():
    names = ["very low", "low", "mid", "high", "very high"]
    table = [[None if np.isnan(v) else names[int(v) - 1] for v in row] for row in KRIPPENDORFF_2011.T]
    assert round(ag.krippendorff_alpha(table), 3) == 0.743
    assert round(ag.krippendorff_alpha(table, level="ordinal", value_domain=names), 3) == 0.815
    # The order comes from value_domain, not from sorting the text.
    shuffled = ["mid", "very low", "high", "low", "very high"]
    assert ag.krippendorff_alpha(table, level="ordinal", value_domain=shuffled) != pytest.approx(
        0.815, abs=1e-3
    )
    assert ag.krippendorff_alpha(table, level="nominal", value_domain=shuffled) == pytest.approx(
        0.743421052631579
    )


def test_gwet_2014_example():
    """The same 4 x 12 data in Gwet's Handbook (4th ed., ch. 2) and irrCAC's documentation:
    AC1 = 0.77544, Fleiss' generalised kappa = 0.76117, pa = 0.81818."""
    data = KRIPPENDORFF_2011.T
    assert round(ag.gwet_ac1(data), 5) == 0.77544
    assert round(ag.fleiss_kappa(data), 5) == 0.76117
    assert round(ag.percent_agreement(data), 5) == 0.81818
    pa, kappa, ac1 = gwet_by_hand(data, [1.0, 2.0, 3.0, 4.0, 5.0])
    assert ag.percent_agreement(data) == pytest.approx(pa, abs=TOL)
    assert ag.fleiss_kappa(data) == pytest.approx(kappa, abs=TOL)
    assert ag.gwet_ac1(data) == pytest.approx(ac1, abs=TOL)


def test_fleiss_1971_diagnoses():
    ours = ag.fleiss_kappa(FLEISS_1971)
    assert round(ours, 3) == 0.430
    assert ours == pytest.approx(0.4302445, abs=1e-7)
    assert ours == pytest.approx(sm_fleiss_kappa(aggregate_raters(FLEISS_1971)[0]), abs=TOL)
    # Classic Fleiss does not care which psychiatrist gave which diagnosis: shuffle within rows.
    rng = np.random.default_rng(0)
    shuffled = np.array([rng.permutation(row) for row in FLEISS_1971])
    assert ag.fleiss_kappa(shuffled) == pytest.approx(ours, abs=TOL)


# ------------------------------------------------------------------ seeded random cases
SEEDS = range(12)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff_package(seed, level):
    table, domain = random_ratings(seed)
    expected = krippendorff.alpha(table.T, level_of_measurement=level, value_domain=domain)
    assert ag.krippendorff_alpha(table, level=level) == pytest.approx(expected, abs=TOL)
    assert ag.krippendorff_alpha(table, level=level, value_domain=domain) == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_alpha_on_text_labels_matches_krippendorff_package(seed):
    table, domain = random_ratings(seed, strings=True)
    positions = _float_table(table, domain)
    for level in ("nominal", "ordinal"):
        expected = krippendorff.alpha(
            positions.T, level_of_measurement=level, value_domain=range(len(domain))
        )
        got = ag.krippendorff_alpha(table, level=level, value_domain=domain)
        assert got == pytest.approx(expected, abs=TOL)
    assert ag.krippendorff_alpha(pd.DataFrame(table)) == pytest.approx(
        krippendorff.alpha(positions.T, level_of_measurement="nominal"), abs=TOL
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_gwet_percent_match_hand_formulas(seed):
    table, domain = random_ratings(seed, strings=seed % 2 == 1)
    used = sorted({v for v in table.ravel() if not _is_missing(v)})
    pa, kappa, ac1 = gwet_by_hand(table, used)
    assert ag.percent_agreement(table) == pytest.approx(pa, abs=TOL)
    assert ag.fleiss_kappa(table) == pytest.approx(kappa, abs=TOL)
    assert ag.gwet_ac1(table) == pytest.approx(ac1, abs=TOL)
    # An unused category changes AC1's q (so its chance agreement) but not Fleiss' kappa.
    _, kappa_all, ac1_all = gwet_by_hand(table, domain)
    assert ag.gwet_ac1(table, categories=domain) == pytest.approx(ac1_all, abs=TOL)
    assert kappa_all == pytest.approx(kappa, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_matches_statsmodels_on_complete_data(seed):
    table, _ = random_ratings(seed, missing=0.0)
    counts, _ = aggregate_raters(table.astype(int))
    assert ag.fleiss_kappa(table) == pytest.approx(sm_fleiss_kappa(counts, method="fleiss"), abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_matches_irrcac(seed):
    raw = pytest.importorskip("irrCAC.raw", reason="irrCAC not installed (pip install --no-deps irrCAC)")
    table, domain = random_ratings(seed, strings=seed % 2 == 1)
    frame = pd.DataFrame(table)
    used = sorted({v for v in table.ravel() if not _is_missing(v)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # categories= always: under pandas 3, irrCAC's own category list includes NaN.
        cac = raw.CAC(frame.copy(), categories=used, digits=15)
        fleiss = cac.fleiss()["est"]["coefficient_value"]
        ac1 = cac.gwet()["est"]["coefficient_value"]
        alpha = cac.krippendorff()["est"]["coefficient_value"]
        ac1_all = raw.CAC(frame.copy(), categories=domain, digits=15).gwet()["est"]["coefficient_value"]
    assert ag.fleiss_kappa(frame) == pytest.approx(fleiss, abs=TOL)
    assert ag.gwet_ac1(frame) == pytest.approx(ac1, abs=TOL)
    assert ag.gwet_ac1(frame, categories=domain) == pytest.approx(ac1_all, abs=TOL)
    assert ag.krippendorff_alpha(frame) == pytest.approx(alpha, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_cohen_matches_sklearn(seed):
    table, domain = random_ratings(seed, strings=seed % 2 == 1)
    a, b = table[:, 0], table[:, 1]
    both = np.array([not (_is_missing(x) or _is_missing(y)) for x, y in zip(a, b, strict=True)])
    for weights in (None, "linear", "quadratic"):
        expected = cohen_kappa_score(list(a[both]), list(b[both]), weights=weights)
        assert ag.cohen_kappa(a, b, weights=weights) == pytest.approx(expected, abs=TOL)
        # Positions in labels, unused categories included.
        expected = cohen_kappa_score(list(a[both]), list(b[both]), weights=weights, labels=domain)
        assert ag.cohen_kappa(a, b, weights=weights, labels=domain) == pytest.approx(expected, abs=TOL)
        reordered = domain[::-1]
        expected = cohen_kappa_score(list(a[both]), list(b[both]), weights=weights, labels=reordered)
        assert ag.cohen_kappa(a, b, weights=weights, labels=reordered) == pytest.approx(expected, abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_matches_nltk_annotation_task(seed):
    table, _ = random_ratings(seed, strings=True, missing=0.0)
    n, k = table.shape
    task = AnnotationTask([(f"c{j}", f"i{i}", table[i, j]) for i in range(n) for j in range(k)])
    assert ag.krippendorff_alpha(table) == pytest.approx(task.alpha(), abs=TOL)
    assert ag.fleiss_kappa(table) == pytest.approx(task.pi(), abs=TOL)  # nltk's multi-pi = Fleiss
    assert ag.percent_agreement(table) == pytest.approx(task.avg_Ao(), abs=TOL)
    pairs = [ag.cohen_kappa(table[:, i], table[:, j]) for i in range(k) for j in range(i + 1, k)]
    assert np.mean(pairs) == pytest.approx(task.kappa(), abs=TOL)  # nltk averages Cohen over pairs
    two = AnnotationTask([(f"c{j}", f"i{i}", table[i, j]) for i in range(n) for j in range(2)])
    assert ag.scott_pi(table[:, 0], table[:, 1]) == pytest.approx(two.pi(), abs=TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_alpha_with_missing_matches_nltk(seed):
    table, _ = random_ratings(seed, strings=True)
    n, k = table.shape
    triples = [(f"c{j}", f"i{i}", table[i, j]) for i in range(n) for j in range(k) if table[i, j] is not None]
    assert ag.krippendorff_alpha(table) == pytest.approx(AnnotationTask(triples).alpha(), abs=TOL)


def test_scott_pi_equals_fleiss_on_two_complete_raters():
    table, _ = random_ratings(3, missing=0.0)
    assert ag.scott_pi(table[:, 0], table[:, 1]) == pytest.approx(ag.fleiss_kappa(table[:, :2]), abs=TOL)


def test_percent_agreement_worked_example():
    # unit 1: 3 raters agree (6/6 ordered pairs); unit 2: two of three (2/6); unit 3: one rating (ignored)
    assert ag.percent_agreement([["a", "a", "a"], ["a", "a", "b"], ["b", None, None]]) == pytest.approx(
        (1 + 1 / 3) / 2
    )


def test_cohen_kappa_drops_pairs_with_a_missing_value():
    a = ["x", "y", None, "x", "y", np.nan]
    b = ["x", "y", "x", None, "x", "y"]
    assert ag.cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(["x", "y", "y"], ["x", "y", "x"]), abs=TOL)


def test_cohen_kappa_aligns_series_on_their_index():
    a = pd.Series(["x", "y", "y", "x"], index=[1, 2, 3, 4])
    b = pd.Series(["x", "y", "x", "y"], index=[4, 3, 2, 1])
    expected = cohen_kappa_score(["x", "y", "y", "x"], ["y", "x", "y", "x"])
    assert ag.cohen_kappa(a, b) == pytest.approx(expected, abs=TOL)


# ------------------------------------------------------------------ input forms
def test_input_forms_agree():
    table, _ = random_ratings(5, strings=True)
    frame = pd.DataFrame(
        table, index=[f"item{i}" for i in range(len(table))], columns=list("abcdefghij")[: table.shape[1]]
    )
    as_list = [list(row) for row in table]
    expected = ag.krippendorff_alpha(table)
    assert ag.krippendorff_alpha(frame) == pytest.approx(expected, abs=TOL)
    assert ag.krippendorff_alpha(as_list) == pytest.approx(expected, abs=TOL)
    # pandas' string dtype and nullable integers
    assert ag.krippendorff_alpha(frame.astype("string")) == pytest.approx(expected, abs=TOL)
    numbers, _ = random_ratings(5)
    assert ag.fleiss_kappa(pd.DataFrame(numbers).astype("Int64")) == pytest.approx(
        ag.fleiss_kappa(numbers), abs=TOL
    )


def test_labels_may_be_ints_floats_or_mixed_scale():
    ints = [[1, 1, 2], [2, 2, 2], [3, 1, 3], [1, 1, 1]]
    floats = [[0.5, 0.5, 1.5], [1.5, 1.5, 1.5], [2.25, 0.5, 2.25], [0.5, 0.5, 0.5]]
    assert ag.krippendorff_alpha(ints) == pytest.approx(ag.krippendorff_alpha(floats), abs=TOL)
    assert ag.krippendorff_alpha(floats, level="interval") == pytest.approx(
        krippendorff.alpha(np.array(floats).T, level_of_measurement="interval"), abs=TOL
    )
    big = np.array([[1e9, 1e9], [3e9, 1e9], [3e9, 3e9]])  # outside the small-integer fast path
    assert ag.krippendorff_alpha(big, level="interval") == pytest.approx(
        krippendorff.alpha(big.T, level_of_measurement="interval"), abs=TOL
    )


def test_long_annotations_from_a_real_store(tmp_path):
    items = pd.DataFrame(
        {"text": [f"review {i}" for i in range(12)]}, index=pd.Index(range(100, 112), name="rid")
    )
    store = nl.Store(f"sqlite:///{tmp_path / 'labels.db'}")
    ana = nl.Classify(
        items, text="text", labels=["pos", "neg", "neu"], task="t", annotator="ana", store=store
    )
    bob = nl.Classify(
        items, text="text", labels=["pos", "neg", "neu"], task="t", annotator="bob", store=store
    )
    rng = np.random.default_rng(7)
    a_labels = rng.choice(["pos", "neg", "neu"], 12)
    b_labels = np.where(rng.random(12) < 0.7, a_labels, rng.choice(["pos", "neg", "neu"], 12))
    for rid, la, lb in zip(items.index, a_labels, b_labels, strict=True):
        ana.annotate(rid, la)
        if rid != 111:  # bob never labels item 111
            bob.annotate(rid, lb)
    # History that must not count: bob's relabel of 100 (the last label stands), a skip, a retract.
    bob.annotate(100, "neu")
    b_labels[0] = "neu"
    bob.skip(101)  # the skip replaces bob's label of 101
    ana.annotate(102, "pos")
    ana.undo()  # retracts the relabel: ana's first label of 102 stands again
    ana.flag(103, "unsure")

    events = store.annotations("t")
    wide = pd.DataFrame({"ana": ana.labels, "bob": bob.labels})
    assert wide.loc[101, "bob"] is None and wide.loc[111, "bob"] is None
    for fn in (ag.percent_agreement, ag.fleiss_kappa, ag.krippendorff_alpha, ag.gwet_ac1):
        assert fn(events) == pytest.approx(fn(wide), abs=TOL), fn.__name__
    assert ag.cohen_kappa(wide["ana"], wide["bob"]) == pytest.approx(
        cohen_kappa_score(list(a_labels[[0, *range(2, 11)]]), list(b_labels[[0, *range(2, 11)]])), abs=TOL
    )
    assert ag.krippendorff_alpha(store.current("t")) == pytest.approx(ag.krippendorff_alpha(wide), abs=TOL)
    assert ag.bootstrap_ci(ag.cohen_kappa, events, n_boot=50, seed=1) == ag.bootstrap_ci(
        ag.cohen_kappa, wide, n_boot=50, seed=1
    )
    store.close()


def test_long_frame_with_several_tasks_is_an_error():
    frame = pd.DataFrame(
        {
            "id": [1, 2],
            "task": ["a", "b"],
            "item_id": [1, 1],
            "annotator": ["x", "y"],
            "kind": "label",
            "value": 1,
        }
    )
    with pytest.raises(ValueError, match="several tasks"):
        ag.fleiss_kappa(frame)


# ------------------------------------------------------------------ undefined values
@pytest.mark.parametrize(
    ("call", "why"),
    [
        (lambda: ag.krippendorff_alpha([["a", "a"], ["a", "a"]]), "no expected disagreement"),
        (lambda: ag.krippendorff_alpha([["a", None], [None, "b"]]), "no unit has two"),
        (lambda: ag.krippendorff_alpha([]), "no ratings"),
        (lambda: ag.krippendorff_alpha(pd.DataFrame()), "no ratings"),
        (lambda: ag.fleiss_kappa([[1, 1, 1], [1, 1, 1]]), "only one category"),
        (lambda: ag.fleiss_kappa([[1, None], [None, 2]]), "no unit has two"),
        (lambda: ag.percent_agreement([[1, None]]), "no unit has two"),
        (lambda: ag.gwet_ac1([[1, 1], [1, 1]]), "only one category"),
        (lambda: ag.cohen_kappa(["a", "a"], ["a", "a"]), "only one category"),
        (lambda: ag.cohen_kappa(["a", None], [None, "b"]), "no unit is rated by both"),
        (lambda: ag.cohen_kappa([], []), "no ratings"),
        (lambda: ag.scott_pi(["a"], ["a"]), "only one category"),
    ],
)
def test_undefined_values_are_nan_with_a_warning(call, why):
    with pytest.warns(UserWarning, match=why):
        assert math.isnan(call())


def test_undefined_from_an_empty_store_frame(tmp_path):
    store = nl.Store(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.warns(UserWarning, match="undefined"):
        assert math.isnan(ag.krippendorff_alpha(store.annotations("nothing")))
    store.close()


def test_single_used_category_is_defined_for_ac1_with_categories():
    assert ag.gwet_ac1([[1, 1], [1, 1]], categories=[1, 2]) == pytest.approx(1.0)


def test_perfect_agreement_is_one():
    table = [["a", "a", None], ["b", "b", "b"], ["c", None, "c"]]
    assert ag.krippendorff_alpha(table) == 1.0
    assert ag.fleiss_kappa(table) == 1.0
    assert ag.gwet_ac1(table) == 1.0
    assert ag.percent_agreement(table) == 1.0
    assert ag.cohen_kappa(["a", "b", "c"], ["a", "b", "c"], weights="quadratic") == 1.0
    assert ag.scott_pi(["a", "b"], ["a", "b"]) == 1.0


# ------------------------------------------------------------------ bad input
def test_bad_input_raises_clear_errors():
    with pytest.raises(ValueError, match="ragged"):
        ag.krippendorff_alpha([[1, 2], [1]])
    with pytest.raises(ValueError, match="level must be one of"):
        ag.krippendorff_alpha([[1, 2]], level="nominative")
    with pytest.raises(ValueError, match="weights must be one of"):
        ag.cohen_kappa([1], [1], weights="cubic")
    with pytest.raises(ValueError, match="same length"):
        ag.cohen_kappa([1, 2], [1])
    with pytest.raises(ValueError, match="2-D"):
        ag.fleiss_kappa([1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        ag.krippendorff_alpha([[1, -2], [3, 3]], level="ratio")
    with pytest.raises(ValueError, match="value_domain"):
        ag.krippendorff_alpha([["lo", "hi"], ["hi", "hi"]], level="ordinal")
    with pytest.raises(TypeError, match="numeric labels"):
        ag.krippendorff_alpha([["lo", "hi"], ["hi", "hi"]], level="interval", value_domain=["lo", "hi"])
    with pytest.raises(ValueError, match="not in value_domain: 'mid'"):
        ag.krippendorff_alpha([["lo", "mid"], ["hi", "hi"]], value_domain=["lo", "hi"])
    with pytest.raises(ValueError, match="not in labels"):
        ag.cohen_kappa(["a", "b"], ["a", "c"], labels=["a", "b"])
    with pytest.raises(ValueError, match="twice"):
        ag.gwet_ac1([[1, 2]], categories=[1, 2, 1])


def test_multi_label_values_raise_type_error():
    with pytest.raises(TypeError, match="set-based agreement"):
        ag.krippendorff_alpha([[["a", "b"], ["a"]], [["b"], ["b"]]])
    with pytest.raises(TypeError, match="set-based agreement"):
        ag.fleiss_kappa(pd.DataFrame({"ana": [["a"], ["b"]], "bob": [["a", "b"], None]}))
    with pytest.raises(TypeError, match="set-based agreement"):
        ag.cohen_kappa([("a", "b"), ("a",)], [("a",), ("a",)])
    long = pd.DataFrame(
        {
            "id": [1, 2],
            "task": "t",
            "item_id": [1, 1],
            "annotator": ["x", "y"],
            "kind": "label",
            "value": [["a", "b"], ["a"]],
        }
    )
    with pytest.raises(TypeError, match="set-based agreement"):
        ag.percent_agreement(long)


# ------------------------------------------------------------------ bootstrap
@pytest.mark.parametrize(
    ("metric", "kwargs", "columns"),
    [
        (ag.krippendorff_alpha, {}, None),
        (functools.partial(ag.krippendorff_alpha, level="ordinal"), {}, None),
        (functools.partial(ag.krippendorff_alpha, level="interval"), {}, None),
        (ag.fleiss_kappa, {}, None),
        (ag.percent_agreement, {}, None),
        (ag.gwet_ac1, {"categories": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]}, None),
        (ag.cohen_kappa, {"weights": "quadratic", "labels": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]}, [0, 1]),
        (ag.scott_pi, {}, [0, 1]),
    ],
)
def test_vectorised_bootstrap_equals_the_loop(metric, kwargs, columns):
    table, _ = random_ratings(11, n=80)
    if columns:
        table = table[:, columns]
        loop = lambda r, **kw: metric(r[:, 0], r[:, 1], **kw)  # noqa: E731
    else:
        loop = lambda r, **kw: metric(r, **kw)  # noqa: E731
    fast = ag.bootstrap_ci(metric, table, n_boot=300, seed=3, **kwargs)
    slow = ag.bootstrap_ci(loop, table, n_boot=300, seed=3, **kwargs)
    assert fast == pytest.approx(slow, abs=TOL)
    point = metric(table[:, 0], table[:, 1], **kwargs) if columns else metric(table, **kwargs)
    assert fast[0] <= point <= fast[1]


@pytest.mark.parametrize(
    ("metric", "kwargs", "n_loop"),
    [
        (ag.krippendorff_alpha, {}, 200),  # a statistic per pair of categories: 600 x 600 of them
        (ag.gwet_ac1, {"categories": [float(c) for c in range(100_000)]}, 30),  # one per category
    ],
)
def test_vectorised_bootstrap_over_many_categories_stays_small_and_equals_the_loop(metric, kwargs, n_loop):
    # 300 items x 3 coders over ~600 categories in use of a large taxonomy: the replicates are
    # summed in chunks small enough for the statistics (all 200 at once took 620 MB for alpha
    # and 460 MB for AC1), drawn as in one go.
    import tracemalloc

    rng = np.random.default_rng(0)
    truth = rng.integers(0, 600, 300)
    table = np.where(rng.random((300, 3)) < 0.7, truth[:, None], rng.integers(0, 600, (300, 3))).astype(float)
    tracemalloc.start()
    ag.bootstrap_ci(metric, table, n_boot=200, seed=3, **kwargs)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    fast = ag.bootstrap_ci(metric, table, n_boot=n_loop, seed=3, **kwargs)  # several chunks
    slow = ag.bootstrap_ci(lambda r, **kw: metric(r, **kw), table, n_boot=n_loop, seed=3, **kwargs)
    assert fast == pytest.approx(slow, abs=TOL)


def test_bootstrap_is_reproducible_and_level_widens():
    table, _ = random_ratings(2, n=100)
    a = ag.bootstrap_ci("krippendorff_alpha", table, n_boot=200, seed=5)
    assert a == ag.bootstrap_ci(ag.krippendorff_alpha, table, n_boot=200, seed=5)
    wide = ag.bootstrap_ci(ag.krippendorff_alpha, table, n_boot=200, seed=5, level=0.99)
    assert wide[0] <= a[0] <= a[1] <= wide[1]


def test_bootstrap_undefined_and_bad_arguments():
    with pytest.warns(UserWarning, match="undefined"):
        assert all(math.isnan(v) for v in ag.bootstrap_ci(ag.fleiss_kappa, [[1, 1], [1, 1]], n_boot=10))
    # Some resamples draw only unit 0 (one category): they are left out, with a warning.
    with pytest.warns(UserWarning, match="resamples"):
        low, high = ag.bootstrap_ci(ag.krippendorff_alpha, [[1, 1], [1, 2]], n_boot=50, seed=0)
    assert low <= high
    with pytest.raises(ValueError, match="level"):
        ag.bootstrap_ci(ag.fleiss_kappa, [[1, 2]], level=95)
    with pytest.raises(ValueError, match="n_boot"):
        ag.bootstrap_ci(ag.fleiss_kappa, [[1, 2]], n_boot=0)
    with pytest.raises(ValueError, match="exactly 2 columns"):
        ag.bootstrap_ci(ag.cohen_kappa, [[1, 2, 3]])
    with pytest.raises(ValueError, match="unknown metric"):
        ag.bootstrap_ci("kappa_of_doom", [[1, 2]])


# ------------------------------------------------------------------ Landis & Koch
@pytest.mark.parametrize(
    ("value", "reading"),
    [
        (-0.1, "poor"),
        (0.0, "slight"),
        (0.2, "slight"),
        (0.21, "fair"),
        (0.4, "fair"),
        (0.43, "moderate"),
        (0.6, "moderate"),
        (0.7, "substantial"),
        (0.8, "substantial"),
        (0.81, "almost perfect"),
        (1.0, "almost perfect"),
        (float("nan"), "undefined"),
        (None, "undefined"),
    ],
)
def test_landis_koch(value, reading):
    assert ag.landis_koch(value) == reading


def test_public_api():
    assert nl.agreement is ag
    for name in ag.__all__:
        assert getattr(ag, name).__doc__ or name in ("LEVELS", "WEIGHTS")


def test_docstring_examples():
    import doctest

    from nblabel.agreement import coefficients as _coefficients
    from nblabel.agreement import matching as _matching

    for module in (_coefficients, _matching):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_many_sparse_annotators():
    """30 annotators, 2-4 ratings per unit: the table is compacted before pairs are counted."""
    rng = np.random.default_rng(4)
    n, k = 200, 30
    table = np.full((n, k), np.nan)
    for i in range(n):
        who = rng.choice(k, int(rng.integers(1, 5)), replace=False)
        table[i, who] = rng.integers(1, 5, len(who))
    for level in ("nominal", "ordinal", "interval", "ratio"):
        assert ag.krippendorff_alpha(table, level=level) == pytest.approx(
            krippendorff.alpha(table.T, level_of_measurement=level), abs=TOL
        )
    pa, kappa, ac1 = gwet_by_hand(table, [1.0, 2.0, 3.0, 4.0])
    assert ag.fleiss_kappa(table) == pytest.approx(kappa, abs=TOL)
    assert ag.gwet_ac1(table) == pytest.approx(ac1, abs=TOL)
    assert ag.percent_agreement(table) == pytest.approx(pa, abs=TOL)
    assert ag.bootstrap_ci(ag.krippendorff_alpha, table, n_boot=50, seed=0) == pytest.approx(
        ag.bootstrap_ci(lambda r: ag.krippendorff_alpha(r), table, n_boot=50, seed=0), abs=TOL
    )


def test_unsigned_and_boolean_labels():
    u = np.array([[0, 1, 1], [1, 1, 1], [0, 0, 1], [2, 2, 2]], dtype=np.uint8)
    assert ag.krippendorff_alpha(u) == pytest.approx(
        krippendorff.alpha(u.T.astype(float), level_of_measurement="nominal"), abs=TOL
    )
    b = u.astype(bool)
    assert ag.fleiss_kappa(b) == pytest.approx(ag.fleiss_kappa(b.astype(int)), abs=TOL)
    assert ag.cohen_kappa(pd.Series(b[:, 0]), pd.Series(b[:, 2])) == pytest.approx(
        cohen_kappa_score(b[:, 0], b[:, 2]), abs=TOL
    )
