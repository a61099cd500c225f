"""Trains a population of flip-flop RNNs in JAX with `vmap` for bench/population: K leaky
tanh networks (N hidden, batch B, T steps, Adam lr 1e-3), the training step written once
and vectorised over the networks' parameters, optimiser states and batches, jit-compiled.
Each network has its own fixed batch (generated once, not timed; neurodyn draws a fresh
batch every step, inside its time). Compilation is excluded (one warm-up step).

    python peers.py K N B T STEPS THREADS

Prints one JSON line with the wall time and the mean final loss.
"""
import json
import os
import sys
import time

K, N, B, T, STEPS, THREADS = (int(a) for a in sys.argv[1:7])
if THREADS == 1:
    os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rnn_bptt"))
from peers import flipflop_batch  # noqa: E402

ALPHA, N_IN, N_OUT = 0.2, 3, 3
batches = [flipflop_batch(B, T, seed=k) for k in range(K)]
x, y, m = (jnp.asarray(np.stack([b[i] for b in batches])) for i in range(3))


def init(key):
    k = jax.random.split(key, 3)
    return {
        "w": jax.random.normal(k[0], (N, N)) * 0.9 / N**0.5,
        "u": jax.random.normal(k[1], (N, N_IN)) / N_IN**0.5,
        "b": jnp.zeros(N),
        "w_out": jax.random.normal(k[2], (N_OUT, N)) / N**0.5,
        "b_out": jnp.zeros(N_OUT),
    }


def loss_fn(p, x, y, m):
    xu = x @ p["u"].T + p["b"]

    def cell(h, xu_t):
        h = (1 - ALPHA) * h + ALPHA * jnp.tanh(xu_t + h @ p["w"].T)
        return h, h

    _, hs = jax.lax.scan(cell, jnp.zeros((B, N)), xu)
    out = hs @ p["w_out"].T + p["b_out"]
    return jnp.sum((out - y) ** 2 * m) / jnp.sum(m)


b1, b2, eps, lr = 0.9, 0.999, 1e-8, 1e-3


def update(p, mom, vel, t, x, y, m):
    loss, g = jax.value_and_grad(loss_fn)(p, x, y, m)
    mom = jax.tree_util.tree_map(lambda a, gg: b1 * a + (1 - b1) * gg, mom, g)
    vel = jax.tree_util.tree_map(lambda a, gg: b2 * a + (1 - b2) * gg * gg, vel, g)
    c1, c2 = 1 - b1**t, 1 - b2**t
    p = jax.tree_util.tree_map(lambda a, mm, vv: a - lr * (mm / c1) / (jnp.sqrt(vv / c2) + eps), p, mom, vel)
    return p, mom, vel, loss


step = jax.jit(jax.vmap(update, in_axes=(0, 0, 0, None, 0, 0, 0)))
params = jax.vmap(init)(jax.random.split(jax.random.PRNGKey(0), K))
zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
state = [params, zeros, zeros]
jax.block_until_ready(step(*state, 1.0, x, y, m))  # compile
t0 = time.perf_counter()
for t in range(1, STEPS + 1):
    p, mo, ve, loss = step(state[0], state[1], state[2], float(t), x, y, m)
    state = [p, mo, ve]
jax.block_until_ready(state[0])
seconds = time.perf_counter() - t0
print(json.dumps({"tool": "jax_vmap", "mode": "vmap", "threads": THREADS, "networks": K, "n_hidden": N, "batch": B,
                  "n_steps": T, "steps": STEPS, "seconds": round(seconds, 4),
                  "mean_final_loss": float(jnp.mean(loss))}))
