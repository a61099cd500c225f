//! # neurodyn-report
//!
//! Figures (SVG) of runs, drawn from what a run directory holds, and the self-contained
//! `report.html`: the claim at the top, the metrics as tables, the figures inline, the resolved
//! spec and the manifest — no scripts, no network. One module per topic (`figures` for RNN
//! runs, `spiking`, `decomp`, `chaos`, `compare`) holds its plots and the `figures` function
//! that reads them from a run directory; which one a run uses is its kind's choice (the
//! registry in `neurodyn::kinds`), so this crate never guesses a run's kind.
//!
//! ```
//! let html = neurodyn_report::page("a run", r#"{"loss": 0.5}"#, &[], "name = \"a\"", "{}");
//! assert!(html.contains("<title>a run</title>"));
//! ```
#![deny(missing_docs)]

pub mod chaos;
pub mod compare;
pub mod decomp;
pub mod figures;
pub mod spiking;
pub mod svg;
pub mod sweep;

use neurodyn_io::claim::{Claim, sig};
use svg::escape;

/// A figure as the topic modules build it: file name, SVG text and caption.
pub type Fig = (String, String, &'static str);

/// A figure of a run: its file name under `figures/`, the SVG and its caption.
#[derive(Clone, Debug)]
pub struct Figure {
    /// File name under `figures/`.
    pub file: String,
    /// The SVG.
    pub svg: String,
    /// What it shows.
    pub caption: String,
}

impl From<Fig> for Figure {
    fn from((file, svg, caption): Fig) -> Figure {
        Figure { file, svg, caption: caption.to_string() }
    }
}

/// The HTML page of a run: title, claim, metrics, figures, resolved spec and manifest.
pub fn page(title: &str, metrics: &str, figures: &[Figure], spec: &str, manifest: &str) -> String {
    let metrics: serde_json::Value = serde_json::from_str(metrics).unwrap_or_default();
    let claim = Claim::from_metrics(&metrics).map(|c| claim_html(&c)).unwrap_or_default();
    let mut rows = String::new();
    if let serde_json::Value::Object(m) = &metrics {
        for (k, v) in m.iter().filter(|(k, _)| *k != "claim") {
            rows.push_str(&format!(
                "<tr><th>{}</th><td><div class=\"wide\">{}</div></td></tr>\n",
                escape(k),
                value_html(v, 0)
            ));
        }
    }
    let figs = figures_html(figures);
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{t}</title>
<style>body{{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:2px 0}}td,th{{border-bottom:1px solid #ddd;padding:2px 10px;text-align:left;vertical-align:top}}
th{{font-weight:600;white-space:nowrap}}td.n{{text-align:right;font-variant-numeric:tabular-nums}}
table table td,table table th{{font-size:90%;padding:1px 6px}}
.wide{{overflow-x:auto;max-width:760px}}
{claim_css}
figure{{margin:1.5em 0}}figure svg{{max-width:100%;height:auto}}figcaption{{font-size:90%;color:#555}}
pre{{background:#f6f6f6;padding:1em;overflow:auto}}</style>
</head><body>
<h1>{t}</h1>
{claim}<h2>Metrics</h2><table>{rows}</table>
<h2>Figures</h2>
{figs}<h2>Resolved spec</h2><pre>{spec}</pre>
<h2>Manifest</h2><pre>{manifest}</pre>
</body></html>
"#,
        t = escape(title),
        claim_css = CLAIM_CSS,
        spec = escape(spec),
        manifest = escape(manifest),
    )
}

/// The colours of series in a figure, in order (every topic's figures share them).
pub const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// The style of the claim box ([`claim_html`]).
pub(crate) const CLAIM_CSS: &str =
    ".claim{border:2px solid;border-radius:6px;padding:0.5em 1em;margin:1em 0}
.holds{border-color:#2ca02c;background:#f3fbf3}.fails{border-color:#d62728;background:#fdf3f3}
.ok{color:#2ca02c;font-weight:bold}.no{color:#d62728;font-weight:bold}";

/// Each figure as an HTML `<figure>` with its file name and caption.
pub(crate) fn figures_html(figures: &[Figure]) -> String {
    figures
        .iter()
        .map(|f| {
            format!(
                "<figure>{}<figcaption><code>{}</code>: {}</figcaption></figure>\n",
                f.svg,
                f.file,
                escape(&f.caption)
            )
        })
        .collect()
}

/// The claim box: statement, paper, and each check with ✓/✗.
pub(crate) fn claim_html(c: &Claim) -> String {
    let mark = |ok: bool| {
        if ok {
            "<span class=\"ok\">✓ holds</span>"
        } else {
            "<span class=\"no\">✗ fails</span>"
        }
    };
    let checks: String = c
        .checks
        .iter()
        .map(|k| {
            format!(
                "<tr><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&k.quantity),
                k.measured.map_or("—".to_string(), sig),
                escape(&k.expected.to_string()),
                mark(k.holds),
                escape(&k.why)
            )
        })
        .collect();
    format!(
        "<div class=\"claim {cls}\"><h2>Claim {m}</h2><p>{stmt}</p><p><i>{paper}</i></p>\
         <table><tr><th>quantity</th><th>measured</th><th>expected</th><th></th><th>why this tolerance</th></tr>{checks}</table></div>\n",
        cls = if c.holds { "holds" } else { "fails" },
        m = mark(c.holds),
        stmt = escape(&c.statement),
        paper = escape(&c.paper.to_string()),
    )
}

/// A metric value as HTML: numbers to four significant digits, short lists of numbers inline,
/// lists of records as a table, nested records as nested tables.
fn value_html(v: &serde_json::Value, depth: usize) -> String {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            n.as_f64().map_or(n.to_string(), |x| if n.is_f64() { sig(x) } else { n.to_string() })
        }
        Value::Null => "—".into(),
        Value::String(s) => escape(s),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) if a.iter().all(|x| !x.is_object() && !x.is_array()) => {
            // Inside a table of records a list stays short; the arrays are in the .npz files.
            let keep = if depth == 0 { 12 } else { 4 };
            let shown: Vec<String> =
                a.iter().take(keep).map(|x| value_html(x, depth + 1)).collect();
            let more =
                if a.len() > keep { format!(", … ({} values)", a.len()) } else { String::new() };
            format!("[{}{more}]", shown.join(", "))
        }
        Value::Array(a) if a.iter().all(Value::is_object) && depth < 3 => {
            let mut keys: Vec<&String> = Vec::new();
            for row in a {
                for k in row.as_object().into_iter().flat_map(|o| o.keys()) {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
            let head: String = keys.iter().map(|k| format!("<th>{}</th>", escape(k))).collect();
            let body: String = a
                .iter()
                .map(|row| {
                    let cells: String = keys
                        .iter()
                        .map(|k| {
                            format!(
                                "<td class=\"n\">{}</td>",
                                value_html(&row[k.as_str()], depth + 1)
                            )
                        })
                        .collect();
                    format!("<tr>{cells}</tr>")
                })
                .collect();
            format!("<table><tr>{head}</tr>{body}</table>")
        }
        Value::Object(m) if depth < 3 => {
            let body: String = m
                .iter()
                .map(|(k, v)| {
                    format!("<tr><th>{}</th><td>{}</td></tr>", escape(k), value_html(v, depth + 1))
                })
                .collect();
            format!("<table>{body}</table>")
        }
        other => format!("<code>{}</code>", escape(&other.to_string())),
    }
}
