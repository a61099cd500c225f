//! Leaky integrate-and-fire neurons: current-based (exponential or delta synapses),
//! conductance-based, and with a stochastic (escape-noise) threshold.

use super::{
    NeuronState, StepInput, check_finite, check_tau, exp_convolution, params, refractory_steps,
};
use neurodyn_core::fast::exp_f64;
use neurodyn_core::{RangeError, check};
use rand::RngExt;

params! {
    /// `lif_psc_exp`: leaky integrate-and-fire neuron with exponentially decaying synaptic
    /// currents, as NEST's `iaf_psc_exp`.
    ///
    /// ```text
    /// C_m dV/dt   = −C_m (V − E_L)/τ_m + I_ex + I_in + I_e + I_ext
    /// dI_ex/dt    = −I_ex/τ_syn_ex        (a spike of weight w > 0 adds w to I_ex)
    /// dI_in/dt    = −I_in/τ_syn_in        (a spike of weight w < 0 adds w to I_in)
    /// V ≥ V_th  →  spike, V ← V_reset, clamped for t_ref
    /// ```
    ///
    /// Integration: exact (Rotter & Diesmann 1999): the linear system is advanced by its
    /// matrix exponential, so the sub-threshold trajectory equals the closed form at every
    /// step to rounding, for any `dt`. State: `v_m` [mV], `i_syn_ex`, `i_syn_in` [pA].
    /// Defaults are NEST's.
    ///
    /// References: Rotter & Diesmann (1999) Biol. Cybern. 81:381; Tsodyks, Uziel & Markram
    /// (2000) J. Neurosci. 20:RC50 (the exponential-current neuron).
    pub struct LifPscExpConfig {
        /// Membrane capacitance `C_m` [pF].
        c_m = 250.0,
        /// Membrane time constant `τ_m` [ms].
        tau_m = 10.0,
        /// Excitatory synaptic time constant `τ_syn_ex` [ms].
        tau_syn_ex = 2.0,
        /// Inhibitory synaptic time constant `τ_syn_in` [ms].
        tau_syn_in = 2.0,
        /// Absolute refractory period `t_ref` [ms].
        t_ref = 2.0,
        /// Resting potential `E_L` [mV].
        e_l = -70.0,
        /// Reset potential `V_reset` [mV].
        v_reset = -70.0,
        /// Spike threshold `V_th` [mV].
        v_th = -55.0,
        /// Constant external current `I_e` [pA].
        i_e = 0.0,
    }
}

