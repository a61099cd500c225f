//! Rate RNN cells against PyTorch golden data (tests/golden/torch_rnn/).

use neurodyn::io::npz::read_f64;
use neurodyn::models::rnn::{RnnConfig, Tape};
use std::path::PathBuf;

fn golden() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/torch_rnn/data.npz")
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / scale).fold(0.0, f64::max)
}

#[test]
fn cells_match_pytorch_forward_and_gradients() {
    let path = golden();
    for (name, config) in [
        ("vanilla", RnnConfig::leaky_tanh(3, 5, 2, 0.3)),
        ("gru", RnnConfig::gru(3, 5, 2)),
        ("lstm", RnnConfig::lstm(3, 5, 2)),
    ] {
        let get = |what: &str| read_f64(&path, &format!("{name}_{what}")).unwrap();
        let (shape, inputs) = get("inputs");
        let (t, b) = (shape[0], shape[1]);
        let mut rnn = config.build::<f64>(0).unwrap();
        let (_, params) = get("params");
        assert_eq!(params.len(), rnn.params().len(), "{name}: layout size differs from PyTorch's");
        rnn.params_mut().copy_from_slice(&params);

        let mut tape = Tape::default();
        let (_, expected) = get("outputs");
        let mut outputs = vec![0.0; expected.len()];
        rnn.forward(&inputs, t, b, None, &mut tape, &mut outputs);
        let err = max_rel(&outputs, &expected);
        assert!(err < 1e-10, "{name}: outputs differ from PyTorch (max rel {err:e})");

        let (_, probe) = get("probe");
        let mut grads = vec![0.0; params.len()];
        rnn.backward(&inputs, &mut tape, &probe, None, &mut grads);
        let (_, expected) = get("grads");
        let err = max_rel(&grads, &expected);
        assert!(err < 1e-10, "{name}: gradients differ from PyTorch autograd (max rel {err:e})");
    }
}
