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

    /// The Jacobian–matrix product `out = J(state) · tangents` (`dim × k`), as Lyapunov
    /// spectra carry tangent vectors. The default forms `J` in `jac_scratch` (`dim × dim`) with
    /// [`Dynamics::jacobian`] and multiplies; systems whose Jacobian has structure override it
    /// (a tanh network: `diag(g sech²) · (W · Q)`, one GEMM and no `dim²` matrix written).
    fn jacobian_product(
        &self,
        state: &[f64],
        input: &[f64],
        tangents: MatRef<'_, f64>,
        out: MatMut<'_, f64>,
        mut jac_scratch: MatMut<'_, f64>,
    ) {
        self.jacobian(state, input, jac_scratch.as_mut());
        crate::mat::gemm(out, faer::Accum::Replace, jac_scratch.as_ref(), tangents);
    }

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

/// A continuous-time system `dh/dt = f(h, x)` with its Jacobian `Df = ∂f/∂h`.
pub trait VectorField: Sync {
    /// Length of the state.
    fn dim(&self) -> usize;
    /// Length of the input.
    fn n_input(&self) -> usize;
    /// `out = f(state, input)`.
    fn f(&self, state: &[f64], input: &[f64], out: &mut [f64]);
    /// `jac = ∂f/∂h` at `(state, input)`, `dim × dim`.
    fn df(&self, state: &[f64], input: &[f64], jac: MatMut<'_, f64>);
}

/// The classical fourth-order Runge–Kutta map of a [`VectorField`] with step `dt`, as a
/// [`Dynamics`]. Its Jacobian is the exact derivative of the RK4 map (the chain rule through
/// the four stages), so Lyapunov exponents of the map divided by `dt` are those of the flow up
/// to the integrator's O(dt⁴) error. The input is held constant over a step.
#[derive(Clone, Debug)]
pub struct Rk4<F> {
    /// The vector field.
    pub field: F,
    /// Step size (in the field's time unit).
    pub dt: f64,
}

impl<F: VectorField> Rk4<F> {
    /// Stages `k₁…k₄` and their Jacobians `∂kᵢ/∂h`.
    fn stages(
        &self,
        h: &[f64],
        x: &[f64],
        with_jacobians: bool,
    ) -> ([Vec<f64>; 4], Option<[Mat<f64>; 4]>) {
        let d = h.len();
        let dt = self.dt;
        let mut k: [Vec<f64>; 4] = std::array::from_fn(|_| vec![0.0; d]);
        let mut dk: [Mat<f64>; 4] = std::array::from_fn(|_| Mat::zeros(d, d));
        let mut df = Mat::<f64>::zeros(d, d);
        let weights = [0.0, 0.5, 0.5, 1.0];
        for s in 0..4 {
            let point: Vec<f64> = if s == 0 {
                h.to_vec()
            } else {
                h.iter().zip(&k[s - 1]).map(|(a, b)| a + weights[s] * dt * b).collect()
            };
            self.field.f(&point, x, &mut k[s]);
            if with_jacobians {
                // ∂k_s/∂h = Df(point) (I + w_s dt ∂k_{s−1}/∂h)
                self.field.df(&point, x, df.as_mut());
                if s == 0 {
                    dk[0].copy_from(&df);
                } else {
                    let mut inner = Mat::<f64>::identity(d, d);
                    inner += faer::Scale(weights[s] * dt) * &dk[s - 1];
                    dk[s] = &df * &inner;
                }
            }
        }
        (k, with_jacobians.then_some(dk))
    }
}

impl<F: VectorField> Dynamics for Rk4<F> {
    fn dim(&self) -> usize {
        self.field.dim()
    }
    fn n_input(&self) -> usize {
        self.field.n_input()
    }
    fn step(&self, state: &[f64], input: &[f64], next: &mut [f64]) {
        let (k, _) = self.stages(state, input, false);
        for i in 0..state.len() {
            next[i] =
                state[i] + self.dt / 6.0 * (k[0][i] + 2.0 * k[1][i] + 2.0 * k[2][i] + k[3][i]);
        }
    }
    fn jacobian(&self, state: &[f64], input: &[f64], mut jac: MatMut<'_, f64>) {
        let (_, dk) = self.stages(state, input, true);
        let dk = dk.expect("stages computed with Jacobians");
        let d = state.len();
        for i in 0..d {
            for j in 0..d {
                let sum = dk[0][(i, j)] + 2.0 * dk[1][(i, j)] + 2.0 * dk[2][(i, j)] + dk[3][(i, j)];
                jac[(i, j)] = f64::from(u8::from(i == j)) + self.dt / 6.0 * sum;
            }
        }
    }
}

/// The map `h ← tanh(g W h)`: a Hopfield network, or a random discrete-time rate network that
/// is chaotic for large `g` (an oracle and a reference system for analyses).
#[derive(Clone, Debug)]
pub struct TanhMap {
    /// Coupling matrix `W` (`dim × dim`).
    pub w: Mat<f64>,
    /// Gain `g`.
    pub gain: f64,
}

impl TanhMap {
    fn drive(&self, state: &[f64]) -> Vec<f64> {
        // `Par::Seq` (not faer's `*`, which follows the global parallelism): the same bits
        // on any number of threads.
        let mut u = vec![0.0; state.len()];
        crate::mat::gemm(
            faer::MatMut::from_column_major_slice_mut(&mut u, state.len(), 1),
            faer::Accum::Replace,
            self.w.as_ref(),
            faer::MatRef::from_column_major_slice(state, state.len(), 1),
        );
        u.iter_mut().for_each(|x| *x *= self.gain);
        u
    }

