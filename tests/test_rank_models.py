"""nl.rank_models: Bradley–Terry scores of the models behind a compare task's responses, checked
against choix (and crowd-kit where installed) on worked examples and seeded simulations; ties,
"both bad", rankings, bootstrap intervals, the win-rate matrix, errors and the plot."""

from __future__ import annotations

import io
import math
import warnings

import choix  # the test extra's Bradley–Terry reference
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import nblabel as nl
from nblabel.agreement import bradley_terry as bt

PAIR = {"a": "left", "b": "right"}
MODELS = ["alpha", "beta", "gamma", "delta", "eps"]


def pair_frame(rows: list[tuple]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Judgements ``(item, annotator, model of a, model of b, choice)`` as a long frame and the
    labeled DataFrame (one row per item)."""
    items = {}
    for item, _who, ma, mb, _choice in rows:
        items[item] = (ma, mb)
    data = pd.DataFrame(
        {"left": "…", "right": "…", "model_a": [v[0] for v in items.values()],
         "model_b": [v[1] for v in items.values()]},
        index=list(items),
    )  # fmt: skip
    frame = pd.DataFrame(
        {"item_id": [r[0] for r in rows], "annotator": [r[1] for r in rows],
         "value": [{"choice": r[4]} for r in rows]}
    )  # fmt: skip
    return frame, data


def rank_pairs(rows: list[tuple], **options) -> nl.agreement.models.ModelRanking:
    frame, data = pair_frame(rows)
    options.setdefault("n_boot", 0)
    return nl.rank_models(frame, data=data, models=("model_a", "model_b"), kind="compare", config=PAIR,
                          **options)  # fmt: skip


def choix_scores(
    rows: list[tuple], names: list[str], *, both_bad: str = "tie", alpha: float = 0.0
) -> pd.Series:
    """choix's Bradley–Terry scores (centred) of the same judgements: every judgement written
    twice, a tie as one win each way (= half a win each, the likelihood only doubled)."""
    index = {m: i for i, m in enumerate(names)}
    data = []
    for _item, _who, ma, mb, choice in rows:
        a, b = index[ma], index[mb]
        if choice == "A":
            data += [(a, b), (a, b)]
        elif choice == "B":
            data += [(b, a), (b, a)]
        elif choice == "tie" or (choice == "both_bad" and both_bad == "tie"):
            data += [(a, b), (b, a)]
    if alpha:
        params = choix.opt_pairwise(len(names), data, alpha=alpha, method="Newton-CG", tol=1e-13)
    else:
        params = choix.ilsr_pairwise(len(names), data, alpha=0.0, tol=1e-14, max_iter=100_000)
    return pd.Series(params - params.mean(), index=names)


def simulate(seed: int, n_items: int = 300, k: int = 5, tie_rate: float = 0.15, both_bad: float = 0.0):
    """Seeded judgements between ``k`` models of known log-strengths (mean 0)."""
    rng = np.random.default_rng(seed)
    truth = rng.normal(0, 0.8, k)
    truth -= truth.mean()
    rows = []
    for item in range(n_items):
        a = int(rng.integers(k))
        b = int((a + rng.integers(1, k)) % k)
        for who in ("ann", "bob")[: 1 + int(rng.random() < 0.3)]:
            u = rng.random()
            if u < both_bad:
                choice = "both_bad"
            elif u < both_bad + tie_rate:
                choice = "tie"
            else:
                choice = "A" if rng.random() < 1 / (1 + math.exp(truth[b] - truth[a])) else "B"
            rows.append((item, who, MODELS[a], MODELS[b], choice))
    return rows, pd.Series(truth, index=MODELS[:k])


# ---------------------------------------------------------------------- the model itself
def test_worked_example_two_models_log_odds():
    # alpha beat beta 3 times, lost once, tied twice: wins 4 vs 2, so θα − θβ = log 2.
    rows = [(i, "ann", "alpha", "beta", c) for i, c in enumerate(["A", "A", "A", "B", "tie", "tie"])]
    r = rank_pairs(rows)
    assert list(r.index) == ["alpha", "beta"]
    assert r.loc["alpha", "score"] - r.loc["beta", "score"] == pytest.approx(math.log(2), abs=1e-12)
    assert r["score"].sum() == pytest.approx(0, abs=1e-12)  # mean 0
    assert r.loc["alpha", ["wins", "losses", "ties", "n"]].tolist() == [3, 1, 2, 6]
    assert r.loc["beta", ["wins", "losses", "ties", "n"]].tolist() == [1, 3, 2, 6]
    assert r.win_rates.loc["alpha", "beta"] == pytest.approx(4 / 6)
    assert r.win_rates.loc["beta", "alpha"] == pytest.approx(2 / 6)
    assert math.isnan(r.win_rates.loc["alpha", "alpha"])
    assert r.comparisons.loc["alpha", "beta"] == r.comparisons.loc["beta", "alpha"] == 6


def test_worked_example_three_models_matches_choix_and_b_choices_flip_sides():
    # B means the b column's model won, whichever side it sits on.
    rows = [
        (0, "ann", "alpha", "beta", "A"), (1, "ann", "beta", "alpha", "B"),
        (2, "ann", "beta", "gamma", "A"), (3, "ann", "gamma", "beta", "A"),
        (4, "ann", "gamma", "alpha", "B"), (5, "ann", "alpha", "gamma", "B"),
        (6, "ann", "beta", "alpha", "A"), (7, "ann", "gamma", "beta", "tie"),
    ]  # fmt: skip
    r = rank_pairs(rows)
    expected = choix_scores(rows, ["alpha", "beta", "gamma"])
    assert np.abs(r["score"] - expected.reindex(r.index)).max() < 1e-9
    assert r.loc["alpha", ["wins", "losses", "ties"]].tolist() == [3, 2, 0]  # 0, 1, 4 won; 5, 6 lost


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 6])
def test_scores_match_choix_on_seeded_simulations(seed):
    rows, _truth = simulate(seed, n_items=150 + 50 * seed, k=3 + seed % 3)
    r = rank_pairs(rows)
    expected = choix_scores(rows, list(r.index))
    assert np.abs(r["score"] - expected).max() < 1e-6


def test_prior_matches_choix_map_estimate():
    # Normal(0, σ²) prior ⇔ choix's penalty α·Σθ² on the doubled data with α = 1/σ².
    rows, _truth = simulate(11, n_items=120, k=4)
    for sd in (0.5, 2.0):
        r = rank_pairs(rows, prior=sd)
        expected = choix_scores(rows, list(r.index), alpha=1 / sd**2)
        assert np.abs(r["score"] - expected).max() < 1e-6
    # a prior shrinks the scores towards 0
    assert rank_pairs(rows, prior=0.3)["score"].abs().max() < rank_pairs(rows)["score"].abs().max()


def test_scores_match_crowdkit_bradley_terry_without_ties():
    crowdkit = pytest.importorskip("crowdkit.aggregation")
    rows, _truth = simulate(7, n_items=200, k=4, tie_rate=0.0)
    r = rank_pairs(rows)
    judged = pd.DataFrame(
        [(who, ma, mb, ma if c == "A" else mb) for _i, who, ma, mb, c in rows],
        columns=["worker", "left", "right", "label"],
    )
    # tol=0: crowd-kit 1.4.2 compares its scores with themselves (p_old is p_new), so any
    # positive tol stops it after the second iteration
    theirs = np.log(crowdkit.BradleyTerry(n_iter=20_000, tol=0.0).fit_predict(judged))
    theirs -= theirs.mean()
    assert np.abs(r["score"] - theirs.reindex(r.index)).max() < 1e-6


def test_fit_recovers_known_strengths_and_stacks_fit_alike():
    truth = np.array([1.0, 0.2, -0.4, -0.8])
    p = 1 / (1 + np.exp(truth[None, :] - truth[:, None]))  # expected wins of 1000 games per pair
    wins = 1000 * p
    np.fill_diagonal(wins, 0)
    assert np.abs(bt.fit(wins) - truth).max() < 1e-9
    stack = np.stack([wins, 2 * wins, wins.T])
    fitted = bt.fit(stack)
    assert np.abs(fitted[0] - truth).max() < 1e-9 and np.abs(fitted[1] - truth).max() < 1e-9
    assert np.abs(fitted[2] + truth).max() < 1e-9


# ---------------------------------------------------------------------- ties and "both bad"
def test_both_bad_is_a_tie_or_left_out():
    rows = [(0, "ann", "alpha", "beta", "A"), (1, "ann", "alpha", "beta", "both_bad"),
            (2, "ann", "alpha", "beta", "B"), (3, "ann", "alpha", "beta", "A")]  # fmt: skip
    as_tie = rank_pairs(rows)
    assert as_tie.loc["alpha", ["wins", "losses", "ties", "n"]].tolist() == [2, 1, 1, 4]
    assert as_tie.loc["alpha", "score"] * 2 == pytest.approx(math.log(2.5 / 1.5))
    assert np.abs(as_tie["score"] - choix_scores(rows, list(as_tie.index))).max() < 1e-9
    dropped = rank_pairs(rows, both_bad="drop")
    assert dropped.loc["alpha", ["wins", "losses", "ties", "n"]].tolist() == [2, 1, 0, 3]
    assert dropped.loc["alpha", "score"] * 2 == pytest.approx(math.log(2))
    expected = choix_scores(rows, list(dropped.index), both_bad="drop")
    assert np.abs(dropped["score"] - expected).max() < 1e-9


def test_ties_pull_scores_together():
    decisive = [(i, "ann", "alpha", "beta", c) for i, c in enumerate("AAAB")]
    with_ties = decisive + [(4 + i, "ann", "alpha", "beta", "tie") for i in range(4)]
    gap = rank_pairs(decisive)["score"].agg(lambda s: s.max() - s.min())
    tied_gap = rank_pairs(with_ties)["score"].agg(lambda s: s.max() - s.min())
    assert gap == pytest.approx(math.log(3)) and tied_gap == pytest.approx(math.log(5 / 3))


# ---------------------------------------------------------------------- rankings
def test_ranking_becomes_every_pair_and_matches_choix(tmp_path):
    store = nl.Store(tmp_path / "r.db")
    data = pd.DataFrame({
        "prompt": ["p0", "p1", "p2", "p3"],
        "r1": "x", "r2": "y", "r3": "z",
        "m1": ["alpha", "beta", "gamma", "alpha"],
        "m2": ["beta", "gamma", "alpha", "gamma"],
        "m3": ["gamma", "alpha", "beta", "beta"],
    }, index=[10, 11, 12, 13])  # fmt: skip
    w = nl.Compare(data, prompt="prompt", responses=["r1", "r2", "r3"], task="ranks", annotator="ann",
                   store=store)  # fmt: skip
    w.annotate(10, [["r1"], ["r2", "r3"]])  # alpha > beta = gamma
    w.annotate(11, [["r3"], ["r1"], ["r2"]])  # alpha > beta > gamma
    w.annotate(12, ["r2", "r1", "r3"])  # alpha > gamma > beta
    w.annotate(13, [["r1", "r2", "r3"]])  # all tied
    w.close()
    r = nl.rank_models(store.annotations("ranks"), data=data, models=("m1", "m2", "m3"), n_boot=0)
    # alpha: 2 + 2 + 2 wins, 2 ties; beta: 1 win (11), 3 ties; gamma: 1 win (12), 3 ties
    assert r.loc["alpha", ["wins", "losses", "ties", "n"]].tolist() == [6, 0, 2, 8]
    assert r.loc["beta", ["wins", "losses", "ties", "n"]].tolist() == [1, 4, 3, 8]
    assert r.loc["gamma", ["wins", "losses", "ties", "n"]].tolist() == [1, 4, 3, 8]
    as_pairs = [
        (item, "ann", first, second, outcome)
        for item, pairs in {
            10: [("alpha", "beta", "A"), ("alpha", "gamma", "A"), ("beta", "gamma", "tie")],
            11: [("alpha", "beta", "A"), ("alpha", "gamma", "A"), ("beta", "gamma", "A")],
            12: [("alpha", "gamma", "A"), ("alpha", "beta", "A"), ("gamma", "beta", "A")],
            13: [("alpha", "beta", "tie"), ("alpha", "gamma", "tie"), ("beta", "gamma", "tie")],
        }.items()
        for first, second, outcome in pairs
    ]
    assert np.abs(r["score"] - choix_scores(as_pairs, list(r.index))).max() < 1e-9
    # a mapping works as the tuple does; without models= each response column is a model
    mapping = {"r3": "m3", "r1": "m1", "r2": "m2"}
    mapped = nl.rank_models(store.annotations("ranks"), data=data, models=mapping, n_boot=0)
    pd.testing.assert_frame_equal(mapped, r)
    columns = nl.rank_models(store.annotations("ranks"), n_boot=0)
    assert sorted(columns.index) == ["r1", "r2", "r3"]
    assert columns.loc["r1", ["wins", "losses", "ties"]].tolist() == [4, 2, 2]
    store.close()


def test_kinds_state_pairwise_outcomes_without_a_widget():
    from nblabel.core import registry

    pair = registry.for_task("compare", PAIR)
    out = pair.pairwise_outcomes([{"choice": "B", "strength": 2}, "tie", {"choice": "both_bad"}], PAIR)
    assert out[["judgement", "first", "second", "outcome"]].astype(str).values.tolist() == [
        ["0", "right", "left", "win"], ["1", "left", "right", "tie"], ["2", "left", "right", "both_bad"],
    ]  # fmt: skip
    assert list(out["first"].cat.categories) == ["left", "right"]
    config = {"responses": ["r1", "r2", "r3"]}
    ranking = registry.for_task("compare", config)
    out = ranking.pairwise_outcomes([[["r2"], ["r1", "r3"]]], config)
    assert sorted(map(tuple, out[["first", "second", "outcome"]].astype(str).values.tolist())) == [
        ("r1", "r3", "tie"), ("r2", "r1", "win"), ("r2", "r3", "win"),
    ]  # fmt: skip
    for bad in (["r1", "r1", "r2"], [["r1"], ["r9"]], "r1 > r2", [[]], [["r1", ["r2"]]]):
        with pytest.raises(ValueError, match=r"item 'x': .* is not a ranking of the responses"):
            ranking.pairwise_outcomes([bad], config, ["x"])
    for name in ("classify", "spans", "boxes"):
        with pytest.raises(ValueError, match=f"rank_models needs a compare task .*this is a {name} task"):
            registry.for_task(name, {}).pairwise_outcomes([], {})


# ---------------------------------------------------------------------- the store's path
def test_standing_judgements_from_the_store_on_each_backend(store):
    data = pd.DataFrame({"q": ["a", "b", "c", "d"], "left": "…", "right": "…",
                         "model_a": ["alpha", "beta", "alpha", "gamma"],
                         "model_b": ["beta", "gamma", "gamma", "alpha"]},
                        index=pd.Index(["i1", "i2", "i3", "i4"], name="pair"))  # fmt: skip
    w = nl.Compare(data, prompt="q", a="left", b="right", task="prefs", annotator="ann", store=store)
    w.annotate("i1", "B")
    w.annotate("i1", "A")  # a new answer replaces the first: alpha beat beta
    w.annotate("i2", {"choice": "A", "strength": 2})
    w.annotate("i3", "tie")
    w.annotate("i4", "A")
    w.undo()  # i4's label is withdrawn
    w.skip("i4")
    bob = nl.Compare(data, prompt="q", a="left", b="right", task="prefs", annotator="bob", store=store)
    bob.annotate("i4", "B")  # alpha (b) beat gamma
    w.close()
    bob.close()
    frame = store.annotations("prefs")
    r = nl.rank_models(frame, data=data, models=("model_a", "model_b"), n_boot=0)
    assert r.loc["alpha", ["wins", "losses", "ties", "n"]].tolist() == [2, 0, 1, 3]
    assert r.loc["beta", ["wins", "losses", "ties", "n"]].tolist() == [1, 1, 0, 2]
    assert r.loc["gamma", ["wins", "losses", "ties", "n"]].tolist() == [0, 2, 1, 3]
    assert r.judgements == 4 and r.items == 4
    # several tasks in one frame: task= picks one
    both = pd.concat([frame, frame.assign(task="other")])
    with pytest.raises(ValueError, match="several tasks"):
        nl.rank_models(both, data=data, models=("model_a", "model_b"))
    pd.testing.assert_frame_equal(
        nl.rank_models(both, data=data, models=("model_a", "model_b"), task="prefs", n_boot=0), r
    )


# ---------------------------------------------------------------------- intervals
def test_intervals_hold_the_score_are_seeded_and_cover_the_truth():
    inside = total = 0
    for seed in range(40):
        rows, truth = simulate(100 + seed, n_items=200, k=4, tie_rate=0.0)  # ties would shrink the estimand
        r = rank_pairs(rows, n_boot=300, seed=seed)
        assert (r["ci_low"] <= r["score"]).all() and (r["score"] <= r["ci_high"]).all()
        truth = truth.reindex(r.index)
        inside += int(((r["ci_low"] <= truth) & (truth <= r["ci_high"])).sum())
        total += len(r)
    assert 0.88 <= inside / total <= 0.995, inside / total  # nominal 95%
    rows, _ = simulate(5)
    once, again, other = (rank_pairs(rows, n_boot=200, seed=s) for s in (1, 1, 2))
    pd.testing.assert_frame_equal(once, again)
    assert not once[["ci_low", "ci_high"]].equals(other[["ci_low", "ci_high"]])
    wider = rank_pairs(rows, n_boot=200, seed=1, level=0.99)
    assert (wider["ci_low"] <= once["ci_low"]).all() and (wider["ci_high"] >= once["ci_high"]).all()


def test_bootstrap_resamples_items_not_judgements():
    # Every item judged alike by two annotators: resampling items gives exactly the intervals
    # of one annotator (its win matrices only double); resampling judgements would narrow them.
    rows, _ = simulate(9, n_items=150, k=3, tie_rate=0.1)
    one = [(item, "ann", ma, mb, c) for item, _w, ma, mb, c in rows if _w == "ann"]
    two = one + [(item, "bob", ma, mb, c) for item, _w, ma, mb, c in one]
    a, b = rank_pairs(one, n_boot=200, seed=3), rank_pairs(two, n_boot=200, seed=3)
    assert np.abs(a[["score", "ci_low", "ci_high"]] - b[["score", "ci_low", "ci_high"]]).max().max() < 1e-8
    assert (b["n"] == 2 * a["n"]).all()


def test_resamples_without_finite_scores_are_left_out_with_a_warning():
    rows = [(0, "ann", "alpha", "beta", "A"), (1, "ann", "alpha", "beta", "B"),
            (2, "ann", "alpha", "beta", "A"), (3, "ann", "beta", "gamma", "A"),
            (4, "ann", "gamma", "beta", "A"), (5, "ann", "gamma", "alpha", "A")]  # fmt: skip
    with pytest.warns(UserWarning, match=r"of 200 bootstrap resamples were left out") as caught:
        r = rank_pairs(rows, n_boot=200, seed=0)
    assert 0 < r.boot_failed < 200 and str(r.boot_failed) in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shrunk = rank_pairs(rows, n_boot=200, seed=0, prior=1.0)
    assert shrunk.boot_failed == 0 and shrunk[["ci_low", "ci_high"]].notna().all().all()


# ---------------------------------------------------------------------- scales, anchors
def test_elo_scale_and_anchor():
    rows, _ = simulate(3, n_items=200, k=4)
    log = rank_pairs(rows, n_boot=100)
    elo = rank_pairs(rows, n_boot=100, scale="elo")
    assert np.allclose(elo["score"], 1000 + 400 / math.log(10) * log["score"])
    assert np.allclose(elo["ci_low"], 1000 + 400 / math.log(10) * log["ci_low"])
    assert elo["score"].mean() == pytest.approx(1000)
    anchored = rank_pairs(rows, n_boot=100, scale="elo", anchor="beta")
    assert anchored.loc["beta", ["score", "ci_low", "ci_high"]].tolist() == [1000, 1000, 1000]
    gap = anchored.loc["alpha", "score"] - anchored.loc["gamma", "score"]
    assert gap == pytest.approx(elo.loc["alpha", "score"] - elo.loc["gamma", "score"])
    # expected win rate from two Elo scores: 1 / (1 + 10^(-gap/400))
    p = 1 / (1 + 10 ** (-gap / 400))
    assert p == pytest.approx(1 / (1 + math.exp(-(log.loc["alpha", "score"] - log.loc["gamma", "score"]))))


def test_self_comparisons_are_left_out():
    rows = [(0, "ann", "alpha", "beta", "A"), (1, "ann", "alpha", "alpha", "A"),
            (2, "ann", "beta", "alpha", "A"), (3, "ann", "beta", "beta", "tie")]  # fmt: skip
    r = rank_pairs(rows)
    assert r.self_comparisons == 2 and r["n"].tolist() == [2, 2]


# ---------------------------------------------------------------------- errors
def compare_store(tmp_path, choices=("A", "A", "A")):  # a cycle: alpha > beta > gamma > alpha
    store = nl.Store(tmp_path / "e.db")
    data = pd.DataFrame({"q": ["x", "y", "z"], "left": "…", "right": "…",
                         "model_a": ["alpha", "beta", "gamma"], "model_b": ["beta", "gamma", "alpha"]},
                        index=[1, 2, 3])  # fmt: skip
    w = nl.Compare(data, prompt="q", a="left", b="right", task="prefs", annotator="ann", store=store)
    for item, choice in zip(data.index, choices, strict=True):
        w.annotate(item, choice)
    w.close()
    frame = store.annotations("prefs")
    store.close()
    return frame, data


def test_errors_name_what_is_wrong(tmp_path):
    frame, data = compare_store(tmp_path)
    with pytest.raises(KeyError, match=r"column 'model_x', which data has not.*'model_a'"):
        nl.rank_models(frame, data=data, models=("model_a", "model_x"))
    with pytest.raises(KeyError, match=r"anchor='omega' is not a model.*'alpha'"):
        nl.rank_models(frame, data=data, models=("model_a", "model_b"), anchor="omega")
    with pytest.raises(ValueError, match=r"one model column per response column \['left', 'right'\]"):
        nl.rank_models(frame, data=data, models=("model_a",))
    with pytest.raises(ValueError, match=r"\['middle'\] are not response columns"):
        nl.rank_models(frame, data=data, models={"left": "model_a", "right": "model_b", "middle": "model_a"})
    with pytest.raises(ValueError, match=r"\['right'\] have no model column"):
        nl.rank_models(frame, data=data, models={"left": "model_a"})
    with pytest.raises(ValueError, match="pass the DataFrame the task labeled as data="):
        nl.rank_models(frame, models=("model_a", "model_b"))
    with pytest.raises(KeyError, match=r"items \[3\] of the annotations are not in data's index"):
        nl.rank_models(frame, data=data.loc[[1, 2]], models=("model_a", "model_b"))
    with pytest.raises(ValueError, match=r"data\['model_b'\] names no model for item 2"):
        nl.rank_models(
            frame, data=data.assign(model_b=["beta", None, "alpha"]), models=("model_a", "model_b")
        )
    with pytest.raises(ValueError, match="index .* must be unique; repeated: \\[1\\]"):
        nl.rank_models(frame, data=pd.concat([data, data.loc[[1]]]), models=("model_a", "model_b"))
    with pytest.raises(ValueError, match="both_bad must be one of"):
        nl.rank_models(frame, data=data, models=("model_a", "model_b"), both_bad="loss")
    with pytest.raises(ValueError, match="scale must be one of"):
        nl.rank_models(frame, data=data, models=("model_a", "model_b"), scale="glicko")
    with pytest.raises(ValueError, match="prior must be a positive"):
        nl.rank_models(frame, data=data, models=("model_a", "model_b"), prior=0)
    plain = pd.DataFrame(frame[["item_id", "annotator", "value"]])
    plain.attrs = {}
    with pytest.raises(ValueError, match="pass kind='compare' and config="):
        nl.rank_models(plain, data=data, models=("model_a", "model_b"))
    with pytest.raises(ValueError, match=r"item 5: \{'choice': 'maybe'\} is not a comparison"):
        nl.rank_models(
            pd.DataFrame({"item_id": [5], "value": [{"choice": "maybe"}]}), kind="compare", config=PAIR
        )


def test_a_task_of_another_kind_is_refused(tmp_path):
    store = nl.Store(tmp_path / "c.db")
    w = nl.Classify(pd.DataFrame({"text": ["a", "b"]}), text="text", labels=["pos", "neg"], task="sent",
                    annotator="ann", store=store)  # fmt: skip
    w.annotate(0, "pos")
    w.close()
    with pytest.raises(ValueError, match="rank_models needs a compare task .*this is a classify task"):
        nl.rank_models(store.annotations("sent"))
    store.close()


def test_infinite_scores_say_which_models_and_a_prior_fixes_them(tmp_path):
    frame, data = compare_store(tmp_path, choices=("A", "A", "B"))  # alpha beat beta and gamma
    with pytest.raises(
        ValueError, match=r"infinite: \['alpha'\] won every comparison.*; \['gamma'\] lost every.*prior="
    ):
        nl.rank_models(frame, data=data, models=("model_a", "model_b"))
    shrunk = nl.rank_models(frame, data=data, models=("model_a", "model_b"), prior=1.0, n_boot=50)
    assert shrunk.index[0] == "alpha" and np.isfinite(shrunk["score"]).all()
    split = [(0, "ann", "alpha", "beta", "A"), (1, "ann", "beta", "alpha", "A"),
             (2, "ann", "gamma", "delta", "A"), (3, "ann", "delta", "gamma", "A")]  # fmt: skip
    with pytest.raises(
        ValueError, match=r"never compared with each other: \['alpha', 'beta'\] \| \['gamma', 'delta'\]"
    ):
        rank_pairs(split)
    losing = [(0, "ann", "alpha", "beta", "A"), (1, "ann", "beta", "alpha", "A"),
              (2, "ann", "gamma", "alpha", "B"), (3, "ann", "gamma", "beta", "B")]  # fmt: skip
    with pytest.raises(ValueError, match=r"\['gamma'\] lost every comparison"):
        rank_pairs(losing)


def test_no_judgements(tmp_path):
    store = nl.Store(tmp_path / "n.db")
    store.register_task("prefs", "compare", ["A", "B", "tie", "both_bad"], PAIR)
    with pytest.raises(ValueError, match="no judgements to rank models on"):
        nl.rank_models(store.annotations("prefs"))
    store.close()


# ---------------------------------------------------------------------- the plot
def test_plot_draws_each_model_with_its_interval():
    rows, _ = simulate(4, n_items=150, k=3)
    rows = [(i, w, "$x$" if a == "alpha" else a, "$x$" if b == "alpha" else b, c) for i, w, a, b, c in rows]
    r = rank_pairs(rows, n_boot=100)
    fig = r.plot()
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [str(m).replace("$", r"\$") for m in r.index]
    assert len(ax.collections) == len(r)  # one interval per model
    texts = [t.get_text() for t in ax.texts]
    assert texts[0].startswith(f"{r['score'].iloc[0]:+.2f}  [{r['ci_low'].iloc[0]:+.2f}")
    assert "95% bootstrap CI over items (100 resamples)" in ax.get_title(loc="left")
    png, meta = fig._repr_png_()
    assert png.startswith(b"\x89PNG") and meta["width"] > 300
    elo = rank_pairs(rows, n_boot=0, scale="elo", anchor="beta").plot(title="Arena")
    assert fig.texts[0].get_text().startswith("Model leaderboard (Bradley–Terry) · 3 models")
    assert elo.texts[0].get_text() == "Arena"
    assert any(t.get_text().endswith("(anchor)  · n = " + str(r.loc["beta", "n"])) for t in elo.axes[0].texts)
    assert "no intervals" in elo.axes[0].get_title(loc="left")
    buffer = io.BytesIO()
    elo.savefig(buffer, format="png")
    assert buffer.getvalue().startswith(b"\x89PNG")
