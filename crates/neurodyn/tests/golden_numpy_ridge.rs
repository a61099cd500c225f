//! The ridge read-out against numpy's least squares (tests/golden/numpy_ridge/): the same
//! weights and intercept, for penalties from none to strong, on correlated columns whose Gram
//! matrix has condition number 1e6.

use neurodyn::analysis::reservoir::ridge;
use neurodyn::io::npz::read_f64;
use std::path::PathBuf;

#[test]
fn ridge_matches_numpy_lstsq_on_the_augmented_system() {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden/numpy_ridge/data.npz");
    let get = |name: &str| read_f64(&path, name).unwrap();
    let (shape, x) = get("x");
    let rows = shape[0];
    let (_, y) = get("y");
    let (_, alphas) = get("alphas");
    let (wshape, expected) = get("weights");
    let per = wshape[1] * wshape[2];
    for (a, &alpha) in alphas.iter().enumerate() {
        let ours = ridge(&x, &y, rows, alpha).expect("solvable");
        let theirs = &expected[a * per..(a + 1) * per];
        assert_eq!(ours.len(), theirs.len());
        let scale = theirs.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let worst = ours.iter().zip(theirs).fold(0.0f64, |m, (u, v)| m.max((u - v).abs()));
        // Normal equations lose about κ(XᵀX)·ε ≈ 1e6 · 1e-16 relative to numpy's SVD solve.
        assert!(worst < 1e-8 * scale, "α = {alpha}: largest difference {worst:e} of {scale}");
    }
}
