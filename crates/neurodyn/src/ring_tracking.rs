//! The `ring_tracking` run kind (`[ring_tracking]` specs): how a ring model of an orientation
//! hypercolumn tracks a changing orientation (Lajoie & Young 2016, "Dynamic signal tracking in
//! a simple V1 spiking model", arXiv:1601.02709): the
//! decoded orientation's transient overshoot after an abrupt switch, and the tracking error at
//! the reversals of a moving orientation against continued rotation.
//!
//! The network is any spiking spec (`ring_tracking.network`) with a population of
//! orientation-preferring cells; the kind adds the tuned feed-forward drive
//! (`sim::config::InputConfig::Tuned`) with the protocol's stimulus and decodes the
//! orientation from that population's spikes by the population vector
//! (`analysis::decoding::population_vector`, period 180°) in sliding windows. Trials differ in
//! their seed (initial states and noise). Two protocols:
//!
//! - switch: `θ₁` until `at`, then `θ₂`. The overshoot of a trial is how far, in the direction
//!   of the switch, its decoded orientation goes past `θ₂` in the `overshoot_window` after the
//!   switch, against how far it strays from its own late mean in a window as long (noise);
//! - motion: `θ(t)` sweeps at `speed` and reverses every `half_period`; the control sweeps on
//!   at the same speed without reversing (identical until the first reversal). The error is
//!   the circular distance between decoded and presented orientation in the `reversal_window`
//!   after each reversal time, for the reversing sweep and for the continued rotation; and
//!   again with the ring's latency removed (the shift of the presented orientation that best
//!   matches the continued rotation's decoded one, within `max_latency`), so that a constant
//!   lead or lag is not counted as a tracking error.
//!
//! ```toml
//! name = "ring"
//! [ring_tracking]
//! network = "v1_ring.toml"
//! population = "exc"
//! drive = { base = 2.0, peak = 8.0, concentration = 2.0 }
//! switch = { from = 45.0, to = 90.0, at = 500.0, duration = 900.0 }
//! motion = { speed = 0.3, half_period = 300.0, duration = 1500.0 }
//! trials = 10
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, Outcome, Prepared};
use neurodyn_analysis::decoding::population_vector;
use neurodyn_core::{RangeError, check};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, SpikingSpec, check_name, nested, range_error, schema_version,
    serde_error,
};
use neurodyn_report::svg::{Plot, stack};
use neurodyn_sim::config::{InputConfig, RecordConfig, Schedule};
use neurodyn_sim::record::Recording;
use neurodyn_sim::{Network, NetworkConfig};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A ring-tracking experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RingSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of trial 0 (trial `k` runs with `seed + k`).
    #[serde(default)]
    pub seed: u64,
    /// The experiment.
    pub ring_tracking: Settings,
}

/// Network, drive, protocols and decoder.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// A spiking spec (file path relative to this spec, or inline table).
    pub network: toml::Value,
    /// The population of orientation-preferring cells (driven and decoded).
    pub population: String,
    /// The tuned drive's shape.
    pub drive: Drive,
    /// The abrupt switch.
    pub switch: Switch,
    /// The moving orientation with reversals.
    pub motion: Motion,
    /// Trials per protocol [1].
    #[serde(default = "ten")]
    pub trials: usize,
    /// Decoding window [ms].
    #[serde(default = "thirty")]
    pub window: f64,
    /// Step between decoding windows [ms].
    #[serde(default = "five")]
    pub step: f64,
}

/// `base + peak · exp(κ (cos 2(θ_i − θ) − 1))`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drive {
    /// Current at the anti-preferred orientation.
    pub base: f64,
    /// Extra current at the preferred orientation.
    pub peak: f64,
    /// Sharpness `κ`.
    pub concentration: f64,
}

