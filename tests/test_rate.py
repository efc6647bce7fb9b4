"""nl.Rate (the rating kind) and nl.agreement.icc: values and their errors, the browser
encoding, the agreement report against reference packages (pingouin, krippendorff,
scikit-learn) on SQLite and PostgreSQL, nl.aggregate per criterion, sessions with gold,
adjudication, the dashboard, exports and the CLI."""

from __future__ import annotations

import json
import math
import sys
import warnings
from pathlib import Path

import krippendorff
import numpy as np
import pandas as pd
import pingouin
import pytest
from sklearn.metrics import cohen_kappa_score

import nblabel as nl
from nblabel.agreement.gold import gold_score, values_agree
from nblabel.agreement.icc import oneway_unbalanced
from nblabel.cli import main as cli
from nblabel.core import registry
from nblabel.widgets.live import LiveAgreement

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402

LIKERT = ["poor", "fair", "good", "very good", "excellent"]
CRITERIA = ["fluency", "accuracy"]

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges.
SHROUT_FLEISS = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
# (model, type, unit) -> pingouin's row and Shrout & Fleiss's published value (two decimals)
FORMS = {
    ("oneway", "consistency", "single"): ("ICC(1,1)", 0.17),
    ("twoway", "agreement", "single"): ("ICC(A,1)", 0.29),
    ("twoway", "consistency", "single"): ("ICC(C,1)", 0.71),
    ("oneway", "agreement", "average"): ("ICC(1,k)", 0.44),
    ("twoway", "agreement", "average"): ("ICC(A,k)", 0.62),
    ("twoway", "consistency", "average"): ("ICC(C,k)", 0.91),
}


def pingouin_icc(table: np.ndarray) -> pd.DataFrame:
    n, k = table.shape
    long = pd.DataFrame(
        [(i, j, table[i, j]) for i in range(n) for j in range(k)], columns=["target", "rater", "score"]
    )
    return pingouin.intraclass_corr(long, "target", "rater", "score", nan_policy="omit").set_index("Type")


# ---------------------------------------------------------------------- nl.agreement.icc
@pytest.mark.parametrize(("form", "expected"), FORMS.items(), ids=[v[0] for v in FORMS.values()])
def test_icc_matches_shrout_and_fleiss_and_pingouin(form: tuple[str, str, str], expected) -> None:
    row, published = expected
    result = nl.agreement.icc(SHROUT_FLEISS, *form)
    reference = pingouin_icc(np.array(SHROUT_FLEISS, dtype=float)).loc[row]
    assert round(result.value, 2) == published
    assert result.value == pytest.approx(reference["ICC"], rel=1e-12)
    assert result.f == pytest.approx(reference["F"], rel=1e-12)
    assert (result.df1, result.df2) == (reference["df1"], reference["df2"])
    assert result.p_value == pytest.approx(reference["pval"], rel=1e-9)
    low, high = reference["CI95"]  # pingouin rounds its interval to two decimals
    assert (result.ci_low, result.ci_high) == (pytest.approx(low, abs=0.005), pytest.approx(high, abs=0.005))
    assert float(result) == result.value and (result.items, result.raters, result.dropped) == (6, 4, 0)


def test_icc_names_and_the_agreement_interval_of_an_average() -> None:
    twoway = nl.agreement.icc(SHROUT_FLEISS, "twoway", "agreement", "average")
    assert (twoway.name, twoway.shrout_fleiss, twoway.reading) == ("ICC(A,k)", "ICC(2,k)", "moderate")
    single = nl.agreement.icc(SHROUT_FLEISS, "twoway", "agreement", "single")
    # the interval of the average is the Spearman-Brown step-up of the single one's (pingouin,
    # psych::ICC; irr 0.84.1 differs here, see nblabel/agreement/icc.py)
    k = 4
    assert twoway.ci_low == pytest.approx(k * single.ci_low / (1 + (k - 1) * single.ci_low))
    assert (round(twoway.ci_low, 3), round(twoway.ci_high, 3)) == (0.071, 0.927)
    oneway = nl.agreement.icc(SHROUT_FLEISS)  # irr::icc's defaults: one-way, single
    assert (oneway.name, oneway.shrout_fleiss, oneway.model, oneway.unit) == (
        "ICC(1)",
        "ICC(1,1)",
        "oneway",
        "single",
    )
    assert nl.agreement.icc(SHROUT_FLEISS, type="agreement").value == oneway.value  # one-way: type is moot
    narrow = nl.agreement.icc(SHROUT_FLEISS, "twoway", "consistency", level=0.8)
    wide = nl.agreement.icc(SHROUT_FLEISS, "twoway", "consistency", level=0.99)
    assert wide.ci_low < narrow.ci_low < narrow.value < narrow.ci_high < wide.ci_high


