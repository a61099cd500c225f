//! The `conditioning` run kind (`[conditioning]` specs): closed-loop spike-triggered
//! stimulation of a plastic spiking network, as a bidirectional brain–computer interface
//! (BBCI) conditions motor cortex (Jackson, Mavoori & Fetz 2006; the model of Lajoie,
//! Krouchev, Kalaska, Fairhall & Fetz 2017, arXiv:1609.00762).
//!
//! Spikes of one neuron at site A trigger a stimulation of site B `d` ms later; the plastic
//! A → B projection changes with `d`. The kind runs the network (any spiking spec, named by
//! `conditioning.network`) once without stimulation (the baseline), once with stimulations at
//! Poisson times (the probe: site B's response kernel `R(v)`, evoked spikes per neuron per
//! stimulation net of its baseline rate, and the trigger site's response `R_A(u)`), and once
//! per delay `d`, each with the same seed, so the runs share their network and noise until the
//! stimulation sets them apart. It measures the mean weight change of the projection in each
//! and sets it against the correlation-based prediction from the baseline and the probe alone
//! (no conditioned run enters it):
//!
//! `Δw(d) = Δw_baseline + (1/S) Σ_(j→i) Σ_s C_j(s) Σ_v R(v) W(s + d + v − δ)
//!                      + N Σ_u Σ_v R_A(u) R(v) W(v − u − δ)`,
//!
//! with `C_j(s)` the baseline's pair counts of pre neuron `j` and the trigger at lag `s`
//! (trigger − pre), `W` the STDP window, `δ` the synaptic delay, `S` the synapse count and `N`
//! the trigger's spike count (`analysis::spikes::StdpWindow::triggered_change`). The first
//! term pairs the evoked spikes with the trigger site's spikes as the baseline has them around
//! trigger spikes — it is what ties the change to the delay; the second pairs them with the
//! spikes they evoke back at the trigger site (feedback), the same for every delay. Both are
//! first order: they neglect how the weights' change alters the activity during the run. As a
//! check, the probe's own weight change per stimulation (open loop) is reported next to what
//! the two terms expect of it.
//!
//! ```toml
//! name = "bbci"
//! [conditioning]
//! network = "bbci_network.toml"     # a spiking spec (relative to this file) or an inline table
//! trigger = { population = "a", neuron = 0 }
//! target = "b"
//! projection = "ab"                 # the plastic projection measured: trigger site → target
//! also = ["ba", "ac"]               # other plastic projections whose change is reported
//! stimulus = { amplitude = 5000.0, duration = 1.0 }
//! delays = [0.0, 10.0, 20.0, 50.0, 100.0]
//! duration = 100000.0               # of each run [ms]
//! probe = { rate = 10.0, window = 50.0 }
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, Outcome, Prepared};
use neurodyn_analysis::similarity::pearson;
use neurodyn_analysis::spikes::{StdpWindow, cross_correlogram};
use neurodyn_core::{RangeError, check};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, SpikingSpec, check_name, nested, range_error, schema_version,
    serde_error,
};
use neurodyn_report::svg::{Marker, Plot, stack};
use neurodyn_sim::config::{
    InputConfig, Pairing, PlasticityConfig, PopulationConfig, RecordConfig, SourceConfig,
    WeightDependence,
};
use neurodyn_sim::record::Recording;
use neurodyn_sim::{Network, NetworkConfig};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// A conditioning experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditioningSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of every run (the network's own seed is not used).
    #[serde(default)]
    pub seed: u64,
    /// The protocol.
    pub conditioning: Settings,
}

/// The network and the protocol.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// A spiking spec: a file path (relative to this spec) or an inline table.
    pub network: toml::Value,
    /// The neuron whose spikes trigger the stimulation.
    pub trigger: TriggerNeuron,
    /// The stimulated population (every neuron of it).
    pub target: String,
    /// The plastic projection measured, from the trigger's population to `target`.
    pub projection: String,
    /// Other plastic (STDP) projections whose mean change is reported (no prediction).
    #[serde(default)]
    pub also: Vec<String>,
    /// The stimulation each trigger spike opens.
    pub stimulus: Stimulus,
    /// Trigger-to-stimulation delays `d` [ms].
    pub delays: Vec<f64>,
    /// Length of the baseline and of each conditioning run [ms].
    pub duration: f64,
    /// The open-loop run that measures the target's response to one stimulation.
    #[serde(default)]
    pub probe: Probe,
}

/// A neuron of a population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerNeuron {
    /// Population.
    pub population: String,
    /// Index in it.
    pub neuron: u32,
}

/// A rectangular current pulse.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Stimulus {
    /// Current, in the target model's unit (pA for current-based neurons).
    pub amplitude: f64,
    /// Length [ms].
    pub duration: f64,
}

/// Stimulations at Poisson times, independent of the network, to measure the response kernels
/// (a run as long as the baseline, with its seed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// Stimulation rate [Hz].
    pub rate: f64,
    /// Length of the response kernel after the stimulation's onset [ms].
    pub window: f64,
}

impl Default for Probe {
    fn default() -> Self {
        Probe { rate: 10.0, window: 50.0 }
    }
}

/// Name of the probe's stimulation clock (a one-neuron Poisson population added to the network).
const CLOCK: &str = "conditioning_probe_clock";
/// Name of the stimulation input added to the network.
const STIMULATION: &str = "conditioning_stimulation";

