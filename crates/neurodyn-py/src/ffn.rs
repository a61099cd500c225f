//! Feed-forward networks for Python: `FfnCore` over `models::ffn::Ffn<f64>` — forward passes
//! with every layer, the loss and its exact gradient, the input–output Jacobian, and full- or
//! mini-batch training with SGD or Adam on the caller's arrays.

use crate::{array, data, interruptible, named, require, spec_error};
use neurodyn::core::rng;
use neurodyn::models::ffn::{Ffn, FfnConfig, Init, Loss, Tape};
use neurodyn::train::{Optimizer, OptimizerKind};
use numpy::{PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use rand::RngExt;
use std::sync::atomic::Ordering;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<FfnCore>()
}

type Arr<'py> = Bound<'py, PyArrayDyn<f64>>;

/// A dense feed-forward network in float64.
#[pyclass(module = "neurodyn._neurodyn")]
pub struct FfnCore {
    net: Ffn<f64>,
}

impl FfnCore {
    fn batch(
        &self,
        x: &PyReadonlyArrayDyn<'_, f64>,
        name: &str,
        width: usize,
    ) -> PyResult<(Vec<f64>, usize)> {
        let (d, s) = data(x, name)?;
        require(
            s.len() == 2 && s[1] == width && s[0] > 0,
            name,
            format!("{name} must be (batch, {width}) with batch >= 1, got {s:?}"),
        )?;
        require(d.iter().all(|v| v.is_finite()), name, format!("{name} has non-finite values"))?;
        Ok((d.to_vec(), s[0]))
    }
}

