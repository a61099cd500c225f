//! The training loop.

use crate::{MaskedMse, NoiseStreams, Optimizer, TrainConfig, masked_mse};
use neurodyn_core::{Real, rng};
use neurodyn_models::rnn::{Rnn, Tape};
use neurodyn_tasks::{Task, TaskBatch};
use rand_distr::{Distribution, StandardNormal};
use std::ops::ControlFlow;

/// Per-step records of a run.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct History {
    /// Training loss (task MSE plus penalties) of each step.
    pub loss: Vec<f64>,
    /// Global gradient norm before clipping.
    pub grad_norm: Vec<f64>,
    /// Learning rate used.
    pub learning_rate: Vec<f64>,
}

/// Everything needed to continue a run exactly where it stopped.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Checkpoint {
    /// Steps completed.
    pub step: usize,
    /// Network parameters.
    pub params: Vec<f32>,
    /// Optimiser state.
    pub optimizer: Optimizer<f32>,
    /// History up to `step`.
    pub history: History,
}

/// What the training loop tells its observer.
#[derive(Debug)]
pub enum Event<'a> {
    /// A step finished.
    Step {
        /// Steps completed.
        step: usize,
        /// Its loss.
        loss: f64,
    },
    /// A checkpoint is due; the observer decides where it goes.
    Checkpoint(&'a Checkpoint),
}

/// Why [`Trainer::run`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `max_steps` reached.
    MaxSteps,
    /// The loss fell below `target_loss`.
    TargetLoss,
    /// The observer asked to stop.
    Interrupted,
    /// The loss or gradient became NaN or infinite, or the loss grew past
    /// [`DIVERGENCE_FACTOR`] × its first value ([`Trainer::divergence`] says where).
    Diverged,
}

/// Training counts as diverged when the loss exceeds this factor times its scale (the larger of
/// the first step's loss and the loss of zero outputs): a learning rate far too large (Adam with
/// 1e3 moves every weight by ~1e3 a step) makes the loss huge long before it overflows, while
/// training that works does not raise it 10⁴-fold.
pub const DIVERGENCE_FACTOR: f64 = 1e4;

/// Where and how training diverged: the step, the loss against the first one, and the
/// parameter block whose gradient is not finite or, if all are, largest (root mean square).
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// The step whose loss or gradient diverged (0-based).
    pub step: usize,
    /// Its loss.
    pub loss: f64,
    /// The first step's loss.
    pub first_loss: f64,
    /// The parameter block (`w_h`, `w_x`, `b_x`, `b_h`, `w_out`, `b_out`) named above.
    pub block: &'static str,
    /// Whether that block's gradient is finite.
    pub gradient_finite: bool,
    /// The learning rate of that step.
    pub learning_rate: f64,
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "training diverged at step {}: loss {:.3e} (first step {:.3e}); the gradient of {} is {}; lower train.learning_rate (now {}) or set train.clip_grad_norm",
            self.step,
            self.loss,
            self.first_loss,
            self.block,
            if self.gradient_finite { "the largest" } else { "not finite" },
            self.learning_rate
        )
    }
}

/// What one call of [`Trainer::advance`] did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Advance {
    /// Loss of the step taken; `None` when no step was taken (`max_steps` reached).
    pub loss: Option<f64>,
    /// Why training stops here, if it does.
    pub stop: Option<StopReason>,
}

/// A network, its optimiser and its history.
#[derive(Clone, Debug)]
pub struct Trainer {
    /// The network being trained.
    pub rnn: Rnn<f32>,
    /// Optimiser state.
    pub optimizer: Optimizer<f32>,
    /// Steps completed.
    pub step: usize,
    /// Per-step records.
    pub history: History,
    /// Set when [`Trainer::run`] stops with [`StopReason::Diverged`].
    pub divergence: Option<Divergence>,
    buffers: Buffers,
}

/// Work arrays reused across steps.
#[derive(Clone, Debug, Default)]
struct Buffers {
    /// The pass over the whole batch (`batch_chunks = 1`).
    whole: Pass,
    grads: Vec<f32>,
    noise: Vec<f32>,
    chunks: Vec<Chunk>,
}

/// Work arrays of one forward–backward pass over a batch (or a chunk of one).
#[derive(Clone, Debug, Default)]
struct Pass {
    tape: Tape<f32>,
    outputs: Vec<f32>,
    d_outputs: Vec<f32>,
    d_hidden: Vec<f32>,
}

