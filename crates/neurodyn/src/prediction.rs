//! The `prediction` run kind (`[prediction]` specs): a spiking reservoir learns *what* will
//! happen, *when*, and with what probability, through an error-modulated three-factor rule on
//! its read-out, and re-adapts when timing and probabilities change — against FORCE (recursive
//! least squares) on the same features, which re-adapts slowly unless reset (Yamada & Chao 2025,
//! "Joint encoding of 'what' and 'when' predictions through error-modulated plasticity in
//! reservoir spiking networks", arXiv:2510.14382).
//!
//! The reservoir is any spiking spec (`prediction.network`; the example is a heterogeneous
//! Izhikevich network). Each trial starts with a cue into `cue.neurons` cells of
//! `cue.population`; stimulus `m` then arrives at `times[m]` with probability
//! `probabilities[m]` (independently), a pulse into its own `stimulus.neurons` cells. The
//! read-out sees every model neuron's spike trace `r_j` (time constant `trace`) and a constant,
//! every `sample` ms. Read-out `m`'s target is 1 in the `window` before stimulus `m`'s onset on
//! trials where it occurs, else 0: the state before an onset does not know whether the stimulus
//! will come, so the least-squares read-out is the stimulus's *probability* in its window and 0
//! elsewhere — a prediction of what, when and how likely.
//!
//! Two learners run side by side on the same trials, updated in the attended part of each
//! trial (from the cue to the last window's end):
//! - three-factor: `Δw_mj = η · (z_m − y_m) · r_j / ⟨|r|²⟩` — presynaptic eligibility `r_j`, the
//!   read-out's signed prediction error as the modulator, the attention gate; a constant rate,
//!   scaled by a slow running mean of the eligibility's squared norm `⟨|r|²⟩` (a homeostatic
//!   scale, so that one `η` suits any reservoir size and firing rate; the rule is LMS, whose
//!   fixed point is the least-squares read-out);
//! - FORCE: recursive least squares (`P₀ = I/α`, updated every `force.every` samples), once
//!   without a reset and once reset at each phase change.
//!
//! After every training trial each learner's *mean* read-out on each phase's held-out trials
//! (`W · R̄(t)`, exact for a linear read-out over the held-out mean features `R̄`) gives the
//! amplitude in each window and the RMS distance from the probability-weighted targets. A
//! learner has adapted to a new phase when its distance is within `tolerance` (relative) of the
//! distance it had settled at before the change (scaled by the change in difficulty that a fresh
//! least-squares read-out sees), for `hold` trials in a row — each learner is held to its own
//! standard, so the shrinkage of a noisy reservoir's read-outs does not count as slowness.
//!
//! ```toml
//! name = "what_when"
//! [prediction]
//! network = "izhikevich_reservoir.toml"
//! cue = { population = "exc", neurons = 40, amplitude = 20.0, duration = 20.0 }
//! stimulus = { population = "exc", neurons = 40, amplitude = 20.0, duration = 20.0 }
//! phases = [{ trials = 150, times = [200.0, 400.0], probabilities = [0.9, 0.3] },
//!           { trials = 150, times = [300.0, 400.0], probabilities = [0.3, 0.9] }]
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, Outcome, Prepared};
use neurodyn_core::{RangeError, check, rng};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, SpikingSpec, check_name, check_values, nested, range_error,
    schema_version, serde_error,
};
use neurodyn_models::reservoir::Rls;
use neurodyn_report::svg::{Plot, stack};
use neurodyn_sim::config::{InputConfig, RecordConfig};
use neurodyn_sim::{Network, NetworkConfig};
use rand::RngExt;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// A prediction experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PredictionSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of the network, the input cells, the trials and the noise.
    #[serde(default)]
    pub seed: u64,
    /// The experiment.
    pub prediction: Settings,
}

/// Reservoir, paradigm and learners.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// A spiking spec (file path relative to this spec, or inline table).
    pub network: toml::Value,
    /// Length of a trial [ms].
    #[serde(default = "thousand")]
    pub trial: f64,
    /// Read-out step [ms] (a multiple of the network's `dt`).
    #[serde(default = "one")]
    pub sample: f64,
    /// Time constant of the spike traces the read-out sees [ms].
    #[serde(default = "twenty")]
    pub trace: f64,
    /// Length of the prediction window before each onset [ms].
    #[serde(default = "fifty")]
    pub window: f64,
    /// The cue that starts each trial.
    pub cue: Drive,
    /// Each stimulus (every stimulus drives its own cells).
    pub stimulus: Drive,
    /// The paradigm's phases, in order.
    pub phases: Vec<Phase>,
    /// Held-out trials per phase (mean features for the read-outs' evaluation) [1].
    #[serde(default = "forty")]
    pub test_trials: usize,
    /// Rate `η` of the three-factor rule [1].
    pub rate: f64,
    /// FORCE's settings.
    #[serde(default)]
    pub force: Force,
    /// An adapted read-out is as close to the new targets as it was to the old ones before the
    /// change, within this fraction (in the first phase: to its own settled distance) [1].
    #[serde(default = "tolerance")]
    pub tolerance: f64,
    /// Trials in a row within the tolerance that count as adapted [1].
    #[serde(default = "five")]
    pub hold: usize,
    /// Trials at the end of each phase whose read-outs are averaged for its amplitudes and peak
    /// times [1].
    #[serde(default = "ten")]
    pub average: usize,
}

/// A pulse into `neurons` cells of `population`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drive {
    /// The population whose cells are driven.
    pub population: String,
    /// How many cells (drawn at random; the cue's and every stimulus's are disjoint) [1].
    pub neurons: usize,
    /// Current (unit of the model's `i_e`).
    pub amplitude: f64,
    /// Length of the pulse [ms].
    pub duration: f64,
}

/// A block of trials with fixed timing and probabilities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Phase {
    /// Training trials [1].
    pub trials: usize,
    /// Onset of each stimulus after the cue [ms].
    pub times: Vec<f64>,
    /// Probability of each stimulus on a trial [1].
    pub probabilities: Vec<f64>,
}

