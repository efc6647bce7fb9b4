"""Relations between spans (``Spans(..., relations=[...])``) without a browser: the kind's value
checks, the widget's options and browser encoding, gold scoring, the agreement report (relation F1
over exactly matched spans, worked by hand), the dashboard's live view, the exports (JSONL, spaCy
loaded back, BIO/CoNLL without relations), and a calibration session and adjudication through
the real path. Spans without ``relations=`` keep their plain list value (tests/test_spans.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nblabel as nl
from nblabel.agreement.gold import gold_score, values_agree
from nblabel.core import registry
from nblabel.core.offsets import Offsets
from nblabel.core.registry import ItemContext
from nblabel.kinds.relations import RELATIONS

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402

LABELS = ["PER", "ORG", "LOC"]
RELS = ["works_for", "located_in"]
CONFIG = {"overlap": False, "relations": RELS}

T1 = "Ada Lovelace works for Acme in London."
T2 = "Bob lives in Paris."
T3 = "Cy met Dee at Initech."
ADA, ACME, LONDON = (0, 12, "PER"), (23, 27, "ORG"), (31, 37, "LOC")
BOB, PARIS = (0, 3, "PER"), (13, 18, "LOC")
CY, DEE, DE, INITECH = (0, 2, "PER"), (7, 10, "PER"), (7, 9, "PER"), (14, 21, "ORG")
TEXTS = pd.DataFrame({"text": [T1, T2, T3]}, index=pd.Index([1, 2, 3], name="doc"))


def span(s: tuple) -> dict:
    return {"start": s[0], "end": s[1], "label": s[2]}


def value(spans: list[tuple], relations: list[tuple] = ()) -> dict:
    """A value in stored form (spans sorted by position, as given here)."""
    return {
        "spans": [span(s) for s in spans],
        "relations": [{"head": h, "child": c, "label": r} for h, c, r in relations],
    }


def check(v, text: str = T1, config: dict = CONFIG):
    return registry.for_task("spans", config).check_value(v, ItemContext("row 7", LABELS, config, text=text))


# ---------------------------------------------------------------------- the kind
def test_the_config_chooses_the_variant() -> None:
    assert registry.for_task("spans", CONFIG) is RELATIONS
    assert registry.for_task("spans", {"overlap": False}) is registry.get("spans")
    assert RELATIONS.name == "spans" and "relations" in RELATIONS.description


def test_relations_are_reindexed_to_the_stored_span_order() -> None:
    given_ = {
        "spans": [span(LONDON), span(ADA), span(ACME), span(ADA)],  # unsorted, Ada twice
        "relations": [{"head": 1, "child": 2, "label": "works_for"}, (2, 0, "located_in")],
    }
    assert check(given_) == value([ADA, ACME, LONDON], [(0, 1, "works_for"), (1, 2, "located_in")])
    # a plain list of spans is a value with no relations; numpy integers are indices too
    assert check([span(ADA)]) == value([ADA])
    assert check(
        {"spans": [span(ADA), span(ACME)], "relations": [(np.int64(0), np.int64(1), "works_for")]}
    ) == (value([ADA, ACME], [(0, 1, "works_for")]))
    # the same relation both ways, or two labels between one pair: different relations
    both = check(
        {
            "spans": [span(ADA), span(ACME)],
            "relations": [(1, 0, "works_for"), (0, 1, "works_for"), (0, 1, "located_in")],
        }
    )
    assert both["relations"] == [
        {"head": 0, "child": 1, "label": "works_for"},
        {"head": 0, "child": 1, "label": "located_in"},
        {"head": 1, "child": 0, "label": "works_for"},
    ]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"spans": [span(ADA)], "relations": [(0, 1, "works_for")]},
            r"row 7: relation .*child must be the index of one of the 1 span",
        ),
        ({"spans": [span(ADA), span(ACME)], "relations": [(0, -1, "works_for")]}, "child must be the index"),
        ({"spans": [span(ADA), span(ACME)], "relations": [(True, 1, "works_for")]}, "head must be the index"),
        (
            {"spans": [span(ADA), span(ACME)], "relations": [(0, 1, "born_in")]},
            r"label 'born_in', not one of \['works_for'",
        ),
        ({"spans": [span(ADA), span(ACME)], "relations": [(0, 0, "works_for")]}, "links a span to itself"),
        (
            {
                "spans": [span(ADA), span(ADA), span(ACME)],
                "relations": [(0, 2, "works_for"), (1, 2, "works_for")],
            },
            "is given twice",
        ),
        (
            {
                "spans": [span(ADA), span(ACME)],
                "relations": [(0, 1, "works_for"), {"head": 0, "child": 1, "label": "works_for"}],
            },
            "is given twice",
        ),
        ({"spans": [span(ADA)], "relations": [{"head": 0, "label": "works_for"}]}, "has no 'child'"),
        ({"spans": [span(ADA)], "relations": "works_for"}, "relations must be a list"),
        ({"spans": [span(ADA)], "links": []}, r"not \['links'\]"),
        ({"spans": [{"start": 0, "end": 99, "label": "PER"}]}, "row 7: span .* outside the text"),
        ("Ada", "a value must be"),
    ],
)
def test_bad_values_name_the_row_and_the_relation(bad, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check(bad)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_the_stored_value_does_not_depend_on_the_order_given(data) -> None:
    text = "w0 w1 w2 w3 w4 w5 w6 w7"
    words = [(i * 3, i * 3 + 2) for i in range(8)]
    chosen = data.draw(st.lists(st.sampled_from(range(8)), min_size=2, max_size=8, unique=True))
    spans = [(*words[i], LABELS[i % 3]) for i in chosen]
    pairs = data.draw(
        st.lists(
            st.tuples(
                st.sampled_from(range(len(spans))), st.sampled_from(range(len(spans))), st.sampled_from(RELS)
            ),
            max_size=10,
            unique=True,
        )
    )
    pairs = [p for p in pairs if p[0] != p[1]]
    order = data.draw(st.permutations(range(len(spans))))
    where = {old: new for new, old in enumerate(order)}
    shuffled = {
        "spans": [span(spans[i]) for i in order],
        "relations": [(where[h], where[c], r) for h, c, r in pairs],
    }
    stored = check({"spans": [span(s) for s in spans], "relations": pairs}, text)
    assert check(shuffled, text) == stored
    # every relation links the same two spans as given
    linked = {
        ((s := stored["spans"])[r["head"]]["start"], s[r["child"]]["start"], r["label"])
        for r in stored["relations"]
    }
    assert linked == {(spans[h][0], spans[c][0], r) for h, c, r in pairs}


def test_gold_score_is_f1_over_spans_and_relations_together() -> None:
    ana = value([ADA, ACME, LONDON], [(0, 1, "works_for"), (1, 2, "located_in")])
    bob = value([ADA, ACME, LONDON], [(0, 1, "works_for"), (0, 2, "located_in")])
    # spans 3 of 3+3, relations 1 of 2+2: 2·4 / 10
    assert RELATIONS.gold_score(bob, ana) == pytest.approx(0.8)
    assert RELATIONS.gold_score(ana, ana) == 1.0
    assert RELATIONS.gold_score(value([]), value([])) == 1.0
    assert RELATIONS.gold_score(value([]), ana) == 0.0
    # without relations it is the exact span F1 of a spans task
    assert RELATIONS.gold_score(value([ADA]), value([ADA, ACME])) == pytest.approx(
        registry.get("spans").gold_score([span(ADA)], [span(ADA), span(ACME)])
    )
    assert not RELATIONS.values_agree(ana, bob) and RELATIONS.values_agree(ana, dict(ana))
    # sessions and adjudication look the kind up by the task's name: the same answers
    assert gold_score("spans", bob, ana) == pytest.approx(0.8)
    assert values_agree("spans", ana, dict(ana)) and not values_agree("spans", ana, bob)
    shown = {"text": T1}
    assert (
        RELATIONS.describe(ana, shown)
        == registry.get("spans").describe(ana, shown)
        == (
            "“Ada Lovelace” PER · “Acme” ORG · “London” LOC; “Ada Lovelace” —works_for→ “Acme” · "
            "“Acme” —located_in→ “London”"
        )
    )
    assert RELATIONS.label_counts(ana) == {"PER": 1, "ORG": 1, "LOC": 1}


# ---------------------------------------------------------------------- the widget
def test_relations_option_is_checked_and_recorded(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    for bad, error, match in [
        ([], ValueError, "at least one relation label"),
        ("works_for", TypeError, "must be a list"),
        (["works_for", "works_for"], ValueError, r"given twice: \['works_for'\]"),
        (["works_for", ""], TypeError, "non-empty strings"),
        ([1], TypeError, "non-empty strings"),
    ]:
        with pytest.raises(error, match=match):
            nl.Spans(TEXTS, text="text", labels=LABELS, relations=bad, task="r", store=path)
    assert nl.Store(path).tasks().empty  # a refused widget registers no task
    w = nl.Spans(TEXTS, text="text", labels=LABELS, relations=RELS, task="r", annotator="ana", store=path)
    assert w.store.task("r").config["relations"] == RELS
    assert w._config["relations"] == RELS and w.task_kind is RELATIONS
    # re-opened with other relation labels, or none: refused either way
    with pytest.raises(ValueError, match=r"created with relations=\['works_for', 'located_in'\]"):
        nl.Spans(TEXTS, text="text", labels=LABELS, relations=["works_for"], task="r", store=path)
    with pytest.raises(ValueError, match="created with relations=.*re-opened with relations=None"):
        nl.Spans(TEXTS, text="text", labels=LABELS, task="r", store=path)
    plain = nl.Spans(TEXTS, text="text", labels=LABELS, task="p", annotator="ana", store=path)
    assert "relations" not in plain.store.task("p").config  # spans without relations: as before
    plain.annotate(1, [span(ADA)])
    assert plain.labels[1] == [span(ADA)]
    with pytest.raises(
        ValueError, match="created with relations=None; it cannot be re-opened with relations="
    ):
        nl.Spans(TEXTS, text="text", labels=LABELS, relations=RELS, task="p", store=path)


def test_browser_encoding_both_ways_in_utf16(tmp_path: Path) -> None:
    text = "Meet 👩‍👩‍👧 Dana of Acme in מרכז העיר."
    df = pd.DataFrame({"text": [text]})
    w = nl.Spans(
        df, text="text", labels=LABELS, relations=RELS, task="r", annotator="ana", store=tmp_path / "r.db"
    )
    offsets = Offsets(text)

    def utf16(word: str, label: int) -> list[int]:
        i = text.index(word)
        return [offsets.to_utf16(i), offsets.to_utf16(i + len(word)), label]

    browser = Browser(w)
    browser.hello()
    payload = {
        "spans": [utf16("Dana", 0), utf16("Acme", 1), utf16("מרכז העיר", 2)],
        "relations": [[0, 1, 0], [1, 2, 1]],
    }
    window = browser.label("0", payload)
    stored = w.labels[0]
    assert [text[s["start"] : s["end"]] for s in stored["spans"]] == ["Dana", "Acme", "מרכז העיר"]
    assert stored["relations"] == [
        {"head": 0, "child": 1, "label": "works_for"},
        {"head": 1, "child": 2, "label": "located_in"},
    ]
    assert browser.out.acked() == [1]
    window = browser.goto("0")
    assert next(i for i in window["items"] if i["key"] == "0")["value"] == payload
    for bad, message in [
        ([utf16("Dana", 0)], "must arrive as {spans, relations}"),
        ({"spans": [utf16("Dana", 0)], "relations": [[0, 0, 5]]}, "relation label index 5"),
        ({"spans": [utf16("Dana", 0)], "relations": [[0, "1", 0]]}, "bad relation"),
        ({"spans": [utf16("Dana", 0), utf16("Acme", 1)], "relations": [[0, 0, 0]]}, "links a span to itself"),
    ]:
        with pytest.raises(ValueError, match=message):
            w._value_from_browser(bad, 0)
    # a stored span the browser cannot draw (the text changed since) takes its relations with it
    drawn = w._value_to_browser(
        value([ADA, (20, 90, "ORG"), (5, 9, "LOC")], [(0, 1, "works_for"), (0, 2, "located_in")]), 0
    )
    assert drawn["relations"] == [[0, 1, 1]] and len(drawn["spans"]) == 2


def test_suggested_spans_work_with_relations(tmp_path: Path) -> None:
    df = pd.DataFrame({"text": [T1, T2], "model": [[span(ADA), span(ACME)], None]})
    w = nl.Spans(
        df,
        text="text",
        labels=LABELS,
        relations=RELS,
        task="r",
        annotator="ana",
        store=tmp_path / "r.db",
        suggestions="model",
    )
    assert w._item(0, [], include_payload=True)["payload"]["suggestion"] == [[0, 12, 0], [23, 27, 1]]
    w.annotate(0, value([ADA, LONDON], [(0, 1, "located_in")]))
    record = w.store.annotations("r")["suggestion"].iloc[0]
    assert (record["accepted"], record["removed"]) == ([0], [1])
    assert w._progress["counts"] == [1, 0, 1]  # spans per label
    bad = df.assign(model=[{"spans": [span(ADA)], "relations": []}, None])
    with pytest.raises(ValueError, match="suggestions column, row 0: suggestions are lists of spans"):
        nl.Spans(
            bad, text="text", labels=LABELS, relations=RELS, task="r2", store=w.store, suggestions="model"
        )


# ---------------------------------------------------------------------- agreement
ANA = {
    1: value([ADA, ACME, LONDON], [(0, 1, "works_for"), (1, 2, "located_in")]),
    2: value([BOB, PARIS], [(0, 1, "located_in")]),
    3: value([CY, DEE, INITECH], [(1, 2, "works_for")]),
}
BEN = {
    1: value([ADA, ACME, LONDON], [(0, 1, "works_for"), (0, 2, "located_in")]),  # another head
    2: value([BOB, PARIS], [(0, 1, "works_for")]),  # another label
    3: value([CY, DE, INITECH], [(1, 2, "works_for")]),  # the head span's bounds differ
}


@pytest.fixture
def labeled(store: nl.Store) -> nl.Store:
    for name, values in (("ana", ANA), ("ben", BEN)):
        w = nl.Spans(
            TEXTS, text="text", labels=LABELS, relations=RELS, task="rel", annotator=name, store=store
        )
        for item, v in values.items():
            w.annotate(item, v)
    return store


def test_relation_report_on_a_worked_example(labeled: nl.Store) -> None:
    report = nl.agreement_report(labeled.annotations("rel"), n_boot=200, seed=1)
    assert report.kind == "spans"
    # relations 4 (ana) and 4 (ben); matched: item 1 Ada→Acme works_for only -> 2·1/8
    assert report.loc["relation_f1", "value"] == pytest.approx(0.25)
    # any label: item 2 Bob→Paris matches too -> 2·2/8
    assert report.loc["relation_f1_any_label", "value"] == pytest.approx(0.5)
    # among spans both marked: item 3's relation (Dee vs De) is out of both -> 2·1/(3+3)
    assert report.loc["relation_f1_shared_spans", "value"] == pytest.approx(1 / 3)
    # spans: 7 of 8+8 exact
    assert report.loc["span_f1_exact", "value"] == pytest.approx(14 / 16)
    low, high = report.loc["relation_f1", ["ci_low", "ci_high"]]
    assert low <= 0.25 <= high and report.loc["relation_f1", "items"] == 3
    assert report.loc["relation_f1", "reading"] == "n/a (not chance-corrected)"
    per_label = report.relations_per_label
    assert list(per_label.index) == RELS
    assert per_label.loc["works_for", "count"] == 5 and per_label.loc["works_for", "f1"] == pytest.approx(
        2 / 5
    )
    assert per_label.loc["located_in", "count"] == 3 and per_label.loc["located_in", "f1"] == 0.0
    pair = report.relations_per_pair.iloc[0]
    assert (
        pair["annotator_a"],
        pair["annotator_b"],
        pair["items"],
        pair["relations_a"],
        pair["matched"],
    ) == ("ana", "ben", 3, 4, 1)
    assert pair["relation_f1"] == pytest.approx(0.25) and pair["span_f1_exact"] == pytest.approx(0.875)
    people = report.per_annotator
    assert people.loc["ana", "relation_f1_reference"] == pytest.approx(0.25)
    # spans and relations together against the other annotator: 2·(7+1) / (8+4+8+4)
    assert people.loc["ben", "overall_f1_reference"] == pytest.approx(16 / 24)
    # item 2 differs in its relation only; its agreement: spans 2 of 2+2, relations 0 of 1+1
    assert list(report.disagreements.index) == [1, 2, 3]
    assert report.disagreements.loc[2, "agreement"] == pytest.approx(4 / 6)
    assert report.disagreements.loc[2, "ben"] == BEN[2]
    # the report's figure is the public function's on the same values
    ana, ben = pd.Series(ANA), pd.Series(BEN)
    assert nl.agreement.relation_agreement(ana, ben)["f1"] == pytest.approx(0.25)
    assert nl.agreement.relation_agreement(ana, ben, match_label=False)["f1"] == pytest.approx(0.5)
    assert nl.agreement.relation_agreement(ANA[1], BEN[1])["tp"] == 1
    # values as given (relations as triples, spans in any order) read the same
    given = {
        "spans": [span(LONDON), span(ACME), span(ADA)],
        "relations": [(2, 1, "works_for"), (2, 0, "located_in")],
    }
    assert nl.agreement.relation_agreement(BEN[1], given)["f1"] == 1.0
    with pytest.raises(ValueError, match="points outside the value's 1 span"):
        nl.agreement.relation_agreement({"spans": [span(ADA)], "relations": [(0, 3, "works_for")]}, BEN[1])


def test_relation_report_against_gold(labeled: nl.Store) -> None:
    frame = labeled.annotations("rel")
    report = nl.agreement_report(frame, gold="ana", n_boot=0)
    assert report.per_annotator.index.tolist() == ["ben"]
    assert report.per_annotator.loc["ben", "reference"] == "gold"
    assert report.per_annotator.loc["ben", "relation_f1_reference"] == pytest.approx(0.25)
    gold = pd.Series({1: BEN[1], 2: BEN[2], 3: BEN[3]})
    report = nl.agreement_report(frame, gold=gold, n_boot=0)
    assert report.per_annotator.loc["ben", "relation_f1_reference"] == 1.0
    assert report.per_annotator.loc["ana", "overall_f1_reference"] == pytest.approx(16 / 24)
    one = frame[frame["annotator"] == "ana"]
    assert nl.agreement_report(one, n_boot=0).loc["relation_f1", "reading"] == "undefined"


def test_span_confusion_plot_of_a_task_with_relations(labeled: nl.Store) -> None:
    fig = nl.plot_span_confusion(labeled.annotations("rel"), "ana", "ben", labels=LABELS)
    # every span matched by overlap with the same label (Dee ~ De included)
    assert fig.confusion.sum() == 8 and np.trace(fig.confusion[:-1, :-1]) == 8


def test_dashboard_shows_relation_f1_per_label_and_pair(labeled: nl.Store) -> None:
    dash = nl.Dashboard(labeled, task="rel", live=False, n_boot=20)
    try:
        assert dash._status["state"] == "live", dash._status
        snap = dash._snapshot
        rows = {row["key"]: row for row in snap["coefficients"]}
        assert rows["relation_f1"]["value"] == pytest.approx(0.25)
        assert rows["relation_f1:ana|ben"]["value"] == pytest.approx(0.25)
        assert rows["relation_f1:ana|ben"]["name"] == "relation F1, ana and ben"
        assert rows["relation_f1"]["ci"][0] is not None  # the intervals followed
        assert snap["agreement_name"] == "span + relation F1"
        assert [p["agreement"] for p in snap["per_annotator"]] == pytest.approx([16 / 24, 16 / 24])
        labels = {row["label"]: row for row in snap["per_label"]}
        assert labels["→ works_for"]["count"] == 5 and labels["→ works_for"]["f1_exact"] == pytest.approx(0.4)
        assert labels["PER"]["count"] == 8
        # the confusion of span labels, and the items behind a cell with their relations
        assert snap["confusion"]["categories"] == [*LABELS, "(none)"]
        items = dash.cell_items("PER", "PER")
        assert "“Ada Lovelace” —works_for→ “Acme”" in items.loc[1, "ana"]
    finally:
        dash.close()


# ---------------------------------------------------------------------- exports
def test_export_jsonl_keeps_relations_and_bio_drops_them(labeled: nl.Store, tmp_path: Path) -> None:
    path = labeled.export("rel", tmp_path / "rel.jsonl", format="jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    first = rows[0]
    assert (first["item_id"], first["annotator"], first["text"]) == (1, "ana", T1)
    linked = [
        (
            first["text"][first["spans"][r["head"]]["start"] : first["spans"][r["head"]]["end"]],
            r["label"],
            first["text"][first["spans"][r["child"]]["start"] : first["spans"][r["child"]]["end"]],
        )
        for r in first["relations"]
    ]
    assert linked == [("Ada Lovelace", "works_for", "Acme"), ("Acme", "located_in", "London")]
    bio = labeled.export("rel", tmp_path / "rel.bio", format="bio").read_text(encoding="utf-8")
    assert bio.split("\n\n")[0].splitlines()[:2] == ["Ada\tB-PER", "Lovelace\tI-PER"]
    conll = labeled.export("rel", tmp_path / "rel.conll", format="conll").read_text(encoding="utf-8")
    assert conll.count("-DOCSTART-") == 6
    # one value per item (final labels) is checked and written with its relations
    final = pd.DataFrame({"value": [ANA[1]]}, index=pd.Index([1], name="item_id"))
    one = labeled.export("rel", tmp_path / "final.jsonl", format="jsonl", values=final).read_text(
        encoding="utf-8"
    )
    assert json.loads(one)["relations"] == ANA[1]["relations"]
    bad = pd.DataFrame({"value": [{"spans": [span(ADA)], "relations": [(0, 0, "works_for")]}]}, index=[1])
    with pytest.raises(ValueError, match="values= item 1: relation .* links a span to itself"):
        labeled.export("rel", tmp_path / "bad.jsonl", format="jsonl", values=bad)


def test_export_spacy_keeps_relations(labeled: nl.Store, tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import Doc, DocBin

    path = labeled.export("rel", tmp_path / "rel.spacy", format="spacy")
    nlp = spacy.blank("xx")
    docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    assert [(d.user_data["item_id"], d.user_data["annotator"]) for d in docs][:2] == [(1, "ana"), (1, "ben")]
    doc = docs[0]
    spans = doc.spans["sc"]
    linked = [(spans[r["head"]].text, r["label"], spans[r["child"]].text) for r in doc.user_data["relations"]]
    assert linked == [("Ada Lovelace", "works_for", "Acme"), ("Acme", "located_in", "London")]
    # doc._.rel as spaCy's rel_component tutorial reads it: (head start token, child start token)
    if not Doc.has_extension("rel"):
        Doc.set_extension("rel", default={})
    rel = doc._.rel
    ada, acme, london = (s.start for s in spans)
    assert rel[(ada, acme)] == {"works_for": 1.0, "located_in": 0.0}
    assert rel[(acme, london)] == {"works_for": 0.0, "located_in": 1.0}
    assert rel[(acme, ada)] == {"works_for": 0.0, "located_in": 0.0}
    assert len(rel) == 3 * 2  # every ordered pair of distinct spans
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Ada Lovelace", "PER"),
        ("Acme", "ORG"),
        ("London", "LOC"),
    ]


def test_export_spacy_warns_about_a_relation_whose_span_covers_no_token(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    df = pd.DataFrame({"text": ["Ada Acme"]})
    w = nl.Spans(
        df, text="text", labels=LABELS, relations=RELS, task="r", annotator="a", store=tmp_path / "r.db"
    )
    w.annotate(
        0, value([(0, 3, "PER"), (3, 4, "ORG"), (4, 8, "ORG")], [(0, 1, "works_for"), (0, 2, "works_for")])
    )
    with pytest.warns(
        UserWarning, match="item 0 \\(a\\): 1 relation\\(s\\) link a span that covers no token"
    ):
        path = w.store.export("r", tmp_path / "r.spacy", format="spacy")
    doc = next(DocBin().from_disk(path).get_docs(spacy.blank("xx").vocab))
    assert [s.text for s in doc.spans["sc"]] == ["Ada", "Acme"]  # the space alone is left out
    assert list(doc.user_data["relations"]) == [{"head": 0, "child": 1, "label": "works_for"}]


# ---------------------------------------------------------------------- sessions and adjudication
def test_calibration_session_scores_gold_with_spans_and_relations(tmp_path: Path) -> None:
    gold = value([ADA, ACME, LONDON], [(0, 1, "works_for"), (1, 2, "located_in")])
    df = pd.DataFrame({"text": [T2, T3, T1], "gold": [None, None, gold]})
    s = nl.Session(
        tmp_path / "s.db",
        "rel",
        widget=nl.Spans,
        data=df,
        annotators=["a", "b"],
        overlap=2,
        gold="gold",
        calibration=1,
        pass_mark=0.9,
        feedback=True,
        text="text",
        labels=LABELS,
        relations=RELS,
    )
    w = s.labeler("a")
    sent = Browser(w).out
    assert w.current == 2 and w.task_kind is RELATIONS
    # the spans right, one relation missing: 2·(3+1) / (3+1+3+2) = 8/9 < 0.9
    w.annotate(2, value([ADA, ACME, LONDON], [(0, 1, "works_for")]))
    assert w._session["phase"] == "blocked"
    feedback = sent.last("feedback")
    assert feedback["correct"] is False and feedback["score"] == pytest.approx(8 / 9, abs=1e-4)
    assert "“Acme” —located_in→ “London”" in feedback["gold"]
    wb = s.labeler("b")
    wb.annotate(
        2,
        {
            "spans": [span(LONDON), span(ADA), span(ACME)],
            "relations": [(1, 2, "works_for"), (2, 0, "located_in")],
        },
    )
    assert wb._session["phase"] == "production"
    accuracy = s.gold_accuracy()  # the session's table, scored by the kind the task records
    assert accuracy.loc["b", "gold_accuracy"] == 1.0
    assert accuracy.loc["a", "gold_accuracy"] == pytest.approx(8 / 9) and bool(accuracy.loc["a", "flagged"])


def test_adjudication_of_relations_through_the_browser(tmp_path: Path) -> None:
    texts = pd.DataFrame({"text": [T1, T2]})
    s = nl.Session(
        tmp_path / "s.db",
        "rel",
        widget=nl.Spans,
        data=texts,
        annotators=["ana", "ben"],
        overlap=2,
        text="text",
        labels=LABELS,
        relations=RELS,
    )
    agreed = value([ADA, ACME], [(0, 1, "works_for")])
    for name, second in (("ana", ANA[2]), ("ben", BEN[2])):  # item 1 differs in a relation label only
        w = s.labeler(name)
        w.annotate(0, agreed)
        w.annotate(1, second)
    adj = nl.Adjudicate(s, adjudicator="boss")
    b = Browser(adj)
    window = b.hello()
    assert window["current"] == "1"  # only the disagreement: item 0 is unanimous
    review = next(i for i in window["items"] if i["key"] == "1")["review"]
    ben = next(r for r in review if r["annotator"] == "ben")
    assert ben["value"] == {"spans": [[0, 3, 0], [13, 18, 2]], "relations": [[0, 1, 0]]}
    assert "—works_for→" in ben["text"]
    window = b.label("1", ben["value"])
    assert window["current"] is None
    final = s.final_labels()
    assert final.loc[0, "status"] == "unanimous" and final.loc[0, "value"] == agreed
    assert final.loc[1, "status"] == "adjudicated" and final.loc[1, "value"] == BEN[2]
