"""Active ordering end to end in JupyterLab + Chromium: the line under the header says why the
item on screen is served (the cold start, then the model's uncertainty once a refit lands in the
background), the most uncertain item comes next after the items already in the browser, and a
hostile label name in that line stays text."""

from __future__ import annotations

from pathlib import Path

import harness
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

import nblabel as nl

pytestmark = pytest.mark.e2e

PWN = "window.__pwned=true"
HOSTILE = f"<img src=x onerror={PWN}>"
LABELS = [HOSTILE, "neg"]
IDS = [f"t{i}" for i in range(12)]


def notebook(p: dict[str, float]) -> str:
    return (
        "import numpy as np, pandas as pd\nimport nblabel as nl\n"
        f"P = {p!r}\n"
        f"df = pd.DataFrame({{'text': list(P)}}, index=pd.Index({IDS!r}, name='id'))\n"
        "def refit(labeled):\n"
        "    return lambda rows: np.array([[P[t], 1 - P[t]] for t in rows['text']])\n"
        f"w = nl.Classify(df, text='text', labels={LABELS!r}, task='active', annotator='ana',\n"
        "                store='active.db', model=refit, order='uncertainty',\n"
        "                min_per_label=0, refit_every=1)\n"
        "w"
    )


def test_why_line_and_the_uncertain_item_next(lab, lab_root: Path, lab_page: Page, dialogs, tmp_path) -> None:
    page = lab_page
    texts = [f"text {i}" for i in range(12)]
    # the cold start's seeded order (by task and annotator), as the widget will serve it
    probe = nl.Classify(
        pd.DataFrame({"text": texts}, index=pd.Index(IDS, name="id")), text="text", labels=LABELS,
        task="active", annotator="ana", store=tmp_path / "probe.db", order="random",
    )  # fmt: skip
    cold = [probe.items.label(p) for p in probe.queue.order.tolist()]
    probe.close()
    # not among the first seven served (one labeled, one on screen, five already in the browser,
    # which a re-rank leaves in place): the model must bring it forward
    uncertain = cold[9]
    p = {t: (0.5 if i == IDS.index(uncertain) else (0.95 if i % 2 else 0.05)) for i, t in enumerate(texts)}
    harness.write_notebook(lab_root / "active" / "active.ipynb", [notebook(p)])
    harness.open_notebook(page, lab, "active/active.ipynb")
    harness.run_all(page)
    widget = page.locator(harness.WIDGET)
    why = widget.locator(".nbl-why")
    expect(widget).to_have_attribute("data-key", cold[0])
    expect(why).to_have_text("Why this item: cold start: random (waiting for the first model fit on labels)")
    harness.focus_widget(page)
    page.keyboard.press("1")  # the first label: a refit in the background
    expect(widget).to_have_attribute("data-key", cold[1])
    expect(why).to_contain_text("Why this item: uncertainty 0.05 (model v1 fit on 1 labels; ", timeout=30_000)
    expect(why).to_contain_text(f"P({HOSTILE})=")  # the label's name, as text
    assert why.locator("img").count() == 0
    for i in range(2, 7):  # cold[2] .. cold[6] were already in the browser: they stay next
        page.keyboard.press("2")
        expect(widget).to_have_attribute("data-key", cold[i])
    page.keyboard.press("1")
    expect(widget).to_have_attribute("data-key", uncertain)  # then the most uncertain item
    expect(why).to_contain_text("Why this item: uncertainty 0.50 (model v")
    events = harness.wait_for_events(lab_root / "active" / "active.db", "active", 7)
    assert events["item_id"].tolist() == cold[:7]
    assert events["value"].tolist() == [HOSTILE] + ["neg"] * 5 + [HOSTILE]
    assert page.evaluate("() => window.__pwned") is None
    assert dialogs == []
