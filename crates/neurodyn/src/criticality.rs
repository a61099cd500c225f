//! The `criticality` run kind (`[criticality]` specs): how the pre-activation kernel of deep
//! random feed-forward networks (`neurodyn-models::ffn`) evolves with depth at chosen
//! `(σ_w, σ_b)`, against the mean-field variance map (`analysis::mean_field`), and how its
//! finite-width fluctuations grow with depth/width.
//!
//! Per point: the mean over networks of one input's kernel `K^l = (1/n) Σ_i (z_i^l)²` at every
//! layer next to the map's `q^l`, the growth rate per layer measured and predicted
//! (`ln(K^L/K^1)/(L − 1)`), and `χ₁` at the last layer's variance. With `[criticality.fluctuations]`
//! the first point is repeated at several widths and `Var[ln K^l]` across networks is fitted
//! against `(l − 1)/n` (for ReLU at `σ_b = 0` the first-order theory's slope is 5).
//!
//! ```toml
//! name = "relu"
//! [criticality]
//! activation = "relu"
//! depth = 50
//! width = 128
//! draws = 8
//! points = [{ name = "critical", sigma_w = 1.4142135623730951 }]
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_analysis::mean_field::{
    chi_1, kernel_over_depth, relu_log_kernel_variance, slope_through_origin,
};
use neurodyn_core::{RangeError, check, rng};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, check_keys, check_name, range_error, schema_version, serde_error,
};
use neurodyn_models::ffn::{Activation, FfnConfig, Init};
use neurodyn_report::COLORS;
use neurodyn_report::svg::{Marker, Plot};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// A signal-propagation experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CriticalitySpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of the input and of every network.
    #[serde(default)]
    pub seed: u64,
    /// The networks and what is measured.
    pub criticality: Settings,
}

/// The networks and what is measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Nonlinearity of every layer.
    pub activation: Activation,
    /// Layers `L` [1].
    pub depth: usize,
    /// Width `n` of every layer (and of the input) [1].
    pub width: usize,
    /// Networks drawn per point [1].
    pub draws: usize,
    /// The input's `‖x‖²/n` [1].
    #[serde(default = "one")]
    pub q_in: f64,
    /// `(σ_w, σ_b)` points, named.
    pub points: Vec<Point>,
    /// The first point's kernel fluctuations over widths.
    #[serde(default)]
    pub fluctuations: Option<Fluctuations>,
}

fn one() -> f64 {
    1.0
}

/// One `(σ_w, σ_b)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point {
    /// Its name in metrics (letters, digits, '_').
    pub name: String,
    /// Weight scale `σ_w` [1].
    pub sigma_w: f64,
    /// Bias standard deviation `σ_b` [1].
    #[serde(default)]
    pub sigma_b: f64,
}

/// Finite-width fluctuations of the kernel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fluctuations {
    /// Widths [1].
    pub widths: Vec<usize>,
    /// Layers [1].
    pub depth: usize,
    /// Networks per width [1].
    pub draws: usize,
}

