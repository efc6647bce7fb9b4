"""The dataset card (``README.md``) of a task's Hugging Face dataset
(:mod:`nblabel.exports.hf_task`): YAML metadata the Hub reads, then what was labeled and by whom,
how the final label was chosen and how often each rule decided, the agreement coefficients of
``nl.agreement_report``, each annotator's agreement with the final labels, the columns, and how
to load and push the dataset.

Task, label and annotator names are user text: inert in the Markdown (:func:`markdown.md`) and
quoted in the YAML (:func:`markdown.yaml_text`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from ..core import __version__
from ..core.registry import AggregationScheme, TaskKind
from .markdown import agreement_section, md, md_table, report_rows, yaml_text
from .suggestion_section import suggestion_section

__all__ = ["CardFacts", "task_card"]

#: What each column of the dataset holds (the item's own fields are described together).
COLUMN_MEANING = {
    "item_id": "the item's id (integers when every id is one, else text)",
    "annotators": "the annotators with a standing label on the item, sorted by name",
    "raw_labels": "each of those annotators' value, in the same order",
    "final_label": "the final label (null: undecided), chosen as the section Final label says",
    "rule": "what chose the final label: single, unanimous, majority or given (null: undecided)",
    "n_annotators": "how many annotators labeled the item",
    "agreement": "share of the item's annotators whose value agrees with the final label (null: undecided)",
}


@dataclass
class CardFacts:
    """What the card says: the task (name, kind, labels, config), the consensus table
    (:func:`nblabel.agreement.consensus.consensus`), the agreement report (``None``: no item has
    two annotators' labels), whether the final labels were given, the dataset's columns, when
    it was written and the suggestion report."""

    task: str
    kind: TaskKind
    labels: list[Any]
    config: dict[str, Any]
    table: pd.DataFrame
    report: pd.DataFrame | None
    given: bool
    columns: list[str]
    written_at: datetime
    #: The suggestion report (``None``: no label recorded a suggestion).
    suggestions: pd.DataFrame | None = None


def task_card(facts: CardFacts) -> str:
    """The card as Markdown with YAML front matter."""
    per_label = getattr(facts.report, "per_label", None)
    lines = [
        *_front_matter(facts),
        *_summary(facts),
        *_final_label(facts),
        *agreement_section(report_rows(facts.report), per_label if per_label is not None else pd.DataFrame()),
        *_annotators(facts),
        *suggestion_section(facts.suggestions),
        *_columns(facts),
        *_use(facts),
    ]
    return "\n".join(lines) + "\n"


def _front_matter(facts: CardFacts) -> list[str]:
    return ["---", f"pretty_name: {yaml_text(facts.task)}", "tags:", "- nblabel", "---", ""]


def _summary(facts: CardFacts) -> list[str]:
    table = facts.table
    names = _annotator_names(table)
    labeled = int((table["n_annotators"] > 0).sum())
    n_labels = int(table["n_annotators"].sum())
    per_item = f" ({n_labels / labeled:.1f} per labeled item)" if labeled else ""
    who = ", ".join(md(n) for n in names) or "none"
    lines = [
        f"# {md(facts.task)}",
        "",
        f"Labels of the nblabel task **{md(facts.task)}**, a **{md(facts.kind.name)}** task "
        f"({md(facts.kind.description)}): {len(table)} items, {labeled} of them labeled, by "
        f"{len(names)} annotators ({who}); {n_labels} labels{per_item}.",
        "",
    ]
    if facts.labels:
        lines += [f"Labels: {', '.join(md(label) for label in facts.labels)}.", ""]
    return lines


def _final_label(facts: CardFacts) -> list[str]:
    table = facts.table
    rules = table["rule"].value_counts(dropna=False)
    counts = [[rule, int(n)] for rule, n in rules.items() if rule is not None and not pd.isna(rule)]
    undecided = int(((table["n_annotators"] > 0) | facts.given).sum()) - sum(n for _, n in counts)
    lines = ["## Final label", "", *_how(facts), ""]
    lines.append(md_table(["rule", "items"], [*counts, *([["undecided", undecided]] if undecided else [])]))
    distribution = _distribution(facts)
    if distribution:
        lines += ["", "Labels in the final labels:", "", md_table(["label", "count"], distribution)]
    return [*lines, ""]


def _how(facts: CardFacts) -> list[str]:
    """How the final label was chosen, in words."""
    if facts.given:
        return [
            "The final labels were given with the export (`values=`, e.g. a session's adjudicated "
            "final labels), one per item; items without one have none. `raw_labels` are the "
            "annotators' own values."
        ]
    scheme = _scheme(facts)
    if scheme is None:
        disagree = (
            f"annotators disagree: no final label — a {md(facts.kind.name)} task's values are not "
            "categories to vote on; decide these items in a session's adjudication and export its "
            "final labels with `values=`."
        )
    elif scheme.multi:
        disagree = (
            'annotators disagree: the majority vote of `nl.aggregate(method="majority")`, label by '
            "label (`majority`): a label is in the final set when more than half of the item's "
            "annotators put it; a label exactly half of them put leaves the item undecided."
        )
    elif scheme.category is not None:
        disagree = (
            'annotators disagree: the majority vote of `nl.aggregate(method="majority")` on the '
            "category of each value (such as a comparison's choice), and the value most of the "
            "annotators who chose it gave (`majority`); a tie leaves the item undecided."
        )
    else:
        disagree = (
            'annotators disagree: the majority vote of `nl.aggregate(method="majority")` '
            "(`majority`); a tie leaves the item undecided."
        )
    return [
        "- one annotator labeled the item: their label (`single`);",
        "- every annotator gave the same label: that label (`unanimous`);",
        f"- {disagree}",
    ]


def _scheme(facts: CardFacts) -> AggregationScheme | None:
    try:
        return facts.kind.aggregation_scheme(facts.labels or None, facts.config)
    except ValueError:
        return None


def _distribution(facts: CardFacts) -> list[list[Any]]:
    """How often each label occurs in the final labels (the kind's ``label_counts``)."""
    counts: dict[Any, int] = {}
    for value in facts.table["final_label"]:
        if value is None:
            continue
        try:
            found = facts.kind.label_counts(value)
        except (TypeError, ValueError, KeyError, AttributeError):  # a given value of another shape
            continue
        for label, n in found.items():
            counts[label] = counts.get(label, 0) + n
    try:
        hashable = {label: n for label, n in counts.items() if label is not None}
        return [[label, n] for label, n in sorted(hashable.items(), key=lambda kv: -kv[1])]
    except TypeError:  # pragma: no cover - label_counts returns hashable labels
        return []


def _annotators(facts: CardFacts) -> list[str]:
    """Each annotator's labels and how often they agree with the final label."""
    given: dict[str, int] = {}
    decided: dict[str, int] = {}
    agree: dict[str, int] = {}
    for names, values, final, rule in zip(
        facts.table["annotators"], facts.table["raw_labels"], facts.table["final_label"], facts.table["rule"],
        strict=True,
    ):  # fmt: skip
        for name, value in zip(names, values, strict=True):
            given[name] = given.get(name, 0) + 1
            if rule is not None:
                decided[name] = decided.get(name, 0) + 1
                agree[name] = agree.get(name, 0) + bool(facts.kind.values_agree(value, final))
    rows = [[name, given[name], _share(agree, decided, name)] for name in sorted(given)]
    headers = ["annotator", "labels", "agree with the final label"]
    return ["", "## Annotators", "", md_table(headers, rows), ""]


def _share(agree: dict[str, int], decided: dict[str, int], name: str) -> str:
    return f"{agree[name] / decided[name]:.0%} of {decided[name]}" if name in decided else "—"


def _columns(facts: CardFacts) -> list[str]:
    rows = [[c, COLUMN_MEANING.get(c, "what the item showed, as the store kept it")] for c in facts.columns]
    return ["## Columns", "", md_table(["column", "what it holds"], rows), ""]


def _use(facts: CardFacts) -> list[str]:
    return [
        "## Use",
        "",
        "```python",
        "from datasets import load_from_disk",
        "",
        'ds = load_from_disk("path/to/this/folder")',
        '# ds.push_to_hub("you/name"); and this card:',
        '# huggingface_hub.DatasetCard.load("path/to/this/folder/README.md").push_to_hub("you/name")',
        "```",
        "",
        f"Written by nblabel {__version__} on {facts.written_at.isoformat()[:19]} UTC.",
    ]


def _annotator_names(table: pd.DataFrame) -> list[str]:
    return sorted({name for names in table["annotators"] for name in names})
