//! Principal component analysis of trajectories.

use faer::{Mat, Side};
use neurodyn_core::mat::{gemm, view};

/// A fitted PCA: mean, principal axes and the variance each explains.
#[derive(Clone, Debug, PartialEq)]
pub struct Pca {
    /// Per-feature mean (`dim`).
    pub mean: Vec<f64>,
    /// Principal axes, `n_components × dim`, row k the k-th axis (unit norm).
    pub components: Vec<f64>,
    /// Variance along each axis, descending.
    pub explained_variance: Vec<f64>,
    /// Fraction of the total variance along each axis.
    pub explained_variance_ratio: Vec<f64>,
}

impl Pca {
    /// Fits the top `n_components` axes of `data` (`rows × dim`, row-major) by the symmetric
    /// eigendecomposition of the sample covariance.
    ///
    /// Returns `None` when `data` has fewer than two rows or the eigensolver fails.
    pub fn fit(data: &[f64], dim: usize, n_components: usize) -> Option<Pca> {
        let rows = data.len() / dim.max(1);
        if rows < 2 || dim == 0 {
            return None;
        }
        let mean = crate::columns::means(data, rows, dim);
        let centred: Vec<f64> = data.iter().enumerate().map(|(k, v)| v - mean[k % dim]).collect();
        let x = view(&centred, rows, dim);
        let mut cov = Mat::<f64>::zeros(dim, dim);
        gemm(cov.as_mut(), faer::Accum::Replace, x.transpose(), x);
        cov *= faer::Scale(1.0 / (rows - 1) as f64);
        let eig = cov.self_adjoint_eigen(Side::Lower).ok()?;
        let total: f64 = (0..dim).map(|k| cov[(k, k)]).sum();
        let k = n_components.min(dim);
        // Eigenvalues ascend; take the last k in reverse.
        let order: Vec<usize> = (0..dim).rev().take(k).collect();
        let s = eig.S();
        let u = eig.U();
        let explained_variance: Vec<f64> = order.iter().map(|&i| s[i].max(0.0)).collect();
        let mut components = Vec::with_capacity(k * dim);
        for &i in &order {
            // Fix the sign: the largest-magnitude loading is positive (reproducible plots).
            let col: Vec<f64> = (0..dim).map(|j| u[(j, i)]).collect();
            let big =
                col.iter().copied().fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
            let sign = if big < 0.0 { -1.0 } else { 1.0 };
            components.extend(col.iter().map(|v| sign * v));
        }
        let explained_variance_ratio =
            explained_variance.iter().map(|v| if total > 0.0 { v / total } else { 0.0 }).collect();
        Some(Pca { mean, components, explained_variance, explained_variance_ratio })
    }

    /// Number of axes kept.
    pub fn n_components(&self) -> usize {
        self.explained_variance.len()
    }

    /// Projects `data` (`rows × dim`) onto the axes: `rows × n_components`.
    pub fn transform(&self, data: &[f64]) -> Vec<f64> {
        let dim = self.mean.len();
        let k = self.n_components();
        data.chunks_exact(dim)
            .flat_map(|row| {
                (0..k).map(move |c| {
                    let axis = &self.components[c * dim..(c + 1) * dim];
                    row.iter().zip(&self.mean).zip(axis).map(|((x, m), a)| (x - m) * a).sum::<f64>()
                })
            })
            .collect()
    }
}

/// Participation ratio `(Σλ)² / Σλ²` of covariance eigenvalues `λ` (Gao & Ganguli 2015).
pub fn participation_ratio(eigenvalues: &[f64]) -> f64 {
    let s: f64 = eigenvalues.iter().sum();
    let s2: f64 = eigenvalues.iter().map(|v| v * v).sum();
    if s2 > 0.0 { s * s / s2 } else { 0.0 }
}

