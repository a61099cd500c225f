//! RNN specs (`[task]`, `[model]`, `[train]`): what to train, and how to dissect it.
//!
//! A spec is a TOML file:
//!
//! ```toml
//! name = "flipflop_3bit"
//! seed = 1
//!
//! [task.flip_flop]          # or pulse_integration, context_integration
//! n_bits = 3
//! n_steps = 100
//! p_pulse = 0.05
//!
//! [model]
//! cell = "vanilla"          # or "gru", "lstm"
//! n_hidden = 64
//! dt = 10.0                 # [ms]
//! tau = 50.0                # [ms]; α = dt/τ
//!
//! [train]
//! learning_rate = 0.01
//! batch_size = 64
//! max_steps = 2000
//!
//! [fixed_points]
//! n_initial = 256
//!
//! [population]              # optional: many networks of this shape in one run
//! size = 64                 # member k builds and trains from seed + k
//! learning_rates = [...]    # optional, one per member
//! ```
//!
//! Unknown keys, wrong types, unknown names and out-of-range values are refused with a
//! [`SpecError`] naming the file, line, column and field. [`RnnSpec::to_toml`] writes the resolved
//! spec: every default filled in, the seed included.

use super::{SCHEMA_VERSION, SpecError, check_name, read, schema_version, serde_error};
use crate::location::{line_col, locate};
use neurodyn_analysis::fixed_points::FixedPointConfig;
use neurodyn_core::RangeError;
use neurodyn_models::rnn::{Activation, CellKind, DaleConfig, RnnConfig};
use neurodyn_tasks::{ContextIntegration, FlipFlop, PulseIntegration, Task};
use neurodyn_train::TrainConfig;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A whole experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RnnSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the experiment; the run directory starts with it.
    pub name: String,
    /// Seed of every random stream in the run.
    #[serde(default)]
    pub seed: u64,
    /// The task the network is trained on.
    pub task: TaskSpec,
    /// The network.
    pub model: ModelSpec,
    /// Training.
    pub train: TrainConfig,
    /// Fixed-point analysis.
    #[serde(default)]
    pub fixed_points: FixedPointConfig,
    /// Held-out evaluation and plotting.
    #[serde(default)]
    pub evaluation: EvaluationSpec,
    /// Many networks of this shape trained in one run (`[population]`), if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<PopulationSpec>,
}

/// A population: `size` networks of the spec's shape, trained in one call (members in
/// parallel), member `k` exactly the spec run alone with seed `seed + k` (and its own learning
/// rate when `learning_rates` is given).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Members [1].
    pub size: usize,
    /// One learning rate per member (empty: every member uses `train.learning_rate`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learning_rates: Vec<f64>,
    /// Search every member's fixed points with the `[fixed_points]` settings (else evaluate
    /// them on held-out trials only).
    #[serde(default = "yes")]
    pub fixed_points: bool,
}

fn yes() -> bool {
    true
}

/// The most members a population may have [1].
pub const MAX_POPULATION: usize = 100_000;

/// The task, one table named after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TaskSpec {
    /// [`FlipFlop`].
    FlipFlop(FlipFlop),
    /// [`PulseIntegration`].
    PulseIntegration(PulseIntegration),
    /// [`ContextIntegration`].
    ContextIntegration(ContextIntegration),
}

impl TaskSpec {
    /// The task behind the spec.
    pub fn task(&self) -> &(dyn Task + Sync) {
        match self {
            TaskSpec::FlipFlop(t) => t,
            TaskSpec::PulseIntegration(t) => t,
            TaskSpec::ContextIntegration(t) => t,
        }
    }

    /// The table name of the task.
    pub fn kind(&self) -> &'static str {
        match self {
            TaskSpec::FlipFlop(_) => "flip_flop",
            TaskSpec::PulseIntegration(_) => "pulse_integration",
            TaskSpec::ContextIntegration(_) => "context_integration",
        }
    }
}

/// The network, in the units a modeller writes (time constants, not leak rates).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Recurrent cell.
    pub cell: CellKind,
    /// Number of hidden units [1].
    pub n_hidden: usize,
    /// Integration time step `dt` [ms].
    #[serde(default = "one")]
    pub dt: f64,
    /// Membrane/rate time constant `τ` of the vanilla cell; `α = dt/τ` [ms]. Gated cells
    /// require `τ = dt`.
    pub tau: Option<f64>,
    /// Nonlinearity of the vanilla cell.
    #[serde(default = "tanh")]
    pub activation: Activation,
    /// Spectral scale of the initial recurrent weights (vanilla cell) [1].
    #[serde(default = "init_gain")]
    pub init_gain: f64,
    /// Probability of each recurrent connection in the fixed mask [1].
    #[serde(default = "one")]
    pub connection_prob: f64,
    /// Dale's-law sign constraint.
    pub dale: Option<DaleConfig>,
}

fn one() -> f64 {
    1.0
}
fn tanh() -> Activation {
    Activation::Tanh
}
fn init_gain() -> f64 {
    0.9
}

impl ModelSpec {
    /// The `RnnConfig` for a task with the given input and output sizes.
    pub fn rnn_config(&self, n_input: usize, n_output: usize) -> RnnConfig {
        RnnConfig {
            cell: self.cell,
            n_input,
            n_hidden: self.n_hidden,
            n_output,
            alpha: self.dt / self.tau.unwrap_or(self.dt),
            activation: self.activation,
            init_gain: self.init_gain,
            dale: self.dale,
            connection_prob: self.connection_prob,
        }
    }

