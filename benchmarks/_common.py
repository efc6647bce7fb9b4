"""Shared helpers of the benchmark scripts: statistics and the one-line-per-figure output."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

MISSES: list[str] = []


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def p95(values: Sequence[float]) -> float:
    """95th percentile, linear interpolation between the closest ranks (numpy's default)."""
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    pos = 0.95 * (len(data) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


def header(title: str) -> None:
    """First line: what runs where (the machine is shared, so its load is part of the figure)."""
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"# {title} — Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load average {load:.2f}, {time.strftime('%Y-%m-%d %H:%M:%S')}",
        flush=True,
    )


def figure(name: str, text: str, ok: bool | None = None, budget: str = "") -> None:
    """Print one figure: its name, the measurement, the budget and PASS/MISS."""
    verdict = "" if ok is None else ("PASS" if ok else "MISS")
    parts = [f"{name}: {text}"]
    if budget:
        parts.append(f"budget {budget}")
    if verdict:
        parts.append(verdict)
    print(" | ".join(parts), flush=True)
    if ok is False:
        MISSES.append(name)


def footer() -> None:
    if MISSES:
        print(f"# {len(MISSES)} figure(s) over budget: {', '.join(MISSES)}", flush=True)
    else:
        print("# every figure within budget", flush=True)
    sys.stdout.flush()


def wait_all(gate: Path, prefix: str, procs: list[subprocess.Popen], timeout: float = 900.0) -> None:
    """Wait until each of ``procs`` wrote its ``<prefix>-*`` file in ``gate``; a writer that exited
    first raises with the end of its stderr (``stderr-<i>.txt``)."""
    deadline = time.monotonic() + timeout
    while len(list(gate.glob(f"{prefix}-*"))) < len(procs):
        dead = [i for i, p in enumerate(procs) if p.poll() is not None]
        if dead:
            log = gate / f"stderr-{dead[0]}.txt"
            err = log.read_text() if log.exists() else ""
            raise RuntimeError(f"writer {dead[0]} exited with {procs[dead[0]].returncode}: {err[-3000:]}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"waiting for {prefix}")
        time.sleep(0.01)


# ---------------------------------------------------------------------- writer processes
# A benchmark that runs many writer processes starts each as ``python SCRIPT --worker I ARGS...
# GATE``; every phase is released for all of them at once through files in the GATE folder:
# each writer writes ``ready-<tag>-<i>``, waits for ``go-<tag>``, runs, and reports in
# ``done-<tag>-<i>``.


def start_writers(script: str, n: int, args: list[str], gate: Path) -> list[subprocess.Popen]:
    """``n`` writer processes of ``script`` (the repository on ``PYTHONPATH``; each one's
    stderr in ``gate/stderr-<i>.txt``, which :func:`wait_all` shows if it dies)."""
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in [str(root), os.environ.get("PYTHONPATH")] if p),
    }
    procs = []
    for i in range(n):
        with open(gate / f"stderr-{i}.txt", "w") as log:
            procs.append(
                subprocess.Popen(
                    [sys.executable, script, "--worker", str(i), *args, str(gate)],
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    env=env,
                )
            )
    return procs


def wait_file(path: Path, timeout: float = 900.0) -> None:
    """Wait until ``path`` exists (a writer waiting for its ``go``)."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {path.name} after {timeout} s")
        time.sleep(0.005)


def timed_phase(gate: Path, tag: str, index: int, run: Callable[[], dict[str, Any]]) -> None:
    """A writer's side of one phase: ready, wait for ``go``, ``run()`` on the clock (it returns
    ``{"n": events, ...}``), then report ``start``, ``end`` and ``cpu`` (process CPU seconds)
    with what ``run`` returned."""
    (gate / f"ready-{tag}-{index}").write_text("")
    wait_file(gate / f"go-{tag}")
    start, cpu = time.time(), time.process_time()
    extra = run()
    end, cpu = time.time(), time.process_time() - cpu
    (gate / f"done-{tag}-{index}").write_text(json.dumps({"start": start, "end": end, "cpu": cpu, **extra}))


def phase_summary(gate: Path, tag: str, n: int) -> dict[str, Any]:
    """The ``n`` writers' reports of a finished phase: events in ``total``, the overall
    ``rate`` (events / (last end - first start)), ``cpu_per_event``, ``errors`` (bad statuses
    and pending events the writers saw) and each writer's own rate."""
    reports = [json.loads((gate / f"done-{tag}-{i}").read_text()) for i in range(n)]
    total = sum(r["n"] for r in reports)
    span = max(r["end"] for r in reports) - min(r["start"] for r in reports)
    return {
        "total": total,
        "rate": total / span,
        "span": span,
        "cpu_per_event": sum(r["cpu"] for r in reports) / total,
        "errors": sum(r.get("bad", 0) + r.get("pending", 0) for r in reports),
        "per_writer": [r["n"] / (r["end"] - r["start"]) for r in reports],
    }
