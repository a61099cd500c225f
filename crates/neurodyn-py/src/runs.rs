//! Runs from specs, through the same registry and run skeleton as the CLI
//! (`neurodyn::runner`), so a run from Python is the CLI's run.

use crate::{from_spec_error, interruptible, spec_error, thread_count};
use neurodyn::io::run_dir::utc_iso;
use neurodyn::io::spec::Override;
use neurodyn::kinds::{self, PreparedRun, Progress};
use neurodyn::runner::{self, Invocation, RunError};
use pyo3::exceptions::{PyOSError, PyRuntimeError};
use pyo3::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(run_spec, m)?)?;
    m.add_function(wrap_pyfunction!(check_spec, m)?)?;
    m.add_function(wrap_pyfunction!(reproduce, m)?)?;
    m.add_function(wrap_pyfunction!(toml_from_json, m)?)?;
    m.add_function(wrap_pyfunction!(write_report, m)?)?;
    m.add_function(wrap_pyfunction!(sweep_points, m)?)?;
    m.add_function(wrap_pyfunction!(finish_sweep, m)?)?;
    Ok(())
}

/// The observer of a run from Python: the clock, and the stop flag Ctrl-C raises.
struct Observer<'a> {
    start: Instant,
    stop: &'a AtomicBool,
}

impl Progress for Observer<'_> {
    fn phase(&self, _: &str, _: u64) {}
    fn resize(&self, _: u64) {}
    fn advance(&self, _: u64, _: Option<String>) {}
    fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
    fn interrupted(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// Dotted overrides from a JSON object `{"model.n_hidden": 64, …}`.
fn overrides(json: Option<&str>) -> PyResult<Vec<Override>> {
    let Some(json) = json else { return Ok(vec![]) };
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| spec_error(Some("overrides"), e))?;
    let Some(map) = value.as_object() else {
        return Err(spec_error(Some("overrides"), "a dict of dotted field names to values"));
    };
    map.iter().map(|(k, v)| Ok((k.clone(), to_toml(v, k)?))).collect()
}

/// A JSON value as TOML (TOML has no null).
fn to_toml(v: &serde_json::Value, field: &str) -> PyResult<toml::Value> {
    use serde_json::Value as J;
    Ok(match v {
        J::Null => return Err(spec_error(Some(field), "None has no TOML form; leave it out")),
        J::Bool(b) => toml::Value::Boolean(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        J::String(s) => toml::Value::String(s.clone()),
        J::Array(a) => toml::Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| to_toml(x, &format!("{field}[{i}]")))
                .collect::<PyResult<_>>()?,
        ),
        J::Object(o) => toml::Value::Table(
            o.iter()
                .map(|(k, x)| {
                    let path = if field.is_empty() { k.clone() } else { format!("{field}.{k}") };
                    Ok((k.clone(), to_toml(x, &path)?))
                })
                .collect::<PyResult<_>>()?,
        ),
    })
}

/// A spec given as a dict (passed as JSON) in TOML.
#[pyfunction]
fn toml_from_json(json: &str) -> PyResult<String> {
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| spec_error(None, format!("spec dict: {e}")))?;
    match to_toml(&value, "")? {
        toml::Value::Table(t) => {
            toml::to_string(&t).map_err(|e| spec_error(None, format!("spec dict: {e}")))
        }
        _ => Err(spec_error(None, "a spec dict must be a mapping of tables")),
    }
}

fn prepare(
    text: &str,
    file: &str,
    base: &str,
    overrides_json: Option<&str>,
) -> PyResult<PreparedRun> {
    kinds::prepare(
        text,
        file,
        Path::new(base),
        &overrides(overrides_json)?,
        false,
        &runner::limits(),
    )
    .map_err(from_spec_error)
}

/// Validates a spec as `neurodyn check` does; returns the kind and its description.
#[pyfunction]
#[pyo3(signature = (text, file, base, overrides_json=None))]
fn check_spec(
    text: &str,
    file: &str,
    base: &str,
    overrides_json: Option<&str>,
) -> PyResult<(String, String)> {
    let p = prepare(text, file, base, overrides_json)?;
    Ok((p.kind.name().to_string(), p.run.describe()))
}

/// The Python error of a run that did not complete.
fn run_error(e: RunError) -> PyErr {
    match e {
        RunError::Stopped { message, partial, .. } => PyRuntimeError::new_err(format!(
            "{message}. The partial run is in {}",
            partial.display()
        )),
        RunError::Io(e) => PyOSError::new_err(e.to_string()),
        RunError::Other(m) => PyRuntimeError::new_err(m),
    }
}

