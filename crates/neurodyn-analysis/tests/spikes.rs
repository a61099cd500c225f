//! Spike-train measures against closed forms and an independent numerical evaluation.

use neurodyn_analysis::spikes::{
    fano_factor, isi_cv, mean_pairwise_correlation, schreiber_reliability, van_rossum_distance,
    victor_purpura_distance, windowed_reliability,
};
use neurodyn_core::rng;
use rand::RngExt;

/// A Poisson train of `rate` [Hz] on [0, duration) ms.
fn poisson(rate: f64, duration: f64, seed: u64) -> Vec<f64> {
    let mut r = rng::stream(seed, "poisson", 0);
    let mut t = 0.0;
    let mut out = Vec::new();
    loop {
        t += -(1.0 - r.random::<f64>()).ln() / (rate / 1000.0);
        if t >= duration {
            return out;
        }
        out.push(t);
    }
}

#[test]
fn van_rossum_matches_its_closed_form_for_single_spikes() {
    let tau = 10.0;
    assert!((van_rossum_distance(&[5.0], &[], tau).powi(2) - 0.5).abs() < 1e-15);
    for delta in [0.0, 1.0, 10.0, 50.0] {
        let d = van_rossum_distance(&[20.0], &[20.0 + delta], tau);
        assert!((d * d - (1.0 - (-delta / tau).exp())).abs() < 1e-14, "Δ = {delta}");
    }
}

#[test]
fn van_rossum_closed_form_equals_the_integral_definition() {
    // D² = (1/τ) ∫ (f − g)² dt with f = Σ e^{−(t−tᵢ)/τ} Θ(t − tᵢ), integrated by the midpoint
    // rule on a 0.001 ms grid (error ≈ 1e-6 relative).
    let (a, b, tau) = (poisson(40.0, 200.0, 1), poisson(40.0, 200.0, 2), 8.0);
    let filtered = |train: &[f64], t: f64| {
        train.iter().filter(|&&s| s <= t).map(|s| (-(t - s) / tau).exp()).sum::<f64>()
    };
    let dt = 0.001;
    let steps = ((200.0 + 20.0 * tau) / dt) as usize;
    let integral: f64 = (0..steps)
        .map(|k| (k as f64 + 0.5) * dt)
        .map(|t| (filtered(&a, t) - filtered(&b, t)).powi(2) * dt)
        .sum::<f64>()
        / tau;
    let closed = van_rossum_distance(&a, &b, tau).powi(2);
    assert!(
        (integral - closed).abs() < 1e-4 * closed.max(1.0),
        "integral {integral} vs closed form {closed}"
    );
}

#[test]
fn victor_purpura_limits_and_metric_properties() {
    let a = [10.0, 30.0, 55.0];
    assert_eq!(victor_purpura_distance(&a, &a, 0.1), 0.0);
    assert_eq!(victor_purpura_distance(&a, &[], 0.1), 3.0);
    // One pair Δ apart: shift (qΔ) or delete + insert (2), whichever is cheaper.
    for (q, delta, want) in [(0.1, 5.0, 0.5), (0.1, 30.0, 2.0), (1.0, 1.5, 1.5)] {
        assert!((victor_purpura_distance(&[10.0], &[10.0 + delta], q) - want).abs() < 1e-12);
    }
    // q = 0 counts the difference in spike numbers only.
    assert_eq!(victor_purpura_distance(&a, &[1.0, 2.0], 0.0), 1.0);
    let trains: Vec<Vec<f64>> = (0..6).map(|s| poisson(30.0, 300.0, 10 + s)).collect();
    for x in &trains {
        for y in &trains {
            let dxy = victor_purpura_distance(x, y, 0.05);
            assert!((dxy - victor_purpura_distance(y, x, 0.05)).abs() < 1e-12);
            for z in &trains {
                assert!(
                    victor_purpura_distance(x, z, 0.05)
                        <= dxy + victor_purpura_distance(y, z, 0.05) + 1e-9
                );
            }
        }
    }
}

#[test]
fn poisson_trains_have_unit_cv_and_fano_factor() {
    let long = poisson(50.0, 200_000.0, 3);
    assert!((isi_cv(&long) - 1.0).abs() < 0.03, "{}", isi_cv(&long));
    let regular: Vec<f64> = (0..100).map(|k| 10.0 * k as f64).collect();
    assert!(isi_cv(&regular).abs() < 1e-12);
    let trials: Vec<Vec<f64>> = (0..2000).map(|s| poisson(20.0, 500.0, 100 + s)).collect();
    let f = fano_factor(&trials, 0.0, 500.0);
    // Counts ~ Poisson(10): the Fano factor estimate has s.d. ≈ √(2/2000) ≈ 0.03.
    assert!((f - 1.0).abs() < 0.1, "{f}");
}

