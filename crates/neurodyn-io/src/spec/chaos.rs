//! Chaos specs: Lyapunov- and Jacobian-spectrum reproductions, one table under `[chaos]` naming
//! the study (`tanh_gain_sweep`, `theta_balanced`, `theta_driven`, `deep_jacobian`).
//!
//! ```toml
//! name = "sompolinsky_1988"
//! [chaos.tanh_gain_sweep]
//! n = 500
//! gains = [0.6, 0.8, 1.0, 1.2, 1.5, 2.0]
//! ```

use super::{SCHEMA_VERSION, SpecError, check_name, range_error, schema_version, serde_error};
use neurodyn_analysis::deep_jacobian::{Nonlinearity, WeightInit};
use neurodyn_core::{RangeError, check};
use serde::{Deserialize, Serialize};

/// A chaos experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChaosSpec {
    /// Spec format version.
    #[serde(default = "schema_version")]
    pub schema_version: u32,
    /// Name of the experiment.
    pub name: String,
    /// Seed of networks and initial states.
    #[serde(default)]
    pub seed: u64,
    /// The study.
    pub chaos: ChaosStudy,
}

/// The studies.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ChaosStudy {
    /// λ_max of the random tanh network `h ← tanh(g W h)`, `W_ij ~ N(0, 1/N)`, against `g`
    /// (Sompolinsky, Crisanti & Sommers 1988: λ_max crosses 0 at `g = 1`).
    TanhGainSweep(TanhGainSweep),
    /// Full event-based spectra of balanced inhibitory theta networks of growing size
    /// (Monteforte & Wolf 2010: extensive chaos).
    ThetaBalanced(ThetaBalanced),
    /// Balanced theta networks driven by frozen noise: reliability across initial states, the
    /// driven spectrum and the entropy bound against the single-cell extrapolation (Lajoie et
    /// al. 2013, 2014).
    ThetaDriven(ThetaDriven),
    /// Singular values of deep feed-forward Jacobians at initialisation against depth, with the
    /// free-probability prediction (Pennington, Schoenholz & Ganguli 2017: dynamical isometry).
    DeepJacobian(DeepJacobian),
}

/// One network family of [`ChaosStudy::DeepJacobian`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JacobianCase {
    /// `linear`, `tanh` or `relu`.
    pub nonlinearity: Nonlinearity,
    /// `gaussian` or `orthogonal`.
    pub weights: WeightInit,
    /// Weight scale `σ_w` [1].
    pub sigma_w: f64,
    /// Bias standard deviation `σ_b` [1].
    #[serde(default)]
    pub sigma_b: f64,
}

/// Settings of [`ChaosStudy::DeepJacobian`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeepJacobian {
    /// Width `N` of every layer [1].
    pub width: usize,
    /// Depths `L` [1].
    pub depths: Vec<usize>,
    /// Networks drawn per case and depth [1].
    #[serde(default = "eight")]
    pub samples: usize,
    /// The families compared.
    pub cases: Vec<JacobianCase>,
}

fn eight() -> usize {
    8
}

/// Settings of [`ChaosStudy::TanhGainSweep`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TanhGainSweep {
    /// Network sizes `N`, swept to see the finite-size shift of the transition [1].
    pub sizes: Vec<usize>,
    /// Independent networks per size (each its own draw of `W` and `h0`) [1].
    #[serde(default = "one_usize")]
    pub networks: usize,
    /// Gains `g` [1].
    pub gains: Vec<f64>,
    /// Steps discarded [1].
    #[serde(default = "transient")]
    pub n_transient: usize,
    /// Steps averaged [1].
    #[serde(default = "steps")]
    pub n_steps: usize,
    /// Leading exponents computed per gain (1: λ_max only; `n`: the full spectrum) [1].
    #[serde(default = "one_usize")]
    pub n_exponents: usize,
    /// Steps between re-orthonormalisations [1].
    #[serde(default = "one_usize")]
    pub qr_every: usize,
    /// Optional `.npz` with the coupling `w` (`N × N`, used as is: no scaling) and optionally
    /// the initial state `h0` (`N`), for one size and one network; relative to the spec's
    /// folder. Without it `W_ij ~ N(0, 1/N)`
    /// and `h0 ~ U(−0.5, 0.5)` are drawn from the seed.
    #[serde(default)]
    pub network: Option<String>,
    /// The arrays of `network`, read when the spec is loaded.
    #[serde(skip)]
    pub loaded: Option<LoadedNetwork>,
}

