//! Echo-state reservoirs for Python: `EsnCore` (built from a config or from given weights, so
//! reservoirpy's weights run here too), ridge readouts and memory capacity.

use crate::{array, data, named, require, spec_error};
use faer::Mat;
use neurodyn::analysis::reservoir::{linear_memory_capacity, memory_capacity, ridge};
use neurodyn::models::reservoir::{Csr, Esn, EsnConfig, Force, Weights};
use neurodyn::tasks::series;
use numpy::{PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<EsnCore>()?;
    m.add_function(wrap_pyfunction!(ridge_fit, m)?)?;
    m.add_function(wrap_pyfunction!(reservoir_memory_capacity, m)?)?;
    m.add_function(wrap_pyfunction!(reservoir_linear_memory_capacity, m)?)?;
    m.add_function(wrap_pyfunction!(mackey_glass, m)?)?;
    m.add_function(wrap_pyfunction!(narma, m)?)?;
    Ok(())
}

type Arr<'py> = Bound<'py, PyArrayDyn<f64>>;

fn matrix(d: &[f64], rows: usize, cols: usize) -> Mat<f64> {
    Mat::from_fn(rows, cols, |i, j| d[i * cols + j])
}

fn flat(m: &Mat<f64>) -> Vec<f64> {
    (0..m.nrows()).flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)])).collect()
}

/// An echo-state reservoir.
#[pyclass(module = "neurodyn._neurodyn")]
pub struct EsnCore {
    esn: Esn,
}

