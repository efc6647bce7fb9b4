"""The live dashboard without a browser: what the store keeps for it (item text, revisions,
incremental reads), the numbers it publishes (equal to agreement_report and plot_confusion),
the items behind a confusion cell, polling a store that another process writes, and that a
refresh never raises."""

from __future__ import annotations

import math
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nblabel as nl
from nblabel.agreement.report import AgreementReport
from nblabel.core.event import Event, reduce_state
from nblabel.store import current_from_annotations
from nblabel.widgets.live import COLUMNS, LiveAgreement

LABELS = ["pos", "neg", "neu"]
TEXTS = pd.DataFrame(
    {"text": ["good", "bad", "meh", "<img src=x onerror=alert(1)>", "fine\nreally", "so-so"]},
    index=pd.Index([10, 11, 12, 13, 14, 15], name="rid"),
)
VOTES = {
    "ana": ["pos", "neg", "neu", "pos", "pos", "neu"],
    "bob": ["pos", "neg", "pos", "neg", "pos", "neg"],
    "cy": ["pos", "pos", "neu", "neg", "pos", None],
}


def label_all(store: nl.Store, task: str = "t", votes: dict = VOTES) -> None:
    for annotator, values in votes.items():
        w = nl.Classify(TEXTS, text="text", labels=LABELS, task=task, annotator=annotator, store=store)
        for item, value in zip(TEXTS.index, values, strict=True):
            if value is not None:
                w.annotate(item, value)
        w.close()


def wait_until(predicate, timeout: float = 15.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


# ---------------------------------------------------------------------- the store's part
def test_item_text_is_stored_with_the_first_label(store: nl.Store) -> None:
    w = nl.Classify(TEXTS, text="text", labels=LABELS, task="t", annotator="ana", store=store)
    w.annotate(13, "pos")
    w.annotate(13, "neg")  # relabel: the item is stored once
    w.annotate(10, "pos")
    w.skip(11)  # a skip shows nothing worth keeping
    items = store.items("t")
    assert list(items.index) == [13, 10]
    assert items.index.dtype == np.int64
    assert items.loc[13, "text"] == "<img src=x onerror=alert(1)>"
    # a second widget (another session) does not duplicate or overwrite
    w2 = nl.Classify(
        TEXTS.assign(text="changed"), text="text", labels=LABELS, task="t", annotator="bob", store=store
    )
    w2.annotate(13, "pos")
    assert store.items("t").loc[13, "text"] == "<img src=x onerror=alert(1)>"
    assert len(store.items("t")) == 2
    assert store.items("other").empty


def test_image_references_are_stored_but_pixels_are_not(tmp_path: Path) -> None:
    from PIL import Image

    path = tmp_path / "cat.png"
    Image.new("RGB", (4, 4), "red").save(path)
    df = pd.DataFrame({"image": [str(path), path.read_bytes()]})
    store = nl.Store(tmp_path / "s.db")
    w = nl.Classify(df, image="image", labels=LABELS, task="img", annotator="ana", store=store)
    w.annotate(0, "pos")
    w.annotate(1, "neg")
    items = store.items("img")
    assert items.loc[0, "image"] == str(path)
    assert pd.isna(items.loc[1, "image"]) if "image" in items.columns and 1 in items.index else True
    assert 1 in items.index  # the row exists (nothing to show but the id)


def test_revision_changes_with_every_write(store: nl.Store) -> None:
    assert store.revision("t") == (0, 0)
    store.register_task("t", "classify", LABELS)
    store.append(Event(task="t", item_id="1", annotator="a", kind="label", value="pos"))
    count, top = store.revision("t")
    assert count == 1 and top >= 1
    store.append(Event(task="other", item_id="1", annotator="a", kind="label", value="pos"))
    assert store.revision("t") == (count, top)  # another task's events do not count
    store.append(Event(task="t", item_id="1", annotator="a", kind="retract"))
    assert store.revision("t")[0] == 2
    assert store.revision()[0] == 3


def test_annotations_after_id_reads_only_newer_events(store: nl.Store) -> None:
    for i in range(5):
        store.append(
            Event(task="t", item_id=str(i), item_kind="int", annotator="a", kind="label", value="pos")
        )
    every = store.annotations("t")
    newer = store.annotations("t", after_id=int(every["id"].iloc[2]))
    assert list(newer["id"]) == list(every["id"].iloc[3:])
    assert list(newer["item_id"]) == [3, 4]
    assert store.annotations("t", after_id=int(every["id"].max())).empty


def test_annotations_reads_only_the_columns_asked(store: nl.Store) -> None:
    w = nl.Classify(TEXTS, text="text", labels=LABELS, task="t", annotator="ana", store=store)
    w.annotate(10, "pos")
    w.flag(11, "unclear")
    full = store.annotations("t")
    narrow = store.annotations("t", columns=["item_id", "value", "created_at"])
    assert list(narrow.columns) == ["id", "item_id", "value", "created_at", "item_kind"]
    pd.testing.assert_frame_equal(narrow, full[list(narrow.columns)])
    empty = store.annotations("none", columns=["annotator"])
    assert list(empty.columns) == ["id", "annotator"] and empty.empty
    with pytest.raises(KeyError, match="unknown annotation columns \\['colour'\\]"):
        store.annotations("t", columns=["colour"])


def _reference_current(frame: pd.DataFrame) -> set[int]:
    keep = set()
    for _task, part in frame.groupby("task", sort=False):
        rows = zip(part["item_id"], part["annotator"], part["kind"], part["id"], strict=True)
        keep.update(event_id for _kind, event_id in reduce_state(rows).values())
    return keep


@pytest.mark.parametrize("seed", range(8))
def test_vectorised_current_state_equals_the_stack_replay(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 400
    kinds = rng.choice(["label", "label", "label", "skip", "retract", "flag"], n)
    frame = pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "task": rng.choice(["t1", "t2"], n),
            "item_id": rng.integers(0, 15, n),
            "annotator": rng.choice(["a", "b", "c"], n),
            "kind": kinds,
            "value": rng.choice(LABELS, n),
            "created_at": pd.Timestamp("2026-01-01", tz="UTC"),
            "active_ms": 1,
            "guideline_version": None,
            "suggestion": None,
        }
    )
    current = current_from_annotations(frame)
    expected = frame[frame["id"].isin(_reference_current(frame))]
    assert sorted(
        zip(current["task"], current["item_id"], current["annotator"], current["value"], strict=True)
    ) == sorted(
        zip(expected["task"], expected["item_id"], expected["annotator"], expected["value"], strict=True)
    )


