//! Dense feed-forward networks (multi-layer perceptrons) with exact backpropagation.
//!
//! A network of widths `[n_0, n_1, …, n_L]` maps a row-major batch `X` (`B × n_0`) through
//! `Z_l = H_{l−1} W_lᵀ + b_l` and `H_l = φ(Z_l)` for the hidden layers `l < L`; the output
//! layer is linear (`H_L = Z_L`). Parameters are one flat vector, layer by layer: `W_l`
//! (`n_l × n_{l−1}`, row-major), then `b_l` when the network has biases.
//!
//! Initialisations state their scales explicitly, as in the mean-field literature (Poole et
//! al. 2016; Pennington, Schoenholz & Ganguli 2017, arXiv:1711.04735): Gaussian entries
//! `N(0, σ_w²/n_{l−1})`, or `σ_w` times a Haar (semi-)orthogonal matrix, or a low-rank part of
//! the same Frobenius norm plus Gaussian noise; biases `N(0, σ_b²)`.
//!
//! Losses ([`Loss`]): half the mean squared error, `L = 1/(2B) Σ_b ‖ŷ_b − y_b‖²` (so that
//! full-batch gradient descent with step η is Saxe et al.'s gradient flow with τ = 1/η), and the
//! mean softmax cross-entropy against target probabilities.
//!
//! ```
//! use neurodyn_models::ffn::{Activation, FfnConfig, Init, Loss};
//! let config = FfnConfig::new(vec![4, 16, 2], Activation::Tanh);
//! let net = config.build::<f64>(7).unwrap();
//! let x = vec![0.5; 3 * 4];
//! let y = vec![0.0; 3 * 2];
//! let mut grads = vec![0.0; net.params.len()];
//! let loss = net.loss_and_gradient(&x, &y, 3, Loss::Mse, &mut grads);
//! assert!(loss >= 0.0 && grads.iter().any(|g| *g != 0.0));
//! ```

use faer::{Accum, Mat};
use neurodyn_core::mat::{gemm, view, view_mut};
use neurodyn_core::{RangeError, Real, check, rng};
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// Pointwise nonlinearity of the hidden layers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `φ(z) = z`: a deep linear network.
    Linear,
    /// `φ(z) = tanh z`.
    Tanh,
    /// `φ(z) = max(z, 0)`.
    Relu,
    /// `φ(z) = clamp(z, −1, 1)`.
    HardTanh,
    /// `φ(z) = erf z`.
    Erf,
}

impl Activation {
    /// `φ(z)`.
    pub fn apply<T: Real>(self, z: T) -> T {
        match self {
            Activation::Linear => z,
            Activation::Tanh => z.tanh_(),
            Activation::Relu => z.max_(T::ZERO),
            Activation::HardTanh => z.max_(-T::ONE).min_(T::ONE),
            Activation::Erf => T::of(libm::erf(z.to_f64())),
        }
    }

    /// `φ'(z)` given `z` and `h = φ(z)`.
    pub fn derivative<T: Real>(self, z: T, h: T) -> T {
        match self {
            Activation::Linear => T::ONE,
            Activation::Tanh => T::ONE - h * h,
            Activation::Relu => {
                if z > T::ZERO {
                    T::ONE
                } else {
                    T::ZERO
                }
            }
            Activation::HardTanh => {
                if z.abs_() < T::ONE {
                    T::ONE
                } else {
                    T::ZERO
                }
            }
            Activation::Erf => {
                let z = z.to_f64();
                T::of(std::f64::consts::FRAC_2_SQRT_PI * (-z * z).exp())
            }
        }
    }
}

/// Weight initialisation; the scale `σ_w` is [`FfnConfig::sigma_w`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind", deny_unknown_fields)]
pub enum Init {
    /// i.i.d. `N(0, σ_w²/n_in)` entries.
    Gaussian,
    /// `σ_w` times a Haar-random matrix with orthonormal rows or columns (whichever are fewer),
    /// so every singular value is `σ_w`.
    Orthogonal,
    /// `σ_w √((1 − noise)/(rank · n_in)) Σ_k u_k v_kᵀ` with standard Gaussian `u_k, v_k`
    /// (entries with the Gaussian ensemble's variance share `(1 − noise) σ_w²/n_in`), plus
    /// Gaussian noise of variance `noise · σ_w²/n_in`.
    LowRank {
        /// Rank of the structured part [1].
        rank: usize,
        /// Fraction of the variance that is full-rank noise, in `[0, 1]` [1].
        #[serde(default)]
        noise: f64,
    },
}