    fn validate(&self, n_input: usize, n_output: usize) -> Result<(), RangeError> {
        use neurodyn_core::check;
        check(self.dt > 0.0 && self.dt.is_finite(), "dt", self.dt, "a finite value > 0 [ms]")?;
        if let Some(tau) = self.tau {
            check(tau > 0.0 && tau.is_finite(), "tau", tau, "a finite value > 0 [ms]")?;
            let alpha = self.dt / tau;
            check(alpha <= 1.0, "tau", tau, "tau >= dt (alpha = dt/tau must be in (0, 1])")?;
            let gated = self.cell != CellKind::Vanilla;
            check(
                !gated || alpha == 1.0,
                "tau",
                tau,
                "tau = dt for gated cells (GRU and LSTM have no leak)",
            )?;
        }
        self.rnn_config(n_input, n_output).validate()
    }
}

/// Held-out evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EvaluationSpec {
    /// Held-out trials for the NMSE and the fixed-point initial states [1].
    pub n_trials: usize,
    /// Trials drawn in the example-trial and state-space figures [1].
    pub n_plot_trials: usize,
    /// Seed of the held-out batch (default: the run's seed). Fix it in a sweep over seeds so
    /// that every network is evaluated on the same inputs (to compare their geometry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
}

impl Default for EvaluationSpec {
    fn default() -> Self {
        EvaluationSpec { n_trials: 128, n_plot_trials: 8, seed: None }
    }
}

/// Reads and validates a spec file.
pub fn load(path: &Path) -> Result<RnnSpec, SpecError> {
    let (text, file) = read(path)?;
    parse(&text, &file)
}

/// Parses and validates spec text; `file` labels errors.
pub fn parse(text: &str, file: &str) -> Result<RnnSpec, SpecError> {
    let spec: RnnSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
    spec.validate().map_err(|(section, e)| {
        let field =
            if section.is_empty() { e.field.clone() } else { format!("{section}.{}", e.field) };
        SpecError {
            file: file.to_string(),
            position: locate(text, &field).map(|s| line_col(text, s.start)),
            field: Some(field),
            message: format!("{} is out of range: expected {}", e.value, e.expected),
        }
    })?;
    Ok(spec)
}

impl RnnSpec {
    /// Checks every range; the error carries the section it came from.
    pub fn validate(&self) -> Result<(), (String, RangeError)> {
        let at = |section: &str| {
            let section = section.to_string();
            move |e: RangeError| (section, e)
        };
        neurodyn_core::check(
            self.schema_version == SCHEMA_VERSION,
            "schema_version",
            self.schema_version,
            "1",
        )
        .map_err(at(""))?;
        check_name(&self.name).map_err(at(""))?;
        let task = self.task.task();
        task.validate().map_err(at(&format!("task.{}", self.task.kind())))?;
        self.model.validate(task.n_input(), task.n_output()).map_err(at("model"))?;
        self.train.validate().map_err(at("train"))?;
        self.fixed_points.validate().map_err(at("fixed_points"))?;
        let input_ok =
            self.fixed_points.input.is_empty() || self.fixed_points.input.len() == task.n_input();
        neurodyn_core::check(
            input_ok,
            "input",
            format!("{:?}", self.fixed_points.input),
            "one value per task input",
        )
        .map_err(at("fixed_points"))?;
        if let Some(p) = &self.population {
            neurodyn_core::check(
                (1..=MAX_POPULATION).contains(&p.size),
                "size",
                p.size,
                "between 1 and 100000",
            )
            .map_err(at("population"))?;
            neurodyn_core::check(
                p.learning_rates.is_empty() || p.learning_rates.len() == p.size,
                "learning_rates",
                format!("{} values", p.learning_rates.len()),
                "one per member (size), or none",
            )
            .map_err(at("population"))?;
            if let Some(lr) = p.learning_rates.iter().find(|v| !(**v > 0.0 && v.is_finite())) {
                return Err(at("population")(RangeError {
                    field: "learning_rates".into(),
                    value: lr.to_string(),
                    expected: "finite values > 0".into(),
                }));
            }
        }
        let e = &self.evaluation;
        neurodyn_core::check(e.n_trials > 0, "n_trials", e.n_trials, "at least 1")
            .map_err(at("evaluation"))?;
        neurodyn_core::check(
            e.n_plot_trials > 0 && e.n_plot_trials <= e.n_trials,
            "n_plot_trials",
            e.n_plot_trials,
            "between 1 and n_trials",
        )
        .map_err(at("evaluation"))
    }

    /// Member `k` of the population as a spec of its own: seed `seed + k`, its learning rate,
    /// no `[population]`. Training that spec alone gives the member's weights bit for bit.
    pub fn member(&self, k: usize) -> RnnSpec {
        let mut spec = self.clone();
        spec.seed = self.seed.wrapping_add(k as u64);
        if let Some(lr) = self.population.as_ref().and_then(|p| p.learning_rates.get(k)) {
            spec.train.learning_rate = *lr;
        }
        spec.population = None;
        spec
    }

    /// The network config implied by the model and the task.
    pub fn rnn_config(&self) -> RnnConfig {
        let task = self.task.task();
        self.model.rnn_config(task.n_input(), task.n_output())
    }

    /// The resolved spec as TOML: every default filled in.
    pub fn to_toml(&self) -> String {
        // Serialising plain data to TOML cannot fail for these types (no maps with non-string
        // keys, no values after tables); a failure would be a bug in the types above.
        toml::to_string_pretty(self).expect("a spec serialises to TOML")
    }
}
