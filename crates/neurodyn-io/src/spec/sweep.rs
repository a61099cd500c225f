//! Sweep specs: a base spec of any kind and the dotted fields to vary.
//!
//! ```toml
//! name = "flipflop_cells"
//! [sweep]
//! base = "../rnn/flipflop.toml"        # a spec file (relative to this one) or an inline table
//! seeds = 4                            # seeds 1..=4, or a list [3, 7, 11]
//! zip = [["model.cell", "train.learning_rate"]]   # fields that vary together
//! overrides = { "train.max_steps" = 300 }        # the same for every point
//! [sweep.grid]
//! "model.cell" = ["vanilla", "gru", "lstm"]
//! "train.learning_rate" = [0.01, 0.005, 0.005]
//! "model.n_hidden" = [32, 64]
//!
//! [sweep.geometry]                     # optional: compare the points' representations
//! array = "trajectories.npz:states"    # the same array in every point (rows paired)
//! columns = 32                         # its first columns only (LSTM states hold h, then c)
//! group_by = "model.cell"              # a swept field: do points cluster by its value?
//! similarity = "svcca"                 # or "linear_cka"
//! ```
//!
//! The points are the Cartesian product of the grid's dimensions — each zip group is one
//! dimension, every other grid field its own — in field order (sorted), times the seeds.
//! Each point is the base with its values applied as dotted overrides, so every point is
//! validated by its kind exactly like a single run.

use super::{Override, SpecError, check_name, locate_field, serde_error};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The table that marks a sweep spec.
pub const SWEEP_TABLE: &str = "sweep";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: Option<String>,
    #[serde(default = "super::schema_version")]
    #[allow(dead_code)]
    schema_version: u32,
    sweep: RawSweep,
    /// A population claim, checked on the sweep's summary (read by `neurodyn::kinds`).
    #[serde(default)]
    #[allow(dead_code)]
    reproduce: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSweep {
    base: toml::Value,
    #[serde(default)]
    grid: toml::Table,
    #[serde(default)]
    zip: Vec<Vec<String>>,
    seeds: Option<toml::Value>,
    #[serde(default)]
    overrides: toml::Table,
    geometry: Option<GeometrySpec>,
}

/// `[sweep.geometry]`: the representational geometry of a population (Maheswaranathan et al.
/// 2019): one array of every complete point, compared pairwise, embedded by MDS and tested
/// for clustering by the values of one swept field.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct GeometrySpec {
    /// `file.npz:name` in every point's run directory; leading axes become rows (paired
    /// across points: every point must see the same inputs), the last axis columns.
    pub array: String,
    /// Keep only the first `columns` columns.
    pub columns: Option<usize>,
    /// Keep at most this many rows, evenly spaced (cost grows with rows).
    pub max_rows: Option<usize>,
    /// The swept field whose values group the points.
    pub group_by: String,
    /// `svcca` or `linear_cka`.
    #[serde(default = "default_similarity")]
    pub similarity: Similarity,
    /// SVCCA keeps the principal directions that explain this much of the variance (0, 1].
    #[serde(default = "default_variance")]
    pub svcca_variance: f64,
    /// Random relabellings in the silhouette's permutation test [1].
    #[serde(default = "default_permutations")]
    pub permutations: usize,
}

/// The similarity of two points' representations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Similarity {
    /// Mean canonical correlation after SVD reduction (Raghu et al. 2017).
    Svcca,
    /// Linear centred kernel alignment (Kornblith et al. 2019).
    LinearCka,
}

fn default_similarity() -> Similarity {
    Similarity::Svcca
}
fn default_variance() -> f64 {
    0.99
}
fn default_permutations() -> usize {
    999
}

impl GeometrySpec {
    /// The npz file and the array's name.
    pub fn file_and_name(&self) -> (&str, &str) {
        self.array.split_once(':').unwrap_or((&self.array, ""))
    }

    fn validate(&self, text: &str, file: &str, grid: &toml::Table) -> Result<(), SpecError> {
        let at = |f: &str, m: String| error(text, file, &format!("sweep.geometry.{f}"), m);
        let (npz, name) = self.file_and_name();
        if !npz.ends_with(".npz") || name.is_empty() || npz.contains(['/', '\\']) {
            return Err(at(
                "array",
                format!(
                    "{:?}: write it as \"file.npz:name\", a file of each point's run directory",
                    self.array
                ),
            ));
        }
        if !grid.contains_key(&self.group_by) {
            return Err(at(
                "group_by",
                format!("{:?} is not a field of [sweep.grid]", self.group_by),
            ));
        }
        if !(self.svcca_variance > 0.0 && self.svcca_variance <= 1.0) {
            return Err(at("svcca_variance", format!("{}: in (0, 1]", self.svcca_variance)));
        }
        if !(1..=1_000_000).contains(&self.permutations) {
            return Err(at(
                "permutations",
                format!("{}: between 1 and 1000000", self.permutations),
            ));
        }
        if self.columns == Some(0) || self.max_rows.is_some_and(|r| r < 3) {
            return Err(at("columns", "columns >= 1 and max_rows >= 3".into()));
        }
        Ok(())
    }
}

