"""The numbers a live dashboard shows, kept up to date from a store that other processes write.

:class:`LiveAgreement` holds the task's annotations read so far and reads only what is new on
each update (a full read when the log changed in a way an incremental read cannot see). The
task's kind (:mod:`nblabel.kinds`, looked up in the registry by the kind the store recorded)
prepares them into a live view (:mod:`nblabel.agreement.views`); :meth:`~LiveAgreement.snapshot`
is its JSON-ready summary with the confusion counts of one pair of sides, and
:meth:`~LiveAgreement.cell_items` lists the items behind one confusion cell. It knows nothing of
widgets: :mod:`nblabel.widgets.dashboard` draws it.

On a session's task (:mod:`.live_session`) the agreement counts production items only, as
``session.report()`` does, and each annotator's live gold accuracy and drift flag are added; a
model's labels (``nl.aggregate``) are shown beside the majority vote where the kind has them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..agreement.aggregate_view import aggregation_summary
from ..agreement.suggestions import has_suggestions, suggestion_caption, suggestion_report, suggestion_table
from ..core import registry
from ..core.frames import RecordedTask, current_from_annotations, record_tasks, recorded_task
from ..store.store import Store
from .live_session import SessionLens, with_gold

__all__ = ["GOLD", "MAJORITY", "LiveAgreement"]

#: The annotation columns the dashboard reads (comments and client ids are not).
COLUMNS = [
    "task", "item_id", "annotator", "kind", "value", "created_at", "active_ms",
    "suggestion", "suggestion_shown",
]  # fmt: skip
#: Column choices of the confusion matrix besides the annotators.
GOLD = "gold"
MAJORITY = "majority"


@dataclass(frozen=True)
class Side:
    """One axis of the confusion matrix: an annotator, the gold answers or the majority."""

    role: str  # "annotator" | "gold" | "majority"
    name: str = ""

    @property
    def id(self) -> str:
        return f"annotator:{self.name}" if self.role == "annotator" else self.role

    @classmethod
    def parse(cls, text: str) -> Side:
        if text.startswith("annotator:"):
            return cls("annotator", text.removeprefix("annotator:"))
        if text in (GOLD, MAJORITY):
            return cls(text)
        raise ValueError(f"unknown confusion axis {text!r}")


class LiveAgreement:
    """Agreement of one task in ``store``, re-read incrementally.

    ``gold`` is what :func:`~nblabel.agreement_report` accepts (a Series or mapping by item id,
    or the name of an annotator whose labels are the gold). ``texts`` (a Series of item text by
    item id) names the items listed behind a confusion cell; without it, the text stored with
    each item's first label is used. ``aggregate``: the ``nl.aggregate`` method shown beside the
    majority vote (``None``: none).
    """

    def __init__(
        self,
        store: Store,
        task: str,
        *,
        gold: Any = None,
        texts: pd.Series | None = None,
        aggregate: str | None = None,
    ) -> None:
        self.store = store
        self.task = task
        self.gold = gold
        self.texts = texts
        self.aggregate = aggregate
        self.session = SessionLens()  # a session's plan: which events the agreement counts
        self._rated: tuple[tuple[int, int], pd.DataFrame] | None = None
        self.frame: pd.DataFrame | None = None  # every event of the task read so far
        self.revision: tuple[int, int] = (0, 0)  # (events, highest id) that ``frame`` holds
        self.view: registry.LiveView | None = None
        self.info: Mapping[str, Any] | None = None
        self._last_id = -1  # the store's highest event id when last checked (SQLite fast path)
        self._stored_texts: pd.Series | None = None
        self._texts_revision: tuple[int, int] | None = None

    # ------------------------------------------------------------------ reading
    def changed(self) -> bool:
        """Whether the store holds events of the task that have not been read (cheap: on SQLite
        one primary-key lookup while nothing is written; else a count over the task's index)."""
        if self.store.backend == "sqlite":
            last = self.store.last_event_id()
            if last == self._last_id:
                return False
            if self.store.revision(self.task) == self.revision:
                self._last_id = last  # only other tasks were written
                return False
            return True
        return self.store.revision(self.task) != self.revision

    def read(self) -> bool:
        """Read what is new; returns whether anything was. A full read replaces the cache when
        an incremental one cannot be trusted (an event committed under an id already passed)."""
        last = self.store.last_event_id() if self.store.backend == "sqlite" else -1
        count, top = self.store.revision(self.task)
        self._last_id = last
        if (count, top) == self.revision and self.frame is not None:
            return False
        frame = self.frame
        appended: int | None = None
        if frame is not None and count > len(frame):
            new = self.store.annotations(self.task, after_id=self.revision[1], columns=COLUMNS)
            if len(frame) + len(new) >= count and len(new):
                frame = pd.concat([frame, new], ignore_index=True) if len(frame) else new
                appended = len(new)
            else:
                frame = None
        if frame is None or count < len(frame):
            frame = self.store.annotations(self.task, columns=COLUMNS)
            appended = None
        self.session.update(self.store, self.task, frame, appended)
        self.frame = frame
        self.revision = (len(frame), int(frame["id"].max()) if len(frame) else 0)
        self.info = self.store.task(self.task)
        self.view = None
        return True

    def rated(self) -> pd.DataFrame | None:
        """The events the agreement counts: every event of the task, or a session's production
        events (gold and calibration items, and repeats, left out)."""
        if self.frame is None:
            return None
        if self._rated is None or self._rated[0] != self.revision:
            self._rated = (self.revision, self.session.production(self.frame))
        return self._rated[1]

    def _kind(self) -> registry.TaskKind:
        info = self.info or {}
        return registry.for_task(info.get("kind", "classify"), info.get("config") or {})

    def prepared(self) -> registry.LiveView | None:
        """The task's ratings as its kind's live view (``None`` before the first label)."""
        rated = self.rated()
        if self.view is None and rated is not None and (rated["kind"] == "label").any():
            info = self.info or {}
            labels, config = info.get("labels") or None, info.get("config") or {}
            self.view = self._kind().live_view(rated, self.gold, labels=labels, config=config)
        return self.view

    # ------------------------------------------------------------------ the summary
    def snapshot(self, rows: str | None = None, columns: str | None = None) -> dict[str, Any]:
        """Everything the dashboard draws, as JSON-ready data. ``rows``/``columns`` choose the
        confusion pair (ids of :class:`Side`); by default the two annotators with the most
        shared items, or the first annotator against gold."""
        frame = self.frame if self.frame is not None else pd.DataFrame(columns=["kind", "annotator"])
        view = self.prepared()
        info = self.info or {}
        snap: dict[str, Any] = {
            "task": self.task,
            "kind": info.get("kind", ""),
            "events": int(len(frame)),
            "revision": list(self.revision),
            "updated_at": time.time(),
        }
        if view is None:
            snap.update(empty=True, annotators=[], coefficients=[], per_annotator=[], per_label=[])
        else:
            snap.update(view.summary())
            snap["confusion"] = self.confusion(rows, columns)
            snap["aggregation"] = self.aggregation()
            snap["suggestions"] = self.suggestions()
        if self.session.active and self.frame is not None:
            snap["session"] = self.session.summary()
            quality = self.session.gold_quality(self.frame, self._kind())
            snap["per_annotator"] = with_gold(snap["per_annotator"], quality)
        return snap

    def aggregation(self) -> dict[str, Any] | None:
        """The ``aggregate`` method's labels beside the majority vote (``None``: not asked, or
        the kind has none); the gold annotator, when ``gold`` names one, is left out."""
        rated = self.rated()
        if self.aggregate is None or rated is None:
            return None
        if isinstance(self.gold, str):
            rated = rated[rated["annotator"] != self.gold]
        info = self.info or {}
        return aggregation_summary(
            rated, self.aggregate, task=self.task, kind=info.get("kind", "classify"),
            labels=info.get("labels") or None, config=info.get("config") or {},
        )  # fmt: skip

    def suggestions(self) -> dict[str, Any] | None:
        """The suggestion report's figures as text (:func:`~nblabel.suggestion_report`: per
        annotator, people only), with the caption that says how they read; ``None`` when no
        person's label recorded a suggestion. ``gold`` (answers by item) checks the suggestions,
        else the people's final labels."""
        rated = self.rated()
        if rated is None or "suggestion" not in rated.columns or not rated["suggestion"].notna().any():
            return None
        info = self.info or {}
        if recorded_task(rated, self.task) is None:
            kind, labels, config = info.get("kind", "classify"), info.get("labels") or (), info.get("config")
            recorded = RecordedTask(self.task, kind, labels, config)
            rated = record_tasks(rated.copy(deep=False), {self.task: recorded})
        gold = self.gold
        if isinstance(gold, str):  # an annotator whose labels are the gold: not a row
            theirs = current_from_annotations(rated[rated["annotator"] == gold])
            theirs = theirs[theirs["kind"] == "label"]
            rated = rated[rated["annotator"] != gold]
            gold = pd.Series(theirs["value"].tolist(), index=theirs["item_id"].tolist(), dtype=object)
        report = suggestion_report(rated, gold=gold)
        if not has_suggestions(report):
            return None
        table = suggestion_table(report)
        cells = table.to_numpy().tolist()
        return {
            "columns": list(table.columns),
            "rows": [[str(name), *row] for name, row in zip(table.index, cells, strict=True)],
            "caption": suggestion_caption(report),
        }

    def intervals(
        self, n_boot: int = 200, level: float = 0.95, seed: int | None = 0
    ) -> dict[str, list[float]]:
        """Bootstrap confidence intervals by coefficient key (slow: run after the snapshot)."""
        view = self.prepared()
        if view is None or len(view.annotators) < 2:
            return {}
        return view.intervals(n_boot, level, seed)

    # ------------------------------------------------------------------ confusion
    def sides(self) -> tuple[list[Side], list[Side]]:
        """The axes the confusion matrix can show: rows are annotators; columns are annotators,
        the gold answers (when given) and the majority of the other annotators."""
        view = self.prepared()
        if view is None:
            return [], []
        annotators = [Side("annotator", str(a)) for a in view.annotators]
        columns = list(annotators)
        if view.has_gold:
            columns.append(Side(GOLD))
        if len(annotators) >= 3 and view.can_majority:
            columns.append(Side(MAJORITY))
        return annotators, columns

    def default_pair(self) -> tuple[str, str] | None:
        view = self.prepared()
        if view is None:
            return None
        names = list(view.annotators)
        if view.has_gold:
            return Side("annotator", str(names[0])).id, GOLD
        if len(names) < 2:
            return Side("annotator", str(names[0])).id, Side("annotator", str(names[0])).id
        rated = np.column_stack([view.column(a).notna().to_numpy() for a in names]).astype(np.int64)
        shared = rated.T @ rated
        np.fill_diagonal(shared, -1)
        i, j = np.unravel_index(int(np.argmax(shared)), shared.shape)
        i, j = sorted((int(i), int(j)))
        return Side("annotator", str(names[i])).id, Side("annotator", str(names[j])).id

    def _column(self, side: Side, row_side: Side) -> pd.Series:
        view = self.prepared()
        assert view is not None
        if side.role == "annotator":
            return view.column(self._annotator(side.name))
        if side.role == GOLD:
            if not view.has_gold:
                raise ValueError("no gold answers: pass gold= to the dashboard")
            return view.gold_column()
        if not view.can_majority:
            raise ValueError("this task compares annotators with each other or with gold")
        return view.majority(self._annotator(row_side.name) if row_side.role == "annotator" else None)

    def _annotator(self, name: str) -> Any:
        view = self.prepared()
        assert view is not None
        for a in view.annotators:
            if str(a) == name:
                return a
        raise KeyError(f"no annotator {name!r}; annotators: {[str(a) for a in view.annotators]}")

    def _pair_columns(self, rows: str | None, columns: str | None) -> tuple[Side, Side, pd.Series, pd.Series]:
        default = self.default_pair()
        if default is None:
            raise ValueError("no labels yet")
        row_side = Side.parse(rows or default[0])
        if row_side.role != "annotator":
            raise ValueError("the rows of the confusion matrix are an annotator's labels")
        col_side = Side.parse(columns or default[1])
        return row_side, col_side, self._column(row_side, row_side), self._column(col_side, row_side)

    def confusion(self, rows: str | None = None, columns: str | None = None) -> dict[str, Any]:
        """Counts of (row side's value, column side's value) over the items both have."""
        view = self.prepared()
        if view is None:
            return {}
        try:
            row_side, col_side, a, b = self._pair_columns(rows, columns)
        except (KeyError, ValueError):
            row_side, col_side, a, b = self._pair_columns(None, None)
        row_choices, col_choices = self.sides()
        return {
            "rows": row_side.id,
            "columns": col_side.id,
            "row_choices": [_side_choice(s) for s in row_choices],
            "column_choices": [_side_choice(s) for s in col_choices],
            **view.confusion(a, b),
        }

    def cell_items(self, rows: str, columns: str, row_code: int, col_code: int) -> pd.DataFrame:
        """The items behind one confusion cell: their text (when known) and every annotator's
        value (and gold), indexed by item id, in item order. A code of
        :data:`~nblabel.agreement.confusion.OTHER` stands for every category the matrix
        leaves out."""
        view = self.prepared()
        if view is None:
            return pd.DataFrame()
        _row_side, col_side, a, b = self._pair_columns(rows, columns)
        return view.cell_items(a, b, row_code, col_code, self._texts(), majority=col_side.role == MAJORITY)

    def _texts(self) -> pd.Series | None:
        if self.texts is not None:
            return self.texts
        if self._texts_revision != self.revision:
            shown = self.store.items(self.task)
            column = next((c for c in ("text", "prompt", "image") if c in shown.columns), None)
            self._stored_texts = shown[column] if column else None
            self._texts_revision = self.revision
        return self._stored_texts



def _side_choice(side: Side) -> dict[str, str]:
    names = {GOLD: "gold answers", MAJORITY: "majority of the others"}
    return {"id": side.id, "name": side.name if side.role == "annotator" else names[side.role]}
