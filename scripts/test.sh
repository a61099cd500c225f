#!/usr/bin/env bash
# The whole test suite: the Rust tests, then the Python package built from this checkout by
# pip (maturin) into .venv and its pytest suite (which also runs examples/python/ and compares
# Python runs with the CLI binary that the Rust tests built).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --release
python3 -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
start=$(date +%s)
.venv/bin/python -m pip install -q ".[test]"
echo "pip install .[test]: $(( $(date +%s) - start )) s"
status=0
NEURODYN_BIN="$PWD/target/release/neurodyn" .venv/bin/python -m pytest -q python/tests || status=$?
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: the Python suite is missing" >&2
    exit 1
fi
exit "$status"
