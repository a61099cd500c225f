#!/usr/bin/env bash
# Sweep throughput with 1 vs 2 local workers and on a Dask LocalCluster (see run.py).
# Installs the package with its Dask extra in bench/.venv-sweep.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=bench/.venv-sweep
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check ".[distributed]"
ROUNDS=${ROUNDS:-3} "$VENV/bin/python" bench/sweep/run.py
