//! The `encoding` run kind (`[encoding]` specs): can a chaotic network's spike patterns tell
//! two nearly identical stimuli apart? (Lajoie, Thivierge & Shea-Brown 2016, arXiv:1604.07497.)
//!
//! A balanced network of theta neurons (`analysis::driven_theta`, the model class of the
//! chaos kind's driven studies) is driven in a random subset of its neurons by a frozen
//! white-noise stimulus — `A`, or `B = ρ A + √(1 − ρ²) ξ`, correlated `ρ` with it — while the
//! other neurons receive a frozen background of the same strength, identical under both
//! stimuli, so they hear of the stimulus only through the network. Trials differ in their
//! initial phases. Measured: the largest Lyapunov exponent under `A` (the network is chaotic
//! when positive), and how well a leave-one-out nearest-class-mean decoder
//! (`analysis::decoding`) on van Rossum distances (time constant `τ`) tells `A` trials from
//! `B` trials in a window after the transient, from small groups of driven cells and of
//! undriven cells; as controls, the same decoder on spike counts only, and on two halves of
//! the `A` trials (chance by construction).
//!
//! ```toml
//! name = "encoding"
//! [encoding]
//! network = { n = 400, in_degree = 20, epsilon = 1.5 }
//! driven_fraction = 0.5
//! correlation = 0.95
//! trials = 20
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_analysis::decoding::{count_matrix, nearest_class_accuracy, van_rossum_matrix};
use neurodyn_analysis::driven_theta::{DrivenTheta, DrivenThetaConfig};
use neurodyn_analysis::lyapunov::{LyapunovConfig, lyapunov_spectrum};
use neurodyn_analysis::similarity::pearson;
use neurodyn_core::{RangeError, check, rng};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, check_name, range_error, schema_version, serde_error,
};
use neurodyn_report::svg::{Marker, Plot};
use rand::seq::SliceRandom;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// An encoding experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncodingSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of the network, the stimuli, the background and the trials.
    #[serde(default)]
    pub seed: u64,
    /// The experiment.
    pub encoding: Settings,
}

/// The network, the stimuli and the decoder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The theta network.
    pub network: Network,
    /// Fraction of neurons that receive the stimulus (a random subset) [1].
    #[serde(default = "half")]
    pub driven_fraction: f64,
    /// Correlation `ρ` of stimulus `B` with stimulus `A` [1].
    pub correlation: f64,
    /// Trials per stimulus [1].
    #[serde(default = "twenty")]
    pub trials: usize,
    /// Time before the decoding window [time units].
    #[serde(default = "fifty")]
    pub transient: f64,
    /// The decoding window [time units].
    #[serde(default = "twenty_f")]
    pub window: f64,
    /// van Rossum time constant `τ` [time units].
    #[serde(default = "one")]
    pub tau: f64,
    /// Cells per decoding group [1].
    #[serde(default = "ten")]
    pub group_size: usize,
    /// Groups drawn of each kind (driven, undriven) [1].
    #[serde(default = "ten")]
    pub groups: usize,
    /// Time over which the largest Lyapunov exponent is measured (after the transient)
    /// [time units].
    #[serde(default = "two_hundred")]
    pub lyapunov_duration: f64,
}

/// A balanced theta network (`analysis::driven_theta::DrivenThetaConfig`, defaults as the
/// chaos kind's `theta_driven`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Network {
    /// Neurons `N` [1].
    pub n: usize,
    /// Fraction of excitatory neurons [1].
    #[serde(default = "eighty")]
    pub frac_exc: f64,
    /// Inputs per neuron `K` [1].
    pub in_degree: usize,
    /// Excitatory weight scale `a_E` (weights `a_E/√K`) [1].
    #[serde(default = "one")]
    pub a_exc: f64,
    /// Inhibitory weight scale `a_I` (weights `−a_I/√K`) [1].
    #[serde(default = "four")]
    pub a_inh: f64,
    /// Excitability `η` [1].
    #[serde(default = "minus_half")]
    pub eta: f64,
    /// Amplitude `ε` of the stimulus and of the background [1].
    pub epsilon: f64,
    /// Euler–Maruyama step [time units].
    #[serde(default = "dt")]
    pub dt: f64,
    /// Pulse sharpness `m` [1].
    #[serde(default = "pulse_order")]
    pub pulse_order: u32,
}

