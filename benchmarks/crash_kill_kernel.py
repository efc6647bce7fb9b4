"""Crash safety: SIGKILL a real Jupyter kernel in the middle of a labeling run.

A kernel started with jupyter_client builds ``nl.Classify`` on a few thousand rows with a store
file and labels in a loop through ``w.annotate``. Each label is acknowledged — printed to
stdout from a ``w.on_label`` callback, which the widget calls only after the event's commit —
and the acknowledgements arrive here over the kernel's IOPub channel. After a random number of
acknowledgements the kernel process gets SIGKILL. The store is then reopened (from this
process) and every acknowledged label must be there exactly once, with the value given. The
next round starts a new kernel that resumes the task where the last one died, and so on.

Also reported per round: labels committed but not yet acknowledged when the kernel died (the
window between a commit and its callback; allowed: committed, just not announced) and SQLite's
integrity check. Exits non-zero only if the invariant breaks.

Run: ``python benchmarks/crash_kill_kernel.py`` (about 30 s; temp files are removed).
"""

from __future__ import annotations

import os
import queue
import random
import signal
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import figure, header  # noqa: E402

ROWS = 4_000
ROUNDS = 4
KILL_AFTER = (150, 700)  # acknowledgements seen before the kill, drawn per round
LABELS = ["positive", "negative", "neutral"]

SETUP = """
import os, pandas as pd, nblabel as nl
df = pd.DataFrame({{"text": [f"review {{i}}" for i in range({rows})]}},
                  index=pd.Index([f"doc-{{i:05d}}" for i in range({rows})], name="doc"))
w = nl.Classify(df, text="text", labels={labels!r}, task="crash", annotator="ana", store={store!r})
print("PID", os.getpid(), "START", w.current, flush=True)
"""

LOOP = """
import sys
def _ack(item_id, value):
    sys.stdout.write(f"ACK {{item_id}} {{value}}\\n")
    sys.stdout.flush()
w.on_label(_ack)
while w.current is not None:
    item = w.current
    w.annotate(item, {labels!r}[int(item[4:]) % 3])
print("DONE", flush=True)
"""


def value_for(item_id: str) -> str:
    return LABELS[int(item_id[4:]) % 3]


class Kernel:
    """A python3 kernel (this interpreter) started with jupyter_client, its stdout collected."""

    def __init__(self, cwd: Path) -> None:
        from jupyter_client import KernelManager

        # IPC sockets in the temp dir: local only (no TCP, so no warning about plain-text TCP)
        self.km = KernelManager(kernel_name="python3", transport="ipc", ip=str(cwd / "kernel-ipc"))
        self.km.kernel_spec.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        self.km.start_kernel(cwd=str(cwd))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)
        self._partial = ""

    def run(self, code: str, timeout: float = 120) -> list[str]:
        """Execute ``code`` and return its stdout lines once it has finished."""
        msg_id = self.kc.execute(code)
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.kc.get_iopub_msg(timeout=timeout)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind == "stream":
                lines.extend(self._lines(msg["content"]["text"]))
            elif kind == "error":
                raise RuntimeError("\n".join(msg["content"]["traceback"]))
            elif kind == "status" and msg["content"]["execution_state"] == "idle":
                return lines
        raise TimeoutError(code)

    def start(self, code: str) -> str:
        return self.kc.execute(code)

    def stdout_lines(self, timeout: float) -> list[str]:
        """Stdout lines that arrive within ``timeout`` seconds (fewer if none come)."""
        try:
            msg = self.kc.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            return []
        if msg["msg_type"] == "stream" and msg["content"].get("name") == "stdout":
            return self._lines(msg["content"]["text"])
        if msg["msg_type"] == "error":
            raise RuntimeError("\n".join(msg["content"]["traceback"]))
        return []

    def _lines(self, text: str) -> list[str]:
        text = self._partial + text
        *lines, self._partial = text.split("\n")
        return lines

    def close(self) -> None:
        self.kc.stop_channels()
        try:
            self.km.shutdown_kernel(now=True)
        except Exception:  # already dead: only its files remain
            self.km.cleanup_resources()


