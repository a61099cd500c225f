//! Time series that benchmark reservoirs and recurrent predictors.
//!
//! - [`mackey_glass`]: the delay differential equation of Mackey & Glass (1977),
//!   `dx/dt = a x(t−τ) / (1 + x(t−τ)ⁿ) − b x(t)`, chaotic at the usual `τ = 17`, integrated by
//!   classical RK4 whose delayed values at half steps come from cubic Hermite interpolation of
//!   the stored history (fourth order overall; tested). The history before `t = 0` is
//!   constant, `x0`.
//! - [`narma`]: the nonlinear autoregressive moving-average system of order `n`
//!   (Atiya & Parlos 2000), the usual NARMA-10 for `n = 10`.

use neurodyn_core::{RangeError, check, rng};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// The Mackey–Glass system and how it is sampled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MackeyGlass {
    /// Delay τ [time].
    pub tau: f64,
    /// Production rate `a` [1/time].
    pub a: f64,
    /// Decay rate `b` [1/time].
    pub b: f64,
    /// Hill exponent `n` [1].
    pub n: f64,
    /// History `x(t ≤ 0)` [1].
    pub x0: f64,
    /// Time between returned samples [time].
    pub dt: f64,
    /// RK4 steps per sample; `τ` must be a whole number of steps (`τ / (dt / substeps)`) [1].
    pub substeps: usize,
}

impl Default for MackeyGlass {
    /// The chaotic benchmark: τ = 17, a = 0.2, b = 0.1, n = 10, x0 = 1.2, one sample per unit
    /// of time from 10 RK4 steps.
    fn default() -> Self {
        MackeyGlass { tau: 17.0, a: 0.2, b: 0.1, n: 10.0, x0: 1.2, dt: 1.0, substeps: 10 }
    }
}

impl MackeyGlass {
    /// Checks every field; the error names the first one out of range.
    pub fn validate(&self) -> Result<(), RangeError> {
        let positive = |v: f64| v.is_finite() && v > 0.0;
        check(positive(self.tau), "tau", self.tau, "a finite value > 0")?;
        check(self.a.is_finite(), "a", self.a, "finite")?;
        check(self.b.is_finite(), "b", self.b, "finite")?;
        check(positive(self.n), "n", self.n, "a finite value > 0")?;
        check(self.x0.is_finite() && self.x0 >= 0.0, "x0", self.x0, "a finite value >= 0")?;
        check(positive(self.dt), "dt", self.dt, "a finite value > 0")?;
        check(
            (1..=10_000).contains(&self.substeps),
            "substeps",
            self.substeps,
            "between 1 and 10000",
        )?;
        let lag = self.tau / self.h();
        check(
            (lag - lag.round()).abs() < 1e-9 * lag.max(1.0) && (1.0..=1e7).contains(&lag.round()),
            "tau",
            self.tau,
            "a whole number (1 to 1e7) of RK4 steps dt / substeps",
        )
    }

    fn h(&self) -> f64 {
        self.dt / self.substeps as f64
    }

    fn rate(&self, x: f64, delayed: f64) -> f64 {
        self.a * delayed / (1.0 + delayed.max(0.0).powf(self.n)) - self.b * x
    }
}

/// `steps` samples `x(dt), x(2 dt), …` of the Mackey–Glass system.
pub fn mackey_glass(steps: usize, mg: &MackeyGlass) -> Result<Vec<f64>, RangeError> {
    mg.validate()?;
    let h = mg.h();
    let lag = (mg.tau / h).round() as usize;
    // History on the grid t = i h, i ≥ 0, with its derivative; before 0 it is x0, flat.
    let total = steps * mg.substeps;
    let mut xs = Vec::with_capacity(total + 1);
    let mut fs: Vec<f64> = Vec::with_capacity(total + 1);
    xs.push(mg.x0);
    let mut out = Vec::with_capacity(steps);
    for i in 0..total {
        let x = xs[i];
        // The delayed interval [i − lag, i + 1 − lag]: its ends (values and slopes) and its
        // midpoint by cubic Hermite interpolation; before t = 0 the history is flat.
        let d0 = if i >= lag { xs[i - lag] } else { mg.x0 };
        let f0 = mg.rate(x, d0);
        fs.push(f0);
        let (d1, mid) = if i >= lag {
            let (j0, j1) = (i - lag, i + 1 - lag);
            (xs[j1], 0.5 * (xs[j0] + xs[j1]) + h * (fs[j0] - fs[j1]) / 8.0)
        } else {
            (mg.x0, mg.x0)
        };
        let k1 = f0;
        let k2 = mg.rate(x + 0.5 * h * k1, mid);
        let k3 = mg.rate(x + 0.5 * h * k2, mid);
        let k4 = mg.rate(x + h * k3, d1);
        xs.push(x + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4));
        if (i + 1) % mg.substeps == 0 {
            out.push(xs[i + 1]);
        }
    }
    Ok(out)
}

