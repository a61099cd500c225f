//! The built network: shards of neurons with the synapses onto them, and one time step.
//!
//! Each shard owns a contiguous slice of every population, the ring buffers of those neurons
//! and every synapse *onto* them (CSR by presynaptic neuron), so one step runs the shards in
//! parallel with no shared writes. The sum into each neuron is taken in the same order for any
//! number of shards (spike order, then synapse order), so results are bit-identical for any
//! thread count.

use crate::config::{
    ConnectRule, Distribution, InputConfig, NetworkConfig, Receptor, SourceConfig,
};
use crate::connect::connect;
use crate::inputs::Input;
use crate::plasticity::{Plastic, Rule};
use neurodyn_core::rng::{Stream, stream};
use neurodyn_core::{RangeError, check};
use neurodyn_models::spiking::{NeuronState, SpikingModel, StepInput};
use rand::RngExt;

/// A population's name, size and kind.
#[derive(Clone, Debug)]
pub struct PopulationInfo {
    /// Name from the config.
    pub name: String,
    /// Number of neurons.
    pub n: usize,
    /// State variable names (empty for spike sources).
    pub variables: &'static [&'static str],
}

/// A projection's name, endpoints and size.
#[derive(Clone, Debug)]
pub struct ProjectionInfo {
    /// Name from the config.
    pub name: String,
    /// Presynaptic population index.
    pub pre: usize,
    /// Postsynaptic population index.
    pub post: usize,
    /// Number of synapses.
    pub n_synapses: usize,
    /// Whether the weights change.
    pub plastic: bool,
}

#[derive(Clone, Debug)]
pub(crate) enum Body {
    Neurons {
        model: Box<SpikingModel>,
        state: NeuronState,
    },
    Poisson {
        p: f64,
        rng: Vec<Stream>,
    },
    /// Spike steps of each neuron (sorted) and the next one due.
    SpikeTimes {
        steps: Vec<Vec<u64>>,
        next: Vec<usize>,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct PopShard {
    /// Population index of the first neuron of this shard.
    pub(crate) start: u32,
    pub(crate) len: usize,
    pub(crate) body: Body,
    /// Arrivals, `slot * len + neuron`.
    pub(crate) ring_ex: Vec<f64>,
    pub(crate) ring_in: Vec<f64>,
    pub(crate) i_ext: Vec<f64>,
    /// Whether any input writes currents into `i_ext` (otherwise it stays zero).
    has_currents: bool,
    /// Whether any projection or input delivers through the ring buffers.
    uses_ring: bool,
    /// Neither ring nor currents: the model gets the empty input (its synapses are
    /// delivered straight into its state) and the buffers are not allocated.
    fast: bool,
    /// Spikes of this step, population indices, ascending.
    pub(crate) spikes: Vec<u32>,
    pub(crate) local: Vec<u32>,
}

#[derive(Clone, Debug)]
pub(crate) enum Weights {
    Same(f64),
    Each(Vec<f64>),
}

#[derive(Clone, Debug)]
enum Delays {
    Same(u32),
    Each(Vec<u16>),
}

#[derive(Clone, Debug)]
pub(crate) struct ProjShard {
    pre: usize,
    post: usize,
    excitatory: bool,
    /// `target[row_ptr[i]..row_ptr[i + 1]]`: local targets of presynaptic neuron `i`.
    row_ptr: Vec<u32>,
    target: Vec<u32>,
    pub(crate) weights: Weights,
    delays: Delays,
    pub(crate) plastic: Option<Plastic>,
    /// Static zero-delay synapses add straight into this state column of the target.
    direct: Option<usize>,
    pub(crate) events: u64,
}

#[derive(Clone, Debug)]
pub(crate) struct Shard {
    pub(crate) pops: Vec<PopShard>,
    pub(crate) projs: Vec<ProjShard>,
    pub(crate) inputs: Vec<Input>,
}

/// A spike-triggered stimulation: trigger neuron and pending windows.
#[derive(Clone, Debug)]
pub(crate) struct Trigger {
    population: usize,
    neuron: u32,
    delay_steps: u64,
    duration_steps: u64,
    /// Start steps of windows not yet over.
    pub(crate) starts: Vec<u64>,
}

/// A spiking network ready to run; see the crate docs for the order of work in a step.
#[derive(Clone, Debug)]
pub struct Network {
    pub(crate) dt: f64,
    n_slots: usize,
    pub(crate) step: u64,
    pub(crate) populations: Vec<PopulationInfo>,
    pub(crate) projections: Vec<ProjectionInfo>,
    pub(crate) shards: Vec<Shard>,
    /// Spikes of the current step per population (population indices, ascending).
    pub(crate) spikes: Vec<Vec<u32>>,
    pub(crate) triggers: Vec<Trigger>,
    pub(crate) triggered: Vec<bool>,
    /// Spikes per population since the start of the current guard window (windows are
    /// aligned to multiples of the window from step 0, so a run in pieces is guarded alike).
    pub(crate) window_counts: Vec<u64>,
}

/// The smallest shard [`Network::build`] makes.
pub const MIN_NEURONS_PER_SHARD: usize = 8192;

/// Shard `p` of `n_shards` covers `[n·p/S, n·(p+1)/S)`.
fn shard_range(n: usize, p: usize, n_shards: usize) -> (usize, usize) {
    (n * p / n_shards, n * (p + 1) / n_shards)
}

fn at(prefix: &str) -> impl Fn(RangeError) -> RangeError + '_ {
    move |mut e| {
        e.field = format!("{prefix}.{}", e.field);
        e
    }
}

impl Network {
    /// Builds a network with as many shards as rayon has threads in the current pool, but
    /// at least [`MIN_NEURONS_PER_SHARD`] neurons per shard: below that a step is a few
    /// microseconds and splitting it costs more than it gains.
    pub fn build(config: &NetworkConfig, seed: u64) -> Result<Network, RangeError> {
        let n: usize = config.populations.values().map(|p| p.n).sum();
        let shards = rayon::current_num_threads().min(n / MIN_NEURONS_PER_SHARD).max(1);
        Self::build_sharded(config, seed, shards)
    }

