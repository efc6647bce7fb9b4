"""``nblabel report``: end to end on a real store file (printed report, PNG plots, an HTML page
that escapes hostile labels, annotator names and item ids), and its errors."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import nblabel as nl
from nblabel.cli import main

EVIL_LABEL = "<script>alert('label')</script>"
EVIL_NAME = '<img src=x onerror="alert(1)">'
EVIL_ITEM = "<b>item&1</b>"
LABELS = ["pos", "neg", EVIL_LABEL]


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "pilot.db"
    df = pd.DataFrame({"text": ["a", "b", "c", "d", "e"]}, index=[EVIL_ITEM, "i2", "i3", "i4", "i5"])
    ratings = {
        "ana": ["pos", "neg", EVIL_LABEL, "pos", "neg"],
        EVIL_NAME: ["pos", EVIL_LABEL, EVIL_LABEL, "neg", "neg"],
        "cy\x1b[31m": ["neg", "neg", EVIL_LABEL, "pos", "pos"],
    }
    store = nl.Store(path)
    for name, values in ratings.items():
        w = nl.Classify(df, text="text", labels=LABELS, task="sent", annotator=name, store=store)
        for item, value in zip(df.index, values, strict=True):
            w.annotate(item, value)
    nl.Classify(df, text="text", labels=["x"], task="other", annotator="ana", store=store)
    store.close()
    return path


def run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, "-m", "nblabel.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_report_end_to_end(store_path: Path, tmp_path: Path):
    out = tmp_path / "report"
    done = run_cli("report", str(store_path), "--task", "sent", "--out", str(out), "--n-boot", "50")
    assert done.returncode == 0, done.stderr
    text = done.stdout
    for expected in (
        "Agreement",
        "Fleiss' κ",
        "Krippendorff's α (nominal)",
        "Annotators",
        "Disagreements: 4 items",
    ):
        assert expected in text
    assert "ana" in text and EVIL_NAME in text  # plain text in a terminal is not HTML
    assert "\x1b" not in text and "cy\\x1b[31m" in text  # a control character is shown escaped
    expected = nl.agreement_report(nl.Store(store_path).annotations("sent"), labels=LABELS, n_boot=0)
    fleiss = re.search(r"Fleiss' κ\s+(-?\d\.\d+)", text)
    assert fleiss and float(fleiss.group(1)) == pytest.approx(expected.loc["fleiss_kappa", "value"], abs=5e-4)

    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == [
        "agreement.png",
        "annotators.png",
        "confusion-1.png",
        "confusion-2.png",
        "confusion-3.png",
    ]
    for name in pngs:
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img src=x" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&#x27;label&#x27;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "&lt;b&gt;item&amp;1&lt;/b&gt;" in page  # a disagreement's item id
    assert "Content-Security-Policy" in page
    for src in re.findall(r'<img src="([^"]+)"', page):
        assert (out / src).exists()
    assert len(re.findall(r"<img ", page)) == len(pngs)


def test_gold_annotator_adds_confusions_against_gold(store_path: Path, tmp_path: Path, capsys):
    out = tmp_path / "gold"
    assert (
        main(
            ["report", str(store_path), "--task", "sent", "--gold", "ana", "--out", str(out), "--n-boot", "0"]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "reference: gold" in printed
    assert sorted(p.name for p in out.glob("confusion-gold-*.png")) == [
        "confusion-gold-1.png",
        "confusion-gold-2.png",
    ]


def test_unknown_task_exits_2_and_lists_the_tasks(store_path: Path, capsys):
    assert main(["report", str(store_path), "--task", "nope"]) == 2
    err = capsys.readouterr().err
    assert "no task 'nope'" in err and "'other'" in err and "'sent'" in err


def test_missing_store_file_exits_2_without_creating_it(tmp_path: Path, capsys):
    missing = tmp_path / "typo.db"
    assert main(["report", str(missing), "--task", "t"]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not missing.exists()


def test_unreachable_server_exits_2_without_showing_the_password(capsys):
    pytest.importorskip("psycopg")
    url = "postgresql://ana:s3cret@127.0.0.1:1/nodb?connect_timeout=2"
    assert main(["report", url, "--task", "t"]) == 2
    err = capsys.readouterr().err
    assert "cannot open the store" in err and "s3cret" not in err


def test_unknown_gold_exits_2(store_path: Path, capsys):
    assert main(["report", str(store_path), "--task", "sent", "--gold", "zoe", "--n-boot", "0"]) == 2
    assert "zoe" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["report"])
    assert exc.value.code == 2
    assert main([]) == 2


@pytest.mark.skipif(shutil.which("nblabel") is None, reason="the nblabel script is not installed")
def test_installed_script_runs(store_path: Path):
    done = subprocess.run(
        ["nblabel", "report", str(store_path), "--task", "sent", "--n-boot", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert done.returncode == 0, done.stderr
    assert "Fleiss' κ" in done.stdout


def test_export_command_writes_every_format_a_task_has(store_path: Path, tmp_path: Path, capsys):
    out = tmp_path / "labels.jsonl"
    assert main(["export", str(store_path), "--task", "sent", "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert {r["annotator"] for r in rows} == {"ana", EVIL_NAME, "cy\x1b[31m"}
    assert (
        main(
            ["export", str(store_path), "--task", "sent", "--format", "csv", "--out", str(tmp_path / "l.csv")]
        )
        == 0
    )
    assert (tmp_path / "l.csv").read_text().startswith("task,item_id,annotator")


def test_export_command_errors_are_one_line(store_path: Path, tmp_path: Path, capsys):
    assert (
        main(["export", str(store_path), "--task", "sent", "--format", "coco", "--out", str(tmp_path / "x")])
        == 2
    )
    assert "format 'coco' is not one of" in capsys.readouterr().err
    assert main(["export", str(store_path), "--task", "nope", "--out", str(tmp_path / "x")]) == 2
    assert "no task 'nope'" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "missing.db"), "--task", "sent", "--out", str(tmp_path / "x")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert (
        main(["export", str(store_path), "--task", "sent", "--keep-ties", "--out", str(tmp_path / "x")]) == 2
    )
    assert "only apply to compare tasks" in capsys.readouterr().err


def test_version_prints_the_installed_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"nblabel {nl.__version__}"
    done = run_cli("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"nblabel {nl.__version__}"
    assert re.fullmatch(r"\d+\.\d+\.\d+", nl.__version__)


def _task_rows(printed: str) -> dict[str, list[str]]:
    """The table ``nblabel tasks`` printed: task name -> its other columns."""
    lines = printed.splitlines()
    header = lines.index(next(line for line in lines if line.startswith("task ")))
    assert lines[header].split() == ["task", "kind", "labels", "events", "annotators", "items"]
    return {line.split()[0]: line.split()[1:] for line in lines[header + 1 :] if line.strip()}


def test_tasks_lists_every_task_with_its_counts(store_path: Path):
    done = run_cli("tasks", str(store_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"nblabel tasks · {store_path} · 2 tasks"
    # sent: 3 labels, 3 annotators x 5 items; other: registered, nothing labeled yet
    assert _task_rows(done.stdout) == {
        "other": ["classify", "1", "0", "0", "0"],
        "sent": ["classify", "3", "15", "3", "5"],
    }


def test_tasks_shows_hostile_names_escaped_and_aligned(tmp_path: Path, capsys):
    path = tmp_path / "evil.db"
    df = pd.DataFrame({"text": ["a"]})
    store = nl.Store(path)
    nl.Classify(df, text="text", labels=["x"], task="red\x1b[31m", annotator="ana", store=store).annotate(
        0, "x"
    )
    nl.Spans(df, text="text", labels=["PER", "ORG"], task="names", annotator="ana", store=store)
    store.close()
    assert main(["tasks", str(path)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed
    assert _task_rows(printed) == {
        "names": ["spans", "2", "0", "0", "0"],
        "red\\x1b[31m": ["classify", "1", "1", "1", "1"],
    }
    table = printed.splitlines()[2:]  # the escaped name is measured as shown: columns line up
    kind_column = table[0].index("kind")
    assert all(line[kind_column:].startswith(("kind ", "classify ", "spans ")) for line in table)


def test_tasks_of_an_empty_store_says_so(tmp_path: Path, capsys):
    path = tmp_path / "empty.db"
    nl.Store(path).close()
    assert main(["tasks", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [f"nblabel tasks · {path} · 0 tasks", "  (no tasks yet)"]


def test_tasks_of_a_missing_file_exits_2_without_creating_it(tmp_path: Path, capsys):
    missing = tmp_path / "typo.db"
    assert main(["tasks", str(missing)]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not missing.exists()


def test_tasks_on_postgresql_never_shows_the_password(postgres, capsys):
    pytest.importorskip("psycopg")
    url = postgres.new_database().replace("postgresql://postgres@", "postgresql://postgres:s3cret@")
    store = nl.Store(url)
    w = nl.Classify(
        pd.DataFrame({"text": ["a", "b"]}),
        text="text",
        labels=["p", "n"],
        task="pg",
        annotator="bo",
        store=store,
    )
    w.annotate(0, "p")
    w.annotate(1, "n")
    store.close()
    assert main(["tasks", url]) == 0
    printed = capsys.readouterr().out
    assert "s3cret" not in printed and printed.startswith("nblabel tasks · postgresql://127.0.0.1:")
    assert _task_rows(printed) == {"pg": ["classify", "2", "2", "1", "2"]}
    unreachable = "postgresql://ana:s3cret@127.0.0.1:1/nodb?connect_timeout=2"
    assert main(["tasks", unreachable]) == 2
    err = capsys.readouterr().err
    assert "cannot open the store" in err and "s3cret" not in err


def test_report_pages_of_spans_boxes_and_compare_tasks(tmp_path: Path) -> None:
    """``report --out`` draws each kind's own confusion (the dashboard's, from the kind's live
    view) and the annotators' plot with the kind's measure; it used to draw a classify confusion
    for every kind and fail on spans and boxes (no 'accuracy' column)."""
    path = tmp_path / "kinds.db"
    store = nl.Store(path)
    docs = pd.DataFrame({"text": ["Ada met Bo in Rome", "Cy flew to Oslo"]})
    spans = {
        "ana": [[(0, 3, "PER"), (13, 17, "LOC")], [(0, 2, "PER"), (11, 15, "LOC")]],
        "bob": [[(0, 3, "PER"), (13, 17, "PER")], [(0, 2, "PER")]],
    }
    for name, values in spans.items():
        w = nl.Spans(docs, text="text", labels=["PER", "LOC"], task="ner", annotator=name, store=store)
        for item, value in enumerate(values):
            w.annotate(item, [{"start": s, "end": e, "label": lab} for s, e, lab in value])
    images = pd.DataFrame({"image": [np.zeros((40, 60, 3), dtype=np.uint8)] * 2})
    for name, dx in (("ana", 0), ("bob", 2)):
        w = nl.Boxes(images, image="image", labels=["car"], task="det", annotator=name, store=store)
        for item in range(2):
            w.annotate(item, [{"x": 5 + dx, "y": 5, "w": 20, "h": 10, "label": "car"}])
    pairs = pd.DataFrame({"prompt": ["p1", "p2"], "a": ["x", "y"], "b": ["z", "w"]})
    for name, choices in (("ana", ["A", "B"]), ("bob", ["A", "tie"])):
        w = nl.Compare(pairs, prompt="prompt", a="a", b="b", task="cmp", annotator=name, store=store)
        for item, choice in enumerate(choices):
            w.annotate(item, {"choice": choice})
    store.close()
    for task, grid in (("ner", ["PER", "LOC", "(none)"]), ("det", None), ("cmp", None)):
        out = tmp_path / f"out-{task}"
        assert main(["report", str(path), "--task", task, "--out", str(out), "--n-boot", "0"]) == 0
        assert (out / "index.html").exists() and (out / "annotators.png").exists()
        if grid is not None:
            assert (out / "confusion-1.png").exists()
    # the span confusion drawn is the dashboard's: PER/PER twice, LOC/PER once, LOC/(none) once
    from nblabel.agreement.plots import plot_confusion_grid
    from nblabel.core import registry

    frame = nl.Store(path).annotations("ner")
    view = registry.for_task("spans", {}).live_view(frame, None, labels=["PER", "LOC"], config={})
    fig = plot_confusion_grid(view.confusion(view.column("ana"), view.column("bob")), "ana", "bob")
    assert fig.confusion.tolist() == [[2, 0, 0], [1, 0, 1], [0, 0, 0]]