/// The `conditioning` kind.
pub struct ConditioningKind;

/// A validated experiment: the spec and its network.
pub struct PreparedConditioning {
    spec: ConditioningSpec,
    network: SpikingSpec,
    window: StdpWindow,
    /// The measured projection's mean synaptic delay [ms].
    synaptic_delay: f64,
    /// Synapses of each pre neuron in the measured projection (out-degrees; they sum to the
    /// projection's synapse count).
    out_degree: Vec<usize>,
}

impl Kind for ConditioningKind {
    fn name(&self) -> &'static str {
        "conditioning"
    }
    fn table(&self) -> &'static str {
        "conditioning"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: ConditioningSpec =
            toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        let err = |e: RangeError| range_error(text, file, e);
        spec.validate().map_err(err)?;
        let c = &spec.conditioning;
        let (net_text, net_file, net_dir) =
            nested(&c.network, text, file, base, "conditioning.network")?;
        let network = neurodyn_io::spec::spiking::parse(&net_text, &net_file, &net_dir)?;
        let (window, synaptic_delay) = check_network(c, &network).map_err(err)?;
        // Build each variant once: the network's own errors are located in its spec, the
        // added stimulation's in this one.
        let base_config = with_duration(&network.network(), c.duration);
        let built = Network::build(&base_config, spec.seed).map_err(|e| network.error(e))?;
        let proj = built.projection_index(&c.projection).expect("checked projection");
        let mut out_degree = vec![0usize; built.populations()[built.projections()[proj].pre].n];
        for (pre, _) in built.synapses(proj) {
            out_degree[pre as usize] += 1;
        }
        for config in [stimulated(&base_config, c, c.delays[0]), probe(&base_config, c)] {
            Network::build(&config, spec.seed).map_err(|e| {
                let field = if e.field.starts_with("inputs.") {
                    "conditioning.stimulus".to_string()
                } else {
                    e.field.clone()
                };
                err(RangeError { field, ..e })
            })?;
        }
        let mut m = crate::spiking::memory(&network);
        let neurons: usize = network.populations.values().map(|p| p.n).sum();
        // Spikes recorded per run, at an assumed ceiling of 100 Hz per neuron.
        m.add("conditioning.duration", neurons as f64 * c.duration * 0.1, 16.0);
        m.check(limits, text, file)?;
        Ok(Box::new(PreparedConditioning { spec, network, window, synaptic_delay, out_degree }))
    }
    fn figures(
        &self,
        dir: &Path,
        _: &str,
        metrics: &serde_json::Value,
    ) -> Result<Vec<Figure>, IoError> {
        figures(&dir.join("conditioning.npz"), metrics)
    }
}

impl ConditioningSpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let c = &self.conditioning;
        let f = "conditioning";
        let positive = |v: f64, field: &str, most: f64| {
            check(
                v > 0.0 && v <= most,
                &format!("{f}.{field}"),
                v,
                &format!("a value > 0 and at most {most}"),
            )
        };
        positive(c.duration, "duration", 1e8)?;
        check(
            c.stimulus.amplitude.is_finite(),
            "conditioning.stimulus.amplitude",
            c.stimulus.amplitude,
            "a finite value",
        )?;
        positive(c.stimulus.duration, "stimulus.duration", 1e4)?;
        check(
            !c.delays.is_empty() && c.delays.len() <= 1000,
            "conditioning.delays",
            format!("{} delays", c.delays.len()),
            "between 1 and 1000 delays",
        )?;
        for (i, &d) in c.delays.iter().enumerate() {
            check(
                (0.0..=10_000.0).contains(&d),
                &format!("conditioning.delays[{i}]"),
                d,
                "a delay between 0 and 10000 ms",
            )?;
        }
        positive(c.probe.rate, "probe.rate", 1000.0)?;
        positive(c.probe.window, "probe.window", 10_000.0)
    }
}

/// Checks the protocol's names against the network; returns the measured projection's STDP
/// window and mean synaptic delay.
fn check_network(c: &Settings, net: &SpikingSpec) -> Result<(StdpWindow, f64), RangeError> {
    let pop = |name: &str, field: &str| -> Result<&PopulationConfig, RangeError> {
        net.populations.get(name).ok_or_else(|| RangeError {
            field: field.into(),
            value: format!("{name:?}"),
            expected: "a population of the network".into(),
        })
    };
    let trigger = pop(&c.trigger.population, "conditioning.trigger.population")?;
    check(
        (c.trigger.neuron as usize) < trigger.n,
        "conditioning.trigger.neuron",
        c.trigger.neuron,
        &format!("an index below the population's size {}", trigger.n),
    )?;
    check(
        pop(&c.target, "conditioning.target")?.neuron.is_some(),
        "conditioning.target",
        format!("{:?}", c.target),
        "a population of model neurons (not a spike source)",
    )?;
    check(
        !net.populations.contains_key(CLOCK) && !net.inputs.contains_key(STIMULATION),
        "conditioning.network",
        format!("{CLOCK:?} / {STIMULATION:?}"),
        "a network without these names, which the experiment adds",
    )?;
    let stdp =
        |name: &str, field: &str| -> Result<&neurodyn_sim::config::ProjectionConfig, RangeError> {
            let p = net.projections.get(name).ok_or_else(|| RangeError {
                field: field.into(),
                value: format!("{name:?}"),
                expected: "a projection of the network".into(),
            })?;
            check(
                matches!(p.plasticity, Some(PlasticityConfig::Stdp(_))),
                field,
                format!("{name:?}"),
                "a projection with STDP plasticity",
            )?;
            Ok(p)
        };
    for (i, name) in c.also.iter().enumerate() {
        stdp(name, &format!("conditioning.also[{i}]"))?;
    }
    let p = stdp(&c.projection, "conditioning.projection")?;
    check(
        p.pre == c.trigger.population && p.post == c.target,
        "conditioning.projection",
        format!("{:?} ({} → {})", c.projection, p.pre, p.post),
        &format!("a projection from {:?} to {:?}", c.trigger.population, c.target),
    )?;
    let Some(PlasticityConfig::Stdp(s)) = &p.plasticity else { unreachable!("checked above") };
    check(
        s.dependence == WeightDependence::Additive && s.pairing == Pairing::AllToAll,
        "conditioning.projection",
        format!("{:?}", c.projection),
        "additive all-to-all STDP (the correlation-based prediction sums every pair)",
    )?;
    let window = StdpWindow {
        a_plus: s.a_plus,
        a_minus: s.a_minus,
        tau_plus: s.tau_plus,
        tau_minus: s.tau_minus,
    };
    Ok((window, p.delay.mean()))
}

