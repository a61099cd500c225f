//! Rate RNNs (forward, Jacobian, training on tasks or the user's arrays), tasks, fixed points
//! and Lyapunov spectra. Sequences are `(time, trial, channel)`, PyTorch's sequence-first
//! layout; a state is `h` (or `(h, c)` stacked for the LSTM).

use crate::{array, data, from_range, interruptible, named, require, spec_error};
use neurodyn::analysis::fixed_points::{self as fp, FixedPointConfig};
use neurodyn::analysis::lyapunov::{LyapunovConfig, lyapunov_spectrum};
use neurodyn::core::Dynamics;
use neurodyn::core::rng;
use neurodyn::models::rnn::{CellKind, DaleConfig, Rnn, RnnConfig, Tape};
use neurodyn::tasks::{self, Task, TaskBatch};
use neurodyn::train::{
    Event, NoiseStreams, OptimizerKind, StopReason, TrainConfig, Trainer, population,
};
use numpy::{PyArrayDyn, PyReadonlyArrayDyn};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use rand::RngExt;
use std::ops::ControlFlow;
use std::sync::atomic::Ordering;

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<RnnCore>()?;
    m.add_class::<TanhCore>()?;
    m.add_function(wrap_pyfunction!(task_sample, m)?)?;
    m.add_function(wrap_pyfunction!(sample_states, m)?)?;
    m.add_function(wrap_pyfunction!(fixed_points, m)?)?;
    m.add_function(wrap_pyfunction!(fixed_points_population, m)?)?;
    m.add_function(wrap_pyfunction!(lyapunov, m)?)?;
    m.add_function(wrap_pyfunction!(train_population, m)?)?;
    Ok(())
}

type Arr<'py> = Bound<'py, PyArrayDyn<f64>>;

/// A rate RNN in float64 (training runs in float32, as the CLI's, and copies back).
#[pyclass(module = "neurodyn._neurodyn")]
pub struct RnnCore {
    rnn: Rnn<f64>,
}

/// `(time, trial, channels)` with `channels` fixed.
fn sequence<'a>(
    a: &'a PyReadonlyArrayDyn<'_, f64>,
    name: &str,
    channels: usize,
) -> PyResult<(&'a [f64], usize, usize)> {
    let (d, s) = data(a, name)?;
    require(
        s.len() == 3 && s[2] == channels,
        name,
        format!("{name} must have shape (time, trial, {channels}), got {s:?}"),
    )?;
    require(d.iter().all(|v| v.is_finite()), name, format!("{name} has non-finite values"))?;
    Ok((d, s[0], s[1]))
}

#[pymethods]
impl RnnCore {
    #[new]
    #[pyo3(signature = (cell, n_input, n_hidden, n_output, alpha, activation, init_gain, e_fraction, connection_prob, seed))]
    fn new(
        cell: &str,
        n_input: usize,
        n_hidden: usize,
        n_output: usize,
        alpha: f64,
        activation: &str,
        init_gain: f64,
        e_fraction: Option<f64>,
        connection_prob: f64,
        seed: u64,
    ) -> PyResult<Self> {
        let config = RnnConfig {
            cell: named("cell", cell)?,
            n_input,
            n_hidden,
            n_output,
            alpha,
            activation: named("activation", activation)?,
            init_gain,
            dale: e_fraction.map(|e_fraction| DaleConfig { e_fraction }),
            connection_prob,
        };
        Ok(RnnCore { rnn: config.build(seed).map_err(from_range)? })
    }

