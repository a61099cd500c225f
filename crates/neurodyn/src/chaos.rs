//! Chaos studies, each with the number compared with its paper: λ_max (or the full spectrum)
//! of random tanh networks against the gain; exact event-based spectra of balanced theta
//! networks of growing size, autonomous and under a frozen pulse drive; theta networks driven
//! by frozen noise (reliability across trials, driven spectrum, entropy bound against the
//! single-cell extrapolation); and Jacobian spectra of deep networks against free probability.

use crate::StudyResult;
use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Prepared, Study};
use neurodyn_io::IoError;
use neurodyn_io::spec::SpecError;
use std::path::Path;

/// The `chaos` kind: specs with a `[chaos]` table.
pub struct ChaosKind;

impl Kind for ChaosKind {
    fn name(&self) -> &'static str {
        "chaos"
    }
    fn table(&self) -> &'static str {
        "chaos"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec = neurodyn_io::spec::chaos::parse(text, file, base)?;
        memory(&spec).check(limits, text, file)?;
        let (study, what) = match &spec.chaos {
            ChaosStudy::TanhGainSweep(t) => {
                ("tanh gain sweep", format!("sizes {:?}, {} gains", t.sizes, t.gains.len()))
            }
            ChaosStudy::ThetaBalanced(t) => {
                ("balanced theta networks", format!("sizes {:?}", t.sizes))
            }
            ChaosStudy::ThetaDriven(t) => ("driven theta networks", format!("sizes {:?}", t.sizes)),
            ChaosStudy::DeepJacobian(t) => {
                ("deep Jacobians", format!("width {}, depths {:?}", t.width, t.depths))
            }
        };
        Ok(Box::new(Study {
            name: spec.name.clone(),
            resolved: spec.to_toml(),
            description: format!("chaos study: {study}, {what}, seed {}", spec.seed),
            npz: "chaos.npz",
            run,
            spec,
        }))
    }
    fn figures(
        &self,
        dir: &Path,
        _: &str,
        metrics: &serde_json::Value,
    ) -> Result<Vec<Figure>, IoError> {
        Ok(neurodyn_report::chaos::figures(dir, metrics)?.into_iter().map(Figure::from).collect())
    }
}

/// The memory a study needs: `N × N` Jacobians and bases (and for the driven networks the
/// spike trains of every trial, bounded by the rate).
pub fn memory(spec: &ChaosSpec) -> MemoryEstimate {
    let max = |v: &[usize]| v.iter().copied().max().unwrap_or(0) as f64;
    let threads = rayon::current_num_threads() as f64;
    let mut m = MemoryEstimate::new();
    match &spec.chaos {
        ChaosStudy::TanhGainSweep(t) => {
            m.add("chaos.tanh_gain_sweep.sizes", max(&t.sizes).powi(2), 8.0 * 5.0)
        }
        ChaosStudy::ThetaBalanced(t) => {
            m.add("chaos.theta_balanced.sizes", max(&t.sizes).powi(2), 8.0 * 5.0)
        }
        ChaosStudy::ThetaDriven(t) => {
            let n = max(&t.sizes);
            m.add("chaos.theta_driven.sizes", n * n, 8.0 * 5.0);
            m.add(
                "chaos.theta_driven.trials",
                t.trials as f64 * n * (t.duration + t.transient),
                8.0,
            )
        }
        ChaosStudy::DeepJacobian(t) => {
            let samples = (t.samples as f64).min(threads);
            m.add("chaos.deep_jacobian.width", (t.width as f64).powi(2) * samples, 8.0 * 6.0)
        }
    };
    m
}
use neurodyn_analysis::deep_jacobian::{
    DeepNetConfig, empirical_moments, free_density, free_moments, jacobian_singular_values,
};
use neurodyn_analysis::driven_theta::DrivenTheta;
use neurodyn_analysis::lyapunov::{
    LyapunovConfig, LyapunovResult, lyapunov_spectrum, tanh_mean_field,
};
use neurodyn_analysis::spikes::{
    WindowedReliability, schreiber_reliability, windowed_reliability, word_noise_entropy_rate,
};
use neurodyn_analysis::theta_lyapunov::{
    EventSpectrumConfig, FrozenKicks, ThetaNetwork, theta_event_spectrum_driven,
};
use neurodyn_core::{TanhMap, rng};
use neurodyn_io::npz::Array;
use neurodyn_io::spec::ChaosSpec;
use neurodyn_io::spec::chaos::{
    ChaosStudy, DeepJacobian, ReliabilityWindows, TanhGainSweep, ThetaBalanced, ThetaDriven,
};
use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Runs the study, one checkpointed unit per network size (or depth).
pub fn run(spec: &ChaosSpec, ctx: &mut Context<'_>) -> Result<StudyResult, String> {
    match &spec.chaos {
        ChaosStudy::TanhGainSweep(t) => tanh_sweep(t, spec, ctx),
        ChaosStudy::ThetaBalanced(t) => theta_sizes(t, spec, ctx),
        ChaosStudy::ThetaDriven(t) => theta_driven(t, spec, ctx),
        ChaosStudy::DeepJacobian(t) => deep_jacobian(t, spec, ctx),
    }
}

/// `metrics.json` of a tanh gain sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TanhSweepMetrics {
    /// The run's name.
    pub name: String,
    /// `tanh_gain_sweep`.
    pub study: String,
    /// One row per network size.
    pub sizes: Vec<TanhSizeRow>,
    /// Gains `g` [1].
    pub gains: Vec<f64>,
    /// Networks per size [1].
    pub networks_per_size: usize,
    /// Exponents computed [1].
    pub n_exponents: usize,
    /// The mean-field λ_max at each gain (N → ∞) [1/step].
    pub mean_field_lambda_max: Vec<f64>,
    /// Largest λ_max of any network at a gain below 1 [1/step].
    pub max_lambda_below_gain_1: f64,
    /// The largest size against theory.
    pub largest_size: LargestSize,
    /// Mean |λ_max − λ_MF| at g ≥ 1.2 of the largest size over that of the smallest [1].
    pub mean_field_deviation_largest_over_smallest_size: f64,
    /// The onset of chaos extrapolated in N (descriptive).
    pub finite_size_extrapolation: Option<Extrapolation>,
    /// The paper's statement.
    pub paper: String,
}

