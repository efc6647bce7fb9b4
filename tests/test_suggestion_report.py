"""nl.suggestion_report (issue 15, item 3): what people did with model suggestions, checked on a
case computed by hand, through the store (SQLite and PostgreSQL) and the widgets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

import nblabel as nl
from nblabel.agreement.suggestions import (
    newcombe_interval,
    suggestion_report,
    suggestion_table,
    wilson_interval,
)
from nblabel.core import registry
from nblabel.core.event import Event

GOLD = pd.Series({1: "pos", 2: "pos", 3: "neg", 4: "neg", 5: "pos", 6: "neg"})
#: The model's suggestion per item: right on 1, 3, 5; wrong on 2, 4, 6.
SUGGESTED = {1: "pos", 2: "neg", 3: "neg", 4: "pos", 5: "pos", 6: "pos"}
#: (item, shown: True/False/None = no suggestion recorded, value, active ms) per annotator.
LABELS = {
    "ana": [(1, True, "pos", 1000), (2, True, "neg", 1200), (3, False, "neg", 3000), (4, False, "neg", 4000),
            (5, True, "neg", 2000), (6, None, "neg", 900)],
    "ben": [(1, False, "pos", 5000), (2, False, "pos", 6000), (3, True, "neg", 1500), (4, True, "pos", 1000),
            (5, True, "pos", 500), (6, True, "neg", 2500)],
}  # fmt: skip
Z = 1.959963984540054


def _write(store: nl.Store) -> pd.DataFrame:
    store.register_task("t", "classify", ["pos", "neg"])
    seq = 0

    def add(annotator: str, item: int, kind: str, value, **extra) -> None:
        nonlocal seq
        seq += 1
        store.append(Event(task="t", item_id=str(item), item_kind="int", annotator=annotator, kind=kind,
                           value=value, client_id=f"c-{annotator}", client_seq=seq, **extra))  # fmt: skip

    add("ana", 6, "label", "pos")  # then undone: the report reads standing labels only
    add("ana", 6, "retract", None)
    for annotator, rows in LABELS.items():
        for item, shown, value, ms in rows:
            suggestion = None if shown is None else SUGGESTED[item]
            add(annotator, item, "label", value, active_ms=ms, suggestion=suggestion, suggestion_shown=shown)
    for item in GOLD.index:  # a model annotator: non-voting, never a row of the report
        record = {"model": "clf", "version": "1", "score": 0.9}
        add("model:clf", item, "label", SUGGESTED[item], suggestion=record)
    return store.annotations("t")


def test_wilson_and_newcombe_by_hand():
    p, low, high = wilson_interval(2, 2)
    assert (p, high) == (1.0, 1.0) and low == pytest.approx(1 / (1 + Z * Z / 2))  # 0.3424
    p, low, high = wilson_interval(1, 3)
    centre, half = (1 / 3 + Z * Z / 6) / (1 + Z * Z / 3), Z * math.sqrt(2 / 27 + Z * Z / 36) / (1 + Z * Z / 3)
    assert (low, high) == pytest.approx((centre - half, centre + half))
    assert (low, high) == pytest.approx((0.0615, 0.7923), abs=1e-4)  # the published Wilson interval of 1/3
    d, dl, dh = newcombe_interval((1 / 3, low, high), (1.0, 1 / (1 + Z * Z / 2), 1.0))
    assert d == pytest.approx(-2 / 3)
    assert dl == pytest.approx(-2 / 3 - math.hypot(1 / 3 - low, 0.0))
    assert dh == pytest.approx(-2 / 3 + math.hypot(high - 1 / 3, 1 - 1 / (1 + Z * Z / 2)))
    assert all(math.isnan(v) for v in wilson_interval(0, 0))


def test_report_by_hand_against_gold(store):
    report = nl.suggestion_report(_write(store), gold=GOLD)
    assert list(report.index) == ["ana", "ben", "all"]
    assert report.attrs["reference"] == "gold" and report.attrs["randomised"]
    expected = {
        #        events sugg shown hidden acc part rej  wrong_shown wrong_acc
        "ana": (6, 5, 3, 2, 2, 0, 1, 1, 1),
        "ben": (6, 6, 4, 2, 3, 0, 1, 2, 1),
        "all": (12, 11, 7, 4, 5, 0, 2, 3, 2),
    }
    columns = ["events", "suggested", "shown", "hidden", "accepted", "partial", "rejected", "wrong_shown",
               "wrong_accepted"]  # fmt: skip
    for name, counts in expected.items():
        assert tuple(report.loc[name, columns]) == counts, name
    assert report.loc[:, "accept_rate"].tolist() == pytest.approx([2 / 3, 3 / 4, 5 / 7])
    assert report.loc[:, "wrong_accept_rate"].tolist() == pytest.approx([1.0, 1 / 2, 2 / 3])
    assert report.loc[:, "hidden_match_rate"].tolist() == pytest.approx([1 / 2, 1 / 2, 2 / 4])
    # a label is one part: the wrong parts are the wrong suggestions
    assert report.loc[:, "wrong_parts_shown"].tolist() == [1, 2, 3]
    assert report.loc[:, "wrong_parts_accepted"].tolist() == [1, 1, 2]
    # one part per label: the parts are the events
    parts = ["parts_shown", "parts_accepted", "parts_changed", "parts_removed"]
    assert report.loc["all", parts].tolist() == [7, 5, 0, 2]
    # the randomised share: ana's item 6 recorded no suggestion and is not on it
    assert report.loc[:, "n_accuracy_shown"].tolist() == [3, 4, 7]
    assert report.loc[:, "n_accuracy_hidden"].tolist() == [2, 2, 4]
    assert report.loc[:, "accuracy_shown"].tolist() == pytest.approx([1 / 3, 3 / 4, 4 / 7])
    assert report.loc[:, "accuracy_hidden"].tolist() == pytest.approx([1.0, 1.0, 1.0])
    assert report.loc[:, "accuracy_diff"].tolist() == pytest.approx([-2 / 3, -1 / 4, -3 / 7])
    for name, (k, n, m) in {"ana": (1, 3, 2), "ben": (3, 4, 2), "all": (4, 7, 4)}.items():
        _, low, high = wilson_interval(k, n)
        assert report.loc[name, ["accuracy_shown_low", "accuracy_shown_high"]].tolist() == [low, high]
        hidden = wilson_interval(m, m)  # every hidden one right
        assert report.loc[name, "accuracy_hidden_low"] == pytest.approx(hidden[1])
        _, dl, dh = newcombe_interval(wilson_interval(k, n), hidden)
        diff = report.loc[name, ["accuracy_diff_low", "accuracy_diff_high"]].tolist()
        assert diff == pytest.approx([dl, dh])
    assert report.loc["ana", "accuracy_hidden_low"] == pytest.approx(0.3424, abs=1e-4)
    assert report.loc[:, "median_active_ms_shown"].tolist() == [1200.0, 1250.0, 1200.0]
    assert report.loc[:, "median_active_ms_hidden"].tolist() == [3500.0, 5500.0, 4500.0]


def test_without_gold_the_peoples_final_label_is_the_reference(store):
    report = suggestion_report(_write(store))
    assert report.attrs["reference"] == "final label"
    # people only decide: items 1 (pos), 3 and 6 (neg) are unanimous; 2, 4, 5 are ties (the
    # model's label would break them if it voted). Suggestions: 1 right, 3 right, 6 wrong.
    assert report.loc[["ana", "ben", "all"], "wrong_shown"].tolist() == [0, 1, 1]
    assert report.loc[["ana", "ben", "all"], "wrong_accepted"].tolist() == [0, 0, 0]
    assert report.loc["ben", "wrong_accept_rate"] == 0.0
    assert math.isnan(report.loc["ana", "wrong_accept_rate"])
    # accuracy on the items with a reference: ana shown 1 (right), hidden 3 (right)
    assert report.loc["ana", ["n_accuracy_shown", "n_accuracy_hidden"]].tolist() == [1, 1]
    assert report.loc["ben", ["n_accuracy_shown", "n_accuracy_hidden"]].tolist() == [2, 1]


def test_a_store_without_suggestion_shown_reads_recorded_suggestions_as_shown(store):
    frame = _write(store).drop(columns=["suggestion_shown"])
    report = suggestion_report(frame, gold=GOLD.to_dict())
    assert report.loc["all", ["suggested", "shown", "hidden"]].tolist() == [11, 11, 0]
    assert not report.attrs["randomised"]
    assert math.isnan(report.loc["all", "accuracy_shown"]) and math.isnan(report.loc["all", "accuracy_diff"])
    # every suggestion counts as shown: ana accepts on 1, 2, 3; ben on 1, 3, 4, 5
    assert report.loc[["ana", "ben", "all"], "accepted"].tolist() == [3, 4, 7]


TEXT = "Ada Lovelace met Charles Babbage in London."


def sp(start: int, end: int, label: str) -> dict:
    return {"start": start, "end": end, "label": label}


def test_spans_through_the_widget_count_parts(tmp_path: Path):
    """Suggested spans kept, changed (other bounds) and removed, recorded by nl.Spans from
    w.annotate: the report counts parts, and an event accepts only when it is the suggestion."""
    suggested = [sp(0, 12, "PER"), sp(17, 32, "PER"), sp(36, 42, "PER")]  # London is no person
    df = pd.DataFrame({"text": [TEXT, TEXT, TEXT], "model": [suggested, suggested, [sp(0, 3, "PER")]]})
    w = nl.Spans(df, text="text", labels=["PER", "LOC"], task="s", annotator="ana", store=tmp_path / "s.db",
                 suggestions="model")  # fmt: skip
    w.annotate(0, suggested)  # accepted as suggested
    w.annotate(1, [sp(0, 12, "PER"), sp(25, 32, "PER"), sp(36, 42, "LOC")])  # kept, changed, changed (label)
    w.annotate(2, [sp(36, 42, "LOC")])  # the suggestion removed, a span of one's own added
    gold = {0: [sp(0, 12, "PER"), sp(17, 32, "PER"), sp(36, 42, "LOC")]}
    gold[1] = gold[2] = gold[0]
    report = nl.suggestion_report(w.store.annotations("s"), gold=gold)
    row = report.loc["ana"]
    assert report.attrs["kind"] == "spans"
    assert (row["shown"], row["accepted"], row["partial"], row["rejected"]) == (3, 1, 1, 1)
    assert (row["parts_shown"], row["parts_accepted"], row["parts_changed"], row["parts_removed"],
            row["parts_added"]) == (7, 4, 2, 1, 1)  # fmt: skip
    # every suggestion differs from the gold spans (London is a place): the accepted one is a wrong accept
    assert (row["wrong_shown"], row["wrong_accepted"], row["wrong_accept_rate"]) == (3, 1, 1 / 3)
    table = suggestion_table(report)
    assert table.loc["ana", "wrong parts accepted"] == "1 of 3 (33%)"
    # part by part: the PER on London (twice) and the PER on "Ada" are wrong; only item 0 kept one
    assert (row["wrong_parts_shown"], row["wrong_parts_accepted"], row["wrong_parts_accept_rate"]) == (
        3,
        1,
        1 / 3,
    )
    w.close()


def test_kinds_say_what_a_value_kept_of_a_suggestion():
    """The seam: TaskKind.suggestion_outcome per kind (KindBase's default: one part, equality)."""
    classify = registry.for_task("classify", {})
    assert classify.suggestion_outcome("pos", "pos").status == "accepted"
    assert classify.suggestion_outcome("neg", "pos").status == "rejected"
    assert classify.suggestion_outcome("neg", None) is None
    multi = registry.for_task("classify", {"multi": True}).suggestion_outcome(["a", "c"], ["a", "b"])
    assert (multi.parts, multi.accepted, multi.removed, multi.added, multi.status) == (2, 1, 1, 1, "partial")
    kind = registry.for_task("classify", {"multi": True})
    checked = kind.suggestion_outcome(["a", "b"], ["a", "b"], reference=["a", "c"])
    assert (checked.wrong, checked.wrong_accepted) == (1, 1)  # b is not in the reference, and was kept
    compare = registry.for_task("compare", {})
    taken = compare.suggestion_outcome({"choice": "A", "strength": 2, "swapped": True}, {"choice": "A"})
    assert taken.status == "accepted"
    assert compare.suggestion_outcome({"choice": "B"}, "A").status == "rejected"
    text = registry.for_task("text", {})
    draft = {"draft": "Hello", "edit_distance": 0, "similarity": 1.0}
    assert text.suggestion_outcome("Hello", draft).status == "accepted"
    assert text.suggestion_outcome("Hello!", draft).status == "partial"
    boxes = registry.for_task("boxes", {})
    box = {"x": 0, "y": 0, "w": 10, "h": 10, "label": "car"}
    moved = {**box, "x": 2}
    far = {**box, "x": 100}
    record = {"boxes": [box, far], "accepted": [], "adjusted": [0], "rejected": [1]}
    out = boxes.suggestion_outcome([moved], record)
    assert (out.parts, out.accepted, out.changed, out.removed, out.status) == (2, 0, 1, 1, "partial")
    assert boxes.suggestion_outcome([moved], [box, far]) == out  # an imported list: worked out the same
    # a suggested box is right when a reference box of its label overlaps it with IoU >= 0.5
    checked = boxes.suggestion_outcome([box, far], [box, far], reference=[moved])
    assert (checked.wrong, checked.wrong_accepted, checked.status) == (1, 1, "accepted")
    assert classify.suggestion_outcome("neg", "pos", reference="neg").wrong == 1
    assert classify.suggestion_outcome("neg", "pos", reference="pos").wrong == 0
    spans = registry.for_task("spans", {})
    assert spans.suggestion_outcome([], []).status == "accepted"  # nothing suggested, nothing marked
    assert spans.suggestion_outcome([sp(0, 3, "PER")], []).status == "rejected"
    rating = registry.for_task("rating", {"points": 5})
    assert rating.suggestion_outcome(3, 3).status == "accepted"


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="store.annotations"):
        suggestion_report([1, 2])
    with pytest.raises(KeyError, match="value"):
        suggestion_report(pd.DataFrame({"item_id": [1], "annotator": ["a"], "kind": ["label"]}))
    frame = pd.DataFrame(
        {"task": ["a", "b"], "item_id": [1, 1], "annotator": "x", "kind": ["label"] * 2, "value": ["p", "p"]}
    )
    with pytest.raises(ValueError, match="name one with task="):
        suggestion_report(frame)
    assert suggestion_report(frame, task="a").loc["all", "events"] == 1
    with pytest.raises(TypeError, match="gold must be"):
        suggestion_report(frame, gold=["p"], task="a")


