//! The `bursting` run kind (`[bursting]` specs): uncoupled elliptic bursters under a common
//! periodic pulse train, and the circle map their phase response reduces it to (Lajoie &
//! Shea-Brown 2011, arXiv:1010.2809).
//!
//! For each kick amplitude `A` the kind measures the burst cycle's phase response `Z(θ)`
//! (`analysis::elliptic_burster`), and for each kick period `T` (in units of the free period
//! `T₀`) iterates the circle map `F(θ) = θ + Z(θ) + T/T₀` (`analysis::circle_map::JumpPrcMap`):
//! its Lyapunov exponent and rotation number. Independently it kicks the burster itself and
//! measures the flow's largest Lyapunov exponent per kick. Uncoupled cells under a common input
//! synchronise where the exponent is negative (phase-locked) and stay apart where it is
//! positive (chaotic); the period–amplitude map shows which, by the map and by the flow.
//!
//! ```toml
//! name = "bursters"
//! [bursting]
//! model = { omega = 3.0, mu = 0.05, a = 0.5 }
//! amplitudes = [0.1, 0.2]
//! periods = [1.05, 1.15, 1.25]
//! ```

use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Outcome, Prepared};
use neurodyn_analysis::circle_map::{JumpPrcMap, orbit};
use neurodyn_analysis::elliptic_burster::{EllipticBurster, kicked_lyapunov};
use neurodyn_analysis::similarity::pearson;
use neurodyn_core::{RangeError, check};
use neurodyn_io::IoError;
use neurodyn_io::npz::{Array, read_f64};
use neurodyn_io::spec::{
    SCHEMA_VERSION, SpecError, check_name, check_values, range_error, schema_version, serde_error,
};
use neurodyn_report::svg::{Marker, Plot};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// A kicked-burster experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BurstingSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the run.
    pub name: String,
    /// Unused (the experiment is deterministic); kept for the common `--seed`.
    #[serde(default)]
    pub seed: u64,
    /// The experiment.
    pub bursting: Settings,
}

/// The burster, the grid of kicks and the measurements.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The normal form's parameters.
    pub model: Model,
    /// RK4 step [time units].
    #[serde(default = "dt")]
    pub dt: f64,
    /// Kick amplitudes `A` (added to `x`).
    pub amplitudes: Vec<f64>,
    /// Kick periods `T/T₀` [1].
    pub periods: Vec<f64>,
    /// Phases at which the phase response is measured [1].
    #[serde(default = "five_hundred")]
    pub prc_points: usize,
    /// The phase response is read at the `prc_bursts`-th burst onset after the kick [1].
    #[serde(default = "two")]
    pub prc_bursts: usize,
    /// Change of `Z` across one table interval that counts as a discontinuity [periods].
    #[serde(default = "jump")]
    pub jump: f64,
    /// Map iterations measured (after as many again discarded) [1].
    #[serde(default = "two_thousand")]
    pub map_iterations: usize,
    /// Kicks of the flow measured [1].
    #[serde(default = "three_hundred")]
    pub kicks: usize,
    /// Kicks of the flow discarded first [1].
    #[serde(default = "fifty")]
    pub transient_kicks: usize,
}

/// [`EllipticBurster`]'s parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Spiking frequency `ω` [rad/time unit].
    pub omega: f64,
    /// Slow rate `μ` [1/time unit].
    pub mu: f64,
    /// Slow target `a` (bursting for `0 < a < 1`).
    pub a: f64,
}

fn dt() -> f64 {
    0.02
}
fn five_hundred() -> usize {
    500
}
fn two() -> usize {
    2
}
fn jump() -> f64 {
    0.05
}
fn two_thousand() -> usize {
    2000
}
fn three_hundred() -> usize {
    300
}
fn fifty() -> usize {
    50
}

impl Model {
    fn field(&self) -> EllipticBurster {
        EllipticBurster { omega: self.omega, mu: self.mu, a: self.a }
    }
}

