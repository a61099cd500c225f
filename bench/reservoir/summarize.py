"""Medians over rounds of vs_reservoirpy.py's lines, reservoirpy / neurodyn ratios, the CPU."""

import json
import statistics
import sys
from collections import defaultdict

rows = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[(r["units"], r["stage"], r["tool"])].append(r["median_ms"])
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
flags = next((l for l in open("/proc/cpuinfo") if l.startswith("flags")), "")
simd = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "SSE"
print(f"CPU: {cpu} ({simd}), one pinned thread, medians over {len(next(iter(rows.values())))} rounds")
print("| units | stage | reservoirpy [ms] | neurodyn [ms] | ratio |")
print("|---|---|---|---|---|")
for units, stage in sorted({(u, s) for u, s, _ in rows}):
    a = statistics.median(rows[(units, stage, "reservoirpy")])
    b = statistics.median(rows[(units, stage, "neurodyn")])
    print(f"| {units} | {stage} | {a:.1f} | {b:.1f} | {a / b:.2f}× |")