/// Recursive least squares.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Force {
    /// Regulariser: `P₀ = I/α` [1].
    pub alpha: f64,
    /// Samples between updates [1].
    pub every: usize,
}

impl Default for Force {
    fn default() -> Self {
        Force { alpha: 1.0, every: 5 }
    }
}

fn thousand() -> f64 {
    1000.0
}
fn one() -> f64 {
    1.0
}
fn twenty() -> f64 {
    20.0
}
fn fifty() -> f64 {
    50.0
}
fn forty() -> usize {
    40
}
fn tolerance() -> f64 {
    0.2
}
fn five() -> usize {
    5
}
fn ten() -> usize {
    10
}

impl PredictionSpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let s = &self.prediction;
        let f = "prediction";
        check(s.trial > 0.0 && s.trial <= 1e5, &format!("{f}.trial"), s.trial, "in (0, 1e5] ms")?;
        check(
            s.sample > 0.0 && s.sample <= s.trial / 10.0,
            &format!("{f}.sample"),
            s.sample,
            "> 0 and at most a tenth of the trial [ms]",
        )?;
        check(s.trace > 0.0 && s.trace <= 1e4, &format!("{f}.trace"), s.trace, "in (0, 1e4] ms")?;
        check(
            s.window >= s.sample && s.window < s.trial,
            &format!("{f}.window"),
            s.window,
            "at least one sample and shorter than the trial [ms]",
        )?;
        for (name, d) in [("cue", &s.cue), ("stimulus", &s.stimulus)] {
            check(d.neurons >= 1, &format!("{f}.{name}.neurons"), d.neurons, "at least 1")?;
            check(
                d.amplitude.is_finite(),
                &format!("{f}.{name}.amplitude"),
                d.amplitude,
                "a finite value",
            )?;
            check(
                d.duration >= s.sample && d.duration < s.trial,
                &format!("{f}.{name}.duration"),
                d.duration,
                "at least one sample and shorter than the trial [ms]",
            )?;
        }
        check(
            !s.phases.is_empty() && s.phases.len() <= 100,
            &format!("{f}.phases"),
            s.phases.len(),
            "1 to 100 phases",
        )?;
        let m = s.phases[0].times.len();
        for (i, p) in s.phases.iter().enumerate() {
            let field = format!("{f}.phases[{i}]");
            check(
                (1..=100_000).contains(&p.trials),
                &format!("{field}.trials"),
                p.trials,
                "1 to 1e5",
            )?;
            check(
                (1..=64).contains(&p.times.len()) && p.times.len() == m,
                &format!("{field}.times"),
                p.times.len(),
                "1 to 64 onsets, as many in every phase",
            )?;
            check_values(
                &p.times,
                &format!("{field}.times"),
                |t| t >= s.window + s.cue.duration && t + s.stimulus.duration <= s.trial,
                "an onset after the cue and a window, with the pulse inside the trial [ms]",
            )?;
            check(
                p.probabilities.len() == m,
                &format!("{field}.probabilities"),
                p.probabilities.len(),
                "one probability per onset",
            )?;
            check_values(
                &p.probabilities,
                &format!("{field}.probabilities"),
                |q| (0.0..=1.0).contains(&q),
                "in [0, 1]",
            )?;
        }
        check(
            (2..=10_000).contains(&s.test_trials),
            &format!("{f}.test_trials"),
            s.test_trials,
            "2 to 1e4",
        )?;
        check(s.rate > 0.0 && s.rate <= 1.0, &format!("{f}.rate"), s.rate, "in (0, 1]")?;
        check(
            s.force.alpha > 0.0 && s.force.alpha.is_finite(),
            &format!("{f}.force.alpha"),
            s.force.alpha,
            "> 0",
        )?;
        check(
            (1..=10_000).contains(&s.force.every),
            &format!("{f}.force.every"),
            s.force.every,
            "1 to 1e4",
        )?;
        check(
            s.tolerance > 0.0 && s.tolerance < 1.0,
            &format!("{f}.tolerance"),
            s.tolerance,
            "in (0, 1)",
        )?;
        let shortest = s.phases.iter().map(|p| p.trials).min().unwrap_or(0);
        check(
            s.hold >= 1 && s.hold <= shortest,
            &format!("{f}.hold"),
            s.hold,
            "at least 1 and at most the shortest phase's trials",
        )?;
        check(
            s.average >= 1 && s.average <= shortest,
            &format!("{f}.average"),
            s.average,
            "at least 1 and at most the shortest phase's trials",
        )
    }
}

/// The `prediction` kind.
pub struct PredictionKind;

/// A validated experiment.
pub struct PreparedPrediction {
    spec: PredictionSpec,
    network: SpikingSpec,
    /// The populations of model neurons whose traces the read-out sees: (name, size).
    readout: Vec<(String, usize)>,
    /// Cells driven by the cue, then by each stimulus.
    cells: Vec<Vec<u32>>,
    /// Network steps per read-out sample.
    steps_per_sample: usize,
}