impl LifPscExpConfig {
    /// Preset names.
    pub const PRESETS: &'static [&'static str] = &["nest_default", "vogels_abbott_2005_cuba"];

    /// A named preset.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "nest_default" => Some(Self::default()),
            "vogels_abbott_2005_cuba" => Some(Self::vogels_abbott_2005_cuba()),
            _ => None,
        }
    }

    /// The current-based benchmark network of Vogels & Abbott (2005, J. Neurosci. 25:10786)
    /// as in Brette et al. (2007, J. Comput. Neurosci. 23:349, benchmark 2) and Brian2's
    /// `CUBA` example: τ_m = 20 ms, τ_ex = 5 ms, τ_in = 10 ms, E_L = −49 mV, V_th = −50 mV,
    /// V_reset = −60 mV, t_ref = 5 ms. `C_m = 200 pF` (g_L = 10 nS), so a Brian2 voltage jump
    /// of `x` mV in `ge` is a current of `x · 10 pA` here (1.62 mV → 16.2 pA, −9 mV → −90 pA).
    pub fn vogels_abbott_2005_cuba() -> Self {
        LifPscExpConfig {
            c_m: 200.0,
            tau_m: 20.0,
            tau_syn_ex: 5.0,
            tau_syn_in: 10.0,
            t_ref: 5.0,
            e_l: -49.0,
            v_reset: -60.0,
            v_th: -50.0,
            i_e: 0.0,
        }
    }

    fn validate(&self, dt: f64) -> Result<u32, RangeError> {
        check(self.c_m > 0.0 && self.c_m.is_finite(), "c_m", self.c_m, "a finite value > 0 [pF]")?;
        check_tau("tau_m", self.tau_m)?;
        check_tau("tau_syn_ex", self.tau_syn_ex)?;
        check_tau("tau_syn_in", self.tau_syn_in)?;
        for (name, v) in [("e_l", self.e_l), ("v_reset", self.v_reset), ("i_e", self.i_e)] {
            check_finite(name, v)?;
        }
        check(
            self.v_th > self.v_reset && self.v_th.is_finite(),
            "v_th",
            self.v_th,
            "a finite value > v_reset [mV]",
        )?;
        refractory_steps(self.t_ref, dt)
    }

    /// Validates for time step `dt` [ms] and computes the propagators.
    pub fn build(&self, dt: f64) -> Result<LifPscExp, RangeError> {
        let ref_steps = self.validate(dt)?;
        let p_vv = (-dt / self.tau_m).exp();
        Ok(LifPscExp {
            config: self.clone(),
            p_vv,
            p_ve: exp_convolution(dt, self.tau_m, self.tau_syn_ex) / self.c_m,
            p_vi: exp_convolution(dt, self.tau_m, self.tau_syn_in) / self.c_m,
            p_vc: -(-dt / self.tau_m).exp_m1() * self.tau_m / self.c_m,
            p_ee: (-dt / self.tau_syn_ex).exp(),
            p_ii: (-dt / self.tau_syn_in).exp(),
            ref_steps,
        })
    }
}

/// A built [`LifPscExpConfig`]: the exact one-step propagators.
#[derive(Clone, Debug)]
pub struct LifPscExp {
    /// The parameters.
    pub config: LifPscExpConfig,
    p_vv: f64,
    p_ve: f64,
    p_vi: f64,
    p_vc: f64,
    p_ee: f64,
    p_ii: f64,
    ref_steps: u32,
}

/// State variables of [`LifPscExp`] and [`LifEscape`].
pub const LIF_PSC_EXP_STATE: &[&str] = &["v_m", "i_syn_ex", "i_syn_in"];

impl LifPscExp {
    /// `n` neurons at `V = E_L`, no synaptic current.
    pub fn new_state(&self, n: usize) -> NeuronState {
        NeuronState::uniform(LIF_PSC_EXP_STATE, &[self.config.e_l, 0.0, 0.0], n)
    }

    /// The sub-threshold update: membrane and currents from `t_k` to `t_{k+1}`.
    #[inline]
    fn integrate(&self, state: &mut NeuronState, input: StepInput<'_>) {
        let c = &self.config;
        let [v, i_ex, i_in] = &mut state.vars[..] else { unreachable!("three state columns") };
        let n = v.len();
        let (v, i_ex, i_in) = (&mut v[..n], &mut i_ex[..n], &mut i_in[..n]);
        let refr = &mut state.refractory[..n];
        let (e_l, v_reset, i_e) = (c.e_l, c.v_reset, c.i_e);
        let (p_vv, p_ve, p_vi, p_vc, p_ee, p_ii) =
            (self.p_vv, self.p_ve, self.p_vi, self.p_vc, self.p_ee, self.p_ii);
        // Branch-free and bounds-check-free, so it vectorises (AVX2 where the CPU has it).
        if input.is_empty() {
            // Fast path: spikes were added to the currents directly, no external current.
            pulp::Arch::new().dispatch(
                #[inline(always)]
                move || {
                    let state =
                        v.iter_mut().zip(i_ex.iter_mut()).zip(i_in.iter_mut()).zip(refr.iter_mut());
                    for (((v, i_ex), i_in), r) in state {
                        let free =
                            e_l + p_vv * (*v - e_l) + p_ve * *i_ex + p_vi * *i_in + p_vc * i_e;
                        *v = if *r > 0 { v_reset } else { free };
                        *r = r.saturating_sub(1);
                        *i_ex *= p_ee;
                        *i_in *= p_ii;
                    }
                },
            );
            return;
        }
        let (a_ex, a_in) = (&mut input.arrivals_ex[..n], &mut input.arrivals_in[..n]);
        let i_ext = &input.i_ext[..n];
        pulp::Arch::new().dispatch(
            #[inline(always)]
            move || {
                let state =
                    v.iter_mut().zip(i_ex.iter_mut()).zip(i_in.iter_mut()).zip(refr.iter_mut());
                let inputs = a_ex.iter_mut().zip(a_in.iter_mut()).zip(i_ext.iter());
                for ((((v, i_ex), i_in), r), ((a_ex, a_in), i_ext)) in state.zip(inputs) {
                    let ie = *i_ex + *a_ex;
                    let ii = *i_in + *a_in;
                    *a_ex = 0.0;
                    *a_in = 0.0;
                    let free =
                        e_l + p_vv * (*v - e_l) + p_ve * ie + p_vi * ii + p_vc * (i_e + *i_ext);
                    *v = if *r > 0 { v_reset } else { free };
                    *r = r.saturating_sub(1);
                    *i_ex = p_ee * ie;
                    *i_in = p_ii * ii;
                }
            },
        );
    }

