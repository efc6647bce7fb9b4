"""Calibration sessions: blind overlap, gold items, the calibration gate, training mode,
guideline versions, flags, reveal, adjudication, final labels, the dataset card and the CLI."""

from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stdout
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

import nblabel as nl
from nblabel.cli import main as cli
from nblabel.sessions.assignment import assign_overlap

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402

LABELS = ["pos", "neg"]
ANNOTATORS = ["ana", "ben", "cy"]


def data(n: int = 20, n_gold: int = 10) -> pd.DataFrame:
    """``n`` production rows then ``n_gold`` gold rows (answer in ``answer``, ``why`` explains)."""
    answers = [None] * n + [LABELS[i % 2] for i in range(n_gold)]
    return pd.DataFrame(
        {
            "text": [f"text {i}" for i in range(n + n_gold)],
            "answer": answers,
            "why": [None] * n + [f"EXPLANATION-{i}" for i in range(n_gold)],
        },
        index=pd.Index(range(1000, 1000 + n + n_gold), name="rid"),
    )


def session(store, df=None, task="cal", **kwargs) -> nl.Session:
    options = dict(widget=nl.Classify, data=data() if df is None else df, annotators=ANNOTATORS, overlap=2,
                   gold="answer", text="text", labels=LABELS)  # fmt: skip
    options.update(kwargs)
    return nl.Session(store, task, **options)


def other(label: str) -> str:
    return LABELS[1 - LABELS.index(label)]


def label_all(w, s: nl.Session, right: bool = True, choose=None) -> None:
    """Label ``w``'s whole queue: gold items right (or wrong), production with ``choose``."""
    while w.current is not None:
        key = str(w.current)
        if key in s.gold:
            w.annotate(w.current, s.gold[key] if right else other(s.gold[key]))
        else:
            w.annotate(w.current, choose(w.annotator, w.current) if choose else "pos")


# ---------------------------------------------------------------------- assignment
@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 200), annotators=st.integers(1, 9), data_=st.data(), seed=st.integers(0, 10**6))
def test_overlap_assignment_is_exact_distinct_and_even(n, annotators, data_, seed) -> None:
    overlap = data_.draw(st.integers(1, annotators))
    grid = assign_overlap(n, annotators, overlap, seed)
    assert grid.shape == (n, overlap)
    assert all(len(set(row)) == overlap for row in grid.tolist())
    loads = np.bincount(grid.ravel(), minlength=annotators)
    assert loads.max() - loads.min() <= (1 if n else 0)
    assert (assign_overlap(n, annotators, overlap, seed) == grid).all()  # deterministic


def test_every_pair_of_annotators_shares_items() -> None:
    grid = assign_overlap(500, 6, 2, 0)
    pairs = {tuple(sorted(row)) for row in grid.tolist()}
    assert len(pairs) == 15


def test_each_item_is_served_to_exactly_overlap_annotators(store) -> None:
    s = session(store, gold_rate=0.0)
    assigned = s.assignments()
    assert len(assigned) == 20 and all(len(a) == 2 for a in assigned["annotators"])
    served: dict[int, list[str]] = {}
    for name in ANNOTATORS:
        w = s.labeler(name)
        assert w.queue.size in (13, 14)
        while w.current is not None:
            served.setdefault(w.current, []).append(name)
            w.annotate(w.current, "pos")
    assert {k: sorted(v) for k, v in served.items()} == assigned["annotators"].to_dict()
    events = store.annotations("cal")
    assert len(events) == 40 and not events.duplicated(["item_id", "annotator"]).any()


def test_an_annotator_cannot_label_or_open_items_not_assigned_to_them(store) -> None:
    s = session(store)
    w = s.labeler("ana")
    foreign = next(i for i, a in s.assignments()["annotators"].items() if "ana" not in a)
    with pytest.raises(ValueError, match="not in 'ana'"):
        w.annotate(foreign, "pos")
    with pytest.raises(ValueError, match="not in 'ana'"):
        w.goto(foreign)
    b = Browser(w)
    b.hello()
    b.label(str(foreign), 0)
    assert "not in 'ana'" in b.out.last("error")["message"]
    assert store.annotations("cal").empty


