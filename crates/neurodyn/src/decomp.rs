//! The `decomp` run kind (`[method]` specs): data (file or planted), the fit, a rank sweep
//! with random restarts in parallel, arrays and metrics. No filesystem and no clock.
//!
//! `relative_error` is `‖M ⊙ (X − X̂)‖ / ‖M ⊙ X‖`, as TensorLy reports it;
//! `squared_relative_error` is its square (the normalised objective).

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_analysis::decomp::cnmf::{CnmfAlgorithm, CnmfConfig, cnmf, reconstruct};
use neurodyn_analysis::decomp::cp::{CpConfig, cp_als, nncp_hals};
use neurodyn_analysis::decomp::factor_match_score;
use neurodyn_analysis::decomp::nmf::{NmfAlgorithm, NmfConfig, nmf};
use neurodyn_core::rng;
use neurodyn_io::IoError;
use neurodyn_io::npz::Array;
use neurodyn_io::spec::DecompSpec;
use neurodyn_io::spec::SpecError;
use neurodyn_io::spec::decomp::{Data, MethodSpec, PlantedKind, PlantedSpec};
use rand::RngExt;
use rayon::prelude::*;
use serde_json::Value;
use std::path::Path;

/// The `decomp` kind: specs with a `[method]` table.
pub struct DecompKind;

/// A decomposition spec with its data loaded (or planted) and checked.
pub struct PreparedDecomp {
    spec: DecompSpec,
    data: Data,
}

impl Kind for DecompKind {
    fn name(&self) -> &'static str {
        "decomp"
    }
    fn table(&self) -> &'static str {
        "method"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec = neurodyn_io::spec::decomp::parse(text, file, base)?;
        let located = |field: &str, message: String| SpecError {
            file: file.to_string(),
            position: neurodyn_io::spec::locate_field(text, field),
            field: Some(field.to_string()),
            message,
        };
        // Planted data are estimated before they are drawn; a file's data are already on
        // disk at their real size, so the fit is estimated once they are read.
        let data = match &spec.data.planted {
            Some(p) => {
                memory(&spec, &p.shape).check(limits, text, file)?;
                planted(p, spec.seed)
            }
            None => {
                let data = spec.load_data().map_err(|e| located("data.path", e))?;
                memory(&spec, &data.shape).check(limits, text, file)?;
                data
            }
        };
        check_data(&spec, &data).map_err(|e| match &spec.data.path {
            Some(path) => located("data.path", format!("{path}: {e}")),
            None => located("data", e),
        })?;
        Ok(Box::new(PreparedDecomp { spec, data }))
    }
    fn figures(&self, dir: &Path, _spec: &str, _: &Value) -> Result<Vec<Figure>, IoError> {
        Ok(neurodyn_report::decomp::figures(dir)?.into_iter().map(Figure::from).collect())
    }
}

/// The memory a fit needs: the data, mask and reconstruction (a few copies), the planted
/// factors, and per restart the factors and their products, at the largest rank (for
/// convolutive NMF also data-sized buffers per running fit).
pub fn memory(spec: &DecompSpec, shape: &[usize]) -> MemoryEstimate {
    let entries: f64 = shape.iter().map(|&n| n as f64).product();
    let sum: f64 = shape.iter().map(|&n| n as f64).sum();
    let s = spec.method.settings();
    let ranks = spec.selection.as_ref().map_or(vec![], |sel| sel.ranks.clone());
    let rank = ranks.iter().copied().chain([s.rank]).max().unwrap_or(1) as f64;
    let lag = s.lag.unwrap_or(1) as f64;
    let restarts = spec.selection.as_ref().map_or(1, |sel| sel.restarts) as f64;
    let data_field = if spec.data.planted.is_some() { "data.planted.shape" } else { "data.path" };
    let mut m = MemoryEstimate::new();
    m.add(data_field, entries, 8.0 * 4.0);
    if let Some(p) = &spec.data.planted {
        m.add("data.planted.rank", p.rank as f64 * (sum + 2.0) * p.lag as f64, 8.0);
    }
    let field = format!("method.{}.rank", spec.method.kind());
    let concurrent = restarts.min(rayon::current_num_threads() as f64);
    m.add(&field, concurrent * rank * (sum * lag + rank + entries.sqrt()), 8.0 * 4.0);
    if spec.method.kind() == "cnmf" {
        // Each running fit's own data-sized buffers: the reconstruction, and with a mask the
        // residual and the time-major copies of it and of the mask.
        m.add(data_field, concurrent * entries, 8.0 * 4.0);
    }
    m
}

