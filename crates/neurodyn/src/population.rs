//! RNN specs with a `[population]` table: `size` networks of the spec's shape trained in one
//! call (members in parallel, `neurodyn_train::population`), then each evaluated on held-out
//! trials and, unless turned off, dissected into fixed points. Member `k` is the spec run
//! alone with seed `seed + k` (and its own learning rate): the same weights, bit for bit.
//!
//! Training is checkpointed as one file holding every member; the per-member analyses are
//! units of the run, so an interrupted run resumes where it stopped. A member that diverges
//! stops there and is reported, without stopping the others.

use crate::kinds::{Context, Outcome};
use crate::rnn::{analyse, evaluate_heldout, trainer};
use neurodyn_analysis::fixed_points::Stability;
use neurodyn_io::npz::Array;
use neurodyn_io::run_dir;
use neurodyn_io::spec::rnn::RnnSpec as Spec;
use neurodyn_train::StopReason;
use neurodyn_train::population::{Member, step_all};
use serde::{Deserialize, Serialize};

/// Why a member stopped, saved beside the training checkpoint so that a resumed run leaves it
/// stopped (the step count alone tells `max_steps`, not a target loss or a divergence).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Stopped {
    /// `TargetLoss`, `Diverged` or `MaxSteps`; none while training.
    reason: Option<String>,
    /// Where it diverged, in words.
    divergence: Option<String>,
}

/// Training steps per member per round: progress, interruption and checkpoints are seen
/// between rounds.
const ROUND: usize = 10;

/// The unit key of the members' stop reasons.
const STOPPED: &str = "population_stopped";

/// What the analysis found for one member.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberAnalysis {
    /// Normalised MSE on held-out trials [1].
    pub heldout_nmse: f64,
    /// Fixed points by stability: stable, saddle, unstable [1].
    pub counts: [usize; 3],
    /// The fixed points' states, concatenated (`state_len` each).
    pub points: Vec<f64>,
    /// Their stability codes (0 stable, 1 saddle, 2 unstable).
    pub stability: Vec<i32>,
    /// Their speeds `q`.
    pub q: Vec<f64>,
}

/// `metrics.json` of a population run: one entry per member in each list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PopulationMetrics {
    /// Members [1].
    pub size: usize,
    /// Training steps each member took [1].
    pub steps: Vec<usize>,
    /// Why each stopped (`MaxSteps`, `TargetLoss`, `Diverged`).
    pub stop_reasons: Vec<String>,
    /// Each member's last training loss.
    pub final_loss: Vec<f64>,
    /// Each member's held-out NMSE [1].
    pub heldout_nmse: Vec<f64>,
    /// Median held-out NMSE over the members that did not diverge [1].
    pub median_heldout_nmse: f64,
    /// Stable fixed points of each member (empty without a fixed-point search) [1].
    pub stable_fixed_points: Vec<usize>,
    /// Members that diverged, with where (`Divergence`'s message).
    pub diverged: Vec<String>,
    /// Training wall time [s].
    pub train_seconds: f64,
    /// Analysis wall time [s].
    pub analysis_seconds: f64,
}

