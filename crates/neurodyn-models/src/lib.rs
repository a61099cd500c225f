//! # neurodyn-models
//!
//! Models of neural circuits, each built as `Config → Model`: a config is a plain value that is
//! validated once by `build`, so a model that exists is valid.
//!
//! - [`reservoir`]: echo-state reservoirs (tanh or linear, Gaussian or orthogonal, leaky);
//! - [`rnn`]: rate RNN cells — the leaky vanilla RNN (CTRNN), GRU and LSTM — with batched
//!   forward passes, hand-written backward passes (vector–Jacobian products) and the state
//!   Jacobian `∂h_{t+1}/∂h_t`, in `f32` (training) and `f64` (checks, analysis). Options: Dale's
//!   law, a fixed connectivity mask, private state noise.
//!
//! ```
//! use neurodyn_models::rnn::{RnnConfig, CellKind};
//! use neurodyn_core::Dynamics;
//!
//! let rnn = RnnConfig::leaky_tanh(3, 32, 3, 0.2).build::<f64>(0).unwrap();
//! assert_eq!(rnn.dim(), 32);
//! let mut next = vec![0.0; 32];
//! rnn.step(&vec![0.1; 32], &[1.0, 0.0, 0.0], &mut next);
//! assert!(next.iter().all(|v| v.abs() < 1.0));
//! ```
#![deny(missing_docs)]

pub mod delays;
pub mod ei_reservoir;
pub mod ffn;
pub mod reservoir;
pub mod rnn;
pub mod spiking;
