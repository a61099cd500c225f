//! The report of a sweep directory (`sweep.toml`, `points.jsonl`, `points/`): every varying
//! scalar metric against every swept field (points coloured by whether their claim holds),
//! the claims tallied per swept value, and the failed points with their errors.

use crate::Figure;
use crate::svg::{Marker, Plot, escape};
use neurodyn_io::IoError;
use neurodyn_io::run_dir::read_text;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// At most this many figures (metric × field) on one page.
const MAX_FIGURES: usize = 60;

/// The latest row of every point of a sweep's `points.jsonl`, in first-seen order.
pub fn rows(dir: &Path) -> Result<Vec<Value>, IoError> {
    let text = read_text(&dir.join("points.jsonl"))?;
    let mut order: Vec<String> = Vec::new();
    let mut latest: BTreeMap<String, Value> = BTreeMap::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let row: Value = serde_json::from_str(line).map_err(|e| {
            IoError::format(dir.join("points.jsonl"), format!("line {}: {e}", i + 1))
        })?;
        let point = row["point"].as_str().unwrap_or_default().to_string();
        if !latest.contains_key(&point) {
            order.push(point.clone());
        }
        latest.insert(point, row);
    }
    Ok(order.into_iter().filter_map(|p| latest.remove(&p)).collect())
}

fn flatten(v: &Value, prefix: &str, out: &mut BTreeMap<String, f64>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                flatten(x, &format!("{prefix}{k}."), out);
            }
        }
        Value::Number(n) => {
            let key = prefix.trim_end_matches('.').to_string();
            if let Some(x) = n.as_f64().filter(|_| !key.ends_with("seconds")) {
                out.insert(key, x);
            }
        }
        _ => {}
    }
}

