//! Run directories, written atomically, and what goes in them besides arrays.
//!
//! A run is written into `<out>/.<name>-<stamp>-<id>.partial/` and renamed to
//! `<out>/<name>-<stamp>-<id>/` only when every file is in place, so a directory without the
//! leading dot is always complete, and an interrupted run is visibly partial (and resumable
//! from its checkpoint). Neither name may exist beforehand: a run never overwrites another.
//! Each file inside is itself written to `<file>.tmp` and renamed.

use crate::IoError;
use crate::npz::{self, Array};
use neurodyn_train::{Checkpoint, History, Optimizer, OptimizerKind};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

const PARTIAL_SUFFIX: &str = ".partial";

/// A run directory being written.
#[derive(Debug)]
pub struct RunDir {
    partial: PathBuf,
    complete: PathBuf,
}

impl RunDir {
    /// Creates `<out>/.<name>-<stamp>-<id>.partial/` (and `out` if needed).
    pub fn create(out: &Path, name: &str, stamp: &str, id: &str) -> Result<RunDir, IoError> {
        RunDir::create_named(out, &format!("{name}-{stamp}-{id}"))
    }

    /// Creates `<out>/.<base>.partial/` for a run to be named `<base>` (e.g. a sweep's point,
    /// named by the hash of its spec).
    pub fn create_named(out: &Path, base: &str) -> Result<RunDir, IoError> {
        if let Some(file) = out.ancestors().find(|p| p.exists()).filter(|p| !p.is_dir()) {
            return Err(IoError::format(file, "a file, where the output folder (--out) should be"));
        }
        std::fs::create_dir_all(out).map_err(IoError::os(out))?;
        let complete = out.join(base);
        let partial = out.join(format!(".{base}{PARTIAL_SUFFIX}"));
        if complete.exists() {
            return Err(IoError::format(
                &complete,
                "a run with this name already exists; it is never overwritten",
            ));
        }
        // create_dir (not _all) fails if the directory exists: no two runs share it.
        std::fs::create_dir(&partial).map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => IoError::format(
                &partial,
                "another run with this name is being written here (or was interrupted); never shared",
            ),
            _ => IoError::os(&partial)(e),
        })?;
        Ok(RunDir { partial, complete })
    }

    /// Re-opens an interrupted run (a `.partial` directory) to resume it.
    pub fn reopen(partial: &Path) -> Result<RunDir, IoError> {
        let name = partial.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let base = name.strip_prefix('.').and_then(|n| n.strip_suffix(PARTIAL_SUFFIX));
        let Some(base) = base.filter(|_| partial.is_dir()) else {
            let why = if partial.is_dir() && !name.starts_with('.') {
                "this run is already complete; only an interrupted run (a `.<name>.partial` directory) can be resumed"
            } else {
                "not an interrupted run directory (expected `.<name>.partial`)"
            };
            return Err(IoError::format(partial, why));
        };
        let complete = partial.with_file_name(base);
        if complete.exists() {
            return Err(IoError::format(
                &complete,
                "the completed run already exists; it is never overwritten",
            ));
        }
        Ok(RunDir { partial: partial.to_path_buf(), complete })
    }

    /// Where files go while the run is being written.
    pub fn path(&self) -> &Path {
        &self.partial
    }

    /// Where the run will be once complete.
    pub fn final_path(&self) -> &Path {
        &self.complete
    }

    /// Writes a text file atomically.
    pub fn write_text(&self, file: &str, text: &str) -> Result<(), IoError> {
        write_text_atomic(&self.partial.join(file), text)
    }

    /// Writes an `.npz` atomically.
    pub fn write_npz(&self, file: &str, arrays: &[(&str, Array)]) -> Result<(), IoError> {
        let path = self.partial.join(file);
        let tmp = tmp_path(&path);
        npz::write(&tmp, arrays)?;
        std::fs::rename(&tmp, &path).map_err(IoError::os(&path))
    }

    /// Renames the directory to its final name; returns that path.
    pub fn finish(self) -> Result<PathBuf, IoError> {
        if self.complete.exists() {
            return Err(IoError::format(
                &self.complete,
                "a run with this name already exists; it is never overwritten",
            ));
        }
        std::fs::rename(&self.partial, &self.complete).map_err(IoError::os(&self.complete))?;
        Ok(self.complete)
    }
}

fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Writes `text` to `path` through a temporary file and a rename.
pub fn write_text_atomic(path: &Path, text: &str) -> Result<(), IoError> {
    let tmp = tmp_path(path);
    std::fs::write(&tmp, text).map_err(IoError::os(&tmp))?;
    std::fs::rename(&tmp, path).map_err(IoError::os(path))
}

/// Writes `arrays` as an `.npz` at `path` via a temporary file and a rename: readers see the
/// old file or the complete new one.
pub fn write_npz_atomic(path: &Path, arrays: &[(&str, Array)]) -> Result<(), IoError> {
    let tmp = tmp_path(path);
    crate::npz::write(&tmp, arrays)?;
    std::fs::rename(&tmp, path).map_err(IoError::os(path))
}

/// Removes a directory and everything in it (a dead run's partial directory), naming it on
/// failure.
pub fn remove_dir(path: &Path) -> Result<(), IoError> {
    std::fs::remove_dir_all(path).map_err(IoError::os(path))
}

/// Reads a text file, naming it on failure.
pub fn read_text(path: &Path) -> Result<String, IoError> {
    std::fs::read_to_string(path).map_err(IoError::os(path))
}

/// Folder of a run directory holding the checkpoints of finished units of work (a study's
/// cases, a spiking network's state); removed when the run completes.
pub const UNITS_DIR: &str = "checkpoints";

fn unit_path(dir: &Path, key: &str) -> PathBuf {
    dir.join(UNITS_DIR).join(format!("{key}.bin"))
}