@pytest.mark.parametrize("seed", range(5))
def test_icc_matches_pingouin_on_random_tables_with_missing_ratings(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = rng.integers(5, 40), rng.integers(2, 6)
    truth = rng.normal(3, 1, n)[:, None]
    table = np.clip(np.round(truth + rng.normal(0, 0.8, (n, k)) + rng.normal(0, 0.5, k)), 1, 7)
    table[rng.random((n, k)) < 0.08] = np.nan
    wide = pd.DataFrame(table, columns=[f"r{j}" for j in range(k)])
    reference = pingouin_icc(table)
    for form, (row, _published) in FORMS.items():
        result = nl.agreement.icc(wide, *form)
        assert result.value == pytest.approx(reference.loc[row, "ICC"], rel=1e-9, abs=1e-12)
        assert result.p_value == pytest.approx(reference.loc[row, "pval"], rel=1e-6, abs=1e-15)
        assert result.dropped == int(np.isnan(table).any(axis=1).sum())
        low, high = reference.loc[row, "CI95"]
        assert result.ci_low == pytest.approx(low, abs=0.005) and result.ci_high == pytest.approx(
            high, abs=0.005
        )


def test_the_unbalanced_one_way_icc() -> None:
    balanced = [np.array(row, dtype=float) for row in SHROUT_FLEISS]
    assert oneway_unbalanced(balanced).value == pytest.approx(nl.agreement.icc(SHROUT_FLEISS).value)
    # by hand: items of 2, 3 and 2 ratings; N = 7, k0 = (7 - 17/7) / 2 = 16/7
    items = [np.array([1.0, 2.0]), np.array([4.0, 5.0, 6.0]), np.array([2.0, 2.0])]
    result = oneway_unbalanced(items)
    grand = 22 / 7
    msb = (2 * (1.5 - grand) ** 2 + 3 * (5 - grand) ** 2 + 2 * (2 - grand) ** 2) / 2
    msw = (0.5 + 2.0 + 0.0) / 4
    k0 = 16 / 7
    assert result.raters == pytest.approx(k0)
    assert result.value == pytest.approx((msb - msw) / (msb + (k0 - 1) * msw))
    assert (result.df1, result.df2, result.items) == (2, 4, 3)


def test_icc_input_errors_name_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="model='three' must be one of 'oneway', 'twoway'"):
        nl.agreement.icc(SHROUT_FLEISS, model="three")
    with pytest.raises(ValueError, match="unit='mean' must be one of 'single', 'average'"):
        nl.agreement.icc(SHROUT_FLEISS, unit="mean")
    with pytest.raises(ValueError, match="level must be between 0 and 1"):
        nl.agreement.icc(SHROUT_FLEISS, level=95)
    wide = pd.DataFrame({"ana": [1, "good"], "bob": [2, 3]}, index=["a", "b"])
    with pytest.raises(TypeError, match=r"item 'b', rater 'ana': the ICC needs numeric ratings, got 'good'"):
        nl.agreement.icc(wide)
    with pytest.raises(TypeError, match=r"item 0, rater 'ana': the ICC needs numeric ratings, got True"):
        nl.agreement.icc(pd.DataFrame({"ana": [True, False], "bob": [1, 2]}))
    per_criterion = pd.DataFrame({"ana": [{"fluency": 1}], "bob": [{"fluency": 2}]})
    with pytest.raises(TypeError, match=r"holds one rating per criterion \('fluency'\): pass criterion="):
        nl.agreement.icc(per_criterion)
    with pytest.raises(KeyError, match="no rating of criterion 'accuracy'"):
        nl.agreement.icc(per_criterion, criterion="accuracy")
    with pytest.raises(TypeError, match="ratings must be items x raters"):
        nl.agreement.icc("1 2 3")
    with pytest.warns(UserWarning, match=r"icc is undefined: 1 item\(s\) rated by all 2 rater\(s\)"):
        assert math.isnan(nl.agreement.icc([[1, 2], [3, None]], "twoway").value)
    with pytest.warns(UserWarning, match="no variance"):
        assert math.isnan(nl.agreement.icc([[3, 3], [3, 3]], "twoway").value)


