//! AMP against ALS on planted rank-1 spiked matrices or tensors, swept over the SNR
//! (Kadmon & Ganguli 2018, arXiv:1810.10065: Bayes-optimal AMP recovers factors below the SNR
//! at which alternating least squares starts to).
//!
//! Both estimators are scored by the same rescaled MSE, `(‖x‖²/N)(1 − cos²(x̂, x))` averaged
//! over modes: the error after the best rescaling of the estimate, which ALS needs (its factors
//! carry arbitrary scales and signs) and which only flatters it. AMP's own per-entry MSE and the
//! state-evolution prediction of it are reported too.

use crate::StudyResult;
use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Prepared, Study};
use neurodyn_io::IoError;
use neurodyn_io::spec::SpecError;
use std::path::Path;

/// The `amp` kind: specs with an `[amp]` table.
pub struct AmpKind;

impl Kind for AmpKind {
    fn name(&self) -> &'static str {
        "amp"
    }
    fn table(&self) -> &'static str {
        "amp"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        _base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec = neurodyn_io::spec::amp::parse(text, file)?;
        // The data of every trial run at once (one per thread), a few copies each.
        let entries = (spec.amp.n as f64).powi(spec.amp.order as i32);
        let parallel = (spec.amp.trials.min(rayon::current_num_threads())) as f64;
        MemoryEstimate::new()
            .add("amp.n", entries * parallel, 8.0 * 3.0)
            .check(limits, text, file)?;
        Ok(Box::new(Study {
            name: spec.name.clone(),
            resolved: spec.to_toml(),
            description: format!(
                "AMP study, order {}, N = {}, {} SNRs × {} trials, seed {}",
                spec.amp.order,
                spec.amp.n,
                spec.amp.snrs.len(),
                spec.amp.trials,
                spec.seed
            ),
            npz: "amp.npz",
            run,
            spec,
        }))
    }
    fn figures(&self, dir: &Path, _: &str, _: &serde_json::Value) -> Result<Vec<Figure>, IoError> {
        Ok(neurodyn_report::decomp::amp_figures(dir)?.into_iter().map(Figure::from).collect())
    }
}
use neurodyn_analysis::decomp::amp::{
    Prior, Regime, amp, angular_error, rank1_als, regime, spiked, state_evolution,
};
use neurodyn_core::rng;
use neurodyn_io::npz::Array;
use neurodyn_io::spec::AmpSpec;
use neurodyn_io::spec::amp::PriorKind;
use rayon::prelude::*;

/// The prior named by the spec.
pub fn prior(spec: &AmpSpec) -> Prior {
    match spec.amp.prior {
        PriorKind::Gaussian => Prior::Gaussian { mean: spec.amp.prior_mean },
        PriorKind::Rademacher => Prior::Rademacher,
    }
}

/// ALS's threshold for an order-2 spike (`Y = √(λ/N) u vᵀ + W`, the BBP transition of the top
/// singular pair): the spike's singular value `√(λ N) E[x²]` must exceed the noise edge `√N`
/// times 1, so `λ > 1 / E[x²]²`. No closed form is used for order 3.
pub fn als_threshold(order: usize, prior: Prior) -> Option<f64> {
    (order == 2).then(|| 1.0 / prior.second_moment().powi(2))
}

