//! The spiking engine against exact expectations: delays, STDP windows, three-factor learning,
//! inputs, guards, connectivity rules and thread-count independence.

use neurodyn_sim::record::Recording;
use neurodyn_sim::{GuardConfig, Network, NetworkConfig, SimError};

fn config(text: &str) -> NetworkConfig {
    toml::from_str(text).unwrap_or_else(|e| panic!("{e}"))
}

fn run(config: &NetworkConfig, seed: u64, n_shards: usize) -> (Network, Recording) {
    let mut net = Network::build_sharded(config, seed, n_shards).unwrap();
    let mut rec = Recording::new(&config.record, &net).unwrap();
    let n = config.simulation.n_steps();
    net.run(n, &mut rec, &config.guards, &mut |_| true).unwrap();
    (net, rec)
}

#[test]
fn a_delayed_spike_arrives_exactly_d_steps_later() {
    // Source spikes at step 10; delays 0, 2.5 and 7 ms → arrival steps 10, 35, 80; the current
    // jumps in the update that follows, so it is first non-zero at arrival + 1.
    let cfg = config(
        r#"
        simulation = { dt = 0.1, duration = 12.0, max_delay = 8.0 }
        [populations.src]
        n = 1
        source.spike_times = { times = [[1.0]] }
        [populations.post]
        n = 3
        neuron = { model = "lif_psc_exp", v_th = 1e9 }
        [projections.p]
        pre = "src"
        post = "post"
        rule.list = { pre = [0, 0, 0], post = [0, 1, 2], delay = [0.0, 2.5, 7.0] }
        weight = 100.0
        [record]
        state = [{ population = "post", variable = "i_syn_ex", neurons = [0, 1, 2] }]
        "#,
    );
    for shards in [1, 2, 3] {
        let (_, rec) = run(&cfg, 0, shards);
        let s = &rec.state[0];
        for (m, arrival) in [10u64, 35, 80].into_iter().enumerate() {
            let first = s.steps.iter().zip(&s.values).find(|(_, v)| v[m] != 0.0).map(|(k, _)| *k);
            assert_eq!(first, Some(arrival + 1), "synapse {m}, {shards} shards");
        }
    }
}

#[test]
fn every_spike_reaches_every_synapse_its_rounded_delay_later_static_or_plastic() {
    // Trains with spikes on consecutive steps and repeats; one synapse per target neuron,
    // delays off the grid (rounded to the nearest step, 0 up to the longest the buffer holds)
    // and distinct weights, so each arrival's step and size can be read from the target's
    // current, which decays over the step after taking them: i[k + 1] = e^{−dt/τ} (i[k] + a[k])
    // with a[k] the weights arriving at step k.
    let (dt, tau) = (0.1, 5.0);
    let trains: Vec<Vec<f64>> =
        vec![vec![1.0, 1.1, 1.2, 4.0], vec![0.5, 6.3], vec![2.0, 2.1, 9.9, 10.0], vec![0.1, 3.7]];
    let delays = [0.0, 0.04, 0.06, 0.1, 0.25, 0.96, 1.0, 2.449, 3.333, 5.05, 7.94, 7.96, 8.0];
    let n_post = 2 * delays.len();
    let pre: Vec<usize> = (0..n_post).map(|m| m % trains.len()).collect();
    let delay: Vec<f64> = (0..n_post).map(|m| delays[m % delays.len()]).collect();
    let weight: Vec<f64> = (0..n_post).map(|m| 1.0 + m as f64 / 8.0).collect();
    let list = format!(
        "{{ pre = {pre:?}, post = {:?}, delay = {delay:?}, weight = {weight:?} }}",
        (0..n_post).collect::<Vec<_>>()
    );
    let text = format!(
        r#"
        simulation = {{ dt = {dt}, duration = 20.0, max_delay = 8.0 }}
        [populations.src]
        n = {n_src}
        source.spike_times = {{ times = {trains:?} }}
        [populations.fixed]
        n = {n_post}
        neuron = {{ model = "lif_psc_exp", v_th = 1e9, tau_syn_ex = {tau} }}
        [populations.learning]
        n = {n_post}
        neuron = {{ model = "lif_psc_exp", v_th = 1e9, tau_syn_ex = {tau} }}
        [projections.fixed]
        pre = "src"
        post = "fixed"
        rule.list = {list}
        weight = 1.0 # each synapse's own weight from the list
        [projections.learning]
        pre = "src"
        post = "learning"
        rule.list = {list}
        weight = 1.0
        plasticity.stdp = {{ a_plus = 0.01, a_minus = 0.01, tau_plus = 20.0, tau_minus = 20.0, w_min = 0.0, w_max = 10.0 }}
        [record]
        state = [{{ population = "fixed", variable = "i_syn_ex", neurons = {all:?} }}, {{ population = "learning", variable = "i_syn_ex", neurons = {all:?} }}]
        "#,
        n_src = trains.len(),
        all = (0..n_post).collect::<Vec<_>>(),
    );
    let cfg = config(&text);
    let n_steps = cfg.simulation.n_steps() as usize;
    // What must arrive: spike step + round(d / dt), for every spike and synapse.
    let mut expected = vec![vec![0.0; n_steps + 1]; n_post];
    for m in 0..n_post {
        for t in &trains[pre[m]] {
            let arrival = (t / dt).round() as usize + (delay[m] / dt).round() as usize;
            if arrival < n_steps {
                expected[m][arrival] += weight[m];
            }
        }
    }
    let decay = (-dt / tau).exp();
    for shards in [1, 2, 3] {
        let (_, rec) = run(&cfg, 0, shards);
        for (which, trace) in rec.state.iter().enumerate() {
            assert_eq!(trace.steps, (1..=n_steps as u64).collect::<Vec<_>>(), "every step");
            for m in 0..n_post {
                assert!((trace.values[0][m] - decay * expected[m][0]).abs() < 1e-12, "step 0");
                for j in 0..n_steps - 1 {
                    let k = j + 1; // samples j, j + 1 are steps k, k + 1
                    let arrived = trace.values[j + 1][m] / decay - trace.values[j][m];
                    assert!(
                        (arrived - expected[m][k]).abs() < 1e-9,
                        "projection {which}, synapse {m} (delay {} ms), {shards} shards: \
                         {arrived} arrived at step {k}, expected {}",
                        delay[m],
                        expected[m][k]
                    );
                }
            }
        }
    }
}

