//! Rate RNN cells with analytic backward passes and state Jacobians.
//!
//! ## Conventions
//! - Batches are row-major matrices, one row per trial: states `B × S`, inputs `B × I`.
//!   Sequences are stacked in time: `inputs[(t·B + b)·I + i]`.
//! - Parameters live in one flat vector (see [`Layout`]), so optimisers, checkpoints and
//!   gradient checks treat every cell alike.
//! - The state Jacobian is assembled from the same analytic vector–Jacobian product that BPTT
//!   uses (one backward step with the identity as cotangent): one implementation, checked
//!   against central finite differences in `f64` by the tests.
//!
//! ## Equations
//! | cell | update |
//! |---|---|
//! | vanilla | `h' = (1−α) h + α φ(W_h h + W_x x + b_x)` |
//! | GRU | `r, z = σ(W_x{r,z} x + b_x{r,z} + W_h{r,z} h + b_h{r,z})`, `n = tanh(W_xn x + b_xn + r ⊙ (W_hn h + b_hn))`, `h' = (1−z) ⊙ n + z ⊙ h` |
//! | LSTM | `i, f, o = σ(·)`, `g = tanh(·)` of `W_x x + b_x + W_h h`; `c' = f ⊙ c + i ⊙ g`, `h' = o ⊙ tanh(c')` |
//!
//! Readout: `y = W_out h + b_out`. Optional private noise `σ ξ`, `ξ ~ N(0, 1)`, is added to `h'`
//! after each step during training; it enters the backward pass only through the stored states.

mod cells;
mod config;

pub use config::{Activation, CellKind, DaleConfig, RnnConfig};

use faer::{Accum, MatMut, MatRef};
use neurodyn_core::mat::{gemm, strided, view, view_mut};
use neurodyn_core::{Dynamics, RangeError, Real, rng};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use std::ops::Range;

/// Where each parameter block lives in the flat parameter vector.
///
/// Matrices are row-major; `G = n_gates · n_hidden` rows for the gate blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Recurrent weights `W_h`, `G × n_hidden`.
    pub w_h: Range<usize>,
    /// Input weights `W_x`, `G × n_input`.
    pub w_x: Range<usize>,
    /// Input-side biases `b_x`, `G`.
    pub b_x: Range<usize>,
    /// Recurrent-side biases `b_h` (GRU only, `G`; empty otherwise).
    pub b_h: Range<usize>,
    /// Readout weights `W_out`, `n_output × n_hidden`.
    pub w_out: Range<usize>,
    /// Readout biases `b_out`, `n_output`.
    pub b_out: Range<usize>,
    /// Total number of parameters.
    pub len: usize,
}

impl Layout {
    fn new(c: &RnnConfig) -> Self {
        let g = c.cell.n_gates() * c.n_hidden;
        let mut at = 0;
        let mut take = |n: usize| {
            at += n;
            at - n..at
        };
        let w_h = take(g * c.n_hidden);
        let w_x = take(g * c.n_input);
        let b_x = take(g);
        let b_h = take(if c.cell == CellKind::Gru { g } else { 0 });
        let w_out = take(c.n_output * c.n_hidden);
        let b_out = take(c.n_output);
        Layout { w_h, w_x, b_x, b_h, w_out, b_out, len: at }
    }

