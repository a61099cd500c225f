//! Spiking networks from Python: a spec (built by `neurodyn.Network`) made into a network that
//! lives between calls, so `simulate` can be called again and the network continues.

use crate::{from_spec_error, interruptible, spec_error};
use neurodyn::io::npz::Array;
use neurodyn::io::spec::SpikingSpec;
use neurodyn::sim::{Network, Recording};
use numpy::IntoPyArray;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use std::path::Path;
use std::sync::atomic::Ordering;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<SimCore>()?;
    Ok(())
}

/// A built network, its recorders and its spec.
#[pyclass(module = "neurodyn._neurodyn")]
pub struct SimCore {
    spec: SpikingSpec,
    network: Network,
    recording: Recording,
}

/// A named array as numpy (no copy).
fn to_numpy<'py>(py: Python<'py>, a: Array) -> Bound<'py, PyAny> {
    match a {
        Array::F64(shape, v) => {
            ndarray::ArrayD::from_shape_vec(shape, v).expect("shape").into_pyarray(py).into_any()
        }
        Array::I32(shape, v) => {
            ndarray::ArrayD::from_shape_vec(shape, v).expect("shape").into_pyarray(py).into_any()
        }
    }
}

#[pymethods]
impl SimCore {
    /// Builds the network of a spiking spec (TOML text; relative paths from `base`).
    #[new]
    fn new(text: &str, base: &str) -> PyResult<Self> {
        let file = "<neurodyn.Network>";
        let spec = neurodyn::io::spec::spiking::parse(text, file, Path::new(base))
            .map_err(from_spec_error)?;
        neurodyn::spiking::memory(&spec)
            .check(&neurodyn::runner::limits(), text, file)
            .map_err(from_spec_error)?;
        let (network, recording) = neurodyn::spiking::build(&spec).map_err(from_spec_error)?;
        Ok(SimCore { spec, network, recording })
    }

    /// The resolved spec (TOML).
    fn spec(&self) -> String {
        self.spec.to_toml()
    }

    /// Simulated time so far [ms].
    fn time(&self) -> f64 {
        self.network.time()
    }

    /// Advances `duration` ms (rounded to whole steps).
    #[pyo3(signature = (duration, threads=None))]
    fn simulate(&mut self, py: Python<'_>, duration: f64, threads: Option<usize>) -> PyResult<()> {
        let dt = self.network.dt();
        if !(duration.is_finite() && duration >= 0.0) {
            return Err(spec_error(Some("duration"), format!("duration = {duration}: >= 0 ms")));
        }
        let n_steps = (duration / dt).round() as u64;
        let (network, recording, guards) =
            (&mut self.network, &mut self.recording, &self.spec.guards);
        interruptible(py, threads, |stop| {
            network.run(n_steps, recording, guards, &mut |_| !stop.load(Ordering::SeqCst))
        })?
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("simulation stopped: {e}"))
        })?;
        Ok(())
    }

    /// Everything recorded so far: spike times and senders per population, counts, sampled
    /// state, recorded weights, and the current weights and synapses of every projection.
    fn results<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let out = PyDict::new(py);
        let (net, rec) = (&self.network, &self.recording);
        let spikes = PyDict::new(py);
        for (k, a) in neurodyn::spiking::spike_arrays(net, rec) {
            spikes.set_item(k, to_numpy(py, a))?;
        }
        let (state, weights) = neurodyn::spiking::recorded_arrays(net, rec);
        let st = PyDict::new(py);
        for (k, a) in state {
            st.set_item(k, to_numpy(py, a))?;
        }
        let wt = PyDict::new(py);
        for (k, a) in weights {
            wt.set_item(k, to_numpy(py, a))?;
        }
        let synapses = PyDict::new(py);
        for (i, p) in net.projections().iter().enumerate() {
            let pairs = net.synapses(i);
            let pre: Vec<i64> = pairs.iter().map(|s| i64::from(s.0)).collect();
            let post: Vec<i64> = pairs.iter().map(|s| i64::from(s.1)).collect();
            let w = net.weights(i);
            synapses.set_item(
                &p.name,
                (pre.into_pyarray(py), post.into_pyarray(py), w.into_pyarray(py)),
            )?;
        }
        let sizes = PyDict::new(py);
        for p in net.populations() {
            sizes.set_item(&p.name, p.n)?;
        }
        out.set_item("spikes", spikes)?;
        out.set_item("state", st)?;
        out.set_item("weights", wt)?;
        out.set_item("synapses", synapses)?;
        out.set_item("sizes", sizes)?;
        out.set_item("time", net.time())?;
        out.set_item("dt", net.dt())?;
        Ok(out)
    }
}
