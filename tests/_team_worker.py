"""Annotator processes of the team-scale test (tests/test_team_scale.py).

Run as ``python _team_worker.py CONFIG_JSON`` with the repository on ``PYTHONPATH``. ``run`` in
the config is a list of groups of annotator names: after its imports, the interpreter announces
itself in ``config["barrier"]``, waits for the ``go`` file there, then forks one process per
group. Each process opens its own store, builds the session itself (the settings of
``_session_worker.make_session``: no coordination with the others), and runs one thread per
annotator of its group: ``session.labeler(name)``, then ``w.annotate(w.current, label)`` until
``w.current is None``. A thread writes down each ``(item, label)`` once ``w.annotate`` returned
(accepted: from then on the widget must never lose it). Prints one JSON line: a list of
reports, one per annotator (its log of accepted labels, what is pending, any banner that was
not "ok", its queue).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from _released import fork_together
from _session_worker import label_for, make_session, wait_for_go


def label_group(cfg: dict[str, Any], names: list[str]) -> list[dict[str, Any]]:
    """This process's annotators, one thread each, labeling their queues at once."""
    import nblabel as nl

    store = nl.Store(cfg["url"])
    session = make_session(store, cfg)
    labelers = {name: session.labeler(name) for name in names}
    reports: dict[str, dict[str, Any]] = {}
    errors: list[str] = []
    start = threading.Barrier(len(names))

    def run(name: str) -> None:
        w = labelers[name]
        bad: list[dict[str, Any]] = []
        w.observe(
            lambda change: bad.append(change["new"]) if change["new"].get("state") != "ok" else None,
            "_status",
        )
        accepted: list[list[Any]] = []
        queue = int(w.queue.size)
        try:
            start.wait(timeout=120)
            while w.current is not None:
                if len(accepted) > queue:
                    raise RuntimeError(f"{name}: {len(accepted)} labels from a queue of {queue}")
                item = w.current
                value = label_for(item, name)
                w.annotate(item, value)
                accepted.append([item, value])
        except BaseException:
            errors.append(f"{name}: {traceback.format_exc()}")
        reports[name] = {
            "annotator": name,
            "pid": os.getpid(),
            "assigned": len(session.production_positions(name)),
            "queue_size": queue,
            "accepted": accepted,
            "pending": w.pending,
            "failed": len(w.failed),
            "bad_status": bad,
        }

    threads = [threading.Thread(target=run, args=(name,), name=name) for name in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in labelers.values():
        w.close()
    store.close()
    if errors:
        raise RuntimeError("\n".join(errors))
    return [reports[name] for name in names]


def run_forked(cfg: dict[str, Any], groups: list[list[str]]) -> list[dict[str, Any]]:
    """One forked child process per group, started together; every annotator's report."""
    jobs = [(f"group {names}", functools.partial(label_group, cfg, names)) for names in groups]
    return [report for reports in fork_together(jobs) for report in reports]


def main(cfg: dict[str, Any]) -> None:
    import nblabel  # noqa: F401  (imported before the barrier and before forking)

    groups = cfg["run"]
    wait_for_go(Path(cfg["barrier"]), groups[0][0])
    print(json.dumps(run_forked(cfg, groups)), flush=True)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
