//! Decomposition specs: data (a `.npz` array or a planted synthetic set), a method, and
//! optionally a rank sweep with random restarts.
//!
//! ```toml
//! name = "sequences"
//! seed = 1
//!
//! [data]
//! path = "recording.npz"     # arrays `x` (and optionally `mask`), relative to the spec
//! nan = "mask"               # NaN entries: "mask" (ignored by the fit) or "refuse"
//!
//! [method.cnmf]
//! rank = 3
//! lag = 20
//! algorithm = "hals"
//!
//! [selection]
//! ranks = [1, 2, 3, 4, 5]
//! restarts = 8
//! ```

use super::{SCHEMA_VERSION, SpecError, check_name, range_error, schema_version, serde_error};
use crate::npz;
use neurodyn_core::{RangeError, check};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// A decomposition experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecompSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the experiment; the run directory starts with it.
    pub name: String,
    /// Seed of the initialisations (restart `i` uses the stream `(seed, "restart", i)`).
    #[serde(default)]
    pub seed: u64,
    /// The data.
    pub data: DataSpec,
    /// The method and its settings.
    pub method: MethodSpec,
    /// Rank sweep with restarts.
    pub selection: Option<SelectionSpec>,
}

/// Where the data come from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// A `.npz` file holding the array `array` (and `mask_array` if given).
    pub path: Option<String>,
    /// Name of the data array [default `x`].
    #[serde(default = "x_name")]
    pub array: String,
    /// Name of an optional 0/1 (or boolean-as-integer) mask array of the same shape.
    pub mask_array: Option<String>,
    /// What to do with NaN entries.
    #[serde(default)]
    pub nan: NanPolicy,
    /// A planted synthetic data set instead of a file.
    pub planted: Option<PlantedSpec>,
}

fn x_name() -> String {
    "x".into()
}

/// NaN entries in the data.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NanPolicy {
    /// Refuse the data with an error naming the first NaN.
    #[default]
    Refuse,
    /// Treat NaN entries as missing (masked).
    Mask,
}

/// A synthetic data set with known factors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlantedSpec {
    /// `nmf` (sparse non-negative W H), `sequences` (convolutive motifs) or `cp` (rank-R
    /// order-3 tensor).
    pub kind: PlantedKind,
    /// Shape: `[rows, columns]` or `[I, J, K]`.
    pub shape: Vec<usize>,
    /// Number of planted factors [1].
    pub rank: usize,
    /// Motif length for `sequences` [bins].
    #[serde(default = "default_lag")]
    pub lag: usize,
    /// Standard deviation of additive noise (absolute value taken for non-negative kinds).
    #[serde(default)]
    pub noise: f64,
}

fn default_lag() -> usize {
    10
}

/// Kinds of planted data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlantedKind {
    /// Sparse non-negative `W H`.
    Nmf,
    /// Sequences: convolutive motifs with sparse activations.
    Sequences,
    /// Rank-R order-3 tensor with Gaussian factors.
    Cp,
}

/// The method, one table named after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum MethodSpec {
    /// Non-negative matrix factorisation.
    Nmf(FitSettings),
    /// Convolutive NMF.
    Cnmf(FitSettings),
    /// CP decomposition of an order-3 tensor (non-negative with `nonnegative = true`).
    Cp(FitSettings),
}

/// Settings shared by the methods (fields a method does not use are refused).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FitSettings {
    /// Number of components [1].
    pub rank: usize,
    /// `mu` or `hals` (NMF, convolutive NMF), or `anls` (convolutive NMF).
    pub algorithm: Option<String>,
    /// Motif length (convolutive NMF) [bins].
    pub lag: Option<usize>,
    /// seqNMF penalty (convolutive NMF, MU) [1].
    pub lambda: Option<f64>,
    /// Non-negative factors (CP).
    pub nonnegative: Option<bool>,
    /// Maximum sweeps [1].
    #[serde(default = "max_iters")]
    pub max_iters: usize,
    /// Relative-decrease tolerance [1].
    #[serde(default = "tol")]
    pub tol: f64,
}

fn max_iters() -> usize {
    500
}
fn tol() -> f64 {
    1e-7
}

impl MethodSpec {
    /// The table name.
    pub fn kind(&self) -> &'static str {
        match self {
            MethodSpec::Nmf(_) => "nmf",
            MethodSpec::Cnmf(_) => "cnmf",
            MethodSpec::Cp(_) => "cp",
        }
    }

    /// The settings.
    pub fn settings(&self) -> &FitSettings {
        match self {
            MethodSpec::Nmf(s) | MethodSpec::Cnmf(s) | MethodSpec::Cp(s) => s,
        }
    }
}

/// A rank sweep: at every rank, `restarts` fits from different random starts (in parallel).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelectionSpec {
    /// Ranks to fit.
    pub ranks: Vec<usize>,
    /// Random restarts per rank [1].
    #[serde(default = "restarts")]
    pub restarts: usize,
}

fn restarts() -> usize {
    4
}

/// Data ready for a fit: values (row-major), shape and mask.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    /// Values (unobserved entries arbitrary).
    pub values: Vec<f64>,
    /// Shape (2 or 3 axes).
    pub shape: Vec<usize>,
    /// Observed entries, if any are missing.
    pub mask: Option<Vec<bool>>,
}

