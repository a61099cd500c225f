//! From a prepared run to a complete run directory: the one skeleton that the command line
//! and the Python package share, so a run is the same bytes from either.
//!
//! [`create`] makes the partial directory and writes the resolved spec; [`execute`] runs the
//! kind on a rayon pool of the requested size, writes every array, `metrics.json` (with the
//! claim), `manifest.json` (with each phase's wall time, from the caller's clock), the figures
//! and `report.html`, and renames the directory to mark it complete. The caller reads the
//! clock and owns signals and display (a [`Progress`] observer); this module does neither.
//! [`reproductions`] and [`claims_table`] are `neurodyn reproduce`.

use crate::kinds::{self, Context, Limits, PreparedRun, Progress};
use neurodyn_io::claim::{Claim, sig};
use neurodyn_io::run_dir::{self, Manifest, RunDir};
use neurodyn_io::spec::{self, Override};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Who runs, with what: recorded in the manifest.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// Worker threads of the run's rayon pool.
    pub threads: usize,
    /// The command line (or the Python call) that started it.
    pub command: Vec<String>,
    /// UTC start time, ISO 8601 (the caller reads the clock).
    pub started_utc: String,
}

/// A complete run.
#[derive(Clone, Debug)]
pub struct Done {
    /// The complete run directory.
    pub path: PathBuf,
    /// The claim, when the spec reproduces a published result.
    pub claim: Option<Claim>,
    /// The kind's one-line summary.
    pub summary: String,
}

/// Why a run did not complete.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The kind stopped with an error, or because the caller asked it to (`interrupted`);
    /// the partial directory stays (resumable when the kind keeps checkpoints).
    #[error("{message}")]
    Stopped {
        /// What happened.
        message: String,
        /// The partial run directory.
        partial: PathBuf,
        /// Whether the caller's observer asked for the stop.
        interrupted: bool,
    },
    /// Writing the run's files failed.
    #[error(transparent)]
    Io(#[from] neurodyn_io::IoError),
    /// Anything else (the thread pool, figures).
    #[error("{0}")]
    Other(String),
}

/// What this machine allows a run: its physical memory (no limit where it cannot be read).
pub fn limits() -> Limits {
    Limits { memory_bytes: run_dir::machine_memory_bytes().unwrap_or(f64::INFINITY) }
}

/// A new partial run directory under `out` for `prepared`, named `<name>-<stamp>-<id>`, with
/// the resolved spec written in it.
pub fn create(
    prepared: &PreparedRun,
    out: &Path,
    unix_nanos: u128,
    pid: u32,
) -> Result<RunDir, neurodyn_io::IoError> {
    let seconds = (unix_nanos / 1_000_000_000) as u64;
    let run_dir = RunDir::create(
        out,
        prepared.run.name(),
        &run_dir::utc_stamp(seconds),
        &run_dir::short_id(unix_nanos as u64, pid),
    )?;
    run_dir.write_text("spec.toml", &prepared.resolved())?;
    Ok(run_dir)
}

/// A new partial run directory `<out>/.<dir_name>.partial` for `prepared` (a sweep's point),
/// with the resolved spec written in it.
pub fn create_named(
    prepared: &PreparedRun,
    out: &Path,
    dir_name: &str,
) -> Result<RunDir, neurodyn_io::IoError> {
    let run_dir = RunDir::create_named(out, dir_name)?;
    run_dir.write_text("spec.toml", &prepared.resolved())?;
    Ok(run_dir)
}

/// The directory of a sweep's point that is not complete: its partial directory reopened to
/// resume when it holds a checkpoint of a resumable run (an interrupted point), else a new
/// one, any dead worker's leftover removed first. Returns it and whether it resumes.
pub fn open_point(
    prepared: &PreparedRun,
    points_dir: &Path,
    dir_name: &str,
) -> Result<(RunDir, bool), neurodyn_io::IoError> {
    let partial = points_dir.join(format!(".{dir_name}.partial"));
    if prepared.run.resumable() && run_dir::has_checkpoint(&partial) {
        return Ok((RunDir::reopen(&partial)?, true));
    }
    if partial.exists() {
        run_dir::remove_dir(&partial)?;
    }
    Ok((create_named(prepared, points_dir, dir_name)?, false))
}

