//! The machine's bound for the benchmarks: faer's GEMM throughput on one thread at a given
//! shape, the way neurodyn calls it (`neurodyn::core::mat::gemm`), in f32 and f64.
//!
//! `cargo run --release -p neurodyn --example gemm_peak -- M K N [repeats]` prints one JSON
//! line per precision: `{"dtype", "m", "k", "n", "gflops"}` (median over repeats of
//! `2·M·K·N / time`).
#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use neurodyn::core::Real;
use neurodyn::core::mat::{gemm, view, view_mut};
use std::time::Instant;

fn peak<T: Real>(m: usize, k: usize, n: usize, repeats: usize) -> f64 {
    let a: Vec<T> = (0..m * k).map(|i| T::of(((i % 7) as f64 - 3.0) * 0.1)).collect();
    let b: Vec<T> = (0..k * n).map(|i| T::of(((i % 5) as f64 - 2.0) * 0.1)).collect();
    let mut c = vec![T::ZERO; m * n];
    // Enough calls per timing for ~1 ms of work.
    let inner = (1e6 / (2.0 * (m * k * n) as f64 / 1e3)).ceil().max(1.0) as usize;
    let mut rates = Vec::with_capacity(repeats);
    for r in 0..repeats + 3 {
        let t0 = Instant::now();
        for _ in 0..inner {
            gemm(view_mut(&mut c, m, n), faer::Accum::Add, view(&a, m, k), view(&b, k, n));
        }
        let s = t0.elapsed().as_secs_f64();
        if r >= 3 {
            rates.push(2.0 * (m * k * n * inner) as f64 / s / 1e9);
        }
    }
    rates.sort_by(f64::total_cmp);
    std::hint::black_box(&c);
    rates[rates.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).filter_map(|s| s.parse().ok()).collect();
    let (m, k, n) = (
        args.first().copied().unwrap_or(64),
        args.get(1).copied().unwrap_or(128),
        args.get(2).copied().unwrap_or(128),
    );
    let repeats = args.get(3).copied().unwrap_or(50);
    for (dtype, g) in
        [("f32", peak::<f32>(m, k, n, repeats)), ("f64", peak::<f64>(m, k, n, repeats))]
    {
        println!(
            "{{\"dtype\": \"{dtype}\", \"m\": {m}, \"k\": {k}, \"n\": {n}, \"gflops\": {g:.1}}}"
        );
    }
}
