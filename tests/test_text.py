"""nl.Text without a browser: values checked (text, non-blank, length bounds, what the store
keeps), the draft's edit recorded with each answer, the browser's encoding, agreement (mean
pairwise normalised similarity, checked against a plain dynamic-programming edit distance, with
its bootstrap interval), gold scoring and unanimity, exports (jsonl, sft — also of a session's
final labels), a calibration session with gold, adjudication and the dashboard."""

from __future__ import annotations

import json
import sys
import unicodedata
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nblabel as nl
from nblabel.agreement.text import edit_distance, normalize_text, text_similarity
from nblabel.core import registry
from nblabel.core.registry import ItemContext
from nblabel.kinds.text import TEXT
from nblabel.widgets.live import LiveAgreement

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402

SOURCES = [
    "Translate to French: The cat sleeps.",
    "Translate to French: Good morning!",
    "Summarise: The meeting moved to Tuesday because the room was booked.",
    "Fix the grammar: she go to school yesterday",
    "Translate to French: <script>alert(1)</script> & friends",
]
DRAFTS = [
    "Le chat dort.",
    "Bonjour !",
    "Meeting moved to Tuesday.",
    None,
    "<script>alert(1)</script> et amis",
]


@pytest.fixture
def df() -> pd.DataFrame:
    return pd.DataFrame(
        {"source": SOURCES, "mt": DRAFTS}, index=pd.Index([f"s{i}" for i in range(5)], name="sid")
    )


def widget(df: pd.DataFrame, store, annotator: str = "ana", **kwargs) -> nl.Text:
    options = {
        "text": "source",
        "draft": "mt",
        "task": "mt-post-edit",
        "annotator": annotator,
        "store": store,
    }
    options.update(kwargs)
    return nl.Text(df, **options)


