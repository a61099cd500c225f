//! The claims of `examples/rnn/*.toml`, checked by running each spec in full.
//!
//! Slow (minutes in a release build), so ignored in CI:
//! `cargo test --release -p neurodyn --test reproductions -- --ignored`.

use neurodyn::analysis::fixed_points::Stability;
use neurodyn::experiment;
use neurodyn::io::spec;
use std::ops::ControlFlow;
use std::path::Path;

fn run(file: &str) -> (experiment::Analysis, serde_json::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rnn").join(file);
    let spec = spec::load(&path).unwrap();
    let mut trainer = experiment::trainer(&spec);
    let stop = experiment::train(&spec, &mut trainer, &mut |_| ControlFlow::Continue(()));
    let analysis = experiment::analyse(&spec, &trainer.rnn, &|_| {}).unwrap();
    let metrics = experiment::metrics(&spec, &trainer, stop, &analysis, 0.0, 0.0);
    (analysis, metrics)
}

/// Sussillo & Barak 2013; Maheswaranathan et al. 2019 (arXiv:1907.08549): a trained 3-bit
/// flip-flop has exactly 2³ = 8 stable fixed points, whatever the architecture.
#[test]
#[ignore = "trains three networks; run with --ignored in a release build"]
fn flipflop_has_eight_stable_fixed_points_in_every_architecture() {
    for file in ["flipflop.toml", "flipflop_gru.toml", "flipflop_lstm.toml"] {
        let (a, m) = run(file);
        assert!(m["heldout_nmse"].as_f64().unwrap() < 0.05, "{file}: {m}");
        assert_eq!(a.fixed_points.count(Stability::Stable), 8, "{file}: {m}");
        assert!(a.fixed_points.count(Stability::Saddle) > 0, "{file}: {m}");
    }
}

/// Maheswaranathan et al. 2019 (arXiv:1906.10720): integration is implemented by an
/// approximate line attractor — a 1-D manifold of slow points, each with one Jacobian
/// eigenvalue within 0.05 of 1.
#[test]
#[ignore = "trains a network; run with --ignored in a release build"]
fn integrator_has_a_line_attractor() {
    let (_, m) = run("integrator.toml");
    let s = &m["slow_points"];
    assert!(s["n_slow_points"].as_u64().unwrap() >= 10, "{m}");
    assert!(s["fraction_with_exactly_one_eigenvalue_near_1"].as_f64().unwrap() > 0.9, "{m}");
    assert!(s["pc1_variance_ratio"].as_f64().unwrap() > 0.9, "{m}");
}

/// Maheswaranathan et al. 2019: across architectures the fixed-point topology is universal
/// (here: the full cube, 12 saddle edges between memories one bit apart) while the geometry
/// differs (SVCCA well below 1).
#[test]
#[ignore = "trains three networks; run with --ignored in a release build"]
fn flipflop_topology_is_universal_and_geometry_individual() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/rnn/flipflop_universality.toml");
    let spec::Experiment::Compare(spec) = spec::load_experiment(&path).unwrap() else {
        panic!("not a comparison spec")
    };
    let result = neurodyn::compare::run(&spec, &mut |_, _| {}).unwrap();
    let m = result.metrics;
    assert_eq!(m["all_topologies_equal"], true, "{m}");
    for net in m["networks"].as_array().unwrap() {
        assert_eq!(net["stable_labels"].as_array().unwrap().len(), 8, "{net}");
        assert_eq!(net["edges_between_labels_one_sign_apart"], 12, "{net}");
    }
    for pair in m["pairs"].as_array().unwrap() {
        assert!(pair["svcca"].as_f64().unwrap() < 0.9, "{pair}");
    }
}
