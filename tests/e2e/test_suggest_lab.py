"""Suggestions from a model (``suggest=`` a callable) in JupyterLab + Chromium: the suggestion
computed in the background reaches the item on screen (pushed after the item when it was not
ready), Enter accepts it and the stored label is the suggestion with ``suggestion_shown``; a
Spans suggestion accepted lands in the accepted record; a failing model is said in the banner
while labeling goes on."""

from __future__ import annotations

from pathlib import Path

import harness
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

CLASSIFY = """\
import time
import pandas as pd
import nblabel as nl

df = pd.DataFrame({"text": ["Broke after a day.", "Loved it.", "It is fine.", "Awful support."]},
                  index=pd.Index([1, 2, 3, 4], name="id"))

def sentiment(batch):
    time.sleep(1.0)  # a slow model: the first item is shown before its suggestion is ready
    words = {"Broke": "neg", "Loved": "pos", "It": "neutral", "Awful": "neg"}
    return [(words[t.split()[0]], 0.8) for t in batch["text"]]

w = nl.Classify(df, text="text", labels=["pos", "neg", "neutral"], task="t", annotator="ana",
                store="s.db", suggest=sentiment, suggest_batch=2)
w
"""

FAILING = """\
import pandas as pd
import nblabel as nl

df = pd.DataFrame({"text": ["one", "two"]}, index=[1, 2])

def flaky(batch):
    raise RuntimeError("<b>model server down</b>")

w = nl.Classify(df, text="text", labels=["pos", "neg"], task="f", annotator="ana", store="s.db",
                suggest=flaky)
w
"""

SPANS = """\
import time
import pandas as pd
import nblabel as nl

df = pd.DataFrame({"sentence": ["Barack Obama visited Paris.", "Angela Merkel met Obama."]})

def people(batch):
    time.sleep(1.0)
    out = []
    for text in batch["sentence"]:
        name = " ".join(text.split()[:2])
        out.append([{"start": 0, "end": len(name), "label": "PER"}])
    return out

w = nl.Spans(df, text="sentence", labels=["PER", "LOC"], task="s", annotator="ana", store="s.db",
             suggest=people)
w
"""


def _open(page: Page, lab, lab_root: Path, folder: str, source: str) -> Path:
    harness.write_notebook(lab_root / folder / "suggest.ipynb", [source])
    harness.open_notebook(page, lab, f"{folder}/suggest.ipynb")
    harness.run_all(page)
    return lab_root / folder / "s.db"


def test_a_callable_suggestion_appears_and_enter_accepts_it(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    db = _open(page, lab, lab_root, "suggest-classify", CLASSIFY)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "1")
    # pushed onto the item on screen once the model answers (it was shown without it)
    suggested = widget.locator(".nbl-label-btn.nbl-suggested")
    expect(suggested).to_have_count(1, timeout=20_000)
    expect(suggested).to_contain_text("neg")
    harness.focus_widget(page)
    page.keyboard.press("Enter")  # accepts the suggestion
    expect(widget).to_have_attribute("data-key", "2")
    expect(widget.locator(".nbl-label-btn.nbl-suggested")).to_contain_text("pos", timeout=20_000)
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "3")
    expect(widget.locator(".nbl-label-btn.nbl-suggested")).to_contain_text("neutral", timeout=20_000)
    page.keyboard.press("1")  # overrides "neutral" with "pos"
    expect(widget).to_have_attribute("data-key", "4")

    events = harness.wait_for_events(db, "t", 3 + 4)  # three labels, four model events
    mine = events[events["annotator"] == "ana"]
    assert mine["value"].tolist() == ["neg", "pos", "pos"]
    assert mine["suggestion"].tolist() == ["neg", "pos", "neutral"]
    assert mine["suggestion_shown"].tolist() == [True, True, True]
    model = events[events["annotator"] == "model:sentiment"].set_index("item_id")
    assert model.loc[1, "value"] == "neg" and model.loc[1, "suggestion"]["score"] == 0.8


def test_a_failing_model_is_said_in_the_banner_and_labeling_goes_on(
    lab, lab_root: Path, lab_page: Page, dialogs
) -> None:
    page = lab_page
    db = _open(page, lab, lab_root, "suggest-failing", FAILING)
    widget = page.locator(harness.WIDGET)
    banner = widget.locator(".nbl-banner")
    expect(banner).to_contain_text("suggest callable 'flaky' failed: RuntimeError: <b>model server down</b>",
                                   timeout=20_000)  # fmt: skip
    assert banner.locator("b").count() == 0  # the message is text
    harness.focus_widget(page)
    page.keyboard.press("2")
    expect(widget).to_have_attribute("data-key", "2")
    events = harness.wait_for_events(db, "f", 1)
    assert events["value"].tolist() == ["neg"] and events["suggestion"].isna().all()
    assert dialogs == []


def test_a_spans_suggestion_from_a_callable_is_accepted(lab, lab_root: Path, lab_page: Page) -> None:
    page = lab_page
    db = _open(page, lab, lab_root, "suggest-spans", SPANS)
    widget = page.locator(harness.WIDGET)
    expect(widget).to_have_attribute("data-key", "0")
    expect(widget.locator(".nbl-suggested-span")).to_have_count(1, timeout=20_000)
    expect(widget.locator(".nbl-suggested-span")).to_contain_text("Barack Obama")
    widget.locator("[data-action='accept-all']").click()
    harness.focus_widget(page)
    page.keyboard.press("Enter")
    expect(widget).to_have_attribute("data-key", "1")
    events = harness.wait_for_events(db, "s", 1 + 2)
    mine = events[events["annotator"] == "ana"]
    record = mine["suggestion"].iloc[0]
    assert record["accepted"] == [0] and record["spans"] == [{"start": 0, "end": 12, "label": "PER"}]
    assert mine["value"].iloc[0] == [{"start": 0, "end": 12, "label": "PER"}]
    assert mine["suggestion_shown"].tolist() == [True]
    stored = nl.Store(db)
    assert len(stored.annotations("s", annotator="model:people")) == 2
    stored.close()
    assert isinstance(events, pd.DataFrame)
