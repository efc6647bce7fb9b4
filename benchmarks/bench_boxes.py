"""Boxes in JupyterLab + Chromium.

Budgets (issue 5, item 8):
  * next image painted <= 50 ms median, 1024x768 JPEGs with prefetch: ``Enter`` (confirm) ->
    the frame that shows the next image decoded (a ``requestAnimationFrame`` callback followed
    by a MessageChannel message; when the widget had not decoded the image ahead, the frame
    after ``img.decode()`` resolves);
  * dragging stays at 60 fps with 200 boxes on the image: a box is dragged by real mouse moves
    (one per frame, 120 frames) and the page records the time between frames
    (``requestAnimationFrame`` timestamps); budget: median frame time <= 16.7 ms, and the share
    of frames over 16.7 ms is printed.

Run: ``python benchmarks/bench_boxes.py`` (about a minute). Prints SKIP when JupyterLab,
Playwright or Chromium are missing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import _lab  # noqa: E402
from _common import figure, footer, header, median, p95  # noqa: E402

IMAGES = 30
WARMUP = 3
FRAMES = 120
NEXT_MS = 50
FRAME_MS = 1000 / 60

SETUP = f"""
import numpy as np
import pandas as pd
from PIL import Image
import nblabel as nl

rng = np.random.default_rng(0)
paths = []
for i in range({IMAGES}):
    base = np.linspace(0, 255, 1024)[None, :, None] * np.ones((768, 1, 3))
    noise = rng.normal(0, 25, (768, 1024, 3))
    Image.fromarray(np.clip(base + noise, 0, 255).astype(np.uint8)).save(f"img{{i}}.jpg", quality=85)
    paths.append(f"img{{i}}.jpg")
df = pd.DataFrame({{"path": paths}})
boxes = [{{"x": float(20 + (k % 20) * 49), "y": float(20 + (k // 20) * 70), "w": 40.0, "h": 50.0,
          "label": "car"}} for k in range(200)]
w = nl.Boxes(df, image="path", labels=["car", "person"], task="bench-boxes", annotator="bench",
             store="bench.db")
w.annotate({IMAGES - 1}, boxes)
w.goto(0)
w
"""

INSTRUMENT = """
(sel) => {
  const root = document.querySelector(sel);
  const S = (window.__nblBoxes = { next: [], waiting: null });
  window.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || !root.contains(e.target)) return;
    S.waiting = { ts: e.timeStamp, from: root.dataset.key, painted: null };
    S.next.push(S.waiting);
  }, { capture: true });
  new MutationObserver(() => {
    const rec = S.waiting;
    if (rec && root.dataset.state === 'item' && root.dataset.key !== rec.from) {
      S.waiting = null;
      rec.mutated = performance.now();
      const img = root.querySelector('.nbl-box-image');
      rec.ready = !!img && img.dataset.decoded === '1';  // decoded ahead by the widget
      (img && !rec.ready ? img.decode().catch(() => null) : Promise.resolve()).then(() => {
       rec.decoded = performance.now();
       requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => { rec.painted = performance.now(); channel.port1.close(); };
        channel.port2.postMessage(0);
      }); });
    }
  }).observe(root, { attributes: true, attributeFilter: ['data-key', 'data-state'] });
}
"""

FRAME_LOG = """
() => { const S = (window.__nblFrames = { times: [], on: true });
        const tick = (t) => { if (!S.on) return; S.times.push(t); requestAnimationFrame(tick); };
        requestAnimationFrame(tick); }
"""


def main() -> int:
    header("bench_boxes")
    if not _lab.available():
        return 0
    import harness
    from bench_browser import ensure_bundle

    print(f"# {ensure_bundle()}; {IMAGES} JPEGs of 1024x768; 200 boxes on the last one", flush=True)
    with _lab.notebook_page([SETUP], "nbl-bench-boxes-") as page:
        sel = json.dumps(harness.WIDGET)
        page.wait_for_function(f"() => document.querySelector({sel})?.dataset.key === '0'")
        harness.focus_widget(page)
        page.evaluate(INSTRUMENT, harness.WIDGET)
        for _ in range(IMAGES - 2):
            page.keyboard.press("Enter")  # confirm (no boxes) -> the next image
            page.wait_for_function("() => window.__nblBoxes.next.at(-1).painted !== null", timeout=30_000)
            page.wait_for_timeout(300)  # a person looks at the image before confirming it
        nexts = page.evaluate("() => window.__nblBoxes.next")[WARMUP:]
        # the image with 200 boxes (already labeled, so reached with j): drag one box
        page.keyboard.press("j")
        page.wait_for_function(f"() => document.querySelector({sel})?.dataset.key === '{IMAGES - 1}'")
        page.wait_for_timeout(500)
        drawn = page.locator(f"{harness.WIDGET} .nbl-box").count()
        v = page.locator(f"{harness.WIDGET} .nbl-box-canvas").evaluate(
            "(c) => { const r = c.getBoundingClientRect(); return {left: r.left, top: r.top,"
            " s: +c.dataset.scale, tx: +c.dataset.tx, ty: +c.dataset.ty}; }"
        )
        x0 = v["left"] + v["tx"] + 40 * v["s"]
        y0 = v["top"] + v["ty"] + 45 * v["s"]
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.evaluate(FRAME_LOG)
        for k in range(FRAMES):
            page.mouse.move(x0 + k * 2, y0 + k)
        page.evaluate("() => { window.__nblFrames.on = false; }")
        page.mouse.up()
        times = page.evaluate("() => window.__nblFrames.times")
    painted = [r["painted"] - r["ts"] for r in nexts]
    dom = [r["mutated"] - r["ts"] for r in nexts]
    decoded = [r["decoded"] - r["ts"] for r in nexts]
    figure(
        "next image painted (1024x768 JPEG, decoded, on screen)",
        f"median {median(painted):.1f} ms, p95 {p95(painted):.1f} ms over {len(painted)} images "
        f"(DOM switched: median {median(dom):.1f} ms; decoded ahead: "
        f"{sum(bool(r['ready']) for r in nexts)}/{len(nexts)}; decoded: median {median(decoded):.1f} ms)",
        median(painted) <= NEXT_MS,
        f"median <= {NEXT_MS} ms",
    )
    frames = [b - a for a, b in zip(times, times[1:], strict=False)]
    slow = sum(f > FRAME_MS * 1.5 for f in frames) / max(1, len(frames))
    figure(
        f"dragging a box among {drawn} boxes (frame time)",
        f"median {median(frames):.1f} ms, p95 {p95(frames):.1f} ms over {len(frames)} frames; "
        f"{slow:.0%} of frames longer than 25 ms",
        median(frames) <= FRAME_MS + 0.5,
        "60 fps (median <= 16.7 ms)",
    )
    footer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