    /// The flat parameter vector (a copy).
    fn params<'py>(&self, py: Python<'py>) -> Arr<'py> {
        let p = self.rnn.params().to_vec();
        let n = p.len();
        array(py, p, &[n])
    }

    /// Replaces the flat parameter vector.
    fn set_params(&mut self, params: PyReadonlyArrayDyn<'_, f64>) -> PyResult<()> {
        let (d, s) = data(&params, "params")?;
        let n = self.rnn.params().len();
        require(s == [n], "params", format!("params must have shape ({n},), got {s:?}"))?;
        require(d.iter().all(|v| v.is_finite()), "params", "params has non-finite values")?;
        self.rnn.params_mut().copy_from_slice(d);
        Ok(())
    }

    /// `[(block, start, end)]` of the flat layout: w_h, w_x, b_x, b_h, w_out, b_out.
    fn layout(&self) -> Vec<(String, usize, usize)> {
        let l = self.rnn.layout();
        [
            ("w_h", &l.w_h),
            ("w_x", &l.w_x),
            ("b_x", &l.b_x),
            ("b_h", &l.b_h),
            ("w_out", &l.w_out),
            ("b_out", &l.b_out),
        ]
        .into_iter()
        .map(|(n, r)| (n.to_string(), r.start, r.end))
        .collect()
    }

    /// `(cell, n_input, n_hidden, n_output, state_len)`.
    fn dims(&self) -> (String, usize, usize, usize, usize) {
        let c = self.rnn.config();
        let cell = match c.cell {
            CellKind::Vanilla => "vanilla",
            CellKind::Gru => "gru",
            CellKind::Lstm => "lstm",
        };
        (cell.into(), c.n_input, c.n_hidden, c.n_output, self.rnn.state_len())
    }

    /// Runs `inputs` `(T, B, I)` from `h0` `(B, S)` (zeros when None): (outputs `(T, B, O)`,
    /// states `(T, B, S)` after each step).
    #[pyo3(signature = (inputs, h0=None))]
    fn forward<'py>(
        &self,
        py: Python<'py>,
        inputs: PyReadonlyArrayDyn<'py, f64>,
        h0: Option<PyReadonlyArrayDyn<'py, f64>>,
    ) -> PyResult<(Arr<'py>, Arr<'py>)> {
        let c = self.rnn.config();
        let (x, t, b) = sequence(&inputs, "inputs", c.n_input)?;
        let s = self.rnn.state_len();
        let (o, i) = (c.n_output, c.n_input);
        let h0 = match &h0 {
            None => None,
            Some(h) => {
                let (d, shape) = data(h, "h0")?;
                require(
                    shape == [b, s],
                    "h0",
                    format!("h0 must have shape ({b}, {s}), got {shape:?}"),
                )?;
                Some(d)
            }
        };
        let rnn = &self.rnn;
        let (outputs, states) = py.detach(|| {
            let mut states = vec![0.0; t * b * s];
            let mut outputs = vec![0.0; t * b * o];
            match h0 {
                None => {
                    let mut tape = Tape::default();
                    rnn.forward(x, t, b, None, &mut tape, &mut outputs);
                    states.copy_from_slice(&tape.states[b * s..]);
                }
                Some(h0) => {
                    let mut h = h0.to_vec();
                    let mut next = vec![0.0; b * s];
                    for step in 0..t {
                        // One trial at a time: the batched step holds one input for all rows.
                        for k in 0..b {
                            let at = (step * b + k) * i;
                            rnn.step_batch_in_place(
                                &h[k * s..(k + 1) * s],
                                &x[at..at + i],
                                &mut next[k * s..(k + 1) * s],
                            );
                        }
                        std::mem::swap(&mut h, &mut next);
                        states[step * b * s..(step + 1) * b * s].copy_from_slice(&h);
                    }
                    let n = c.n_hidden;
                    let hidden: Vec<f64> =
                        (0..t * b).flat_map(|r| states[r * s..r * s + n].to_vec()).collect();
                    rnn.readout(neurodyn::core::mat::view(&hidden, t * b, n), &mut outputs);
                }
            }
            (outputs, states)
        });
        Ok((array(py, outputs, &[t, b, o]), array(py, states, &[t, b, s])))
    }

    /// The Jacobian `∂F/∂h` `(S, S)` at state `h` `(S,)` and input `x` `(I,)`.
    fn jacobian<'py>(
        &self,
        py: Python<'py>,
        h: PyReadonlyArrayDyn<'py, f64>,
        x: PyReadonlyArrayDyn<'py, f64>,
    ) -> PyResult<Arr<'py>> {
        jacobian_of(py, &self.rnn, &h, &x)
    }

    /// Trains on a named task (`task` = (name, params JSON)) or on the arrays
    /// `(inputs, targets, mask)`; returns the loss of every step and why it stopped.
    #[pyo3(signature = (task, inputs, targets, mask, steps, batch, lr, optimizer, clip, seed, noise_std, threads, callback, batch_chunks=1, noise_streams="per_step"))]
    fn train<'py>(
        &mut self,
        py: Python<'py>,
        task: Option<(String, String)>,
        inputs: Option<PyReadonlyArrayDyn<'py, f64>>,
        targets: Option<PyReadonlyArrayDyn<'py, f64>>,
        mask: Option<PyReadonlyArrayDyn<'py, f64>>,
        steps: usize,
        batch: usize,
        lr: f64,
        optimizer: &str,
        clip: f64,
        seed: u64,
        noise_std: f64,
        threads: Option<usize>,
        callback: Option<Py<PyAny>>,
        batch_chunks: usize,
        noise_streams: &str,
    ) -> PyResult<(Arr<'py>, String)> {
        let c = self.rnn.config().clone();
        let task = training_task(&c, task, inputs, targets, mask)?;
        let config = training_config(
            optimizer,
            lr,
            batch,
            steps,
            clip,
            noise_std,
            batch_chunks,
            noise_streams,
        )?;
        let mut trainer = Trainer::new(self.rnn.cast::<f32>(), &config);
        let task = &*task;
        let outcome = interruptible(py, threads, |stop| {
            let mut losses = Vec::with_capacity(steps);
            let mut error = None;
            let reason = trainer.run(task, &config, seed, &mut |event| {
                if let Event::Step { step, loss } = event {
                    losses.push(loss);
                    if let Some(cb) = &callback {
                        let go_on = Python::attach(|py| match cb.call1(py, (step, loss)) {
                            // Only an explicit False stops.
                            Ok(r) => r.bind(py).extract::<bool>().unwrap_or(true),
                            Err(e) => {
                                error = Some(e);
                                false
                            }
                        });
                        if !go_on {
                            return ControlFlow::Break(());
                        }
                    }
                }
                if stop.load(Ordering::SeqCst) {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                }
            });
            (reason, losses, error)
        });
        // The trained weights are kept when a callback or Ctrl-C stopped the run.
        self.rnn = trainer.rnn.cast::<f64>();
        let (reason, losses, error) = outcome?;
        if let Some(e) = error {
            return Err(e);
        }
        let n = losses.len();
        Ok((array(py, losses, &[n]), reason_name(reason).to_string()))
    }
}

