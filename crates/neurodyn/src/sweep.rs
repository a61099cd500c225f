//! What a sweep measured as a whole: from the rows of its `points.jsonl`, the fraction of
//! points whose claim holds (overall and per value of every swept field) and the mean, min
//! and max of every scalar metric. A sweep spec's own `[reproduce]` table is checked on this
//! summary (a population claim: "the flip-flop is solved by ≥ 90 % of networks of every
//! architecture"). `metrics_by` holds the metric statistics per value of every swept field
//! but the seed (`metrics_by.model/n_hidden.64.heldout_nmse.mean`). Swept field names keep their dots as `/` so that metric paths stay dotted:
//! `min_claim_fraction_by.model/cell`.
//!
//! With a `[sweep.geometry]` table, [`geometry`] compares the points' representations too:
//! every pair's SVCCA or CKA, the population embedded by classical MDS, and whether it
//! clusters by a swept field (silhouette and its permutation test) — the geometry half of
//! "universality and individuality" (Maheswaranathan et al. 2019, arXiv:1907.08549).

use neurodyn_analysis::embedding::{classical_mds, permutation_test};
use neurodyn_analysis::similarity::{Measure, pairwise};
use neurodyn_io::npz::{self, Array};
use neurodyn_io::spec::sweep::{GeometrySpec, Similarity};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::path::Path;

fn flatten(v: &Value, prefix: &str, out: &mut BTreeMap<String, f64>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, x)| flatten(x, &format!("{prefix}{k}/"), out)),
        Value::Number(n) => {
            let key = prefix.trim_end_matches('/').to_string();
            if let Some(x) = n.as_f64().filter(|x| x.is_finite() && !key.ends_with("seconds")) {
                out.insert(key, x);
            }
        }
        _ => {}
    }
}

/// A swept value as a key: strings as they are, other values as JSON (`64`, `[250]`).
fn label(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), String::from)
}

/// The summary of a sweep's rows (see the module docs).
pub fn summary(rows: &[Value]) -> Value {
    let done: Vec<&Value> = rows.iter().filter(|r| r["status"] == "done").collect();
    let holds = |r: &Value| r["claim"]["holds"].as_bool();
    let fraction = |rs: &[&Value]| -> Option<f64> {
        let with: Vec<bool> = rs.iter().filter_map(|r| holds(r)).collect();
        (!with.is_empty()).then(|| with.iter().filter(|&&h| h).count() as f64 / with.len() as f64)
    };
    let mut by = Map::new();
    let mut min_by = Map::new();
    let fields: Vec<String> = {
        let mut f: Vec<String> = done
            .iter()
            .filter_map(|r| r["params"].as_object())
            .flat_map(|p| p.keys().cloned())
            .collect();
        f.sort();
        f.dedup();
        f
    };
    let metrics = statistics(&done);
    let mut metrics_by = Map::new();
    for field in &fields {
        let mut groups: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        for r in &done {
            groups.entry(label(&r["params"][field])).or_default().push(r);
        }
        // The metrics per value of every swept field but the seed (replicates, not a condition).
        if field != "seed" {
            let per_value = groups.iter().map(|(k, rs)| (k.clone(), statistics(rs))).collect();
            metrics_by.insert(field.replace('.', "/"), Value::Object(per_value));
        }
        let fractions: Map<String, Value> = groups
            .iter()
            .filter_map(|(k, rs)| fraction(rs).map(|f| (k.clone(), json!(f))))
            .collect();
        if !fractions.is_empty() {
            let min = fractions.values().filter_map(Value::as_f64).fold(f64::INFINITY, f64::min);
            min_by.insert(field.replace('.', "/"), json!(min));
            by.insert(field.replace('.', "/"), Value::Object(fractions));
        }
    }
    json!({
        "points": rows.len(),
        "done": done.len(),
        "failed": rows.len() - done.len(),
        "claim_fraction": fraction(&done),
        "claim_fraction_by": by,
        "min_claim_fraction_by": min_by,
        "metrics": metrics,
        "metrics_by": metrics_by,
    })
}

