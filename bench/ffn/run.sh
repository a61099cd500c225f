#!/usr/bin/env bash
# One full-batch training step (forward, half-MSE, backward, Adam) of a depth-8, width-256 tanh
# MLP on a batch of 512, one thread, in neurodyn, PyTorch (CPU) and JAX (jit). Installs the
# peers in bench/.venv (bench/rnn_bptt's pinned versions), runs every tool in each round,
# prints the CPU and the median per tool and the ratios.
#
#   bench/ffn/run.sh            # ROUNDS=5 REPEATS=20 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
REPEATS=${REPEATS:-20}
CPU=${CPU:-1}
VENV=bench/.venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r bench/rnn_bptt/requirements.txt
cargo build --release -q -p neurodyn --example ffn_step
ND=target/release/examples/ffn_step
PY="$VENV/bin/python bench/ffn/peers.py"
RESULTS=$(mktemp)
pin() { taskset -c "$CPU" "$@"; }
echo "CPU: $(python3 bench/cpu.py)" >&2
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    pin $ND 8 256 512 "$REPEATS" >> "$RESULTS"
    pin $PY torch 8 256 512 "$REPEATS" 2>/dev/null | tail -1 >> "$RESULTS"
    pin $PY jax 8 256 512 "$REPEATS" 2>/dev/null | tail -1 >> "$RESULTS"
done
"$VENV/bin/python" - "$RESULTS" <<'PY'
import json, statistics, sys
from collections import defaultdict
t = defaultdict(list)
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        t[r["tool"]].append(r["median_ms"])
med = {k: statistics.median(v) for k, v in t.items()}
nd = med["neurodyn"]
print("| depth × width, batch | neurodyn ms | PyTorch ms | JAX ms | vs PyTorch | vs JAX | vs faster peer |")
print("|---|---|---|---|---|---|---|")
peer = min(med.get("torch", float("inf")), med.get("jax", float("inf")))
print(f"| 8 × 256, 512 | {nd:.2f} | {med.get('torch', float('nan')):.2f} | {med.get('jax', float('nan')):.2f} | "
      f"{med.get('torch', float('nan')) / nd:.2f}× | {med.get('jax', float('nan')) / nd:.2f}× | {peer / nd:.2f}× |")
print(f"\n(median over {max(len(v) for v in t.values())} rounds of per-round medians; one thread, pinned)")
PY
rm -f "$RESULTS"
