//! A read-out layer of event-driven neurons with a learnable weight *and delay* per synapse,
//! trained as time-invariant logistic regression on spike events (the learned heterogeneous
//! delays of Grimaldi & Perrinet 2023, "Learning heterogeneous delays in a layer of spiking
//! neurons for fast motion detection", arXiv:2307.14077).
//!
//! Output `k`'s potential is `V_k(t) = Σ_j w_kj Σ_{s ∈ events_j} κ(t − s − d_kj)` with the
//! Gaussian kernel `κ(u) = exp(−u²/2σ²)`; its score is `m_k = max_t V_k(t) + b_k` over a grid
//! of times (time-invariant: the class may appear anywhere in the sample), and the class
//! probability of class `c` is the sum of its units' softmax probabilities (several units per
//! class, e.g. one per speed band, each free to learn its own delays). The gradient of the cross-entropy goes through
//! the maximum (its argmax `t*_k` held, the envelope theorem):
//! `∂m_k/∂w_kj = Σ_s κ(t*_k − s − d_kj)`, `∂m_k/∂d_kj = w_kj Σ_s κ(·) (t*_k − s − d_kj)/σ²`.
//! A delay lines an event up with the others it should coincide with; without delays a
//! symmetric kernel cannot tell a pattern from its mirror image in time.

use neurodyn_core::{RangeError, check, rng};
use rand_distr::{Distribution, Normal, Uniform};

/// The layer: weights, delays and biases, flat (`w`: `n_out × n_in`, then `d`, then `b`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DelayReadout {
    /// Inputs [1].
    pub n_in: usize,
    /// Output units [1].
    pub n_out: usize,
    /// Units per class (unit `k` belongs to class `k / units_per_class`) [1].
    pub units_per_class: usize,
    /// Kernel width `σ` [ms].
    pub sigma: f64,
    /// Largest delay [ms] (delays are kept in `[0, d_max]`).
    pub d_max: f64,
    /// Grid step of `t` [ms].
    pub step: f64,
    /// Sample length [ms]: `t` runs over `[0, duration + d_max]`.
    pub duration: f64,
    /// Parameters.
    pub params: Vec<f64>,
}

/// Reach of the kernel in units of `σ` (beyond it `κ < 4e-6` is dropped).
const REACH: f64 = 5.0;