/// The Python name of a stop reason.
fn reason_name(reason: StopReason) -> &'static str {
    match reason {
        StopReason::MaxSteps => "max_steps",
        StopReason::TargetLoss => "target_loss",
        StopReason::Interrupted => "callback",
        StopReason::Diverged => "diverged",
    }
}

/// The task to train on: a named task (`(name, params JSON)`) or the user's arrays, checked
/// against the network's inputs and outputs.
fn training_task(
    c: &RnnConfig,
    task: Option<(String, String)>,
    inputs: Option<PyReadonlyArrayDyn<'_, f64>>,
    targets: Option<PyReadonlyArrayDyn<'_, f64>>,
    mask: Option<PyReadonlyArrayDyn<'_, f64>>,
) -> PyResult<Box<dyn Task + Sync>> {
    let task: Box<dyn Task + Sync> = match (task, inputs, targets) {
        (Some((name, json)), _, _) => named_task(&name, &json)?,
        (None, Some(x), Some(y)) => Box::new(ArrayTask::new(&x, &y, mask.as_ref(), c)?),
        _ => return Err(spec_error(Some("data"), "a task or (inputs, targets, mask) arrays")),
    };
    require(
        task.n_input() == c.n_input && task.n_output() == c.n_output,
        "data",
        format!(
            "the task has {} inputs and {} outputs, the network {} and {}",
            task.n_input(),
            task.n_output(),
            c.n_input,
            c.n_output
        ),
    )?;
    Ok(task)
}

/// Training settings from the Python arguments, validated.
#[allow(clippy::too_many_arguments)]
fn training_config(
    optimizer: &str,
    lr: f64,
    batch: usize,
    steps: usize,
    clip: f64,
    noise_std: f64,
    batch_chunks: usize,
    noise_streams: &str,
) -> PyResult<TrainConfig> {
    let noise_streams = match noise_streams {
        "per_step" => NoiseStreams::PerStep,
        "per_trial" => NoiseStreams::PerTrial,
        other => {
            return Err(spec_error(
                Some("noise_streams"),
                format!("noise_streams = {other:?}: \"per_step\" or \"per_trial\""),
            ));
        }
    };
    let optimizer = match optimizer {
        "adam" => OptimizerKind::default(),
        "sgd" => OptimizerKind::Sgd { momentum: 0.0 },
        other => {
            return Err(spec_error(
                Some("optimizer"),
                format!("optimizer = {other:?}: \"adam\" or \"sgd\""),
            ));
        }
    };
    let config = TrainConfig {
        optimizer,
        learning_rate: lr,
        batch_size: batch,
        max_steps: steps,
        clip_grad_norm: clip,
        noise_std,
        noise_streams,
        batch_chunks,
        ..TrainConfig::default()
    };
    config.validate().map_err(from_range)?;
    Ok(config)
}