/// `θ₁ → θ₂` at `at`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Switch {
    /// Orientation before the switch [deg].
    pub from: f64,
    /// Orientation after it [deg].
    pub to: f64,
    /// Time of the switch [ms].
    pub at: f64,
    /// Length of a trial [ms].
    pub duration: f64,
    /// Window after the switch where an overshoot is looked for [ms].
    #[serde(default = "overshoot_window")]
    pub overshoot_window: [f64; 2],
}

/// A sweep that reverses every `half_period`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Motion {
    /// Angular speed [deg/ms].
    pub speed: f64,
    /// Time between reversals [ms].
    pub half_period: f64,
    /// Length of a trial [ms].
    pub duration: f64,
    /// Time before the first reversal that is not scored (the ring settling) [ms].
    #[serde(default = "settle")]
    pub settle: f64,
    /// Window after a reversal (in both protocols) where the error is compared [ms].
    #[serde(default = "reversal_window")]
    pub reversal_window: f64,
    /// Largest latency (lag or lead) searched when the errors are scored with the ring's own
    /// latency removed [ms].
    #[serde(default = "max_latency")]
    pub max_latency: f64,
}

fn ten() -> usize {
    10
}
fn thirty() -> f64 {
    30.0
}
fn five() -> f64 {
    5.0
}
fn overshoot_window() -> [f64; 2] {
    [10.0, 100.0]
}
fn settle() -> f64 {
    200.0
}
fn reversal_window() -> f64 {
    40.0
}
fn max_latency() -> f64 {
    100.0
}

impl RingSpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let s = &self.ring_tracking;
        let f = "ring_tracking";
        for (name, v) in [("drive.base", s.drive.base), ("drive.peak", s.drive.peak)] {
            check(v.is_finite(), &format!("{f}.{name}"), v, "a finite value")?;
        }
        check(
            s.drive.concentration >= 0.0 && s.drive.concentration.is_finite(),
            &format!("{f}.drive.concentration"),
            s.drive.concentration,
            "a finite value >= 0",
        )?;
        let sw = &s.switch;
        check(
            sw.at > 0.0 && sw.duration > sw.at + sw.overshoot_window[1] && sw.duration <= 1e6,
            &format!("{f}.switch.duration"),
            sw.duration,
            "longer than the switch time plus the overshoot window, at most 1e6 ms",
        )?;
        check(
            sw.overshoot_window[0] >= 0.0 && sw.overshoot_window[1] > sw.overshoot_window[0],
            &format!("{f}.switch.overshoot_window"),
            format!("{:?}", sw.overshoot_window),
            "[start, end] after the switch, start < end [ms]",
        )?;
        let d = (sw.to - sw.from).rem_euclid(180.0);
        check(
            d > 1.0 && d < 89.0 || d > 91.0 && d < 179.0,
            &format!("{f}.switch.to"),
            sw.to,
            "an orientation 1–89° away from `from` (mod 180), so the switch has a direction",
        )?;
        let m = &s.motion;
        check(
            m.speed > 0.0 && m.speed <= 10.0,
            &format!("{f}.motion.speed"),
            m.speed,
            "in (0, 10] deg/ms",
        )?;
        check(
            m.half_period > 2.0 * m.reversal_window && m.reversal_window > 0.0,
            &format!("{f}.motion.half_period"),
            m.half_period,
            "longer than twice the reversal window",
        )?;
        check(
            m.max_latency >= 0.0 && m.max_latency <= m.half_period / 2.0,
            &format!("{f}.motion.max_latency"),
            m.max_latency,
            "in [0, half_period / 2] ms",
        )?;
        check(
            m.duration > m.settle + 2.0 * m.half_period && m.duration <= 1e6,
            &format!("{f}.motion.duration"),
            m.duration,
            "room for two reversals after settling, at most 1e6 ms",
        )?;
        check((2..=1000).contains(&s.trials), &format!("{f}.trials"), s.trials, "2 to 1000")?;
        check(
            s.window > 0.0 && s.step > 0.0 && s.step <= s.window && s.window < sw.at,
            &format!("{f}.window"),
            s.window,
            "> 0, at least the step and shorter than the time before the switch [ms]",
        )
    }
}