fn half() -> f64 {
    0.5
}
fn twenty() -> usize {
    20
}
fn fifty() -> f64 {
    50.0
}
fn twenty_f() -> f64 {
    20.0
}
fn one() -> f64 {
    1.0
}
fn ten() -> usize {
    10
}
fn two_hundred() -> f64 {
    200.0
}
fn eighty() -> f64 {
    0.8
}
fn four() -> f64 {
    4.0
}
fn minus_half() -> f64 {
    -0.5
}
fn dt() -> f64 {
    0.05
}
fn pulse_order() -> u32 {
    10
}

impl Network {
    fn config(&self) -> DrivenThetaConfig {
        DrivenThetaConfig {
            n: self.n,
            frac_exc: self.frac_exc,
            in_degree: self.in_degree,
            a_exc: self.a_exc,
            a_inh: self.a_inh,
            eta: self.eta,
            epsilon: self.epsilon,
            dt: self.dt,
            pulse_order: self.pulse_order,
        }
    }
}

impl EncodingSpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let e = &self.encoding;
        e.network.config().validate().map_err(|mut err| {
            err.field = format!("encoding.network.{}", err.field);
            err
        })?;
        check(e.network.n <= 100_000, "encoding.network.n", e.network.n, "at most 100000")?;
        check(
            (0.0..=1.0).contains(&e.driven_fraction),
            "encoding.driven_fraction",
            e.driven_fraction,
            "between 0 and 1",
        )?;
        let driven = self.n_driven();
        check(
            driven >= e.group_size && e.network.n - driven >= e.group_size,
            "encoding.driven_fraction",
            e.driven_fraction,
            &format!(
                "a fraction leaving at least group_size = {} driven and undriven neurons",
                e.group_size
            ),
        )?;
        check(
            (-1.0..=1.0).contains(&e.correlation),
            "encoding.correlation",
            e.correlation,
            "between -1 and 1",
        )?;
        check(
            (4..=10_000).contains(&e.trials),
            "encoding.trials",
            e.trials,
            "between 4 and 10000 (two halves of at least two for the chance control)",
        )?;
        let time = |v: f64, field: &str, low: f64| {
            check(
                v >= low && v <= 1e6,
                &format!("encoding.{field}"),
                v,
                &format!("between {low} and 1e6 [time units]"),
            )
        };
        time(e.transient, "transient", 0.0)?;
        time(e.window, "window", e.network.dt)?;
        time(e.lyapunov_duration, "lyapunov_duration", 10.0 * e.network.dt)?;
        check(e.tau > 0.0 && e.tau.is_finite(), "encoding.tau", e.tau, "a finite value > 0")?;
        check(e.group_size >= 1, "encoding.group_size", e.group_size, "at least 1")?;
        check((1..=1000).contains(&e.groups), "encoding.groups", e.groups, "between 1 and 1000")
    }

    fn n_driven(&self) -> usize {
        let e = &self.encoding;
        (e.driven_fraction * e.network.n as f64).round() as usize
    }

    fn steps(&self, time: f64) -> usize {
        (time / self.encoding.network.dt).round() as usize
    }
}

/// `metrics.json` of an encoding experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EncodingMetrics {
    /// Largest Lyapunov exponent under stimulus `A` [1/time unit].
    pub lambda_max: f64,
    /// Its standard error over segments [1/time unit].
    pub lambda_max_standard_error: f64,
    /// The measured correlation of the two stimuli's samples [1].
    pub stimulus_correlation: f64,
    /// Mean rate in the decoding window [spikes/time unit].
    pub mean_rate: f64,
    /// Spike-time decoder, groups of driven cells: mean accuracy over groups [1].
    pub driven_accuracy: f64,
    /// Spike-time decoder, groups of undriven cells [1].
    pub undriven_accuracy: f64,
    /// Spike-count decoder, driven groups [1].
    pub driven_count_accuracy: f64,
    /// Spike-count decoder, undriven groups [1].
    pub undriven_count_accuracy: f64,
    /// Chance control: the spike-time decoder on two halves of the `A` trials, driven groups
    /// [1].
    pub chance_accuracy: f64,
    /// Per group: spike-time accuracies of the driven groups [1].
    pub driven_accuracies: Vec<f64>,
    /// Per group: spike-time accuracies of the undriven groups [1].
    pub undriven_accuracies: Vec<f64>,
    /// Neurons receiving the stimulus [1].
    pub n_driven: usize,
}

/// The `encoding` kind.
pub struct EncodingKind;

/// A validated encoding experiment.
pub struct PreparedEncoding {
    spec: EncodingSpec,
}

