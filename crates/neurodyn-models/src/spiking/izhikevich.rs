//! The Izhikevich (2003) simple model.

use super::{NeuronState, StepInput, check_finite, params};
use neurodyn_core::{RangeError, check};

params! {
    /// `izhikevich`: the simple model of Izhikevich (2003), as NEST's `izhikevich`.
    ///
    /// ```text
    /// dv/dt = 0.04 v² + 5 v + 140 − u + I_e + I_ext
    /// du/dt = a (b v − u)
    /// v ≥ v_th  →  spike, v ← c, u ← u + d
    /// a spike of weight w moves v by w [mV]
    /// ```
    ///
    /// Integration: forward Euler on sub-steps of at most 0.25 ms (NEST's
    /// `consistent_integration`: `u` is advanced with the old `v`); Izhikevich used two
    /// half-steps of 0.5 ms. `dt` may not exceed 1 ms. State: `v_m` [mV], `u_m` [mV/ms·…];
    /// time in ms, currents dimensionless as in the paper.
    ///
    /// Presets (Izhikevich 2003, Fig. 2): `regular_spiking` (a, b, c, d = 0.02, 0.2, −65, 8),
    /// `intrinsically_bursting` (0.02, 0.2, −55, 4), `chattering` (0.02, 0.2, −50, 2),
    /// `fast_spiking` (0.1, 0.2, −65, 2), `low_threshold_spiking` (0.02, 0.25, −65, 2),
    /// `thalamo_cortical` (0.02, 0.25, −65, 0.05), `resonator` (0.1, 0.26, −65, 2).
    ///
    /// Reference: Izhikevich (2003) IEEE Trans. Neural Netw. 14:1569.
    pub struct IzhikevichConfig {
        /// Recovery time scale `a` [1/ms].
        a = 0.02,
        /// Sensitivity of the recovery variable `b` [1].
        b = 0.2,
        /// After-spike reset of `v`, `c` [mV].
        c = -65.0,
        /// After-spike increment of `u`, `d` [1].
        d = 8.0,
        /// Spike cut-off `v_th` [mV].
        v_th = 30.0,
        /// Constant external current `I_e` [1].
        i_e = 0.0,
    }
}

impl IzhikevichConfig {
    /// Preset names.
    pub const PRESETS: &'static [&'static str] = &[
        "regular_spiking",
        "intrinsically_bursting",
        "chattering",
        "fast_spiking",
        "low_threshold_spiking",
        "thalamo_cortical",
        "resonator",
    ];

    /// A named preset (Izhikevich 2003, Fig. 2).
    pub fn preset(name: &str) -> Option<Self> {
        let (a, b, c, d) = match name {
            "regular_spiking" => (0.02, 0.2, -65.0, 8.0),
            "intrinsically_bursting" => (0.02, 0.2, -55.0, 4.0),
            "chattering" => (0.02, 0.2, -50.0, 2.0),
            "fast_spiking" => (0.1, 0.2, -65.0, 2.0),
            "low_threshold_spiking" => (0.02, 0.25, -65.0, 2.0),
            "thalamo_cortical" => (0.02, 0.25, -65.0, 0.05),
            "resonator" => (0.1, 0.26, -65.0, 2.0),
            _ => return None,
        };
        Some(IzhikevichConfig { a, b, c, d, ..Default::default() })
    }

    /// Validates for time step `dt` [ms].
    pub fn build(&self, dt: f64) -> Result<Izhikevich, RangeError> {
        for (name, v) in
            [("a", self.a), ("b", self.b), ("c", self.c), ("d", self.d), ("i_e", self.i_e)]
        {
            check_finite(name, v)?;
        }
        check(
            self.v_th > self.c && self.v_th.is_finite(),
            "v_th",
            self.v_th,
            "a finite value > c [mV]",
        )?;
        check(
            dt <= 1.0,
            "dt",
            dt,
            "dt <= 1 ms for the Izhikevich model (Euler sub-steps of 0.25 ms)",
        )?;
        let n_sub = (dt / 0.25 - 1e-9).ceil().max(1.0) as u32;
        Ok(Izhikevich { config: self.clone(), h: dt / n_sub as f64, n_sub })
    }
}

/// A built [`IzhikevichConfig`].
#[derive(Clone, Debug)]
pub struct Izhikevich {
    /// The parameters.
    pub config: IzhikevichConfig,
    h: f64,
    n_sub: u32,
}

impl Izhikevich {
    /// `n` neurons at `v = c`, `u = b c`.
    pub fn new_state(&self, n: usize) -> NeuronState {
        let c = &self.config;
        NeuronState::uniform(&["v_m", "u_m"], &[c.c, c.b * c.c], n)
    }

    /// Advances the population by one step.
    pub fn step(&self, state: &mut NeuronState, input: StepInput<'_>, spikes: &mut Vec<u32>) {
        let c = &self.config;
        let [v, u] = &mut state.vars[..] else { unreachable!("two state columns") };
        let n = v.len();
        for j in 0..n {
            let i = c.i_e + input.i_ext[j];
            let mut vj = v[j] + input.arrivals_ex[j] + input.arrivals_in[j];
            input.arrivals_ex[j] = 0.0;
            input.arrivals_in[j] = 0.0;
            let mut uj = u[j];
            for _ in 0..self.n_sub {
                if vj >= c.v_th {
                    break; // the spike happened inside the step; the rest is the reset's
                }
                let dv = 0.04 * vj * vj + 5.0 * vj + 140.0 - uj + i;
                let du = c.a * (c.b * vj - uj);
                vj += self.h * dv;
                uj += self.h * du;
            }
            v[j] = vj;
            u[j] = uj;
        }
        for j in 0..n {
            if v[j] >= c.v_th {
                spikes.push(j as u32);
                v[j] = c.c;
                u[j] += c.d;
            }
        }
    }
}
