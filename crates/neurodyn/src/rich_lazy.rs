//! The `rich_lazy` run kind (`[rich_lazy]` specs): how the structure of a recurrent network's
//! initial connectivity sets how much learning changes it (Liu et al. 2023,
//! arXiv:2310.08513). One RNN spec (task, vanilla leaky-tanh model, training) is trained from
//! several starts whose recurrent weights `W_h` all have the Frobenius norm of the spec's own
//! Gaussian start: that full-rank start, random rank-r starts (`W_h = Σ_k u_k v_kᵀ`, Gaussian
//! factors), and rank-r starts aligned with the task — the top `r` singular directions of the
//! weight change an earlier start's training made.
//!
//! Per start: the relative change of the recurrent weights `‖W_h(T) − W_h(0)‖ / ‖W_h(0)‖`
//! (and of all parameters), the change of the neural tangent kernel `1 − ⟨K₀, K_T⟩ /
//! (‖K₀‖ ‖K_T‖)` — `K = J Jᵀ`, `J` the Jacobian of the outputs at `probe_times` steps of
//! `probe_trials` held-out trials with respect to every parameter, each row one analytic
//! backward pass — and the kernel–target alignment `yᵀ K y / (‖K‖ ‖y‖²)` before and after;
//! and each measure over the first start's, all as means over `repeats` independent networks. Rich learning changes weights and kernel much;
//! lazy learning little.
//!
//! ```toml
//! name = "rank"
//! [rich_lazy]
//! starts = [{ name = "full" }, { name = "rank1", rank = 1 }, { name = "aligned", rank = 1, aligned_with = "full" }]
//! [rich_lazy.network]
//! task.pulse_integration = { n_steps = 50 }
//! model = { cell = "vanilla", n_hidden = 64 }
//! train = { max_steps = 500 }
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use crate::rnn::cosine;
use neurodyn_core::{RangeError, check, rng};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::rnn::RnnSpec;
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, check_keys, range_error, schema_version, serde_error,
};
use neurodyn_models::rnn::{CellKind, Rnn, Tape};
use neurodyn_report::COLORS;
use neurodyn_report::svg::{Marker, Plot};
use neurodyn_train::{Checkpoint, Event};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;
use std::path::Path;

/// A rich-versus-lazy experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RichLazySpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of the network, its training batches and the probe trials.
    #[serde(default)]
    pub seed: u64,
    /// The network, its starts and the probe.
    pub rich_lazy: Settings,
}

/// The network, its starts and the probe.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// An RNN spec's tables (`task`, `model`, `train`, …; no name or seed: the run's are used).
    pub network: toml::Table,
    /// The starts, trained in order.
    pub starts: Vec<StartSpec>,
    /// Held-out trials of the kernel's probe [1].
    #[serde(default = "eight")]
    pub probe_trials: usize,
    /// Time steps per probe trial, evenly spaced ending at the last [1].
    #[serde(default = "five")]
    pub probe_times: usize,
    /// Independent networks (and training batches) per start; measures are their means [1].
    #[serde(default = "eight")]
    pub repeats: usize,
}

fn eight() -> usize {
    8
}
fn five() -> usize {
    5
}

/// One start of the recurrent weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartSpec {
    /// Its name in metrics and figures.
    pub name: String,
    /// Rank of `W_h` (absent: the spec's full-rank Gaussian start).
    pub rank: Option<usize>,
    /// An earlier start whose learned change gives this one's directions (needs `rank`).
    pub aligned_with: Option<String>,
}

impl RichLazySpec {
    /// The RNN spec every start trains.
    pub fn network(&self) -> Result<RnnSpec, SpecError> {
        let mut table = self.rich_lazy.network.clone();
        table.insert("name".into(), toml::Value::String(format!("{}_network", self.name)));
        table.insert("seed".into(), toml::Value::Integer(self.seed as i64));
        let text = toml::to_string(&table).expect("a table serialises");
        neurodyn_io::spec::rnn::parse(&text, &format!("{} (rich_lazy.network)", self.name))
    }