# ---------------------------------------------------------------------- incremental reads
def test_live_reads_incrementally_and_equals_a_full_read(store: nl.Store) -> None:
    store.register_task("t", "classify", LABELS)
    live = LiveAgreement(store, "t")
    assert live.read() is True
    assert live.frame is not None and live.frame.empty
    for batch in range(3):
        for i in range(4):
            store.append(
                Event(
                    task="t",
                    item_id=str(i),
                    item_kind="int",
                    annotator=f"a{batch}",
                    kind="label",
                    value="pos",
                )
            )
        assert live.changed()
        assert live.read()
        full = store.annotations("t", columns=COLUMNS)
        pd.testing.assert_frame_equal(live.frame.reset_index(drop=True), full)
    assert not live.changed()
    assert live.read() is False
    store.append(Event(task="other", item_id="1", annotator="a", kind="label", value="pos"))
    assert not live.changed()  # another task's event
    store.append(Event(task="t", item_id="9", item_kind="int", annotator="z", kind="label", value="pos"))
    assert live.changed()


def test_live_notices_an_event_committed_under_a_lower_id(postgres) -> None:
    # On PostgreSQL a transaction that took a lower id may commit after one with a higher id:
    # the reader has already passed that id, so the count tells, and a full read follows.
    store = nl.Store(postgres.new_database())
    store.register_task("t", "classify", LABELS)
    live = LiveAgreement(store, "t")
    live.read()

    slow = store._writer.connect()
    slow_txn = slow.begin()
    slow.execute(store._insert_event, _event("slow").row())  # takes the lower id, commits last
    store.append(_event("fast"))
    assert live.changed()
    live.read()
    assert list(live.frame["annotator"]) == ["fast"]
    slow_txn.commit()
    slow.close()
    assert live.changed()
    live.read()
    assert sorted(live.frame["annotator"]) == ["fast", "slow"]
    assert list(live.frame["id"]) == sorted(live.frame["id"])  # log order after the full read
    store.close()


def _event(annotator: str) -> Event:
    return Event(task="t", item_id="1", item_kind="int", annotator=annotator, kind="label", value="pos")


# ---------------------------------------------------------------------- the numbers
def test_snapshot_equals_the_report_and_the_confusion_plot(store: nl.Store) -> None:
    label_all(store)
    dash = nl.Dashboard(store, task="t", live=False, n_boot=0)
    snap = dash._snapshot
    report = nl.agreement_report(store.annotations("t"), labels=LABELS, n_boot=0)
    by_key = {row["key"]: row for row in snap["coefficients"]}
    assert list(by_key) == list(report.index)
    for key, row in report.iterrows():
        expected = row["value"]
        assert (by_key[key]["value"] is None and math.isnan(expected)) or by_key[key][
            "value"
        ] == pytest.approx(expected, abs=1e-12)
        assert by_key[key]["reading"] == row["reading"]
    assert snap["events"] == len(store.annotations("t"))
    assert (snap["items"], snap["shared"], snap["ratings"]) == (6, 6, 17)
    assert snap["disagreements"] == len(report.disagreements)
    assert snap["annotators"] == ["ana", "bob", "cy"]
    assert [r["annotator"] for r in snap["per_annotator"]] == ["ana", "bob", "cy"]
    assert snap["per_annotator"][0]["items"] == 6
    assert [r["label"] for r in snap["per_label"]] == LABELS

    confusion = snap["confusion"]
    # default pair: the two annotators with the most items in common (ana and bob: 6)
    assert (confusion["rows"], confusion["columns"]) == ("annotator:ana", "annotator:bob")
    figure = nl.plot_confusion(store.annotations("t"), "ana", "bob", labels=LABELS)
    assert confusion["counts"] == figure.confusion.tolist()
    assert confusion["categories"] == LABELS
    assert confusion["total"] == 6 and confusion["agree"] == 3
    assert [c["id"] for c in confusion["column_choices"]][-1] == "majority"
    dash.close()


def test_cell_items_lists_the_items_with_their_text_and_every_value(store: nl.Store) -> None:
    label_all(store)
    dash = nl.Dashboard(store, task="t", live=False, n_boot=0)
    items = dash.cell_items("pos", "neg")  # ana said pos, bob said neg
    assert list(items.index) == [13]
    assert items.loc[13, "text"] == "<img src=x onerror=alert(1)>"
    assert items.loc[13, ["ana", "bob", "cy"]].tolist() == ["pos", "neg", "neg"]
    assert dash.cell_items("neu", "neg").index.tolist() == [15]
    assert pd.isna(dash.cell_items("neu", "neg").loc[15, "cy"])  # cy did not label 15
    with pytest.raises(KeyError, match="'nope' is not on the axes"):
        dash.cell_items("nope", "pos")

    # the same through the browser's message, clipped and as text
    sent: list[dict] = []
    dash.send = lambda content, buffers=None: sent.append(content)
    dash._on_browser_message(
        dash,
        {
            "type": "cell",
            "req": "v1:1",
            "rows": "annotator:ana",
            "columns": "annotator:bob",
            "row": 0,
            "col": 1,
        },
        [],
    )
    reply = sent[-1]
    assert reply["req"] == "v1:1" and reply["total"] == 1 and reply["row"] == "pos" and reply["col"] == "neg"
    assert reply["items"] == [
        {"id": "13", "text": "<img src=x onerror=alert(1)>", "values": ["pos", "neg", "neg"]}
    ]
    dash._on_browser_message(
        dash, {"type": "cell", "req": "v1:2", "rows": "annotator:ana", "columns": "x", "row": 9, "col": 0}, []
    )
    assert "error" in sent[-1] and sent[-1]["req"] == "v1:2"
    dash.close()


def test_texts_from_a_dataframe_when_given(store: nl.Store) -> None:
    label_all(store)
    other = TEXTS.assign(text=TEXTS["text"].str.upper())
    dash = nl.Dashboard(store, task="t", live=False, n_boot=0, data=other, text="text")
    assert dash.cell_items("pos", "neg").loc[13, "text"] == "<IMG SRC=X ONERROR=ALERT(1)>"
    with pytest.raises(KeyError, match="column 'txt' not found; columns: \\['text'\\]"):
        nl.Dashboard(store, task="t", live=False, data=other, text="txt")
    with pytest.raises(TypeError, match="data= and text= go together"):
        nl.Dashboard(store, task="t", live=False, data=other)


