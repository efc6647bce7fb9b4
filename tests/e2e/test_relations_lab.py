"""Relations between spans end to end in JupyterLab + Chromium: spans tagged with the mouse, one
relation drawn with the keyboard (``r``, the arrows, a relation key) and one with the mouse
(click a span, Shift+click another, choose the relation), an arc selected with ``]`` and removed
with Delete (Backspace brings it back); Enter stores ``{"spans", "relations"}``. With one
relation label a click draws it at once; deleting a span drops its relations; hostile relation
labels and text render as text; an arc into another paragraph ends on its span."""

from __future__ import annotations

import os
from pathlib import Path

import harness
from playwright.sync_api import Page, expect

pytestmark = __import__("pytest").mark.e2e

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "relations.png"
TASK = "rel"
LABELS = ["PER", "ORG", "LOC"]
PWN = "window.__pwned=true"
RELATIONS = ["works_for", "located_in"]
TEXT = "Ada Lovelace works for Acme Corp, a firm based in London."
HOSTILE = f"<img src=x onerror={PWN}>"
HOSTILE_TEXT = f"<b>Zoë</b> met Bob.\n\nLater, in Paris <img src=x onerror={PWN}>."


def setup(texts: list[str], relations: list[str]) -> str:
    return (
        "import pandas as pd\nimport nblabel as nl\n"
        f"df = pd.DataFrame({{'sentence': {texts!r}}})\n"
        f"w = nl.Spans(df, text='sentence', labels={LABELS!r}, relations={relations!r},\n"
        f"             task={TASK!r}, annotator='ana', store='relations.db')\n"
        "w"
    )


def drag(page: Page, text: str, word: str) -> None:
    """Tag ``word`` with the mouse, then wait until its span is drawn: the next drag measures
    the characters' boxes, which a span's chip still to be drawn would move (a drag measured
    before the previous span's chip appeared missed its word under load)."""
    widget = page.locator(harness.WIDGET).first
    spans = widget.locator(".nbl-seg[data-label]")
    before = spans.count()
    harness.drag_text(page, widget, *harness.utf16_span(text, word))
    expect(spans).to_have_count(before + 1)


def arcs(page: Page, count: int) -> list[str]:
    """The relation labels of the arcs on screen (as their SVG text), in drawing order, once
    ``count`` are drawn (arcs are placed in the frame that lays the text out)."""
    drawn = page.locator(f"{harness.WIDGET} .nbl-spans-text .nbl-arc:not(.nbl-arc-pending) .nbl-arc-label")
    expect(drawn).to_have_count(count)
    return drawn.evaluate_all("(els) => els.map((e) => e.textContent)")


def stored(db: Path, item: int, count: int) -> dict:
    labels = harness.wait_for_events(db, TASK, count, timeout=40)
    return labels[labels["item_id"] == item]["value"].iloc[-1]


