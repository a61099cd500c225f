"""Reservoirs: reservoirpy's network and readout reproduced from its weights (golden data),
memory capacity against its closed form, errors."""

from __future__ import annotations

import numpy as np
import pytest

import neurodyn as nd
from conftest import REPO

GOLDEN = REPO / "tests" / "golden" / "reservoirpy_esn" / "data.npz"


def test_reservoirpy_weights_give_reservoirpys_states_and_readout() -> None:
    z = np.load(GOLDEN)
    esn = nd.reservoir.ESN.from_weights(z["W"], z["Win"], z["bias"], leak=float(z["lr"]))
    states = esn.run(z["u"])
    np.testing.assert_allclose(states, z["states"], rtol=0, atol=1e-12)
    readout = nd.reservoir.Ridge(alpha=float(z["ridge"])).fit(states[100:], z["y"][100:])
    # reservoirpy solves the same normal equations (intercept not penalised).
    np.testing.assert_allclose(readout.coef_, z["Wout"], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(readout.intercept_, z["bias_out"], rtol=1e-6, atol=1e-8)


def test_live_reservoirpy_if_installed() -> None:
    pytest.importorskip("reservoirpy")
    from reservoirpy.nodes import Reservoir
    r = Reservoir(units=40, lr=0.5, sr=1.1, input_scaling=0.3, rc_connectivity=1.0,
                  input_connectivity=1.0, seed=3)
    u = np.random.default_rng(1).uniform(-1, 1, (300, 1))
    theirs = r.run(u)
    W = r.W.toarray() if hasattr(r.W, "toarray") else r.W
    Win = r.Win.toarray() if hasattr(r.Win, "toarray") else r.Win
    ours = nd.reservoir.ESN.from_weights(W, Win, np.zeros(40), leak=0.5).run(u)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_memory_capacity_of_a_linear_reservoir_matches_its_closed_form() -> None:
    esn = nd.reservoir.ESN(20, spectral_radius=0.85, input_scaling=0.5, activation="linear",
                           topology="orthogonal", seed=4)
    u = np.random.default_rng(2).uniform(-1, 1, 25_000)
    mc = nd.reservoir.memory_capacity(esn.run(u), u, max_delay=60, n_train=15_000)
    theory = nd.reservoir.linear_memory_capacity(esn.W, esn.W_in, 60)
    assert np.abs(mc - theory).max() < 0.03
    assert abs(theory.sum() - 20) < 1e-4  # delays past 60 hold the last ~1e-6
    # A tanh reservoir of the same size remembers less.
    tanh = nd.reservoir.ESN(20, spectral_radius=0.85, input_scaling=0.5, topology="orthogonal", seed=4)
    assert nd.reservoir.memory_capacity(tanh.run(u), u, 60, 15_000)[1:].sum() < mc[1:].sum()


def test_reservoir_errors_name_the_field() -> None:
    with pytest.raises(nd.SpecError) as e:
        nd.reservoir.ESN(10, leak=0.0)
    assert e.value.field == "leak"
    with pytest.raises(nd.SpecError) as e:
        nd.reservoir.ESN(10, topology="ring")
    assert e.value.field == "topology"
    with pytest.raises(nd.SpecError) as e:
        nd.reservoir.ESN(10, n_input=2).run(np.zeros((5, 3)))
    assert e.value.field == "inputs"
    with pytest.raises(nd.SpecError):
        nd.reservoir.Ridge().predict(np.zeros((3, 3)))
