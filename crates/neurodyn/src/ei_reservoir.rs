//! The `ei_reservoir` run kind (`[ei_reservoir]` specs): reservoir computing against the
//! excitation–inhibition balance, tuned globally or adapted locally toward target rates
//! (Srinivasan, Plenz & Girvan 2025, arXiv:2504.12480).
//!
//! One Dale reservoir (`models::ei_reservoir`) is measured at each global balance `β` and after
//! local adaptation toward each target rate `ρ` (every unit the same target, and heterogeneous
//! targets uniform on `ρ (1 ± h)`), on two tasks: Jaeger's memory capacity
//! (`analysis::reservoir::memory_capacity`, i.i.d. uniform input) and one-step NARMA prediction
//! (`tasks::series::narma`, ridge read-out, NRMSE on held-out steps). Global tuning is the best
//! `β` on the grid; local adaptation is the best target on its grid — one scalar tuned each.
//!
//! ```toml
//! name = "ei"
//! [ei_reservoir]
//! model = { n = 200, gain = 10.0 }
//! balances = [0.5, 1.0, 1.5, 2.0]
//! targets = [0.25, 0.3, 0.35]
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_analysis::reservoir::{memory_capacity, predict, ridge};
use neurodyn_core::{RangeError, check, rng};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, check_name, check_values, range_error, schema_version, serde_error,
};
use neurodyn_models::ei_reservoir::{EiReservoir, EiReservoirConfig};
use neurodyn_report::svg::{Marker, Plot};
use neurodyn_tasks::series::narma;
use rand::RngExt;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// An E/I reservoir experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EiSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Seed of the reservoir, the inputs and the targets.
    #[serde(default)]
    pub seed: u64,
    /// The experiment.
    pub ei_reservoir: Settings,
}

/// The reservoir, the grids and the tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The reservoir.
    pub model: EiReservoirConfig,
    /// Global balances `β` tried [1].
    pub balances: Vec<f64>,
    /// Target rates `ρ` of local adaptation tried [1].
    pub targets: Vec<f64>,
    /// Heterogeneous targets are uniform on `ρ (1 − h, 1 + h)` [1].
    #[serde(default = "half")]
    pub heterogeneity: f64,
    /// Local adaptation: steps of driven input and the rate `η`.
    #[serde(default)]
    pub adaptation: Adaptation,
    /// Steps: discarded, training, held out.
    #[serde(default)]
    pub steps: Steps,
    /// Largest delay of the memory capacity [steps].
    #[serde(default = "sixty")]
    pub max_delay: usize,
    /// NARMA order.
    #[serde(default = "ten")]
    pub narma_order: usize,
    /// Ridge penalty of the read-outs.
    #[serde(default = "ridge_alpha")]
    pub ridge: f64,
}

/// Local adaptation's schedule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Adaptation {
    /// Driven steps [1].
    pub steps: usize,
    /// Rate `η` [1].
    pub rate: f64,
}

impl Default for Adaptation {
    fn default() -> Self {
        Adaptation { steps: 4000, rate: 0.05 }
    }
}

/// Steps of each measurement.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Steps {
    /// Discarded first [1].
    pub washout: usize,
    /// Training the read-outs [1].
    pub train: usize,
    /// Held out [1].
    pub test: usize,
}

impl Default for Steps {
    fn default() -> Self {
        Steps { washout: 500, train: 3500, test: 2000 }
    }
}

fn half() -> f64 {
    0.5
}
fn sixty() -> usize {
    60
}
fn ten() -> usize {
    10
}
fn ridge_alpha() -> f64 {
    1e-6
}

