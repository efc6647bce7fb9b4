"""The dashboard of a session's task: its plan read from the store, the production events the
agreement counts, and each annotator's live gold accuracy and drift.

The session (:mod:`nblabel.sessions`, never imported here) stores its plan in ``nbl_sessions``;
:mod:`nblabel.core.session_plan` says how its events are read (gold and calibration items and
repeats are not production items; gold accuracy counts first answers) and
:mod:`nblabel.core.drift` what drifting is, so the dashboard counts what ``session.report()``
and ``session.gold_accuracy()`` count.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..core.drift import DRIFT_WINDOW, drifting, rolling_accuracy
from ..core.registry import TaskKind
from ..core.session_plan import first_answers_frame, gold_answers, gold_mask, item_keys, production_mask
from ..store.store import Store

__all__ = ["SessionLens"]

#: The gold columns of a per-annotator row (their values for an annotator with no gold answer).
NO_GOLD = {
    "gold_answered": 0,
    "gold_right": 0,
    "gold_accuracy": None,
    "gold_flagged": False,
    "rolling_gold_accuracy": None,
    "drift": False,
}


class SessionLens:
    """What a session's plan says of a task's events, kept in step with a growing frame.

    :meth:`update` follows each read (``appended``: the rows added at the end; ``None`` after
    a full read); the stored item key of each row and whether it is a production item are
    computed once per row. A task that is not a session (no plan) keeps every event.
    """

    def __init__(self) -> None:
        self.config: dict[str, Any] | None = None
        self.gold: dict[str, Any] = {}
        self._keys = np.empty(0, dtype=object)
        self._production = np.empty(0, dtype=bool)
        self._on_gold = np.empty(0, dtype=bool)
        self._reads = 0  # full reads so far: a cached figure is valid while it and the gold rows stay
        self._quality: tuple[tuple[int, int, float], dict[str, dict[str, Any]]] | None = None

    @property
    def active(self) -> bool:
        """Whether the task is a session's."""
        return self.config is not None

    def update(self, store: Store, task: str, frame: pd.DataFrame, appended: int | None) -> None:
        """Read the plan again and classify the new rows of ``frame``."""
        self.config = store.session_config(task)
        gold = gold_answers(self.config)
        fresh = appended is None or gold != self.gold or len(self._keys) + appended != len(frame)
        self.gold = gold
        if fresh:
            self._reads += 1
            keys = item_keys(frame)
            self._keys = np.asarray(keys, dtype=object)
            self._production = production_mask(keys, gold)
            self._on_gold = gold_mask(keys, gold)
            return
        assert appended is not None
        new_keys = item_keys(frame.iloc[len(frame) - appended :])
        self._keys = np.concatenate([self._keys, np.asarray(new_keys, dtype=object)])
        self._production = np.concatenate([self._production, production_mask(new_keys, gold)])
        self._on_gold = np.concatenate([self._on_gold, gold_mask(new_keys, gold)])

    def production(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The events the agreement counts: all of them, or a session's production events."""
        if not self.active or self._production.all():
            return frame
        return frame[self._production]

    def summary(self) -> dict[str, Any]:
        """The snapshot's ``session`` part: gold items, events left out, the threshold and the
        window of the drift flag."""
        assert self.config is not None
        return {
            "gold_items": len(self.gold),
            "left_out_events": int((~self._production).sum()),
            "gold_threshold": float(self.config.get("gold_threshold", 0.9)),
            "drift_window": DRIFT_WINDOW,
        }

    def gold_quality(self, frame: pd.DataFrame, kind: TaskKind) -> dict[str, dict[str, Any]]:
        """Per annotator with a first answer to a gold item: answered (labels; skips are not
        scored), right, mean score, flagged under the session's ``gold_threshold``, the rolling
        accuracy of the last :data:`~nblabel.core.drift.DRIFT_WINDOW` answers and the drift flag."""
        if not self.gold:
            return {}
        threshold = float((self.config or {}).get("gold_threshold", 0.9))
        on_gold = self._on_gold
        key = (self._reads, int(on_gold.sum()), threshold)  # new production labels change nothing here
        if self._quality is not None and self._quality[0] == key:
            return self._quality[1]
        first = first_answers_frame(frame[on_gold], list(self._keys[on_gold]))
        first = first[first["kind"] == "label"]
        out: dict[str, dict[str, Any]] = {}
        for name, mine in first.groupby("annotator", sort=False):
            scores = [
                float(kind.gold_score(value, self.gold[key]))
                for key, value in zip(mine["key"], mine["value"], strict=True)
            ]
            accuracy = float(np.mean(scores))
            rolling = rolling_accuracy(scores, DRIFT_WINDOW)
            out[str(name)] = {
                "gold_answered": len(scores),
                "gold_right": int(sum(s >= 1.0 for s in scores)),
                "gold_accuracy": accuracy,
                "gold_flagged": accuracy < threshold - 1e-12,
                "rolling_gold_accuracy": None if math.isnan(rolling) else rolling,
                "drift": drifting(rolling, threshold),
            }
        self._quality = (key, out)
        return out


def with_gold(rows: list[dict[str, Any]], quality: Mapping[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-annotator rows with their gold columns, and a row for each annotator who answered
    gold items only (still in calibration: no production item labeled)."""
    out = [{**row, **quality.get(row["annotator"], NO_GOLD)} for row in rows]
    listed = {row["annotator"] for row in rows}
    for name, gold in quality.items():
        if name not in listed:
            out.append(
                {
                    "annotator": name, "items": 0, "skipped": 0, "flagged": 0, "accuracy": None,
                    "agreement": None, "n_reference": 0, "items_per_hour": None,
                    "median_active_ms": None, **gold,
                }
            )  # fmt: skip
    return out