fn with_duration(config: &NetworkConfig, duration: f64) -> NetworkConfig {
    let mut c = config.clone();
    c.simulation.duration = duration;
    c.simulation.checkpoint_every = 0.0;
    c
}

/// The network with the trigger's spikes stimulating the target `delay` ms later.
fn stimulated(config: &NetworkConfig, c: &Settings, delay: f64) -> NetworkConfig {
    let mut config = config.clone();
    config.inputs.insert(
        STIMULATION.into(),
        InputConfig::SpikeTriggered {
            target: c.target.clone(),
            neurons: None,
            source: c.trigger.population.clone(),
            neuron: c.trigger.neuron,
            delay,
            amplitude: c.stimulus.amplitude,
            duration: c.stimulus.duration,
        },
    );
    config
}

/// The network stimulated at Poisson times (a one-neuron Poisson clock triggers it).
fn probe(config: &NetworkConfig, c: &Settings) -> NetworkConfig {
    let mut config = config.clone();
    config.populations.insert(
        CLOCK.into(),
        PopulationConfig {
            n: 1,
            neuron: None,
            source: Some(SourceConfig::Poisson { rate: c.probe.rate }),
            init: BTreeMap::new(),
        },
    );
    let mut probe_settings = c.clone();
    probe_settings.trigger = TriggerNeuron { population: CLOCK.into(), neuron: 0 };
    stimulated(&config, &probe_settings, 0.0)
}

/// Pairs (pre spike, trigger spike) by lag, per synapse of the measured projection, and the
/// count independent trains with the same spike counts would give.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Correlogram {
    /// Lags (trigger − pre) [ms].
    lags: Vec<f64>,
    /// Pairs per bin.
    pairs: Vec<f64>,
    /// Pairs per bin at chance.
    chance: Vec<f64>,
}

/// The probe's results: its run, and the target's and the trigger site's responses to one
/// stimulation (evoked spikes per neuron per bin after the onset, net of the baseline).
struct Probed {
    run: RunResult,
    response: Vec<f64>,
    site_response: Vec<f64>,
}

/// What one run leaves: the measured projections' mean weight changes and, when asked, the
/// spike times of some populations.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct RunResult {
    /// Mean weight change of each projection (the measured one first, then `also`).
    changes: Vec<f64>,
    /// The measured projection's per-synapse changes' standard deviation.
    change_std: f64,
    /// Spike times [ms] of the populations asked for, one list per neuron.
    trains: BTreeMap<String, Vec<Vec<f64>>>,
    /// Mean rate of each population recorded (those asked for, the trigger's and the
    /// target) [Hz].
    rates: BTreeMap<String, f64>,
    /// Spikes of the trigger neuron (stimulations in a conditioning run).
    trigger_spikes: usize,
}

impl PreparedConditioning {
    fn projections(&self) -> Vec<&str> {
        let c = &self.spec.conditioning;
        std::iter::once(c.projection.as_str()).chain(c.also.iter().map(String::as_str)).collect()
    }