/// Trains, evaluates and dissects the population of `spec`.
pub fn run(spec: &Spec, ctx: &mut Context<'_>) -> Result<Outcome, String> {
    let pop = spec.population.as_ref().expect("a population spec");
    let specs: Vec<Spec> = (0..pop.size).map(|k| spec.member(k)).collect();
    let mut members: Vec<Member> =
        specs.iter().map(|s| Member::new(trainer(s), s.train.clone(), s.seed)).collect();
    let n_params = members[0].trainer.rnn.params().len();
    // Where each member diverged, in words (kept across a resume).
    let mut notes: Vec<Option<String>> = vec![None; pop.size];
    if ctx.resumed {
        let saved = run_dir::load_population_checkpoint(
            ctx.dir.path(),
            spec.train.optimizer,
            n_params,
            pop.size,
        )
        .map_err(|e| e.to_string())?;
        for (m, c) in members.iter_mut().zip(&saved) {
            m.trainer.restore(c);
        }
        members = members.into_iter().map(|m| Member::new(m.trainer, m.config, m.seed)).collect();
        // Members that had stopped (target loss, divergence) stay stopped.
        for (k, st) in
            ctx.load::<Vec<Stopped>>(STOPPED)?.unwrap_or_default().into_iter().enumerate()
        {
            match st.reason.as_deref() {
                Some("TargetLoss") => members[k].stop = Some(StopReason::TargetLoss),
                Some("Diverged") => members[k].stop = Some(StopReason::Diverged),
                _ => {}
            }
            notes[k] = st.divergence;
        }
    }
    let progress = ctx.progress;
    let total: usize = specs.iter().map(|s| s.train.max_steps).sum();
    let done = |members: &[Member]| members.iter().map(|m| m.trainer.step).sum::<usize>() as u64;
    progress.phase("train", total as u64);
    progress.advance(done(&members), None);
    let t0 = progress.seconds();
    let task = spec.task.task();
    let every = spec.train.checkpoint_every;
    let save = |members: &[Member], notes: &[Option<String>]| -> Result<(), String> {
        let checkpoints: Vec<_> = members.iter().map(|m| m.trainer.checkpoint()).collect();
        run_dir::save_population_checkpoint(ctx.dir, &checkpoints)
            .map_err(|e| format!("saving the population's checkpoint: {e}"))?;
        let stopped: Vec<Stopped> = members
            .iter()
            .zip(notes)
            .map(|(m, note)| Stopped {
                reason: m.stop.map(|r| format!("{r:?}")),
                divergence: note.clone(),
            })
            .collect();
        ctx.save(STOPPED, &stopped)
    };
    while members.iter().any(|m| m.stop.is_none()) {
        // Rounds of up to ROUND steps (each member's work arrays stay in cache while it
        // trains), cut so that checkpoints fall on multiples of `checkpoint_every`.
        let at = members.iter().filter(|m| m.stop.is_none()).map(|m| m.trainer.step).max();
        let at = at.unwrap_or(0);
        let steps = if every > 0 { ROUND.min(every - at % every) } else { ROUND };
        let left = step_all(&mut members, task, steps);
        for (note, m) in notes.iter_mut().zip(&members) {
            if note.is_none() {
                *note = m.trainer.divergence.as_ref().map(ToString::to_string);
            }
        }
        let round = members.iter().map(|m| m.trainer.step).max().unwrap_or(0);
        progress.advance(done(&members), Some(format!("{left} of {} training", pop.size)));
        if progress.interrupted() {
            save(&members, &notes)?;
            return Err(format!("interrupted at training round {round}; checkpoint saved"));
        }
        if every > 0 && left > 0 && round.is_multiple_of(every) {
            save(&members, &notes)?;
        }
    }
    if every > 0 {
        // The trained population, so that a run stopped during the analyses does not train
        // again from the last periodic checkpoint when resumed.
        save(&members, &notes)?;
    }
    let t1 = progress.seconds();

    progress.phase("analyse members", pop.size as u64);
    let mut analyses = Vec::with_capacity(pop.size);
    for (k, (m, s)) in members.iter().zip(&specs).enumerate() {
        let a = ctx.unit(&format!("member_{k}"), || {
            if m.stop == Some(StopReason::Diverged) {
                return Ok(None);
            }
            analyse_member(s, m, pop.fixed_points).map(Some).map_err(|e| format!("member {k}: {e}"))
        })?;
        analyses.push(a);
        progress.advance(k as u64 + 1, None);
    }
    let t2 = progress.seconds();
    Ok(outcome(spec, &members, &notes, &analyses, t1 - t0, t2 - t1))
}

/// Held-out evaluation and, when asked, the fixed-point search of one trained member, exactly
/// as the member's spec run alone would do them.
fn analyse_member(s: &Spec, m: &Member, fixed_points: bool) -> Result<MemberAnalysis, String> {
    if !fixed_points {
        let e = evaluate_heldout(s, &m.trainer.rnn.cast::<f64>());
        return Ok(MemberAnalysis {
            heldout_nmse: e.score.nmse,
            counts: [0; 3],
            points: Vec::new(),
            stability: Vec::new(),
            q: Vec::new(),
        });
    }
    let a = analyse(s, &m.trainer.rnn, &|_| {}).map_err(|e| e.to_string())?;
    let f = &a.fixed_points;
    Ok(MemberAnalysis {
        heldout_nmse: a.evaluation.score.nmse,
        counts: [
            f.count(Stability::Stable),
            f.count(Stability::Saddle),
            f.count(Stability::Unstable),
        ],
        points: f.points.iter().flat_map(|p| p.state.iter().copied()).collect(),
        stability: f.points.iter().map(|p| p.stability.code()).collect(),
        q: f.points.iter().map(|p| p.q).collect(),
    })
}

