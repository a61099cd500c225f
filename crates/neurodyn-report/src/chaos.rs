//! The figures of a chaos study, built from `chaos.npz`.

use crate::svg::{Marker, Plot};

const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// λ_max against the gain, with ±2 standard errors and the zero line.
pub fn lambda_vs_gain(gains: &[f64], lambda: &[f64], std_error: &[f64]) -> String {
    let mut p = Plot::new("Largest Lyapunov exponent vs gain", "gain g", "λ_max [1/step]");
    let lo = gains.iter().cloned().fold(f64::MAX, f64::min);
    let hi = gains.iter().cloned().fold(f64::MIN, f64::max);
    p.dashed(&[lo, hi], &[0.0, 0.0], "#999999", 1.0);
    for ((g, l), e) in gains.iter().zip(lambda).zip(std_error) {
        p.line(&[*g, *g], &[l - 2.0 * e, l + 2.0 * e], "#777777", 1.0);
    }
    p.line(gains, lambda, COLORS[0], 1.5);
    p.points(gains, lambda, COLORS[0], Marker::Dot, 3.0);
    p.dashed(
        &[1.0, 1.0],
        &[
            lambda.iter().cloned().fold(f64::MAX, f64::min),
            lambda.iter().cloned().fold(f64::MIN, f64::max),
        ],
        "#d62728",
        1.0,
    );
    p.legend("λ_max ± 2 s.e.", COLORS[0], Some(Marker::Dot)).legend(
        "g = 1 (theory)",
        "#d62728",
        None,
    );
    p.to_svg()
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