    /// Builds a network split into `n_shards` shards (results do not depend on it).
    ///
    /// Errors name the offending field by its dotted path in the spec (e.g.
    /// `projections.ee.rule.fixed_probability.p`).
    pub fn build_sharded(
        config: &NetworkConfig,
        seed: u64,
        n_shards: usize,
    ) -> Result<Network, RangeError> {
        let n_shards = n_shards.max(1);
        let sim = &config.simulation;
        let dt = sim.dt;
        check(dt > 0.0 && dt.is_finite(), "simulation.dt", dt, "a finite value > 0 [ms]")?;
        check(
            sim.duration >= 0.0 && sim.duration.is_finite(),
            "simulation.duration",
            sim.duration,
            "a finite value >= 0 [ms]",
        )?;
        check(
            sim.checkpoint_every >= 0.0 && sim.checkpoint_every.is_finite(),
            "simulation.checkpoint_every",
            sim.checkpoint_every,
            "a finite value >= 0 [ms] (0: every minute of wall-clock time)",
        )?;
        let max_delay_steps = (sim.max_delay / dt).round();
        check(
            sim.max_delay >= 0.0 && max_delay_steps <= u16::MAX as f64,
            "simulation.max_delay",
            sim.max_delay,
            &format!("between 0 and {} ms (65535 steps)", u16::MAX as f64 * dt),
        )?;
        let max_delay_steps = max_delay_steps as u64;
        let n_slots = max_delay_steps as usize + 1;
        check(!config.populations.is_empty(), "populations", "{}", "at least one population")?;

        let names: Vec<&String> = config.populations.keys().collect();
        let find = |name: &str, field: &str| {
            names.iter().position(|n| n.as_str() == name).ok_or_else(|| RangeError {
                field: field.to_string(),
                value: format!("{name:?}"),
                expected: format!(
                    "a population defined under [populations]: one of {}",
                    names.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(", ")
                ),
            })
        };

        // Populations.
        let mut populations = Vec::new();
        let mut shards: Vec<Shard> = (0..n_shards)
            .map(|_| Shard { pops: Vec::new(), projs: Vec::new(), inputs: Vec::new() })
            .collect();
        let mut models: Vec<Option<SpikingModel>> = Vec::new();
        for (name, pop) in &config.populations {
            let f = format!("populations.{name}");
            check(
                pop.n > 0 && pop.n < u32::MAX as usize,
                &format!("{f}.n"),
                pop.n,
                "at least 1 neuron",
            )?;
            let (model, variables) = match (&pop.neuron, &pop.source) {
                (Some(neuron), None) => {
                    let nf = format!("{f}.neuron");
                    let c = neuron.config().map_err(at(&nf))?;
                    let model = c.build(dt).map_err(|e| {
                        if e.field == "dt" {
                            RangeError {
                                field: "simulation.dt".into(),
                                value: e.value,
                                expected: format!("{} (population {name})", e.expected),
                            }
                        } else {
                            at(&nf)(e)
                        }
                    })?;
                    let variables = model.new_state(0).names;
                    (Some(model), variables)
                }
                (None, Some(source)) => {
                    match source {
                        SourceConfig::Poisson { rate } => check(
                            *rate >= 0.0 && rate.is_finite(),
                            &format!("{f}.source.poisson.rate"),
                            rate,
                            "a finite value >= 0 [Hz]",
                        )?,
                        SourceConfig::SpikeTimes { times } => {
                            let field = format!("{f}.source.spike_times.times");
                            check(
                                times.len() == pop.n,
                                &field,
                                times.len(),
                                &format!("one list per neuron ({})", pop.n),
                            )?;
                            let bad = times
                                .iter()
                                .flatten()
                                .find(|&&t| !(t >= 0.5 * dt && t.is_finite()));
                            if let Some(t) = bad {
                                check(false, &field, t, "finite times >= dt [ms]")?;
                            }
                        }
                    }
                    (None, &[][..])
                }
                _ => {
                    return Err(RangeError {
                        field: f,
                        value: "neuron and source".into(),
                        expected:
                            "exactly one of `neuron` (a model) and `source` (spike generator)"
                                .into(),
                    });
                }
            };
            for (var, dist) in &pop.init {
                let vf = format!("{f}.init.{var}");
                check(
                    variables.contains(&var.as_str()),
                    &vf,
                    var,
                    &format!("a state variable of the model: one of {}", variables.join(", ")),
                )?;
                dist.validate(&vf)?;
            }
            for (p, shard) in shards.iter_mut().enumerate() {
                let (lo, hi) = shard_range(pop.n, p, n_shards);
                let len = hi - lo;
                let body = match (&model, &pop.source) {
                    (Some(model), _) => {
                        let mut state = model.new_state(len);
                        model.seed_streams(&mut state, seed, &format!("escape/{name}"), lo as u64);
                        for (var, dist) in &pop.init {
                            let column = state.var_mut(var).expect("checked above");
                            for (m, v) in column.iter_mut().enumerate() {
                                let mut rng =
                                    stream(seed, &format!("init/{name}/{var}"), (lo + m) as u64);
                                *v = dist.sample(&mut rng);
                            }
                        }
                        Body::Neurons { model: Box::new(model.clone()), state }
                    }
                    (None, Some(SourceConfig::Poisson { rate })) => Body::Poisson {
                        p: -(-rate * dt * 1e-3).exp_m1(),
                        rng: (lo..hi)
                            .map(|i| stream(seed, &format!("source/{name}"), i as u64))
                            .collect(),
                    },
                    (None, Some(SourceConfig::SpikeTimes { times })) => {
                        let steps = times[lo..hi]
                            .iter()
                            .map(|ts| {
                                let mut s: Vec<u64> =
                                    ts.iter().map(|t| (t / dt).round() as u64).collect();
                                s.sort_unstable();
                                s
                            })
                            .collect();
                        Body::SpikeTimes { steps, next: vec![0; len] }
                    }
                    (None, None) => unreachable!("checked above"),
                };
                let ring_len = if model.is_some() { n_slots * len } else { 0 };
                shard.pops.push(PopShard {
                    start: lo as u32,
                    len,
                    body,
                    ring_ex: vec![0.0; ring_len],
                    ring_in: vec![0.0; ring_len],
                    i_ext: vec![0.0; if model.is_some() { len } else { 0 }],
                    has_currents: false,
                    uses_ring: false,
                    fast: false,
                    spikes: Vec::new(),
                    local: Vec::new(),
                });
            }
            models.push(model);
            populations.push(PopulationInfo { name: name.clone(), n: pop.n, variables });
        }

        // Projections.
        let mut projections = Vec::new();
        for (name, proj) in &config.projections {
            let f = format!("projections.{name}");
            let pre = find(&proj.pre, &format!("{f}.pre"))?;
            let post = find(&proj.post, &format!("{f}.post"))?;
            let Some(post_model) = &models[post] else {
                return Err(RangeError {
                    field: format!("{f}.post"),
                    value: format!("{:?}", proj.post),
                    expected: "a population of model neurons (spike sources receive no synapses)"
                        .into(),
                });
            };
            let conductance = matches!(post_model, SpikingModel::LifCondExp(_));
            proj.weight.validate(&format!("{f}.weight"))?;
            proj.delay.validate(&format!("{f}.delay"))?;
            let (w_low, _) = proj.weight.range();
            check(
                !conductance
                    || w_low >= 0.0
                    || matches!(proj.weight, Distribution::Normal { mean, .. } if mean >= 0.0),
                &format!("{f}.weight"),
                format!("{:?}", proj.weight),
                "conductances >= 0 [nS] (a normal distribution needs mean >= 0; its negative draws become 0; choose the receptor to inhibit)",
            )?;
            let (d_low, d_high) = proj.delay.range();
            check(
                d_low >= 0.0,
                &format!("{f}.delay"),
                format!("{:?}", proj.delay),
                "delays >= 0 [ms]",
            )?;
            check(
                (d_high / dt).round() as u64 <= max_delay_steps,
                &format!("{f}.delay"),
                format!("{:?}", proj.delay),
                &format!("delays up to simulation.max_delay = {} ms", sim.max_delay),
            )?;
            let excitatory = match proj.receptor {
                Some(r) => r == Receptor::Excitatory,
                None => proj.weight.mean() >= 0.0,
            };
            let rule_field = format!("{f}.rule.{}", rule_name(&proj.rule));
            let (n_pre, n_post) = (populations[pre].n, populations[post].n);
            let edges = connect(
                &proj.rule,
                n_pre,
                n_post,
                pre == post,
                proj.autapses,
                proj.multapses,
                seed,
                name,
            )
            .map_err(at(&rule_field))?;
            check(edges.len() < u32::MAX as usize, &f, edges.len(), "fewer than 2³² synapses")?;
            if let ConnectRule::List(list) = &proj.rule {
                if let Some(&d) = list
                    .delay
                    .iter()
                    .find(|&&d| !(d >= 0.0 && (d / dt).round() as u64 <= max_delay_steps))
                {
                    check(
                        false,
                        &format!("{rule_field}.delay"),
                        d,
                        &format!("delays in [0, {}] ms", sim.max_delay),
                    )?;
                }
                if let Some(&w) =
                    list.weight.iter().find(|&&w| !(w.is_finite() && (!conductance || w >= 0.0)))
                {
                    check(
                        false,
                        &format!("{rule_field}.weight"),
                        w,
                        "finite weights (>= 0 for conductances)",
                    )?;
                }
            }
            let rule = proj
                .plasticity
                .as_ref()
                .map(|p| Rule::new(p, dt, &format!("{f}.plasticity")))
                .transpose()?;
            // Per-synapse values in canonical order, drawn per presynaptic neuron.
            let draw = |dist: &Distribution,
                        given: &[f64],
                        what: &str,
                        clip_low: f64|
             -> Option<Vec<f64>> {
                if !given.is_empty() {
                    return Some(given.to_vec());
                }
                if dist.is_constant() {
                    return None;
                }
                let mut values = Vec::with_capacity(edges.len());
                let mut s = 0;
                while s < edges.len() {
                    let i = edges.pre[s];
                    let mut rng = stream(seed, &format!("{what}/{name}"), i as u64);
                    while s < edges.len() && edges.pre[s] == i {
                        values.push(dist.sample(&mut rng).max(clip_low));
                        s += 1;
                    }
                }
                Some(values)
            };
            let weight_low = if conductance { 0.0 } else { f64::NEG_INFINITY };
            let weights = draw(&proj.weight, &edges.weight, "weight", weight_low);
            let delays = draw(&proj.delay, &edges.delay, "delay", 0.0);
            let to_steps = |d: f64| (d / dt).round() as u16;
            for (p, shard) in shards.iter_mut().enumerate() {
                let (lo, hi) = shard_range(n_post, p, n_shards);
                let mut row_ptr = Vec::with_capacity(n_pre + 1);
                let mut target = Vec::new();
                let mut w_each = Vec::new();
                let mut d_each = Vec::new();
                let mut s = 0;
                for i in 0..n_pre as u32 {
                    row_ptr.push(target.len() as u32);
                    while s < edges.len() && edges.pre[s] == i {
                        let j = edges.post[s] as usize;
                        if (lo..hi).contains(&j) {
                            target.push((j - lo) as u32);
                            if let Some(w) = &weights {
                                w_each.push(w[s]);
                            }
                            if let Some(d) = &delays {
                                d_each.push(to_steps(d[s]));
                            }
                        }
                        s += 1;
                    }
                }
                row_ptr.push(target.len() as u32);
                let plastic = rule.clone().map(|r| Plastic::new(r, &target, hi - lo, n_slots));
                let weights = match (&weights, &plastic) {
                    (Some(_), _) => Weights::Each(w_each),
                    (None, Some(_)) => Weights::Each(vec![proj.weight.mean(); target.len()]),
                    (None, None) => Weights::Same(proj.weight.mean()),
                };
                let delays = match delays {
                    Some(_) => Delays::Each(d_each),
                    None => Delays::Same(to_steps(proj.delay.mean()) as u32),
                };
                let direct = match (&plastic, &delays) {
                    (None, Delays::Same(0)) => {
                        post_model.direct_columns().map(|(e, i)| if excitatory { e } else { i })
                    }
                    _ => None,
                };
                if direct.is_none() {
                    shard.pops[post].uses_ring = true;
                }
                shard.projs.push(ProjShard {
                    pre,
                    post,
                    excitatory,
                    row_ptr,
                    target,
                    weights,
                    delays,
                    plastic,
                    direct,
                    events: 0,
                });
            }
            projections.push(ProjectionInfo {
                name: name.clone(),
                pre,
                post,
                n_synapses: edges.len(),
                plastic: proj.plasticity.is_some(),
            });
        }

        // Inputs.
        let mut triggers = Vec::new();
        for (name, input) in &config.inputs {
            let f = format!("inputs.{name}.{}", input.kind());
            let (target, neurons) = input.target();
            let population = find(target, &format!("{f}.target"))?;
            check(
                models[population].is_some(),
                &format!("{f}.target"),
                format!("{target:?}"),
                "a population of model neurons",
            )?;
            let n = populations[population].n;
            if let Some(bad) = neurons.and_then(|ns| ns.iter().find(|&&j| j as usize >= n)) {
                check(
                    false,
                    &format!("{f}.neurons"),
                    bad,
                    &format!("indices below the population size {n}"),
                )?;
            }
            validate_input(input, &f, dt, &find)?;
            let trigger = triggers.len();
            if let InputConfig::SpikeTriggered { source, neuron, delay, duration, .. } = input {
                let population = find(source, &format!("{f}.source"))?;
                check(
                    (*neuron as usize) < populations[population].n,
                    &format!("{f}.neuron"),
                    neuron,
                    "an index inside the source population",
                )?;
                triggers.push(Trigger {
                    population,
                    neuron: *neuron,
                    delay_steps: (delay / dt).round() as u64,
                    duration_steps: (duration / dt).round() as u64,
                    starts: Vec::new(),
                });
            }
            for (p, shard) in shards.iter_mut().enumerate() {
                let (lo, hi) = shard_range(n, p, n_shards);
                let targets: Vec<u32> = match neurons {
                    Some(ns) => ns
                        .iter()
                        .filter(|&&j| (lo..hi).contains(&(j as usize)))
                        .map(|&j| j - lo as u32)
                        .collect(),
                    None => (0..(hi - lo) as u32).collect(),
                };
                let global = |m: u32| (m as usize + lo) as u64;
                if matches!(input, InputConfig::Poisson { .. }) {
                    shard.pops[population].uses_ring = true;
                } else {
                    shard.pops[population].has_currents = true;
                }
                shard.inputs.push(Input::new(
                    input, name, population, n, targets, global, dt, seed, trigger,
                ));
            }
        }
        for shard in &mut shards {
            for (ps, model) in shard.pops.iter_mut().zip(&models) {
                let direct = model.as_ref().is_some_and(|m| m.direct_columns().is_some());
                ps.fast = direct && !ps.uses_ring && !ps.has_currents;
                if ps.fast {
                    ps.ring_ex = Vec::new();
                    ps.ring_in = Vec::new();
                    ps.i_ext = Vec::new();
                }
            }
        }
        let n_triggers = triggers.len();
        let n_pops = populations.len();
        Ok(Network {
            dt,
            n_slots,
            step: 0,
            spikes: vec![Vec::new(); populations.len()],
            populations,
            projections,
            shards,
            triggers,
            triggered: vec![false; n_triggers],
            window_counts: vec![0; n_pops],
        })
    }

