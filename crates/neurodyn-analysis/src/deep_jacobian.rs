//! Singular values of the input–output Jacobian of deep feed-forward networks at
//! initialisation (Pennington, Schoenholz & Ganguli 2017, "Resurrecting the sigmoid…";
//! Pennington, Schoenholz & Ganguli 2018).
//!
//! The network is `h_l = φ(W_l h_{l−1} + b_l)`, `l = 1…L`, of constant width `N`, with
//! `W_l` Gaussian (`N(0, σ_w²/N)` entries) or scaled orthogonal (`σ_w Q`, Haar `Q`) and
//! `b_l ~ N(0, σ_b²)`. Its Jacobian is `J = Π_l D_l W_l` with `D_l = diag φ'(W_l h_{l−1} + b_l)`.
//! Dynamical isometry means the singular values of `J` concentrate near 1.
//!
//! Free-probability oracle for the linear Gaussian case: the moments of the squared singular
//! values `λ = s²` are the Fuss–Catalan numbers, `(1/N) E tr (JJᵀ)^k → C((L+1)k, k)/(Lk + 1)`
//! for `σ_w = 1` ([`fuss_catalan`]).

use faer::Mat;
use neurodyn_core::rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Pointwise nonlinearity of the layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nonlinearity {
    /// `φ(u) = u`.
    Linear,
    /// `φ(u) = tanh u`.
    Tanh,
    /// `φ(u) = max(u, 0)`.
    Relu,
}

/// Weight ensemble.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightInit {
    /// i.i.d. `N(0, σ_w²/N)`.
    Gaussian,
    /// `σ_w Q` with `Q` Haar-orthogonal.
    Orthogonal,
}

/// A deep network at initialisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeepNetConfig {
    /// Depth `L` [1].
    pub n_layers: usize,
    /// Width `N` [1].
    pub width: usize,
    /// Nonlinearity.
    pub nonlinearity: Nonlinearity,
    /// Weight ensemble.
    pub weights: WeightInit,
    /// Weight scale `σ_w` [1].
    pub sigma_w: f64,
    /// Bias standard deviation `σ_b` [1].
    pub sigma_b: f64,
}

fn gaussian_matrix(n: usize, scale: f64, seed: u64, layer: u64) -> Mat<f64> {
    let mut r = rng::stream(seed, "deep_weights", layer);
    Mat::from_fn(n, n, |_, _| {
        let z: f64 = StandardNormal.sample(&mut r);
        scale * z
    })
}

/// A Haar-distributed orthogonal matrix: the Q of a Gaussian matrix with the signs of R's
/// diagonal moved into Q (Mezzadri 2007).
fn haar_orthogonal(n: usize, seed: u64, layer: u64) -> Mat<f64> {
    let qr = gaussian_matrix(n, 1.0, seed, layer).qr();
    let r = qr.thin_R();
    let signs: Vec<f64> = (0..n).map(|i| if r[(i, i)] < 0.0 { -1.0 } else { 1.0 }).collect();
    let q = qr.compute_thin_Q();
    Mat::from_fn(n, n, |i, j| q[(i, j)] * signs[j])
}