/// One point of a sweep, prepared (so validated) like a single run.
pub struct SweepPoint {
    /// Its directory's name: the run's name and the hash of its resolved spec.
    pub dir: String,
    /// The swept values of the point.
    pub params: Vec<Override>,
    /// Every override applied to the base spec.
    pub overrides: Vec<Override>,
    /// The prepared run.
    pub prepared: PreparedRun,
}

/// A sweep spec's name, its parsed form and every point prepared; the first point that does
/// not validate is the error (its field path is the base spec's, its message names the point).
pub fn sweep_points(
    text: &str,
    file: &str,
    base: &Path,
    limits: &Limits,
) -> Result<(neurodyn_io::spec::sweep::SweepSpec, Vec<SweepPoint>), neurodyn_io::spec::SpecError> {
    let sweep = neurodyn_io::spec::sweep::parse(text, file, base)?;
    let points = (0..sweep.points.len())
        .map(|i| sweep_point(&sweep, i, limits))
        .collect::<Result<_, _>>()?;
    Ok((sweep, points))
}

/// Point `i` of a parsed sweep, prepared (a worker process prepares only its own point).
pub fn sweep_point(
    sweep: &neurodyn_io::spec::sweep::SweepSpec,
    i: usize,
    limits: &Limits,
) -> Result<SweepPoint, neurodyn_io::spec::SpecError> {
    let p = &sweep.points[i];
    let prepared = kinds::prepare(
        &sweep.base_text,
        &sweep.base_file,
        &sweep.base_dir,
        &p.overrides,
        false,
        limits,
    )
    .map_err(|mut e| {
        let values: Vec<String> = p.params.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        e.message = format!("{} (sweep point {i}: {})", e.message, values.join(", "));
        e
    })?;
    let hash = neurodyn_io::spec::sweep::point_hash(&prepared.resolved());
    let dir = format!("{}-{hash}", prepared.run.name());
    Ok(SweepPoint { dir, params: p.params.clone(), overrides: p.overrides.clone(), prepared })
}

/// Runs `prepared` in `run_dir` (resuming from its checkpoint when `resumed`) and completes
/// the directory.
pub fn execute(
    prepared: &PreparedRun,
    run_dir: RunDir,
    resumed: bool,
    invocation: &Invocation,
    progress: &dyn Progress,
) -> Result<Done, RunError> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(invocation.threads.max(1))
        .build()
        .map_err(|e| RunError::Other(format!("starting {} threads: {e}", invocation.threads)))?;
    let timed = Timed { inner: progress, phases: Mutex::new(Vec::new()) };
    let finished = pool.install(|| {
        kinds::run(prepared, &mut Context { dir: &run_dir, resumed, progress: &timed })
    });
    let finished = finished.map_err(|message| RunError::Stopped {
        message,
        partial: run_dir.path().to_path_buf(),
        interrupted: progress.interrupted(),
    })?;
    let t_write = progress.seconds();
    for (file, arrays) in &finished.outcome.files {
        let named: Vec<(&str, neurodyn_io::npz::Array)> =
            arrays.iter().map(|(k, a)| (k.as_str(), a.clone())).collect();
        run_dir.write_npz(file, &named)?;
    }
    let metrics = finished.metrics_json();
    run_dir.write_text("metrics.json", &to_json(&metrics))?;
    let mut phase_seconds = timed.finish();
    phase_seconds.push(("write".into(), progress.seconds() - t_write));
    let manifest = Manifest {
        schema_version: spec::SCHEMA_VERSION,
        kind: prepared.kind.name().to_string(),
        neurodyn_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("NEURODYN_GIT_COMMIT").map(String::from),
        rustc: option_env!("NEURODYN_RUSTC").map(String::from),
        cpu: run_dir::cpu_model(),
        threads: invocation.threads,
        command: invocation.command.clone(),
        started_utc: invocation.started_utc.clone(),
        resumed,
        phase_seconds,
    };
    run_dir.write_text("manifest.json", &to_json(&manifest))?;
    write_report(run_dir.path())?;
    run_dir::remove_units(&run_dir)?;
    let path = run_dir.finish()?;
    Ok(Done { path, claim: finished.claim, summary: finished.outcome.summary })
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(value).expect("metrics and manifests serialise")
}

/// Forwards to the caller's observer and records each phase's wall time by its clock.
struct Timed<'a> {
    inner: &'a dyn Progress,
    phases: Mutex<Vec<(String, f64)>>,
}

