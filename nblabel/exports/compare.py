"""Preference exports of ``Compare`` tasks.

* ``dpo``: ``{prompt, chosen, rejected}`` per (item, annotator) where one response won — the
  format of TRL's ``DPOTrainer`` and Hugging Face ``datasets``' JSON loader;
* ``reward``: the same with ``margin`` (1 slightly, 2 clearly better) for reward models;
* ``jsonl``: every judgement with the texts, ``choice``, ``strength``, ``rubric`` scores,
  ``justification`` and ``swapped`` (whether ``b`` was shown on the left).

A ranking of 3+ responses becomes one ``dpo``/``reward`` pair per two responses of different
ranks (``margin`` = the difference of their ranks), and one ``jsonl`` record with the
ranking. Ties and "both bad" have no chosen response: ``dpo`` and ``reward`` leave them out unless
``keep_ties=True``, which writes them with ``"label": "tie"`` / ``"both_bad"`` (``a`` as chosen).
The texts are those stored with each item's first label. With ``values=`` (one judgement per
item, such as ``session.final_labels()``) the records are per item and have no ``annotator``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..agreement.compare import rank_positions
from ..agreement.report import sort_key
from ..store.store import Store
from .rows import label_rows, per_annotator

COMPARE_FORMATS = ("dpo", "reward", "jsonl")


def export_compare(
    store: Store,
    task: str,
    path: Path,
    format: str,
    *,
    keep_ties: bool = False,
    values: pd.DataFrame | None = None,
) -> Path:
    """Write the standing judgements of ``task`` (or ``values``: one per item, such as
    ``session.final_labels()``; records then have no ``annotator``) to ``path`` in ``format``."""

    labels = label_rows(store, task, values)
    keyed = per_annotator(labels)
    shown = store.items(task)
    missing = [i for i in labels["item_id"].unique() if i not in shown.index]
    if missing:
        raise ValueError(
            f"items {missing[:10]} of task {task!r} have no stored texts (labels imported with "
            "import_annotations carry none): label them in a Compare widget, or export 'csv'"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [_Judgement.of(r, keyed) for r in labels.to_dict("records")]
    rows.sort(key=lambda r: (sort_key(r.item_id), r.annotator or ""))
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            item = shown.loc[row.item_id]
            if isinstance(row.value, list):  # a ranking of 3+ responses
                records = _ranking_records(row, item, format)
            else:
                record = _record(row, item, format, keep_ties)
                records = [] if record is None else [record]
            for record in records:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@dataclass
class _Judgement:
    """One row to write: the item, the value, and who gave it when (``None`` for one value per
    item)."""

    item_id: Any
    value: Any
    annotator: str | None
    created_at: pd.Timestamp | None

    @classmethod
    def of(cls, row: dict[str, Any], keyed: bool) -> _Judgement:
        return cls(
            item_id=row["item_id"],
            value=row["value"],
            annotator=row["annotator"] if keyed else None,
            created_at=row.get("created_at") if keyed else None,
        )

    def who(self) -> dict[str, Any]:
        """``item_id`` (and ``annotator`` when per annotator) of a ``jsonl`` record."""
        out = {"item_id": self.item_id.item() if hasattr(self.item_id, "item") else self.item_id}
        if self.annotator is not None:
            out["annotator"] = self.annotator
        return out

    def when(self) -> dict[str, Any]:
        """``created_at`` of a ``jsonl`` record (per annotator only)."""
        return {} if self.created_at is None else {"created_at": self.created_at.isoformat()}


def _text(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and value != value) else value


def _ranking_records(row: _Judgement, item: Any, format: str) -> list[dict[str, Any]]:
    """A ranking as pairs (every response ranked strictly above another) for ``dpo``/``reward``,
    or as one record for ``jsonl``."""

    texts = item.get("responses") or {}
    prompt = _text(item.get("prompt"))
    if format == "jsonl":
        return [{**row.who(), "prompt": prompt, "responses": texts, "ranking": row.value, **row.when()}]
    rank = rank_positions(row.value)
    out = []
    for better, r_better in rank.items():
        for worse, r_worse in rank.items():
            if r_better < r_worse:
                record: dict[str, Any] = {
                    "prompt": prompt,
                    "chosen": texts.get(better),
                    "rejected": texts.get(worse),
                }
                if format == "reward":
                    record["margin"] = float(r_worse - r_better)
                out.append(record)
    return out


def _record(row: _Judgement, item: Any, format: str, keep_ties: bool) -> dict[str, Any] | None:
    value = row.value or {}
    prompt, a, b = _text(item.get("prompt")), _text(item.get("a")), _text(item.get("b"))
    choice = value.get("choice")
    if format == "jsonl":
        return {
            **row.who(),
            "prompt": prompt,
            "a": a,
            "b": b,
            "choice": choice,
            "strength": value.get("strength"),
            "rubric": value.get("rubric") or {},
            "justification": value.get("justification") or "",
            "swapped": value.get("swapped"),
            **row.when(),
        }
    if choice in ("A", "B"):
        chosen, rejected = (a, b) if choice == "A" else (b, a)
        record: dict[str, Any] = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
    elif keep_ties:
        record = {"prompt": prompt, "chosen": a, "rejected": b, "label": choice}
    else:
        return None
    if format == "reward":
        record["margin"] = float(value.get("strength") or 0) if choice in ("A", "B") else 0.0
    return record