    /// Advances the population by one step.
    pub fn step(&self, state: &mut NeuronState, input: StepInput<'_>, spikes: &mut Vec<u32>) {
        self.integrate(state, input);
        let c = &self.config;
        threshold(
            &mut state.vars[0],
            &mut state.refractory,
            c.v_th,
            c.v_reset,
            self.ref_steps,
            spikes,
        );
    }
}

/// Deterministic threshold: neurons with `v ≥ v_th` spike, are reset and become refractory.
///
/// Spikes are rare: blocks of 64 are screened with a vectorised compare-and-or first.
#[inline]
fn threshold(
    v: &mut [f64],
    refr: &mut [u32],
    v_th: f64,
    v_reset: f64,
    ref_steps: u32,
    spikes: &mut Vec<u32>,
) {
    const BLOCK: usize = 64;
    pulp::Arch::new().dispatch(
        #[inline(always)]
        move || {
            for (b, (vb, rb)) in v.chunks_mut(BLOCK).zip(refr.chunks_mut(BLOCK)).enumerate() {
                if vb.iter().fold(0u64, |any, &x| any | u64::from(x >= v_th)) == 0 {
                    continue;
                }
                for (m, (x, r)) in vb.iter_mut().zip(rb.iter_mut()).enumerate() {
                    if *x >= v_th {
                        spikes.push((b * BLOCK + m) as u32);
                        *x = v_reset;
                        *r = ref_steps;
                    }
                }
            }
        },
    );
}

params! {
    /// `lif_psc_delta`: leaky integrate-and-fire neuron whose synaptic inputs are
    /// instantaneous voltage jumps, as NEST's `iaf_psc_delta` and Brunel (2000).
    ///
    /// ```text
    /// C_m dV/dt = −C_m (V − E_L)/τ_m + I_e + I_ext + C_m Σ_k w_k δ(t − t_k)
    /// V ≥ V_th  →  spike, V ← V_reset, clamped for t_ref (inputs arriving then are lost)
    /// ```
    ///
    /// A spike of weight `w` [mV] moves `V` by `w`. Integration: exact. State: `v_m` [mV].
    ///
    /// References: Brunel (2000) J. Comput. Neurosci. 8:183.
    pub struct LifPscDeltaConfig {
        /// Membrane capacitance `C_m` [pF].
        c_m = 250.0,
        /// Membrane time constant `τ_m` [ms].
        tau_m = 10.0,
        /// Absolute refractory period `t_ref` [ms].
        t_ref = 2.0,
        /// Resting potential `E_L` [mV].
        e_l = -70.0,
        /// Reset potential `V_reset` [mV].
        v_reset = -70.0,
        /// Spike threshold `V_th` [mV].
        v_th = -55.0,
        /// Constant external current `I_e` [pA].
        i_e = 0.0,
    }
}

