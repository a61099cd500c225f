//! Spike-train statistics and distances. Spike times are in ms, sorted ascending.
//!
//! - [`isi_cv`], [`fano_factor`]: irregularity and count variability;
//! - [`mean_pairwise_correlation`]: synchrony as the mean correlation of binned counts;
//! - [`cross_correlogram`]: counts of spike pairs by lag `t_post − t_pre`, and [`StdpWindow`]
//!   with its correlation-based prediction of the weight change (the STDP window summed
//!   against the correlogram; Kempter, Gerstner & van Hemmen 1999; Lajoie et al. 2017,
//!   arXiv:1609.00762);
//! - [`van_rossum_distance`] (van Rossum 2001): the L2 distance between the trains filtered by
//!   a causal exponential kernel, normalised so that one spike against none gives `√(1/2)`;
//!   closed form `D² = ½ Σ_{ij} [e^{−|tᵢ−tⱼ|/τ} + e^{−|sᵢ−sⱼ|/τ}] − Σ_{ij} e^{−|tᵢ−sⱼ|/τ}`;
//! - [`victor_purpura_distance`] (Victor & Purpura 1996): the cheapest edit of one train into
//!   the other, 1 per inserted or deleted spike and `q·|Δt|` per shift;
//! - [`schreiber_reliability`] (Schreiber, Fellous, Whitmer, Tiesinga & Sejnowski 2003): the mean
//!   pairwise cosine similarity of Gaussian-filtered trials, and [`windowed_reliability`]: the
//!   same over sliding windows, with the fraction of windows in which a neuron is reliable.

/// Coefficient of variation of the inter-spike intervals (NaN with fewer than 3 spikes).
pub fn isi_cv(spikes: &[f64]) -> f64 {
    if spikes.len() < 3 {
        return f64::NAN;
    }
    let isi: Vec<f64> = spikes.windows(2).map(|w| w[1] - w[0]).collect();
    let mean = isi.iter().sum::<f64>() / isi.len() as f64;
    let var = isi.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (isi.len() - 1) as f64;
    var.sqrt() / mean
}

/// Fano factor of the spike counts in `[start, end)` across trials (variance / mean, with the
/// unbiased variance; NaN when the mean count is 0 or there is one trial).
pub fn fano_factor(trials: &[Vec<f64>], start: f64, end: f64) -> f64 {
    let counts: Vec<f64> = trials
        .iter()
        .map(|t| t.iter().filter(|&&s| s >= start && s < end).count() as f64)
        .collect();
    let n = counts.len() as f64;
    let mean = counts.iter().sum::<f64>() / n;
    if n < 2.0 || mean == 0.0 {
        return f64::NAN;
    }
    counts.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (n - 1.0) / mean
}

/// Mean Pearson correlation of spike counts in bins of `bin` ms over `[0, duration)`, over all
/// pairs of trains that are not silent (NaN if fewer than two are active). The usual measure
/// of population synchrony in balanced networks (asynchronous states: near 0).
pub fn mean_pairwise_correlation(trains: &[Vec<f64>], duration: f64, bin: f64) -> f64 {
    let n_bins = (duration / bin).floor() as usize;
    if n_bins < 2 {
        return f64::NAN;
    }
    // Centred, unit-norm count vectors; the correlation of two is their dot product.
    let rows: Vec<Vec<f64>> = trains
        .iter()
        .filter_map(|t| {
            let mut c = vec![0.0; n_bins];
            for &s in t {
                let b = (s / bin) as usize;
                if s >= 0.0 && b < n_bins {
                    c[b] += 1.0;
                }
            }
            let mean = c.iter().sum::<f64>() / n_bins as f64;
            c.iter_mut().for_each(|v| *v -= mean);
            let norm = c.iter().map(|v| v * v).sum::<f64>().sqrt();
            (norm > 0.0).then(|| c.into_iter().map(|v| v / norm).collect())
        })
        .collect();
    let m = rows.len();
    if m < 2 {
        return f64::NAN;
    }
    let mut sum = 0.0;
    for a in 0..m {
        for b in a + 1..m {
            sum += rows[a].iter().zip(&rows[b]).map(|(x, y)| x * y).sum::<f64>();
        }
    }
    sum / (m * (m - 1) / 2) as f64
}