fn unix_now() -> std::time::Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Runs a prepared spec to a complete run directory under `out`: its path and the claim as
/// JSON (or None).
fn start(
    py: Python<'_>,
    prepared: &PreparedRun,
    out: &Path,
    threads: Option<usize>,
    command: Vec<String>,
    dir_name: Option<&str>,
) -> PyResult<(PathBuf, Option<String>)> {
    let now = unix_now();
    let (run_dir, resumed) = match dir_name {
        Some(name) => runner::open_point(prepared, out, name),
        None => {
            runner::create(prepared, out, now.as_nanos(), std::process::id()).map(|d| (d, false))
        }
    }
    .map_err(|e| PyOSError::new_err(e.to_string()))?;
    let invocation =
        Invocation { threads: thread_count(threads), command, started_utc: utc_iso(now.as_secs()) };
    let done = interruptible(py, Some(invocation.threads), |stop| {
        let observer = Observer { start: Instant::now(), stop };
        runner::execute(prepared, run_dir, resumed, &invocation, &observer)
    })?
    .map_err(run_error)?;
    let claim = done.claim.map(|c| serde_json::to_string(&c).expect("a claim serialises"));
    Ok((done.path, claim))
}

/// Runs a spec (TOML text; `file` names it in errors, relative paths resolve from `base`),
/// in `out/<dir_name>` when given (a sweep's point: a checkpointed partial one resumes), else in
/// a new time-stamped directory.
#[pyfunction]
#[pyo3(signature = (text, file, base, out, overrides_json=None, threads=None, command=vec![], dir_name=None))]
fn run_spec(
    py: Python<'_>,
    text: &str,
    file: &str,
    base: &str,
    out: &str,
    overrides_json: Option<&str>,
    threads: Option<usize>,
    command: Vec<String>,
    dir_name: Option<&str>,
) -> PyResult<String> {
    let prepared = prepare(text, file, base, overrides_json)?;
    let (path, _) = start(py, &prepared, Path::new(out), threads, command, dir_name)?;
    Ok(path.display().to_string())
}

/// Re-renders a run's figures and report.
#[pyfunction]
fn write_report(path: &str) -> PyResult<()> {
    runner::write_report(Path::new(path)).map_err(run_error)
}

/// One reproduction for Python: spec path, run path or None, claim JSON or the error, seconds.
type ReproducedRow = (String, Option<String>, Option<String>, f64);

/// `neurodyn reproduce`: (the claims table in Markdown, one row per reproduction: spec path,
/// run path or None, claim JSON or the error, seconds).
#[pyfunction]
#[pyo3(signature = (paths, quick, out, threads=None, seed=None))]
fn reproduce(
    py: Python<'_>,
    paths: Vec<String>,
    quick: bool,
    out: &str,
    threads: Option<usize>,
    seed: Option<i64>,
) -> PyResult<(String, Vec<ReproducedRow>)> {
    let paths: Vec<PathBuf> = paths.into_iter().map(PathBuf::from).collect();
    let seed: Vec<Override> =
        seed.map(|s| ("seed".to_string(), toml::Value::Integer(s))).into_iter().collect();
    let found = runner::reproductions(&paths, &seed, quick, &runner::limits())
        .map_err(|e| spec_error(None, e))?;
    let mut rows: Vec<runner::Row> = Vec::new();
    let mut out_rows = Vec::new();
    for (path, prepared) in &found {
        let t0 = Instant::now();
        let command = vec!["neurodyn.reproduce".into(), path.display().to_string()];
        let result = start(py, prepared, Path::new(out), threads, command, None);
        let seconds = t0.elapsed().as_secs_f64();
        let result = match result {
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyKeyboardInterrupt>(py) => {
                return Err(e);
            }
            r => r,
        };
        match &result {
            Ok((run, claim)) => out_rows.push((
                path.display().to_string(),
                Some(run.display().to_string()),
                claim.clone(),
                seconds,
            )),
            Err(e) => {
                out_rows.push((path.display().to_string(), None, Some(e.to_string()), seconds))
            }
        }
        let row = result
            .map(|(run, claim)| {
                (run, claim.map(|c| serde_json::from_str(&c).expect("our claim JSON reads back")))
            })
            .map_err(|e| e.to_string());
        rows.push((path.clone(), row, seconds));
    }
    Ok((runner::claims_table(&rows, quick), out_rows))
}

/// The points of a sweep spec, every one validated: (name, base text, base file, base dir,
/// [(directory, params JSON, overrides JSON, kind)]).
#[pyfunction]
#[allow(clippy::type_complexity)]
fn sweep_points(
    text: &str,
    file: &str,
    base: &str,
) -> PyResult<(String, String, String, String, Vec<(String, String, String, String)>)> {
    let (sweep, points) = runner::sweep_points(text, file, Path::new(base), &runner::limits())
        .map_err(from_spec_error)?;
    let json = |o: &[Override]| -> String {
        let map: serde_json::Map<String, serde_json::Value> = o
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(serde_json::Value::Null)))
            .collect();
        serde_json::Value::Object(map).to_string()
    };
    let rows = points
        .iter()
        .map(|p| {
            (p.dir.clone(), json(&p.params), json(&p.overrides), p.prepared.kind.name().to_string())
        })
        .collect();
    Ok((sweep.name, sweep.base_text, sweep.base_file, sweep.base_dir.display().to_string(), rows))
}

/// Completes a sweep directory (summary, population claim, report): the claim as JSON or None.
#[pyfunction]
fn finish_sweep(path: &str) -> PyResult<Option<String>> {
    let claim = runner::finish_sweep(Path::new(path)).map_err(run_error)?;
    Ok(claim.map(|c| serde_json::to_string(&c).expect("a claim serialises")))
}
