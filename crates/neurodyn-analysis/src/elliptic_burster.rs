//! The normal form of elliptic bursting (subcritical Hopf / fold of limit cycles; Izhikevich
//! 2000, "Neural excitability, spiking and bursting"), kicked by a periodic pulse train, and its
//! reduction to a circle map through the phase response (Lajoie & Shea-Brown 2011,
//! arXiv:1010.2809).
//!
//! ```text
//! ż = (u + iω) z + 2 z|z|² − z|z|⁴,     u̇ = μ (a − |z|²),     z = x + i y
//! ```
//!
//! For `0 < a < 1` and small `μ` the slow variable `u` drifts up while the cell rests (`z ≈ 0`),
//! past the Hopf point `u = 0` — the rest stays quiescent for as long again, the slow passage,
//! since `|z|` has shrunk exponentially — until `z` jumps to the large cycle
//! `|z|² = 1 + √(1 + u)` (spiking at frequency `≈ ω`); there `u` drifts down to the fold of
//! cycles at `u = −1`, where the burst ends. A kick adds `A` to `x`. The phase `θ ∈ [0, 1)` of
//! a state on the burst cycle is the time since the last burst onset (`|z|²` crossing
//! [`ONSET`] upwards) over the free period `T₀`.
//!
//! The phase response `Z(θ)` of a kick at phase `θ` is measured directly: kick the cycle at
//! `θ`, run to the `k`-th burst onset after it and compare with the free cycle's. Kicks `T`
//! apart then map phases by `F(θ) = θ + Z(θ) + T/T₀` (mod 1) once the orbit is back on the
//! cycle before the next kick ([`crate::circle_map::PrcMap`]); `Z` is discontinuous where a
//! kick starts a burst or ends one, which makes the map chaotic for some `(T, A)` and
//! phase-locked for others. The kicked flow's largest Lyapunov exponent per kick is the one
//! the circle map's should match, measured on the flow by [`kicked_lyapunov`].

use faer::MatMut;
use neurodyn_core::{Dynamics, Rk4, VectorField};

/// `|z|²` above which a burst has begun (between the rest `0` and the cycle's `≥ 1`).
pub const ONSET: f64 = 0.5;

/// Parameters of the normal form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EllipticBurster {
    /// Fast (spiking) frequency `ω` [rad/time unit].
    pub omega: f64,
    /// Slow rate `μ` [1/time unit].
    pub mu: f64,
    /// Slow target `a` of `|z|²` (bursting for `0 < a < 1`).
    pub a: f64,
}

impl VectorField for EllipticBurster {
    fn dim(&self) -> usize {
        3
    }
    fn n_input(&self) -> usize {
        0
    }
    fn f(&self, s: &[f64], _: &[f64], out: &mut [f64]) {
        let (x, y, u) = (s[0], s[1], s[2]);
        let r2 = x * x + y * y;
        let g = u + 2.0 * r2 - r2 * r2;
        out[0] = g * x - self.omega * y;
        out[1] = self.omega * x + g * y;
        out[2] = self.mu * (self.a - r2);
    }
    fn df(&self, s: &[f64], _: &[f64], mut jac: MatMut<'_, f64>) {
        let d = self.jacobian([s[0], s[1], s[2]]);
        for (i, row) in d.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                jac[(i, j)] = *v;
            }
        }
    }
}

impl EllipticBurster {
    fn rate(&self, s: [f64; 3]) -> [f64; 3] {
        let mut out = [0.0; 3];
        self.f(&s, &[], &mut out);
        out
    }

    /// `∂f/∂(x, y, u)` at `s`.
    fn jacobian(&self, s: [f64; 3]) -> [[f64; 3]; 3] {
        let (x, y, u) = (s[0], s[1], s[2]);
        let r2 = x * x + y * y;
        let g = u + 2.0 * r2 - r2 * r2;
        // ∂g/∂x = (4 − 4 r²) x, likewise for y; ∂g/∂u = 1.
        let gr = 4.0 - 4.0 * r2;
        [
            [g + gr * x * x, gr * x * y - self.omega, x],
            [self.omega + gr * x * y, g + gr * y * y, y],
            [-2.0 * self.mu * x, -2.0 * self.mu * y, 0.0],
        ]
    }

