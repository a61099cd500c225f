//! The figures of a decomposition run, built from `factors.npz`, `selection.npz` and
//! `metrics.json`.

use crate::Fig;
use crate::svg::{Marker, Plot, stack};
use neurodyn_io::IoError;
use neurodyn_io::npz::read_f64;
use std::path::Path;

use crate::COLORS;

/// Reconstruction error of every restart and the best per rank, and the similarity of the
/// restarts' factors to the best one's (factor match score), against rank.
pub fn selection(ranks: &[f64], errors: &[f64], similarity: &[f64]) -> String {
    let restarts = errors.len() / ranks.len().max(1);
    let mut err =
        Plot::new("Reconstruction error vs rank", "rank", "relative error (log10)").log_y();
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    let mut best = Vec::new();
    for (i, &r) in ranks.iter().enumerate() {
        let row = &errors[i * restarts..(i + 1) * restarts];
        for &e in row {
            xs.push(r);
            ys.push(e);
        }
        best.push(row.iter().copied().fold(f64::INFINITY, f64::min));
    }
    err.points(&xs, &ys, "#999999", Marker::Ring, 3.0);
    err.line(ranks, &best, COLORS[0], 1.5);
    err.legend("restarts", "#999999", Some(Marker::Ring)).legend("best", COLORS[0], None);
    let mut sim = Plot::new("Stability across restarts", "rank", "factor match score");
    sim.line(ranks, similarity, COLORS[1], 1.5);
    sim.points(ranks, similarity, COLORS[1], Marker::Dot, 3.0);
    stack(&[err, sim])
}

/// Each component of a factor as a line: `columns = true` plots the columns of a
/// `rows × k` matrix (NMF's W, CP factors), otherwise the rows of a `k × cols` one (H).
pub fn components(title: &str, data: &[f64], shape: &[usize], columns: bool) -> String {
    let (rows, cols) = (shape[0], shape[1]);
    let k = if columns { cols } else { rows };
    let len = if columns { rows } else { cols };
    let mut p = Plot::new(title, if columns { "index" } else { "time bin" }, "loading")
        .with_size(760.0, 320.0);
    let xs: Vec<f64> = (0..len).map(|i| i as f64).collect();
    for c in 0..k {
        let ys: Vec<f64> = (0..len)
            .map(|i| if columns { data[i * cols + c] } else { data[c * cols + i] })
            .collect();
        let color = COLORS[c % COLORS.len()];
        p.line(&xs, &ys, color, 1.0);
        p.legend(&format!("component {}", c + 1), color, None);
    }
    p.to_svg()
}

/// Rescaled MSE of AMP and ALS against the SNR, with AMP's own MSE, its state-evolution
/// prediction, the prior mean alone and ALS's threshold.
pub fn amp_vs_als(snrs: &[f64], curves: &[(&str, &[f64])], threshold: Option<f64>) -> String {
    let mut p = Plot::new("AMP vs ALS: error against SNR", "SNR λ", "MSE per entry");
    let top = curves.iter().flat_map(|(_, c)| c.iter()).cloned().fold(0.0, f64::max);
    if let Some(t) = threshold {
        p.dashed(&[t, t], &[0.0, top], "#999999", 1.0);
        p.legend("ALS threshold (theory)", "#999999", None);
    }
    for (m, (label, ys)) in curves.iter().enumerate() {
        let color = COLORS[m % COLORS.len()];
        p.line(snrs, ys, color, 1.5);
        p.points(snrs, ys, color, Marker::Dot, 3.0);
        p.legend(label, color, Some(Marker::Dot));
    }
    p.to_svg()
}

/// Error against SNR for AMP and ALS.
pub fn amp_figures(dir: &Path) -> Result<Vec<Fig>, IoError> {
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
        amp_vs_als(&snrs, &labelled, threshold.filter(|t| t.is_finite())),
        "Error of AMP and ALS against SNR on planted spiked data (mean over trials). Rescaled: after the best rescaling of each estimate; AMP's own-scale MSE should follow state evolution.",
    )])
}

/// Loss curve, components and (with a rank sweep) error and stability vs rank.
pub fn figures(dir: &Path) -> Result<Vec<Fig>, IoError> {
    let path = dir.join("factors.npz");
    let (_, loss) = read_f64(&path, "loss")?;
    let mut figures = vec![(
        "loss.svg".to_string(),
        crate::figures::loss_curve(&loss),
        "Objective per sweep (½‖M ⊙ (X − X̂)‖², plus the seqNMF penalty if any).",
    )];
    // NMF: columns of W; convolutive NMF (3-axis W): rows of H, the activations; CP: columns
    // of A.
    let component = match (read_f64(&path, "w"), read_f64(&path, "a")) {
        (Ok((ws, _)), _) if ws.len() == 3 => {
            let (hs, h) = read_f64(&path, "h")?;
            Some(components("Activations H (one line per motif)", &h, &hs, false))
        }
        (Ok((ws, w)), _) => Some(components("Components: columns of W", &w, &ws, true)),
        (_, Ok((as_, a))) => {
            Some(components("Components: columns of the first factor A", &a, &as_, true))
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
            selection(&ranks, &errors, &similarity),
            "Model selection: relative reconstruction error of every restart (circles) and the best (line) per rank; mean factor match score of the restarts against the best one (1 = every restart finds the same factors).",
        ));
    }
    Ok(figures)
}