    /// Runs `config`, recording the spikes of `keep` (and the target's rate).
    fn simulate(
        &self,
        config: &NetworkConfig,
        keep: &[&str],
        ctx: &Context<'_>,
    ) -> Result<RunResult, String> {
        let mut network = Network::build(config, self.spec.seed).map_err(|e| e.to_string())?;
        let mut pops: Vec<String> = keep.iter().map(|s| s.to_string()).collect();
        pops.push(self.spec.conditioning.target.clone());
        pops.push(self.spec.conditioning.trigger.population.clone());
        pops.sort();
        pops.dedup();
        let record = RecordConfig { spikes: Some(pops.clone()), ..Default::default() };
        let mut recording = Recording::new(&record, &network).map_err(|e| e.to_string())?;
        let indices: Vec<usize> = self
            .projections()
            .iter()
            .map(|p| network.projection_index(p).expect("validated projection"))
            .collect();
        let before: Vec<Vec<f64>> = indices.iter().map(|&i| network.weights(i)).collect();
        network
            .run(config.simulation.n_steps(), &mut recording, &config.guards, &mut |_| {
                !ctx.progress.interrupted()
            })
            .map_err(|e| e.to_string())?;
        let mut changes = Vec::new();
        let mut change_std = 0.0;
        for (k, (&i, w0)) in indices.iter().zip(&before).enumerate() {
            let d: Vec<f64> = network.weights(i).iter().zip(w0).map(|(a, b)| a - b).collect();
            let n = d.len().max(1) as f64;
            let mean = d.iter().sum::<f64>() / n;
            if k == 0 {
                change_std = (d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            }
            changes.push(mean);
        }
        let dt = network.dt();
        let duration = config.simulation.duration;
        let mut trains = BTreeMap::new();
        let mut rates = BTreeMap::new();
        let mut trigger_spikes = 0;
        for (m, &p) in recording.spikes.populations.iter().enumerate() {
            let info = &network.populations()[p];
            let mut per: Vec<Vec<f64>> = vec![Vec::new(); info.n];
            for (&k, &j) in recording.spikes.steps[m].iter().zip(&recording.spikes.neurons[m]) {
                per[j as usize].push(k as f64 * dt);
            }
            let total: usize = per.iter().map(Vec::len).sum();
            rates.insert(info.name.clone(), total as f64 / info.n as f64 / duration * 1e3);
            if info.name == self.spec.conditioning.trigger.population {
                trigger_spikes = per[self.spec.conditioning.trigger.neuron as usize].len();
            }
            if keep.contains(&info.name.as_str()) {
                trains.insert(info.name.clone(), per);
            }
        }
        Ok(RunResult { changes, change_std, trains, rates, trigger_spikes })
    }
}

/// `metrics.json` of a conditioning experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditioningMetrics {
    /// The delays [ms].
    pub delays: Vec<f64>,
    /// Mean weight change of the measured projection at each delay.
    pub measured_change: Vec<f64>,
    /// Its correlation-based prediction.
    pub predicted_change: Vec<f64>,
    /// Mean weight change without stimulation.
    pub baseline_change: f64,
    /// Standard error of a run's mean change: the per-synapse spread over √synapses. A lower
    /// bound: synapses that share a pre or post neuron do not change independently.
    pub change_standard_error: f64,
    /// Pearson correlation of measured and predicted changes across delays [1].
    pub correlation: f64,
    /// The prediction without its feedback term: the evoked spikes paired with the trigger
    /// site's spikes as the baseline has them around trigger spikes.
    pub predicted_change_first_order: Vec<f64>,
    /// Its correlation with the measured changes [1].
    pub correlation_first_order: f64,
    /// The probe's weight change per stimulation at random times, less the baseline drift.
    pub open_loop_change_per_stimulation: f64,
    /// What the prediction's first term expects of it: evoked spikes × the trigger site's
    /// rate × ∫W (stimulations at random times meet the trigger site at chance).
    pub open_loop_first_order_per_stimulation: f64,
    /// The prediction's feedback term per stimulation: the trigger site's evoked spikes paired
    /// with the target's of the same stimulation.
    pub feedback_first_order_per_stimulation: f64,
    /// Spikes one stimulation of the target evokes per neuron of the trigger's site [1].
    pub trigger_site_evoked_spikes_per_stimulation: f64,
    /// Least-squares slope of measured on predicted conditioning effects (through the
    /// baseline) [1]: 1 when the prediction is right in size as well as shape.
    pub prediction_slope: f64,
    /// The largest conditioning effect, `max_d (Δw(d) − Δw_baseline)`.
    pub peak_effect: f64,
    /// The delay where it is [ms].
    pub peak_delay: f64,
    /// The peak effect over the standard error [1].
    pub peak_over_standard_error: f64,
    /// The effect at the longest delay [weight].
    pub long_delay_effect: f64,
    /// The effect at the longest delay over the peak effect [1].
    pub long_over_peak: f64,
    /// The measured effect's range over delays (largest − smallest) [weight].
    pub effect_range: f64,
    /// Conditioning effect (change − baseline change) of each `also` projection per delay.
    pub also_effect: BTreeMap<String, Vec<f64>>,
    /// The largest |effect| of each `also` projection over delays [weight].
    pub also_largest_effect: BTreeMap<String, f64>,
    /// The trigger neuron's rate in the baseline [Hz].
    pub trigger_rate_hz: f64,
    /// Its rate in each conditioning run (stimulations per second) [Hz].
    pub trigger_rate_conditioned_hz: Vec<f64>,
    /// The trigger's population's mean rate in each conditioning run [Hz].
    pub trigger_site_rate_conditioned_hz: Vec<f64>,
    /// The target's mean rate in each conditioning run [Hz].
    pub target_rate_conditioned_hz: Vec<f64>,
    /// The target population's rate in the baseline [Hz].
    pub target_rate_hz: f64,
    /// Spikes one stimulation evokes per target neuron, net of the baseline (`Σ R`) [1].
    pub evoked_spikes_per_stimulation: f64,
    /// Synapses of the measured projection [1].
    pub synapses: usize,
    /// Length of each run [ms].
    pub duration_ms: f64,
}

