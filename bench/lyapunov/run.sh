#!/usr/bin/env bash
# Lyapunov spectra: the full spectrum of an N = 1000 random tanh network (discrete time,
# 2000 steps, QR every step) in neurodyn and in a NumPy reference script, one thread each,
# pinned to the same core, in one run. Installs NumPy in bench/.venv-lyapunov.
#
#   bench/lyapunov/run.sh        # ROUNDS=3 N=1000 STEPS=2000 GAIN=1.5 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
N=${N:-1000}
STEPS=${STEPS:-2000}
GAIN=${GAIN:-1.5}
CPU=${CPU:-1}
CPUS2=${CPUS2:-0,1}
VENV=bench/.venv-lyapunov
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r bench/lyapunov/requirements.txt
cargo build --release -q -p neurodyn-cli
PY="$VENV/bin/python"
WORK=$(mktemp -d)
RESULTS=$WORK/results.jsonl
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    # One network per round, drawn by NumPy and read by both tools: the same work.
    $PY bench/lyapunov/numpy_ref.py network "$N" "$round" "$WORK/net$round.npz"
    taskset -c "$CPU" $PY bench/measure.py neurodyn -- \
        $PY bench/lyapunov/neurodyn_run.py "$STEPS" "$GAIN" "$WORK/net$round.npz" "$WORK/nd" \
        | sed "s/}\$/, \"round\": $round}/" >> "$RESULTS"
    # Two threads on two cores (the same spectrum, bit for bit).
    taskset -c "$CPUS2" $PY bench/measure.py neurodyn_2t -- \
        $PY bench/lyapunov/neurodyn_run.py "$STEPS" "$GAIN" "$WORK/net$round.npz" "$WORK/nd2" 2 \
        | sed "s/}\$/, \"round\": $round}/" >> "$RESULTS"
    taskset -c "$CPU" $PY bench/measure.py numpy -- \
        $PY bench/lyapunov/numpy_ref.py run "$STEPS" "$GAIN" "$WORK/net$round.npz" \
        | sed "s/}\$/, \"round\": $round}/" >> "$RESULTS"
done
$PY bench/lyapunov/summarize.py "$RESULTS"
rm -rf "$WORK"
