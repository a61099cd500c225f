//! Chaos studies, each with the number compared with its paper: λ_max (or the full spectrum)
//! of random tanh networks against the gain; exact event-based spectra of balanced theta
//! networks of growing size, autonomous and under a frozen pulse drive; theta networks driven
//! by frozen noise (reliability across trials, driven spectrum, entropy bound against the
//! single-cell extrapolation); and Jacobian spectra of deep networks against free probability.

use crate::StudyResult;
use crate::kinds::{Figure, Kind, Limits, MemoryEstimate, Prepared, Study};
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
use neurodyn_analysis::lyapunov::{LyapunovConfig, LyapunovResult, lyapunov_spectrum};
use neurodyn_analysis::spikes::{schreiber_reliability, word_noise_entropy_rate};
use neurodyn_analysis::theta_lyapunov::{
    EventSpectrumConfig, FrozenKicks, ThetaNetwork, theta_event_spectrum_driven,
};
use neurodyn_core::{TanhMap, rng};
use neurodyn_io::npz::Array;
use neurodyn_io::spec::ChaosSpec;
use neurodyn_io::spec::chaos::{
    ChaosStudy, DeepJacobian, TanhGainSweep, ThetaBalanced, ThetaDriven,
};
use rand::RngExt;
use rayon::prelude::*;
use serde_json::json;

