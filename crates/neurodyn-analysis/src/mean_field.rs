//! Signal propagation through deep random networks at initialisation: the mean-field
//! pre-activation variance map, its fixed point and criticality (Poole et al. 2016; Schoenholz
//! et al. 2017; Pennington, Schoenholz & Ganguli 2017, arXiv:1711.04735), and the finite-width
//! fluctuations of the kernel (Roberts, Yaida & Hanin, *The Principles of Deep Learning
//! Theory*, 2021; Hanin & Nica 2019).
//!
//! Layers `z^{l+1} = W^{l+1} φ(z^l) + b^{l+1}` with `W_ij ~ N(0, σ_w²/n)`, `b_i ~ N(0, σ_b²)`.
//! At infinite width every unit of layer `l` is Gaussian with variance `q^l`, and
//! `q^{l+1} = σ_w² E_z[φ(√q^l z)²] + σ_b²` ([`variance_map`]). Its fixed point `q*` is stable
//! when `χ₁ = σ_w² E[φ'(√q* z)²] ≤ 1` ([`chi_1`]); `χ₁ = 1` is the critical line (ReLU:
//! `σ_w² = 2`, `σ_b = 0`, where `q^l` is constant; elsewhere it shrinks or grows by `σ_w²/2`
//! per layer).
//!
//! At finite width `n` the kernel `K^l = (1/n) Σ_i (z_i^l)²` of one input fluctuates from
//! network to network. For ReLU with `σ_b = 0`, given layer `l` the units of layer `l + 1` are
//! i.i.d. `N(0, K̂)` with `K̂ = (σ_w²/n) Σ_j relu(z_j^l)²`, so `K^l` is `q^l` times a product of
//! `l − 1` independent mean-one factors of variance `5/n` and one (`χ²_n/n`) of variance `2/n`:
//! `Var[ln K^l] ≈ (5(l − 1) + 2)/n`, growing as depth/width ([`relu_log_kernel_variance`]).

use crate::quad::gaussian_expectation;

/// `σ_w² E_z[φ(√q z)²] + σ_b²`: the next layer's pre-activation variance.
pub fn variance_map(phi: &dyn Fn(f64) -> f64, sigma_w: f64, sigma_b: f64, q: f64) -> f64 {
    let s = q.max(0.0).sqrt();
    sigma_w * sigma_w * gaussian_expectation(|z| phi(s * z).powi(2)) + sigma_b * sigma_b
}

/// `q^1 … q^depth` from the first layer's variance `q1`.
pub fn kernel_over_depth(
    phi: &dyn Fn(f64) -> f64,
    sigma_w: f64,
    sigma_b: f64,
    q1: f64,
    depth: usize,
) -> Vec<f64> {
    let mut q = vec![q1];
    for _ in 1..depth {
        let last = *q.last().unwrap();
        q.push(variance_map(phi, sigma_w, sigma_b, last));
    }
    q
}

/// `χ₁ = σ_w² E_z[φ'(√q z)²]`: the mean squared singular value of one layer's Jacobian at
/// variance `q`.
pub fn chi_1(dphi: &dyn Fn(f64) -> f64, sigma_w: f64, q: f64) -> f64 {
    let s = q.max(0.0).sqrt();
    sigma_w * sigma_w * gaussian_expectation(|z| dphi(s * z).powi(2))
}

/// The fixed point `q*` of [`variance_map`] reached from `q = 1` (`None` when the iteration
/// leaves `[0, 1e12]` or has not converged to 1e-12 in 100 000 steps).
pub fn fixed_point(phi: &dyn Fn(f64) -> f64, sigma_w: f64, sigma_b: f64) -> Option<f64> {
    let mut q = 1.0;
    for _ in 0..100_000 {
        let next = variance_map(phi, sigma_w, sigma_b, q);
        if !(0.0..=1e12).contains(&next) {
            return None;
        }
        if (next - q).abs() <= 1e-12 * q.max(1e-300) {
            return Some(next);
        }
        q = next;
    }
    None
}

