//! CP (CANDECOMP/PARAFAC) decomposition of an order-3 tensor by alternating least squares:
//! `X_ijk ≈ Σ_r λ_r A_ir B_jr C_kr`, minimising `½ ‖M ⊙ (X − [[A, B, C]])‖²` over observed
//! entries (Carroll & Chang 1970; Harshman 1970; Kolda & Bader 2009).
//!
//! [`cp_als`] places no sign constraint; [`nncp_hals`] constrains every factor to be
//! non-negative and updates one column of one factor at a time, exactly and projected on `≥ 0`
//! (hierarchical ALS; Cichocki & Phan 2009), keeping the masked residual up to date.
//!
//! Without a mask each factor update solves the normal equations
//! `A (BᵀB ∗ CᵀC) = X_(1) (C ⊙ B)` (Hadamard product `∗` of Grams, MTTKRP on the right). With a
//! mask every row has its own Gram `Σ_jk M_ijk (b_j ∗ c_k)(b_j ∗ c_k)ᵀ`, solved row by row, so
//! missing entries are ignored rather than zero-filled (nor imputed, as TensorLy's masked fits
//! do). All rows' Grams come from one matrix product: the 0/1 mask unfolded, times the
//! Khatri–Rao product of the other factors' pairwise column products (`R(R+1)/2` columns).
//! Each update is an exact block minimiser, so the objective never increases. After fitting, the columns are normalised
//! into weights `λ` and sorted by decreasing weight.

use faer::Mat;
use faer::linalg::solvers::Solve;
use neurodyn_core::{RangeError, check, rng};
use rand_distr::{Distribution, StandardNormal};

/// Settings of a CP fit.
#[derive(Clone, Debug, PartialEq)]
pub struct CpConfig {
    /// Number of components `R` [1].
    pub rank: usize,
    /// Maximum ALS sweeps [1].
    pub max_iters: usize,
    /// Stop when the relative decrease of the objective over a sweep falls below this [1].
    pub tol: f64,
    /// Seed of the Gaussian initialisation.
    pub seed: u64,
}

/// A fitted CP model.
#[derive(Clone, Debug, PartialEq)]
pub struct CpResult {
    /// Component weights `λ`, descending.
    pub weights: Vec<f64>,
    /// Unit-norm factor matrices `A` (`I × R`), `B` (`J × R`), `C` (`K × R`), row-major.
    pub factors: [Vec<f64>; 3],
    /// Objective after initialisation and after each sweep.
    pub loss: Vec<f64>,
    /// Whether the tolerance was reached before `max_iters`.
    pub converged: bool,
}

/// Bad input to [`cp_als`].
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CpError {
    /// A setting out of range.
    #[error(transparent)]
    Config(#[from] RangeError),
    /// Data or mask of the wrong size.
    #[error("{what} has {got} entries, expected {expected} for shape {shape:?}")]
    Shape {
        /// Which array.
        what: &'static str,
        /// Its length.
        got: usize,
        /// The length required.
        expected: usize,
        /// The tensor shape.
        shape: [usize; 3],
    },
    /// An observed entry is negative (non-negative CP only).
    #[error(
        "entry {index:?} = {value}: non-negative CP needs values >= 0 where observed (mask it to ignore it)"
    )]
    Negative {
        /// Its (i, j, k).
        index: [usize; 3],
        /// The value.
        value: f64,
    },
    /// An observed entry is not finite.
    #[error("entry {index:?} = {value} is not finite (mask it to ignore it)")]
    NotFinite {
        /// Its (i, j, k).
        index: [usize; 3],
        /// The value.
        value: f64,
    },
}

/// Checks settings, sizes and finiteness of the observed entries.
fn validate(
    x: &[f64],
    shape: [usize; 3],
    mask: Option<&[bool]>,
    c: &CpConfig,
) -> Result<(), CpError> {
    let [ni, nj, nk] = shape;
    let len = ni * nj * nk;
    check(c.rank >= 1, "rank", c.rank, "at least 1")?;
    check(c.tol >= 0.0, "tol", c.tol, "a value >= 0")?;
    if x.len() != len {
        return Err(CpError::Shape { what: "data", got: x.len(), expected: len, shape });
    }
    if let Some(m) = mask
        && m.len() != len
    {
        return Err(CpError::Shape { what: "mask", got: m.len(), expected: len, shape });
    }
    let observed = |t: usize| mask.is_none_or(|m| m[t]);
    if let Some(t) = (0..len).find(|&t| observed(t) && !x[t].is_finite()) {
        return Err(CpError::NotFinite {
            index: [t / (nj * nk), (t / nk) % nj, t % nk],
            value: x[t],
        });
    }
    Ok(())
}

