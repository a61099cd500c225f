//! A rate reservoir that obeys Dale's law, with its excitation–inhibition balance set globally
//! or adapted locally toward target rates (Srinivasan, Plenz & Girvan 2025, "Boosting
//! reservoir computing with brain-inspired adaptive dynamics", arXiv:2504.12480).
//!
//! Units `x_i ∈ (0, 1)` (sigmoid rates); the first `round(f N)` are excitatory. Each ordered
//! pair is connected with probability `p`, strength uniform on `(0, g/(N p))`; inhibitory
//! strengths are scaled by `N_E/N_I`, so with every unit at the same rate the mean excitation and
//! inhibition a unit receives are equal when its balance `β_i = 1`:
//!
//! `x_i ← σ(Σ_{j∈E} W_ij x_j − β_i Σ_{j∈I} W_ij x_j + w_i u_t)`.
//!
//! `β_i < 1` is excitation-dominated, `β_i > 1` inhibition-dominated. Local adaptation moves
//! each `β_i` toward the rate `ρ_i` that unit should fire at, `β_i ← max(0, β_i + η (x_i −
//! ρ_i))`, while the reservoir is driven; afterwards `β` is frozen.

use neurodyn_core::{RangeError, check, rng};
use rand::RngExt;

/// Settings of a Dale reservoir.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EiReservoirConfig {
    /// Units `N` [1].
    pub n: usize,
    /// Fraction of excitatory units [1].
    #[serde(default = "eighty")]
    pub frac_exc: f64,
    /// Connection probability `p` [1].
    #[serde(default = "tenth")]
    pub connectivity: f64,
    /// Coupling `g`: the summed excitatory strength onto a unit is `g f / 2` on average [1].
    pub gain: f64,
    /// Input weights uniform on `(−s, s)` [1].
    #[serde(default = "one")]
    pub input_scaling: f64,
}

fn eighty() -> f64 {
    0.8
}
fn tenth() -> f64 {
    0.1
}
fn one() -> f64 {
    1.0
}

/// A drawn reservoir.
#[derive(Clone, Debug, PartialEq)]
pub struct EiReservoir {
    /// Units.
    pub n: usize,
    /// Excitatory units (the first ones).
    pub n_exc: usize,
    /// Recurrent strengths `W_ij ≥ 0`, row-major, inhibitory columns already scaled by
    /// `N_E/N_I`.
    pub w: Vec<f64>,
    /// Input weights.
    pub w_in: Vec<f64>,
    /// Balance `β_i` of each unit.
    pub beta: Vec<f64>,
}

impl EiReservoirConfig {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), RangeError> {
        check((4..=20_000).contains(&self.n), "n", self.n, "between 4 and 20000")?;
        check(
            self.frac_exc > 0.0 && self.frac_exc < 1.0,
            "frac_exc",
            self.frac_exc,
            "strictly between 0 and 1",
        )?;
        let n_exc = (self.frac_exc * self.n as f64).round() as usize;
        check(
            n_exc >= 1 && n_exc < self.n,
            "frac_exc",
            self.frac_exc,
            "a fraction leaving at least one unit of each kind",
        )?;
        check(
            self.connectivity > 0.0 && self.connectivity <= 1.0,
            "connectivity",
            self.connectivity,
            "in (0, 1]",
        )?;
        check(self.gain > 0.0 && self.gain <= 1e4, "gain", self.gain, "in (0, 1e4]")?;
        check(
            self.input_scaling >= 0.0 && self.input_scaling <= 1e4,
            "input_scaling",
            self.input_scaling,
            "in [0, 1e4]",
        )
    }

    /// Draws the reservoir from `seed`, every unit at balance `beta`.
    pub fn build(&self, beta: f64, seed: u64) -> Result<EiReservoir, RangeError> {
        self.validate()?;
        let n = self.n;
        let n_exc = (self.frac_exc * n as f64).round() as usize;
        let scale_inh = n_exc as f64 / (n - n_exc) as f64;
        let top = self.gain / (n as f64 * self.connectivity);
        let mut r = rng::stream(seed, "ei_reservoir/w", 0);
        let mut w = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                if i != j && r.random::<f64>() < self.connectivity {
                    let s = r.random::<f64>() * top;
                    w[i * n + j] = if j < n_exc { s } else { s * scale_inh };
                }
            }
        }
        let mut r = rng::stream(seed, "ei_reservoir/w_in", 0);
        let s = self.input_scaling;
        let w_in = (0..n).map(|_| if s > 0.0 { r.random_range(-s..s) } else { 0.0 }).collect();
        Ok(EiReservoir { n, n_exc, w, w_in, beta: vec![beta; n] })
    }
}

impl EiReservoir {
    fn step(&self, x: &[f64], u: f64, next: &mut [f64]) {
        let (n, ne) = (self.n, self.n_exc);
        for i in 0..n {
            let row = &self.w[i * n..(i + 1) * n];
            let exc: f64 = row[..ne].iter().zip(&x[..ne]).map(|(a, b)| a * b).sum();
            let inh: f64 = row[ne..].iter().zip(&x[ne..]).map(|(a, b)| a * b).sum();
            let h = exc - self.beta[i] * inh + self.w_in[i] * u;
            next[i] = 1.0 / (1.0 + (-h).exp());
        }
    }

    /// The states (row-major, steps × N) driven by `u` from every unit at 1/2.
    pub fn run(&self, u: &[f64]) -> Vec<f64> {
        let mut x = vec![0.5; self.n];
        let mut next = vec![0.0; self.n];
        let mut states = Vec::with_capacity(u.len() * self.n);
        for &ut in u {
            self.step(&x, ut, &mut next);
            std::mem::swap(&mut x, &mut next);
            states.extend_from_slice(&x);
        }
        states
    }

    /// Drives the reservoir with `u` while each unit's balance follows its rate toward
    /// `targets[i]`: `β_i ← max(0, β_i + rate · (x_i − targets[i]))` after every step.
    pub fn adapt(&mut self, u: &[f64], targets: &[f64], rate: f64) {
        let mut x = vec![0.5; self.n];
        let mut next = vec![0.0; self.n];
        for &ut in u {
            self.step(&x, ut, &mut next);
            std::mem::swap(&mut x, &mut next);
            for ((b, xi), t) in self.beta.iter_mut().zip(&x).zip(targets) {
                *b = (*b + rate * (xi - t)).max(0.0);
            }
        }
    }
}
