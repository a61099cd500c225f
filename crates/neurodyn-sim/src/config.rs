//! The network as plain values: populations, projections, inputs, recording and guards.
//!
//! These types deserialise from the `[simulation]`, `[populations.*]`, `[projections.*]`,
//! `[inputs.*]`, `[record]` and `[guards]` tables of a spiking spec; [`crate::Network::build`]
//! validates them once. Maps are ordered by name, so a network's layout never depends on the
//! order of tables in a file.

use neurodyn_core::{RangeError, check};
use neurodyn_models::spiking::NeuronConfig;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A whole network.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkConfig {
    /// Time step and ring-buffer length.
    #[serde(default)]
    pub simulation: SimulationConfig,
    /// Neuron populations and spike sources, by name.
    pub populations: BTreeMap<String, PopulationConfig>,
    /// Synaptic projections, by name.
    #[serde(default)]
    pub projections: BTreeMap<String, ProjectionConfig>,
    /// External inputs, by name.
    #[serde(default)]
    pub inputs: BTreeMap<String, InputConfig>,
    /// What to record.
    #[serde(default)]
    pub record: RecordConfig,
    /// Bounds that stop a runaway run.
    #[serde(default)]
    pub guards: GuardConfig,
}

/// Time step, duration and the longest delay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationConfig {
    /// Time step `dt` [ms].
    #[serde(default = "default_dt")]
    pub dt: f64,
    /// Simulated time [ms].
    #[serde(default = "default_duration")]
    pub duration: f64,
    /// Longest synaptic delay any projection may use; sets the ring-buffer length [ms].
    #[serde(default = "default_max_delay")]
    pub max_delay: f64,
    /// Save the whole state every this much simulated time, so a killed run resumes from
    /// there (`neurodyn run --resume`); 0: every minute of wall-clock time instead [ms].
    /// Checkpoints never change results.
    #[serde(default)]
    pub checkpoint_every: f64,
}

fn default_dt() -> f64 {
    0.1
}
fn default_duration() -> f64 {
    1000.0
}
fn default_max_delay() -> f64 {
    10.0
}

impl Default for SimulationConfig {
    fn default() -> Self {
        SimulationConfig { dt: 0.1, duration: 1000.0, max_delay: 10.0, checkpoint_every: 0.0 }
    }
}

impl SimulationConfig {
    /// Number of steps in `duration`.
    pub fn n_steps(&self) -> u64 {
        (self.duration / self.dt).round() as u64
    }

    /// Steps between checkpoints (at least 1), or `None` for wall-clock checkpoints.
    pub fn checkpoint_steps(&self) -> Option<u64> {
        (self.checkpoint_every > 0.0)
            .then(|| ((self.checkpoint_every / self.dt).round() as u64).max(1))
    }
}

/// A population: `n` model neurons, or `n` spike sources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationConfig {
    /// Number of neurons [1].
    pub n: usize,
    /// The neuron model (exactly one of `neuron` and `source`).
    pub neuron: Option<NeuronSpec>,
    /// A spike source instead of model neurons.
    pub source: Option<SourceConfig>,
    /// Initial values of state variables, by name (e.g. `v_m = { uniform = [-60.0, -50.0] }`).
    #[serde(default)]
    pub init: BTreeMap<String, Distribution>,
}

/// A neuron model by name, an optional preset, and parameter overrides.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NeuronSpec {
    /// Model name (`lif_psc_exp`, `lif_psc_delta`, `lif_cond_exp`, `theta`, `izhikevich`,
    /// `lif_escape`).
    pub model: String,
    /// Preset the parameters start from (the model's defaults otherwise).
    pub preset: Option<String>,
    /// Parameters overriding the preset, by NEST name.
    #[serde(flatten)]
    pub params: BTreeMap<String, f64>,
}

