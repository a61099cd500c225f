//! The `reservoir` run kind (`[reservoir]` specs): an echo-state reservoir's memory capacity
//! (Jaeger 2001) — i.i.d. uniform inputs, one ridge readout per delay, `r²_k` on held-out
//! steps — and, for a linear reservoir, the closed form next to it
//! (`analysis::reservoir::linear_memory_capacity`): the per-delay capacities and their sum,
//! which is `N` for a linear reservoir when every delay is counted.
//!
//! ```toml
//! name = "linear_memory"
//! seed = 1
//! [reservoir]
//! model = { n = 50, spectral_radius = 0.9, activation = "linear", topology = "orthogonal" }
//! memory_capacity = { max_delay = 150, n_train = 20000, n_test = 10000, washout = 200, ridge = 1e-8 }
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_analysis::reservoir::{linear_memory_capacity, memory_capacity};
use neurodyn_core::{RangeError, check, rng};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, check_name, range_error, schema_version, serde_error,
};
use neurodyn_models::reservoir::{Activation, EsnConfig};
use neurodyn_report::svg::{Marker, Plot};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A reservoir experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservoirSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of the reservoir and of the inputs.
    #[serde(default)]
    pub seed: u64,
    /// The reservoir and what is measured.
    pub reservoir: Settings,
}

/// The reservoir and its measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The echo-state reservoir.
    pub model: EsnConfig,
    /// The memory-capacity measurement.
    pub memory_capacity: MemoryCapacity,
}

/// Jaeger's memory-capacity measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryCapacity {
    /// Largest delay `k` read out [steps].
    pub max_delay: usize,
    /// Steps that train the readouts [1].
    pub n_train: usize,
    /// Held-out steps that score them [1].
    pub n_test: usize,
    /// Steps discarded first (at least `max_delay` are) [1].
    #[serde(default = "hundred")]
    pub washout: usize,
    /// Ridge penalty α [1].
    #[serde(default = "tiny")]
    pub ridge: f64,
}

fn hundred() -> usize {
    100
}
fn tiny() -> f64 {
    1e-8
}

impl ReservoirSpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        self.reservoir.model.validate().map_err(|mut e| {
            e.field = format!("reservoir.model.{}", e.field);
            e
        })?;
        let m = &self.reservoir.memory_capacity;
        let f = "reservoir.memory_capacity";
        check(m.max_delay <= 100_000, &format!("{f}.max_delay"), m.max_delay, "at most 100000")?;
        check(
            m.n_train > self.reservoir.model.n + 1 && m.n_train <= 100_000_000,
            &format!("{f}.n_train"),
            m.n_train,
            "more steps than units + 1, at most 1e8",
        )?;
        check(
            m.n_test >= 10 && m.n_test <= 100_000_000,
            &format!("{f}.n_test"),
            m.n_test,
            "between 10 and 1e8",
        )?;
        check(m.washout <= 100_000_000, &format!("{f}.washout"), m.washout, "at most 1e8")?;
        check(
            m.ridge >= 0.0 && m.ridge.is_finite(),
            &format!("{f}.ridge"),
            m.ridge,
            "a finite value >= 0",
        )
    }

    fn steps(&self) -> usize {
        let m = &self.reservoir.memory_capacity;
        m.washout.max(m.max_delay) + m.n_train + m.n_test
    }
}

/// `metrics.json` of a memory-capacity run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReservoirMetrics {
    /// Units [1].
    pub n_units: usize,
    /// Jaeger's memory capacity `Σ_{k≥1} r²_k` [1].
    pub memory_capacity: f64,
    /// The same with the present input (`k ≥ 0`) [1].
    pub memory_capacity_with_delay_0: f64,
    /// The same over the number of units [1].
    pub memory_capacity_over_n: f64,
    /// Linear reservoirs: the closed form of `Σ_{k≥1} r²_k` up to `max_delay` [1].
    pub theory_memory_capacity: Option<f64>,
    /// Linear reservoirs: the largest |measured − closed form| over delays [1].
    pub max_abs_deviation_from_theory: Option<f64>,
    /// Delays read out [1].
    pub max_delay: usize,
}

/// The `reservoir` kind.
pub struct ReservoirKind;

/// A validated reservoir experiment.
pub struct PreparedReservoir {
    spec: ReservoirSpec,
}

impl Kind for ReservoirKind {
    fn name(&self) -> &'static str {
        "reservoir"
    }
    fn table(&self) -> &'static str {
        "reservoir"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: ReservoirSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        spec.validate().map_err(|e| range_error(text, file, e))?;
        let (n, q) =
            (spec.reservoir.model.n as f64, spec.reservoir.memory_capacity.max_delay as f64 + 1.0);
        let mut m = MemoryEstimate::new();
        m.add("reservoir.model.n", n * n, 8.0 * 3.0);
        m.add("reservoir.memory_capacity.n_train", spec.steps() as f64 * (n + 2.0 * q), 8.0 * 2.0);
        m.check(limits, text, file)?;
        Ok(Box::new(PreparedReservoir { spec }))
    }
    fn figures(&self, dir: &Path, _: &str, _: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
        let file = dir.join("reservoir.npz");
        let (_, measured) = read_f64(&file, "memory_capacity")?;
        let k: Vec<f64> = (0..measured.len()).map(|i| i as f64).collect();
        let mut p = Plot::new("Memory capacity per delay", "delay k [steps]", "r²_k");
        p.points(&k, &measured, "#1f77b4", Marker::Dot, 2.5);
        p.legend("measured (held-out r²)", "#1f77b4", Some(Marker::Dot));
        if let Ok((_, theory)) = read_f64(&file, "theory_memory_capacity") {
            p.line(&k, &theory, "#d62728", 1.5);
            p.legend("closed form (linear reservoir)", "#d62728", None);
        }
        Ok(vec![Figure {
            file: "memory_capacity.svg".into(),
            svg: p.to_svg(),
            caption: "How well a linear readout of the reservoir's state recovers the input k steps back (squared correlation on held-out steps); their sum over k ≥ 1 is Jaeger's memory capacity.".into(),
        }])
    }
}

