"""Shared helpers of the benchmark scripts: statistics and the one-line-per-figure output."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

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
