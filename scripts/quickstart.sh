#!/usr/bin/env bash
# Install nblabel with JupyterLab and open the quickstart notebook (extra arguments go to
# `jupyter lab`, e.g. --no-browser --port 8890).
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --disable-pip-version-check ".[lab]"
extra=()
[ "$(id -u)" = 0 ] && extra+=(--allow-root)   # JupyterLab refuses root without it
exec python -m jupyter lab "${extra[@]}" "$@" examples/quickstart.ipynb
