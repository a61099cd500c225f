"""Reservoir computing: echo-state networks, ridge readouts and memory capacity.

For users of reservoirpy: :class:`ESN` is ``Reservoir`` (``units`` → ``n``, ``sr`` →
``spectral_radius``, ``lr`` → ``leak``,
``rc_connectivity`` → ``connectivity``), :class:`Ridge` is ``Ridge`` (``ridge`` →
``alpha``), and :meth:`ESN.from_weights` runs weights drawn elsewhere (reservoirpy's ``W``,
``Win``, ``bias``; scipy sparse matrices stay sparse) on neurodyn's engine. :meth:`ESN.force`
trains a readout online by FORCE (recursive least squares with output feedback). States are
``(time, units)``; inputs ``(time, n_input)`` or ``(time,)``. Benchmark series (Mackey–Glass,
NARMA) are in :mod:`neurodyn.tasks`.

>>> import numpy as np, neurodyn as nd
>>> esn = nd.reservoir.ESN(100, spectral_radius=0.9, seed=1)
>>> u = np.random.default_rng(0).uniform(-1, 1, 2000)
>>> states = esn.run(u)
>>> readout = nd.reservoir.Ridge(alpha=1e-6).fit(states[100:1500], u[99:1499])  # recall u_{t-1}
>>> round(float(np.corrcoef(readout.predict(states[1500:]), u[1499:-1])[0, 1]), 2)
1.0
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from . import _neurodyn
from ._arrays import f64
from .errors import SpecError

Array = npt.NDArray[np.float64]


def _inputs(u: Any) -> Array:
    a = f64(u, "inputs")
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise SpecError(f"inputs must be (time,) or (time, n_input), got shape {a.shape}", "inputs")
    return np.ascontiguousarray(a)


def _bias(bias: Any, n: int) -> Array:
    if bias is None:
        return np.zeros(n)
    if hasattr(bias, "toarray"):
        bias = bias.toarray()
    if np.ndim(bias) == 0:
        return np.full(n, float(bias))
    return f64(np.ravel(bias), "bias")


class ESN:
    """An echo-state reservoir: ``x_t = (1 − leak) x_{t−1} + leak f(W x_{t−1} + W_in u_t + b)``.

    Parameters
    ----------
    n : int
        Units.
    spectral_radius : float
        ``W`` is scaled to this spectral radius.
    input_scaling, bias_scaling : float
        ``W_in`` and the bias are uniform in ``[−scaling, scaling]``.
    leak : float
        In ``(0, 1]``; 1 is no leak.
    activation : {"tanh", "linear"}
    topology : {"gaussian", "orthogonal"}
        How ``W`` is drawn before scaling.
    n_input : int
    seed : int
    connectivity : float
        Fraction of nonzero recurrent weights in ``(0, 1]``; below 1 ``W`` is stored sparse
        (Gaussian topology). The spectral radius is exact (dense eigenvalues, ``O(n³)``).
    """

    def __init__(self, n: int, spectral_radius: float = 0.9, input_scaling: float = 1.0,
                 bias_scaling: float = 0.0, leak: float = 1.0, activation: str = "tanh",
                 topology: str = "gaussian", n_input: int = 1, seed: int = 0,
                 connectivity: float = 1.0) -> None:
        self._core = _neurodyn.EsnCore(n, spectral_radius, input_scaling, bias_scaling, leak,
                                       activation, topology, n_input, seed, connectivity)

    @classmethod
    def from_weights(cls, W: Any, W_in: Any, bias: Any = None, leak: float = 1.0,
                     activation: str = "tanh") -> "ESN":
        """A reservoir with given weights: ``W`` ``(n, n)``, ``W_in`` ``(n, n_input)`` (or
        ``(n,)``), ``bias`` ``(n,)`` or one number for all (default zeros). A scipy sparse ``W`` runs sparse (CSR);
        a sparse ``W_in`` is made dense."""
        if hasattr(W_in, "toarray"):
            W_in = W_in.toarray()
        w_in = f64(W_in, "W_in")
        if w_in.ndim == 1:
            w_in = np.ascontiguousarray(w_in[:, None])
        esn = cls.__new__(cls)
        if hasattr(W, "tocsr"):
            csr = W.tocsr()
            n = csr.shape[0]
            if csr.shape != (n, n):
                raise SpecError(f"W must be square, got {csr.shape}", "W")
            b = _bias(bias, n)
            csr.sort_indices()
            esn._core = _neurodyn.EsnCore.from_csr(
                csr.indptr.astype(np.int64).tolist(), csr.indices.astype(np.int64).tolist(),
                f64(csr.data, "W"), w_in, b, leak, activation)
            return esn
        w = f64(W, "W")
        b = _bias(bias, w.shape[0] if w.ndim == 2 else 0)
        esn._core = _neurodyn.EsnCore.from_weights(w, w_in, b, leak, activation)
        return esn

    def run(self, inputs: Any) -> Array:
        """States ``(time, n)`` driven by ``inputs`` from the zero state."""
        return self._core.run(_inputs(inputs))

    def force(self, target: Any, feedback: Any, inputs: Any = None, alpha: float = 1.0,
              train_steps: int | None = None, every: int = 1,
              initial: Any = None) -> tuple[Array, Array, Array]:
        """FORCE learning (Sussillo & Abbott 2009): run ``len(target)`` steps with the readout
        ``z_t = w · x_t`` fed back into every unit through ``feedback`` ``(n,)``; for the first
        ``train_steps`` steps (default all), every ``every`` steps, ``w`` (from zero) follows
        recursive least squares toward ``target`` with ``P₀ = I / alpha``. ``initial`` is the
        state before the first step (default zero). Returns ``(output (T,), w (n,), errors)``,
        the errors ``z − target`` before each update."""
        t = f64(np.ravel(target), "target")
        u = None if inputs is None else _inputs(inputs)
        x0 = None if initial is None else f64(np.ravel(initial), "initial")
        return self._core.force(t, f64(np.ravel(feedback), "feedback"), u, float(alpha),
                                train_steps, every, x0)

    @property
    def W(self) -> Array:
        """Recurrent weights ``(n, n)``."""
        return self._core.w

    @property
    def W_in(self) -> Array:
        """Input weights ``(n, n_input)``."""
        return self._core.w_in

    @property
    def bias(self) -> Array:
        """Biases ``(n,)``."""
        return self._core.bias


class Ridge:
    """A linear readout fitted by ridge regression, with an intercept (as reservoirpy's
    ``Ridge`` and scikit-learn's): minimises ``‖X B + c − Y‖² + alpha ‖B‖²``."""

    def __init__(self, alpha: float = 1e-8) -> None:
        self.alpha = alpha
        self.coef_: Array | None = None
        self.intercept_: Array | None = None

    def fit(self, states: Any, targets: Any) -> "Ridge":
        """Fit on ``states`` ``(time, n)`` and ``targets`` ``(time,)`` or ``(time, q)``."""
        x = f64(states, "states")
        y = f64(targets, "targets")
        self._vector = y.ndim == 1
        y2 = np.ascontiguousarray(y[:, None] if self._vector else y)
        w = _neurodyn.ridge_fit(x, y2, float(self.alpha))
        self.coef_, self.intercept_ = w[:-1], w[-1]
        return self

    def predict(self, states: Any) -> Array:
        """``states @ coef_ + intercept_``."""
        if self.coef_ is None or self.intercept_ is None:
            raise SpecError("fit the readout first", "states")
        out = f64(states, "states") @ self.coef_ + self.intercept_
        return out[:, 0] if self._vector else out


def memory_capacity(states: Any, u: Any, max_delay: int, n_train: int, washout: int = 100,
                    alpha: float = 1e-8) -> Array:
    """Jaeger's memory capacity per delay ``k = 0 … max_delay``: held-out ``r²`` of a ridge
    readout of ``u[t − k]`` from ``states[t]`` (trained on ``n_train`` steps after the washout,
    scored on the rest). ``MC = mc[1:].sum()``."""
    return _neurodyn.reservoir_memory_capacity(f64(states, "states"), f64(np.ravel(u), "u"),
                                               washout, n_train, max_delay, float(alpha))


def linear_memory_capacity(W: Any, w_in: Any, max_delay: int) -> Array:
    """The closed form of :func:`memory_capacity` for the linear reservoir
    ``x_t = W x_{t−1} + w_in u_t`` with i.i.d. inputs (spectral radius < 1): sums to ``n``."""
    return _neurodyn.reservoir_linear_memory_capacity(f64(W, "W"), f64(np.ravel(w_in), "w_in"),
                                                      max_delay)
