//! Fuzzing the front door: randomly mutated copies of every example spec (every kind, sweeps
//! included) given to `neurodyn check`, and malformed `.npz` data given to the kinds that read
//! arrays. Whatever the input, the process must exit 0 (valid) or 2 (a clear error on stderr)
//! — never a panic, an abort, a signal or another code. `check` runs everything a run does
//! before computing (parsing, validation, data loading, network building, memory estimates).
//!
//! The mutations are drawn from a fixed seed; `NEURODYN_FUZZ_CASES` (default 700) sets how many
//! spec cases run, `NEURODYN_FUZZ_SEED` the seed (`scripts/fuzz.sh` runs a longer budget). The
//! counts per kind are printed (`cargo test --test fuzz -- --nocapture`).

// A test harness may read the clock and print.
#![allow(clippy::disallowed_methods, clippy::print_stdout)]

mod common;

use common::{BIN, scratch};
use neurodyn::io::npz::{self, Array};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small deterministic generator (SplitMix64): the test needs reproducible choices, not
/// statistical quality.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn examples() -> Vec<PathBuf> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(repo().join("examples")).unwrap().flatten() {
        for f in std::fs::read_dir(dir.path()).unwrap().flatten() {
            if f.path().extension().is_some_and(|e| e == "toml") {
                out.push(f.path());
            }
        }
    }
    out.sort();
    out
}

/// Every leaf of a TOML document, as a path of keys and array indices.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

fn leaves(v: &toml::Value, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                path.push(Step::Key(k.clone()));
                leaves(x, path, out);
                path.pop();
            }
        }
        toml::Value::Array(a) => {
            out.push(path.clone());
            for (i, x) in a.iter().enumerate() {
                path.push(Step::Index(i));
                leaves(x, path, out);
                path.pop();
            }
        }
        _ => out.push(path.clone()),
    }
}