/// The `ring_tracking` kind.
pub struct RingTrackingKind;

/// A validated experiment.
pub struct PreparedRing {
    spec: RingSpec,
    network: SpikingSpec,
    size: usize,
}

impl Kind for RingTrackingKind {
    fn name(&self) -> &'static str {
        "ring_tracking"
    }
    fn table(&self) -> &'static str {
        "ring_tracking"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: RingSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        let err = |e: RangeError| range_error(text, file, e);
        spec.validate().map_err(err)?;
        let s = &spec.ring_tracking;
        let (net_text, net_file, net_dir) =
            nested(&s.network, text, file, base, "ring_tracking.network")?;
        let network = neurodyn_io::spec::spiking::parse(&net_text, &net_file, &net_dir)?;
        let pop = network.populations.get(&s.population);
        check(
            pop.is_some_and(|p| p.neuron.is_some()),
            "ring_tracking.population",
            format!("{:?}", s.population),
            "a population of model neurons in the network",
        )
        .map_err(err)?;
        let size = pop.map_or(0, |p| p.n);
        let prepared = PreparedRing { spec, network, size };
        let config = prepared
            .config(&prepared.switch_stimulus(), prepared.spec.ring_tracking.switch.duration);
        Network::build(&config, prepared.spec.seed).map_err(|e| prepared.network.error(e))?;
        let mut m = crate::spiking::memory(&prepared.network);
        let n: usize = prepared.network.populations.values().map(|p| p.n).sum();
        m.add("ring_tracking.trials", n as f64 * 50.0, 8.0);
        m.check(limits, text, file)?;
        Ok(Box::new(prepared))
    }
    fn figures(&self, dir: &Path, _: &str, _: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
        figures(&dir.join("ring_tracking.npz"))
    }
}

/// A stimulus: knots `(times, values)`, linear between them (as the tuned input plays it).
type Stimulus = Schedule;

impl PreparedRing {
    fn switch_stimulus(&self) -> Stimulus {
        let sw = &self.spec.ring_tracking.switch;
        // Take the short way round the 180° circle.
        let d = (sw.to - sw.from + 90.0).rem_euclid(180.0) - 90.0;
        Schedule {
            times: vec![0.0, sw.at, sw.at + 0.05],
            values: vec![sw.from, sw.from, sw.from + d],
        }
    }

    /// The continued rotation: the same sweep, never reversing.
    fn rotation_stimulus(&self) -> Stimulus {
        let m = &self.spec.ring_tracking.motion;
        Schedule { times: vec![0.0, m.duration], values: vec![0.0, m.speed * m.duration] }
    }

    fn motion_stimulus(&self) -> Stimulus {
        let m = &self.spec.ring_tracking.motion;
        let mut times = vec![0.0];
        let mut values = vec![0.0];
        let (mut t, mut theta, mut dir) = (0.0, 0.0, 1.0);
        while t < m.duration {
            let next = if t == 0.0 { m.settle + m.half_period / 2.0 } else { t + m.half_period };
            theta += dir * m.speed * (next - t);
            t = next;
            times.push(t);
            values.push(theta);
            dir = -dir;
        }
        Schedule { times, values }
    }

    /// Reversal times of the motion stimulus inside the scored part.
    fn reversals(&self) -> Vec<f64> {
        let m = &self.spec.ring_tracking.motion;
        let times = self.motion_stimulus().times;
        times[1..]
            .iter()
            .copied()
            .filter(|&t| t >= m.settle && t + m.reversal_window <= m.duration)
            .collect()
    }

