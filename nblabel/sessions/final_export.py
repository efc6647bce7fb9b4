"""``session.export_final(path, format=...)``: a session's final labels in any format of its
task kind, its soft labels, or a Hugging Face dataset of everything behind them.

- a kind's formats (``jsonl``/``csv``/``parquet``; ``coco``/``yolo``/``voc``;
  ``bio``/``conll``/``spacy``; ``dpo``/``reward``): one value per item, the final label of
  :func:`nblabel.sessions.decisions.final_labels` (items without one are left out), written by
  the kind's exporter (``store.export(..., values=final)``);
- ``soft``: JSON Lines, one line per labeled item: ``item_id``, ``n_annotators``,
  ``soft_label`` (label → share of annotators), ``agreement``, and with a model-based method
  ``posterior`` (label → its probability) and ``method``;
- ``hf``: a ``datasets`` dataset in the folder ``path`` (``datasets.load_from_disk``), one row
  per production item: ``item_id``, what the item showed (``text``, ``image``, ``prompt``, ...),
  ``annotators`` and ``raw_labels`` (each annotator's value, in the same order),
  ``final_label``, ``status``, ``rule``, ``reason``, ``confidence``, ``n_annotators``,
  ``agreement``, and for kinds with categories ``soft_label`` (``[{label, p}]``, labels as
  text) and, with a model-based method, ``posterior``.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import registry
from ..exports.hf import item_fields, plain_ids, write_hf_dataset
from ..exports.table import json_value
from .decisions import final_labels
from .resolution import Resolution, aggregation_scheme, task_config
from .soft_labels import item_agreement, soft_labels

__all__ = ["SESSION_FORMATS", "export_final"]

#: Formats a session writes itself, besides those of its task's kind.
SESSION_FORMATS = ("soft", "hf")
#: Columns of the ``hf`` dataset, after ``item_id`` and the item's fields.
HF_COLUMNS = [
    "annotators", "raw_labels", "final_label", "status", "rule", "reason", "confidence", "n_annotators",
    "agreement",
]  # fmt: skip


def export_final(
    session: Any,
    path: str | os.PathLike[str],
    format: str = "jsonl",
    *,
    method: str | None = None,
    min_confidence: float | None = None,
    **options: Any,
) -> Path:
    """Write the final labels of ``session`` (see the module's docstring) to ``path``."""
    out = Path(path)
    if format == "soft":
        if options:
            raise TypeError(f"export options {sorted(options)} do not apply to format='soft'")
        return _write_soft(session, out, method)
    if format == "hf":
        if options:
            raise TypeError(f"export options {sorted(options)} do not apply to format='hf'")
        return _write_hf(session, out, method, min_confidence)
    final = final_labels(session, method, min_confidence)
    try:
        return session.store.export(session.task, out, format, values=final, **options)
    except ValueError as exc:
        if str(exc).startswith(f"format {format!r} is not one of"):
            raise ValueError(f"{exc}, or a session's own {list(SESSION_FORMATS)}") from None
        raise


def _write_soft(session: Any, path: Path, method: str | None) -> Path:
    soft = soft_labels(session, method)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fh:
        for item_id, row in soft.iterrows():
            if not row["n_annotators"]:
                continue  # nobody labeled it: no distribution
            record: dict[str, Any] = {
                "item_id": json_value(item_id),
                "n_annotators": int(row["n_annotators"]),
                "soft_label": _by_text(row["soft_label"]),
                "agreement": _number(row["agreement"]),
            }
            if row["posterior"] is not None:
                record.update(posterior=_by_text(row["posterior"]), method=method)
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _write_hf(session: Any, directory: Path, method: str | None, min_confidence: float | None) -> Path:
    resolution = Resolution(session, method, min_confidence)  # the method runs once
    final = final_labels(session, method, min_confidence, resolution=resolution)
    soft = _soft_or_none(session, method, resolution)
    kind = registry.for_task(session.kind, task_config(session))
    shown = session.store.items(session.task)
    fields = [str(c) for c in shown.columns]
    ids = plain_ids(final.index)
    records = []
    for item_id, plain_id, row in zip(final.index, ids, final.to_dict("records"), strict=True):
        raw = row["annotators"]
        record: dict[str, Any] = {"item_id": plain_id}
        record.update(item_fields(shown, item_id, fields))
        record.update(
            annotators=list(raw), raw_labels=list(raw.values()), final_label=row["value"],
            status=row["status"], rule=row["rule"], reason=row["reason"],
            confidence=_number(row["confidence"]), n_annotators=int(row["n_annotators"]),
            agreement=_number(item_agreement(kind.values_agree, list(raw.values()))),
        )  # fmt: skip
        if soft is not None:
            record["soft_label"] = _pairs(soft.loc[item_id, "soft_label"])
            record["posterior"] = _pairs(soft.loc[item_id, "posterior"])
        records.append(record)
    columns = ["item_id", *[f for f in fields if f not in ("item_id", *HF_COLUMNS)], *HF_COLUMNS]
    if soft is not None:
        columns += ["soft_label"] + (["posterior"] if soft["posterior"].notna().any() else [])
    return write_hf_dataset(records, directory, columns)


def _soft_or_none(session: Any, method: str | None, resolution: Resolution) -> pd.DataFrame | None:
    """The soft labels, or ``None`` for a kind without categories (spans, boxes, rankings)."""
    try:
        aggregation_scheme(session)
    except ValueError:
        return None
    return soft_labels(session, method, resolution=resolution)


def _pairs(shares: dict[Any, float] | None) -> list[dict[str, Any]] | None:
    """``{label: p}`` as ``[{"label": text, "p": p}]`` (one Arrow type for any label set)."""
    if shares is None:
        return None
    return [{"label": str(label), "p": float(p)} for label, p in shares.items()]


def _by_text(shares: dict[Any, float]) -> dict[str, float]:
    return {str(label): float(p) for label, p in shares.items()}


def _number(value: Any) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
