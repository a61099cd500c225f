"""Decompositions against TensorLy (golden data) and planted structure."""

from __future__ import annotations

import numpy as np
import pytest

import neurodyn as nd
from neurodyn import decomp
from conftest import GOLDEN


def test_cp_als_follows_tensorly_parafac_from_the_same_start() -> None:
    g = np.load(GOLDEN / "tensorly_cp" / "data.npz")
    x = g["x"]
    sweeps = int(g["sweeps"][0])
    init = (np.ones(3), [g["init_a"], g["init_b"], g["init_c"]])
    cp, loss = decomp.cp_als(x, 3, n_iter_max=sweeps, tol=0.0, init=init, return_errors=True)
    model = cp.to_tensor()
    assert np.max(np.abs(model - g["model"])) <= 1e-9 * np.max(np.abs(g["model"]))
    rel = np.sqrt(2 * loss[1:]) / np.linalg.norm(x)
    np.testing.assert_allclose(rel, g["relative_errors"], atol=1e-9)


def test_cp_als_matches_tensorly_live_when_installed() -> None:
    tl = pytest.importorskip("tensorly")
    from tensorly.decomposition import parafac
    rng = np.random.default_rng(5)
    x = np.einsum("ir,jr,kr->ijk", *(rng.standard_normal((n, 2)) for n in (9, 8, 7)))
    x += 0.05 * rng.standard_normal(x.shape)
    init = [rng.standard_normal((n, 2)) for n in x.shape]
    # 10 sweeps: later, the error's change is rounding, and TensorLy's default criterion stops
    # at the first sweep whose error rises by it (seen between sweeps 10 and 15 here).
    ref = parafac(tl.tensor(x), 2, n_iter_max=10, init=tl.cp_tensor.CPTensor((np.ones(2), init)),
                  tol=0, normalize_factors=False, linesearch=False)
    ours = decomp.cp_als(x, 2, n_iter_max=10, tol=0.0, init=(np.ones(2), init))
    np.testing.assert_allclose(ours.to_tensor(), tl.cp_to_tensor(ref), atol=1e-9 * np.abs(x).max())


def test_non_negative_cp_and_masks_recover_planted_factors() -> None:
    rng = np.random.default_rng(6)
    factors = [rng.uniform(size=(n, 2)) for n in (10, 9, 8)]
    x = np.einsum("ir,jr,kr->ijk", *factors)
    mask = rng.uniform(size=x.shape) > 0.2
    cp = decomp.non_negative_cp(np.where(mask, x, -1.0), 2, mask=mask, n_iter_max=500, tol=1e-12)
    assert all((f >= 0).all() for f in cp.factors)
    err = np.linalg.norm((cp.to_tensor() - x)) / np.linalg.norm(x)
    assert err < 1e-3


def test_nmf_and_estimators() -> None:
    rng = np.random.default_rng(7)
    w, h = rng.uniform(size=(40, 3)), rng.uniform(size=(3, 30))
    x = w @ h
    W, H = decomp.nmf(x, 3, n_iter_max=2000, tol=1e-12, random_state=1)
    assert np.linalg.norm(W @ H - x) / np.linalg.norm(x) < 1e-3
    est = decomp.NMF(3, max_iter=2000, tol=1e-12, random_state=1).fit(x)
    coeffs = est.transform(x)
    assert np.linalg.norm(coeffs @ est.components_ - x) / np.linalg.norm(x) < 1e-3
    cp = decomp.CP(2, random_state=0, n_iter_max=200, tol=1e-12)
    t = np.einsum("ir,jr,kr->ijk", *(rng.standard_normal((n, 2)) for n in (6, 5, 4)))
    a = cp.fit_transform(t)
    np.testing.assert_allclose(cp.transform(t), a, atol=1e-6)


def test_seqnmf_finds_a_planted_sequence() -> None:
    n, t, lag = 12, 300, 6
    motif = np.zeros((n, lag))
    for i in range(n):
        motif[i, i % lag] = 1.0
    h = np.zeros(t)
    h[::37] = 1.0
    x = decomp.cnmf_reconstruct(motif[:, None, :], h[None, :])
    # Convolutive NMF has local minima (a motif learned half-shifted explains half the
    # data): as users do, keep the best of a few random starts.
    fits = [decomp.SeqNMF(1, lag, algorithm=alg, max_iter=500, tol=1e-10, random_state=seed).fit(x)
            for alg in ("hals", "anls", "mu") for seed in range(3)]
    err = lambda e: np.linalg.norm(decomp.cnmf_reconstruct(e.components_, e.activations_) - x)  # noqa: E731
    for k in range(3):
        assert min(err(e) for e in fits[3 * k:3 * k + 3]) / np.linalg.norm(x) < 1e-6
    best = min(fits, key=err)
    h2 = best.transform(x)
    assert np.linalg.norm(decomp.cnmf_reconstruct(best.components_, h2) - x) / np.linalg.norm(x) < 0.05


def test_rank_sweep_finds_the_planted_rank() -> None:
    rng = np.random.default_rng(8)
    x = np.einsum("ir,jr,kr->ijk", *(rng.standard_normal((n, 2)) for n in (8, 7, 6)))
    sweep = decomp.rank_sweep(x, "cp_als", ranks=[1, 2, 3], replicates=3, random_state=0,
                              n_iter_max=300, tol=1e-12)
    assert sweep.errors[2][0] < 1e-4 < sweep.errors[1][0]
    assert min(sweep.similarities[2]) > 0.99


def test_decomp_errors() -> None:
    with pytest.raises(nd.SpecError) as e:
        decomp.cp_als(np.ones((3, 3)), 1)
    assert e.value.field == "X"
    with pytest.raises(nd.SpecError) as e:
        decomp.cp_als(np.ones((3, 3, 3)), 0)
    assert e.value.field == "rank"
    with pytest.raises(nd.SpecError) as e:
        decomp.nmf(-np.ones((3, 3)), 1)
    assert "entry (0, 0)" in str(e.value)
    with pytest.raises(nd.SpecError) as e:
        decomp.cnmf(np.ones((3, 10)), 1, 3, algorithm="bogus")
    assert e.value.field == "algorithm"