/// One network size of a tanh gain sweep.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TanhSizeRow {
    /// Network size [1].
    pub n: usize,
    /// λ_max averaged over networks, per gain [1/step].
    pub mean_lambda_max: Vec<f64>,
    /// Largest λ_max at a gain below 1 [1/step].
    pub max_lambda_below_gain_1: f64,
    /// Mean |mean λ_max − λ_MF| over gains ≥ 1.2 [1/step].
    pub mean_abs_deviation_from_mean_field_at_gains_from_1_2: f64,
    /// Onset of chaos (λ_max > 2 s.e.), mean over the networks that have one.
    pub zero_crossing_gain: Option<f64>,
    /// Its standard error over networks.
    pub zero_crossing_std_error: Option<f64>,
    /// Each network's onset.
    pub zero_crossing_per_network: Vec<Option<f64>>,
    /// λ_max, networks × gains (row-major) [1/step].
    pub lambda_max_per_step: Vec<f64>,
    /// Its standard error across time segments [1/step].
    pub std_error: Vec<f64>,
    /// Entropy rate (sum of positive computed exponents), networks × gains [1/step].
    pub entropy_rate_per_step: Vec<f64>,
    /// Kaplan–Yorke dimension of the computed exponents, networks × gains [1].
    pub kaplan_yorke_dimension: Vec<f64>,
}

/// The largest size of a sweep against theory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LargestSize {
    /// Its size [1].
    pub n: usize,
    /// Its mean onset of chaos.
    pub zero_crossing_gain: Option<f64>,
    /// (mean λ_max − λ_MF) / |λ_MF| at the largest gain [1].
    pub relative_deviation_from_mean_field_at_largest_gain: f64,
}

/// `onset(N) = c∞ + slope / √N`, fitted over every network's onset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extrapolation {
    /// The onset as N → ∞.
    pub c_infinity: f64,
    /// Its standard error.
    pub c_infinity_std_error: f64,
    /// The slope in 1/√N.
    pub slope: f64,
}

fn tanh_sweep(
    t: &TanhGainSweep,
    spec: &ChaosSpec,
    ctx: &mut Context<'_>,
) -> Result<StudyResult, String> {
    let config = LyapunovConfig {
        n_exponents: t.n_exponents,
        n_transient: t.n_transient,
        n_steps: t.n_steps,
        qr_every: t.qr_every,
        n_segments: 10,
    };
    let (k, r) = (t.gains.len(), t.networks);
    let mean_field: Vec<f64> = t.gains.iter().map(|&g| tanh_mean_field(g).lambda_max).collect();
    let mut arrays = Vec::new();
    let mut rows = Vec::new();
    for (size_index, &n) in t.sizes.iter().enumerate() {
        let (row, more) = ctx.unit(&format!("size_{n}"), || {
            let mut arrays = Vec::new();
            // Networks in parallel: each has its own keyed stream, so the thread count does not
            // change any of them.
            let per_network: Vec<Result<Vec<LyapunovResult>, String>> = (0..r)
                .into_par_iter()
                .map(|net| {
                    let (w, h0) = tanh_network(t, spec.seed, n, net);
                    t.gains
                        .iter()
                        .map(|&g| {
                            let system = TanhMap { w: w.clone(), gain: g };
                            lyapunov_spectrum(&system, &h0, &[], &config).map_err(|e| e.to_string())
                        })
                        .collect()
                })
                .collect();
            let results: Vec<LyapunovResult> = per_network
                .into_iter()
                .collect::<Result<Vec<_>, _>>()?
                .into_iter()
                .flatten()
                .collect();
            let lam: Vec<f64> = results.iter().map(|s| s.exponents[0]).collect();
            let err: Vec<f64> = results.iter().map(|s| s.std_error[0]).collect();
            let crossings: Vec<Option<f64>> = (0..r)
                .map(|net| chaos_onset(&t.gains, &lam[net * k..][..k], &err[net * k..][..k]))
                .collect();
            let (mean, se) =
                mean_and_error(&crossings.iter().flatten().copied().collect::<Vec<_>>());
            let mean_lambda: Vec<f64> = (0..k)
                .map(|j| (0..r).map(|net| lam[net * k + j]).sum::<f64>() / r as f64)
                .collect();
            let above: Vec<usize> = (0..k).filter(|&j| t.gains[j] >= 1.2).collect();
            let deviation =
                above.iter().map(|&j| (mean_lambda[j] - mean_field[j]).abs()).sum::<f64>()
                    / above.len() as f64;
            let below_one = (0..r * k)
                .filter(|q| t.gains[q % k] < 1.0)
                .map(|q| lam[q])
                .fold(f64::NAN, f64::max);
            arrays.push((format!("lambda_max_{n}"), Array::f64(&[r, k], lam.clone())));
            arrays.push((format!("std_error_{n}"), Array::f64(&[r, k], err.clone())));
            let spectra = results.iter().flat_map(|s| s.exponents.iter().copied()).collect();
            arrays.push((format!("spectra_{n}"), Array::f64(&[r, k, t.n_exponents], spectra)));
            let row = TanhSizeRow {
                n,
                mean_lambda_max: mean_lambda,
                max_lambda_below_gain_1: below_one,
                mean_abs_deviation_from_mean_field_at_gains_from_1_2: deviation,
                zero_crossing_gain: mean.is_finite().then_some(mean),
                zero_crossing_std_error: se.is_finite().then_some(se),
                zero_crossing_per_network: crossings,
                lambda_max_per_step: lam,
                std_error: err,
                entropy_rate_per_step: results.iter().map(|s| s.entropy_rate).collect(),
                kaplan_yorke_dimension: results.iter().map(|s| s.kaplan_yorke).collect(),
            };
            Ok((row, arrays))
        })?;
        rows.push(row);
        arrays.extend(more);
        ctx.cases_done(size_index + 1, t.sizes.len());
    }
    let (first, last) = (&rows[0], &rows[rows.len() - 1]);
    let top = (0..k).max_by(|&a, &b| t.gains[a].total_cmp(&t.gains[b])).unwrap_or(0);
    // Finite-size extrapolation of the onset over every network's onset.
    let points: Vec<(f64, f64)> = rows
        .iter()
        .flat_map(|row| {
            let x = 1.0 / (row.n as f64).sqrt();
            row.zero_crossing_per_network.iter().flatten().map(move |&c| (x, c))
        })
        .collect();
    let metrics = TanhSweepMetrics {
        name: spec.name.clone(),
        study: "tanh_gain_sweep".into(),
        gains: t.gains.clone(),
        networks_per_size: r,
        n_exponents: t.n_exponents,
        mean_field_lambda_max: mean_field.clone(),
        max_lambda_below_gain_1: rows
            .iter()
            .map(|row| row.max_lambda_below_gain_1)
            .fold(f64::NAN, f64::max),
        largest_size: LargestSize {
            n: last.n,
            zero_crossing_gain: last.zero_crossing_gain,
            relative_deviation_from_mean_field_at_largest_gain: (last.mean_lambda_max[top]
                - mean_field[top])
                / mean_field[top].abs(),
        },
        mean_field_deviation_largest_over_smallest_size: last
            .mean_abs_deviation_from_mean_field_at_gains_from_1_2
            / first.mean_abs_deviation_from_mean_field_at_gains_from_1_2,
        finite_size_extrapolation: linear_fit(&points).map(|(c_infinity, se, slope)| {
            Extrapolation { c_infinity, c_infinity_std_error: se, slope }
        }),
        paper: "Sompolinsky, Crisanti & Sommers (1988): the largest exponent crosses 0 at g = 1 for N → ∞, as mean-field theory predicts".into(),
        sizes: rows,
    };
    arrays.push(("gains".into(), Array::f64(&[k], t.gains.clone())));
    arrays.push(("mean_field_lambda_max".into(), Array::f64(&[k], mean_field)));
    arrays.push((
        "sizes".into(),
        Array::f64(&[t.sizes.len()], t.sizes.iter().map(|&n| n as f64).collect()),
    ));
    let metrics = serde_json::to_value(metrics).expect("metrics serialise");
    Ok(StudyResult { arrays, metrics })
}

