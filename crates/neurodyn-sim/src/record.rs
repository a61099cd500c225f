//! Recorders: observers the engine calls after every step.

use crate::Network;
use crate::config::RecordConfig;

/// Something that watches a running network. Called once after every step, with the network
/// at step `k + 1` (its spikes are those of that step).
pub trait Recorder {
    /// Looks at the network after a step.
    fn record(&mut self, network: &Network);
}

/// Spikes of some populations as `(step, neuron)` lists, one per population.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SpikeRecorder {
    /// Recorded population indices.
    pub populations: Vec<usize>,
    /// `steps[m]`: the step of every recorded spike of `populations[m]`.
    pub steps: Vec<Vec<u64>>,
    /// `neurons[m]`: the neuron of every recorded spike of `populations[m]`.
    pub neurons: Vec<Vec<u32>>,
}

impl SpikeRecorder {
    /// Records the given populations.
    pub fn new(populations: Vec<usize>) -> Self {
        let n = populations.len();
        SpikeRecorder { populations, steps: vec![Vec::new(); n], neurons: vec![Vec::new(); n] }
    }
}

impl Recorder for SpikeRecorder {
    fn record(&mut self, network: &Network) {
        let k = network.step_index();
        for (m, &pop) in self.populations.iter().enumerate() {
            let spikes = network.spikes(pop);
            self.steps[m].extend(std::iter::repeat_n(k, spikes.len()));
            self.neurons[m].extend_from_slice(spikes);
        }
    }
}

/// The number of spikes of every population at every step.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CountRecorder {
    /// `counts[pop][k − 1]`: spikes of population `pop` at step `k`.
    pub counts: Vec<Vec<u32>>,
}

impl Recorder for CountRecorder {
    fn record(&mut self, network: &Network) {
        let n = network.populations().len();
        if self.counts.len() != n {
            self.counts = vec![Vec::new(); n];
        }
        for (pop, c) in self.counts.iter_mut().enumerate() {
            c.push(network.spikes(pop).len() as u32);
        }
    }
}

/// One state variable of some neurons, sampled every `every` steps.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StateRecorder {
    /// Population index.
    pub population: usize,
    /// Variable name.
    pub variable: String,
    /// Recorded neurons.
    pub neurons: Vec<u32>,
    /// Sampling period [steps].
    pub every: u64,
    /// Sample steps.
    pub steps: Vec<u64>,
    /// `values[sample][m]`: the variable of `neurons[m]`.
    pub values: Vec<Vec<f64>>,
}

impl Recorder for StateRecorder {
    fn record(&mut self, network: &Network) {
        let k = network.step_index();
        if k.is_multiple_of(self.every) {
            self.steps.push(k);
            let row = self
                .neurons
                .iter()
                .map(|&j| {
                    network.state_value(self.population, &self.variable, j).unwrap_or(f64::NAN)
                })
                .collect();
            self.values.push(row);
        }
    }
}

/// The first `n_synapses` weights of a projection and its mean weight, every `every` steps.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WeightRecorder {
    /// Projection index.
    pub projection: usize,
    /// How many synapses to keep.
    pub n_synapses: usize,
    /// Sampling period [steps].
    pub every: u64,
    /// Sample steps.
    pub steps: Vec<u64>,
    /// `values[sample]`: the kept weights.
    pub values: Vec<Vec<f64>>,
    /// Mean weight of the whole projection per sample.
    pub mean: Vec<f64>,
}

impl Recorder for WeightRecorder {
    fn record(&mut self, network: &Network) {
        let k = network.step_index();
        if k.is_multiple_of(self.every) {
            let w = network.weights(self.projection);
            self.steps.push(k);
            self.mean.push(if w.is_empty() { 0.0 } else { w.iter().sum::<f64>() / w.len() as f64 });
            self.values.push(w[..self.n_synapses.min(w.len())].to_vec());
        }
    }
}

/// The recorders a [`RecordConfig`] asks for.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Recording {
    /// Spikes.
    pub spikes: SpikeRecorder,
    /// Spike counts per step (always).
    pub counts: CountRecorder,
    /// State variables.
    pub state: Vec<StateRecorder>,
    /// Weights.
    pub weights: Vec<WeightRecorder>,
}

impl Recording {
    /// The recorders of `config` for `network`; unknown names are errors naming the field.
    pub fn new(
        config: &RecordConfig,
        network: &Network,
    ) -> Result<Self, neurodyn_core::RangeError> {
        use neurodyn_core::check;
        let pop = |name: &str, field: &str| {
            network.population_index(name).ok_or_else(|| neurodyn_core::RangeError {
                field: field.into(),
                value: format!("{name:?}"),
                expected: "a population defined under [populations]".into(),
            })
        };
        let steps = |interval: f64, field: &str| -> Result<u64, neurodyn_core::RangeError> {
            check(
                interval >= network.dt() && interval.is_finite(),
                field,
                interval,
                "a finite value >= dt [ms]",
            )?;
            Ok((interval / network.dt()).round() as u64)
        };
        let spikes = match &config.spikes {
            None => (0..network.populations().len()).collect(),
            Some(names) => {
                names.iter().map(|n| pop(n, "record.spikes")).collect::<Result<_, _>>()?
            }
        };
        let mut state = Vec::new();
        for (i, s) in config.state.iter().enumerate() {
            let f = format!("record.state[{i}]");
            let p = pop(&s.population, &format!("{f}.population"))?;
            let info = &network.populations()[p];
            check(
                info.variables.contains(&s.variable.as_str()),
                &format!("{f}.variable"),
                &s.variable,
                &format!("one of {}", info.variables.join(", ")),
            )?;
            if let Some(bad) = s.neurons.iter().find(|&&j| j as usize >= info.n) {
                check(false, &format!("{f}.neurons"), bad, &format!("indices below {}", info.n))?;
            }
            state.push(StateRecorder {
                population: p,
                variable: s.variable.clone(),
                neurons: s.neurons.clone(),
                every: steps(s.interval, &format!("{f}.interval"))?,
                steps: Vec::new(),
                values: Vec::new(),
            });
        }
        let mut weights = Vec::new();
        for (i, w) in config.weights.iter().enumerate() {
            let f = format!("record.weights[{i}]");
            let projection = network.projection_index(&w.projection).ok_or_else(|| {
                neurodyn_core::RangeError {
                    field: format!("{f}.projection"),
                    value: format!("{:?}", w.projection),
                    expected: "a projection defined under [projections]".into(),
                }
            })?;
            weights.push(WeightRecorder {
                projection,
                n_synapses: w.n_synapses,
                every: steps(w.interval, &format!("{f}.interval"))?,
                steps: Vec::new(),
                values: Vec::new(),
                mean: Vec::new(),
            });
        }
        Ok(Recording {
            spikes: SpikeRecorder::new(spikes),
            counts: CountRecorder::default(),
            state,
            weights,
        })
    }
}

impl Recorder for Recording {
    fn record(&mut self, network: &Network) {
        self.spikes.record(network);
        self.counts.record(network);
        for r in &mut self.state {
            r.record(network);
        }
        for r in &mut self.weights {
            r.record(network);
        }
    }
}
