"""Who labels what in a session: blind overlap assignment, gold sequences, gold mixing.

Everything here is a pure function of the session's settings and a seed, so every annotator's
process computes the same plan without talking to the others: overlap holds exactly however
many processes label at once, and ``nblabel session status`` can recompute a plan from the
store alone.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np


def stable_seed(*parts: Any) -> int:
    """A 64-bit seed from any values (the same in every process, unlike ``hash``)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little")


def assign_overlap(n_items: int, n_annotators: int, overlap: int, seed: Any) -> np.ndarray:
    """An ``(n_items, overlap)`` array of annotator indices: item ``i`` is labeled by the
    annotators in row ``i``, all different.

    The rows are consecutive windows of a chain of random permutations of the annotators, so
    every annotator gets the same number of items (±1) and each pair of annotators shares
    items. Where a window straddles two permutations, annotators that the window already holds
    are swapped out of the head of the next permutation.
    """
    if not 1 <= overlap <= n_annotators:
        raise ValueError(f"overlap must be between 1 and the number of annotators ({n_annotators})")
    total = n_items * overlap
    if total == 0:
        return np.zeros((n_items, overlap), dtype=np.int64)
    rng = np.random.default_rng(stable_seed("assign", seed))
    blocks = -(-total // n_annotators)
    perms = rng.permuted(np.tile(np.arange(n_annotators), (blocks, 1)), axis=1)
    if n_annotators % overlap:
        for b in range(1, blocks):
            off = (b * n_annotators) % overlap  # members of the straddling window before block b
            if not off:
                continue
            tail = set(perms[b - 1, n_annotators - off :].tolist())
            head = overlap - off
            row = perms[b]
            bad = [i for i in range(head) if row[i] in tail]
            if bad:
                good = [j for j in range(head, n_annotators) if row[j] not in tail]
                for i, j in zip(bad, good, strict=False):
                    row[i], row[j] = row[j], row[i]
    return perms.reshape(-1)[:total].reshape(n_items, overlap)


def annotator_items(grid: np.ndarray, annotator: int) -> np.ndarray:
    """Row numbers of ``grid`` (from :func:`assign_overlap`) that ``annotator`` labels."""
    return np.flatnonzero((grid == annotator).any(axis=1))


def gold_sequence(n_gold: int, annotator: str, seed: Any) -> np.ndarray:
    """The order in which ``annotator`` meets the gold items (indices into the gold pool):
    calibration rounds take from the front, production mixing takes what they left."""
    rng = np.random.default_rng(stable_seed("gold", seed, annotator))
    return rng.permutation(n_gold)


def mix_gold(production: np.ndarray, gold: np.ndarray, rate: float, annotator: str, seed: Any) -> np.ndarray:
    """``production`` with gold items slipped in at random places so that about ``rate`` of
    the result is gold (fewer when the pool runs out)."""
    if rate <= 0 or not len(gold) or not len(production):
        return production
    want = int(round(len(production) * rate / (1.0 - rate)))
    gold = gold[: max(0, min(want, len(gold)))]
    if not len(gold):
        return production
    rng = np.random.default_rng(stable_seed("mix", seed, annotator))
    slots = np.sort(rng.integers(0, len(production) + 1, size=len(gold)))
    return np.insert(production, slots, gold)
