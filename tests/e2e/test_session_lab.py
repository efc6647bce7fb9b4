"""Calibration sessions end to end in JupyterLab + Chromium: two annotators in two notebooks
(two kernels) on one SQLite store, the calibration gate, blind labeling checked on the raw
websocket frames the page receives, reveal, training mode with gold feedback rendered as text,
and adjudication of the disagreements."""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
# The README's screenshots are refreshed with NBLABEL_SCREENSHOT=1; other runs write them to the
# test's temp dir, so a test run leaves the work tree clean.
SESSION_SCREENSHOT = REPO / "docs" / "images" / "session.png"
ADJUDICATE_SCREENSHOT = REPO / "docs" / "images" / "adjudicate.png"
PWN = "window.__pwned=true"

# Names searched for in the raw websocket frames: none of them can occur by accident (no
# hex digit run, JSON key, JupyterLab message or random id contains them).
ANA, BEN, CY = "anaxqj7", "benzvqk7", "cywpjf4"
ZETA = ["zetapos", "zetaneg"]  # distinctive labels (keys 1 and 2) for the blind-labeling test
LABELS = ["positive", "negative"]  # the README's screenshots

#: The notebook's first cell: data, names and settings come from session.json, so the code
#: (which the kernel echoes to every page as execute_input) names no annotator and holds no
#: gold answer or explanation.
SETUP = """\
import json
import pandas as pd
import nblabel as nl
cfg = json.load(open("session.json"))
df = pd.DataFrame(cfg["rows"]).set_index("id")
session = nl.Session(cfg["store"], cfg["task"], widget=nl.Classify, data=df, **cfg["options"])
"""

PROBE = """\
print("PROBE " + json.dumps({
    "phase": w._session.get("phase"),
    "current": None if w.current is None else str(w.current),
    "current_is_gold": w.current is not None and str(w.current) in session.gold,
}))
"""

#: The state of every widget model in the notebook on screen, as JSON, without the bundle
#: (``_esm``, ``_css``): from the ipywidgets manager behind each rendered widget output
#: (``WidgetRenderer._manager``, a JupyterLab internal: the tests check the dump holds the widget).
MODEL_STATE = """
async () => {
  const renderers = [], seen = new Set();
  const walk = (w) => {
    if (!w || seen.has(w)) return;
    seen.add(w);
    if (w._manager && w._manager.promise) renderers.push(w);
    for (const child of (w.widgets || (w.layout && w.layout.widgets) || [])) walk(child);
  };
  walk(window.jupyterapp.shell.currentWidget);
  const states = {};
  for (const renderer of renderers) {
    const manager = await renderer._manager.promise;
    for (const [id, promise] of Object.entries(manager._models || {})) {
      const { _esm, _css, ...state } = (await promise).get_state();
      states[id] = state;
    }
  }
  return JSON.stringify(states);
}
"""


# ----------------------------------------------------------------------------- helpers
class Frames:
    """Every websocket frame a page receives, in arrival order (attach before the page loads).

    Playwright delivers a frame event before the reply of any later command, so the frames
    counted by :meth:`mark` just before a key press all arrived before that key press.

    Left out: the kernel's ``history_reply`` (JupyterLab asks for the input history when it
    connects). IPython keeps one history database per OS user, so on this machine it holds the
    code of every notebook any test ever ran, whatever notebook asks; it is not what nblabel
    sends. (The notebooks here name no annotator in their code anyway: see ``SETUP``.)"""

    def __init__(self, page: Page) -> None:
        self.raw: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload: str | bytes) -> None:
        frame = payload.encode("utf-8") if isinstance(payload, str) else bytes(payload)
        msg = _decode(frame)
        if msg is None or msg.get("header", {}).get("msg_type") != "history_reply":
            self.raw.append(frame)

    def mark(self) -> int:
        return len(self.raw)

    def text(self, start: int = 0, end: int | None = None) -> str:
        return "\n".join(f.decode("utf-8", errors="replace") for f in self.raw[start:end])

    def customs(self, start: int = 0, end: int | None = None) -> list[dict[str, Any]]:
        """The widget messages (``model.send`` from the kernel) among the frames."""
        out = []
        for frame in self.raw[start:end]:
            msg = _decode(frame)
            if msg is None or msg.get("header", {}).get("msg_type") != "comm_msg":
                continue
            data = msg.get("content", {}).get("data", {})
            if data.get("method") == "custom" and isinstance(data.get("content"), dict):
                out.append(data["content"])
        return out

    def window_keys(self, start: int = 0, end: int | None = None) -> set[str]:
        """Every item key the kernel sent to the page in a window message."""
        return {i["key"] for m in self.customs(start, end) if m.get("type") == "window" for i in m["items"]}