    fn config(&self, stimulus: &Stimulus, duration: f64) -> NetworkConfig {
        let s = &self.spec.ring_tracking;
        let mut config = self.network.network();
        config.simulation.duration = duration;
        config.simulation.checkpoint_every = 0.0;
        config.inputs.insert(
            "ring_tracking_stimulus".into(),
            InputConfig::Tuned {
                target: s.population.clone(),
                neurons: None,
                base: s.drive.base,
                peak: s.drive.peak,
                concentration: s.drive.concentration,
                period: 180.0,
                times: stimulus.times.clone(),
                values: stimulus.values.clone(),
            },
        );
        config.record =
            RecordConfig { spikes: Some(vec![s.population.clone()]), ..Default::default() };
        config
    }

    /// Decoded orientation [deg] at the centre of each window, for one trial.
    fn decode(&self, stimulus: &Stimulus, duration: f64, trial: u64) -> Result<Vec<f64>, String> {
        let s = &self.spec.ring_tracking;
        let config = self.config(stimulus, duration);
        let mut network =
            Network::build(&config, self.spec.seed + trial).map_err(|e| e.to_string())?;
        let mut recording = Recording::new(&config.record, &network).map_err(|e| e.to_string())?;
        network
            .run(config.simulation.n_steps(), &mut recording, &config.guards, &mut |_| true)
            .map_err(|e| e.to_string())?;
        let dt = network.dt();
        let (steps, neurons) = (&recording.spikes.steps[0], &recording.spikes.neurons[0]);
        let preferred: Vec<f64> =
            (0..self.size).map(|i| 180.0 * i as f64 / self.size as f64).collect();
        let centres = window_centres(s.window, s.step, duration);
        let mut counts = vec![0.0; self.size];
        Ok(centres
            .iter()
            .map(|&c| {
                counts.iter_mut().for_each(|x| *x = 0.0);
                let (lo, hi) = (c - s.window / 2.0, c + s.window / 2.0);
                for (&k, &j) in steps.iter().zip(neurons) {
                    let t = k as f64 * dt;
                    if t >= lo && t < hi {
                        counts[j as usize] += 1.0;
                    }
                }
                population_vector(&counts, &preferred, 180.0).map_or(f64::NAN, |v| v.0)
            })
            .collect())
    }
}

fn window_centres(window: f64, step: f64, duration: f64) -> Vec<f64> {
    let n = ((duration - window) / step).floor() as usize + 1;
    (0..n).map(|i| window / 2.0 + i as f64 * step).collect()
}

/// Signed circular difference `a − b` on the 180° circle, in (−90, 90].
fn diff(a: f64, b: f64) -> f64 {
    -((b - a + 90.0).rem_euclid(180.0) - 90.0)
}

/// `metrics.json` of a ring-tracking experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RingMetrics {
    /// Per switch trial: the largest excursion past the new orientation in the switch's
    /// direction within the overshoot window [deg].
    pub overshoots: Vec<f64>,
    /// Per switch trial: the largest excursion from the trial's late mean over a window as long
    /// (the noise an overshoot must beat) [deg].
    pub late_excursions: Vec<f64>,
    /// Fraction of switch trials whose overshoot exceeds their late excursion [1].
    pub overshoot_fraction: f64,
    /// Mean overshoot [deg].
    pub mean_overshoot: f64,
    /// Mean late excursion [deg].
    pub mean_late_excursion: f64,
    /// Mean |decoded − presented| in the windows after the reversals [deg].
    pub reversal_error: f64,
    /// The same in the same windows of the continued rotation [deg].
    pub rotation_error: f64,
    /// Their ratio [1].
    pub reversal_over_rotation: f64,
    /// The ring's latency: the shift of the presented orientation that best matches the
    /// continued rotation's decoded one (negative: the ring runs ahead) [ms].
    pub latency: f64,
    /// Mean |decoded − presented `latency` earlier| in the windows after the reversals (shifted
    /// by the latency) [deg].
    pub aligned_reversal_error: f64,
    /// The same in the same windows of the continued rotation [deg].
    pub aligned_rotation_error: f64,
    /// Their ratio [1].
    pub aligned_reversal_over_rotation: f64,
    /// Fidelity of the moving orientation: 1 − mean error / 90° [1].
    pub fidelity: f64,
    /// Reliability: 1 − mean circular spread of the decoded orientation across trials / 90° [1].
    pub reliability: f64,
}

