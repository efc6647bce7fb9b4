"""Large label sets (issue 12, item 11): ``nl.Classify`` with a taxonomy of 100,000 labels
against the same with 3 labels.

Budgets: build <= 1 s on a new store and reopen <= 1 s with 100,000 labels; the label list is
sent once (in ``_config``), never with a window or a progress update.

Kernel side (no browser):
  * build: ``nl.Classify(df, labels=...)`` on a new SQLite store, timed in a fresh process per
    run (the process first imports nblabel and builds the DataFrame; only the constructor is
    timed);
  * reopen: the same constructor in a fresh process on the existing task, after 1,000 items
    were labeled ("restart the kernel and run the cell again");
  * bytes: the JSON of ``_config``; of each ``window`` message the kernel sends after a
    label; of each ``_progress`` update a label causes; and the kernel's time to handle one
    browser label message (validate, commit, progress, next window).
Browser side (JupyterLab + Chromium, skipped when they are missing): one notebook with three
widgets (3, 1,000 and 100,000 labels):
  * hotkey label -> next item painted (keydown ``timeStamp`` -> the root's ``data-key``
    changes -> a rAF then a MessageChannel message: the frame that shows it is rendered; the
    method of ``bench_browser.py``), and the websocket bytes the page receives per label;
  * type-ahead: each character typed into the search box -> the filtered list painted (the
    same clock: keydown -> the listbox's DOM changes -> rAF + MessageChannel), for 1,000 and
    100,000 labels.

Run: ``python benchmarks/bench_labels.py`` (about 2 minutes; temp files are removed).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
from _common import figure, footer, header, median, p95  # noqa: E402

BIG = 100_000
SMALL = 3
MID = 1_000
RUNS = 5
ROWS = 1_000
LABELED = 1_000  # labeled before the reopen runs
MESSAGES = 50  # labels sent as browser messages for the byte and time figures
HOTKEYS_TIMED, HOTKEYS_WARMUP = 40, 5
PACE_MS = (80, 120)
QUERIES = ["chronic renal", "fracture femur", "b12", "acute bronch", "nos left", "screening", "tubercul lung"]

#: Words of the synthetic taxonomy (ICD-like: a code, then a few words).
WORDS = """acute chronic renal hepatic cardiac pulmonary fracture femur tibia radius ulna lung
bronchitis asthma diabetes type insulin deficiency vitamin b12 iron anaemia infection bacterial
viral tuberculosis screening history family personal left right bilateral upper lower limb nos
other specified unspecified due to with without complication injury burn poisoning neoplasm
malignant benign secondary primary disorder syndrome disease failure stage"""


def make_labels(n: int) -> list[str]:
    """``n`` distinct ICD-like labels ("K12.3 chronic renal failure of left limb")."""
    if n <= SMALL:
        return ["positive", "negative", "neutral"][:n]
    rng = random.Random(n)
    words = WORDS.split()
    labels = []
    for i in range(n):
        code = f"{chr(65 + i % 26)}{(i // 26) % 100:02d}.{i // 2600}"
        labels.append(f"{code} {' '.join(rng.choice(words) for _ in range(rng.randint(2, 5)))}")
    return labels


def make_frame():
    import pandas as pd

    return pd.DataFrame({"note": [f"patient note {i}: follow-up visit" for i in range(ROWS)]})


# ----------------------------------------------------------------------------- kernel side
def child(n: int, store: str) -> None:
    """In a fresh interpreter: import, build the frame and labels, time the constructor."""
    import nblabel as nl

    df, labels = make_frame(), make_labels(n)
    t0 = time.perf_counter()
    w = nl.Classify(df, text="note", labels=labels, task=f"bench-{n}", annotator="ana", store=store)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"seconds": elapsed, "labeled": int(w.labels.notna().sum())}))


def run_child(n: int, store: Path) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(n), str(store)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def label_some(n: int, store: Path) -> None:
    """Label ``LABELED`` items of the task (random labels), as the reopen runs will find it."""
    import nblabel as nl

    labels = make_labels(n)
    w = nl.Classify(make_frame(), text="note", labels=labels, task=f"bench-{n}", annotator="ana", store=store)
    rng = random.Random(1)
    for i in range(LABELED):
        w.annotate(i, labels[rng.randrange(n)])
    w.close()
    w.store.close()


def kernel_figures(tmp: Path) -> dict[int, dict]:
    """Build and reopen times, and message sizes, for 3 and 100,000 labels."""
    results: dict[int, dict] = {}
    for n in (SMALL, BIG):
        build = [run_child(n, tmp / f"build-{n}-{r}.db")["seconds"] for r in range(RUNS)]
        store = tmp / f"reopen-{n}.db"
        label_some(n, store)
        reopened = [run_child(n, store) for _ in range(RUNS)]
        assert all(r["labeled"] == LABELED for r in reopened), reopened
        results[n] = {"build": build, "reopen": [r["seconds"] for r in reopened], **messages(n, tmp)}
    return results


def messages(n: int, tmp: Path) -> dict:
    """Bytes of ``_config``, of windows and progress updates after a label; kernel time per label."""
    import nblabel as nl

    labels = make_labels(n)
    w = nl.Classify(
        make_frame(), text="note", labels=labels, task=f"msg-{n}", annotator="ana", store=tmp / "msg.db"
    )
    sent: list[dict] = []
    w.send = lambda content, buffers=None: sent.append(content)
    progress: list[int] = []
    w.observe(lambda change: progress.append(len(json.dumps(change["new"]).encode())), names="_progress")
    view = 0
    have: list[str] = []

    def browser(msg: dict) -> None:
        nonlocal view, have
        view += 1
        w._on_browser_message(w, {**msg, "client": "bench", "view": view, "have": have}, [])
        window = next(m for m in reversed(sent) if m.get("type") == "window")
        have = sorted({*have, *(item["key"] for item in window["items"] if "payload" in item)})

    browser({"type": "hello"})
    rng = random.Random(2)
    windows: list[int] = []
    handle_ms: list[float] = []
    for i in range(MESSAGES):
        sent.clear()
        t0 = time.perf_counter()
        message = {"type": "label", "key": str(i), "value": rng.randrange(n), "seq": f"b/{i}", "active_ms": 9}
        browser(message)
        handle_ms.append((time.perf_counter() - t0) * 1000)
        windows += [len(json.dumps(m).encode()) for m in sent if m.get("type") == "window"]
    assert w.labels.notna().sum() == MESSAGES and len(progress) == MESSAGES
    config = len(json.dumps(w._config).encode())
    w.close()
    w.store.close()
    return {"config": config, "window": windows, "progress": progress, "handle_ms": handle_ms}


def report_kernel(results: dict[int, dict]) -> None:
    big, small = results[BIG], results[SMALL]

    def ratio(key: str) -> str:
        return f"{median(big[key]) / median(small[key]):.2f}×"

    for key, what in (("build", "build on a new store"), ("reopen", f"reopen, {LABELED:,} items labeled")):
        figure(
            f"Classify {what}, {BIG:,} labels ({RUNS} runs, a fresh process each)",
            f"median {median(big[key]):.3f} s, p95 {p95(big[key]):.3f} s; {SMALL} labels: median "
            f"{median(small[key]):.3f} s; ratio {ratio(key)}",
            median(big[key]) <= 1.0 and p95(big[key]) <= 1.0,
            "<= 1 s",
        )
    figure(
        "_config (sent once, when the widget is shown)",
        f"{big['config'] / 1e6:.2f} MB with {BIG:,} labels ({big['config'] / BIG:.0f} B per label); "
        f"{small['config']:,} B with {SMALL}",
    )
    figure(
        f"window message after a label ({MESSAGES} labels)",
        f"median {median(big['window']):,.0f} B, max {max(big['window']):,} B with {BIG:,} labels; "
        f"{median(small['window']):,.0f} B with {SMALL}; ratio {ratio('window')}",
        max(big["window"]) <= 2 * max(small["window"]),
        "no label list: about the size of the 3-label window",
    )
    figure(
        f"_progress update after a label ({MESSAGES} labels)",
        f"median {median(big['progress']):,.0f} B, max {max(big['progress']):,} B with {BIG:,} labels "
        f"(the 10 most used); {median(small['progress']):,.0f} B with {SMALL}; ratio {ratio('progress')}",
        max(big["progress"]) <= 500,
        "<= 500 B",
    )
    figure(
        "kernel: one browser label message handled (validate, commit, progress, next window)",
        f"median {median(big['handle_ms']):.2f} ms, p95 {p95(big['handle_ms']):.2f} ms with {BIG:,} labels; "
        f"median {median(small['handle_ms']):.2f} ms with {SMALL}; ratio {ratio('handle_ms')}",
    )


# ----------------------------------------------------------------------------- browser side
NOTEBOOK = [
    f"""import sys
