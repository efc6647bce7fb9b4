"""The "Suggestions" section of the dataset cards (a session's ``README.md``, the Hugging Face
dataset's card): what people did with model suggestions, from a
:func:`~nblabel.agreement.suggestions.suggestion_report` — the figures as a table, how they
read, and the plot when one was written beside the card. User text goes through
:func:`~nblabel.exports.markdown.md` (the table does it)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..agreement.suggestions import has_suggestions, suggestion_caption, suggestion_table
from ..exports.markdown import md, md_table

__all__ = ["suggestion_rows", "suggestion_section"]


def suggestion_section(report: pd.DataFrame | None, figure: str | None = None) -> list[str]:
    """Markdown lines of the section (none when no label recorded a suggestion); ``figure``: the
    file name of the plot written next to the card."""
    if report is None or not has_suggestions(report):
        return []
    total = report.iloc[-1]
    table = suggestion_table(report)
    lines = [
        "",
        "## Suggestions",
        "",
        f"{int(total['suggested'])} of {int(total['events'])} labels recorded a model suggestion: "
        f"{int(total['shown'])} shown, {int(total['hidden'])} hidden on purpose; "
        f"{int(total['accepted'])} of the shown were accepted, and {int(total['wrong_accepted'])} "
        f"of the {int(total['wrong_shown'])} wrong ones shown.",
        "",
        md_table(
            ["annotator", *table.columns],
            [[name, *row] for name, row in zip(table.index, table.to_numpy().tolist(), strict=True)],
        ),
        "",
        md(suggestion_caption(report)),
    ]
    if figure:
        lines += ["", f"![Suggestions: accepted, wrong ones accepted, accuracy with and without]({figure})"]
    return lines


def suggestion_rows(report: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The report as JSON-ready rows (``annotator`` first; NaN as ``None``), for card files."""
    if report is None or not has_suggestions(report):
        return []
    rows = []
    for name, row in report.iterrows():
        values = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        rows.append(
            {
                "annotator": str(name),
                **{k: (v.item() if hasattr(v, "item") else v) for k, v in values.items()},
            }
        )
    return rows