impl LifPscDeltaConfig {
    /// Preset names.
    pub const PRESETS: &'static [&'static str] = &["nest_default", "brunel_2000"];

    /// A named preset.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "nest_default" => Some(Self::default()),
            "brunel_2000" => Some(Self::brunel_2000()),
            _ => None,
        }
    }

    /// Brunel (2000) model A: τ_m = 20 ms, θ = 20 mV, V_r = 10 mV, τ_rp = 2 ms, voltages
    /// measured from rest (E_L = 0).
    pub fn brunel_2000() -> Self {
        LifPscDeltaConfig {
            c_m: 250.0,
            tau_m: 20.0,
            t_ref: 2.0,
            e_l: 0.0,
            v_reset: 10.0,
            v_th: 20.0,
            i_e: 0.0,
        }
    }

    /// Validates for time step `dt` [ms] and computes the propagators.
    pub fn build(&self, dt: f64) -> Result<LifPscDelta, RangeError> {
        check(self.c_m > 0.0 && self.c_m.is_finite(), "c_m", self.c_m, "a finite value > 0 [pF]")?;
        check_tau("tau_m", self.tau_m)?;
        for (name, v) in [("e_l", self.e_l), ("v_reset", self.v_reset), ("i_e", self.i_e)] {
            check_finite(name, v)?;
        }
        check(
            self.v_th > self.v_reset && self.v_th.is_finite(),
            "v_th",
            self.v_th,
            "a finite value > v_reset [mV]",
        )?;
        let ref_steps = refractory_steps(self.t_ref, dt)?;
        Ok(LifPscDelta {
            config: self.clone(),
            p_vv: (-dt / self.tau_m).exp(),
            p_vc: -(-dt / self.tau_m).exp_m1() * self.tau_m / self.c_m,
            ref_steps,
        })
    }
}

/// A built [`LifPscDeltaConfig`].
#[derive(Clone, Debug)]
pub struct LifPscDelta {
    /// The parameters.
    pub config: LifPscDeltaConfig,
    p_vv: f64,
    p_vc: f64,
    ref_steps: u32,
}

impl LifPscDelta {
    /// `n` neurons at `V = E_L`.
    pub fn new_state(&self, n: usize) -> NeuronState {
        NeuronState::uniform(&["v_m"], &[self.config.e_l], n)
    }

    /// Advances the population by one step: jumps first, then the free decay over the step.
    pub fn step(&self, state: &mut NeuronState, input: StepInput<'_>, spikes: &mut Vec<u32>) {
        let c = &self.config;
        let v = &mut state.vars[0];
        let n = v.len();
        let (a_ex, a_in, i_ext) =
            (&mut input.arrivals_ex[..n], &mut input.arrivals_in[..n], &input.i_ext[..n]);
        let refr = &mut state.refractory[..n];
        for j in 0..n {
            let jumped = v[j] + a_ex[j] + a_in[j];
            a_ex[j] = 0.0;
            a_in[j] = 0.0;
            let free = c.e_l + self.p_vv * (jumped - c.e_l) + self.p_vc * (c.i_e + i_ext[j]);
            v[j] = if refr[j] > 0 { c.v_reset } else { free };
            refr[j] = refr[j].saturating_sub(1);
        }
        threshold(v, &mut state.refractory, c.v_th, c.v_reset, self.ref_steps, spikes);
    }
}