/// Runs the sweep, one checkpointed unit per SNR.
pub fn run(spec: &AmpSpec, ctx: &mut Context<'_>) -> Result<StudyResult, String> {
    let a = &spec.amp;
    let prior = prior(spec);
    let ex2 = prior.second_moment();
    let rescaled = |est: &[Vec<f64>], truth: &[Vec<f64>]| -> f64 {
        est.iter()
            .zip(truth)
            .map(|(e, x)| {
                x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64 * angular_error(e, x)
            })
            .sum::<f64>()
            / est.len() as f64
    };
    let k = a.snrs.len();
    let (mut amp_mse, mut amp_raw, mut als_mse, mut trivial) = (vec![], vec![], vec![], vec![]);
    let (mut se_mse, mut regimes) = (vec![], vec![]);
    for (i, &snr) in a.snrs.iter().enumerate() {
        let mean: [f64; 4] = ctx.unit(&format!("snr{i}"), || {
            let trials: Vec<Result<[f64; 4], String>> = (0..a.trials as u64)
                .into_par_iter()
                .map(|t| {
                    // Trial t of SNR i: its own keyed stream, whatever the thread count.
                    let seed = rng::key(spec.seed, "amp_trial", (i * a.trials) as u64 + t) as u64;
                    let s = spiked(a.order, a.n, snr, prior, seed).map_err(|e| e.to_string())?;
                    let run = amp(&s, snr, prior, a.iters, 0.0).map_err(|e| e.to_string())?;
                    let raw = run.mse.last().map(|m| m.iter().sum::<f64>() / m.len() as f64);
                    let als = rank1_als(&s, a.als_iters, seed);
                    let ones: Vec<Vec<f64>> = vec![vec![1.0; a.n]; a.order];
                    Ok([
                        rescaled(&run.estimates, &s.factors),
                        raw.unwrap_or(f64::NAN),
                        rescaled(&als, &s.factors),
                        // The prior mean alone (a constant vector), what the prior gives without
                        // the data; with a zero mean that is nothing (error E[x²]).
                        if prior.uninformative_overlap() > 0.0 {
                            rescaled(&ones, &s.factors)
                        } else {
                            ex2
                        },
                    ])
                })
                .collect();
            let mut mean = [0.0; 4];
            for t in trials {
                let t = t?;
                (0..4).for_each(|j| mean[j] += t[j] / a.trials as f64);
            }
            Ok(mean)
        })?;
        amp_mse.push(mean[0]);
        amp_raw.push(mean[1]);
        als_mse.push(mean[2]);
        trivial.push(mean[3]);
        let (_, se) = state_evolution(a.order, snr, prior, a.iters, prior.overlap(0.0));
        se_mse.push(*se.last().expect("non-empty"));
        regimes.push(match regime(a.order, snr, prior) {
            Regime::Easy => "easy",
            Regime::Hard => "hard",
            Regime::Impossible => "impossible",
        });
        ctx.cases_done(i + 1, k);
    }
    let threshold = als_threshold(a.order, prior);
    let columns = Columns {
        snrs: a.snrs.clone(),
        amp: amp_mse.clone(),
        amp_own: amp_raw.clone(),
        als: als_mse.clone(),
        prior_mean: trivial.clone(),
        state_evolution: se_mse.clone(),
    };
    let metrics = AmpMetrics {
        name: spec.name.clone(),
        study: "amp_vs_als".into(),
        order: a.order,
        n: a.n,
        prior: format!("{prior:?}"),
        snrs: a.snrs.clone(),
        amp_rescaled_mse: amp_mse.clone(),
        amp_mse: amp_raw.clone(),
        state_evolution_mse: se_mse.clone(),
        als_rescaled_mse: als_mse.clone(),
        prior_mean_rescaled_mse: trivial.clone(),
        regime: regimes.iter().map(|r| r.to_string()).collect(),
        als_threshold_snr: threshold,
        comparison: columns.compare(threshold),
        paper: "Kadmon & Ganguli (2018, arXiv:1810.10065): Bayes-optimal AMP has lower error than ALS at SNRs below ALS's threshold, and its error follows state evolution".into(),
    };
    let metrics = serde_json::to_value(metrics).expect("metrics serialise");
    let v = |x: Vec<f64>| Array::f64(&[k], x);
    let arrays = vec![
        ("snrs".into(), v(a.snrs.clone())),
        ("amp_rescaled_mse".into(), v(amp_mse)),
        ("amp_mse".into(), v(amp_raw)),
        ("state_evolution_mse".into(), v(se_mse)),
        ("als_rescaled_mse".into(), v(als_mse)),
        ("prior_mean_rescaled_mse".into(), v(trivial)),
        ("als_threshold".into(), Array::f64(&[1], vec![threshold.unwrap_or(f64::NAN)])),
    ];
    Ok(StudyResult { arrays, metrics })
}

/// `metrics.json` of an AMP study: the error curves per SNR and their comparison.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AmpMetrics {
    /// The run's name.
    pub name: String,
    /// `amp_vs_als`.
    pub study: String,
    /// Tensor order (2: matrix) [1].
    pub order: usize,
    /// Size of each mode [1].
    pub n: usize,
    /// The prior.
    pub prior: String,
    /// SNRs λ [1].
    pub snrs: Vec<f64>,
    /// AMP's rescaled MSE per SNR.
    pub amp_rescaled_mse: Vec<f64>,
    /// AMP's own-scale MSE per SNR.
    pub amp_mse: Vec<f64>,
    /// State evolution's prediction of `amp_mse`.
    pub state_evolution_mse: Vec<f64>,
    /// ALS's rescaled MSE per SNR.
    pub als_rescaled_mse: Vec<f64>,
    /// The prior mean's rescaled MSE per SNR.
    pub prior_mean_rescaled_mse: Vec<f64>,
    /// `impossible`, `hard` or `easy` per SNR.
    pub regime: Vec<String>,
    /// ALS's threshold (order 2).
    pub als_threshold_snr: Option<f64>,
    /// What the claim is checked on.
    pub comparison: Comparison,
    /// The paper's statement.
    pub paper: String,
}