/// Loss of the output against targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// `1/(2B) Σ_b ‖ŷ_b − y_b‖²`.
    Mse,
    /// `−1/B Σ_b Σ_k y_bk log softmax(ŷ_b)_k`, targets are probabilities (one-hot or soft).
    CrossEntropy,
}

/// A dense feed-forward network, as a plain value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FfnConfig {
    /// `[n_in, hidden…, n_out]`: at least two entries [1].
    pub widths: Vec<usize>,
    /// Nonlinearity of the hidden layers (the output layer is linear).
    pub activation: Activation,
    /// Weight initialisation.
    #[serde(default = "gaussian")]
    pub init: Init,
    /// Weight scale `σ_w` [1].
    #[serde(default = "one")]
    pub sigma_w: f64,
    /// Bias standard deviation `σ_b` [1].
    #[serde(default)]
    pub sigma_b: f64,
    /// Whether the layers have biases.
    #[serde(default = "yes")]
    pub bias: bool,
}

fn gaussian() -> Init {
    Init::Gaussian
}
fn one() -> f64 {
    1.0
}
fn yes() -> bool {
    true
}

impl FfnConfig {
    /// Gaussian `σ_w = 1`, `σ_b = 0`, with biases.
    pub fn new(widths: Vec<usize>, activation: Activation) -> FfnConfig {
        FfnConfig {
            widths,
            activation,
            init: Init::Gaussian,
            sigma_w: 1.0,
            sigma_b: 0.0,
            bias: true,
        }
    }

    /// Checks sizes and scales.
    pub fn validate(&self) -> Result<(), RangeError> {
        let w = &self.widths;
        check(w.len() >= 2 && w.len() <= 1001, "widths", w.len(), "2 to 1001 entries")?;
        for (i, n) in w.iter().enumerate() {
            check(*n >= 1 && *n <= 1_000_000, &format!("widths[{i}]"), n, "between 1 and 1e6")?;
        }
        let params: f64 = w.windows(2).map(|p| p[0] as f64 * p[1] as f64).sum();
        check(params <= 1e9, "widths", format!("{w:?}"), "at most 1e9 weights")?;
        check(
            self.sigma_w.is_finite() && self.sigma_w >= 0.0 && self.sigma_w <= 1e6,
            "sigma_w",
            self.sigma_w,
            "finite, between 0 and 1e6",
        )?;
        check(
            self.sigma_b.is_finite() && self.sigma_b >= 0.0 && self.sigma_b <= 1e6,
            "sigma_b",
            self.sigma_b,
            "finite, between 0 and 1e6",
        )?;
        if let Init::LowRank { rank, noise } = self.init {
            let most = w.iter().copied().max().unwrap_or(1);
            check(rank >= 1 && rank <= most, "init.rank", rank, "between 1 and the largest width")?;
            check((0.0..=1.0).contains(&noise), "init.noise", noise, "between 0 and 1")?;
        }
        Ok(())
    }

    /// The network with weights drawn from stream `seed`.
    pub fn build<T: Real>(&self, seed: u64) -> Result<Ffn<T>, RangeError> {
        self.validate()?;
        let mut net = Ffn::zeros(self.clone());
        for l in 0..net.n_layers() {
            let (n_out, n_in) = (self.widths[l + 1], self.widths[l]);
            let w = init_weights(self.init, self.sigma_w, n_out, n_in, seed, l as u64);
            net.set_weights(l, &w);
            if self.bias && self.sigma_b > 0.0 {
                let mut r = rng::stream(seed, "ffn/bias", l as u64);
                let (start, _) = net.bias_range(l);
                for p in &mut net.params[start..start + n_out] {
                    let z: f64 = StandardNormal.sample(&mut r);
                    *p = T::of(self.sigma_b * z);
                }
            }
        }
        Ok(net)
    }
}

