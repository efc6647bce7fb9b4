"""Prodigy's JSON Lines in and out: files made the way Prodigy makes them (tokens from spaCy's
tokenizer, as Prodigy's ``add_tokens`` gives them; lines written with ``srsly.write_jsonl``, as
``prodigy db-out`` writes them; the fields of Prodigy's documented task formats), imported
through ``Store.import_file`` on SQLite and PostgreSQL, and exported back with ``Store.export``.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import nblabel as nl
from nblabel.exchange.prodigy import PRODIGY, aligned_tokens, annotator_names, hash32

spacy = pytest.importorskip("spacy")
srsly = pytest.importorskip("srsly")

NLP = spacy.blank("en")
T0 = 1707211049  # a _timestamp (seconds), as Prodigy writes it

#: Texts a labeler will meet: markup, emoji (astral and ZWJ sequences), astral letters, CJK.
TEXTS = {
    "plain": "Ada Lovelace met Charles Babbage in London.",
    "html": "<b>Ada</b> wrote to <script>alert('x')</script> Paris & Zürich",
    "emoji": "🦄 Grace Hopper 👩‍👩‍👧 visited Tokyo 🇯🇵 today",
    "astral": "𝔄𝔡𝔞 moved to 東京 from Berlin",
}


def _hash(value: Any) -> int:
    """A 32-bit signed hash, as Prodigy's hashes are (any stable one does for a fixture)."""
    return zlib.crc32(json.dumps(value, sort_keys=True).encode()) - 2**31


def tokens_of(text: str) -> list[dict[str, Any]]:
    """The tokens Prodigy puts on a task (``add_tokens``: spaCy's tokenizer)."""
    return [
        {"text": t.text, "start": t.idx, "end": t.idx + len(t.text), "id": t.i, "ws": bool(t.whitespace_)}
        for t in NLP.make_doc(text)
    ]


def ner_line(text: str, spans: list[tuple[str, str]], session: str, answer: str = "accept", *,
             at: int = T0, view: str = "ner_manual") -> dict[str, Any]:  # fmt: skip
    """An ner.manual answer: ``spans`` given as (the marked string, label), found in ``text``
    and aligned to spaCy's tokens (as Prodigy's manual interface selects whole tokens)."""
    doc = NLP.make_doc(text)
    out = []
    for marked, label in spans:
        start = text.index(marked)
        span = doc.char_span(start, start + len(marked))
        assert span is not None, f"{marked!r} is not whole tokens of {text!r}"
        out.append({"start": start, "end": start + len(marked), "token_start": span.start,
                    "token_end": span.end - 1, "label": label})  # fmt: skip
    return {
        "text": text, "_input_hash": _hash(text), "_task_hash": _hash([text, out]),
        "tokens": tokens_of(text), "_view_id": view, "spans": out, "answer": answer,
        "_timestamp": at, "_annotator_id": session, "_session_id": session,
    }  # fmt: skip


def choice_line(text: str, options: list[str], accept: list[str], session: str, answer: str = "accept",
                *, style: str | None = "single", at: int = T0) -> dict[str, Any]:  # fmt: skip
    """A textcat.manual answer (the choice interface)."""
    line: dict[str, Any] = {
        "text": text, "_input_hash": _hash(text), "_task_hash": _hash([text, options]),
        "options": [{"id": o, "text": o} for o in options], "_view_id": "choice",
    }  # fmt: skip
    if style is not None:
        line["config"] = {"choice_style": style}
    line.update({"accept": accept, "answer": answer, "_timestamp": at, "_annotator_id": session,
                 "_session_id": session})  # fmt: skip
    return line


def binary_line(text: str, label: str, answer: str, session: str, *, at: int = T0) -> dict[str, Any]:
    """A textcat.teach answer (the classification interface): a label accepted or rejected."""
    return {
        "text": text, "meta": {"source": "reviews"}, "_input_hash": _hash(text),
        "_task_hash": _hash([text, label]), "label": label, "score": 0.49, "priority": 0.49,
        "spans": [], "_view_id": "classification", "answer": answer, "_timestamp": at,
        "_annotator_id": session, "_session_id": session,
    }  # fmt: skip


