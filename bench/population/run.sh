#!/usr/bin/env bash
# Populations: K flip-flop RNNs (leaky tanh, N hidden, batch B, T steps, Adam) trained for S
# steps — neurodyn in one call (neurodyn::train::population, 1 and 2 threads), neurodyn as K
# separate Trainer::run calls (1 thread), and JAX with the step vmapped over the networks
# (1 thread, and 2 threads on both cores). Installs the peers in bench/.venv (bench/rnn_bptt's
# pinned versions); prints the CPU, medians over rounds and the ratios.
#
#   bench/population/run.sh        # ROUNDS=3 K=256 N=64 B=32 T=100 S=100 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
K=${K:-256} N=${N:-64} B=${B:-32} T=${T:-100} S=${S:-100}
CPU=${CPU:-1}
VENV=bench/.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r bench/rnn_bptt/requirements.txt
cargo build --release -q -p neurodyn --example population_train
ND=target/release/examples/population_train
RESULTS=$(mktemp)
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    taskset -c "$CPU" $ND one_call "$K" "$N" "$B" "$T" "$S" 1 >> "$RESULTS"
    taskset -c "$CPU" $ND separate "$K" "$N" "$B" "$T" "$S" 1 >> "$RESULTS"
    taskset -c 0,1 $ND one_call "$K" "$N" "$B" "$T" "$S" 2 >> "$RESULTS"
    taskset -c "$CPU" "$VENV/bin/python" bench/population/peers.py "$K" "$N" "$B" "$T" "$S" 1 2>/dev/null | tail -1 >> "$RESULTS"
    taskset -c 0,1 "$VENV/bin/python" bench/population/peers.py "$K" "$N" "$B" "$T" "$S" 2 2>/dev/null | tail -1 >> "$RESULTS"
done
"$VENV/bin/python" bench/population/summarize.py "$RESULTS"
rm -f "$RESULTS"
