"""The Vogels–Abbott CUBA network (Brette et al. 2007, benchmark 2) built NEST-style from
Python: 3200 excitatory and 800 inhibitory LIF neurons, 2 % connectivity, 1 s.

Run: python examples/python/cuba_from_python.py   (a few seconds)
"""

import numpy as np

import neurodyn as nd

net = nd.Network(dt=0.1, seed=1, name="cuba")
init = {"v_m": {"distribution": "uniform", "low": -60.0, "high": -50.0}}
exc = net.create("lif_psc_exp", 3200, preset="vogels_abbott_2005_cuba", init=init, name="exc")
inh = net.create("lif_psc_exp", 800, preset="vogels_abbott_2005_cuba", init=init, name="inh")
for pre, post, weight in [(exc, exc, 16.2), (exc, inh, 16.2), (inh, exc, -90.0), (inh, inh, -90.0)]:
    net.connect(pre, post, {"rule": "pairwise_bernoulli", "p": 0.02}, weight=weight,
                autapses=pre is post)  # pA
net.record("state", exc, "v_m", neurons=range(5), interval=1.0)

result = net.simulate(1000.0)
rates = result.rates()
cvs = [nd.analysis.isi_cv(t) for t in result.spike_trains("exc")[:500]]
print(f"rates: exc {rates['exc']:.2f} Hz, inh {rates['inh']:.2f} Hz; "
      f"mean ISI CV {np.nanmean(cvs):.2f}")
assert 1.0 < rates["exc"] < 50.0 and np.nanmean(cvs) > 0.5, "expected asynchronous irregular activity"