fn at<'a>(v: &'a mut toml::Value, path: &[Step]) -> Option<&'a mut toml::Value> {
    let mut at = v;
    for s in path {
        at = match (s, at) {
            (Step::Key(k), toml::Value::Table(t)) => t.get_mut(k)?,
            (Step::Index(i), toml::Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(at)
}

/// The values a careless or malicious user might put anywhere.
fn bad_value(rng: &mut Rng) -> toml::Value {
    use toml::Value as V;
    match rng.below(16) {
        0 => V::Integer(0),
        1 => V::Integer(-1),
        2 => V::Integer(i64::MAX),
        3 => V::Integer(1_000_000_000),
        4 => V::Integer(3),
        5 => V::Float(f64::NAN),
        6 => V::Float(f64::INFINITY),
        7 => V::Float(-1e300),
        8 => V::Float(1e-320),
        9 => V::Float(0.5),
        10 => V::String(String::new()),
        11 => V::String("../../../../etc/passwd".into()),
        12 => V::String("x".repeat(300)),
        13 => V::Boolean(true),
        14 => V::Array(vec![]),
        _ => V::Table(toml::Table::new()),
    }
}

/// One mutated copy of `text`: 1–3 structural mutations, or a byte-level one.
fn mutate(text: &str, rng: &mut Rng) -> String {
    if rng.below(8) == 0 {
        let mut bytes = text.as_bytes().to_vec();
        let i = rng.below(bytes.len().max(1));
        match rng.below(3) {
            0 => bytes.truncate(i),
            1 => bytes.insert(i, b"=[]{}\"'\n#\0\xff"[rng.below(11)]),
            _ => {
                bytes.remove(i.min(bytes.len().saturating_sub(1)));
            }
        }
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    let mut doc: toml::Value = toml::from_str(text).expect("examples parse");
    for _ in 0..1 + rng.below(3) {
        let mut all = Vec::new();
        leaves(&doc, &mut Vec::new(), &mut all);
        let path = all[rng.below(all.len())].clone();
        match rng.below(6) {
            // Delete the key (or empty the array element's place).
            0 => {
                if let (Some(Step::Key(k)), Some(toml::Value::Table(t))) =
                    (path.last(), at(&mut doc, &path[..path.len() - 1]))
                {
                    t.remove(k);
                }
            }
            // An unknown key beside it.
            1 => {
                if let Some(toml::Value::Table(t)) = at(&mut doc, &path[..path.len() - 1]) {
                    t.insert("bogus_field".into(), toml::Value::Integer(1));
                }
            }
            _ => {
                if let Some(v) = at(&mut doc, &path) {
                    *v = bad_value(rng);
                }
            }
        }
    }
    // NaN and inf have TOML spellings; any value the toml crate cannot write is skipped.
    toml::to_string(&doc).unwrap_or_else(|_| text.to_string())
}

/// Runs `neurodyn check` on `spec`; panics (fails the test) unless it exits 0, or 2 with an
/// error message. Returns the exit code and stderr.
fn check(spec: &Path, what: &str) -> (i32, String) {
    let o = Command::new(BIN).arg("check").arg(spec).output().expect("neurodyn runs");
    let stderr = String::from_utf8_lossy(&o.stderr);
    let code = o.status.code();
    let input = std::fs::read_to_string(spec).unwrap_or_default();
    assert!(
        matches!(code, Some(0 | 2)) && !stderr.contains("panicked"),
        "{what}: exit {code:?} (0 or 2 expected)\nstderr: {stderr}\ninput:\n{input}"
    );
    if code == Some(2) {
        assert!(stderr.starts_with("error: "), "{what}: exit 2 without an error line: {stderr}");
    }
    (code.unwrap_or(-1), stderr.into_owned())
}

#[test]
fn mutated_specs_of_every_kind_exit_0_or_2() {
    let cases = env_number("NEURODYN_FUZZ_CASES", 700) as usize;
    let mut rng = Rng(env_number("NEURODYN_FUZZ_SEED", 20261201));
    let dir = scratch("specs");
    let corpus = examples();
    let mut counts: BTreeMap<String, [usize; 2]> = BTreeMap::new();
    for case in 0..cases {
        let source = &corpus[case % corpus.len()];
        let text = std::fs::read_to_string(source).unwrap();
        // The case sits in the example's own folder level so relative paths mean the same.
        let folder = dir.join(source.parent().unwrap().file_name().unwrap());
        std::fs::create_dir_all(&folder).unwrap();
        let spec = folder.join(format!("case{case}.toml"));
        std::fs::write(&spec, mutate(&text, &mut rng)).unwrap();
        let (code, _) = check(&spec, &format!("case {case} (from {})", source.display()));
        let kind = source.parent().unwrap().file_name().unwrap().to_string_lossy().into_owned();
        counts.entry(kind).or_default()[usize::from(code == 2)] += 1;
        let _ = std::fs::remove_file(&spec);
    }
    println!("fuzzed specs per example folder [accepted, refused with exit 2]: {counts:?}");
    let refused: usize = counts.values().map(|c| c[1]).sum();
    assert!(refused > cases / 2, "most mutations should be refused: {counts:?}");
}

/// A plausible edit of a number — small, zero, one, doubled, halved, off by one, a sign flip:
/// values a user might type that pass validation more often than the wild ones above, so the
/// run itself is exercised.
fn nearby_number(v: &toml::Value, rng: &mut Rng) -> Option<toml::Value> {
    use toml::Value as V;
    match v {
        V::Integer(i) => Some(V::Integer(match rng.below(6) {
            0 => 0,
            1 => 1,
            2 => 2,
            3 => i.saturating_mul(2),
            4 => i.saturating_add(1),
            _ => i.saturating_sub(1),
        })),
        V::Float(x) => Some(V::Float(match rng.below(7) {
            0 => 0.0,
            1 => 1.0,
            2 => 1e-6,
            3 => -x,
            4 => x * 2.0,
            5 => x / 2.0,
            _ => x * 10.0,
        })),
        _ => None,
    }
}

/// Copies of every example at its quick size (`[reproduce] quick`), one to three numbers
/// edited to nearby values; those `check` accepts are run (at most `limit` each). A run may
/// succeed (0), fail honestly (1, e.g. a diverged training) or be cut by the limit — never
/// panic, abort or die by a signal. Found this way: a driven fraction of 2 wrapped an
/// unsigned difference past validation, a repeated rank in a decomposition's selection and a
/// spiking run shorter than one step panicked, and a panic inside a run hung the process.
#[test]
fn accepted_nearby_edits_of_quick_examples_run_without_panicking() {
    let cases = env_number("NEURODYN_FUZZ_RUNS", 24) as usize;
    let limit = std::time::Duration::from_secs(env_number("NEURODYN_FUZZ_RUN_SECONDS", 8));
    let mut rng = Rng(env_number("NEURODYN_FUZZ_SEED", 20261206));
    let dir = scratch("runs");
    let corpus: Vec<PathBuf> =
        examples().into_iter().filter(|p| !p.starts_with(repo().join("examples/sweeps"))).collect();
    let (mut ran, mut cut) = (0, 0);
    for case in 0..cases {
        let source = &corpus[rng.below(corpus.len())];
        let prepared =
            neurodyn::kinds::prepare_file(source, &[], true, &neurodyn::kinds::Limits::none())
                .unwrap_or_else(|e| panic!("{}: {e}", source.display()));
        let mut doc: toml::Value = toml::from_str(&prepared.resolved()).unwrap();
        for _ in 0..1 + rng.below(3) {
            let mut all = Vec::new();
            leaves(&doc, &mut Vec::new(), &mut all);
            all.retain(|p| !matches!(p.first(), Some(Step::Key(k)) if k == "reproduce"));
            let path = all[rng.below(all.len())].clone();
            if let Some(v) = at(&mut doc, &path)
                && let Some(n) = nearby_number(v, &mut rng)
            {
                *v = n;
            }
        }
        let Ok(text) = toml::to_string(&doc) else { continue };
        let spec = dir.join(format!("case{case}.toml"));
        std::fs::write(&spec, &text).unwrap();
        let what = format!("case {case} (from {})", source.display());
        if check(&spec, &what).0 != 0 {
            continue;
        }
        let out = dir.join(format!("out{case}"));
        let mut child = Command::new(BIN)
            .args(["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            if start.elapsed() > limit {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut stderr = String::new();
        if let Some(mut e) = child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        match status {
            None => cut += 1,
            Some(s) => {
                ran += 1;
                assert!(
                    matches!(s.code(), Some(0..=2)) && !stderr.contains("panicked"),
                    "{what}: exit {:?}\nstderr: {stderr}\ninput:\n{text}",
                    s.code()
                );
            }
        }
        let _ = std::fs::remove_dir_all(&out);
    }
    println!("nearby edits run to the end: {ran}, cut at the time limit: {cut}");
}

/// Bytes of an `.npz` holding `arrays`.
fn npz_bytes(dir: &Path, arrays: &[(&str, Array)]) -> Vec<u8> {
    let path = dir.join("tmp.npz");
    npz::write(&path, arrays).unwrap();
    std::fs::read(&path).unwrap()
}

#[test]
fn malformed_npz_data_exits_2_with_the_file_named() {
    let dir = scratch("npz");
    let good: Vec<f64> = (0..200).map(|i| (i as f64 * 0.37).sin().abs() + 0.1).collect();
    let valid = npz_bytes(&dir, &[("x", Array::f64(&[40, 5], good.clone()))]);
    // A header that promises a huge array over the same few bytes: the shape text is patched
    // in place, keeping its length.
    let huge = {
        let mut b = valid.clone();
        let (from, to) = (b"(40, 5)".as_slice(), b"(9999999".as_slice());
        if let Some(i) = b.windows(from.len()).position(|w| w == from) {
            b[i..i + to.len()].copy_from_slice(to);
        }
        b
    };
    let mut nan = good.clone();
    nan[7] = f64::NAN;
    let mut inf = good.clone();
    inf[3] = f64::INFINITY;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("valid", valid.clone()),
        ("int32", npz_bytes(&dir, &[("x", Array::i32(&[40, 5], (0..200).collect()))])),
        ("one axis", npz_bytes(&dir, &[("x", Array::f64(&[200], good.clone()))])),
        ("three axes", npz_bytes(&dir, &[("x", Array::f64(&[4, 10, 5], good.clone()))])),
        ("no rows", npz_bytes(&dir, &[("x", Array::f64(&[0, 5], vec![]))])),
        ("no columns", npz_bytes(&dir, &[("x", Array::f64(&[40, 0], vec![]))])),
        ("nan", npz_bytes(&dir, &[("x", Array::f64(&[40, 5], nan))])),
        ("inf", npz_bytes(&dir, &[("x", Array::f64(&[40, 5], inf))])),
        ("other name", npz_bytes(&dir, &[("y", Array::f64(&[40, 5], good.clone()))])),
        ("truncated", valid[..valid.len() / 2].to_vec()),
        ("garbage", (0..500u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect()),
        ("empty file", vec![]),
        ("huge header", huge),
    ];
    let specs = [
        (
            "dimensionality",
            "name = \"f\"\n[dimensionality]\npath = \"data.npz\"\narray = \"x\"\n".to_string(),
        ),
        (
            "decomp",
            "name = \"f\"\n[data]\npath = \"data.npz\"\narray = \"x\"\n[method.nmf]\nrank = 2\n"
                .to_string(),
        ),
    ];
    let mut tried = 0;
    for (kind, spec_text) in &specs {
        let spec = dir.join(format!("{kind}.toml"));
        std::fs::write(&spec, spec_text).unwrap();
        // The spec must be valid with valid data, so refusals below are about the data.
        std::fs::write(dir.join("data.npz"), &valid).unwrap();
        let (code, _) = check(&spec, &format!("{kind} with valid data"));
        assert_eq!(code, 0, "{kind}: the base spec must pass with valid data");
        for (name, bytes) in &cases {
            std::fs::write(dir.join("data.npz"), bytes).unwrap();
            let (code, stderr) = check(&spec, &format!("{kind} with {name} data"));
            tried += 1;
            if *name == "valid" {
                continue;
            }
            if !["nan", "inf", "int32"].contains(name) {
                assert_eq!(code, 2, "{kind}: {name} data must be refused");
                assert!(
                    stderr.contains("data.npz"),
                    "{kind}/{name}: the file is not named: {stderr}"
                );
            }
        }
    }
    println!("malformed npz inputs tried: {tried}");
}

/// Found by `scripts/fuzz.sh` (seed 7, case 6817): `seeds = i64::MAX` aborted on a capacity
/// overflow while the seeds were expanded. Sizes are now counted before anything is expanded.
#[test]
fn regression_huge_sweeps_are_refused_before_they_are_expanded() {
    let dir = scratch("huge-sweep");
    let base = repo().join("examples/rnn/flipflop.toml");
    let grid: String = (0..40).map(|i| format!("\"x{i}\" = [1, 2]\n")).collect();
    for (name, text) in [
        ("seeds", format!("name = \"s\"\n[sweep]\nbase = {base:?}\nseeds = {}\n", i64::MAX)),
        ("grid", format!("name = \"g\"\n[sweep]\nbase = {base:?}\n[sweep.grid]\n{grid}")),
    ] {
        let spec = dir.join(format!("{name}.toml"));
        std::fs::write(&spec, text).unwrap();
        let (code, stderr) = check(&spec, name);
        assert_eq!(code, 2);
        assert!(stderr.contains("more than 1000000 points"), "{stderr}");
    }
}
