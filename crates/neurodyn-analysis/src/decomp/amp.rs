//! Bayes-optimal approximate message passing (AMP) for rank-1 spiked matrices and order-3
//! tensors with Gaussian noise, its state evolution, and rank-1 ALS to compare with.
//!
//! Model (all modes of size `N`, factors with i.i.d. entries from the prior, unit-variance
//! Gaussian noise `W`):
//!
//! ```text
//! matrix (p = 2):  Y_ij  = √(λ/N) u_i v_j        + W_ij
//! tensor (p = 3):  Y_ijk = (√λ / N) u_i v_j w_k  + W_ijk
//! ```
//!
//! so that, for every `p`, the field on one mode `B = (scale) · Y ×_{other modes} x̂` is a
//! Gaussian channel `B = A x + √A z` with `A = λ Π_{other modes} q`, `q = ‖x̂‖²/N`
//! (Kadmon & Ganguli 2018, arXiv:1810.10065; Lesieur et al. 2017). AMP (parallel schedule)
//! subtracts the Onsager reaction `λ x̂_α^{t−1} Σ_{γ≠α} σ̄_γ Π_{δ∉{α,γ}} x̂_δ^t·x̂_δ^{t−1}/N`
//! (`σ̄`: the mean posterior variance) and applies the posterior-mean denoiser of the prior. State evolution
//! tracks the overlap `m = E[x x̂]` per mode: `m_α ← F(λ Π_{γ≠α} m_γ)` with
//! `F(A) = E[x · f(A x + √A z, A)]`; the per-entry MSE is `E[x²] − m`.
//!
//! Regimes as a function of `λ` (operational, from state evolution): *easy* when state
//! evolution from the uninformative start (the prior mean) reaches the informative fixed
//! point; *hard* when that point exists (reached from the planted start, `m = E[x²]`) but not
//! from the uninformative one; *impossible* when even the planted start decays. (The
//! information-theoretic threshold inside the hard region needs the free energy, not
//! computed here.)

use neurodyn_core::{RangeError, check, rng};
use rand::RngExt;

/// The prior of the factors' entries (unit variance).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Prior {
    /// `N(mean, 1)`.
    Gaussian {
        /// The mean `μ` (0: symmetric; > 0 e.g. for mostly positive neural factors).
        mean: f64,
    },
    /// `±1` with equal probability.
    Rademacher,
}

impl Prior {
    /// Posterior mean and variance of `x` in the channel `B = A x + √A z`.
    pub fn denoise(&self, b: f64, a: f64) -> (f64, f64) {
        match *self {
            Prior::Gaussian { mean } => ((mean + b) / (1.0 + a), 1.0 / (1.0 + a)),
            Prior::Rademacher => {
                let t = b.tanh();
                (t, 1.0 - t * t)
            }
        }
    }

    /// `E[x²]`.
    pub fn second_moment(&self) -> f64 {
        match *self {
            Prior::Gaussian { mean } => 1.0 + mean * mean,
            Prior::Rademacher => 1.0,
        }
    }

    /// `E[x]²`, the overlap of the uninformative estimate (the prior mean).
    pub fn uninformative_overlap(&self) -> f64 {
        match *self {
            Prior::Gaussian { mean } => mean * mean,
            Prior::Rademacher => 0.0,
        }
    }

    /// `F(A) = E[x · f(A x + √A z, A)]`: the overlap after a channel of strength `A`.
    pub fn overlap(&self, a: f64) -> f64 {
        match *self {
            Prior::Gaussian { mean } => (mean * mean + a * (1.0 + mean * mean)) / (1.0 + a),
            // By symmetry E[x tanh(A x + √A z)] = E[tanh(A + √A z)].
            Prior::Rademacher => crate::quad::gaussian_expectation(|z| (a + a.sqrt() * z).tanh()),
        }
    }