#[test]
fn reliability_is_one_for_identical_trials_and_low_for_independent_ones() {
    let t = poisson(20.0, 1000.0, 4);
    assert!(
        (schreiber_reliability(&[t.clone(), t.clone(), t], 1000.0, 3.0, 0.5) - 1.0).abs() < 1e-12
    );
    let independent: Vec<Vec<f64>> = (0..10).map(|s| poisson(20.0, 1000.0, 50 + s)).collect();
    let r = schreiber_reliability(&independent, 1000.0, 3.0, 0.5);
    // Independent Poisson trains of rate λ filtered by a unit-height Gaussian of width σ:
    // E⟨f, g⟩ = T (λσ√(2π))² and E‖f‖² = T [λσ√π + (λσ√(2π))²], so the expected cosine is
    // (λσ√(2π))² / (λσ√π + (λσ√(2π))²) = 0.175 for λ = 0.02/ms, σ = 3 ms.
    assert!((r - 0.175).abs() < 0.05, "{r}");
}

#[test]
fn pairwise_correlation_is_zero_for_independent_and_one_for_identical_trains() {
    let independent: Vec<Vec<f64>> = (0..40).map(|i| poisson(20.0, 20_000.0, 100 + i)).collect();
    let c = mean_pairwise_correlation(&independent, 20_000.0, 50.0);
    // 400 bins: the correlation of independent counts has s.d. 1/√400 = 0.05 per pair, and
    // the mean over 780 pairs far less.
    assert!(c.abs() < 0.01, "independent: {c}");
    let same = vec![independent[0].clone(); 5];
    assert!((mean_pairwise_correlation(&same, 20_000.0, 50.0) - 1.0).abs() < 1e-12);
    // A shared component raises it: each train = its own spikes plus a common train.
    let common = poisson(20.0, 20_000.0, 7);
    let mixed: Vec<Vec<f64>> = independent
        .iter()
        .map(|t| {
            let mut m: Vec<f64> = t.iter().chain(&common).copied().collect();
            m.sort_by(f64::total_cmp);
            m
        })
        .collect();
    let c = mean_pairwise_correlation(&mixed, 20_000.0, 50.0);
    assert!((c - 0.5).abs() < 0.05, "half shared: {c}");
    assert!(mean_pairwise_correlation(&[vec![], vec![1.0]], 100.0, 10.0).is_nan());
}

#[test]
fn sliding_windows_find_the_epochs_in_which_trials_repeat() {
    // 20 trials of 2 s: the first second repeats one frozen 20 Hz train in every trial, the
    // second is fresh Poisson in each trial. Windows of 200 ms every 100 ms: the 9 that lie in
    // the first second are reliable (identical trials: exactly 1), the 9 in the second are not,
    // and the one straddling the switch is in between.
    let frozen = poisson(20.0, 1000.0, 1);
    let trials: Vec<Vec<f64>> = (0..20)
        .map(|k| {
            let fresh = poisson(20.0, 1000.0, 100 + k).into_iter().map(|t| t + 1000.0);
            frozen.iter().copied().chain(fresh).collect()
        })
        .collect();
    let r = windowed_reliability(&trials, 0.0, 2000.0, 200.0, 100.0, 3.0, 0.5, 0.5).unwrap();
    assert_eq!(r.starts.len(), 19);
    assert_eq!(r.starts[18], 1800.0);
    for (w0, v) in r.starts.iter().zip(&r.values) {
        if w0 + 200.0 <= 1000.0 - 15.0 {
            assert!((v - 1.0).abs() < 1e-12, "window at {w0}: {v}");
        } else if *w0 >= 1000.0 + 15.0 {
            assert!(*v < 0.4, "window at {w0}: {v}"); // chance overlap of Poisson trains
        }
    }
    assert!((r.reliable_fraction - 9.0 / 19.0).abs() < 1.5 / 19.0, "{}", r.reliable_fraction);
    // Always the same train: reliable everywhere; a window without spikes is NaN, unreliable.
    let same = vec![frozen.clone(); 5];
    let all = windowed_reliability(&same, 0.0, 1000.0, 100.0, 100.0, 3.0, 0.5, 0.5).unwrap();
    let empty_windows = all.values.iter().filter(|v| v.is_nan()).count();
    let expected = (all.values.len() - empty_windows) as f64 / all.values.len() as f64;
    assert_eq!(all.reliable_fraction, expected);
    let silent = windowed_reliability(&[vec![], vec![]], 0.0, 100.0, 50.0, 50.0, 3.0, 0.5, 0.5);
    let silent = silent.unwrap();
    assert!(silent.values.iter().all(|v| v.is_nan()) && silent.reliable_fraction == 0.0);
    // Windows must fit.
    assert!(windowed_reliability(&same, 0.0, 50.0, 100.0, 10.0, 3.0, 0.5, 0.5).is_none());
}
