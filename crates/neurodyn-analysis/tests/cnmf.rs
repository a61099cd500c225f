//! Convolutive NMF: monotone objectives, KKT conditions, planted motifs, masks, seqNMF.

use neurodyn_analysis::decomp::cnmf::{CnmfAlgorithm, CnmfConfig, CnmfError, cnmf, reconstruct};
use neurodyn_analysis::decomp::factor_match_score;
use neurodyn_core::rng;
use rand::RngExt;

const N: usize = 24;
const T: usize = 400;
const K: usize = 2;
const L: usize = 10;

/// Two planted sequences: motif r fires its neurons in order over L/2 bins (fits use motifs
/// twice as long as the sequences, as seqNMF advises, so a fitted motif may sit anywhere in
/// its window); sparse activations. Returns (X, per-motif reconstructions as columns
/// `(N·T) × K`).
fn planted(noise: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
    let mut r = rng::stream(seed, "planted_cnmf", 0);
    let mut w = vec![0.0; N * K * L];
    for i in 0..N {
        let motif = i % K; // interleaved neurons belong to each motif
        let lag = (i / K) * (L / 2) / (N / K);
        w[(i * K + motif) * L + lag] = r.random_range(0.8..1.2);
    }
    let h: Vec<f64> = (0..K * T)
        .map(|_| if r.random::<f64>() < 0.03 { r.random_range(1.0..2.0) } else { 0.0 })
        .collect();
    let mut x = reconstruct(&w, &h, N, T, K, L, None);
    x.iter_mut().for_each(|v| *v += noise * r.random::<f64>());
    (x, parts(&w, &h))
}

/// Each motif's own reconstruction as one column of an `(N·T) × K` matrix: comparing these
/// is blind to the time-shift ambiguity of (motif, activation) pairs.
fn parts(w: &[f64], h: &[f64]) -> Vec<f64> {
    let cols: Vec<Vec<f64>> = (0..K).map(|r| reconstruct(w, h, N, T, K, L, Some(r))).collect();
    (0..N * T).flat_map(|q| cols.iter().map(move |c| c[q])).collect()
}

fn config(algorithm: CnmfAlgorithm, max_iters: usize, seed: u64) -> CnmfConfig {
    CnmfConfig { rank: K, lag: L, algorithm, lambda: 0.0, max_iters, tol: 0.0, seed }
}

#[test]
fn objective_never_increases() {
    let (x, _) = planted(0.3, 1);
    let mut r = rng::stream(2, "mask", 0);
    let mask: Vec<bool> = (0..N * T).map(|_| r.random::<f64>() < 0.8).collect();
    for algorithm in [CnmfAlgorithm::Mu, CnmfAlgorithm::Hals, CnmfAlgorithm::Anls] {
        for mk in [None, Some(&mask[..])] {
            let fit = cnmf(&x, N, T, mk, &config(algorithm, 60, 3)).unwrap();
            for (s, pair) in fit.loss.windows(2).enumerate() {
                assert!(
                    pair[1] <= pair[0] * (1.0 + 1e-12),
                    "{algorithm:?} masked={}: sweep {s}: {} -> {}",
                    mk.is_some(),
                    pair[0],
                    pair[1]
                );
            }
            assert!(fit.loss.last().unwrap() < &(0.5 * fit.loss[0]));
        }
    }
}

/// Best of a few restarts (the fits are non-convex).
fn best_fit(
    x: &[f64],
    mask: Option<&[bool]>,
    algorithm: CnmfAlgorithm,
    iters: usize,
) -> (Vec<f64>, Vec<f64>, f64) {
    (1..=4)
        .map(|seed| cnmf(x, N, T, mask, &config(algorithm, iters, seed)).unwrap())
        .map(|f| {
            let loss = *f.loss.last().unwrap();
            (f.w, f.h, loss)
        })
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .unwrap()
}