/// Runs the study; `progress(done, total)` after each network.
pub fn run(
    spec: &ChaosSpec,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<StudyResult, String> {
    match &spec.chaos {
        ChaosStudy::TanhGainSweep(t) => tanh_sweep(t, spec, progress),
        ChaosStudy::ThetaBalanced(t) => theta_sizes(t, spec, progress),
        ChaosStudy::ThetaDriven(t) => theta_driven(t, spec, progress),
        ChaosStudy::DeepJacobian(t) => deep_jacobian(t, spec, progress),
    }
}

fn tanh_sweep(
    t: &TanhGainSweep,
    spec: &ChaosSpec,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<StudyResult, String> {
    let config = LyapunovConfig {
        n_exponents: t.n_exponents,
        n_transient: t.n_transient,
        n_steps: t.n_steps,
        qr_every: t.qr_every,
        n_segments: 10,
    };
    let k = t.gains.len();
    let total = t.sizes.len() * t.networks * k;
    let mut done = 0;
    let mut arrays = Vec::new();
    let mut rows = Vec::new();
    for &n in &t.sizes {
        let (mut lam, mut err, mut crossings) = (Vec::new(), Vec::new(), Vec::new());
        let (mut entropy, mut kaplan_yorke, mut spectra) = (Vec::new(), Vec::new(), Vec::new());
        // Networks in parallel: each has its own keyed stream, so the thread count does not
        // change any of them.
        let per_network: Vec<Result<Vec<LyapunovResult>, String>> = (0..t.networks)
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
        for spectra_net in per_network {
            let (mut lam_net, mut err_net) = (Vec::new(), Vec::new());
            for s in spectra_net? {
                lam_net.push(s.exponents[0]);
                err_net.push(s.std_error[0]);
                err.push(s.std_error[0]);
                entropy.push(s.entropy_rate);
                kaplan_yorke.push(s.kaplan_yorke);
                spectra.extend(s.exponents);
            }
            crossings.push(chaos_onset(&t.gains, &lam_net, &err_net));
            lam.extend(lam_net);
        }
        done += t.networks * k;
        progress(done, total);
        // Mean and standard error of the crossing over the networks that have one.
        let found: Vec<f64> = crossings.iter().flatten().copied().collect();
        let m = found.len() as f64;
        let mean = found.iter().sum::<f64>() / m;
        let se = if found.len() > 1 {
            (found.iter().map(|c| (c - mean).powi(2)).sum::<f64>() / (m - 1.0) / m).sqrt()
        } else {
            f64::NAN
        };
        rows.push(json!({
            "n": n,
            "zero_crossing_gain": mean.is_finite().then_some(mean),
            "zero_crossing_std_error": se.is_finite().then_some(se),
            "zero_crossing_per_network": crossings,
            "deviation_from_paper": mean.is_finite().then_some(mean - 1.0),
            "lambda_max_per_step": lam,
            "std_error": err,
            "entropy_rate_per_step": entropy,
            "kaplan_yorke_dimension": kaplan_yorke,
        }));
        let r = t.networks;
        arrays.push((
            format!("lambda_max_{n}"),
            Array::f64(&[r, k], rows_of(&rows, "lambda_max_per_step")),
        ));
        arrays.push((format!("std_error_{n}"), Array::f64(&[r, k], rows_of(&rows, "std_error"))));
        arrays.push((format!("spectra_{n}"), Array::f64(&[r, k, t.n_exponents], spectra)));
    }
    let deviation = |i: usize| rows[i]["deviation_from_paper"].as_f64().map(f64::abs);
    // Finite-size extrapolation: c(N) = c_∞ + a/√N by least squares over every network's
    // crossing.
    let points: Vec<(f64, f64)> = rows
        .iter()
        .flat_map(|r| {
            let x = 1.0 / r["n"].as_f64().unwrap_or(f64::NAN).sqrt();
            r["zero_crossing_per_network"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(move |c| c.as_f64().map(|c| (x, c)))
        })
        .collect();
    let extrapolation = linear_fit(&points).map(|(c_inf, se, slope)| {
        json!({
            "model": "zero_crossing_gain = c_infinity + slope / sqrt(N)",
            "c_infinity": c_inf,
            "c_infinity_std_error": se,
            "slope": slope,
            "abs_c_infinity_minus_paper": (c_inf - 1.0).abs(),
        })
    });
    let last = rows.len() - 1;
    let metrics = json!({
        "name": spec.name,
        "study": "tanh_gain_sweep",
        "sizes": rows,
        "gains": t.gains,
        "networks_per_size": t.networks,
        "n_exponents": t.n_exponents,
        "qr_every": t.qr_every,
        "largest_size": {
            "n": t.sizes[last],
            "zero_crossing_gain": rows[last]["zero_crossing_gain"],
            "abs_deviation_from_paper": deviation(last),
        },
        // > 0 when the crossing moves toward g = 1 from the smallest to the largest size.
        "deviation_shrinks_by": match (deviation(0), deviation(last)) {
            (Some(a), Some(b)) if last > 0 => Some(a - b),
            _ => None,
        },
        "finite_size_extrapolation": extrapolation,
        "paper": "Sompolinsky, Crisanti & Sommers (1988): the largest exponent crosses 0 at g = 1 for N → ∞",
    });
    arrays.push(("gains".into(), Array::f64(&[k], t.gains.clone())));
    arrays.push((
        "sizes".into(),
        Array::f64(&[t.sizes.len()], t.sizes.iter().map(|&n| n as f64).collect()),
    ));
    Ok(StudyResult { arrays, metrics })
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

/// The numbers of field `key` of the last row, flattened.
fn rows_of(rows: &[serde_json::Value], key: &str) -> Vec<f64> {
    rows.last()
        .and_then(|r| r[key].as_array())
        .map(|a| a.iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
        .unwrap_or_default()
}

fn theta_sizes(
    t: &ThetaBalanced,
    spec: &ChaosSpec,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<StudyResult, String> {
    let mut arrays = Vec::new();
    let mut rows = Vec::new();
    for (i, &n) in t.sizes.iter().enumerate() {
        let net = ThetaNetwork::balanced(n, t.in_degree, t.j0, t.eta, t.tau, spec.seed)
            .map_err(|e| e.to_string())?;
        let c = EventSpectrumConfig {
            n_exponents: n,
            n_transient: 20 * n,
            n_spikes: t.spikes_per_neuron * n,
            qr_every: 10,
        };
        // One spectrum, autonomous or under the frozen drive, and its row of metrics.
        let spectrum =
            |drive: Option<FrozenKicks>| -> Result<(serde_json::Value, Vec<f64>), String> {
                let s = theta_event_spectrum_driven(&net, &net.random_phases(spec.seed), &c, drive)
                    .map_err(|e| e.to_string())?;
                let positive = s.exponents.iter().filter(|&&l| l > 0.0).count();
                let row = json!({
                    "mean_rate_hz": s.mean_rate,
                    "lambda_max_per_s": s.exponents[0],
                    "n_positive": positive,
                    "fraction_positive": positive as f64 / n as f64,
                    "entropy_rate_nats_per_s": s.entropy_rate,
                    "entropy_per_neuron_nats_per_s": s.entropy_rate / n as f64,
                    "sum_minus_log_det": s.exponents.iter().sum::<f64>() - s.log_det_rate,
                });
                Ok((row, s.exponents))
            };
        let (mut row, exponents) = spectrum(None)?;
        row["n"] = json!(n);
        row["driven"] = match t.drive {
            Some(d) => {
                let kicks = FrozenKicks { rate_hz: d.rate_hz, weight: d.weight, seed: spec.seed };
                let (driven, exponents) = spectrum(Some(kicks))?;
                arrays.push((format!("driven_spectrum_{n}"), Array::f64(&[n], exponents)));
                driven
            }
            None => serde_json::Value::Null,
        };
        rows.push(row);
        arrays.push((format!("spectrum_{n}"), Array::f64(&[n], exponents)));
        progress(i + 1, t.sizes.len());
    }
    let fractions: Vec<f64> =
        rows.iter().map(|r| r["fraction_positive"].as_f64().unwrap_or(f64::NAN)).collect();
    let spread = fractions.iter().cloned().fold(f64::MIN, f64::max)
        / fractions.iter().cloned().fold(f64::MAX, f64::min)
        - 1.0;
    let mut metrics = json!({
        "name": spec.name,
        "study": "theta_balanced",
        "sizes": rows,
        "paper": "Monteforte & Wolf (2010): extensive chaos — the number of positive exponents and the entropy rate grow in proportion to N",
        "relative_spread_of_positive_fraction": spread,
        "min_lambda_max_per_s": rows
            .iter()
            .map(|r| r["lambda_max_per_s"].as_f64().unwrap_or(f64::NAN))
            .fold(f64::NAN, f64::min),
    });
    if t.drive.is_some() {
        let field = |r: &serde_json::Value, k: &str| r[k].as_f64().unwrap_or(f64::NAN);
        metrics["driven_paper"] = json!(
            "Lajoie, Lin & Shea-Brown (2013): chaos persists under frozen drive (λ_max > 0), with a smaller unstable manifold"
        );
        metrics["driven_still_chaotic"] =
            json!(rows.iter().all(|r| field(&r["driven"], "lambda_max_per_s") > 0.0));
        let ratios: Vec<f64> = rows
            .iter()
            .map(|r| field(&r["driven"], "fraction_positive") / field(r, "fraction_positive"))
            .collect();
        metrics["max_driven_over_autonomous_positive_fraction"] =
            json!(ratios.iter().copied().fold(f64::NAN, f64::max));
        metrics["min_driven_lambda_max_per_s"] = json!(
            rows.iter().map(|r| field(&r["driven"], "lambda_max_per_s")).fold(f64::NAN, f64::min)
        );
        metrics["driven_over_autonomous_positive_fraction"] = json!(ratios);
    }
    arrays.push((
        "sizes".into(),
        Array::f64(&[t.sizes.len()], t.sizes.iter().map(|&n| n as f64).collect()),
    ));
    Ok(StudyResult { arrays, metrics })
}

/// Reliability across trials under frozen drive, the driven spectrum, and the entropy bound
/// against the single-cell extrapolation, per network size.
fn theta_driven(
    t: &ThetaDriven,
    spec: &ChaosSpec,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<StudyResult, String> {
    use rayon::prelude::*;
    let n_transient = (t.transient / t.dt).round() as usize;
    let n_steps = (t.duration / t.dt).round() as usize;
    let total = n_transient + n_steps;
    let (start, end) = (n_transient as f64 * t.dt, total as f64 * t.dt);
    let mut arrays = Vec::new();
    let mut rows = Vec::new();
    for (s_idx, &n) in t.sizes.iter().enumerate() {
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
        let spikes: f64 =
            trials.iter().flatten().map(|s| s.iter().filter(|&&x| x >= start).count() as f64).sum();
        let rate = spikes / (t.trials * n) as f64 / (end - start);
        let active: Vec<f64> = reliability.iter().copied().filter(|r| r.is_finite()).collect();
        let mean_rel = active.iter().sum::<f64>() / active.len().max(1) as f64;
        let reliable = active.iter().filter(|&&r| r > 0.8).count() as f64 / n as f64;
        let h1 = entropy.iter().copied().filter(|h| h.is_finite()).sum::<f64>() / n as f64;

        let config =
            LyapunovConfig { n_exponents: n, n_transient, n_steps, qr_every: 5, n_segments: 10 };
        let s = lyapunov_spectrum(&net, &net.random_phases(spec.seed, u64::MAX), &noise, &config)
            .map_err(|e| e.to_string())?;
        let lam: Vec<f64> = s.exponents.iter().map(|l| l / t.dt).collect();
        let positive = lam.iter().filter(|&&l| l > 0.0).count();
        let bound_bits = s.entropy_rate / t.dt / std::f64::consts::LN_2;
        let extrapolated = n as f64 * h1;
        let sensitivity: Vec<serde_json::Value> = settings
            .iter()
            .enumerate()
            .map(|(j, &(bin, len))| {
                json!({"bin": bin, "word_len": len, "extrapolation_over_bound": n as f64 * mean_entropy(j) / bound_bits})
            })
            .collect();
        rows.push(json!({
            "n": n,
            "mean_rate_per_time": rate,
            "lambda_max_per_time": lam[0],
            "lambda_max_std_error": s.std_error[0] / t.dt,
            "n_positive": positive,
            "fraction_positive": positive as f64 / n as f64,
            "entropy_bound_bits_per_time": bound_bits,
            "single_cell_noise_entropy_bits_per_time": h1,
            "single_cell_extrapolation_bits_per_time": extrapolated,
            "extrapolation_over_bound": extrapolated / bound_bits,
            "word_sensitivity": sensitivity,
            "mean_reliability": mean_rel,
            "fraction_reliable_above_0_8": reliable,
        }));
        arrays.push((format!("spectrum_{n}"), Array::f64(&[n], lam)));
        arrays.push((format!("reliability_{n}"), Array::f64(&[n], reliability.clone())));
        if s_idx == 0 {
            // Rasters across trials of the most and of the least reliable active neuron.
            let order: Vec<usize> = {
                let mut idx: Vec<usize> = (0..n).filter(|&i| reliability[i].is_finite()).collect();
                idx.sort_by(|&a, &b| reliability[b].total_cmp(&reliability[a]));
                idx
            };
            for (label, pick) in [("most", order.first()), ("least", order.last())] {
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
                arrays.push((format!("raster_{label}_neuron"), Array::f64(&[1], vec![i as f64])));
            }
        }
        progress(s_idx + 1, t.sizes.len());
    }
    let ratios: Vec<f64> =
        rows.iter().map(|r| r["extrapolation_over_bound"].as_f64().unwrap_or(f64::NAN)).collect();
    let chaotic = rows.iter().all(|r| r["lambda_max_per_time"].as_f64().unwrap_or(0.0) > 0.0);
    let metrics = json!({
        "name": spec.name,
        "study": "theta_driven",
        "sizes": rows,
        "duration": t.duration,
        "trials": t.trials,
        "word": {"bin": t.bin, "word_len": t.word_len},
        "paper": "Lajoie, Thivierge & Shea-Brown (2014): the network's spike-pattern entropy (bounded by the sum of positive Lyapunov exponents) is an order of magnitude lower than the single-cell extrapolation N·h₁; Lajoie, Lin & Shea-Brown (2013): chaos persists under drive while some neurons spike reliably",
        "paper_value": 10.0,
        "extrapolation_over_bound": ratios,
        "min_extrapolation_over_bound": ratios.iter().copied().fold(f64::NAN, f64::min),
        "max_extrapolation_over_bound": ratios.iter().copied().fold(f64::NAN, f64::max),
        "min_lambda_max_per_time": rows.iter().map(|r| r["lambda_max_per_time"].as_f64().unwrap_or(f64::NAN)).fold(f64::NAN, f64::min),
        "chaotic_under_drive": chaotic,
    });
    arrays.push((
        "sizes".into(),
        Array::f64(&[t.sizes.len()], t.sizes.iter().map(|&n| n as f64).collect()),
    ));
    arrays.push(("driven".into(), Array::f64(&[1], vec![1.0])));
    Ok(StudyResult { arrays, metrics })
}

/// Jacobian spectra of deep networks against depth: empirical moments of `λ = s²` (mean and
/// standard error over networks) next to the free-probability prediction, per case.
fn deep_jacobian(
    t: &DeepJacobian,
    spec: &ChaosSpec,
    progress: &mut dyn FnMut(usize, usize),
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
            let spectra: Vec<Vec<f64>> = (0..t.samples as u64)
                .into_par_iter()
                .map(|k| jacobian_singular_values(&c, spec.seed.wrapping_mul(7919).wrapping_add(k)))
                .collect();
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
            rows.push(json!({
                "case": ci,
                "nonlinearity": format!("{:?}", case.nonlinearity).to_lowercase(),
                "weights": format!("{:?}", case.weights).to_lowercase(),
                "sigma_w": case.sigma_w,
                "sigma_b": case.sigma_b,
                "depth": depth,
                "empirical_moments": mean,
                "std_error": se,
                "predicted_moments": predicted,
                "relative_spread_empirical": width(&mean),
                "relative_spread_predicted": width(&predicted),
            }));
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
            progress(done, total);
        }
        let d = t.depths.len();
        arrays.push((format!("spread_empirical_case{ci}"), Array::f64(&[d], emp_width)));
        arrays.push((format!("spread_predicted_case{ci}"), Array::f64(&[d], pred_width)));
    }
    let deepest = *t.depths.iter().max().expect("non-empty");
    let spread_at_deepest: Vec<f64> = rows
        .iter()
        .filter(|r| r["depth"] == deepest)
        .map(|r| r["relative_spread_empirical"].as_f64().unwrap_or(f64::NAN))
        .collect();
    let labels: Vec<String> = t
        .cases
        .iter()
        .map(|c| format!("{:?} {:?} σw={:.3}", c.nonlinearity, c.weights, c.sigma_w).to_lowercase())
        .collect();
    let metrics = json!({
        "name": spec.name,
        "study": "deep_jacobian",
        "width": t.width,
        "samples": t.samples,
        "rows": rows,
        "case_labels": labels,
        "largest_deviation_in_standard_errors": worst_z,
        "deepest": deepest,
        "spread_at_deepest": spread_at_deepest,
        "paper": "Pennington, Schoenholz & Ganguli (2017): the squared singular values of the input-output Jacobian follow the free-probability prediction; orthogonal tanh networks near criticality keep their spread small with depth (dynamical isometry), ReLU and Gaussian networks cannot",
    });
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
