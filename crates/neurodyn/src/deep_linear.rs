//! The `deep_linear` run kind (`[deep_linear]` specs): deep linear networks trained by
//! full-batch gradient descent on a linear teacher or on hierarchically structured items, with
//! the strength of every mode of `Σ_yx` recorded over time next to the exact solution of Saxe,
//! McClelland & Ganguli (2013, arXiv:1312.6120; 2019, arXiv:1810.10531) — see
//! `analysis::deep_linear`.
//!
//! Each network has its own depth, start and learning rate. Measured per network: the loss
//! over time, the time to learn (loss below `criterion` × the zero map's loss), and for
//! networks with one hidden layer the half-time of each mode against the theory's, from the
//! start's [effective initial strength](neurodyn_analysis::deep_linear::effective_initial_strength).
//! For the first network also: transient illusory correlations (an item's feature predicted
//! with the wrong sign, by more than a tenth of its value, before it is learned) and the
//! similarity of the items' hidden representations against the theory's `X V diag(s) Vᵀ Xᵀ`.
//! On teacher data (Lampinen & Ganguli 2019, arXiv:1809.10374), each network's population test
//! error `‖T − W‖²/2` over time, with the test error and training loss that Saxe's curves
//! predict when every mode of the noisy `Σ_yx` is tracked, early stopping's best error, and for
//! square teachers the spiked random-matrix model's singular values and the test error of the
//! optimal singular-value shrinkage of `Σ_yx`.
//!
//! ```toml
//! name = "modes"
//! [deep_linear]
//! data = { teacher = { n_in = 8, n_out = 8, singular_values = [3.0, 1.0], n_train = 8 } }
//! learning_rate = 0.01
//! steps = 2000
//! networks = [{ name = "small", hidden = [8], start = { kind = "decoupled", a0 = 0.001 } }]
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use faer::Mat;
use neurodyn_analysis::deep_linear::{
    Modes, crossing_time, effective_initial_strength, half_time, mode_strength, optimal_shrinkage,
    spike_outlier,
};
use neurodyn_analysis::similarity::pearson;
use neurodyn_core::{RangeError, check};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, check_keys, check_name, range_error, schema_version, serde_error,
};
use neurodyn_models::ffn::{Activation, Ffn, FfnConfig, Init, Loss, Tape, haar_semi_orthogonal};
use neurodyn_report::COLORS;
use neurodyn_report::svg::{Marker, Plot};
use neurodyn_tasks::supervised::{Data, Dataset, LinearTeacher};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A deep-linear learning-dynamics experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeepLinearSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of the data and of every network's start.
    #[serde(default)]
    pub seed: u64,
    /// Data, networks and training.
    pub deep_linear: Settings,
}

/// Data, networks and training.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// What the networks learn.
    pub data: Data,
    /// Step size η of full-batch gradient descent; time is in units of τ = 1/η [1].
    pub learning_rate: f64,
    /// Steps of gradient descent [1].
    pub steps: usize,
    /// Steps between recordings [1].
    #[serde(default = "ten")]
    pub record_every: usize,
    /// A network has learned when its loss is below this fraction of the zero map's loss [1].
    #[serde(default = "one_percent")]
    pub criterion: f64,
    /// Modes of `Σ_yx` tracked (strongest first; default all, at most 64) [1].
    #[serde(default)]
    pub modes: Option<usize>,
    /// The networks, trained on the same data.
    pub networks: Vec<NetworkSpec>,
}

fn ten() -> usize {
    10
}
fn one_percent() -> f64 {
    0.01
}

/// One network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// Its name in metrics and arrays (letters, digits and '_').
    pub name: String,
    /// Hidden widths, input to output (`[h]` is Saxe's three-layer network).
    pub hidden: Vec<usize>,
    /// Its starting weights.
    pub start: Start,
    /// Its own step size (default: the experiment's) [1].
    #[serde(default)]
    pub learning_rate: Option<f64>,
    /// Step sizes to search instead: the network is trained at each, and the one that
    /// learns in the fewest steps is reported (Saxe et al. compare depths at each depth's best
    /// learning rate) [1].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub learning_rates: Vec<f64>,
}

/// Starting weights.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Start {
    /// Every mode of `Σ_yx` at strength `a0`, balanced across layers (`W₁ = a0^{1/L} R₁ Vᵀ`,
    /// …, `W_L = a0^{1/L} U R_{L−1}ᵀ` with Haar `R_l`); needs every hidden width ≥ the modes.
    Decoupled {
        /// Starting strength of every mode [1].
        a0: f64,
    },
    /// i.i.d. `N(0, σ_w²/n_in)` weights.
    Gaussian {
        /// Weight scale [1].
        sigma_w: f64,
    },
    /// `σ_w` times Haar (semi-)orthogonal layers.
    Orthogonal {
        /// Weight scale [1].
        sigma_w: f64,
    },
}