    fn sample(&self, r: &mut impl rand::Rng) -> f64 {
        match *self {
            Prior::Gaussian { mean } => {
                mean + rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, r)
            }
            Prior::Rademacher => {
                if r.random::<bool>() {
                    1.0
                } else {
                    -1.0
                }
            }
        }
    }
}

/// A planted instance: the data (row-major, `N^p` entries) and the factors.
#[derive(Clone, Debug, PartialEq)]
pub struct Spiked {
    /// Order `p` (2 or 3).
    pub order: usize,
    /// Mode size `N`.
    pub n: usize,
    /// Data `Y`.
    pub y: Vec<f64>,
    /// The planted factors, one per mode.
    pub factors: Vec<Vec<f64>>,
}

/// Draws a spiked matrix (`order = 2`) or tensor (`order = 3`) at SNR `λ`.
pub fn spiked(
    order: usize,
    n: usize,
    snr: f64,
    prior: Prior,
    seed: u64,
) -> Result<Spiked, RangeError> {
    check(order == 2 || order == 3, "order", order, "2 (matrix) or 3 (tensor)")?;
    check(n >= 2, "n", n, "at least 2")?;
    check(snr >= 0.0 && snr.is_finite(), "snr", snr, "a finite value >= 0")?;
    let mut r = rng::stream(seed, "spiked_factors", 0);
    let factors: Vec<Vec<f64>> =
        (0..order).map(|_| (0..n).map(|_| prior.sample(&mut r)).collect()).collect();
    let scale = signal_scale(order, n, snr);
    let mut noise = rng::stream(seed, "spiked_noise", 0);
    let mut y = Vec::with_capacity(n.pow(order as u32));
    for idx in 0..n.pow(order as u32) {
        let mut prod = scale;
        let mut rest = idx;
        for f in factors.iter().rev() {
            prod *= f[rest % n];
            rest /= n;
        }
        y.push(
            prod + rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, &mut noise),
        );
    }
    Ok(Spiked { order, n, y, factors })
}

/// `√(λ/N)` for matrices, `√λ/N` for order-3 tensors.
fn signal_scale(order: usize, n: usize, snr: f64) -> f64 {
    snr.sqrt() / (n as f64).powf((order - 1) as f64 / 2.0)
}

/// `Y` contracted with one vector per mode except `mode`, scaled by `signal_scale`.
fn contract(s: &Spiked, x: &[Vec<f64>], mode: usize, scale: f64) -> Vec<f64> {
    let n = s.n;
    let mut out = vec![0.0; n];
    match s.order {
        2 => {
            for i in 0..n {
                for j in 0..n {
                    let v = s.y[i * n + j];
                    if mode == 0 {
                        out[i] += v * x[1][j];
                    } else {
                        out[j] += v * x[0][i];
                    }
                }
            }
        }
        _ => {
            for i in 0..n {
                for j in 0..n {
                    let row = &s.y[(i * n + j) * n..(i * n + j + 1) * n];
                    match mode {
                        0 => {
                            out[i] +=
                                x[1][j] * row.iter().zip(&x[2]).map(|(a, b)| a * b).sum::<f64>()
                        }
                        1 => {
                            out[j] +=
                                x[0][i] * row.iter().zip(&x[2]).map(|(a, b)| a * b).sum::<f64>()
                        }
                        _ => {
                            let c = x[0][i] * x[1][j];
                            out.iter_mut().zip(row).for_each(|(o, a)| *o += c * a);
                        }
                    }
                }
            }
        }
    }
    out.iter_mut().for_each(|o| *o *= scale);
    out
}

/// The trajectory of an AMP run: per iteration, the overlap `x̂·x/N` and MSE of every mode.
#[derive(Clone, Debug, PartialEq)]
pub struct AmpResult {
    /// Final estimates, one per mode.
    pub estimates: Vec<Vec<f64>>,
    /// `overlaps[t][α] = x̂_α^t · x_α / N` (from the start, t = 0).
    pub overlaps: Vec<Vec<f64>>,
    /// `mse[t][α] = ‖x̂_α^t − x_α‖² / N`.
    pub mse: Vec<Vec<f64>>,
}