impl Prepared for PreparedRing {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        let mut resolved = self.spec.clone();
        resolved.ring_tracking.network = toml::Value::Table(self.network.to_table());
        toml::to_string_pretty(&resolved).expect("a ring_tracking spec serialises to TOML")
    }
    fn describe(&self) -> String {
        format!("ring tracking: {} trials per protocol", self.spec.ring_tracking.trials)
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let s = &self.spec.ring_tracking;
        ctx.progress.phase("protocols", 3);
        let switch = self.switch_stimulus();
        let motion = self.motion_stimulus();
        let switched: Vec<Vec<f64>> = ctx.unit("switch", || {
            (0..s.trials as u64)
                .into_par_iter()
                .map(|k| self.decode(&switch, s.switch.duration, k))
                .collect()
        })?;
        ctx.cases_done(1, 3);
        let moved: Vec<Vec<f64>> = ctx.unit("motion", || {
            (0..s.trials as u64)
                .into_par_iter()
                .map(|k| self.decode(&motion, s.motion.duration, 1000 + k))
                .collect()
        })?;
        let rotation = self.rotation_stimulus();
        let rotated: Vec<Vec<f64>> = ctx.unit("rotation", || {
            (0..s.trials as u64)
                .into_par_iter()
                .map(|k| self.decode(&rotation, s.motion.duration, 2000 + k))
                .collect()
        })?;
        ctx.cases_done(3, 3);
        Ok(self.outcome(&switched, &moved, &rotated, &switch, &motion, &rotation))
    }
}