/// Trains the networks `rnns` (all of one shape) in one call, members in parallel on
/// `threads`: network `k` with seed `seeds[k]` and learning rate `lrs[k]`, each bit-identical
/// to `RnnCore.train` on it alone. Returns the losses (`K × steps`, NaN after a member stops)
/// and each member's stop reason.
#[pyfunction]
#[pyo3(signature = (rnns, task, inputs, targets, mask, steps, batch, lrs, optimizer, clip, seeds, noise_std, threads, noise_streams="per_step"))]
#[allow(clippy::too_many_arguments)]
fn train_population<'py>(
    py: Python<'py>,
    rnns: Vec<Bound<'py, RnnCore>>,
    task: Option<(String, String)>,
    inputs: Option<PyReadonlyArrayDyn<'py, f64>>,
    targets: Option<PyReadonlyArrayDyn<'py, f64>>,
    mask: Option<PyReadonlyArrayDyn<'py, f64>>,
    steps: usize,
    batch: usize,
    lrs: Vec<f64>,
    optimizer: &str,
    clip: f64,
    seeds: Vec<u64>,
    noise_std: f64,
    threads: Option<usize>,
    noise_streams: &str,
) -> PyResult<(Arr<'py>, Vec<String>)> {
    let k = rnns.len();
    require(k > 0, "rnns", "at least one network")?;
    require(lrs.len() == k, "lr", format!("{} learning rates for {k} networks", lrs.len()))?;
    require(seeds.len() == k, "seeds", format!("{} seeds for {k} networks", seeds.len()))?;
    let c = rnns[0].borrow().rnn.config().clone();
    for (i, r) in rnns.iter().enumerate() {
        require(
            *r.borrow().rnn.config() == c,
            "rnns",
            format!("network {i} differs in shape or cell from network 0: a population has one"),
        )?;
    }
    let task = training_task(&c, task, inputs, targets, mask)?;
    let mut members = Vec::with_capacity(k);
    for (r, (&lr, &seed)) in rnns.iter().zip(lrs.iter().zip(&seeds)) {
        let config =
            training_config(optimizer, lr, batch, steps, clip, noise_std, 1, noise_streams)?;
        let trainer = Trainer::new(r.borrow().rnn.cast::<f32>(), &config);
        members.push(population::Member::new(trainer, config, seed));
    }
    let task = &*task;
    let outcome = interruptible(py, threads, |stop| {
        // Rounds of 10 steps: each member's work arrays stay in cache; Ctrl-C is seen between.
        population::train(&mut members, task, 10, &mut |_| !stop.load(Ordering::SeqCst));
    });
    // Weights are copied back even when Ctrl-C stopped training part way.
    let mut losses = vec![f64::NAN; k * steps];
    let mut reasons = Vec::with_capacity(k);
    for (i, (r, m)) in rnns.iter().zip(&members).enumerate() {
        r.borrow_mut().rnn = m.trainer.rnn.cast::<f64>();
        let l = &m.trainer.history.loss;
        losses[i * steps..i * steps + l.len()].copy_from_slice(l);
        reasons.push(reason_name(m.stop.unwrap_or(StopReason::Interrupted)).to_string());
    }
    outcome?;
    Ok((array(py, losses, &[k, steps]), reasons))
}

fn jacobian_of<'py, D: Dynamics + Sync>(
    py: Python<'py>,
    system: &D,
    h: &PyReadonlyArrayDyn<'py, f64>,
    x: &PyReadonlyArrayDyn<'py, f64>,
) -> PyResult<Arr<'py>> {
    let (s, i) = (system.dim(), system.n_input());
    let (hd, hs) = data(h, "h")?;
    let (xd, xs) = data(x, "x")?;
    require(hs == [s], "h", format!("h must have shape ({s},), got {hs:?}"))?;
    require(xs == [i], "x", format!("x must have shape ({i},), got {xs:?}"))?;
    Ok(array(py, system.jacobian_at(hd, xd), &[s, s]))
}

/// The user's trials `(T, N, ·)` as a task: each batch draws trials uniformly with
/// replacement from the keyed stream of its step.
struct ArrayTask {
    n_steps: usize,
    n_trials: usize,
    n_input: usize,
    n_output: usize,
    inputs: Vec<f64>,
    targets: Vec<f64>,
    mask: Vec<f64>,
}

impl ArrayTask {
    fn new(
        x: &PyReadonlyArrayDyn<'_, f64>,
        y: &PyReadonlyArrayDyn<'_, f64>,
        mask: Option<&PyReadonlyArrayDyn<'_, f64>>,
        c: &RnnConfig,
    ) -> PyResult<ArrayTask> {
        let (inputs, t, n) = sequence(x, "inputs", c.n_input)?;
        let (targets, t2, n2) = sequence(y, "targets", c.n_output)?;
        require(
            (t2, n2) == (t, n),
            "targets",
            format!("targets have {t2} steps × {n2} trials, inputs {t} × {n}"),
        )?;
        let mask = match mask {
            None => vec![1.0; targets.len()],
            Some(m) => {
                let (d, t3, n3) = sequence(m, "mask", c.n_output)?;
                require((t3, n3) == (t, n), "mask", "mask must have the shape of targets")?;
                d.to_vec()
            }
        };
        require(n >= 1 && t >= 1, "inputs", "at least one trial of at least one step")?;
        Ok(ArrayTask {
            n_steps: t,
            n_trials: n,
            n_input: c.n_input,
            n_output: c.n_output,
            inputs: inputs.to_vec(),
            targets: targets.to_vec(),
            mask,
        })
    }
}

