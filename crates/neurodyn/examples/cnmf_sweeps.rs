//! Time of convolutive-NMF sweeps on planted sequences, with and without a mask.
//!
//! `cargo run --release -p neurodyn --example cnmf_sweeps -- N T K L SWEEPS [missing]`
//! (defaults 100 5000 3 20 20 0.15) prints one JSON line per algorithm (HALS, MU) and mask
//! (none; a fraction `missing` of the entries hidden): `{"algorithm", "masked", "sweeps",
//! "seconds", "loss"}`, the fit alone (data and mask are drawn before the clock starts).
#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use neurodyn::analysis::decomp::cnmf::{CnmfAlgorithm, CnmfConfig, cnmf, reconstruct};
use neurodyn::core::rng;
use rand::RngExt;
use std::time::Instant;

fn main() {
    let a: Vec<f64> = std::env::args().skip(1).filter_map(|s| s.parse().ok()).collect();
    let get = |i: usize, d: f64| a.get(i).copied().unwrap_or(d);
    let (n, t, k, l) = (
        get(0, 100.0) as usize,
        get(1, 5000.0) as usize,
        get(2, 3.0) as usize,
        get(3, 20.0) as usize,
    );
    let (sweeps, missing) = (get(4, 20.0) as usize, get(5, 0.15));
    let mut r = rng::stream(7, "cnmf_bench", 0);
    let mut w = vec![0.0; n * k * l];
    for i in 0..n {
        let lag = (i / k) * (l / 2) / (n / k).max(1);
        w[(i * k + i % k) * l + lag.min(l - 1)] = r.random_range(0.8..1.2);
    }
    let h: Vec<f64> = (0..k * t)
        .map(|_| if r.random::<f64>() < 0.03 { r.random_range(1.0..2.0) } else { 0.0 })
        .collect();
    let mut x = reconstruct(&w, &h, n, t, k, l, None);
    x.iter_mut().for_each(|v| *v += 0.05 * r.random::<f64>());
    let mask: Vec<bool> = (0..n * t).map(|_| r.random::<f64>() >= missing).collect();
    for algorithm in [CnmfAlgorithm::Hals, CnmfAlgorithm::Mu] {
        for masked in [false, true] {
            let c = CnmfConfig {
                rank: k,
                lag: l,
                algorithm,
                lambda: 0.0,
                max_iters: sweeps,
                tol: 0.0,
                seed: 1,
            };
            let t0 = Instant::now();
            let fit = cnmf(&x, n, t, masked.then_some(&mask[..]), &c).unwrap();
            let s = t0.elapsed().as_secs_f64();
            println!(
                "{{\"algorithm\": \"{algorithm:?}\", \"masked\": {masked}, \"sweeps\": {sweeps}, \"seconds\": {s:.4}, \"loss\": {:.10e}}}",
                fit.loss.last().unwrap()
            );
        }
    }
}
