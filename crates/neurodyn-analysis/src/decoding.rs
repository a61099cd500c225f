//! Decoding a stimulus from spike trains: distances between trials and the leave-one-out
//! nearest-class-mean classifier over them.
//!
//! A trial is a list of cells' spike trains. Two trials are compared cell by cell with the van
//! Rossum distance (van Rossum 2001: the L² distance between the trains filtered by a causal
//! exponential of time constant `τ`; small `τ` is sensitive to spike timing, large `τ` to
//! counts) summed in squares over a group of cells — the spike-time-sensitive decoder of
//! Lajoie, Thivierge & Shea-Brown (2016, arXiv:1604.07497). A trial is assigned to the class
//! whose other trials are nearest on average (leave-one-out, so no trial votes for itself).

use crate::spikes::van_rossum_distance;

/// Squared distances `D²[a·n + b] = Σ_{c ∈ cells} d_vR(trials[a][c], trials[b][c]; τ)²`
/// between every pair of trials (`n = trials.len()`; `τ` in the trains' time unit).
pub fn van_rossum_matrix(trials: &[Vec<Vec<f64>>], cells: &[usize], tau: f64) -> Vec<f64> {
    let n = trials.len();
    let mut d2 = vec![0.0; n * n];
    for a in 0..n {
        for b in a + 1..n {
            let s: f64 = cells
                .iter()
                .map(|&c| van_rossum_distance(&trials[a][c], &trials[b][c], tau).powi(2))
                .sum();
            d2[a * n + b] = s;
            d2[b * n + a] = s;
        }
    }
    d2
}

/// Squared Euclidean distances between the trials' spike counts over `cells` (a rate code: no
/// timing), laid out as [`van_rossum_matrix`].
pub fn count_matrix(trials: &[Vec<Vec<f64>>], cells: &[usize]) -> Vec<f64> {
    let n = trials.len();
    let mut d2 = vec![0.0; n * n];
    for a in 0..n {
        for b in a + 1..n {
            let s: f64 = cells
                .iter()
                .map(|&c| (trials[a][c].len() as f64 - trials[b][c].len() as f64).powi(2))
                .sum();
            d2[a * n + b] = s;
            d2[b * n + a] = s;
        }
    }
    d2
}

/// The fraction of trials that the leave-one-out nearest-class-mean rule assigns to their own
/// class: trial `a` goes to the class `c` minimising the mean of `d2[a·n + b]` over the other
/// trials `b` of class `c`; ties count as half right. `labels[a]` is trial `a`'s class; a class
/// needs two trials at least (one left out, one to compare with).
///
/// # Panics
/// When `d2` is not `n × n` for `n = labels.len()`.
pub fn nearest_class_accuracy(d2: &[f64], labels: &[usize]) -> f64 {
    let n = labels.len();
    assert_eq!(d2.len(), n * n, "nearest_class_accuracy: distances are not n × n");
    let classes = labels.iter().copied().max().map_or(0, |m| m + 1);
    let mut right = 0.0;
    for a in 0..n {
        let mut sum = vec![0.0; classes];
        let mut count = vec![0usize; classes];
        for b in (0..n).filter(|&b| b != a) {
            sum[labels[b]] += d2[a * n + b];
            count[labels[b]] += 1;
        }
        let means: Vec<f64> = sum
            .iter()
            .zip(&count)
            .map(|(s, &k)| if k == 0 { f64::INFINITY } else { s / k as f64 })
            .collect();
        let best = means.iter().copied().fold(f64::INFINITY, f64::min);
        let winners: Vec<usize> = (0..classes).filter(|&c| means[c] == best).collect();
        if winners.contains(&labels[a]) {
            right += 1.0 / winners.len() as f64;
        }
    }
    right / n as f64
}

/// The population vector (Georgopoulos et al. 1986) of responses `weights[i]` (spike counts or
/// rates) of cells with preferred values `preferred[i]` on a circle of circumference `period`
/// (360 for directions, 180 for orientations, in degrees or any unit): the angle of
/// `Σ_i weights[i] e^{2πi preferred[i]/period}`, mapped back to `[0, period)`, and the vector's
/// length over `Σ weights` (1: all weight at one preferred value, 0: none). `None` when the
/// weights sum to zero or cancel exactly.
pub fn population_vector(weights: &[f64], preferred: &[f64], period: f64) -> Option<(f64, f64)> {
    let k = std::f64::consts::TAU / period;
    let (mut c, mut s, mut total) = (0.0, 0.0, 0.0);
    for (&w, &p) in weights.iter().zip(preferred) {
        c += w * (k * p).cos();
        s += w * (k * p).sin();
        total += w;
    }
    let length = (c * c + s * s).sqrt();
    if total == 0.0 || length == 0.0 {
        return None;
    }
    Some(((s.atan2(c) / k).rem_euclid(period), length / total))
}