impl EiSpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let s = &self.ei_reservoir;
        s.model.validate().map_err(|mut e| {
            e.field = format!("ei_reservoir.model.{}", e.field);
            e
        })?;
        let list = |v: &[f64], field: &str, lo: f64, hi: f64| {
            check_values(
                v,
                &format!("ei_reservoir.{field}"),
                |x| x > lo && x < hi,
                &format!("a value in ({lo}, {hi})"),
            )
        };
        list(&s.balances, "balances", 0.0, 1e3)?;
        list(&s.targets, "targets", 0.0, 1.0)?;
        check(
            (0.0..1.0).contains(&s.heterogeneity),
            "ei_reservoir.heterogeneity",
            s.heterogeneity,
            "in [0, 1)",
        )?;
        check(
            s.adaptation.steps <= 10_000_000
                && s.adaptation.rate > 0.0
                && s.adaptation.rate <= 10.0,
            "ei_reservoir.adaptation",
            format!("{:?}", s.adaptation),
            "steps at most 1e7, rate in (0, 10]",
        )?;
        let st = &s.steps;
        check(
            st.train > s.model.n + 1 && st.train <= 10_000_000,
            "ei_reservoir.steps.train",
            st.train,
            "more than units + 1, at most 1e7",
        )?;
        check(
            (10..=10_000_000).contains(&st.test),
            "ei_reservoir.steps.test",
            st.test,
            "10 to 1e7",
        )?;
        check(
            st.washout >= s.max_delay && st.washout >= s.narma_order && st.washout <= 10_000_000,
            "ei_reservoir.steps.washout",
            st.washout,
            "at least max_delay and narma_order, at most 1e7",
        )?;
        check(
            (1..=1000).contains(&s.narma_order),
            "ei_reservoir.narma_order",
            s.narma_order,
            "1 to 1000",
        )?;
        check(s.ridge >= 0.0 && s.ridge.is_finite(), "ei_reservoir.ridge", s.ridge, "a value >= 0")
    }

    fn total_steps(&self) -> usize {
        let st = &self.ei_reservoir.steps;
        st.washout + st.train + st.test
    }
}

/// One reservoir's scores.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
struct Scores {
    memory_capacity: f64,
    narma_nrmse: f64,
    mean_rate: f64,
    mean_balance: f64,
}

/// `metrics.json` of an E/I reservoir experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EiMetrics {
    /// Memory capacity at each global balance [1].
    pub memory_capacity_by_balance: Vec<f64>,
    /// NARMA NRMSE at each global balance [1].
    pub nrmse_by_balance: Vec<f64>,
    /// Mean rate at each global balance [1].
    pub rate_by_balance: Vec<f64>,
    /// The balance with the largest memory capacity [1].
    pub best_balance_memory: f64,
    /// The balance with the lowest NRMSE [1].
    pub best_balance_nrmse: f64,
    /// Best global memory capacity [1].
    pub global_memory_capacity: f64,
    /// Best global NRMSE [1].
    pub global_nrmse: f64,
    /// Best memory capacity among excitation-dominated balances (β < 1), if any tried [1].
    pub excitation_dominated_memory_capacity: Option<f64>,
    /// Lowest NRMSE among excitation-dominated balances (β < 1), if any tried [1].
    pub excitation_dominated_nrmse: Option<f64>,
    /// Memory capacity after local adaptation to each target (homogeneous) [1].
    pub local_memory_capacity: Vec<f64>,
    /// The same with heterogeneous targets [1].
    pub hetero_memory_capacity: Vec<f64>,
    /// NRMSE after local adaptation (homogeneous) [1].
    pub local_nrmse: Vec<f64>,
    /// NRMSE after local adaptation (heterogeneous) [1].
    pub hetero_nrmse: Vec<f64>,
    /// Mean balance the adaptation arrived at, per target (homogeneous) [1].
    pub local_mean_balance: Vec<f64>,
    /// Best locally adapted memory capacity (either kind of target) over the best global [1].
    pub memory_gain: f64,
    /// Best global NRMSE over the best locally adapted NRMSE (either kind) [1].
    pub nrmse_gain: f64,
}

/// The `ei_reservoir` kind.
pub struct EiReservoirKind;

/// A validated experiment.
pub struct PreparedEi {
    spec: EiSpec,
}

