"""seqNMF on an NWB file: simulate a network in which a chain of neurons fires in sequence,
write its spikes to NWB (as a lab's recording would arrive), read them back binned, and find
the sequence with convolutive NMF.

Run: python examples/python/seqnmf_on_nwb.py   (needs pip install 'neurodyn[nwb]'; seconds)
"""

import sys
import tempfile
from pathlib import Path

import numpy as np

import neurodyn as nd

try:
    import pynwb  # noqa: F401
except ImportError:
    sys.exit("this example needs pynwb: pip install 'neurodyn[nwb]'")

# A 20-neuron chain: a spike generator starts a wave every 200 ms, each neuron kicks the next.
N, PERIOD = 20, 200.0
net = nd.Network(dt=0.1, seed=0, name="chain")
start = net.create("spike_generator", 1, params={"spike_times": [list(np.arange(20.0, 2000.0, PERIOD))]},
                   name="start")
chain = net.create("lif_psc_delta", N, name="chain")
net.connect(start, chain, ([0], [0]), weight=30.0, delay=1.0)
net.connect(chain, chain, (np.arange(N - 1), np.arange(1, N)), weight=30.0, delay=4.0)
noise = net.create("poisson_generator", N, params={"rate": 2.0}, name="noise")
net.connect(noise, chain, "one_to_one", weight=30.0)
result = net.simulate(2000.0)

with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "chain.nwb"
    result.to_nwb(path, session_description="a synfire chain simulated by neurodyn")
    rows = nd.io.from_nwb(path, bin_ms=5.0, duration_ms=2000.0, population="chain")

# Convolutive NMF has local minima (a motif shifted out of its window, a neuron lost): as
# with any non-convex fit, keep the best of a few random starts.
fits = [nd.decomp.SeqNMF(rank=1, lag=30, max_iter=300, random_state=seed).fit(rows) for seed in range(5)]
error = [np.linalg.norm(nd.decomp.cnmf_reconstruct(m.components_, m.activations_) - rows) for m in fits]
model = fits[int(np.argmin(error))]
w = model.components_[:, 0, :]  # (neuron, lag)
peak = w.argmax(axis=1)
explained = 1 - min(error) ** 2 / np.linalg.norm(rows) ** 2
print(f"seqNMF: motif peaks by neuron {peak.tolist()}; variance explained {explained:.2f}")
assert np.all(np.diff(peak) >= 0) and peak[-1] - peak[0] >= 14, "the motif should be the chain's order"