impl Task for ArrayTask {
    fn n_input(&self) -> usize {
        self.n_input
    }
    fn n_output(&self) -> usize {
        self.n_output
    }
    fn n_steps(&self) -> usize {
        self.n_steps
    }
    fn generate(&self, batch: usize, rng: &mut dyn rand::Rng) -> TaskBatch {
        let picks: Vec<usize> = (0..batch).map(|_| rng.random_range(0..self.n_trials)).collect();
        let gather = |src: &[f64], ch: usize| -> Vec<f64> {
            let mut out = Vec::with_capacity(self.n_steps * batch * ch);
            for t in 0..self.n_steps {
                for &k in &picks {
                    let at = (t * self.n_trials + k) * ch;
                    out.extend_from_slice(&src[at..at + ch]);
                }
            }
            out
        };
        TaskBatch {
            n_steps: self.n_steps,
            batch,
            n_input: self.n_input,
            n_output: self.n_output,
            inputs: gather(&self.inputs, self.n_input),
            targets: gather(&self.targets, self.n_output),
            mask: gather(&self.mask, self.n_output),
        }
    }
    fn validate(&self) -> Result<(), neurodyn::core::RangeError> {
        Ok(())
    }
}

/// A task of neurodyn's by name, with its parameters as JSON.
fn named_task(name: &str, json: &str) -> PyResult<Box<dyn Task + Sync>> {
    fn parse<T: serde::de::DeserializeOwned + Task + Sync + 'static>(
        name: &str,
        json: &str,
    ) -> PyResult<Box<dyn Task + Sync>> {
        let task: T = serde_json::from_str(json).map_err(|e| spec_error(Some(name), e))?;
        task.validate().map_err(from_range)?;
        Ok(Box::new(task))
    }
    match name {
        "flip_flop" => parse::<tasks::FlipFlop>(name, json),
        "pulse_integration" => parse::<tasks::PulseIntegration>(name, json),
        "context_integration" => parse::<tasks::ContextIntegration>(name, json),
        other => Err(spec_error(Some("task"), format!("unknown task {other:?}"))),
    }
}

/// `(inputs, targets, mask)` `(T, batch, ·)` of a named task, drawn with `seed`.
#[pyfunction]
fn task_sample<'py>(
    py: Python<'py>,
    name: &str,
    params_json: &str,
    batch: usize,
    seed: u64,
) -> PyResult<(Arr<'py>, Arr<'py>, Arr<'py>)> {
    require(batch >= 1, "batch", "batch must be at least 1")?;
    let task = named_task(name, params_json)?;
    let b = task.generate(batch, &mut rng::stream(seed, "python_sample", 0));
    let (t, i, o) = (b.n_steps, b.n_input, b.n_output);
    Ok((
        array(py, b.inputs, &[t, batch, i]),
        array(py, b.targets, &[t, batch, o]),
        array(py, b.mask, &[t, batch, o]),
    ))
}

/// `n` rows of `states` `(rows, S)` (any leading shape flattened) plus Gaussian noise.
#[pyfunction]
fn sample_states<'py>(
    py: Python<'py>,
    states: PyReadonlyArrayDyn<'py, f64>,
    n: usize,
    noise_std: f64,
    seed: u64,
) -> PyResult<Arr<'py>> {
    let (d, s) = data(&states, "states")?;
    require(
        !s.is_empty() && d.len() >= s[s.len() - 1] && !d.is_empty(),
        "states",
        "states must be non-empty",
    )?;
    require(noise_std >= 0.0, "noise_std", format!("noise_std = {noise_std}: >= 0"))?;
    let dim = s[s.len() - 1];
    let rows = fp::sample_initial_states(d, dim, n, noise_std, seed);
    Ok(array(py, rows.concat(), &[n, dim]))
}

/// `h ← tanh(g W h + b)`: an oracle system, e.g. a Hopfield network or a random network.
#[pyclass(module = "neurodyn._neurodyn")]
pub struct TanhCore {
    w: faer::Mat<f64>,
    gain: f64,
    bias: Vec<f64>,
}

#[pymethods]
impl TanhCore {
    #[new]
    #[pyo3(signature = (w, gain, bias=None))]
    fn new(
        w: PyReadonlyArrayDyn<'_, f64>,
        gain: f64,
        bias: Option<PyReadonlyArrayDyn<'_, f64>>,
    ) -> PyResult<Self> {
        let (d, s) = data(&w, "W")?;
        require(
            s.len() == 2 && s[0] == s[1] && s[0] > 0,
            "W",
            format!("W must be square, got {s:?}"),
        )?;
        require(d.iter().all(|v| v.is_finite()), "W", "W has non-finite values")?;
        require(gain.is_finite(), "g", format!("g = {gain} is not finite"))?;
        let n = s[0];
        let bias = match bias {
            None => vec![0.0; n],
            Some(b) => {
                let (bd, bs) = data(&b, "bias")?;
                require(bs == [n], "bias", format!("bias must have shape ({n},), got {bs:?}"))?;
                bd.to_vec()
            }
        };
        Ok(TanhCore { w: faer::Mat::from_fn(n, n, |i, j| d[i * n + j]), gain, bias })
    }

