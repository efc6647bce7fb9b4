"""The models behind ``nl.aggregate``, on labels coded as integers: majority vote, Wawa,
Dawid–Skene, one-coin Dawid–Skene, GLAD and MACE.

Each model takes :class:`Codes` (one entry per label: item, annotator and category as small
integers, plus an optional gold category per item) and returns a :class:`Fit`: the posterior of
every category for every item, and what the model learned of each annotator (and item).
Everything is vectorised over the labels: sums per item, per (item, category) and per
(annotator, category) are ``np.bincount`` or sparse matrix products, so the largest arrays are
items x categories, never items x annotators x categories.

The update equations, defaults and stopping rules follow crowd-kit 1.4.2 (Apache-2.0), against
which ``tests/test_aggregate.py`` checks every model, with three deliberate differences:

- *gold*: every E-step clamps the posterior of an item with a gold answer to that answer, so
  gold informs the annotators' parameters (crowd-kit does this for Dawid–Skene only);
- *MACE restarts*: crowd-kit seeds every restart with the same ``random_state``, so its restarts
  are one run; here restart ``r`` is seeded ``random_state + r`` (the default, one restart, is
  crowd-kit's result);
- *MACE alignment*: crowd-kit indexes its expected counts by sorted annotator and label names but
  its parameters by first appearance, which mixes annotators up unless the rows happen to be
  sorted; here both use the same order.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["METHODS", "Codes", "Fit", "fit"]

#: The smallest probability the models use (crowd-kit's ``_EPS``).
EPS = 1e-10


@dataclass(frozen=True)
class Codes:
    """Labels as integers: entry ``r`` says that annotator ``annotator[r]`` put item ``item[r]``
    in category ``code[r]`` (at most one entry per item and annotator)."""

    item: np.ndarray
    annotator: np.ndarray
    code: np.ndarray
    n_items: int
    n_annotators: int
    n_classes: int
    #: The gold category of each item, ``-1`` where there is none (``None``: no gold at all).
    gold: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.code)

    def votes(self) -> np.ndarray:
        """Items x categories: how many annotators chose each category."""
        return self.cell_sum(None)

    def cell_sum(self, weights: np.ndarray | None) -> np.ndarray:
        """Items x categories: ``weights`` summed per item and category of the label."""
        cells = self.item * self.n_classes + self.code
        return (
            np.bincount(cells, weights, minlength=self.n_items * self.n_classes)
            .reshape(self.n_items, self.n_classes)
            .astype(float, copy=False)
        )

    def item_sum(self, weights: np.ndarray) -> np.ndarray:
        return np.bincount(self.item, weights, minlength=self.n_items)

    def annotator_sum(self, weights: np.ndarray | None) -> np.ndarray:
        return np.bincount(self.annotator, weights, minlength=self.n_annotators).astype(float, copy=False)

    def clamp(self, proba: np.ndarray) -> np.ndarray:
        """``proba`` with the rows of gold items set to their gold category (in place)."""
        if self.gold is not None:
            known = np.flatnonzero(self.gold >= 0)
            proba[known] = 0.0
            proba[known, self.gold[known]] = 1.0
        return proba


@dataclass
class Fit:
    """What a model found: ``proba`` (items x categories, rows sum to 1), per-annotator arrays
    (``skill``, ``ability``, ``competence``, ``confusion`` ...), per-item arrays, the number of
    EM iterations run and the loss after each."""

    proba: np.ndarray
    annotators: dict[str, np.ndarray] = field(default_factory=dict)
    items: dict[str, np.ndarray] = field(default_factory=dict)
    n_iter: int = 0
    loss: list[float] = field(default_factory=list)


# ---------------------------------------------------------------------- shared pieces
def _shares(votes: np.ndarray) -> np.ndarray:
    return votes / votes.sum(axis=1, keepdims=True)


def _softmax(log_lik: np.ndarray) -> np.ndarray:
    """Rows of ``log_lik`` (overwritten) exponentiated and normalised."""
    log_lik -= log_lik.max(axis=1, keepdims=True)
    out = np.exp(log_lik, out=log_lik)
    out /= out.sum(axis=1, keepdims=True)
    return out


def _given(codes: Codes, proba: np.ndarray) -> np.ndarray:
    """The posterior of the category each label gave."""
    return proba[codes.item, codes.code]


def _elbo(proba: np.ndarray, label_loglik: np.ndarray, n_per_item: np.ndarray, priors: np.ndarray) -> float:
    """crowd-kit's evidence lower bound of Dawid–Skene: the expected log joint (the prior counted
    once per label) plus the posterior's entropy."""
    log_prior = np.log(np.clip(priors, EPS, None))
    joint = float(np.vdot(proba, label_loglik)) + float(n_per_item @ (proba @ log_prior))
    clipped = np.clip(proba, EPS, None)
    return joint - float(np.vdot(clipped, np.log(clipped, out=np.empty_like(clipped))))


