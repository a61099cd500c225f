#!/usr/bin/env bash
# Spiking-network benchmark: neurodyn vs Brian2 (C++ standalone) vs NEST, one thread each, on
# CUBA and COBA with 4000 neurons for 1 s and 10 s, and CUBA with mean in-degree 80 at
# N = 16k and 64k; plus neurodyn with 2 threads for the 1 → 2 thread speed-up. Installs the
# peers in bench/.venv-spiking, runs every tool on every case in each round, and prints the
# medians and ratios (run loop, total from start to finish incl. build/compile, peak memory,
# synaptic events per second).
#
#   bench/spiking/run.sh            # ROUNDS=3 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
CPU=${CPU:-1}   # the core single-thread measurements are pinned to
VENV=bench/.venv-spiking
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r bench/spiking/requirements.txt
cargo build --release -q -p neurodyn-cli
PY="$VENV/bin/python"
WORK=$(mktemp -d)
RESULTS=$WORK/results.jsonl
CASES=${CASES:-"cuba:4000:1000 cuba:4000:10000 coba:4000:1000 coba:4000:10000 cuba:16000:1000 cuba:64000:1000"}
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    for case in $CASES; do
        IFS=: read -r model n dur <<< "$case"
        label="$model N=$n ${dur}ms"
        taskset -c "$CPU" $PY bench/measure.py "$label" -- \
            $PY bench/spiking/neurodyn_run.py "$model" "$n" "$dur" "$round" 1 "$WORK/nd" >> "$RESULTS"
        taskset -c 0,1 $PY bench/measure.py "$label" -- \
            $PY bench/spiking/neurodyn_run.py "$model" "$n" "$dur" "$round" 2 "$WORK/nd" >> "$RESULTS"
        # The standalone directory is kept across rounds: round 1 compiles cold, later rounds warm.
        taskset -c "$CPU" $PY bench/measure.py "$label" -- \
            $PY bench/spiking/peers.py brian2 "$model" "$n" "$dur" "$round" "$WORK/brian2_${model}_${n}_${dur}" >> "$RESULTS"
        taskset -c "$CPU" $PY bench/measure.py "$label" -- \
            $PY bench/spiking/peers.py nest "$model" "$n" "$dur" "$round" >> "$RESULTS"
    done
done
$PY bench/spiking/summarize.py "$RESULTS"
rm -rf "$WORK"
