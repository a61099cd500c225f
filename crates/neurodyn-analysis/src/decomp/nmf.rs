//! Non-negative matrix factorisation `X ≈ W H`, `W ≥ 0` (`m × k`), `H ≥ 0` (`k × n`), minimising
//! `½ ‖M ⊙ (X − W H)‖²_F` over the observed entries `M`.
//!
//! - **Multiplicative updates** (Lee & Seung 2001), masked:
//!   `H ← H ⊙ Wᵀ(M⊙X) / (Wᵀ(M⊙WH) + ε)`, `W ← W ⊙ (M⊙X)Hᵀ / ((M⊙WH)Hᵀ + ε)`.
//! - **HALS** (Cichocki & Phan 2009): exact block-coordinate minimisation over one row of `H`
//!   (or column of `W`) at a time, projected on `≥ 0`. With a mask the one-variable problems
//!   stay exact: each column `h_j` of `H` has its own Gram `Σ_i M_ij w_i w_iᵀ` and right-hand
//!   side `Σ_i M_ij X_ij w_i` (each row of `W` likewise), all of them from matrix products —
//!   the mask times the pairwise products of `W`'s columns — and the coordinate updates run
//!   on those; without a mask this is the usual HALS.
//!
//! Both never increase the objective (HALS: each block update is an exact minimiser; MU: the
//! auxiliary-function argument), which the tests check at every iteration.

use neurodyn_core::{RangeError, check, rng};
use rand::RngExt;

/// The update rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NmfAlgorithm {
    /// Multiplicative updates.
    Mu,
    /// Hierarchical alternating least squares.
    Hals,
}

/// Settings of a fit.
#[derive(Clone, Debug, PartialEq)]
pub struct NmfConfig {
    /// Number of components `k` [1].
    pub rank: usize,
    /// Update rule.
    pub algorithm: NmfAlgorithm,
    /// Maximum number of sweeps (one update of `H` and one of `W`) [1].
    pub max_iters: usize,
    /// Stop when the relative decrease of the objective over a sweep falls below this [1].
    pub tol: f64,
    /// Seed of the random initialisation.
    pub seed: u64,
}

/// A fitted factorisation.
#[derive(Clone, Debug, PartialEq)]
pub struct NmfResult {
    /// `W`, `m × k`, row-major.
    pub w: Vec<f64>,
    /// `H`, `k × n`, row-major.
    pub h: Vec<f64>,
    /// Objective `½‖M ⊙ (X − WH)‖²` after initialisation and after each sweep.
    pub loss: Vec<f64>,
    /// Whether the tolerance was reached before `max_iters`.
    pub converged: bool,
}

/// Bad input to [`nmf`].
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum NmfError {
    /// A setting out of range.
    #[error(transparent)]
    Config(#[from] RangeError),
    /// The data or mask has the wrong size.
    #[error("{what} has {got} entries, expected {expected} ({m} × {n})")]
    Shape {
        /// Which array.
        what: &'static str,
        /// Its length.
        got: usize,
        /// The length required.
        expected: usize,
        /// Rows.
        m: usize,
        /// Columns.
        n: usize,
    },
    /// An observed entry is negative or not finite.
    #[error(
        "entry ({row}, {col}) = {value}: NMF needs finite values >= 0 where observed (mask the entry to ignore it)"
    )]
    BadValue {
        /// Row.
        row: usize,
        /// Column.
        col: usize,
        /// The value.
        value: f64,
    },
}

const EPS: f64 = 1e-12;

/// Fits `X` (`m × n`, row-major) with optional `mask` (`true` = observed).
pub fn nmf(
    x: &[f64],
    m: usize,
    n: usize,
    mask: Option<&[bool]>,
    c: &NmfConfig,
) -> Result<NmfResult, NmfError> {
    check(c.rank >= 1 && c.rank <= m.min(n), "rank", c.rank, "between 1 and min(rows, columns)")?;
    check(c.tol >= 0.0, "tol", c.tol, "a value >= 0")?;
    if x.len() != m * n {
        return Err(NmfError::Shape { what: "data", got: x.len(), expected: m * n, m, n });
    }
    if let Some(mk) = mask
        && mk.len() != m * n
    {
        return Err(NmfError::Shape { what: "mask", got: mk.len(), expected: m * n, m, n });
    }
    let observed = |i: usize| mask.is_none_or(|mk| mk[i]);
    if let Some(i) = (0..m * n).find(|&i| observed(i) && !(x[i] >= 0.0 && x[i].is_finite())) {
        return Err(NmfError::BadValue { row: i / n, col: i % n, value: x[i] });
    }
    let (mk, xm) = super::masked(x, mask);

    let k = c.rank;
    let mean = xm.iter().sum::<f64>() / mk.iter().sum::<f64>().max(1.0);
    let scale = (mean / k as f64).sqrt();
    let mut r = rng::stream(c.seed, "nmf_init", 0);
    let mut w: Vec<f64> = (0..m * k).map(|_| scale * r.random::<f64>()).collect();
    let mut h: Vec<f64> = (0..k * n).map(|_| scale * r.random::<f64>()).collect();

    let mut loss = vec![objective(&xm, &mk, &w, &h, m, n, k)];
    let mut converged = false;
    let x_norm2: f64 = xm.iter().map(|v| v * v).sum();
    for _ in 0..c.max_iters {
        let l = match (c.algorithm, mask) {
            (NmfAlgorithm::Mu, _) => {
                mu_sweep(&xm, &mk, &mut w, &mut h, m, n, k);
                objective(&xm, &mk, &w, &h, m, n, k)
            }
            (NmfAlgorithm::Hals, None) => hals_sweep_dense(&xm, x_norm2, &mut w, &mut h, m, n, k),
            (NmfAlgorithm::Hals, Some(_)) => {
                hals_sweep(&xm, &mk, &mut w, &mut h, m, n, k);
                objective(&xm, &mk, &w, &h, m, n, k)
            }
        };
        if super::record_and_check(&mut loss, l, c.tol) {
            converged = true;
            break;
        }
    }
    Ok(NmfResult { w, h, loss, converged })
}

