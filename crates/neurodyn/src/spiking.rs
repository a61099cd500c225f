//! The `spiking` run kind (`[populations]` specs): build the network, simulate it while
//! recording, and turn the recording into named arrays and per-population statistics. No
//! filesystem and no clock: the caller's progress observer times the phases.

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_analysis::spikes::{isi_cv, mean_pairwise_correlation};
use neurodyn_io::IoError;
use neurodyn_io::npz::Array;
use neurodyn_io::spec::{SpecError, SpikingSpec};
use neurodyn_sim::config::ConnectRule;
use neurodyn_sim::{Network, NetworkState, Recording, RunStats, SimError};
use serde_json::Value;
use std::path::Path;

/// The `spiking` kind: specs with a `[populations]` table.
pub struct SpikingKind;

/// A spiking spec whose network was built once (building is the full validation; the run
/// builds it again, timed, rather than hold it between the two).
pub struct PreparedSpiking {
    spec: SpikingSpec,
    description: String,
}

impl Kind for SpikingKind {
    fn name(&self) -> &'static str {
        "spiking"
    }
    fn table(&self) -> &'static str {
        "populations"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec = neurodyn_io::spec::spiking::parse(text, file, base)?;
        memory(&spec).check(limits, text, file)?;
        let (network, _) = build(&spec)?;
        let sim = &spec.simulation;
        neurodyn_core::check(
            sim.n_steps() >= 1,
            "simulation.duration",
            sim.duration,
            &format!("at least one time step dt = {} [ms]", sim.dt),
        )
        .map_err(|e| neurodyn_io::spec::range_error(text, file, e))?;
        let n: usize = network.populations().iter().map(|p| p.n).sum();
        let m: usize = network.projections().iter().map(|p| p.n_synapses).sum();
        let description = format!(
            "spiking network, {} populations, {n} neurons, {m} synapses, seed {}",
            network.populations().len(),
            spec.seed
        );
        Ok(Box::new(PreparedSpiking { spec, description }))
    }
    fn figures(&self, dir: &Path, _spec: &str, metrics: &Value) -> Result<Vec<Figure>, IoError> {
        Ok(neurodyn_report::spiking::figures(dir, metrics)?.into_iter().map(Figure::from).collect())
    }
}

/// The memory a network needs: neuron state and ring buffers per neuron, and each synapse
/// (index, weight, delay) by the expected count of its rule.
pub fn memory(spec: &SpikingSpec) -> MemoryEstimate {
    let mut m = MemoryEstimate::new();
    let slots = (spec.simulation.max_delay / spec.simulation.dt).max(0.0) + 2.0;
    for (name, p) in &spec.populations {
        m.add(&format!("populations.{name}.n"), p.n as f64, 8.0 * (8.0 + slots));
    }
    let size = |name: &str| spec.populations.get(name).map_or(0.0, |p| p.n as f64);
    for (name, p) in &spec.projections {
        let (pre, post) = (size(&p.pre), size(&p.post));
        let count = match &p.rule {
            ConnectRule::FixedProbability { p } => p * pre * post,
            ConnectRule::FixedIndegree { k } => *k as f64 * post,
            ConnectRule::FixedOutdegree { k } => *k as f64 * pre,
            ConnectRule::AllToAll {} | ConnectRule::Ring { .. } => pre * post,
            ConnectRule::OneToOne {} => pre,
            ConnectRule::File { .. } => 0.0,
            ConnectRule::List(l) => l.pre.len() as f64,
        };
        m.add(&format!("projections.{name}.rule"), count, 16.0);
    }
    m
}

impl Prepared for PreparedSpiking {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        self.spec.to_toml()
    }
    fn describe(&self) -> String {
        self.description.clone()
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let spec = &self.spec;
        let progress = ctx.progress;
        let t0 = progress.seconds();
        progress.phase("build", 1);
        let (mut network, mut recording) = build(spec).map_err(|e| e.to_string())?;
        let mut seconds_before = 0.0;
        if let Some(saved) = ctx.load::<Saved>(CHECKPOINT)? {
            if saved.state.n_shards() != network.shard_count() {
                network =
                    Network::build_sharded(&spec.network(), spec.seed, saved.state.n_shards())
                        .map_err(|e| e.to_string())?;
            }
            network.restore(&saved.state)?;
            recording = saved.recording;
            seconds_before = saved.sim_seconds;
        }
        let build_seconds = progress.seconds() - t0;
        progress.phase("simulate", spec.simulation.n_steps());
        let t1 = progress.seconds();
        let stats =
            simulate_resumably(spec, &mut network, &mut recording, ctx, t1 - seconds_before)?;
        let sim_seconds = seconds_before + progress.seconds() - t1;
        let mut files = vec![("spikes.npz".to_string(), spike_arrays(&network, &recording))];
        let (state, weights) = recorded_arrays(&network, &recording);
        if !state.is_empty() {
            files.push(("state.npz".into(), state));
        }
        if !weights.is_empty() {
            files.push(("weights.npz".into(), weights));
        }
        let m = metrics(spec, &network, &recording, &stats, build_seconds, sim_seconds);
        let rates: Vec<String> =
            m.populations.iter().map(|(k, p)| format!("{k} {:.2} Hz", p.mean_rate_hz)).collect();
        let summary = format!(
            "{}: {} ms simulated in {sim_seconds:.3} s, {} synaptic events; {}",
            spec.name,
            m.simulated_ms,
            stats.synaptic_events,
            rates.join(", ")
        );
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Ok(Outcome { files, metrics, summary })
    }
}

