//! The `delays` run kind (`[delays]` specs): learning heterogeneous synaptic delays for motion
//! detection (Grimaldi & Perrinet 2023, arXiv:2307.14077). A read-out layer with a weight and a delay per
//! synapse (`models::delays::DelayReadout`) learns, by time-invariant logistic regression on
//! the events, to tell the direction of a bar sweeping across a row of pixels
//! (`tasks::events::MovingBars`). Next to it the same layer with every delay held at zero (only
//! weights learned) shows what the delays are for, and the learned layer is evaluated again
//! after its smallest weights are pruned (without retraining).
//!
//! ```toml
//! name = "motion"
//! [delays]
//! task = { pixels = 16, duration = 100.0, speed = [0.3, 0.5], jitter = 0.5, noise_rate = 5.0 }
//! model = { sigma = 2.0, d_max = 60.0 }
//! train = { samples = 1000, test = 500, epochs = 30 }
//! prune = [0.5, 0.9]
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_core::{RangeError, check, rng};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, check_name, range_error, schema_version, serde_error,
};
use neurodyn_models::delays::DelayReadout;
use neurodyn_report::svg::{Marker, Plot};
use neurodyn_tasks::events::{EventSample, MovingBars};
use neurodyn_train::Optimizer;
use neurodyn_train::OptimizerKind;
use rand::seq::SliceRandom;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A delay-learning experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelaysSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of the data, the initial layer and the minibatches.
    #[serde(default)]
    pub seed: u64,
    /// The experiment.
    pub delays: Settings,
}

/// Task, layer, training and pruning.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The event streams.
    pub task: MovingBars,
    /// The read-out layer.
    pub model: Model,
    /// Training.
    pub train: Train,
    /// Fractions of the weights pruned (smallest magnitude first) [1].
    #[serde(default)]
    pub prune: Vec<f64>,
}

/// The read-out layer's settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Kernel width `σ` [ms].
    pub sigma: f64,
    /// Largest delay [ms].
    pub d_max: f64,
    /// Time grid of the maximum [ms].
    #[serde(default = "half")]
    pub step: f64,
    /// Standard deviation of the initial weights [1].
    #[serde(default = "tenth")]
    pub w_scale: f64,
    /// Units per direction, each free to learn its own delays (e.g. for a band of speeds) [1].
    #[serde(default = "one")]
    pub units_per_class: usize,
}

/// Minibatch Adam on the cross-entropy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Train {
    /// Training samples [1].
    pub samples: usize,
    /// Held-out samples [1].
    pub test: usize,
    /// Passes over the training samples [1].
    pub epochs: usize,
    /// Samples per update [1].
    #[serde(default = "fifty")]
    pub batch: usize,
    /// Adam's learning rate [1].
    #[serde(default = "lr")]
    pub learning_rate: f64,
}

fn half() -> f64 {
    0.5
}
fn tenth() -> f64 {
    0.1
}
fn one() -> usize {
    1
}
fn fifty() -> usize {
    50
}
fn lr() -> f64 {
    0.05
}

impl DelaysSpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let s = &self.delays;
        s.task.validate().map_err(|mut e| {
            e.field = format!("delays.task.{}", e.field);
            e
        })?;
        self.layer(0).map_err(|mut e| {
            e.field = format!("delays.model.{}", e.field);
            e
        })?;
        let t = &s.train;
        check(
            (10..=1_000_000).contains(&t.samples),
            "delays.train.samples",
            t.samples,
            "10 to 1e6",
        )?;
        check((10..=1_000_000).contains(&t.test), "delays.train.test", t.test, "10 to 1e6")?;
        check((1..=100_000).contains(&t.epochs), "delays.train.epochs", t.epochs, "1 to 1e5")?;
        check(
            t.batch >= 1 && t.batch <= t.samples,
            "delays.train.batch",
            t.batch,
            "between 1 and the training samples",
        )?;
        check(
            t.learning_rate > 0.0 && t.learning_rate <= 10.0,
            "delays.train.learning_rate",
            t.learning_rate,
            "between 0 and 10",
        )?;
        for (i, &f) in s.prune.iter().enumerate() {
            check(
                (0.0..1.0).contains(&f),
                &format!("delays.prune[{i}]"),
                f,
                "a fraction in [0, 1)",
            )?;
        }
        Ok(())
    }

    fn layer(&self, seed: u64) -> Result<DelayReadout, RangeError> {
        let (t, m) = (&self.delays.task, &self.delays.model);
        DelayReadout::new(
            t.pixels,
            2,
            m.units_per_class,
            m.sigma,
            m.d_max,
            m.step,
            t.duration,
            m.w_scale,
            seed,
        )
    }
}