impl Prepared for PreparedConditioning {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        let mut resolved = self.spec.clone();
        resolved.conditioning.network = toml::Value::Table(self.network.to_table());
        toml::to_string_pretty(&resolved).expect("a conditioning spec serialises to TOML")
    }
    fn describe(&self) -> String {
        let c = &self.spec.conditioning;
        format!(
            "spike-triggered stimulation: {}[{}] → {}, {} delays, {} ms each, seed {}",
            c.trigger.population,
            c.trigger.neuron,
            c.target,
            c.delays.len(),
            c.duration,
            self.spec.seed
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let c = &self.spec.conditioning;
        let base = with_duration(&self.network.network(), c.duration);
        let trigger_pop = c.trigger.population.as_str();
        let bin = base.simulation.dt;
        let total = c.delays.len() + 2;
        ctx.progress.phase("conditioning runs", total as u64);

        // The baseline: pair counts of each pre neuron with the trigger, weighted by its
        // out-degree in the measured projection, per synapse.
        let (baseline, correlogram) = ctx.unit("baseline", || {
            let r = self.simulate(&base, &[trigger_pop, c.target.as_str()], ctx)?;
            Ok((r.clone(), self.trigger_correlogram(&base, &r)))
        })?;
        ctx.cases_done(1, total);

        // The probe: the target's response kernel.
        let probe_config = probe(&base, c);
        let (probe_run, response, site_response) = ctx.unit("probe", || {
            let keep = [CLOCK, c.target.as_str(), trigger_pop];
            let mut r = self.simulate(&probe_config, &keep, ctx)?;
            let response = self.response_kernel(&r, &baseline, &c.target, bin);
            let site = self.response_kernel(&r, &baseline, trigger_pop, bin);
            r.trigger_spikes = r.trains[CLOCK][0].len();
            r.trains.clear();
            Ok((r, response, site))
        })?;
        ctx.cases_done(2, total);

        // One run per delay, as many at once as the pool has threads.
        let mut runs: Vec<Option<RunResult>> = vec![None; c.delays.len()];
        for (i, run) in runs.iter_mut().enumerate() {
            *run = ctx.load(&format!("delay_{i}"))?;
        }
        let todo: Vec<usize> = (0..c.delays.len()).filter(|&i| runs[i].is_none()).collect();
        let chunk = rayon::current_num_threads().max(1);
        for group in todo.chunks(chunk) {
            let done: Vec<Result<RunResult, String>> = group
                .par_iter()
                .map(|&i| self.simulate(&stimulated(&base, c, c.delays[i]), &[], ctx))
                .collect();
            for (&i, r) in group.iter().zip(done) {
                let r = r?;
                ctx.save(&format!("delay_{i}"), &r)?;
                runs[i] = Some(r);
            }
            let finished = runs.iter().filter(|r| r.is_some()).count();
            ctx.cases_done(2 + finished, total);
            if ctx.progress.interrupted() {
                return Err("interrupted; every finished unit is saved".into());
            }
        }
        let runs: Vec<RunResult> = runs.into_iter().map(|r| r.expect("every delay ran")).collect();
        let probe = Probed { run: probe_run, response, site_response };
        Ok(self.outcome(&baseline, &correlogram, &probe, &runs))
    }
}

impl PreparedConditioning {
    /// The measured projection's synapse count.
    fn synapses(&self) -> usize {
        self.out_degree.iter().sum()
    }

    /// `Σ_j o_j C_j(s) / S`: the baseline's pair counts (pre spike of the trigger's population,
    /// trigger spike) by lag, each pre neuron weighted by its synapses in the measured
    /// projection, per synapse. Lags cover the window's reach (6 τ) beyond every delay and the
    /// response window.
    fn trigger_correlogram(&self, config: &NetworkConfig, r: &RunResult) -> Correlogram {
        let c = &self.spec.conditioning;
        let out_degree = &self.out_degree;
        let trains = &r.trains[&c.trigger.population];
        let trigger = &trains[c.trigger.neuron as usize];
        let bin = config.simulation.dt;
        let reach = 6.0 * self.window.tau_plus.max(self.window.tau_minus)
            + c.delays.iter().cloned().fold(0.0, f64::max)
            + c.probe.window
            + self.synaptic_delay.abs();
        let half_bins = (reach / bin).ceil() as usize + 1;
        let mut total = vec![0.0; 2 * half_bins + 1];
        let mut chance = vec![0.0; 2 * half_bins + 1];
        let span = config.simulation.duration;
        let lags: Vec<f64> =
            (0..total.len()).map(|i| (i as f64 - half_bins as f64) * bin).collect();
        for (j, train) in trains.iter().enumerate() {
            if out_degree[j] == 0 {
                continue;
            }
            let o = out_degree[j] as f64;
            let (_, counts) = cross_correlogram(train, trigger, bin, half_bins);
            // Independent trains with these counts: n_j n_trigger Δ (T − |s|) / T² per bin.
            let independent = train.len() as f64 * trigger.len() as f64 * bin / (span * span);
            for ((t, ch), (x, lag)) in
                total.iter_mut().zip(&mut chance).zip(counts.iter().zip(&lags))
            {
                *t += o * x;
                *ch += o * independent * (span - lag.abs()).max(0.0);
            }
        }
        let s = self.synapses().max(1) as f64;
        total.iter_mut().chain(chance.iter_mut()).for_each(|t| *t /= s);
        Correlogram { lags, pairs: total, chance }
    }

