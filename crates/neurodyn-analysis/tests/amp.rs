//! AMP against its state evolution, the easy / hard / impossible regimes, and ALS.

use neurodyn_analysis::decomp::amp::{
    Prior, Regime, amp, angular_error, rank1_als, regime, spiked, state_evolution,
};

/// Largest |AMP MSE − state-evolution MSE| over iterations 1..=iters, worst mode.
fn worst_gap(order: usize, n: usize, snr: f64, prior: Prior, a0: f64, iters: usize) -> f64 {
    let s = spiked(order, n, snr, prior, 1).unwrap();
    let run = amp(&s, snr, prior, iters, a0).unwrap();
    let (_, se) = state_evolution(order, snr, prior, iters, prior.overlap(a0));
    (1..=iters)
        .flat_map(|t| run.mse[t].iter().map(|m| (m - se[t]).abs()).collect::<Vec<_>>())
        .fold(0.0, f64::max)
}

#[test]
fn matrix_amp_follows_state_evolution() {
    // N = 2000: fluctuations of the empirical MSE are O(1/√N) ≈ 0.02.
    let gap = worst_gap(2, 2000, 2.0, Prior::Gaussian { mean: 1.0 }, 0.0, 8);
    assert!(gap < 0.03, "Gaussian prior, uninformative start: gap {gap}");
    let gap = worst_gap(2, 2000, 2.0, Prior::Rademacher, 0.3, 8);
    assert!(gap < 0.03, "Rademacher prior, informed start: gap {gap}");
}

#[test]
fn tensor_amp_follows_state_evolution() {
    // N = 120 (1.7 M entries): fluctuations are larger, O(1/√N) ≈ 0.09 in the worst case.
    let gap = worst_gap(3, 120, 5.0, Prior::Gaussian { mean: 0.0 }, 2.0, 8);
    assert!(gap < 0.08, "gap {gap}");
}

#[test]
fn regimes_easy_hard_impossible() {
    let g = Prior::Gaussian { mean: 0.0 };
    // Matrices: the BBP-like transition at λ = 1, no hard phase.
    assert_eq!(regime(2, 0.5, g), Regime::Impossible);
    assert_eq!(regime(2, 2.0, g), Regime::Easy);
    // Order-3 tensors with a zero-mean prior: an informative fixed point appears at λ ≈ 4,
    // but the uninformative one stays stable: hard.
    assert_eq!(regime(3, 2.0, g), Regime::Impossible);
    assert_eq!(regime(3, 6.0, g), Regime::Hard);
    // The hard regime in simulation: from the uninformative start AMP learns nothing, from an
    // informed start it reaches the informative fixed point.
    let s = spiked(3, 100, 6.0, g, 3).unwrap();
    let cold = amp(&s, 6.0, g, 40, 1e-3).unwrap();
    let warm = amp(&s, 6.0, g, 40, 2.0).unwrap();
    let (_, se) = state_evolution(3, 6.0, g, 200, prior_overlap_at(2.0));
    let (cold_mse, warm_mse) = (cold.mse[40][0], warm.mse[40][0]);
    assert!(cold_mse > 0.9, "uninformative start: MSE {cold_mse}");
    // N = 100 is small for a tensor: allow 0.15 around the fixed point's MSE.
    assert!(
        (warm_mse - se[200]).abs() < 0.15,
        "informed start: MSE {warm_mse} vs fixed point {}",
        se[200]
    );
}

fn prior_overlap_at(a: f64) -> f64 {
    Prior::Gaussian { mean: 0.0 }.overlap(a)
}

#[test]
fn amp_beats_als_in_noise() {
    // Kadmon & Ganguli (2018): Bayesian AMP outperforms ALS in noise. For a ±1 matrix
    // factor at λ = 1.5 and 3, ALS (power iteration: the top singular vectors) ignores the
    // prior; AMP's denoiser uses it.
    for snr in [2.0, 3.0] {
        let s = spiked(2, 1500, snr, Prior::Rademacher, 4).unwrap();
        let run = amp(&s, snr, Prior::Rademacher, 30, 0.05).unwrap();
        let als = rank1_als(&s, 100, 1);
        let e_amp = angular_error(&run.estimates[0], &s.factors[0]);
        let e_als = angular_error(&als[0], &s.factors[0]);
        // Theory at λ = 2: ALS (SVD) 1 − (λ²−1)/(λ²+λ) = 0.5, AMP ≈ 0.39.
        assert!(e_amp < 0.9 * e_als, "λ = {snr}: AMP error {e_amp}, ALS error {e_als}");
    }
}

#[test]
fn bad_settings_are_refused() {
    assert_eq!(spiked(4, 10, 1.0, Prior::Rademacher, 0).unwrap_err().field, "order");
    assert_eq!(spiked(2, 10, -1.0, Prior::Rademacher, 0).unwrap_err().field, "snr");
    let s = spiked(3, 10, 1.0, Prior::Gaussian { mean: 1.0 }, 0).unwrap();
    assert_eq!(
        amp(&s, 1.0, Prior::Gaussian { mean: 1.0 }, 1, 0.0).unwrap_err().field,
        "prior.mean"
    );
}