impl DeepLinearSpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let s = &self.deep_linear;
        s.data.validate().map_err(|mut e| {
            e.field = format!("deep_linear.data.{}", e.field);
            e
        })?;
        let lr_ok = |v: f64| v.is_finite() && v > 0.0 && v <= 10.0;
        check(lr_ok(s.learning_rate), "deep_linear.learning_rate", s.learning_rate, "in (0, 10]")?;
        check(
            s.steps >= 1 && s.steps <= 10_000_000,
            "deep_linear.steps",
            s.steps,
            "between 1 and 1e7",
        )?;
        check(
            s.record_every >= 1 && s.record_every <= s.steps,
            "deep_linear.record_every",
            s.record_every,
            "between 1 and steps",
        )?;
        check(
            s.criterion > 0.0 && s.criterion < 1.0,
            "deep_linear.criterion",
            s.criterion,
            "in (0, 1)",
        )?;
        let (n_in, n_out) = self.dims();
        let most = n_in.min(n_out).min(64);
        if let Some(m) = s.modes {
            check(m >= 1 && m <= most, "deep_linear.modes", m, &format!("between 1 and {most}"))?;
        }
        check(
            !s.networks.is_empty() && s.networks.len() <= 64,
            "deep_linear.networks",
            s.networks.len(),
            "1 to 64 networks",
        )?;
        check_keys("deep_linear.networks", s.networks.iter().map(|n| n.name.as_str()))?;
        for (i, n) in s.networks.iter().enumerate() {
            let f = format!("deep_linear.networks[{i}]");
            check(
                n.hidden.len() <= 100,
                &format!("{f}.hidden"),
                n.hidden.len(),
                "at most 100 hidden layers",
            )?;
            for (k, h) in n.hidden.iter().enumerate() {
                check(*h >= 1 && *h <= 4096, &format!("{f}.hidden[{k}]"), h, "between 1 and 4096")?;
            }
            if let Some(lr) = n.learning_rate {
                check(lr_ok(lr), &format!("{f}.learning_rate"), lr, "in (0, 10]")?;
            }
            check(
                n.learning_rates.len() <= 64
                    && (n.learning_rates.is_empty() || n.learning_rate.is_none()),
                &format!("{f}.learning_rates"),
                n.learning_rates.len(),
                "at most 64 values, and not together with learning_rate",
            )?;
            for (k, lr) in n.learning_rates.iter().enumerate() {
                check(lr_ok(*lr), &format!("{f}.learning_rates[{k}]"), lr, "in (0, 10]")?;
            }
            match n.start {
                Start::Decoupled { a0 } => {
                    let modes = self.n_modes();
                    check(a0.is_finite() && a0 > 0.0, &format!("{f}.start.a0"), a0, "finite, > 0")?;
                    check(
                        n.hidden.iter().all(|h| *h >= modes),
                        &format!("{f}.hidden"),
                        format!("{:?}", n.hidden),
                        &format!(
                            "every width at least the {modes} tracked modes (decoupled start)"
                        ),
                    )?;
                }
                Start::Gaussian { sigma_w } | Start::Orthogonal { sigma_w } => check(
                    sigma_w.is_finite() && (0.0..=100.0).contains(&sigma_w),
                    &format!("{f}.start.sigma_w"),
                    sigma_w,
                    "between 0 and 100",
                )?,
            }
        }
        Ok(())
    }

    fn dims(&self) -> (usize, usize) {
        self.deep_linear.data.dims()
    }

    fn n_modes(&self) -> usize {
        let (n_in, n_out) = self.dims();
        self.deep_linear.modes.unwrap_or(n_in.min(n_out).min(64))
    }

    /// The data set and, for a teacher, the teacher's map — drawn once.
    fn data(&self) -> Result<(Dataset, Option<Mat<f64>>), String> {
        match &self.deep_linear.data {
            Data::Teacher(t) => t.generate(self.seed).map(|d| (d.data, Some(d.teacher))),
            other => other.generate(self.seed).map(|d| (d, None)),
        }
        .map_err(|e| e.to_string())
    }
}

