//! Fixed and slow points of a discrete-time system (Sussillo & Barak 2013; Golub & Sussillo
//! 2018).
//!
//! ## Method
//! 1. **Search.** From each initial state, minimise the speed `q(h) = ½‖F(h, x*) − h‖²` with
//!    Adam, using the analytic gradient `∇q = (J − I)ᵀ (F(h) − h)` (one vector–Jacobian
//!    product). A state stops moving once `q < q_stop` or after `max_iters` iterations. States
//!    run in fixed chunks in parallel; each chunk is independent, so the result does not
//!    depend on the number of threads.
//! 2. **De-duplicate** the candidates with `q < q_candidate` (`q_threshold` without polish): greedily, in increasing `q`, a
//!    candidate closer than `dedup_tol` (Euclidean) to a kept one is dropped.
//! 3. **Polish** (optional) each survivor by Levenberg–Marquardt on the residual
//!    `r(h) = F(h) − h`: `(AᵀA + μI) δ = −Aᵀr`, `A = J − I`, adapting `μ`; for an isolated fixed
//!    point this is Newton's method and converges quadratically. Then de-duplicate again.
//! 4. **Classify** by the eigenvalues of `J` at each point: *stable* when every `|λ| < 1`,
//!    *unstable* when every `|λ| > 1`, a *saddle* otherwise, with its number of unstable modes.

use faer::Mat;
use faer::linalg::solvers::Solve;
use neurodyn_core::mat::{view, view_mut};
use neurodyn_core::{Dynamics, RangeError, check};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Settings of the fixed-point search.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FixedPointConfig {
    /// Number of initial states sampled from the trajectories [1].
    pub n_initial: usize,
    /// Standard deviation of the Gaussian noise added to each sampled initial state [1].
    pub init_noise_std: f64,
    /// Constant input `x*` during the search (empty = zeros) [1].
    #[serde(default)]
    pub input: Vec<f64>,
    /// Adam step size of the search [1].
    pub learning_rate: f64,
    /// Maximum Adam iterations per initial state [1].
    pub max_iters: usize,
    /// A state stops moving once its `q` falls below this [1].
    pub q_stop: f64,
    /// Candidates with `q` below this after the search go on to the polish [1].
    pub q_candidate: f64,
    /// Points with `q` above this after the search (and polish) are discarded [1].
    pub q_threshold: f64,
    /// Two points closer than this (Euclidean distance) are the same point [1].
    pub dedup_tol: f64,
    /// Whether to polish with Levenberg–Marquardt (true for fixed points; false to keep the
    /// slow points of an approximate continuous attractor).
    pub polish: bool,
}

impl FixedPointConfig {
    /// The constant input of the search for a system with `n_input` inputs: `input`, or zeros
    /// when it is empty.
    pub fn input_for(&self, n_input: usize) -> Vec<f64> {
        if self.input.is_empty() { vec![0.0; n_input] } else { self.input.clone() }
    }

    /// Checks every field; the error names the first one out of range.
    pub fn validate(&self) -> Result<(), RangeError> {
        check(self.n_initial > 0, "n_initial", self.n_initial, "at least 1")?;
        check(self.max_iters > 0, "max_iters", self.max_iters, "at least 1")?;
        check(self.learning_rate > 0.0, "learning_rate", self.learning_rate, "a value > 0")?;
        for (field, v) in [
            ("init_noise_std", self.init_noise_std),
            ("q_stop", self.q_stop),
            ("q_candidate", self.q_candidate),
            ("q_threshold", self.q_threshold),
            ("dedup_tol", self.dedup_tol),
        ] {
            check(v >= 0.0 && v.is_finite(), field, v, "a finite value >= 0")?;
        }
        Ok(())
    }
}