# ---------------------------------------------------------------------- values, without a widget
def check(value, scale=5, criteria=None, gold=False):
    config = {"scale": scale, "criteria": criteria}
    n = scale if isinstance(scale, int) else len(scale)
    kind = registry.for_task("rating", config)
    item = registry.ItemContext("row 7", labels=list(range(1, n + 1)), config=config)
    return (kind.check_gold if gold else kind.check_value)(value, item)


def test_rating_values() -> None:
    assert check(4) == 4 and type(check(np.int64(4))) is int and check(4.0) == 4
    assert check("very good", scale=LIKERT) == 4  # a point's name is taken as its point
    bad = {
        r"row 7: 6 is not a point of the scale 1–5$": 6,
        r"row 7: 0 is not a point of the scale 1–5$": 0,
        r"row 7: True is not a point of the scale 1–5$": True,
        r"row 7: 3.5 is not a point of the scale 1–5$": 3.5,
        r"row 7: 'good' is not a point of the scale 1–5$": "good",
        r"row 7: nan is not a point of the scale 1–5$": float("nan"),
        r"row 7: a rating is one point of the scale 1–5, got \{'fluency': 3\}$": {"fluency": 3},
    }
    for message, value in bad.items():
        with pytest.raises(ValueError, match=message):
            check(value)
    with pytest.raises(ValueError, match=r"'great' is not a point of the scale 1–5 \('poor', 'fair', 'good'"):
        check("great", scale=LIKERT)


def test_rating_values_per_criterion() -> None:
    assert check({"accuracy": "fair", "fluency": 5}, LIKERT, CRITERIA) == {"fluency": 5, "accuracy": 2}
    assert list(check({"accuracy": 1, "fluency": 2}, 5, CRITERIA)) == CRITERIA  # in the criteria's order
    bad = {
        r"row 7: 'style' is not one of the criteria \['fluency', 'accuracy'\]": {"fluency": 1, "style": 2},
        r"row 7: no rating of 'accuracy' \(every criterion is rated\)": {"fluency": 1},
        r"row 7, criterion 'accuracy': 9 is not a point of the scale 1–5": {"fluency": 1, "accuracy": 9},
        r"row 7: a rating of criteria \['fluency', 'accuracy'\] is a dict \{criterion: point\}, got 3": 3,
    }
    for message, value in bad.items():
        with pytest.raises(ValueError, match=message):
            check(value, 5, CRITERIA)
    with pytest.raises(ValueError, match="no rating of 'accuracy'"):
        check({"fluency": 1}, 5, CRITERIA, gold=True)  # a gold answer rates every criterion too


def test_describe_gold_score_and_agreeing() -> None:
    kind = registry.for_task("rating", {"scale": LIKERT, "criteria": CRITERIA})
    assert kind.describe({"fluency": 4, "accuracy": 1}) == "fluency 4 (very good), accuracy 1 (poor)"
    assert registry.for_task("rating", {"scale": LIKERT}).describe(3) == "3 (good)"
    assert registry.for_task("rating", {"scale": 7}).describe(3) == "3"
    assert gold_score("rating", 3, 3) == 1.0 and gold_score("rating", 3, 4) == 0.0
    half = gold_score("rating", {"fluency": 4, "accuracy": 2}, {"fluency": 4, "accuracy": 3})
    assert half == 0.5  # partial credit: one criterion of two
    assert gold_score("rating", 4, {"fluency": 4, "accuracy": 3}) == 0.0
    assert values_agree("rating", {"fluency": 4, "accuracy": 2}, {"accuracy": 2, "fluency": 4})
    assert not values_agree("rating", {"fluency": 4, "accuracy": 2}, {"fluency": 4, "accuracy": 3})
    assert kind.label_counts({"fluency": 4, "accuracy": 4}) == {4: 2}


