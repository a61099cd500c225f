//! Readouts and memory of reservoirs: ridge regression, Jaeger's memory capacity measured from
//! states, and its closed form for a linear reservoir.
//!
//! Memory capacity (Jaeger 2001): drive the reservoir with i.i.d. inputs `u_t`; for each delay
//! `k` train a linear readout of `x_t` to output `u_{t−k}` and score it on held-out steps by the
//! squared correlation `r²_k`; `MC = Σ_{k≥1} r²_k ≤ N`. For a linear reservoir
//! `x_t = W x_{t−1} + w u_t`, `x_t = Σ_j W^j w u_{t−j}`, so with `v_k = W^k w` and
//! `C = Σ_j v_j v_jᵀ` the best linear readout reaches `r²_k = v_kᵀ C⁻¹ v_k` (infinite data, no
//! regularisation), and `Σ_{k≥0} r²_k = tr(C⁻¹ C) = N` when `C` has full rank.

use faer::linalg::solvers::Solve as _;
use faer::{Mat, Side};
use neurodyn_core::mat::gemm;

/// Ridge regression with an intercept: the `(p + 1) × q` weights (row-major; the last row is
/// the intercept) minimising `‖X B + 1 c − Y‖² + α ‖B‖²` for `x` (`rows × p`) and `y`
/// (`rows × q`). `None` if the system is singular (α = 0 with collinear columns).
pub fn ridge(x: &[f64], y: &[f64], rows: usize, alpha: f64) -> Option<Vec<f64>> {
    let (p, q) = (x.len() / rows, y.len() / rows);
    let (xc, mx) = crate::columns::centred(x, rows, p);
    let (yc, my) = crate::columns::centred(y, rows, q);
    // XᵀX: the lower triangle only (all the Cholesky factorisation reads), as panels of
    // ordinary single-threaded products, C[j.., j..j+b] = X[:, j..]ᵀ X[:, j..j+b]: nearly half
    // the flops at the GEMM kernels' full speed (faer's triangular product runs at about a
    // third of it).
    const PANEL: usize = 192;
    let mut gram = Mat::zeros(p, p);
    for j in (0..p).step_by(PANEL) {
        let b = PANEL.min(p - j);
        gemm(
            gram.as_mut().submatrix_mut(j, j, p - j, b),
            faer::Accum::Replace,
            xc.as_ref().subcols(j, p - j).transpose(),
            xc.as_ref().subcols(j, b),
        );
    }
    for j in 0..p {
        gram[(j, j)] += alpha;
    }
    let mut rhs = Mat::zeros(p, q);
    gemm(rhs.as_mut(), faer::Accum::Replace, xc.transpose(), yc.as_ref());
    let b = gram.llt(Side::Lower).ok()?.solve(&rhs);
    let mut out = Vec::with_capacity((p + 1) * q);
    for j in 0..p {
        out.extend((0..q).map(|c| b[(j, c)]));
    }
    out.extend((0..q).map(|c| my[c] - (0..p).map(|j| mx[j] * b[(j, c)]).sum::<f64>()));
    out.iter().all(|v| v.is_finite()).then_some(out)
}

/// `x B + c` for ridge weights from [`ridge`] (`rows × q`).
pub fn predict(x: &[f64], weights: &[f64], rows: usize) -> Vec<f64> {
    let p = x.len() / rows;
    let q = weights.len() / (p + 1);
    let mut out = vec![0.0; rows * q];
    for i in 0..rows {
        for c in 0..q {
            out[i * q + c] =
                weights[p * q + c] + (0..p).map(|j| x[i * p + j] * weights[j * q + c]).sum::<f64>();
        }
    }
    out
}

fn squared_correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    if saa > 0.0 && sbb > 0.0 { sab * sab / (saa * sbb) } else { 0.0 }
}

/// The memory capacity per delay `k = 0 … max_delay` measured from `states` (`T × N`) driven by
/// the scalar input `u` (`T`): steps `washout..washout + n_train` train one ridge readout per
/// delay (all at once), the following steps score `r²_k`. `None` if the readout cannot be
/// solved or there are too few steps.
pub fn memory_capacity(
    states: &[f64],
    u: &[f64],
    washout: usize,
    n_train: usize,
    max_delay: usize,
    alpha: f64,
) -> Option<Vec<f64>> {
    let t = u.len();
    let n = states.len() / t.max(1);
    let start = washout.max(max_delay);
    if start + n_train + 10 > t {
        return None;
    }
    let q = max_delay + 1;
    let rows_of = |range: std::ops::Range<usize>| -> (Vec<f64>, Vec<f64>) {
        let x = range.clone().flat_map(|s| states[s * n..(s + 1) * n].iter().copied()).collect();
        let y = range.flat_map(|s| (0..q).map(move |k| u[s - k])).collect();
        (x, y)
    };
    let (xtr, ytr) = rows_of(start..start + n_train);
    let (xte, yte) = rows_of(start + n_train..t);
    let weights = ridge(&xtr, &ytr, n_train, alpha)?;
    let test_rows = t - start - n_train;
    let pred = predict(&xte, &weights, test_rows);
    Some(
        (0..q)
            .map(|k| {
                let a: Vec<f64> = (0..test_rows).map(|i| pred[i * q + k]).collect();
                let b: Vec<f64> = (0..test_rows).map(|i| yte[i * q + k]).collect();
                squared_correlation(&a, &b)
            })
            .collect(),
    )
}

/// The memory capacity per delay `k = 0 … max_delay` of the linear reservoir
/// `x_t = W x_{t−1} + w u_t` with i.i.d. inputs, in closed form (see the module docs), with
/// `C` summed until its terms fall below `1e-14` of the first (needs spectral radius < 1).
/// `None` if `C` is singular or the sum does not converge in 100 000 terms.
pub fn linear_memory_capacity(w: &Mat<f64>, input: &[f64], max_delay: usize) -> Option<Vec<f64>> {
    let n = w.nrows();
    let mut v = Mat::from_fn(n, 1, |i, _| input[i]);
    let first = v.squared_norm_l2();
    let mut c = Mat::<f64>::zeros(n, n);
    let mut delays = Vec::new();
    for j in 0..100_000 {
        if j <= max_delay {
            delays.push(v.clone());
        }
        c += &v * v.transpose();
        let size = v.squared_norm_l2();
        if j > max_delay && size < 1e-14 * first {
            let llt = c.llt(Side::Lower).ok()?;
            return Some(delays.iter().map(|d| (d.transpose() * llt.solve(d))[(0, 0)]).collect());
        }
        v = w * &v;
    }
    None
}
