//! Every command and flag, defined once: help text, defaults and parsing.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Build, run and dissect neural circuit models.
#[derive(Debug, Parser)]
#[command(name = "neurodyn", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an experiment spec and write a run directory.
    Run {
        /// The experiment spec (TOML). Not needed with --resume.
        #[arg(required_unless_present = "resume")]
        spec: Option<PathBuf>,
        /// Continue an interrupted run (its `.<name>.partial` directory) from its checkpoint.
        #[arg(long, value_name = "RUN_DIR", conflicts_with_all = ["spec", "seed"])]
        resume: Option<PathBuf>,
        #[command(flatten)]
        options: RunOptions,
    },
    /// Run the built-in demo: train a 3-bit flip-flop RNN and find its fixed points.
    Demo {
        #[command(flatten)]
        options: RunOptions,
    },
    /// Validate a spec without running it.
    Check {
        /// The experiment spec (TOML).
        spec: PathBuf,
    },
    /// Run every reproduction (specs with a `[reproduce]` table) and print the table of
    /// claims: paper, claim, measured, expected, holds. Exit 1 if any run fails or (full
    /// size) any claim does not hold.
    Reproduce {
        /// Spec files or folders to search (default: examples).
        #[arg(default_value = "examples")]
        paths: Vec<PathBuf>,
        /// Reduced sizes (about 20 s each): checks the pipeline; claims are shown, not judged.
        #[arg(long)]
        quick: bool,
        #[command(flatten)]
        options: RunOptions,
    },
    /// Run every point of a sweep spec (a `[sweep]` table) on a local pool of worker
    /// processes, or on a Dask cluster with --scheduler: each point a complete run directory
    /// under `<out>/<name>/points/`, named by the hash of its spec, and a line of
    /// `points.jsonl`. A point whose worker is killed runs again; running the sweep again
    /// skips complete points and resumes checkpointed ones. Exit 1 if a point fails.
    Sweep {
        /// The sweep spec (TOML).
        spec: PathBuf,
        /// Points run at once (default: all cores).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        workers: Option<u16>,
        /// Run on the Dask cluster at this scheduler address (e.g. tcp://host:8786) through
        /// the Python package: needs `pip install 'neurodyn[distributed]'`.
        #[arg(long, value_name = "ADDRESS", conflicts_with = "workers")]
        scheduler: Option<String>,
        /// Run only point I in this process (what each worker process is).
        #[arg(long, value_name = "I", hide = true)]
        point: Option<usize>,
        /// Directory that receives the sweep's directory.
        #[arg(long, default_value = "runs", value_name = "DIR")]
        out: PathBuf,
        /// neurodyn threads per point.
        #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        threads: u16,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Re-render the figures and report.html of a run directory.
    Report {
        /// The run directory.
        run_dir: PathBuf,
    },
}

/// Options shared by `run`, `demo` and `reproduce`.
#[derive(Clone, Debug, Args)]
pub struct RunOptions {
    /// Directory that receives the run directory.
    #[arg(long, default_value = "runs", value_name = "DIR")]
    pub out: PathBuf,
    /// Override the spec's seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Worker threads for parallel work (default: all cores): populations' members, the
    /// chunks of a batch (`train.batch_chunks`), fixed-point searches, sweeps' cases, spiking
    /// shards. No result depends on this.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}