    /// The Jacobian at `h` (`x` is empty: the map has no input).
    fn jacobian<'py>(
        &self,
        py: Python<'py>,
        h: PyReadonlyArrayDyn<'py, f64>,
        x: PyReadonlyArrayDyn<'py, f64>,
    ) -> PyResult<Arr<'py>> {
        jacobian_of(py, self, &h, &x)
    }
}

impl TanhCore {
    fn drive(&self, h: &[f64]) -> Vec<f64> {
        // `Par::Seq`: the same bits on any number of threads.
        let mut u = vec![0.0; h.len()];
        neurodyn::core::mat::gemm(
            faer::MatMut::from_column_major_slice_mut(&mut u, h.len(), 1),
            faer::Accum::Replace,
            self.w.as_ref(),
            faer::MatRef::from_column_major_slice(h, h.len(), 1),
        );
        (0..h.len()).map(|i| (self.gain * u[i] + self.bias[i]).tanh()).collect()
    }
}

impl Dynamics for TanhCore {
    fn dim(&self) -> usize {
        self.bias.len()
    }
    fn n_input(&self) -> usize {
        0
    }
    fn step(&self, state: &[f64], _: &[f64], next: &mut [f64]) {
        next.copy_from_slice(&self.drive(state));
    }
    fn jacobian(&self, state: &[f64], _: &[f64], mut jac: faer::MatMut<'_, f64>) {
        // J = diag(1 − tanh²) · g W.
        let t = self.drive(state);
        for i in 0..t.len() {
            let d = self.gain * (1.0 - t[i] * t[i]);
            for j in 0..t.len() {
                jac[(i, j)] = d * self.w[(i, j)];
            }
        }
    }
}

/// A system borrowed from Python: an `RnnCore` or a `TanhCore`.
enum Borrowed<'py> {
    Rnn(PyRef<'py, RnnCore>),
    Tanh(PyRef<'py, TanhCore>),
}

impl<'py> Borrowed<'py> {
    /// `system` as an analysable system, if it is one.
    fn new(system: &Bound<'py, PyAny>) -> Option<Self> {
        if let Ok(r) = system.cast::<RnnCore>() {
            return Some(Borrowed::Rnn(r.borrow()));
        }
        system.cast::<TanhCore>().ok().map(|t| Borrowed::Tanh(t.borrow()))
    }

    fn system(&self) -> &(dyn DynSystem + Sync) {
        match self {
            Borrowed::Rnn(r) => &r.rnn,
            Borrowed::Tanh(t) => &**t,
        }
    }
}

/// A system from Python: an `RnnCore` or a `TanhCore`.
fn with_system<R>(
    system: &Bound<'_, PyAny>,
    f: impl FnOnce(&(dyn DynSystem + Sync)) -> PyResult<R>,
) -> PyResult<R> {
    let borrowed = Borrowed::new(system)
        .ok_or_else(|| spec_error(Some("system"), "an neurodyn.RNN or neurodyn.TanhMap"))?;
    f(borrowed.system())
}

/// Object-safe access to the generic analyses.
trait DynSystem {
    fn fixed_points(
        &self,
        initial: &[Vec<f64>],
        config: &FixedPointConfig,
    ) -> Result<fp::FixedPointResult, fp::FixedPointError>;
    fn jacobian_at(&self, state: &[f64], input: &[f64]) -> Vec<f64>;
    fn lyapunov(
        &self,
        h0: &[f64],
        inputs: &[f64],
        config: &LyapunovConfig,
    ) -> Result<neurodyn::analysis::lyapunov::LyapunovResult, String>;
    fn dims(&self) -> (usize, usize);
}

impl<D: Dynamics + Sync> DynSystem for D {
    fn fixed_points(
        &self,
        initial: &[Vec<f64>],
        config: &FixedPointConfig,
    ) -> Result<fp::FixedPointResult, fp::FixedPointError> {
        fp::find_fixed_points(self, initial, config, &|_| {})
    }
    fn jacobian_at(&self, state: &[f64], input: &[f64]) -> Vec<f64> {
        let s = self.dim();
        let mut jac = faer::Mat::<f64>::zeros(s, s);
        self.jacobian(state, input, jac.as_mut());
        (0..s).flat_map(|r| (0..s).map(move |c| (r, c))).map(|(r, c)| jac[(r, c)]).collect()
    }
    fn lyapunov(
        &self,
        h0: &[f64],
        inputs: &[f64],
        config: &LyapunovConfig,
    ) -> Result<neurodyn::analysis::lyapunov::LyapunovResult, String> {
        lyapunov_spectrum(self, h0, inputs, config).map_err(|e| e.to_string())
    }
    fn dims(&self) -> (usize, usize) {
        (self.dim(), self.n_input())
    }
}

/// The finder's settings from Python's arguments (validated).
#[allow(clippy::too_many_arguments)]
fn finder_config(
    n_initial: usize,
    input: &[f64],
    q_threshold: f64,
    max_iters: usize,
    dedup_tol: f64,
    polish: bool,
    lr: f64,
    q_stop: f64,
    q_candidate: f64,
) -> PyResult<FixedPointConfig> {
    let config = FixedPointConfig {
        n_initial,
        init_noise_std: 0.0,
        input: input.to_vec(),
        learning_rate: lr,
        max_iters,
        q_stop,
        q_candidate,
        q_threshold,
        dedup_tol,
        polish,
    };
    config.validate().map_err(from_range)?;
    Ok(config)
}

/// A search's result as the dict `FixedPoints` is built from.
fn found_dict<'py>(
    py: Python<'py>,
    sys: &(dyn DynSystem + Sync),
    found: fp::FixedPointResult,
    input: &[f64],
) -> PyResult<Bound<'py, PyDict>> {
    let (s, _) = sys.dims();
    let n = found.points.len();
    let mut xstar = Vec::with_capacity(n * s);
    let mut jac = Vec::with_capacity(n * s * s);
    let (mut re, mut im) = (Vec::with_capacity(n * s), Vec::with_capacity(n * s));
    for p in &found.points {
        xstar.extend_from_slice(&p.state);
        jac.extend(sys.jacobian_at(&p.state, input));
        re.extend(p.eigenvalues.iter().map(|e| e.0));
        im.extend(p.eigenvalues.iter().map(|e| e.1));
    }
    let out = PyDict::new(py);
    out.set_item("xstar", array(py, xstar, &[n, s]))?;
    out.set_item("qstar", array(py, found.points.iter().map(|p| p.q).collect(), &[n]))?;
    out.set_item("J_xstar", array(py, jac, &[n, s, s]))?;
    out.set_item("eig_re", array(py, re, &[n, s]))?;
    out.set_item("eig_im", array(py, im, &[n, s]))?;
    out.set_item("n_unstable", found.points.iter().map(|p| p.n_unstable).collect::<Vec<_>>())?;
    let starts = found.search_q.len();
    out.set_item("search_q", array(py, found.search_q, &[starts]))?;
    Ok(out)
}

