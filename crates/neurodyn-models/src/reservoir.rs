//! Echo-state reservoirs (Jaeger 2001): a fixed random recurrent network driven by inputs,
//! whose states a trained linear readout maps to targets.
//!
//! `x_t = (1 − a) x_{t−1} + a f(W x_{t−1} + W_in u_t + b)` with leak `a ∈ (0, 1]`, `f` = tanh
//! or the identity (a linear reservoir, whose memory has a closed form:
//! `neurodyn_analysis::reservoir::linear_memory_capacity`). `W` is Gaussian or orthogonal,
//! scaled to the spectral radius asked for; `W_in` entries are uniform in
//! `[−input_scaling, input_scaling]`, the bias uniform in `[−bias_scaling, bias_scaling]`.
//! With `connectivity < 1` each recurrent weight is kept with that probability and `W` is
//! stored and applied as a sparse (CSR) matrix, as reservoirpy's `rc_connectivity`. Every draw
//! comes from the keyed stream of the seed, so a reservoir is reproducible.
//!
//! The spectral radius is computed exactly from `W`'s eigenvalues (dense, `O(n³)`: about 2 s
//! at `n = 2000` on one core); reservoirs drawn elsewhere run through [`Esn`]'s fields.
//!
//! [`Esn::force`] trains a readout online with recursive least squares while its output is fed
//! back into the reservoir (FORCE learning, Sussillo & Abbott 2009).

use faer::Mat;
use neurodyn_core::{RangeError, check, fast, rng};
use rand::RngExt;
use rand_distr::{Distribution, Geometric, StandardNormal};
use serde::{Deserialize, Serialize};

/// The nonlinearity of the units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `tanh`.
    #[default]
    Tanh,
    /// The identity: a linear reservoir.
    Linear,
}

/// How the recurrent weights are drawn before scaling.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    /// I.i.d. Gaussian entries (a circular spectrum).
    #[default]
    Gaussian,
    /// A random orthogonal matrix (every eigenvalue on the circle: the longest memory).
    Orthogonal,
}

/// An echo-state reservoir's configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EsnConfig {
    /// Units [1].
    pub n: usize,
    /// Spectral radius of `W` [1].
    pub spectral_radius: f64,
    /// Half-width of the uniform input weights [1].
    #[serde(default = "one")]
    pub input_scaling: f64,
    /// Half-width of the uniform biases [1].
    #[serde(default)]
    pub bias_scaling: f64,
    /// Leak rate `a` in `(0, 1]` (1: no leak) [1].
    #[serde(default = "one")]
    pub leak: f64,
    /// `tanh` or `linear`.
    #[serde(default)]
    pub activation: Activation,
    /// `gaussian` or `orthogonal`.
    #[serde(default)]
    pub topology: Topology,
    /// Fraction of recurrent weights that are nonzero, in `(0, 1]`; below 1 `W` is sparse
    /// (Gaussian topology only) [1].
    #[serde(default = "one")]
    pub connectivity: f64,
}

fn one() -> f64 {
    1.0
}

/// A square matrix in compressed sparse row form: row `i`'s entries are
/// `values[indptr[i]..indptr[i + 1]]` in the columns `indices[…]` (scipy's `csr_array`).
#[derive(Clone, Debug, PartialEq)]
pub struct Csr {
    /// Rows (= columns).
    pub n: usize,
    /// Row starts, `n + 1` entries.
    pub indptr: Vec<usize>,
    /// Column of each entry.
    pub indices: Vec<u32>,
    /// Value of each entry.
    pub values: Vec<f64>,
}

impl Csr {
    /// Checks the structure: `indptr` non-decreasing from 0 to `nnz`, columns below `n`.
    pub fn new(
        n: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        values: Vec<f64>,
    ) -> Result<Csr, String> {
        if indptr.len() != n + 1 || indptr[0] != 0 || indptr[n] != indices.len() {
            return Err(format!(
                "indptr must have {} entries from 0 to nnz = {}",
                n + 1,
                indices.len()
            ));
        }
        if values.len() != indices.len() {
            return Err(format!("{} values for {} indices", values.len(), indices.len()));
        }
        if indptr.windows(2).any(|w| w[0] > w[1]) {
            return Err("indptr must be non-decreasing".into());
        }
        if let Some(bad) = indices.iter().find(|&&j| j as usize >= n) {
            return Err(format!("column index {bad} out of range for {n} columns"));
        }
        Ok(Csr { n, indptr, indices, values })
    }

    /// Nonzero entries.
    pub fn nnz(&self) -> usize {
        self.values.len()
    }

