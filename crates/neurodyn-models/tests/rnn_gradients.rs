//! Every cell's backward pass and state Jacobian against central finite differences in `f64`,
//! and `f32` against `f64`.
//!
//! The loss is a fixed random linear functional of outputs and hidden states,
//! `L = Σ w·y + Σ v·h`, so `∂L/∂y = w` and `∂L/∂h = v` exercise both entry points of
//! [`Rnn::backward`]. Central differences with step `ε = 1e-5` have truncation error
//! `O(ε²) ≈ 1e-10` relative to the third derivative and round-off `≈ 1e-16/ε = 1e-11`, well
//! under the 1e-6 tolerance.

use neurodyn_core::{Dynamics, rng};
use neurodyn_models::rnn::{Activation, DaleConfig, Rnn, RnnConfig, Tape};
use rand::RngExt;

const EPS: f64 = 1e-5;
const REL_TOL: f64 = 1e-6;
const N_STEPS: usize = 6;
const BATCH: usize = 3;

fn cases() -> Vec<(&'static str, RnnConfig)> {
    let base = RnnConfig::leaky_tanh(3, 5, 2, 0.3);
    let with = |activation| RnnConfig { activation, init_gain: 1.5, ..base.clone() };
    vec![
        ("vanilla_tanh", with(Activation::Tanh)),
        ("vanilla_relu", with(Activation::Relu)),
        ("vanilla_softplus", with(Activation::Softplus)),
        ("vanilla_no_leak", RnnConfig { alpha: 1.0, ..base.clone() }),
        (
            "vanilla_dale_mask",
            RnnConfig {
                dale: Some(DaleConfig { e_fraction: 0.6 }),
                connection_prob: 0.7,
                ..base.clone()
            },
        ),
        ("gru", RnnConfig::gru(3, 5, 2)),
        ("lstm", RnnConfig::lstm(3, 5, 2)),
    ]
}

fn uniform(seed: u64, what: &str, len: usize) -> Vec<f64> {
    let mut r = rng::stream(seed, what, 0);
    (0..len).map(|_| r.random_range(-1.0..1.0)).collect()
}

/// Inputs, noise and the two cotangents of the test loss.
struct Probe {
    inputs: Vec<f64>,
    noise: Vec<f64>,
    w: Vec<f64>,
    v: Vec<f64>,
}

impl Probe {
    fn new(c: &RnnConfig) -> Self {
        let rows = N_STEPS * BATCH;
        Probe {
            inputs: uniform(1, "x", rows * c.n_input),
            noise: uniform(2, "noise", rows * c.n_hidden).iter().map(|z| 0.1 * z).collect(),
            w: uniform(3, "w", rows * c.n_output),
            v: uniform(4, "v", rows * c.n_hidden),
        }
    }

    fn loss(&self, rnn: &Rnn<f64>) -> f64 {
        let n = rnn.config().n_hidden;
        let mut tape = Tape::default();
        let mut y = vec![0.0; self.w.len()];
        rnn.forward(&self.inputs, N_STEPS, BATCH, Some(&self.noise), &mut tape, &mut y);
        let h = tape.hidden(n);
        let hv: f64 = (0..h.nrows())
            .flat_map(|r| (0..n).map(move |j| (r, j)))
            .map(|(r, j)| h[(r, j)] * self.v[r * n + j])
            .sum();
        y.iter().zip(&self.w).map(|(a, b)| a * b).sum::<f64>() + hv
    }

    fn grads(&self, rnn: &Rnn<f64>) -> Vec<f64> {
        let mut tape = Tape::default();
        let mut y = vec![0.0; self.w.len()];
        rnn.forward(&self.inputs, N_STEPS, BATCH, Some(&self.noise), &mut tape, &mut y);
        let mut g = vec![0.0; rnn.params().len()];
        rnn.backward(&self.inputs, &mut tape, &self.w, Some(&self.v), &mut g);
        g
    }
}

/// Largest entrywise error relative to the largest gradient entry, with the entry named.
fn worst_relative(analytic: &[f64], numeric: &[f64]) -> (f64, usize) {
    let scale = numeric.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
    analytic
        .iter()
        .zip(numeric)
        .map(|(a, n)| (a - n).abs() / scale.min(n.abs().max(scale * 1e-3)))
        .enumerate()
        .fold((0.0, 0), |(m, at), (k, e)| if e > m { (e, k) } else { (m, at) })
}

