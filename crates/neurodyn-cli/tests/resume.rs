//! Every run kind, killed (SIGKILL) or stopped (SIGTERM) part way, continues with
//! `neurodyn run --resume` to the same bits as a run never interrupted: every `.npz` byte for
//! byte, and `metrics.json` equal but for wall-clock times.
//!
//! The signal is sent by the process itself at an exact point (`NEURODYN_FAULT`, see the
//! binary's `signals` module): right after its first checkpoint, or as it starts for a kind
//! that keeps none. So no test races a timer. (`cli.rs` kills an RNN training run from
//! outside, by the clock.)

mod common;

use common::{BIN, entries, neurodyn, scratch, stderr};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The example at `path` (under `examples/`) at its quick size, with `overrides`, as a
/// resolved spec written into `dir`.
fn quick_spec(dir: &Path, path: &str, overrides: &[(&str, toml::Value)]) -> PathBuf {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(path);
    let overrides: Vec<(String, toml::Value)> =
        overrides.iter().map(|(k, v)| ((*k).to_string(), v.clone())).collect();
    let prepared =
        neurodyn::kinds::prepare_file(&example, &overrides, true, &neurodyn::kinds::Limits::none())
            .unwrap_or_else(|e| panic!("{path}: {e}"));
    let spec = dir.join("spec.toml");
    std::fs::write(&spec, prepared.resolved()).unwrap();
    spec
}

/// Runs `spec` into `out` to the end; the complete run's path.
fn complete(spec: &Path, out: &Path) -> PathBuf {
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
}

/// Runs `spec` into `out` with the fault `fault` injected; its exit code (None: killed) and
/// stderr, and the partial run it left.
fn interrupted(spec: &Path, out: &Path, fault: &str) -> (Option<i32>, String, PathBuf) {
    let o = Command::new(BIN)
        .args(["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
        .env("NEURODYN_FAULT", fault)
        .output()
        .unwrap();
    let names = entries(out);
    assert!(
        names.iter().all(|n| n.starts_with('.')),
        "an interrupted run looks complete: {names:?}"
    );
    let partial = names.iter().find(|n| n.ends_with(".partial")).expect("a partial run");
    (o.status.code(), stderr(&o), out.join(partial))
}

/// Resumes `partial`; the complete run's path.
fn resume(partial: &Path) -> PathBuf {
    let o = neurodyn(&["run", "--resume", partial.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let done = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert!(done.is_dir() && !partial.exists());
    assert!(!done.join("checkpoints").exists(), "a complete run keeps no unit checkpoints");
    done
}

/// Drops every key naming a wall-clock time (`seconds`, `build_seconds`, `events_per_second`).
fn without_times(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            map.retain(|k, _| !k.contains("second"));
            map.values_mut().for_each(without_times);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(without_times),
        _ => {}
    }
}

/// The two runs hold the same arrays, bit for bit, and the same metrics but for times.
fn assert_same_results(resumed: &Path, reference: &Path, what: &str) {
    let npz = |dir: &Path| -> Vec<String> {
        entries(dir).into_iter().filter(|n| n.ends_with(".npz")).collect()
    };
    assert!(!npz(reference).is_empty(), "{what}: no arrays");
    assert_eq!(npz(resumed), npz(reference), "{what}: array files");
    for f in npz(reference) {
        let same =
            std::fs::read(resumed.join(&f)).unwrap() == std::fs::read(reference.join(&f)).unwrap();
        assert!(same, "{what}: {f} differs from the uninterrupted run's");
    }
    let metrics = |dir: &Path| -> serde_json::Value {
        let mut m =
            serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap())
                .unwrap();
        without_times(&mut m);
        m
    };
    assert_eq!(metrics(resumed), metrics(reference), "{what}: metrics.json");
}

fn manifest_resumed(run: &Path) -> bool {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("manifest.json")).unwrap()).unwrap();
    m["resumed"].as_bool().unwrap()
}

