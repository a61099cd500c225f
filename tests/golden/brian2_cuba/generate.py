"""Golden statistics of the CUBA network (Vogels & Abbott 2005; Brette et al. 2007, benchmark 2)
simulated by Brian2, for crates/neurodyn-sim/tests/golden_brian2.rs.

The model is Brian2's CUBA example written out here (4000 LIF neurons, 3200 excitatory,
exponential currents in voltage units, 2% connectivity, refractory 5 ms, exact integration,
dt = 0.1 ms, 1 s). For each seed it records, per population, the mean rate [Hz], the mean ISI
coefficient of variation (neurons with at least 3 spikes) and the 10/50/90% quantiles of the
single-neuron rates and CVs. The test compares neurodyn's statistics for its own seeds with the
seed-to-seed spread of these.

    bench/.venv-spiking/bin/python tests/golden/brian2_cuba/generate.py
(bench/spiking/run.sh creates that venv from bench/spiking/requirements.txt.)
"""
import json
import pathlib
import platform

import brian2
import numpy as np
from brian2 import (NeuronGroup, SpikeMonitor, Synapses, mV, ms, prefs, run, second,
                    start_scope)

SEEDS = list(range(1, 9))
N_EXC, N = 3200, 4000


def isi_cv(times):
    if len(times) < 3:
        return np.nan
    isi = np.diff(np.sort(times))
    return isi.std(ddof=1) / isi.mean()  # unbiased variance, as neurodyn_analysis::spikes::isi_cv


def simulate(seed):
    start_scope()
    brian2.seed(seed)
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr, El = -50 * mV, -60 * mV, -49 * mV
    eqs = """
    dv/dt  = (ge+gi-(v-El))/taum : volt (unless refractory)
    dge/dt = -ge/taue : volt
    dgi/dt = -gi/taui : volt
    """
    P = NeuronGroup(N, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms,
                    method="exact")
    P.v = "Vr + rand() * (Vt - Vr)"
    P.ge = 0 * mV
    P.gi = 0 * mV
    we = (60 * 0.27 / 10) * mV
    wi = (-20 * 4.5 / 10) * mV
    Ce = Synapses(P, P, on_pre="ge += we")
    Ci = Synapses(P, P, on_pre="gi += wi")
    Ce.connect("i<3200", p=0.02)
    Ci.connect("i>=3200", p=0.02)
    mon = SpikeMonitor(P)
    run(1 * second, namespace=locals())
    trains = mon.spike_trains()
    out = {}
    for name, idx in (("exc", range(0, N_EXC)), ("inh", range(N_EXC, N))):
        rates = np.array([len(trains[i]) for i in idx], dtype=float)  # 1 s
        cvs = np.array([isi_cv(np.asarray(trains[i] / ms)) for i in idx])
        cvs = cvs[np.isfinite(cvs)]
        out[name] = [rates.mean(), cvs.mean(), *np.quantile(rates, [0.1, 0.5, 0.9]),
                     *np.quantile(cvs, [0.1, 0.5, 0.9])]
    return out


def main():
    prefs.codegen.target = "numpy"  # no compiler needed; same model equations
    here = pathlib.Path(__file__).parent
    rows = {"exc": [], "inh": []}
    for seed in SEEDS:
        stats = simulate(seed)
        for k in rows:
            rows[k].append(stats[k])
        print(seed, {k: np.round(v[:2], 3).tolist() for k, v in stats.items()}, flush=True)
    np.savez(here / "data.npz", seeds=np.array(SEEDS),
             exc=np.array(rows["exc"]), inh=np.array(rows["inh"]),
             columns=np.array(["mean_rate", "mean_cv", "rate_q10", "rate_q50", "rate_q90",
                               "cv_q10", "cv_q50", "cv_q90"]))
    versions = {"brian2": brian2.__version__, "numpy": np.__version__,
                "python": platform.python_version(), "codegen_target": "numpy",
                "seeds": SEEDS}
    (here / "versions.json").write_text(json.dumps(versions, indent=2) + "\n")


if __name__ == "__main__":
    main()
