"""Calibration sessions: a team of annotators labels the same items blind, with hidden gold
items, a calibration gate, a training mode, versioned guidelines and edge-case flags.

A session is a queue policy handed to any labeling widget (the widget class is a parameter;
this module does not import widget code): ``session.labeler("ana")`` builds the task widget
for ``ana`` and gives it :class:`LabelerPolicy` (a :class:`~nblabel.core.policy.QueuePolicy`),
which decides which items ``ana`` is served, when the calibration gate opens, and what
feedback she sees. The policy reaches the widget only through the public methods named by
:class:`~nblabel.sessions.policy.Labeler`. Gold answers stay in the kernel (and the store)
until the annotator has submitted the item.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..agreement.gold import gold_score
from ..agreement.report import agreement_report
from ..core import ids, registry
from ..core.active import STRATEGIES
from ..core.frames import current_from_annotations, is_missing
from ..core.guidelines import Guidelines, load_guidelines
from ..core.limits import check_name, check_text
from ..store import roles
from ..store.store import Store, open_store
from .access import StoreGold, annotator_scope, check_labeler, gold_differs, hidden_or
from .adaptive import DISAGREEMENT, ESCALATE, HANDOVER, log_summary
from .assignment import annotator_items, assign_overlap, gold_sequence, mix_gold, stable_seed
from .confidence import AggregateConfidence, check_method
from .dataset_card import write_dataset_card
from .decisions import ADJUDICATION, final_labels
from .events import item_keys, production_events
from .final_export import export_final
from .overlap import LivePlan
from .policy import Labeler
from .quality import plot_quality, quality_table
from .reopen import open_session, save_setup
from .repeats import PREFIX, choose_repeats, insert_repeats, repeat_frame, self_agreement_table
from .soft_labels import soft_labels

_log = logging.getLogger(__name__)

#: Column of a gold DataFrame holding the answers.
GOLD_COLUMN = "gold"
#: How often a labeler looks in the store for a reveal or new guidelines (seconds).
POLL_SECONDS = 2.0
#: After an answer, the plan's log is read again only when the last read is older than this
#: (without ``escalate=``: another process's retirements and hand-overs reach an open labeler
#: within this time or at its poller's next look, about once a second, instead of at its very
#: next answer; a read per answer cost a labeler a third of its CPU on PostgreSQL).
LOG_SECONDS = 1.0


class Session:
    """A calibration session on ``task``: ``annotators`` label ``data`` blind, each item by
    ``overlap`` of them (assigned evenly, in a seeded random order).

    >>> session = nl.Session(store, "sentiment-cal", widget=nl.Classify, data=df,
    ...                      annotators=["ana", "ben", "cy"], overlap=2, gold="answer",
    ...                      calibration=5, pass_mark=0.8, text="review", labels=["pos", "neg"])
    >>> w = session.labeler("ana")

    - ``gold``: a column of ``data`` (rows with an answer are the gold pool, the rest are
      labeled) or a DataFrame of extra gold items with the same item columns and a ``gold``
      column. Gold items are mixed into each production queue at ``gold_rate`` and look like
      any other item; annotators under ``gold_threshold`` accuracy are flagged.
    - ``calibration=N``: each annotator first labels N gold items; production items open when
      the share right reaches ``pass_mark``, otherwise N fresh gold items are served.
    - ``feedback=True`` (training mode): after each gold item the annotator sees the answer
      and the ``explanation`` column, and a running score of first answers.
    - ``guidelines``: Markdown (or a path); :meth:`revise_guidelines` adds versions. Each
      event records the version it was labeled under.
    - ``escalate`` (adaptive overlap): ``"disagreement"`` or a confidence threshold such as
      ``0.8``. An item whose annotators have all answered and whose labels disagree (or whose
      confidence is under the threshold: ``nl.aggregate(method=escalate_method)``'s, by default
      the majority's share of the votes) goes to one more annotator, up to ``max_overlap``
      (default ``overlap + 1`` with ``escalate=``):
      the next in a seeded order per item among the active annotators who do not label it yet.
      The decision is a row of the session's log in the store, so every process agrees; the new
      annotator gets the item at the end of their queue. :meth:`retire` hands an annotator's
      unanswered items to the others (:mod:`nblabel.sessions.adaptive`).
    - ``repeat_rate`` (test–retest): that share of each annotator's items comes back later in
      their queue (seeded, at least 10 items later when the queue allows); the repeat counts
      only for :meth:`self_agreement`, never as a second production label
      (:mod:`nblabel.sessions.repeats`).

    Other keyword arguments (``text=``, ``labels=``, ...) configure the widget.
    """

    def __init__(
        self,
        store: Store | str | os.PathLike[str] | None,
        task: str,
        *,
        widget: type,
        data: pd.DataFrame,
        annotators: list[str],
        overlap: int = 2,
        max_overlap: int | None = None,
        escalate: str | float | None = None,
        escalate_method: str = "majority",
        repeat_rate: float = 0.0,
        gold: str | pd.DataFrame | None = None,
        gold_rate: float = 0.1,
        gold_threshold: float = 0.9,
        calibration: int = 0,
        pass_mark: float = 0.8,
        feedback: bool = False,
        explanation: str | None = None,
        guidelines: str | os.PathLike[str] | None = None,
        seed: int = 0,
        **widget_options: Any,
    ) -> None:
        _check_widget(widget, data, widget_options)
        # A store given as a URL or path (or None) is the session's own: close() releases it.
        self.store, self._owns_store = open_store(store)
        self.task = task
        self.widget = widget
        self.kind: str = widget.kind
        self.widget_options = widget_options
        self.annotators = _check_annotators(annotators)
        self.overlap = _check_int("overlap", overlap, 1, len(self.annotators))
        self.escalate = _check_escalate(escalate)
        self._scope = annotator_scope(self.store, task, self.escalate)  # an annotator's login, or None
        self.max_overlap = _check_max_overlap(max_overlap, self.overlap, self.escalate, len(self.annotators))
        self.repeat_rate = _check_share("repeat_rate", repeat_rate)
        self.gold_rate = _check_share("gold_rate", gold_rate, upper_open=True)
        self.gold_threshold = _check_share("gold_threshold", gold_threshold)
        self.calibration = _check_int("calibration", calibration, 0, None)
        self.pass_mark = _check_share("pass_mark", pass_mark)
        self.feedback = bool(feedback)
        self.seed = seed

        frame, self._gold_raw, self._explanations = _split_gold(data, gold, explanation, widget_options)
        self.frame = frame  # production rows first, then the gold pool
        self.n_production = len(frame) - len(self._gold_raw)
        self._check_gold_pool()
        self.keys: list[str] = ids.encode_many(frame.index)
        _check_keys(self.keys, frame.index)
        self.gold: dict[str, Any] = {}
        self.labels: list[Any] = []
        self._probe()

        self._grid = assign_overlap(self.n_production, len(self.annotators), self.overlap, seed)
        self._item_order = np.random.default_rng(stable_seed("order", seed)).permutation(self.n_production)
        self.escalate_method = check_method(escalate_method, self.escalate, self.store.task(task))
        self._register()
        save_setup(self)  # what nl.Session.open reads back (no gold answers)
        self._live = self._live_plan()
        self._repeats, self._labeler_frame, self._repeat_of = self._plan_repeats()
        # each open labeler widget and its policy (revised guidelines reach them at once)
        self._labelers: weakref.WeakKeyDictionary[Labeler, LabelerPolicy] = weakref.WeakKeyDictionary()
        if guidelines is not None:
            self.revise_guidelines(guidelines, note="initial version")

    @classmethod
    def open(cls, store: Store | str | os.PathLike[str] | None, task: str, **options: Any) -> Session:
        """Reopen the session on ``task`` from the store alone (no DataFrame): the items, widget
        class and options stored when it was created, the plan and gold answers as this store URL
        may read them. ``options`` give what the store could not keep (a callable option such as
        ``tokenizer=``, ``widget=`` for a widget class of your own, ``data=``); see
        :mod:`nblabel.sessions.reopen`."""
        return open_session(cls, store, task, **options)

    def _check_gold_pool(self) -> None:
        """Calibration and training mode need gold items: enough for one round."""
        if (self.calibration or self.feedback) and not len(self._gold_raw):
            what = "calibration=" if self.calibration else "feedback=True"
            raise ValueError(f"{what} needs gold items: pass gold= (a column of answers or a DataFrame)")
        if self.calibration > len(self._gold_raw):
            raise ValueError(
                f"calibration={self.calibration} needs at least that many gold items; "
                f"gold= has {len(self._gold_raw)}"
            )

    def _probe(self) -> None:
        """Build a widget for the session itself (no annotator's labels are read): it checks
        the widget options now, and turns the gold answers into stored form (:attr:`gold`), with
        errors naming the row; :attr:`labels` is the label set it checked."""
        frame = self.frame
        probe: Labeler = self.widget(
            frame, task=self.task, annotator="(session)", store=self.store, **self.widget_options
        )
        try:
            for pos in range(self.n_production, len(frame)):
                raw = self._gold_raw[pos - self.n_production]
                try:
                    self.gold[self.keys[pos]] = hidden_or(raw, self._scope) or probe.validate_gold(raw, pos)
                except (ValueError, TypeError) as exc:
                    raise ValueError(f"gold answer of row {frame.index[pos]!r}: {exc}") from None
            self.labels = probe.label_set
        finally:
            probe.close()

    # ------------------------------------------------------------------ plan
    def _register(self) -> None:
        fingerprint = hashlib.sha256("\n".join(self.keys).encode("utf-8")).hexdigest()[:16]
        config = {
            "kind": self.kind,
            "annotators": self.annotators,
            "overlap": self.overlap,
            "max_overlap": self.max_overlap,
            "escalate": self.escalate,
            "escalate_method": self.escalate_method,
            "repeat_rate": self.repeat_rate,
            "seed": self.seed,
            "gold_rate": self.gold_rate,
            "gold_threshold": self.gold_threshold,
            "calibration": self.calibration,
            "pass_mark": self.pass_mark,
            "feedback": self.feedback,
            "items": self.n_production,
            "fingerprint": fingerprint,
            "assigned": {a: int(n) for a, n in zip(self.annotators, self._assigned_counts(), strict=True)},
            "gold": [[key, value] for key, value in self.gold.items()],
        }
        stored = self.store.register_session(
            self.task, json.loads(json.dumps(config, default=str)), explanations=self._explanations
        )
        # a plan stored before a setting existed has that setting's default
        before = {"max_overlap": stored.get("overlap"), "escalate": None, "escalate_method": "majority",
                  "repeat_rate": 0.0}  # fmt: skip
        stored = {**before, **stored}
        differ = [k for k in config if k not in ("assigned", "gold") and stored.get(k) != config[k]]
        if gold_differs(stored, self.gold) or (
            "gold" in stored and stored["gold"] != json.loads(json.dumps(config["gold"], default=str))
        ):
            differ.append("gold")
        if differ:
            details = ", ".join(f"{k}={stored.get(k)!r} (now {config[k]!r})" for k in differ if k != "gold")
            if "gold" in differ:
                details = ", ".join(filter(None, [details, "different gold answers"]))
            raise ValueError(
                f"session {self.task!r} in {self.store.location} was created with other settings: "
                f"{details}. Open it with the same data and settings, or use a new task name."
            )
        if self._scope is not None:  # an annotator's login: answers are read from the store, once answered
            self.gold = StoreGold(self.store, self.task, list(self.gold))
            self._explanations = self.gold.explanations

    def _assigned_counts(self) -> np.ndarray:
        return np.bincount(self._grid.ravel(), minlength=len(self.annotators))

    def _live_plan(self) -> LivePlan:
        """The plan as the store's log changes it (escalations, retirements, hand-overs)."""
        planned = np.empty_like(self._grid)
        planned[self._item_order] = self._grid  # by frame position
        info = self.store.task(self.task)
        kind = registry.for_task(info.kind, info.config)
        live = LivePlan(
            self.store, self.task, planned=planned, keys=self.keys, annotators=self.annotators,
            seed=self.seed, escalate=self.escalate, max_overlap=self.max_overlap, agree=kind.values_agree,
        )  # fmt: skip
        if self.escalate not in (None, DISAGREEMENT):
            live.confidence = AggregateConfidence(live.answers, info, self.gold, self.escalate_method)
        return live

    def _plan_repeats(self) -> tuple[dict[str, np.ndarray], pd.DataFrame, dict[int, int]]:
        """Each annotator's repeated items (positions), the labelers' frame (:attr:`frame` and a
        row per repeated item) and repeat row -> original position."""
        chosen = {
            a: choose_repeats(self._planned_positions(a), self.repeat_rate, a, self.seed)
            for a in self.annotators
        }
        originals = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *chosen.values()]))
        frame = repeat_frame(self.frame, originals, self.keys)
        return chosen, frame, {len(self.frame) + i: int(p) for i, p in enumerate(originals.tolist())}

    def _planned_positions(self, annotator: str) -> np.ndarray:
        """The production items the seeded plan gave ``annotator``, in serving order."""
        return self._item_order[annotator_items(self._grid, self._annotator_index(annotator))]

    def production_positions(self, annotator: str) -> np.ndarray:
        """Positions (in :attr:`frame`) of the production items assigned to ``annotator``, in
        the order they are served: their planned items (less those handed to others when they
        retired), then the items escalated or handed to them, in the order they came."""
        self._live.refresh()
        away = self._live.handed_away(annotator)
        planned = self._planned_positions(annotator)
        if away:
            planned = planned[~np.isin(planned, list(away))]
        return _cat([planned, np.asarray(self._live.extras(annotator), dtype=np.int64)])

    def gold_positions(self, annotator: str) -> np.ndarray:
        """Positions of the gold pool in the order ``annotator`` meets them."""
        return self.n_production + gold_sequence(len(self.gold), annotator, self.seed)

    def assignments(self) -> pd.DataFrame:
        """One row per production item: its id, the annotators it is assigned to now (sorted),
        and ``escalated``: how many of them escalation added."""
        names = np.array(self.annotators, dtype=object)
        assigned = [[] for _ in range(self.n_production)]
        for row, item in enumerate(self._item_order.tolist()):
            assigned[item] = sorted(names[self._grid[row]].tolist())
        self._live.refresh()
        escalated = np.zeros(self.n_production, dtype=np.int64)
        for pos, slots in self._live.changed_slots().items():
            assigned[pos] = sorted(names[[a for a, _ in slots]].tolist())
            escalated[pos] = sum(not base for _, base in slots)
        return pd.DataFrame(
            {"annotators": assigned, "escalated": escalated},
            index=self.frame.index[: self.n_production].rename("item_id"),
        )

    def _annotator_index(self, annotator: str) -> int:
        try:
            return self.annotators.index(annotator)
        except ValueError:
            raise ValueError(
                f"{annotator!r} is not an annotator of session {self.task!r}; annotators: {self.annotators}"
            ) from None

    def calibration_state(self, annotator: str, answers: dict[str, tuple[str, Any]]) -> dict[str, Any]:
        """Where ``annotator`` stands at the gate, from their *first* answers to gold items
        (item key → (kind, value) of the first label or skip: a later correction, after seeing
        the answer or failing a round, does not change a round's score): ``phase``
        ("calibration", "production" or "blocked"), ``round`` (0-based; rounds used once past
        the gate), ``score`` of the last finished round and ``positions``: every item served so
        far, in order."""
        gold_seq = self.gold_positions(annotator)
        gate = walk_gate(self.kind, [self.keys[p] for p in gold_seq.tolist()], self.gold,
                         self.calibration, self.pass_mark, answers)  # fmt: skip
        served = [gold_seq[: gate["served"]]]
        if gate["phase"] == "production":
            rest = gold_seq[gate["served"] :]
            if self.n_production:
                planned = self._planned_positions(annotator)
                away = self._live.handed_away(annotator)
                if away:
                    planned = planned[~np.isin(planned, list(away))]
                mixed = mix_gold(planned, rest, self.gold_rate, annotator, self.seed)
                rows = {p: r for r, p in self._repeat_of.items()}
                served.append(insert_repeats(mixed, self._repeats[annotator], rows, annotator, self.seed))
                served.append(np.asarray(self._live.extras(annotator), dtype=np.int64))
            else:  # every item is gold (a class exercise): serve the rest of the pool
                served.append(rest)
        return {**gate, "positions": _cat(served)}

    # ------------------------------------------------------------------ labelers
    def labeler(self, annotator: str) -> Any:
        """The task widget for ``annotator``, serving their queue (``w.current`` is ``None``
        when they are done)."""
        self._annotator_index(annotator)
        check_labeler(self._scope, annotator)
        w: Labeler = self.widget(
            self._labeler_frame,
            task=self.task,
            annotator=annotator,
            store=self.store,
            guidelines=self._guidelines_markdown(),
            **self.widget_options,
        )
        policy = LabelerPolicy(self, annotator)
        w.use_policy(policy)
        self._labelers[w] = policy
        return w

    def _guidelines_markdown(self) -> str | None:
        latest = self.latest_guidelines()
        return None if latest is None else latest.markdown

    # ------------------------------------------------------------------ reveal, guidelines
    @property
    def revealed(self) -> bool:
        """Whether the annotators see each other's labels (see :meth:`reveal`)."""
        return self.store.session_revealed(self.task)

    def reveal(self, revealed: bool = True) -> None:
        """Show every annotator the other annotators' labels on the items they labeled (for the
        discussion after a round); ``reveal(False)`` hides them again."""
        self.store.set_session_revealed(self.task, revealed)

    # ------------------------------------------------------------------ logins (PostgreSQL)
    def grant(self, name: str, password: str | None = None) -> str:
        """Create (or give a new password to) a PostgreSQL login for annotator ``name`` and return
        their store URL: with it, ``nl.Session(url, ...)`` / ``nl.Session.open(url, task)`` and
        ``labeler(name)`` work, but the login writes only as ``name``, reads only ``name``'s events
        (others' after :meth:`reveal`, on items ``name`` answered) and never a gold answer
        (:mod:`nblabel.store.roles`). A strong password is generated when none is given.
        ``StoreError`` on SQLite, which is all-or-nothing."""
        self._annotator_index(name)
        return roles.grant(self.store, self.task, name, password)

    def revoke(self, name: str) -> None:
        """Drop annotator ``name``'s login (see :meth:`grant`): their URL stops working; their
        labels stay."""
        self._annotator_index(name)
        roles.revoke(self.store, self.task, name)

    def revise_guidelines(self, guidelines: str | os.PathLike[str], note: str = "") -> str:
        """Add a guidelines version (Markdown text or a path); open labelers switch to it (in
        other processes within a few seconds). Returns the version."""
        loaded = load_guidelines(guidelines)
        assert loaded is not None
        self.store.add_guidelines(self.task, loaded.version, loaded.markdown, str(note))
        for w, policy in list(self._labelers.items()):
            policy.refresh_guidelines(w, force=True)
        return loaded.version

    def latest_guidelines(self) -> Guidelines | None:
        """The newest guidelines version in the store (``None``: the session has none)."""
        versions = self.store.guidelines(self.task)
        if not len(versions):
            return None
        return load_guidelines(versions["markdown"].iloc[-1])

    def guideline_versions(self) -> pd.DataFrame:
        """Every guidelines version, oldest first: version, markdown, note, created_at."""
        return self.store.guidelines(self.task)

    # ------------------------------------------------------------------ results
    @property
    def annotations(self) -> pd.DataFrame:
        """Every event of the session's task (all annotators), as a long DataFrame."""
        return self.store.annotations(self.task)

    def production_annotations(self) -> pd.DataFrame:
        """The events on production items only (gold items left out)."""
        return production_events(self.annotations, self.gold)

    def report(self, **options: Any) -> Any:
        """The agreement report of the production items (``nl.agreement_report`` options), with
        ``report.self_agreement``: each annotator's test–retest agreement (:meth:`self_agreement`,
        with the report's ``n_boot``, ``level`` and ``seed``; no rows of repeats without
        ``repeat_rate=``)."""

        info = self.store.task(self.task)
        labeled = self.production_annotations()
        if not (labeled["kind"] == "label").any():
            raise ValueError(f"session {self.task!r} has no labels on production items yet")
        report = agreement_report(labeled, task=self.task, labels=info["labels"], **options)
        boot = {k: options[k] for k in ("n_boot", "level", "seed") if k in options}
        report.self_agreement = self.self_agreement(**boot)
        return report

    def dashboard(self, **options: Any) -> Any:
        """The live dashboard of the session's task (``nl.Dashboard`` options: ``interval``,
        ``n_boot``, ``aggregate``, ...): agreement on production items only, as :meth:`report`
        counts them (gold and calibration items left out), each annotator's live gold accuracy
        and drift flag, and item text from the session's data. Built by the session's widget
        class (a session never imports widget code)."""
        text = self.widget_options.get("text")
        if "data" not in options and isinstance(text, str) and text in self.frame.columns:
            options.update(data=self.frame, text=text)
        return self.widget.dashboard(self.store, self.task, **options)

    def agreement_by_guideline(self, **options: Any) -> pd.DataFrame:
        """Agreement on production items split by the guidelines version each label was given
        under: one row per version (oldest first) with its number, note, the items rated by at least
        two annotators under it, and every coefficient of the report."""

        current = current_from_annotations(self.production_annotations())
        current = current[current["kind"] == "label"]
        versions = self.guideline_versions()
        notes = dict(zip(versions["version"], versions["note"], strict=True))
        numbers = dict(zip(versions["version"], versions["number"], strict=True))
        order = list(versions["version"]) + sorted(
            {str(v) for v in current["guideline_version"].dropna()} - set(notes)
        )
        rows = []
        info = self.store.task(self.task)
        options.setdefault("n_boot", 0)
        for version in order:
            part = current[current["guideline_version"] == version]
            counts = part.groupby("item_id")["annotator"].nunique()
            part = part[part["item_id"].isin(counts[counts >= 2].index)]
            row: dict[str, Any] = {
                "version": version,
                "number": numbers.get(version),
                "note": notes.get(version, ""),
                "labels": len(part),
                "items": int(part["item_id"].nunique()),
            }
            if row["items"]:
                report = agreement_report(part, task=self.task, labels=info["labels"], **options)
                for key, value in report["value"].items():
                    row[key] = value
            rows.append(row)
        return (
            pd.DataFrame(rows).set_index("version")
            if rows
            else pd.DataFrame(columns=["note", "labels", "items"])
        )

    def gold_accuracy(self) -> pd.DataFrame:
        """Per annotator: gold items answered, how many first answers were right, their mean
        score (1 = all right; a correction after failing or seeing the answer does not count),
        and ``flagged`` when it is under ``gold_threshold``."""
        config = self.store.session_config(self.task) or {}
        return gold_accuracy_table(config, first_answers(self.annotations, self.gold))

    def learner_scores(self) -> pd.DataFrame:
        """Per annotator, the training-mode score: gold items answered, how many *first*
        answers were right, and their mean score (partial credit for spans and boxes)."""
        table = self.gold_accuracy()
        return table.rename(
            columns={"gold_answered": "answered", "gold_right": "right", "gold_accuracy": "score"}
        )[["answered", "right", "score"]]

    def progress(self) -> pd.DataFrame:
        """Per annotator: assigned items, labeled, skipped, remaining, gate phase, gold
        accuracy and flags; items received by escalation or hand-over, handed away, retired."""
        return progress_table(self.store, self.task, self.store.session_config(self.task) or {})

    # ------------------------------------------------------------------ adaptive overlap
    def retire(self, annotator: str, note: str = "") -> pd.DataFrame:
        """Retire ``annotator`` (they dropped out): each production item they have not answered
        goes to the active annotator with the fewest items among those who do not label it yet
        (ties broken in the item's seeded order), so overlap stays exact and loads as even as the
        items allow. Recorded in the store: every process and ``nblabel session status`` agree,
        and an open labeler of theirs stops serving those items at once in this process, else at
        its next poll or its next action a second (:data:`LOG_SECONDS`) after its last look.

        Returns the hand-overs (``item_id``, ``to``; ``to`` is ``None`` for an escalation nobody
        left can take, which is dropped). Retiring someone already retired changes nothing.
        ``ValueError`` (and nothing recorded) when a planned item would be left without enough
        annotators."""
        self._annotator_index(annotator)
        note = check_text(str(note), "note") if note else ""
        written = self._live.retire(annotator, note)
        for w, policy in list(self._labelers.items()):
            policy.adapt(w)
        handed = [r for r in written if r["kind"] == HANDOVER]
        index = pd.Index(
            [self.frame.index[self._live.state.position(r["item_id"])] for r in handed], name="item_id"
        )
        return pd.DataFrame({"to": [r["annotator"] or None for r in handed]}, index=index, dtype=object)

    def plan_changes(self) -> pd.DataFrame:
        """Every change to the plan since the session was created, oldest first: ``kind``
        (``escalate``, ``retire``, ``handover``), ``item_id`` (``None`` for a retirement),
        ``annotator`` (who now labels the item; who retired), ``detail`` and ``created_at``."""
        rows = self.store.session_log(self.task)
        positions = [self._live.state.position(r["item_id"]) for r in rows]
        items = [None if p is None else self.frame.index[p] for p in positions]
        created = pd.Series([r["created_us"] for r in rows], dtype="int64")
        return pd.DataFrame(
            {
                "kind": [r["kind"] for r in rows],
                "item_id": pd.Series(items, dtype=object),
                "annotator": [r["annotator"] or None for r in rows],
                "detail": [r["detail"] for r in rows],
                "created_at": pd.to_datetime(created, unit="us", utc=True),
            }
        )

    def escalations(self) -> pd.DataFrame:
        """The escalated items: one row per escalation (``item_id``, ``annotator`` who got it,
        ``level``: how many annotators the item had then, ``confidence`` of the labels that called
        for it)."""
        log = self.plan_changes()
        log = log[log["kind"] == ESCALATE]
        return pd.DataFrame(
            {
                "item_id": log["item_id"].to_numpy(),
                "annotator": log["annotator"].to_numpy(),
                "level": [int(d.get("level", 0)) for d in log["detail"]],
                "confidence": [float(d.get("confidence", float("nan"))) for d in log["detail"]],
                "created_at": log["created_at"].to_numpy(),
            }
        )

    # ------------------------------------------------------------------ test–retest, quality over time
    def self_agreement(self, n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> pd.DataFrame:
        """Per annotator, test–retest: how often the repeat of an item (``repeat_rate=``) got the
        same label as the first time — ``repeats``, ``agreed``, ``self_agreement`` and a percentile
        bootstrap interval (``ci_low``, ``ci_high``). Both standing labels are compared (an
        item skipped either time is left out)."""
        frame = self.annotations
        current = current_from_annotations(frame)
        return self_agreement_table(
            current, item_keys(current), self.annotators, self._kind().values_agree,
            n_boot=n_boot, level=level, seed=seed,
        )  # fmt: skip

    def quality_over_time(
        self,
        by: str = "batch",
        *,
        batch_size: int = 50,
        window: int = 10,
        gold_threshold: float | None = None,
    ) -> pd.DataFrame:
        """Agreement with the others and gold accuracy per annotator and period — ``by="batch"``
        (each annotator's answers in batches of ``batch_size``) or ``"day"`` (UTC) — with the
        rolling gold accuracy of the last ``window`` gold answers and ``drift`` where it is under
        ``gold_threshold`` (the session's by default). Columns: period, annotator, start, end,
        labels, pairs, agreement, gold_answered, gold_accuracy, rolling_gold_accuracy, drift (see
        :mod:`nblabel.sessions.quality`)."""
        kind = self._kind()
        threshold = (
            self.gold_threshold if gold_threshold is None else _check_share("gold_threshold", gold_threshold)
        )
        return quality_table(
            self.annotations, annotators=self.annotators, gold=self.gold, agree=kind.values_agree,
            score=kind.gold_score, by=by, batch_size=batch_size, window=window, gold_threshold=threshold,
        )  # fmt: skip

    def plot_quality_over_time(self, by: str = "batch", **options: Any) -> Any:
        """:meth:`quality_over_time` as a matplotlib Figure: rolling gold accuracy (drift circled,
        the threshold dashed) above agreement with the others."""
        return plot_quality(self.quality_over_time(by, **options), title=f"{self.task}: quality over time")

    def _kind(self) -> registry.TaskKind:
        info = self.store.task(self.task)
        return registry.for_task(info.kind, info.config)

    def flags(self) -> pd.DataFrame:
        """Edge-case flags grouped by item: how many annotators flagged it, who, and their
        comments (``"annotator: comment"``), most-flagged first."""
        frame = self.annotations
        flags = frame[frame["kind"] == "flag"].drop_duplicates(["item_id", "annotator"], keep="last")
        columns = ["n_flags", "annotators", "comments", "last_flagged_at"]
        if flags.empty:
            return pd.DataFrame(columns=columns, index=pd.Index([], name="item_id"))
        said = [f"{a}: {c}" if c else a for a, c in zip(flags["annotator"], flags["comment"], strict=True)]
        grouped = flags.assign(said=pd.Series(said, index=flags.index, dtype=object)).groupby(
            "item_id", sort=False
        )
        table = pd.DataFrame(
            {
                "n_flags": grouped["annotator"].size(),
                "annotators": grouped["annotator"].agg(list),
                "comments": grouped["said"].agg(list),
                "last_flagged_at": grouped["created_at"].max(),
            }
        )
        shown = self.store.items(self.task)
        if "text" in shown.columns:
            table.insert(0, "text", shown["text"].reindex(table.index))
        return table.sort_values(["n_flags", "last_flagged_at"], ascending=[False, False])

    @property
    def adjudication_task(self) -> str:
        """The task that holds this session's adjudications."""
        return self.task + ADJUDICATION

    def final_labels(self, method: str | None = None, min_confidence: float | None = None) -> pd.DataFrame:
        """The label of every production item with its provenance and the ``rule`` that decided
        it; with ``method`` (one of ``nl.aggregate``'s), disagreements with a clear, confident
        winner are decided by it, and only ties, low-confidence items and items where a model
        and the majority differ wait for an adjudicator (see
        :func:`nblabel.sessions.decisions.final_labels`)."""
        return final_labels(self, method, min_confidence)

    def soft_labels(self, method: str | None = None) -> pd.DataFrame:
        """Each production item's label distribution over its annotators, its agreement, and
        with a model-based ``method`` the model's posterior (see
        :func:`nblabel.sessions.soft_labels.soft_labels`)."""
        return soft_labels(self, method)

    def export(
        self,
        directory: str | os.PathLike[str],
        *,
        method: str | None = None,
        min_confidence: float | None = None,
    ) -> Path:
        """Write the dataset card (see :func:`nblabel.sessions.dataset_card.write_dataset_card`);
        with ``method``, its final labels are :meth:`final_labels` of that method."""

        return write_dataset_card(self, Path(directory), method, min_confidence)

    def export_final(
        self,
        path: str | os.PathLike[str],
        format: str = "jsonl",
        *,
        method: str | None = None,
        min_confidence: float | None = None,
        **options: Any,
    ) -> Path:
        """Write the final labels (:meth:`final_labels` with ``method`` and ``min_confidence``)
        in any format of the task's kind (``coco``, ``yolo``, ``voc``, ``bio``, ``conll``,
        ``spacy``, ``dpo``, ``reward``, ``jsonl``, ``csv``, ``parquet``), the soft labels
        (``soft``: JSON Lines) or a Hugging Face dataset (``hf``: a folder for
        ``datasets.load_from_disk``); see :mod:`nblabel.sessions.final_export`."""
        return export_final(self, path, format, method=method, min_confidence=min_confidence, **options)

    def close(self) -> None:
        """Close every labeler widget this session built, and release the store if the session
        opened it (a URL, a path or ``None``); a :class:`Store` passed in stays open."""
        for w in list(getattr(self, "_labelers", ())):
            w.close()
        if getattr(self, "_owns_store", False):
            self.store.close()

    def __repr__(self) -> str:
        return (
            f"Session(task={self.task!r}, widget={self.widget.__name__}, items={self.n_production}, "
            f"gold={len(self.gold)}, annotators={self.annotators}, overlap={self.overlap})"
        )


class LabelerPolicy:
    """One annotator's queue in a session (a :class:`~nblabel.core.policy.PollingPolicy` of any
    :class:`~nblabel.sessions.policy.Labeler`): calibration rounds, then their production items
    with gold mixed in (and their repeats), then the items escalated or handed to them; gold
    feedback in training mode; others' labels once revealed.

    The plan's changes reach an open labeler on its next answer (:meth:`advance`) and, while it
    is shown in a browser, within about a second (:meth:`poll`, which the widget's poller and
    ``w.sync()`` call): new items are appended with ``w.extend_queue`` — a labeler that said
    "All done" shows the first of them — and a retired annotator's queue is rebuilt with
    ``w.use_policy`` to keep only what they answered."""

    def __init__(self, session: Session, annotator: str) -> None:
        self.session = session
        self.annotator = annotator
        self.phase: dict[str, Any] = {}
        # gold key -> (kind, value) of the annotator's first label or skip: the gate and the
        # learner score count first answers only
        self.answers: dict[str, tuple[str, Any]] = {}
        self._right = self._answered = 0  # learner score: first answers that are labels, right ones
        mine = first_answers(session.store.annotations(session.task, annotator=annotator), session.gold)
        for key, entry in mine.get(annotator, {}).items():
            self._add_answer(key, entry)
        self._checked = time.monotonic()
        self._notice = ""  # shown until the guidelines change again
        self._revealed = False
        self._revealed_at = -POLL_SECONDS
        self._others: tuple[Any, dict[str, list[tuple[str, Any]]]] = (None, {})
        self._lock = threading.Lock()
        self._adapting = threading.Lock()
        self._queued: set[int] = set()  # every position served (extras are appended once)
        self._received = 0  # items escalated or handed to this annotator since the labeler opened
        self._retired = False

    # -- the hooks the widget base calls
    def queue(self, w: Labeler) -> np.ndarray:
        """The positions to serve now (rebuilt on attach from the annotator's labels and the
        plan's log); a retired annotator keeps only the items they answered."""
        self.session._live.sweep()
        self.phase = self.session.calibration_state(self.annotator, self.answers)
        positions = self.phase["positions"]
        self._retired = self.session._live.retired(self.annotator) is not None
        if self._retired:
            positions = np.asarray(
                [p for p in positions.tolist() if w.standing(w.item_key(p)) is not None], dtype=np.int64
            )
        self._queued = set(positions.tolist())
        self._publish(w)
        return positions

    def advance(self, w: Labeler, pos: int) -> None:
        """After a label or skip of ``pos``: score gold, open the gate, pick up news."""
        key = w.item_key(pos)
        entry = w.standing(key)
        # What the session line shows changes with a gold answer (the score) or the calibration
        # phase; an item handed over, a retirement or new guidelines publish it themselves.
        news = self.phase.get("phase") != "production"
        if key in self.session.gold and entry is not None:
            self._add_answer(key, entry)
            news = True
            if self.session.feedback and entry[0] == "label":
                w.send({"type": "feedback", "key": key, **self._feedback(w, pos, key, entry[1])})
        if self.phase.get("phase") != "production":
            before = (self.phase.get("phase"), self.phase.get("round"))
            self.phase = self.session.calibration_state(self.annotator, self.answers)
            if (self.phase["phase"], self.phase["round"]) != before:
                w.extend_queue(self.phase["positions"])
                self._queued.update(self.phase["positions"].tolist())
        self.adapt(w, max_age=LOG_SECONDS)
        if news:
            self._publish(w)
        self.refresh_guidelines(w)

    def poll(self, w: Labeler) -> None:
        """While the widget is shown (its poller, about once a second) and on ``w.sync()``:
        pick up the plan's changes and new guidelines without waiting for an answer."""
        self.adapt(w)
        self.refresh_guidelines(w)

    def adapt(self, w: Labeler, max_age: float = 0.0) -> None:
        """Escalate what the answers call for (any process may), then serve the items escalated
        or handed to this annotator since the last look; on retirement rebuild the queue.
        ``max_age``: the plan's log is read again only when the last read is older than that
        (see :meth:`LivePlan.due`; after an answer, :data:`LOG_SECONDS`).

        Called from the kernel (after an answer, holding the widget's lock) and from the widget
        poller's thread: the policy's own lock is never held while the widget is called."""
        live = self.session._live
        try:
            if live.due(max_age):
                live.sweep()
        except Exception:  # the store is failing: the next answer or poll tries again
            _log.warning(
                "nblabel: session %r: reading the plan's changes failed", self.session.task, exc_info=True
            )
        with self._adapting:
            retiring = not self._retired and live.retired(self.annotator) is not None
            new: list[int] = []
            if retiring:
                self._retired = True
            elif not self._retired and self.phase.get("phase") == "production":
                # (before the calibration gate opens, calibration_state() serves them)
                new = [p for p in live.extras(self.annotator) if p not in self._queued]
                self._queued.update(new)
                self._received += len(new)
        if retiring:
            w.use_policy(self)  # queue() keeps only what they answered
        elif new:
            w.extend_queue(new)
            self._publish(w)

    def item_fields(self, w: Labeler, pos: int) -> dict[str, Any]:
        """Feedback on a submitted gold item (training mode); others' labels once revealed."""
        key = w.item_key(pos)
        fields: dict[str, Any] = {}
        original = self.session._repeat_of.get(pos)
        if original is not None:  # a repeat shows the original's id, and no one else's labels
            return {"shown_id": str(self.session.frame.index[original])}
        entry = w.standing(key)
        if self.session.feedback and key in self.session.gold and entry is not None and entry[0] == "label":
            fields["feedback"] = self._feedback(w, pos, key, entry[1])
        if entry is not None and self._is_revealed():  # only on items this annotator has answered
            others = self._other_values().get(key, [])
            fields["others"] = [
                {"annotator": name, "text": w.describe(value, pos) if kind == "label" else "(skipped)"}
                for name, kind, value in others
                if name != self.annotator
            ]
        return fields

    def handle(self, w: Labeler, msg: dict[str, Any]) -> bool:
        """Labelers know no extra messages."""
        return False

    def movable(self, w: Labeler, positions: np.ndarray) -> np.ndarray:
        """What an active ordering (``order=``, ``model=``) may re-rank: production items only.
        Gold and repeated items keep their place in the queue, and the items each annotator is
        served stay those of the plan (:class:`~nblabel.core.policy.RankingPolicy`)."""
        return np.asarray(positions) < self.session.n_production

    def may_open_more(self) -> bool:
        """Whether finishing the queue may open more items: the calibration gate; items the
        plan gave this annotator that the widget does not serve yet; an escalation while some
        item is not settled (see :meth:`LivePlan.may_grow`)."""
        phase = self.phase.get("phase")
        if phase == "calibration":
            return True
        live = self.session._live
        if phase != "production" or self._retired:
            return False
        waiting = any(p not in self._queued for p in live.extras(self.annotator))
        return waiting or live.may_grow(self.annotator)

    # -- helpers
    def _add_answer(self, key: str, entry: tuple[str, Any]) -> None:
        """Record the first answer to gold item ``key`` (later ones do not count)."""
        if key in self.answers:
            return
        self.answers[key] = entry
        if entry[0] == "label":
            self._answered += 1
            if self.session.feedback:  # the learner score is shown in training mode only
                self._right += gold_score(self.session.kind, entry[1], self.session.gold[key]) >= 1.0

    def _feedback(self, w: Labeler, pos: int, key: str, value: Any) -> dict[str, Any]:
        gold = self.session.gold[key]
        score = gold_score(self.session.kind, value, gold)
        return {
            "correct": score >= 1.0,
            "score": round(score, 4),
            "gold": w.describe(gold, pos),
            "explanation": self.session._explanations.get(key, ""),
        }

    def _publish(self, w: Labeler) -> None:
        phase, rnd, score = self.phase.get("phase"), self.phase.get("round", 0), self.phase.get("score")
        n = self.session.calibration
        mark = f"{self.session.pass_mark:.0%}"
        if phase == "calibration" and rnd == 0:
            message = f"Calibration: label these {n} items first. The other items open at {mark} right."
        elif phase == "calibration":
            message = (
                f"Calibration round {rnd}: {score:.0%} right, under the pass mark of {mark}. "
                f"Here are {n} fresh items (round {rnd + 1})."
            )
        elif phase == "blocked":
            message = (
                f"Calibration not passed ({score:.0%} right, pass mark {mark}) and no fresh calibration "
                "items are left. Please talk to the session owner."
            )
        elif n and score is not None:
            message = f"Calibration passed ({score:.0%} right). All your items are open."
        else:
            message = ""
        if self._retired:
            message = "You have left this session: your remaining items went to the other annotators."
        elif self._received:
            more = f"{self._received} more item{'s' if self._received > 1 else ''} came to your queue"
            message = " ".join(
                filter(None, [message, f"{more} (a disagreement to settle, or an item handed over)."])
            )
        state: dict[str, Any] = {"phase": phase, "message": message}
        if self.session.feedback:
            state["score"] = {"right": self._right, "answered": self._answered}
        if w.guidelines is not None:
            state["guideline_version"] = w.guidelines.version
        if self._notice:
            state["notice"] = self._notice
        w.show_session(state)

    def refresh_guidelines(self, w: Labeler, force: bool = False) -> None:
        """Switch ``w`` to the newest guidelines version (checked at most every few seconds)."""
        now = time.monotonic()
        if not force and now - self._checked < POLL_SECONDS:
            return
        self._checked = now
        latest = self.session.latest_guidelines()
        if latest is not None and (w.guidelines is None or w.guidelines.version != latest.version):
            w.use_guidelines(latest)
            number = len(self.session.guideline_versions())
            self._notice = f"The guidelines were updated (version {number}); press g to read them."
            self._publish(w)

    def _is_revealed(self) -> bool:
        now = time.monotonic()
        if now - self._revealed_at >= POLL_SECONDS:
            self._revealed = self.session.store.session_revealed(self.session.task)
            self._revealed_at = now
        return self._revealed

    def _other_values(self) -> dict[str, list[tuple[str, str, Any]]]:
        store, task = self.session.store, self.session.task
        revision = store.revision(task)
        with self._lock:
            if self._others[0] != revision:
                current = store.current(task)
                table: dict[str, list[tuple[str, str, Any]]] = {}
                for key, name, kind, value in zip(
                    item_keys(current), current["annotator"], current["kind"], current["value"], strict=True
                ):
                    table.setdefault(key, []).append((name, kind, value))
                self._others = (revision, table)
            return self._others[1]


# ---------------------------------------------------------------------- the gate, shared with the CLI
def walk_gate(
    kind: str,
    gold_keys: list[str],
    gold: dict[str, Any],
    n: int,
    pass_mark: float,
    answers: dict[str, tuple[str, Any]],
) -> dict[str, Any]:
    """Replay the calibration rounds of one annotator: ``gold_keys`` in the order they meet
    them, rounds of ``n``; a round counts once every item has a first answer in ``answers``
    (a skip scores 0). Returns ``phase``, ``round``, ``score`` (of the last finished round)
    and ``served`` (how many of ``gold_keys`` the rounds used)."""
    rnd, score = 0, None
    while n:
        batch = gold_keys[rnd * n : (rnd + 1) * n]
        if len(batch) < n:
            return {"phase": "blocked", "round": rnd, "score": score, "served": rnd * n}
        entries = [answers.get(key) for key in batch]
        if any(e is None for e in entries):
            return {"phase": "calibration", "round": rnd, "score": score, "served": (rnd + 1) * n}
        score = float(
            np.mean(
                [
                    gold_score(kind, e[1], gold[k]) if e[0] == "label" else 0.0
                    for e, k in zip(entries, batch, strict=True)
                ]
            )
        )
        rnd += 1
        if score >= pass_mark - 1e-12:
            break
    return {"phase": "production", "round": rnd, "score": score, "served": rnd * n}


def first_answers(
    frame: pd.DataFrame, gold: set[str] | dict[str, Any]
) -> dict[str, dict[str, tuple[str, Any]]]:
    """Per annotator, the first label or skip of each gold item: ``{annotator: {key: (kind, value)}}``."""
    answered = frame[frame["kind"].isin(["label", "skip"])]
    out: dict[str, dict[str, tuple[str, Any]]] = {}
    if answered.empty:
        return out
    keys = pd.Series(item_keys(answered), index=answered.index, dtype=object)
    answered = answered.assign(key=keys)[keys.isin(list(gold))]
    answered = answered.sort_values("id", kind="stable").drop_duplicates(["key", "annotator"], keep="first")
    for name, key, kind, value in zip(
        answered["annotator"], answered["key"], answered["kind"], answered["value"], strict=True
    ):
        out.setdefault(name, {})[key] = (kind, value)
    return out


# ---------------------------------------------------------------------- tables shared with the CLI
def gold_accuracy_table(
    config: dict[str, Any], answers: dict[str, dict[str, tuple[str, Any]]]
) -> pd.DataFrame:
    """Per annotator of a session (its stored ``config``): gold items answered, the mean score
    of the first ``answers`` (see :func:`first_answers`; a correction after seeing the answer
    does not count), flagged under ``gold_threshold``."""
    gold = {key: value for key, value in config.get("gold", [])}
    threshold = float(config.get("gold_threshold", 0.9))
    rows = []
    for name in config.get("annotators", []):
        scores = [
            gold_score(config.get("kind", ""), value, gold[key])
            for key, (kind, value) in answers.get(name, {}).items()
            if kind == "label"
        ]
        right = int(sum(s >= 1.0 for s in scores))
        accuracy = float(np.mean(scores)) if scores else float("nan")
        rows.append(
            {
                "annotator": name,
                "gold_answered": len(scores),
                "gold_right": right,
                "gold_accuracy": accuracy,
                "flagged": bool(scores) and accuracy < threshold - 1e-12,
            }  # fmt: skip
        )
    columns = ["annotator", "gold_answered", "gold_right", "gold_accuracy", "flagged"]
    return pd.DataFrame(rows, columns=columns).set_index("annotator")


def progress_table(store: Store, task: str, config: dict[str, Any]) -> pd.DataFrame:
    """Per annotator: assigned production items (planned, plus those received by escalation or
    hand-over, less those handed away), labeled, skipped, remaining, gate phase, gold accuracy,
    flags, median active time; ``received``, ``handed_away`` and ``retired`` (see
    :meth:`Session.retire`)."""
    frame = store.annotations(task)
    gold = {key: value for key, value in config.get("gold", [])}
    production = current_from_annotations(production_events(frame, gold))
    answers = first_answers(frame, gold)
    accuracy = gold_accuracy_table(config, answers)
    log = log_summary(store.session_log(task), list(config.get("annotators", [])))
    rows = []
    for name in config.get("annotators", []):
        mine = production[production["annotator"] == name]
        labeled = int((mine["kind"] == "label").sum())
        skipped = int((mine["kind"] == "skip").sum())
        received = log["escalated_to"][name] + log["received"][name]
        assigned = int(config.get("assigned", {}).get(name, 0)) + received - log["handed_away"][name]
        flags = frame[(frame["kind"] == "flag") & (frame["annotator"] == name)]["item_id"].nunique()
        active = frame[(frame["annotator"] == name) & (frame["kind"] == "label")]["active_ms"].dropna()
        phase = "production"
        if config.get("calibration"):
            seq = gold_sequence(len(config["gold"]), name, config.get("seed", 0))
            gold_keys = [config["gold"][i][0] for i in seq.tolist()]
            gate = walk_gate(config["kind"], gold_keys, gold, int(config["calibration"]),
                             float(config.get("pass_mark", 0.8)), answers.get(name, {}))  # fmt: skip
            phase = gate["phase"]
        rows.append(
            {
                "annotator": name, "assigned": assigned, "labeled": labeled, "skipped": skipped,
                "remaining": max(0, assigned - labeled - skipped), "phase": phase,
                "gold_answered": int(accuracy.loc[name, "gold_answered"]),
                "gold_accuracy": accuracy.loc[name, "gold_accuracy"],
                "gold_flagged": bool(accuracy.loc[name, "flagged"]), "flags": int(flags),
                "median_active_ms": float(active.median()) if len(active) else float("nan"),
                "received": received, "handed_away": log["handed_away"][name],
                "retired": name in log["retired"],
            }
        )  # fmt: skip
    return pd.DataFrame(rows).set_index("annotator") if rows else pd.DataFrame()


# ---------------------------------------------------------------------- checks
def _check_widget(widget: Any, data: Any, options: dict[str, Any]) -> None:
    """``widget=`` is a labeling widget class, ``data=`` a DataFrame, and the widget options
    leave to the session what it sets itself."""
    if not isinstance(widget, type) or not getattr(widget, "kind", ""):
        raise TypeError(f"widget= must be a labeling widget class such as nl.Classify, got {widget!r}")
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data= must be a pandas DataFrame, got {type(data).__name__}")
    order = options.get("order")
    active = isinstance(order, str) and order in STRATEGIES and order not in data.columns
    if order is not None and not active and not (callable(order) and options.get("model") is not None):
        raise TypeError(
            f"order={order!r}: in a session, order= is an active ordering of each annotator's production "
            f"items ({', '.join(map(repr, STRATEGIES))}, or a callable scoring model= probabilities); "
            "a column's priorities are not used (the plan serves a seeded random order)"
        )
    for name in ("annotator", "store", "task", "guidelines"):
        if name in options:
            raise TypeError(f"{name}= is set by the session; pass it to nl.Session, not to the widget")


def _split_gold(
    data: pd.DataFrame, gold: str | pd.DataFrame | None, explanation: str | None, options: dict[str, Any]
) -> tuple[pd.DataFrame, list[Any], dict[str, str]]:
    """Production rows then gold rows in one frame without the answer and explanation columns;
    the answers in pool order; explanations by item key."""
    hidden = [c for c in (gold if isinstance(gold, str) else None, explanation) if c is not None]
    if isinstance(gold, str):
        if gold not in data.columns:
            raise KeyError(f"gold={gold!r}: no column {gold!r} in data; columns: {list(data.columns)}")
        has = np.array([not is_missing(v) for v in data[gold]], dtype=bool)
        production, pool = data[~has], data[has]
        answers = list(pool[gold])
    elif isinstance(gold, pd.DataFrame):
        if GOLD_COLUMN not in gold.columns:
            raise KeyError(
                f"a gold DataFrame needs a {GOLD_COLUMN!r} column of answers; columns: {list(gold.columns)}"
            )
        needed = [v for v in _column_options(options) if v in data.columns and v not in gold.columns]
        if needed:
            raise KeyError(
                f"the gold DataFrame lacks the item column(s) {needed}; columns: {list(gold.columns)}"
            )
        missing = [row for row, v in gold[GOLD_COLUMN].items() if is_missing(v)]
        if missing:
            raise ValueError(
                f"the gold DataFrame has no answer in row {missing[0]!r} (column {GOLD_COLUMN!r})"
            )
        clash = data.index.intersection(gold.index)
        if len(clash):
            raise ValueError(
                f"item id {clash[0]!r} is both in data and in the gold DataFrame; ids must differ"
            )
        production, pool = data, gold
        answers = list(gold[GOLD_COLUMN])
        hidden.append(GOLD_COLUMN)
    elif gold is None:
        production, pool, answers = data, data.iloc[:0], []
    else:
        raise TypeError(f"gold= must be a column name or a DataFrame, got {type(gold).__name__}")
    explanations: dict[str, str] = {}
    if explanation is not None:
        source = pool if explanation in pool.columns else None
        if source is None:
            raise KeyError(f"explanation={explanation!r}: no column {explanation!r} with the gold items")
        for key, text in zip(ids.encode_many(pool.index), pool[explanation], strict=True):
            if not is_missing(text):
                explanations[key] = str(text)
    frame = pd.concat([production, pool]) if len(pool) else production
    frame = frame.drop(columns=[c for c in hidden if c in frame.columns])
    return frame, answers, explanations


def _column_options(options: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for value in options.values():
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, (list, tuple)):
            names.extend(v for v in value if isinstance(v, str))
    return names


def _check_annotators(annotators: Any) -> list[str]:
    if isinstance(annotators, str) or not hasattr(annotators, "__iter__"):
        raise TypeError(f"annotators= must be a list of names, got {annotators!r}")
    names = list(annotators)
    if not names:
        raise ValueError("annotators= must name at least one annotator")
    for name in names:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"annotator {name!r} must be a non-empty string")
        check_name(name, "annotator")
    if len(set(names)) != len(names):
        raise ValueError(f"annotators= names someone twice: {names}")
    return names