/// Fits a rank-`R` CP model to `x` (shape `[I, J, K]`, row-major: `x[(i·J + j)·K + k]`) from
/// Gaussian factors drawn with `c.seed`.
pub fn cp_als(
    x: &[f64],
    shape: [usize; 3],
    mask: Option<&[bool]>,
    c: &CpConfig,
) -> Result<CpResult, CpError> {
    let mut g = rng::stream(c.seed, "cp_init", 0);
    let init = shape.map(|n| (0..n * c.rank).map(|_| StandardNormal.sample(&mut g)).collect());
    cp_als_from(x, shape, mask, c, init)
}

/// [`cp_als`] from given initial factors `A`, `B`, `C` (row-major, `I × R`, `J × R`, `K × R`),
/// e.g. to continue a fit or to follow another tool's iterates from the same start.
pub fn cp_als_from(
    x: &[f64],
    shape: [usize; 3],
    mask: Option<&[bool]>,
    c: &CpConfig,
    init: [Vec<f64>; 3],
) -> Result<CpResult, CpError> {
    validate(x, shape, mask, c)?;
    let r = c.rank;
    for (m, f) in init.iter().enumerate() {
        if f.len() != shape[m] * r {
            let what = ["initial A", "initial B", "initial C"][m];
            return Err(CpError::Shape { what, got: f.len(), expected: shape[m] * r, shape });
        }
    }
    let (w, xm) = super::masked(x, mask);
    let mut factors = init;
    let mut loss = vec![masked_objective(&xm, &w, shape, &factors, r)];
    let mut converged = false;
    let x_norm2: f64 = xm.iter().map(|v| v * v).sum();
    for _ in 0..c.max_iters {
        for mode in 0..3 {
            update_mode(&xm, mask.map(|_| &w[..]), shape, &mut factors, r, mode);
        }
        // Unmasked: the objective from Grams and one MTTKRP, O((I+J+K)R² + IJKR), no model.
        let l = match mask {
            None => {
                gram_objective(x_norm2, &mttkrp(&xm, shape, &factors, r, 2), &factors, shape, r, 2)
            }
            Some(_) => masked_objective(&xm, &w, shape, &factors, r),
        };
        if super::record_and_check(&mut loss, l, c.tol) {
            converged = true;
            break;
        }
    }
    let (weights, factors) = normalise(factors, shape, r);
    Ok(CpResult { weights, factors, loss, converged })
}

/// Fits a rank-`R` non-negative CP model (all factors `≥ 0`) by HALS. Observed entries must be
/// finite and `≥ 0`.
pub fn nncp_hals(
    x: &[f64],
    shape: [usize; 3],
    mask: Option<&[bool]>,
    c: &CpConfig,
) -> Result<CpResult, CpError> {
    validate(x, shape, mask, c)?;
    let [_, nj, nk] = shape;
    let observed = |t: usize| mask.is_none_or(|m| m[t]);
    if let Some(t) = (0..x.len()).find(|&t| observed(t) && x[t] < 0.0) {
        return Err(CpError::Negative {
            index: [t / (nj * nk), (t / nk) % nj, t % nk],
            value: x[t],
        });
    }
    let (w, xm) = super::masked(x, mask);
    let r = c.rank;
    let mean = xm.iter().sum::<f64>() / w.iter().sum::<f64>().max(1.0);
    let scale = (mean.max(f64::MIN_POSITIVE) / r as f64).cbrt();
    let mut g = rng::stream(c.seed, "nncp_init", 0);
    let mut f: [Vec<f64>; 3] =
        shape.map(|n| (0..n * r).map(|_| scale * rand::RngExt::random::<f64>(&mut g)).collect());
    if mask.is_none() {
        return Ok(nncp_hals_dense(&xm, shape, f, c));
    }
    // Masked HALS: each row's column updates are exact coordinate minimisers of that row's
    // weighted least squares, from the same per-row Grams as the ALS update.
    let mut loss = vec![masked_objective(&xm, &w, shape, &f, r)];
    let mut converged = false;
    for _ in 0..c.max_iters {
        for mode in 0..3 {
            let (rhs, grams) = masked_normal_equations(&xm, &w, shape, &f, r, mode);
            for (a, row) in f[mode].chunks_exact_mut(r).enumerate() {
                super::hals_row(row, &grams[a * r * r..(a + 1) * r * r], &rhs[a * r..(a + 1) * r]);
            }
        }
        let l = masked_objective(&xm, &w, shape, &f, r);
        if super::record_and_check(&mut loss, l, c.tol) {
            converged = true;
            break;
        }
    }
    let (weights, factors) = normalise(f, shape, r);
    Ok(CpResult { weights, factors, loss, converged })
}