#[pymethods]
impl FfnCore {
    #[new]
    #[pyo3(signature = (widths, activation="tanh", init="gaussian", sigma_w=1.0, sigma_b=0.0,
                        bias=true, rank=1, noise=0.0, seed=0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        widths: Vec<usize>,
        activation: &str,
        init: &str,
        sigma_w: f64,
        sigma_b: f64,
        bias: bool,
        rank: usize,
        noise: f64,
        seed: u64,
    ) -> PyResult<Self> {
        let init = match init {
            "gaussian" => Init::Gaussian,
            "orthogonal" => Init::Orthogonal,
            "low_rank" => Init::LowRank { rank, noise },
            other => {
                return Err(spec_error(
                    Some("init"),
                    format!("init = {other:?}: one of \"gaussian\", \"orthogonal\", \"low_rank\""),
                ));
            }
        };
        let config = FfnConfig {
            widths,
            activation: named("activation", activation)?,
            init,
            sigma_w,
            sigma_b,
            bias,
        };
        let net =
            config.build::<f64>(seed).map_err(|e| spec_error(Some(&e.field), e.to_string()))?;
        Ok(FfnCore { net })
    }

    /// Every parameter, flat (per layer: `W` row-major, then `b`).
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> Arr<'py> {
        array(py, self.net.params.clone(), &[self.net.params.len()])
    }

    #[setter]
    fn set_params(&mut self, params: PyReadonlyArrayDyn<'_, f64>) -> PyResult<()> {
        let (d, _) = data(&params, "params")?;
        let n = self.net.params.len();
        require(d.len() == n, "params", format!("params must have {n} values, got {}", d.len()))?;
        require(d.iter().all(|v| v.is_finite()), "params", "params has non-finite values")?;
        self.net.params.copy_from_slice(d);
        Ok(())
    }

    /// Layer widths `[n_in, hidden…, n_out]`.
    #[getter]
    fn widths(&self) -> Vec<usize> {
        self.net.config.widths.clone()
    }

    /// `W_l` (`n_l × n_{l−1}`).
    fn weight<'py>(&self, py: Python<'py>, layer: usize) -> PyResult<Arr<'py>> {
        let l = self.net.n_layers();
        require(layer < l, "layer", format!("layer = {layer}: the network has {l} weight layers"))?;
        let w = &self.net.config.widths;
        Ok(array(py, self.net.weights(layer).to_vec(), &[w[layer + 1], w[layer]]))
    }

    /// Every layer's activations `H_0 … H_L` for a batch `x` (`batch × n_in`).
    fn forward<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArrayDyn<'py, f64>,
    ) -> PyResult<Vec<Arr<'py>>> {
        let (x, b) = self.batch(&x, "x", self.net.n_in())?;
        let tape = py.detach(|| self.net.forward(&x, b));
        let w = &self.net.config.widths;
        Ok(tape.activations.into_iter().zip(w).map(|(h, n)| array(py, h, &[b, *n])).collect())
    }

    /// The loss on `(x, y)` and its gradient with respect to every parameter.
    #[pyo3(signature = (x, y, loss="mse"))]
    fn loss_and_gradient<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArrayDyn<'py, f64>,
        y: PyReadonlyArrayDyn<'py, f64>,
        loss: &str,
    ) -> PyResult<(f64, Arr<'py>)> {
        let loss: Loss = named("loss", loss)?;
        let (x, b) = self.batch(&x, "x", self.net.n_in())?;
        let (y, by) = self.batch(&y, "y", self.net.n_out())?;
        require(by == b, "y", format!("y has {by} rows, x has {b}"))?;
        let mut g = vec![0.0; self.net.params.len()];
        let value = py.detach(|| self.net.loss_and_gradient(&x, &y, b, loss, &mut g));
        let n = g.len();
        Ok((value, array(py, g, &[n])))
    }

    /// The input–output Jacobian at one input `x` (`n_in`): `n_out × n_in`.
    fn jacobian<'py>(
        &self,
        py: Python<'py>,
        x: PyReadonlyArrayDyn<'py, f64>,
    ) -> PyResult<Arr<'py>> {
        let (d, s) = data(&x, "x")?;
        let n = self.net.n_in();
        require(s == [n], "x", format!("x must be ({n},), got {s:?}"))?;
        let j = self.net.input_output_jacobian(d);
        let flat = (0..j.nrows())
            .flat_map(|i| (0..j.ncols()).map(move |c| (i, c)))
            .map(|(i, c)| j[(i, c)])
            .collect();
        Ok(array(py, flat, &[j.nrows(), j.ncols()]))
    }

    /// Trains on `(x, y)`: `steps` updates of SGD (`momentum`) or Adam, each on `batch`
    /// examples drawn with replacement (all of them, in order, when `batch` is None). Returns
    /// the loss of every update's batch. Ctrl-C stops between updates.
    #[pyo3(signature = (x, y, loss="mse", optimizer="adam", learning_rate=1e-3, steps=100,
                        batch=None, momentum=0.0, seed=0))]
    #[allow(clippy::too_many_arguments)]
    fn fit<'py>(
        &mut self,
        py: Python<'py>,
        x: PyReadonlyArrayDyn<'py, f64>,
        y: PyReadonlyArrayDyn<'py, f64>,
        loss: &str,
        optimizer: &str,
        learning_rate: f64,
        steps: usize,
        batch: Option<usize>,
        momentum: f64,
        seed: u64,
    ) -> PyResult<Arr<'py>> {
        let loss: Loss = named("loss", loss)?;
        let kind = match optimizer {
            "adam" => OptimizerKind::default(),
            "sgd" => OptimizerKind::Sgd { momentum },
            other => {
                return Err(spec_error(
                    Some("optimizer"),
                    format!("optimizer = {other:?}: \"adam\" or \"sgd\""),
                ));
            }
        };
        require(
            learning_rate.is_finite() && learning_rate > 0.0,
            "learning_rate",
            format!("learning_rate = {learning_rate}: finite, > 0"),
        )?;
        require(
            (0.0..1.0).contains(&momentum),
            "momentum",
            format!("momentum = {momentum}: in [0, 1)"),
        )?;
        let (n_in, n_out) = (self.net.n_in(), self.net.n_out());
        let (x, p) = self.batch(&x, "x", n_in)?;
        let (y, py_rows) = self.batch(&y, "y", n_out)?;
        require(py_rows == p, "y", format!("y has {py_rows} rows, x has {p}"))?;
        let b = batch.unwrap_or(p);
        require(b >= 1 && b <= p, "batch", format!("batch = {b}: between 1 and the {p} examples"))?;
        let net = &mut self.net;
        let losses = interruptible(py, Some(1), |stop| {
            let mut opt = Optimizer::<f64>::new(kind, net.params.len());
            let mut grads = vec![0.0; net.params.len()];
            let mut tape = Tape::default();
            let mut order = rng::stream(seed, "ffn/fit", 0);
            let (mut xb, mut yb) = (vec![0.0; b * n_in], vec![0.0; b * n_out]);
            let mut losses = Vec::with_capacity(steps);
            for _ in 0..steps {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let value = if b == p {
                    net.loss_and_gradient_with(&mut tape, &x, &y, p, loss, &mut grads)
                } else {
                    for r in 0..b {
                        let i = order.random_range(0..p);
                        xb[r * n_in..(r + 1) * n_in].copy_from_slice(&x[i * n_in..(i + 1) * n_in]);
                        yb[r * n_out..(r + 1) * n_out]
                            .copy_from_slice(&y[i * n_out..(i + 1) * n_out]);
                    }
                    net.loss_and_gradient_with(&mut tape, &xb, &yb, b, loss, &mut grads)
                };
                losses.push(value);
                if !value.is_finite() {
                    break;
                }
                opt.update(&mut net.params, &grads, learning_rate);
            }
            losses
        })?;
        let n = losses.len();
        if losses.last().is_some_and(|v| !v.is_finite()) {
            return Err(spec_error(
                Some("learning_rate"),
                format!(
                    "training diverged at update {n} (loss not finite); lower learning_rate ({learning_rate})"
                ),
            ));
        }
        Ok(array(py, losses, &[n]))
    }
}
