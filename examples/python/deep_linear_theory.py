"""Saxe, McClelland & Ganguli's exact learning curves for a teacher of your own choosing: a
spec built as a dict, run from Python, the mode strengths read back as numpy arrays and
checked against the closed form a(t) = s / (1 + (s/a0 - 1) exp(-2 s t)).

Run: python examples/python/deep_linear_theory.py   (under a second)
"""

import tempfile

import numpy as np

import neurodyn as nd

singular_values = [6.0, 2.5, 1.0]
a0 = 1e-3
spec = {
    "name": "my_teacher",
    "seed": 3,
    "deep_linear": {
        "data": {"teacher": {"n_in": 10, "n_out": 6, "singular_values": singular_values,
                             "n_train": 10}},
        "learning_rate": 0.002,
        "steps": 5000,
        "record_every": 5,
        "modes": 3,
        "networks": [{"name": "net", "hidden": [12], "start": {"kind": "decoupled", "a0": a0}}],
    },
}
with tempfile.TemporaryDirectory() as out:
    run = nd.run(spec, out=out)
    arrays = run.arrays("deep_linear")
t = arrays["net_times"]  # in units of tau = 1 / learning rate
a = arrays["net_strengths"]  # [time, mode]
s = np.array(singular_values)
theory = s / (1.0 + (s / a0 - 1.0) * np.exp(-2.0 * s * t[:, None]))
err = np.abs(a - theory).max(axis=0) / s
print("half-times (tau):", run.metrics["networks"]["net"]["half_times"])
print("largest |simulated - theory| / s per mode:", np.round(err, 4))
assert err.max() < 0.03, "gradient descent at eta s <= 0.012 follows the flow's curve closely"