#[pymethods]
impl EsnCore {
    #[new]
    #[pyo3(signature = (n, spectral_radius, input_scaling=1.0, bias_scaling=0.0, leak=1.0,
                        activation="tanh", topology="gaussian", n_input=1, seed=0,
                        connectivity=1.0))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        n: usize,
        spectral_radius: f64,
        input_scaling: f64,
        bias_scaling: f64,
        leak: f64,
        activation: &str,
        topology: &str,
        n_input: usize,
        seed: u64,
        connectivity: f64,
    ) -> PyResult<Self> {
        let config = EsnConfig {
            n,
            spectral_radius,
            input_scaling,
            bias_scaling,
            leak,
            activation: named("activation", activation)?,
            topology: named("topology", topology)?,
            connectivity,
        };
        require(n_input >= 1, "n_input", format!("n_input = {n_input}: at least 1"))?;
        let esn =
            config.build(n_input, seed).map_err(|e| spec_error(Some(&e.field), e.to_string()))?;
        Ok(EsnCore { esn })
    }

    /// A reservoir with the given weights `W` (`n × n`), `W_in` (`n × n_input`), `bias` (`n`).
    #[staticmethod]
    #[pyo3(signature = (w, w_in, bias, leak=1.0, activation="tanh"))]
    fn from_weights(
        w: PyReadonlyArrayDyn<'_, f64>,
        w_in: PyReadonlyArrayDyn<'_, f64>,
        bias: PyReadonlyArrayDyn<'_, f64>,
        leak: f64,
        activation: &str,
    ) -> PyResult<Self> {
        let (wd, ws) = data(&w, "W")?;
        let (id, is) = data(&w_in, "W_in")?;
        let (bd, bs) = data(&bias, "bias")?;
        require(
            ws.len() == 2 && ws[0] == ws[1] && ws[0] > 0,
            "W",
            format!("W must be square, got {ws:?}"),
        )?;
        let n = ws[0];
        require(
            is.len() == 2 && is[0] == n && is[1] > 0,
            "W_in",
            format!("W_in must be ({n}, n_input), got {is:?}"),
        )?;
        require(bs == [n], "bias", format!("bias must have shape ({n},), got {bs:?}"))?;
        require(leak > 0.0 && leak <= 1.0, "leak", format!("leak = {leak}: in (0, 1]"))?;
        let finite = wd.iter().chain(id).chain(bd).all(|v| v.is_finite());
        require(finite, "W", "the weights have non-finite values")?;
        Ok(EsnCore {
            esn: Esn {
                w: Weights::Dense(matrix(wd, n, n)),
                w_in: matrix(id, n, is[1]),
                bias: bd.to_vec(),
                leak,
                activation: named("activation", activation)?,
            },
        })
    }

    /// A reservoir whose `W` is sparse, given as scipy's CSR arrays (`indptr`, `indices`,
    /// `data`) of an `n × n` matrix.
    #[staticmethod]
    #[pyo3(signature = (indptr, indices, values, w_in, bias, leak=1.0, activation="tanh"))]
    #[allow(clippy::too_many_arguments)]
    fn from_csr(
        indptr: Vec<i64>,
        indices: Vec<i64>,
        values: PyReadonlyArrayDyn<'_, f64>,
        w_in: PyReadonlyArrayDyn<'_, f64>,
        bias: PyReadonlyArrayDyn<'_, f64>,
        leak: f64,
        activation: &str,
    ) -> PyResult<Self> {
        let (vd, _) = data(&values, "W")?;
        let (id, is) = data(&w_in, "W_in")?;
        let (bd, bs) = data(&bias, "bias")?;
        require(
            is.len() == 2 && is[1] > 0,
            "W_in",
            format!("W_in must be (n, n_input), got {is:?}"),
        )?;
        let n = is[0];
        require(bs == [n], "bias", format!("bias must have shape ({n},), got {bs:?}"))?;
        require(leak > 0.0 && leak <= 1.0, "leak", format!("leak = {leak}: in (0, 1]"))?;
        let finite = vd.iter().chain(id).chain(bd).all(|v| v.is_finite());
        require(finite, "W", "the weights have non-finite values")?;
        let as_index = |v: i64| usize::try_from(v).ok();
        let indptr: Option<Vec<usize>> = indptr.into_iter().map(as_index).collect();
        let indices: Option<Vec<u32>> =
            indices.into_iter().map(|v| u32::try_from(v).ok()).collect();
        let (Some(indptr), Some(indices)) = (indptr, indices) else {
            return Err(spec_error(Some("W"), "negative or too large CSR indices"));
        };
        let w = Csr::new(n, indptr, indices, vd.to_vec()).map_err(|e| {
            spec_error(Some("W"), format!("W is not a valid {n} × {n} CSR matrix: {e}"))
        })?;
        Ok(EsnCore {
            esn: Esn {
                w: Weights::Sparse(w),
                w_in: matrix(id, n, is[1]),
                bias: bd.to_vec(),
                leak,
                activation: named("activation", activation)?,
            },
        })
    }

    /// FORCE learning: the readout trained online by RLS with its output fed back through
    /// `feedback`; returns (output `(T,)`, final weights `(n,)`, errors while learning).
    #[pyo3(signature = (target, feedback, inputs=None, alpha=1.0, train_steps=None, every=1,
                        initial=None))]
    #[allow(clippy::too_many_arguments)]
    fn force<'py>(
        &self,
        py: Python<'py>,
        target: PyReadonlyArrayDyn<'py, f64>,
        feedback: PyReadonlyArrayDyn<'py, f64>,
        inputs: Option<PyReadonlyArrayDyn<'py, f64>>,
        alpha: f64,
        train_steps: Option<usize>,
        every: usize,
        initial: Option<PyReadonlyArrayDyn<'py, f64>>,
    ) -> PyResult<(Arr<'py>, Arr<'py>, Arr<'py>)> {
        let n = self.esn.n();
        let (td, ts) = data(&target, "target")?;
        let (fd, fs) = data(&feedback, "feedback")?;
        require(ts.len() == 1, "target", format!("target must be (T,), got {ts:?}"))?;
        require(fs == [n], "feedback", format!("feedback must be ({n},), got {fs:?}"))?;
        require(
            alpha > 0.0 && alpha.is_finite(),
            "alpha",
            format!("alpha = {alpha}: a finite value > 0"),
        )?;
        require(every >= 1, "every", format!("every = {every}: at least 1"))?;
        let k = self.esn.w_in.ncols();
        let u = match &inputs {
            None => Vec::new(),
            Some(a) => {
                let (d, s) = data(a, "inputs")?;
                require(
                    s.len() == 2 && s[0] == ts[0] && s[1] == k,
                    "inputs",
                    format!("inputs must be ({}, {k}), got {s:?}", ts[0]),
                )?;
                d.to_vec()
            }
        };
        let initial = match &initial {
            None => Vec::new(),
            Some(a) => {
                let (d, s) = data(a, "initial")?;
                require(s == [n], "initial", format!("initial must be ({n},), got {s:?}"))?;
                d.to_vec()
            }
        };
        let settings = Force {
            initial,
            feedback: fd.to_vec(),
            alpha,
            train_steps: train_steps.unwrap_or(ts[0]),
            every,
        };
        let r = py.detach(|| self.esn.force(&u, td, &settings));
        let ne = r.errors.len();
        Ok((array(py, r.output, &[ts[0]]), array(py, r.weights, &[n]), array(py, r.errors, &[ne])))
    }

    /// The states (`T × n`) driven by `inputs` (`T × n_input`) from zero.
    fn run<'py>(
        &self,
        py: Python<'py>,
        inputs: PyReadonlyArrayDyn<'py, f64>,
    ) -> PyResult<Arr<'py>> {
        let (d, s) = data(&inputs, "inputs")?;
        let k = self.esn.w_in.ncols();
        require(
            s.len() == 2 && s[1] == k,
            "inputs",
            format!("inputs must be (T, {k}), got {s:?}"),
        )?;
        let states = py.detach(|| self.esn.run(d));
        Ok(array(py, states, &[s[0], self.esn.n()]))
    }

    #[getter]
    fn w<'py>(&self, py: Python<'py>) -> Arr<'py> {
        let n = self.esn.n();
        array(py, flat(&self.esn.w.to_dense()), &[n, n])
    }

    #[getter]
    fn w_in<'py>(&self, py: Python<'py>) -> Arr<'py> {
        array(py, flat(&self.esn.w_in), &[self.esn.n(), self.esn.w_in.ncols()])
    }

    #[getter]
    fn bias<'py>(&self, py: Python<'py>) -> Arr<'py> {
        array(py, self.esn.bias.clone(), &[self.esn.n()])
    }
}

