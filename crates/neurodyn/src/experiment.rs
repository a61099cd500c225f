//! A spec run end to end: train, evaluate on held-out trials, find fixed points, and turn the
//! results into named arrays and metrics. Nothing here touches the filesystem: the caller (the
//! CLI, Python) decides where checkpoints and results go.

use neurodyn_analysis::dimensionality::Pca;
use neurodyn_analysis::fixed_points::{
    FixedPointError, FixedPointResult, Stability, find_fixed_points, sample_initial_states,
};
use neurodyn_io::npz::Array;
use neurodyn_io::spec::Spec;
use neurodyn_models::rnn::Rnn;
use neurodyn_train::{Evaluation, Event, StopReason, Trainer, evaluate};
use serde_json::{Value, json};
use std::ops::ControlFlow;

/// A fresh trainer for the spec's network.
pub fn trainer(spec: &Spec) -> Trainer {
    // The spec was validated, so the config is valid.
    let rnn = spec.rnn_config().build::<f32>(spec.seed).expect("validated spec builds its network");
    Trainer::new(rnn, &spec.train)
}

/// Trains `trainer` as the spec says, reporting to `observer`.
pub fn train(
    spec: &Spec,
    trainer: &mut Trainer,
    observer: &mut dyn FnMut(Event<'_>) -> ControlFlow<()>,
) -> StopReason {
    trainer.run(spec.task.task(), &spec.train, spec.seed, observer)
}

/// Everything the analysis phase produced.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Held-out trials and the network's response.
    pub evaluation: Evaluation,
    /// PCA of the held-out states.
    pub pca: Option<Pca>,
    /// Fixed (or slow) points under the spec's constant input.
    pub fixed_points: FixedPointResult,
    /// The trained network in `f64`.
    pub rnn: Rnn<f64>,
}

