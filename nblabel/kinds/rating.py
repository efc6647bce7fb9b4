"""The rating task kind: a number on a scale per item, or one per criterion.

A task's config holds ``scale`` (the number of points ``n``, or the names of the points in
order) and ``criteria`` (a list of names, or ``None``); its labels are the points ``1..n``. A
value is the point (``4``), or with criteria a dict ``{criterion: point}`` of every criterion;
names are what the widget shows, numbers what the store keeps (a name given from Python is
taken as its point).

Agreement: every categorical coefficient over the points plus ordinal and interval
Krippendorff's α, weighted κ and the ICCs (:mod:`nblabel.agreement.scales`), per criterion.
Gold: the same point is right; with criteria, the share of criteria rated as the gold answer
(partial credit). ``nl.aggregate`` chooses among the points; with criteria, one criterion at a
time (``criterion=``).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ..agreement.report import AgreementReport
from ..agreement.scales import rating_live_view, rating_report
from ..agreement.views import CategoricalView
from ..core.registry import AggregationScheme, ItemContext
from .base import KindBase

__all__ = ["MAX_POINTS", "RATING", "RatingKind", "Scale", "check_criteria", "check_scale"]

#: Most points a scale has: the keys 1–9 and 0 rate.
MAX_POINTS = 10
#: Longest name of a point or a criterion (characters).
MAX_NAME = 200


# ---------------------------------------------------------------------- the scale
class Scale:
    """The points ``1..n`` of a rating scale and their names (``None``: numbers only)."""

    def __init__(self, n: int, names: Sequence[str] | None = None) -> None:
        self.n = n
        self.names = list(names) if names is not None else None
        self.points = list(range(1, n + 1))
        self._by_name = {name: i + 1 for i, name in enumerate(self.names or [])}

    @classmethod
    def of(cls, config: Mapping[str, Any], labels: Sequence[Any] | None = None) -> Scale:
        """The scale a task's config records (``scale``), else its label list ``1..n``."""
        scale = config.get("scale")
        if isinstance(scale, (list, tuple)):
            return cls(len(scale), [str(s) for s in scale])
        if isinstance(scale, int) and not isinstance(scale, bool):
            return cls(scale)
        return cls(len(labels or ()))

    def text(self) -> str:
        """The scale as errors name it: ``1–5`` or ``1–5 (poor, fair, ...)``."""
        span = f"{self.points[0]}–{self.points[-1]}" if self.points else "(no points)"
        return f"{span} ({', '.join(map(repr, self.names))})" if self.names else span

    def point(self, value: Any, where: str) -> int:
        """``value`` (a point, a whole float such as ``4.0``, or a point's name) as its point;
        ``ValueError`` naming ``where`` otherwise."""
        if isinstance(value, str) and value in self._by_name:
            return self._by_name[value]
        whole = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
        if isinstance(value, (float, np.floating)) and math.isfinite(value):
            whole = value == int(value)
        number = int(value) if whole else None
        if number is None or not 1 <= number <= self.n:
            raise ValueError(f"{where}: {value!r} is not a point of the scale {self.text()}")
        return number

    def describe(self, point: Any) -> str:
        """``"4"``, or ``"4 (very good)"`` on a named scale."""
        if self.names and isinstance(point, int) and 1 <= point <= self.n:
            return f"{point} ({self.names[point - 1]})"
        return str(point)


def check_scale(scale: Any) -> int | list[str]:
    """``scale=`` of ``nl.Rate``: a number of points (2–10) or the names of 2–10 points, in
    order; returned as the config records it."""
    if isinstance(scale, (int, np.integer)) and not isinstance(scale, (bool, np.bool_)):
        if not 2 <= int(scale) <= MAX_POINTS:
            raise ValueError(f"scale={scale!r}: a scale has 2 to {MAX_POINTS} points (the keys 1–9 and 0)")
        return int(scale)
    if isinstance(scale, (list, tuple)):
        names = _names(scale, "scale")
        if not 2 <= len(names) <= MAX_POINTS:
            raise ValueError(
                f"scale has {len(names)} points; a scale has 2 to {MAX_POINTS} (the keys 1–9 and 0)"
            )
        return names
    raise TypeError(
        f"scale must be a number of points (5) or their names ['poor', ..., 'excellent'], got {scale!r}"
    )