# ---------------------------------------------------------------------- majority vote, Wawa
def majority(codes: Codes) -> Fit:
    """Majority vote: each category's share of the item's labels (ties: the first category)."""
    return Fit(codes.clamp(_shares(codes.votes())))


def wawa(codes: Codes) -> Fit:
    """Wawa (worker agreement with aggregate): majority vote weighted by each annotator's share
    of labels that agree with the plain majority (with the gold answer, on gold items). An item
    whose annotators all have weight 0 keeps the plain shares."""
    votes = codes.votes()
    reference = votes.argmax(axis=1)
    if codes.gold is not None:
        reference = np.where(codes.gold >= 0, codes.gold, reference)
    agree = (codes.code == reference[codes.item]).astype(float)
    skill = codes.annotator_sum(agree) / codes.annotator_sum(None)
    scores = codes.cell_sum(skill[codes.annotator])
    total = scores.sum(axis=1, keepdims=True)
    proba = np.where(total > 0, scores / np.where(total > 0, total, 1.0), _shares(votes))
    return Fit(codes.clamp(proba), annotators={"skill": skill})


# ---------------------------------------------------------------------- Dawid–Skene
class _Sparse:
    """The labels as a sparse items x (annotator, category) matrix of ones: its products give the
    sums of Dawid–Skene's E-step (per item) and, through its transpose (a view), of its M-step
    (per annotator and given category)."""

    def __init__(self, codes: Codes) -> None:
        from scipy import sparse  # SciPy is heavy to import; only the models need it

        k = codes.n_classes
        width = codes.n_annotators * k
        pair = codes.annotator * k + codes.code
        order = np.argsort(codes.item, kind="stable")
        index_type = np.int32 if max(width, codes.n) < 2**31 else np.int64
        indices = pair[order].astype(index_type)
        del order
        indptr = np.zeros(codes.n_items + 1, dtype=index_type)
        np.cumsum(np.bincount(codes.item, minlength=codes.n_items), out=indptr[1:])
        self.by_item = sparse.csr_matrix((np.ones(codes.n), indices, indptr), shape=(codes.n_items, width))
        #: Which (annotator, given category) pairs occur.
        self.used = np.bincount(pair, minlength=width) > 0

    def per_item(self, values: np.ndarray) -> np.ndarray:
        """Items x columns: ``values`` (a row per (annotator, category)) summed over each item's labels."""
        return np.asarray(self.by_item @ values)

    def per_pair(self, values: np.ndarray) -> np.ndarray:
        """(annotator, category) x columns: ``values`` (a row per item) summed over the labels."""
        return np.asarray(self.by_item.T @ values)


