#!/usr/bin/env bash
# neurodyn's reservoirs against reservoirpy (vs_reservoirpy.py), one thread pinned to one core,
# ROUNDS rounds; summarize.py prints medians over rounds, the ratios and the CPU.
#
#   bench/reservoir/run.sh        # ROUNDS=5 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
CPU=${CPU:-1}
VENV=bench/.venv-python
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check . reservoirpy==0.4.2
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
OUT=$(mktemp)
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    taskset -c "$CPU" "$VENV/bin/python" bench/reservoir/vs_reservoirpy.py 5 >> "$OUT"
done
"$VENV/bin/python" bench/reservoir/summarize.py "$OUT"
rm -f "$OUT"