/// One network's measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkMetrics {
    /// Weight layers [1].
    pub depth: usize,
    /// Step size η [1].
    pub learning_rate: f64,
    /// Loss at the start [1].
    pub initial_loss: f64,
    /// Loss at the end (null when it diverged) [1].
    pub final_loss: f64,
    /// Steps until the loss is below `criterion` × the zero map's loss (interpolated).
    pub learning_steps: Option<f64>,
    /// The same in units of τ = 1/η.
    pub learning_time: Option<f64>,
    /// Time (τ) for each mode to reach half its singular value (null: not reached).
    pub half_times: Vec<Option<f64>>,
    /// One hidden layer from a small start: the theory's half-times from the effective
    /// starting strengths (null for a mode that starts above half its singular value).
    pub theory_half_times: Option<Vec<Option<f64>>>,
    /// One hidden layer: the largest |measured/theory − 1| over modes that reached half.
    pub max_half_time_error: Option<f64>,
    /// Pairs of modes with singular values more than 10 % apart learned out of order.
    pub order_inversions: usize,
    /// The step at which the loss stopped being finite, if it did.
    pub diverged_at: Option<usize>,
    /// Teacher data: the population test error `‖T − W‖²_F/2` (inputs `N(0, I)`) at its
    /// minimum over the recordings — early stopping with an oracle's timing [1].
    pub early_stopped_test_error: Option<f64>,
    /// Teacher data: when that minimum is reached (units of τ).
    pub early_stopping_time: Option<f64>,
    /// Teacher data: the population test error at the end [1].
    pub final_test_error: Option<f64>,
    /// Teacher data, theory available: `max_t |test error − theory|` over the initial test
    /// error; the theory sums Saxe's curves over every mode of the noisy `Σ_yx` (Lampinen &
    /// Ganguli 2019) [1].
    pub max_test_error_deviation: Option<f64>,
    /// Whitened inputs, theory available: `max_t |training loss − theory|` over the initial
    /// loss [1].
    pub max_train_loss_deviation: Option<f64>,
    /// With `learning_rates`: the steps to learn at each (null: never, or diverged).
    pub learning_steps_by_rate: Vec<Option<f64>>,
}

/// `metrics.json` of a deep-linear run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeepLinearMetrics {
    /// Singular values `s_α` of `Σ_yx`, tracked modes [1].
    pub singular_values: Vec<f64>,
    /// The zero map's loss `‖Y‖²/(2P)` [1].
    pub zero_map_loss: f64,
    /// First network: item–feature entries whose prediction passed, by more than a tenth of
    /// the target's size, to the wrong sign before ending on the right one [1].
    pub illusory_correlations: usize,
    /// First network: Pearson r of its first hidden layer's item similarity at the end
    /// against the theory's `X V diag(s) Vᵀ Xᵀ` [1].
    pub hidden_similarity_r: f64,
    /// Teacher data: generalization (Lampinen & Ganguli 2019).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generalization: Option<Generalization>,
    /// Per network, by name.
    pub networks: serde_json::Map<String, serde_json::Value>,
}

/// Generalization on a noisy linear teacher, against the square spiked model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Generalization {
    /// The teacher's singular values `s̄` [1].
    pub teacher_singular_values: Vec<f64>,
    /// Noise scale `σ` of `Σ_yx = T + (σ/√n) G`: `noise · √(n_in/n_train)` [1].
    pub noise_scale: f64,
    /// Square teachers: where the spiked model puts each teacher mode's empirical singular
    /// value, `σ(θ + 1/θ)` (the bulk edge `2σ` below threshold) [1].
    pub predicted_singular_values: Option<Vec<f64>>,
    /// Square teachers: the largest |measured / predicted − 1| over the teacher's modes [1].
    pub max_singular_value_error: Option<f64>,
    /// Square teachers: population test error of the optimal singular-value shrinkage of the
    /// training data's `Σ_yx` (no gradient descent) [1].
    pub optimal_shrinkage_test_error: Option<f64>,
    /// The lowest early-stopped test error over the networks [1].
    pub best_early_stopped_test_error: f64,
    /// Largest over smallest early-stopped test error across the networks [1].
    pub early_stopped_spread: f64,
}

/// What the teacher lets every network measure: `T`, `‖T‖²_F` and `û_αᵀ T v̂_α` per mode of
/// the noisy `Σ_yx`.
struct Teacher {
    t: Mat<f64>,
    norm2: f64,
    projections: Vec<f64>,
}

/// The `deep_linear` kind.
pub struct DeepLinearKind;

struct PreparedDeepLinear {
    spec: DeepLinearSpec,
}

impl Kind for DeepLinearKind {
    fn name(&self) -> &'static str {
        "deep_linear"
    }
    fn table(&self) -> &'static str {
        "deep_linear"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: DeepLinearSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        spec.validate().map_err(|e| range_error(text, file, e))?;
        let s = &spec.deep_linear;
        let (n_in, n_out) = spec.dims();
        let p = s.data.n_examples() as f64;
        let mut m = MemoryEstimate::new();
        m.add("deep_linear.data", p * (n_in + n_out) as f64, 8.0);
        for (i, n) in s.networks.iter().enumerate() {
            let widths: Vec<f64> = std::iter::once(n_in)
                .chain(n.hidden.iter().copied())
                .chain([n_out])
                .map(|w| w as f64)
                .collect();
            let weights: f64 = widths.windows(2).map(|w| w[0] * w[1]).sum();
            let acts: f64 = widths.iter().sum::<f64>() * p;
            m.add(&format!("deep_linear.networks[{i}]"), 3.0 * weights + 3.0 * acts, 8.0);
        }
        let records = (s.steps / s.record_every + 1) as f64;
        m.add(
            "deep_linear.steps",
            records * s.networks.len() as f64 * (2.0 * spec.n_modes() as f64 + 1.0),
            8.0,
        );
        m.check(limits, text, file)?;
        Ok(Box::new(PreparedDeepLinear { spec }))
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

