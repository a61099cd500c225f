//! Lyapunov spectra against systems whose exponents are known.

use faer::{Mat, MatMut};
use neurodyn_analysis::lyapunov::{LyapunovConfig, LyapunovError, kaplan_yorke, lyapunov_spectrum};
use neurodyn_core::{Dynamics, LinearMap, rng};
use rand::RngExt;

fn config(k: usize, n_steps: usize) -> LyapunovConfig {
    LyapunovConfig { n_exponents: k, n_transient: 100, n_steps, qr_every: 1, n_segments: 10 }
}

#[test]
fn linear_map_exponents_are_log_moduli_of_eigenvalues() {
    // Upper triangular (non-normal): eigenvalues 2, 0.5, −0.25 on the diagonal.
    let a = faer::mat![[2.0, 1.0, 3.0], [0.0, 0.5, -2.0], [0.0, 0.0, -0.25]];
    let map = LinearMap { a, b: Mat::zeros(3, 0), c: vec![0.0; 3] };
    let r = lyapunov_spectrum(&map, &[0.0; 3], &[], &config(3, 4000)).unwrap();
    // Finite-time error of the non-normal part decays like 1/n.
    for (got, want) in r.exponents.iter().zip([2f64.ln(), 0.5f64.ln(), 0.25f64.ln()]) {
        assert!((got - want).abs() < 2e-3, "{got} vs {want}: {:?}", r.exponents);
    }
    // Sum of exponents = log |det A| exactly (up to round-off), on every segment.
    let sum: f64 = r.exponents.iter().sum();
    assert!((sum - (2.0f64 * 0.5 * 0.25).ln()).abs() < 1e-12, "{sum}");
    assert!(
        (r.kaplan_yorke - (1.0 + 2f64.ln() / 0.5f64.ln().abs())).abs() < 1e-2,
        "{}",
        r.kaplan_yorke
    );
}

/// The Hénon map `x' = 1 − a x² + y`, `y' = b x`, with a = 1.4, b = 0.3.
struct Henon;

impl Dynamics for Henon {
    fn dim(&self) -> usize {
        2
    }
    fn n_input(&self) -> usize {
        0
    }
    fn step(&self, h: &[f64], _: &[f64], next: &mut [f64]) {
        next[0] = 1.0 - 1.4 * h[0] * h[0] + h[1];
        next[1] = 0.3 * h[0];
    }
    fn jacobian(&self, h: &[f64], _: &[f64], mut jac: MatMut<'_, f64>) {
        jac[(0, 0)] = -2.8 * h[0];
        jac[(0, 1)] = 1.0;
        jac[(1, 0)] = 0.3;
        jac[(1, 1)] = 0.0;
    }
}

#[test]
fn henon_map_matches_the_published_exponents() {
    // Sprott (2003), Chaos and Time-Series Analysis, appendix: λ₁ = 0.41922 (nats/iteration);
    // det J = −b, so λ₁ + λ₂ = ln 0.3 exactly.
    let r = lyapunov_spectrum(&Henon, &[0.1, 0.1], &[], &config(2, 200_000)).unwrap();
    assert!((r.exponents[0] - 0.41922).abs() < 0.02 * 0.41922, "{:?}", r.exponents);
    assert!((r.exponents.iter().sum::<f64>() - 0.3f64.ln()).abs() < 1e-10);
    assert!(r.std_error[0] < 0.005, "{:?}", r.std_error);
    assert!((r.entropy_rate - r.exponents[0]).abs() < 1e-15);
    // Kaplan–Yorke dimension of the Hénon attractor ≈ 1.26 (Russell, Hanson & Ott 1980).
    assert!((r.kaplan_yorke - 1.26).abs() < 0.01, "{}", r.kaplan_yorke);
}

/// A random tanh network `h ← tanh(g W h)`, chaotic for g > 1.
struct TanhNet {
    w: Mat<f64>,
}

