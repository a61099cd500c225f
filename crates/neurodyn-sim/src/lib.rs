//! # neurodyn-sim
//!
//! Spiking networks: populations of model neurons ([`neurodyn_models::spiking`]) and spike
//! sources, projections drawn by connection rules and stored as compact CSR by presynaptic
//! neuron, heterogeneous per-synapse delays in ring buffers, plasticity (pair STDP, Oja,
//! three-factor), external inputs, a clock-driven engine, recorders and guards.
//!
//! - [`NetworkConfig`] (plain values, deserialised from a spec) → [`Network::build`] →
//!   [`Network::run`] with a [`Recorder`] (e.g. [`Recording`]) and [`GuardConfig`].
//!
//! ## The order of work in one step `k → k + 1`
//! 1. Spikes of step `k` are propagated: each synapse with delay `d` steps adds its weight
//!    to its target's ring buffer at slot `k + d` (plastic synapses queue the event for
//!    their arrival slot instead). `d = 0` means the spike acts on the next update, as
//!    Brian2's default; NEST's minimum delay of one step is `d = 1`.
//! 2. Plastic synapses whose spike arrives at step `k` deliver their current weight and run
//!    their presynaptic update; then postsynaptic spikes of step `k` run theirs; then the
//!    per-step work of the rule (neuromodulated or periodic updates).
//! 3. External inputs of step `k` add currents and input spikes.
//! 4. Every neuron advances from `t_k` to `t_{k+1}` with the arrivals of slot `k`; neurons
//!    that cross threshold spike at step `k + 1`.
//! 5. Recorders see the network at step `k + 1`; guards check rates and finiteness at the
//!    end of every guard window.
//!
//! Randomness is keyed: connectivity by `(seed, "connect/<projection>", neuron)`, initial
//! values by `(seed, "init/<population>/<variable>", neuron)`, stochastic neurons, sources
//! and inputs by a stream per neuron. Neurons are split into shards run in parallel by
//! rayon; each shard owns the synapses onto its neurons and sums them in a fixed order, so
//! any number of threads gives bit-identical results.
//!
//! ```
//! use neurodyn_sim::{Network, NetworkConfig, Recording, GuardConfig};
//!
//! let config: NetworkConfig = toml::from_str(r#"
//!     [populations.exc]
//!     n = 100
//!     neuron = { model = "lif_psc_exp", preset = "vogels_abbott_2005_cuba" }
//!     init.v_m = { uniform = [-60.0, -50.0] }
//!
//!     [projections.ee]
//!     pre = "exc"
//!     post = "exc"
//!     rule.fixed_probability = { p = 0.1 }
//!     weight = 16.2
//! "#).unwrap();
//! let mut net = Network::build(&config, 1).unwrap();
//! let mut rec = Recording::new(&config.record, &net).unwrap();
//! let stats = net.run(1000, &mut rec, &GuardConfig::default(), &mut |_| true).unwrap();
//! assert!(stats.spikes[0] > 0);
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod connect;
mod engine;
mod inputs;
mod network;
mod plasticity;
pub mod record;
mod snapshot;

pub use config::{GuardConfig, NetworkConfig};
pub use engine::{RunStats, SimError};
pub use network::{MIN_NEURONS_PER_SHARD, Network, PopulationInfo, ProjectionInfo};
pub use record::{Recorder, Recording};
pub use snapshot::NetworkState;
