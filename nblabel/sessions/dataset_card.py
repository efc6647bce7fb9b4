"""The dataset card of a session: final labels, raw annotations, guidelines, agreement,
disagreements with their resolutions and per-annotator statistics, as Markdown and JSON.

``session.export(dir)`` writes::

    README.md              the card (Markdown): what was labeled, how, and where ground truth is uncertain
    card.json              the same facts as JSON
    final_labels.jsonl     one line per item: value, status, the rule that decided it, provenance
    annotations.jsonl      every raw event (the session's and the adjudicators')
    disagreements.jsonl    items where annotators disagreed: each value and the resolution
    agreement.json         the agreement report, and agreement per guidelines version
    annotators.json        per-annotator progress, gold accuracy, flags, time
    guidelines/            every guidelines version as Markdown, with guidelines.json
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ..core import __version__
from ..exports.markdown import agreement_section
from ..exports.markdown import md as _md
from ..exports.markdown import md_table as _md_table
from ..exports.markdown import num as _num
from ..exports.markdown import report_rows as coefficient_rows
from ..exports.markdown import short as _short
from ..exports.suggestion_section import suggestion_rows, suggestion_section
from ..exports.table import json_row, json_value
from .resolution import AGGREGATED, MIN_CONFIDENCE

#: Disagreements listed in README.md (all are in disagreements.jsonl).
MAX_LISTED = 50


def write_dataset_card(
    session: Any, directory: Path, method: str | None = None, min_confidence: float | None = None
) -> Path:
    """Write the dataset card of ``session`` into ``directory`` (created); returns it. With
    ``method`` the final labels are ``session.final_labels(method, min_confidence)``."""
    directory.mkdir(parents=True, exist_ok=True)
    final = session.final_labels(method, min_confidence)
    shown = session.store.items(session.task)
    text = shown["text"] if "text" in shown.columns else None
    _write_jsonl(directory / "final_labels.jsonl", _final_rows(final, text))
    _write_annotations(session, directory / "annotations.jsonl")
    disagreement_rows = _disagreement_rows(final)
    _write_jsonl(directory / "disagreements.jsonl", disagreement_rows)
    guide_index = _write_guidelines(session, directory / "guidelines")
    report_rows, per_label, by_version = _write_agreement(session, directory / "agreement.json")
    stats = session.progress()
    (directory / "annotators.json").write_text(_dumps(_table(stats)), encoding="utf-8")
    card = _card(session, final, guide_index)
    suggestions, figure = _write_suggestions(session, final, directory)
    if figure:
        card["files"].insert(card["files"].index("annotators.json") + 1, figure)
    if method is not None:
        card["final_labels"] = {"method": method, "min_confidence": _used_confidence(min_confidence)}
    (directory / "card.json").write_text(_dumps(card), encoding="utf-8")
    (directory / "README.md").write_text(
        _markdown(
            session, card, report_rows, per_label, by_version, stats, disagreement_rows, text,
            suggestions=suggestion_section(suggestions, figure),
        ),  # fmt: skip
        encoding="utf-8",
    )
    return directory


# ---------------------------------------------------------------------- the files
def _final_rows(final: pd.DataFrame, text: pd.Series | None) -> list[dict[str, Any]]:
    """One row per item of ``final_labels.jsonl``: id, text (when shown), value, provenance."""
    rows = []
    for item_id, row in final.iterrows():
        out = {"item_id": json_value(item_id)}
        if text is not None and item_id in text.index:
            out["text"] = json_value(text.loc[item_id])
        out.update(
            value=row["value"], status=row["status"], n_annotators=int(row["n_annotators"]),
            agreed_with=row["agreed_with"], adjudicator=row["adjudicator"], rationale=row["rationale"],
            rule=row["rule"], reason=row["reason"], confidence=row["confidence"],
        )  # fmt: skip
        rows.append(out)
    return rows


def _write_annotations(session: Any, path: Path) -> None:
    """Every raw event, the session's and the adjudicators', as ``annotations.jsonl``."""
    events = pd.concat(
        [session.store.annotations(session.task), session.store.annotations(session.adjudication_task)],
        ignore_index=True,
    )
    _write_jsonl(path, [json_row(r) for r in events.to_dict("records")])


def _write_suggestions(
    session: Any, final: pd.DataFrame, directory: Path
) -> tuple[pd.DataFrame | None, str | None]:
    """The suggestion report of the production labels, a suggestion wrong when it differs from
    the final label (adjudicated, aggregated or unanimous; not one annotator's own); with
    suggestions, ``suggestions.json`` and ``suggestions.png``. Returns the report (``None``
    without suggestions) and the figure's file name."""
    from ..agreement.suggestions import has_suggestions, suggestion_report

    labeled = session.production_annotations()
    if "suggestion" not in labeled.columns or not labeled["suggestion"].notna().any():
        return None, None
    # one annotator's label cannot check the suggestion they saw: single items have no reference
    decided = final[final["value"].notna() & (final["status"] != "single")]["value"]
    report = suggestion_report(labeled, gold=decided)
    if not has_suggestions(report):
        return None, None
    report.attrs["reference"] = "final labels of the session (adjudicated where annotators disagreed)"
    (directory / "suggestions.json").write_text(_dumps(suggestion_rows(report)), encoding="utf-8")
    from ..agreement.suggestion_plots import plot_suggestions

    plot_suggestions(report).savefig(directory / "suggestions.png", dpi=120)
    return report, "suggestions.png"


def _disagreement_rows(final: pd.DataFrame) -> list[dict[str, Any]]:
    """Items at least two annotators labeled differently: each value and the resolution."""
    contested = final[final["status"].isin(["adjudicated", AGGREGATED, "ambiguous", "unresolved"])]
    contested = contested[contested["n_annotators"] >= 2]
    return [
        {
            "item_id": json_value(i),
            "annotators": r["annotators"],
            "resolution": r["status"],
            "rule": r["rule"],
            "value": r["value"],
            "adjudicator": r["adjudicator"],
            "rationale": r["rationale"],
        }  # fmt: skip
        for i, r in contested.iterrows()
    ]


def _write_guidelines(session: Any, guide_dir: Path) -> list[dict[str, Any]]:
    """Every guidelines version as Markdown in ``guide_dir``, with ``guidelines.json``
    (returned: version, number, note, created_at, file)."""
    versions = session.guideline_versions()
    guide_dir.mkdir(exist_ok=True)
    guide_index = []
    for n, row in enumerate(versions.itertuples(index=False), start=1):
        name = f"v{n}-{row.version}.md"
        (guide_dir / name).write_text(row.markdown, encoding="utf-8")
        guide_index.append(
            {
                "version": row.version,
                "number": n,
                "note": row.note,
                "created_at": row.created_at.isoformat(),
                "file": f"guidelines/{name}",
            }
        )
    (guide_dir / "guidelines.json").write_text(_dumps(guide_index), encoding="utf-8")
    return guide_index


def _write_agreement(session: Any, path: Path) -> tuple[list[dict[str, Any]], pd.DataFrame, pd.DataFrame]:
    """``agreement.json``: the report (when production items have labels), its per-label table
    and agreement per guidelines version; returns the three."""
    labeled = session.production_annotations()
    report = session.report(n_boot=200) if (labeled["kind"] == "label").any() else None
    report_rows = coefficient_rows(report)
    per_label = report.per_label if report is not None else pd.DataFrame()
    by_version = session.agreement_by_guideline()
    path.write_text(
        _dumps(
            {
                "report": report_rows,
                "per_label": _table(per_label),
                "by_guideline_version": _table(by_version),
            }
        ),
        encoding="utf-8",
    )
    return report_rows, per_label, by_version


def _card(session: Any, final: pd.DataFrame, guide_index: list[dict[str, Any]]) -> dict[str, Any]:
    """The facts of ``card.json``: the task, its settings, status counts, label distribution."""
    status_counts = {s: int(n) for s, n in final["status"].value_counts().items()}
    return {
        "task": session.task, "kind": session.kind, "labels": session.labels,
        "items": session.n_production, "gold_items": len(session.gold),
        "annotators": session.annotators, "overlap": session.overlap,
        "settings": {"gold_rate": session.gold_rate, "gold_threshold": session.gold_threshold,
                     "calibration": session.calibration, "pass_mark": session.pass_mark,
                     "feedback": session.feedback, "seed": session.seed},
        "status_counts": status_counts, "label_distribution": _distribution(final),
        "guideline_versions": guide_index, "written_at": datetime.now(UTC).isoformat(),
        "nblabel_version": __version__,
        "files": ["README.md", "card.json", "final_labels.jsonl", "annotations.jsonl", "disagreements.jsonl",
                  "agreement.json", "annotators.json", "guidelines/"],
    }  # fmt: skip


def _distribution(final: pd.DataFrame) -> dict[str, int]:
    """How many items have each final value (a value that is not text keyed by its JSON)."""
    finals = final[final["value"].notna()]["value"]
    distribution: dict[str, int] = {}
    for value in finals:
        key = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else value
        distribution[key] = distribution.get(key, 0) + 1
    return distribution


# ---------------------------------------------------------------------- Markdown
def _markdown(
    session: Any,
    card: dict[str, Any],
    report_rows: list[dict[str, Any]],
    per_label: pd.DataFrame,
    by_version: pd.DataFrame,
    stats: pd.DataFrame,
    disagreements: list[dict[str, Any]],
    text: pd.Series | None,
    suggestions: Sequence[str] = (),
) -> str:
    """``README.md``: one section per part of the card (``suggestions``: that section's lines)."""
    lines = [
        *_md_summary(session, card),
        *agreement_section(report_rows, per_label),
        *_md_by_version(by_version),
        *_md_annotators(stats),
        *suggestions,
        *_md_disagreements(disagreements, text),
        *_md_guidelines_and_files(card),
    ]
    return "\n".join(lines)


def _md_summary(session: Any, card: dict[str, Any]) -> list[str]:
    """The title, what was labeled and how, and the final labels by status and by label."""
    counts = card["status_counts"]
    uncertain = counts.get("ambiguous", 0) + counts.get("unresolved", 0)
    return [
        f"# Dataset card: {_md(session.task)}",
        "",
        f"{card['items']} items labeled for a **{_md(session.kind)}** task by "
        f"{len(session.annotators)} annotators "
        f"({', '.join(_md(a) for a in session.annotators)}), each item by {session.overlap} of them, blind. "
        + _gold_sentence(session),
        "",
        f"Labels: {', '.join(_md(str(label)) for label in session.labels)}.",
        "",
        "## Final labels",
        "",
        _md_table(
            ["status", "items", "meaning"],
            [[s, counts.get(s, 0), _STATUS_MEANING[s]] for s in _STATUS_MEANING if counts.get(s, 0)],
        ),  # fmt: skip
        "",
        f"**Where ground truth is uncertain:** {uncertain} of {card['items']} items have no final label "
        "(ambiguous or unresolved); adjudicated items are listed below with the rationale.",
        "",
        *_md_rule(card, counts),
        "Label distribution of the final labels:",
        "",
        _md_table(["label", "items"], sorted(card["label_distribution"].items(), key=lambda kv: -kv[1])),
        "",
    ]


def _md_by_version(by_version: pd.DataFrame) -> list[str]:
    """Agreement per guidelines version."""
    lines = ["", "### By guidelines version", ""]
    if not len(by_version):
        return [*lines, "The session has no versioned guidelines."]
    coefficient = next(
        (c for c in ("krippendorff_alpha", "fleiss_kappa", "span_f1_exact") if c in by_version), None
    )
    headers = ["version", "note", "items"] + ([coefficient] if coefficient else [])
    rows = [
        [f"v{r['number']} ({v})" if r.get("number") else v, r["note"], r["items"]]
        + ([_num(r.get(coefficient))] if coefficient else [])
        for v, r in by_version.iterrows()
    ]
    return [*lines, _md_table(headers, rows)]


def _md_annotators(stats: pd.DataFrame) -> list[str]:
    """Each annotator's progress, gold accuracy, flags and time."""
    lines = ["", "## Annotators", ""]
    if len(stats):
        lines.append(_md_table(
            ["annotator", "assigned", "labeled", "skipped", "gold answered", "gold accuracy",
             "below threshold", "flags", "median active time"],
            [[a, r["assigned"], r["labeled"], r["skipped"], r["gold_answered"], _pct(r["gold_accuracy"]),
              "yes" if r["gold_flagged"] else "", r["flags"], _secs(r["median_active_ms"])]
             for a, r in stats.iterrows()],
        ))  # fmt: skip
    return lines


def _md_disagreements(disagreements: list[dict[str, Any]], text: pd.Series | None) -> list[str]:
    """The first :data:`MAX_LISTED` disagreements: the item, each value, the resolution."""
    lines = ["", f"## Disagreements ({len(disagreements)})", ""]
    if not disagreements:
        return [*lines, "None."]
    rows = []
    for d in disagreements[:MAX_LISTED]:
        item_text = ""
        if text is not None and d["item_id"] in text.index:
            item_text = str(text.loc[d["item_id"]])[:120]
        values = "; ".join(f"{a}: {_short(v)}" for a, v in d["annotators"].items())
        rows.append(
            [d["item_id"], item_text, values, d["resolution"], _short(d["value"]), d["rationale"] or ""]
        )
    lines.append(_md_table(["item", "text", "annotators", "resolution", "final", "rationale"], rows))
    if len(disagreements) > MAX_LISTED:
        lines.append(f"\n… and {len(disagreements) - MAX_LISTED} more in `disagreements.jsonl`.")
    return lines


def _md_guidelines_and_files(card: dict[str, Any]) -> list[str]:
    """The guidelines versions, the files of the card, and what wrote it when."""
    lines = ["", "## Guidelines", ""]
    lines += [f"- v{g['number']} `{g['version']}` ({g['created_at'][:19]}): {_md(g['note'])} — `{g['file']}`"
              for g in card["guideline_versions"]] or ["None."]  # fmt: skip
    lines += ["", "## Files", ""] + [f"- `{f}`" for f in card["files"]]
    lines += ["", f"Written by nblabel {card['nblabel_version']} on {card['written_at'][:19]} UTC.", ""]
    return lines


_STATUS_MEANING = {
    "unanimous": "every annotator gave the same label",
    "adjudicated": "annotators disagreed; an adjudicator decided",
    AGGREGATED: "annotators disagreed; the aggregation method decided (a clear, confident winner)",
    "single": "one annotator labeled it",
    "ambiguous": "an adjudicator found no label fits",
    "unresolved": "annotators disagree and nobody has adjudicated yet",
    "unlabeled": "nobody labeled it",
}


def _md_rule(card: dict[str, Any], counts: dict[str, int]) -> list[str]:
    """How disagreements were decided when an aggregation method was used."""
    rule = card.get("final_labels")
    if not rule:
        return []
    return [
        f"**Aggregation:** {counts.get(AGGREGATED, 0)} disagreements were decided by {_md(rule['method'])} "
        f"(a clear majority the method confirms with confidence ≥ {rule['min_confidence']:g}); ties, "
        "low-confidence items and items where a model and the majority differ went to an adjudicator.",
        "",
    ]


def _used_confidence(min_confidence: float | None) -> float:
    return MIN_CONFIDENCE if min_confidence is None else float(min_confidence)


def _gold_sentence(session: Any) -> str:
    if not session.gold:
        return "No gold items were used."
    parts = [f"{len(session.gold)} gold items (known answers) were used"]
    if session.calibration:
        parts.append(
            f"annotators had to pass a calibration of {session.calibration} of them "
            f"at {session.pass_mark:.0%} first"
        )
    if session.gold_rate:
        parts.append(f"and met them among the items at a rate of {session.gold_rate:.0%}")
    return "; ".join(parts) + "."


def _pct(value: Any) -> str:
    return "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.0%}"


def _secs(value: Any) -> str:
    return (
        "—" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value / 1000:.1f} s"
    )


# ---------------------------------------------------------------------- JSON
def _table(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if not len(frame):
        return []
    return [json_row({frame.index.name or "index": i, **r}) for i, r in frame.to_dict("index").items()]


def _default(value: Any) -> Any:
    plain = json_value(value)
    return plain if plain is not value else str(value)


def _dumps(value: Any) -> str:
    return json.dumps(_nan_to_none(value), ensure_ascii=False, indent=2, default=_default) + "\n"


def _nan_to_none(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _nan_to_none(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_to_none(v) for v in value]
    return value


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(_nan_to_none(row), ensure_ascii=False, default=_default) + "\n")
