//! The `rnn` run kind (`[task]` specs): train a rate RNN on a task, evaluate it on held-out
//! trials, find its fixed (or slow) points — with line-attractor diagnostics when they are
//! left unpolished — and turn the results into named arrays and metrics.
//! Nothing here touches the filesystem itself: checkpoints go through `neurodyn-io` into the
//! run directory the caller made.

use crate::dimensionality::{Dimensionality, measure};
use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_analysis::dimensionality::Pca;
use neurodyn_analysis::fixed_points::{
    FixedPointError, FixedPointResult, Stability, find_fixed_points, sample_initial_states,
};
use neurodyn_io::IoError;
use neurodyn_io::npz::Array;
use neurodyn_io::spec::SpecError;
use neurodyn_io::spec::rnn::RnnSpec as Spec;
use neurodyn_models::rnn::Rnn;
use neurodyn_train::{Evaluation, Event, StopReason, Trainer, evaluate};
use serde_json::Value;
use std::ops::ControlFlow;
use std::path::Path;

/// A fresh trainer for the spec's network.
pub fn trainer(spec: &Spec) -> Trainer {
    // The spec was validated, so the config is valid.
    let rnn = spec.rnn_config().build::<f32>(spec.seed).expect("validated spec builds its network");
    Trainer::new(rnn, &spec.train)
}

/// Trains `trainer` as the spec says, reporting to `observer`.
pub fn train(
    spec: &Spec,
    trainer: &mut Trainer,
    observer: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> StopReason {
    trainer.run(spec.task.task(), &spec.train, spec.seed, observer)
}

/// Everything the analysis phase produced.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Held-out trials and the network's response.
    pub evaluation: Evaluation,
    /// PCA of the held-out states.
    pub pca: Option<Pca>,
    /// Fixed (or slow) points under the spec's constant input.
    pub fixed_points: FixedPointResult,
    /// The trained network in `f64`.
    pub rnn: Rnn<f64>,
}

/// The network on the spec's held-out trials (`evaluation.seed`, else the run's seed).
pub fn evaluate_heldout(spec: &Spec, rnn: &Rnn<f64>) -> Evaluation {
    let seed = spec.evaluation.seed.unwrap_or(spec.seed);
    evaluate(rnn, spec.task.task(), seed, spec.evaluation.n_trials)
}

