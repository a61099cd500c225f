//! Analysis on arrays: dimensionality, representational similarity, spike-train measures.
//! Matrices are `(samples, features)`; shapes are checked here so the engine's own
//! assertions never fire.

use crate::{array, data, interruptible, require};
use neurodyn::analysis::{decoding, dimensionality as dim, similarity as sim, spikes};
use numpy::{PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pca, m)?)?;
    m.add_function(wrap_pyfunction!(participation_ratio, m)?)?;
    m.add_function(wrap_pyfunction!(two_nn, m)?)?;
    m.add_function(wrap_pyfunction!(levina_bickel, m)?)?;
    m.add_function(wrap_pyfunction!(cca, m)?)?;
    m.add_function(wrap_pyfunction!(svcca, m)?)?;
    m.add_function(wrap_pyfunction!(cka, m)?)?;
    m.add_function(wrap_pyfunction!(procrustes, m)?)?;
    m.add_function(wrap_pyfunction!(isi_cv, m)?)?;
    m.add_function(wrap_pyfunction!(fano_factor, m)?)?;
    m.add_function(wrap_pyfunction!(spike_correlation, m)?)?;
    m.add_function(wrap_pyfunction!(van_rossum, m)?)?;
    m.add_function(wrap_pyfunction!(victor_purpura, m)?)?;
    m.add_function(wrap_pyfunction!(reliability, m)?)?;
    m.add_function(wrap_pyfunction!(population_vector, m)?)?;
    m.add_function(wrap_pyfunction!(decode_trials, m)?)?;
    Ok(())
}

/// A matrix's data, rows and columns.
type Matrix<'a> = (&'a [f64], usize, usize);

/// A `(samples, features)` matrix with at least `min_rows` rows and finite entries.
fn matrix<'a>(
    a: &'a PyReadonlyArrayDyn<'_, f64>,
    name: &str,
    min_rows: usize,
) -> PyResult<Matrix<'a>> {
    let (x, shape) = data(a, name)?;
    require(
        shape.len() == 2,
        name,
        format!("{name} must be 2-D (samples, features), got shape {shape:?}"),
    )?;
    let (rows, cols) = (shape[0], shape[1]);
    require(
        rows >= min_rows,
        name,
        format!("{name} needs at least {min_rows} samples, got {rows}"),
    )?;
    require(cols >= 1, name, format!("{name} needs at least one feature"))?;
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(crate::spec_error(
            Some(name),
            format!("{name}[{}, {}] = {} is not finite", i / cols, i % cols, x[i]),
        ));
    }
    Ok((x, rows, cols))
}

/// Two matrices with the same number of samples.
fn pair<'a>(
    x: &'a PyReadonlyArrayDyn<'_, f64>,
    y: &'a PyReadonlyArrayDyn<'_, f64>,
    min_rows: usize,
) -> PyResult<(Matrix<'a>, Matrix<'a>)> {
    let a = matrix(x, "X", min_rows)?;
    let b = matrix(y, "Y", min_rows)?;
    require(a.1 == b.1, "Y", format!("X has {} samples but Y has {}", a.1, b.1))?;
    Ok((a, b))
}

/// PCA: (components `(k, features)`, explained variance, its ratio, mean).
#[pyfunction]
#[pyo3(signature = (x, n_components=None))]
#[allow(clippy::type_complexity)]
fn pca<'py>(
    py: Python<'py>,
    x: PyReadonlyArrayDyn<'py, f64>,
    n_components: Option<usize>,
) -> PyResult<(
    Bound<'py, PyArrayDyn<f64>>,
    Bound<'py, PyArrayDyn<f64>>,
    Bound<'py, PyArrayDyn<f64>>,
    Bound<'py, PyArrayDyn<f64>>,
)> {
    let (d, _, cols) = matrix(&x, "X", 2)?;
    let k = n_components.unwrap_or(cols);
    require(
        (1..=cols).contains(&k),
        "n_components",
        format!("n_components = {k}: between 1 and {cols}"),
    )?;
    let fit = py
        .detach(|| dim::Pca::fit(d, cols, k))
        .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("PCA: the eigensolver failed"))?;
    let n = fit.explained_variance.len();
    Ok((
        array(py, fit.components, &[n, cols]),
        array(py, fit.explained_variance, &[n]),
        array(py, fit.explained_variance_ratio, &[n]),
        array(py, fit.mean, &[cols]),
    ))
}