    /// `out = self · x`.
    pub fn matvec(&self, x: &[f64], out: &mut [f64]) {
        for (i, o) in out.iter_mut().enumerate() {
            let (lo, hi) = (self.indptr[i], self.indptr[i + 1]);
            let (idx, val) = (&self.indices[lo..hi], &self.values[lo..hi]);
            // Four partial sums: independent chains for the gathers' latency.
            let mut acc = [0.0f64; 4];
            let (ic, vc) = (idx.chunks_exact(4), val.chunks_exact(4));
            let (ir, vr) = (ic.remainder(), vc.remainder());
            for (i4, v4) in ic.zip(vc) {
                for l in 0..4 {
                    acc[l] += v4[l] * x[i4[l] as usize];
                }
            }
            let mut tail = 0.0;
            for (&j, &v) in ir.iter().zip(vr) {
                tail += v * x[j as usize];
            }
            *o = (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail;
        }
    }

    /// The dense matrix.
    pub fn to_dense(&self) -> Mat<f64> {
        let mut m = Mat::zeros(self.n, self.n);
        for i in 0..self.n {
            for k in self.indptr[i]..self.indptr[i + 1] {
                m[(i, self.indices[k] as usize)] += self.values[k];
            }
        }
        m
    }
}

/// Recurrent weights, dense or sparse.
#[derive(Clone, Debug, PartialEq)]
pub enum Weights {
    /// A dense `n × n` matrix.
    Dense(Mat<f64>),
    /// A sparse one.
    Sparse(Csr),
}

impl Weights {
    /// Rows (= columns).
    pub fn n(&self) -> usize {
        match self {
            Weights::Dense(m) => m.nrows(),
            Weights::Sparse(c) => c.n,
        }
    }

    /// The dense matrix.
    pub fn to_dense(&self) -> Mat<f64> {
        match self {
            Weights::Dense(m) => m.clone(),
            Weights::Sparse(c) => c.to_dense(),
        }
    }

    fn matvec(&self, x: &[f64], out: &mut [f64]) {
        match self {
            Weights::Dense(m) => {
                let n = m.nrows();
                neurodyn_core::mat::gemm(
                    faer::MatMut::from_column_major_slice_mut(out, n, 1),
                    faer::Accum::Replace,
                    m.as_ref(),
                    faer::MatRef::from_column_major_slice(x, n, 1),
                );
            }
            Weights::Sparse(c) => c.matvec(x, out),
        }
    }
}

/// A built reservoir.
#[derive(Clone, Debug)]
pub struct Esn {
    /// Recurrent weights `W` (`n × n`).
    pub w: Weights,
    /// Input weights `W_in` (`n × n_input`).
    pub w_in: Mat<f64>,
    /// Biases (`n`).
    pub bias: Vec<f64>,
    /// Leak rate.
    pub leak: f64,
    /// Nonlinearity.
    pub activation: Activation,
}

impl EsnConfig {
    /// Checks every field; the error names the first one out of range.
    pub fn validate(&self) -> Result<(), RangeError> {
        check(self.n >= 1 && self.n <= 100_000, "n", self.n, "between 1 and 100000")?;
        let finite = |v: f64| v.is_finite() && v >= 0.0;
        check(
            finite(self.spectral_radius),
            "spectral_radius",
            self.spectral_radius,
            "a finite value >= 0",
        )?;
        check(
            finite(self.input_scaling),
            "input_scaling",
            self.input_scaling,
            "a finite value >= 0",
        )?;
        check(finite(self.bias_scaling), "bias_scaling", self.bias_scaling, "a finite value >= 0")?;
        check(self.leak > 0.0 && self.leak <= 1.0, "leak", self.leak, "in (0, 1]")?;
        check(
            self.connectivity > 0.0 && self.connectivity <= 1.0,
            "connectivity",
            self.connectivity,
            "in (0, 1]",
        )?;
        check(
            self.connectivity == 1.0 || self.topology == Topology::Gaussian,
            "connectivity",
            self.connectivity,
            "1 with topology = \"orthogonal\" (an orthogonal matrix is dense)",
        )
    }

