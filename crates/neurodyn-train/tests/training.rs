//! Training-loop properties: resume equals uninterrupted, determinism, learning happens.

use neurodyn_models::rnn::RnnConfig;
use neurodyn_tasks::FlipFlop;
use neurodyn_train::{Checkpoint, Event, Schedule, StopReason, TrainConfig, Trainer, evaluate};
use std::ops::ControlFlow;

fn setup() -> (FlipFlop, TrainConfig, Trainer) {
    let task = FlipFlop { n_bits: 2, n_steps: 30, p_pulse: 0.1 };
    let config = TrainConfig {
        max_steps: 40,
        batch_size: 8,
        checkpoint_every: 10,
        noise_std: 0.05,
        l2_rate: 1e-3,
        l2_weight: 1e-4,
        schedule: Schedule::Cosine { min_lr: 1e-3 },
        ..TrainConfig::default()
    };
    let rnn = RnnConfig::leaky_tanh(2, 16, 2, 0.3).build::<f32>(9).unwrap();
    let trainer = Trainer::new(rnn, &config);
    (task, config, trainer)
}

#[test]
fn resumed_run_ends_with_the_same_weights_as_an_uninterrupted_one() {
    let (task, config, mut full) = setup();
    assert_eq!(
        full.run(&task, &config, 3, &mut |_| ControlFlow::Continue(())),
        StopReason::MaxSteps
    );

    // Interrupt at step 25; the last checkpoint was taken at step 20.
    let (_, _, mut broken) = setup();
    let mut last: Option<Checkpoint> = None;
    let reason = broken.run(&task, &config, 3, &mut |e| match e {
        Event::Checkpoint(c) => {
            last = Some(c.clone());
            ControlFlow::Continue(())
        }
        Event::Step { step: 25, .. } => ControlFlow::Break(()),
        Event::Step { .. } => ControlFlow::Continue(()),
    });
    assert_eq!(reason, StopReason::Interrupted);
    let checkpoint = last.expect("a checkpoint before the interruption");
    assert_eq!(checkpoint.step, 20);

    let (_, _, mut resumed) = setup();
    resumed.restore(&checkpoint);
    resumed.run(&task, &config, 3, &mut |_| ControlFlow::Continue(()));
    assert_eq!(resumed.step, full.step);
    assert_eq!(resumed.rnn.params(), full.rnn.params(), "weights differ after resume");
    assert_eq!(resumed.history, full.history);
}

#[test]
fn different_seeds_give_different_runs_and_the_loss_falls() {
    let (task, config, mut a) = setup();
    let (_, _, mut b) = setup();
    let config = TrainConfig { max_steps: 150, ..config };
    a.run(&task, &config, 1, &mut |_| ControlFlow::Continue(()));
    b.run(&task, &config, 2, &mut |_| ControlFlow::Continue(()));
    assert_ne!(a.rnn.params(), b.rnn.params());
    let first: f64 = a.history.loss[..10].iter().sum::<f64>() / 10.0;
    let last: f64 = a.history.loss[140..].iter().sum::<f64>() / 10.0;
    assert!(last < 0.5 * first, "loss did not fall: {first} -> {last}");
    assert!(evaluate(&a.rnn, &task, 1, 16).score.nmse < 0.9);
}

#[test]
fn target_loss_stops_early() {
    let (task, config, mut t) = setup();
    let config = TrainConfig { target_loss: 10.0, ..config };
    assert_eq!(
        t.run(&task, &config, 1, &mut |_| ControlFlow::Continue(())),
        StopReason::TargetLoss
    );
    assert_eq!(t.step, 1);
}

#[test]
fn divergence_is_judged_on_the_tasks_loss_scale_not_a_tiny_first_loss() {
    // Training that resumes from a tiny recorded loss: its ordinary losses (~0.1–1, the scale
    // of zero outputs on the flip-flop) are not a divergence.
    let (task, config, mut t) = setup();
    t.history.loss.push(1e-9);
    let reason = t.run(&task, &config, 4, &mut |_| ControlFlow::Continue(()));
    assert_eq!(reason, StopReason::MaxSteps, "{:?}", t.divergence);
    // Adam with a learning rate of 1e3 is stopped at once, naming the step and a block.
    let (_, config, mut t) = setup();
    let config = TrainConfig { learning_rate: 1e3, schedule: Schedule::Constant, ..config };
    let reason = t.run(&task, &config, 4, &mut |_| ControlFlow::Continue(()));
    assert_eq!(reason, StopReason::Diverged);
    let d = t.divergence.expect("a divergence is recorded");
    assert!(d.step <= 2, "{d:?}");
    assert!(["w_h", "w_x", "b_x", "b_h", "w_out", "b_out"].contains(&d.block));
    assert!(d.to_string().contains("lower train.learning_rate (now 1000)"), "{d}");
}
