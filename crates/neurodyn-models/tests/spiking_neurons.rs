//! Spiking neurons against closed forms, convergence orders and published firing patterns.

use neurodyn_models::spiking::theta::advance_qif;
use neurodyn_models::spiking::{NeuronConfig, NeuronState, SpikingModel, StepInput};

/// Runs one neuron for `n_steps` with constant external current; returns `v_m` after each
/// step and the spike steps (1-based: the step whose end state crossed).
fn run_one(
    model: &SpikingModel,
    state: &mut NeuronState,
    i_ext: f64,
    n_steps: usize,
) -> (Vec<f64>, Vec<usize>) {
    let (mut vs, mut spike_steps, mut spikes) = (Vec::new(), Vec::new(), Vec::new());
    for k in 0..n_steps {
        spikes.clear();
        model.step(
            state,
            StepInput { arrivals_ex: &mut [0.0], arrivals_in: &mut [0.0], i_ext: &[i_ext] },
            &mut spikes,
        );
        if !spikes.is_empty() {
            spike_steps.push(k + 1);
        }
        vs.push(state.vars[0][0]);
    }
    (vs, spike_steps)
}

fn config(model: &str, params: &[(&str, f64)]) -> NeuronConfig {
    let mut c = NeuronConfig::new(model).unwrap();
    for (name, value) in params {
        c.set(name, *value).unwrap();
    }
    c
}

/// `V(t)` of `lif_psc_exp` below threshold from `V₀`, `I_ex(0) = I₀`, constant `I`.
fn lif_closed_form(
    t: f64,
    v0: f64,
    i0: f64,
    i: f64,
    c_m: f64,
    tau_m: f64,
    tau_s: f64,
    e_l: f64,
) -> f64 {
    let em = (-t / tau_m).exp();
    let syn = if tau_s == tau_m {
        i0 / c_m * t * em
    } else {
        i0 / c_m * ((-t / tau_s).exp() - em) / (1.0 / tau_m - 1.0 / tau_s)
    };
    e_l + (v0 - e_l) * em + i * tau_m / c_m * (1.0 - em) + syn
}

#[test]
fn lif_psc_exp_subthreshold_equals_closed_form_to_1e_12() {
    // Also the degenerate τ_syn = τ_m, where the propagator takes its limit form.
    for (tau_s, dt) in [(2.0, 0.1), (5.0, 0.37), (10.0, 0.1), (10.0, 1.0)] {
        let c = config("lif_psc_exp", &[("tau_syn_ex", tau_s), ("v_th", 1e9)]);
        let model = c.build(dt).unwrap();
        let mut state = model.new_state(1);
        let (v0, i0, i) = (-65.0, 300.0, 120.0);
        state.vars[0][0] = v0;
        state.vars[1][0] = i0;
        let (vs, _) = run_one(&model, &mut state, i, 2000);
        for (k, v) in vs.iter().enumerate() {
            let t = (k + 1) as f64 * dt;
            let exact = lif_closed_form(t, v0, i0, i, 250.0, 10.0, tau_s, -70.0);
            assert!(
                (v - exact).abs() <= 1e-12 * exact.abs(),
                "τ_s={tau_s} dt={dt} t={t}: {v} vs {exact}"
            );
        }
    }
}

#[test]
fn lif_psc_exp_fires_at_the_closed_form_time_and_stays_refractory() {
    // From rest with I > C (V_th − E_L)/τ_m the membrane reaches V_th at
    // t* = −τ_m ln(1 − (V_th − E_L) C/(I τ_m)); then it is clamped for t_ref.
    let (dt, i) = (0.1, 500.0);
    let model = NeuronConfig::new("lif_psc_exp").unwrap().build(dt).unwrap();
    let mut state = model.new_state(1);
    let (vs, spikes) = run_one(&model, &mut state, i, 400);
    let t_star = -10.0 * (1.0 - 15.0 * 250.0 / (i * 10.0)).ln();
    assert_eq!(spikes[0], (t_star / dt).ceil() as usize, "first spike step");
    // Clamped at V_reset for t_ref = 2 ms = 20 steps after the spike, free afterwards.
    // vs[k] is V after step k + 1: the reset value, then 20 clamped steps, then free again.
    let s = spikes[0] - 1;
    assert!(vs[s..s + 21].iter().all(|&v| v == -70.0));
    assert!(vs[s + 21] > -70.0);
    let isi = spikes[1] - spikes[0];
    assert_eq!(isi, 20 + (t_star / dt).ceil() as usize);
}

