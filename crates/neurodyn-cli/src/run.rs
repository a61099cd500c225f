//! `run`, `demo`, `check` and `report`: from a validated spec to a complete run directory.

use crate::bad_input;
use crate::flags::RunOptions;
use anyhow::{Context, Result, anyhow};
use indicatif::{ProgressBar, ProgressStyle};
use neurodyn::experiment;
use neurodyn::io::run_dir::{self, Manifest, RunDir};
use neurodyn::io::spec::{self, DEMO_SPEC, DecompSpec, Experiment, Spec, SpikingSpec};
use neurodyn::train::{Event, StopReason};
use std::ops::ControlFlow;
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// `neurodyn run <spec>` or `neurodyn run --resume <dir>`.
pub fn run(spec_path: Option<&Path>, resume: Option<&Path>, options: &RunOptions) -> Result<()> {
    match (spec_path, resume) {
        (_, Some(dir)) => {
            let spec = match spec::load_experiment(&dir.join("spec.toml")).map_err(bad_input)? {
                Experiment::Rnn(spec) => spec,
                Experiment::Spiking(_)
                | Experiment::Decomp(_)
                | Experiment::Chaos(_)
                | Experiment::Amp(_)
                | Experiment::Compare(_) => {
                    return Err(bad_input(anyhow!(
                        "{}: only RNN training runs are resumable (they keep checkpoints); run the spec again",
                        dir.display()
                    )));
                }
            };
            let run_dir = RunDir::reopen(dir).map_err(bad_input)?;
            execute(spec, run_dir, true, options)
        }
        (Some(path), None) => {
            let mut experiment = spec::load_experiment(path).map_err(bad_input)?;
            if let Some(seed) = options.seed {
                experiment.set_seed(seed);
            }
            match experiment {
                Experiment::Rnn(spec) => start(spec, options),
                Experiment::Spiking(spec) => start_spiking(spec, options),
                Experiment::Decomp(spec) => {
                    start_decomp(spec, path.parent().unwrap_or(Path::new(".")), options)
                }
                Experiment::Chaos(spec) => {
                    start_study(&spec.name, &spec.to_toml(), "chaos.npz", options, |p| {
                        neurodyn::chaos::run(&spec, p)
                    })
                }
                Experiment::Amp(spec) => {
                    start_study(&spec.name, &spec.to_toml(), "amp.npz", options, |p| {
                        neurodyn::amp::run(&spec, p)
                    })
                }
                Experiment::Compare(spec) => {
                    start_study(&spec.name, &spec.to_toml(), "comparison.npz", options, |p| {
                        neurodyn::compare::run(&spec, p)
                    })
                }
            }
        }
        (None, None) => Err(bad_input(anyhow!("give a spec file or --resume <run-dir>"))),
    }
}

/// `neurodyn demo`: the built-in flip-flop spec.
pub fn demo(options: &RunOptions) -> Result<()> {
    let mut spec = spec::parse(DEMO_SPEC, "<built-in demo spec>").map_err(bad_input)?;
    if let Some(seed) = options.seed {
        spec.seed = seed;
    }
    start(spec, options)
}