impl NeuronSpec {
    /// The model's parameters: preset (or defaults) with the overrides applied.
    pub fn config(&self) -> Result<NeuronConfig, RangeError> {
        let models = neurodyn_models::spiking::MODEL_NAMES;
        let mut config = NeuronConfig::new(&self.model).ok_or_else(|| RangeError {
            field: "model".into(),
            value: format!("{:?}", self.model),
            expected: format!("one of {}", models.join(", ")),
        })?;
        if let Some(preset) = &self.preset {
            config = NeuronConfig::preset(&self.model, preset).ok_or_else(|| RangeError {
                field: "preset".into(),
                value: format!("{preset:?}"),
                expected: format!(
                    "a preset of {}: one of {}",
                    self.model,
                    NeuronConfig::presets(&self.model).join(", ")
                ),
            })?;
        }
        for (name, value) in &self.params {
            config.set(name, *value)?;
        }
        Ok(config)
    }

    /// The same neuron with every parameter written out (for resolved specs).
    pub fn resolved(&self) -> Result<NeuronSpec, RangeError> {
        let config = self.config()?;
        let params = config.params().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        Ok(NeuronSpec { model: self.model.clone(), preset: self.preset.clone(), params })
    }
}

/// A population of spike sources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum SourceConfig {
    /// Independent Poisson spike trains, as NEST's `poisson_generator` with one generator per
    /// neuron or Brian2's `PoissonGroup`.
    Poisson {
        /// Rate of each source [Hz].
        rate: f64,
    },
    /// Given spike times, one list per neuron, as NEST's `spike_generator` or Brian2's
    /// `SpikeGeneratorGroup`; each time is rounded to the nearest step [ms].
    SpikeTimes {
        /// `times[i]`: the spike times of neuron `i` [ms].
        times: Vec<Vec<f64>>,
    },
}

/// A scalar or a distribution to draw one value per neuron or synapse from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Distribution {
    /// Uniform on `[low, high)`.
    Uniform([f64; 2]),
    /// Normal with `mean` and `std`.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation.
        std: f64,
    },
    /// The same value everywhere (written as a bare number).
    #[serde(untagged)]
    Constant(f64),
}

impl Default for Distribution {
    fn default() -> Self {
        Distribution::Constant(0.0)
    }
}

impl Distribution {
    /// Checks the parameters are finite and ordered.
    pub fn validate(&self, field: &str) -> Result<(), RangeError> {
        match *self {
            Distribution::Constant(v) => check(v.is_finite(), field, v, "a finite number"),
            Distribution::Uniform([low, high]) => check(
                low.is_finite() && high.is_finite() && low <= high,
                field,
                format!("[{low}, {high}]"),
                "[low, high] with low <= high, both finite",
            ),
            Distribution::Normal { mean, std } => check(
                mean.is_finite() && std.is_finite() && std >= 0.0,
                field,
                format!("{{ mean = {mean}, std = {std} }}"),
                "a finite mean and a finite std >= 0",
            ),
        }
    }

    /// The smallest and largest value a draw can take.
    pub fn range(&self) -> (f64, f64) {
        match *self {
            Distribution::Constant(v) => (v, v),
            Distribution::Uniform([low, high]) => (low, high),
            Distribution::Normal { mean, std: 0.0 } => (mean, mean),
            Distribution::Normal { .. } => (f64::NEG_INFINITY, f64::INFINITY),
        }
    }

    /// The mean.
    pub fn mean(&self) -> f64 {
        match *self {
            Distribution::Constant(v) => v,
            Distribution::Uniform([low, high]) => 0.5 * (low + high),
            Distribution::Normal { mean, .. } => mean,
        }
    }

    /// Whether every draw is the same value.
    pub fn is_constant(&self) -> bool {
        let (low, high) = self.range();
        low == high
    }

    /// One draw.
    pub fn sample(&self, rng: &mut impl rand::Rng) -> f64 {
        use rand::RngExt;
        match *self {
            Distribution::Constant(v) => v,
            Distribution::Uniform([low, high]) => low + (high - low) * rng.random::<f64>(),
            Distribution::Normal { mean, std } => {
                mean + std
                    * rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, rng)
            }
        }
    }
}

