//! Spiking-network specs: a network ([`neurodyn_sim::NetworkConfig`]'s tables at the top
//! level) with a name and a seed.
//!
//! ```toml
//! name = "cuba"
//! seed = 1
//! simulation = { dt = 0.1, duration = 1000.0, max_delay = 1.0 }
//!
//! [populations.exc]
//! n = 3200
//! neuron = { model = "lif_psc_exp", preset = "vogels_abbott_2005_cuba" }
//! init.v_m = { uniform = [-60.0, -50.0] }
//!
//! [projections.ee]
//! pre = "exc"
//! post = "exc"
//! rule.fixed_probability = { p = 0.02 }
//! weight = 16.2          # [pA]
//! ```

use super::{SCHEMA_VERSION, SpecError, check_name, range_error, schema_version, serde_error};
use crate::location::{line_col, locate};
use crate::npz;
use neurodyn_core::RangeError;
use neurodyn_sim::NetworkConfig;
use neurodyn_sim::config::{
    ConnectRule, EdgeList, GuardConfig, InputConfig, PopulationConfig, ProjectionConfig,
    RecordConfig, SimulationConfig,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A spiking-network experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikingSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the experiment; the run directory starts with it.
    pub name: String,
    /// Seed of every random stream in the run.
    #[serde(default)]
    pub seed: u64,
    /// Time step, duration, longest delay.
    #[serde(default)]
    pub simulation: SimulationConfig,
    /// Populations, by name.
    pub populations: BTreeMap<String, PopulationConfig>,
    /// Projections, by name.
    #[serde(default)]
    pub projections: BTreeMap<String, ProjectionConfig>,
    /// Inputs, by name.
    #[serde(default)]
    pub inputs: BTreeMap<String, InputConfig>,
    /// What to record.
    #[serde(default)]
    pub record: RecordConfig,
    /// Guards.
    #[serde(default)]
    pub guards: GuardConfig,
    /// Where the spec came from, to locate errors found later (when the network is built).
    #[serde(skip)]
    origin: Origin,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct Origin {
    file: String,
    text: String,
    /// Connection files read, by projection name (absolute paths).
    files: BTreeMap<String, String>,
}

impl SpikingSpec {
    /// The network the spec describes (connection files already read).
    pub fn network(&self) -> NetworkConfig {
        NetworkConfig {
            simulation: self.simulation.clone(),
            populations: self.populations.clone(),
            projections: self.projections.clone(),
            inputs: self.inputs.clone(),
            record: self.record.clone(),
            guards: self.guards.clone(),
        }
    }

    /// A spec error for a [`RangeError`] whose field is a dotted path in this spec, located in
    /// the spec's text.
    pub fn error(&self, e: RangeError) -> SpecError {
        range_error(&self.origin.text, &self.origin.file, e)
    }

    /// The resolved spec as TOML: every neuron parameter written out, the seed included.
    /// Connection lists read from files are written back as the (absolute) file path.
    pub fn to_toml(&self) -> String {
        let mut resolved = self.clone();
        for pop in resolved.populations.values_mut() {
            if let Some(neuron) = &mut pop.neuron {
                // Parsing already built every neuron config, so this cannot fail.
                *neuron = neuron.resolved().expect("validated neuron spec");
            }
        }
        for (name, path) in &self.origin.files {
            if let Some(proj) = resolved.projections.get_mut(name) {
                proj.rule = ConnectRule::File { path: path.clone() };
            }
        }
        toml::to_string_pretty(&resolved).expect("a spiking spec serialises to TOML")
    }
}

impl SpikingSpec {
    /// [`SpikingSpec::to_toml`] as a table, for a spec that nests this network (its resolved
    /// form inlines the network, so it re-runs without the network's file).
    pub fn to_table(&self) -> toml::Table {
        toml::from_str(&self.to_toml()).expect("a resolved spiking spec is TOML")
    }
}

/// Parses spiking-spec text; `file` labels errors and `base` resolves relative paths.
pub fn parse(text: &str, file: &str, base: &Path) -> Result<SpikingSpec, SpecError> {
    let mut spec: SpikingSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
    spec.origin = Origin { file: file.to_string(), text: text.to_string(), files: BTreeMap::new() };
    let range = |e: RangeError| spec.error(e);
    neurodyn_core::check(
        spec.schema_version == SCHEMA_VERSION,
        "schema_version",
        spec.schema_version,
        "1",
    )
    .map_err(range)?;
    check_name(&spec.name).map_err(range)?;
    for (name, pop) in &spec.populations {
        if let Some(neuron) = &pop.neuron {
            neuron.config().map_err(|mut e| {
                e.field = format!("populations.{name}.neuron.{}", e.field);
                range(e)
            })?;
        }
    }
    let mut lists = Vec::new();
    for (name, proj) in &spec.projections {
        if let ConnectRule::File { path } = &proj.rule {
            let full = base.join(path);
            let field = format!("projections.{name}.rule.file.path");
            let list = read_edges(&full).map_err(|message| SpecError {
                file: file.to_string(),
                position: locate(text, &field).map(|s| line_col(text, s.start)),
                field: Some(field),
                message,
            })?;
            lists.push((name.clone(), full, list));
        }
    }
    for (name, full, list) in lists {
        spec.projections.get_mut(&name).expect("listed above").rule = ConnectRule::List(list);
        spec.origin.files.insert(name, full.display().to_string());
    }
    Ok(spec)
}

/// Reads `pre`, `post` and optional `weight`, `delay` arrays from a `.npz`.
fn read_edges(path: &Path) -> Result<EdgeList, String> {
    let ints = |name: &str| -> Result<Vec<u32>, String> {
        let a = npz::read(path, name).map_err(|e| e.to_string())?;
        let values = a.to_f64();
        let bad =
            values.iter().find(|v| !(v.fract() == 0.0 && **v >= 0.0 && **v < u32::MAX as f64));
        match bad {
            Some(v) => {
                Err(format!("{}: array `{name}` holds {v}, not a neuron index", path.display()))
            }
            None => Ok(values.into_iter().map(|v| v as u32).collect()),
        }
    };
    let floats = |name: &str| -> Result<Vec<f64>, String> {
        match npz::read(path, name) {
            Ok(a) => Ok(a.to_f64()),
            Err(_) => Ok(Vec::new()),
        }
    };
    Ok(EdgeList {
        pre: ints("pre")?,
        post: ints("post")?,
        weight: floats("weight")?,
        delay: floats("delay")?,
    })
}
