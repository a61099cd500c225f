"""Median over rounds of each tool's median step time, and neurodyn's speed-up over each peer."""
import json
import pathlib
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from cpu import describe  # noqa: E402

print(f"CPU: {describe()}\n")

times = defaultdict(list)
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        times[(r["cell"], r["n_hidden"], r["tool"])].append(r["median_ms"])

print("| cell | N | neurodyn ms | PyTorch ms | JAX ms | speed-up vs PyTorch | vs JAX | vs faster peer |")
print("|---|---|---|---|---|---|---|---|")
for cell, n in sorted({(c, n) for c, n, _ in times}):
    med = {tool: statistics.median(times[(cell, n, tool)]) for tool in ("neurodyn", "torch", "jax") if (cell, n, tool) in times}
    nd = med["neurodyn"]
    fmt = lambda tool: f"{med[tool]:.1f}" if tool in med else "–"
    ratio = lambda tool: f"{med[tool] / nd:.2f}×" if tool in med else "–"
    fastest = min(v for k, v in med.items() if k != "neurodyn")
    print(f"| {cell} | {n} | {nd:.1f} | {fmt('torch')} | {fmt('jax')} | {ratio('torch')} | {ratio('jax')} | {fastest / nd:.2f}× |")
rounds = max(len(v) for v in times.values())
print(f"\n(median over {rounds} rounds of per-round medians; one thread, pinned)")
