//! The correlation-based prediction of STDP (the window summed against the cross-correlogram;
//! Kempter, Gerstner & van Hemmen 1999, and the BBCI conditioning analysis of Lajoie et al.
//! 2017, arXiv:1609.00762) against the spiking engine, on trains whose cross-correlogram is
//! known: a Poisson presynaptic train, and a postsynaptic train that repeats each presynaptic
//! spike `d` ms later with probability `p` on top of independent Poisson firing. Then
//! `C(s) = r₁ r₂' + p r₁ δ(s − d)` (pairs per ms² per unit lag, `r₂' = p r₁ + r₂`), and the
//! expected drift of all-to-all additive STDP is `T (r₁ r₂' ∫W + p r₁ W(d))`.

use neurodyn_analysis::similarity::pearson;
use neurodyn_analysis::spikes::{StdpWindow, cross_correlogram};
use neurodyn_sim::record::Recording;
use neurodyn_sim::{Network, NetworkConfig};
use rand::RngExt;

const DT: f64 = 0.1;
const WINDOW: StdpWindow =
    StdpWindow { a_plus: 1e-4, a_minus: 0.6e-4, tau_plus: 15.0, tau_minus: 40.0 };

/// Bernoulli trains on the grid: pre at `r1` Hz; post repeats each pre spike `delay_steps`
/// later with probability `p`, plus independent spikes at `r2` Hz. Steps, sorted, unique.
fn trains(
    steps: u64,
    r1: f64,
    r2: f64,
    p: f64,
    delay_steps: u64,
    seed: u64,
) -> (Vec<u64>, Vec<u64>) {
    let mut rng = neurodyn_core::rng::stream(seed, "stdp_correlation_trains", 0);
    let (q1, q2) = (r1 * DT * 1e-3, r2 * DT * 1e-3);
    let mut pre = Vec::new();
    let mut post = Vec::new();
    for k in 1..steps {
        if rng.random::<f64>() < q1 {
            pre.push(k);
            if rng.random::<f64>() < p && k + delay_steps < steps {
                post.push(k + delay_steps);
            }
        }
        if rng.random::<f64>() < q2 {
            post.push(k);
        }
    }
    post.sort_unstable();
    post.dedup();
    (pre, post)
}

/// Runs one synapse with the additive STDP `WINDOW` from `pre` onto a neuron forced to spike
/// at the `post` steps (a strong kick one step before; no refractoriness). Returns the recorded
/// pre and post spike steps and the weight change.
fn simulate(steps: u64, pre: &[u64], post: &[u64]) -> (Vec<u64>, Vec<u64>, f64) {
    let ms =
        |v: &[u64], shift: f64| -> Vec<f64> { v.iter().map(|&k| k as f64 * DT + shift).collect() };
    let w = WINDOW;
    let text = format!(
        r#"
        simulation = {{ dt = {DT}, duration = {duration}, max_delay = 1.0 }}
        [populations.pre]
        n = 1
        source.spike_times = {{ times = [{pre:?}] }}
        [populations.kick]
        n = 1
        source.spike_times = {{ times = [{kick:?}] }}
        [populations.post]
        n = 1
        neuron = {{ model = "lif_psc_delta", t_ref = 0.0 }}
        [projections.kick]
        pre = "kick"
        post = "post"
        rule.one_to_one = {{}}
        weight = 1000.0
        [projections.plastic]
        pre = "pre"
        post = "post"
        rule.one_to_one = {{}}
        weight = 0.0
        plasticity.stdp = {{ a_plus = {ap}, a_minus = {am}, tau_plus = {tp}, tau_minus = {tm}, w_min = -100.0, w_max = 100.0 }}
        [record]
        spikes = ["pre", "post"]
        "#,
        duration = steps as f64 * DT,
        pre = ms(pre, 0.0),
        kick = ms(post, -DT),
        ap = w.a_plus,
        am = w.a_minus,
        tp = w.tau_plus,
        tm = w.tau_minus,
    );
    let cfg: NetworkConfig = toml::from_str(&text).unwrap();
    let mut net = Network::build(&cfg, 0).unwrap();
    let mut rec = Recording::new(&cfg.record, &net).unwrap();
    net.run(cfg.simulation.n_steps(), &mut rec, &cfg.guards, &mut |_| true).unwrap();
    let train = |name: &str| {
        let m = rec.spikes.populations.iter().position(|&p| net.populations()[p].name == name);
        rec.spikes.steps[m.unwrap()].clone()
    };
    let dw = net.weights(net.projection_index("plastic").unwrap())[0];
    (train("pre"), train("post"), dw)
}

