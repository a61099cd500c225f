//! Spiking neuron models, documented like NEST model pages: equations, parameters with units,
//! state, integration method and references.
//!
//! | model name         | type                   | synapses                      | integration            |
//! |--------------------|------------------------|-------------------------------|------------------------|
//! | `lif_psc_exp`      | [`LifPscExp`]          | exponential currents [pA]     | exact (Rotter & Diesmann 1999) |
//! | `lif_psc_delta`    | [`LifPscDelta`]        | voltage jumps [mV]            | exact                  |
//! | `lif_cond_exp`     | [`LifCondExp`]         | exponential conductances [nS] | exponential Euler      |
//! | `theta`            | [`Theta`]              | jumps of `tan(θ/2)` [1]       | exact between arrivals |
//! | `izhikevich`       | [`Izhikevich`]         | voltage jumps [mV]            | forward Euler (as NEST)|
//! | `lif_escape`       | [`LifEscape`]          | exponential currents [pA]     | exact + hazard         |
//!
//! Every model is a config of named parameters (NEST's names: `v_m`, `tau_m`, `t_ref`, …) with
//! presets that cite their source, validated once by [`NeuronConfig::build`] for a time step.
//! The built [`SpikingModel`] advances a whole population's [`NeuronState`] by one step.
//!
//! ## One step
//! Spikes that arrive at step `k` (already summed per neuron and receptor by the engine) enter
//! the state at step `k`; the state is then advanced from `t_k` to `t_{k+1}`, with the external
//! current `i_ext` held constant over the step; a neuron whose new state crosses threshold
//! spikes at step `k+1`, is reset and is refractory for `round(t_ref/dt)` steps, during which
//! its membrane is clamped at `v_reset` while its synaptic variables keep decaying.
//!
//! ```
//! use neurodyn_models::spiking::{NeuronConfig, StepInput};
//!
//! let model = NeuronConfig::preset("lif_psc_exp", "vogels_abbott_2005_cuba").unwrap().build(0.1).unwrap();
//! let mut state = model.new_state(1);
//! let mut spikes = Vec::new();
//! let (mut ex, mut inh) = ([0.0], [0.0]);
//! for _ in 0..10_000 {
//!     model.step(&mut state, StepInput { arrivals_ex: &mut ex, arrivals_in: &mut inh, i_ext: &[0.0] }, &mut spikes);
//! }
//! // e_l = −49 mV lies above v_th = −50 mV: the neuron fires regularly on its own.
//! assert!(spikes.len() >= 15); // one every τ_m ln 11 + t_ref ≈ 53 ms
//! ```

mod izhikevich;
mod lif;
pub mod theta;

pub use izhikevich::{Izhikevich, IzhikevichConfig};
pub use lif::{
    LifCondExp, LifCondExpConfig, LifEscape, LifEscapeConfig, LifPscDelta, LifPscDeltaConfig,
    LifPscExp, LifPscExpConfig,
};
pub use theta::{Theta, ThetaConfig};

use neurodyn_core::RangeError;
use neurodyn_core::rng::Stream;