/// Evaluates the trained network and searches its fixed points; `progress(k)` reports how many
/// initial states are done.
pub fn analyse(
    spec: &Spec,
    trained: &Rnn<f32>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Analysis, FixedPointError> {
    let rnn = trained.cast::<f64>();
    let evaluation = evaluate_heldout(spec, &rnn);
    let s = rnn.state_len();
    let pca = Pca::fit(&evaluation.states, s, 3);
    let fp = &spec.fixed_points;
    let starts =
        sample_initial_states(&evaluation.states, s, fp.n_initial, fp.init_noise_std, spec.seed);
    let fixed_points = find_fixed_points(&rnn, &starts, fp, progress)?;
    Ok(Analysis { evaluation, pca, fixed_points, rnn })
}

/// Named arrays for `model.npz`.
pub fn model_arrays(rnn: &Rnn<f64>) -> Vec<(&'static str, Array)> {
    let c = rnn.config();
    let l = rnn.layout();
    let g = c.cell.n_gates() * c.n_hidden;
    let p = rnn.params();
    let block = |r: std::ops::Range<usize>, shape: &[usize]| Array::f64(shape, p[r].to_vec());
    let mut out = vec![
        ("params", Array::f64(&[p.len()], p.to_vec())),
        ("w_h", Array::f64(&[g, c.n_hidden], rnn.recurrent_weights())),
        ("w_x", block(l.w_x.clone(), &[g, c.n_input])),
        ("b_x", block(l.b_x.clone(), &[g])),
        ("w_out", block(l.w_out.clone(), &[c.n_output, c.n_hidden])),
        ("b_out", block(l.b_out.clone(), &[c.n_output])),
    ];
    if !l.b_h.is_empty() {
        out.push(("b_h", block(l.b_h.clone(), &[g])));
    }
    out
}

/// Named arrays for `training.npz`.
pub fn training_arrays(trainer: &Trainer) -> Vec<(&'static str, Array)> {
    let h = &trainer.history;
    let v = |x: &Vec<f64>| Array::f64(&[x.len()], x.clone());
    vec![
        ("loss", v(&h.loss)),
        ("grad_norm", v(&h.grad_norm)),
        ("learning_rate", v(&h.learning_rate)),
    ]
}

/// Named arrays for `trajectories.npz`: held-out inputs, targets, mask, outputs, states and
/// their projection on the top principal components.
pub fn trajectory_arrays(a: &Analysis) -> Vec<(&'static str, Array)> {
    let e = &a.evaluation;
    let b = &e.batch;
    let s = a.rnn.state_len();
    let (t, n) = (b.n_steps, b.batch);
    let mut out = vec![
        ("inputs", Array::f64(&[t, n, b.n_input], b.inputs.clone())),
        ("targets", Array::f64(&[t, n, b.n_output], b.targets.clone())),
        ("mask", Array::f64(&[t, n, b.n_output], b.mask.clone())),
        ("outputs", Array::f64(&[t, n, b.n_output], e.outputs.clone())),
        ("states", Array::f64(&[t + 1, n, s], e.states.clone())),
    ];
    if let Some(pca) = &a.pca {
        let k = pca.n_components();
        out.push(("states_pcs", Array::f64(&[t + 1, n, k], pca.transform(&e.states))));
        out.push(("pca_components", Array::f64(&[k, s], pca.components.clone())));
        out.push(("pca_mean", Array::f64(&[s], pca.mean.clone())));
        out.push((
            "pca_explained_variance_ratio",
            Array::f64(&[k], pca.explained_variance_ratio.clone()),
        ));
    }
    out
}

/// Named arrays for `fixed_points.npz`.
pub fn fixed_point_arrays(a: &Analysis) -> Vec<(&'static str, Array)> {
    let f = &a.fixed_points;
    let (k, s) = (f.points.len(), a.rnn.state_len());
    let points: Vec<f64> = f.points.iter().flat_map(|p| p.state.iter().copied()).collect();
    let mut out = vec![
        ("points", Array::f64(&[k, s], points.clone())),
        ("q", Array::f64(&[k], f.points.iter().map(|p| p.q).collect())),
        (
            "eigenvalues_re",
            Array::f64(
                &[k, s],
                f.points.iter().flat_map(|p| p.eigenvalues.iter().map(|z| z.0)).collect(),
            ),
        ),
        (
            "eigenvalues_im",
            Array::f64(
                &[k, s],
                f.points.iter().flat_map(|p| p.eigenvalues.iter().map(|z| z.1)).collect(),
            ),
        ),
        ("stability", Array::i32(&[k], f.points.iter().map(|p| p.stability.code()).collect())),
        ("n_unstable", Array::i32(&[k], f.points.iter().map(|p| p.n_unstable as i32).collect())),
        ("search_q", Array::f64(&[f.search_q.len()], f.search_q.clone())),
    ];
    if let Some(pca) = &a.pca {
        out.push(("points_pcs", Array::f64(&[k, pca.n_components()], pca.transform(&points))));
    }
    out
}

/// `metrics.json` of an RNN run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RnnMetrics {
    /// Loss of the last training step.
    pub final_loss: Option<f64>,
    /// Training steps taken [1].
    pub steps: usize,
    /// Why training stopped (`MaxSteps`, `TargetLoss`, …).
    pub stop_reason: String,
    /// Normalised MSE on held-out trials [1].
    pub heldout_nmse: f64,
    /// MSE on held-out trials.
    pub heldout_mse: f64,
    /// Fixed points found, by stability.
    pub fixed_points: FixedPointCounts,
    /// Variance fractions of the top 3 principal components of the held-out states.
    pub pca_explained_variance_ratio: Option<Vec<f64>>,
    /// Dimensionality of the held-out states.
    pub dimensionality: Option<Dimensionality>,
    /// Training wall time [s].
    pub train_seconds: f64,
    /// Analysis wall time [s].
    pub analysis_seconds: f64,
    /// Line-attractor diagnostics (runs whose slow points are left unpolished).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slow_points: Option<LineAttractor>,
}

/// Fixed points by stability.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FixedPointCounts {
    /// Every eigenvalue inside the unit circle [1].
    pub stable: usize,
    /// Some inside, some outside [1].
    pub saddle: usize,
    /// Every eigenvalue outside [1].
    pub unstable: usize,
    /// All of them [1].
    pub total: usize,
    /// Initial states searched from [1].
    pub n_initial: usize,
    /// Of those, the searches that reached `q_stop` within `max_iters` (the rest report
    /// their final speed in `fixed_points.npz`'s `search_q`) [1].
    pub searches_converged: usize,
}