def _confusion(sparse: _Sparse, proba: np.ndarray, codes: Codes) -> np.ndarray:
    """M-step: each annotator's P(given | true), (annotator x given) rows x true columns; rows of
    categories an annotator never gave stay 0, the others are at least ``EPS`` (crowd-kit)."""
    counts = sparse.per_pair(proba)
    counts[sparse.used] = np.maximum(counts[sparse.used], EPS)
    counts[~sparse.used] = 0.0
    cube = counts.reshape(codes.n_annotators, codes.n_classes, codes.n_classes)
    cube /= cube.sum(axis=1, keepdims=True)
    return counts


def _log(errors: np.ndarray) -> np.ndarray:
    return np.log(errors, out=np.zeros_like(errors), where=errors > 0)


def dawid_skene(codes: Codes, *, n_iter: int = 100, tol: float = 1e-5) -> Fit:
    """Dawid–Skene: a confusion matrix per annotator and class priors, by EM from the majority
    vote, until the evidence lower bound per label gains less than ``tol`` (at most ``n_iter``
    iterations)."""
    sparse = _Sparse(codes)
    per_item = codes.item_sum(None)
    proba = codes.clamp(_shares(codes.votes()))
    priors = proba.mean(axis=0)
    errors = _confusion(sparse, proba, codes)
    label_loglik = sparse.per_item(_log(errors))
    loss, history = -math.inf, []
    for _ in range(n_iter):
        proba = codes.clamp(_softmax(label_loglik + np.log(np.clip(priors, EPS, None))))
        priors = proba.mean(axis=0)
        errors = _confusion(sparse, proba, codes)
        label_loglik = sparse.per_item(_log(errors))
        history.append(_elbo(proba, label_loglik, per_item, priors) / codes.n)
        if history[-1] - loss < tol:
            break
        loss = history[-1]
    cube = errors.reshape(codes.n_annotators, codes.n_classes, codes.n_classes)
    return Fit(
        proba,
        annotators={
            "skill": np.einsum("wcc,c->w", cube, priors / priors.sum()),
            "confusion": cube.transpose(0, 2, 1).copy(),  # annotator x true x given
        },
        items={},
        n_iter=len(history),
        loss=history,
    )


# ---------------------------------------------------------------------- one-coin Dawid–Skene
def _one_coin_loglik(codes: Codes, skill: np.ndarray) -> np.ndarray:
    """Items x categories: the log-likelihood of the item's labels if the category were true,
    when annotator ``w`` is right with probability ``skill[w]`` and otherwise picks any other
    category alike (both clipped to [EPS, 1 - EPS], as crowd-kit does)."""
    k = codes.n_classes
    right = np.clip(skill, EPS, 1 - EPS)
    wrong = np.clip((1 - skill) / max(k - 1, 1), EPS, 1 - EPS)
    log_right, log_wrong = np.log(right)[codes.annotator], np.log(wrong)[codes.annotator]
    return codes.item_sum(log_wrong)[:, None] + codes.cell_sum(log_right - log_wrong)


def _posterior_skill(codes: Codes, proba: np.ndarray) -> np.ndarray:
    """Each annotator's mean posterior of the categories they gave."""
    return codes.annotator_sum(_given(codes, proba)) / codes.annotator_sum(None)


def one_coin(codes: Codes, *, n_iter: int = 100, tol: float = 1e-5) -> Fit:
    """One-coin Dawid–Skene: one skill per annotator (the chance of the right category; wrong
    answers spread evenly), by EM from the majority vote, stopping as :func:`dawid_skene`."""
    per_item = codes.item_sum(None)
    proba = codes.clamp(_shares(codes.votes()))
    priors = proba.mean(axis=0)
    skill = _posterior_skill(codes, proba)
    label_loglik = _one_coin_loglik(codes, skill)
    loss, history = -math.inf, []
    for _ in range(n_iter):
        proba = codes.clamp(_softmax(label_loglik + np.log(np.clip(priors, EPS, None))))
        priors = proba.mean(axis=0)
        skill = _posterior_skill(codes, proba)
        label_loglik = _one_coin_loglik(codes, skill)
        history.append(_elbo(proba, label_loglik, per_item, priors) / codes.n)
        if history[-1] - loss < tol:
            break
        loss = history[-1]
    return Fit(proba, annotators={"skill": skill}, n_iter=len(history), loss=history)