impl BurstingSpec {
    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        let b = &self.bursting;
        let m = &b.model;
        check(
            m.omega > 0.0 && m.omega <= 100.0,
            "bursting.model.omega",
            m.omega,
            "between 0 and 100",
        )?;
        check(m.mu > 0.0 && m.mu <= 1.0, "bursting.model.mu", m.mu, "between 0 and 1")?;
        check(m.a > 0.0 && m.a < 1.0, "bursting.model.a", m.a, "between 0 and 1 (bursting)")?;
        check(
            b.dt > 0.0 && b.dt <= 0.1 / m.omega.max(1.0) * 10.0,
            "bursting.dt",
            b.dt,
            "a step > 0 resolving the spikes (at most 1/ω)",
        )?;
        let list = |v: &[f64], field: &str, lo: f64, hi: f64| {
            check_values(
                v,
                &format!("bursting.{field}"),
                |x| x > lo && x <= hi,
                &format!("a value in ({lo}, {hi}]"),
            )
        };
        list(&b.amplitudes, "amplitudes", 0.0, 10.0)?;
        list(&b.periods, "periods", 0.0, 100.0)?;
        check(
            (20..=100_000).contains(&b.prc_points),
            "bursting.prc_points",
            b.prc_points,
            "between 20 and 100000",
        )?;
        check((1..=20).contains(&b.prc_bursts), "bursting.prc_bursts", b.prc_bursts, "1 to 20")?;
        check(b.jump > 0.0 && b.jump < 1.0, "bursting.jump", b.jump, "between 0 and 1")?;
        check(
            (10..=10_000_000).contains(&b.map_iterations),
            "bursting.map_iterations",
            b.map_iterations,
            "between 10 and 1e7",
        )?;
        check((10..=1_000_000).contains(&b.kicks), "bursting.kicks", b.kicks, "10 to 1e6")?;
        check(
            b.transient_kicks <= 1_000_000,
            "bursting.transient_kicks",
            b.transient_kicks,
            "at most 1e6",
        )
    }
}

/// One amplitude's measurements.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct AmplitudeResult {
    prc: Vec<f64>,
    map_lyapunov: Vec<f64>,
    map_rotation: Vec<f64>,
    flow_lyapunov: Vec<f64>,
}

/// `metrics.json` of a kicked-burster experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BurstingMetrics {
    /// The free burst period `T₀` [time units].
    pub free_period: f64,
    /// Grid points `(A, T/T₀)` [1].
    pub points: usize,
    /// Pearson correlation of the map's and the flow's exponents over the grid [1].
    pub correlation: f64,
    /// Median |map − flow| exponent over the grid [1/kick].
    pub median_abs_difference: f64,
    /// Fraction of points where the map and the flow agree in sign (chaotic or locked) [1].
    pub sign_agreement: f64,
    /// Points the map calls chaotic (λ > 0) [1].
    pub map_chaotic: usize,
    /// Points the flow calls chaotic [1].
    pub flow_chaotic: usize,
    /// Points both call chaotic [1].
    pub both_chaotic: usize,
    /// Points both call phase-locked (λ < 0) [1].
    pub both_locked: usize,
    /// Of the points the flow calls chaotic, the fraction the map calls chaotic too [1].
    pub flow_chaos_predicted: f64,
}

/// The `bursting` kind.
pub struct BurstingKind;

/// A validated experiment.
pub struct PreparedBursting {
    spec: BurstingSpec,
}

impl Kind for BurstingKind {
    fn name(&self) -> &'static str {
        "bursting"
    }
    fn table(&self) -> &'static str {
        "bursting"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec: BurstingSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
        spec.validate().map_err(|e| range_error(text, file, e))?;
        let b = &spec.bursting;
        let mut m = MemoryEstimate::new();
        // The sampled cycle (about 1000/μ time units) and the tables.
        m.add("bursting.dt", 1000.0 / b.model.mu / b.dt, 24.0);
        m.add("bursting.prc_points", (b.prc_points * b.amplitudes.len()) as f64, 8.0);
        m.check(limits, text, file)?;
        Ok(Box::new(PreparedBursting { spec }))
    }
    fn figures(&self, dir: &Path, _: &str, _: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
        figures(&dir.join("bursting.npz"))
    }
}

