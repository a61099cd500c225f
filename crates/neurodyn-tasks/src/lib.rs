//! # neurodyn-tasks
//!
//! Seeded generators of supervised tasks for recurrent networks. Each returns a [`TaskBatch`]:
//! inputs, targets and a loss mask, stacked in time (`t`, then trial `b`, then channel), the
//! layout `neurodyn-models` and `neurodyn-train` consume.
//!
//! | task | inputs | targets | reference |
//! |---|---|---|---|
//! | [`FlipFlop`] | ±1 pulses on `n_bits` channels | the sign of the last pulse per channel | Sussillo & Barak 2013 |
//! | [`PulseIntegration`] | ±1 pulses plus noise | running sum, scaled | line attractors, Maheswaranathan et al. 2019 (arXiv:1906.10720) |
//! | [`ContextIntegration`] | two noisy evidence streams + a one-hot context | sign of the cued stream's mean | Mante, Sussillo, Shenoy & Newsome 2013 |
//!
//! Feed-forward data sets for learning-dynamics studies (linear teachers, hierarchies) are in
//! [`supervised`].
//!
//! ```
//! use neurodyn_tasks::{FlipFlop, Task};
//! let task = FlipFlop { n_bits: 3, n_steps: 50, p_pulse: 0.05 };
//! let batch = task.generate(8, &mut neurodyn_core::rng::stream(0, "batch", 0));
//! assert_eq!(batch.inputs.len(), 50 * 8 * 3);
//! ```
#![deny(missing_docs)]

pub mod events;
pub mod series;
pub mod supervised;

use neurodyn_core::{RangeError, check};
use rand::{Rng, RngExt};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// A batch of trials, every array stacked as `[t][b][channel]`.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskBatch {
    /// Time steps per trial.
    pub n_steps: usize,
    /// Trials.
    pub batch: usize,
    /// Input channels.
    pub n_input: usize,
    /// Output channels.
    pub n_output: usize,
    /// `n_steps × batch × n_input`.
    pub inputs: Vec<f64>,
    /// `n_steps × batch × n_output`.
    pub targets: Vec<f64>,
    /// `n_steps × batch × n_output`, 1 where the output is scored, 0 elsewhere.
    pub mask: Vec<f64>,
}

impl TaskBatch {
    fn zeros(n_steps: usize, batch: usize, n_input: usize, n_output: usize) -> Self {
        TaskBatch {
            n_steps,
            batch,
            n_input,
            n_output,
            inputs: vec![0.0; n_steps * batch * n_input],
            targets: vec![0.0; n_steps * batch * n_output],
            mask: vec![0.0; n_steps * batch * n_output],
        }
    }

    fn at(&self, t: usize, b: usize, channels: usize) -> usize {
        (t * self.batch + b) * channels
    }
}

/// A supervised sequence task.
pub trait Task {
    /// Input channels.
    fn n_input(&self) -> usize;
    /// Output channels.
    fn n_output(&self) -> usize;
    /// Time steps per trial.
    fn n_steps(&self) -> usize;
    /// Generates `batch` independent trials from `rng`.
    fn generate(&self, batch: usize, rng: &mut dyn Rng) -> TaskBatch;
    /// Checks every parameter; the error names the first one out of range.
    fn validate(&self) -> Result<(), RangeError>;
}

fn check_probability(field: &str, p: f64) -> Result<(), RangeError> {
    check((0.0..=1.0).contains(&p), field, p, "a probability in [0, 1]")
}

fn check_non_negative(field: &str, v: f64) -> Result<(), RangeError> {
    check(v >= 0.0 && v.is_finite(), field, v, "a finite value >= 0")
}

/// The n-bit flip-flop (Sussillo & Barak 2013): each channel receives occasional +1 or −1
/// pulses; the matching output must hold the sign of the most recent pulse. Outputs are scored
/// from the channel's first pulse on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlipFlop {
    /// Number of independent bits (channels in and out) [1].
    pub n_bits: usize,
    /// Time steps per trial [1].
    pub n_steps: usize,
    /// Probability of a pulse per channel per step [1].
    pub p_pulse: f64,
}

