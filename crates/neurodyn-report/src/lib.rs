//! # neurodyn-report
//!
//! Turns a run directory into figures (SVG files) and one self-contained `report.html`: the
//! figures inline, the metrics, the resolved spec and the manifest — no scripts, no network.
//! The same code serves `neurodyn run` and `neurodyn report <run-dir>` (re-render), because it
//! reads only what the run directory holds.
//!
//! ```no_run
//! let report = neurodyn_report::render(std::path::Path::new("runs/flipflop_3bit-…")).unwrap();
//! for (file, svg) in &report.figures { println!("{file}: {} bytes", svg.len()); }
//! ```
#![deny(missing_docs)]

pub mod chaos;
pub mod compare;
pub mod decomp;
pub mod figures;
pub mod spiking;
pub mod svg;

use figures::Seq;
use neurodyn_io::IoError;
use neurodyn_io::npz::read_f64;
use neurodyn_io::run_dir::read_text;
use std::path::Path;
use svg::escape;

/// A rendered report: figure files and the HTML page.
#[derive(Clone, Debug)]
pub struct Report {
    /// `(file name, SVG text)` of each figure.
    pub figures: Vec<(String, String)>,
    /// The self-contained HTML page.
    pub html: String,
}

/// Renders the report of the run in `dir` (complete or still partial).
pub fn render(dir: &Path) -> Result<Report, IoError> {
    let spec = read_text(&dir.join("spec.toml"))?;
    let metrics = read_text(&dir.join("metrics.json"))?;
    let manifest = read_text(&dir.join("manifest.json")).unwrap_or_else(|_| "{}".into());
    let title = dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("run")
        .trim_start_matches('.')
        .to_string();
    // The kind of run is told by the arrays it wrote.
    let figures = if dir.join("chaos.npz").exists() {
        chaos_figures(dir, &metrics)?
    } else if dir.join("amp.npz").exists() {
        amp_figures(dir)?
    } else if dir.join("comparison.npz").exists() {
        compare_figures(dir, &metrics)?
    } else if dir.join("factors.npz").exists() {
        decomp_figures(dir)?
    } else if dir.join("spikes.npz").exists() {
        spiking_figures(dir, &metrics)?
    } else {
        rnn_figures(dir, &spec)?
    };
    let html = page(&title, &metrics, &figures, &spec, &manifest);
    Ok(Report { figures: figures.into_iter().map(|(f, s, _)| (f, s)).collect(), html })
}

