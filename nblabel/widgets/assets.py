"""Where the front-end bundles are: built by esbuild (``js/``) into ``nblabel/static``."""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC"]

STATIC = Path(__file__).resolve().parents[1] / "static"  # bundles built by esbuild (js/)