#[test]
fn backward_matches_central_differences() {
    for (name, config) in cases() {
        let rnn = config.build::<f64>(11).unwrap();
        let probe = Probe::new(&config);
        let analytic = probe.grads(&rnn);
        let numeric: Vec<f64> = (0..rnn.params().len())
            .map(|k| {
                let mut plus = rnn.clone();
                plus.params_mut()[k] += EPS;
                let mut minus = rnn.clone();
                minus.params_mut()[k] -= EPS;
                (probe.loss(&plus) - probe.loss(&minus)) / (2.0 * EPS)
            })
            .collect();
        let (err, at) = worst_relative(&analytic, &numeric);
        assert!(
            err < REL_TOL,
            "{name}: parameter {at}: analytic {} vs numeric {} (rel {err:e})",
            analytic[at],
            numeric[at]
        );
    }
}

#[test]
fn jacobian_matches_central_differences() {
    for (name, config) in cases() {
        let rnn = config.build::<f64>(5).unwrap();
        let s = rnn.dim();
        let state: Vec<f64> = uniform(6, "h", s).iter().map(|v| 0.8 * v).collect();
        let input = uniform(7, "x", config.n_input);
        let mut jac = faer::Mat::<f64>::zeros(s, s);
        rnn.jacobian(&state, &input, jac.as_mut());
        let mut analytic = vec![0.0; s * s];
        let mut numeric = vec![0.0; s * s];
        let (mut up, mut down) = (vec![0.0; s], vec![0.0; s]);
        for j in 0..s {
            let mut h = state.clone();
            h[j] += EPS;
            rnn.step(&h, &input, &mut up);
            h[j] -= 2.0 * EPS;
            rnn.step(&h, &input, &mut down);
            for i in 0..s {
                numeric[i * s + j] = (up[i] - down[i]) / (2.0 * EPS);
                analytic[i * s + j] = jac[(i, j)];
            }
        }
        let (err, at) = worst_relative(&analytic, &numeric);
        assert!(
            err < REL_TOL,
            "{name}: J[{}, {}]: analytic {} vs numeric {} (rel {err:e})",
            at / s,
            at % s,
            analytic[at],
            numeric[at]
        );
    }
}

#[test]
fn f32_agrees_with_f64() {
    // f32 with the fast tanh/sigmoid (error < 3e-7) against libm f64: differences come from
    // f32 rounding (≈ 6e-8 per operation) amplified over 6 steps; 1e-4 relative is generous
    // for that and far below any real bug (a wrong term is O(1)).
    for (name, config) in cases() {
        let r64 = config.build::<f64>(3).unwrap();
        let r32: Rnn<f32> = r64.cast();
        let probe = Probe::new(&config);
        let to32 = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let (x32, n32, w32, v32) =
            (to32(&probe.inputs), to32(&probe.noise), to32(&probe.w), to32(&probe.v));
        let mut tape = Tape::default();
        let mut y32 = vec![0.0f32; probe.w.len()];
        r32.forward(&x32, N_STEPS, BATCH, Some(&n32), &mut tape, &mut y32);
        let mut g32 = vec![0.0f32; r32.params().len()];
        r32.backward(&x32, &mut tape, &w32, Some(&v32), &mut g32);
        let g64 = probe.grads(&r64);
        let g32: Vec<f64> = g32.iter().map(|&v| v as f64).collect();
        let (err, at) = worst_relative(&g32, &g64);
        assert!(
            err < 1e-4,
            "{name}: parameter {at}: f32 {} vs f64 {} (rel {err:e})",
            g32[at],
            g64[at]
        );
    }
}

#[test]
fn dale_law_keeps_presynaptic_signs() {
    let config = RnnConfig {
        dale: Some(DaleConfig { e_fraction: 0.8 }),
        ..RnnConfig::leaky_tanh(2, 10, 1, 0.2)
    };
    let rnn = config.build::<f64>(0).unwrap();
    let w = rnn.recurrent_weights();
    for (k, &v) in w.iter().enumerate() {
        let col = k % 10;
        assert!(if col < 8 { v >= 0.0 } else { v <= 0.0 }, "W[{}, {col}] = {v}", k / 10);
    }
}

#[test]
fn invalid_configs_are_refused_with_the_field_named() {
    let base = RnnConfig::leaky_tanh(2, 10, 1, 0.2);
    let cases = [
        (RnnConfig { alpha: 0.0, ..base.clone() }, "alpha"),
        (RnnConfig { alpha: 1.5, ..base.clone() }, "alpha"),
        (RnnConfig { n_hidden: 0, ..base.clone() }, "n_hidden"),
        (RnnConfig { connection_prob: 0.0, ..base.clone() }, "connection_prob"),
        (
            RnnConfig { dale: Some(DaleConfig { e_fraction: 1.0 }), ..base.clone() },
            "dale.e_fraction",
        ),
        (RnnConfig { alpha: 0.5, ..RnnConfig::gru(2, 4, 1) }, "alpha"),
    ];
    for (config, field) in cases {
        let err = config.build::<f64>(0).unwrap_err().to_string();
        assert!(err.starts_with(field), "expected an error about {field}, got: {err}");
    }
}