impl Default for FixedPointConfig {
    fn default() -> Self {
        FixedPointConfig {
            n_initial: 256,
            init_noise_std: 0.05,
            input: Vec::new(),
            learning_rate: 1e-2,
            max_iters: 2000,
            q_stop: 1e-10,
            q_candidate: 1e-4,
            q_threshold: 1e-8,
            dedup_tol: 1e-2,
            polish: true,
        }
    }
}

/// The stability class of a fixed point of a map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stability {
    /// Every Jacobian eigenvalue inside the unit circle.
    Stable,
    /// Some eigenvalues inside, some outside.
    Saddle,
    /// Every eigenvalue outside the unit circle.
    Unstable,
}

impl Stability {
    /// A small integer code for arrays: 0 stable, 1 saddle, 2 unstable.
    pub fn code(self) -> i32 {
        match self {
            Stability::Stable => 0,
            Stability::Saddle => 1,
            Stability::Unstable => 2,
        }
    }
}

/// One fixed or slow point.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedPoint {
    /// The state `h*`.
    pub state: Vec<f64>,
    /// Its speed `q(h*) = ½‖F(h*) − h*‖²`.
    pub q: f64,
    /// Jacobian eigenvalues `(re, im)`, sorted by decreasing modulus.
    pub eigenvalues: Vec<(f64, f64)>,
    /// Number of eigenvalues with modulus above 1.
    pub n_unstable: usize,
    /// Stability class.
    pub stability: Stability,
}

/// The outcome of a search, with diagnostics.
#[derive(Clone, Debug, PartialEq)]
pub struct FixedPointResult {
    /// Unique points, stable first, then by increasing number of unstable modes and `q`.
    pub points: Vec<FixedPoint>,
    /// Final `q` of every initial state after the Adam search.
    pub search_q: Vec<f64>,
    /// Adam iterations each initial state used.
    pub search_iters: Vec<usize>,
}

impl FixedPointResult {
    /// Adds the points of a further search that lie at least `tol` from every known one (the
    /// de-duplication criterion of the search), with its diagnostics, keeping the order.
    pub fn merge(&mut self, other: FixedPointResult, tol: f64) {
        for p in other.points {
            if !self.points.iter().any(|q| near(&q.state, &p.state, tol)) {
                self.points.push(p);
            }
        }
        sort_points(&mut self.points);
        self.search_q.extend(other.search_q);
        self.search_iters.extend(other.search_iters);
    }

    /// Number of points of a class.
    pub fn count(&self, s: Stability) -> usize {
        self.points.iter().filter(|p| p.stability == s).count()
    }
}

/// Bad arguments to the search.
#[derive(Debug, Error, PartialEq)]
pub enum FixedPointError {
    /// No initial states were given.
    #[error("no initial states to search from")]
    NoInitialStates,
    /// An initial state has the wrong length.
    #[error("initial state {index} has length {got}, expected the system dimension {expected}")]
    StateLength {
        /// Which state.
        index: usize,
        /// Its length.
        got: usize,
        /// The system's dimension.
        expected: usize,
    },
    /// The constant input has the wrong length.
    #[error("input has length {got}, expected {expected}")]
    InputLength {
        /// Its length.
        got: usize,
        /// The system's input dimension.
        expected: usize,
    },
}

/// Rows of the search that run together; fixed so results do not depend on thread count.
const CHUNK: usize = 32;

/// Draws `n` initial states: rows of `trajectory` (`rows × dim`) chosen uniformly, plus
/// Gaussian noise of standard deviation `noise_std`, from the keyed stream `(seed, "fp_init")`.
pub fn sample_initial_states(
    trajectory: &[f64],
    dim: usize,
    n: usize,
    noise_std: f64,
    seed: u64,
) -> Vec<Vec<f64>> {
    let rows = trajectory.len() / dim;
    (0..n)
        .map(|k| {
            let mut r = neurodyn_core::rng::stream(seed, "fp_init", k as u64);
            let row = r.random_range(0..rows);
            trajectory[row * dim..(row + 1) * dim]
                .iter()
                .map(|v| {
                    let z: f64 = StandardNormal.sample(&mut r);
                    v + noise_std * z
                })
                .collect()
        })
        .collect()
}

