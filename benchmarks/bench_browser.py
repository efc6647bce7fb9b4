"""Key press -> next item painted, and key press -> event committed, in JupyterLab + Chromium.

Budgets (issue 2, item 8), 200 labels typed at a fast human pace (one key every 60-100 ms):
  * key press -> next item painted: median <= 16 ms (one frame), p95 <= 50 ms;
  * key press -> event committed in the store: p95 <= 50 ms.
Besides: the saved notebook's widget state (<= 50 KB), measured on the .ipynb JupyterLab writes
with "save widget state" on, for a 1,000,000-row DataFrame.

How it measures (everything is timed inside the page, on one clock, ``performance.now()``):
  * the key press is the keydown event's ``timeStamp`` (when the browser received the input),
    caught by a capture-phase listener on ``window`` that runs before any widget code;
  * a MutationObserver on the widget root sees the DOM switch to the next item (``data-key``
    changes and ``data-state`` is ``item``);
  * "painted": at that point we ask for ``requestAnimationFrame`` and, inside its callback,
    post a MessageChannel message. rAF callbacks run just before the frame's style, layout and
    paint; a message posted there is handled as the next task, i.e. once that frame's rendering
    work is done. So "painted" = the first frame that contains the next item has been
    rendered. (A single rAF would stop *before* painting and flatter the figure; a double rAF
    would wait for one extra frame, up to 16.7 ms of nothing, and punish it. The rAF time is
    printed too, as a lower bound.)
  * "committed": the widget counts a label as saved only when the kernel's ack for it arrives,
    and the ack is sent after the store's commit. The footer ``.nbl-save`` shows the number of
    unacknowledged events; each decrease acknowledges the oldest keys (acks come in order). The
    figure is keydown -> that DOM change. It is cross-checked against the store: each event's
    ``created_at`` (taken in the kernel just before the commit) minus the key press's epoch
    time (``performance.timeOrigin + timeStamp``), with item ids matched key by key.

  * "committed in the store" is also timed where it happens: the benchmark notebook wraps
    ``w.store.append`` to note the kernel's clock when each commit returns (``time.time()``,
    compared with the key press's epoch time; same machine, same clock).

Two sessions run: JupyterLab as installed, then JupyterLab with TCP_NODELAY on its kernel
websockets (a ``jupyter_server_config.py`` given through ``JUPYTER_CONFIG_PATH``).
jupyter_server does not disable Nagle's algorithm on the kernel websocket, so a message that
follows another within the browser's delayed-ACK window (40 ms on Linux) waits for that ACK:
the ack of a label follows the kernel's "busy" status by a few ms and arrives ~40 ms late.
The second session shows what the widget's own path costs without that wait.

Needs JupyterLab, Playwright (Python) and Debian's Chromium (``/usr/bin/chromium``); it reuses
``tests/e2e/harness.py`` to start them. Prints SKIP (and exits 0) when they are missing.
Run: ``python benchmarks/bench_browser.py`` (about 1-2 minutes).
"""

from __future__ import annotations

import json
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

ROWS = 1_000_000
WARMUP = 10
LABELS_TIMED = 200
PACE_MS = (60, 100)
LABEL_KEYS = ["1", "2", "3"]

NOTEBOOK_CELLS = [
    f"""import numpy as np, pandas as pd, nblabel as nl
rng = np.random.default_rng(0)
words = np.array(["good", "bad", "fine", "slow", "fast", "love", "hate", "meh"], dtype=object)
df = pd.DataFrame({{"review": [f"Review {{i}}: {{a}} product, {{b}} delivery, would buy again?"
                              for i, (a, b) in enumerate(rng.choice(words, ({ROWS}, 2)))]}})
w = nl.Classify(df, text="review", labels=["positive", "negative", "neutral"],
                task="bench-browser", annotator="bench", store="bench.db")
# benchmark probe: the kernel's clock when each commit has returned
import time as _time
_commits = []
_append = w.store.append
def _timed_append(event, **kwargs):
    written = _append(event, **kwargs)
    _commits.append((event.client_seq, event.kind, _time.time()))
    return written
w.store.append = _timed_append
w""",
    """import json
with open("commits.json", "w") as f:
    json.dump(_commits, f)""",
]

NODELAY_CONFIG = """# TCP_NODELAY on JupyterLab's kernel websockets (jupyter_server leaves Nagle on).
from jupyter_server.services.kernels.websocket import KernelWebsocketHandler

_open = KernelWebsocketHandler.open


async def open(self, *args, **kwargs):
    self.set_nodelay(True)
    return await _open(self, *args, **kwargs)


KernelWebsocketHandler.open = open
print("nblabel benchmark: TCP_NODELAY on kernel websockets", flush=True)
"""

