//! Intrinsic-dimension estimators on points with a known dimension.

use neurodyn_analysis::dimensionality::{levina_bickel, two_nn};
use neurodyn_core::rng;
use rand_distr::{Distribution, StandardNormal};

/// `n` points uniform on the unit sphere S^d ⊂ R^{d+1}, embedded in R^ambient by a fixed random
/// linear isometry (orthonormalised Gaussian columns). No boundary, intrinsic dimension d.
fn sphere(d: usize, n: usize, ambient: usize, seed: u64) -> Vec<f64> {
    let mut r = rng::stream(seed, "sphere", 0);
    let mut normal = || -> f64 { StandardNormal.sample(&mut r) };
    // Gram–Schmidt on d+1 Gaussian vectors in R^ambient.
    let mut basis: Vec<Vec<f64>> = Vec::new();
    while basis.len() < d + 1 {
        let mut v: Vec<f64> = (0..ambient).map(|_| normal()).collect();
        for b in &basis {
            let p: f64 = v.iter().zip(b).map(|(x, y)| x * y).sum();
            v.iter_mut().zip(b).for_each(|(x, y)| *x -= p * y);
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        basis.push(v.iter().map(|x| x / norm).collect());
    }
    (0..n)
        .flat_map(|_| {
            let z: Vec<f64> = (0..=d).map(|_| normal()).collect();
            let norm = z.iter().map(|x| x * x).sum::<f64>().sqrt();
            (0..ambient)
                .map(|a| z.iter().zip(&basis).map(|(zi, b)| zi / norm * b[a]).sum::<f64>())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn two_nn_recovers_the_dimension_of_spheres_within_ten_percent() {
    for d in [1, 2, 4, 6] {
        let points = sphere(d, 2000, 12, d as u64);
        let est = two_nn(&points, 12, 0.1);
        assert!((est - d as f64).abs() < 0.1 * d as f64, "S^{d}: TwoNN estimated {est}");
    }
}

#[test]
fn levina_bickel_recovers_the_dimension_of_spheres_within_ten_percent() {
    for d in [1, 2, 4] {
        let points = sphere(d, 2000, 12, 10 + d as u64);
        let est = levina_bickel(&points, 12, 10);
        assert!((est - d as f64).abs() < 0.1 * d as f64, "S^{d}: Levina–Bickel estimated {est}");
    }
}
