//! Times one full-batch training step (forward + backward of half-MSE + Adam) of a tanh MLP,
//! single-threaded, in f32. Used by `bench/ffn/run.sh`.
//!
//! `cargo run --release -p neurodyn --example ffn_step -- [depth] [width] [batch] [repeats]`
//! prints one JSON line: `{"tool": "neurodyn", "depth":…, "width":…, "median_ms":…, "min_ms":…}`.
#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use neurodyn::core::rng;
use neurodyn::models::ffn::{Activation, FfnConfig, Loss, Tape};
use neurodyn::train::{Optimizer, OptimizerKind};
use rand_distr::{Distribution, StandardNormal};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |k: usize, d: usize| args.get(k).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (depth, width, batch, repeats) = (arg(1, 8), arg(2, 256), arg(3, 512), arg(4, 20));
    // `depth` weight layers: input and output of the same width, depth − 1 hidden layers.
    let config = FfnConfig::new(vec![width; depth + 1], Activation::Tanh);
    let mut net = config.build::<f32>(0).expect("valid config");
    let mut r = rng::stream(0, "bench", 0);
    let mut draw = |n: usize| -> Vec<f32> {
        (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut r);
                z as f32
            })
            .collect()
    };
    let (x, y) = (draw(batch * width), draw(batch * width));
    let mut opt = Optimizer::<f32>::new(OptimizerKind::default(), net.params.len());
    let mut grads = vec![0.0f32; net.params.len()];
    let mut tape = Tape::default();
    let mut times = Vec::with_capacity(repeats);
    for rep in 0..repeats + 3 {
        let t0 = Instant::now();
        net.loss_and_gradient_with(&mut tape, &x, &y, batch, Loss::Mse, &mut grads);
        opt.update(&mut net.params, &grads, 1e-4);
        if rep >= 3 {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"tool\": \"neurodyn\", \"depth\": {depth}, \"width\": {width}, \"batch\": {batch}, \"median_ms\": {:.3}, \"min_ms\": {:.3}}}",
        times[times.len() / 2],
        times[0]
    );
}
