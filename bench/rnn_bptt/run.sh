#!/usr/bin/env bash
# One training step (forward + backward + Adam) of a leaky tanh RNN on a 3-bit flip-flop batch
# (batch 64, T = 100, one thread) in neurodyn, PyTorch (CPU) and JAX, plus GRU N = 128 against
# torch.nn.GRU. Installs the peers in bench/.venv, runs every tool in each round, repeats the
# rounds, and prints the median per tool and the ratios.
#
#   bench/rnn_bptt/run.sh            # ROUNDS=3 REPEATS=20 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
REPEATS=${REPEATS:-20}
CPU=${CPU:-1}   # the core every measurement is pinned to
VENV=bench/.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r bench/rnn_bptt/requirements.txt
cargo build --release -q -p neurodyn --example bptt_step
ND=target/release/examples/bptt_step
PY="$VENV/bin/python bench/rnn_bptt/peers.py"
RESULTS=$(mktemp)
pin() { taskset -c "$CPU" "$@"; }
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    for n in 128 512; do
        reps=$REPEATS; [ "$n" = 512 ] && reps=$(( (REPEATS + 1) / 2 ))
        pin $ND vanilla "$n" 64 100 "$reps" >> "$RESULTS"
        pin $PY torch vanilla "$n" "$reps" 2>/dev/null | tail -1 >> "$RESULTS"
        pin $PY jax vanilla "$n" "$reps" 2>/dev/null | tail -1 >> "$RESULTS"
    done
    pin $ND gru 128 64 100 "$REPEATS" >> "$RESULTS"
    pin $PY torch gru 128 "$REPEATS" 2>/dev/null | tail -1 >> "$RESULTS"
done
"$VENV/bin/python" bench/rnn_bptt/summarize.py "$RESULTS"
rm -f "$RESULTS"
