//! Decompositions on arrays: CP-ALS, non-negative CP, NMF, convolutive NMF (seqNMF).
//! The Python layer (`neurodyn.decomp`) gives them TensorLy's and scikit-learn's shapes.

use crate::{array, data, from_range, interruptible, require, spec_error};
use neurodyn::analysis::decomp::{cnmf, cp, nmf};
use numpy::{PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(cp_als, m)?)?;
    m.add_function(wrap_pyfunction!(nmf_fit, m)?)?;
    m.add_function(wrap_pyfunction!(cnmf_fit, m)?)?;
    Ok(())
}

type Arr<'py> = Bound<'py, PyArrayDyn<f64>>;

/// A mask as booleans (`True` = observed), the data's size.
fn mask_of(
    mask: Option<&PyReadonlyArrayDyn<'_, f64>>,
    shape: &[usize],
) -> PyResult<Option<Vec<bool>>> {
    let Some(m) = mask else { return Ok(None) };
    let (d, s) = data(m, "mask")?;
    require(s == shape, "mask", format!("mask has shape {s:?}, the data {shape:?}"))?;
    Ok(Some(d.iter().map(|&v| v != 0.0).collect()))
}

/// Engine errors (bad values, shapes) as `SpecError` on `field`.
fn bad(field: &str) -> impl Fn(String) -> PyErr + '_ {
    move |m| spec_error(Some(field), m)
}

/// CP of an order-3 tensor: (weights, [A, B, C], loss per sweep, converged). Plain ALS from
/// Gaussian factors drawn with `seed` or from `init`; `non_negative` uses HALS.
#[pyfunction]
#[pyo3(signature = (x, rank, mask=None, max_iters=100, tol=1e-8, seed=0, init=None, non_negative=false, threads=None))]
#[allow(clippy::type_complexity)]
fn cp_als<'py>(
    py: Python<'py>,
    x: PyReadonlyArrayDyn<'py, f64>,
    rank: usize,
    mask: Option<PyReadonlyArrayDyn<'py, f64>>,
    max_iters: usize,
    tol: f64,
    seed: u64,
    init: Option<Vec<PyReadonlyArrayDyn<'py, f64>>>,
    non_negative: bool,
    threads: Option<usize>,
) -> PyResult<(Arr<'py>, Vec<Arr<'py>>, Arr<'py>, bool)> {
    let (d, shape) = data(&x, "X")?;
    require(shape.len() == 3, "X", format!("X must be an order-3 tensor, got shape {shape:?}"))?;
    let shape3 = [shape[0], shape[1], shape[2]];
    let mask = mask_of(mask.as_ref(), &shape)?;
    let config = cp::CpConfig { rank, max_iters, tol, seed };
    let init = match init {
        None => None,
        Some(fs) => {
            require(
                fs.len() == 3,
                "init",
                format!("init needs 3 factor matrices, got {}", fs.len()),
            )?;
            let mut out: [Vec<f64>; 3] = Default::default();
            for (m, f) in fs.iter().enumerate() {
                let (v, s) = data(f, "init")?;
                require(
                    s == [shape3[m], rank],
                    "init",
                    format!("init factor {m} has shape {s:?}, expected ({}, {rank})", shape3[m]),
                )?;
                out[m] = v.to_vec();
            }
            Some(out)
        }
    };
    require(!(non_negative && init.is_some()), "init", "init is not supported with non_negative")?;
    let fit = interruptible(py, threads, |_| {
        let m = mask.as_deref();
        match (non_negative, init) {
            (true, _) => cp::nncp_hals(d, shape3, m, &config),
            (false, Some(f)) => cp::cp_als_from(d, shape3, m, &config, f),
            (false, None) => cp::cp_als(d, shape3, m, &config),
        }
    })?
    .map_err(|e| match e {
        cp::CpError::Config(r) => from_range(r),
        e => spec_error(Some("X"), e),
    })?;
    let [a, b, c] = fit.factors;
    let factors = vec![
        array(py, a, &[shape3[0], rank]),
        array(py, b, &[shape3[1], rank]),
        array(py, c, &[shape3[2], rank]),
    ];
    let n_loss = fit.loss.len();
    Ok((array(py, fit.weights, &[rank]), factors, array(py, fit.loss, &[n_loss]), fit.converged))
}