    /// The time step [ms].
    pub fn dt(&self) -> f64 {
        self.dt
    }

    /// The current step `k`; the state is at time `k · dt`.
    pub fn step_index(&self) -> u64 {
        self.step
    }

    /// The number of shards the neurons are split into.
    pub fn shard_count(&self) -> usize {
        self.shards.len()
    }

    /// The current time `k · dt` [ms].
    pub fn time(&self) -> f64 {
        self.step as f64 * self.dt
    }

    /// The populations, in index order (sorted by name).
    pub fn populations(&self) -> &[PopulationInfo] {
        &self.populations
    }

    /// The projections, in index order (sorted by name).
    pub fn projections(&self) -> &[ProjectionInfo] {
        &self.projections
    }

    /// The index of a population by name.
    pub fn population_index(&self, name: &str) -> Option<usize> {
        self.populations.iter().position(|p| p.name == name)
    }

    /// The index of a projection by name.
    pub fn projection_index(&self, name: &str) -> Option<usize> {
        self.projections.iter().position(|p| p.name == name)
    }

    /// The neurons of population `pop` that spiked at the current step, ascending.
    pub fn spikes(&self, pop: usize) -> &[u32] {
        &self.spikes[pop]
    }

    /// The value of state variable `var` of neuron `neuron` of population `pop`.
    pub fn state_value(&self, pop: usize, var: &str, neuron: u32) -> Option<f64> {
        self.shards.iter().find_map(|s| {
            let ps = &s.pops[pop];
            let local = neuron.checked_sub(ps.start)? as usize;
            if local >= ps.len {
                return None;
            }
            match &ps.body {
                Body::Neurons { state, .. } => state.var(var).map(|c| c[local]),
                _ => None,
            }
        })
    }

