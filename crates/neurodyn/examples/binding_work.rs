//! The work of `bench/python/overhead.py`, called from Rust: linear CKA of two 2000 × 100
//! matrices and 20 CP-ALS sweeps of rank 5 on a 50 × 50 × 50 tensor (tol = 0, so the work is
//! fixed), one thread. The Python benchmark times the same calls through the bindings.
//!
//! `cargo run --release -p neurodyn --example binding_work -- [repeats]` prints one JSON
//! line per work item: `{"work":…, "median_ms":…, "min_ms":…}`.
#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use neurodyn::analysis::decomp::cp::{CpConfig, cp_als};
use neurodyn::analysis::similarity::linear_cka;
use neurodyn::core::rng;
use rand_distr::{Distribution, StandardNormal};
use std::time::Instant;

fn median_ms(mut times: Vec<f64>) -> (f64, f64) {
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2] * 1e3, times[0] * 1e3)
}

fn time(repeats: usize, mut f: impl FnMut()) -> (f64, f64) {
    f(); // warm-up
    let times = (0..repeats)
        .map(|_| {
            let t0 = Instant::now();
            f();
            t0.elapsed().as_secs_f64()
        })
        .collect();
    median_ms(times)
}

fn main() {
    let repeats = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(30);
    let mut g = rng::stream(0, "bench", 0);
    let mut draw =
        |n: usize| -> Vec<f64> { (0..n).map(|_| StandardNormal.sample(&mut g)).collect() };
    let (x, y) = (draw(2000 * 100), draw(2000 * 100));
    let t = draw(50 * 50 * 50);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("a pool");
    pool.install(|| {
        let (med, min) = time(repeats, || {
            std::hint::black_box(linear_cka(&x, &y, 2000));
        });
        println!(r#"{{"work":"cka_linear_2000x100","median_ms":{med},"min_ms":{min}}}"#);
        let config = CpConfig { rank: 5, max_iters: 20, tol: 0.0, seed: 0 };
        let (med, min) = time(repeats, || {
            std::hint::black_box(cp_als(&t, [50, 50, 50], None, &config).expect("valid"));
        });
        println!(r#"{{"work":"cp_als_50^3_rank5_20sweeps","median_ms":{med},"min_ms":{min}}}"#);
    });
}
