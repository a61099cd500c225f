"""Sweep throughput: a 32-point sweep (small flip-flop RNNs: train, evaluate, fixed points) on
a local pool of 1 and of 2 worker processes, and on a 2-worker Dask LocalCluster; the
speed-up of 2 workers over 1 and the Dask path's per-point overhead over the local pool.
Every sweep starts from an empty directory; medians over ROUNDS rounds.

    bench/sweep/run.sh            # ROUNDS=3 by default
"""

import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

import neurodyn as nd

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from cpu import describe  # noqa: E402

ROUNDS = int(os.environ.get("ROUNDS", "3"))
BASE = {
    "name": "bench_point", "seed": 1,
    "task": {"flip_flop": {"n_bits": 2, "n_steps": 50, "p_pulse": 0.05}},
    "model": {"cell": "vanilla", "n_hidden": 16, "dt": 1.0, "tau": 2.0},
    "train": {"learning_rate": 0.01, "batch_size": 16, "max_steps": 150},
    "fixed_points": {"n_initial": 32, "init_noise_std": 0.1, "learning_rate": 0.01, "max_iters": 500,
                     "q_stop": 1e-10, "q_candidate": 1e-4, "q_threshold": 1e-8, "dedup_tol": 0.05,
                     "polish": True},
}
SPEC = {"name": "bench_sweep", "sweep": {"base": BASE, "seeds": 8, "grid": {"model.n_hidden": [12, 16, 20, 24]}}}


def timed(executor, workers=None):
    out = tempfile.mkdtemp()
    try:
        t0 = time.perf_counter()
        table = nd.sweep(SPEC, out=out, executor=executor, workers=workers, quiet=True)
        seconds = time.perf_counter() - t0
        assert len(table) == 32 and not table.failed
        return seconds
    finally:
        shutil.rmtree(out)


def main():
    import distributed
    results = {"pool_1": [], "pool_2": [], "dask_2": []}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        client.run(lambda: __import__("neurodyn"))  # import once per worker, as a warm cluster
        for r in range(ROUNDS):
            print(f"round {r + 1}/{ROUNDS}", file=sys.stderr)
            results["pool_1"].append(timed(None, 1))
            results["pool_2"].append(timed(None, 2))
            results["dask_2"].append(timed(client))
    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"CPU: {describe()}, Python {platform.python_version()}, "
          f"rounds: {ROUNDS}\n")
    print("| executor | 32 points s | points/s |\n|---|---|---|")
    for k, v in med.items():
        print(f"| {k} | {v:.2f} | {32 / v:.2f} |")
    print(f"\nspeed-up, 2 workers over 1 (local pool): {med['pool_1'] / med['pool_2']:.2f}x")
    print(f"Dask path overhead per point vs local pool: {(med['dask_2'] - med['pool_2']) / 32 * 1e3:+.0f} ms")
    print(json.dumps({k: v for k, v in results.items()}))


if __name__ == "__main__":
    main()
