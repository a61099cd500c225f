"""Spiking networks built from Python, NEST-style, simulated by the same engine as the
``spiking`` run kind (a Network is a spiking spec; :meth:`Network.spec` shows it).

Units are NEST's, as plain floats: ms, mV, pA, pF, nS, Hz. A network is built on the first
:meth:`Network.simulate`; later calls continue it (structure is then frozen).
"""

from __future__ import annotations

import json
import os
from typing import Any, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from . import _neurodyn
from .errors import SpecError

Array = npt.NDArray[Any]

_SOURCES = {"poisson_generator", "spike_generator"}


class Population:
    """A population in a :class:`Network` (pass it to ``connect``, ``add_input``, ``record``)."""

    def __init__(self, name: str, n: int, model: str) -> None:
        self.name, self.n, self.model = name, n, model

    def __len__(self) -> int:
        return self.n

    def __repr__(self) -> str:
        return f"Population({self.name!r}, n={self.n}, model={self.model!r})"


def _name(x: Population | str) -> str:
    return x.name if isinstance(x, Population) else str(x)


def _distribution(value: Any, field: str) -> Any:
    """A number, neurodyn's ``{"uniform": [lo, hi]}`` / ``{"normal": {...}}``, or NEST's
    ``{"distribution": "uniform", "low": .., "high": ..}`` / ``"normal", "mu", "sigma"``."""
    if isinstance(value, Mapping) and "distribution" in value:
        kind = value["distribution"]
        if kind == "uniform":
            return {"uniform": [float(value["low"]), float(value["high"])]}
        if kind == "normal":
            return {"normal": {"mean": float(value.get("mu", value.get("mean", 0.0))),
                               "std": float(value.get("sigma", value.get("std", 1.0)))}}
        raise SpecError(f"{field}: distribution {kind!r} is not supported (uniform, normal)", field)
    if isinstance(value, Mapping):
        return dict(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise SpecError(f"{field} = {value!r}: a number or a distribution", field) from None


def _largest(value: Any) -> float:
    if isinstance(value, Mapping):
        if "uniform" in value:
            return float(max(value["uniform"]))
        if "normal" in value:
            return float(value["normal"]["mean"] + 6 * value["normal"]["std"])
    return float(value)


_RULES = {
    "pairwise_bernoulli": ("fixed_probability", {"p": "p"}),
    "fixed_probability": ("fixed_probability", {"p": "p"}),
    "fixed_indegree": ("fixed_indegree", {"indegree": "k", "k": "k"}),
    "fixed_outdegree": ("fixed_outdegree", {"outdegree": "k", "k": "k"}),
    "all_to_all": ("all_to_all", {}),
    "one_to_one": ("one_to_one", {}),
    "ring": ("ring", {"p_max": "p_max", "sigma": "sigma"}),
}


class Network:
    """A spiking network (NEST's ``Create``/``Connect``/``Simulate`` in one object).

    Parameters
    ----------
    dt : float
        Time step [ms].
    seed : int
        Seed of connectivity, initial values and noise (results do not depend on threads).
    max_delay : float, optional
        Largest synaptic delay [ms] (default: from the connections).
    name : str
    """

    def __init__(self, dt: float = 0.1, seed: int = 0, max_delay: float | None = None,
                 name: str = "network") -> None:
        self.dt, self.seed, self.max_delay, self.name = dt, seed, max_delay, name
        self._populations: dict[str, Any] = {}
        self._projections: dict[str, Any] = {}
        self._inputs: dict[str, Any] = {}
        self._record: dict[str, Any] = {}
        self._core: Any = None

    def _check_open(self) -> None:
        if self._core is not None:
            raise SpecError("the network has been simulated; its structure is frozen", "network")

    def create(self, model: str, n: int, params: Mapping[str, Any] | None = None,
               preset: str | None = None, init: Mapping[str, Any] | None = None,
               name: str | None = None) -> Population:
        """Add ``n`` neurons of ``model`` (``lif_psc_exp``, ``lif_psc_delta``,
        ``lif_cond_exp``, ``theta``, ``izhikevich``, ``lif_escape``) or spike sources
        (``poisson_generator`` with ``params={"rate": Hz}``; ``spike_generator`` with
        ``params={"spike_times": [[...], ...]}`` one list per neuron).

        Parameters are by NEST name (``C_m``, ``tau_m``, ``V_th``, …, as neurodyn's model
        pages); ``preset`` names a cited parameter set; ``init`` maps state variables to a
        value or distribution (e.g. ``{"v_m": {"uniform": [-60, -50]}}``).
        """
        self._check_open()
        name = name or f"{model}_{len(self._populations)}"
        if name in self._populations:
            raise SpecError(f"population {name!r} exists", "name")
        table: dict[str, Any] = {"n": int(n)}
        rest: dict[str, Any] = dict(params or {})
        if model == "poisson_generator":
            table["source"] = {"poisson": {"rate": float(rest.pop("rate", 0.0))}}
        elif model == "spike_generator":
            times: Any = rest.pop("spike_times", [[] for _ in range(n)])
            table["source"] = {"spike_times": {"times": [[float(x) for x in t] for t in times]}}
        else:
            neuron: dict[str, Any] = {"model": model}
            if preset is not None:
                neuron["preset"] = preset
            neuron.update({k: float(v) for k, v in rest.items()})
            rest = {}
            table["neuron"] = neuron
        if rest:
            raise SpecError(f"{model}: unknown parameters {sorted(rest)}", "params")
        if init:
            table["init"] = {k: _distribution(v, f"init.{k}") for k, v in init.items()}
        self._populations[name] = table
        return Population(name, int(n), model)

    def connect(self, pre: Population | str, post: Population | str,
                rule: str | Mapping[str, Any] | tuple[Any, Any] = "all_to_all",
                weight: Any = 1.0, delay: Any = 0.0, receptor: str | None = None,
                autapses: bool = False, multapses: bool = False,
                plasticity: Mapping[str, Any] | None = None, name: str | None = None) -> str:
        """Connect ``pre`` to ``post``; returns the projection's name.

        ``rule`` is NEST's: ``"all_to_all"``, ``"one_to_one"``, or a dict such as
        ``{"rule": "pairwise_bernoulli", "p": 0.02}``, ``{"rule": "fixed_indegree",
        "indegree": 100}``, ``{"rule": "fixed_outdegree", "outdegree": 10}``; or explicit
        ``(pre_indices, post_indices)`` arrays (then ``weight`` and ``delay`` may be arrays
        of one value per pair). ``weight`` [pA for current synapses, nS for conductance;
        negative = inhibitory] and ``delay`` [ms; 0 = next step, NEST's minimum is ``dt``]
        are numbers or distributions. ``plasticity`` is e.g. ``{"stdp": {"a_plus": 0.01,
        ...}}``.
        """
        self._check_open()
        pre_name, post_name = _name(pre), _name(post)
        name = name or f"{pre_name}_to_{post_name}_{len(self._projections)}"
        table: dict[str, Any] = {"pre": pre_name, "post": post_name, "autapses": autapses,
                                 "multapses": multapses}
        if isinstance(rule, tuple):
            pre_idx, post_idx = (np.asarray(r, dtype=np.int64).ravel() for r in rule)
            if pre_idx.shape != post_idx.shape:
                raise SpecError("rule: pre and post index arrays differ in length", "rule")
            edges: dict[str, Any] = {"pre": pre_idx.tolist(), "post": post_idx.tolist()}
            if np.ndim(weight) > 0:
                edges["weight"] = np.asarray(weight, dtype=float).ravel().tolist()
                weight = 0.0
            if np.ndim(delay) > 0:
                edges["delay"] = np.asarray(delay, dtype=float).ravel().tolist()
                delay = float(np.max(edges["delay"], initial=0.0))
            table["rule"] = {"list": edges}
        else:
            spec = {"rule": rule} if isinstance(rule, str) else dict(rule)
            kind = spec.pop("rule", None)
            if kind not in _RULES:
                raise SpecError(f"rule {kind!r}: one of {sorted(_RULES)} or (pre, post) arrays", "rule")
            ours, names = _RULES[kind]
            args = {}
            for k, v in spec.items():
                if k not in names:
                    raise SpecError(f"rule {kind!r}: unknown argument {k!r}", f"rule.{k}")
                args[names[k]] = v
            table["rule"] = {ours: args}
        table["weight"] = _distribution(weight, "weight")
        table["delay"] = _distribution(delay, "delay")
        if receptor is not None:
            table["receptor"] = receptor
        if plasticity is not None:
            table["plasticity"] = dict(plasticity)
        self._projections[name] = table
        return name

    def add_input(self, kind: str, target: Population | str, neurons: Sequence[int] | None = None,
                  name: str | None = None, **params: Any) -> str:
        """An external input: ``"poisson"`` (``rate`` [Hz], ``weight``, ``n_sources``),
        ``"current"`` (``amplitude`` [pA]), ``"step"`` (``times``, ``amplitudes``),
        ``"array"`` (``interval``, ``values``), ``"tuned"`` (a ring's drive: ``base``, ``peak``,
        ``concentration``, ``period``, stimulus knots ``times``, ``values``),
        ``"ornstein_uhlenbeck"`` (``mean``, ``std``, ``tau``), ``"spike_triggered"``. Returns its
        name."""
        self._check_open()
        name = name or f"{kind}_{len(self._inputs)}"
        table: dict[str, Any] = {"target": _name(target)}
        if neurons is not None:
            table["neurons"] = [int(i) for i in neurons]
        for k, v in params.items():
            table[k] = np.asarray(v).tolist() if isinstance(v, np.ndarray) else v
        self._inputs[name] = {kind: table}
        return name

    def record(self, what: str = "spikes", population: Population | str | None = None,
               variable: str | None = None, neurons: Sequence[int] | None = None,
               interval: float | None = None, projection: str | None = None,
               n_synapses: int = 100) -> None:
        """Record ``"spikes"`` (of ``population``, default all), ``"state"`` (``variable`` of
        ``neurons`` every ``interval`` ms) or ``"weights"`` (``n_synapses`` of ``projection``
        every ``interval`` ms)."""
        self._check_open()
        if what == "spikes":
            if population is not None:
                self._record.setdefault("spikes", []).append(_name(population))
        elif what == "state":
            if population is None or variable is None:
                raise SpecError("record state: population and variable", "record")
            entry: dict[str, Any] = {"population": _name(population), "variable": variable,
                                     "neurons": [int(i) for i in (neurons or [0])]}
            if interval is not None:
                entry["interval"] = interval
            self._record.setdefault("state", []).append(entry)
        elif what == "weights":
            entry = {"projection": projection, "n_synapses": n_synapses}
            if interval is not None:
                entry["interval"] = interval
            self._record.setdefault("weights", []).append(entry)
        else:
            raise SpecError(f"record {what!r}: spikes, state or weights", "record")

    def spec(self, duration: float = 0.0) -> dict[str, Any]:
        """The spiking spec this network is (``neurodyn run`` runs it as TOML)."""
        delays = [_largest(p["delay"]) for p in self._projections.values()]
        max_delay = self.max_delay if self.max_delay is not None else max(delays + [self.dt])
        spec: dict[str, Any] = {
            "name": self.name, "seed": self.seed,
            "simulation": {"dt": self.dt, "duration": duration, "max_delay": max_delay},
            "populations": self._populations,
        }
        for key, table in (("projections", self._projections), ("inputs", self._inputs),
                           ("record", self._record)):
            if table:
                spec[key] = table
        return spec

    def simulate(self, duration: float, threads: int | None = None) -> "SimResult":
        """Advance ``duration`` ms (the first call builds the network) and return everything
        recorded since the start."""
        if self._core is None:
            if not self._populations:
                raise SpecError("the network has no populations", "populations")
            text = _neurodyn.toml_from_json(json.dumps(self.spec(duration)))
            self._core = _neurodyn.SimCore(text, os.getcwd())
        self._core.simulate(float(duration), threads)
        return SimResult(self._core.results())

    @property
    def time(self) -> float:
        """Simulated time so far [ms]."""
        return 0.0 if self._core is None else float(self._core.time())


class SimResult:
    """What a :class:`Network` recorded.

    Attributes
    ----------
    spikes : dict
        ``spikes[pop] -> (times [ms], senders)``, senders are indices within ``pop``.
    state : dict
        ``state[f"{pop}_{var}"]`` samples ``(time, neuron)``, with ``_times`` and ``_neurons``.
    weights : dict
        Recorded weights per projection (``(time, synapse)``, ``_times``, ``_mean``).
    synapses : dict
        ``synapses[proj] -> (pre, post, weight)``, the current weights.
    duration : float
        Simulated time [ms].
    """

    def __init__(self, raw: dict[str, Any]) -> None:
        s = raw["spikes"]
        self.sizes: dict[str, int] = dict(raw["sizes"])
        self.spikes: dict[str, tuple[Array, Array]] = {
            k[: -len("_times")]: (s[k], s[k[: -len("_times")] + "_senders"])
            for k in s if k.endswith("_times")
        }
        self.counts: Array = s["counts"]
        self.state: dict[str, Array] = dict(raw["state"])
        self.weights: dict[str, Array] = dict(raw["weights"])
        self.synapses: dict[str, tuple[Array, Array, Array]] = dict(raw["synapses"])
        self.duration: float = float(raw["time"])
        self.dt: float = float(raw["dt"])

    def rates(self) -> dict[str, float]:
        """Mean firing rate of each recorded population [Hz]."""
        return {p: len(t) / (self.sizes[p] * self.duration * 1e-3) if self.duration > 0 else float("nan")
                for p, (t, _) in self.spikes.items()}

    def spike_trains(self, population: str) -> list[Array]:
        """One array of spike times [ms] per neuron of ``population``."""
        times, senders = self.spikes[population]
        order = np.argsort(senders, kind="stable")
        bounds = np.searchsorted(senders[order], np.arange(self.sizes[population] + 1))
        return [times[order][a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def to_nwb(self, path: str | os.PathLike[str], session_description: str = "neurodyn simulation",
               identifier: str | None = None) -> None:
        """Write the spikes as an NWB file's units table (one unit per neuron, with columns
        ``population`` and ``neuron``). Needs the extra ``neurodyn[nwb]`` (pynwb)."""
        from .io import write_nwb
        write_nwb(self, path, session_description, identifier)

    def to_neo(self) -> Any:
        """A ``neo.Block`` with one segment holding a SpikeTrain per neuron (annotated with
        population and neuron). Needs the extra ``neurodyn[neo]``."""
        from .io import to_neo
        return to_neo(self)