    fn validate(&self, net: &RnnSpec) -> Result<(), RangeError> {
        let s = &self.rich_lazy;
        check(!s.starts.is_empty(), "rich_lazy.starts", s.starts.len(), "at least one start")?;
        check_keys("rich_lazy.starts", s.starts.iter().map(|t| t.name.as_str()))?;
        let c = net.rnn_config();
        check(
            c.cell == CellKind::Vanilla && c.dale.is_none() && c.connection_prob == 1.0,
            "rich_lazy.network.model",
            format!("{:?}", c.cell),
            "a dense vanilla cell without Dale's law (low-rank starts are of one W_h)",
        )?;
        check(s.probe_trials >= 1, "rich_lazy.probe_trials", s.probe_trials, "at least 1")?;
        check(s.repeats >= 1, "rich_lazy.repeats", s.repeats, "at least 1")?;
        let t = net.task.task().n_steps();
        check(
            (1..=t).contains(&s.probe_times),
            "rich_lazy.probe_times",
            s.probe_times,
            &format!("between 1 and the task's {t} steps"),
        )?;
        for (i, start) in s.starts.iter().enumerate() {
            let f = format!("rich_lazy.starts[{i}]");
            if let Some(r) = start.rank {
                check(
                    (1..=c.n_hidden).contains(&r),
                    &format!("{f}.rank"),
                    r,
                    &format!("between 1 and n_hidden = {}", c.n_hidden),
                )?;
            }
            if let Some(other) = &start.aligned_with {
                check(
                    s.starts[..i].iter().any(|e| &e.name == other),
                    &format!("{f}.aligned_with"),
                    other,
                    "the name of an earlier start",
                )?;
                check(start.rank.is_some(), &format!("{f}.rank"), "absent", "a rank")?;
            }
        }
        Ok(())
    }
}

/// One start's measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartMetrics {
    /// Rank of the start (`n_hidden` for the full one) [1].
    pub rank: usize,
    /// Participation ratio of `W_h(0)`'s squared singular values [1].
    pub effective_rank: f64,
    /// `‖W_h(0)‖_F` [1].
    pub initial_norm: f64,
    /// Final training loss [1].
    pub final_loss: f64,
    /// `‖W_h(T) − W_h(0)‖_F / ‖W_h(0)‖_F` [1].
    pub weight_change: f64,
    /// Its standard error over repeats [1].
    pub weight_change_std_error: f64,
    /// `‖θ(T) − θ(0)‖ / ‖θ(0)‖` over every parameter [1].
    pub parameter_change: f64,
    /// `1 − ⟨K₀, K_T⟩ / (‖K₀‖ ‖K_T‖)` [1].
    pub kernel_change: f64,
    /// Its standard error over repeats [1].
    pub kernel_change_std_error: f64,
    /// Kernel–target alignment of `K₀` [1].
    pub kernel_target_alignment_initial: f64,
    /// Kernel–target alignment of `K_T` [1].
    pub kernel_target_alignment_final: f64,
    /// `weight_change` over the first start's [1].
    pub weight_change_over_first: f64,
    /// `kernel_change` over the first start's [1].
    pub kernel_change_over_first: f64,
}

/// `metrics.json` of a rich-versus-lazy run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RichLazyMetrics {
    /// Per start, by name.
    pub starts: serde_json::Map<String, serde_json::Value>,
    /// Networks per start (each measure is their mean) [1].
    pub repeats: usize,
    /// Rows of the kernel (probe outputs) [1].
    pub probe_outputs: usize,
}

/// The `rich_lazy` kind.
pub struct RichLazyKind;

struct PreparedRichLazy {
    spec: RichLazySpec,
    network: RnnSpec,
}

impl Kind for RichLazyKind {
    fn name(&self) -> &'static str {
        "rich_lazy"
    }
    fn table(&self) -> &'static str {
        "rich_lazy"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: RichLazySpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        let network = spec.network()?;
        spec.validate(&network).map_err(|e| range_error(text, file, e))?;
        let c = network.rnn_config();
        let task = network.task.task();
        let s = &spec.rich_lazy;
        let p = (s.probe_trials * s.probe_times * task.n_output()) as f64;
        let n_params = c.build::<f32>(0).map(|r| r.params().len()).unwrap_or(0) as f64;
        let mut m = MemoryEstimate::new();
        m.add("rich_lazy.probe_trials", 2.0 * p * n_params + p * p, 8.0);
        m.add("rich_lazy.repeats", (s.repeats * s.starts.len()) as f64 * 3.0 * n_params, 4.0);
        m.add(
            "rich_lazy.network.train",
            (network.train.batch_size * task.n_steps() * c.n_hidden) as f64 * 8.0,
            4.0,
        );
        m.check(limits, text, file)?;
        Ok(Box::new(PreparedRichLazy { spec, network }))
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

/// What training one start left: its initial and final parameters and history.
#[derive(Serialize, Deserialize)]
struct Trained {
    initial: Vec<f32>,
    trained: Checkpoint,
}