/// Unmasked non-negative CP by HALS on MTTKRPs and Grams (Cichocki & Phan 2009): per mode,
/// `F[:, s] ← max(0, F[:, s] + (M[:, s] − F G[:, s]) / G_ss)` with `M` the MTTKRP and `G` the
/// Hadamard product of the other Grams — the same exact column minimisers as the masked
/// version, at the cost of products instead of passes over the tensor per column.
fn nncp_hals_dense(x: &[f64], shape: [usize; 3], mut f: [Vec<f64>; 3], c: &CpConfig) -> CpResult {
    let r = c.rank;
    let x_norm2: f64 = x.iter().map(|v| v * v).sum();
    let mut loss = vec![gram_objective(x_norm2, &mttkrp(x, shape, &f, r, 2), &f, shape, r, 2)];
    let mut converged = false;
    for _ in 0..c.max_iters {
        let mut last_m = Vec::new();
        for mode in 0..3 {
            let m = mttkrp(x, shape, &f, r, mode);
            let g = other_grams(&f, shape, r, mode);
            let n = shape[mode];
            for s in 0..r {
                if g[(s, s)] <= 0.0 {
                    continue;
                }
                for a in 0..n {
                    let row = &f[mode][a * r..(a + 1) * r];
                    let fg: f64 = (0..r).map(|u| row[u] * g[(u, s)]).sum();
                    let new = (row[s] + (m[a * r + s] - fg) / g[(s, s)]).max(0.0);
                    f[mode][a * r + s] = new;
                }
            }
            last_m = m;
        }
        // The mode-2 MTTKRP does not depend on factor 2: reuse it for the objective.
        let l = gram_objective(x_norm2, &last_m, &f, shape, r, 2);
        if super::record_and_check(&mut loss, l, c.tol) {
            converged = true;
            break;
        }
    }
    let (weights, factors) = normalise(f, shape, r);
    CpResult { weights, factors, loss, converged }
}

/// `X_(mode) (F_q ⊙ F_p)`: the matricised tensor times the Khatri–Rao product of the other
/// factors (`n × R`).
fn mttkrp(x: &[f64], shape: [usize; 3], f: &[Vec<f64>; 3], r: usize, mode: usize) -> Vec<f64> {
    let (p, q) = other_modes(mode);
    unfolded_times_khatri_rao(x, shape, mode, &f[p], &f[q], r)
}

/// `X_(mode) (U_q ⊙ U_p)` for matrices `U_p` (`n_p × cols`) and `U_q` (`n_q × cols`) of the two
/// other modes `p < q` (row-major), by matrix products: mode 0 as one `I × JK` product, mode 2
/// as one `K × IJ` product (the transposed view), mode 1 as `I` products of `J × K` slices.
fn unfolded_times_khatri_rao(
    x: &[f64],
    shape: [usize; 3],
    mode: usize,
    up: &[f64],
    uq: &[f64],
    cols: usize,
) -> Vec<f64> {
    use faer::Accum;
    use neurodyn_core::mat::{gemm, view, view_mut};
    let [ni, nj, nk] = shape;
    let khatri_rao = |u: &[f64], nu: usize, v: &[f64], nv: usize| khatri_rao(u, nu, v, nv, cols);
    let mut out = vec![0.0; shape[mode] * cols];
    match mode {
        0 => {
            let kr = khatri_rao(up, nj, uq, nk);
            gemm(
                view_mut(&mut out, ni, cols),
                Accum::Replace,
                view(x, ni, nj * nk),
                view(&kr, nj * nk, cols),
            );
        }
        2 => {
            let kr = khatri_rao(up, ni, uq, nj);
            gemm(
                view_mut(&mut out, nk, cols),
                Accum::Replace,
                view(x, ni * nj, nk).transpose(),
                view(&kr, ni * nj, cols),
            );
        }
        _ => {
            for i in 0..ni {
                let scaled = khatri_rao(&up[i * cols..(i + 1) * cols], 1, uq, nk);
                let slice = &x[i * nj * nk..(i + 1) * nj * nk];
                gemm(
                    view_mut(&mut out, nj, cols),
                    Accum::Add,
                    view(slice, nj, nk),
                    view(&scaled, nk, cols),
                );
            }
        }
    }
    out
}