/// Runs `iters` AMP iterations on `s` (whose planted factors are used only to report
/// overlaps and errors). The start is the posterior mean given a side observation
/// `A₀ x + √A₀ z` of each factor, `A₀ = init_strength`: 0 is the uninformative start (the
/// prior mean); larger values give an informed start with overlap `F(A₀)`, to probe the hard
/// regime. State evolution from `m₀ = F(A₀)` predicts the trajectory.
///
/// Order-3 tensors need a zero-mean prior: with a non-zero mean our iteration was observed to
/// leave its state evolution after a few steps and oscillate (matrices are fine), so it is
/// refused rather than returned wrong.
pub fn amp(
    s: &Spiked,
    snr: f64,
    prior: Prior,
    iters: usize,
    init_strength: f64,
) -> Result<AmpResult, RangeError> {
    if let (3, Prior::Gaussian { mean }) = (s.order, prior) {
        check(
            mean == 0.0,
            "prior.mean",
            mean,
            "0 for order-3 tensors (AMP with a non-zero mean is unstable there)",
        )?;
    }
    check(
        init_strength >= 0.0 && init_strength.is_finite(),
        "init_strength",
        init_strength,
        "a finite value >= 0",
    )?;
    let (n, p) = (s.n, s.order);
    let mut side = rng::stream(0, "amp_side_information", 0);
    let (mut x, mut var): (Vec<Vec<f64>>, Vec<Vec<f64>>) = s
        .factors
        .iter()
        .map(|f| {
            f.iter()
                .map(|v| {
                    let z: f64 =
                        rand_distr::Distribution::sample(&rand_distr::StandardNormal, &mut side);
                    prior.denoise(init_strength * v + init_strength.sqrt() * z, init_strength)
                })
                .unzip()
        })
        .unzip();
    let mut prev: Vec<Vec<f64>> = vec![vec![0.0; n]; p];
    let scale = signal_scale(p, n, snr);
    let report = |x: &[Vec<f64>]| -> (Vec<f64>, Vec<f64>) {
        x.iter()
            .zip(&s.factors)
            .map(|(e, f)| {
                let o = e.iter().zip(f).map(|(a, b)| a * b).sum::<f64>() / n as f64;
                let m = e.iter().zip(f).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / n as f64;
                (o, m)
            })
            .unzip()
    };
    let (o, m) = report(&x);
    let (mut overlaps, mut mse) = (vec![o], vec![m]);
    for _ in 0..iters {
        let q: Vec<f64> =
            x.iter().map(|e| e.iter().map(|v| v * v).sum::<f64>() / n as f64).collect();
        // Overlap of each mode's estimate with its previous one: the Onsager term of mode α
        // pairs the variance of mode γ with the *previous* estimates of the third mode,
        // because those produced the messages now being corrected.
        let cross: Vec<f64> = x
            .iter()
            .zip(&prev)
            .map(|(e, p)| e.iter().zip(p).map(|(a, b)| a * b).sum::<f64>() / n as f64)
            .collect();
        let sbar: Vec<f64> = var.iter().map(|e| e.iter().sum::<f64>() / n as f64).collect();
        let mut next = Vec::with_capacity(p);
        let mut next_var = Vec::with_capacity(p);
        for a in 0..p {
            let others: Vec<usize> = (0..p).filter(|&g| g != a).collect();
            let strength = snr * others.iter().map(|&g| q[g]).product::<f64>();
            let onsager = snr
                * others
                    .iter()
                    .map(|&g| {
                        sbar[g]
                            * others.iter().filter(|&&d| d != g).map(|&d| cross[d]).product::<f64>()
                    })
                    .sum::<f64>();
            let field = contract(s, &x, a, scale);
            let (e, v): (Vec<f64>, Vec<f64>) = field
                .iter()
                .zip(&prev[a])
                .map(|(b, xp)| prior.denoise(b - onsager * xp, strength))
                .unzip();
            next.push(e);
            next_var.push(v);
        }
        prev = std::mem::replace(&mut x, next);
        var = next_var;
        let (o, m) = report(&x);
        overlaps.push(o);
        mse.push(m);
    }
    Ok(AmpResult { estimates: x, overlaps, mse })
}

