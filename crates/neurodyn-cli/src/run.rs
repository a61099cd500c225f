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
            let text = neurodyn::io::spec::read_spec(path).map_err(bad_input)?;
            if neurodyn::io::spec::sweep::is_sweep(&text) {
                return Err(bad_input(anyhow!(
                    "{}: a sweep spec; run it with `neurodyn sweep` (or neurodyn.sweep in Python)",
                    path.display()
                )));
            }
            let prepared =
                kinds::prepare_file(path, &seed_override(options)?, false, &runner::limits())
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
        println!(
            "{}: ok (sweep {:?}: {} points of kind {}, every one validated; the first: {}{claim})",
            path.display(),
            sweep.name,
            points.len(),
            first.kind.name(),
            first.run.describe()
        );
        return Ok(());
    }
    let prepared = kinds::prepare_file(path, &[], false, &runner::limits()).map_err(bad_input)?;
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

/// `neurodyn sweep <spec>`: every point of a sweep on `workers` threads, each point with its
/// own rayon pool of `threads`; the same directory layout and `points.jsonl` rows as
/// `neurodyn.sweep` in Python, so either can continue the other's sweep.
pub fn sweep(
    spec_path: &Path,
    workers: Option<u16>,
    out: &Path,
    threads: u16,
    quiet: bool,
) -> Result<()> {
    use std::io::Write as _;
    let text = neurodyn::io::spec::read_spec(spec_path).map_err(bad_input)?;
    if !neurodyn::io::spec::sweep::is_sweep(&text) {
        return Err(bad_input(anyhow!(
            "{}: not a sweep spec (no [sweep] table)",
            spec_path.display()
        )));
    }
    let base = spec_path.parent().unwrap_or(Path::new("."));
    let (spec, points) =
        runner::sweep_points(&text, &spec_path.display().to_string(), base, &runner::limits())
            .map_err(bad_input)?;
    let root = out.join(&spec.name);
    let points_dir = root.join("points");
    std::fs::create_dir_all(&points_dir)?;
    let spec_file = root.join("sweep.toml");
    if spec_file.exists() && run_dir::read_text(&spec_file)? != text {
        return Err(bad_input(anyhow!(
            "{}: a different sweep with the same name is there; rename this one",
            root.display()
        )));
    }
    run_dir::write_text_atomic(&spec_file, &text)?;
    let log_path = root.join("points.jsonl");
    let logged: std::collections::HashSet<String> = std::fs::read_to_string(&log_path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|r| r["status"] == "done")
        .filter_map(|r| r["point"].as_str().map(String::from))
        .collect();
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open(&log_path)?;
    let row = |p: &runner::SweepPoint, result: std::result::Result<PathBuf, String>| {
        let params: serde_json::Map<String, serde_json::Value> = p
            .params
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
            .collect();
        let mut r = serde_json::json!({ "point": p.dir, "params": params });
        match result.and_then(|path| {
            let m = run_dir::read_text(&path.join("metrics.json")).map_err(|e| e.to_string())?;
            serde_json::from_str::<serde_json::Value>(&m).map_err(|e| e.to_string())
        }) {
            Ok(mut metrics) => {
                let claim = metrics.as_object_mut().and_then(|m| m.remove("claim"));
                r["status"] = "done".into();
                r["claim"] = claim.unwrap_or_default();
                r["metrics"] = metrics;
            }
            Err(e) => {
                r["status"] = "failed".into();
                r["error"] = e.into();
            }
        }
        r.to_string()
    };
    let mut todo = Vec::new();
    for p in &points {
        let complete = points_dir.join(&p.dir);
        if complete.join("metrics.json").is_file() {
            if !logged.contains(&p.dir) {
                writeln!(log, "{}", row(p, Ok(complete)))?;
            }
        } else {
            // A partial point is a dead run's: start it again.
            let partial = points_dir.join(format!(".{}.partial", p.dir));
            if partial.exists() {
                std::fs::remove_dir_all(&partial)?;
            }
            todo.push(p);
        }
    }
    let workers = workers
        .map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    let bar = if quiet { ProgressBar::hidden() } else { bar(todo.len() as u64, "sweep") };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    let started = utc_iso(SystemTime::now());
    let mut failed = 0;
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..workers.min(todo.len()) {
            let tx = tx.clone();
            let (todo, next, points_dir, started) = (&todo, &next, &points_dir, &started);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    let Some(p) = todo.get(i) else { break };
                    let result = runner::create_named(&p.prepared, points_dir, &p.dir)
                        .map_err(|e| e.to_string())
                        .and_then(|dir| {
                            let invocation = runner::Invocation {
                                threads: usize::from(threads),
                                command: std::env::args().collect(),
                                started_utc: started.clone(),
                            };
                            runner::execute(
                                &p.prepared,
                                dir,
                                false,
                                &invocation,
                                &Clock(Instant::now()),
                            )
                            .map(|done| done.path)
                            .map_err(|e| e.to_string())
                        });
                    if tx.send((i, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        for (i, result) in rx {
            if result.is_err() {
                failed += 1;
            }
            writeln!(log, "{}", row(todo[i], result))?;
            bar.inc(1);
            bar.set_message(format!("{failed} failed"));
        }
        Ok(())
    })?;
    bar.finish_and_clear();
    drop(log);
    let claim = runner::finish_sweep(&root)?;
    println!("{}", root.display());
    if let (Some(c), false) = (&claim, quiet) {
        eprintln!("claim ({}): {}", c.paper, if c.holds { "holds" } else { "DOES NOT HOLD" });
    }
    if failed > 0 {
        return Err(anyhow!(
            "{failed} of {} points failed (see {})",
            points.len(),
            log_path.display()
        ));
    }
    Ok(())
}

/// The clock of a sweep's point (no display; a signal exits the whole sweep).
struct Clock(Instant);

impl Progress for Clock {
    fn phase(&self, _: &str, _: u64) {}
    fn resize(&self, _: u64) {}
    fn advance(&self, _: u64, _: Option<String>) {}
    fn seconds(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

fn utc_iso(t: SystemTime) -> String {
    run_dir::utc_iso(t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()))
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
fn execute(
    prepared: &PreparedRun,
    run_dir: RunDir,
    resumed: bool,
    options: &RunOptions,
) -> Result<(PathBuf, Option<Claim>)> {
    let threads = options
        .threads
        .map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let invocation = runner::Invocation {
        threads,
        command: std::env::args().collect(),
        started_utc: run_dir::utc_iso(now),
    };
    let bars = Bars::new(options.quiet);
    crate::signals::arm(prepared.run.resumable());
    let done = runner::execute(prepared, run_dir, resumed, &invocation, &bars);
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

    /// Clears the last bar.
    fn finish(&self) {
        self.lock().finish_and_clear();
    }
}

impl Progress for Bars {
    fn phase(&self, name: &str, total: u64) {
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
}

/// Re-renders the figures and report of the run in `dir`.
fn write_report(dir: &Path) -> Result<()> {
    runner::write_report(dir).map_err(|e| match e {
        RunError::Other(m) => bad_input(anyhow!("{}: {m}", dir.display())),
        e => anyhow::Error::new(e),
    })
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