impl Kind for EiReservoirKind {
    fn name(&self) -> &'static str {
        "ei_reservoir"
    }
    fn table(&self) -> &'static str {
        "ei_reservoir"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: EiSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        spec.validate().map_err(|e| range_error(text, file, e))?;
        let n = spec.ei_reservoir.model.n as f64;
        let mut m = MemoryEstimate::new();
        m.add("ei_reservoir.model.n", n * n, 8.0);
        // States of two runs at a time per thread, and the read-outs' design matrices.
        m.add("ei_reservoir.steps", spec.total_steps() as f64 * n * 4.0, 8.0);
        m.check(limits, text, file)?;
        Ok(Box::new(PreparedEi { spec }))
    }
    fn figures(&self, dir: &Path, _: &str, _: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
        let file = dir.join("ei_reservoir.npz");
        let (_, balances) = read_f64(&file, "balances")?;
        let (_, mc) = read_f64(&file, "memory_capacity_by_balance")?;
        let (_, nrmse) = read_f64(&file, "nrmse_by_balance")?;
        let (_, local) = read_f64(&file, "local_memory_capacity")?;
        let (_, hetero) = read_f64(&file, "hetero_memory_capacity")?;
        let (_, lbal) = read_f64(&file, "local_mean_balance")?;
        let mut p = Plot::new(
            "Memory capacity against the E/I balance",
            "balance β (1: balanced)",
            "memory capacity",
        );
        p.line(&balances, &mc, "#1f77b4", 1.5);
        p.points(&balances, &mc, "#1f77b4", Marker::Dot, 3.0);
        p.points(&lbal, &local, "#d62728", Marker::Dot, 4.0);
        p.points(&lbal, &hetero, "#ff7f0e", Marker::Dot, 4.0);
        p.legend("global balance", "#1f77b4", Some(Marker::Dot));
        p.legend("local adaptation (at its mean β)", "#d62728", Some(Marker::Dot));
        p.legend("heterogeneous targets", "#ff7f0e", Some(Marker::Dot));
        let mut q = Plot::new("NARMA prediction error against the balance", "balance β", "NRMSE");
        q.line(&balances, &nrmse, "#1f77b4", 1.5);
        q.points(&balances, &nrmse, "#1f77b4", Marker::Dot, 3.0);
        Ok(vec![Figure {
            file: "ei_balance.svg".into(),
            svg: neurodyn_report::svg::stack(&[p, q]),
            caption: "Memory capacity and one-step NARMA error of one Dale reservoir at each global E/I balance, and after local adaptation of each unit's balance toward target rates (placed at the mean balance it reached).".into(),
        }])
    }
}

impl PreparedEi {
    /// Memory capacity and NARMA NRMSE of `res`.
    fn scores(&self, res: &EiReservoir, u_mc: &[f64], narma_data: &(Vec<f64>, Vec<f64>)) -> Scores {
        let s = &self.spec.ei_reservoir;
        let st = &s.steps;
        let states = res.run(u_mc);
        let mean_rate = states.iter().sum::<f64>() / states.len() as f64;
        let mc = memory_capacity(&states, u_mc, st.washout, st.train, s.max_delay, s.ridge)
            .map_or(f64::NAN, |v| v[1..].iter().sum());
        let (u, y) = narma_data;
        let states = res.run(u);
        let n = res.n;
        let rows = |a: usize, b: usize| states[a * n..b * n].to_vec();
        let (w0, w1, w2) = (st.washout, st.washout + st.train, st.washout + st.train + st.test);
        let nrmse = ridge(&rows(w0, w1), &y[w0..w1], st.train, s.ridge).map_or(f64::NAN, |w| {
            let pred = predict(&rows(w1, w2), &w, st.test);
            let target = &y[w1..w2];
            let mean = target.iter().sum::<f64>() / target.len() as f64;
            let var = target.iter().map(|t| (t - mean).powi(2)).sum::<f64>();
            let err = pred.iter().zip(target).map(|(p, t)| (p - t).powi(2)).sum::<f64>();
            (err / var).sqrt()
        });
        let mean_balance = res.beta.iter().sum::<f64>() / n as f64;
        Scores { memory_capacity: mc, narma_nrmse: nrmse, mean_rate, mean_balance }
    }
}

