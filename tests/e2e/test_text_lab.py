"""Text end to end in JupyterLab + Chromium: typing stays in the text area (JupyterLab's
command-mode keys, Ctrl+A and Ctrl+Enter never reach the notebook), Ctrl+Enter submits and the
text lands in the store with its edit of the draft, the length bound is explained before a
submission, Esc gives the keys back to navigation (j/k, s, u) and Enter/e returns to the text
area; hostile source and draft texts render as text, in the diff too."""

from __future__ import annotations

import os
from pathlib import Path

import harness
import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "text.png"
SOURCES = [
    "Translate into French: The cat is sleeping on the sofa.",
    "Translate into French: Yes!",
    "Explain in one sentence why the sky is blue.",
    "Translate into French: The meeting was moved to Tuesday because the room was booked.",
]
DRAFTS = [
    "Le chat dort sur le canapé.",
    "Oui !",
    None,
    "La réunion a été déplacé à mardi car la salle était réservé.",
]
SETUP = (
    "import pandas as pd\nimport nblabel as nl\n"
    f"df = pd.DataFrame({{'source': {SOURCES!r}, 'mt': {DRAFTS!r}}},\n"
    "                  index=pd.Index(['s0', 's1', 's2', 's3'], name='sid'))\n"
    "w = nl.Text(df, text='source', draft='mt', task='post-edit', annotator='ana', store='text.db',\n"
    "            min_length=5)\n"
    "w"
)
PWN = "window.__pwned=true"


def exec_counts(page: Page) -> list:
    return [c["count"] for c in page.evaluate(harness._EXEC_STATE)]


# Keys pressed in the widget that reach the document (where JupyterLab and other front ends
# listen for their shortcuts), recorded in the bubbling phase.
LEAKS = """() => { window.__leaked = [];
  for (const type of ['keydown', 'keyup']) document.addEventListener(type, (e) => {
    if (e.target instanceof Element && e.target.closest('.nbl-root'))
      window.__leaked.push(`${type} ${e.ctrlKey ? 'Ctrl+' : ''}${e.metaKey ? 'Meta+' : ''}${e.key}`);
  }); }"""