/// NMF `X ≈ W H`: (W, H, loss per sweep, converged).
#[pyfunction]
#[pyo3(signature = (x, rank, mask=None, algorithm="hals", max_iters=200, tol=1e-6, seed=0, threads=None))]
#[allow(clippy::type_complexity)]
fn nmf_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArrayDyn<'py, f64>,
    rank: usize,
    mask: Option<PyReadonlyArrayDyn<'py, f64>>,
    algorithm: &str,
    max_iters: usize,
    tol: f64,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<(Arr<'py>, Arr<'py>, Arr<'py>, bool)> {
    let (d, shape) = data(&x, "X")?;
    require(shape.len() == 2, "X", format!("X must be 2-D, got shape {shape:?}"))?;
    let (m, n) = (shape[0], shape[1]);
    let mask = mask_of(mask.as_ref(), &shape)?;
    let algorithm = match algorithm {
        "hals" => nmf::NmfAlgorithm::Hals,
        "mu" => nmf::NmfAlgorithm::Mu,
        other => {
            return Err(spec_error(
                Some("algorithm"),
                format!("algorithm = {other:?}: one of \"hals\", \"mu\""),
            ));
        }
    };
    let config = nmf::NmfConfig { rank, algorithm, max_iters, tol, seed };
    let fit = interruptible(py, threads, |_| nmf::nmf(d, m, n, mask.as_deref(), &config))?
        .map_err(|e| match e {
            nmf::NmfError::Config(r) => from_range(r),
            e => bad("X")(e.to_string()),
        })?;
    let n_loss = fit.loss.len();
    Ok((
        array(py, fit.w, &[m, rank]),
        array(py, fit.h, &[rank, n]),
        array(py, fit.loss, &[n_loss]),
        fit.converged,
    ))
}

/// Convolutive NMF `X ≈ Σ_l W_l S^l H` (seqNMF penalty `lambda`): (W `(n, rank, lag)`,
/// H `(rank, t)`, loss, converged).
#[pyfunction]
#[pyo3(signature = (x, rank, lag, mask=None, algorithm="hals", penalty=0.0, max_iters=200, tol=1e-6, seed=0, threads=None))]
#[allow(clippy::type_complexity)]
fn cnmf_fit<'py>(
    py: Python<'py>,
    x: PyReadonlyArrayDyn<'py, f64>,
    rank: usize,
    lag: usize,
    mask: Option<PyReadonlyArrayDyn<'py, f64>>,
    algorithm: &str,
    penalty: f64,
    max_iters: usize,
    tol: f64,
    seed: u64,
    threads: Option<usize>,
) -> PyResult<(Arr<'py>, Arr<'py>, Arr<'py>, bool)> {
    let (d, shape) = data(&x, "X")?;
    require(shape.len() == 2, "X", format!("X must be 2-D (neurons, time), got shape {shape:?}"))?;
    let (n, t) = (shape[0], shape[1]);
    let mask = mask_of(mask.as_ref(), &shape)?;
    let algorithm = match algorithm {
        "hals" => cnmf::CnmfAlgorithm::Hals,
        "anls" => cnmf::CnmfAlgorithm::Anls,
        "mu" => cnmf::CnmfAlgorithm::Mu,
        other => {
            return Err(spec_error(
                Some("algorithm"),
                format!("algorithm = {other:?}: one of \"hals\", \"anls\", \"mu\""),
            ));
        }
    };
    let config = cnmf::CnmfConfig { rank, lag, algorithm, lambda: penalty, max_iters, tol, seed };
    let fit = interruptible(py, threads, |_| cnmf::cnmf(d, n, t, mask.as_deref(), &config))?
        .map_err(|e| match e {
            cnmf::CnmfError::Config(r) => from_range(r),
            e => bad("X")(e.to_string()),
        })?;
    let n_loss = fit.loss.len();
    Ok((
        array(py, fit.w, &[n, rank, lag]),
        array(py, fit.h, &[rank, t]),
        array(py, fit.loss, &[n_loss]),
        fit.converged,
    ))
}
