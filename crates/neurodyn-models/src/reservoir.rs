//! Echo-state reservoirs (Jaeger 2001): a fixed random recurrent network driven by inputs,
//! whose states a trained linear readout maps to targets.
//!
//! `x_t = (1 − a) x_{t−1} + a f(W x_{t−1} + W_in u_t + b)` with leak `a ∈ (0, 1]`, `f` = tanh
//! or the identity (a linear reservoir, whose memory has a closed form:
//! `neurodyn_analysis::reservoir::linear_memory_capacity`). `W` is Gaussian or orthogonal,
//! scaled to the spectral radius asked for; `W_in` entries are uniform in
//! `[−input_scaling, input_scaling]`, the bias uniform in `[−bias_scaling, bias_scaling]`.
//! Every draw comes from the keyed stream of the seed, so a reservoir is reproducible.

use faer::Mat;
use neurodyn_core::{RangeError, check, rng};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
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
}

fn one() -> f64 {
    1.0
}

/// A built reservoir.
#[derive(Clone, Debug)]
pub struct Esn {
    /// Recurrent weights `W` (`n × n`).
    pub w: Mat<f64>,
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
        check(self.leak > 0.0 && self.leak <= 1.0, "leak", self.leak, "in (0, 1]")
    }

    /// Draws the reservoir for `n_input` inputs from the keyed streams of `seed`.
    pub fn build(&self, n_input: usize, seed: u64) -> Result<Esn, RangeError> {
        self.validate()?;
        let n = self.n;
        let mut r = rng::stream(seed, "reservoir/w", 0);
        let g: Mat<f64> = Mat::from_fn(n, n, |_, _| StandardNormal.sample(&mut r));
        let raw = match self.topology {
            Topology::Gaussian => g,
            Topology::Orthogonal => g.qr().compute_thin_Q(),
        };
        let radius = raw
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
        let w = Mat::from_fn(n, n, |i, j| raw[(i, j)] * scale);
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

impl Esn {
    /// Units.
    pub fn n(&self) -> usize {
        self.w.nrows()
    }

    /// The states `x_1 … x_T` (`T × n`, row-major) driven by `inputs` (`T × n_input`,
    /// row-major) from `x_0 = 0`.
    pub fn run(&self, inputs: &[f64]) -> Vec<f64> {
        let (n, k) = (self.n(), self.w_in.ncols());
        let steps = inputs.len().checked_div(k).unwrap_or(0);
        let mut states = Vec::with_capacity(steps * n);
        let mut x = Mat::<f64>::zeros(n, 1);
        let mut wx = Mat::<f64>::zeros(n, 1);
        let mut drive = vec![0.0; n];
        for t in 0..steps {
            neurodyn_core::mat::gemm(
                wx.as_mut(),
                faer::Accum::Replace,
                self.w.as_ref(),
                x.as_ref(),
            );
            let wx = wx.col(0);
            let u = &inputs[t * k..(t + 1) * k];
            for i in 0..n {
                let input: f64 = (0..k).map(|j| self.w_in[(i, j)] * u[j]).sum();
                drive[i] = wx[i] + input + self.bias[i];
            }
            for i in 0..n {
                let f = match self.activation {
                    Activation::Tanh => libm::tanh(drive[i]),
                    Activation::Linear => drive[i],
                };
                x[(i, 0)] = (1.0 - self.leak) * x[(i, 0)] + self.leak * f;
            }
            states.extend(x.col(0).iter());
        }
        states
    }
}