/// Loss, an example trial, the state space with fixed points, and Jacobian eigenvalues of an
/// RNN run.
fn rnn_figures(dir: &Path, spec: &str) -> Result<Vec<(String, String, &'static str)>, IoError> {
    let mut figures: Vec<(String, String, &'static str)> = Vec::new();

    let (_, loss) = read_f64(&dir.join("training.npz"), "loss")?;
    figures.push(("loss.svg".into(), figures::loss_curve(&loss), "Training loss."));

    let traj = dir.join("trajectories.npz");
    let (shape, inputs) = read_f64(&traj, "inputs")?;
    let (oshape, targets) = read_f64(&traj, "targets")?;
    let (_, mask) = read_f64(&traj, "mask")?;
    let (_, outputs) = read_f64(&traj, "outputs")?;
    figures.push((
        "example_trial.svg".into(),
        figures::example_trial(
            &seq(&inputs, &shape),
            &seq(&targets, &oshape),
            &seq(&mask, &oshape),
            &seq(&outputs, &oshape),
            0,
        ),
        "A held-out trial: inputs (grey), target where scored (dashed) and the network's output.",
    ));

    let fp = dir.join("fixed_points.npz");
    let (_, stability) = read_f64(&fp, "stability")?;
    let stability: Vec<i32> = stability.iter().map(|&s| s as i32).collect();
    let (eshape, re) = read_f64(&fp, "eigenvalues_re")?;
    let (_, im) = read_f64(&fp, "eigenvalues_im")?;
    let n_plot = neurodyn_io::spec::parse(spec, "spec.toml")
        .map_err(|e| IoError::format(dir.join("spec.toml"), e))?
        .evaluation
        .n_plot_trials;
    if let (Ok((pshape, pcs)), Ok((_, points_pcs))) =
        (read_f64(&traj, "states_pcs"), read_f64(&fp, "points_pcs"))
    {
        figures.push((
            "state_space.svg".into(),
            figures::state_space(&seq(&pcs, &pshape), n_plot, &points_pcs, &stability),
            "Held-out trajectories projected on their top three principal components, with the fixed points (dot: stable, cross: saddle, square: unstable).",
        ));
    }
    let dim = eshape.get(1).copied().unwrap_or(0);
    figures.push((
        "eigenvalues.svg".into(),
        figures::eigenvalues(&re, &im, dim, &stability),
        "Eigenvalues of the state Jacobian at every fixed point; the dashed line is the unit circle (|λ| = 1).",
    ));

    Ok(figures)
}

/// λ_max vs gain, or spectra of growing networks.
fn chaos_figures(
    dir: &Path,
    metrics: &str,
) -> Result<Vec<(String, String, &'static str)>, IoError> {
    let path = dir.join("chaos.npz");
    if let Ok((_, gains)) = read_f64(&path, "gains") {
        let (_, lambda) = read_f64(&path, "lambda_max")?;
        let (_, err) = read_f64(&path, "std_error")?;
        return Ok(vec![(
            "lambda_vs_gain.svg".into(),
            chaos::lambda_vs_gain(&gains, &lambda, &err),
            "Largest Lyapunov exponent of h ← tanh(g W h) against g, with ±2 standard errors across segments; theory puts the transition to chaos at g = 1.",
        )]);
    }
    if let Ok((_, n_cases)) = read_f64(&path, "n_cases") {
        return deep_jacobian_figures(dir, metrics, n_cases[0] as usize);
    }
    let (_, sizes) = read_f64(&path, "sizes")?;
    let sizes: Vec<usize> = sizes.iter().map(|&n| n as usize).collect();
    let spectra = sizes
        .iter()
        .map(|n| read_f64(&path, &format!("spectrum_{n}")).map(|(_, s)| s))
        .collect::<Result<Vec<_>, _>>()?;
    if read_f64(&path, "driven").is_err() {
        let mut figures = vec![(
            "spectra.svg".to_string(),
            chaos::spectra(&sizes, &spectra, "1/s"),
            "Full Lyapunov spectra of balanced theta networks of growing size against i/N: extensive chaos makes them collapse onto one curve.",
        )];
        let driven: Result<Vec<_>, _> = sizes
            .iter()
            .map(|n| read_f64(&path, &format!("driven_spectrum_{n}")).map(|(_, s)| s))
            .collect();
        if let Ok(driven) = driven {
            figures.push((
                "driven_spectra.svg".into(),
                chaos::spectra(&sizes, &driven, "1/s"),
                "The same networks under one frozen Poisson pulse drive (exact, event-based): compare with the autonomous spectra above.",
            ));
        }
        return Ok(figures);
    }
    let mut panels = Vec::new();
    for label in ["most", "least"] {
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
    Ok(vec![
        (
            "spectra.svg".into(),
            chaos::spectra(&sizes, &spectra, "1/time unit"),
            "Lyapunov spectra of the driven networks against i/N (one frozen stimulus): positive exponents persist under drive and their number grows with N.",
        ),
        (
            "reliability_rasters.svg".into(),
            chaos::trial_rasters(&panels, duration),
            "Spikes of single neurons across trials that differ only in the initial state (same frozen drive): reliable and unreliable cells coexist in the chaotic network.",
        ),
        (
            "reliability.svg".into(),
            chaos::reliability_histogram(&reliability),
            "Schreiber reliability of every active neuron of the smallest network across trials.",
        ),
    ])
}

/// Spread against depth and singular-value histograms of deep Jacobians.
fn deep_jacobian_figures(
    dir: &Path,
    metrics: &str,
    n_cases: usize,
) -> Result<Vec<(String, String, &'static str)>, IoError> {
    let path = dir.join("chaos.npz");
    let metrics: serde_json::Value = serde_json::from_str(metrics).unwrap_or_default();
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
            chaos::spread_vs_depth(&depths, &spreads),
            "Relative spread of the squared singular values of the input-output Jacobian against depth: measured (dots, mean over networks) and the free-probability prediction (lines).",
        ),
        (
            "singular_values.svg".into(),
            chaos::singular_value_histograms(&histograms, predicted),
            "Singular values of one network per case at the deepest depth (solid), with the free-probability density (dashed).",
        ),
    ])
}

