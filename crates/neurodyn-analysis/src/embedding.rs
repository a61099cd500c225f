//! A population of objects known only by their pairwise distances (networks compared by
//! SVCCA or CKA, sessions, animals): an embedding to look at and a test of a labelling.
//!
//! - [`classical_mds`]: Torgerson's classical multidimensional scaling — the top eigenvectors
//!   of the double-centred squared distances `B = −½ J D² J`, scaled by `√λ`; exact for
//!   Euclidean distances (recovers the configuration up to rotation and translation);
//! - [`silhouette`]: the mean silhouette width of a labelling (Rousseeuw 1987), in `[−1, 1]`;
//!   `s(i) = (b − a)/max(a, b)` with `a` the mean distance to its own group and `b` to the
//!   nearest other group; members of a group of one score 0 (as scikit-learn);
//! - [`permutation_test`]: the probability, under random relabelling, of a silhouette at least
//!   as large as the observed one (`(1 + #{≥}) / (1 + permutations)`, never 0).
//!
//! Distances are `k × k` row-major, symmetric, zero on the diagonal.

use faer::{Mat, Side};
use rand::seq::SliceRandom;

/// A classical MDS embedding.
#[derive(Clone, Debug, PartialEq)]
pub struct Embedding {
    /// `k × dims` coordinates, row-major.
    pub coords: Vec<f64>,
    /// Dimensions embedded.
    pub dims: usize,
    /// The eigenvalues of `B` used, descending (negative ones, from non-Euclidean distances,
    /// give zero coordinates).
    pub eigenvalues: Vec<f64>,
    /// Fraction of the positive eigenvalues' sum the embedding keeps [1].
    pub explained: f64,
}

/// Classical (Torgerson) MDS of `k` objects into `dims` dimensions. `None` when the distances
/// are not finite or the eigen-solver fails.
pub fn classical_mds(distances: &[f64], k: usize, dims: usize) -> Option<Embedding> {
    if distances.len() != k * k || distances.iter().any(|d| !d.is_finite()) || k == 0 {
        return None;
    }
    let d2 = |i: usize, j: usize| distances[i * k + j] * distances[i * k + j];
    let row: Vec<f64> = (0..k).map(|i| (0..k).map(|j| d2(i, j)).sum::<f64>() / k as f64).collect();
    let all = row.iter().sum::<f64>() / k as f64;
    let b = Mat::from_fn(k, k, |i, j| -0.5 * (d2(i, j) - row[i] - row[j] + all));
    let eig = b.self_adjoint_eigen(Side::Lower).ok()?;
    let (s, u) = (eig.S(), eig.U());
    // Eigenvalues ascend: the largest are last.
    let dims = dims.min(k);
    let order: Vec<usize> = (0..k).rev().take(dims).collect();
    let eigenvalues: Vec<f64> = order.iter().map(|&i| s[i]).collect();
    let positive: f64 = (0..k).map(|i| s[i].max(0.0)).sum();
    let kept: f64 = eigenvalues.iter().map(|v| v.max(0.0)).sum();
    let mut coords = vec![0.0; k * dims];
    for (c, &i) in order.iter().enumerate() {
        let scale = s[i].max(0.0).sqrt();
        // Sign fixed by the largest-magnitude entry, so figures are reproducible.
        let big =
            (0..k).map(|r| u[(r, i)]).fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        let sign = if big < 0.0 { -1.0 } else { 1.0 };
        for r in 0..k {
            coords[r * dims + c] = sign * scale * u[(r, i)];
        }
    }
    let explained = if positive > 0.0 { kept / positive } else { 0.0 };
    Some(Embedding { coords, dims, eigenvalues, explained })
}

/// The mean silhouette width of `labels` (group indices, one per object) on `distances`.
/// `NaN` with fewer than two groups or a non-finite distance.
pub fn silhouette(distances: &[f64], labels: &[usize]) -> f64 {
    let k = labels.len();
    let groups = labels.iter().max().map_or(0, |m| m + 1);
    let sizes: Vec<usize> =
        (0..groups).map(|g| labels.iter().filter(|&&l| l == g).count()).collect();
    if sizes.iter().filter(|&&s| s > 0).count() < 2 || distances.iter().any(|d| !d.is_finite()) {
        return f64::NAN;
    }
    let mut total = 0.0;
    let mut sums = vec![0.0; groups];
    for i in 0..k {
        sums.iter_mut().for_each(|s| *s = 0.0);
        for j in 0..k {
            sums[labels[j]] += distances[i * k + j];
        }
        let own = labels[i];
        if sizes[own] < 2 {
            continue;
        }
        let a = sums[own] / (sizes[own] - 1) as f64;
        let b = (0..groups)
            .filter(|&g| g != own && sizes[g] > 0)
            .map(|g| sums[g] / sizes[g] as f64)
            .fold(f64::INFINITY, f64::min);
        let m = a.max(b);
        if m > 0.0 {
            total += (b - a) / m;
        }
    }
    total / k as f64
}

/// Permutation test of the silhouette of `labels`: the observed silhouette, and the fraction
/// of `permutations` random relabellings (a keyed stream of `seed`) scoring at least as high,
/// counted with the observed one: `(1 + #{≥}) / (1 + permutations)`.
pub fn permutation_test(
    distances: &[f64],
    labels: &[usize],
    permutations: usize,
    seed: u64,
) -> (f64, f64) {
    let observed = silhouette(distances, labels);
    if !observed.is_finite() {
        return (observed, f64::NAN);
    }
    let mut rng = neurodyn_core::rng::stream(seed, "silhouette permutations", 0);
    let mut shuffled = labels.to_vec();
    let mut at_least = 0usize;
    for _ in 0..permutations {
        shuffled.shuffle(&mut rng);
        if silhouette(distances, &shuffled) >= observed - 1e-12 {
            at_least += 1;
        }
    }
    (observed, (1 + at_least) as f64 / (1 + permutations) as f64)
}