fn gaussian_matrix(
    rows: usize,
    cols: usize,
    scale: f64,
    seed: u64,
    stream: &str,
    l: u64,
) -> Mat<f64> {
    let mut r = rng::stream(seed, stream, l);
    Mat::from_fn(rows, cols, |_, _| {
        let z: f64 = StandardNormal.sample(&mut r);
        scale * z
    })
}

/// A Haar-random `rows × cols` matrix with orthonormal columns (`rows ≥ cols`) or rows.
pub fn haar_semi_orthogonal(rows: usize, cols: usize, seed: u64, layer: u64) -> Mat<f64> {
    if rows < cols {
        return haar_semi_orthogonal(cols, rows, seed, layer).transpose().to_owned();
    }
    let g = gaussian_matrix(rows, cols, 1.0, seed, "ffn/orthogonal", layer);
    let qr = g.qr();
    let r = qr.thin_R();
    let signs: Vec<f64> = (0..cols).map(|i| if r[(i, i)] < 0.0 { -1.0 } else { 1.0 }).collect();
    let q = qr.compute_thin_Q();
    Mat::from_fn(rows, cols, |i, j| q[(i, j)] * signs[j])
}

fn init_weights(
    init: Init,
    sigma_w: f64,
    n_out: usize,
    n_in: usize,
    seed: u64,
    l: u64,
) -> Mat<f64> {
    match init {
        Init::Gaussian => {
            gaussian_matrix(n_out, n_in, sigma_w / (n_in as f64).sqrt(), seed, "ffn/weights", l)
        }
        Init::Orthogonal => {
            let mut q = haar_semi_orthogonal(n_out, n_in, seed, l);
            q *= faer::Scale(sigma_w);
            q
        }
        Init::LowRank { rank, noise } => {
            let u = gaussian_matrix(n_out, rank, 1.0, seed, "ffn/low_rank_u", l);
            let v = gaussian_matrix(n_in, rank, 1.0, seed, "ffn/low_rank_v", l);
            // Entries of c Σ_k u_k v_kᵀ have variance c² rank: matched to (1 − noise) σ_w²/n_in,
            // the Gaussian ensemble's share.
            let structured = sigma_w * ((1.0 - noise) / (rank as f64 * n_in as f64)).sqrt();
            let mut w = &u * v.transpose() * faer::Scale(structured);
            if noise > 0.0 {
                let scale = sigma_w * (noise / n_in as f64).sqrt();
                w += gaussian_matrix(n_out, n_in, scale, seed, "ffn/low_rank_noise", l);
            }
            w
        }
    }
}

/// A built feed-forward network: its config and flat parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Ffn<T> {
    /// What it was built from.
    pub config: FfnConfig,
    /// Every weight and bias, layer by layer (`W_l` row-major, then `b_l`).
    pub params: Vec<T>,
    offsets: Vec<usize>,
}

/// Every layer's pre-activations `Z_l` and activations `H_l` (`H_0` is the input) of one
/// batch, kept for the backward pass and for reading representations; also the backward
/// pass's buffers, so that a tape reused across steps allocates nothing.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Tape<T> {
    /// Rows of the batch.
    pub batch: usize,
    /// `H_0 … H_L`, each `B × n_l` row-major.
    pub activations: Vec<Vec<T>>,
    /// `Z_1 … Z_L`, each `B × n_l` row-major.
    pub preactivations: Vec<Vec<T>>,
    delta: Vec<T>,
    delta_in: Vec<T>,
}

impl<T> Tape<T> {
    /// The network's output `H_L` (`B × n_L`).
    pub fn output(&self) -> &[T] {
        self.activations.last().expect("a tape holds the input at least")
    }
}

impl<T: Real> Ffn<T> {
    /// A network with every parameter zero.
    pub fn zeros(config: FfnConfig) -> Ffn<T> {
        let mut offsets = vec![0];
        for p in config.widths.windows(2) {
            let n = p[1] * p[0] + if config.bias { p[1] } else { 0 };
            offsets.push(offsets.last().unwrap() + n);
        }
        Ffn { params: vec![T::ZERO; *offsets.last().unwrap()], config, offsets }
    }

    /// Layers with weights `L`.
    pub fn n_layers(&self) -> usize {
        self.config.widths.len() - 1
    }

    /// Input width `n_0`.
    pub fn n_in(&self) -> usize {
        self.config.widths[0]
    }

