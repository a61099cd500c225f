//! A network's changing state, apart from what building it from its config and seed gives
//! again: membranes and every other state variable, refractory counters, ring buffers,
//! currents, plastic weights and traces, queued plastic events, inputs' noise, random streams
//! (their positions), trigger windows, guard counts and the step. Saved by
//! [`Network::snapshot`] and put back by [`Network::restore`] on the same network built again,
//! it lets an interrupted simulation continue to the same bits as one never interrupted.

use crate::Network;
use crate::inputs::Kind as InputKind;
use crate::network::{Body, Weights};
use crate::plasticity::Trace;
use neurodyn_core::rng::Stream;
use serde::{Deserialize, Serialize};

/// Everything that changes while a [`Network`] runs (see the module docs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NetworkState {
    step: u64,
    n_shards: usize,
    spikes: Vec<Vec<u32>>,
    window_counts: Vec<u64>,
    trigger_starts: Vec<Vec<u64>>,
    triggered: Vec<bool>,
    shards: Vec<ShardState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ShardState {
    pops: Vec<PopState>,
    projs: Vec<ProjState>,
    inputs: Vec<InputState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct PopState {
    body: BodyState,
    ring_ex: Vec<f64>,
    ring_in: Vec<f64>,
    i_ext: Vec<f64>,
    spikes: Vec<u32>,
    local: Vec<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum BodyState {
    Neurons { vars: Vec<Vec<f64>>, refractory: Vec<u32>, rng: Vec<Stream> },
    Poisson { rng: Vec<Stream> },
    SpikeTimes { next: Vec<usize> },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct ProjState {
    events: u64,
    /// Weights of plastic projections (static ones are rebuilt).
    weights: Option<Vec<f64>>,
    plastic: Option<PlasticState>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct PlasticState {
    x: Vec<Trace>,
    y: Vec<Trace>,
    eligibility: Vec<Trace>,
    pending: Vec<Vec<u32>>,
    modulator: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
enum InputState {
    Stateless,
    Poisson { rng: Vec<Stream> },
    OrnsteinUhlenbeck { value: Vec<f64>, rng: Vec<Stream> },
}

impl NetworkState {
    /// The step the network was at.
    pub fn step(&self) -> u64 {
        self.step
    }

    /// The number of shards of the network it came from ([`Network::build_sharded`] builds
    /// one that can take it back).
    pub fn n_shards(&self) -> usize {
        self.n_shards
    }
}

impl Network {
    /// The network's changing state (see [`NetworkState`]).
    pub fn snapshot(&self) -> NetworkState {
        let shards = self
            .shards
            .iter()
            .map(|shard| ShardState {
                pops: shard
                    .pops
                    .iter()
                    .map(|p| PopState {
                        body: match &p.body {
                            Body::Neurons { state, .. } => BodyState::Neurons {
                                vars: state.vars.clone(),
                                refractory: state.refractory.clone(),
                                rng: state.rng.clone(),
                            },
                            Body::Poisson { rng, .. } => BodyState::Poisson { rng: rng.clone() },
                            Body::SpikeTimes { next, .. } => {
                                BodyState::SpikeTimes { next: next.clone() }
                            }
                        },
                        ring_ex: p.ring_ex.clone(),
                        ring_in: p.ring_in.clone(),
                        i_ext: p.i_ext.clone(),
                        spikes: p.spikes.clone(),
                        local: p.local.clone(),
                    })
                    .collect(),
                projs: shard
                    .projs
                    .iter()
                    .map(|p| ProjState {
                        events: p.events,
                        weights: match (&p.plastic, &p.weights) {
                            (Some(_), Weights::Each(w)) => Some(w.clone()),
                            _ => None,
                        },
                        plastic: p.plastic.as_ref().map(|q| PlasticState {
                            x: q.x.clone(),
                            y: q.y.clone(),
                            eligibility: q.eligibility.clone(),
                            pending: q.pending.clone(),
                            modulator: q.modulator,
                        }),
                    })
                    .collect(),
                inputs: shard
                    .inputs
                    .iter()
                    .map(|i| match &i.kind {
                        InputKind::Poisson { rng, .. } => InputState::Poisson { rng: rng.clone() },
                        InputKind::OrnsteinUhlenbeck { value, rng, .. } => {
                            InputState::OrnsteinUhlenbeck { value: value.clone(), rng: rng.clone() }
                        }
                        _ => InputState::Stateless,
                    })
                    .collect(),
            })
            .collect();
        NetworkState {
            step: self.step,
            n_shards: self.shards.len(),
            spikes: self.spikes.clone(),
            window_counts: self.window_counts.clone(),
            trigger_starts: self.triggers.iter().map(|t| t.starts.clone()).collect(),
            triggered: self.triggered.clone(),
            shards,
        }
    }

    /// Puts back a state taken by [`Network::snapshot`] from this network as built from the
    /// same config and seed (with as many shards). A state of another network is refused,
    /// naming what differs, and leaves this one unchanged.
    pub fn restore(&mut self, state: &NetworkState) -> Result<(), String> {
        self.check_fits(state)?;
        self.step = state.step;
        self.spikes.clone_from(&state.spikes);
        self.window_counts.clone_from(&state.window_counts);
        for (t, starts) in self.triggers.iter_mut().zip(&state.trigger_starts) {
            t.starts.clone_from(starts);
        }
        self.triggered.clone_from(&state.triggered);
        for (shard, s) in self.shards.iter_mut().zip(&state.shards) {
            for (p, ps) in shard.pops.iter_mut().zip(&s.pops) {
                match (&mut p.body, &ps.body) {
                    (Body::Neurons { state, .. }, BodyState::Neurons { vars, refractory, rng }) => {
                        state.vars.clone_from(vars);
                        state.refractory.clone_from(refractory);
                        state.rng.clone_from(rng);
                    }
                    (Body::Poisson { rng, .. }, BodyState::Poisson { rng: saved }) => {
                        rng.clone_from(saved);
                    }
                    (Body::SpikeTimes { next, .. }, BodyState::SpikeTimes { next: saved }) => {
                        next.clone_from(saved);
                    }
                    _ => unreachable!("checked by check_fits"),
                }
                p.ring_ex.clone_from(&ps.ring_ex);
                p.ring_in.clone_from(&ps.ring_in);
                p.i_ext.clone_from(&ps.i_ext);
                p.spikes.clone_from(&ps.spikes);
                p.local.clone_from(&ps.local);
            }
            for (p, ps) in shard.projs.iter_mut().zip(&s.projs) {
                p.events = ps.events;
                if let (Some(w), Weights::Each(current)) = (&ps.weights, &mut p.weights) {
                    current.clone_from(w);
                }
                if let (Some(q), Some(saved)) = (&mut p.plastic, &ps.plastic) {
                    q.x.clone_from(&saved.x);
                    q.y.clone_from(&saved.y);
                    q.eligibility.clone_from(&saved.eligibility);
                    q.pending.clone_from(&saved.pending);
                    q.modulator = saved.modulator;
                }
            }
            for (i, is) in shard.inputs.iter_mut().zip(&s.inputs) {
                match (&mut i.kind, is) {
                    (InputKind::Poisson { rng, .. }, InputState::Poisson { rng: saved }) => {
                        rng.clone_from(saved);
                    }
                    (
                        InputKind::OrnsteinUhlenbeck { value, rng, .. },
                        InputState::OrnsteinUhlenbeck { value: v, rng: saved },
                    ) => {
                        value.clone_from(v);
                        rng.clone_from(saved);
                    }
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Whether `state` has this network's shape, every buffer the length of this one's.
    fn check_fits(&self, state: &NetworkState) -> Result<(), String> {
        let differs = |what: &str| Err(format!("the saved state is not of this network: {what}"));
        if state.n_shards != self.shards.len() || state.shards.len() != self.shards.len() {
            return differs(&format!(
                "{} shards saved, {} built",
                state.n_shards,
                self.shards.len()
            ));
        }
        if state.spikes.len() != self.spikes.len()
            || state.window_counts.len() != self.window_counts.len()
            || state.trigger_starts.len() != self.triggers.len()
            || state.triggered.len() != self.triggered.len()
        {
            return differs("populations or triggers");
        }
        for (shard, s) in self.shards.iter().zip(&state.shards) {
            if s.pops.len() != shard.pops.len()
                || s.projs.len() != shard.projs.len()
                || s.inputs.len() != shard.inputs.len()
            {
                return differs("populations, projections or inputs");
            }
            for (p, ps) in shard.pops.iter().zip(&s.pops) {
                let body_fits = match (&p.body, &ps.body) {
                    (Body::Neurons { state, .. }, BodyState::Neurons { vars, refractory, rng }) => {
                        vars.len() == state.vars.len()
                            && vars.iter().zip(&state.vars).all(|(a, b)| a.len() == b.len())
                            && refractory.len() == state.refractory.len()
                            && rng.len() == state.rng.len()
                    }
                    (Body::Poisson { rng, .. }, BodyState::Poisson { rng: saved }) => {
                        rng.len() == saved.len()
                    }
                    (Body::SpikeTimes { next, .. }, BodyState::SpikeTimes { next: saved }) => {
                        next.len() == saved.len()
                    }
                    _ => false,
                };
                if !body_fits
                    || p.ring_ex.len() != ps.ring_ex.len()
                    || p.ring_in.len() != ps.ring_in.len()
                    || p.i_ext.len() != ps.i_ext.len()
                {
                    return differs("a population's size, model or buffers");
                }
            }
            for (p, ps) in shard.projs.iter().zip(&s.projs) {
                let weights_fit = match (&ps.weights, &p.weights) {
                    (None, _) => true,
                    (Some(w), Weights::Each(current)) => w.len() == current.len(),
                    (Some(_), Weights::Same(_)) => false,
                };
                let plastic_fits = match (&p.plastic, &ps.plastic) {
                    (None, None) => true,
                    (Some(q), Some(saved)) => {
                        q.x.len() == saved.x.len()
                            && q.y.len() == saved.y.len()
                            && q.eligibility.len() == saved.eligibility.len()
                            && q.pending.len() == saved.pending.len()
                    }
                    _ => false,
                };
                if !weights_fit || !plastic_fits {
                    return differs("a projection's synapses or plasticity");
                }
            }
            for (i, is) in shard.inputs.iter().zip(&s.inputs) {
                let fits = match (&i.kind, is) {
                    (InputKind::Poisson { rng, .. }, InputState::Poisson { rng: saved }) => {
                        rng.len() == saved.len()
                    }
                    (
                        InputKind::OrnsteinUhlenbeck { value, rng, .. },
                        InputState::OrnsteinUhlenbeck { value: v, rng: saved },
                    ) => value.len() == v.len() && rng.len() == saved.len(),
                    (
                        InputKind::Poisson { .. } | InputKind::OrnsteinUhlenbeck { .. },
                        InputState::Stateless,
                    ) => false,
                    (_, InputState::Stateless) => true,
                    _ => false,
                };
                if !fits {
                    return differs("an input");
                }
            }
        }
        Ok(())
    }
}
