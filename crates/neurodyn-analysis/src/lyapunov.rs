//! Lyapunov spectra of discrete-time systems by the QR method (Benettin, Galgani, Giorgilli &
//! Strelcyn 1980; Shimada & Nagashima 1979).
//!
//! ## Method
//! Carry an orthonormal set of `k` tangent vectors `Q` (`dim × k`) along a trajectory:
//! `Q ← J_t Q` with the analytic Jacobian `J_t = ∂F/∂h (h_t, x_t)`, re-orthonormalised by a
//! thin QR factorisation every `qr_every` steps. The exponents are the time averages of
//! `log |R_ii|`, in units of 1/step; divide by `dt` for a continuous-time flow sampled every
//! `dt`. Convergence diagnostics: the run is cut into `n_segments` equal segments whose
//! estimates give a standard error, and the running estimate after each segment is kept.
//!
//! Derived quantities: the Kolmogorov–Sinai entropy rate bound (Pesin), the sum of the positive
//! exponents; and the Kaplan–Yorke dimension `j + Σ_{i≤j} λ_i / |λ_{j+1}|`, with `j` the largest
//! index whose partial sum is non-negative.

use faer::Mat;
use neurodyn_core::{Dynamics, RangeError, check};
use rayon::prelude::*;

/// Settings of a spectrum computation.
#[derive(Clone, Debug, PartialEq)]
pub struct LyapunovConfig {
    /// Number of leading exponents (`1 ≤ k ≤ dim`) [1].
    pub n_exponents: usize,
    /// Steps discarded before averaging (the trajectory and `Q` still evolve) [1].
    pub n_transient: usize,
    /// Steps averaged over [1].
    pub n_steps: usize,
    /// Steps between re-orthonormalisations [1].
    pub qr_every: usize,
    /// Segments for the standard error (must divide into `n_steps / qr_every` QR steps) [1].
    pub n_segments: usize,
}

impl LyapunovConfig {
    /// Checks every field against the system dimension.
    pub fn validate(&self, dim: usize) -> Result<(), RangeError> {
        check(
            self.n_exponents >= 1 && self.n_exponents <= dim,
            "n_exponents",
            self.n_exponents,
            "between 1 and the system dimension",
        )?;
        check(self.qr_every >= 1, "qr_every", self.qr_every, "at least 1")?;
        check(self.n_segments >= 1, "n_segments", self.n_segments, "at least 1")?;
        let n_qr = self.n_steps / self.qr_every;
        check(n_qr >= self.n_segments, "n_steps", self.n_steps, "at least qr_every · n_segments")
    }
}

/// A spectrum with its diagnostics.
#[derive(Clone, Debug, PartialEq)]
pub struct LyapunovResult {
    /// Exponents in descending order [1/step].
    pub exponents: Vec<f64>,
    /// Standard error of each exponent across segments [1/step].
    pub std_error: Vec<f64>,
    /// Running estimate after each segment (`n_segments × k`, row-major) [1/step].
    pub running: Vec<f64>,
    /// Sum of the positive exponents [1/step].
    pub entropy_rate: f64,
    /// Kaplan–Yorke dimension (`k` when every partial sum is non-negative) [1].
    pub kaplan_yorke: f64,
    /// The state at the end of the run.
    pub final_state: Vec<f64>,
}

/// Bad arguments to [`lyapunov_spectrum`].
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum LyapunovError {
    /// A setting out of range.
    #[error(transparent)]
    Config(#[from] RangeError),
    /// The initial state has the wrong length.
    #[error("initial state has length {got}, expected the system dimension {expected}")]
    StateLength {
        /// Its length.
        got: usize,
        /// The dimension.
        expected: usize,
    },
    /// The inputs are neither one input vector nor one per step.
    #[error(
        "inputs have length {got}: expected {n_input} (constant) or {n_input} × {n_steps} (one per step)"
    )]
    InputLength {
        /// Their length.
        got: usize,
        /// The system's input dimension.
        n_input: usize,
        /// Transient plus averaged steps.
        n_steps: usize,
    },
    /// The trajectory or the tangent vectors stopped being finite.
    #[error("the trajectory or its tangent vectors stopped being finite at step {step}")]
    NotFinite {
        /// The step.
        step: usize,
    },
}

