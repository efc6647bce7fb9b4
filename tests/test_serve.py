"""nblabel session serve without a browser: personal links, the relayed widget protocol over the
page's websocket, refused kernel messages (nothing runs), what the page shows of the store, the
links file; nl.Session.open round trips (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import stat
import time
import urllib.error
import urllib.request
from pathlib import Path

import pandas as pd
import pytest
import tornado.httpclient
import tornado.websocket

import nblabel as nl
from nblabel.serve import SessionServer, wire
from nblabel.serve.links import DASHBOARD

SERVE = Path(nl.__file__).parent / "serve"


def _frame(n: int = 12) -> pd.DataFrame:
    texts = [f"review {i}" for i in range(n)]
    texts[0] = "<img src=x onerror=alert(1)> & friends"
    answers = [None] * (n - 4) + ["pos", "neg", "pos", "neg"]
    return pd.DataFrame(
        {"review": texts, "answer": answers, "secret_note": ["x"] * n},
        index=pd.Index(range(100, 100 + n), name="rid"),
    )


def _session(url: str, task: str = "serve-t") -> nl.Session:
    return nl.Session(
        url,
        task,
        widget=nl.Classify,
        data=_frame(),
        annotators=["ana", "ben", "cy"],
        overlap=2,
        gold="answer",
        text="review",
        labels=["pos", "neg"],
    )


@pytest.fixture
def served(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _session(url).close()
    server = SessionServer(url, "serve-t", port=0, links_file=tmp_path / "links.json").start()
    try:
        yield server, url, tmp_path
    finally:
        server.stop()


def _get(url: str) -> tuple[int, dict[str, str], str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, dict(r.headers), r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode("utf-8")


def _ws_url(link: str) -> str:
    return link.replace("http://", "ws://", 1) + "/ws"


class Page:
    """A websocket client speaking the page's protocol."""

    def __init__(self, conn: tornado.websocket.WebSocketClientConnection) -> None:
        self.conn = conn
        self.comm_id: str | None = None
        self.state: dict = {}

    @classmethod
    async def open(cls, link: str) -> Page:
        page = cls(await tornado.websocket.websocket_connect(_ws_url(link)))
        message, _ = await page.receive("comm_open")
        page.comm_id = message["content"]["comm_id"]
        page.state = message["content"]["data"]["state"]
        return page

    async def receive(self, msg_type: str | None = None, timeout: float = 10):
        while True:
            frame = await asyncio.wait_for(self.conn.read_message(), timeout)
            assert frame is not None, "the server closed the socket"
            message, buffers = wire.decode(frame)
            if msg_type is None or message.get("msg_type") == msg_type:
                return message, buffers

    async def custom(self, pred, timeout: float = 10) -> dict:
        """The next custom message from the widget for which ``pred(content)`` holds."""
        while True:
            message, _ = await self.receive("comm_msg", timeout)
            data = message["content"]["data"]
            if data.get("method") == "custom" and pred(data["content"]):
                return data["content"]

    async def send(self, message: dict, buffers: list[bytes] | None = None) -> None:
        await self.conn.write_message(wire.encode(message, buffers or []), binary=bool(buffers))

    async def widget_msg(self, content: dict, comm_id: str | None = None) -> None:
        await self.send(
            {
                "msg_type": "comm_msg",
                "content": {
                    "comm_id": comm_id or self.comm_id,
                    "data": {"method": "custom", "content": content},
                },
            }
        )


def run(coro):
    return asyncio.run(coro)


# ---------------------------------------------------------------------- links and pages
def test_each_annotator_link_serves_a_page_with_their_labeler_only(served) -> None:
    server, url, tmp = served
    links = server.links()
    assert set(links) == {"ana", "ben", "cy", DASHBOARD}
    assert len({link.rsplit("/", 1)[1] for link in links.values()}) == 4  # one token each
    for name in ("ana", "ben", "cy"):
        status, headers, body = _get(links[name])
        assert status == 200 and "/static/page.js" in body
        assert "script-src 'self'" in headers["Content-Security-Policy"] and "unsafe-eval" not in body
        assert headers["X-Frame-Options"] == "DENY" and headers["Referrer-Policy"] == "no-referrer"
        assert str(tmp) not in body and "sqlite" not in body
        status, headers, js = _get(links[name] + "/widget.js")
        assert status == 200 and headers["Content-Type"].startswith("text/javascript") and "render" in js
    status, _, js = _get(links["ana"].rsplit("/a/", 1)[0] + "/static/page.js")
    assert status == 200 and "WebSocket" in js

    async def states() -> dict:
        out = {}
        for name in ("ana", "ben"):
            page = await Page.open(links[name])
            out[name] = page.state
            page.conn.close()
        return out

    seen = run(states())
    for name, state in seen.items():
        assert state["_config"]["annotator"] == name and state["_config"]["task"] == "serve-t"
        text = json.dumps(state)
        # the page shows the store by its file name: no path of the server, no URL, no gold column
        assert state["_config"]["store"] == "store.db" and str(tmp) not in text and "sqlite:" not in text
        assert "_esm" not in state and "answer" not in text