    /// Every parameter block with its name (`w_h`, `w_x`, `b_x`, `b_h`, `w_out`, `b_out`).
    pub fn blocks(&self) -> [(&'static str, Range<usize>); 6] {
        [
            ("w_h", self.w_h.clone()),
            ("w_x", self.w_x.clone()),
            ("b_x", self.b_x.clone()),
            ("b_h", self.b_h.clone()),
            ("w_out", self.w_out.clone()),
            ("b_out", self.b_out.clone()),
        ]
    }

    /// Ranges of the weight matrices (not biases), the targets of an L2 penalty.
    pub fn weight_blocks(&self) -> [Range<usize>; 3] {
        [self.w_h.clone(), self.w_x.clone(), self.w_out.clone()]
    }
}

/// A rate RNN with a linear readout.
#[derive(Clone, Debug)]
pub struct Rnn<T: Real> {
    config: RnnConfig,
    layout: Layout,
    params: Vec<T>,
    /// Presynaptic signs `D` under Dale's law (+1 excitatory, −1 inhibitory).
    dale_sign: Option<Vec<T>>,
    /// Fixed connectivity mask over `W_h`'s `n_hidden × n_hidden` blocks (1 kept, 0 cut).
    mask: Option<Vec<T>>,
}

impl RnnConfig {
    /// Validates the config and initialises the weights from the keyed stream `(seed, "init")`.
    pub fn build<T: Real>(&self, seed: u64) -> Result<Rnn<T>, RangeError> {
        self.validate()?;
        let c = self.clone();
        let layout = Layout::new(&c);
        let (n, g) = (c.n_hidden, c.cell.n_gates() * c.n_hidden);
        let mut params = vec![T::ZERO; layout.len];
        let mut init = rng::stream(seed, "rnn_init", 0);
        let mut normal = |scale: f64| {
            let z: f64 = StandardNormal.sample(&mut init);
            T::of(scale * z)
        };
        let uniform_bound = 1.0 / (n as f64).sqrt();
        let mut uniform = rng::stream(seed, "rnn_init_uniform", 0);
        let mut uniform = |bound: f64| T::of(uniform.random_range(-bound..bound));

        match c.cell {
            CellKind::Vanilla => {
                let scale = c.init_gain / (n as f64 * c.connection_prob).sqrt();
                params[layout.w_h.clone()].iter_mut().for_each(|w| *w = normal(scale));
                let sx = 1.0 / (c.n_input as f64).sqrt();
                params[layout.w_x.clone()].iter_mut().for_each(|w| *w = normal(sx));
            }
            CellKind::Gru | CellKind::Lstm => {
                for range in
                    [layout.w_h.clone(), layout.w_x.clone(), layout.b_x.clone(), layout.b_h.clone()]
                {
                    params[range].iter_mut().for_each(|w| *w = uniform(uniform_bound));
                }
                if c.cell == CellKind::Lstm {
                    // Forget-gate bias 1 (Gers et al. 2000; Jozefowicz et al. 2015).
                    params[layout.b_x.start + n..layout.b_x.start + 2 * n]
                        .iter_mut()
                        .for_each(|b| *b = T::ONE);
                }
            }
        }
        let so = 1.0 / (n as f64).sqrt();
        params[layout.w_out.clone()].iter_mut().for_each(|w| *w = normal(so));

        let dale_sign = c.dale.map(|d| {
            let n_e = ((d.e_fraction * n as f64).round() as usize).clamp(1, n - 1.min(n));
            // Song et al. 2016: inhibitory weights scaled so the mean recurrent input is balanced.
            let ratio = n_e as f64 / (n - n_e).max(1) as f64;
            for row in 0..g {
                for col in n_e..n {
                    let w = &mut params[layout.w_h.start + row * n + col];
                    *w = T::of(w.to_f64() * ratio.sqrt());
                }
            }
            (0..n).map(|j| if j < n_e { T::ONE } else { -T::ONE }).collect()
        });
        let mask = (c.connection_prob < 1.0).then(|| {
            let mut r = rng::stream(seed, "rnn_mask", 0);
            (0..n * n)
                .map(|_| if r.random::<f64>() < c.connection_prob { T::ONE } else { T::ZERO })
                .collect()
        });
        Ok(Rnn { config: c, layout, params, dale_sign, mask })
    }
}

/// Everything the forward pass stores for the backward pass.
#[derive(Clone, Debug, Default)]
pub struct Tape<T> {
    /// Number of time steps.
    pub n_steps: usize,
    /// Batch size.
    pub batch: usize,
    /// States `h_0 … h_T`, `(T+1) × B × S`.
    pub states: Vec<T>,
    /// Per-step cell intermediates, `T × B × C`.
    cache: Vec<T>,
    /// Input projections `W_x x_t + b_x`, `T × B × G`.
    xproj: Vec<T>,
    /// Effective recurrent weights used in the forward pass.
    w_h: Vec<T>,
    /// Scratch of the backward pass, kept to avoid reallocating (and page-faulting) each step.
    workspace: Workspace<T>,
}

/// Scratch buffers of [`Rnn::backward`].
#[derive(Clone, Debug, Default)]
struct Workspace<T> {
    d_h: Vec<T>,
    dgh: Vec<T>,
    dgx: Vec<T>,
    carry: Vec<T>,
    d_prev: Vec<T>,
}

impl<T: Real> Tape<T> {
    /// Hidden states `h_1 … h_T` as a `(T·B) × n_hidden` view (row stride = state length).
    pub fn hidden(&self, n_hidden: usize) -> MatRef<'_, T> {
        let s = self.states.len() / ((self.n_steps + 1) * self.batch);
        let rows = self.n_steps * self.batch;
        strided(&self.states[self.batch * s..], rows, n_hidden, s)
    }
}

