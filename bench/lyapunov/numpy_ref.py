"""NumPy reference: the full Lyapunov spectrum of h <- tanh(g W h) by the QR method with a
re-orthonormalisation every step — the script a researcher writes today.

    python numpy_ref.py network N SEED OUT.npz       # draw W_ij ~ N(0, 1/N), h0 ~ U(-0.5, 0.5)
    python numpy_ref.py run STEPS GAIN NET.npz       # the spectrum; prints one JSON line
"""
import json
import sys
import time

import numpy as np

if sys.argv[1] == "network":
    n, seed, out = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    rng = np.random.default_rng(seed)
    np.savez(out, w=rng.standard_normal((n, n)) / np.sqrt(n), h0=rng.uniform(-0.5, 0.5, n))
    sys.exit(0)

steps, g, net = int(sys.argv[2]), float(sys.argv[3]), np.load(sys.argv[4])
w, h = net["w"], net["h0"].copy()
n = len(h)
q = np.eye(n)
log_r = np.zeros(n)
t0 = time.perf_counter()
for _ in range(steps):
    u = g * (w @ h)
    h = np.tanh(u)
    # Jacobian of h -> tanh(g W h): diag(g (1 - tanh(u)^2)) W, applied to the tangent vectors.
    q, r = np.linalg.qr((g * (1.0 - h * h))[:, None] * (w @ q))
    log_r += np.log(np.abs(np.diag(r)))
loop = time.perf_counter() - t0
lam = np.sort(log_r / steps)[::-1]
print(json.dumps({"tool": "numpy", "loop_s": loop, "lambda_max": float(lam[0]),
                  "entropy_rate": float(lam[lam > 0].sum()), "numpy": np.__version__}), flush=True)
