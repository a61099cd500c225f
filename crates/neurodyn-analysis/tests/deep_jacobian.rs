//! Jacobian spectra of deep networks against exact results.

use neurodyn_analysis::deep_jacobian::{
    DeepNetConfig, Nonlinearity, WeightInit, empirical_moments, free_density, free_moments,
    fuss_catalan, jacobian_singular_values,
};

fn net(
    nonlinearity: Nonlinearity,
    weights: WeightInit,
    n_layers: usize,
    width: usize,
) -> DeepNetConfig {
    DeepNetConfig { n_layers, width, nonlinearity, weights, sigma_w: 1.0, sigma_b: 0.0 }
}

#[test]
fn linear_orthogonal_networks_are_exact_isometries() {
    let s = jacobian_singular_values(&net(Nonlinearity::Linear, WeightInit::Orthogonal, 20, 64), 1);
    assert!(s.iter().all(|v| (v - 1.0).abs() < 1e-12), "{:?}", &s[..4]);
}

#[test]
fn fuss_catalan_numbers_are_right() {
    // L = 1: Catalan numbers 1, 2, 5, 14; L = 2: 1, 3, 12, 55.
    let got: Vec<f64> =
        (1..=4).map(|k| fuss_catalan(1, k)).chain((1..=4).map(|k| fuss_catalan(2, k))).collect();
    assert_eq!(got, vec![1.0, 2.0, 5.0, 14.0, 1.0, 3.0, 12.0, 55.0]);
}

#[test]
fn linear_gaussian_networks_follow_the_fuss_catalan_law() {
    // Moments of λ = s² averaged over 4 networks of width 300 and depth 3: the k-th moment
    // fluctuates by O(1/N) relative, grows with k; 5% holds for k ≤ 3.
    let (l, n) = (3, 300);
    let mut moments = [0.0; 3];
    for seed in 0..4 {
        let s =
            jacobian_singular_values(&net(Nonlinearity::Linear, WeightInit::Gaussian, l, n), seed);
        for (k, m) in moments.iter_mut().enumerate() {
            *m += s.iter().map(|v| v.powi(2 * (k as i32 + 1))).sum::<f64>() / n as f64 / 4.0;
        }
    }
    for (k, m) in moments.iter().enumerate() {
        let want = fuss_catalan(l, k + 1);
        assert!((m - want).abs() < 0.05 * want, "moment {}: {m} vs {want}", k + 1);
    }
}

#[test]
fn orthogonal_tanh_is_better_conditioned_than_gaussian_relu() {
    // Pennington et al. 2017: at criticality, orthogonal tanh nets keep a narrow singular-value
    // spectrum while ReLU nets (Gaussian or not) spread it with depth.
    let tanh = DeepNetConfig {
        sigma_w: 1.05,
        sigma_b: 0.0,
        ..net(Nonlinearity::Tanh, WeightInit::Orthogonal, 32, 200)
    };
    let relu = DeepNetConfig {
        sigma_w: std::f64::consts::SQRT_2,
        ..net(Nonlinearity::Relu, WeightInit::Gaussian, 32, 200)
    };
    let spread = |s: Vec<f64>| {
        let pos: Vec<f64> = s.into_iter().filter(|v| *v > 1e-12).collect();
        pos[0] / pos[pos.len() / 2]
    };
    let (t, r) =
        (spread(jacobian_singular_values(&tanh, 3)), spread(jacobian_singular_values(&relu, 3)));
    assert!(t < r, "max/median singular value: tanh-orthogonal {t}, relu-gaussian {r}");
}

#[test]
fn free_moments_reduce_to_closed_forms_for_linear_networks() {
    // Gaussian: the S-transform (1+z)^{-L} gives the Fuss–Catalan numbers.
    for l in [1, 3, 5] {
        let m = free_moments(&net(Nonlinearity::Linear, WeightInit::Gaussian, l, 1), 6);
        for (k, v) in m.iter().enumerate() {
            let want = fuss_catalan(l, k + 1);
            assert!((v - want).abs() < 1e-9 * want, "L = {l}, moment {}: {v} vs {want}", k + 1);
        }
    }
    // Scaled orthogonal: λ = σ_w^{2L} exactly.
    let c =
        DeepNetConfig { sigma_w: 1.1, ..net(Nonlinearity::Linear, WeightInit::Orthogonal, 4, 1) };
    for (k, v) in free_moments(&c, 5).iter().enumerate() {
        let want = 1.1f64.powi(8 * (k as i32 + 1));
        assert!((v - want).abs() < 1e-9 * want, "moment {}: {v} vs {want}", k + 1);
    }
}

