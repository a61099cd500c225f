//! Representational-similarity measures: invariances and closed forms.

use faer::Mat;
use neurodyn_analysis::similarity::{
    Measure, cca, linear_cka, pairwise, procrustes_distance, rbf_cka, svcca,
};
use neurodyn_core::rng;
use rand_distr::{Distribution, StandardNormal};

fn gaussian(rows: usize, cols: usize, seed: u64) -> Vec<f64> {
    let mut r = rng::stream(seed, "gauss", 0);
    (0..rows * cols).map(|_| StandardNormal.sample(&mut r)).collect()
}

fn random_orthogonal(d: usize, seed: u64) -> Mat<f64> {
    let g = gaussian(d, d, seed);
    Mat::from_fn(d, d, |i, j| g[i * d + j]).qr().compute_thin_Q()
}

/// `c · X Q + t` (row-major in, row-major out).
fn transform(x: &[f64], n: usize, q: &Mat<f64>, c: f64, shift: f64) -> Vec<f64> {
    let d = q.nrows();
    (0..n)
        .flat_map(|i| {
            (0..d).map(move |j| {
                c * (0..d).map(|k| x[i * d + k] * q[(k, j)]).sum::<f64>() + shift * (j as f64 + 1.0)
            })
        })
        .collect()
}

#[test]
fn cka_is_invariant_to_orthogonal_maps_isotropic_scaling_and_translation() {
    let (n, d) = (200, 8);
    let x = gaussian(n, d, 1);
    let y = transform(&x, n, &random_orthogonal(d, 2), 3.7, 5.0);
    assert!((linear_cka(&x, &y, n) - 1.0).abs() < 1e-10);
    assert!((rbf_cka(&x, &y, n, 0.5) - 1.0).abs() < 1e-10);
    assert!((svcca(&x, &y, n, 0.99) - 1.0).abs() < 1e-8);
    // Not invariant to anisotropic scaling, and near 0 for independent data.
    let stretched: Vec<f64> =
        x.iter().enumerate().map(|(k, v)| if k % d == 0 { 10.0 * v } else { *v }).collect();
    assert!(linear_cka(&x, &stretched, n) < 0.9);
}

/// A similarity measure of two `n`-row configurations.
type Similarity = dyn Fn(&[f64], &[f64], usize) -> f64;

#[test]
fn cka_of_independent_data_is_a_bias_that_shrinks_like_one_over_n() {
    // For independent X, Y the (biased-HSIC) CKA is not 0 but a positive bias ∝ 1/n: for
    // linear kernels ≈ √(pq)/n = 8/n here. Quadrupling n must divide it by about four.
    let d = 8;
    let at = |n: usize, f: &Similarity| {
        let runs: Vec<f64> =
            (0..4).map(|s| f(&gaussian(n, d, 20 + s), &gaussian(n, d, 40 + s), n)).collect();
        runs.iter().sum::<f64>() / runs.len() as f64
    };
    let lin = |x: &[f64], y: &[f64], n| linear_cka(x, y, n);
    let rbf = |x: &[f64], y: &[f64], n| rbf_cka(x, y, n, 0.5);
    let (l100, l400) = (at(100, &lin), at(400, &lin));
    assert!(
        (l100 - 8.0 / 100.0).abs() < 0.03 && (l400 - 8.0 / 400.0).abs() < 0.01,
        "{l100} {l400}"
    );
    let (r100, r400) = (at(100, &rbf), at(400, &rbf));
    assert!((r100 / r400 - 4.0).abs() < 1.0, "RBF CKA bias {r100} at n = 100, {r400} at n = 400");
}

#[test]
fn cca_matches_the_closed_form_for_a_planted_noisy_pair() {
    // x ~ N(0, I₃); y = (x₁ + σ ε, x₂ + 3x₃, η): canonical correlations 1 (x₂ + 3x₃ is in
    // span x), 1/√(1 + σ²), and 0.
    let (n, sigma) = (20_000, 0.5);
    let x = gaussian(n, 3, 4);
    let e = gaussian(n, 2, 5);
    let y: Vec<f64> = (0..n)
        .flat_map(|i| {
            [x[3 * i] + sigma * e[2 * i], x[3 * i + 1] + 3.0 * x[3 * i + 2], e[2 * i + 1]]
        })
        .collect();
    let rho = cca(&x, &y, n);
    let want = [1.0, 1.0 / (1.0 + sigma * sigma).sqrt(), 0.0];
    for (got, want) in rho.iter().zip(want) {
        assert!((got - want).abs() < 0.02, "{rho:?} vs {want}");
    }
}

#[test]
fn procrustes_distance_is_zero_for_similar_shapes_and_a_metric() {
    let (n, d) = (50, 4);
    let x = gaussian(n, d, 6);
    let y = transform(&x, n, &random_orthogonal(d, 7), 0.3, -2.0);
    let (euclid, angle) = procrustes_distance(&x, &y, n);
    assert!(euclid < 1e-6 && angle < 1e-6, "{euclid} {angle}");
    let (a, b, c) = (gaussian(n, d, 8), gaussian(n, d, 9), gaussian(n, d, 10));
    let ang = |p: &[f64], q: &[f64]| procrustes_distance(p, q, n).1;
    assert!((ang(&a, &b) - ang(&b, &a)).abs() < 1e-10);
    assert!(ang(&a, &c) <= ang(&a, &b) + ang(&b, &c) + 1e-12);
    assert!(ang(&a, &b) > 0.1);
}

#[test]
fn pairwise_equals_the_measures_pair_by_pair() {
    // Sets of different widths with shared structure, so values lie between 0 and 1.
    let n = 150;
    let base = gaussian(n, 3, 10);
    let sets: Vec<Vec<f64>> = (0..4)
        .map(|s| {
            let w = 3 + s;
            let noise = gaussian(n, w, 20 + s as u64);
            (0..n)
                .flat_map(|i| {
                    let (base, noise) = (&base, &noise);
                    (0..w).map(move |j| {
                        base[i * 3 + j % 3] * (1.0 + j as f64) + 0.5 * noise[i * w + j]
                    })
                })
                .collect()
        })
        .collect();
    let refs: Vec<&[f64]> = sets.iter().map(Vec::as_slice).collect();
    let k = sets.len();
    let sv = pairwise(&refs, n, Measure::Svcca(0.95));
    let ck = pairwise(&refs, n, Measure::LinearCka);
    for a in 0..k {
        assert_eq!(sv[a * k + a], 1.0);
        for b in 0..k {
            if a == b {
                continue;
            }
            let one = svcca(&sets[a], &sets[b], n, 0.95);
            assert!(
                (sv[a * k + b] - one).abs() < 1e-10,
                "svcca {a} {b}: {} vs {one}",
                sv[a * k + b]
            );
            let one = linear_cka(&sets[a], &sets[b], n);
            assert!((ck[a * k + b] - one).abs() < 1e-12, "cka {a} {b}");
            assert!(sv[a * k + b] > 0.2 && sv[a * k + b] < 1.0);
        }
    }
}
