"""Medians over rounds and ratios of bench/python/run.sh's JSON lines."""

import collections
import json
import pathlib
import platform
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from cpu import describe  # noqa: E402

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
by = collections.defaultdict(list)
errors, sweeps = {}, {}
for r in rows:
    sweeps[(r["work"], r["tool"])] = r.get("sweeps")
    by[(r["work"], r["tool"])].append(r["median_ms"])
    if "rel_error" in r:
        errors[(r["work"], r["tool"])] = r["rel_error"]
med = {k: statistics.median(v) for k, v in by.items()}
print(f"CPU: {describe()}, Python {platform.python_version()}, rounds: {len(by[next(iter(by))])}\n")
print("| work | Rust ms | Python ms | Python / Rust |\n|---|---|---|---|")
for work in sorted({w for w, t in med if t == "rust"}):
    rust, py = med[(work, "rust")], med[(work, "python")]
    print(f"| {work} | {rust:.3f} | {py:.3f} | {py / rust:.3f} |")
print("\n| work | neurodyn ms | TensorLy ms | speed-up | rel. error neurodyn / TensorLy | sweeps |\n|---|---|---|---|---|---|")
for work in sorted({w for w, t in med if t == "neurodyn"}):
    nd_, tl_ = med[(work, "neurodyn")], med[(work, "tensorly")]
    print(f"| {work} | {nd_:.1f} | {tl_:.1f} | {tl_ / nd_:.2f}× | "
          f"{errors[(work, 'neurodyn')]:.6g} / {errors[(work, 'tensorly')]:.6g} | "
          f"{sweeps[(work, 'neurodyn')] or 'same'} / {sweeps[(work, 'tensorly')] or 'same'} |")
