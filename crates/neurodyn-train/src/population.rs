//! Populations: many networks of one shape trained in one call — different seeds, or
//! different hyper-parameters — the way population studies train hundreds of networks.
//!
//! Members advance in rounds of a few steps each, spread over the current rayon pool (one
//! member per task, work stealing balances them). A member's step reads only its own network, optimiser and keyed
//! streams, so each member ends bit-identical to the same network trained alone by
//! [`Trainer::run`], whatever the thread count and whoever else is in the population.

use crate::{StopReason, TrainConfig, Trainer};
use neurodyn_tasks::Task;
use rayon::prelude::*;

/// One member of a population.
#[derive(Clone, Debug)]
pub struct Member {
    /// Its network, optimiser and history.
    pub trainer: Trainer,
    /// Its training settings (any, for a network of the population's shape).
    pub config: TrainConfig,
    /// The seed of its batch and noise streams.
    pub seed: u64,
    /// Why it stopped training; `None` while it trains.
    pub stop: Option<StopReason>,
}

impl Member {
    /// A member that has not trained yet (or resumes from `trainer`'s state).
    pub fn new(trainer: Trainer, config: TrainConfig, seed: u64) -> Self {
        let stop = (trainer.step >= config.max_steps).then_some(StopReason::MaxSteps);
        Member { trainer, config, seed, stop }
    }
}

/// Up to `steps` training steps of every member still training, members in parallel; returns
/// how many still train. A member stops at its `max_steps`, its target loss, or divergence
/// ([`Trainer::divergence`] says where), exactly as [`Trainer::run`] would stop it. Several
/// steps per call keep each member's work arrays in cache while it trains (one step per call
/// cycles through every member's tape).
pub fn step_all(members: &mut [Member], task: &(dyn Task + Sync), steps: usize) -> usize {
    members.par_iter_mut().filter(|m| m.stop.is_none()).for_each(|m| {
        for _ in 0..steps {
            let a = m.trainer.advance(task, &m.config, m.seed);
            m.stop = a
                .stop
                .or_else(|| (m.trainer.step >= m.config.max_steps).then_some(StopReason::MaxSteps));
            if m.stop.is_some() {
                break;
            }
        }
    });
    members.iter().filter(|m| m.stop.is_none()).count()
}

/// Trains every member to its end in rounds of up to `steps` steps each, calling
/// `round(left)` after each round with the number of members still training; `round`
/// returning false stops early (the members keep the steps taken, with `stop` unset).
pub fn train(
    members: &mut [Member],
    task: &(dyn Task + Sync),
    steps: usize,
    round: &mut dyn FnMut(usize) -> bool,
) {
    while members.iter().any(|m| m.stop.is_none()) {
        let left = step_all(members, task, steps);
        if !round(left) {
            return;
        }
    }
}