/// A projection from one population to another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionConfig {
    /// Presynaptic population.
    pub pre: String,
    /// Postsynaptic population.
    pub post: String,
    /// How pairs are connected.
    pub rule: ConnectRule,
    /// Synaptic weight, in the unit of the post model (pA current, nS conductance, mV jump).
    /// For conductance-based targets, draws below 0 become 0.
    pub weight: Distribution,
    /// Synaptic delay, rounded to whole steps; 0 means the spike acts on the next update [ms].
    #[serde(default)]
    pub delay: Distribution,
    /// Receptor; by default excitatory if the mean weight is `>= 0`, inhibitory otherwise.
    pub receptor: Option<Receptor>,
    /// Allow a neuron to connect to itself (within one population).
    #[serde(default)]
    pub autapses: bool,
    /// Allow more than one synapse per ordered pair (degree rules only).
    #[serde(default)]
    pub multapses: bool,
    /// Synaptic plasticity.
    pub plasticity: Option<PlasticityConfig>,
}

/// The receptor a projection's spikes arrive at.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Receptor {
    /// Excitatory (`i_syn_ex`, `g_ex`).
    Excitatory,
    /// Inhibitory (`i_syn_in`, `g_in`).
    Inhibitory,
}

/// Connection rules, as in NEST's `Connect` and Brian2's `connect`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ConnectRule {
    /// Each ordered pair independently with probability `p`.
    FixedProbability {
        /// Connection probability [1].
        p: f64,
    },
    /// Each postsynaptic neuron receives exactly `k` synapses.
    FixedIndegree {
        /// In-degree [1].
        k: usize,
    },
    /// Each presynaptic neuron makes exactly `k` synapses.
    FixedOutdegree {
        /// Out-degree [1].
        k: usize,
    },
    /// Every ordered pair.
    AllToAll {},
    /// Neuron `i` to neuron `i` (equal sizes).
    OneToOne {},
    /// Neurons evenly placed on a ring (position `i/n`); pair `(i, j)` with probability
    /// `p_max · exp(−d²/(2σ²))`, `d` the ring distance in units of the circumference. Costs
    /// `O(n_pre · n_post)` to draw.
    Ring {
        /// Probability at distance 0 [1].
        p_max: f64,
        /// Width `σ` as a fraction of the circumference [1].
        sigma: f64,
    },
    /// Pairs (and optionally weights and delays) from a `.npz` file with integer arrays
    /// `pre` and `post` and optional float arrays `weight` and `delay` [ms]; read by the spec
    /// loader, which turns it into [`ConnectRule::List`].
    File {
        /// Path, relative to the spec file.
        path: String,
    },
    /// Explicit pairs.
    List(EdgeList),
}

/// Explicit synapses.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdgeList {
    /// Presynaptic indices.
    pub pre: Vec<u32>,
    /// Postsynaptic indices.
    pub post: Vec<u32>,
    /// Per-synapse weights, overriding the projection's `weight`.
    #[serde(default)]
    pub weight: Vec<f64>,
    /// Per-synapse delays [ms], overriding the projection's `delay`.
    #[serde(default)]
    pub delay: Vec<f64>,
}

/// Synaptic plasticity of a projection.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PlasticityConfig {
    /// Pair-based spike-timing-dependent plasticity.
    Stdp(StdpConfig),
    /// Rate-based Hebbian learning with Oja's normalisation, on trace estimates of the rates.
    Oja(OjaConfig),
    /// STDP writing to an eligibility trace that a neuromodulator turns into weight change.
    ThreeFactor(ThreeFactorConfig),
}

/// Pair-based STDP (Bi & Poo 1998; Song, Miller & Abbott 2000; van Rossum, Bi & Turrigiano
/// 2000; Morrison, Diesmann & Gerstner 2008).
///
/// A pair with `Δt = t_post − t_pre` (pre time = arrival at the synapse) changes the weight by
/// `a_plus · exp(−Δt/τ₊)` for `Δt ≥ 0` and `−a_minus · exp(Δt/τ₋)` for `Δt < 0`; in the
/// multiplicative form potentiation is scaled by `(w_max − w)` and depression by
/// `(w − w_min)`. Weights stay in `[w_min, w_max]` (hard bounds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdpConfig {
    /// Potentiation amplitude `A₊` (weight units; per unit weight if multiplicative).
    pub a_plus: f64,
    /// Depression amplitude `A₋ > 0` (the change is `−A₋ …`).
    pub a_minus: f64,
    /// Potentiation window `τ₊` [ms].
    #[serde(default = "tau_stdp")]
    pub tau_plus: f64,
    /// Depression window `τ₋` [ms].
    #[serde(default = "tau_stdp")]
    pub tau_minus: f64,
    /// Lower bound of the weight.
    #[serde(default)]
    pub w_min: f64,
    /// Upper bound of the weight.
    pub w_max: f64,
    /// Additive or multiplicative weight dependence.
    #[serde(default)]
    pub dependence: WeightDependence,
    /// Which pairs count.
    #[serde(default)]
    pub pairing: Pairing,
}

