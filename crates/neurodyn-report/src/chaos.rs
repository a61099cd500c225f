//! The figures of a chaos study, built from `chaos.npz`.

use crate::Fig;
use crate::svg::{Marker, Plot};
use neurodyn_io::IoError;
use neurodyn_io::npz::read_f64;
use std::path::Path;

use crate::COLORS;

/// One size's curve: `(N, (mean per gain, standard error per gain))`.
pub type SizeCurve = (usize, (Vec<f64>, Vec<f64>));

/// λ_max against the gain, one curve per size, with the zero line and the infinite-size
/// transition g = 1.
pub fn lambda_vs_gain(gains: &[f64], curves: &[SizeCurve], theory: Option<&[f64]>) -> String {
    let mut p = Plot::new("Largest Lyapunov exponent vs gain", "gain g", "λ_max [1/step]");
    let lo = gains.iter().cloned().fold(f64::MAX, f64::min);
    let hi = gains.iter().cloned().fold(f64::MIN, f64::max);
    p.dashed(&[lo, hi], &[0.0, 0.0], "#999999", 1.0);
    let all = curves.iter().flat_map(|(_, (m, _))| m.iter().copied());
    let (ymin, ymax) = all.fold((f64::MAX, f64::MIN), |(a, b), y| (a.min(y), b.max(y)));
    for (i, (n, (mean, se))) in curves.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        for ((g, l), e) in gains.iter().zip(mean).zip(se) {
            if e.is_finite() {
                p.line(&[*g, *g], &[l - 2.0 * e, l + 2.0 * e], color, 0.8);
            }
        }
        p.line(gains, mean, color, 1.5);
        p.points(gains, mean, color, Marker::Dot, 3.0);
        p.legend(&format!("N = {n}"), color, Some(Marker::Dot));
    }
    p.dashed(&[1.0, 1.0], &[ymin, ymax], "#d62728", 1.0);
    p.legend("g = 1 (theory, N → ∞)", "#d62728", None);
    if let Some(t) = theory {
        p.dashed(gains, t, "#000000", 1.2);
        p.legend("mean field (N → ∞)", "#000000", None);
    }
    p.to_svg()
}

/// Mean and standard error over the rows of a `rows × columns` array (NaN error for one row).
fn mean_over_rows(data: &[f64], columns: usize) -> (Vec<f64>, Vec<f64>) {
    let rows = data.len() / columns.max(1);
    let col = |j: usize| data.iter().skip(j).step_by(columns).copied().collect::<Vec<f64>>();
    (0..columns)
        .map(|j| {
            let v = col(j);
            let m = v.iter().sum::<f64>() / rows as f64;
            let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (rows as f64 - 1.0);
            (m, (var / rows as f64).sqrt())
        })
        .unzip()
}

/// Lyapunov spectra `λ_i` against `i/N`, one line per network size, in `unit`.
pub fn spectra(sizes: &[usize], spectra: &[Vec<f64>], unit: &str) -> String {
    let mut p = Plot::new(
        "Lyapunov spectra (extensive chaos: curves collapse in i/N)",
        "i / N",
        &format!("λ_i [{unit}]"),
    );
    p.dashed(&[0.0, 1.0], &[0.0, 0.0], "#999999", 1.0);
    for (m, (n, s)) in sizes.iter().zip(spectra).enumerate() {
        let xs: Vec<f64> = (0..s.len()).map(|i| (i as f64 + 0.5) / *n as f64).collect();
        let color = COLORS[m % COLORS.len()];
        p.line(&xs, s, color, 1.2);
        p.legend(&format!("N = {n}"), color, None);
    }
    p.to_svg()
}

