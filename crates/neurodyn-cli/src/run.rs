//! `run`, `demo`, `check`, `report` and `reproduce`: from a spec, through the registry of run
//! kinds (`neurodyn::kinds`), to a complete run directory. One skeleton serves every kind.

use crate::bad_input;
use crate::flags::RunOptions;
use anyhow::{Context as _, Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use neurodyn::io::claim::{Claim, sig};
use neurodyn::io::run_dir::{self, Manifest, RunDir};
use neurodyn::io::spec::{self, DEMO_SPEC, Override};
use neurodyn::kinds::{self, Context, Limits, PreparedRun, Progress};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// `neurodyn run <spec>` or `neurodyn run --resume <dir>`.
pub fn run(spec_path: Option<&Path>, resume: Option<&Path>, options: &RunOptions) -> Result<()> {
    match (spec_path, resume) {
        (_, Some(dir)) => {
            let prepared = kinds::prepare_file(&dir.join("spec.toml"), &[], false, &limits())
                .map_err(bad_input)?;
            if !prepared.run.resumable() {
                return Err(bad_input(anyhow!(
                    "{}: {} runs are not resumable (only RNN training keeps checkpoints); run the spec again",
                    dir.display(),
                    prepared.kind.name()
                )));
            }
            let run_dir = RunDir::reopen(dir).map_err(bad_input)?;
            execute(&prepared, run_dir, true, options)
                .map(|(done, _)| println!("{}", done.display()))
        }
        (Some(path), None) => {
            let prepared = kinds::prepare_file(path, &seed_override(options)?, false, &limits())
                .map_err(bad_input)?;
            start(&prepared, options).map(|done| println!("{}", done.display()))
        }
        (None, None) => Err(bad_input(anyhow!("give a spec file or --resume <run-dir>"))),
    }
}

/// `neurodyn demo`: the built-in flip-flop spec.
pub fn demo(options: &RunOptions) -> Result<()> {
    let prepared = kinds::prepare(
        DEMO_SPEC,
        "<built-in demo spec>",
        Path::new("."),
        &seed_override(options)?,
        false,
        &limits(),
    )
    .map_err(bad_input)?;
    start(&prepared, options).map(|done| println!("{}", done.display()))
}

/// `neurodyn check <spec>`: everything a run would refuse is refused here, and nothing large
/// is allocated (every kind checks its memory estimate first).
pub fn check(path: &Path) -> Result<()> {
    let prepared = kinds::prepare_file(path, &[], false, &limits()).map_err(bad_input)?;
    let claim = if prepared.reproduction.is_some() { ", reproduces a published claim" } else { "" };
    println!(
        "{}: ok ({} run: {}{claim})",
        path.display(),
        prepared.kind.name(),
        prepared.run.describe()
    );
    Ok(())
}

/// `neurodyn report <run-dir>`.
pub fn report(dir: &Path) -> Result<()> {
    if !dir.join("spec.toml").exists() {
        return Err(bad_input(anyhow!("{}: not a run directory (no spec.toml)", dir.display())));
    }
    write_report(dir)?;
    println!("{}", dir.join("report.html").display());
    Ok(())
}

/// `neurodyn reproduce [--quick] [paths…]`: runs every reproduction (a spec with a
/// `[reproduce]` table) under the paths and prints one table of claims. Exit 1 if a run fails,
/// or (full size only) if a claim does not hold: the quick runs check the pipeline, not the
/// science.
pub fn reproduce(paths: &[PathBuf], quick: bool, options: &RunOptions) -> Result<()> {
    let mut specs = Vec::new();
    for p in paths {
        collect_specs(p, &mut specs)?;
    }
    specs.sort();
    let mut found = Vec::new();
    for path in specs {
        let text = spec::read_spec(&path).map_err(bad_input)?;
        let file = path.display().to_string();
        if kinds::Reproduction::of(&text, &file).map_err(bad_input)?.is_some() {
            let base = path.parent().unwrap_or(Path::new("."));
            let prepared =
                kinds::prepare(&text, &file, base, &seed_override(options)?, quick, &limits())
                    .map_err(bad_input)?;
            found.push((path, prepared));
        }
    }
    if found.is_empty() {
        return Err(bad_input(anyhow!("no reproductions (specs with a [reproduce] table) found")));
    }
    let quiet = RunOptions { quiet: true, ..options.clone() };
    let mut rows = Vec::new();
    for (i, (path, prepared)) in found.iter().enumerate() {
        eprintln!("[{}/{}] {} …", i + 1, found.len(), path.display());
        let t0 = Instant::now();
        let result = start_with_claim(prepared, &quiet);
        let seconds = t0.elapsed().as_secs_f64();
        if let Err(e) = &result
            && e.downcast_ref::<crate::Interrupted>().is_some()
        {
            // Asked to stop: the interrupted run is saved; the rest are not started.
            return result.map(|_| ());
        }
        match &result {
            Ok((_, Some(c))) => {
                eprintln!("      {} ({seconds:.1} s)", if c.holds { "holds" } else { "FAILS" })
            }
            Ok((_, None)) => eprintln!("      no claim ({seconds:.1} s)"),
            Err(e) => eprintln!("      error: {e:#}"),
        }
        rows.push((path.clone(), result, seconds));
    }
    println!("{}", table(&rows, quick));
    let errors = rows.iter().filter(|r| r.1.is_err()).count();
    let failing = rows
        .iter()
        .filter(|r| matches!(&r.1, Ok((_, c)) if !c.as_ref().is_some_and(|c| c.holds)))
        .count();
    match (errors, failing, quick) {
        (0, 0, _) | (0, _, true) => Ok(()),
        _ => Err(anyhow!("{errors} reproductions did not run, {failing} claims do not hold")),
    }
}

type Row = (PathBuf, Result<(PathBuf, Option<Claim>)>, f64);

/// The claims table in Markdown (it goes into README.md as is).
fn table(rows: &[Row], quick: bool) -> String {
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
                format!("{e:#}").replace('|', "/")
            )),
        }
    }
    if quick {
        out.push_str("\n(--quick: reduced sizes; claims are shown, not judged.)\n");
    }
    out
}