/// Kills the run of `example` after its first checkpoint, resumes it, and compares with a
/// run never interrupted; then the same with SIGTERM, which must exit 143.
fn killed_and_resumed(name: &str, example: &str, overrides: &[(&str, toml::Value)]) {
    let dir = scratch(&format!("resume-{name}"));
    let spec = quick_spec(&dir, example, overrides);
    let reference = complete(&spec, &dir.join("reference"));

    let (code, err, partial) = interrupted(&spec, &dir.join("killed"), "1 KILL");
    assert_eq!(code, None, "{name}: killed by SIGKILL after its first checkpoint: {err}");
    assert!(partial.join("checkpoints").is_dir(), "{name}: a checkpoint was saved");
    let done = resume(&partial);
    assert!(manifest_resumed(&done), "{name}: the manifest records the resume");
    assert_same_results(&done, &reference, &format!("{name} (SIGKILL)"));

    let (code, err, partial) = interrupted(&spec, &dir.join("stopped"), "1 TERM");
    assert_eq!(code, Some(143), "{name}: SIGTERM: {err}");
    assert!(
        err.contains("checkpoint saved") || err.contains("every finished unit is saved"),
        "{err}"
    );
    assert!(err.contains(&format!("neurodyn run --resume {}", partial.display())), "{err}");
    let done = resume(&partial);
    assert_same_results(&done, &reference, &format!("{name} (SIGTERM)"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_spiking_run_resumes_from_its_saved_network_state() {
    // Brunel's network: Poisson drive, delays, two populations; a checkpoint every 50 ms.
    killed_and_resumed(
        "spiking",
        "spiking/brunel_2000.toml",
        &[("simulation.checkpoint_every", toml::Value::Float(50.0))],
    );
}

#[test]
fn a_plastic_spiking_run_resumes_with_its_weights_and_traces() {
    killed_and_resumed(
        "stdp",
        "spiking/stdp_pair.toml",
        &[("simulation.checkpoint_every", toml::Value::Float(20.0))],
    );
}

#[test]
fn a_decomposition_resumes_after_its_finished_fits() {
    killed_and_resumed("decomp", "decomp/nmf_planted.toml", &[]);
}

#[test]
fn studies_resume_after_their_finished_cases() {
    killed_and_resumed("chaos", "chaos/sompolinsky_1988.toml", &[]);
    killed_and_resumed("deep-jacobian", "chaos/pennington_2017.toml", &[]);
    killed_and_resumed("amp", "decomp/amp_vs_als.toml", &[]);
}

#[test]
fn theory_runs_resume_after_their_finished_networks() {
    killed_and_resumed("deep-linear", "theory/saxe_2013.toml", &[]);
    killed_and_resumed("criticality", "theory/criticality.toml", &[]);
    killed_and_resumed("ffn", "theory/nonlinearity_geometry.toml", &[]);
    killed_and_resumed("rich-lazy", "theory/rich_lazy_rank.toml", &[]);
}

#[test]
fn a_population_resumes_from_its_members_checkpoint_and_finished_analyses() {
    use toml::Value::Integer;
    killed_and_resumed(
        "population",
        "rnn/flipflop_population.toml",
        &[
            ("population.size", Integer(3)),
            ("train.max_steps", Integer(60)),
            ("train.checkpoint_every", Integer(20)),
            ("fixed_points.n_initial", Integer(16)),
            ("fixed_points.max_iters", Integer(300)),
        ],
    );
}

#[test]
fn a_network_comparison_resumes_after_its_trained_networks() {
    killed_and_resumed("compare", "rnn/flipflop_universality.toml", &[]);
}

/// Kinds that are one short computation keep no checkpoints: SIGTERM exits at once (143),
/// and `--resume` starts the run over in its directory, to the same results.
#[test]
fn runs_without_checkpoints_start_over_on_resume() {
    for (name, example) in [
        ("dimensionality", "analysis/curved_manifold.toml"),
        ("reservoir", "reservoir/memory_capacity.toml"),
    ] {
        let dir = scratch(&format!("restart-{name}"));
        let spec = quick_spec(&dir, example, &[]);
        let reference = complete(&spec, &dir.join("reference"));
        let (code, err, _) = interrupted(&spec, &dir.join("stopped"), "0 TERM");
        assert_eq!(code, Some(143), "{name}: {err}");
        let (code, _, partial) = interrupted(&spec, &dir.join("killed"), "0 KILL");
        assert_eq!(code, None);
        let done = resume(&partial);
        assert!(!manifest_resumed(&done), "{name}: started over, not resumed");
        assert_same_results(&done, &reference, name);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn spiking_and_reservoir_experiments_resume_after_their_finished_units() {
    killed_and_resumed("conditioning", "spiking/bbci_conditioning.toml", &[]);
    killed_and_resumed("encoding", "spiking/chaotic_encoding.toml", &[]);
    killed_and_resumed("bursting", "spiking/elliptic_bursters.toml", &[]);
    killed_and_resumed("delays", "spiking/delay_motion_detection.toml", &[]);
    killed_and_resumed("ei-reservoir", "reservoir/reservoir_ei_adaptation.toml", &[]);
    killed_and_resumed("prediction", "reservoir/what_when_three_factor.toml", &[]);
}

#[test]
fn a_ring_tracking_experiment_resumes_after_its_finished_protocols() {
    killed_and_resumed("ring-tracking", "spiking/v1_ring_tracking.toml", &[]);
}
