"""Hatch build hook: bundle the front end (js/) into nblabel/static with esbuild."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class BundleFrontEnd(BuildHookInterface):
    """Run ``npm ci`` (when needed) and ``npm run build`` before the wheel is assembled."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("nblabel's build needs Node.js and npm to bundle js/ (none found).")
        if not (root / "node_modules" / ".bin" / "esbuild").exists():
            # `npm ci` installs exactly the committed package-lock.json and never rewrites it, so
            # a build leaves a clone clean (tests/test_lockfile.py keeps the lock complete).
            subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=root, check=True)
        subprocess.run([npm, "run", "build"], cwd=root, check=True)
        # js/bundles.json is the one list of bundles: js/build.mjs (`npm run build`) reads it too.
        bundles = json.loads((root / "js" / "bundles.json").read_text(encoding="utf-8"))
        for bundle in bundles["entries"]:
            if not (root / bundles["outdir"] / bundle).exists():
                raise RuntimeError(f"esbuild did not produce {bundles['outdir']}/{bundle}")
