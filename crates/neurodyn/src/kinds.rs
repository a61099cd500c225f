//! The registry of run kinds: what a spec is, how it is prepared, run and drawn.
//!
//! Every kind — an RNN trained on a task, a spiking network, a decomposition, each study —
//! is one module implementing [`Kind`] and one line in [`KINDS`]. A spec's kind is told by its
//! marker table (`[task]`, `[populations]`, `[method]`, `[chaos]`, `[amp]`, `[compare]`,
//! `[dimensionality]`); exactly one must be present. The life of a run:
//!
//! 1. [`prepare`]: the overrides are applied, the kind parses and validates its schema, loads
//!    its data and estimates the memory it needs ([`MemoryEstimate`]) — everything that can
//!    fail on input fails here, as a [`SpecError`], before a run directory exists;
//! 2. [`Prepared::run`] computes, reporting to a [`Progress`] observer, and returns an
//!    [`Outcome`]: named arrays per `.npz` file, metrics and a summary line; [`run`] pairs it
//!    with the [`Claim`] of the spec's `[reproduce]` table ([`Finished`]);
//! 3. the caller (CLI, Python) writes the run directory; [`Kind::figures`] draws a run from its
//!    directory, so `neurodyn report` re-renders any run by the kind its manifest records.
//!
//! A spec may carry a `[reproduce]` table, which no kind sees: it marks the spec as a
//! reproduction of a published result ([`Reproduction`]): the paper, the statement, the
//! checks — each a metric of the run against a [`Bound`] with the reason for the tolerance —
//! and in `reproduce.quick` the dotted overrides of its reduced-size run. The claim is
//! evaluated on the run's metrics by [`Reproduction::claim`], the same for every kind, so each
//! kind's job is to measure (derived quantities included) and the spec's to state what the
//! paper leads us to expect.

use neurodyn_io::IoError;
use neurodyn_io::claim::{Bound, Check, Claim, Paper};
use neurodyn_io::npz::Array;
use neurodyn_io::run_dir;
use neurodyn_io::run_dir::RunDir;
use neurodyn_io::spec::{Override, SpecError, apply_overrides, relocate, top_level_keys};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Every run kind. Adding a kind: its module, and one line here.
pub const KINDS: &[&dyn Kind] = &[
    &crate::rnn::RnnKind,
    &crate::spiking::SpikingKind,
    &crate::decomp::DecompKind,
    &crate::chaos::ChaosKind,
    &crate::amp::AmpKind,
    &crate::compare::CompareKind,
    &crate::dimensionality::DimensionalityKind,
    &crate::reservoir::ReservoirKind,
    &crate::deep_linear::DeepLinearKind,
    &crate::criticality::CriticalityKind,
    &crate::ffn::FfnKind,
    &crate::rich_lazy::RichLazyKind,
    &crate::conditioning::ConditioningKind,
    &crate::encoding::EncodingKind,
    &crate::bursting::BurstingKind,
    &crate::delays::DelaysKind,
    &crate::ei_reservoir::EiReservoirKind,
    &crate::ring_tracking::RingTrackingKind,
    &crate::prediction::PredictionKind,
];

pub use neurodyn_io::spec::REPRODUCE_TABLE;

/// One kind of run.
pub trait Kind: Sync {
    /// The name recorded in `manifest.json` (`rnn`, `spiking`, …).
    fn name(&self) -> &'static str;
    /// The top-level table that marks a spec of this kind.
    fn table(&self) -> &'static str;
    /// Parses and validates spec `text` (`file` labels errors, `base` resolves relative
    /// paths), loads its data and checks its memory estimate against `limits`.
    fn prepare(
        &self,
        text: &str,
        file: &str,
        base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError>;
    /// The figures of a run from its directory, resolved spec and metrics.
    fn figures(
        &self,
        dir: &Path,
        spec: &str,
        metrics: &serde_json::Value,
    ) -> Result<Vec<Figure>, IoError>;
}

/// A validated run, ready to go.
pub trait Prepared: Send + Sync {
    /// The run's name (its directory starts with it).
    fn name(&self) -> &str;
    /// The resolved spec as TOML: every default filled in, paths absolute, seed included.
    fn resolved(&self) -> String;
    /// One line for `neurodyn check`.
    fn describe(&self) -> String;
    /// Whether an interrupted run continues from its checkpoint (`--resume`).
    fn resumable(&self) -> bool {
        false
    }
    /// Runs it. `ctx.dir` is where checkpoints go; results come back in the outcome.
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String>;
}

/// What a run needs from its caller.
pub struct Context<'a> {
    /// The (partial) run directory, for checkpoints.
    pub dir: &'a RunDir,
    /// Whether to continue from the checkpoint in `dir`.
    pub resumed: bool,
    /// Where progress goes, and the run's clock.
    pub progress: &'a dyn Progress,
}