/// `population.npz`, the metrics and the summary line.
fn outcome(
    spec: &Spec,
    members: &[Member],
    notes: &[Option<String>],
    analyses: &[Option<MemberAnalysis>],
    train_seconds: f64,
    analysis_seconds: f64,
) -> Outcome {
    let pop = spec.population.as_ref().expect("a population spec");
    let k = members.len();
    let p = members[0].trainer.rnn.params().len();
    let s = members[0].trainer.rnn.state_len();
    let longest = members.iter().map(|m| m.trainer.history.loss.len()).max().unwrap_or(0);
    let nan = f64::NAN;
    let loss: Vec<f64> = members
        .iter()
        .flat_map(|m| {
            let l = &m.trainer.history.loss;
            l.iter().copied().chain(std::iter::repeat_n(nan, longest - l.len()))
        })
        .collect();
    let nmse: Vec<f64> =
        analyses.iter().map(|a| a.as_ref().map_or(nan, |a| a.heldout_nmse)).collect();
    let counts: Vec<f64> = analyses
        .iter()
        .flat_map(|a| a.as_ref().map_or([nan; 3], |a| a.counts.map(|c| c as f64)))
        .collect();
    let (mut owner, mut points, mut stability, mut q) = (vec![], vec![], vec![], vec![]);
    for (i, a) in analyses.iter().enumerate() {
        if let Some(a) = a {
            owner.extend(std::iter::repeat_n(i as i32, a.stability.len()));
            points.extend_from_slice(&a.points);
            stability.extend_from_slice(&a.stability);
            q.extend_from_slice(&a.q);
        }
    }
    let n_points = stability.len();
    let seeds: Vec<f64> = (0..k).map(|i| spec.member(i).seed as f64).collect();
    let rates: Vec<f64> = members.iter().map(|m| m.config.learning_rate).collect();
    let files = vec![(
        "population.npz".to_string(),
        vec![
            ("seed".to_string(), Array::f64(&[k], seeds)),
            ("learning_rate".into(), Array::f64(&[k], rates)),
            (
                "steps".into(),
                Array::f64(&[k], members.iter().map(|m| m.trainer.step as f64).collect()),
            ),
            (
                "params".into(),
                Array::f64(
                    &[k, p],
                    members
                        .iter()
                        .flat_map(|m| m.trainer.rnn.params().iter().map(|&x| f64::from(x)))
                        .collect(),
                ),
            ),
            ("loss".into(), Array::f64(&[k, longest], loss)),
            ("heldout_nmse".into(), Array::f64(&[k], nmse.clone())),
            ("fixed_point_counts".into(), Array::f64(&[k, 3], counts)),
            ("points_member".into(), Array::i32(&[n_points], owner)),
            ("points".into(), Array::f64(&[n_points, s], points)),
            ("points_stability".into(), Array::i32(&[n_points], stability)),
            ("points_q".into(), Array::f64(&[n_points], q)),
        ],
    )];
    let mut finite: Vec<f64> = nmse.iter().copied().filter(|v| v.is_finite()).collect();
    finite.sort_by(f64::total_cmp);
    let median = if finite.is_empty() { nan } else { finite[finite.len() / 2] };
    let diverged: Vec<String> = notes
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.as_ref().map(|d| format!("member {i}: {d}")))
        .collect();
    let metrics = PopulationMetrics {
        size: k,
        steps: members.iter().map(|m| m.trainer.step).collect(),
        stop_reasons: members
            .iter()
            .map(|m| format!("{:?}", m.stop.unwrap_or(StopReason::MaxSteps)))
            .collect(),
        final_loss: members
            .iter()
            .map(|m| m.trainer.history.loss.last().copied().unwrap_or(nan))
            .collect(),
        heldout_nmse: nmse,
        median_heldout_nmse: median,
        stable_fixed_points: if pop.fixed_points {
            analyses.iter().map(|a| a.as_ref().map_or(0, |a| a.counts[0])).collect()
        } else {
            Vec::new()
        },
        diverged: diverged.clone(),
        train_seconds,
        analysis_seconds,
    };
    let summary = format!(
        "{}: {k} networks, median held-out NMSE {median:.4}{}",
        spec.name,
        if diverged.is_empty() { String::new() } else { format!(", {} diverged", diverged.len()) }
    );
    Outcome { files, metrics: serde_json::to_value(&metrics).expect("metrics serialise"), summary }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kinds::{Kind, Limits, Prepared};
    use crate::rnn::RnnKind;
    use std::path::Path;

    const SPEC: &str = r#"
