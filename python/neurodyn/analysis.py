"""Analysis of recorded or simulated activity, on numpy arrays.

Matrices are ``(samples, features)`` (time points or stimuli by neurons or units); spike
trains are 1-D arrays of spike times (any unit, ms by convention), in any order.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np
import numpy.typing as npt

from . import _neurodyn
from ._arrays import f64

Array = npt.NDArray[np.float64]


class PCA(NamedTuple):
    """A fitted PCA."""

    components: Array
    """Principal axes, ``(n_components, features)``, unit norm."""
    explained_variance: Array
    """Variance along each axis, descending."""
    explained_variance_ratio: Array
    """Fraction of the total variance along each axis."""
    mean: Array
    """Per-feature mean."""

    def transform(self, x: Any) -> Array:
        """Project ``x`` ``(samples, features)`` onto the axes."""
        return (f64(x, "X") - self.mean) @ self.components.T


def pca(x: Any, n_components: int | None = None) -> PCA:
    """Principal component analysis by the eigendecomposition of the sample covariance.

    Parameters
    ----------
    x : array_like, shape (samples, features)
    n_components : int, optional
        Number of axes (default: all).
    """
    return PCA(*_neurodyn.pca(f64(x, "X"), n_components))


def participation_ratio(x: Any) -> float:
    """Participation ratio ``(Σλ)² / Σλ²`` of the covariance eigenvalues of ``x``
    (Gao et al. 2017): the linear dimension of activity."""
    return float(_neurodyn.participation_ratio(f64(x, "X")))


def two_nn(x: Any, discard_fraction: float = 0.1, threads: int | None = None) -> float:
    """TwoNN intrinsic dimension (Facco et al. 2017) of the points ``x`` (samples, features)."""
    return float(_neurodyn.two_nn(f64(x, "X"), discard_fraction, threads))


def levina_bickel(x: Any, k: int = 10, threads: int | None = None) -> float:
    """Levina–Bickel maximum-likelihood intrinsic dimension with ``k`` neighbours."""
    return float(_neurodyn.levina_bickel(f64(x, "X"), k, threads))


def cca(x: Any, y: Any) -> Array:
    """Canonical correlations of ``x`` (n, p) and ``y`` (n, q), descending."""
    return _neurodyn.cca(f64(x, "X"), f64(y, "Y"))


def svcca(x: Any, y: Any, variance_kept: float = 0.99) -> float:
    """SVCCA (Raghu et al. 2017): mean canonical correlation after keeping the top singular
    directions that explain ``variance_kept`` of each side's variance."""
    return float(_neurodyn.svcca(f64(x, "X"), f64(y, "Y"), variance_kept))


def cka(x: Any, y: Any, kernel: str = "linear", sigma_factor: float = 0.5) -> float:
    """Centred kernel alignment (Kornblith et al. 2019) of ``x`` (n, p) and ``y`` (n, q).

    Parameters
    ----------
    kernel : {"linear", "rbf"}
    sigma_factor : float
        RBF bandwidth as a multiple of the median pairwise distance.
    """
    return float(_neurodyn.cka(f64(x, "X"), f64(y, "Y"), kernel, sigma_factor))


def procrustes(x: Any, y: Any) -> tuple[float, float]:
    """Orthogonal Procrustes distance after centring and unit Frobenius scaling:
    ``(euclidean, angular)`` (Williams et al. 2021); the narrower side is zero-padded."""
    d, a = _neurodyn.procrustes(f64(x, "X"), f64(y, "Y"))
    return float(d), float(a)


def _trains(trains: Sequence[Any], name: str) -> list[Array]:
    return [f64(t, f"{name}[{i}]").ravel() for i, t in enumerate(trains)]


def isi_cv(spikes: Any) -> float:
    """Coefficient of variation of the inter-spike intervals (NaN with fewer than 3 spikes)."""
    return float(_neurodyn.isi_cv(f64(spikes, "spikes").ravel()))


def fano_factor(trials: Sequence[Any], start: float, end: float) -> float:
    """Fano factor of the spike counts in ``[start, end)`` across trials."""
    return float(_neurodyn.fano_factor(_trains(trials, "trials"), start, end))


def spike_correlation(trains: Sequence[Any], duration: float, bin: float) -> float:
    """Mean pairwise correlation of spike counts in bins of width ``bin`` over ``[0, duration)``."""
    return float(_neurodyn.spike_correlation(_trains(trains, "trains"), duration, bin))


def van_rossum(a: Any, b: Any, tau: float) -> float:
    """van Rossum (2001) distance with an exponential kernel of time constant ``tau``."""
    return float(_neurodyn.van_rossum(f64(a, "a").ravel(), f64(b, "b").ravel(), tau))


def victor_purpura(a: Any, b: Any, q: float) -> float:
    """Victor–Purpura (1996) distance: 1 per spike added or removed, ``q·|Δt|`` per shift."""
    return float(_neurodyn.victor_purpura(f64(a, "a").ravel(), f64(b, "b").ravel(), q))


def reliability(trials: Sequence[Any], duration: float, sigma: float, dt: float | None = None) -> float:
    """Schreiber et al. (2003) reliability: mean pairwise cosine similarity of the trials
    filtered by a Gaussian of width ``sigma``, sampled every ``dt`` (default ``sigma / 10``)."""
    return float(_neurodyn.reliability(_trains(trials, "trials"), duration, sigma, dt))


def population_vector(weights: Any, preferred: Any, period: float = 360.0) -> tuple[float, float] | None:
    """Population vector (Georgopoulos et al. 1986): the angle of ``Σ w_i e^{2πi p_i/period}``
    in ``[0, period)`` and its length over ``Σ w_i``; ``None`` when the weights cancel. Use
    ``period=180`` for orientations."""
    return _neurodyn.population_vector(f64(weights, "weights").ravel(), f64(preferred, "preferred").ravel(), period)


def decode_trials(trials: Sequence[Sequence[Any]], labels: Sequence[int], tau: float | None = None) -> float:
    """Leave-one-out nearest-class-mean accuracy of telling ``labels`` apart from the trials'
    spike trains (``trials[k][c]``: cell ``c``'s spike times in trial ``k``), on van Rossum
    distances with time constant ``tau`` (spike-time sensitive), or on spike counts when
    ``tau`` is ``None``."""
    parsed = [_trains(t, f"trials[{k}]") for k, t in enumerate(trials)]
    return float(_neurodyn.decode_trials(parsed, [int(v) for v in labels], tau))
