"""neurodyn's echo-state reservoir against reservoirpy on the same work: the same dense
weights (reservoirpy draws them; neurodyn runs them through ESN.from_weights, equal states to
1e-12 — tests/golden/reservoirpy_esn), a tanh reservoir with leak 0.3 driven by 10 000 steps
of one input, then a ridge readout of one target. One thread; medians over repeats within a
round. Prints one JSON line per (units, tool, stage).

    python bench/reservoir/vs_reservoirpy.py [repeats]
"""

import json
import sys
import time

import numpy as np
from reservoirpy.nodes import Reservoir, Ridge

import neurodyn as nd

repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
steps = 10_000
u = np.random.default_rng(0).uniform(-1, 1, (steps, 1))
y = np.roll(u, 5, axis=0)


def median(f):
    f()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return sorted(times)[len(times) // 2] * 1e3


def dense(m):
    return np.asarray(m.toarray() if hasattr(m, "toarray") else m, dtype=np.float64)


for units in (100, 500):
    theirs = Reservoir(units=units, lr=0.3, sr=0.9, input_scaling=0.5, rc_connectivity=1.0,
                       input_connectivity=1.0, seed=1)
    theirs.run(u[:10])
    ours = nd.reservoir.ESN.from_weights(dense(theirs.W), dense(theirs.Win), leak=0.3)
    states = ours.run(u)
    for tool, run, fit in [
        ("reservoirpy", lambda: (theirs.reset(), theirs.run(u)),
         lambda: Ridge(ridge=1e-6).fit(states, y)),
        ("neurodyn", lambda: ours.run(u), lambda: nd.reservoir.Ridge(1e-6).fit(states, y)),
    ]:
        for stage, f in (("run", run), ("ridge", fit)):
            print(json.dumps({"units": units, "tool": tool, "stage": stage, "median_ms": median(f)}),
                  flush=True)
