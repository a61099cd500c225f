"""NumPy reference: the full Lyapunov spectrum of h <- tanh(g W h), W_ij ~ N(0, 1/N), by the QR
method with a re-orthonormalisation every step — the script a researcher writes today. Prints
one JSON line (loop time, leading exponent, entropy rate, sum of exponents).

    python numpy_ref.py N STEPS GAIN SEED
"""
import json
import sys
import time

import numpy as np

n, steps, g, seed = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(seed)
w = rng.standard_normal((n, n)) / np.sqrt(n)
h = rng.uniform(-0.5, 0.5, n)
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
                  "entropy_rate": float(lam[lam > 0].sum()), "sum": float(lam.sum()),
                  "numpy": np.__version__}), flush=True)
