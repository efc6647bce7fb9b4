"""Agreement coefficients against their reference implementations, side by side.

Budgets (issue 3, item 7), on 1,000,000 units x 5 annotators x 5 categories, 10% of the
ratings missing (seeded):
  * ``krippendorff_alpha`` <= 1.0x the time of ``krippendorff.alpha`` and <= 0.5x its peak
    memory (tracemalloc peak during the call; the input table exists before either call);
    equal values to 1e-9 at all four levels (max |difference| printed);
  * ``fleiss_kappa`` <= 1.0x statsmodels: its time includes building the count table with
    ``aggregate_raters``, ours starts from the raw table. Classic Fleiss needs every unit rated
    the same number of times, so this figure uses the same table before the 10% are removed;
  * ``cohen_kappa`` <= 1.0x scikit-learn's ``cohen_kappa_score`` on two annotators' columns
    (complete pairs, the same arrays to both), unweighted, linear and quadratic;
  * the same table with 50 categories must run within 2 GB: a fresh subprocess builds the
    table and runs every coefficient; its peak RSS (VmHWM) and each call's tracemalloc peak
    are printed. The reference ``krippendorff.alpha`` cannot run there (its coincidence step
    allocates units x V x V float64 arrays, ~20 GB each at V = 50), so its values are checked on
    the first 20,000 units.

Timings interleave ours and the reference (so both see the same machine noise) and report
the median. Run: ``python benchmarks/bench_agreement.py`` (about a minute on 2 cores).
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from _common import figure, footer, header, median, p95  # noqa: E402

N = 1_000_000
ANNOTATORS = 5
MISSING = 0.10
OURS_RUNS = 5
PEER_RUNS = 3
LEVELS = ("nominal", "ordinal", "interval", "ratio")
GB = 1 << 30


def make_table(n: int, categories: int, missing: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(complete, with_missing): float tables units x annotators, labels 1..categories.
    Annotators agree with a hidden true label 60% of the time, so kappa is not ~0."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, categories + 1, n)
    noise = rng.integers(1, categories + 1, (n, ANNOTATORS))
    complete = np.where(rng.random((n, ANNOTATORS)) < 0.6, truth[:, None], noise).astype(np.float64)
    table = complete.copy()
    table[rng.random((n, ANNOTATORS)) < missing] = np.nan
    return complete, table


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    gc.collect()
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def interleaved(
    ours: Callable[[], object], peer: Callable[[], object]
) -> tuple[list[float], list[float], object, object]:
    ours(), peer()  # warm-up (imports, first-touch page faults)
    t_ours, t_peer = [], []
    value_ours = value_peer = None
    for run in range(max(OURS_RUNS, PEER_RUNS)):
        if run < OURS_RUNS:
            t, value_ours = timed(ours)
            t_ours.append(t)
        if run < PEER_RUNS:
            t, value_peer = timed(peer)
            t_peer.append(t)
    return t_ours, t_peer, value_ours, value_peer


def peak_bytes(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def timing_text(t_ours: list[float], t_peer: list[float], peer: str) -> tuple[str, float]:
    ratio = median(t_ours) / median(t_peer)
    return (
        f"ours median {median(t_ours) * 1e3:.0f} ms (p95 {p95(t_ours) * 1e3:.0f} ms, {len(t_ours)} runs); "
        f"{peer} median {median(t_peer) * 1e3:.0f} ms ({len(t_peer)} runs); ratio {ratio:.3f}x",
        ratio,
    )


# ---------------------------------------------------------------------------- 5 categories
def bench_krippendorff(table: np.ndarray) -> None:
    import krippendorff

    from nblabel import agreement as ag

    label = f"{N:,} units x {ANNOTATORS} annotators x 5 categories, {MISSING:.0%} missing"
    t_ours, t_peer, _, _ = interleaved(
        lambda: ag.krippendorff_alpha(table, level="nominal"),
        lambda: krippendorff.alpha(table.T, level_of_measurement="nominal"),
    )
    text, ratio = timing_text(t_ours, t_peer, "krippendorff.alpha")
    figure(f"krippendorff_alpha time, {label}", text, ratio <= 1.0, "<= 1.0x krippendorff.alpha")

    ours_peak = peak_bytes(lambda: ag.krippendorff_alpha(table, level="nominal"))
    peer_peak = peak_bytes(lambda: krippendorff.alpha(table.T, level_of_measurement="nominal"))
    figure(
        "krippendorff_alpha peak memory (tracemalloc, during the call)",
        f"ours {ours_peak / 2**20:.1f} MiB; krippendorff.alpha {peer_peak / 2**20:.1f} MiB; "
        f"ratio {ours_peak / peer_peak:.3f}x",
        ours_peak <= 0.5 * peer_peak,
        "<= 0.5x krippendorff.alpha",
    )

    diffs = []
    for level in LEVELS:
        ours = ag.krippendorff_alpha(table, level=level)
        peer = float(krippendorff.alpha(table.T, level_of_measurement=level))
        diffs.append(abs(ours - peer))
        print(f"  alpha {level:8s} ours {ours:.15f}  krippendorff {peer:.15f}", flush=True)
    figure(
        "krippendorff_alpha value, 4 levels",
        f"max |ours - krippendorff.alpha| = {max(diffs):.2e}",
        max(diffs) <= 1e-9,
        "<= 1e-9",
    )


def bench_fleiss(complete: np.ndarray) -> None:
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    from nblabel import agreement as ag

    t_ours, t_peer, ours, peer = interleaved(
        lambda: ag.fleiss_kappa(complete),
        lambda: fleiss_kappa(aggregate_raters(complete)[0], method="fleiss"),
    )
    text, ratio = timing_text(t_ours, t_peer, "statsmodels aggregate_raters + fleiss_kappa")
    figure(
        f"fleiss_kappa time, {N:,} units x {ANNOTATORS} x 5 categories, complete",
        text,
        ratio <= 1.0,
        "<= 1.0x statsmodels",
    )
    diff = abs(float(ours) - float(peer))
    figure(
        "fleiss_kappa value",
        f"ours {ours:.15f}, statsmodels {peer:.15f}, |difference| {diff:.2e}",
        diff <= 1e-9,
        "<= 1e-9",
    )


def bench_cohen(complete: np.ndarray) -> None:
    from sklearn.metrics import cohen_kappa_score

    from nblabel import agreement as ag

    a = complete[:, 0].astype(np.int64)
    b = complete[:, 1].astype(np.int64)
    ratios, diffs, texts = [], [], []
    for weights in (None, "linear", "quadratic"):
        t_ours, t_peer, ours, peer = interleaved(
            lambda w=weights: ag.cohen_kappa(a, b, weights=w),
            lambda w=weights: cohen_kappa_score(a, b, weights=w),
        )
        text, ratio = timing_text(t_ours, t_peer, "sklearn")
        ratios.append(ratio)
        diffs.append(abs(float(ours) - float(peer)))
        figure(
            f"cohen_kappa time, {N:,} pairs, weights={weights}", text, ratio <= 1.0, "<= 1.0x scikit-learn"
        )
        texts.append(f"{weights}: {diffs[-1]:.2e}")
    figure(
        "cohen_kappa value",
        "|ours - cohen_kappa_score| " + ", ".join(texts),
        max(diffs) <= 1e-9,
        "<= 1e-9",
    )


def bench_irrcac(table: np.ndarray) -> None:
    """Fleiss with missing ratings (Gwet's generalisation) and AC1 against irrCAC, when it is
    installed (it is not a test dependency: see pyproject.toml). Values only, on 100,000 units:
    irrCAC runs per category through pandas and is not a speed peer."""
    try:
        import pandas as pd
        from irrCAC.raw import CAC
    except ImportError:
        print(
            "  irrCAC not installed: Fleiss with missing ratings and AC1 not cross-checked here", flush=True
        )
        return
    import warnings

    from nblabel import agreement as ag

    sub = pd.DataFrame(table[:100_000])
    cats = sorted(np.unique(sub.to_numpy()[~np.isnan(sub.to_numpy())]).tolist())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cac = CAC(sub.copy(), categories=cats, digits=15)
        peer_f = cac.fleiss()["est"]["coefficient_value"]
        peer_g = cac.gwet()["est"]["coefficient_value"]
    diff = max(abs(ag.fleiss_kappa(sub) - peer_f), abs(ag.gwet_ac1(sub) - peer_g))
    figure(
        "fleiss_kappa (missing ratings) and gwet_ac1 value vs irrCAC, 100,000 units",
        f"max |difference| {diff:.2e}",
        diff <= 1e-9,
        "<= 1e-9",
    )


# ---------------------------------------------------------------------------- 50 categories
def child_50() -> None:
    """Runs in a fresh process: build the 50-category table, run every coefficient, print JSON.
    The peak RSS is read after our calls and before the reference check on 20,000 units."""
    import warnings

    from nblabel import agreement as ag

    complete, table = make_table(N, 50, MISSING, seed=1)
    del complete
    gc.collect()
    calls: dict[str, Callable[[], float]] = {
        f"krippendorff_alpha {level}": (lambda lv=level: ag.krippendorff_alpha(table, level=lv))
        for level in LEVELS
    }
    calls["fleiss_kappa"] = lambda: ag.fleiss_kappa(table)
    calls["gwet_ac1"] = lambda: ag.gwet_ac1(table)
    calls["percent_agreement"] = lambda: ag.percent_agreement(table)
    calls["cohen_kappa quadratic"] = lambda: ag.cohen_kappa(table[:, 0], table[:, 1], weights="quadratic")
    result: dict[str, object] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # an undefined value here would be a bug
        for name, fn in calls.items():
            seconds, value = timed(fn)
            result[name] = {"value": value, "seconds": seconds, "peak": peak_bytes(fn)}
    with open("/proc/self/status") as f:  # before the reference check, which needs far more
        result["vmhwm"] = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    import krippendorff

    sub = table[:20_000]
    result["ref_diff"] = max(
        abs(ag.krippendorff_alpha(sub, level=lv) - float(krippendorff.alpha(sub.T, level_of_measurement=lv)))
        for lv in LEVELS
    )
    print(json.dumps(result))


def bench_50() -> None:
    proc = subprocess.run(
        [sys.executable, __file__, "--child-50"], capture_output=True, text=True, check=False, timeout=600
    )
    if proc.returncode != 0:
        figure("50 categories", f"child failed: {proc.stderr.strip()[-500:]}", False, "runs within 2 GB")
        return
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    hwm = result.pop("vmhwm")
    ref_diff = result.pop("ref_diff")
    for name, r in result.items():
        print(
            f"  50 categories {name:26s} {r['value']:+.12f}  {r['seconds'] * 1e3:6.0f} ms  "
            f"tracemalloc peak {r['peak'] / 2**20:6.1f} MiB",
            flush=True,
        )
    worst = max(r["peak"] for r in result.values())
    figure(
        f"{N:,} units x {ANNOTATORS} x 50 categories, {MISSING:.0%} missing: every coefficient",
        f"process peak RSS {hwm / 2**20:.0f} MiB (Python, imports, building the table and "
        f"the {N * ANNOTATORS * 8 / 2**20:.0f} MiB input included); "
        f"largest per-call tracemalloc peak {worst / 2**20:.1f} MiB",
        hwm <= 2 * GB,
        "<= 2 GB",
    )
    figure(
        "50 categories: krippendorff_alpha value on the first 20,000 units, 4 levels",
        f"max |ours - krippendorff.alpha| = {ref_diff:.2e} (the reference needs ~60 GB for 1,000,000 units)",
        ref_diff <= 1e-9,
        "<= 1e-9",
    )


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child-50":
        child_50()
        return 0
    header("bench_agreement")
    t0 = time.perf_counter()
    complete, table = make_table(N, 5, MISSING)
    bench_krippendorff(table)
    bench_fleiss(complete)
    bench_cohen(complete)
    bench_irrcac(table)
    del complete, table
    gc.collect()
    bench_50()
    print(f"# total {time.perf_counter() - t0:.0f} s", flush=True)
    footer()
    return 0


if __name__ == "__main__":
    sys.exit(main())
