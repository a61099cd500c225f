"""Times one leaky-RNN (and GRU) training step in PyTorch and JAX, single-threaded.

The step is the same work neurodyn's `bptt_step` example times: forward over T steps of a
batch, masked MSE on a linear readout, backward, one Adam update. Inputs are a fixed random
flip-flop-like batch generated once (data generation is not timed in any tool).

Prints one JSON line per measurement.
"""
import json
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np

ALPHA = 0.2
N_IN = N_OUT = 3


def flipflop_batch(batch, n_steps, seed=0):
    rng = np.random.default_rng(seed)
    pulses = rng.random((n_steps, batch, N_IN)) < 0.05
    signs = np.where(rng.random((n_steps, batch, N_IN)) < 0.5, -1.0, 1.0)
    x = (pulses * signs).astype(np.float32)
    y = np.zeros_like(x)
    m = np.zeros_like(x)
    held = np.zeros((batch, N_IN), dtype=np.float32)
    seen = np.zeros((batch, N_IN), dtype=bool)
    for t in range(n_steps):
        held = np.where(x[t] != 0, x[t], held)
        seen |= x[t] != 0
        y[t] = held
        m[t] = seen
    return x, y, m


def timed(step, repeats, warmup=3):
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append((time.perf_counter() - t0) * 1e3)
    times.sort()
    return times[len(times) // 2], times[0]


def torch_vanilla(n, batch, n_steps, repeats):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, y, m = (torch.from_numpy(a) for a in flipflop_batch(batch, n_steps))
    w = torch.nn.Parameter(torch.randn(n, n) * 0.9 / n**0.5)
    u = torch.nn.Parameter(torch.randn(n, N_IN) / N_IN**0.5)
    b = torch.nn.Parameter(torch.zeros(n))
    w_out = torch.nn.Parameter(torch.randn(N_OUT, n) / n**0.5)
    b_out = torch.nn.Parameter(torch.zeros(N_OUT))
    params = [w, u, b, w_out, b_out]
    opt = torch.optim.Adam(params, lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        h = torch.zeros(batch, n)
        xu = x @ u.T + b  # all steps at once, as neurodyn does
        hs = []
        for t in range(n_steps):
            h = (1 - ALPHA) * h + ALPHA * torch.tanh(xu[t] + h @ w.T)
            hs.append(h)
        out = torch.stack(hs) @ w_out.T + b_out
        loss = ((out - y) ** 2 * m).sum() / m.sum()
        loss.backward()
        opt.step()

    return timed(step, repeats)


def torch_gru(n, batch, n_steps, repeats):
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    x, y, m = (torch.from_numpy(a) for a in flipflop_batch(batch, n_steps))
    gru = torch.nn.GRU(N_IN, n)
    readout = torch.nn.Linear(n, N_OUT)
    opt = torch.optim.Adam(list(gru.parameters()) + list(readout.parameters()), lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        hs, _ = gru(x)
        out = readout(hs)
        loss = ((out - y) ** 2 * m).sum() / m.sum()
        loss.backward()
        opt.step()

    return timed(step, repeats)


def jax_vanilla(n, batch, n_steps, repeats):
    import jax
    import jax.numpy as jnp

    x, y, m = (jnp.asarray(a) for a in flipflop_batch(batch, n_steps))
    k = jax.random.split(jax.random.PRNGKey(0), 3)
    params = {
        "w": jax.random.normal(k[0], (n, n)) * 0.9 / n**0.5,
        "u": jax.random.normal(k[1], (n, N_IN)) / N_IN**0.5,
        "b": jnp.zeros(n),
        "w_out": jax.random.normal(k[2], (N_OUT, n)) / n**0.5,
        "b_out": jnp.zeros(N_OUT),
    }

    def loss_fn(p):
        xu = x @ p["u"].T + p["b"]

        def cell(h, xu_t):
            h = (1 - ALPHA) * h + ALPHA * jnp.tanh(xu_t + h @ p["w"].T)
            return h, h

        _, hs = jax.lax.scan(cell, jnp.zeros((batch, n)), xu)
        out = hs @ p["w_out"].T + p["b_out"]
        return jnp.sum((out - y) ** 2 * m) / jnp.sum(m)

    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-3

    @jax.jit
    def update(p, mom, vel, t):
        g = jax.grad(loss_fn)(p)
        mom = jax.tree_util.tree_map(lambda a, gg: b1 * a + (1 - b1) * gg, mom, g)
        vel = jax.tree_util.tree_map(lambda a, gg: b2 * a + (1 - b2) * gg * gg, vel, g)
        c1, c2 = 1 - b1**t, 1 - b2**t
        p = jax.tree_util.tree_map(lambda a, mm, vv: a - lr * (mm / c1) / (jnp.sqrt(vv / c2) + eps), p, mom, vel)
        return p, mom, vel

    state = [params, jax.tree_util.tree_map(jnp.zeros_like, params), jax.tree_util.tree_map(jnp.zeros_like, params), 1.0]

    def step():
        p, mo, ve = update(state[0], state[1], state[2], state[3])
        jax.block_until_ready(p)
        state[0], state[1], state[2] = p, mo, ve
        state[3] += 1.0

    return timed(step, repeats)


if __name__ == "__main__":
    tool, cell, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    batch, n_steps, repeats = 64, 100, int(sys.argv[4]) if len(sys.argv) > 4 else 20
    fn = {("torch", "vanilla"): torch_vanilla, ("torch", "gru"): torch_gru, ("jax", "vanilla"): jax_vanilla}[(tool, cell)]
    median, best = fn(n, batch, n_steps, repeats)
    print(json.dumps({"tool": tool, "cell": cell, "n_hidden": n, "batch": batch, "n_steps": n_steps, "median_ms": round(median, 3), "min_ms": round(best, 3)}))