def test_reopening_a_session_needs_the_same_plan(store) -> None:
    session(store)
    session(store)  # same settings: fine
    with pytest.raises(ValueError, match="overlap=2 \\(now 3\\)"):
        session(store, overlap=3)
    other_data = data()
    other_data.loc[1025, "answer"] = "pos" if other_data.loc[1025, "answer"] == "neg" else "neg"
    with pytest.raises(ValueError, match="different gold answers"):
        session(store, df=other_data)


def test_bad_settings_name_what_is_wrong(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    with pytest.raises(KeyError, match="no column 'nope'"):
        session(store, gold="nope")
    with pytest.raises(ValueError, match="overlap=4 must be between 1 and 3"):
        session(store, overlap=4)
    with pytest.raises(ValueError, match="calibration=11 needs at least that many gold items; gold= has 10"):
        session(store, calibration=11)
    with pytest.raises(ValueError, match="needs gold items"):
        session(store, gold=None, feedback=True)
    with pytest.raises(ValueError, match="gold answer of row 1020: 'maybe' is not one of the labels"):
        df = data()
        df.loc[1020, "answer"] = "maybe"
        session(store, df=df)
    with pytest.raises(ValueError, match="names someone twice"):
        session(store, annotators=["ana", "ana"])
    with pytest.raises(TypeError, match="in a session, order= is an active ordering"):
        session(store, order="text")
    with pytest.raises(KeyError, match="no column 'nope'"):
        session(store, text="nope")  # widget options are checked when the session is made
    with pytest.raises(ValueError, match="'zed' is not an annotator"):
        session(store).labeler("zed")


def test_gold_as_a_separate_dataframe(tmp_path: Path) -> None:
    production = data(12, 0).drop(columns=["answer", "why"])
    gold = pd.DataFrame({"text": ["g1", "g2", "g3"], "gold": ["pos", "neg", "pos"]}, index=[1, 2, 3])
    s = nl.Session(tmp_path / "s.db", "t", widget=nl.Classify, data=production, annotators=["a", "b"],
                   overlap=1, gold=gold, gold_rate=0.2, text="text", labels=LABELS)  # fmt: skip
    assert s.n_production == 12 and set(s.gold) == {"1", "2", "3"}
    w = s.labeler("a")
    assert w.queue.size == 6 + 2  # 6 production items, 2 gold (20 % of the queue, rounded)
    with pytest.raises(ValueError, match="item id 1000 is both in data and in the gold DataFrame"):
        nl.Session(tmp_path / "s.db", "t2", widget=nl.Classify, data=production, annotators=["a"], overlap=1,
                   gold=gold.rename(index={1: 1000}), text="text", labels=LABELS)  # fmt: skip
    with pytest.raises(KeyError, match="needs a 'gold' column"):
        nl.Session(tmp_path / "s.db", "t3", widget=nl.Classify, data=production, annotators=["a"], overlap=1,
                   gold=gold.rename(columns={"gold": "g"}), text="text", labels=LABELS)  # fmt: skip


# ---------------------------------------------------------------------- gold never leaks
def test_gold_answers_and_explanations_never_reach_the_browser_before_submission(tmp_path: Path) -> None:
    s = session(tmp_path / "s.db", feedback=True, explanation="why", gold_rate=0.3)
    w = s.labeler("ana")
    b = Browser(w)
    state = {k: v for k, v in w.get_state().items() if k not in ("_esm", "_css")}
    state_text = json.dumps(state, default=str)
    assert "EXPLANATION-" not in state_text and '"answer"' not in state_text
    window = b.hello()
    submitted: set[str] = set()
    while window["current"] is not None:
        for item in window["items"]:
            text = json.dumps(item)
            if item["key"] not in submitted:
                assert "EXPLANATION-" not in text and "feedback" not in item and "gold" not in text
        key = window["current"]
        value = 1 if key in s.gold and s.gold[key] == "pos" else 0  # gold items: wrong on purpose
        window = b.label(key, value)
        submitted.add(key)
        if key in s.gold:
            fb = b.out.last("feedback")
            assert fb["key"] == key and fb["correct"] is False
            assert fb["gold"] == s.gold[key] and fb["explanation"].startswith("EXPLANATION-")
    # every message before a gold item's submission was free of its explanation
    gold_keys = set(s.gold) & submitted
    assert gold_keys
    assert w._session["score"] == {"right": 0, "answered": len(gold_keys)}


def test_labels_of_others_stay_hidden_until_revealed(tmp_path: Path) -> None:
    s = session(tmp_path / "s.db", gold_rate=0.0)
    ana, ben = s.labeler("ana"), s.labeler("ben")
    shared = next(i for i, a in s.assignments()["annotators"].items() if a == ["ana", "ben"])
    ben.annotate(shared, "neg")
    ana.annotate(shared, "pos")
    b = Browser(ana)
    b.goto(str(shared))
    assert all("others" not in m for msg in b.out.of_type("window") for m in msg["items"])
    assert "ben" not in json.dumps([m for m, _ in b.out.messages]) + json.dumps(ana.get_state(), default=str)
    s.reveal()
    assert s.revealed
    ana._policy._revealed_at = -1e9  # skip the poll interval
    window = b.goto(str(shared))
    item = next(i for i in window["items"] if i["key"] == str(shared))
    assert item["others"] == [{"annotator": "ben", "text": "neg"}]
    # ...but only on items ana has answered: the others stay blind
    unanswered = next(
        i for i, a in s.assignments()["annotators"].items() if a == ["ana", "ben"] and i != shared
    )
    ben.annotate(unanswered, "neg")
    window = b.goto(str(unanswered))
    assert "others" not in next(i for i in window["items"] if i["key"] == str(unanswered))
    s.reveal(False)
    ana._policy._revealed_at = -1e9
    window = b.goto(str(shared))
    assert "others" not in next(i for i in window["items"] if i["key"] == str(shared))


# ---------------------------------------------------------------------- calibration gate
def test_calibration_gate_blocks_then_serves_fresh_items_then_opens(store) -> None:
    s = session(store, calibration=3, pass_mark=0.67)
    w = s.labeler("ana")
    assert w._session["phase"] == "calibration" and w.queue.size == 3
    window = Browser(w).hello()
    assert window["more"] is True and len(window["upcoming"]) == 2  # not "all done" after these
    assert w.session_status["phase"] == "calibration" and "label these 3 items" in w.session_status["message"]
    first_round = []
    for _ in range(3):
        first_round.append(str(w.current))
        assert first_round[-1] in s.gold
        production = [i for i, a in s.assignments()["annotators"].items() if "ana" in a]
        with pytest.raises(ValueError):
            w.annotate(production[0], "pos")  # production items are not served yet
        w.annotate(w.current, other(s.gold[first_round[-1]]))
    assert w._session["phase"] == "calibration" and "round 1: 0% right" in w._session["message"]
    assert w.queue.size == 6 and str(w.current) in s.gold and str(w.current) not in first_round
    # correcting the failed round afterwards does not pass the gate: first answers count
    for key in first_round:
        w.annotate(int(key), s.gold[key])
    assert w._session["phase"] == "calibration" and w.queue.size == 6
    assert s.gold_accuracy().loc["ana", "gold_accuracy"] == 0.0
    for _ in range(3):
        w.annotate(w.current, s.gold[str(w.current)])
    assert w._session["phase"] == "production" and "passed (100% right)" in w._session["message"]
    assert Browser(w).hello()["more"] is False
    assert str(w.current) not in s.gold or w.queue.size > 6
    # a restart resumes past the gate
    again = s.labeler("ana")
    assert again._session["phase"] == "production" and again.queue.size == w.queue.size
    assert s.progress().loc["ana", "phase"] == "production"


def test_calibration_blocks_when_no_fresh_gold_is_left(tmp_path: Path) -> None:
    s = session(tmp_path / "s.db", calibration=5, pass_mark=1.0)
    w = s.labeler("ben")
    for _ in range(10):
        w.annotate(w.current, other(s.gold[str(w.current)]))
    assert w._session["phase"] == "blocked" and "no fresh calibration items" in w._session["message"]
    assert w.current is None
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert cli(["session", "status", str(tmp_path / "s.db"), "--task", "cal"]) == 0
    assert "blocked" in buf.getvalue()


def test_gold_accuracy_flags_annotators_under_the_threshold(store) -> None:
    s = session(store, gold_rate=0.3, gold_threshold=0.9)
    label_all(s.labeler("ana"), s, right=True)
    label_all(s.labeler("ben"), s, right=False)
    acc = s.gold_accuracy()
    assert acc.loc["ana", "gold_accuracy"] == 1.0 and not acc.loc["ana", "flagged"]
    assert acc.loc["ben", "gold_accuracy"] == 0.0 and acc.loc["ben", "flagged"]
    assert acc.loc["cy", "gold_answered"] == 0 and not acc.loc["cy", "flagged"]
    # gold items are left out of the agreement report
    assert not s.production_annotations()["item_id"].astype(str).isin(list(s.gold)).any()


def test_training_mode_scores_first_answers(tmp_path: Path) -> None:
    s = session(
        tmp_path / "s.db", feedback=True, explanation="why", gold_rate=0.5, calibration=2, pass_mark=0.0
    )
    w = s.labeler("cy")
    key = str(w.current)
    w.annotate(w.current, other(s.gold[key]))
    assert w._session["score"] == {"right": 0, "answered": 1}
    w.undo()
    w.annotate(key if not key.isdigit() else int(key), s.gold[key])  # a second try does not count
    assert w._session["score"] == {"right": 0, "answered": 1}
    scores = s.learner_scores()
    assert scores.loc["cy", "answered"] == 1 and scores.loc["cy", "right"] == 0
    assert scores.loc["ana", "answered"] == 0
    assert s.gold_accuracy().loc["cy", "gold_accuracy"] == 0.0  # the first answer counts, not the fix
    item = w._item(w.items.position_of_key(key), [], include_payload=False)
    assert item["feedback"] == {"correct": True, "score": 1.0, "gold": s.gold[key],
                                "explanation": f"EXPLANATION-{int(key) - 1020}"}  # fmt: skip


def test_an_all_gold_exercise_serves_every_item_to_every_learner(tmp_path: Path) -> None:
    df = data(0, 8)
    s = session(tmp_path / "s.db", df=df, feedback=True, explanation="why", calibration=3, pass_mark=0.5)
    for name in ANNOTATORS:
        w = s.labeler(name)
        served = []
        while w.current is not None:
            served.append(str(w.current))
            w.annotate(w.current, s.gold[str(w.current)])
        assert sorted(served) == sorted(s.gold)
        assert w._session["score"] == {"right": 8, "answered": 8}
    assert (s.gold_accuracy()["gold_accuracy"] == 1.0).all()


# ---------------------------------------------------------------------- guidelines, flags
def test_guideline_versions_are_recorded_and_split_the_agreement(store) -> None:
    s = session(store, gold_rate=0.0, guidelines="# v1\nLabel the tone.")
    v1 = s.guideline_versions()["version"].iloc[0]
    ana, ben = s.labeler("ana"), s.labeler("ben")
    shared = [i for i, a in s.assignments()["annotators"].items() if a == ["ana", "ben"]]
    assert len(shared) >= 4
    half = len(shared) // 2
    for i in shared[:half]:  # disagree under v1
        ana.annotate(i, "pos")
        ben.annotate(i, "neg")
    v2 = s.revise_guidelines("# v2\nSarcasm is negative.", note="sarcasm rule")
    assert ana.guidelines.version == v2 and ana._config["guideline_version"] == v2
    assert ana._session["notice"] == "The guidelines were updated (version 2); press g to read them."
    for i in shared[half:]:  # agree under v2
        ana.annotate(i, "pos")
        ben.annotate(i, "pos")
    assert ana._session["notice"].startswith("The guidelines were updated (version 2)")  # still shown
    events = store.annotations("cal")
    assert set(events["guideline_version"]) == {v1, v2}
    split = s.agreement_by_guideline()
    assert list(split.index) == [v1, v2] and split.loc[v2, "note"] == "sarcasm rule"
    assert list(split["number"]) == [1, 2]
    assert split.loc[v1, "percent_agreement"] == 0.0 and split.loc[v2, "percent_agreement"] == 1.0
    assert split.loc[v1, "items"] == half
    # a labeler opened later starts with the newest version
    assert s.labeler("cy").guidelines.version == v2


def test_flags_are_grouped_by_item_with_comments(store) -> None:
    s = session(store, gold_rate=0.0)
    shared = next(i for i, a in s.assignments()["annotators"].items() if a == ["ana", "ben"])
    s.labeler("ana").flag(shared, "sarcasm?")
    s.labeler("ben").flag(shared, "<b>unclear</b>")
    flags = s.flags()
    assert list(flags.index) == [shared]
    row = flags.loc[shared]
    assert row["n_flags"] == 2 and sorted(row["annotators"]) == ["ana", "ben"]
    assert sorted(row["comments"]) == ["ana: sarcasm?", "ben: <b>unclear</b>"]


# ---------------------------------------------------------------------- adjudication
def disagreeing_session(store, **kwargs) -> nl.Session:
    s = session(store, gold_rate=0.0, **kwargs)
    for name in ANNOTATORS:
        # ana says pos everywhere; ben and cy say neg on even ids
        label_all(s.labeler(name), s, choose=lambda who, i: "pos" if who == "ana" or i % 2 else "neg")
    return s


def test_adjudication_walks_disagreements_and_final_labels_keep_provenance(store) -> None:
    s = disagreeing_session(store)
    assigned = s.assignments()["annotators"]
    expected = sorted(i for i, a in assigned.items() if "ana" in a and i % 2 == 0)
    adj = nl.Adjudicate(s, adjudicator="boss")
    assert adj.queue.size == len(expected) and adj.current == expected[0]
    item = adj._item(adj._current, [], include_payload=True)
    names = [r["annotator"] for r in item["review"]]
    assert "ana" in names and len(names) == 2
    assert {r["text"] for r in item["review"]} == {"pos", "neg"}
    other_name = next(n for n in names if n != "ana")
    adj.pick(expected[0], other_name, rationale="guideline 3: irony")
    adj.resolve(expected[1], "pos", rationale="context")
    adj.mark_ambiguous(expected[2], rationale="both readings fit")
    final = s.final_labels()
    first = final.loc[expected[0]]
    assert first["status"] == "adjudicated" and first["value"] == "neg" and first["adjudicator"] == "boss"
    assert first["rationale"] == "guideline 3: irony" and first["agreed_with"] == [other_name]
    assert final.loc[expected[1], "agreed_with"] == ["ana"]
    assert final.loc[expected[2], "status"] == "ambiguous" and final.loc[expected[2], "value"] is None
    unanimous = next(i for i, a in assigned.items() if i % 2)
    assert final.loc[unanimous, "status"] == "unanimous" and final.loc[unanimous, "value"] == "pos"
    assert set(final["status"]) == {"adjudicated", "ambiguous", "unanimous", "unresolved"}
    # adjudications do not count as an annotator of the session's task
    assert "boss" not in set(store.annotations("cal")["annotator"])
    assert type(adj).__name__ == "AdjudicateClassify"
    assert type(adj).__module__ == "nblabel.adjudication"


def test_a_session_without_production_labels_says_so(tmp_path: Path) -> None:
    s = session(tmp_path / "s.db")
    with pytest.raises(ValueError, match="no labels on production items yet"):
        s.report()
    empty = nl.Session(tmp_path / "s.db", "all-gold", widget=nl.Classify, data=data(0, 4), annotators=["a"],
                       overlap=1, gold="answer", text="text", labels=LABELS)  # fmt: skip
    final = empty.final_labels()
    assert final.empty and "status" in final.columns


def test_adjudication_through_the_browser_protocol(store) -> None:
    s = disagreeing_session(store)
    adj = nl.Adjudicate(s, adjudicator="boss")
    b = Browser(adj)
    window = b.hello()
    key = window["current"]
    review = next(i for i in window["items"] if i["key"] == key)["review"]
    neg = next(r for r in review if r["text"] == "neg")
    window = b.send(
        {"type": "label", "key": key, "value": neg["value"], "comment": "per v1 §2"}, tracked=True
    )
    b.send({"type": "ambiguous", "key": window["current"], "comment": "no fit"}, tracked=True)
    events = store.annotations("cal/adjudication")
    assert list(events["kind"]) == ["label", "skip"]
    assert events["value"].iloc[0] == "neg" and events["comment"].iloc[0] == "per v1 §2"
    assert events["value"].iloc[1] == {"ambiguous": True} and events["comment"].iloc[1] == "no fit"


def test_refresh_serves_disagreements_that_arose_later(store) -> None:
    s = session(store, gold_rate=0.0)
    shared = [i for i, a in s.assignments()["annotators"].items() if a == ["ana", "ben"]]
    ana, ben = s.labeler("ana"), s.labeler("ben")
    ana.annotate(shared[0], "pos")
    ben.annotate(shared[0], "neg")
    adj = nl.Adjudicate(s, adjudicator="boss")
    assert adj.queue.size == 1
    adj.pick(shared[0], "ana")
    ana.annotate(shared[1], "pos")
    ben.annotate(shared[1], "neg")
    adj.refresh()
    assert adj.queue.size == 2 and adj.current == shared[1]  # the decided one stays done


def test_review_all_includes_unanimous_items(store) -> None:
    s = disagreeing_session(store)
    labeled = s.final_labels()
    adj = nl.Adjudicate(s, adjudicator="boss", review_all=True)
    assert adj.queue.size == int((labeled["n_annotators"] > 0).sum())


# ---------------------------------------------------------------------- dataset card, CLI
def test_dataset_card_has_every_part(tmp_path: Path) -> None:
    df = data()
    df.loc[1002, "text"] = "<script>alert(1)</script> | pipe"
    s = disagreeing_session(tmp_path / "s.db", df=df, guidelines="# Rules\nBe kind.")
    s.revise_guidelines("# Rules v2\nBe kinder.", note="kinder")
    adj = nl.Adjudicate(s, adjudicator="boss")
    adj.pick(adj.current, "ana", rationale="r")
    out = s.export(tmp_path / "card")
    names = {p.name for p in out.iterdir()}
    assert {"README.md", "card.json", "final_labels.jsonl", "annotations.jsonl", "disagreements.jsonl",
            "agreement.json", "annotators.json", "guidelines"} <= names  # fmt: skip
    finals = [json.loads(line) for line in (out / "final_labels.jsonl").read_text().splitlines()]
    assert len(finals) == 20 and {f["status"] for f in finals} >= {"adjudicated", "unanimous", "unresolved"}
    raw = (out / "annotations.jsonl").read_text().splitlines()
    assert len(raw) == len(s.annotations) + 1  # plus the adjudication
    guides = json.loads((out / "guidelines" / "guidelines.json").read_text())
    assert [g["note"] for g in guides] == ["initial version", "kinder"]
    assert (out / guides[1]["file"]).read_text() == "# Rules v2\nBe kinder."
    agreement = json.loads((out / "agreement.json").read_text())
    assert {r["key"] for r in agreement["report"]} >= {"krippendorff_alpha", "percent_agreement"}
    assert {r["label"] for r in agreement["per_label"]} == set(LABELS)
    stats = json.loads((out / "annotators.json").read_text())
    assert [r["annotator"] for r in stats] == ANNOTATORS
    card = json.loads((out / "card.json").read_text())
    assert card["items"] == 20 and card["overlap"] == 2 and card["status_counts"]["adjudicated"] == 1
    readme = (out / "README.md").read_text()
    assert "# Dataset card: cal" in readme and "Where ground truth is uncertain" in readme
    assert "<script>" not in readme and "&lt;script&gt;" in readme  # user text is inert Markdown
    assert "### Per label" in readme and "| pos |" in readme


def test_cli_session_status(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.db"
    s = disagreeing_session(path, calibration=0)
    assert cli(["session", "status", str(path), "--task", "cal"]) == 0
    out = capsys.readouterr().out
    assert "nblabel session · task 'cal' · classify · 20 items · 10 gold · overlap 2 · blind" in out
    for name in ANNOTATORS:
        assert name in out
    assert "krippendorff" in out.lower()
    adj = nl.Adjudicate(s, adjudicator="boss")
    n_open = adj.queue.size
    adj.pick(adj.current, "ana")
    adj.mark_ambiguous(adj.current)
    assert cli(["session", "status", str(path), "--task", "cal"]) == 0
    assert (
        f"Disagreements: {n_open} items · adjudicated 1 · ambiguous 1 · open {n_open - 2}"
        in capsys.readouterr().out
    )
    s.reveal()
    assert cli(["session", "status", str(path), "--task", "cal"]) == 0
    assert "revealed" in capsys.readouterr().out
    nl.Classify(pd.DataFrame({"t": ["x"]}), text="t", labels=LABELS, task="plain", store=path)
    assert cli(["session", "status", str(path), "--task", "plain"]) == 2
    assert "not a session" in capsys.readouterr().err


# ---------------------------------------------------------------------- every widget kind
def test_spans_session_scores_gold_with_span_f1(tmp_path: Path) -> None:
    df = pd.DataFrame(
        {
            "text": ["Ada met Bob", "Paris in May", "Cy left"],
            "gold": [None, None, [{"start": 0, "end": 5, "label": "LOC"}]],
        }
    )
    s = nl.Session(tmp_path / "s.db", "ner", widget=nl.Spans, data=df, annotators=["a", "b"], overlap=2,
                   gold="gold", calibration=1, pass_mark=0.5, text="text", labels=["PER", "LOC"])  # fmt: skip
    w = s.labeler("a")
    assert w.current == 2
    w.annotate(2, [{"start": 0, "end": 2, "label": "PER"}])
    assert w._session["phase"] == "blocked"  # 0 % right, and there is no fresh gold item for round 2
    assert w.current is None and s.labeler("a")._session["phase"] == "blocked"
    wb = s.labeler("b")
    wb.annotate(2, [{"start": 0, "end": 5, "label": "LOC"}, {"start": 6, "end": 7, "label": "PER"}])
    assert wb._session["phase"] == "production"  # F1 2/3 ≥ 0.5
    assert wb._describe_value(s.gold["2"], 2) == "“Cy le” LOC"


def test_boxes_and_compare_sessions(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    Image.new("RGB", (100, 80), "white").save(image)
    df = pd.DataFrame({"image": [str(image)] * 4, "gold": [None] * 3 + [[{"x": 10, "y": 10, "w": 20, "h": 20,
                                                                          "label": "car"}]]})  # fmt: skip
    s = nl.Session(tmp_path / "s.db", "det", widget=nl.Boxes, data=df, annotators=["a", "b"], overlap=1,
                   gold="gold", gold_rate=0.25, feedback=True, image="image", labels=["car"])  # fmt: skip
    w = s.labeler("a")
    sent = Browser(w).out
    while w.current is not None:
        w.annotate(w.current, [{"x": 11, "y": 10, "w": 20, "h": 20, "label": "car"}])
    assert sent.last("feedback")["correct"] is True and "car 10,10 20×20" in sent.last("feedback")["gold"]

    pairs = pd.DataFrame({"p": ["q1", "q2", "q3"], "x": ["a1", "a2", "a3"], "y": ["b1", "b2", "b3"],
                          "gold": [None, None, "A"]})  # fmt: skip
    s = nl.Session(tmp_path / "s.db", "pref", widget=nl.Compare, data=pairs, annotators=["a", "b"], overlap=2,
                   gold="gold", calibration=1, pass_mark=1.0, prompt="p", a="x", b="y",
                   min_justification=5)  # fmt: skip
    w = s.labeler("a")
    assert w.current == 2
    w.annotate(2, {"choice": "A", "strength": 2, "justification": "clearer answer"})
    assert w._session["phase"] == "production" and w.current in (0, 1)
    side = "left" if not w.swapped(2) else "right"
    assert w._describe_value(s.gold["2"], 2) == f"{side} response slightly better"


def test_adjudicating_compare_and_spans_through_the_browser_keeps_each_value(tmp_path: Path) -> None:
    """'Use' sends another annotator's value in the adjudicator's own encoding (Compare: their
    own left/right sides); the stored decision must be that annotator's value."""
    pairs = pd.DataFrame({"p": [f"q{i}" for i in range(12)], "x": ["a"] * 12, "y": ["b"] * 12})
    s = nl.Session(tmp_path / "s.db", "pref", widget=nl.Compare, data=pairs, annotators=["ana", "ben"],
                   overlap=2, prompt="p", a="x", b="y", seed=3)  # fmt: skip
    for name, choice in (("ana", "A"), ("ben", "B")):
        w = s.labeler(name)
        while w.current is not None:
            w.annotate(w.current, {"choice": choice, "strength": 2})
    adj = nl.Adjudicate(s, adjudicator="boss")
    swaps = {adj.swapped(i) for i in range(12)}
    assert swaps == {True, False}  # the adjudicator sees both side orders
    b = Browser(adj)
    window = b.hello()
    for _ in range(12):
        key = window["current"]
        review = next(i for i in window["items"] if i["key"] == key)["review"]
        ben = next(r for r in review if r["annotator"] == "ben")
        window = b.label(key, ben["value"])
    decided = store_values(s.store, "pref/adjudication")
    assert len(decided) == 12 and all(v["choice"] == "B" and v["strength"] == 2 for v in decided)

    texts = pd.DataFrame({"text": ["Ada met Bob in Paris", "Cy 🙂 went to Rome"]})
    s = nl.Session(tmp_path / "s.db", "ner", widget=nl.Spans, data=texts, annotators=["ana", "ben"],
                   overlap=2, text="text", labels=["PER", "LOC"])  # fmt: skip
    given = {0: [{"start": 0, "end": 3, "label": "PER"}], 1: [{"start": 13, "end": 17, "label": "LOC"}]}
    for name in ("ana", "ben"):
        w = s.labeler(name)
        for i, spans in given.items():
            w.annotate(i, spans if name == "ana" else [])
    adj = nl.Adjudicate(s, adjudicator="boss")
    b = Browser(adj)
    window = b.hello()
    while window["current"] is not None:
        key = window["current"]
        review = next(i for i in window["items"] if i["key"] == key)["review"]
        window = b.label(key, next(r for r in review if r["annotator"] == "ana")["value"])
    assert s.final_labels()["value"].to_dict() == given


def store_values(store, task: str) -> list:
    frame = store.annotations(task)
    return list(frame[frame["kind"] == "label"]["value"])
