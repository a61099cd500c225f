//! Trains a population of flip-flop RNNs for `bench/population`: K leaky tanh networks
//! (N hidden, batch B, T steps, Adam, one seed each) for S steps, either in one call
//! (`neurodyn::train::population`, members spread over `threads`) or as K separate
//! `Trainer::run` calls one after another.
//!
//! `cargo run --release -p neurodyn --example population_train -- <one_call|separate> K N B T S threads`
//! prints one JSON line with the wall time and the mean final loss.
#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use neurodyn::models::rnn::RnnConfig;
use neurodyn::tasks::FlipFlop;
use neurodyn::train::population::{Member, train};
use neurodyn::train::{TrainConfig, Trainer};
use std::ops::ControlFlow;
use std::time::Instant;

/// Steps per member per round (as the CLI's population runs take them).
const ROUND: usize = 10;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).cloned().unwrap_or_else(|| "one_call".into());
    let arg = |k: usize, d: usize| args.get(k).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (k, n, batch, n_steps, steps, threads) =
        (arg(2, 256), arg(3, 64), arg(4, 32), arg(5, 100), arg(6, 100), arg(7, 1));
    let task = FlipFlop { n_bits: 3, n_steps, p_pulse: 0.05 };
    let config = TrainConfig {
        max_steps: steps,
        batch_size: batch,
        learning_rate: 1e-3,
        clip_grad_norm: 0.0,
        ..TrainConfig::default()
    };
    let mut members: Vec<Member> = (0..k as u64)
        .map(|s| {
            let rnn = RnnConfig::leaky_tanh(3, n, 3, 0.2).build::<f32>(s).expect("valid config");
            Member::new(Trainer::new(rnn, &config), config.clone(), s)
        })
        .collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a pool");
    let t0 = Instant::now();
    pool.install(|| {
        if mode == "separate" {
            for m in &mut members {
                m.trainer.run(&task, &m.config, m.seed, &mut |_| ControlFlow::Continue(()));
            }
        } else {
            train(&mut members, &task, ROUND, &mut |_| true);
        }
    });
    let seconds = t0.elapsed().as_secs_f64();
    let mean_loss: f64 = members
        .iter()
        .map(|m| m.trainer.history.loss.last().copied().unwrap_or(f64::NAN))
        .sum::<f64>()
        / k as f64;
    println!(
        "{{\"tool\": \"neurodyn\", \"mode\": \"{mode}\", \"threads\": {threads}, \"networks\": {k}, \"n_hidden\": {n}, \"batch\": {batch}, \"n_steps\": {n_steps}, \"steps\": {steps}, \"seconds\": {seconds:.4}, \"mean_final_loss\": {mean_loss:.6}}}"
    );
}