def check_criteria(criteria: Any) -> list[str] | None:
    """``criteria=`` of ``nl.Rate``: ``None`` or a list of 1–10 distinct names."""
    if criteria is None:
        return None
    if not isinstance(criteria, (list, tuple)):
        raise TypeError(f"criteria must be a list of names (['fluency', 'accuracy']), got {criteria!r}")
    names = _names(criteria, "criteria")
    if not 1 <= len(names) <= MAX_POINTS:
        raise ValueError(f"criteria has {len(names)} names; give 1 to {MAX_POINTS}")
    return names


def _names(values: Sequence[Any], option: str) -> list[str]:
    names = []
    for i, name in enumerate(values):
        if not isinstance(name, str) or not name.strip():
            raise TypeError(f"{option}[{i}] must be a non-empty string, got {name!r}")
        if len(name) > MAX_NAME:
            raise ValueError(f"{option}[{i}] is longer than {MAX_NAME} characters")
        if "\x00" in name:
            raise ValueError(f"{option}[{i}] holds a NUL character")
        names.append(name)
    seen: set[str] = set()
    duplicates = [n for n in names if n in seen or seen.add(n)]
    if duplicates:
        raise ValueError(f"{option} has duplicate names: {duplicates}")
    return names


def _criteria(config: Mapping[str, Any]) -> list[str]:
    return list(config.get("criteria") or [])


