"""Medians per (method, tool) of bench/decomp/run.sh's JSON lines, and ratios to TensorLy."""
import collections
import json
import statistics
import sys

rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[(r["label"], r["tool"])].append(r)
names = {"cp": "CP-ALS 100³ rank 5", "ncp": "non-negative CP (HALS) 100³ rank 5", "nmf": "NMF (HALS) 1000 × 500 rank 10"}
print("| method | tool | fit [s] | sweeps | relative error | total [s] | peak [MiB] | TensorLy / neurodyn (fit) |")
print("|---|---|---|---|---|---|---|---|")
for label in ["cp", "ncp", "nmf"]:
    med = {}
    for tool in ["neurodyn", "tensorly"]:
        rs = rows.get((label, tool), [])
        if rs:
            med[tool] = {k: statistics.median(r[k] for r in rs) for k in ["loop_s", "relative_error", "total_s"]}
            med[tool]["peak"] = max(r["peak_mib"] for r in rs)
            med[tool]["iters"] = rs[0]["iters"]
    for tool, m in med.items():
        ratio = f"{med['tensorly']['loop_s'] / m['loop_s']:.2f}×" if "tensorly" in med else "–"
        print(f"| {names[label]} | {tool} | {m['loop_s']:.3f} | {m['iters']} | {m['relative_error']:.4e} | "
              f"{m['total_s']:.2f} | {m['peak']:.0f} | {ratio} |")