/// Mean, sample standard deviation, min, max and count of every scalar metric of `rows`.
fn statistics(rows: &[&Value]) -> Value {
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in rows {
        let mut m = BTreeMap::new();
        flatten(&r["metrics"], "", &mut m);
        for (k, v) in m {
            values.entry(k).or_default().push(v);
        }
    }
    let stats: Map<String, Value> = values
        .into_iter()
        .map(|(k, v)| {
            let n = v.len() as f64;
            let mean = v.iter().sum::<f64>() / n;
            let std = if v.len() > 1 {
                (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                f64::NAN
            };
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (k, json!({ "mean": mean, "std": std, "min": min, "max": max, "n": v.len() }))
        })
        .collect();
    Value::Object(stats)
}

/// One point's array as `rows × cols` (leading axes as rows), cut to `spec`'s columns and rows.
fn representation(path: &Path, spec: &GeometrySpec) -> Result<(usize, usize, Vec<f64>), String> {
    let (_, name) = spec.file_and_name();
    let (shape, data) = npz::read_f64(path, name).map_err(|e| e.to_string())?;
    let width = *shape.last().unwrap_or(&1);
    let rows = data.len().checked_div(width).unwrap_or(0);
    let cols = spec.columns.unwrap_or(width);
    if cols > width {
        return Err(format!(
            "{}: {name} has {width} columns, sweep.geometry.columns asks for {cols}",
            path.display()
        ));
    }
    let keep: Vec<usize> = match spec.max_rows {
        Some(m) if m < rows => (0..m).map(|i| i * rows / m).collect(),
        _ => (0..rows).collect(),
    };
    let out =
        keep.iter().flat_map(|&r| data[r * width..r * width + cols].iter().copied()).collect();
    Ok((keep.len(), cols, out))
}

/// What [`geometry`] measured.
pub struct Geometry {
    /// For `metrics.json`'s `geometry`.
    pub metrics: Value,
    /// For `geometry.npz`: `similarity`, `mds`, `group`.
    pub arrays: Vec<(&'static str, Array)>,
}

/// The representational geometry of a finished sweep (`dir`) from its complete points (`rows`
/// of `points.jsonl`). Points are ordered by group, then name, so
/// the result does not depend on the order in which points finished. Permutations draw from
/// a fixed keyed stream (seed 0).
pub fn geometry(dir: &Path, rows: &[Value], spec: &GeometrySpec) -> Result<Geometry, String> {
    let label = |r: &Value| label(&r["params"][&spec.group_by]);
    let mut done: Vec<&Value> = rows.iter().filter(|r| r["status"] == "done").collect();
    done.sort_by_key(|r| (label(r), r["point"].as_str().unwrap_or_default().to_string()));
    let k = done.len();
    if k < 3 {
        return Err(format!("sweep.geometry: {k} complete points; at least 3 are needed"));
    }
    let (npz_file, _) = spec.file_and_name();
    let mut reps = Vec::with_capacity(k);
    for r in &done {
        let point = r["point"].as_str().unwrap_or_default();
        reps.push(representation(&dir.join("points").join(point).join(npz_file), spec)?);
    }
    let n = reps[0].0;
    if let Some((r, _)) = done.iter().zip(&reps).find(|(_, rep)| rep.0 != n) {
        return Err(format!(
            "sweep.geometry: point {} has a different number of rows than {} ({n}): the array must pair rows across points",
            r["point"], done[0]["point"]
        ));
    }
    let measure = match spec.similarity {
        Similarity::Svcca => Measure::Svcca(spec.svcca_variance),
        Similarity::LinearCka => Measure::LinearCka,
    };
    let sets: Vec<&[f64]> = reps.iter().map(|r| r.2.as_slice()).collect();
    let similarity = pairwise(&sets, n, measure);
    let distance: Vec<f64> = similarity.iter().map(|s| (1.0 - s).max(0.0)).collect();
    let mut groups: Vec<String> = done.iter().map(|r| label(r)).collect();
    groups.dedup();
    let labels: Vec<usize> =
        done.iter().map(|r| groups.iter().position(|g| *g == label(r)).unwrap_or(0)).collect();
    let (silhouette, p) = permutation_test(&distance, &labels, spec.permutations, 0);
    let mds = classical_mds(&distance, k, 2);
    let mean = |keep: &dyn Fn(usize, usize) -> bool| {
        let v: Vec<f64> = (0..k * k)
            .filter(|&q| q / k != q % k && keep(q / k, q % k))
            .map(|q| similarity[q])
            .collect();
        if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 }
    };
    let within_by: Map<String, Value> = groups
        .iter()
        .enumerate()
        .map(|(g, name)| (name.clone(), json!(mean(&|a, b| labels[a] == g && labels[b] == g))))
        .collect();
    let metrics = json!({
        "similarity": spec.similarity,
        "array": spec.array,
        "group_by": spec.group_by,
        "groups": groups,
        "points": done.iter().map(|r| r["point"].clone()).collect::<Vec<_>>(),
        "rows": n,
        "silhouette": silhouette,
        "permutation_p": p,
        "permutations": spec.permutations,
        "mean_similarity_within": mean(&|a, b| labels[a] == labels[b]),
        "mean_similarity_between": mean(&|a, b| labels[a] != labels[b]),
        "similarity_within_by_group": within_by,
        "mds_explained": mds.as_ref().map(|m| m.explained),
    });
    let mut arrays = vec![
        ("similarity", Array::f64(&[k, k], similarity)),
        ("group", Array::f64(&[k], labels.iter().map(|&l| l as f64).collect())),
    ];
    if let Some(m) = mds {
        arrays.push(("mds", Array::f64(&[k, m.dims], m.coords)));
    }
    Ok(Geometry { metrics, arrays })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cell: &str, holds: bool, nmse: f64) -> Value {
        json!({"point": format!("p{cell}{nmse}"), "status": "done", "params": {"model.cell": cell},
               "claim": {"holds": holds}, "metrics": {"heldout_nmse": nmse, "train_seconds": 3.0}})
    }

    #[test]
    fn fractions_by_swept_value_and_metric_ranges() {
        let rows = vec![
            row("gru", true, 0.01),
            row("gru", true, 0.03),
            row("vanilla", true, 0.02),
            row("vanilla", false, 0.2),
            json!({"point": "x", "status": "failed", "params": {"model.cell": "lstm"}, "error": "boom"}),
        ];
        let s = summary(&rows);
        assert_eq!(s["points"], 5);
        assert_eq!(s["failed"], 1);
        assert_eq!(s["claim_fraction"], 0.75);
        assert_eq!(s["claim_fraction_by"]["model/cell"]["vanilla"], 0.5);
        assert_eq!(s["min_claim_fraction_by"]["model/cell"], 0.5);
        assert_eq!(s["metrics"]["heldout_nmse"]["max"], 0.2);
        assert!(s["metrics"].get("train_seconds").is_none());
        assert_eq!(crate::kinds::metric(&s, "min_claim_fraction_by.model/cell"), Some(0.5));
        let by = |path: &str| crate::kinds::metric(&s, path).unwrap();
        assert_eq!(by("metrics_by.model/cell.gru.heldout_nmse.mean"), 0.02);
        assert!(
            (by("metrics_by.model/cell.gru.heldout_nmse.std") - 0.02f64.sqrt() / 10.0).abs()
                < 1e-15
        );
        assert_eq!(by("metrics_by.model/cell.vanilla.heldout_nmse.n"), 2.0);
    }
}
