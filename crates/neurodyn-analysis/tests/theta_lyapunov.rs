//! Event-based spectra of theta networks: exact identities and balanced-network chaos.

use neurodyn_analysis::theta_lyapunov::{
    EventSpectrumConfig, FrozenKicks, ThetaNetwork, theta_event_spectrum,
    theta_event_spectrum_driven,
};

fn balanced(n: usize, k: usize, j0: f64, eta: f64, seed: u64) -> ThetaNetwork {
    ThetaNetwork::balanced(n, k, j0, eta, 10.0, seed).unwrap()
}

fn start(n: usize, seed: u64) -> Vec<f64> {
    balanced(n, 1, 0.0, 1.0, 0).random_phases(seed)
}

#[test]
fn uncoupled_neurons_have_all_exponents_zero() {
    let mut net = balanced(20, 4, 1.0, 1.0, 1);
    net.weight.iter_mut().for_each(|w| *w = 0.0);
    let c = EventSpectrumConfig { n_exponents: 20, n_transient: 100, n_spikes: 2000, qr_every: 10 };
    let s = theta_event_spectrum(&net, &start(20, 1), &c).unwrap();
    assert!(s.exponents.iter().all(|l| l.abs() < 1e-9), "{:?}", s.exponents);
}

#[test]
fn full_spectrum_sums_to_the_log_determinant_and_has_a_zero_exponent() {
    let n = 50;
    let net = balanced(n, 10, 1.0, 1.0, 2);
    let c = EventSpectrumConfig { n_exponents: n, n_transient: 2000, n_spikes: 20000, qr_every: 5 };
    let s = theta_event_spectrum(&net, &start(n, 2), &c).unwrap();
    let sum: f64 = s.exponents.iter().sum();
    assert!(
        (sum - s.log_det_rate).abs() < 1e-8 * s.log_det_rate.abs().max(1.0),
        "Σλ {sum} vs log det {}",
        s.log_det_rate
    );
    // The time-shift direction: one exponent near 0 (finite-time estimate, O(1/T)).
    let closest = s.exponents.iter().map(|l| l.abs()).fold(f64::MAX, f64::min);
    let scale = s.exponents.iter().map(|l| l.abs()).fold(0.0, f64::max);
    assert!(closest < 0.02 * scale, "smallest |λ| {closest}, spectrum scale {scale}");
}

#[test]
fn inhibitory_balanced_theta_network_is_chaotic() {
    // Monteforte & Wolf (2010): sparse inhibitory theta networks in the balanced state have
    // positive Lyapunov exponents (λ_max of order 10/s) and irregular firing.
    let n = 100;
    let net = balanced(n, 10, 1.0, 1.0, 3);
    let c = EventSpectrumConfig {
        n_exponents: 10,
        n_transient: 20 * n,
        n_spikes: 100 * n,
        qr_every: 10,
    };
    let s = theta_event_spectrum(&net, &start(n, 3), &c).unwrap();
    assert!(s.exponents[0] > 2.0, "λ_max = {} /s", s.exponents[0]);
    assert!(s.mean_rate > 1.0 && s.mean_rate < 100.0, "rate {} Hz", s.mean_rate);
}

/// Extensive chaos (Monteforte & Wolf 2010): the number of positive exponents and the entropy
/// rate grow in proportion to N at fixed in-degree. Minutes of QR on 400 × 400: ignored in CI.
#[test]
#[ignore]
#[allow(clippy::print_stderr)] // a reproduction reports its numbers
fn reproduction_extensive_chaos() {
    let mut per_neuron = Vec::new();
    for n in [100, 200, 400] {
        let net = balanced(n, 20, 1.0, 1.0, 3);
        let c = EventSpectrumConfig {
            n_exponents: n,
            n_transient: 20 * n,
            n_spikes: 100 * n,
            qr_every: 10,
        };
        let s = theta_event_spectrum(&net, &start(n, 3), &c).unwrap();
        let positive = s.exponents.iter().filter(|&&l| l > 0.0).count();
        eprintln!(
            "N = {n}: rate {:.1} Hz, λ_max {:.2}/s, {positive} positive exponents ({:.3} N), entropy rate {:.1} nats/s ({:.2} per neuron)",
            s.mean_rate,
            s.exponents[0],
            positive as f64 / n as f64,
            s.entropy_rate,
            s.entropy_rate / n as f64
        );
        per_neuron.push((positive as f64 / n as f64, s.entropy_rate / n as f64));
    }
    let (f0, h0) = per_neuron[0];
    for &(f, h) in &per_neuron[1..] {
        assert!((f / f0 - 1.0).abs() < 0.25, "fraction of positive exponents {per_neuron:?}");
        assert!((h / h0 - 1.0).abs() < 0.25, "entropy per neuron {per_neuron:?}");
    }
}

#[test]
fn driven_spectrum_sums_to_the_log_determinant() {
    let n = 40;
    let net = balanced(n, 8, 1.0, 1.0, 4);
    let drive = FrozenKicks { rate_hz: 200.0, weight: 0.3, seed: 9 };
    let c = EventSpectrumConfig { n_exponents: n, n_transient: 1000, n_spikes: 10000, qr_every: 5 };
    let s = theta_event_spectrum_driven(&net, &start(n, 4), &c, Some(drive)).unwrap();
    let sum: f64 = s.exponents.iter().sum();
    assert!(
        (sum - s.log_det_rate).abs() < 1e-8 * s.log_det_rate.abs().max(1.0),
        "Σλ {sum} vs log det {}",
        s.log_det_rate
    );
}

#[test]
fn frozen_kicks_make_uncoupled_oscillators_reliable() {
    // Uncoupled oscillators under their own frozen pulse trains: every exponent negative
    // (noise-induced synchronisation: repeated trials from different phases converge), and
    // the exponent depends only on each neuron's own drive, so two starts give the same set.
    let mut net = balanced(10, 2, 1.0, 1.0, 5);
    net.weight.iter_mut().for_each(|w| *w = 0.0);
    let drive = FrozenKicks { rate_hz: 300.0, weight: 0.5, seed: 2 };
    let c =
        EventSpectrumConfig { n_exponents: 10, n_transient: 500, n_spikes: 20000, qr_every: 10 };
    let s = theta_event_spectrum_driven(&net, &start(10, 1), &c, Some(drive)).unwrap();
    assert!(s.exponents.iter().all(|l| *l < 0.0), "{:?}", s.exponents);
    // Without the drive the same oscillators are neutral (all 0).
    let free = theta_event_spectrum(&net, &start(10, 1), &c).unwrap();
    assert!(free.exponents.iter().all(|l| l.abs() < 1e-9));
}