/// The leading `config.n_exponents` Lyapunov exponents of `system` from `h0`.
///
/// `inputs` is either one input vector (held constant) or one per step for
/// `n_transient + n_steps` steps, stacked.
pub fn lyapunov_spectrum<D: Dynamics>(
    system: &D,
    h0: &[f64],
    inputs: &[f64],
    config: &LyapunovConfig,
) -> Result<LyapunovResult, LyapunovError> {
    let dim = system.dim();
    config.validate(dim)?;
    if h0.len() != dim {
        return Err(LyapunovError::StateLength { got: h0.len(), expected: dim });
    }
    let n_in = system.n_input();
    let total = config.n_transient + config.n_steps;
    let per_step = inputs.len() == n_in * total && inputs.len() != n_in;
    if inputs.len() != n_in && !per_step {
        return Err(LyapunovError::InputLength {
            got: inputs.len(),
            n_input: n_in,
            n_steps: total,
        });
    }
    let input_at = |t: usize| if per_step { &inputs[t * n_in..(t + 1) * n_in] } else { inputs };

    let k = config.n_exponents;
    let (mut h, mut next) = (h0.to_vec(), vec![0.0; dim]);
    let n_qr = config.n_steps / config.qr_every;
    let per_segment = n_qr / config.n_segments;
    let mut segment_sums = vec![0.0; config.n_segments * k];
    let mut qr_done = 0;
    let mut tangent = Tangent::new(dim, k);
    for t in 0..total {
        let x = input_at(t);
        tangent.advance(system, &h, x);
        system.step(&h, x, &mut next);
        std::mem::swap(&mut h, &mut next);
        if !tangent.due(config.qr_every) && t + 1 != config.n_transient {
            continue;
        }
        if !(h.iter().all(|v| v.is_finite()) && tangent.is_finite()) {
            return Err(LyapunovError::NotFinite { step: t });
        }
        let growth = tangent.reorthonormalise();
        if t >= config.n_transient && qr_done < per_segment * config.n_segments {
            let seg = qr_done / per_segment;
            for i in 0..k {
                segment_sums[seg * k + i] += growth[i];
            }
            qr_done += 1;
        }
    }

    // Per-segment rates, their mean and standard error, and the running estimate.
    let seg_steps = (per_segment * config.qr_every) as f64;
    let rates: Vec<f64> = segment_sums.iter().map(|s| s / seg_steps).collect();
    let n_seg = config.n_segments as f64;
    let mut exponents = vec![0.0; k];
    let mut std_error = vec![0.0; k];
    let mut running = vec![0.0; config.n_segments * k];
    for i in 0..k {
        let col: Vec<f64> = (0..config.n_segments).map(|s| rates[s * k + i]).collect();
        let mean = col.iter().sum::<f64>() / n_seg;
        exponents[i] = mean;
        std_error[i] = if config.n_segments > 1 {
            (col.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n_seg - 1.0) / n_seg).sqrt()
        } else {
            f64::NAN
        };
        let mut acc = 0.0;
        for (s, r) in col.iter().enumerate() {
            acc += r;
            running[s * k + i] = acc / (s + 1) as f64;
        }
    }
    // QR keeps the exponents ordered only on average; sort with their errors.
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| exponents[b].total_cmp(&exponents[a]));
    let exponents: Vec<f64> = order.iter().map(|&i| exponents[i]).collect();
    let std_error = order.iter().map(|&i| std_error[i]).collect();
    let running =
        running.chunks_exact(k).flat_map(|row| order.iter().map(move |&i| row[i])).collect();
    Ok(LyapunovResult {
        entropy_rate: exponents.iter().filter(|l| **l > 0.0).sum(),
        kaplan_yorke: kaplan_yorke(&exponents),
        exponents,
        std_error,
        running,
        final_state: h,
    })
}

/// Mean-field theory of the random tanh map `h ← tanh(g W h)`, `W_ij ~ N(0, 1/N)`, as
/// `N → ∞` (the discrete-time analogue of Sompolinsky, Crisanti & Sommers 1988): the
/// pre-activation variance `q*` solves `q = g² E[tanh²(√q z)]` (`q* = 0` for `g ≤ 1`), and the
/// largest Lyapunov exponent is `λ = ½ ln(g² E[sech⁴(√q* z)])` per step — `ln g < 0` below the
/// transition at `g = 1`, positive above it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TanhMeanField {
    /// The self-consistent pre-activation variance `q*` [1].
    pub q: f64,
    /// The largest Lyapunov exponent [1/step].
    pub lambda_max: f64,
}