/// One chunk of trials of a data-parallel step: its slice of the batch, its pass and its
/// gradient.
#[derive(Clone, Debug, Default)]
struct Chunk {
    inputs: Vec<f32>,
    targets: Vec<f32>,
    mask: Vec<f32>,
    noise: Vec<f32>,
    pass: Pass,
    grads: Vec<f32>,
    /// `Σ m (y − t)²` and `Σ h²` over the chunk.
    sums: (f64, f64),
}

/// A task batch converted to the training precision.
struct Batch32 {
    inputs: Vec<f32>,
    targets: Vec<f32>,
    mask: Vec<f32>,
    n_steps: usize,
    batch: usize,
}

impl From<&TaskBatch> for Batch32 {
    fn from(b: &TaskBatch) -> Self {
        let f = |v: &[f64]| v.iter().map(|&x| x as f32).collect();
        Batch32 {
            inputs: f(&b.inputs),
            targets: f(&b.targets),
            mask: f(&b.mask),
            n_steps: b.n_steps,
            batch: b.batch,
        }
    }
}

impl Trainer {
    /// A fresh trainer for `rnn`.
    pub fn new(rnn: Rnn<f32>, config: &TrainConfig) -> Self {
        let optimizer = Optimizer::new(config.optimizer, rnn.params().len());
        Trainer {
            rnn,
            optimizer,
            step: 0,
            history: History::default(),
            divergence: None,
            buffers: Buffers::default(),
        }
    }

    /// Restores parameters, optimiser state and history from a checkpoint.
    pub fn restore(&mut self, checkpoint: &Checkpoint) {
        self.rnn.params_mut().copy_from_slice(&checkpoint.params);
        self.optimizer = checkpoint.optimizer.clone();
        self.step = checkpoint.step;
        self.history = checkpoint.history.clone();
    }

