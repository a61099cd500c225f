//! The figure of a comparison of trained networks, built from `comparison.npz`.

use crate::Fig;
use crate::svg::escape;
use neurodyn_io::IoError;
use neurodyn_io::npz::read_f64;
use std::path::Path;

/// Side-by-side heat maps of `k × k` matrices (value printed in each cell, colour from white at
/// `lo` to blue at `hi`), one per `(title, values, lo, hi)`, rows and columns labelled.
pub fn matrices(labels: &[String], panels: &[(&str, Vec<f64>, f64, f64)]) -> String {
    let k = labels.len();
    let cell = 56.0;
    let (left, top) = (120.0, 40.0);
    let panel_w = left + cell * k as f64 + 30.0;
    let height = top + cell * k as f64 + 90.0;
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{height}" viewBox="0 0 {w} {height}" font-family="sans-serif" font-size="11"><rect width="{w}" height="{height}" fill="white"/>"#,
        w = panel_w * panels.len() as f64
    );
    for (p, (title, values, lo, hi)) in panels.iter().enumerate() {
        let x0 = p as f64 * panel_w;
        svg += &format!(
            r#"<text x="{}" y="20" font-size="13" text-anchor="middle">{}</text>"#,
            x0 + left + cell * k as f64 / 2.0,
            escape(title)
        );
        for i in 0..k {
            svg += &format!(
                r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
                x0 + left - 6.0,
                top + cell * (i as f64 + 0.55),
                escape(&labels[i])
            );
            svg += &format!(
                r#"<text transform="translate({} {}) rotate(40)">{}</text>"#,
                x0 + left + cell * (i as f64 + 0.3),
                top + cell * k as f64 + 12.0,
                escape(&labels[i])
            );
            for j in 0..k {
                let v = values[i * k + j];
                let t = if hi > lo { ((v - lo) / (hi - lo)).clamp(0.0, 1.0) } else { 0.0 };
                let shade = |c: f64| (255.0 - t * (255.0 - c)).round() as u8;
                svg += &format!(
                    r##"<rect x="{}" y="{}" width="{cell}" height="{cell}" fill="#{:02x}{:02x}{:02x}" stroke="#ffffff"/><text x="{}" y="{}" text-anchor="middle">{:.2}</text>"##,
                    x0 + left + cell * j as f64,
                    top + cell * i as f64,
                    shade(31.0),
                    shade(119.0),
                    shade(180.0),
                    x0 + left + cell * (j as f64 + 0.5),
                    top + cell * (i as f64 + 0.55),
                    v
                );
            }
        }
    }
    svg + "</svg>"
}

/// Similarity and topology matrices of compared networks.
pub fn figures(dir: &Path, metrics: &serde_json::Value) -> Result<Vec<Fig>, IoError> {
    let path = dir.join("comparison.npz");
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
        matrices(&labels, &panels),
        "Geometry (SVCCA, linear CKA of hidden states on one held-out batch) and fixed-point topology (same memories and same saddle connections: 1) between every pair of networks.",
    )])
}
