#!/usr/bin/env bash
# The Python bindings: (1) per-call overhead, the same work from Rust (binding_work example)
# and from Python (overhead.py); (2) neurodyn.decomp.cp_als vs TensorLy's parafac from Python
# (vs_tensorly.py). One thread, pinned to one core, ROUNDS rounds; summarize.py prints the
# medians over rounds and the ratios. Installs the package and TensorLy in bench/.venv-python.
#
#   bench/python/run.sh        # ROUNDS=5 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}
CPU=${CPU:-1}
VENV=bench/.venv-python
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check . -r bench/python/requirements.txt
cargo build --release -q -p neurodyn --example binding_work
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
OUT=$(mktemp)
for round in $(seq "$ROUNDS"); do
    echo "round $round/$ROUNDS" >&2
    taskset -c "$CPU" target/release/examples/binding_work 30 | sed 's/^{/{"tool":"rust",/' >> "$OUT"
    taskset -c "$CPU" "$VENV/bin/python" bench/python/overhead.py 30 | sed 's/^{/{"tool":"python",/' >> "$OUT"
    taskset -c "$CPU" "$VENV/bin/python" bench/python/vs_tensorly.py 3 >> "$OUT"
done
"$VENV/bin/python" bench/python/summarize.py "$OUT"
rm -f "$OUT"
