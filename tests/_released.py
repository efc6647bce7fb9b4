"""Processes that start apart and are released together, for the many-annotator tests.

:func:`run_interpreters` (the test's side) starts one interpreter per config and releases them
with a ``go`` file once each announced itself in the barrier folder; :func:`fork_together`
(inside such an interpreter) forks one child per job after the imports and releases the
children together. Both return every report, in order, or fail with the failing process's
error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def run_interpreters(worker: Path, configs: list[dict[str, Any]], barrier: Path, timeout: float) -> list[Any]:
    """Run ``python worker CONFIG_JSON`` once per config (``barrier`` added to each), release
    them together once each wrote ``ready-*`` in ``barrier`` (or one died, or ``timeout``), and
    return the JSON value each printed last, in config order."""
    barrier.mkdir()
    paths = [str(HERE.parent), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}
    procs = [
        subprocess.Popen(
            [sys.executable, str(worker), json.dumps({**cfg, "barrier": str(barrier)})],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for cfg in configs
    ]
    try:
        deadline = time.monotonic() + timeout
        while len(list(barrier.glob("ready-*"))) < len(procs):
            if any(p.poll() is not None for p in procs) or time.monotonic() > deadline:
                break  # a worker died before the barrier (its error is reported below) or a timeout
            time.sleep(0.02)
        (barrier / "go").write_text("")
        outputs = []
        for cfg, proc in zip(configs, procs, strict=True):
            out, err = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
            assert proc.returncode == 0, f"worker {cfg['run']} exited with {proc.returncode}:\n{err[-4000:]}"
            outputs.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return outputs


def fork_together(jobs: list[tuple[str, Callable[[], Any]]]) -> list[Any]:
    """Run each ``(name, job)`` in a forked child process, all released together once every
    child exists; the JSON-able results in order (a failing child's name and traceback in the
    ``RuntimeError``).

    Forked after the imports (which cost more CPU than the labeling) and before any store is
    opened: each child opens its own store connections.
    """
    results = Path(tempfile.mkdtemp(prefix="nbl-forked-"))
    gate_r, gate_w = os.pipe()
    pids = {}
    for index, (_name, job) in enumerate(jobs):
        pid = os.fork()
        if pid == 0:  # the child: wait for every sibling to exist, run, report, exit
            code = 1
            try:
                os.close(gate_w)
                os.read(gate_r, 1)  # returns b"" once the parent closes the write end
                (results / f"{index}.json").write_text(json.dumps(job()))
                code = 0
            except BaseException:
                (results / f"{index}.err").write_text(traceback.format_exc())
            finally:
                os._exit(code)
        pids[pid] = index
    os.close(gate_r)
    os.close(gate_w)  # go
    failed = []
    try:
        for pid, index in pids.items():
            _, status = os.waitpid(pid, 0)
            if os.waitstatus_to_exitcode(status) != 0:
                err = results / f"{index}.err"
                failed.append(
                    f"{jobs[index][0]} (pid {pid}) exited with {status}: "
                    f"{err.read_text() if err.exists() else ''}"
                )
        if failed:
            raise RuntimeError("\n".join(failed))
        return [json.loads((results / f"{i}.json").read_text()) for i in range(len(jobs))]
    finally:
        shutil.rmtree(results, ignore_errors=True)
