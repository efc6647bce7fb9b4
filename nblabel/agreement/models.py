"""A leaderboard of the models behind a compare task's responses: Bradley–Terry scores with
bootstrap confidence intervals, wins, losses and ties, and the win rate of every pair of models
(:func:`rank_models`, ``nl.rank_models``)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..core import registry
from ..core.frames import current_from_annotations, recorded_task
from .report import one_task

__all__ = ["ModelRanking", "rank_models"]

#: Elo-like scale: 400 points are a factor of 10 in the odds of winning, the anchor at 1000
#: (the convention of chess ratings and of Chatbot Arena's leaderboard).
ELO_POINTS, ELO_BASE = 400 / math.log(10), 1000.0
SCALES = ("log", "elo")
BOTH_BAD = ("tie", "drop")


class ModelRanking(pd.DataFrame):
    """One row per model, best first: ``score`` (Bradley–Terry, on ``scale``), ``ci_low`` and
    ``ci_high`` (the percentile bootstrap interval over items at ``level``), ``wins``, ``losses``,
    ``ties`` and ``n`` (comparisons the model took part in). Attributes:

    - ``win_rates``: models x models, the share of row's comparisons with column it won (a tie
      half), NaN where the two were never compared;
    - ``comparisons``: models x models, how many times the two were compared;
    - ``scale``, ``anchor``, ``prior``, ``both_bad``, ``level``, ``n_boot``, ``boot_failed``
      (resamples without finite scores, left out of the intervals), ``judgements``, ``items``
      and ``self_comparisons`` (judgements of a model against itself, left out).

    ``plot()`` draws the scores with their intervals.
    """

    _metadata = [
        "win_rates", "comparisons", "scale", "anchor", "prior", "both_bad", "level", "n_boot",
        "boot_failed", "judgements", "items", "self_comparisons",
    ]  # fmt: skip

    @property
    def _constructor(self) -> Callable[..., ModelRanking]:
        return ModelRanking

    def plot(self, *, title: str | None = None) -> Any:
        """The scores as points with their confidence intervals, best at the top (a matplotlib
        Figure that shows itself in a notebook)."""
        from .model_plots import plot_models

        return plot_models(self, title=title)


def rank_models(
    annotations: pd.DataFrame,
    data: pd.DataFrame | None = None,
    models: Sequence[str] | Mapping[str, str] | None = None,
    *,
    task: str | None = None,
    kind: str | None = None,
    config: Mapping[str, Any] | None = None,
    both_bad: str = "tie",
    scale: str = "log",
    anchor: Any = None,
    prior: float | None = None,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int | None = 0,
) -> ModelRanking:
    """Rank the models that wrote a compare task's responses with the Bradley–Terry model.

    ``annotations`` is the long frame of ``store.annotations(task)`` (each annotator's standing
    judgement of each item counts; skips and undone labels do not). ``data`` is the DataFrame
    the task labeled (its index the item ids) and ``models`` names, per response, the column of
    ``data`` that holds which model wrote it: a tuple in the task's order (``a``, ``b`` for a
    pair; ``responses`` for a ranking) or a mapping ``{response column: model column}``.
    Without ``models`` each response column is a model of its own (its name is the model's).

    Each judgement becomes comparisons between models: a pair's choice one comparison (its
    strength aside), a ranking of k responses all k(k-1)/2 pairs (responses in one tie group
    tie). A *tie* counts half a win for each side, which keeps the model plain Bradley–Terry
    (as Chatbot Arena counts them). *Both bad* (``both_bad="tie"``, the default) is a tie: the
    annotator preferred neither; ``both_bad="drop"`` leaves those judgements out, for when
    "both bad" says nothing about which is better. A judgement of a model against itself is
    left out.

    Scores are log-strengths: the difference of two is the log-odds that one beats the other.
    They have mean 0 over the models, or 0 at ``anchor`` (a model's name); ``scale="elo"`` shows
    them as Elo-like points (400 per factor 10 in the odds, 1000 at the mean or the anchor).
    ``prior=None`` gives the maximum-likelihood scores, which exist only when no group of
    models won (or lost) every comparison against the others (else a ``ValueError`` says
    which); ``prior`` (a standard deviation, e.g. 1.0) gives the scores under a Normal(0,
    prior²) prior, finite for any data and shrunk towards 0. Intervals are percentile bootstraps
    over items (``n_boot`` resamples, seeded with ``seed``; all judgements of an item move
    together). Without ``prior``, resamples in which some model has an infinite score are left
    out of the intervals, with a warning.

    ``kind=``/``config=`` give the task's kind and config when ``annotations`` did not come from
    a store (e.g. ``kind="compare", config={"a": "left", "b": "right"}``). Returns a
    :class:`ModelRanking`.
    """
    from . import bradley_terry as bt  # SciPy: imported on first use, so `import nblabel` stays light

    _check_options(both_bad, scale, level, n_boot, prior)
    frame = one_task(annotations, task) if "task" in annotations.columns else annotations
    outcomes, items = _outcomes(frame, annotations, task, kind, config)
    responses = [str(r) for r in outcomes["first"].cat.categories]
    judged = _judged_models(outcomes, items, responses, _model_columns(models, responses, data), data)
    pairs = _Comparisons.of(judged, both_bad)
    place = _anchor_position(anchor, pairs.names)
    k = len(pairs.names)
    per_item = bt.item_wins(pairs.item, pairs.first, pairs.second, pairs.score, pairs.n_items, k)
    wins = np.asarray(per_item.sum(axis=0)).reshape(k, k)
    if prior is None and not bt.finite(wins[None])[0]:
        raise ValueError(f"the Bradley–Terry scores are infinite: {_why_infinite(wins, pairs.names)}. "
                         "Collect more judgements, or pass prior= (e.g. prior=1.0) for scores shrunk "
                         "towards 0")  # fmt: skip
    theta = bt.fit(wins, prior=prior)
    boot = bt.bootstrap(per_item, k, n_boot=n_boot, seed=seed, prior=prior, start=theta) if n_boot else None
    failed = 0 if boot is None else int(np.isnan(boot).any(axis=1).sum())
    if failed:
        warnings.warn(
            f"{failed} of {n_boot} bootstrap resamples were left out: in them some model won or lost "
            "every comparison (or had none), so its score is infinite, and the intervals are narrower "
            "than they should be. Collect more judgements, or pass prior= (e.g. prior=1.0)",
            UserWarning,
            stacklevel=2,
        )
    ranking = _ranking(_table(theta, boot, place, scale, level, pairs), wins, pairs.names)
    ranking.scale, ranking.anchor, ranking.prior, ranking.both_bad = scale, anchor, prior, both_bad
    ranking.level, ranking.n_boot, ranking.boot_failed = level, n_boot, failed
    ranking.judgements, ranking.items, ranking.self_comparisons = (
        pairs.judgements,
        pairs.n_items,
        pairs.self_made,
    )
    return ranking


@dataclass(frozen=True)
class _Comparisons:
    """The comparisons between two different models, as codes: ``first`` against ``second``
    (model codes into ``names``) earned ``score`` (1 a win, 0.5 a tie) in item ``item``."""

    names: list[Any]
    first: np.ndarray
    second: np.ndarray
    score: np.ndarray
    item: np.ndarray
    n_items: int
    judgements: int
    self_made: int

    @classmethod
    def of(cls, judged: pd.DataFrame, both_bad: str) -> _Comparisons:
        if both_bad == "drop":
            judged = judged[judged["outcome"].to_numpy() != "both_bad"]
        self_made = judged["first"].to_numpy() == judged["second"].to_numpy()
        judged = judged[~self_made]
        if judged.empty:
            raise ValueError("no comparison between two different models to rank them on")
        n = len(judged)
        codes, names = pd.factorize(np.concatenate([judged["first"].to_numpy(), judged["second"].to_numpy()]))
        item, items = pd.factorize(judged["item"].to_numpy())
        return cls(
            names=list(names), first=codes[:n], second=codes[n:],
            score=np.where(judged["outcome"].to_numpy() == "win", 1.0, 0.5), item=item, n_items=len(items),
            judgements=int(judged["judgement"].nunique()), self_made=int(self_made.sum()),
        )  # fmt: skip


def _ranking(table: pd.DataFrame, wins: np.ndarray, names: list[Any]) -> ModelRanking:
    """The table best first, with the win-rate and comparison matrices in the same order."""
    labels = pd.Index(names, name="model")
    table.index = labels
    ranking = ModelRanking(table.iloc[np.argsort(-table["score"].to_numpy(), kind="stable")])
    order = list(ranking.index)
    totals = wins + wins.T
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(totals > 0, wins / totals, np.nan)
    np.fill_diagonal(rates, np.nan)
    ranking.win_rates = pd.DataFrame(rates, index=labels, columns=labels).loc[order, order]
    counts = np.rint(totals).astype(np.int64)
    ranking.comparisons = pd.DataFrame(counts, index=labels, columns=labels).loc[order, order]
    return ranking


def _check_options(both_bad: str, scale: str, level: float, n_boot: int, prior: float | None) -> None:
    if prior is not None and not (isinstance(prior, (int, float)) and prior > 0 and math.isfinite(prior)):
        raise ValueError(f"prior must be a positive standard deviation (or None), got {prior!r}")
    if both_bad not in BOTH_BAD:
        raise ValueError(f"both_bad must be one of {BOTH_BAD}, got {both_bad!r}")
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}")
    if not isinstance(n_boot, (int, np.integer)) or isinstance(n_boot, bool) or n_boot < 0:
        raise ValueError(f"n_boot must be a non-negative int, got {n_boot!r}")


def _outcomes(
    frame: pd.DataFrame,
    annotations: pd.DataFrame,
    task: str | None,
    kind: str | None,
    config: Mapping[str, Any] | None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """The task kind's pairwise outcomes of the standing judgements, and each judgement's item."""
    recorded = recorded_task(annotations, task)
    if kind is None and recorded is None:
        raise ValueError(
            "rank_models needs the task's kind and config: a frame from store.annotations(task) carries "
            "them; for another frame pass kind='compare' and config={'a': ..., 'b': ...} (or "
            "{'responses': [...]})"
        )
    name = kind or recorded.kind  # type: ignore[union-attr]
    settings = dict(config if config is not None else recorded.config if recorded is not None else {})
    task_kind = registry.for_task(name, settings)
    missing = {"item_id", "value"} - set(frame.columns)
    if missing:
        raise KeyError(f"the annotations have no column {sorted(missing)}: pass store.annotations(task)")
    if "kind" in frame.columns and "id" in frame.columns:
        current = current_from_annotations(frame)
        frame = current[current["kind"] == "label"]
    items = frame["item_id"].to_numpy()
    outcomes = task_kind.pairwise_outcomes(frame["value"].tolist(), settings, frame["item_id"].tolist())
    if outcomes.empty:
        raise ValueError("no judgements to rank models on: the task has no standing labels")
    return outcomes, items


def _model_columns(
    models: Sequence[str] | Mapping[str, str] | None, responses: list[str], data: pd.DataFrame | None
) -> dict[str, Any] | None:
    """``{response column: model column of data}``, or ``None``: each response column a model."""
    if models is None:
        return None
    if isinstance(models, Mapping):
        unknown = [r for r in models if r not in responses]
        missing = [r for r in responses if r not in models]
        if unknown or missing:
            raise ValueError(
                f"models= maps the response columns {responses} to model columns; "
                + (f"{unknown} are not response columns" if unknown else f"{missing} have no model column")
            )
        columns = {r: models[r] for r in responses}
    else:
        if isinstance(models, (str, bytes)) or len(models) != len(responses):
            raise ValueError(
                f"models= names one model column per response column {responses} (in that order), "
                f"got {models!r}"
            )
        columns = dict(zip(responses, models, strict=True))
    if data is None:
        raise ValueError("models= names columns of data=: pass the DataFrame the task labeled as data=")
    for column in columns.values():
        if column not in data.columns:
            shown = [str(c) for c in data.columns[:20]] + (["…"] if len(data.columns) > 20 else [])
            raise KeyError(f"models= names the column {column!r}, which data has not; its columns: {shown}")
    return columns


def _judged_models(
    outcomes: pd.DataFrame,
    items: np.ndarray,
    responses: list[str],
    columns: dict[str, Any] | None,
    data: pd.DataFrame | None,
) -> pd.DataFrame:
    """The outcomes with the model of each side and the judgement's item."""
    judgement = outcomes["judgement"].to_numpy()
    first_code = outcomes["first"].cat.codes.to_numpy()
    second_code = outcomes["second"].cat.codes.to_numpy()
    if columns is None:
        names = np.asarray(responses, dtype=object)
        first, second = names[first_code], names[second_code]
    else:
        assert data is not None
        if not data.index.is_unique:
            twice = data.index[data.index.duplicated()].unique()[:5].tolist()
            raise ValueError(f"data's index (the item ids) must be unique; repeated: {twice}")
        position = data.index.get_indexer(pd.Index(items))
        if (position < 0).any():
            absent = pd.unique(items[position < 0])[:5].tolist()
            raise KeyError(f"items {absent} of the annotations are not in data's index: pass as data= the "
                           "DataFrame the task labeled")  # fmt: skip
        cells = np.empty((len(responses), len(items)), dtype=object)
        for r, response in enumerate(responses):
            cells[r] = data[columns[response]].to_numpy(dtype=object)[position]
        for r in np.unique(np.r_[first_code, second_code]):
            empty = np.flatnonzero(pd.isna(cells[r]))
            if empty.size:
                item = items[empty[0]]
                item = item.item() if isinstance(item, np.generic) else item
                raise ValueError(f"data[{columns[responses[r]]!r}] names no model for item {item!r}")
        first, second = cells[first_code, judgement], cells[second_code, judgement]
    return pd.DataFrame({
        "judgement": judgement, "item": items[judgement], "first": first, "second": second,
        "outcome": outcomes["outcome"].to_numpy(dtype=object),
    })  # fmt: skip


def _anchor_position(anchor: Any, names: list[Any]) -> int | None:
    if anchor is None:
        return None
    if anchor not in names:
        raise KeyError(f"anchor={anchor!r} is not a model that was compared; models: {names}")
    return names.index(anchor)


def _table(
    theta: np.ndarray,
    boot: np.ndarray | None,
    place: int | None,
    scale: str,
    level: float,
    pairs: _Comparisons,
) -> pd.DataFrame:
    """Scores (anchored, scaled), their intervals and the counts, one row per model code."""

    def shown(values: np.ndarray) -> np.ndarray:
        values = values - (values[..., place : place + 1] if place is not None else 0.0)
        return ELO_BASE + ELO_POINTS * values if scale == "elo" else values

    k = len(pairs.names)
    low = high = np.full(k, np.nan)
    if boot is not None:
        kept = boot[~np.isnan(boot).any(axis=1)]
        if len(kept):
            low, high = np.quantile(shown(kept), [(1 - level) / 2, (1 + level) / 2], axis=0)
    first, second, score = pairs.first, pairs.second, pairs.score
    won = np.bincount(first[score == 1], minlength=k)
    lost = np.bincount(second[score == 1], minlength=k)
    tied = np.bincount(first[score == 0.5], minlength=k) + np.bincount(second[score == 0.5], minlength=k)
    return pd.DataFrame({
        "score": shown(theta), "ci_low": low, "ci_high": high, "wins": won, "losses": lost, "ties": tied,
        "n": won + lost + tied,
    })  # fmt: skip


def _why_infinite(wins: np.ndarray, names: list[Any]) -> str:
    """Which models make the maximum-likelihood scores infinite, said for a person."""
    from scipy.sparse.csgraph import connected_components

    from . import bradley_terry as bt

    totals = wins + wins.T
    n_parts, part = connected_components(totals > 0, directed=False)
    if n_parts > 1:
        groups = " | ".join(str([names[i] for i in np.flatnonzero(part == p)]) for p in range(n_parts))
        return f"the models fall into groups never compared with each other: {groups}"
    group = bt.strong_groups(wins[None])[0]
    won, lost = [], []
    for g in np.unique(group):
        inside = group == g
        models = [names[i] for i in np.flatnonzero(inside)]
        if not wins[np.ix_(~inside, inside)].any():
            won.append(f"{models} won every comparison with the other models")
        elif not wins[np.ix_(inside, ~inside)].any():
            lost.append(f"{models} lost every comparison with the other models")
    return "; ".join(won + lost)