def check_store(path: Path, acked: dict[str, str]) -> dict:
    import nblabel as nl

    store = nl.Store(path)
    try:
        events = store.annotations(task="crash")
    finally:
        store.close()
    labels = events[events["kind"] == "label"]
    stored: dict[str, list[str]] = {}
    for item, value in zip(labels["item_id"], labels["value"], strict=True):
        stored.setdefault(item, []).append(value)
    missing = [i for i in acked if i not in stored]
    twice = [i for i, v in stored.items() if len(v) != 1]
    wrong = [i for i, v in acked.items() if i in stored and stored[i] != [v]]
    with sqlite3.connect(path) as conn:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    return {
        "events": len(events),
        "labels": len(labels),
        "missing": missing,
        "twice": twice,
        "wrong": wrong,
        "unacked": [i for i in stored if i not in acked],
        "integrity": integrity,
    }


def main() -> int:
    header("crash_kill_kernel")
    rng = random.Random(int(os.environ.get("NBL_CRASH_SEED", "2")))
    acked: dict[str, str] = {}  # every label acknowledged so far, over all rounds
    broken = False
    with tempfile.TemporaryDirectory(prefix="nbl-crash-kill-") as tmp:
        store_path = Path(tmp) / "labels.db"
        for round_no in range(1, ROUNDS + 1):
            kernel = Kernel(Path(tmp))
            try:
                setup = SETUP.format(rows=ROWS, labels=LABELS, store=str(store_path))
                first = kernel.run(setup)
                pid = int(first[-1].split()[1])
                start_item = first[-1].split()[3]
                kernel.start(LOOP.format(labels=LABELS))
                target = rng.randint(*KILL_AFTER)
                seen = 0
                duplicate_acks = 0
                last_ack = time.monotonic()
                deadline = time.monotonic() + 120
                done = False
                while seen < target and time.monotonic() < deadline and not done:
                    for line in kernel.stdout_lines(timeout=5):
                        if line.startswith("ACK "):
                            _, item, value = line.split(" ", 2)
                            if item in acked:
                                duplicate_acks += 1
                            acked[item] = value
                            seen += 1
                            last_ack = time.monotonic()
                        elif line == "DONE":
                            done = True
                os.kill(pid, signal.SIGKILL)
                killed_at = time.monotonic()
                # acknowledgements already on their way when the kernel died still count
                for line in kernel.stdout_lines(timeout=0.5) + kernel.stdout_lines(timeout=0.2):
                    if line.startswith("ACK "):
                        _, item, value = line.split(" ", 2)
                        acked[item] = value
                        seen += 1
            finally:
                kernel.close()
            result = check_store(store_path, acked)
            ok = (
                not result["missing"]
                and not result["twice"]
                and not result["wrong"]
                and result["integrity"] == "ok"
                and not duplicate_acks
                and all(value_for(i) == v for i, v in acked.items())
            )
            broken |= not ok
            figure(
                f"round {round_no}: SIGKILL after {seen} acknowledged labels (resumed at {start_item})",
                f"kernel pid {pid} killed {1000 * (killed_at - last_ack):.1f} ms after its last ack, "
                f"mid-run: {not done}; store: {result['labels']} label events, acknowledged so far "
                f"{len(acked)}, missing {len(result['missing'])}, more than once {len(result['twice'])}, "
                f"wrong value {len(result['wrong'])}, committed but unacknowledged "
                f"{len(result['unacked'])}; integrity_check {result['integrity']}",
                ok,
                "every acknowledged label stored exactly once",
            )
            if not ok:
                details = {k: v[:10] if isinstance(v, list) else v for k, v in result.items()}
                print(f"FAIL details: {details}")
    figure(
        f"total over {ROUNDS} killed kernels",
        f"{len(acked)} acknowledged labels, all present exactly once: {not broken}",
        not broken,
    )
    print("# invariant holds" if not broken else "# INVARIANT BROKEN", flush=True)
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