    /// Output width `n_L`.
    pub fn n_out(&self) -> usize {
        *self.config.widths.last().unwrap()
    }

    /// `(start, len)` of `W_l` in [`Ffn::params`].
    pub fn weight_range(&self, l: usize) -> (usize, usize) {
        (self.offsets[l], self.config.widths[l + 1] * self.config.widths[l])
    }

    /// `(start, len)` of `b_l` in [`Ffn::params`] (`len` 0 without biases).
    pub fn bias_range(&self, l: usize) -> (usize, usize) {
        let (start, len) = self.weight_range(l);
        (start + len, if self.config.bias { self.config.widths[l + 1] } else { 0 })
    }

    /// `W_l` as a row-major slice (`n_l × n_{l−1}`).
    pub fn weights(&self, l: usize) -> &[T] {
        let (s, n) = self.weight_range(l);
        &self.params[s..s + n]
    }

    /// Sets `W_l` from a `n_l × n_{l−1}` matrix.
    pub fn set_weights(&mut self, l: usize, w: &Mat<f64>) {
        let (s, _) = self.weight_range(l);
        let cols = self.config.widths[l];
        assert_eq!((w.nrows(), w.ncols()), (self.config.widths[l + 1], cols), "W_{l} shape");
        for i in 0..w.nrows() {
            for j in 0..cols {
                self.params[s + i * cols + j] = T::of(w[(i, j)]);
            }
        }
    }

    /// `W_l` as an `f64` matrix.
    pub fn weight_matrix(&self, l: usize) -> Mat<f64> {
        let (rows, cols) = (self.config.widths[l + 1], self.config.widths[l]);
        let w = self.weights(l);
        Mat::from_fn(rows, cols, |i, j| w[i * cols + j].to_f64())
    }

    /// The product `W_L ⋯ W_1` (for a linear network, its input–output map; `n_L × n_0`).
    pub fn composite(&self) -> Mat<f64> {
        let mut m = self.weight_matrix(0);
        for l in 1..self.n_layers() {
            m = self.weight_matrix(l) * &m;
        }
        m
    }

    /// Runs a batch `x` (`batch × n_0`, row-major) and keeps every layer.
    pub fn forward(&self, x: &[T], batch: usize) -> Tape<T> {
        let mut tape = Tape::default();
        self.forward_into(x, batch, &mut tape);
        tape
    }

    /// [`Ffn::forward`] into a tape whose buffers are reused (no allocation once their sizes
    /// are reached: the training loops keep one tape).
    pub fn forward_into(&self, x: &[T], batch: usize, tape: &mut Tape<T>) {
        assert_eq!(x.len(), batch * self.n_in(), "input is batch × n_in");
        let widths = &self.config.widths;
        let layers = self.n_layers();
        tape.batch = batch;
        tape.activations.resize_with(layers + 1, Vec::new);
        tape.preactivations.resize_with(layers, Vec::new);
        tape.activations[0].clear();
        tape.activations[0].extend_from_slice(x);
        for l in 0..layers {
            let (n_in, n_out) = (widths[l], widths[l + 1]);
            let z = &mut tape.preactivations[l];
            z.resize(batch * n_out, T::ZERO);
            let (before, after) = tape.activations.split_at_mut(l + 1);
            gemm(
                view_mut(z, batch, n_out),
                Accum::Replace,
                view(&before[l], batch, n_in),
                view(self.weights(l), n_out, n_in).transpose(),
            );
            let (bs, bn) = self.bias_range(l);
            if bn > 0 {
                let b = &self.params[bs..bs + bn];
                for row in z.chunks_exact_mut(n_out) {
                    row.iter_mut().zip(b).for_each(|(z, b)| *z += *b);
                }
            }
            let h = &mut after[0];
            h.clear();
            h.extend_from_slice(z);
            if l + 1 < layers {
                match self.config.activation {
                    Activation::Linear => {}
                    Activation::Tanh => T::tanh_slice(h),
                    a => h.iter_mut().for_each(|v| *v = a.apply(*v)),
                }
            }
        }
    }