impl Prepared for PreparedBursting {
    fn name(&self) -> &str {
        &self.spec.name
    }
    fn resolved(&self) -> String {
        toml::to_string_pretty(&self.spec).expect("a bursting spec serialises to TOML")
    }
    fn describe(&self) -> String {
        let b = &self.spec.bursting;
        format!(
            "elliptic burster under periodic kicks: {} amplitudes × {} periods, circle map against the flow",
            b.amplitudes.len(),
            b.periods.len()
        )
    }
    fn resumable(&self) -> bool {
        true
    }
    fn run(&self, ctx: &mut Context<'_>) -> Result<Outcome, String> {
        let b = &self.spec.bursting;
        let field = b.model.field();
        // The transient: several slow times 1/μ, from near rest.
        let cycle = field
            .cycle(b.dt, 20.0 / b.model.mu)
            .ok_or("the model does not burst (no burst onset found); check bursting.model")?;
        let t0 = cycle.period;
        ctx.progress.phase("amplitudes", b.amplitudes.len() as u64);
        let mut results = Vec::new();
        for (i, &amp) in b.amplitudes.iter().enumerate() {
            let r = ctx.unit(&format!("amplitude_{i}"), || {
                let prc = cycle.phase_response(&field, amp, b.prc_points, b.prc_bursts);
                if prc.iter().any(|z| !z.is_finite()) {
                    return Err(format!(
                        "a kick of amplitude {amp} stopped the bursting (no onset after it); use smaller bursting.amplitudes"
                    ));
                }
                let rows: Vec<(f64, f64, f64)> = b
                    .periods
                    .par_iter()
                    .map(|&ratio| {
                        let map = JumpPrcMap { prc: prc.clone(), shift: ratio, jump: b.jump };
                        let o = orbit(&map, 0.1, b.map_iterations, b.map_iterations, 0);
                        let flow = kicked_lyapunov(
                            &field,
                            amp,
                            ratio * t0,
                            b.dt,
                            cycle.at(0.1),
                            b.transient_kicks,
                            b.kicks,
                        );
                        (o.lyapunov, o.rotation_number, flow)
                    })
                    .collect();
                Ok(AmplitudeResult {
                    prc,
                    map_lyapunov: rows.iter().map(|r| r.0).collect(),
                    map_rotation: rows.iter().map(|r| r.1).collect(),
                    flow_lyapunov: rows.iter().map(|r| r.2).collect(),
                })
            })?;
            results.push(r);
            ctx.cases_done(i + 1, b.amplitudes.len());
        }
        Ok(self.outcome(t0, &results))
    }
}

impl PreparedBursting {
    fn outcome(&self, t0: f64, results: &[AmplitudeResult]) -> Outcome {
        let b = &self.spec.bursting;
        let map: Vec<f64> = results.iter().flat_map(|r| r.map_lyapunov.clone()).collect();
        let flow: Vec<f64> = results.iter().flat_map(|r| r.flow_lyapunov.clone()).collect();
        let n = map.len();
        let mut diffs: Vec<f64> = map.iter().zip(&flow).map(|(m, f)| (m - f).abs()).collect();
        diffs.sort_by(f64::total_cmp);
        let median =
            if n % 2 == 1 { diffs[n / 2] } else { 0.5 * (diffs[n / 2 - 1] + diffs[n / 2]) };
        let count = |f: &dyn Fn(f64, f64) -> bool| {
            map.iter().zip(&flow).filter(|(m, l)| f(**m, **l)).count()
        };
        let agree = count(&|m, l| (m > 0.0) == (l > 0.0));
        let flow_chaotic = flow.iter().filter(|&&l| l > 0.0).count();
        let both_chaotic = count(&|m, l| m > 0.0 && l > 0.0);
        let m = BurstingMetrics {
            free_period: t0,
            points: n,
            correlation: pearson(&map, &flow),
            median_abs_difference: median,
            sign_agreement: agree as f64 / n as f64,
            map_chaotic: map.iter().filter(|&&l| l > 0.0).count(),
            flow_chaotic,
            both_chaotic,
            both_locked: count(&|m, l| m < 0.0 && l < 0.0),
            flow_chaos_predicted: both_chaotic as f64 / flow_chaotic.max(1) as f64,
        };
        let summary = format!(
            "{}: T₀ = {:.2}; map vs flow exponents r = {:.3}, signs agree at {}/{} points, chaotic: map {}, flow {}, both {}",
            self.spec.name,
            t0,
            m.correlation,
            agree,
            n,
            m.map_chaotic,
            m.flow_chaotic,
            m.both_chaotic
        );
        let (na, np) = (b.amplitudes.len(), b.periods.len());
        let prc: Vec<f64> = results.iter().flat_map(|r| r.prc.clone()).collect();
        let rot: Vec<f64> = results.iter().flat_map(|r| r.map_rotation.clone()).collect();
        let arrays = vec![
            ("amplitudes".to_string(), Array::f64(&[na], b.amplitudes.clone())),
            ("periods".to_string(), Array::f64(&[np], b.periods.clone())),
            ("map_lyapunov".to_string(), Array::f64(&[na, np], map)),
            ("flow_lyapunov".to_string(), Array::f64(&[na, np], flow)),
            ("map_rotation".to_string(), Array::f64(&[na, np], rot)),
            ("prc".to_string(), Array::f64(&[na, b.prc_points], prc)),
        ];
        let metrics = serde_json::to_value(&m).expect("metrics serialise");
        Outcome { files: vec![("bursting.npz".to_string(), arrays)], metrics, summary }
    }
}