/// Similarity and topology matrices of compared networks.
fn compare_figures(
    dir: &Path,
    metrics: &str,
) -> Result<Vec<(String, String, &'static str)>, IoError> {
    let path = dir.join("comparison.npz");
    let metrics: serde_json::Value = serde_json::from_str(metrics).unwrap_or_default();
    let labels: Vec<String> = metrics["networks"]
        .as_array()
        .map(|a| a.iter().map(|n| n["name"].as_str().unwrap_or("?").to_string()).collect())
        .unwrap_or_default();
    let read = |k: &str| read_f64(&path, k).map(|(_, v)| v);
    let panels = vec![
        ("SVCCA", read("svcca")?, 0.0, 1.0),
        ("linear CKA", read("linear_cka")?, 0.0, 1.0),
        ("same fixed-point topology", read("same_topology")?, 0.0, 1.0),
    ];
    Ok(vec![(
        "comparison.svg".into(),
        compare::matrices(&labels, &panels),
        "Geometry (SVCCA, linear CKA of hidden states on one held-out batch) and fixed-point topology (same memories and same saddle connections: 1) between every pair of networks.",
    )])
}

/// Error against SNR for AMP and ALS.
fn amp_figures(dir: &Path) -> Result<Vec<(String, String, &'static str)>, IoError> {
    let path = dir.join("amp.npz");
    let (_, snrs) = read_f64(&path, "snrs")?;
    let names = [
        ("amp_rescaled_mse", "AMP (rescaled)"),
        ("als_rescaled_mse", "ALS (rescaled)"),
        ("amp_mse", "AMP (own scale)"),
        ("state_evolution_mse", "state evolution"),
        ("prior_mean_rescaled_mse", "prior mean alone"),
    ];
    let curves = names
        .iter()
        .map(|(k, _)| read_f64(&path, k).map(|(_, v)| v))
        .collect::<Result<Vec<_>, _>>()?;
    let labelled: Vec<(&str, &[f64])> =
        names.iter().zip(&curves).map(|((_, l), c)| (*l, c.as_slice())).collect();
    let threshold = read_f64(&path, "als_threshold").ok().and_then(|(_, t)| t.first().copied());
    Ok(vec![(
        "amp_vs_als.svg".into(),
        decomp::amp_vs_als(&snrs, &labelled, threshold.filter(|t| t.is_finite())),
        "Error of AMP and ALS against SNR on planted spiked data (mean over trials). Rescaled: after the best rescaling of each estimate; AMP's own-scale MSE should follow state evolution.",
    )])
}

