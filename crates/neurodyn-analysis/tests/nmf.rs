//! NMF: monotone objective, KKT conditions, planted recovery, masks.

use neurodyn_analysis::decomp::factor_match_score;
use neurodyn_analysis::decomp::nmf::{NmfAlgorithm, NmfConfig, NmfError, nmf};
use neurodyn_core::rng;
use rand::RngExt;

/// Planted sparse non-negative factors: W (m × k), H (k × n), half the entries zero.
fn planted(m: usize, n: usize, k: usize, seed: u64) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut r = rng::stream(seed, "planted", 0);
    let mut draw = |len: usize| -> Vec<f64> {
        (0..len)
            .map(|_| if r.random::<f64>() < 0.5 { 0.0 } else { r.random_range(0.5..2.0) })
            .collect()
    };
    let (w, h) = (draw(m * k), draw(k * n));
    let x = (0..m * n)
        .map(|idx| (0..k).map(|c| w[(idx / n) * k + c] * h[c * n + idx % n]).sum())
        .collect();
    (x, w, h)
}

fn random_mask(len: usize, observed: f64, seed: u64) -> Vec<bool> {
    let mut r = rng::stream(seed, "mask", 0);
    (0..len).map(|_| r.random::<f64>() < observed).collect()
}

fn config(algorithm: NmfAlgorithm, max_iters: usize) -> NmfConfig {
    NmfConfig { rank: 4, algorithm, max_iters, tol: 0.0, seed: 1 }
}

fn transpose(a: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    (0..cols).flat_map(|j| (0..rows).map(move |i| a[i * cols + j])).collect()
}

#[test]
fn objective_never_increases() {
    // Noisy data keep the optimum far above the round-off floor of the objective (a noiseless
    // planted fit reaches ~1e-29, where successive values are rounding noise).
    let (m, n) = (30, 40);
    let (mut x, _, _) = planted(m, n, 4, 2);
    let mut r = rng::stream(11, "noise", 0);
    x.iter_mut().for_each(|v| *v += r.random_range(0.0..0.3));
    let mask = random_mask(m * n, 0.8, 3);
    for algorithm in [NmfAlgorithm::Mu, NmfAlgorithm::Hals] {
        for mk in [None, Some(&mask[..])] {
            let fit = nmf(&x, m, n, mk, &config(algorithm, 300)).unwrap();
            for (t, pair) in fit.loss.windows(2).enumerate() {
                assert!(
                    pair[1] <= pair[0] * (1.0 + 1e-12),
                    "{algorithm:?} masked={}: sweep {t}: {} -> {}",
                    mk.is_some(),
                    pair[0],
                    pair[1]
                );
            }
        }
    }
}

#[test]
fn hals_recovers_planted_factors_with_and_without_missing_entries() {
    let (m, n, k) = (60, 80, 4);
    let (x, w0, h0) = planted(m, n, k, 4);
    let mask = random_mask(m * n, 0.8, 5);
    for mk in [None, Some(&mask[..])] {
        let fit = nmf(&x, m, n, mk, &config(NmfAlgorithm::Hals, 3000)).unwrap();
        let fms_w = factor_match_score(&fit.w, &w0, m, k);
        let fms_h = factor_match_score(&transpose(&fit.h, k, n), &transpose(&h0, k, n), n, k);
        assert!(
            fms_w > 0.99 && fms_h > 0.99,
            "masked={}: FMS W {fms_w}, H {fms_h}, final loss {:e}",
            mk.is_some(),
            fit.loss.last().unwrap()
        );
    }
}