def test_wrong_or_other_token_is_404_and_opens_no_widget(served) -> None:
    server, _, _ = served
    links = server.links()
    root = links["ana"].rsplit("/a/", 1)[0]
    ana_token = links["ana"].rsplit("/", 1)[1]
    dash_token = links[DASHBOARD].rsplit("/", 1)[1]
    forged = ana_token[:-1] + ("A" if ana_token[-1] != "A" else "B")
    for path in (
        f"/a/{forged}",
        f"/a/{forged}/widget.js",
        f"/d/{ana_token}",
        f"/a/{dash_token}",
        f"/d/{forged}",
        "/",
        "/a/",
        f"/a/{ana_token}/../{dash_token}",
        f"/static/../../{ana_token}",
    ):
        status, _, body = _get(root + path)
        assert status == 404, path
        assert "labeler" not in body.lower() or "personal link" in body

    async def ws_status(link: str) -> int:
        try:
            conn = await tornado.websocket.websocket_connect(link)
        except tornado.httpclient.HTTPClientError as exc:
            return exc.code
        conn.close()
        return 101

    assert run(ws_status(_ws_url(f"{root}/a/{forged}"))) == 404
    assert run(ws_status(_ws_url(f"{root}/d/{ana_token}"))) == 404
    # no widget was built for any of these: only links that were used open one
    assert not any(room.widget is not None for room in server._rooms.values())


def test_labels_through_the_page_land_under_the_annotators_name(served) -> None:
    server, url, _ = served
    links = server.links()

    async def label() -> str:
        page = await Page.open(links["ben"])
        await page.widget_msg({"type": "hello", "client": "c1", "view": 1, "have": []})
        window = await page.custom(lambda c: c.get("type") == "window" and c.get("current"))
        key = window["current"]
        await page.widget_msg(
            {
                "type": "label",
                "key": key,
                "value": 1,
                "seq": "c1/1",
                "client": "c1",
                "view": 2,
                "have": [],
                "active_ms": 1200,
            }
        )
        await page.custom(lambda c: c.get("type") == "ack" and "c1/1" in json.dumps(c))
        page.conn.close()
        return key

    key = run(label())
    events = nl.Store(url).annotations("serve-t")
    mine = events[events["kind"] == "label"]
    assert list(mine["annotator"]) == ["ben"] and list(mine["value"]) == ["neg"]
    assert str(mine["item_id"].iloc[0]) == key


def test_kernel_messages_are_refused_and_nothing_runs(served, caplog) -> None:
    server, url, tmp = served
    links = server.links()
    target = tmp / "pwned.txt"
    code = f"open({str(target)!r}, 'w').write('x')"

    async def attack() -> list[dict]:
        page = await Page.open(links["ana"])
        errors = []
        sent = [
            {
                "header": {"msg_type": "execute_request", "msg_id": "1"},
                "channel": "shell",
                "content": {"code": code, "silent": False},
                "metadata": {},
                "parent_header": {},
            },
            {"msg_type": "execute_request", "content": {"code": code}},
            {
                "header": {"msg_type": "comm_open"},
                "content": {"comm_id": "x", "target_name": "jupyter.widget", "data": {"state": {}}},
            },
            {"msg_type": "shutdown_request", "content": {"restart": True}},
            {"msg_type": "inspect_request", "content": {"code": code, "cursor_pos": 3}},
            # the widget protocol, but to another comm or setting traits this page may not set
            {
                "msg_type": "comm_msg",
                "content": {"comm_id": "other", "data": {"method": "custom", "content": {}}},
            },
            {
                "msg_type": "comm_msg",
                "content": {
                    "comm_id": page.comm_id,
                    "data": {
                        "method": "update",
                        "state": {"_config": {"annotator": "ben"}},
                        "buffer_paths": [],
                    },
                },
            },
            {
                "msg_type": "comm_msg",
                "content": {"comm_id": page.comm_id, "data": {"method": "exec", "code": code}},
            },
        ]
        for message in sent:
            await page.send(message)
            reply, _ = await page.receive("error")
            errors.append(reply)
        await page.conn.write_message(b"\x00\x00\x00\x09not json!", binary=True)
        errors.append((await page.receive("error"))[0])
        # the page still works, as ana
        await page.widget_msg({"type": "hello", "client": "c", "view": 1, "have": []})
        window = await page.custom(lambda c: c.get("type") == "window")
        assert window["current"]
        page.conn.close()
        return errors

    with caplog.at_level("WARNING", logger="nblabel.serve.app"):
        errors = run(attack())
    assert len(errors) == 9
    assert all(e["content"]["ename"] == "Refused" for e in errors)
    assert errors[0]["parent_header"]["msg_type"] == "execute_request"
    assert "runs no code" in errors[0]["content"]["evalue"]
    assert "_config" in errors[6]["content"]["evalue"]
    assert not target.exists()
    room = server._rooms["ana"]
    assert room.widget.annotator == "ana" and room.widget._config["annotator"] == "ana"
    assert sum("execute_request" in r.getMessage() for r in caplog.records) == 2
    assert nl.Store(url).annotations("serve-t").empty


