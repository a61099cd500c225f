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

#[test]
fn chunked_batches_give_the_same_bits_on_any_thread_count_and_the_whole_batchs_gradient() {
    use neurodyn_train::StopReason;
    let task = FlipFlop { n_bits: 2, n_steps: 25, p_pulse: 0.1 };
    let config = |chunks: usize| TrainConfig {
        max_steps: 15,
        batch_size: 10,
        learning_rate: 0.01,
        noise_std: 0.05,
        l2_rate: 0.01,
        l2_weight: 0.001,
        batch_chunks: chunks,
        ..TrainConfig::default()
    };
    let train = |chunks: usize, threads: usize| {
        let rnn = RnnConfig::leaky_tanh(2, 16, 2, 0.3).build::<f32>(4).unwrap();
        let c = config(chunks);
        let mut t = Trainer::new(rnn, &c);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let stop = pool.install(|| t.run(&task, &c, 9, &mut |_| ControlFlow::Continue(())));
        assert_eq!(stop, StopReason::MaxSteps);
        t
    };
    // Three uneven chunks (4, 3, 3 trials): the same bits on one and two threads.
    let (one, two) = (train(3, 1), train(3, 2));
    assert_eq!(one.rnn.params(), two.rnn.params());
    assert_eq!(one.history, two.history);
    // And the whole batch's loss and gradient up to rounding: the first step's loss (same
    // weights, same batch) and the weights after 15 steps agree closely with one chunk.
    let whole = train(1, 1);
    let first = |t: &Trainer| t.history.loss[0];
    assert!(
        (first(&one) / first(&whole) - 1.0).abs() < 1e-6,
        "{} vs {}",
        first(&one),
        first(&whole)
    );
    let g = |t: &Trainer| t.history.grad_norm[0];
    assert!((g(&one) / g(&whole) - 1.0).abs() < 1e-5, "{} vs {}", g(&one), g(&whole));
    let worst = one
        .rnn
        .params()
        .iter()
        .zip(whole.rnn.params())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-4, "weights differ by {worst}");
    assert!(TrainConfig { batch_chunks: 11, ..config(1) }.validate().is_err());
    assert!(TrainConfig { batch_chunks: 0, ..config(1) }.validate().is_err());
}

#[test]
fn per_trial_noise_is_drawn_in_parallel_with_the_same_bits_on_any_thread_count() {
    use neurodyn_train::NoiseStreams;
    let task = FlipFlop { n_bits: 2, n_steps: 20, p_pulse: 0.1 };
    let config = |streams| TrainConfig {
        max_steps: 8,
        batch_size: 6,
        noise_std: 0.1,
        noise_streams: streams,
        batch_chunks: 2,
        ..TrainConfig::default()
    };
    let train = |streams, threads: usize| {
        let rnn = RnnConfig::leaky_tanh(2, 12, 2, 0.3).build::<f32>(2).unwrap();
        let c = config(streams);
        let mut t = Trainer::new(rnn, &c);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        pool.install(|| t.run(&task, &c, 5, &mut |_| ControlFlow::Continue(())));
        t
    };
    let (one, two) = (train(NoiseStreams::PerTrial, 1), train(NoiseStreams::PerTrial, 2));
    assert_eq!(one.rnn.params(), two.rnn.params());
    assert_eq!(one.history, two.history);
    // Another realisation than the per-step stream (the noise matters at this size).
    let per_step = train(NoiseStreams::PerStep, 2);
    assert_ne!(one.history.loss, per_step.history.loss);
    let toml =
        "learning_rate = 0.01\nbatch_size = 4\nmax_steps = 2\nnoise_streams = \"per_trial\"\n";
    let parsed: TrainConfig = toml::from_str(toml).unwrap();
    assert_eq!(parsed.noise_streams, NoiseStreams::PerTrial);
    assert!(toml::from_str::<TrainConfig>(&toml.replace("per_trial", "per_batch")).is_err());
}
