"""The committed ``package-lock.json`` is complete: ``npm ci`` (what the build and scripts/test.sh
run) accepts it and never rewrites it, so building from a clone leaves the clone clean.

npm drops other platforms' optional packages (esbuild's and rollup's native binaries) from a lock
file it regenerates while ``node_modules`` exists (npm/cli#4828); ``npm ci`` then refuses the lock
as out of sync, and ``npm install`` adds them back, modifying the committed file."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lock() -> dict:
    return json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))


def _resolve(packages: dict, at: str, name: str) -> str | None:
    """The lock entry npm resolves ``name`` to from the package at path ``at`` (its own
    node_modules first, then each enclosing one up to the root's)."""
    base = at
    while True:
        candidate = f"{base}/node_modules/{name}" if base else f"node_modules/{name}"
        if candidate in packages:
            return candidate
        if not base:
            return None
        cut = base.rfind("/node_modules/")
        base = base[:cut] if cut >= 0 else ""


def missing_optional_packages(lock: dict) -> list[str]:
    """``"dependent -> name@range"`` for every optional dependency with no entry in the lock."""
    packages = lock["packages"]
    missing = []
    for path, entry in packages.items():
        for name, wanted in (entry.get("optionalDependencies") or {}).items():
            if _resolve(packages, path, name) is None:
                missing.append(f"{path or '(root)'} -> {name}@{wanted}")
    return missing


def test_every_optional_package_of_every_platform_is_in_the_lock():
    assert missing_optional_packages(_lock()) == []


def test_the_check_finds_a_dropped_platform_package():
    lock = _lock()
    dropped = "node_modules/@rollup/rollup-win32-x64-msvc"
    assert dropped in lock["packages"]
    del lock["packages"][dropped]
    wanted = lock["packages"]["node_modules/rollup"]["optionalDependencies"]["@rollup/rollup-win32-x64-msvc"]
    assert missing_optional_packages(lock) == [
        f"node_modules/rollup -> @rollup/rollup-win32-x64-msvc@{wanted}"
    ]


def test_lock_matches_package_json():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    root = _lock()["packages"][""]
    assert root.get("devDependencies") == package.get("devDependencies")
    assert root.get("dependencies") == package.get("dependencies")


@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")
def test_npm_ci_accepts_the_lock_and_leaves_it_unchanged(tmp_path: Path):
    """npm's own verdict, offline: a dry run of ``npm ci`` on a copy of the two files."""
    for name in ("package.json", "package-lock.json"):
        shutil.copy(ROOT / name, tmp_path / name)
    before = (tmp_path / "package-lock.json").read_bytes()
    done = subprocess.run(
        [
            "npm",
            "ci",
            "--dry-run",
            "--offline",
            "--ignore-scripts",
            "--no-audit",
            "--no-fund",
            "--cache",
            str(tmp_path / "npm-cache"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "npm_config_update_notifier": "false"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "package-lock.json").read_bytes() == before
    assert not (tmp_path / "node_modules").exists()