    /// One RK4 step of the state and of a tangent vector `v` (the variational equation
    /// `v̇ = ∂f/∂s · v` integrated alongside).
    fn step_tangent(&self, dt: f64, s: &mut [f64; 3], v: &mut [f64; 3]) {
        let mul = |j: [[f64; 3]; 3], v: [f64; 3]| -> [f64; 3] {
            [0, 1, 2].map(|i| j[i][0] * v[0] + j[i][1] * v[1] + j[i][2] * v[2])
        };
        let add = |a: [f64; 3], b: [f64; 3], h: f64| [0, 1, 2].map(|i| a[i] + h * b[i]);
        let (s0, v0) = (*s, *v);
        let k1 = self.rate(s0);
        let l1 = mul(self.jacobian(s0), v0);
        let s1 = add(s0, k1, 0.5 * dt);
        let k2 = self.rate(s1);
        let l2 = mul(self.jacobian(s1), add(v0, l1, 0.5 * dt));
        let s2 = add(s0, k2, 0.5 * dt);
        let k3 = self.rate(s2);
        let l3 = mul(self.jacobian(s2), add(v0, l2, 0.5 * dt));
        let s3 = add(s0, k3, dt);
        let k4 = self.rate(s3);
        let l4 = mul(self.jacobian(s3), add(v0, l3, dt));
        for i in 0..3 {
            s[i] += dt / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            v[i] += dt / 6.0 * (l1[i] + 2.0 * l2[i] + 2.0 * l3[i] + l4[i]);
        }
    }
}

/// The free burst cycle, sampled: the state at each step after a burst onset, over one period.
#[derive(Clone, Debug)]
pub struct Cycle {
    /// Integration step [time units].
    pub dt: f64,
    /// The period `T₀` [time units] (interpolated between steps).
    pub period: f64,
    /// `states[k]`: the state `k·dt` after the onset, for `k` up to the period.
    pub states: Vec<[f64; 3]>,
}

/// Integrates `field` with RK4 step `dt` from `state` for `n` steps, calling `each(k, state)`
/// after every step; stops early when `each` returns `false`.
fn integrate(
    field: &EllipticBurster,
    dt: f64,
    state: &mut [f64; 3],
    n: usize,
    mut each: impl FnMut(usize, &[f64; 3]) -> bool,
) {
    let rk = Rk4 { field: *field, dt };
    let mut next = [0.0; 3];
    for k in 0..n {
        rk.step(state, &[], &mut next);
        *state = next;
        if !each(k + 1, state) {
            return;
        }
    }
}

fn r2(s: &[f64; 3]) -> f64 {
    s[0] * s[0] + s[1] * s[1]
}

/// Time of the upward crossing of [`ONSET`] between two states one step apart (linear
/// interpolation of `|z|²`), as a fraction of the step.
fn crossing(prev: f64, now: f64) -> f64 {
    ((ONSET - prev) / (now - prev)).clamp(0.0, 1.0)
}

impl EllipticBurster {
    /// Runs from a small perturbation of rest through `transient` time units, then samples one
    /// full period from a burst onset. `None` if no burst happens (not a burster).
    pub fn cycle(&self, dt: f64, transient: f64) -> Option<Cycle> {
        let mut s = [1e-3, 0.0, -0.5];
        integrate(self, dt, &mut s, (transient / dt).round() as usize, |_, _| true);
        // Step to the next onset.
        let mut prev = r2(&s);
        let mut found = false;
        let limit = (transient / dt).round() as usize + 1;
        integrate(self, dt, &mut s, limit, |_, st| {
            let now = r2(st);
            let up = prev < ONSET && now >= ONSET;
            prev = now;
            if up {
                found = true;
            }
            !up
        });
        if !found {
            return None;
        }
        // Sample until the next onset.
        let mut states = vec![s];
        let mut prev = r2(&s);
        let mut period = None;
        let mut leaving = true;
        integrate(self, dt, &mut s, limit, |k, st| {
            let now = r2(st);
            leaving &= now >= ONSET;
            if !leaving && prev < ONSET && now >= ONSET {
                period = Some((k as f64 - 1.0 + crossing(prev, now)) * dt);
                return false;
            }
            prev = now;
            states.push(*st);
            true
        });
        period.map(|period| Cycle { dt, period, states })
    }
}

impl Cycle {
    /// The state at phase `theta` (nearest sample).
    pub fn at(&self, theta: f64) -> [f64; 3] {
        let k = (theta.rem_euclid(1.0) * self.period / self.dt).round() as usize;
        self.states[k.min(self.states.len() - 1)]
    }

    /// The phase response to a kick `amplitude` in `x` at each of `m` phases `i/m` (in
    /// parallel): the time the `bursts`-th onset after the kick comes earlier than on the free
    /// cycle, over `T₀` (positive: an advance; NaN where no onset follows the kick). Unwrapped:
    /// whole periods are added or removed so that neighbouring phases differ by at most one
    /// half, since a kick that starts or skips a burst shifts the count, not the phase.
    pub fn phase_response(
        &self,
        field: &EllipticBurster,
        amplitude: f64,
        m: usize,
        bursts: usize,
    ) -> Vec<f64> {
        use rayon::prelude::*;
        let mut z: Vec<f64> = (0..m)
            .into_par_iter()
            .map(|i| {
                let theta = i as f64 / m as f64;
                let t = self.time_to_onsets(field, self.at(theta), amplitude, bursts);
                ((bursts as f64 - theta) * self.period - t) / self.period
            })
            .collect();
        for i in 1..m {
            z[i] -= (z[i] - z[i - 1]).round();
        }
        // Whole periods of the table as a whole (a kick exactly at an onset may count it) are
        // not a phase shift either: centre the median on (−½, ½].
        let mut sorted: Vec<f64> = z.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let offset = sorted.get(sorted.len() / 2).map_or(0.0, |v| v.round());
        z.iter_mut().for_each(|v| *v -= offset);
        z
    }

