"""The seam between widgets and sessions: ``nl.Adjudicate`` is a real class for every widget
kind, widgets satisfy the ``Labeler`` protocol, and a session's policies reach a widget only
through it (never a private attribute)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from PIL import Image

import nblabel as nl
from nblabel.adjudication import AdjudicationPolicy
from nblabel.core.policy import QueuePolicy
from nblabel.sessions.policy import Labeler
from nblabel.sessions.session import LabelerPolicy

sys.path.insert(0, str(Path(__file__).parent))
from _driver import Browser  # noqa: E402

PACKAGE = Path(nl.__file__).parent


# ---------------------------------------------------------------------- one session per widget kind
def _classify(path: Path) -> tuple[nl.Session, list[Any]]:
    df = pd.DataFrame({"text": ["a", "b", "c"], "gold": [None, None, "pos"]})
    s = nl.Session(path, "cls", widget=nl.Classify, data=df, annotators=["ana", "ben"], overlap=2,
                   gold="gold", gold_rate=0.0, text="text", labels=["pos", "neg"])  # fmt: skip
    return s, ["pos", "neg"]


def _spans(path: Path) -> tuple[nl.Session, list[Any]]:
    df = pd.DataFrame({"text": ["Ada met Bob", "Paris in May"]})
    s = nl.Session(path, "ner", widget=nl.Spans, data=df, annotators=["ana", "ben"], overlap=2,
                   text="text", labels=["PER", "LOC"])  # fmt: skip
    return s, [[{"start": 0, "end": 3, "label": "PER"}], [{"start": 0, "end": 3, "label": "LOC"}]]


def _boxes(path: Path) -> tuple[nl.Session, list[Any]]:
    image = path.parent / "a.png"
    Image.new("RGB", (100, 80), "white").save(image)
    df = pd.DataFrame({"image": [str(image)] * 2})
    s = nl.Session(path, "det", widget=nl.Boxes, data=df, annotators=["ana", "ben"], overlap=2,
                   image="image", labels=["car", "bus"])  # fmt: skip
    box = {"x": 10, "y": 10, "w": 20, "h": 20}
    return s, [[{**box, "label": "car"}], [{**box, "label": "bus"}]]


def _compare(path: Path) -> tuple[nl.Session, list[Any]]:
    df = pd.DataFrame({"p": ["q1", "q2"], "x": ["a1", "a2"], "y": ["b1", "b2"]})
    s = nl.Session(path, "pref", widget=nl.Compare, data=df, annotators=["ana", "ben"], overlap=2,
                   prompt="p", a="x", b="y")  # fmt: skip
    return s, [{"choice": "A", "strength": 2}, {"choice": "B", "strength": 1}]


KINDS = {"Classify": _classify, "Spans": _spans, "Boxes": _boxes, "Compare": _compare}


def _disagreeing(kind: str, tmp_path: Path) -> tuple[nl.Session, list[Any]]:
    """Every production item labeled by ana and ben with different values."""
    s, (first, second) = KINDS[kind](tmp_path / "s.db")
    for name, value in (("ana", first), ("ben", second)):
        w = s.labeler(name)
        while w.current is not None:
            w.annotate(w.current, value)
    return s, [first, second]


def _combined(adj: Any) -> type:
    """``Adjudicate<Widget>`` of an instance (anywidget gives each instance a subclass of its own
    class, made by ``add_traits``)."""
    return next(c for c in type(adj).__mro__ if nl.Adjudicate in c.__bases__)


@pytest.mark.parametrize("kind", list(KINDS))
def test_adjudicate_is_a_real_class_for_every_widget_kind(kind: str, tmp_path: Path) -> None:
    s, (_first, second) = _disagreeing(kind, tmp_path)
    widget = getattr(nl, kind)
    adj = nl.Adjudicate(s, adjudicator="boss")
    assert isinstance(adj, nl.Adjudicate) and isinstance(adj, widget)
    assert type(adj).__name__ == f"Adjudicate{kind}" and type(adj).__module__ == "nblabel.adjudication"
    again = nl.Adjudicate(s, adjudicator="boss", review_all=True)
    assert _combined(again) is _combined(adj)  # one combined class per widget class
    assert issubclass(type(adj), nl.Adjudicate) and not isinstance(s.labeler("ana"), nl.Adjudicate)
    # it adjudicates: every production item disagrees, ben's value decides the first
    assert adj.queue.size == s.n_production
    item = adj.current
    adj.pick(item, "ben", rationale="ben is right")
    final = s.final_labels()
    assert final.loc[item, "status"] == "adjudicated" and final.loc[item, "agreed_with"] == ["ben"]
    assert final.loc[item, "rationale"] == "ben is right"
    # the browser's "ambiguous" message goes through Adjudicate's own handler and is acknowledged
    b = Browser(adj)
    window = b.hello()
    b.send({"type": "ambiguous", "key": window["current"], "comment": "both fit"}, tracked=True)
    assert b.out.acked() == [1]
    statuses = s.final_labels()["status"]
    assert (statuses == "ambiguous").sum() == 1
    for w in (adj, again):
        w.close()
    s.close()


def test_adjudicate_called_on_its_combined_class_builds_the_same(tmp_path: Path) -> None:
    s, _values = _disagreeing("Classify", tmp_path)
    first = nl.Adjudicate(s, adjudicator="boss")
    second = _combined(first)(s, adjudicator="boss")
    assert _combined(second) is _combined(first) and second.queue.size == first.queue.size
    s.close()


# ---------------------------------------------------------------------- the Labeler protocol
def _protocol_members(protocol: type) -> set[str]:
    names = {n for n in vars(protocol) if not n.startswith("_")}
    return names | set(getattr(protocol, "__annotations__", {}))


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_widget_kind_is_a_labeler_and_policies_are_queue_policies(kind: str, tmp_path: Path) -> None:
    s, _values = KINDS[kind](tmp_path / "s.db")
    w = s.labeler("ana")
    assert isinstance(w, Labeler)
    assert isinstance(w._policy, LabelerPolicy) and isinstance(w._policy, QueuePolicy)
    assert isinstance(AdjudicationPolicy(s, False), QueuePolicy)
    # the policy-facing names clash with nothing a widget already had
    assert _protocol_members(Labeler) == {
        "guidelines", "label_set", "item_key", "standing", "describe", "browser_value", "validate_gold",
        "show_session", "use_guidelines", "extend_queue", "use_policy", "send", "close",
    }  # fmt: skip
    s.close()


class _OnlyLabeler:
    """A widget seen through the ``Labeler`` protocol: any other attribute fails the test."""

    def __init__(self, widget: Any) -> None:
        object.__setattr__(self, "_widget", widget)
        object.__setattr__(self, "_allowed", _protocol_members(Labeler))

    def __getattr__(self, name: str) -> Any:
        if name not in self._allowed:
            raise AssertionError(f"a policy read {name!r}, which is not in the Labeler protocol")
        return getattr(self._widget, name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AssertionError(f"a policy set {name!r} on the widget")


class _Guarded:
    """Hands a policy the guarded widget instead of the real one."""

    def __init__(self, policy: Any, widget: Any) -> None:
        self.policy, self.seen = policy, _OnlyLabeler(widget)

    def queue(self, w: Any) -> Any:
        return self.policy.queue(self.seen)

    def advance(self, w: Any, pos: int) -> None:
        self.policy.advance(self.seen, pos)

    def item_fields(self, w: Any, pos: int) -> dict[str, Any]:
        return self.policy.item_fields(self.seen, pos)

    def may_open_more(self) -> bool:
        return self.policy.may_open_more()

    def handle(self, w: Any, msg: dict[str, Any]) -> bool:
        return self.policy.handle(self.seen, msg)


def test_the_session_policy_uses_only_the_labeler_protocol(tmp_path: Path) -> None:
    """Calibration (the gate opening), training feedback, revealed labels and a guidelines
    revision, with the policy handed a widget that refuses everything outside the protocol."""
    df = pd.DataFrame(
        {"text": [f"t{i}" for i in range(8)], "gold": [None] * 4 + ["pos", "neg", "pos", "neg"]}
    )
    s = nl.Session(tmp_path / "s.db", "cal", widget=nl.Classify, data=df, annotators=["ana", "ben"],
                   overlap=2, gold="gold", calibration=2, pass_mark=0.5, feedback=True, gold_rate=0.0,
                   text="text", labels=["pos", "neg"], guidelines="# v1")  # fmt: skip
    ben = s.labeler("ben")
    while ben.current is not None:  # gold right, production "neg"
        ben.annotate(ben.current, s.gold.get(str(ben.current), "neg"))
    w = s.labeler("ana")
    policy = w._policy
    guarded = _Guarded(policy, w)
    w.use_policy(guarded)
    b = Browser(w)
    window = b.hello()
    assert window["more"] is True and w.queue.size == 2  # calibration: the gate is closed
    for _ in range(2):
        key = window["current"]
        window = b.label(key, ["pos", "neg"].index(s.gold[key]))  # the browser sends label indexes
    assert b.out.last("feedback")["correct"] is True
    assert w.session_status["phase"] == "production" and w.queue.size == 6  # extend_queue opened it
    s.reveal()
    policy._revealed_at = -1e9  # skip the poll interval
    b.label(window["current"], 0)
    shown = b.send({"type": "goto", "key": window["current"]})
    others = next(i for i in shown["items"] if i["key"] == window["current"])["others"]
    assert others == [{"annotator": "ben", "text": "neg"}]
    s._labelers.pop(w)  # the revision reaches ana through the guarded policy, as in another process
    s.revise_guidelines("# v2", note="clearer")
    assert w.guidelines.markdown == "# v1"
    policy._checked = -1e9  # skip the poll interval: the next answer picks the new version up
    b.label(window["current"], 0)
    assert w.guidelines.markdown == "# v2" and "updated" in w.session_status["notice"]
    s.close()


def test_the_adjudication_policy_uses_only_the_labeler_protocol(tmp_path: Path) -> None:
    s, _values = _disagreeing("Compare", tmp_path)
    adj = nl.Adjudicate(s, adjudicator="boss")
    adj.use_policy(_Guarded(adj._adjudication, adj))
    window = Browser(adj).hello()
    review = next(i for i in window["items"] if i["key"] == window["current"])["review"]
    assert {r["annotator"] for r in review} == {"ana", "ben"} and all(r["value"] for r in review)
    s.close()


def test_session_code_reads_no_private_widget_attribute() -> None:
    """In ``nblabel/sessions`` and ``nblabel/adjudication.py`` a private attribute is read only on
    ``self``, ``cls`` or the policy's own session, never on a widget (``w._state``...)."""
    offending = []
    for path in [*sorted((PACKAGE / "sessions").glob("*.py")), PACKAGE / "adjudication.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            private = isinstance(node, ast.Attribute) and node.attr.startswith("_")
            if not private or node.attr.startswith("__"):
                continue
            owner = ast.unparse(node.value)
            if owner not in ("self", "cls", "self.session"):
                offending.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert offending == []