def write(path: Path, lines: list[dict[str, Any]]) -> Path:
    srsly.write_jsonl(path, lines)
    return path


def ner_file(tmp_path: Path) -> Path:
    """Three annotators of dataset ``ner_news`` (named sessions), hostile texts, one ignore."""
    lines = []
    for who, shift in (("ana", 0), ("bob", 1), ("cy", 2)):
        session = f"ner_news-{who}"
        first = [("Ada Lovelace", "PER"), ("London", "ORG")] if who == "cy" else [
            ("Ada Lovelace", "PER"), ("Charles Babbage", "PER"), ("London", "LOC")]  # fmt: skip
        lines += [
            ner_line(TEXTS["plain"], first, session, at=T0 + shift),
            ner_line(TEXTS["html"], [("Paris", "LOC"), ("Zürich", "LOC")], session, at=T0 + 10 + shift),
            ner_line(TEXTS["emoji"], [("Grace Hopper", "PER"), ("Tokyo", "LOC")], session, at=T0 + 20),
            ner_line(TEXTS["astral"], [("𝔄𝔡𝔞", "PER"), ("東京", "LOC"), ("Berlin", "LOC")], session,
                     "ignore" if who == "bob" else "accept", at=T0 + 30 + shift),
        ]  # fmt: skip
    return write(tmp_path / "ner_news.jsonl", lines)


def standing(store: nl.Store, task: str) -> dict[tuple[Any, str], tuple[str, Any]]:
    """``{(item id, annotator): (event kind, value)}`` of the standing events."""
    current = store.current(task)
    return {(r["item_id"], r["annotator"]): (r["kind"], r["value"]) for r in current.to_dict("records")}


# ------------------------------------------------------------------------------------ pure parts
def test_session_ids_become_annotator_names():
    assert annotator_names(["ner_news-ana", "ner_news-bob"]) == {"ner_news-ana": "ana", "ner_news-bob": "bob"}
    # a dataset name with hyphens: the prefix all sessions share
    assert annotator_names(["my-data-ana", "my-data-bob"]) == {"my-data-ana": "ana", "my-data-bob": "bob"}
    assert annotator_names(["mydata-ana"]) == {"mydata-ana": "ana"}
    # unnamed sessions (the time they started) keep their name
    stamps = ["2024-02-06_10-17-19", "2024-02-07_11-03-12"]
    assert annotator_names(stamps) == {s: s for s in stamps}
    assert annotator_names(["ds-ana", "2024-02-06_10-17-19"]) == {
        "ds-ana": "ana",
        "2024-02-06_10-17-19": "2024-02-06_10-17-19",
    }
    # dataset= removes exactly its prefix ("" keeps names whole)
    both = ["news-ana-maria", "news-ana-lopez"]
    assert annotator_names(both, dataset="news") == {
        "news-ana-maria": "ana-maria",
        "news-ana-lopez": "ana-lopez",
    }
    assert annotator_names(both, dataset="") == {v: v for v in both}
    assert annotator_names(["plain"]) == {"plain": "plain"}
    # the file's name is the dataset when every named session starts with it (db-out names the
    # file after the dataset): hyphenated names stay whole
    assert annotator_names(["my-data-jean-luc"], stem="my-data") == {"my-data-jean-luc": "jean-luc"}
    assert annotator_names(["ds-jean-luc", "ds-ana"], stem="ds") == {
        "ds-jean-luc": "jean-luc",
        "ds-ana": "ana",
    }
    assert annotator_names(["ds-jean-luc", "ds-ana"], stem="export") == {
        "ds-jean-luc": "jean-luc",
        "ds-ana": "ana",
    }
    assert annotator_names(["ds-jean-luc"], stem="export") == {"ds-jean-luc": "luc"}  # the guess can be wrong