name = "pop"
seed = 5

[task.flip_flop]
n_bits = 2
n_steps = 30
p_pulse = 0.1

[model]
cell = "vanilla"
n_hidden = 12
dt = 10.0
tau = 30.0

[train]
learning_rate = 0.01
batch_size = 8
max_steps = 40
target_loss = 0.0

[fixed_points]
n_initial = 8
init_noise_std = 0.1
learning_rate = 0.01
max_iters = 200
q_stop = 1e-10
q_candidate = 1e-4
q_threshold = 1e-12
dedup_tol = 0.05
polish = true

[evaluation]
n_trials = 16
n_plot_trials = 2

[population]
size = 3
learning_rates = [0.01, 0.02, 0.005]
"#;

    fn prepare(text: &str) -> Result<Box<dyn Prepared>, neurodyn_io::spec::SpecError> {
        RnnKind.prepare(text, "p.toml", Path::new("."), &Limits::none())
    }

    fn array(out: &Outcome, file: &str, name: &str) -> Vec<f64> {
        let (_, arrays) = out.files.iter().find(|(f, _)| f == file).expect(file);
        arrays.iter().find(|(n, _)| n == name).expect(name).1.to_f64()
    }

    #[test]
    fn each_member_is_the_spec_run_alone_with_its_seed_and_learning_rate() {
        let out = crate::kinds::scratch(|ctx| prepare(SPEC).unwrap().run(ctx)).unwrap();
        let params = array(&out, "population.npz", "params");
        let nmse = array(&out, "population.npz", "heldout_nmse");
        let p = params.len() / 3;
        for (k, lr) in [(0, "0.01"), (1, "0.02"), (2, "0.005")] {
            let alone = SPEC
                .split("[population]")
                .next()
                .unwrap()
                .replace("seed = 5", &format!("seed = {}", 5 + k))
                .replace(
                    "learning_rate = 0.01\nbatch_size",
                    &format!("learning_rate = {lr}\nbatch_size"),
                );
            let single = crate::kinds::scratch(|ctx| prepare(&alone).unwrap().run(ctx)).unwrap();
            let weights = array(&single, "model.npz", "params");
            assert_eq!(&params[k * p..(k + 1) * p], &weights[..], "member {k}: weights");
            let m = &single.metrics;
            assert_eq!(nmse[k], m["heldout_nmse"].as_f64().unwrap(), "member {k}: NMSE");
            let stable = out.metrics["stable_fixed_points"][k].as_u64().unwrap();
            assert_eq!(stable, m["fixed_points"]["stable"].as_u64().unwrap(), "member {k}");
        }
    }

    #[test]
    fn bad_population_settings_are_located_errors() {
        let e = prepare(&SPEC.replace("size = 3", "size = 0")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("population.size"), "{e}");
        let e = prepare(&SPEC.replace("[0.01, 0.02, 0.005]", "[0.01, 0.02]")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("population.learning_rates"), "{e}");
        let e = prepare(&SPEC.replace("[0.01, 0.02, 0.005]", "[0.01, -1.0, 0.005]")).err().unwrap();
        assert_eq!(e.field.as_deref(), Some("population.learning_rates"), "{e}");
        assert!(e.to_string().contains("-1"), "{e}");
    }
}
