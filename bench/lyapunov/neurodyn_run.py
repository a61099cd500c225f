"""Runs the same spectrum in neurodyn through its CLI — a one-gain `tanh_gain_sweep` chaos spec
on the network file NumPy drew, with the full spectrum, no transient, QR every step — and
prints a JSON line like numpy_ref.py. The loop time is the study's `seconds` (which also
covers reading the network, ~10 ms).

    python neurodyn_run.py STEPS GAIN NET.npz OUTDIR [THREADS]

With THREADS > 1 (default 1) the tool is reported as `neurodyn_<THREADS>t`; the spectrum is
bit-identical to one thread's.
"""
import json
import pathlib
import subprocess
import sys

import numpy as np

steps, g, net, out = int(sys.argv[1]), float(sys.argv[2]), pathlib.Path(sys.argv[3]).resolve(), sys.argv[4]
threads = int(sys.argv[5]) if len(sys.argv) > 5 else 1
n = len(np.load(net)["h0"])
root = pathlib.Path(__file__).resolve().parents[2]
spec = pathlib.Path(out) / "bench_lyapunov.toml"
spec.parent.mkdir(parents=True, exist_ok=True)
spec.write_text(f'name = "bench_lyapunov"\n\n[chaos.tanh_gain_sweep]\nsizes = [{n}]\ngains = [{g}]\n'
                f'n_transient = 0\nn_steps = {steps}\nn_exponents = {n}\nqr_every = 1\nnetwork = "{net}"\n')
res = subprocess.run([str(root / "target/release/neurodyn"), "run", str(spec), "--out", out, "--threads", str(threads),
                      "--quiet"], capture_output=True, text=True, check=True)
m = json.loads((pathlib.Path(res.stdout.strip().splitlines()[-1]) / "metrics.json").read_text())
print(json.dumps({"tool": "neurodyn" if threads == 1 else f"neurodyn_{threads}t", "loop_s": m["seconds"], "lambda_max": m["sizes"][0]["lambda_max_per_step"][0],
                  "entropy_rate": m["sizes"][0]["entropy_rate_per_step"][0]}), flush=True)
