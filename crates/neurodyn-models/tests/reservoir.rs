//! Echo-state reservoirs: sparse weights act as their dense matrix, the spectral radius asked
//! for is the one built, and FORCE learning reproduces a sine wave on the reservoir's own
//! feedback.

use neurodyn_models::reservoir::{Activation, Csr, EsnConfig, Force, Rls, Topology, Weights};

fn config(n: usize, connectivity: f64) -> EsnConfig {
    EsnConfig {
        n,
        spectral_radius: 0.9,
        input_scaling: 0.5,
        bias_scaling: 0.1,
        leak: 0.3,
        activation: Activation::Tanh,
        topology: Topology::Gaussian,
        connectivity,
    }
}

#[test]
fn a_sparse_reservoir_runs_as_its_dense_matrix() {
    let esn = config(300, 0.1).build(2, 7).unwrap();
    let Weights::Sparse(csr) = &esn.w else { panic!("connectivity 0.1 must give a sparse W") };
    // Kept with probability 0.1: 9000 expected, s.d. ≈ 90.
    assert!((csr.nnz() as f64 - 9000.0).abs() < 400.0, "{}", csr.nnz());
    let radius =
        esn.w.to_dense().eigenvalues().unwrap().iter().map(|z| z.norm()).fold(0.0, f64::max);
    assert!((radius - 0.9).abs() < 1e-10, "{radius}");
    let u: Vec<f64> = (0..400).map(|t| (t as f64 * 0.3).sin()).collect();
    let sparse = esn.run(&u);
    let mut dense = esn.clone();
    dense.w = Weights::Dense(esn.w.to_dense());
    let reference = dense.run(&u);
    let worst = sparse.iter().zip(&reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-13, "{worst}");
    // The same seed gives the same reservoir.
    assert_eq!(config(300, 0.1).build(2, 7).unwrap().w, esn.w);
}

#[test]
fn csr_structure_is_checked() {
    assert!(Csr::new(2, vec![0, 1, 2], vec![0, 1], vec![1.0, 2.0]).is_ok());
    assert!(Csr::new(2, vec![0, 1], vec![0], vec![1.0]).is_err());
    assert!(Csr::new(2, vec![0, 2, 1], vec![0, 1], vec![1.0, 2.0]).is_err());
    assert!(Csr::new(2, vec![0, 1, 2], vec![0, 2], vec![1.0, 2.0]).is_err());
    assert!(Csr::new(2, vec![0, 1, 2], vec![0, 1], vec![1.0]).is_err());
    let mut orthogonal = config(10, 0.5);
    orthogonal.topology = Topology::Orthogonal;
    assert_eq!(orthogonal.validate().unwrap_err().field, "connectivity");
    assert_eq!(config(10, 0.0).validate().unwrap_err().field, "connectivity");
}

#[test]
fn force_learns_a_sine_wave_and_then_generates_it_alone() {
    // Sussillo & Abbott 2009's setting in discrete time: a chaotic leaky tanh network
    // (g = 1.5), output fed back with uniform weights in [−1, 1], RLS with α = 1.
    let mut c = config(300, 1.0);
    c.spectral_radius = 1.5;
    c.leak = 0.1;
    c.bias_scaling = 0.0;
    let esn = c.build(1, 3).unwrap();
    let period = 100.0;
    let steps = 6000;
    let train = 4000;
    let target: Vec<f64> =
        (0..steps).map(|t| (2.0 * std::f64::consts::PI * t as f64 / period).sin()).collect();
    let feedback: Vec<f64> = (0..300).map(|i| ((i * 7919 % 300) as f64 / 150.0) - 1.0).collect();
    let initial: Vec<f64> = (0..300).map(|i| ((i * 104729 % 300) as f64 / 150.0) - 1.0).collect();
    let force = Force { feedback, alpha: 1.0, train_steps: train, every: 2, initial };
    let r = esn.force(&[], &target, &force);
    let nrmse = |range: std::ops::Range<usize>| {
        let e: f64 = range.clone().map(|t| (r.output[t] - target[t]).powi(2)).sum();
        let v: f64 = range.map(|t| target[t].powi(2)).sum();
        (e / v).sqrt()
    };
    // Learning keeps the error small from early on ...
    assert!(nrmse(1000..train) < 0.01, "while learning {}", nrmse(1000..train));
    // ... and the trained network, on its own feedback, keeps generating the sine.
    let free = nrmse(train..steps);
    assert!(free < 0.05, "free-running NRMSE {free}");
    // Without learning (zero readout) the output is flat: the test can fail.
    let none = esn.force(&[], &target, &Force { train_steps: 0, ..force.clone() });
    assert!(none.output.iter().all(|&z| z == 0.0));
}

#[test]
fn rls_after_n_samples_is_ridge_regression() {
    // From P₀ = I/α, n updates leave P = (XᵀX + αI)⁻¹ and weights w (updated by c·e·k) equal
    // to the ridge solution (XᵀX + αI)⁻¹ Xᵀy — solved here directly with faer.
    use faer::linalg::solvers::Solve;
    let (d, n, alpha) = (5, 40, 0.3);
    let x: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..d).map(|j| ((i * 7 + j * 3) as f64 * 0.37).sin() + 0.1 * j as f64).collect())
        .collect();
    let y: Vec<f64> = x.iter().map(|r| r[0] - 2.0 * r[3] + 0.5 * r[4] + 0.05 * r[1]).collect();
    let mut rls = Rls::new(d, alpha);
    let mut w = vec![0.0; d];
    for (r, t) in x.iter().zip(&y) {
        let out: f64 = w.iter().zip(r).map(|(a, b)| a * b).sum();
        let c = rls.update(r);
        w.iter_mut().zip(rls.gain_vector()).for_each(|(wi, k)| *wi += c * (t - out) * k);
    }
    let a = faer::Mat::from_fn(d, d, |i, j| {
        x.iter().map(|r| r[i] * r[j]).sum::<f64>() + if i == j { alpha } else { 0.0 }
    });
    let b = faer::Mat::from_fn(d, 1, |i, _| x.iter().zip(&y).map(|(r, t)| r[i] * t).sum::<f64>());
    let ridge = a.partial_piv_lu().solve(&b);
    for i in 0..d {
        assert!((w[i] - ridge[(i, 0)]).abs() < 1e-9, "{w:?} vs {ridge:?}");
    }
    // One more update with a unit vector reads P back: k = P e_j.
    let mut probe = rls.clone();
    let inverse = a.partial_piv_lu().solve(faer::Mat::<f64>::identity(d, d));
    for j in 0..d {
        let mut e = vec![0.0; d];
        e[j] = 1.0;
        probe.clone_from(&rls);
        probe.update(&e);
        for i in 0..d {
            assert!((probe.gain_vector()[i] - inverse[(i, j)]).abs() < 1e-9);
        }
    }
}