    /// The current state as a checkpoint.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            step: self.step,
            params: self.rnn.params().to_vec(),
            optimizer: self.optimizer.clone(),
            history: self.history.clone(),
        }
    }

    /// Trains until `max_steps`, the target loss, divergence, or the observer breaks.
    pub fn run(
        &mut self,
        task: &dyn Task,
        config: &TrainConfig,
        seed: u64,
        observer: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
    ) -> StopReason {
        loop {
            let Advance { loss, stop } = self.advance(task, config, seed);
            let Some(loss) = loss else {
                return stop.unwrap_or(StopReason::MaxSteps);
            };
            if stop == Some(StopReason::Diverged) {
                return StopReason::Diverged;
            }
            if observer(Event::Step { step: self.step, loss }).is_break() {
                return StopReason::Interrupted;
            }
            if config.checkpoint_every > 0 && self.step.is_multiple_of(config.checkpoint_every) {
                let checkpoint = self.checkpoint();
                if observer(Event::Checkpoint(&checkpoint)).is_break() {
                    return StopReason::Interrupted;
                }
            }
            if let Some(stop) = stop {
                return stop;
            }
        }
    }

    /// One training step, unless training is over: the step's loss (none when `max_steps` was
    /// already reached) and why training stops after it, if it does (`Diverged`, with
    /// [`Trainer::divergence`] set, or `TargetLoss`). [`Trainer::run`] is this in a loop with
    /// an observer; populations call it for many networks in turn.
    pub fn advance(&mut self, task: &dyn Task, config: &TrainConfig, seed: u64) -> Advance {
        if self.step >= config.max_steps {
            return Advance { loss: None, stop: Some(StopReason::MaxSteps) };
        }
        let batch = task
            .generate(config.batch_size, &mut rng::stream(seed, "train_batch", self.step as u64));
        let loss = self.train_step(&Batch32::from(&batch), config, seed);
        if let Some(d) = self.diverged(loss, &batch) {
            self.divergence = Some(d);
            return Advance { loss: Some(loss), stop: Some(StopReason::Diverged) };
        }
        let stop = (loss < config.target_loss).then_some(StopReason::TargetLoss);
        Advance { loss: Some(loss), stop }
    }

    /// The divergence of the step just taken on `batch` (loss `loss`, its gradient in the
    /// buffers), if any. The loss is compared with [`DIVERGENCE_FACTOR`] × the larger of the
    /// first step's loss and the loss of zero outputs on this batch, so that training resumed
    /// from a tiny loss is not called diverged for a modest rise.
    fn diverged(&self, loss: f64, batch: &TaskBatch) -> Option<Divergence> {
        let first = self.history.loss.first().copied().unwrap_or(loss);
        let norm = self.history.grad_norm.last().copied().unwrap_or(0.0);
        let large = |scale: f64| loss > DIVERGENCE_FACTOR * scale.max(1e-12);
        // The loss of zero outputs is only needed (and only computed) when the loss is large.
        let silent = || {
            let (sq, n) = batch
                .targets
                .iter()
                .zip(&batch.mask)
                .fold((0.0, 0.0), |(s, n), (t, m)| (s + m * t * t, n + m));
            if n > 0.0 { sq / n } else { 0.0 }
        };
        let bad = !loss.is_finite() || !norm.is_finite() || (large(first) && large(silent()));
        if !bad {
            return None;
        }
        let grads = &self.buffers.grads;
        let rms = |r: &std::ops::Range<usize>| {
            (r.clone().map(|k| f64::from(grads[k]).powi(2)).sum::<f64>() / r.len().max(1) as f64)
                .sqrt()
        };
        let blocks = self.rnn.layout().blocks();
        let blocks = blocks.iter().filter(|(_, r)| !r.is_empty());
        let (block, gradient_finite) = match blocks.clone().find(|(_, r)| !rms(r).is_finite()) {
            Some((name, _)) => (*name, false),
            None => {
                (blocks.max_by(|a, b| rms(&a.1).total_cmp(&rms(&b.1))).map_or("w_h", |b| b.0), true)
            }
        };
        Some(Divergence {
            step: self.step - 1,
            loss,
            first_loss: first,
            block,
            gradient_finite,
            learning_rate: self.history.learning_rate.last().copied().unwrap_or(f64::NAN),
        })
    }

    /// One optimiser step on `batch`; returns its loss.
    fn train_step(&mut self, batch: &Batch32, config: &TrainConfig, seed: u64) -> f64 {
        let c = self.rnn.config().clone();
        let (n_steps, b) = (batch.n_steps, batch.batch);
        let buf = &mut self.buffers;
        let noise = (config.noise_std > 0.0).then(|| {
            hidden_noise(
                config.noise_streams,
                seed,
                self.step,
                config.noise_std,
                n_steps,
                b,
                c.n_hidden,
                &mut buf.noise,
            );
            &buf.noise[..]
        });
        let mut loss = if config.batch_chunks > 1 {
            chunked_gradient(&self.rnn, batch, noise, config, &mut buf.chunks, &mut buf.grads)
        } else {
            let scales = loss_scales(batch, config, c.n_hidden);
            let data = (&batch.inputs[..], &batch.targets[..], &batch.mask[..], noise);
            let (sse, sum_sq) =
                gradient_pass(&self.rnn, data, n_steps, b, scales, &mut buf.whole, &mut buf.grads);
            scales.loss(sse, sum_sq)
        };

        // Weight penalty λ_w · mean(W²) over the weight matrices.
        if config.l2_weight > 0.0 {
            let blocks = self.rnn.layout().weight_blocks();
            let count: usize = blocks.iter().map(|r| r.len()).sum();
            let scale = 2.0 * config.l2_weight / count as f64;
            let mut sum_sq = 0.0;
            for range in blocks {
                for k in range {
                    let w = self.rnn.params()[k] as f64;
                    sum_sq += w * w;
                    buf.grads[k] += (scale * w) as f32;
                }
            }
            loss += config.l2_weight * sum_sq / count as f64;
        }

        let norm = buf.grads.iter().map(|g| (*g as f64).powi(2)).sum::<f64>().sqrt();
        if config.clip_grad_norm > 0.0 && norm > config.clip_grad_norm {
            let s = (config.clip_grad_norm / norm) as f32;
            buf.grads.iter_mut().for_each(|g| *g *= s);
        }
        let lr = config.learning_rate_at(self.step);
        self.optimizer.update(self.rnn.params_mut(), &buf.grads, lr);
        self.step += 1;
        self.history.loss.push(loss);
        self.history.grad_norm.push(norm);
        self.history.learning_rate.push(lr);
        loss
    }
}