#[test]
fn hals_recovers_planted_sequences_and_ignores_masked_entries() {
    let (x, truth) = planted(0.01, 4);
    let (w, h, _) = best_fit(&x, None, CnmfAlgorithm::Hals, 300);
    let fms = factor_match_score(&parts(&w, &h), &truth, N * T, K);
    assert!(fms > 0.99, "factor match score {fms}");
    // 25% of entries masked and overwritten with garbage: the same motifs come back.
    let mut r = rng::stream(5, "mask", 0);
    let mask: Vec<bool> = (0..N * T).map(|_| r.random::<f64>() < 0.75).collect();
    let garbage: Vec<f64> =
        x.iter().zip(&mask).map(|(v, m)| if *m { *v } else { f64::NAN }).collect();
    let (w2, h2, _) = best_fit(&garbage, Some(&mask), CnmfAlgorithm::Hals, 300);
    let fms = factor_match_score(&parts(&w2, &h2), &truth, N * T, K);
    assert!(fms > 0.99, "masked factor match score {fms}");
    // Masked entries do not influence the fit at all: other values there, same fit.
    let other: Vec<f64> = x.iter().zip(&mask).map(|(v, m)| if *m { *v } else { 1e6 }).collect();
    let a = cnmf(&garbage, N, T, Some(&mask), &config(CnmfAlgorithm::Hals, 20, 1)).unwrap();
    let b = cnmf(&other, N, T, Some(&mask), &config(CnmfAlgorithm::Hals, 20, 1)).unwrap();
    assert_eq!(a, b);
    // A mask with nothing missing is no mask: the same path (Gram matrices), the same bits.
    // (Both paths are checked against the entry-by-entry passes in the unit tests.)
    let everything = vec![true; N * T];
    for algorithm in [CnmfAlgorithm::Hals, CnmfAlgorithm::Anls, CnmfAlgorithm::Mu] {
        let none = cnmf(&x, N, T, None, &config(algorithm, 10, 2)).unwrap();
        let all = cnmf(&x, N, T, Some(&everything), &config(algorithm, 10, 2)).unwrap();
        assert_eq!(none, all, "{algorithm:?}");
    }
}

#[test]
fn hals_fixed_points_satisfy_kkt() {
    // At a fixed point of exact coordinate descent every coordinate minimises its quadratic
    // on [0, ∞): gradient ≥ 0 where the variable is 0 and = 0 where it is positive.
    let (x, _) = planted(0.05, 6);
    let fit = cnmf(&x, N, T, None, &config(CnmfAlgorithm::Hals, 2000, 1)).unwrap();
    let xhat = reconstruct(&fit.w, &fit.h, N, T, K, L, None);
    let res: Vec<f64> = x.iter().zip(&xhat).map(|(a, b)| b - a).collect(); // ∂(½‖·‖²)/∂X̂
    let scale = x.iter().map(|v| v * v).sum::<f64>().sqrt();
    let tol = 1e-4 * scale;
    for r in 0..K {
        for tau in 0..T {
            let g: f64 = (0..L.min(T - tau))
                .map(|l| {
                    (0..N).map(|i| fit.w[(i * K + r) * L + l] * res[i * T + tau + l]).sum::<f64>()
                })
                .sum();
            let v = fit.h[r * T + tau];
            assert!(
                v >= 0.0 && g >= -tol && (v == 0.0 || g.abs() <= tol),
                "H[{r},{tau}] = {v}, gradient {g}"
            );
        }
        for l in 0..L {
            for i in 0..N {
                let g: f64 = (l..T).map(|tau| res[i * T + tau] * fit.h[r * T + tau - l]).sum();
                let v = fit.w[(i * K + r) * L + l];
                assert!(
                    v >= 0.0 && g >= -tol && (v == 0.0 || g.abs() <= tol),
                    "W[{i},{r},{l}] = {v}, gradient {g}"
                );
            }
        }
    }
}