impl<T: Real> Rnn<T> {
    /// The validated config.
    pub fn config(&self) -> &RnnConfig {
        &self.config
    }

    /// Where each block lives in [`Rnn::params`].
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The flat parameter vector (raw recurrent weights before sign and mask constraints).
    pub fn params(&self) -> &[T] {
        &self.params
    }

    /// Mutable parameters, for optimisers and checkpoint restores.
    pub fn params_mut(&mut self) -> &mut [T] {
        &mut self.params
    }

    /// The same network in another precision.
    pub fn cast<U: Real>(&self) -> Rnn<U> {
        let conv = |v: &[T]| v.iter().map(|x| U::of(x.to_f64())).collect::<Vec<U>>();
        Rnn {
            config: self.config.clone(),
            layout: self.layout.clone(),
            params: conv(&self.params),
            dale_sign: self.dale_sign.as_deref().map(conv),
            mask: self.mask.as_deref().map(conv),
        }
    }

    /// State length `S` (`n_hidden`, or `2·n_hidden` for the LSTM).
    pub fn state_len(&self) -> usize {
        self.config.cell.state_len(self.config.n_hidden)
    }

    fn gates(&self) -> usize {
        self.config.cell.n_gates() * self.config.n_hidden
    }

    /// Length of the per-step cache of one trial.
    fn cache_len(&self) -> usize {
        let n = self.config.n_hidden;
        match self.config.cell {
            CellKind::Vanilla => n,
            CellKind::Gru => 4 * n,
            CellKind::Lstm => 5 * n,
        }
    }

    /// Effective recurrent weights `W_h = (|W_raw| · D) ⊙ M` as used by the dynamics.
    pub fn recurrent_weights(&self) -> Vec<T> {
        let n = self.config.n_hidden;
        let raw = &self.params[self.layout.w_h.clone()];
        raw.iter()
            .enumerate()
            .map(|(k, &w)| {
                let (row, col) = (k / n, k % n);
                let w = match &self.dale_sign {
                    Some(s) => w.abs_() * s[col],
                    None => w,
                };
                match &self.mask {
                    Some(m) => w * m[(row % n) * n + col],
                    None => w,
                }
            })
            .collect()
    }

    /// Maps a gradient with respect to the effective `W_h` back to the raw parameters, in place.
    fn pull_back_recurrent(&self, grad: &mut [T]) {
        if self.dale_sign.is_none() && self.mask.is_none() {
            return;
        }
        let n = self.config.n_hidden;
        let raw = &self.params[self.layout.w_h.clone()];
        for (k, d) in grad[self.layout.w_h.clone()].iter_mut().enumerate() {
            let (row, col) = (k / n, k % n);
            if let Some(m) = &self.mask {
                *d *= m[(row % n) * n + col];
            }
            if let Some(s) = &self.dale_sign {
                // d|w|/dw = sign(w); the subgradient 0 is used at w = 0.
                let sign = if raw[k] > T::ZERO {
                    T::ONE
                } else if raw[k] < T::ZERO {
                    -T::ONE
                } else {
                    T::ZERO
                };
                *d *= s[col] * sign;
            }
        }
    }