# ---------------------------------------------------------------------- the kind
class RatingKind(KindBase):
    """A point on a scale per item, or one per criterion. ``for_config`` gives an instance that
    knows the names of the scale's points (to describe values)."""

    name: ClassVar[str] = "rating"
    description: ClassVar[str] = "a point on a rating scale per item (or one per criterion)"

    def __init__(self, scale: Scale | None = None, criteria: Sequence[str] = ()) -> None:
        self.scale = scale
        self.criteria = list(criteria)

    def for_config(self, config: Mapping[str, Any]) -> RatingKind:
        scale = config.get("scale")
        key = tuple(scale) if isinstance(scale, (list, tuple)) else scale
        return _configured(key, tuple(_criteria(config)))

    # ---------------------------------------------------------------- values
    def check_value(self, value: Any, item: ItemContext) -> Any:
        """A point of the task's scale (or a point's name); with criteria, a dict with a point
        for every criterion, stored in the criteria's order."""
        scale = Scale.of(item.config, item.labels)
        criteria = _criteria(item.config)
        if not criteria:
            if isinstance(value, Mapping):
                raise ValueError(
                    f"{item.where}: a rating is one point of the scale {scale.text()}, got {value!r}"
                )
            return scale.point(value, item.where)
        if not isinstance(value, Mapping):
            raise ValueError(
                f"{item.where}: a rating of criteria {criteria} is a dict {{criterion: point}}, got {value!r}"
            )
        unknown = [k for k in value if k not in criteria]
        if unknown:
            raise ValueError(f"{item.where}: {unknown[0]!r} is not one of the criteria {criteria}")
        missing = [c for c in criteria if c not in value]
        if missing:
            raise ValueError(
                f"{item.where}: no rating of {', '.join(map(repr, missing))} (every criterion is rated)"
            )
        return {c: scale.point(value[c], f"{item.where}, criterion {c!r}") for c in criteria}

    def describe(self, value: Any, shown: Mapping[str, Any] | None = None) -> str:
        scale = self.scale or Scale(MAX_POINTS)
        if isinstance(value, Mapping):
            return ", ".join(f"{c} {scale.describe(v)}" for c, v in value.items())
        return scale.describe(value)

    def label_counts(self, value: Any) -> dict[Any, int]:
        """How often each point occurs in one rating (with criteria, over the criteria)."""
        counts: dict[Any, int] = {}
        for point in value.values() if isinstance(value, Mapping) else [value]:
            counts[point] = counts.get(point, 0) + 1
        return counts

    def gold_score(self, value: Any, gold: Any) -> float:
        """1.0 for the gold point; with criteria, the share of the gold answer's criteria rated
        the same (partial credit: one criterion of two right scores 0.5)."""
        if isinstance(gold, Mapping):
            if not isinstance(value, Mapping) or not gold:
                return 0.0
            return sum(value.get(c) == g for c, g in gold.items()) / len(gold)
        if isinstance(value, Mapping):
            return 0.0
        return 1.0 if value == gold else 0.0

    # ---------------------------------------------------------------- agreement
    def report(
        self,
        annotations: pd.DataFrame,
        gold: Any,
        *,
        task: str | None,
        labels: list[Any] | None,
        config: Mapping[str, Any],
        n_boot: int,
        level: float,
        seed: int | None,
        models: tuple[str, str] | None = None,
    ) -> AgreementReport:
        return rating_report(
            annotations, gold, task=task, points=_points(labels, config), criteria=_criteria(config),
            n_boot=n_boot, level=level, seed=seed,
        )  # fmt: skip

    def live_view(
        self, frame: pd.DataFrame, gold: Any, *, labels: list[Any] | None, config: Mapping[str, Any]
    ) -> CategoricalView:
        return rating_live_view(frame, gold, points=_points(labels, config), criteria=_criteria(config))

    def aggregation_scheme(self, labels: list[Any] | None, config: Mapping[str, Any]) -> AggregationScheme:
        """The scale's points, one per item; a task with criteria is aggregated one criterion at
        a time (``config["criterion"]``, which ``nl.aggregate(..., criterion=)`` sets)."""
        scale = Scale.of(config, labels)
        criteria = _criteria(config)
        criterion = config.get("criterion")
        if not criteria:
            return AggregationScheme(
                categories=_points(labels, config), category=functools.partial(_point, scale)
            )
        if criterion is None:
            raise ValueError(
                f"this rating task has criteria {criteria}: aggregate one at a time with "
                f"criterion={criteria[0]!r} (nl.aggregate(..., criterion=...))"
            )
        if criterion not in criteria:
            raise ValueError(f"criterion={criterion!r} is not one of the task's criteria {criteria}")
        return AggregationScheme(
            categories=_points(labels, config), category=functools.partial(_criterion_point, scale, criterion)
        )


def _points(labels: Sequence[Any] | None, config: Mapping[str, Any]) -> list[Any]:
    """The task's points: its labels, else ``1..n`` of its recorded scale."""
    return list(labels) if labels else Scale.of(config).points


def _point(scale: Scale, value: Any) -> int:
    """A stored rating (or a gold answer) as its point."""
    if isinstance(value, Mapping):
        raise ValueError(f"{value!r} is a rating per criterion: pass criterion=")
    return scale.point(value, "a rating") if scale.n else value


def _criterion_point(scale: Scale, criterion: str, value: Any) -> int:
    """A stored rating per criterion (or its gold answer) as its point for ``criterion``."""
    if not isinstance(value, Mapping) or criterion not in value:
        raise ValueError(f"{value!r} has no rating of criterion {criterion!r}")
    return _point(scale, value[criterion])


@functools.lru_cache(maxsize=256)
def _configured(scale: Any, criteria: tuple[str, ...]) -> RatingKind:
    config = {"scale": list(scale) if isinstance(scale, tuple) else scale}
    return RatingKind(Scale.of(config) if scale is not None else None, criteria)


RATING = RatingKind()