/// Spike rasters of single neurons across trials of the same frozen drive (one row per trial),
/// side by side: `(label, times, trial indices)`.
pub fn trial_rasters(panels: &[(String, Vec<f64>, Vec<f64>)], duration: f64) -> String {
    let plots: Vec<Plot> = panels
        .iter()
        .map(|(label, times, trials)| {
            let mut p = Plot::new(label, "time [units]", "trial");
            p.dashed(&[0.0, duration], &[-1.0, -1.0], "#ffffff", 0.1);
            p.points(times, trials, "#222222", Marker::Dot, 1.2);
            p
        })
        .collect();
    crate::svg::stack(&plots)
}

/// Histogram of per-neuron reliability as a fraction of the active neurons (NaN entries,
/// silent neurons, left out).
pub fn reliability_histogram(reliability: &[f64]) -> String {
    let active: Vec<f64> = reliability.iter().copied().filter(|r| r.is_finite()).collect();
    crate::spiking::histogram(
        "Spike reliability across trials",
        "Schreiber reliability",
        &[("active neurons", active)],
        0.0,
        1.0,
        20,
    )
}

/// Relative spread of `λ = s²`, `(m₂ − m₁²)/m₁²`, against depth: measured (dots) and predicted
/// by free probability (lines), one colour per case.
pub fn spread_vs_depth(depths: &[f64], cases: &[(String, Vec<f64>, Vec<f64>)]) -> String {
    let mut p = Plot::new(
        "Jacobian spectrum spread vs depth",
        "depth L",
        "(m₂ − m₁²)/m₁² of λ = s² (log10)",
    )
    .log_y();
    for (m, (label, measured, predicted)) in cases.iter().enumerate() {
        let color = COLORS[m % COLORS.len()];
        p.line(depths, predicted, color, 1.2);
        p.points(depths, measured, color, Marker::Dot, 3.0);
        p.legend(label, color, Some(Marker::Dot));
    }
    p.to_svg()
}

/// Histograms (as density outlines) of singular values, one per case, with the predicted
/// densities `(grid, one per case)` dashed when given.
pub fn singular_value_histograms(
    cases: &[(String, Vec<f64>)],
    predicted: Option<(&[f64], &[Vec<f64>])>,
) -> String {
    let hi = cases.iter().flat_map(|c| c.1.iter()).cloned().fold(0.0, f64::max).min(4.0);
    let bins = 60;
    let mut p =
        Plot::new("Singular values of J at the deepest depth", "singular value s", "density");
    for (m, (label, values)) in cases.iter().enumerate() {
        let mut counts = vec![0.0; bins];
        for v in values.iter().filter(|v| **v <= hi) {
            counts[((v / hi * bins as f64) as usize).min(bins - 1)] += 1.0;
        }
        let scale = bins as f64 / hi / values.len().max(1) as f64;
        let xs: Vec<f64> = (0..bins).map(|b| (b as f64 + 0.5) * hi / bins as f64).collect();
        let ys: Vec<f64> = counts.iter().map(|c| c * scale).collect();
        let color = COLORS[m % COLORS.len()];
        p.line(&xs, &ys, color, 1.2);
        p.legend(label, color, None);
        if let Some((grid, densities)) = predicted
            && let Some(rho) = densities.get(m)
        {
            let (gx, gy): (Vec<f64>, Vec<f64>) =
                grid.iter().zip(rho).filter(|(s, _)| **s <= hi).map(|(s, r)| (*s, *r)).unzip();
            p.dashed(&gx, &gy, color, 1.0);
        }
    }
    if predicted.is_some() {
        p.legend("free probability (dashed)", "#777777", None);
    }
    p.to_svg()
}

