//! Synaptic plasticity on a projection shard: pair STDP, Oja's rule and three-factor learning.
//!
//! Traces are kept lazily: each holds its value at its last update step and is decayed on
//! read, so a step costs work only where spikes arrive. Presynaptic traces live on the
//! synapse (the pre spike counts when it *arrives*, so delays and plasticity compose);
//! postsynaptic traces on the neuron.

use crate::config::{
    OjaConfig, Pairing, PlasticityConfig, Schedule, StdpConfig, ThreeFactorConfig, WeightDependence,
};
use neurodyn_core::{RangeError, check};

/// A lazily decaying exponential trace.
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Trace {
    value: f64,
    step: u64,
}

impl Trace {
    /// The value at step `k`, given the per-step decay factor's log `log_decay = −dt/τ`.
    #[inline]
    pub(crate) fn at(&self, k: u64, log_decay: f64) -> f64 {
        if self.value == 0.0 {
            0.0
        } else {
            self.value * (log_decay * (k - self.step) as f64).exp()
        }
    }

    /// Adds a spike at step `k` (all-to-all: `+1`; nearest: reset to 1).
    #[inline]
    pub(crate) fn spike(&mut self, k: u64, log_decay: f64, pairing: Pairing) {
        self.value = match pairing {
            Pairing::AllToAll => self.at(k, log_decay) + 1.0,
            Pairing::Nearest => 1.0,
        };
        self.step = k;
    }

    /// Adds `amount` at step `k`.
    #[inline]
    pub(crate) fn add(&mut self, k: u64, log_decay: f64, amount: f64) {
        self.value = self.at(k, log_decay) + amount;
        self.step = k;
    }
}

/// A validated plasticity rule with its per-step constants.
#[derive(Clone, Debug)]
pub(crate) enum Rule {
    Stdp(Stdp),
    Oja { config: OjaConfig, log_decay: f64, interval_steps: u64 },
    ThreeFactor { stdp: Stdp, log_decay_e: f64, eta_dt: f64, modulator: Schedule },
}

#[derive(Clone, Debug)]
pub(crate) struct Stdp {
    pub(crate) config: StdpConfig,
    pub(crate) log_decay_plus: f64,
    pub(crate) log_decay_minus: f64,
}

impl Stdp {
    fn new(config: &StdpConfig, dt: f64, field: &str) -> Result<Self, RangeError> {
        let c = config;
        check(c.a_plus.is_finite(), &format!("{field}.a_plus"), c.a_plus, "a finite number")?;
        check(c.a_minus.is_finite(), &format!("{field}.a_minus"), c.a_minus, "a finite number")?;
        for (name, tau) in [("tau_plus", c.tau_plus), ("tau_minus", c.tau_minus)] {
            check(
                tau > 0.0 && tau.is_finite(),
                &format!("{field}.{name}"),
                tau,
                "a finite value > 0 [ms]",
            )?;
        }
        check(
            c.w_min.is_finite() && c.w_max.is_finite() && c.w_min <= c.w_max,
            &format!("{field}.w_max"),
            c.w_max,
            "finite bounds with w_min <= w_max",
        )?;
        Ok(Stdp {
            config: c.clone(),
            log_decay_plus: -dt / c.tau_plus,
            log_decay_minus: -dt / c.tau_minus,
        })
    }

    /// Weight change of a presynaptic arrival given the postsynaptic trace.
    #[inline]
    fn depression(&self, w: f64, y: f64) -> f64 {
        let c = &self.config;
        match c.dependence {
            WeightDependence::Additive => -c.a_minus * y,
            WeightDependence::Multiplicative => -c.a_minus * (w - c.w_min) * y,
        }
    }

    /// Weight change of a postsynaptic spike given the presynaptic trace.
    #[inline]
    fn potentiation(&self, w: f64, x: f64) -> f64 {
        let c = &self.config;
        match c.dependence {
            WeightDependence::Additive => c.a_plus * x,
            WeightDependence::Multiplicative => c.a_plus * (c.w_max - w) * x,
        }
    }

