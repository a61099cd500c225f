#!/usr/bin/env bash
# The fuzz test at a longer budget than CI's: scripts/fuzz.sh [CASES] [SEED].
# Mutated copies of every example spec and malformed .npz data go to `neurodyn check`; any exit
# other than 0/2, any panic or abort fails (exit 1). Prints the counts per example folder; the
# whole output is in target/fuzz.log.
set -uo pipefail
cd "$(dirname "$0")/.."
seed=${2:-$(date +%s)}
echo "fuzz: ${1:-20000} spec cases, seed $seed"
NEURODYN_FUZZ_CASES=${1:-20000} NEURODYN_FUZZ_SEED=$seed \
    cargo test --release -p neurodyn-cli --test fuzz -- --nocapture --test-threads 1 \
    >target/fuzz.log 2>&1
status=$?
grep -E "fuzzed|malformed|test result|panicked" target/fuzz.log
exit $status