impl Prepared for PreparedDecomp {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        self.spec.to_toml()
    }
    fn describe(&self) -> String {
        format!(
            "{} of data shaped {:?}, rank {}, seed {}",
            self.spec.method.kind(),
            self.data.shape,
            self.spec.method.settings().rank,
            self.spec.seed
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let (spec, data) = (&self.spec, &self.data);
        let progress = ctx.progress;
        progress.phase("fit", 1);
        let t0 = progress.seconds();
        let f = ctx.unit("fit", || fit(spec, data, spec.method.settings().rank, 0))?;
        let fit_seconds = progress.seconds() - t0;
        let summary = match &spec.selection {
            Some(sel) => {
                progress.phase("rank sweep", 1);
                progress.advance(
                    0,
                    Some(format!("{} ranks × {} restarts", sel.ranks.len(), sel.restarts)),
                );
                // One checkpointed unit per rank: its restarts, in parallel.
                let mut fits = Vec::new();
                for (j, &rank) in sel.ranks.iter().enumerate() {
                    fits.extend(ctx.unit(&format!("rank{rank}"), || {
                        restarts(spec, data, rank, sel.restarts)
                    })?);
                    ctx.cases_done(j + 1, sel.ranks.len());
                }
                Some(select(&sel.ranks, &fits))
            }
            None => None,
        };
        let mut files = vec![("factors.npz".to_string(), fit_arrays(&f))];
        if let Some(s) = &summary {
            files.push(("selection.npz".into(), selection_arrays(s)));
        }
        let metrics = serde_json::to_value(metrics(spec, &f, summary.as_deref(), fit_seconds))
            .expect("metrics serialise");
        let line = format!(
            "{}: {} rank {}: relative error {:.4e} after {} sweeps ({:.3} s)",
            spec.name,
            spec.method.kind(),
            f.rank,
            f.relative_error,
            f.loss.len() - 1,
            fit_seconds
        );
        Ok(Outcome { files, metrics, summary: line })
    }
}

/// One fitted model.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fit {
    /// Rank.
    pub rank: usize,
    /// Restart index.
    pub restart: usize,
    /// Objective per sweep.
    pub loss: Vec<f64>,
    /// Whether the tolerance was reached.
    pub converged: bool,
    /// Named factor arrays with shapes.
    pub factors: Vec<(String, Vec<usize>, Vec<f64>)>,
    /// A `rows × rank` matrix (row-major) whose columns identify the components, for the
    /// factor match score between restarts (per-component reconstructions for convolutive
    /// NMF, which are blind to its shift ambiguity; the concatenated factors otherwise).
    pub signature: (usize, Vec<f64>),
    /// `‖M ⊙ (X − X̂)‖ / ‖M ⊙ X‖` (TensorLy's `parafac` reports the same number).
    pub relative_error: f64,
}

