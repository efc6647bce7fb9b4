"""LLM judges checked against people: :func:`judge_report`.

A judge's verdicts are the label events of a model annotator (``model:<name>``, written by
``nl.record_model`` or a widget's ``suggest=``). The report compares them with the people who
labeled the same task, on the categories the task's kind aggregates (classify labels,
multi-label sets, compare choices, rating points: ``TaskKind.aggregation_scheme``):

- Cohen's κ between the judge and each person, and between the judge and the reference — the
  gold answers when given, else the people's final label (unanimous, majority vote, or the one
  person's label where one labeled the item; ties undecided): percentile bootstrap intervals
  over items (:func:`~nblabel.agreement.coefficients.bootstrap_ci`);
- the judge × reference confusion matrix;
- when the judge also saw each pair in the other order (Compare: ``other_order`` in its events'
  ``suggestion`` record, mapped back to the canonical A/B), its position bias: how often its
  verdict flips with the order (Wilson interval) and the share of its A/B verdicts won by the
  left side, beside the people's (from the ``swapped`` their judgements stored;
  :func:`~nblabel.agreement.compare.position_bias`).
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core import registry
from ..core.frames import current_from_annotations, is_missing, recorded_task
from ..core.models import MODEL_PREFIX, is_model, model_annotator, people_only
from . import coefficients as ag
from .compare import position_bias
from .consensus import consensus
from .suggestions import wilson_interval

__all__ = ["JudgeReport", "judge_report"]

#: The columns of :attr:`JudgeReport.summary`.
SUMMARY_COLUMNS = ["items", "agreement", "kappa", "kappa_low", "kappa_high", "reading", "kappa_people"]
#: The columns of :attr:`JudgeReport.position_bias`.
BIAS_COLUMNS = [
    "decided", "left_share", "left_low", "left_high", "p_value", "pairs", "flips", "flip_rate", "flip_low",
    "flip_high",
]  # fmt: skip


class JudgeReport:
    """How a judge (``model:<name>``) agrees with people. ``summary``: one row per person and
    one for the reference (``gold`` or ``majority``) — ``items`` both labeled, ``agreement``
    (share of the same category), Cohen's ``kappa`` with ``kappa_low``/``kappa_high`` and its
    Landis & Koch ``reading``, and ``kappa_people``: that person's mean κ with the other people
    (on the reference's row, the mean over every pair of people), to read the judge's κ
    against; ``confusion``: judge (rows) × reference (columns) counts; ``position_bias``: the
    judge's and the people's (``None`` unless the judge saw both orders); ``plot()`` draws κ
    with intervals and the confusion heatmap."""

    def __init__(
        self,
        judge: str,
        reference: str,
        summary: pd.DataFrame,
        confusion: pd.DataFrame,
        position_bias: pd.DataFrame | None,
        *,
        level: float,
        n_boot: int,
    ) -> None:
        self.judge = judge
        self.reference = reference
        self.summary = summary
        self.confusion = confusion
        self.position_bias = position_bias
        self.level = level
        self.n_boot = n_boot

    def plot(self, *, title: str | None = None) -> Any:
        """κ of the judge with each person and the reference (with intervals), and the
        judge × reference confusion heatmap (a matplotlib Figure that shows itself)."""
        from .judge_plots import plot_judge

        return plot_judge(self, title=title)

    def __str__(self) -> str:
        lines = [
            f"Judge {self.judge} against people (reference: {self.reference}; "
            f"Cohen's κ, {self.level:.0%} bootstrap intervals over items, {self.n_boot} resamples)",
            _text_table(self.summary),
            "",
            f"Confusion: {self.judge} (rows) × {self.reference} (columns)",
            self.confusion.to_string(),
        ]
        if self.position_bias is not None:
            lines += [
                "",
                "Position bias: left_share = share of A/B verdicts won by the side shown on the left; "
                "flips = verdicts that change when the pair is shown in the other order",
                _text_table(self.position_bias),
            ]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        parts = [
            f"<p><b>Judge {_html(self.judge)}</b> against people (reference: {_html(self.reference)}; "
            f"Cohen's κ, {self.level:.0%} bootstrap intervals over items)</p>",
            self.summary.to_html(float_format=lambda v: f"{v:.3f}"),
            f"<p>Confusion: {_html(self.judge)} (rows) × {_html(self.reference)} (columns)</p>",
            self.confusion.to_html(),
        ]
        if self.position_bias is not None:
            parts += ["<p>Position bias</p>", self.position_bias.to_html(float_format=lambda v: f"{v:.3f}")]
        return "\n".join(parts)


def judge_report(
    annotations: pd.DataFrame,
    judge: str,
    gold: Any = None,
    *,
    task: str | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int | None = 0,
) -> JudgeReport:
    """The judge ``judge`` (``"model:<name>"``, or the model's name) of a task checked against
    the people who labeled it, from the long frame of ``store.annotations(task)``. ``gold`` (a
    Series or mapping of item id → answer in stored form) is the reference when given; else the
    people's final label. See :class:`JudgeReport` for what it holds."""
    if not isinstance(annotations, pd.DataFrame):
        raise TypeError(
            f"annotations must be the DataFrame of store.annotations(task), got {type(annotations)}"
        )
    if not isinstance(n_boot, int) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative int, got {n_boot!r}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be between 0 and 1 (e.g. 0.95), got {level!r}")
    frame = _one_task(annotations, task)
    recorded = recorded_task(frame, task)
    config = dict(recorded.config) if recorded is not None else {}
    labels = list(recorded.labels) if recorded is not None and recorded.labels else None
    kind = registry.for_task(recorded.kind if recorded is not None else "classify", config)
    try:
        scheme = kind.aggregation_scheme(labels, config)
    except ValueError as exc:
        raise ValueError(f"judge_report compares categories: {exc}") from None
    name = model_annotator(judge) if isinstance(judge, str) else judge
    current = current_from_annotations(frame)
    current = current[current["kind"] == "label"]
    mine = current[current["annotator"] == name]
    if mine.empty:
        models = sorted({a for a in current["annotator"] if is_model(a)})
        raise KeyError(f"no labels of judge {name!r} in the annotations; model annotators: {models}")

    def category(value: Any) -> Any:
        if is_missing(value):
            return None
        found = scheme.category(value) if scheme.category is not None else value
        return " + ".join(str(v) for v in found) if scheme.multi else found

    verdicts = pd.Series([category(v) for v in mine["value"]], index=_ids(mine["item_id"]), dtype=object)
    people = current[~current["annotator"].astype(str).str.startswith(MODEL_PREFIX)]
    columns = {
        person: pd.Series([category(v) for v in part["value"]], index=_ids(part["item_id"]), dtype=object)
        for person, part in people.groupby("annotator", sort=True)
    }
    if gold is not None:
        reference_name = "gold"
        reference = pd.Series(
            {k: category(v) for k, v in _mapping(gold).items() if not is_missing(v)}, dtype=object
        )
    else:
        reference_name = "majority"
        final = (
            consensus(people_only(frame)) if len(people) else pd.DataFrame(columns=["final_label", "rule"])
        )
        decided = final[final["rule"].notna()]
        reference = pd.Series(
            [category(v) for v in decided["final_label"]], index=_ids(decided.index), dtype=object
        )
    order = _categories(scheme, verdicts, reference, *columns.values())
    rows = {
        str(person): _kappa_row(verdicts, column, order, n_boot, level, seed)
        for person, column in columns.items()
    }
    rows[reference_name if reference_name not in rows else f"{reference_name} (reference)"] = _kappa_row(
        verdicts, reference, order, n_boot, level, seed
    )
    between = _people_kappa(columns, order)
    for key, row in rows.items():
        row.append(between.get(key, between["all"]))
    summary = pd.DataFrame.from_dict(rows, orient="index", columns=SUMMARY_COLUMNS)
    summary.index.name = "against"
    summary["items"] = summary["items"].astype("int64")
    confusion = _confusion(verdicts, reference, order, name, reference_name)
    bias = _position_bias(mine, people, name, category)
    return JudgeReport(name, reference_name, summary, confusion, bias, level=level, n_boot=n_boot)


# ---------------------------------------------------------------------- pieces
def _one_task(annotations: pd.DataFrame, task: str | None) -> pd.DataFrame:
    missing = {"item_id", "annotator", "kind", "value"} - set(annotations.columns)
    if missing:
        raise KeyError(f"annotations have no column(s) {sorted(missing)}: pass store.annotations(task)")
    frame = annotations
    if "id" not in frame.columns:  # a frame built by hand: its rows in log order
        frame = frame.assign(id=np.arange(len(frame)))
        frame.attrs = annotations.attrs
    if "task" in frame.columns:
        tasks = list(pd.unique(frame["task"]))
        if task is not None:
            attrs = frame.attrs
            frame = frame[frame["task"] == task]
            frame.attrs = attrs
        elif len(tasks) > 1:
            raise ValueError(f"annotations hold {len(tasks)} tasks {tasks[:5]}: name one with task=")
    return frame


def _ids(values: Any) -> pd.Index:
    return pd.Index(list(values), dtype=object)


def _mapping(gold: Any) -> Mapping[Any, Any]:
    if isinstance(gold, pd.Series):
        return gold.to_dict()
    if isinstance(gold, Mapping):
        return gold
    raise TypeError(f"gold must be a Series or a mapping of item id -> answer, got {type(gold).__name__}")


def _categories(scheme: Any, *series: pd.Series) -> list[Any]:
    """The categories in the scheme's order, then any others that occur (label sets, values
    outside a label list) in order of appearance."""
    seen = list(scheme.categories or []) if not scheme.multi else []
    known = set(seen)
    for s in series:
        for value in s:
            if value is not None and value not in known:
                known.add(value)
                seen.append(value)
    return seen


def _kappa_row(
    judge: pd.Series, other: pd.Series, order: list[Any], n_boot: int, level: float, seed: int | None
) -> list[Any]:
    both = pd.concat([judge.rename("judge"), other.rename("other")], axis=1, join="inner").dropna()
    n = len(both)
    if n == 0:
        return [0, math.nan, math.nan, math.nan, math.nan, "no shared items"]
    agreement = float((both["judge"] == both["other"]).mean())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        kappa = ag.cohen_kappa(both["judge"], both["other"], labels=order)
        low, high = (math.nan, math.nan)
        if n_boot and not math.isnan(kappa) and n > 1:
            low, high = ag.bootstrap_ci(
                "cohen_kappa", both, n_boot=n_boot, level=level, seed=seed, labels=order
            )
    return [n, agreement, kappa, low, high, ag.landis_koch(kappa)]


def _people_kappa(columns: dict[Any, pd.Series], order: list[Any]) -> dict[Any, float]:
    """Each person's mean Cohen's κ with the other people (on the items both labeled), and under
    ``"all"`` the mean over every pair of people: how far people agree among themselves, to
    read the judge's κ against."""
    names = list(columns)
    pair: dict[tuple[Any, Any], float] = {}
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            both = pd.concat([columns[a].rename("a"), columns[b].rename("b")], axis=1, join="inner").dropna()
            if len(both):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", UserWarning)
                    pair[a, b] = ag.cohen_kappa(both["a"], both["b"], labels=order)
    finite = {k: v for k, v in pair.items() if not math.isnan(v)}
    out: dict[Any, float] = {str(n): _mean([v for (a, b), v in finite.items() if n in (a, b)]) for n in names}
    out["all"] = _mean(list(finite.values()))
    return out


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else math.nan


def _confusion(judge: pd.Series, reference: pd.Series, order: list[Any], name: str, ref: str) -> pd.DataFrame:
    both = pd.concat([judge.rename("judge"), reference.rename("ref")], axis=1, join="inner").dropna()
    codes = {c: i for i, c in enumerate(order)}
    counts = np.zeros((len(order), len(order)), dtype=np.int64)
    np.add.at(counts, ([codes[v] for v in both["judge"]], [codes[v] for v in both["ref"]]), 1)
    return pd.DataFrame(
        counts,
        index=pd.Index(order, name=name, dtype=object),
        columns=pd.Index(order, name=ref, dtype=object),
    )


def _position_bias(mine: pd.DataFrame, people: pd.DataFrame, name: str, category: Any) -> pd.DataFrame | None:
    """The judge's flips and left share (from verdicts in both orders) beside each person's
    and the people's left share; ``None`` when no verdict of the judge has ``other_order``."""
    first, both_orders = [], []
    pairs = flips = 0
    for value, record in zip(mine["value"], mine.get("suggestion", [None] * len(mine)), strict=True):
        if (
            not isinstance(record, Mapping)
            or "other_order" not in record
            or is_missing(record["other_order"])
        ):
            continue
        other = record["other_order"]
        swapped = bool(value.get("swapped")) if isinstance(value, Mapping) else False
        a, b = category(value), category(other)
        pairs += 1
        flips += a != b
        first.append({"choice": a, "swapped": swapped})
        both_orders += [{"choice": a, "swapped": swapped}, {"choice": b, "swapped": not swapped}]
    if not pairs:
        return None
    rows = {name: _bias_row(pd.DataFrame({"value": both_orders}), pairs, flips)}
    for person, part in people.groupby("annotator", sort=True):
        rows[str(person)] = _bias_row(part, 0, 0)
    rows["people" if "people" not in rows else "people (all)"] = _bias_row(people, 0, 0)
    table = pd.DataFrame.from_dict(rows, orient="index", columns=BIAS_COLUMNS)
    table.index.name = "annotator"
    for column in ("decided", "pairs", "flips"):
        table[column] = table[column].astype("int64")
    return table


def _bias_row(labels: pd.DataFrame, pairs: int, flips: int) -> list[Any]:
    bias = position_bias(labels)
    flip = wilson_interval(flips, pairs)
    return [
        int(bias["decided"]), bias["left_share"], bias["ci_low"], bias["ci_high"], bias["p_value"],
        pairs, flips, *flip,
    ]  # fmt: skip


def _text_table(frame: pd.DataFrame) -> str:
    def cell(v: Any) -> str:
        if isinstance(v, float):
            return "-" if math.isnan(v) else f"{v:.3f}"
        return str(v)

    return frame.map(cell).to_string()


def _html(text: Any) -> str:
    return html.escape(str(text))
