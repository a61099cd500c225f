//! Training hyper-parameters.

use neurodyn_core::{RangeError, check};
use serde::{Deserialize, Serialize};

/// The optimiser.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum OptimizerKind {
    /// Adam (Kingma & Ba 2015) with bias correction.
    Adam {
        /// Decay of the first moment `β₁` [1].
        #[serde(default = "defaults::beta1")]
        beta1: f64,
        /// Decay of the second moment `β₂` [1].
        #[serde(default = "defaults::beta2")]
        beta2: f64,
        /// Denominator offset `ε` [1].
        #[serde(default = "defaults::epsilon")]
        epsilon: f64,
    },
    /// Stochastic gradient descent with heavy-ball momentum.
    Sgd {
        /// Momentum coefficient (0 = plain SGD) [1].
        #[serde(default)]
        momentum: f64,
    },
}

mod defaults {
    pub fn beta1() -> f64 {
        0.9
    }
    pub fn beta2() -> f64 {
        0.999
    }
    pub fn epsilon() -> f64 {
        1e-8
    }
    pub fn batch_chunks() -> usize {
        1
    }
}

impl Default for OptimizerKind {
    fn default() -> Self {
        OptimizerKind::Adam {
            beta1: defaults::beta1(),
            beta2: defaults::beta2(),
            epsilon: defaults::epsilon(),
        }
    }
}

/// How training noise is drawn (see [`TrainConfig::noise_streams`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NoiseStreams {
    /// One stream per training step `(seed, "train_noise", k)`, drawn in order.
    #[default]
    PerStep,
    /// One stream per trial `b` of step `k`: `(key(seed, "train_noise", k), "trial", b)`.
    PerTrial,
}

/// Learning rate as a function of the step `k`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Schedule {
    /// `lr`.
    #[default]
    Constant,
    /// `lr · gamma^k`.
    Exponential {
        /// Decay per step, in (0, 1] [1].
        gamma: f64,
    },
    /// `min_lr + (lr − min_lr)(1 + cos(π k / max_steps)) / 2` (Loshchilov & Hutter 2017).
    Cosine {
        /// Final learning rate [1].
        min_lr: f64,
    },
}

/// Everything that controls a training run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// Optimiser and its constants.
    #[serde(default)]
    pub optimizer: OptimizerKind,
    /// Base learning rate [1].
    pub learning_rate: f64,
    /// Learning-rate schedule.
    #[serde(default)]
    pub schedule: Schedule,
    /// Trials per step [1].
    pub batch_size: usize,
    /// Upper bound on optimiser steps [1].
    pub max_steps: usize,
    /// Rescale the gradient when its global L2 norm exceeds this (0 = never) [1].
    #[serde(default)]
    pub clip_grad_norm: f64,
    /// Coefficient of the mean squared weight (`W_h`, `W_x`, `W_out`) added to the loss [1].
    #[serde(default)]
    pub l2_weight: f64,
    /// Coefficient of the mean squared hidden rate added to the loss [1].
    #[serde(default)]
    pub l2_rate: f64,
    /// Standard deviation of the private noise added to the hidden state each step [1].
    #[serde(default)]
    pub noise_std: f64,
    /// How that noise is drawn: `"per_step"` (default: one stream per training step, drawn
    /// in order — the bits of every earlier run) or `"per_trial"` (one stream per trial of
    /// each step, drawn in parallel on the run's threads: faster with several threads, a
    /// different realisation). Neither depends on the thread count.
    #[serde(default)]
    pub noise_streams: NoiseStreams,
    /// Stop as soon as the training loss falls below this (0 = never) [1].
    #[serde(default)]
    pub target_loss: f64,
    /// Emit a checkpoint every this many steps (0 = never) [1].
    #[serde(default)]
    pub checkpoint_every: usize,
    /// Split each batch into this many fixed chunks of trials, whose gradients are computed in
    /// parallel on the run's threads and summed in chunk order: the result depends on this
    /// number (sums in another order round differently), never on the thread count. 1 = one
    /// pass over the whole batch [1].
    #[serde(default = "defaults::batch_chunks")]
    pub batch_chunks: usize,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            optimizer: OptimizerKind::default(),
            learning_rate: 1e-2,
            schedule: Schedule::Constant,
            batch_size: 64,
            max_steps: 1000,
            clip_grad_norm: 1.0,
            l2_weight: 0.0,
            l2_rate: 0.0,
            noise_std: 0.0,
            noise_streams: NoiseStreams::PerStep,
            target_loss: 0.0,
            checkpoint_every: 0,
            batch_chunks: 1,
        }
    }
}

impl TrainConfig {
    /// Checks every field; the error names the first one out of range.
    pub fn validate(&self) -> Result<(), RangeError> {
        let lr = self.learning_rate;
        check(lr > 0.0 && lr.is_finite(), "learning_rate", lr, "a finite value > 0")?;
        check(self.batch_size > 0, "batch_size", self.batch_size, "at least 1")?;
        check(self.max_steps > 0, "max_steps", self.max_steps, "at least 1")?;
        check(
            self.batch_chunks >= 1 && self.batch_chunks <= self.batch_size,
            "batch_chunks",
            self.batch_chunks,
            "between 1 and batch_size",
        )?;
        for (field, v) in [
            ("clip_grad_norm", self.clip_grad_norm),
            ("l2_weight", self.l2_weight),
            ("l2_rate", self.l2_rate),
            ("noise_std", self.noise_std),
            ("target_loss", self.target_loss),
        ] {
            check(v >= 0.0 && v.is_finite(), field, v, "a finite value >= 0")?;
        }
        match self.optimizer {
            OptimizerKind::Adam { beta1, beta2, epsilon } => {
                check((0.0..1.0).contains(&beta1), "optimizer.beta1", beta1, "0 <= beta1 < 1")?;
                check((0.0..1.0).contains(&beta2), "optimizer.beta2", beta2, "0 <= beta2 < 1")?;
                check(epsilon > 0.0, "optimizer.epsilon", epsilon, "a value > 0")?;
            }
            OptimizerKind::Sgd { momentum } => {
                check(
                    (0.0..1.0).contains(&momentum),
                    "optimizer.momentum",
                    momentum,
                    "0 <= momentum < 1",
                )?;
            }
        }
        match self.schedule {
            Schedule::Constant => {}
            Schedule::Exponential { gamma } => {
                check(gamma > 0.0 && gamma <= 1.0, "schedule.gamma", gamma, "0 < gamma <= 1")?;
            }
            Schedule::Cosine { min_lr } => {
                check(
                    min_lr >= 0.0 && min_lr <= lr,
                    "schedule.min_lr",
                    min_lr,
                    "0 <= min_lr <= learning_rate",
                )?;
            }
        }
        Ok(())
    }

    /// The learning rate at step `k` (counted from 0).
    pub fn learning_rate_at(&self, k: usize) -> f64 {
        let lr = self.learning_rate;
        match self.schedule {
            Schedule::Constant => lr,
            Schedule::Exponential { gamma } => lr * gamma.powi(k as i32),
            Schedule::Cosine { min_lr } => {
                let frac = k as f64 / self.max_steps as f64;
                min_lr + (lr - min_lr) * 0.5 * (1.0 + (std::f64::consts::PI * frac).cos())
            }
        }
    }
}