/// Planted data with known factors (the seed keys every draw).
pub fn planted(p: &PlantedSpec, seed: u64) -> Data {
    let mut r = rng::stream(seed, "planted_data", 0);
    let noise = |r: &mut neurodyn_core::rng::Stream| -> f64 {
        p.noise * rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, r)
    };
    let values = match p.kind {
        PlantedKind::Nmf => {
            let (m, n, k) = (p.shape[0], p.shape[1], p.rank);
            let mut draw = |len: usize| -> Vec<f64> {
                (0..len)
                    .map(|_| if r.random::<f64>() < 0.5 { 0.0 } else { r.random_range(0.5..2.0) })
                    .collect()
            };
            let (w, h) = (draw(m * k), draw(k * n));
            (0..m * n)
                .map(|q| (0..k).map(|c| w[(q / n) * k + c] * h[c * n + q % n]).sum::<f64>())
                .collect::<Vec<f64>>()
                .into_iter()
                .map(|v| (v + noise(&mut r)).abs())
                .collect()
        }
        PlantedKind::Sequences => {
            let (n, t, k, lag) = (p.shape[0], p.shape[1], p.rank, p.lag);
            let mut w = vec![0.0; n * k * lag];
            for i in 0..n {
                let motif = i % k;
                let at = ((i / k) * (lag / 2).max(1)) / (n / k).max(1);
                w[(i * k + motif) * lag + at.min(lag - 1)] = r.random_range(0.8..1.2);
            }
            let h: Vec<f64> = (0..k * t)
                .map(|_| if r.random::<f64>() < 0.02 { r.random_range(1.0..2.0) } else { 0.0 })
                .collect();
            reconstruct(&w, &h, n, t, k, lag, None)
                .into_iter()
                .map(|v| (v + noise(&mut r)).abs())
                .collect()
        }
        PlantedKind::Cp => {
            let (a, b, c, k) = (p.shape[0], p.shape[1], p.shape[2], p.rank);
            let mut g = |len: usize| -> Vec<f64> {
                (0..len)
                    .map(|_| {
                        rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, &mut r)
                    })
                    .collect()
            };
            let (fa, fb, fc) = (g(a * k), g(b * k), g(c * k));
            let mut vals: Vec<f64> = (0..a * b * c)
                .map(|q| {
                    let (i, j, l) = (q / (b * c), (q / c) % b, q % c);
                    (0..k).map(|s| fa[i * k + s] * fb[j * k + s] * fc[l * k + s]).sum::<f64>()
                })
                .collect();
            let mut nr = rng::stream(seed, "planted_noise", 0);
            vals.iter_mut().for_each(|v| *v += noise(&mut nr));
            vals
        }
    };
    Data { values, shape: p.shape.clone(), mask: None }
}

/// Checks that the data suit the method (axes, sign) before anything runs.
pub fn check_data(spec: &DecompSpec, data: &Data) -> Result<(), String> {
    let kind = spec.method.kind();
    let axes = if kind == "cp" { 3 } else { 2 };
    if data.shape.len() != axes {
        return Err(format!(
            "method {kind} needs {axes}-axis data; the data have shape {:?}",
            data.shape
        ));
    }
    let nonneg = match &spec.method {
        MethodSpec::Cp(s) => s.nonnegative.unwrap_or(false),
        _ => true,
    };
    if nonneg {
        let observed = |q: usize| data.mask.as_ref().is_none_or(|m| m[q]);
        if let Some(q) = (0..data.values.len()).find(|&q| observed(q) && data.values[q] < 0.0) {
            return Err(format!(
                "entry {q} (flat index) is {}: {kind} needs non-negative data",
                data.values[q]
            ));
        }
    }
    let max_rank = match kind {
        "cp" => usize::MAX,
        _ => data.shape[0].min(data.shape[1]),
    };
    let ranks: Vec<usize> = std::iter::once(spec.method.settings().rank)
        .chain(spec.selection.iter().flat_map(|s| s.ranks.iter().copied()))
        .collect();
    if let Some(r) = ranks.iter().find(|&&r| r > max_rank) {
        return Err(format!(
            "rank {r} is larger than the data allow (min(rows, columns) = {max_rank})"
        ));
    }
    Ok(())
}