impl Timed<'_> {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, f64)>> {
        self.phases.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Each phase with its seconds (the start time of an open phase becomes its duration).
    fn finish(&self) -> Vec<(String, f64)> {
        let now = self.inner.seconds();
        let mut phases = self.lock().clone();
        let starts: Vec<f64> = phases.iter().map(|p| p.1).collect();
        for (i, p) in phases.iter_mut().enumerate() {
            p.1 = starts.get(i + 1).copied().unwrap_or(now) - starts[i];
        }
        phases
    }
}

impl Progress for Timed<'_> {
    fn phase(&self, name: &str, total: u64) {
        self.lock().push((name.to_string(), self.inner.seconds()));
        self.inner.phase(name, total);
    }
    fn resize(&self, total: u64) {
        self.inner.resize(total);
    }
    fn advance(&self, done: u64, message: Option<String>) {
        self.inner.advance(done, message);
    }
    fn seconds(&self) -> f64 {
        self.inner.seconds()
    }
    fn interrupted(&self) -> bool {
        self.inner.interrupted()
    }
    fn saved(&self) {
        self.inner.saved();
    }
}

/// Re-renders the figures and `report.html` of the run in `dir` by the kind its manifest
/// records (runs written before manifests named their kind: by their spec's tables).
pub fn write_report(dir: &Path) -> Result<(), RunError> {
    if dir.join("points.jsonl").is_file() {
        return write_sweep_report(dir);
    }
    let spec_text = run_dir::read_text(&dir.join("spec.toml"))?;
    let metrics_text = run_dir::read_text(&dir.join("metrics.json"))?;
    let manifest = run_dir::read_text(&dir.join("manifest.json")).unwrap_or_else(|_| "{}".into());
    let recorded = serde_json::from_str::<serde_json::Value>(&manifest)
        .ok()
        .and_then(|m| m["kind"].as_str().and_then(kinds::by_name));
    let kind = match recorded {
        Some(kind) => kind,
        None => {
            kinds::detect(&spec_text, "spec.toml").map_err(|e| RunError::Other(e.to_string()))?
        }
    };
    let metrics: serde_json::Value = serde_json::from_str(&metrics_text).map_err(|e| {
        RunError::Other(format!("reading {}: {e}", dir.join("metrics.json").display()))
    })?;
    // The kind reads its own tables only.
    let kind_spec = spec::apply_overrides(&spec_text, "spec.toml", &[], &[spec::REPRODUCE_TABLE])
        .map_err(|e| RunError::Other(e.to_string()))?;
    let figures = kind
        .figures(dir, &kind_spec, &metrics)
        .map_err(|e| RunError::Other(format!("drawing the figures: {e}")))?;
    // The title is the run's name: its directory's, without the partial run's dot and suffix.
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("run");
    let title = name.trim_start_matches('.').trim_end_matches(".partial");
    let html = neurodyn_report::page(title, &metrics_text, &figures, &spec_text, &manifest);
    write_page(dir, &html, &figures)
}

/// Writes `report.html` and each figure under `figures/` (each file atomically).
fn write_page(dir: &Path, html: &str, figures: &[crate::kinds::Figure]) -> Result<(), RunError> {
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir)
        .map_err(|e| RunError::Other(format!("creating {}: {e}", figures_dir.display())))?;
    for f in figures {
        run_dir::write_text_atomic(&figures_dir.join(&f.file), &f.svg)?;
    }
    run_dir::write_text_atomic(&dir.join("report.html"), html)?;
    Ok(())
}

/// Completes a sweep directory after its points ran: `metrics.json` (the summary of
/// `points.jsonl`, with the claim of the sweep spec's `[reproduce]` table checked on it) and
/// the report. Returns the claim.
pub fn finish_sweep(dir: &Path) -> Result<Option<Claim>, RunError> {
    let rows = neurodyn_report::sweep::rows(dir)?;
    let mut summary = crate::sweep::summary(&rows);
    let spec_file = dir.join("sweep.toml");
    let text = run_dir::read_text(&spec_file)?;
    let geometry = neurodyn_io::spec::sweep::geometry(&text, &spec_file.display().to_string())
        .map_err(|e| RunError::Other(e.to_string()))?;
    if let Some(g) = geometry {
        // A geometry that cannot be computed (too few complete points, unpaired rows) is
        // recorded as such: the summary stands, and a claim on the geometry fails.
        let metrics = match crate::sweep::geometry(dir, &rows, &g) {
            Ok(g) => {
                run_dir::write_npz_atomic(&dir.join("geometry.npz"), &g.arrays)?;
                g.metrics
            }
            Err(e) => serde_json::json!({ "error": e }),
        };
        if let Some(map) = summary.as_object_mut() {
            map.insert("geometry".into(), metrics);
        }
    }
    let reproduction = kinds::Reproduction::of(&text, &spec_file.display().to_string())
        .map_err(|e| RunError::Other(e.to_string()))?;
    let claim = reproduction.map(|r| r.claim(&summary));
    if let (Some(c), Some(map)) = (&claim, summary.as_object_mut()) {
        map.insert("claim".into(), serde_json::to_value(c).expect("a claim serialises"));
    }
    run_dir::write_text_atomic(&dir.join("metrics.json"), &to_json(&summary))?;
    write_sweep_report(dir)?;
    Ok(claim)
}

