"""The Bradley–Terry model of paired comparisons (Bradley & Terry 1952): model ``i`` beats model
``j`` with probability ``σ(θ_i − θ_j) = 1 / (1 + exp(θ_j − θ_i))``, ``θ`` the log-strengths.

Everything here works on *win matrices*: ``wins[i, j]`` is how often ``i`` beat ``j``, a tie
counting half a win for each side, so ``wins + wins.T`` counts the comparisons of each pair.
:func:`fit` finds the maximum-likelihood ``θ`` (mean 0) by Newton's method with a backtracking
line search, or the maximum a posteriori ``θ`` under independent Normal(0, ``prior``²) priors;
it fits a stack of win matrices at once (the bootstrap resamples). The likelihood has a finite
maximum only when the comparisons are *strongly connected*: no group of models won (or lost)
every comparison against the rest (Zermelo 1929; Hunter 2004) — :func:`finite` tells.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import expit, log_expit

__all__ = ["bootstrap", "finite", "fit", "item_wins", "strong_groups", "win_matrix"]

#: Newton stops when no score moves by more than this.
TOL = 1e-11
MAX_ITER = 100


def item_wins(
    item: np.ndarray, first: np.ndarray, second: np.ndarray, score: np.ndarray, n_items: int, n_models: int
) -> csr_matrix:
    """Each item's win matrix, flattened: a sparse ``(n_items, K·K)`` matrix whose row ``item``
    holds ``wins[i, j]`` of the comparisons of that item. A comparison of ``first`` against
    ``second`` earns ``first`` its ``score`` (1 a win, 0.5 a tie, 0 a loss) and ``second`` the
    rest."""
    score = np.asarray(score, dtype=float)
    rows = np.concatenate([item, item])
    cells = np.concatenate([first * n_models + second, second * n_models + first])
    return csr_matrix(
        (np.concatenate([score, 1.0 - score]), (rows, cells)), shape=(n_items, n_models * n_models)
    )


def win_matrix(first: np.ndarray, second: np.ndarray, score: np.ndarray, n_models: int) -> np.ndarray:
    """``wins[i, j]``: how often model ``i`` beat model ``j`` (ties half), from comparisons of
    ``first`` against ``second`` with ``score`` (1 a win of ``first``, 0.5 a tie, 0 a loss)."""
    per_item = item_wins(np.zeros(len(first), dtype=np.int64), first, second, score, 1, n_models)
    return per_item.toarray().reshape(n_models, n_models)


def strong_groups(wins: np.ndarray) -> np.ndarray:
    """For each of a stack of win matrices ``(B, K, K)``: the strongly connected component of
    each model in the graph "``i`` → ``j`` when ``i`` beat ``j`` at least half a time"; shape
    ``(B, K)``, components numbered apart across the stack."""
    stack = np.asarray(wins)
    n_fits, k, _ = stack.shape
    fit_no, i, j = np.nonzero(stack > 0)  # one graph of n_fits * k nodes, the fits apart
    graph = csr_matrix((np.ones(len(i)), (fit_no * k + i, fit_no * k + j)), shape=(n_fits * k, n_fits * k))
    _n, labels = connected_components(graph, directed=True, connection="strong")
    return labels.reshape(n_fits, k)


def finite(wins: np.ndarray) -> np.ndarray:
    """Whether each win matrix of a stack ``(B, K, K)`` has a finite maximum-likelihood fit: its
    models form one strongly connected group (which also means each model was compared)."""
    labels = strong_groups(wins)
    return (labels == labels[:, :1]).all(axis=1)


def _objective(theta: np.ndarray, wins: np.ndarray, precision: float) -> np.ndarray:
    """The log-likelihood (minus the prior's penalty) of each row of ``theta``."""
    diff = theta[:, :, None] - theta[:, None, :]
    return (wins * log_expit(diff)).sum(axis=(1, 2)) - 0.5 * precision * (theta**2).sum(axis=1)


def fit(wins: np.ndarray, *, prior: float | None = None, start: np.ndarray | None = None) -> np.ndarray:
    """The Bradley–Terry log-strengths of one win matrix ``(K, K)`` or of a stack ``(B, K, K)``.

    Without ``prior`` (maximum likelihood) every matrix must be :func:`finite`; the scores have
    mean 0. With ``prior`` (the standard deviation of a Normal(0, prior²) prior on each score)
    the maximum a posteriori scores, which are finite for any data and also have mean 0.
    ``start`` (same shape as the result) warm-starts Newton's method.
    """
    stack = np.asarray(wins, dtype=float)
    single = stack.ndim == 2
    if single:
        stack = stack[None]
    n_fits, k, _ = stack.shape
    if prior is not None and not prior > 0:
        raise ValueError(f"prior must be a positive standard deviation (or None), got {prior!r}")
    precision = 0.0 if prior is None else 1.0 / prior**2
    totals = stack + stack.transpose(0, 2, 1)
    theta = np.zeros((n_fits, k)) if start is None else np.array(start, dtype=float).reshape(n_fits, k)
    theta -= theta.mean(axis=1, keepdims=True)
    value = _objective(theta, stack, precision)
    active = np.arange(n_fits)
    eye = np.eye(k)
    # Without a prior the Hessian is singular along (1, ..., 1), which the mean-0 constraint
    # removes: adding 11ᵀ/k leaves every step orthogonal to it (the gradient is).
    shift = precision * eye if prior is not None else np.full((k, k), 1.0 / k)
    for _ in range(MAX_ITER):
        if not active.size:
            break
        t, w, n = theta[active], stack[active], totals[active]
        p = expit(t[:, :, None] - t[:, None, :])
        gradient = (w - n * p).sum(axis=2) - precision * t
        curvature = n * p * (1 - p)
        hessian = eye * curvature.sum(axis=2)[:, :, None] - curvature + shift
        step = np.linalg.solve(hessian, gradient[:, :, None])[:, :, 0]
        size = np.ones(active.size)
        old = value[active]
        for _halving in range(40):  # backtracking: a full Newton step may overshoot far from the optimum
            trial = t + size[:, None] * step
            new = _objective(trial, w, precision)
            worse = new < old - 1e-12 * (1.0 + np.abs(old))
            if not worse.any():
                break
            size[worse] /= 2
        theta[active] = trial
        value[active] = new
        moved = np.abs(size[:, None] * step).max(axis=1)
        active = active[moved > TOL]
    theta -= theta.mean(axis=1, keepdims=True)
    return theta[0] if single else theta


def bootstrap(
    per_item: csr_matrix,
    n_models: int,
    *,
    n_boot: int,
    seed: int | None,
    prior: float | None = None,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """Bradley–Terry scores of ``n_boot`` resamples of the items (with replacement, seeded):
    ``per_item`` as :func:`item_wins` gives it. Shape ``(n_boot, K)``; without ``prior``, the
    rows of resamples without a finite fit (not :func:`finite`) are NaN."""
    rng = np.random.default_rng(seed)
    n_items = per_item.shape[0]
    columns = per_item.T.tocsr()
    out = np.full((n_boot, n_models), np.nan)
    # Resamples go in chunks that keep the stacked (chunk, K, K) and (chunk, items) arrays small.
    chunk = int(max(1, min(n_boot, 4_000_000 // (n_models * n_models), 4_000_000 // max(n_items, 1))))
    for begin in range(0, n_boot, chunk):
        size = min(chunk, n_boot - begin)
        drawn = rng.integers(0, n_items, size=(size, n_items)) + (np.arange(size) * n_items)[:, None]
        counts = np.bincount(drawn.ravel(), minlength=size * n_items).reshape(size, n_items)
        wins = (columns @ counts.T).T.reshape(size, n_models, n_models)
        ok = finite(wins) if prior is None else np.ones(size, dtype=bool)
        if ok.any():
            guess = None if start is None else np.broadcast_to(start, (int(ok.sum()), n_models))
            out[begin : begin + size][ok] = fit(wins[ok], prior=prior, start=guess)
    return out
