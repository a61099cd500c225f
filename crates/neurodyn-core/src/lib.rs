//! # neurodyn-core
//!
//! The vocabulary every other neurodyn crate speaks:
//!
//! - [`Real`]: the scalar trait implemented by `f32` (speed) and `f64` (checks and analysis);
//! - [`rng`]: random streams keyed by `(seed, object, index)`, so results never depend on the
//!   number of threads or on the order in which work is scheduled;
//! - [`Dynamics`]: a discrete-time dynamical system `h ← F(h, x)` with its state Jacobian, the
//!   only thing `neurodyn-analysis` needs to know about a model;
//! - [`fast`]: vectorisable `tanh`, `exp` and logistic approximations with tested error bounds.
//!
//! ```
//! use neurodyn_core::{rng, Dynamics};
//! use rand::RngExt;
//!
//! // Two draws from the same key are identical, whatever else happened in between.
//! let a: f64 = rng::stream(7, "init", 0).random();
//! let b: f64 = rng::stream(7, "init", 0).random();
//! assert_eq!(a, b);
//! ```
#![deny(missing_docs)]

mod dynamics;
mod error;
pub mod fast;
pub mod mat;
mod real;
pub mod rng;

pub use dynamics::{Dynamics, LinearMap, Rk4, TanhMap, VectorField};
pub use error::{RangeError, check};
pub use real::Real;
