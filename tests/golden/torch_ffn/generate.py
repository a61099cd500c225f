"""Golden data for neurodyn's feed-forward networks, from PyTorch autograd (float64).

Run with the bench venv: bench/.venv/bin/python tests/golden/torch_ffn/generate.py
Writes data.npz and versions.json next to this file. For each case (activation x loss) it
stores the parameters in neurodyn's flat layout (per layer: W row-major [n_out, n_in], then
b), the inputs, targets, outputs, the loss and autograd's gradient of the loss with respect to
every parameter, plus the input-output Jacobian at the first input (torch.autograd.functional).
Losses follow neurodyn's conventions: half the mean over the batch of the summed squared
error, and the batch-mean softmax cross-entropy against target probabilities.
"""
import json
import pathlib

import numpy as np
import torch

torch.manual_seed(1234)
torch.set_default_dtype(torch.float64)
here = pathlib.Path(__file__).parent
widths = [5, 7, 6, 3]
batch = 4
acts = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "erf": torch.erf,
    "hard_tanh": torch.nn.functional.hardtanh,
    "linear": lambda z: z,
}
out = {}
for act_name, act in acts.items():
    for loss_name in ["mse", "cross_entropy"]:
        layers = [torch.nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:])]
        x = torch.randn(batch, widths[0])
        if loss_name == "mse":
            y = torch.randn(batch, widths[-1])
        else:
            y = torch.softmax(torch.randn(batch, widths[-1]), dim=1)

        def forward(inp):
            h = inp
            for i, layer in enumerate(layers):
                h = layer(h)
                if i + 1 < len(layers):
                    h = act(h)
            return h

        yhat = forward(x)
        if loss_name == "mse":
            loss = 0.5 * ((yhat - y) ** 2).sum() / batch
        else:
            loss = -(y * torch.log_softmax(yhat, dim=1)).sum() / batch
        params = []
        for layer in layers:
            params += [layer.weight, layer.bias]
        grads = torch.autograd.grad(loss, params)
        key = f"{act_name}_{loss_name}"
        out[f"{key}_params"] = np.concatenate([p.detach().numpy().ravel() for p in params])
        out[f"{key}_grads"] = np.concatenate([g.numpy().ravel() for g in grads])
        out[f"{key}_x"] = x.numpy()
        out[f"{key}_y"] = y.numpy()
        out[f"{key}_output"] = yhat.detach().numpy()
        out[f"{key}_loss"] = np.array([loss.item()])
        jac = torch.autograd.functional.jacobian(lambda v: forward(v[None, :])[0], x[0])
        out[f"{key}_jacobian"] = jac.numpy()
np.savez(here / "data.npz", **out)
(here / "versions.json").write_text(
    json.dumps({"torch": torch.__version__, "numpy": np.__version__, "seed": 1234}, indent=2) + "\n"
)
