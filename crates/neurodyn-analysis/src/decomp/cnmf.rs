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
//! The convolution is one matrix product: with the motifs as an `n × kL` matrix and the
//! activations lifted to their `L` shifts (`kL × t`), `X̂ = W · Hs`. MU's ratios and every
//! reconstruction go through such products. HALS and ANLS take the same coordinate steps in
//! the same order as entry-by-entry passes over the residual (kept as the tests' oracle), but
//! without missing entries they run on Gram matrices (`WᵀW`, `Hs Hsᵀ`) and never touch the
//! data inside a pass; with missing entries on the masked residual, time-major for the `H`
//! pass so that each window is contiguous, with the denominators from products.

use super::{hals_row, masked, record_and_check};
use faer::Accum;
use neurodyn_core::mat::{gemm, view, view_mut};
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
    let full = mask.is_none_or(|m| m.iter().all(|&o| o));
    let d = Dims { n, t, k: c.rank, l: c.lag };
    let mean = xm.iter().sum::<f64>() / mk.iter().sum::<f64>().max(1.0);
    let scale = (mean / (d.k * d.l) as f64).sqrt();
    let mut r = rng::stream(c.seed, "cnmf_init", 0);
    let mut w: Vec<f64> = (0..n * d.k * d.l).map(|_| scale * r.random::<f64>()).collect();
    let mut h: Vec<f64> = (0..d.k * t).map(|_| scale * r.random::<f64>()).collect();
    let fit = Fit { xm: &xm, mk: &mk, full, d };
    let mut work = Work::for_fit(&fit);
    let total = |w: &[f64], h: &[f64], work: &mut Work| {
        objective(&xm, &mk, w, h, d, work) + penalty(&xm, w, h, d, c.lambda, work)
    };
    let mut loss = vec![total(&w, &h, &mut work)];
    let mut converged = false;
    for _ in 0..c.max_iters {
        match c.algorithm {
            CnmfAlgorithm::Mu => mu_sweep(&xm, &mk, &mut w, &mut h, d, c.lambda, &mut work),
            CnmfAlgorithm::Hals => hals_sweep(fit, &mut w, &mut h, &mut work),
            CnmfAlgorithm::Anls => anls_sweep(fit, &mut w, &mut h, &mut work),
        }
        if record_and_check(&mut loss, total(&w, &h, &mut work), c.tol) {
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

/// Scratch buffers of a fit, reused by every sweep: at typical sizes each holds megabytes, and
/// allocated afresh every sweep they cost about a quarter of the time in page faults.
#[derive(Default)]
struct Work {
    /// Shifted activations, `kL × t` ([`lifted`]).
    hs: Vec<f64>,
    /// The product `Wᵀ Y`, `kL × t` ([`wt_y`]).
    p: Vec<f64>,
    /// A reconstruction, or the residual of a fit without missing entries, `n × t`.
    xhat: Vec<f64>,
    /// With missing entries: the masked residual `M ⊙ (X − X̂)`, kept up to date by the
    /// passes, and time-major copies (`t × n`) of it and of the mask for the `H` pass.
    res: Vec<f64>,
    rt: Vec<f64>,
    mt: Vec<f64>,
}

impl Work {
    /// Empty buffers, but the mask's time-major copy for a fit with missing entries (the mask
    /// does not change during a fit).
    fn for_fit(fit: &Fit<'_>) -> Work {
        let mut work = Work::default();
        if !fit.full {
            transpose(fit.mk, fit.d.n, fit.d.t, &mut work.mt);
        }
        work
    }
}

fn objective(xm: &[f64], mk: &[f64], w: &[f64], h: &[f64], d: Dims, work: &mut Work) -> f64 {
    model(w, h, d, &mut work.hs, &mut work.xhat);
    let xhat = &work.xhat;
    0.5 * xm.iter().zip(xhat).zip(mk).map(|((x, p), q)| q * (x - p) * (x - p)).sum::<f64>()
}

/// Shifted copies of the activations into `hs`, `kL × t`: row `(r, l)` holds `H[r, τ − l]`
/// (zero for `τ < l`). With the motifs as an `n × kL` matrix (their storage order),
/// `X̂ = W · Hs`: the convolution becomes one matrix product.
fn lifted(h: &[f64], d: Dims, hs: &mut Vec<f64>) {
    hs.resize(d.k * d.l * d.t, 0.0);
    for r in 0..d.k {
        let hr = &h[r * d.t..(r + 1) * d.t];
        for l in 0..d.l {
            let row = &mut hs[(r * d.l + l) * d.t..(r * d.l + l + 1) * d.t];
            row[..l].fill(0.0);
            row[l..].copy_from_slice(&hr[..d.t - l]);
        }
    }
}

/// The reconstruction `X̂ = W · Hs` (`n × t`) into `out`, as one product.
fn model(w: &[f64], h: &[f64], d: Dims, hs: &mut Vec<f64>, out: &mut Vec<f64>) {
    let kl = d.k * d.l;
    lifted(h, d, hs);
    out.resize(d.n * d.t, 0.0);
    gemm(view_mut(out, d.n, d.t), Accum::Replace, view(w, d.n, kl), view(hs, kl, d.t));
}

/// `Σ_l W_lᵀ shift_{−l}(Y)`: `k × t`, `[r, τ] = Σ_l Σ_i W[i, r, l] Y[i, τ + l]` — the
/// product `Wᵀ Y` (`kL × t`, into `p`), then its rows summed along their shifts.
fn wt_y(w: &[f64], y: &[f64], d: Dims, p: &mut Vec<f64>) -> Vec<f64> {
    let kl = d.k * d.l;
    p.resize(kl * d.t, 0.0);
    let (wt, yv) = (view(w, d.n, kl).transpose(), view(y, d.n, d.t));
    gemm(view_mut(p, kl, d.t), Accum::Replace, wt, yv);
    let mut out = vec![0.0; d.k * d.t];
    for r in 0..d.k {
        let row = &mut out[r * d.t..(r + 1) * d.t];
        for l in 0..d.l {
            let pl = &p[(r * d.l + l) * d.t..(r * d.l + l + 1) * d.t];
            row[..d.t - l].iter_mut().zip(&pl[l..]).for_each(|(o, v)| *o += v);
        }
    }
    out
}

/// `Y shift_l(H)ᵀ` for every `l`: `[i, r, l] = Σ_τ Y[i, τ] H[r, τ − l]` — the product
/// `Y · Hsᵀ` (`n × kL`, the motifs' storage order).
fn y_ht(y: &[f64], h: &[f64], d: Dims, hs: &mut Vec<f64>) -> Vec<f64> {
    let kl = d.k * d.l;
    lifted(h, d, hs);
    let mut out = vec![0.0; d.n * kl];
    let (yv, ht) = (view(y, d.n, d.t), view(hs, kl, d.t).transpose());
    gemm(view_mut(&mut out, d.n, kl), Accum::Replace, yv, ht);
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
fn penalty(xm: &[f64], w: &[f64], h: &[f64], d: Dims, lambda: f64, work: &mut Work) -> f64 {
    if lambda == 0.0 {
        return 0.0;
    }
    let wtx = wt_y(w, xm, d, &mut work.p);
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

fn mu_sweep(
    xm: &[f64],
    mk: &[f64],
    w: &mut [f64],
    h: &mut [f64],
    d: Dims,
    lambda: f64,
    work: &mut Work,
) {
    let Work { hs, p, xhat, .. } = work;
    // H.
    model(w, h, d, hs, xhat);
    xhat.iter_mut().zip(mk).for_each(|(v, q)| *v *= q);
    let num = wt_y(w, xm, d, p);
    let mut den = wt_y(w, xhat, d, p);
    if lambda > 0.0 {
        let d_h = others(&smooth(&num, d.k, d), d);
        den.iter_mut().zip(&d_h).for_each(|(a, b)| *a += lambda * b);
    }
    for ((hv, nu), de) in h.iter_mut().zip(&num).zip(&den) {
        *hv *= nu / (de + EPS);
    }
    // W.
    model(w, h, d, hs, xhat);
    xhat.iter_mut().zip(mk).for_each(|(v, q)| *v *= q);
    let num = y_ht(xm, h, d, hs);
    let mut den = y_ht(xhat, h, d, hs);
    if lambda > 0.0 {
        // ∂/∂W[i, j, l] = λ Σ_{r≠j} Σ_τ X[i, τ + l] (HS)[r, τ] = λ (X shift_l(others(HS))ᵀ)[i, j, l].
        let hs_others = others(&smooth(h, d.k, d), d);
        let d_w = y_ht(xm, &hs_others, d, hs);
        den.iter_mut().zip(&d_w).for_each(|(a, b)| *a += lambda * b);
    }
    for ((wv, nu), de) in w.iter_mut().zip(&num).zip(&den) {
        *wv *= nu / (de + EPS);
    }
}

/// One HALS sweep: one coordinate pass over `H`, then one over `W`.
fn hals_sweep(f: Fit<'_>, w: &mut [f64], h: &mut [f64], work: &mut Work) {
    f.start(w, h, work);
    f.h_pass(w, h, work);
    f.w_pass(w, h, work);
}

/// One ANLS sweep: `H` solved (non-negative least squares, by coordinate passes until the
/// objective stalls, at most `ANLS_INNER`), then `W` likewise.
fn anls_sweep(f: Fit<'_>, w: &mut [f64], h: &mut [f64], work: &mut Work) {
    f.start(w, h, work);
    for block in 0..2 {
        let mut last = f.energy(w, h, work);
        for _ in 0..ANLS_INNER {
            if block == 0 {
                f.h_pass(w, h, work);
            } else {
                f.w_pass(w, h, work);
            }
            let now = f.energy(w, h, work);
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

/// The data of a fit, for its exact coordinate passes (every entry of `H`, or of `W`, in
/// order, each minimising its one-variable quadratic projected on `≥ 0`).
///
/// - Every entry observed (`full`): the passes run on Gram matrices and never keep a residual.
///   `H`: the numerators `Σ_l W_lᵀ shift_{−l}(X − X̂)` from two products, then kept up to date
///   through the motifs' cross-products `WᵀW` (an entry couples to `k(2L − 1)` others),
///   `O(k² L t)` a pass. `W`: each row's normal equations with the shared Gram `Hs Hsᵀ` and
///   right-hand sides `X Hsᵀ`, `O(n k² L²)` a pass after two products.
/// - Missing entries: the masked residual `M ⊙ (X − X̂)`, kept up to date entry by entry
///   (`O(n k L t)` a pass over contiguous windows), the denominators from products.
#[derive(Clone, Copy)]
struct Fit<'a> {
    xm: &'a [f64],
    mk: &'a [f64],
    full: bool,
    d: Dims,
}

impl Fit<'_> {
    /// Forms the masked residual (with missing entries) from the current factors.
    fn start(&self, w: &[f64], h: &[f64], work: &mut Work) {
        if !self.full {
            let Work { hs, xhat, res, .. } = work;
            model(w, h, self.d, hs, xhat);
            res.clear();
            res.extend(self.xm.iter().zip(xhat.iter()).zip(self.mk).map(|((x, p), q)| q * (x - p)));
        }
    }

    /// `½ ‖M ⊙ (X − X̂)‖²`.
    fn energy(&self, w: &[f64], h: &[f64], work: &mut Work) -> f64 {
        if self.full {
            objective(self.xm, self.mk, w, h, self.d, work)
        } else {
            0.5 * work.res.iter().map(|v| v * v).sum::<f64>()
        }
    }

    fn h_pass(&self, w: &[f64], h: &mut [f64], work: &mut Work) {
        if self.full {
            h_pass_full(self.xm, w, h, self.d, work);
        } else {
            h_pass_masked(self.mk, w, h, self.d, work);
        }
    }

    fn w_pass(&self, w: &mut [f64], h: &[f64], work: &mut Work) {
        if self.full {
            w_pass_full(self.xm, w, h, self.d, work);
        } else {
            w_pass_masked(self.mk, w, h, self.d, work);
        }
    }
}

/// The `H` pass without missing entries. Entry `(r, τ)` reads `X[·, τ .. τ + L)`; its
/// numerator is `U[r, τ] = Σ_l Σ_i W[i, r, l] R[i, τ + l]` (`R` the residual) and a change `δ`
/// of it lowers `U[a, τ + e]` by `δ Σ_s Σ_i W[i, a, s] W[i, r, s + e]` over the overlap of the
/// two windows (cut at the end of the data) — a prefix sum along a diagonal of `WᵀW`.
fn h_pass_full(x: &[f64], w: &[f64], h: &mut [f64], d: Dims, work: &mut Work) {
    let Dims { n, t, k, l: lag } = d;
    let kl = k * lag;
    let Work { hs, p, xhat, .. } = work;
    model(w, h, d, hs, xhat);
    xhat.iter_mut().zip(x).for_each(|(v, x)| *v = x - *v);
    let mut u = wt_y(w, xhat, d, p);
    let mut q = vec![0.0; kl * kl];
    gemm(view_mut(&mut q, kl, kl), Accum::Replace, view(w, n, kl).transpose(), view(w, n, kl));
    // c[((a·k + b)·(2L − 1) + e + L − 1)·(L + 1) + m] = Σ_{s < m, 0 ≤ s + e < L} Q[(a, s), (b, s + e)].
    let offsets = 2 * lag - 1;
    let mut c = vec![0.0; k * k * offsets * (lag + 1)];
    for a in 0..k {
        for b in 0..k {
            for ei in 0..offsets {
                let cs = &mut c[((a * k + b) * offsets + ei) * (lag + 1)..][..lag + 1];
                let mut acc = 0.0;
                for s in 0..lag {
                    // s + e = s + ei − (L − 1), inside [0, L).
                    if let Some(s2) = (s + ei).checked_sub(lag - 1).filter(|&s2| s2 < lag) {
                        acc += q[(a * lag + s) * kl + b * lag + s2];
                    }
                    cs[s + 1] = acc;
                }
            }
        }
    }
    for r in 0..k {
        let diag = &c[((r * k + r) * offsets + lag - 1) * (lag + 1)..][..lag + 1];
        for tau in 0..t {
            let den = diag[lag.min(t - tau)];
            let old = h[r * t + tau];
            let new = if den > 0.0 { (old + u[r * t + tau] / den).max(0.0) } else { old };
            let delta = new - old;
            if delta != 0.0 {
                let (lo, hi) = (tau.saturating_sub(lag - 1), (tau + lag).min(t));
                for a in 0..k {
                    let car = &c[(a * k + r) * offsets * (lag + 1)..];
                    let ua = &mut u[a * t..(a + 1) * t];
                    for (tp, uv) in ua.iter_mut().enumerate().take(hi).skip(lo) {
                        *uv -= delta * car[(tp + lag - 1 - tau) * (lag + 1) + lag.min(t - tp)];
                    }
                }
            }
            h[r * t + tau] = new;
        }
    }
}

/// The `W` pass without missing entries: row `i` of `W` (`kL` entries) minimises
/// `½ wᵀ G w − bᵢᵀ w` with `G = Hs Hsᵀ`, `bᵢ = (X Hsᵀ)ᵢ`; rows are independent.
fn w_pass_full(x: &[f64], w: &mut [f64], h: &[f64], d: Dims, work: &mut Work) {
    let kl = d.k * d.l;
    let b = y_ht(x, h, d, &mut work.hs);
    let mut g = vec![0.0; kl * kl];
    let (hv, ht) = (view(&work.hs, kl, d.t), view(&work.hs, kl, d.t).transpose());
    gemm(view_mut(&mut g, kl, kl), Accum::Replace, hv, ht);
    for (row, bi) in w.chunks_exact_mut(kl).zip(b.chunks_exact(kl)) {
        hals_row(row, &g, bi);
    }
}

/// The `H` pass with missing entries, on the residual stored time-major so that entry
/// `(r, τ)`'s window `X[·, τ .. τ + L)` is one contiguous run of `n·L` values, as is motif `r`.
fn h_pass_masked(mk: &[f64], w: &[f64], h: &mut [f64], d: Dims, work: &mut Work) {
    let Dims { n, t, k, l: lag } = d;
    let squares: Vec<f64> = w.iter().map(|v| v * v).collect();
    let den = wt_y(&squares, mk, d, &mut work.p);
    let Work { res, rt, mt, .. } = work;
    debug_assert_eq!(mt.len(), n * t, "Work::for_fit transposes the mask of a masked fit");
    transpose(res, n, t, rt);
    let wt = {
        let mut wt = Vec::new();
        transpose(w, n, k * lag, &mut wt);
        wt
    };
    for r in 0..k {
        for tau in 0..t {
            let span = lag.min(t - tau);
            let wr = &wt[r * lag * n..(r * lag + span) * n];
            let window = tau * n..(tau + span) * n;
            let q = r * t + tau;
            let old = h[q];
            let new = if den[q] > 0.0 {
                (old + dot(wr, &rt[window.clone()]) / den[q]).max(0.0)
            } else {
                old
            };
            let delta = new - old;
            if delta != 0.0 {
                sub_scaled(&mut rt[window.clone()], &mt[window], wr, delta);
            }
            h[q] = new;
        }
    }
    transpose(rt, t, n, res);
}

/// The `W` pass with missing entries: entry `(i, r, l)` reads row `i` against `shift_l(H[r])`.
/// Rows are independent, so each row's `kL` entries run together (in the order `r`, `l`)
/// while the row stays in cache.
fn w_pass_masked(mk: &[f64], w: &mut [f64], h: &[f64], d: Dims, work: &mut Work) {
    let Dims { t, k, l: lag, .. } = d;
    let squares: Vec<f64> = h.iter().map(|v| v * v).collect();
    let den = y_ht(mk, &squares, d, &mut work.hs);
    let rows = work.res.chunks_exact_mut(t).zip(mk.chunks_exact(t));
    for (((row, mrow), wi), deni) in
        rows.zip(w.chunks_exact_mut(k * lag)).zip(den.chunks_exact(k * lag))
    {
        for r in 0..k {
            let hr = &h[r * t..(r + 1) * t];
            for l in 0..lag {
                let (row, mrow) = (&mut row[l..], &mrow[l..]);
                let q = r * lag + l;
                let old = wi[q];
                let new = if deni[q] > 0.0 { (old + dot(row, hr) / deni[q]).max(0.0) } else { old };
                let delta = new - old;
                if delta != 0.0 {
                    sub_scaled(row, mrow, hr, delta);
                }
                wi[q] = new;
            }
        }
    }
}

/// `Σ a_j b_j` over the shorter slice, in eight fixed lanes: the same sum at every SIMD level,
/// compiled for the widest the CPU has.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || dot_lanes(a, b),
    )
}

/// `r_j −= m_j v_j δ` over the shortest slice, dispatched like [`dot`].
fn sub_scaled(r: &mut [f64], m: &[f64], v: &[f64], delta: f64) {
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || sub_scaled_lanes(r, m, v, delta),
    )
}

#[inline(always)]
fn sub_scaled_lanes(r: &mut [f64], m: &[f64], v: &[f64], delta: f64) {
    for ((rv, mv), vv) in r.iter_mut().zip(m).zip(v) {
        *rv -= mv * vv * delta;
    }
}

#[inline(always)]
fn dot_lanes(a: &[f64], b: &[f64]) -> f64 {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut acc = [0.0; 8];
    let (ac, bc) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = ac.remainder().iter().zip(bc.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ac.zip(bc) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7])) + tail
}