const COLORS: [&str; 6] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"];

fn figures(file: &Path) -> Result<Vec<Figure>, IoError> {
    let (_, amps) = read_f64(file, "amplitudes")?;
    let (_, periods) = read_f64(file, "periods")?;
    let (_, map) = read_f64(file, "map_lyapunov")?;
    let (_, flow) = read_f64(file, "flow_lyapunov")?;
    let (shape, prc) = read_f64(file, "prc")?;
    let np = periods.len();
    let mut z = Plot::new("Phase response of the burst cycle", "kick phase θ", "Z(θ) [periods]");
    let m = shape.get(1).copied().unwrap_or(1);
    let theta: Vec<f64> = (0..m).map(|i| i as f64 / m as f64).collect();
    for (i, a) in amps.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        z.line(&theta, &prc[i * m..(i + 1) * m], c, 1.2);
        z.legend(&format!("A = {a}"), c, None);
    }
    let mut l = Plot::new(
        "Lyapunov exponent per kick: circle map against the kicked flow",
        "kick period T/T₀",
        "λ [1/kick]",
    );
    for (i, a) in amps.iter().enumerate() {
        let c = COLORS[i % COLORS.len()];
        l.line(&periods, &map[i * np..(i + 1) * np], c, 1.2);
        l.points(&periods, &flow[i * np..(i + 1) * np], c, Marker::Dot, 3.0);
        l.legend(&format!("A = {a}: map (line), flow (dots)"), c, Some(Marker::Dot));
    }
    let ends = [periods[0], *periods.last().unwrap_or(&periods[0])];
    l.dashed(&ends, &[0.0, 0.0], "#7f7f7f", 1.0);
    let mut s =
        Plot::new("Map against flow, every grid point", "λ of the circle map", "λ of the flow");
    s.points(&map, &flow, "#1f77b4", Marker::Dot, 3.0);
    let lo = map.iter().chain(&flow).copied().fold(f64::INFINITY, f64::min);
    let hi = map.iter().chain(&flow).copied().fold(f64::NEG_INFINITY, f64::max);
    s.dashed(&[lo, hi], &[lo, hi], "#7f7f7f", 1.0);
    Ok(vec![
        Figure {
            file: "burster_prc.svg".into(),
            svg: z.to_svg(),
            caption: "How much a kick at each phase of the burst cycle advances the following bursts, for each amplitude; the jumps are kicks that start a burst early or end one.".into(),
        },
        Figure {
            file: "burster_lyapunov.svg".into(),
            svg: neurodyn_report::svg::stack(&[l, s]),
            caption: "The period–amplitude map: Lyapunov exponent per kick of the circle map built from the phase response (lines) and of the kicked burster itself (dots); positive is chaotic, negative phase-locked. Below, every grid point, map against flow, with the diagonal.".into(),
        },
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::Limits;

    const SPEC: &str = r#"
name = "small"
[bursting]
model = { omega = 3.0, mu = 0.05, a = 0.5 }
amplitudes = [0.1]
periods = [0.7, 0.85]
prc_points = 400
kicks = 60
map_iterations = 300
"#;

    fn prepare(text: &str) -> Result<Box<dyn Prepared>, SpecError> {
        BurstingKind.prepare(text, "b.toml", Path::new("."), &Limits::none())
    }

    #[test]
    fn the_map_and_the_flow_agree_where_the_kicks_lock_the_bursts() {
        let prepared = prepare(SPEC).unwrap();
        let out = crate::kinds::scratch(|ctx| prepared.run(ctx)).unwrap();
        let m: BurstingMetrics = serde_json::from_value(out.metrics).unwrap();
        // Kicks every 0.7 and 0.85 T₀ lock the bursts 1:1 (λ ≈ −5 and −1.6 per kick at full
        // resolution); the map built from 400 phases gets each within 0.3.
        assert_eq!(m.both_locked, 2, "{m:?}");
        assert!(m.median_abs_difference < 0.3, "{m:?}");
    }

    #[test]
    fn bad_settings_are_located_errors() {
        let e = prepare(&SPEC.replace("a = 0.5", "a = 1.5")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("bursting.model.a"), "{e}");
        let e =
            prepare(&SPEC.replace("periods = [0.7, 0.85]", "periods = [0.7, -1.0]")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("bursting.periods[1]"), "{e}");
    }
}