    /// `g (1 − tanh²(g W h))`: row i of the Jacobian is this times row i of `W`.
    fn slope(&self, state: &[f64]) -> Vec<f64> {
        self.drive(state).iter().map(|&u| self.gain * (1.0 - libm::tanh(u).powi(2))).collect()
    }
}

impl Dynamics for TanhMap {
    fn dim(&self) -> usize {
        self.w.nrows()
    }
    fn n_input(&self) -> usize {
        0
    }
    fn step(&self, state: &[f64], _input: &[f64], next: &mut [f64]) {
        next.iter_mut().zip(self.drive(state)).for_each(|(n, u)| *n = libm::tanh(u));
    }
    fn jacobian(&self, state: &[f64], _input: &[f64], mut jac: MatMut<'_, f64>) {
        let slope = self.slope(state);
        // Column by column: W is column-major, and so is the Jacobian in the spectrum loop.
        for j in 0..state.len() {
            let (mut out, w) = (jac.as_mut().col_mut(j), self.w.col(j));
            for i in 0..slope.len() {
                out[i] = slope[i] * w[i];
            }
        }
    }
    fn jacobian_product(
        &self,
        state: &[f64],
        _input: &[f64],
        tangents: MatRef<'_, f64>,
        mut out: MatMut<'_, f64>,
        _jac_scratch: MatMut<'_, f64>,
    ) {
        let slope = self.slope(state);
        crate::mat::gemm(out.as_mut(), faer::Accum::Replace, self.w.as_ref(), tangents);
        for col in out.col_iter_mut() {
            col.iter_mut().zip(&slope).for_each(|(v, s)| *v *= s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tanh map's structured product equals the Jacobian it forms, multiplied out.
    #[test]
    fn tanh_jacobian_product_equals_the_formed_jacobian_times_the_tangents() {
        let d = 7;
        let w = Mat::from_fn(d, d, |i, j| ((i * 7 + j * 3) % 11) as f64 / 11.0 - 0.45);
        let map = TanhMap { w, gain: 1.7 };
        let h: Vec<f64> = (0..d).map(|i| (i as f64 * 0.37).sin()).collect();
        let q = Mat::from_fn(d, 3, |i, j| ((i + 2 * j) as f64).cos());
        let mut jac = Mat::zeros(d, d);
        map.jacobian(&h, &[], jac.as_mut());
        let expected = &jac * &q;
        let mut out = Mat::zeros(d, 3);
        map.jacobian_product(&h, &[], q.as_ref(), out.as_mut(), Mat::zeros(d, d).as_mut());
        for i in 0..d {
            for j in 0..3 {
                assert!((out[(i, j)] - expected[(i, j)]).abs() < 1e-14, "{i} {j}");
            }
        }
    }
}
