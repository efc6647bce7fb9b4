"""Agreement and bias of ``Compare`` tasks (preference judgements).

* choice agreement: percent agreement, Cohen's / Fleiss' κ, α and AC1 on the choice
  (``A``, ``B``, ``tie``, ``both_bad``: ties are a category of their own);
* Krippendorff's α (ordinal) on the signed preference ``+2`` (A clearly better) … ``-2`` (B
  clearly better), ``0`` for a tie ("both bad" has no place on that scale and is left out);
* Krippendorff's α (ordinal) per rubric dimension, over the 1–5 scores of both responses;
* position bias: how often the response shown on the **left** won, among A/B choices, with a
  two-sided binomial test against 50%;
* win rates per column (``a`` / ``b``, which often name models).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import pandas as pd

from ..core.frames import current_from_annotations
from . import coefficients as ag
from .report import (
    build_report,
    coefficient_rows,
    disagreements_table,
    one_task,
    per_annotator_table,
    per_label_table,
    prepare,
    reading_of,
    safe_ci,
    safe_value,
)

CHOICES = ["A", "B", "tie", "both_bad"]


def _label_rows(frame: pd.DataFrame) -> pd.DataFrame:

    if "kind" in frame.columns and "id" in frame.columns:
        current = current_from_annotations(frame)
        return current[current["kind"] == "label"]
    return frame


def choice_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The annotations with each judgement's ``value`` replaced by its choice."""

    def choice(value: Any) -> Any:
        return value.get("choice") if isinstance(value, dict) else value

    return frame.assign(value=[choice(v) for v in frame["value"]])


def signed(value: Any) -> float:
    """+strength for A, -strength for B, 0 for a tie, NaN for "both bad"."""
    if not isinstance(value, dict):
        return math.nan
    choice, strength = value.get("choice"), value.get("strength") or 1
    return {"A": float(strength), "B": -float(strength), "tie": 0.0}.get(choice, math.nan)


def extra_rows(frame: pd.DataFrame, *, n_boot: int, level: float, seed: int | None) -> list[list[Any]]:
    """Report rows beyond the choice coefficients: signed α, rubric α, position bias."""

    labels = _label_rows(frame)
    rows: list[list[Any]] = []
    if labels.empty:
        return rows
    wide = labels.assign(score=[signed(v) for v in labels["value"]]).pivot_table(
        index="item_id", columns="annotator", values="score", aggfunc="last"
    )
    shared = int((wide.notna().sum(axis=1) >= 2).sum())
    k = int(wide.shape[1])
    metric = _ordinal_alpha([-2.0, -1.0, 0.0, 1.0, 2.0])
    value, note = (
        safe_value(metric, wide) if k >= 2 else (math.nan, "needs judgements from at least two annotators")
    )
    low, high = (math.nan, math.nan) if math.isnan(value) else safe_ci(metric, wide, n_boot, level, seed)
    rows.append(["signed_alpha", "Krippendorff's α (ordinal), signed preference −2…+2", value, low, high,
                 shared, k, reading_of(value, True, low, high), note])  # fmt: skip

    for dimension, table in rubric_tables(labels).items():
        d_shared = int((table.notna().sum(axis=1) >= 2).sum())
        metric = _ordinal_alpha([1.0, 2.0, 3.0, 4.0, 5.0])
        value, note = safe_value(metric, table) if table.shape[1] >= 2 else (math.nan, "needs two annotators")
        low, high = (
            (math.nan, math.nan) if math.isnan(value) else safe_ci(metric, table, n_boot, level, seed)
        )
        name = f"Krippendorff's α (ordinal), rubric: {dimension}"
        rows.append([f"rubric_alpha_{dimension}", name, value, low, high, d_shared, int(table.shape[1]),
                     reading_of(value, True, low, high), note])  # fmt: skip

    bias = position_bias(labels)
    rows.append(["position_bias", "position bias: share of A/B choices won by the left side",
                 bias["left_share"], bias["ci_low"], bias["ci_high"], int(bias["decided"]),
                 int(labels["annotator"].nunique()), "n/a (not agreement)",
                 f"binomial test against 50%: p = {bias['p_value']:.3g}" if bias["decided"] else
                 "no A/B choice yet"])  # fmt: skip
    return rows


