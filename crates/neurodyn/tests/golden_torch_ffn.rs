//! Feed-forward networks against PyTorch golden data (tests/golden/torch_ffn/).

use neurodyn::io::npz::read_f64;
use neurodyn::models::ffn::{Activation, FfnConfig, Loss};
use std::path::PathBuf;

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-300);
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / scale).fold(0.0, f64::max)
}

#[test]
fn ffn_matches_pytorch_outputs_losses_gradients_and_jacobians() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/torch_ffn/data.npz");
    for (act_name, activation) in [
        ("tanh", Activation::Tanh),
        ("relu", Activation::Relu),
        ("erf", Activation::Erf),
        ("hard_tanh", Activation::HardTanh),
        ("linear", Activation::Linear),
    ] {
        for (loss_name, loss) in [("mse", Loss::Mse), ("cross_entropy", Loss::CrossEntropy)] {
            let key = format!("{act_name}_{loss_name}");
            let get = |what: &str| read_f64(&path, &format!("{key}_{what}")).unwrap().1;
            let mut net = FfnConfig::new(vec![5, 7, 6, 3], activation).build::<f64>(0).unwrap();
            let params = get("params");
            assert_eq!(params.len(), net.params.len(), "{key}: layout size differs from PyTorch's");
            net.params.copy_from_slice(&params);
            let (x, y) = (get("x"), get("y"));
            let tape = net.forward(&x, 4);
            let err = max_rel(tape.output(), &get("output"));
            assert!(err < 1e-12, "{key}: outputs differ (max rel {err:e})");
            let mut grads = vec![0.0; params.len()];
            let value = net.loss_and_gradient(&x, &y, 4, loss, &mut grads);
            let expected = get("loss")[0];
            assert!(
                (value - expected).abs() < 1e-12 * expected.abs(),
                "{key}: loss {value} vs {expected}"
            );
            let err = max_rel(&grads, &get("grads"));
            assert!(err < 1e-10, "{key}: gradients differ from autograd (max rel {err:e})");
            let j = net.input_output_jacobian(&x[..5]);
            let flat: Vec<f64> =
                (0..3).flat_map(|r| (0..5).map(move |c| (r, c))).map(|(r, c)| j[(r, c)]).collect();
            let err = max_rel(&flat, &get("jacobian"));
            assert!(err < 1e-10, "{key}: Jacobian differs (max rel {err:e})");
        }
    }
}