/// `W H` (`m × n`).
fn product(w: &[f64], h: &[f64], m: usize, n: usize, k: usize) -> Vec<f64> {
    let mut out = vec![0.0; m * n];
    neurodyn_core::mat::gemm(
        neurodyn_core::mat::view_mut(&mut out, m, n),
        faer::Accum::Replace,
        neurodyn_core::mat::view(w, m, k),
        neurodyn_core::mat::view(h, k, n),
    );
    out
}

/// `½ ‖M ⊙ (X − WH)‖²`.
pub fn objective(
    xm: &[f64],
    mk: &[f64],
    w: &[f64],
    h: &[f64],
    m: usize,
    n: usize,
    k: usize,
) -> f64 {
    let wh = product(w, h, m, n, k);
    0.5 * xm.iter().zip(&wh).zip(mk).map(|((x, p), q)| q * (x - p) * (x - p)).sum::<f64>()
}

/// One multiplicative sweep, every sum a matrix product: `Wᵀ(M⊙X)`, `Wᵀ(M⊙WH)`, `(M⊙X)Hᵀ`,
/// `(M⊙WH)Hᵀ`.
fn mu_sweep(xm: &[f64], mk: &[f64], w: &mut [f64], h: &mut [f64], m: usize, n: usize, k: usize) {
    use faer::Accum;
    use neurodyn_core::mat::{gemm, view, view_mut};
    let masked_wh = |w: &[f64], h: &[f64]| -> Vec<f64> {
        product(w, h, m, n, k).iter().zip(mk).map(|(p, q)| p * q).collect()
    };
    // H ← H ⊙ Wᵀ X / Wᵀ (M ⊙ WH)
    let wh = masked_wh(w, h);
    let (mut num, mut den) = (vec![0.0; k * n], vec![0.0; k * n]);
    gemm(view_mut(&mut num, k, n), Accum::Replace, view(w, m, k).transpose(), view(xm, m, n));
    gemm(view_mut(&mut den, k, n), Accum::Replace, view(w, m, k).transpose(), view(&wh, m, n));
    h.iter_mut().zip(num.iter().zip(&den)).for_each(|(v, (a, b))| *v *= a / (b + EPS));
    // W ← W ⊙ X Hᵀ / (M ⊙ WH) Hᵀ
    let wh = masked_wh(w, h);
    let (mut num, mut den) = (vec![0.0; m * k], vec![0.0; m * k]);
    gemm(view_mut(&mut num, m, k), Accum::Replace, view(xm, m, n), view(h, k, n).transpose());
    gemm(view_mut(&mut den, m, k), Accum::Replace, view(&wh, m, n), view(h, k, n).transpose());
    w.iter_mut().zip(num.iter().zip(&den)).for_each(|(v, (a, b))| *v *= a / (b + EPS));
}

