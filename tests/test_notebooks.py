"""Every notebook in examples/ runs top to bottom (no browser): the examples users copy work.

Each runs in a temp copy of examples/, so ``nblabel.db`` and exports land there, not in the repo.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"
NOTEBOOKS = sorted(p for p in EXAMPLES.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_examples_exist() -> None:
    assert NOTEBOOKS, f"no notebooks in {EXAMPLES}"


def copy_examples(tmp_path: Path) -> Path:
    """A copy of examples/ without what running them wrote there."""
    copy = tmp_path / "examples"
    shutil.copytree(
        EXAMPLES, copy, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "nblabel.db*", "*.jsonl", "out")
    )
    return copy


def execute(path: Path) -> nbformat.NotebookNode:
    """Run the notebook at ``path`` top to bottom in a fresh kernel (its folder as the working
    directory); returns it with its outputs."""
    nb = nbformat.read(path, as_version=4)
    nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()  # raises CellExecutionError naming the cell on any error
    return nb


def printed(nb: nbformat.NotebookNode, marker: str) -> str:
    """What the one code cell whose source contains ``marker`` printed and displayed."""
    cells = [c for c in nb.cells if c.cell_type == "code" and marker in c.source]
    assert len(cells) == 1, f"{len(cells)} cells contain {marker!r}"
    parts = []
    for output in cells[0].get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output["text"])
        elif "data" in output:
            parts.append(output["data"].get("text/plain", ""))
    return "".join(parts)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[str(p.relative_to(EXAMPLES)) for p in NOTEBOOKS])
def test_notebook_runs(notebook: Path, tmp_path: Path) -> None:
    copy = copy_examples(tmp_path)
    path = copy / notebook.relative_to(EXAMPLES)
    repo_before = [(EXAMPLES / name).exists() for name in ("nblabel.db", "out")]
    nb = execute(path)
    errors = [
        output
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, errors
    repo_after = [(EXAMPLES / name).exists() for name in ("nblabel.db", "out")]
    assert repo_after == repo_before, "the notebook wrote into examples/"


def test_quickstart_export_says_what_it_wrote_and_where(tmp_path: Path) -> None:
    """Run All on a fresh store: the export cell says nothing is labeled yet (and writes no
    file); the last cell labels review 1045 from code. Run All again (a restart): the export
    writes that one label to out/ and says so; the code cell does not label twice."""
    copy = copy_examples(tmp_path)
    notebook = copy / "quickstart.ipynb"
    out = copy / "out" / "sentiment-pilot.jsonl"

    first = execute(notebook)
    assert "Nothing to export yet: label a few reviews" in printed(first, "w.store.export(")
    assert not out.exists() and not (copy / "out").exists()
    assert "1045    negative" in printed(first, "w.annotate(")

    second = execute(notebook)
    said = printed(second, "w.store.export(")
    assert f"Exported 1 label to {out.resolve()}" in said
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["item_id"], r["annotator"], r["value"]) for r in rows] == [(1045, "ana", "negative")]
    assert said.splitlines()[1:] == out.read_text(encoding="utf-8").splitlines()  # the rows are shown

    import nblabel as nl

    with nl.Store(copy / "nblabel.db") as store:
        events = store.annotations("sentiment-pilot")
    assert len(events) == 1, "running the notebook again labeled 1045 twice"
    assert not list(copy.glob("*.jsonl")), "the export went next to the notebook, not to out/"


def test_calibration_session_part_2_escalates_retires_and_aggregates(tmp_path: Path) -> None:
    """Part 2 of the calibration example, from labels to truth: reviews that split went to more
    annotators (each escalated review has labels from three or more), retiring Eve kept every
    review's overlap exact, Dawid–Skene is at least as accurate as majority vote against the
    simulated truth (Cy labels at random, Dev reads neutral as positive), and the adjudicator is
    served exactly the reviews the final-label rule sent to a person."""
    nb = execute(copy_examples(tmp_path) / "calibration_session.ipynb")

    retired = printed(nb, 'big_session.retire("eve"')
    assert "overlap exact after retiring eve: True" in retired
    assert "eve keeps exactly the reviews she labeled: True" in retired

    overlap = printed(nb, "labeled_by[escalated] >= 3")
    escalated = re.search(r"(\d+) of (\d+) reviews escalated \((\d+) escalations\)", overlap)
    assert escalated, overlap
    assert 0 < int(escalated[1]) < int(escalated[2]) and int(escalated[3]) >= int(escalated[1])
    assert "every escalated review labeled by 3 or more annotators: True" in overlap

    said = printed(nb, 'method="dawid_skene", gold=')
    accuracy = re.search(r"majority (\d+\.\d)%, Dawid–Skene (\d+\.\d)%", said)
    assert accuracy, said
    assert float(accuracy[2]) >= float(accuracy[1])

    sent = re.search(r"sent to adjudication: (\d+)", printed(nb, "sent to adjudication:"))
    served = re.search(r"reviews served to the adjudicator: (\d+)", printed(nb, "adj2.resolve("))
    assert sent and served and served[1] == sent[1]


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="not a git clone")
def test_what_the_quickstart_writes_is_ignored_by_git() -> None:
    """Run in the clone itself, the quickstart writes only files git ignores: a clone stays clean."""
    written = ["examples/nblabel.db", "examples/nblabel.db-wal", "examples/out/sentiment-pilot.jsonl"]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *written], cwd=REPO, capture_output=True, text=True, timeout=30
    )
    assert done.stdout.split() == written, done.stderr


def test_import_label_studio_brings_an_export_in_and_sends_it_back(tmp_path: Path) -> None:
    """The Label Studio example: the bundled export (40 reviews, 3 annotators, 2 cancelled
    tasks) imports as 120 events once — a second import writes none —, Dawid–Skene differs from
    the majority only where the majority is tied, and the labels survive a round trip through
    Label Studio's format and reach a Hugging Face dataset of 40 rows."""
    nb = execute(copy_examples(tmp_path) / "import_label_studio.ipynb")
    first = printed(nb, "summary = store.import_file(")
    assert "40 items, 3 annotators, 120 events — 120 written, 0 already present" in first
    assert "0 written, 120 already present" in printed(nb, "again = store.import_file(")
    said = printed(nb, "side_by_side[")
    assert "Dawid–Skene and the majority differ on 3 of 40 reviews" in said
    assert said.count("True") == 3  # each of them a tie of the vote
    assert "same labels after the round trip: True" in printed(nb, "round_trip.import_file(")
    assert "num_rows: 40" in printed(nb, "load_from_disk(str(hf_folder))")
    assert "| undecided | 3 |" in printed(nb, '## Final label")')


