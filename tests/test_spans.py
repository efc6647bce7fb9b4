"""Spans without a browser: the UTF-16 ⇄ code-point conversion (property tests), the default
tokenizer, value validation, the browser encoding, suggestions and what the event records."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nblabel as nl
from nblabel.core.offsets import Offsets
from nblabel.core.tokens import check_tokens, default_tokenizer

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402

LABELS = ["PER", "ORG", "LOC"]
HARD = [
    "Barack Obama visited Paris.",
    "tabs\tand\n\nnewlines   and spaces",
    "emoji 👍🏽 and 👩‍👩‍👧 family, flags 🇫🇷",
    "東京都に住む田中さん",
    "combining: cafe\u0301 and n\u0303",
    "مرحبا Ahmed، كيف حالك؟",
    "mixed עברית and English",
    "",
]

# text with astral characters, combining marks, RTL, CJK and whitespace
TEXT = st.lists(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from(["👍🏽", "👩‍👩‍👧", "🇫🇷", "\u0301", "\u200d", "日", "ש", "\n", "\t", " "]),
    ),
    max_size=40,
).map("".join)


def utf16_index(text: str, index: int) -> int:
    """The reference: UTF-16 length of the prefix."""
    return len(text[:index].encode("utf-16-le")) // 2


# ---------------------------------------------------------------------- offsets
@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_offsets_round_trip_at_every_position(text: str) -> None:
    offsets = Offsets(text)
    assert offsets.utf16_length == len(text.encode("utf-16-le")) // 2
    for i in range(len(text) + 1):
        unit = offsets.to_utf16(i)
        assert unit == utf16_index(text, i)
        assert offsets.from_utf16(unit) == i
    assert offsets.many_to_utf16(list(range(len(text) + 1))) == [
        utf16_index(text, i) for i in range(len(text) + 1)
    ]


@settings(max_examples=200, deadline=None)
@given(TEXT, st.data())
def test_a_utf16_span_marks_the_same_string_in_python(text: str, data) -> None:
    if not text:
        return
    offsets = Offsets(text)
    a = data.draw(st.integers(0, len(text)))
    b = data.draw(st.integers(a, len(text)))
    s16, e16 = offsets.to_utf16(a), offsets.to_utf16(b)
    as_js = text.encode("utf-16-le")[2 * s16 : 2 * e16].decode("utf-16-le")  # what JS slice() gives
    assert text[offsets.from_utf16(s16) : offsets.from_utf16(e16)] == as_js


def test_offsets_refuse_split_surrogates_and_out_of_range() -> None:
    offsets = Offsets("a👍b")
    assert offsets.to_utf16(2) == 3
    with pytest.raises(ValueError, match="splits a character"):
        offsets.from_utf16(2)
    with pytest.raises(ValueError, match="outside the text"):
        offsets.from_utf16(5)
    with pytest.raises(ValueError, match="outside the text"):
        offsets.to_utf16(4)
    with pytest.raises(TypeError):
        Offsets(3)  # type: ignore[arg-type]


# ---------------------------------------------------------------------- tokens
@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("Barack Obama visited Paris.", ["Barack", "Obama", "visited", "Paris", "."]),
        ("don't stop state-of-the-art 3.14 1,000", ["don't", "stop", "state-of-the-art", "3.14", "1,000"]),
        ("東京都に住む", ["東", "京", "都", "に", "住", "む"]),
        ("hi 👩‍👩‍👧 👍🏽!", ["hi", "👩‍👩‍👧", "👍🏽", "!"]),
        ("cafe\u0301 (n\u0303)", ["cafe\u0301", "(", "n\u0303", ")"]),
        ("مرحبا بالعالم", ["مرحبا", "بالعالم"]),
        ("a\tb\n\nc  d", ["a", "b", "c", "d"]),
    ],
)
def test_default_tokenizer(text: str, tokens: list[str]) -> None:
    assert [text[a:b] for a, b in default_tokenizer(text)] == tokens


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_default_tokens_are_ordered_disjoint_and_cover_every_non_space(text: str) -> None:
    tokens = check_tokens(default_tokenizer(text), text, "x")
    covered = set()
    for a, b in tokens:
        covered.update(range(a, b))
    assert all(text[i].isspace() for i in range(len(text)) if i not in covered)


def test_check_tokens_names_the_problem() -> None:
    with pytest.raises(ValueError, match="row 7: the tokenizer returned \\(3, 2\\)"):
        check_tokens([(3, 2)], "abcd", "row 7")
    with pytest.raises(ValueError, match="overlapping"):
        check_tokens([(0, 2), (1, 3)], "abcd", "row 7")
    with pytest.raises(ValueError, match="not a \\(start, end\\) pair"):
        check_tokens(["ab"], "abcd", "row 7")


# ---------------------------------------------------------------------- the widget
@pytest.fixture
def frame() -> pd.DataFrame:
    return pd.DataFrame({"sentence": HARD}, index=pd.Index([f"s{i}" for i in range(len(HARD))], name="sid"))


def spans_of(text: str, *parts: tuple[str, str]) -> list[dict]:
    out = []
    for word, label in parts:
        start = text.index(word)
        out.append({"start": start, "end": start + len(word), "label": label})
    return out


def test_annotate_stores_code_point_offsets(frame: pd.DataFrame, tmp_path: Path) -> None:
    w = nl.Spans(frame, text="sentence", labels=LABELS, task="ner", annotator="ana", store=tmp_path / "s.db")
    text = HARD[2]
    w.annotate("s2", spans_of(text, ("👩‍👩‍👧", "PER"), ("🇫🇷", "LOC")))
    stored = w.store.current("ner")["value"].iloc[0]
    assert [text[s["start"] : s["end"]] for s in stored] == ["👩‍👩‍👧", "🇫🇷"]
    assert w.labels["s2"] == stored
    assert w.store.items("ner").loc["s2", "text"] == text


@pytest.mark.parametrize("row", range(len(HARD) - 1))
def test_browser_offsets_are_converted_both_ways(frame: pd.DataFrame, tmp_path: Path, row: int) -> None:
    w = nl.Spans(frame, text="sentence", labels=LABELS, task="ner", annotator="ana", store=tmp_path / "s.db")
    text = HARD[row]
    tokens = default_tokenizer(text)
    first, last = tokens[0], tokens[-1]
    offsets = Offsets(text)
    browser = Browser(w)
    key = f"s{row}"
    browser.send({"type": "goto", "key": key})
    payload = [[offsets.to_utf16(first[0]), offsets.to_utf16(first[1]), 0]]
    if last != first:
        payload.append([offsets.to_utf16(last[0]), offsets.to_utf16(last[1]), 2])
    browser.send({"type": "label", "key": key, "value": payload}, tracked=True)
    value = w.labels[key]
    assert [text[s["start"] : s["end"]] for s in value] == [
        text[a:b] for a, b in ([first, last] if last != first else [first])
    ]
    # and back: the window shows the stored value in UTF-16 again, and the tokens too
    window = browser.send({"type": "goto", "key": key})
    item = next(i for i in window["items"] if i["key"] == key)
    assert item["value"] == payload


def test_item_payload_has_utf16_tokens(frame: pd.DataFrame, tmp_path: Path) -> None:
    w = nl.Spans(frame, text="sentence", labels=LABELS, task="ner", annotator="ana", store=tmp_path / "s.db")
    item = w._item(w.items.position("s2"), [], include_payload=True)
    text = HARD[2]
    utf16 = text.encode("utf-16-le")
    tokens = item["payload"]["tokens"]
    words = [utf16[2 * a : 2 * b].decode("utf-16-le") for a, b in zip(tokens[::2], tokens[1::2], strict=True)]
    assert words == [text[a:b] for a, b in default_tokenizer(text)]
    empty = w._item(w.items.position("s7"), [], include_payload=True)["payload"]
    assert empty["text"] == "" and "tokens" not in empty


def test_bad_values_name_the_row_and_span(frame: pd.DataFrame, tmp_path: Path) -> None:
    w = nl.Spans(frame, text="sentence", labels=LABELS, task="ner", annotator="ana", store=tmp_path / "s.db")
    with pytest.raises(ValueError, match="row 's0': span .* is empty or outside the text"):
        w.annotate("s0", [{"start": 5, "end": 500, "label": "PER"}])
    with pytest.raises(ValueError, match="row 's0': span .* has label 'GPE', not one of"):
        w.annotate("s0", [{"start": 0, "end": 6, "label": "GPE"}])
    with pytest.raises(ValueError, match="has no 'label'"):
        w.annotate("s0", [{"start": 0, "end": 6}])
    with pytest.raises(ValueError, match="overlap \\(pass overlap=True"):
        w.annotate("s0", [{"start": 0, "end": 12, "label": "PER"}, {"start": 7, "end": 12, "label": "PER"}])
    with pytest.raises(ValueError, match="non-integer offset"):
        w.annotate("s0", [{"start": 0.5, "end": 6, "label": "PER"}])
    assert w.store.annotations("ner").empty  # nothing half-written
    w.annotate("s0", [])  # an item with no entities is a valid answer
    assert w.labels["s0"] == []


def test_overlap_true_keeps_nested_spans_sorted_and_deduplicated(frame: pd.DataFrame, tmp_path: Path) -> None:
    w = nl.Spans(
        frame,
        text="sentence",
        labels=LABELS,
        task="ner",
        annotator="ana",
        store=tmp_path / "s.db",
        overlap=True,
    )
    value = [(7, 12, "PER"), (0, 12, "PER"), (0, 12, "PER"), (0, 6, "ORG")]
    w.annotate("s0", value)
    assert w.labels["s0"] == [
        {"start": 0, "end": 6, "label": "ORG"},
        {"start": 0, "end": 12, "label": "PER"},
        {"start": 7, "end": 12, "label": "PER"},
    ]
    with pytest.raises(
        ValueError, match="created with overlap=True; it cannot be re-opened with overlap=False"
    ):
        nl.Spans(frame, text="sentence", labels=LABELS, task="ner", annotator="bob", store=w.store)


def test_suggestions_are_validated_sent_and_recorded(tmp_path: Path) -> None:
    text = "Barack Obama visited Paris."
    df = pd.DataFrame(
        {
            "s": [text, text],
            "model": [
                [
                    {"start": 0, "end": 12, "label": "PER"},
                    {"start": 21, "end": 26, "label": "LOC"},
                    (13, 20, "ORG"),
                ],
                None,
            ],
        }
    )
    w = nl.Spans(
        df, text="s", labels=LABELS, task="ner", annotator="ana", store=tmp_path / "s.db", suggestions="model"
    )
    item = w._item(0, [], include_payload=True)
    assert item["payload"]["suggestion"] == [[0, 12, 0], [13, 20, 1], [21, 26, 2]]
    # accept PER as is, change LOC to ORG... (changed), drop ORG (removed)
    w.annotate(0, [{"start": 0, "end": 12, "label": "PER"}, {"start": 21, "end": 26, "label": "ORG"}])
    record = w.store.annotations("ner")["suggestion"].iloc[0]
    assert record["accepted"] == [0] and record["changed"] == [2] and record["removed"] == [1]
    assert record["spans"][1] == {"start": 13, "end": 20, "label": "ORG"}
    bad = df.assign(model=[[{"start": 0, "end": 99, "label": "PER"}], None])
    with pytest.raises(ValueError, match="suggestions column, row 0: span"):
        nl.Spans(
            bad, text="s", labels=LABELS, task="ner2", annotator="ana", store=w.store, suggestions="model"
        )


def test_custom_tokenizer_is_used_checked_and_stored(tmp_path: Path) -> None:
    df = pd.DataFrame({"s": ["New York-based firm"]})
    w = nl.Spans(
        df, text="s", labels=LABELS, task="ner", annotator="ana", store=tmp_path / "s.db",
        tokenizer=lambda t: [(0, 8), (8, 9), (9, 14), (15, 19)],
    )  # fmt: skip
    assert w._item(0, [], include_payload=True)["payload"]["tokens"] == [0, 8, 8, 9, 9, 14, 15, 19]
    w.annotate(0, [{"start": 0, "end": 8, "label": "LOC"}])
    assert w.store.items("ner").loc[0, "tokens"] == [[0, 8], [8, 9], [9, 14], [15, 19]]
    broken = nl.Spans(
        df,
        text="s",
        labels=LABELS,
        task="ner-b",
        annotator="ana",
        store=w.store,
        tokenizer=lambda t: [(5, 2)],
    )
    with pytest.raises(ValueError, match="tokenizer on row 0"):
        broken._tokens(0)
    with pytest.raises(TypeError, match="tokenizer must be a callable"):
        nl.Spans(df, text="s", labels=LABELS, task="ner-c", store=w.store, tokenizer="spacy")
    with pytest.raises(ValueError, match="snap must be one of"):
        nl.Spans(df, text="s", labels=LABELS, task="ner-c", store=w.store, snap="word")


def test_progress_counts_spans_per_label(frame: pd.DataFrame, tmp_path: Path) -> None:
    w = nl.Spans(frame, text="sentence", labels=LABELS, task="ner", annotator="ana", store=tmp_path / "s.db")
    w.annotate("s0", spans_of(HARD[0], ("Barack Obama", "PER"), ("Paris", "LOC")))
    assert w._progress["labeled"] == 1
    assert w._progress["counts"] == [1, 0, 1]


# ---------------------------------------------------------------------- exports
@pytest.fixture
def labeled(tmp_path: Path) -> nl.Store:
    texts = ["Barack Obama visited Paris.", "Meet 👩‍👩‍👧 Dana in מרכז העיר.", "Nobody here."]
    df = pd.DataFrame({"s": texts}, index=pd.Index([1, 2, 3], name="sid"))
    store = nl.Store(tmp_path / "s.db")
    ana = nl.Spans(df, text="s", labels=LABELS, task="ner", annotator="ana", store=store)
    ana.annotate(1, spans_of(texts[0], ("Barack Obama", "PER"), ("Paris", "LOC")))
    ana.annotate(2, spans_of(texts[1], ("👩‍👩‍👧", "ORG"), ("Dana", "PER"), ("מרכז העיר", "LOC")))
    ana.annotate(3, [])
    bob = nl.Spans(df, text="s", labels=LABELS, task="ner", annotator="bob", store=store)
    bob.annotate(1, spans_of(texts[0], ("Obama", "PER")))
    return store


def test_export_jsonl_holds_text_and_spans(labeled: nl.Store, tmp_path: Path) -> None:
    import json

    path = labeled.export("ner", tmp_path / "out.jsonl", format="jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [(r["item_id"], r["annotator"]) for r in rows] == [(1, "ana"), (1, "bob"), (2, "ana"), (3, "ana")]
    for r in rows:
        assert set(r) >= {"text", "spans"}
        for s in r["spans"]:
            assert set(s) == {"start", "end", "label"}
    marked = {
        (r["item_id"], r["annotator"]): [r["text"][s["start"] : s["end"]] for s in r["spans"]] for r in rows
    }
    assert marked[(2, "ana")] == ["👩‍👩‍👧", "Dana", "מרכז העיר"]
    assert marked[(3, "ana")] == []


def test_export_bio_and_conll(labeled: nl.Store, tmp_path: Path) -> None:
    bio = labeled.export("ner", tmp_path / "out.bio", format="bio").read_text(encoding="utf-8")
    docs = [block.splitlines() for block in bio.strip("\n").split("\n\n")]
    assert docs[0] == ["Barack\tB-PER", "Obama\tI-PER", "visited\tO", "Paris\tB-LOC", ".\tO"]
    assert docs[1] == ["Barack\tO", "Obama\tB-PER", "visited\tO", "Paris\tO", ".\tO"]
    assert docs[2] == [
        "Meet\tO",
        "👩‍👩‍👧\tB-ORG",
        "Dana\tB-PER",
        "in\tO",
        "מרכז\tB-LOC",
        "העיר\tI-LOC",
        ".\tO",
    ]
    conll = labeled.export("ner", tmp_path / "out.conll", format="conll").read_text(encoding="utf-8")
    assert conll.startswith("-DOCSTART- -X- -X- O\n\nBarack -X- _ B-PER\nObama -X- _ I-PER\n")
    assert conll.count("-DOCSTART-") == 4


def test_export_bio_with_nested_spans_keeps_the_longest_and_warns(tmp_path: Path) -> None:
    df = pd.DataFrame({"s": ["Bank of America Tower"]})
    w = nl.Spans(
        df, text="s", labels=LABELS, task="nest", annotator="a", store=tmp_path / "n.db", overlap=True
    )
    w.annotate(0, [{"start": 0, "end": 21, "label": "LOC"}, {"start": 0, "end": 15, "label": "ORG"}])
    with pytest.warns(UserWarning, match="1 span\\(s\\) overlap a longer span"):
        text = w.store.export("nest", tmp_path / "n.bio", format="bio").read_text(encoding="utf-8")
    assert text.split() == ["Bank", "B-LOC", "of", "I-LOC", "America", "I-LOC", "Tower", "I-LOC"]


def test_export_spacy_docbin_loads_back(labeled: nl.Store, tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    path = labeled.export("ner", tmp_path / "train.spacy", format="spacy")
    nlp = spacy.blank("xx")
    docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
    assert len(docs) == 4
    assert [(e.text, e.label_) for e in docs[0].ents] == [("Barack Obama", "PER"), ("Paris", "LOC")]
    assert [(s.text, s.label_) for s in docs[2].spans["sc"]] == [
        ("👩‍👩‍👧", "ORG"),
        ("Dana", "PER"),
        ("מרכז העיר", "LOC"),
    ]
    assert docs[1].user_data["annotator"] == "bob"


def test_export_refuses_unknown_formats_and_items_without_text(labeled: nl.Store, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="format 'coco' is not one of"):
        labeled.export("ner", tmp_path / "x", format="coco")
    labeled.register_task("imported", "spans", LABELS)
    labeled.import_annotations(
        pd.DataFrame(
            {"item_id": [1], "annotator": ["zed"], "value": [[{"start": 0, "end": 3, "label": "PER"}]]}
        ),
        "imported",
    )
    with pytest.raises(ValueError, match="have no stored text"):
        labeled.export("imported", tmp_path / "x.bio", format="bio")
    csv = labeled.export("imported", tmp_path / "x.csv", format="csv")
    assert csv.exists()


# ---------------------------------------------------------------------- agreement
def test_span_report_on_a_worked_example(labeled: nl.Store) -> None:
    texts = ["Barack Obama visited Paris.", "Meet 👩‍👩‍👧 Dana in מרכז העיר.", "Nobody here."]
    df = pd.DataFrame({"s": texts}, index=pd.Index([1, 2, 3], name="sid"))
    bob = nl.Spans(df, text="s", labels=LABELS, task="ner", annotator="bob", store=labeled)
    # bob on item 2: same family (ORG), Dana as LOC (label differs), the city shortened
    bob.annotate(2, spans_of(texts[1], ("👩‍👩‍👧", "ORG"), ("Dana", "LOC"), ("מרכז", "LOC")))
    bob.annotate(3, [])
    report = nl.agreement_report(labeled.annotations("ner"), labels=LABELS, n_boot=50, seed=1)
    assert report.kind == "spans"
    # item 1: ana {Barack Obama PER, Paris LOC}, bob {Obama PER}; item 2 as above; item 3 empty
    # exact+label: matched 0 + 1 + 0 = 1 of 2+3 (ana) and 1+3 (bob) -> 2*1/9
    assert report.loc["span_f1_exact", "value"] == pytest.approx(2 * 1 / 9)
    # overlap+label: item 1 Obama~Barack Obama (PER): 1; item 2 family 1, city 1 -> 3 -> 6/9
    assert report.loc["span_f1_overlap", "value"] == pytest.approx(6 / 9)
    # exact bounds, any label: item 2 family and Dana -> 2 -> 4/9
    assert report.loc["span_f1_bounds", "value"] == pytest.approx(4 / 9)
    assert report.loc["span_f1_exact", "items"] == 3
    low, high = report.loc["span_f1_overlap", ["ci_low", "ci_high"]]
    assert low <= 6 / 9 <= high
    assert report.loc["span_f1_exact", "reading"] == "n/a (not chance-corrected)"
    assert list(report.per_label.index) == LABELS
    assert report.per_label.loc["PER", "count"] == 3
    assert report.per_annotator.loc["ana", "f1_with_bob"] == pytest.approx(2 / 9)
    assert list(report.disagreements.index) == [1, 2]
    assert report.disagreements.loc[1, "agreement"] == pytest.approx(0.0)
    # the values equal the reference function on the same documents
    docs = report_docs = labeled.current("ner")
    a = docs[docs["annotator"] == "ana"].set_index("item_id")["value"]
    b = report_docs[report_docs["annotator"] == "bob"].set_index("item_id")["value"]
    expected = nl.agreement.span_agreement(a, b.reindex(a.index), mode="overlap")["f1"]
    assert report.loc["span_f1_overlap", "value"] == pytest.approx(expected)


def test_span_report_with_gold_and_one_annotator(labeled: nl.Store) -> None:
    report = nl.agreement_report(labeled.annotations("ner"), gold="ana", labels=LABELS, n_boot=0)
    assert report.per_annotator.index.tolist() == ["bob"]
    assert report.per_annotator.loc["bob", "reference"] == "gold"
    assert report.per_annotator.loc["bob", "f1_reference"] == pytest.approx(0.0)
    assert report["reading"].eq("undefined").all()  # one annotator left: nothing to compare


def test_span_confusion_counts_labels_of_overlapping_spans() -> None:
    from nblabel.agreement.spans import span_confusion

    a = pd.Series(
        {1: [{"start": 0, "end": 12, "label": "PER"}, {"start": 21, "end": 26, "label": "LOC"}], 2: []}
    )
    b1 = [
        {"start": 7, "end": 12, "label": "PER"},
        {"start": 21, "end": 26, "label": "ORG"},
        {"start": 13, "end": 20, "label": "ORG"},
    ]
    b = pd.Series({1: b1, 2: [{"start": 0, "end": 2, "label": "LOC"}]})
    counts, cells = span_confusion(a, b, LABELS)
    none = len(LABELS)
    assert counts[0, 0] == 1  # PER ~ PER
    assert counts[2, 1] == 1  # LOC (a) ~ ORG (b)
    assert counts[none, 1] == 1  # b's extra ORG
    assert counts[none, 2] == 1  # b's LOC on item 2
    assert counts.sum() == 4
    assert cells[(none, 2)] == [2]


def test_plot_span_confusion(labeled: nl.Store, tmp_path: Path) -> None:
    ann = labeled.annotations("ner")
    fig = nl.plot_span_confusion(ann, "ana", "bob", labels=LABELS)
    # item 1: Barack Obama PER ~ Obama PER; ana's Paris has no counterpart
    assert fig.confusion[0, 0] == 1
    assert fig.confusion[2, 3] == 1
    assert fig.confusion.sum() == 2
    png = fig._repr_png_()[0]
    assert png[:4] == b"\x89PNG"
    with pytest.raises(KeyError, match="no annotator 'zed'"):
        nl.plot_span_confusion(ann, "ana", "zed")
    gold = nl.plot_span_confusion(ann, "bob", "gold", gold="ana", labels=LABELS)
    assert gold.confusion.sum() == 2