impl Dynamics for TanhNet {
    fn dim(&self) -> usize {
        self.w.nrows()
    }
    fn n_input(&self) -> usize {
        0
    }
    fn step(&self, h: &[f64], _: &[f64], next: &mut [f64]) {
        let u = &self.w * faer::ColRef::from_slice(h);
        next.iter_mut().enumerate().for_each(|(i, v)| *v = u[i].tanh());
    }
    fn jacobian(&self, h: &[f64], _: &[f64], mut jac: MatMut<'_, f64>) {
        let u = &self.w * faer::ColRef::from_slice(h);
        for i in 0..h.len() {
            let s = 1.0 - u[i].tanh().powi(2);
            for j in 0..h.len() {
                jac[(i, j)] = s * self.w[(i, j)];
            }
        }
    }
}

#[test]
fn full_spectrum_sums_to_the_mean_log_determinant() {
    // Uniform entries with variance g²/n, g = 3: well inside the chaotic regime.
    let n = 40;
    let mut r = rng::stream(4, "w", 0);
    let w = Mat::from_fn(n, n, |_, _| 3.0 * r.random_range(-1.0..1.0) * (3.0 / n as f64).sqrt());
    let net = TanhNet { w };
    let h0: Vec<f64> = (0..n).map(|k| 0.1 * (k as f64 + 1.0).sin()).collect();
    let cfg = LyapunovConfig {
        n_exponents: n,
        n_transient: 50,
        n_steps: 2000,
        qr_every: 1,
        n_segments: 4,
    };
    let result = lyapunov_spectrum(&net, &h0, &[], &cfg).unwrap();
    // Replay the same trajectory and average log |det J_t| over the same steps.
    let mut h = h0.clone();
    let mut next = vec![0.0; n];
    let mut jac = Mat::<f64>::zeros(n, n);
    let mut sum_logdet = 0.0;
    for t in 0..cfg.n_transient + cfg.n_steps {
        net.jacobian(&h, &[], jac.as_mut());
        if t >= cfg.n_transient {
            sum_logdet += jac.determinant().abs().ln();
        }
        net.step(&h, &[], &mut next);
        std::mem::swap(&mut h, &mut next);
    }
    let mean_logdet = sum_logdet / cfg.n_steps as f64;
    let sum: f64 = result.exponents.iter().sum();
    assert!((sum - mean_logdet).abs() < 1e-9, "Σλ = {sum}, mean log|det J| = {mean_logdet}");
    assert!(result.exponents[0] > 0.0, "expected chaos at g = 3: {:?}", result.exponents);
    assert!(result.exponents.windows(2).all(|p| p[0] >= p[1]));
}

#[test]
fn kaplan_yorke_of_simple_spectra() {
    assert_eq!(kaplan_yorke(&[-1.0, -2.0]), 0.0);
    assert_eq!(kaplan_yorke(&[0.5, 0.0]), 2.0);
    assert!((kaplan_yorke(&[1.0, -2.0]) - 1.5).abs() < 1e-15);
}

#[test]
fn bad_arguments_are_refused() {
    let map = LinearMap { a: faer::mat![[0.5]], b: Mat::zeros(1, 1), c: vec![0.0] };
    let bad_k = LyapunovConfig { n_exponents: 2, ..config(1, 100) };
    assert!(matches!(
        lyapunov_spectrum(&map, &[0.0], &[0.0], &bad_k),
        Err(LyapunovError::Config(_))
    ));
    assert!(matches!(
        lyapunov_spectrum(&map, &[0.0, 1.0], &[0.0], &config(1, 100)),
        Err(LyapunovError::StateLength { .. })
    ));
    assert!(matches!(
        lyapunov_spectrum(&map, &[0.0], &[0.0, 1.0], &config(1, 100)),
        Err(LyapunovError::InputLength { .. })
    ));
    let blowup = LinearMap { a: faer::mat![[1e200]], b: Mat::zeros(1, 1), c: vec![1.0] };
    assert!(matches!(
        lyapunov_spectrum(&blowup, &[1.0], &[0.0], &config(1, 100)),
        Err(LyapunovError::NotFinite { .. })
    ));
}