def test_the_server_has_no_way_to_run_code() -> None:
    """No module of nblabel.serve evaluates text or starts a kernel or a process."""
    forbidden = re.compile(
        r"\b(eval|exec|compile|__import__)\(|ipykernel|jupyter_client|subprocess|os\.system|pickle"
    )
    for path in SERVE.glob("*.py"):
        source = path.read_text(encoding="utf-8")
        assert not forbidden.search(source), (path.name, forbidden.search(source))
    page = (Path(nl.__file__).parents[1] / "js" / "page.js").read_text(encoding="utf-8")
    assert "eval(" not in page and "new Function" not in page and "innerHTML" not in page


def test_dashboard_link_serves_the_dashboard_and_only_its_own_traits_are_writable(served) -> None:
    server, _, _ = served
    link = server.links()[DASHBOARD]

    async def dash() -> tuple[dict, dict]:
        page = await Page.open(link)
        await page.send(
            {
                "msg_type": "comm_msg",
                "content": {
                    "comm_id": page.comm_id,
                    "data": {"method": "update", "state": {"paused": True}, "buffer_paths": []},
                },
            }
        )
        await page.send(
            {
                "msg_type": "comm_msg",
                "content": {
                    "comm_id": page.comm_id,
                    "data": {"method": "update", "state": {"_status": {}}, "buffer_paths": []},
                },
            }
        )
        error, _ = await page.receive("error")
        page.conn.close()
        return page.state, error

    state, error = run(dash())
    assert state["_status"]["location"] == "store.db" and "_snapshot" in state
    assert "_status" in error["content"]["evalue"]
    room = server._rooms[DASHBOARD]
    for _ in range(100):
        if room.widget.paused:
            break
        time.sleep(0.05)
    assert room.widget.paused is True


