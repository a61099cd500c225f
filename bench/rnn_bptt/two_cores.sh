#!/usr/bin/env bash
# Data-parallel RNN training on two cores (train.batch_chunks): the 3-bit flip-flop with a
# leaky tanh RNN of 128 units, batch 64, T = 100, 300 Adam steps, through `neurodyn run`;
# one chunk on one thread vs 2 chunks on 2 threads, with hidden noise drawn per step (the
# default) or per trial (drawn in parallel), and without noise. Prints the
# CPU and the median training seconds (metrics.json's train_seconds) over ROUNDS rounds.
#
#   bench/rnn_bptt/two_cores.sh        # ROUNDS=3 by default
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
cargo build --release -q -p neurodyn-cli
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
echo "CPU: $(python3 bench/cpu.py)"
echo
echo "| hidden noise | noise_streams | batch_chunks | threads | train seconds (median) | speed-up |"
echo "|---|---|---|---|---|---|"
for case in "0.02 per_step" "0.02 per_trial" "0.0 per_step"; do
    set -- $case
    noise=$1 streams=$2
    base=""
    for setting in "1 1" "2 2"; do
        set -- $setting
        sed -e "s/^max_steps = 2000/max_steps = 300\nbatch_chunks = $1/" -e "s/^n_initial = 512/n_initial = 8/" \
            -e "s/^target_loss = 0.002/target_loss = 0.0/" -e "s/^n_hidden = 64/n_hidden = 128/" \
            -e "s/^noise_std = 0.02/noise_std = $noise\nnoise_streams = \"$streams\"/" \
            examples/rnn/flipflop.toml > "$WORK/spec.toml"
        times=()
        for _ in $(seq "$ROUNDS"); do
            rm -rf "$WORK/out"
            run=$(target/release/neurodyn run "$WORK/spec.toml" --out "$WORK/out" --threads "$2" --quiet)
            times+=("$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['train_seconds'])" "$run/metrics.json")")
        done
        med=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
        [ -z "$base" ] && base=$med
        echo "| $noise | $streams | $1 | $2 | $med | $(python3 -c "print(f'{$base / $med:.2f}×')") |"
    done
done
