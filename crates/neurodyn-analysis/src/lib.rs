//! # neurodyn-analysis
//!
//! Tools that dissect a dynamical system through the [`neurodyn_core::Dynamics`] trait (never a
//! concrete model) or through recorded trajectories:
//!
//! - [`fixed_points`]: fixed and slow points by minimising `q(h) = ½‖F(h, x*) − h‖²` from many
//!   initial states, Levenberg–Marquardt polish, de-duplication, and classification by the
//!   eigenvalues of the Jacobian (Sussillo & Barak 2013; Golub & Sussillo 2018);
//! - [`lyapunov`]: Lyapunov spectra by the QR method, with convergence diagnostics,
//!   entropy rate and Kaplan–Yorke dimension;
//! - [`decomp`]: decompositions of neural data (NMF by MU and HALS, with masks);
//! - [`theta_lyapunov`], [`driven_theta`]: exact event-based spectra of pulse-coupled theta
//!   networks, and theta networks driven by frozen noise (reliability, driven spectra);
//! - [`deep_jacobian`]: singular values of deep-network Jacobians at initialisation;
//! - [`dimensionality`]: PCA, participation ratio, TwoNN and Levina–Bickel intrinsic dimension;
//! - [`similarity`]: CCA, SVCCA, linear and RBF CKA, Procrustes shape distance;
//! - [`embedding`]: classical MDS of a population known by its distances, silhouette of a
//!   labelling and its permutation test;
//! - [`reservoir`]: ridge readouts, memory capacity measured and in closed form (linear);
//! - [`spikes`]: ISI CV, Fano factor, van Rossum and Victor–Purpura distances, reliability,
//!   cross-correlograms and the correlation-based STDP prediction;
//! - [`circle_map`]: rotation number and Lyapunov exponent of circle maps (sine map, kicked
//!   oscillators through their phase-response curve).
//!
//! ```
//! use neurodyn_analysis::fixed_points::{find_fixed_points, FixedPointConfig, Stability};
//! use neurodyn_core::LinearMap;
//!
//! // h ← 0.5 h + 1 has the single stable fixed point h* = 2.
//! let map = LinearMap { a: faer::mat![[0.5]], b: faer::Mat::zeros(1, 0), c: vec![1.0] };
//! let config = FixedPointConfig { n_initial: 8, ..FixedPointConfig::default() };
//! let found = find_fixed_points(&map, &[vec![0.0], vec![5.0]], &config, &|_| {}).unwrap();
//! assert_eq!(found.points.len(), 1);
//! assert!((found.points[0].state[0] - 2.0).abs() < 1e-9);
//! assert_eq!(found.points[0].stability, Stability::Stable);
//! ```
#![deny(missing_docs)]

pub mod circle_map;
mod columns;
pub mod decoding;
pub mod decomp;
pub mod deep_jacobian;
pub mod deep_linear;
pub mod dimensionality;
pub mod driven_theta;
pub mod elliptic_burster;
pub mod embedding;
pub mod fixed_points;
pub mod lif_mean_field;
pub mod lyapunov;
pub mod mean_field;
mod quad;
pub mod reservoir;
pub mod similarity;
pub mod spikes;
pub mod theta_lyapunov;
