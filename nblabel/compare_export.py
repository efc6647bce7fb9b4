"""Preference exports of ``Compare`` tasks.

* ``dpo``: ``{prompt, chosen, rejected}`` per (item, annotator) where one response won — the
  format of TRL's ``DPOTrainer`` and Hugging Face ``datasets``' JSON loader;
* ``reward``: the same with ``margin`` (1 slightly, 2 clearly better) for reward models;
* ``jsonl``: every judgement with the texts, ``choice``, ``strength``, ``rubric`` scores,
  ``justification`` and ``swapped`` (whether ``b`` was shown on the left).

Ties and "both bad" have no chosen response: ``dpo`` and ``reward`` leave them out unless
``keep_ties=True``, which writes them with ``"label": "tie"`` / ``"both_bad"`` (``a`` as chosen).
The texts are those stored with each item's first label.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import Store

COMPARE_FORMATS = ("dpo", "reward", "jsonl")


def export_compare(store: Store, task: str, path: Path, format: str, *, keep_ties: bool = False) -> Path:
    """Write the standing judgements of ``task`` to ``path`` in ``format``."""
    from .report import _sort_key

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
    rows = sorted(labels.itertuples(index=False), key=lambda r: (_sort_key(r.item_id), r.annotator))
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            record = _record(row, shown.loc[row.item_id], format, keep_ties)
            if record is not None:
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _text(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and value != value) else value


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
