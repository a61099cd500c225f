//! Running a network: the step loop with recorders, guards and progress.

use crate::Network;
use crate::config::GuardConfig;
use crate::record::Recorder;
use thiserror::Error;

/// Why a run stopped early.
#[derive(Clone, Debug, Error, PartialEq)]
pub enum SimError {
    /// A population fired faster than the guard allows.
    #[error(
        "population `{population}` fired at {rate:.1} Hz over the {window} ms before t = {time} ms, above guards.max_rate = {limit} Hz"
    )]
    RateExceeded {
        /// Population name.
        population: String,
        /// Mean rate over the window [Hz].
        rate: f64,
        /// The limit [Hz].
        limit: f64,
        /// Window length [ms].
        window: f64,
        /// Time at the end of the window [ms].
        time: f64,
    },
    /// A state variable became NaN or infinite.
    #[error(
        "population `{population}`: {variable} of neuron {neuron} is not finite at t = {time} ms"
    )]
    NonFinite {
        /// Population name.
        population: String,
        /// Variable name.
        variable: String,
        /// Neuron index.
        neuron: u32,
        /// Time [ms].
        time: f64,
    },
    /// The caller's progress callback asked to stop.
    #[error("stopped by the caller at t = {time} ms")]
    Interrupted {
        /// Time [ms].
        time: f64,
    },
}

/// What a finished (or stopped) run did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunStats {
    /// Steps taken.
    pub steps: u64,
    /// Spikes per population.
    pub spikes: Vec<u64>,
    /// Synaptic events (spike deliveries to synapses).
    pub synaptic_events: u64,
}

impl Network {
    /// Runs `n_steps` steps, calling `recorder` after each and checking `guards` at the end of
    /// every guard window and at the end of the run; `progress(step)` is called every 1000
    /// steps and may return `false` to stop.
    ///
    /// With more than one shard the loop itself runs on a rayon worker, so each step's
    /// parallel section starts without waking the pool from the calling thread.
    pub fn run(
        &mut self,
        n_steps: u64,
        recorder: &mut (dyn Recorder + Send),
        guards: &GuardConfig,
        progress: &mut (dyn FnMut(u64) -> bool + Send),
    ) -> Result<RunStats, SimError> {
        self.run_piece(n_steps, true, recorder, guards, progress)
    }

    /// [`Network::run`] for one piece of a longer run: guard windows are aligned to multiples
    /// of the window from step 0 and their counts kept in the network, and the partial window
    /// at the end is checked only when `last`, so a run made of pieces (or resumed from a
    /// [`crate::NetworkState`]) is guarded exactly as the same run in one call.
    pub fn run_piece(
        &mut self,
        n_steps: u64,
        last: bool,
        recorder: &mut (dyn Recorder + Send),
        guards: &GuardConfig,
        progress: &mut (dyn FnMut(u64) -> bool + Send),
    ) -> Result<RunStats, SimError> {
        if self.shards.len() > 1 {
            rayon::scope(|_| self.run_loop(n_steps, last, recorder, guards, progress))
        } else {
            self.run_loop(n_steps, last, recorder, guards, progress)
        }
    }

    fn run_loop(
        &mut self,
        n_steps: u64,
        last: bool,
        recorder: &mut (dyn Recorder + Send),
        guards: &GuardConfig,
        progress: &mut (dyn FnMut(u64) -> bool + Send),
    ) -> Result<RunStats, SimError> {
        let window = ((guards.window / self.dt).round() as u64).max(1);
        let n_pops = self.populations.len();
        let mut stats = RunStats { spikes: vec![0; n_pops], ..Default::default() };
        let events_before = self.synaptic_events();
        for done in 1..=n_steps {
            self.advance();
            recorder.record(self);
            for pop in 0..n_pops {
                let n = self.spikes[pop].len() as u64;
                self.window_counts[pop] += n;
                stats.spikes[pop] += n;
            }
            stats.steps = done;
            let into_window = self.step % window;
            if into_window == 0 || (last && done == n_steps) {
                let span = if into_window == 0 { window } else { into_window };
                let span_s = span as f64 * self.dt * 1e-3;
                for pop in 0..n_pops {
                    let rate =
                        self.window_counts[pop] as f64 / (self.populations[pop].n as f64 * span_s);
                    if rate > guards.max_rate {
                        return Err(SimError::RateExceeded {
                            population: self.populations[pop].name.clone(),
                            rate,
                            limit: guards.max_rate,
                            window: guards.window,
                            time: self.time(),
                        });
                    }
                    if into_window == 0 {
                        self.window_counts[pop] = 0;
                    }
                }
                if let Some((pop, variable, neuron)) = self.non_finite() {
                    return Err(SimError::NonFinite {
                        population: self.populations[pop].name.clone(),
                        variable: variable.to_string(),
                        neuron,
                        time: self.time(),
                    });
                }
            }
            if done % 1000 == 0 && !progress(done) {
                return Err(SimError::Interrupted { time: self.time() });
            }
        }
        stats.synaptic_events = self.synaptic_events() - events_before;
        Ok(stats)
    }
}