/// Evaluates the trained network and searches its fixed points; `progress(k)` reports how many
/// initial states are done.
pub fn analyse(
    spec: &Spec,
    trained: &Rnn<f32>,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<Analysis, FixedPointError> {
    let rnn = trained.cast::<f64>();
    let task = spec.task.task();
    let evaluation = evaluate(&rnn, task, spec.seed, spec.evaluation.n_trials);
    let s = rnn.state_len();
    let pca = Pca::fit(&evaluation.states, s, 3);
    let fp = &spec.fixed_points;
    let starts =
        sample_initial_states(&evaluation.states, s, fp.n_initial, fp.init_noise_std, spec.seed);
    let fixed_points = find_fixed_points(&rnn, &starts, fp, progress)?;
    Ok(Analysis { evaluation, pca, fixed_points, rnn })
}

/// Named arrays for `model.npz`.
pub fn model_arrays(rnn: &Rnn<f64>) -> Vec<(&'static str, Array)> {
    let c = rnn.config();
    let l = rnn.layout();
    let g = c.cell.n_gates() * c.n_hidden;
    let p = rnn.params();
    let block = |r: std::ops::Range<usize>, shape: &[usize]| Array::f64(shape, p[r].to_vec());
    let mut out = vec![
        ("params", Array::f64(&[p.len()], p.to_vec())),
        ("w_h", Array::f64(&[g, c.n_hidden], rnn.recurrent_weights())),
        ("w_x", block(l.w_x.clone(), &[g, c.n_input])),
        ("b_x", block(l.b_x.clone(), &[g])),
        ("w_out", block(l.w_out.clone(), &[c.n_output, c.n_hidden])),
        ("b_out", block(l.b_out.clone(), &[c.n_output])),
    ];
    if !l.b_h.is_empty() {
        out.push(("b_h", block(l.b_h.clone(), &[g])));
    }
    out
}

/// Named arrays for `training.npz`.
pub fn training_arrays(trainer: &Trainer) -> Vec<(&'static str, Array)> {
    let h = &trainer.history;
    let v = |x: &Vec<f64>| Array::f64(&[x.len()], x.clone());
    vec![
        ("loss", v(&h.loss)),
        ("grad_norm", v(&h.grad_norm)),
        ("learning_rate", v(&h.learning_rate)),
    ]
}

/// Named arrays for `trajectories.npz`: held-out inputs, targets, mask, outputs, states and
/// their projection on the top principal components.
pub fn trajectory_arrays(a: &Analysis) -> Vec<(&'static str, Array)> {
    let e = &a.evaluation;
    let b = &e.batch;
    let s = a.rnn.state_len();
    let (t, n) = (b.n_steps, b.batch);
    let mut out = vec![
        ("inputs", Array::f64(&[t, n, b.n_input], b.inputs.clone())),
        ("targets", Array::f64(&[t, n, b.n_output], b.targets.clone())),
        ("mask", Array::f64(&[t, n, b.n_output], b.mask.clone())),
        ("outputs", Array::f64(&[t, n, b.n_output], e.outputs.clone())),
        ("states", Array::f64(&[t + 1, n, s], e.states.clone())),
    ];
    if let Some(pca) = &a.pca {
        let k = pca.n_components();
        out.push(("states_pcs", Array::f64(&[t + 1, n, k], pca.transform(&e.states))));
        out.push(("pca_components", Array::f64(&[k, s], pca.components.clone())));
        out.push(("pca_mean", Array::f64(&[s], pca.mean.clone())));
        out.push((
            "pca_explained_variance_ratio",
            Array::f64(&[k], pca.explained_variance_ratio.clone()),
        ));
    }
    out
}

/// Named arrays for `fixed_points.npz`.
pub fn fixed_point_arrays(a: &Analysis) -> Vec<(&'static str, Array)> {
    let f = &a.fixed_points;
    let (k, s) = (f.points.len(), a.rnn.state_len());
    let points: Vec<f64> = f.points.iter().flat_map(|p| p.state.iter().copied()).collect();
    let mut out = vec![
        ("points", Array::f64(&[k, s], points.clone())),
        ("q", Array::f64(&[k], f.points.iter().map(|p| p.q).collect())),
        (
            "eigenvalues_re",
            Array::f64(
                &[k, s],
                f.points.iter().flat_map(|p| p.eigenvalues.iter().map(|z| z.0)).collect(),
            ),
        ),
        (
            "eigenvalues_im",
            Array::f64(
                &[k, s],
                f.points.iter().flat_map(|p| p.eigenvalues.iter().map(|z| z.1)).collect(),
            ),
        ),
        ("stability", Array::i32(&[k], f.points.iter().map(|p| p.stability.code()).collect())),
        ("n_unstable", Array::i32(&[k], f.points.iter().map(|p| p.n_unstable as i32).collect())),
        ("search_q", Array::f64(&[f.search_q.len()], f.search_q.clone())),
    ];
    if let Some(pca) = &a.pca {
        out.push(("points_pcs", Array::f64(&[k, pca.n_components()], pca.transform(&points))));
    }
    out
}

/// Dimensionality of the held-out states (`rows × dim`): participation ratio of the covariance
/// spectrum, components for 90 % of the variance, and the TwoNN and Levina–Bickel (k = 10)
/// intrinsic dimensions on at most 2000 evenly spaced states (NaN written as null).
pub fn dimensionality_metrics(states: &[f64], dim: usize) -> Value {
    use neurodyn_analysis::dimensionality::{levina_bickel, participation_ratio, two_nn};
    let rows = states.len() / dim.max(1);
    let Some(pca) = Pca::fit(states, dim, dim) else {
        return Value::Null;
    };
    let mut cumulative = 0.0;
    let for_90 = pca
        .explained_variance_ratio
        .iter()
        .position(|r| {
            cumulative += r;
            cumulative >= 0.9
        })
        .map(|i| i + 1);
    let stride = rows.div_ceil(2000).max(1);
    let sample: Vec<f64> =
        states.chunks_exact(dim).step_by(stride).flat_map(|r| r.iter().copied()).collect();
    let finite = |v: f64| v.is_finite().then_some(v);
    json!({
        "participation_ratio": participation_ratio(&pca.explained_variance),
        "components_for_90_percent_variance": for_90,
        "two_nn": finite(two_nn(&sample, dim, 0.1)),
        "levina_bickel": finite(levina_bickel(&sample, dim, 10)),
        "n_states": sample.len() / dim,
    })
}

/// Line-attractor diagnostics of a set of slow points: how many have a Jacobian eigenvalue
/// within `tol` of 1, and how much of their spread one principal axis explains.
pub fn line_attractor_metrics(f: &FixedPointResult, dim: usize, tol: f64) -> Value {
    let near_one = |p: &neurodyn_analysis::fixed_points::FixedPoint| {
        p.eigenvalues.iter().filter(|z| ((z.0 - 1.0).powi(2) + z.1 * z.1).sqrt() < tol).count()
    };
    let with_one = f.points.iter().filter(|p| near_one(p) == 1).count();
    let points: Vec<f64> = f.points.iter().flat_map(|p| p.state.iter().copied()).collect();
    let pc1 = Pca::fit(&points, dim, 1).map(|p| p.explained_variance_ratio[0]);
    json!({
        "n_slow_points": f.points.len(),
        "tolerance": tol,
        "with_exactly_one_eigenvalue_near_1": with_one,
        "fraction_with_exactly_one_eigenvalue_near_1": if f.points.is_empty() { 0.0 } else { with_one as f64 / f.points.len() as f64 },
        "pc1_variance_ratio": pc1,
    })
}

/// `metrics.json` of a run.
pub fn metrics(
    spec: &Spec,
    trainer: &Trainer,
    stop: StopReason,
    a: &Analysis,
    train_seconds: f64,
    analysis_seconds: f64,
) -> Value {
    let f = &a.fixed_points;
    let mut m = json!({
        "final_loss": trainer.history.loss.last().copied(),
        "steps": trainer.step,
        "stop_reason": format!("{stop:?}"),
        "heldout_nmse": a.evaluation.score.nmse,
        "heldout_mse": a.evaluation.score.mse,
        "fixed_points": {
            "stable": f.count(Stability::Stable),
            "saddle": f.count(Stability::Saddle),
            "unstable": f.count(Stability::Unstable),
            "total": f.points.len(),
            "n_initial": f.search_q.len(),
        },
        "pca_explained_variance_ratio": a.pca.as_ref().map(|p| p.explained_variance_ratio.clone()),
        "dimensionality": dimensionality_metrics(&a.evaluation.states, a.rnn.state_len()),
        "train_seconds": train_seconds,
        "analysis_seconds": analysis_seconds,
    });
    if !spec.fixed_points.polish {
        m["slow_points"] = line_attractor_metrics(f, a.rnn.state_len(), 0.05);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn dimensionality_of_a_plane_in_eight_dimensions_is_two() {
        let mut r = neurodyn_core::rng::stream(0, "plane", 0);
        let (a, b) =
            ([0.5, 0.5, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5, 0.5]);
        let states: Vec<f64> = (0..1500)
            .flat_map(|_| {
                let (u, v): (f64, f64) = (r.random_range(-1.0..1.0), r.random_range(-1.0..1.0));
                (0..8).map(move |j| u * a[j] + v * b[j])
            })
            .collect();
        let m = dimensionality_metrics(&states, 8);
        assert_eq!(m["components_for_90_percent_variance"], 2);
        let pr = m["participation_ratio"].as_f64().unwrap();
        assert!((pr - 2.0).abs() < 0.1, "{m}");
        for key in ["two_nn", "levina_bickel"] {
            let d = m[key].as_f64().unwrap();
            assert!((d - 2.0).abs() < 0.2, "{key}: {m}");
        }
    }
}
