//! The figures of a decomposition run, built from `factors.npz`, `selection.npz` and
//! `metrics.json`.

use crate::svg::{Marker, Plot, stack};

const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

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