impl PreparedRing {
    fn outcome(
        &self,
        switched: &[Vec<f64>],
        moved: &[Vec<f64>],
        rotated: &[Vec<f64>],
        sw_stim: &Stimulus,
        mv_stim: &Stimulus,
        rot_stim: &Stimulus,
    ) -> Outcome {
        let s = &self.spec.ring_tracking;
        let sw = &s.switch;
        let c_sw = window_centres(s.window, s.step, sw.duration);
        let c_mv = window_centres(s.window, s.step, s.motion.duration);
        let sign = diff(sw.to, sw.from).signum();
        let (w0, w1) = (sw.at + sw.overshoot_window[0], sw.at + sw.overshoot_window[1]);
        let span = w1 - w0;
        let late_start = sw.duration - span;
        let mut overshoots = Vec::new();
        let mut late = Vec::new();
        for trace in switched {
            let pick = |lo: f64, hi: f64| -> Vec<f64> {
                c_sw.iter()
                    .zip(trace)
                    .filter(|(c, v)| **c >= lo && **c < hi && v.is_finite())
                    .map(|(_, v)| *v)
                    .collect()
            };
            let post = pick(w0, w1);
            overshoots.push(
                post.iter().map(|v| sign * diff(*v, sw.to)).fold(f64::NEG_INFINITY, f64::max),
            );
            let tail = pick(late_start, sw.duration);
            let mean = circular_mean(&tail);
            late.push(tail.iter().map(|v| diff(*v, mean).abs()).fold(0.0, f64::max));
        }
        let n = overshoots.len() as f64;
        let fraction = overshoots.iter().zip(&late).filter(|(o, l)| o > l).count() as f64 / n;
        // Motion: errors after each reversal time, reversing sweep against continued rotation.
        let reversals = self.reversals();
        let after = |c: f64| reversals.iter().any(|r| c >= *r && c < r + s.motion.reversal_window);
        let errors = |traces: &[Vec<f64>], stim: &Stimulus| -> Vec<f64> {
            traces
                .iter()
                .flat_map(|trace| {
                    c_mv.iter()
                        .zip(trace)
                        .filter(|(c, v)| after(**c) && v.is_finite())
                        .map(|(c, v)| diff(*v, stim.interpolated(*c)).abs())
                        .collect::<Vec<f64>>()
                })
                .collect()
        };
        let near = errors(moved, mv_stim);
        let far = errors(rotated, rot_stim);
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        // The ring's latency: the shift τ (a multiple of the decoding step) for which the
        // continued rotation's decoded orientation best matches the orientation presented τ
        // earlier (τ < 0: the ring runs ahead). Scored again with that shift removed, an error
        // is a failure to track rather than a constant delay.
        let shifted =
            |traces: &[Vec<f64>], stim: &Stimulus, tau: f64, keep: &dyn Fn(f64) -> bool| {
                traces
                    .iter()
                    .flat_map(|trace| {
                        c_mv.iter()
                            .zip(trace)
                            .filter(|(c, v)| keep(**c - tau) && v.is_finite())
                            .map(|(c, v)| diff(*v, stim.interpolated(*c - tau)).abs())
                            .collect::<Vec<f64>>()
                    })
                    .collect::<Vec<f64>>()
            };
        let scored = |t: f64| t >= s.motion.settle && t <= s.motion.duration;
        let reach = (s.motion.max_latency / s.step).floor() as i64;
        let latency = (-reach..=reach)
            .map(|k| k as f64 * s.step)
            .map(|tau| (tau, mean(&shifted(rotated, rot_stim, tau, &scored))))
            .fold((0.0, f64::INFINITY), |best, x| if x.1 < best.1 { x } else { best })
            .0;
        let near_aligned = shifted(moved, mv_stim, latency, &after);
        let far_aligned = shifted(rotated, rot_stim, latency, &after);
        // Fidelity over the whole scored sweep (reversing protocol).
        let all: Vec<f64> = moved
            .iter()
            .flat_map(|trace| {
                c_mv.iter()
                    .zip(trace)
                    .filter(|(c, v)| **c >= s.motion.settle && v.is_finite())
                    .map(|(c, v)| diff(*v, mv_stim.interpolated(*c)).abs())
                    .collect::<Vec<f64>>()
            })
            .collect();
        // Reliability: circular spread across trials at each window of the motion protocol.
        let spread: Vec<f64> = (0..c_mv.len())
            .filter(|&i| c_mv[i] >= s.motion.settle)
            .map(|i| {
                let vals: Vec<f64> = moved.iter().map(|t| t[i]).filter(|v| v.is_finite()).collect();
                let m = circular_mean(&vals);
                mean(&vals.iter().map(|v| diff(*v, m).abs()).collect::<Vec<_>>())
            })
            .collect();
        let m = RingMetrics {
            overshoot_fraction: fraction,
            mean_overshoot: mean(&overshoots),
            mean_late_excursion: mean(&late),
            overshoots: overshoots.clone(),
            late_excursions: late,
            reversal_error: mean(&near),
            rotation_error: mean(&far),
            reversal_over_rotation: mean(&near) / mean(&far),
            latency,
            aligned_reversal_error: mean(&near_aligned),
            aligned_rotation_error: mean(&far_aligned),
            aligned_reversal_over_rotation: mean(&near_aligned) / mean(&far_aligned),
            fidelity: 1.0 - mean(&all) / 90.0,
            reliability: 1.0 - mean(&spread) / 90.0,
        };
        let summary = format!(
            "{}: overshoot after the switch in {:.0} % of trials (mean {:.1}° past the new orientation); tracking error {:.1}° at reversals vs {:.1}° in continued rotation",
            self.spec.name,
            100.0 * m.overshoot_fraction,
            m.mean_overshoot,
            m.reversal_error,
            m.rotation_error
        );
        let flat = |v: &[Vec<f64>]| v.iter().flatten().copied().collect::<Vec<f64>>();
        let presented_sw: Vec<f64> =
            c_sw.iter().map(|&c| sw_stim.interpolated(c).rem_euclid(180.0)).collect();
        let presented_mv: Vec<f64> =
            c_mv.iter().map(|&c| mv_stim.interpolated(c).rem_euclid(180.0)).collect();
        let arrays = vec![
            ("switch_time".to_string(), Array::f64(&[c_sw.len()], c_sw.clone())),
            (
                "switch_decoded".to_string(),
                Array::f64(&[switched.len(), c_sw.len()], flat(switched)),
            ),
            ("switch_presented".to_string(), Array::f64(&[c_sw.len()], presented_sw)),
            ("motion_time".to_string(), Array::f64(&[c_mv.len()], c_mv.clone())),
            ("motion_decoded".to_string(), Array::f64(&[moved.len(), c_mv.len()], flat(moved))),
            ("motion_presented".to_string(), Array::f64(&[c_mv.len()], presented_mv)),
            (
                "rotation_decoded".to_string(),
                Array::f64(&[rotated.len(), c_mv.len()], flat(rotated)),
            ),
        ];
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Outcome { files: vec![("ring_tracking.npz".to_string(), arrays)], metrics, summary }
    }
}