def test_pair_by_name_gold_and_majority(store: nl.Store) -> None:
    label_all(store)
    dash = nl.Dashboard(store, task="t", live=False, n_boot=0)
    dash.pair = ("cy", "majority")
    confusion = dash._snapshot["confusion"]
    assert (confusion["rows"], confusion["columns"]) == ("annotator:cy", "majority")
    # majority of ana and bob: defined where they agree (items 10, 11, 14), all "pos"/"neg"
    assert confusion["total"] == 3
    assert dash.cell_items("pos", "pos").index.tolist() == [10, 14]
    assert dash.cell_items("pos", "neg").index.tolist() == [11]
    assert dash.cell_items("pos", "neg").loc[11, "majority"] == "neg"
    with pytest.raises(KeyError, match="no annotator 'zoe'"):
        dash.pair = ("zoe", "ana")
    dash.close()

    gold = nl.Dashboard(store, task="t", live=False, n_boot=0, gold="ana")
    snap = gold._snapshot
    assert snap["annotators"] == ["bob", "cy"] and snap["has_gold"] and snap["reference"] == "gold"
    assert (snap["confusion"]["rows"], snap["confusion"]["columns"]) == ("annotator:bob", "gold")
    figure = nl.plot_confusion(store.annotations("t"), "bob", "gold", gold="ana", labels=LABELS)
    assert snap["confusion"]["counts"] == figure.confusion.tolist()
    assert gold.cell_items("neg", "pos").loc[13, "gold"] == "pos"
    gold.close()


def test_confidence_intervals_follow_the_values(store: nl.Store) -> None:
    label_all(store)
    dash = nl.Dashboard(store, task="t", live=False, n_boot=50)
    report = nl.agreement_report(store.annotations("t"), labels=LABELS, n_boot=50, seed=0)
    snap = dash._snapshot
    assert snap["ci_level"] == 0.95
    for row in snap["coefficients"]:
        low, high = report.loc[row["key"], ["ci_low", "ci_high"]]
        assert row["ci"] == [pytest.approx(low), pytest.approx(high)] or (
            math.isnan(low) and row["ci"][0] is None
        )
        # the reading names the bands the interval spans, as the report's does
        assert row["reading"] == report.loc[row["key"], "reading"]
    assert any("; the CI spans " in row["reading"] for row in snap["coefficients"])
    dash.close()


def test_no_throughput_is_shown_without_active_time(store: nl.Store) -> None:
    """Imported labels (no active time, thousands a millisecond) show no items per hour: the
    JSON holds null, which the browser shows as "—"."""
    store.register_task("imp", "classify", LABELS, {"multi": False})
    votes = pd.DataFrame(
        {"item_id": list(range(2000)) * 2, "annotator": ["ana"] * 2000 + ["bob"] * 2000, "value": "pos"}
    )
    store.import_annotations(votes, "imp")
    dash = nl.Dashboard(store, task="imp", live=False, n_boot=0)
    rows = dash._snapshot["per_annotator"]
    assert [r["items"] for r in rows] == [2000, 2000]
    assert all(r["items_per_hour"] is None and r["median_active_ms"] is None for r in rows)
    dash.close()


@pytest.mark.parametrize("scale", [list(range(101)), ["never", "rarely", "often", "always"]])
def test_ordered_tasks_show_ordinal_rows_equal_to_the_report(store: nl.Store, scale: list) -> None:
    """A numeric scale of 101 points (over the 30 labels a dashboard prepares whole: only those
    in use are, and positions still count the unused ones between) and an ordered text scale."""
    rng = np.random.default_rng(4)
    ordered = isinstance(scale[0], str)
    # on the numeric scale only 0-20 and 80-100 are used: 20 and 80 are neighbours in use, 60 apart
    used = list(range(len(scale))) if ordered else [*range(21), *range(80, 101)]
    truth = rng.integers(0, len(used), 200)
    step = np.clip(np.tile(truth, 3) + rng.integers(-1, 2, 600), 0, len(used) - 1)
    position = [used[int(i)] for i in step]
    votes = pd.DataFrame(
        {
            "item_id": list(range(200)) * 3,
            "annotator": np.repeat(["ana", "bob", "cy"], 200),
            "value": [scale[p] for p in position],
        }
    )
    store.register_task("o", "classify", scale, {"multi": False, "ordered": ordered})
    store.import_annotations(votes, "o")
    dash = nl.Dashboard(store, task="o", live=False, n_boot=50)
    report = nl.agreement_report(store.annotations("o"), labels=scale, n_boot=50, seed=0)
    rows = {row["key"]: row for row in dash._snapshot["coefficients"]}
    for key in ("ordinal_alpha", "weighted_kappa_linear", "weighted_kappa_quadratic"):
        assert rows[key]["value"] == pytest.approx(report.loc[key, "value"], abs=1e-12), key
        assert rows[key]["ci"] == pytest.approx(report.loc[key, ["ci_low", "ci_high"]].tolist()), key
        assert rows[key]["reading"] == report.loc[key, "reading"]
    dash.close()


def test_report_property_is_the_full_report(store: nl.Store) -> None:
    label_all(store)
    dash = nl.Dashboard(store, task="t", live=False, n_boot=0)
    report = dash.report
    assert isinstance(report, AgreementReport)
    assert len(report.disagreements) == dash._snapshot["disagreements"]
    dash.close()


def test_multi_label_tasks_compare_label_sets(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "m.db")
    votes = {"ana": [["pos"], ["neg", "neu"], []], "bob": [["pos"], ["neg"], ["neu"]]}
    for annotator, values in votes.items():
        w = nl.Classify(
            TEXTS.head(3), text="text", labels=LABELS, task="m", annotator=annotator, store=store, multi=True
        )
        for item, value in zip(TEXTS.index[:3], values, strict=True):
            w.annotate(item, value)
    dash = nl.Dashboard(store, task="m", live=False, n_boot=0)
    snap = dash._snapshot
    assert snap["multi"] is True
    assert "mean_jaccard" in [row["key"] for row in snap["coefficients"]]
    assert snap["confusion"]["categories"] == ["(none)", "pos", "neg", "neu", "neg + neu"]
    assert dash.cell_items(["neg", "neu"], ["neg"]).index.tolist() == [11]
    # the model beside the majority, label by label: a label set counts under each of its labels
    with pytest.warns(UserWarning, match="unstable"):
        result = nl.aggregate(store.annotations("m"), "dawid_skene")
    shown = {row["label"]: (row["majority"], row["model"]) for row in snap["aggregation"]["per_label"]}
    for label in LABELS:
        expected = tuple(int(sum(label in v for v in result[c])) for c in ("majority", "label"))
        assert shown.get(label, (0, 0)) == expected, label
    dash.close()


