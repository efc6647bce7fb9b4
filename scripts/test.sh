#!/usr/bin/env bash
# Install everything the tests need on a fresh machine (system packages included) and run the
# whole suite: lint, JS unit tests, Python unit/property/store tests, notebooks, and end-to-end
# tests in JupyterLab + Chromium. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# System packages: chromium (end-to-end tests), postgresql (store tests), an emoji font (end-to-end
# tests select emoji, and their screenshots go in the README). Only the missing ones are installed,
# and nothing already installed is upgraded.
if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for pkg in chromium postgresql fonts-noto-color-emoji; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "== installing ${missing[*]} (apt)"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-upgrade "${missing[@]}"
  fi
else
  echo "== not a Debian-based system: install chromium, PostgreSQL and an emoji font yourself"
fi

echo "== installing nblabel with its test dependencies"
python -m pip install -q --disable-pip-version-check -e ".[test]"
python -m pip install -q --disable-pip-version-check --no-deps irrCAC==0.4.4  # reference for Gwet/Fleiss tests; its metadata pins pandas<3
python -m pip install -q --disable-pip-version-check --no-deps crowd-kit==1.4.2  # reference for nl.aggregate's models; its metadata pulls in transformers, which they never import
npm ci --no-audit --no-fund --loglevel=error  # exactly the committed lock file, never rewritten
npm run build --silent

echo "== lint"
python -m ruff check nblabel nblabel_server tests benchmarks hatch_build.py
echo "== layers (import-linter: imports point one way, no cycles; contracts in pyproject.toml)"
lint-imports

echo "== JS unit tests (vitest)"
npx vitest run

echo "== Python tests (unit, store, notebooks, end-to-end in JupyterLab + Chromium)"
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
python -m pytest -q -p no:cacheprovider "$@"