def test_tokens_are_split_where_a_span_starts_or_ends_inside_one():
    text = "New York-based  Ada"
    base = [(0, 3), (4, 14), (16, 19)]  # "New", "York-based", "Ada" (two spaces before Ada)
    spans = [{"start": 4, "end": 8, "label": "LOC"}, {"start": 15, "end": 19, "label": "PER"}]
    tokens = aligned_tokens(text, base, spans)
    assert tokens == [(0, 3), (4, 8), (8, 14), (15, 16), (16, 19)]
    starts, ends = {a for a, _ in tokens}, {b for _, b in tokens}
    assert all(s["start"] in starts and s["end"] in ends for s in spans)
    # whitespace a span does not start or end in stays whitespace
    assert aligned_tokens("a  b", [(0, 1), (3, 4)], [{"start": 0, "end": 4, "label": "X"}]) == [
        (0, 1),
        (3, 4),
    ]


def test_hashes_are_signed_32_bit_and_stable():
    values = [hash32({"text": t}) for t in TEXTS.values()]
    assert all(-(2**31) <= v < 2**31 for v in values)
    assert values == [hash32({"text": t}) for t in TEXTS.values()]
    assert len(set(values)) == len(values)


# ------------------------------------------------------------------------------------ spans
def test_ner_manual_file_of_three_annotators(store: nl.Store, tmp_path: Path):
    path = ner_file(tmp_path)
    summary = store.import_file(path, format="prodigy", task="ner")
    assert summary.kind == "spans" and summary.annotators == ["ana", "bob", "cy"]
    assert (summary.events, summary.written, summary.already_present) == (12, 12, 0)
    info = store.task("ner")
    assert info.kind == "spans" and info.labels == ["PER", "LOC", "ORG"]
    now = standing(store, "ner")
    plain, astral = _hash(TEXTS["plain"]), _hash(TEXTS["astral"])
    assert [(s["start"], s["end"], s["label"]) for s in now[(plain, "cy")][1]] == [
        (0, 12, "PER"),
        (36, 42, "ORG"),
    ]
    assert now[(astral, "bob")] == ("skip", None)  # answer "ignore"
    # offsets are code points of the text: each span marks what the annotator saw
    names = {"Ada Lovelace", "Charles Babbage", "London", "Paris", "Zürich", "Grace Hopper", "Tokyo", "𝔄𝔡𝔞",
             "東京", "Berlin"}  # fmt: skip
    for (item, _), (_, value) in now.items():
        text = store.items("ner").loc[item, "text"]
        assert all(text[span["start"] : span["end"]] in names for span in value or [])
    items = store.items("ner")
    assert set(items["text"]) == set(TEXTS.values())
    assert items.loc[_hash(TEXTS["emoji"]), "tokens"] == [
        [t["start"], t["end"]] for t in tokens_of(TEXTS["emoji"])
    ]
    # the time of each answer is kept
    events = store.annotations("ner")
    first = events[(events["annotator"] == "bob") & (events["item_id"] == plain)]
    assert first["created_at"].iloc[0] == pd.Timestamp(T0 + 1, unit="s", tz="UTC")
    report = nl.agreement_report(store.annotations("ner"), n_boot=20, seed=1)
    assert report.kind == "spans" and len(report)
    # importing the same file again writes nothing
    again = store.import_file(path, format="prodigy", task="ner")
    assert (again.written, again.already_present) == (0, 12)
    assert len(store.annotations("ner")) == 12


def test_token_offsets_are_checked_against_the_tokens(store: nl.Store, tmp_path: Path):
    line = ner_line(TEXTS["plain"], [("London", "LOC")], "ds-ana")
    line["spans"][0]["token_start"] -= 1  # now "in London", but start/end say "London"
    path = write(tmp_path / "bad.jsonl", [ner_line(TEXTS["html"], [("Paris", "LOC")], "ds-ana"), line])
    with pytest.raises(
        ValueError, match=r"bad\.jsonl: line 2: spans\[0\]: start/end 36\.\.42 do not match tokens"
    ):
        store.import_file(path, format="prodigy", task="ner")
    assert "ner" not in set(store.tasks()["task"])  # nothing written