# ---------------------------------------------------------------------- live, and never raising
WRITER = textwrap.dedent(
    """
    import sys, pandas as pd, nblabel as nl
    store = nl.Store(sys.argv[1])
    df = pd.DataFrame({"text": ["good", "bad", "meh", "x", "fine", "so-so"]}, index=[10, 11, 12, 13, 14, 15])
    w = nl.Classify(df, text="text", labels=["pos", "neg", "neu"], task="t", annotator="dee", store=store)
    for item in df.index:
        w.annotate(item, "neg")
    """
)


def test_live_dashboard_follows_another_process(tmp_path: Path) -> None:
    db = tmp_path / "live.db"
    store = nl.Store(db)
    label_all(store)
    dash = nl.Dashboard(store, task="t", interval=0.05, n_boot=0)
    wait_until(lambda: dash._snapshot.get("events") == 17, what="the first refresh")
    assert dash._status["state"] == "live"
    subprocess.run([sys.executable, "-c", WRITER, str(db)], check=True, timeout=120)
    wait_until(lambda: dash._snapshot.get("events") == 23, what="the other process's labels")
    assert "dee" in dash._snapshot["annotators"]
    assert dash._snapshot["per_annotator"][-1]["items"] == 6

    dash.paused = True
    assert dash._status["state"] == "paused"
    w = nl.Classify(TEXTS, text="text", labels=LABELS, task="t", annotator="eve", store=store)
    w.annotate(10, "pos")
    time.sleep(0.4)
    assert dash._snapshot["events"] == 23  # paused: no refresh
    dash.paused = False
    wait_until(lambda: dash._snapshot.get("events") == 24, what="the refresh after resuming")
    dash.close()
    assert not dash._thread.is_alive() or (dash._thread.join(timeout=5) or not dash._thread.is_alive())


def test_a_dashboard_waits_for_its_task(tmp_path: Path) -> None:
    store = nl.Store(tmp_path / "w.db")
    dash = nl.Dashboard(store, task="t", interval=0.05, n_boot=0)
    wait_until(lambda: dash._status.get("state") == "waiting", what="the waiting state")
    assert "waiting for task 't' to be created" in dash._status["message"]
    label_all(store, votes={"ana": VOTES["ana"]})
    wait_until(lambda: dash._snapshot.get("events") == 6, what="the first labels")
    assert dash._status["state"] == "live"
    snap = dash._snapshot
    # one annotator: nothing to compare yet, and no error
    assert all(row["value"] is None for row in snap["coefficients"] if row["key"] != "percent_agreement")
    dash.close()


def test_an_empty_task_shows_no_labels_yet(store: nl.Store) -> None:
    store.register_task("t", "classify", LABELS)
    dash = nl.Dashboard(store, task="t", live=False)
    assert dash._snapshot["empty"] is True
    assert dash._status["state"] == "live"
    dash.close()


def test_a_failing_refresh_is_shown_and_recovers(tmp_path: Path, monkeypatch) -> None:
    store = nl.Store(tmp_path / "f.db")
    label_all(store)
    dash = nl.Dashboard(store, task="t", live=False, n_boot=0)
    calls = {"n": 0}
    real = store.revision

    def broken(task=None):
        calls["n"] += 1
        raise RuntimeError("database is locked")

    monkeypatch.setattr(store, "revision", broken)
    assert dash.refresh() is False  # never raises
    assert dash._status["state"] == "error"
    assert "database is locked" in dash._status["message"]
    assert dash._snapshot["events"] == 17  # the last good numbers stay
    monkeypatch.setattr(store, "revision", real)
    dash.refresh()
    assert dash._status["state"] == "live" and dash._status["message"] == ""
    dash.close()


def test_tasks_without_a_report_kind_show_why(store: nl.Store) -> None:
    store.register_task("b", "audio", ["speech"])
    store.append(Event(task="b", item_id="1", annotator="a", kind="label", value="speech"))
    dash = nl.Dashboard(store, task="b", live=False)
    assert dash._status["state"] == "error"
    assert "unknown task kind 'audio'" in dash._status["message"]
    dash.close()


def test_span_tasks_get_span_f1_and_a_label_confusion(store: nl.Store) -> None:
    texts = pd.DataFrame({"s": ["Barack Obama visited Paris.", "Dana lives in Haifa."]}, index=[1, 2])
    votes = {
        "ana": [[(0, 12, "PER"), (21, 26, "LOC")], [(0, 4, "PER"), (14, 19, "LOC")]],
        "bob": [[(7, 12, "PER"), (21, 26, "ORG")], [(0, 4, "PER")]],
    }
    for name, docs in votes.items():
        w = nl.Spans(texts, text="s", labels=["PER", "ORG", "LOC"], task="ner", annotator=name, store=store)
        for item, doc in zip(texts.index, docs, strict=True):
            w.annotate(item, doc)
    dash = nl.Dashboard(store, task="ner", live=False, n_boot=20)
    snap = dash._snapshot
    assert dash._status["state"] == "live", dash._status
    report = nl.agreement_report(store.annotations("ner"), labels=["PER", "ORG", "LOC"], n_boot=0)
    by_key = {row["key"]: row for row in snap["coefficients"]}
    assert by_key["span_f1_overlap"]["value"] == pytest.approx(report.loc["span_f1_overlap", "value"])
    assert by_key["span_f1_exact"]["ci"][0] is not None  # the intervals followed
    assert snap["agreement_name"] == "span F1"
    confusion = snap["confusion"]
    assert confusion["categories"] == ["PER", "ORG", "LOC", "(none)"]
    counts = confusion["counts"]
    assert counts[0][0] == 2  # PER~PER twice (Obama, Dana)
    assert counts[2][1] == 1  # ana LOC ~ bob ORG (Paris)
    assert counts[2][3] == 1  # ana's Haifa, bob none
    items = dash.cell_items("LOC", "ORG")
    assert items.index.tolist() == [1]
    assert items.loc[1, "ana"] == "“Barack Obama” PER · “Paris” LOC"
    assert items.loc[1, "bob"] == "“Obama” PER · “Paris” ORG"
    assert dash.cell_items("LOC", "(none)").index.tolist() == [2]
    dash.close()