    /// Sets state variable `var` of every neuron of population `pop` from `values` (length
    /// `n`); false if the variable does not exist or the length differs.
    pub fn set_state(&mut self, pop: usize, var: &str, values: &[f64]) -> bool {
        if values.len() != self.populations[pop].n
            || !self.populations[pop].variables.contains(&var)
        {
            return false;
        }
        for s in &mut self.shards {
            let ps = &mut s.pops[pop];
            if let Body::Neurons { state, .. } = &mut ps.body {
                let lo = ps.start as usize;
                state.var_mut(var).expect("checked").copy_from_slice(&values[lo..lo + ps.len]);
            }
        }
        true
    }

    /// Every weight of projection `proj`, in `(pre, post)` order.
    pub fn weights(&self, proj: usize) -> Vec<f64> {
        let n_pre = self.populations[self.projections[proj].pre].n;
        let mut out = Vec::with_capacity(self.projections[proj].n_synapses);
        for i in 0..n_pre {
            for s in &self.shards {
                let ps = &s.projs[proj];
                let (lo, hi) = (ps.row_ptr[i] as usize, ps.row_ptr[i + 1] as usize);
                match &ps.weights {
                    Weights::Same(w) => out.extend(std::iter::repeat_n(*w, hi - lo)),
                    Weights::Each(ws) => out.extend_from_slice(&ws[lo..hi]),
                }
            }
        }
        out
    }