/// Loss curve, components and (with a rank sweep) error and stability vs rank.
fn decomp_figures(dir: &Path) -> Result<Vec<(String, String, &'static str)>, IoError> {
    let path = dir.join("factors.npz");
    let (_, loss) = read_f64(&path, "loss")?;
    let mut figures = vec![(
        "loss.svg".to_string(),
        figures::loss_curve(&loss),
        "Objective per sweep (½‖M ⊙ (X − X̂)‖², plus the seqNMF penalty if any).",
    )];
    // NMF: columns of W; convolutive NMF (3-axis W): rows of H, the activations; CP: columns
    // of A.
    let component = match (read_f64(&path, "w"), read_f64(&path, "a")) {
        (Ok((ws, _)), _) if ws.len() == 3 => {
            let (hs, h) = read_f64(&path, "h")?;
            Some(decomp::components("Activations H (one line per motif)", &h, &hs, false))
        }
        (Ok((ws, w)), _) => Some(decomp::components("Components: columns of W", &w, &ws, true)),
        (_, Ok((as_, a))) => {
            Some(decomp::components("Components: columns of the first factor A", &a, &as_, true))
        }
        _ => None,
    };
    if let Some(svg) = component {
        figures.push(("components.svg".into(), svg, "The fitted components (first factor)."));
    }
    let sel = dir.join("selection.npz");
    if sel.exists() {
        let (_, ranks) = read_f64(&sel, "ranks")?;
        let (_, errors) = read_f64(&sel, "errors")?;
        let (_, similarity) = read_f64(&sel, "similarity")?;
        figures.push((
            "selection.svg".into(),
            decomp::selection(&ranks, &errors, &similarity),
            "Model selection: relative reconstruction error of every restart (circles) and the best (line) per rank; mean factor match score of the restarts against the best one (1 = every restart finds the same factors).",
        ));
    }
    Ok(figures)
}

/// Raster, population rates, rate and ISI-CV histograms of a spiking run.
fn spiking_figures(
    dir: &Path,
    metrics: &str,
) -> Result<Vec<(String, String, &'static str)>, IoError> {
    let path = dir.join("spikes.npz");
    let metrics: serde_json::Value =
        serde_json::from_str(metrics).map_err(|e| IoError::format(dir.join("metrics.json"), e))?;
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
    let pops: Vec<spiking::PopulationSpikes<'_>> = data
        .iter()
        .map(|(name, n, times, senders)| spiking::PopulationSpikes { name, n: *n, times, senders })
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
            spiking::raster(&pops, 200, duration.min(1000.0)),
            "Spikes of the first 200 neurons of each recorded population over the first second.",
        ),
        (
            "rates.svg".into(),
            spiking::rates(&all_names, &sizes, &counts, cshape[1], dt[0], 5.0),
            "Population rates in 5 ms bins.",
        ),
        (
            "rate_histogram.svg".into(),
            spiking::rate_histogram(&pops, duration),
            "Distribution of single-neuron firing rates over the whole run.",
        ),
        (
            "isi_cv_histogram.svg".into(),
            spiking::isi_cv_histogram(&pops),
            "Distribution of the coefficient of variation of inter-spike intervals (neurons with at least 3 spikes); 1 for a Poisson process.",
        ),
    ])
}

/// A `[t][b][c]` array of the given shape.
fn seq<'a>(data: &'a [f64], shape: &[usize]) -> Seq<'a> {
    Seq { data, n_steps: shape[0], batch: shape[1], channels: shape[2] }
}

fn page(
    title: &str,
    metrics: &str,
    figures: &[(String, String, &str)],
    spec: &str,
    manifest: &str,
) -> String {
    let mut rows = String::new();
    if let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(metrics) {
        flatten("", &serde_json::Value::Object(m), &mut rows);
    }
    let figs: String = figures
        .iter()
        .map(|(file, svg, caption)| {
            format!(
                "<figure>{svg}<figcaption><code>{file}</code>: {}</figcaption></figure>\n",
                escape(caption)
            )
        })
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>body{{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse}}td{{border-bottom:1px solid #ddd;padding:2px 12px}}
figure{{margin:1.5em 0}}figcaption{{font-size:90%;color:#555}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}</style>
</head><body>
<h1>{t}</h1>
<h2>Metrics</h2><table>{rows}</table>
<h2>Figures</h2>
{figs}<h2>Resolved spec</h2><pre>{spec}</pre>
<h2>Manifest</h2><pre>{manifest}</pre>
</body></html>
"#,
        t = escape(title),
        spec = escape(spec),
        manifest = escape(manifest),
    )
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&key, v, out);
            }
        }
        other => out.push_str(&format!(
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            escape(prefix),
            escape(&other.to_string())
        )),
    }
}