/// The row-wise Khatri–Rao product of `U` (`nu × cols`) and `V` (`nv × cols`): row
/// `a·nv + b` is `U[a] ∗ V[b]` (`nu·nv × cols`, row-major).
fn khatri_rao(u: &[f64], nu: usize, v: &[f64], nv: usize, cols: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(nu * nv * cols);
    for ru in u.chunks_exact(cols).take(nu) {
        for rv in v.chunks_exact(cols).take(nv) {
            out.extend(ru.iter().zip(rv).map(|(a, b)| a * b));
        }
    }
    out
}

/// Every row's normal equations of mode `mode` under a mask: the right-hand sides, the MTTKRP
/// of the zero-filled data (`n × R`), and the Grams `Σ M_abc z_bc z_bcᵀ` (`n × R × R`), from one
/// product of the unfolded 0/1 mask with the Khatri–Rao product of the other factors' pairwise
/// column products — no pass per entry.
fn masked_normal_equations(
    xm: &[f64],
    w: &[f64],
    shape: [usize; 3],
    f: &[Vec<f64>; 3],
    r: usize,
    mode: usize,
) -> (Vec<f64>, Vec<f64>) {
    let (p, q) = other_modes(mode);
    let pairs = r * (r + 1) / 2;
    let (pp, pq) =
        (super::column_pairs(&f[p], shape[p], r), super::column_pairs(&f[q], shape[q], r));
    let packed = unfolded_times_khatri_rao(w, shape, mode, &pp, &pq, pairs);
    let mut grams = vec![0.0; shape[mode] * r * r];
    for (g, pk) in grams.chunks_exact_mut(r * r).zip(packed.chunks_exact(pairs)) {
        super::unpack_gram(pk, r, g);
    }
    (mttkrp(xm, shape, f, r, mode), grams)
}

/// `FᵀF` (`R × R`).
fn gram(m: &[f64], rows: usize, r: usize) -> Mat<f64> {
    Mat::from_fn(r, r, |s, u| (0..rows).map(|i| m[i * r + s] * m[i * r + u]).sum::<f64>())
}

/// Hadamard product of the Grams of the two modes other than `mode`.
fn other_grams(f: &[Vec<f64>; 3], shape: [usize; 3], r: usize, mode: usize) -> Mat<f64> {
    let (p, q) = other_modes(mode);
    let (gp, gq) = (gram(&f[p], shape[p], r), gram(&f[q], shape[q], r));
    Mat::from_fn(r, r, |s, u| gp[(s, u)] * gq[(s, u)])
}

/// `½‖X − [[A, B, C]]‖²` without forming the model: `½(‖X‖² − 2⟨M, F⟩ + Σ (AᵀA ∗ BᵀB ∗ CᵀC))`,
/// with `M` the MTTKRP of `mode` and `F` that mode's factor.
fn gram_objective(
    x_norm2: f64,
    m: &[f64],
    f: &[Vec<f64>; 3],
    shape: [usize; 3],
    r: usize,
    mode: usize,
) -> f64 {
    let inner: f64 = m.iter().zip(&f[mode]).map(|(a, b)| a * b).sum();
    let g = other_grams(f, shape, r, mode);
    let gm = gram(&f[mode], shape[mode], r);
    let model: f64 =
        (0..r).flat_map(|s| (0..r).map(move |u| (s, u))).map(|(s, u)| g[(s, u)] * gm[(s, u)]).sum();
    (0.5 * (x_norm2 - 2.0 * inner + model)).max(0.0)
}

