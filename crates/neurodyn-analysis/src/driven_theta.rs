//! Balanced networks of theta neurons driven by frozen noise, with smooth pulse coupling: the
//! model class of Lajoie, Lin & Shea-Brown (2013, "Chaos and reliability in balanced spiking
//! networks with temporal drive", arXiv:1209.3051) and Lajoie, Thivierge & Shea-Brown (2014,
//! "Structured chaos shapes spike-response noise entropy", arXiv:1311.7128).
//!
//! ## Model
//! Phases `θ_i` on the circle (Ermentrout–Kopell form; a spike when `θ_i` crosses `π`), in the
//! model's dimensionless time:
//!
//! ```text
//! dθ_i = [(1 − cos θ_i) + (1 + cos θ_i)(η + Σ_j a_ij g(θ_j))] dt + (1 + cos θ_i) ε dW_i(t)
//! ```
//!
//! `η < 0` makes single cells excitable (silent without input); the drive `ε dW_i` is white
//! noise *frozen*: one realisation, drawn from its own seed, shared by every trial, so trials
//! differ only in their initial phases. Each neuron receives `K` inputs drawn without
//! replacement from the other neurons; an excitatory input weighs `a_E/√K`, an inhibitory one
//! `−a_I/√K`. The pulse `g(θ) = c_m sin^{2m}(θ/2)` is smooth and peaked at the spike, with
//! `c_m = 4^m / C(2m, m)` so that its mean over the circle is 1 (a presynaptic spike delivers
//! about `π a_ij` of input, as `dθ/dt ≈ 2` near `π`). Parameters other than the model class are
//! ours, not the papers'.
//!
//! ## Discretisation
//! Euler–Maruyama with step `dt` (Itô): `θ ← θ + dt·f(θ) + (1 + cos θ) ε √dt z_t`, `z_t` the
//! frozen standard normals. The map is a [`Dynamics`] whose input is `z_t`, so Lyapunov spectra
//! of the driven system come from [`crate::lyapunov::lyapunov_spectrum`] with one input per step
//! (exponents per step; divide by `dt`).

use neurodyn_core::{Dynamics, RangeError, check, rng};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};

/// Settings of a driven network.
#[derive(Clone, Debug, PartialEq)]
pub struct DrivenThetaConfig {
    /// Number of neurons `N` [1].
    pub n: usize,
    /// Fraction of excitatory neurons (the first `round(f N)`) [1].
    pub frac_exc: f64,
    /// Inputs per neuron `K` [1].
    pub in_degree: usize,
    /// Excitatory weight scale `a_E` (weight `a_E/√K`) [1].
    pub a_exc: f64,
    /// Inhibitory weight scale `a_I` (weight `−a_I/√K`) [1].
    pub a_inh: f64,
    /// Excitability `η` (negative: excitable) [1].
    pub eta: f64,
    /// Drive amplitude `ε` [1].
    pub epsilon: f64,
    /// Euler–Maruyama step [time units].
    pub dt: f64,
    /// Pulse sharpness `m` in `sin^{2m}(θ/2)` [1].
    pub pulse_order: u32,
}

impl DrivenThetaConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), RangeError> {
        check(self.n >= 2, "n", self.n, "at least 2")?;
        check((0.0..=1.0).contains(&self.frac_exc), "frac_exc", self.frac_exc, "between 0 and 1")?;
        check(
            self.in_degree >= 1 && self.in_degree < self.n,
            "in_degree",
            self.in_degree,
            "between 1 and n − 1",
        )?;
        for (name, v) in [("a_exc", self.a_exc), ("a_inh", self.a_inh), ("epsilon", self.epsilon)] {
            check(v >= 0.0 && v.is_finite(), name, v, "a finite value >= 0")?;
        }
        check(self.eta.is_finite(), "eta", self.eta, "a finite number")?;
        check(
            self.dt > 0.0 && self.dt <= 0.1,
            "dt",
            self.dt,
            "in (0, 0.1] (Euler–Maruyama on the circle)",
        )?;
        check(
            (1..=30).contains(&self.pulse_order),
            "pulse_order",
            self.pulse_order,
            "between 1 and 30",
        )
    }
}

/// A drawn network: inputs per neuron (CSR by the receiving neuron) and the drive settings.
#[derive(Clone, Debug, PartialEq)]
pub struct DrivenTheta {
    /// The settings it was drawn from.
    pub config: DrivenThetaConfig,
    /// `pre[row_ptr[i]..row_ptr[i+1]]`: the inputs of neuron `i`.
    pub row_ptr: Vec<usize>,
    /// Presynaptic neurons.
    pub pre: Vec<usize>,
    /// Their weights `a_ij`.
    pub weight: Vec<f64>,
    pulse_scale: f64,
}

impl DrivenTheta {
    /// Draws the network's connections from `seed`.
    pub fn new(config: &DrivenThetaConfig, seed: u64) -> Result<Self, RangeError> {
        config.validate()?;
        let (n, k) = (config.n, config.in_degree);
        let n_exc = (config.frac_exc * n as f64).round() as usize;
        let mut r = rng::stream(seed, "driven_theta_network", 0);
        let (mut row_ptr, mut pre, mut weight) = (vec![0], Vec::new(), Vec::new());
        let sqrt_k = (k as f64).sqrt();
        for i in 0..n {
            // K distinct inputs, no autapse: a partial Fisher–Yates over the others.
            let mut others: Vec<usize> = (0..n).filter(|&j| j != i).collect();
            for s in 0..k {
                let pick = r.random_range(s..others.len());
                others.swap(s, pick);
            }
            let mut chosen = others[..k].to_vec();
            chosen.sort_unstable();
            for j in chosen {
                pre.push(j);
                weight.push(if j < n_exc { config.a_exc / sqrt_k } else { -config.a_inh / sqrt_k });
            }
            row_ptr.push(pre.len());
        }
        let m = config.pulse_order as i32;
        // C(2m, m) / 4^m by a product (exact enough in f64 for m ≤ 30).
        let mean_pulse = (1..=m).fold(1.0, |acc, i| acc * (m + i) as f64 / (4.0 * i as f64));
        Ok(DrivenTheta {
            config: config.clone(),
            row_ptr,
            pre,
            weight,
            pulse_scale: 1.0 / mean_pulse,
        })
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.config.n
    }