#[test]
fn hals_fixed_point_satisfies_the_kkt_conditions() {
    // At a minimiser: W ≥ 0, ∇_W f ≥ 0 and W ⊙ ∇_W f = 0 (same for H), i.e. min(W, ∇_W f) = 0.
    let (m, n) = (25, 30);
    let (mut x, _, _) = planted(m, n, 4, 6);
    let mut r = rng::stream(7, "noise", 0);
    x.iter_mut().for_each(|v| *v += r.random_range(0.0..0.3));
    let mask = random_mask(m * n, 0.9, 8);
    let fit =
        nmf(&x, m, n, Some(&mask), &NmfConfig { rank: 3, ..config(NmfAlgorithm::Hals, 20_000) })
            .unwrap();
    let k = 3;
    let resid: Vec<f64> = (0..m * n)
        .map(|idx| {
            let p: f64 = (0..k).map(|c| fit.w[(idx / n) * k + c] * fit.h[c * n + idx % n]).sum();
            if mask[idx] { x[idx] - p } else { 0.0 }
        })
        .collect();
    let grad_w: Vec<f64> = (0..m * k)
        .map(|a| -(0..n).map(|j| resid[(a / k) * n + j] * fit.h[(a % k) * n + j]).sum::<f64>())
        .collect();
    let grad_h: Vec<f64> = (0..k * n)
        .map(|a| -(0..m).map(|i| resid[i * n + a % n] * fit.w[i * k + a / n]).sum::<f64>())
        .collect();
    let scale = grad_w.iter().chain(&grad_h).fold(0.0f64, |s, g| s.max(g.abs())).max(1.0);
    let worst = fit
        .w
        .iter()
        .zip(&grad_w)
        .chain(fit.h.iter().zip(&grad_h))
        .map(|(v, g)| v.min(*g).abs())
        .fold(0.0, f64::max);
    assert!(fit.w.iter().chain(&fit.h).all(|v| *v >= 0.0));
    assert!(worst < 1e-4 * scale, "KKT violation {worst:e} (gradient scale {scale:e})");
}

#[test]
fn masked_entries_do_not_influence_the_fit() {
    let (m, n) = (20, 25);
    let (x, _, _) = planted(m, n, 4, 9);
    let mask = random_mask(m * n, 0.7, 10);
    let garbage: Vec<f64> =
        x.iter().zip(&mask).map(|(v, o)| if *o { *v } else { f64::NAN }).collect();
    let huge: Vec<f64> = x.iter().zip(&mask).map(|(v, o)| if *o { *v } else { -1e9 }).collect();
    for algorithm in [NmfAlgorithm::Mu, NmfAlgorithm::Hals] {
        let a = nmf(&x, m, n, Some(&mask), &config(algorithm, 50)).unwrap();
        assert_eq!(a, nmf(&garbage, m, n, Some(&mask), &config(algorithm, 50)).unwrap());
        assert_eq!(a, nmf(&huge, m, n, Some(&mask), &config(algorithm, 50)).unwrap());
    }
}

#[test]
fn bad_input_is_refused() {
    let x = vec![1.0, 2.0, -3.0, 4.0];
    let c = NmfConfig { rank: 1, ..config(NmfAlgorithm::Hals, 10) };
    assert!(matches!(nmf(&x, 2, 2, None, &c), Err(NmfError::BadValue { row: 1, col: 0, .. })));
    assert!(nmf(&x, 2, 2, Some(&[true, true, false, true]), &c).is_ok());
    assert!(matches!(nmf(&x, 2, 2, Some(&[true]), &c), Err(NmfError::Shape { what: "mask", .. })));
    assert!(matches!(nmf(&x[..3], 2, 2, None, &c), Err(NmfError::Shape { what: "data", .. })));
    for rank in [0, 3] {
        assert!(matches!(
            nmf(&[1.0; 4], 2, 2, None, &NmfConfig { rank, ..c.clone() }),
            Err(NmfError::Config(_))
        ));
    }
}

#[test]
fn factor_match_score_ignores_order_and_scale() {
    let a = [1.0, 0.0, 2.0, 0.0, 1.0, 1.0, 3.0, 1.0, 0.0]; // 3 × 3, columns are factors
    let b: Vec<f64> =
        (0..3).flat_map(|i| [a[i * 3 + 2] * 5.0, a[i * 3] * 0.1, a[i * 3 + 1]]).collect();
    assert!((factor_match_score(&a, &b, 3, 3) - 1.0).abs() < 1e-12);
}