    /// Every synapse of projection `proj` as `(pre, post)` pairs, in the order of
    /// [`Network::weights`].
    pub fn synapses(&self, proj: usize) -> Vec<(u32, u32)> {
        let info = &self.projections[proj];
        let mut out = Vec::with_capacity(info.n_synapses);
        for i in 0..self.populations[info.pre].n {
            for s in &self.shards {
                let ps = &s.projs[proj];
                let start = s.pops[info.post].start;
                let (lo, hi) = (ps.row_ptr[i] as usize, ps.row_ptr[i + 1] as usize);
                out.extend(ps.target[lo..hi].iter().map(|&t| (i as u32, t + start)));
            }
        }
        out
    }

    /// Sets the neuromodulator level of a three-factor projection (added to its schedule).
    pub fn set_modulator(&mut self, proj: usize, value: f64) {
        for s in &mut self.shards {
            if let Some(p) = &mut s.projs[proj].plastic {
                p.modulator = value;
            }
        }
    }

    /// Synaptic events (spike deliveries to synapses) so far.
    pub fn synaptic_events(&self) -> u64 {
        self.shards.iter().flat_map(|s| s.projs.iter()).map(|p| p.events).sum()
    }

    /// The first non-finite state value, as `(population, variable, neuron)`.
    pub(crate) fn non_finite(&self) -> Option<(usize, &'static str, u32)> {
        for s in &self.shards {
            for (pop, ps) in s.pops.iter().enumerate() {
                if let Body::Neurons { state, .. } = &ps.body {
                    for (name, column) in state.names.iter().zip(&state.vars) {
                        if let Some(m) = column.iter().position(|v| !v.is_finite()) {
                            return Some((pop, name, ps.start + m as u32));
                        }
                    }
                }
            }
        }
        None
    }