def test_type_submit_and_navigate(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    harness.write_notebook(lab_root / "text" / "text.ipynb", [SETUP])
    harness.open_notebook(page, lab, "text/text.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    shown = widget.locator(".nbl-text-slot:not(.nbl-text-slot-next)")  # (the next item waits under it)
    area = shown.locator(".nbl-text-editor")
    expect(widget).to_have_attribute("data-key", "s0")
    expect(shown.locator(".nbl-text-source")).to_have_text(SOURCES[0])
    expect(area).to_have_value(DRAFTS[0])
    cells, counts = harness.cell_types(page), exec_counts(page)
    page.evaluate(LEAKS)

    harness.focus_widget(page)
    expect(page.locator(harness.STATUSBAR)).to_contain_text("Mode: Command")
    page.keyboard.press("Enter")  # into the text area
    expect(area).to_be_focused()
    # the end of the draft: "canapé." becomes "canapé du salon, dit Adam." (typing a, d, d, m,
    # commands of JupyterLab's command mode, which must stay text here)
    page.keyboard.press("Control+End")
    page.keyboard.press("Backspace")
    page.keyboard.type(" du salon, dit Adam.")
    expect(area).to_have_value("Le chat dort sur le canapé du salon, dit Adam.")
    expect(widget.locator(".nbl-text-diff-head")).to_have_text("Changes to the draft: +4 words")
    expect(widget.locator(".nbl-text-added")).to_have_text(" du salon, dit Adam")
    expect(widget.locator(".nbl-text-removed")).to_have_count(0)
    # Ctrl+A selects the text, not every cell of the notebook
    page.keyboard.press("Control+a")
    selected = area.evaluate("(a) => [a.selectionStart, a.selectionEnd, a.value.length]")
    assert selected[0] == 0 and selected[1] == selected[2]
    page.keyboard.press("Control+End")
    page.keyboard.press("Control+Enter")  # submit: the next item, still typing
    expect(widget).to_have_attribute("data-key", "s1")
    expect(area).to_be_focused()
    expect(area).to_have_value("Oui !")
    expect(widget.locator(".nbl-text-diff-head")).to_have_text("Changes to the draft: none")

    # the length bound is explained before anything is sent
    page.keyboard.press("Control+a")
    page.keyboard.type("Oui")
    reason = widget.locator(".nbl-text-reason")
    expect(reason).to_have_text("Too short: 3 characters, at least 5 required (2 more).")
    expect(widget.locator(".nbl-text-count")).to_have_text("3 characters · at least 5")
    page.keyboard.press("Control+Enter")
    expect(reason).to_have_attribute("role", "alert")
    expect(widget).to_have_attribute("data-key", "s1")
    page.keyboard.type(" !!")
    expect(reason).to_be_hidden()
    page.keyboard.press("Control+Enter")
    expect(widget).to_have_attribute("data-key", "s2")
    expect(area).to_have_value("")  # no draft: an empty text area, no diff
    expect(widget.locator(".nbl-text-diff-box")).to_be_hidden()

    # Esc: the keys are navigation again
    page.keyboard.press("Escape")
    expect(widget).to_be_focused()
    page.keyboard.press("k")
    expect(widget).to_have_attribute("data-key", "s1")
    expect(area).to_have_value("Oui !!")  # the text submitted
    page.keyboard.press("j")
    expect(widget).to_have_attribute("data-key", "s2")
    page.keyboard.press("s")  # skip
    expect(widget).to_have_attribute("data-key", "s3")
    page.keyboard.press("u")  # undo the skip
    expect(widget).to_have_attribute("data-key", "s2")
    page.keyboard.press("e")
    expect(area).to_be_focused()
    page.keyboard.type("Sunlight is scattered by the air, blue light the most.\nShort waves scatter more.")
    page.keyboard.press("Meta+Enter")  # Cmd+Enter on a Mac
    expect(widget).to_have_attribute("data-key", "s3")

    # the README's picture: a draft being corrected, the diff under it
    page.keyboard.press("Control+Home")
    for _ in range(len("La réunion a été déplacé")):
        page.keyboard.press("ArrowRight")
    page.keyboard.type("e")
    page.keyboard.press("Control+End")
    page.keyboard.press("Backspace")
    page.keyboard.type("e.")
    expect(widget.locator(".nbl-text-diff-head")).to_have_text("Changes to the draft: +2 words · −2 words")
    page.keyboard.press("Escape")
    shot = README_SCREENSHOT if os.environ.get("NBLABEL_SCREENSHOT") == "1" else lab_root / "text.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    widget.screenshot(path=str(shot), animations="disabled")

    events = harness.wait_for_events(lab_root / "text" / "text.db", "post-edit", 3)
    stored = dict(zip(events["item_id"], events["value"], strict=True))
    assert stored == {
        "s0": "Le chat dort sur le canapé du salon, dit Adam.",
        "s1": "Oui !!",
        "s2": "Sunlight is scattered by the air, blue light the most.\nShort waves scatter more.",
    }
    edits = dict(zip(events["item_id"], events["suggestion"], strict=True))
    assert edits["s0"]["draft"] == DRAFTS[0] and edits["s0"]["edit_distance"] == len(" du salon, dit Adam")
    assert edits["s2"] is None
    # nothing reached the notebook: no cell added, removed, changed or run again; no key typed
    # in the widget reached the document (but the modifier keys themselves)
    assert harness.cell_types(page) == cells and exec_counts(page) == counts
    leaked = page.evaluate("() => window.__leaked")
    modifiers = ("Ctrl+Control", "Meta+Meta", "Control", "Meta")
    assert [k for k in leaked if k.split(" ", 1)[1] not in modifiers] == []
    assert dialogs == []


HOSTILE = (
    "import pandas as pd\nimport nblabel as nl\n"
    f"df = pd.DataFrame({{'source': ['<img src=x onerror={PWN}> <b>bold?</b>'],\n"
    f"                   'mt': ['<script>{PWN}</script> <i>draft</i>']}})\n"
    "w = nl.Text(df, text='source', draft='mt', task='hostile', annotator='ana', store='hostile.db')\n"
    "w"
)


def test_hostile_source_and_draft_are_text(lab, lab_root: Path, lab_page: Page, dialogs) -> None:
    page = lab_page
    harness.write_notebook(lab_root / "text-hostile" / "hostile.ipynb", [HOSTILE])
    harness.open_notebook(page, lab, "text-hostile/hostile.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "0")
    expect(widget.locator(".nbl-text-slot:not(.nbl-text-slot-next) .nbl-text-source")).to_have_text(
        f"<img src=x onerror={PWN}> <b>bold?</b>"
    )
    harness.focus_widget(page)
    page.keyboard.press("i")
    page.keyboard.press("Control+End")
    page.keyboard.type(" <img src=y onerror=alert(1)>")
    expect(widget.locator(".nbl-text-added")).to_contain_text("<img")
    expect(widget.locator(".nbl-text-diff")).to_contain_text(f"<script>{PWN}</script>")
    assert widget.locator("img, script, b, i").count() == 0
    page.keyboard.press("Control+Enter")
    expect(widget).to_have_attribute("data-state", "done")
    value = harness.wait_for_events(lab_root / "text-hostile" / "hostile.db", "hostile", 1)["value"].iloc[0]
    assert value == f"<script>{PWN}</script> <i>draft</i> <img src=y onerror=alert(1)>"
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []


ADJUDICATE = (
    "import pandas as pd\nimport nblabel as nl\n"
    "df = pd.DataFrame({'source': ['Hello, how are you?', 'Good night.'],\n"
    "                   'mt': ['Bonjour, comment vas-tu ?', 'Bonne nuit.']},\n"
    "                  index=pd.Index(['a', 'b'], name='sid'))\n"
    "s = nl.Session('adj.db', 'greet', widget=nl.Text, data=df, annotators=['ana', 'ben'], overlap=2,\n"
    "               text='source', draft='mt')\n"
    "ana, ben = s.labeler('ana'), s.labeler('ben')\n"
    "ana.annotate('a', 'Bonjour, comment allez-vous ?'); ana.annotate('b', 'Bonne nuit.')\n"
    "ben.annotate('a', 'Salut, ça va ?'); ben.annotate('b', 'Bonne nuit !')\n"
    "adj = nl.Adjudicate(s, adjudicator='boss')\n"
    "adj"
)


def test_the_adjudicator_edits_one_text_or_uses_another(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    harness.write_notebook(lab_root / "text-adjudicate" / "adjudicate.ipynb", [ADJUDICATE])
    harness.open_notebook(page, lab, "text-adjudicate/adjudicate.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    area = widget.locator(".nbl-text-slot:not(.nbl-text-slot-next) .nbl-text-editor")
    expect(widget).to_have_attribute("data-key", "a")
    expect(widget.locator(".nbl-review-value")).to_have_text(
        ["Bonjour, comment allez-vous ?", "Salut, ça va ?"]
    )
    expect(area).to_have_value("Bonjour, comment vas-tu ?")  # the draft
    # start from ben's text, and improve it
    widget.locator(".nbl-text-start", has_text="ben").click()
    expect(area).to_be_focused()
    expect(area).to_have_value("Salut, ça va ?")
    page.keyboard.press("Control+End")
    page.keyboard.type(" Bien dormi ?")
    page.keyboard.press("Control+Enter")
    expect(widget).to_have_attribute("data-key", "b")
    # or use an annotator's text as it is: Esc, then Alt+1 (ana's)
    page.keyboard.press("Escape")
    page.keyboard.press("Alt+1")
    expect(widget).to_have_attribute("data-state", "done")
    events = harness.wait_for_events(lab_root / "text-adjudicate" / "adj.db", "greet/adjudication", 2)
    assert dict(zip(events["item_id"], events["value"], strict=True)) == {
        "a": "Salut, ça va ? Bien dormi ?",
        "b": "Bonne nuit.",
    }