/// Circular mean on the 180° circle [deg].
fn circular_mean(v: &[f64]) -> f64 {
    let k = std::f64::consts::TAU / 180.0;
    let (c, s) = v.iter().fold((0.0, 0.0), |(c, s), x| (c + (k * x).cos(), s + (k * x).sin()));
    (s.atan2(c) / k).rem_euclid(180.0)
}

fn figures(file: &Path) -> Result<Vec<Figure>, IoError> {
    let mut panels = Vec::new();
    for (prefix, title) in [
        ("switch", "Decoded orientation around an abrupt switch"),
        ("motion", "Decoded orientation of a moving, reversing orientation"),
    ] {
        let (_, t) = read_f64(file, &format!("{prefix}_time"))?;
        let (shape, d) = read_f64(file, &format!("{prefix}_decoded"))?;
        let (_, p) = read_f64(file, &format!("{prefix}_presented"))?;
        let n = shape.get(1).copied().unwrap_or(t.len());
        let mut plot = Plot::new(title, "time [ms]", "orientation [deg]");
        for k in 0..shape.first().copied().unwrap_or(0).min(5) {
            plot.faint(&t, &d[k * n..(k + 1) * n], "#1f77b4", 0.6);
        }
        plot.line(&t, &p, "#d62728", 1.5);
        plot.legend("decoded (population vector), 5 trials", "#1f77b4", None);
        plot.legend("presented", "#d62728", None);
        panels.push(plot);
    }
    Ok(vec![Figure {
        file: "ring_tracking.svg".into(),
        svg: stack(&panels),
        caption: "The orientation decoded from the ring's excitatory spikes (population vector over sliding windows) against the one presented: an abrupt switch, where the decoded orientation overshoots before settling, and a sweep that reverses, where tracking is worst at the reversals. Orientations wrap at 180°.".into(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Limits;

    fn spec(extra: &str) -> String {
        let network =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/spiking/v1_ring.toml");
        format!(
            r#"
name = "small"
seed = 2
[ring_tracking]
network = {:?}
population = "exc"
drive = {{ base = 2.0, peak = 8.0, concentration = 2.0 }}
switch = {{ from = 45.0, to = 90.0, at = 300.0, duration = 600.0 }}
motion = {{ speed = 0.3, half_period = 200.0, duration = 700.0, settle = 100.0 }}
trials = 3
{extra}
"#,
            network.display().to_string()
        )
    }

    fn prepare(text: &str) -> Result<Box<dyn Prepared>, SpecError> {
        RingTrackingKind.prepare(text, "r.toml", Path::new("."), &Limits::none())
    }

    #[test]
    fn the_stimuli_and_the_circle_arithmetic() {
        assert_eq!(diff(10.0, 170.0), 20.0);
        assert_eq!(diff(170.0, 10.0), -20.0);
        assert!(
            (circular_mean(&[175.0, 5.0]) - 0.0).abs() < 1e-9
                || (circular_mean(&[175.0, 5.0]) - 180.0).abs() < 1e-9
        );
        let s = Schedule { times: vec![0.0, 100.0, 200.0], values: vec![0.0, 30.0, 0.0] };
        assert_eq!(s.interpolated(50.0), 15.0);
        assert_eq!(s.interpolated(250.0), 0.0);
    }

    #[test]
    fn the_decoded_orientation_follows_a_switch_and_a_sweep() {
        let text = spec("");
        let prepared = match prepare(&text) {
            Ok(p) => p,
            Err(e) => panic!("{e}"),
        };
        let out = crate::kinds::scratch(|ctx| prepared.run(ctx)).unwrap();
        let m: RingMetrics = serde_json::from_value(out.metrics).unwrap();
        // The ring tracks what it is shown: a moving orientation within a few tens of degrees,
        // the same way in every trial; the switch's overshoot is measured (not asserted here).
        assert!(m.fidelity > 0.7, "{m:?}");
        assert!(m.reliability > 0.8, "{m:?}");
        assert_eq!(m.overshoots.len(), 3);
    }

    #[test]
    fn a_constant_lead_is_found_and_removed() {
        // Decoded traces that are the presented orientation 20 ms ahead, exactly: the raw error
        // of continued rotation is the lead times the speed, the fitted latency is −20 ms and
        // with it removed both sweeps are tracked without error.
        let text = spec("");
        let spec: RingSpec = toml::from_str(&text).unwrap();
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/spiking");
        let net = std::fs::read_to_string(dir.join("v1_ring.toml")).unwrap();
        let network = neurodyn_io::spec::spiking::parse(&net, "v1_ring.toml", &dir).unwrap();
        let ring = PreparedRing { spec, network, size: 400 };
        let s = &ring.spec.ring_tracking;
        let centres = window_centres(s.window, s.step, s.motion.duration);
        let (sw, mv, rot) =
            (ring.switch_stimulus(), ring.motion_stimulus(), ring.rotation_stimulus());
        let ahead = |stim: &Stimulus| -> Vec<Vec<f64>> {
            vec![centres.iter().map(|c| stim.interpolated(c + 20.0).rem_euclid(180.0)).collect(); 2]
        };
        let sw_centres = window_centres(s.window, s.step, s.switch.duration);
        let switched = vec![sw_centres.iter().map(|c| sw.interpolated(*c)).collect(); 2];
        let out = ring.outcome(&switched, &ahead(&mv), &ahead(&rot), &sw, &mv, &rot);
        let m = |key: &str| out.metrics[key].as_f64().unwrap();
        assert_eq!(m("latency"), -20.0, "{}", out.metrics);
        assert!((m("rotation_error") - 0.3 * 20.0).abs() < 1e-9, "{}", out.metrics);
        assert!(m("reversal_error") > 1.0, "{}", out.metrics);
        assert!(m("aligned_rotation_error") < 1e-9, "{}", out.metrics);
        assert!(m("aligned_reversal_error") < 1e-9, "{}", out.metrics);
    }

    #[test]
    fn bad_protocols_are_located_errors() {
        let e = prepare(&spec("").replace("to = 90.0", "to = 45.5")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("ring_tracking.switch.to"), "{e}");
        let e = prepare(&spec("").replace("population = \"exc\"", "population = \"nope\""))
            .err()
            .unwrap();
        assert_eq!(e.field.as_deref(), Some("ring_tracking.population"), "{e}");
    }
}