    /// Advances the network by one step (see the crate docs for the order of work).
    pub fn advance(&mut self) {
        let k = self.step;
        // Spike-triggered stimulation: windows opened by earlier trigger spikes.
        for (t, trig) in self.triggers.iter_mut().enumerate() {
            if self.spikes[trig.population].binary_search(&trig.neuron).is_ok() {
                trig.starts.push(k + trig.delay_steps);
            }
            trig.starts.retain(|&s| k < s + trig.duration_steps);
            self.triggered[t] = trig.starts.iter().any(|&s| s <= k);
        }
        let ctx = StepContext {
            k,
            dt: self.dt,
            n_slots: self.n_slots,
            spikes: &self.spikes,
            triggered: &self.triggered,
        };
        if self.shards.len() == 1 {
            self.shards[0].step(&ctx);
        } else {
            use rayon::prelude::*;
            self.shards.par_iter_mut().for_each(|s| s.step(&ctx));
        }
        for (pop, spikes) in self.spikes.iter_mut().enumerate() {
            spikes.clear();
            for s in &self.shards {
                spikes.extend_from_slice(&s.pops[pop].spikes);
            }
        }
        self.step = k + 1;
    }
}

fn rule_name(rule: &ConnectRule) -> &'static str {
    match rule {
        ConnectRule::FixedProbability { .. } => "fixed_probability",
        ConnectRule::FixedIndegree { .. } => "fixed_indegree",
        ConnectRule::FixedOutdegree { .. } => "fixed_outdegree",
        ConnectRule::AllToAll {} => "all_to_all",
        ConnectRule::OneToOne {} => "one_to_one",
        ConnectRule::Ring { .. } => "ring",
        ConnectRule::File { .. } => "file",
        ConnectRule::List(_) => "list",
    }
}