/// Fixed points of `system` under the constant `input` from `initial` `(K, S)`: a dict of
/// arrays in the fields of Golub & Sussillo's finder.
#[pyfunction]
#[pyo3(signature = (system, initial, input, q_threshold, max_iters, dedup_tol, polish, lr, q_stop, q_candidate, threads=None))]
fn fixed_points<'py>(
    py: Python<'py>,
    system: &Bound<'py, PyAny>,
    initial: PyReadonlyArrayDyn<'py, f64>,
    input: PyReadonlyArrayDyn<'py, f64>,
    q_threshold: f64,
    max_iters: usize,
    dedup_tol: f64,
    polish: bool,
    lr: f64,
    q_stop: f64,
    q_candidate: f64,
    threads: Option<usize>,
) -> PyResult<Bound<'py, PyDict>> {
    with_system(system, |sys| {
        let (s, i) = sys.dims();
        let (init, shape) = data(&initial, "initial_states")?;
        require(
            shape.len() == 2 && shape[1] == s && shape[0] > 0,
            "initial_states",
            format!("initial_states must have shape (n, {s}), got {shape:?}"),
        )?;
        let (x, xs) = data(&input, "inputs")?;
        require(xs == [i], "inputs", format!("inputs must have shape ({i},), got {xs:?}"))?;
        let config = finder_config(
            shape[0],
            x,
            q_threshold,
            max_iters,
            dedup_tol,
            polish,
            lr,
            q_stop,
            q_candidate,
        )?;
        let starts: Vec<Vec<f64>> = init.chunks_exact(s).map(<[f64]>::to_vec).collect();
        let found = interruptible(py, threads, |_| sys.fixed_points(&starts, &config))?
            .map_err(|e| spec_error(Some("initial_states"), e))?;
        found_dict(py, sys, found, x)
    })
}

