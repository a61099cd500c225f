"""Feed-forward networks from Python: gradients against finite differences, the Jacobian,
training, PyTorch's layout, and errors that name the field."""

from __future__ import annotations

import numpy as np
import pytest

import neurodyn as nd
from conftest import REPO


def test_gradient_matches_central_differences() -> None:
    net = nd.ffn.MLP([3, 6, 4, 2], activation="erf", sigma_b=0.3, seed=2)
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    value, grad = net.loss_and_gradient(x, y)
    p0 = net.params.copy()
    h = 1e-6
    for i in range(0, p0.size, 3):
        p = p0.copy()
        p[i] += h
        net.params = p
        up = net.loss_and_gradient(x, y)[0]
        p[i] -= 2 * h
        net.params = p
        down = net.loss_and_gradient(x, y)[0]
        fd = (up - down) / (2 * h)
        assert abs(fd - grad[i]) <= 1e-6 * max(abs(fd) + abs(grad[i]), 1e-6), i
    net.params = p0
    assert net.loss_and_gradient(x, y)[0] == value


def test_layout_is_pytorch_linear_and_matches_the_golden_file() -> None:
    with np.load(REPO / "tests" / "golden" / "torch_ffn" / "data.npz") as z:
        net = nd.ffn.MLP([5, 7, 6, 3], activation="tanh")
        net.params = z["tanh_cross_entropy_params"]
        assert np.allclose(net(z["tanh_cross_entropy_x"]), z["tanh_cross_entropy_output"], rtol=0, atol=1e-12)
        _, g = net.loss_and_gradient(z["tanh_cross_entropy_x"], z["tanh_cross_entropy_y"], "cross_entropy")
        assert np.allclose(g, z["tanh_cross_entropy_grads"], rtol=1e-10, atol=1e-12)
        assert np.allclose(net.jacobian(z["tanh_cross_entropy_x"][0]), z["tanh_cross_entropy_jacobian"])
    assert net.weight(0).shape == (7, 5)


def test_forward_returns_every_layer_and_fit_learns() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4))
    y = np.eye(3)[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0).astype(int)]
    net = nd.ffn.MLP([4, 32, 3], activation="relu", sigma_w=2**0.5, seed=1)
    layers = net.forward(x)
    assert [a.shape for a in layers] == [(128, 4), (128, 32), (128, 3)]
    losses = net.fit(x, y, loss="cross_entropy", optimizer="sgd", learning_rate=0.1, momentum=0.9,
                     steps=400, batch=32)
    assert losses.shape == (400,) and losses[-20:].mean() < 0.3 * losses[:20].mean()
    assert (net(x).argmax(1) == y.argmax(1)).mean() > 0.9


def test_bad_input_names_the_field() -> None:
    with pytest.raises(nd.SpecError) as e:
        nd.ffn.MLP([3], activation="tanh")
    assert e.value.field == "widths"
    with pytest.raises(nd.SpecError) as e:
        nd.ffn.MLP([3, 2], activation="sigmoid")
    assert e.value.field == "activation"
    net = nd.ffn.MLP([3, 2])
    with pytest.raises(nd.SpecError) as e:
        net.forward(np.zeros((4, 5)))
    assert e.value.field == "x"
    with pytest.raises(nd.SpecError) as e:
        net.fit(np.ones((4, 3)), np.ones((4, 2)), learning_rate=1e9, steps=50, optimizer="sgd")
    assert e.value.field == "learning_rate"