impl Prepared for PreparedEi {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        toml::to_string_pretty(&self.spec).expect("an ei_reservoir spec serialises to TOML")
    }
    fn describe(&self) -> String {
        let s = &self.spec.ei_reservoir;
        format!(
            "Dale reservoir of {} units: {} global balances, {} adaptation targets",
            s.model.n,
            s.balances.len(),
            s.targets.len()
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let spec = &self.spec;
        let s = &spec.ei_reservoir;
        let seed = spec.seed;
        let steps = spec.total_steps();
        let mut r = rng::stream(seed, "ei_reservoir/u", 0);
        let u_mc: Vec<f64> = (0..steps).map(|_| r.random_range(-1.0..1.0)).collect();
        let narma_data = narma(steps, s.narma_order, seed).map_err(|e| e.to_string())?;
        let mut r = rng::stream(seed, "ei_reservoir/adapt", 0);
        let u_adapt: Vec<f64> =
            (0..s.adaptation.steps).map(|_| r.random_range(-1.0..1.0)).collect();
        let base = s.model.build(1.0, seed).map_err(|e| e.to_string())?;
        let total = s.balances.len() + 2 * s.targets.len();
        ctx.progress.phase("reservoirs", total as u64);
        let global: Vec<Scores> = ctx.unit("global", || {
            Ok(s.balances
                .par_iter()
                .map(|&b| {
                    let mut res = base.clone();
                    res.beta.iter_mut().for_each(|x| *x = b);
                    self.scores(&res, &u_mc, &narma_data)
                })
                .collect())
        })?;
        ctx.cases_done(s.balances.len(), total);
        let mut r = rng::stream(seed, "ei_reservoir/targets", 0);
        let spread: Vec<f64> =
            (0..s.model.n).map(|_| r.random_range(-s.heterogeneity..=s.heterogeneity)).collect();
        let local: Vec<(Scores, Scores)> = ctx.unit("local", || {
            Ok(s.targets
                .par_iter()
                .map(|&rho| {
                    let adapted = |targets: Vec<f64>| {
                        let mut res = base.clone();
                        res.adapt(&u_adapt, &targets, s.adaptation.rate);
                        self.scores(&res, &u_mc, &narma_data)
                    };
                    let same = adapted(vec![rho; s.model.n]);
                    let hetero = adapted(spread.iter().map(|d| rho * (1.0 + d)).collect());
                    (same, hetero)
                })
                .collect())
        })?;
        ctx.cases_done(total, total);
        Ok(self.outcome(&global, &local))
    }
}