params! {
    /// `lif_cond_exp`: leaky integrate-and-fire neuron with exponentially decaying synaptic
    /// conductances, as NEST's `iaf_cond_exp`.
    ///
    /// ```text
    /// C_m dV/dt  = g_L (E_L − V) + g_ex (E_ex − V) + g_in (E_in − V) + I_e + I_ext
    /// dg_ex/dt   = −g_ex/τ_syn_ex,  dg_in/dt = −g_in/τ_syn_in   (a spike adds its weight)
    /// ```
    ///
    /// Integration: exponential Euler, as Brian2's `exponential_euler`: over a step the
    /// conductances are held at their start values, so `V` relaxes exactly towards
    /// `V_∞ = (g_L E_L + g_ex E_ex + g_in E_in + I)/(g_L + g_ex + g_in)` with time constant
    /// `C_m/(g_L + g_ex + g_in)`; the conductances then decay exactly. First order in `dt`;
    /// `dt` must not exceed half the shortest time constant. State: `v_m` [mV], `g_ex`,
    /// `g_in` [nS]. Weights are conductances [nS] and must be `>= 0`.
    ///
    /// References: Vogels & Abbott (2005) J. Neurosci. 25:10786; Brette et al. (2007)
    /// J. Comput. Neurosci. 23:349.
    pub struct LifCondExpConfig {
        /// Membrane capacitance `C_m` [pF].
        c_m = 250.0,
        /// Leak conductance `g_L` [nS].
        g_l = 16.6667,
        /// Leak reversal potential `E_L` [mV].
        e_l = -70.0,
        /// Excitatory reversal potential `E_ex` [mV].
        e_ex = 0.0,
        /// Inhibitory reversal potential `E_in` [mV].
        e_in = -85.0,
        /// Excitatory synaptic time constant `τ_syn_ex` [ms].
        tau_syn_ex = 0.2,
        /// Inhibitory synaptic time constant `τ_syn_in` [ms].
        tau_syn_in = 2.0,
        /// Absolute refractory period `t_ref` [ms].
        t_ref = 2.0,
        /// Reset potential `V_reset` [mV].
        v_reset = -60.0,
        /// Spike threshold `V_th` [mV].
        v_th = -55.0,
        /// Constant external current `I_e` [pA].
        i_e = 0.0,
    }
}

impl LifCondExpConfig {
    /// Preset names.
    pub const PRESETS: &'static [&'static str] = &["nest_default", "vogels_abbott_2005_coba"];

    /// A named preset.
    pub fn preset(name: &str) -> Option<Self> {
        match name {
            "nest_default" => Some(Self::default()),
            "vogels_abbott_2005_coba" => Some(Self::vogels_abbott_2005_coba()),
            _ => None,
        }
    }

    /// The conductance-based benchmark network of Vogels & Abbott (2005), as in Brette et al.
    /// (2007, benchmark 1) and Brian2's `COBA` example: C_m = 200 pF, g_L = 10 nS (τ_m =
    /// 20 ms), E_L = −60 mV, E_ex = 0 mV, E_in = −80 mV, τ_ex = 5 ms, τ_in = 10 ms,
    /// V_th = −50 mV, V_reset = −60 mV, t_ref = 5 ms.
    pub fn vogels_abbott_2005_coba() -> Self {
        LifCondExpConfig {
            c_m: 200.0,
            g_l: 10.0,
            e_l: -60.0,
            e_ex: 0.0,
            e_in: -80.0,
            tau_syn_ex: 5.0,
            tau_syn_in: 10.0,
            t_ref: 5.0,
            v_reset: -60.0,
            v_th: -50.0,
            i_e: 0.0,
        }
    }

    /// Validates for time step `dt` [ms] and computes the propagators.
    pub fn build(&self, dt: f64) -> Result<LifCondExp, RangeError> {
        check(self.c_m > 0.0 && self.c_m.is_finite(), "c_m", self.c_m, "a finite value > 0 [pF]")?;
        check(self.g_l > 0.0 && self.g_l.is_finite(), "g_l", self.g_l, "a finite value > 0 [nS]")?;
        check_tau("tau_syn_ex", self.tau_syn_ex)?;
        check_tau("tau_syn_in", self.tau_syn_in)?;
        for (name, v) in [
            ("e_l", self.e_l),
            ("e_ex", self.e_ex),
            ("e_in", self.e_in),
            ("v_reset", self.v_reset),
            ("i_e", self.i_e),
        ] {
            check_finite(name, v)?;
        }
        check(
            self.v_th > self.v_reset && self.v_th.is_finite(),
            "v_th",
            self.v_th,
            "a finite value > v_reset [mV]",
        )?;
        let shortest = (self.c_m / self.g_l).min(self.tau_syn_ex).min(self.tau_syn_in);
        check(
            dt <= 0.5 * shortest,
            "dt",
            dt,
            &format!("dt <= half the shortest time constant ({shortest} ms) for exponential Euler"),
        )?;
        let ref_steps = refractory_steps(self.t_ref, dt)?;
        Ok(LifCondExp {
            config: self.clone(),
            dt_over_c: dt / self.c_m,
            p_ee: (-dt / self.tau_syn_ex).exp(),
            p_ii: (-dt / self.tau_syn_in).exp(),
            ref_steps,
        })
    }
}