/// Mean and standard error of the mean (NaN where undefined).
fn mean_and_error(x: &[f64]) -> (f64, f64) {
    let m = x.len() as f64;
    let mean = x.iter().sum::<f64>() / m;
    let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (m - 1.0);
    (mean, if x.len() > 1 { (var / m).sqrt() } else { f64::NAN })
}

/// The coupling and initial state of network `net` of size `n`: from the spec's file, or
/// `W_ij ~ N(0, 1/N)` and `h0 ~ U(−0.5, 0.5)` from the stream `(seed, "tanh_network/<n>", net)`.
fn tanh_network(t: &TanhGainSweep, seed: u64, n: usize, net: usize) -> (faer::Mat<f64>, Vec<f64>) {
    let mut r = rng::stream(seed, &format!("tanh_network/{n}"), net as u64);
    if let Some(loaded) = &t.loaded {
        let w = faer::Mat::from_fn(n, n, |i, j| loaded.w[i * n + j]);
        let h0 = loaded
            .h0
            .clone()
            .unwrap_or_else(|| (0..n).map(|_| r.random_range(-0.5..0.5)).collect());
        return (w, h0);
    }
    let scale = 1.0 / (n as f64).sqrt();
    let w = faer::Mat::from_fn(n, n, |_, _| {
        scale * rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, &mut r)
    });
    (w, (0..n).map(|_| r.random_range(-0.5..0.5)).collect())
}

/// Least-squares line `y = a + b x` through `(x, y)` points: `(a, standard error of a, b)`;
/// `None` with fewer than three points or one distinct `x`.
fn linear_fit(points: &[(f64, f64)]) -> Option<(f64, f64, f64)> {
    let m = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / m;
    let my = points.iter().map(|p| p.1).sum::<f64>() / m;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    if points.len() < 3 || sxx <= 0.0 {
        return None;
    }
    let b = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / sxx;
    let a = my - b * mx;
    let residual: f64 = points.iter().map(|p| (p.1 - a - b * p.0).powi(2)).sum();
    let sigma2 = residual / (m - 2.0);
    Some((a, (sigma2 * (1.0 / m + mx * mx / sxx)).sqrt(), b))
}

/// The onset of chaos: the gain where `λ_max − 2·s.e.` first turns positive (linear
/// interpolation between the two gains around it). A finite network is marginal at g ≈ 1
/// (λ_max ≈ 0 within its error, the zero state losing stability) and may pass through
/// periodic or quasi-periodic windows (λ_max ≤ 0) before chaos, so "λ_max > 0" alone would
/// count the marginal point as chaos; requiring λ_max to exceed twice its standard error
/// shifts the onset up by at most 2·s.e. / (dλ/dg), a few thousandths here.
fn chaos_onset(gains: &[f64], lambda: &[f64], std_error: &[f64]) -> Option<f64> {
    let excess: Vec<f64> = lambda.iter().zip(std_error).map(|(l, e)| l - 2.0 * e).collect();
    (1..excess.len()).find(|&i| excess[i - 1] <= 0.0 && excess[i] > 0.0).map(|i| {
        let (g0, g1, l0, l1) = (gains[i - 1], gains[i], excess[i - 1], excess[i]);
        g0 + (g1 - g0) * (-l0) / (l1 - l0)
    })
}

/// `metrics.json` of balanced theta networks of growing size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThetaBalancedMetrics {
    /// The run's name.
    pub name: String,
    /// `theta_balanced`.
    pub study: String,
    /// One row per size.
    pub sizes: Vec<ThetaSizeRow>,
    /// max/min − 1 of the fraction of positive exponents across sizes [1].
    pub relative_spread_of_positive_fraction: f64,
    /// Smallest λ_max across sizes [1/s].
    pub min_lambda_max_per_s: f64,
    /// Under the frozen drive, when the spec has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driven: Option<DrivenSummary>,
    /// The paper's statement.
    pub paper: String,
}

/// One size: the autonomous spectrum and, with a drive, the driven one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThetaSizeRow {
    /// Network size [1].
    pub n: usize,
    /// The autonomous network.
    #[serde(flatten)]
    pub autonomous: SpectrumRow,
    /// The same network under the frozen drive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub driven: Option<SpectrumRow>,
}