def test_span_text_must_be_what_the_offsets_select(store: nl.Store, tmp_path: Path):
    # offsets counted in UTF-16 (as JavaScript counts): one too far after the astral letters
    text = "𝔄𝔡𝔞 met Bob and Al"
    line = {"text": text, "_input_hash": 1, "answer": "accept", "_annotator_id": "ds-ana",
            "spans": [{"start": 11, "end": 14, "label": "PER", "text": "Bob"}]}  # fmt: skip
    path = write(tmp_path / "utf16.jsonl", [line])
    with pytest.raises(
        ValueError, match=r"line 1: spans\[0\]: start/end 11\.\.14 select ' an' but the span's text is 'Bob'"
    ):
        store.import_file(path, format="prodigy", task="ner")


def test_binary_span_decisions_are_refused(tmp_path: Path, store: nl.Store):
    teach = ner_line(TEXTS["plain"], [("London", "LOC")], "ds-ana", "reject", view="ner")
    path = write(tmp_path / "teach.jsonl", [teach])
    with pytest.raises(ValueError, match=r"line 1: a binary span decision \(_view_id 'ner'"):
        store.import_file(path, format="prodigy", task="ner")


def test_overlapping_spans_of_spans_manual(store: nl.Store, tmp_path: Path):
    text = "New York City Marathon"
    lines = [ner_line(text, [("New York City", "GPE"), ("York City Marathon", "EVENT")], f"ds-{w}",
                      view="spans_manual") for w in ("ana", "bob")]  # fmt: skip
    store.import_file(write(tmp_path / "spans.jsonl", lines), format="prodigy", task="sc")
    assert store.task("sc").config == {"overlap": True}
    assert len(standing(store, "sc")[(_hash(text), "bob")][1]) == 2


# ------------------------------------------------------------------------------------ classify
def test_textcat_manual_choice(store: nl.Store, tmp_path: Path):
    texts = ["great food", "awful service", "fine", "<i>meh</i> 🤷"]
    opts = ["POSITIVE", "NEGATIVE", "NEUTRAL"]
    answers = {
        "ana": ["POSITIVE", "NEGATIVE", "NEUTRAL", "NEUTRAL"],
        "bob": ["POSITIVE", "NEGATIVE", "POSITIVE", None],  # None: ignored
        "cy": ["POSITIVE", "POSITIVE", "NEUTRAL", "NEGATIVE"],
    }
    lines = []
    for who, chosen in answers.items():
        for k, (text, choice) in enumerate(zip(texts, chosen, strict=True)):
            answer = "ignore" if choice is None else "accept"
            lines.append(choice_line(text, opts, [] if choice is None else [choice], f"sentiment-{who}",
                                     answer, at=T0 + k))  # fmt: skip
    lines.append(choice_line(texts[0], opts, ["NEGATIVE"], "sentiment-dan", "reject"))  # a reject: a skip
    summary = store.import_file(write(tmp_path / "sentiment.jsonl", lines), format="prodigy", task="sent")
    assert summary.kind == "classify" and summary.annotators == ["ana", "bob", "cy", "dan"]
    info = store.task("sent")
    assert info.labels == opts and info.config == {}
    now = standing(store, "sent")
    assert now[(_hash(texts[1]), "cy")] == ("label", "POSITIVE")
    assert now[(_hash(texts[3]), "bob")] == ("skip", None)
    assert now[(_hash(texts[0]), "dan")] == ("skip", None)
    frame = store.annotations("sent")
    report = nl.agreement_report(frame, n_boot=20, seed=1)
    assert report.kind == "classify" and "krippendorff_alpha" in report.index
    result = nl.aggregate(frame, method="majority")
    assert result.loc[_hash(texts[0]), "label"] == "POSITIVE"
    dash = nl.Dashboard(store, task="sent", live=False)
    dash.close()


