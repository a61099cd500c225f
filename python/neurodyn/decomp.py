"""Decompositions of recorded activity, in TensorLy's function style and as
scikit-learn-style estimators.

Functions: :func:`cp_als` (TensorLy's ``parafac``), :func:`non_negative_cp`
(``non_negative_parafac_hals``), :func:`nmf`, :func:`cnmf` (convolutive NMF with the seqNMF
penalty, Mackevicius et al. 2019), :func:`rank_sweep` (tensortools' ``Ensemble``).
Estimators: :class:`CP`, :class:`NMF`, :class:`SeqNMF`. Masks are arrays of the data's shape,
true (non-zero) where an entry is observed; missing entries are ignored, not zero-filled.
Stopping: a fit stops when the relative decrease of its objective over one sweep falls below
``tol``, or after ``n_iter_max`` sweeps.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Sequence

import numpy as np
import numpy.typing as npt

from . import _neurodyn
from ._arrays import f64
from .errors import SpecError

Array = npt.NDArray[np.float64]


class CPTensor(NamedTuple):
    """A CP model ``X ≈ Σ_r weights[r] · A[:, r] ∘ B[:, r] ∘ C[:, r]`` (TensorLy's layout)."""

    weights: Array
    factors: list[Array]

    def to_tensor(self) -> Array:
        """The full ``(I, J, K)`` tensor."""
        a, b, c = self.factors
        return np.einsum("r,ir,jr,kr->ijk", self.weights, a, b, c)


def _seed(random_state: Any) -> int:
    if random_state is None:
        return 0
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise SpecError(f"random_state = {random_state}: a non-negative integer", "random_state")
        return int(random_state)
    raise SpecError(f"random_state = {random_state!r}: an integer seed", "random_state")


def _mask(mask: Any) -> Array | None:
    return None if mask is None else f64(np.asarray(mask) != 0, "mask")


def cp_als(
    x: Any,
    rank: int,
    mask: Any = None,
    n_iter_max: int = 100,
    tol: float = 1e-8,
    init: Any = "random",
    random_state: Any = None,
    return_errors: bool = False,
    threads: int | None = None,
) -> Any:
    """CP decomposition of an order-3 tensor by alternating least squares.

    Parameters
    ----------
    x : array_like, shape (I, J, K)
    rank : int
    mask : array_like of bool, optional
        True where observed.
    n_iter_max : int
    tol : float
    init : "random" or (weights, factors)
        Gaussian factors drawn from ``random_state``, or a given start (the weights are
        folded into the first factor), e.g. to follow TensorLy from the same start.
    random_state : int, optional
    return_errors : bool
        Also return the objective ``½‖M ⊙ (X − X̂)‖²`` after initialisation and each sweep.

    Returns
    -------
    CPTensor or (CPTensor, errors)
        Weights descending, factors with unit-norm columns.
    """
    start = None
    if not (isinstance(init, str) and init == "random"):
        try:
            w0, f0 = init
            f0 = [f64(f, "init") for f in f0]
            f0[0] = f0[0] * f64(w0, "init")[None, :]
        except (TypeError, ValueError):
            raise SpecError('init: "random" or (weights, factors)', "init") from None
        start = f0
    return _cp(x, rank, mask, n_iter_max, tol, random_state, start, False, return_errors, threads)


def _cp(x: Any, rank: int, mask: Any, n_iter_max: int, tol: float, random_state: Any,
        start: list[Array] | None, non_negative: bool, return_errors: bool,
        threads: int | None) -> Any:
    weights, factors, loss, _ = _neurodyn.cp_als(
        f64(x, "X"), rank, _mask(mask), n_iter_max, tol, _seed(random_state), start, non_negative,
        threads)
    cp = CPTensor(weights, list(factors))
    return (cp, loss) if return_errors else cp


def non_negative_cp(
    x: Any,
    rank: int,
    mask: Any = None,
    n_iter_max: int = 100,
    tol: float = 1e-8,
    random_state: Any = None,
    return_errors: bool = False,
    threads: int | None = None,
) -> Any:
    """Non-negative CP by hierarchical ALS (Cichocki & Phan 2009); observed entries must be
    finite and >= 0. Same returns as :func:`cp_als`."""
    return _cp(x, rank, mask, n_iter_max, tol, random_state, None, True, return_errors, threads)


def nmf(
    x: Any,
    rank: int,
    mask: Any = None,
    algorithm: str = "hals",
    n_iter_max: int = 200,
    tol: float = 1e-6,
    random_state: Any = None,
    threads: int | None = None,
) -> tuple[Array, Array]:
    """Non-negative matrix factorisation ``X ≈ W H``.

    Parameters
    ----------
    x : array_like, shape (m, n), entries >= 0
    algorithm : {"hals", "mu"}
        Coordinate descent (HALS) or Lee–Seung multiplicative updates.

    Returns
    -------
    W : (m, rank), H : (rank, n)
    """
    w, h, _, _ = _neurodyn.nmf_fit(
        f64(x, "X"), rank, _mask(mask), algorithm, n_iter_max, tol, _seed(random_state), threads
    )
    return w, h


def cnmf(
    x: Any,
    rank: int,
    lag: int,
    algorithm: str = "hals",
    penalty: float = 0.0,
    mask: Any = None,
    n_iter_max: int = 200,
    tol: float = 1e-6,
    random_state: Any = None,
    threads: int | None = None,
) -> tuple[Array, Array]:
    """Convolutive NMF ``X ≈ Σ_l W[:, :, l] · shift_l(H)`` (seqNMF).

    Parameters
    ----------
    x : array_like, shape (neurons, time)
    lag : int
        Motif length in time bins.
    algorithm : {"hals", "anls", "mu"}
    penalty : float
        seqNMF's cross-orthogonality λ (multiplicative updates only).

    Returns
    -------
    W : (neurons, rank, lag), H : (rank, time)
    """
    w, h, _, _ = _neurodyn.cnmf_fit(
        f64(x, "X"), rank, lag, _mask(mask), algorithm, penalty, n_iter_max, tol,
        _seed(random_state), threads,
    )
    return w, h


def cnmf_reconstruct(w: Any, h: Any) -> Array:
    """``Σ_l W[:, :, l] · shift_l(H)``, the model of :func:`cnmf`."""
    w, h = f64(w, "W"), f64(h, "H")
    t = h.shape[1]
    out = np.zeros((w.shape[0], t))
    for lag in range(w.shape[2]):
        out[:, lag:] += w[:, :, lag] @ h[:, : t - lag]
    return out


def _nnls_rows(x: Array, h: Array, iters: int = 300) -> Array:
    """min ‖X − W H‖ over W >= 0 with H fixed, by HALS on the columns of W."""
    hh, xh = h @ h.T, x @ h.T
    w = np.maximum(xh / np.maximum(np.diag(hh), 1e-12), 0.0)
    for _ in range(iters):
        for k in range(h.shape[0]):
            w[:, k] = np.maximum(w[:, k] + (xh[:, k] - w @ hh[:, k]) / max(hh[k, k], 1e-12), 0.0)
    return w


class NMF:
    """scikit-learn-style NMF: ``X (samples, features) ≈ transform(X) @ components_``."""

    def __init__(self, n_components: int, algorithm: str = "hals", max_iter: int = 200,
                 tol: float = 1e-6, random_state: Any = None) -> None:
        self.n_components, self.algorithm = n_components, algorithm
        self.max_iter, self.tol, self.random_state = max_iter, tol, random_state

    def fit(self, x: Any, mask: Any = None) -> "NMF":
        w, h = nmf(x, self.n_components, mask, self.algorithm, self.max_iter, self.tol, self.random_state)
        self.components_, self._w = h, w
        return self

    def fit_transform(self, x: Any, mask: Any = None) -> Array:
        return self.fit(x, mask)._w

    def transform(self, x: Any) -> Array:
        """Non-negative coefficients of new samples on the fitted components."""
        return _nnls_rows(f64(x, "X"), self.components_)


class CP:
    """scikit-learn-style CP of ``(trials, neurons, time)`` tensors (tensortools' layout is
    ``(neurons, time, trials)``: transpose first). ``fit`` sets ``weights_`` and
    ``components_`` (the three factors); ``transform`` gives the first-mode factor of new
    data with the other two fixed."""

    def __init__(self, rank: int, non_negative: bool = False, n_iter_max: int = 100,
                 tol: float = 1e-8, random_state: Any = None) -> None:
        self.rank, self.non_negative = rank, non_negative
        self.n_iter_max, self.tol, self.random_state = n_iter_max, tol, random_state

    def fit(self, x: Any, mask: Any = None) -> "CP":
        fit = non_negative_cp if self.non_negative else cp_als
        cp, errors = fit(x, self.rank, mask, self.n_iter_max, self.tol,
                         random_state=self.random_state, return_errors=True)
        self.weights_, self.components_, self.errors_ = cp.weights, cp.factors, errors
        return self

    def fit_transform(self, x: Any, mask: Any = None) -> Array:
        self.fit(x, mask)
        return self.components_[0] * self.weights_

    def transform(self, x: Any) -> Array:
        x = f64(x, "X")
        _, b, c = self.components_
        kr = np.einsum("jr,kr->jkr", b, c).reshape(-1, self.rank)
        unfolded = x.reshape(x.shape[0], -1)
        if self.non_negative:
            return _nnls_rows(unfolded, kr.T)
        return np.linalg.lstsq(kr, unfolded.T, rcond=None)[0].T


class SeqNMF:
    """scikit-learn-style convolutive NMF of ``(neurons, time)`` data: ``components_`` are
    the motifs ``(neurons, rank, lag)``; ``transform`` gives activations ``(rank, time)``."""

    def __init__(self, rank: int, lag: int, algorithm: str = "hals", penalty: float = 0.0,
                 max_iter: int = 200, tol: float = 1e-6, random_state: Any = None) -> None:
        self.rank, self.lag, self.algorithm, self.penalty = rank, lag, algorithm, penalty
        self.max_iter, self.tol, self.random_state = max_iter, tol, random_state

    def fit(self, x: Any, mask: Any = None) -> "SeqNMF":
        self.components_, self.activations_ = cnmf(
            x, self.rank, self.lag, self.algorithm, self.penalty, mask, self.max_iter, self.tol,
            self.random_state)
        return self

    def fit_transform(self, x: Any, mask: Any = None) -> Array:
        return self.fit(x, mask).activations_

    def transform(self, x: Any, n_iter: int = 200) -> Array:
        """Activations of new data with the motifs fixed (multiplicative updates)."""
        x = f64(x, "X")
        w = self.components_
        t = x.shape[1]

        def back(y: Array) -> Array:  # Σ_l W_lᵀ shift_{-l}(y)
            out = np.zeros((self.rank, t))
            for lag in range(w.shape[2]):
                out[:, : t - lag] += w[:, :, lag].T @ y[:, lag:]
            return out

        h = np.full((self.rank, t), max(x.mean(), 1e-12))
        num = back(x)
        for _ in range(n_iter):
            h *= num / np.maximum(back(cnmf_reconstruct(w, h)), 1e-12)
        return h


class RankSweep(NamedTuple):
    """A rank sweep (tensortools' ``Ensemble``): per rank, every replicate's normalised
    reconstruction error (ascending) and its similarity to the best fit (1 for the best)."""

    ranks: list[int]
    errors: dict[int, list[float]]
    similarities: dict[int, list[float]]


def _factor_similarity(a: list[Array], b: list[Array]) -> float:
    """Factor match score: mean over matched components of the product of |cosines| across
    modes, components matched greedily by that product."""
    unit = lambda m: m / np.maximum(np.linalg.norm(m, axis=0, keepdims=True), 1e-300)  # noqa: E731
    score = np.ones((a[0].shape[1], b[0].shape[1]))
    for fa, fb in zip(a, b):
        score *= np.abs(unit(fa).T @ unit(fb))
    total = 0.0
    used_a: set[int] = set()
    used_b: set[int] = set()
    for i, j in sorted(np.ndindex(score.shape), key=lambda ij: -score[ij]):
        if i not in used_a and j not in used_b:
            used_a.add(i)
            used_b.add(j)
            total += float(score[i, j])
    return total / max(score.shape)


def rank_sweep(
    x: Any,
    method: str = "cp_als",
    ranks: Sequence[int] = (1, 2, 3, 4, 5),
    replicates: int = 5,
    random_state: Any = None,
    mask: Any = None,
    **options: Any,
) -> RankSweep:
    """Fit every rank ``replicates`` times from different seeds, as tensortools' ``Ensemble``.

    Parameters
    ----------
    method : {"cp_als", "non_negative_cp", "nmf"}
    """
    x = f64(x, "X")
    seed0 = _seed(random_state)
    norm = float(np.linalg.norm(x if mask is None else x * (np.asarray(mask) != 0)))
    errors: dict[int, list[float]] = {}
    sims: dict[int, list[float]] = {}
    for rank in ranks:
        fits = []
        for rep in range(replicates):
            seed = seed0 + 1000 * rank + rep
            if method in ("cp_als", "non_negative_cp"):
                fit = cp_als if method == "cp_als" else non_negative_cp
                cp = fit(x, rank, mask, random_state=seed, **options)
                model, factors = cp.to_tensor(), cp.factors
            elif method == "nmf":
                w, h = nmf(x, rank, mask, random_state=seed, **options)
                model, factors = w @ h, [w, h.T]
            else:
                raise SpecError(f'method = {method!r}: "cp_als", "non_negative_cp" or "nmf"', "method")
            resid = (x - model) if mask is None else (x - model) * (np.asarray(mask) != 0)
            fits.append((float(np.linalg.norm(resid)) / max(norm, 1e-300), factors))
        fits.sort(key=lambda f: f[0])
        errors[rank] = [f[0] for f in fits]
        sims[rank] = [_factor_similarity(fits[0][1], f[1]) for f in fits]
    return RankSweep(list(ranks), errors, sims)
