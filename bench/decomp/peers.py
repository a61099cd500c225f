"""TensorLy runs of the decomposition benchmark, and the data every tool fits.

    python peers.py data OUT.npz {cp|ncp|nmf} SEED      # writes the planted data as `x`
    python peers.py tensorly {cp|ncp|nmf}[_masked] DATA.npz RANK ITERS

Prints one JSON line: {"tool", "method", "loop_s", "iters", "relative_error"} where
relative_error = ‖M ⊙ (X − X̂)‖ / ‖M ⊙ X‖ over the observed entries M (TensorLy's and
neurodyn's convention) and loop_s the time of the fit alone (data loaded before).

The `_masked` variants hide 15 % of the entries (NaN in the file): TensorLy fits them with
`non_negative_parafac(mask=…)` (multiplicative updates, missing entries imputed from the
model each sweep; its HALS fit takes no mask), neurodyn by exact masked HALS. (Masked CP-ALS
is compared in bench/python/vs_tensorly.py from the same start: from different random starts
ALS falls into swamps in either tool by luck.)
Sizes: CP and non-negative CP on a 100 × 100 × 100 tensor of rank 5 (+ noise), NMF on a
1000 × 500 matrix of rank 10 (TensorLy has no matrix NMF: its non-negative CP of an order-2
tensor is NMF, fitted by HALS).
"""
import json
import sys
import time

import numpy as np

SHAPES = {"cp": (100, 100, 100), "ncp": (100, 100, 100), "nmf": (1000, 500)}
RANK = {"cp": 5, "ncp": 5, "nmf": 10}


MISSING = 0.15


def make_data(method, seed):
    if method.endswith("_masked"):
        x = make_data(method.removesuffix("_masked"), seed)
        hidden = np.random.default_rng(seed + 1000).random(x.shape) < MISSING
        return np.where(hidden, np.nan, x)
    rng = np.random.default_rng(seed)
    shape, r = SHAPES[method], RANK[method]
    if method == "cp":
        factors = [rng.standard_normal((n, r)) for n in shape]
    else:
        factors = [rng.random((n, r)) for n in shape]
    x = np.einsum("ir,jr,kr->ijk", *factors) if len(shape) == 3 else factors[0] @ factors[1].T
    x = x + 0.1 * x.std() * rng.standard_normal(shape)
    if method != "cp":
        x = np.abs(x)
    return x


def tensorly_fit(method, x, rank, iters):
    import tensorly as tl
    from tensorly.decomposition import non_negative_parafac_hals, parafac
    from tensorly.decomposition import non_negative_parafac
    observed = ~np.isnan(x)
    filled = np.where(observed, x, 0.0)
    t0 = time.perf_counter()
    if method.endswith("_masked"):
        cp = non_negative_parafac(tl.tensor(filled), rank, n_iter_max=iters, init="random", tol=0.0,
                                  random_state=0, mask=tl.tensor(observed.astype(float)))
    elif method == "cp":
        cp = parafac(tl.tensor(x), rank, n_iter_max=iters, init="random", tol=0.0, random_state=0)
    else:
        cp = non_negative_parafac_hals(tl.tensor(x), rank, n_iter_max=iters, init="random", tol=0.0,
                                       random_state=0)
    loop = time.perf_counter() - t0
    xhat = tl.cp_to_tensor(cp)
    err = float(np.sqrt((((filled - xhat) * observed) ** 2).sum() / (filled ** 2).sum()))
    return loop, err


def main():
    if sys.argv[1] == "data":
        out, method, seed = sys.argv[2], sys.argv[3], int(sys.argv[4])
        np.savez(out, x=make_data(method, seed))
        return
    _, method, path, rank, iters = sys.argv[1:6]
    x = np.load(path)["x"]
    loop, err = tensorly_fit(method, x, int(rank), int(iters))
    print(json.dumps({"tool": "tensorly", "method": method, "loop_s": loop, "iters": int(iters),
                      "relative_error": err}), flush=True)


if __name__ == "__main__":
    main()