/// A coupling matrix (row-major) and an optional initial state, from a file.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadedNetwork {
    /// `W`, `n × n`, row-major.
    pub w: Vec<f64>,
    /// `h0`, if the file has one.
    pub h0: Option<Vec<f64>>,
}

fn one_usize() -> usize {
    1
}
fn transient() -> usize {
    500
}
fn steps() -> usize {
    2000
}

/// Settings of [`ChaosStudy::ThetaBalanced`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThetaBalanced {
    /// Network sizes [1].
    pub sizes: Vec<usize>,
    /// In-degree `K` [1].
    pub in_degree: usize,
    /// Coupling scale `J₀` (each input `−J₀/√K`) [1].
    #[serde(default = "one")]
    pub j0: f64,
    /// Mean drive `η` [1].
    #[serde(default = "one")]
    pub eta: f64,
    /// Membrane time constant [ms].
    #[serde(default = "ten")]
    pub tau: f64,
    /// Averaged spikes per neuron (20 per neuron more are discarded first) [1].
    #[serde(default = "hundred")]
    pub spikes_per_neuron: usize,
    /// Optional frozen drive: each network's spectrum is also computed under frozen Poisson
    /// pulses (exact, event-based), to compare driven with autonomous chaos.
    #[serde(default)]
    pub drive: Option<FrozenDrive>,
}

/// A frozen Poisson drive of δ-pulses per neuron.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrozenDrive {
    /// Pulse rate per neuron [Hz].
    pub rate_hz: f64,
    /// Jump of `tan(θ/2)` per pulse [1].
    pub weight: f64,
}

/// Settings of [`ChaosStudy::ThetaDriven`] (model: `neurodyn_analysis::driven_theta`; times in
/// the model's dimensionless units).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThetaDriven {
    /// Network sizes [1].
    pub sizes: Vec<usize>,
    /// Fraction of excitatory neurons [1].
    #[serde(default = "frac_exc")]
    pub frac_exc: f64,
    /// Inputs per neuron `K` [1].
    pub in_degree: usize,
    /// Excitatory weight scale `a_E` (weights `a_E/√K`) [1].
    #[serde(default = "one")]
    pub a_exc: f64,
    /// Inhibitory weight scale `a_I` (weights `−a_I/√K`) [1].
    #[serde(default = "four")]
    pub a_inh: f64,
    /// Excitability `η` [1].
    #[serde(default = "minus_half")]
    pub eta: f64,
    /// Frozen-noise amplitude `ε` [1].
    #[serde(default = "half")]
    pub epsilon: f64,
    /// Euler–Maruyama step [time units].
    #[serde(default = "dt")]
    pub dt: f64,
    /// Pulse sharpness `m` of `sin^{2m}(θ/2)` [1].
    #[serde(default = "pulse_order")]
    pub pulse_order: u32,
    /// Time discarded before any statistic [time units].
    #[serde(default = "fifty")]
    pub transient: f64,
    /// Time analysed [time units].
    #[serde(default = "two_hundred")]
    pub duration: f64,
    /// Trials (initial states) under the same frozen drive [1].
    #[serde(default = "hundred")]
    pub trials: usize,
    /// Bin of the spike words [time units].
    #[serde(default = "one")]
    pub bin: f64,
    /// Bins per word [1].
    #[serde(default = "three")]
    pub word_len: usize,
    /// Width of the Gaussian of the reliability measure [time units].
    #[serde(default = "half")]
    pub reliability_sigma: f64,
    /// Further `[bin, word_len]` word settings at which the entropy ratio is also reported,
    /// to show how it depends on the choice [time units, 1].
    #[serde(default)]
    pub word_sensitivity: Vec<(f64, usize)>,
    /// Reliability over sliding windows, to find neurons that alternate between reliable and
    /// unreliable epochs (intermittent reliability, Lajoie, Lin & Shea-Brown 2013); absent: not
    /// measured.
    #[serde(default)]
    pub windows: Option<ReliabilityWindows>,
}