def _ordinal_alpha(domain: list[float]) -> Any:

    def metric(ratings: Any) -> float:
        return ag.krippendorff_alpha(ratings, level="ordinal", value_domain=domain)

    return metric


def rubric_tables(labels: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per rubric dimension: (item, response) x annotator tables of 1–5 scores."""
    records: dict[str, list[tuple[Any, str, Any, int]]] = {}
    for item, annotator, value in zip(labels["item_id"], labels["annotator"], labels["value"], strict=True):
        if not isinstance(value, dict):
            continue
        for dimension, scores in (value.get("rubric") or {}).items():
            for side, score in scores.items():
                records.setdefault(dimension, []).append((item, side, annotator, score))
    out = {}
    for dimension, recs in records.items():
        table = pd.DataFrame(recs, columns=["item_id", "side", "annotator", "score"])
        out[dimension] = table.pivot_table(
            index=["item_id", "side"], columns="annotator", values="score", aggfunc="last"
        ).astype(float)
    return out


def position_bias(labels: pd.DataFrame, annotator: Any = None) -> dict[str, float]:
    """Share of A/B choices won by the left side, its 95% interval (Clopper-Pearson) and the
    two-sided binomial test against 50%."""
    from scipy.stats import binomtest

    rows = labels if annotator is None else labels[labels["annotator"] == annotator]
    left = decided = 0
    for value in rows["value"]:
        if isinstance(value, dict) and value.get("choice") in ("A", "B"):
            decided += 1
            left += (value["choice"] == "A") != bool(value.get("swapped"))
    if not decided:
        return {"decided": 0, "left_wins": 0, "left_share": math.nan, "ci_low": math.nan, "ci_high": math.nan,
                "p_value": math.nan}  # fmt: skip
    test = binomtest(left, decided, 0.5)
    interval = test.proportion_ci(0.95, method="exact")
    return {
        "decided": decided,
        "left_wins": left,
        "left_share": left / decided,
        "ci_low": float(interval.low),
        "ci_high": float(interval.high),
        "p_value": float(test.pvalue),
    }


def win_rates(labels: pd.DataFrame, names: tuple[str, str] = ("A", "B")) -> pd.DataFrame:
    """Wins, losses, ties and "both bad" per column (named ``names``), over every judgement;
    ``win_rate`` = wins / (wins + losses)."""
    counts = {"A": 0, "B": 0, "tie": 0, "both_bad": 0}
    for value in labels["value"]:
        if isinstance(value, dict) and value.get("choice") in counts:
            counts[value["choice"]] += 1
    rows = []
    for side, other in (("A", "B"), ("B", "A")):
        wins, losses = counts[side], counts[other]
        rows.append({
            "model": names[0] if side == "A" else names[1], "column": side, "wins": wins, "losses": losses,
            "ties": counts["tie"], "both_bad": counts["both_bad"],
            "win_rate": wins / (wins + losses) if wins + losses else math.nan,
        })  # fmt: skip
    return pd.DataFrame(rows).set_index("model")


def compare_report(
    annotations: pd.DataFrame,
    gold: Any = None,
    *,
    task: str | None = None,
    names: tuple[str, str] = ("A", "B"),
    n_boot: int,
    level: float,
    seed: int | None,
) -> Any:
    """The :class:`~nblabel.report.AgreementReport` of a compare task: the choice coefficients
    and tables of a classification, the rows above, and ``position_bias`` (overall and per
    annotator) and ``win_rates`` tables."""

    frame = one_task(annotations, task) if "item_id" in annotations.columns else annotations
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data = prepare(choice_frame(frame), gold, labels=CHOICES, multi=False)
    rows = coefficient_rows(data, n_boot=n_boot, level=level, seed=seed)
    rows += extra_rows(frame, n_boot=n_boot, level=level, seed=seed)
    labels = _label_rows(frame)
    people = per_annotator_table(data)
    people["left_wins_share"] = [position_bias(labels, a)["left_share"] for a in people.index]
    bias = pd.DataFrame(
        [{"annotator": "(all)", **position_bias(labels)}]
        + [{"annotator": a, **position_bias(labels, a)} for a in sorted(labels["annotator"].unique())]
    ).set_index("annotator")
    return build_report(
        rows,
        per_label=per_label_table(data),
        per_annotator=people,
        disagreements=disagreements_table(data),
        task_kind="compare",
        reference="gold" if data.gold is not None else "majority of others",
        level=level,
        position_bias=bias,
        win_rates=win_rates(labels, names),
    )


# ---------------------------------------------------------------------- rankings
def ranking_text(value: Any) -> Any:
    """A ranking as one comparable string: ``"r2 > r1 = r3"``."""
    if not isinstance(value, list):
        return value
    return " > ".join(" = ".join(str(x) for x in sorted(group)) for group in value)


def rank_positions(value: list) -> dict[str, float]:
    """Rank of each response (1 = best; tied responses share the best rank of their group)."""
    out, rank = {}, 1
    for group in value:
        for name in group:
            out[name] = float(rank)
        rank += len(group)
    return out


def ranking_report(frame: pd.DataFrame, gold: Any, *, n_boot: int, level: float, seed: int | None) -> Any:
    """Report of a ranking task: exact and first-place agreement, Krippendorff's α (ordinal)
    on the ranks given to each response, and per response mean rank and first places."""

    labels = _label_rows(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data = prepare(frame.assign(value=[ranking_text(v) for v in frame["value"]]), gold)
        firsts = [" = ".join(sorted(v[0])) if isinstance(v, list) and v else v for v in frame["value"]]
        top = prepare(frame.assign(value=firsts), gold)
    rows = []
    rows_of_top = coefficient_rows(data, n_boot=n_boot, level=level, seed=seed)
    exact = next(r for r in rows_of_top if r[0] == "percent_agreement")
    rows.append(["exact_ranking_agreement", "percent agreement (the whole ranking)", *exact[2:]])
    first = next(
        r for r in coefficient_rows(top, n_boot=n_boot, level=level, seed=seed) if r[0] == "percent_agreement"
    )
    rows.append(["first_place_agreement", "percent agreement (first place)", *first[2:]])
    records = [
        (item, name, annotator, rank)
        for item, annotator, value in zip(
            labels["item_id"], labels["annotator"], labels["value"], strict=True
        )
        if isinstance(value, list)
        for name, rank in rank_positions(value).items()
    ]
    table = pd.DataFrame(records, columns=["item_id", "response", "annotator", "rank"])
    wide = table.pivot_table(
        index=["item_id", "response"], columns="annotator", values="rank", aggfunc="last"
    )
    domain = sorted(set(table["rank"]))
    metric = _ordinal_alpha(domain)
    k = int(wide.shape[1])
    too_few = (math.nan, "needs rankings from at least two annotators")
    value, note = safe_value(metric, wide) if k >= 2 else too_few
    low, high = (math.nan, math.nan) if math.isnan(value) else safe_ci(metric, wide, n_boot, level, seed)
    shared = int((wide.notna().sum(axis=1) >= 2).sum())
    rows.append(["rank_alpha", "Krippendorff's α (ordinal) on the ranks", value, low, high, shared, k,
                 reading_of(value, True, low, high), note])  # fmt: skip
    per_response = table.groupby("response").agg(mean_rank=("rank", "mean"), rankings=("rank", "size"))
    per_response["first_places"] = table[table["rank"] == 1].groupby("response").size()
    per_response["first_places"] = per_response["first_places"].fillna(0).astype("int64")
    per_response["first_place_share"] = per_response["first_places"] / per_response["rankings"]
    per_response = per_response.sort_values("mean_rank")
    return build_report(
        rows,
        per_label=per_response,
        per_annotator=per_annotator_table(data),
        disagreements=disagreements_table(data),
        task_kind="compare",
        reference="gold" if data.gold is not None else "majority of others",
        level=level,
        position_bias=pd.DataFrame(),
        win_rates=per_response,
    )


__all__ = ["CHOICES", "compare_report", "position_bias", "ranking_report", "signed", "win_rates"]