# ---------------------------------------------------------------------- the widget
@pytest.fixture
def answers() -> pd.DataFrame:
    return pd.DataFrame(
        {"answer": ["Paris is the capital.", "<b>bold</b> claim", "", "Ünïcode 🙂 العربية"]},
        index=pd.Index(["q1", "q2", "q3", "q4"], name="qid"),
    )


def test_the_widget_stores_numbers_and_shows_names(answers: pd.DataFrame, tmp_path: Path) -> None:
    w = nl.Rate(
        answers, text="answer", scale=LIKERT, task="quality", annotator="ana", store=tmp_path / "r.db"
    )
    b = Browser(w)
    window = b.hello()
    config = w._config
    assert config["points"] == [1, 2, 3, 4, 5] and config["names"] == LIKERT and config["criteria"] == []
    assert config["labels"][3] == "4 · very good" and not config["hide_counts"]
    first = next(i for i in window["items"] if i["key"] == window["current"])
    assert first["payload"] == {"id": "q1", "text": "Paris is the capital."}
    window = b.label("q1", 4)
    assert window["current"] == "q2"
    w.annotate("q2", "poor")
    assert w.labels.to_dict() == {"q1": 4, "q2": 1, "q3": None, "q4": None}
    assert w._progress["counts"] == [1, 0, 0, 1, 0]
    b.goto("q1")
    shown = next(i for i in b.out.last("window")["items"] if i["key"] == "q1")
    assert shown["value"] == 4
    messages = {
        6: "row 'q3': 6 is not a point of the scale 1–5 ('poor', 'fair', 'good', 'very good', 'excellent')",
        "4": "a rating must arrive as a point, got '4'",
        True: "a rating must arrive as a point, got True",
        (4,): "a rating must arrive as a point, got [4]",
    }
    for bad, message in messages.items():
        b.label("q3", list(bad) if isinstance(bad, tuple) else bad)
        assert b.out.last("error")["message"] == message
    assert w.labels["q3"] is None
    info = w.store.task("quality")
    assert (info.kind, info.labels, info.config["scale"], info.config["criteria"]) == (
        "rating",
        [1, 2, 3, 4, 5],
        LIKERT,
        None,
    )
    assert w.store.items("quality").loc["q1", "text"] == "Paris is the capital."


def test_criteria_travel_as_lists_in_the_criteria_order(answers: pd.DataFrame, tmp_path: Path) -> None:
    w = nl.Rate(answers, text="answer", criteria=CRITERIA, task="q", annotator="ana", store=tmp_path / "r.db")
    assert w._config["hide_counts"] and w._config["criteria"] == CRITERIA
    b = Browser(w)
    b.hello()
    b.label("q1", [5, 2])
    assert w.labels["q1"] == {"fluency": 5, "accuracy": 2}
    messages = [
        ([5], "a rating of 2 criteria must arrive as a list of points"),
        ([5, None], "every criterion must be rated: got [5, None]"),
        ([5, 2, 1], "a rating of 2 criteria must arrive as a list of points"),
        ({"fluency": 5, "accuracy": 2}, "a rating of 2 criteria must arrive as a list of points"),
        ([5, 7], "row 'q2', criterion 'accuracy': 7 is not a point of the scale 1–5"),
    ]
    for bad, message in messages:
        b.label("q2", bad)
        assert b.out.last("error")["message"] == message
    assert w.labels["q2"] is None
    b.goto("q1")
    assert next(i for i in b.out.last("window")["items"] if i["key"] == "q1")["value"] == [5, 2]
    assert w.describe(w.labels["q1"], 0) == "fluency 5, accuracy 2"