#[test]
fn nonlinear_jacobian_moments_follow_free_probability() {
    // Moments of λ = s² over 30 networks of width 400 and depth 4 against the N → ∞
    // prediction, for tanh and ReLU with Gaussian and orthogonal weights: within 3 standard
    // errors of the mean across networks (one network alone is off by ~10 %: (1/N)·tr(JJᵀ) is a product of L
    // self-averaging factors, each fluctuating by O(1/√N)), the standard error itself small
    // (< 4 %) so that the check has power.

    let cases = [
        (Nonlinearity::Tanh, WeightInit::Gaussian, 1.3, 0.1),
        (Nonlinearity::Tanh, WeightInit::Orthogonal, 1.05, 0.0),
        (Nonlinearity::Relu, WeightInit::Gaussian, std::f64::consts::SQRT_2, 0.0),
        (Nonlinearity::Relu, WeightInit::Orthogonal, std::f64::consts::SQRT_2, 0.0),
    ];
    let samples = 24;
    for (phi, w, sigma_w, sigma_b) in cases {
        let c = DeepNetConfig { sigma_w, sigma_b, ..net(phi, w, 4, 600) };
        let want = free_moments(&c, 3);
        let runs: Vec<Vec<f64>> = (0..samples)
            .map(|seed| empirical_moments(&jacobian_singular_values(&c, seed), 3))
            .collect();
        for k in 0..3 {
            let xs: Vec<f64> = runs.iter().map(|m| m[k]).collect();
            let mean = xs.iter().sum::<f64>() / samples as f64;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (samples - 1) as f64;
            let se = (var / samples as f64).sqrt();
            assert!(se < 0.05 * want[k], "{phi:?} {w:?} moment {}: s.e. {se}", k + 1);
            assert!(
                (mean - want[k]).abs() < 3.0 * se,
                "{phi:?} {w:?} moment {}: {mean} ± {se} vs predicted {}",
                k + 1,
                want[k]
            );
        }
    }
}

#[test]
fn free_density_is_marchenko_pastur_for_one_gaussian_layer() {
    // L = 1, σ_w = 1: λ = s² follows ρ(x) = √(x(4 − x)) / (2πx) on [0, 4].
    let c = net(Nonlinearity::Linear, WeightInit::Gaussian, 1, 1);
    let xs = [0.25, 0.5, 1.0, 2.0, 3.0, 3.9, 4.5];
    for (x, got) in xs.iter().zip(free_density(&c, &xs)) {
        let want =
            if *x < 4.0 { (x * (4.0 - x)).sqrt() / (2.0 * std::f64::consts::PI * x) } else { 0.0 };
        // ε = 1e-4 of the scale smooths the density: a tail of ~1e-5 just outside the edge.
        assert!((got - want).abs() < 1e-4 * want.max(0.5), "x = {x}: {got} vs {want}");
    }
}

#[test]
fn free_density_integrates_to_the_free_moments() {
    // Orthogonal tanh, 8 layers: no mass at 0, so a Riemann sum over the support recovers the
    // mass and the first two moments the S-transform series gives.
    let c =
        DeepNetConfig { sigma_w: 1.05, ..net(Nonlinearity::Tanh, WeightInit::Orthogonal, 8, 1) };
    let m = free_moments(&c, 2);
    let (top, n) = (8.0 * m[0], 4000);
    let h = top / n as f64;
    let xs: Vec<f64> = (0..n).map(|i| (i as f64 + 0.5) * h).collect();
    let d = free_density(&c, &xs);
    let moment = |k: i32| d.iter().zip(&xs).map(|(p, x)| p * x.powi(k)).sum::<f64>() * h;
    assert!((moment(0) - 1.0).abs() < 0.03, "mass {}", moment(0));
    assert!((moment(1) - m[0]).abs() < 0.01 * m[0], "m1 {} vs {}", moment(1), m[0]);
    assert!((moment(2) - m[1]).abs() < 0.01 * m[1], "m2 {} vs {}", moment(2), m[1]);
}