    #[inline]
    fn clip(&self, w: f64) -> f64 {
        w.clamp(self.config.w_min, self.config.w_max)
    }
}

impl Rule {
    pub(crate) fn new(config: &PlasticityConfig, dt: f64, field: &str) -> Result<Self, RangeError> {
        Ok(match config {
            PlasticityConfig::Stdp(c) => Rule::Stdp(Stdp::new(c, dt, &format!("{field}.stdp"))?),
            PlasticityConfig::Oja(c) => {
                let f = format!("{field}.oja");
                check(c.eta.is_finite(), &format!("{f}.eta"), c.eta, "a finite number")?;
                check(c.alpha.is_finite(), &format!("{f}.alpha"), c.alpha, "a finite number")?;
                check(
                    c.tau_rate > 0.0 && c.tau_rate.is_finite(),
                    &format!("{f}.tau_rate"),
                    c.tau_rate,
                    "a finite value > 0 [ms]",
                )?;
                check(
                    c.interval >= dt && c.interval.is_finite(),
                    &format!("{f}.interval"),
                    c.interval,
                    "a finite value >= dt [ms]",
                )?;
                check(c.w_min <= c.w_max, &format!("{f}.w_max"), c.w_max, "w_min <= w_max")?;
                Rule::Oja {
                    config: c.clone(),
                    log_decay: -dt / c.tau_rate,
                    interval_steps: (c.interval / dt).round() as u64,
                }
            }
            PlasticityConfig::ThreeFactor(ThreeFactorConfig { stdp, tau_e, eta, modulator }) => {
                let f = format!("{field}.three_factor");
                check(
                    *tau_e > 0.0 && tau_e.is_finite(),
                    &format!("{f}.tau_e"),
                    tau_e,
                    "a finite value > 0 [ms]",
                )?;
                check(eta.is_finite(), &format!("{f}.eta"), eta, "a finite number")?;
                modulator.validate(&format!("{f}.modulator"))?;
                Rule::ThreeFactor {
                    stdp: Stdp::new(stdp, dt, &format!("{f}.stdp"))?,
                    log_decay_e: -dt / tau_e,
                    eta_dt: eta * dt,
                    modulator: modulator.clone(),
                }
            }
        })
    }

    fn pairing(&self) -> Pairing {
        match self {
            Rule::Stdp(s) | Rule::ThreeFactor { stdp: s, .. } => s.config.pairing,
            Rule::Oja { .. } => Pairing::AllToAll,
        }
    }

    /// (pre, post) trace decays per step.
    fn log_decays(&self) -> (f64, f64) {
        match self {
            Rule::Stdp(s) | Rule::ThreeFactor { stdp: s, .. } => {
                (s.log_decay_plus, s.log_decay_minus)
            }
            Rule::Oja { log_decay, .. } => (*log_decay, *log_decay),
        }
    }
}

/// Plastic state of one projection shard.
#[derive(Clone, Debug)]
pub(crate) struct Plastic {
    pub(crate) rule: Rule,
    /// Presynaptic trace per synapse.
    pub(crate) x: Vec<Trace>,
    /// Postsynaptic trace per local postsynaptic neuron.
    pub(crate) y: Vec<Trace>,
    /// Eligibility per synapse (three-factor only).
    pub(crate) eligibility: Vec<Trace>,
    /// Synapses into each local postsynaptic neuron: `in_syn[in_ptr[j]..in_ptr[j + 1]]`.
    pub(crate) in_ptr: Vec<u32>,
    pub(crate) in_syn: Vec<u32>,
    /// Synapses whose presynaptic spike arrives at each ring slot.
    pub(crate) pending: Vec<Vec<u32>>,
    /// Neuromodulator level set by the caller; added to the schedule's value.
    pub(crate) modulator: f64,
}

