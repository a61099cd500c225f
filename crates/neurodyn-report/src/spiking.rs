//! The figures of a spiking run, built from `spikes.npz` and `metrics.json`.

use crate::Fig;
use crate::svg::{Marker, Plot};
use neurodyn_analysis::spikes::isi_cv;
use neurodyn_io::IoError;
use neurodyn_io::npz::read_f64;
use std::path::Path;

use crate::COLORS;

/// One population's recorded spikes.
pub struct PopulationSpikes<'a> {
    /// Name.
    pub name: &'a str,
    /// Number of neurons.
    pub n: usize,
    /// Spike times [ms].
    pub times: &'a [f64],
    /// Spiking neuron of each spike.
    pub senders: &'a [f64],
}

/// Raster of the first `max_neurons` neurons of each population over the first `window` ms,
/// populations stacked.
pub fn raster(pops: &[PopulationSpikes<'_>], max_neurons: usize, window: f64) -> String {
    let mut p = Plot::new("Spike raster", "time [ms]", "neuron").with_size(760.0, 400.0);
    let mut offset = 0.0;
    for (i, pop) in pops.iter().enumerate() {
        let shown = pop.n.min(max_neurons);
        let (xs, ys): (Vec<f64>, Vec<f64>) = pop
            .times
            .iter()
            .zip(pop.senders)
            .filter(|(t, j)| **t < window && (**j as usize) < shown)
            .map(|(t, j)| (*t, j + offset))
            .unzip();
        let color = COLORS[i % COLORS.len()];
        p.points(&xs, &ys, color, Marker::Dot, 1.2);
        p.legend(&format!("{} ({shown} of {})", pop.name, pop.n), color, Some(Marker::Dot));
        offset += shown as f64;
    }
    p.to_svg()
}

/// Population rates [Hz] in `bin` ms bins from per-step spike counts.
pub fn rates(
    names: &[&str],
    sizes: &[f64],
    counts: &[f64],
    n_steps: usize,
    dt: f64,
    bin: f64,
) -> String {
    let per_bin = ((bin / dt).round() as usize).max(1);
    let n_bins = n_steps / per_bin;
    let mut p = Plot::new("Population rates", "time [ms]", "rate [Hz]").with_size(760.0, 300.0);
    for (i, name) in names.iter().enumerate() {
        let row = &counts[i * n_steps..(i + 1) * n_steps];
        let xs: Vec<f64> = (0..n_bins).map(|b| (b as f64 + 0.5) * per_bin as f64 * dt).collect();
        let ys: Vec<f64> = (0..n_bins)
            .map(|b| {
                let c: f64 = row[b * per_bin..(b + 1) * per_bin].iter().sum();
                c / (sizes[i] * per_bin as f64 * dt * 1e-3)
            })
            .collect();
        let color = COLORS[i % COLORS.len()];
        p.line(&xs, &ys, color, 1.0);
        p.legend(name, color, None);
    }
    p.to_svg()
}

/// Histogram of `values` per population as step outlines (fractions of each series).
pub(crate) fn histogram(
    title: &str,
    x_label: &str,
    series: &[(&str, Vec<f64>)],
    lo: f64,
    hi: f64,
    n_bins: usize,
) -> String {
    histogram_plot(title, x_label, series, lo, hi, n_bins).to_svg()
}

/// [`histogram`] as a plot, to stack with others.
pub(crate) fn histogram_plot(
    title: &str,
    x_label: &str,
    series: &[(&str, Vec<f64>)],
    lo: f64,
    hi: f64,
    n_bins: usize,
) -> Plot {
    let mut p = Plot::new(title, x_label, "fraction of neurons");
    let width = (hi - lo) / n_bins as f64;
    for (i, (name, values)) in series.iter().enumerate() {
        let mut counts = vec![0.0; n_bins];
        for &v in values {
            if v.is_finite() {
                let b = (((v - lo) / width).floor().max(0.0) as usize).min(n_bins - 1);
                counts[b] += 1.0;
            }
        }
        let total = values.len().max(1) as f64;
        let (mut xs, mut ys) = (vec![lo], vec![0.0]);
        for (b, c) in counts.iter().enumerate() {
            let x0 = lo + b as f64 * width;
            xs.extend([x0, x0 + width]);
            ys.extend([c / total, c / total]);
        }
        xs.push(hi);
        ys.push(0.0);
        let color = COLORS[i % COLORS.len()];
        p.line(&xs, &ys, color, 1.2);
        p.legend(name, color, None);
    }
    p
}

/// Spike trains per neuron from times and senders.
fn trains(pop: &PopulationSpikes<'_>) -> Vec<Vec<f64>> {
    let mut t = vec![Vec::new(); pop.n];
    for (&s, &j) in pop.times.iter().zip(pop.senders) {
        t[j as usize].push(s);
    }
    t
}

/// Histogram of single-neuron firing rates.
pub fn rate_histogram(pops: &[PopulationSpikes<'_>], duration: f64) -> String {
    let series: Vec<(&str, Vec<f64>)> = pops
        .iter()
        .map(|p| (p.name, trains(p).iter().map(|t| t.len() as f64 / (duration * 1e-3)).collect()))
        .collect();
    let hi = series.iter().flat_map(|(_, v)| v.iter().copied()).fold(1.0, f64::max) * 1.05;
    histogram("Firing rates", "rate [Hz]", &series, 0.0, hi, 40)
}

/// Histogram of the ISI coefficient of variation (neurons with at least 3 spikes).
pub fn isi_cv_histogram(pops: &[PopulationSpikes<'_>]) -> String {
    let series: Vec<(&str, Vec<f64>)> = pops
        .iter()
        .map(|p| (p.name, trains(p).iter().map(|t| isi_cv(t)).filter(|c| c.is_finite()).collect()))
        .collect();
    histogram("ISI coefficient of variation", "CV of inter-spike intervals", &series, 0.0, 2.0, 40)
}

/// Raster, population rates, rate and ISI-CV histograms of a spiking run.
pub fn figures(dir: &Path, metrics: &serde_json::Value) -> Result<Vec<Fig>, IoError> {
    let path = dir.join("spikes.npz");
    let duration = metrics["simulated_ms"].as_f64().unwrap_or(0.0);
    let names: Vec<String> =
        metrics["populations"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    let mut data = Vec::new();
    for name in &names {
        let (_, times) = read_f64(&path, &format!("{name}_times"))?;
        let (_, senders) = read_f64(&path, &format!("{name}_senders"))?;
        let n = metrics["populations"][name]["n"].as_u64().unwrap_or(0) as usize;
        data.push((name.as_str(), n, times, senders));
    }
    let pops: Vec<PopulationSpikes<'_>> = data
        .iter()
        .map(|(name, n, times, senders)| PopulationSpikes { name, n: *n, times, senders })
        .collect();
    let (cshape, counts) = read_f64(&path, "counts")?;
    let (_, sizes) = read_f64(&path, "population_sizes")?;
    let (_, dt) = read_f64(&path, "dt")?;
    // `counts` covers every population in network order, recorded or not.
    let order: Vec<&str> = metrics["population_order"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    let all_names: Vec<&str> =
        if order.len() == cshape[0] { order } else { vec!["population"; cshape[0]] };
    Ok(vec![
        (
            "raster.svg".into(),
            raster(&pops, 200, duration.min(1000.0)),
            "Spikes of the first 200 neurons of each recorded population over the first second.",
        ),
        (
            "rates.svg".into(),
            rates(&all_names, &sizes, &counts, cshape[1], dt[0], 5.0),
            "Population rates in 5 ms bins.",
        ),
        (
            "rate_histogram.svg".into(),
            rate_histogram(&pops, duration),
            "Distribution of single-neuron firing rates over the whole run.",
        ),
        (
            "isi_cv_histogram.svg".into(),
            isi_cv_histogram(&pops),
            "Distribution of the coefficient of variation of inter-spike intervals (neurons with at least 3 spikes); 1 for a Poisson process.",
        ),
    ])
}