impl CriticalitySpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let s = &self.criticality;
        let f = "criticality";
        check(
            s.depth >= 2 && s.depth <= 10_000,
            &format!("{f}.depth"),
            s.depth,
            "between 2 and 10000",
        )?;
        check(
            s.width >= 1 && s.width <= 16_384,
            &format!("{f}.width"),
            s.width,
            "between 1 and 16384",
        )?;
        check(
            s.draws >= 2 && s.draws <= 100_000,
            &format!("{f}.draws"),
            s.draws,
            "between 2 and 1e5",
        )?;
        check(s.q_in.is_finite() && s.q_in > 0.0, &format!("{f}.q_in"), s.q_in, "finite, > 0")?;
        check(
            !s.points.is_empty() && s.points.len() <= 64,
            &format!("{f}.points"),
            s.points.len(),
            "1 to 64 points",
        )?;
        check_keys("criticality.points", s.points.iter().map(|n| n.name.as_str()))?;
        for (i, p) in s.points.iter().enumerate() {
            for (v, name) in [(p.sigma_w, "sigma_w"), (p.sigma_b, "sigma_b")] {
                check(
                    v.is_finite() && (0.0..=100.0).contains(&v),
                    &format!("{f}.points[{i}].{name}"),
                    v,
                    "between 0 and 100",
                )?;
            }
        }
        let per_network = (s.width as f64).powi(2) * s.depth as f64;
        let rule = "at most 1e9 weights per network (width² × depth)";
        check(per_network <= 1e9, &format!("{f}.depth"), s.depth, rule)?;
        let work = per_network * s.draws as f64 * s.points.len() as f64;
        check(work <= 1e13, &format!("{f}.draws"), s.draws, "at most 1e13 weights drawn in all")?;
        if let Some(fl) = &s.fluctuations {
            let g = format!("{f}.fluctuations");
            check(
                !fl.widths.is_empty() && fl.widths.len() <= 32,
                &format!("{g}.widths"),
                fl.widths.len(),
                "1 to 32 widths",
            )?;
            for (i, w) in fl.widths.iter().enumerate() {
                check(
                    *w >= 2 && *w <= 16_384,
                    &format!("{g}.widths[{i}]"),
                    w,
                    "between 2 and 16384",
                )?;
            }
            check(
                fl.depth >= 2 && fl.depth <= 10_000,
                &format!("{g}.depth"),
                fl.depth,
                "between 2 and 10000",
            )?;
            let widest = fl.widths.iter().copied().max().unwrap_or(0) as f64;
            check(widest * widest * fl.depth as f64 <= 1e9, &format!("{g}.depth"), fl.depth, rule)?;
            check(
                fl.draws >= 3 && fl.draws <= 1_000_000,
                &format!("{g}.draws"),
                fl.draws,
                "between 3 and 1e6",
            )?;
            let work: f64 = fl.widths.iter().map(|w| (*w as f64).powi(2)).sum::<f64>()
                * fl.depth as f64
                * fl.draws as f64;
            check(
                work <= 1e13,
                &format!("{g}.draws"),
                fl.draws,
                "at most 1e13 weights drawn in all",
            )?;
        }
        Ok(())
    }
}

/// One point's measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointMetrics {
    /// `σ_w` [1].
    pub sigma_w: f64,
    /// `σ_b` [1].
    pub sigma_b: f64,
    /// `χ₁` at the map's last-layer variance `q^L` [1].
    pub chi_1: f64,
    /// `ln(q^L/q^1)/(L − 1)` of the mean-field map [1/layer].
    pub theory_rate: f64,
    /// `ln(K̄^L/K̄^1)/(L − 1)`, `K̄` the mean over networks [1/layer].
    pub measured_rate: f64,
    /// `K̄^L / K̄^1` [1].
    pub measured_last_over_first: f64,
    /// `q^L / q^1` [1].
    pub theory_last_over_first: f64,
    /// `max_l |ln(K̄^l / q^l)|` [1].
    pub max_log_error: f64,
}

/// `metrics.json` of a criticality run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CriticalityMetrics {
    /// Per point, by name.
    pub points: serde_json::Map<String, serde_json::Value>,
    /// Fitted slope of `Var[ln K^l] − Var[ln K^1]` against `(l − 1)/n` over every width [1].
    pub fluctuation_slope: Option<f64>,
    /// The same per width [1].
    pub fluctuation_slopes_per_width: Vec<f64>,
    /// ReLU at `σ_b = 0`: the first-order theory's slope, 5 [1].
    pub theory_fluctuation_slope: Option<f64>,
}

/// The `criticality` kind.
pub struct CriticalityKind;

struct PreparedCriticality {
    spec: CriticalitySpec,
}