/// Sliding windows of [`ThetaDriven::windows`]: each neuron's trials are scored by Schreiber
/// reliability (width `reliability_sigma`) in every window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReliabilityWindows {
    /// Window width [time units].
    pub width: f64,
    /// Start-to-start step [time units].
    pub step: f64,
    /// Reliability a window must exceed to count as reliable [1].
    #[serde(default = "threshold")]
    pub threshold: f64,
    /// A neuron is intermittent when the fraction of its windows that are reliable lies in
    /// `[lo, hi]`; below `lo` it is unreliable, above `hi` reliable [1].
    #[serde(default = "intermittent")]
    pub intermittent: (f64, f64),
}

fn threshold() -> f64 {
    0.8
}
fn intermittent() -> (f64, f64) {
    (0.1, 0.9)
}

fn frac_exc() -> f64 {
    0.8
}
fn four() -> f64 {
    4.0
}
fn minus_half() -> f64 {
    -0.5
}
fn half() -> f64 {
    0.5
}
fn dt() -> f64 {
    0.05
}
fn pulse_order() -> u32 {
    10
}
fn fifty() -> f64 {
    50.0
}
fn two_hundred() -> f64 {
    200.0
}
fn three() -> usize {
    3
}
fn one() -> f64 {
    1.0
}
fn ten() -> f64 {
    10.0
}
fn hundred() -> usize {
    100
}

impl ThetaDriven {
    /// The network settings for size `n`.
    pub fn network(&self, n: usize) -> neurodyn_analysis::driven_theta::DrivenThetaConfig {
        neurodyn_analysis::driven_theta::DrivenThetaConfig {
            n,
            frac_exc: self.frac_exc,
            in_degree: self.in_degree,
            a_exc: self.a_exc,
            a_inh: self.a_inh,
            eta: self.eta,
            epsilon: self.epsilon,
            dt: self.dt,
            pulse_order: self.pulse_order,
        }
    }
}