/// What one exact spectrum says.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpectrumRow {
    /// Mean firing rate [Hz].
    pub mean_rate_hz: f64,
    /// Largest exponent [1/s].
    pub lambda_max_per_s: f64,
    /// Positive exponents [1].
    pub n_positive: usize,
    /// Their fraction of N [1].
    pub fraction_positive: f64,
    /// Sum of the positive exponents [nats/s].
    pub entropy_rate_nats_per_s: f64,
    /// Per neuron [nats/s].
    pub entropy_per_neuron_nats_per_s: f64,
    /// Σλ − the log-det rate (0 up to numerical error) [1/s].
    pub sum_minus_log_det: f64,
}

/// Driven against autonomous chaos.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrivenSummary {
    /// λ_max > 0 under drive at every size.
    pub still_chaotic: bool,
    /// Smallest driven λ_max [1/s].
    pub min_lambda_max_per_s: f64,
    /// Driven / autonomous fraction of positive exponents, per size [1].
    pub over_autonomous_positive_fraction: Vec<f64>,
    /// Its largest value [1].
    pub max_over_autonomous_positive_fraction: f64,
    /// The paper's statement.
    pub paper: String,
}

fn theta_sizes(
    t: &ThetaBalanced,
    spec: &ChaosSpec,
    ctx: &mut Context<'_>,
) -> Result<StudyResult, String> {
    let mut arrays = Vec::new();
    let mut rows = Vec::new();
    for (i, &n) in t.sizes.iter().enumerate() {
        // (Rows flatten in JSON, which postcard cannot read back: the unit keeps the parts.)
        let (autonomous, driven, more) = ctx.unit(&format!("size_{n}"), || {
            let mut arrays = Vec::new();
            let net = ThetaNetwork::balanced(n, t.in_degree, t.j0, t.eta, t.tau, spec.seed)
                .map_err(|e| e.to_string())?;
            let c = EventSpectrumConfig {
                n_exponents: n,
                n_transient: 20 * n,
                n_spikes: t.spikes_per_neuron * n,
                qr_every: 10,
            };
            // One spectrum, autonomous or under the frozen drive, and its row of metrics.
            let spectrum = |drive: Option<FrozenKicks>| -> Result<(SpectrumRow, Vec<f64>), String> {
                let s = theta_event_spectrum_driven(&net, &net.random_phases(spec.seed), &c, drive)
                    .map_err(|e| e.to_string())?;
                let positive = s.exponents.iter().filter(|&&l| l > 0.0).count();
                let row = SpectrumRow {
                    mean_rate_hz: s.mean_rate,
                    lambda_max_per_s: s.exponents[0],
                    n_positive: positive,
                    fraction_positive: positive as f64 / n as f64,
                    entropy_rate_nats_per_s: s.entropy_rate,
                    entropy_per_neuron_nats_per_s: s.entropy_rate / n as f64,
                    sum_minus_log_det: s.exponents.iter().sum::<f64>() - s.log_det_rate,
                };
                Ok((row, s.exponents))
            };
            let (autonomous, exponents) = spectrum(None)?;
            let driven = match t.drive {
                Some(d) => {
                    let kicks =
                        FrozenKicks { rate_hz: d.rate_hz, weight: d.weight, seed: spec.seed };
                    let (driven, exponents) = spectrum(Some(kicks))?;
                    arrays.push((format!("driven_spectrum_{n}"), Array::f64(&[n], exponents)));
                    Some(driven)
                }
                None => None,
            };
            arrays.push((format!("spectrum_{n}"), Array::f64(&[n], exponents)));
            Ok((autonomous, driven, arrays))
        })?;
        rows.push(ThetaSizeRow { n, autonomous, driven });
        arrays.extend(more);
        ctx.cases_done(i + 1, t.sizes.len());
    }
    let fractions: Vec<f64> = rows.iter().map(|r| r.autonomous.fraction_positive).collect();
    let spread = fractions.iter().cloned().fold(f64::MIN, f64::max)
        / fractions.iter().cloned().fold(f64::MAX, f64::min)
        - 1.0;
    let driven = t.drive.map(|_| {
        let pairs: Vec<(&SpectrumRow, &SpectrumRow)> =
            rows.iter().filter_map(|r| r.driven.as_ref().map(|d| (&r.autonomous, d))).collect();
        let ratios: Vec<f64> =
            pairs.iter().map(|(a, d)| d.fraction_positive / a.fraction_positive).collect();
        DrivenSummary {
            still_chaotic: pairs.iter().all(|(_, d)| d.lambda_max_per_s > 0.0),
            min_lambda_max_per_s: pairs
                .iter()
                .map(|(_, d)| d.lambda_max_per_s)
                .fold(f64::NAN, f64::min),
            max_over_autonomous_positive_fraction: ratios.iter().copied().fold(f64::NAN, f64::max),
            over_autonomous_positive_fraction: ratios,
            paper: "Lajoie, Lin & Shea-Brown (2013, arXiv:1209.3051): chaos persists under frozen drive (λ_max > 0), with a smaller unstable manifold".into(),
        }
    });
    let metrics = ThetaBalancedMetrics {
        name: spec.name.clone(),
        study: "theta_balanced".into(),
        relative_spread_of_positive_fraction: spread,
        min_lambda_max_per_s: rows
            .iter()
            .map(|r| r.autonomous.lambda_max_per_s)
            .fold(f64::NAN, f64::min),
        driven,
        paper: "Monteforte & Wolf (2010, arXiv:1003.4410): extensive chaos — the number of positive exponents and the entropy rate grow in proportion to N".into(),
        sizes: rows,
    };
    arrays.push((
        "sizes".into(),
        Array::f64(&[t.sizes.len()], t.sizes.iter().map(|&n| n as f64).collect()),
    ));
    let metrics = serde_json::to_value(metrics).expect("metrics serialise");
    Ok(StudyResult { arrays, metrics })
}

/// `metrics.json` of driven theta networks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThetaDrivenMetrics {
    /// The run's name.
    pub name: String,
    /// `theta_driven`.
    pub study: String,
    /// One row per size.
    pub sizes: Vec<DrivenSizeRow>,
    /// Time analysed [time units].
    pub duration: f64,
    /// Trials under the same drive [1].
    pub trials: usize,
    /// The word bin of the stated ratio [time units].
    pub bin: f64,
    /// Its word length [bins].
    pub word_len: usize,
    /// Smallest N·h₁ / bound over sizes [1].
    pub min_extrapolation_over_bound: f64,
    /// Largest N·h₁ / bound over sizes [1].
    pub max_extrapolation_over_bound: f64,
    /// Smallest λ_max under drive [1/time unit].
    pub min_lambda_max_per_time: f64,
    /// Smallest fraction of intermittently reliable neurons over sizes, with windows [1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_fraction_intermittent: Option<f64>,
    /// Largest fraction "intermittent" under fresh drive (the chance level) over sizes [1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_fresh_fraction_intermittent: Option<f64>,
    /// The papers' statements.
    pub paper: String,
}