# ---------------------------------------------------------------------- GLAD
def _softplus(x: np.ndarray, limit: float = 30.0) -> np.ndarray:
    """log(1 + exp(x)), as crowd-kit computes it (x itself above ``limit``, 0 below ``-limit``)."""
    inside = np.abs(x) <= limit
    return np.where(inside, np.log1p(np.exp(np.where(inside, x, 0.0))), np.where(x > limit, x, 0.0))


class _Glad:
    """GLAD's E-step, expected log-likelihood Q and its gradient, on the labels' arrays. The
    chance that annotator ``i`` labels item ``j`` right is sigmoid(alpha_i * exp(beta_j));
    alpha (ability) and beta (log inverse difficulty) have N(1, 1) priors."""

    def __init__(self, codes: Codes) -> None:
        self.codes = codes
        self.log_others = math.log(codes.n_classes - 1)

    def logits(self, alpha: np.ndarray, beta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scale = np.exp(beta)[self.codes.item]
        return alpha[self.codes.annotator] * scale, scale

    def terms(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """log P(label right) and log P(this wrong label) of each label."""
        return -_softplus(-x), -_softplus(x) - self.log_others

    def e_step(self, alpha: np.ndarray, beta: np.ndarray) -> np.ndarray:
        codes = self.codes
        right, wrong = self.terms(self.logits(alpha, beta)[0])
        log_lik = codes.item_sum(wrong)[:, None] + codes.cell_sum(right - wrong)
        return codes.clamp(_softmax(log_lik - math.log(codes.n_classes)))

    def q(self, alpha: np.ndarray, beta: np.ndarray, given: np.ndarray) -> float:
        right, wrong = self.terms(self.logits(alpha, beta)[0])
        value = float((given * right + (1 - given) * wrong).sum())
        return value + _log_normal(alpha - 1.0) + _log_normal(beta - 1.0)

    def gradient(self, alpha: np.ndarray, beta: np.ndarray, given: np.ndarray) -> np.ndarray:
        from scipy.special import expit

        codes = self.codes
        x, scale = self.logits(alpha, beta)
        slope = given - expit(x)
        d_alpha = np.bincount(codes.annotator, slope * scale, codes.n_annotators) - (alpha - 1.0)
        d_beta = codes.item_sum(slope * x) - (beta - 1.0)
        return np.concatenate([d_alpha, d_beta])


def _log_normal(x: np.ndarray) -> float:
    return float((-0.5 * x * x).sum() - 0.5 * math.log(2 * math.pi) * x.size)


def glad(
    codes: Codes,
    *,
    n_iter: int = 100,
    tol: float = 1e-5,
    m_step_max_iter: int = 25,
    m_step_tol: float = 1e-2,
) -> Fit:
    """GLAD: an ability per annotator and a difficulty per item, by EM (conjugate gradients in
    the M-step, at most ``m_step_max_iter`` steps to ``m_step_tol``) until Q per label and
    category gains less than ``tol`` (at most ``n_iter`` iterations); uniform class priors."""
    from scipy.optimize import minimize

    model, w = _Glad(codes), codes.n_annotators
    alpha, beta = np.ones(w), np.ones(codes.n_items)
    proba = model.e_step(alpha, beta)
    q = model.q(alpha, beta, _given(codes, proba))  # crowd-kit starts from the unscaled Q
    history: list[float] = []
    for _ in range(n_iter):
        last = q
        proba = model.e_step(alpha, beta)
        given = _given(codes, proba)
        result = minimize(
            lambda x, g=given: -model.q(x[:w], x[w:], g),
            np.concatenate([alpha, beta]),
            method="CG",
            jac=lambda x, g=given: -model.gradient(x[:w], x[w:], g),
            tol=m_step_tol,
            options={"disp": False, "maxiter": m_step_max_iter},
        )
        alpha, beta = result.x[:w].copy(), result.x[w:].copy()
        q = model.q(alpha, beta, given) / (codes.n * codes.n_classes)
        history.append(q)
        if q - last < tol:
            break
    return Fit(
        proba,
        annotators={"ability": alpha},
        items={"inverse_difficulty": np.exp(beta)},
        n_iter=len(history),
        loss=history,
    )


# ---------------------------------------------------------------------- MACE
@dataclass
class _MaceState:
    """MACE's parameters: per annotator P(spamming), P(knowing) (``spam[:, 0]``, ``spam[:, 1]``)
    and the strategy used when spamming (``theta``, annotator x category)."""

    spam: np.ndarray
    theta: np.ndarray


def _mace_e_step(codes: Codes, state: _MaceState) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """The log marginal likelihood (crowd-kit's, with its 1e-8), the posterior, and the expected
    counts of spamming per (annotator, category) and of (spamming, knowing) per annotator."""
    ann, k = codes.annotator, codes.n_classes
    spamming = state.spam[ann, 0] * state.theta[ann, codes.code]
    knowing = state.spam[ann, 1]
    log_spamming = np.log(spamming)
    log_lik = codes.item_sum(log_spamming)[:, None] + codes.cell_sum(
        np.log(spamming + knowing) - log_spamming
    )
    log_lik -= math.log(k)
    top = log_lik.max(axis=1)
    scaled = np.exp(log_lik - top[:, None])
    total = scaled.sum(axis=1)
    marginal = float(np.logaddexp(np.log(total) + top, math.log(1e-8)).sum())
    proba = codes.clamp(scaled / total[:, None])
    given = _given(codes, proba)
    share = spamming / (spamming + knowing)
    spammed = (1 - given) + given * share
    strategy = np.bincount(ann * k + codes.code, spammed, minlength=codes.n_annotators * k).reshape(-1, k)
    counts = np.stack([codes.annotator_sum(spammed), codes.annotator_sum(given * (1 - share))], axis=1)
    return marginal, proba, strategy, counts


def _normalize(x: np.ndarray, smoothing: float) -> np.ndarray:
    x = x + smoothing
    return x / x.sum(axis=1, keepdims=True)


def _variational_normalize(x: np.ndarray, prior: np.ndarray) -> np.ndarray:
    from scipy.special import digamma

    x = x + prior
    return np.exp(digamma(x) - digamma(x.sum(axis=1, keepdims=True)))


def mace(
    codes: Codes,
    *,
    n_iter: int = 50,
    variational: bool = True,
    n_restarts: int = 1,
    default_noise: float = 0.5,
    alpha: float = 0.5,
    beta: float = 0.5,
    random_state: int = 0,
) -> Fit:
    """MACE: each annotator knows the answer or spams (by their own strategy), ``n_iter`` EM
    iterations from a random start, keeping the best of ``n_restarts`` starts. ``variational``
    (the default) uses variational Bayes with Beta(``alpha``, ``beta``) priors on spamming and
    Dirichlet(10) priors on strategies; else EM with add-(0.01 / categories) smoothing."""
    w, k = codes.n_annotators, codes.n_classes
    smoothing = 0.01 / k
    spam_prior, theta_prior = np.array([[alpha, beta]]), np.full((1, k), 10.0)
    best: tuple[float, _MaceState] | None = None
    for restart in range(n_restarts):
        state = _mace_start(w, k, default_noise, random_state + restart)
        marginal, _proba, strategy, counts = _mace_e_step(codes, state)
        for _ in range(n_iter):
            if variational:
                state = _MaceState(
                    _variational_normalize(counts, spam_prior), _variational_normalize(strategy, theta_prior)
                )
            else:
                state = _MaceState(_normalize(counts, smoothing), _normalize(strategy, smoothing))
            marginal, _proba, strategy, counts = _mace_e_step(codes, state)
        if best is None or marginal > best[0]:
            best = (marginal, state)
    assert best is not None, "n_restarts is at least 1"
    state = best[1]
    _marginal, proba, _strategy, _counts = _mace_e_step(codes, state)
    competence = state.spam[:, 1] / state.spam.sum(axis=1)
    return Fit(
        proba,
        annotators={"competence": competence, "spam": 1 - competence},
        n_iter=n_iter,
    )


def _mace_start(w: int, k: int, noise: float, seed: int) -> _MaceState:
    """crowd-kit's start: U(1, 2 + noise) draws, rows normalised (both from the same seed)."""
    spam = np.random.RandomState(seed).uniform(size=(w, 2)) * (1 + noise) + 1
    theta = np.random.RandomState(seed).uniform(size=(w, k)) * (1 + noise) + 1
    return _MaceState(spam / spam.sum(axis=1, keepdims=True), theta / theta.sum(axis=1, keepdims=True))


# ---------------------------------------------------------------------- dispatch
#: The models by the name ``nl.aggregate(method=...)`` takes.
METHODS: dict[str, Callable[..., Fit]] = {
    "majority": majority,
    "dawid_skene": dawid_skene,
    "one_coin": one_coin,
    "glad": glad,
    "mace": mace,
    "wawa": wawa,
}

#: What each model learns of every annotator (the columns it adds to ``.annotators``).
ANNOTATOR_COLUMNS: dict[str, tuple[str, ...]] = {
    "majority": (),
    "dawid_skene": ("skill",),
    "one_coin": ("skill",),
    "glad": ("ability",),
    "mace": ("competence", "spam"),
    "wawa": ("skill",),
}


def options_of(method: str) -> dict[str, Any]:
    """The options of ``method`` and their defaults."""
    parameters = inspect.signature(METHODS[method]).parameters.values()
    return {p.name: p.default for p in parameters if p.kind is inspect.Parameter.KEYWORD_ONLY}


def check_options(method: str, options: dict[str, Any]) -> None:
    """``TypeError`` naming an option ``method`` does not take, ``ValueError`` for a bad value."""
    known = options_of(method)
    unknown = sorted(set(options) - set(known))
    if unknown:
        offer = ", ".join(f"{name}={default!r}" for name, default in known.items()) or "none"
        raise TypeError(
            f"method {method!r} takes no option {', '.join(map(repr, unknown))}; its options: {offer}"
        )
    for name, value in options.items():
        if not _valid(name, value, known[name]):
            expected = _EXPECTED.get(name, "a number > 0")
            raise ValueError(f"option {name}={value!r} of method {method!r}: expected {expected}")


#: What options other than positive numbers take.
_EXPECTED = {
    "n_iter": "a whole number >= 0",
    "m_step_max_iter": "a whole number >= 0",
    "n_restarts": "a whole number >= 1",
    "random_state": "a whole number >= 0",
    "variational": "True or False",
    "tol": "a number >= 0",
    "m_step_tol": "a number >= 0",
}


def _valid(name: str, value: Any, default: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, (bool, np.bool_))
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(default, int):
        return isinstance(value, (int, np.integer)) and value >= (1 if name == "n_restarts" else 0)
    if not isinstance(value, (int, float, np.integer, np.floating)) or not math.isfinite(value):
        return False
    return value >= 0 if name.endswith("tol") else value > 0


def fit(method: str, codes: Codes, **options: Any) -> Fit:
    """Run ``method`` on ``codes``. With a single category every item gets it (probability 1)."""
    check_options(method, options)
    if codes.n_items == 0 or codes.n_classes == 1:
        return Fit(np.ones((codes.n_items, codes.n_classes)))
    return METHODS[method](codes, **options)
