//! The fixed-point finder on systems whose fixed points are known in closed form.

use faer::{Mat, MatMut};
use neurodyn_analysis::fixed_points::{
    FixedPointConfig, Stability, find_fixed_points, unstable_manifold_ends,
};
use neurodyn_core::{Dynamics, LinearMap, TanhMap};

fn grid(lo: f64, hi: f64, n: usize) -> Vec<Vec<f64>> {
    let at = |k: usize| lo + (hi - lo) * k as f64 / (n - 1) as f64;
    (0..n).flat_map(|i| (0..n).map(move |j| vec![at(i), at(j)])).collect()
}

#[test]
fn linear_saddle_is_found_exactly() {
    // A = [[0.5, 0.2], [0, 1.5]], c = (1, −1): (I − A) h* = c gives y = −1/−0.5 = 2,
    // x = (1 + 0.2·2)/0.5 = 2.8.
    let map = LinearMap {
        a: faer::mat![[0.5, 0.2], [0.0, 1.5]],
        b: Mat::zeros(2, 0),
        c: vec![1.0, -1.0],
    };
    let found = find_fixed_points(&map, &grid(-3.0, 3.0, 4), &FixedPointConfig::default(), &|_| {})
        .unwrap();
    assert_eq!(found.points.len(), 1, "{:?}", found.points);
    let p = &found.points[0];
    assert!((p.state[0] - 2.8).abs() < 1e-10 && (p.state[1] - 2.0).abs() < 1e-10, "{:?}", p.state);
    assert_eq!((p.stability, p.n_unstable), (Stability::Saddle, 1));
    assert!((p.eigenvalues[0].0 - 1.5).abs() < 1e-12 && (p.eigenvalues[1].0 - 0.5).abs() < 1e-12);
}

/// Two uncoupled bistable units, `h ← h + dt (h − h³)`: nine fixed points {−1, 0, 1}².
struct Bistable {
    dt: f64,
}

impl Dynamics for Bistable {
    fn dim(&self) -> usize {
        2
    }
    fn n_input(&self) -> usize {
        0
    }
    fn step(&self, h: &[f64], _: &[f64], next: &mut [f64]) {
        for k in 0..2 {
            next[k] = h[k] + self.dt * (h[k] - h[k].powi(3));
        }
    }
    fn jacobian(&self, h: &[f64], _: &[f64], mut jac: MatMut<'_, f64>) {
        jac.fill(0.0);
        for k in 0..2 {
            jac[(k, k)] = 1.0 + self.dt * (1.0 - 3.0 * h[k] * h[k]);
        }
    }
}

#[test]
fn bistable_pair_has_four_stable_four_saddles_one_source() {
    let config =
        FixedPointConfig { max_iters: 4000, learning_rate: 0.02, ..FixedPointConfig::default() };
    let found =
        find_fixed_points(&Bistable { dt: 0.1 }, &grid(-1.6, 1.6, 9), &config, &|_| {}).unwrap();
    assert_eq!(
        found.points.len(),
        9,
        "{:?}",
        found.points.iter().map(|p| &p.state).collect::<Vec<_>>()
    );
    assert_eq!(found.count(Stability::Stable), 4);
    assert_eq!(found.count(Stability::Saddle), 4);
    assert_eq!(found.count(Stability::Unstable), 1);
    for p in &found.points {
        for v in &p.state {
            let nearest = v.round().clamp(-1.0, 1.0);
            assert!((v - nearest).abs() < 1e-9, "{:?} is not in {{-1, 0, 1}}²", p.state);
        }
        let n_zero = p.state.iter().filter(|v| v.abs() < 0.5).count();
        assert_eq!(p.n_unstable, n_zero, "{:?}", p.state);
    }
}