/// Unmasked HALS on products (Cichocki & Phan 2009; Gillis 2014): `WᵀX`, `WᵀW` for the rows
/// of `H`, then `XHᵀ`, `HHᵀ` for the columns of `W`, each row/column the exact projected
/// minimiser given the others. Returns the objective, from the same products:
/// `½(‖X‖² − 2⟨W, XHᵀ⟩ + ⟨WᵀW, HHᵀ⟩)`.
fn hals_sweep_dense(
    x: &[f64],
    x_norm2: f64,
    w: &mut [f64],
    h: &mut [f64],
    m: usize,
    n: usize,
    k: usize,
) -> f64 {
    use faer::Accum;
    use neurodyn_core::mat::{gemm, view, view_mut};
    // H: row r ← max(0, h_r + ((WᵀX)_r − (WᵀW)_r H) / (WᵀW)_rr).
    let mut wtx = vec![0.0; k * n];
    gemm(view_mut(&mut wtx, k, n), Accum::Replace, view(w, m, k).transpose(), view(x, m, n));
    let mut wtw = vec![0.0; k * k];
    gemm(view_mut(&mut wtw, k, k), Accum::Replace, view(w, m, k).transpose(), view(w, m, k));
    for r in 0..k {
        let d = wtw[r * k + r];
        if d <= 0.0 {
            continue;
        }
        let mut grad = wtx[r * n..(r + 1) * n].to_vec();
        for s in 0..k {
            let c = wtw[r * k + s];
            if c != 0.0 {
                grad.iter_mut().zip(&h[s * n..(s + 1) * n]).for_each(|(g, hv)| *g -= c * hv);
            }
        }
        h[r * n..(r + 1) * n]
            .iter_mut()
            .zip(&grad)
            .for_each(|(hv, g)| *hv = (*hv + g / d).max(0.0));
    }
    // W: column r ← max(0, w_r + ((XHᵀ)_r − W (HHᵀ)_r) / (HHᵀ)_rr).
    let mut xht = vec![0.0; m * k];
    gemm(view_mut(&mut xht, m, k), Accum::Replace, view(x, m, n), view(h, k, n).transpose());
    let mut hht = vec![0.0; k * k];
    gemm(view_mut(&mut hht, k, k), Accum::Replace, view(h, k, n), view(h, k, n).transpose());
    for r in 0..k {
        let d = hht[r * k + r];
        if d <= 0.0 {
            continue;
        }
        for i in 0..m {
            let row = &w[i * k..(i + 1) * k];
            let wh: f64 = (0..k).map(|s| row[s] * hht[s * k + r]).sum();
            w[i * k + r] = (row[r] + (xht[i * k + r] - wh) / d).max(0.0);
        }
    }
    let mut wtw = vec![0.0; k * k];
    gemm(view_mut(&mut wtw, k, k), Accum::Replace, view(w, m, k).transpose(), view(w, m, k));
    let inner: f64 = w.iter().zip(&xht).map(|(a, b)| a * b).sum();
    let model: f64 = wtw.iter().zip(&hht).map(|(a, b)| a * b).sum();
    (0.5 * (x_norm2 - 2.0 * inner + model)).max(0.0)
}

/// One masked HALS sweep: the columns of `H`, then the rows of `W`, each by exact coordinate
/// passes over its own normal equations (weighted Grams from the mask times pairwise column
/// products, right-hand sides from the zero-filled data), all built by matrix products.
fn hals_sweep(xm: &[f64], mk: &[f64], w: &mut [f64], h: &mut [f64], m: usize, n: usize, k: usize) {
    use faer::Accum;
    use neurodyn_core::mat::{gemm, view, view_mut};
    let pairs = k * (k + 1) / 2;
    let mut gram = vec![0.0; k * k];
    // Columns of H: Grams Mᵀ P(W) (n × pairs), right-hand sides (WᵀX)ᵀ = XᵀW (n × k).
    let pw = super::column_pairs(w, m, k);
    let mut packed = vec![0.0; n * pairs];
    gemm(
        view_mut(&mut packed, n, pairs),
        Accum::Replace,
        view(mk, m, n).transpose(),
        view(&pw, m, pairs),
    );
    let mut rhs = vec![0.0; n * k];
    gemm(view_mut(&mut rhs, n, k), Accum::Replace, view(xm, m, n).transpose(), view(w, m, k));
    let mut col = vec![0.0; k];
    for j in 0..n {
        super::unpack_gram(&packed[j * pairs..(j + 1) * pairs], k, &mut gram);
        (0..k).for_each(|r| col[r] = h[r * n + j]);
        super::hals_row(&mut col, &gram, &rhs[j * k..(j + 1) * k]);
        (0..k).for_each(|r| h[r * n + j] = col[r]);
    }
    // Rows of W: Grams M P(Hᵀ) (m × pairs), right-hand sides X Hᵀ (m × k).
    let ht: Vec<f64> =
        (0..n).flat_map(|j| (0..k).map(move |r| (j, r))).map(|(j, r)| h[r * n + j]).collect();
    let ph = super::column_pairs(&ht, n, k);
    let mut packed = vec![0.0; m * pairs];
    gemm(view_mut(&mut packed, m, pairs), Accum::Replace, view(mk, m, n), view(&ph, n, pairs));
    let mut rhs = vec![0.0; m * k];
    gemm(view_mut(&mut rhs, m, k), Accum::Replace, view(xm, m, n), view(&ht, n, k));
    for (i, row) in w.chunks_exact_mut(k).enumerate() {
        super::unpack_gram(&packed[i * pairs..(i + 1) * pairs], k, &mut gram);
        super::hals_row(row, &gram, &rhs[i * k..(i + 1) * k]);
    }
}