/// Saves the result of unit `key` into the run's checkpoint folder, atomically, in postcard's
/// binary form (every f64 bit kept, NaN included).
pub fn save_unit<T: Serialize>(dir: &RunDir, key: &str, value: &T) -> Result<(), IoError> {
    let path = unit_path(dir.path(), key);
    let folder = path.parent().unwrap_or(dir.path());
    std::fs::create_dir_all(folder).map_err(IoError::os(folder))?;
    let bytes = postcard::to_stdvec(value)
        .map_err(|e| IoError::format(&path, format!("cannot encode the checkpoint: {e}")))?;
    let tmp = tmp_path(&path);
    std::fs::write(&tmp, bytes).map_err(IoError::os(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(IoError::os(&path))
}

/// Loads the result of unit `key` saved by [`save_unit`], if there is one.
pub fn load_unit<T: serde::de::DeserializeOwned>(
    dir: &Path,
    key: &str,
) -> Result<Option<T>, IoError> {
    let path = unit_path(dir, key);
    match std::fs::read(&path) {
        Ok(bytes) => postcard::from_bytes(&bytes).map(Some).map_err(|e| {
            IoError::format(
                &path,
                format!(
                    "not a checkpoint this version of neurodyn wrote ({e}); run the spec again"
                ),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(IoError::os(&path)(e)),
    }
}

/// Whether a partial run directory holds a checkpoint to resume from.
pub fn has_checkpoint(dir: &Path) -> bool {
    dir.join(CHECKPOINT_FILE).is_file() || dir.join(UNITS_DIR).is_dir()
}

/// Removes the checkpoints of finished units (the run is complete and no longer needs them).
pub fn remove_units(dir: &RunDir) -> Result<(), IoError> {
    let folder = dir.path().join(UNITS_DIR);
    match std::fs::remove_dir_all(&folder) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(IoError::os(&folder)(e)),
        _ => Ok(()),
    }
}

/// File name of the training checkpoint inside a run directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.npz";

/// Saves a checkpoint into `dir` atomically.
pub fn save_checkpoint(dir: &RunDir, c: &Checkpoint) -> Result<(), IoError> {
    let f = |v: &[f32]| v.iter().map(|&x| x as f64).collect::<Vec<f64>>();
    let vec = |v: Vec<f64>| Array::f64(&[v.len()], v);
    dir.write_npz(
        CHECKPOINT_FILE,
        &[
            ("step", Array::f64(&[1], vec![c.step as f64])),
            ("optimizer_t", Array::f64(&[1], vec![c.optimizer.t as f64])),
            ("params", vec(f(&c.params))),
            ("optimizer_m", vec(f(&c.optimizer.m))),
            ("optimizer_v", vec(f(&c.optimizer.v))),
            ("loss", vec(c.history.loss.clone())),
            ("grad_norm", vec(c.history.grad_norm.clone())),
            ("learning_rate", vec(c.history.learning_rate.clone())),
        ],
    )
}

/// Loads the checkpoint of a run directory; `kind` is the optimiser of the run's spec.
pub fn load_checkpoint(
    dir: &Path,
    kind: OptimizerKind,
    n_params: usize,
) -> Result<Checkpoint, IoError> {
    let path = dir.join(CHECKPOINT_FILE);
    if !path.exists() {
        return Err(IoError::format(
            &path,
            "no checkpoint: the run was interrupted before its first checkpoint",
        ));
    }
    let get = |name| npz::read_f64(&path, name).map(|a| a.1);
    let f32s = |v: Vec<f64>| v.into_iter().map(|x| x as f32).collect::<Vec<f32>>();
    let params = f32s(get("params")?);
    if params.len() != n_params {
        return Err(IoError::format(
            &path,
            format!("checkpoint has {} parameters, the spec's network {n_params}", params.len()),
        ));
    }
    Ok(Checkpoint {
        step: get("step")?[0] as usize,
        params,
        optimizer: Optimizer {
            kind,
            m: f32s(get("optimizer_m")?),
            v: f32s(get("optimizer_v")?),
            t: get("optimizer_t")?[0] as u64,
        },
        history: History {
            loss: get("loss")?,
            grad_norm: get("grad_norm")?,
            learning_rate: get("learning_rate")?,
        },
    })
}

/// File name of a population's checkpoint (every member's) inside a run directory.
pub const POPULATION_CHECKPOINT_FILE: &str = "population_checkpoint.npz";

/// Saves the checkpoints of a population's members into `dir` atomically: per-member arrays
/// stacked (`K × P`), histories concatenated in member order (member `k`'s has `step[k]`
/// entries).
pub fn save_population_checkpoint(dir: &RunDir, members: &[Checkpoint]) -> Result<(), IoError> {
    let k = members.len();
    // Each field's width from the first member (SGD keeps no second moment: width 0).
    let stack = |f: &dyn Fn(&Checkpoint) -> &[f32]| -> Array {
        let width = members.first().map_or(0, |c| f(c).len());
        Array::f64(
            &[k, width],
            members.iter().flat_map(|c| f(c).iter().map(|&x| x as f64)).collect(),
        )
    };
    let per = |f: &dyn Fn(&Checkpoint) -> f64| Array::f64(&[k], members.iter().map(f).collect());
    let cat = |f: &dyn Fn(&Checkpoint) -> &[f64]| -> Array {
        let v: Vec<f64> = members.iter().flat_map(|c| f(c).iter().copied()).collect();
        Array::f64(&[v.len()], v)
    };
    dir.write_npz(
        POPULATION_CHECKPOINT_FILE,
        &[
            ("step", per(&|c| c.step as f64)),
            ("optimizer_t", per(&|c| c.optimizer.t as f64)),
            ("params", stack(&|c| &c.params)),
            ("optimizer_m", stack(&|c| &c.optimizer.m)),
            ("optimizer_v", stack(&|c| &c.optimizer.v)),
            ("loss", cat(&|c| &c.history.loss)),
            ("grad_norm", cat(&|c| &c.history.grad_norm)),
            ("learning_rate", cat(&|c| &c.history.learning_rate)),
        ],
    )
}

/// Loads a population's checkpoint saved by [`save_population_checkpoint`]: `size` members of
/// `n_params` parameters each, optimiser `kind`.
pub fn load_population_checkpoint(
    dir: &Path,
    kind: OptimizerKind,
    n_params: usize,
    size: usize,
) -> Result<Vec<Checkpoint>, IoError> {
    let path = dir.join(POPULATION_CHECKPOINT_FILE);
    if !path.exists() {
        return Err(IoError::format(
            &path,
            "no checkpoint: the run was interrupted before its first checkpoint",
        ));
    }
    let get = |name| npz::read_f64(&path, name).map(|a| a.1);
    let steps = get("step")?;
    let params = get("params")?;
    if steps.len() != size || params.len() != size * n_params {
        return Err(IoError::format(
            &path,
            format!(
                "checkpoint holds {} members of {} parameters, the spec {size} of {n_params}",
                steps.len(),
                params.len() / steps.len().max(1)
            ),
        ));
    }
    let (m, v, t) = (get("optimizer_m")?, get("optimizer_v")?, get("optimizer_t")?);
    let (loss, grad_norm, lr) = (get("loss")?, get("grad_norm")?, get("learning_rate")?);
    let total: usize = steps.iter().map(|&s| s as usize).sum();
    if [loss.len(), grad_norm.len(), lr.len()].iter().any(|&n| n != total) {
        return Err(IoError::format(&path, "histories do not match the members' steps"));
    }
    let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
    if [m.len(), v.len()].iter().any(|&n| n % size != 0) {
        return Err(IoError::format(&path, "optimizer moments do not split into the members"));
    }
    let mut at = 0;
    Ok((0..size)
        .map(|k| {
            let n = steps[k] as usize;
            let row = |a: &[f64]| {
                let w = a.len() / size;
                f32s(&a[k * w..(k + 1) * w])
            };
            let hist = at..at + n;
            at += n;
            Checkpoint {
                step: n,
                params: row(&params),
                optimizer: Optimizer { kind, m: row(&m), v: row(&v), t: t[k] as u64 },
                history: History {
                    loss: loss[hist.clone()].to_vec(),
                    grad_norm: grad_norm[hist.clone()].to_vec(),
                    learning_rate: lr[hist].to_vec(),
                },
            }
        })
        .collect())
}

/// Provenance of a run, written to `manifest.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format version of specs and manifests.
    pub schema_version: u32,
    /// The run kind (`rnn`, `spiking`, `decomp`, …): what `report` and `--resume` dispatch on.
    pub kind: String,
    /// neurodyn version.
    pub neurodyn_version: String,
    /// Git commit of the build, when known.
    pub git_commit: Option<String>,
    /// `rustc --version` of the build, when known.
    pub rustc: Option<String>,
    /// CPU model, when known.
    pub cpu: Option<String>,
    /// Worker threads for parallel analysis.
    pub threads: usize,
    /// The command line.
    pub command: Vec<String>,
    /// UTC start time, ISO 8601.
    pub started_utc: String,
    /// Whether the run was resumed from a checkpoint.
    pub resumed: bool,
    /// Wall time of each phase [s].
    pub phase_seconds: Vec<(String, f64)>,
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

fn utc_parts(unix_seconds: u64) -> (i64, u32, u32, u64, u64, u64) {
    let (y, m, d) = civil((unix_seconds / 86_400) as i64);
    let s = unix_seconds % 86_400;
    (y, m, d, s / 3600, (s / 60) % 60, s % 60)
}

/// `YYYYmmddTHHMMSSZ` of a time in seconds since the Unix epoch, for directory names (the
/// caller reads the clock; libraries do not).
pub fn utc_stamp(unix_seconds: u64) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(unix_seconds);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// ISO 8601 UTC of a time in seconds since the Unix epoch, for manifests.
pub fn utc_iso(unix_seconds: u64) -> String {
    let (y, mo, d, h, mi, s) = utc_parts(unix_seconds);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// A short random-looking id (6 hex digits) mixed from the clock's nanoseconds and the process
/// id (splitmix64's finaliser; not cryptographic): two runs started in the same second get
/// different names.
pub fn short_id(unix_nanos: u64, pid: u32) -> String {
    let mut z = unix_nanos ^ (u64::from(pid) << 32);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    format!("{:06x}", (z ^ (z >> 31)) & 0xFF_FFFF)
}

/// This machine's physical memory [bytes] (from /proc/meminfo; `None` where it cannot be read).
pub fn machine_memory_bytes() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// This machine's CPU model (from /proc/cpuinfo), for manifests.
pub fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    info.lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map(|s| s.trim().to_string())
}

#[cfg(test)]
mod clock_tests {
    use super::*;

    #[test]
    fn utc_formatting_matches_known_dates() {
        assert_eq!(utc_iso(0), "1970-01-01T00:00:00Z");
        // 2000-02-29 12:34:56 UTC = 951827696 (a leap day in a century leap year).
        assert_eq!(utc_iso(951_827_696), "2000-02-29T12:34:56Z");
        assert_eq!(utc_stamp(1_795_392_000), "20261123T000000Z");
    }

    #[test]
    fn short_ids_differ_by_time_and_process() {
        assert_eq!(short_id(1, 2).len(), 6);
        assert_ne!(short_id(1, 2), short_id(2, 2));
        assert_ne!(short_id(1, 2), short_id(1, 3));
    }
}
