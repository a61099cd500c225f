#!/usr/bin/env bash
# Decompositions: neurodyn vs TensorLy on the same data, one thread, the same number of sweeps
# of the same algorithm (CP-ALS, non-negative CP by HALS, NMF by HALS), reporting fit time,
# final relative error, total time and peak memory, with ratios. Installs TensorLy in
# bench/.venv-decomp. (tensortools 0.4 does not install on Python 3.11 / NumPy 2; not run.)
#
#   bench/decomp/run.sh            # ROUNDS=3 ITERS=100 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
ITERS=${ITERS:-100}
CPU=${CPU:-1}
VENV=bench/.venv-decomp
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r bench/decomp/requirements.txt
cargo build --release -q -p neurodyn-cli
PY="$VENV/bin/python"
WORK=$(mktemp -d)
RESULTS=$WORK/results.jsonl
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
for method in cp ncp nmf ncp_masked nmf_masked; do
    $PY bench/decomp/peers.py data "$WORK/$method.npz" "$method" 1
done
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    for method in cp ncp nmf ncp_masked nmf_masked; do
        rank=5; [ "${method%_masked}" = nmf ] && rank=10
        taskset -c "$CPU" $PY bench/measure.py "$method" -- \
            $PY bench/decomp/neurodyn_run.py "$method" "$WORK/$method.npz" $rank "$ITERS" "$WORK/nd" >> "$RESULTS"
        taskset -c "$CPU" $PY bench/measure.py "$method" -- \
            $PY bench/decomp/peers.py tensorly "$method" "$WORK/$method.npz" $rank "$ITERS" >> "$RESULTS"
    done
done
$PY bench/decomp/summarize.py "$RESULTS"
rm -rf "$WORK"