/// One size of a driven network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DrivenSizeRow {
    /// Network size [1].
    pub n: usize,
    /// Mean rate [1/time unit].
    pub mean_rate_per_time: f64,
    /// Largest exponent [1/time unit].
    pub lambda_max_per_time: f64,
    /// Its standard error [1/time unit].
    pub lambda_max_std_error: f64,
    /// Positive exponents [1].
    pub n_positive: usize,
    /// Their fraction of N [1].
    pub fraction_positive: f64,
    /// Σλ⁺ / ln 2 [bits/time unit].
    pub entropy_bound_bits_per_time: f64,
    /// Mean single-cell noise entropy rate h₁ [bits/time unit].
    pub single_cell_noise_entropy_bits_per_time: f64,
    /// N·h₁ [bits/time unit].
    pub single_cell_extrapolation_bits_per_time: f64,
    /// N·h₁ / bound at the spec's word setting [1].
    pub extrapolation_over_bound: f64,
    /// The same ratio at every word setting (the spec's first).
    pub word_sensitivity: Vec<WordSetting>,
    /// Mean Schreiber reliability of active neurons [1].
    pub mean_reliability: f64,
    /// Fraction of neurons with reliability above 0.8 [1].
    pub fraction_reliable_above_0_8: f64,
    /// Reliability over sliding windows, if the spec asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intermittency: Option<Intermittency>,
    /// The same for as many trials each under its own fresh drive (the chance level).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fresh_intermittency: Option<Intermittency>,
}

/// How neurons' reliability changes over time (sliding windows; intermittent reliability,
/// Lajoie, Lin & Shea-Brown 2013, arXiv:1209.3051). Fractions are of the active neurons (those
/// that spike in at least one window in two trials).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Intermittency {
    /// Windows per neuron [1].
    pub windows: usize,
    /// Reliability a window must exceed to count as reliable [1].
    pub threshold: f64,
    /// Active neurons [1].
    pub active: usize,
    /// Fraction reliable in more than `hi` of their windows [1].
    pub fraction_reliable: f64,
    /// Fraction reliable in `[lo, hi]` of their windows: alternating between reliable and
    /// unreliable epochs [1].
    pub fraction_intermittent: f64,
    /// Fraction reliable in fewer than `lo` of their windows [1].
    pub fraction_unreliable: f64,
    /// Mean over active neurons of the fraction of reliable windows [1].
    pub mean_reliable_fraction: f64,
    /// Mean over intermittent neurons of their longest reliable epoch (consecutive reliable
    /// windows, start to end) [time units].
    pub mean_longest_reliable_epoch: f64,
}

/// The entropy ratio at one way of cutting spike trains into words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WordSetting {
    /// Bin [time units].
    pub bin: f64,
    /// Bins per word [1].
    pub word_len: usize,
    /// N·h₁ / bound [1].
    pub extrapolation_over_bound: f64,
}

/// Classifies neurons by the fraction of their windows that are reliable (silent neurons, with
/// no scored window, left out).
fn intermittency(w: &ReliabilityWindows, per_neuron: &[WindowedReliability]) -> Intermittency {
    let (lo, hi) = w.intermittent;
    let active: Vec<&WindowedReliability> =
        per_neuron.iter().filter(|r| r.values.iter().any(|v| v.is_finite())).collect();
    let count = |f: &dyn Fn(f64) -> bool| {
        active.iter().filter(|r| f(r.reliable_fraction)).count() as f64 / active.len().max(1) as f64
    };
    let intermittent: Vec<&&WindowedReliability> =
        active.iter().filter(|r| (lo..=hi).contains(&r.reliable_fraction)).collect();
    let longest = |r: &WindowedReliability| {
        let mut best = 0usize;
        let mut run = 0usize;
        for v in &r.values {
            run = if *v > w.threshold { run + 1 } else { 0 };
            best = best.max(run);
        }
        if best == 0 { 0.0 } else { w.width + (best - 1) as f64 * w.step }
    };
    Intermittency {
        windows: per_neuron.first().map_or(0, |r| r.values.len()),
        threshold: w.threshold,
        active: active.len(),
        fraction_reliable: count(&|f| f > hi),
        fraction_intermittent: count(&|f| (lo..=hi).contains(&f)),
        fraction_unreliable: count(&|f| f < lo),
        mean_reliable_fraction: active.iter().map(|r| r.reliable_fraction).sum::<f64>()
            / active.len().max(1) as f64,
        mean_longest_reliable_epoch: intermittent.iter().map(|r| longest(r)).sum::<f64>()
            / intermittent.len().max(1) as f64,
    }
}

