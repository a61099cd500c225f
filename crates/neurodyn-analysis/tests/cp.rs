//! CP-ALS: monotone objective, planted recovery, masks.

use neurodyn_analysis::decomp::cp::{CpConfig, CpError, cp_als};
use neurodyn_analysis::decomp::factor_match_score;
use neurodyn_core::rng;
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

const SHAPE: [usize; 3] = [15, 20, 25];
const LEN: usize = 15 * 20 * 25;

/// `Σ_s A_is B_js C_ks + noise()` over the tensor, for rank-3 factors `f`.
fn assemble(f: &[Vec<f64>; 3], mut noise: impl FnMut() -> f64) -> Vec<f64> {
    let r = 3;
    (0..LEN)
        .map(|t| {
            let (i, j, k) = (t / 500, (t / 25) % 20, t % 25);
            (0..r).map(|s| f[0][i * r + s] * f[1][j * r + s] * f[2][k * r + s]).sum::<f64>()
                + noise()
        })
        .collect()
}

/// A rank-3 tensor from Gaussian factors, plus noise of standard deviation `noise`.
fn planted(noise: f64, seed: u64) -> (Vec<f64>, [Vec<f64>; 3]) {
    let mut g = rng::stream(seed, "cp_planted", 0);
    let f: [Vec<f64>; 3] =
        SHAPE.map(|n| (0..n * 3).map(|_| StandardNormal.sample(&mut g)).collect());
    let x = assemble(&f, || {
        let z: f64 = StandardNormal.sample(&mut g);
        noise * z
    });
    (x, f)
}

fn mask(observed: f64, seed: u64) -> Vec<bool> {
    let mut g = rng::stream(seed, "cp_mask", 0);
    (0..LEN).map(|_| g.random::<f64>() < observed).collect()
}

fn config(max_iters: usize) -> CpConfig {
    CpConfig { rank: 3, max_iters, tol: 0.0, seed: 7 }
}

#[test]
fn objective_never_increases() {
    let (x, _) = planted(0.5, 1);
    let m = mask(0.7, 2);
    for mk in [None, Some(&m[..])] {
        let fit = cp_als(&x, SHAPE, mk, &config(100)).unwrap();
        for (t, p) in fit.loss.windows(2).enumerate() {
            assert!(
                p[1] <= p[0] * (1.0 + 1e-12),
                "masked={}: sweep {t}: {} -> {}",
                mk.is_some(),
                p[0],
                p[1]
            );
        }
    }
}

#[test]
fn recovers_planted_factors_with_and_without_missing_entries() {
    let (x, truth) = planted(0.01, 3);
    let m = mask(0.7, 4);
    for mk in [None, Some(&m[..])] {
        let fit = cp_als(&x, SHAPE, mk, &config(500)).unwrap();
        for mode in 0..3 {
            let fms = factor_match_score(&fit.factors[mode], &truth[mode], SHAPE[mode], 3);
            assert!(fms > 0.99, "masked={}: mode {mode}: FMS {fms}", mk.is_some());
        }
        assert!(fit.weights.windows(2).all(|w| w[0] >= w[1]));
    }
}

#[test]
fn a_full_mask_gives_the_unmasked_fit() {
    // Per-row Grams (masked path) and the shared Hadamard Gram must agree when all is observed.
    let (x, _) = planted(0.3, 5);
    let a = cp_als(&x, SHAPE, None, &config(20)).unwrap();
    let b = cp_als(&x, SHAPE, Some(&vec![true; LEN]), &config(20)).unwrap();
    for mode in 0..3 {
        let diff = a.factors[mode]
            .iter()
            .zip(&b.factors[mode])
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(diff < 1e-8, "mode {mode}: {diff:e}");
    }
}

#[test]
fn masked_entries_do_not_influence_the_fit() {
    let (x, _) = planted(0.3, 6);
    let m = mask(0.6, 7);
    let garbage: Vec<f64> = x.iter().zip(&m).map(|(v, o)| if *o { *v } else { f64::NAN }).collect();
    assert_eq!(
        cp_als(&x, SHAPE, Some(&m), &config(15)).unwrap(),
        cp_als(&garbage, SHAPE, Some(&m), &config(15)).unwrap()
    );
}