impl Plastic {
    pub(crate) fn new(rule: Rule, target: &[u32], n_local_post: usize, n_slots: usize) -> Self {
        let mut in_ptr = vec![0u32; n_local_post + 1];
        for &t in target {
            in_ptr[t as usize + 1] += 1;
        }
        for j in 0..n_local_post {
            in_ptr[j + 1] += in_ptr[j];
        }
        let mut fill = in_ptr.clone();
        let mut in_syn = vec![0u32; target.len()];
        for (s, &t) in target.iter().enumerate() {
            in_syn[fill[t as usize] as usize] = s as u32;
            fill[t as usize] += 1;
        }
        let three = matches!(rule, Rule::ThreeFactor { .. });
        Plastic {
            rule,
            x: vec![Trace::default(); target.len()],
            y: vec![Trace::default(); n_local_post],
            eligibility: if three { vec![Trace::default(); target.len()] } else { Vec::new() },
            in_ptr,
            in_syn,
            pending: vec![Vec::new(); n_slots],
            modulator: 0.0,
        }
    }

    /// A presynaptic spike reaches synapse `s` (onto local neuron `post`) at step `k`.
    #[inline]
    pub(crate) fn on_pre(&mut self, s: usize, post: usize, k: u64, weight: &mut f64) {
        let (lx, ly) = self.rule.log_decays();
        let pairing = self.rule.pairing();
        match &self.rule {
            Rule::Stdp(stdp) => {
                let y = self.y[post].at(k, ly);
                *weight = stdp.clip(*weight + stdp.depression(*weight, y));
            }
            Rule::ThreeFactor { stdp, log_decay_e, .. } => {
                let y = self.y[post].at(k, ly);
                let dw = stdp.depression(*weight, y);
                self.eligibility[s].add(k, *log_decay_e, dw);
            }
            Rule::Oja { .. } => {}
        }
        self.x[s].spike(k, lx, pairing);
    }

    /// Local neuron `post` spikes at step `k`.
    pub(crate) fn on_post(&mut self, post: usize, k: u64, weights: &mut [f64]) {
        let (lx, ly) = self.rule.log_decays();
        let pairing = self.rule.pairing();
        let (lo, hi) = (self.in_ptr[post] as usize, self.in_ptr[post + 1] as usize);
        match &self.rule {
            Rule::Stdp(stdp) => {
                for &s in &self.in_syn[lo..hi] {
                    let s = s as usize;
                    let x = self.x[s].at(k, lx);
                    weights[s] = stdp.clip(weights[s] + stdp.potentiation(weights[s], x));
                }
            }
            Rule::ThreeFactor { stdp, log_decay_e, .. } => {
                for &s in &self.in_syn[lo..hi] {
                    let s = s as usize;
                    let x = self.x[s].at(k, lx);
                    let dw = stdp.potentiation(weights[s], x);
                    self.eligibility[s].add(k, *log_decay_e, dw);
                }
            }
            Rule::Oja { .. } => {}
        }
        self.y[post].spike(k, ly, pairing);
    }

    /// Work that is due every step (or every interval) regardless of spikes.
    pub(crate) fn on_step(&mut self, k: u64, dt: f64, target: &[u32], weights: &mut [f64]) {
        match &self.rule {
            Rule::ThreeFactor { stdp, log_decay_e, eta_dt, modulator } => {
                let m = modulator.at(k as f64 * dt) + self.modulator;
                if m != 0.0 {
                    for (s, w) in weights.iter_mut().enumerate() {
                        let e = self.eligibility[s].at(k, *log_decay_e);
                        *w = stdp.clip(*w + eta_dt * m * e);
                    }
                }
            }
            Rule::Oja { config, log_decay, interval_steps } => {
                if k > 0 && k.is_multiple_of(*interval_steps) {
                    // Rates in Hz from traces of time constant τ: r = 1000 · trace / τ.
                    let to_hz = 1000.0 / config.tau_rate;
                    let h = config.eta * (*interval_steps as f64 * dt * 1e-3);
                    for (s, w) in weights.iter_mut().enumerate() {
                        let r_pre = self.x[s].at(k, *log_decay) * to_hz;
                        let r_post = self.y[target[s] as usize].at(k, *log_decay) * to_hz;
                        let dw = h * (r_pre * r_post - config.alpha * r_post * r_post * *w);
                        *w = (*w + dw).clamp(config.w_min, config.w_max);
                    }
                }
            }
            Rule::Stdp(_) => {}
        }
    }
}