impl Context<'_> {
    /// The result of unit of work `key` (a study's case, a network of a population): loaded
    /// when an interrupted run saved it, else computed by `compute` and saved, so a resumed run
    /// skips every finished unit and ends with the same bits. After saving, a run asked to
    /// stop (Ctrl-C, SIGTERM) stops here, with an error saying so. Keys are file names.
    pub fn unit<T: Serialize + DeserializeOwned>(
        &self,
        key: &str,
        compute: impl FnOnce() -> Result<T, String>,
    ) -> Result<T, String> {
        if let Some(done) = self.load(key)? {
            return Ok(done);
        }
        let value = compute()?;
        self.save(key, &value)?;
        if self.progress.interrupted() {
            return Err(format!("interrupted after `{key}`; every finished unit is saved"));
        }
        Ok(value)
    }

    /// Saves checkpoint `key` (replacing an earlier one of that key) into the run directory.
    pub fn save<T: Serialize>(&self, key: &str, value: &T) -> Result<(), String> {
        run_dir::save_unit(self.dir, key, value)
            .map_err(|e| format!("saving a checkpoint: {e}"))?;
        self.progress.saved();
        Ok(())
    }

    /// Checkpoint `key` of the interrupted run being resumed, if it saved one.
    pub fn load<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, String> {
        if !self.resumed {
            return Ok(None);
        }
        run_dir::load_unit(self.dir.path(), key).map_err(|e| e.to_string())
    }

    /// Reports `done` of `total` cases finished.
    pub fn cases_done(&self, done: usize, total: usize) {
        self.progress.resize(total as u64);
        self.progress.advance(done as u64, None);
    }
}

/// A progress observer; it also holds the clock, which library code never reads itself.
/// Shared with worker threads, so it takes `&self`.
pub trait Progress: Sync {
    /// A new phase (`train`, `simulate`, …) of `total` units of work begins.
    fn phase(&self, name: &str, total: u64);
    /// The current phase turns out to have `total` units.
    fn resize(&self, total: u64);
    /// `done` units of the current phase are done; `message` is shown beside the bar.
    fn advance(&self, done: u64, message: Option<String>);
    /// Seconds since the run started.
    fn seconds(&self) -> f64;
    /// Whether the caller asks the run to stop (Ctrl-C, SIGTERM). A resumable kind saves a
    /// checkpoint and returns an error; others stop where they can.
    fn interrupted(&self) -> bool {
        false
    }
    /// A checkpoint was just saved (the CLI's reliability tests inject faults here).
    fn saved(&self) {}
}

/// A progress observer that shows nothing and has no clock (tests, benchmarks).
pub struct Silent;

impl Progress for Silent {
    fn phase(&self, _: &str, _: u64) {}
    fn resize(&self, _: u64) {}
    fn advance(&self, _: u64, _: Option<String>) {}
    fn seconds(&self) -> f64 {
        0.0
    }
}