/// `neurodyn check <spec>`.
pub fn check(path: &Path) -> Result<()> {
    let spec = match spec::load_experiment(path).map_err(bad_input)? {
        Experiment::Rnn(spec) => spec,
        Experiment::Chaos(spec) => {
            println!("{}: ok (chaos study, seed {})", path.display(), spec.seed);
            return Ok(());
        }
        Experiment::Amp(spec) => {
            println!("{}: ok (AMP study, seed {})", path.display(), spec.seed);
            return Ok(());
        }
        Experiment::Compare(spec) => {
            println!("{}: ok (comparison of {} networks)", path.display(), spec.networks.len());
            return Ok(());
        }
        Experiment::Decomp(spec) => {
            let data = decomp_data(&spec, path.parent().unwrap_or(Path::new(".")))?;
            println!(
                "{}: ok ({} of data shaped {:?}, rank {}, seed {})",
                path.display(),
                spec.method.kind(),
                data.shape,
                spec.method.settings().rank,
                spec.seed
            );
            return Ok(());
        }
        Experiment::Spiking(spec) => {
            // Building the network is the full validation (rules, delays, names).
            let (network, _) = neurodyn::spiking::build(&spec).map_err(bad_input)?;
            let n: usize = network.populations().iter().map(|p| p.n).sum();
            let m: usize = network.projections().iter().map(|p| p.n_synapses).sum();
            println!(
                "{}: ok (spiking network, {} populations, {n} neurons, {m} synapses, seed {})",
                path.display(),
                network.populations().len(),
                spec.seed
            );
            return Ok(());
        }
    };
    let c = spec.rnn_config();
    println!(
        "{}: ok ({} task, {:?} cell, {} hidden units, seed {})",
        path.display(),
        spec.task.kind(),
        c.cell,
        c.n_hidden,
        spec.seed
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

fn start(spec: Spec, options: &RunOptions) -> Result<()> {
    let run_dir = create_run(&spec.name, &spec.to_toml(), options)?;
    execute(spec, run_dir, false, options)
}

/// A new run directory under `--out` holding the resolved spec.
fn create_run(name: &str, resolved_spec: &str, options: &RunOptions) -> Result<RunDir> {
    let run_dir = RunDir::create(&options.out, name, &utc_stamp(SystemTime::now()), &short_id())
        .map_err(bad_input)?;
    run_dir.write_text("spec.toml", resolved_spec)?;
    Ok(run_dir)
}

/// Writes `metrics.json`, `manifest.json`, the figures and the report, then renames the
/// run directory to its complete name, which it returns.
fn complete_run(
    run_dir: RunDir,
    metrics: &serde_json::Value,
    manifest: &Manifest,
) -> Result<std::path::PathBuf> {
    run_dir.write_text("metrics.json", &serde_json::to_string_pretty(metrics)?)?;
    run_dir.write_text("manifest.json", &serde_json::to_string_pretty(manifest)?)?;
    write_report(run_dir.path())?;
    Ok(run_dir.finish()?)
}

/// Sizes rayon's global pool from `--threads` (default: every core); returns the size.
fn setup_threads(options: &RunOptions) -> usize {
    let threads = options
        .threads
        .map_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()), usize::from);
    // The global pool may already exist in tests that call twice; its size is then kept.
    let _ = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global();
    threads
}

fn manifest(
    threads: usize,
    started: String,
    resumed: bool,
    phases: Vec<(String, f64)>,
) -> Manifest {
    Manifest {
        schema_version: spec::SCHEMA_VERSION,
        neurodyn_version: env!("CARGO_PKG_VERSION").to_string(),
        git_commit: option_env!("NEURODYN_GIT_COMMIT").map(String::from),
        rustc: option_env!("NEURODYN_RUSTC").map(String::from),
        cpu: cpu_model(),
        threads,
        command: std::env::args().collect(),
        started_utc: started,
        resumed,
        phase_seconds: phases,
    }
}

/// A spiking spec: the network is built (and so fully validated) before the run directory
/// exists, so bad input leaves nothing behind.
fn start_spiking(spec: SpikingSpec, options: &RunOptions) -> Result<()> {
    let threads = setup_threads(options);
    let started = utc_iso(SystemTime::now());
    let t0 = Instant::now();
    let (mut network, mut recording) = neurodyn::spiking::build(&spec).map_err(bad_input)?;
    let build_seconds = t0.elapsed().as_secs_f64();
    let run_dir = create_run(&spec.name, &spec.to_toml(), options)?;

    let bar = progress(options.quiet, spec.simulation.n_steps(), "simulate");
    let t1 = Instant::now();
    let result = neurodyn::spiking::simulate(&spec, &mut network, &mut recording, &mut |k| {
        bar.set_position(k);
        true
    });
    let sim_seconds = t1.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let stats = result.map_err(|e| {
        anyhow!("simulation stopped: {e}. The partial run is in {}", run_dir.path().display())
    })?;

    let t2 = Instant::now();
    let arrays = neurodyn::spiking::spike_arrays(&network, &recording);
    run_dir.write_npz("spikes.npz", &named(&arrays))?;
    let (state, weights) = neurodyn::spiking::recorded_arrays(&network, &recording);
    if !state.is_empty() {
        run_dir.write_npz("state.npz", &named(&state))?;
    }
    if !weights.is_empty() {
        run_dir.write_npz("weights.npz", &named(&weights))?;
    }
    let metrics =
        neurodyn::spiking::metrics(&spec, &network, &recording, &stats, build_seconds, sim_seconds);
    let phases = vec![
        ("build".to_string(), build_seconds),
        ("simulate".to_string(), sim_seconds),
        ("write".to_string(), t2.elapsed().as_secs_f64()),
    ];
    let done = complete_run(run_dir, &metrics, &manifest(threads, started, false, phases))?;
    if !options.quiet {
        let rates: Vec<String> = metrics["populations"]
            .as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| {
                        format!("{k} {:.2} Hz", v["mean_rate_hz"].as_f64().unwrap_or(f64::NAN))
                    })
                    .collect()
            })
            .unwrap_or_default();
        eprintln!(
            "{}: {} ms simulated in {sim_seconds:.3} s (build {build_seconds:.3} s), {} synaptic events; {}",
            spec.name,
            metrics["simulated_ms"],
            stats.synaptic_events,
            rates.join(", ")
        );
    }
    println!("{}", done.display());
    Ok(())
}

