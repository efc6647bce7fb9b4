"""Test–retest: some of an annotator's items come back later in their queue, and the two answers
give the annotator's self-agreement.

A repeat is a row of its own in the labeler's DataFrame: a copy of the production item whose
id is the original's key behind :data:`PREFIX` (the browser still shows the original's id). Its
answers are ordinary events of the session's task under that id, so nothing is lost and undo
works as anywhere; but they are not production labels: :func:`nblabel.sessions.events.production_events`
leaves them out, so the first answer is the one agreement, adjudication and final labels count,
and the repeat counts only for self-agreement.

Which items come back, and where, is seeded per annotator (the same in every process): a share
``repeat_rate`` of their planned items, each served at least :data:`GAP` items after the original
when the queue is long enough (else at its end).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from ..core.session_plan import REPEAT_PREFIX as PREFIX
from ..core.session_plan import is_repeat
from .assignment import stable_seed

__all__ = ["GAP", "PREFIX", "choose_repeats", "insert_repeats", "is_repeat", "original_key", "repeat_frame",
           "repeat_key", "self_agreement_table"]  # fmt: skip
#: A repeat comes at least this many items after the original, when the queue allows.
GAP = 10
#: Columns of :func:`self_agreement_table`.
SELF_AGREEMENT_COLUMNS = ["repeats", "agreed", "self_agreement", "ci_low", "ci_high"]


def repeat_key(key: str) -> str:
    """The id of the repeat of the item whose stored key is ``key``."""
    return PREFIX + key


def original_key(key: str) -> str:
    """The stored key of the item a repeat repeats."""
    return key[len(PREFIX) :]


def choose_repeats(mine: np.ndarray, rate: float, annotator: str, seed: Any) -> np.ndarray:
    """Which of ``mine`` (an annotator's planned production positions, in serving order) come
    back: ``round(rate * len(mine))`` of them, seeded, taken from all but the last :data:`GAP`
    items when there are enough (so that each repeat can come :data:`GAP` items later)."""
    want = int(round(rate * len(mine)))
    if want <= 0 or not len(mine):
        return np.zeros(0, dtype=np.int64)
    pool = mine[: len(mine) - GAP] if len(mine) - GAP >= want else mine
    rng = np.random.default_rng(stable_seed("repeat", seed, annotator))
    return np.sort(rng.choice(pool, size=min(want, len(pool)), replace=False)).astype(np.int64)


def insert_repeats(
    queue: np.ndarray, originals: np.ndarray, row_of: dict[int, int], annotator: str, seed: Any
) -> np.ndarray:
    """``queue`` with the repeat row (``row_of[original]``) of each of ``originals`` inserted at a
    seeded place at least :data:`GAP` items after the original (at the end when the queue is
    shorter); originals not in the queue are left out."""
    if not len(originals) or not len(queue):
        return queue
    index = {int(p): i for i, p in enumerate(queue.tolist())}
    rng = np.random.default_rng(stable_seed("repeat-slot", seed, annotator))
    slots, rows = [], []
    for original in originals.tolist():
        i = index.get(int(original))
        draw = int(rng.integers(0, 1 << 62))  # drawn for every original: later slots stay put
        if i is None:
            continue
        low = min(i + 1 + GAP, len(queue))
        slots.append(low + draw % (len(queue) - low + 1))
        rows.append(row_of[int(original)])
    order = np.argsort(np.asarray(slots), kind="stable")
    return np.insert(queue, np.asarray(slots)[order], np.asarray(rows, dtype=np.int64)[order])


def repeat_frame(frame: pd.DataFrame, positions: np.ndarray, keys: list[str]) -> pd.DataFrame:
    """``frame`` with a copy of the rows at ``positions`` appended, each under its repeat id."""
    if not len(positions):
        return frame
    copies = frame.iloc[positions]
    labels = [repeat_key(keys[p]) for p in positions.tolist()]
    index = pd.Index(
        [*frame.index.tolist(), *labels], dtype=object, tupleize_cols=False, name=frame.index.name
    )
    return pd.concat([frame, copies], ignore_index=True).set_axis(index)


def self_agreement_table(
    current: pd.DataFrame,
    keys: list[str],
    annotators: list[str],
    agree: Callable[[Any, Any], bool],
    *,
    n_boot: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> pd.DataFrame:
    """Per annotator: ``repeats`` (items labeled both times), ``agreed`` (the two labels agree),
    ``self_agreement`` (their share) and a percentile bootstrap interval (``ci_low``,
    ``ci_high``; ``n_boot`` resamples of the pairs at ``level``). ``current`` holds the standing
    events (``current_from_annotations``) and ``keys`` each row's stored key. With every pair in
    agreement the interval is the point itself: read ``repeats`` beside it."""
    labels = current[current["kind"] == "label"]
    row_keys = [k for k, is_label in zip(keys, current["kind"] == "label", strict=True) if is_label]
    value = dict(zip(zip(row_keys, labels["annotator"], strict=True), labels["value"], strict=True))
    rows = []
    rng = np.random.default_rng(seed)
    for name in annotators:
        pairs = [
            (value[(original_key(k), a)], v)
            for (k, a), v in value.items()
            if a == name and is_repeat(k) and (original_key(k), a) in value
        ]
        agreed = np.array([agree(first, again) for first, again in pairs], dtype=float)
        low = high = share = float("nan")
        if len(agreed):
            share = float(agreed.mean())
            if n_boot:
                means = agreed[rng.integers(0, len(agreed), size=(n_boot, len(agreed)))].mean(axis=1)
                low, high = (float(q) for q in np.quantile(means, [(1 - level) / 2, (1 + level) / 2]))
        rows.append([name, len(agreed), int(agreed.sum()), share, low, high])
    return pd.DataFrame(rows, columns=["annotator", *SELF_AGREEMENT_COLUMNS]).set_index("annotator")
