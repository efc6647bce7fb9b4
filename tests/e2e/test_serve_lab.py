"""nblabel session serve end to end in Chromium: the coordinator runs one command; two
annotators label with key presses on their own pages in two browser contexts; the labels land in
the store under their names; a reload resumes at the next item; one annotator's page cannot open
another's; the coordinator's dashboard (served the same way) follows their labels; after the
server restarts with its links file the same links work again and the page reconnects by itself.
On SQLite (the store file) and on PostgreSQL (each annotator's own login, session.grant)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
TASK = "serve-e2e"
# distinctive names: searched for in the raw websocket frames each page receives
ANA, BEN = "anaqxv7", "benzqk9"
LABELS = ["zetapos", "zetaneg"]
HOSTILE = "<img src=x onerror=window.__pwned=1> & <b>bold</b>"


def _data() -> pd.DataFrame:
    texts = [f"item number {i} of the served session" for i in range(6)]
    texts[2] = HOSTILE
    return pd.DataFrame({"text": texts, "gold": [None] * 5 + ["zetapos"]}, index=[f"k{i}" for i in range(6)])


class Served:
    """``nblabel session serve`` in its own process; ``links`` by name."""

    def __init__(self, url: str, links_file: Path, log: Path, port: int = 0) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.log = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "nblabel.cli", "session", "serve", url, "--task", TASK,
             "--port", str(port), "--links", str(links_file)],
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env, start_new_session=True,
        )  # fmt: skip
        lines: list[str] = []
        while not lines or not lines[-1].startswith("Serving on"):
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError(f"nblabel session serve failed: {log.read_text()}")
            lines.append(line.rstrip("\n"))
        self.output = "\n".join(lines)
        self.links = dict(re.findall(r"^  (\S+)\s+(http://\S+)$", self.output, re.M))
        self.links["dashboard"] = re.search(r"Dashboard \(for you only\): (\S+)", self.output).group(1)
        self.port = int(re.search(r"Serving on \S+:(\d+)\.", self.output).group(1))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                assert self.process.wait(timeout=20) == 0
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(5)
                raise
        self.process.stdout.close()
        self.log.close()


def _open_labeler(page: Page, link: str) -> Any:
    page.goto(link)
    root = page.locator(".nbl-root")
    expect(root).to_be_visible(timeout=30_000)
    expect(page.locator(".nbl-item .nbl-text, .nbl-item .nbl-empty").first).to_be_visible(timeout=30_000)
    root.click(position={"x": 4, "y": 4})
    expect(root).to_be_focused()
    return root


def _shown(page: Page) -> str:
    return page.locator(".nbl-item .nbl-text").first.inner_text()


def _label(page: Page, key: str, url: str, who: str, count: int) -> str:
    """Press ``key`` on the item shown; wait until ``who`` has ``count`` labels in the store."""
    before = _shown(page)
    page.keyboard.press(key)
    _wait_labels(url, who, count)
    expect(page.locator(".nbl-item .nbl-text").first).not_to_have_text(before)
    return before


def _labels(url: str) -> pd.DataFrame:
    store = nl.Store(url)
    try:
        frame = store.annotations(TASK)
    finally:
        store.close()
    return frame[frame["kind"] == "label"]


def _wait_labels(url: str, who: str, count: int, timeout: float = 30) -> pd.DataFrame:
    deadline = time.monotonic() + timeout
    while True:
        frame = _labels(url)
        mine = frame[frame["annotator"] == who]
        if len(mine) >= count:
            return mine
        if time.monotonic() > deadline:
            raise AssertionError(f"{who} has {len(mine)} labels in the store, expected {count}")
        time.sleep(0.05)


def _frames(page: Page) -> list[str]:
    """Every websocket frame the page receives (text, or binary decoded as Latin-1)."""
    frames: list[str] = []

    def on_socket(ws: Any) -> None:
        ws.on("framereceived", lambda payload: frames.append(
            payload if isinstance(payload, str) else bytes(payload).decode("latin-1")))  # fmt: skip

    page.on("websocket", on_socket)
    return frames


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'served.db'}"
    if not hasattr(nl.Session, "grant"):
        pytest.skip("per-annotator PostgreSQL logins (session.grant, issue 16 item 1) are not in nblabel yet")
    return request.getfixturevalue("postgres").new_database()


def test_two_annotators_on_their_own_pages(browser: Any, store_url: str, tmp_path: Path) -> None:
    session = nl.Session(store_url, TASK, widget=nl.Classify, data=_data(), annotators=[ANA, BEN], overlap=2,
                         gold="gold", gold_rate=0.0, text="text", labels=LABELS)  # fmt: skip
    session.close()
    links_file = tmp_path / "links.json"
    served = Served(store_url, links_file, tmp_path / "serve.log")
    contexts = []
    try:
        assert set(served.links) == {ANA, BEN, "dashboard"}
        assert ("all or nothing" in served.output) == store_url.startswith("sqlite")
        ctx_a, ctx_b, ctx_d = (browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(3))
        contexts += [ctx_a, ctx_b, ctx_d]
        page_a, page_b, dash = ctx_a.new_page(), ctx_b.new_page(), ctx_d.new_page()
        problems: list[str] = []
        for page in (page_a, page_b, dash):
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
        frames_a = _frames(page_a)

        # the coordinator's dashboard, open before anyone labels
        dash.goto(served.links["dashboard"])
        expect(dash.locator(".nbl-dash-header")).to_be_visible(timeout=30_000)

        _open_labeler(page_a, served.links[ANA])
        _open_labeler(page_b, served.links[BEN])
        shown_a = [_label(page_a, "1", store_url, ANA, 1), _label(page_a, "2", store_url, ANA, 2)]
        shown_b = [_label(page_b, "2", store_url, BEN, 1)]
        next_a = _shown(page_a)

        labels = _labels(store_url)
        assert sorted(labels["annotator"]) == sorted([ANA, ANA, BEN])
        ana = labels[labels["annotator"] == ANA].sort_values("id")
        assert list(ana["value"]) == LABELS
        assert list(labels[labels["annotator"] == BEN]["value"]) == ["zetaneg"]
        texts = dict(zip(_data().index, _data()["text"], strict=True))
        assert [texts[i] for i in ana["item_id"]] == shown_a
        assert [texts[i] for i in labels[labels["annotator"] == BEN]["item_id"]] == shown_b

        # the dashboard follows: 3 ratings by 2 annotators, without a reload
        expect(dash.locator(".nbl-dash-totals")).to_contain_text("3 ratings", timeout=30_000)
        expect(dash.locator(".nbl-dash-annotators")).to_contain_text(ANA)
        expect(dash.locator(".nbl-dash-annotators")).to_contain_text(BEN)

        # a reload resumes at the next item, and labels go on from there
        page_a.reload()
        _open_labeler(page_a, served.links[ANA])
        assert _shown(page_a) == next_a
        _label(page_a, "1", store_url, ANA, 3)
        expect(dash.locator(".nbl-dash-totals")).to_contain_text("4 ratings", timeout=30_000)

        # ana's page knows nothing of ben: not his name, token or labels, nor the gold answer
        ben_token = served.links[BEN].rsplit("/", 1)[1]
        received = "\n".join(frames_a)
        assert frames_a and BEN not in received and ben_token not in received
        assert "sqlite:" not in received and "postgresql://" not in received and str(tmp_path) not in received
        # ... and cannot open his page: forged tokens and the other kind of link are 404s
        ana_link = served.links[ANA]
        root, ana_token = ana_link.rsplit("/a/", 1)
        for forged in (ana_token[:-1] + ("x" if ana_token[-1] != "x" else "y"), ana_token.upper(), "0" * 32):
            response = page_a.goto(f"{root}/a/{forged}")
            assert response.status == 404 and "personal link" in page_a.content()
        assert page_a.goto(f"{root}/d/{ana_token}").status == 404

        # hostile item text is shown as text wherever it came (no element made of it, no script run)
        for page in (page_a, page_b):
            assert page.evaluate("() => window.__pwned") is None
            assert page.locator("#nbl-page-widget img, #nbl-page-widget b").count() == 0
        forged_404s = "the server responded with a status of 404"  # the forged links above, on purpose
        assert not [p for p in problems if forged_404s not in p], problems

        # the server restarts with its links file: the same links, and ben's page reconnects by itself
        before = _shown(page_b)
        served.stop()
        expect(page_b.locator("#nbl-page-status")).to_contain_text("reconnecting", timeout=15_000)
        served = Served(store_url, links_file, tmp_path / "serve2.log", port=served.port)
        assert served.links[ANA] == ana_link
        assert served.links[BEN].rsplit("/", 1)[1] == ben_token
        expect(page_b.locator("#nbl-page-status")).to_have_text("", timeout=30_000)
        expect(page_b.locator(".nbl-item .nbl-text").first).to_have_text(before, timeout=30_000)
        page_b.locator(".nbl-root").click(position={"x": 4, "y": 4})
        _label(page_b, "1", store_url, BEN, 2)
        if store_url.startswith("postgresql"):
            kept = json.loads(links_file.read_text())["urls"]
            assert set(kept) == {ANA, BEN} and all("postgres@" not in u for u in kept.values())
    finally:
        for ctx in contexts:
            ctx.close()
        served.stop()


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "teal").save(out, format="PNG")
    return out.getvalue()


#: Each widget kind's session options and data (two items; hostile text wherever there is text).
KINDS: dict[str, tuple[Any, dict[str, Any], dict[str, list[Any]]]] = {
    "classify": (nl.Classify, {"text": "t", "labels": ["a", "b"]}, {"t": [HOSTILE, "two"]}),
    "spans": (nl.Spans, {"text": "t", "labels": ["PER"]}, {"t": [HOSTILE, "Ana met Ben."]}),
    "boxes": (nl.Boxes, {"image": "img", "labels": ["car"]}, {"img": [_png(), _png()]}),
    "compare": (nl.Compare, {"prompt": "p", "a": "x", "b": "y"},
                {"p": [HOSTILE, "q"], "x": ["one", "two"], "y": [HOSTILE, "four"]}),
    "rate": (nl.Rate, {"text": "t", "scale": 5}, {"t": [HOSTILE, "two"]}),
    "text": (nl.Text, {"text": "t", "draft": "d"}, {"t": [HOSTILE, "two"], "d": ["draft", HOSTILE]}),
}  # fmt: skip


@pytest.mark.parametrize("kind", list(KINDS))
def test_every_widget_renders_and_answers_on_a_served_page(browser: Any, kind: str, tmp_path: Path) -> None:
    widget, options, columns = KINDS[kind]
    url = f"sqlite:///{tmp_path / 'kinds.db'}"
    nl.Session(url, TASK, widget=widget, data=pd.DataFrame(columns), annotators=[ANA], overlap=1,
               **options).close()  # fmt: skip
    served = Served(url, tmp_path / "links.json", tmp_path / "serve.log")
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = context.new_page()
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(served.links[ANA])
        root = page.locator(".nbl-root")
        expect(root).to_be_visible(timeout=30_000)
        expect(page.locator(".nbl-where")).to_contain_text(ANA, timeout=30_000)
        expect(page.locator(".nbl-item > *").first).to_be_visible(timeout=30_000)
        root.click(position={"x": 4, "y": 4})
        expect(root).to_be_focused()
        page.keyboard.press("s")  # skip: the shared keyboard of every labeler
        deadline = time.monotonic() + 30
        while True:
            store = nl.Store(url)
            frame = store.annotations(TASK)
            store.close()
            if (frame["kind"] == "skip").any() or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert list(frame["annotator"]) == [ANA] and list(frame["kind"]) == ["skip"]
        assert page.evaluate("() => window.__pwned") is None
        assert page.locator("#nbl-page-widget img:not([src^='blob:'])").count() == 0
        assert not problems, problems
    finally:
        context.close()
        served.stop()
