//! # neurodyn-train
//!
//! Trains rate RNNs from `neurodyn-models` on tasks from `neurodyn-tasks` by backpropagation
//! through time, using the cells' hand-written backward passes.
//!
//! - [`TrainConfig`]: optimiser ([`OptimizerKind`]), learning-rate [`Schedule`], batch size,
//!   gradient-norm clipping, L2 penalties on weights and rates, early stop at a target loss,
//!   checkpoint interval;
//! - [`Trainer`]: the network, the optimiser state and the loss history; [`Trainer::run`] trains
//!   and reports each step and each checkpoint to an observer, which may stop the run;
//! - [`population`]: many networks of one shape (different seeds or hyper-parameters)
//!   trained in one call, in parallel, each bit-identical to training it alone;
//! - [`evaluate`]: held-out loss and normalised MSE.
//!
//! Training is deterministic for a given seed and independent of the thread count: the batch
//! and the noise of step `k` come from the keyed streams `(seed, "train_batch", k)` and
//! `(seed, "train_noise", k)` (or, with `noise_streams = "per_trial"`, trial `b`'s from
//! `(key(seed, "train_noise", k), "trial", b)`, drawn in parallel), every matrix product
//! runs on one thread, and with `batch_chunks > 1` the chunks' gradients (computed in
//! parallel) are summed in chunk order. A [`Checkpoint`]
//! therefore holds only parameters, optimiser moments, the step and the history; training
//! resumed from it ends with bit-identical weights.
//!
//! ```
//! use neurodyn_models::rnn::RnnConfig;
//! use neurodyn_tasks::FlipFlop;
//! use neurodyn_train::{TrainConfig, Trainer};
//!
//! let task = FlipFlop { n_bits: 1, n_steps: 20, p_pulse: 0.1 };
//! let rnn = RnnConfig::leaky_tanh(1, 8, 1, 0.5).build::<f32>(0).unwrap();
//! let config = TrainConfig { max_steps: 5, batch_size: 4, ..TrainConfig::default() };
//! let mut trainer = Trainer::new(rnn, &config);
//! trainer.run(&task, &config, 0, &mut |_| std::ops::ControlFlow::Continue(()));
//! assert_eq!(trainer.history.loss.len(), 5);
//! ```
#![deny(missing_docs)]

mod config;
mod loss;
mod optim;
pub mod population;
mod trainer;

pub use config::{NoiseStreams, OptimizerKind, Schedule, TrainConfig};
pub use loss::{MaskedMse, masked_mse, masked_mse_value};
pub use optim::Optimizer;
pub use trainer::{
    Advance, Checkpoint, DIVERGENCE_FACTOR, Divergence, Evaluation, Event, History, StopReason,
    Trainer, evaluate,
};