/// The `[sweep.geometry]` table of a sweep spec's text, if any (read again when a sweep is
/// finished, from the copy in its directory).
pub fn geometry(text: &str, file: &str) -> Result<Option<GeometrySpec>, SpecError> {
    #[derive(Deserialize)]
    struct Only {
        sweep: OnlyGeometry,
    }
    #[derive(Deserialize)]
    struct OnlyGeometry {
        geometry: Option<GeometrySpec>,
        #[serde(default)]
        grid: toml::Table,
    }
    let only: Only = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
    if let Some(g) = &only.sweep.geometry {
        g.validate(text, file, &only.sweep.grid)?;
    }
    Ok(only.sweep.geometry)
}

/// A parsed sweep: its base spec and its points.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    /// The sweep's name (its directory).
    pub name: String,
    /// The base spec's text.
    pub base_text: String,
    /// The base spec's file (or a label for an inline base), for errors.
    pub base_file: String,
    /// The folder relative paths of the base resolve from.
    pub base_dir: PathBuf,
    /// Every point.
    pub points: Vec<Point>,
    /// The population's geometry, compared when the sweep is finished.
    pub geometry: Option<GeometrySpec>,
}

/// One point of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// The swept values of this point (dotted field → value, `seed` included when swept).
    pub params: Vec<Override>,
    /// Every override applied to the base: the fixed ones, then `params`.
    pub overrides: Vec<Override>,
}

fn error(text: &str, file: &str, field: &str, message: impl Into<String>) -> SpecError {
    SpecError {
        file: file.to_string(),
        position: locate_field(text, field),
        field: Some(field.to_string()),
        message: message.into(),
    }
}

/// Whether `text` is a sweep spec (has a top-level `[sweep]` table).
pub fn is_sweep(text: &str) -> bool {
    toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key(SWEEP_TABLE))
}

/// Parses a sweep spec `text` (from `file`; relative paths from `base`) and expands its points.
pub fn parse(text: &str, file: &str, base: &Path) -> Result<SweepSpec, SpecError> {
    let raw: Raw = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
    let s = raw.sweep;
    if let Some(g) = &s.geometry {
        g.validate(text, file, &s.grid)?;
    }
    let (base_text, base_file, base_dir) = super::nested(&s.base, text, file, base, "sweep.base")?;
    let name = match raw.name {
        Some(n) => n,
        None => toml::from_str::<toml::Table>(&base_text)
            .ok()
            .and_then(|t| t.get("name").and_then(|v| v.as_str()).map(|n| format!("{n}_sweep")))
            .unwrap_or_else(|| "sweep".into()),
    };
    check_name(&name).map_err(|e| error(text, file, "name", e.to_string()))?;

    // Dimensions: each zip group, then every other grid field, in sorted order.
    let mut dims: Vec<Vec<Vec<Override>>> = Vec::new();
    let mut zipped = std::collections::BTreeSet::new();
    for (g, group) in s.zip.iter().enumerate() {
        let field = format!("sweep.zip[{g}]");
        if group.len() < 2 {
            return Err(error(text, file, &field, "a zip group names at least two grid fields"));
        }
        let mut len = None;
        for f in group {
            let values = s.grid.get(f).and_then(|v| v.as_array()).ok_or_else(|| {
                error(text, file, &field, format!("{f:?} is not a list in [sweep.grid]"))
            })?;
            if *len.get_or_insert(values.len()) != values.len() || !zipped.insert(f.clone()) {
                return Err(error(
                    text,
                    file,
                    &field,
                    "zipped fields need lists of equal length, each field in one group",
                ));
            }
        }
        let len = len.unwrap_or(0);
        dims.push(
            (0..len)
                .map(|i| {
                    group
                        .iter()
                        .map(|f| (f.clone(), s.grid[f].as_array().expect("checked")[i].clone()))
                        .collect()
                })
                .collect(),
        );
    }
    for (f, v) in &s.grid {
        if zipped.contains(f) {
            continue;
        }
        let field = format!("sweep.grid.{f}");
        let values = v
            .as_array()
            .filter(|a| !a.is_empty())
            .ok_or_else(|| error(text, file, &field, "a non-empty list of the values to sweep"))?;
        dims.push(values.iter().map(|x| vec![(f.clone(), x.clone())]).collect());
    }
    if let Some(d) = dims.iter().position(Vec::is_empty) {
        return Err(error(text, file, "sweep.grid", format!("dimension {d} has no values")));
    }
    // Counted before anything is expanded: a huge count is refused, not allocated.
    const MAX_POINTS: usize = 1_000_000;
    let seed_count = match &s.seeds {
        Some(toml::Value::Integer(n)) => usize::try_from(*n).unwrap_or(usize::MAX),
        Some(toml::Value::Array(a)) => a.len(),
        _ => 1,
    };
    let count = dims
        .iter()
        .try_fold(seed_count.max(1), |acc, d| acc.checked_mul(d.len()))
        .filter(|&c| c <= MAX_POINTS);
    if count.is_none() {
        let field = if seed_count > MAX_POINTS { "sweep.seeds" } else { "sweep.grid" };
        return Err(error(text, file, field, format!("more than {MAX_POINTS} points")));
    }
    let seeds: Vec<i64> = match &s.seeds {
        None => vec![],
        Some(toml::Value::Integer(n)) if *n >= 1 => (1..=*n).collect(),
        Some(toml::Value::Array(a)) if !a.is_empty() => a
            .iter()
            .map(|v| v.as_integer().filter(|s| *s >= 0))
            .collect::<Option<_>>()
            .ok_or_else(|| error(text, file, "sweep.seeds", "seeds must be integers >= 0"))?,
        Some(_) => {
            return Err(error(
                text,
                file,
                "sweep.seeds",
                "a count >= 1 (seeds 1..=count) or a non-empty list of seeds",
            ));
        }
    };
    let fixed: Vec<Override> = s.overrides.into_iter().collect();
    let mut combos: Vec<Vec<Override>> = vec![vec![]];
    for dim in &dims {
        combos = combos
            .into_iter()
            .flat_map(|c| dim.iter().map(move |v| [c.clone(), v.clone()].concat()))
            .collect();
    }
    let mut points = Vec::new();
    for combo in combos {
        let with_seeds: Vec<Vec<Override>> = if seeds.is_empty() {
            vec![combo]
        } else {
            seeds
                .iter()
                .map(|&sd| {
                    [combo.clone(), vec![("seed".to_string(), toml::Value::Integer(sd))]].concat()
                })
                .collect()
        };
        for params in with_seeds {
            let overrides = [fixed.clone(), params.clone()].concat();
            points.push(Point { params, overrides });
        }
    }
    Ok(SweepSpec { name, base_text, base_file, base_dir, points, geometry: s.geometry })
}

