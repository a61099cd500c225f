//! Exact learning dynamics of deep linear networks (Saxe, McClelland & Ganguli 2013,
//! arXiv:1312.6120; 2019, arXiv:1810.10531).
//!
//! A network `ŷ = W₂ W₁ x` trained by gradient flow `τ Ẇ = −∇L` on half the mean squared error
//! with whitened inputs (`Σ_xx = I`) learns the input–output correlation
//! `Σ_yx = Σ_α s_α u_α v_αᵀ` mode by mode. From a decoupled start (`W₁ = √a₀ R Vᵀ`,
//! `W₂ = √a₀ U Rᵀ`), the strength `a_α = u_αᵀ W₂W₁ v_α` of each mode follows the logistic
//! curve [`mode_strength`], `a(t) = s e^{2st/τ} / (e^{2st/τ} − 1 + s/a₀)`, and reaches `s/2` at
//! [`half_time`] `t½ = τ/(2s) · ln(s/a₀ − 1)`: strong modes are learned first, in sharp
//! stage-like transitions.
//!
//! From a small *random* start the early dynamics of mode α are linear: with `b = W₁ v_α` and
//! `c = W₂ᵀ u_α`, `τ ḃ = s c` and `τ ċ = s b`, so `b + c` grows as `e^{st/τ}` and `b − c`
//! decays; the strength `cᵀb = (‖b+c‖² − ‖b−c‖²)/4` then grows as `‖b₀+c₀‖²/4 · e^{2st/τ}`,
//! the logistic curve's early phase with the [`effective_initial_strength`] `a₀ = ‖b₀+c₀‖²/4`.

use faer::Mat;

/// Strength of a mode of singular value `s` at time `t` (in units of τ) from `a₀`.
pub fn mode_strength(s: f64, a0: f64, t: f64) -> f64 {
    // s / (1 + (s/a₀ − 1) e^{−2st}): the same curve without overflow at late times.
    s / (1.0 + (s / a0 - 1.0) * (-2.0 * s * t).exp())
}

/// Time (units of τ) for a mode of singular value `s` to grow from `a₀ < s/2` to `s/2`.
pub fn half_time(s: f64, a0: f64) -> f64 {
    (s / a0 - 1.0).ln() / (2.0 * s)
}

/// The modes of an input–output correlation matrix `Σ_yx` (`n_out × n_in`): its singular
/// values, descending, with left (`u_α`, columns of `u`) and right (`v_α`) vectors.
#[derive(Clone, Debug)]
pub struct Modes {
    /// `n_out × r`.
    pub u: Mat<f64>,
    /// `s_α`, descending.
    pub s: Vec<f64>,
    /// `n_in × r`.
    pub v: Mat<f64>,
}

impl Modes {
    /// The `r` strongest modes of `sigma_yx`, or `None` when the SVD fails.
    pub fn of(sigma_yx: &Mat<f64>, r: usize) -> Option<Modes> {
        use faer::dyn_stack::{MemBuffer, MemStack};
        use faer::linalg::svd::{ComputeSvdVectors, svd, svd_scratch};
        // Single-threaded, so that the modes never depend on the caller's thread count.
        let (m, n) = sigma_yx.shape();
        let k = m.min(n);
        let (mut s, mut u, mut v) =
            (faer::diag::Diag::<f64>::zeros(k), Mat::zeros(m, k), Mat::zeros(n, k));
        let thin = ComputeSvdVectors::Thin;
        let par = faer::Par::Seq;
        let mut mem = MemBuffer::new(svd_scratch::<f64>(m, n, thin, thin, par, Default::default()));
        let stack = MemStack::new(&mut mem);
        svd(
            sigma_yx.as_ref(),
            s.as_mut(),
            Some(u.as_mut()),
            Some(v.as_mut()),
            par,
            stack,
            Default::default(),
        )
        .ok()?;
        let r = r.min(k);
        let mut modes = Modes {
            u: u.subcols(0, r).to_owned(),
            s: (0..r).map(|a| s[a]).collect(),
            v: v.subcols(0, r).to_owned(),
        };
        // Signs fixed so that the largest-magnitude entry of each v_α is positive.
        for a in 0..r {
            let col = modes.v.col(a);
            let big = (0..col.nrows()).max_by(|i, j| col[*i].abs().total_cmp(&col[*j].abs()));
            if big.is_some_and(|i| col[i] < 0.0) {
                for i in 0..modes.v.nrows() {
                    modes.v[(i, a)] = -modes.v[(i, a)];
                }
                for i in 0..modes.u.nrows() {
                    modes.u[(i, a)] = -modes.u[(i, a)];
                }
            }
        }
        Some(modes)
    }