/// Runs `f` with a context on a scratch run directory in the system's temporary folder
/// (removed afterwards), showing no progress: a kind's computation without a run, for tests
/// and benchmarks.
pub fn scratch<R>(f: impl FnOnce(&mut Context<'_>) -> R) -> R {
    static COUNT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let out = std::env::temp_dir().join(format!("neurodyn-scratch-{}-{n}", std::process::id()));
    let dir = RunDir::create_named(&out, "run").expect("a scratch folder in the temporary folder");
    let result = f(&mut Context { dir: &dir, resumed: false, progress: &Silent });
    let _ = run_dir::remove_dir(&out);
    result
}

/// What a run produced.
pub struct Outcome {
    /// `(file, arrays)`: one `.npz` file each.
    pub files: Vec<(String, Vec<(String, Array)>)>,
    /// The run's metrics.
    pub metrics: serde_json::Value,
    /// One line for the terminal.
    pub summary: String,
}

/// A run's outcome with the claim it checks, if its spec is a reproduction.
pub struct Finished {
    /// What the kind produced.
    pub outcome: Outcome,
    /// The claim of the spec's `[reproduce]` table, evaluated on the metrics.
    pub claim: Option<Claim>,
}

impl Finished {
    /// `metrics.json`: the metrics with the claim under `claim`.
    pub fn metrics_json(&self) -> serde_json::Value {
        let mut m = self.outcome.metrics.clone();
        if let (Some(claim), Some(map)) = (&self.claim, m.as_object_mut()) {
            map.insert("claim".into(), serde_json::to_value(claim).expect("a claim serialises"));
        }
        m
    }
}

pub use neurodyn_report::Figure;

/// What the machine allows a run.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Memory a run may plan to use [bytes].
    pub memory_bytes: f64,
}

impl Limits {
    /// No limit (tests).
    pub fn none() -> Limits {
        Limits { memory_bytes: f64::INFINITY }
    }
}

thread_local! {
    /// The largest memory estimate checked on this thread since [`prepare`] began (a kind's
    /// `prepare` checks its estimate; `prepare` reads it back without every kind returning it).
    static CHECKED_BYTES: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// The memory a run will need, term by term, each named by the spec field that sets it.
#[derive(Clone, Debug, Default)]
pub struct MemoryEstimate {
    terms: Vec<(String, f64)>,
}

impl MemoryEstimate {
    /// An empty estimate.
    pub fn new() -> MemoryEstimate {
        MemoryEstimate::default()
    }

    /// Adds `count` values of `bytes_each` bytes, set by `field`. Sizes are multiplied in
    /// `f64`, so absurd sizes estimate absurdly instead of overflowing.
    pub fn add(&mut self, field: &str, count: f64, bytes_each: f64) -> &mut MemoryEstimate {
        self.terms.push((field.to_string(), count * bytes_each));
        self
    }

    /// Total bytes.
    pub fn total(&self) -> f64 {
        self.terms.iter().map(|t| t.1).sum()
    }

    /// Refuses an estimate beyond `limits`, naming the field of the largest term. The largest
    /// estimate checked while a spec is prepared becomes its [`PreparedRun::memory_bytes`].
    pub fn check(&self, limits: &Limits, text: &str, file: &str) -> Result<(), SpecError> {
        let total = self.total();
        CHECKED_BYTES.with(|c| c.set(c.get().max(total)));
        if total <= limits.memory_bytes {
            return Ok(());
        }
        let (field, largest) = self
            .terms
            .iter()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .cloned()
            .unwrap_or_else(|| ("name".into(), 0.0));
        let gib = |b: f64| b / (1u64 << 30) as f64;
        let position = neurodyn_io::spec::locate_field(text, &field);
        Err(SpecError {
            file: file.to_string(),
            position,
            field: Some(field),
            message: format!(
                "the run would need about {:.3} GiB of memory ({:.3} GiB from this field), more than the {:.1} GiB this machine has",
                gib(total),
                gib(largest),
                gib(limits.memory_bytes)
            ),
        })
    }
}

/// A study (a sweep compared with a paper) as a prepared run: its spec, how to run it, and
/// the `.npz` its arrays go to. The study kinds (`chaos`, `amp`, `compare`) are built on it.
pub struct Study<S> {
    /// The study's spec.
    pub spec: S,
    /// Its name.
    pub name: String,
    /// Its resolved spec.
    pub resolved: String,
    /// The line for `check`.
    pub description: String,
    /// The `.npz` file of its arrays.
    pub npz: &'static str,
    /// Runs it.
    pub run: StudyFn<S>,
}

/// A study's computation. Each case (a size, an SNR, a network) goes through
/// [`Context::unit`], so an interrupted study resumes after its last finished case, and
/// [`Context::cases_done`] after each.
pub type StudyFn<S> = fn(&S, &mut Context<'_>) -> Result<crate::StudyResult, String>;

impl<S: Send + Sync> Prepared for Study<S> {
    fn name(&self) -> &str {
        &self.name
    }
    fn resolved(&self) -> String {
        self.resolved.clone()
    }
    fn describe(&self) -> String {
        self.description.clone()
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let progress = ctx.progress;
        progress.phase("study", 1);
        let t0 = progress.seconds();
        let result = (self.run)(&self.spec, ctx)?;
        let mut metrics = result.metrics;
        metrics["seconds"] = serde_json::json!(progress.seconds() - t0);
        let summary = match metrics["paper"].as_str() {
            Some(paper) => format!("{}: {paper}", self.name),
            None => format!("{}: done", self.name),
        };
        Ok(Outcome { files: vec![(self.npz.to_string(), result.arrays)], metrics, summary })
    }
}

/// The kind called `name` (as a manifest records it).
pub fn by_name(name: &str) -> Option<&'static dyn Kind> {
    KINDS.iter().copied().find(|k| k.name() == name)
}

/// The kind of a spec: the one whose marker table it has.
pub fn detect(text: &str, file: &str) -> Result<&'static dyn Kind, SpecError> {
    let keys = top_level_keys(text);
    let found: Vec<&'static dyn Kind> =
        KINDS.iter().copied().filter(|k| keys.iter().any(|key| key == k.table())).collect();
    let tables: Vec<String> = KINDS.iter().map(|k| format!("[{}]", k.table())).collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => Err(SpecError {
            file: file.to_string(),
            position: None,
            field: None,
            message: format!(
                "not a spec of any run kind: it needs one of the tables {}",
                tables.join(", ")
            ),
        }),
        many => Err(SpecError {
            file: file.to_string(),
            position: None,
            field: Some(many[1].table().to_string()),
            message: format!(
                "a spec is of one kind, but this one has the tables {}",
                many.iter().map(|k| format!("[{}]", k.table())).collect::<Vec<_>>().join(" and ")
            ),
        }),
    }
}