impl DecompSpec {
    /// The resolved spec as TOML (every default written out).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a decomposition spec serialises to TOML")
    }

    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let d = &self.data;
        check(
            d.path.is_some() != d.planted.is_some(),
            "data",
            "path and planted",
            "exactly one of `path` (a .npz file) and `planted` (synthetic data)",
        )?;
        if let Some(p) = &d.planted {
            let want = if p.kind == PlantedKind::Cp { 3 } else { 2 };
            check(
                p.shape.len() == want && p.shape.iter().all(|&n| n >= 2),
                "data.planted.shape",
                format!("{:?}", p.shape),
                &format!("{want} sizes, each at least 2"),
            )?;
            check(p.rank >= 1, "data.planted.rank", p.rank, "at least 1")?;
            check(
                p.noise >= 0.0 && p.noise.is_finite(),
                "data.planted.noise",
                p.noise,
                "a finite value >= 0",
            )?;
            let bins = p.shape.get(1).copied().unwrap_or(0);
            check(
                p.lag >= 1 && (p.kind != PlantedKind::Sequences || p.lag <= bins),
                "data.planted.lag",
                p.lag,
                "at least 1 and, for sequences, at most the time bins (shape[1])",
            )?;
        }
        let f = format!("method.{}", self.method.kind());
        let s = self.method.settings();
        let is = |k: &str| self.method.kind() == k;
        check(s.rank >= 1, &format!("{f}.rank"), s.rank, "at least 1")?;
        check(s.tol >= 0.0, &format!("{f}.tol"), s.tol, "a value >= 0")?;
        let alg_ok = s.algorithm.as_deref().is_none_or(|a| a == "mu" || a == "hals");
        check(
            alg_ok,
            &format!("{f}.algorithm"),
            format!("{:?}", s.algorithm.as_deref().unwrap_or("")),
            "\"mu\" or \"hals\"",
        )?;
        check(
            s.algorithm.is_none() || !is("cp"),
            &format!("{f}.algorithm"),
            "set",
            "absent for cp (ALS; HALS with nonnegative = true)",
        )?;
        check(s.lag.is_none() || is("cnmf"), &format!("{f}.lag"), "set", "only for cnmf")?;
        check(s.lambda.is_none() || is("cnmf"), &format!("{f}.lambda"), "set", "only for cnmf")?;
        check(
            s.nonnegative.is_none() || is("cp"),
            &format!("{f}.nonnegative"),
            "set",
            "only for cp",
        )?;
        if is("cnmf") {
            check(
                s.lag.is_some_and(|l| l >= 1),
                &format!("{f}.lag"),
                format!("{:?}", s.lag),
                "a motif length >= 1",
            )?;
        }
        if let Some(sel) = &self.selection {
            check(
                sel.ranks.first().is_some_and(|&r| r >= 1)
                    && sel.ranks.windows(2).all(|w| w[0] < w[1]),
                "selection.ranks",
                format!("{:?}", sel.ranks),
                "a non-empty increasing list of ranks >= 1 (each once)",
            )?;
            check(sel.restarts >= 1, "selection.restarts", sel.restarts, "at least 1")?;
        }
        Ok(())
    }

    /// Reads the data (its path is absolute once parsed), applying the NaN policy.
    pub fn load_data(&self) -> Result<Data, String> {
        let d = &self.data;
        let Some(path) = &d.path else {
            return Err("planted data are generated by the pipeline, not loaded".into());
        };
        let full = PathBuf::from(path);
        let a = npz::read(&full, &d.array).map_err(|e| e.to_string())?;
        let shape = a.shape().to_vec();
        let values = a.to_f64();
        if values.is_empty() {
            return Err(format!("{}: array `{}` is empty", full.display(), d.array));
        }
        if !(shape.len() == 2 || shape.len() == 3) {
            return Err(format!(
                "{}: array `{}` has shape {shape:?}; expected 2 axes (matrix) or 3 (tensor)",
                full.display(),
                d.array
            ));
        }
        let mut mask: Option<Vec<bool>> = match &d.mask_array {
            Some(name) => {
                let m = npz::read(&full, name).map_err(|e| e.to_string())?;
                if m.shape() != shape.as_slice() {
                    return Err(format!(
                        "{}: mask `{name}` has shape {:?}, the data {shape:?}",
                        full.display(),
                        m.shape()
                    ));
                }
                Some(m.to_f64().iter().map(|v| *v != 0.0).collect())
            }
            None => None,
        };
        if let Some(i) = values.iter().position(|v| v.is_nan()) {
            match d.nan {
                NanPolicy::Refuse => {
                    return Err(format!(
                        "{}: array `{}` has NaN at flat index {i}; set data.nan = \"mask\" to treat NaNs as missing",
                        full.display(),
                        d.array
                    ));
                }
                NanPolicy::Mask => {
                    let m = mask.get_or_insert_with(|| vec![true; values.len()]);
                    for (o, v) in m.iter_mut().zip(&values) {
                        *o &= !v.is_nan();
                    }
                }
            }
        }
        Ok(Data { values, shape, mask })
    }
}

/// Parses a decomposition spec; a relative data path is resolved against `base` (the spec's
/// folder), so the resolved spec names the file absolutely and runs from anywhere.
pub fn parse(text: &str, file: &str, base: &Path) -> Result<DecompSpec, SpecError> {
    let mut spec: DecompSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
    spec.validate().map_err(|e| range_error(text, file, e))?;
    if let Some(path) = &mut spec.data.path {
        *path = super::absolute(base, path);
    }
    Ok(spec)
}