impl Kind for EncodingKind {
    fn name(&self) -> &'static str {
        "encoding"
    }
    fn table(&self) -> &'static str {
        "encoding"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: EncodingSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        spec.validate().map_err(|e| range_error(text, file, e))?;
        let e = &spec.encoding;
        let n = e.network.n as f64;
        let steps = spec.steps(e.transient + e.window.max(e.lyapunov_duration)) as f64;
        let mut m = MemoryEstimate::new();
        // Three noise arrays (A, B, background) of steps × N, and N² for nothing else.
        m.add("encoding.network.n", steps * n * 3.0, 8.0);
        m.add("encoding.trials", 2.0 * e.trials as f64 * n * 20.0, 8.0);
        m.check(limits, text, file)?;
        Ok(Box::new(PreparedEncoding { spec }))
    }
    fn figures(&self, dir: &Path, _: &str, _: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
        let file = dir.join("encoding.npz");
        let (_, driven) = read_f64(&file, "driven_accuracies")?;
        let (_, undriven) = read_f64(&file, "undriven_accuracies")?;
        let (_, controls) = read_f64(&file, "controls")?;
        let mut p = Plot::new(
            "Telling stimulus A from B, per group of cells",
            "group",
            "leave-one-out accuracy",
        );
        let x = |v: &[f64]| -> Vec<f64> { (0..v.len()).map(|i| i as f64).collect() };
        p.points(&x(&driven), &driven, "#1f77b4", Marker::Dot, 3.5);
        p.points(&x(&undriven), &undriven, "#ff7f0e", Marker::Dot, 3.5);
        let ends = [0.0, driven.len().max(2) as f64 - 1.0];
        p.dashed(&ends, &[0.5, 0.5], "#7f7f7f", 1.0);
        p.line(&ends, &[controls[0], controls[0]], "#2ca02c", 1.0);
        p.legend("spike times, driven cells", "#1f77b4", Some(Marker::Dot));
        p.legend("spike times, undriven cells", "#ff7f0e", Some(Marker::Dot));
        p.legend("chance (0.5)", "#7f7f7f", None);
        p.legend("control: A vs A, driven", "#2ca02c", None);
        let mut figures = vec![Figure {
            file: "encoding_accuracy.svg".into(),
            svg: p.to_svg(),
            caption: "Accuracy of the leave-one-out nearest-class-mean decoder on van Rossum distances, for each group of driven cells (receiving the stimulus) and of undriven cells (reached only through the network), with the chance level and the control that splits the A trials in two.".into(),
        }];
        if let (Ok((shape, a)), Ok((_, b))) =
            (read_f64(&file, "raster_a"), read_f64(&file, "raster_b"))
        {
            let _ = shape;
            let mut r = Plot::new(
                "One driven cell's spikes across trials",
                "time in the decoding window [time units]",
                "trial (A below, B above)",
            );
            let (ta, ya): (Vec<f64>, Vec<f64>) = a.chunks(2).map(|c| (c[0], c[1])).unzip();
            let (tb, yb): (Vec<f64>, Vec<f64>) = b.chunks(2).map(|c| (c[0], c[1])).unzip();
            r.points(&ta, &ya, "#1f77b4", Marker::Dot, 1.5);
            r.points(&tb, &yb, "#d62728", Marker::Dot, 1.5);
            r.legend("stimulus A", "#1f77b4", Some(Marker::Dot));
            r.legend("stimulus B", "#d62728", Some(Marker::Dot));
            figures.push(Figure {
                file: "encoding_raster.svg".into(),
                svg: r.to_svg(),
                caption: "Spike times of one driven cell in every trial: stimulus A trials below, B trials above. Trials start from random phases in a chaotic network, yet the spikes line up across trials of one stimulus and differ between the two.".into(),
            });
        }
        Ok(figures)
    }
}

/// Frozen drives: the stimulus in the driven neurons, the background elsewhere (rows by step).
fn drive(stimulus: &[f64], background: &[f64], driven: &[bool], n_steps: usize) -> Vec<f64> {
    let n = driven.len();
    (0..n_steps * n).map(|k| if driven[k % n] { stimulus[k] } else { background[k] }).collect()
}

