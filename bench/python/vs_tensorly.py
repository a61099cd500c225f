"""neurodyn.decomp.cp_als against TensorLy's parafac from Python, on the same tensor, from the
same start, for the same number of sweeps (tol = 0): both reach the same loss, so the times
compare the same work. One thread (OMP/BLAS pinned by run.sh). Prints JSON lines.

The masked case hides 15 % of a rank-4 100³ tensor's entries; from the same start TensorLy's
parafac(mask=…) (missing entries imputed from the model each sweep) runs 100 sweeps and
neurodyn's exact masked ALS runs the sweeps it needs to reach TensorLy's final error (found
by a first run, then timed): time to the same loss over the observed entries.

    python bench/python/vs_tensorly.py [repeats]
"""

import json
import sys
import time

import numpy as np
import tensorly as tl
from tensorly.decomposition import parafac

import neurodyn as nd


def observed_error(x, xhat, mask):
    return float(np.linalg.norm((xhat - x)[mask]) / np.linalg.norm(x[mask]))

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
for shape, rank, sweeps in [((50, 50, 50), 5, 50), ((100, 100, 100), 10, 50)]:
    rng = np.random.default_rng(1)
    x = np.einsum("ir,jr,kr->ijk", *(rng.standard_normal((n, rank)) for n in shape))
    x += 0.1 * np.linalg.norm(x) / np.sqrt(x.size) * rng.standard_normal(shape)
    init = [rng.standard_normal((n, rank)) for n in shape]
    runs = {"neurodyn": [], "tensorly": []}
    errors = {}
    for _ in range(repeats):
        t0 = time.perf_counter()
        cp = nd.decomp.cp_als(x, rank, n_iter_max=sweeps, tol=0.0, init=(np.ones(rank), init), threads=1)
        runs["neurodyn"].append(time.perf_counter() - t0)
        errors["neurodyn"] = float(np.linalg.norm(cp.to_tensor() - x) / np.linalg.norm(x))
        t0 = time.perf_counter()
        ref = parafac(tl.tensor(x), rank, n_iter_max=sweeps, tol=0.0, linesearch=False,
                      init=tl.cp_tensor.CPTensor((np.ones(rank), [f.copy() for f in init])))
        runs["tensorly"].append(time.perf_counter() - t0)
        errors["tensorly"] = float(np.linalg.norm(tl.cp_to_tensor(ref) - x) / np.linalg.norm(x))
    for tool, times in runs.items():
        print(json.dumps({"work": f"cp_als_{shape[0]}^3_rank{rank}_{sweeps}sweeps", "tool": tool,
                          "median_ms": 1e3 * float(np.median(times)), "rel_error": errors[tool]}), flush=True)

shape, rank, sweeps = (100, 100, 100), 4, 100
rng = np.random.default_rng(2)
x = np.einsum("ir,jr,kr->ijk", *(rng.standard_normal((n, rank)) for n in shape))
x += 0.1 * np.linalg.norm(x) / np.sqrt(x.size) * rng.standard_normal(shape)
mask = rng.random(shape) >= 0.15
filled = np.where(mask, x, 0.0)
init = [rng.standard_normal((n, rank)) for n in shape]
ref = parafac(tl.tensor(filled), rank, n_iter_max=sweeps, tol=0.0, linesearch=False, mask=tl.tensor(mask.astype(float)),
              init=tl.cp_tensor.CPTensor((np.ones(rank), [f.copy() for f in init])))
target = observed_error(x, tl.cp_to_tensor(ref), mask)
_, errs = nd.decomp.cp_als(filled, rank, mask=mask, n_iter_max=sweeps, tol=0.0, init=(np.ones(rank), init),
                           return_errors=True, threads=1)
energy = float((x[mask] ** 2).sum())
need = next((k for k, e in enumerate(np.sqrt(2 * np.asarray(errs) / energy)) if k > 0 and e <= target * (1 + 1e-4)),
            sweeps)
runs = {"neurodyn": [], "tensorly": []}
errors = {}
for _ in range(repeats):
    t0 = time.perf_counter()
    cp = nd.decomp.cp_als(filled, rank, mask=mask, n_iter_max=need, tol=0.0, init=(np.ones(rank), init), threads=1)
    runs["neurodyn"].append(time.perf_counter() - t0)
    errors["neurodyn"] = observed_error(x, cp.to_tensor(), mask)
    t0 = time.perf_counter()
    ref = parafac(tl.tensor(filled), rank, n_iter_max=sweeps, tol=0.0, linesearch=False,
                  mask=tl.tensor(mask.astype(float)),
                  init=tl.cp_tensor.CPTensor((np.ones(rank), [f.copy() for f in init])))
    runs["tensorly"].append(time.perf_counter() - t0)
    errors["tensorly"] = observed_error(x, tl.cp_to_tensor(ref), mask)
for tool, times in runs.items():
    done = need if tool == "neurodyn" else sweeps
    print(json.dumps({"work": f"cp_als_masked15%_100^3_rank4_to_tensorly_error", "tool": tool, "sweeps": done,
                      "median_ms": 1e3 * float(np.median(times)), "rel_error": errors[tool]}), flush=True)
