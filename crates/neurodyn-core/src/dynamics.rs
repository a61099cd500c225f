//! The `Dynamics` trait: what analysis needs to know about a model.

use faer::{Mat, MatMut, MatRef};

/// A discrete-time dynamical system `h_{t+1} = F(h_t, x_t)` with its state Jacobian
/// `J = ∂F/∂h`.
///
/// Fixed points, linearisation and (later) Lyapunov spectra work on this trait only, never on
/// concrete cell types. All analysis runs in `f64`. The batched methods have row-by-row
/// defaults; models that can do better (one GEMM for a batch of states) override them.
pub trait Dynamics: Sync {
    /// Length of the state vector `h`.
    fn dim(&self) -> usize;

    /// Length of the input vector `x`.
    fn n_input(&self) -> usize;

    /// `next = F(state, input)`.
    fn step(&self, state: &[f64], input: &[f64], next: &mut [f64]);

    /// `jac = ∂F/∂h` at `(state, input)`, a `dim × dim` matrix (row i: output i).
    fn jacobian(&self, state: &[f64], input: &[f64], jac: MatMut<'_, f64>);

    /// Applies [`Dynamics::step`] to each row of `states`.
    fn step_batch(&self, states: MatRef<'_, f64>, input: &[f64], mut next: MatMut<'_, f64>) {
        let d = self.dim();
        let (mut h, mut out) = (vec![0.0; d], vec![0.0; d]);
        for r in 0..states.nrows() {
            h.iter_mut().enumerate().for_each(|(j, v)| *v = states[(r, j)]);
            self.step(&h, input, &mut out);
            out.iter().enumerate().for_each(|(j, v)| next[(r, j)] = *v);
        }
    }

    /// Vector–Jacobian products: row r of `out` is `cotangents[r]ᵀ · J(states[r])`.
    fn vjp_batch(
        &self,
        states: MatRef<'_, f64>,
        input: &[f64],
        cotangents: MatRef<'_, f64>,
        mut out: MatMut<'_, f64>,
    ) {
        let d = self.dim();
        let mut h = vec![0.0; d];
        let mut jac = Mat::<f64>::zeros(d, d);
        for r in 0..states.nrows() {
            h.iter_mut().enumerate().for_each(|(j, v)| *v = states[(r, j)]);
            self.jacobian(&h, input, jac.as_mut());
            for j in 0..d {
                out[(r, j)] = (0..d).map(|i| cotangents[(r, i)] * jac[(i, j)]).sum();
            }
        }
    }
}

/// The affine map `h ← A h + B x + c`: an oracle with known fixed points and exponents.
#[derive(Clone, Debug)]
pub struct LinearMap {
    /// State matrix `A` (`dim × dim`).
    pub a: Mat<f64>,
    /// Input matrix `B` (`dim × n_input`).
    pub b: Mat<f64>,
    /// Offset `c` (`dim`).
    pub c: Vec<f64>,
}

impl Dynamics for LinearMap {
    fn dim(&self) -> usize {
        self.a.nrows()
    }
    fn n_input(&self) -> usize {
        self.b.ncols()
    }
    fn step(&self, state: &[f64], input: &[f64], next: &mut [f64]) {
        for (i, out) in next.iter_mut().enumerate() {
            let ah: f64 = state.iter().enumerate().map(|(j, h)| self.a[(i, j)] * h).sum();
            let bx: f64 = input.iter().enumerate().map(|(j, x)| self.b[(i, j)] * x).sum();
            *out = ah + bx + self.c[i];
        }
    }
    fn jacobian(&self, _state: &[f64], _input: &[f64], mut jac: MatMut<'_, f64>) {
        jac.copy_from(&self.a);
    }
}
