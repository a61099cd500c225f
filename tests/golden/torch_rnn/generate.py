"""Golden data for neurodyn's rate RNN cells, produced by PyTorch in float64.

For each cell (leaky vanilla RNN written out by hand, torch.nn.GRU, torch.nn.LSTM) with a linear
readout, this stores the parameters in neurodyn's flat layout, a batch of inputs, the outputs,
and the gradient of L = sum(outputs * probe) with respect to every parameter (autograd).

neurodyn's layout (crates/neurodyn-models/src/rnn/mod.rs, `Layout`): W_h (G x N), W_x (G x I),
b_x (G), b_h (G, GRU only), W_out (O x N), b_out (O), all row-major, gates in PyTorch order
(GRU: r, z, n; LSTM: i, f, g, o). PyTorch's LSTM has two biases that only ever appear summed,
so b_x = bias_ih + bias_hh; its GRU keeps bias_hh separate because r multiplies W_hn h + b_hn.

Run: bench/.venv/bin/python tests/golden/torch_rnn/generate.py   (writes data.npz beside it)
"""
import json
import pathlib

import numpy as np
import torch

torch.manual_seed(1234)
torch.set_default_dtype(torch.float64)
T, B, I, N, O = 7, 3, 3, 5, 2
ALPHA = 0.3
out = {}


def record(name, params, outputs, probe, x, meta):
    loss = (outputs * probe).sum()
    grads = torch.autograd.grad(loss, params)
    flat = lambda ts: np.concatenate([t.detach().numpy().ravel() for t in ts])
    out[f"{name}_params"] = flat(params)
    out[f"{name}_grads"] = flat(grads)
    out[f"{name}_outputs"] = outputs.detach().numpy()
    out[f"{name}_probe"] = probe.numpy()
    out[f"{name}_inputs"] = x.numpy()
    meta[name] = [list(p.shape) for p in params]


meta = {}
x = torch.randn(T, B, I)

# Leaky vanilla RNN: h <- (1 - a) h + a tanh(W_h h + W_x x + b_x), y = W_out h + b_out.
w_h = (torch.randn(N, N) * 1.2 / N**0.5).requires_grad_()
w_x = torch.randn(N, I).requires_grad_()
b_x = (0.1 * torch.randn(N)).requires_grad_()
w_out = torch.randn(O, N).requires_grad_()
b_out = torch.randn(O).requires_grad_()
h = torch.zeros(B, N)
ys = []
for t in range(T):
    h = (1 - ALPHA) * h + ALPHA * torch.tanh(h @ w_h.T + x[t] @ w_x.T + b_x)
    ys.append(h @ w_out.T + b_out)
record("vanilla", [w_h, w_x, b_x, w_out, b_out], torch.stack(ys), torch.randn(T, B, O), x, meta)

# GRU.
gru = torch.nn.GRU(I, N)
lin = torch.nn.Linear(N, O)
hs, _ = gru(x)
record(
    "gru",
    [gru.weight_hh_l0, gru.weight_ih_l0, gru.bias_ih_l0, gru.bias_hh_l0, lin.weight, lin.bias],
    lin(hs),
    torch.randn(T, B, O),
    x,
    meta,
)

# LSTM: the two biases enter only as their sum, so they are merged into one leaf.
lstm = torch.nn.LSTM(I, N)
lin = torch.nn.Linear(N, O)
b = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().requires_grad_()
w_hh = lstm.weight_hh_l0.detach().requires_grad_()
w_ih = lstm.weight_ih_l0.detach().requires_grad_()
h = torch.zeros(B, N)
c = torch.zeros(B, N)
ys = []
for t in range(T):
    # torch.lstm_cell is the kernel nn.LSTM runs; called per step so the merged bias is a leaf.
    h, c = torch.lstm_cell(x[t], (h, c), w_ih, w_hh, b, None)
    ys.append(lin(h))
with torch.no_grad():
    ref, _ = lstm(x)
assert torch.allclose(torch.stack([y for y in ys]), lin(ref), atol=1e-12), "lstm_cell disagrees with nn.LSTM"
record("lstm", [w_hh, w_ih, b, lin.weight, lin.bias], torch.stack(ys), torch.randn(T, B, O), x, meta)

here = pathlib.Path(__file__).parent
np.savez(here / "data.npz", **out)
(here / "versions.json").write_text(
    json.dumps({"torch": torch.__version__, "numpy": np.__version__, "seed": 1234, "shapes": meta, "alpha": ALPHA}, indent=1) + "\n"
)
print("wrote", here / "data.npz")