/// Fixed points of each of `systems` (one state size and input size) in one call, the
/// searches of all systems sharing the thread pool: `initial` is `(K, n, S)` (starts per
/// system) or `(n, S)` (the same starts for all), `input` `(I,)` or `(K, I)`. System `k`'s
/// dict is exactly what `fixed_points` gives for it alone.
#[pyfunction]
#[pyo3(signature = (systems, initial, input, q_threshold, max_iters, dedup_tol, polish, lr, q_stop, q_candidate, threads=None))]
fn fixed_points_population<'py>(
    py: Python<'py>,
    systems: Vec<Bound<'py, PyAny>>,
    initial: PyReadonlyArrayDyn<'py, f64>,
    input: PyReadonlyArrayDyn<'py, f64>,
    q_threshold: f64,
    max_iters: usize,
    dedup_tol: f64,
    polish: bool,
    lr: f64,
    q_stop: f64,
    q_candidate: f64,
    threads: Option<usize>,
) -> PyResult<Vec<Bound<'py, PyDict>>> {
    let borrowed = systems
        .iter()
        .enumerate()
        .map(|(k, system)| {
            Borrowed::new(system).ok_or_else(|| {
                spec_error(
                    Some("systems"),
                    format!("systems[{k}]: an neurodyn.RNN or neurodyn.TanhMap"),
                )
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let sys: Vec<&(dyn DynSystem + Sync)> = borrowed.iter().map(Borrowed::system).collect();
    require(!sys.is_empty(), "systems", "systems: a non-empty sequence")?;
    let (s, i) = sys[0].dims();
    let k = sys.len();
    for (j, other) in sys.iter().enumerate() {
        require(
            other.dims() == (s, i),
            "systems",
            format!(
                "systems[{j}] has state and input sizes {:?}, systems[0] {:?}: one shape for all",
                other.dims(),
                (s, i)
            ),
        )?;
    }
    let (init, shape) = data(&initial, "initial_states")?;
    let shared = shape.len() == 2;
    require(
        (shared && shape[1] == s && shape[0] > 0)
            || (shape.len() == 3 && shape[0] == k && shape[2] == s && shape[1] > 0),
        "initial_states",
        format!("initial_states must have shape ({k}, n, {s}) or (n, {s}), got {shape:?}"),
    )?;
    let n = if shared { shape[0] } else { shape[1] };
    let (x, xs) = data(&input, "inputs")?;
    require(
        xs == [i] || xs == [k, i],
        "inputs",
        format!("inputs must have shape ({i},) or ({k}, {i}), got {xs:?}"),
    )?;
    let input_of = |j: usize| if xs.len() == 1 { x } else { &x[j * i..(j + 1) * i] };
    let configs = (0..k)
        .map(|j| {
            finder_config(
                n,
                input_of(j),
                q_threshold,
                max_iters,
                dedup_tol,
                polish,
                lr,
                q_stop,
                q_candidate,
            )
        })
        .collect::<PyResult<Vec<_>>>()?;
    let starts: Vec<Vec<Vec<f64>>> = (0..k)
        .map(|j| {
            let block = if shared { init } else { &init[j * n * s..(j + 1) * n * s] };
            block.chunks_exact(s).map(<[f64]>::to_vec).collect()
        })
        .collect();
    let found = interruptible(py, threads, |_| {
        use rayon::prelude::*;
        (0..k)
            .into_par_iter()
            .map(|j| sys[j].fixed_points(&starts[j], &configs[j]))
            .collect::<Vec<_>>()
    })?;
    found
        .into_iter()
        .enumerate()
        .map(|(j, f)| {
            let f =
                f.map_err(|e| spec_error(Some("initial_states"), format!("systems[{j}]: {e}")))?;
            found_dict(py, sys[j], f, input_of(j))
        })
        .collect()
}

/// The leading Lyapunov exponents of `system` [1/step] and their standard errors.
#[pyfunction]
#[pyo3(signature = (system, h0, inputs, n_exponents, steps, transient, qr_every, n_segments, threads=None))]
fn lyapunov<'py>(
    py: Python<'py>,
    system: &Bound<'py, PyAny>,
    h0: PyReadonlyArrayDyn<'py, f64>,
    inputs: PyReadonlyArrayDyn<'py, f64>,
    n_exponents: usize,
    steps: usize,
    transient: usize,
    qr_every: usize,
    n_segments: usize,
    threads: Option<usize>,
) -> PyResult<(Arr<'py>, Arr<'py>, f64, f64)> {
    with_system(system, |sys| {
        let (s, i) = sys.dims();
        let (h, hs) = data(&h0, "h0")?;
        require(hs == [s], "h0", format!("h0 must have shape ({s},), got {hs:?}"))?;
        let (x, _) = data(&inputs, "inputs")?;
        require(
            x.len() == i || x.len() == i * (steps + transient),
            "inputs",
            format!("inputs must be one input ({i},) or one per step ({}, {i})", steps + transient),
        )?;
        let config = LyapunovConfig {
            n_exponents,
            n_transient: transient,
            n_steps: steps,
            qr_every,
            n_segments,
        };
        config.validate(s).map_err(from_range)?;
        let r = interruptible(py, threads, |_| sys.lyapunov(h, x, &config))?
            .map_err(|e| spec_error(None, e))?;
        let k = r.exponents.len();
        Ok((
            array(py, r.exponents, &[k]),
            array(py, r.std_error, &[k]),
            r.entropy_rate,
            r.kaplan_yorke,
        ))
    })
}
