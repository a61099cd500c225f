//! Comparison specs: several RNN specs trained on the same task, then their fixed-point
//! topologies and representational geometries compared (Maheswaranathan, Williams, Golub,
//! Ganguli & Sussillo 2019, "Universality and individuality in neural dynamics across large
//! populations of recurrent networks", arXiv:1907.08549).
//!
//! ```toml
//! name = "flipflop_universality"
//! seed = 1                     # the common held-out batch every network is evaluated on
//! [compare]
//! specs = ["flipflop.toml", "flipflop_gru.toml", "flipflop_lstm.toml"]
//! ```

use super::{
    RnnSpec, SCHEMA_VERSION, SpecError, check_name, range_error, schema_version, serde_error,
};
use neurodyn_core::{RangeError, check};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A comparison of trained networks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the experiment.
    pub name: String,
    /// Seed of the common held-out batch (each network trains with its own spec's seed).
    #[serde(default)]
    pub seed: u64,
    /// What to compare.
    pub compare: CompareSettings,
    /// Member specs written inline (the resolved spec holds every member this way); those
    /// named in `compare.specs` are loaded and appended.
    #[serde(default)]
    pub networks: Vec<RnnSpec>,
}

/// Settings of a comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareSettings {
    /// RNN spec files, relative to this spec; all members must train on the same task.
    #[serde(default)]
    pub specs: Vec<String>,
    /// Trials of the common held-out batch [1].
    #[serde(default = "n_trials")]
    pub n_trials: usize,
    /// Caps every member's training steps (a quick look at a comparison) [1].
    #[serde(default)]
    pub max_train_steps: Option<usize>,
    /// Caps every member's fixed-point search: initial states and iterations per state [1].
    #[serde(default)]
    pub max_fixed_point_search: Option<(usize, usize)>,
    /// Fraction of variance SVCCA keeps on each side [1].
    #[serde(default = "variance")]
    pub svcca_variance: f64,
}

fn n_trials() -> usize {
    32
}
fn variance() -> f64 {
    0.99
}

impl CompareSpec {
    /// The resolved spec as TOML: every member inline (`[[networks]]`), no file references.
    pub fn to_toml(&self) -> String {
        let mut resolved = self.clone();
        resolved.compare.specs.clear();
        toml::to_string_pretty(&resolved).expect("a comparison spec serialises to TOML")
    }

    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let c = &self.compare;
        check(
            c.specs.len() + self.networks.len() >= 2,
            "compare.specs",
            format!("{:?}", c.specs),
            "at least two networks (spec files or inline [[networks]])",
        )?;
        check(c.n_trials >= 2, "compare.n_trials", c.n_trials, "at least 2")?;
        check(
            c.svcca_variance > 0.0 && c.svcca_variance <= 1.0,
            "compare.svcca_variance",
            c.svcca_variance,
            "in (0, 1]",
        )
    }
}

/// Parses a comparison spec and loads its member specs relative to `base`.
pub fn parse(text: &str, file: &str, base: &Path) -> Result<CompareSpec, SpecError> {
    let mut spec: CompareSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
    spec.validate().map_err(|e| range_error(text, file, e))?;
    // Inline members are validated like files.
    let inline = std::mem::take(&mut spec.networks);
    for (i, net) in inline.iter().enumerate() {
        let text = toml::to_string(net).expect("a spec serialises to TOML");
        spec.networks.push(super::rnn::parse(&text, &format!("{file} (networks[{i}])"))?);
    }
    for path in &spec.compare.specs {
        // A member file may be a reproduction of its own: its claim is not the comparison's.
        let path = base.join(path);
        let file = path.display().to_string();
        let text = super::read_spec(&path)?;
        let text = super::apply_overrides(&text, &file, &[], &[super::REPRODUCE_TABLE])?;
        spec.networks.push(super::rnn::parse(&text, &file)?);
    }
    for n in &mut spec.networks {
        if let Some(steps) = spec.compare.max_train_steps {
            n.train.max_steps = n.train.max_steps.min(steps);
        }
        if let Some((starts, iters)) = spec.compare.max_fixed_point_search {
            n.fixed_points.n_initial = n.fixed_points.n_initial.min(starts);
            n.fixed_points.max_iters = n.fixed_points.max_iters.min(iters);
        }
    }
    if let Some(other) = spec.networks.iter().find(|n| n.task != spec.networks[0].task) {
        let e = RangeError {
            field: "compare.specs".into(),
            value: other.name.clone(),
            expected: format!("a network trained on the same task as {}", spec.networks[0].name),
        };
        return Err(range_error(text, file, e));
    }
    Ok(spec)
}
