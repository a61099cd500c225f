//! Populations: every member bit-identical to training it alone, for any thread count.

use neurodyn_models::rnn::{CellKind, RnnConfig};
use neurodyn_tasks::FlipFlop;
use neurodyn_train::population::{Member, step_all, train};
use neurodyn_train::{StopReason, TrainConfig, Trainer};
use std::ops::ControlFlow;

fn members(cell: CellKind) -> Vec<Member> {
    let base = match cell {
        CellKind::Gru => RnnConfig::gru(2, 12, 2),
        _ => RnnConfig::leaky_tanh(2, 12, 2, 0.3),
    };
    // Different seeds, learning rates, step budgets and, for one member, a target loss it
    // reaches early: members stop at different rounds.
    (0..5u64)
        .map(|k| {
            let config = TrainConfig {
                max_steps: 20 + 5 * k as usize,
                batch_size: 6,
                learning_rate: 0.005 * (k + 1) as f64,
                noise_std: 0.01,
                target_loss: if k == 3 { 0.5 } else { 0.0 },
                ..TrainConfig::default()
            };
            let rnn = base.build::<f32>(100 + k).unwrap();
            Member::new(Trainer::new(rnn, &config), config, 7 + k)
        })
        .collect()
}

fn alone(m: &Member) -> (Trainer, StopReason) {
    let task = FlipFlop { n_bits: 2, n_steps: 15, p_pulse: 0.1 };
    let mut t = m.trainer.clone();
    let stop = t.run(&task, &m.config, m.seed, &mut |_| ControlFlow::Continue(()));
    (t, stop)
}

#[test]
fn every_member_ends_as_if_trained_alone_on_one_or_two_threads() {
    let task = FlipFlop { n_bits: 2, n_steps: 15, p_pulse: 0.1 };
    for cell in [CellKind::Vanilla, CellKind::Gru] {
        let start = members(cell);
        let expected: Vec<(Trainer, StopReason)> = start.iter().map(alone).collect();
        assert_eq!(expected[3].1, StopReason::TargetLoss, "member 3 should stop early");
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
            let mut pop = start.clone();
            // One step per round on one thread, seven on two: the round size changes nothing.
            let steps = if threads == 1 { 1 } else { 7 };
            let mut rounds = 0;
            pool.install(|| {
                train(&mut pop, &task, steps, &mut |_| {
                    rounds += 1;
                    true
                })
            });
            assert!(rounds >= 40 / steps, "{rounds} rounds");
            for (k, (m, (t, stop))) in pop.iter().zip(&expected).enumerate() {
                assert_eq!(m.stop, Some(*stop), "{cell:?} member {k}, {threads} threads");
                assert_eq!(m.trainer.step, t.step, "{cell:?} member {k}");
                // Bitwise: parameters, optimiser moments and the loss history.
                assert_eq!(m.trainer.rnn.params(), t.rnn.params(), "{cell:?} member {k}");
                assert_eq!(m.trainer.optimizer, t.optimizer, "{cell:?} member {k}");
                assert_eq!(m.trainer.history, t.history, "{cell:?} member {k}");
            }
        }
    }
}

#[test]
fn a_population_resumed_from_its_members_state_ends_the_same() {
    let task = FlipFlop { n_bits: 2, n_steps: 15, p_pulse: 0.1 };
    let mut whole = members(CellKind::Vanilla);
    train(&mut whole, &task, 5, &mut |_| true);
    let mut part = members(CellKind::Vanilla);
    let mut rounds = 0;
    train(&mut part, &task, 1, &mut |_| {
        rounds += 1;
        rounds < 10
    });
    assert!(part.iter().all(|m| m.trainer.step == 10 && m.stop.is_none()));
    // Resume: new members from the interrupted trainers (as a checkpoint restores them).
    let mut resumed: Vec<Member> =
        part.into_iter().map(|m| Member::new(m.trainer, m.config, m.seed)).collect();
    while step_all(&mut resumed, &task, 4) > 0 {}
    for (a, b) in resumed.iter().zip(&whole) {
        assert_eq!(a.trainer.rnn.params(), b.trainer.rnn.params());
        assert_eq!(a.trainer.history, b.trainer.history);
        assert_eq!(a.stop, b.stop);
    }
}
