"""Annotator processes of the adaptive-overlap test (tests/test_session_adaptive.py).

Run as ``python _adaptive_worker.py CONFIG_JSON`` with the repository on ``PYTHONPATH``. The
config names the store URL, the session's settings, the annotators this process labels for
(``run``) and a barrier folder. The process builds the session itself (no coordination with the
other process), waits for the ``go`` file, then labels round-robin — one item per annotator in
turn, so both processes answer items at the same time — and, when its annotators' queues are
empty, calls ``w.sync()`` (what the poller does for a widget shown in a browser) until no
annotator of its own may be sent more. Prints one JSON line: what this process sees at the end
(the assignment of every item and the escalations).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

LABELS = ["pos", "neg"]


def session_data(n_items: int) -> Any:
    import pandas as pd

    return pd.DataFrame(
        {"text": [f"item {i}" for i in range(n_items)]}, index=pd.Index(range(500, 500 + n_items), name="rid")
    )


def label_for(item_id: Any, annotator: str) -> str:
    """The label ``annotator`` gives ``item_id``: annotators with an even number say "pos" on
    even items; odd ones say "neg" on items divisible by 3 (so many items disagree, not all)."""
    number = int(annotator.lstrip("a"))
    if number % 2 == 0:
        return LABELS[int(item_id) % 2]
    return "neg" if int(item_id) % 3 == 0 else LABELS[int(item_id) % 2]


def make_session(store: Any, cfg: dict[str, Any]) -> Any:
    import nblabel as nl

    return nl.Session(
        store, cfg["task"], widget=nl.Classify, data=session_data(cfg["items"]), annotators=cfg["annotators"],
        overlap=cfg["overlap"], max_overlap=cfg["max_overlap"], escalate=cfg["escalate"], seed=cfg["seed"],
        text="text", labels=LABELS,
    )  # fmt: skip


def main(cfg: dict[str, Any]) -> None:
    import nblabel as nl

    session = make_session(nl.Store(cfg["url"]), cfg)
    labelers = {name: session.labeler(name) for name in cfg["run"]}
    barrier = Path(cfg["barrier"])
    (barrier / f"ready-{cfg['run'][0]}").write_text("")
    deadline = time.monotonic() + 120
    while not (barrier / "go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("no go signal")
        time.sleep(0.01)
    labeled = 0
    while time.monotonic() < deadline:
        busy = False
        for name, w in labelers.items():
            if w.current is not None:
                w.annotate(w.current, label_for(w.current, name))
                labeled += 1
                busy = True
        if busy:
            continue
        for w in labelers.values():
            w.sync()
        if all(w.current is None and not w._policy.may_open_more() for w in labelers.values()):
            break
        time.sleep(0.02)
    else:
        raise TimeoutError(f"{cfg['run']}: the session did not settle")
    plan = session.assignments()
    escalations = session.escalations()
    print(
        json.dumps(
            {
                "run": cfg["run"],
                "labeled": labeled,
                "assignments": {str(k): v for k, v in plan["annotators"].items()},
                "escalations": [[str(i), a, int(level)] for i, a, level in
                                zip(escalations["item_id"], escalations["annotator"], escalations["level"],
                                    strict=True)],
            }
        ),
        flush=True,
    )  # fmt: skip
    session.close()
    session.store.close()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