/// λ_max vs gain, or spectra of growing networks.
pub fn figures(dir: &Path, metrics: &serde_json::Value) -> Result<Vec<Fig>, IoError> {
    let path = dir.join("chaos.npz");
    if let Ok((_, gains)) = read_f64(&path, "gains") {
        let (_, sizes) = read_f64(&path, "sizes")?;
        let curves = sizes
            .iter()
            .map(|&n| {
                let (shape, lambda) = read_f64(&path, &format!("lambda_max_{n}"))?;
                Ok((n as usize, mean_over_rows(&lambda, shape[1])))
            })
            .collect::<Result<Vec<_>, IoError>>()?;
        let theory = read_f64(&path, "mean_field_lambda_max").ok().map(|(_, t)| t);
        return Ok(vec![(
            "lambda_vs_gain.svg".into(),
            lambda_vs_gain(&gains, &curves, theory.as_deref()),
            "Largest Lyapunov exponent of h ← tanh(g W h) against g for each size N: mean over networks, ±2 standard errors across networks (or across time segments for one network), and the mean-field prediction for N → ∞ (black dashed), which turns positive at g = 1.",
        )]);
    }
    if let Ok((_, n_cases)) = read_f64(&path, "n_cases") {
        return deep_jacobian_figures(dir, metrics, n_cases[0] as usize);
    }
    let (_, sizes) = read_f64(&path, "sizes")?;
    let sizes: Vec<usize> = sizes.iter().map(|&n| n as usize).collect();
    let measured = sizes
        .iter()
        .map(|n| read_f64(&path, &format!("spectrum_{n}")).map(|(_, s)| s))
        .collect::<Result<Vec<_>, _>>()?;
    if read_f64(&path, "driven").is_err() {
        let mut figures = vec![(
            "spectra.svg".to_string(),
            spectra(&sizes, &measured, "1/s"),
            "Full Lyapunov spectra of balanced theta networks of growing size against i/N: extensive chaos makes them collapse onto one curve.",
        )];
        let driven: Result<Vec<_>, _> = sizes
            .iter()
            .map(|n| read_f64(&path, &format!("driven_spectrum_{n}")).map(|(_, s)| s))
            .collect();
        if let Ok(driven) = driven {
            figures.push((
                "driven_spectra.svg".into(),
                spectra(&sizes, &driven, "1/s"),
                "The same networks under one frozen Poisson pulse drive (exact, event-based): compare with the autonomous spectra above.",
            ));
        }
        return Ok(figures);
    }
    let mut panels = Vec::new();
    for label in ["most", "intermittent", "least"] {
        if let (Ok((_, times)), Ok((_, trials)), Ok((_, neuron))) = (
            read_f64(&path, &format!("raster_{label}_times")),
            read_f64(&path, &format!("raster_{label}_trials")),
            read_f64(&path, &format!("raster_{label}_neuron")),
        ) {
            let title = format!("{label} reliable neuron ({})", neuron[0]);
            panels.push((title, times, trials));
        }
    }
    let duration = panels.iter().flat_map(|p| p.1.iter()).cloned().fold(0.0, f64::max);
    let (_, reliability) = read_f64(&path, &format!("reliability_{}", sizes[0]))?;
    let mut figures = Vec::new();
    if let (Ok((_, starts)), Ok((shape, values))) = (
        read_f64(&path, &format!("window_starts_{}", sizes[0])),
        read_f64(&path, &format!("window_reliability_{}", sizes[0])),
    ) {
        let threshold = metrics["sizes"][0]["intermittency"]["threshold"].as_f64().unwrap_or(0.8);
        figures.push((
            "windowed_reliability.svg".to_string(),
            windowed_reliability(&starts, &values, shape[1], threshold),
            "Reliability of single neurons of the smallest network in sliding windows (same frozen drive, trials differing in the initial state): the neuron nearest each quantile of the fraction of reliable windows, and that fraction's distribution. Neurons between the extremes alternate between reliable and unreliable epochs.",
        ));
    }
    figures.splice(0..0, [
        (
            "spectra.svg".into(),
            spectra(&sizes, &measured, "1/time unit"),
            "Lyapunov spectra of the driven networks against i/N (one frozen stimulus): positive exponents persist under drive and their number grows with N.",
        ),
        (
            "reliability_rasters.svg".into(),
            trial_rasters(&panels, duration),
            "Spikes of single neurons across trials that differ only in the initial state (same frozen drive): reliable and unreliable cells coexist in the chaotic network.",
        ),
        (
            "reliability.svg".into(),
            reliability_histogram(&reliability),
            "Schreiber reliability of every active neuron of the smallest network across trials.",
        ),
    ]);
    Ok(figures)
}