/// Reliability across trials under frozen drive, the driven spectrum, and the entropy bound
/// against the single-cell extrapolation, per network size.
fn theta_driven(
    t: &ThetaDriven,
    spec: &ChaosSpec,
    ctx: &mut Context<'_>,
) -> Result<StudyResult, String> {
    use rayon::prelude::*;
    let n_transient = (t.transient / t.dt).round() as usize;
    let n_steps = (t.duration / t.dt).round() as usize;
    let total = n_transient + n_steps;
    let (start, end) = (n_transient as f64 * t.dt, total as f64 * t.dt);
    let mut arrays = Vec::new();
    let mut rows = Vec::new();
    for (s_idx, &n) in t.sizes.iter().enumerate() {
        let (row, more) = ctx.unit(&format!("size_{n}"), || {
            let mut arrays = Vec::new();
            let net = DrivenTheta::new(&t.network(n), spec.seed).map_err(|e| e.to_string())?;
            // One stimulus for every trial and for the spectrum.
            let noise = net.frozen_noise(total, spec.seed);
            let trials: Vec<Vec<Vec<f64>>> = (0..t.trials as u64)
                .into_par_iter()
                .map(|k| net.simulate(&net.random_phases(spec.seed, k), &noise, total))
                .collect();
            // Per neuron: its trains across trials (after the transient).
            let per_neuron = |i: usize| -> Vec<Vec<f64>> {
                trials
                    .iter()
                    .map(|tr| {
                        tr[i].iter().copied().filter(|&x| x >= start).map(|x| x - start).collect()
                    })
                    .collect()
            };
            // Word settings: the spec's own first, then the sensitivity ones.
            let settings: Vec<(f64, usize)> = std::iter::once((t.bin, t.word_len))
                .chain(t.word_sensitivity.iter().copied())
                .collect();
            let (reliability, entropies): (Vec<f64>, Vec<Vec<f64>>) = (0..n)
                .into_par_iter()
                .map(|i| {
                    let tr = per_neuron(i);
                    let h = settings
                        .iter()
                        .map(|&(bin, len)| word_noise_entropy_rate(&tr, 0.0, end - start, bin, len))
                        .collect();
                    (schreiber_reliability(&tr, end - start, t.reliability_sigma, t.dt), h)
                })
                .unzip();
            let mean_entropy = |j: usize| {
                entropies.iter().map(|h| h[j]).filter(|h| h.is_finite()).sum::<f64>() / n as f64
            };
            let entropy: Vec<f64> = entropies.iter().map(|h| h[0]).collect();
            let spikes: f64 = trials
                .iter()
                .flatten()
                .map(|s| s.iter().filter(|&&x| x >= start).count() as f64)
                .sum();
            let rate = spikes / (t.trials * n) as f64 / (end - start);
            let active: Vec<f64> = reliability.iter().copied().filter(|r| r.is_finite()).collect();
            let mean_rel = active.iter().sum::<f64>() / active.len().max(1) as f64;
            let reliable = active.iter().filter(|&&r| r > 0.8).count() as f64 / n as f64;
            let h1 = entropy.iter().copied().filter(|h| h.is_finite()).sum::<f64>() / n as f64;
            let windowed: Option<Vec<WindowedReliability>> = t.windows.map(|w| {
                (0..n)
                    .into_par_iter()
                    .map(|i| {
                        windowed_reliability(
                            &per_neuron(i),
                            0.0,
                            end - start,
                            w.width,
                            w.step,
                            t.reliability_sigma,
                            t.dt,
                            w.threshold,
                        )
                        .expect("validated: a window fits in the duration")
                    })
                    .collect()
            });
            let frozen_intermittency =
                t.windows.zip(windowed.as_ref()).map(|(w, wr)| intermittency(&w, wr));
            // The control: as many trials, each under its own fresh drive, scored the same way
            // (what the windows' reliability is when nothing but chance lines spikes up).
            let fresh_intermittency = t.windows.map(|w| {
                let fresh: Vec<Vec<Vec<f64>>> = (0..t.trials as u64)
                    .into_par_iter()
                    .map(|k| {
                        let drive = net.fresh_noise(total, spec.seed, k);
                        net.simulate(&net.random_phases(spec.seed, k), &drive, total)
                    })
                    .collect();
                let scored: Vec<WindowedReliability> = (0..n)
                    .into_par_iter()
                    .map(|i| {
                        let tr: Vec<Vec<f64>> = fresh
                            .iter()
                            .map(|f| {
                                f[i].iter()
                                    .copied()
                                    .filter(|&x| x >= start)
                                    .map(|x| x - start)
                                    .collect()
                            })
                            .collect();
                        windowed_reliability(
                            &tr,
                            0.0,
                            end - start,
                            w.width,
                            w.step,
                            t.reliability_sigma,
                            t.dt,
                            w.threshold,
                        )
                        .expect("validated: a window fits in the duration")
                    })
                    .collect();
                intermittency(&w, &scored)
            });

            let config = LyapunovConfig {
                n_exponents: n,
                n_transient,
                n_steps,
                qr_every: 5,
                n_segments: 10,
            };
            let s =
                lyapunov_spectrum(&net, &net.random_phases(spec.seed, u64::MAX), &noise, &config)
                    .map_err(|e| e.to_string())?;
            let lam: Vec<f64> = s.exponents.iter().map(|l| l / t.dt).collect();
            let positive = lam.iter().filter(|&&l| l > 0.0).count();
            let bound_bits = s.entropy_rate / t.dt / std::f64::consts::LN_2;
            let extrapolated = n as f64 * h1;
            let word_sensitivity = settings
                .iter()
                .enumerate()
                .map(|(j, &(bin, word_len))| WordSetting {
                    bin,
                    word_len,
                    extrapolation_over_bound: n as f64 * mean_entropy(j) / bound_bits,
                })
                .collect();
            let row = DrivenSizeRow {
                n,
                mean_rate_per_time: rate,
                lambda_max_per_time: lam[0],
                lambda_max_std_error: s.std_error[0] / t.dt,
                n_positive: positive,
                fraction_positive: positive as f64 / n as f64,
                entropy_bound_bits_per_time: bound_bits,
                single_cell_noise_entropy_bits_per_time: h1,
                single_cell_extrapolation_bits_per_time: extrapolated,
                extrapolation_over_bound: extrapolated / bound_bits,
                word_sensitivity,
                mean_reliability: mean_rel,
                fraction_reliable_above_0_8: reliable,
                intermittency: frozen_intermittency,
                fresh_intermittency,
            };
            arrays.push((format!("spectrum_{n}"), Array::f64(&[n], lam)));
            arrays.push((format!("reliability_{n}"), Array::f64(&[n], reliability.clone())));
            if let Some(wr) = &windowed {
                let m = wr[0].starts.len();
                arrays.push((format!("window_starts_{n}"), Array::f64(&[m], wr[0].starts.clone())));
                arrays.push((
                    format!("window_reliability_{n}"),
                    Array::f64(&[n, m], wr.iter().flat_map(|r| r.values.clone()).collect()),
                ));
            }
            if s_idx == 0 {
                // Rasters across trials of the most and of the least reliable active neuron.
                let order: Vec<usize> = {
                    let mut idx: Vec<usize> =
                        (0..n).filter(|&i| reliability[i].is_finite()).collect();
                    idx.sort_by(|&a, &b| reliability[b].total_cmp(&reliability[a]));
                    idx
                };
                // With windows: also the neuron whose reliable fraction is nearest one half.
                let middle = windowed.as_ref().and_then(|wr| {
                    (0..n).filter(|&i| wr[i].values.iter().any(|v| v.is_finite())).min_by(
                        |&a, &b| {
                            let d = |i: usize| (wr[i].reliable_fraction - 0.5).abs();
                            d(a).total_cmp(&d(b))
                        },
                    )
                });
                for (label, pick) in [
                    ("most", order.first()),
                    ("intermittent", middle.as_ref()),
                    ("least", order.last()),
                ] {
                    let Some(&i) = pick else { continue };
                    let (mut times, mut trial) = (Vec::new(), Vec::new());
                    // The first 40 trials over 50 time units: enough to see locking.
                    for (k, tr) in per_neuron(i).iter().enumerate().take(40) {
                        let shown: Vec<f64> = tr.iter().copied().filter(|&x| x < 50.0).collect();
                        trial.extend(std::iter::repeat_n(k as f64, shown.len()));
                        times.extend(shown);
                    }
                    let len = times.len();
                    arrays.push((format!("raster_{label}_times"), Array::f64(&[len], times)));
                    arrays.push((format!("raster_{label}_trials"), Array::f64(&[len], trial)));
                    arrays
                        .push((format!("raster_{label}_neuron"), Array::f64(&[1], vec![i as f64])));
                }
            }
            Ok((row, arrays))
        })?;
        rows.push(row);
        arrays.extend(more);
        ctx.cases_done(s_idx + 1, t.sizes.len());
    }
    let ratios: Vec<f64> = rows.iter().map(|r| r.extrapolation_over_bound).collect();
    let metrics = ThetaDrivenMetrics {
        name: spec.name.clone(),
        study: "theta_driven".into(),
        duration: t.duration,
        trials: t.trials,
        bin: t.bin,
        word_len: t.word_len,
        paper: "Lajoie, Thivierge & Shea-Brown (2014, arXiv:1311.7128): the network's spike-pattern entropy (bounded by the sum of positive Lyapunov exponents) is an order of magnitude lower than the single-cell extrapolation N·h₁; Lajoie, Lin & Shea-Brown (2013, arXiv:1209.3051): chaos persists under drive while some neurons spike reliably".into(),
        min_extrapolation_over_bound: ratios.iter().copied().fold(f64::NAN, f64::min),
        max_extrapolation_over_bound: ratios.iter().copied().fold(f64::NAN, f64::max),
        min_lambda_max_per_time: rows
            .iter()
            .map(|r| r.lambda_max_per_time)
            .fold(f64::NAN, f64::min),
        min_fraction_intermittent: t.windows.map(|_| {
            rows.iter()
                .filter_map(|r| r.intermittency.as_ref().map(|i| i.fraction_intermittent))
                .fold(f64::NAN, f64::min)
        }),
        max_fresh_fraction_intermittent: t.windows.map(|_| {
            rows.iter()
                .filter_map(|r| r.fresh_intermittency.as_ref().map(|i| i.fraction_intermittent))
                .fold(f64::NAN, f64::max)
        }),
        sizes: rows,
    };
    let metrics = serde_json::to_value(metrics).expect("metrics serialise");
    arrays.push((
        "sizes".into(),
        Array::f64(&[t.sizes.len()], t.sizes.iter().map(|&n| n as f64).collect()),
    ));
    arrays.push(("driven".into(), Array::f64(&[1], vec![1.0])));
    Ok(StudyResult { arrays, metrics })
}