    /// A population's evoked spikes per neuron per stimulation in each bin after the onset:
    /// its spikes around the probe's stimulations less the baseline's spikes around the same
    /// times (the two runs share the seed, so what the stimulation did not cause cancels),
    /// less the mean of that difference over the window before the onset (what lasts longer
    /// than a window: the raised rate, other stimulations' spill-over).
    fn response_kernel(
        &self,
        probe: &RunResult,
        baseline: &RunResult,
        population: &str,
        bin: f64,
    ) -> Vec<f64> {
        let clock = &probe.trains[CLOCK][0];
        let merged = |r: &RunResult| {
            let mut all: Vec<f64> = r.trains[population].iter().flatten().copied().collect();
            all.sort_by(f64::total_cmp);
            all
        };
        let half = (self.spec.conditioning.probe.window / bin).round() as usize;
        let (_, stimulated) = cross_correlogram(clock, &merged(probe), bin, half);
        let (_, unstimulated) = cross_correlogram(clock, &merged(baseline), bin, half);
        let diff: Vec<f64> = stimulated.iter().zip(&unstimulated).map(|(a, b)| a - b).collect();
        let per = (clock.len().max(1) * probe.trains[population].len().max(1)) as f64;
        let before = diff[..half].iter().sum::<f64>() / half.max(1) as f64;
        diff[half..].iter().map(|x| (x - before) / per).collect()
    }

    fn outcome(
        &self,
        baseline: &RunResult,
        k: &Correlogram,
        probe: &Probed,
        runs: &[RunResult],
    ) -> Outcome {
        let (probe_run, response) = (&probe.run, &probe.response[..]);
        let c = &self.spec.conditioning;
        let bin = self.network.simulation.dt;
        let base = baseline.changes[0];
        let measured: Vec<f64> = runs.iter().map(|r| r.changes[0]).collect();
        let shifted = |d: f64| d - self.synaptic_delay;
        // First order: the evoked spikes paired with the trigger site's spikes as the baseline
        // has them around trigger spikes.
        let first_order: Vec<f64> = c
            .delays
            .iter()
            .map(|&d| {
                base + self.window.triggered_change(&k.lags, &k.pairs, response, bin, shifted(d))
            })
            .collect();
        let stimulations = baseline.trigger_spikes as f64;
        let open_loop = (probe_run.changes[0] - base) / probe_run.trigger_spikes.max(1) as f64;
        let chance_pairs: f64 = k.chance.iter().sum::<f64>() / k.chance.len() as f64;
        let open_loop_first_order = chance_pairs / bin / stimulations.max(1.0)
            * response.iter().sum::<f64>()
            * self.window.integral();
        // Feedback, to first order: the trigger site's evoked spikes (pre) paired with the
        // target's evoked spikes (post) of the same stimulation.
        let feedback: f64 = probe
            .site_response
            .iter()
            .enumerate()
            .map(|(u, ra)| {
                let pre = [-(u as f64) * bin];
                self.window.triggered_change(&pre, &[*ra], response, bin, -self.synaptic_delay)
            })
            .sum();
        let predicted: Vec<f64> = first_order.iter().map(|f| f + stimulations * feedback).collect();
        let effect: Vec<f64> = measured.iter().map(|m| m - base).collect();
        let predicted_effect: Vec<f64> = predicted.iter().map(|p| p - base).collect();
        let (peak_i, &peak) = effect
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .expect("at least one delay");
        let long_i = c
            .delays
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(i, _)| i)
            .expect("at least one delay");
        let n_syn = self.synapses();
        let se = baseline.change_std / (n_syn.max(1) as f64).sqrt();
        let pp: f64 = predicted_effect.iter().map(|p| p * p).sum();
        let slope = effect.iter().zip(&predicted_effect).map(|(m, p)| m * p).sum::<f64>() / pp;
        let mut also_effect: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for (k, name) in c.also.iter().enumerate() {
            let b = baseline.changes[k + 1];
            also_effect.insert(name.clone(), runs.iter().map(|r| r.changes[k + 1] - b).collect());
        }
        let trigger_train = &baseline.trains[&c.trigger.population][c.trigger.neuron as usize];
        let m = ConditioningMetrics {
            delays: c.delays.clone(),
            measured_change: measured.clone(),
            predicted_change: predicted.clone(),
            baseline_change: base,
            change_standard_error: se,
            correlation: pearson(&measured, &predicted),
            predicted_change_first_order: first_order.clone(),
            correlation_first_order: pearson(&measured, &first_order),
            open_loop_change_per_stimulation: open_loop,
            open_loop_first_order_per_stimulation: open_loop_first_order,
            feedback_first_order_per_stimulation: feedback,
            trigger_site_evoked_spikes_per_stimulation: probe.site_response.iter().sum(),
            prediction_slope: slope,
            peak_effect: peak,
            peak_delay: c.delays[peak_i],
            peak_over_standard_error: peak / se,
            long_delay_effect: effect[long_i],
            long_over_peak: effect[long_i] / peak,
            effect_range: effect.iter().cloned().fold(f64::MIN, f64::max)
                - effect.iter().cloned().fold(f64::MAX, f64::min),
            also_largest_effect: also_effect
                .iter()
                .map(|(k, v)| (k.clone(), v.iter().fold(0.0, |m: f64, x| m.max(x.abs()))))
                .collect(),
            also_effect: also_effect.clone(),
            trigger_rate_hz: trigger_train.len() as f64 / c.duration * 1e3,
            target_rate_hz: baseline.rates[&c.target],
            trigger_rate_conditioned_hz: runs
                .iter()
                .map(|r| r.trigger_spikes as f64 / c.duration * 1e3)
                .collect(),
            trigger_site_rate_conditioned_hz: runs
                .iter()
                .map(|r| r.rates[&c.trigger.population])
                .collect(),
            target_rate_conditioned_hz: runs.iter().map(|r| r.rates[&c.target]).collect(),
            evoked_spikes_per_stimulation: response.iter().sum(),
            synapses: n_syn,
            duration_ms: c.duration,
        };
        let summary = format!(
            "{}: weight change vs delay correlates with the prediction at r = {:.3}; peak effect {:.3} at {} ms ({:.1} SE), {:.3} at {} ms",
            self.spec.name,
            m.correlation,
            m.peak_effect,
            m.peak_delay,
            m.peak_over_standard_error,
            m.long_delay_effect,
            c.delays[long_i]
        );
        let q = c.delays.len();
        let mut arrays = vec![
            ("delays".to_string(), Array::f64(&[q], c.delays.clone())),
            ("measured_change".to_string(), Array::f64(&[q], measured)),
            ("predicted_change".to_string(), Array::f64(&[q], predicted)),
            ("baseline_change".to_string(), Array::f64(&[1], vec![base])),
            ("predicted_change_first_order".to_string(), Array::f64(&[q], first_order)),
            ("trigger_lags".to_string(), Array::f64(&[k.lags.len()], k.lags.clone())),
            ("trigger_pairs".to_string(), Array::f64(&[k.pairs.len()], k.pairs.clone())),
            ("trigger_pairs_chance".to_string(), Array::f64(&[k.chance.len()], k.chance.clone())),
            ("response".to_string(), Array::f64(&[response.len()], response.to_vec())),
            (
                "site_response".to_string(),
                Array::f64(&[probe.site_response.len()], probe.site_response.clone()),
            ),
            ("bin".to_string(), Array::f64(&[1], vec![bin])),
        ];
        for (name, e) in also_effect {
            arrays.push((format!("also_effect_{name}"), Array::f64(&[q], e)));
        }
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Outcome { files: vec![("conditioning.npz".to_string(), arrays)], metrics, summary }
    }
}