def test_plot_suggestions(store, tmp_path: Path):
    frame = _write(store)
    fig = nl.plot_suggestions(frame, gold=GOLD)
    assert fig.report.loc["ben", "wrong_accept_rate"] == 0.5
    left, right = fig.axes[:2]
    xs, ys = left.collections[0].get_offsets()[0]
    assert (xs, ys) == (pytest.approx(2 / 3), 1.0)  # ana: accept rate, wrong-accept rate
    assert [t.get_text() for t in right.get_yticklabels()] == ["ana", "ben", "all"]
    fig.savefig(tmp_path / "s.png")
    again = nl.plot_suggestions(fig.report)
    assert again.report is fig.report
    frame = frame.drop(columns=["suggestion_shown"])
    flat = nl.plot_suggestions(suggestion_report(frame, gold=GOLD))
    assert "no randomised share" in " ".join(t.get_text() for t in flat.axes[1].texts)


# ---------------------------------------------------------------------- where the report is shown
def test_cli_report_has_a_suggestions_section(tmp_path: Path, capsys):
    from nblabel.cli import main

    store = nl.Store(tmp_path / "s.db")
    _write(store)
    store.register_task("plain", "classify", ["pos", "neg"])
    store.append(Event(task="plain", item_id="1", item_kind="int", annotator="ana", kind="label", value="pos",
                       client_id="p", client_seq=1))  # fmt: skip
    store.close()
    out_dir = tmp_path / "out"
    path = str(tmp_path / "s.db")
    assert main(["report", path, "--task", "t", "--n-boot", "0", "--out", str(out_dir)]) == 0
    out = capsys.readouterr().out
    section = out[out.index("\nSuggestions\n") :]
    assert "model:clf" not in section  # a model is never a row
    assert "5 of 7 (71%)" in section  # all: accepted of shown
    assert "0 of 1 (0%)" in section  # against the people's final label: ben's item 6
    assert "Newcombe" in section and "final labels" in section
    assert (out_dir / "suggestions.png").stat().st_size > 0
    assert 'src="suggestions.png"' in (out_dir / "index.html").read_text()
    # an annotator named as the gold checks the suggestions and is no row
    assert main(["report", path, "--task", "t", "--gold", "ben", "--n-boot", "0"]) == 0
    section = capsys.readouterr().out.split("\nSuggestions\n")[1]
    rows = [line.split()[0] for line in section.splitlines()[1:] if line and not line.startswith(" ")]
    assert rows == ["ana", "all"]
    assert main(["report", path, "--task", "plain", "--n-boot", "0"]) == 0
    assert "Suggestions" not in capsys.readouterr().out


