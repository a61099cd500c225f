//! `neurodyn sweep`: every point of a sweep spec as a complete run directory under
//! `<out>/<name>/points/`, on a local pool of worker *processes* (each `neurodyn sweep SPEC
//! --point I`, so a point that crashes or is killed takes only its own process), or on a Dask
//! cluster through the Python package (`--scheduler`). The same layout and `points.jsonl`
//! rows as `neurodyn.sweep` in Python, so either can continue the other's sweep.
//!
//! A worker killed by a signal (the OOM killer, a `kill -9`) leaves its point `.partial`; the
//! point is started again, up to [`ATTEMPTS`] times. A worker that stops with an error (bad
//! input, a run that fails) is not retried: its error is the point's row. Ctrl-C or SIGTERM
//! stops launching points, lets the running ones save a checkpoint (they received the signal
//! too) and exits 130/143; running the sweep again resumes checkpointed points and skips
//! complete ones.

use crate::bad_input;
use crate::flags::RunOptions;
use anyhow::{Result, anyhow};
use neurodyn::io::run_dir;
use neurodyn::io::spec::sweep::SweepSpec;
use neurodyn::runner::{self, SweepPoint};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many times a point whose worker was killed is started.
pub const ATTEMPTS: usize = 3;

/// What `neurodyn sweep` was asked.
pub struct SweepArgs<'a> {
    /// The sweep spec.
    pub spec: &'a Path,
    /// Points at once.
    pub workers: Option<u16>,
    /// The folder of the sweep's directory.
    pub out: &'a Path,
    /// neurodyn threads per point.
    pub threads: u16,
    /// No progress bar.
    pub quiet: bool,
    /// A Dask scheduler to run on instead of local processes.
    pub scheduler: Option<&'a str>,
    /// Run only this point, in this process (what each worker is).
    pub point: Option<usize>,
}

fn parse(spec: &Path) -> Result<(String, SweepSpec)> {
    let text = neurodyn::io::spec::read_spec(spec).map_err(bad_input)?;
    if !neurodyn::io::spec::sweep::is_sweep(&text) {
        return Err(bad_input(anyhow!("{}: not a sweep spec (no [sweep] table)", spec.display())));
    }
    let base = spec.parent().unwrap_or(Path::new("."));
    let sweep = neurodyn::io::spec::sweep::parse(&text, &spec.display().to_string(), base)
        .map_err(bad_input)?;
    Ok((text, sweep))
}