/// `metrics.json` of deep-Jacobian spectra against depth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeepJacobianMetrics {
    /// The run's name.
    pub name: String,
    /// `deep_jacobian`.
    pub study: String,
    /// Width of every layer [1].
    pub width: usize,
    /// Networks per case and depth [1].
    pub samples: usize,
    /// One row per case and depth.
    pub rows: Vec<DepthRow>,
    /// A label per case.
    pub case_labels: Vec<String>,
    /// Largest |measured − predicted| of the first two moments, in standard errors [1].
    pub largest_deviation_in_standard_errors: f64,
    /// The deepest depth [1].
    pub deepest: usize,
    /// Measured relative spread of λ at the deepest depth, per case [1].
    pub spread_at_deepest: Vec<f64>,
    /// The paper's statement.
    pub paper: String,
}

/// One case at one depth.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DepthRow {
    /// Case index.
    pub case: usize,
    /// `linear`, `tanh` or `relu`.
    pub nonlinearity: String,
    /// `gaussian` or `orthogonal`.
    pub weights: String,
    /// Weight scale σ_w [1].
    pub sigma_w: f64,
    /// Bias scale σ_b [1].
    pub sigma_b: f64,
    /// Layers [1].
    pub depth: usize,
    /// Mean over networks of the first four moments of λ = s² [1].
    pub empirical_moments: Vec<f64>,
    /// Their standard errors [1].
    pub std_error: Vec<f64>,
    /// The free-probability moments [1].
    pub predicted_moments: Vec<f64>,
    /// (m₂ − m₁²)/m₁², measured [1].
    pub relative_spread_empirical: f64,
    /// The same, predicted [1].
    pub relative_spread_predicted: f64,
}

