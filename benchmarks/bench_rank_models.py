"""nl.rank_models: the Bradley–Terry fit against choix, and a whole leaderboard with its bootstrap.

No budget is set (issue 14 asks for none); the figures say what a leaderboard costs. Seeded
arena: 100,000 judgements of pairs of 30 models of known strengths, 10% ties.

- fit: one maximum-likelihood fit (win matrix + Newton) against choix's ``ilsr_pairwise`` on
  the same comparisons (each judgement written twice, a tie as one win each way), median of 5;
  the largest score difference between the two is printed too;
- leaderboard: ``nl.rank_models`` end to end (the task kind's outcomes, the model columns, the
  fit, 1,000 bootstrap resamples of the items), median of 3.

Run: ``python benchmarks/bench_rank_models.py`` (about a minute). Prints SKIP without choix.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import figure, footer, header, median  # noqa: E402

N, K, RUNS = 100_000, 30, 5


def arena(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    strength = rng.normal(0, 1, K)
    a = rng.integers(0, K, N)
    b = (a + rng.integers(1, K, N)) % K
    p = 1 / (1 + np.exp(strength[b] - strength[a]))
    choice = np.where(rng.random(N) < 0.1, "tie", np.where(rng.random(N) < p, "A", "B"))
    names = np.array([f"model-{i:02d}" for i in range(K)])
    data = pd.DataFrame({"x": "…", "y": "…", "model_x": names[a], "model_y": names[b]})
    values = [{"choice": c} for c in choice]
    frame = pd.DataFrame({"item_id": np.arange(N), "annotator": "ann", "value": values})
    score = np.select([choice == "A", choice == "B"], [1.0, 0.0], 0.5)
    return frame, data, a, b, score


def main() -> int:
    header("bench_rank_models")
    try:
        import choix
    except ImportError:
        print("SKIP: choix is not installed (pip install -e '.[test]')")
        return 0
    import nblabel as nl
    from nblabel.agreement import bradley_terry as bt

    frame, data, a, b, score = arena()
    pairs = [
        pair
        for i, j, s in zip(a.tolist(), b.tolist(), score.tolist(), strict=True)
        for pair in ([(i, j), (i, j)] if s == 1 else [(j, i), (j, i)] if s == 0 else [(i, j), (j, i)])
    ]
    ours, theirs = [], []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        mine = bt.fit(bt.win_matrix(a, b, score, K))
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ref = choix.ilsr_pairwise(K, pairs, alpha=0.0, tol=1e-10)
        theirs.append(time.perf_counter() - t0)
    gap = float(np.abs(mine - (ref - ref.mean())).max())
    figure(
        f"fit, {N:,} comparisons of {K} models",
        f"nblabel median {median(ours) * 1e3:.1f} ms, "
        f"choix.ilsr_pairwise median {median(theirs) * 1e3:.1f} ms, "
        f"ratio {median(ours) / median(theirs):.3f}; largest score difference {gap:.1e}",
    )
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        nl.rank_models(frame, data=data, models=("model_x", "model_y"), kind="compare",
                       config={"a": "x", "b": "y"}, n_boot=1000, seed=0)  # fmt: skip
        times.append(time.perf_counter() - t0)
    figure(
        f"leaderboard, {N:,} judgements, {K} models, 1,000 bootstrap resamples",
        f"median {median(times):.2f} s (min {min(times):.2f} s, max {max(times):.2f} s)",
    )
    footer()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