    /// Input projections `W_x x + b_x` for `rows` stacked inputs, written to `out` (`rows × G`).
    fn project_inputs(&self, inputs: &[T], rows: usize, out: &mut Vec<T>) {
        let (g, i) = (self.gates(), self.config.n_input);
        out.clear();
        let b_x = &self.params[self.layout.b_x.clone()];
        for _ in 0..rows {
            out.extend_from_slice(b_x);
        }
        let w_x = view(&self.params[self.layout.w_x.clone()], g, i);
        gemm(view_mut(out, rows, g), Accum::Add, view(inputs, rows, i), w_x.transpose());
    }

    /// Runs `n_steps` steps on a batch from `h_0 = 0`, filling `tape` and writing the readout
    /// `y_1 … y_T` to `outputs` (`T × B × n_output`).
    ///
    /// `noise`, when given, is `T × B × n_hidden` and is added to `h` after each step.
    pub fn forward(
        &self,
        inputs: &[T],
        n_steps: usize,
        batch: usize,
        noise: Option<&[T]>,
        tape: &mut Tape<T>,
        outputs: &mut [T],
    ) {
        let (n, s, g, c) = (self.config.n_hidden, self.state_len(), self.gates(), self.cache_len());
        assert_eq!(
            inputs.len(),
            n_steps * batch * self.config.n_input,
            "inputs must be T × B × n_input"
        );
        tape.n_steps = n_steps;
        tape.batch = batch;
        // Only h_0 needs zeroing: every later state is written by its step.
        tape.states.resize((n_steps + 1) * batch * s, T::ZERO);
        tape.states[..batch * s].fill(T::ZERO);
        tape.cache.resize(n_steps * batch * c, T::ZERO);
        tape.w_h = self.recurrent_weights();
        let mut xproj = std::mem::take(&mut tape.xproj);
        self.project_inputs(inputs, n_steps * batch, &mut xproj);
        tape.xproj = xproj;
        let w_h = view(&tape.w_h, g, n);
        for t in 0..n_steps {
            let (past, future) = tape.states.split_at_mut((t + 1) * batch * s);
            let h_prev = &past[t * batch * s..];
            let h_next = &mut future[..batch * s];
            let xp = &tape.xproj[t * batch * g..(t + 1) * batch * g];
            let cache = &mut tape.cache[t * batch * c..(t + 1) * batch * c];
            cells::forward_step(self, w_h, h_prev, xp, h_next, cache);
            if let Some(noise) = noise {
                let noise = &noise[t * batch * n..(t + 1) * batch * n];
                for b in 0..batch {
                    for j in 0..n {
                        h_next[b * s + j] += noise[b * n + j];
                    }
                }
            }
        }
        self.readout(tape.hidden(n), outputs);
    }

    /// `outputs = H W_outᵀ + b_out` for the rows of `hidden`.
    pub fn readout(&self, hidden: MatRef<'_, T>, outputs: &mut [T]) {
        let (n, o) = (self.config.n_hidden, self.config.n_output);
        let rows = hidden.nrows();
        let b_out = &self.params[self.layout.b_out.clone()];
        for r in 0..rows {
            outputs[r * o..(r + 1) * o].copy_from_slice(b_out);
        }
        let w_out = view(&self.params[self.layout.w_out.clone()], o, n);
        gemm(view_mut(outputs, rows, o), Accum::Add, hidden, w_out.transpose());
    }