def test_ratings_notebook_reads_leniency_and_guessing(tmp_path: Path) -> None:
    """The ratings example: ben's one-point leniency lowers the absolute-agreement ICC of fluency
    but not the consistency one (and without him the two agree); cy's guessing leaves
    correctness poor; Dawid–Skene beats the majority on both criteria; aggregating without
    criterion= says what to pass."""
    nb = execute(copy_examples(tmp_path) / "ratings.ipynb")
    icc = printed(nb, "without_ben = ")
    agreement = float(re.search(r"^ICC\(A,1\)\s+ICC\(2,1\)\s+([\d.]+)", icc, re.M)[1])
    consistency = float(re.search(r"^ICC\(C,1\)\s+ICC\(3,1\)\s+([\d.]+)", icc, re.M)[1])
    assert consistency - agreement > 0.1
    alone = re.search(r"without ben: ICC\(A,1\) ([\d.]+), ICC\(C,1\) ([\d.]+)", icc)
    assert abs(float(alone[1]) - float(alone[2])) < 0.02
    report = printed(nb, "report = nl.agreement_report(")
    assert re.search(r"correctness/icc_agreement .* poor; ", report)
    aggregated = printed(nb, 'method="dawid_skene"')
    for criterion in ("fluency", "correctness"):
        shares = re.search(rf"{criterion}\s+majority (\d+)% right, Dawid–Skene (\d+)% right", aggregated)
        assert int(shares[2]) > int(shares[1])
    assert "aggregate one at a time with criterion='fluency'" in printed(nb, "nl.aggregate(ratings)\n")


def test_text_notebook_reads_the_post_edits(tmp_path: Path) -> None:
    """The written-answers example: agreement with its intervals, cy keeping eleven of twelve
    drafts, gold telling cy's mistakes left in from ben's rewordings, and one sft record per
    item (the text most like the others')."""
    nb = execute(copy_examples(tmp_path) / "text.ipynb")
    report = printed(nb, 'print("TEXT AGREEMENT")')
    pattern = r"mean pairwise similarity \(normalised Levenshtein\): ([\d.]+) \[([\d.]+), ([\d.]+)\]"
    similarity = re.search(pattern, report)
    low, value, high = float(similarity[2]), float(similarity[1]), float(similarity[3])
    assert 0.85 < value < 0.95 and low < value < high
    assert "identical texts (share of pairs, whitespace normalised): 0.556" in report
    assert "KEPT DRAFTS {'ana': 0.5, 'ben': 0.5, 'cy': 0.917}" in printed(nb, 'print("KEPT DRAFTS"')
    gold = dict(re.findall(r"'(\w+)': ([\d.]+)", printed(nb, 'print("VS GOLD"')))
    assert float(gold["cy"]) < float(gold["ben"]) - 0.05 and float(gold["cy"]) < float(gold["ana"]) - 0.05
    assert "SFT 12 records; {'prompt': 'The meeting was moved" in printed(nb, 'print("SFT"')


