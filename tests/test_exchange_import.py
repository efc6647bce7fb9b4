"""Store.import_file: the path every format of nblabel.exchange takes into the store — values
checked by the task's kind before anything is written, one transaction, idempotent, times and
suggestions kept; Store.export dispatching registered formats; `nblabel import`.

The format here is a small one registered from outside (as a plugin would): JSON Lines of values
already in nblabel's stored form, with the kind given by the caller. The formats of other tools
(Label Studio, Prodigy, doccano) have their own tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import nblabel as nl
from nblabel.cli import main
from nblabel.core import registry
from nblabel.core.imported import ImportSummary
from nblabel.exchange.base import ImportedTask, events_frame, read_jsonl, task_rows


class LinesFormat:
    """``{"item", "who", "value", "at", "ms", "skip", "suggest", "text", "width", "height"}`` per
    line; ``kind=``, ``labels=`` and ``config=`` given when reading."""

    name = "test-lines"
    description = "nblabel values, one event per line (a test format)"

    def read(
        self, path: Path, *, kind: str = "classify", labels: list[Any] = (), config=None
    ) -> ImportedTask:
        rows, items = [], {}
        for number, rec in read_jsonl(path):
            rows.append({
                "item_id": rec["item"],
                "annotator": rec["who"],
                "kind": "skip" if rec.get("skip") else "label",
                "value": None if rec.get("skip") else rec["value"],
                "created_at": rec.get("at"),
                "active_ms": rec.get("ms"),
                "suggestion": rec.get("suggest"),
                "source": f"line {number}",
            })  # fmt: skip
            shown = {k: rec[k] for k in ("text", "width", "height", "image") if k in rec}
            items.setdefault(rec["item"], shown)
        frame = pd.DataFrame.from_dict(items, orient="index")
        return ImportedTask(kind, list(labels), dict(config or {}), events_frame(rows), frame)

    def write(self, store, task, path, *, values=None, **options) -> Path:
        written = task_rows(store, task, values)
        with Path(path).open("w", encoding="utf-8") as f:
            for row in written.rows.itertuples(index=False):
                f.write(json.dumps({"item": row.item_id, "who": getattr(row, "annotator", "final"),
                                    "value": row.value}) + "\n")  # fmt: skip
        return Path(path)


LINES = registry.register_format(LinesFormat())
LABELS = ["pos", "neg", "neu"]


def write_lines(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def classify_records() -> list[dict[str, Any]]:
    votes = {
        "ana": ["pos", "neg", "neu", "pos", "neg", "pos"],
        "bob": ["pos", "neg", "pos", "pos", "neu", "pos"],
        "cy": ["pos", "pos", "neu", "pos", "neg", "neg"],
    }
    records = []
    for who, labels in votes.items():
        for n, label in enumerate(labels):
            at = f"2024-05-0{n + 1}T10:00:00Z"
            records.append({"item": 100 + n, "who": who, "value": label, "text": f"review <b>{n}</b>",
                            "at": at, "ms": 1000 + n, "suggest": "pos"})  # fmt: skip
    records.append({"item": 106, "who": "ana", "skip": True, "text": "unreadable"})
    return records


def test_import_is_idempotent_and_keeps_times_active_time_and_suggestions(
    store_url: str, tmp_path: Path
) -> None:
    path = write_lines(tmp_path / "votes.jsonl", classify_records())
    with nl.Store(store_url) as store:
        summary = store.import_file(path, format="test-lines", task="t", labels=LABELS)
        assert isinstance(summary, ImportSummary)
        assert (summary.task, summary.kind, summary.format) == ("t", "classify", "test-lines")
        assert (summary.items, summary.annotators, summary.events) == (7, ["ana", "bob", "cy"], 19)
        assert (summary.written, summary.already_present, summary.items_written) == (19, 0, 7)
        assert "19 written" in str(summary)
        again = store.import_file(path, format="test-lines", task="t", labels=LABELS)
        assert (again.written, again.already_present, again.items_written) == (0, 19, 0)
        frame = store.annotations("t")
    assert len(frame) == 19
    assert store.task("t").labels == LABELS and store.task("t").kind == "classify"
    ana = frame[frame["annotator"] == "ana"].set_index("item_id")
    assert ana.loc[101, "value"] == "neg"
    assert ana.loc[101, "created_at"] == pd.Timestamp("2024-05-02T10:00:00Z")
    assert ana.loc[101, "active_ms"] == 1001
    assert ana.loc[101, "suggestion"] == "pos"
    assert ana.loc[106, "kind"] == "skip" and ana.loc[106, "value"] is None
    assert frame["client_id"].str.startswith("import:").all()
    items = store.items("t")
    assert items.loc[101, "text"] == "review <b>1</b>"  # hostile text kept as text
    assert items.loc[106, "text"] == "unreadable"


def test_identical_events_of_one_file_are_all_kept_and_still_imported_once(
    store: nl.Store, tmp_path: Path
) -> None:
    record = {"item": 1, "who": "ana", "value": "pos", "text": "x"}  # no time: the same event twice
    path = write_lines(tmp_path / "twice.jsonl", [record, record])
    assert store.import_file(path, "test-lines", "t", labels=LABELS).written == 2
    assert store.import_file(path, "test-lines", "t", labels=LABELS).written == 0
    assert len(store.annotations("t")) == 2


def test_a_bad_value_names_the_line_and_field_and_writes_nothing(store: nl.Store, tmp_path: Path) -> None:
    store.register_task("t", "classify", LABELS)
    before = pd.DataFrame({"item_id": [1, 2], "annotator": ["zoe", "zoe"], "value": ["pos", "neg"]})
    store.import_annotations(before, "t")
    records = classify_records()
    records[4] = {**records[4], "value": "positive"}
    path = write_lines(tmp_path / "bad.jsonl", records)
    with pytest.raises(ValueError, match=r"bad\.jsonl: line 5: value: 'positive' is not one of the labels"):
        store.import_file(path, format="test-lines", task="t", labels=LABELS)
    frame = store.annotations("t")
    assert list(frame["annotator"]) == ["zoe", "zoe"] and list(frame["value"]) == ["pos", "neg"]
    assert store.items("t").empty
    # a new task is not even created
    with pytest.raises(ValueError, match="line 5"):
        store.import_file(path, format="test-lines", task="fresh", labels=LABELS)
    assert "fresh" not in set(store.tasks()["task"])


def test_a_bad_prediction_and_a_bad_annotator_are_named(store: nl.Store, tmp_path: Path) -> None:
    records = classify_records()
    records[2] = {**records[2], "suggest": "maybe"}
    with pytest.raises(ValueError, match=r"line 3: prediction: 'maybe' is not one of"):
        store.import_file(write_lines(tmp_path / "p.jsonl", records), "test-lines", "t", labels=LABELS)
    records = classify_records()
    records[7] = {**records[7], "who": "a\x00b"}
    with pytest.raises(ValueError, match=r"line 8: annotator: .*NUL"):
        store.import_file(write_lines(tmp_path / "a.jsonl", records), "test-lines", "t", labels=LABELS)
    assert store.tasks().empty


def test_spans_are_checked_against_the_items_text(store: nl.Store, tmp_path: Path) -> None:
    good = {
        "item": "d1",
        "who": "ana",
        "text": "Ada went to Paris",
        "value": [{"start": 12, "end": 17, "label": "LOC"}],
    }
    bad = {"item": "d2", "who": "ana", "text": "short", "value": [{"start": 2, "end": 9, "label": "LOC"}]}
    path = write_lines(tmp_path / "spans.jsonl", [good, bad])
    with pytest.raises(ValueError, match=r"line 2: value: .*outside the text"):
        store.import_file(path, "test-lines", "ner", kind="spans", labels=["PER", "LOC"])
    path = write_lines(tmp_path / "spans.jsonl", [good])
    store.import_file(path, "test-lines", "ner", kind="spans", labels=["PER", "LOC"])
    assert store.annotations("ner")["value"].tolist() == [[{"start": 12, "end": 17, "label": "LOC"}]]


def test_a_task_of_another_kind_is_refused_and_keeps_its_labels(store: nl.Store, tmp_path: Path) -> None:
    store.register_task("ner", "spans", ["PER"])
    path = write_lines(tmp_path / "votes.jsonl", classify_records())
    with pytest.raises(
        ValueError, match=r"task 'ner' in .* is a 'spans' task; .*votes\.jsonl holds 'classify'"
    ):
        store.import_file(path, format="test-lines", task="ner", labels=LABELS)
    assert store.task("ner").labels == ["PER"] and store.annotations("ner").empty


def test_an_existing_task_grows_its_labels_and_refuses_another_variant(
    store: nl.Store, tmp_path: Path
) -> None:
    store.register_task("t", "classify", ["neu", "pos"], {"multi": False}, fixed=("multi",))
    path = write_lines(tmp_path / "votes.jsonl", classify_records())
    store.import_file(path, format="test-lines", task="t", labels=LABELS)
    assert store.task("t").labels == ["neu", "pos", "neg"]
    multi = write_lines(tmp_path / "multi.jsonl", [{"item": 1, "who": "ana", "value": ["pos", "neg"]}])
    with pytest.raises(ValueError, match=r"does not fit task 't'.*multi=True \(the task has False\)"):
        store.import_file(multi, "test-lines", "t", labels=LABELS, config={"multi": True})
    store.register_task("plain", "classify", LABELS)  # recorded without multi: single-label
    with pytest.raises(ValueError, match=r"does not fit task 'plain'.*multi=True"):
        store.import_file(multi, "test-lines", "plain", labels=LABELS, config={"multi": True})


def test_unknown_format_and_missing_file_are_clear(store: nl.Store, tmp_path: Path) -> None:
    with pytest.raises(KeyError, match="unknown file format 'labelstudio'; known formats: .*test-lines"):
        store.import_file(tmp_path / "x.json", format="labelstudio", task="t")
    with pytest.raises(FileNotFoundError):
        store.import_file(tmp_path / "missing.jsonl", format="test-lines", task="t", labels=LABELS)


def test_report_aggregate_and_dashboard_work_after_an_import(store: nl.Store, tmp_path: Path) -> None:
    store.import_file(
        write_lines(tmp_path / "votes.jsonl", classify_records()), "test-lines", "t", labels=LABELS
    )
    annotations = store.annotations("t")
    report = nl.agreement_report(annotations, n_boot=0)
    assert "fleiss_kappa" in report.index and report.loc["fleiss_kappa", "items"] == 6
    result = nl.aggregate(annotations, "majority")
    assert result.loc[100, "label"] == "pos" and len(result) == 6
    dash = nl.Dashboard(store, task="t", live=False, n_boot=0)
    try:
        dash.refresh()
        assert dash._status["state"] != "error", dash._status
        assert dash._snapshot["events"] == 19 and dash._snapshot["annotators"] == ["ana", "bob", "cy"]
    finally:
        dash.close()


def test_export_writes_a_registered_format(store: nl.Store, tmp_path: Path) -> None:
    store.import_file(
        write_lines(tmp_path / "votes.jsonl", classify_records()), "test-lines", "t", labels=LABELS
    )
    out = store.export("t", tmp_path / "out.jsonl", format="test-lines")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 18 and {"item": 101, "who": "ana", "value": "neg"} in lines
    final = pd.DataFrame({"value": ["neu"]}, index=pd.Index([102], name="item_id"))
    out = store.export("t", tmp_path / "final.jsonl", format="test-lines", values=final)
    assert [json.loads(line) for line in out.read_text().splitlines()] == [
        {"item": 102, "who": "final", "value": "neu"}
    ]
    # round trip into another store: the same current labels
    with nl.Store(tmp_path / "other.db") as other:
        other.import_file(tmp_path / "out.jsonl", "test-lines", "t", labels=LABELS)
        assert _current(other, "t") == _current(store, "t")


def _current(store: nl.Store, task: str) -> list[tuple[Any, str, Any]]:
    current = store.current(task)
    current = current[current["kind"] == "label"]
    return sorted(zip(current["item_id"], current["annotator"], current["value"], strict=True))


# ---------------------------------------------------------------------- the command
def test_cli_import_prints_the_summary_and_is_idempotent(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    path = write_lines(tmp_path / "votes.jsonl", classify_records())
    db = tmp_path / "new.db"  # the store is created
    args = ["import", str(db), str(path), "--format", "test-lines", "--task", "t"]
    assert main([*args, "--option", 'labels=["pos", "neg", "neu"]']) == 0
    assert "19 written, 0 already present" in capsys.readouterr().out
    assert main([*args, "--option", 'labels=["pos", "neg", "neu"]']) == 0
    assert "0 written, 19 already present" in capsys.readouterr().out


def test_cli_import_errors_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    records = classify_records()
    records[0] = {**records[0], "value": "nope"}
    path = write_lines(tmp_path / "bad.jsonl", records)
    db = tmp_path / "s.db"
    code = main(["import", str(db), str(path), "-f", "test-lines", "-t", "t", "-O", 'labels=["pos"]'])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "bad.jsonl: line 1: value: 'nope'" in err
    assert main(["import", str(db), str(path), "-f", "nope", "-t", "t"]) == 2
    assert "unknown file format 'nope'" in capsys.readouterr().err
    assert main(["import", str(db), str(tmp_path / "gone.jsonl"), "-f", "test-lines", "-t", "t"]) == 2
    assert "gone.jsonl" in capsys.readouterr().err


def test_cli_import_masks_the_password(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    path = write_lines(tmp_path / "votes.jsonl", classify_records())
    code = main(
        ["import", "postgresql://u:s3cret-pw@127.0.0.1:1/db", str(path), "-f", "test-lines", "-t", "t"]
    )
    out = capsys.readouterr()
    assert code == 2 and "s3cret-pw" not in out.err + out.out
