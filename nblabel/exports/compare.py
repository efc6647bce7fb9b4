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
The texts are those stored with each item's first label.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..agreement.compare import rank_positions
from ..agreement.report import sort_key
from ..store.store import Store

COMPARE_FORMATS = ("dpo", "reward", "jsonl")


def export_compare(store: Store, task: str, path: Path, format: str, *, keep_ties: bool = False) -> Path:
    """Write the standing judgements of ``task`` to ``path`` in ``format``."""

    current = store.current(task)
    labels = current[current["kind"] == "label"]
    shown = store.items(task)
    missing = [i for i in labels["item_id"].unique() if i not in shown.index]
    if missing:
        raise ValueError(
            f"items {missing[:10]} of task {task!r} have no stored texts (labels imported with "
            "import_annotations carry none): label them in a Compare widget, or export 'csv'"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = sorted(labels.itertuples(index=False), key=lambda r: (sort_key(r.item_id), r.annotator))
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


def _text(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and value != value) else value


def _ranking_records(row: Any, item: Any, format: str) -> list[dict[str, Any]]:
    """A ranking as pairs (every response ranked strictly above another) for ``dpo``/``reward``,
    or as one record for ``jsonl``."""

    texts = item.get("responses") or {}
    prompt = _text(item.get("prompt"))
    if format == "jsonl":
        return [{
            "item_id": row.item_id.item() if hasattr(row.item_id, "item") else row.item_id,
            "annotator": row.annotator, "prompt": prompt, "responses": texts, "ranking": row.value,
            "created_at": row.created_at.isoformat(),
        }]  # fmt: skip
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


def _record(row: Any, item: Any, format: str, keep_ties: bool) -> dict[str, Any] | None:
    value = row.value or {}
    prompt, a, b = _text(item.get("prompt")), _text(item.get("a")), _text(item.get("b"))
    choice = value.get("choice")
    if format == "jsonl":
        return {
            "item_id": row.item_id.item() if hasattr(row.item_id, "item") else row.item_id,
            "annotator": row.annotator,
            "prompt": prompt,
            "a": a,
            "b": b,
            "choice": choice,
            "strength": value.get("strength"),
            "rubric": value.get("rubric") or {},
            "justification": value.get("justification") or "",
            "swapped": value.get("swapped"),
            "created_at": row.created_at.isoformat(),
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
