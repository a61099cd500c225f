//! Synthetic event streams: a bar sweeping across a row of pixels, left or right, as an
//! event camera or a row of direction-blind receptors reports it (the motion-detection task of
//! learned-delay networks, e.g. Grimaldi & Perrinet 2023, arXiv:2307.14077). Each pixel emits one event when the
//! bar passes, jittered, plus Poisson noise events; what tells the directions apart is only the
//! order and timing of the events across pixels (each pixel fires once in either direction).

use neurodyn_core::{RangeError, check, rng};
use rand::RngExt;
use rand_distr::{Distribution, Normal};

/// The task's settings.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MovingBars {
    /// Pixels in the row [1].
    pub pixels: usize,
    /// Length of a sample [ms].
    pub duration: f64,
    /// Bar speeds, drawn uniformly between the two [pixels/ms].
    pub speed: [f64; 2],
    /// Standard deviation of each event's time around the bar's passage [ms].
    #[serde(default)]
    pub jitter: f64,
    /// Noise events per pixel [Hz].
    #[serde(default)]
    pub noise_rate: f64,
}

/// One sample: each pixel's event times (sorted, within `[0, duration)`) and the direction
/// (0: rightward, increasing pixel index; 1: leftward).
#[derive(Clone, Debug, PartialEq)]
pub struct EventSample {
    /// `events[i]`: pixel `i`'s event times [ms].
    pub events: Vec<Vec<f64>>,
    /// The class.
    pub label: usize,
}

impl MovingBars {
    /// Checks every field.
    pub fn validate(&self) -> Result<(), RangeError> {
        check((2..=10_000).contains(&self.pixels), "pixels", self.pixels, "between 2 and 10000")?;
        check(
            self.speed[0] > 0.0 && self.speed[1] >= self.speed[0] && self.speed[1].is_finite(),
            "speed",
            format!("{:?}", self.speed),
            "0 < low <= high [pixels/ms]",
        )?;
        let crossing = (self.pixels - 1) as f64 / self.speed[0];
        check(
            self.duration > crossing && self.duration <= 1e6,
            "duration",
            self.duration,
            &format!("longer than the slowest crossing, {crossing} ms"),
        )?;
        check(
            self.jitter >= 0.0 && self.jitter.is_finite(),
            "jitter",
            self.jitter,
            "a value >= 0",
        )?;
        check(
            self.noise_rate >= 0.0 && self.noise_rate <= 1000.0,
            "noise_rate",
            self.noise_rate,
            "between 0 and 1000 Hz",
        )
    }

    /// `n` samples from `seed`'s stream `index` (classes alternate, so they are balanced).
    pub fn samples(&self, n: usize, seed: u64, index: u64) -> Vec<EventSample> {
        let mut r = rng::stream(seed, "moving_bars", index);
        let jitter = Normal::new(0.0, self.jitter.max(1e-300)).expect("finite jitter");
        (0..n)
            .map(|k| {
                let label = k % 2;
                let v = r.random_range(self.speed[0]..=self.speed[1]);
                let crossing = (self.pixels - 1) as f64 / v;
                let t0 = r.random_range(0.0..self.duration - crossing);
                let mut events: Vec<Vec<f64>> = (0..self.pixels)
                    .map(|i| {
                        let pos = if label == 0 { i } else { self.pixels - 1 - i };
                        let t = t0
                            + pos as f64 / v
                            + if self.jitter > 0.0 { jitter.sample(&mut r) } else { 0.0 };
                        let mut e = Vec::new();
                        if (0.0..self.duration).contains(&t) {
                            e.push(t);
                        }
                        // Poisson noise events.
                        let mut s = 0.0;
                        if self.noise_rate > 0.0 {
                            loop {
                                s += -(1.0 - r.random::<f64>()).ln() / (self.noise_rate * 1e-3);
                                if s >= self.duration {
                                    break;
                                }
                                e.push(s);
                            }
                        }
                        e.sort_by(f64::total_cmp);
                        e
                    })
                    .collect();
                events.shrink_to_fit();
                EventSample { events, label }
            })
            .collect()
    }
}