def test_dashboard_shows_suggestions_only_when_there_are_some(store):
    _write(store)
    d = nl.Dashboard(store, task="t", gold=GOLD, live=False, n_boot=0)
    sugg = d._snapshot["suggestions"]
    assert sugg["columns"][:4] == ["shown", "hidden", "accepted", "wrong accepted"]
    assert [row[0] for row in sugg["rows"]] == ["ana", "ben", "all"]
    assert sugg["rows"][-1][3:5] == ["5 of 7 (71%)", "2 of 3 (67%)"]
    assert sugg["rows"][0][5] == f"33% [{wilson_interval(1, 3)[1]:.0%}, {wilson_interval(1, 3)[2]:.0%}] of 3"
    assert "gold answers" in sugg["caption"] and "Wilson" in sugg["caption"]
    d.close()
    # an annotator named as the gold: their labels check the suggestions, and they are no row
    d = nl.Dashboard(store, task="t", gold="ben", live=False, n_boot=0)
    assert [row[0] for row in d._snapshot["suggestions"]["rows"]] == ["ana", "all"]
    d.close()
    store.register_task("plain", "classify", ["pos", "neg"])
    store.append(Event(task="plain", item_id="1", item_kind="int", annotator="ana", kind="label", value="pos",
                       client_id="p", client_seq=1))  # fmt: skip
    d = nl.Dashboard(store, task="plain", live=False, n_boot=0)
    assert d._snapshot["suggestions"] is None
    d.close()