/// Ridge weights with intercept, `(p + 1) × q` (last row: intercept).
#[pyfunction]
fn ridge_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArrayDyn<'py, f64>,
    y: PyReadonlyArrayDyn<'py, f64>,
    alpha: f64,
) -> PyResult<Arr<'py>> {
    let (xd, xs) = data(&x, "X")?;
    let (yd, ys) = data(&y, "Y")?;
    require(
        xs.len() == 2 && ys.len() == 2 && xs[0] == ys[0] && xs[0] > 1,
        "X",
        format!("X (rows, p) and Y (rows, q) with the same rows, got {xs:?} and {ys:?}"),
    )?;
    require(
        alpha >= 0.0 && alpha.is_finite(),
        "alpha",
        format!("alpha = {alpha}: a finite value >= 0"),
    )?;
    let w = py.detach(|| ridge(xd, yd, xs[0], alpha)).ok_or_else(|| {
        spec_error(Some("alpha"), "the normal equations are singular: use alpha > 0")
    })?;
    Ok(array(py, w, &[xs[1] + 1, ys[1]]))
}

/// Memory capacity per delay `0 … max_delay` from states (`T × N`) and the scalar input (`T`).
#[pyfunction]
fn reservoir_memory_capacity<'py>(
    py: Python<'py>,
    states: PyReadonlyArrayDyn<'py, f64>,
    u: PyReadonlyArrayDyn<'py, f64>,
    washout: usize,
    n_train: usize,
    max_delay: usize,
    alpha: f64,
) -> PyResult<Arr<'py>> {
    let (sd, ss) = data(&states, "states")?;
    let (ud, us) = data(&u, "u")?;
    require(
        ss.len() == 2 && us.len() == 1 && ss[0] == us[0],
        "states",
        format!("states (T, N) and u (T,), got {ss:?} and {us:?}"),
    )?;
    let mc = py.detach(|| memory_capacity(sd, ud, washout, n_train, max_delay, alpha)).ok_or_else(
        || {
            spec_error(
                Some("n_train"),
                "too few steps after washout and training (or a singular readout)",
            )
        },
    )?;
    let q = mc.len();
    Ok(array(py, mc, &[q]))
}

/// The closed-form memory capacity per delay of the linear reservoir `(W, w_in)`.
#[pyfunction]
fn reservoir_linear_memory_capacity<'py>(
    py: Python<'py>,
    w: PyReadonlyArrayDyn<'py, f64>,
    w_in: PyReadonlyArrayDyn<'py, f64>,
    max_delay: usize,
) -> PyResult<Arr<'py>> {
    let (wd, ws) = data(&w, "W")?;
    let (id, is) = data(&w_in, "w_in")?;
    require(
        ws.len() == 2 && ws[0] == ws[1] && is == [ws[0]],
        "W",
        format!("W (n, n) and w_in (n,), got {ws:?} and {is:?}"),
    )?;
    let n = ws[0];
    let mc = linear_memory_capacity(&matrix(wd, n, n), id, max_delay).ok_or_else(|| {
        spec_error(Some("W"), "no closed form: the spectral radius must be < 1 and C full rank")
    })?;
    let q = mc.len();
    Ok(array(py, mc, &[q]))
}

/// Samples of the Mackey–Glass series.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
fn mackey_glass<'py>(
    py: Python<'py>,
    steps: usize,
    tau: f64,
    a: f64,
    b: f64,
    n: f64,
    x0: f64,
    dt: f64,
    substeps: usize,
) -> PyResult<Arr<'py>> {
    let mg = series::MackeyGlass { tau, a, b, n, x0, dt, substeps };
    let x = py
        .detach(|| series::mackey_glass(steps, &mg))
        .map_err(|e| spec_error(Some(&e.field), e.to_string()))?;
    Ok(array(py, x, &[steps]))
}

/// NARMA inputs and targets.
#[pyfunction]
fn narma<'py>(
    py: Python<'py>,
    steps: usize,
    order: usize,
    seed: u64,
) -> PyResult<(Arr<'py>, Arr<'py>)> {
    let (u, y) =
        series::narma(steps, order, seed).map_err(|e| spec_error(Some(&e.field), e.to_string()))?;
    Ok((array(py, u, &[steps]), array(py, y, &[steps])))
}
