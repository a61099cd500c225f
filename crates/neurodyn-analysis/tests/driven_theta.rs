//! Driven theta networks: the analytic Jacobian against finite differences, Lyapunov
//! exponents of oracle cases (uncoupled oscillators: 0; uncoupled excitable cells under common
//! frozen noise: negative, and then trials lock), and the word entropy estimator.

use neurodyn_analysis::driven_theta::{DrivenTheta, DrivenThetaConfig};
use neurodyn_analysis::lyapunov::{LyapunovConfig, lyapunov_spectrum};
use neurodyn_analysis::spikes::{schreiber_reliability, word_noise_entropy_rate};
use neurodyn_core::Dynamics;
use rand::RngExt;

fn config(n: usize, a: f64, eta: f64, epsilon: f64) -> DrivenThetaConfig {
    DrivenThetaConfig {
        n,
        frac_exc: 0.8,
        in_degree: 5,
        a_exc: a,
        a_inh: 4.0 * a,
        eta,
        epsilon,
        dt: 0.05,
        pulse_order: 3,
    }
}

#[test]
fn jacobian_matches_central_differences() {
    let net = DrivenTheta::new(&config(12, 2.0, -0.3, 0.7), 4).unwrap();
    let theta: Vec<f64> = net.random_phases(4, 0);
    let z = net.frozen_noise(1, 9);
    let mut jac = faer::Mat::<f64>::zeros(12, 12);
    net.jacobian(&theta, &z, jac.as_mut());
    let h = 1e-6;
    let (mut up, mut down) = (vec![0.0; 12], vec![0.0; 12]);
    let mut worst: f64 = 0.0;
    for j in 0..12 {
        let mut p = theta.clone();
        p[j] += h;
        net.step(&p, &z, &mut up);
        p[j] -= 2.0 * h;
        net.step(&p, &z, &mut down);
        for i in 0..12 {
            worst = worst.max(((up[i] - down[i]) / (2.0 * h) - jac[(i, j)]).abs());
        }
    }
    assert!(worst < 1e-8, "largest Jacobian error {worst}");
}

#[test]
fn uncoupled_oscillators_have_zero_exponents() {
    // Each cell is a circle diffeomorphism with an irrational-looking rotation: exponent 0.
    let net = DrivenTheta::new(&config(8, 0.0, 0.5, 0.0), 1).unwrap();
    let c = LyapunovConfig {
        n_exponents: 8,
        n_transient: 1000,
        n_steps: 40_000,
        qr_every: 10,
        n_segments: 4,
    };
    let s = lyapunov_spectrum(&net, &net.random_phases(1, 0), &[0.0; 8], &c).unwrap();
    for l in &s.exponents {
        assert!(l.abs() / 0.05 < 2e-3, "exponents {:?} per time unit", s.exponents);
    }
}

#[test]
fn common_frozen_noise_locks_uncoupled_excitable_cells() {
    // Uncoupled excitable cells under the same stimulus per cell: every exponent negative, so
    // trials that start anywhere converge onto one response (Mainen & Sejnowski 1995).
    let net = DrivenTheta::new(&config(6, 0.0, -0.5, 0.8), 2).unwrap();
    let steps = 8000;
    let noise = net.frozen_noise(steps, 3);
    let c = LyapunovConfig {
        n_exponents: 6,
        n_transient: 1000,
        n_steps: 7000,
        qr_every: 5,
        n_segments: 7,
    };
    let s = lyapunov_spectrum(&net, &net.random_phases(2, 0), &noise, &c).unwrap();
    assert!(s.exponents[0] < 0.0, "exponents {:?}", s.exponents);
    let trials: Vec<Vec<Vec<f64>>> =
        (0..8).map(|k| net.simulate(&net.random_phases(2, k), &noise, steps)).collect();
    let duration = steps as f64 * 0.05;
    for i in 0..6 {
        let late: Vec<Vec<f64>> =
            trials.iter().map(|t| t[i].iter().copied().filter(|&x| x > 200.0).collect()).collect();
        assert!(late.iter().all(|t| !t.is_empty()), "cell {i} silent");
        let r = schreiber_reliability(&late, duration, 0.5, 0.05);
        assert!(r > 0.95, "cell {i}: reliability {r}");
    }
}

#[test]
fn coupled_driven_network_is_chaotic() {
    let net = DrivenTheta::new(&config(60, 1.5, -0.5, 0.5), 3).unwrap();
    let noise = net.frozen_noise(4000, 3);
    let c = LyapunovConfig {
        n_exponents: 5,
        n_transient: 1000,
        n_steps: 3000,
        qr_every: 5,
        n_segments: 6,
    };
    let s = lyapunov_spectrum(&net, &net.random_phases(3, 0), &noise, &c).unwrap();
    assert!(s.exponents[0] > 3.0 * s.std_error[0], "λ_max {} ± {}", s.exponents[0], s.std_error[0]);
}

#[test]
fn word_entropy_is_zero_for_identical_trials_and_exact_for_independent_bins() {
    let train: Vec<f64> = (0..200).map(|k| k as f64 * 1.7 + 0.3).collect();
    let same = vec![train; 10];
    assert_eq!(word_noise_entropy_rate(&same, 0.0, 300.0, 1.0, 4), 0.0);
    // Independent bins with spike probability p: the entropy rate is H(p) per bin.
    let mut r = neurodyn_core::rng::stream(5, "test_bins", 0);
    let p: f64 = 0.2;
    let trials: Vec<Vec<f64>> = (0..400)
        .map(|_| (0..500).filter(|_| r.random::<f64>() < p).map(|k| k as f64 + 0.5).collect())
        .collect();
    let h = word_noise_entropy_rate(&trials, 0.0, 500.0, 1.0, 3);
    let exact = -(p * p.log2() + (1.0 - p) * (1.0 - p).log2());
    assert!((h - exact).abs() < 0.02 * exact, "estimate {h}, exact {exact}");
    assert!(word_noise_entropy_rate(&trials[..1], 0.0, 500.0, 1.0, 3).is_nan());
}