impl Kind for PredictionKind {
    fn name(&self) -> &'static str {
        "prediction"
    }
    fn table(&self) -> &'static str {
        "prediction"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: PredictionSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        let err = |e: RangeError| range_error(text, file, e);
        spec.validate().map_err(err)?;
        let s = &spec.prediction;
        let (net_text, net_file, net_dir) =
            nested(&s.network, text, file, base, "prediction.network")?;
        let network = neurodyn_io::spec::spiking::parse(&net_text, &net_file, &net_dir)?;
        let dt = network.simulation.dt;
        let ratio = s.sample / dt;
        check(
            (ratio - ratio.round()).abs() < 1e-9 && ratio.round() >= 1.0,
            "prediction.sample",
            s.sample,
            &format!("a multiple of the network's dt ({dt} ms)"),
        )
        .map_err(err)?;
        let readout: Vec<(String, usize)> = network
            .populations
            .iter()
            .filter(|(_, p)| p.neuron.is_some())
            .map(|(name, p)| (name.clone(), p.n))
            .collect();
        let m = s.phases[0].times.len();
        let mut cells = Vec::new();
        let same = s.cue.population == s.stimulus.population;
        for (field, drive, count) in [("cue", &s.cue, 1), ("stimulus", &s.stimulus, m)] {
            let size = network.populations.get(&drive.population).filter(|p| p.neuron.is_some());
            check(
                size.is_some(),
                &format!("prediction.{field}.population"),
                format!("{:?}", drive.population),
                "a population of model neurons in the network",
            )
            .map_err(err)?;
            let n = size.map_or(0, |p| p.n);
            let needed =
                if same { s.cue.neurons + m * s.stimulus.neurons } else { count * drive.neurons };
            check(
                needed <= n,
                &format!("prediction.{field}.neurons"),
                drive.neurons,
                &format!(
                    "few enough that the cue's and every stimulus's cells are disjoint ({n} cells)"
                ),
            )
            .map_err(err)?;
        }
        // Disjoint cells: one shuffle per population, dealt out in order.
        let mut dealt: std::collections::BTreeMap<&str, (Vec<u32>, usize)> = Default::default();
        for (drive, count) in [(&s.cue, 1), (&s.stimulus, m)] {
            let entry = dealt.entry(drive.population.as_str()).or_insert_with(|| {
                let n = network.populations[&drive.population].n;
                let mut order: Vec<u32> = (0..n as u32).collect();
                order.shuffle(&mut rng::stream(spec.seed, "prediction/cells", 0));
                (order, 0)
            });
            for _ in 0..count {
                let mut c = entry.0[entry.1..entry.1 + drive.neurons].to_vec();
                c.sort_unstable();
                entry.1 += drive.neurons;
                cells.push(c);
            }
        }
        let prepared = PreparedPrediction {
            steps_per_sample: ratio.round() as usize,
            spec,
            network,
            readout,
            cells,
        };
        let test = vec![Trial { occurs: vec![true; m] }];
        let config = prepared.config(&test, &prepared.spec.prediction.phases[0], 0);
        Network::build(&config, prepared.spec.seed).map_err(|e| prepared.network.error(e))?;
        let mut mem = crate::spiking::memory(&prepared.network);
        let d = prepared.features() as f64;
        let total: usize = prepared.spec.prediction.phases.iter().map(|p| p.trials).sum();
        let samples = prepared.samples() as f64;
        mem.add("prediction.force", 2.0 * d * d, 8.0);
        mem.add(
            "prediction.test_trials",
            prepared.spec.prediction.phases.len() as f64 * samples * d,
            8.0,
        );
        mem.add("prediction.phases", total as f64 * (samples / 10.0 + 4.0 * m as f64 * 3.0), 8.0);
        mem.add("prediction.inputs", total as f64 * samples * (m + 1) as f64, 8.0);
        mem.check(limits, text, file)?;
        Ok(Box::new(prepared))
    }
    fn figures(&self, dir: &Path, _: &str, _: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
        figures(&dir.join("prediction.npz"))
    }
}

/// Which stimuli occur on one trial.
#[derive(Clone, Debug)]
struct Trial {
    occurs: Vec<bool>,
}

impl PreparedPrediction {
    /// Read-out features: every model neuron's trace and a constant.
    fn features(&self) -> usize {
        self.readout.iter().map(|r| r.1).sum::<usize>() + 1
    }

    fn samples(&self) -> usize {
        (self.spec.prediction.trial / self.spec.prediction.sample).round() as usize
    }

    fn stimuli(&self) -> usize {
        self.spec.prediction.phases[0].times.len()
    }

    /// Trials of `phase` drawn from stream `object`.
    fn draw(&self, phase: &Phase, object: &str, count: usize) -> Vec<Trial> {
        let mut r = rng::stream(self.spec.seed, object, 0);
        (0..count)
            .map(|_| Trial {
                occurs: phase.probabilities.iter().map(|&p| r.random::<f64>() < p).collect(),
            })
            .collect()
    }

    /// The network with the cue and stimuli of `trials` (each played with `phase`'s timing,
    /// or its own phase's when `phases` gives one per trial) and noise drawn for `session`.
    fn config(&self, trials: &[Trial], phase: &Phase, session: u64) -> NetworkConfig {
        self.config_phases(trials, &vec![phase; trials.len()], session)
    }

    fn config_phases(&self, trials: &[Trial], phases: &[&Phase], session: u64) -> NetworkConfig {
        let s = &self.spec.prediction;
        let mut config = self.network.network();
        config.simulation.duration = trials.len() as f64 * s.trial;
        config.simulation.checkpoint_every = 0.0;
        config.record = RecordConfig::default();
        let n = self.samples();
        let pulse = |on: f64, duration: f64, values: &mut [f64], amplitude: f64| {
            let a = (on / s.sample).round() as usize;
            let b = ((on + duration) / s.sample).round() as usize;
            values[a..b.min(n)].iter_mut().for_each(|v| *v = amplitude);
        };
        let mut channels = vec![vec![0.0; trials.len() * n]; self.cells.len()];
        for (k, (trial, phase)) in trials.iter().zip(phases).enumerate() {
            let range = k * n..(k + 1) * n;
            pulse(0.0, s.cue.duration, &mut channels[0][range.clone()], s.cue.amplitude);
            for (m, (&t, &on)) in phase.times.iter().zip(&trial.occurs).enumerate() {
                if on {
                    let values = &mut channels[m + 1][range.clone()];
                    pulse(t, s.stimulus.duration, values, s.stimulus.amplitude);
                }
            }
        }
        for (c, values) in channels.into_iter().enumerate() {
            let (name, drive) = if c == 0 {
                ("prediction_cue".to_string(), &s.cue)
            } else {
                (format!("prediction_stimulus_{}", c - 1), &s.stimulus)
            };
            config.inputs.insert(
                name,
                InputConfig::Array {
                    target: drive.population.clone(),
                    neurons: Some(self.cells[c].clone()),
                    interval: s.sample,
                    values,
                },
            );
        }
        // Fresh noise for each session over the same network (connectivity and initial
        // values are keyed by the run's seed; noise with a seed of its own stays frozen).
        for (i, input) in config.inputs.values_mut().enumerate() {
            if let InputConfig::Poisson { seed, .. } | InputConfig::OrnsteinUhlenbeck { seed, .. } =
                input
                && seed.is_none()
            {
                *seed = Some(
                    rng::stream(self.spec.seed, "prediction/noise", session * 1024 + i as u64)
                        .random(),
                );
            }
        }
        config
    }