/// A short stable hash of a point's resolved spec (FNV-1a, 64 bits, as 12 hex digits): its
/// directory name, so a re-run finds it.
pub fn point_hash(resolved: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in resolved.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{:012x}", h & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "name = \"b\"\nseed = 1\n[model]\nn_hidden = 8\n";

    fn sweep(body: &str) -> Result<SweepSpec, SpecError> {
        let text =
            format!("[sweep]\nbase = {{ name = \"b\", model = {{ n_hidden = 8 }} }}\n{body}");
        parse(&text, "s.toml", Path::new("."))
    }

    #[test]
    fn grid_zip_and_seeds_expand_in_order() {
        let s = sweep(
            "seeds = 2\nzip = [[\"a.x\", \"a.y\"]]\n[sweep.grid]\n\"a.x\" = [1, 2]\n\"a.y\" = [10, 20]\n\"b\" = [\"p\", \"q\", \"r\"]\n",
        )
        .unwrap();
        assert_eq!(s.name, "b_sweep");
        assert_eq!(s.points.len(), 2 * 3 * 2);
        let first: Vec<String> =
            s.points[0].params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(first, ["a.x=1", "a.y=10", "b=\"p\"", "seed=1"]);
        let last: Vec<String> =
            s.points[11].params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(last, ["a.x=2", "a.y=20", "b=\"r\"", "seed=2"]);
        assert!(s.base_text.contains("n_hidden = 8"));
    }

    #[test]
    fn bad_sweeps_name_the_field() {
        let e = sweep("zip = [[\"a\", \"b\"]]\n[sweep.grid]\na = [1, 2]\nb = [1]\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("sweep.zip[0]"));
        let e = sweep("[sweep.grid]\na = []\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("sweep.grid.a"));
        let e = sweep("seeds = 0\n").unwrap_err();
        assert_eq!(e.field.as_deref(), Some("sweep.seeds"));
        let e = parse("[sweep]\nbase = \"missing.toml\"\n", "s.toml", Path::new("/nonexistent"))
            .unwrap_err();
        assert!(e.to_string().contains("missing.toml"), "{e}");
        assert!(BASE.contains("seed"));
    }

    #[test]
    fn point_hash_is_stable_and_distinguishes() {
        assert_eq!(point_hash("a"), point_hash("a"));
        assert_ne!(point_hash("a = 1"), point_hash("a = 2"));
        assert_eq!(point_hash("").len(), 12);
    }
}