/// AMP against ALS, the prior mean and state evolution (see [`Columns::compare`]).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Comparison {
    /// SNRs below ALS's threshold [1].
    pub snrs_below_als_threshold: usize,
    /// Largest AMP / ALS error ratio below the threshold [1].
    pub worst_amp_over_als_below_threshold: Option<f64>,
    /// The highest SNR below the threshold.
    pub highest_snr_below_threshold: Option<f64>,
    /// AMP / prior-mean error ratio there [1].
    pub amp_over_prior_mean_at_highest_snr_below_threshold: Option<f64>,
    /// Largest |AMP's own-scale MSE − state evolution| over all SNRs.
    pub max_abs_amp_minus_state_evolution: Option<f64>,
}

/// The error curves of a sweep, per SNR.
#[derive(Clone, Debug, PartialEq)]
pub struct Columns {
    /// SNRs.
    pub snrs: Vec<f64>,
    /// AMP's rescaled MSE.
    pub amp: Vec<f64>,
    /// AMP's own-scale MSE.
    pub amp_own: Vec<f64>,
    /// ALS's rescaled MSE.
    pub als: Vec<f64>,
    /// The prior mean's rescaled MSE (the estimate that ignores the data).
    pub prior_mean: Vec<f64>,
    /// State evolution's prediction of AMP's own-scale MSE.
    pub state_evolution: Vec<f64>,
}

impl Columns {
    /// What the paper's claim is checked on: below ALS's threshold, AMP's error against ALS's
    /// (worst ratio) and against the prior mean's at the highest such SNR, where the data
    /// carry the most information ALS cannot use; at every SNR, AMP's distance from state
    /// evolution.
    pub fn compare(&self, threshold: Option<f64>) -> Comparison {
        let below: Vec<usize> =
            (0..self.snrs.len()).filter(|&i| threshold.is_some_and(|t| self.snrs[i] < t)).collect();
        let finite = |x: f64| x.is_finite().then_some(x);
        let worst = below.iter().map(|&i| self.amp[i] / self.als[i]).fold(f64::NAN, f64::max);
        let top = below.last().copied();
        let distance = self
            .amp_own
            .iter()
            .zip(&self.state_evolution)
            .map(|(a, s)| (a - s).abs())
            .fold(f64::NAN, f64::max);
        Comparison {
            snrs_below_als_threshold: below.len(),
            worst_amp_over_als_below_threshold: finite(worst),
            highest_snr_below_threshold: top.map(|i| self.snrs[i]),
            amp_over_prior_mean_at_highest_snr_below_threshold: top
                .and_then(|i| finite(self.amp[i] / self.prior_mean[i])),
            max_abs_amp_minus_state_evolution: finite(distance),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{Reproduction, metric};

    /// The claim of `examples/decomp/amp_vs_als.toml` must tell AMP from an estimator that
    /// ignores the data: with the prior mean in AMP's place it fails.
    #[test]
    fn the_amp_claim_fails_when_amp_is_replaced_by_the_prior_mean() {
        let text = include_str!("../../../examples/decomp/amp_vs_als.toml");
        let repro = Reproduction::of(text, "amp_vs_als.toml").unwrap().expect("a reproduction");
        let spec = neurodyn_io::spec::amp::parse(
            &neurodyn_io::spec::apply_overrides(text, "f", &[], &["reproduce"]).unwrap(),
            "amp_vs_als.toml",
        )
        .unwrap();
        // A reduced run of the example (N = 400, 2 trials): real AMP, ALS and baseline curves.
        let mut small = spec.clone();
        small.amp.n = 400;
        small.amp.trials = 2;
        let result = crate::kinds::scratch(|ctx| run(&small, ctx)).unwrap();
        let m = &result.metrics;
        let column = |key: &str| -> Vec<f64> {
            m[key].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
        };
        let honest = Columns {
            snrs: small.amp.snrs.clone(),
            amp: column("amp_rescaled_mse"),
            amp_own: column("amp_mse"),
            als: column("als_rescaled_mse"),
            prior_mean: column("prior_mean_rescaled_mse"),
            state_evolution: column("state_evolution_mse"),
        };
        let threshold = m["als_threshold_snr"].as_f64();
        let with = |c: &Columns| serde_json::json!({ "comparison": c.compare(threshold) });
        let holds = repro.claim(&with(&honest));
        assert!(holds.holds, "the reduced run should already show the effect: {holds:#?}");
        // The prior mean as "AMP": its own-scale error is the prior variance.
        let mut fake = honest.clone();
        fake.amp = honest.prior_mean.clone();
        fake.amp_own = vec![1.0; honest.snrs.len()];
        let claim = repro.claim(&with(&fake));
        assert!(!claim.holds, "{claim:#?}");
        let ratio =
            metric(&with(&fake), "comparison.amp_over_prior_mean_at_highest_snr_below_threshold");
        assert_eq!(ratio, Some(1.0));
    }
}