/// Jacobian spectra of deep networks against depth: empirical moments of `λ = s²` (mean and
/// standard error over networks) next to the free-probability prediction, per case.
fn deep_jacobian(
    t: &DeepJacobian,
    spec: &ChaosSpec,
    ctx: &mut Context<'_>,
) -> Result<StudyResult, String> {
    use rayon::prelude::*;
    const K: usize = 4;
    let mut rows = Vec::new();
    let mut arrays = Vec::new();
    let total = t.cases.len() * t.depths.len();
    let (mut done, mut worst_z) = (0, 0.0f64);
    for (ci, case) in t.cases.iter().enumerate() {
        let (mut emp_width, mut pred_width) = (Vec::new(), Vec::new());
        for &depth in &t.depths {
            let c = DeepNetConfig {
                n_layers: depth,
                width: t.width,
                nonlinearity: case.nonlinearity,
                weights: case.weights,
                sigma_w: case.sigma_w,
                sigma_b: case.sigma_b,
            };
            let spectra: Vec<Vec<f64>> = ctx.unit(&format!("case{ci}_depth{depth}"), || {
                Ok((0..t.samples as u64)
                    .into_par_iter()
                    .map(|k| {
                        // Network k of each case and depth: its own keyed stream.
                        let object = format!("deep_jacobian/case{ci}/depth{depth}");
                        jacobian_singular_values(&c, rng::key(spec.seed, &object, k) as u64)
                    })
                    .collect())
            })?;
            let moments: Vec<Vec<f64>> = spectra.iter().map(|s| empirical_moments(s, K)).collect();
            let n = t.samples as f64;
            let mean: Vec<f64> =
                (0..K).map(|k| moments.iter().map(|m| m[k]).sum::<f64>() / n).collect();
            let se: Vec<f64> = (0..K)
                .map(|k| {
                    let v = moments.iter().map(|m| (m[k] - mean[k]).powi(2)).sum::<f64>();
                    (v / (n - 1.0) / n).sqrt()
                })
                .collect();
            let predicted = free_moments(&c, K);
            // Relative spread of λ: (m₂ − m₁²)/m₁², the width dynamical isometry keeps small.
            let width = |m: &[f64]| (m[1] - m[0] * m[0]) / (m[0] * m[0]);
            emp_width.push(width(&mean));
            pred_width.push(width(&predicted));
            let z: Vec<f64> =
                (0..2).map(|k| (mean[k] - predicted[k]).abs() / se[k].max(1e-300)).collect();
            worst_z = z.iter().fold(worst_z, |a, &b| a.max(b));
            rows.push(DepthRow {
                case: ci,
                nonlinearity: format!("{:?}", case.nonlinearity).to_lowercase(),
                weights: format!("{:?}", case.weights).to_lowercase(),
                sigma_w: case.sigma_w,
                sigma_b: case.sigma_b,
                depth,
                relative_spread_empirical: width(&mean),
                relative_spread_predicted: width(&predicted),
                empirical_moments: mean,
                std_error: se,
                predicted_moments: predicted,
            });
            if depth == *t.depths.iter().max().expect("non-empty") {
                let s = &spectra[0];
                arrays
                    .push((format!("singular_values_case{ci}"), Array::f64(&[s.len()], s.clone())));
                // The predicted density of s = √λ on the figure's grid: 2 s ρ_λ(s²).
                let grid = density_grid();
                let lambdas: Vec<f64> = grid.iter().map(|s| s * s).collect();
                let rho: Vec<f64> = free_density(&c, &lambdas)
                    .iter()
                    .zip(&grid)
                    .map(|(r, s)| 2.0 * s * r)
                    .collect();
                arrays
                    .push((format!("predicted_density_case{ci}"), Array::f64(&[grid.len()], rho)));
            }
            done += 1;
            ctx.cases_done(done, total);
        }
        let d = t.depths.len();
        arrays.push((format!("spread_empirical_case{ci}"), Array::f64(&[d], emp_width)));
        arrays.push((format!("spread_predicted_case{ci}"), Array::f64(&[d], pred_width)));
    }
    let deepest = *t.depths.iter().max().expect("non-empty");
    let spread_at_deepest: Vec<f64> =
        rows.iter().filter(|r| r.depth == deepest).map(|r| r.relative_spread_empirical).collect();
    let labels: Vec<String> = t
        .cases
        .iter()
        .map(|c| format!("{:?} {:?} σw={:.3}", c.nonlinearity, c.weights, c.sigma_w).to_lowercase())
        .collect();
    let metrics = DeepJacobianMetrics {
        name: spec.name.clone(),
        study: "deep_jacobian".into(),
        width: t.width,
        samples: t.samples,
        rows,
        case_labels: labels,
        largest_deviation_in_standard_errors: worst_z,
        deepest,
        spread_at_deepest,
        paper: "Pennington, Schoenholz & Ganguli (2017, arXiv:1711.04735): the squared singular values of the input-output Jacobian follow the free-probability prediction; orthogonal tanh networks near criticality keep their spread small with depth (dynamical isometry), ReLU and Gaussian networks cannot".into(),
    };
    let metrics = serde_json::to_value(metrics).expect("metrics serialise");
    arrays.push((
        "depths".into(),
        Array::f64(&[t.depths.len()], t.depths.iter().map(|&d| d as f64).collect()),
    ));
    arrays.push(("n_cases".into(), Array::f64(&[1], vec![t.cases.len() as f64])));
    let grid = density_grid();
    arrays.push(("density_grid".into(), Array::f64(&[grid.len()], grid)));
    Ok(StudyResult { arrays, metrics })
}

/// Singular values at which predicted densities are drawn: 160 points on (0, 4].
fn density_grid() -> Vec<f64> {
    (1..=160).map(|i| 4.0 * i as f64 / 160.0).collect()
}

#[cfg(test)]
mod intermittency_tests {
    use super::*;

    fn neuron(values: &[f64], threshold: f64) -> WindowedReliability {
        let reliable = values.iter().filter(|&&v| v > threshold).count();
        WindowedReliability {
            starts: (0..values.len()).map(|i| 5.0 * i as f64).collect(),
            values: values.to_vec(),
            reliable_fraction: reliable as f64 / values.len() as f64,
        }
    }

    #[test]
    fn neurons_are_classified_by_their_fraction_of_reliable_windows_and_silent_ones_left_out() {
        let w =
            ReliabilityWindows { width: 10.0, step: 5.0, threshold: 0.8, intermittent: (0.1, 0.9) };
        let nan = f64::NAN;
        let neurons = [
            neuron(&[0.9; 10], 0.8),                                          // reliable
            neuron(&[0.9, 0.9, 0.9, 0.1, 0.1, 0.1, 0.1, 0.9, 0.1, 0.1], 0.8), // intermittent
            neuron(&[0.2, 0.3, nan, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 0.8), // unreliable
            neuron(&[0.9, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1], 0.8), // 10 %: intermittent
            neuron(&[nan; 10], 0.8),                                          // silent
        ];
        let i = intermittency(&w, &neurons);
        assert_eq!((i.windows, i.active), (10, 4));
        assert_eq!(i.fraction_reliable, 0.25);
        assert_eq!(i.fraction_intermittent, 0.5);
        assert_eq!(i.fraction_unreliable, 0.25);
        assert!((i.mean_reliable_fraction - (1.0 + 0.4 + 0.0 + 0.1) / 4.0).abs() < 1e-12);
        // Longest runs: 3 windows (10 + 2·5 = 20) and 1 window (10).
        assert_eq!(i.mean_longest_reliable_epoch, 15.0);
    }
}