fn validate_input(
    input: &InputConfig,
    f: &str,
    dt: f64,
    find: &impl Fn(&str, &str) -> Result<usize, RangeError>,
) -> Result<(), RangeError> {
    let finite =
        |name: &str, v: f64| check(v.is_finite(), &format!("{f}.{name}"), v, "a finite number");
    match input {
        InputConfig::Poisson { rate, weight, .. } => {
            check(
                *rate >= 0.0 && rate.is_finite(),
                &format!("{f}.rate"),
                rate,
                "a finite value >= 0 [Hz]",
            )?;
            finite("weight", *weight)
        }
        InputConfig::Current { amplitude, .. } => finite("amplitude", *amplitude),
        InputConfig::Step { times, amplitudes, .. } => {
            crate::config::Schedule { times: times.clone(), values: amplitudes.clone() }.validate(f)
        }
        InputConfig::Array { interval, values, .. } => {
            check(
                *interval >= dt && interval.is_finite(),
                &format!("{f}.interval"),
                interval,
                "a finite value >= dt [ms]",
            )?;
            let bad = values.iter().find(|v| !v.is_finite());
            check(
                bad.is_none(),
                &format!("{f}.values"),
                bad.copied().unwrap_or(0.0),
                "finite values",
            )
        }
        InputConfig::Tuned { base, peak, concentration, period, times, values, .. } => {
            finite("base", *base)?;
            finite("peak", *peak)?;
            check(
                *concentration >= 0.0 && concentration.is_finite(),
                &format!("{f}.concentration"),
                concentration,
                "a finite value >= 0",
            )?;
            check(
                *period > 0.0 && period.is_finite(),
                &format!("{f}.period"),
                period,
                "a finite value > 0 (180 for orientations, 360 for directions)",
            )?;
            check(
                !times.is_empty(),
                &format!("{f}.times"),
                "[]",
                "at least one knot (time, value) of the stimulus",
            )?;
            crate::config::Schedule { times: times.clone(), values: values.clone() }.validate(f)
        }
        InputConfig::OrnsteinUhlenbeck { mean, std, tau, .. } => {
            finite("mean", *mean)?;
            check(*std >= 0.0 && std.is_finite(), &format!("{f}.std"), std, "a finite value >= 0")?;
            check(
                *tau > 0.0 && tau.is_finite(),
                &format!("{f}.tau"),
                tau,
                "a finite value > 0 [ms]",
            )
        }
        InputConfig::SpikeTriggered { source, delay, amplitude, duration, .. } => {
            find(source, &format!("{f}.source"))?;
            check(
                *delay >= 0.0 && delay.is_finite(),
                &format!("{f}.delay"),
                delay,
                "a finite value >= 0 [ms]",
            )?;
            check(
                *duration >= dt && duration.is_finite(),
                &format!("{f}.duration"),
                duration,
                "a finite value >= dt [ms]",
            )?;
            finite("amplitude", *amplitude)
        }
    }
}

struct StepContext<'a> {
    k: u64,
    dt: f64,
    n_slots: usize,
    spikes: &'a [Vec<u32>],
    triggered: &'a [bool],
}

impl Shard {
    /// One step of this shard, in the fixed order of the crate docs.
    fn step(&mut self, ctx: &StepContext<'_>) {
        let (k, n_slots) = (ctx.k, ctx.n_slots);
        let slot = (k % n_slots as u64) as usize;
        // 1. Propagate the spikes of step k into ring buffers (plastic synapses: into the
        //    pending list of their arrival slot).
        for proj in &mut self.projs {
            let post = &mut self.pops[proj.post];
            let len = post.len;
            if let (Some(column), Body::Neurons { state, .. }) = (proj.direct, &mut post.body) {
                // A one-slot "ring" that is the state column itself.
                proj.propagate(&ctx.spikes[proj.pre], 0, 1, len, &mut state.vars[column]);
                continue;
            }
            let ring = if proj.excitatory { &mut post.ring_ex } else { &mut post.ring_in };
            proj.propagate(&ctx.spikes[proj.pre], k, n_slots, len, ring);
        }
        // 2. Deliver plastic arrivals of step k, then postsynaptic spikes of step k.
        for proj in &mut self.projs {
            let Some(plastic) = &mut proj.plastic else { continue };
            let Weights::Each(weights) = &mut proj.weights else {
                unreachable!("plastic weights are per synapse")
            };
            let post = &mut self.pops[proj.post];
            let len = post.len;
            let ring = if proj.excitatory { &mut post.ring_ex } else { &mut post.ring_in };
            let arrivals = &mut ring[slot * len..(slot + 1) * len];
            let pending = std::mem::take(&mut plastic.pending[slot]);
            for &s in &pending {
                let s = s as usize;
                let t = proj.target[s] as usize;
                arrivals[t] += weights[s];
                plastic.on_pre(s, t, k, &mut weights[s]);
            }
            plastic.pending[slot] = pending;
            plastic.pending[slot].clear();
            for &j in &post.spikes {
                plastic.on_post((j - post.start) as usize, k, weights);
            }
            plastic.on_step(k, ctx.dt, &proj.target, weights);
        }
        // 3. External inputs of step k.
        for ps in &mut self.pops {
            if ps.has_currents {
                ps.i_ext.iter_mut().for_each(|v| *v = 0.0);
            }
        }
        for input in &mut self.inputs {
            let ps = &mut self.pops[input.population];
            let len = ps.len;
            let (ex, inh) = (
                &mut ps.ring_ex[slot * len..(slot + 1) * len],
                &mut ps.ring_in[slot * len..(slot + 1) * len],
            );
            input.apply(k, ctx.dt, ctx.triggered, &mut ps.i_ext, ex, inh);
        }
        // 4. Advance every neuron from t_k to t_{k+1}; collect the spikes of step k + 1.
        for ps in &mut self.pops {
            ps.update(k, slot);
        }
    }
}