/// Pair counts by lag: `counts[i]` is the number of pairs `(t_pre, t_post)` with
/// `t_post − t_pre` in the bin centred on `lags[i] = (i − half_bins) · bin`, i.e. in
/// `[lags[i] − bin/2, lags[i] + bin/2)`, for `i = 0..=2·half_bins`. Centred bins put lags that
/// are multiples of `bin` (spike times on a simulation grid with `bin = dt`) in the middle of
/// their bin, away from the edges where rounding would move them. Both trains sorted
/// ascending; cost `O(pairs within the lag range + n)`.
pub fn cross_correlogram(
    pre: &[f64],
    post: &[f64],
    bin: f64,
    half_bins: usize,
) -> (Vec<f64>, Vec<f64>) {
    let n_bins = 2 * half_bins + 1;
    let lags = (0..n_bins).map(|i| (i as f64 - half_bins as f64) * bin).collect();
    let mut counts = vec![0.0; n_bins];
    let reach = (half_bins as f64 + 0.5) * bin;
    let mut first = 0;
    for &t in pre {
        while first < post.len() && post[first] - t < -reach {
            first += 1;
        }
        for &s in &post[first..] {
            let i = ((s - t) / bin + half_bins as f64 + 0.5).floor();
            if i >= n_bins as f64 {
                break;
            }
            if i >= 0.0 {
                counts[i as usize] += 1.0;
            }
        }
    }
    (lags, counts)
}

/// The pair-based STDP window `W(Δt)`, `Δt = t_post − t_pre`: `a_plus · e^{−Δt/τ₊}` for
/// `Δt ≥ 0`, `−a_minus · e^{Δt/τ₋}` for `Δt < 0` (the additive rule of the spiking engine).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StdpWindow {
    /// Potentiation amplitude `A₊`.
    pub a_plus: f64,
    /// Depression amplitude `A₋` (the change is `−A₋ …`).
    pub a_minus: f64,
    /// Potentiation time constant `τ₊` [ms].
    pub tau_plus: f64,
    /// Depression time constant `τ₋` [ms].
    pub tau_minus: f64,
}

impl StdpWindow {
    /// `W(Δt)`.
    pub fn at(&self, dt: f64) -> f64 {
        if dt >= 0.0 {
            self.a_plus * (-dt / self.tau_plus).exp()
        } else {
            -self.a_minus * (dt / self.tau_minus).exp()
        }
    }

    /// `∫ W = A₊τ₊ − A₋τ₋` [weight · ms]: the drift per unit pair density of uncorrelated trains.
    pub fn integral(&self) -> f64 {
        self.a_plus * self.tau_plus - self.a_minus * self.tau_minus
    }

    /// The correlation-based prediction of the total weight change of all-to-all additive STDP
    /// from a [`cross_correlogram`]: `Σᵢ W(lagᵢ) countsᵢ`. Exact (every pair counted once,
    /// weighted by the window) when the lags are the pairs' own (`bin` = the grid step) and the
    /// lag range covers the window; otherwise an estimate whose error is the window's variation
    /// within a bin plus its mass outside the range.
    pub fn predicted_change(&self, lags: &[f64], counts: &[f64]) -> f64 {
        lags.iter().zip(counts).map(|(&l, c)| self.at(l) * c).sum()
    }

    /// The correlation-based prediction of the extra change spike-triggered stimulation brings
    /// to a synapse pre → post (the BBCI conditioning of Lajoie et al. 2017, arXiv:1609.00762).
    /// Each spike of a trigger neuron opens a stimulation `delay` later that adds
    /// `response[v]` expected post spikes in the bin `v · bin` after its onset (a response
    /// kernel net of the baseline rate, so it may go negative after the evoked spike). With
    /// `trigger_counts[i]` pairs (pre spike, trigger spike) at lag `trigger_lags[i]` = trigger
    /// time − pre time, the evoked post spikes form pairs at lag `trigger_lags[i] + delay +
    /// v · bin` after the pre spike, each changing the weight by `W` of that lag:
    /// `Σᵢ Σᵥ trigger_countsᵢ · responseᵥ · W(lagᵢ + delay + v · bin)`. Pass `delay` less the
    /// synaptic delay (the window is timed from the pre spike's arrival). First order: it
    /// neglects how the evoked spikes feed back onto the pre neurons and the trigger.
    pub fn triggered_change(
        &self,
        trigger_lags: &[f64],
        trigger_counts: &[f64],
        response: &[f64],
        bin: f64,
        delay: f64,
    ) -> f64 {
        let mut total = 0.0;
        for (&lag, &c) in trigger_lags.iter().zip(trigger_counts) {
            if c == 0.0 {
                continue;
            }
            let paired: f64 = response
                .iter()
                .enumerate()
                .map(|(v, r)| r * self.at(lag + delay + v as f64 * bin))
                .sum();
            total += c * paired;
        }
        total
    }
}