/// Builds the spec's network and its recorders; errors are located in the spec.
pub fn build(spec: &SpikingSpec) -> Result<(Network, Recording), SpecError> {
    let config = spec.network();
    let network = Network::build(&config, spec.seed).map_err(|e| spec.error(e))?;
    let recording = Recording::new(&config.record, &network).map_err(|e| spec.error(e))?;
    Ok((network, recording))
}

/// Checkpoint key of a spiking run's saved state.
const CHECKPOINT: &str = "network";

/// Wall-clock seconds between checkpoints when the spec sets no `simulation.checkpoint_every`.
const CHECKPOINT_SECONDS: f64 = 60.0;

/// A spiking run's checkpoint: the network's changing state and what was recorded so far.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    state: NetworkState,
    recording: Recording,
    /// Simulation seconds spent before the checkpoint (so a resumed run reports the total).
    sim_seconds: f64,
}

/// Simulates from the network's current step to the spec's duration, in pieces: a checkpoint
/// after every `simulation.checkpoint_every` (or every minute of wall-clock time), and one when
/// the caller asks to stop, which returns an error saying so. `started` is when simulating
/// began on the caller's clock, less the seconds spent before a resume.
fn simulate_resumably(
    spec: &SpikingSpec,
    network: &mut Network,
    recording: &mut Recording,
    ctx: &Context<'_>,
    started: f64,
) -> Result<RunStats, String> {
    let progress = ctx.progress;
    let total = spec.simulation.n_steps();
    let every = spec.simulation.checkpoint_steps();
    let save = |network: &Network, recording: &Recording| {
        let sim_seconds = progress.seconds() - started;
        ctx.save(
            CHECKPOINT,
            &Saved { state: network.snapshot(), recording: recording.clone(), sim_seconds },
        )
    };
    let mut last_save = progress.seconds();
    loop {
        let step = network.step_index();
        if step >= total {
            break;
        }
        let end = every.map_or(step + 1000, |e| (step / e + 1).saturating_mul(e)).min(total);
        let piece =
            network.run_piece(end - step, end == total, recording, &spec.guards, &mut |k| {
                progress.advance(step + k, None);
                !progress.interrupted()
            });
        match piece {
            Err(SimError::Interrupted { time }) => {
                save(network, recording)?;
                return Err(format!("interrupted at t = {time} ms; checkpoint saved"));
            }
            Err(e) => return Err(format!("simulation stopped: {e}")),
            Ok(_) if end == total => break,
            Ok(_) => {
                let due = match every {
                    Some(e) => end.is_multiple_of(e),
                    None => progress.seconds() - last_save >= CHECKPOINT_SECONDS,
                };
                if due {
                    save(network, recording)?;
                    last_save = progress.seconds();
                }
                if progress.interrupted() {
                    save(network, recording)?;
                    return Err(format!(
                        "interrupted at t = {} ms; checkpoint saved",
                        network.time()
                    ));
                }
            }
        }
    }
    Ok(run_stats(network, recording))
}

/// What the whole run did, from the network and its recording (the same whether or not it
/// was resumed).
fn run_stats(network: &Network, recording: &Recording) -> RunStats {
    RunStats {
        steps: network.step_index(),
        spikes: recording
            .counts
            .counts
            .iter()
            .map(|c| c.iter().map(|&n| u64::from(n)).sum())
            .collect(),
        synaptic_events: network.synaptic_events(),
    }
}

/// Simulates the spec's duration; `progress(step)` every 1000 steps may return `false` to stop.
pub fn simulate(
    spec: &SpikingSpec,
    network: &mut Network,
    recording: &mut Recording,
    progress: &mut (dyn FnMut(u64) -> bool + Send),
) -> Result<RunStats, SimError> {
    network.run(spec.simulation.n_steps(), recording, &spec.guards, progress)
}