/// The private noise of training step `step` (`T × B × N`, time-major).
///
/// Per step (the default): drawn in order from the step's stream `(seed, "train_noise",
/// step)` — the bits of every earlier run, but serial: at N = 128, batch 64 about 40 % of a
/// noisy step. Per trial: trial `b`'s `T × N` values from its own stream
/// `(key(seed, "train_noise", step), "trial", b)`, the trials drawn in parallel — another
/// realisation (for one, flipflop_gru's search then finds 5 of its 8 stable fixed points, so
/// its claim is stated with the default).
#[allow(clippy::too_many_arguments)]
fn hidden_noise(
    streams: NoiseStreams,
    seed: u64,
    step: usize,
    sd: f64,
    t_len: usize,
    b: usize,
    n: usize,
    out: &mut Vec<f32>,
) {
    let draw = |r: &mut rng::Stream, len: usize| -> Vec<f32> {
        (0..len)
            .map(|_| {
                let z: f64 = StandardNormal.sample(r);
                (sd * z) as f32
            })
            .collect()
    };
    match streams {
        NoiseStreams::PerStep => {
            *out = draw(&mut rng::stream(seed, "train_noise", step as u64), t_len * b * n);
        }
        NoiseStreams::PerTrial => {
            use rayon::prelude::*;
            let step_seed = rng::key(seed, "train_noise", step as u64) as u64;
            let trials: Vec<Vec<f32>> = (0..b)
                .into_par_iter()
                .map(|trial| draw(&mut rng::stream(step_seed, "trial", trial as u64), t_len * n))
                .collect();
            out.resize(t_len * b * n, 0.0);
            for (trial, d) in trials.iter().enumerate() {
                for t in 0..t_len {
                    out[(t * b + trial) * n..(t * b + trial + 1) * n]
                        .copy_from_slice(&d[t * n..(t + 1) * n]);
                }
            }
        }
    }
}

/// The normalisations of a step's loss, from the whole batch: the masked MSE divides by the
/// scored count, the rate penalty `λ_r · mean(h²)` by `rows · n_hidden`.
#[derive(Clone, Copy)]
struct LossScales {
    /// `max(Σ m, 1)`.
    denom: f64,
    /// `λ_r`.
    l2_rate: f64,
    /// `rows · n_hidden` of the whole batch.
    hidden_count: f64,
}

impl LossScales {
    /// The step's loss from the summed squared error and squared hidden states.
    fn loss(self, sse: f64, sum_sq: f64) -> f64 {
        sse / self.denom + self.l2_rate * sum_sq / self.hidden_count
    }
}

fn loss_scales(batch: &Batch32, config: &TrainConfig, n_hidden: usize) -> LossScales {
    LossScales {
        denom: batch.mask.iter().map(|&m| f64::from(m)).sum::<f64>().max(1.0),
        l2_rate: config.l2_rate,
        hidden_count: (batch.n_steps * batch.batch * n_hidden) as f64,
    }
}

/// Inputs, targets, mask and (optionally) noise of `T × B` trials, time-major.
type PassData<'a> = (&'a [f32], &'a [f32], &'a [f32], Option<&'a [f32]>);

/// Forward, loss gradient (masked MSE `2 m (y − t) / denom` plus the rate penalty's
/// `2 λ_r h / hidden_count`, both scaled by the whole batch) and backward over `b` trials,
/// the gradient written into `grads`; returns `(Σ m (y − t)², Σ h²)` over these trials.
fn gradient_pass(
    rnn: &Rnn<f32>,
    (inputs, targets, mask, noise): PassData<'_>,
    t_len: usize,
    b: usize,
    scales: LossScales,
    pass: &mut Pass,
    grads: &mut Vec<f32>,
) -> (f64, f64) {
    let (n, n_out) = (rnn.config().n_hidden, rnn.config().n_output);
    pass.outputs.resize(t_len * b * n_out, 0.0);
    pass.d_outputs.resize(t_len * b * n_out, 0.0);
    rnn.forward(inputs, t_len, b, noise, &mut pass.tape, &mut pass.outputs);
    let scale = (2.0 / scales.denom) as f32;
    let mut sse = 0.0;
    for (((g, y), t), m) in pass.d_outputs.iter_mut().zip(&pass.outputs).zip(targets).zip(mask) {
        let e = f64::from(*y - *t);
        sse += f64::from(*m) * e * e;
        *g = scale * *m * (*y - *t);
    }
    let mut sum_sq = 0.0;
    let d_hidden = (scales.l2_rate > 0.0).then(|| {
        // Rate penalty λ_r · mean(h²): ∂/∂h = 2 λ_r h / (rows · n_hidden).
        let rate_scale = 2.0 * scales.l2_rate / scales.hidden_count;
        let hidden = pass.tape.hidden(n);
        pass.d_hidden.clear();
        for r in 0..t_len * b {
            for u in 0..n {
                let h = f64::from(hidden[(r, u)]);
                sum_sq += h * h;
                pass.d_hidden.push((rate_scale * h) as f32);
            }
        }
        &pass.d_hidden[..]
    });
    grads.clear();
    grads.resize(rnn.params().len(), 0.0);
    rnn.backward(inputs, &mut pass.tape, &pass.d_outputs, d_hidden, grads);
    (sse, sum_sq)
}

