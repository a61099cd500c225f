//! The tuned-population input against the membrane's closed-form steady state: a silent LIF
//! neuron held by a constant current `I` settles at `E_L + I τ_m / C_m`.

use neurodyn_sim::NetworkConfig;
use neurodyn_sim::record::Recording;
use neurodyn_sim::{Network, config::InputConfig};

const N: usize = 36;

fn run(text: &str, shards: usize) -> Recording {
    let cfg: NetworkConfig = toml::from_str(text).unwrap_or_else(|e| panic!("{e}"));
    let mut net = Network::build_sharded(&cfg, 0, shards).unwrap();
    let mut rec = Recording::new(&cfg.record, &net).unwrap();
    net.run(cfg.simulation.n_steps(), &mut rec, &cfg.guards, &mut |_| true).unwrap();
    rec
}

/// The tuned current of neuron `i` for stimulus `theta` (period 180).
fn current(i: usize, theta: f64) -> f64 {
    let pref = 180.0 * i as f64 / N as f64;
    50.0 + 200.0 * (2.0 * ((std::f64::consts::TAU * (pref - theta) / 180.0).cos() - 1.0)).exp()
}

#[test]
fn each_neuron_settles_at_its_tuned_current_and_the_bump_follows_the_stimulus() {
    let all: Vec<usize> = (0..N).collect();
    let text = format!(
        r#"
        simulation = {{ dt = 0.1, duration = 700.0, max_delay = 0.1 }}
        [populations.ring]
        n = {N}
        neuron = {{ model = "lif_psc_exp", v_th = 1e9 }}
        [inputs.stimulus.tuned]
        target = "ring"
        base = 50.0
        peak = 200.0
        concentration = 2.0
        times = [0.0, 200.0, 400.0]
        values = [30.0, 30.0, 120.0]
        [record]
        state = [{{ population = "ring", variable = "v_m", neurons = {all:?}, interval = 1.0 }}]
        "#
    );
    for shards in [1, 3] {
        let rec = run(&text, shards);
        let s = &rec.state[0];
        let at = |ms: f64| {
            let k = s.steps.iter().position(|&k| (k as f64 * 0.1 - ms).abs() < 1e-9).unwrap();
            &s.values[k]
        };
        // τ_m = 10 ms, C_m = 250 pF, E_L = −70 mV (the model's defaults): 190 ms after the start
        // and 300 ms after the rotation ends, the membranes sit at their steady states.
        for (ms, theta) in [(190.0, 30.0), (700.0, 120.0)] {
            let v = at(ms);
            for i in 0..N {
                let expected = -70.0 + current(i, theta) * 10.0 / 250.0;
                assert!(
                    (v[i] - expected).abs() < 1e-6,
                    "{shards} shards, t {ms}, neuron {i}: {} vs {expected}",
                    v[i]
                );
            }
            // The most depolarised neuron prefers the stimulus (5° per neuron).
            let best = (0..N).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
            assert_eq!(best, (theta / 5.0) as usize, "{shards} shards, t {ms}");
        }
    }
}

#[test]
fn bad_tuned_inputs_name_their_field() {
    let mut cfg: NetworkConfig = toml::from_str(
        r#"
        [populations.ring]
        n = 4
        neuron = { model = "lif_psc_exp" }
        [inputs.s.tuned]
        target = "ring"
        base = 0.0
        peak = 1.0
        concentration = 1.0
        times = [0.0]
        values = [0.0]
        "#,
    )
    .unwrap();
    assert!(Network::build(&cfg, 0).is_ok());
    if let Some(InputConfig::Tuned { period, .. }) = cfg.inputs.get_mut("s") {
        *period = 0.0;
    }
    let e = Network::build(&cfg, 0).unwrap_err();
    assert_eq!(e.field, "inputs.s.tuned.period", "{e:?}");
    if let Some(InputConfig::Tuned { period, times, values, .. }) = cfg.inputs.get_mut("s") {
        *period = 180.0;
        times.clear();
        values.clear();
    }
    let e = Network::build(&cfg, 0).unwrap_err();
    assert_eq!(e.field, "inputs.s.tuned.times", "{e:?}");
}