impl ProjShard {
    #[inline]
    fn propagate(&mut self, spikes: &[u32], k: u64, n_slots: usize, len: usize, ring: &mut [f64]) {
        let rows = spikes
            .iter()
            .map(|&i| (self.row_ptr[i as usize] as usize, self.row_ptr[i as usize + 1] as usize));
        if let Some(plastic) = &mut self.plastic {
            for (lo, hi) in rows {
                for s in lo..hi {
                    let d = match &self.delays {
                        Delays::Same(d) => *d as u64,
                        Delays::Each(ds) => ds[s] as u64,
                    };
                    plastic.pending[((k + d) % n_slots as u64) as usize].push(s as u32);
                    self.events += 1;
                }
            }
            return;
        }
        match (&self.weights, &self.delays) {
            (Weights::Same(w), Delays::Same(d)) => {
                let at = ((k + *d as u64) % n_slots as u64) as usize * len;
                let arrivals = &mut ring[at..at + len];
                for (lo, hi) in rows {
                    for &t in &self.target[lo..hi] {
                        arrivals[t as usize] += *w;
                    }
                    self.events += (hi - lo) as u64;
                }
            }
            (Weights::Each(ws), Delays::Same(d)) => {
                let at = ((k + *d as u64) % n_slots as u64) as usize * len;
                let arrivals = &mut ring[at..at + len];
                for (lo, hi) in rows {
                    for (&t, &w) in self.target[lo..hi].iter().zip(&ws[lo..hi]) {
                        arrivals[t as usize] += w;
                    }
                    self.events += (hi - lo) as u64;
                }
            }
            (weights, Delays::Each(ds)) => {
                for (lo, hi) in rows {
                    for s in lo..hi {
                        let w = match weights {
                            Weights::Same(w) => *w,
                            Weights::Each(ws) => ws[s],
                        };
                        let at = ((k + ds[s] as u64) % n_slots as u64) as usize * len;
                        ring[at + self.target[s] as usize] += w;
                    }
                    self.events += (hi - lo) as u64;
                }
            }
        }
    }
}

impl PopShard {
    fn update(&mut self, k: u64, slot: usize) {
        self.spikes.clear();
        match &mut self.body {
            Body::Neurons { model, state } => {
                let len = self.len;
                let range = slot * len..(slot + 1) * len;
                self.local.clear();
                // The model zeroes the arrival slot as it reads it.
                let input = if self.fast {
                    StepInput { arrivals_ex: &mut [], arrivals_in: &mut [], i_ext: &[] }
                } else {
                    StepInput {
                        arrivals_ex: &mut self.ring_ex[range.clone()],
                        arrivals_in: &mut self.ring_in[range],
                        i_ext: &self.i_ext,
                    }
                };
                model.step(state, input, &mut self.local);
                let start = self.start;
                self.spikes.extend(self.local.iter().map(|&m| m + start));
            }
            Body::Poisson { p, rng } => {
                for (m, r) in rng.iter_mut().enumerate() {
                    if r.random::<f64>() < *p {
                        self.spikes.push(self.start + m as u32);
                    }
                }
            }
            Body::SpikeTimes { steps, next } => {
                for (m, (s, n)) in steps.iter().zip(next.iter_mut()).enumerate() {
                    let mut fired = false;
                    while *n < s.len() && s[*n] <= k + 1 {
                        fired |= s[*n] == k + 1;
                        *n += 1;
                    }
                    if fired {
                        self.spikes.push(self.start + m as u32);
                    }
                }
            }
        }
    }
}
