# Stubs of the extension module (crates/neurodyn-py); checked by python/tests/test_stubs.py
# with mypy.stubtest. The documented API is the pure-Python package around it.
from typing import Any, Callable, final


import numpy as np
import numpy.typing as npt

_A = npt.NDArray[np.float64]

__all__ = [
    "EsnCore",
    "FfnCore",
    "RnnCore",
    "SimCore",
    "TanhCore",
    "__version__",
    "cca",
    "check_spec",
    "cka",
    "cnmf_fit",
    "cp_als",
    "decode_trials",
    "fano_factor",
    "finish_sweep",
    "fixed_points",
    "fixed_points_population",
    "isi_cv",
    "levina_bickel",
    "lyapunov",
    "mackey_glass",
    "narma",
    "nmf_fit",
    "participation_ratio",
    "pca",
    "population_vector",
    "procrustes",
    "reliability",
    "reproduce",
    "reservoir_linear_memory_capacity",
    "reservoir_memory_capacity",
    "ridge_fit",
    "run_spec",
    "sample_states",
    "spike_correlation",
    "svcca",
    "sweep_points",
    "task_sample",
    "toml_from_json",
    "train_population",
    "two_nn",
    "van_rossum",
    "victor_purpura",
    "write_report",
]

__version__: str

# runs
def run_spec(
    text: str,
    file: str,
    base: str,
    out: str,
    overrides_json: str | None = None,
    threads: int | None = None,
    command: list[str] = ...,
    dir_name: str | None = None,
) -> str: ...
def check_spec(text: str, file: str, base: str, overrides_json: str | None = None) -> tuple[str, str]: ...
def reproduce(
    paths: list[str], quick: bool, out: str, threads: int | None = None, seed: int | None = None
) -> tuple[str, list[tuple[str, str | None, str | None, float]]]: ...
def toml_from_json(json: str) -> str: ...
def write_report(path: str) -> None: ...
def finish_sweep(path: str) -> str | None: ...
def sweep_points(
    text: str, file: str, base: str
) -> tuple[str, str, str, str, list[tuple[str, str, str, str]]]: ...

# analysis
def pca(x: _A, n_components: int | None = None) -> tuple[_A, _A, _A, _A]: ...
def participation_ratio(x: _A) -> float: ...
def two_nn(x: _A, discard_fraction: float = 0.1, threads: int | None = None) -> float: ...
def levina_bickel(x: _A, k: int = 10, threads: int | None = None) -> float: ...
def cca(x: _A, y: _A) -> _A: ...
def svcca(x: _A, y: _A, variance_kept: float = 0.99) -> float: ...
def cka(x: _A, y: _A, kernel: str = "linear", sigma_factor: float = 0.5) -> float: ...
def procrustes(x: _A, y: _A) -> tuple[float, float]: ...
def isi_cv(spikes: _A) -> float: ...
def fano_factor(trials: list[_A], start: float, end: float) -> float: ...
def spike_correlation(trains_: list[_A], duration: float, bin: float) -> float: ...
def van_rossum(a: _A, b: _A, tau: float) -> float: ...
def victor_purpura(a: _A, b: _A, q: float) -> float: ...
def reliability(trials: list[_A], duration: float, sigma: float, dt: float | None = None) -> float: ...
def population_vector(weights: _A, preferred: _A, period: float) -> tuple[float, float] | None: ...
def decode_trials(trials: list[list[_A]], labels: list[int], tau: float | None = None) -> float: ...

# decompositions
def cp_als(
    x: _A,
    rank: int,
    mask: _A | None = None,
    max_iters: int = 100,
    tol: float = 1e-8,
    seed: int = 0,
    init: list[_A] | None = None,
    non_negative: bool = False,
    threads: int | None = None,
) -> tuple[_A, list[_A], _A, bool]: ...
def nmf_fit(
    x: _A,
    rank: int,
    mask: _A | None = None,
    algorithm: str = "hals",
    max_iters: int = 200,
    tol: float = 1e-6,
    seed: int = 0,
    threads: int | None = None,
) -> tuple[_A, _A, _A, bool]: ...
def cnmf_fit(
    x: _A,
    rank: int,
    lag: int,
    mask: _A | None = None,
    algorithm: str = "hals",
    penalty: float = 0.0,
    max_iters: int = 200,
    tol: float = 1e-6,
    seed: int = 0,
    threads: int | None = None,
) -> tuple[_A, _A, _A, bool]: ...

# RNNs and dynamical systems
@final
class RnnCore:
    def __new__(
        cls,
        cell: str,
        n_input: int,
        n_hidden: int,
        n_output: int,
        alpha: float,
        activation: str,
        init_gain: float,
        e_fraction: float | None,
        connection_prob: float,
        seed: int,
    ) -> RnnCore: ...
    def params(self) -> _A: ...
    def set_params(self, params: _A) -> None: ...
    def layout(self) -> list[tuple[str, int, int]]: ...
    def dims(self) -> tuple[str, int, int, int, int]: ...
    def forward(self, inputs: _A, h0: _A | None = None) -> tuple[_A, _A]: ...
    def jacobian(self, h: _A, x: _A) -> _A: ...
    def train(
        self,
        task: tuple[str, str] | None,
        inputs: _A | None,
        targets: _A | None,
        mask: _A | None,
        steps: int,
        batch: int,
        lr: float,
        optimizer: str,
        clip: float,
        seed: int,
        noise_std: float,
        threads: int | None,
        callback: Callable[[int, float], Any] | None,
        batch_chunks: int = 1,
        noise_streams: str = "per_step",
    ) -> tuple[_A, str]: ...

