"""Medians over rounds of vs_reservoirpy.py's and mackey_glass.py's lines, reservoirpy / neurodyn
ratios, the NRMSEs and peak memory, and the CPU.

    python bench/reservoir/summarize.py DENSE_LINES MACKEY_GLASS_LINES
"""

import json
import pathlib
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from cpu import describe  # noqa: E402

rows = defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[(r["units"], r["stage"], r["tool"])].append(r["median_ms"])
rounds = len(next(iter(rows.values())))
print(f"CPU: {describe()}; one pinned thread, medians over {rounds} rounds\n")
print("Dense reservoirs, 10 000 steps of one input:\n")
print("| units | stage | reservoirpy [ms] | neurodyn [ms] | ratio |")
print("|---|---|---|---|---|")
for units, stage in sorted({(u, s) for u, s, _ in rows}):
    a = statistics.median(rows[(units, stage, "reservoirpy")])
    b = statistics.median(rows[(units, stage, "neurodyn")])
    print(f"| {units} | {stage} | {a:.1f} | {b:.1f} | {a / b:.2f}× |")

mg = defaultdict(list)
for line in open(sys.argv[2]):
    r = json.loads(line)
    mg[(r["units"], r["tool"])].append(r)
print("\nSparse ESN (10 % connectivity), Mackey–Glass one-step prediction, 10 000 steps:\n")
print("| units | stage | reservoirpy | neurodyn | ratio |")
print("|---|---|---|---|---|")
for units in sorted({u for u, _ in mg}):
    a, b = mg[(units, "reservoirpy")], mg[(units, "neurodyn")]

    def med(rs, key):
        return statistics.median(r[key] for r in rs)

    for stage in ("run", "ridge"):
        ta, tb = med(a, f"{stage}_ms"), med(b, f"{stage}_ms")
        print(f"| {units} | {stage} [s] | {ta / 1e3:.2f} | {tb / 1e3:.2f} | {ta / tb:.2f}× |")
    ta = med(a, "run_ms") + med(a, "ridge_ms")
    tb = med(b, "run_ms") + med(b, "ridge_ms")
    print(f"| {units} | run + ridge [s] | {ta / 1e3:.2f} | {tb / 1e3:.2f} | {ta / tb:.2f}× |")
    pa, pb = med(a, "peak_rss_mib"), med(b, "peak_rss_mib")
    print(f"| {units} | peak RSS [MiB] | {pa:.0f} | {pb:.0f} | {pa / pb:.2f}× |")
    ba, bb = med(a, "rss_before_mib"), med(b, "rss_before_mib")
    print(f"| {units} | peak − RSS before [MiB] | {pa - ba:.0f} | {pb - bb:.0f} | "
          f"{(pa - ba) / (pb - bb):.2f}× |")
    print(f"| {units} | test NRMSE | {med(a, 'nrmse'):.6f} | {med(b, 'nrmse'):.6f} | – |")