def test_bad_arguments_are_refused(store: nl.Store) -> None:
    with pytest.raises(ValueError, match="task= must name the task"):
        nl.Dashboard(store, task="")
    with pytest.raises(ValueError, match="interval must be a positive number"):
        nl.Dashboard(store, task="t", interval=0)
    with pytest.raises(ValueError, match="n_boot must be a non-negative int"):
        nl.Dashboard(store, task="t", n_boot=-1)


def test_state_sent_to_the_browser_holds_no_credentials(postgres) -> None:
    # the throw-away server trusts local connections, so any password is accepted
    url = postgres.new_database().replace("postgres@", "postgres:s3cret-pw@")
    store = nl.Store(url)
    label_all(store)
    dash = nl.Dashboard(store, task="t", live=False, n_boot=0)
    state = repr(dash.get_state())
    assert "s3cret-pw" not in state
    assert dash._status["location"].startswith("postgresql://127.0.0.1:")
    dash.close()


def test_compare_tasks_get_choice_agreement_and_position_bias(store: nl.Store) -> None:
    df = pd.DataFrame(
        {"q": ["Q1?", "Q2?", "Q3?"], "x": ["x1", "x2", "x3"], "y": ["y1", "y2", "y3"]}, index=[1, 2, 3]
    )
    for name, choices in {"ana": ["A", "B", "tie"], "bob": ["A", "A", "tie"]}.items():
        w = nl.Compare(df, prompt="q", a="x", b="y", task="pref", annotator=name, store=store)
        for item, choice in zip(df.index, choices, strict=True):
            w.annotate(item, choice)
    dash = nl.Dashboard(store, task="pref", live=False, n_boot=20)
    snap = dash._snapshot
    assert dash._status["state"] == "live", dash._status
    keys = [row["key"] for row in snap["coefficients"]]
    assert keys[:2] == ["percent_agreement", "cohen_kappa"]
    assert {"signed_alpha", "position_bias"} <= set(keys)
    assert snap["confusion"]["categories"] == ["A", "B", "tie", "both_bad"]
    items = dash.cell_items("B", "A")
    assert items.index.tolist() == [2]
    assert items.loc[2, "text"] == "Q2?"
    dash.close()


def test_ranking_tasks_compare_whole_rankings(store: nl.Store) -> None:
    df = pd.DataFrame(
        {"q": ["Q1?", "Q2?"], "r1": ["a", "b"], "r2": ["c", "d"], "r3": ["e", "f"]}, index=[1, 2]
    )
    for name, values in {
        "ana": [["r1", "r2", "r3"], ["r2", "r1", "r3"]],
        "bob": [["r1", "r2", "r3"], ["r3", "r2", "r1"]],
    }.items():
        w = nl.Compare(df, prompt="q", responses=["r1", "r2", "r3"], task="rank", annotator=name, store=store)
        for item, value in zip(df.index, values, strict=True):
            w.annotate(item, value)
    dash = nl.Dashboard(store, task="rank", live=False, n_boot=0)
    assert dash._status["state"] == "live", dash._status
    snap = dash._snapshot
    assert next(r for r in snap["coefficients"] if r["key"] == "percent_agreement")["value"] == pytest.approx(
        0.5
    )
    assert "r1 > r2 > r3" in snap["confusion"]["categories"]
    dash.close()


# ---------------------------------------------------------------------- large label sets
TAXONOMY = [f"C{i:05d}.{i % 7}" for i in range(100_000)]  # ICD-like codes


def taxonomy_votes(labels: list[str], items: int, annotators: int, seed: int = 0) -> pd.DataFrame:
    """Long labels of ``annotators`` over ``items`` items, drawn from ``labels`` with a Zipf-like
    skew (a few common codes, a long tail), each annotator agreeing with a hidden answer 70% of
    the time."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(labels))  # common codes scattered over the list

    def draw(n: int) -> np.ndarray:
        return order[np.minimum(rng.zipf(1.4, n), len(labels)) - 1]

    truth = draw(items)
    frames = [
        pd.DataFrame(
            {
                "item_id": np.arange(items),
                "annotator": f"coder-{a}",
                "value": np.asarray(labels, dtype=object)[
                    np.where(rng.random(items) < 0.7, truth, draw(items))
                ],
            }
        )
        for a in range(annotators)
    ]
    return pd.concat(frames, ignore_index=True)


def labeled_taxonomy(
    store: nl.Store, labels: list[str], votes: pd.DataFrame, task: str = "codes"
) -> pd.DataFrame:
    """A Classify task over ``labels`` registered by a real widget, and ``votes`` imported;
    returns the items (their ``text``)."""
    frame = pd.DataFrame({"text": [f"note {i}" for i in range(int(votes["item_id"].max()) + 1)]})
    w = nl.Classify(frame, text="text", labels=labels, task=task, annotator="coder-0", store=store)
    w.close()
    store.import_annotations(votes, task=task)
    return frame


def _crosstab(votes: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    wide = votes.pivot(index="item_id", columns="annotator", values="value").dropna(subset=[a, b])
    return pd.crosstab(wide[a], wide[b])


def _assert_confusion_is_the_crosstab(confusion: dict, votes: pd.DataFrame, a: str, b: str) -> None:
    """The shown cells are the crosstab's; the last row and column sum every label not shown."""
    table = _crosstab(votes, a, b)
    names, counts = confusion["categories"], np.asarray(confusion["counts"])
    shown = names[:-1] if confusion["left_out"] else names
    full = table.reindex(index=sorted(set(table.index) | set(table.columns)),
                         columns=sorted(set(table.index) | set(table.columns)), fill_value=0)  # fmt: skip
    side = np.array([n if n in shown else "other" for n in full.index], dtype=object)
    folded = full.groupby(side).sum().T.groupby(side).sum().T
    order = [*shown, "other"] if confusion["left_out"] else shown
    assert counts.tolist() == folded.reindex(index=order, columns=order, fill_value=0).to_numpy().tolist()
    assert confusion["total"] == int(table.to_numpy().sum())
    assert confusion["agree"] == int(sum(full.at[n, n] for n in full.index))


