"""Markdown of dataset cards (a session's ``README.md``, the Hugging Face dataset's card): user
text made inert, tables, numbers, and the agreement section both cards show.

Every piece of user text (task, label, annotator names, item text) goes through :func:`md`: no
HTML, no link or emphasis syntax, no table breaks, one line.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

__all__ = ["agreement_section", "cell", "md", "md_table", "num", "report_rows", "short", "yaml_text"]

#: Columns of the per-label table, where the report has them.
PER_LABEL_COLUMNS = ("count", "agreement", "kappa", "alpha", "f1_exact", "f1")


def md(text: Any) -> str:
    """User text made inert in Markdown: no HTML, no table breaks, one line."""
    out = str(text)
    for a, b in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "\\`"), ("[", "\\["),
                 ("]", "\\]"), ("*", "\\*"), ("_", "\\_")):  # fmt: skip
        out = out.replace(a, b)
    return " ".join(out.split())


def md_table(headers: list[str], rows: list[list[Any]]) -> str:
    """A Markdown table of ``rows`` (every cell through :func:`md`); ``(none)`` without rows."""
    if not rows:
        return "(none)"
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def short(value: Any) -> str:
    """A value as one short line (JSON unless text; ``—`` for none)."""
    if value is None:
        return "—"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:79] + "…"


def num(value: Any) -> str:
    """A number with three decimals (``—`` for none or NaN)."""
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def cell(value: Any) -> str:
    """A table cell: whole numbers as such, other floats through :func:`num`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return num(value) if isinstance(value, float) else str(value)


def report_rows(report: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The coefficient rows of an :class:`~nblabel.agreement.report.AgreementReport` as plain
    dicts (key, coefficient, value, ci_low, ci_high, items, reading); ``[]`` without a report."""
    if report is None:
        return []
    return [
        {
            "key": key,
            "coefficient": r["coefficient"],
            "value": r["value"],
            "ci_low": r["ci_low"],
            "ci_high": r["ci_high"],
            "items": r["items"],
            "reading": r["reading"],
        }  # fmt: skip
        for key, r in report.iterrows()
    ]


def agreement_section(rows: list[dict[str, Any]], per_label: pd.DataFrame) -> list[str]:
    """``## Agreement``: the coefficients with their intervals (:func:`report_rows`), then
    agreement per label."""
    lines = ["## Agreement", ""]
    if rows:
        lines.append(md_table(
            ["coefficient", "value", "95% CI", "items", "reading"],
            [[r["coefficient"], num(r["value"]), f"{num(r['ci_low'])} – {num(r['ci_high'])}", r["items"],
              r["reading"]] for r in rows],
        ))  # fmt: skip
    else:
        lines.append("No item has labels from two annotators yet.")
    shown = [c for c in PER_LABEL_COLUMNS if c in per_label.columns]
    if len(per_label) and shown:
        lines += ["", "### Per label (label against the rest: low values mark uncertain labels)", ""]
        table = [[label] + [cell(r[c]) for c in shown] for label, r in per_label.iterrows()]
        lines.append(md_table(["label", *shown], table))
    return lines


def yaml_text(text: Any) -> str:
    """``text`` as a double-quoted YAML scalar that any YAML parser reads back as it was: quotes,
    backslashes, and every character YAML does not allow as it is (control characters, C1
    controls, DEL, the byte order mark) escaped."""
    out = ['"']
    for ch in str(text):
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif _yaml_printable(code):
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def _yaml_printable(code: int) -> bool:
    """YAML 1.1/1.2's printable characters, without tab, line breaks and NEL."""
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    )
