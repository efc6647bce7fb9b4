"""A fast burst of keys against a slow store (a PostgreSQL-like commit latency) lands in the
store exactly in the order pressed.

Why this needs a real kernel: ipykernel >= 7 routes one comm's messages to the main thread or
to a subshell thread (JupyterLab's widget manager opens a subshell once a widget exists), so
the browser's messages can be handled concurrently and out of order. The widget must put
them back in order; this test presses keys faster than the store commits to provoke it.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

import nblabel as nl

pytestmark = pytest.mark.e2e

N = 40
LABELS = ["a", "b", "c"]
SETUP = f"""\
import time
import pandas as pd
import nblabel as nl

df = pd.DataFrame({{"text": [f"item number {{i}}" for i in range({N})]}}, index=range(100, 100 + {N}))
w = nl.Classify(df, text="text", labels={LABELS!r}, task="burst", annotator="ann")
_append = w.store.append
def slow_append(event, **kwargs):
    time.sleep(0.03)  # a store 30 ms away, as a PostgreSQL server across a network can be
    return _append(event, **kwargs)
w.store.append = slow_append
w
"""
WAIT_FOR_SUBSHELL = """\
import time
from ipykernel.kernelbase import Kernel

manager = getattr(getattr(Kernel.instance(), "shell_channel_thread", None), "manager", None)
deadline = time.monotonic() + 10
while manager is not None and not manager.list_subshell() and time.monotonic() < deadline:
    time.sleep(0.02)
print("SUBSHELLS", None if manager is None else len(manager.list_subshell()))
# a cell that talks to the widget (as w.goto / w.annotate do) routes its next message to the
# main thread again; the browser's later messages go to the subshell
w.goto(w.current)
"""
PROBE = """\
import json
print("PROBE " + json.dumps({"labels": {str(k): v for k, v in w.labels.items() if v is not None},
                             "current": w.current, "pending": w.pending}))
