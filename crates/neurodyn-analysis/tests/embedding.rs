//! Classical MDS, silhouettes and their permutation test, against closed forms.

use neurodyn_analysis::embedding::{classical_mds, permutation_test, silhouette};

fn distances(points: &[[f64; 2]]) -> Vec<f64> {
    let k = points.len();
    (0..k * k)
        .map(|q| {
            let (a, b) = (points[q / k], points[q % k]);
            ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
        })
        .collect()
}

#[test]
fn mds_recovers_a_planar_configuration_up_to_a_rigid_motion() {
    let points = [[0.0, 0.0], [3.0, 0.0], [3.0, 1.0], [-1.0, 2.0], [0.5, -2.0], [2.0, 2.5]];
    let d = distances(&points);
    let e = classical_mds(&d, points.len(), 2).unwrap();
    let coords: Vec<[f64; 2]> = e.coords.chunks(2).map(|c| [c[0], c[1]]).collect();
    let again = distances(&coords);
    for (x, y) in d.iter().zip(&again) {
        assert!((x - y).abs() < 1e-10, "{x} vs {y}");
    }
    assert!((e.explained - 1.0).abs() < 1e-12);
    // Three dimensions of planar data: the third eigenvalue is zero.
    let e3 = classical_mds(&d, points.len(), 3).unwrap();
    assert!(e3.eigenvalues[2].abs() < 1e-9);
}

#[test]
fn silhouette_of_two_tight_clusters_and_a_worked_example() {
    // Two groups at distance 10 with spread 1: s(i) = (10 − 1)/10 for every point... in the
    // configuration below each point's own-group distance is 1 and other-group distance 10.
    let k = 4;
    let mut d = vec![0.0; k * k];
    for i in 0..k {
        for j in 0..k {
            if i != j {
                d[i * k + j] = if i / 2 == j / 2 { 1.0 } else { 10.0 };
            }
        }
    }
    assert!((silhouette(&d, &[0, 0, 1, 1]) - 0.9).abs() < 1e-12);
    // Mixed labels: a = 10 (own group is one far point), b = mean(1, 10) = 5.5 → s = −0.45.
    assert!((silhouette(&d, &[0, 1, 0, 1]) + 0.45).abs() < 1e-12);
    // A group of one scores 0 (scikit-learn's convention): points 1, 2, 3 in group 1.
    // Point 0 alone: 0. Point 1: a = mean(10, 10) = 10, b = 1 → (1 − 10)/10 = −0.9.
    // Points 2, 3: a = mean(10, 1) = 5.5, b = 10 → 0.45 each. Mean = (0 − 0.9 + 0.9)/4 = 0.
    assert!(silhouette(&d, &[0, 1, 1, 1]).abs() < 1e-12);
    assert!(silhouette(&d, &[0, 0, 0, 0]).is_nan());
}

#[test]
fn permutation_test_separates_real_clusters_from_random_labels() {
    // 3 groups of 8 points around well-separated centres.
    let mut points = Vec::new();
    let mut labels = Vec::new();
    for (g, c) in [[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]].iter().enumerate() {
        for i in 0..8 {
            let a = i as f64 * 0.785;
            points.push([c[0] + a.cos(), c[1] + a.sin()]);
            labels.push(g);
        }
    }
    let d = distances(&points);
    let (s, p) = permutation_test(&d, &labels, 199, 3);
    assert!(s > 0.7, "{s}");
    assert!((p - 1.0 / 200.0).abs() < 1e-12, "{p}");
    // Labels unrelated to position (every third point): no evidence, p large.
    let unrelated: Vec<usize> = (0..24).map(|i| i % 3).collect();
    let (s, p) = permutation_test(&d, &unrelated, 199, 3);
    assert!(s < 0.0, "{s}");
    assert!(p > 0.3, "{p}");
}