fn tau_stdp() -> f64 {
    20.0
}

/// How the STDP update depends on the current weight.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WeightDependence {
    /// Independent of the weight (Song, Miller & Abbott 2000).
    #[default]
    Additive,
    /// Soft bounds (van Rossum, Bi & Turrigiano 2000; Gütig et al. 2003 with μ = 1).
    Multiplicative,
}

/// Which spike pairs an STDP rule sums over (Morrison, Diesmann & Gerstner 2008).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pairing {
    /// Every pre spike with every post spike (traces add 1 per spike).
    #[default]
    AllToAll,
    /// Each spike with the nearest preceding partner only (traces reset to 1).
    Nearest,
}

/// Oja's rule on rates estimated by exponential traces:
/// `dw/dt = η (r_pre r_post − α r_post² w)` with rates in Hz (Oja 1982).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OjaConfig {
    /// Learning rate `η` [1/(Hz²·s)].
    pub eta: f64,
    /// Normalisation strength `α` [1].
    #[serde(default = "one")]
    pub alpha: f64,
    /// Time constant of the rate traces [ms].
    #[serde(default = "tau_rate")]
    pub tau_rate: f64,
    /// Update interval [ms].
    #[serde(default = "one")]
    pub interval: f64,
    /// Lower bound of the weight.
    #[serde(default = "neg_inf")]
    pub w_min: f64,
    /// Upper bound of the weight.
    #[serde(default = "inf")]
    pub w_max: f64,
}

fn one() -> f64 {
    1.0
}
fn tau_rate() -> f64 {
    100.0
}
fn neg_inf() -> f64 {
    -f64::MAX
}
fn inf() -> f64 {
    f64::MAX
}

/// Three-factor learning (Frémaux & Gerstner 2016; Izhikevich 2007): pair-based STDP
/// (`stdp`, its bounds used for `w`) drives an eligibility trace `e` that decays with
/// `tau_e`; the weight changes as `dw/dt = η · M(t) · e`, with the neuromodulator `M` from
/// `modulator` (piecewise constant) or set by the caller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThreeFactorConfig {
    /// The STDP rule feeding the eligibility trace.
    pub stdp: StdpConfig,
    /// Eligibility time constant `τ_e` [ms].
    pub tau_e: f64,
    /// Learning rate `η` [1/ms].
    pub eta: f64,
    /// Neuromodulator schedule: `M` takes `values[i]` from `times[i]` on [ms].
    #[serde(default)]
    pub modulator: Schedule,
}

/// A piecewise-constant signal: `values[i]` from `times[i]` [ms] until the next time; 0 before
/// the first.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Switch times, increasing [ms].
    pub times: Vec<f64>,
    /// Values from each time on.
    pub values: Vec<f64>,
}

impl Schedule {
    /// Validates the lengths and order.
    pub fn validate(&self, field: &str) -> Result<(), RangeError> {
        check(
            self.times.len() == self.values.len(),
            field,
            format!("{} times, {} values", self.times.len(), self.values.len()),
            "as many values as times",
        )?;
        check(
            self.times.windows(2).all(|w| w[0] < w[1]) && self.times.iter().all(|t| t.is_finite()),
            &format!("{field}.times"),
            format!("{:?}", self.times),
            "finite, strictly increasing times",
        )?;
        let finite = self.values.iter().all(|v| v.is_finite());
        check(finite, &format!("{field}.values"), format!("{:?}", self.values), "finite values")
    }