    /// Runs `config` (one trial after another, `n_trials` of them) and hands each sample's
    /// features (traces, then 1) to `sample(trial, index, features)`.
    fn simulate(
        &self,
        config: &NetworkConfig,
        n_trials: usize,
        ctx: &Context<'_>,
        done: &AtomicU64,
        mut sample: impl FnMut(usize, usize, &[f64]),
    ) -> Result<(), String> {
        let mut network = Network::build(config, self.spec.seed).map_err(|e| e.to_string())?;
        let pops: Vec<(usize, usize)> = {
            let mut offset = 0;
            self.readout
                .iter()
                .map(|(name, n)| {
                    let p = network.population_index(name).expect("validated population");
                    offset += n;
                    (p, offset - n)
                })
                .collect()
        };
        let d = self.features();
        let mut r = vec![0.0; d];
        r[d - 1] = 1.0;
        let decay = (-network.dt() / self.spec.prediction.trace).exp();
        let samples = self.samples();
        for k in 0..n_trials {
            if ctx.progress.interrupted() {
                return Err("interrupted".into());
            }
            for i in 0..samples {
                for _ in 0..self.steps_per_sample {
                    network.advance();
                    r[..d - 1].iter_mut().for_each(|x| *x *= decay);
                    for &(p, offset) in &pops {
                        for &j in network.spikes(p) {
                            r[offset + j as usize] += 1.0;
                        }
                    }
                }
                sample(k, i, &r);
            }
            let total = done.fetch_add(1, Ordering::Relaxed) + 1;
            ctx.progress.advance(total, None);
        }
        Ok(())
    }

    /// Mean features over `phase`'s held-out trials, `[sample][feature]`.
    fn mean_features(
        &self,
        index: usize,
        ctx: &Context<'_>,
        done: &AtomicU64,
    ) -> Result<Vec<f64>, String> {
        let s = &self.spec.prediction;
        let phase = &s.phases[index];
        let trials = self.draw(phase, &format!("prediction/test/{index}"), s.test_trials);
        let config = self.config(&trials, phase, 1 + index as u64);
        let d = self.features();
        let mut sum = vec![0.0; self.samples() * d];
        self.simulate(&config, trials.len(), ctx, done, |_, i, r| {
            sum[i * d..(i + 1) * d].iter_mut().zip(r).for_each(|(a, b)| *a += b);
        })?;
        let n = trials.len() as f64;
        sum.iter_mut().for_each(|x| *x /= n);
        Ok(sum)
    }

    /// Read-out `m`'s target at sample `i` of a trial of `phase` where it occurs.
    fn in_window(&self, phase: &Phase, m: usize, i: usize) -> bool {
        let s = &self.spec.prediction;
        let t = i as f64 * s.sample;
        t >= phase.times[m] - s.window && t < phase.times[m]
    }

    /// Window of read-out `m` in `phase`, as sample indices.
    fn window(&self, phase: &Phase, m: usize) -> std::ops::Range<usize> {
        let s = &self.spec.prediction;
        let a = ((phase.times[m] - s.window) / s.sample).round() as usize;
        a..(phase.times[m] / s.sample).round() as usize
    }

    /// The end of the attended part of a trial of `phase` [samples].
    fn attended(&self, phase: &Phase) -> usize {
        let last = phase.times.iter().copied().fold(0.0, f64::max);
        ((last / self.spec.prediction.sample).round() as usize).min(self.samples())
    }

    /// Trains the three learners over every phase's trials; after each trial records their
    /// weights' mean read-out on that phase's held-out features.
    fn train(
        &self,
        means: &[Vec<f64>],
        ctx: &Context<'_>,
        done: &AtomicU64,
    ) -> Result<Training, String> {
        let s = &self.spec.prediction;
        let m = self.stimuli();
        let d = self.features();
        let mut trials = Vec::new();
        let mut phase_of = Vec::new();
        for (index, phase) in s.phases.iter().enumerate() {
            trials.extend(self.draw(phase, &format!("prediction/train/{index}"), phase.trials));
            phase_of.extend(std::iter::repeat_n(index, phase.trials));
        }
        let phases: Vec<&Phase> = phase_of.iter().map(|&p| &s.phases[p]).collect();
        let config = self.config_phases(&trials, &phases, 0);
        let mut three_factor = Learner::new(m, d);
        // FORCE, and FORCE with its inverse correlation matrix reset at each phase change.
        let mut force =
            [ForceLearner::new(m, d, s.force.alpha), ForceLearner::new(m, d, s.force.alpha)];
        let samples = self.samples();
        let mut readouts: Vec<Vec<f64>> = vec![Vec::new(); LEARNERS.len()];
        let mut y = vec![0.0; m];
        let mut z = vec![0.0; m];
        let mut since = 0usize;
        let mut last_trial = usize::MAX;
        self.simulate(&config, trials.len(), ctx, done, |k, i, r| {
            let phase = phases[k];
            if k != last_trial {
                if k > 0 && phase_of[k] != phase_of[k - 1] {
                    force[1].rls.reset(s.force.alpha);
                }
                if k > 0 {
                    // The trial before this one is finished: evaluate every learner on it.
                    let mean = &means[phase_of[k - 1]];
                    let all = [&three_factor, &force[0].readout, &force[1].readout];
                    for (l, learner) in all.into_iter().enumerate() {
                        readouts[l].extend(learner.mean_readout(mean, samples));
                    }
                }
                last_trial = k;
            }
            if i >= self.attended(phase) {
                return;
            }
            for (mm, zz) in z.iter_mut().enumerate() {
                *zz = if trials[k].occurs[mm] && self.in_window(phase, mm, i) { 1.0 } else { 0.0 };
            }
            // Three-factor: a constant rate on every sample.
            three_factor.output(r, &mut y);
            three_factor.delta(r, &y, &z, s.rate);
            since += 1;
            if since.is_multiple_of(s.force.every) {
                for learner in &mut force {
                    learner.readout.output(r, &mut y);
                    learner.update(r, &y, &z);
                }
            }
        })?;
        let mean = &means[phase_of[trials.len() - 1]];
        let all = [&three_factor, &force[0].readout, &force[1].readout];
        for (l, learner) in all.into_iter().enumerate() {
            readouts[l].extend(learner.mean_readout(mean, samples));
        }
        Ok(Training { readouts, phase_of })
    }
}