    /// Number of modes.
    pub fn len(&self) -> usize {
        self.s.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.s.is_empty()
    }

    /// `a_α = u_αᵀ W v_α` for every mode of a composite map `W` (`n_out × n_in`).
    pub fn strengths(&self, w: &Mat<f64>) -> Vec<f64> {
        (0..self.len())
            .map(|a| {
                let wv = w * self.v.col(a);
                (0..wv.nrows()).map(|i| self.u[(i, a)] * wv[i]).sum()
            })
            .collect()
    }
}

/// `‖W₁ v_α + W₂ᵀ u_α‖² / 4` for every mode: the starting strength of the logistic curve that a
/// one-hidden-layer network from small weights `W₁` (`h × n_in`), `W₂` (`n_out × h`) follows.
pub fn effective_initial_strength(w1: &Mat<f64>, w2: &Mat<f64>, modes: &Modes) -> Vec<f64> {
    (0..modes.len())
        .map(|a| {
            let b = w1 * modes.v.col(a);
            let c = w2.transpose() * modes.u.col(a);
            (0..b.nrows()).map(|i| (b[i] + c[i]).powi(2)).sum::<f64>() / 4.0
        })
        .collect()
}

/// Time (units of τ) at which a sampled curve `values` (at `times`) first reaches `level`,
/// linearly interpolated; `None` when it never does.
pub fn crossing_time(times: &[f64], values: &[f64], level: f64) -> Option<f64> {
    let i = values.iter().position(|v| *v >= level)?;
    if i == 0 {
        return Some(times[0]);
    }
    let (t0, t1, v0, v1) = (times[i - 1], times[i], values[i - 1], values[i]);
    Some(t0 + (t1 - t0) * (level - v0) / (v1 - v0))
}

/// Square spiked model `Σ = T + (σ/√n) G` (`G` i.i.d. standard Gaussian, `n × n`), a mode of
/// `T` of strength `s̄ = θσ`: where its empirical singular value lands, in units of `σ`
/// (`θ + 1/θ` above the detection threshold `θ = 1`, else the bulk edge 2; Benaych-Georges &
/// Nadakuditi 2012), as used by Lampinen & Ganguli (2019, arXiv:1809.10374) for the
/// generalization dynamics of deep linear networks on noisy teachers.
pub fn spike_outlier(theta: f64) -> f64 {
    if theta > 1.0 { theta + 1.0 / theta } else { 2.0 }
}

/// The squared overlap `|u·û|²` (and `|v·v̂|²`) of a spike's empirical singular vectors with
/// the true ones in the square spiked model: `1 − 1/θ²` above threshold, 0 below.
pub fn spike_overlap(theta: f64) -> f64 {
    if theta > 1.0 { 1.0 - 1.0 / (theta * theta) } else { 0.0 }
}

