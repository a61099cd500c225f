//! The `dimensionality` run kind (`[dimensionality]` specs): how many dimensions recorded (or
//! simulated) activity occupies — linearly (PCA: participation ratio, components for 90 % of
//! the variance) and intrinsically (TwoNN, Levina–Bickel), the distinction of Recanatesi et
//! al. 2019 (arXiv:1906.00443) between the linear span and the manifold's dimension.
//!
//! ```toml
//! name = "my_recording"
//! [dimensionality]
//! path = "activity.npz"        # array `x`: rows = samples (time points, trials), columns = units
//! # or a planted manifold of known dimension:
//! # planted = { dim = 3, ambient = 60, n = 2000, curved = true, noise = 0.0 }
//! ```
//!
//! This kind is the registry's example of a kind in one module: its schema, its memory
//! estimate, its run and its figure are all here.

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_analysis::dimensionality::Pca;
use neurodyn_core::{RangeError, check, rng};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, check_name, range_error, schema_version, serde_error,
};
use neurodyn_report::svg::{Marker, Plot};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A dimensionality analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DimensionalitySpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of the planted data and of the subsample.
    #[serde(default)]
    pub seed: u64,
    /// What to analyse.
    pub dimensionality: Settings,
}

/// Settings of a dimensionality analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// A `.npz` holding the samples × units array `array` (relative to the spec; absolute once
    /// resolved).
    pub path: Option<String>,
    /// Name of the array [default `x`].
    #[serde(default = "x_name")]
    pub array: String,
    /// A planted manifold instead of a file.
    pub planted: Option<Planted>,
    /// Neighbours of the Levina–Bickel estimate [1].
    #[serde(default = "ten")]
    pub k_neighbors: usize,
    /// Samples the nearest-neighbour estimates use at most (evenly spaced) [1].
    #[serde(default = "two_thousand")]
    pub max_points: usize,
}

/// A manifold of known intrinsic dimension embedded in `ambient` dimensions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Planted {
    /// Intrinsic dimension `d` [1].
    pub dim: usize,
    /// Ambient dimension `D` [1].
    pub ambient: usize,
    /// Samples [1].
    pub n: usize,
    /// `false`: a random `d`-dimensional linear subspace; `true`: the same latent points
    /// through `D` random cosine features, a curved manifold spanning many more linear
    /// dimensions than `d`.
    #[serde(default)]
    pub curved: bool,
    /// Standard deviation of isotropic noise added in the ambient space.
    #[serde(default)]
    pub noise: f64,
}

fn x_name() -> String {
    "x".into()
}
fn ten() -> usize {
    10
}
fn two_thousand() -> usize {
    2000
}

impl DimensionalitySpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let s = &self.dimensionality;
        check(
            s.path.is_some() != s.planted.is_some(),
            "dimensionality",
            "path and planted",
            "exactly one of `path` (a .npz file) and `planted`",
        )?;
        check(s.k_neighbors >= 2, "dimensionality.k_neighbors", s.k_neighbors, "at least 2")?;
        check(s.max_points >= 20, "dimensionality.max_points", s.max_points, "at least 20")?;
        if let Some(p) = &s.planted {
            check(p.dim >= 1, "dimensionality.planted.dim", p.dim, "at least 1")?;
            check(p.ambient >= p.dim, "dimensionality.planted.ambient", p.ambient, "at least dim")?;
            check(p.n >= 20, "dimensionality.planted.n", p.n, "at least 20")?;
            check(
                p.noise >= 0.0 && p.noise.is_finite(),
                "dimensionality.planted.noise",
                p.noise,
                "a finite value >= 0",
            )?;
        }
        Ok(())
    }
}

/// Draws the planted manifold: latent points uniform in `[0, 1)^d`, mapped linearly by a
/// Gaussian `D × d` matrix or, curved, through `D` random cosine features
/// `cos(2π (w_j · u) + φ_j)`; rows are samples.
pub fn planted(p: &Planted, seed: u64) -> Vec<f64> {
    let mut r = rng::stream(seed, "dimensionality/planted", 0);
    let normal = |r: &mut rng::Stream| -> f64 { StandardNormal.sample(r) };
    let w: Vec<f64> = (0..p.ambient * p.dim).map(|_| normal(&mut r)).collect();
    let phase: Vec<f64> = (0..p.ambient)
        .map(|_| std::f64::consts::TAU * rand::RngExt::random::<f64>(&mut r))
        .collect();
    let mut x = Vec::with_capacity(p.n * p.ambient);
    for _ in 0..p.n {
        let u: Vec<f64> = (0..p.dim).map(|_| rand::RngExt::random::<f64>(&mut r)).collect();
        for j in 0..p.ambient {
            let proj: f64 = (0..p.dim).map(|k| w[j * p.dim + k] * u[k]).sum();
            let clean =
                if p.curved { (std::f64::consts::TAU * 0.5 * proj + phase[j]).cos() } else { proj };
            x.push(clean + p.noise * normal(&mut r));
        }
    }
    x
}