def _decode(frame: bytes) -> dict[str, Any] | None:
    """A kernel message from a frame: JupyterLab's binary v1 protocol (a count of offsets, the
    offsets, then channel, header, parent header, metadata, content and buffers) or JSON."""
    try:
        if frame[:1] == b"{":
            return json.loads(frame)
        n = int.from_bytes(frame[:8], "little")
        offsets = [int.from_bytes(frame[8 + 8 * i : 16 + 8 * i], "little") for i in range(n)]
        parts = [frame[offsets[i] : offsets[i + 1]] for i in range(n - 1)]
        header, _parent, _metadata, content = (json.loads(p) for p in parts[1:5])
        return {"channel": parts[0].decode(), "header": header, "content": content}
    except (ValueError, IndexError, UnicodeDecodeError):
        return None


@dataclass
class SessionFolder:
    """A folder in the server's root with session.json (data + settings) and notebooks."""

    folder: Path
    task: str
    production: dict[int, str]  # id -> text
    gold: dict[int, tuple[str, str, str]]  # id -> (text, answer, explanation)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def db(self) -> Path:
        return self.folder / f"{self.task}.db"

    def rows(self) -> list[dict[str, Any]]:
        rows = [{"id": i, "text": t, "answer": None, "why": None} for i, t in self.production.items()]
        return rows + [{"id": i, "text": t, "answer": a, "why": w} for i, (t, a, w) in self.gold.items()]

    def data(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows()).set_index("id")

    def write(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        config = {"store": self.db.name, "task": self.task, "rows": self.rows(), "options": self.options}
        (self.folder / "session.json").write_text(json.dumps(config))

    def notebook(self, name: str, *cells: str) -> str:
        harness.write_notebook(self.folder / name, [SETUP, *cells])
        return f"{self.folder.name}/{name}"

    def session(self) -> nl.Session:
        """The same session built in this (the test's) process; close ``.store`` after use."""
        return nl.Session(str(self.db), self.task, widget=nl.Classify, data=self.data(), **self.options)


def open_page(browser: Any) -> Page:
    """A second page in its own browser context (its own JupyterLab workspace)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="light")
    other = context.new_page()
    other.set_default_timeout(30_000)
    other.set_default_navigation_timeout(60_000)
    return other


def shown(page: Page) -> str:
    """The key of the item on screen (waits for one)."""
    handle = page.wait_for_function(
        """(sel) => { const r = document.querySelector(sel);
                      return !!r && r.dataset.state === 'item' && r.dataset.key; }""",
        arg=harness.WIDGET,
    )
    key = handle.json_value()
    expect(page.locator(harness.WIDGET).locator(".nbl-item-id")).to_contain_text(f"Item {key} ·")
    return key


def press(page: Page, key: str, done: set[str], *, frames: Frames | None = None) -> str | None:
    """Press ``key`` in the focused widget and wait for an item not in ``done``. With the page's
    ``frames``, ``None`` when the kernel says nothing is left. The widget must never say "All
    done" while the kernel may still open items (``more`` at the calibration gate)."""
    mark = frames.mark() if frames is not None else 0
    page.keyboard.press(key)
    deadline = time.monotonic() + 20
    while True:
        state, shown_key = page.evaluate(
            "(sel) => { const r = document.querySelector(sel);"
            " return r ? [r.dataset.state, r.dataset.key] : [null, null]; }",
            harness.WIDGET,
        )
        if state == "item" and shown_key not in done:
            return shown_key
        if frames is not None and state == "done":
            windows = [m for m in frames.customs(mark) if m.get("type") == "window"]
            before = [m for m in frames.customs(0, mark) if m.get("type") == "window"]
            assert not (before and before[-1].get("more") and not windows), (
                f"after key {key!r} the widget said 'All done' at the calibration gate"
            )
            if windows and windows[-1]["current"] is None:
                return None
        if time.monotonic() > deadline:
            text = page.locator(harness.WIDGET).first.inner_text()
            raise AssertionError(f"after key {key!r} (done: {sorted(done)}) the widget shows {state}: {text}")
        page.wait_for_timeout(30)


def label_shown(
    page: Page, value: str, labels: list[str], done: set[str], log: list[tuple[str, str]], **kw: Any
) -> str | None:
    """Label the item on screen ``value`` by its key (1, 2, ... in ``labels``); record
    (item key, value) in ``log``; return the next item's key."""
    key = shown(page)
    done.add(key)
    log.append((key, value))
    return press(page, str(labels.index(value) + 1), done, **kw)


def probe(page: Page, cell: int) -> dict[str, Any]:
    out = harness.run_cell(page, cell)
    lines = [line for line in out.splitlines() if line.startswith("PROBE ")]
    assert lines, f"the probe cell printed no PROBE line:\n{out}"
    return json.loads(lines[-1][len("PROBE ") :])


def wrong(value: str, labels: list[str]) -> str:
    return labels[1 - labels.index(value)]


def stored(frame: pd.DataFrame, annotator: str) -> list[tuple[str, str, Any]]:
    mine = frame[frame["annotator"] == annotator]
    return [(str(i), k, v) for i, k, v in zip(mine["item_id"], mine["kind"], mine["value"], strict=True)]


def expect_no_injection(page: Page, widget: Any, dialogs: list) -> None:
    assert widget.locator("img, svg, script, iframe, b, i").count() == 0
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []


# ----------------------------------------------------------------------------- tests
def test_two_annotators_pass_the_gate_label_blind_and_see_each_other_after_reveal(
    lab, lab_root: Path, lab_page: Page, browser, dialogs
) -> None:
    page = lab_page
    production = {i: f"Review {i}: {t}" for i, t in zip(range(101, 113), "abcdefghijkl", strict=True)}
    answers = ["zetapos", "zetaneg", "zetaneg", "zetapos", "zetapos", "zetaneg"]
    gold = {
        201 + n: (f"Gold review {201 + n}.", a, f"WHY{201 + n}tok: rule {n}") for n, a in enumerate(answers)
    }
    sf = SessionFolder(
        lab_root / "session-cal",
        "cal",
        production,
        gold,
        {
            "annotators": [ANA, BEN, CY], "overlap": 2, "gold": "answer", "gold_rate": 0.1,
            "calibration": 2, "pass_mark": 1.0, "feedback": False, "explanation": "why", "seed": 0,
            "text": "text", "labels": ZETA,
        },
    )  # fmt: skip
    sf.write()
    # (the names come from session.json: code is echoed to the page and kept in IPython's history)
    a_nb = sf.notebook("a.ipynb", 'w = session.labeler(cfg["options"]["annotators"][0])\nw', PROBE)
    b_nb = sf.notebook("b.ipynb", 'w = session.labeler(cfg["options"]["annotators"][1])\nw')
    secrets = (BEN, CY, *(f"WHY{i}tok" for i in gold))  # never on ana's page before the reveal
    session = sf.session()  # the same plan, computed in this process
    try:
        assigned = session.assignments()["annotators"]
        mine = {name: {str(i) for i, names in assigned.items() if name in names} for name in (ANA, BEN)}
        shared = mine[ANA] & mine[BEN]
        answer = {str(i): a for i, (_, a, _) in gold.items()}
        assert session.gold == answer

        # ---- ana's notebook: every frame her page receives is recorded
        frames = Frames(page)
        harness.open_notebook(page, lab, a_nb)
        harness.run_all(page)
        widget = page.locator(harness.WIDGET)
        expect(widget).to_have_count(1)
        line = widget.locator(".nbl-session")
        expect(line).to_have_text(
            "Calibration: label these 2 items first. The other items open at 100% right."
        )
        harness.focus_widget(page)
        done: set[str] = set()
        ana_log: list[tuple[str, str]] = []
        # round 1: the wrong label on both calibration items
        round1 = []
        for _ in range(2):
            key = shown(page)
            assert key in answer, f"calibration served production item {key}"
            round1.append(key)
            label_shown(page, wrong(answer[key], ZETA), ZETA, done, ana_log)
        expect(line).to_have_text(
            "Calibration round 1: 0% right, under the pass mark of 100%. Here are 2 fresh items (round 2)."
        )
        key = shown(page)
        assert key in answer and key not in round1
        # no production item reached the page, or the store
        served = frames.window_keys()
        assert served and served <= set(answer), f"served before passing: {served - set(answer)}"
        events = harness.wait_for_events(sf.db, sf.task, 2)
        assert stored(events, ANA) == [(k, "label", v) for k, v in ana_log]
        assert probe(page, 2) == {"phase": "calibration", "current": key, "current_is_gold": True}

        # round 2: the right labels open the gate
        harness.focus_widget(page)
        for _ in range(2):
            key = shown(page)
            assert key in answer and key not in round1
            nxt = label_shown(page, answer[key], ZETA, done, ana_log)
        expect(line).to_have_text("Calibration passed (100% right). All your items are open.")
        assert nxt in mine[ANA] | set(answer)
        state = probe(page, 2)
        assert state["phase"] == "production" and state["current"] == nxt

        # ana labels four items: production "zetapos", gold its answer
        harness.focus_widget(page)
        for _ in range(4):
            key = shown(page)
            label_shown(page, answer.get(key, "zetapos"), ZETA, done, ana_log)
        labeled_shared = [k for k, _ in ana_log if k in shared]
        assert labeled_shared, "ana labeled no item shared with ben: pick another seed"

        # ---- ben's notebook, in another browser context: calibration right, then everything
        ben_page = open_page(browser)
        try:
            ben_frames = Frames(ben_page)
            harness.open_notebook(ben_page, lab, b_nb)
            harness.run_all(ben_page)
            ben_widget = ben_page.locator(harness.WIDGET)
            expect(ben_widget).to_have_count(1)
            harness.focus_widget(ben_page)
            ben_done: set[str] = set()
            ben_log: list[tuple[str, str]] = []
            nxt = shown(ben_page)
            while nxt is not None:
                value = answer.get(nxt, "zetaneg")
                nxt = label_shown(ben_page, value, ZETA, ben_done, ben_log, frames=ben_frames)
            expect(ben_widget.locator(".nbl-session")).to_have_text(
                "Calibration passed (100% right). All your items are open."
            )
            expect(ben_widget).to_contain_text("All done.")
            expect(ben_widget.locator(".nbl-save")).to_have_text("All changes saved")
            # blind both ways: ana's labels were in the store all along
            ben_received = ben_frames.text()
            assert BEN in ben_received and ANA not in ben_received and CY not in ben_received
        finally:
            ben_page.context.close()
        assert {k for k, _ in ben_log} - set(answer) == mine[BEN]

        # ana labels one more item (a window pushed with ben's labels in the store)
        harness.focus_widget(page)
        key = shown(page)
        label_shown(page, answer.get(key, "zetapos"), ZETA, done, ana_log)
        expect(widget.locator(".nbl-save")).to_have_text("All changes saved")

        # nothing of ben, cy or the gold explanations reached ana's page: frames and model state
        before_reveal = frames.mark()
        received = frames.text()
        assert ANA in received  # (the search works: her own name is in her config)
        model_state = page.evaluate(MODEL_STATE)
        assert ANA in model_state and '"_session"' in model_state  # (the dump holds the widget)
        for secret in secrets:
            assert secret not in received, f"{secret!r} reached ana's page before the reveal"
            assert secret not in model_state, f"{secret!r} is in the widget state on ana's page"
        expect(widget.locator(".nbl-others")).to_be_hidden()

        # ---- the store, read from this process: every key press, in order, nothing lost
        frame = harness.wait_for_events(sf.db, sf.task, len(ana_log) + len(ben_log))
        assert len(frame) == len(ana_log) + len(ben_log)
        assert stored(frame, ANA) == [(k, "label", v) for k, v in ana_log]
        assert stored(frame, BEN) == [(k, "label", v) for k, v in ben_log]
        assert set(frame["annotator"]) == {ANA, BEN}
        assert frame["active_ms"].notna().all(), "key-press labels carry their active time"
        for name in (ANA, BEN):  # each labeled only the production items assigned to them
            items = {str(i) for i in frame[frame["annotator"] == name]["item_id"]}
            assert items - set(answer) <= mine[name], f"{name} labeled items assigned to others"
        progress = session.progress()
        assert progress.loc[ANA, "phase"] == "production" and progress.loc[BEN, "phase"] == "production"
        assert progress.loc[BEN, "remaining"] == 0

        # ---- reveal: within the poll interval ana's page shows ben's label on a shared item
        session.reveal()
        target = labeled_shared[-1]
        for _ in range(len(done)):
            if shown(page) == target:
                break
            page.keyboard.press("ArrowLeft")
        assert shown(page) == target
        others = widget.locator(".nbl-others")
        for _ in range(40):  # ~0.3 s each: stepping away and back fetches the item again
            if others.is_visible():
                break
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowLeft")
            page.wait_for_timeout(250)
        assert shown(page) == target
        expect(others).to_have_text(f"Other annotators: {BEN} zetaneg")
        assert BEN in frames.text(before_reveal)  # the reveal did arrive by websocket
        assert CY not in frames.text()  # cy labeled nothing
        assert dialogs == []
    finally:
        session.store.close()


#: Gold items of the training session, in the order ana meets them (the first one's feedback
#: is in the README's screenshot; the others carry markup that must stay text).
TRAINING_GOLD = [
    ("Great, it broke after one use.", "negative",
     "Sarcasm: “great, it broke” praises nothing. Judge the outcome, not the wording."),
    ("Not bad at all, honestly.", "positive", None),
    ("Too small, returned it.", "negative", None),
    ("Exactly as described.", "positive", None),
    ("The strap snapped on day two.", "negative", None),
    ("Would buy again.", "positive", None),
    ("Support never answered.", "negative", None),
    ("Quiet, fast and cheap.", "positive", None),
]  # fmt: skip


@pytest.mark.browser_context_args(device_scale_factor=2)  # a crisp screenshot for the README
def test_training_mode_shows_gold_feedback_as_text_only_after_submission(
    lab, lab_root: Path, lab_page: Page, dialogs, tmp_path: Path
) -> None:
    page = lab_page
    production = {
        101: "Arrived a day late, works perfectly.",
        102: "Five stars, my dog loves it.",
        103: "The lid leaks.",
        104: "Cheaper than in the shop.",
        105: "It does what it says.",
        106: "Not worth the price.",
        107: "Battery lasts all week.",
        108: "Smells of plastic.",
    }
    options = {
        "annotators": ["ana"], "overlap": 1, "gold": "answer", "gold_rate": 0.2, "calibration": 2,
        "pass_mark": 0.5, "feedback": True, "explanation": "why", "seed": 3, "text": "text", "labels": LABELS,
    }  # fmt: skip
    # The order ana meets the gold items depends on their number and the seed only: find it
    # first, then give the first one in that order the first item of TRAINING_GOLD, and so on.
    ids = list(range(201, 201 + len(TRAINING_GOLD)))
    scratch = SessionFolder(tmp_path, "order", production, {i: ("", "positive", "") for i in ids}, options)
    scratch_session = scratch.session()
    try:
        order = [str(scratch_session.frame.index[p]) for p in scratch_session.gold_positions("ana")]
    finally:
        scratch_session.store.close()
    gold: dict[int, tuple[str, str, str]] = {}
    token: dict[str, str] = {}  # key -> a piece of its explanation found nowhere else
    for key, (text, value, why) in zip(order, TRAINING_GOLD, strict=True):
        token[key] = "Judge the outcome, not the wording" if why else f"WHY{key}tok"
        gold[int(key)] = (
            text,
            value,
            why or f"[{token[key]}] Markup is text: <img src=x onerror={PWN}> <b>b</b> &",
        )
    gold = dict(sorted(gold.items()))
    answer = {str(i): a for i, (_, a, _) in gold.items()}
    explanation = {str(i): w for i, (_, _, w) in gold.items()}
    sf = SessionFolder(lab_root / "session-train", "train", production, gold, options)
    sf.write()
    nb = sf.notebook("train.ipynb", 'w = session.labeler("ana")\nw')

    frames = Frames(page)
    harness.open_notebook(page, lab, nb)
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    line, feedback = widget.locator(".nbl-session"), widget.locator(".nbl-feedback")
    verdict, explained = feedback.locator("strong"), feedback.locator(".nbl-explanation")
    expect(line).to_contain_text("Calibration: label these 2 items first. The other items open at 50% right.")
    expect(feedback).to_be_hidden()
    harness.focus_widget(page)
    done: set[str] = set()
    log: list[tuple[str, str]] = []
    submitted_at: dict[str, int] = {}  # gold key -> frames received before its submission

    def submit(value: str, **kw: Any) -> str | None:
        key = shown(page)
        if key in answer:
            expect(widget.locator(".nbl-save")).to_have_text("All changes saved")
            submitted_at[key] = frames.mark()
            assert token[key] not in page.evaluate(MODEL_STATE)
        return label_shown(page, value, LABELS, done, log, **kw)

    # round 1, wrong twice: feedback on the latest submission, with its explanation, as text
    first = shown(page)
    assert first == order[0]
    submit(wrong(answer[first], LABELS))
    expect(feedback).to_have_attribute("data-correct", "false")
    expect(verdict).to_have_text(f"✗ Item {first}: the answer is {answer[first]}")
    expect(explained).to_have_text(explanation[first])
    expect(line).to_contain_text("Score: 0 / 1 right")
    widget.scroll_into_view_if_needed()
    shot = SESSION_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "session.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    widget.screenshot(path=str(shot), animations="disabled")
    assert shot.stat().st_size > 10_000

    second = shown(page)
    assert second == order[1]
    submit(wrong(answer[second], LABELS))
    expect(verdict).to_have_text(f"✗ Item {second}: the answer is {answer[second]}")
    expect(explained).to_have_text(explanation[second])
    assert explained.evaluate("(e) => e.textContent") == explanation[second]
    expect(line).to_contain_text("Calibration round 1: 0% right, under the pass mark of 50%.")
    expect(line).to_contain_text("Score: 0 / 2 right")
    expect_no_injection(page, widget, dialogs)
    # back on the submitted item: its own feedback comes with it
    page.keyboard.press("ArrowLeft")
    assert shown(page) == second
    expect(verdict).to_have_text(f"✗ This item: the answer is {answer[second]}")
    expect(explained).to_have_text(explanation[second])
    page.keyboard.press("ArrowRight")
    assert shown(page) == order[2]

    # round 2, right twice: the gate opens
    for _ in range(2):
        key = shown(page)
        assert key in order[2:4]
        submit(answer[key])
        expect(verdict).to_have_text(f"✓ Item {key}: right")
    expect(line).to_have_text(
        "Calibration passed (100% right). All your items are open. · Score: 2 / 4 right"
    )

    # production, until a gold item mixed into it is submitted (wrongly)
    mixed = None
    for _ in range(len(production) + len(gold)):
        key = shown(page)
        if key in answer:
            mixed = key
            submit(wrong(answer[key], LABELS), frames=frames)
            break
        submit("positive", frames=frames)
    assert mixed is not None and mixed in order[4:], "no gold item was mixed into production"
    expect(verdict).to_have_text(f"✗ Item {mixed}: the answer is {answer[mixed]}")
    expect(explained).to_have_text(explanation[mixed])
    expect(line).to_contain_text("Score: 2 / 5 right")
    expect(widget.locator(".nbl-save")).to_have_text("All changes saved")
    expect_no_injection(page, widget, dialogs)

    # the frames: the mixed-in gold item was on the page (prefetched) before it was submitted ...
    assert mixed in frames.window_keys(0, submitted_at[mixed])
    # ... but no explanation and no feedback of a gold item arrived before its submission ...
    assert [k for k, _ in log if k in answer] == list(submitted_at)
    for key, mark in submitted_at.items():
        assert token[key] not in frames.text(0, mark), f"the explanation of {key} arrived before its label"
        early = [m for m in frames.customs(0, mark) if m.get("type") == "feedback" and m.get("key") == key]
        assert not early, f"feedback on {key} arrived before its label: {early}"
        assert token[key] in frames.text(mark)  # (it did after: the search works)
    # ... and none at all of the gold items never submitted
    for key in set(answer) - set(submitted_at):
        assert token[key] not in frames.text()

    frame = harness.wait_for_events(sf.db, sf.task, len(log))
    assert stored(frame, "ana") == [(k, "label", v) for k, v in log]


@pytest.mark.browser_context_args(device_scale_factor=2)  # a crisp screenshot for the README
def test_adjudication_decides_disagreements_with_rationales(
    lab, lab_root: Path, lab_page: Page, dialogs
) -> None:
    page = lab_page
    production = {
        1: "Loved it, would buy again.",
        2: "Great, it broke after one use.",
        3: "Arrived late but works fine.",
        4: "It is a phone case.",
        5: "Terrible support.",
        6: "Fine.",
    }
    gold = {90: ("Five stars.", "positive", "Praise."), 91: ("Broken on arrival.", "negative", "A defect.")}
    sf = SessionFolder(
        lab_root / "session-adjudicate",
        "adj",
        production,
        gold,
        {"annotators": ["ana", "ben"], "overlap": 2, "gold": "answer", "gold_rate": 0.1, "seed": 0,
         "text": "text", "labels": LABELS},
    )  # fmt: skip
    sf.write()
    ana = {1: "positive", 2: "negative", 3: "negative", 4: "negative", 5: "negative"}
    ben = {1: "positive", 2: "positive", 3: "positive", 4: "positive"}
    comment = "Sarcasm? “great” then “broke”."
    reasons = [
        "Sarcasm: judge what happened, not the words (guidelines §4).",
        "Late delivery says nothing about the product.",
        "A plain fact: neither label fits.",
    ]
    session = sf.session()
    try:
        for name, values in (("ana", ana), ("ben", ben)):  # labels from another process
            w = session.labeler(name)
            for item, value in values.items():
                w.annotate(item, value)
            if name == "ana":
                w.flag(2, comment)
            w.close()
        assert session.final_labels().loc[[2, 3, 4], "status"].tolist() == ["unresolved"] * 3

        nb = sf.notebook("adjudicate.ipynb", 'adj = nl.Adjudicate(session, adjudicator="boss")\nadj')
        harness.open_notebook(page, lab, nb)
        harness.run_all(page)
        widget = page.locator(harness.WIDGET)
        expect(widget).to_have_count(1)
        expect(widget.locator(".nbl-progress")).to_have_text("0 / 3 labeled")
        review = widget.locator(".nbl-review")
        rows = review.locator("tr[data-annotator]")
        rationale = review.locator(".nbl-rationale")

        # item 2: a rationale typed, then "Use" clicked on ana's row
        assert shown(page) == "2"
        expect(rows).to_have_count(2)
        assert rows.evaluate_all("(rs) => rs.map((r) => r.dataset.annotator)") == ["ana", "ben"]
        expect(rows.nth(0).locator(".nbl-review-value")).to_have_text("negative")
        expect(rows.nth(0).locator(".nbl-review-comment")).to_have_text(comment)
        expect(rows.nth(1).locator(".nbl-review-value")).to_have_text("positive")
        rationale.click()
        page.keyboard.type(reasons[0])
        expect(rationale).to_have_value(reasons[0])
        widget.scroll_into_view_if_needed()
        shot = (
            ADJUDICATE_SCREENSHOT
            if os.environ.get("NBLABEL_SCREENSHOT") == "1"
            else lab_root / "adjudicate.png"
        )
        shot.parent.mkdir(parents=True, exist_ok=True)
        widget.screenshot(path=str(shot), animations="disabled")
        assert shot.stat().st_size > 10_000
        review.locator("tr[data-annotator='ana'] button.nbl-use").click()

        # item 3: a rationale typed, Alt+2 takes ben's label
        expect(widget).to_have_attribute("data-key", "3")
        expect(rationale).to_have_value("")  # a new item starts with an empty rationale
        rationale.click()
        page.keyboard.type(reasons[1])
        harness.focus_widget(page)
        page.keyboard.press("Alt+2")

        # item 4: Alt+A marks it ambiguous, with its rationale
        expect(widget).to_have_attribute("data-key", "4")
        rationale.click()
        page.keyboard.type(reasons[2])
        harness.focus_widget(page)
        page.keyboard.press("Alt+a")
        expect(widget).to_have_attribute("data-state", "done")
        expect(widget.locator(".nbl-save")).to_have_text("All changes saved")

        events = harness.wait_for_events(sf.db, session.adjudication_task, 3, kinds=("label", "skip"))
        decided = [
            (int(i), a, k, v, c)
            for i, a, k, v, c in zip(
                events["item_id"], events["annotator"], events["kind"], events["value"], events["comment"],
                strict=True,
            )
        ]  # fmt: skip
        assert decided == [
            (2, "boss", "label", "negative", reasons[0]),
            (3, "boss", "label", "positive", reasons[1]),
            (4, "boss", "skip", {"ambiguous": True}, reasons[2]),
        ]
        final = session.final_labels()
        assert final["status"].to_dict() == {
            1: "unanimous", 2: "adjudicated", 3: "adjudicated", 4: "ambiguous", 5: "single", 6: "unlabeled",
        }  # fmt: skip
        assert final.loc[2, "value"] == "negative" and final.loc[2, "agreed_with"] == ["ana"]
        assert final.loc[3, "value"] == "positive" and final.loc[3, "agreed_with"] == ["ben"]
        assert pd.isna(final.loc[4, "value"])
        assert final.loc[[2, 3, 4], "rationale"].tolist() == reasons
        assert set(final.loc[[2, 3, 4], "adjudicator"]) == {"boss"}
        assert dialogs == []
    finally:
        session.store.close()