fn collect_specs(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    if path.is_file() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| bad_input(anyhow!("{}: {e}", path.display())))?;
    for entry in entries {
        let p = entry?.path();
        if p.is_dir() {
            collect_specs(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "toml") {
            out.push(p);
        }
    }
    Ok(())
}

/// `--seed` as an override of the spec's `seed`.
fn seed_override(options: &RunOptions) -> Result<Vec<Override>> {
    match options.seed {
        None => Ok(vec![]),
        Some(seed) => {
            let v = i64::try_from(seed)
                .map_err(|_| bad_input(anyhow!("--seed {seed}: at most {}", i64::MAX)))?;
            Ok(vec![("seed".to_string(), toml::Value::Integer(v))])
        }
    }
}

/// What this machine allows a run: its physical memory (from /proc/meminfo; no limit where
/// that cannot be read).
fn limits() -> Limits {
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|info| {
        let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
        let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib * 1024.0)
    });
    Limits { memory_bytes: total.unwrap_or(f64::INFINITY) }
}

fn start(prepared: &PreparedRun, options: &RunOptions) -> Result<PathBuf> {
    start_with_claim(prepared, options).map(|(path, _)| path)
}

/// A new run directory for `prepared`, run to completion: its path and its claim.
fn start_with_claim(
    prepared: &PreparedRun,
    options: &RunOptions,
) -> Result<(PathBuf, Option<Claim>)> {
    let run_dir = RunDir::create(
        &options.out,
        prepared.run.name(),
        &utc_stamp(SystemTime::now()),
        &short_id(),
    )
    .map_err(bad_input)?;
    run_dir.write_text("spec.toml", &prepared.resolved())?;
    execute(prepared, run_dir, false, options)
}