    /// The loss of `out` (`batch × n_L`) against `y`; `∂L/∂ŷ` into `grad`.
    fn loss_into(&self, out: &[T], y: &[T], batch: usize, loss: Loss, grad: &mut Vec<T>) -> f64 {
        let n = self.n_out();
        assert_eq!(y.len(), batch * n, "targets are batch × n_out");
        let scale = 1.0 / batch as f64;
        grad.resize(out.len(), T::ZERO);
        match loss {
            Loss::Mse => {
                let mut total = 0.0;
                for ((g, o), t) in grad.iter_mut().zip(out).zip(y) {
                    let e = *o - *t;
                    total += e.to_f64() * e.to_f64();
                    *g = e * T::of(scale);
                }
                0.5 * total * scale
            }
            Loss::CrossEntropy => {
                let mut total = 0.0;
                for ((o, t), g) in
                    out.chunks_exact(n).zip(y.chunks_exact(n)).zip(grad.chunks_exact_mut(n))
                {
                    let m = o.iter().map(|v| v.to_f64()).fold(f64::NEG_INFINITY, f64::max);
                    let z: f64 = o.iter().map(|v| (v.to_f64() - m).exp()).sum();
                    let log_z = m + z.ln();
                    let mass: f64 = t.iter().map(|v| v.to_f64()).sum();
                    for k in 0..n {
                        let (ok, tk) = (o[k].to_f64(), t[k].to_f64());
                        total -= tk * (ok - log_z);
                        g[k] = T::of(scale * ((ok - log_z).exp() * mass - tk));
                    }
                }
                total * scale
            }
        }
    }

    /// The loss of the tape's output against `y` and its gradient `∂L/∂ŷ` (`batch × n_L`).
    pub fn loss_of(&self, tape: &Tape<T>, y: &[T], loss: Loss) -> (f64, Vec<T>) {
        let mut grad = Vec::new();
        let value = self.loss_into(tape.output(), y, tape.batch, loss, &mut grad);
        (value, grad)
    }

