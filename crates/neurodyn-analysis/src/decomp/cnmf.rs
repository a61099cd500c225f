//! Convolutive NMF: `X ≈ Σ_l W_l · shift_l(H)`, sequences (motifs) of length `L`.
//!
//! `X` is `n × t` (neurons × time), `W` holds `k` motifs of `n × L` (`w[(i·k + r)·L + l]`),
//! `H` is `k × t`; the reconstruction is `X̂[i, τ] = Σ_r Σ_l W[i, r, l] · H[r, τ − l]` (`H` is
//! zero before time 0). The objective is `½ ‖M ⊙ (X − X̂)‖²_F` over observed entries `M`.
//!
//! - **MU** (Smaragdis 2004; as in seqNMF, Mackevicius et al. 2019):
//!   `H ← H ⊙ Σ_l W_lᵀ shift_{−l}(X) / Σ_l W_lᵀ shift_{−l}(M⊙X̂)`,
//!   `W_l ← W_l ⊙ X shift_l(H)ᵀ / (M⊙X̂) shift_l(H)ᵀ`, optionally with seqNMF's
//!   cross-orthogonality penalty `λ ‖(Wᵀ ⊛ X) S Hᵀ ⊙ (1 − I)‖_{1,1}` (`S`: a moving sum over
//!   `2L − 1` steps) added to the denominators.
//! - **HALS** (Degleris, Antin, Ganguli & Williams 2019): exact coordinate descent — each
//!   entry `H[r, τ]` and each motif entry `W[i, r, l]` minimises its one-variable quadratic,
//!   projected on `≥ 0`, with the residual kept up to date; the objective never increases.
//! - **ANLS**: the same coordinate passes repeated on one block until its objective stalls
//!   (a non-negative least-squares solve, to tolerance 1e-4 or 20 passes), then the other
//!   block — Degleris et al. solve these NNLS problems with a block-pivoting solver instead.
//!
//! Cost per sweep `O(n · t · k · L)` for both.

use super::{masked, record_and_check};
use neurodyn_core::{RangeError, check, rng};
use rand::RngExt;

/// The update rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CnmfAlgorithm {
    /// Multiplicative updates (optionally with the seqNMF penalty).
    Mu,
    /// Exact coordinate descent (HALS): one pass over `H`, one over `W` per sweep.
    Hals,
    /// Alternating non-negative least squares: each block solved (by coordinate passes until
    /// its objective stalls) before the other is updated.
    Anls,
}

/// Settings of a fit.
#[derive(Clone, Debug, PartialEq)]
pub struct CnmfConfig {
    /// Number of motifs `k` [1].
    pub rank: usize,
    /// Motif length `L` [time bins].
    pub lag: usize,
    /// Update rule.
    pub algorithm: CnmfAlgorithm,
    /// seqNMF cross-orthogonality strength `λ` (MU only; 0 = plain convolutive NMF) [1].
    pub lambda: f64,
    /// Maximum number of sweeps [1].
    pub max_iters: usize,
    /// Stop when the relative decrease of the objective over a sweep falls below this [1].
    pub tol: f64,
    /// Seed of the random initialisation.
    pub seed: u64,
}

/// A fitted convolutive factorisation.
#[derive(Clone, Debug, PartialEq)]
pub struct CnmfResult {
    /// Motifs, `w[(i·k + r)·L + l]`.
    pub w: Vec<f64>,
    /// Activations, `k × t`, row-major.
    pub h: Vec<f64>,
    /// Objective (reconstruction + penalty) after initialisation and after each sweep.
    pub loss: Vec<f64>,
    /// Whether the tolerance was reached before `max_iters`.
    pub converged: bool,
}