    /// Whether the network has no neurons (never, once built).
    pub fn is_empty(&self) -> bool {
        self.config.n == 0
    }

    /// `g(θ)` and `g'(θ)`.
    pub fn pulse(&self, theta: f64) -> (f64, f64) {
        let m = self.config.pulse_order as i32;
        let s = (0.5 * theta).sin();
        let c = (0.5 * theta).cos();
        let s2m1 = s.powi(2 * m - 1);
        (self.pulse_scale * s2m1 * s, self.pulse_scale * m as f64 * s2m1 * c)
    }

    /// `n_steps × N` frozen standard normals (row-major by step), from `seed`'s own stream.
    pub fn frozen_noise(&self, n_steps: usize, seed: u64) -> Vec<f64> {
        let mut r = rng::stream(seed, "frozen_drive", 0);
        (0..n_steps * self.config.n).map(|_| StandardNormal.sample(&mut r)).collect()
    }

    /// `n_steps × N` standard normals of trial `trial`'s own drive (a fresh, not frozen,
    /// realisation per trial: the control for reliability).
    pub fn fresh_noise(&self, n_steps: usize, seed: u64, trial: u64) -> Vec<f64> {
        let mut r = rng::stream(seed, "fresh_drive", trial);
        (0..n_steps * self.config.n).map(|_| StandardNormal.sample(&mut r)).collect()
    }

    /// Phases uniform on the circle, from `seed` (trial `trial`).
    pub fn random_phases(&self, seed: u64, trial: u64) -> Vec<f64> {
        let mut r = rng::stream(seed, "driven_theta_initial", trial);
        (0..self.config.n).map(|_| r.random_range(0.0..std::f64::consts::TAU)).collect()
    }

    fn synaptic_input(&self, theta: &[f64]) -> Vec<f64> {
        let g: Vec<f64> = theta.iter().map(|&t| self.pulse(t).0).collect();
        (0..self.config.n)
            .map(|i| {
                (self.row_ptr[i]..self.row_ptr[i + 1])
                    .map(|q| self.weight[q] * g[self.pre[q]])
                    .sum()
            })
            .collect()
    }

    /// Simulates `n_steps` from `theta0` under `noise` (as from [`DrivenTheta::frozen_noise`],
    /// at least `n_steps` rows) and returns each neuron's spike times (linearly interpolated
    /// crossings of `π`, in time units from the start).
    ///
    /// # Panics
    /// When `noise` holds fewer than `n_steps × N` values or `theta0` is not of length `N`.
    pub fn simulate(&self, theta0: &[f64], noise: &[f64], n_steps: usize) -> Vec<Vec<f64>> {
        let n = self.config.n;
        assert!(
            theta0.len() == n && noise.len() >= n_steps * n,
            "simulate needs N initial phases and n_steps × N noise values"
        );
        let mut theta = theta0.to_vec();
        let mut next = vec![0.0; n];
        let mut spikes = vec![Vec::new(); n];
        let turn = |t: f64| ((t - std::f64::consts::PI) / std::f64::consts::TAU).floor();
        for step in 0..n_steps {
            self.step(&theta, &noise[step * n..(step + 1) * n], &mut next);
            for i in 0..n {
                if turn(next[i]) > turn(theta[i]) {
                    // Where θ crossed π + 2πk within the step.
                    let target = std::f64::consts::PI + std::f64::consts::TAU * turn(next[i]);
                    let frac = ((target - theta[i]) / (next[i] - theta[i])).clamp(0.0, 1.0);
                    spikes[i].push((step as f64 + frac) * self.config.dt);
                }
            }
            std::mem::swap(&mut theta, &mut next);
        }
        spikes
    }
}

impl Dynamics for DrivenTheta {
    fn dim(&self) -> usize {
        self.config.n
    }

    fn n_input(&self) -> usize {
        self.config.n
    }

    fn step(&self, state: &[f64], input: &[f64], next: &mut [f64]) {
        let c = &self.config;
        let noise = c.epsilon * c.dt.sqrt();
        let syn = self.synaptic_input(state);
        for i in 0..c.n {
            let co = state[i].cos();
            next[i] = state[i]
                + c.dt * ((1.0 - co) + (1.0 + co) * (c.eta + syn[i]))
                + (1.0 + co) * noise * input[i];
        }
    }

    fn jacobian(&self, state: &[f64], input: &[f64], mut jac: faer::MatMut<'_, f64>) {
        let c = &self.config;
        let noise = c.epsilon * c.dt.sqrt();
        let syn = self.synaptic_input(state);
        let slope: Vec<f64> = state.iter().map(|&t| self.pulse(t).1).collect();
        jac.fill(0.0);
        for i in 0..c.n {
            let (s, co) = state[i].sin_cos();
            jac[(i, i)] = 1.0 + c.dt * (s - s * (c.eta + syn[i])) - s * noise * input[i];
            let gain = c.dt * (1.0 + co);
            for q in self.row_ptr[i]..self.row_ptr[i + 1] {
                jac[(i, self.pre[q])] += gain * self.weight[q] * slope[self.pre[q]];
            }
        }
    }
}
