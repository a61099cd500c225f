"""Golden data from numpy: ridge regression with an unpenalised intercept, by least squares.

Run with any Python that has numpy:
    python tests/golden/numpy_ridge/generate.py
Writes data.npz and versions.json beside this file (see README.md).
"""

import json
from pathlib import Path

import numpy as np

here = Path(__file__).parent
rng = np.random.default_rng(2026)
rows, p, q = 500, 40, 3
# Correlated columns of unequal scale on a non-zero mean, like reservoir states: the Gram
# matrix's condition number is 1e6 (singular values of the mixing spread over 10³), so small α
# matters, and the intercept must be fitted.
rotation, _ = np.linalg.qr(rng.normal(size=(p, p)))
mixing = np.logspace(0, -3, p)[:, None] * rotation
x = rng.normal(size=(rows, p)) @ mixing + rng.normal(size=p)
true_w = rng.normal(size=(p, q))
y = x @ true_w + np.array([0.5, -1.0, 2.0]) + 0.1 * rng.normal(size=(rows, q))
alphas = np.array([0.0, 1e-6, 1e-2, 1.0, 100.0])

weights = []
for alpha in alphas:
    # min ‖X B + 1 cᵀ − Y‖² + α ‖B‖² as one ordinary least-squares problem: append √α I rows
    # (the penalty) with zeros in the intercept column and zero targets.
    a = np.vstack([np.hstack([x, np.ones((rows, 1))]),
                   np.hstack([np.sqrt(alpha) * np.eye(p), np.zeros((p, 1))])])
    b = np.vstack([y, np.zeros((p, q))])
    sol, *_ = np.linalg.lstsq(a, b, rcond=None)
    weights.append(sol)  # (p + 1) × q, the intercept last

np.savez(here / "data.npz", x=x, y=y, alphas=alphas, weights=np.stack(weights),
         gram_condition=np.array([np.linalg.cond(np.cov(x.T))]))
(here / "versions.json").write_text(json.dumps({"numpy": np.__version__}, indent=1) + "\n")