/// Fits the method at `rank` from the initialisation of restart `restart`.
pub fn fit(spec: &DecompSpec, data: &Data, rank: usize, restart: usize) -> Result<Fit, String> {
    let s = spec.method.settings();
    let seed = rng::key(spec.seed, "restart", restart as u64) as u64;
    let mask = data.mask.as_deref();
    let x = &data.values;
    let hals = s.algorithm.as_deref() == Some("hals");
    let observed_energy: f64 =
        x.iter().enumerate().filter(|(q, _)| mask.is_none_or(|m| m[*q])).map(|(_, v)| v * v).sum();
    let (loss, converged, factors, signature) = match &spec.method {
        MethodSpec::Nmf(_) => {
            let (m, n) = (data.shape[0], data.shape[1]);
            let algorithm = if hals { NmfAlgorithm::Hals } else { NmfAlgorithm::Mu };
            let c = NmfConfig { rank, algorithm, max_iters: s.max_iters, tol: s.tol, seed };
            let f = nmf(x, m, n, mask, &c).map_err(|e| e.to_string())?;
            let sig = (m, f.w.clone());
            (
                f.loss,
                f.converged,
                vec![("w".into(), vec![m, rank], f.w), ("h".into(), vec![rank, n], f.h)],
                sig,
            )
        }
        MethodSpec::Cnmf(_) => {
            let (n, t, lag) = (data.shape[0], data.shape[1], s.lag.unwrap_or(1));
            let algorithm = match s.algorithm.as_deref() {
                Some("hals") => CnmfAlgorithm::Hals,
                Some("anls") => CnmfAlgorithm::Anls,
                _ => CnmfAlgorithm::Mu,
            };
            let c = CnmfConfig {
                rank,
                lag,
                algorithm,
                lambda: s.lambda.unwrap_or(0.0),
                max_iters: s.max_iters,
                tol: s.tol,
                seed,
            };
            let f = cnmf(x, n, t, mask, &c).map_err(|e| e.to_string())?;
            let parts: Vec<Vec<f64>> =
                (0..rank).map(|r| reconstruct(&f.w, &f.h, n, t, rank, lag, Some(r))).collect();
            let sig: Vec<f64> = (0..n * t).flat_map(|q| parts.iter().map(move |p| p[q])).collect();
            (
                f.loss,
                f.converged,
                vec![("w".into(), vec![n, rank, lag], f.w), ("h".into(), vec![rank, t], f.h)],
                (n * t, sig),
            )
        }
        MethodSpec::Cp(_) => {
            let shape = [data.shape[0], data.shape[1], data.shape[2]];
            let c = CpConfig { rank, max_iters: s.max_iters, tol: s.tol, seed };
            let f = if s.nonnegative.unwrap_or(false) {
                nncp_hals(x, shape, mask, &c)
            } else {
                cp_als(x, shape, mask, &c)
            }
            .map_err(|e| e.to_string())?;
            let rows = shape.iter().sum::<usize>();
            let sig: Vec<f64> = f.factors.iter().flat_map(|m| m.iter().copied()).collect();
            let [a, b, cc] = f.factors.clone();
            let named = vec![
                ("weights".into(), vec![rank], f.weights.clone()),
                ("a".into(), vec![shape[0], rank], a),
                ("b".into(), vec![shape[1], rank], b),
                ("c".into(), vec![shape[2], rank], cc),
            ];
            (f.loss, f.converged, named, (rows, sig))
        }
    };
    let relative_error = relative_error(loss.last().copied().unwrap_or(f64::NAN), observed_energy);
    Ok(Fit { rank, restart, loss, converged, factors, signature, relative_error })
}

/// `‖M ⊙ (X − X̂)‖ / ‖M ⊙ X‖` from the objective `½‖M ⊙ (X − X̂)‖²` and the observed energy
/// `‖M ⊙ X‖²`.
pub fn relative_error(half_squared_residual: f64, observed_energy: f64) -> f64 {
    (2.0 * half_squared_residual / observed_energy.max(f64::MIN_POSITIVE)).sqrt()
}

/// One rank of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct RankSummary {
    /// Rank.
    pub rank: usize,
    /// Relative error of every restart.
    pub errors: Vec<f64>,
    /// Index of the best restart.
    pub best: usize,
    /// Mean factor match score of the other restarts against the best one (1 if only one).
    pub similarity: f64,
}

/// Fits `rank` `restarts` times in parallel (rayon); results do not depend on the thread
/// count (each restart has its own keyed seed).
pub fn restarts(
    spec: &DecompSpec,
    data: &Data,
    rank: usize,
    restarts: usize,
) -> Result<Vec<Fit>, String> {
    (0..restarts).into_par_iter().map(|i| fit(spec, data, rank, i)).collect()
}