impl PreparedEi {
    fn outcome(&self, global: &[Scores], local: &[(Scores, Scores)]) -> Outcome {
        let s = &self.spec.ei_reservoir;
        let mc: Vec<f64> = global.iter().map(|g| g.memory_capacity).collect();
        let nrmse: Vec<f64> = global.iter().map(|g| g.narma_nrmse).collect();
        let argmax =
            |v: &[f64]| v.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |x| x.0);
        let argmin =
            |v: &[f64]| v.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |x| x.0);
        let (bm, bn) = (argmax(&mc), argmin(&nrmse));
        let lmc: Vec<f64> = local.iter().map(|l| l.0.memory_capacity).collect();
        let hmc: Vec<f64> = local.iter().map(|l| l.1.memory_capacity).collect();
        let ln: Vec<f64> = local.iter().map(|l| l.0.narma_nrmse).collect();
        let hn: Vec<f64> = local.iter().map(|l| l.1.narma_nrmse).collect();
        let best_local_mc = lmc.iter().chain(&hmc).copied().fold(f64::NEG_INFINITY, f64::max);
        let best_local_n = ln.iter().chain(&hn).copied().fold(f64::INFINITY, f64::min);
        let excitation = s
            .balances
            .iter()
            .zip(&mc)
            .filter(|(b, _)| **b < 1.0)
            .map(|(_, m)| *m)
            .fold(None, |acc: Option<f64>, m| Some(acc.map_or(m, |a| a.max(m))));
        let excitation_nrmse = s
            .balances
            .iter()
            .zip(&nrmse)
            .filter(|(b, _)| **b < 1.0)
            .map(|(_, m)| *m)
            .fold(None, |acc: Option<f64>, m| Some(acc.map_or(m, |a| a.min(m))));
        let m = EiMetrics {
            memory_capacity_by_balance: mc.clone(),
            nrmse_by_balance: nrmse.clone(),
            rate_by_balance: global.iter().map(|g| g.mean_rate).collect(),
            best_balance_memory: s.balances[bm],
            best_balance_nrmse: s.balances[bn],
            global_memory_capacity: mc[bm],
            global_nrmse: nrmse[bn],
            excitation_dominated_memory_capacity: excitation,
            excitation_dominated_nrmse: excitation_nrmse,
            local_memory_capacity: lmc.clone(),
            hetero_memory_capacity: hmc.clone(),
            local_nrmse: ln,
            hetero_nrmse: hn,
            local_mean_balance: local.iter().map(|l| l.0.mean_balance).collect(),
            memory_gain: best_local_mc / mc[bm],
            nrmse_gain: nrmse[bn] / best_local_n,
        };
        let summary = format!(
            "{}: memory capacity best at β = {} ({:.2}), NARMA best at β = {} (NRMSE {:.3}); local adaptation: ×{:.2} memory, ×{:.2} lower error",
            self.spec.name,
            m.best_balance_memory,
            m.global_memory_capacity,
            m.best_balance_nrmse,
            m.global_nrmse,
            m.memory_gain,
            m.nrmse_gain
        );
        let (nb, nt) = (s.balances.len(), s.targets.len());
        let arrays = vec![
            ("balances".to_string(), Array::f64(&[nb], s.balances.clone())),
            ("memory_capacity_by_balance".to_string(), Array::f64(&[nb], mc)),
            ("nrmse_by_balance".to_string(), Array::f64(&[nb], nrmse)),
            ("targets".to_string(), Array::f64(&[nt], s.targets.clone())),
            ("local_memory_capacity".to_string(), Array::f64(&[nt], lmc)),
            ("hetero_memory_capacity".to_string(), Array::f64(&[nt], hmc)),
            ("local_mean_balance".to_string(), Array::f64(&[nt], m.local_mean_balance.clone())),
        ];
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Outcome { files: vec![("ei_reservoir.npz".to_string(), arrays)], metrics, summary }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Limits;

    const SPEC: &str = r#"
name = "small"
seed = 2
[ei_reservoir]
model = { n = 60, gain = 20.0 }
balances = [0.5, 1.0, 2.0]
targets = [0.5]
steps = { washout = 100, train = 600, test = 300 }
adaptation = { steps = 500, rate = 0.05 }
max_delay = 20
"#;

    fn prepare(text: &str) -> Result<Box<dyn Prepared>, SpecError> {
        EiReservoirKind.prepare(text, "e.toml", Path::new("."), &Limits::none())
    }

    #[test]
    fn every_reservoir_is_scored_on_both_tasks() {
        let prepared = prepare(SPEC).unwrap();
        let out = crate::kinds::scratch(|ctx| prepared.run(ctx)).unwrap();
        let m: EiMetrics = serde_json::from_value(out.metrics).unwrap();
        let all = m.memory_capacity_by_balance.iter().chain(&m.local_memory_capacity);
        // Memory capacity is between 0 and the number of units; NRMSE is finite and positive.
        assert!(all.clone().all(|&c| c > 0.0 && c <= 60.0), "{m:?}");
        assert!(
            m.nrmse_by_balance.iter().chain(&m.hetero_nrmse).all(|e| e.is_finite() && *e > 0.0)
        );
        // More inhibition, lower rates.
        assert!(m.rate_by_balance.windows(2).all(|w| w[1] < w[0]), "{:?}", m.rate_by_balance);
    }

    #[test]
    fn bad_settings_are_located_errors() {
        let e = prepare(&SPEC.replace("targets = [0.5]", "targets = [1.5]")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("ei_reservoir.targets[0]"), "{e}");
        let e = prepare(&SPEC.replace("train = 600", "train = 30")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("ei_reservoir.steps.train"), "{e}");
        let e = prepare(&SPEC.replace("gain = 20.0", "gain = -1.0")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("ei_reservoir.model.gain"), "{e}");
    }
}