/// One network's training record.
#[derive(Serialize, Deserialize)]
struct Record {
    times: Vec<f64>,
    losses: Vec<f64>,
    test_errors: Vec<f64>,
    theory_test_errors: Option<Vec<f64>>,
    theory_losses: Option<Vec<f64>>,
    strengths: Vec<Vec<f64>>,
    theory: Option<Vec<Vec<f64>>>,
    metrics: NetworkMetrics,
    illusory: usize,
    hidden_similarity: Option<Vec<f64>>,
}

fn start_weights(net: &mut Ffn<f64>, start: Start, modes: &Modes, seed: u64, index: usize) {
    let Start::Decoupled { a0 } = start else { return };
    let layers = net.n_layers();
    let per_layer = a0.powf(1.0 / layers as f64);
    let r = modes.len();
    // Hidden bases R_l (h_l × r, orthonormal columns), one per hidden layer.
    let widths = net.config.widths.clone();
    let bases: Vec<Mat<f64>> = (1..layers)
        .map(|l| haar_semi_orthogonal(widths[l], r, seed, (index * 1000 + l) as u64))
        .collect();
    for l in 0..layers {
        let left = if l + 1 == layers { modes.u.clone() } else { bases[l].clone() };
        let right = if l == 0 { modes.v.clone() } else { bases[l - 1].clone() };
        net.set_weights(l, &(&left * right.transpose() * faer::Scale(per_layer)));
    }
}

/// Trains network `index` at its learning rate, or at each of its `learning_rates` keeping the
/// one that learns in the fewest steps.
fn train(
    spec: &DeepLinearSpec,
    index: usize,
    data: &Dataset,
    modes: &Modes,
    teacher: Option<&Teacher>,
    zero_loss: f64,
    ctx: &Context<'_>,
) -> Result<Record, String> {
    let n = &spec.deep_linear.networks[index];
    // One checkpointed unit per network and rate.
    let one = |lr: f64| {
        ctx.unit(&format!("{}_lr{lr:e}", n.name), || {
            train_one(spec, index, lr, data, modes, teacher, zero_loss, ctx)
        })
    };
    if n.learning_rates.is_empty() {
        return one(n.learning_rate.unwrap_or(spec.deep_linear.learning_rate));
    }
    let (mut best, times) = crate::ffn::best_rate(&n.learning_rates, one, |r| {
        (r.metrics.learning_steps, r.metrics.final_loss)
    })?;
    best.metrics.learning_steps_by_rate = times;
    Ok(best)
}