#[test]
fn stdp_drift_follows_the_window_summed_against_the_known_correlogram() {
    let (r1, r2, p) = (10.0, 5.0, 0.5);
    let steps = 1_000_000; // 100 s
    let half_bins = 3_000; // lags up to ±300 ms: e^{−300/40} ≈ 5e-4 of the window left out
    let mut simulated = Vec::new();
    let mut closed = Vec::new();
    for (i, delay_ms) in [2.0, 10.0, 25.0, 50.0, 100.0].into_iter().enumerate() {
        let d = (delay_ms / DT) as u64;
        let (pre, post) = trains(steps, r1, r2, p, d, 11 + i as u64);
        let (rec_pre, rec_post, dw) = simulate(steps, &pre, &post);
        assert_eq!(rec_pre, pre, "the engine delivers the given pre train");
        assert_eq!(rec_post, post, "the kicks force exactly the intended post train");
        let t = |v: &[u64]| -> Vec<f64> { v.iter().map(|&k| k as f64 * DT).collect() };
        let (lags, counts) = cross_correlogram(&t(&pre), &t(&post), DT, half_bins);

        // The correlogram is the known one: a peak of the repeated spikes at lag d on a flat
        // floor of n₁ n₂ Δ (T − |s|) / T² pairs per bin given the trains' counts (r₁ r₂' T Δ
        // on average; Poisson counts: within 5 σ on average over the floor).
        let span = steps as f64 * DT;
        let mean_abs_lag =
            (half_bins as f64 + 1.0) * half_bins as f64 * DT / (2.0 * half_bins as f64 + 1.0);
        let floor_mean =
            pre.len() as f64 * post.len() as f64 * DT * (span - mean_abs_lag) / (span * span);
        let centre = half_bins + d as usize;
        let floor: Vec<f64> =
            counts.iter().enumerate().filter(|(j, _)| *j != centre).map(|(_, c)| *c).collect();
        let measured_floor = floor.iter().sum::<f64>() / floor.len() as f64;
        let se = (floor_mean / floor.len() as f64).sqrt();
        assert!(
            (measured_floor - floor_mean).abs() < 5.0 * se,
            "floor {measured_floor} vs {floor_mean}"
        );
        let copies = counts[centre] - measured_floor;
        let expected_copies = p * pre.len() as f64;
        assert!(
            (copies - expected_copies).abs() < 5.0 * (expected_copies * (1.0 - p)).sqrt() + 5.0,
            "peak at {delay_ms} ms: {copies} repeated spikes vs {expected_copies}"
        );

        // The prediction from the correlogram is the engine's weight change up to the pairs at
        // lag 0 (same step: which side of the window they count on is the engine's ordering)
        // and the window's tail beyond ±300 ms.
        let pred = WINDOW.predicted_change(&lags, &counts);
        let at_zero = counts[half_bins] * (WINDOW.a_plus + WINDOW.a_minus);
        let tail = 2.0 * floor_mean / DT
            * (WINDOW.a_plus * WINDOW.tau_plus * (-300.0 / WINDOW.tau_plus).exp()
                + WINDOW.a_minus * WINDOW.tau_minus * (-300.0 / WINDOW.tau_minus).exp());
        assert!(
            (dw - pred).abs() <= at_zero + 3.0 * tail + 1e-12,
            "d {delay_ms}: engine {dw} vs correlogram {pred} (lag-0 pairs {})",
            counts[half_bins]
        );
        simulated.push(dw);
        let n_pre = pre.len() as f64;
        closed.push(n_pre * ((p * r1 + r2) * 1e-3 * WINDOW.integral() + p * WINDOW.at(delay_ms)));
    }
    // The closed form within sampling noise, and its shape: potentiation at short delays,
    // depression at long ones (∫W < 0), as in BBCI conditioning.
    for (k, (s, c)) in simulated.iter().zip(&closed).enumerate() {
        let scale = closed.iter().map(|v| v.abs()).fold(0.0, f64::max);
        assert!((s - c).abs() < 0.1 * scale, "delay #{k}: engine {s} vs closed form {c}");
    }
    assert!(simulated[0] > 0.0 && simulated[4] < 0.0, "{simulated:?}");
    let r = pearson(&simulated, &closed);
    assert!(r > 0.99, "correlation of engine and closed form {r}: {simulated:?} vs {closed:?}");
}

#[test]
fn the_correlogram_counts_pairs_in_centred_bins() {
    // Pairs: (0, 1) → 1, (0, 2.9) → 2.9, (0, −0.6) → −0.6, (2, 1) → −1, (2, 2.9) → 0.9,
    // (2, −0.6) → −2.6; bins of 1 centred on −2..=2 cover [−2.5, 2.5): 2.9 and −2.6 fall outside.
    let (lags, counts) = cross_correlogram(&[0.0, 2.0], &[-0.6, 1.0, 2.9], 1.0, 2);
    assert_eq!(lags, vec![-2.0, -1.0, 0.0, 1.0, 2.0]);
    assert_eq!(counts, vec![0.0, 2.0, 0.0, 2.0, 0.0]);
    let w = StdpWindow { a_plus: 1.0, a_minus: 0.5, tau_plus: 10.0, tau_minus: 20.0 };
    assert_eq!(w.at(0.0), 1.0);
    assert!((w.at(-20.0) + 0.5 * (-1.0f64).exp()).abs() < 1e-15);
    assert_eq!(w.integral(), 0.0);
}

#[test]
fn the_triggered_prediction_pairs_each_trigger_spike_with_its_evoked_response() {
    // One pre neuron that is the trigger itself (its trains' pairs: 40 at lag 0) and 7 pairs
    // with the trigger 5 ms after it; each stimulation evokes 0.5 post spikes in the first
    // 1-ms bin after onset and 0.25 in the second, 20 ms (less a 1 ms synaptic delay) later.
    let w = StdpWindow { a_plus: 1.0, a_minus: 1.2, tau_plus: 10.0, tau_minus: 20.0 };
    let (lags, counts) = (vec![0.0, 5.0], vec![40.0, 7.0]);
    let response = [0.5, 0.25];
    let got = w.triggered_change(&lags, &counts, &response, 1.0, 19.0);
    let want = 40.0 * (0.5 * w.at(19.0) + 0.25 * w.at(20.0))
        + 7.0 * (0.5 * w.at(24.0) + 0.25 * w.at(25.0));
    assert!((got - want).abs() < 1e-12 * want.abs(), "{got} vs {want}");
    // A net suppression after the evoked spike (negative response) depresses instead, and a
    // trigger that fires long after the pre spike pairs on the depression side.
    assert!(w.triggered_change(&[0.0], &[1.0], &[-0.5], 1.0, 5.0) < 0.0);
    assert!(w.triggered_change(&[-60.0], &[1.0], &[1.0], 1.0, 5.0) < 0.0);
}