fn kernel_sum(a: &[f64], b: &[f64], tau: f64) -> f64 {
    a.iter().map(|t| b.iter().map(|s| (-(t - s).abs() / tau).exp()).sum::<f64>()).sum()
}

/// van Rossum distance with time constant `tau` [ms].
pub fn van_rossum_distance(a: &[f64], b: &[f64], tau: f64) -> f64 {
    let d2 = 0.5 * (kernel_sum(a, a, tau) + kernel_sum(b, b, tau)) - kernel_sum(a, b, tau);
    d2.max(0.0).sqrt()
}

/// Victor–Purpura spike-time distance with cost `q` per ms of shift [1/ms].
pub fn victor_purpura_distance(a: &[f64], b: &[f64], q: f64) -> f64 {
    // d[i][j]: distance between the first i spikes of a and the first j of b (one row kept).
    let mut prev: Vec<f64> = (0..=b.len()).map(|j| j as f64).collect();
    let mut row = vec![0.0; b.len() + 1];
    for (i, t) in a.iter().enumerate() {
        row[0] = (i + 1) as f64;
        for (j, s) in b.iter().enumerate() {
            row[j + 1] = (prev[j + 1] + 1.0).min(row[j] + 1.0).min(prev[j] + q * (t - s).abs());
        }
        std::mem::swap(&mut prev, &mut row);
    }
    prev[b.len()]
}

/// Schreiber et al. (2003) reliability of repeated trials over `[0, duration)`: each trial is
/// filtered with a Gaussian of width `sigma` [ms] on a grid of step `dt` [ms]; the result is the
/// mean cosine similarity over pairs of trials (1 = identical; NaN with fewer than two trials
/// that contain spikes).
pub fn schreiber_reliability(trials: &[Vec<f64>], duration: f64, sigma: f64, dt: f64) -> f64 {
    let n_bins = (duration / dt).ceil() as usize;
    let reach = (5.0 * sigma / dt).ceil() as isize;
    let filtered: Vec<Vec<f64>> = trials
        .iter()
        .map(|spikes| {
            let mut v = vec![0.0; n_bins];
            for &s in spikes {
                let centre = (s / dt).floor() as isize;
                for k in (centre - reach).max(0)..(centre + reach + 1).min(n_bins as isize) {
                    let t = (k as f64 + 0.5) * dt;
                    v[k as usize] += (-(t - s).powi(2) / (2.0 * sigma * sigma)).exp();
                }
            }
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.iter().map(|x| if norm > 0.0 { x / norm } else { 0.0 }).collect()
        })
        .filter(|v: &Vec<f64>| v.iter().any(|x| *x != 0.0))
        .collect();
    let m = filtered.len();
    if m < 2 {
        return f64::NAN;
    }
    let mut sum = 0.0;
    for i in 0..m {
        for j in i + 1..m {
            sum += filtered[i].iter().zip(&filtered[j]).map(|(a, b)| a * b).sum::<f64>();
        }
    }
    2.0 * sum / (m * (m - 1)) as f64
}