/// A spec ready to run: its kind, the validated run and, for a reproduction, its claim.
pub struct PreparedRun {
    /// The kind.
    pub kind: &'static dyn Kind,
    /// The validated run.
    pub run: Box<dyn Prepared>,
    /// The spec's `[reproduce]` table, if any.
    pub reproduction: Option<Reproduction>,
    /// The kind's estimate of the memory the run needs [bytes] (0 if it made none).
    pub memory_bytes: f64,
}

impl PreparedRun {
    /// The resolved spec: the kind's, with the `[reproduce]` table appended unchanged.
    pub fn resolved(&self) -> String {
        let mut text = self.run.resolved();
        if let Some(r) = &self.reproduction {
            let mut t = toml::Table::new();
            t.insert(REPRODUCE_TABLE.into(), toml::Value::try_from(r).expect("plain values"));
            text.push('\n');
            text.push_str(&toml::to_string_pretty(&t).expect("a table serialises"));
        }
        text
    }
}

/// Prepares spec `text` with `overrides` applied (`quick` also applies its quick overrides).
pub fn prepare(
    text: &str,
    file: &str,
    base: &Path,
    overrides: &[Override],
    quick: bool,
    limits: &Limits,
) -> Result<PreparedRun, SpecError> {
    let reproduction = Reproduction::of(text, file)?;
    let mut all: Vec<Override> = Vec::new();
    if quick {
        all.extend(reproduction.iter().flat_map(|r| r.quick.clone()));
    }
    all.extend_from_slice(overrides);
    let rewritten = apply_overrides(text, file, &all, &[REPRODUCE_TABLE])?;
    let kind = detect(&rewritten, file)?;
    CHECKED_BYTES.with(|c| c.set(0.0));
    let run = kind
        .prepare(&rewritten, file, base, limits)
        .map_err(|e| if rewritten == text { e } else { relocate(e, text) })?;
    let memory_bytes = CHECKED_BYTES.with(std::cell::Cell::get);
    Ok(PreparedRun { kind, run, reproduction, memory_bytes })
}

