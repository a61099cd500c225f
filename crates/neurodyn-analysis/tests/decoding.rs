//! The leave-one-out nearest-class-mean decoder on cases whose answer is known.

use neurodyn_analysis::decoding::{count_matrix, nearest_class_accuracy, van_rossum_matrix};
use neurodyn_core::rng;
use rand::RngExt;

/// `n` trials of `cells` cells: each cell fires at the template's times jittered by up to
/// `jitter`, the template drawn per class from `class_seed`.
fn trials(n: usize, cells: usize, class_seed: u64, jitter: f64, seed: u64) -> Vec<Vec<Vec<f64>>> {
    let mut t = rng::stream(class_seed, "template", 0);
    let template: Vec<Vec<f64>> = (0..cells)
        .map(|_| {
            let mut s: Vec<f64> = (0..5).map(|_| t.random_range(0.0..100.0)).collect();
            s.sort_by(f64::total_cmp);
            s
        })
        .collect();
    let mut r = rng::stream(seed, "jitter", class_seed);
    (0..n)
        .map(|_| {
            template
                .iter()
                .map(|s| {
                    let mut j: Vec<f64> =
                        s.iter().map(|x| x + r.random_range(-jitter..jitter)).collect();
                    j.sort_by(f64::total_cmp);
                    j
                })
                .collect()
        })
        .collect()
}

#[test]
fn distinct_spike_patterns_are_told_apart_and_identical_ones_are_at_chance() {
    // Same counts (5 spikes per cell), different times: the timing decoder is perfect, the
    // count decoder has nothing to go on (every distance 0: all ties, exactly one half).
    let mut all = trials(15, 4, 1, 1.0, 7);
    all.extend(trials(15, 4, 2, 1.0, 8));
    let labels: Vec<usize> = (0..30).map(|i| i / 15).collect();
    let cells = [0, 1, 2, 3];
    assert_eq!(nearest_class_accuracy(&van_rossum_matrix(&all, &cells, 2.0), &labels), 1.0);
    assert_eq!(nearest_class_accuracy(&count_matrix(&all, &cells), &labels), 0.5);
    // Both classes from one template: chance, within a few standard errors of 1/2.
    let mut same = trials(40, 4, 1, 3.0, 9);
    same.extend(trials(40, 4, 1, 3.0, 10));
    let labels: Vec<usize> = (0..80).map(|i| i / 40).collect();
    let acc = nearest_class_accuracy(&van_rossum_matrix(&same, &cells, 2.0), &labels);
    assert!((acc - 0.5).abs() < 4.0 * (0.25f64 / 80.0).sqrt(), "{acc}");
}

#[test]
fn the_rule_is_leave_one_out_nearest_mean() {
    // Three trials in a line at 0, 1, 10 (squared distances), classes [0, 0, 1]: trial 0's
    // own class (without it) is trial 1 at 1, the other class 100 → right; trial 1: 1 vs 81 →
    // right; trial 2: its class has no other trial (infinite mean) → wrong.
    let x = [0.0f64, 1.0, 10.0];
    let d2: Vec<f64> = (0..9).map(|k| (x[k / 3] - x[k % 3]).powi(2)).collect();
    assert!((nearest_class_accuracy(&d2, &[0, 0, 1]) - 2.0 / 3.0).abs() < 1e-15);
}

#[test]
fn the_population_vector_finds_a_tuned_bump_and_is_unbiased_on_a_uniform_ring() {
    use neurodyn_analysis::decoding::population_vector;
    // Orientation-tuned cells (period 180°) on a uniform grid, von Mises tuning around 37°:
    // the population vector is exactly 37° by symmetry of the grid sums.
    let n = 90;
    let pref: Vec<f64> = (0..n).map(|i| i as f64 * 180.0 / n as f64).collect();
    let rates: Vec<f64> =
        pref.iter().map(|p| (2.0 * ((2.0 * (p - 37.0)).to_radians().cos() - 1.0)).exp()).collect();
    let (theta, length) = population_vector(&rates, &pref, 180.0).unwrap();
    assert!((theta - 37.0).abs() < 1e-9, "{theta}");
    assert!(length > 0.5 && length < 1.0, "{length}");
    // Wraps around: a bump at 175° of a 180° circle.
    let rates: Vec<f64> =
        pref.iter().map(|p| (2.0 * ((2.0 * (p - 175.0)).to_radians().cos() - 1.0)).exp()).collect();
    let (theta, _) = population_vector(&rates, &pref, 180.0).unwrap();
    assert!((theta - 175.0).abs() < 1e-9, "{theta}");
    // Flat responses cancel: no direction.
    assert!(population_vector(&vec![1.0; n], &pref, 180.0).is_none_or(|(_, l)| l < 1e-12));
    assert!(population_vector(&[0.0, 0.0], &[0.0, 90.0], 360.0).is_none());
}