"""


def simulate(keys: list[str]) -> tuple[list[tuple], dict[int, str], int]:
    """Events, standing labels and the item shown after ``keys``, items served 100, 101, ..."""
    names = {"1": "a", "2": "b", "3": "c"}
    done: set[int] = set()
    history: list[tuple[int, int]] = []  # (item, position of its event), for undo
    standing: dict[int, str] = {}
    events: list[tuple] = []
    current = 100
    for key in keys:
        if key in names or key == "s":
            value = names.get(key)
            events.append((current, "skip" if key == "s" else "label", value))
            if value is not None:
                standing[current] = value
            done.add(current)
            history.append((current, len(events) - 1))
            current = min(i for i in range(current + 1, 100 + N) if i not in done)
        elif key == "u":
            item, undone = history.pop()
            events.append((item, "retract", {"retracts": undone}))  # the undone event, by position
            standing.pop(item, None)
            done.discard(item)
            current = item
    return events, standing, current


def test_fast_burst_lands_in_order(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    folder = lab_root / "burst"
    harness.write_notebook(folder / "burst.ipynb", [SETUP, WAIT_FOR_SUBSHELL, PROBE])
    harness.open_notebook(page, lab, "burst/burst.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "100")
    # JupyterLab's widget manager opens a kernel subshell a moment after the widget appears;
    # the second cell waits for it and talks to the widget from the main thread, so the burst
    # below is split between the two threads
    print(harness.cell_output(page, 1))
    harness.focus_widget(page)

    keys = list("123123123123") + ["u", "1", "s", "u", "u", "2", "3", "1"]
    for key in keys:
        page.keyboard.press(key)
    events, standing, current = simulate(keys)
    with contextlib.suppress(AssertionError, PlaywrightTimeoutError):  # the store check says why
        expect(widget).to_have_attribute("data-key", str(current), timeout=30_000)
    expect(widget.locator(".nbl-save")).to_have_text("All changes saved", timeout=30_000)

    store = nl.Store(folder / "nblabel.db")
    try:
        frame = store.annotations("burst")
    finally:
        store.close()
    assert _as_positions(frame) == events, "the store's events are not the keys pressed, in order"
    assert frame["client_seq"].tolist() == sorted(frame["client_seq"])

    out = harness.run_cell(page, 2)
    state = json.loads(out[out.index("PROBE ") + len("PROBE ") :].splitlines()[0])
    assert state == {"labels": {str(k): v for k, v in standing.items()}, "current": current, "pending": 0}
    expect(widget).to_have_attribute("data-key", str(current))
    assert dialogs == []


# ----------------------------------------------------------------------------- no browser
def _kernel_side_widget(tmp_path: Path):
    import pandas as pd

    df = pd.DataFrame({"text": [f"t{i}" for i in range(10)]}, index=range(100, 110))
    w = nl.Classify(df, text="text", labels=LABELS, task="order", annotator="ann", store=tmp_path / "o.db")
    sent: list[dict] = []
    w.send = lambda content, buffers=None: sent.append(content)
    return w, sent


def _as_positions(frame) -> list[tuple]:
    """``(item, kind, value)`` per event; a retract's ``{"retracts": id}`` names the position of
    the event it withdraws instead of its store id."""
    position = {event_id: i for i, event_id in enumerate(frame["id"])}
    return [
        (r.item_id, r.kind, {"retracts": position[r.value["retracts"]]} if r.kind == "retract" else r.value)
        for r in frame.itertuples()
    ]


def _events(w) -> list[tuple]:
    return _as_positions(w.annotations)


def test_messages_delivered_out_of_order_are_handled_in_order(tmp_path: Path) -> None:
    """The deterministic half of the burst test: what the kernel does when ipykernel hands the
    messages over out of order or from two threads at once."""
    import random
    import threading

    w, sent = _kernel_side_widget(tmp_path)
    msgs = [
        {"type": "hello"},
        {"type": "label", "key": "100", "value": 0, "seq": 1},
        {"type": "label", "key": "101", "value": 1, "seq": 2},
        {"type": "undo", "seq": 3},
        {"type": "skip", "key": "101", "seq": 4},
        {"type": "label", "key": "102", "value": 2, "seq": 5},
    ]
    msgs = [{**m, "client": "c1", "view": i + 1, "have": []} for i, m in enumerate(msgs)]
    for i in (3, 5, 4, 1, 2, 0, 2):  # out of order, with a duplicate
        w._on_browser_message(w, msgs[i], [])
    want = [
        (100, "label", "a"),
        (101, "label", "b"),
        (101, "retract", {"retracts": 1}),  # withdraws the label of 101
        (101, "skip", None),
        (102, "label", "c"),
    ]
    assert _events(w) == want
    windows = [m for m in sent if m["type"] == "window"]
    assert [m["view"] for m in windows] == [1, 2, 3, 4, 5, 6]
    assert windows[-1]["current"] == "103"

    # another view of the same widget numbers its own messages from 1: not blocked, not mixed up
    w._on_browser_message(
        w, {"type": "label", "key": "103", "value": 0, "client": "c2", "view": 2, "have": []}, []
    )
    assert len(_events(w)) == 5  # waits for c2's view 1
    w._on_browser_message(w, {"type": "hello", "client": "c2", "view": 1, "have": []}, [])
    assert _events(w)[-1] == (103, "label", "a")

    # two threads delivering one client's messages in random order
    w2, _ = _kernel_side_widget(tmp_path / "t")
    burst = [{"type": "hello"}] + [{"type": "label", "key": str(100 + i), "value": i % 3} for i in range(10)]
    burst = [{**m, "client": "c", "view": i + 1, "have": [], "seq": i} for i, m in enumerate(burst)]
    random.Random(7).shuffle(burst)
    halves = [burst[::2], burst[1::2]]
    threads = [
        threading.Thread(target=lambda part: [w2._on_browser_message(w2, m, []) for m in part], args=(h,))
        for h in halves
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _events(w2) == [(100 + i, "label", LABELS[i % 3]) for i in range(10)]