def test_a_taxonomy_of_100000_labels_refreshes_in_bounded_memory(tmp_path: Path) -> None:
    import json
    import tracemalloc

    from nblabel.agreement.confusion import MAX_CATEGORIES
    from nblabel.agreement.views import MAX_LABEL_ROWS

    store = nl.Store(tmp_path / "icd.db")
    votes = taxonomy_votes(TAXONOMY, items=300, annotators=3)
    notes = labeled_taxonomy(store, TAXONOMY, votes)
    used = set(votes["value"])
    in_use = [label for label in TAXONOMY if label in used]
    assert len(in_use) > MAX_LABEL_ROWS  # the per-label rows and the confusion are both capped

    tracemalloc.start()
    dash = nl.Dashboard(store, task="codes", live=False, n_boot=0, data=notes, text="text")  # refreshes
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert dash._status["state"] == "live", dash._status
    assert peak < 64 * 2**20, f"refresh peak {peak / 2**20:.0f} MiB"  # a square over all labels: 74.5 GiB
    snap = dash._snapshot
    assert len(json.dumps(snap)) < 64_000  # no list of 100,000 labels in it
    assert snap["label_count"] == 100_000 and snap["labels_in_use"] == len(in_use)

    # The coefficients are agreement_report's. (The report given all 100,000 labels takes minutes
    # and ~10 GB; the labels in use give it the same ratings, and AC1 -- whose chance agreement
    # counts every possible label -- is checked over all 100,000.)
    annotations = store.annotations("codes")
    report = nl.agreement_report(annotations, labels=in_use, n_boot=0)
    by_key = {row["key"]: row for row in snap["coefficients"]}
    assert list(by_key) == list(report.index)
    for key in ("percent_agreement", "cohen_kappa", "fleiss_kappa", "krippendorff_alpha"):
        assert by_key[key]["value"] == pytest.approx(report.loc[key, "value"], abs=1e-12)
    wide = annotations.pivot(index="item_id", columns="annotator", values="value")
    ac1 = nl.agreement.gwet_ac1(wide, categories=TAXONOMY)
    assert by_key["gwet_ac1"]["value"] == pytest.approx(ac1, abs=1e-12)
    assert ac1 != pytest.approx(report.loc["gwet_ac1", "value"], abs=1e-6)  # q matters
    assert snap["disagreements"] == len(report.disagreements)
    for row in snap["per_annotator"]:
        expected = report.per_annotator.loc[row["annotator"]]
        assert row["agreement"] == pytest.approx(expected["kappa_reference"], abs=1e-12)
        assert row["accuracy"] == pytest.approx(expected["accuracy"], abs=1e-12)

    # per-label rows: the most used labels in use, in label order, each equal to the report's
    assert len(snap["per_label"]) == MAX_LABEL_ROWS
    listed = [row["label"] for row in snap["per_label"]]
    assert listed == snap["labels"] == [label for label in in_use if label in set(listed)]
    counts = report.per_label["count"]
    assert min(counts[listed]) >= counts.drop(listed).max()
    for row in snap["per_label"]:
        expected = report.per_label.loc[row["label"]]
        assert row["count"] == expected["count"]
        for key in ("agreement", "kappa", "alpha"):
            assert row[key] == pytest.approx(expected[key], abs=1e-12, nan_ok=True)

    # the confusion of the default pair: the most frequent labels and one "other" row/column
    confusion = snap["confusion"]
    a, b = confusion["rows"].removeprefix("annotator:"), confusion["columns"].removeprefix("annotator:")
    assert len(confusion["categories"]) == MAX_CATEGORIES + 1
    assert confusion["categories"][-1] == f"({confusion['left_out']:,} others)"
    assert confusion["occurring"] == confusion["left_out"] + MAX_CATEGORIES
    _assert_confusion_is_the_crosstab(confusion, votes, a, b)
    figure = nl.plot_confusion(annotations, a, b, labels=TAXONOMY)
    assert figure.confusion.tolist() == confusion["counts"]

    # a click on a cell of two labels that occur, and on the "other" x "other" cell
    table = _crosstab(votes, a, b)
    top = confusion["categories"][int(np.argmax(np.diag(confusion["counts"])[:-1]))]
    items = dash.cell_items(top, top)
    pair = wide[[a, b]].dropna()
    assert items.index.tolist() == pair.index[(pair[a] == top) & (pair[b] == top)].tolist()
    assert items.loc[items.index[0], "text"] == f"note {items.index[0]}"
    assert len(items) == table.at[top, top]
    sent: list[dict] = []
    dash.send = lambda content, buffers=None: sent.append(content)
    last = len(confusion["categories"]) - 1
    click = {"type": "cell", "req": "r", "rows": confusion["rows"], "columns": confusion["columns"]}
    dash._on_browser_message(dash, {**click, "row": last, "col": last}, [])
    reply = sent[-1]
    shown = set(confusion["categories"][:-1])
    hidden = pair[~pair[a].isin(shown) & ~pair[b].isin(shown)]
    assert reply["row"] == reply["col"] == confusion["categories"][-1]
    assert reply["total"] == len(hidden) == confusion["counts"][-1][-1] > 0
    assert [item["id"] for item in reply["items"]] == [str(i) for i in hidden.index[: len(reply["items"])]]
    assert reply["columns"] == ["coder-0", "coder-1", "coder-2"]
    assert reply["items"][0]["values"] == wide.loc[hidden.index[0], reply["columns"]].tolist()
    dash.close()
    store.close()