/// The report of a sweep directory: `report.html` and its figures.
pub fn write_sweep_report(dir: &Path) -> Result<(), RunError> {
    let (html, figures) = neurodyn_report::sweep::report(dir)?;
    write_page(dir, &html, &figures)
}

/// Every reproduction (a spec with a `[reproduce]` table) in the files and folders `paths`,
/// sorted by path, prepared (at reduced sizes when `quick`) with `overrides`. Bad input (an
/// unreadable folder, a spec that does not validate) is an error naming it.
pub fn reproductions(
    paths: &[PathBuf],
    overrides: &[Override],
    quick: bool,
    limits: &Limits,
) -> Result<Vec<(PathBuf, PreparedRun)>, String> {
    let mut specs = Vec::new();
    for p in paths {
        collect_specs(p, &mut specs)?;
    }
    specs.sort();
    let mut found = Vec::new();
    for path in specs {
        let text = spec::read_spec(&path).map_err(|e| e.to_string())?;
        let file = path.display().to_string();
        // Sweep specs carry population claims, checked by `neurodyn sweep` on their summary.
        if neurodyn_io::spec::sweep::is_sweep(&text) {
            continue;
        }
        if kinds::Reproduction::of(&text, &file).map_err(|e| e.to_string())?.is_some() {
            let base = path.parent().unwrap_or(Path::new("."));
            let prepared = kinds::prepare(&text, &file, base, overrides, quick, limits)
                .map_err(|e| e.to_string())?;
            found.push((path, prepared));
        }
    }
    if found.is_empty() {
        return Err("no reproductions (specs with a [reproduce] table) found".into());
    }
    Ok(found)
}

fn collect_specs(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
    for entry in entries {
        let p = entry.map_err(|e| format!("{}: {e}", path.display()))?.path();
        if p.is_dir() {
            collect_specs(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
    Ok(())
}

/// One row of the claims table: the spec, its complete run's path and claim (or why it did
/// not run), and its wall time.
pub type Row = (PathBuf, Result<(PathBuf, Option<Claim>), String>, f64);

/// The claims table in Markdown (it goes into README.md as is).
pub fn claims_table(rows: &[Row], quick: bool) -> String {
    let mut out = String::from(
        "| reproduction | paper | claim | measured | expected | holds | s |\n|---|---|---|---|---|---|---|\n",
    );
    for (path, result, seconds) in rows {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
        match result {
            Ok((_, Some(c))) => {
                let measured: Vec<String> = c
                    .checks
                    .iter()
                    .map(|k| format!("{}: {}", k.quantity, k.measured.map_or("—".into(), sig)))
                    .collect();
                let expected: Vec<String> =
                    c.checks.iter().map(|k| k.expected.to_string()).collect();
                let marks: Vec<&str> =
                    c.checks.iter().map(|k| if k.holds { "✓" } else { "✗" }).collect();
                out.push_str(&format!(
                    "| {name} | {} | {} | {} | {} | {} {} | {seconds:.0} |\n",
                    c.paper,
                    c.statement,
                    measured.join("; "),
                    expected.join("; "),
                    if c.holds { "**yes**" } else { "**no**" },
                    marks.join(""),
                ));
            }
            Ok((_, None)) => {
                out.push_str(&format!("| {name} | | (no claim) | | | | {seconds:.0} |\n"))
            }
            Err(e) => out.push_str(&format!(
                "| {name} | | run failed: {} | | | **no** | {seconds:.0} |\n",
                e.replace('|', "/")
            )),
        }
    }
    if quick {
        out.push_str("\n(--quick: reduced sizes; claims are shown, not judged.)\n");
    }
    out
}