/// The data of a decomposition spec, checked against the method; errors are bad input.
fn decomp_data(spec: &DecompSpec, base: &Path) -> Result<neurodyn::io::spec::decomp::Data> {
    let data = match &spec.data.planted {
        Some(p) => neurodyn::decomp::planted(p, spec.seed),
        None => spec.load_data(base).map_err(|e| bad_input(anyhow!(e)))?,
    };
    neurodyn::decomp::check_data(spec, &data).map_err(|e| bad_input(anyhow!("data: {e}")))?;
    Ok(data)
}

/// A decomposition spec: data read and checked before the run directory exists.
fn start_decomp(spec: DecompSpec, base: &Path, options: &RunOptions) -> Result<()> {
    let threads = setup_threads(options);
    let started = utc_iso(SystemTime::now());
    let data = decomp_data(&spec, base)?;
    let run_dir = create_run(&spec.name, &spec.to_toml(), options)?;
    let t0 = Instant::now();
    let f = neurodyn::decomp::fit(&spec, &data, spec.method.settings().rank, 0)
        .map_err(|e| anyhow!(e))?;
    let fit_seconds = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let summary = match &spec.selection {
        Some(sel) => {
            let bar = progress(options.quiet, 1, "rank sweep");
            bar.set_message(format!("{} ranks × {} restarts", sel.ranks.len(), sel.restarts));
            let s = neurodyn::decomp::select(&spec, &data, &sel.ranks, sel.restarts)
                .map_err(|e| anyhow!(e))?;
            bar.finish_and_clear();
            Some(s)
        }
        None => None,
    };
    let selection_seconds = t1.elapsed().as_secs_f64();
    run_dir.write_npz("factors.npz", &named(&neurodyn::decomp::fit_arrays(&f)))?;
    if let Some(s) = &summary {
        run_dir.write_npz("selection.npz", &named(&neurodyn::decomp::selection_arrays(s)))?;
    }
    let metrics = neurodyn::decomp::metrics(&spec, &f, summary.as_deref(), fit_seconds);
    let phases =
        vec![("fit".to_string(), fit_seconds), ("selection".to_string(), selection_seconds)];
    let done = complete_run(run_dir, &metrics, &manifest(threads, started, false, phases))?;
    if !options.quiet {
        eprintln!(
            "{}: {} rank {}: relative error {:.4e} after {} sweeps ({:.3} s)",
            spec.name,
            spec.method.kind(),
            f.rank,
            f.relative_error,
            f.loss.len() - 1,
            fit_seconds
        );
    }
    println!("{}", done.display());
    Ok(())
}

/// A study (a sweep compared with its paper, e.g. chaos or AMP): `study` runs it with a
/// progress callback; its arrays go to `npz`.
fn start_study(
    name: &str,
    resolved: &str,
    npz: &str,
    options: &RunOptions,
    study: impl FnOnce(&mut dyn FnMut(usize, usize)) -> Result<neurodyn::StudyResult, String>,
) -> Result<()> {
    let threads = setup_threads(options);
    let started = utc_iso(SystemTime::now());
    let run_dir = create_run(name, resolved, options)?;
    let t0 = Instant::now();
    let bar = progress(options.quiet, 1, "study");
    let result = study(&mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })
    .map_err(|e| anyhow!("{e}. The partial run is in {}", run_dir.path().display()))?;
    bar.finish_and_clear();
    let seconds = t0.elapsed().as_secs_f64();
    run_dir.write_npz(npz, &named(&result.arrays))?;
    let mut metrics = result.metrics;
    metrics["seconds"] = serde_json::json!(seconds);
    let phases = vec![("study".to_string(), seconds)];
    let done = complete_run(run_dir, &metrics, &manifest(threads, started, false, phases))?;
    if !options.quiet {
        eprintln!("{name}: {}", metrics["paper"].as_str().unwrap_or(""));
    }
    println!("{}", done.display());
    Ok(())
}