def test_a_label_set_over_the_caps_shows_the_labels_in_use_with_the_full_reports_numbers(
    store: nl.Store,
) -> None:
    # 200 labels: the full report is cheap, so it is the reference itself (AC1 over 200 labels,
    # the per-label rows of the labels listed, the intervals), with gold holding a label no
    # annotator gave.
    from nblabel.agreement.confusion import MAX_CATEGORIES
    from nblabel.agreement.views import MAX_LABEL_ROWS

    labels = [f"cat-{i:03d}" for i in range(200)]
    votes = taxonomy_votes(labels, items=400, annotators=3, seed=1)
    notes = labeled_taxonomy(store, labels, votes, task="shop")
    spare = next(label for label in reversed(labels) if label not in set(votes["value"]))
    gold = votes[votes["annotator"] == "coder-0"].set_index("item_id")["value"].copy()
    gold.iloc[:3] = spare
    annotations = store.annotations("shop")
    report = nl.agreement_report(annotations, gold, labels=labels, n_boot=40, seed=0)
    dash = nl.Dashboard(store, task="shop", live=False, n_boot=40, gold=gold, data=notes, text="text")
    snap = dash._snapshot
    assert dash._status["state"] == "live", dash._status

    by_key = {row["key"]: row for row in snap["coefficients"]}
    assert list(by_key) == list(report.index)
    for key, row in report.iterrows():
        assert by_key[key]["value"] == pytest.approx(row["value"], abs=1e-12), key
        assert by_key[key]["reading"] == row["reading"]
        assert by_key[key]["ci"] == [pytest.approx(row["ci_low"]), pytest.approx(row["ci_high"])], key
    report_in_use = nl.agreement_report(
        annotations, gold, labels=sorted(set(votes["value"]) | {spare}), n_boot=0
    )
    assert report_in_use.loc["gwet_ac1", "value"] != pytest.approx(report.loc["gwet_ac1", "value"])
    for row in snap["per_annotator"]:
        assert row["agreement"] == pytest.approx(
            report.per_annotator.loc[row["annotator"], "kappa_reference"]
        )

    in_use = [label for label in labels if label in set(votes["value"]) | {spare}]
    assert snap["label_count"] == 200 and snap["labels_in_use"] == len(in_use) > MAX_LABEL_ROWS
    listed = [row["label"] for row in snap["per_label"]]
    assert len(listed) == MAX_LABEL_ROWS and set(listed) <= set(in_use)
    for row in snap["per_label"]:
        expected = report.per_label.loc[row["label"]]
        assert row["count"] == expected["count"]
        for key in ("agreement", "kappa", "alpha"):
            assert row[key] == pytest.approx(expected[key], abs=1e-12, nan_ok=True)

    # against gold: the labels both sides gave (the gold-only label among them), capped
    dash.pair = ("coder-1", "gold")
    confusion = dash._snapshot["confusion"]
    assert confusion["columns"] == "gold" and len(confusion["categories"]) == MAX_CATEGORIES + 1
    with_gold = pd.concat([votes, pd.DataFrame({"item_id": gold.index, "annotator": "gold", "value": gold})])
    _assert_confusion_is_the_crosstab(confusion, with_gold, "coder-1", "gold")
    figure = nl.plot_confusion(annotations, "coder-1", "gold", gold=gold, labels=labels)
    assert figure.confusion.tolist() == confusion["counts"]
    other = confusion["categories"][-1]
    listed_items = dash.cell_items(other, other)
    assert len(listed_items) == confusion["counts"][-1][-1]
    assert set(listed_items["gold"]).isdisjoint(confusion["categories"][:-1])
    dash.close()


def test_a_label_set_over_the_cap_with_few_labels_in_use_shows_only_those(store: nl.Store) -> None:
    labels = [f"topic {i}" for i in range(40)]  # over the 30 shown whole, 3 in use
    votes = {"ana": ["topic 3", "topic 3", "topic 17"], "bob": ["topic 3", "topic 39", "topic 17"]}
    frame = pd.DataFrame({"text": ["a", "b", "c"]})
    for annotator, values in votes.items():
        w = nl.Classify(frame, text="text", labels=labels, task="few", annotator=annotator, store=store)
        for item, value in enumerate(values):
            w.annotate(item, value)
        w.close()
    dash = nl.Dashboard(store, task="few", live=False, n_boot=0)
    snap = dash._snapshot
    confusion = snap["confusion"]
    assert confusion["categories"] == ["topic 3", "topic 17", "topic 39"]  # label order, no "other"
    assert confusion["counts"] == [[1, 0, 1], [0, 1, 0], [0, 0, 0]]
    assert confusion["left_out"] == 0 and confusion["agree"] == 2
    assert [row["label"] for row in snap["per_label"]] == ["topic 3", "topic 17", "topic 39"]
    assert snap["labels_in_use"] == 3 and snap["label_count"] == 40
    assert dash.cell_items("topic 3", "topic 39").index.tolist() == [1]
    figure = nl.plot_confusion(store.annotations("few"), "ana", "bob", labels=labels)
    assert figure.confusion.tolist() == confusion["counts"]
    dash.close()


# ---------------------------------------------------------------------- a session's task
SESSION_LABELS = ["pos", "neg"]
TEAM = ["ana", "ben", "cy"]


def session_data(n: int, n_gold: int) -> pd.DataFrame:
    """``n`` production rows then ``n_gold`` gold rows (answers in ``answer``)."""
    return pd.DataFrame(
        {
            "text": [f"text {i}" for i in range(n + n_gold)],
            "answer": [None] * n + [SESSION_LABELS[i % 2] for i in range(n_gold)],
        },
        index=pd.Index(range(500, 500 + n + n_gold), name="rid"),
    )


def label_queue(w, s: nl.Session, gold_right) -> None:
    """Label ``w``'s whole queue: production items by a fixed rule, the k-th gold item met right
    when ``gold_right(k)``."""
    met = 0
    while w.current is not None:
        key = str(w.current)
        if key in s.gold:
            right = gold_right(met)
            met += 1
            answer = s.gold[key]
            w.annotate(w.current, answer if right else SESSION_LABELS[1 - SESSION_LABELS.index(answer)])
        else:
            w.annotate(w.current, "pos" if (w.current + len(w.annotator)) % 3 else "neg")


