//! Times one training step (forward + backward + Adam) of a rate RNN on a pre-generated
//! flip-flop batch, single-threaded. Used by `bench/rnn_bptt/run.sh`.
//!
//! `cargo run --release -p neurodyn --example bptt_step -- <vanilla|gru|lstm> <n_hidden> [batch] [n_steps] [repeats]`
//! prints one JSON line: `{"cell":…, "n_hidden":…, "median_ms":…, "min_ms":…}`.
#![allow(clippy::print_stdout, clippy::disallowed_methods)]

use neurodyn::core::rng;
use neurodyn::models::rnn::{CellKind, RnnConfig, Tape};
use neurodyn::tasks::{FlipFlop, Task};
use neurodyn::train::{Optimizer, OptimizerKind, masked_mse_value};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let cell = match args.get(1).map(String::as_str).unwrap_or("vanilla") {
        "gru" => CellKind::Gru,
        "lstm" => CellKind::Lstm,
        _ => CellKind::Vanilla,
    };
    let arg = |k: usize, d: usize| args.get(k).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (n, batch, n_steps, repeats) = (arg(2, 128), arg(3, 64), arg(4, 100), arg(5, 30));
    let task = FlipFlop { n_bits: 3, n_steps, p_pulse: 0.05 };
    let data = task.generate(batch, &mut rng::stream(0, "bench", 0));
    let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    let (x, y, m) = (f(&data.inputs), f(&data.targets), f(&data.mask));
    let config = match cell {
        CellKind::Vanilla => RnnConfig::leaky_tanh(3, n, 3, 0.2),
        CellKind::Gru => RnnConfig::gru(3, n, 3),
        CellKind::Lstm => RnnConfig::lstm(3, n, 3),
    };
    let mut rnn = config.build::<f32>(0).expect("valid config");
    let mut opt = Optimizer::<f32>::new(OptimizerKind::default(), rnn.params().len());
    let mut tape = Tape::default();
    let mut out = vec![0.0f32; y.len()];
    let mut d_out = vec![0.0f32; y.len()];
    let mut grads = vec![0.0f32; rnn.params().len()];
    let mut times = Vec::with_capacity(repeats);
    for r in 0..repeats + 3 {
        let t0 = Instant::now();
        rnn.forward(&x, n_steps, batch, None, &mut tape, &mut out);
        masked_mse_value(&out, &y, &m, Some(&mut d_out));
        grads.iter_mut().for_each(|g| *g = 0.0);
        rnn.backward(&x, &mut tape, &d_out, None, &mut grads);
        opt.update(rnn.params_mut(), &grads, 1e-3);
        if r >= 3 {
            times.push(t0.elapsed().as_secs_f64() * 1e3);
        }
    }
    times.sort_by(f64::total_cmp);
    let name = format!("{cell:?}").to_lowercase();
    println!(
        "{{\"tool\": \"neurodyn\", \"cell\": \"{name}\", \"n_hidden\": {n}, \"batch\": {batch}, \"n_steps\": {n_steps}, \"median_ms\": {:.3}, \"min_ms\": {:.3}}}",
        times[times.len() / 2],
        times[0]
    );
}
