"""Hostile strings as item text, labels, item ids and a typed flag comment: everything renders
as text, verbatim, and nothing executes (no script, no handler, no dialog)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

TASK = "hostile"
PWN = "window.__pwned=true"

#: 100,000 characters of markup that would run if it were ever parsed as HTML.
LONG = f"<img src=x onerror={PWN}> long text with <b>tags</b> & entities &amp; "
LONG = (LONG * (100_000 // len(LONG) + 1))[:100_000]

PAYLOADS: list[str] = [
    f"<script>{PWN}</script>",
    f"<img src=x onerror={PWN}>",
    f'<img src="x" onerror="{PWN};alert(1)">',
    f"<svg onload={PWN}>",
    f"<svg><script>{PWN}</script></svg>",
    f"<svg><animate onbegin={PWN} attributeName=x dur=1s>",
    '<iframe srcdoc="<script>parent.__pwned=true</script>"></iframe>',
    '<iframe src="javascript:parent.__pwned=true"></iframe>',
    f"javascript:{PWN}",
    f'<a href="javascript:{PWN}">click me</a>',
    f"<body onload={PWN}>",
    f'<div onmouseover="{PWN}" style="position:fixed;inset:0">hover me</div>',
    f"<input autofocus onfocus={PWN}>",
    f"<details open ontoggle={PWN}>",
    f'<video><source onerror="{PWN}"></video>',
    f"<audio src=x onerror={PWN}>",
    f'<object data="javascript:{PWN}"></object>',
    f'<embed src="javascript:{PWN}">',
    f'<meta http-equiv="refresh" content="0;url=javascript:{PWN}">',
    f'<style>@import "javascript:{PWN}";</style><b style="background:url(javascript:{PWN})">x</b>',
    f"</div></div></div></button><script>{PWN}</script>",
    f'"><img src=x onerror={PWN}>',
    f"'><svg/onload={PWN}>",
    f"--><img src=x onerror={PWN}><!--",
    f"</textarea></title></style><img src=x onerror={PWN}>",
    f"<math><mtext><table><mglyph><style><img src=x onerror={PWN}>",
    f'<noscript><p title="</noscript><img src=x onerror={PWN}>">',
    f"${{{PWN}}}",
    f"`${{{PWN}}}` ${{alert(1)}}",
    "{{constructor.constructor('window.__pwned=true')()}}",
    f"');{PWN};//",
    "&lt;script&gt;window.__pwned=true&lt;/script&gt;",
    f"&#60;img src=x onerror={PWN}&#62; &amp; &nbsp; &#x3C;b&#x3E;",
    f"%3Cscript%3E{PWN}%3C/script%3E",
    "\\u003cscript\\u003ewindow.__pwned=true\\u003c/script\\u003e",
    f"data:text/html,<script>{PWN}</script>",
    f"<base href='javascript:/'><form action='javascript:{PWN}'><button>go</button></form>",
    "مرحبا بالعالم — שלום עולם 👋🏽 👨‍👩‍👧‍👦 🇺🇳",
    "\u202eRTL override: gnp.exe\u202c with \u200f marks \u200e",
    f"nul\x00byte<script>{PWN}</script>\x00end",
    "   spaces around, \ttabs\tand\nnew\r\nlines   ",
    "Zalgo Z\u0334\u0321\u031ba\u0337l\u0338g\u0336o and combining e\u0301",
    LONG,
]

#: Typed into the flag box key by key (no newline: Enter submits).
COMMENT = (
    f'<img src=x onerror="{PWN};alert(1)"> </div><script>alert(2)</script> ${{alert(3)}} '
    "javascript:alert(4) &amp; &lt;b&gt; 1 2 3 s u f j k — مرحبا 👋🏽"
)

N = len(PAYLOADS)
# item i: text PAYLOADS[i], id IDS[i], label PAYLOADS[i]. A NUL is refused in an item id (no
# store can hold it in an indexed text column; tests/test_store_faults.py checks the error), so
# ids show it as U+2400; texts and labels keep the real NUL.
IDS = [PAYLOADS[(i + 1) % N].replace("\x00", "\u2400") for i in range(N)]

SETUP = """\
import json
import pandas as pd
import nblabel as nl

