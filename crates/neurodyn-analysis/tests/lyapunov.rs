//! Lyapunov spectra against systems whose exponents are known.

use faer::{Mat, MatMut};
use neurodyn_analysis::lyapunov::{LyapunovConfig, LyapunovError, kaplan_yorke, lyapunov_spectrum};
use neurodyn_core::{Dynamics, LinearMap, TanhMap, rng};
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

/// Replays `cfg`'s trajectory of `net` from `h0` and averages `log |det J_t|` over the steps
/// the spectrum averages: the sum of a full spectrum.
fn mean_log_det(net: &TanhMap, h0: &[f64], cfg: &LyapunovConfig) -> f64 {
    let n = h0.len();
    let mut h = h0.to_vec();
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
    sum_logdet / cfg.n_steps as f64
}

#[test]
fn full_spectrum_sums_to_the_mean_log_determinant() {
    // Uniform entries with variance g²/n, g = 3: well inside the chaotic regime.
    let n = 40;
    let mut r = rng::stream(4, "w", 0);
    let w = Mat::from_fn(n, n, |_, _| r.random_range(-1.0..1.0) * (3.0 / n as f64).sqrt());
    let net = TanhMap { w, gain: 3.0 };
    let h0: Vec<f64> = (0..n).map(|k| 0.1 * (k as f64 + 1.0).sin()).collect();
    let cfg = LyapunovConfig {
        n_exponents: n,
        n_transient: 50,
        n_steps: 2000,
        qr_every: 1,
        n_segments: 4,
    };
    let result = lyapunov_spectrum(&net, &h0, &[], &cfg).unwrap();
    let mean_logdet = mean_log_det(&net, &h0, &cfg);
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

/// The Lorenz system with σ = 10, ρ = 28, β = 8/3.
struct Lorenz;

impl neurodyn_core::VectorField for Lorenz {
    fn dim(&self) -> usize {
        3
    }
    fn n_input(&self) -> usize {
        0
    }
    fn f(&self, h: &[f64], _: &[f64], out: &mut [f64]) {
        out[0] = 10.0 * (h[1] - h[0]);
        out[1] = h[0] * (28.0 - h[2]) - h[1];
        out[2] = h[0] * h[1] - 8.0 / 3.0 * h[2];
    }
    fn df(&self, h: &[f64], _: &[f64], mut jac: MatMut<'_, f64>) {
        let rows = [[-10.0, 10.0, 0.0], [28.0 - h[2], -1.0, -h[0]], [h[1], h[0], -8.0 / 3.0]];
        for (i, row) in rows.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                jac[(i, j)] = *v;
            }
        }
    }
}

#[test]
fn rk4_map_jacobian_matches_central_differences() {
    let map = neurodyn_core::Rk4 { field: Lorenz, dt: 0.02 };
    let h = [1.3, -2.1, 20.5];
    let mut jac = Mat::<f64>::zeros(3, 3);
    map.jacobian(&h, &[], jac.as_mut());
    let (mut up, mut down) = ([0.0; 3], [0.0; 3]);
    for j in 0..3 {
        let mut p = h;
        p[j] += 1e-6;
        map.step(&p, &[], &mut up);
        p[j] -= 2e-6;
        map.step(&p, &[], &mut down);
        for i in 0..3 {
            let fd = (up[i] - down[i]) / 2e-6;
            assert!(
                (fd - jac[(i, j)]).abs() < 1e-7 * (1.0 + fd.abs()),
                "J[{i},{j}]: {} vs {fd}",
                jac[(i, j)]
            );
        }
    }
}

#[test]
fn lorenz_exponents_match_the_published_values() {
    // Sprott (2003): λ = (0.9056, 0, −14.5723) for σ = 10, ρ = 28, β = 8/3. Exponents of the
    // RK4 map per step divided by dt are those of the flow; their sum is the constant trace
    // of Df, −(σ + 1 + β), up to the integrator's error.
    let dt = 0.01;
    let map = neurodyn_core::Rk4 { field: Lorenz, dt };
    let cfg = LyapunovConfig {
        n_exponents: 3,
        n_transient: 2_000,
        n_steps: 200_000,
        qr_every: 1,
        n_segments: 10,
    };
    let r = lyapunov_spectrum(&map, &[1.0, 1.0, 20.0], &[], &cfg).unwrap();
    let l: Vec<f64> = r.exponents.iter().map(|v| v / dt).collect();
    assert!((l[0] - 0.9056).abs() < 0.02 * 0.9056, "{l:?}");
    assert!(l[1].abs() < 0.02, "{l:?}");
    assert!((l[2] + 14.5723).abs() < 0.02 * 14.5723, "{l:?}");
    assert!((l.iter().sum::<f64>() + (10.0 + 1.0 + 8.0 / 3.0)).abs() < 1e-3, "{l:?}");
}