impl ChaosSpec {
    /// The resolved spec as TOML (every default written out).
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("a chaos spec serialises to TOML")
    }

    fn validate(&self) -> Result<(), RangeError> {
        check(self.schema_version == SCHEMA_VERSION, "schema_version", self.schema_version, "1")?;
        check_name(&self.name)?;
        match &self.chaos {
            ChaosStudy::TanhGainSweep(t) => {
                let f = "chaos.tanh_gain_sweep";
                check(
                    !t.sizes.is_empty() && t.sizes.iter().all(|&n| n >= 2),
                    &format!("{f}.sizes"),
                    format!("{:?}", t.sizes),
                    "a non-empty list of sizes, each at least 2",
                )?;
                check(t.networks >= 1, &format!("{f}.networks"), t.networks, "at least 1")?;
                check(
                    t.network.is_none() || (t.sizes.len() == 1 && t.networks == 1),
                    &format!("{f}.network"),
                    format!("{:?}", t.network.as_deref().unwrap_or("")),
                    "one size and networks = 1 when the network is read from a file",
                )?;
                check(
                    !t.gains.is_empty() && t.gains.iter().all(|g| *g > 0.0 && g.is_finite()),
                    &format!("{f}.gains"),
                    format!("{:?}", t.gains),
                    "a non-empty list of finite gains > 0",
                )?;
                check(
                    t.n_exponents >= 1 && t.sizes.iter().all(|&n| t.n_exponents <= n),
                    &format!("{f}.n_exponents"),
                    t.n_exponents,
                    "between 1 and the smallest size",
                )?;
                check(t.qr_every >= 1, &format!("{f}.qr_every"), t.qr_every, "at least 1")?;
                check(
                    t.n_steps >= 10 * t.qr_every,
                    &format!("{f}.n_steps"),
                    t.n_steps,
                    "at least 10 · qr_every",
                )
            }
            ChaosStudy::ThetaBalanced(t) => {
                let f = "chaos.theta_balanced";
                check(
                    !t.sizes.is_empty() && t.sizes.iter().all(|&n| n > t.in_degree),
                    &format!("{f}.sizes"),
                    format!("{:?}", t.sizes),
                    "a non-empty list of sizes above in_degree",
                )?;
                check(t.in_degree >= 1, &format!("{f}.in_degree"), t.in_degree, "at least 1")?;
                check(
                    t.eta > 0.0 && t.eta.is_finite(),
                    &format!("{f}.eta"),
                    t.eta,
                    "a finite drive > 0",
                )?;
                check(
                    t.tau > 0.0 && t.tau.is_finite(),
                    &format!("{f}.tau"),
                    t.tau,
                    "a finite value > 0 [ms]",
                )?;
                check(t.j0.is_finite(), &format!("{f}.j0"), t.j0, "a finite number")?;
                if let Some(d) = t.drive {
                    check(
                        d.rate_hz > 0.0 && d.rate_hz.is_finite(),
                        &format!("{f}.drive.rate_hz"),
                        d.rate_hz,
                        "a finite rate > 0 [Hz]",
                    )?;
                    check(d.weight.is_finite(), &format!("{f}.drive.weight"), d.weight, "finite")?;
                }
                check(
                    t.spikes_per_neuron >= 10,
                    &format!("{f}.spikes_per_neuron"),
                    t.spikes_per_neuron,
                    "at least 10",
                )
            }
            ChaosStudy::DeepJacobian(t) => {
                let f = "chaos.deep_jacobian";
                check(
                    (2..=2000).contains(&t.width),
                    &format!("{f}.width"),
                    t.width,
                    "between 2 and 2000",
                )?;
                check(
                    !t.depths.is_empty() && t.depths.iter().all(|&d| (1..=1000).contains(&d)),
                    &format!("{f}.depths"),
                    format!("{:?}", t.depths),
                    "a non-empty list of depths between 1 and 1000",
                )?;
                check(t.samples >= 2, &format!("{f}.samples"), t.samples, "at least 2")?;
                check(!t.cases.is_empty(), &format!("{f}.cases"), "[]", "at least one case")?;
                for (i, c) in t.cases.iter().enumerate() {
                    check(
                        c.sigma_w > 0.0 && c.sigma_w.is_finite(),
                        &format!("{f}.cases[{i}].sigma_w"),
                        c.sigma_w,
                        "a finite value > 0",
                    )?;
                    check(
                        c.sigma_b >= 0.0 && c.sigma_b.is_finite(),
                        &format!("{f}.cases[{i}].sigma_b"),
                        c.sigma_b,
                        "a finite value >= 0",
                    )?;
                }
                Ok(())
            }
            ChaosStudy::ThetaDriven(t) => {
                let f = "chaos.theta_driven";
                check(
                    !t.sizes.is_empty() && t.sizes.iter().all(|&n| n > t.in_degree && n <= 2000),
                    &format!("{f}.sizes"),
                    format!("{:?}", t.sizes),
                    "a non-empty list of sizes above in_degree and at most 2000",
                )?;
                for &n in &t.sizes {
                    t.network(n)
                        .validate()
                        .map_err(|e| RangeError { field: format!("{f}.{}", e.field), ..e })?;
                }
                check(
                    t.transient >= 0.0 && t.transient.is_finite(),
                    &format!("{f}.transient"),
                    t.transient,
                    "a finite value >= 0",
                )?;
                check(
                    t.duration >= 10.0 * t.bin && t.duration.is_finite(),
                    &format!("{f}.duration"),
                    t.duration,
                    "finite and at least 10 bins",
                )?;
                check(t.trials >= 2, &format!("{f}.trials"), t.trials, "at least 2")?;
                // Spike times live on the dt grid: a finer bin only adds empty bins (and time
                // and memory in proportion).
                check(
                    t.bin >= t.dt,
                    &format!("{f}.bin"),
                    t.bin,
                    &format!("at least the time step dt = {}", t.dt),
                )?;
                check(
                    (1..=20).contains(&t.word_len),
                    &format!("{f}.word_len"),
                    t.word_len,
                    "between 1 and 20",
                )?;
                check(
                    t.word_sensitivity.iter().all(|&(b, l)| {
                        b >= t.dt && t.duration >= 10.0 * b && (1..=20).contains(&l)
                    }),
                    &format!("{f}.word_sensitivity"),
                    format!("{:?}", t.word_sensitivity),
                    &format!(
                        "[bin, word_len] pairs, dt = {} <= bin <= duration / 10, word_len in 1..=20",
                        t.dt
                    ),
                )?;
                check(
                    t.reliability_sigma > 0.0,
                    &format!("{f}.reliability_sigma"),
                    t.reliability_sigma,
                    "a value > 0",
                )?;
                if let Some(w) = &t.windows {
                    let f = format!("{f}.windows");
                    check(
                        w.width > 0.0 && w.width <= t.duration,
                        &format!("{f}.width"),
                        w.width,
                        &format!("a value in (0, duration = {}]", t.duration),
                    )?;
                    check(
                        w.step > 0.0 && w.step.is_finite(),
                        &format!("{f}.step"),
                        w.step,
                        "a finite value > 0",
                    )?;
                    check(
                        (0.0..1.0).contains(&w.threshold),
                        &format!("{f}.threshold"),
                        w.threshold,
                        "a value in [0, 1)",
                    )?;
                    let (lo, hi) = w.intermittent;
                    check(
                        0.0 < lo && lo <= hi && hi < 1.0,
                        &format!("{f}.intermittent"),
                        format!("[{lo}, {hi}]"),
                        "[lo, hi] with 0 < lo <= hi < 1",
                    )?;
                }
                Ok(())
            }
        }
    }
}