impl Kind for CriticalityKind {
    fn name(&self) -> &'static str {
        "criticality"
    }
    fn table(&self) -> &'static str {
        "criticality"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: CriticalitySpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        spec.validate().map_err(|e| range_error(text, file, e))?;
        let s = &spec.criticality;
        let threads = rayon::current_num_threads() as f64;
        let mut m = MemoryEstimate::new();
        m.add("criticality.width", threads * (s.width as f64).powi(2) * s.depth as f64, 8.0);
        if let Some(fl) = &s.fluctuations {
            let w = fl.widths.iter().copied().max().unwrap_or(1) as f64;
            m.add("criticality.fluctuations.widths", threads * w * w * fl.depth as f64, 8.0);
            m.add(
                "criticality.fluctuations.draws",
                fl.draws as f64 * fl.depth as f64 * fl.widths.len() as f64,
                8.0,
            );
        }
        m.check(limits, text, file)?;
        Ok(Box::new(PreparedCriticality { spec }))
    }
    fn figures(
        &self,
        dir: &Path,
        _: &str,
        metrics: &serde_json::Value,
    ) -> Result<Vec<Figure>, IoError> {
        figures(dir, metrics)
    }
}

/// Every layer's kernel `K^l` of input `x` in one network drawn with `seed`.
fn kernels(
    activation: Activation,
    width: usize,
    depth: usize,
    sigma_w: f64,
    sigma_b: f64,
    x: &[f64],
    seed: u64,
) -> Vec<f64> {
    let config = FfnConfig {
        widths: vec![width; depth + 1],
        activation,
        init: Init::Gaussian,
        sigma_w,
        sigma_b,
        bias: sigma_b > 0.0,
    };
    let net = config.build::<f64>(seed).expect("validated sizes");
    let tape = net.forward(&x[..width], 1);
    tape.preactivations
        .iter()
        .map(|z| z.iter().map(|v| v * v).sum::<f64>() / width as f64)
        .collect()
}

fn draw_seed(seed: u64, what: &str, index: u64) -> u64 {
    rng::stream(seed, what, index).next_u64()
}

fn input(width: usize, q_in: f64, seed: u64) -> Vec<f64> {
    let mut r = rng::stream(seed, "criticality/input", 0);
    let x: Vec<f64> = (0..width).map(|_| StandardNormal.sample(&mut r)).collect();
    let norm = (x.iter().map(|v| v * v).sum::<f64>() / width as f64).sqrt();
    x.iter().map(|v| v * q_in.sqrt() / norm).collect()
}

fn phi_of(a: Activation) -> impl Fn(f64) -> f64 {
    move |z| a.apply(z)
}

fn dphi_of(a: Activation) -> impl Fn(f64) -> f64 {
    move |z| a.derivative(z, a.apply(z))
}