impl Prepared for PreparedRichLazy {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        let mut spec = self.spec.clone();
        spec.schema_version = SCHEMA_VERSION;
        toml::to_string_pretty(&spec).expect("a spec serialises")
    }
    fn describe(&self) -> String {
        let c = self.network.rnn_config();
        format!(
            "rich vs lazy: {} starts × {} networks of a {}-unit vanilla RNN on {}, seed {}",
            self.spec.rich_lazy.starts.len(),
            self.spec.rich_lazy.repeats,
            c.n_hidden,
            self.network.task.kind(),
            self.spec.seed
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let s = &self.spec.rich_lazy;
        let n = self.network.rnn_config().n_hidden;
        let mut arrays = Vec::new();
        // measures[start][repeat]
        let mut measures: Vec<Vec<Measured>> = vec![Vec::new(); s.starts.len()];
        for k in 0..s.repeats {
            let mut net = self.network.clone();
            net.seed = rng::key(self.spec.seed, "rich_lazy/repeat", k as u64) as u64;
            let rows = self.repeat(&net, k, ctx)?;
            for (i, (m, loss, sv0, sv_change)) in rows.into_iter().enumerate() {
                if k == 0 {
                    let name = &s.starts[i].name;
                    arrays.push((format!("{name}_loss"), Array::f64(&[loss.len()], loss)));
                    arrays.push((format!("{name}_singular_values_initial"), Array::f64(&[n], sv0)));
                    arrays.push((
                        format!("{name}_singular_values_change"),
                        Array::f64(&[n], sv_change),
                    ));
                }
                measures[i].push(m);
            }
            ctx.cases_done(k + 1, s.repeats);
        }
        let mean =
            |v: &[Measured], f: fn(&Measured) -> f64| v.iter().map(f).sum::<f64>() / v.len() as f64;
        let se = |v: &[Measured], f: fn(&Measured) -> f64| {
            let m = mean(v, f);
            let r = v.len() as f64;
            (v.iter().map(|x| (f(x) - m).powi(2)).sum::<f64>() / (r - 1.0).max(1.0) / r).sqrt()
        };
        let first_w = mean(&measures[0], |m| m.weight_change);
        let first_k = mean(&measures[0], |m| m.kernel_change);
        let mut starts = serde_json::Map::new();
        let mut lines = Vec::new();
        for (start, v) in s.starts.iter().zip(&measures) {
            let m = StartMetrics {
                rank: start.rank.unwrap_or(n),
                effective_rank: mean(v, |m| m.effective_rank),
                initial_norm: mean(v, |m| m.initial_norm),
                final_loss: mean(v, |m| m.final_loss),
                weight_change: mean(v, |m| m.weight_change),
                weight_change_std_error: se(v, |m| m.weight_change),
                parameter_change: mean(v, |m| m.parameter_change),
                kernel_change: mean(v, |m| m.kernel_change),
                kernel_change_std_error: se(v, |m| m.kernel_change),
                kernel_target_alignment_initial: mean(v, |m| m.alignment_initial),
                kernel_target_alignment_final: mean(v, |m| m.alignment_final),
                weight_change_over_first: mean(v, |m| m.weight_change) / first_w,
                kernel_change_over_first: mean(v, |m| m.kernel_change) / first_k,
            };
            lines.push(format!(
                "{} ΔW {:.3} ΔK {:.3}",
                start.name, m.weight_change, m.kernel_change
            ));
            starts.insert(start.name.clone(), serde_json::to_value(&m).expect("metrics serialise"));
        }
        let outputs = self.network.task.task().n_output();
        let metrics = RichLazyMetrics {
            starts,
            repeats: s.repeats,
            probe_outputs: s.probe_trials * s.probe_times * outputs,
        };
        Ok(Outcome {
            files: vec![("rich_lazy.npz".to_string(), arrays)],
            metrics: serde_json::to_value(&metrics).expect("metrics serialise"),
            summary: format!("{}: {}", self.spec.name, lines.join(", ")),
        })
    }
}

/// One start's measures in one repeat.
#[derive(Clone, Debug)]
struct Measured {
    effective_rank: f64,
    initial_norm: f64,
    final_loss: f64,
    weight_change: f64,
    parameter_change: f64,
    kernel_change: f64,
    alignment_initial: f64,
    alignment_final: f64,
}

/// Per start: its measures, loss curve, and the singular values of `W_h(0)` and of the change.
type Row = (Measured, Vec<f64>, Vec<f64>, Vec<f64>);