#[test]
fn hopfield_memories_are_stable_and_the_origin_is_a_saddle() {
    let n = 16;
    // Two orthogonal ±1 patterns (Walsh functions).
    let xi: [Vec<f64>; 2] = [
        (0..n).map(|k| if k % 2 == 0 { 1.0 } else { -1.0 }).collect(),
        (0..n).map(|k| if (k / 2) % 2 == 0 { 1.0 } else { -1.0 }).collect(),
    ];
    let w = Mat::from_fn(n, n, |i, j| (xi[0][i] * xi[0][j] + xi[1][i] * xi[1][j]) / n as f64);
    // A Hopfield network h ← tanh(β W h), β = 2.
    let net = TanhMap { w, gain: 2.0 };
    let mut initial: Vec<Vec<f64>> = Vec::new();
    for p in &xi {
        for s in [0.7, -0.7] {
            initial.push(p.iter().map(|v| s * v).collect());
        }
    }
    initial.push(vec![1e-3; n]);
    let found = find_fixed_points(&net, &initial, &FixedPointConfig::default(), &|_| {}).unwrap();
    assert_eq!(found.count(Stability::Stable), 4, "{:?}", found.points);
    for p in found.points.iter().filter(|p| p.stability == Stability::Stable) {
        let overlaps: Vec<f64> = xi
            .iter()
            .map(|x| x.iter().zip(&p.state).map(|(a, b)| a * b).sum::<f64>() / n as f64)
            .collect();
        // m = tanh(β m) at β = 2 gives |m| = 0.9575.
        assert!(
            overlaps.iter().any(|m| (m.abs() - 0.957_504).abs() < 1e-5),
            "overlaps {overlaps:?}"
        );
    }
    let origin =
        found.points.iter().find(|p| p.state.iter().all(|v| v.abs() < 1e-8)).expect("origin found");
    // J(0) = β W has eigenvalue β = 2 twice (the two patterns) and 0 otherwise.
    assert_eq!((origin.stability, origin.n_unstable), (Stability::Saddle, 2));
}

#[test]
fn bad_arguments_are_refused() {
    let map = LinearMap { a: faer::mat![[0.5]], b: Mat::zeros(1, 1), c: vec![0.0] };
    let c = FixedPointConfig::default();
    assert!(find_fixed_points(&map, &[], &c, &|_| {}).is_err());
    assert!(find_fixed_points(&map, &[vec![0.0, 1.0]], &c, &|_| {}).is_err());
    let c = FixedPointConfig { input: vec![1.0, 2.0], ..c };
    assert!(find_fixed_points(&map, &[vec![0.0]], &c, &|_| {}).is_err());
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let starts = grid(-1.6, 1.6, 12); // 144 starts: several chunks of 32
    let config = FixedPointConfig { max_iters: 500, ..FixedPointConfig::default() };
    let with = |threads| {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| {
            find_fixed_points(&Bistable { dt: 0.1 }, &starts, &config, &|_| {}).unwrap()
        })
    };
    assert_eq!(with(1), with(2));
}

#[test]
fn a_saddle_s_unstable_manifold_ends_at_the_two_stable_points() {
    // The saddle (0, 1) of the bistable pair is unstable along x only.
    let net = Bistable { dt: 0.1 };
    let ends = unstable_manifold_ends(&net, &[0.0, 1.0], &[], 1e-3, 5000).unwrap();
    let mut xs = [ends[0][0], ends[1][0]];
    xs.sort_by(f64::total_cmp);
    assert!((xs[0] + 1.0).abs() < 1e-6 && (xs[1] - 1.0).abs() < 1e-6, "{ends:?}");
    assert!(ends.iter().all(|e| (e[1] - 1.0).abs() < 1e-9), "{ends:?}");
    // At a stable point there is no unstable direction.
    assert!(unstable_manifold_ends(&net, &[1.0, 1.0], &[], 1e-3, 10).is_none());
}

#[test]
fn merging_a_second_search_adds_only_new_points_in_order() {
    let net = Bistable { dt: 0.1 };
    let config =
        FixedPointConfig { max_iters: 4000, learning_rate: 0.02, ..FixedPointConfig::default() };
    // First search from near two memories only; the second from everywhere.
    let mut first =
        find_fixed_points(&net, &[vec![0.9, 0.9], vec![-0.9, 0.9]], &config, &|_| {}).unwrap();
    assert_eq!(first.points.len(), 2);
    let second = find_fixed_points(&net, &grid(-1.6, 1.6, 9), &config, &|_| {}).unwrap();
    let searched = first.search_q.len() + second.search_q.len();
    first.merge(second, config.dedup_tol);
    assert_eq!(first.points.len(), 9, "nine fixed points, none twice");
    assert_eq!(first.search_q.len(), searched);
    let indices: Vec<usize> = first.points.iter().map(|p| p.n_unstable).collect();
    assert_eq!(indices, vec![0, 0, 0, 0, 1, 1, 1, 1, 2]);
}