/// The transpose of a row-major `rows × cols` matrix, into `out`.
fn transpose(a: &[f64], rows: usize, cols: usize, out: &mut Vec<f64>) {
    out.resize(rows * cols, 0.0);
    for (i, row) in a.chunks_exact(cols).enumerate() {
        for (j, v) in row.iter().enumerate() {
            out[j * rows + i] = *v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `M ⊙ (X − X̂)`.
    fn residual(xm: &[f64], mk: &[f64], w: &[f64], h: &[f64], d: Dims) -> Vec<f64> {
        let xhat = reconstruct(w, h, d.n, d.t, d.k, d.l, None);
        xm.iter().zip(&xhat).zip(mk).map(|((x, p), q)| q * (x - p)).collect()
    }

    /// The `H` pass as it was written first: entry by entry on the masked residual, plain
    /// loops (the oracle of the passes on products).
    fn reference_h_pass(mk: &[f64], w: &[f64], h: &mut [f64], res: &mut [f64], d: Dims) {
        let Dims { n, t, k, l: lag } = d;
        // H, one entry at a time: H[r, τ] touches X[·, τ .. τ + L] (row by row: each row's window
        // is contiguous in memory, and so is W[i, r, ·]).
        for r in 0..k {
            for tau in 0..t {
                let span = lag.min(t - tau);
                let (mut num, mut den) = (0.0, 0.0);
                for i in 0..n {
                    let wr = &w[(i * k + r) * lag..(i * k + r) * lag + span];
                    let (rw, mw) = (
                        &res[i * t + tau..i * t + tau + span],
                        &mk[i * t + tau..i * t + tau + span],
                    );
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

    /// The `W` pass likewise.
    fn reference_w_pass(mk: &[f64], w: &mut [f64], h: &[f64], res: &mut [f64], d: Dims) {
        let Dims { n, t, k, l: lag } = d;
        // W, one entry at a time: W[i, r, l] touches row i against shift_l(H[r]).
        for r in 0..k {
            let hr = &h[r * t..(r + 1) * t];
            for l in 0..lag {
                for i in 0..n {
                    let (row, mrow) =
                        (&mut res[i * t + l..(i + 1) * t], &mk[i * t + l..(i + 1) * t]);
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

    /// Random starting factors (a third of the activations zero, as after a few sweeps),
    /// data from other random factors (so that coordinate steps hit the bound at 0), and a mask
    /// with a fraction `missing` unobserved.
    fn case(d: Dims, missing: f64, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
        let mut r = rng::stream(seed, "cnmf_case", 0);
        let mut factors = || {
            let w: Vec<f64> = (0..d.n * d.k * d.l).map(|_| r.random::<f64>()).collect();
            let h: Vec<f64> = (0..d.k * d.t)
                .map(|_| if r.random::<f64>() < 0.33 { 0.0 } else { r.random::<f64>() })
                .collect();
            (w, h)
        };
        let (w_true, h_true) = factors();
        let (w, h) = factors();
        let x = reconstruct(&w_true, &h_true, d.n, d.t, d.k, d.l, None);
        let mk =
            (0..d.n * d.t).map(|_| if r.random::<f64>() < missing { 0.0 } else { 1.0 }).collect();
        (x, mk, w, h)
    }

    fn close(a: &[f64], b: &[f64], tol: f64, what: &str) {
        let scale = b.iter().fold(1.0f64, |m, v| m.max(v.abs()));
        let worst = a.iter().zip(b).map(|(p, q)| (p - q).abs()).fold(0.0, f64::max);
        assert!(worst <= tol * scale, "{what}: worst difference {worst:e} (scale {scale:e})");
    }

    #[test]
    fn every_simd_level_gives_the_same_bits() {
        // Invariant 2: the dispatched kernels use fixed lanes and no fused multiply-adds, so
        // the baseline, AVX2 and AVX-512 builds agree bit for bit.
        let a: Vec<f64> = (0..1003).map(|i| ((i * 37 % 101) as f64 - 50.0) / 7.0).collect();
        let b: Vec<f64> = (0..1003).map(|i| ((i * 53 % 89) as f64 - 44.0) / 3.0).collect();
        let run = |a: &[f64], b: &[f64]| {
            let mut r = a.to_vec();
            sub_scaled_lanes(&mut r, b, a, 0.37);
            (dot_lanes(a, b).to_bits(), r.iter().map(|v| v.to_bits()).collect::<Vec<_>>())
        };
        let baseline = run(&a, &b);
        let mut r = a.clone();
        sub_scaled(&mut r, &b, &a, 0.37);
        let dispatched = (dot(&a, &b).to_bits(), r.iter().map(|v| v.to_bits()).collect());
        assert_eq!(dispatched, baseline, "dispatched (widest level)");
        #[cfg(target_arch = "x86_64")]
        {
            use pulp::x86::{V3, V4};
            if let Some(v3) = V3::try_new() {
                assert_eq!(v3.vectorize(|| run(&a, &b)), baseline, "AVX2");
            }
            if let Some(v4) = V4::try_new() {
                assert_eq!(v4.vectorize(|| run(&a, &b)), baseline, "AVX-512");
            }
        }
    }

    #[test]
    fn products_match_their_loops() {
        // The convolution as products (W·Hs, WᵀY shifted, Y·Hsᵀ) against plain loops, with
        // motifs nearly as long as the data (windows cut at the end).
        for d in [Dims { n: 7, t: 40, k: 3, l: 6 }, Dims { n: 5, t: 9, k: 2, l: 8 }] {
            let (x, _, w, h) = case(d, 0.0, 1);
            let mut work = Work::default();
            model(&w, &h, d, &mut work.hs, &mut work.xhat);
            close(&work.xhat, &reconstruct(&w, &h, d.n, d.t, d.k, d.l, None), 1e-14, "model");
            let mut wty = vec![0.0; d.k * d.t];
            let mut yht = vec![0.0; d.n * d.k * d.l];
            for (i, r, l) in
                (0..d.n).flat_map(|i| (0..d.k).flat_map(move |r| (0..d.l).map(move |l| (i, r, l))))
            {
                let wv = w[(i * d.k + r) * d.l + l];
                for tau in 0..d.t - l {
                    wty[r * d.t + tau] += wv * x[i * d.t + tau + l];
                    yht[(i * d.k + r) * d.l + l] += x[i * d.t + tau + l] * h[r * d.t + tau];
                }
            }
            close(&wt_y(&w, &x, d, &mut work.p), &wty, 1e-14, "wt_y");
            close(&y_ht(&x, &h, d, &mut work.hs), &yht, 1e-14, "y_ht");
        }
    }

    #[test]
    fn passes_on_products_match_the_per_entry_passes() {
        // Both paths (Grams without missing entries, the time-major residual with them) take
        // the same coordinate steps as the per-entry passes, in the same order, up to
        // rounding — including windows cut at the end of the data (L close to t).
        for (d, seed) in
            [(Dims { n: 9, t: 60, k: 3, l: 7 }, 2), (Dims { n: 4, t: 10, k: 2, l: 8 }, 3)]
        {
            for missing in [0.0, 0.2] {
                let (x, mk, w0, h0) = case(d, missing, seed);
                let xm: Vec<f64> = x.iter().zip(&mk).map(|(v, q)| v * q).collect();
                let fit = Fit { xm: &xm, mk: &mk, full: missing == 0.0, d };
                let (mut w, mut h, mut work) = (w0.clone(), h0.clone(), Work::for_fit(&fit));
                let (mut rw, mut rh) = (w0.clone(), h0.clone());
                for sweep in 0..3 {
                    fit.start(&w, &h, &mut work);
                    fit.h_pass(&w, &mut h, &mut work);
                    fit.w_pass(&mut w, &h, &mut work);
                    let mut res = residual(&xm, &mk, &rw, &rh, d);
                    reference_h_pass(&mk, &rw, &mut rh, &mut res, d);
                    reference_w_pass(&mk, &mut rw, &rh, &mut res, d);
                    let what = format!("missing {missing}, t {}, sweep {sweep}", d.t);
                    close(&h, &rh, 1e-9, &format!("H ({what})"));
                    close(&w, &rw, 1e-9, &format!("W ({what})"));
                    if missing > 0.0 {
                        close(&work.res, &res, 1e-9, &format!("residual ({what})"));
                    }
                }
                let clamped = h.iter().zip(&h0).filter(|(a, b)| **a == 0.0 && **b > 0.0).count();
                assert!(clamped > 0, "the projection on >= 0 is exercised");
            }
        }
    }

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
