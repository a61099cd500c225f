"""Spiking networks built in Python are the spec's networks; NWB and Neo round trips."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

import neurodyn as nd

SPEC = """
name = "cuba_small"
seed = 3

[simulation]
dt = 0.1
duration = 300.0
max_delay = 0.5

[populations.exc]
n = 320
neuron = { model = "lif_psc_exp", preset = "vogels_abbott_2005_cuba" }
init.v_m = { uniform = [-60.0, -50.0] }

[populations.inh]
n = 80
neuron = { model = "lif_psc_exp", preset = "vogels_abbott_2005_cuba" }
init.v_m = { uniform = [-60.0, -50.0] }

[projections.ee]
pre = "exc"
post = "exc"
rule.fixed_probability = { p = 0.2 }
weight = 16.2
delay = { uniform = [0.1, 0.5] }

[projections.ei]
pre = "exc"
post = "inh"
rule.fixed_indegree = { k = 60 }
weight = 16.2

[projections.ie]
pre = "inh"
post = "exc"
rule.fixed_probability = { p = 0.2 }
weight = -90.0

[projections.ii]
pre = "inh"
post = "inh"
rule.fixed_probability = { p = 0.2 }
weight = -90.0

[inputs.drive.poisson]
target = "exc"
rate = 10.0
n_sources = 20
weight = 20.0
"""


def python_network() -> nd.Network:
    net = nd.Network(dt=0.1, seed=3, max_delay=0.5, name="cuba_small")
    init = {"v_m": {"distribution": "uniform", "low": -60.0, "high": -50.0}}
    exc = net.create("lif_psc_exp", 320, preset="vogels_abbott_2005_cuba", init=init, name="exc")
    inh = net.create("lif_psc_exp", 80, preset="vogels_abbott_2005_cuba", init=init, name="inh")
    net.connect(exc, exc, {"rule": "pairwise_bernoulli", "p": 0.2}, weight=16.2,
                delay={"distribution": "uniform", "low": 0.1, "high": 0.5}, name="ee")
    net.connect(exc, inh, {"rule": "fixed_indegree", "indegree": 60}, weight=16.2, name="ei")
    net.connect(inh, exc, {"rule": "pairwise_bernoulli", "p": 0.2}, weight=-90.0, name="ie")
    net.connect(inh, inh, {"rule": "pairwise_bernoulli", "p": 0.2}, weight=-90.0, name="ii")
    net.add_input("poisson", exc, rate=10.0, n_sources=20, weight=20.0, name="drive")
    return net


def test_python_network_equals_the_spec_run_by_the_cli(tmp_path: Path, cli: Path) -> None:
    spec = tmp_path / "cuba_small.toml"
    spec.write_text(SPEC)
    done = subprocess.run([str(cli), "run", str(spec), "--out", str(tmp_path), "--quiet"],
                          capture_output=True, text=True, check=True)
    with np.load(Path(done.stdout.strip()) / "spikes.npz") as z:
        expected = {k: z[k] for k in z.files}
    net = python_network()
    net.simulate(200.0)
    result = net.simulate(100.0)  # continuing equals one run of 300 ms
    assert result.duration == pytest.approx(300.0)
    for pop in ("exc", "inh"):
        times, senders = result.spikes[pop]
        assert len(times) > 100
        np.testing.assert_array_equal(times, expected[f"{pop}_times"])
        np.testing.assert_array_equal(senders, expected[f"{pop}_senders"])
    rates = result.rates()
    assert rates["exc"] == pytest.approx(len(expected["exc_times"]) / (320 * 0.3))
    with pytest.raises(nd.SpecError):
        net.create("lif_psc_exp", 10)  # frozen after simulate


def test_explicit_pairs_sources_state_and_weights() -> None:
    net = nd.Network(dt=0.1, seed=0)
    src = net.create("spike_generator", 2, params={"spike_times": [[10.0], [20.0]]}, name="src")
    out = net.create("lif_psc_delta", 2, name="out")
    proj = net.connect(src, out, ([0, 1], [1, 0]), weight=np.array([100.0, 0.5]), delay=1.0)
    net.record("state", out, "v_m", neurons=[0, 1], interval=1.0)
    result = net.simulate(50.0)
    pre, post, w = result.synapses[proj]
    np.testing.assert_array_equal(np.c_[pre, post][np.argsort(pre)], [[0, 1], [1, 0]])
    assert sorted(w.tolist()) == [0.5, 100.0]
    times, senders = result.spikes["out"]
    assert senders.tolist() == [1] and 11.0 <= times[0] <= 12.0  # the 100 mV kick fires neuron 1
    v = result.state["out_v_m"]
    assert v.shape[1] == 2 and v.shape[0] >= 49


def test_network_errors() -> None:
    net = nd.Network()
    a = net.create("lif_psc_exp", 10, name="a")
    with pytest.raises(nd.SpecError) as e:
        net.connect(a, a, {"rule": "pairwise_bernoulli", "prob": 0.1})
    assert e.value.field == "rule.prob"
    net2 = nd.Network()
    net2.create("lif_psc_exp", 10, params={"tau_m": -5.0}, name="bad")
    with pytest.raises(nd.SpecError) as e:
        net2.simulate(10.0)
    assert "tau_m" in str(e.value)


def test_nwb_round_trip(tmp_path: Path) -> None:
    pytest.importorskip("pynwb")
    result = python_network().simulate(300.0)
    path = tmp_path / "sim.nwb"
    result.to_nwb(path)
    counts = nd.io.from_nwb(path, bin_ms=10.0, duration_ms=300.0)
    assert counts.shape == (400, 30)
    expected = np.zeros((400, 30))
    for row, pop, offset in (("exc", "exc", 0), ("inh", "inh", 320)):
        times, senders = result.spikes[pop]
        np.add.at(expected, (senders + offset, np.minimum((times / 10.0).astype(int), 29)), 1)
    np.testing.assert_array_equal(counts, expected)
    # Trials: a file with a trials table, as an experimenter's.
    import pynwb
    with pynwb.NWBHDF5IO(str(path), "a") as io:
        nwb = io.read()
        for start in (0.0, 0.1, 0.2):
            nwb.add_trial(start_time=start, stop_time=start + 0.1)
        io.write(nwb)
    trials = nd.io.from_nwb(path, bin_ms=10.0, by_trial=True)
    assert trials.shape == (3, 400, 10)
    np.testing.assert_array_equal(trials, counts.reshape(400, 3, 10).transpose(1, 0, 2))
    # The decompositions take it as is.
    cp = nd.decomp.non_negative_cp(trials[:, :40], 2, n_iter_max=20)
    assert cp.factors[0].shape == (3, 2)


def test_neo_block() -> None:
    pytest.importorskip("neo")
    result = python_network().simulate(100.0)
    block = result.to_neo()
    trains = block.segments[0].spiketrains
    assert len(trains) == 400
    total = sum(len(st) for st in trains)
    assert total == sum(len(t) for t, _ in result.spikes.values())
    assert trains[0].annotations["population"] == "exc"