impl Prepared for PreparedCriticality {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        toml::to_string_pretty(&self.spec).expect("a criticality spec serialises to TOML")
    }
    fn describe(&self) -> String {
        let s = &self.spec.criticality;
        format!(
            "kernel over {} layers of width {} at {} (σ_w, σ_b) points, {} networks each{}",
            s.depth,
            s.width,
            s.points.len(),
            s.draws,
            if s.fluctuations.is_some() { ", with finite-width fluctuations" } else { "" }
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let spec = &self.spec;
        let s = &spec.criticality;
        let (phi, dphi) = (phi_of(s.activation), dphi_of(s.activation));
        let x = input(s.width, s.q_in, spec.seed);
        let l = s.depth;
        let mut arrays = Vec::new();
        let mut points = serde_json::Map::new();
        let done = AtomicU64::new(0);
        ctx.progress.phase("kernels", (s.points.len() * s.draws) as u64);
        for p in &s.points {
            // One checkpointed unit per point: its draws' kernels.
            let per_draw: Vec<Vec<f64>> = ctx.unit(&format!("point_{}", p.name), || {
                Ok((0..s.draws)
                    .into_par_iter()
                    .map(|d| {
                        let seed =
                            draw_seed(spec.seed, &format!("criticality/{}", p.name), d as u64);
                        let k = kernels(s.activation, s.width, l, p.sigma_w, p.sigma_b, &x, seed);
                        ctx.progress.advance(done.fetch_add(1, Ordering::Relaxed) + 1, None);
                        k
                    })
                    .collect())
            })?;
            let mean: Vec<f64> = (0..l)
                .map(|i| per_draw.iter().map(|k| k[i]).sum::<f64>() / s.draws as f64)
                .collect();
            let q1 = p.sigma_w * p.sigma_w * s.q_in + p.sigma_b * p.sigma_b;
            let theory = kernel_over_depth(&phi, p.sigma_w, p.sigma_b, q1, l);
            let rate = |k: &[f64]| (k[l - 1] / k[0]).ln() / (l - 1) as f64;
            let m = PointMetrics {
                sigma_w: p.sigma_w,
                sigma_b: p.sigma_b,
                chi_1: chi_1(&dphi, p.sigma_w, theory[l - 1]),
                theory_rate: rate(&theory),
                measured_rate: rate(&mean),
                measured_last_over_first: mean[l - 1] / mean[0],
                theory_last_over_first: theory[l - 1] / theory[0],
                max_log_error: mean
                    .iter()
                    .zip(&theory)
                    .map(|(m, t)| (m / t).ln().abs())
                    .fold(0.0, f64::max),
            };
            points.insert(p.name.clone(), serde_json::to_value(&m).expect("metrics serialise"));
            arrays.push((format!("{}_kernel", p.name), Array::f64(&[l], mean)));
            arrays.push((format!("{}_theory", p.name), Array::f64(&[l], theory)));
        }

        let (mut slope, mut per_width, mut theory_slope) = (None, Vec::new(), None);
        if let Some(fl) = &s.fluctuations {
            let p = &s.points[0];
            ctx.progress.phase("fluctuations", (fl.widths.len() * fl.draws) as u64);
            let done = AtomicU64::new(0);
            let (mut xs, mut ys) = (Vec::new(), Vec::new());
            let mut table = Vec::new();
            for (wi, &n) in fl.widths.iter().enumerate() {
                let x = input(n, s.q_in, spec.seed);
                let logs: Vec<Vec<f64>> = ctx.unit(&format!("width{wi}"), || {
                    Ok((0..fl.draws)
                        .into_par_iter()
                        .map(|d| {
                            let seed = draw_seed(
                                spec.seed,
                                "criticality/fluctuations",
                                (wi * 1_000_000 + d) as u64,
                            );
                            let k =
                                kernels(s.activation, n, fl.depth, p.sigma_w, p.sigma_b, &x, seed);
                            ctx.progress.advance(done.fetch_add(1, Ordering::Relaxed) + 1, None);
                            k.iter().map(|v| v.ln()).collect()
                        })
                        .collect())
                })?;
                let var: Vec<f64> = (0..fl.depth)
                    .map(|i| {
                        let m = logs.iter().map(|k| k[i]).sum::<f64>() / fl.draws as f64;
                        logs.iter().map(|k| (k[i] - m).powi(2)).sum::<f64>() / (fl.draws - 1) as f64
                    })
                    .collect();
                let (wx, wy): (Vec<f64>, Vec<f64>) =
                    (1..fl.depth).map(|i| (i as f64 / n as f64, var[i] - var[0])).unzip();
                per_width.push(slope_through_origin(&wx, &wy));
                xs.extend(wx);
                ys.extend(wy);
                table.extend(var);
            }
            slope = Some(slope_through_origin(&xs, &ys));
            if s.activation == Activation::Relu && p.sigma_b == 0.0 {
                theory_slope =
                    Some(relu_log_kernel_variance(1, 2) - relu_log_kernel_variance(1, 1));
            }
            arrays.push((
                "fluctuation_var_log_kernel".to_string(),
                Array::f64(&[fl.widths.len(), fl.depth], table),
            ));
            arrays.push((
                "fluctuation_widths".to_string(),
                Array::f64(&[fl.widths.len()], fl.widths.iter().map(|w| *w as f64).collect()),
            ));
        }
        let m = CriticalityMetrics {
            points,
            fluctuation_slope: slope,
            fluctuation_slopes_per_width: per_width,
            theory_fluctuation_slope: theory_slope,
        };
        let summary = format!(
            "{}: kernel over {} layers at {} points{}",
            spec.name,
            l,
            s.points.len(),
            slope.map_or(String::new(), |v| format!("; Var[ln K] grows {v:.2} × depth/width"))
        );
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Ok(Outcome { files: vec![("criticality.npz".to_string(), arrays)], metrics, summary })
    }
}