/// Participation ratio of the covariance spectrum of `X`.
#[pyfunction]
fn participation_ratio(py: Python<'_>, x: PyReadonlyArrayDyn<'_, f64>) -> PyResult<f64> {
    let (d, _, cols) = matrix(&x, "X", 2)?;
    let fit = py
        .detach(|| dim::Pca::fit(d, cols, cols))
        .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("PCA: the eigensolver failed"))?;
    Ok(dim::participation_ratio(&fit.explained_variance))
}

/// TwoNN intrinsic dimension.
#[pyfunction]
#[pyo3(signature = (x, discard_fraction=0.1, threads=None))]
fn two_nn(
    py: Python<'_>,
    x: PyReadonlyArrayDyn<'_, f64>,
    discard_fraction: f64,
    threads: Option<usize>,
) -> PyResult<f64> {
    let (d, _, cols) = matrix(&x, "X", 3)?;
    require(
        (0.0..1.0).contains(&discard_fraction),
        "discard_fraction",
        format!("discard_fraction = {discard_fraction}: in [0, 1)"),
    )?;
    interruptible(py, threads, |_| dim::two_nn(d, cols, discard_fraction))
}

/// Levina–Bickel intrinsic dimension with `k` neighbours.
#[pyfunction]
#[pyo3(signature = (x, k=10, threads=None))]
fn levina_bickel(
    py: Python<'_>,
    x: PyReadonlyArrayDyn<'_, f64>,
    k: usize,
    threads: Option<usize>,
) -> PyResult<f64> {
    let (d, rows, cols) = matrix(&x, "X", 3)?;
    require(
        (2..rows).contains(&k),
        "k",
        format!("k = {k}: between 2 and samples - 1 = {}", rows - 1),
    )?;
    interruptible(py, threads, |_| dim::levina_bickel(d, cols, k))
}

/// Canonical correlations, descending.
#[pyfunction]
fn cca<'py>(
    py: Python<'py>,
    x: PyReadonlyArrayDyn<'py, f64>,
    y: PyReadonlyArrayDyn<'py, f64>,
) -> PyResult<Bound<'py, PyArrayDyn<f64>>> {
    let ((a, n, p), (b, _, q)) = pair(&x, &y, 2)?;
    require(n > p.max(q), "X", format!("CCA needs more samples ({n}) than features ({p}, {q})"))?;
    let r = py.detach(|| sim::cca(a, b, n));
    let len = r.len();
    Ok(array(py, r, &[len]))
}

/// SVCCA similarity (mean canonical correlation after keeping `variance_kept` by SVD).
#[pyfunction]
#[pyo3(signature = (x, y, variance_kept=0.99))]
fn svcca(
    py: Python<'_>,
    x: PyReadonlyArrayDyn<'_, f64>,
    y: PyReadonlyArrayDyn<'_, f64>,
    variance_kept: f64,
) -> PyResult<f64> {
    let ((a, n, _), (b, _, _)) = pair(&x, &y, 2)?;
    require(
        variance_kept > 0.0 && variance_kept <= 1.0,
        "variance_kept",
        format!("variance_kept = {variance_kept}: in (0, 1]"),
    )?;
    Ok(py.detach(|| sim::svcca(a, b, n, variance_kept)))
}