impl Task for FlipFlop {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.n_bits > 0, "n_bits", self.n_bits, "at least 1")?;
        check(self.n_steps > 0, "n_steps", self.n_steps, "at least 1")?;
        check_probability("p_pulse", self.p_pulse)
    }
    fn n_input(&self) -> usize {
        self.n_bits
    }
    fn n_steps(&self) -> usize {
        self.n_steps
    }
    fn n_output(&self) -> usize {
        self.n_bits
    }
    fn generate(&self, batch: usize, rng: &mut dyn Rng) -> TaskBatch {
        let k = self.n_bits;
        let mut out = TaskBatch::zeros(self.n_steps, batch, k, k);
        for b in 0..batch {
            for c in 0..k {
                let mut held: Option<f64> = None;
                for t in 0..self.n_steps {
                    let at = out.at(t, b, k) + c;
                    if rng.random::<f64>() < self.p_pulse {
                        let sign = if rng.random::<bool>() { 1.0 } else { -1.0 };
                        out.inputs[at] = sign;
                        held = Some(sign);
                    }
                    if let Some(s) = held {
                        out.targets[at] = s;
                        out.mask[at] = 1.0;
                    }
                }
            }
        }
        out
    }
}

/// Integration of pulsed evidence: ±`pulse_amplitude` pulses arrive at random times on one
/// channel, with Gaussian noise; the output must report the running sum times `gain`, clipped
/// to [−1, 1]. A network solving it needs a line attractor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PulseIntegration {
    /// Time steps per trial [1].
    pub n_steps: usize,
    /// Probability of a pulse per step [1].
    pub p_pulse: f64,
    /// Pulse size [1].
    pub pulse_amplitude: f64,
    /// Standard deviation of the additive input noise per step [1].
    pub noise_std: f64,
    /// Scale from accumulated evidence to target [1].
    pub gain: f64,
}

impl Task for PulseIntegration {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.n_steps > 0, "n_steps", self.n_steps, "at least 1")?;
        check_probability("p_pulse", self.p_pulse)?;
        check_non_negative("pulse_amplitude", self.pulse_amplitude)?;
        check_non_negative("noise_std", self.noise_std)?;
        check(self.gain > 0.0 && self.gain.is_finite(), "gain", self.gain, "a finite value > 0")
    }
    fn n_input(&self) -> usize {
        1
    }
    fn n_steps(&self) -> usize {
        self.n_steps
    }
    fn n_output(&self) -> usize {
        1
    }
    fn generate(&self, batch: usize, rng: &mut dyn Rng) -> TaskBatch {
        let mut out = TaskBatch::zeros(self.n_steps, batch, 1, 1);
        for b in 0..batch {
            let mut sum = 0.0;
            for t in 0..self.n_steps {
                let at = out.at(t, b, 1);
                let mut x = 0.0;
                if rng.random::<f64>() < self.p_pulse {
                    x = if rng.random::<bool>() {
                        self.pulse_amplitude
                    } else {
                        -self.pulse_amplitude
                    };
                }
                let noise: f64 = StandardNormal.sample(&mut *rng);
                x += self.noise_std * noise;
                sum += x;
                out.inputs[at] = x;
                out.targets[at] = (self.gain * sum).clamp(-1.0, 1.0);
                out.mask[at] = 1.0;
            }
        }
        out
    }
}

/// Context-dependent integration (Mante et al. 2013): two noisy evidence streams with random
/// coherences and a one-hot context cue; after the stimulus the output must report the sign of
/// the cued stream's mean, ignoring the other. Inputs: `[stream 1, stream 2, cue 1, cue 2]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextIntegration {
    /// Time steps per trial [1].
    pub n_steps: usize,
    /// Steps, at the end of the trial, on which the choice is scored [1].
    pub response_steps: usize,
    /// Coherences are drawn uniformly from [−max_coherence, max_coherence] [1].
    pub max_coherence: f64,
    /// Standard deviation of the per-step noise on each stream [1].
    pub noise_std: f64,
}

