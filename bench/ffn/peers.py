"""One full-batch training step of a tanh MLP (half-MSE, Adam) in PyTorch or JAX, one thread.

    python peers.py torch|jax DEPTH WIDTH BATCH REPEATS

Prints one JSON line like crates/neurodyn/examples/ffn_step.rs. Same work as neurodyn's: depth
weight layers of width x width with biases, tanh between them, a linear output, loss
0.5 * sum((y_hat - y)^2) / batch, gradient, one Adam update. Data generation is not timed.
"""
import json
import os
import sys
import time

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
tool, depth, width, batch, repeats = sys.argv[1], *map(int, sys.argv[2:6])


def report(times):
    times.sort()
    print(json.dumps({"tool": tool, "depth": depth, "width": width, "batch": batch,
                      "median_ms": times[len(times) // 2], "min_ms": times[0]}), flush=True)


if tool == "torch":
    import torch

    torch.set_num_threads(1)
    torch.manual_seed(0)
    layers = [torch.nn.Linear(width, width) for _ in range(depth)]
    params = [p for layer in layers for p in layer.parameters()]
    opt = torch.optim.Adam(params, lr=1e-4)
    x, y = torch.randn(batch, width), torch.randn(batch, width)

    def step():
        opt.zero_grad(set_to_none=True)
        h = x
        for i, layer in enumerate(layers):
            h = layer(h)
            if i + 1 < depth:
                h = torch.tanh(h)
        loss = 0.5 * ((h - y) ** 2).sum() / batch
        loss.backward()
        opt.step()

    times = []
    for r in range(repeats + 3):
        t0 = time.perf_counter()
        step()
        if r >= 3:
            times.append((time.perf_counter() - t0) * 1e3)
    report(times)
else:
    import jax
    import jax.numpy as jnp

    key = jax.random.PRNGKey(0)
    keys = jax.random.split(key, depth + 2)
    scale = 1.0 / width ** 0.5
    params = [(jax.random.normal(keys[i], (width, width)) * scale, jnp.zeros(width)) for i in range(depth)]
    x = jax.random.normal(keys[-2], (batch, width))
    y = jax.random.normal(keys[-1], (batch, width))

    def loss_fn(ps):
        h = x
        for i, (w, b) in enumerate(ps):
            h = h @ w.T + b
            if i + 1 < depth:
                h = jnp.tanh(h)
        return 0.5 * jnp.sum((h - y) ** 2) / batch

    def adam(ps, m, v, t, g, lr=1e-4, b1=0.9, b2=0.999, eps=1e-8):
        m = jax.tree_util.tree_map(lambda a, b: b1 * a + (1 - b1) * b, m, g)
        v = jax.tree_util.tree_map(lambda a, b: b2 * a + (1 - b2) * b * b, v, g)
        c1, c2 = 1 - b1 ** t, 1 - b2 ** t
        ps = jax.tree_util.tree_map(lambda p, a, b: p - lr * (a / c1) / (jnp.sqrt(b / c2) + eps), ps, m, v)
        return ps, m, v

    @jax.jit
    def step(ps, m, v, t):
        g = jax.grad(loss_fn)(ps)
        return adam(ps, m, v, t, g)

    m = jax.tree_util.tree_map(jnp.zeros_like, params)
    v = jax.tree_util.tree_map(jnp.zeros_like, params)
    times = []
    for r in range(repeats + 3):
        t0 = time.perf_counter()
        params, m, v = step(params, m, v, float(r + 1))
        jax.block_until_ready(params)
        if r >= 3:
            times.append((time.perf_counter() - t0) * 1e3)
    report(times)
