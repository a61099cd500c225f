"""Brian2 (C++ standalone) and NEST runs of the benchmark networks, one thread each.

    python peers.py {brian2|nest} {cuba|coba} N DURATION_MS SEED [WORKDIR]

Prints one JSON line: {"tool", "model", "n", "duration_ms", "loop_s", "spikes", "events"}.
`loop_s` is the simulator's own run-loop time (Brian2: the standalone binary's measured run
time; NEST: the wall time of nest.Simulate); build and compile time is what the caller's
wall-clock adds. The networks are those of examples/spiking/cuba.toml and coba.toml, scaled
to N neurons (80 % excitatory) with connection probability 80/N (mean in-degree 80; NEST
uses fixed in-degrees 64 + 16, see nest_run). Brian2 and neurodyn use delay 0 (a spike acts
on the next update); NEST's minimum delay is one step (0.1 ms).
"""
import json
import sys
import time


def brian2_run(model, n, duration, seed, workdir):
    import brian2
    from brian2 import (NeuronGroup, SpikeMonitor, Synapses, device, mV, ms, nS, prefs,
                        run, set_device)
    set_device("cpp_standalone", directory=workdir, build_on_run=True)
    prefs.devices.cpp_standalone.openmp_threads = 0
    brian2.seed(seed)
    n_exc, p = int(0.8 * n), 80.0 / n
    taum, taue, taui = 20 * ms, 5 * ms, 10 * ms
    Vt, Vr = -50 * mV, -60 * mV
    if model == "cuba":
        El = -49 * mV
        eqs = """dv/dt = (ge+gi-(v-El))/taum : volt (unless refractory)
                 dge/dt = -ge/taue : volt
                 dgi/dt = -gi/taui : volt"""
        we, wi = (60 * 0.27 / 10) * mV, (-20 * 4.5 / 10) * mV
        method = "exact"
    else:
        El, Ee, Ei = -60 * mV, 0 * mV, -80 * mV
        eqs = """dv/dt = (ge*(Ee-v)+gi*(Ei-v)-(v-El))/taum : volt (unless refractory)
                 dge/dt = -ge/taue : 1
                 dgi/dt = -gi/taui : 1"""
        we, wi = 6 / 10.0, 67 / 10.0
        method = "exponential_euler"
    P = NeuronGroup(n, eqs, threshold="v>Vt", reset="v = Vr", refractory=5 * ms, method=method)
    P.v = "Vr + rand() * (Vt - Vr)"
    if model == "coba":
        P.ge = "(randn() * 1.5 + 4) * 10. / 10."
        P.gi = "(randn() * 12 + 20) * 10. / 10."
    Ce = Synapses(P, P, on_pre="ge += we")
    Ci = Synapses(P, P, on_pre="gi += wi")
    Ce.connect(f"i<{n_exc}", p=p)
    Ci.connect(f"i>={n_exc}", p=p)
    mon = SpikeMonitor(P, record=False)
    run(duration * ms, namespace=locals())
    spikes = int(mon.num_spikes)
    events = spikes * 80  # mean out-degree
    return device._last_run_time, spikes, events


def nest_run(model, n, duration, seed, workdir):
    import nest
    nest.set_verbosity("M_ERROR")
    nest.ResetKernel()
    nest.SetKernelStatus({"resolution": 0.1, "local_num_threads": 1, "rng_seed": seed})
    n_exc, p = int(0.8 * n), 80.0 / n
    if model == "cuba":
        params = {"C_m": 200.0, "tau_m": 20.0, "tau_syn_ex": 5.0, "tau_syn_in": 10.0,
                  "t_ref": 5.0, "E_L": -49.0, "V_reset": -60.0, "V_th": -50.0}
        pop = nest.Create("iaf_psc_exp", n, params=params)
        we, wi = 16.2, -90.0
    else:
        params = {"C_m": 200.0, "g_L": 10.0, "E_L": -60.0, "E_ex": 0.0, "E_in": -80.0,
                  "tau_syn_ex": 5.0, "tau_syn_in": 10.0, "t_ref": 5.0, "V_reset": -60.0,
                  "V_th": -50.0}
        pop = nest.Create("iaf_cond_exp", n, params=params)
        # Brian2's initial conductances (in units of g_L = 10 nS), as in coba.toml.
        import numpy as np
        rng = np.random.default_rng(seed)
        pop.g_ex = np.clip(rng.normal(40.0, 15.0, n), 0.0, None)
        pop.g_in = np.clip(rng.normal(200.0, 120.0, n), 0.0, None)
        we, wi = 6.0, -67.0
    pop.V_m = nest.random.uniform(-60.0, -50.0)
    # Fixed in-degrees with the same means (64 + 16 = 80): NEST's pairwise_bernoulli costs
    # O(N²) draws, which at 64k neurons would dominate everything measured.
    nest.Connect(pop[:n_exc], pop, {"rule": "fixed_indegree", "indegree": int(0.8 * 80)},
                 {"weight": we, "delay": 0.1})
    nest.Connect(pop[n_exc:], pop, {"rule": "fixed_indegree", "indegree": int(0.2 * 80)},
                 {"weight": wi, "delay": 0.1})
    rec = nest.Create("spike_recorder")
    nest.Connect(pop, rec)
    t0 = time.perf_counter()
    nest.Simulate(duration)
    loop = time.perf_counter() - t0
    spikes = int(rec.n_events)
    return loop, spikes, spikes * 80


def main():
    tool, model, n, duration, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
    workdir = sys.argv[6] if len(sys.argv) > 6 else "/tmp/brian2_standalone"
    run = {"brian2": brian2_run, "nest": nest_run}[tool]
    loop, spikes, events = run(model, n, duration, seed, workdir)
    print(json.dumps({"tool": tool, "model": model, "n": n, "duration_ms": duration,
                      "loop_s": loop, "spikes": spikes, "events": events}), flush=True)


if __name__ == "__main__":
    main()