fn figures(dir: &Path, metrics: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
    let file = dir.join("criticality.npz");
    let names: Vec<String> =
        metrics["points"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    let mut p =
        Plot::new("Pre-activation kernel over depth", "layer l", "K^l (mean over networks)")
            .log_y();
    for (i, name) in names.iter().enumerate() {
        let (_, k) = read_f64(&file, &format!("{name}_kernel"))?;
        let (_, q) = read_f64(&file, &format!("{name}_theory"))?;
        let l: Vec<f64> = (1..=k.len()).map(|v| v as f64).collect();
        let c = COLORS[i % COLORS.len()];
        p.points(&l, &k, c, Marker::Dot, 2.0);
        p.line(&l, &q, c, 1.0);
        let m = &metrics["points"][name];
        p.legend(
            &format!(
                "{name}: σ_w = {:.3}, σ_b = {:.3}",
                m["sigma_w"].as_f64().unwrap_or(f64::NAN),
                m["sigma_b"].as_f64().unwrap_or(f64::NAN)
            ),
            c,
            Some(Marker::Dot),
        );
    }
    let mut figures = vec![Figure {
        file: "kernel.svg".into(),
        svg: p.to_svg(),
        caption: "One input's kernel (1/n)Σ z_i² at every layer, averaged over random networks (dots), and the mean-field variance map's q^l (lines).".into(),
    }];
    if let (Ok((shape, var)), Ok((_, widths))) =
        (read_f64(&file, "fluctuation_var_log_kernel"), read_f64(&file, "fluctuation_widths"))
    {
        let depth = shape[1];
        let mut p = Plot::new(
            "Finite-width fluctuations of the kernel",
            "(l − 1) / n",
            "Var[ln K^l] − Var[ln K^1]",
        );
        let mut top: f64 = 0.0;
        for (wi, n) in widths.iter().enumerate() {
            let row = &var[wi * depth..(wi + 1) * depth];
            let xs: Vec<f64> = (1..depth).map(|i| i as f64 / n).collect();
            let ys: Vec<f64> = (1..depth).map(|i| row[i] - row[0]).collect();
            top = top.max(*xs.last().unwrap_or(&0.0));
            let c = COLORS[wi % COLORS.len()];
            p.points(&xs, &ys, c, Marker::Dot, 2.0);
            p.legend(&format!("n = {n}"), c, Some(Marker::Dot));
        }
        if let Some(t) = metrics["theory_fluctuation_slope"].as_f64() {
            p.dashed(&[0.0, top], &[0.0, t * top], "#333333", 1.0);
            p.legend(&format!("theory: slope {t}"), "#333333", None);
        }
        figures.push(Figure {
            file: "fluctuations.svg".into(),
            svg: p.to_svg(),
            caption: format!(
                "Network-to-network variance of the log kernel against depth/width (fitted slope {:.3}).",
                metrics["fluctuation_slope"].as_f64().unwrap_or(f64::NAN)
            ),
        });
    }
    Ok(figures)
}
