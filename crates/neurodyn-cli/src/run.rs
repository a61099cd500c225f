//! `run`, `demo`, `check`, `report` and `reproduce`: from a spec, through the registry of run
//! kinds (`neurodyn::kinds`), to a complete run directory. One skeleton serves every kind.

use crate::bad_input;
use crate::flags::RunOptions;
use anyhow::{Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use neurodyn::io::claim::Claim;
use neurodyn::io::run_dir::{self, RunDir};
use neurodyn::io::spec::{DEMO_SPEC, Override};
use neurodyn::kinds::{self, PreparedRun, Progress};
use neurodyn::runner::{self, RunError};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// `neurodyn run <spec>` or `neurodyn run --resume <dir>`.
pub fn run(spec_path: Option<&Path>, resume: Option<&Path>, options: &RunOptions) -> Result<()> {
    match (spec_path, resume) {
        (_, Some(dir)) => {
            let prepared =
                kinds::prepare_file(&dir.join("spec.toml"), &[], false, &runner::limits())
                    .map_err(bad_input)?;
            let run_dir = RunDir::reopen(dir).map_err(bad_input)?;
            // A kind without checkpoints (one short computation) starts over in the directory.
            let resumable = prepared.run.resumable();
            if !resumable && !options.quiet {
                eprintln!(
                    "{} runs keep no checkpoints: this one starts over",
                    prepared.kind.name()
                );
            }
            execute(&prepared, run_dir, resumable, options)
                .map(|(done, _)| println!("{}", done.display()))
        }
        (Some(path), None) => {
            let text = neurodyn::io::spec::read_spec(path).map_err(bad_input)?;
            if neurodyn::io::spec::sweep::is_sweep(&text) {
                return Err(bad_input(anyhow!(
                    "{}: a sweep spec; run it with `neurodyn sweep` (or neurodyn.sweep in Python)",
                    path.display()
                )));
            }
            let prepared = prepare_read(path, &text, &seed_override(options)?)?;
            start(&prepared, options).map(|done| println!("{}", done.display()))
        }
        (None, None) => Err(bad_input(anyhow!("give a spec file or --resume <run-dir>"))),
    }
}

/// Prepares the spec `text` already read from `path` (read once: it may come from a pipe).
fn prepare_read(path: &Path, text: &str, overrides: &[Override]) -> Result<PreparedRun> {
    kinds::prepare_read(path, text, overrides, false, &runner::limits()).map_err(bad_input)
}

/// `neurodyn demo`: the built-in flip-flop spec.
pub fn demo(options: &RunOptions) -> Result<()> {
    let prepared = kinds::prepare(
        DEMO_SPEC,
        "<built-in demo spec>",
        Path::new("."),
        &seed_override(options)?,
        false,
        &runner::limits(),
    )
    .map_err(bad_input)?;
    start(&prepared, options).map(|done| println!("{}", done.display()))
}

/// `neurodyn check <spec>`: everything a run would refuse is refused here, and nothing large
/// is allocated (every kind checks its memory estimate first).
pub fn check(path: &Path) -> Result<()> {
    let text = neurodyn::io::spec::read_spec(path).map_err(bad_input)?;
    if neurodyn::io::spec::sweep::is_sweep(&text) {
        let base = path.parent().unwrap_or(Path::new("."));
        let (sweep, points) =
            runner::sweep_points(&text, &path.display().to_string(), base, &runner::limits())
                .map_err(bad_input)?;
        let first = &points[0].prepared;
        let file = path.display().to_string();
        let claim = if kinds::Reproduction::of(&text, &file).map_err(bad_input)?.is_some() {
            ", reproduces a published claim on the sweep's summary"
        } else {
            ""
        };
        let largest = points.iter().map(|p| p.prepared.memory_bytes).fold(0.0, f64::max);
        println!(
            "{}: ok (sweep {:?}: {} points of kind {}, every one validated; the first: {}; estimated memory: up to {} per point, {} for a pool of {} workers{claim})",
            path.display(),
            sweep.name,
            points.len(),
            first.kind.name(),
            first.run.describe(),
            bytes(largest),
            bytes(largest * cores() as f64),
            cores(),
        );
        return Ok(());
    }
    let prepared = prepare_read(path, &text, &[])?;
    let claim = if prepared.reproduction.is_some() { ", reproduces a published claim" } else { "" };
    println!(
        "{}: ok ({} run: {}; estimated memory {}{claim})",
        path.display(),
        prepared.kind.name(),
        prepared.run.describe(),
        bytes(prepared.memory_bytes)
    );
    Ok(())
}

/// The cores of this machine: the default of `--threads` and of `neurodyn sweep --workers`.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Bytes as KiB, MiB or GiB.
fn bytes(b: f64) -> String {
    match b {
        b if b >= (1u64 << 30) as f64 => format!("{:.2} GiB", b / (1u64 << 30) as f64),
        b if b >= (1u64 << 20) as f64 => format!("{:.1} MiB", b / (1u64 << 20) as f64),
        b => format!("{:.0} KiB", (b / 1024.0).ceil()),
    }
}

/// `neurodyn report <run-dir>`.
pub fn report(dir: &Path) -> Result<()> {
    if !dir.join("spec.toml").exists() && !dir.join("points.jsonl").exists() {
        return Err(bad_input(anyhow!(
            "{}: not a run or sweep directory (no spec.toml or points.jsonl)",
            dir.display()
        )));
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
    let found = runner::reproductions(paths, &seed_override(options)?, quick, &runner::limits())
        .map_err(|e| bad_input(anyhow!(e)))?;
    let quiet = RunOptions { quiet: true, ..options.clone() };
    let mut rows: Vec<runner::Row> = Vec::new();
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
        rows.push((path.clone(), result.map_err(|e| format!("{e:#}")), seconds));
    }
    println!("{}", runner::claims_table(&rows, quick));
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

fn start(prepared: &PreparedRun, options: &RunOptions) -> Result<PathBuf> {
    start_with_claim(prepared, options).map(|(path, _)| path)
}

/// A new run directory for `prepared`, run to completion: its path and its claim.
fn start_with_claim(
    prepared: &PreparedRun,
    options: &RunOptions,
) -> Result<(PathBuf, Option<Claim>)> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let run_dir = runner::create(prepared, &options.out, now.as_nanos(), std::process::id())
        .map_err(bad_input)?;
    execute(prepared, run_dir, false, options)
}

/// The CLI's side of a run: threads, clock, progress bars and signals around
/// [`runner::execute`]. Returns the complete run's path and its claim.
pub(crate) fn execute(
    prepared: &PreparedRun,
    run_dir: RunDir,
    resumed: bool,
    options: &RunOptions,
) -> Result<(PathBuf, Option<Claim>)> {
    let threads = options.threads.map_or_else(cores, usize::from);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let invocation = runner::Invocation {
        threads,
        command: std::env::args().collect(),
        started_utc: run_dir::utc_iso(now),
    };
    let bars = Bars::new(options.quiet);
    crate::signals::arm(prepared.run.resumable());
    let notice = || {
        if !options.quiet && prepared.run.resumable() {
            bars.notice(
                "stopping: the current step finishes and is saved first (a second Ctrl-C \
                 quits at once; the run stays resumable from its last save)",
            );
        }
    };
    let done = crate::signals::watch(notice, || {
        runner::execute(prepared, run_dir, resumed, &invocation, &bars)
    });
    bars.finish();
    crate::signals::disarm_to_exit();
    let done = done.map_err(|e| match (e, crate::signals::received()) {
        (RunError::Stopped { message, partial, .. }, Some(code)) => {
            anyhow::Error::new(crate::Interrupted {
                code,
                message: format!(
                    "{message}. Continue with: neurodyn run --resume {}",
                    partial.display()
                ),
            })
        }
        (RunError::Stopped { message, partial, .. }, None) => {
            anyhow!("{message}. The partial run is in {}", partial.display())
        }
        (e, _) => anyhow::Error::new(e),
    })?;
    if !options.quiet {
        eprintln!("{}", done.summary);
        if let Some(c) = &done.claim {
            eprintln!("claim ({}): {}", c.paper, if c.holds { "holds" } else { "DOES NOT HOLD" });
        }
    }
    Ok((done.path, done.claim))
}

/// Progress bars, one per phase; the clock of the run.
struct Bars {
    quiet: bool,
    start: Instant,
    bar: Mutex<ProgressBar>,
}

impl Bars {
    fn new(quiet: bool) -> Bars {
        Bars { quiet, start: Instant::now(), bar: Mutex::new(ProgressBar::hidden()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ProgressBar> {
        self.bar.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Prints a line on standard error without tearing the bar.
    fn notice(&self, text: &str) {
        self.lock().suspend(|| eprintln!("{text}"));
    }

    /// Clears the last bar.
    fn finish(&self) {
        self.lock().finish_and_clear();
    }
}

impl Progress for Bars {
    fn phase(&self, name: &str, total: u64) {
        crate::signals::fault_at_start();
        let mut b = self.lock();
        b.finish_and_clear();
        *b = if self.quiet { ProgressBar::hidden() } else { bar(total, name) };
    }
    fn resize(&self, total: u64) {
        self.lock().set_length(total);
    }
    fn advance(&self, done: u64, message: Option<String>) {
        let b = self.lock();
        b.set_position(done);
        if let Some(m) = message {
            b.set_message(m);
        }
    }
    fn seconds(&self) -> f64 {
        self.start.elapsed().as_secs_f64()
    }
    fn interrupted(&self) -> bool {
        crate::signals::received().is_some()
    }
    fn saved(&self) {
        crate::signals::fault_after_save();
    }
}

/// Re-renders the figures and report of the run in `dir`.
pub(crate) fn write_report(dir: &Path) -> Result<()> {
    runner::write_report(dir).map_err(|e| match e {
        RunError::Other(m) => bad_input(anyhow!("{}: {m}", dir.display())),
        e => anyhow::Error::new(e),
    })
}

pub(crate) fn bar(len: u64, what: &str) -> ProgressBar {
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