/// `metrics.json` of a delay-learning experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DelaysMetrics {
    /// Held-out accuracy of the layer with learned delays [1].
    pub test_accuracy: f64,
    /// Its training accuracy [1].
    pub train_accuracy: f64,
    /// Held-out accuracy with every delay held at zero (weights learned) [1].
    pub no_delay_test_accuracy: f64,
    /// The pruned fractions [1].
    pub prune: Vec<f64>,
    /// Held-out accuracy of the learned layer after each pruning [1].
    pub pruned_accuracy: Vec<f64>,
    /// Accuracy at the largest pruning over the unpruned accuracy [1].
    pub most_pruned_kept: f64,
    /// Cross-entropy per epoch, learned delays [nats].
    pub loss: Vec<f64>,
    /// Cross-entropy per epoch, no delays [nats].
    pub no_delay_loss: Vec<f64>,
}

/// The `delays` kind.
pub struct DelaysKind;

/// A validated experiment.
pub struct PreparedDelays {
    spec: DelaysSpec,
}

impl Kind for DelaysKind {
    fn name(&self) -> &'static str {
        "delays"
    }
    fn table(&self) -> &'static str {
        "delays"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: DelaysSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        spec.validate().map_err(|e| range_error(text, file, e))?;
        let s = &spec.delays;
        let mut m = MemoryEstimate::new();
        let events = s.task.pixels as f64 * (1.0 + s.task.noise_rate * s.task.duration * 1e-3);
        m.add("delays.train.samples", (s.train.samples + s.train.test) as f64 * events, 8.0);
        m.check(limits, text, file)?;
        Ok(Box::new(PreparedDelays { spec }))
    }
    fn figures(&self, dir: &Path, _: &str, _: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
        let file = dir.join("delays.npz");
        let (shape, delays) = read_f64(&file, "delays")?;
        let (_, weights) = read_f64(&file, "weights")?;
        let n_in = shape.get(1).copied().unwrap_or(1);
        let mut p =
            Plot::new("Learned delays against pixel, per direction unit", "pixel", "delay [ms]");
        let n_units = shape.first().copied().unwrap_or(2);
        let per_class = (n_units / 2).max(1);
        let blues = ["#1f77b4", "#6baed6", "#08519c", "#9ecae1"];
        let reds = ["#d62728", "#fc9272", "#a50f15", "#fcbba1"];
        for k in 0..n_units {
            let (class, i) = (k / per_class, k % per_class);
            let color = if class == 0 { blues[i % 4] } else { reds[i % 4] };
            let (x, y): (Vec<f64>, Vec<f64>) = (0..n_in)
                .filter(|&j| weights[k * n_in + j] > 0.0)
                .map(|j| (j as f64, delays[k * n_in + j]))
                .unzip();
            p.points(&x, &y, color, Marker::Dot, 3.5);
            let dir = if class == 0 { "rightward" } else { "leftward" };
            p.legend(&format!("{dir} unit {i} (excitatory weights)"), color, Some(Marker::Dot));
        }
        let (_, loss) = read_f64(&file, "loss")?;
        let (_, control) = read_f64(&file, "no_delay_loss")?;
        let e: Vec<f64> = (1..=loss.len()).map(|i| i as f64).collect();
        let mut l = Plot::new("Training loss", "epoch", "cross-entropy [nats]");
        l.line(&e, &loss, "#1f77b4", 1.5);
        l.line(&e, &control, "#7f7f7f", 1.5);
        l.legend("learned delays", "#1f77b4", None);
        l.legend("delays held at 0", "#7f7f7f", None);
        Ok(vec![Figure {
            file: "delays.svg".into(),
            svg: neurodyn_report::svg::stack(&[p, l]),
            caption: "Above, the delay each direction unit learned for each pixel (excitatory synapses): a ramp across the pixels in opposite senses lines up the events of a bar moving in the unit's direction. Below, the training loss with learned delays and with delays held at zero.".into(),
        }])
    }
}