/// The metrics of a run.
pub fn metrics(
    spec: &Spec,
    trainer: &Trainer,
    stop: StopReason,
    a: &Analysis,
    train_seconds: f64,
    analysis_seconds: f64,
) -> RnnMetrics {
    let f = &a.fixed_points;
    RnnMetrics {
        final_loss: trainer.history.loss.last().copied(),
        steps: trainer.step,
        stop_reason: format!("{stop:?}"),
        heldout_nmse: a.evaluation.score.nmse,
        heldout_mse: a.evaluation.score.mse,
        fixed_points: FixedPointCounts {
            stable: f.count(Stability::Stable),
            saddle: f.count(Stability::Saddle),
            unstable: f.count(Stability::Unstable),
            total: f.points.len(),
            n_initial: f.search_q.len(),
            searches_converged: f
                .search_q
                .iter()
                .filter(|&&q| q < spec.fixed_points.q_stop)
                .count(),
        },
        pca_explained_variance_ratio: a.pca.as_ref().map(|p| p.explained_variance_ratio.clone()),
        dimensionality: measure(&a.evaluation.states, a.rnn.state_len(), 10, 2000),
        train_seconds,
        analysis_seconds,
        slow_points: (!spec.fixed_points.polish)
            .then(|| line_attractor(&a.rnn, f, &a.evaluation.states)),
    }
}

/// The `rnn` kind: specs with a `[task]` table.
pub struct RnnKind;

/// A validated RNN spec.
pub struct PreparedRnn {
    /// The spec.
    pub spec: Spec,
}

impl Kind for RnnKind {
    fn name(&self) -> &'static str {
        "rnn"
    }
    fn table(&self) -> &'static str {
        "task"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec = neurodyn_io::spec::rnn::parse(text, file)?;
        memory(&spec).check(limits, text, file)?;
        Ok(Box::new(PreparedRnn { spec }))
    }
    fn figures(&self, dir: &Path, spec: &str, _: &Value) -> Result<Vec<Figure>, IoError> {
        let spec = neurodyn_io::spec::rnn::parse(spec, "spec.toml")
            .map_err(|e| IoError::format(dir.join("spec.toml"), e))?;
        let figures = match spec.population {
            Some(_) => neurodyn_report::figures::population_run(dir)?,
            None => neurodyn_report::figures::rnn_run(dir, spec.evaluation.n_plot_trials)?,
        };
        Ok(figures.into_iter().map(Figure::from).collect())
    }
}

/// The memory a training run and its analysis need: the tape of one batch (states and gate
/// values of every step, f32), held-out states (f64), fixed-point searches (a Jacobian each).
pub fn memory(spec: &Spec) -> MemoryEstimate {
    let c = spec.rnn_config();
    let t = spec.task.task().n_steps() as f64;
    let (h, g) = (c.n_hidden as f64, c.cell.n_gates() as f64);
    let mut m = MemoryEstimate::new();
    m.add("model.n_hidden", (g + 2.0) * h * h + (c.n_input + c.n_output) as f64 * g * h, 4.0 * 6.0);
    m.add("train.batch_size", spec.train.batch_size as f64 * t * (g + 2.0) * h, 4.0 * 3.0);
    m.add("evaluation.n_trials", spec.evaluation.n_trials as f64 * (t + 1.0) * h, 8.0 * 3.0);
    m.add("fixed_points.n_initial", spec.fixed_points.n_initial as f64 * h * (h + 4.0), 8.0);
    if let Some(p) = &spec.population {
        // Every member keeps its network, optimiser and tape; analyses run one member at a
        // time. Per member: its parameters ×6 (f32 weights, two moments, gradients, the f64
        // copy written out) and an f32 tape of the batch.
        let k = p.size as f64;
        m.add("population.size", k * (g + 2.0) * h * h, 4.0 * 6.0);
        m.add("population.size", k * spec.train.batch_size as f64 * t * (g + 2.0) * h, 4.0);
    }
    m
}