def test_relations_drawn_with_the_keyboard_and_the_mouse_land_in_the_store(
    lab, lab_root: Path, lab_page: Page, dialogs
) -> None:
    page = lab_page
    folder = lab_root / "relations"
    harness.write_notebook(folder / "relations.ipynb", [setup([TEXT], RELATIONS)])
    harness.open_notebook(page, lab, "relations/relations.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "0")
    expect(widget.locator(".nbl-relation-chip")).to_have_count(2)
    harness.focus_widget(page)

    # ---- three spans with the mouse
    text = TEXT
    for key, word in (("1", "Ada Lovelace"), ("2", "Acme Corp"), ("3", "London")):
        page.keyboard.press(key)
        drag(page, text, word)
    expect(widget.locator(".nbl-seg[data-label]")).to_have_count(3)

    # the keyboard: the token cursor on "Ada", r starts a relation to the next span (Acme Corp)
    page.keyboard.press("ArrowRight")
    page.keyboard.press("r")
    status = widget.locator(".nbl-relation-status")
    expect(status).to_contain_text("Relation from “Ada Lovelace” to “Acme Corp”")
    page.keyboard.press("ArrowRight")  # another span: London
    expect(status).to_contain_text("to “London”")
    page.keyboard.press("Shift+Tab")  # back to Acme Corp
    expect(status).to_contain_text("to “Acme Corp”")
    page.keyboard.press("1")  # works_for
    expect(widget.locator(".nbl-notice")).to_contain_text("Added works_for: “Ada Lovelace” → “Acme Corp”")
    assert arcs(page, 1) == ["works_for"]

    # the mouse: click Acme Corp, Shift+click London, choose located_in by its key
    widget.locator(".nbl-seg[data-label='ORG']").click()
    expect(widget.locator(".nbl-selected-span")).to_have_count(1)
    widget.locator(".nbl-seg[data-label='LOC']").click(modifiers=["Shift"])
    expect(status).to_contain_text("Relation from “Acme Corp” to “London”")
    expect(widget.locator(".nbl-seg[data-label]")).to_have_count(3)  # no span tagged by the click
    page.keyboard.press("2")
    assert sorted(arcs(page, 2)) == ["located_in", "works_for"]
    # the arcs sit over the text, from the head's span down into the child's
    ada, acme = (widget.locator(f".nbl-seg[data-label='{label}']").bounding_box() for label in ("PER", "ORG"))
    line = widget.locator(".nbl-arc[data-label='works_for'] .nbl-arc-line").bounding_box()
    assert line["y"] < ada["y"]  # above the text
    assert line["x"] < acme["x"] + acme["width"] and line["x"] + line["width"] > ada["x"]
    assert widget.locator(".nbl-arc[data-label='works_for']").get_attribute("aria-label") == (
        "“Ada Lovelace” works_for “Acme Corp”"
    )

    # ] selects an arc, Delete removes it, Backspace brings it back
    page.keyboard.press("]")
    expect(widget.locator(".nbl-arc-selected")).to_have_count(1)
    expect(status).to_contain_text("Relation works_for: “Ada Lovelace” → “Acme Corp”")
    page.keyboard.press("Delete")
    expect(widget.locator(".nbl-arc:not(.nbl-arc-pending)")).to_have_count(1)
    page.keyboard.press("Backspace")
    expect(widget.locator(".nbl-arc:not(.nbl-arc-pending)")).to_have_count(2)
    # a click on an arc selects it too; Esc lets go
    widget.locator(".nbl-arc[data-label='located_in'] .nbl-arc-label").click()
    expect(widget.locator(".nbl-arc-selected[data-label='located_in']")).to_have_count(1)
    harness.focus_widget(page)
    page.keyboard.press("Escape")
    expect(widget.locator(".nbl-arc-selected")).to_have_count(0)

    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "relations.png"
    widget.screenshot(path=str(shot), animations="disabled")
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-state", "done")
    value = stored(folder / "relations.db", 0, 1)
    marked = [(text[s["start"] : s["end"]], s["label"]) for s in value["spans"]]
    assert marked == [("Ada Lovelace", "PER"), ("Acme Corp", "ORG"), ("London", "LOC")]
    assert value["relations"] == [
        {"head": 0, "child": 1, "label": "works_for"},
        {"head": 1, "child": 2, "label": "located_in"},
    ]
    assert dialogs == []


def test_deleting_a_span_drops_its_relations_and_hostile_labels_are_text(
    lab, lab_root: Path, lab_page: Page, dialogs
) -> None:
    page = lab_page
    folder = lab_root / "relations-hostile"
    harness.write_notebook(folder / "relations.ipynb", [setup([HOSTILE_TEXT], [HOSTILE])])
    harness.open_notebook(page, lab, "relations-hostile/relations.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "0")
    harness.focus_widget(page)
    text = HOSTILE_TEXT
    paragraphs = "(e) => Array.from(e.querySelectorAll('.nbl-chunk'), (c) => c.textContent).join('')"
    assert widget.locator(".nbl-spans-text").evaluate(paragraphs) == text
    page.keyboard.press("1")
    drag(page, text, "Zoë")
    drag(page, text, "Bob")
    page.keyboard.press("3")
    drag(page, text, "Paris")
    # one relation label: Alt+click from a selected span draws it at once
    widget.locator(".nbl-seg[data-label='PER']").first.click()  # Zoë
    widget.locator(".nbl-seg[data-label='LOC']").click(modifiers=["Alt"])
    assert arcs(page, 1) == [HOSTILE]
    # the arc goes down into Paris, in the second paragraph
    paris = widget.locator(".nbl-seg[data-label='LOC']").bounding_box()
    tip = widget.locator(".nbl-arc .nbl-arc-line").evaluate(  # the curve's end: the arrow's tip
        "(path) => { const d = path.getAttribute('d').split(' M ')[0].trim().split(' ');"
        " const p = new DOMPoint(Number(d.at(-2)), Number(d.at(-1))).matrixTransform(path.getScreenCTM());"
        " return {x: p.x, y: p.y}; }"
    )
    assert paris["x"] <= tip["x"] <= paris["x"] + paris["width"]
    assert abs(tip["y"] - paris["y"]) < 6
    expect(widget.locator(".nbl-relation-chip")).to_contain_text(HOSTILE)
    assert widget.locator(".nbl-item img, .nbl-item b, .nbl-controls img").count() == 0
    # Bob → Paris with the keyboard: r on Bob (the cursor's span), → to Paris, Enter
    for _ in range(20):  # the token cursor over <, b, >, Zoë, ... to Bob
        page.keyboard.press("ArrowRight")
        if widget.locator(".nbl-span-cursor").text_content() == "Bob":
            break
    page.keyboard.press("r")
    expect(widget.locator(".nbl-relation-status")).to_contain_text("Relation from “Bob” to “Paris”")
    page.keyboard.press("Enter")
    expect(widget.locator(".nbl-arc:not(.nbl-arc-pending)")).to_have_count(2)
    # Paris deleted: both relations go with it
    widget.locator(".nbl-seg[data-label='LOC']").click()
    harness.focus_widget(page)
    page.keyboard.press("Delete")
    expect(widget.locator(".nbl-arc")).to_have_count(0)
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-state", "done")
    value = stored(folder / "relations.db", 0, 1)
    marked = [(text[s["start"] : s["end"]], s["label"]) for s in value["spans"]]
    assert marked == [("Zoë", "PER"), ("Bob", "PER")]
    assert value["relations"] == []
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []


AHEAD_TEXTS = [
    "Nothing to see here.",
    "Grace Hopper worked for the Navy.\n\nThe Navy is in Arlington.",
    "Alan Turing joined Bletchley Park.",
]
AHEAD = (
    setup(AHEAD_TEXTS, RELATIONS).removesuffix("w") + "def at(text, *words):\n"
    "    return [{'start': text.index(w), 'end': text.index(w) + len(w), 'label': l} for w, l in words]\n"
    f"t1, t2 = {AHEAD_TEXTS[1]!r}, {AHEAD_TEXTS[2]!r}\n"
    "w.annotate(1, {'spans': at(t1, ('Grace Hopper', 'PER'), ('Navy', 'ORG'), ('Arlington', 'LOC')),\n"
    "               'relations': [(0, 1, 'works_for'), (1, 2, 'located_in')]})\n"
    "w.annotate(2, {'spans': at(t2, ('Alan Turing', 'PER'), ('Bletchley Park', 'ORG')),\n"
    "               'relations': [(0, 1, 'works_for')]})\n"
    "w.goto(0)\n"
    "w"
)


def test_the_next_document_is_drawn_ahead_and_works_once_shown(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    folder = lab_root / "relations-ahead"
    harness.write_notebook(folder / "relations.ipynb", [AHEAD])
    harness.open_notebook(page, lab, "relations-ahead/relations.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "0")
    # the next document waits hidden and inert under this one, its arcs already placed
    ahead = widget.locator(".nbl-spans-ahead")
    expect(ahead).to_have_count(1)
    assert ahead.get_attribute("aria-hidden") == "true" and ahead.evaluate("(e) => e.inert")
    expect(ahead.locator(".nbl-arc")).to_have_count(2)
    assert widget.locator(".nbl-spans-text .nbl-arc").count() == 0
    harness.focus_widget(page)
    page.keyboard.press("j")
    expect(widget).to_have_attribute("data-key", "1")
    shown = widget.locator(".nbl-spans-text")
    expect(shown).to_have_count(1)
    paragraphs = "(e) => Array.from(e.querySelectorAll('.nbl-chunk'), (c) => c.textContent).join('')"
    assert shown.evaluate(paragraphs) == AHEAD_TEXTS[1]
    assert sorted(arcs(page, 2)) == ["located_in", "works_for"]  # arcs() reads the text on screen
    # the arc into the second paragraph ends on Arlington
    arlington = shown.locator(".nbl-seg[data-label='LOC']").bounding_box()
    tip = shown.locator(".nbl-arc[data-label='located_in'] .nbl-arc-line").evaluate(
        "(path) => { const d = path.getAttribute('d').split(' M ')[0].trim().split(' ');"
        " const p = new DOMPoint(Number(d.at(-2)), Number(d.at(-1))).matrixTransform(path.getScreenCTM());"
        " return {x: p.x, y: p.y}; }"
    )
    assert arlington["x"] <= tip["x"] <= arlington["x"] + arlington["width"]
    assert abs(tip["y"] - arlington["y"]) < 6
    # the document shown is the one edited: Grace Hopper deleted with the mouse takes works_for
    expect(widget.locator(".nbl-spans-ahead")).to_have_count(1)  # now document 2
    shown.locator(".nbl-seg[data-label='PER']").click()
    harness.focus_widget(page)
    page.keyboard.press("Delete")
    assert arcs(page, 1) == ["located_in"]
    page.keyboard.press("Enter")  # confirms document 1, back to the one left to label
    expect(widget).to_have_attribute("data-key", "0")
    value = stored(folder / "relations.db", 1, 3)  # two labels written by Python, then this one
    assert [s["label"] for s in value["spans"]] == ["ORG", "LOC"]
    assert value["relations"] == [{"head": 0, "child": 1, "label": "located_in"}]