    /// Backpropagation through time.
    ///
    /// Given `d_outputs = ∂L/∂y` (`T × B × n_output`) and optionally `d_hidden = ∂L/∂h`
    /// (`T × B × n_hidden`, e.g. from a rate penalty), accumulates `∂L/∂θ` into `grads`.
    pub fn backward(
        &self,
        inputs: &[T],
        tape: &mut Tape<T>,
        d_outputs: &[T],
        d_hidden: Option<&[T]>,
        grads: &mut [T],
    ) {
        let (n, s, g, c) = (self.config.n_hidden, self.state_len(), self.gates(), self.cache_len());
        let (o, i) = (self.config.n_output, self.config.n_input);
        let (n_steps, batch) = (tape.n_steps, tape.batch);
        let rows = n_steps * batch;
        let l = &self.layout;
        let d_y = view(d_outputs, rows, o);

        // Readout: dW_out = dYᵀ H, db_out = Σ dY, dH = dY W_out.
        let hidden = tape.hidden(n);
        gemm(view_mut(&mut grads[l.w_out.clone()], o, n), Accum::Add, d_y.transpose(), hidden);
        for r in 0..rows {
            for k in 0..o {
                grads[l.b_out.start + k] += d_outputs[r * o + k];
            }
        }
        let mut d_h = std::mem::take(&mut tape.workspace.d_h);
        d_h.clear();
        match d_hidden {
            Some(extra) => d_h.extend_from_slice(&extra[..rows * n]),
            None => d_h.resize(rows * n, T::ZERO),
        }
        let w_out = view(&self.params[l.w_out.clone()], o, n);
        gemm(view_mut(&mut d_h, rows, n), Accum::Add, d_y, w_out);

        // Backward through time. Per step: the cell's VJP gives dgh_t, dgx_t and the carry
        // ∂L/∂h_{t−1}; the weight gradients are accumulated right away, while dgh_t and h_{t−1}
        // are still in cache (measured faster than one large GEMM over all steps).
        let gru = self.config.cell == CellKind::Gru;
        let mut ws = std::mem::take(&mut tape.workspace);
        ws.dgh.resize(batch * g, T::ZERO);
        ws.dgx.resize(if gru { batch * g } else { 0 }, T::ZERO);
        ws.carry.clear();
        ws.carry.resize(batch * s, T::ZERO);
        ws.d_prev.resize(batch * s, T::ZERO);
        let w_h = view(&tape.w_h, g, n);
        let (dw_h, rest) = grads[l.w_h.start..].split_at_mut(l.w_h.len());
        let dw_x = &mut rest[l.w_x.start - l.w_h.end..l.w_x.end - l.w_h.end];
        let mut db_x = vec![T::ZERO; g];
        let mut db_h = vec![T::ZERO; if gru { g } else { 0 }];
        for t in (0..n_steps).rev() {
            let carry = &mut ws.carry;
            let d_h_t = &d_h[t * batch * n..(t + 1) * batch * n];
            // Compiled for the widest SIMD the CPU has (same operations, same bits).
            pulp::Arch::new().dispatch(
                #[inline(always)]
                || {
                    for b in 0..batch {
                        let src = &d_h_t[b * n..(b + 1) * n];
                        for (c, d) in carry[b * s..b * s + n].iter_mut().zip(src) {
                            *c += *d;
                        }
                    }
                },
            );
            let h_prev = &tape.states[t * batch * s..(t + 1) * batch * s];
            let cache = &tape.cache[t * batch * c..(t + 1) * batch * c];
            let dgx_t = if gru { Some(&mut ws.dgx[..]) } else { None };
            cells::backward_step(
                self,
                w_h,
                h_prev,
                cache,
                &ws.carry,
                &mut ws.dgh,
                dgx_t,
                &mut ws.d_prev,
            );
            std::mem::swap(&mut ws.carry, &mut ws.d_prev);

            let dgh = view(&ws.dgh, batch, g);
            let dgx = if gru { view(&ws.dgx, batch, g) } else { dgh };
            gemm(view_mut(dw_h, g, n), Accum::Add, dgh.transpose(), strided(h_prev, batch, n, s));
            let x_t = view(&inputs[t * batch * i..], batch, i);
            gemm(view_mut(dw_x, g, i), Accum::Add, dgx.transpose(), x_t);
            for r in 0..batch {
                for (acc, d) in
                    db_x.iter_mut().zip(&(if gru { &ws.dgx } else { &ws.dgh })[r * g..(r + 1) * g])
                {
                    *acc += *d;
                }
                if gru {
                    for (acc, d) in db_h.iter_mut().zip(&ws.dgh[r * g..(r + 1) * g]) {
                        *acc += *d;
                    }
                }
            }
        }
        grads[l.b_x.clone()].iter_mut().zip(&db_x).for_each(|(a, d)| *a += *d);
        grads[l.b_h.clone()].iter_mut().zip(&db_h).for_each(|(a, d)| *a += *d);
        self.pull_back_recurrent(grads);
        ws.d_h = d_h;
        tape.workspace = ws;
    }

