//! What a sweep measured as a whole: from the rows of its `points.jsonl`, the fraction of
//! points whose claim holds (overall and per value of every swept field) and the mean, min
//! and max of every scalar metric. A sweep spec's own `[reproduce]` table is checked on this
//! summary (a population claim: "the flip-flop is solved by ≥ 90 % of networks of every
//! architecture"). Swept field names keep their dots as `/` so that metric paths stay dotted:
//! `min_claim_fraction_by.model/cell`.

use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

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
    for field in &fields {
        let mut groups: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
        for r in &done {
            let v = &r["params"][field];
            let key = v.as_str().map_or_else(|| v.to_string(), String::from);
            groups.entry(key).or_default().push(r);
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
    let mut values: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for r in &done {
        let mut m = BTreeMap::new();
        flatten(&r["metrics"], "", &mut m);
        for (k, v) in m {
            values.entry(k).or_default().push(v);
        }
    }
    let metrics: Map<String, Value> = values
        .into_iter()
        .map(|(k, v)| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let min = v.iter().copied().fold(f64::INFINITY, f64::min);
            let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            (k, json!({ "mean": mean, "min": min, "max": max, "n": v.len() }))
        })
        .collect();
    json!({
        "points": rows.len(),
        "done": done.len(),
        "failed": rows.len() - done.len(),
        "claim_fraction": fraction(&done),
        "claim_fraction_by": by,
        "min_claim_fraction_by": min_by,
        "metrics": metrics,
    })
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
    }
}