fn train_one(
    spec: &DeepLinearSpec,
    index: usize,
    lr: f64,
    data: &Dataset,
    modes: &Modes,
    teacher: Option<&Teacher>,
    zero_loss: f64,
    ctx: &Context<'_>,
) -> Result<Record, String> {
    let s = &spec.deep_linear;
    let n = &s.networks[index];
    let widths: Vec<usize> =
        std::iter::once(data.n_in).chain(n.hidden.iter().copied()).chain([data.n_out]).collect();
    let (init, sigma_w) = match n.start {
        Start::Decoupled { .. } => (Init::Gaussian, 0.0),
        Start::Gaussian { sigma_w } => (Init::Gaussian, sigma_w),
        Start::Orthogonal { sigma_w } => (Init::Orthogonal, sigma_w),
    };
    let config = FfnConfig {
        widths,
        activation: Activation::Linear,
        init,
        sigma_w,
        sigma_b: 0.0,
        bias: false,
    };
    let mut net =
        config.build::<f64>(spec.seed.wrapping_add(1 + index as u64)).map_err(|e| e.to_string())?;
    start_weights(&mut net, n.start, modes, spec.seed, index);
    let depth = net.n_layers();
    // The theory of a one-hidden-layer network from a small start (every mode's effective
    // starting strength below 1 % of the strongest singular value).
    let a0_eff = (depth == 2)
        .then(|| effective_initial_strength(&net.weight_matrix(0), &net.weight_matrix(1), modes))
        .filter(|a0| a0.iter().all(|a| *a < 0.01 * modes.s.first().copied().unwrap_or(0.0)));

    let p = data.n_train;
    let (x, y) = (&data.x_train, &data.y_train);
    let mut grads = vec![0.0; net.params.len()];
    let mut tape = Tape::default();
    let (mut times, mut losses, mut strengths) = (Vec::new(), Vec::new(), Vec::new());
    let mut test_errors = Vec::new();
    // Illusory correlations: per entry, whether it has been wrong-signed by > |y|/10.
    let track_illusions = index == 0;
    let mut was_wrong = vec![false; if track_illusions { p * data.n_out } else { 0 }];
    let mut initial_loss = f64::NAN;
    let mut diverged_at = None;
    ctx.progress.phase(&format!("train {} (η = {lr})", n.name), s.steps as u64);
    for step in 0..=s.steps {
        let record = step % s.record_every == 0 || step == s.steps;
        let loss = if record {
            net.forward_into(x, p, &mut tape);
            let (loss, d_out) = net.loss_of(&tape, y, Loss::Mse);
            if track_illusions {
                for ((w, o), t) in was_wrong.iter_mut().zip(tape.output()).zip(y) {
                    *w |= o * t < 0.0 && o.abs() > 0.1 * t.abs();
                }
            }
            times.push(step as f64 * lr);
            losses.push(loss);
            let w = net.composite();
            strengths.push(modes.strengths(&w));
            if let Some(t) = teacher {
                test_errors.push(0.5 * (&t.t - &w).squared_norm_l2());
            }
            if step < s.steps {
                net.backward(&mut tape, &d_out, &mut grads);
            }
            loss
        } else {
            net.loss_and_gradient_with(&mut tape, x, y, p, Loss::Mse, &mut grads)
        };
        if step == 0 {
            initial_loss = loss;
        }
        if !loss.is_finite() || loss > 1e6 * zero_loss.max(initial_loss) {
            diverged_at = Some(step);
            break;
        }
        if step == s.steps {
            break;
        }
        net.params.iter_mut().zip(&grads).for_each(|(w, g)| *w -= lr * g);
        if step % 64 == 0 {
            ctx.progress.advance(step as u64, None);
            if ctx.progress.interrupted() {
                return Err("interrupted".into());
            }
        }
    }
    ctx.progress.advance(s.steps as u64, None);

    let final_out = net.forward(x, p);
    let illusory = was_wrong
        .iter()
        .zip(final_out.output())
        .zip(y)
        .filter(|((w, o), t)| **w && **o * **t > 0.0)
        .count();
    let r = modes.len();
    let column = |a: usize| -> Vec<f64> { strengths.iter().map(|v| v[a]).collect() };
    let half_times: Vec<Option<f64>> =
        (0..r).map(|a| crossing_time(&times, &column(a), modes.s[a] / 2.0)).collect();
    let theory_half_times: Option<Vec<Option<f64>>> = a0_eff.as_ref().map(|a0| {
        (0..r).map(|a| (a0[a] < modes.s[a] / 2.0).then(|| half_time(modes.s[a], a0[a]))).collect()
    });
    let max_half_time_error = theory_half_times.as_ref().map(|th| {
        half_times
            .iter()
            .zip(th)
            .filter_map(|(m, t)| Some((m.as_ref()? / t.as_ref()? - 1.0).abs()))
            .fold(0.0, f64::max)
    });
    let theory: Option<Vec<Vec<f64>>> = a0_eff.as_ref().map(|a0| {
        times
            .iter()
            .map(|t| (0..r).map(|a| mode_strength(modes.s[a], a0[a], *t)).collect())
            .collect()
    });
    // Test error and training loss from the mode curves: with W = Σ a_α û_α v̂_αᵀ,
    // ‖T − W‖²/2 = (‖T‖² − 2 Σ a_α û_αᵀTv̂_α + Σ a_α²)/2, and with Σ_xx = I the training loss is
    // ‖Σ_yx − W‖²/2 plus what no W can fit, zero_loss − Σ s_α²/2.
    // Every mode of Σ_yx tracked: the curves then account for the whole map.
    let complete = modes.len() == data.n_in.min(data.n_out);
    let theory_test_errors = teacher.filter(|_| complete).and_then(|t| {
        let th = theory.as_ref()?;
        Some(
            th.iter()
                .map(|a| {
                    let cross: f64 = a.iter().zip(&t.projections).map(|(a, c)| a * c).sum();
                    0.5 * (t.norm2 - 2.0 * cross + a.iter().map(|v| v * v).sum::<f64>())
                })
                .collect::<Vec<f64>>(),
        )
    });
    let unfit = zero_loss - 0.5 * modes.s.iter().map(|v| v * v).sum::<f64>();
    let theory_losses = theory.as_ref().filter(|_| complete && data_is_white(data)).map(|th| {
        th.iter()
            .map(|a| {
                unfit + 0.5 * a.iter().zip(&modes.s).map(|(a, s)| (s - a).powi(2)).sum::<f64>()
            })
            .collect::<Vec<f64>>()
    });
    let deviation = |sim: &[f64], th: &Option<Vec<f64>>| {
        th.as_ref().map(|th| {
            sim.iter().zip(th).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
                / sim[0].abs().max(1e-300)
        })
    };
    let max_test_error_deviation = deviation(&test_errors, &theory_test_errors);
    let max_train_loss_deviation = deviation(&losses, &theory_losses);
    let best_test = test_errors
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cmp(b.1))
        .map(|(i, e)| (*e, times[i]));
    let mut order_inversions = 0;
    for a in 0..r {
        for b in a + 1..r {
            if modes.s[a] > 1.1 * modes.s[b] {
                let (ta, tb) = (
                    half_times[a].unwrap_or(f64::INFINITY),
                    half_times[b].unwrap_or(f64::INFINITY),
                );
                order_inversions += usize::from(ta > tb);
            }
        }
    }
    let learning_time = crossing_time(
        &times,
        &losses.iter().map(|l| -l).collect::<Vec<_>>(),
        -s.criterion * zero_loss,
    );
    let hidden_similarity = (index == 0 && depth >= 2).then(|| {
        let h = &final_out.activations[1];
        let w = net.config.widths[1];
        (0..p * p)
            .map(|k| {
                let (i, j) = (k / p, k % p);
                (0..w).map(|c| h[i * w + c] * h[j * w + c]).sum()
            })
            .collect()
    });
    let metrics = NetworkMetrics {
        depth,
        learning_rate: lr,
        initial_loss,
        final_loss: if diverged_at.is_some() { f64::INFINITY } else { *losses.last().unwrap() },
        learning_steps: learning_time.map(|t| t / lr),
        learning_time,
        half_times,
        theory_half_times,
        max_half_time_error,
        order_inversions,
        diverged_at,
        early_stopped_test_error: best_test.map(|b| b.0),
        early_stopping_time: best_test.map(|b| b.1),
        final_test_error: test_errors.last().copied(),
        max_test_error_deviation,
        max_train_loss_deviation,
        learning_steps_by_rate: Vec::new(),
    };
    Ok(Record {
        times,
        losses,
        test_errors,
        theory_test_errors,
        theory_losses,
        strengths,
        theory,
        metrics,
        illusory,
        hidden_similarity,
    })
}