    /// Time from a kick of `amplitude` at `state` to the `bursts`-th onset after it (an onset
    /// needs `|z|²` below [`ONSET`] first, so a kick during a burst does not count as one).
    pub fn time_to_onsets(
        &self,
        field: &EllipticBurster,
        mut state: [f64; 3],
        amplitude: f64,
        bursts: usize,
    ) -> f64 {
        state[0] += amplitude;
        let mut prev = r2(&state);
        let mut seen = 0;
        let mut time = f64::NAN;
        let limit = ((bursts as f64 + 2.0) * 3.0 * self.period / self.dt) as usize;
        integrate(field, self.dt, &mut state, limit, |k, st| {
            let now = r2(st);
            if prev < ONSET && now >= ONSET {
                seen += 1;
                if seen == bursts {
                    time = (k as f64 - 1.0 + crossing(prev, now)) * self.dt;
                    return false;
                }
            }
            prev = now;
            true
        });
        time
    }
}

/// The kicked burster as a map, kick to kick: `s ← RK4ⁿ(s + A e_x)` with `n = period/dt` RK4
/// steps, and its exact Jacobian (the product of the steps'; a kick is a translation). Its
/// [`crate::lyapunov::lyapunov_spectrum`] gives all three exponents per kick, of which
/// [`kicked_lyapunov`] measures the largest.
#[derive(Clone, Copy, Debug)]
pub struct KickedBurster {
    /// The normal form.
    pub field: EllipticBurster,
    /// Kick amplitude `A` (added to `x`).
    pub amplitude: f64,
    /// RK4 step [time units].
    pub dt: f64,
    /// RK4 steps between kicks.
    pub steps: usize,
}

impl Dynamics for KickedBurster {
    fn dim(&self) -> usize {
        3
    }
    fn n_input(&self) -> usize {
        0
    }
    fn step(&self, state: &[f64], _: &[f64], next: &mut [f64]) {
        let mut s = [state[0] + self.amplitude, state[1], state[2]];
        integrate(&self.field, self.dt, &mut s, self.steps, |_, _| true);
        next.copy_from_slice(&s);
    }
    fn jacobian(&self, state: &[f64], _: &[f64], mut jac: MatMut<'_, f64>) {
        let rk = Rk4 { field: self.field, dt: self.dt };
        let mut s = [state[0] + self.amplitude, state[1], state[2]];
        let mut next = [0.0; 3];
        let mut total = faer::Mat::<f64>::identity(3, 3);
        let mut one = faer::Mat::<f64>::zeros(3, 3);
        let mut product = faer::Mat::<f64>::zeros(3, 3);
        for _ in 0..self.steps {
            rk.jacobian(&s, &[], one.as_mut());
            neurodyn_core::mat::gemm(
                product.as_mut(),
                faer::Accum::Replace,
                one.as_ref(),
                total.as_ref(),
            );
            std::mem::swap(&mut total, &mut product);
            rk.step(&s, &[], &mut next);
            s = next;
        }
        jac.copy_from(total.as_ref());
    }
}

/// The largest Lyapunov exponent per kick of the burster kicked by `amplitude` (in `x`) every
/// `period` time units, from `start`, measured on the flow itself: a tangent vector integrated
/// with the state (the variational equation; a kick, a translation, leaves it alone) grows by
/// `ln |v|` per kick, renormalised after each. `transient` kicks are discarded, `kicks`
/// averaged. Tangent vectors rather than a displaced copy, because the slow passage takes `|z|`
/// down to `e^(−1/(2μa))` or so during quiescence, below any finite displacement one would use.
pub fn kicked_lyapunov(
    field: &EllipticBurster,
    amplitude: f64,
    period: f64,
    dt: f64,
    start: [f64; 3],
    transient: usize,
    kicks: usize,
) -> f64 {
    let n = (period / dt).round().max(1.0) as usize;
    let mut s = start;
    let mut v = [1.0 / 3f64.sqrt(); 3];
    let mut sum = 0.0;
    for k in 0..transient + kicks {
        s[0] += amplitude;
        for _ in 0..n {
            field.step_tangent(dt, &mut s, &mut v);
        }
        let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        if k >= transient {
            sum += norm.ln();
        }
    }
    sum / kicks.max(1) as f64
}