/// Named arrays for one `.npz` file.
pub type NamedArrays = Vec<(String, Array)>;

/// Spike times [ms] of every recorded neuron of population `m` of the spike recorder, one
/// list per neuron.
pub fn spike_trains(network: &Network, recording: &Recording, m: usize) -> Vec<Vec<f64>> {
    let r = &recording.spikes;
    let mut trains = vec![Vec::new(); network.populations()[r.populations[m]].n];
    for (&k, &j) in r.steps[m].iter().zip(&r.neurons[m]) {
        trains[j as usize].push(k as f64 * network.dt());
    }
    trains
}

/// `spikes.npz`: `<pop>_times` [ms] and `<pop>_senders` per recorded population, and
/// `counts` (populations × steps, in population order) with `population_sizes`.
pub fn spike_arrays(network: &Network, recording: &Recording) -> NamedArrays {
    let mut arrays = Vec::new();
    let r = &recording.spikes;
    for (m, &pop) in r.populations.iter().enumerate() {
        let name = &network.populations()[pop].name;
        let times: Vec<f64> = r.steps[m].iter().map(|&k| k as f64 * network.dt()).collect();
        let senders: Vec<i32> = r.neurons[m].iter().map(|&j| j as i32).collect();
        arrays.push((format!("{name}_times"), Array::f64(&[times.len()], times)));
        arrays.push((format!("{name}_senders"), Array::i32(&[senders.len()], senders)));
    }
    let counts = &recording.counts.counts;
    let n_steps = counts.first().map_or(0, Vec::len);
    let flat: Vec<i32> = counts.iter().flatten().map(|&c| c as i32).collect();
    arrays.push(("counts".into(), Array::i32(&[counts.len(), n_steps], flat)));
    let sizes: Vec<i32> = network.populations().iter().map(|p| p.n as i32).collect();
    arrays.push(("population_sizes".into(), Array::i32(&[sizes.len()], sizes)));
    arrays.push(("dt".into(), Array::f64(&[1], vec![network.dt()])));
    arrays
}

/// `state.npz` and `weights.npz` contents (empty when nothing was asked for).
pub fn recorded_arrays(network: &Network, recording: &Recording) -> (NamedArrays, NamedArrays) {
    let mut state = Vec::new();
    for r in &recording.state {
        let key = format!("{}_{}", network.populations()[r.population].name, r.variable);
        let t: Vec<f64> = r.steps.iter().map(|&k| k as f64 * network.dt()).collect();
        let flat: Vec<f64> = r.values.iter().flatten().copied().collect();
        state.push((format!("{key}_times"), Array::f64(&[t.len()], t)));
        state.push((
            format!("{key}_neurons"),
            Array::i32(&[r.neurons.len()], r.neurons.iter().map(|&j| j as i32).collect()),
        ));
        state.push((key, Array::f64(&[r.values.len(), r.neurons.len()], flat)));
    }
    let mut weights = Vec::new();
    for r in &recording.weights {
        let key = network.projections()[r.projection].name.clone();
        let t: Vec<f64> = r.steps.iter().map(|&k| k as f64 * network.dt()).collect();
        let kept = r.values.first().map_or(0, Vec::len);
        let flat: Vec<f64> = r.values.iter().flatten().copied().collect();
        weights.push((format!("{key}_times"), Array::f64(&[t.len()], t)));
        weights.push((format!("{key}_mean"), Array::f64(&[r.mean.len()], r.mean.clone())));
        weights.push((key, Array::f64(&[r.values.len(), kept], flat)));
    }
    (state, weights)
}

/// Statistics of one population's spike trains over `[0, duration)` ms.
#[derive(Clone, Debug, PartialEq)]
pub struct PopulationStats {
    /// Mean rate over neurons [Hz].
    pub mean_rate: f64,
    /// Rate of each neuron [Hz].
    pub rates: Vec<f64>,
    /// ISI coefficient of variation of each neuron with at least 3 spikes.
    pub isi_cvs: Vec<f64>,
    /// Mean of `isi_cvs` (NaN if empty).
    pub mean_isi_cv: f64,
    /// Mean over active neurons of the Fano factor of spike counts in `window` ms bins.
    pub fano_factor: f64,
    /// Mean pairwise correlation of spike counts in `window` ms bins (the first 200 neurons).
    pub pairwise_correlation: f64,
}

