//! # neurodyn
//!
//! One library for the dynamics of neural circuits: **build** a model, **run** it (simulate or
//! train on a task), **dissect** it. This facade re-exports the workspace crates:
//!
//! | module | crate | what |
//! |---|---|---|
//! | [`core`] | `neurodyn-core` | `Real`, keyed random streams, the `Dynamics` trait |
//! | [`models`] | `neurodyn-models` | rate RNN cells (vanilla/CTRNN, GRU, LSTM) |
//! | [`tasks`] | `neurodyn-tasks` | flip-flop, pulse integration, context integration |
//! | [`train`] | `neurodyn-train` | BPTT, Adam/SGD, checkpoints |
//! | [`analysis`] | `neurodyn-analysis` | fixed points, Lyapunov spectra, dimensionality, similarity, spike-train measures |
//! | [`io`] | `neurodyn-io` | specs, npz, run directories |
//! | [`kinds`] | here | the registry of run kinds: spec → prepared run → outcome (arrays, metrics, claim) → figures |
//! | [`runner`] | here | prepared run → complete run directory (shared by the CLI and Python) |
//! | [`rnn`], [`spiking`], [`decomp`], [`chaos`], [`amp`], [`compare`] | here | one run kind each |
//!
//! ## A user guide in one example
//! Train a small flip-flop network and find the fixed points of its autonomous dynamics:
//!
//! ```
//! use neurodyn::analysis::fixed_points::{find_fixed_points, sample_initial_states, FixedPointConfig};
//! use neurodyn::models::rnn::RnnConfig;
//! use neurodyn::tasks::FlipFlop;
//! use neurodyn::train::{evaluate, TrainConfig, Trainer};
//!
//! let task = FlipFlop { n_bits: 1, n_steps: 30, p_pulse: 0.1 };
//! let config = TrainConfig { max_steps: 20, batch_size: 16, ..TrainConfig::default() };
//! let mut trainer = Trainer::new(RnnConfig::leaky_tanh(1, 16, 1, 0.5).build(0).unwrap(), &config);
//! trainer.run(&task, &config, 0, &mut |_| std::ops::ControlFlow::Continue(()));
//!
//! let rnn = trainer.rnn.cast::<f64>();
//! let heldout = evaluate(&rnn, &task, 0, 8);
//! let starts = sample_initial_states(&heldout.states, 16, 32, 0.05, 0);
//! let found = find_fixed_points(&rnn, &starts, &FixedPointConfig::default(), &|_| {}).unwrap();
//! println!("{} fixed points", found.points.len());
//! ```
//!
//! From the command line the same thing is one spec: `neurodyn run examples/rnn/flipflop.toml`.
#![deny(missing_docs)]

pub mod amp;
pub mod bursting;
pub mod chaos;
pub mod compare;
pub mod conditioning;
pub mod criticality;
pub mod decomp;
pub mod deep_linear;
pub mod delays;
pub mod dimensionality;
pub mod ei_reservoir;
pub mod encoding;
pub mod ffn;
pub mod kinds;
pub mod population;
pub mod prediction;
pub mod reservoir;
pub mod rich_lazy;
pub mod ring_tracking;
pub mod rnn;
pub mod runner;
pub mod spiking;
pub mod sweep;

pub use neurodyn_analysis as analysis;
pub use neurodyn_core as core;
pub use neurodyn_io as io;
pub use neurodyn_models as models;
pub use neurodyn_sim as sim;
pub use neurodyn_tasks as tasks;
pub use neurodyn_train as train;

/// The outcome of a study (a sweep compared with a paper): named arrays and metrics.
pub struct StudyResult {
    /// Arrays for the study's `.npz` file.
    pub arrays: Vec<(String, io::npz::Array)>,
    /// `metrics.json`.
    pub metrics: serde_json::Value,
}
