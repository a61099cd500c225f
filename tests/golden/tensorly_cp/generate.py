"""Golden data: CP-ALS iterates of TensorLy from a given start.

A 12 x 10 x 8 tensor of rank 3 plus 10 % Gaussian noise and a Gaussian initial CP model are
drawn with NumPy; TensorLy's `parafac` runs 10 ALS sweeps from that start (no normalisation,
no line search, tol = 0). CP-ALS is deterministic given its start, so neurodyn's `cp_als_from`
must produce the same model up to rounding.

    python tests/golden/tensorly_cp/generate.py     # in a venv with tensorly==0.10.0 numpy==2.3.5
"""
import json
import pathlib

import numpy as np
import tensorly as tl
from tensorly.cp_tensor import CPTensor, cp_to_tensor
from tensorly.decomposition import parafac

here = pathlib.Path(__file__).parent
rng = np.random.default_rng(0)
shape, rank, sweeps = (12, 10, 8), 3, 10
truth = [rng.standard_normal((n, rank)) for n in shape]
x = cp_to_tensor((np.ones(rank), truth))
x = x + 0.1 * np.linalg.norm(x) / np.sqrt(x.size) * rng.standard_normal(shape)
init = [rng.standard_normal((n, rank)) for n in shape]
cp, errors = parafac(tl.tensor(x), rank=rank, n_iter_max=sweeps, init=CPTensor((np.ones(rank), [f.copy() for f in init])),
                     tol=0.0, normalize_factors=False, linesearch=False, return_errors=True)
model = cp_to_tensor(cp)
np.savez(here / "data.npz", x=x, init_a=init[0], init_b=init[1], init_c=init[2], model=model,
         relative_errors=np.array(errors), sweeps=np.array([sweeps]))
(here / "versions.json").write_text(json.dumps({"tensorly": tl.__version__, "numpy": np.__version__}, indent=1) + "\n")
print("relative error after", len(errors), "sweeps:", errors[-1])