/// The weight change against the delay with its prediction, and the two kernels behind it.
fn figures(file: &Path, metrics: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
    let (_, delays) = read_f64(file, "delays")?;
    let (_, measured) = read_f64(file, "measured_change")?;
    let (_, predicted) = read_f64(file, "predicted_change")?;
    let (_, base) = read_f64(file, "baseline_change")?;
    let mut p = Plot::new(
        "Weight change of the conditioned projection",
        "trigger → stimulation delay d [ms]",
        "mean Δw",
    );
    p.line(&delays, &predicted, "#d62728", 1.5);
    p.points(&delays, &measured, "#1f77b4", Marker::Dot, 3.0);
    let ends = [delays[0], *delays.last().unwrap_or(&delays[0])];
    p.dashed(&ends, &[base[0], base[0]], "#7f7f7f", 1.0);
    p.legend("measured", "#1f77b4", Some(Marker::Dot));
    p.legend("correlation-based prediction", "#d62728", None);
    p.legend("no stimulation", "#7f7f7f", None);
    let mut e = Plot::new(
        "Conditioning effect by projection",
        "trigger → stimulation delay d [ms]",
        "Δw − Δw without stimulation",
    );
    let effect: Vec<f64> = measured.iter().map(|m| m - base[0]).collect();
    e.points(&delays, &effect, "#1f77b4", Marker::Dot, 3.0);
    e.legend("conditioned (trigger site → stimulated site)", "#1f77b4", Some(Marker::Dot));
    let colors = ["#ff7f0e", "#2ca02c", "#8c564b", "#e377c2", "#17becf"];
    let also = metrics.get("also_effect").and_then(|a| a.as_object());
    for (k, name) in also.into_iter().flat_map(|a| a.keys()).enumerate() {
        let (_, y) = read_f64(file, &format!("also_effect_{name}"))?;
        let color = colors[k % colors.len()];
        e.line(&delays, &y, color, 1.5);
        e.legend(name, color, None);
    }
    e.dashed(&ends, &[0.0, 0.0], "#7f7f7f", 1.0);
    let mut figures = vec![Figure {
        file: "conditioning_delay.svg".into(),
        svg: stack(&[p, e]),
        caption: "Mean weight change of the trigger site → stimulated site projection after each conditioning run, against the delay from trigger spike to stimulation, with the prediction from the unstimulated network's correlations and the measured response to one stimulation (dashed: the change without stimulation); below, the same effect for the other plastic projections reported (e.g. the reverse projection and one to an unstimulated site).".into(),
    }];
    let (_, lags) = read_f64(file, "trigger_lags")?;
    let (_, pairs) = read_f64(file, "trigger_pairs")?;
    let (_, response) = read_f64(file, "response")?;
    let (_, bin) = read_f64(file, "bin")?;
    let mut k = Plot::new(
        "Pre spikes against trigger spikes (baseline)",
        "trigger − pre spike [ms]",
        "pairs per synapse per bin",
    );
    k.line(&lags, &pairs, "#2ca02c", 1.0);
    let (_, chance) = read_f64(file, "trigger_pairs_chance")?;
    k.dashed(&lags, &chance, "#7f7f7f", 1.0);
    k.legend("measured", "#2ca02c", None);
    k.legend("independent trains", "#7f7f7f", None);
    let v: Vec<f64> = (0..response.len()).map(|i| i as f64 * bin[0]).collect();
    let mut r = Plot::new(
        "Response to one stimulation (probe)",
        "time after onset [ms]",
        "evoked spikes per neuron per bin",
    );
    r.line(&v, &response, "#9467bd", 1.0);
    r.legend("stimulated site", "#9467bd", None);
    if let Ok((_, site)) = read_f64(file, "site_response") {
        r.line(&v, &site, "#ff7f0e", 1.0);
        r.legend("trigger site (feedback)", "#ff7f0e", None);
    }
    figures.push(Figure {
        file: "conditioning_kernels.svg".into(),
        svg: stack(&[k, r]),
        caption: "The two measured ingredients of the prediction: how the trigger site's neurons fire around the trigger neuron's spikes without stimulation, and each site's response to one stimulation of the target at Poisson times (the probe's spikes less the baseline's around the same times).".into(),
    });
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Limits;

    /// Two sites of 30 escape-noise neurons, each with a common Poisson drive, and a plastic
    /// a → b projection; `extra` is appended to the `[conditioning]` table.
    fn spec(projection_pre: &str, extra: &str) -> String {
        format!(
            r#"
name = "small"
seed = 3
[conditioning]
target = "b"
projection = "ab"
trigger = {{ population = "a", neuron = 0 }}
stimulus = {{ amplitude = 5000.0, duration = 1.0 }}
delays = [5.0, 100.0]
duration = 8000.0
probe = {{ rate = 10.0, window = 40.0 }}
{extra}
[conditioning.network]
name = "net"
simulation = {{ dt = 0.1, duration = 1000.0, max_delay = 1.0 }}
[conditioning.network.populations.a]
n = 30
neuron = {{ model = "lif_escape", i_e = 100.0 }}
[conditioning.network.populations.b]
n = 30
neuron = {{ model = "lif_escape", i_e = 100.0 }}
[conditioning.network.populations.drive]
n = 40
source.poisson = {{ rate = 20.0 }}
[conditioning.network.projections.drive_a]
pre = "drive"
post = "a"
rule.fixed_indegree = {{ k = 25 }}
weight = 150.0
[conditioning.network.projections.ab]
pre = "{projection_pre}"
post = "b"
rule.fixed_probability = {{ p = 0.2 }}
weight = 30.0
delay = 1.0
plasticity.stdp = {{ a_plus = 0.1, a_minus = 0.105, tau_plus = 20.0, tau_minus = 20.0, w_max = 150.0 }}
"#
        )
    }

    fn prepare(text: &str) -> Result<Box<dyn Prepared>, SpecError> {
        ConditioningKind.prepare(text, "c.toml", Path::new("."), &Limits::none())
    }

    #[test]
    fn short_delays_potentiate_long_ones_do_not_and_the_prediction_agrees() {
        for seed in [1, 3, 4] {
            let text = spec("a", "").replace("seed = 3", &format!("seed = {seed}"));
            let prepared = prepare(&text).unwrap();
            let out = crate::kinds::scratch(|ctx| prepared.run(ctx)).unwrap();
            let m: ConditioningMetrics = serde_json::from_value(out.metrics).unwrap();
            let (measured, predicted) = (&m.measured_change, &m.predicted_change);
            // A trigger spike evokes spikes in b 5 ms later: potentiation of the trigger
            // site's synapses onto b, several standard errors above the 100-ms delay's change.
            let (se, gap) = (m.change_standard_error, measured[0] - measured[1]);
            assert!(gap > 4.0 * se, "seed {seed}: {measured:?} (se {se})");
            assert!(m.evoked_spikes_per_stimulation > 0.5, "{}", m.evoked_spikes_per_stimulation);
            // No path leads back from b to a: the trigger site's response to the probe is
            // exactly zero (the probe and the baseline share every random stream), so the
            // prediction has no feedback term; the first order alone is within a fifth of the
            // gap (measured: 0.02 to 0.12 of it over seeds 1–6).
            assert_eq!(m.trigger_site_evoked_spikes_per_stimulation, 0.0);
            for (x, y) in measured.iter().zip(predicted) {
                assert!((x - y).abs() < 0.2 * gap, "seed {seed}: {x} vs {y}");
            }
        }
    }

    #[test]
    fn bad_protocols_are_located_errors() {
        let e = prepare(&spec("b", "")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("conditioning.projection"), "{e}");
        assert!(e.to_string().contains("a projection from \"a\" to \"b\""), "{e}");
        let text = spec("a", "").replace("neuron = 0 }", "neuron = 30 }");
        let e = prepare(&text).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("conditioning.trigger.neuron"), "{e}");
        let text = spec("a", "also = [\"drive_a\"]");
        let e = prepare(&text).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("conditioning.also[0]"), "{e}");
        assert!(e.to_string().contains("STDP"), "{e}");
        let text = spec("a", "").replace("delays = [5.0, 100.0]", "delays = [5.0, -1.0]");
        let e = prepare(&text).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("conditioning.delays[1]"), "{e}");
        let text = spec("a", "").replace("target = \"b\"", "target = \"drive\"");
        let e = prepare(&text).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("conditioning.target"), "{e}");
    }
}