#[test]
fn seqnmf_penalty_removes_redundant_factors() {
    // One planted sequence fitted with two factors: without the penalty both factors share
    // it (their reconstructions correlate); with seqNMF's cross-orthogonality penalty
    // (Mackevicius et al. 2019) one factor takes the sequence and the overlap collapses.
    let (both, _) = planted(0.0, 7);
    // Keep only the neurons of motif 0 (even rows): a single sequence.
    let x: Vec<f64> =
        (0..N * T).map(|q| if (q / T).is_multiple_of(K) { both[q] } else { 0.0 }).collect();
    let overlap = |lambda: f64| {
        let c = CnmfConfig { lambda, ..config(CnmfAlgorithm::Mu, 500, 3) };
        let f = cnmf(&x, N, T, None, &c).unwrap();
        let p = parts(&f.w, &f.h);
        let (a, b): (Vec<f64>, Vec<f64>) = (0..N * T).map(|q| (p[q * K], p[q * K + 1])).unzip();
        let dot = a.iter().zip(&b).map(|(u, v)| u * v).sum::<f64>();
        let na = a.iter().map(|u| u * u).sum::<f64>().sqrt();
        let nb = b.iter().map(|u| u * u).sum::<f64>().sqrt();
        dot / (na * nb).max(1e-300)
    };
    let (plain, penalised) = (overlap(0.0), overlap(0.01));
    assert!(
        plain > 0.2 && penalised < 0.5 * plain,
        "overlap without penalty {plain}, with {penalised}"
    );
}

#[test]
fn bad_input_is_refused() {
    let (x, _) = planted(0.0, 8);
    let c = config(CnmfAlgorithm::Hals, 1, 1);
    assert!(
        matches!(cnmf(&x, N, T, None, &CnmfConfig { rank: 0, ..c.clone() }), Err(CnmfError::Config(e)) if e.field == "rank")
    );
    assert!(
        matches!(cnmf(&x, N, T, None, &CnmfConfig { lag: T + 1, ..c.clone() }), Err(CnmfError::Config(e)) if e.field == "lag")
    );
    assert!(
        matches!(cnmf(&x, N, T, None, &CnmfConfig { lambda: 0.1, ..c.clone() }), Err(CnmfError::Config(e)) if e.field == "lambda")
    );
    assert!(matches!(cnmf(&x[1..], N, T, None, &c), Err(CnmfError::Shape { what: "data", .. })));
    let mut neg = x.clone();
    neg[5] = -1.0;
    assert!(matches!(cnmf(&neg, N, T, None, &c), Err(CnmfError::BadValue { row: 0, col: 5, .. })));
    assert!(matches!(
        cnmf(&x, N, T, Some(&[true; 3]), &c),
        Err(CnmfError::Shape { what: "mask", .. })
    ));
}

/// Degleris, Antin, Ganguli & Williams (2019): HALS and ANLS reach the final loss of multiplicative
/// updates in a fraction of MU's time. Timed, so ignored in CI:
/// `cargo test --release -p neurodyn-analysis --test cnmf -- --ignored`.
#[test]
#[ignore]
#[allow(clippy::disallowed_methods, clippy::print_stderr)]
fn reproduction_hals_and_anls_reach_mu_loss_in_a_third_of_the_time() {
    use std::time::Instant;
    let (x, _) = planted(0.1, 9);
    let (mu_iters, hals_iters) = (400, 400);
    let t0 = Instant::now();
    let mu = cnmf(&x, N, T, None, &config(CnmfAlgorithm::Mu, mu_iters, 1)).unwrap();
    let mu_time = t0.elapsed().as_secs_f64();
    let target = *mu.loss.last().unwrap();
    let time_to_target = |algorithm: CnmfAlgorithm| {
        let t1 = Instant::now();
        let fit = cnmf(&x, N, T, None, &config(algorithm, hals_iters, 1)).unwrap();
        let elapsed = t1.elapsed().as_secs_f64();
        let reached = fit.loss.iter().position(|&l| l <= target).expect("reaches MU's final loss");
        // Sweeps cost about the same throughout, so time to the target is proportional.
        (reached, elapsed * reached as f64 / (fit.loss.len() - 1) as f64)
    };
    let (reached, hals_to_target) = time_to_target(CnmfAlgorithm::Hals);
    let (anls_reached, anls_to_target) = time_to_target(CnmfAlgorithm::Anls);
    eprintln!(
        "MU: {mu_iters} sweeps, {mu_time:.3} s, final loss {target:.4}; HALS reaches it after {reached} sweeps, {hals_to_target:.3} s ({:.1}× faster); ANLS after {anls_reached} sweeps, {anls_to_target:.3} s ({:.1}× faster)",
        mu_time / hals_to_target,
        mu_time / anls_to_target
    );
    assert!(anls_to_target <= mu_time / 3.0);
    assert!(hals_to_target <= mu_time / 3.0);
}