/// Exact least-squares update of one factor with the others fixed.
fn update_mode(
    x: &[f64],
    w: Option<&[f64]>,
    shape: [usize; 3],
    f: &mut [Vec<f64>; 3],
    r: usize,
    mode: usize,
) {
    let n = shape[mode];
    let (rhs, grams) = match w {
        None => (mttkrp(x, shape, f, r, mode), Vec::new()),
        Some(w) => masked_normal_equations(x, w, shape, f, r, mode),
    };
    // Shared Gram (BᵀB ∗ CᵀC) without a mask.
    let shared = w.is_none().then(|| other_grams(f, shape, r, mode));
    for a in 0..n {
        let mut lhs = match &shared {
            Some(g) => g.clone(),
            None => Mat::from_fn(r, r, |s, u| grams[a * r * r + s * r + u]),
        };
        // A tiny ridge keeps rows with (almost) no observations solvable; it is far below the
        // Gram's scale for any observed row.
        let trace: f64 = (0..r).map(|s| lhs[(s, s)]).sum();
        for s in 0..r {
            lhs[(s, s)] += 1e-12 * trace.max(f64::MIN_POSITIVE);
        }
        let b = faer::Col::from_fn(r, |s| rhs[a * r + s]);
        let sol = lhs.partial_piv_lu().solve(&b);
        (0..r).for_each(|s| f[mode][a * r + s] = sol[s]);
    }
}

/// `½ ‖M ⊙ (X − [[A, B, C]])‖²`, the model built by matrix products `A (C ⊙ B)ᵀ` a block of
/// rows of `A` at a time.
fn masked_objective(xm: &[f64], w: &[f64], shape: [usize; 3], f: &[Vec<f64>; 3], r: usize) -> f64 {
    use neurodyn_core::mat::{gemm, view, view_mut};
    const ROWS: usize = 8;
    let [ni, nj, nk] = shape;
    let plane = nj * nk;
    let kr = khatri_rao(&f[1], nj, &f[2], nk, r);
    let mut model = vec![0.0; ROWS * plane];
    let mut sum = 0.0;
    for i0 in (0..ni).step_by(ROWS) {
        let rows = ROWS.min(ni - i0);
        gemm(
            view_mut(&mut model, rows, plane),
            faer::Accum::Replace,
            view(&f[0][i0 * r..], rows, r),
            view(&kr, plane, r).transpose(),
        );
        let span = i0 * plane..(i0 + rows) * plane;
        sum += xm[span.clone()]
            .iter()
            .zip(&w[span])
            .zip(&model)
            .map(|((x, m), p)| m * (x - p) * (x - p))
            .sum::<f64>();
    }
    0.5 * sum
}

/// The two modes other than `mode`, in increasing order.
fn other_modes(mode: usize) -> (usize, usize) {
    match mode {
        0 => (1, 2),
        1 => (0, 2),
        _ => (0, 1),
    }
}

/// Moves column norms into weights, makes the largest-magnitude entry of `A`'s and `B`'s columns
/// positive (signs absorbed by `C`), and sorts components by weight.
fn normalise(mut f: [Vec<f64>; 3], shape: [usize; 3], r: usize) -> (Vec<f64>, [Vec<f64>; 3]) {
    let mut weights = vec![1.0; r];
    for (mode, n) in shape.iter().enumerate() {
        for s in 0..r {
            let norm = (0..*n).map(|i| f[mode][i * r + s].powi(2)).sum::<f64>().sqrt();
            if norm > 0.0 {
                (0..*n).for_each(|i| f[mode][i * r + s] /= norm);
            }
            weights[s] *= norm;
            if mode < 2 {
                let big = (0..*n)
                    .map(|i| f[mode][i * r + s])
                    .fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
                if big < 0.0 {
                    (0..*n).for_each(|i| f[mode][i * r + s] = -f[mode][i * r + s]);
                    (0..shape[2]).for_each(|i| f[2][i * r + s] = -f[2][i * r + s]);
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..r).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
    let reorder = |m: &Vec<f64>, n: usize| {
        (0..n).flat_map(|i| order.iter().map(move |&s| m[i * r + s])).collect::<Vec<f64>>()
    };
    let sorted = [reorder(&f[0], shape[0]), reorder(&f[1], shape[1]), reorder(&f[2], shape[2])];
    (order.iter().map(|&s| weights[s]).collect(), sorted)
}
