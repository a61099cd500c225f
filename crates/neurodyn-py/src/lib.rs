//! Python bindings of neurodyn: the extension module `neurodyn._neurodyn`, wrapped by the
//! pure-Python package in `python/neurodyn/` (which holds the documented API; this module is
//! its private engine room).
//!
//! Conventions: arrays come in as C-contiguous float64 (the Python layer converts only when
//! they are not, so the common case reads numpy's buffer without a copy) and go out as numpy
//! arrays that take ownership of our buffers (no copy). Every heavy call releases the GIL and
//! runs on a rayon pool of `threads` workers in a helper thread while the calling thread
//! checks for Ctrl-C every 100 ms ([`interruptible`]). Bad input raises
//! `neurodyn.SpecError` (a `ValueError` with the offending field) before anything runs.
// A front end, like the CLI: it reads the clock to name and time runs.
#![allow(clippy::disallowed_methods)]

mod analysis;
mod decomp;
mod ffn;
mod reservoir;
mod rnn;
mod runs;
mod spiking;

use numpy::{IntoPyArray, PyArrayDyn, PyReadonlyArrayDyn, PyUntypedArrayMethods};
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// `neurodyn.SpecError(message, field)`: bad input, with the dotted path of the field.
pub(crate) fn spec_error(field: Option<&str>, message: impl std::fmt::Display) -> PyErr {
    Python::attach(|py| {
        let made = py
            .import("neurodyn.errors")
            .and_then(|m| m.getattr("SpecError"))
            .and_then(|cls| cls.call1((message.to_string(), field)));
        match made {
            Ok(instance) => PyErr::from_value(instance),
            Err(e) => e,
        }
    })
}

/// A [`neurodyn::io::spec::SpecError`] as `neurodyn.SpecError`.
pub(crate) fn from_spec_error(e: neurodyn::io::spec::SpecError) -> PyErr {
    spec_error(e.field.as_deref(), &e)
}

/// A range error of a config (`field`: value, what is allowed) as `neurodyn.SpecError`.
pub(crate) fn from_range(e: neurodyn::core::RangeError) -> PyErr {
    spec_error(Some(&e.field), &e)
}

/// Requires `ok`, else raises `SpecError` on `field`.
pub(crate) fn require(ok: bool, field: &str, message: impl std::fmt::Display) -> PyResult<()> {
    if ok { Ok(()) } else { Err(spec_error(Some(field), message)) }
}

/// The variant of the engine's enum `T` that `value` names, by the names the specs use (its
/// serde names), or a `SpecError` on `field` saying which names there are.
pub(crate) fn named<T: serde::de::DeserializeOwned>(field: &str, value: &str) -> PyResult<T> {
    use serde::de::value::{Error, StrDeserializer};
    T::deserialize(StrDeserializer::<Error>::new(value))
        .map_err(|e| spec_error(Some(field), format!("{field} = {value:?}: {e}")))
}

/// A float64 array's data (C-contiguous; the Python layer makes it so) and shape.
pub(crate) fn data<'a>(
    a: &'a PyReadonlyArrayDyn<'_, f64>,
    name: &str,
) -> PyResult<(&'a [f64], Vec<usize>)> {
    let slice = a.as_slice().map_err(|_| {
        spec_error(Some(name), format!("{name} must be C-contiguous (np.ascontiguousarray)"))
    })?;
    Ok((slice, a.shape().to_vec()))
}

/// Hands `values` to numpy as an array of `shape`, without copying.
pub(crate) fn array<'py>(
    py: Python<'py>,
    values: Vec<f64>,
    shape: &[usize],
) -> Bound<'py, PyArrayDyn<f64>> {
    ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(shape), values)
        .expect("the shape matches the values")
        .into_pyarray(py)
}

/// The number of worker threads: `threads`, or every core.
pub(crate) fn thread_count(threads: Option<usize>) -> usize {
    threads
        .filter(|&t| t > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Runs `work` without the GIL on a rayon pool of `threads` workers, in a helper thread,
/// while this thread checks for signals every 100 ms. On Ctrl-C (a pending
/// `KeyboardInterrupt`) it raises the flag `work` receives, waits for `work` to return (the
/// observers in our loops check the flag), and raises the interrupt.
pub(crate) fn interruptible<T: Send>(
    py: Python<'_>,
    threads: Option<usize>,
    work: impl FnOnce(&AtomicBool) -> T + Send,
) -> PyResult<T> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(thread_count(threads))
        .build()
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    let stop = AtomicBool::new(false);
    let (result, signal) = py.detach(|| {
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let (stop, pool) = (&stop, &pool);
            // The channel closes when the helper ends, by returning or by a panic.
            let handle = scope.spawn(move || {
                let _done = tx;
                pool.install(|| work(stop))
            });
            let mut signal = None;
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                rx.recv_timeout(Duration::from_millis(100))
            {
                if signal.is_none()
                    && let Err(e) = Python::attach(|py| py.check_signals())
                {
                    stop.store(true, Ordering::SeqCst);
                    signal = Some(e);
                }
            }
            // A panic is caught here and becomes an exception, never a crash.
            (handle.join().ok(), signal)
        })
    });
    match (result, signal) {
        (_, Some(e)) => Err(e),
        (Some(result), None) => Ok(result),
        (None, None) => Err(pyo3::exceptions::PyRuntimeError::new_err(
            "neurodyn: the computation panicked (a bug; please report it with the input that caused it)",
        )),
    }
}

/// The extension module.
#[pymodule]
fn _neurodyn(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    neurodyn::core::mat::sequential_faer();
    runs::register(m)?;
    analysis::register(m)?;
    decomp::register(m)?;
    reservoir::register(m)?;
    ffn::register(m)?;
    rnn::register(m)?;
    spiking::register(m)?;
    Ok(())
}