/// A built [`LifCondExpConfig`].
#[derive(Clone, Debug)]
pub struct LifCondExp {
    /// The parameters.
    pub config: LifCondExpConfig,
    dt_over_c: f64,
    p_ee: f64,
    p_ii: f64,
    ref_steps: u32,
}

impl LifCondExp {
    /// `n` neurons at `V = E_L`, no synaptic conductance.
    pub fn new_state(&self, n: usize) -> NeuronState {
        NeuronState::uniform(&["v_m", "g_ex", "g_in"], &[self.config.e_l, 0.0, 0.0], n)
    }

    /// Advances the population by one step.
    pub fn step(&self, state: &mut NeuronState, input: StepInput<'_>, spikes: &mut Vec<u32>) {
        let c = &self.config;
        let [v, g_ex, g_in] = &mut state.vars[..] else { unreachable!("three state columns") };
        let n = v.len();
        let (v, g_ex, g_in) = (&mut v[..n], &mut g_ex[..n], &mut g_in[..n]);
        let refr = &mut state.refractory[..n];
        let i_e = c.i_e;
        let update = CondUpdate {
            g_l: c.g_l,
            g_l_e_l: c.g_l * c.e_l,
            e_ex: c.e_ex,
            e_in: c.e_in,
            v_reset: c.v_reset,
            dt_over_c: self.dt_over_c,
            p_ee: self.p_ee,
            p_ii: self.p_ii,
        };
        let inputs = (!input.is_empty())
            .then(|| (&mut input.arrivals_ex[..n], &mut input.arrivals_in[..n], &input.i_ext[..n]));
        pulp::Arch::new().dispatch(CondPass {
            update,
            v: &mut *v,
            g_ex: &mut *g_ex,
            g_in: &mut *g_in,
            refr: &mut *refr,
            i_e,
            inputs,
        });
        threshold(v, refr, c.v_th, c.v_reset, self.ref_steps, spikes);
    }
}

/// The exponential-Euler update of one [`LifCondExp`] neuron, given its conductances with
/// this step's arrivals and its total external current.
#[derive(Clone, Copy)]
struct CondUpdate {
    g_l: f64,
    g_l_e_l: f64,
    e_ex: f64,
    e_in: f64,
    v_reset: f64,
    dt_over_c: f64,
    p_ee: f64,
    p_ii: f64,
}

/// Arrivals (ex, in) and external current of one step.
type CondInputs<'a> = (&'a mut [f64], &'a mut [f64], &'a [f64]);

