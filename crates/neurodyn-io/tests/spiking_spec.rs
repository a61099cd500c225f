//! Spiking specs: connection lists from `.npz` files, resolved specs that parse back.

use neurodyn_io::npz::{Array, write};
use neurodyn_io::spec::spiking::parse;
use neurodyn_io::spec::{SpecError, SpikingSpec, read_spec};
use neurodyn_sim::Network;
use std::path::Path;

const SPEC: &str = r#"name = "from_file"
[populations.a]
n = 4
neuron = { model = "lif_psc_delta", preset = "brunel_2000" }

[projections.listed]
pre = "a"
post = "a"
rule.file = { path = "edges.npz" }
weight = 0.2
"#;

#[test]
fn connection_lists_come_from_npz_with_their_weights_and_delays() {
    let dir = std::env::temp_dir().join(format!("neurodyn-io-spiking-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    write(
        &dir.join("edges.npz"),
        &[
            ("pre", Array::i32(&[3], vec![2, 0, 0])),
            ("post", Array::i32(&[3], vec![1, 3, 1])),
            ("weight", Array::f64(&[3], vec![0.7, 0.5, 0.6])),
            ("delay", Array::f64(&[3], vec![1.0, 0.0, 0.5])),
        ],
    )
    .unwrap();
    std::fs::write(dir.join("spec.toml"), SPEC).unwrap();
    let load = |dir: &Path| -> Result<SpikingSpec, SpecError> {
        parse(&read_spec(&dir.join("spec.toml"))?, "spec.toml", dir)
    };
    let spec = load(&dir).unwrap();
    let net = Network::build(&spec.network(), 0).unwrap();
    // Sorted by (pre, post); each synapse keeps its own weight.
    assert_eq!(net.synapses(0), vec![(0, 1), (0, 3), (2, 1)]);
    assert_eq!(net.weights(0), vec![0.6, 0.5, 0.7]);
    // The resolved spec names the file by absolute path and parses back to the same network.
    let resolved = spec.to_toml();
    let again = parse(&resolved, "resolved", Path::new("/")).unwrap();
    assert_eq!(Network::build(&again.network(), 0).unwrap().weights(0), net.weights(0));
    // An index beyond the population is refused, naming the field.
    write(
        &dir.join("edges.npz"),
        &[("pre", Array::i32(&[1], vec![9])), ("post", Array::i32(&[1], vec![0]))],
    )
    .unwrap();
    let bad = load(&dir).unwrap();
    let e = Network::build(&bad.network(), 0).unwrap_err();
    assert_eq!(e.field, "projections.listed.rule.list.pre");
    // A missing file is a located spec error.
    std::fs::remove_file(dir.join("edges.npz")).unwrap();
    let e = load(&dir).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("projections.listed.rule.file.path"));
    assert_eq!(e.position.map(|p| p.0), Some(9));
    std::fs::remove_dir_all(&dir).unwrap();
}
