//! Circle maps `θ ↦ F(θ) mod 1`, given by a lift `F: ℝ → ℝ` with `F(θ + 1) = F(θ) + d` (degree
//! `d`), and their orbits' rotation number and Lyapunov exponent.
//!
//! A periodically kicked oscillator reduces to such a map through its phase-response curve:
//! with phase `θ ∈ [0, 1)` in units of the free period `T₀`, a kick at phase `θ` advances it
//! by `Z(θ)` and the next kick comes `T` later, so `F(θ) = θ + Z(θ) + T/T₀` ([`PrcMap`]; the
//! reduction Lajoie & Shea-Brown used for elliptic bursters, arXiv:1010.2809). The rotation
//! number `ρ = lim (Fⁿ(θ) − θ)/n` (degree 1 only) is the mean phase advance per kick: rational
//! on phase-locked orbits (Arnold tongues). The Lyapunov exponent `λ = lim (1/n) Σ ln|F'(θₖ)|`
//! is negative on a stable locked orbit, zero on a quasi-periodic one and positive when chaotic.

use std::f64::consts::TAU;

/// A circle map given by its lift and the lift's derivative.
pub trait CircleMap {
    /// The lift `F(θ)` for `θ ∈ [0, 1)`.
    fn lift(&self, theta: f64) -> f64;
    /// `F'(θ)`.
    fn derivative(&self, theta: f64) -> f64;
}

/// The rigid rotation `F(θ) = θ + ω`: `ρ = ω`, `λ = 0`.
#[derive(Clone, Copy, Debug)]
pub struct Rotation {
    /// The rotation `ω`.
    pub omega: f64,
}

impl CircleMap for Rotation {
    fn lift(&self, theta: f64) -> f64 {
        theta + self.omega
    }
    fn derivative(&self, _: f64) -> f64 {
        1.0
    }
}

/// The doubling map `F(θ) = 2θ` (degree 2): `λ = ln 2`. In floating point every orbit reaches 0
/// within 53 steps (each step shifts out one bit); `λ` is `ln 2` all the same, `F'` being 2.
#[derive(Clone, Copy, Debug)]
pub struct Doubling;

impl CircleMap for Doubling {
    fn lift(&self, theta: f64) -> f64 {
        2.0 * theta
    }
    fn derivative(&self, _: f64) -> f64 {
        2.0
    }
}

/// The sine circle map `F(θ) = θ + Ω − (K/2π) sin 2πθ` (Arnold): invertible for `K ≤ 1`,
/// chaotic orbits possible above.
#[derive(Clone, Copy, Debug)]
pub struct SineCircle {
    /// The bare rotation `Ω`.
    pub omega: f64,
    /// The nonlinearity `K`.
    pub k: f64,
}

impl CircleMap for SineCircle {
    fn lift(&self, theta: f64) -> f64 {
        theta + self.omega - self.k / TAU * (TAU * theta).sin()
    }
    fn derivative(&self, theta: f64) -> f64 {
        1.0 - self.k * (TAU * theta).cos()
    }
}

/// The kick map of an oscillator with a tabulated phase-response curve:
/// `F(θ) = θ + Z(θ) + shift`, `shift = T/T₀` (kick period over free period), `Z` sampled at
/// `θᵢ = i/m` and interpolated periodically by cubic Hermite splines with central-difference
/// slopes (Catmull–Rom), so `F'` is continuous.
#[derive(Clone, Debug)]
pub struct PrcMap {
    /// `Z(i/m)` for `i = 0..m` (periodic: `Z(1) = Z(0)`), in units of the period.
    pub prc: Vec<f64>,
    /// `T/T₀`.
    pub shift: f64,
}

impl PrcMap {
    /// The interval index, local coordinate `s ∈ [0, 1)`, the two values and the two slopes
    /// (per unit `s`) of the spline piece that holds `theta`.
    fn piece(&self, theta: f64) -> (f64, [f64; 4]) {
        let m = self.prc.len();
        let x = theta.rem_euclid(1.0) * m as f64;
        let i = (x.floor() as usize).min(m - 1);
        let z = |j: isize| self.prc[j.rem_euclid(m as isize) as usize];
        let i = i as isize;
        let (p0, p1) = (z(i), z(i + 1));
        let (m0, m1) = (0.5 * (z(i + 1) - z(i - 1)), 0.5 * (z(i + 2) - z(i)));
        (x - i as f64, [p0, p1, m0, m1])
    }

    /// `Z(θ)`.
    pub fn prc_at(&self, theta: f64) -> f64 {
        let (s, [p0, p1, m0, m1]) = self.piece(theta);
        let (s2, s3) = (s * s, s * s * s);
        (2.0 * s3 - 3.0 * s2 + 1.0) * p0
            + (s3 - 2.0 * s2 + s) * m0
            + (-2.0 * s3 + 3.0 * s2) * p1
            + (s3 - s2) * m1
    }

