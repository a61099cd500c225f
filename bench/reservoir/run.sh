#!/usr/bin/env bash
# neurodyn's reservoirs against reservoirpy, one thread pinned to one core, ROUNDS rounds:
# vs_reservoirpy.py (dense reservoirs of 100 and 500 units on reservoirpy's weights) and
# mackey_glass.py (sparse 1000- and 5000-unit ESNs predicting Mackey–Glass, NRMSE and peak
# memory, each tool in its own process); summarize.py prints medians over rounds, the ratios
# and the CPU.
#
#   bench/reservoir/run.sh        # ROUNDS=5 by default; UNITS="1000 5000" for mackey_glass.py
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
CPU=${CPU:-1}
UNITS=${UNITS:-1000 5000}
VENV=bench/.venv-python
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check . reservoirpy==0.4.2 scipy
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 RAYON_NUM_THREADS=1
DENSE=$(mktemp)
MG=$(mktemp)
trap 'rm -f "$DENSE" "$MG"' EXIT
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    taskset -c "$CPU" "$VENV/bin/python" bench/reservoir/vs_reservoirpy.py 5 >> "$DENSE"
    # shellcheck disable=SC2086
    taskset -c "$CPU" "$VENV/bin/python" bench/reservoir/mackey_glass.py $UNITS >> "$MG"
done
"$VENV/bin/python" bench/reservoir/summarize.py "$DENSE" "$MG"