    /// Input projection of one input vector repeated for `batch` rows, and the effective `W_h`.
    fn single_input_setup(&self, input: &[T], batch: usize) -> (Vec<T>, Vec<T>) {
        let mut xp = Vec::new();
        self.project_inputs(input, 1, &mut xp);
        let xp = (0..batch).flat_map(|_| xp.iter().copied()).collect();
        (xp, self.recurrent_weights())
    }

    /// One step for a batch of states (`B × S`, contiguous) under the same input.
    pub fn step_batch_in_place(&self, states: &[T], input: &[T], next: &mut [T]) {
        let (n, g, s) = (self.config.n_hidden, self.gates(), self.state_len());
        let b = states.len() / s;
        let (xp, w) = self.single_input_setup(input, b);
        let mut cache = vec![T::ZERO; b * self.cache_len()];
        cells::forward_step(self, view(&w, g, n), states, &xp, next, &mut cache);
    }

    /// Row r of `out` = `cotangents[r]ᵀ · ∂F/∂h (states[r], input)`; all `B × S`, contiguous.
    pub fn vjp_batch_in_place(&self, states: &[T], input: &[T], cotangents: &[T], out: &mut [T]) {
        let (n, g, s) = (self.config.n_hidden, self.gates(), self.state_len());
        let b = states.len() / s;
        let (xp, w) = self.single_input_setup(input, b);
        let mut cache = vec![T::ZERO; b * self.cache_len()];
        let mut next = vec![T::ZERO; b * s];
        cells::forward_step(self, view(&w, g, n), states, &xp, &mut next, &mut cache);
        let mut dgh = vec![T::ZERO; b * g];
        let mut dgx = vec![T::ZERO; if self.config.cell == CellKind::Gru { b * g } else { 0 }];
        let dgx = (self.config.cell == CellKind::Gru).then_some(&mut dgx[..]);
        cells::backward_step(self, view(&w, g, n), states, &cache, cotangents, &mut dgh, dgx, out);
    }
}

/// Copies a (possibly strided) matrix into a contiguous row-major vector.
fn to_row_major(m: MatRef<'_, f64>) -> Vec<f64> {
    (0..m.nrows()).flat_map(|r| (0..m.ncols()).map(move |c| m[(r, c)])).collect()
}

impl Dynamics for Rnn<f64> {
    fn dim(&self) -> usize {
        self.state_len()
    }

    fn n_input(&self) -> usize {
        self.config.n_input
    }

    fn step(&self, state: &[f64], input: &[f64], next: &mut [f64]) {
        self.step_batch_in_place(state, input, next);
    }

    fn jacobian(&self, state: &[f64], input: &[f64], mut jac: MatMut<'_, f64>) {
        // Row k of J is e_kᵀ J: a batch of S vector–Jacobian products with the identity.
        let s = self.state_len();
        let states: Vec<f64> = (0..s).flat_map(|_| state.iter().copied()).collect();
        let mut eye = vec![0.0; s * s];
        (0..s).for_each(|k| eye[k * s + k] = 1.0);
        let mut out = vec![0.0; s * s];
        self.vjp_batch_in_place(&states, input, &eye, &mut out);
        jac.copy_from(view(&out, s, s));
    }

    fn step_batch(&self, states: MatRef<'_, f64>, input: &[f64], mut next: MatMut<'_, f64>) {
        let mut out = vec![0.0; states.nrows() * states.ncols()];
        self.step_batch_in_place(&to_row_major(states), input, &mut out);
        next.copy_from(view(&out, states.nrows(), states.ncols()));
    }

    fn vjp_batch(
        &self,
        states: MatRef<'_, f64>,
        input: &[f64],
        cotangents: MatRef<'_, f64>,
        mut out: MatMut<'_, f64>,
    ) {
        let mut res = vec![0.0; states.nrows() * states.ncols()];
        self.vjp_batch_in_place(&to_row_major(states), input, &to_row_major(cotangents), &mut res);
        out.copy_from(view(&res, states.nrows(), states.ncols()));
    }
}
