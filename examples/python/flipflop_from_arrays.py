"""Train a GRU on a 3-bit flip-flop given as plain numpy arrays (as you would bring your own
task), then find its fixed points: the 2³ memories are stable fixed points.

Run: python examples/python/flipflop_from_arrays.py   (about 1 min on 2 cores)
"""

import numpy as np

import neurodyn as nd

# Your data: (time, trial, channel) inputs, targets and a loss mask. Here a flip-flop drawn
# by numpy alone, to show that nothing of neurodyn's tasks is needed.
rng = np.random.default_rng(0)
T, N, BITS = 60, 512, 3
pulses = rng.choice([-1.0, 0.0, 1.0], size=(T, N, BITS), p=[0.05, 0.9, 0.05])
targets = np.zeros_like(pulses)
state = np.zeros((N, BITS))
seen = np.zeros((N, BITS), dtype=bool)
mask = np.zeros_like(pulses)
for t in range(T):
    state = np.where(pulses[t] != 0, pulses[t], state)
    seen |= pulses[t] != 0
    targets[t], mask[t] = state, seen

rnn = nd.RNN(BITS, 24, BITS, cell="gru", seed=1)
result = nd.train(rnn, (pulses, targets, mask), steps=1500, batch=64, lr=0.01, seed=0)
print(f"loss {result.losses[:20].mean():.3f} -> {result.losses[-50:].mean():.4f}")

outputs, states = rnn(pulses[:, :64])
finder = nd.FixedPointFinder(rnn, q_threshold=1e-12, dedup_tol=0.05)
fps = finder.find_fixed_points(finder.sample_states(states, 256, noise_std=0.05, seed=0))
print(f"{len(fps)} fixed points: {int(fps.is_stable.sum())} stable, "
      f"{int((fps.n_unstable > 0).sum())} unstable")
assert result.losses[-50:].mean() < 0.1 * result.losses[:20].mean(), "training did not converge"
assert fps.is_stable.sum() >= 2 ** BITS - 2, "expected (close to) 8 stable memories"
