"""Active ordering (issue 15, item 2): the pure scores checked by hand, the order they give, the
cold start, refits in the background (never on the key-press path), ``w.why`` and sessions."""

from __future__ import annotations

import itertools
import os
import re
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import nblabel as nl
from nblabel.core import active
from nblabel.widgets.browser import PREFETCH

#: A re-rank leaves the item on screen and the PREFETCH next ones (already in the browser) in place.
KEEP = 1 + PREFETCH

LABELS = ["pos", "neg"]


# ---------------------------------------------------------------------- the scores, by hand
def test_single_label_scores_by_hand() -> None:
    p = np.array([[0.5, 0.3, 0.2], [0.8, 0.1, 0.1], [1 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(active.least_confidence(p), [0.5, 0.2, 2 / 3])
    np.testing.assert_allclose(active.margin(p), [0.2, 0.7, 0.0], atol=1e-12)
    # -(0.5 ln 0.5 + 0.3 ln 0.3 + 0.2 ln 0.2), -(0.8 ln 0.8 + 2 * 0.1 ln 0.1), ln 3
    np.testing.assert_allclose(active.entropy(p), [1.0296530, 0.6390319, 1.0986123], atol=1e-6)
    priority, metric = active.strategy_scores("margin", p)
    np.testing.assert_allclose(metric, [0.2, 0.7, 0.0], atol=1e-12)
    np.testing.assert_allclose(priority, [0.8, 0.3, 1.0], atol=1e-12)  # the smallest margin first
    # a zero probability adds nothing to the entropy (0 ln 0 = 0)
    np.testing.assert_allclose(active.entropy(np.array([[1.0, 0.0]])), [0.0])


def test_multi_label_scores_are_those_of_the_joint_distribution_by_hand() -> None:
    q = np.array([[0.5, 0.9], [0.8, 0.7]])
    # row 1: the most likely set has P 0.5*0.9 = 0.45; flipping the 0.5 label gives 0.45 too
    # row 2: 0.8*0.7 = 0.56; flipping the label nearest 0.5 (0.7) gives 0.8*0.3 = 0.24
    np.testing.assert_allclose(active.least_confidence(q, multi=True), [0.55, 0.44])
    np.testing.assert_allclose(active.margin(q, multi=True), [0.0, 0.32], atol=1e-12)
    # H(0.5) + H(0.9) = 0.693147 + 0.325083; H(0.8) + H(0.7) = 0.500402 + 0.610864
    np.testing.assert_allclose(active.entropy(q, multi=True), [1.018230, 1.111266], atol=1e-6)


def test_multi_label_scores_match_enumerating_every_label_set() -> None:
    rng = np.random.default_rng(3)
    q = rng.random((20, 4))
    for row, lc, mg, h in zip(
        q, active.least_confidence(q, True), active.margin(q, True), active.entropy(q, True), strict=True
    ):
        joint = sorted(
            (
                np.prod([p if bit else 1 - p for p, bit in zip(row, bits, strict=True)])
                for bits in itertools.product([0, 1], repeat=4)
            ),
            reverse=True,
        )
        assert lc == pytest.approx(1 - joint[0])
        assert mg == pytest.approx(joint[0] - joint[1])
        assert h == pytest.approx(-sum(p * np.log(p) for p in joint))


def test_stratified_priority_takes_one_item_of_each_guess_in_turn() -> None:
    groups = np.array([0, 0, 0, 1, 1, -1])
    u = np.array([0.1, 0.2, 0.3, 0.9, 0.05, 0.5])
    order = np.argsort(-active.stratified_priority(groups, u), kind="stable").tolist()
    # group 1 starts (its smallest u is 0.05), then group 0 (0.1), then no-guess (0.5); round by round
    assert order == [4, 0, 5, 3, 1, 2]


def test_random_priority_is_seeded() -> None:
    a, b, c = active.random_priority(50, 1), active.random_priority(50, 1), active.random_priority(50, 2)
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()


def test_probabilities_are_checked_naming_the_row() -> None:
    labels = ["pos", "neg"]
    with pytest.raises(ValueError, match=r"shape \(2, 3\); expected \(2, 2\)"):
        active.check_probabilities(np.ones((2, 3)) / 3, 2, labels, multi=False)
    with pytest.raises(ValueError, match="row 'b' are not in"):
        active.check_probabilities([[0.5, 0.5], [np.nan, 1]], 2, labels, multi=False, rows=["a", "b"])
    with pytest.raises(ValueError, match="row 'a' sum to 1.4"):
        active.check_probabilities([[0.7, 0.7], [0.5, 0.5]], 2, labels, multi=False, rows=["a", "b"])
    near = active.check_probabilities([[0.6, 0.4004]], 1, labels, multi=False)
    assert near.sum() == pytest.approx(1.0)
    # per-label probabilities need not sum to 1
    assert active.check_probabilities([[0.9, 0.9]], 1, labels, multi=True).tolist() == [[0.9, 0.9]]


def test_estimator_columns_are_put_in_label_order() -> None:
    out = active.probabilities_by_label([[0.25, 0.75]], ["neg", "pos"], ["pos", "neg", "neu"])
    assert out.tolist() == [[0.75, 0.25, 0.0]]
    with pytest.raises(ValueError, match="'other', which is not one of the labels"):
        active.probabilities_by_label([[0.5, 0.5]], ["pos", "other"], ["pos", "neg"])


# ---------------------------------------------------------------------- helpers
def frame(n: int = 30) -> pd.DataFrame:
    """Items whose ``p`` column is a known P(pos) (the callable model below reads it)."""
    p = np.linspace(0.02, 0.98, n)
    rng = np.random.default_rng(7)
    rng.shuffle(p)
    return pd.DataFrame(
        {
            "text": [f"item {i} p={v:.3f}" for i, v in enumerate(p)],
            "p": p,
            "truth": np.where(p > 0.5, "pos", "neg"),
        },
        index=pd.Index([f"r{i}" for i in range(n)], name="rid"),
    )


def p_of(text: pd.Series) -> np.ndarray:
    return np.array([float(t.split("p=")[1]) for t in text])


def known_model(
    calls: list[pd.DataFrame] | None = None, sleep: float = 0.0, fail: threading.Event | None = None
):
    """``refit(labeled) -> predict``: P(pos) is the ``p=`` written in the text (deterministic)."""

    def refit(labeled: pd.DataFrame):
        if calls is not None:
            calls.append(labeled.copy())
        if sleep:
            time.sleep(sleep)
        if fail is not None and fail.is_set():
            raise RuntimeError("boom")

        def predict(rows: pd.DataFrame) -> np.ndarray:
            p = p_of(rows["text"])
            return np.column_stack([p, 1 - p])

        return predict

    return refit


def wait_for(check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def model_version(w) -> int | None:
    return w.why(detail=True).get("model_version")


def served_order(w, df: pd.DataFrame, n: int) -> list[Any]:
    """Label ``n`` items with their truth; the ids in the order they were served."""
    out = []
    for _ in range(n):
        cur = w.current
        out.append(cur)
        w.annotate(cur, df.loc[cur, "truth"])
    return out


# ---------------------------------------------------------------------- options
def test_options_that_do_not_fit_together_are_refused(tmp_path: Path) -> None:
    df = frame(5)
    db = tmp_path / "s.db"
    with pytest.raises(ValueError, match="needs model=|pass model= too"):
        nl.Classify(df, text="text", labels=LABELS, task="t", store=db, order="uncertainty")
    with pytest.raises(ValueError, match="order='p' is a column priority"):
        nl.Classify(df, text="text", labels=LABELS, task="t", store=db, order="p", model=known_model())
    with pytest.raises(ValueError, match="refit_every= must be an integer >= 1"):
        nl.Classify(df, text="text", labels=LABELS, task="t", store=db, model=known_model(), refit_every=0)
    with pytest.raises(TypeError, match="model= must be a scikit-learn-style estimator"):
        nl.Classify(df, text="text", labels=LABELS, task="t", store=db, model="logreg")
    clash = df.assign(uncertainty=1.0)
    with pytest.raises(ValueError, match="both a column of the DataFrame and an active ordering strategy"):
        nl.Classify(
            clash, text="text", labels=LABELS, task="t", store=db, order="uncertainty", model=known_model()
        )
    with pytest.raises(ValueError, match="model= \\(active ordering\\) needs a class per item"):
        nl.Text(df, text="text", task="tx", store=db, model=known_model())
    assert "t" not in nl.Store(db).tasks()["task"].tolist()  # refused widgets register no task


def test_a_column_named_like_a_strategy_is_still_a_priority_column(tmp_path: Path) -> None:
    df = frame(6).assign(random=[1, 6, 2, 5, 3, 4])
    w = nl.Classify(df, text="text", labels=LABELS, task="t", store=tmp_path / "s.db", order="random")
    assert w.current == "r1"  # the highest priority of the column, as before order= strategies
    assert w.why() == "order column 'random': priority 6 (#1, higher first)"
    w.close()


def test_random_order_is_seeded_by_task_and_annotator(tmp_path: Path) -> None:
    df = frame(40)
    db = tmp_path / "s.db"

    def order(annotator: str) -> list[Any]:
        w = nl.Classify(
            df, text="text", labels=LABELS, task="t", annotator=annotator, store=db, order="random"
        )
        w.close()
        return [w.items.label(p) for p in w.queue.order.tolist()]

    assert order("ana") == order("ana")
    assert order("ana") != order("ben")
    assert sorted(order("ana")) == sorted(df.index)
    w = nl.Classify(df, text="text", labels=LABELS, task="t", annotator="cy", store=db, order="random")
    assert w.why() == "random order (seeded)"
    w.close()


# ---------------------------------------------------------------------- ordering by the model
@pytest.mark.parametrize(
    ("strategy", "expected"),
    [("uncertainty", ["b", "a", "c"]), ("margin", ["a", "b", "c"]), ("entropy", ["b", "a", "c"])],
)
def test_strategies_order_by_their_own_score(tmp_path: Path, strategy: str, expected: list[str]) -> None:
    # a: P = (0.5, 0.5, 0): least confidence 0.5, margin 0, entropy ln 2 = 0.693
    # b: P = (0.4, 0.3, 0.3): least confidence 0.6, margin 0.1, entropy 1.089
    # c: P = (0.9, 0.05, 0.05): least confidence 0.1, margin 0.85, entropy 0.394
    # x0..x29: sure (least confidence 0, margin 1, entropy 0): after a, b and c
    probs = {"a": [0.5, 0.5, 0.0], "b": [0.4, 0.3, 0.3], "c": [0.9, 0.05, 0.05]}
    probs.update({f"x{i}": [1.0, 0.0, 0.0] for i in range(30)})
    df = pd.DataFrame({"text": list(probs)}, index=list(probs))

    def refit(labeled: pd.DataFrame):
        return lambda rows: np.array([probs[t] for t in rows["text"]])

    w = nl.Classify(
        df,
        text="text",
        labels=["l1", "l2", "l3"],
        task="t",
        annotator="ana",
        store=tmp_path / "s.db",
        order=strategy,
        model=refit,
        min_per_label=0,
    )
    w.annotate(w.current, "l1")  # the first label: the first fit, in the background
    wait_for(lambda: model_version(w) == 1)
    queue = [w.current, *[w.items.label(p) for p in w.queue.next_undone(w.items.position(w.current), 20)]]
    ranked = queue[KEEP:]  # the item on screen and those already in the browser stay
    assert queue[:KEEP] == ["x25", "x5", "x23", "x11", "x16", "x18"]  # ana's seeded cold start
    assert ranked[:3] == expected
    w.close()


def test_uncertain_items_come_first_once_the_model_is_fit(store_url: str) -> None:
    df = frame(30)
    w = nl.Classify(
        df,
        text="text",
        labels=LABELS,
        task="t",
        annotator="ana",
        store=store_url,
        model=known_model(),
        order="uncertainty",
        refit_every=1000,
        min_per_label=2,
    )
    assert w.why().startswith("cold start: random (2 of 2 labels have fewer than 2 examples)")
    served = []
    while w.why(detail=True)["reason"] == "cold start":  # until each label has 2 examples
        served += served_order(w, df, 1)
    assert w._active.wait()  # the refit asked for when the cold start ended
    # the item on screen and the next one stay; every later one comes in order of uncertainty
    rest = served_order(w, df, 12)
    later = rest[KEEP:]
    p = p_of(df.loc[later, "text"])  # what the model says (the p= of the text)
    uncertainty = 1 - np.maximum(p, 1 - p)
    assert (np.diff(uncertainty) <= 1e-9).all()  # most uncertain first
    remaining = df.index.difference(served + rest[:KEEP])
    p_left = p_of(df.loc[remaining, "text"])
    assert uncertainty[0] == pytest.approx((1 - np.maximum(p_left, 1 - p_left)).max())
    text = w.why()
    assert re.fullmatch(
        r"uncertainty 0\.\d\d \(model v\d+ fit on \d+ labels; P\((pos|neg)\)=0\.\d\d, "
        r"P\((pos|neg)\)=0\.\d\d\)",
        text,
    ), text
    w.close()


def test_estimator_pipeline_is_fit_on_the_text_column_and_never_touched(tmp_path: Path) -> None:
    sklearn = pytest.importorskip("sklearn")
    del sklearn
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    rng = np.random.default_rng(0)
    truth = rng.choice(LABELS, 60)
    words = {"pos": ["good", "great", "fine"], "neg": ["bad", "awful", "poor"]}
    text = [
        " ".join(rng.choice(words[t], 2).tolist() + rng.choice(words["pos"] + words["neg"], 2).tolist())
        for t in truth
    ]
    df = pd.DataFrame({"text": text, "truth": truth}, index=[f"d{i}" for i in range(60)])
    pipe = make_pipeline(TfidfVectorizer(), LogisticRegression())
    w = nl.Classify(
        df,
        text="text",
        labels=LABELS,
        task="t",
        store=tmp_path / "s.db",
        model=pipe,
        refit_every=4,
        min_per_label=2,
    )
    assert w.why(detail=True)["strategy"] == "uncertainty"  # model= alone: uncertainty sampling
    served_order(w, df, 12)
    wait_for(lambda: (model_version(w) or 0) >= 1)
    d = w.why(detail=True)
    assert d["reason"] == "uncertainty" and set(d["probabilities"]) == {"pos", "neg"}
    assert sum(d["probabilities"].values()) == pytest.approx(1.0)
    assert not hasattr(pipe[-1], "classes_")  # the estimator given is copied, not fitted
    w.close()


def test_multi_label_uses_per_label_probabilities(tmp_path: Path) -> None:
    df = pd.DataFrame({"text": [f"t{i}" for i in range(12)]}, index=range(12))
    q = {f"t{i}": [abs(np.sin(i)), abs(np.cos(i)), 0.5 * (i % 2)] for i in range(12)}
    calls: list[pd.DataFrame] = []

    def refit(labeled: pd.DataFrame):
        calls.append(labeled)
        return lambda rows: np.array([q[t] for t in rows["text"]])

    w = nl.Classify(
        df,
        text="text",
        labels=["a", "b", "c"],
        multi=True,
        task="t",
        store=tmp_path / "s.db",
        model=refit,
        order="entropy",
        min_per_label=0,
        refit_every=1,
    )
    w.annotate(w.current, ["a", "c"])
    wait_for(lambda: model_version(w) == 1)
    assert calls[0]["label"].tolist() == [["a", "c"]]
    d = w.why(detail=True)
    row = np.array([q[df.loc[w.current, "text"]]])
    assert d["score"] == pytest.approx(float(active.entropy(row, multi=True)[0]))
    assert re.search(r"P\((a|b|c) present\)=0\.\d\d", w.why())
    w.close()


def test_multi_label_estimator_is_fit_on_an_indicator_matrix(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline

    topics = ["sports", "politics", "music"]
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"text": [" ".join(rng.choice([*topics, "other"], 3)) for _ in range(40)]})
    pipe = make_pipeline(TfidfVectorizer(), OneVsRestClassifier(LogisticRegression()))
    w = nl.Classify(
        df, text="text", labels=topics, multi=True, task="m", store=tmp_path / "s.db", model=pipe,
        min_per_label=1, refit_every=4,
    )  # fmt: skip
    for _ in range(12):
        w.annotate(w.current, [t for t in topics if t in df.loc[w.current, "text"]])
    assert w._active.wait()
    d = w.why(detail=True)
    assert d["reason"] == "uncertainty" and w._active.error is None
    assert set(d["probabilities"]) == set(topics)  # one probability of presence per label
    q = np.array([d["probabilities"][t] for t in topics])
    # least confidence of the most likely label set, each label present or not on its own
    assert d["score"] == pytest.approx(1 - np.prod(np.maximum(q, 1 - q)))
    assert " present)=" in w.why()
    w.close()


def test_compare_orders_by_the_choice(store_url: str) -> None:
    df = pd.DataFrame(
        {
            "prompt": [f"q{i}" for i in range(12)],
            "a": [f"a{i}" for i in range(12)],
            "b": [f"b{i}" for i in range(12)],
        }
    )
    seen: list[pd.DataFrame] = []

    def refit(labeled: pd.DataFrame):
        seen.append(labeled)
        # P(A) from the prompt's number: q5 is a toss-up between A and B
        return lambda rows: np.array([[0.45, 0.45, 0.1, 0.0] if p == "q5" else [0.9, 0.05, 0.05, 0.0]
                                      for p in rows["prompt"]])  # fmt: skip

    w = nl.Compare(
        df,
        a="a",
        b="b",
        prompt="prompt",
        task="cmp",
        annotator="ana",
        store=store_url,
        model=refit,
        min_per_label=0,
    )
    w.annotate(w.current, {"choice": "A"})
    assert w._active.wait()
    assert list(seen[-1].columns) == ["prompt", "a", "b", "label", "value"]
    assert seen[-1]["label"].tolist() == ["A"]  # the choice is the class
    # ana's seeded cold-start order is 10, 0, 2, 7, 8, 11, 9, 3, 4, 1, 5, 6: 10 is labeled, 0 is on
    # screen, 2, 7, 8, 11, 9 are already in the browser; the toss-up 5 comes next instead of 11th
    upcoming = w.queue.next_undone(w.items.position(w.current), KEEP)
    assert [w.current, *[w.items.label(p) for p in upcoming]] == [0, 2, 7, 8, 11, 9, 5]
    assert w.why(5).startswith(
        "uncertainty 0.55 (model v1 fit on 1 labels; P(A)=0.45, P(B)=0.45, P(tie)=0.10)"
    )
    w.close()


def test_spans_order_by_the_labels_an_item_marks(store_url: str) -> None:
    texts = [f"Ana met Bob {i}" for i in range(30)]
    df = pd.DataFrame({"text": texts}, index=[f"s{i}" for i in range(30)])
    calls: list[pd.DataFrame] = []
    presence = {t: [0.5 if i % 3 == 0 else 0.95, 0.1] for i, t in enumerate(texts)}

    def refit(labeled: pd.DataFrame):
        calls.append(labeled)
        return lambda rows: np.array([presence[t] for t in rows["text"]])

    w = nl.Spans(
        df,
        text="text",
        labels=["PER", "ORG"],
        task="sp",
        store=store_url,
        model=refit,
        min_per_label=1,
        refit_every=1,
    )
    w.annotate(w.current, [{"start": 0, "end": 3, "label": "PER"}])
    w.annotate(w.current, [{"start": 8, "end": 11, "label": "ORG"}])
    assert w._active.wait()  # every refit asked for has landed
    assert calls[-1]["label"].tolist()[:2] == [["PER"], ["ORG"]]  # the labels each value marks
    assert calls[-1]["value"].tolist()[0] == [{"start": 0, "end": 3, "label": "PER"}]
    queue = [w.current, *[w.items.label(p) for p in w.queue.next_undone(w.items.position(w.current), 30)]]
    ranked = queue[KEEP:]
    uncertain = [k for k in ranked if presence[df.loc[k, "text"]][0] == 0.5]
    assert len(uncertain) >= 5 and ranked[: len(uncertain)] == uncertain  # P(PER present) = 0.5 first
    assert "P(PER present)=" in w.why(ranked[0])
    w.close()


# ---------------------------------------------------------------------- cold start
def test_cold_start_is_stratified_by_the_guesses_of_a_fitted_model(tmp_path: Path) -> None:
    pytest.importorskip("sklearn")
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    fitted = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(
        ["good", "great", "bad", "awful"], ["pos", "pos", "neg", "neg"]
    )
    # 40 items the model calls neg and 8 it calls pos: random order would bury the pos ones
    text = ["bad thing"] * 40 + ["good thing"] * 8
    df = pd.DataFrame({"text": text}, index=[f"c{i}" for i in range(48)])
    w = nl.Classify(
        df, text="text", labels=LABELS, task="t", annotator="ana", store=tmp_path / "s.db", model=fitted,
        min_per_label=3,
    )  # fmt: skip
    assert w._active.wait()  # the model as given guessed every item
    assert model_version(w) == 0
    upcoming = [w.current, *[w.items.label(p) for p in w.queue.next_undone(w.items.position(w.current), 47)]]
    ranked = ["pos" if df.loc[k, "text"].startswith("good") else "neg" for k in upcoming[KEEP:]]
    # past the items already in the browser: one of each guess in turn, so every pos one comes within
    # twice their number
    # (a random order would spread the pos ones over all 42 places)
    n_pos = ranked.count("pos")
    assert n_pos >= 4 and ranked[: 2 * n_pos].count("pos") == n_pos
    text = w.why(upcoming[KEEP])
    assert text.startswith("cold start: random, stratified by the model's guess '")
    assert "(2 of 2 labels have fewer than 3 examples)" in text
    w.close()


def test_cold_start_without_a_model_is_plain_seeded_random(tmp_path: Path) -> None:
    df = frame(20)
    db = tmp_path / "s.db"
    a = nl.Classify(df, text="text", labels=LABELS, task="t", annotator="ana", store=db, model=known_model())
    b = nl.Classify(df, text="text", labels=LABELS, task="t", annotator="ana", store=db, order="random")
    assert a.queue.order.tolist() == b.queue.order.tolist()  # the same seeded random order
    assert a.why() == "cold start: random (2 of 2 labels have fewer than 3 examples)"
    a.close()
    b.close()


# ---------------------------------------------------------------------- refits in the background
def test_a_slow_refit_never_delays_a_commit(store_url: str) -> None:
    df = frame(12)
    calls: list[pd.DataFrame] = []
    w = nl.Classify(
        df,
        text="text",
        labels=LABELS,
        task="t",
        annotator="ana",
        store=store_url,
        model=known_model(calls, sleep=2.0),
        refit_every=1,
        min_per_label=0,
    )
    store = nl.Store(store_url)
    first = w.current
    w.annotate(first, "pos")  # asks for a refit, which sleeps 2 s in the background
    wait_for(lambda: len(calls) == 1)  # the refit is under way
    second = w.current
    t0 = time.perf_counter()
    w.annotate(second, "neg")
    elapsed = time.perf_counter() - t0
    assert elapsed < 1.0, elapsed  # the key press did not wait for the 2 s refit
    events = store.annotations("t")
    assert events.set_index("item_id").loc[second, "value"] == "neg"
    assert model_version(w) is None  # the refit is still sleeping
    wait_for(lambda: model_version(w) is not None, timeout=30)
    store.close()
    w.close()


def test_a_failing_refit_shows_in_the_why_line_and_keeps_the_last_ranking(store_url: str) -> None:
    df = frame(20)
    fail = threading.Event()
    w = nl.Classify(
        df,
        text="text",
        labels=LABELS,
        task="t",
        store=store_url,
        model=known_model(fail=fail),
        refit_every=2,
        min_per_label=0,
    )
    sent: list[dict[str, Any]] = []
    w.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    w._handle_browser_message({"type": "hello"})  # a browser view shows it: windows follow each answer
    served_order(w, df, 2)
    assert w._active.wait()
    good = model_version(w)
    assert good is not None and good >= 1
    before = w.queue.order.tolist()
    fail.set()
    served_order(w, df, 2)  # the next refit raises
    assert w._active.wait()
    assert w.why().endswith("refit failed (RuntimeError: boom): using the last good ranking")
    assert w.why(detail=True)["error"] == "RuntimeError: boom"
    assert w.queue.order.tolist() == before  # the last good ranking still orders the queue
    assert model_version(w) == good
    window = [m for m in sent if m.get("type") == "window"][-1]
    current = next(i for i in window["items"] if i["key"] == window["current"])
    assert "refit failed (RuntimeError: boom)" in current["why"]
    fail.clear()
    served_order(w, df, 2)
    assert w._active.wait()
    assert model_version(w) == good + 1
    assert "refit failed" not in w.why()  # the next good refit clears it
    w.close()


def test_refit_sees_the_labels_and_the_rows(tmp_path: Path) -> None:
    df = frame(10)
    calls: list[pd.DataFrame] = []
    w = nl.Classify(
        df,
        text="text",
        labels=LABELS,
        task="t",
        store=tmp_path / "s.db",
        model=known_model(calls),
        refit_every=1,
        min_per_label=0,
    )
    served = served_order(w, df, 3)
    assert w._active.wait()
    labeled = calls[-1]  # the refit asked for by the third label
    assert list(labeled.columns) == ["text", "label", "value"]
    assert sorted(labeled.index) == sorted(served)
    assert labeled.loc[served[0], "label"] == df.loc[served[0], "truth"]
    w.close()


def test_a_restarted_widget_fits_on_the_stored_labels(tmp_path: Path) -> None:
    df = frame(10)
    db = tmp_path / "s.db"
    w = nl.Classify(df, text="text", labels=LABELS, task="t", store=db)
    served_order(w, df, 4)
    w.close()
    calls: list[pd.DataFrame] = []
    w = nl.Classify(
        df, text="text", labels=LABELS, task="t", store=db, model=known_model(calls), min_per_label=1
    )
    assert w._active.wait()
    assert model_version(w) == 1
    assert len(calls[0]) == 4
    w.close()


# ---------------------------------------------------------------------- why
def test_why_without_an_active_order(tmp_path: Path) -> None:
    df = frame(4)
    w = nl.Classify(df, text="text", labels=LABELS, task="t", store=tmp_path / "s.db")
    assert w.why() == "DataFrame order"
    assert w.why("r2", detail=True) == {"reason": "DataFrame order", "rank": 3, "text": "DataFrame order"}
    w.close()
    w = nl.Classify(
        df, text="text", labels=LABELS, task="t2", store=tmp_path / "s.db", order=lambda d: d["p"]
    )
    assert w.why().startswith("order= callable's priority (#1")
    w.close()


def test_why_line_is_sent_with_each_item_of_a_window(tmp_path: Path) -> None:
    df = frame(8)
    w = nl.Classify(df, text="text", labels=LABELS, task="t", store=tmp_path / "s.db", model=known_model())
    sent: list[dict[str, Any]] = []
    w.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    w._handle_browser_message({"type": "hello"})  # a browser view shows it: windows follow each answer
    w.annotate(w.current, "pos")
    window = [m for m in sent if m.get("type") == "window"][-1]
    assert all(item["why"].startswith("cold start: random") for item in window["items"])
    w.close()
    plain = nl.Classify(df, text="text", labels=LABELS, task="t2", store=tmp_path / "s.db")
    sent.clear()
    plain.send = lambda content, buffers=None: sent.append(content)  # type: ignore[method-assign]
    plain._handle_browser_message({"type": "hello"})
    plain.annotate(plain.current, "pos")
    assert all("why" not in item for item in sent[-1]["items"])  # no line without an active order
    plain.close()


# ---------------------------------------------------------------------- sessions
def session_data(n: int = 24, n_gold: int = 6) -> pd.DataFrame:
    p = np.linspace(0.03, 0.97, n + n_gold)
    return pd.DataFrame(
        {
            "text": [f"s{i} p={v:.3f}" for i, v in enumerate(p)],
            "answer": [None] * n + [LABELS[i % 2] for i in range(n_gold)],
        },
        index=pd.Index([f"i{i}" for i in range(n + n_gold)], name="rid"),
    )


def label_queue(w, s: nl.Session, wait: bool = False) -> list[str]:
    served = []
    while w.current is not None:
        key = str(w.current)
        served.append(key)
        w.annotate(w.current, s.gold.get(key, "pos"))
        if wait and w._active is not None:
            w._active.wait()
    return served


def test_session_active_order_keeps_the_plan(store_url: str) -> None:
    common = dict(
        widget=nl.Classify,
        data=session_data(),
        annotators=["ana", "ben"],
        overlap=1,
        gold="answer",
        gold_rate=0.2,
        text="text",
        labels=LABELS,
    )
    plain = nl.Session(store_url, "plain", **common)
    ranked = nl.Session(
        store_url,
        "ranked",
        order="uncertainty",
        model=known_model(),
        refit_every=3,
        min_per_label=2,
        **common,
    )
    pd.testing.assert_frame_equal(plain.assignments(), ranked.assignments())
    for name in ("ana", "ben"):
        a, b = plain.labeler(name), ranked.labeler(name)
        order_a, order_b = label_queue(a, plain), label_queue(b, ranked, wait=True)
        gold_at_a = [i for i, k in enumerate(order_a) if k in plain.gold]
        gold_at_b = [i for i, k in enumerate(order_b) if k in ranked.gold]
        assert gold_at_a == gold_at_b and gold_at_a  # gold interleaved exactly as planned
        assert [order_a[i] for i in gold_at_a] == [order_b[i] for i in gold_at_b]
        production_a = [k for k in order_a if k not in plain.gold]
        production_b = [k for k in order_b if k not in ranked.gold]
        assert sorted(production_a) == sorted(production_b)  # the same items ...
        assert production_a != production_b  # ... in another order
        assert b.why(production_b[-1]).endswith("· ordered within the session's plan")
        # a gold item's line reads like any other (gold stays blind)
        assert b.why(order_b[gold_at_b[0]]).endswith("· ordered within the session's plan")
        a.close()
        b.close()
    pd.testing.assert_frame_equal(plain.assignments(), ranked.assignments())
    plain.close()
    ranked.close()


def test_session_refuses_an_order_it_would_not_use(tmp_path: Path) -> None:
    common = dict(
        widget=nl.Classify,
        data=session_data(),
        annotators=["ana"],
        overlap=1,
        gold="answer",
        text="text",
        labels=LABELS,
    )
    with pytest.raises(TypeError, match="in a session, order= is an active ordering"):
        nl.Session(tmp_path / "s.db", "t", order="text", **common)
    with pytest.raises(ValueError, match="pass model= too"):
        nl.Session(tmp_path / "s.db", "t2", order="margin", **common)
    s = nl.Session(tmp_path / "s.db", "t3", order="random", **common)
    w = s.labeler("ana")
    assert w.why().startswith("random order (seeded)")
    w.close()
    s.close()


def test_active_order_module_is_not_importing_sklearn() -> None:
    import subprocess
    import sys

    code = "import sys, nblabel, nblabel.widgets.active; print('sklearn' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(nl.__file__)),
    )
    assert out.stdout.strip() == "False", out.stderr