#[test]
fn lif_psc_delta_jump_then_exact_decay() {
    let model = NeuronConfig::preset("lif_psc_delta", "brunel_2000").unwrap().build(0.1).unwrap();
    let mut state = model.new_state(1);
    let mut spikes = Vec::new();
    model.step(
        &mut state,
        StepInput { arrivals_ex: &mut [0.5], arrivals_in: &mut [0.0], i_ext: &[0.0] },
        &mut spikes,
    );
    for k in 1..100 {
        let exact = 0.5 * (-(k as f64) * 0.1 / 20.0).exp();
        assert!((state.vars[0][0] - exact).abs() < 1e-14, "step {k}");
        model.step(
            &mut state,
            StepInput { arrivals_ex: &mut [0.0], arrivals_in: &mut [0.0], i_ext: &[0.0] },
            &mut spikes,
        );
    }
}

#[test]
fn lif_cond_exp_converges_at_first_order() {
    // Exponential Euler freezes the conductance over a step: the error at t = 20 ms must fall
    // by ~2× per halving of dt, against a reference with dt = 1e-4 ms.
    let run = |dt: f64| {
        let c = config("lif_cond_exp", &[("v_th", 1e9), ("tau_syn_ex", 2.0)]);
        let model = c.build(dt).unwrap();
        let mut state = model.new_state(1);
        state.vars[1][0] = 20.0; // g_ex(0) [nS]
        let n = (20.0 / dt).round() as usize;
        run_one(&model, &mut state, 50.0, n).0[n - 1]
    };
    let reference = run(1e-4);
    let errors: Vec<f64> = [0.2, 0.1, 0.05].iter().map(|&dt| (run(dt) - reference).abs()).collect();
    for w in errors.windows(2) {
        let order = (w[0] / w[1]).log2();
        assert!((order - 1.0).abs() < 0.1, "order {order}, errors {errors:?}");
    }
}

#[test]
fn qif_exact_solution_matches_a_fine_rk4_and_the_period() {
    let rk4 = |v0: f64, eta: f64, h: f64| {
        let f = |v: f64| v * v + eta;
        let (n, mut v) = (100_000, v0);
        let s = h / n as f64;
        for _ in 0..n {
            let k1 = f(v);
            let k2 = f(v + 0.5 * s * k1);
            let k3 = f(v + 0.5 * s * k2);
            let k4 = f(v + s * k3);
            v += s / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4);
        }
        v
    };
    for (v0, eta) in
        [(0.3, 0.5), (-2.0, 1.0), (0.2, -1.0), (1.5, -1.0), (-3.0, -1.0), (-0.5, 0.0), (0.4, 0.0)]
    {
        let (v1, spiked) = advance_qif(v0, eta, 0.2);
        assert!(!spiked);
        let reference = rk4(v0, eta, 0.2);
        assert!(
            (v1 - reference).abs() < 1e-9 * (1.0 + reference.abs()),
            "V0={v0} η={eta}: {v1} vs {reference}"
        );
    }
    // η > 0: period π τ_m/√η; from θ = −π the neuron fires once per period.
    let (tau_m, eta, dt) = (10.0, 0.25, 0.05);
    let model = config("theta", &[("eta", eta)]).build(dt).unwrap();
    let mut state = model.new_state(1);
    state.vars[0][0] = -std::f64::consts::PI + 1e-12;
    let (_, spikes) = run_one(&model, &mut state, 0.0, 10_000);
    let period = std::f64::consts::PI * tau_m / eta.sqrt();
    let expected: Vec<usize> =
        (1..=(500.0 / period) as usize).map(|m| (m as f64 * period / dt).ceil() as usize).collect();
    assert_eq!(spikes, expected);
    // Excitable (η < 0) with no input: never fires.
    let model = config("theta", &[("eta", -0.1)]).build(dt).unwrap();
    let mut state = model.new_state(1);
    assert!(run_one(&model, &mut state, 0.0, 10_000).1.is_empty());
}