def test_relations_notebook_reads_relation_agreement(tmp_path: Path) -> None:
    """The relations example: relation F1 over exactly matched spans (7 of 12 + 13 relations),
    lower than span F1 and than its two readings; located_in is where the annotators part; the
    function gives the report's figure; gold scores count spans and relations together; the
    spaCy DocBin keeps the relations."""
    nb = execute(copy_examples(tmp_path) / "relations.ipynb")
    report = printed(nb, "report = nl.agreement_report(")
    rows = {m[0]: float(m[1]) for m in re.findall(r"^(\w+)\s+([\d.]+)\s+[\d.]+\s+[\d.]+$", report, re.M)}
    assert rows["relation_f1"] == 0.56 and rows["span_f1_exact"] == 0.952
    assert rows["relation_f1"] < min(rows["relation_f1_any_label"], rows["relation_f1_shared_spans"])
    tables = printed(nb, "report.relations_per_label")
    assert re.search(r"^works_for\s+13\s+0\.769", tables, re.M)
    assert re.search(r"^located_in\s+12\s+0\.333", tables, re.M)
    function = printed(nb, "relation_agreement(")
    assert "'tp': 7" in function and "'f1': 0.56" in function
    assert printed(nb, "kind.gold_score(").split() == ["3", "0.8", "5", "0.4", "7", "0.8"]
    linked = "[('Ada Lovelace', 'located_in', 'London'), ('Charles Babbage', 'located_in', 'London')]"
    assert linked in printed(nb, 'format="spacy")')


def test_llm_judge_notebook_checks_the_judge_and_measures_anchoring(tmp_path: Path) -> None:
    """The LLM judge example: the judge's κ with each person and the majority (fair, the
    majority's interval down to zero), its flips when the pair is shown the other way round
    beside the people's left shares; the suggestion report of show_suggestions=0.5 (cy takes
    eleven of thirteen wrong suggestions, ana one of seven) and both figures."""
    nb = execute(copy_examples(tmp_path) / "llm_judge.ipynb")
    assert "JUDGE RECORDED 40 verdicts" in printed(nb, 'print("JUDGE RECORDED"')
    assert "ASKED AGAIN 0 new verdicts" in printed(nb, 'print("JUDGE RECORDED"')
    summary = printed(nb, 'print("JUDGE SUMMARY")')
    pattern = r"^(\w+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+(-?[\d.]+)\s+([\d.]+)"
    rows = {m[0]: m[1:] for m in re.findall(pattern, summary, re.M)}
    assert rows["majority"] == ("39", "0.692", "0.333", "0.000", "0.629")
    assert rows["cy"][2] == "0.389" and rows["ana"][2] == "0.261"
    assert re.search(r"^majority\s.*fair\s+0\.720$", summary, re.M)  # people with each other
    bias = printed(nb, 'print("POSITION BIAS")')
    pattern = r"^model:length_judge\s+(\d+)\s+([\d.]+)(?:\s+[\d.]+){3}\s+(\d+)\s+(\d+)\s+([\d.]+)"
    judge = re.search(pattern, bias, re.M)
    assert judge.groups() == ("80", "0.600", "40", "8", "0.2")
    assert re.search(r"^people\s+118\s+0\.576", bias, re.M)
    report = printed(nb, 'print("SUGGESTION REPORT")')
    pattern = r"^(\w+)\s+(\d+)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+(\d+)\s+(\d+)"
    got = {m[0]: m[1:] for m in re.findall(pattern, report, re.M)}
    assert got["ana"] == ("31", "29", "7", "1") and got["cy"] == ("39", "21", "13", "11")
    assert got["all"] == ("100", "80", "29", "17")
    assert re.search(r"^all(\s+\S+){7}\s+0\.750\s+0\.900\s+-0\.150\s+-0\.255\s+-0\.037$", report, re.M)
    figures = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {})]  # fmt: skip
    assert len(figures) == 2  # report.plot() and nl.plot_suggestions(...)