/// Each rank's restarts among `fits`: their errors, the best, and how alike the others are.
pub fn select(ranks: &[usize], fits: &[Fit]) -> Vec<RankSummary> {
    ranks
        .iter()
        .map(|&rank| {
            let group: Vec<&Fit> = fits.iter().filter(|f| f.rank == rank).collect();
            let errors: Vec<f64> = group.iter().map(|f| f.relative_error).collect();
            let best =
                (0..group.len()).min_by(|&a, &b| errors[a].total_cmp(&errors[b])).unwrap_or(0);
            let (rows, reference) = &group[best].signature;
            let others: Vec<f64> = group
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != best)
                .map(|(_, f)| factor_match_score(&f.signature.1, reference, *rows, rank))
                .collect();
            let similarity = if others.is_empty() {
                1.0
            } else {
                others.iter().sum::<f64>() / others.len() as f64
            };
            RankSummary { rank, errors, best, similarity }
        })
        .collect()
}

/// `factors.npz`: the fit's arrays plus its loss curve.
pub fn fit_arrays(f: &Fit) -> Vec<(String, Array)> {
    let mut out: Vec<(String, Array)> = f
        .factors
        .iter()
        .map(|(name, shape, data)| (name.clone(), Array::f64(shape, data.clone())))
        .collect();
    out.push(("loss".into(), Array::f64(&[f.loss.len()], f.loss.clone())));
    out
}

/// `selection.npz`: ranks, per-restart errors (ranks × restarts) and similarities.
pub fn selection_arrays(summary: &[RankSummary]) -> Vec<(String, Array)> {
    let restarts = summary.first().map_or(0, |s| s.errors.len());
    vec![
        (
            "ranks".into(),
            Array::f64(&[summary.len()], summary.iter().map(|s| s.rank as f64).collect()),
        ),
        (
            "errors".into(),
            Array::f64(
                &[summary.len(), restarts],
                summary.iter().flat_map(|s| s.errors.clone()).collect(),
            ),
        ),
        (
            "similarity".into(),
            Array::f64(&[summary.len()], summary.iter().map(|s| s.similarity).collect()),
        ),
    ]
}

/// `metrics.json` of a decomposition run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DecompMetrics {
    /// The run's name.
    pub name: String,
    /// Its seed.
    pub seed: u64,
    /// `nmf`, `cnmf` or `cp`.
    pub method: String,
    /// Rank of the fit [1].
    pub rank: usize,
    /// Sweeps run [1].
    pub iterations: usize,
    /// Whether the tolerance was reached.
    pub converged: bool,
    /// The last objective `½‖M ⊙ (X − X̂)‖²` (+ penalty).
    pub final_loss: Option<f64>,
    /// `‖M ⊙ (X − X̂)‖ / ‖M ⊙ X‖`, as TensorLy reports it [1].
    pub relative_error: f64,
    /// Its square [1].
    pub squared_relative_error: f64,
    /// Fit wall time [s].
    pub fit_seconds: f64,
    /// The rank sweep, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selection: Option<Vec<RankRow>>,
}

/// One rank of a sweep in the metrics.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RankRow {
    /// Rank [1].
    pub rank: usize,
    /// Relative error of the best restart [1].
    pub best_relative_error: f64,
    /// Mean factor match score of the restarts against the best [1].
    pub similarity_across_restarts: f64,
}

/// The metrics of a fit (and its rank sweep).
pub fn metrics(
    spec: &DecompSpec,
    f: &Fit,
    summary: Option<&[RankSummary]>,
    fit_seconds: f64,
) -> DecompMetrics {
    DecompMetrics {
        name: spec.name.clone(),
        seed: spec.seed,
        method: spec.method.kind().to_string(),
        rank: f.rank,
        iterations: f.loss.len() - 1,
        converged: f.converged,
        final_loss: f.loss.last().copied(),
        relative_error: f.relative_error,
        squared_relative_error: f.relative_error * f.relative_error,
        fit_seconds,
        selection: summary.map(|s| {
            s.iter()
                .map(|r| RankRow {
                    rank: r.rank,
                    best_relative_error: r.errors[r.best],
                    similarity_across_restarts: r.similarity,
                })
                .collect()
        }),
    }
}