    /// Backpropagates `∂L/∂H_L` through the tape into `grads` (overwritten, same layout as
    /// [`Ffn::params`]) and returns `∂L/∂X` (`batch × n_0`, kept in the tape).
    pub fn backward<'t>(&self, tape: &'t mut Tape<T>, d_out: &[T], grads: &mut [T]) -> &'t [T] {
        tape.delta.clear();
        tape.delta.extend_from_slice(d_out);
        self.backward_from_delta(tape, grads);
        &tape.delta
    }

    /// The backward pass from `∂L/∂H_L` in `tape.delta`; leaves `∂L/∂X` there.
    fn backward_from_delta(&self, tape: &mut Tape<T>, grads: &mut [T]) {
        assert_eq!(grads.len(), self.params.len(), "one gradient per parameter");
        let widths = &self.config.widths;
        let b = tape.batch;
        for l in (0..self.n_layers()).rev() {
            let (n_in, n_out) = (widths[l], widths[l + 1]);
            let dz = &mut tape.delta;
            if l + 1 < self.n_layers() {
                let h = &tape.activations[l + 1];
                match self.config.activation {
                    Activation::Linear => {}
                    Activation::Tanh => {
                        dz.iter_mut().zip(h).for_each(|(d, h)| *d *= T::ONE - *h * *h);
                    }
                    // h = max(z, 0) > 0 exactly where z > 0.
                    Activation::Relu => dz.iter_mut().zip(h).for_each(|(d, h)| {
                        if *h <= T::ZERO {
                            *d = T::ZERO;
                        }
                    }),
                    // |clamp(z, −1, 1)| < 1 exactly where |z| < 1.
                    Activation::HardTanh => dz.iter_mut().zip(h).for_each(|(d, h)| {
                        if h.abs_() >= T::ONE {
                            *d = T::ZERO;
                        }
                    }),
                    a => {
                        let z = &tape.preactivations[l];
                        for ((d, z), h) in dz.iter_mut().zip(z).zip(h) {
                            *d *= a.derivative(*z, *h);
                        }
                    }
                }
            }
            let (ws, wn) = self.weight_range(l);
            gemm(
                view_mut(&mut grads[ws..ws + wn], n_out, n_in),
                Accum::Replace,
                view(dz, b, n_out).transpose(),
                view(&tape.activations[l], b, n_in),
            );
            let (bs, bn) = self.bias_range(l);
            if bn > 0 {
                let g = &mut grads[bs..bs + bn];
                g.iter_mut().for_each(|v| *v = T::ZERO);
                for row in dz.chunks_exact(n_out) {
                    g.iter_mut().zip(row).for_each(|(g, d)| *g += *d);
                }
            }
            let dh = &mut tape.delta_in;
            dh.resize(b * n_in, T::ZERO);
            gemm(
                view_mut(dh, b, n_in),
                Accum::Replace,
                view(dz, b, n_out),
                view(self.weights(l), n_out, n_in),
            );
            std::mem::swap(&mut tape.delta, &mut tape.delta_in);
        }
    }

    /// The loss on `(x, y)` and its gradient (into `grads`).
    pub fn loss_and_gradient(
        &self,
        x: &[T],
        y: &[T],
        batch: usize,
        loss: Loss,
        grads: &mut [T],
    ) -> f64 {
        self.loss_and_gradient_with(&mut Tape::default(), x, y, batch, loss, grads)
    }

    /// [`Ffn::loss_and_gradient`] with a reused tape (no allocation in a training loop).
    pub fn loss_and_gradient_with(
        &self,
        tape: &mut Tape<T>,
        x: &[T],
        y: &[T],
        batch: usize,
        loss: Loss,
        grads: &mut [T],
    ) -> f64 {
        self.forward_into(x, batch, tape);
        let mut delta = std::mem::take(&mut tape.delta);
        let value = self.loss_into(tape.output(), y, batch, loss, &mut delta);
        tape.delta = delta;
        self.backward_from_delta(tape, grads);
        value
    }

    /// The input–output Jacobian `∂ŷ/∂x` at one input `x` (`n_L × n_0`, `f64`):
    /// `W_L D_{L−1} W_{L−1} ⋯ D_1 W_1` with `D_l = diag φ'(Z_l)`.
    pub fn input_output_jacobian(&self, x: &[T]) -> Mat<f64> {
        let tape = self.forward(x, 1);
        let mut j = self.weight_matrix(0);
        for l in 1..self.n_layers() {
            let a = self.config.activation;
            let (z, h) = (&tape.preactivations[l - 1], &tape.activations[l]);
            for i in 0..j.nrows() {
                let d = a.derivative(z[i], h[i]).to_f64();
                for c in 0..j.ncols() {
                    j[(i, c)] *= d;
                }
            }
            j = self.weight_matrix(l) * &j;
        }
        j
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: u64) -> Vec<f64> {
        let mut r = rng::stream(seed, "test", 0);
        (0..n)
            .map(|_| {
                let z: f64 = StandardNormal.sample(&mut r);
                z
            })
            .collect()
    }

    #[test]
    fn gradients_match_central_differences_for_every_activation_and_loss() {
        for activation in [
            Activation::Linear,
            Activation::Tanh,
            Activation::Relu,
            Activation::HardTanh,
            Activation::Erf,
        ] {
            for loss in [Loss::Mse, Loss::CrossEntropy] {
                let config = FfnConfig {
                    widths: vec![3, 5, 4, 2],
                    activation,
                    init: Init::Gaussian,
                    sigma_w: 1.3,
                    sigma_b: 0.3,
                    bias: true,
                };
                let mut net = config.build::<f64>(1).unwrap();
                let b = 4;
                let x = data(b * 3, 2);
                let y = match loss {
                    Loss::Mse => data(b * 2, 3),
                    Loss::CrossEntropy => vec![0.3, 0.7, 1.0, 0.0, 0.0, 1.0, 0.5, 0.5],
                };
                let mut g = vec![0.0; net.params.len()];
                net.loss_and_gradient(&x, &y, b, loss, &mut g);
                let mut scratch = vec![0.0; g.len()];
                for i in 0..net.params.len() {
                    let p = net.params[i];
                    let h = 1e-6;
                    net.params[i] = p + h;
                    let up = net.loss_and_gradient(&x, &y, b, loss, &mut scratch);
                    net.params[i] = p - h;
                    let down = net.loss_and_gradient(&x, &y, b, loss, &mut scratch);
                    net.params[i] = p;
                    let fd = (up - down) / (2.0 * h);
                    let err = (fd - g[i]).abs() / (fd.abs() + g[i].abs()).max(1e-6);
                    assert!(err < 1e-6, "{activation:?} {loss:?} param {i}: fd {fd} vs {}", g[i]);
                }
            }
        }
    }

    #[test]
    fn input_output_jacobian_matches_central_differences() {
        for activation in [Activation::Tanh, Activation::Erf, Activation::Linear] {
            let mut config = FfnConfig::new(vec![4, 6, 6, 3], activation);
            config.sigma_b = 0.2;
            let net = config.build::<f64>(5).unwrap();
            let x = data(4, 9);
            let j = net.input_output_jacobian(&x);
            for c in 0..4 {
                let (mut up, mut down) = (x.clone(), x.clone());
                up[c] += 1e-6;
                down[c] -= 1e-6;
                let (fu, fd) = (net.forward(&up, 1), net.forward(&down, 1));
                for r in 0..3 {
                    let d = (fu.output()[r] - fd.output()[r]) / 2e-6;
                    let err = (d - j[(r, c)]).abs() / (d.abs() + j[(r, c)].abs()).max(1e-6);
                    assert!(err < 1e-6, "{activation:?} J[{r},{c}]: fd {d} vs {}", j[(r, c)]);
                }
            }
        }
    }

    #[test]
    fn orthogonal_layers_have_every_singular_value_sigma_w() {
        let mut config = FfnConfig::new(vec![7, 12, 5], Activation::Linear);
        config.init = Init::Orthogonal;
        config.sigma_w = 1.5;
        let net = config.build::<f64>(3).unwrap();
        for l in 0..2 {
            let s = net.weight_matrix(l).singular_values().unwrap();
            assert!(s.iter().all(|v| (v - 1.5).abs() < 1e-12), "{s:?}");
        }
    }

    #[test]
    fn low_rank_start_has_its_rank_and_gaussian_norm() {
        let mut config = FfnConfig::new(vec![200, 300], Activation::Linear);
        config.init = Init::LowRank { rank: 1, noise: 0.0 };
        let w = config.build::<f64>(4).unwrap().weight_matrix(0);
        let s = w.singular_values().unwrap();
        assert!(s[1] < 1e-9 * s[0]);
        // E‖W‖²_F = σ_w² n_out for the Gaussian ensemble; a rank-one draw fluctuates more.
        let norm2 = s[0] * s[0];
        assert!(norm2 > 300.0 * 0.8 && norm2 < 300.0 * 1.25, "{norm2}");
    }

    #[test]
    fn a_reused_tape_gives_the_same_bits_as_a_fresh_one() {
        for activation in [Activation::Tanh, Activation::Relu, Activation::Erf] {
            let mut config = FfnConfig::new(vec![5, 9, 7, 3], activation);
            config.sigma_b = 0.1;
            let net = config.build::<f64>(8).unwrap();
            let mut tape = Tape::default();
            // Batches of changing size through one tape: every buffer shrinks and grows.
            for (b, seed) in [(6, 1), (2, 2), (11, 3)] {
                let (x, y) = (data(b * 5, seed), data(b * 3, seed + 10));
                let (mut g1, mut g2) = (vec![0.0; net.params.len()], vec![0.0; net.params.len()]);
                let l1 = net.loss_and_gradient_with(&mut tape, &x, &y, b, Loss::Mse, &mut g1);
                let l2 = net.loss_and_gradient(&x, &y, b, Loss::Mse, &mut g2);
                assert_eq!((l1, &g1), (l2, &g2), "{activation:?}, batch {b}");
                assert_eq!(tape.output(), net.forward(&x, b).output());
            }
        }
    }

    #[test]
    fn f32_and_f64_agree() {
        let config = FfnConfig::new(vec![8, 32, 32, 4], Activation::Tanh);
        let (a, b) = (config.build::<f64>(2).unwrap(), config.build::<f32>(2).unwrap());
        let x = data(16 * 8, 1);
        let xf: Vec<f32> = x.iter().map(|v| *v as f32).collect();
        let (ya, yb) = (a.forward(&x, 16), b.forward(&xf, 16));
        for (p, q) in ya.output().iter().zip(yb.output()) {
            assert!((p - *q as f64).abs() < 1e-4, "{p} vs {q}");
        }
    }
}