/// The optimal (Frobenius-loss) strength to give an empirical mode of singular value `s_hat`
/// in the square spiked model with noise scale `σ`: `σ √(x² − 4)` for `x = s_hat/σ > 2`, else 0
/// — the true strength times both overlaps, `σ(θ − 1/θ)` (Gavish & Donoho 2017's shrinker).
pub fn optimal_shrinkage(s_hat: f64, sigma: f64) -> f64 {
    let x = s_hat / sigma;
    if x > 2.0 { sigma * (x * x - 4.0).sqrt() } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_curve_solves_its_ode() {
        // τ da/dt = 2a(s − a), integrated by RK4 with a tiny step in f64.
        let (s, a0): (f64, f64) = (3.0, 1e-3);
        let f = |a: f64| 2.0 * a * (s - a);
        let (mut a, dt) = (a0, 1e-5);
        for step in 1..=300_000 {
            let k1 = f(a);
            let k2 = f(a + 0.5 * dt * k1);
            let k3 = f(a + 0.5 * dt * k2);
            let k4 = f(a + dt * k3);
            a += dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
            if step % 10_000 == 0 {
                let t = step as f64 * dt;
                let exact = mode_strength(s, a0, t);
                assert!((a - exact).abs() < 1e-10 * s, "t {t}: {a} vs {exact}");
            }
        }
        let th = half_time(s, a0);
        assert!((mode_strength(s, a0, th) - s / 2.0).abs() < 1e-12);
    }

    #[test]
    fn one_hidden_layer_gradient_descent_follows_the_curves_from_a_decoupled_start() {
        // W₁ = √a₀ R Vᵀ, W₂ = √a₀ U Rᵀ: each mode's strength is exactly the solution of the
        // discrete map a ← a + 2ηa(s − a) + η²a(s − a)², which tends to the flow as η → 0.
        let sigma = Mat::from_fn(3, 3, |i, j| if i == j { [4.0, 2.0, 1.0][i] } else { 0.0 });
        let modes = Modes::of(&sigma, 3).unwrap();
        let a0: f64 = 1e-3;
        let (mut w1, mut w2) = (
            Mat::<f64>::identity(3, 3) * faer::Scale(a0.sqrt()),
            Mat::<f64>::identity(3, 3) * faer::Scale(a0.sqrt()),
        );
        let eta = 1e-3;
        for step in 1..=3000 {
            let err = &sigma - &w2 * &w1;
            let g1 = w2.transpose() * &err;
            let g2 = &err * w1.transpose();
            w1 += g1 * faer::Scale(eta);
            w2 += g2 * faer::Scale(eta);
            if step % 500 == 0 {
                let a = modes.strengths(&(&w2 * &w1));
                for (k, s) in modes.s.iter().enumerate() {
                    let exact = mode_strength(*s, a0, step as f64 * eta);
                    // Discretisation error O(η s) relative to the curve.
                    assert!(
                        (a[k] - exact).abs() < 0.02 * s,
                        "step {step} mode {k}: {} vs {exact}",
                        a[k]
                    );
                }
            }
        }
        let a = effective_initial_strength(
            &(Mat::<f64>::identity(3, 3) * faer::Scale(a0.sqrt())),
            &(Mat::<f64>::identity(3, 3) * faer::Scale(a0.sqrt())),
            &modes,
        );
        assert!(a.iter().all(|v| (v - a0).abs() < 1e-15));
    }

    #[test]
    fn spiked_model_matches_monte_carlo() {
        use rand_distr::{Distribution, StandardNormal};
        let (n, theta) = (400, 2.0);
        let mut r = neurodyn_core::rng::stream(5, "spike", 0);
        let scale = 1.0 / (n as f64).sqrt();
        let mut m = Mat::from_fn(n, n, |_, _| {
            let z: f64 = StandardNormal.sample(&mut r);
            z * scale
        });
        // Rank one along e_0 ⊗ e_1.
        m[(0, 1)] += theta;
        let svd = m.thin_svd().unwrap();
        let s = svd.S()[0];
        // Outlier fluctuations are O(1/√n) = 0.05.
        assert!((s - spike_outlier(theta)).abs() < 0.1, "{s} vs {}", spike_outlier(theta));
        let (u, v) = (svd.U()[(0, 0)], svd.V()[(1, 0)]);
        assert!((u * u - spike_overlap(theta)).abs() < 0.08, "{}", u * u);
        assert!((v * v - spike_overlap(theta)).abs() < 0.08, "{}", v * v);
        // The shrinker returns the true strength times both overlaps.
        let a = optimal_shrinkage(spike_outlier(theta), 1.0);
        assert!((a - theta * spike_overlap(theta)).abs() < 1e-12);
    }

    #[test]
    fn crossing_time_interpolates() {
        assert_eq!(crossing_time(&[0.0, 1.0, 2.0], &[0.0, 1.0, 3.0], 2.0), Some(1.5));
        assert_eq!(crossing_time(&[0.0, 1.0], &[0.0, 1.0], 2.0), None);
    }
}
