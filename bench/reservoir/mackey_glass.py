"""Mackey–Glass one-step-ahead prediction with a sparse leaky tanh echo-state network of N units
(N = 1000 and 5000), in reservoirpy and in neurodyn, on the same weights, the same series and the
same read-out, each tool in its own process so that its peak memory is its own.

    python bench/reservoir/mackey_glass.py UNITS [UNITS ...]   # one JSON line per (units, tool)

The parent draws the reservoir with reservoirpy (10 % recurrent connectivity, Gaussian, spectral
radius 1.25, leak 0.3, Bernoulli input weights ±1 at 10 % connectivity — reservoirpy's defaults
with the usual Mackey–Glass settings) and 10 000 samples of the Mackey–Glass series (τ = 17,
neurodyn's generator, scaled to [−1, 1]), and saves both; each child loads them, runs the
reservoir over the 10 000 steps from the zero state (timed), fits a ridge read-out (α = 1e-7,
with intercept) from states 100–7999 to the next sample (timed), predicts samples 8001–10 000
and reports the test NRMSE (RMSE / std of the target), the times, and its peak resident memory
(`ru_maxrss`) next to its resident memory just before the timed work. One repeat per round:
the N = 5000 run takes tens of seconds in either tool.
"""

import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

STEPS, WASHOUT, SPLIT, ALPHA = 10_000, 100, 8_000, 1e-7


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def prepare(units, path):
    from reservoirpy.nodes import Reservoir

    import neurodyn as nd

    x = nd.tasks.mackey_glass(STEPS + 1)
    x = 2 * (x - x.min()) / (x.max() - x.min()) - 1
    res = Reservoir(units=units, lr=0.3, sr=1.25, input_scaling=1.0, rc_connectivity=0.1,
                    input_connectivity=0.1, seed=units)
    res.initialize(x[:1, None])
    W = res.W.tocsr()
    W.sort_indices()
    Win = res.Win.toarray() if hasattr(res.Win, "toarray") else np.asarray(res.Win)
    np.savez(path, x=x, indptr=W.indptr, indices=W.indices, data=W.data, Win=Win,
             bias=np.broadcast_to(np.asarray(res.bias, dtype=float).ravel(), (units,)))


def child(tool, path):
    import scipy.sparse as sp

    z = np.load(path)
    x, Win, bias = z["x"], z["Win"], np.ascontiguousarray(z["bias"])
    n = Win.shape[0]
    W = sp.csr_matrix((z["data"], z["indices"], z["indptr"]), shape=(n, n))
    u, y = x[:-1, None], x[1:, None]
    if tool == "reservoirpy":
        from reservoirpy.nodes import Reservoir, Ridge

        res = Reservoir(W=W, Win=Win, bias=bias, lr=0.3)
        res.initialize(u[:1])

        def run():
            res.reset()
            return res.run(u)

        def fit(states):
            r = Ridge(ridge=ALPHA).fit(states[WASHOUT:SPLIT], y[WASHOUT:SPLIT])
            return r.run(states[SPLIT:])
    else:
        import neurodyn as nd

        esn = nd.reservoir.ESN.from_weights(W, Win, bias, leak=0.3)

        def run():
            return esn.run(u)

        def fit(states):
            r = nd.reservoir.Ridge(ALPHA).fit(states[WASHOUT:SPLIT], y[WASHOUT:SPLIT])
            return r.predict(states[SPLIT:])

    before = rss_mib()
    t0 = time.perf_counter()
    states = run()
    t1 = time.perf_counter()
    pred = fit(states)
    t2 = time.perf_counter()
    err = np.asarray(pred).ravel() - y[SPLIT:].ravel()
    nrmse = float(np.sqrt(np.mean(err**2)) / np.std(y[SPLIT:]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"units": n, "tool": tool, "run_ms": (t1 - t0) * 1e3,
                      "ridge_ms": (t2 - t1) * 1e3, "nrmse": nrmse, "rss_before_mib": before,
                      "peak_rss_mib": peak}), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            for units in map(int, sys.argv[1:]):
                path = os.path.join(tmp, f"mg{units}.npz")
                prepare(units, path)
                for tool in ("reservoirpy", "neurodyn"):
                    subprocess.run([sys.executable, __file__, "--child", tool, path], check=True)
