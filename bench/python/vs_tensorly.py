"""neurodyn.decomp.cp_als against TensorLy's parafac from Python, on the same tensor, from the
same start, for the same number of sweeps (tol = 0): both reach the same loss, so the times
compare the same work. One thread (OMP/BLAS pinned by run.sh). Prints JSON lines.

    python bench/python/vs_tensorly.py [repeats]
"""

import json
import sys
import time

import numpy as np
import tensorly as tl
from tensorly.decomposition import parafac

import neurodyn as nd

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
