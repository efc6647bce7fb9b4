"""agreement_report: values equal the agreement functions', the per-label / per-annotator /
disagreement tables on a hand-checkable case, gold, multi-label, undefined values, dispatch."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest

import nblabel as nl
from nblabel import agreement as ag

LABELS = ["pos", "neg", "neu"]

#: The hand-checkable case (NaN = not labeled; bob skips item 5, cy flags item 4).
#:        ana   bob   cy
#:   1    pos   pos   pos
#:   2    pos   neg   pos
#:   3    neg   neg   neg
#:   4    neu   neg   -
#:   5    neu   -     -
SMALL = {
    "ana": {1: "pos", 2: "pos", 3: "neg", 4: "neu", 5: "neu"},
    "bob": {1: "pos", 2: "neg", 3: "neg", 4: "neg"},
    "cy": {1: "pos", 2: "pos", 3: "neg"},
}
GOLD = {1: "pos", 2: "pos", 3: "neg", 4: "neg"}


def wide(ratings: dict) -> pd.DataFrame:
    frame = pd.DataFrame(ratings).sort_index()
    frame.index.name = "item_id"
    return frame


@pytest.fixture
def small(tmp_path) -> pd.DataFrame:
    """SMALL written through real widgets (with an undo, a skip and a flag on the way)."""
    df = pd.DataFrame({"text": [f"review {i}" for i in range(1, 6)]}, index=range(1, 6))
    store = nl.Store(tmp_path / "s.db")
    for name, labels in SMALL.items():
        w = nl.Classify(df, text="text", labels=LABELS, task="t", annotator=name, store=store)
        if name == "ana":
            w.annotate(1, "neg")
            w.undo()  # retracted: ana's standing label of item 1 is the one below
        for item, value in labels.items():
            w.annotate(item, value)
        if name == "bob":
            w.skip(5)
        if name == "cy":
            w.flag(4, "sarcasm?")
    frame = store.annotations("t")
    store.close()
    return frame


# ---------------------------------------------------------------------- report values
def test_report_values_equal_the_agreement_functions(small):
    report = nl.agreement_report(small, labels=LABELS, n_boot=50)
    ratings = wide(SMALL)
    assert list(report.index) == [
        "percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "gwet_ac1",
    ]  # fmt: skip
    assert list(report.columns) == [
        "coefficient", "value", "ci_low", "ci_high", "items", "annotators", "reading", "note",
    ]  # fmt: skip
    pairs = [
        ag.cohen_kappa(ratings[a], ratings[b]) for a, b in [("ana", "bob"), ("ana", "cy"), ("bob", "cy")]
    ]
    expected = {
        "percent_agreement": ag.percent_agreement(ratings),
        "cohen_kappa": np.mean(pairs),
        "fleiss_kappa": ag.fleiss_kappa(ratings),
        "krippendorff_alpha": ag.krippendorff_alpha(ratings, level="nominal"),
        "gwet_ac1": ag.gwet_ac1(ratings, categories=LABELS),
    }
    for key, value in expected.items():
        assert report.loc[key, "value"] == pytest.approx(value, abs=1e-12), key
    assert report.loc["cohen_kappa", "coefficient"] == "Cohen's κ (mean pairwise)"
    assert (report["items"] == 4).all()  # items 1-4 have two or more ratings; item 5 has one
    assert (report["annotators"] == 3).all()
    assert report.loc["percent_agreement", "reading"] == "n/a (not chance-corrected)"
    # the reading names the Landis & Koch band of the point and the bands the interval spans
    fk_low, fk_high = report.loc["fleiss_kappa", ["ci_low", "ci_high"]]
    assert report.loc["fleiss_kappa", "reading"] == (
        f"{ag.landis_koch(expected['fleiss_kappa'])}; the CI spans {ag.landis_koch(fk_low)} to "
        f"{ag.landis_koch(fk_high)}"
    )
    for key in expected:  # percentile intervals of the same seeded bootstrap
        low, high = report.loc[key, ["ci_low", "ci_high"]]
        assert low <= high
    low, high = ag.bootstrap_ci(ag.fleiss_kappa, ratings, n_boot=50, seed=0)
    assert report.loc["fleiss_kappa", ["ci_low", "ci_high"]].tolist() == pytest.approx([low, high])


@pytest.mark.parametrize(
    ("value", "low", "high", "reading"),
    [
        (0.5, math.nan, math.nan, "moderate"),  # no interval: the point's band alone
        (0.5, 0.3, 0.7, "moderate; the CI spans fair to substantial"),
        (0.7, 0.65, 0.78, "substantial; the CI lies within substantial"),
        (0.1, -0.2, 0.35, "slight; the CI spans poor to fair"),
        (0.95, 0.79, 1.0, "almost perfect; the CI spans substantial to almost perfect"),
        (math.nan, math.nan, math.nan, "undefined"),
    ],
)
def test_reading_names_the_bands_the_interval_spans(value, low, high, reading):
    from nblabel.agreement.report import reading_of

    assert reading_of(value, True, low, high) == reading
    assert reading_of(value, False, low, high) == (
        "undefined" if math.isnan(value) else "n/a (not chance-corrected)"
    )


def test_two_annotators_get_cohens_kappa_and_a_seeded_interval(small):
    two = small[small["annotator"] != "cy"]
    report = nl.agreement_report(two, n_boot=100, seed=7)
    ratings = wide({k: SMALL[k] for k in ("ana", "bob")})
    assert report.loc["cohen_kappa", "coefficient"] == "Cohen's κ"
    assert report.loc["cohen_kappa", "value"] == pytest.approx(ag.cohen_kappa(ratings["ana"], ratings["bob"]))
    assert report.loc["cohen_kappa", "items"] == 4
    # the report bootstraps Cohen's κ on the same items, with the same seed
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # some resamples hold one category only
        low, high = ag.bootstrap_ci(ag.cohen_kappa, ratings, n_boot=100, seed=7)
    assert report.loc["cohen_kappa", "ci_low"] == pytest.approx(low)
    assert report.loc["cohen_kappa", "ci_high"] == pytest.approx(high)
    assert low <= report.loc["cohen_kappa", "value"] <= high
    again = nl.agreement_report(two, n_boot=100, seed=7)
    pd.testing.assert_frame_equal(pd.DataFrame(report), pd.DataFrame(again))


def test_wide_input_gives_the_same_report(small):
    from_store = nl.agreement_report(small, labels=LABELS, n_boot=0)
    from_wide = nl.agreement_report(wide(SMALL), labels=LABELS, n_boot=0)
    pd.testing.assert_series_equal(from_store["value"], from_wide["value"])
    assert from_wide["ci_low"].isna().all()  # n_boot=0: no intervals


# ---------------------------------------------------------------------- tables
def test_per_annotator_on_the_small_case(small):
    table = nl.agreement_report(small, n_boot=0).per_annotator
    ratings = wide(SMALL)
    assert list(table.index) == ["ana", "bob", "cy"]
    assert table["items"].tolist() == [5, 4, 3]
    assert table["skipped"].tolist() == [0, 1, 0]
    assert table["flagged"].tolist() == [0, 0, 1]
    assert table.loc["ana", "kappa_with_bob"] == pytest.approx(ag.cohen_kappa(ratings["ana"], ratings["bob"]))
    assert table.loc["bob", "kappa_with_ana"] == table.loc["ana", "kappa_with_bob"]
    assert math.isnan(table.loc["ana", "kappa_with_ana"])
    # reference = majority of the others; ties and items nobody else rated are left out
    assert (table["reference"] == "majority of others").all()
    assert table["n_reference"].tolist() == [3, 4, 2]
    assert table["accuracy"].tolist() == pytest.approx([2 / 3, 1 / 2, 1.0])
    # widget events carry timing
    assert (table["median_active_ms"].isna() | (table["median_active_ms"] >= 0)).all()


def test_per_label_on_the_small_case(small):
    table = nl.agreement_report(small, labels=LABELS, n_boot=0).per_label
    assert list(table.index) == LABELS  # the task's order, not sorted
    assert table["count"].tolist() == [5, 5, 2]
    assert table.loc["pos", "prevalence_ana"] == pytest.approx(2 / 5)
    assert table.loc["neg", "prevalence_bob"] == pytest.approx(3 / 4)
    assert table.loc["neu", "prevalence_cy"] == 0.0
    ratings = wide(SMALL)
    for label in LABELS:
        binary = ratings.apply(
            lambda col, label=label: col.map(lambda v: np.nan if pd.isna(v) else float(v == label))
        )
        assert table.loc[label, "agreement"] == pytest.approx(ag.percent_agreement(binary))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            alpha = ag.krippendorff_alpha(binary, level="nominal")
        assert table.loc[label, "alpha"] == pytest.approx(alpha, nan_ok=True)


def test_disagreements_on_the_small_case(small):
    table = nl.agreement_report(small, n_boot=0).disagreements
    assert list(table.index) == [2, 4]  # item 5 has one rating: nothing to disagree with
    assert list(table.columns) == ["ana", "bob", "cy", "majority", "n_ratings", "agreement"]
    assert table.loc[2, ["ana", "bob", "cy", "majority"]].tolist() == ["pos", "neg", "pos", "pos"]
    assert table.loc[4, ["ana", "bob"]].tolist() == ["neu", "neg"]
    assert table.loc[4, "cy"] is None
    assert table.loc[4, "majority"] is None  # a tie
    assert table["n_ratings"].tolist() == [3, 2]
    assert table["agreement"].tolist() == pytest.approx([1 / 3, 0.0])


# ---------------------------------------------------------------------- gold
@pytest.mark.parametrize("form", ["series", "mapping", "annotator", "column"])
def test_gold_forms(small, form):
    if form == "series":
        gold, annotations = pd.Series(GOLD), small
    elif form == "mapping":
        gold, annotations = GOLD, small
    elif form == "annotator":
        expert = pd.DataFrame({"item_id": list(GOLD), "annotator": "expert", "value": list(GOLD.values())})
        expert["kind"] = "label"
        expert["id"] = np.arange(len(expert)) + 10_000
        expert["task"] = "t"
        gold, annotations = "expert", pd.concat([small, expert], ignore_index=True)
    else:
        gold, annotations = "answer", small.assign(answer=small["item_id"].map(GOLD))
    report = nl.agreement_report(annotations, gold=gold, n_boot=0)
    table = report.per_annotator
    assert list(table.index) == ["ana", "bob", "cy"]  # a gold annotator is not a rater
    assert (table["reference"] == "gold").all()
    assert table["n_reference"].tolist() == [4, 4, 3]
    assert table["accuracy"].tolist() == pytest.approx([3 / 4, 3 / 4, 1.0])
    gold_s = pd.Series(GOLD)
    ratings = wide(SMALL)
    both = ratings["ana"].notna() & gold_s.reindex(ratings.index).notna()
    assert table.loc["ana", "kappa_reference"] == pytest.approx(
        ag.cohen_kappa(ratings["ana"][both], gold_s.reindex(ratings.index)[both])
    )
    assert report.disagreements["gold"].tolist() == ["pos", "neg"]
    assert report.reference == "gold"
    # the agreement among the raters does not change with gold
    plain = nl.agreement_report(small, n_boot=0)
    pd.testing.assert_series_equal(report["value"], plain["value"])


def test_gold_ids_of_another_type_match_by_text(small):
    report = nl.agreement_report(small, gold={str(k): v for k, v in GOLD.items()}, n_boot=0)
    assert report.per_annotator["n_reference"].tolist() == [4, 4, 3]


def test_unknown_gold_name_lists_the_choices(small):
    with pytest.raises(KeyError, match="ana"):
        nl.agreement_report(small, gold="nobody", n_boot=0)
    with pytest.raises(TypeError, match="gold must be"):
        nl.agreement_report(small, gold=3.5, n_boot=0)


# ---------------------------------------------------------------------- throughput
def test_items_per_hour_leaves_pauses_out(tmp_path):
    store = nl.Store(tmp_path / "s.db")
    store.register_task("t", "classify", ["a", "b"], {"multi": False})
    t0 = pd.Timestamp("2025-01-06 09:00", tz="UTC")
    offsets = [0, 30, 60, 3600 + 60, 3600 + 90]  # a one-hour lunch between the 3rd and 4th label
    frame = pd.DataFrame(
        {
            "item_id": range(5),
            "annotator": "ana",
            "value": "a",
            "created_at": [t0 + pd.Timedelta(seconds=s) for s in offsets],
            "active_ms": [1000, 2000, 3000, 4000, 50_000],
        }
    )
    store.import_annotations(frame, "t")
    table = nl.agreement_report(store.annotations("t"), n_boot=0).per_annotator
    assert table.loc["ana", "items_per_hour"] == pytest.approx(3 / 90 * 3600)  # 3 gaps of 30 s
    assert table.loc["ana", "median_active_ms"] == 3000
    store.close()


def test_no_throughput_without_active_time(tmp_path):
    """Labels imported or written by code carry no active time: their timestamps (an import
    writes thousands a millisecond) give no items per hour; an annotator's timed labels do."""
    store = nl.Store(tmp_path / "s.db")
    store.register_task("t", "classify", ["a", "b"], {"multi": False})
    t0 = pd.Timestamp("2025-01-06 09:00", tz="UTC")
    store.import_annotations(
        pd.DataFrame(
            {
                "item_id": list(range(1000)) * 2,
                "annotator": ["imported"] * 1000 + ["mixed"] * 1000,
                "value": "a",
                "created_at": [t0 + pd.Timedelta(microseconds=i) for i in range(2000)],
            }
        ),
        "t",
    )
    timed = pd.DataFrame(  # mixed labels four more items by hand, one a minute
        {
            "item_id": range(1000, 1004),
            "annotator": "mixed",
            "value": "b",
            "created_at": [t0 + pd.Timedelta(minutes=m) for m in (1, 2, 3, 4)],
            "active_ms": [4000, 5000, 6000, 7000],
        }
    )
    store.import_annotations(timed, "t")
    df = pd.DataFrame({"text": ["x", "y"]})
    w = nl.Classify(df, text="text", labels=["a", "b"], task="t", annotator="code", store=store)
    w.annotate(0, "a")
    w.annotate(1, "b")
    table = nl.agreement_report(store.annotations("t"), n_boot=0).per_annotator
    assert math.isnan(table.loc["imported", "items_per_hour"])
    assert math.isnan(table.loc["imported", "median_active_ms"])
    assert math.isnan(table.loc["code", "items_per_hour"])
    assert table.loc["mixed", "items_per_hour"] == pytest.approx(60.0)  # 3 gaps of a minute
    assert table.loc["mixed", "median_active_ms"] == 5500
    w.close()
    store.close()


