"""Medians per (method, tool) of bench/decomp/run.sh's JSON lines, ratios to TensorLy, and the
CPU. For masked fits, where the algorithms differ (exact weighted least squares here,
imputation in TensorLy), the ratio is time to TensorLy's final error: neurodyn's fit time
scaled by the sweeps it needs to reach that error (to 4 digits: within 1e-4 of it) over the sweeps it ran (sweeps cost the
same, start-up is excluded in both tools)."""
import collections
import json
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from cpu import describe  # noqa: E402

rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[(r["label"], r["tool"])].append(r)
names = {"cp": "CP-ALS 100³ rank 5", "ncp": "non-negative CP (HALS) 100³ rank 5", "nmf": "NMF (HALS) 1000 × 500 rank 10",
         "ncp_masked": "masked non-negative CP 100³ rank 5, 15 % missing",
         "nmf_masked": "masked NMF 1000 × 500 rank 10, 15 % missing"}
rounds = max(len(v) for v in rows.values())
print(f"CPU: {describe()}; one pinned thread, medians over {rounds} rounds\n")
print("| method | tool | fit [s] | sweeps | relative error | total [s] | peak [MiB] | to TensorLy's error [s] | TensorLy / neurodyn |")
print("|---|---|---|---|---|---|---|---|---|")
for label in names:
    med = {}
    for tool in ["neurodyn", "tensorly"]:
        rs = rows.get((label, tool), [])
        if rs:
            med[tool] = {k: statistics.median(r[k] for r in rs) for k in ["loop_s", "relative_error", "total_s"]}
            med[tool]["peak"] = max(r["peak_mib"] for r in rs)
            med[tool]["iters"] = rs[0]["iters"]
            med[tool]["errors"] = rs[0].get("errors")
    if not med:
        continue
    target = med["tensorly"]["relative_error"] if "tensorly" in med else None
    for tool, m in med.items():
        reach, ratio = "–", "1.00×"
        if tool == "neurodyn" and target is not None:
            hit = next((k for k, e in enumerate(m["errors"] or []) if k > 0 and e <= target * (1 + 1e-4)), None)
            if hit is None:
                reach, ratio = "not reached", "–"
            else:
                t = m["loop_s"] * hit / m["iters"]
                reach = f"{t:.3f} ({hit} sweeps)"
                ratio = f"**{med['tensorly']['loop_s'] / t:.2f}×**"
        elif tool == "tensorly":
            reach = f"{m['loop_s']:.3f}"
        print(f"| {names[label]} | {tool} | {m['loop_s']:.3f} | {m['iters']} | {m['relative_error']:.4e} | "
              f"{m['total_s']:.2f} | {m['peak']:.0f} | {reach} | {ratio} |")