/// One pre source and one post neuron per offset; the post neuron is forced to spike by a
/// strong input at a chosen time. Returns (Δt of each pair [ms], Δw of each pair).
fn stdp_pairs(rule: &str, delay: f64) -> (Vec<f64>, Vec<f64>) {
    let offsets: Vec<f64> = (-5..=5).map(|i| 10.0 * i as f64).collect();
    let n = offsets.len();
    let pre_times: Vec<Vec<f64>> = vec![vec![100.0]; n];
    let drive_times: Vec<Vec<f64>> = offsets.iter().map(|o| vec![100.0 + o - 0.1]).collect();
    let text = format!(
        r#"
        simulation = {{ dt = 0.1, duration = 250.0, max_delay = 10.0 }}
        [populations.pre]
        n = {n}
        source.spike_times = {{ times = {pre_times:?} }}
        [populations.drive]
        n = {n}
        source.spike_times = {{ times = {drive_times:?} }}
        [populations.post]
        n = {n}
        neuron = {{ model = "lif_psc_delta" }}
        [projections.kick]
        pre = "drive"
        post = "post"
        rule.one_to_one = {{}}
        weight = 100.0
        [projections.plastic]
        pre = "pre"
        post = "post"
        rule.one_to_one = {{}}
        weight = 0.5
        delay = {delay}
        plasticity.{rule}
        [record]
        spikes = ["pre", "post"]
        "#
    );
    let cfg = config(&text);
    let (net, rec) = run(&cfg, 0, 2);
    let pop = |name: &str| {
        rec.spikes.populations.iter().position(|&p| net.populations()[p].name == name).unwrap()
    };
    let spike_step = |name: &str, j: u32| {
        let m = pop(name);
        let at: Vec<u64> = rec.spikes.neurons[m]
            .iter()
            .zip(&rec.spikes.steps[m])
            .filter(|(n, _)| **n == j)
            .map(|(_, k)| *k)
            .collect();
        assert_eq!(at.len(), 1, "{name} {j} spikes once");
        at[0]
    };
    let w = net.weights(net.projection_index("plastic").unwrap());
    let dts = (0..n as u32)
        .map(|j| (spike_step("post", j) as f64 - spike_step("pre", j) as f64) * 0.1 - delay)
        .collect();
    (dts, w.iter().map(|w| w - 0.5).collect())
}