/// NARMA of order `n` (Atiya & Parlos 2000): inputs `u_t` uniform in `[0, 0.5]` from the keyed
/// stream of `seed`, and `y_{t+1} = 0.3 y_t + 0.05 y_t Σ_{i<n} y_{t−i} + 1.5 u_{t−n+1} u_t
/// + 0.1` from `y = 0`. Returns `(u, y)`, each `steps` long, `y[t]` the target at step `t`
/// (it depends on `u[..t]`).
pub fn narma(steps: usize, order: usize, seed: u64) -> Result<(Vec<f64>, Vec<f64>), RangeError> {
    check((1..=1000).contains(&order), "order", order, "between 1 and 1000")?;
    let mut r = rng::stream(seed, "narma/u", 0);
    let u: Vec<f64> = (0..steps).map(|_| r.random_range(0.0..0.5)).collect();
    let mut y = vec![0.0; steps];
    for t in 0..steps.saturating_sub(1) {
        let window: f64 = (0..order).filter(|&i| i <= t).map(|i| y[t - i]).sum();
        let early = if t + 1 >= order { u[t + 1 - order] } else { 0.0 };
        y[t + 1] = 0.3 * y[t] + 0.05 * y[t] * window + 1.5 * early * u[t] + 0.1;
    }
    Ok((u, y))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_point_stays_put() {
        // a / (1 + x*ⁿ) = b at x* = 1 for a = 2b.
        let mg = MackeyGlass { a: 0.2, b: 0.1, x0: 1.0, ..MackeyGlass::default() };
        let x = mackey_glass(200, &mg).unwrap();
        assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-14), "{:?}", &x[..5]);
    }

    #[test]
    fn rk4_with_hermite_history_converges_at_fourth_order() {
        // Up to t = 60 (three delays, so the interpolated history matters), against a run with
        // 256 steps per unit of time.
        let at = |substeps: usize| {
            let mg = MackeyGlass { substeps, ..MackeyGlass::default() };
            *mackey_glass(60, &mg).unwrap().last().unwrap()
        };
        let reference = at(256);
        let errors: Vec<f64> = [4, 8, 16].iter().map(|&s| (at(s) - reference).abs()).collect();
        for w in errors.windows(2) {
            let order = (w[0] / w[1]).log2();
            assert!(order > 3.5, "order {order}, errors {errors:?}");
        }
    }

    #[test]
    fn the_benchmark_series_is_chaotic_and_bounded() {
        let x = mackey_glass(3000, &MackeyGlass::default()).unwrap();
        let tail = &x[500..];
        let (lo, hi) = tail.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        // The τ = 17 attractor spans roughly 0.4 … 1.35.
        assert!(lo > 0.3 && lo < 0.55 && hi > 1.2 && hi < 1.45, "{lo} {hi}");
        // Nearby histories separate (positive largest exponent, ≈ 0.006 per unit time).
        let y =
            mackey_glass(3000, &MackeyGlass { x0: 1.2 + 1e-9, ..MackeyGlass::default() }).unwrap();
        assert!((x[2999] - y[2999]).abs() > 1e-3);
    }

    #[test]
    fn a_delay_of_one_step_works() {
        let mg = MackeyGlass { tau: 0.1, dt: 0.1, substeps: 1, ..MackeyGlass::default() };
        assert!(mackey_glass(100, &mg).unwrap().iter().all(|v| v.is_finite()));
        let zero = MackeyGlass { tau: 1e-12, ..MackeyGlass::default() };
        assert_eq!(mackey_glass(1, &zero).unwrap_err().field, "tau");
    }

    #[test]
    fn narma10_follows_its_recursion_and_refuses_order_0() {
        let (u, y) = narma(500, 10, 3).unwrap();
        assert!(u.iter().all(|&v| (0.0..0.5).contains(&v)));
        let t = 300;
        let sum: f64 = y[t - 9..=t].iter().sum();
        let expect = 0.3 * y[t] + 0.05 * y[t] * sum + 1.5 * u[t - 9] * u[t] + 0.1;
        assert_eq!(y[t + 1], expect);
        assert!(y.iter().all(|v| v.is_finite() && *v < 1.0));
        assert_eq!(narma(5, 0, 1).unwrap_err().field, "order");
    }
}
