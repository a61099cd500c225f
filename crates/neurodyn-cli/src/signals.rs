//! Ctrl-C (SIGINT) and SIGTERM (what Slurm sends before it kills a job).
//!
//! A run that keeps checkpoints is asked to stop: it finishes its current step, writes a
//! checkpoint, and the command prints how to resume and exits 130 (SIGINT) or 143 (SIGTERM).
//! A run without checkpoints exits at once with the same code. A second signal always exits
//! at once. Either way the run directory keeps its `.partial` name: nothing that was
//! interrupted looks complete.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// The flags the handlers set, registered once per process.
struct Flags {
    /// A signal arrived: `(SIGINT, SIGTERM)`.
    seen: [Arc<AtomicBool>; 2],
    /// The next signal exits at once.
    armed: [Arc<AtomicBool>; 2],
}

const SIGNALS: [(i32, i32); 2] =
    [(signal_hook::consts::SIGINT, 130), (signal_hook::consts::SIGTERM, 143)];

fn flags() -> &'static Flags {
    static FLAGS: OnceLock<Flags> = OnceLock::new();
    FLAGS.get_or_init(|| {
        let flags = Flags {
            seen: [Arc::default(), Arc::default()],
            armed: [Arc::new(AtomicBool::new(true)), Arc::new(AtomicBool::new(true))],
        };
        for (k, (signal, code)) in SIGNALS.into_iter().enumerate() {
            // Handlers run in registration order: exit if armed, else arm and record. A failed
            // registration leaves the default action (the process ends, the run stays partial).
            let _ = signal_hook::flag::register_conditional_shutdown(
                signal,
                code,
                Arc::clone(&flags.armed[k]),
            );
            let _ = signal_hook::flag::register(signal, Arc::clone(&flags.armed[k]));
            let _ = signal_hook::flag::register(signal, Arc::clone(&flags.seen[k]));
        }
        flags
    })
}

/// Before a run: a resumable run is asked to stop on the first signal, any other exits.
pub fn arm(resumable: bool) {
    let f = flags();
    for k in 0..2 {
        f.seen[k].store(false, Ordering::SeqCst);
        f.armed[k].store(!resumable, Ordering::SeqCst);
    }
}

/// After a run: nothing more to save, so a signal exits at once.
pub fn disarm_to_exit() {
    flags().armed.iter().for_each(|a| a.store(true, Ordering::SeqCst));
}

/// The exit code of the signal that asked the run to stop, if one did.
pub fn received() -> Option<u8> {
    let f = flags();
    (0..2).find(|&k| f.seen[k].load(Ordering::SeqCst)).map(|k| SIGNALS[k].1 as u8)
}

/// Runs `body`; if a signal arrives meanwhile, calls `notice` once, at once, from a watcher
/// thread — a run that finishes a long step before it saves would otherwise look hung.
pub fn watch<T>(notice: impl Fn() + Sync, body: impl FnOnce() -> T) -> T {
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            loop {
                // The signal first: one that came just before the end is still told.
                if received().is_some() {
                    notice();
                    return;
                }
                if done.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::park_timeout(std::time::Duration::from_millis(50));
            }
        });
        // Stops the watcher however `body` ends: a panic must not leave the scope waiting.
        struct Stop<'a>(&'a AtomicBool, &'a std::thread::Thread);
        impl Drop for Stop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
                self.1.unpark();
            }
        }
        let _stop = Stop(&done, watcher.thread());
        body()
    })
}

/// Fault injection for the reliability tests: with `NEURODYN_FAULT="<n> KILL"` (or `TERM`)
/// the process sends itself SIGKILL (or SIGTERM) right after the run saves its n-th checkpoint
/// (`n = 0`: as the run starts), so "killed at this point" is tested without racing a timer.
/// Unset, nothing happens.
fn fault(saves: u64) {
    let Ok(text) = std::env::var("NEURODYN_FAULT") else { return };
    let mut words = text.split_whitespace();
    let at: Option<u64> = words.next().and_then(|w| w.parse().ok());
    let signal = match words.next() {
        Some("KILL") => signal_hook::consts::SIGKILL,
        Some("TERM") => signal_hook::consts::SIGTERM,
        _ => return,
    };
    if at == Some(saves) {
        let _ = signal_hook::low_level::raise(signal);
    }
}

static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
static STARTED: AtomicBool = AtomicBool::new(false);

/// A checkpoint was saved: [`fault`] may fire.
pub fn fault_after_save() {
    fault(SAVES.fetch_add(1, Ordering::SeqCst) + 1);
}

/// A phase starts: the first time, [`fault`] with `n = 0` may fire.
pub fn fault_at_start() {
    if !STARTED.swap(true, Ordering::SeqCst) {
        fault(0);
    }
}

#[cfg(test)]
mod tests {
    use super::watch;

    #[test]
    fn a_panic_in_the_watched_body_propagates_instead_of_hanging() {
        let r = std::panic::catch_unwind(|| watch(|| {}, || panic!("inside the run")));
        assert!(r.is_err());
        assert_eq!(watch(|| {}, || 7), 7);
    }
}