def test_bad_arguments(answers: pd.DataFrame, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    cases = {
        (ValueError, r"scale=11: a scale has 2 to 10 points"): {"scale": 11},
        (ValueError, r"scale=1: a scale has 2 to 10 points"): {"scale": 1},
        (TypeError, r"scale must be a number of points \(5\) or their names"): {"scale": "5"},
        (ValueError, r"scale has duplicate names: \['bad'\]"): {"scale": ["bad", "bad", "ok"]},
        (TypeError, r"scale\[1\] must be a non-empty string, got 3"): {"scale": ["bad", 3]},
        (TypeError, r"criteria must be a list of names"): {"criteria": "fluency"},
        (ValueError, r"criteria has duplicate names: \['fluency'\]"): {"criteria": ["fluency", "fluency"]},
        (KeyError, r"'text_col'"): {"text": "text_col"},
    }
    for (error, message), options in cases.items():
        kwargs = {"text": "answer", "task": "t", "annotator": "ana", "store": db, **options}
        with pytest.raises(error, match=message):
            nl.Rate(answers, **kwargs)
    store = nl.Store(db)
    assert store.tasks().empty  # a refused widget registers no task
    nl.Rate(answers, text="answer", scale=5, task="t", annotator="ana", store=store)
    with pytest.raises(ValueError, match="scale"):  # the scale of a task is fixed
        nl.Rate(answers, text="answer", scale=7, task="t", annotator="bob", store=store)
    store.close()


# ---------------------------------------------------------------------- agreement
def rated(store: nl.Store, task: str, ratings: dict[str, list], criteria=None, scale=5) -> pd.DataFrame:
    """Annotators' ratings of items 0..n-1 through the widget; returns the store's frame."""
    n = len(next(iter(ratings.values())))
    df = pd.DataFrame({"text": [f"answer {i}" for i in range(n)]})
    for annotator, values in ratings.items():
        w = nl.Rate(
            df, text="text", scale=scale, criteria=criteria, task=task, annotator=annotator, store=store
        )
        for i, value in enumerate(values):
            if value is not None:
                w.annotate(i, value)
    return store.annotations(task)


def noisy(seed: int, n: int, annotators: int, missing: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, 6, n)[:, None]
    table = np.clip(truth + rng.integers(-1, 2, (n, annotators)), 1, 5).astype(float)
    table[rng.random((n, annotators)) < missing] = np.nan
    return table


def test_the_report_of_a_scale_matches_reference_packages(store: nl.Store) -> None:
    table = noisy(1, 40, 2)
    frame = rated(store, "q", {"ana": [int(v) for v in table[:, 0]], "bob": [int(v) for v in table[:, 1]]})
    report = nl.agreement_report(frame, n_boot=50)
    assert report.kind == "rating"
    value = report["value"]
    data = table.T
    assert value["interval_alpha"] == pytest.approx(krippendorff.alpha(data, level_of_measurement="interval"))
    assert value["ordinal_alpha"] == pytest.approx(krippendorff.alpha(data, level_of_measurement="ordinal"))
    assert value["krippendorff_alpha"] == pytest.approx(
        krippendorff.alpha(data, level_of_measurement="nominal")
    )
    for weights in ("linear", "quadratic"):
        expected = cohen_kappa_score(table[:, 0], table[:, 1], weights=weights, labels=[1, 2, 3, 4, 5])
        assert value[f"weighted_kappa_{weights}"] == pytest.approx(expected)
    reference = pingouin_icc(table)
    assert value["icc_oneway"] == pytest.approx(reference.loc["ICC(1,1)", "ICC"])
    assert value["icc_agreement"] == pytest.approx(reference.loc["ICC(A,1)", "ICC"])
    assert value["icc_consistency"] == pytest.approx(reference.loc["ICC(C,1)", "ICC"])
    low, high = reference.loc["ICC(A,1)", "CI95"]
    assert report.loc["icc_agreement", "ci_low"] == pytest.approx(low, abs=0.005)
    assert report.loc["icc_agreement", "ci_high"] == pytest.approx(high, abs=0.005)
    assert report.loc["icc_agreement", "reading"].endswith("(Koo & Li)")
    low, high = report.loc["interval_alpha", ["ci_low", "ci_high"]]
    assert low < value["interval_alpha"] < high  # a bootstrap interval
    assert list(report.per_label.index) == [1, 2, 3, 4, 5]


def test_icc_rows_with_partial_overlap_say_which_items_count(store: nl.Store) -> None:
    table = noisy(2, 30, 3, missing=0.3)
    ratings = {
        a: [None if np.isnan(v) else int(v) for v in table[:, j]] for j, a in enumerate(["a", "b", "c"])
    }
    report = nl.agreement_report(rated(store, "q", ratings), n_boot=0)
    complete = int((~np.isnan(table)).all(axis=1).sum())
    rated_items = int((~np.isnan(table)).any(axis=1).sum())  # an item nobody rated is no row at all
    assert report.loc["icc_agreement", "items"] == complete
    assert (
        f"over the {complete} items every annotator rated ({rated_items - complete} left out)"
        in report.loc["icc_agreement", "note"]
    )
    shared = [row[~np.isnan(row)] for row in table if (~np.isnan(row)).sum() >= 2]
    assert report.loc["icc_oneway", "value"] == pytest.approx(oneway_unbalanced(shared).value)
    assert report.loc["icc_oneway", "items"] == len(shared)
    assert report.loc["interval_alpha", "value"] == pytest.approx(
        krippendorff.alpha(table.T, level_of_measurement="interval")
    )


def test_each_criterion_gets_its_rows(store: nl.Store) -> None:
    fluency, accuracy = noisy(3, 25, 3), noisy(4, 25, 3)
    ratings = {
        a: [
            {"fluency": int(f), "accuracy": int(c)}
            for f, c in zip(fluency[:, j], accuracy[:, j], strict=True)
        ]
        for j, a in enumerate(["ana", "bob", "cy"])
    }
    frame = rated(store, "q", ratings, criteria=CRITERIA, scale=LIKERT)
    report = nl.agreement_report(frame, n_boot=0)
    keys = list(report.index)
    assert keys[0] == "fluency/percent_agreement" and "accuracy/icc_agreement" in keys
    assert len(keys) == 2 * 12 and report.loc["accuracy/ordinal_alpha", "coefficient"] == (
        "accuracy — Krippendorff's α (ordinal)"
    )
    for name, table in (("fluency", fluency), ("accuracy", accuracy)):
        assert report.loc[f"{name}/icc_agreement", "value"] == pytest.approx(
            pingouin_icc(table).loc["ICC(A,1)", "ICC"]
        )
        assert report.loc[f"{name}/interval_alpha", "value"] == pytest.approx(
            krippendorff.alpha(table.T, level_of_measurement="interval")
        )
        assert nl.agreement.icc(frame, "twoway", "agreement", criterion=name).value == pytest.approx(
            report.loc[f"{name}/icc_agreement", "value"]
        )
    assert report.per_label.index.names == ["criterion", "label"] and len(report.per_label) == 10
    assert list(report.per_annotator.index) == ["ana", "bob", "cy"]
    per = report.per_annotator
    assert per.loc["ana", "accuracy"] == pytest.approx(
        (per.loc["ana", "accuracy[fluency]"] + per.loc["ana", "accuracy[accuracy]"]) / 2
    )
    assert report.disagreements.index.names == ["criterion", "item_id"]
    differ = int((np.ptp(fluency, axis=1) > 0).sum())
    assert len(report.disagreements.loc["fluency"]) == differ


def test_a_frame_of_ratings_built_by_hand(store: nl.Store) -> None:
    wide = pd.DataFrame(noisy(5, 20, 2), columns=["ana", "bob"])
    report = nl.agreement_report(wide, kind="rating", n_boot=0)
    assert report.loc["icc_agreement", "value"] == pytest.approx(
        pingouin_icc(wide.to_numpy()).loc["ICC(A,1)", "ICC"]
    )
    one = nl.agreement_report(wide[["ana"]], kind="rating", n_boot=0)
    assert one.loc["icc_oneway", "note"] == "needs ratings from at least two annotators"


# ---------------------------------------------------------------------- nl.aggregate
def test_aggregate_rates_on_the_points_and_one_criterion_at_a_time(store: nl.Store) -> None:
    single = rated(store, "one", {"a": [1, 2, 5], "b": [1, 3, 5], "c": [2, 3, 4]})
    result = nl.aggregate(single, method="majority")
    assert result["label"].tolist() == [1, 3, 5] and result.categories == [1, 2, 3, 4, 5]
    with pytest.warns(nl.SmallPilotWarning):
        assert nl.aggregate(single, method="dawid_skene", gold={0: 1})["label"].tolist()[0] == 1
    ratings = {
        "a": [{"fluency": 1, "accuracy": 5}, {"fluency": 2, "accuracy": 4}],
        "b": [{"fluency": 1, "accuracy": 4}, {"fluency": 3, "accuracy": 4}],
        "c": [{"fluency": 2, "accuracy": 4}, {"fluency": 3, "accuracy": 3}],
    }
    frame = rated(store, "two", ratings, criteria=CRITERIA)
    assert nl.aggregate(frame, method="majority", criterion="fluency")["label"].tolist() == [1, 3]
    assert nl.aggregate(frame, method="majority", criterion="accuracy")["label"].tolist() == [4, 4]
    gold = {1: {"fluency": 2, "accuracy": 3}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nl.SmallPilotWarning)
        assert nl.aggregate(frame, criterion="fluency", gold=gold).loc[1, "label"] == 2
    with pytest.raises(
        ValueError,
        match=r"criteria \['fluency', 'accuracy'\]: aggregate one at a time with criterion='fluency'",
    ):
        nl.aggregate(frame)
    with pytest.raises(ValueError, match=r"criterion='style' is not one of the task's criteria"):
        nl.aggregate(frame, criterion="style")
    with pytest.raises(
        ValueError, match="criterion='fluency' chooses one criterion .* this task has no criteria"
    ):
        nl.aggregate(single, criterion="fluency")


# ---------------------------------------------------------------------- sessions, adjudication, dashboard
def test_a_calibration_session_scores_ratings_against_gold(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "text": [f"answer {i}" for i in range(8)],
            "gold": [None] * 6 + [{"fluency": 4, "accuracy": 2}, {"fluency": 1, "accuracy": 5}],
        }
    )
    s = nl.Session(tmp_path / "s.db", "q", widget=nl.Rate, data=df, annotators=["a", "b"], overlap=2,
                   gold="gold", calibration=1, pass_mark=0.5, feedback=True, text="text",
                   criteria=CRITERIA, scale=LIKERT)  # fmt: skip
    w = s.labeler("a")
    b = Browser(w)
    window = b.hello()
    key = window["current"]
    gold = s.gold[key]
    b.label(key, [gold["fluency"], 1 if gold["accuracy"] != 1 else 2])  # one criterion of two right
    feedback = b.out.last("feedback")
    assert feedback["score"] == 0.5 and feedback["correct"] is False
    assert feedback["gold"] == registry.for_task("rating", {"scale": LIKERT}).describe(gold)
    assert w._session["phase"] == "production"  # 50 % ≥ the pass mark
    with pytest.raises(ValueError, match="no rating of 'accuracy'"):
        nl.Session(tmp_path / "t.db", "q", widget=nl.Rate, data=df.assign(gold=[None] * 7 + [{"fluency": 1}]),
                   annotators=["a"], overlap=1, gold="gold", text="text", criteria=CRITERIA)  # fmt: skip