def test_choice_style_multiple_is_multi_label(store: nl.Store, tmp_path: Path):
    opts = ["SPORT", "POLITICS", "BUSINESS"]
    lines = [
        choice_line("Club owner runs for mayor", opts, ["SPORT", "POLITICS"], "topics-ana", style="multiple"),
        choice_line("Club owner runs for mayor", opts, ["POLITICS"], "topics-bob", style="multiple"),
        choice_line("Shares fall", opts, [], "topics-bob", style="multiple"),  # none applies
    ]
    store.import_file(write(tmp_path / "topics.jsonl", lines), format="prodigy", task="topics")
    assert store.task("topics").config == {"multi": True}
    now = standing(store, "topics")
    assert now[(_hash("Club owner runs for mayor"), "ana")] == ("label", ["SPORT", "POLITICS"])
    assert now[(_hash("Shares fall"), "bob")] == ("label", [])
    result = nl.aggregate(store.annotations("topics"), method="majority")
    assert "POLITICS" in result.loc[_hash("Club owner runs for mayor"), "label"]
    # several choices without a choice_style say multi-label too; multi=False refuses them
    plain = [choice_line("Club owner runs for mayor", opts, ["SPORT", "POLITICS"], "t-ana", style=None)]
    with pytest.raises(ValueError, match=r"line 1: accept: 2 options chosen, but multi=False"):
        PRODIGY.read(write(tmp_path / "plain.jsonl", plain), multi=False)


def test_binary_answers_become_label_and_not_label(store: nl.Store, tmp_path: Path):
    texts = ["you idiot", "thanks a lot", "get lost", "nice 👍"]
    votes = {"ana": "ARAR", "bob": "ARRA", "cy": "AIAR"}  # A accept, R reject, I ignore
    lines = [
        binary_line(text, "INSULT", {"A": "accept", "R": "reject", "I": "ignore"}[v], f"insults-{who}")
        for who, vs in votes.items() for text, v in zip(texts, vs, strict=True)
    ]  # fmt: skip
    summary = store.import_file(write(tmp_path / "insults.jsonl", lines), format="prodigy", task="ins")
    assert summary.kind == "classify"
    info = store.task("ins")
    assert info.labels == ["INSULT", "not INSULT"] and info.config == {"binary": "INSULT"}
    now = standing(store, "ins")
    assert now[(_hash("thanks a lot"), "ana")] == ("label", "not INSULT")
    assert now[(_hash("thanks a lot"), "cy")] == ("skip", None)
    frame = store.annotations("ins")
    report = nl.agreement_report(frame, n_boot=20, seed=1)
    assert report.kind == "classify" and "krippendorff_alpha" in report.index
    assert nl.aggregate(frame, method="majority").loc[_hash("you idiot"), "label"] == "INSULT"


def test_binary_answers_about_several_labels_import_one_label_per_task(store: nl.Store, tmp_path: Path):
    lines = [binary_line("you idiot", "INSULT", "accept", "t-ana"),
             binary_line("buy now", "SPAM", "accept", "t-ana"),
             binary_line("buy now", "INSULT", "reject", "t-ana")]  # fmt: skip
    path = write(tmp_path / "two.jsonl", lines)
    with pytest.raises(ValueError, match=r"binary answers about 2 labels \['INSULT', 'SPAM'\]; .* label="):
        store.import_file(path, format="prodigy", task="x")
    store.import_file(path, format="prodigy", task="spam", label="SPAM", reject_label="ham")
    assert store.task("spam").labels == ["SPAM", "ham"]
    assert standing(store, "spam") == {(_hash("buy now"), "ana"): ("label", "SPAM")}


