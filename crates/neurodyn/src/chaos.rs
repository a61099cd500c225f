//! Chaos studies: λ_max against gain for random tanh networks, and event-based spectra of
//! balanced theta networks of growing size, each with the number compared with its paper.

use crate::StudyResult;
use neurodyn_analysis::lyapunov::{LyapunovConfig, lyapunov_spectrum};
use neurodyn_analysis::theta_lyapunov::{EventSpectrumConfig, ThetaNetwork, theta_event_spectrum};
use neurodyn_core::{TanhMap, rng};
use neurodyn_io::npz::Array;
use neurodyn_io::spec::ChaosSpec;
use neurodyn_io::spec::chaos::{ChaosStudy, TanhGainSweep, ThetaBalanced};
use rand::RngExt;
use serde_json::json;

/// Runs the study; `progress(done, total)` after each network.
pub fn run(
    spec: &ChaosSpec,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<StudyResult, String> {
    match &spec.chaos {
        ChaosStudy::TanhGainSweep(t) => tanh_sweep(t, spec, progress),
        ChaosStudy::ThetaBalanced(t) => theta_sizes(t, spec, progress),
    }
}

fn tanh_sweep(
    t: &TanhGainSweep,
    spec: &ChaosSpec,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<StudyResult, String> {
    let n = t.n;
    let mut r = rng::stream(spec.seed, "tanh_network", 0);
    let scale = 1.0 / (n as f64).sqrt();
    let w = faer::Mat::from_fn(n, n, |_, _| {
        scale * rand_distr::Distribution::<f64>::sample(&rand_distr::StandardNormal, &mut r)
    });
    let h0: Vec<f64> = (0..n).map(|_| r.random_range(-0.5..0.5)).collect();
    let config = LyapunovConfig {
        n_exponents: t.n_exponents,
        n_transient: t.n_transient,
        n_steps: t.n_steps,
        qr_every: t.qr_every,
        n_segments: 10,
    };
    let (mut lam, mut err) = (Vec::new(), Vec::new());
    let (mut entropy, mut kaplan_yorke, mut spectra) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &g) in t.gains.iter().enumerate() {
        let system = TanhMap { w: w.clone(), gain: g };
        let s = lyapunov_spectrum(&system, &h0, &[], &config).map_err(|e| e.to_string())?;
        lam.push(s.exponents[0]);
        err.push(s.std_error[0]);
        entropy.push(s.entropy_rate);
        kaplan_yorke.push(s.kaplan_yorke);
        spectra.extend(s.exponents);
        progress(i + 1, t.gains.len());
    }
    // The gain where λ_max first turns positive, by linear interpolation.
    let crossing = (1..lam.len()).find(|&i| lam[i - 1] < 0.0 && lam[i] >= 0.0).map(|i| {
        let (g0, g1, l0, l1) = (t.gains[i - 1], t.gains[i], lam[i - 1], lam[i]);
        g0 + (g1 - g0) * (-l0) / (l1 - l0)
    });
    let metrics = json!({
        "name": spec.name,
        "study": "tanh_gain_sweep",
        "n": n,
        "gains": t.gains,
        "lambda_max_per_step": lam,
        "std_error": err,
        "n_exponents": t.n_exponents,
        "qr_every": t.qr_every,
        "entropy_rate_per_step": entropy,
        "kaplan_yorke_dimension": kaplan_yorke,
        "zero_crossing_gain": crossing,
        "paper": "Sompolinsky, Crisanti & Sommers (1988): the largest exponent crosses 0 at g = 1 for N → ∞",
        "paper_value": 1.0,
        "deviation_from_paper": crossing.map(|c| c - 1.0),
    });
    let k = t.gains.len();
    let arrays = vec![
        ("gains".into(), Array::f64(&[k], t.gains.clone())),
        ("lambda_max".into(), Array::f64(&[k], lam)),
        ("std_error".into(), Array::f64(&[k], err)),
        ("spectra".into(), Array::f64(&[k, t.n_exponents], spectra)),
    ];
    Ok(StudyResult { arrays, metrics })
}

fn theta_sizes(
    t: &ThetaBalanced,
    spec: &ChaosSpec,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<StudyResult, String> {
    let mut arrays = Vec::new();
    let mut rows = Vec::new();
    for (i, &n) in t.sizes.iter().enumerate() {
        let net = ThetaNetwork::balanced(n, t.in_degree, t.j0, t.eta, t.tau, spec.seed)
            .map_err(|e| e.to_string())?;
        let c = EventSpectrumConfig {
            n_exponents: n,
            n_transient: 20 * n,
            n_spikes: t.spikes_per_neuron * n,
            qr_every: 10,
        };
        let s = theta_event_spectrum(&net, &net.random_phases(spec.seed), &c)
            .map_err(|e| e.to_string())?;
        let positive = s.exponents.iter().filter(|&&l| l > 0.0).count();
        rows.push(json!({
            "n": n,
            "mean_rate_hz": s.mean_rate,
            "lambda_max_per_s": s.exponents[0],
            "n_positive": positive,
            "fraction_positive": positive as f64 / n as f64,
            "entropy_rate_nats_per_s": s.entropy_rate,
            "entropy_per_neuron_nats_per_s": s.entropy_rate / n as f64,
            "sum_minus_log_det": s.exponents.iter().sum::<f64>() - s.log_det_rate,
        }));
        arrays.push((format!("spectrum_{n}"), Array::f64(&[n], s.exponents)));
        progress(i + 1, t.sizes.len());
    }
    let fractions: Vec<f64> =
        rows.iter().map(|r| r["fraction_positive"].as_f64().unwrap_or(f64::NAN)).collect();
    let spread = fractions.iter().cloned().fold(f64::MIN, f64::max)
        / fractions.iter().cloned().fold(f64::MAX, f64::min)
        - 1.0;
    let metrics = json!({
        "name": spec.name,
        "study": "theta_balanced",
        "sizes": rows,
        "paper": "Monteforte & Wolf (2010): extensive chaos — the number of positive exponents and the entropy rate grow in proportion to N",
        "relative_spread_of_positive_fraction": spread,
    });
    arrays.push((
        "sizes".into(),
        Array::f64(&[t.sizes.len()], t.sizes.iter().map(|&n| n as f64).collect()),
    ));
    Ok(StudyResult { arrays, metrics })
}
