"""The serving queue: next undone item in serving order, wrapping around; neighbours; counts."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nblabel.widgets.queue import Queue


@st.composite
def queues(draw):
    n = draw(st.integers(min_value=0, max_value=300))
    ordered = draw(st.booleans())
    order = np.array(draw(st.permutations(range(n))), dtype=np.int64) if ordered and n else None
    done = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    q = Queue(n, order)
    for pos, flag in enumerate(done):
        q.mark(pos, flag)
    return q, (list(order) if order is not None else list(range(n))), done


def model_next(serving, done, after, count):
    n = len(serving)
    if n == 0:
        return []
    start = 0 if after is None else serving.index(after) + 1
    out = []
    for i in range(n):
        pos = serving[(start + i) % n]
        if not done[pos] and pos != after:
            out.append(pos)
        if len(out) == count:
            break
    return out


@settings(max_examples=150, deadline=None)
@given(queues(), st.data())
def test_next_undone_matches_the_model(qd, data):
    q, serving, done = qd
    count = data.draw(st.integers(min_value=1, max_value=12))
    after = data.draw(st.one_of(st.none(), st.sampled_from(serving))) if serving else None
    assert q.next_undone(after, count) == model_next(serving, done, after, count)
    assert q.remaining == done.count(False)


@settings(max_examples=60, deadline=None)
@given(queues(), st.data())
def test_neighbour_and_rank(qd, data):
    q, serving, _ = qd
    if not serving:
        return
    pos = data.draw(st.sampled_from(serving))
    rank = serving.index(pos)
    assert q.rank_of(pos) == rank and q.at_rank(rank) == pos
    assert q.neighbour(pos, -1) == (serving[rank - 1] if rank > 0 else None)
    assert q.neighbour(pos, 1) == (serving[rank + 1] if rank + 1 < len(serving) else None)


def test_large_queue_is_fast_to_scan():
    n = 1_000_000
    q = Queue(n)
    q.done[: n - 1] = True
    assert q.next_undone(None, 5) == [n - 1]
    assert q.next_undone(n - 1, 5) == []
    q.clear()
    assert q.next_undone(n - 1, 3) == [0, 1, 2]  # wraps around


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_remaining_is_kept_counted_through_marks_extends_and_clears(data):
    """``remaining`` is counted once and then kept by each mark; extend, rearrange and clear
    count it afresh: after any sequence of them it equals a count of the served undone items."""
    n = data.draw(st.integers(min_value=1, max_value=60))
    served = data.draw(st.lists(st.integers(0, n - 1), unique=True, min_size=1, max_size=n))
    q = Queue(n, np.array(served, dtype=np.int64))
    for _ in range(data.draw(st.integers(0, 40))):
        step = data.draw(st.sampled_from(["mark", "unmark", "extend", "rearrange", "clear", "read"]))
        if step in ("mark", "unmark"):
            q.mark(data.draw(st.integers(0, n - 1)), step == "mark")
        elif step == "extend":
            q.extend([data.draw(st.integers(0, n - 1))])
        elif step == "rearrange":
            q.rearrange(np.array(data.draw(st.permutations(list(q.order))), dtype=np.int64))
        elif step == "clear":
            q.clear()
        assert q.remaining == sum(1 for pos in q.order if not q.done[pos])
