"""Dense feed-forward networks (multi-layer perceptrons) with exact gradients, in float64.

For users of PyTorch: :class:`MLP` is a stack of ``nn.Linear`` layers with one nonlinearity
between them (the output is linear), initialised with explicit scales as in the mean-field
literature (``N(0, sigma_w**2 / fan_in)`` weights, ``N(0, sigma_b**2)`` biases, or Haar
orthogonal, or low-rank plus noise). Its gradients equal autograd's to 1e-10
(tests/golden/torch_ffn). Losses: ``"mse"`` is half the mean over the batch of the summed
squared error (so full-batch gradient descent is the gradient flow with time in units of
1/learning rate), ``"cross_entropy"`` the batch-mean softmax cross-entropy against target
probabilities. Arrays are ``(batch, features)``.

>>> import numpy as np, neurodyn as nd
>>> net = nd.ffn.MLP([4, 32, 32, 2], activation="tanh", seed=1)
>>> x = np.random.default_rng(0).normal(size=(64, 4))
>>> y = np.stack([x[:, 0] * x[:, 1], np.sin(x[:, 2])], axis=1)
>>> losses = net.fit(x, y, learning_rate=1e-2, steps=300)
>>> bool(losses[-1] < 0.2 * losses[0])
True
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import numpy.typing as npt

from . import _neurodyn
from ._arrays import f64

Array = npt.NDArray[np.float64]


class MLP:
    """A feed-forward network of widths ``[n_in, hidden..., n_out]``.

    Parameters
    ----------
    widths : sequence of int
        At least two: input, hidden layers, output.
    activation : {"tanh", "relu", "hard_tanh", "erf", "linear"}
        Nonlinearity of the hidden layers.
    init : {"gaussian", "orthogonal", "low_rank"}
        Weight initialisation, scaled by ``sigma_w``; ``low_rank`` has ``rank`` and a
        fraction ``noise`` of full-rank Gaussian variance.
    sigma_w, sigma_b : float
    bias : bool
    seed : int
    """

    def __init__(self, widths: Sequence[int], activation: str = "tanh", init: str = "gaussian",
                 sigma_w: float = 1.0, sigma_b: float = 0.0, bias: bool = True, rank: int = 1,
                 noise: float = 0.0, seed: int = 0) -> None:
        self._core = _neurodyn.FfnCore(list(widths), activation, init, sigma_w, sigma_b, bias,
                                       rank, noise, seed)

    @property
    def widths(self) -> list[int]:
        """``[n_in, hidden..., n_out]``."""
        return self._core.widths

    @property
    def params(self) -> Array:
        """Every parameter, flat: per layer ``W`` (row-major, ``(n_out, n_in)``), then ``b``."""
        return self._core.params

    @params.setter
    def params(self, value: Any) -> None:
        self._core.params = f64(np.ravel(value), "params")

    def weight(self, layer: int) -> Array:
        """``W_layer`` as ``(n_out, n_in)`` (layers count from 0)."""
        return self._core.weight(layer)

    def forward(self, x: Any) -> list[Array]:
        """Every layer's activations ``[x, h_1, ..., output]`` for a batch ``(batch, n_in)``."""
        return self._core.forward(f64(x, "x"))

    def __call__(self, x: Any) -> Array:
        """The output ``(batch, n_out)``."""
        return self.forward(x)[-1]

    def loss_and_gradient(self, x: Any, y: Any, loss: str = "mse") -> tuple[float, Array]:
        """The loss on ``(x, y)`` and its gradient, flat like :attr:`params`."""
        return self._core.loss_and_gradient(f64(x, "x"), f64(y, "y"), loss)

    def jacobian(self, x: Any) -> Array:
        """The input-output Jacobian ``d output / d x`` at one input ``(n_in,)``."""
        return self._core.jacobian(f64(x, "x"))

    def fit(self, x: Any, y: Any, loss: str = "mse", optimizer: str = "adam",
            learning_rate: float = 1e-3, steps: int = 100, batch: int | None = None,
            momentum: float = 0.0, seed: int = 0) -> Array:
        """Train in place: ``steps`` updates of ``"adam"`` or ``"sgd"`` (with ``momentum``) on
        the whole set (``batch=None``) or on ``batch`` examples drawn with replacement. Returns
        each update's loss. Raises :class:`neurodyn.SpecError` if the loss stops being finite."""
        return self._core.fit(f64(x, "x"), f64(y, "y"), loss, optimizer, learning_rate, steps,
                              batch, momentum, seed)