/// Whether the training inputs are white (`Σ_xx = I` to 1e-9).
fn data_is_white(data: &Dataset) -> bool {
    let (p, n) = (data.n_train, data.n_in);
    let x = neurodyn_core::mat::view(&data.x_train, p, n);
    let c = x.transpose() * x;
    (0..n).all(|i| (0..n).all(|j| (c[(i, j)] / p as f64 - f64::from(i == j)).abs() < 1e-9))
}

impl Prepared for PreparedDeepLinear {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        toml::to_string_pretty(&self.spec).expect("a deep_linear spec serialises to TOML")
    }
    fn describe(&self) -> String {
        let s = &self.spec.deep_linear;
        let what = match &s.data {
            Data::Teacher(_) => "a linear teacher",
            Data::Hierarchy(_) => "hierarchical items",
            Data::Mixture(_) => "Gaussian clusters",
            Data::Shapes(_) => "rendered shapes",
        };
        format!(
            "{} deep linear networks on {what}, {} steps of gradient descent",
            s.networks.len(),
            s.steps
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let spec = &self.spec;
        let (data, teacher_map) = spec.data()?;
        let sigma = data.input_output_correlation();
        let modes = Modes::of(&sigma, spec.n_modes()).ok_or("the SVD of Σ_yx did not converge")?;
        let zero_loss =
            data.y_train.iter().map(|v| v * v).sum::<f64>() / (2.0 * data.n_train as f64);
        let teacher = teacher_map.map(|t| {
            let projections = modes.strengths(&t);
            Teacher { norm2: t.squared_norm_l2(), t, projections }
        });
        let records: Vec<Record> = (0..spec.deep_linear.networks.len())
            .map(|i| train(spec, i, &data, &modes, teacher.as_ref(), zero_loss, ctx))
            .collect::<Result<_, _>>()?;
        let generalization = match (&spec.deep_linear.data, &teacher) {
            (Data::Teacher(cfg), Some(t)) => Some(generalization(cfg, t, &sigma, &records)),
            _ => None,
        };

        let first = &records[0];
        // Theory: at the end of learning W₁ᵀW₁ = V diag(s) Vᵀ (balanced layers), so the items'
        // hidden similarity is X V diag(s) Vᵀ Xᵀ.
        let p = data.n_train;
        let x = neurodyn_core::mat::view(&data.x_train, p, data.n_in);
        let mut scaled = modes.v.clone();
        for a in 0..modes.len() {
            for i in 0..scaled.nrows() {
                scaled[(i, a)] *= modes.s[a];
            }
        }
        let theory_sim = x * &scaled * modes.v.transpose() * x.transpose();
        let theory_sim: Vec<f64> = (0..p * p).map(|k| theory_sim[(k / p, k % p)]).collect();
        let hidden_similarity_r =
            first.hidden_similarity.as_ref().map_or(f64::NAN, |h| pearson(h, &theory_sim));

        let r = modes.len();
        let n_rec = first.times.len();
        let mut arrays = vec![
            ("times".to_string(), Array::f64(&[n_rec], first.times.clone())),
            ("singular_values".to_string(), Array::f64(&[r], modes.s.clone())),
            ("hidden_similarity_theory".to_string(), Array::f64(&[p, p], theory_sim)),
        ];
        if let Some(h) = &first.hidden_similarity {
            arrays.push(("hidden_similarity".to_string(), Array::f64(&[p, p], h.clone())));
        }
        let mut networks = serde_json::Map::new();
        for (n, rec) in spec.deep_linear.networks.iter().zip(&records) {
            let k = rec.times.len();
            arrays.push((format!("{}_times", n.name), Array::f64(&[k], rec.times.clone())));
            arrays.push((format!("{}_loss", n.name), Array::f64(&[k], rec.losses.clone())));
            for (what, v) in [
                ("test_error", Some(&rec.test_errors)),
                ("theory_test_error", rec.theory_test_errors.as_ref()),
                ("theory_loss", rec.theory_losses.as_ref()),
            ] {
                if let Some(v) = v.filter(|v| v.len() == k) {
                    arrays.push((format!("{}_{what}", n.name), Array::f64(&[k], v.clone())));
                }
            }
            arrays.push((
                format!("{}_strengths", n.name),
                Array::f64(&[k, r], rec.strengths.concat()),
            ));
            if let Some(th) = &rec.theory {
                arrays.push((format!("{}_theory", n.name), Array::f64(&[k, r], th.concat())));
            }
            networks.insert(
                n.name.clone(),
                serde_json::to_value(&rec.metrics).expect("metrics serialise"),
            );
        }
        let m = DeepLinearMetrics {
            singular_values: modes.s.clone(),
            zero_map_loss: zero_loss,
            illusory_correlations: first.illusory,
            hidden_similarity_r,
            generalization,
            networks,
        };
        let summary = format!(
            "{}: {} networks; first: final loss {:.3e}{}",
            spec.name,
            records.len(),
            first.metrics.final_loss,
            first.metrics.max_half_time_error.map_or(String::new(), |e| format!(
                ", half-times within {:.1} % of theory",
                100.0 * e
            ))
        );
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Ok(Outcome { files: vec![("deep_linear.npz".to_string(), arrays)], metrics, summary })
    }
}

