//! External inputs on a population shard: Poisson spike trains, currents (constant, step,
//! sampled array), Ornstein–Uhlenbeck noise and spike-triggered stimulation.

use crate::config::{InputConfig, Receptor, Schedule};
use neurodyn_core::rng::{Stream, stream};
use rand::RngExt;

/// One input's work on the targets inside one shard.
#[derive(Clone, Debug)]
pub(crate) struct Input {
    /// Population index of the targets.
    pub(crate) population: usize,
    /// Local (shard) indices of the targets.
    pub(crate) targets: Vec<u32>,
    pub(crate) kind: Kind,
}

#[derive(Clone, Debug)]
pub(crate) enum Kind {
    /// `exp_minus_lambda = e^{−λ}` per step; spikes add `weight` at the receptor.
    Poisson {
        lambda: f64,
        exp_minus_lambda: f64,
        weight: f64,
        excitatory: bool,
        rng: Vec<Stream>,
    },
    Current(f64),
    Step(Schedule),
    Array {
        interval: f64,
        values: Vec<f64>,
    },
    /// `base + peak · exp(κ (cos(k (pref − θ(t))) − 1))`, `k = 2π/period`, per target.
    Tuned {
        base: f64,
        peak: f64,
        kappa: f64,
        k: f64,
        stimulus: Schedule,
        preferred: Vec<f64>,
    },
    OrnsteinUhlenbeck {
        mean: f64,
        decay: f64,
        kick: f64,
        value: Vec<f64>,
        rng: Vec<Stream>,
    },
    /// Active while the network says so (index into the trigger table).
    SpikeTriggered {
        trigger: usize,
        amplitude: f64,
    },
}

impl Input {
    /// Builds the shard part of input `name`; `global` maps local target `m` to its
    /// population index.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        config: &InputConfig,
        name: &str,
        population: usize,
        size: usize,
        targets: Vec<u32>,
        global: impl Fn(u32) -> u64,
        dt: f64,
        seed: u64,
        trigger: usize,
    ) -> Self {
        let object = format!("input/{name}");
        let streams = |s: Option<u64>| -> Vec<Stream> {
            targets.iter().map(|&m| stream(s.unwrap_or(seed), &object, global(m))).collect()
        };
        let kind = match config {
            InputConfig::Poisson { rate, n_sources, weight, receptor, seed: s, .. } => {
                let lambda = rate * *n_sources as f64 * dt * 1e-3;
                let excitatory = match receptor {
                    Some(r) => *r == Receptor::Excitatory,
                    None => *weight >= 0.0,
                };
                Kind::Poisson {
                    lambda,
                    exp_minus_lambda: (-lambda).exp(),
                    weight: *weight,
                    excitatory,
                    rng: streams(*s),
                }
            }
            InputConfig::Current { amplitude, .. } => Kind::Current(*amplitude),
            InputConfig::Step { times, amplitudes, .. } => {
                Kind::Step(Schedule { times: times.clone(), values: amplitudes.clone() })
            }
            InputConfig::Array { interval, values, .. } => {
                Kind::Array { interval: *interval, values: values.clone() }
            }
            InputConfig::Tuned { base, peak, concentration, period, times, values, .. } => {
                Kind::Tuned {
                    base: *base,
                    peak: *peak,
                    kappa: *concentration,
                    k: std::f64::consts::TAU / period,
                    stimulus: Schedule { times: times.clone(), values: values.clone() },
                    preferred: targets
                        .iter()
                        .map(|&m| period * global(m) as f64 / size.max(1) as f64)
                        .collect(),
                }
            }
            InputConfig::OrnsteinUhlenbeck { mean, std, tau, seed: s, .. } => {
                let decay = (-dt / tau).exp();
                let mut rng = streams(*s);
                let value = rng.iter_mut().map(|r| mean + std * normal(r)).collect();
                Kind::OrnsteinUhlenbeck {
                    mean: *mean,
                    decay,
                    kick: std * (1.0 - decay * decay).sqrt(),
                    value,
                    rng,
                }
            }
            InputConfig::SpikeTriggered { amplitude, .. } => {
                Kind::SpikeTriggered { trigger, amplitude: *amplitude }
            }
        };
        Input { population, targets, kind }
    }

    /// Adds this step's input: currents into `i_ext`, spikes into the arrival slots.
    pub(crate) fn apply(
        &mut self,
        k: u64,
        dt: f64,
        triggered: &[bool],
        i_ext: &mut [f64],
        arr_ex: &mut [f64],
        arr_in: &mut [f64],
    ) {
        let t = k as f64 * dt;
        let mut add_current = |amplitude: f64| {
            if amplitude != 0.0 {
                for &m in &self.targets {
                    i_ext[m as usize] += amplitude;
                }
            }
        };
        match &mut self.kind {
            Kind::Current(a) => add_current(*a),
            Kind::Step(schedule) => add_current(schedule.at(t)),
            Kind::Array { interval, values } => {
                let i = (t / *interval + 1e-9).floor() as usize;
                add_current(values.get(i).copied().unwrap_or(0.0));
            }
            Kind::Tuned { base, peak, kappa, k, stimulus, preferred } => {
                let theta = stimulus.interpolated(t);
                for (&m, &p) in self.targets.iter().zip(preferred.iter()) {
                    let tuning = (*kappa * ((*k * (p - theta)).cos() - 1.0)).exp();
                    i_ext[m as usize] += *base + *peak * tuning;
                }
            }
            Kind::SpikeTriggered { trigger, amplitude } => {
                if triggered[*trigger] {
                    add_current(*amplitude);
                }
            }
            Kind::Poisson { lambda, exp_minus_lambda, weight, excitatory, rng } => {
                let arrivals = if *excitatory { arr_ex } else { arr_in };
                for (&m, r) in self.targets.iter().zip(rng.iter_mut()) {
                    let count = poisson(r, *lambda, *exp_minus_lambda);
                    if count > 0 {
                        arrivals[m as usize] += count as f64 * *weight;
                    }
                }
            }
            Kind::OrnsteinUhlenbeck { mean, decay, kick, value, rng } => {
                for ((&m, v), r) in self.targets.iter().zip(value.iter_mut()).zip(rng.iter_mut()) {
                    i_ext[m as usize] += *v;
                    *v = *mean + (*v - *mean) * *decay + *kick * normal(r);
                }
            }
        }
    }
}

fn normal(rng: &mut Stream) -> f64 {
    rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, rng)
}

/// A Poisson(λ) count: inversion by sequential search for small λ, `rand_distr` otherwise.
#[inline]
fn poisson(rng: &mut Stream, lambda: f64, exp_minus_lambda: f64) -> u32 {
    if lambda < 10.0 {
        let u: f64 = rng.random();
        let (mut k, mut p) = (0u32, exp_minus_lambda);
        let mut cdf = p;
        while u > cdf && k < 1000 {
            k += 1;
            p *= lambda / k as f64;
            cdf += p;
        }
        k
    } else {
        let d = rand_distr::Poisson::new(lambda).expect("λ > 0 is finite");
        rand_distr::Distribution::<f64>::sample(&d, rng) as u32
    }
}
