"""Medians per tool of bench/lyapunov/run.sh's JSON lines and the NumPy / neurodyn ratio."""
import collections
import json
import pathlib
import statistics
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from cpu import describe  # noqa: E402

print(f"CPU: {describe()}\n")

rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows[r["tool"]].append(r)
print("| tool | loop [s] | λ_max [1/step] | Σλ⁺ [1/step] | total [s] | peak [MiB] | NumPy / neurodyn (loop) |")
print("|---|---|---|---|---|---|---|")
med = {t: {k: statistics.median(r[k] for r in rs) for k in ["loop_s", "lambda_max", "entropy_rate", "total_s"]}
       | {"peak": max(r["peak_mib"] for r in rs), "rounds": len(rs)} for t, rs in rows.items()}
for tool, m in med.items():
    ratio = f"{med['numpy']['loop_s'] / m['loop_s']:.2f}×" if "numpy" in med else "–"
    print(f"| {tool} | {m['loop_s']:.1f} | {m['lambda_max']:.4f} | {m['entropy_rate']:.3f} | {m['total_s']:.1f} | "
          f"{m['peak']:.0f} | {ratio} |")
print(f"\n(median over {min(m['rounds'] for m in med.values())} rounds; one thread pinned to one core, "
      f"`neurodyn_2t`: two threads on two cores)")
# Same network per round: the spectra must agree within their finite-time error.
by_round = collections.defaultdict(dict)
for tool, rs in rows.items():
    for r in rs:
        by_round[r["round"]][tool] = r
for k, pair in sorted(by_round.items()):
    if "neurodyn" in pair and "numpy" in pair:
        a, b = pair["neurodyn"], pair["numpy"]
        print(f"round {k}: λ_max {a['lambda_max']:.5f} vs {b['lambda_max']:.5f}, "
              f"Σλ⁺ {a['entropy_rate']:.4f} vs {b['entropy_rate']:.4f} (neurodyn vs NumPy, same network)")