impl PreparedRichLazy {
    /// Every start of repeat `k` (network and batches seeded by `net.seed`).
    fn repeat(&self, net: &RnnSpec, k: usize, ctx: &Context<'_>) -> Result<Vec<Row>, String> {
        let s = &self.spec.rich_lazy;
        let built = net.rnn_config().build::<f32>(net.seed).map_err(|e| e.to_string())?;
        let w_h = built.layout().w_h.clone();
        let n = net.rnn_config().n_hidden;
        let gaussian = vec_f64(&built.params()[w_h.clone()]);
        let norm = frobenius(&gaussian);
        let probe = probe(net, s);
        let mut done: Vec<(String, Trained)> = Vec::new();
        let mut rows = Vec::new();
        for start in &s.starts {
            let trained = ctx.unit(&format!("repeat{k}_{}", start.name), || {
                let w0 = match (&start.rank, &start.aligned_with) {
                    (None, _) => gaussian.clone(),
                    (Some(r), None) => random_low_rank(n, *r, net.seed, &start.name),
                    (Some(r), Some(other)) => {
                        let t = &done.iter().find(|d| &d.0 == other).expect("validated").1;
                        let change: Vec<f64> = t.trained.params[w_h.clone()]
                            .iter()
                            .zip(&t.initial[w_h.clone()])
                            .map(|(a, b)| f64::from(*a) - f64::from(*b))
                            .collect();
                        top_directions(&change, n, *r)?
                    }
                };
                let mut trainer = crate::rnn::trainer(net);
                let scale = norm / frobenius(&w0).max(f64::MIN_POSITIVE);
                for (p, w) in trainer.rnn.params_mut()[w_h.clone()].iter_mut().zip(&w0) {
                    *p = (w * scale) as f32;
                }
                let initial = trainer.rnn.params().to_vec();
                ctx.progress.phase(
                    &format!("repeat {k}: train {}", start.name),
                    net.train.max_steps as u64,
                );
                crate::rnn::train(net, &mut trainer, &mut |e| match e {
                    Event::Step { step, .. } => {
                        ctx.progress.advance(step as u64, None);
                        if ctx.progress.interrupted() {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    }
                    Event::Checkpoint(_) => ControlFlow::Continue(()),
                });
                if ctx.progress.interrupted() {
                    return Err(format!("interrupted while training start `{}`", start.name));
                }
                Ok(Trained { initial, trained: trainer.checkpoint() })
            })?;
            let at = |params: &[f32]| {
                let mut rnn = built.cast::<f64>();
                rnn.params_mut().iter_mut().zip(params).for_each(|(p, q)| *p = f64::from(*q));
                rnn
            };
            let k0 = ntk(&at(&trained.initial), &probe);
            let kt = ntk(&at(&trained.trained.params), &probe);
            let w_start = vec_f64(&trained.initial[w_h.clone()]);
            let w_end = vec_f64(&trained.trained.params[w_h.clone()]);
            let all0 = vec_f64(&trained.initial);
            let all_t = vec_f64(&trained.trained.params);
            let loss = trained.trained.history.loss.clone();
            let sv0 = singular_values(&w_start, n);
            let change = difference(&w_end, &w_start);
            let m = Measured {
                effective_rank: participation(&sv0),
                initial_norm: frobenius(&w_start),
                final_loss: loss.last().copied().unwrap_or(f64::NAN),
                weight_change: frobenius(&change) / frobenius(&w_start),
                parameter_change: frobenius(&difference(&all_t, &all0)) / frobenius(&all0),
                kernel_change: 1.0 - cosine(&k0, &kt),
                alignment_initial: target_alignment(&k0, &probe.targets),
                alignment_final: target_alignment(&kt, &probe.targets),
            };
            rows.push((m, loss, sv0, singular_values(&change, n)));
            done.push((start.name.clone(), trained));
        }
        Ok(rows)
    }
}

/// The kernel's probe: held-out trials, the output entries `(trial, step, channel)` it looks
/// at, and their targets.
struct Probe {
    inputs: Vec<Vec<f64>>,
    n_steps: usize,
    entries: Vec<(usize, usize, usize)>,
    targets: Vec<f64>,
}

fn probe(net: &RnnSpec, s: &Settings) -> Probe {
    let task = net.task.task();
    let mut r = rng::stream(net.seed, "rich_lazy/probe", 0);
    let batch = task.generate(s.probe_trials, &mut r);
    let (t, b, i, o) = (batch.n_steps, batch.batch, batch.n_input, batch.n_output);
    let inputs = (0..b)
        .map(|trial| {
            (0..t)
                .flat_map(|step| {
                    batch.inputs[(step * b + trial) * i..(step * b + trial + 1) * i].iter().copied()
                })
                .collect()
        })
        .collect();
    let times: Vec<usize> =
        (0..s.probe_times).map(|k| t - 1 - k * (t / s.probe_times).max(1)).collect();
    let mut entries = Vec::new();
    let mut targets = Vec::new();
    for trial in 0..b {
        for &step in &times {
            for ch in 0..o {
                entries.push((trial, step, ch));
                targets.push(batch.targets[(step * b + trial) * o + ch]);
            }
        }
    }
    Probe { inputs, n_steps: t, entries, targets }
}

/// `K = J Jᵀ` over the probe's entries, `J` the outputs' gradients with respect to every
/// parameter, one backward pass per entry (row-major, entries × entries).
fn ntk(rnn: &Rnn<f64>, probe: &Probe) -> Vec<f64> {
    let o = rnn.config().n_output;
    let t = probe.n_steps;
    let mut tape = Tape::default();
    let mut outputs = vec![0.0; t * o];
    let mut rows: Vec<Vec<f64>> = Vec::with_capacity(probe.entries.len());
    let mut last_trial = usize::MAX;
    for &(trial, step, ch) in &probe.entries {
        if trial != last_trial {
            rnn.forward(&probe.inputs[trial], t, 1, None, &mut tape, &mut outputs);
            last_trial = trial;
        }
        let mut seed = vec![0.0; t * o];
        seed[step * o + ch] = 1.0;
        let mut grad = vec![0.0; rnn.params().len()];
        rnn.backward(&probe.inputs[trial], &mut tape, &seed, None, &mut grad);
        rows.push(grad);
    }
    let p = rows.len();
    let mut k = vec![0.0; p * p];
    for a in 0..p {
        for b in a..p {
            let v: f64 = rows[a].iter().zip(&rows[b]).map(|(x, y)| x * y).sum();
            k[a * p + b] = v;
            k[b * p + a] = v;
        }
    }
    k
}

fn vec_f64(v: &[f32]) -> Vec<f64> {
    v.iter().map(|x| f64::from(*x)).collect()
}

fn frobenius(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn difference(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

/// `yᵀ K y / (‖K‖_F ‖y‖²)`.
fn target_alignment(k: &[f64], y: &[f64]) -> f64 {
    let p = y.len();
    let yky: f64 = (0..p).map(|a| y[a] * (0..p).map(|b| k[a * p + b] * y[b]).sum::<f64>()).sum();
    yky / (frobenius(k) * y.iter().map(|v| v * v).sum::<f64>())
}

/// `W = Σ_k u_k v_kᵀ` with Gaussian factors from the stream `(seed, "rich_lazy/<name>")`.
fn random_low_rank(n: usize, rank: usize, seed: u64, name: &str) -> Vec<f64> {
    let mut r = rng::stream(seed, &format!("rich_lazy/{name}"), 0);
    let mut normal = || -> f64 { StandardNormal.sample(&mut r) };
    let u: Vec<f64> = (0..n * rank).map(|_| normal()).collect();
    let v: Vec<f64> = (0..n * rank).map(|_| normal()).collect();
    let mut w = vec![0.0; n * n];
    for k in 0..rank {
        for i in 0..n {
            for j in 0..n {
                w[i * n + j] += u[k * n + i] * v[k * n + j];
            }
        }
    }
    w
}

/// The best rank-`rank` approximation of the `n × n` matrix `m` (its top singular triplets).
fn top_directions(m: &[f64], n: usize, rank: usize) -> Result<Vec<f64>, String> {
    let a = faer::Mat::from_fn(n, n, |i, j| m[i * n + j]);
    let svd = a.svd().map_err(|_| "the SVD of an earlier start's weight change failed")?;
    let (u, s, v) = (svd.U(), svd.S().column_vector(), svd.V());
    let mut w = vec![0.0; n * n];
    for k in 0..rank {
        for i in 0..n {
            for j in 0..n {
                w[i * n + j] += s[k] * u[(i, k)] * v[(j, k)];
            }
        }
    }
    Ok(w)
}

fn singular_values(m: &[f64], n: usize) -> Vec<f64> {
    faer::Mat::from_fn(n, n, |i, j| m[i * n + j])
        .singular_values()
        .unwrap_or_else(|_| vec![f64::NAN; n])
}

/// The participation ratio of the squared singular values `s`: `(Σ s²)² / Σ s⁴`.
fn participation(s: &[f64]) -> f64 {
    let squared: Vec<f64> = s.iter().map(|v| v * v).collect();
    neurodyn_analysis::dimensionality::participation_ratio(&squared)
}

fn figures(dir: &Path, metrics: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
    let file = dir.join("rich_lazy.npz");
    let names: Vec<String> =
        metrics["starts"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    let mut loss = Plot::new("Training loss from each start", "step", "loss").log_y();
    let mut change = Plot::new(
        "How much learning changed each start",
        "relative change of W_h",
        "change of the tangent kernel (1 − alignment)",
    );
    for (i, name) in names.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        let (_, l) = read_f64(&file, &format!("{name}_loss"))?;
        let steps: Vec<f64> = (1..=l.len()).map(|v| v as f64).collect();
        loss.line(&steps, &l, c, 1.5);
        loss.legend(name, c, None);
        let m = &metrics["starts"][name];
        let w = m["weight_change"].as_f64().unwrap_or(f64::NAN);
        let k = m["kernel_change"].as_f64().unwrap_or(f64::NAN);
        change.points(&[w], &[k], c, Marker::Dot, 5.0);
        change.legend(&format!("{name} (rank {})", m["rank"]), c, Some(Marker::Dot));
    }
    Ok(vec![
        Figure {
            file: "loss.svg".into(),
            svg: loss.to_svg(),
            caption: "Training loss of the same network from each start of W_h (equal Frobenius norm).".into(),
        },
        Figure {
            file: "change.svg".into(),
            svg: change.to_svg(),
            caption: "Rich learning moves right and up: relative change of the recurrent weights against the change of the neural tangent kernel on held-out probe trials.".into(),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_models::rnn::RnnConfig;

    #[test]
    fn the_tangent_kernel_is_the_gram_matrix_of_finite_difference_jacobians() {
        let rnn = RnnConfig::leaky_tanh(2, 4, 2, 0.3).build::<f64>(3).unwrap();
        let t = 6;
        let input: Vec<f64> = (0..t * 2).map(|i| ((i * 7 % 5) as f64 - 2.0) * 0.4).collect();
        let probe = Probe {
            inputs: vec![input.clone()],
            n_steps: t,
            entries: vec![(0, 5, 0), (0, 5, 1), (0, 2, 1)],
            targets: vec![1.0, -1.0, 0.5],
        };
        let k = ntk(&rnn, &probe);
        // Central differences of each probed output over every parameter, in f64.
        let output = |r: &Rnn<f64>, step: usize, ch: usize| {
            let mut out = vec![0.0; t * 2];
            r.forward(&input, t, 1, None, &mut Tape::default(), &mut out);
            out[step * 2 + ch]
        };
        let h = 1e-6;
        let rows: Vec<Vec<f64>> = probe
            .entries
            .iter()
            .map(|&(_, step, ch)| {
                (0..rnn.params().len())
                    .map(|p| {
                        let (mut up, mut down) = (rnn.clone(), rnn.clone());
                        up.params_mut()[p] += h;
                        down.params_mut()[p] -= h;
                        (output(&up, step, ch) - output(&down, step, ch)) / (2.0 * h)
                    })
                    .collect()
            })
            .collect();
        for a in 0..3 {
            for b in 0..3 {
                let fd: f64 = rows[a].iter().zip(&rows[b]).map(|(x, y)| x * y).sum();
                assert!((k[a * 3 + b] - fd).abs() <= 1e-7 * fd.abs().max(1.0), "{a},{b}");
            }
        }
        assert!(target_alignment(&k, &probe.targets).abs() <= 1.0);
        assert!((cosine(&k, &k) - 1.0).abs() < 1e-12);
    }

    #[test]
    fn low_rank_starts_have_their_rank_and_aligned_ones_the_top_directions() {
        let w = random_low_rank(10, 2, 1, "x");
        let s = singular_values(&w, 10);
        assert!(s[1] > 1e-6 * s[0] && s[2] < 1e-10 * s[0], "{s:?}");
        let top = top_directions(&w, 10, 1).unwrap();
        let st = singular_values(&top, 10);
        assert!((st[0] - s[0]).abs() < 1e-10 * s[0] && st[1] < 1e-10 * s[0]);
        assert!((participation(&[1.0, 1.0, 0.0]) - 2.0).abs() < 1e-12);
    }
}