/// Bad input to [`cnmf`].
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum CnmfError {
    /// A setting out of range.
    #[error(transparent)]
    Config(#[from] RangeError),
    /// The data or mask has the wrong size.
    #[error("{what} has {got} entries, expected {expected} ({n} × {t})")]
    Shape {
        /// Which array.
        what: &'static str,
        /// Its length.
        got: usize,
        /// The length required.
        expected: usize,
        /// Rows.
        n: usize,
        /// Columns.
        t: usize,
    },
    /// An observed entry is negative or not finite.
    #[error(
        "entry ({row}, {col}) = {value}: convolutive NMF needs finite values >= 0 where observed (mask the entry to ignore it)"
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

/// Sizes shared by every routine.
#[derive(Clone, Copy)]
struct Dims {
    n: usize,
    t: usize,
    k: usize,
    l: usize,
}

/// Fits `X` (`n × t`, row-major) with optional `mask` (`true` = observed).
pub fn cnmf(
    x: &[f64],
    n: usize,
    t: usize,
    mask: Option<&[bool]>,
    c: &CnmfConfig,
) -> Result<CnmfResult, CnmfError> {
    check(c.rank >= 1 && c.rank <= n.min(t), "rank", c.rank, "between 1 and min(rows, columns)")?;
    check(c.lag >= 1 && c.lag <= t, "lag", c.lag, "between 1 and the number of time bins")?;
    check(c.tol >= 0.0, "tol", c.tol, "a value >= 0")?;
    check(c.lambda >= 0.0 && c.lambda.is_finite(), "lambda", c.lambda, "a finite value >= 0")?;
    check(
        c.lambda == 0.0 || c.algorithm == CnmfAlgorithm::Mu,
        "lambda",
        c.lambda,
        "0 with HALS (the seqNMF penalty is implemented for MU)",
    )?;
    if x.len() != n * t {
        return Err(CnmfError::Shape { what: "data", got: x.len(), expected: n * t, n, t });
    }
    if let Some(mk) = mask
        && mk.len() != n * t
    {
        return Err(CnmfError::Shape { what: "mask", got: mk.len(), expected: n * t, n, t });
    }
    let observed = |i: usize| mask.is_none_or(|mk| mk[i]);
    if let Some(i) = (0..n * t).find(|&i| observed(i) && !(x[i] >= 0.0 && x[i].is_finite())) {
        return Err(CnmfError::BadValue { row: i / t, col: i % t, value: x[i] });
    }
    let (mk, xm) = masked(x, mask);
    let d = Dims { n, t, k: c.rank, l: c.lag };
    let mean = xm.iter().sum::<f64>() / mk.iter().sum::<f64>().max(1.0);
    let scale = (mean / (d.k * d.l) as f64).sqrt();
    let mut r = rng::stream(c.seed, "cnmf_init", 0);
    let mut w: Vec<f64> = (0..n * d.k * d.l).map(|_| scale * r.random::<f64>()).collect();
    let mut h: Vec<f64> = (0..d.k * t).map(|_| scale * r.random::<f64>()).collect();
    let total =
        |w: &[f64], h: &[f64]| objective(&xm, &mk, w, h, d) + penalty(&xm, w, h, d, c.lambda);
    let mut loss = vec![total(&w, &h)];
    let mut converged = false;
    for _ in 0..c.max_iters {
        match c.algorithm {
            CnmfAlgorithm::Mu => mu_sweep(&xm, &mk, &mut w, &mut h, d, c.lambda),
            CnmfAlgorithm::Hals => hals_sweep(&xm, &mk, &mut w, &mut h, d),
            CnmfAlgorithm::Anls => anls_sweep(&xm, &mk, &mut w, &mut h, d),
        }
        if record_and_check(&mut loss, total(&w, &h), c.tol) {
            converged = true;
            break;
        }
    }
    Ok(CnmfResult { w, h, loss, converged })
}

/// The reconstruction `X̂` (`n × t`) of motifs `w` and activations `h`; with `only = Some(r)`
/// the part of motif `r` alone.
pub fn reconstruct(
    w: &[f64],
    h: &[f64],
    n: usize,
    t: usize,
    k: usize,
    lag: usize,
    only: Option<usize>,
) -> Vec<f64> {
    let mut out = vec![0.0; n * t];
    for r in (0..k).filter(|r| only.is_none_or(|o| o == *r)) {
        // A lag of t or more shifts everything out of the window.
        for l in 0..lag.min(t) {
            let hr = &h[r * t..(r + 1) * t];
            for i in 0..n {
                let wv = w[(i * k + r) * lag + l];
                if wv == 0.0 {
                    continue;
                }
                let row = &mut out[i * t + l..(i + 1) * t];
                for (o, hv) in row.iter_mut().zip(hr) {
                    *o += wv * hv;
                }
            }
        }
    }
    out
}

fn objective(xm: &[f64], mk: &[f64], w: &[f64], h: &[f64], d: Dims) -> f64 {
    let xhat = reconstruct(w, h, d.n, d.t, d.k, d.l, None);
    0.5 * xm.iter().zip(&xhat).zip(mk).map(|((x, p), q)| q * (x - p) * (x - p)).sum::<f64>()
}

/// `Σ_l W_lᵀ shift_{−l}(Y)`: `k × t`, `[r, τ] = Σ_l Σ_i W[i, r, l] Y[i, τ + l]`.
fn wt_y(w: &[f64], y: &[f64], d: Dims) -> Vec<f64> {
    let mut out = vec![0.0; d.k * d.t];
    for r in 0..d.k {
        for l in 0..d.l {
            let row = &mut out[r * d.t..r * d.t + d.t - l];
            for i in 0..d.n {
                let wv = w[(i * d.k + r) * d.l + l];
                if wv == 0.0 {
                    continue;
                }
                for (o, yv) in row.iter_mut().zip(&y[i * d.t + l..(i + 1) * d.t]) {
                    *o += wv * yv;
                }
            }
        }
    }
    out
}

/// `Y shift_l(H)ᵀ` for every `l`: `[i, r, l] = Σ_τ Y[i, τ] H[r, τ − l]`.
fn y_ht(y: &[f64], h: &[f64], d: Dims) -> Vec<f64> {
    let mut out = vec![0.0; d.n * d.k * d.l];
    for i in 0..d.n {
        let yi = &y[i * d.t..(i + 1) * d.t];
        for r in 0..d.k {
            let hr = &h[r * d.t..(r + 1) * d.t];
            for l in 0..d.l {
                out[(i * d.k + r) * d.l + l] = yi[l..].iter().zip(hr).map(|(a, b)| a * b).sum();
            }
        }
    }
    out
}

/// Moving sum over `2L − 1` bins centred on each time (seqNMF's smoothing `S`), per row.
fn smooth(a: &[f64], rows: usize, d: Dims) -> Vec<f64> {
    let mut out = vec![0.0; rows * d.t];
    let reach = d.l - 1;
    for r in 0..rows {
        let row = &a[r * d.t..(r + 1) * d.t];
        for tau in 0..d.t {
            let (lo, hi) = (tau.saturating_sub(reach), (tau + reach + 1).min(d.t));
            out[r * d.t + tau] = row[lo..hi].iter().sum();
        }
    }
    out
}

/// seqNMF's penalty `λ Σ_{j≠r} Σ_τ (WᵀX)[j, τ] (HS)[r, τ]`.
fn penalty(xm: &[f64], w: &[f64], h: &[f64], d: Dims, lambda: f64) -> f64 {
    if lambda == 0.0 {
        return 0.0;
    }
    let wtx = wt_y(w, xm, d);
    let hs = smooth(h, d.k, d);
    let mut sum = 0.0;
    for j in 0..d.k {
        for r in (0..d.k).filter(|&r| r != j) {
            sum += (0..d.t).map(|tau| wtx[j * d.t + tau] * hs[r * d.t + tau]).sum::<f64>();
        }
    }
    lambda * sum
}

/// `Σ_{j≠r} a[j, ·]` for each row `r`.
fn others(a: &[f64], d: Dims) -> Vec<f64> {
    let mut total = vec![0.0; d.t];
    for j in 0..d.k {
        for (s, v) in total.iter_mut().zip(&a[j * d.t..(j + 1) * d.t]) {
            *s += v;
        }
    }
    (0..d.k * d.t).map(|q| total[q % d.t] - a[q]).collect()
}

fn mu_sweep(xm: &[f64], mk: &[f64], w: &mut [f64], h: &mut [f64], d: Dims, lambda: f64) {
    let masked_recon = |w: &[f64], h: &[f64]| -> Vec<f64> {
        reconstruct(w, h, d.n, d.t, d.k, d.l, None).iter().zip(mk).map(|(p, q)| p * q).collect()
    };
    // H.
    let xhat = masked_recon(w, h);
    let num = wt_y(w, xm, d);
    let mut den = wt_y(w, &xhat, d);
    if lambda > 0.0 {
        let d_h = others(&smooth(&num, d.k, d), d);
        den.iter_mut().zip(&d_h).for_each(|(a, b)| *a += lambda * b);
    }
    for ((hv, nu), de) in h.iter_mut().zip(&num).zip(&den) {
        *hv *= nu / (de + EPS);
    }
    // W.
    let xhat = masked_recon(w, h);
    let num = y_ht(xm, h, d);
    let mut den = y_ht(&xhat, h, d);
    if lambda > 0.0 {
        // ∂/∂W[i, j, l] = λ Σ_{r≠j} Σ_τ X[i, τ + l] (HS)[r, τ] = λ (X shift_l(others(HS))ᵀ)[i, j, l].
        let hs_others = others(&smooth(h, d.k, d), d);
        let d_w = y_ht(xm, &hs_others, d);
        den.iter_mut().zip(&d_w).for_each(|(a, b)| *a += lambda * b);
    }
    for ((wv, nu), de) in w.iter_mut().zip(&num).zip(&den) {
        *wv *= nu / (de + EPS);
    }
}

/// One HALS sweep: one coordinate pass over `H`, then one over `W`.
fn hals_sweep(xm: &[f64], mk: &[f64], w: &mut [f64], h: &mut [f64], d: Dims) {
    let mut res = residual(xm, mk, w, h, d);
    h_pass(mk, w, h, &mut res, d);
    w_pass(mk, w, h, &mut res, d);
}

/// One ANLS sweep: `H` solved (non-negative least squares, by coordinate passes until the
/// objective stalls, at most `ANLS_INNER`), then `W` likewise.
fn anls_sweep(xm: &[f64], mk: &[f64], w: &mut [f64], h: &mut [f64], d: Dims) {
    let mut res = residual(xm, mk, w, h, d);
    let energy = |res: &[f64]| 0.5 * res.iter().map(|v| v * v).sum::<f64>();
    for block in 0..2 {
        let mut last = energy(&res);
        for _ in 0..ANLS_INNER {
            if block == 0 {
                h_pass(mk, w, h, &mut res, d);
            } else {
                w_pass(mk, w, h, &mut res, d);
            }
            let now = energy(&res);
            if last - now <= ANLS_TOL * last {
                break;
            }
            last = now;
        }
    }
}

/// Inner passes per block of an ANLS sweep, and their stopping tolerance.
const ANLS_INNER: usize = 20;
const ANLS_TOL: f64 = 1e-4;

/// `M ⊙ (X − X̂)`.
fn residual(xm: &[f64], mk: &[f64], w: &[f64], h: &[f64], d: Dims) -> Vec<f64> {
    let xhat = reconstruct(w, h, d.n, d.t, d.k, d.l, None);
    xm.iter().zip(&xhat).zip(mk).map(|((x, p), q)| q * (x - p)).collect()
}

/// Exact coordinate minimisation over every entry of `H`, residual kept up to date.
fn h_pass(mk: &[f64], w: &[f64], h: &mut [f64], res: &mut [f64], d: Dims) {
    let Dims { n, t, k, l: lag } = d;
    // H, one entry at a time: H[r, τ] touches X[·, τ .. τ + L] (row by row: each row's window
    // is contiguous in memory, and so is W[i, r, ·]).
    for r in 0..k {
        for tau in 0..t {
            let span = lag.min(t - tau);
            let (mut num, mut den) = (0.0, 0.0);
            for i in 0..n {
                let wr = &w[(i * k + r) * lag..(i * k + r) * lag + span];
                let (rw, mw) =
                    (&res[i * t + tau..i * t + tau + span], &mk[i * t + tau..i * t + tau + span]);
                for ((wv, rv), mv) in wr.iter().zip(rw).zip(mw) {
                    num += wv * rv;
                    den += mv * wv * wv;
                }
            }
            let old = h[r * t + tau];
            let new = if den > 0.0 { (old + num / den).max(0.0) } else { old };
            let delta = new - old;
            if delta != 0.0 {
                for i in 0..n {
                    let wr = &w[(i * k + r) * lag..(i * k + r) * lag + span];
                    let mw = &mk[i * t + tau..i * t + tau + span];
                    let rw = &mut res[i * t + tau..i * t + tau + span];
                    for ((rv, wv), mv) in rw.iter_mut().zip(wr).zip(mw) {
                        *rv -= mv * wv * delta;
                    }
                }
            }
            h[r * t + tau] = new;
        }
    }
}

/// Exact coordinate minimisation over every entry of `W`, residual kept up to date.
fn w_pass(mk: &[f64], w: &mut [f64], h: &[f64], res: &mut [f64], d: Dims) {
    let Dims { n, t, k, l: lag } = d;
    // W, one entry at a time: W[i, r, l] touches row i against shift_l(H[r]).
    for r in 0..k {
        let hr = &h[r * t..(r + 1) * t];
        for l in 0..lag {
            for i in 0..n {
                let (row, mrow) = (&mut res[i * t + l..(i + 1) * t], &mk[i * t + l..(i + 1) * t]);
                let (mut num, mut den) = (0.0, 0.0);
                for ((rv, mv), hv) in row.iter().zip(mrow).zip(hr) {
                    num += rv * hv;
                    den += mv * hv * hv;
                }
                let q = (i * k + r) * lag + l;
                let old = w[q];
                let new = if den > 0.0 { (old + num / den).max(0.0) } else { old };
                let delta = new - old;
                if delta != 0.0 {
                    for ((rv, mv), hv) in row.iter_mut().zip(mrow).zip(hr) {
                        *rv -= mv * hv * delta;
                    }
                }
                w[q] = new;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::reconstruct;

    #[test]
    fn regression_motifs_longer_than_the_window_reconstruct_without_panicking() {
        // Found by the spec fuzzer (a planted sequence with lag > time bins): lags ≥ t shift
        // everything out of the window and contribute nothing.
        let (n, t, k, lag) = (2, 3, 1, 5);
        let mut w = vec![0.0; n * k * lag];
        w[0] = 1.0; // neuron 0, lag 0
        w[4] = 7.0; // neuron 0, lag 4 ≥ t
        let h = vec![1.0, 2.0, 3.0];
        assert_eq!(reconstruct(&w, &h, n, t, k, lag, None), vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0]);
    }
}