/// Inter-spike intervals [ms] of an Izhikevich preset under a step of current 10 for 500 ms.
fn izhikevich_isis(preset: &str) -> Vec<f64> {
    let dt = 0.1;
    let model = NeuronConfig::preset("izhikevich", preset).unwrap().build(dt).unwrap();
    let mut state = model.new_state(1);
    let (_, spikes) = run_one(&model, &mut state, 10.0, 5000);
    spikes.windows(2).map(|w| (w[1] - w[0]) as f64 * dt).collect()
}

#[test]
fn izhikevich_presets_reproduce_their_firing_classes() {
    // Izhikevich (2003), Fig. 2, under a step of current 10 from rest:
    // RS: a short first interval, then adapted tonic firing (ISIs lengthen, then stay);
    // FS: tonic at high frequency; IB: an initial burst, then tonic; CH: repeated bursts.
    let steady = |isis: &[f64]| isis[isis.len() - 1];
    let rs = izhikevich_isis("regular_spiking");
    assert!(steady(&rs) > 1.5 * rs[0], "RS adapts: {rs:?}");
    assert!(
        rs[2..].iter().all(|&i| (i / steady(&rs) - 1.0).abs() < 0.05),
        "RS is then tonic: {rs:?}"
    );
    let fs = izhikevich_isis("fast_spiking");
    assert!(1000.0 / steady(&fs) > 100.0, "FS fires above 100 Hz: {fs:?}");
    assert!(steady(&rs) > 4.0 * steady(&fs), "FS is far faster than RS");
    let ib = izhikevich_isis("intrinsically_bursting");
    assert!(ib[0] < 10.0 && steady(&ib) > 3.0 * ib[0], "IB: burst then tonic: {ib:?}");
    let ch = izhikevich_isis("chattering");
    let within = ch.iter().filter(|&&i| i < 10.0).count();
    let between = ch.iter().filter(|&&i| i > 20.0).count();
    assert!(within >= 2 * between && between >= 5, "CH repeats bursts: {ch:?}");
}

#[test]
fn escape_noise_rate_follows_the_hazard() {
    // With E_L = V_reset = V_th + x and no refractoriness, V stays put and each neuron is a
    // Bernoulli process with p = 1 − exp(−ρ₀ e^{x/ΔV} dt): its rate is known exactly.
    for x in [0.0, 2.0] {
        let c = config(
            "lif_escape",
            &[("e_l", -55.0 + x), ("v_reset", -55.0 + x), ("t_ref", 0.0), ("rho_0", 20.0)],
        );
        let model = c.build(0.1).unwrap();
        let n = 1000;
        let mut state = model.new_state(n);
        model.seed_streams(&mut state, 3, "escape", 0);
        let (zeros, mut ex, mut inh, mut spikes) =
            (vec![0.0; n], vec![0.0; n], vec![0.0; n], Vec::new());
        for _ in 0..20_000 {
            model.step(
                &mut state,
                StepInput { arrivals_ex: &mut ex, arrivals_in: &mut inh, i_ext: &zeros },
                &mut spikes,
            );
        }
        let p = -(-20.0 * (x / 2.0f64).exp() * 1e-4).exp_m1();
        let expected = p * 20_000.0 * n as f64;
        let sd = (expected * (1.0 - p)).sqrt();
        assert!(
            (spikes.len() as f64 - expected).abs() < 4.0 * sd,
            "x={x}: {} vs {expected}",
            spikes.len()
        );
    }
}

#[test]
fn parameters_are_set_by_name_and_unknown_names_are_refused() {
    let mut c = NeuronConfig::new("lif_cond_exp").unwrap();
    c.set("tau_syn_ex", 3.0).unwrap();
    assert!(c.params().contains(&("tau_syn_ex", 3.0)));
    let e = c.set("tau_syn", 3.0).unwrap_err();
    assert!(e.expected.contains("tau_syn_ex"), "{e}");
    for model in neurodyn_models::spiking::MODEL_NAMES {
        for preset in NeuronConfig::presets(model) {
            NeuronConfig::preset(model, preset).unwrap().build(0.1).unwrap();
        }
    }
    // Bad values name the field.
    assert_eq!(config("lif_psc_exp", &[("tau_m", 0.0)]).build(0.1).unwrap_err().field, "tau_m");
    assert_eq!(config("lif_cond_exp", &[]).build(0.5).unwrap_err().field, "dt");
    assert_eq!(NeuronConfig::new("izhikevich").unwrap().build(2.0).unwrap_err().field, "dt");
}