/// Linear and intrinsic dimension of a set of points.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Dimensionality {
    /// Participation ratio `(Σλ)²/Σλ²` of the covariance spectrum [1].
    pub participation_ratio: f64,
    /// Principal components needed for 90 % of the variance [1].
    pub components_for_90_percent_variance: Option<usize>,
    /// TwoNN intrinsic dimension (null when undefined) [1].
    pub two_nn: Option<f64>,
    /// Levina–Bickel intrinsic dimension (null when undefined) [1].
    pub levina_bickel: Option<f64>,
    /// Points the nearest-neighbour estimates used [1].
    pub n_states: usize,
}

/// Dimensionality of `points` (`rows × dim`): the PCA measures on all rows; TwoNN and
/// Levina–Bickel (`k` neighbours) on at most `max_points` evenly spaced rows. `None` when PCA
/// is undefined (fewer than two rows).
pub fn measure(points: &[f64], dim: usize, k: usize, max_points: usize) -> Option<Dimensionality> {
    use neurodyn_analysis::dimensionality::{levina_bickel, participation_ratio, two_nn};
    let rows = points.len() / dim.max(1);
    let pca = Pca::fit(points, dim, dim)?;
    let mut cumulative = 0.0;
    let for_90 = pca
        .explained_variance_ratio
        .iter()
        .position(|r| {
            cumulative += r;
            cumulative >= 0.9
        })
        .map(|i| i + 1);
    let stride = rows.div_ceil(max_points).max(1);
    let sample: Vec<f64> =
        points.chunks_exact(dim).step_by(stride).flat_map(|r| r.iter().copied()).collect();
    let finite = |v: f64| v.is_finite().then_some(v);
    Some(Dimensionality {
        participation_ratio: participation_ratio(&pca.explained_variance),
        components_for_90_percent_variance: for_90,
        two_nn: finite(two_nn(&sample, dim, 0.1)),
        levina_bickel: finite(levina_bickel(&sample, dim, k)),
        n_states: sample.len() / dim,
    })
}

/// `metrics.json` of a dimensionality run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DimensionalityMetrics {
    /// Samples (rows) [1].
    pub n_samples: usize,
    /// Units (columns) [1].
    pub n_units: usize,
    /// The planted manifold's dimension, when planted [1].
    pub planted_dim: Option<usize>,
    /// The measures.
    #[serde(flatten)]
    pub dimensionality: Dimensionality,
}

/// The `dimensionality` kind.
pub struct DimensionalityKind;

/// A validated analysis with its data.
pub struct PreparedDimensionality {
    spec: DimensionalitySpec,
    data: Vec<f64>,
    shape: [usize; 2],
}