/// Centred kernel alignment, linear or RBF.
#[pyfunction]
#[pyo3(signature = (x, y, kernel="linear", sigma_factor=0.5))]
fn cka(
    py: Python<'_>,
    x: PyReadonlyArrayDyn<'_, f64>,
    y: PyReadonlyArrayDyn<'_, f64>,
    kernel: &str,
    sigma_factor: f64,
) -> PyResult<f64> {
    let ((a, n, _), (b, _, _)) = pair(&x, &y, 2)?;
    match kernel {
        "linear" => Ok(py.detach(|| sim::linear_cka(a, b, n))),
        "rbf" => {
            require(
                sigma_factor > 0.0,
                "sigma_factor",
                format!("sigma_factor = {sigma_factor}: > 0"),
            )?;
            Ok(py.detach(|| sim::rbf_cka(a, b, n, sigma_factor)))
        }
        other => Err(crate::spec_error(
            Some("kernel"),
            format!("kernel = {other:?}: one of \"linear\", \"rbf\""),
        )),
    }
}

/// Orthogonal Procrustes distance (Euclidean, angular), the narrower side padded with zeros.
#[pyfunction]
fn procrustes(
    py: Python<'_>,
    x: PyReadonlyArrayDyn<'_, f64>,
    y: PyReadonlyArrayDyn<'_, f64>,
) -> PyResult<(f64, f64)> {
    let ((a, n, p), (b, _, q)) = pair(&x, &y, 2)?;
    let width = p.max(q);
    let pad = |d: &[f64], c: usize| -> Vec<f64> {
        (0..n)
            .flat_map(|i| (0..width).map(move |j| if j < c { d[i * c + j] } else { 0.0 }))
            .collect()
    };
    let (a, b) = (pad(a, p), pad(b, q));
    Ok(py.detach(|| sim::procrustes_distance(&a, &b, n)))
}

/// Sorted, finite spike times.
fn train(t: &PyReadonlyArrayDyn<'_, f64>, name: &str) -> PyResult<Vec<f64>> {
    let (d, shape) = data(t, name)?;
    require(
        shape.len() == 1,
        name,
        format!("{name} must be 1-D spike times, got shape {shape:?}"),
    )?;
    require(d.iter().all(|v| v.is_finite()), name, format!("{name} has non-finite spike times"))?;
    let mut v = d.to_vec();
    v.sort_by(f64::total_cmp);
    Ok(v)
}

