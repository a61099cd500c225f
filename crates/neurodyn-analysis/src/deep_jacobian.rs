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

/// Free-probability prediction of the density of `λ = s²` at the points `lambdas` (any order),
/// as `N → ∞`: the Cauchy transform `G(z) = (1 + w)/z` with `w = ψ(1/z)` solving
/// `z w S(w) = 1 + w` for the product S-transform of [`free_moments`]; each layer's
/// `S_{D²}(w) = u (1 + w)/w` with `E[u d/(1 − u d)] = w` (`d = φ'(h)²`). Solved by Newton's
/// method on `z = λ + iε` (`ε = 1e-4` of the spectrum's scale, which smooths the density on
/// that scale), continued from far outside the support inward; the density is `−Im G/π`.
pub fn free_density(c: &DeepNetConfig, lambdas: &[f64]) -> Vec<f64> {
    use faer::c64;
    // Each layer's law of d = φ'(h)², h ~ N(0, q): support points and weights.
    let laws: Vec<(Vec<f64>, Vec<f64>)> = preactivation_variances(c)
        .iter()
        .map(|&q| match c.nonlinearity {
            Nonlinearity::Linear => (vec![1.0], vec![1.0]),
            Nonlinearity::Relu => (vec![0.0, 1.0], vec![0.5, 0.5]),
            Nonlinearity::Tanh => {
                // Simpson on z ∈ [−8, 8]: d is smooth in z.
                let n = 400;
                let h = 16.0 / n as f64;
                let norm = h / 3.0 / (2.0 * std::f64::consts::PI).sqrt();
                (0..=n)
                    .map(|i| {
                        let z = -8.0 + i as f64 * h;
                        let simpson = if i == 0 || i == n {
                            1.0
                        } else if i % 2 == 1 {
                            4.0
                        } else {
                            2.0
                        };
                        let d = (1.0 - (q.sqrt() * z).tanh().powi(2)).powi(2);
                        (d, simpson * norm * (-0.5 * z * z).exp())
                    })
                    .unzip()
            }
        })
        .collect();
    let sw2 = c.sigma_w * c.sigma_w;
    let gaussian = c.weights == WeightInit::Gaussian;
    let n_layers = laws.len() as f64;
    // ψ_D(u) and its derivative for one layer.
    let psi = |law: &(Vec<f64>, Vec<f64>), u: c64| -> (c64, c64) {
        let (mut v, mut dv) = (c64::new(0.0, 0.0), c64::new(0.0, 0.0));
        for (d, p) in law.0.iter().zip(&law.1) {
            let one = c64::new(1.0, 0.0) - u * *d;
            v += u * (*d * *p) / one;
            dv += c64::new(*d * *p, 0.0) / (one * one);
        }
        (v, dv)
    };
    let moments = free_moments(c, 8);
    let scale = moments[7].max(f64::MIN_POSITIVE).powf(1.0 / 8.0).max(moments[0]);
    let eps = 1e-4 * scale;
    let mut order: Vec<usize> = (0..lambdas.len()).collect();
    order.sort_by(|&a, &b| lambdas[b].total_cmp(&lambdas[a]));
    let mut density = vec![0.0; lambdas.len()];
    // Start far outside the support, where w ≈ m₁/z and u_l ≈ w/E[d_l].
    let start = 8.0 * scale.max(lambdas.iter().cloned().fold(0.0, f64::max));
    let z0 = c64::new(start, eps);
    let mut w = c64::new(moments[0], 0.0) / z0;
    let mut u: Vec<c64> =
        laws.iter().map(|l| w / l.0.iter().zip(&l.1).map(|(d, p)| d * p).sum::<f64>()).collect();
    let mut path: Vec<f64> = (1..=200).map(|i| start * (1.0 - i as f64 / 200.0)).collect();
    path.retain(|x| *x > lambdas.iter().cloned().fold(0.0, f64::max));
    let targets: Vec<f64> = order.iter().map(|&i| lambdas[i]).collect();
    let solve = |x: f64, w: &mut c64, u: &mut Vec<c64>| -> c64 {
        let z = c64::new(x, eps);
        for _ in 0..100 {
            // Inner: every layer's u at this w.
            let mut dlog_s = c64::new(0.0, 0.0);
            let mut log_s = c64::new(0.0, 0.0);
            for (law, ul) in laws.iter().zip(u.iter_mut()) {
                for _ in 0..50 {
                    let (v, dv) = psi(law, *ul);
                    let step = (v - *w) / dv;
                    *ul -= step;
                    if step.norm() < 1e-14 * ul.norm().max(1e-300) {
                        break;
                    }
                }
                let dv = psi(law, *ul).1;
                log_s += ul.ln() + (c64::new(1.0, 0.0) + *w).ln() - w.ln();
                dlog_s += c64::new(1.0, 0.0) / (dv * *ul)
                    + c64::new(1.0, 0.0) / (c64::new(1.0, 0.0) + *w)
                    - c64::new(1.0, 0.0) / *w;
            }
            if gaussian {
                log_s -= (c64::new(sw2, 0.0) * (c64::new(1.0, 0.0) + *w)).ln() * n_layers;
                dlog_s -= c64::new(n_layers, 0.0) / (c64::new(1.0, 0.0) + *w);
            } else {
                log_s -= c64::new(sw2.ln() * n_layers, 0.0);
            }
            let s = log_s.exp();
            let g = z * *w * s - c64::new(1.0, 0.0) - *w;
            let dg = z * s + z * *w * s * dlog_s - c64::new(1.0, 0.0);
            let step = g / dg;
            *w -= step;
            if step.norm() < 1e-13 * w.norm().max(1e-300) {
                break;
            }
        }
        (c64::new(1.0, 0.0) + *w) / z
    };
    for x in path {
        solve(x, &mut w, &mut u);
    }
    for (rank, &x) in targets.iter().enumerate() {
        let g = solve(x, &mut w, &mut u);
        density[order[rank]] = (-g.im / std::f64::consts::PI).max(0.0);
    }
    density
}