/// The learners, in the order of `Training::readouts`.
const LEARNERS: [&str; 3] = ["three_factor", "force", "force_reset"];

/// A linear read-out of `m` units over `d` features (the three-factor rule's state).
struct Learner {
    /// Running mean of `|r|²` (the three-factor rule's scale).
    norm: f64,
    w: Vec<f64>,
    m: usize,
    d: usize,
}

/// A read-out learned by FORCE: the weights and the RLS state.
struct ForceLearner {
    readout: Learner,
    rls: Rls,
}

impl ForceLearner {
    fn new(m: usize, d: usize, alpha: f64) -> ForceLearner {
        ForceLearner { readout: Learner::new(m, d), rls: Rls::new(d, alpha) }
    }

    /// One recursive-least-squares step ([`Rls::update`]), then `w_m ← w_m + c (z_m − y_m) k`.
    fn update(&mut self, r: &[f64], y: &[f64], z: &[f64]) {
        let d = self.readout.d;
        let c = self.rls.update(r);
        for mm in 0..self.readout.m {
            let e = c * (z[mm] - y[mm]);
            let w = &mut self.readout.w[mm * d..(mm + 1) * d];
            w.iter_mut().zip(self.rls.gain_vector()).for_each(|(w, k)| *w += e * k);
        }
    }
}

impl Learner {
    /// `m` read-outs of `d` features from zero weights.
    fn new(m: usize, d: usize) -> Learner {
        Learner { norm: 0.0, w: vec![0.0; m * d], m, d }
    }

    fn output(&self, r: &[f64], y: &mut [f64]) {
        for (mm, yy) in y.iter_mut().enumerate() {
            *yy = dot(&self.w[mm * self.d..(mm + 1) * self.d], r);
        }
    }

    /// The three-factor update `Δw_mj = η (z_m − y_m) r_j / ⟨|r|²⟩`, with `⟨|r|²⟩` a running
    /// mean over the last ~1000 updates.
    fn delta(&mut self, r: &[f64], y: &[f64], z: &[f64], rate: f64) {
        let now = dot(r, r);
        self.norm = if self.norm == 0.0 { now } else { self.norm + (now - self.norm) / 1000.0 };
        let norm = self.norm;
        for mm in 0..self.m {
            let e = rate * (z[mm] - y[mm]) / norm;
            if e != 0.0 {
                let w = &mut self.w[mm * self.d..(mm + 1) * self.d];
                w.iter_mut().zip(r).for_each(|(w, r)| *w += e * r);
            }
        }
    }

    /// `W · R̄(t)` over a trial, `[m][sample]`.
    fn mean_readout(&self, mean: &[f64], samples: usize) -> Vec<f64> {
        let d = self.d;
        let mut out = Vec::with_capacity(self.m * samples);
        for mm in 0..self.m {
            let w = &self.w[mm * d..(mm + 1) * d];
            out.extend((0..samples).map(|i| dot(w, &mean[i * d..(i + 1) * d])));
        }
        out
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Every learner's mean read-out after every training trial.
#[derive(Serialize, Deserialize)]
struct Training {
    /// Per learner: `[trial][m][sample]`, flattened.
    readouts: Vec<Vec<f64>>,
    /// The phase of each training trial.
    phase_of: Vec<usize>,
}

/// `metrics.json` of a prediction experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PredictionMetrics {
    /// Three-factor read-out amplitude in each stimulus's window at the end of each phase,
    /// `[phase][stimulus]` [1].
    pub amplitudes: Vec<Vec<f64>>,
    /// The same for FORCE [1].
    pub force_amplitudes: Vec<Vec<f64>>,
    /// Pearson correlation of the three-factor amplitudes with the probabilities, over every
    /// stimulus of every phase [1].
    pub amplitude_probability_correlation: f64,
    /// Least-squares slope of amplitude on probability (1: amplitude = probability) [1].
    pub amplitude_slope: f64,
    /// Three-factor read-out's peak time (in the attended part of the trial) minus its window's
    /// centre, `[phase][stimulus]` [ms].
    pub peak_offsets: Vec<Vec<f64>>,
    /// The largest |peak offset| of the stimuli with probability ≥ 0.5 [ms].
    pub max_peak_offset: f64,
    /// Trials each learner needed to adapt in each phase (`None`: not within the phase; see
    /// `tolerance`),
    /// `[learner][phase]`; learners: three_factor, force, force_reset.
    pub trials_to_adapt: Vec<Vec<Option<usize>>>,
    /// After the first change: FORCE's trials to adapt (the phase's length if it did not)
    /// over the three-factor rule's (the phase's length plus one if it did not) [1].
    pub readapt_ratio: f64,
    /// Each learner's RMS distance from the probability-weighted targets at the end of each
    /// phase (mean read-out on held-out trials, attended part), `[learner][phase]` [1].
    pub settled_distances: Vec<Vec<f64>>,
}

impl Prepared for PreparedPrediction {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        let mut spec = self.spec.clone();
        spec.prediction.network = toml::Value::try_from(&self.network)
            .unwrap_or_else(|_| spec.prediction.network.clone());
        toml::to_string_pretty(&spec).expect("a prediction spec serialises to TOML")
    }
    fn describe(&self) -> String {
        let s = &self.spec.prediction;
        let trials: usize = s.phases.iter().map(|p| p.trials).sum();
        format!(
            "spiking reservoir of {} read-out features: {} stimuli, {} phases, {} training trials",
            self.features() - 1,
            self.stimuli(),
            s.phases.len(),
            trials
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let s = &self.spec.prediction;
        let training_trials: usize = s.phases.iter().map(|p| p.trials).sum();
        let total = training_trials + s.phases.len() * s.test_trials;
        ctx.progress.phase("trials", total as u64);
        let done = AtomicU64::new(0);
        let ctx: &Context<'_> = ctx;
        let means: Vec<Vec<f64>> = ctx.unit("test", || {
            use rayon::prelude::*;
            (0..s.phases.len()).into_par_iter().map(|i| self.mean_features(i, ctx, &done)).collect()
        })?;
        done.store((s.phases.len() * s.test_trials) as u64, Ordering::Relaxed);
        let training = ctx.unit("training", || self.train(&means, ctx, &done))?;
        // The reservoir's mean trace per cell over each phase's held-out trials.
        let d = self.features();
        let activity: Vec<f64> = means
            .iter()
            .flat_map(|mean| {
                mean.chunks(d).map(|r| r[..d - 1].iter().sum::<f64>() / (d - 1) as f64)
            })
            .collect();
        Ok(self.outcome(&training, activity))
    }
}

impl PreparedPrediction {
    /// Amplitude of read-out `m` (the mean over its window) in a `[m][sample]` block.
    fn amplitudes(&self, block: &[f64], phase: &Phase) -> Vec<f64> {
        let n = self.samples();
        (0..self.stimuli())
            .map(|m| {
                let w = self.window(phase, m);
                let len = w.len() as f64;
                block[m * n + w.start..m * n + w.end].iter().sum::<f64>() / len
            })
            .collect()
    }