/// The gradient of a step computed over `config.batch_chunks` fixed chunks of trials in
/// parallel, summed into `grads` in chunk order; returns the loss. Each chunk's gradient is
/// scaled by the whole batch's counts ([`LossScales`]), so the sum is the whole batch's
/// gradient, up to rounding.
fn chunked_gradient(
    rnn: &Rnn<f32>,
    batch: &Batch32,
    noise: Option<&[f32]>,
    config: &TrainConfig,
    chunks: &mut Vec<Chunk>,
    grads: &mut Vec<f32>,
) -> f64 {
    use rayon::prelude::*;
    let c = rnn.config();
    let (t_len, b) = (batch.n_steps, batch.batch);
    let scales = loss_scales(batch, config, c.n_hidden);
    let k = config.batch_chunks;
    chunks.resize_with(k, Chunk::default);
    chunks.par_iter_mut().enumerate().for_each(|(j, ch)| {
        let (lo, hi) = (j * b / k, (j + 1) * b / k);
        // Trials lo..hi of every time step (the batch is time-major).
        let gather = |src: &[f32], width: usize, dst: &mut Vec<f32>| {
            dst.clear();
            for t in 0..t_len {
                dst.extend_from_slice(&src[(t * b + lo) * width..(t * b + hi) * width]);
            }
        };
        gather(&batch.inputs, c.n_input, &mut ch.inputs);
        gather(&batch.targets, c.n_output, &mut ch.targets);
        gather(&batch.mask, c.n_output, &mut ch.mask);
        if let Some(noise) = noise {
            gather(noise, c.n_hidden, &mut ch.noise);
        }
        let data = (&ch.inputs[..], &ch.targets[..], &ch.mask[..], noise.map(|_| &ch.noise[..]));
        ch.sums = gradient_pass(rnn, data, t_len, hi - lo, scales, &mut ch.pass, &mut ch.grads);
    });
    grads.clear();
    grads.resize(rnn.params().len(), 0.0);
    for ch in chunks.iter() {
        grads.iter_mut().zip(&ch.grads).for_each(|(g, d)| *g += *d);
    }
    let sse: f64 = chunks.iter().map(|ch| ch.sums.0).sum();
    let sum_sq: f64 = chunks.iter().map(|ch| ch.sums.1).sum();
    scales.loss(sse, sum_sq)
}

/// Held-out performance of a network.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluation {
    /// Masked MSE and NMSE on the held-out trials.
    pub score: MaskedMse,
    /// The held-out batch.
    pub batch: TaskBatch,
    /// Network outputs, `n_steps × batch × n_output`.
    pub outputs: Vec<f64>,
    /// States `h_0 … h_T`, `(n_steps + 1) × batch × state_len`.
    pub states: Vec<f64>,
}

/// Runs `rnn` (without noise) on `n_trials` held-out trials from the stream `(seed, "heldout")`.
pub fn evaluate<T: Real>(rnn: &Rnn<T>, task: &dyn Task, seed: u64, n_trials: usize) -> Evaluation {
    let batch = task.generate(n_trials, &mut rng::stream(seed, "heldout", 0));
    let rnn = rnn.cast::<f64>();
    let mut tape = Tape::default();
    let mut outputs = vec![0.0; batch.targets.len()];
    rnn.forward(&batch.inputs, batch.n_steps, batch.batch, None, &mut tape, &mut outputs);
    let score = masked_mse(&outputs, &batch.targets, &batch.mask, batch.n_output, None);
    Evaluation { score, batch, outputs, states: tape.states }
}