impl Prepared for PreparedReservoir {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        toml::to_string_pretty(&self.spec).expect("a reservoir spec serialises to TOML")
    }
    fn describe(&self) -> String {
        let m = &self.spec.reservoir.model;
        format!("memory capacity of a {:?} reservoir of {} units", m.activation, m.n).to_lowercase()
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let s = &self.spec.reservoir;
        let mc = &s.memory_capacity;
        ctx.progress.phase("memory capacity", 1);
        let esn = s.model.build(1, self.spec.seed).map_err(|e| e.to_string())?;
        let mut r = rng::stream(self.spec.seed, "reservoir/inputs", 0);
        let u: Vec<f64> = (0..self.spec.steps()).map(|_| r.random_range(-1.0..1.0)).collect();
        let states = esn.run(&u);
        if let Some(t) = states.chunks(esn.n()).position(|x| x.iter().any(|v| !v.is_finite())) {
            return Err(format!(
                "the reservoir's state is not finite from step {t} on: it diverged (a linear \
                 reservoir needs reservoir.model.spectral_radius < 1; this one has {})",
                s.model.spectral_radius
            ));
        }
        let measured = memory_capacity(&states, &u, mc.washout, mc.n_train, mc.max_delay, mc.ridge)
            .ok_or(
                "the ridge readout could not be solved (set reservoir.memory_capacity.ridge > 0)",
            )?;
        let theory = (s.model.activation == Activation::Linear && s.model.leak == 1.0)
            .then(|| {
                linear_memory_capacity(&esn.w.to_dense(), esn.w_in.col_as_slice(0), mc.max_delay)
            })
            .flatten();
        let n = s.model.n;
        let total: f64 = measured[1..].iter().sum();
        let m = ReservoirMetrics {
            n_units: n,
            memory_capacity: total,
            memory_capacity_with_delay_0: measured.iter().sum(),
            memory_capacity_over_n: total / n as f64,
            theory_memory_capacity: theory.as_ref().map(|t| t[1..].iter().sum()),
            max_abs_deviation_from_theory: theory
                .as_ref()
                .map(|t| t.iter().zip(&measured).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)),
            max_delay: mc.max_delay,
        };
        let summary = format!(
            "{}: memory capacity {:.2} of {} units{}",
            self.spec.name,
            total,
            n,
            m.theory_memory_capacity.map_or(String::new(), |t| format!(" (closed form {t:.2})"))
        );
        let q = measured.len();
        let mut arrays = vec![("memory_capacity".to_string(), Array::f64(&[q], measured))];
        if let Some(t) = theory {
            arrays.push(("theory_memory_capacity".to_string(), Array::f64(&[q], t)));
        }
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Ok(Outcome { files: vec![("reservoir.npz".to_string(), arrays)], metrics, summary })
    }
}

#[cfg(test)]
mod tests {
    use neurodyn_analysis::reservoir::{linear_memory_capacity, memory_capacity};
    use neurodyn_core::rng;
    use neurodyn_models::reservoir::{Activation, EsnConfig, Topology};
    use rand::RngExt;

    #[test]
    fn measured_memory_matches_the_closed_form_for_a_linear_reservoir() {
        let config = EsnConfig {
            n: 12,
            spectral_radius: 0.8,
            input_scaling: 0.5,
            bias_scaling: 0.0,
            leak: 1.0,
            activation: Activation::Linear,
            topology: Topology::Orthogonal,
            connectivity: 1.0,
        };
        let esn = config.build(1, 3).unwrap();
        let mut r = rng::stream(3, "u", 0);
        let u: Vec<f64> = (0..30_000).map(|_| r.random_range(-1.0..1.0)).collect();
        let states = esn.run(&u);
        let measured = memory_capacity(&states, &u, 100, 20_000, 40, 1e-10).unwrap();
        let theory =
            linear_memory_capacity(&esn.w.to_dense(), esn.w_in.col_as_slice(0), 40).unwrap();
        for (k, (m, t)) in measured.iter().zip(&theory).enumerate() {
            // r² on ~10 000 held-out steps with 13 fitted coefficients per delay.
            assert!((m - t).abs() < 0.02, "delay {k}: measured {m}, theory {t}");
        }
        let total: f64 = measured[1..].iter().sum();
        assert!(total > 9.0 && total < 12.0, "{total}");
    }
}