    /// The value at time `t` [ms].
    pub fn at(&self, t: f64) -> f64 {
        match self.times.partition_point(|&s| s <= t) {
            0 => 0.0,
            i => self.values[i - 1],
        }
    }

    /// The value at time `t` [ms], linear between the knots `(times, values)` and held beyond
    /// the first and the last (0 when there are none).
    pub fn interpolated(&self, t: f64) -> f64 {
        match self.times.partition_point(|&s| s <= t) {
            0 => self.values.first().copied().unwrap_or(0.0),
            i if i == self.times.len() => self.values[i - 1],
            i => {
                let (t0, t1) = (self.times[i - 1], self.times[i]);
                let (v0, v1) = (self.values[i - 1], self.values[i]);
                v0 + (v1 - v0) * (t - t0) / (t1 - t0)
            }
        }
    }
}

/// An external input to (some neurons of) a population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum InputConfig {
    /// Independent Poisson spike trains into each target, like Brian2's `PoissonInput`:
    /// `n_sources` sources of `rate` each, every spike of weight `weight`.
    Poisson {
        /// Target population.
        target: String,
        /// Target neurons (all if absent).
        neurons: Option<Vec<u32>>,
        /// Rate of each source [Hz].
        rate: f64,
        /// Sources per target [1].
        #[serde(default = "one_usize")]
        n_sources: usize,
        /// Weight of each spike (unit of the target's synapses).
        weight: f64,
        /// Receptor; by the weight's sign if absent.
        receptor: Option<Receptor>,
        /// Frozen noise: draw from this seed instead of the run's, so every trial sees the
        /// same realisation.
        seed: Option<u64>,
    },
    /// A constant current [unit of the model's `i_e`].
    Current {
        /// Target population.
        target: String,
        /// Target neurons (all if absent).
        neurons: Option<Vec<u32>>,
        /// Amplitude.
        amplitude: f64,
    },
    /// A piecewise-constant current: `amplitudes[i]` from `times[i]` on.
    Step {
        /// Target population.
        target: String,
        /// Target neurons (all if absent).
        neurons: Option<Vec<u32>>,
        /// Switch times [ms].
        times: Vec<f64>,
        /// Amplitudes from each time on.
        amplitudes: Vec<f64>,
    },
    /// A current given as samples every `interval` ms (held between samples, 0 after the
    /// last): the same for all targets.
    Array {
        /// Target population.
        target: String,
        /// Target neurons (all if absent).
        neurons: Option<Vec<u32>>,
        /// Sample interval [ms].
        interval: f64,
        /// Samples.
        values: Vec<f64>,
    },
    /// A tuned population's drive (the feed-forward input of ring models of orientation
    /// tuning, e.g. Ben-Yishai, Bar-Or & Sompolinsky 1995): neuron `i` of `n`, preferring
    /// `θ_i = period · i / n`, receives the current
    /// `base + peak · exp(κ (cos(2π (θ_i − θ(t)) / period) − 1))` for a stimulus `θ(t)`
    /// interpolated linearly through `(times, values)` (held before the first time and after the
    /// last; no wrapping between knots, so a long rotation is written as values beyond
    /// `period`).
    Tuned {
        /// Target population.
        target: String,
        /// Target neurons (all if absent; preferences still follow the population index).
        neurons: Option<Vec<u32>>,
        /// Current at the anti-preferred stimulus.
        base: f64,
        /// Extra current at the preferred stimulus.
        peak: f64,
        /// Sharpness `κ` (0: untuned) [1].
        concentration: f64,
        /// Circumference of the stimulus variable: 180 for orientations, 360 for directions.
        #[serde(default = "half_turn")]
        period: f64,
        /// Knot times [ms], increasing.
        times: Vec<f64>,
        /// The stimulus at the knots (same unit as `period`).
        values: Vec<f64>,
    },
    /// An Ornstein–Uhlenbeck current, independent per neuron, integrated exactly:
    /// `dI = −(I − mean)/τ dt + std √(2/τ) dW`, started from its stationary law.
    OrnsteinUhlenbeck {
        /// Target population.
        target: String,
        /// Target neurons (all if absent).
        neurons: Option<Vec<u32>>,
        /// Mean.
        mean: f64,
        /// Stationary standard deviation.
        std: f64,
        /// Correlation time `τ` [ms].
        tau: f64,
        /// Frozen noise: draw from this seed instead of the run's.
        seed: Option<u64>,
    },
    /// Closed-loop spike-triggered stimulation: each spike of neuron `neuron` of `source`
    /// turns on a current `amplitude` into the targets for `duration`, `delay` later (as a
    /// bidirectional brain–computer interface: Lajoie et al. 2017, arXiv:1609.00762).
    SpikeTriggered {
        /// Target population.
        target: String,
        /// Target neurons (all if absent).
        neurons: Option<Vec<u32>>,
        /// Population of the trigger neuron.
        source: String,
        /// Index of the trigger neuron in `source`.
        neuron: u32,
        /// Delay from trigger spike to stimulation [ms].
        delay: f64,
        /// Stimulation current.
        amplitude: f64,
        /// Stimulation length [ms].
        duration: f64,
    },
}