#[test]
fn bad_input_is_refused() {
    let (x, _) = planted(0.0, 8);
    assert!(matches!(
        cp_als(&x[..10], SHAPE, None, &config(1)),
        Err(CpError::Shape { what: "data", .. })
    ));
    assert!(matches!(
        cp_als(&x, SHAPE, Some(&[true; 3]), &config(1)),
        Err(CpError::Shape { what: "mask", .. })
    ));
    assert!(matches!(
        cp_als(&x, SHAPE, None, &CpConfig { rank: 0, ..config(1) }),
        Err(CpError::Config(_))
    ));
    let mut bad = x.clone();
    bad[0] = f64::INFINITY;
    assert!(matches!(
        cp_als(&bad, SHAPE, None, &config(1)),
        Err(CpError::NotFinite { index: [0, 0, 0], .. })
    ));
}

/// A rank-3 tensor from sparse non-negative factors, plus non-negative noise.
fn planted_nonnegative(noise: f64, seed: u64) -> (Vec<f64>, [Vec<f64>; 3]) {
    let mut g = rng::stream(seed, "nncp_planted", 0);
    let f: [Vec<f64>; 3] = SHAPE.map(|n| {
        (0..n * 3)
            .map(|_| if g.random::<f64>() < 0.4 { 0.0 } else { g.random_range(0.2..1.5) })
            .collect()
    });
    let x = assemble(&f, || noise * g.random::<f64>());
    (x, f)
}

#[test]
fn nonnegative_cp_is_monotone_nonnegative_and_recovers_planted_factors() {
    use neurodyn_analysis::decomp::cp::nncp_hals;
    let (noisy, _) = planted_nonnegative(0.3, 9);
    let m = mask(0.7, 10);
    for mk in [None, Some(&m[..])] {
        let fit = nncp_hals(&noisy, SHAPE, mk, &config(200)).unwrap();
        for (t, p) in fit.loss.windows(2).enumerate() {
            assert!(
                p[1] <= p[0] * (1.0 + 1e-12),
                "masked={}: sweep {t}: {} -> {}",
                mk.is_some(),
                p[0],
                p[1]
            );
        }
        assert!(fit.factors.iter().flatten().all(|v| *v >= 0.0));
    }
    let (x, truth) = planted_nonnegative(0.0, 11);
    for mk in [None, Some(&m[..])] {
        let fit = nncp_hals(&x, SHAPE, mk, &config(2000)).unwrap();
        for mode in 0..3 {
            let fms = factor_match_score(&fit.factors[mode], &truth[mode], SHAPE[mode], 3);
            assert!(fms > 0.99, "masked={}: mode {mode}: FMS {fms}", mk.is_some());
        }
    }
    let mut negative = x.clone();
    negative[7] = -1.0;
    assert!(matches!(
        nncp_hals(&negative, SHAPE, None, &config(1)),
        Err(CpError::Negative { index: [0, 0, 7], .. })
    ));
    let mut hidden = vec![true; LEN];
    hidden[7] = false;
    assert!(nncp_hals(&negative, SHAPE, Some(&hidden), &config(1)).is_ok());
}

/// `Σ_s λ_s A_is B_js C_ks` at every entry.
fn model(weights: &[f64], f: &[Vec<f64>; 3], r: usize) -> Vec<f64> {
    (0..LEN)
        .map(|t| {
            let (i, j, k) = (t / 500, (t / 25) % 20, t % 25);
            (0..r).map(|s| weights[s] * f[0][i * r + s] * f[1][j * r + s] * f[2][k * r + s]).sum()
        })
        .collect()
}

/// Gradient of `½ Σ M (X − [[A, B, C]])²` with respect to factor `mode`, entry by entry: the
/// plain definition, against which the fits' products are checked.
fn masked_gradient(x: &[f64], m: &[bool], f: &[Vec<f64>; 3], r: usize, mode: usize) -> Vec<f64> {
    let mut g = vec![0.0; SHAPE[mode] * r];
    let fit = model(&vec![1.0; r], f, r);
    for t in (0..LEN).filter(|&t| m[t]) {
        let idx = [t / 500, (t / 25) % 20, t % 25];
        for s in 0..r {
            let others: f64 = (0..3).filter(|&n| n != mode).map(|n| f[n][idx[n] * r + s]).product();
            g[idx[mode] * r + s] -= (x[t] - fit[t]) * others;
        }
    }
    g
}