/// Trains `layer` by minibatch Adam for the spec's epochs; `learn_delays = false` keeps the
/// delays where they are. Returns the loss per epoch.
fn train(
    spec: &DelaysSpec,
    layer: &mut DelayReadout,
    data: &[EventSample],
    learn_delays: bool,
    tag: u64,
) -> Vec<f64> {
    let t = &spec.delays.train;
    let mut opt = Optimizer::<f64>::new(
        OptimizerKind::Adam { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
        layer.params.len(),
    );
    let mut order: Vec<usize> = (0..data.len()).collect();
    let mut r = rng::stream(spec.seed, "delays/batches", tag);
    let m = layer.n_in * layer.n_out;
    let mut losses = Vec::with_capacity(t.epochs);
    for _ in 0..t.epochs {
        order.shuffle(&mut r);
        let mut total = 0.0;
        for chunk in order.chunks(t.batch) {
            // Each minibatch's gradient summed over samples in parallel.
            let parts: Vec<(f64, Vec<f64>)> = chunk
                .par_chunks(chunk.len().div_ceil(rayon::current_num_threads()).max(1))
                .map(|c| {
                    let batch: Vec<(&[Vec<f64>], usize)> =
                        c.iter().map(|&i| (data[i].events.as_slice(), data[i].label)).collect();
                    let (l, g) = layer.loss_and_gradient(&batch);
                    let w = c.len() as f64;
                    (l * w, g.into_iter().map(|x| x * w).collect())
                })
                .collect();
            let n = chunk.len() as f64;
            let mut grad = vec![0.0; layer.params.len()];
            for (l, g) in parts {
                total += l;
                grad.iter_mut().zip(g).for_each(|(a, b)| *a += b / n);
            }
            if !learn_delays {
                grad[m..2 * m].iter_mut().for_each(|g| *g = 0.0);
            }
            opt.update(&mut layer.params, &grad, t.learning_rate);
            layer.clamp_delays();
        }
        losses.push(total / data.len() as f64);
    }
    losses
}

fn accuracy(layer: &DelayReadout, data: &[EventSample]) -> f64 {
    let right: usize =
        data.par_iter().map(|s| usize::from(layer.predict(&s.events) == s.label)).sum();
    right as f64 / data.len() as f64
}

impl Prepared for PreparedDelays {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        toml::to_string_pretty(&self.spec).expect("a delays spec serialises to TOML")
    }
    fn describe(&self) -> String {
        let s = &self.spec.delays;
        format!(
            "learned delays for motion direction: {} pixels, {} training samples, {} epochs",
            s.task.pixels, s.train.samples, s.train.epochs
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let spec = &self.spec;
        let s = &spec.delays;
        let train_set = s.task.samples(s.train.samples, spec.seed, 0);
        let test_set = s.task.samples(s.train.test, spec.seed, 1);
        ctx.progress.phase("layers", 2);
        let (learned, loss) = ctx.unit("learned", || {
            let mut layer = spec.layer(spec.seed).map_err(|e| e.to_string())?;
            let loss = train(spec, &mut layer, &train_set, true, 0);
            Ok((layer, loss))
        })?;
        ctx.cases_done(1, 2);
        let (control, control_loss) = ctx.unit("no_delays", || {
            let mut layer = spec.layer(spec.seed).map_err(|e| e.to_string())?;
            layer.set_delays(0.0);
            let loss = train(spec, &mut layer, &train_set, false, 1);
            Ok((layer, loss))
        })?;
        ctx.cases_done(2, 2);
        let test_accuracy = accuracy(&learned, &test_set);
        let pruned_accuracy: Vec<f64> = s
            .prune
            .iter()
            .map(|&f| {
                let mut p = learned.clone();
                p.prune(f);
                accuracy(&p, &test_set)
            })
            .collect();
        let most = s
            .prune
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(1.0, |(i, _)| pruned_accuracy[i] / test_accuracy);
        let m = DelaysMetrics {
            test_accuracy,
            train_accuracy: accuracy(&learned, &train_set),
            no_delay_test_accuracy: accuracy(&control, &test_set),
            prune: s.prune.clone(),
            pruned_accuracy: pruned_accuracy.clone(),
            most_pruned_kept: most,
            loss: loss.clone(),
            no_delay_loss: control_loss.clone(),
        };
        let summary = format!(
            "{}: direction from events at {:.3} held-out accuracy with learned delays ({:.3} without delays); after pruning {:?} of the weights: {:?}",
            spec.name,
            m.test_accuracy,
            m.no_delay_test_accuracy,
            s.prune,
            pruned_accuracy.iter().map(|a| (a * 1000.0).round() / 1000.0).collect::<Vec<_>>()
        );
        let (n_in, mm) = (learned.n_in, learned.n_in * learned.n_out);
        let arrays = vec![
            (
                "weights".to_string(),
                Array::f64(&[learned.n_out, n_in], learned.params[..mm].to_vec()),
            ),
            (
                "delays".to_string(),
                Array::f64(&[learned.n_out, n_in], learned.params[mm..2 * mm].to_vec()),
            ),
            ("loss".to_string(), Array::f64(&[loss.len()], loss)),
            ("no_delay_loss".to_string(), Array::f64(&[control_loss.len()], control_loss)),
        ];
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Ok(Outcome { files: vec![("delays.npz".to_string(), arrays)], metrics, summary })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Limits;

    const SPEC: &str = r#"
name = "small"
seed = 3
[delays]
task = { pixels = 8, duration = 60.0, speed = [0.3, 0.5], jitter = 0.3 }
model = { sigma = 2.0, d_max = 30.0, units_per_class = 2 }
train = { samples = 200, test = 200, epochs = 15, batch = 20 }
prune = [0.5]
"#;

    fn prepare(text: &str) -> Result<Box<dyn Prepared>, SpecError> {
        DelaysKind.prepare(text, "d.toml", Path::new("."), &Limits::none())
    }

    #[test]
    fn learned_delays_tell_the_direction_and_no_delays_cannot() {
        let prepared = prepare(SPEC).unwrap();
        let out = crate::kinds::scratch(|ctx| prepared.run(ctx)).unwrap();
        let m: DelaysMetrics = serde_json::from_value(out.metrics).unwrap();
        assert!(m.test_accuracy > 0.9, "{m:?}");
        // Mirror symmetry: with every delay 0, a sweep and its reverse give the same maximum
        // up to the sample window's edges, so the control stays near chance.
        assert!(m.no_delay_test_accuracy < 0.65, "{m:?}");
        assert!(m.loss.last() < m.loss.first(), "{:?}", m.loss);
    }

    #[test]
    fn bad_settings_are_located_errors() {
        let e = prepare(&SPEC.replace("speed = [0.3, 0.5]", "speed = [0.01, 0.5]")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("delays.task.duration"), "{e}");
        let e = prepare(&SPEC.replace("sigma = 2.0", "sigma = -1.0")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("delays.model.sigma"), "{e}");
        let e = prepare(&SPEC.replace("prune = [0.5]", "prune = [1.5]")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("delays.prune[0]"), "{e}");
    }
}
