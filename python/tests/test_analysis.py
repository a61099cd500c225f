"""Analysis on arrays, against closed forms."""

from __future__ import annotations

import numpy as np
import pytest

import neurodyn as nd
from neurodyn import analysis as A


def test_pca_matches_numpy_eigh() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 6)) @ rng.standard_normal((6, 6))
    p = A.pca(x, 3)
    vals, vecs = np.linalg.eigh(np.cov(x, rowvar=False))
    np.testing.assert_allclose(p.explained_variance, vals[::-1][:3], rtol=1e-10)
    for k in range(3):
        assert abs(abs(p.components[k] @ vecs[:, -1 - k]) - 1) < 1e-9
    np.testing.assert_allclose(p.transform(x), (x - x.mean(0)) @ p.components.T, atol=1e-10)


def test_participation_ratio_closed_form() -> None:
    # Independent coordinates with variances 1, 1, 4: PR = 36 / 18 = 2 (in expectation).
    rng = np.random.default_rng(1)
    x = rng.standard_normal((200_000, 3)) * np.array([1.0, 1.0, 2.0])
    assert A.participation_ratio(x) == pytest.approx(2.0, rel=0.02)


def test_intrinsic_dimension_of_a_plane_in_ten_dimensions() -> None:
    rng = np.random.default_rng(2)
    plane = rng.uniform(size=(2000, 2)) @ rng.standard_normal((2, 10))
    assert A.two_nn(plane) == pytest.approx(2.0, rel=0.1)
    assert A.levina_bickel(plane, k=10) == pytest.approx(2.0, rel=0.1)


def test_similarity_invariances() -> None:
    rng = np.random.default_rng(3)
    x = rng.standard_normal((100, 5))
    q, _ = np.linalg.qr(rng.standard_normal((5, 5)))
    assert A.cka(x, 3.0 * x @ q) == pytest.approx(1.0, abs=1e-12)
    assert A.cka(x, x @ q, kernel="rbf") == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(A.cca(x, x @ rng.standard_normal((5, 5))), np.ones(5), atol=1e-9)
    d, angle = A.procrustes(x, x @ q)
    assert d == pytest.approx(0.0, abs=1e-6) and angle == pytest.approx(0.0, abs=1e-6)
    assert A.svcca(x, x @ q) == pytest.approx(1.0, abs=1e-9)
    assert A.cka(x, rng.standard_normal((100, 5))) < 0.2


def test_spike_measures_closed_forms() -> None:
    regular = np.arange(0.0, 1000.0, 10.0)
    assert A.isi_cv(regular) == pytest.approx(0.0, abs=1e-12)
    # One spike against none: sqrt(1/2); shifting one spike by dt costs q*dt (if < 2).
    assert A.van_rossum([5.0], [], tau=10.0) == pytest.approx(np.sqrt(0.5))
    assert A.victor_purpura([5.0], [5.5], q=1.0) == pytest.approx(0.5)
    assert A.victor_purpura([5.0], [50.0], q=1.0) == pytest.approx(2.0)
    assert A.reliability([regular, regular], duration=1000.0, sigma=2.0) == pytest.approx(1.0)
    assert A.fano_factor([regular, regular + 0.1], 0.0, 500.0) == pytest.approx(0.0)


def test_bad_arrays_raise_spec_error() -> None:
    with pytest.raises(nd.SpecError) as e:
        A.pca(np.ones(5))
    assert e.value.field == "X"
    with pytest.raises(nd.SpecError) as e:
        A.cka(np.ones((4, 2)), np.ones((4, 2)), kernel="cosine")
    assert e.value.field == "kernel"
    with pytest.raises(nd.SpecError):
        A.pca(np.array([[1.0, np.nan], [2.0, 3.0]]))


def test_fortran_and_integer_arrays_are_accepted() -> None:
    x = np.asfortranarray(np.random.default_rng(4).standard_normal((50, 4)))
    assert A.participation_ratio(x) == pytest.approx(A.participation_ratio(np.ascontiguousarray(x)))
    assert A.participation_ratio(np.arange(20).reshape(10, 2)) == pytest.approx(1.0)


def test_population_vector_and_trial_decoding() -> None:
    pref = np.arange(90) * 2.0
    rates = np.exp(2.0 * (np.cos(np.deg2rad(2.0 * (pref - 37.0))) - 1.0))
    angle, length = A.population_vector(rates, pref, period=180.0)
    assert angle == pytest.approx(37.0, abs=1e-9)
    assert 0.5 < length < 1.0
    assert A.population_vector([0.0, 0.0], [0.0, 90.0]) is None
    # Two classes with the same counts but different spike times: the spike-time decoder is
    # perfect, the count decoder has nothing to go on (all ties: one half).
    rng = np.random.default_rng(0)
    a = [[[10.0 + rng.normal(0, 0.5)], [30.0 + rng.normal(0, 0.5)]] for _ in range(10)]
    b = [[[30.0 + rng.normal(0, 0.5)], [10.0 + rng.normal(0, 0.5)]] for _ in range(10)]
    labels = [0] * 10 + [1] * 10
    assert A.decode_trials(a + b, labels, tau=2.0) == 1.0
    assert A.decode_trials(a + b, labels) == 0.5
    with pytest.raises(nd.SpecError):
        A.decode_trials(a + b, labels[:-1], tau=2.0)
