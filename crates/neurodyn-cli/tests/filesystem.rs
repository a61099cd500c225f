//! Filesystem faults: an output path that is a file, a read-only output folder, a full disk,
//! and two processes starting the same run in the same folder at the same moment. Each gives a
//! clear error and the README's exit code, leaves no directory that looks complete, and
//! damages no earlier run.
//!
//! The read-only folder and the full disk are small tmpfs mounts, which need root (as in this
//! project's containers); elsewhere those two tests say they were skipped.

// A test harness may print and read the clock.
#![allow(clippy::print_stderr, clippy::disallowed_methods)]

mod common;

use common::{BIN, entries, scratch, stderr};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A tiny chaos study: a few kB of output.
const TINY: &str = "name = \"tiny\"\nseed = 1\n[chaos.tanh_gain_sweep]\nsizes = [10]\ngains = [2.0]\nn_transient = 10\nn_steps = 50\n";

/// A small RNN run: a few hundred kB of output (trajectories, fixed points, figures).
const RNN: &str = r#"name = "rnn"
seed = 3
[task.flip_flop]
n_bits = 2
n_steps = 60
p_pulse = 0.1
[model]
cell = "vanilla"
n_hidden = 32
dt = 10.0
tau = 20.0
[train]
learning_rate = 0.02
batch_size = 16
max_steps = 20
[fixed_points]
n_initial = 16
init_noise_std = 0.05
learning_rate = 0.01
max_iters = 50
q_stop = 1e-10
q_candidate = 1e-3
q_threshold = 1e-10
dedup_tol = 0.05
polish = false
[evaluation]
n_trials = 256
n_plot_trials = 4
"#;

fn run(spec: &Path, out: &Path) -> Output {
    Command::new(BIN)
        .args(["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
        .output()
        .expect("neurodyn runs")
}

/// A tmpfs mounted at `dir` with `options`, unmounted when dropped; `None` where mounting is
/// not allowed.
struct Mount(PathBuf);

impl Mount {
    fn new(dir: &Path, options: &str) -> Option<Mount> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs", dir.to_str().unwrap()])
            .output()
            .is_ok_and(|o| o.status.success());
        ok.then(|| Mount(dir.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn an_output_path_that_is_a_file_exits_2_naming_it() {
    let dir = scratch("file");
    let spec = dir.join("tiny.toml");
    std::fs::write(&spec, TINY).unwrap();
    let file = dir.join("results");
    std::fs::write(&file, "not a folder").unwrap();
    for out in [file.clone(), file.join("below")] {
        let o = run(&spec, &out);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("results: a file, where the output folder (--out) should be"), "{e}");
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
}

#[test]
fn a_read_only_output_folder_exits_2_and_writes_nothing() {
    let dir = scratch("readonly");
    let spec = dir.join("tiny.toml");
    std::fs::write(&spec, TINY).unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let Some(_mount) = Mount::new(&out, "ro,size=64k") else {
        eprintln!("skipped: mounting a read-only tmpfs needs root");
        return;
    };
    let o = run(&spec, &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("Read-only file system") && e.contains("--out"), "{e}");
    assert!(entries(&out).is_empty());
}

#[test]
fn a_full_disk_fails_the_run_leaving_it_partial_and_earlier_runs_intact() {
    let dir = scratch("full");
    let (tiny, rnn) = (dir.join("tiny.toml"), dir.join("rnn.toml"));
    std::fs::write(&tiny, TINY).unwrap();
    std::fs::write(&rnn, RNN).unwrap();
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let Some(_mount) = Mount::new(&out, "size=256k") else {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    };
    let o = run(&tiny, &out);
    assert_eq!(o.status.code(), Some(0), "the small run fits: {}", stderr(&o));
    let earlier = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let metrics = std::fs::read(earlier.join("metrics.json")).unwrap();
    let o = run(&rnn, &out);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(e.contains("the disk is full"), "{e}");
    let names = entries(&out);
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.iter().any(|n| n.starts_with(".rnn-") && n.ends_with(".partial")), "{names:?}");
    assert_eq!(std::fs::read(earlier.join("metrics.json")).unwrap(), metrics);
}

#[test]
fn two_processes_starting_the_same_run_at_once_get_two_directories() {
    let dir = scratch("race");
    let spec = dir.join("tiny.toml");
    std::fs::write(&spec, TINY).unwrap();
    let out = dir.join("out");
    let start = || {
        Command::new(BIN)
            .args(["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    for _ in 0..5 {
        let (a, b) = (start(), start());
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        assert_eq!(a.status.code(), Some(0), "{}", stderr(&a));
        assert_eq!(b.status.code(), Some(0), "{}", stderr(&b));
        assert_ne!(a.stdout, b.stdout, "two runs wrote one directory");
    }
    let names = entries(&out);
    assert_eq!(names.len(), 10, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("tiny-") && !n.ends_with(".partial")));
}