/// Finds the fixed (or slow) points of `system` under the constant input `config.input`,
/// starting from `initial`. `progress(k)` is called with the number of initial states done.
pub fn find_fixed_points<D: Dynamics>(
    system: &D,
    initial: &[Vec<f64>],
    config: &FixedPointConfig,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<FixedPointResult, FixedPointError> {
    let dim = system.dim();
    if initial.is_empty() {
        return Err(FixedPointError::NoInitialStates);
    }
    if let Some((index, s)) = initial.iter().enumerate().find(|(_, s)| s.len() != dim) {
        return Err(FixedPointError::StateLength { index, got: s.len(), expected: dim });
    }
    let input = config.input_for(system.n_input());
    if input.len() != system.n_input() {
        return Err(FixedPointError::InputLength { got: input.len(), expected: system.n_input() });
    }

    // 1. Adam search, chunk by chunk.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let searched: Vec<(Vec<f64>, f64, usize)> = initial
        .par_chunks(CHUNK)
        .flat_map_iter(|chunk| {
            let out = adam_search(system, chunk, &input, config);
            let k = done.fetch_add(chunk.len(), std::sync::atomic::Ordering::Relaxed) + chunk.len();
            progress(k);
            out
        })
        .collect();
    let search_q = searched.iter().map(|s| s.1).collect();
    let search_iters = searched.iter().map(|s| s.2).collect();

    // 2. Keep slow candidates, de-duplicate.
    let limit =
        if config.polish { config.q_candidate.max(config.q_threshold) } else { config.q_threshold };
    let candidates: Vec<(Vec<f64>, f64)> =
        searched.into_iter().filter(|s| s.1 < limit).map(|s| (s.0, s.1)).collect();
    let candidates = dedup(candidates, config.dedup_tol);

    // 3. Polish, filter, de-duplicate again.
    let polished: Vec<(Vec<f64>, f64)> = if config.polish {
        candidates.into_par_iter().map(|(h, _)| levenberg_marquardt(system, h, &input)).collect()
    } else {
        candidates
    };
    let kept = dedup(
        polished.into_iter().filter(|(_, q)| *q < config.q_threshold).collect(),
        config.dedup_tol,
    );

    // 4. Classify.
    let mut points: Vec<FixedPoint> =
        kept.into_par_iter().map(|(h, q)| classify(system, h, q, &input)).collect();
    sort_points(&mut points);
    Ok(FixedPointResult { points, search_q, search_iters })
}

/// `q` and the residual `F(h) − h` for each row of `states` (`rows × dim`).
fn speed(
    system: &impl Dynamics,
    states: &[f64],
    dim: usize,
    input: &[f64],
    residual: &mut [f64],
) -> Vec<f64> {
    let rows = states.len() / dim;
    system.step_batch(view(states, rows, dim), input, view_mut(residual, rows, dim));
    residual.iter_mut().zip(states).for_each(|(f, h)| *f -= h);
    residual.chunks_exact(dim).map(|r| 0.5 * r.iter().map(|v| v * v).sum::<f64>()).collect()
}

/// Adam on `q` for a chunk of initial states; returns (state, q, iterations) per state.
fn adam_search(
    system: &impl Dynamics,
    chunk: &[Vec<f64>],
    input: &[f64],
    c: &FixedPointConfig,
) -> Vec<(Vec<f64>, f64, usize)> {
    let dim = system.dim();
    let rows = chunk.len();
    let mut h: Vec<f64> = chunk.iter().flatten().copied().collect();
    let (mut m, mut v) = (vec![0.0; rows * dim], vec![0.0; rows * dim]);
    let mut residual = vec![0.0; rows * dim];
    let mut grad = vec![0.0; rows * dim];
    let mut iters = vec![0usize; rows];
    let mut active = vec![true; rows];
    let (b1, b2, eps) = (0.9f64, 0.999f64, 1e-12);
    let mut q = speed(system, &h, dim, input, &mut residual);
    for it in 1..=c.max_iters {
        for r in 0..rows {
            if q[r] < c.q_stop {
                active[r] = false;
            }
        }
        if !active.iter().any(|a| *a) {
            break;
        }
        // ∇q = Jᵀr − r.
        system.vjp_batch(
            view(&h, rows, dim),
            input,
            view(&residual, rows, dim),
            view_mut(&mut grad, rows, dim),
        );
        grad.iter_mut().zip(&residual).for_each(|(g, r)| *g -= r);
        let (c1, c2) = (1.0 - b1.powi(it as i32), 1.0 - b2.powi(it as i32));
        for r in 0..rows {
            if !active[r] {
                continue;
            }
            iters[r] = it;
            for j in r * dim..(r + 1) * dim {
                m[j] = b1 * m[j] + (1.0 - b1) * grad[j];
                v[j] = b2 * v[j] + (1.0 - b2) * grad[j] * grad[j];
                h[j] -= c.learning_rate * (m[j] / c1) / ((v[j] / c2).sqrt() + eps);
            }
        }
        q = speed(system, &h, dim, input, &mut residual);
    }
    h.chunks_exact(dim).zip(q).zip(iters).map(|((s, q), i)| (s.to_vec(), q, i)).collect()
}

/// Greedy de-duplication in increasing `q`.
fn dedup(mut points: Vec<(Vec<f64>, f64)>, tol: f64) -> Vec<(Vec<f64>, f64)> {
    points.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut kept: Vec<(Vec<f64>, f64)> = Vec::new();
    for p in points {
        if !kept.iter().any(|k| near(&k.0, &p.0, tol)) {
            kept.push(p);
        }
    }
    kept
}

/// Whether two states are closer than `tol` (Euclidean): the de-duplication criterion.
fn near(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>() < tol * tol
}

/// Orders points stable first, then by number of unstable modes and `q`.
fn sort_points(points: &mut [FixedPoint]) {
    points.sort_by(|a, b| a.n_unstable.cmp(&b.n_unstable).then(a.q.total_cmp(&b.q)));
}

/// Levenberg–Marquardt on `r(h) = F(h) − h`; returns the polished state and its `q`.
fn levenberg_marquardt(system: &impl Dynamics, mut h: Vec<f64>, input: &[f64]) -> (Vec<f64>, f64) {
    let dim = system.dim();
    let mut r = vec![0.0; dim];
    let mut q = speed(system, &h, dim, input, &mut r)[0];
    let mut mu = 1e-3;
    let mut jac = Mat::<f64>::zeros(dim, dim);
    let mut trial_r = vec![0.0; dim];
    for _ in 0..100 {
        if q < 1e-28 {
            break;
        }
        system.jacobian(&h, input, jac.as_mut());
        for k in 0..dim {
            jac[(k, k)] -= 1.0;
        }
        // Explicit `Par::Seq` products (faer's `*` follows the global parallelism, whose
        // summation order depends on the thread count).
        let jt = jac.transpose();
        let mut ata = Mat::<f64>::zeros(dim, dim);
        neurodyn_core::mat::gemm(ata.as_mut(), faer::Accum::Replace, jt, jac.as_ref());
        let mut atr = Mat::<f64>::zeros(dim, 1);
        neurodyn_core::mat::gemm(
            atr.as_mut(),
            faer::Accum::Replace,
            jt,
            faer::MatRef::from_column_major_slice(&r, dim, 1),
        );
        let mut accepted = false;
        for _ in 0..30 {
            let mut lhs = ata.clone();
            for k in 0..dim {
                lhs[(k, k)] += mu * (1.0 + ata[(k, k)]);
            }
            let delta = lhs.partial_piv_lu().solve(&atr);
            let trial: Vec<f64> = h.iter().enumerate().map(|(k, v)| v - delta[(k, 0)]).collect();
            let trial_q = speed(system, &trial, dim, input, &mut trial_r)[0];
            if trial_q.is_finite() && trial_q < q {
                h = trial;
                q = trial_q;
                std::mem::swap(&mut r, &mut trial_r);
                mu = (mu / 10.0).max(1e-12);
                accepted = true;
                break;
            }
            mu *= 10.0;
        }
        if !accepted {
            break;
        }
    }
    (h, q)
}

/// Eigenvalues and stability of the Jacobian at `h`.
fn classify(system: &impl Dynamics, h: Vec<f64>, q: f64, input: &[f64]) -> FixedPoint {
    let dim = system.dim();
    let mut jac = Mat::<f64>::zeros(dim, dim);
    system.jacobian(&h, input, jac.as_mut());
    let mut eigenvalues: Vec<(f64, f64)> = match jac.eigenvalues() {
        Ok(ev) => ev.iter().map(|z| (z.re, z.im)).collect(),
        Err(_) => vec![(f64::NAN, f64::NAN); dim],
    };
    let modulus = |z: &(f64, f64)| z.0.hypot(z.1);
    eigenvalues.sort_by(|a, b| modulus(b).total_cmp(&modulus(a)));
    let n_unstable = eigenvalues.iter().filter(|z| modulus(z) > 1.0).count();
    let stability = match n_unstable {
        0 => Stability::Stable,
        n if n == dim => Stability::Unstable,
        _ => Stability::Saddle,
    };
    FixedPoint { state: h, q, eigenvalues, n_unstable, stability }
}

/// Where the unstable manifold of an index-1 saddle leads: the unstable direction `v` (the
/// Jacobian's dominant eigenvector, by power iteration), then the dynamics under `input` from
/// `h* ± kick·v` for up to `max_steps` steps or until `‖F(h) − h‖ < 1e-10`. Returns the two end
/// states, or `None` when the dominant eigenvalue is not real and outside the unit circle (no
/// single real unstable direction). Connecting saddles to the stable points they separate gives
/// the topology of a network's fixed points (Maheswaranathan et al. 2019).
pub fn unstable_manifold_ends<D: Dynamics>(
    system: &D,
    saddle: &[f64],
    input: &[f64],
    kick: f64,
    max_steps: usize,
) -> Option<[Vec<f64>; 2]> {
    let dim = system.dim();
    let mut jac = Mat::<f64>::zeros(dim, dim);
    system.jacobian(saddle, input, jac.as_mut());
    let mut v: Vec<f64> = (0..dim).map(|i| 1.0 + 0.01 * i as f64).collect();
    let mut lambda = 0.0;
    for _ in 0..500 {
        let w: Vec<f64> = (0..dim).map(|i| (0..dim).map(|j| jac[(i, j)] * v[j]).sum()).collect();
        lambda = w.iter().zip(&v).map(|(a, b)| a * b).sum::<f64>();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm == 0.0 || !norm.is_finite() {
            return None;
        }
        v = w.iter().map(|x| x / norm).collect();
    }
    let residual: f64 = (0..dim)
        .map(|i| ((0..dim).map(|j| jac[(i, j)] * v[j]).sum::<f64>() - lambda * v[i]).powi(2))
        .sum::<f64>()
        .sqrt();
    if lambda.abs() <= 1.0 || residual > 1e-6 * lambda.abs() {
        return None;
    }
    let ends = [1.0, -1.0].map(|sign| {
        let mut h: Vec<f64> = saddle.iter().zip(&v).map(|(s, d)| s + sign * kick * d).collect();
        let mut next = vec![0.0; dim];
        for _ in 0..max_steps {
            system.step(&h, input, &mut next);
            let speed = h.iter().zip(&next).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
            std::mem::swap(&mut h, &mut next);
            if speed < 1e-20 {
                break;
            }
        }
        h
    });
    Some(ends)
}