# ---------------------------------------------------------------------- multi-label
MULTI = {
    "ana": {1: ["a", "b"], 2: ["c"], 3: []},
    "bob": {1: ["a"], 2: ["c"], 3: ["b"]},
}


@pytest.fixture
def multi(tmp_path) -> pd.DataFrame:
    df = pd.DataFrame({"text": ["x", "y", "z"]}, index=[1, 2, 3])
    store = nl.Store(tmp_path / "m.db")
    for name, labels in MULTI.items():
        w = nl.Classify(
            df, text="text", labels=["a", "b", "c"], task="m", annotator=name, store=store, multi=True
        )
        for item, value in labels.items():
            w.annotate(item, value)
    frame = store.annotations("m")
    store.close()
    return frame


def test_multi_label_report(multi):
    report = nl.agreement_report(multi, labels=["a", "b", "c"], n_boot=20)
    assert report.multi
    assert list(report.index) == [
        "exact_set_agreement", "mean_jaccard", "exact_set_alpha", "label_kappa", "label_alpha", "label_ac1",
    ]  # fmt: skip
    assert report.loc["exact_set_agreement", "value"] == pytest.approx(1 / 3)
    assert report.loc["mean_jaccard", "value"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    # per label, label-vs-rest:      a        b        c
    binary = {"a": ([1, 0, 0], [1, 0, 0]), "b": ([1, 0, 0], [0, 0, 1]), "c": ([0, 1, 0], [0, 1, 0])}
    kappas, alphas = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for x, y in binary.values():
            kappas.append(ag.cohen_kappa(x, y))
            alphas.append(ag.krippendorff_alpha(pd.DataFrame({"ana": x, "bob": y}), level="nominal"))
    assert report.loc["label_kappa", "value"] == pytest.approx(np.nanmean(kappas))
    assert report.loc["label_alpha", "value"] == pytest.approx(np.nanmean(alphas))
    table = report.per_label
    assert list(table.index) == ["a", "b", "c"]
    assert table["count"].tolist() == [2, 2, 2]
    assert table.loc["b", "prevalence_bob"] == pytest.approx(1 / 3)
    assert table.loc["a", "kappa"] == pytest.approx(1.0)
    people = report.per_annotator
    assert people.loc["ana", "jaccard_with_bob"] == pytest.approx(0.5)
    dis = report.disagreements
    assert list(dis.index) == [1, 3]
    assert dis.loc[1, "ana"] == ["a", "b"] and dis.loc[1, "bob"] == ["a"]
    assert dis.loc[1, "majority"] == ["a"]  # labels chosen by more than half of the ratings
    assert dis.loc[3, "majority"] == []


def test_multi_label_gold(multi):
    gold = {1: ["a", "b"], 2: ["c"], 3: ["b"]}
    people = nl.agreement_report(multi, gold=gold, n_boot=0).per_annotator
    assert people["accuracy"].tolist() == pytest.approx([2 / 3, 2 / 3])
    assert people.loc["ana", "jaccard_reference"] == pytest.approx((1 + 1 + 0) / 3)
    assert people.loc["bob", "jaccard_reference"] == pytest.approx((0.5 + 1 + 1) / 3)


# ---------------------------------------------------------------------- undefined, dispatch
def test_undefined_values_are_nan_with_a_reading_never_an_exception():
    same = pd.DataFrame({"ana": ["x", "x", "x"], "bob": ["x", "x", "x"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning escaping would fail here
        report = nl.agreement_report(same, n_boot=50)
    for key in ("cohen_kappa", "fleiss_kappa", "krippendorff_alpha"):
        assert math.isnan(report.loc[key, "value"])
        assert report.loc[key, "reading"] == "undefined"
        assert report.loc[key, "note"]  # why
        assert math.isnan(report.loc[key, "ci_low"])
    assert report.loc["percent_agreement", "value"] == 1.0


def test_one_annotator_and_no_data_are_undefined():
    one = pd.DataFrame({"ana": ["x", "y"]})
    report = nl.agreement_report(one, n_boot=10)
    assert report["value"].isna().all() and (report["reading"] == "undefined").all()
    empty = pd.DataFrame(columns=["id", "task", "item_id", "annotator", "kind", "value", "created_at"])
    report = nl.agreement_report(empty, n_boot=10)
    assert report["value"].isna().all()
    assert report.per_annotator.empty and report.disagreements.empty


def test_unknown_task_kinds_are_refused():
    frame = pd.DataFrame({"item_id": [1, 1], "annotator": ["ana", "bob"], "value": ["x", "y"]})
    with pytest.raises(ValueError, match="unknown task kind 'audio'"):
        nl.agreement_report(frame, kind="audio")


def test_several_tasks_need_a_choice(small):
    both = pd.concat([small, small.assign(task="other")], ignore_index=True)
    with pytest.raises(ValueError, match="several tasks"):
        nl.agreement_report(both)
    report = nl.agreement_report(both, task="other", n_boot=0)
    assert report.per_annotator["items"].tolist() == [5, 4, 3]


def test_report_is_a_dataframe_that_keeps_its_tables(small):
    report = nl.agreement_report(small, n_boot=0)
    assert isinstance(report, pd.DataFrame)
    subset = report[["coefficient", "value"]]
    assert subset.per_annotator is report.per_annotator


@pytest.mark.parametrize("seed", range(12))
def test_pairwise_kappas_equal_cohen_kappa_on_each_pair(seed: int) -> None:
    from nblabel.agreement.report import pairwise_kappas

    rng = np.random.default_rng(seed)
    n, k, q = int(rng.integers(1, 60)), int(rng.integers(2, 7)), int(rng.integers(1, 6))
    values = rng.integers(0, q, (n, k)).astype(float)
    values[rng.random((n, k)) < rng.uniform(0, 0.7)] = np.nan
    if seed % 4 == 0:
        values[:, 1] = values[:, 0]  # a perfectly agreeing pair
    if seed % 5 == 0:
        values[:, -1] = 0.0  # one annotator who only ever uses one category
    kappa, shared = pairwise_kappas(values)
    for i in range(k):
        for j in range(k):
            a, b = values[:, i], values[:, j]
            both = ~np.isnan(a) & ~np.isnan(b)
            assert shared[i, j] == both.sum()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = nl.agreement.cohen_kappa(a, b)
            if math.isnan(expected):
                assert math.isnan(kappa[i, j]), (i, j, kappa[i, j])
            else:
                assert kappa[i, j] == pytest.approx(expected, abs=1e-12)


# ---------------------------------------------------------------------- ordered labels
SCALE = ["terrible", "poor", "fair", "good", "excellent"]  # not in alphabetical order


def _scale_votes(n: int, annotators: int, seed: int, scale: list) -> pd.DataFrame:
    """Each annotator one step off the true position now and then, some items left out."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, len(scale), n)
    rows = []
    for a in range(annotators):
        position = np.clip(truth + rng.choice([-2, -1, 0, 0, 0, 1], n), 0, len(scale) - 1)
        for item in np.flatnonzero(rng.random(n) > 0.1):
            rows.append({"item_id": int(item), "annotator": f"a{a}", "value": scale[position[item]]})
    return pd.DataFrame(rows)


def _ordinal_references(votes: pd.DataFrame, scale: list) -> dict[str, float]:
    """ordinal α (krippendorff) and weighted κ (scikit-learn; the mean over pairs) on positions."""
    import krippendorff
    from sklearn.metrics import cohen_kappa_score

    wide_votes = votes.pivot(index="item_id", columns="annotator", values="value")
    position = {label: i for i, label in enumerate(scale)}
    positions = wide_votes.apply(lambda column: column.map(position)).astype(float)
    out = {
        "ordinal_alpha": krippendorff.alpha(
            reliability_data=positions.T.to_numpy(), level_of_measurement="ordinal",
            value_domain=list(range(len(scale))),
        )
    }  # fmt: skip
    names = list(positions.columns)
    for weights in ("linear", "quadratic"):
        kappas = []
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                both = positions[a].notna() & positions[b].notna()
                kappas.append(
                    cohen_kappa_score(positions[a][both], positions[b][both], weights=weights,
                                      labels=list(range(len(scale))))
                )  # fmt: skip
        out[f"weighted_kappa_{weights}"] = float(np.mean(kappas))
    return out


ORDINAL_KEYS = ["ordinal_alpha", "weighted_kappa_linear", "weighted_kappa_quadratic"]


@pytest.mark.parametrize("annotators", [2, 3])
def test_numeric_labels_get_ordinal_alpha_and_weighted_kappa(tmp_path, annotators):
    scale = [1, 2, 3, 4, 5]
    votes = _scale_votes(150, annotators, seed=annotators, scale=scale)
    store = nl.Store(tmp_path / "s.db")
    store.register_task("t", "classify", scale, {"multi": False})
    store.import_annotations(votes, "t")
    report = nl.agreement_report(store.annotations("t"), n_boot=100, seed=1)
    assert list(report.index)[-3:] == ORDINAL_KEYS  # after the nominal coefficients
    for key, expected in _ordinal_references(votes, scale).items():
        assert report.loc[key, "value"] == pytest.approx(expected, abs=1e-12), key
        low, high = report.loc[key, ["ci_low", "ci_high"]]
        assert low < report.loc[key, "value"] < high, key
        assert report.loc[key, "reading"].startswith(ag.landis_koch(report.loc[key, "value"]) + "; the CI ")
    pairwise = " (mean pairwise)" if annotators > 2 else ""
    assert report.loc["weighted_kappa_linear", "coefficient"] == f"Cohen's κ, linear weights{pairwise}"
    assert report.loc["ordinal_alpha", "coefficient"] == "Krippendorff's α (ordinal)"
    # a near miss weighs less than a far one: the weighted κ exceeds the nominal one here
    assert report.loc["weighted_kappa_quadratic", "value"] > report.loc["cohen_kappa", "value"]
    store.close()


def test_ordered_labels_follow_the_order_given(tmp_path):
    votes = _scale_votes(120, 3, seed=11, scale=SCALE)
    df = pd.DataFrame({"text": [f"item {i}" for i in range(120)]})
    store = nl.Store(tmp_path / "s.db")
    for name, mine in votes.groupby("annotator"):
        w = nl.Classify(df, text="text", labels=SCALE, task="t", annotator=name, store=store, ordered=True)
        for item, value in zip(mine["item_id"], mine["value"], strict=True):
            w.annotate(item, value)
        w.close()
    assert store.task("t")["config"]["ordered"] is True
    report = nl.agreement_report(store.annotations("t"), n_boot=0)
    for key, expected in _ordinal_references(votes, SCALE).items():
        assert report.loc[key, "value"] == pytest.approx(expected, abs=1e-12), key
    # alphabetical order is another scale, with other values: the recorded order is the one used
    alphabetical = _ordinal_references(votes, sorted(SCALE))
    linear = report.loc["weighted_kappa_linear", "value"]
    assert linear != pytest.approx(alphabetical["weighted_kappa_linear"])

    # the same text labels without ordered=True (a frame built by hand): no ordinal rows
    frame = store.annotations("t")
    frame.attrs = {}
    assert not set(ORDINAL_KEYS) & set(nl.agreement_report(frame, n_boot=0).index)
    store.close()


def test_ordered_needs_one_label_and_is_fixed_with_the_task(tmp_path):
    df = pd.DataFrame({"text": ["a", "b"]})
    store = nl.Store(tmp_path / "s.db")
    with pytest.raises(ValueError, match="ordered=True needs one label per item"):
        nl.Classify(df, text="text", labels=SCALE, task="t", store=store, ordered=True, multi=True)
    with pytest.raises(TypeError, match="ordered must be True or False"):
        nl.Classify(df, text="text", labels=SCALE, task="t", store=store, ordered="yes")
    nl.Classify(df, text="text", labels=SCALE, task="t", annotator="ana", store=store, ordered=True).close()
    with pytest.raises(ValueError, match="created with ordered=True"):
        nl.Classify(df, text="text", labels=SCALE, task="t", annotator="bob", store=store)
    store.close()