INSTRUMENT = """
(sel) => {
  const root = document.querySelector(sel);
  const save = root.querySelector('.nbl-save');
  const S = (window.__nblBench = { keys: [], unacked: [], lastPending: 0, waitingPaint: null });
  const pendingCount = () => {
    const text = save.textContent || '';
    if (text.startsWith('All changes saved')) return 0;
    const m = /\\((\\d+)\\)/.exec(text) || /(\\d+) waiting/.exec(text);
    return m ? Number(m[1]) : S.lastPending;
  };
  window.addEventListener('keydown', (e) => {
    if (!['1', '2', '3'].includes(e.key) || !root.contains(e.target)) return;
    const rec = { ts: e.timeStamp, handler: performance.now(), epoch: performance.timeOrigin + e.timeStamp,
                  from: root.dataset.key, mutated: null, raf: null, painted: null, acked: null, shown: null };
    S.keys.push(rec);
    S.waitingPaint = rec;
    S.unacked.push(rec);
  }, { capture: true });
  const observer = new MutationObserver(() => {
    const now = performance.now();
    const rec = S.waitingPaint;
    if (rec && root.dataset.state === 'item' && root.dataset.key !== rec.from) {
      S.waitingPaint = null;
      rec.mutated = now;
      rec.shown = root.dataset.key;
      requestAnimationFrame(() => {
        rec.raf = performance.now();
        const channel = new MessageChannel();
        channel.port1.onmessage = () => { rec.painted = performance.now(); channel.port1.close(); };
        channel.port2.postMessage(0);
      });
    }
    const pending = pendingCount();
    for (let k = pending; k < S.lastPending; k++) {
      const acked = S.unacked.shift();
      if (acked) acked.acked = now;
    }
    S.lastPending = pending;
  });
  observer.observe(root, { subtree: true, childList: true, characterData: true, attributes: true,
                           attributeFilter: ['data-key', 'data-state'] });
  return root.dataset.key;
}
"""


def ensure_bundle() -> str:
    """Rebuild the JS bundle when a source is newer than it (the benchmark measures js/)."""
    bundle = REPO / "nblabel" / "static" / "classify.js"
    sources = list((REPO / "js").glob("*.js")) + list((REPO / "js").glob("*.css"))
    sources = [s for s in sources if not s.name.endswith(".test.js")]
    if bundle.exists() and all(s.stat().st_mtime <= bundle.stat().st_mtime for s in sources):
        return "bundle up to date"
    if shutil.which("npm") is None:
        return "bundle may be stale (npm not found)"
    subprocess.run(["npm", "run", "build", "--silent"], cwd=REPO, check=True, capture_output=True)
    return "bundle rebuilt (npm run build)"


def main() -> int:
    header("bench_browser")
    try:
        import harness  # noqa: F401
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError as exc:
        print(f"SKIP: {exc} (needs tests/e2e/harness.py, playwright, jupyterlab)")
        return 0
    if not Path(harness.CHROMIUM).exists():
        print(f"SKIP: {harness.CHROMIUM} not found (apt-get install chromium)")
        return 0
    print(
        f"# {ensure_bundle()}; {ROWS:,}-row DataFrame; {WARMUP} warm-up + {LABELS_TIMED} timed labels, "
        f"one key every {PACE_MS[0]}-{PACE_MS[1]} ms",
        flush=True,
    )
    print("# session 1: JupyterLab as installed", flush=True)
    report(*session(nodelay=False), verdicts=True)
    print("# session 2: the same with TCP_NODELAY on the kernel websocket (not a budget figure)", flush=True)
    report(*session(nodelay=True), verdicts=False)
    footer()
    return 0


