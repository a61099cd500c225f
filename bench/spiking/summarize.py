"""Medians per (case, tool) of the JSON lines bench/spiking/run.sh collects, and ratios."""
import collections
import json
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from cpu import describe  # noqa: E402

print(f"CPU: {describe()}\n")

rows = collections.defaultdict(list)
order = []
for line in open(sys.argv[1]):
    r = json.loads(line)
    key = (r["label"], r["tool"])
    if r["label"] not in order:
        order.append(r["label"])
    rows[key].append(r)

print("| case | tool | run loop [s] | total [s] (first run) | peak [MiB] | events/s | loop: Brian2 / tool | loop: NEST / tool |")
print("|---|---|---|---|---|---|---|---|")
for label in order:
    med = {}
    for (lab, tool), rs in rows.items():
        if lab == label:
            med[tool] = {
                "loop": statistics.median(r["loop_s"] for r in rs),
                "total": statistics.median(r["total_s"] for r in rs),
                "first": rs[0]["total_s"],
                "peak": max(r["peak_mib"] for r in rs),
                "events": statistics.median(r["events"] for r in rs),
            }
    for tool in sorted(med):
        m = med[tool]
        ratio = lambda peer: f"{med[peer]['loop'] / m['loop']:.2f}×" if peer in med else "–"
        print(f"| {label} | {tool} | {m['loop']:.4f} | {m['total']:.3f} ({m['first']:.2f}) | {m['peak']:.0f} | "
              f"{m['events'] / m['loop']:.3g} | {ratio('brian2')} | {ratio('nest')} |")
    if "neurodyn-1t" in med and "neurodyn-2t" in med:
        print(f"| {label} | neurodyn 1 → 2 threads | speed-up {med['neurodyn-1t']['loop'] / med['neurodyn-2t']['loop']:.2f}× | | | | | |")
