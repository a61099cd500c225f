"""Medians over rounds of bench/population/run.sh's lines, and ratios to JAX's vmap."""
import collections
import json
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from cpu import describe  # noqa: E402

rows = collections.defaultdict(list)
first = None
for line in open(sys.argv[1]):
    if line.startswith("{"):
        r = json.loads(line)
        first = first or r
        rows[(r["tool"], r["mode"], r["threads"])].append(r)
rounds = max(len(v) for v in rows.values())
print(f"CPU: {describe()}; medians over {rounds} rounds")
print(f"work: {first['networks']} networks, N = {first['n_hidden']}, batch {first['batch']}, "
      f"T = {first['n_steps']}, {first['steps']} Adam steps each\n")
med = {k: statistics.median(r["seconds"] for r in v) for k, v in rows.items()}
jax = {t: med.get(("jax_vmap", "vmap", t)) for t in (1, 2)}
print("| tool | how | threads | seconds | ms per network-step | mean final loss | JAX vmap (same threads) / this |")
print("|---|---|---|---|---|---|---|")
for (tool, mode, threads), s in sorted(med.items(), key=lambda kv: (kv[0][2], kv[0][0] != "neurodyn", kv[0][1])):
    r = rows[(tool, mode, threads)][0]
    per = 1e3 * s / (r["networks"] * r["steps"])
    ratio = f"{jax[threads] / s:.2f}×" if jax.get(threads) else "–"
    loss = statistics.median(x["mean_final_loss"] for x in rows[(tool, mode, threads)])
    print(f"| {tool} | {mode} | {threads} | {s:.2f} | {per:.3f} | {loss:.4f} | {ratio} |")
one, two = med.get(("neurodyn", "one_call", 1)), med.get(("neurodyn", "one_call", 2))
if one and two:
    print(f"\nneurodyn one call, 2 threads over 1: {one / two:.2f}×")