@final
class TanhCore:
    def __new__(cls, w: _A, gain: float, bias: _A | None = None) -> TanhCore: ...
    def jacobian(self, h: _A, x: _A) -> _A: ...

@final
class FfnCore:
    def __new__(
        cls,
        widths: list[int],
        activation: str = "tanh",
        init: str = "gaussian",
        sigma_w: float = 1.0,
        sigma_b: float = 0.0,
        bias: bool = True,
        rank: int = 1,
        noise: float = 0.0,
        seed: int = 0,
    ) -> FfnCore: ...
    @property
    def params(self) -> _A: ...
    @params.setter
    def params(self, params: _A) -> None: ...
    @property
    def widths(self) -> list[int]: ...
    def weight(self, layer: int) -> _A: ...
    def forward(self, x: _A) -> list[_A]: ...
    def loss_and_gradient(self, x: _A, y: _A, loss: str = "mse") -> tuple[float, _A]: ...
    def jacobian(self, x: _A) -> _A: ...
    def fit(
        self,
        x: _A,
        y: _A,
        loss: str = "mse",
        optimizer: str = "adam",
        learning_rate: float = 1e-3,
        steps: int = 100,
        batch: int | None = None,
        momentum: float = 0.0,
        seed: int = 0,
    ) -> _A: ...

@final
class EsnCore:
    def __new__(
        cls,
        n: int,
        spectral_radius: float,
        input_scaling: float = 1.0,
        bias_scaling: float = 0.0,
        leak: float = 1.0,
        activation: str = "tanh",
        topology: str = "gaussian",
        n_input: int = 1,
        seed: int = 0,
        connectivity: float = 1.0,
    ) -> EsnCore: ...
    @staticmethod
    def from_weights(w: _A, w_in: _A, bias: _A, leak: float = 1.0, activation: str = "tanh") -> EsnCore: ...
    @staticmethod
    def from_csr(
        indptr: list[int], indices: list[int], values: _A, w_in: _A, bias: _A, leak: float = 1.0,
        activation: str = "tanh",
    ) -> EsnCore: ...
    def run(self, inputs: _A) -> _A: ...
    def force(
        self, target: _A, feedback: _A, inputs: _A | None = None, alpha: float = 1.0,
        train_steps: int | None = None, every: int = 1, initial: _A | None = None,
    ) -> tuple[_A, _A, _A]: ...
    @property
    def w(self) -> _A: ...
    @property
    def w_in(self) -> _A: ...
    @property
    def bias(self) -> _A: ...

def ridge_fit(x: _A, y: _A, alpha: float) -> _A: ...
def reservoir_memory_capacity(
    states: _A, u: _A, washout: int, n_train: int, max_delay: int, alpha: float
) -> _A: ...
def reservoir_linear_memory_capacity(w: _A, w_in: _A, max_delay: int) -> _A: ...
def mackey_glass(
    steps: int, tau: float, a: float, b: float, n: float, x0: float, dt: float, substeps: int
) -> _A: ...
def narma(steps: int, order: int, seed: int) -> tuple[_A, _A]: ...
def task_sample(name: str, params_json: str, batch: int, seed: int) -> tuple[_A, _A, _A]: ...
def train_population(
    rnns: list[RnnCore],
    task: tuple[str, str] | None,
    inputs: _A | None,
    targets: _A | None,
    mask: _A | None,
    steps: int,
    batch: int,
    lrs: list[float],
    optimizer: str,
    clip: float,
    seeds: list[int],
    noise_std: float,
    threads: int | None,
    noise_streams: str = "per_step",
) -> tuple[_A, list[str]]: ...
def sample_states(states: _A, n: int, noise_std: float, seed: int) -> _A: ...
def fixed_points(
    system: RnnCore | TanhCore,
    initial: _A,
    input: _A,
    q_threshold: float,
    max_iters: int,
    dedup_tol: float,
    polish: bool,
    lr: float,
    q_stop: float,
    q_candidate: float,
    threads: int | None = None,
) -> dict[str, Any]: ...
def fixed_points_population(
    systems: list[RnnCore | TanhCore],
    initial: _A,
    input: _A,
    q_threshold: float,
    max_iters: int,
    dedup_tol: float,
    polish: bool,
    lr: float,
    q_stop: float,
    q_candidate: float,
    threads: int | None = None,
) -> list[dict[str, Any]]: ...
def lyapunov(
    system: RnnCore | TanhCore,
    h0: _A,
    inputs: _A,
    n_exponents: int,
    steps: int,
    transient: int,
    qr_every: int,
    n_segments: int,
    threads: int | None = None,
) -> tuple[_A, _A, float, float]: ...

# spiking networks
@final
class SimCore:
    def __new__(cls, text: str, base: str) -> SimCore: ...
    def spec(self) -> str: ...
    def time(self) -> float: ...
    def simulate(self, duration: float, threads: int | None = None) -> None: ...
    def results(self) -> dict[str, Any]: ...