def test_session_dataset_card_has_a_suggestions_section(tmp_path: Path):
    df = pd.DataFrame({"text": [f"text {i}" for i in range(6)], "model": ["pos", "neg"] * 3})
    s = nl.Session(tmp_path / "s.db", "sent", widget=nl.Classify, data=df, annotators=["ana", "ben"],
                   overlap=2, text="text", labels=["pos", "neg"], suggestions="model")  # fmt: skip
    answers = {
        "ana": ["pos", "neg", "pos", "pos", "pos", "neg"],
        "ben": ["pos", "neg", "neg", "pos", "pos", "neg"],
    }
    for name, values in answers.items():
        w = s.labeler(name)
        for item, value in enumerate(values):
            w.annotate(item, value)
    out = s.export(tmp_path / "card")
    readme = (out / "README.md").read_text()
    section = readme[readme.index("## Suggestions") :]
    # final labels: unanimous on 0, 1, 3, 4, 5 (3 is "pos": the suggestion "neg" is wrong); 2 unresolved
    assert "12 of 12 labels recorded a model suggestion: 12 shown, 0 hidden" in section
    assert "9 of 12 (75%)" in section  # accepted: ana 5, ben 4
    assert "0 of 2 (0%)" in section  # item 3's wrong suggestion, rejected by both
    assert "final labels of the session" in section and "![Suggestions" in section
    assert (out / "suggestions.png").exists()
    rows = json.loads((out / "suggestions.json").read_text())
    assert [r["annotator"] for r in rows] == ["ana", "ben", "all"] and rows[-1]["wrong_shown"] == 2
    assert "suggestions.png" in json.loads((out / "card.json").read_text())["files"]


def test_hf_dataset_card_has_a_suggestions_section(tmp_path: Path):
    store = nl.Store(tmp_path / "s.db")
    _write(store)
    out = store.export("t", tmp_path / "hf", format="hf")
    readme = (out / "README.md").read_text()
    section = readme[readme.index("## Suggestions") :]
    assert "11 of 12 labels recorded a model suggestion: 7 shown, 4 hidden on purpose" in section
    assert "model:clf" not in section and "0 of 1 (0%)" in section  # the people's final labels
    store.register_task("plain", "classify", ["pos", "neg"])
    store.append(Event(task="plain", item_id="1", item_kind="int", annotator="ana", kind="label", value="pos",
                       client_id="p", client_seq=1))  # fmt: skip
    plain = store.export("plain", tmp_path / "hf2", format="hf")
    assert "## Suggestions" not in (plain / "README.md").read_text()
    store.close()