/// Generalization on a noisy teacher: the spiked model's predictions for the square case, the
/// optimal shrinkage estimator's test error, and the networks' early-stopped errors.
fn generalization(
    cfg: &LinearTeacher,
    t: &Teacher,
    sigma_yx: &Mat<f64>,
    records: &[Record],
) -> Generalization {
    let noise = cfg.noise * (cfg.n_in as f64 / cfg.n_train as f64).sqrt();
    let square = cfg.n_in == cfg.n_out && cfg.noise > 0.0;
    let all = Modes::of(sigma_yx, cfg.n_in.min(cfg.n_out));
    let predicted: Option<Vec<f64>> = square
        .then(|| cfg.singular_values.iter().map(|s| noise * spike_outlier(s / noise)).collect());
    let max_singular_value_error = predicted
        .as_ref()
        .zip(all.as_ref())
        .map(|(p, m)| p.iter().zip(&m.s).map(|(p, s)| (s / p - 1.0).abs()).fold(0.0, f64::max));
    let optimal_shrinkage_test_error = all.as_ref().filter(|_| square).map(|m| {
        let mut w = Mat::<f64>::zeros(cfg.n_out, cfg.n_in);
        for a in 0..m.len() {
            let strength = optimal_shrinkage(m.s[a], noise);
            if strength > 0.0 {
                w += m.u.col(a) * m.v.col(a).transpose() * faer::Scale(strength);
            }
        }
        0.5 * (&t.t - &w).squared_norm_l2()
    });
    let stopped: Vec<f64> =
        records.iter().filter_map(|r| r.metrics.early_stopped_test_error).collect();
    let best = stopped.iter().copied().fold(f64::INFINITY, f64::min);
    let worst = stopped.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Generalization {
        teacher_singular_values: cfg.singular_values.clone(),
        noise_scale: noise,
        predicted_singular_values: predicted,
        max_singular_value_error,
        optimal_shrinkage_test_error,
        best_early_stopped_test_error: best,
        early_stopped_spread: worst / best,
    }
}