#[test]
fn one_masked_sweep_solves_every_rows_normal_equations_entry_by_entry() {
    // Reference: the masked ALS sweep written plainly, one Gram and right-hand side per row
    // summed over that row's observed entries, solved by Gaussian elimination.
    use neurodyn_analysis::decomp::cp::cp_als_from;
    let (x, _) = planted(0.5, 21);
    let m = mask(0.85, 22);
    let r = 3;
    let mut g = rng::stream(23, "start", 0);
    let init: [Vec<f64>; 3] =
        SHAPE.map(|n| (0..n * r).map(|_| StandardNormal.sample(&mut g)).collect());
    let mut f = init.clone();
    for mode in 0..3 {
        let n = SHAPE[mode];
        let (mut gram, mut rhs) = (vec![0.0; n * r * r], vec![0.0; n * r]);
        for t in (0..LEN).filter(|&t| m[t]) {
            let idx = [t / 500, (t / 25) % 20, t % 25];
            let z: Vec<f64> = (0..r)
                .map(|s| (0..3).filter(|&q| q != mode).map(|q| f[q][idx[q] * r + s]).product())
                .collect();
            let a = idx[mode];
            for s in 0..r {
                rhs[a * r + s] += x[t] * z[s];
                for u in 0..r {
                    gram[(a * r + s) * r + u] += z[s] * z[u];
                }
            }
        }
        for a in 0..n {
            let sol = solve(&gram[a * r * r..(a + 1) * r * r], &rhs[a * r..(a + 1) * r], r);
            f[mode][a * r..(a + 1) * r].copy_from_slice(&sol);
        }
    }
    let fit = cp_als_from(&x, SHAPE, Some(&m), &config(1), init).unwrap();
    let (got, want) = (model(&fit.weights, &fit.factors, r), model(&[1.0; 3], &f, r));
    let scale = want.iter().map(|v| v.abs()).fold(0.0, f64::max);
    for t in 0..LEN {
        assert!((got[t] - want[t]).abs() < 1e-9 * scale, "entry {t}: {} vs {}", got[t], want[t]);
    }
    let objective: f64 =
        0.5 * (0..LEN).filter(|&t| m[t]).map(|t| (x[t] - want[t]).powi(2)).sum::<f64>();
    assert!((fit.loss[1] / objective - 1.0).abs() < 1e-10, "{} vs {objective}", fit.loss[1]);
}

/// `G y = b` by Gaussian elimination with partial pivoting (`r × r`, row-major).
fn solve(g: &[f64], b: &[f64], r: usize) -> Vec<f64> {
    let mut a: Vec<Vec<f64>> = (0..r).map(|i| [&g[i * r..(i + 1) * r], &[b[i]]].concat()).collect();
    for c in 0..r {
        let p = (c..r).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())).unwrap();
        a.swap(c, p);
        for i in c + 1..r {
            let l = a[i][c] / a[c][c];
            for j in c..=r {
                a[i][j] -= l * a[c][j];
            }
        }
    }
    let mut y = vec![0.0; r];
    for i in (0..r).rev() {
        y[i] = (a[i][r] - (i + 1..r).map(|j| a[i][j] * y[j]).sum::<f64>()) / a[i][i];
    }
    y
}

#[test]
fn masked_fits_end_at_stationary_points_of_the_masked_objective() {
    // CP-ALS: gradient ≈ 0; non-negative CP: the KKT conditions (gradient ≈ 0 where a factor
    // entry is positive, ≥ 0 where it is 0), each gradient summed entry by entry.
    use neurodyn_analysis::decomp::cp::nncp_hals;
    let m = mask(0.85, 31);
    let (x, _) = planted(0.3, 32);
    let fit = cp_als(&x, SHAPE, Some(&m), &config(3000)).unwrap();
    let f = fit.factors.clone();
    let f = [
        f[0].iter().enumerate().map(|(q, v)| v * fit.weights[q % 3]).collect(),
        f[1].clone(),
        f[2].clone(),
    ];
    for mode in 0..3 {
        let g = masked_gradient(&x, &m, &f, 3, mode);
        let big = g.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!(big < 1e-6, "CP-ALS mode {mode}: largest gradient entry {big:e}");
    }
    let (x, _) = planted_nonnegative(0.3, 33);
    let fit = nncp_hals(&x, SHAPE, Some(&m), &config(5000)).unwrap();
    let f = fit.factors.clone();
    let f = [
        f[0].iter().enumerate().map(|(q, v)| v * fit.weights[q % 3]).collect(),
        f[1].clone(),
        f[2].clone(),
    ];
    for mode in 0..3 {
        let g = masked_gradient(&x, &m, &f, 3, mode);
        for (q, (gv, fv)) in g.iter().zip(&f[mode]).enumerate() {
            if *fv > 1e-8 {
                assert!(
                    gv.abs() < 1e-5,
                    "non-negative CP mode {mode} entry {q}: f {fv}, grad {gv:e}"
                );
            } else {
                assert!(*gv > -1e-5, "non-negative CP mode {mode} entry {q}: f = 0, grad {gv:e}");
            }
        }
    }
}
