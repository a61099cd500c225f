"""Seeded task generators. ``sample`` returns ``(inputs, targets, mask)``, each
``(time, trial, channel)`` (PyTorch's sequence-first layout); ``mask`` is 1 where the output
is scored."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import numpy.typing as npt

from . import _neurodyn

Array = npt.NDArray[np.float64]


class Task:
    """Base of neurodyn's tasks: a name and its parameters."""

    _name = ""
    n_input = 0
    n_output = 0

    def __init__(self, **params: Any) -> None:
        self.params = params

    def _spec(self, n_steps: int | None = None) -> tuple[str, str]:
        params = dict(self.params)
        if n_steps is not None:
            params["n_steps"] = n_steps
        return self._name, json.dumps(params)

    def sample(self, batch: int, steps: int | None = None, seed: int = 0) -> tuple[Array, Array, Array]:
        """``batch`` trials of ``steps`` steps (default: the task's ``n_steps``)."""
        name, params = self._spec(steps)
        return _neurodyn.task_sample(name, params, batch, seed)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


class FlipFlop(Task):
    """The n-bit flip-flop (Sussillo & Barak 2013): occasional ±1 pulses per channel; each
    output holds the sign of its channel's last pulse."""

    _name = "flip_flop"

    def __init__(self, n_bits: int = 3, n_steps: int = 100, p_pulse: float = 0.05) -> None:
        super().__init__(n_bits=n_bits, n_steps=n_steps, p_pulse=p_pulse)
        self.n_input = self.n_output = n_bits


class PulseIntegration(Task):
    """Integrate noisy pulses: the output is ``gain`` times the running sum (a line attractor)."""

    _name = "pulse_integration"
    n_input = n_output = 1

    def __init__(self, n_steps: int = 100, p_pulse: float = 0.1, pulse_amplitude: float = 1.0,
                 noise_std: float = 0.1, gain: float = 0.1) -> None:
        super().__init__(n_steps=n_steps, p_pulse=p_pulse, pulse_amplitude=pulse_amplitude,
                         noise_std=noise_std, gain=gain)


class ContextIntegration(Task):
    """Context-dependent integration (Mante et al. 2013): two noisy streams and a context
    cue; report the sign of the cued stream. Inputs ``[stream 1, stream 2, cue 1, cue 2]``."""

    _name = "context_integration"
    n_input, n_output = 4, 1

    def __init__(self, n_steps: int = 100, response_steps: int = 10, max_coherence: float = 0.2,
                 noise_std: float = 1.0) -> None:
        super().__init__(n_steps=n_steps, response_steps=response_steps,
                         max_coherence=max_coherence, noise_std=noise_std)


def mackey_glass(steps: int, tau: float = 17.0, a: float = 0.2, b: float = 0.1, n: float = 10.0,
                 x0: float = 1.2, dt: float = 1.0, substeps: int = 10) -> Array:
    """``steps`` samples ``x(dt), x(2 dt), …`` of the Mackey–Glass delay equation
    ``dx/dt = a x(t−τ) / (1 + x(t−τ)ⁿ) − b x(t)`` (chaotic at τ = 17), history ``x0`` before 0,
    integrated by RK4 with ``substeps`` steps per sample (fourth order; ``τ`` must be a whole
    number of steps). reservoirpy's ``mackey_glass`` has the same parameters (``h`` = our
    ``dt / substeps``)."""
    return _neurodyn.mackey_glass(steps, tau, a, b, n, x0, dt, substeps)


def narma(steps: int, order: int = 10, seed: int = 0) -> tuple[Array, Array]:
    """NARMA of order ``order`` (Atiya & Parlos 2000): inputs ``u`` uniform in ``[0, 0.5]`` and
    ``y[t+1] = 0.3 y[t] + 0.05 y[t] Σ_{i<order} y[t−i] + 1.5 u[t−order+1] u[t] + 0.1``.
    Returns ``(u, y)``."""
    return _neurodyn.narma(steps, order, seed)