/// Windowed reliability over time of five neurons (those nearest the 0, 25, 50, 75 and 100 %
/// quantiles of the fraction of reliable windows) with the threshold, above the histogram of
/// that fraction over active neurons. `values` is `neurons × windows`, NaN where silent.
pub fn windowed_reliability(starts: &[f64], values: &[f64], m: usize, threshold: f64) -> String {
    let rows: Vec<&[f64]> = values.chunks(m).collect();
    let mut fractions: Vec<(usize, f64)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.iter().any(|v| v.is_finite()))
        .map(|(i, r)| (i, r.iter().filter(|&&v| v > threshold).count() as f64 / m as f64))
        .collect();
    fractions.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut p =
        Plot::new("Reliability in sliding windows", "window start [time units]", "reliability");
    let (lo, hi) = (starts.first().copied().unwrap_or(0.0), starts.last().copied().unwrap_or(1.0));
    p.dashed(&[lo, hi], &[threshold, threshold], "#888888", 1.0);
    if !fractions.is_empty() {
        let colors = ["#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#d62728"];
        let last = fractions.len() - 1;
        let mut shown = Vec::new();
        for (q, color) in [0.0, 0.25, 0.5, 0.75, 1.0].iter().zip(colors) {
            let (i, f) = fractions[(q * last as f64).round() as usize];
            if shown.contains(&i) {
                continue;
            }
            shown.push(i);
            let ys: Vec<f64> =
                rows[i].iter().map(|v| if v.is_finite() { *v } else { 0.0 }).collect();
            p.line(starts, &ys, color, 1.2);
            p.legend(&format!("neuron {i}: reliable {:.0} %", 100.0 * f), color, None);
        }
    }
    let histogram = crate::spiking::histogram_plot(
        "Fraction of reliable windows per neuron",
        "fraction of windows above the threshold",
        &[("active neurons", fractions.iter().map(|f| f.1).collect())],
        0.0,
        1.0,
        20,
    );
    crate::svg::stack(&[p, histogram])
}

/// Spread against depth and singular-value histograms of deep Jacobians.
fn deep_jacobian_figures(
    dir: &Path,
    metrics: &serde_json::Value,
    n_cases: usize,
) -> Result<Vec<Fig>, IoError> {
    let path = dir.join("chaos.npz");
    let label = |i: usize| metrics["case_labels"][i].as_str().unwrap_or("case").to_string();
    let (_, depths) = read_f64(&path, "depths")?;
    let mut spreads = Vec::new();
    let mut histograms = Vec::new();
    for i in 0..n_cases {
        let (_, measured) = read_f64(&path, &format!("spread_empirical_case{i}"))?;
        let (_, predicted) = read_f64(&path, &format!("spread_predicted_case{i}"))?;
        spreads.push((label(i), measured, predicted));
        histograms.push((label(i), read_f64(&path, &format!("singular_values_case{i}"))?.1));
    }
    let grid = read_f64(&path, "density_grid").map(|(_, g)| g);
    let predicted: Result<Vec<Vec<f64>>, _> = (0..n_cases)
        .map(|i| read_f64(&path, &format!("predicted_density_case{i}")).map(|(_, d)| d))
        .collect();
    let predicted = match (&grid, &predicted) {
        (Ok(g), Ok(d)) => Some((g.as_slice(), d.as_slice())),
        _ => None,
    };
    Ok(vec![
        (
            "spread_vs_depth.svg".into(),
            spread_vs_depth(&depths, &spreads),
            "Relative spread of the squared singular values of the input-output Jacobian against depth: measured (dots, mean over networks) and the free-probability prediction (lines).",
        ),
        (
            "singular_values.svg".into(),
            singular_value_histograms(&histograms, predicted),
            "Singular values of one network per case at the deepest depth (solid), with the free-probability density (dashed).",
        ),
    ])
}