fn one_usize() -> usize {
    1
}

fn half_turn() -> f64 {
    180.0
}

impl InputConfig {
    /// The target population and neuron subset.
    pub fn target(&self) -> (&str, Option<&[u32]>) {
        let (t, n) = match self {
            InputConfig::Poisson { target, neurons, .. }
            | InputConfig::Current { target, neurons, .. }
            | InputConfig::Step { target, neurons, .. }
            | InputConfig::Array { target, neurons, .. }
            | InputConfig::Tuned { target, neurons, .. }
            | InputConfig::OrnsteinUhlenbeck { target, neurons, .. }
            | InputConfig::SpikeTriggered { target, neurons, .. } => (target, neurons),
        };
        (t.as_str(), n.as_deref())
    }

    /// The table name of the input kind.
    pub fn kind(&self) -> &'static str {
        match self {
            InputConfig::Poisson { .. } => "poisson",
            InputConfig::Current { .. } => "current",
            InputConfig::Step { .. } => "step",
            InputConfig::Array { .. } => "array",
            InputConfig::Tuned { .. } => "tuned",
            InputConfig::OrnsteinUhlenbeck { .. } => "ornstein_uhlenbeck",
            InputConfig::SpikeTriggered { .. } => "spike_triggered",
        }
    }
}

/// What to record besides per-step population spike counts (always recorded).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordConfig {
    /// Populations whose spikes are recorded (all if absent).
    pub spikes: Option<Vec<String>>,
    /// Sampled state variables.
    #[serde(default)]
    pub state: Vec<StateRecordConfig>,
    /// Sampled weights.
    #[serde(default)]
    pub weights: Vec<WeightRecordConfig>,
}

/// A state variable of some neurons, sampled every `interval` ms.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateRecordConfig {
    /// Population.
    pub population: String,
    /// State variable (e.g. `v_m`).
    pub variable: String,
    /// Neurons to record.
    pub neurons: Vec<u32>,
    /// Sampling interval [ms].
    #[serde(default = "default_dt")]
    pub interval: f64,
}

/// The weights of a projection (the first `n_synapses` in (pre, post) order), sampled every
/// `interval` ms, with the projection's mean weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightRecordConfig {
    /// Projection.
    pub projection: String,
    /// How many synapses to keep [1].
    #[serde(default = "hundred")]
    pub n_synapses: usize,
    /// Sampling interval [ms].
    #[serde(default = "hundred_f")]
    pub interval: f64,
}

fn hundred() -> usize {
    100
}
fn hundred_f() -> f64 {
    100.0
}

/// Bounds that stop a runaway run with [`crate::SimError`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardConfig {
    /// Largest allowed mean rate of a population over one window [Hz].
    #[serde(default = "max_rate")]
    pub max_rate: f64,
    /// Window over which rates are measured and state is checked for NaN [ms].
    #[serde(default = "hundred_f")]
    pub window: f64,
}

fn max_rate() -> f64 {
    1000.0
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig { max_rate: 1000.0, window: 100.0 }
    }
}
