//! Ridge readouts and memory capacity: a planted linear map, the trace identity Σ MC_k = N of
//! a linear reservoir (measured capacities against the closed form: `neurodyn::reservoir`).

use faer::Mat;
use neurodyn_analysis::reservoir::{linear_memory_capacity, predict, ridge};
use neurodyn_core::rng;
use rand::RngExt;

#[test]
fn ridge_recovers_a_planted_affine_map() {
    let mut r = rng::stream(1, "ridge", 0);
    let (rows, p, q) = (200, 4, 2);
    let x: Vec<f64> = (0..rows * p).map(|_| r.random_range(-1.0..1.0)).collect();
    let b = [[1.0, -2.0], [0.5, 0.0], [0.0, 3.0], [-1.5, 0.25]];
    let c = [0.7, -0.3];
    let y: Vec<f64> = (0..rows * q)
        .map(|idx| {
            let (i, k) = (idx / q, idx % q);
            c[k] + (0..p).map(|j| x[i * p + j] * b[j][k]).sum::<f64>()
        })
        .collect();
    let w = ridge(&x, &y, rows, 0.0).unwrap();
    for j in 0..p {
        for k in 0..q {
            assert!((w[j * q + k] - b[j][k]).abs() < 1e-10);
        }
    }
    assert!((w[p * q] - c[0]).abs() < 1e-10 && (w[p * q + 1] - c[1]).abs() < 1e-10);
    let fit = predict(&x, &w, rows);
    assert!(fit.iter().zip(&y).all(|(a, b)| (a - b).abs() < 1e-10));
    // A penalty shrinks the slopes.
    let shrunk = ridge(&x, &y, rows, 100.0).unwrap();
    assert!(shrunk[0].abs() < w[0].abs());
}

#[test]
fn a_linear_reservoir_remembers_exactly_n_inputs_in_total() {
    let n = 10;
    let mut r = rng::stream(2, "w", 0);
    let g = Mat::from_fn(n, n, |_, _| r.random_range(-1.0..1.0));
    let rho = g.eigenvalues().unwrap().iter().map(|z| z.norm()).fold(0.0f64, f64::max);
    let w = Mat::from_fn(n, n, |i, j| 0.8 * g[(i, j)] / rho);
    let input: Vec<f64> = (0..n).map(|_| r.random_range(-1.0..1.0)).collect();
    let mc = linear_memory_capacity(&w, &input, 400).unwrap();
    let total: f64 = mc.iter().sum();
    assert!((total - n as f64).abs() < 1e-6, "{total}");
    assert!(mc.iter().all(|&m| (-1e-9..=1.0 + 1e-9).contains(&m)));
    // No recurrence: only the present input is held (one unit's worth of memory).
    let none = linear_memory_capacity(&Mat::zeros(1, 1), &[1.0], 5).unwrap();
    assert!((none[0] - 1.0).abs() < 1e-12 && none[1..].iter().all(|&m| m.abs() < 1e-12));
}
