"""Annotator processes of the concurrent session test (tests/test_session_concurrent.py).

Run as ``python _session_worker.py CONFIG_JSON`` with the repository on ``PYTHONPATH``. The
config names the store URL, the task, the session's settings and, in ``run``, the annotators
this interpreter serves. It imports nblabel, announces itself in ``config["barrier"]`` and
waits for the ``go`` file there, so that every process opens the store and registers the
session at once. With one annotator it labels in this process; with several it forks one
child process per annotator (the imports, which cost more CPU than the labeling, are paid once
per interpreter). Each annotator's process builds the session itself — no coordination with
the others — and labels its whole queue with ``w.annotate(w.current, label)`` until
``w.current is None``. Prints one JSON line: a list of reports (assigned, queue, labeled).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from _released import fork_together

LABELS = ["pos", "neg"]


def session_data(n_items: int, gold_every: int = 0) -> Any:
    """The session's DataFrame: a ``text`` column; with ``gold_every``, every ``gold_every``-th
    row has a known answer in the ``answer`` column (the gold pool)."""
    import pandas as pd

    frame = pd.DataFrame(
        {"text": [f"item {i}: some text to label" for i in range(n_items)]},
        index=pd.Index(range(1000, 1000 + n_items), name="rid"),
    )
    if gold_every:
        frame["answer"] = [LABELS[i % 2] if i % gold_every == 0 else None for i in range(n_items)]
    return frame


def label_for(item_id: Any, annotator: str) -> str:
    """The label ``annotator`` gives ``item_id`` (deterministic, so the parent can check it)."""
    return LABELS[(int(item_id) + int(annotator.lstrip("a"))) % 2]


def make_session(store: Any, cfg: dict[str, Any]) -> Any:
    import nblabel as nl

    gold_every = cfg.get("gold_every", 0)
    return nl.Session(
        store,
        cfg["task"],
        widget=nl.Classify,
        data=session_data(cfg["items"], gold_every),
        annotators=cfg["annotators"],
        overlap=cfg["overlap"],
        gold="answer" if gold_every else None,
        gold_rate=cfg.get("gold_rate", 0.0),
        calibration=0,
        seed=cfg.get("seed", 0),
        text="text",
        labels=LABELS,
    )


def wait_for_go(barrier: Path, tag: str, timeout: float = 180.0) -> None:
    (barrier / f"ready-{tag}").write_text("")
    deadline = time.monotonic() + timeout
    while not (barrier / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{tag}: no go signal after {timeout} s")
        time.sleep(0.01)


def label_queue(cfg: dict[str, Any], name: str) -> dict[str, Any]:
    """Build the session as ``name``, label the whole queue, report."""
    import nblabel as nl
    from nblabel.core import ids

    t0 = time.perf_counter()
    # with "urls", each annotator connects with their own login (tests/test_roles.py)
    session = make_session(nl.Store(cfg.get("urls", {}).get(name, cfg["url"])), cfg)
    w = session.labeler(name)
    bad_status: list[dict[str, Any]] = []
    w.observe(
        lambda change: bad_status.append(change["new"]) if change["new"].get("state") != "ok" else None,
        "_status",
    )
    queue = [int(p) for p in w.queue.order]
    t1 = time.perf_counter()
    labeled: list[Any] = []
    while w.current is not None:
        if len(labeled) > len(queue):
            raise RuntimeError(f"{name}: labeled {len(labeled)} items from a queue of {len(queue)}")
        item = w.current
        w.annotate(item, label_for(item, name))
        labeled.append(item)
    t2 = time.perf_counter()
    n_production = session.n_production
    report = {
        "annotator": name,
        "pid": os.getpid(),
        "assigned": len(session.production_positions(name)),
        "queue_size": int(w.queue.size),
        "queue_gold": sum(p >= n_production for p in queue),
        "labeled": len(labeled),
        "distinct": len(set(labeled)),
        "labeled_gold": sum(ids.encode(i)[0] in session.gold for i in labeled),
        "pending": w.pending,
        "bad_status": bad_status,
        "setup_s": t1 - t0,
        "label_s": t2 - t1,
    }
    session.store.close()
    return report


def run_forked(cfg: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    """One forked child process per annotator of ``names``, started together; their reports
    (each child builds its own session)."""
    return fork_together([(name, functools.partial(label_queue, cfg, name)) for name in names])


def main(cfg: dict[str, Any]) -> None:
    import nblabel  # noqa: F401  (imported before the barrier and before forking)

    names = cfg["run"]
    if cfg.get("barrier"):
        wait_for_go(Path(cfg["barrier"]), names[0])
    reports = [label_queue(cfg, names[0])] if len(names) == 1 else run_forked(cfg, names)
    print(json.dumps(reports), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