fn named(arrays: &[(String, neurodyn::io::npz::Array)]) -> Vec<(&str, neurodyn::io::npz::Array)> {
    arrays.iter().map(|(k, a)| (k.as_str(), a.clone())).collect()
}

fn execute(spec: Spec, run_dir: RunDir, resumed: bool, options: &RunOptions) -> Result<()> {
    let threads = setup_threads(options);
    let started = utc_iso(SystemTime::now());
    let mut phases = Vec::new();

    // Train.
    let t0 = Instant::now();
    let mut trainer = experiment::trainer(&spec);
    if resumed {
        let checkpoint = run_dir::load_checkpoint(
            run_dir.path(),
            spec.train.optimizer,
            trainer.rnn.params().len(),
        )
        .map_err(bad_input)?;
        trainer.restore(&checkpoint);
    }
    let bar = progress(options.quiet, spec.train.max_steps as u64, "train");
    bar.set_position(trainer.step as u64);
    let mut save_error = None;
    let stop = experiment::train(&spec, &mut trainer, &mut |event| match event {
        Event::Step { step, loss } => {
            bar.set_position(step as u64);
            bar.set_message(format!("loss {loss:.2e}"));
            ControlFlow::Continue(())
        }
        Event::Checkpoint(c) => match run_dir::save_checkpoint(&run_dir, c) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                save_error = Some(e);
                ControlFlow::Break(())
            }
        },
    });
    bar.finish_and_clear();
    if let Some(e) = save_error {
        return Err(anyhow!(e).context("saving a checkpoint"));
    }
    if stop == StopReason::Diverged {
        return Err(anyhow!(
            "training diverged at step {} (loss is not finite); lower train.learning_rate or set train.clip_grad_norm. The partial run is in {}",
            trainer.step,
            run_dir.path().display()
        ));
    }
    let train_seconds = t0.elapsed().as_secs_f64();
    phases.push(("train".to_string(), train_seconds));

    // Dissect.
    let t1 = Instant::now();
    let bar = progress(options.quiet, spec.fixed_points.n_initial as u64, "fixed points");
    let analysis = experiment::analyse(&spec, &trainer.rnn, &|done| bar.set_position(done as u64))
        .map_err(|e| anyhow!(e))?;
    bar.finish_and_clear();
    let analysis_seconds = t1.elapsed().as_secs_f64();
    phases.push(("analysis".to_string(), analysis_seconds));

    // Write.
    let t2 = Instant::now();
    run_dir.write_npz("model.npz", &experiment::model_arrays(&analysis.rnn))?;
    run_dir.write_npz("training.npz", &experiment::training_arrays(&trainer))?;
    run_dir.write_npz("trajectories.npz", &experiment::trajectory_arrays(&analysis))?;
    run_dir.write_npz("fixed_points.npz", &experiment::fixed_point_arrays(&analysis))?;
    let metrics =
        experiment::metrics(&spec, &trainer, stop, &analysis, train_seconds, analysis_seconds);
    phases.push(("write".to_string(), t2.elapsed().as_secs_f64()));
    let done = complete_run(run_dir, &metrics, &manifest(threads, started, resumed, phases))?;
    if !options.quiet {
        let fp = &metrics["fixed_points"];
        eprintln!(
            "{}: loss {:.3e}, held-out NMSE {:.4}, fixed points: {} stable, {} saddle, {} unstable",
            spec.name,
            metrics["final_loss"].as_f64().unwrap_or(f64::NAN),
            metrics["heldout_nmse"].as_f64().unwrap_or(f64::NAN),
            fp["stable"],
            fp["saddle"],
            fp["unstable"]
        );
    }
    println!("{}", done.display());
    Ok(())
}

fn write_report(dir: &Path) -> Result<()> {
    let report = neurodyn_report::render(dir).context("rendering the report")?;
    let figures = dir.join("figures");
    std::fs::create_dir_all(&figures).with_context(|| format!("creating {}", figures.display()))?;
    for (file, svg) in &report.figures {
        run_dir::write_text_atomic(&figures.join(file), svg)?;
    }
    run_dir::write_text_atomic(&dir.join("report.html"), &report.html)?;
    Ok(())
}

fn progress(quiet: bool, len: u64, what: &str) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
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