P = json.load(open("payloads.json", encoding="utf-8"))
ids = [P[(i + 1) % len(P)].replace("\\x00", "\\u2400") for i in range(len(P))]
df = pd.DataFrame({"text": P}, index=pd.Index(ids, name="id"))
w = nl.Classify(df, text="text", labels=P, task="hostile", annotator="eve")
w
"""

PROBE = """\
import hashlib
pairs = sorted((k, v) for k, v in w.labels.items() if v is not None)
digest = hashlib.sha256(json.dumps(pairs).encode()).hexdigest()
print("PROBE", len(pairs), w.current == df.index[0], w.pending, digest)
"""

# (UL and LI: the label search's listbox, shown when there are more labels than hotkeys)
ALLOWED_TAGS = {
    "DIV", "SPAN", "BUTTON", "KBD", "FORM", "INPUT", "STRONG", "TABLE", "TBODY", "TR", "TD", "UL", "LI",
}  # fmt: skip

SNAPSHOT = """
(sel) => {
  const r = document.querySelector(sel);
  return {
    state: r.dataset.state,
    key: r.dataset.key,
    text: r.querySelector('.nbl-text')?.textContent ?? null,
    id: r.querySelector('.nbl-item-id')?.textContent ?? null,
  };
}
"""

SAFETY = """
(sel) => {
  const r = document.querySelector(sel);
  const tags = new Set(), handlers = [], urls = [];
  for (const el of r.querySelectorAll('*')) {
    tags.add(el.tagName);
    for (const a of el.attributes) {
      if (a.name.toLowerCase().startsWith('on')) handlers.push(el.tagName + ' ' + a.name);
      if (['href', 'src', 'action', 'formaction', 'data', 'srcdoc'].includes(a.name.toLowerCase()))
        urls.push(el.tagName + ' ' + a.name);
    }
  }
  const anywhere = [];
  for (const el of document.querySelectorAll('*'))
    for (const a of el.attributes)
      if (a.name.toLowerCase().startsWith('on') && /pwned|alert/.test(a.value))
        anywhere.push(el.tagName + ' ' + a.name);
  return {
    tags: Array.from(tags).sort(), handlers, urls, anywhere,
    pwned: typeof window.__pwned,
    scripts: Array.from(document.scripts).filter((s) => /pwned|alert\\(/.test(s.textContent)).length,
  };
}
"""


def expect_key(page: Page, key: str | None, timeout: float = 20_000) -> None:
    """Wait until the widget shows item ``key`` (``None``: the "all done" screen)."""
    page.wait_for_function(
        """([sel, key]) => { const r = document.querySelector(sel); if (!r) return false;
                             return key === null ? r.dataset.state === 'done'
                                                 : r.dataset.state === 'item' && r.dataset.key === key; }""",
        arg=[harness.WIDGET, key],
        timeout=timeout,
    )


def check_item(page: Page, i: int, suffix: str = "") -> None:
    """Item ``i`` is on screen with its text and id verbatim."""
    expect_key(page, IDS[i])
    snap = page.evaluate(SNAPSHOT, harness.WIDGET)
    assert snap["text"] == PAYLOADS[i], f"item {i}: text not shown verbatim"
    assert snap["id"] == f"Item {IDS[i]} · #{i + 1} of {N}{suffix}", f"item {i}: id not shown verbatim"


def assert_nothing_executed(page: Page, dialogs: list) -> None:
    safety = page.evaluate(SAFETY, harness.WIDGET)
    assert dialogs == [], f"a payload opened a dialog: {dialogs[:3]}"
    assert safety["pwned"] == "undefined", "a payload ran: window.__pwned is set"
    assert set(safety["tags"]) <= ALLOWED_TAGS, f"unexpected elements in the widget: {safety['tags']}"
    assert safety["handlers"] == [], f"event-handler attributes in the widget: {safety['handlers'][:5]}"
    assert safety["urls"] == [], f"URL attributes in the widget: {safety['urls'][:5]}"
    assert safety["anywhere"] == [] and safety["scripts"] == 0, safety


def test_hostile_strings_render_as_text(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    assert N >= 30 and len(set(PAYLOADS)) == N
    page = lab_page
    folder = lab_root / "hostile"
    harness.write_notebook(folder / "hostile.ipynb", [SETUP, PROBE])
    (folder / "payloads.json").write_text(json.dumps(PAYLOADS), encoding="utf-8")

    harness.open_notebook(page, lab, "hostile/hostile.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    check_item(page, 0)

    # labels: on the buttons and in the counts, verbatim
    texts = "(els) => els.map((e) => e.textContent)"
    assert widget.locator(".nbl-label-btn .nbl-label-text").evaluate_all(texts) == PAYLOADS
    assert widget.locator(".nbl-count-label").evaluate_all(texts) == PAYLOADS
    hotkeys = widget.locator(".nbl-label-btn").evaluate_all(
        "(els) => els.map((e) => e.getAttribute('aria-keyshortcuts'))"
    )
    assert sum(k is not None for k in hotkeys) >= 30

    # a hostile comment typed key by key into the flag box (its letters are not commands there)
    harness.focus_widget(page)
    page.keyboard.press("f")
    expect(widget.locator(".nbl-flag-input")).to_be_focused()
    page.keyboard.type(COMMENT)
    expect(widget.locator(".nbl-flag-input")).to_have_value(COMMENT)
    page.keyboard.press("Enter")
    expect(widget.locator(".nbl-flag-note")).to_have_text(f"⚑ flagged: {COMMENT}")
    check_item(page, 0)

    # label every item with its own hostile label: a key press where a hotkey exists, else a click
    for i in range(N):
        check_item(page, i)
        if hotkeys[i] is not None:
            page.keyboard.press(hotkeys[i])
        else:
            widget.locator(".nbl-label-btn").nth(i).click()
        expect_key(page, IDS[i + 1] if i + 1 < N else None)
    expect(widget.locator(".nbl-progress")).to_have_text(f"{N} / {N} labeled · 1 flagged")
    assert_nothing_executed(page, dialogs)

    # walk back through every item with the arrow keys: text, id and chosen label verbatim
    harness.focus_widget(page)
    for i in range(N - 1, -1, -1):
        page.keyboard.press("ArrowLeft")
        check_item(page, i, " · labeled")
        pressed = widget.locator(".nbl-label-btn[aria-pressed='true'] .nbl-label-text")
        assert pressed.evaluate_all("(els) => els.map((e) => e.textContent)") == [PAYLOADS[i]]
    expect(widget.locator(".nbl-flag-note")).to_have_text(f"⚑ flagged: {COMMENT}")  # item 0
    expect(widget.locator(".nbl-save")).to_have_text("All changes saved")
    assert_nothing_executed(page, dialogs)

    # the store holds every string exactly
    db = folder / "nblabel.db"
    deadline = time.monotonic() + 20
    while True:
        store = nl.Store(db)
        try:
            frame = store.annotations(TASK)
        finally:
            store.close()
        if len(frame) >= N + 1 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert frame["kind"].tolist() == ["flag"] + ["label"] * N
    assert frame["comment"].iloc[0] == COMMENT
    assert frame["item_id"].iloc[0] == IDS[0]
    assert frame["item_id"].tolist()[1:] == IDS
    assert frame["value"].tolist()[1:] == PAYLOADS

    # ... and so does w.labels in the kernel
    out = harness.run_cell(page, 1)
    pairs = sorted(zip(IDS, PAYLOADS, strict=True))
    digest = hashlib.sha256(json.dumps(pairs).encode()).hexdigest()
    assert f"PROBE {N} True 0 {digest}" in out, out  # back on item 0, all labels there

    # control: this page does run inline handlers, so the checks above are not vacuous
    page.evaluate(
        """() => { const d = document.createElement('div');
                   d.innerHTML = '<img src="data:," onerror="window.__control = true">';
                   document.body.append(d); }"""
    )
    page.wait_for_function("() => window.__control === true")
    assert_nothing_executed(page, dialogs)