/// Reliability over sliding windows (for intermittent reliability: Lajoie, Lin & Shea-Brown
/// 2013, arXiv:1209.3051): one neuron's repeated `trials` cut into windows of width
/// `window` starting every `step` ms over `[start, end)`, each scored by
/// [`schreiber_reliability`] (spikes up to 5σ outside a window still shape its filtered trace).
#[derive(Clone, Debug, PartialEq)]
pub struct WindowedReliability {
    /// Start time of each window [ms].
    pub starts: Vec<f64>,
    /// Schreiber reliability per window; NaN where fewer than two trials spike in it.
    pub values: Vec<f64>,
    /// Fraction of windows whose reliability exceeds the threshold (NaN windows count as
    /// unreliable): 1 always reliable, 0 never, in between intermittent.
    pub reliable_fraction: f64,
}

/// See [`WindowedReliability`]. `threshold` is the reliability a window must exceed; `sigma`
/// and `dt` are the Gaussian width and grid of [`schreiber_reliability`]. Windows that do not
/// fit whole in `[start, end)` are not scored; `None` if none fits.
#[allow(clippy::too_many_arguments)]
pub fn windowed_reliability(
    trials: &[Vec<f64>],
    start: f64,
    end: f64,
    window: f64,
    step: f64,
    sigma: f64,
    dt: f64,
    threshold: f64,
) -> Option<WindowedReliability> {
    if !(window > 0.0 && step > 0.0 && start + window <= end) {
        return None;
    }
    let n = ((end - start - window) / step + 1e-9).floor() as usize + 1;
    let margin = 5.0 * sigma;
    let starts: Vec<f64> = (0..n).map(|i| start + i as f64 * step).collect();
    let values: Vec<f64> = starts
        .iter()
        .map(|&w0| {
            let shifted: Vec<Vec<f64>> = trials
                .iter()
                .map(|t| {
                    t.iter()
                        .filter(|&&s| s >= w0 - margin && s < w0 + window + margin)
                        .map(|&s| s - w0)
                        .collect()
                })
                .collect();
            schreiber_reliability(&shifted, window, sigma, dt)
        })
        .collect();
    let reliable = values.iter().filter(|v| **v > threshold).count();
    Some(WindowedReliability { reliable_fraction: reliable as f64 / n as f64, starts, values })
}

/// Noise entropy rate of one neuron's spike words across repeated trials of the same stimulus
/// (the "direct method" of Strong, Koberle, de Ruyter van Steveninck & Bialek 1998): time over
/// `[start, end)` is cut into bins of width `bin`; a word is `word_len` consecutive bins, each
/// 1 if it holds a spike; at every word start (sliding by one bin) the entropy of the words
/// across trials is estimated (plug-in, Miller–Madow corrected), and the average over starts is
/// divided by the word's duration. Bits per time unit of `bin`. 0 when every trial spikes
/// alike; NaN with fewer than two trials or no whole word.
pub fn word_noise_entropy_rate(
    trials: &[Vec<f64>],
    start: f64,
    end: f64,
    bin: f64,
    word_len: usize,
) -> f64 {
    let n_bins = ((end - start) / bin).floor() as usize;
    let m = trials.len();
    if m < 2 || word_len == 0 || word_len > 63 || n_bins < word_len {
        return f64::NAN;
    }
    let binary: Vec<Vec<bool>> = trials
        .iter()
        .map(|spikes| {
            let mut v = vec![false; n_bins];
            for &s in spikes {
                let k = ((s - start) / bin).floor();
                if k >= 0.0 && (k as usize) < n_bins {
                    v[k as usize] = true;
                }
            }
            v
        })
        .collect();
    let n_starts = n_bins - word_len + 1;
    let mut total = 0.0;
    let mut words: Vec<u64> = Vec::with_capacity(m);
    for s in 0..n_starts {
        words.clear();
        words.extend(
            binary
                .iter()
                .map(|b| b[s..s + word_len].iter().fold(0u64, |w, &x| (w << 1) | u64::from(x))),
        );
        words.sort_unstable();
        let (mut h, mut distinct, mut run) = (0.0, 0usize, 1usize);
        for i in 1..=m {
            if i < m && words[i] == words[i - 1] {
                run += 1;
                continue;
            }
            let p = run as f64 / m as f64;
            h -= p * p.log2();
            distinct += 1;
            run = 1;
        }
        total += h + (distinct as f64 - 1.0) / (2.0 * m as f64 * std::f64::consts::LN_2);
    }
    total / n_starts as f64 / (word_len as f64 * bin)
}
