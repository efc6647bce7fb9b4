"""Shared helpers of the benchmark scripts: statistics and the one-line-per-figure output."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence

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