/// Rates, ISI CVs and Fano factors of spike trains (times in ms).
pub fn population_stats(trains: &[Vec<f64>], duration: f64, window: f64) -> PopulationStats {
    let seconds = duration * 1e-3;
    let rates: Vec<f64> = trains.iter().map(|t| t.len() as f64 / seconds).collect();
    let isi_cvs: Vec<f64> = trains.iter().map(|t| isi_cv(t)).filter(|c| c.is_finite()).collect();
    let n_bins = (duration / window).floor() as usize;
    let mut fanos = Vec::new();
    if n_bins >= 2 {
        for t in trains {
            let mut counts = vec![0.0; n_bins];
            for &s in t {
                let b = (s / window) as usize;
                if b < n_bins {
                    counts[b] += 1.0;
                }
            }
            let mean = counts.iter().sum::<f64>() / n_bins as f64;
            if mean > 0.0 {
                let var = counts.iter().map(|c| (c - mean) * (c - mean)).sum::<f64>()
                    / (n_bins - 1) as f64;
                fanos.push(var / mean);
            }
        }
    }
    let mean =
        |v: &[f64]| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
    let sample = &trains[..trains.len().min(200)];
    PopulationStats {
        pairwise_correlation: mean_pairwise_correlation(sample, duration, window),
        mean_rate: mean(&rates),
        mean_isi_cv: mean(&isi_cvs),
        fano_factor: mean(&fanos),
        rates,
        isi_cvs,
    }
}

/// `metrics.json` of a spiking run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpikingMetrics {
    /// The run's name.
    pub name: String,
    /// Its seed.
    pub seed: u64,
    /// Simulated time [ms].
    pub simulated_ms: f64,
    /// Time step [ms].
    pub dt_ms: f64,
    /// Neurons in all populations [1].
    pub n_neurons: usize,
    /// Synapses in all projections [1].
    pub n_synapses: usize,
    /// Population names in network order (the rows of `counts` in `spikes.npz`).
    pub population_order: Vec<String>,
    /// Statistics of each recorded population, by name.
    pub populations: std::collections::BTreeMap<String, PopulationMetrics>,
    /// Synaptic events delivered [1].
    pub synaptic_events: u64,
    /// Network build time [s].
    pub build_seconds: f64,
    /// Simulation time [s].
    pub sim_seconds: f64,
    /// Synaptic events per second of simulation [1/s].
    pub events_per_second: f64,
}

/// Spike statistics of one population (null where undefined, e.g. a CV with too few spikes).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PopulationMetrics {
    /// Neurons [1].
    pub n: usize,
    /// Spikes [1].
    pub spikes: u64,
    /// Mean rate [Hz].
    pub mean_rate_hz: f64,
    /// Mean ISI coefficient of variation of neurons with at least 3 spikes [1].
    pub mean_isi_cv: Option<f64>,
    /// Mean Fano factor of spike counts in 100 ms windows [1].
    pub fano_factor_100ms: Option<f64>,
    /// Mean pairwise correlation of spike counts in 100 ms windows [1].
    pub pairwise_correlation_100ms: Option<f64>,
}

/// The metrics of a run: per recorded population its rate, ISI CV, Fano factor and
/// correlation; run totals and the phase times the caller measured.
pub fn metrics(
    spec: &SpikingSpec,
    network: &Network,
    recording: &Recording,
    stats: &RunStats,
    build_seconds: f64,
    sim_seconds: f64,
) -> SpikingMetrics {
    let duration = stats.steps as f64 * network.dt();
    let finite = |x: f64| x.is_finite().then_some(x);
    let populations = recording
        .spikes
        .populations
        .iter()
        .enumerate()
        .map(|(m, &pop)| {
            let s = population_stats(&spike_trains(network, recording, m), duration, 100.0);
            let info = &network.populations()[pop];
            let row = PopulationMetrics {
                n: info.n,
                spikes: stats.spikes[pop],
                mean_rate_hz: s.mean_rate,
                mean_isi_cv: finite(s.mean_isi_cv),
                fano_factor_100ms: finite(s.fano_factor),
                pairwise_correlation_100ms: finite(s.pairwise_correlation),
            };
            (info.name.clone(), row)
        })
        .collect();
    SpikingMetrics {
        name: spec.name.clone(),
        seed: spec.seed,
        simulated_ms: duration,
        dt_ms: network.dt(),
        n_neurons: network.populations().iter().map(|p| p.n).sum(),
        n_synapses: network.projections().iter().map(|p| p.n_synapses).sum(),
        population_order: network.populations().iter().map(|p| p.name.clone()).collect(),
        populations,
        synaptic_events: stats.synaptic_events,
        build_seconds,
        sim_seconds,
        events_per_second: stats.synaptic_events as f64 / sim_seconds.max(1e-12),
    }
}
