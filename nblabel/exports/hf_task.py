"""A Hugging Face ``datasets`` dataset of any task (``store.export(task, path, format="hf")``): a
folder ``datasets.load_from_disk`` reads, one row per item, with the dataset card as the
folder's ``README.md``. Pushing it to the Hub is left to the user's own ``push_to_hub``.

Columns, in this order:

- ``item_id``: integers when every id is one, else text;
- what the item showed, as the store kept it (``store.items(task)``: ``text``; ``prompt``,
  ``a``, ``b``; a box task's image ``width`` and ``height`` — images themselves are not in the
  store);
- ``annotators`` (the names of those with a standing label, sorted) and ``raw_labels`` (each
  one's value, in the same order): two lists rather than a column per annotator, so that any
  number of annotators with any names loads as two columns;
- ``final_label`` and ``rule`` (``single``, ``unanimous``, ``majority``, ``given`` or null), as
  :func:`nblabel.agreement.consensus.consensus` decides them (``values=`` gives them instead);
- ``n_annotators`` and ``agreement`` (share of the item's annotators whose value agrees with the
  final label; null when there is none).

A column keeps its values' types where Arrow can hold them as one type (labels, label sets,
spans, boxes, judgements), else it is JSON text (:mod:`nblabel.exports.hf`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..agreement.consensus import CONSENSUS_COLUMNS, consensus
from ..agreement.report import AgreementReport, agreement_report
from ..agreement.suggestions import suggestion_report
from ..core import registry
from .hf import item_fields, plain_ids, write_hf_dataset
from .rows import given_values, per_annotator
from .task_card import CardFacts, task_card

__all__ = ["export_hf"]


def export_hf(
    store: Any, task: str, path: Path, *, values: pd.DataFrame | None = None, n_boot: int = 200
) -> Path:
    """Write ``task`` as a dataset in the folder ``path`` (see the module's docstring) and its
    card as ``README.md`` there; returns the folder. ``values=`` (item ids and a ``value``
    column, such as ``session.final_labels()``) are the final labels, one per item. The card's
    agreement intervals are bootstraps of ``n_boot`` resamples (0: none)."""
    info = store.task(task)  # KeyError naming the known tasks
    given = None if values is None else _given(values)
    annotations = store.annotations(task)
    shown = store.items(task)
    table = consensus(annotations, given=given, items=list(shown.index))
    fields = [str(c) for c in shown.columns if str(c) not in ("item_id", *CONSENSUS_COLUMNS)]
    ids = plain_ids(table.index)
    records = [
        {"item_id": plain_id, **item_fields(shown, item_id, fields), **row}
        for item_id, plain_id, row in zip(table.index, ids, table.to_dict("records"), strict=True)
    ]
    columns = ["item_id", *fields, *CONSENSUS_COLUMNS]
    directory = write_hf_dataset(records, Path(path), columns)
    facts = CardFacts(
        task=task,
        kind=registry.for_task(info["kind"], info["config"] or {}),
        labels=list(info["labels"] or []),
        config=dict(info["config"] or {}),
        table=table,
        report=_report(annotations, table, n_boot),
        given=given is not None,
        columns=columns,
        written_at=datetime.now(UTC),
        suggestions=_suggestions(annotations, given),
    )
    (directory / "README.md").write_text(task_card(facts), encoding="utf-8")
    return directory


def _suggestions(annotations: pd.DataFrame, given: dict[Any, Any] | None) -> pd.DataFrame | None:
    """The suggestion report of the task (a suggestion wrong when it differs from the given
    final labels, else the people's), or ``None`` when no label recorded a suggestion."""
    if "suggestion" not in annotations.columns or not annotations["suggestion"].notna().any():
        return None
    report = suggestion_report(annotations, gold=given)
    if given is not None:
        report.attrs["reference"] = "final labels given (values=)"
    return report


def _given(values: pd.DataFrame) -> dict[Any, Any]:
    """Item id → final label of ``values=`` (checked as every exporter checks it)."""
    frame = given_values(values)
    if per_annotator(frame):
        raise ValueError(
            "values= for format='hf' gives the final label of each item: one value per item, "
            "without an 'annotator' column (each annotator's value is in raw_labels already)"
        )
    return dict(zip(frame["item_id"], frame["value"], strict=True))


def _report(annotations: pd.DataFrame, table: pd.DataFrame, n_boot: int) -> AgreementReport | None:
    """The task's agreement report; ``None`` while no item has two annotators' labels."""
    if not (table["n_annotators"] >= 2).any():
        return None
    return agreement_report(annotations, n_boot=n_boot)