def session(*, nodelay: bool) -> tuple[list[dict], list[list], Path, int | None]:
    """One JupyterLab + Chromium session: type the labels, collect the page's and kernel's
    timings, the store and the saved notebook's widget-state size."""
    import harness
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="nbl-bench-browser-"))
    try:
        root = tmp / "root"
        harness.write_notebook(root / "bench.ipynb", NOTEBOOK_CELLS)
        env = None
        if nodelay:
            (tmp / "config").mkdir()
            (tmp / "config" / "jupyter_server_config.py").write_text(NODELAY_CONFIG)
            env = {"JUPYTER_CONFIG_PATH": str(tmp / "config")}
        with harness.jupyter_lab(root, env=env) as lab, sync_playwright() as pw:
            settings = (
                lab.home / "config" / "lab" / "user-settings" / "@jupyter-widgets" / "jupyterlab-manager"
            )
            settings.mkdir(parents=True, exist_ok=True)
            (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
            browser = harness.launch_chromium(pw)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                harness.open_notebook(page, lab, "bench.ipynb")
                harness.run_all(page, timeout=180_000)
                page.locator(harness.WIDGET).first.wait_for(state="visible")
                page.wait_for_function(
                    f"() => document.querySelector({json.dumps(harness.WIDGET)})?.dataset.state === 'item'"
                )
                harness.focus_widget(page)
                page.evaluate(INSTRUMENT, harness.WIDGET)
                rng = random.Random(0)
                for _ in range(WARMUP + LABELS_TIMED):
                    start = time.monotonic()
                    page.keyboard.press(rng.choice(LABEL_KEYS))
                    wait = rng.uniform(*PACE_MS) / 1000 - (time.monotonic() - start)
                    if wait > 0:
                        page.wait_for_timeout(wait * 1000)
                page.wait_for_function(
                    "() => window.__nblBench.unacked.length === 0 && "
                    "window.__nblBench.keys.every(k => k.painted !== null)",
                    timeout=60_000,
                )
                records = page.evaluate("() => window.__nblBench.keys")
                harness.run_cell(page, 1)  # the kernel writes its commit times
                commits = json.loads((root / "commits.json").read_text())
                harness.menu(page, "File", "Save Notebook")
                saved_widgets = wait_saved_state(root / "bench.ipynb")
                if nodelay and "TCP_NODELAY" not in lab.log():
                    print("# warning: the TCP_NODELAY server config did not load", flush=True)
            finally:
                browser.close()
        store_copy = tmp / "bench-copy.db"
        _copy_store(root / "bench.db", store_copy)
        events = _label_events(store_copy)
        return records, commits, events, saved_widgets
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _copy_store(src: Path, dst: Path) -> None:
    """A consistent copy of the store (SQLite's backup API), readable after the server stops."""
    import sqlite3

    with sqlite3.connect(src) as a, sqlite3.connect(dst) as b:
        a.backup(b)


def _label_events(path: Path):
    import nblabel as nl

    store = nl.Store(path)
    try:
        events = store.annotations(task="bench-browser", annotator="bench")
    finally:
        store.close()
    return events[events["kind"] == "label"].reset_index(drop=True)


def wait_saved_state(path: Path, timeout: float = 30) -> int | None:
    """Bytes of the widget-state metadata JupyterLab saved into the notebook (None if absent)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            nb = json.loads(path.read_text())
            state = nb.get("metadata", {}).get("widgets")
            if state:
                return len(json.dumps(state).encode())
        except (OSError, ValueError):
            pass
        time.sleep(0.2)
    return None


def report(
    records: list[dict], commits: list[list], labels, saved_widgets: int | None, *, verdicts: bool
) -> None:
    from nblabel import ids

    def verdict(ok: bool) -> bool | None:
        return ok if verdicts else None

    total = len(records)
    timed = records[WARMUP:]
    n = len(timed)
    painted = [r["painted"] - r["ts"] for r in timed]
    raf = [r["raf"] - r["ts"] for r in timed]
    mutated = [r["mutated"] - r["ts"] for r in timed]
    acked = [r["acked"] - r["ts"] for r in timed]
    dispatch = [r["handler"] - r["ts"] for r in timed]
    figure(
        f"key press -> next item painted ({n} labels)",
        f"median {median(painted):.1f} ms, p95 {p95(painted):.1f} ms, max {max(painted):.1f} ms "
        f"(DOM changed: median {median(mutated):.1f} ms; rAF, before paint: median {median(raf):.1f} ms, "
        f"p95 {p95(raf):.1f} ms; input to first listener: median {median(dispatch):.1f} ms)",
        verdict(median(painted) <= 16 and p95(painted) <= 50),
        "median <= 16 ms, p95 <= 50 ms",
    )
    label_commits = [c for c in commits if c[1] == "label"]
    if len(label_commits) == total:
        committed = [label_commits[i][2] * 1000 - records[i]["epoch"] for i in range(WARMUP, total)]
        figure(
            f"key press -> event committed in the store (kernel clock as Store.append returns, {n} labels)",
            f"median {median(committed):.1f} ms, p95 {p95(committed):.1f} ms, max {max(committed):.1f} ms",
            verdict(p95(committed) <= 50),
            "p95 <= 50 ms",
        )
    else:
        figure(
            "key press -> event committed in the store",
            f"{len(label_commits)} commits for {total} keys",
            verdict(False),
        )
    figure(
        f"key press -> commit acknowledged in the widget ('All changes saved', {n} labels)",
        f"median {median(acked):.1f} ms, p95 {p95(acked):.1f} ms, max {max(acked):.1f} ms",
        verdict(p95(acked) <= 50),
        "p95 <= 50 ms",
    )
    keys = [ids.encode(v)[0] for v in labels["item_id"]]
    created_ms = labels["created_at"].dt.as_unit("us").astype("int64").to_numpy() / 1000.0  # epoch ms
    same_items = len(keys) == total and all(k == r["from"] for k, r in zip(keys, records, strict=False))
    created = [created_ms[i] - records[i]["epoch"] for i in range(WARMUP, min(total, len(keys)))]
    figure(
        "store cross-check: key press -> event created_at (kernel, just before its commit)",
        f"{len(labels)} label events for {total} key presses, item ids match key by key: {same_items}; "
        + (f"median {median(created):.1f} ms, p95 {p95(created):.1f} ms" if created else "no events"),
        verdict(len(labels) == total and same_items),
        "every key press stored once, in order",
    )
    if saved_widgets is None:
        figure(
            "saved notebook widget state (JupyterLab save)",
            "no widget state in the saved notebook",
            verdict(False),
        )
    else:
        figure(
            f"saved notebook widget state (JupyterLab save, {ROWS:,} rows, after {total} labels)",
            f"{saved_widgets / 1024:.1f} KB of metadata.widgets",
            verdict(saved_widgets <= 50 * 1024),
            "<= 50 KB",
        )


if __name__ == "__main__":
    sys.exit(main())
