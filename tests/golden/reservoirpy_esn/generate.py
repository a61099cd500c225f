"""Golden data from reservoirpy: a leaky tanh echo-state network and its ridge readout.

Run with a Python that has reservoirpy (pip install reservoirpy==0.4.2):
    python tests/golden/reservoirpy_esn/generate.py
Writes data.npz (weights, input, states, readout) and versions.json beside this file.
"""

import json
from pathlib import Path

import numpy as np
import reservoirpy
from reservoirpy.nodes import Reservoir, Ridge

here = Path(__file__).parent
rng = np.random.default_rng(7)
u = rng.uniform(-1, 1, (600, 2))
y = np.stack([np.roll(u[:, 0], 3), np.sin(np.cumsum(u[:, 1]) * 0.1)], axis=1)

reservoir = Reservoir(units=60, lr=0.3, sr=0.9, input_scaling=0.5, bias=0.1,
                      rc_connectivity=1.0, input_connectivity=1.0, seed=42)
states = reservoir.run(u)
readout = Ridge(ridge=1e-4).fit(states[100:], y[100:])


def dense(m):
    return np.asarray(m.toarray() if hasattr(m, "toarray") else m, dtype=np.float64)


np.savez(here / "data.npz", W=dense(reservoir.W), Win=dense(reservoir.Win),
         bias=np.broadcast_to(dense(reservoir.bias).ravel(), (60,)).copy(), u=u, y=y, states=states,
         Wout=dense(readout.Wout), bias_out=dense(readout.bias).ravel(), lr=0.3, ridge=1e-4)
(here / "versions.json").write_text(json.dumps(
    {"reservoirpy": reservoirpy.__version__, "numpy": np.__version__}, indent=1) + "\n")
