"""Runs one decomposition of the benchmark in neurodyn through its CLI (fit time from
metrics.json, wall and peak memory of the CLI process) and prints a JSON line like peers.py.

    python neurodyn_run.py {cp|ncp|nmf}[_masked] DATA.npz RANK ITERS OUTDIR

NaN entries are masked (`data.nan = "mask"`) for the `_masked` variants. The JSON line carries the relative error after
every sweep (`errors`), from the run's loss curve, for the time-to-loss comparison.
"""
import json
import pathlib

import numpy as np
import resource
import subprocess
import sys
import time

method, data, rank, iters, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
root = pathlib.Path(__file__).resolve().parents[2]
table = {
    "cp": f"[method.cp]\nrank = {rank}\nmax_iters = {iters}\ntol = 0.0\n",
    "ncp": f"[method.cp]\nrank = {rank}\nnonnegative = true\nmax_iters = {iters}\ntol = 0.0\n",
    "nmf": f"[method.nmf]\nrank = {rank}\nalgorithm = \"hals\"\nmax_iters = {iters}\ntol = 0.0\n",
}[method.removesuffix("_masked")]
spec = pathlib.Path(out) / f"bench_{method}.toml"
spec.parent.mkdir(parents=True, exist_ok=True)
nan = 'nan = "mask"\n' if method.endswith("_masked") else ""
spec.write_text(f'name = "bench_{method}"\nseed = 0\n\n[data]\npath = "{pathlib.Path(data).resolve()}"\n{nan}\n{table}')
t0 = time.perf_counter()
res = subprocess.run([str(root / "target/release/neurodyn"), "run", str(spec), "--out", out, "--threads", "1",
                      "--quiet"], capture_output=True, text=True, check=True)
total = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
run = pathlib.Path(res.stdout.strip().splitlines()[-1])
m = json.loads((run / "metrics.json").read_text())
x = np.load(data)["x"]
energy = float(np.nansum(x * x))
errors = np.sqrt(2.0 * np.load(run / "factors.npz")["loss"] / energy).tolist()
print(json.dumps({"tool": "neurodyn", "method": method, "loop_s": m["fit_seconds"], "iters": m["iterations"],
                  "relative_error": m["relative_error"], "errors": errors, "total_s": total, "peak_mib": peak}),
      flush=True)