/// One population step as a `pulp::WithSimd` value: pulp calls `with_simd` inside a function
/// compiled for the CPU's SIMD level, and this (unlike a closure around the same loop, whose
/// call shim was not inlined) is inlined there, so the loop runs 4-wide with AVX2.
struct CondPass<'a> {
    update: CondUpdate,
    v: &'a mut [f64],
    g_ex: &'a mut [f64],
    g_in: &'a mut [f64],
    refr: &'a mut [u32],
    i_e: f64,
    inputs: Option<CondInputs<'a>>,
}

impl pulp::WithSimd for CondPass<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: pulp::Simd>(self, _simd: S) {
        self.update.run(self.v, self.g_ex, self.g_in, self.refr, self.i_e, self.inputs);
    }
}

impl CondUpdate {
    /// The whole population (see [`CondPass`]).
    #[inline(always)]
    fn run(
        &self,
        v: &mut [f64],
        g_ex: &mut [f64],
        g_in: &mut [f64],
        refr: &mut [u32],
        i_e: f64,
        inputs: Option<CondInputs<'_>>,
    ) {
        let state = v.iter_mut().zip(g_ex.iter_mut()).zip(g_in.iter_mut()).zip(refr.iter_mut());
        match inputs {
            None => {
                for (((v, g_ex), g_in), r) in state {
                    let (ge, gi) = (*g_ex, *g_in);
                    self.apply(v, g_ex, g_in, r, ge, gi, i_e);
                }
            }
            Some((a_ex, a_in, i_ext)) => {
                let inputs = a_ex.iter_mut().zip(a_in.iter_mut()).zip(i_ext.iter());
                for ((((v, g_ex), g_in), r), ((a_ex, a_in), i_ext)) in state.zip(inputs) {
                    let (ge, gi) = (*g_ex + *a_ex, *g_in + *a_in);
                    *a_ex = 0.0;
                    *a_in = 0.0;
                    self.apply(v, g_ex, g_in, r, ge, gi, i_e + *i_ext);
                }
            }
        }
    }

    // Inlined into the loops above (a closure here was not, and cost 15×).
    #[inline(always)]
    fn apply(
        &self,
        v: &mut f64,
        g_ex: &mut f64,
        g_in: &mut f64,
        r: &mut u32,
        ge: f64,
        gi: f64,
        i: f64,
    ) {
        let g = self.g_l + ge + gi;
        let v_inf = (self.g_l_e_l + ge * self.e_ex + gi * self.e_in + i) / g;
        let free = v_inf + (*v - v_inf) * exp_f64(-self.dt_over_c * g);
        *v = if *r > 0 { self.v_reset } else { free };
        *r = r.saturating_sub(1);
        *g_ex = self.p_ee * ge;
        *g_in = self.p_ii * gi;
    }
}

params! {
    /// `lif_escape`: [`LifPscExpConfig`]'s neuron with a stochastic threshold ("escape
    /// noise"): in each step a non-refractory neuron spikes with probability
    /// `1 − exp(−ρ(V) dt)`, hazard `ρ(V) = ρ_0 exp((V − V_th)/ΔV)` [Hz].
    ///
    /// Sub-threshold integration is [`LifPscExp`]'s (exact); the draw uses the neuron's own
    /// random stream, so results do not depend on how neurons are split across threads.
    /// State: `v_m` [mV], `i_syn_ex`, `i_syn_in` [pA].
    ///
    /// References: Gerstner & Kistler (2002) *Spiking Neuron Models* §5.3; Jolivet et al.
    /// (2006) J. Neurophysiol. 96:3396; the probabilistic-spiking network of the BBCI model
    /// (Lajoie et al. 2017, arXiv:1609.00762).
    pub struct LifEscapeConfig {
        /// Membrane capacitance `C_m` [pF].
        c_m = 250.0,
        /// Membrane time constant `τ_m` [ms].
        tau_m = 10.0,
        /// Excitatory synaptic time constant `τ_syn_ex` [ms].
        tau_syn_ex = 2.0,
        /// Inhibitory synaptic time constant `τ_syn_in` [ms].
        tau_syn_in = 2.0,
        /// Absolute refractory period `t_ref` [ms].
        t_ref = 2.0,
        /// Resting potential `E_L` [mV].
        e_l = -70.0,
        /// Reset potential `V_reset` [mV].
        v_reset = -70.0,
        /// Soft threshold `V_th`, where the hazard equals `ρ_0` [mV].
        v_th = -55.0,
        /// Constant external current `I_e` [pA].
        i_e = 0.0,
        /// Hazard at threshold `ρ_0` [Hz].
        rho_0 = 100.0,
        /// Sharpness of the threshold `ΔV` [mV].
        delta_v = 2.0,
    }
}