/// The sweep's figures and its HTML page.
pub fn report(dir: &Path) -> Result<(String, Vec<Figure>), IoError> {
    let rows = rows(dir)?;
    let spec = read_text(&dir.join("sweep.toml")).unwrap_or_default();
    let summary: Value = read_text(&dir.join("metrics.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let claim = neurodyn_io::claim::Claim::from_metrics(&summary)
        .map(|c| crate::claim_html(&c))
        .unwrap_or_default();
    let done: Vec<&Value> = rows.iter().filter(|r| r["status"] == "done").collect();
    let failed: Vec<&Value> = rows.iter().filter(|r| r["status"] != "done").collect();
    let holds = |r: &Value| r["claim"]["holds"].as_bool();
    let with_claim = done.iter().filter(|r| holds(r).is_some()).count();
    let holding = done.iter().filter(|r| holds(r) == Some(true)).count();

    // Swept fields, in first-seen order; their values per point as numbers (categories as
    // their index, in first-seen order).
    let mut fields: Vec<String> = Vec::new();
    for r in &rows {
        if let Some(p) = r["params"].as_object() {
            for k in p.keys() {
                if !fields.contains(k) {
                    fields.push(k.clone());
                }
            }
        }
    }
    let mut categories: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut x_of = |field: &str, v: &Value| -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::Null => None,
            other => {
                let label = other.as_str().map_or_else(|| other.to_string(), String::from);
                let cats = categories.entry(field.to_string()).or_default();
                let i = cats.iter().position(|c| *c == label).unwrap_or_else(|| {
                    cats.push(label);
                    cats.len() - 1
                });
                Some(i as f64)
            }
        }
    };
    let xs: Vec<Vec<Option<f64>>> =
        fields.iter().map(|f| done.iter().map(|r| x_of(f, &r["params"][f])).collect()).collect();
    let metrics: Vec<BTreeMap<String, f64>> = done
        .iter()
        .map(|r| {
            let mut m = BTreeMap::new();
            flatten(&r["metrics"], "", &mut m);
            m
        })
        .collect();
    let mut names: Vec<String> = metrics.iter().flat_map(|m| m.keys().cloned()).collect();
    names.sort();
    names.dedup();
    // Only the metrics that vary across points say something about the sweep.
    names.retain(|k| {
        let vals: Vec<f64> = metrics.iter().filter_map(|m| m.get(k).copied()).collect();
        vals.iter().any(|v| (v - vals[0]).abs() > 1e-12 * vals[0].abs().max(1e-300))
    });
    let mut figures = Vec::new();
    let mut left_out = 0;
    for (fi, field) in fields.iter().enumerate() {
        for name in &names {
            if figures.len() >= MAX_FIGURES {
                left_out += 1;
                continue;
            }
            let mut plot =
                Plot::new(&format!("{name} vs {field}"), field, name).with_size(420.0, 260.0);
            for (label, want, color, marker) in [
                ("claim holds", Some(true), "#2ca02c", Marker::Dot),
                ("claim fails", Some(false), "#d62728", Marker::Cross),
                ("no claim", None, "#1f77b4", Marker::Dot),
            ] {
                let (px, py): (Vec<f64>, Vec<f64>) = (0..done.len())
                    .filter(|&i| holds(done[i]) == want)
                    .filter_map(|i| Some((xs[fi][i]?, *metrics[i].get(name)?)))
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .unzip();
                if !px.is_empty() {
                    plot.points(&px, &py, color, marker, 4.0);
                    plot.legend(label, color, Some(marker));
                }
            }
            let caption = match categories.get(field) {
                Some(c) => {
                    let labels: Vec<String> =
                        c.iter().enumerate().map(|(i, l)| format!("{i} = {l}")).collect();
                    format!("{name} of every point against {field} ({})", labels.join(", "))
                }
                None => format!("{name} of every point against {field}"),
            };
            let file = format!("{}_vs_{}.svg", sanitize(name), sanitize(field));
            figures.push(Figure { file, svg: plot.to_svg(), caption });
        }
    }

    let (geometry, geometry_figure) = geometry_section(dir, &summary["geometry"]);

    // Claims tallied per value of each swept field.
    let mut tally = String::new();
    if with_claim > 0 {
        // Seeds are replicates: a claim per seed says nothing.
        for (fi, field) in fields.iter().enumerate().filter(|(_, f)| *f != "seed") {
            let mut by: BTreeMap<String, (usize, usize)> = BTreeMap::new();
            for (i, r) in done.iter().enumerate() {
                if let Some(h) = holds(r) {
                    let key = match (&r["params"][field], categories.get(field)) {
                        (Value::Number(n), _) => n.to_string(),
                        (_, Some(c)) => xs[fi][i].map_or("?".into(), |x| c[x as usize].clone()),
                        (v, None) => v.to_string(),
                    };
                    let e = by.entry(key).or_default();
                    e.0 += usize::from(h);
                    e.1 += 1;
                }
            }
            let cells: String = by
                .iter()
                .map(|(k, (h, n))| format!("<td>{} = {}: {h}/{n}</td>", escape(field), escape(k)))
                .collect();
            tally.push_str(&format!("<tr><th>{}</th>{cells}</tr>", escape(field)));
        }
    }
    let failures: String = failed
        .iter()
        .map(|r| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(r["point"].as_str().unwrap_or("?")),
                escape(&r["params"].to_string()),
                escape(r["error"].as_str().unwrap_or("?"))
            )
        })
        .collect();
    let failures =
        if failures.is_empty() { "<tr><td>none</td></tr>".to_string() } else { failures };
    let tally =
        if tally.is_empty() { "<tr><td>no point has a claim</td></tr>".to_string() } else { tally };
    let figs = crate::figures_html(&figures);
    figures.extend(geometry_figure);
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("sweep");
    let more = if left_out > 0 {
        format!(
            "<p>{left_out} more metric × field figures left out (at most {MAX_FIGURES}); every value is in points.jsonl.</p>"
        )
    } else {
        String::new()
    };
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:4px 0}}td,th{{border-bottom:1px solid #ddd;padding:2px 10px;text-align:left}}
figure{{display:inline-block;margin:0.5em;width:440px;vertical-align:top}}figure svg{{max-width:100%;height:auto}}
figcaption{{font-size:85%;color:#555}}pre{{background:#f6f6f6;padding:1em;overflow:auto}}
{claim_css}</style>
</head><body>
<h1>Sweep {t}</h1>
{claim}<table><tr><th>points</th><td>{total}</td></tr><tr><th>done</th><td>{ndone}</td></tr>
<tr><th>failed</th><td>{nfailed}</td></tr><tr><th>claim holds</th><td>{holding} of {with_claim} points with a claim</td></tr></table>
<h2>Claims by swept value</h2><table>{tally}</table>
<h2>Failed points</h2><table>{failures}</table>
{geometry}<h2>Metrics against swept fields</h2>{more}
{figs}<h2>Sweep spec</h2><pre>{spec}</pre>
</body></html>
"#,
        t = escape(name),
        claim_css = crate::CLAIM_CSS,
        total = rows.len(),
        ndone = done.len(),
        nfailed = failed.len(),
        spec = escape(&spec),
    );
    Ok((html, figures))
}

/// The population's geometry (`geometry.npz` and `metrics.json`'s `geometry`), if computed:
/// its section (a table and the MDS embedding coloured by group) and that figure.
fn geometry_section(dir: &Path, g: &Value) -> (String, Option<Figure>) {
    if let Some(e) = g["error"].as_str() {
        return (format!("<h2>Geometry</h2><p>Not computed: {}</p>", escape(e)), None);
    }
    let path = dir.join("geometry.npz");
    let (Ok((shape, mds)), Ok((_, group))) =
        (neurodyn_io::npz::read_f64(&path, "mds"), neurodyn_io::npz::read_f64(&path, "group"))
    else {
        return (String::new(), None);
    };
    let groups: Vec<&str> = g["groups"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let similarity = g["similarity"].as_str().unwrap_or("similarity");
    let by = g["group_by"].as_str().unwrap_or("group");
    let dims = shape.get(1).copied().unwrap_or(2);
    let mut plot = Plot::new(&format!("MDS of 1 − {similarity}"), "MDS 1", "MDS 2")
        .with_size(520.0, 420.0)
        .equal_aspect();
    for (gi, name) in groups.iter().enumerate() {
        let color = crate::COLORS[gi % crate::COLORS.len()];
        let (xs, ys): (Vec<f64>, Vec<f64>) = group
            .iter()
            .enumerate()
            .filter(|(_, l)| **l as usize == gi)
            .map(|(i, _)| (mds[i * dims], if dims > 1 { mds[i * dims + 1] } else { 0.0 }))
            .unzip();
        plot.points(&xs, &ys, color, Marker::Dot, 5.0);
        plot.legend(name, color, Some(Marker::Dot));
    }
    let number = |v: &Value| v.as_f64().map_or("–".into(), |x| format!("{x:.4}"));
    let figure = Figure {
        file: "geometry_mds.svg".into(),
        svg: plot.to_svg(),
        caption: format!(
            "Every complete point embedded by classical MDS of the distances 1 − {similarity} \
             between their {} ({} rows), coloured by {by}; the two axes keep {} of the \
             positive eigenvalues' sum.",
            g["array"].as_str().unwrap_or("arrays"),
            g["rows"],
            number(&g["mds_explained"])
        ),
    };
    let within: String = g["similarity_within_by_group"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    format!(
                        "<tr><th>{similarity} within {}</th><td>{}</td></tr>",
                        escape(k),
                        number(v)
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let html = format!(
        "<h2>Geometry</h2><table><tr><th>silhouette by {by}</th><td>{}</td></tr>\
         <tr><th>permutation p ({} relabellings)</th><td>{}</td></tr>\
         <tr><th>mean {similarity} within groups</th><td>{}</td></tr>\
         <tr><th>mean {similarity} between groups</th><td>{}</td></tr>{within}</table>{}",
        number(&g["silhouette"]),
        g["permutations"],
        number(&g["permutation_p"]),
        number(&g["mean_similarity_within"]),
        number(&g["mean_similarity_between"]),
        crate::figures_html(std::slice::from_ref(&figure)),
        by = escape(by),
    );
    (html, Some(figure))
}

fn sanitize(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect()
}