# ------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"line 2, column 2: not JSON"),
        ('["a list"]', r"line 2: a record must be a JSON object"),
        ('{"text": "x", "_input_hash": 1, "accept": ["A"], "_annotator_id": "d-a"}',
         r"line 2: has no 'answer' \(accept, reject or ignore\)"),
        ('{"text": "x", "_input_hash": 1, "accept": ["A"], "answer": "maybe", "_annotator_id": "d-a"}',
         r"line 2: answer: 'maybe' is not one of"),
        ('{"text": "x", "_input_hash": 1, "accept": ["Z"], "options": [{"id": "A"}], "answer": "accept", '
         '"_annotator_id": "d-a"}', r"line 2: accept\[0\]: 'Z' is not one of the line's options \['A'\]"),
        ('{"text": "x", "accept": ["A"], "answer": "accept", "_annotator_id": "d-a"}',
         r"line 2: has no '_input_hash' to identify the item"),
        ('{"text": "x", "_input_hash": 1, "accept": ["A"], "answer": "accept"}',
         r"line 2: has no '_annotator_id' or '_session_id'.*annotator="),
        ('{"text": "x", "_input_hash": 1, "accept": ["A"], "answer": "accept", "_annotator_id": "d-a", '
         '"_timestamp": "noon"}', r"line 2: _timestamp: must be seconds since 1970"),
        ('{"text": "x", "_input_hash": 1, "answer": "accept", "_annotator_id": "d-a"}',
         r"line 2: holds no 'accept' \(choice\), 'label' \(binary\) or 'spans' answer"),
    ],
)  # fmt: skip
def test_errors_name_the_line_and_field_and_nothing_is_written(
    store: nl.Store, tmp_path: Path, line, message
):
    good = json.dumps(choice_line("ok", ["A"], ["A"], "d-a"))
    path = tmp_path / "file.jsonl"
    path.write_text(f"{good}\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=message) as err:
        store.import_file(path, format="prodigy", task="t")
    assert str(path) in str(err.value)
    assert store.tasks().empty


def test_a_file_of_two_kinds_of_answer_is_refused(tmp_path: Path):
    lines = [choice_line("a", ["A"], ["A"], "d-a"), ner_line(TEXTS["plain"], [("London", "LOC")], "d-a")]
    with pytest.raises(ValueError, match=r"line 2: records spans answers, but the lines before it .* choice"):
        PRODIGY.read(write(tmp_path / "mixed.jsonl", lines))


def test_blocks_with_choices_and_spans_need_field(store: nl.Store, tmp_path: Path):
    line = ner_line(TEXTS["plain"], [("London", "LOC")], "d-ana", view="blocks")
    line.update({"options": [{"id": "NEWS", "text": "News"}], "accept": ["NEWS"]})
    path = write(tmp_path / "blocks.jsonl", [line])
    with pytest.raises(ValueError, match=r"every line fits choice and spans answers: pass field="):
        PRODIGY.read(path)
    store.import_file(path, format="prodigy", task="ents", field="spans")
    store.import_file(path, format="prodigy", task="topic", field="accept")
    assert (store.task("ents").kind, store.task("topic").kind) == ("spans", "classify")


def test_annotator_and_id_field_options(store: nl.Store, tmp_path: Path):
    session = "2024-02-06_10-17-19"  # an unnamed session
    lines = [dict(choice_line("x", ["A", "B"], ["A"], session), meta={"doc": "d1"}),
             dict(choice_line("y", ["A", "B"], ["B"], session), meta={"doc": "d2"})]  # fmt: skip
    path = write(tmp_path / "old.jsonl", lines)
    store.import_file(path, format="prodigy", task="a")
    assert set(store.annotations("a")["annotator"]) == {"2024-02-06_10-17-19"}  # unnamed: kept
    store.import_file(path, format="prodigy", task="b", annotator="ana", id_field="meta.doc")
    assert standing(store, "b") == {("d1", "ana"): ("label", "A"), ("d2", "ana"): ("label", "B")}


# ------------------------------------------------------------------------------------ export
def _labeled_spans(store: nl.Store, task: str = "ner") -> None:
    df = pd.DataFrame({"text": list(TEXTS.values())}, index=pd.Index(["p", "h", "e", "a"], name="doc"))
    store.register_task(task, "spans", ["PER", "LOC"], {})
    values = {
        "ana": {"p": [("Ada Lovelace", "PER"), ("London", "LOC")], "h": [("Zürich", "LOC")],
                "e": [("Hopper 👩‍👩‍👧 vis", "PER")], "a": [("𝔡𝔞", "PER"), ("東京", "LOC")]},
        "<b>bob</b> 🦄": {"p": [("Lovelace", "PER")], "h": [("ari", "LOC")], "e": []},
    }  # fmt: skip
    for who, by_item in values.items():
        w = nl.Spans(df, text="text", labels=["PER", "LOC"], task=task, annotator=who, store=store)
        for item, spans in by_item.items():
            text = df.loc[item, "text"]
            w.annotate(item, [(text.index(m), text.index(m) + len(m), label) for m, label in spans])
        w.skip("a") if who != "ana" else None
        w.close()


def test_spans_round_trip(store_url: str, tmp_path: Path):
    with nl.Store(store_url) as store:
        _labeled_spans(store)
        path = store.export("ner", tmp_path / "ner_news.jsonl", format="prodigy")
        before = standing(store, "ner")
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    # each line is what Prodigy's manual interface saves: spans are whole tokens
    for line in lines:
        tokens = line["tokens"]
        for span in line["spans"]:
            assert tokens[span["token_start"]]["start"] == span["start"]
            assert tokens[span["token_end"]]["end"] == span["end"]
        assert line["_annotator_id"] == line["_session_id"] and line["_annotator_id"].startswith("ner_news-")
        assert line["meta"]["item_id"] in {"p", "h", "e", "a"} and line["_view_id"] == "ner_manual"
    assert {line["answer"] for line in lines} == {"accept", "ignore"}
    # the same item has the same tokens and input hash on every line
    by_item: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_item.setdefault(line["meta"]["item_id"], []).append(line)
    for group in by_item.values():
        assert (
            len({json.dumps(g["tokens"]) for g in group}) == 1 and len({g["_input_hash"] for g in group}) == 1
        )
    other = nl.Store(tmp_path / "back.db")
    summary = other.import_file(path, format="prodigy", task="ner")
    assert summary.annotators == sorted(["ana", "<b>bob</b> 🦄"])
    assert standing(other, "ner") == before
    assert other.task("ner").labels == ["PER", "LOC"]
    other.close()


def test_classify_round_trips(store: nl.Store, tmp_path: Path, make_classify, texts: pd.DataFrame):
    for task, multi, per in (("single", False, {"ana": "pos", "bob": "neg"}),
                             ("multi", True, {"ana": ["pos", "neu"], "bob": ["neg"]})):  # fmt: skip
        for who, value in per.items():
            w = make_classify(texts, task=task, annotator=who, multi=multi, store=store)
            for item in texts.index[:4]:
                w.annotate(item, value)
            # ana skips an item bob labeled (written as "ignore") and one nobody labeled (a skip
            # alone keeps nothing of its item: nothing to write)
            w.skip(texts.index[4]) if who == "ana" else w.annotate(texts.index[4], value)
            w.skip(texts.index[5]) if who == "ana" else None
            w.close()
        path = store.export(task, tmp_path / f"{task}.jsonl", format="prodigy")
        first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
        assert first["_view_id"] == "choice" and [o["id"] for o in first["options"]] == ["pos", "neg", "neu"]
        assert first["config"] == {"choice_style": "multiple" if multi else "single"}
        back = nl.Store(tmp_path / f"{task}.db")
        back.import_file(path, format="prodigy", task=task)
        expected = standing(store, task)
        assert expected.pop((texts.index[5], "ana")) == ("skip", None)
        assert expected[(texts.index[4], "ana")] == ("skip", None)
        assert standing(back, task) == expected
        assert back.task(task).config == ({"multi": True} if multi else {})
        back.close()


def test_binary_round_trip_and_final_values(store: nl.Store, tmp_path: Path):
    lines = [binary_line(t, "INSULT", a, f"ins-{w}") for w, a in (("ana", "accept"), ("bob", "reject"))
             for t in ("you idiot", "get lost")]  # fmt: skip
    store.import_file(write(tmp_path / "in.jsonl", lines), format="prodigy", task="ins")
    path = store.export("ins", tmp_path / "out.jsonl", format="prodigy")
    out = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert {(o["label"], o["answer"], o["_view_id"]) for o in out} == {
        ("INSULT", "accept", "classification"), ("INSULT", "reject", "classification")}  # fmt: skip
    # items that came from Prodigy get their input hashes back
    assert {o["_input_hash"] for o in out} == {_hash("you idiot"), _hash("get lost")}
    back = nl.Store(tmp_path / "back.db")
    back.import_file(path, format="prodigy", task="ins")
    assert standing(back, "ins") == standing(store, "ins")
    # final labels: one line per item, no annotator (import them under a name of your choice)
    final = pd.DataFrame({"value": ["INSULT", "not INSULT"]}, index=[_hash("you idiot"), _hash("get lost")])
    path = store.export("ins", tmp_path / "final.jsonl", format="prodigy", values=final)
    out = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert [o["answer"] for o in out] == ["accept", "reject"] and all("_annotator_id" not in o for o in out)
    back.import_file(path, format="prodigy", task="final", annotator="final")
    assert standing(back, "final") == {(_hash("you idiot"), "final"): ("label", "INSULT"),
                                       (_hash("get lost"), "final"): ("label", "not INSULT")}  # fmt: skip
    bad = pd.DataFrame({"value": ["RUDE"]}, index=[_hash("you idiot")])
    with pytest.raises(ValueError, match="RUDE"):
        store.export("ins", tmp_path / "bad.jsonl", format="prodigy", values=bad)
    assert not (tmp_path / "bad.jsonl").exists()
    back.close()


@pytest.mark.parametrize("names", [["ana-x", "ana-y", "<img src=x onerror=alert(1)>", "🦄-ü"], ["jean-luc"]])
def test_annotator_names_survive_a_round_trip(store: nl.Store, tmp_path: Path, make_classify, texts, names):
    for who in names:
        w = make_classify(texts, annotator=who, store=store)
        w.annotate(texts.index[0], "pos")
        w.close()
    back = nl.Store(tmp_path / "back.db")
    # the sessions are named after the file ("labels-jean-luc"), which reading it back removes
    path = store.export("t", tmp_path / "labels.jsonl", format="prodigy")
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["_session_id"].startswith("labels-")
    back.import_file(path, format="prodigy", task="t")
    assert sorted(back.annotations("t")["annotator"]) == sorted(names)
    # a dataset given on both sides, whatever the file is called
    path = store.export("t", tmp_path / "other.jsonl", format="prodigy", dataset="my-ds")
    back.import_file(path, format="prodigy", task="u", dataset="my-ds")
    assert sorted(back.annotations("u")["annotator"]) == sorted(names)
    back.close()


def test_tasks_prodigy_cannot_carry(store: nl.Store, tmp_path: Path):
    store.register_task("cmp", "compare", ["a", "b"], {"a": "a", "b": "b"})
    store.import_annotations(
        pd.DataFrame({"item_id": [1], "annotator": ["ana"], "value": [{"choice": "a"}]}), "cmp"
    )
    with pytest.raises(ValueError, match="compare task; Prodigy files carry classify and spans tasks"):
        store.export("cmp", tmp_path / "cmp.jsonl", format="prodigy")


def test_the_command_imports_and_exports_prodigy(tmp_path: Path, capsys: pytest.CaptureFixture):
    from nblabel.cli import main

    lines = [binary_line(t, lab, "accept", f"ins-{w}") for w in ("ana", "bob")
             for t, lab in (("you idiot", "INSULT"), ("buy now", "SPAM"))]  # fmt: skip
    path = write(tmp_path / "ins.jsonl", lines)
    db = tmp_path / "s.db"
    args = ["import", str(db), str(path), "-f", "prodigy", "-t", "spam"]
    assert main(args) == 2  # two labels: one per task
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "label=" in err
    assert main([*args, "-O", "label=SPAM", "-O", "reject_label=ham"]) == 0
    assert "2 events — 2 written, 0 already present" in capsys.readouterr().out
    assert main([*args, "-O", "label=SPAM", "-O", "reject_label=ham"]) == 0
    assert "0 written, 2 already present" in capsys.readouterr().out
    out = tmp_path / "spam.jsonl"
    assert main(["export", str(db), "-t", "spam", "-f", "prodigy", "-o", str(out)]) == 0
    assert {json.loads(x)["_annotator_id"] for x in out.read_text(encoding="utf-8").splitlines()} == {
        "spam-ana", "spam-bob"}  # fmt: skip