/// Prepares a spec file (relative paths against its folder).
pub fn prepare_file(
    path: &Path,
    overrides: &[Override],
    quick: bool,
    limits: &Limits,
) -> Result<PreparedRun, SpecError> {
    let text = neurodyn_io::spec::read_spec(path)?;
    prepare_read(path, &text, overrides, quick, limits)
}

/// Prepares the spec `text` already read from `path` (relative paths against its folder): a
/// caller that read it to look at it first need not read it again, so a spec may come from a
/// pipe (`/dev/stdin`, a shell's `<(…)`).
pub fn prepare_read(
    path: &Path,
    text: &str,
    overrides: &[Override],
    quick: bool,
    limits: &Limits,
) -> Result<PreparedRun, SpecError> {
    let base = path.parent().unwrap_or(Path::new("."));
    prepare(text, &path.display().to_string(), base, overrides, quick, limits)
}

/// Runs a prepared spec and evaluates its claim on the metrics.
pub fn run(prepared: &PreparedRun, ctx: &mut Context<'_>) -> Result<Finished, String> {
    let outcome = prepared.run.run(ctx)?;
    let claim = prepared.reproduction.as_ref().map(|r| r.claim(&outcome.metrics));
    Ok(Finished { outcome, claim })
}

/// A spec's `[reproduce]` table: the published result it checks.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Reproduction {
    /// The source (authors, year, arXiv id from `shared/seeds/INDEX.md` when a seed).
    pub paper: Paper,
    /// The result, in a sentence.
    pub statement: String,
    /// The numbers compared.
    pub checks: Vec<CheckSpec>,
    /// Dotted overrides of the reduced-size run (`neurodyn reproduce --quick`).
    #[serde(default)]
    pub quick: toml::Table,
}

/// One check of a reproduction: a metric against a bound.
#[derive(Clone, Debug, PartialEq, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    /// What is compared, in words.
    pub quantity: String,
    /// Dotted path of the number in `metrics.json` (array elements by index: `sizes.0.n`).
    pub metric: String,
    /// What the paper leads us to expect.
    pub expected: Bound,
    /// Why the bound is what it is.
    pub why: String,
}

impl Reproduction {
    /// The `[reproduce]` table of spec `text`, if it has one.
    pub fn of(text: &str, file: &str) -> Result<Option<Reproduction>, SpecError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| neurodyn_io::spec::serde_error(text, file, e))?;
        let Some(value) = table.remove(REPRODUCE_TABLE) else {
            return Ok(None);
        };
        let mut only = toml::Table::new();
        only.insert(REPRODUCE_TABLE.into(), value);
        #[derive(Deserialize)]
        struct Wrapper {
            reproduce: Reproduction,
        }
        // Parsed on its own, then located in the file by the field the error names.
        let sub = toml::to_string(&only).expect("a table serialises");
        let parsed: Wrapper = toml::from_str(&sub).map_err(|e| {
            let field = e.span().and_then(|s| neurodyn_io::spec::field_at(&sub, s));
            SpecError {
                file: file.to_string(),
                position: field.as_deref().and_then(|f| neurodyn_io::spec::locate_field(text, f)),
                field: field.or_else(|| Some(REPRODUCE_TABLE.into())),
                message: e.message().trim().to_string(),
            }
        })?;
        Ok(Some(parsed.reproduce))
    }

    /// The quick run's overrides.
    pub fn quick_overrides(&self) -> Vec<Override> {
        self.quick.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
    }

    /// The claim, evaluated on a run's metrics. A metric that is missing or not a number
    /// fails its check (measured: null).
    pub fn claim(&self, metrics: &serde_json::Value) -> Claim {
        let checks = self
            .checks
            .iter()
            .map(|c| {
                let measured = metric(metrics, &c.metric).unwrap_or(f64::NAN);
                Check::new(&c.quantity, measured, c.expected, &c.why)
            })
            .collect();
        Claim::new(self.paper.clone(), &self.statement, checks)
    }
}