fn figures(dir: &Path, metrics: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
    let file = dir.join("deep_linear.npz");
    let names: Vec<String> =
        metrics["networks"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    let mut figures = Vec::new();
    let (_, s) = read_f64(&file, "singular_values")?;
    let r = s.len();
    for name in names.iter().take(4) {
        let (_, t) = read_f64(&file, &format!("{name}_times"))?;
        let (_, a) = read_f64(&file, &format!("{name}_strengths"))?;
        let theory = read_f64(&file, &format!("{name}_theory")).ok().map(|(_, v)| v);
        let mut p = Plot::new(&format!("Mode strengths: {name}"), "time t/τ", "mode strength a_α");
        for k in 0..r.min(COLORS.len()) {
            let col: Vec<f64> = (0..t.len()).map(|i| a[i * r + k]).collect();
            let c = COLORS[k % COLORS.len()];
            p.line(&t, &col, c, 2.0);
            if let Some(th) = &theory {
                let tc: Vec<f64> = (0..t.len()).map(|i| th[i * r + k]).collect();
                p.dashed(&t, &tc, "#333333", 1.0);
            }
            p.legend(&format!("s = {:.3}", s[k]), c, None);
        }
        if theory.is_some() {
            p.legend("theory (Saxe et al.)", "#333333", None);
        }
        figures.push(Figure {
            file: format!("modes_{name}.svg"),
            svg: p.to_svg(),
            caption: format!(
                "Strength u_αᵀ W_tot v_α of each mode of Σ_yx in network {name} over training (solid){}.",
                if theory.is_some() {
                    ", with the exact deep-linear solution from each mode's effective starting strength (dashed)"
                } else {
                    ""
                }
            ),
        });
    }
    if let (Ok((_, measured)), Ok((_, theory))) =
        (read_f64(&file, "hidden_similarity"), read_f64(&file, "hidden_similarity_theory"))
    {
        let mut p = Plot::new(
            "Hidden similarity of the items",
            "theory: (X V diag(s) Vᵀ Xᵀ)_ij",
            "measured h_i · h_j",
        );
        p.points(&theory, &measured, COLORS[0], Marker::Dot, 2.5);
        figures.push(Figure {
            file: "hidden_similarity.svg".into(),
            svg: p.to_svg(),
            caption: format!(
                "Every pair of training inputs: the dot product of their first-hidden-layer representations at the end of training (first network) against the theory's (r = {:.6}).",
                metrics["hidden_similarity_r"].as_f64().unwrap_or(f64::NAN)
            ),
        });
    }
    if metrics["generalization"].is_object() {
        let mut p = Plot::new("Generalization", "time t/τ", "population test error ‖T − W‖²/2");
        let mut last_t: f64 = 0.0;
        for (i, name) in names.iter().enumerate() {
            let Ok((_, e)) = read_f64(&file, &format!("{name}_test_error")) else { continue };
            let (_, t) = read_f64(&file, &format!("{name}_times"))?;
            last_t = last_t.max(t.last().copied().unwrap_or(0.0));
            let c = COLORS[i % COLORS.len()];
            p.line(&t, &e, c, 2.0);
            p.legend(name, c, None);
            if let Ok((_, th)) = read_f64(&file, &format!("{name}_theory_test_error")) {
                p.dashed(&t, &th, "#333333", 1.0);
            }
        }
        p.legend("theory (mode curves of the noisy Σ_yx)", "#333333", None);
        if let Some(e) = metrics["generalization"]["optimal_shrinkage_test_error"].as_f64() {
            p.dashed(&[0.0, last_t], &[e, e], "#2ca02c", 1.5);
            p.legend("optimal shrinkage (no training)", "#2ca02c", None);
        }
        figures.push(Figure {
            file: "generalization.svg".into(),
            svg: p.to_svg(),
            caption: "Test error on the noise-free teacher over training (solid), the theory from Saxe's curves on every mode of the training data's Σ_yx (dashed), and the optimal singular-value shrinkage of Σ_yx (green).".into(),
        });
    }
    let mut p = Plot::new("Training loss", "time t/τ", "loss").log_y();
    for (i, name) in names.iter().enumerate() {
        let (_, t) = read_f64(&file, &format!("{name}_times"))?;
        let (_, l) = read_f64(&file, &format!("{name}_loss"))?;
        let c = COLORS[i % COLORS.len()];
        p.line(&t, &l, c, 2.0);
        p.legend(name, c, None);
    }
    figures.push(Figure {
        file: "loss.svg".into(),
        svg: p.to_svg(),
        caption: "Half mean squared error of every network over training, time in units of its own τ = 1/η.".into(),
    });
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Limits;

    fn run(text: &str) -> serde_json::Value {
        let prepared =
            DeepLinearKind.prepare(text, "t.toml", Path::new("."), &Limits::none()).unwrap();
        crate::kinds::scratch(|ctx| prepared.run(ctx)).unwrap().metrics
    }

    #[test]
    fn gradient_descent_of_the_ffn_model_follows_the_exact_curves() {
        let m = run(r#"
name = "t"
seed = 2
[deep_linear]
data = { teacher = { n_in = 6, n_out = 5, singular_values = [4.0, 2.0, 1.0], n_train = 6 } }
learning_rate = 0.002
steps = 4000
record_every = 5
modes = 3
networks = [{ name = "d", hidden = [6], start = { kind = "decoupled", a0 = 0.001 } }]
"#);
        let d = &m["networks"]["d"];
        // η s ≤ 0.008: the discrete map's half-times are within ~1 % of the flow's.
        assert!(d["max_half_time_error"].as_f64().unwrap() < 0.02, "{d}");
        assert_eq!(d["order_inversions"], 0);
        assert!(m["hidden_similarity_r"].as_f64().unwrap() > 0.999);
    }
}