impl DelayReadout {
    /// A layer for `n_classes` classes of `units_per_class` units each, with weights
    /// `N(0, w_scale²)`, delays uniform on `[0, d_max]`, zero biases.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        n_in: usize,
        n_classes: usize,
        units_per_class: usize,
        sigma: f64,
        d_max: f64,
        step: f64,
        duration: f64,
        w_scale: f64,
        seed: u64,
    ) -> Result<Self, RangeError> {
        check(n_in >= 1 && n_classes >= 2, "n_classes", n_classes, "at least 2 classes, 1 input")?;
        check(
            (1..=1000).contains(&units_per_class),
            "units_per_class",
            units_per_class,
            "between 1 and 1000",
        )?;
        let n_out = n_classes * units_per_class;
        check(sigma > 0.0 && sigma.is_finite(), "sigma", sigma, "a finite value > 0 [ms]")?;
        check((0.0..=1e5).contains(&d_max), "d_max", d_max, "between 0 and 1e5 ms")?;
        check(step > 0.0 && step <= sigma, "step", step, "> 0 and at most sigma [ms]")?;
        check(
            duration > 0.0 && (duration + d_max) / step <= 1e7,
            "duration",
            duration,
            "> 0, with at most 1e7 grid points",
        )?;
        let mut r = rng::stream(seed, "delay_readout", 0);
        let m = n_in * n_out;
        let normal = Normal::new(0.0, w_scale.max(1e-300)).expect("finite scale");
        let mut params: Vec<f64> = (0..m).map(|_| normal.sample(&mut r)).collect();
        let uniform = Uniform::new_inclusive(0.0, d_max).expect("d_max >= 0");
        params.extend((0..m).map(|_| uniform.sample(&mut r)));
        params.extend(std::iter::repeat_n(0.0, n_out));
        Ok(DelayReadout { n_in, n_out, units_per_class, sigma, d_max, step, duration, params })
    }

    fn m(&self) -> usize {
        self.n_in * self.n_out
    }
    /// Weight `w_kj`.
    pub fn w(&self, k: usize, j: usize) -> f64 {
        self.params[k * self.n_in + j]
    }
    /// Delay `d_kj`.
    pub fn d(&self, k: usize, j: usize) -> f64 {
        self.params[self.m() + k * self.n_in + j]
    }
    fn b(&self, k: usize) -> f64 {
        self.params[2 * self.m() + k]
    }

    fn kernel(&self, u: f64) -> f64 {
        (-0.5 * u * u / (self.sigma * self.sigma)).exp()
    }

    /// Output `k`'s potential on the grid `t_i = i · step`.
    fn trace(&self, k: usize, events: &[Vec<f64>]) -> Vec<f64> {
        let n = ((self.duration + self.d_max) / self.step).ceil() as usize + 1;
        let mut v = vec![0.0; n];
        let reach = REACH * self.sigma;
        for (j, train) in events.iter().enumerate() {
            let (w, d) = (self.w(k, j), self.d(k, j));
            if w == 0.0 {
                continue;
            }
            for &s in train {
                let centre = s + d;
                let lo = ((centre - reach) / self.step).ceil().max(0.0) as usize;
                let hi = (((centre + reach) / self.step).floor() as usize).min(n - 1);
                for (i, vi) in v.iter_mut().enumerate().take(hi + 1).skip(lo) {
                    *vi += w * self.kernel(i as f64 * self.step - centre);
                }
            }
        }
        v
    }

    /// Each output's score `max_t V_k(t) + b_k` and the time of the maximum.
    pub fn scores(&self, events: &[Vec<f64>]) -> Vec<(f64, f64)> {
        (0..self.n_out)
            .map(|k| {
                let v = self.trace(k, events);
                let (i, m) =
                    v.iter().enumerate().fold((0, f64::NEG_INFINITY), |(bi, bm), (i, &x)| {
                        if x > bm { (i, x) } else { (bi, bm) }
                    });
                (m + self.b(k), i as f64 * self.step)
            })
            .collect()
    }

    /// Class probabilities from unit scores: each class sums its units' softmax terms.
    fn class_probabilities(&self, scores: &[(f64, f64)]) -> (Vec<f64>, Vec<f64>) {
        let top = scores.iter().map(|s| s.0).fold(f64::NEG_INFINITY, f64::max);
        let e: Vec<f64> = scores.iter().map(|s| (s.0 - top).exp()).collect();
        let z: f64 = e.iter().sum();
        let unit: Vec<f64> = e.iter().map(|x| x / z).collect();
        let mut class = vec![0.0; self.n_out / self.units_per_class];
        for (k, p) in unit.iter().enumerate() {
            class[k / self.units_per_class] += p;
        }
        (unit, class)
    }

    /// The predicted class.
    pub fn predict(&self, events: &[Vec<f64>]) -> usize {
        let (_, class) = self.class_probabilities(&self.scores(events));
        (0..class.len()).max_by(|&a, &b| class[a].total_cmp(&class[b])).expect("two classes")
    }

    /// Mean cross-entropy `−ln p_label` over `samples` (events, label) and its gradient by the
    /// parameters.
    pub fn loss_and_gradient(&self, samples: &[(&[Vec<f64>], usize)]) -> (f64, Vec<f64>) {
        let mut grad = vec![0.0; self.params.len()];
        let mut loss = 0.0;
        let inv_s2 = 1.0 / (self.sigma * self.sigma);
        let reach = REACH * self.sigma;
        for &(events, label) in samples {
            let scores = self.scores(events);
            let (unit, class) = self.class_probabilities(&scores);
            loss -= class[label].ln();
            for (k, &(_, t_star)) in scores.iter().enumerate() {
                // ∂(−ln p_c)/∂z_k = p_k − [k ∈ c] p_k / p_c.
                let own = k / self.units_per_class == label;
                let delta = unit[k] - if own { unit[k] / class[label] } else { 0.0 };
                grad[2 * self.m() + k] += delta;
                for (j, train) in events.iter().enumerate() {
                    let (w, d) = (self.w(k, j), self.d(k, j));
                    let (mut dw, mut dd) = (0.0, 0.0);
                    for &s in train {
                        let u = t_star - s - d;
                        if u.abs() <= reach {
                            let kappa = self.kernel(u);
                            dw += kappa;
                            dd += w * kappa * u * inv_s2;
                        }
                    }
                    grad[k * self.n_in + j] += delta * dw;
                    grad[self.m() + k * self.n_in + j] += delta * dd;
                }
            }
        }
        let n = samples.len().max(1) as f64;
        grad.iter_mut().for_each(|g| *g /= n);
        (loss / n, grad)
    }

    /// Keeps the delays in `[0, d_max]` (after an update).
    pub fn clamp_delays(&mut self) {
        let m = self.m();
        for d in &mut self.params[m..2 * m] {
            *d = d.clamp(0.0, self.d_max);
        }
    }

    /// Sets every delay to `value` (a layer without delay learning).
    pub fn set_delays(&mut self, value: f64) {
        let m = self.m();
        self.params[m..2 * m].iter_mut().for_each(|d| *d = value);
    }

    /// Zeroes the `fraction` of weights smallest in magnitude (over all outputs); returns how
    /// many were zeroed.
    pub fn prune(&mut self, fraction: f64) -> usize {
        let m = self.m();
        let mut order: Vec<usize> = (0..m).collect();
        order.sort_by(|&a, &b| self.params[a].abs().total_cmp(&self.params[b].abs()));
        let cut = ((fraction.clamp(0.0, 1.0) * m as f64).round() as usize).min(m);
        for &i in &order[..cut] {
            self.params[i] = 0.0;
        }
        cut
    }
}
