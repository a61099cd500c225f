"""neurodyn: build, run and dissect models of neural circuits.

numpy in, numpy out, over the Rust engine of the ``neurodyn`` command line:

- runs from specs: :func:`run`, :func:`load_run`, :class:`Run`, :func:`reproduce`, :func:`check`;
  sweeps of many runs, locally or on Dask: :func:`sweep`, :func:`load_sweep`, :mod:`neurodyn.cluster`;
- rate RNNs: :class:`RNN`, :func:`train`, :func:`train_population`, :mod:`neurodyn.tasks`, :class:`FixedPointFinder`, :func:`find_fixed_points_population`,
  :class:`TanhMap`, :func:`lyapunov_spectrum`;
- spiking networks: :class:`Network` (NEST-style), :class:`SimResult`;
- analysis on arrays: :mod:`neurodyn.analysis`; decompositions: :mod:`neurodyn.decomp`;
  reservoir computing: :mod:`neurodyn.reservoir`; feed-forward networks (MLPs with exact
  gradients and Jacobians): :mod:`neurodyn.ffn`.

Sequences are ``(time, trial, channel)``, as PyTorch's sequence-first layout. Bad input raises
:class:`SpecError` (a ``ValueError`` with the offending ``field``).
"""

from . import analysis, cluster, decomp, ffn, io, reservoir, tasks
from ._neurodyn import __version__
from .errors import SpecError
from .network import Network, Population, SimResult
from .rnn import (
    RNN,
    FixedPointFinder,
    FixedPoints,
    LyapunovResult,
    PopulationResult,
    TanhMap,
    TrainResult,
    find_fixed_points_population,
    lyapunov_spectrum,
    train,
    train_population,
)
from .runs import Run, check, load_run, reproduce, run
from .sweeps import Sweep, load_sweep, sweep

__all__ = [
    "RNN",
    "FixedPointFinder",
    "FixedPoints",
    "LyapunovResult",
    "Network",
    "Population",
    "PopulationResult",
    "SimResult",
    "Run",
    "SpecError",
    "Sweep",
    "TanhMap",
    "TrainResult",
    "__version__",
    "analysis",
    "check",
    "cluster",
    "decomp",
    "ffn",
    "find_fixed_points_population",
    "io",
    "load_run",
    "load_sweep",
    "lyapunov_spectrum",
    "reproduce",
    "reservoir",
    "run",
    "sweep",
    "tasks",
    "train",
    "train_population",
]