impl LifEscapeConfig {
    /// Preset names.
    pub const PRESETS: &'static [&'static str] = &["nest_default"];

    /// A named preset.
    pub fn preset(name: &str) -> Option<Self> {
        (name == "nest_default").then(Self::default)
    }

    /// The deterministic neuron underneath; its hard threshold is never used.
    fn lif(&self) -> LifPscExpConfig {
        LifPscExpConfig {
            c_m: self.c_m,
            tau_m: self.tau_m,
            tau_syn_ex: self.tau_syn_ex,
            tau_syn_in: self.tau_syn_in,
            t_ref: self.t_ref,
            e_l: self.e_l,
            v_reset: self.v_reset,
            v_th: self.v_reset + 1.0,
            i_e: self.i_e,
        }
    }

    /// Validates for time step `dt` [ms] and computes the propagators.
    pub fn build(&self, dt: f64) -> Result<LifEscape, RangeError> {
        check_finite("v_th", self.v_th)?;
        let lif = self.lif().build(dt)?;
        check(
            self.rho_0 > 0.0 && self.rho_0.is_finite(),
            "rho_0",
            self.rho_0,
            "a finite value > 0 [Hz]",
        )?;
        check(
            self.delta_v > 0.0 && self.delta_v.is_finite(),
            "delta_v",
            self.delta_v,
            "a finite value > 0 [mV]",
        )?;
        Ok(LifEscape { config: self.clone(), lif, rho_dt: self.rho_0 * dt * 1e-3 })
    }
}

/// A built [`LifEscapeConfig`].
#[derive(Clone, Debug)]
pub struct LifEscape {
    /// The parameters.
    pub config: LifEscapeConfig,
    lif: LifPscExp,
    /// `ρ_0 dt` (dimensionless).
    rho_dt: f64,
}

impl LifEscape {
    /// `n` neurons at `V = E_L`; give them random streams with
    /// [`super::SpikingModel::seed_streams`] before stepping.
    pub fn new_state(&self, n: usize) -> NeuronState {
        self.lif.new_state(n)
    }

    /// The probability of a spike within one step at membrane potential `v`.
    pub fn spike_probability(&self, v: f64) -> f64 {
        -(-self.rho_dt * ((v - self.config.v_th) / self.config.delta_v).exp()).exp_m1()
    }

    /// Advances the population by one step.
    ///
    /// # Panics
    /// If the state has no random streams (see [`LifEscape::new_state`]).
    pub fn step(&self, state: &mut NeuronState, input: StepInput<'_>, spikes: &mut Vec<u32>) {
        self.lif.integrate(state, input);
        let c = &self.config;
        assert_eq!(state.rng.len(), state.len(), "lif_escape needs one random stream per neuron");
        let v = &mut state.vars[0];
        for j in 0..v.len() {
            // Every neuron draws every step, refractory or not, so the streams stay aligned.
            let u: f64 = state.rng[j].random();
            let hazard = self.rho_dt * exp_f64((v[j] - c.v_th) / c.delta_v);
            if state.refractory[j] == 0 && u < 1.0 - exp_f64(-hazard) {
                spikes.push(j as u32);
                v[j] = c.v_reset;
                state.refractory[j] = self.lif.ref_steps;
            }
        }
    }
}