sys.path.insert(0, {str(HERE)!r})
import nblabel as nl
from bench_labels import make_frame, make_labels
df = make_frame()""",
    f'nl.Classify(df, text="note", labels=make_labels({SMALL}), task="small", annotator="ana", store="b.db")',
    f'nl.Classify(df, text="note", labels=make_labels({MID}), task="mid", annotator="ana", store="b.db")',
    f'nl.Classify(df, text="note", labels=make_labels({BIG}), task="big", annotator="ana", store="b.db")',
]

HOTKEY_PROBE = """
([sel, index]) => {
  const root = document.querySelectorAll(sel)[index];
  const S = (window.__nblKeys = { keys: [], waiting: null });
  const onKey = (e) => {
    if (!/^[0-9]$/.test(e.key) || !root.contains(e.target)) return;
    const rec = { ts: e.timeStamp, from: root.dataset.key, raf: null, painted: null };
    S.keys.push(rec);
    S.waiting = rec;
  };
  window.addEventListener('keydown', onKey, { capture: true });
  const observer = new MutationObserver(() => {
    const rec = S.waiting;
    if (!rec || root.dataset.state !== 'item' || root.dataset.key === rec.from) return;
    S.waiting = null;
    requestAnimationFrame(() => {
      rec.raf = performance.now();
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { rec.painted = performance.now(); channel.port1.close(); };
      channel.port2.postMessage(0);
    });
  });
  observer.observe(root, { attributes: true, attributeFilter: ['data-key', 'data-state'] });
  S.stop = () => { observer.disconnect(); window.removeEventListener('keydown', onKey, { capture: true }); };
}
"""

TYPING_PROBE = """
([sel, index]) => {
  const root = document.querySelectorAll(sel)[index];
  const input = root.querySelector('.nbl-search-input');
  const list = root.querySelector('.nbl-search-list');
  const search = root.querySelector('.nbl-search');
  const S = (window.__nblType = { keys: [], waiting: null });
  const onKey = (e) => {
    if (e.target !== input || e.key.length !== 1 || e.ctrlKey || e.metaKey || e.altKey) return;
    const rec = { ts: e.timeStamp, mutated: null, raf: null, painted: null, options: null, query: null };
    S.keys.push(rec);
    S.waiting = rec;
  };
  window.addEventListener('keydown', onKey, { capture: true });
  const observer = new MutationObserver(() => {
    const rec = S.waiting;
    if (!rec) return;
    S.waiting = null;
    rec.mutated = performance.now();
    rec.options = list.children.length;
    rec.query = input.value;
    requestAnimationFrame(() => {
      rec.raf = performance.now();
      const channel = new MessageChannel();
      channel.port1.onmessage = () => { rec.painted = performance.now(); channel.port1.close(); };
      channel.port2.postMessage(0);
    });
  });
  // the list and its status line (redrawn on every key, even when no label matches)
  observer.observe(search, { childList: true, subtree: true, characterData: true });
  S.stop = () => { observer.disconnect(); window.removeEventListener('keydown', onKey, { capture: true }); };
}
"""


def paced(page, keys: list[str], rng: random.Random) -> None:
    for key in keys:
        start = time.monotonic()
        page.keyboard.press(key)
        wait = rng.uniform(*PACE_MS) / 1000 - (time.monotonic() - start)
        if wait > 0:
            page.wait_for_timeout(wait * 1000)


def browser_figures(tmp: Path) -> dict | None:
    try:
        import harness
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        print(f"SKIP browser figures: {exc} (needs tests/e2e/harness.py, playwright, jupyterlab)")
        return None
    if not Path(harness.CHROMIUM).exists():
        print(f"SKIP browser figures: {harness.CHROMIUM} not found")
        return None
    from bench_browser import ensure_bundle

    print(f"# {ensure_bundle()}", flush=True)
    root = tmp / "lab"
    harness.write_notebook(root / "labels.ipynb", NOTEBOOK)
    out: dict = {}
    with harness.jupyter_lab(root) as lab, sync_playwright() as pw:
        browser = harness.launch_chromium(pw)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            frames: list[tuple[float, int]] = []

            def on_socket(ws) -> None:
                ws.on("framereceived", lambda payload: frames.append((time.monotonic(), len(payload))))

            page.on("websocket", on_socket)
            harness.open_notebook(page, lab, "labels.ipynb")
            harness.run_all(page, timeout=180_000)
            page.wait_for_function(
                "(sel) => { const r = document.querySelectorAll(sel);"
                " return r.length === 3 && [...r].every((x) => x.dataset.state === 'item'); }",
                arg=harness.WIDGET,
                timeout=120_000,
            )
            rng = random.Random(0)
            for index, n in enumerate((SMALL, MID, BIG)):
                harness.focus_widget(page, index)
                page.evaluate(HOTKEY_PROBE, [harness.WIDGET, index])
                keys = [rng.choice("123") for _ in range(HOTKEYS_WARMUP + HOTKEYS_TIMED)]
                paced(page, keys[:HOTKEYS_WARMUP], rng)
                start = time.monotonic()
                paced(page, keys[HOTKEYS_WARMUP:], rng)
                page.wait_for_function("() => window.__nblKeys.keys.every((k) => k.painted !== null)")
                page.wait_for_function(
                    "([sel, i]) => document.querySelectorAll(sel)[i].querySelector('.nbl-save').textContent"
                    " === 'All changes saved'",
                    arg=[harness.WIDGET, index],
                )
                received = sum(size for t, size in frames if t >= start)
                records = page.evaluate("() => { window.__nblKeys.stop(); return window.__nblKeys.keys; }")
                out[n] = {
                    "hotkey": [r["painted"] - r["ts"] for r in records[HOTKEYS_WARMUP:]],
                    "ws_per_label": received / HOTKEYS_TIMED,
                }
                if n == SMALL:
                    continue
                page.keyboard.press("/")
                page.evaluate(TYPING_PROBE, [harness.WIDGET, index])
                page.wait_for_timeout(300)  # the labels are folded just after the search opens
                typed: list[dict] = []
                for query in QUERIES:
                    paced(page, list(query), rng)
                    page.wait_for_function("() => window.__nblType.keys.every((k) => k.painted !== null)")
                    page.keyboard.press("Control+a")
                    page.keyboard.press("Backspace")
                typed = page.evaluate("() => { window.__nblType.stop(); return window.__nblType.keys; }")
                page.keyboard.press("Escape")
                out[n]["typed"] = [r["painted"] - r["ts"] for r in typed]
                out[n]["raf"] = [r["raf"] - r["ts"] for r in typed]
                out[n]["queries"] = [r["query"] for r in typed]
        finally:
            browser.close()
    return out


def report_browser(out: dict) -> None:
    small, mid, big = out[SMALL], out[MID], out[BIG]
    figure(
        f"browser: hotkey label -> next item painted ({HOTKEYS_TIMED} keys each)",
        f"{BIG:,} labels: median {median(big['hotkey']):.1f} ms, p95 {p95(big['hotkey']):.1f} ms; "
        f"{MID:,}: median {median(mid['hotkey']):.1f} ms; {SMALL}: median {median(small['hotkey']):.1f} ms, "
        f"p95 {p95(small['hotkey']):.1f} ms; ratio {median(big['hotkey']) / median(small['hotkey']):.2f}×",
        median(big["hotkey"]) <= 16 and p95(big["hotkey"]) <= 50,
        "median <= 16 ms, p95 <= 50 ms (as bench_browser)",
    )
    figure(
        "browser: websocket bytes received per label (window, progress, ack, kernel status)",
        f"{big['ws_per_label']:,.0f} B with {BIG:,} labels; {small['ws_per_label']:,.0f} B with {SMALL}; "
        f"ratio {big['ws_per_label'] / small['ws_per_label']:.2f}×",
        big["ws_per_label"] <= 2 * small["ws_per_label"],
        "about the 3-label size",
    )
    n = len(big["typed"])
    slowest = big["queries"][big["typed"].index(max(big["typed"]))]
    figure(
        f"browser: type-ahead key -> filtered list painted ({n} keys, {len(QUERIES)} queries)",
        f"{BIG:,} labels: median {median(big['typed']):.1f} ms, p95 {p95(big['typed']):.1f} ms, max "
        f"{max(big['typed']):.1f} ms at {slowest!r} (rAF, before paint: median {median(big['raf']):.1f} ms); "
        f"{MID:,} labels: median {median(mid['typed']):.1f} ms, p95 {p95(mid['typed']):.1f} ms; "
        f"ratio {median(big['typed']) / median(mid['typed']):.2f}×",
        median(big["typed"]) <= 16 and p95(big["typed"]) <= 50,
        "median <= 16 ms, p95 <= 50 ms",
    )


def main() -> int:
    header("bench_labels")
    print(f"# {BIG:,} vs {SMALL} labels; {ROWS:,}-row DataFrame; medians of {RUNS} runs", flush=True)
    tmp = Path(tempfile.mkdtemp(prefix="nbl-bench-labels-"))
    try:
        report_kernel(kernel_figures(tmp))
        out = browser_figures(tmp)
        if out is not None:
            report_browser(out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    footer()
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(int(sys.argv[2]), sys.argv[3])
    else:
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        sys.exit(main())