/// Declares a parameter struct: fields with docs and defaults, `NAMES`, `set` and `params`.
macro_rules! params {
    ($(#[$meta:meta])* pub struct $name:ident {
        $( $(#[$fmeta:meta])* $field:ident = $default:expr ),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq)]
        pub struct $name { $( $(#[$fmeta])* pub $field: f64, )* }

        impl Default for $name {
            fn default() -> Self { $name { $( $field: $default, )* } }
        }

        impl $name {
            /// The parameter names, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];

            /// Sets the parameter `name`; an unknown name is an error listing the known ones.
            pub fn set(&mut self, name: &str, value: f64) -> Result<(), neurodyn_core::RangeError> {
                match name {
                    $( stringify!($field) => self.$field = value, )*
                    _ => return Err($crate::spiking::unknown_parameter(name, value, Self::NAMES)),
                }
                Ok(())
            }

            /// Every parameter with its value, in declaration order.
            pub fn params(&self) -> Vec<(&'static str, f64)> {
                vec![$( (stringify!($field), self.$field) ),*]
            }
        }
    };
}
pub(crate) use params;

pub(crate) fn unknown_parameter(name: &str, value: f64, known: &[&str]) -> RangeError {
    RangeError {
        field: name.to_string(),
        value: value.to_string(),
        expected: format!("a parameter of this model: one of {}", known.join(", ")),
    }
}

/// Checks that a time constant is a finite positive number of milliseconds.
pub(crate) fn check_tau(name: &str, tau: f64) -> Result<(), RangeError> {
    neurodyn_core::check(tau > 0.0 && tau.is_finite(), name, tau, "a finite value > 0 [ms]")
}

/// Checks that a parameter is finite.
pub(crate) fn check_finite(name: &str, value: f64) -> Result<(), RangeError> {
    neurodyn_core::check(value.is_finite(), name, value, "a finite number")
}

/// Refractory period in whole steps, `round(t_ref / dt)`.
pub(crate) fn refractory_steps(t_ref: f64, dt: f64) -> Result<u32, RangeError> {
    neurodyn_core::check(
        t_ref >= 0.0 && t_ref.is_finite(),
        "t_ref",
        t_ref,
        "a finite value >= 0 [ms]",
    )?;
    Ok((t_ref / dt).round() as u32)
}

/// `(e^{-h/τ₂} − e^{-h/τ₁}) / (1/τ₁ − 1/τ₂)`, the response at `h` of `x' = −x/τ₁ + y`,
/// `x(0) = 0`, to `y(t) = e^{-t/τ₂}`; stable as `τ₂ → τ₁`, where it tends to `h e^{-h/τ₁}`.
pub(crate) fn exp_convolution(h: f64, tau_1: f64, tau_2: f64) -> f64 {
    let d = 1.0 / tau_1 - 1.0 / tau_2;
    let e1 = (-h / tau_1).exp();
    if (d * h).abs() < 1e-12 { h * e1 } else { e1 * (d * h).exp_m1() / d }
}

/// The state of a population of `n` neurons, one column per state variable.
#[derive(Clone, Debug, PartialEq)]
pub struct NeuronState {
    /// Names of the state variables, in column order (`v_m` first for voltage models).
    pub names: &'static [&'static str],
    /// One column of length `n` per state variable.
    pub vars: Vec<Vec<f64>>,
    /// Remaining refractory steps of each neuron.
    pub refractory: Vec<u32>,
    /// Per-neuron random streams (stochastic models only; empty otherwise).
    pub rng: Vec<Stream>,
}

impl NeuronState {
    /// A population of `n` neurons with every variable at `values[i]`.
    pub fn uniform(names: &'static [&'static str], values: &[f64], n: usize) -> Self {
        NeuronState {
            names,
            vars: values.iter().map(|&v| vec![v; n]).collect(),
            refractory: vec![0; n],
            rng: Vec::new(),
        }
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.refractory.len()
    }

    /// Whether the population is empty.
    pub fn is_empty(&self) -> bool {
        self.refractory.is_empty()
    }

    /// The column of a state variable by name.
    pub fn var(&self, name: &str) -> Option<&[f64]> {
        self.names.iter().position(|n| *n == name).map(|i| self.vars[i].as_slice())
    }

    /// The mutable column of a state variable by name.
    pub fn var_mut(&mut self, name: &str) -> Option<&mut [f64]> {
        self.names.iter().position(|n| *n == name).map(|i| self.vars[i].as_mut_slice())
    }
}

/// What a population receives during one step.
///
/// The arrival buffers are consumed: the model reads each entry and sets it to zero, so the
/// engine's ring-buffer slot is clean for its next use without a second pass over memory.
/// Models with [`SpikingModel::direct_columns`] also accept an *empty* input (all three
/// slices empty): nothing arrives through buffers and there is no external current, because
/// the engine added the spikes to the synaptic state directly.
#[derive(Debug)]
pub struct StepInput<'a> {
    /// Summed weights of the spikes arriving at excitatory receptors this step, per neuron
    /// (unit of the model's excitatory weight); zeroed by the step.
    pub arrivals_ex: &'a mut [f64],
    /// Summed weights of the spikes arriving at inhibitory receptors this step, per neuron;
    /// zeroed by the step.
    pub arrivals_in: &'a mut [f64],
    /// External current, constant over the step, per neuron (unit of the model's `i_e`).
    pub i_ext: &'a [f64],
}

impl StepInput<'_> {
    /// Whether this is the empty input (no buffers, no external current).
    pub fn is_empty(&self) -> bool {
        self.arrivals_ex.is_empty() && self.arrivals_in.is_empty() && self.i_ext.is_empty()
    }
}

/// A neuron model's parameters, one variant per model.
#[derive(Clone, Debug, PartialEq)]
pub enum NeuronConfig {
    /// `lif_psc_exp`.
    LifPscExp(LifPscExpConfig),
    /// `lif_psc_delta`.
    LifPscDelta(LifPscDeltaConfig),
    /// `lif_cond_exp`.
    LifCondExp(LifCondExpConfig),
    /// `theta`.
    Theta(ThetaConfig),
    /// `izhikevich`.
    Izhikevich(IzhikevichConfig),
    /// `lif_escape`.
    LifEscape(LifEscapeConfig),
}

/// The model names accepted by [`NeuronConfig::new`].
pub const MODEL_NAMES: &[&str] =
    &["lif_psc_exp", "lif_psc_delta", "lif_cond_exp", "theta", "izhikevich", "lif_escape"];

impl NeuronConfig {
    /// The default parameters of a model by name.
    pub fn new(model: &str) -> Option<Self> {
        Some(match model {
            "lif_psc_exp" => NeuronConfig::LifPscExp(Default::default()),
            "lif_psc_delta" => NeuronConfig::LifPscDelta(Default::default()),
            "lif_cond_exp" => NeuronConfig::LifCondExp(Default::default()),
            "theta" => NeuronConfig::Theta(Default::default()),
            "izhikevich" => NeuronConfig::Izhikevich(Default::default()),
            "lif_escape" => NeuronConfig::LifEscape(Default::default()),
            _ => return None,
        })
    }

    /// A named preset of a model (see each config's `PRESETS`).
    pub fn preset(model: &str, preset: &str) -> Option<Self> {
        Some(match model {
            "lif_psc_exp" => NeuronConfig::LifPscExp(LifPscExpConfig::preset(preset)?),
            "lif_psc_delta" => NeuronConfig::LifPscDelta(LifPscDeltaConfig::preset(preset)?),
            "lif_cond_exp" => NeuronConfig::LifCondExp(LifCondExpConfig::preset(preset)?),
            "theta" => NeuronConfig::Theta(ThetaConfig::preset(preset)?),
            "izhikevich" => NeuronConfig::Izhikevich(IzhikevichConfig::preset(preset)?),
            "lif_escape" => NeuronConfig::LifEscape(LifEscapeConfig::preset(preset)?),
            _ => return None,
        })
    }

    /// The preset names of a model.
    pub fn presets(model: &str) -> &'static [&'static str] {
        match model {
            "lif_psc_exp" => LifPscExpConfig::PRESETS,
            "lif_psc_delta" => LifPscDeltaConfig::PRESETS,
            "lif_cond_exp" => LifCondExpConfig::PRESETS,
            "theta" => ThetaConfig::PRESETS,
            "izhikevich" => IzhikevichConfig::PRESETS,
            "lif_escape" => LifEscapeConfig::PRESETS,
            _ => &[],
        }
    }

    /// The model name.
    pub fn model(&self) -> &'static str {
        match self {
            NeuronConfig::LifPscExp(_) => "lif_psc_exp",
            NeuronConfig::LifPscDelta(_) => "lif_psc_delta",
            NeuronConfig::LifCondExp(_) => "lif_cond_exp",
            NeuronConfig::Theta(_) => "theta",
            NeuronConfig::Izhikevich(_) => "izhikevich",
            NeuronConfig::LifEscape(_) => "lif_escape",
        }
    }

    /// Sets a parameter by name.
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), RangeError> {
        match self {
            NeuronConfig::LifPscExp(c) => c.set(name, value),
            NeuronConfig::LifPscDelta(c) => c.set(name, value),
            NeuronConfig::LifCondExp(c) => c.set(name, value),
            NeuronConfig::Theta(c) => c.set(name, value),
            NeuronConfig::Izhikevich(c) => c.set(name, value),
            NeuronConfig::LifEscape(c) => c.set(name, value),
        }
    }

    /// Every parameter with its value.
    pub fn params(&self) -> Vec<(&'static str, f64)> {
        match self {
            NeuronConfig::LifPscExp(c) => c.params(),
            NeuronConfig::LifPscDelta(c) => c.params(),
            NeuronConfig::LifCondExp(c) => c.params(),
            NeuronConfig::Theta(c) => c.params(),
            NeuronConfig::Izhikevich(c) => c.params(),
            NeuronConfig::LifEscape(c) => c.params(),
        }
    }

    /// Whether the model's synapses are conductances, whose weights must be `>= 0`.
    pub fn conductance_based(&self) -> bool {
        matches!(self, NeuronConfig::LifCondExp(_))
    }

    /// Validates the parameters for time step `dt` [ms] and precomputes the propagators.
    pub fn build(&self, dt: f64) -> Result<SpikingModel, RangeError> {
        neurodyn_core::check(dt > 0.0 && dt.is_finite(), "dt", dt, "a finite value > 0 [ms]")?;
        Ok(match self {
            NeuronConfig::LifPscExp(c) => SpikingModel::LifPscExp(c.build(dt)?),
            NeuronConfig::LifPscDelta(c) => SpikingModel::LifPscDelta(c.build(dt)?),
            NeuronConfig::LifCondExp(c) => SpikingModel::LifCondExp(c.build(dt)?),
            NeuronConfig::Theta(c) => SpikingModel::Theta(c.build(dt)?),
            NeuronConfig::Izhikevich(c) => SpikingModel::Izhikevich(c.build(dt)?),
            NeuronConfig::LifEscape(c) => SpikingModel::LifEscape(c.build(dt)?),
        })
    }
}

