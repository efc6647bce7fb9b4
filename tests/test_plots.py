"""Plots return matplotlib Figures whose cells print the right counts, with names that fit."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import nblabel as nl

LABELS = ["pos", "neg", "neu"]
RATINGS = {
    "ana": ["pos", "pos", "neg", "neu", "neu", "pos", "neg"],
    "bob": ["pos", "neg", "neg", "neg", None, "pos", "neg"],
    "cy": ["pos", "pos", "neg", None, None, "neu", "neg"],
}
GOLD = {1: "pos", 2: "pos", 3: "neg", 4: "neg", 5: "neu", 6: "pos"}


@pytest.fixture
def annotations(tmp_path) -> pd.DataFrame:
    store = nl.Store(tmp_path / "s.db")
    store.register_task("t", "classify", LABELS, {"multi": False})
    t0 = pd.Timestamp("2025-01-06 09:00", tz="UTC")
    rows = [
        {
            "item_id": i + 1,
            "annotator": name,
            "value": value,
            "created_at": t0 + pd.Timedelta(seconds=(10 + 10 * k) * i),
            "active_ms": 5000 + 1000 * k,
        }
        for k, (name, values) in enumerate(RATINGS.items())
        for i, value in enumerate(values)
        if value is not None
    ]
    store.import_annotations(pd.DataFrame(rows), "t")
    frame = store.annotations("t")
    store.close()
    return frame


def cell_texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


# ---------------------------------------------------------------------- confusion
def test_confusion_cells_print_the_counts(annotations):
    fig = nl.plot_confusion(annotations, "ana", "bob", labels=LABELS)
    assert isinstance(fig, Figure)
    a = pd.Series(RATINGS["ana"], index=range(1, 8))
    b = pd.Series(RATINGS["bob"], index=range(1, 8))
    both = a.notna() & b.notna()
    expected = pd.crosstab(a[both], b[both]).reindex(index=LABELS, columns=LABELS, fill_value=0)
    assert fig.confusion.tolist() == expected.to_numpy().tolist()
    assert cell_texts(fig) == [str(v) for v in expected.to_numpy().ravel()]  # row by row
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == LABELS
    assert [t.get_text() for t in ax.get_yticklabels()] == LABELS
    assert ax.get_ylabel() == "ana" and ax.get_xlabel() == "bob"
    assert "6 items labeled by both" in ax.get_title(loc="left")
    assert png(fig).startswith(b"\x89PNG")


def test_confusion_normalized_shades_by_share_and_still_prints_counts(annotations):
    fig = nl.plot_confusion(annotations, "ana", "bob", normalize="true", labels=LABELS)
    counts = fig.confusion
    shade = np.asarray(fig.axes[0].images[0].get_array())
    rows = counts.sum(axis=1, keepdims=True)
    assert np.allclose(shade, np.where(rows > 0, counts / np.maximum(rows, 1), 0))
    texts = cell_texts(fig)
    assert [t.split("\n")[0] for t in texts] == [str(v) for v in counts.ravel()]
    assert texts[0] == "2\n67%"  # ana "pos" on items 1, 2, 6: bob says pos twice (item 2: neg)
    with pytest.raises(ValueError, match="normalize"):
        nl.plot_confusion(annotations, "ana", "bob", normalize="rows")


def test_confusion_against_gold(annotations):
    fig = nl.plot_confusion(annotations, "cy", "gold", gold=GOLD, labels=LABELS)
    cy = pd.Series(RATINGS["cy"], index=range(1, 8))
    gold = pd.Series(GOLD).reindex(cy.index)
    both = cy.notna() & gold.notna()
    expected = pd.crosstab(cy[both], gold[both]).reindex(index=LABELS, columns=LABELS, fill_value=0)
    assert fig.confusion.tolist() == expected.to_numpy().tolist()
    assert fig.axes[0].get_xlabel() == "gold"
    with pytest.raises(ValueError, match="gold="):
        nl.plot_confusion(annotations, "cy", "gold")
    with pytest.raises(KeyError, match="annotators"):
        nl.plot_confusion(annotations, "cy", "zoe")


def test_confusion_names_fit_and_are_shown_literally(tmp_path):
    long = "a label name that goes on and on and on, far longer than any cell"
    frame = pd.DataFrame(
        {
            "item_id": [1, 1, 2, 2],
            "annotator": ["$x$", "bob", "$x$", "bob"],
            "value": [long, long, "$5", long],
        }
    )
    fig = nl.plot_confusion(frame, "$x$", "bob")
    columns = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    rows = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert columns[0] == rows[0] == r"\$5"  # "$" escaped: no math mode
    assert all(len(line) <= 18 for tick in columns + rows for line in tick.split("\n"))
    assert rows[1].count("\n") == 1 and rows[1].endswith("…")  # wrapped on two lines, then cut
    assert "\n" not in columns[1] and columns[1].endswith("…")  # rotated: one line
    assert fig.axes[0].get_ylabel() == r"\$x\$"
    png(fig)  # renders


def test_confusion_multi_label_compares_exact_sets():
    frame = pd.DataFrame(
        {
            "item_id": [1, 1, 2, 2, 3, 3],
            "annotator": ["ana", "bob"] * 3,
            "value": [["a", "b"], ["a"], ["c"], ["c"], [], ["b"]],
        }
    )
    fig = nl.plot_confusion(frame, "ana", "bob")
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["(none)", "a", "b", "c", "a + b"]
    assert int(fig.confusion.sum()) == 3 and int(np.trace(fig.confusion)) == 1


def _taxonomy(n_labels: int, items: int, seed: int = 0) -> tuple[list[str], pd.DataFrame]:
    """Long labels of two coders over a skewed draw of ``n_labels`` codes (a long tail)."""
    rng = np.random.default_rng(seed)
    labels = [f"K{i:06d}" for i in range(n_labels)]
    order = rng.permutation(n_labels)
    truth = order[np.minimum(rng.zipf(1.4, items), n_labels) - 1]
    other = order[np.minimum(rng.zipf(1.4, items), n_labels) - 1]
    values = {"ana": truth, "bob": np.where(rng.random(items) < 0.7, truth, other)}
    frame = pd.DataFrame(
        [
            {"item_id": i, "annotator": name, "value": labels[code]}
            for name, codes in values.items()
            for i, code in enumerate(codes)
        ]
    )
    return labels, frame


def test_confusion_of_a_100000_label_taxonomy_shows_the_most_frequent_and_other():
    import tracemalloc

    labels, frame = _taxonomy(100_000, 400)
    tracemalloc.start()
    fig = nl.plot_confusion(frame, "ana", "bob", labels=labels)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 100 * 2**20, f"peak {peak / 2**20:.0f} MiB"  # a square over every label: 74.5 GiB
    wide = frame.pivot(index="item_id", columns="annotator", values="value")
    table = pd.crosstab(wide["ana"], wide["bob"])
    given = set(table.index) | set(table.columns)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert len(ticks) == 31 and ticks[-1] == f"({len(given) - 30} others)"
    shown = ticks[:-1]
    assert shown == sorted(shown)  # label order
    frequency = wide["ana"].value_counts().add(wide["bob"].value_counts(), fill_value=0)
    assert frequency[shown].min() >= frequency.drop(shown).max()  # the most frequent
    counts = fig.confusion
    inner = table.reindex(index=shown, columns=shown, fill_value=0).to_numpy()
    assert counts[:-1, :-1].tolist() == inner.tolist()
    assert counts[-1, :-1].tolist() == [
        int(((~wide["ana"].isin(shown)) & (wide["bob"] == c)).sum()) for c in shown
    ]
    assert counts[:-1, -1].tolist() == [
        int(((wide["ana"] == c) & ~wide["bob"].isin(shown)).sum()) for c in shown
    ]
    assert int(counts.sum()) == 400
    agree = int((wide["ana"] == wide["bob"]).sum())
    title = fig.axes[0].get_title(loc="left")
    assert f"{agree / 400:.0%} agree" in title and f"the 30 most frequent of {len(given)} labels" in title
    assert png(fig).startswith(b"\x89PNG")

    report = nl.agreement_report(frame, labels=sorted(given), n_boot=0)
    people = nl.plot_annotators(frame, labels=labels)  # prepared with the labels in use only
    expected = [f"{name}  {row['accuracy']:.0%} · 400 items" for name, row in report.per_annotator.iterrows()]
    assert [t.get_text() for t in people.axes[0].texts] == expected


def test_confusion_of_many_label_sets_shows_the_most_frequent_and_other():
    rng = np.random.default_rng(3)
    letters = list("abcdefgh")
    picks = {
        name: [list(np.asarray(letters)[rng.random(8) < 0.4]) for _ in range(200)] for name in ("ana", "bob")
    }
    frame = pd.DataFrame(
        [
            {"item_id": i, "annotator": name, "value": v}
            for name, values in picks.items()
            for i, v in enumerate(values)
        ]
    )
    fig = nl.plot_confusion(frame, "ana", "bob", labels=letters)
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    given = {" + ".join(v) or "(none)" for values in picks.values() for v in values}
    assert len(ticks) == 31 and ticks[-1] == f"({len(given) - 30} others)"
    assert int(fig.confusion.sum()) == 200
    same = sum(a == b for a, b in zip(picks["ana"], picks["bob"], strict=True))
    assert f"{same / 200:.0%} agree" in fig.axes[0].get_title(loc="left")
    assert "label sets" in fig.axes[0].get_title(loc="left")


def test_figures_render_in_a_notebook_without_pyplot(annotations):
    fig = nl.plot_confusion(annotations, "ana", "bob")
    data, meta = fig._repr_png_()
    assert data.startswith(b"\x89PNG") and meta["width"] > 300


# ---------------------------------------------------------------------- coefficients
def test_plot_agreement_draws_every_coefficient_with_its_interval(annotations):
    report = nl.agreement_report(annotations, labels=LABELS, n_boot=50)
    fig = nl.plot_agreement(report)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == list(report["coefficient"])
    texts = [t.get_text() for t in ax.texts]
    for _, row in report.iterrows():
        assert f"{row['value']:.2f}  [{row['ci_low']:.2f}, {row['ci_high']:.2f}]" in texts
    assert len(ax.containers) == len(report)  # one error bar per coefficient
    png(fig)


def test_plot_agreement_marks_undefined_values():
    report = nl.agreement_report(pd.DataFrame({"ana": ["x", "x"], "bob": ["x", "x"]}), n_boot=10)
    fig = nl.plot_agreement(report)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("undefined") == int(report["value"].isna().sum()) >= 3
    png(fig)


# ---------------------------------------------------------------------- annotators
def test_plot_annotators_one_labeled_point_per_annotator(annotations):
    fig = nl.plot_annotators(annotations, gold=GOLD)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    points = [c for c in ax.collections if len(c.get_offsets())]
    assert len(points) == 3
    table = nl.agreement_report(annotations, gold=GOLD, n_boot=0).per_annotator
    xy = sorted(tuple(np.round(c.get_offsets()[0], 6)) for c in points)
    assert xy == sorted(
        zip(np.round(table["items_per_hour"], 6), np.round(table["accuracy"], 6), strict=True)
    )
    labels = [t.get_text() for t in ax.texts]
    for name in RATINGS:
        assert any(text.startswith(name + " ") for text in labels)
    assert any(t.startswith("target 90%") for t in labels)
    assert "gold" in ax.get_ylabel()
    png(fig)


def test_plot_annotators_from_a_report_and_without_timing():
    frame = pd.DataFrame(RATINGS, index=range(1, 8))
    report = nl.agreement_report(frame, n_boot=0)  # a wide table: no timestamps
    fig = nl.plot_annotators(report)
    assert "items labeled" in fig.axes[0].get_xlabel()
    assert "majority" in fig.axes[0].get_ylabel()
    png(fig)


def test_importing_nblabel_does_not_import_matplotlib() -> None:
    """Plots load matplotlib on first use: a labeling kernel does not pay for it."""
    import subprocess
    import sys

    code = "import sys, nblabel as nl; assert 'matplotlib' not in sys.modules; nl.plot_confusion; "
    code += "assert 'matplotlib' in sys.modules; from nblabel import plot_boxes; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"