def test_adjudication_dashboard_and_final_labels(tmp_path: Path) -> None:
    df = pd.DataFrame({"text": [f"answer {i}" for i in range(6)]})
    s = nl.Session(tmp_path / "s.db", "q", widget=nl.Rate, data=df, annotators=["ana", "ben"], overlap=2,
                   text="text", criteria=CRITERIA)  # fmt: skip
    given = {
        "ana": lambda i: {"fluency": 3, "accuracy": 3},
        "ben": lambda i: {"fluency": 3, "accuracy": 3 + (i % 2)},
    }
    for name in ("ana", "ben"):
        w = s.labeler(name)
        while w.current is not None:
            w.annotate(w.current, given[name](w.current))
    adj = nl.Adjudicate(s, adjudicator="boss")
    b = Browser(adj)
    window = b.hello()
    decided = []
    while window["current"] is not None:
        key = window["current"]
        review = next(i for i in window["items"] if i["key"] == key)["review"]
        ben = next(r for r in review if r["annotator"] == "ben")
        assert ben["value"] == [3, 4] and ben["text"] == "fluency 3, accuracy 4"
        decided.append(key)
        window = b.label(key, ben["value"])
    assert sorted(decided) == ["1", "3", "5"]
    final = s.final_labels()["value"].to_dict()
    assert final == {i: {"fluency": 3, "accuracy": 3 + (i % 2)} for i in range(6)}
    with pytest.raises(ValueError, match="criterion="):
        s.final_labels(method="majority")  # a model aggregates one criterion at a time

    live = LiveAgreement(s.store, "q")
    live.read()
    snap = live.snapshot()
    assert snap["kind"] == "rating" and snap["criteria"] == CRITERIA
    assert [c["key"] for c in snap["coefficients"]][:2] == [
        "fluency/percent_agreement",
        "fluency/cohen_kappa",
    ]
    confusion = snap["confusion"]
    assert confusion["categories"] == ["1", "2", "3", "4", "5"] and confusion["total"] == 12
    assert confusion["counts"][2][2] == 9 and confusion["counts"][2][3] == 3  # ana 3, ben 4: three units
    cells = live.cell_items(confusion["rows"], confusion["columns"], 2, 3)
    assert cells.index.tolist() == [1, 3, 5] and set(cells["criterion"]) == {"accuracy"}
    assert cells["text"].tolist() == ["answer 1", "answer 3", "answer 5"]
    assert set(live.intervals(n_boot=20)) >= {"fluency/icc_agreement", "accuracy/interval_alpha"}