/// `neurodyn sweep`.
pub fn sweep(args: &SweepArgs) -> Result<()> {
    if let Some(i) = args.point {
        return worker(args, i);
    }
    if let Some(address) = args.scheduler {
        return on_dask(args, address);
    }
    let (text, spec) = parse(args.spec)?;
    let points: Vec<SweepPoint> = (0..spec.points.len())
        .map(|i| runner::sweep_point(&spec, i, &runner::limits()))
        .collect::<Result<_, _>>()
        .map_err(bad_input)?;
    let root = args.out.join(&spec.name);
    let points_dir = root.join("points");
    std::fs::create_dir_all(&points_dir)?;
    let spec_file = root.join("sweep.toml");
    if spec_file.exists() && run_dir::read_text(&spec_file)? != text {
        return Err(bad_input(anyhow!(
            "{}: a different sweep with the same name is there; rename this one (or move that directory away)",
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
    let mut todo = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let complete = points_dir.join(&p.dir);
        if complete.join("metrics.json").is_file() {
            if !logged.contains(&p.dir) {
                writeln!(log, "{}", row(p, Ok(complete)))?;
            }
        } else {
            todo.push(i);
        }
    }
    let workers = args.workers.map_or_else(crate::run::cores, usize::from);
    let bar = if args.quiet {
        indicatif::ProgressBar::hidden()
    } else {
        crate::run::bar(todo.len() as u64, "sweep")
    };
    // Workers are processes: a signal from the terminal or Slurm reaches them too, and those
    // that keep checkpoints save one. Here the first signal stops launching points.
    crate::signals::arm(true);
    let exe = std::env::current_exe()?;
    let next = AtomicUsize::new(0);
    let (tx, rx) = std::sync::mpsc::channel();
    let mut failed = 0;
    let notice = || {
        if !args.quiet {
            bar.suspend(|| {
                eprintln!(
                    "stopping: no new points start; running points save and stop (a second \
                     Ctrl-C quits at once)"
                )
            });
        }
    };
    crate::signals::watch(notice, || {
        std::thread::scope(|scope| -> Result<()> {
            for _ in 0..workers.min(todo.len()) {
                let (tx, todo, next, exe) = (tx.clone(), &todo, &next, &exe);
                let (points, points_dir) = (&points, &points_dir);
                scope.spawn(move || {
                    while crate::signals::received().is_none() {
                        let Some(&i) = todo.get(next.fetch_add(1, Ordering::SeqCst)) else { break };
                        let result = run_point(exe, args, i, &points_dir.join(&points[i].dir));
                        if tx.send((i, result)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(tx);
            for (i, result) in rx {
                match &result {
                    Err(PointError::Interrupted) => continue,
                    Err(_) => failed += 1,
                    Ok(_) => {}
                }
                writeln!(log, "{}", row(&points[i], result.map_err(|e| e.to_string())))?;
                bar.inc(1);
                bar.set_message(format!("{failed} failed"));
            }
            Ok(())
        })
    })?;
    bar.finish_and_clear();
    drop(log);
    crate::signals::disarm_to_exit();
    if let Some(code) = crate::signals::received() {
        return Err(anyhow::Error::new(crate::Interrupted {
            code,
            message: format!(
                "the sweep stopped; complete points are kept and checkpointed ones resume: run the same `neurodyn sweep` again ({})",
                root.display()
            ),
        }));
    }
    let claim = runner::finish_sweep(&root)?;
    println!("{}", root.display());
    if let (Some(c), false) = (&claim, args.quiet) {
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

/// Why a point did not complete.
enum PointError {
    /// Its worker stopped on a signal sent to the sweep: not a failure, it resumes.
    Interrupted,
    /// Its worker reported an error, or was killed [`ATTEMPTS`] times.
    Failed(String),
}

impl std::fmt::Display for PointError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PointError::Interrupted => write!(f, "interrupted"),
            PointError::Failed(e) => write!(f, "{e}"),
        }
    }
}

/// Runs point `i` in a worker process, again if the worker is killed; its complete directory.
fn run_point(
    exe: &Path,
    args: &SweepArgs,
    i: usize,
    complete: &Path,
) -> Result<PathBuf, PointError> {
    use std::os::unix::process::ExitStatusExt as _;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        let output = Command::new(exe)
            .arg("sweep")
            .arg(args.spec)
            .args(["--point", &i.to_string(), "--threads", &args.threads.to_string(), "--quiet"])
            .arg("--out")
            .arg(args.out)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| PointError::Failed(format!("cannot start a worker process: {e}")))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        let message = stderr.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
        match (output.status.code(), output.status.signal()) {
            (Some(0), _) => return Ok(complete.to_path_buf()),
            (Some(130 | 143), _) => return Err(PointError::Interrupted),
            (Some(code), _) => {
                let message = message.trim_start_matches("error: ");
                return Err(PointError::Failed(format!("exit {code}: {message}")));
            }
            (None, signal) => {
                let signal = signal.map_or("?".into(), |s| s.to_string());
                last = format!("its worker was killed by signal {signal} ({attempt} attempts)");
                if crate::signals::received().is_some() {
                    return Err(PointError::Interrupted);
                }
            }
        }
    }
    Err(PointError::Failed(last))
}

/// A `points.jsonl` row: the point's parameters, and its metrics and claim or its error.
fn row(p: &SweepPoint, result: std::result::Result<PathBuf, String>) -> String {
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
}

/// A worker: point `i` only, prepared from the spec, run in this process. A partial point
/// with a checkpoint resumes from it; any other partial one (a killed worker's) starts over
/// (`runner::open_point`).
fn worker(args: &SweepArgs, i: usize) -> Result<()> {
    let (_, spec) = parse(args.spec)?;
    if i >= spec.points.len() {
        return Err(bad_input(anyhow!("--point {i}: the sweep has {} points", spec.points.len())));
    }
    let p = runner::sweep_point(&spec, i, &runner::limits()).map_err(bad_input)?;
    let points_dir = args.out.join(&spec.name).join("points");
    let complete = points_dir.join(&p.dir);
    if complete.join("metrics.json").is_file() {
        println!("{}", complete.display());
        return Ok(());
    }
    let options = RunOptions {
        out: points_dir.clone(),
        seed: None,
        threads: Some(args.threads),
        quiet: true,
    };
    let (dir, resumed) = runner::open_point(&p.prepared, &points_dir, &p.dir).map_err(bad_input)?;
    let (path, _) = crate::run::execute(&p.prepared, dir, resumed, &options)?;
    println!("{}", path.display());
    Ok(())
}

/// `--scheduler`: the sweep on a running Dask cluster, through the Python package (Dask is
/// Python's): `python3 -m neurodyn.sweeps` (`NEURODYN_PYTHON` names another interpreter).
fn on_dask(args: &SweepArgs, address: &str) -> Result<()> {
    let python = std::env::var("NEURODYN_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut command = Command::new(&python);
    command.args(["-m", "neurodyn.sweeps"]).arg(args.spec).arg("--out").arg(args.out).args([
        "--scheduler",
        address,
        "--threads",
        &args.threads.to_string(),
    ]);
    if args.quiet {
        command.arg("--quiet");
    }
    let status = command.status().map_err(|e| {
        bad_input(anyhow!(
            "--scheduler needs Python with neurodyn[distributed] installed; cannot start {python}: {e}"
        ))
    })?;
    match status.code() {
        Some(0) => Ok(()),
        Some(3) => Err(bad_input(anyhow!(
            "--scheduler needs the Python package with Dask: pip install 'neurodyn[distributed]' (into {python}, or set NEURODYN_PYTHON)"
        ))),
        Some(2) => Err(bad_input(anyhow!("the Python sweep refused its input (above)"))),
        Some(code) => Err(anyhow!("the Python sweep on {address} failed (exit {code})")),
        None => Err(anyhow!("the Python sweep on {address} was killed by a signal")),
    }
}