/// The one run skeleton: threads, clock and progress, the kind's run, then every file, the
/// manifest and the report, and the rename that marks the run complete. Returns the complete
/// run's path and its claim.
fn execute(
    prepared: &PreparedRun,
    run_dir: RunDir,
    resumed: bool,
    options: &RunOptions,
) -> Result<(PathBuf, Option<Claim>)> {
    let threads = options
        .threads
        .map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let started = utc_iso(SystemTime::now());
    let bars = Bars::new(options.quiet);
    crate::signals::arm(prepared.run.resumable());
    let finished = pool
        .install(|| kinds::run(prepared, &mut Context { dir: &run_dir, resumed, progress: &bars }));
    crate::signals::disarm_to_exit();
    let finished = finished.map_err(|e| match crate::signals::received() {
        Some(code) => anyhow::Error::new(crate::Interrupted {
            code,
            message: format!(
                "{e}. Continue with: neurodyn run --resume {}",
                run_dir.path().display()
            ),
        }),
        None => anyhow!("{e}. The partial run is in {}", run_dir.path().display()),
    })?;
    let t_write = Instant::now();
    for (file, arrays) in &finished.outcome.files {
        let named: Vec<(&str, neurodyn::io::npz::Array)> =
            arrays.iter().map(|(k, a)| (k.as_str(), a.clone())).collect();
        run_dir.write_npz(file, &named)?;
    }
    let mut phases = bars.finish();
    let metrics = finished.metrics_json();
    run_dir.write_text("metrics.json", &serde_json::to_string_pretty(&metrics)?)?;
    phases.push(("write".into(), t_write.elapsed().as_secs_f64()));
    let manifest = Manifest {
        schema_version: spec::SCHEMA_VERSION,
        kind: prepared.kind.name().to_string(),
        neurodyn_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("NEURODYN_GIT_COMMIT").map(String::from),
        rustc: option_env!("NEURODYN_RUSTC").map(String::from),
        cpu: cpu_model(),
        threads,
        command: std::env::args().collect(),
        started_utc: started,
        resumed,
        phase_seconds: phases,
    };
    run_dir.write_text("manifest.json", &serde_json::to_string_pretty(&manifest)?)?;
    write_report(run_dir.path())?;
    let done = run_dir.finish()?;
    if !options.quiet {
        eprintln!("{}", finished.outcome.summary);
        if let Some(c) = &finished.claim {
            eprintln!("claim ({}): {}", c.paper, if c.holds { "holds" } else { "DOES NOT HOLD" });
        }
    }
    Ok((done, finished.claim))
}

/// Progress bars, one per phase, and the wall time of each phase.
struct Bars {
    quiet: bool,
    start: Instant,
    state: Mutex<Phases>,
}

/// The current bar, the phases so far with their seconds, and when the current one began.
struct Phases {
    bar: ProgressBar,
    seconds: Vec<(String, f64)>,
    since: Instant,
}

impl Phases {
    /// Clears the bar and records the current phase's time.
    fn close(&mut self) {
        self.bar.finish_and_clear();
        let elapsed = self.since.elapsed().as_secs_f64();
        if let Some(last) = self.seconds.last_mut() {
            last.1 = elapsed;
        }
    }
}

