"""Runs one benchmark network in neurodyn through its CLI and prints the JSON line peers.py
prints, read from the run's metrics.json.

    python neurodyn_run.py {cuba|coba} N DURATION_MS SEED THREADS OUTDIR
"""
import json
import pathlib
import re
import resource
import subprocess
import sys
import time

model, n, duration, seed, threads, out = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
root = pathlib.Path(__file__).resolve().parents[2]
text = (root / f"examples/spiking/{model}.toml").read_text()
n_exc = int(0.8 * n)
p = 80.0 / n
text = re.sub(r"duration = [0-9.]+", f"duration = {duration}", text)
text = text.replace("n = 3200", f"n = {n_exc}").replace("n = 800", f"n = {n - n_exc}")
text = text.replace("p = 0.02", f"p = {p}")
spec = pathlib.Path(out) / f"{model}_{n}_{int(duration)}.toml"
spec.parent.mkdir(parents=True, exist_ok=True)
spec.write_text(text)
binary = root / "target/release/neurodyn"
# Time and measure the CLI alone (not this wrapper): start to finish, build included.
t0 = time.perf_counter()
res = subprocess.run([str(binary), "run", str(spec), "--out", out, "--seed", str(seed),
                      "--threads", threads, "--quiet"], capture_output=True, text=True, check=True)
total = time.perf_counter() - t0
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
run_dir = pathlib.Path(res.stdout.strip().splitlines()[-1])
m = json.loads((run_dir / "metrics.json").read_text())
spikes = sum(v["spikes"] for v in m["populations"].values())
print(json.dumps({"tool": f"neurodyn-{threads}t", "model": model, "n": n, "duration_ms": duration,
                  "loop_s": m["sim_seconds"], "build_s": m["build_seconds"], "spikes": spikes,
                  "events": m["synaptic_events"], "total_s": total, "peak_mib": peak_mib}), flush=True)