def test_the_dashboard_of_one_scale(store: nl.Store) -> None:
    rated(store, "q", {"ana": [1, 2, 3, 4, 5, 5], "bob": [1, 2, 4, 4, 5, 4]}, scale=LIKERT)
    dash = nl.Dashboard(store, "q", live=False)
    try:
        snap = dash._live.snapshot()
        keys = [c["key"] for c in snap["coefficients"]]
        assert {"ordinal_alpha", "weighted_kappa_quadratic", "interval_alpha", "icc_agreement"} <= set(keys)
        icc_row = next(c for c in snap["coefficients"] if c["key"] == "icc_agreement")
        assert icc_row["ci"][0] is not None  # the F-based interval comes with the first snapshot
        assert snap["confusion"]["category_kind"] == "scale points"
        assert dash.cell_items(3, 4)["text"].tolist() == ["answer 2"]  # ana 3, bob 4
        assert dash.cell_items(5, 4)["text"].tolist() == ["answer 5"]
        assert snap["aggregation"]["method"] == "dawid_skene"
    finally:
        dash.close()


def test_exports_and_the_cli(tmp_path: Path, capsys) -> None:
    db = tmp_path / "r.db"
    store = nl.Store(db)
    rated(
        store,
        "q",
        {"ana": [{"fluency": 1, "accuracy": 2}], "bob": [{"fluency": 1, "accuracy": 3}]},
        criteria=CRITERIA,
    )
    path = store.export("q", tmp_path / "q.jsonl", format="jsonl")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["value"] for r in rows] == [{"fluency": 1, "accuracy": 2}, {"fluency": 1, "accuracy": 3}]
    store.close()
    assert cli(["report", str(db), "--task", "q", "--n-boot", "0"]) == 0
    out = capsys.readouterr().out
    assert (
        "nblabel report · task 'q' · rating" in out
        and "accuracy — ICC(A,1): two-way, absolute agreement" in out
    )