impl Prepared for PreparedRnn {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        self.spec.to_toml()
    }
    fn describe(&self) -> String {
        let c = self.spec.rnn_config();
        let population = self
            .spec
            .population
            .as_ref()
            .map_or(String::new(), |p| format!(", population of {}", p.size));
        format!(
            "{} task, {:?} cell, {} hidden units, seed {}{population}",
            self.spec.task.kind(),
            c.cell,
            c.n_hidden,
            self.spec.seed
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let spec = &self.spec;
        if spec.population.is_some() {
            return crate::population::run(spec, ctx);
        }
        let mut trainer = trainer(spec);
        if ctx.resumed {
            let checkpoint = neurodyn_io::run_dir::load_checkpoint(
                ctx.dir.path(),
                spec.train.optimizer,
                trainer.rnn.params().len(),
            )
            .map_err(|e| e.to_string())?;
            trainer.restore(&checkpoint);
        }
        let progress = ctx.progress;
        progress.phase("train", spec.train.max_steps as u64);
        progress.advance(trainer.step as u64, None);
        let t0 = progress.seconds();
        let mut save_error = None;
        let stop = train(spec, &mut trainer, &mut |event| match event {
            Event::Step { step, loss } => {
                progress.advance(step as u64, Some(format!("loss {loss:.2e}")));
                if progress.interrupted() {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            }
            Event::Checkpoint(c) => match neurodyn_io::run_dir::save_checkpoint(ctx.dir, c) {
                Ok(()) => {
                    progress.saved();
                    ControlFlow::Continue(())
                }
                Err(e) => {
                    save_error = Some(e);
                    ControlFlow::Break(())
                }
            },
        });
        if let Some(e) = save_error {
            return Err(format!("saving a checkpoint: {e}"));
        }
        if stop == StopReason::Interrupted {
            // Asked to stop: keep everything up to this step, so a resume is bit-identical.
            neurodyn_io::run_dir::save_checkpoint(ctx.dir, &trainer.checkpoint())
                .map_err(|e| format!("saving the checkpoint on interruption: {e}"))?;
            return Err(format!("interrupted at training step {}; checkpoint saved", trainer.step));
        }
        if stop == StopReason::Diverged {
            return Err(trainer.divergence.as_ref().map_or_else(
                || format!("training diverged at step {}", trainer.step),
                ToString::to_string,
            ));
        }
        let t1 = progress.seconds();
        progress.phase("fixed points", spec.fixed_points.n_initial as u64);
        let analysis = analyse(spec, &trainer.rnn, &|done| progress.advance(done as u64, None))
            .map_err(|e| e.to_string())?;
        let t2 = progress.seconds();
        let m = metrics(spec, &trainer, stop, &analysis, t1 - t0, t2 - t1);
        let fp = &m.fixed_points;
        let summary = format!(
            "{}: loss {:.3e}, held-out NMSE {:.4}, fixed points: {} stable, {} saddle, {} unstable",
            spec.name,
            m.final_loss.unwrap_or(f64::NAN),
            m.heldout_nmse,
            fp.stable,
            fp.saddle,
            fp.unstable
        );
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        let named = |v: Vec<(&'static str, Array)>| {
            v.into_iter().map(|(k, a)| (k.to_string(), a)).collect::<Vec<_>>()
        };
        Ok(Outcome {
            files: vec![
                ("model.npz".into(), named(model_arrays(&analysis.rnn))),
                ("training.npz".into(), named(training_arrays(&trainer))),
                ("trajectories.npz".into(), named(trajectory_arrays(&analysis))),
                ("fixed_points.npz".into(), named(fixed_point_arrays(&analysis))),
            ],
            metrics,
            summary,
        })
    }
}

/// Line-attractor diagnostics of a set of slow points.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LineAttractor {
    /// Slow points analysed [1].
    pub n_points: usize,
    /// Fraction with `|λ₁ − 1| < 0.02` and `1 − |λ₂| ≥ 3 (1 − |λ₁|)` [1].
    pub fraction_one_slow_mode: f64,
    /// Median `|cos|` between the slow eigenvector and the local tangent of the manifold [1].
    pub median_alignment: f64,
    /// Fraction of the trajectories' range along the manifold spanned by the points [1].
    pub coverage: f64,
    /// Variance fraction of the points on their first principal axis [1].
    pub pc1_variance_ratio: f64,
}

