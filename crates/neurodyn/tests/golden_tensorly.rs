//! CP-ALS against TensorLy golden data (tests/golden/tensorly_cp/): from the same start, the
//! same sweeps must give the same model (ALS is deterministic given its start).

use neurodyn::analysis::decomp::cp::{CpConfig, cp_als_from};
use neurodyn::io::npz::read_f64;
use std::path::PathBuf;

#[test]
fn cp_als_follows_tensorly_parafac_from_the_same_start() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/tensorly_cp/data.npz");
    let get = |name: &str| read_f64(&path, name).unwrap();
    let (shape, x) = get("x");
    let shape = [shape[0], shape[1], shape[2]];
    let init = [get("init_a").1, get("init_b").1, get("init_c").1];
    let rank = get("init_a").0[1];
    let sweeps = get("sweeps").1[0] as usize;
    let c = CpConfig { rank, max_iters: sweeps, tol: 0.0, seed: 0 };
    let fit = cp_als_from(&x, shape, None, &c, init).unwrap();
    assert_eq!(fit.loss.len(), sweeps + 1, "every sweep ran");
    // The model tensor Σ_r λ_r a_r ∘ b_r ∘ c_r against TensorLy's.
    let [a, b, cc] = &fit.factors;
    let (_, expected) = get("model");
    let scale = expected.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut worst: f64 = 0.0;
    for i in 0..shape[0] {
        for j in 0..shape[1] {
            for k in 0..shape[2] {
                let v: f64 = (0..rank)
                    .map(|r| fit.weights[r] * a[i * rank + r] * b[j * rank + r] * cc[k * rank + r])
                    .sum();
                worst = worst.max((v - expected[(i * shape[1] + j) * shape[2] + k]).abs());
            }
        }
    }
    assert!(worst < 1e-9 * scale, "largest difference from TensorLy's model {worst:e}");
    // TensorLy's relative error after every sweep: the `relative_error` our runs report, from
    // our objective ½‖X − X̂‖².
    let (_, errors) = get("relative_errors");
    let energy = x.iter().map(|v| v * v).sum::<f64>();
    for (s, e) in errors.iter().enumerate() {
        let ours = neurodyn::decomp::relative_error(fit.loss[s + 1], energy);
        assert!((ours - e).abs() < 1e-9, "sweep {}: {ours} vs TensorLy {e}", s + 1);
    }
}