#[test]
fn pair_stdp_follows_the_analytic_window() {
    let (a_plus, a_minus, tau_p, tau_m) = (0.01, 0.012, 16.8, 33.7);
    for delay in [0.0, 3.0] {
        let rule = format!(
            "stdp = {{ a_plus = {a_plus}, a_minus = {a_minus}, tau_plus = {tau_p}, tau_minus = {tau_m}, w_max = 1.0 }}"
        );
        let (dts, dws) = stdp_pairs(&rule, delay);
        assert_eq!(dts.len(), 11);
        for (dt, dw) in dts.iter().zip(&dws) {
            // Δt = t_post − (t_pre + delay); Δt = 0 potentiates (pre is processed first).
            let expected = if *dt >= 0.0 {
                a_plus * (-dt / tau_p).exp()
            } else {
                -a_minus * (dt / tau_m).exp()
            };
            assert!((dw - expected).abs() < 1e-12, "delay {delay}, Δt {dt}: {dw} vs {expected}");
        }
        assert!(dts.iter().any(|d| *d > 0.0) && dts.iter().any(|d| *d < 0.0));
    }
    // Multiplicative: potentiation ∝ (w_max − w), depression ∝ (w − w_min).
    let rule = format!(
        "stdp = {{ a_plus = {a_plus}, a_minus = {a_minus}, tau_plus = {tau_p}, tau_minus = {tau_m}, w_max = 2.0, dependence = \"multiplicative\" }}"
    );
    let (dts, dws) = stdp_pairs(&rule, 0.0);
    for (dt, dw) in dts.iter().zip(&dws) {
        let expected = if *dt >= 0.0 {
            a_plus * 1.5 * (-dt / tau_p).exp()
        } else {
            -a_minus * 0.5 * (dt / tau_m).exp()
        };
        assert!((dw - expected).abs() < 1e-12, "multiplicative Δt {dt}: {dw} vs {expected}");
    }
}

#[test]
fn three_factor_turns_eligibility_into_weight_only_under_modulation() {
    // Pre at 100 ms, post at ~110 ms: eligibility A₊ e^{−Δt/τ₊} decaying with τ_e; the
    // modulator M = 1 on [150, 200) ms integrates η Σ_k dt · e(k) into the weight.
    let stdp = "{ a_plus = 0.01, a_minus = 0.012, w_max = 10.0 }";
    let (eta, tau_e) = (0.05, 50.0);
    let rule = format!(
        "three_factor = {{ stdp = {stdp}, tau_e = {tau_e}, eta = {eta}, modulator = {{ times = [150.0, 200.0], values = [1.0, 0.0] }} }}"
    );
    let (dts, dws) = stdp_pairs(&rule, 0.0);
    for (dt, dw) in dts.iter().zip(&dws) {
        let e0 = if *dt >= 0.0 { 0.01 * (-dt / 20.0).exp() } else { -0.012 * (dt / 20.0).exp() };
        let t_pair = 100.0 + dt.max(0.0);
        let expected: f64 =
            (1500..2000).map(|k| eta * 0.1 * e0 * (-(k as f64 * 0.1 - t_pair) / tau_e).exp()).sum();
        assert!((dw - expected).abs() < 1e-12, "Δt {dt}: {dw} vs {expected}");
    }
}

fn mixed_network() -> NetworkConfig {
    config(
        r#"
        simulation = { dt = 0.1, duration = 200.0, max_delay = 5.0 }
        [populations.exc]
        n = 400
        neuron = { model = "lif_psc_exp", preset = "vogels_abbott_2005_cuba" }
        init.v_m = { uniform = [-60.0, -50.0] }
        [populations.inh]
        n = 100
        neuron = { model = "lif_escape", rho_0 = 20.0 }
        [populations.ext]
        n = 50
        source.poisson = { rate = 20.0 }
        [projections.ee]
        pre = "exc"
        post = "exc"
        rule.fixed_probability = { p = 0.05 }
        weight = { normal = { mean = 16.0, std = 4.0 } }
        delay = { uniform = [0.5, 4.5] }
        plasticity.stdp = { a_plus = 0.1, a_minus = 0.12, w_max = 30.0 }
        [projections.ei]
        pre = "exc"
        post = "inh"
        rule.fixed_indegree = { k = 20 }
        weight = 20.0
        [projections.ie]
        pre = "inh"
        post = "exc"
        rule.fixed_outdegree = { k = 40 }
        weight = -90.0
        delay = 1.0
        [projections.xe]
        pre = "ext"
        post = "exc"
        rule.fixed_probability = { p = 0.1 }
        weight = 30.0
        [inputs.noise.ornstein_uhlenbeck]
        target = "inh"
        mean = 300.0
        std = 50.0
        tau = 5.0
        [inputs.kick.poisson]
        target = "exc"
        rate = 5.0
        n_sources = 10
        weight = 20.0
        "#,
    )
}

