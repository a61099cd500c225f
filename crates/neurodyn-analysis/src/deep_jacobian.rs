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