def levenshtein(a: str, b: str) -> int:
    """The textbook dynamic programme (the reference the library's figures are checked on)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def reference_similarity(a: str, b: str) -> float:
    a, b = (" ".join(unicodedata.normalize("NFC", t).split()) for t in (a, b))
    longest = max(len(a), len(b))
    return 1.0 if longest == 0 else 1 - levenshtein(a, b) / longest


# ---------------------------------------------------------------------- values
def test_the_value_is_the_text_and_the_draft_edit_is_recorded(df: pd.DataFrame, tmp_path: Path) -> None:
    w = widget(df, tmp_path / "t.db")
    assert w.current == "s0" and w.draft("s0") == "Le chat dort." and w.draft("s3") is None
    w.annotate("s0", "Le chat dort.")  # the draft kept as is
    w.annotate("s1", "Bonjour !\n")  # kept with a new line
    w.annotate("s2", "La réunion est déplacée à mardi.")
    w.annotate("s3", "She went to school yesterday.")  # no draft
    assert w.labels.tolist()[:4] == ["Le chat dort.", "Bonjour !\n", "La réunion est déplacée à mardi.",
                                     "She went to school yesterday."]  # fmt: skip
    events = w.store.annotations("mt-post-edit").set_index("item_id")
    assert events.loc["s0", "suggestion"] == {"draft": "Le chat dort.", "edit_distance": 0, "similarity": 1.0}
    # the edit distance counts characters as typed; the similarity normalises whitespace
    assert events.loc["s1", "suggestion"] == {"draft": "Bonjour !", "edit_distance": 1, "similarity": 1.0}
    record = events.loc["s2", "suggestion"]
    assert record["edit_distance"] == levenshtein(
        "Meeting moved to Tuesday.", "La réunion est déplacée à mardi."
    )
    assert record["similarity"] == pytest.approx(
        reference_similarity("Meeting moved to Tuesday.", "La réunion est déplacée à mardi."), abs=1e-6
    )
    assert events.loc["s3", "suggestion"] is None
    stored = w.store.items("mt-post-edit")
    assert stored.loc["s0", "text"] == SOURCES[0] and stored.loc["s0", "draft"] == "Le chat dort."
    assert w.store.task("mt-post-edit")["kind"] == "text" and w.store.task("mt-post-edit")["labels"] == []
    w.close()


def test_bad_values_are_refused_naming_the_row_and_nothing_is_stored(
    df: pd.DataFrame, tmp_path: Path
) -> None:
    w = widget(df, tmp_path / "t.db", min_length=5, max_length=20)
    cases = [
        (42, TypeError, "row 's0': a written answer is a text"),
        (["a"], TypeError, "got list"),
        ("   \n\t", ValueError, "row 's0': the text is empty; write something, or skip the item"),
        ("abc", ValueError, "row 's0': the text has 3 characters; at least 5 are required"),
        ("  abcd  ", ValueError, "has 4 characters"),  # leading and trailing whitespace do not count
        ("x" * 21, ValueError, "the text has 21 characters; at most 20 are allowed (max_length)"),
        ("bad\x00text", ValueError, "NUL character"),
        ("lone \udc80 surrogate", ValueError, "lone surrogate"),
    ]
    for value, error, message in cases:
        with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
            w.annotate("s0", value)
    assert w.labels.isna().all() and len(w.store.annotations("mt-post-edit")) == 0
    w.annotate("s0", "😀😀😀😀😀")  # five code points, ten UTF-16 units
    w.annotate("s1", " " * 30 + "exactly twenty chars" + "\n" * 5)
    assert w.labels["s0"] == "😀😀😀😀😀"
    w.close()


def test_bad_arguments(df: pd.DataFrame, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    with pytest.raises(ValueError, match="min_length must be a non-negative int"):
        widget(df, db, min_length=-1)
    with pytest.raises(ValueError, match="max_length must be a non-negative int"):
        widget(df, db, max_length=2.5)
    with pytest.raises(ValueError, match="min_length=10 is larger than max_length=5"):
        widget(df, db, min_length=10, max_length=5)
    with pytest.raises(ValueError, match="max_length=0 allows no text"):
        widget(df, db, max_length=0)
    with pytest.raises(ValueError, match="over the longest text"):
        widget(df, db, max_length=10**9)
    with pytest.raises(ValueError, match="text= and draft= name the same column 'source'"):
        widget(df, db, draft="source")
    with pytest.raises(KeyError, match="nope"):
        widget(df, db, draft="nope")
    bad = df.assign(mt=["ok", 3.5, None, None, None])
    with pytest.raises(TypeError, match="draft column 'mt', row 's1': a draft is a text, got float"):
        widget(bad, db)
    bad = df.assign(mt=["ok", "nul \x00 here", None, None, None])
    with pytest.raises(ValueError, match="draft column 'mt', row 's1': the draft contains a NUL"):
        widget(bad, db)
    with pytest.raises(TypeError, match="unexpected keyword argument 'labels'"):
        widget(df, db, labels=["a"])
    assert not db.exists() or nl.Store(db).tasks() == []  # a refused widget registers no task


def test_the_browser_sends_and_gets_the_text(df: pd.DataFrame, tmp_path: Path) -> None:
    w = widget(df, tmp_path / "t.db", min_length=3)
    browser = Browser(w)
    window = browser.hello()
    first = next(i for i in window["items"] if i["key"] == "s0")
    assert first["payload"] == {"id": "s0", "text": SOURCES[0], "draft": "Le chat dort."}
    hostile = next(i for i in window["items"] if i["key"] == "s4")
    assert hostile["payload"]["text"] == SOURCES[4]  # sent as data; the browser sets it as text
    assert w._config["has_draft"] is True and w._config["min_length"] == 3 and w._config["labels"] == []
    browser.label("s0", "Le chat dort profondément.")
    assert w.labels["s0"] == "Le chat dort profondément."
    # a refused text comes back as an error for its seq, nothing stored
    browser.label("s1", "no")
    error = browser.out.last("error")
    assert "at least 3 are required" in error["message"] and error["seq"] == browser.seq
    browser.label("s1", {"text": "an object"})
    assert "must arrive as a text" in browser.out.last("error")["message"]
    assert w.labels["s1"] is None
    # shown again, the stored text comes back as the value
    window = browser.goto("s0")
    assert next(i for i in window["items"] if i["key"] == "s0")["value"] == "Le chat dort profondément."
    browser.undo()
    assert w.labels["s0"] is None
    w.close()


def test_without_a_draft_column(df: pd.DataFrame, tmp_path: Path) -> None:
    w = nl.Text(df, text="source", task="free", annotator="ana", store=tmp_path / "t.db")
    window = Browser(w).hello()
    assert "draft" not in window["items"][0]["payload"] and w._config["has_draft"] is False
    w.annotate("s0", "A free answer.")
    assert w.store.annotations("free")["suggestion"].iloc[0] is None
    assert "draft" not in w.store.items("free").columns
    w.close()


# ---------------------------------------------------------------------- the kind
def test_the_kind_checks_scores_and_describes_texts() -> None:
    kind = registry.for_task("text", {})
    assert kind is TEXT and isinstance(kind, registry.TaskKind)
    item = ItemContext("row 7", config={"min_length": 2, "max_length": 4})
    assert kind.check_value(" abcd ", item) == " abcd "  # stored as written
    with pytest.raises(ValueError, match="row 7: the text has 5 characters; at most 4"):
        kind.check_value("abcde", item)
    assert kind.check_gold("a much longer gold text", item) == "a much longer gold text"  # no bounds
    with pytest.raises(TypeError, match="row 7"):
        kind.check_gold(None, item)
    assert kind.describe("two\n\nlines   here ") == "two lines here"
    assert kind.label_counts("anything") == {}
    assert kind.gold_score("Le chat dort.", "Le  chat dort.\n") == 1.0  # whitespace normalised
    assert kind.gold_score("Le chat dort", "Le chat dort.") == pytest.approx(1 - 1 / 13)
    assert kind.gold_score("café", unicodedata.normalize("NFD", "café")) == 1.0  # NFC
    assert kind.gold_score(None, "x") == 0.0 and kind.gold_score("x", 3) == 0.0
    assert kind.values_agree("a  b\n", " a b") and not kind.values_agree("a b", "a c")
    assert not kind.values_agree("a", None)
    with pytest.raises(ValueError, match="nl.aggregate is not supported for text tasks"):
        kind.aggregation_scheme(None, {})


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("kitten", "sitting"),
        ("", "abc"),
        ("😀 emoji", "emoji 😀"),
        ("東京へ行く", "東京に行った"),
        ("same", "same"),
    ],
)
def test_similarity_and_edit_distance_match_the_textbook_definitions(a: str, b: str) -> None:
    assert edit_distance(a, b) == levenshtein(a, b)
    assert text_similarity(a, b) == pytest.approx(reference_similarity(a, b))
    assert normalize_text("  a \t b\n") == "a b"


# ---------------------------------------------------------------------- agreement
def three_annotators(store) -> dict[str, dict[str, str]]:
    df = pd.DataFrame({"source": [f"item {i}" for i in range(12)]}, index=pd.Index(range(12), name="n"))
    texts = {
        "ana": {i: f"The answer to item {i} is short." for i in range(12)},
        "ben": {
            i: f"The answer to item {i} is short." if i % 3 else f"Item {i}: a short answer."
            for i in range(12)
        },
        "cy": {i: f"the answer to item {i}  is short" for i in range(0, 12, 2)},  # half the items
    }
    for name, answers in texts.items():
        w = nl.Text(df, text="source", task="answers", annotator=name, store=store)
        for i, text in answers.items():
            w.annotate(i, text)
        w.close()
    return texts


def test_agreement_report_is_mean_pairwise_similarity_with_a_bootstrap_interval(store) -> None:
    texts = three_annotators(store)
    frame = store.annotations("answers")
    report = nl.agreement_report(frame, n_boot=300, seed=1)
    assert report.kind == "text" and report.reference == "others"
    assert list(report.index) == ["text_similarity", "text_identical"]
    pairs = [
        (texts[a][i], texts[b][i])
        for i in range(12)
        for a, b in combinations(sorted(texts), 2)
        if i in texts[a] and i in texts[b]
    ]
    expected = np.mean([reference_similarity(x, y) for x, y in pairs])
    row = report.loc["text_similarity"]
    assert row["value"] == pytest.approx(expected)
    assert row["ci_low"] <= row["value"] <= row["ci_high"] and row["ci_high"] - row["ci_low"] > 0
    assert row["items"] == 12 and row["annotators"] == 3 and row["reading"] == "n/a (not chance-corrected)"
    identical = np.mean([normalize_text(x) == normalize_text(y) for x, y in pairs])
    assert report.loc["text_identical", "value"] == pytest.approx(identical)
    again = nl.agreement_report(frame, n_boot=300, seed=1)
    assert again.loc["text_similarity", "ci_low"] == row["ci_low"]  # seeded
    # per annotator: with each other, and with the others' texts of the same items
    people = report.per_annotator
    ana_ben = np.mean([reference_similarity(texts["ana"][i], texts["ben"][i]) for i in range(12)])
    assert people.loc["ana", "similarity_with_ben"] == pytest.approx(ana_ben)
    assert people.loc["ben", "similarity_with_ana"] == pytest.approx(ana_ben)
    cy_pairs = [
        reference_similarity(texts["cy"][i], texts[o][i]) for i in range(0, 12, 2) for o in ("ana", "ben")
    ]
    assert people.loc["cy", "similarity_reference"] == pytest.approx(np.mean(cy_pairs))
    assert people.loc["cy", "n_reference"] == 12 and people.loc["cy", "items"] == 6
    assert people.loc["cy", "identical_reference"] == pytest.approx(np.mean([x == 1.0 for x in cy_pairs]))
    # disagreements: the items whose texts are not all the same (ben differs on every third item,
    # cy writes in lower case without a full stop)
    assert list(report.disagreements.index) == [0, 2, 3, 4, 6, 8, 9, 10]
    assert report.disagreements.loc[3, "cy"] is None and report.disagreements.loc[0, "n_ratings"] == 3
    assert report.per_label.empty


def test_gold_texts_and_a_single_annotator(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "t.db")
    texts = three_annotators(store)
    gold = {i: f"The answer to item {i} is short." for i in range(12)}
    report = nl.agreement_report(store.annotations("answers"), gold=pd.Series(gold), n_boot=0)
    assert report.reference == "gold" and np.isnan(report.loc["text_similarity", "ci_low"])
    ben = [reference_similarity(texts["ben"][i], gold[i]) for i in range(12)]
    assert report.per_annotator.loc["ben", "similarity_reference"] == pytest.approx(np.mean(ben))
    assert report.per_annotator.loc["ana", "identical_reference"] == 1.0
    named = nl.agreement_report(store.annotations("answers"), gold="ana", n_boot=0)  # an annotator as gold
    assert "ana" not in named.per_annotator.index
    one = store.annotations("answers")
    solo = nl.agreement_report(one[one["annotator"] == "ana"], n_boot=10)
    assert solo.loc["text_similarity", "reading"] == "undefined" and "two annotators" in solo.loc[
        "text_similarity", "note"]  # fmt: skip
    with pytest.raises(TypeError, match="a text task's value is a text"):
        nl.agreement_report(pd.DataFrame({"a": [1, 2], "b": [1, 3]}), kind="text")
    store.close()


def test_draft_edits_per_annotator(df: pd.DataFrame, tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "t.db")
    ana, ben = widget(df, store), widget(df, store, annotator="ben")
    for i, draft in enumerate(DRAFTS):
        ana.annotate(f"s{i}", draft or "Fixed.")  # keeps every draft
        ben.annotate(f"s{i}", (draft or "Fixed") + " Plus a sentence.")
    report = nl.agreement_report(store.annotations("mt-post-edit"), n_boot=0)
    people = report.per_annotator
    assert people.loc["ana", "edit_distance_draft"] == 0 and people.loc["ana", "kept_draft"] == 1.0
    assert people.loc["ben", "edit_distance_draft"] == len(" Plus a sentence.")  # over the 4 with a draft
    assert people.loc["ben", "kept_draft"] == 0.0
    expected = np.mean([reference_similarity(d, d + " Plus a sentence.") for d in DRAFTS if d])
    assert people.loc["ben", "similarity_draft"] == pytest.approx(expected, abs=1e-5)
    ana.close()
    ben.close()
    store.close()


# ---------------------------------------------------------------------- exports
def test_exports_jsonl_and_sft(df: pd.DataFrame, tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "t.db")
    ana, ben = widget(df, store), widget(df, store, annotator="ben")
    ana.annotate("s0", "Le chat dort.")
    ben.annotate("s0", "Le chat dort bien.")
    ben.annotate("s3", "She went to school yesterday.")
    ana.annotate("s4", "<script>alert(1)</script> & mes amis")
    ana.skip("s1")
    rows = [
        json.loads(x) for x in store.export("mt-post-edit", tmp_path / "t.jsonl").read_text().splitlines()
    ]
    assert [(r["item_id"], r["annotator"]) for r in rows] == [
        ("s0", "ana"),
        ("s0", "ben"),
        ("s3", "ben"),
        ("s4", "ana"),
    ]
    assert rows[1] == {
        "item_id": "s0", "annotator": "ben", "source": SOURCES[0], "draft": "Le chat dort.",
        "answer": "Le chat dort bien.", "edit_distance": 5, "created_at": rows[1]["created_at"],
    }  # fmt: skip
    assert rows[2]["draft"] is None and rows[2]["edit_distance"] is None
    assert rows[3]["answer"] == "<script>alert(1)</script> & mes amis"
    sft = store.export("mt-post-edit", tmp_path / "sft.jsonl", format="sft")
    records = [json.loads(x) for x in sft.read_text().splitlines()]
    assert records[0] == {"prompt": SOURCES[0], "completion": "Le chat dort."} and len(records) == 4
    datasets = pytest.importorskip("datasets")
    loaded = datasets.load_dataset("json", data_files=str(sft), split="train")
    assert loaded.column_names == ["prompt", "completion"] and loaded[1]["completion"] == "Le chat dort bien."
    # values= : one answer per item, checked as a gold text would be
    values = pd.DataFrame({"value": ["Final s0.", "Final s3."]}, index=pd.Index(["s0", "s3"], name="item_id"))
    given = [json.loads(x) for x in store.export("mt-post-edit", tmp_path / "f.jsonl", format="sft",
                                                  values=values).read_text().splitlines()]  # fmt: skip
    assert given == [
        {"prompt": SOURCES[0], "completion": "Final s0."},
        {"prompt": SOURCES[3], "completion": "Final s3."},
    ]
    per_item = [json.loads(x) for x in store.export("mt-post-edit", tmp_path / "g.jsonl", values=values)
                .read_text().splitlines()]  # fmt: skip
    assert "annotator" not in per_item[0] and per_item[0]["edit_distance"] == levenshtein(
        "Le chat dort.", "Final s0."
    )
    with pytest.raises(TypeError, match="values= item 's0'"):
        store.export("mt-post-edit", tmp_path / "h.jsonl", format="sft", values=values.assign(value=[3, "x"]))
    with pytest.raises(ValueError, match="format 'dpo' is not one of"):
        store.export("mt-post-edit", tmp_path / "x.jsonl", format="dpo")
    csv = pd.read_csv(store.export("mt-post-edit", tmp_path / "t.csv", format="csv"))
    assert list(csv["value"]) == ["Le chat dort.", "Le chat dort bien.", "She went to school yesterday.",
                                  "<script>alert(1)</script> & mes amis"]  # fmt: skip
    ana.close()
    ben.close()
    store.close()


# ---------------------------------------------------------------------- sessions, adjudication, dashboard
def session_data(n: int = 12, n_gold: int = 6) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": [f"Source sentence number {i}." for i in range(n + n_gold)],
            "mt": [f"Draft of sentence {i}." for i in range(n + n_gold)],
            "answer": [None] * n + [f"The reference text of sentence {i}." for i in range(n, n + n_gold)],
        },
        index=pd.Index(range(500, 500 + n + n_gold), name="sid"),
    )


def text_session(store, **kwargs) -> nl.Session:
    options = dict(widget=nl.Text, data=session_data(), annotators=["ana", "ben", "cy"], overlap=2,
                   gold="answer", text="source", draft="mt", min_length=5)  # fmt: skip
    options.update(kwargs)
    return nl.Session(store, "post-edit", **options)


def test_a_calibration_session_scores_gold_by_similarity(store) -> None:
    s = text_session(store, calibration=3, pass_mark=0.8, feedback=True, gold_rate=0.0)
    ana = s.labeler("ana")
    assert ana.session_status["phase"] == "calibration"
    first = ana.current
    gold = s.gold[str(first)]
    ana.annotate(first, gold.replace("reference", "referense"))  # one letter off: partial credit
    feedback = ana._item(ana.items.position(first), [], include_payload=True)["feedback"]
    assert feedback["correct"] is False and feedback["score"] == pytest.approx(text_similarity(
        gold.replace("reference", "referense"), gold), abs=1e-4)  # fmt: skip
    assert feedback["gold"] == gold
    while ana.session_status["phase"] == "calibration":
        ana.annotate(ana.current, s.gold[str(ana.current)] + "  ")  # right: whitespace aside
    assert ana.session_status["phase"] == "production"
    ben = s.labeler("ben")
    while ben.session_status["phase"] == "calibration":
        ben.annotate(ben.current, "Something else entirely, nothing like it.")
    assert ben.session_status["phase"] != "production"  # under the pass mark: fresh gold items


def test_unanimity_adjudication_and_final_labels(store, tmp_path: Path) -> None:
    s = text_session(store, gold_rate=0.0)
    for name in ("ana", "ben", "cy"):
        w = s.labeler(name)
        while w.current is not None:
            i = int(w.current)
            text = f"Answer {i}."
            if name == "cy" and i % 2:
                text = f"Answer {i}, says cy."
            w.annotate(
                w.current, text if name != "ben" else text.replace(" ", "  ") + "\n"
            )  # whitespace only
    final = s.final_labels()
    assigned = s.assignments()["annotators"]
    split = sorted(i for i, who in assigned.items() if "cy" in who and i % 2)
    agreed = sorted(i for i, who in assigned.items() if not ("cy" in who and i % 2))
    assert set(final.loc[agreed, "status"]) == {"unanimous"} and set(final.loc[split, "status"]) == {
        "unresolved"
    }
    adj = nl.Adjudicate(s, adjudicator="boss")
    assert adj.queue.size == len(split) and type(adj).__name__ == "AdjudicateText"
    b = Browser(adj)
    window = b.hello()
    key = window["current"]
    review = next(i for i in window["items"] if i["key"] == key)["review"]
    cy = next(r for r in review if r["annotator"] == "cy")
    assert cy["value"] == f"Answer {key}, says cy." and cy["text"] == cy["value"]
    b.send(
        {"type": "label", "key": key, "value": cy["value"], "comment": "cy is right"}, tracked=True
    )  # pick
    second = b.out.last("window")["current"]
    b.send({"type": "label", "key": second, "value": "Written anew by the adjudicator."}, tracked=True)
    final = s.final_labels()
    assert final.loc[int(key), "value"] == f"Answer {key}, says cy." and final.loc[
        int(key), "agreed_with"
    ] == ["cy"]
    assert final.loc[int(second), "value"] == "Written anew by the adjudicator."
    assert final.loc[int(second), "status"] == "adjudicated" and final.loc[int(second), "agreed_with"] == []
    out = s.export_final(tmp_path / "final.jsonl", format="sft")
    records = [json.loads(x) for x in out.read_text().splitlines()]
    by_prompt = {r["prompt"]: r["completion"] for r in records}
    assert by_prompt[f"Source sentence number {int(second) - 500}."] == "Written anew by the adjudicator."
    assert len(records) == int(final["value"].notna().sum())
    adj.close()


def test_the_dashboard_shows_similarity_and_a_strip_of_bands(store) -> None:
    texts = three_annotators(store)
    live = LiveAgreement(store, "answers")
    live.read()
    snap = live.snapshot()
    assert snap["kind"] == "text" and snap["reference"] == "others" and snap["agreement_name"] == "similarity"
    assert [c["key"] for c in snap["coefficients"]] == ["text_similarity", "text_identical"]
    report = nl.agreement_report(store.annotations("answers"), n_boot=0)
    assert snap["coefficients"][0]["value"] == pytest.approx(report.loc["text_similarity", "value"])
    assert snap["per_label"] == [] and snap["label_columns"] == [] and snap["disagreements"] == 8
    ana = next(r for r in snap["per_annotator"] if r["annotator"] == "ana")
    assert ana["agreement"] == pytest.approx(report.per_annotator.loc["ana", "similarity_reference"])
    strip = snap["confusion"]
    assert strip["row_categories"] == ["items written by both"] and strip["categories"][0] == "identical"
    assert sum(strip["counts"][0]) == strip["total"] == 12  # ana and ben share the most items
    assert strip["counts"][0][0] == strip["agree"] == 8  # identical where ben wrote what ana did
    assert [c["id"] for c in strip["column_choices"]] == ["annotator:ana", "annotator:ben", "annotator:cy"]
    assert live.intervals(n_boot=50)["text_similarity"][0] <= snap["coefficients"][0]["value"]
    band = int(np.flatnonzero(strip["counts"][0][1:])[0]) + 1
    items = live.cell_items("annotator:ana", "annotator:ben", 0, band)
    assert list(items.index) == [0, 3, 6, 9] and list(items["ben"]) == [texts["ben"][i] for i in (0, 3, 6, 9)]
    assert items["text"].iloc[0] == "item 0" and "similarity" in items.columns
    with pytest.raises(ValueError, match="texts have no majority"):
        live.prepared().majority(None)
    dash = nl.Dashboard(store, "answers", n_boot=0)
    try:
        dash.refresh()
        listed = dash.cell_items("items written by both", strip["categories"][band])
        assert listed.index.tolist() == [0, 3, 6, 9]
        pair = {"rows": "annotator:ana", "columns": "annotator:ben"}
        reply = dash._cell_reply({"type": "cell", "req": "r1", **pair, "row": 0, "col": band})
        assert reply["row"] == "items written by both" and reply["total"] == 4 and "error" not in reply
        assert "error" in dash._cell_reply({"type": "cell", "req": "r2", **pair, "row": 1, "col": 0})
    finally:
        dash.close()


def test_a_session_dashboard_of_a_text_task(store) -> None:
    s = text_session(store, gold_rate=0.5)
    for name in ("ana", "ben"):
        w = s.labeler(name)
        for _ in range(6):
            key = str(w.current)
            w.annotate(w.current, s.gold.get(key, f"Answer {w.current}."))
    dash = s.dashboard(n_boot=0)
    try:
        dash.refresh()
        snap = dash._snapshot
        assert snap["kind"] == "text" and not snap.get("empty")
        gold = {r["annotator"]: r for r in snap["per_annotator"]}
        assert gold["ana"]["gold_accuracy"] == 1.0
    finally:
        dash.close()