impl Kind for DimensionalityKind {
    fn name(&self) -> &'static str {
        "dimensionality"
    }
    fn table(&self) -> &'static str {
        "dimensionality"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let mut spec: DimensionalitySpec =
            toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        spec.validate().map_err(|e| range_error(text, file, e))?;
        // Errors about the data name the array they read (`file.npz:name`).
        let d = &spec.dimensionality;
        let source = d
            .path
            .as_deref()
            .map(|p| format!("{}:{}", base.join(p).display(), d.array))
            .unwrap_or_default();
        let bad = |field: &str, expected: String| {
            range_error(
                text,
                file,
                RangeError { field: field.into(), value: source.clone(), expected },
            )
        };
        let s = &mut spec.dimensionality;
        let (data, shape) = match (&s.planted, &mut s.path) {
            (Some(p), _) => {
                // The data, the covariance and the neighbour distances of the subsample.
                let mut m = MemoryEstimate::new();
                m.add("dimensionality.planted.n", (p.n * p.ambient) as f64, 8.0 * 3.0);
                m.add("dimensionality.planted.ambient", (p.ambient * p.ambient) as f64, 8.0 * 3.0);
                m.check(limits, text, file)?;
                (planted(p, spec.seed), [p.n, p.ambient])
            }
            (None, Some(path)) => {
                let full = base.join(&*path);
                let (shape, data) = read_f64(&full, &s.array)
                    .map_err(|e| bad("dimensionality.path", format!("a readable .npz ({e})")))?;
                let [rows, cols] = shape[..] else {
                    return Err(bad(
                        "dimensionality.array",
                        format!("a 2-D samples × units array, found shape {shape:?}"),
                    ));
                };
                if rows < 20 || cols < 1 || !data.iter().all(|v| v.is_finite()) {
                    return Err(bad(
                        "dimensionality.array",
                        format!("≥ 20 rows of finite values, found {rows} × {cols}"),
                    ));
                }
                let mut m = MemoryEstimate::new();
                m.add("dimensionality.path", (cols * cols) as f64, 8.0 * 3.0);
                m.check(limits, text, file)?;
                *path = std::path::absolute(&full).unwrap_or(full).display().to_string();
                (data, [rows, cols])
            }
            (None, None) => unreachable!("validated: exactly one of path and planted"),
        };
        Ok(Box::new(PreparedDimensionality { spec, data, shape }))
    }
    fn figures(&self, dir: &Path, _: &str, _: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
        let (_, ratio) = read_f64(&dir.join("dimensionality.npz"), "explained_variance_ratio")?;
        let k: Vec<f64> = (1..=ratio.len()).map(|i| i as f64).collect();
        let cumulative: Vec<f64> =
            ratio.iter().scan(0.0, |c, r| Some(std::mem::replace(c, *c + r) + r)).collect();
        let mut p = Plot::new("Variance per principal component", "component", "fraction");
        p.line(&k, &ratio, "#1f77b4", 1.5).points(&k, &ratio, "#1f77b4", Marker::Dot, 2.5);
        p.line(&k, &cumulative, "#d62728", 1.5);
        p.dashed(&[1.0, k.len() as f64], &[0.9, 0.9], "#999999", 1.0);
        p.legend("per component", "#1f77b4", Some(Marker::Dot))
            .legend("cumulative", "#d62728", None)
            .legend("90 %", "#999999", None);
        Ok(vec![Figure {
            file: "variance.svg".into(),
            svg: p.to_svg(),
            caption: "Fraction of the variance along each principal component (at most 50 shown) and its cumulative sum; the intrinsic estimates (TwoNN, Levina–Bickel) are in the metrics.".into(),
        }])
    }
}

impl Prepared for PreparedDimensionality {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        toml::to_string_pretty(&self.spec).expect("a dimensionality spec serialises to TOML")
    }
    fn describe(&self) -> String {
        format!("{} samples × {} units", self.shape[0], self.shape[1])
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let [rows, cols] = self.shape;
        let s = &self.spec.dimensionality;
        ctx.progress.phase("dimensionality", 1);
        let shown = cols.min(50);
        let pca = Pca::fit(&self.data, cols, shown).ok_or("PCA failed (constant data?)")?;
        let d = measure(&self.data, cols, s.k_neighbors, s.max_points)
            .ok_or("PCA failed (constant data?)")?;
        let summary = format!(
            "{}: participation ratio {:.2}, TwoNN {:.2}, Levina–Bickel {:.2}",
            self.spec.name,
            d.participation_ratio,
            d.two_nn.unwrap_or(f64::NAN),
            d.levina_bickel.unwrap_or(f64::NAN),
        );
        let m = DimensionalityMetrics {
            n_samples: rows,
            n_units: cols,
            planted_dim: s.planted.as_ref().map(|p| p.dim),
            dimensionality: d,
        };
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        let ratio = pca.explained_variance_ratio.clone();
        let files = vec![(
            "dimensionality.npz".to_string(),
            vec![("explained_variance_ratio".to_string(), Array::f64(&[ratio.len()], ratio))],
        )];
        Ok(Outcome { files, metrics, summary })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn dimensionality_of_a_plane_in_eight_dimensions_is_two() {
        let mut r = neurodyn_core::rng::stream(0, "plane", 0);
        let (a, b) =
            ([0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5]);
        let points: Vec<f64> = (0..1500)
            .flat_map(|_| {
                let (u, v): (f64, f64) = (r.random_range(-1.0..1.0), r.random_range(-1.0..1.0));
                (0..8).map(move |j| u * a[j] + v * b[j])
            })
            .collect();
        let d = measure(&points, 8, 10, 2000).unwrap();
        assert_eq!(d.components_for_90_percent_variance, Some(2));
        assert!((d.participation_ratio - 2.0).abs() < 0.1, "{d:?}");
        for x in [d.two_nn.unwrap(), d.levina_bickel.unwrap()] {
            assert!((x - 2.0).abs() < 0.2, "{d:?}");
        }
    }
}