#[test]
fn same_results_for_any_number_of_threads_and_shards() {
    let cfg = mixed_network();
    let (net1, rec1) = run(&cfg, 7, 1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    let (net2, rec2) = pool.install(|| run(&cfg, 7, 2));
    let (net3, rec3) = run(&cfg, 7, 3);
    let counts: Vec<usize> = rec1.spikes.neurons.iter().map(|s| s.len()).collect();
    assert!(counts.iter().all(|&c| c > 10), "every population fires: {counts:?}");
    assert_eq!(rec1.spikes, rec2.spikes);
    assert_eq!(rec1.spikes, rec3.spikes);
    let ee = net1.projection_index("ee").unwrap();
    assert_eq!(net1.weights(ee), net2.weights(ee));
    assert_eq!(net1.weights(ee), net3.weights(ee));
    assert_eq!(net1.synapses(ee), net3.synapses(ee));
    assert_eq!(net1.synaptic_events(), net3.synaptic_events());
    // Another seed gives another run.
    let (_, rec4) = run(&cfg, 8, 2);
    assert_ne!(rec1.spikes, rec4.spikes);
}

#[test]
fn connection_rules_have_their_degrees() {
    let cfg = mixed_network();
    let net = Network::build_sharded(&cfg, 3, 2).unwrap();
    let count = |name: &str| net.synapses(net.projection_index(name).unwrap());
    // Fixed probability: 400·399 ordered pairs without autapses, p = 0.05 → mean 7980.
    let ee = count("ee");
    let (mean, sd) = (0.05 * 400.0 * 399.0, (0.05f64 * 0.95 * 400.0 * 399.0).sqrt());
    assert!((ee.len() as f64 - mean).abs() < 4.0 * sd, "{} synapses", ee.len());
    assert!(ee.iter().all(|(i, j)| i != j), "no autapses");
    assert!(ee.windows(2).all(|w| w[0] < w[1]), "sorted by (pre, post), no multapses");
    let ei = count("ei");
    let mut indeg = vec![0; 100];
    ei.iter().for_each(|&(_, j)| indeg[j as usize] += 1);
    assert!(indeg.iter().all(|&d| d == 20));
    let ie = count("ie");
    let mut outdeg = vec![0; 100];
    ie.iter().for_each(|&(i, _)| outdeg[i as usize] += 1);
    assert!(outdeg.iter().all(|&d| d == 40));
    // Ring: the probability falls with distance on the ring.
    let ring = config(
        r#"
        [populations.a]
        n = 400
        neuron = { model = "theta" }
        [projections.r]
        pre = "a"
        post = "a"
        rule.ring = { p_max = 0.8, sigma = 0.05 }
        weight = 0.1
        "#,
    );
    let net = Network::build(&ring, 1).unwrap();
    let pairs = net.synapses(0);
    // σ = 0.05 of 400 neurons is 20 neurons: within 2σ the probability is ≥ 0.8·e^{-2},
    // beyond 4σ below 0.8·e^{-8}.
    let ring_distance = |i: u32, j: u32| {
        (i as i64 - j as i64).rem_euclid(400).min((j as i64 - i as i64).rem_euclid(400))
    };
    let near = pairs.iter().filter(|(i, j)| ring_distance(*i, *j) <= 40).count();
    let far = pairs.iter().filter(|(i, j)| ring_distance(*i, *j) > 80).count();
    assert!(near > 100 * far.max(1) && far < 20, "near {near}, far {far}");
}

#[test]
fn frozen_noise_repeats_across_seeds_and_fresh_noise_does_not() {
    let text = |frozen: &str| {
        format!(
            r#"
            simulation = {{ duration = 300.0 }}
            [populations.a]
            n = 50
            neuron = {{ model = "lif_psc_exp" }}
            [inputs.noise.ornstein_uhlenbeck]
            target = "a"
            mean = 350.0
            std = 200.0
            tau = 5.0
            {frozen}
            "#
        )
    };
    let frozen = config(&text("seed = 11"));
    let (_, a) = run(&frozen, 1, 1);
    let (_, b) = run(&frozen, 2, 2);
    assert!(a.spikes.neurons[0].len() > 100);
    assert_eq!(a.spikes, b.spikes, "the same noise whatever the run seed");
    let fresh = config(&text(""));
    assert_ne!(run(&fresh, 1, 1).1.spikes, run(&fresh, 2, 1).1.spikes);
}

#[test]
fn spike_triggered_stimulation_starts_after_its_delay() {
    // The trigger fires at 5 ms (step 50); the stimulation (500 pA for 2 ms) starts 3 ms later.
    let cfg = config(
        r#"
        simulation = { duration = 15.0 }
        [populations.trig]
        n = 1
        source.spike_times = { times = [[5.0]] }
        [populations.b]
        n = 2
        neuron = { model = "lif_psc_exp", v_th = 1e9 }
        [inputs.stim.spike_triggered]
        target = "b"
        neurons = [1]
        source = "trig"
        neuron = 0
        delay = 3.0
        amplitude = 500.0
        duration = 2.0
        [record]
        state = [{ population = "b", variable = "v_m", neurons = [0, 1] }]
        "#,
    );
    let (_, rec) = run(&cfg, 0, 1);
    let s = &rec.state[0];
    let moved: Vec<u64> =
        s.steps.iter().zip(&s.values).filter(|(_, v)| v[1] != -70.0).map(|(k, _)| *k).collect();
    assert_eq!(moved[0], 50 + 30 + 1, "first step with the current applied");
    assert!(s.values.iter().all(|v| v[0] == -70.0), "untargeted neuron untouched");
    // After 2 ms the current is off and the membrane relaxes.
    let peak = s.values.iter().map(|v| v[1]).fold(f64::MIN, f64::max);
    let at_peak = s.values.iter().position(|v| v[1] == peak).unwrap() as u64 + 1;
    assert_eq!(at_peak, 50 + 30 + 20);
}

#[test]
fn guards_stop_runaway_and_non_finite_runs_with_a_typed_error() {
    let cfg = config(
        r#"
        guards = { max_rate = 200.0, window = 10.0 }
        [populations.hot]
        n = 10
        neuron = { model = "lif_psc_exp", i_e = 1e5, t_ref = 0.1 }
        "#,
    );
    let mut net = Network::build(&cfg, 0).unwrap();
    let mut rec = Recording::new(&cfg.record, &net).unwrap();
    match net.run(10_000, &mut rec, &cfg.guards, &mut |_| true) {
        Err(SimError::RateExceeded { population, time, .. }) => {
            assert_eq!(population, "hot");
            assert_eq!(time, 10.0);
        }
        other => panic!("expected RateExceeded, got {other:?}"),
    }
    let cfg = config("[populations.p]\nn = 3\nneuron = { model = \"lif_psc_exp\" }\n");
    let mut net = Network::build(&cfg, 0).unwrap();
    assert!(net.set_state(0, "v_m", &[-70.0, f64::NAN, -70.0]));
    let err = net.run(10_000, &mut rec, &GuardConfig::default(), &mut |_| true).unwrap_err();
    assert_eq!(
        err,
        SimError::NonFinite {
            population: "p".into(),
            variable: "v_m".into(),
            neuron: 1,
            time: 100.0
        }
    );
}

#[test]
fn bad_configs_name_the_field_and_value() {
    let base = |pop: &str, proj: &str| {
        format!(
            "simulation = {{ dt = 0.1, max_delay = 2.0 }}\n[populations.a]\nn = 10\n{pop}\n[projections.p]\npre = \"a\"\npost = \"a\"\n{proj}\n"
        )
    };
    let ok_pop = "neuron = { model = \"lif_psc_exp\" }";
    let ok_proj = "rule.fixed_probability = { p = 0.1 }\nweight = 1.0";
    let cases = [
        (
            base("neuron = { model = \"lif\" }", ok_proj),
            "populations.a.neuron.model",
            "lif_psc_exp",
        ),
        (
            base("neuron = { model = \"lif_psc_exp\", tau = 3.0 }", ok_proj),
            "populations.a.neuron.tau",
            "tau_m",
        ),
        (
            base("neuron = { model = \"lif_psc_exp\", tau_m = 0.0 }", ok_proj),
            "populations.a.neuron.tau_m",
            "> 0",
        ),
        (
            base("neuron = { model = \"lif_psc_exp\", preset = \"x\" }", ok_proj),
            "populations.a.neuron.preset",
            "vogels_abbott_2005_cuba",
        ),
        (
            base("neuron = { model = \"lif_cond_exp\", tau_syn_ex = 0.1 }", ok_proj),
            "simulation.dt",
            "half the shortest",
        ),
        (
            base(ok_pop, "rule.fixed_probability = { p = 1.5 }\nweight = 1.0"),
            "projections.p.rule.fixed_probability.p",
            "[0, 1]",
        ),
        (
            base(ok_pop, "rule.fixed_probability = { p = 0.1 }\nweight = 1.0\ndelay = 3.0"),
            "projections.p.delay",
            "max_delay",
        ),
        (
            base(ok_pop, "rule.fixed_indegree = { k = 10 }\nweight = 1.0"),
            "projections.p.rule.fixed_indegree.k",
            "at most 9",
        ),
        (
            base(ok_pop, "rule.fixed_probability = { p = 0.1 }\nweight = 1.0\npost = \"b\"")
                .replace("post = \"a\"\n", ""),
            "projections.p.post",
            "one of a",
        ),
        (
            base("neuron = { model = \"lif_psc_exp\" }\ninit.v = 1.0", ok_proj),
            "populations.a.init.v",
            "v_m",
        ),
    ];
    for (text, field, expected) in cases {
        let cfg: NetworkConfig = toml::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let e = Network::build(&cfg, 0).unwrap_err();
        assert_eq!(e.field, field, "{text}");
        assert!(e.expected.contains(expected), "{field}: {e}");
    }
}

/// Pre spikes at `pre` ms, one post spike forced at 110 ms (kick at 109.9 ms); returns Δw.
fn stdp_with_pre_train(pairing: &str, pre: &[f64]) -> f64 {
    let cfg = config(&format!(
        r#"
        simulation = {{ duration = 150.0, max_delay = 1.0 }}
        [populations.pre]
        n = 1
        source.spike_times = {{ times = [{pre:?}] }}
        [populations.kick]
        n = 1
        source.spike_times = {{ times = [[109.9]] }}
        [populations.post]
        n = 1
        neuron = {{ model = "lif_psc_delta" }}
        [projections.kick]
        pre = "kick"
        post = "post"
        rule.one_to_one = {{}}
        weight = 100.0
        [projections.plastic]
        pre = "pre"
        post = "post"
        rule.one_to_one = {{}}
        weight = 0.5
        plasticity.stdp = {{ a_plus = 0.01, a_minus = 0.0, tau_plus = 20.0, w_max = 1.0, pairing = "{pairing}" }}
        "#
    ));
    let (net, _) = run(&cfg, 0, 1);
    net.weights(net.projection_index("plastic").unwrap())[0] - 0.5
}

#[test]
fn nearest_neighbour_pairing_counts_only_the_last_pre_spike() {
    // Pre at 100 and 105 ms, post at 110 ms: all-to-all sums both pairs, nearest-neighbour
    // (trace reset to 1 at each spike) only the 5 ms one (Morrison et al. 2008).
    let e = |dt: f64| 0.01 * (-dt / 20.0f64).exp();
    let all = stdp_with_pre_train("all_to_all", &[100.0, 105.0]);
    let nearest = stdp_with_pre_train("nearest", &[100.0, 105.0]);
    assert!((all - (e(10.0) + e(5.0))).abs() < 1e-12, "all-to-all {all}");
    assert!((nearest - e(5.0)).abs() < 1e-12, "nearest {nearest}");
}

#[test]
fn oja_weight_settles_at_its_fixed_point() {
    // One synapse from a 20 Hz Poisson source onto a neuron that fires regularly on its own
    // (the synapse is too weak to matter): dw/dt = η (r_pre r_post − α r_post² w) settles
    // near w* = ⟨r_pre r_post⟩ / (α ⟨r_post²⟩) ≈ r_pre / (α r_post) with independent trains.
    let cfg = config(
        r#"
        simulation = { duration = 20000.0, max_delay = 1.0 }
        [populations.src]
        n = 1
        source.poisson = { rate = 20.0 }
        [populations.post]
        n = 1
        neuron = { model = "lif_psc_exp", i_e = 420.0 }
        [projections.p]
        pre = "src"
        post = "post"
        rule.one_to_one = {}
        weight = 0.0
        plasticity.oja = { eta = 5e-4, alpha = 1.0, tau_rate = 500.0, interval = 1.0 }
        [record]
        spikes = ["post"]
        "#,
    );
    let (net, rec) = run(&cfg, 5, 1);
    let r_post = rec.spikes.neurons[0].len() as f64 / 20.0;
    let w = net.weights(0)[0];
    let expected = 20.0 / r_post;
    assert!(r_post > 5.0, "post fires at {r_post} Hz");
    assert!((w / expected - 1.0).abs() < 0.25, "w = {w}, expected ≈ {expected}");
}

#[test]
fn step_and_array_currents_switch_at_their_times() {
    // A neuron far from threshold integrates the current; V moves exactly when it switches.
    let cfg = config(
        r#"
        simulation = { duration = 30.0 }
        [populations.a]
        n = 2
        neuron = { model = "lif_psc_exp", v_th = 1e9 }
        [inputs.s.step]
        target = "a"
        neurons = [0]
        times = [10.0, 20.0]
        amplitudes = [100.0, 0.0]
        [inputs.arr.array]
        target = "a"
        neurons = [1]
        interval = 5.0
        values = [0.0, 0.0, 0.0, 50.0]
        [record]
        state = [{ population = "a", variable = "v_m", neurons = [0, 1] }]
        "#,
    );
    let (_, rec) = run(&cfg, 0, 1);
    let s = &rec.state[0];
    let first_moved =
        |m: usize| s.steps.iter().zip(&s.values).find(|(_, v)| v[m] != -70.0).map(|(k, _)| *k);
    // The current of step k acts in the update k → k+1: first visible at step 101 (step input
    // from 10 ms) and 151 (array sample 3 covers [15, 20) ms).
    assert_eq!(first_moved(0), Some(101));
    assert_eq!(first_moved(1), Some(151));
    // Both decay after their currents end (20 ms): V falls back towards E_L.
    let last = s.values.last().unwrap();
    let peak0 = s.values.iter().map(|v| v[0]).fold(f64::MIN, f64::max);
    assert!(last[0] < peak0 && last[1] > -70.0);
}

#[test]
fn conductance_weights_must_be_non_negative_and_normal_draws_are_clipped() {
    let text = |weight: &str| {
        format!(
            "simulation = {{ dt = 0.1 }}\n[populations.a]\nn = 50\nneuron = {{ model = \"lif_cond_exp\", preset = \"vogels_abbott_2005_coba\" }}\n[projections.p]\npre = \"a\"\npost = \"a\"\nrule.fixed_probability = {{ p = 0.2 }}\nweight = {weight}\n"
        )
    };
    let net = Network::build(&config(&text("{ normal = { mean = 1.0, std = 2.0 } }")), 0).unwrap();
    let w = net.weights(0);
    assert!(w.iter().all(|&x| x >= 0.0) && w.contains(&0.0) && w.iter().any(|&x| x > 1.0));
    let e = Network::build(&config(&text("-3.0")), 0).unwrap_err();
    assert_eq!(e.field, "projections.p.weight");
}

/// The mixed network plus a three-factor projection, a spike-time source that triggers a
/// stimulation, and recorded state and weights: every kind of changing state.
fn everything_network() -> NetworkConfig {
    config(
        r#"
        simulation = { dt = 0.1, duration = 200.0, max_delay = 5.0 }
        [populations.exc]
        n = 400
        neuron = { model = "lif_psc_exp", preset = "vogels_abbott_2005_cuba" }
        init.v_m = { uniform = [-60.0, -50.0] }
        [populations.inh]
        n = 100
        neuron = { model = "lif_escape", rho_0 = 20.0 }
        [populations.ext]
        n = 50
        source.poisson = { rate = 20.0 }
        [populations.trig]
        n = 1
        source.spike_times = { times = [[30.0, 110.0]] }
        [projections.ee]
        pre = "exc"
        post = "exc"
        rule.fixed_probability = { p = 0.05 }
        weight = { normal = { mean = 16.0, std = 4.0 } }
        delay = { uniform = [0.5, 4.5] }
        plasticity.stdp = { a_plus = 0.1, a_minus = 0.12, w_max = 30.0 }
        [projections.xe]
        pre = "ext"
        post = "exc"
        rule.fixed_probability = { p = 0.1 }
        weight = 30.0
        delay = 2.0
        plasticity.three_factor = { stdp = { a_plus = 0.1, a_minus = 0.12, w_max = 60.0 }, tau_e = 50.0, eta = 1.0, modulator = { times = [0.0, 60.0], values = [0.0, 1.0] } }
        [projections.ei]
        pre = "exc"
        post = "inh"
        rule.fixed_indegree = { k = 20 }
        weight = 20.0
        [projections.ie]
        pre = "inh"
        post = "exc"
        rule.fixed_outdegree = { k = 40 }
        weight = -90.0
        delay = 1.0
        [inputs.noise.ornstein_uhlenbeck]
        target = "inh"
        mean = 300.0
        std = 50.0
        tau = 5.0
        [inputs.kick.poisson]
        target = "exc"
        rate = 5.0
        n_sources = 10
        weight = 20.0
        [inputs.stim.spike_triggered]
        target = "exc"
        neurons = [0, 1, 2]
        source = "trig"
        neuron = 0
        delay = 3.0
        amplitude = 400.0
        duration = 20.0
        [record]
        state = [{ population = "exc", variable = "v_m", neurons = [0, 5], interval = 1.0 }]
        weights = [{ projection = "xe", n_synapses = 10, interval = 5.0 }]
        "#,
    )
}

#[test]
fn a_run_restored_from_a_snapshot_ends_with_the_same_bits() {
    let cfg = everything_network();
    let total = cfg.simulation.n_steps();
    let (whole, whole_rec) = run(&cfg, 5, 1);
    assert!(whole_rec.spikes.neurons.iter().all(|s| !s.is_empty()), "every population fires");
    let xe = whole.projection_index("xe").unwrap();
    let built = Network::build_sharded(&cfg, 5, 1).unwrap();
    assert_ne!(whole.weights(xe), built.weights(xe), "the three-factor weights moved");

    // Stop at a step inside a guard window, while a stimulation window is open and plastic
    // events are queued; save; continue on a network built afresh.
    for (stop, shards) in [(347, 1), (1_234, 2), (1_000, 3)] {
        let mut first = Network::build_sharded(&cfg, 5, shards).unwrap();
        let mut rec = Recording::new(&cfg.record, &first).unwrap();
        first.run_piece(stop, false, &mut rec, &cfg.guards, &mut |_| true).unwrap();
        let saved = first.snapshot();
        assert_eq!(saved.step(), stop);
        drop(first);
        let mut second = Network::build_sharded(&cfg, 5, saved.n_shards()).unwrap();
        second.restore(&saved).unwrap();
        second.run(total - stop, &mut rec, &cfg.guards, &mut |_| true).unwrap();
        assert_eq!(rec, whole_rec, "stopped at step {stop} with {shards} shards");
        if shards == 1 {
            assert_eq!(
                second.snapshot(),
                whole.snapshot(),
                "every state variable, trace and stream"
            );
        }
        assert_eq!(second.weights(xe), whole.weights(xe));
        assert_eq!(second.synaptic_events(), whole.synaptic_events());
    }

    // A state of another network is refused, and the network is left as built.
    let other = config(
        r#"
        [populations.a]
        n = 3
        neuron = { model = "lif_psc_exp" }
        "#,
    );
    let mut small = Network::build_sharded(&other, 5, 1).unwrap();
    let before = small.snapshot();
    let err = small.restore(&whole.snapshot()).unwrap_err();
    assert!(err.contains("not of this network"), "{err}");
    assert_eq!(small.snapshot(), before);
}

#[test]
fn a_run_in_pieces_or_restored_is_guarded_as_the_same_run_in_one_call() {
    // Firing at every step from 100 to 130 ms only: the window [100, 150) ms is over the rate
    // limit, and only because of the spikes before 140 ms, where the run is cut.
    let cfg = config(
        r#"
        simulation = { duration = 300.0 }
        guards = { max_rate = 200.0, window = 50.0 }
        [populations.a]
        n = 10
        neuron = { model = "lif_psc_exp", v_th = -69.0, t_ref = 0.0 }
        [inputs.drive.step]
        target = "a"
        times = [0.0, 100.0, 130.0]
        amplitudes = [0.0, 1000.0, 0.0]
        "#,
    );
    let fresh = || {
        let net = Network::build_sharded(&cfg, 1, 1).unwrap();
        let rec = Recording::new(&cfg.record, &net).unwrap();
        (net, rec)
    };
    let (mut net, mut rec) = fresh();
    let whole = net.run(3000, &mut rec, &cfg.guards, &mut |_| true).unwrap_err();
    assert!(matches!(whole, SimError::RateExceeded { time, .. } if time == 150.0), "{whole:?}");
    // In pieces of 70 steps (not a multiple of the window).
    let (mut net, mut rec) = fresh();
    let mut stopped = None;
    for piece in 0..43 {
        let n = if piece == 42 { 3000 - 42 * 70 } else { 70 };
        if let Err(e) = net.run_piece(n, piece == 42, &mut rec, &cfg.guards, &mut |_| true) {
            stopped = Some(e);
            break;
        }
    }
    assert_eq!(stopped.as_ref(), Some(&whole));
    // Cut at 140 ms, restored on a fresh network.
    let (mut net, mut rec) = fresh();
    net.run_piece(1400, false, &mut rec, &cfg.guards, &mut |_| true).unwrap();
    let saved = net.snapshot();
    let (mut net, _) = fresh();
    net.restore(&saved).unwrap();
    assert_eq!(net.run(1600, &mut rec, &cfg.guards, &mut |_| true).unwrap_err(), whole);
}