    /// Draws the reservoir for `n_input` inputs from the keyed streams of `seed`.
    pub fn build(&self, n_input: usize, seed: u64) -> Result<Esn, RangeError> {
        self.validate()?;
        let n = self.n;
        let mut r = rng::stream(seed, "reservoir/w", 0);
        let raw = match (self.topology, self.connectivity < 1.0) {
            (Topology::Orthogonal, _) => {
                let g: Mat<f64> = Mat::from_fn(n, n, |_, _| StandardNormal.sample(&mut r));
                Weights::Dense(g.qr().compute_thin_Q())
            }
            (Topology::Gaussian, false) => {
                Weights::Dense(Mat::from_fn(n, n, |_, _| StandardNormal.sample(&mut r)))
            }
            (Topology::Gaussian, true) => {
                Weights::Sparse(sparse_gaussian(n, self.connectivity, seed))
            }
        };
        let radius = raw
            .to_dense()
            .eigenvalues()
            .map_err(|_| RangeError {
                field: "n".into(),
                value: n.to_string(),
                expected: "a size whose eigenvalues converge".into(),
            })?
            .iter()
            .map(|z| z.norm())
            .fold(0.0f64, f64::max);
        let scale = if radius > 0.0 { self.spectral_radius / radius } else { 0.0 };
        let w = match raw {
            Weights::Dense(m) => Weights::Dense(Mat::from_fn(n, n, |i, j| m[(i, j)] * scale)),
            Weights::Sparse(mut c) => {
                c.values.iter_mut().for_each(|v| *v *= scale);
                Weights::Sparse(c)
            }
        };
        let mut r = rng::stream(seed, "reservoir/w_in", 0);
        let s = self.input_scaling;
        let w_in =
            Mat::from_fn(n, n_input, |_, _| if s > 0.0 { r.random_range(-s..s) } else { 0.0 });
        let mut r = rng::stream(seed, "reservoir/bias", 0);
        let b = self.bias_scaling;
        let bias = (0..n).map(|_| if b > 0.0 { r.random_range(-b..b) } else { 0.0 }).collect();
        Ok(Esn { w, w_in, bias, leak: self.leak, activation: self.activation })
    }
}

/// A sparse Gaussian matrix: each entry kept with probability `p`, positions by geometric
/// gaps (`O(nnz)` draws), values standard normal.
fn sparse_gaussian(n: usize, p: f64, seed: u64) -> Csr {
    let mut gaps = rng::stream(seed, "reservoir/w_mask", 0);
    let mut r = rng::stream(seed, "reservoir/w", 0);
    let geometric = Geometric::new(p).expect("p in (0, 1]");
    let total = (n * n) as u64;
    let mut indptr = vec![0usize; n + 1];
    let (mut indices, mut values) = (Vec::new(), Vec::new());
    let mut at = geometric.sample(&mut gaps);
    while at < total {
        let (i, j) = ((at / n as u64) as usize, (at % n as u64) as u32);
        indptr[i + 1] += 1;
        indices.push(j);
        values.push(StandardNormal.sample(&mut r));
        at = at.saturating_add(1 + geometric.sample(&mut gaps));
    }
    for i in 0..n {
        indptr[i + 1] += indptr[i];
    }
    Csr { n, indptr, indices, values }
}

/// FORCE learning's settings (see [`Esn::force`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Force {
    /// Feedback weights `w_fb` (`n`): the readout `z` enters every unit as `w_fb z`.
    pub feedback: Vec<f64>,
    /// `P₀ = I / alpha`: the RLS prior (Sussillo & Abbott's α; small α learns fast) [1].
    pub alpha: f64,
    /// Steps over which the readout learns; afterwards it runs with fixed weights [1].
    pub train_steps: usize,
    /// Update the readout every this many steps (1: every step) [1].
    pub every: usize,
    /// The state before the first step (`n`; empty: zero — a reservoir without input or bias
    /// then stays at zero).
    pub initial: Vec<f64>,
}

/// What [`Esn::force`] returns.
#[derive(Clone, Debug, PartialEq)]
pub struct ForceResult {
    /// The readout `z_t` at every step (its feedback drove the reservoir).
    pub output: Vec<f64>,
    /// The readout weights at the end (`n`).
    pub weights: Vec<f64>,
    /// The error `z_t − f_t` just before each update while learning.
    pub errors: Vec<f64>,
}

impl Esn {
    /// Units.
    pub fn n(&self) -> usize {
        self.w.n()
    }

    /// One step: `x ← (1 − a) x + a f(W x + W_in u + b + w_fb z)`; `wx` is scratch.
    fn step(&self, x: &mut [f64], wx: &mut [f64], u: &[f64], feedback: Option<(&[f64], f64)>) {
        self.w.matvec(x, wx);
        for (i, d) in wx.iter_mut().enumerate() {
            let input: f64 = u.iter().enumerate().map(|(j, uj)| self.w_in[(i, j)] * uj).sum();
            *d += input + self.bias[i];
            if let Some((w_fb, z)) = feedback {
                *d += w_fb[i] * z;
            }
        }
        if self.activation == Activation::Tanh {
            fast::tanh_in_place_f64(wx);
        }
        let a = self.leak;
        x.iter_mut().zip(wx.iter()).for_each(|(x, f)| *x = (1.0 - a) * *x + a * f);
    }

