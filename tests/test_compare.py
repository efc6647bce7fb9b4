"""Compare without a browser: sides shuffled reproducibly and turned back into A/B in the
kernel, value validation, the justification gate, Markdown and chat rendering, exports."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import nblabel as nl

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402

PWN = "window.__pwned=true"


@pytest.fixture
def pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "prompt": [f"Question {i}?" for i in range(40)],
            "model_x": [f"Answer X{i}" for i in range(40)],
            "model_y": [f"Answer Y{i}" for i in range(40)],
        },
        index=pd.Index([f"q{i}" for i in range(40)], name="qid"),
    )


def widget(pairs: pd.DataFrame, tmp_path: Path, **kwargs) -> nl.Compare:
    options = {"prompt": "prompt", "a": "model_x", "b": "model_y", "task": "pref", "annotator": "ana"}
    options.update(kwargs)
    options.setdefault("store", tmp_path / "c.db")
    return nl.Compare(pairs, **options)


def test_sides_are_shuffled_reproducibly_per_annotator(pairs: pd.DataFrame, tmp_path: Path) -> None:
    w = widget(pairs, tmp_path)
    sides = [w.swapped(i) for i in pairs.index]
    assert 10 < sum(sides) < 30  # about half swapped
    assert sides == [widget(pairs, tmp_path).swapped(i) for i in pairs.index]  # same seed, same sides
    other = widget(pairs, tmp_path, annotator="bob")
    assert sides != [other.swapped(i) for i in pairs.index]
    reseeded = widget(pairs, tmp_path / "x", seed=7)
    assert sides != [reseeded.swapped(i) for i in pairs.index]
    fixed = widget(pairs, tmp_path / "y", shuffle=False)
    assert not any(fixed.swapped(i) for i in pairs.index)


@pytest.mark.parametrize(("screen", "strength"), [("left", 1), ("right", 2)])
def test_the_browser_says_left_or_right_and_the_store_says_a_or_b(
    pairs: pd.DataFrame, tmp_path: Path, screen: str, strength: int
) -> None:
    w = widget(pairs, tmp_path)
    browser = Browser(w)
    for item in pairs.index[:8]:
        browser.send({"type": "goto", "key": item})
        payload = w._item(w.items.position(item), [], include_payload=True)["payload"]
        swapped = w.swapped(item)
        shown_left = payload["left"]["html"]
        assert (f"Y{item[1:]}" in shown_left) == swapped
        browser.send(
            {"type": "label", "key": item, "value": {"choice": screen, "strength": strength}}, tracked=True
        )
        value = w.labels[item]
        winner_on_left = (value["choice"] == "A") != swapped
        assert winner_on_left == (screen == "left")
        assert value["swapped"] == swapped and value["strength"] == strength
    # shown again, the stored choice comes back as the same screen side
    window = browser.send({"type": "goto", "key": pairs.index[0]})
    item = next(i for i in window["items"] if i["key"] == pairs.index[0])
    assert item["value"]["choice"] == screen


def test_rubric_scores_follow_their_response(pairs: pd.DataFrame, tmp_path: Path) -> None:
    w = widget(pairs, tmp_path, rubric=["helpful", "safe"])
    browser = Browser(w)
    item = next(i for i in pairs.index if w.swapped(i))
    browser.send({"type": "goto", "key": item})
    value = {"choice": "tie", "rubric": {"helpful": {"left": 5, "right": 2}, "safe": {"left": 4, "right": 4}}}
    browser.send({"type": "label", "key": item, "value": value}, tracked=True)
    assert w.labels[item]["rubric"] == {"helpful": {"B": 5, "A": 2}, "safe": {"B": 4, "A": 4}}
    assert w.labels[item]["strength"] is None


def test_python_values_are_validated(pairs: pd.DataFrame, tmp_path: Path) -> None:
    w = widget(pairs, tmp_path, rubric=["helpful"], min_justification=5)
    with pytest.raises(ValueError, match="row 'q0': choice 'C' is not one of"):
        w.annotate("q0", {"choice": "C", "justification": "because"})
    with pytest.raises(ValueError, match="strength must be 1 .* or 2"):
        w.annotate("q0", {"choice": "A", "strength": 3, "justification": "because"})
    with pytest.raises(ValueError, match="strength goes with choice 'A' or 'B'"):
        w.annotate("q0", {"choice": "tie", "strength": 2, "justification": "because"})
    with pytest.raises(ValueError, match="rubric dimension 'fun' is not one of"):
        w.annotate("q0", {"choice": "A", "rubric": {"fun": {"A": 1}}, "justification": "because"})
    with pytest.raises(ValueError, match="= 6 is not 1-5"):
        w.annotate("q0", {"choice": "A", "rubric": {"helpful": {"A": 6}}, "justification": "because"})
    with pytest.raises(ValueError, match="justification of at least 5 characters is required"):
        w.annotate("q0", {"choice": "A", "justification": "  no  "})
    with pytest.raises(ValueError, match="unknown keys"):
        w.annotate("q0", {"choice": "A", "winner": "A"})
    assert w.store.annotations("pref").empty
    w.annotate("q0", {"choice": "A", "justification": "clearer"})
    assert w.labels["q0"] == {
        "choice": "A", "strength": 1, "rubric": {}, "justification": "clearer", "swapped": w.swapped("q0"),
    }  # fmt: skip
    # the browser gets the same gate: a short justification is an error, nothing is stored
    browser = Browser(w)
    browser.send({"type": "goto", "key": "q1"})
    browser.send(
        {"type": "label", "key": "q1", "value": {"choice": "left", "justification": "x"}}, tracked=True
    )
    assert "at least 5 characters" in browser.out.last("error")["message"]
    assert len(w.store.annotations("pref")) == 1


def test_markdown_is_sanitised_and_chats_are_messages(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "p": [f"<script>{PWN}</script> **bold** [x](javascript:{PWN})"],
            "a": ["```python\nprint('<b>hi</b>')\n```"],
            "b": [
                [
                    {"role": "user", "content": f"<img src=x onerror={PWN}>"},
                    {"role": "assistant", "content": "*ok*"},
                ]
            ],
        }
    )
    w = nl.Compare(
        df, prompt="p", a="a", b="b", task="t", annotator="ana", store=tmp_path / "c.db", shuffle=False
    )
    payload = w._item(0, [], include_payload=True)["payload"]
    assert "<script" not in payload["prompt"]["html"] and 'href="javascript' not in payload["prompt"]["html"]
    assert "<strong>bold</strong>" in payload["prompt"]["html"]
    assert payload["left"]["html"].startswith("<pre><code")
    assert "&lt;b&gt;hi&lt;/b&gt;" in payload["left"]["html"]
    chat = payload["right"]["chat"]
    assert [m["role"] for m in chat] == ["user", "assistant"]
    assert "<img" not in chat[0]["html"] and "&lt;img" in chat[0]["html"]
    assert chat[1]["html"] == "<p><em>ok</em></p>\n"


def test_bad_arguments(pairs: pd.DataFrame, tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="'model_z'"):
        widget(pairs, tmp_path, b="model_z")
    with pytest.raises(TypeError, match="rubric must be a list"):
        widget(pairs, tmp_path, rubric="helpful")
    with pytest.raises(ValueError, match="duplicate dimensions"):
        widget(pairs, tmp_path, rubric=["a", "a"])
    with pytest.raises(ValueError, match="min_justification must be a non-negative int"):
        widget(pairs, tmp_path, min_justification=-1)


# ---------------------------------------------------------------------- exports
@pytest.fixture
def judged(pairs: pd.DataFrame, tmp_path: Path) -> nl.Store:
    w = widget(pairs, tmp_path, rubric=["helpful"])
    w.annotate(
        "q0",
        {
            "choice": "A",
            "strength": 2,
            "rubric": {"helpful": {"A": 5, "B": 2}},
            "justification": "X is right",
        },
    )
    w.annotate("q1", {"choice": "B"})
    w.annotate("q2", "tie")
    w.annotate("q3", "both_bad")
    return w.store


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_export_dpo_and_reward(judged: nl.Store, tmp_path: Path) -> None:
    dpo = rows(judged.export("pref", tmp_path / "dpo.jsonl", format="dpo"))
    assert dpo == [
        {"prompt": "Question 0?", "chosen": "Answer X0", "rejected": "Answer Y0"},
        {"prompt": "Question 1?", "chosen": "Answer Y1", "rejected": "Answer X1"},
    ]
    reward = rows(judged.export("pref", tmp_path / "reward.jsonl", format="reward"))
    assert [r["margin"] for r in reward] == [2.0, 1.0]
    kept = rows(judged.export("pref", tmp_path / "all.jsonl", format="dpo", keep_ties=True))
    assert [r.get("label") for r in kept] == [None, None, "tie", "both_bad"]


def test_export_dpo_loads_with_hugging_face_datasets(judged: nl.Store, tmp_path: Path) -> None:
    datasets = pytest.importorskip("datasets")
    path = judged.export("pref", tmp_path / "dpo.jsonl", format="dpo")
    loaded = datasets.load_dataset("json", data_files=str(path), split="train")
    assert loaded.column_names == ["prompt", "chosen", "rejected"]
    assert loaded[1]["chosen"] == "Answer Y1"


def test_export_jsonl_has_rubric_and_justification(judged: nl.Store, tmp_path: Path) -> None:
    out = rows(judged.export("pref", tmp_path / "c.jsonl", format="jsonl"))
    assert out[0]["rubric"] == {"helpful": {"A": 5, "B": 2}}
    assert out[0]["justification"] == "X is right"
    assert out[0]["a"] == "Answer X0" and out[0]["prompt"] == "Question 0?"
    assert [r["choice"] for r in out] == ["A", "B", "tie", "both_bad"]
    judged.register_task("labels", "classify", ["x"])
    with pytest.raises(TypeError, match="only apply to compare tasks"):
        judged.export("labels", tmp_path / "x", format="jsonl", keep_ties=True)


# ---------------------------------------------------------------------- agreement and bias
def test_compare_report(pairs: pd.DataFrame, tmp_path: Path) -> None:
    from scipy.stats import binomtest

    store = nl.Store(tmp_path / "r.db")
    judgements = {
        "ana": ["A", "A", "B", "tie", "both_bad", ("A", 2), ("B", 2), "A"],
        "bob": ["A", "B", "B", "tie", "both_bad", ("A", 1), ("B", 2), "tie"],
    }
    for name, values in judgements.items():
        w = widget(pairs, tmp_path, annotator=name, store=store, rubric=["helpful"])
        for item, v in zip(pairs.index, values, strict=False):
            choice, strength = v if isinstance(v, tuple) else (v, None)
            value = {"choice": choice, "rubric": {"helpful": {"A": 4, "B": 2 if choice == "A" else 4}}}
            if strength:
                value["strength"] = strength
            w.annotate(item, value)
    ann = store.annotations("pref")
    report = nl.agreement_report(ann, models=("model_x", "model_y"), n_boot=50)
    assert report.kind == "compare"
    # choices agree on items 0, 2, 3, 4, 5, 6 of 8 (ties and both-bad are categories)
    assert report.loc["percent_agreement", "value"] == pytest.approx(6 / 8)
    wide = pd.DataFrame(judgements).map(lambda v: v[0] if isinstance(v, tuple) else v)
    expected_kappa = nl.agreement.cohen_kappa(wide["ana"], wide["bob"])
    assert report.loc["cohen_kappa", "value"] == pytest.approx(expected_kappa)
    # signed scale: both_bad left out; A=+s, B=-s, tie=0
    signed = pd.DataFrame(
        {"ana": [1, 1, -1, 0, None, 2, -2, 1], "bob": [1, -1, -1, 0, None, 1, -2, 0]}, dtype=float
    )
    expected_alpha = nl.agreement.krippendorff_alpha(signed, level="ordinal", value_domain=[-2, -1, 0, 1, 2])
    assert report.loc["signed_alpha", "value"] == pytest.approx(expected_alpha)
    assert "rubric_alpha_helpful" in report.index
    # position bias: left won = (choice A) != swapped, over A/B choices
    values = [v for v in ann[ann["kind"] == "label"]["value"] if v["choice"] in ("A", "B")]
    left = sum((v["choice"] == "A") != v["swapped"] for v in values)
    assert report.loc["position_bias", "value"] == pytest.approx(left / len(values))
    assert report.position_bias.loc["(all)", "p_value"] == pytest.approx(binomtest(left, len(values)).pvalue)
    assert f"p = {binomtest(left, len(values)).pvalue:.3g}" in report.loc["position_bias", "note"]
    wins = report.win_rates
    assert list(wins.index) == ["model_x", "model_y"]
    assert (wins.loc["model_x", "wins"], wins.loc["model_y", "wins"]) == (6, 5)
    assert wins.loc["model_x", "win_rate"] == pytest.approx(6 / 11)
    assert "left_wins_share" in report.per_annotator.columns
    assert list(report.disagreements.index) == ["q1", "q7"]


# ---------------------------------------------------------------------- ranking 3+ responses
@pytest.fixture
def answers() -> pd.DataFrame:
    return pd.DataFrame(
        {"q": ["Q1?", "Q2?"], "r1": ["one", "uno"], "r2": ["two", "dos"], "r3": ["three", "tres"]},
        index=[1, 2],
    )


def test_ranking_shows_a_shuffled_order_and_stores_column_names(
    answers: pd.DataFrame, tmp_path: Path
) -> None:
    w = nl.Compare(
        answers,
        prompt="q",
        responses=["r1", "r2", "r3"],
        task="rank",
        annotator="ana",
        store=tmp_path / "r.db",
    )
    shown = w.shown_order(1)
    assert sorted(shown) == ["r1", "r2", "r3"]
    payload = w._item(0, [], include_payload=True)["payload"]
    texts = {"r1": "one", "r2": "two", "r3": "three"}
    assert [r["html"] for r in payload["responses"]] == [f"<p>{texts[c]}</p>\n" for c in shown]
    browser = Browser(w)
    browser.send({"type": "hello"})
    # on screen: position 2 best, positions 0 and 1 tied
    browser.send({"type": "label", "key": "1", "value": {"ranking": [[2], [0, 1]]}}, tracked=True)
    assert w.labels[1] == [[shown[2]], [shown[0], shown[1]]]
    window = browser.send({"type": "goto", "key": "1"})
    assert next(i for i in window["items"] if i["key"] == "1")["value"] == {"ranking": [[2], [0, 1]]}
    with pytest.raises(ValueError, match="names every response once"):
        w.annotate(2, [["r1"], ["r1", "r2"]])
    with pytest.raises(ValueError, match="\\['r9'\\]"):
        w.annotate(2, ["r9", "r1", "r2"])
    w.annotate(2, ["r3", "r1", "r2"])  # plain names: no ties
    assert w.labels[2] == [["r3"], ["r1"], ["r2"]]
    with pytest.raises(TypeError, match="not both"):
        nl.Compare(answers, a="r1", b="r2", responses=["r1", "r2", "r3"], task="x", store=w.store)
    with pytest.raises(TypeError, match="not with a ranking"):
        nl.Compare(answers, responses=["r1", "r2", "r3"], rubric=["helpful"], task="x", store=w.store)


def test_ranking_report_and_exports(answers: pd.DataFrame, tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "r.db")
    rankings = {
        "ana": [[["r2"], ["r1", "r3"]], ["r1", "r2", "r3"]],
        "bob": [[["r2"], ["r1", "r3"]], ["r2", "r1", "r3"]],
    }
    for name, values in rankings.items():
        w = nl.Compare(
            answers, prompt="q", responses=["r1", "r2", "r3"], task="rank", annotator=name, store=store
        )
        for item, value in zip(answers.index, values, strict=True):
            w.annotate(item, value)
    report = nl.agreement_report(store.annotations("rank"), n_boot=0)
    assert report.loc["exact_ranking_agreement", "value"] == pytest.approx(0.5)
    assert report.loc["first_place_agreement", "value"] == pytest.approx(0.5)
    ranks = pd.DataFrame(
        {"ana": [2.0, 1.0, 2.0, 1.0, 2.0, 3.0], "bob": [2.0, 1.0, 2.0, 2.0, 1.0, 3.0]},
    )  # items x responses r1, r2, r3 (item 1 then item 2)
    expected = nl.agreement.krippendorff_alpha(ranks, level="ordinal", value_domain=[1.0, 2.0, 3.0])
    assert report.loc["rank_alpha", "value"] == pytest.approx(expected)
    assert report.per_label.loc["r2", "first_places"] == 3
    assert report.per_label.index[0] == "r2"  # the best mean rank first
    dpo = rows(store.export("rank", tmp_path / "dpo.jsonl", format="dpo"))
    # ana item 1: r2 > r1, r2 > r3 (r1 = r3: no pair); item 2: r1>r2, r1>r3, r2>r3; bob alike
    assert len(dpo) == 2 + 3 + 2 + 3
    assert {"prompt": "Q1?", "chosen": "two", "rejected": "one"} in dpo
    reward = rows(store.export("rank", tmp_path / "reward.jsonl", format="reward"))
    assert max(r["margin"] for r in reward) == 2.0
    full = rows(store.export("rank", tmp_path / "all.jsonl", format="jsonl"))
    assert full[0]["ranking"] == [["r2"], ["r1", "r3"]] and full[0]["responses"]["r3"] == "three"