    /// RMS distance of a `[m][sample]` block from `phase`'s probability-weighted targets over
    /// the attended part of the trial.
    fn distance(&self, block: &[f64], phase: &Phase) -> f64 {
        let (n, end) = (self.samples(), self.attended(phase));
        let mut sum = 0.0;
        for (mm, &p) in phase.probabilities.iter().enumerate() {
            for (i, y) in block[mm * n..mm * n + end].iter().enumerate() {
                let z = if self.in_window(phase, mm, i) { p } else { 0.0 };
                sum += (y - z).powi(2);
            }
        }
        (sum / (end * self.stimuli()) as f64).sqrt()
    }

    fn outcome(&self, training: &Training, activity: Vec<f64>) -> Outcome {
        let s = &self.spec.prediction;
        let (m, n) = (self.stimuli(), self.samples());
        let block = m * n;
        let trials = training.phase_of.len();
        let starts: Vec<usize> = s
            .phases
            .iter()
            .scan(0, |acc, p| {
                let start = *acc;
                *acc += p.trials;
                Some(start)
            })
            .collect();
        // End-of-phase read-outs: the mean of the last `average` trials' mean read-outs.
        let end_blocks: Vec<Vec<Vec<f64>>> = training
            .readouts
            .iter()
            .map(|r| {
                s.phases
                    .iter()
                    .zip(&starts)
                    .map(|(p, &start)| {
                        let mut acc = vec![0.0; block];
                        let last = start + p.trials;
                        for k in last - s.average..last {
                            acc.iter_mut()
                                .zip(&r[k * block..(k + 1) * block])
                                .for_each(|(a, b)| *a += b / s.average as f64);
                        }
                        acc
                    })
                    .collect()
            })
            .collect();
        // Per learner and trial: the RMS distance of the mean read-out from the
        // probability-weighted targets over the attended part of the trial.
        let errors: Vec<Vec<f64>> = training
            .readouts
            .iter()
            .map(|r| {
                (0..trials)
                    .map(|k| {
                        self.distance(
                            &r[k * block..(k + 1) * block],
                            &s.phases[training.phase_of[k]],
                        )
                    })
                    .collect()
            })
            .collect();
        // Each learner's distance at the end of each phase (mean of the last `average` trials).
        let settled: Vec<Vec<f64>> = errors
            .iter()
            .map(|e| {
                s.phases
                    .iter()
                    .zip(&starts)
                    .map(|(p, &start)| {
                        let last = start + p.trials;
                        e[last - s.average..last].iter().sum::<f64>() / s.average as f64
                    })
                    .collect()
            })
            .collect();
        // Adapted: as close to the new targets as the learner was to the old ones before the
        // change (to its own settled distance in the first phase), scaled by how much harder
        // the new phase is for a fresh least-squares read-out (FORCE reset at the change),
        // within `tolerance`.
        let reset = &settled[2];
        let difficulty: Vec<f64> = (0..s.phases.len())
            .map(|q| if q == 0 { 1.0 } else { reset[q] / reset[q - 1] })
            .collect();
        let trials_to_adapt: Vec<Vec<Option<usize>>> = errors
            .iter()
            .zip(&settled)
            .map(|(e, settled)| {
                s.phases
                    .iter()
                    .zip(&starts)
                    .enumerate()
                    .map(|(q, (p, &start))| {
                        let limit =
                            settled[q.saturating_sub(1)] * difficulty[q] * (1.0 + s.tolerance);
                        let e = &e[start..start + p.trials];
                        (0..=p.trials - s.hold)
                            .find(|&i| e[i..i + s.hold].iter().all(|&x| x <= limit))
                            .map(|i| i + 1)
                    })
                    .collect()
            })
            .collect();
        let amps = |l: usize| -> Vec<Vec<f64>> {
            s.phases.iter().zip(&end_blocks[l]).map(|(p, b)| self.amplitudes(b, p)).collect()
        };
        let amplitudes = amps(0);
        let probs: Vec<f64> = s.phases.iter().flat_map(|p| p.probabilities.clone()).collect();
        let flat: Vec<f64> = amplitudes.iter().flatten().copied().collect();
        let correlation = neurodyn_analysis::similarity::pearson(&flat, &probs);
        let pp = dot(&probs, &probs);
        let slope = if pp > 0.0 { dot(&flat, &probs) / pp } else { f64::NAN };
        let peak_offsets: Vec<Vec<f64>> = s
            .phases
            .iter()
            .zip(&end_blocks[0])
            .map(|(p, b)| {
                (0..m)
                    .map(|mm| {
                        let row = &b[mm * n..mm * n + self.attended(p)];
                        let peak = row
                            .iter()
                            .enumerate()
                            .max_by(|a, b| a.1.total_cmp(b.1))
                            .map_or(0, |x| x.0);
                        peak as f64 * s.sample - (p.times[mm] - s.window / 2.0)
                    })
                    .collect()
            })
            .collect();
        // The peaks of likely stimuli (probability at least one half): a rare stimulus's
        // read-out is small against the read-out's fluctuations over the trial.
        let max_peak_offset = s
            .phases
            .iter()
            .zip(&peak_offsets)
            .flat_map(|(p, o)| {
                p.probabilities.iter().zip(o).filter(|(q, _)| **q >= 0.5).map(|(_, o)| o.abs())
            })
            .fold(0.0, f64::max);
        let readapt_ratio = if s.phases.len() > 1 {
            let len = s.phases[1].trials;
            let force = trials_to_adapt[1][1].unwrap_or(len) as f64;
            let three = trials_to_adapt[0][1].unwrap_or(len + 1) as f64;
            force / three
        } else {
            f64::NAN
        };
        let metrics = PredictionMetrics {
            force_amplitudes: amps(1),
            amplitudes,
            amplitude_probability_correlation: correlation,
            amplitude_slope: slope,
            peak_offsets,
            max_peak_offset,
            trials_to_adapt,
            readapt_ratio,
            settled_distances: settled,
        };
        let adapt = |l: usize| {
            metrics.trials_to_adapt[l]
                .iter()
                .map(|t| t.map_or("never".to_string(), |t| t.to_string()))
                .collect::<Vec<_>>()
                .join("/")
        };
        let summary = format!(
            "{}: amplitude vs probability r = {:.3} (slope {:.2}), likely stimuli's peaks within {:.0} ms of their windows' centres; trials to adapt per phase: three-factor {}, FORCE {}, FORCE with reset {}",
            self.spec.name,
            metrics.amplitude_probability_correlation,
            metrics.amplitude_slope,
            metrics.max_peak_offset,
            adapt(0),
            adapt(1),
            adapt(2)
        );
        let np = s.phases.len();
        let mut end = Vec::new();
        for blocks in &end_blocks {
            for b in blocks {
                end.extend_from_slice(b);
            }
        }
        let targets: Vec<f64> = s
            .phases
            .iter()
            .flat_map(|p| {
                (0..m).flat_map(move |mm| {
                    (0..n).map(
                        move |i| if self.in_window(p, mm, i) { p.probabilities[mm] } else { 0.0 },
                    )
                })
            })
            .collect();
        let time: Vec<f64> = (0..n).map(|i| i as f64 * s.sample).collect();
        let arrays = vec![
            ("time".to_string(), Array::f64(&[n], time)),
            ("end_readouts".to_string(), Array::f64(&[LEARNERS.len(), np, m, n], end)),
            ("targets".to_string(), Array::f64(&[np, m, n], targets)),
            ("distances".to_string(), Array::f64(&[LEARNERS.len(), trials], errors.concat())),
            (
                "phase_of_trial".to_string(),
                Array::f64(&[trials], training.phase_of.iter().map(|&p| p as f64).collect()),
            ),
            ("mean_trace".to_string(), Array::f64(&[np, n], activity)),
        ];
        let metrics = serde_json::to_value(&metrics).expect("metrics serialise");
        Outcome { files: vec![("prediction.npz".to_string(), arrays)], metrics, summary }
    }
}

const COLORS: [&str; 8] =
    ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

fn figures(file: &Path) -> Result<Vec<Figure>, IoError> {
    let (_, time) = read_f64(file, "time")?;
    let (shape, end) = read_f64(file, "end_readouts")?;
    let (_, targets) = read_f64(file, "targets")?;
    let (eshape, errors) = read_f64(file, "distances")?;
    let (_, phase_of) = read_f64(file, "phase_of_trial")?;
    let (np, m, n) = (shape[1], shape[2], shape[3]);
    let mut panels = Vec::new();
    for p in 0..np {
        let mut plot = Plot::new(
            &format!("Mean read-outs at the end of phase {}", p + 1),
            "time after the cue [ms]",
            "read-out",
        );
        for mm in 0..m {
            let c = COLORS[mm % COLORS.len()];
            let at = |l: usize| &end[((l * np + p) * m + mm) * n..((l * np + p) * m + mm + 1) * n];
            plot.line(&time, at(0), c, 1.6);
            plot.faint(&time, at(1), c, 0.5);
            plot.dashed(&time, &targets[(p * m + mm) * n..(p * m + mm + 1) * n], c, 1.0);
            plot.legend(&format!("stimulus {}", mm + 1), c, None);
        }
        panels.push(plot);
    }
    let trials = eshape[1];
    let x: Vec<f64> = (1..=trials).map(|k| k as f64).collect();
    let mut curve = Plot::new(
        "Distance of the mean read-out from the targets after each trial",
        "training trial",
        "RMS distance",
    );
    for (l, (name, c)) in LEARNERS.iter().zip(["#1f77b4", "#d62728", "#7f7f7f"]).enumerate() {
        curve.line(&x, &errors[l * trials..(l + 1) * trials], c, 1.2);
        curve.legend(name, c, None);
    }
    let top = errors.iter().copied().filter(|e| e.is_finite()).fold(0.0, f64::max);
    let changes: Vec<f64> =
        (1..trials).filter(|&k| phase_of[k] != phase_of[k - 1]).map(|k| k as f64 + 0.5).collect();
    for c in changes {
        curve.dashed(&[c, c], &[0.0, top], "#555555", 0.8);
    }
    panels.push(curve);
    Ok(vec![Figure {
        file: "prediction.svg".into(),
        svg: stack(&panels),
        caption: "Top: the three-factor read-outs' mean over held-out trials at the end of each phase (solid), FORCE's (faint) and the probability-weighted targets (dashed): each read-out should rise in the window before its stimulus to the stimulus's probability. Bottom: each learner's RMS distance of its mean read-out from the probability-weighted targets after every training trial (FORCE with reset: P reset at each change); dashed: the phase changes.".into(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Limits;

    const SPEC: &str = r#"
name = "small"
seed = 3
[prediction]
trial = 300.0
window = 30.0
rate = 0.002
test_trials = 4
hold = 2
average = 2
cue = { population = "exc", neurons = 10, amplitude = 20.0, duration = 10.0 }
stimulus = { population = "exc", neurons = 10, amplitude = 20.0, duration = 10.0 }
phases = [{ trials = 6, times = [100.0, 200.0], probabilities = [1.0, 0.5] },
          { trials = 6, times = [150.0, 200.0], probabilities = [0.5, 1.0] }]
[prediction.network]
name = "reservoir"
simulation = { dt = 0.5, duration = 100.0, max_delay = 2.0 }
populations.exc = { n = 60, neuron = { model = "izhikevich", preset = "regular_spiking" } }
populations.inh = { n = 15, neuron = { model = "izhikevich", preset = "fast_spiking" } }
projections.ee = { pre = "exc", post = "exc", rule.fixed_probability = { p = 0.1 }, weight = 3.0, delay = 1.0 }
projections.ie = { pre = "inh", post = "exc", rule.fixed_probability = { p = 0.2 }, weight = -3.0, delay = 1.0 }
projections.ei = { pre = "exc", post = "inh", rule.fixed_probability = { p = 0.2 }, weight = 3.0, delay = 1.0 }
inputs.noise.ornstein_uhlenbeck = { target = "exc", mean = 3.0, std = 3.0, tau = 5.0 }
"#;

    fn prepare(text: &str) -> Result<Box<dyn Prepared>, SpecError> {
        PredictionKind.prepare(text, "p.toml", Path::new("."), &Limits::none())
    }

    #[test]
    fn rls_solves_least_squares_and_the_delta_rule_descends() {
        // RLS from P₀ = I/α after n samples is the ridge solution with penalty α.
        let d = 3;
        let xs: Vec<[f64; 3]> = (0..20)
            .map(|i| {
                let t = i as f64;
                [t.sin(), (0.7 * t).cos(), 1.0]
            })
            .collect();
        let ys: Vec<f64> = xs.iter().map(|x| 0.5 * x[0] - 2.0 * x[1] + 0.3).collect();
        let alpha = 1e-3;
        let mut f = ForceLearner::new(1, d, alpha);
        let mut y = [0.0];
        for (x, &t) in xs.iter().zip(&ys) {
            f.readout.output(x, &mut y);
            f.update(x, &y, &[t]);
        }
        let l = f.readout;
        // Ridge normal equations (XᵀX + αI) w = Xᵀy, solved directly.
        let mut a = [[0.0; 3]; 3];
        let mut b = [0.0; 3];
        for (x, &t) in xs.iter().zip(&ys) {
            for i in 0..3 {
                b[i] += x[i] * t;
                for j in 0..3 {
                    a[i][j] += x[i] * x[j];
                }
            }
        }
        for (i, row) in a.iter_mut().enumerate() {
            row[i] += alpha;
        }
        let w = solve3(a, b);
        for i in 0..3 {
            assert!((l.w[i] - w[i]).abs() < 1e-9, "{:?} vs {w:?}", l.w);
        }
        // The delta rule lowers the squared error on the sample it sees.
        let mut l = Learner::new(1, d);
        let x = [0.3, -0.2, 1.0];
        l.output(&x, &mut y);
        let before = (1.0 - y[0]).powi(2);
        l.delta(&x, &y, &[1.0], 0.1);
        l.output(&x, &mut y);
        assert!((1.0 - y[0]).powi(2) < before);
    }

    fn solve3(mut a: [[f64; 3]; 3], mut b: [f64; 3]) -> [f64; 3] {
        for c in 0..3 {
            for r in c + 1..3 {
                let f = a[r][c] / a[c][c];
                for k in c..3 {
                    a[r][k] -= f * a[c][k];
                }
                b[r] -= f * b[c];
            }
        }
        let mut x = [0.0; 3];
        for r in (0..3).rev() {
            x[r] = (b[r] - (r + 1..3).map(|k| a[r][k] * x[k]).sum::<f64>()) / a[r][r];
        }
        x
    }

    #[test]
    fn a_small_paradigm_runs_and_reports_every_learner() {
        let prepared = prepare(SPEC).unwrap();
        let out = crate::kinds::scratch(|ctx| prepared.run(ctx)).unwrap();
        let m: PredictionMetrics = serde_json::from_value(out.metrics).unwrap();
        assert_eq!(m.amplitudes.len(), 2);
        assert_eq!(m.trials_to_adapt.len(), 3);
        assert!(m.settled_distances.iter().flatten().all(|e| e.is_finite()), "{m:?}");
        let arrays = &out.files[0].1;
        let errors = arrays.iter().find(|a| a.0 == "distances").unwrap();
        assert_eq!(errors.1.shape(), &[3, 12]);
    }

    #[test]
    fn bad_settings_are_located_errors() {
        let e = prepare(&SPEC.replace("probabilities = [1.0, 0.5]", "probabilities = [1.5, 0.5]"))
            .err()
            .unwrap();
        assert_eq!(e.field.as_deref(), Some("prediction.phases[0].probabilities[0]"), "{e}");
        let e = prepare(&SPEC.replace("times = [150.0, 200.0]", "times = [150.0]")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("prediction.phases[1].times"), "{e}");
        let e = prepare(&SPEC.replace(
            "neurons = 10, amplitude = 20.0, duration = 10.0 }\nstimulus",
            "neurons = 50, amplitude = 20.0, duration = 10.0 }\nstimulus",
        ))
        .err()
        .unwrap();
        assert_eq!(e.field.as_deref(), Some("prediction.cue.neurons"), "{e}");
        let e = prepare(&SPEC.replace(
            "population = \"exc\", neurons = 10, amplitude = 20.0, duration = 10.0 }\nphases",
            "population = \"nope\", neurons = 10, amplitude = 20.0, duration = 10.0 }\nphases",
        ))
        .err()
        .unwrap();
        assert_eq!(e.field.as_deref(), Some("prediction.stimulus.population"), "{e}");
    }
}