    /// The states `x_1 … x_T` (`T × n`, row-major) driven by `inputs` (`T × n_input`,
    /// row-major) from `x_0 = 0`.
    pub fn run(&self, inputs: &[f64]) -> Vec<f64> {
        let (n, k) = (self.n(), self.w_in.ncols());
        let steps = inputs.len().checked_div(k).unwrap_or(0);
        let mut states = Vec::with_capacity(steps * n);
        let (mut x, mut wx) = (vec![0.0; n], vec![0.0; n]);
        for t in 0..steps {
            self.step(&mut x, &mut wx, &inputs[t * k..(t + 1) * k], None);
            states.extend_from_slice(&x);
        }
        states
    }

    /// FORCE learning (Sussillo & Abbott 2009): the reservoir runs `target.len()` steps with
    /// inputs (`T × n_input`, row-major; empty for none) and its readout `z_t = wᵀ x_t` fed
    /// back through `w_fb`; during the first `train_steps` steps the readout weights `w`
    /// (from zero) follow recursive least squares toward `target` — `P r` gain
    /// `k = P x / (1 + xᵀ P x)`, `P ← P − k (P x)ᵀ`, `w ← w − (z − f) k` — which keeps the
    /// fed-back output near the target from the start. Afterwards the network runs on its own
    /// output. `O(n²)` per update (`P` is dense).
    pub fn force(&self, inputs: &[f64], target: &[f64], force: &Force) -> ForceResult {
        let n = self.n();
        let k = self.w_in.ncols();
        let steps = target.len();
        let mut rls = Rls::new(n, force.alpha);
        let mut x = if force.initial.len() == n { force.initial.clone() } else { vec![0.0; n] };
        let (mut wx, mut w) = (vec![0.0; n], vec![0.0; n]);
        let zero = vec![0.0; k];
        let (mut output, mut errors) = (Vec::with_capacity(steps), Vec::new());
        let mut z = 0.0;
        for t in 0..steps {
            let u = if inputs.is_empty() { &zero[..] } else { &inputs[t * k..(t + 1) * k] };
            self.step(&mut x, &mut wx, u, Some((&force.feedback, z)));
            z = dot(&w, &x);
            if t < force.train_steps && t % force.every.max(1) == 0 {
                let gain = rls.update(&x);
                let e = z - target[t];
                errors.push(e);
                for (wi, pi) in w.iter_mut().zip(rls.gain_vector()) {
                    *wi -= e * gain * pi;
                }
                z = dot(&w, &x);
            }
            output.push(z);
        }
        ForceResult { output, weights: w, errors }
    }
}

/// Recursive least squares: the inverse correlation matrix `P` of a `d`-dimensional regressor,
/// from the prior `P₀ = I/α` (α: the ridge penalty the recursion solves for). Shared by
/// [`Esn::force`] and every RLS read-out that learns online; the callers apply the gain to
/// their own weights, `w ← w + c (target − output) k`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rls {
    /// `P`, `d × d` row-major (symmetric).
    p: Vec<f64>,
    /// `k = P_old r` of the last update.
    k: Vec<f64>,
    d: usize,
}

impl Rls {
    /// `P = I/α` for a `d`-dimensional regressor.
    pub fn new(d: usize, alpha: f64) -> Rls {
        let mut rls = Rls { p: vec![0.0; d * d], k: vec![0.0; d], d };
        rls.reset(alpha);
        rls
    }

    /// `P ← I/α` (what the regressor has taught is forgotten; the callers' weights stay).
    pub fn reset(&mut self, alpha: f64) {
        self.p.iter_mut().for_each(|x| *x = 0.0);
        for i in 0..self.d {
            self.p[i * self.d + i] = 1.0 / alpha;
        }
    }

    /// One step with regressor `r`: `k = P r`, `c = 1/(1 + rᵀk)`, `P ← P − c k kᵀ`; returns
    /// `c` (the weights' update is `c · error · k`, [`Rls::gain_vector`] holds `k`).
    pub fn update(&mut self, r: &[f64]) -> f64 {
        let d = self.d;
        for (i, k) in self.k.iter_mut().enumerate() {
            *k = dot(&self.p[i * d..(i + 1) * d], r);
        }
        let c = 1.0 / (1.0 + dot(r, &self.k));
        for i in 0..d {
            let a = c * self.k[i];
            let row = &mut self.p[i * d..(i + 1) * d];
            row.iter_mut().zip(&self.k).for_each(|(p, k)| *p -= a * k);
        }
        c
    }

    /// `k = P r` of the last [`Rls::update`] (`P` before that update).
    pub fn gain_vector(&self) -> &[f64] {
        &self.k
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}
