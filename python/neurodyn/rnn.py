"""Rate RNNs (vanilla/CTRNN, GRU, LSTM) with PyTorch's parameter names, training on tasks or
your own arrays, fixed points, and Lyapunov spectra."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import numpy.typing as npt

from . import _neurodyn
from ._arrays import f64
from .errors import SpecError
from .tasks import Task

Array = npt.NDArray[np.float64]

_GATES = {"vanilla": 1, "gru": 3, "lstm": 4}


class RNN:
    """A rate RNN with a linear readout ``y = W_out h + b_out``, in float64.

    Vanilla: ``h ← (1−α) h + α φ(W_hh h + W_ih x + b)``, ``α = dt/tau`` (α = 1 is
    ``torch.nn.RNN``). GRU and LSTM follow ``torch.nn.GRU`` / ``torch.nn.LSTM`` exactly (GRU
    reset gate applied after ``W_hn h + b_hn``; LSTM gate order i, f, g, o; LSTM state
    ``(h, c)`` stacked as ``2 · n_hidden`` columns).

    Parameters
    ----------
    n_input, n_hidden, n_output : int
    cell : {"vanilla", "gru", "lstm"}
    activation : {"tanh", "relu", "softplus"}
        Vanilla cell only.
    dt, tau : float
        Leak ``α = dt / tau`` of the vanilla cell, in (0, 1].
    dale : float or bool, optional
        Dale's law (Song et al. 2016): the excitatory fraction (True = 0.8).
    init_gain : float
        Initial recurrent gain g, ``W ~ N(0, g²/n)`` (vanilla).
    connection_prob : float
        Density of the fixed random recurrent mask.
    seed : int
    """

    def __init__(self, n_input: int, n_hidden: int, n_output: int, cell: str = "vanilla",
                 activation: str = "tanh", dt: float = 1.0, tau: float = 1.0,
                 dale: float | bool | None = None, init_gain: float = 0.9,
                 connection_prob: float = 1.0, seed: int = 0) -> None:
        if tau <= 0:
            raise SpecError(f"tau = {tau}: > 0", "tau")
        e_fraction = 0.8 if dale is True else (None if dale in (None, False) else float(dale))
        self._core = _neurodyn.RnnCore(cell, n_input, n_hidden, n_output, dt / tau, activation,
                                       init_gain, e_fraction, connection_prob, seed)
        self.cell, self.n_input, self.n_hidden, self.n_output, self.state_size = self._core.dims()

    def __repr__(self) -> str:
        return f"RNN({self.n_input}, {self.n_hidden}, {self.n_output}, cell={self.cell!r})"

    # -- parameters --------------------------------------------------------------------------
    def _blocks(self) -> dict[str, Array]:
        p = self._core.params()
        return {name: p[a:b] for name, a, b in self._core.layout()}

    def state_dict(self) -> dict[str, Array]:
        """Parameters under PyTorch's names and layouts: ``weight_ih_l0`` (G·N, I),
        ``weight_hh_l0`` (G·N, N), ``bias_ih_l0``, ``bias_hh_l0`` (G·N) as in ``nn.RNN`` /
        ``nn.GRU`` / ``nn.LSTM``, and the readout ``readout.weight`` (O, N), ``readout.bias``
        (as an ``nn.Linear``). Vanilla and LSTM have one bias here: ``bias_hh_l0`` is zero.
        With Dale's law or a mask these are the raw parameters."""
        b = self._blocks()
        g = _GATES[self.cell] * self.n_hidden
        return {
            "weight_ih_l0": b["w_x"].reshape(g, self.n_input).copy(),
            "weight_hh_l0": b["w_h"].reshape(g, self.n_hidden).copy(),
            "bias_ih_l0": b["b_x"].copy(),
            "bias_hh_l0": b["b_h"].copy() if b["b_h"].size else np.zeros(g),
            "readout.weight": b["w_out"].reshape(self.n_output, self.n_hidden).copy(),
            "readout.bias": b["b_out"].copy(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Load parameters named as in :meth:`state_dict` (torch tensors or arrays)."""
        g = _GATES[self.cell] * self.n_hidden
        shapes = {
            "weight_ih_l0": (g, self.n_input), "weight_hh_l0": (g, self.n_hidden),
            "bias_ih_l0": (g,), "bias_hh_l0": (g,),
            "readout.weight": (self.n_output, self.n_hidden), "readout.bias": (self.n_output,),
        }
        got = {}
        for name, shape in shapes.items():
            if name not in state:
                raise SpecError(f"state_dict: missing {name!r}", name)
            v = state[name]
            v = v.detach().cpu().double().numpy() if hasattr(v, "detach") else v
            v = f64(v, name)
            if v.shape != shape:
                raise SpecError(f"{name} has shape {v.shape}, expected {shape}", name)
            got[name] = v
        blocks = {
            "w_h": got["weight_hh_l0"], "w_x": got["weight_ih_l0"],
            "b_x": got["bias_ih_l0"] + (0 if self.cell == "gru" else got["bias_hh_l0"]),
            "b_h": got["bias_hh_l0"] if self.cell == "gru" else np.zeros(0),
            "w_out": got["readout.weight"], "b_out": got["readout.bias"],
        }
        p = self._core.params()
        for name, a, b in self._core.layout():
            p[a:b] = blocks[name].ravel()
        self._core.set_params(p)

    @classmethod
    def from_torch(cls, module: Any, readout: Any = None) -> "RNN":
        """An RNN from a one-layer, unidirectional ``torch.nn.RNN``/``GRU``/``LSTM`` (and an
        optional ``torch.nn.Linear`` readout; zeros otherwise, with as many outputs as hidden
        units). torch is imported only by the caller."""
        kind = type(module).__name__
        cell = {"RNN": "vanilla", "GRU": "gru", "LSTM": "lstm"}.get(kind)
        if cell is None:
            raise SpecError(f"from_torch: an nn.RNN, nn.GRU or nn.LSTM, not {kind}", "module")
        if module.num_layers != 1 or module.bidirectional or getattr(module, "proj_size", 0):
            raise SpecError("from_torch: one layer, unidirectional, no projection", "module")
        if module.batch_first:
            raise SpecError("from_torch: batch_first=False modules (sequence-first, as neurodyn)", "module")
        sd = {k: v for k, v in module.state_dict().items()}
        if not module.bias:
            g = _GATES[cell] * module.hidden_size
            sd["bias_ih_l0"] = np.zeros(g)
            sd["bias_hh_l0"] = np.zeros(g)
        n_out = readout.out_features if readout is not None else module.hidden_size
        activation = getattr(module, "nonlinearity", "tanh")
        net = cls(module.input_size, module.hidden_size, n_out, cell=cell, activation=activation)
        if readout is not None:
            sd["readout.weight"] = readout.weight
            sd["readout.bias"] = readout.bias if readout.bias is not None else np.zeros(n_out)
        else:
            sd["readout.weight"] = np.zeros((n_out, module.hidden_size))
            sd["readout.bias"] = np.zeros(n_out)
        net.load_state_dict(sd)
        return net

    # -- dynamics ----------------------------------------------------------------------------
    def __call__(self, inputs: Any, h0: Any = None) -> tuple[Array, Array]:
        """Run ``inputs`` ``(time, trial, n_input)`` from ``h0`` ``(trial, state_size)``
        (zeros by default). Returns ``(outputs (time, trial, n_output), states (time, trial,
        state_size))``, the state after each step."""
        x = f64(inputs, "inputs")
        if x.ndim == 2:
            x = x[:, None, :]
        return self._core.forward(x, None if h0 is None else f64(h0, "h0"))

    def jacobian(self, h: Any, x: Any = None) -> Array:
        """``∂F/∂h`` at state ``h`` and input ``x`` (zeros by default): ``(state, state)``."""
        x = np.zeros(self.n_input) if x is None else x
        return self._core.jacobian(f64(h, "h").ravel(), f64(x, "x").ravel())


class TanhMap:
    """The map ``h ← tanh(g W h + b)``: random networks (Sompolinsky et al. 1988) or
    Hopfield networks from your own weights. A system for :class:`FixedPointFinder` and
    :func:`lyapunov_spectrum`."""

    def __init__(self, w: Any, g: float = 1.0, bias: Any = None) -> None:
        self.w = f64(w, "W")
        self.g = float(g)
        self.bias = np.zeros(self.w.shape[0]) if bias is None else f64(bias, "bias")
        self._core = _neurodyn.TanhCore(self.w, self.g, None if bias is None else self.bias)
        self.state_size, self.n_input = self.w.shape[0], 0

    def __call__(self, h: Any) -> Array:
        """One step from ``h``."""
        return np.tanh(self.g * (self.w @ f64(h, "h")) + self.bias)

    def jacobian(self, h: Any, x: Any = None) -> Array:
        """``diag(1 − tanh²) g W`` at ``h``."""
        return self._core.jacobian(f64(h, "h").ravel(), np.zeros(0))


class TrainResult(NamedTuple):
    """What :func:`train` did."""

    losses: Array
    """Masked MSE of every step."""
    stopped: str
    """``max_steps``, ``callback`` (a callback returned False) or ``diverged``."""


def train(rnn: RNN, data: Task | Sequence[Any], steps: int = 1000, batch: int = 64,
          lr: float = 1e-2, optimizer: str = "adam", clip: float = 1.0, seed: int = 0,
          noise_std: float = 0.0, threads: int | None = 1,
          callback: Callable[[int, float], Any] | None = None, batch_chunks: int = 1,
          noise_streams: str = "per_step") -> TrainResult:
    """Train ``rnn`` in place by BPTT (analytic gradients, float32 as the CLI).

    Parameters
    ----------
    data : Task or (inputs, targets, mask)
        One of :mod:`neurodyn.tasks`, or your own arrays ``(time, trials, channels)``
        (``mask`` may be None: every output scored); each step draws ``batch`` trials from
        them with replacement.
    steps, batch, lr : training length, batch size, learning rate.
    optimizer : {"adam", "sgd"}
    clip : float
        Gradient-norm clipping (0 = off).
    noise_std : float
        Noise added to the hidden state each step during training.
    callback : callable(step, loss), optional
        Called after every step; returning False stops training.
    batch_chunks : int
        Split each batch into this many fixed chunks whose gradients are computed in parallel
        on ``threads`` and summed in order: the result depends on ``batch_chunks``, never on
        ``threads`` (1 = the whole batch in one pass).
    noise_streams : {"per_step", "per_trial"}
        How the noise is drawn: one stream per step (default, serial) or one per trial
        (drawn in parallel; another realisation).

    Ctrl-C stops training at the next step (the weights so far are kept) and raises
    ``KeyboardInterrupt``.
    """
    if isinstance(data, Task):
        losses, stopped = rnn._core.train(data._spec(), None, None, None, steps, batch, lr,
                                          optimizer, clip, seed, noise_std, threads, callback,
                                          batch_chunks, noise_streams)
    else:
        try:
            inputs, targets, mask = data
        except (TypeError, ValueError):
            raise SpecError("data: a Task or (inputs, targets, mask)", "data") from None
        losses, stopped = rnn._core.train(
            None, f64(inputs, "inputs"), f64(targets, "targets"),
            None if mask is None else f64(mask, "mask"), steps, batch, lr, optimizer, clip, seed,
            noise_std, threads, callback, batch_chunks, noise_streams)
    return TrainResult(losses, stopped)


class PopulationResult(NamedTuple):
    """What :func:`train_population` did."""

    losses: Array
    """``(K, steps)``: each network's loss per step (NaN after it stopped)."""
    stopped: list[str]
    """Each network's reason: ``max_steps``, ``target_loss``, ``diverged``."""


def train_population(rnns: Sequence[RNN], data: Task | Sequence[Any], steps: int = 1000,
                     batch: int = 64, lr: float | Sequence[float] = 1e-2, optimizer: str = "adam",
                     clip: float = 1.0, seeds: Sequence[int] | None = None, noise_std: float = 0.0,
                     threads: int | None = None,
                     noise_streams: str = "per_step") -> PopulationResult:
    """Train many networks of one shape in one call, in place: the population studies'
    loop (different seeds, or different learning rates), without a Python loop or ``vmap``.

    Networks train in parallel on ``threads`` (default: all cores); network ``k`` ends with
    exactly the weights ``train(rnns[k], data, ..., lr=lr[k], seed=seeds[k])`` gives it alone,
    bit for bit, whatever the thread count.

    Parameters
    ----------
    rnns : sequence of RNN
        Networks of one cell type and size (e.g. built with different seeds).
    data : Task or (inputs, targets, mask), as for :func:`train`.
    lr : float or one per network.
    seeds : one per network (default ``0, 1, …``): the batch and noise streams.

    Ctrl-C stops training at the next round (the weights so far are kept) and raises
    ``KeyboardInterrupt``.
    """
    rnns = list(rnns)
    if not rnns or not all(isinstance(r, RNN) for r in rnns):
        raise SpecError("rnns: a non-empty sequence of RNN", "rnns")
    k = len(rnns)
    lrs = [float(lr)] * k if isinstance(lr, (int, float)) else [float(v) for v in lr]
    seed_list = list(range(k)) if seeds is None else [int(s) for s in seeds]
    cores = [r._core for r in rnns]
    if isinstance(data, Task):
        losses, stopped = _neurodyn.train_population(cores, data._spec(), None, None, None, steps,
                                                     batch, lrs, optimizer, clip, seed_list,
                                                     noise_std, threads, noise_streams)
    else:
        try:
            inputs, targets, mask = data
        except (TypeError, ValueError):
            raise SpecError("data: a Task or (inputs, targets, mask)", "data") from None
        losses, stopped = _neurodyn.train_population(
            cores, None, f64(inputs, "inputs"), f64(targets, "targets"),
            None if mask is None else f64(mask, "mask"), steps, batch, lrs, optimizer, clip,
            seed_list, noise_std, threads, noise_streams)
    return PopulationResult(losses, list(stopped))


class FixedPoints(NamedTuple):
    """Fixed (or slow) points, in the fields of Golub & Sussillo's fixed-point-finder."""

    xstar: Array
    """States ``(n, state)``: stable first, then by number of unstable modes and q."""
    qstar: Array
    """Speeds ``q = ½‖F(x*) − x*‖²``."""
    J_xstar: Array
    """Jacobians ``(n, state, state)``."""
    eigvals: npt.NDArray[np.complex128]
    """Jacobian eigenvalues ``(n, state)``, complex, by decreasing modulus."""
    is_stable: npt.NDArray[np.bool_]
    """Whether every eigenvalue lies inside the unit circle."""
    n_unstable: npt.NDArray[np.int64]
    """Number of eigenvalues outside the unit circle."""
    search_q: Array
    """Final q of every initial state after the search (diagnostic)."""

    def __len__(self) -> int:  # type: ignore[override]
        return int(self.xstar.shape[0])


class FixedPointFinder:
    """Fixed and slow points by minimising ``q(h) = ½‖F(h, x*) − h‖²`` from many starts (Adam,
    then Levenberg–Marquardt polish), de-duplicated and classified by the Jacobian.

    Parameters
    ----------
    system : RNN or TanhMap
    q_threshold : float
        Points with a final q above this are dropped.
    max_iters : int
        Adam iterations per start.
    dedup_tol : float
        Points closer than this are one.
    polish : bool
        Levenberg–Marquardt polish (False keeps slow points of approximate attractors).
    lr, q_stop, q_candidate : search settings.
    """

    def __init__(self, system: RNN | TanhMap, q_threshold: float = 1e-8, max_iters: int = 5000,
                 dedup_tol: float = 1e-3, polish: bool = True, lr: float = 1e-2,
                 q_stop: float = 1e-12, q_candidate: float = 1e-4, threads: int | None = None) -> None:
        self.system, self.q_threshold, self.max_iters = system, q_threshold, max_iters
        self.dedup_tol, self.polish, self.lr = dedup_tol, polish, lr
        self.q_stop, self.q_candidate, self.threads = q_stop, q_candidate, threads

    def sample_states(self, states: Any, n: int, noise_std: float = 0.0, seed: int = 0) -> Array:
        """``n`` rows of ``states`` (any shape ending in ``state``, e.g. the ``(time, trial,
        state)`` of a forward run) chosen at random, plus Gaussian noise."""
        return _neurodyn.sample_states(f64(states, "states"), n, noise_std, seed)

    def find_fixed_points(self, initial_states: Any, inputs: Any = None) -> FixedPoints:
        """Search from ``initial_states`` ``(n, state)`` under the constant input ``inputs``
        (zeros by default)."""
        inputs = np.zeros(self.system.n_input) if inputs is None else inputs
        r = _neurodyn.fixed_points(
            self.system._core, f64(initial_states, "initial_states"), f64(inputs, "inputs").ravel(),
            self.q_threshold, self.max_iters, self.dedup_tol, self.polish, self.lr, self.q_stop,
            self.q_candidate, self.threads)
        return _fixed_points(r)


def _fixed_points(r: dict[str, Any]) -> FixedPoints:
    n_unstable = np.asarray(r["n_unstable"], dtype=np.int64)
    return FixedPoints(r["xstar"], r["qstar"], r["J_xstar"], r["eig_re"] + 1j * r["eig_im"],
                       n_unstable == 0, n_unstable, r["search_q"])


def find_fixed_points_population(systems: Sequence[RNN | TanhMap], initial_states: Any,
                                 inputs: Any = None, *, q_threshold: float = 1e-8,
                                 max_iters: int = 5000, dedup_tol: float = 1e-3,
                                 polish: bool = True, lr: float = 1e-2, q_stop: float = 1e-12,
                                 q_candidate: float = 1e-4,
                                 threads: int | None = None) -> list[FixedPoints]:
    """Fixed points of many networks of one shape in one call (e.g. a population from
    :func:`train_population`): the searches of all networks share the thread pool, and
    network ``k``'s result is exactly ``FixedPointFinder(systems[k], ...).find_fixed_points``.

    Parameters
    ----------
    systems : sequence of RNN or TanhMap, one state size and input size.
    initial_states : array_like
        ``(K, n, state)``: starts per network, or ``(n, state)``: the same starts for all.
    inputs : array_like, optional
        ``(n_input,)`` for all or ``(K, n_input)``, one constant input per network; zeros by
        default.
    The settings are :class:`FixedPointFinder`'s.
    """
    systems = list(systems)
    if not systems or not all(isinstance(s, (RNN, TanhMap)) for s in systems):
        raise SpecError("systems: a non-empty sequence of RNN or TanhMap", "systems")
    inputs = np.zeros(systems[0].n_input) if inputs is None else inputs
    found = _neurodyn.fixed_points_population(
        [s._core for s in systems], f64(initial_states, "initial_states"), f64(inputs, "inputs"),
        q_threshold, max_iters, dedup_tol, polish, lr, q_stop, q_candidate, threads)
    return [_fixed_points(r) for r in found]


class LyapunovResult(NamedTuple):
    """A Lyapunov spectrum by the QR method."""

    exponents: Array
    """Leading exponents, descending [1/step]."""
    std_error: Array
    """Standard errors across segments [1/step]."""
    entropy_rate: float
    """Sum of the positive exponents."""
    kaplan_yorke: float
    """Kaplan–Yorke dimension."""


def lyapunov_spectrum(system: RNN | TanhMap, inputs: Any = None, n_exponents: int = 1,
                      steps: int = 10000, transient: int = 1000, h0: Any = None, seed: int = 0,
                      qr_every: int = 1, n_segments: int = 10,
                      threads: int | None = None) -> LyapunovResult:
    """Leading Lyapunov exponents of ``system`` (analytic Jacobians, QR every ``qr_every``
    steps).

    Parameters
    ----------
    inputs : array_like, optional
        One input held constant ``(n_input,)`` or one per step ``(transient + steps,
        n_input)``; zeros by default.
    h0 : array_like, optional
        Initial state; by default drawn ``N(0, 1)`` with ``seed``.
    """
    n = system.state_size
    h0 = np.random.default_rng(seed).standard_normal(n) if h0 is None else f64(h0, "h0").ravel()
    inputs = np.zeros(system.n_input) if inputs is None else f64(inputs, "inputs").ravel()
    ex, se, ent, ky = _neurodyn.lyapunov(system._core, f64(h0, "h0"), f64(inputs, "inputs"),
                                         n_exponents, steps, transient, qr_every, n_segments, threads)
    return LyapunovResult(ex, se, float(ent), float(ky))