/// Measures how well slow points `f` of `rnn` form a line attractor covering `states`
/// (held-out trajectories, rows of the state size).
pub fn line_attractor(rnn: &Rnn<f64>, f: &FixedPointResult, states: &[f64]) -> LineAttractor {
    use neurodyn_core::Dynamics;
    let dim = rnn.state_len();
    let k = f.points.len();
    let points: Vec<f64> = f.points.iter().flat_map(|p| p.state.iter().copied()).collect();
    let Some(pca) = Pca::fit(&points, dim, 1).filter(|_| k >= 3) else {
        return LineAttractor {
            n_points: k,
            fraction_one_slow_mode: 0.0,
            median_alignment: 0.0,
            coverage: 0.0,
            pc1_variance_ratio: 0.0,
        };
    };
    let project = |x: &[f64]| -> f64 {
        x.iter().zip(&pca.mean).zip(&pca.components[..dim]).map(|((x, m), c)| (x - m) * c).sum()
    };
    let modulus = |z: &(f64, f64)| (z.0 * z.0 + z.1 * z.1).sqrt();
    let good = f
        .points
        .iter()
        .filter(|p| {
            let l1 = p.eigenvalues.first().map_or(0.0, modulus);
            let l2 = p.eigenvalues.get(1).map_or(0.0, modulus);
            (l1 - 1.0).abs() < 0.02 && 1.0 - l2 >= 3.0 * (1.0 - l1).abs()
        })
        .count();
    // Points in order along the manifold; the tangent at each from its neighbours.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| project(&f.points[a].state).total_cmp(&project(&f.points[b].state)));
    let input = vec![0.0; rnn.n_input()];
    let mut cosines: Vec<f64> = (0..k)
        .map(|r| {
            let (prev, next) = (order[r.saturating_sub(1)], order[(r + 1).min(k - 1)]);
            let tangent: Vec<f64> = f.points[next]
                .state
                .iter()
                .zip(&f.points[prev].state)
                .map(|(a, b)| a - b)
                .collect();
            let p = &f.points[order[r]];
            let mut jac = faer::Mat::<f64>::zeros(dim, dim);
            rnn.jacobian(&p.state, &input, jac.as_mut());
            let v = slow_eigenvector(&jac, p.eigenvalues.first().map_or(1.0, |z| z.0));
            cosine(&v, &tangent).abs()
        })
        .collect();
    cosines.sort_by(f64::total_cmp);
    let mut visited: Vec<f64> = states.chunks_exact(dim).map(project).collect();
    visited.sort_by(f64::total_cmp);
    let pct = |q: f64| visited[((visited.len() - 1) as f64 * q).round() as usize];
    let (lo, hi) = (pct(0.05), pct(0.95));
    let along: Vec<f64> = f.points.iter().map(|p| project(&p.state)).collect();
    let (plo, phi) = along.iter().fold((f64::MAX, f64::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    let coverage = ((phi.min(hi) - plo.max(lo)) / (hi - lo)).clamp(0.0, 1.0);
    LineAttractor {
        n_points: k,
        fraction_one_slow_mode: good as f64 / k as f64,
        median_alignment: cosines[k / 2],
        coverage,
        pc1_variance_ratio: pca.explained_variance_ratio[0],
    }
}

/// The eigenvector of `jac` for its real eigenvalue nearest `lambda`, by inverse iteration.
fn slow_eigenvector(jac: &faer::Mat<f64>, lambda: f64) -> Vec<f64> {
    use faer::linalg::solvers::Solve;
    let n = jac.nrows();
    // A shift just off the eigenvalue keeps the system solvable; inverse iteration then
    // converges at the rate |λ − σ| / |λ' − σ| to the nearest mode.
    let shifted =
        faer::Mat::from_fn(n, n, |i, j| jac[(i, j)] - if i == j { lambda + 1e-6 } else { 0.0 });
    let lu = shifted.partial_piv_lu();
    let mut v = faer::Mat::from_fn(n, 1, |i, _| 1.0 / (1.0 + i as f64));
    for _ in 0..8 {
        v = lu.solve(&v);
        let norm = v.norm_l2();
        if !(norm.is_finite() && norm > 0.0) {
            break;
        }
        v /= faer::Scale(norm);
    }
    (0..n).map(|i| v[(i, 0)]).collect()
}

/// `⟨a, b⟩ / (‖a‖ ‖b‖)`.
pub(crate) fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na: f64 = a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| x * x).sum::<f64>().sqrt();
    dot / (na * nb)
}