impl Task for ContextIntegration {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.n_steps > 0, "n_steps", self.n_steps, "at least 1")?;
        let r = self.response_steps;
        check(r > 0 && r < self.n_steps, "response_steps", r, "between 1 and n_steps − 1")?;
        check_non_negative("max_coherence", self.max_coherence)?;
        check_non_negative("noise_std", self.noise_std)
    }
    fn n_input(&self) -> usize {
        4
    }
    fn n_steps(&self) -> usize {
        self.n_steps
    }
    fn n_output(&self) -> usize {
        1
    }
    fn generate(&self, batch: usize, rng: &mut dyn Rng) -> TaskBatch {
        let mut out = TaskBatch::zeros(self.n_steps, batch, 4, 1);
        let stimulus_end = self.n_steps - self.response_steps.min(self.n_steps);
        for b in 0..batch {
            let coh = [
                rng.random_range(-self.max_coherence..=self.max_coherence),
                rng.random_range(-self.max_coherence..=self.max_coherence),
            ];
            let context = usize::from(rng.random::<bool>());
            let choice = if coh[context] >= 0.0 { 1.0 } else { -1.0 };
            for t in 0..self.n_steps {
                let at = out.at(t, b, 4);
                if t < stimulus_end {
                    for (s, c) in coh.iter().enumerate() {
                        let noise: f64 = StandardNormal.sample(&mut *rng);
                        out.inputs[at + s] = c + self.noise_std * noise;
                    }
                }
                out.inputs[at + 2 + context] = 1.0;
                if t >= stimulus_end {
                    let o = out.at(t, b, 1);
                    out.targets[o] = choice;
                    out.mask[o] = 1.0;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::rng::stream;

    #[test]
    fn flipflop_target_holds_the_last_pulse() {
        let task = FlipFlop { n_bits: 2, n_steps: 200, p_pulse: 0.1 };
        let batch = task.generate(4, &mut stream(1, "t", 0));
        for b in 0..4 {
            for c in 0..2 {
                let mut last = 0.0;
                for t in 0..200 {
                    let at = (t * 4 + b) * 2 + c;
                    if batch.inputs[at] != 0.0 {
                        last = batch.inputs[at];
                    }
                    assert_eq!(batch.targets[at], last);
                    assert_eq!(batch.mask[at], if last == 0.0 { 0.0 } else { 1.0 });
                }
            }
        }
    }

    #[test]
    fn integration_target_is_the_clipped_running_sum() {
        let task = PulseIntegration {
            n_steps: 100,
            p_pulse: 0.1,
            pulse_amplitude: 1.0,
            noise_std: 0.1,
            gain: 0.2,
        };
        let batch = task.generate(3, &mut stream(2, "t", 0));
        for b in 0..3 {
            let mut sum = 0.0;
            for t in 0..100 {
                sum += batch.inputs[t * 3 + b];
                assert!((batch.targets[t * 3 + b] - (0.2 * sum).clamp(-1.0, 1.0)).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn context_target_follows_the_cued_stream_only() {
        let task = ContextIntegration {
            n_steps: 60,
            response_steps: 10,
            max_coherence: 0.5,
            noise_std: 0.0,
        };
        let batch = task.generate(16, &mut stream(3, "t", 0));
        for b in 0..16 {
            let x0 = &batch.inputs[b * 4..b * 4 + 4];
            let context = if x0[2] == 1.0 { 0 } else { 1 };
            let last = 59 * 16 + b; // one output channel
            assert_eq!(batch.targets[last], if x0[context] >= 0.0 { 1.0 } else { -1.0 });
            assert_eq!(batch.mask[last], 1.0);
            assert_eq!(batch.mask[b], 0.0);
        }
    }

    #[test]
    fn flipflop_batches_are_keyed_by_their_stream_and_hold_the_last_pulse() {
        let task = FlipFlop { n_bits: 3, n_steps: 200, p_pulse: 0.1 };
        let batch = task.generate(20, &mut stream(5, "b", 9));
        // The key alone decides the batch: a fresh stream with the same key repeats it, a
        // neighbouring index gives another.
        assert_eq!(batch, task.generate(20, &mut stream(5, "b", 9)));
        assert_ne!(batch, task.generate(20, &mut stream(5, "b", 10)));
        // Every target is the sign of the channel's last pulse, scored from its first pulse.
        let (mut pulses, mut held) = (0usize, vec![0.0; 20 * 3]);
        for t in 0..200 {
            for q in 0..20 * 3 {
                let x = batch.inputs[t * 60 + q];
                assert!(x == 0.0 || x.abs() == 1.0);
                if x != 0.0 {
                    pulses += 1;
                    held[q] = x;
                }
                assert_eq!(batch.targets[t * 60 + q], held[q], "t {t}, trial·channel {q}");
                assert_eq!(batch.mask[t * 60 + q], if held[q] != 0.0 { 1.0 } else { 0.0 });
            }
        }
        // 12 000 Bernoulli(0.1) draws: 1200 ± 33 (one s.d.); 5 s.d. bound.
        assert!((pulses as f64 - 1200.0).abs() < 5.0 * 32.9, "{pulses} pulses");
    }
}