impl Prepared for PreparedEncoding {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        toml::to_string_pretty(&self.spec).expect("an encoding spec serialises to TOML")
    }
    fn describe(&self) -> String {
        let e = &self.spec.encoding;
        format!(
            "stimulus encoding in a theta network of {} neurons, {} driven, ρ = {}, {} trials per stimulus",
            e.network.n,
            self.spec.n_driven(),
            e.correlation,
            e.trials
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let spec = &self.spec;
        let e = &spec.encoding;
        let seed = spec.seed;
        let n = e.network.n;
        let net = DrivenTheta::new(&e.network.config(), seed).map_err(|err| err.to_string())?;
        let n_transient = spec.steps(e.transient);
        let n_window = spec.steps(e.window);
        let n_lyap = spec.steps(e.lyapunov_duration);
        let total = n_transient + n_window.max(n_lyap);
        ctx.progress.phase("trials", (2 * e.trials + 1) as u64);

        // Which neurons hear the stimulus; the stimuli and the background.
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng::stream(seed, "encoding/driven", 0));
        let mut driven = vec![false; n];
        for &i in &order[..spec.n_driven()] {
            driven[i] = true;
        }
        let normals = |object: &str, index: u64| -> Vec<f64> {
            let mut r = rng::stream(seed, object, index);
            (0..total * n).map(|_| StandardNormal.sample(&mut r)).collect()
        };
        let a = normals("encoding/stimulus", 0);
        let fresh = normals("encoding/stimulus", 1);
        let rho = e.correlation;
        let b: Vec<f64> =
            a.iter().zip(&fresh).map(|(x, y)| rho * x + (1.0 - rho * rho).sqrt() * y).collect();
        let background = normals("encoding/background", 0);
        let stimulus_correlation = pearson(&a, &b);
        let drive_a = drive(&a, &background, &driven, total);
        let drive_b = drive(&b, &background, &driven, total);
        drop((a, b, fresh, background));

        // λ_max under stimulus A.
        let lyap = ctx.unit("lyapunov", || {
            let config = LyapunovConfig {
                n_exponents: 1,
                n_transient,
                n_steps: n_lyap,
                qr_every: 5,
                n_segments: 10,
            };
            let s = lyapunov_spectrum(&net, &net.random_phases(seed, u64::MAX), &drive_a, &config)
                .map_err(|err| err.to_string())?;
            Ok((s.exponents[0] / e.network.dt, s.std_error[0] / e.network.dt))
        })?;
        ctx.cases_done(1, 2 * e.trials + 1);

        // Trials: A with initial phases 0..T, B with T..2T; spikes in the window only.
        let n_sim = n_transient + n_window;
        let start = n_transient as f64 * e.network.dt;
        let trials: Vec<Vec<Vec<f64>>> = ctx.unit("trials", || {
            Ok((0..2 * e.trials)
                .into_par_iter()
                .map(|k| {
                    let d = if k < e.trials { &drive_a } else { &drive_b };
                    let spikes = net.simulate(&net.random_phases(seed, k as u64), d, n_sim);
                    spikes
                        .into_iter()
                        .map(|s| s.into_iter().filter(|&t| t >= start).map(|t| t - start).collect())
                        .collect()
                })
                .collect())
        })?;
        ctx.cases_done(2 * e.trials + 1, 2 * e.trials + 1);

        // Groups of cells, drawn without replacement within each kind.
        let mut r = rng::stream(seed, "encoding/groups", 0);
        let pool = |want: bool, r: &mut rng::Stream| -> Vec<Vec<usize>> {
            let mut cells: Vec<usize> = (0..n).filter(|&i| driven[i] == want).collect();
            (0..e.groups)
                .map(|_| {
                    cells.shuffle(r);
                    cells[..e.group_size].to_vec()
                })
                .collect()
        };
        let driven_groups = pool(true, &mut r);
        let undriven_groups = pool(false, &mut r);
        let labels: Vec<usize> = (0..2 * e.trials).map(|k| usize::from(k >= e.trials)).collect();
        let accuracy = |groups: &[Vec<usize>], counts: bool| -> Vec<f64> {
            groups
                .par_iter()
                .map(|g| {
                    let d2 = if counts {
                        count_matrix(&trials, g)
                    } else {
                        van_rossum_matrix(&trials, g, e.tau)
                    };
                    nearest_class_accuracy(&d2, &labels)
                })
                .collect()
        };
        let driven_acc = accuracy(&driven_groups, false);
        let undriven_acc = accuracy(&undriven_groups, false);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        // Control: the A trials split in two halves, driven groups.
        let half = e.trials / 2;
        let a_trials = &trials[..2 * half];
        let halves: Vec<usize> = (0..2 * half).map(|k| usize::from(k >= half)).collect();
        let chance: Vec<f64> = driven_groups
            .par_iter()
            .map(|g| nearest_class_accuracy(&van_rossum_matrix(a_trials, g, e.tau), &halves))
            .collect();
        let spikes: usize = trials.iter().flatten().map(Vec::len).sum();
        let m = EncodingMetrics {
            lambda_max: lyap.0,
            lambda_max_standard_error: lyap.1,
            stimulus_correlation,
            mean_rate: spikes as f64 / (2 * e.trials * n) as f64 / e.window,
            driven_accuracy: mean(&driven_acc),
            undriven_accuracy: mean(&undriven_acc),
            driven_count_accuracy: mean(&accuracy(&driven_groups, true)),
            undriven_count_accuracy: mean(&accuracy(&undriven_groups, true)),
            chance_accuracy: mean(&chance),
            driven_accuracies: driven_acc.clone(),
            undriven_accuracies: undriven_acc.clone(),
            n_driven: spec.n_driven(),
        };
        let summary = format!(
            "{}: λ_max {:.3}; A vs B (ρ = {:.3}) told apart from {} driven cells at {:.2}, {} undriven at {:.2} (counts only: {:.2}, {:.2}; A vs A: {:.2})",
            spec.name,
            m.lambda_max,
            m.stimulus_correlation,
            e.group_size,
            m.driven_accuracy,
            e.group_size,
            m.undriven_accuracy,
            m.driven_count_accuracy,
            m.undriven_count_accuracy,
            m.chance_accuracy
        );
        // One driven cell's raster: (time, trial) pairs for A and for B.
        let cell = driven_groups[0][0];
        let raster = |range: std::ops::Range<usize>| -> Vec<f64> {
            range.flat_map(|k| trials[k][cell].iter().flat_map(move |&t| [t, k as f64])).collect()
        };
        let ra = raster(0..e.trials);
        let rb = raster(e.trials..2 * e.trials);
        let g = e.groups;
        let arrays = vec![
            ("driven_accuracies".to_string(), Array::f64(&[g], driven_acc)),
            ("undriven_accuracies".to_string(), Array::f64(&[g], undriven_acc)),
            ("controls".to_string(), Array::f64(&[1], vec![m.chance_accuracy])),
            (
                "driven".to_string(),
                Array::i32(&[n], driven.iter().map(|&d| i32::from(d)).collect()),
            ),
            ("raster_a".to_string(), Array::f64(&[ra.len() / 2, 2], ra)),
            ("raster_b".to_string(), Array::f64(&[rb.len() / 2, 2], rb)),
        ];
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Ok(Outcome { files: vec![("encoding.npz".to_string(), arrays)], metrics, summary })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Limits;

    fn spec(extra: &str) -> String {
        format!(
            r#"
name = "small"
seed = 2
[encoding]
network = {{ n = 200, in_degree = 20, epsilon = 1.5 }}
correlation = 0.5
trials = 12
window = 30.0
group_size = 10
groups = 3
lyapunov_duration = 50.0
{extra}
"#
        )
    }

    fn prepare(text: &str) -> Result<Box<dyn Prepared>, SpecError> {
        EncodingKind.prepare(text, "e.toml", Path::new("."), &Limits::none())
    }

    #[test]
    fn different_stimuli_are_told_apart_and_identical_ones_are_not() {
        let run = |text: &str| -> EncodingMetrics {
            let prepared = prepare(text).unwrap();
            let out = crate::kinds::scratch(|ctx| prepared.run(ctx)).unwrap();
            serde_json::from_value(out.metrics).unwrap()
        };
        let m = run(&spec(""));
        assert!(m.lambda_max > 5.0 * m.lambda_max_standard_error, "{m:?}");
        assert!((m.stimulus_correlation - 0.5).abs() < 0.01, "{}", m.stimulus_correlation);
        assert!(m.driven_accuracy > 0.9, "{m:?}");
        // ρ = 1: B is A, so the two classes are the same experiment: every accuracy is chance.
        let same = run(&spec("").replace("correlation = 0.5", "correlation = 1.0"));
        assert!(same.driven_accuracy < 0.75, "{same:?}");
        assert!(same.undriven_accuracy < 0.75, "{same:?}");
    }

    #[test]
    fn bad_settings_are_located_errors() {
        let e = prepare(&spec("").replace("correlation = 0.5", "correlation = 1.5")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("encoding.correlation"), "{e}");
        for fraction in ["0.99", "2.0", "-0.5", "nan"] {
            let e = prepare(&spec(&format!("driven_fraction = {fraction}"))).err().unwrap();
            assert_eq!(e.field.as_deref(), Some("encoding.driven_fraction"), "{fraction}: {e}");
        }
        let e = prepare(&spec("").replace("in_degree = 20", "in_degree = 500")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("encoding.network.in_degree"), "{e}");
        let e = prepare(&spec("").replace("trials = 12", "trials = 3")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("encoding.trials"), "{e}");
    }
}