    /// `Z'(θ)`.
    pub fn prc_slope(&self, theta: f64) -> f64 {
        let (s, [p0, p1, m0, m1]) = self.piece(theta);
        let s2 = s * s;
        let per_s = (6.0 * s2 - 6.0 * s) * p0
            + (3.0 * s2 - 4.0 * s + 1.0) * m0
            + (-6.0 * s2 + 6.0 * s) * p1
            + (3.0 * s2 - 2.0 * s) * m1;
        per_s * self.prc.len() as f64
    }
}

impl CircleMap for PrcMap {
    fn lift(&self, theta: f64) -> f64 {
        theta + self.prc_at(theta) + self.shift
    }
    fn derivative(&self, theta: f64) -> f64 {
        1.0 + self.prc_slope(theta)
    }
}

/// The kick map of a tabulated phase response with jumps: `F(θ) = θ + Z(θ) + shift`, `Z`
/// sampled at `θᵢ = i/m` and interpolated linearly. A table interval across which `Z` changes by
/// more than `jump` holds a discontinuity (a kick that starts or ends a burst, resolved to one
/// interval): `F'` there is the slope of the nearer neighbouring interval, not the jump's, so
/// the Lyapunov exponent counts the map's stretching and not the table's resolution.
#[derive(Clone, Debug)]
pub struct JumpPrcMap {
    /// `Z(i/m)` for `i = 0..m` (periodic: `Z(1) = Z(0)` up to a whole period), in periods.
    pub prc: Vec<f64>,
    /// `T/T₀`.
    pub shift: f64,
    /// Smallest change of `Z` across one interval that counts as a jump.
    pub jump: f64,
}

impl JumpPrcMap {
    /// Interval index, position in it, and `Z` at its two ends (the last interval wraps,
    /// removing the whole periods `Z` gained over the circle).
    fn piece(&self, theta: f64) -> (usize, f64, f64, f64) {
        let m = self.prc.len();
        let x = theta.rem_euclid(1.0) * m as f64;
        let i = (x.floor() as usize).min(m - 1);
        let (z0, mut z1) = (self.prc[i], self.prc[(i + 1) % m]);
        if i + 1 == m {
            z1 -= (z1 - z0).round();
        }
        (i, x - i as f64, z0, z1)
    }

    fn slope(&self, i: usize) -> f64 {
        let m = self.prc.len();
        let (_, _, z0, z1) = self.piece((i as f64 + 0.5) / m as f64);
        (z1 - z0) * m as f64
    }

    fn is_jump(&self, i: usize) -> bool {
        let (_, _, z0, z1) = self.piece((i as f64 + 0.5) / self.prc.len() as f64);
        (z1 - z0).abs() > self.jump
    }
}

impl CircleMap for JumpPrcMap {
    fn lift(&self, theta: f64) -> f64 {
        let (_, s, z0, z1) = self.piece(theta);
        theta + z0 + s * (z1 - z0) + self.shift
    }
    fn derivative(&self, theta: f64) -> f64 {
        let m = self.prc.len();
        let (i, s, _, _) = self.piece(theta);
        if !self.is_jump(i) {
            return 1.0 + self.slope(i);
        }
        let (near, far) =
            if s < 0.5 { ((i + m - 1) % m, (i + 1) % m) } else { ((i + 1) % m, (i + m - 1) % m) };
        let j = if self.is_jump(near) { far } else { near };
        1.0 + self.slope(j)
    }
}

/// An orbit's summary.
#[derive(Clone, Debug, PartialEq)]
pub struct Orbit {
    /// `(F^n(θ) − θ)/n` over the measured steps (the rotation number for degree-1 maps).
    pub rotation_number: f64,
    /// `(1/n) Σ ln|F'(θₖ)|` over the measured steps (`−∞` if the orbit hits a critical point).
    pub lyapunov: f64,
    /// The phases `θₖ ∈ [0, 1)` of the last `keep` measured steps (for bifurcation diagrams).
    pub tail: Vec<f64>,
}

/// Iterates `map` from `theta0`: `transient` steps discarded, then `n ≥ 1` measured; keeps the
/// last `keep` phases. The winding is counted in integers apart from the phase, so long orbits
/// lose no precision.
pub fn orbit(map: &impl CircleMap, theta0: f64, transient: usize, n: usize, keep: usize) -> Orbit {
    let mut theta = theta0.rem_euclid(1.0);
    for _ in 0..transient {
        theta = map.lift(theta).rem_euclid(1.0);
    }
    let (mut winding, mut log_sum) = (0.0, 0.0);
    let start = theta;
    let mut tail = Vec::with_capacity(keep.min(n));
    for k in 0..n.max(1) {
        log_sum += map.derivative(theta).abs().ln();
        let next = map.lift(theta);
        let whole = next.floor();
        winding += whole;
        theta = next - whole;
        if k + keep >= n {
            tail.push(theta);
        }
    }
    let n = n.max(1) as f64;
    Orbit { rotation_number: (winding + theta - start) / n, lyapunov: log_sum / n, tail }
}