/// The number at a dotted path of a JSON value (booleans as 0/1; array elements by index),
/// or the ratio or difference of two such numbers: `"a.x / b.y"`, `"a.x - b.y"` (spaces
/// around the operator), so a check can compare two measurements ("the spread at the largest
/// size over that at the smallest, below 1").
pub fn metric(value: &serde_json::Value, path: &str) -> Option<f64> {
    if let Some((a, b)) = path.split_once(" / ") {
        return Some(metric(value, a.trim())? / metric(value, b.trim())?);
    }
    if let Some((a, b)) = path.split_once(" - ") {
        return Some(metric(value, a.trim())? - metric(value, b.trim())?);
    }
    let mut at = value;
    for part in path.split('.') {
        at = match at {
            serde_json::Value::Array(a) => a.get(part.parse::<usize>().ok()?)?,
            other => other.get(part)?,
        };
    }
    match at {
        serde_json::Value::Bool(b) => Some(f64::from(u8::from(*b))),
        other => other.as_f64(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_its_own_name_and_table() {
        for (i, a) in KINDS.iter().enumerate() {
            for b in &KINDS[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.table(), b.table());
            }
            assert!(by_name(a.name()).is_some());
        }
    }

    #[test]
    fn a_spec_with_two_kinds_or_none_is_refused() {
        let e = detect("name = \"x\"\n[task.flip_flop]\n[chaos]\n", "f.toml").err().unwrap();
        assert!(e.message.contains("[task] and [chaos]"), "{e}");
        let e = detect("name = \"x\"\n", "f.toml").err().unwrap();
        assert!(e.message.contains("[populations]"), "{e}");
    }

    #[test]
    fn reproduce_table_is_read_checked_and_hidden_from_the_kind() {
        // The demo spec without its own claim, with this test's.
        let demo = apply_overrides(neurodyn_io::spec::DEMO_SPEC, "demo", &[], &[REPRODUCE_TABLE]);
        let text = demo.unwrap()
            + r#"
[reproduce]
paper = { authors = "A & B", year = 2013 }
statement = "memories are fixed points"
checks = [{ quantity = "stable", metric = "fixed_points.stable", expected = { within = { target = 8.0, tol = 0.0 } }, why = "one per memory" }]
quick = { "train.max_steps" = 3 }
"#;
        let p = prepare(&text, "f", Path::new("."), &[], true, &Limits::none())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.kind.name(), "rnn");
        assert!(p.run.resolved().contains("max_steps = 3"));
        assert!(!p.run.resolved().contains("reproduce"));
        // The resolved spec keeps the claim and parses back to the same reproduction.
        let again = prepare(&p.resolved(), "r", Path::new("."), &[], false, &Limits::none())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again.reproduction, p.reproduction);
        let r = p.reproduction.unwrap();
        let holds = |stable: u32| {
            r.claim(&serde_json::json!({ "fixed_points": { "stable": stable } })).holds
        };
        assert!(holds(8));
        assert!(!holds(7));
        assert!(!r.claim(&serde_json::json!({})).holds, "a missing metric fails");
        let bad = text.replace("quantity = \"stable\"", "quantiti = \"stable\"");
        let e = Reproduction::of(&bad, "f").unwrap_err();
        assert!(e.field.as_deref().unwrap_or("").starts_with("reproduce"), "{e}");
    }

    #[test]
    fn metric_paths_reach_into_objects_and_arrays() {
        let m = serde_json::json!({ "a": { "b": [1.5, { "c": true }] } });
        assert_eq!(metric(&m, "a.b.0"), Some(1.5));
        assert_eq!(metric(&m, "a.b.1.c"), Some(1.0));
        assert_eq!(metric(&m, "a.x"), None);
        assert_eq!(metric(&m, "a.b.0 / a.b.1.c"), Some(1.5));
        assert_eq!(metric(&m, "a.b.0 - a.b.1.c"), Some(0.5));
        assert_eq!(metric(&m, "a.b.0 / a.x"), None);
    }
}