impl Bars {
    fn new(quiet: bool) -> Bars {
        let phases =
            Phases { bar: ProgressBar::hidden(), seconds: Vec::new(), since: Instant::now() };
        Bars { quiet, start: Instant::now(), state: Mutex::new(phases) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Phases> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Clears the last bar; the phases and their seconds.
    fn finish(&self) -> Vec<(String, f64)> {
        let mut s = self.lock();
        s.close();
        s.seconds.clone()
    }
}

impl Progress for Bars {
    fn phase(&self, name: &str, total: u64) {
        let mut s = self.lock();
        s.close();
        s.seconds.push((name.to_string(), 0.0));
        s.since = Instant::now();
        s.bar = if self.quiet { ProgressBar::hidden() } else { bar(total, name) };
    }
    fn resize(&self, total: u64) {
        self.lock().bar.set_length(total);
    }
    fn advance(&self, done: u64, message: Option<String>) {
        let s = self.lock();
        s.bar.set_position(done);
        if let Some(m) = message {
            s.bar.set_message(m);
        }
    }
    fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
    fn interrupted(&self) -> bool {
        crate::signals::received().is_some()
    }
}

/// Re-renders the figures and report of the run in `dir` by the kind its manifest records
/// (runs written before manifests named their kind: by their spec's tables).
fn write_report(dir: &Path) -> Result<()> {
    let spec_text = run_dir::read_text(&dir.join("spec.toml"))?;
    let metrics_text = run_dir::read_text(&dir.join("metrics.json"))?;
    let manifest = run_dir::read_text(&dir.join("manifest.json")).unwrap_or_else(|_| "{}".into());
    let recorded = serde_json::from_str::<serde_json::Value>(&manifest)
        .ok()
        .and_then(|m| m["kind"].as_str().and_then(kinds::by_name));
    let kind = match recorded {
        Some(kind) => kind,
        None => kinds::detect(&spec_text, "spec.toml").map_err(bad_input)?,
    };
    let metrics: serde_json::Value = serde_json::from_str(&metrics_text)
        .with_context(|| format!("reading {}", dir.join("metrics.json").display()))?;
    // The kind reads its own tables only.
    let kind_spec = spec::apply_overrides(&spec_text, "spec.toml", &[], &[spec::REPRODUCE_TABLE])
        .map_err(bad_input)?;
    let figures = kind.figures(dir, &kind_spec, &metrics).context("drawing the figures")?;
    // The title is the run's name: its directory's, without the partial run's dot and suffix.
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("run");
    let title = name.trim_start_matches('.').trim_end_matches(".partial");
    let html = neurodyn_report::page(title, &metrics_text, &figures, &spec_text, &manifest);
    let figures_dir = dir.join("figures");
    std::fs::create_dir_all(&figures_dir)
        .with_context(|| format!("creating {}", figures_dir.display()))?;
    for f in &figures {
        run_dir::write_text_atomic(&figures_dir.join(&f.file), &f.svg)?;
    }
    run_dir::write_text_atomic(&dir.join("report.html"), &html)?;
    Ok(())
}

fn bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template(
        "{prefix:>12} [{bar:30}] {pos}/{len} {msg} {per_sec} ETA {eta}",
    )
    .map(|s| s.progress_chars("=> "))
    .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(what.to_string());
    bar
}

fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
}

/// A short random-looking id from the clock and the process id (not cryptographic).
fn short_id() -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let mut z = nanos ^ ((std::process::id() as u64) << 32);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    format!("{:06x}", (z ^ (z >> 31)) & 0xFF_FFFF)
}

/// Civil date from days since 1970-01-01 (proleptic Gregorian; the "days from civil" inverse).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

fn utc_parts(t: SystemTime) -> (i64, u32, u32, u64, u64, u64) {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil((secs / 86_400) as i64);
    let s = secs % 86_400;
    (y, m, d, s / 3600, (s / 60) % 60, s % 60)
}

/// `YYYYmmddTHHMMSSZ`, for directory names.
fn utc_stamp(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(t);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// ISO 8601 UTC, for manifests.
fn utc_iso(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn utc_formatting_matches_known_dates() {
        let at = |secs| UNIX_EPOCH + Duration::from_secs(secs);
        assert_eq!(utc_iso(at(0)), "1970-01-01T00:00:00Z");
        // 2000-02-29 12:34:56 UTC = 951827696 (a leap day in a century leap year).
        assert_eq!(utc_iso(at(951_827_696)), "2000-02-29T12:34:56Z");
        assert_eq!(utc_stamp(at(1_795_392_000)), "20261123T000000Z");
    }
}
