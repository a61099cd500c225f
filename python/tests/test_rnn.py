"""RNNs against PyTorch (golden data), finite differences and closed-form fixed points."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import neurodyn as nd
from conftest import GOLDEN

TORCH = np.load(GOLDEN / "torch_rnn" / "data.npz")


def torch_named(cell: str, flat: np.ndarray, n_in: int = 3, n: int = 5, n_out: int = 2) -> dict:
    """The golden flat parameters (torch's leaves in order) under PyTorch's names."""
    g = {"gru": 3, "lstm": 4}[cell] * n
    sizes = [("weight_hh_l0", (g, n)), ("weight_ih_l0", (g, n_in)), ("bias_ih_l0", (g,))]
    if cell == "gru":
        sizes.append(("bias_hh_l0", (g,)))
    sizes += [("readout.weight", (n_out, n)), ("readout.bias", (n_out,))]
    out, at = {}, 0
    for name, shape in sizes:
        size = int(np.prod(shape))
        out[name] = flat[at:at + size].reshape(shape)
        at += size
    assert at == flat.size
    if cell == "lstm":  # the golden LSTM merged its two biases into bias_ih
        out["bias_hh_l0"] = np.zeros(g)
    return out


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_state_dict_reproduces_torch_outputs(cell: str) -> None:
    rnn = nd.RNN(3, 5, 2, cell=cell)
    rnn.load_state_dict(torch_named(cell, TORCH[f"{cell}_params"]))
    outputs, states = rnn(TORCH[f"{cell}_inputs"])
    expected = TORCH[f"{cell}_outputs"]
    assert np.max(np.abs(outputs - expected)) <= 1e-10 * np.max(np.abs(expected))
    assert states.shape == (7, 3, 5 if cell == "gru" else 10)
    # And back: state_dict round-trips.
    again = nd.RNN(3, 5, 2, cell=cell, seed=99)
    again.load_state_dict(rnn.state_dict())
    np.testing.assert_array_equal(again(TORCH[f"{cell}_inputs"])[0], outputs)


def test_from_torch_when_installed() -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    for module in (torch.nn.GRU(3, 6).double(), torch.nn.LSTM(3, 6).double(), torch.nn.RNN(3, 6).double()):
        lin = torch.nn.Linear(6, 2).double()
        x = torch.randn(9, 4, 3, dtype=torch.float64)
        with torch.no_grad():
            expected = lin(module(x)[0]).numpy()
        ours, _ = nd.RNN.from_torch(module, lin)(x.numpy())
        np.testing.assert_allclose(ours, expected, atol=1e-10)


def test_h0_continues_a_run() -> None:
    rnn = nd.RNN(2, 8, 1, cell="lstm", seed=3)
    x = np.random.default_rng(0).standard_normal((10, 4, 2))
    out, states = rnn(x)
    out2, _ = rnn(x[5:], h0=states[4])
    np.testing.assert_allclose(out2, out[5:], atol=1e-12)


@pytest.mark.parametrize("cell", ["vanilla", "gru", "lstm"])
def test_jacobian_matches_central_differences(cell: str) -> None:
    rnn = nd.RNN(2, 6, 1, cell=cell, tau=2.0 if cell == "vanilla" else 1.0, seed=4)
    rng = np.random.default_rng(1)
    h, x = 0.5 * rng.standard_normal(rnn.state_size), rng.standard_normal(2)
    step = lambda s: rnn(x[None, None, :], h0=s[None, :])[1][0, 0]  # noqa: E731
    eps = 1e-6
    fd = np.stack([(step(h + eps * e) - step(h - eps * e)) / (2 * eps) for e in np.eye(h.size)], axis=1)
    np.testing.assert_allclose(rnn.jacobian(h, x), fd, atol=1e-8)


def test_fixed_points_of_a_bistable_pair() -> None:
    # h <- tanh(2 h) per unit: a = tanh(2a) gives 0 and ±a; in 2-D, 4 stable (±a, ±a),
    # 4 saddles (±a, 0), (0, ±a), 1 unstable origin. Jacobian diag(2 (1 − x²)).
    a = 0.5
    for _ in range(200):
        a = np.tanh(2 * a)
    system = nd.TanhMap(np.eye(2), g=2.0)
    finder = nd.FixedPointFinder(system, q_threshold=1e-20, dedup_tol=1e-3)
    grid = np.array([[i, j] for i in (-1.0, -0.01, 0.0, 0.01, 1.0) for j in (-1.0, -0.01, 0.0, 0.01, 1.0)])
    fps = finder.find_fixed_points(grid)
    assert len(fps) == 9
    assert sorted(fps.n_unstable.tolist()) == [0] * 4 + [1] * 4 + [2]
    for x, jac, stable in zip(fps.xstar, fps.J_xstar, fps.is_stable):
        assert all(min(abs(v), abs(abs(v) - a)) < 1e-9 for v in x)
        np.testing.assert_allclose(jac, np.diag(2 * (1 - x ** 2)), atol=1e-9)
        assert stable == all(abs(v) > 0.5 for v in x)


def test_hopfield_memories_are_stable_fixed_points() -> None:
    # Orthogonal ±1 patterns (Hadamard rows), W = Σ ξξᵀ / N: W ξ = ξ, so m ξ is a fixed point
    # for m = tanh(g m); with g = 3 it is stable.
    h2 = np.array([[1, 1], [1, -1]])
    had = np.kron(np.kron(np.kron(h2, h2), h2), h2).astype(float)  # 16 × 16
    patterns = had[1:4]
    w = patterns.T @ patterns / 16
    g = 3.0
    m = 0.5
    for _ in range(500):
        m = np.tanh(g * m)
    finder = nd.FixedPointFinder(nd.TanhMap(w, g=g), q_threshold=1e-16, dedup_tol=1e-3)
    starts = np.concatenate([0.8 * patterns, -0.8 * patterns,
                             finder.sample_states(np.concatenate([patterns, -patterns]), 32, 0.3, seed=0)])
    fps = finder.find_fixed_points(starts)
    stable = fps.xstar[fps.is_stable]
    for p in np.concatenate([patterns, -patterns]):
        assert np.min(np.linalg.norm(stable - m * p, axis=1)) < 1e-8


def test_lyapunov_spectrum_at_a_stable_origin() -> None:
    # With g W symmetric and small, every orbit falls to 0, where the exponents are ln|eig(g W)|.
    rng = np.random.default_rng(2)
    a = rng.standard_normal((6, 6))
    w = (a + a.T) / np.sqrt(24)
    g = 0.5
    r = nd.lyapunov_spectrum(nd.TanhMap(w, g=g), n_exponents=6, steps=400, transient=400,
                             h0=0.01 * rng.standard_normal(6))
    expected = np.sort(np.log(np.abs(np.linalg.eigvalsh(g * w))))[::-1]
    np.testing.assert_allclose(r.exponents, expected, atol=1e-6)


def test_train_on_tasks_and_on_user_arrays() -> None:
    task = nd.tasks.FlipFlop(n_bits=2, n_steps=40)
    inputs, targets, mask = task.sample(64, seed=1)
    assert inputs.shape == (40, 64, 2) and mask.shape == targets.shape
    rnn = nd.RNN(2, 24, 2, dt=1, tau=2, seed=0)
    first = rnn(inputs)[0]
    result = nd.train(rnn, (inputs, targets, mask), steps=150, batch=32, lr=0.02, seed=0)
    assert result.stopped == "max_steps" and result.losses.shape == (150,)
    assert result.losses[-10:].mean() < 0.5 * result.losses[:10].mean()
    assert not np.array_equal(rnn(inputs)[0], first)  # trained in place
    seen = []
    stopped = nd.train(rnn, task, steps=100, callback=lambda s, loss: seen.append(s) or s < 4)
    assert stopped.stopped == "callback" and len(stopped.losses) == 4 and seen == [1, 2, 3, 4]


def test_a_population_trains_each_network_as_if_alone() -> None:
    task = nd.tasks.FlipFlop(n_bits=2, n_steps=30)
    inputs, targets, mask = task.sample(16, seed=3)
    lrs, seeds = [0.01, 0.03, 0.02], [5, 6, 7]
    pop = [nd.RNN(2, 16, 2, dt=1, tau=3, seed=s) for s in seeds]
    result = nd.train_population(pop, task, steps=40, batch=8, lr=lrs, seeds=seeds, threads=2)
    assert result.losses.shape == (3, 40) and result.stopped == ["max_steps"] * 3
    for k, (lr, seed) in enumerate(zip(lrs, seeds)):
        alone = nd.RNN(2, 16, 2, dt=1, tau=3, seed=seed)
        solo = nd.train(alone, task, steps=40, batch=8, lr=lr, seed=seed)
        np.testing.assert_array_equal(result.losses[k], solo.losses)
        np.testing.assert_array_equal(pop[k](inputs)[0], alone(inputs)[0])  # same weights
    with pytest.raises(nd.SpecError) as e:
        nd.train_population([nd.RNN(2, 16, 2), nd.RNN(2, 8, 2)], task, steps=2)
    assert e.value.field == "rnns"
    with pytest.raises(nd.SpecError) as e:
        nd.train_population(pop, task, steps=2, lr=[0.1, 0.2])
    assert e.value.field == "lr"


def test_fixed_points_of_a_population_in_one_call() -> None:
    # Three trained flip-flop networks: each network's result from the one call is exactly the
    # one its own finder gives, for shared starts and for per-network starts and inputs.
    task = nd.tasks.FlipFlop(n_bits=2, n_steps=30)
    pop = [nd.RNN(2, 12, 2, dt=1, tau=3, seed=s) for s in (1, 2, 3)]
    nd.train_population(pop, task, steps=30, batch=8, lr=0.02, seeds=[1, 2, 3], threads=2)
    rng = np.random.default_rng(0)
    starts = rng.standard_normal((3, 10, 12)) * 0.5
    inputs = np.array([[0.0, 0.0], [0.1, 0.0], [0.0, -0.1]])
    settings = dict(q_threshold=1e-10, max_iters=2000)
    for shared in (False, True):
        init = starts[0] if shared else starts
        found = nd.find_fixed_points_population(pop, init, None if shared else inputs,
                                                threads=2, **settings)
        assert len(found) == 3
        for k, rnn in enumerate(pop):
            alone = nd.FixedPointFinder(rnn, threads=1, **settings).find_fixed_points(
                starts[0] if shared else starts[k], None if shared else inputs[k])
            assert len(found[k]) == len(alone) > 0
            for a, b in zip(found[k], alone):
                np.testing.assert_array_equal(a, b)
    with pytest.raises(nd.SpecError) as e:
        nd.find_fixed_points_population([pop[0], nd.RNN(2, 8, 2)], starts)
    assert e.value.field == "systems"
    with pytest.raises(nd.SpecError) as e:
        nd.find_fixed_points_population(pop, starts[:2])
    assert e.value.field == "initial_states"
    with pytest.raises(nd.SpecError) as e:
        nd.find_fixed_points_population(pop, starts, np.zeros((2, 2)))
    assert e.value.field == "inputs"


def test_chunked_training_keeps_its_bits_on_any_thread_count() -> None:
    task = nd.tasks.FlipFlop(n_bits=2, n_steps=30)
    runs = []
    for threads in (1, 2):
        rnn = nd.RNN(2, 16, 2, dt=1, tau=3, seed=4)
        runs.append(nd.train(rnn, task, steps=20, batch=12, seed=1, noise_std=0.05, threads=threads,
                             batch_chunks=3, noise_streams="per_trial").losses)
    np.testing.assert_array_equal(runs[0], runs[1])
    with pytest.raises(nd.SpecError) as e:
        nd.train(nd.RNN(2, 16, 2), task, steps=2, batch=4, batch_chunks=5)
    assert e.value.field == "batch_chunks"
    with pytest.raises(nd.SpecError) as e:
        nd.train(nd.RNN(2, 16, 2), task, steps=2, noise_streams="per_batch")
    assert e.value.field == "noise_streams"


def test_rnn_errors() -> None:
    with pytest.raises(nd.SpecError) as e:
        nd.RNN(2, 4, 1, cell="transformer")
    assert e.value.field == "cell"
    with pytest.raises(nd.SpecError) as e:
        nd.RNN(2, 0, 1)
    assert e.value.field == "n_hidden"
    rnn = nd.RNN(2, 4, 1)
    with pytest.raises(nd.SpecError) as e:
        rnn(np.zeros((5, 3, 3)))
    assert e.value.field == "inputs"
    with pytest.raises(nd.SpecError) as e:
        nd.train(rnn, nd.tasks.FlipFlop(n_bits=3))
    assert e.value.field == "data"
    with pytest.raises(nd.SpecError) as e:
        nd.train(rnn, (np.zeros((5, 3, 2)), np.zeros((5, 3, 1)), None), lr=-1.0)
    assert e.value.field == "learning_rate"


def test_ctrl_c_interrupts_training_within_a_second(tmp_path) -> None:
    script = textwrap.dedent("""
        import sys, time, numpy as np, neurodyn as nd
        rnn = nd.RNN(3, 128, 3, seed=0)
        before = rnn.state_dict()["weight_hh_l0"].copy()
        print("ready", flush=True)
        try:
            nd.train(rnn, nd.tasks.FlipFlop(n_steps=200), steps=10**7, batch=64)
        except KeyboardInterrupt:
            changed = not np.array_equal(before, rnn.state_dict()["weight_hh_l0"])
            print("interrupted", changed, time.monotonic(), flush=True)
            sys.exit(0)
        sys.exit(3)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(2.0)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    word, changed, at = out.split()
    assert word == "interrupted" and changed == "True"
    assert float(at) - sent < 1.0