def test_a_session_dashboard_counts_production_items_only(store: nl.Store) -> None:
    """30 production items and 6 gold items, 3 of them calibration: the dashboard counts the 30
    that session.report() counts (it counted all 36 before)."""
    s = nl.Session(store, "cal", widget=nl.Classify, data=session_data(30, 6), annotators=TEAM,
                   overlap=2, gold="answer", calibration=3, gold_rate=0.1, text="text",
                   labels=SESSION_LABELS)  # fmt: skip
    for name, right in (("ana", lambda k: True), ("ben", lambda k: k != 3), ("cy", lambda k: k < 3)):
        w = s.labeler(name)
        label_queue(w, s, right)
        w.close()
    report = s.report(n_boot=0)
    assert report.loc["fleiss_kappa", "items"] == 30
    assert store.annotations("cal")["item_id"].nunique() == 36  # the gold items were counted too

    for dash in (s.dashboard(live=False, n_boot=0), nl.Dashboard(store, task="cal", live=False, n_boot=0)):
        snap = dash._snapshot
        assert (snap["items"], snap["shared"]) == (30, 30)
        assert snap["ratings"] == 60
        rows = {row["key"]: row for row in snap["coefficients"]}
        for key, value in report["value"].items():
            assert rows[key]["value"] == pytest.approx(value, abs=1e-12), key
        assert snap["disagreements"] == len(report.disagreements)
        assert snap["session"]["gold_items"] == 6
        left_out = len(store.annotations("cal")) - len(s.production_annotations())
        assert snap["session"]["left_out_events"] == left_out > 0
        assert snap["session"]["gold_threshold"] == 0.9
        # live gold accuracy: first answers, as session.gold_accuracy() counts them
        gold = s.gold_accuracy()
        by_name = {row["annotator"]: row for row in snap["per_annotator"]}
        for name, expected in gold.iterrows():
            assert by_name[name]["gold_answered"] == expected["gold_answered"]
            assert by_name[name]["gold_right"] == expected["gold_right"]
            assert by_name[name]["gold_accuracy"] == pytest.approx(expected["gold_accuracy"])
            assert by_name[name]["gold_flagged"] == expected["flagged"]
        assert by_name["ana"]["gold_flagged"] is False and by_name["cy"]["gold_flagged"] is True
        assert dash.report.loc["fleiss_kappa", "items"] == 30
        # item text from the session's data
        confusion = snap["confusion"]
        assert confusion["total"] > 0
        dash.close()
    texts = s.dashboard(live=False, n_boot=0)
    assert texts.cell_items("pos", "pos")["text"].str.startswith("text ").all()  # the session's data
    texts.close()


def test_a_session_dashboard_flags_drift_as_quality_over_time_does(store: nl.Store) -> None:
    """16 gold answers each: ana right throughout; ben wrong at first, right for the last 10
    (flagged overall, not drifting); cy right at first, then wrong (drifting)."""
    s = nl.Session(store, "drift", widget=nl.Classify, data=session_data(20, 16), annotators=TEAM,
                   overlap=3, gold="answer", gold_rate=0.45, gold_threshold=0.8, text="text",
                   labels=SESSION_LABELS)  # fmt: skip
    rules = {"ana": lambda k: True, "ben": lambda k: k >= 6, "cy": lambda k: k < 6}
    widgets = {name: s.labeler(name) for name in rules}
    dash = s.dashboard(live=False, n_boot=0)
    for name, w in widgets.items():
        label_queue(w, s, rules[name])
        w.close()
    dash.refresh()  # read incrementally: the plan's masks follow the new rows
    rows = {row["annotator"]: row for row in dash._snapshot["per_annotator"]}
    assert [rows[n]["gold_answered"] for n in rules] == [16, 16, 16]
    assert (rows["ana"]["drift"], rows["ben"]["drift"], rows["cy"]["drift"]) == (False, False, True)
    assert (rows["ben"]["gold_flagged"], rows["ben"]["rolling_gold_accuracy"]) == (True, 1.0)
    assert rows["cy"]["rolling_gold_accuracy"] == 0.0
    assert dash._snapshot["session"]["drift_window"] == 10
    # the same rolling accuracy and flag as the session's quality over time, at its last period
    quality = s.quality_over_time(by="batch", batch_size=1000)
    for name, last in quality.groupby("annotator").last().iterrows():
        assert rows[name]["drift"] == last["drift"]
        assert rows[name]["rolling_gold_accuracy"] == pytest.approx(last["rolling_gold_accuracy"])
    dash.close()


def test_annotators_still_in_calibration_show_their_gold_accuracy(store: nl.Store) -> None:
    s = nl.Session(store, "gate", widget=nl.Classify, data=session_data(10, 6), annotators=["ana", "ben"],
                   overlap=2, gold="answer", calibration=3, text="text", labels=SESSION_LABELS)  # fmt: skip
    w = s.labeler("ana")
    for _ in range(3):  # the calibration round only: no production item yet
        w.annotate(w.current, s.gold[str(w.current)])
    dash = s.dashboard(live=False, n_boot=0)
    snap = dash._snapshot
    assert snap["empty"] is True  # no production label: no agreement yet
    assert snap["per_annotator"] == [
        {"annotator": "ana", "items": 0, "skipped": 0, "flagged": 0, "accuracy": None, "agreement": None,
         "n_reference": 0, "items_per_hour": None, "median_active_ms": None, "gold_answered": 3,
         "gold_right": 3, "gold_accuracy": 1.0, "gold_flagged": False, "rolling_gold_accuracy": None,
         "drift": False}
    ]  # fmt: skip
    dash.close()
    w.close()


def test_the_dashboard_shows_a_models_labels_beside_the_majority(store: nl.Store) -> None:
    label_all(store)
    dash = nl.Dashboard(store, task="t", live=False, n_boot=0)
    shown = dash._snapshot["aggregation"]
    with pytest.warns(UserWarning, match="unstable"):
        result = nl.aggregate(store.annotations("t"), "dawid_skene")
    assert shown["method"] == "dawid_skene" and shown["name"] == "Dawid–Skene"
    assert shown["items"] == len(result) == 6
    assert shown["differ"] == int((~result["agrees_with_majority"]).sum())
    assert shown["majority_ties"] == int(result["majority_tie"].sum())
    assert shown["unsure"] == int((result["confidence"] < 0.8).sum())
    assert "unstable" in shown["note"]  # 6 items: a pilot too small for the model alone
    counts = {row["label"]: (row["majority"], row["model"]) for row in shown["per_label"]}
    for label in LABELS:
        assert counts.get(label, (0, 0)) == (
            int((result["majority"] == label).sum()), int((result["label"] == label).sum())
        )
    dash.close()
    plain = nl.Dashboard(store, task="t", live=False, n_boot=0, aggregate=None)
    assert plain._snapshot.get("aggregation") is None
    plain.close()
    with pytest.raises(ValueError, match="not a method of nl.aggregate"):
        nl.Dashboard(store, task="t", live=False, aggregate="vote")


def test_the_drift_rule() -> None:
    from nblabel.core.drift import drifting, rolling_accuracy

    assert math.isnan(rolling_accuracy([1.0] * 9, 10))  # fewer than a window: no figure yet
    assert rolling_accuracy([0.0] * 5 + [1.0] * 10, 10) == 1.0  # the last 10 only
    assert rolling_accuracy([1.0] * 10 + [0.5, 0.0], 10) == pytest.approx(0.85)
    assert drifting(0.85, 0.9) and not drifting(0.9, 0.9) and not drifting(math.nan, 0.9)
    with pytest.raises(ValueError, match="window=0"):
        rolling_accuracy([1.0], 0)
