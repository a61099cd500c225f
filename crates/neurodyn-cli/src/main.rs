//! The `neurodyn` command line.
//!
//! Exit codes: 0 success; 2 bad input (spec, flags, run directory), nothing written;
//! 1 failure during the run (the partial run directory stays, resumable from its checkpoint);
//! 130 / 143 interrupted by SIGINT / SIGTERM (the run stays `.partial`; a run with
//! checkpoints saves one first and can be resumed).
// The binary is where the clock is read (run names, timings); libraries never do.
#![allow(clippy::print_stdout, clippy::print_stderr, clippy::disallowed_methods)]

mod flags;
mod run;
mod signals;
mod sweep;

use clap::Parser;
use flags::{Cli, Command};
use std::process::ExitCode;

/// An error caused by what the user gave us (exit code 2).
#[derive(Debug)]
pub struct BadInput(pub anyhow::Error);

impl std::fmt::Display for BadInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

impl std::error::Error for BadInput {}

/// A run stopped by a signal after saving what it could (exit code 130 or 143).
#[derive(Debug)]
pub struct Interrupted {
    /// The exit code.
    pub code: u8,
    /// What was saved and how to continue.
    pub message: String,
}

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.message)
    }
}

impl std::error::Error for Interrupted {}

/// Wraps any error as bad input.
pub fn bad_input(e: impl Into<anyhow::Error>) -> anyhow::Error {
    anyhow::Error::new(BadInput(e.into()))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    // From here on a signal exits with 130/143 (runs that checkpoint re-arm it to stop).
    signals::disarm_to_exit();
    neurodyn::core::mat::sequential_faer();
    let result = match cli.command {
        Command::Run { spec, resume, options } => {
            run::run(spec.as_deref(), resume.as_deref(), &options)
        }
        Command::Demo { options } => run::demo(&options),
        Command::Check { spec } => run::check(&spec),
        Command::Reproduce { paths, quick, options } => run::reproduce(&paths, quick, &options),
        Command::Report { run_dir } => run::report(&run_dir),
        Command::Sweep { spec, workers, scheduler, point, out, threads, quiet } => {
            sweep::sweep(&sweep::SweepArgs {
                spec: &spec,
                workers,
                out: &out,
                threads,
                quiet,
                scheduler: scheduler.as_deref(),
                point,
            })
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match (e.downcast_ref::<BadInput>(), e.downcast_ref::<Interrupted>()) {
            (Some(bad), _) => {
                eprintln!("error: {bad}");
                ExitCode::from(2)
            }
            (_, Some(stop)) => {
                eprintln!("interrupted: {stop}");
                ExitCode::from(stop.code)
            }
            (None, None) => {
                eprintln!("error: {e:#}");
                ExitCode::from(1)
            }
        },
    }
}