/// State evolution of the overlap (the same for every mode, all modes of equal size): the
/// sequence `m_t` from `m_0`, and the per-entry MSE `E[x²] − m_t`.
pub fn state_evolution(
    order: usize,
    snr: f64,
    prior: Prior,
    iters: usize,
    m0: f64,
) -> (Vec<f64>, Vec<f64>) {
    let mut m = vec![m0];
    for _ in 0..iters {
        let last = *m.last().expect("non-empty");
        m.push(prior.overlap(snr * last.powi(order as i32 - 1)));
    }
    let mse = m.iter().map(|v| prior.second_moment() - v).collect();
    (m, mse)
}

/// Inference regime at SNR `λ` by state evolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Regime {
    /// AMP from the uninformative start reaches the informative fixed point.
    Easy,
    /// An informative fixed point exists (reached from the planted start) but not from the
    /// uninformative one.
    Hard,
    /// Even the planted start decays to the uninformative fixed point.
    Impossible,
}

/// The regime at SNR `λ` (fixed points found after 2000 iterations of state evolution; an
/// overlap above `E[x]² + 0.05 (E[x²] − E[x]²)` counts as informative).
pub fn regime(order: usize, snr: f64, prior: Prior) -> Regime {
    let floor = prior.uninformative_overlap();
    let line = floor + 0.05 * (prior.second_moment() - floor);
    // A tiny perturbation of the uninformative start: the fixed point m = 0 of a zero-mean
    // prior is otherwise exact, and its stability is what decides "easy".
    let from_prior =
        *state_evolution(order, snr, prior, 2000, floor + 1e-6).0.last().expect("non-empty");
    let from_truth = *state_evolution(order, snr, prior, 2000, prior.second_moment())
        .0
        .last()
        .expect("non-empty");
    if from_prior > line {
        Regime::Easy
    } else if from_truth > line {
        Regime::Hard
    } else {
        Regime::Impossible
    }
}

/// Rank-1 ALS from a random start: each mode in turn is the least-squares solution given the
/// others. Returns the estimates (scaled so the last mode carries the weight).
pub fn rank1_als(s: &Spiked, iters: usize, seed: u64) -> Vec<Vec<f64>> {
    let n = s.n;
    let mut r = rng::stream(seed, "als_init", 0);
    let mut x: Vec<Vec<f64>> = (0..s.order)
        .map(|_| {
            (0..n)
                .map(|_| {
                    rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, &mut r)
                })
                .collect()
        })
        .collect();
    for _ in 0..iters {
        for a in 0..s.order {
            let norm: f64 = (0..s.order)
                .filter(|&g| g != a)
                .map(|g| x[g].iter().map(|v| v * v).sum::<f64>())
                .product();
            let field = contract(s, &x, a, 1.0);
            x[a] = field.iter().map(|b| b / norm.max(f64::MIN_POSITIVE)).collect();
        }
    }
    x
}

/// `1 − cos²(x̂, x)`: the error of an estimate after the best rescaling (blind to scale and
/// sign, as ALS's factors carry arbitrary ones).
pub fn angular_error(estimate: &[f64], truth: &[f64]) -> f64 {
    let dot: f64 = estimate.iter().zip(truth).map(|(a, b)| a * b).sum();
    let ne: f64 = estimate.iter().map(|a| a * a).sum();
    let nt: f64 = truth.iter().map(|a| a * a).sum();
    1.0 - dot * dot / (ne * nt).max(f64::MIN_POSITIVE)
}