/// ReLU, `σ_b = 0`: `Var[ln K^l]` of one input's kernel at layer `l ≥ 1` of width `n`, to
/// first order in `1/n`: `(5(l − 1) + 2)/n` — `2/n` from the last layer's `χ²_n/n`, `5/n` from
/// each earlier layer's `(2/n) Σ relu(z)²` (`Var[2 relu(z)²] = 5 q²`).
pub fn relu_log_kernel_variance(width: usize, layer: usize) -> f64 {
    (5.0 * (layer as f64 - 1.0) + 2.0) / width as f64
}

/// Least-squares slope through the origin of `y` on `x`.
pub fn slope_through_origin(x: &[f64], y: &[f64]) -> f64 {
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| a * b).sum();
    let sxx: f64 = x.iter().map(|a| a * a).sum();
    sxy / sxx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relu(x: f64) -> f64 {
        x.max(0.0)
    }

    #[test]
    fn relu_kernel_is_constant_on_the_critical_line_and_geometric_off_it() {
        let q = kernel_over_depth(&relu, 2f64.sqrt(), 0.0, 1.3, 50);
        assert!(q.iter().all(|v| (v - 1.3).abs() < 1e-9), "{q:?}");
        let q = kernel_over_depth(&relu, 1.2, 0.0, 1.0, 11);
        assert!((q[10] - 0.72f64.powi(10)).abs() < 1e-9 * q[10].max(1e-3));
        let step = |x: f64| if x > 0.0 { 1.0 } else { 0.0 };
        // Simpson's rule across the step's jump at 0 errs by O(h) = O(0.01).
        assert!((chi_1(&step, 2f64.sqrt(), 1.0) - 1.0).abs() < 1e-2);
    }

    #[test]
    fn tanh_fixed_point_and_criticality() {
        // σ_b = 0, σ_w < 1: q* = 0 and χ₁ = σ_w² < 1 (ordered); σ_w = 1 is the critical point.
        let dtanh = |x: f64| 1.0 - x.tanh().powi(2);
        assert!((chi_1(&dtanh, 1.0, 0.0) - 1.0).abs() < 1e-9);
        // With bias the fixed point satisfies its own equation.
        let q = fixed_point(&f64::tanh, 1.5, 0.3).unwrap();
        assert!((variance_map(&f64::tanh, 1.5, 0.3, q) - q).abs() < 1e-10);
    }

    #[test]
    fn relu_log_kernel_variance_matches_monte_carlo() {
        // Sample the product form directly: K^l = K̂_l χ²_n/n with K̂ updated by (2/n)Σ relu(z)².
        use rand_distr::{Distribution, StandardNormal};
        let (n, layers, draws) = (64usize, 9usize, 4000usize);
        let mut r = neurodyn_core::rng::stream(1, "mf", 0);
        let mut logs = Vec::with_capacity(draws);
        for _ in 0..draws {
            let mut q: f64 = 1.0;
            let mut k: f64 = 0.0;
            for _ in 0..layers {
                let z: Vec<f64> = (0..n)
                    .map(|_| {
                        let g: f64 = StandardNormal.sample(&mut r);
                        q.sqrt() * g
                    })
                    .collect();
                k = z.iter().map(|v| v * v).sum::<f64>() / n as f64;
                q = 2.0 * z.iter().map(|v| relu(*v).powi(2)).sum::<f64>() / n as f64;
            }
            logs.push(f64::ln(k));
        }
        let m = logs.iter().sum::<f64>() / draws as f64;
        let var = logs.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (draws - 1) as f64;
        let theory = relu_log_kernel_variance(n, layers);
        // First order in 1/n (l/n = 0.14) and a sampling s.e. of √(2/4000) ≈ 2 %.
        assert!((var / theory - 1.0).abs() < 0.12, "{var} vs {theory}");
    }
}