/// [`TanhMeanField`] at gain `g > 0`; `q*` by bisection on `(0, g²]` to 1e-14.
pub fn tanh_mean_field(g: f64) -> TanhMeanField {
    use crate::quad::gaussian_expectation as e;
    if g <= 1.0 {
        return TanhMeanField { q: 0.0, lambda_max: g.ln() };
    }
    // f(q) = g² E[tanh²(√q z)] − q is positive near 0 (slope g² − 1) and ≤ 0 at q = g².
    let f = |q: f64| g * g * e(|z| (q.sqrt() * z).tanh().powi(2)) - q;
    let (mut lo, mut hi) = (1e-12, g * g);
    while hi - lo > 1e-14 * hi {
        let mid = 0.5 * (lo + hi);
        if f(mid) > 0.0 { lo = mid } else { hi = mid }
    }
    let q = 0.5 * (lo + hi);
    let lambda_max = 0.5 * (g * g * e(|z| (q.sqrt() * z).cosh().powi(-4))).ln();
    TanhMeanField { q, lambda_max }
}

/// Kaplan–Yorke dimension of a descending spectrum.
pub fn kaplan_yorke(exponents: &[f64]) -> f64 {
    let mut sum = 0.0;
    for (j, l) in exponents.iter().enumerate() {
        if sum + l < 0.0 {
            return j as f64 + sum / l.abs();
        }
        sum += l;
    }
    exponents.len() as f64
}

/// The tangent vectors carried along the trajectory, with two representations of the
/// orthonormal basis `Q` after a re-orthonormalisation:
///
/// - *partial* spectra (`k < dim`): `Q` explicit (`dim × k`), the next product `J Q` one GEMM;
/// - *full* spectra (`k = dim`): `Q` kept as the Householder reflectors of the last QR, and
///   `J Q` formed by applying them to `J` from the right — `2 dim³` flops instead of forming
///   `Q` (`4/3 dim³`) and multiplying (`2 dim³`).
///
/// Between re-orthonormalisations further Jacobians multiply from the left.
struct Tangent {
    dim: usize,
    k: usize,
    /// `J_t ⋯ J_s Q` since the last QR (`dim × k`), or the factored QR right after one.
    m: Mat<f64>,
    /// The Jacobian of the current step (column-major).
    jac: Mat<f64>,
    /// Scratch for products.
    tmp: Mat<f64>,
    /// Householder block coefficients of the last QR (`block × k`).
    coeff: Mat<f64>,
    /// Whether `m` holds a factored QR (full spectra), `Q` explicit (partial) otherwise.
    factored: bool,
    /// Steps multiplied in since the last QR.
    since_qr: usize,
    /// One scratch buffer per chunk of rows (or columns) that may run on its own thread.
    buffers: Vec<faer::dyn_stack::MemBuffer>,
}

/// Rows (of `J`) or columns (of the trailing block of a QR) per chunk of the parallel passes.
/// The chunks are fixed by the sizes alone and each runs sequentially, so the bits are the
/// same on any number of threads; what runs in parallel is independent rows or columns.
const CHUNK: usize = 128;