/// Distances from each row of `data` (`rows × dim`) to its `k` nearest other rows, ascending
/// (brute force, parallel over rows; `rows × k`, row-major).
pub fn nearest_neighbor_distances(data: &[f64], dim: usize, k: usize) -> Vec<f64> {
    use rayon::prelude::*;
    let rows = data.len() / dim;
    let k = k.min(rows.saturating_sub(1));
    (0..rows)
        .into_par_iter()
        .flat_map_iter(|i| {
            let x = &data[i * dim..(i + 1) * dim];
            let mut d: Vec<f64> = (0..rows)
                .filter(|&j| j != i)
                .map(|j| {
                    data[j * dim..(j + 1) * dim]
                        .iter()
                        .zip(x)
                        .map(|(a, b)| (a - b) * (a - b))
                        .sum::<f64>()
                })
                .collect();
            let k_eff = k.min(d.len());
            if k_eff > 0 {
                d.select_nth_unstable_by(k_eff - 1, f64::total_cmp);
            }
            let mut nearest: Vec<f64> = d[..k_eff].iter().map(|v| v.sqrt()).collect();
            nearest.sort_by(f64::total_cmp);
            nearest.into_iter()
        })
        .collect()
}

/// TwoNN intrinsic dimension (Facco, d'Errico, Rodriguez & Laio 2017): with `μ = r₂/r₁` the
/// ratio of each point's second- to first-neighbour distance, `μ` is Pareto with exponent `d`,
/// whose maximum-likelihood estimate is `d = n / Σ ln μ`. The largest `discard_fraction` of the
/// `μ` (Facco et al. discard 10%) are dropped, with the likelihood truncated accordingly.
pub fn two_nn(data: &[f64], dim: usize, discard_fraction: f64) -> f64 {
    let nn = nearest_neighbor_distances(data, dim, 2);
    let mut mu: Vec<f64> = nn.chunks_exact(2).filter(|r| r[0] > 0.0).map(|r| r[1] / r[0]).collect();
    mu.sort_by(f64::total_cmp);
    let keep = ((1.0 - discard_fraction.clamp(0.0, 0.99)) * mu.len() as f64).floor() as usize;
    if keep == 0 {
        return f64::NAN;
    }
    // Truncated Pareto MLE: the dropped points contribute (n − keep) · ln μ_cut.
    let cut = mu[keep - 1].ln();
    let sum: f64 = mu[..keep].iter().map(|m| m.ln()).sum::<f64>() + (mu.len() - keep) as f64 * cut;
    keep as f64 / sum
}

/// Levina–Bickel maximum-likelihood intrinsic dimension with `k` neighbours, averaged over
/// points as MacKay & Ghahramani (2005) propose (mean of the inverse local estimates).
pub fn levina_bickel(data: &[f64], dim: usize, k: usize) -> f64 {
    let k = k.max(2);
    let nn = nearest_neighbor_distances(data, dim, k);
    let inverse: Vec<f64> = nn
        .chunks_exact(k)
        .filter(|r| r[0] > 0.0)
        .map(|r| r[..k - 1].iter().map(|t| (r[k - 1] / t).ln()).sum::<f64>() / (k - 1) as f64)
        .collect();
    inverse.len() as f64 / inverse.iter().sum::<f64>()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_planted_axis_and_variance() {
        // Points (1, −2) + t·(0.6, 0.8), t = −50…50: PC1 = (0.6, 0.8), PC2 carries nothing.
        let data: Vec<f64> = (0..101)
            .flat_map(|i| {
                let t = i as f64 - 50.0;
                [0.6 * t + 1.0, 0.8 * t - 2.0]
            })
            .collect();
        let pca = Pca::fit(&data, 2, 2).unwrap();
        assert!((pca.components[0] - 0.6).abs() < 1e-9 && (pca.components[1] - 0.8).abs() < 1e-9);
        assert!((pca.mean[0] - 1.0).abs() < 1e-12 && (pca.mean[1] + 2.0).abs() < 1e-12);
        // Σ t² / (n − 1) over t = −50…50 = (2 · 50·51·101/6) / 100 = 858.5
        assert!((pca.explained_variance[0] - 858.5).abs() < 1e-6);
        assert!(pca.explained_variance_ratio[0] > 0.999_999);
        let z = pca.transform(&data[..2]);
        assert!((z[0] + 50.0).abs() < 1e-9);
    }

    #[test]
    fn participation_ratio_counts_equal_dimensions() {
        assert!((participation_ratio(&[1.0, 1.0, 1.0, 0.0]) - 3.0).abs() < 1e-12);
    }
}