/// Parses a chaos spec; `base` resolves relative file paths (made absolute in the result).
pub fn parse(text: &str, file: &str, base: &std::path::Path) -> Result<ChaosSpec, SpecError> {
    let mut spec: ChaosSpec = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
    spec.validate().map_err(|e| range_error(text, file, e))?;
    if let ChaosStudy::TanhGainSweep(t) = &mut spec.chaos
        && let Some(path) = &t.network
    {
        let field = "chaos.tanh_gain_sweep.network";
        let full = base.join(path);
        let bad = |expected: String| {
            range_error(
                text,
                file,
                RangeError { field: field.into(), value: path.clone(), expected },
            )
        };
        let (shape, w) = crate::npz::read_f64(&full, "w")
            .map_err(|e| bad(format!("an .npz with a float array `w` ({e})")))?;
        let n = t.sizes[0];
        if shape != [n, n] {
            return Err(bad(format!("`w` of shape [{n}, {n}], found {shape:?}")));
        }
        let h0 = match crate::npz::read_f64(&full, "h0") {
            Ok((shape, h0)) if shape == [n] => Some(h0),
            Ok((shape, _)) => return Err(bad(format!("`h0` of shape [{n}], found {shape:?}"))),
            Err(_) => None,
        };
        if !w.iter().chain(h0.iter().flatten()).all(|v| v.is_finite()) {
            return Err(bad("finite values in `w` and `h0`".into()));
        }
        t.network = Some(std::path::absolute(&full).unwrap_or(full).display().to_string());
        t.loaded = Some(LoadedNetwork { w, h0 });
    }
    Ok(spec)
}