def _check_escalate(escalate: Any) -> str | float | None:
    """``None``, ``"disagreement"`` or a confidence threshold in (0, 1]."""
    if escalate is None or escalate == DISAGREEMENT:
        return escalate
    if isinstance(escalate, str):
        raise ValueError(
            f"escalate={escalate!r} must be {DISAGREEMENT!r} or a confidence threshold such as 0.8"
        )
    threshold = _check_share("escalate", escalate)
    if threshold <= 0:
        raise ValueError("escalate=0 would never escalate: give a confidence threshold above 0, such as 0.8")
    return threshold


def _check_max_overlap(max_overlap: Any, overlap: int, escalate: str | float | None, n: int) -> int:
    """``max_overlap``: ``overlap`` without escalation, else above it (default ``overlap + 1``)."""
    if escalate is None:
        if max_overlap is not None and max_overlap != overlap:
            raise ValueError(
                f"max_overlap={max_overlap} needs escalate= ('disagreement' or a confidence threshold): "
                f"without it every item has overlap={overlap} annotators"
            )
        return overlap
    if max_overlap is None:
        if overlap >= n:
            raise ValueError(f"escalate= needs an annotator to escalate to: overlap={overlap} uses all {n}")
        return overlap + 1
    value = _check_int("max_overlap", max_overlap, overlap, n)
    if value == overlap:
        raise ValueError(
            f"max_overlap={value} leaves no room to escalate: it must be above overlap={overlap}"
        )
    return value


def _check_keys(keys: list[str], index: pd.Index) -> None:
    """No item id may look like a repeat's (see :mod:`nblabel.sessions.repeats`)."""
    clash = next((i for i, key in enumerate(keys) if key.startswith(PREFIX)), None)
    if clash is not None:
        raise ValueError(
            f"item id {index[clash]!r} starts with {PREFIX!r}, which sessions keep for repeated items"
        )


def _check_int(name: str, value: Any, low: int, high: int | None) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{name}= must be an integer, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValueError(f"{name}={value} must be {bound}")
    return int(value)


def _check_share(name: str, value: Any, upper_open: bool = False) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value != value:
        raise TypeError(f"{name}= must be a number between 0 and 1, got {value!r}")
    if value < 0 or value > 1 or (upper_open and value >= 1):
        raise ValueError(f"{name}={value} must be between 0 and {'1 (exclusive)' if upper_open else '1'}")
    return float(value)


def _cat(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate(parts).astype(np.int64) if parts else np.zeros(0, dtype=np.int64)
