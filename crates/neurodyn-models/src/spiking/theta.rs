//! The theta neuron (Ermentrout & Kopell 1986), the phase form of the quadratic
//! integrate-and-fire neuron.

use super::{NeuronState, StepInput, check_finite, check_tau, params};
use neurodyn_core::RangeError;
use std::f64::consts::{FRAC_PI_2, PI};

params! {
    /// `theta`: the theta neuron, canonical model of a type-I excitable membrane.
    ///
    /// ```text
    /// τ_m dθ/dt = (1 − cos θ) + (1 + cos θ) (η + I_ext)
    /// θ crosses π  →  spike (the phase continues from −π; no reset, no refractoriness)
    /// a spike of weight w moves tan(θ/2) by w          (δ-pulse coupling)
    /// ```
    ///
    /// With `V = tan(θ/2)` this is the quadratic integrate-and-fire neuron
    /// `τ_m dV/dt = V² + η + I_ext` with spike and reset at `±∞`; a pulse of weight `w` is a
    /// voltage jump. Integration: exact between arrivals, with the input held constant over
    /// the step: `V(t) = √η tan(√η t/τ_m + c)` for `η > 0`, `−√−η tanh(…)` / `−√−η coth(…)`
    /// for `η < 0` and `V₀/(1 − V₀ t/τ_m)` for `η = 0`; a spike is the passage of `V` through
    /// `+∞`, so spike steps are exact too. State: `theta` [rad] in `(−π, π]`. Weights and
    /// currents are dimensionless.
    ///
    /// References: Ermentrout & Kopell (1986) SIAM J. Appl. Math. 46:233; Monteforte & Wolf
    /// (2010) Phys. Rev. Lett. 105:268104, arXiv:1003.4410 (balanced theta networks; also the
    /// model of Lajoie, Thivierge & Shea-Brown 2014, arXiv:1311.7128).
    pub struct ThetaConfig {
        /// Membrane time constant `τ_m` [ms].
        tau_m = 10.0,
        /// Constant external drive `η` (excitable for `η < 0`, oscillating for `η > 0`) [1].
        eta = 0.0,
    }
}

impl ThetaConfig {
    /// Preset names.
    pub const PRESETS: &'static [&'static str] = &["monteforte_wolf_2010"];

    /// A named preset.
    pub fn preset(name: &str) -> Option<Self> {
        (name == "monteforte_wolf_2010").then(Self::default)
    }

    /// Validates for time step `dt` [ms].
    pub fn build(&self, dt: f64) -> Result<Theta, RangeError> {
        check_tau("tau_m", self.tau_m)?;
        check_finite("eta", self.eta)?;
        Ok(Theta { config: self.clone(), h: dt / self.tau_m })
    }
}

/// A built [`ThetaConfig`].
#[derive(Clone, Debug)]
pub struct Theta {
    /// The parameters.
    pub config: ThetaConfig,
    /// `dt / τ_m`.
    h: f64,
}

impl Theta {
    /// `n` neurons at `θ = 0`.
    pub fn new_state(&self, n: usize) -> NeuronState {
        NeuronState::uniform(&["theta"], &[0.0], n)
    }

    /// Advances the population by one step.
    pub fn step(&self, state: &mut NeuronState, input: StepInput<'_>, spikes: &mut Vec<u32>) {
        let theta = &mut state.vars[0];
        for j in 0..theta.len() {
            let v0 = (0.5 * theta[j]).tan() + input.arrivals_ex[j] + input.arrivals_in[j];
            input.arrivals_ex[j] = 0.0;
            input.arrivals_in[j] = 0.0;
            let (v1, spiked) = advance_qif(v0, self.config.eta + input.i_ext[j], self.h);
            theta[j] = if v1.is_infinite() { -PI } else { 2.0 * v1.atan() };
            if spiked {
                spikes.push(j as u32);
            }
        }
    }
}

/// Exact solution of `dV/ds = V² + η` over `s ∈ [0, h]` from `V₀`, continued through `+∞`
/// (a spike) into `−∞`; returns `V(h)` and whether a spike happened. At most one spike is
/// counted per step (a neuron needs `√η·h ≥ π` to fire twice).
pub fn advance_qif(v0: f64, eta: f64, h: f64) -> (f64, bool) {
    if eta > 0.0 {
        let s = eta.sqrt();
        let mut psi = (v0 / s).atan() + s * h;
        let spiked = psi >= FRAC_PI_2;
        while psi >= FRAC_PI_2 {
            psi -= PI;
        }
        (s * psi.tan(), spiked)
    } else if eta < 0.0 {
        let a = (-eta).sqrt();
        if v0.abs() < a {
            (-a * ((-v0 / a).atanh() + a * h).tanh(), false)
        } else if v0.abs() > a {
            // V = −a coth(z): z < 0 above the unstable point +a, z > 0 below the stable −a.
            let z0 = (-a / v0).atanh();
            let z1 = z0 + a * h;
            let v1 = if z1 == 0.0 { f64::INFINITY } else { -a / z1.tanh() };
            (v1, z0 < 0.0 && z1 >= 0.0)
        } else {
            (v0, false)
        }
    } else {
        let denominator = 1.0 - v0 * h;
        let v1 = if denominator == 0.0 { f64::INFINITY } else { v0 / denominator };
        (v1, v0 > 0.0 && denominator <= 0.0)
    }
}