/// A validated neuron model with its propagators for one time step.
#[derive(Clone, Debug)]
pub enum SpikingModel {
    /// See [`LifPscExp`].
    LifPscExp(LifPscExp),
    /// See [`LifPscDelta`].
    LifPscDelta(LifPscDelta),
    /// See [`LifCondExp`].
    LifCondExp(LifCondExp),
    /// See [`Theta`].
    Theta(Theta),
    /// See [`Izhikevich`].
    Izhikevich(Izhikevich),
    /// See [`LifEscape`].
    LifEscape(LifEscape),
}

impl SpikingModel {
    /// A population of `n` neurons at rest; stochastic models draw from streams keyed by
    /// `(seed, "escape", first + i)` via [`SpikingModel::seed_streams`].
    pub fn new_state(&self, n: usize) -> NeuronState {
        match self {
            SpikingModel::LifPscExp(m) => m.new_state(n),
            SpikingModel::LifPscDelta(m) => m.new_state(n),
            SpikingModel::LifCondExp(m) => m.new_state(n),
            SpikingModel::Theta(m) => m.new_state(n),
            SpikingModel::Izhikevich(m) => m.new_state(n),
            SpikingModel::LifEscape(m) => m.new_state(n),
        }
    }

    /// Gives a stochastic model's neurons their random streams, keyed by
    /// `(seed, object, first + i)`; a no-op for deterministic models.
    pub fn seed_streams(&self, state: &mut NeuronState, seed: u64, object: &str, first: u64) {
        if let SpikingModel::LifEscape(_) = self {
            state.rng = (0..state.len() as u64)
                .map(|i| neurodyn_core::rng::stream(seed, object, first + i))
                .collect();
        }
    }

    /// The state columns to which an excitatory and an inhibitory arrival add (before the
    /// step) exactly as through [`StepInput`], for models that accept the empty input; the
    /// engine then delivers zero-delay static spikes straight into the state. `None` for
    /// models whose arrivals are not a plain addition (theta) or that need the buffers.
    pub fn direct_columns(&self) -> Option<(usize, usize)> {
        match self {
            SpikingModel::LifPscExp(_)
            | SpikingModel::LifCondExp(_)
            | SpikingModel::LifEscape(_) => Some((1, 2)),
            _ => None,
        }
    }

    /// Advances every neuron by one step; appends the indices of the neurons that spiked.
    pub fn step(&self, state: &mut NeuronState, input: StepInput<'_>, spikes: &mut Vec<u32>) {
        match self {
            SpikingModel::LifPscExp(m) => m.step(state, input, spikes),
            SpikingModel::LifPscDelta(m) => m.step(state, input, spikes),
            SpikingModel::LifCondExp(m) => m.step(state, input, spikes),
            SpikingModel::Theta(m) => m.step(state, input, spikes),
            SpikingModel::Izhikevich(m) => m.step(state, input, spikes),
            SpikingModel::LifEscape(m) => m.step(state, input, spikes),
        }
    }
}