/// Singular values (descending) of the input–output Jacobian of one random network drawn with
/// `seed`, evaluated at an input `h_0 ~ N(0, I)`.
pub fn jacobian_singular_values(c: &DeepNetConfig, seed: u64) -> Vec<f64> {
    let n = c.width;
    let mut h: Vec<f64> = {
        let mut r = rng::stream(seed, "deep_input", 0);
        (0..n).map(|_| StandardNormal.sample(&mut r)).collect()
    };
    let mut jac = Mat::<f64>::identity(n, n);
    for l in 0..c.n_layers as u64 {
        let w = match c.weights {
            WeightInit::Gaussian => gaussian_matrix(n, c.sigma_w / (n as f64).sqrt(), seed, l),
            WeightInit::Orthogonal => faer::Scale(c.sigma_w) * haar_orthogonal(n, seed, l),
        };
        let mut rb = rng::stream(seed, "deep_bias", l);
        let u: Vec<f64> = (0..n)
            .map(|i| {
                let b: f64 = StandardNormal.sample(&mut rb);
                (0..n).map(|j| w[(i, j)] * h[j]).sum::<f64>() + c.sigma_b * b
            })
            .collect();
        let (phi, slope): (Vec<f64>, Vec<f64>) = u
            .iter()
            .map(|&v| match c.nonlinearity {
                Nonlinearity::Linear => (v, 1.0),
                Nonlinearity::Tanh => (v.tanh(), 1.0 - v.tanh().powi(2)),
                Nonlinearity::Relu => (v.max(0.0), if v > 0.0 { 1.0 } else { 0.0 }),
            })
            .unzip();
        let dw = Mat::from_fn(n, n, |i, j| slope[i] * w[(i, j)]);
        jac = &dw * &jac;
        h = phi;
    }
    let mut s = jac.singular_values().unwrap_or_default();
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

/// The Fuss–Catalan number `C((L+1)k, k) / (Lk + 1)`: the k-th moment of the squared singular
/// values of a product of `L` Ginibre matrices (variance 1/N) as `N → ∞`.
pub fn fuss_catalan(n_layers: usize, k: usize) -> f64 {
    let (l, k) = (n_layers as f64, k as f64);
    // Binomial via a product, exact in f64 for the small arguments used here.
    let top = (l + 1.0) * k;
    let binom = (0..k as usize).fold(1.0, |acc, i| acc * (top - i as f64) / (i as f64 + 1.0));
    binom / (l * k + 1.0)
}

/// Pre-activation variances `q_l` of layers `1…L` by the mean-field recursion
/// `q_1 = σ_w² + σ_b²` (inputs `N(0, I)`), `q_{l+1} = σ_w² E[φ(√q_l z)²] + σ_b²`.
pub fn preactivation_variances(c: &DeepNetConfig) -> Vec<f64> {
    let mut q = vec![c.sigma_w * c.sigma_w + c.sigma_b * c.sigma_b];
    while q.len() < c.n_layers {
        let last = *q.last().expect("non-empty");
        let second = match c.nonlinearity {
            Nonlinearity::Linear => last,
            Nonlinearity::Relu => 0.5 * last,
            Nonlinearity::Tanh => {
                crate::quad::gaussian_expectation(|z| (last.sqrt() * z).tanh().powi(2))
            }
        };
        q.push(c.sigma_w * c.sigma_w * second + c.sigma_b * c.sigma_b);
    }
    q
}

/// Free-probability prediction of the first `n_moments` moments of the squared singular values
/// `λ = s²` of the input–output Jacobian as `N → ∞` (Pennington, Schoenholz & Ganguli 2017):
/// `JJᵀ` is the free product of the layers' `D_l²` and `W_lᵀW_l`, so its S-transform is the
/// product of theirs. `D_l² = φ'(h)²` with `h ~ N(0, q_l)` ([`preactivation_variances`]);
/// `W_lᵀW_l` is Marchenko–Pastur (moments `σ_w^{2k}` times the Catalan numbers) for Gaussian
/// weights and `σ_w² I` for orthogonal ones. The transforms are handled as power series: the
/// moment series `M(z) = Σ m_k z^k` is inverted (`χ = M⁻¹`), `S(z) = χ(z)(1 + z)/z`, the
/// S-series multiplied, and the product turned back into moments.
pub fn free_moments(c: &DeepNetConfig, n_moments: usize) -> Vec<f64> {
    let k = n_moments;
    let sw2 = c.sigma_w * c.sigma_w;
    let weight_moments: Vec<f64> = (1..=k)
        .map(|j| {
            let scale = sw2.powi(j as i32);
            match c.weights {
                WeightInit::Gaussian => scale * fuss_catalan(1, j),
                WeightInit::Orthogonal => scale,
            }
        })
        .collect();
    let s_weight = s_series(&weight_moments);
    let mut s_total = vec![0.0; k];
    s_total[0] = 1.0;
    for q in preactivation_variances(c) {
        let slope_moments: Vec<f64> = (1..=k as i32)
            .map(|j| match c.nonlinearity {
                Nonlinearity::Linear => 1.0,
                Nonlinearity::Relu => 0.5,
                Nonlinearity::Tanh => crate::quad::gaussian_expectation(|z| {
                    (1.0 - (q.sqrt() * z).tanh().powi(2)).powi(2 * j)
                }),
            })
            .collect();
        s_total = series_mul(&series_mul(&s_total, &s_series(&slope_moments)), &s_weight);
    }
    // χ(z) = S(z) z / (1 + z), then M = χ⁻¹.
    let mut chi = vec![0.0; k + 1];
    for (i, s) in s_total.iter().enumerate() {
        for (j, c) in chi.iter_mut().enumerate().skip(i + 1) {
            *c += s * if (j - i - 1) % 2 == 0 { 1.0 } else { -1.0 };
        }
    }
    reversion(&chi)[1..].to_vec()
}

/// The first `k` moments `(1/N) Σ λ_i^j`, `j = 1…k`, of the squared singular values `s²`.
pub fn empirical_moments(singular_values: &[f64], k: usize) -> Vec<f64> {
    let n = singular_values.len() as f64;
    (1..=k as i32).map(|j| singular_values.iter().map(|s| s.powi(2 * j)).sum::<f64>() / n).collect()
}

/// S-transform series (`k` terms, `z⁰…z^{k−1}`) of a law with moments `m_1…m_k` (`m_1 > 0`).
fn s_series(moments: &[f64]) -> Vec<f64> {
    let k = moments.len();
    let mut m = vec![0.0; k + 1];
    m[1..].copy_from_slice(moments);
    let chi = reversion(&m);
    // S(z) = (χ(z)/z)(1 + z).
    (0..k).map(|i| chi[i + 1] + if i > 0 { chi[i] } else { 0.0 }).collect()
}

/// Product of two series, truncated to the shorter length.
fn series_mul(a: &[f64], b: &[f64]) -> Vec<f64> {
    let k = a.len().min(b.len());
    (0..k).map(|n| (0..=n).map(|i| a[i] * b[n - i]).sum()).collect()
}

/// Compositional inverse `g` of `f = f_1 z + f_2 z² + …` (`f_0 = 0`, `f_1 ≠ 0`) to the same
/// order: `f(g(z)) = z + O(z^{K+1})`, solved order by order.
fn reversion(f: &[f64]) -> Vec<f64> {
    let k = f.len() - 1;
    let mut g = vec![0.0; k + 1];
    g[1] = 1.0 / f[1];
    for n in 2..=k {
        // Coefficient n of f(g) with the current g (g_n = 0 so far); f(g) gains f_1 g_n there.
        let mut power = g.clone();
        let mut coeff = f[1] * power[n];
        for fj in &f[2..] {
            power = series_mul(&power, &g);
            coeff += fj * power[n];
        }
        g[n] = -coeff / f[1];
    }
    g
}