#[test]
fn spectra_do_not_depend_on_how_often_they_are_reorthonormalised() {
    // In exact arithmetic the QR interval does not matter (the diagonals of products of
    // triangular factors multiply); on a non-chaotic system with a moderate spread of
    // exponents rounding keeps it so. Full spectra (Householder reflectors carried between
    // QRs) and partial ones (explicit Q) alike, against QR every step.
    let n = 6;
    let mut r = rng::stream(3, "qr_interval", 0);
    let w = Mat::from_fn(n, n, |_, _| r.random_range(-1.0..1.0) / (n as f64).sqrt());
    let map = TanhMap { w, gain: 0.8 };
    let h0: Vec<f64> = (0..n).map(|i| 0.1 * i as f64).collect();
    for k in [n, 3] {
        let every = |q: usize| {
            let c = LyapunovConfig {
                n_exponents: k,
                n_transient: 60,
                n_steps: 600,
                qr_every: q,
                n_segments: 5,
            };
            lyapunov_spectrum(&map, &h0, &[], &c).unwrap().exponents
        };
        let (one, three) = (every(1), every(3));
        for (a, b) in one.iter().zip(&three) {
            assert!((a - b).abs() < 1e-12, "k = {k}: {one:?} vs {three:?}");
        }
    }
}

/// The mean-field exponent of the tanh map: `ln g` below the transition, the self-consistent
/// variance solves its equation above it, and a large simulated network (N = 1000, g = 2)
/// measures the predicted λ within its finite-size and finite-time error (~3 %).
#[test]
fn tanh_mean_field_matches_ln_g_below_one_and_simulation_above() {
    use neurodyn_analysis::lyapunov::tanh_mean_field;
    for g in [0.5, 0.9, 1.0] {
        let m = tanh_mean_field(g);
        assert_eq!(m.q, 0.0);
        assert!((m.lambda_max - f64::ln(g)).abs() < 1e-15);
    }
    let m = tanh_mean_field(2.0);
    // Self-consistency by an independent quadrature: midpoint rule on [−12, 12].
    let n = 200_000;
    let h = 24.0 / n as f64;
    let e = |f: &dyn Fn(f64) -> f64| -> f64 {
        (0..n)
            .map(|i| {
                let z = -12.0 + (i as f64 + 0.5) * h;
                (-0.5 * z * z).exp() * f(z)
            })
            .sum::<f64>()
            * h
            / (2.0 * std::f64::consts::PI).sqrt()
    };
    let q = 4.0 * e(&|z| (m.q.sqrt() * z).tanh().powi(2));
    assert!((q - m.q).abs() < 1e-9, "{q} vs {}", m.q);
    let lam = 0.5 * (4.0 * e(&|z| (m.q.sqrt() * z).cosh().powi(-4))).ln();
    assert!((lam - m.lambda_max).abs() < 1e-9);
    // Simulation: λ_max of one N = 1000 network.
    let n = 1000;
    let mut r = neurodyn_core::rng::stream(4, "mean_field_check", 0);
    let w = faer::Mat::from_fn(n, n, |_, _| {
        rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, &mut r)
            / (n as f64).sqrt()
    });
    let h0: Vec<f64> = (0..n).map(|i| ((i * 37 % 101) as f64 / 101.0) - 0.5).collect();
    let c = LyapunovConfig {
        n_exponents: 1,
        n_transient: 200,
        n_steps: 1000,
        qr_every: 1,
        n_segments: 10,
    };
    let s = lyapunov_spectrum(&neurodyn_core::TanhMap { w, gain: 2.0 }, &h0, &[], &c).unwrap();
    let rel = (s.exponents[0] - m.lambda_max).abs() / m.lambda_max;
    assert!(rel < 0.05, "simulated {} vs mean field {}", s.exponents[0], m.lambda_max);
}

#[test]
fn large_spectra_keep_their_bits_on_any_thread_count_and_sum_to_the_log_determinant() {
    // n = 300: the reflectors and the QR's trailing updates run in chunks of 128 rows or
    // columns, in parallel; full and partial spectra, one thread and two.
    let n = 300;
    let mut r = rng::stream(5, "w", 0);
    let w = Mat::from_fn(n, n, |_, _| r.random_range(-1.0..1.0) * (3.0 / n as f64).sqrt());
    let net = TanhMap { w, gain: 2.0 };
    let h0: Vec<f64> = (0..n).map(|k| 0.1 * (k as f64 + 1.0).sin()).collect();
    for k in [n, 150] {
        let cfg = LyapunovConfig {
            n_exponents: k,
            n_transient: 10,
            n_steps: 60,
            qr_every: 1,
            n_segments: 3,
        };
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            pool.install(|| lyapunov_spectrum(&net, &h0, &[], &cfg).unwrap())
        };
        let (one, two) = (on(1), on(2));
        assert_eq!(one.exponents, two.exponents, "k = {k}");
        assert_eq!(one.final_state, two.final_state);
        if k == n {
            let sum: f64 = one.exponents.iter().sum();
            let mean = mean_log_det(&net, &h0, &cfg);
            assert!((sum - mean).abs() < 1e-8 * mean.abs().max(1.0), "Σλ = {sum}, {mean}");
        }
    }
}
