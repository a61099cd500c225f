//! AMP studies: Bayes-optimal approximate message passing against alternating least squares on
//! planted rank-1 spiked matrices or tensors, swept over the signal-to-noise ratio.
//!
//! ```toml
//! name = "kadmon_ganguli_2018"
//! [amp]
//! order = 2
//! n = 1000
//! prior = "gaussian"
//! prior_mean = 1.0
//! snrs = [0.05, 0.1, 0.2, 0.5, 1.0]
//! ```

use super::{SCHEMA_VERSION, SpecError, check_name, range_error, schema_version, serde_error};
use neurodyn_core::{RangeError, check};
use serde::{Deserialize, Serialize};

/// An AMP-versus-ALS study.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmpSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the experiment.
    pub name: String,
    /// Seed of the planted instances and of ALS's random starts.
    #[serde(default)]
    pub seed: u64,
    /// The sweep.
    pub amp: AmpStudy,
}

/// The prior of the factors' entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorKind {
    /// `N(prior_mean, 1)`.
    Gaussian,
    /// `±1` with equal probability.
    Rademacher,
}

/// Settings of the sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmpStudy {
    /// 2 (spiked matrix) or 3 (spiked order-3 tensor).
    pub order: usize,
    /// Size of every mode [1].
    pub n: usize,
    /// Prior of the factors.
    pub prior: PriorKind,
    /// Mean of a Gaussian prior (must be 0 for order 3) [1].
    #[serde(default)]
    pub prior_mean: f64,
    /// Signal-to-noise ratios `λ` [1].
    pub snrs: Vec<f64>,
    /// Planted instances per SNR [1].
    #[serde(default = "four")]
    pub trials: usize,
    /// AMP iterations [1].
    #[serde(default = "fifty")]
    pub iters: usize,
    /// ALS sweeps [1].
    #[serde(default = "hundred")]
    pub als_iters: usize,
}

fn four() -> usize {
    4
}
fn fifty() -> usize {
    50
}
fn hundred() -> usize {
    100
}

impl AmpSpec {
    /// The resolved spec as TOML (every default written out).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("an AMP spec serialises to TOML")
    }

    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let a = &self.amp;
        check(a.order == 2 || a.order == 3, "amp.order", a.order, "2 (matrix) or 3 (tensor)")?;
        let max_n = if a.order == 2 { 20_000 } else { 400 };
        check(
            a.n >= 10 && a.n <= max_n,
            "amp.n",
            a.n,
            &format!("between 10 and {max_n} for order {}", a.order),
        )?;
        check(a.prior_mean.is_finite(), "amp.prior_mean", a.prior_mean, "a finite number")?;
        check(
            a.order == 2 || a.prior_mean == 0.0,
            "amp.prior_mean",
            a.prior_mean,
            "0 for order-3 tensors (AMP with a non-zero mean is unstable there)",
        )?;
        check(
            !a.snrs.is_empty() && a.snrs.iter().all(|s| *s > 0.0 && s.is_finite()),
            "amp.snrs",
            format!("{:?}", a.snrs),
            "a non-empty list of finite values > 0",
        )?;
        check(a.trials >= 1, "amp.trials", a.trials, "at least 1")?;
        check(a.iters >= 1, "amp.iters", a.iters, "at least 1")?;
        check(a.als_iters >= 1, "amp.als_iters", a.als_iters, "at least 1")
    }
}

/// Parses an AMP spec.
pub fn parse(text: &str, file: &str) -> Result<AmpSpec, SpecError> {
    let spec: AmpSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
    spec.validate().map_err(|e| range_error(text, file, e))?;
    Ok(spec)
}