/// Splits `m` into chunks of at most `CHUNK` rows (`by_rows`) or columns.
fn chunks(m: faer::MatMut<'_, f64>, by_rows: bool) -> Vec<faer::MatMut<'_, f64>> {
    let mut out = Vec::new();
    let mut rest = m;
    loop {
        let len = if by_rows { rest.nrows() } else { rest.ncols() };
        if len <= CHUNK {
            out.push(rest);
            return out;
        }
        let (head, tail) =
            if by_rows { rest.split_at_row_mut(CHUNK) } else { rest.split_at_col_mut(CHUNK) };
        out.push(head);
        rest = tail;
    }
}

impl Tangent {
    fn new(dim: usize, k: usize) -> Self {
        use faer::linalg::{householder, qr::no_pivoting::factor};
        let block = factor::recommended_block_size::<f64>(dim, k);
        let width = CHUNK.min(dim.max(k));
        let req = faer::dyn_stack::StackReq::any_of(&[
            factor::qr_in_place_scratch::<f64>(
                dim,
                block,
                block,
                faer::Par::Seq,
                Default::default(),
            ),
            householder::apply_block_householder_sequence_transpose_on_the_left_in_place_scratch::<
                f64,
            >(dim, block, width),
            householder::apply_block_householder_sequence_on_the_right_in_place_scratch::<f64>(
                dim, block, width,
            ),
            householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<f64>(
                dim, block, k,
            ),
        ]);
        let n_chunks = dim.max(k).div_ceil(CHUNK).max(1);
        Tangent {
            dim,
            k,
            m: Mat::from_fn(dim, k, |i, j| if i == j { 1.0 } else { 0.0 }),
            jac: Mat::zeros(dim, dim),
            tmp: Mat::zeros(dim, k),
            coeff: Mat::zeros(block, k),
            factored: false,
            since_qr: 0,
            buffers: (0..n_chunks).map(|_| faer::dyn_stack::MemBuffer::new(req)).collect(),
        }
    }

    /// Multiplies the Jacobian at `(h, x)` into the tangent vectors.
    fn advance<D: Dynamics>(&mut self, system: &D, h: &[f64], x: &[f64]) {
        if !self.factored {
            system.jacobian_product(h, x, self.m.as_ref(), self.tmp.as_mut(), self.jac.as_mut());
            std::mem::swap(&mut self.m, &mut self.tmp);
            self.since_qr += 1;
            return;
        }
        system.jacobian(h, x, self.jac.as_mut());
        // J Q with Q = H₁⋯H_dim: the reflectors applied to J from the right, each chunk of
        // J's rows on its own.
        let (basis, coeff) = (self.m.as_ref(), self.coeff.as_ref());
        let parts = chunks(self.jac.as_mut(), true);
        assert!(parts.len() <= self.buffers.len(), "one scratch buffer per chunk");
        parts.into_par_iter().zip(self.buffers.par_iter_mut()).for_each(
            |(rows, buffer)| {
                faer::linalg::householder::apply_block_householder_sequence_on_the_right_in_place_with_conj(
                    basis,
                    coeff,
                    faer::Conj::No,
                    rows,
                    faer::Par::Seq,
                    faer::dyn_stack::MemStack::new(buffer),
                );
            },
        );
        std::mem::swap(&mut self.m, &mut self.jac);
        self.factored = false;
        self.since_qr += 1;
    }

    /// Whether `qr_every` steps have been multiplied in.
    fn due(&self, qr_every: usize) -> bool {
        self.since_qr >= qr_every
    }

    fn is_finite(&self) -> bool {
        self.m.col_iter().all(|c| c.iter().all(|v| v.is_finite()))
    }

    /// Householder QR of `m` in place, panel by panel (`coeff.nrows()` columns): each panel
    /// factored by faer, its block reflector applied to the trailing columns chunk by chunk
    /// in parallel. The factorisation (up to rounding) and the storage of faer's `qr_in_place`
    /// with that block size.
    fn blocked_qr(&mut self) {
        use faer::linalg::{householder, qr::no_pivoting::factor};
        let block = self.coeff.nrows();
        let mut j = 0;
        while j < self.k {
            let b = block.min(self.k - j);
            let (left, right) = self.m.as_mut().get_mut(j.., ..).split_at_col_mut(j + b);
            let mut panel = left.get_mut(.., j..);
            let mut coeff = self.coeff.as_mut().get_mut(..b, j..j + b);
            factor::qr_in_place(
                panel.as_mut(),
                coeff.as_mut(),
                faer::Par::Seq,
                faer::dyn_stack::MemStack::new(&mut self.buffers[0]),
                Default::default(),
            );
            if right.ncols() > 0 {
                let (panel, coeff) = (panel.as_ref(), coeff.as_ref());
                let parts = chunks(right, false);
                assert!(parts.len() <= self.buffers.len(), "one scratch buffer per chunk");
                parts.into_par_iter().zip(self.buffers.par_iter_mut()).for_each(
                    |(cols, buffer)| {
                        householder::apply_block_householder_sequence_transpose_on_the_left_in_place_with_conj(
                            panel,
                            coeff,
                            faer::Conj::Yes,
                            cols,
                            faer::Par::Seq,
                            faer::dyn_stack::MemStack::new(buffer),
                        );
                    },
                );
            }
            j += b;
        }
    }

    /// Thin QR of the tangent vectors: returns `log |R_ii|` and keeps `Q`.
    fn reorthonormalise(&mut self) -> Vec<f64> {
        self.since_qr = 0;
        self.blocked_qr();
        let growth = (0..self.k).map(|i| self.m[(i, i)].abs().ln()).collect();
        if self.k == self.dim {
            self.factored = true;
        } else {
            // Q = H₁⋯H_k [I_k; 0], formed explicitly for the next GEMM.
            let mut q = Mat::from_fn(self.dim, self.k, |i, j| if i == j { 1.0 } else { 0.0 });
            faer::linalg::householder::apply_block_householder_sequence_on_the_left_in_place_with_conj(
                self.m.as_ref(),
                self.coeff.as_ref(),
                faer::Conj::No,
                q.as_mut(),
                faer::Par::Seq,
                faer::dyn_stack::MemStack::new(&mut self.buffers[0]),
            );
            self.m = q;
        }
        growth
    }
}