fn trains(ts: &[PyReadonlyArrayDyn<'_, f64>], name: &str) -> PyResult<Vec<Vec<f64>>> {
    ts.iter().enumerate().map(|(i, t)| train(t, &format!("{name}[{i}]"))).collect()
}

/// Coefficient of variation of the inter-spike intervals.
#[pyfunction]
fn isi_cv(spikes: PyReadonlyArrayDyn<'_, f64>) -> PyResult<f64> {
    Ok(spikes::isi_cv(&train(&spikes, "spikes")?))
}

/// Fano factor of spike counts in `[start, end)` across trials.
#[pyfunction]
fn fano_factor(trials: Vec<PyReadonlyArrayDyn<'_, f64>>, start: f64, end: f64) -> PyResult<f64> {
    require(end > start, "end", format!("end = {end} must exceed start = {start}"))?;
    Ok(spikes::fano_factor(&trains(&trials, "trials")?, start, end))
}

/// Mean pairwise correlation of binned spike counts.
#[pyfunction]
fn spike_correlation(
    trains_: Vec<PyReadonlyArrayDyn<'_, f64>>,
    duration: f64,
    bin: f64,
) -> PyResult<f64> {
    require(bin > 0.0 && duration >= bin, "bin", format!("bin = {bin}: > 0 and <= duration"))?;
    Ok(spikes::mean_pairwise_correlation(&trains(&trains_, "trains")?, duration, bin))
}

/// van Rossum distance with time constant `tau`.
#[pyfunction]
fn van_rossum(
    a: PyReadonlyArrayDyn<'_, f64>,
    b: PyReadonlyArrayDyn<'_, f64>,
    tau: f64,
) -> PyResult<f64> {
    require(tau > 0.0, "tau", format!("tau = {tau}: > 0"))?;
    Ok(spikes::van_rossum_distance(&train(&a, "a")?, &train(&b, "b")?, tau))
}

/// Victor–Purpura distance with cost `q` per unit of time shifted.
#[pyfunction]
fn victor_purpura(
    a: PyReadonlyArrayDyn<'_, f64>,
    b: PyReadonlyArrayDyn<'_, f64>,
    q: f64,
) -> PyResult<f64> {
    require(q >= 0.0, "q", format!("q = {q}: >= 0"))?;
    Ok(spikes::victor_purpura_distance(&train(&a, "a")?, &train(&b, "b")?, q))
}

/// Schreiber reliability of repeated trials.
#[pyfunction]
#[pyo3(signature = (trials, duration, sigma, dt=None))]
fn reliability(
    trials: Vec<PyReadonlyArrayDyn<'_, f64>>,
    duration: f64,
    sigma: f64,
    dt: Option<f64>,
) -> PyResult<f64> {
    require(sigma > 0.0, "sigma", format!("sigma = {sigma}: > 0"))?;
    let dt = dt.unwrap_or(sigma / 10.0);
    require(dt > 0.0 && duration > dt, "dt", format!("dt = {dt}: > 0 and < duration"))?;
    Ok(spikes::schreiber_reliability(&trains(&trials, "trials")?, duration, sigma, dt))
}

/// Population vector of `weights` over cells preferring `preferred` on a circle of
/// circumference `period`: `(angle, length / Σ weights)`, or `None` when the weights cancel.
#[pyfunction]
fn population_vector(
    weights: PyReadonlyArrayDyn<'_, f64>,
    preferred: PyReadonlyArrayDyn<'_, f64>,
    period: f64,
) -> PyResult<Option<(f64, f64)>> {
    let (w, _) = data(&weights, "weights")?;
    let (p, _) = data(&preferred, "preferred")?;
    require(
        w.len() == p.len(),
        "preferred",
        format!("weights has {} values, preferred {}", w.len(), p.len()),
    )?;
    require(period > 0.0 && period.is_finite(), "period", format!("period = {period}: > 0"))?;
    require(w.iter().chain(p).all(|v| v.is_finite()), "weights", "non-finite values")?;
    Ok(decoding::population_vector(w, p, period))
}

/// Leave-one-out nearest-class-mean accuracy of telling the trials' `labels` apart from their
/// spike trains (`trials[k][c]`: cell `c`'s spikes in trial `k`), on van Rossum distances with
/// time constant `tau`, or on spike counts when `tau` is `None`.
#[pyfunction]
#[pyo3(signature = (trials, labels, tau=None))]
fn decode_trials(
    py: Python<'_>,
    trials: Vec<Vec<PyReadonlyArrayDyn<'_, f64>>>,
    labels: Vec<usize>,
    tau: Option<f64>,
) -> PyResult<f64> {
    require(
        trials.len() == labels.len() && trials.len() >= 3,
        "labels",
        format!(
            "{} trials, {} labels: one label per trial, at least 3",
            trials.len(),
            labels.len()
        ),
    )?;
    let cells = trials[0].len();
    let parsed: Vec<Vec<Vec<f64>>> = trials
        .iter()
        .enumerate()
        .map(|(k, t)| {
            require(
                t.len() == cells,
                "trials",
                format!("trial {k} has {} cells, trial 0 {cells}", t.len()),
            )?;
            self::trains(t, &format!("trials[{k}]"))
        })
        .collect::<PyResult<_>>()?;
    if let Some(tau) = tau {
        require(tau > 0.0 && tau.is_finite(), "tau", format!("tau = {tau}: > 0"))?;
    }
    let all: Vec<usize> = (0..cells).collect();
    Ok(py.detach(|| {
        let d2 = match tau {
            Some(tau) => decoding::van_rossum_matrix(&parsed, &all, tau),
            None => decoding::count_matrix(&parsed, &all),
        };
        decoding::nearest_class_accuracy(&d2, &labels)
    }))
}
