"""The bindings' per-call overhead: the work of crates/neurodyn/examples/binding_work.rs
(linear CKA of two 2000 × 100 matrices; 20 CP-ALS sweeps, rank 5, on 50³), called from Python,
one thread. Prints one JSON line per work item like the Rust example.

    python bench/python/overhead.py [repeats]
"""

import json
import sys
import time

import numpy as np

import neurodyn as nd

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 30
rng = np.random.default_rng(0)
x, y = rng.standard_normal((2000, 100)), rng.standard_normal((2000, 100))
t = rng.standard_normal((50, 50, 50))


def timed(f):
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    times.sort()
    return times[len(times) // 2] * 1e3, times[0] * 1e3


for work, f in [
    ("cka_linear_2000x100", lambda: nd.analysis.cka(x, y)),
    ("cp_als_50^3_rank5_20sweeps", lambda: nd.decomp.cp_als(t, 5, n_iter_max=20, tol=0.0, threads=1)),
]:
    med, low = timed(f)
    print(json.dumps({"work": work, "median_ms": med, "min_ms": low}), flush=True)
