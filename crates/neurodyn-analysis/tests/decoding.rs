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