def test_links_file_is_owner_only_and_keeps_links_across_restarts(served) -> None:
    server, url, tmp = served
    path = tmp / "links.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    before = server.links()
    server.stop()
    again = SessionServer(url, "serve-t", port=server.port, links_file=path).start()
    try:
        assert {k: v.rsplit("/", 1)[1] for k, v in again.links().items()} == {
            k: v.rsplit("/", 1)[1] for k, v in before.items()
        }
    finally:
        again.stop()
    os.chmod(path, 0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        SessionServer(url, "serve-t", links_file=path)


# ---------------------------------------------------------------------- Session.open
def test_session_open_rebuilds_the_same_session(store_url: str) -> None:
    session = _session(store_url)
    try:
        reopened = nl.Session.open(store_url, "serve-t")
        try:
            assert reopened.widget is nl.Classify and reopened.annotators == ["ana", "ben", "cy"]
            pd.testing.assert_frame_equal(reopened.assignments(), session.assignments())
            assert reopened.keys == session.keys and reopened.gold == session.gold
            assert list(reopened.frame.index) == list(session.frame.index)
            assert (
                reopened.frame.index.name == "rid" and reopened.frame.index.dtype == session.frame.index.dtype
            )
            for name in session.annotators:
                assert list(reopened.production_positions(name)) == list(session.production_positions(name))
                assert list(reopened.gold_positions(name)) == list(session.gold_positions(name))
            # only the columns the widget shows are stored: no gold column, no other column
            assert list(reopened.frame.columns) == ["review"]
            setup = reopened.store.session_setup("serve-t")
            stored = json.dumps(setup.items) + json.dumps(setup.setup)
            assert "secret_note" not in stored and '"answer"' not in stored
            w = reopened.labeler("ana")
            assert w.current is not None
            w.close()
        finally:
            reopened.close()
    finally:
        session.close()


def test_session_open_spans_with_gold_and_bytes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    df = pd.DataFrame(
        {
            "text": ["Ana works at Acme.", "Bob lives in Rome.", "Cy 👋 visits Paris."],
            "gold": [None, None, [{"start": 13, "end": 18, "label": "LOC"}]],
        },
        index=["a", "b", "c"],
    )
    session = nl.Session(
        url,
        "sp",
        widget=nl.Spans,
        data=df,
        annotators=["x", "y"],
        overlap=1,
        gold="gold",
        text="text",
        labels=["PER", "LOC"],
    )
    reopened = nl.Session.open(url, "sp")
    assert reopened.widget is nl.Spans and reopened.gold == session.gold
    assert list(reopened.frame["text"]) == list(session.frame["text"])
    reopened.close()
    session.close()


def test_session_open_asks_for_what_the_store_cannot_keep(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 't.db'}"
    df = pd.DataFrame({"text": ["a b", "c d"]})

    def tokenizer(text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]

    session = nl.Session(
        url,
        "tok",
        widget=nl.Spans,
        data=df,
        annotators=["x"],
        overlap=1,
        text="text",
        labels=["A"],
        tokenizer=tokenizer,
    )
    with pytest.raises(TypeError, match="tokenizer"):
        nl.Session.open(url, "tok")
    reopened = nl.Session.open(url, "tok", tokenizer=tokenizer)
    assert reopened.keys == session.keys
    reopened.close()
    with pytest.raises(KeyError, match="not a session"):
        nl.Session.open(url, "no-such-task")
    session.close()


def test_cli_prints_one_link_per_annotator_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'store.db'}"
    _session(url).close()
    env = {**os.environ, "PYTHONPATH": str(Path(nl.__file__).parents[1])}
    process = subprocess.Popen(
        [sys.executable, "-m", "nblabel.cli", "session", "serve", url, "--task", "serve-t", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    try:
        lines = []
        while not lines or not lines[-1].startswith("Serving on"):
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line.rstrip("\n"))
        links = dict(re.findall(r"^  (\w+)\s+(http://\S+)$", "\n".join(lines), re.M))
        assert set(links) == {"ana", "ben", "cy"}
        assert "all or nothing" in "\n".join(lines)
        assert _get(links["cy"])[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=20)
        errors = process.stderr.read()
        process.stdout.close()
        process.stderr.close()
        assert code == 0, errors


def test_postgresql_labelers_use_each_annotators_own_login(postgres, tmp_path: Path) -> None:
    if not hasattr(nl.Session, "grant"):
        pytest.skip("per-annotator PostgreSQL logins (session.grant, issue 16 item 1) are not in nblabel yet")
    url = postgres.new_database()
    _session(url).close()
    server = SessionServer(url, "serve-t", links_file=tmp_path / "links.json").start()
    try:
        links = server.links()

        async def label() -> dict:
            page = await Page.open(links["cy"])
            await page.widget_msg({"type": "hello", "client": "c1", "view": 1, "have": []})
            window = await page.custom(lambda c: c.get("type") == "window" and c.get("current"))
            await page.widget_msg({"type": "label", "key": window["current"], "value": 0, "seq": "c1/1",
                                   "client": "c1", "view": 2, "have": []})  # fmt: skip
            await page.custom(lambda c: c.get("type") == "ack")
            page.conn.close()
            return page.state

        state = run(label())
        kept = json.loads((tmp_path / "links.json").read_text(encoding="utf-8"))["urls"]
        assert set(kept) == {"cy"}  # granted when cy's page first opened
        own = nl.Store(kept["cy"]).url
        widget = server._rooms["cy"].widget
        assert widget.store.url.username == own.username and own.username != "postgres"
        text = json.dumps(state)
        assert own.username not in text and (own.password or "\0") not in text and "127.0.0.1" not in text
        assert state["_config"]["store"].endswith("(postgresql)")
        events = nl.Store(url).annotations("serve-t")
        assert list(events[events["kind"] == "label"]["annotator"]) == ["cy"]
    finally:
        server.stop()


def test_images_travel_as_binary_buffers(tmp_path: Path) -> None:
    from PIL import Image

    def png(colour: str) -> bytes:
        out = io.BytesIO()
        Image.new("RGB", (8, 6), colour).save(out, format="PNG")
        return out.getvalue()

    url = f"sqlite:///{tmp_path / 'img.db'}"
    images = [png(c) for c in ("red", "green", "blue")]
    df = pd.DataFrame({"img": images, "caption": ["r", "g", "b"]}, index=["r", "g", "b"])
    nl.Session(url, "img", widget=nl.Classify, data=df, annotators=["ana"], overlap=1, image="img",
               text="caption", labels=["x", "y"]).close()  # fmt: skip
    with SessionServer(url, "img") as server:

        async def window() -> tuple[dict, list[bytes]]:
            page = await Page.open(server.links()["ana"])
            await page.widget_msg({"type": "hello", "client": "c", "view": 1, "have": []})
            while True:
                message, buffers = await page.receive("comm_msg")
                content = message["content"]["data"].get("content", {})
                if content.get("type") == "window" and content.get("items"):
                    page.conn.close()
                    return content, buffers

        content, buffers = run(window())
    by_key = {item["key"]: item for item in content["items"]}
    current = by_key[content["current"]]
    image = current["payload"]["image"]
    data = buffers[image["buffer"]]
    assert image["mime"] == "image/png" and data == images["rgb".index(content["current"])]


def test_two_servers_in_one_process_relay_until_each_stops(tmp_path: Path) -> None:
    urls = [f"sqlite:///{tmp_path / f'{n}.db'}" for n in ("one", "two")]
    for url in urls:
        _session(url).close()
    first = SessionServer(urls[0], "serve-t").start()
    second = SessionServer(urls[1], "serve-t").start()
    try:
        first.stop()  # the second server's widgets still get the relaying comm

        async def window() -> dict:
            page = await Page.open(second.links()["ana"])
            await page.widget_msg({"type": "hello", "client": "c", "view": 1, "have": []})
            content = await page.custom(lambda c: c.get("type") == "window")
            page.conn.close()
            return content

        assert run(window())["current"]
    finally:
        second.stop()
    import comm

    assert comm.create_comm.__module__ == "comm"  # given back once the last server stopped


def test_base_url_prefixes_links_and_routes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    _session(url).close()
    with SessionServer(url, "serve-t", base_url="https://label.example.org/pilot/") as server:
        link = server.links()["ana"]
        assert link.startswith("https://label.example.org/pilot/a/")
        token = link.rsplit("/", 1)[1]
        local = f"http://127.0.0.1:{server.port}"
        status, _, body = _get(f"{local}/pilot/a/{token}")
        assert status == 200 and 'src="/pilot/static/page.js"' in body and 'href="/pilot/a/' in body
        assert _get(f"{local}/pilot/static/page.js")[0] == 200
        assert _get(f"{local}/a/{token}")[0] == 404


def test_session_open_names_a_column_the_store_cannot_keep(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'o.db'}"
    import decimal

    df = pd.DataFrame({"t": ["a", decimal.Decimal("1.5")]})
    session = nl.Session(url, "odd", widget=nl.Classify, data=df, annotators=["x"], overlap=1, text="t",
                         labels=["p"])  # fmt: skip
    with pytest.raises(ValueError, match=r"column 't' .*row 1.*pass data="):
        nl.Session.open(url, "odd")
    reopened = nl.Session.open(url, "odd", data=df)
    assert reopened.keys == session.keys
    reopened.close()
    session.close()


def test_session_open_finds_relative_image_paths_from_another_directory(tmp_path: Path, monkeypatch) -> None:
    from PIL import Image

    made = tmp_path / "made"
    (made / "imgs").mkdir(parents=True)
    Image.new("RGB", (4, 4), "red").save(made / "imgs" / "a.png")
    url = f"sqlite:///{tmp_path / 'i.db'}"
    monkeypatch.chdir(made)
    df = pd.DataFrame({"path": ["imgs/a.png"]})
    nl.Session(url, "rel", widget=nl.Classify, data=df, annotators=["x"], overlap=1, image="path",
               labels=["p"]).close()  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    reopened = nl.Session.open(url, "rel")
    assert list(reopened.frame["path"]) == [str(made / "imgs" / "a.png")]
    reopened.close()
