//! Exact, event-based Lyapunov spectra of pulse-coupled theta-neuron networks (Monteforte &
//! Wolf 2010, PRL 105:268104, arXiv:1003.4410; used by the driven-network seeds of Lajoie,
//! Thivierge & Shea-Brown 2014, arXiv:1311.7128).
//!
//! ## Model
//! `N` theta neurons with `τ dθ_i/dt = (1 − cos θ_i) + (1 + cos θ_i) η_i`, `η_i > 0`
//! (oscillatory). In the phase `ψ_i = atan(tan(θ_i/2)/√η_i) ∈ [−π/2, π/2)` the free motion is
//! uniform, `dψ_i/dt = ω_i = √η_i / τ`, and neuron `i` spikes when `ψ_i` reaches `π/2`
//! (then continues from `−π/2`). A spike of `j` moves each postsynaptic `V_i = tan(θ_i/2)` by
//! `J_ij` (δ-pulse coupling, as the engine's `theta` model), i.e.
//! `ψ_i ← g(ψ_i) = atan(tan ψ_i + c_ij)`, `c_ij = J_ij/√η_i`.
//!
//! ## Exact simulation and Jacobians
//! Between spikes everything is linear, so the next spike time is `min_i (π/2 − ψ_i)/ω_i`:
//! the simulation is exact up to rounding. Across a spike of `j` the linearised flow (the
//! "single-spike Jacobian") is the identity except on the rows of the postsynaptic neurons:
//! `D_ii = g'(ψ_i)`, `D_ij = (ω_i/ω_j)(1 − g'(ψ_i))` — the second term from the dependence of
//! the spike time on `ψ_j`. Tangent vectors are pushed through these sparse updates and
//! re-orthonormalised by QR every `qr_every` spikes; exponents are `Σ log R_ii / T` [1/s].
//! `det D = Π_posts g'`, so `Σλ = Σ_events Σ_posts log g' / T` exactly (tested), and the
//! time-shift direction gives one exponent 0.
//!
//! ## Frozen drive
//! [`theta_event_spectrum_driven`] adds external δ-pulses of strength `J_ext` (a jump of
//! `tan(θ_i/2)`) at the times of one frozen Poisson process per neuron, drawn from its own
//! keyed stream: the same realisation for every initial state, the "frozen noise" of
//! reliability experiments. A kick's time does not depend on the state, so its Jacobian is
//! diagonal (`g'(ψ_i)` on the kicked neuron's row) and the run stays exact; with the drive the
//! system is no longer autonomous and the zero exponent disappears.

use faer::Mat;
use neurodyn_core::{RangeError, check};
use std::f64::consts::FRAC_PI_2;

/// A pulse-coupled theta network: drives and a sparse coupling matrix.
#[derive(Clone, Debug, PartialEq)]
pub struct ThetaNetwork {
    /// Membrane time constant `τ` [ms].
    pub tau: f64,
    /// Drive `η_i > 0` of each neuron [1].
    pub eta: Vec<f64>,
    /// `post[post_ptr[j]..post_ptr[j + 1]]`: targets of neuron `j`.
    pub post_ptr: Vec<usize>,
    /// Target indices.
    pub post: Vec<u32>,
    /// Coupling `J_ij` of each synapse (a jump of `tan(θ_i/2)`) [1].
    pub weight: Vec<f64>,
}

/// Settings of an event-based spectrum.
#[derive(Clone, Debug, PartialEq)]
pub struct EventSpectrumConfig {
    /// Number of leading exponents [1].
    pub n_exponents: usize,
    /// Spikes discarded before averaging [1].
    pub n_transient: usize,
    /// Spikes averaged over [1].
    pub n_spikes: usize,
    /// Spikes between re-orthonormalisations [1].
    pub qr_every: usize,
}

/// An event-based spectrum.
#[derive(Clone, Debug, PartialEq)]
pub struct EventSpectrum {
    /// Exponents, descending [1/s].
    pub exponents: Vec<f64>,
    /// Simulated time averaged over [ms].
    pub duration: f64,
    /// Mean firing rate over the averaged spikes [Hz].
    pub mean_rate: f64,
    /// `Σ_events Σ_posts log g' / T`, which the sum of all exponents must equal [1/s].
    pub log_det_rate: f64,
    /// Sum of the positive exponents: the entropy-rate bound (Pesin) [nats/s].
    pub entropy_rate: f64,
    /// Final phases.
    pub final_phase: Vec<f64>,
}

impl ThetaNetwork {
    /// A sparse inhibitory network in the balanced state of Monteforte & Wolf (2010): every
    /// neuron receives exactly `k` inputs (distinct, no autapses) of strength `−j0/√k`, and
    /// drives are drawn uniformly in `η · [0.9, 1.1]`; random streams keyed by `seed`.
    pub fn balanced(
        n: usize,
        k: usize,
        j0: f64,
        eta: f64,
        tau: f64,
        seed: u64,
    ) -> Result<Self, RangeError> {
        use rand::RngExt;
        check(n >= 2, "n", n, "at least 2")?;
        check(k >= 1 && k < n, "k", k, "between 1 and n − 1")?;
        let mut r = neurodyn_core::rng::stream(seed, "theta_network", 0);
        let mut by_pre: Vec<Vec<u32>> = vec![Vec::new(); n];
        for i in 0..n {
            let mut chosen: Vec<usize> = Vec::with_capacity(k);
            while chosen.len() < k {
                let j = r.random_range(0..n);
                if j != i && !chosen.contains(&j) {
                    chosen.push(j);
                    by_pre[j].push(i as u32);
                }
            }
        }
        let mut post_ptr = vec![0];
        let mut post = Vec::new();
        for targets in &by_pre {
            post.extend_from_slice(targets);
            post_ptr.push(post.len());
        }
        let weight = vec![-j0 / (k as f64).sqrt(); post.len()];
        let eta = (0..n).map(|_| eta * r.random_range(0.9..1.1)).collect();
        let net = ThetaNetwork { tau, eta, post_ptr, post, weight };
        net.validate()?;
        Ok(net)
    }

    /// Phases drawn uniformly in `[−1.5, 1.5]` from the stream `(seed, "theta_start")`.
    pub fn random_phases(&self, seed: u64) -> Vec<f64> {
        use rand::RngExt;
        let mut r = neurodyn_core::rng::stream(seed, "theta_start", 0);
        (0..self.len()).map(|_| r.random_range(-1.5..1.5)).collect()
    }

    /// Number of neurons.
    pub fn len(&self) -> usize {
        self.eta.len()
    }

    /// Whether the network is empty.
    pub fn is_empty(&self) -> bool {
        self.eta.is_empty()
    }

    fn validate(&self) -> Result<(), RangeError> {
        let n = self.len();
        check(n >= 1, "eta", n, "at least one neuron")?;
        check(self.tau > 0.0 && self.tau.is_finite(), "tau", self.tau, "a finite value > 0 [ms]")?;
        let bad = self.eta.iter().find(|e| !(**e > 0.0 && e.is_finite()));
        check(
            bad.is_none(),
            "eta",
            bad.copied().unwrap_or(0.0),
            "finite drives > 0 (oscillatory neurons)",
        )?;
        check(
            self.post_ptr.len() == n + 1 && self.post_ptr[n] == self.post.len(),
            "post_ptr",
            self.post_ptr.len(),
            "n + 1 offsets ending at the synapse count",
        )?;
        check(
            self.weight.len() == self.post.len(),
            "weight",
            self.weight.len(),
            "one weight per synapse",
        )?;
        let oob = self.post.iter().find(|&&i| i as usize >= n);
        check(oob.is_none(), "post", oob.copied().unwrap_or(0), "indices below the network size")
    }
}

/// A frozen external drive: per neuron a Poisson train of δ-pulses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FrozenKicks {
    /// Rate of each neuron's train [Hz].
    pub rate_hz: f64,
    /// Jump of `tan(θ/2)` per pulse [1].
    pub weight: f64,
    /// Seed of the realisation (stream `(seed, "frozen_kicks", i)` for neuron `i`).
    pub seed: u64,
}

/// Runs the exact event-driven dynamics from phases `psi0` (each in `[−π/2, π/2)`) and
/// returns the leading `n_exponents` Lyapunov exponents.
pub fn theta_event_spectrum(
    net: &ThetaNetwork,
    psi0: &[f64],
    c: &EventSpectrumConfig,
) -> Result<EventSpectrum, RangeError> {
    theta_event_spectrum_driven(net, psi0, c, None)
}

/// [`theta_event_spectrum`] under an optional frozen drive; `n_transient` and `n_spikes` count
/// the network's spikes (kicks are events too, but not counted).
pub fn theta_event_spectrum_driven(
    net: &ThetaNetwork,
    psi0: &[f64],
    c: &EventSpectrumConfig,
    drive: Option<FrozenKicks>,
) -> Result<EventSpectrum, RangeError> {
    use rand::RngExt;
    net.validate()?;
    let n = net.len();
    check(psi0.len() == n, "psi0", psi0.len(), "one phase per neuron")?;
    check(
        c.n_exponents >= 1 && c.n_exponents <= n,
        "n_exponents",
        c.n_exponents,
        "between 1 and the network size",
    )?;
    check(c.qr_every >= 1, "qr_every", c.qr_every, "at least 1")?;
    check(c.n_spikes >= c.qr_every, "n_spikes", c.n_spikes, "at least qr_every")?;
    let k = c.n_exponents;
    let omega: Vec<f64> = net.eta.iter().map(|e| e.sqrt() / net.tau).collect();
    let sqrt_eta: Vec<f64> = net.eta.iter().map(|e| e.sqrt()).collect();
    let mut psi = psi0.to_vec();
    // Tangent vectors, row-major N × k, starting orthonormal.
    let mut q = vec![0.0; n * k];
    for s in 0..k {
        q[s * k + s] = 1.0;
    }
    if let Some(d) = drive {
        check(d.rate_hz > 0.0 && d.rate_hz.is_finite(), "drive.rate_hz", d.rate_hz, "> 0")?;
        check(d.weight.is_finite(), "drive.weight", d.weight, "a finite number")?;
    }
    // Each neuron's next kick [ms from now] and its stream.
    let mut kick_streams: Vec<_> = match drive {
        Some(d) => (0..n)
            .map(|i| Some(neurodyn_core::rng::stream(d.seed, "frozen_kicks", i as u64)))
            .collect(),
        None => vec![None; n],
    };
    let mut next_interval = |i: usize| -> f64 {
        match (&mut kick_streams[i], drive) {
            (Some(r), Some(d)) => -(1.0 - r.random::<f64>()).ln() / d.rate_hz * 1e3,
            _ => f64::INFINITY,
        }
    };
    let mut next_kick: Vec<f64> = (0..n).map(&mut next_interval).collect();
    let (mut log_sum, mut log_det, mut t_avg) = (vec![0.0; k], 0.0, 0.0);
    let mut since_qr = 0;
    let mut event = 0;
    while event < c.n_transient + c.n_spikes {
        let averaging = event >= c.n_transient;
        // Next spike: the neuron closest (in time) to π/2.
        let (j, dt_spike) = (0..n)
            .map(|i| (i, (FRAC_PI_2 - psi[i]) / omega[i]))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("n >= 1");
        let (kicked, dt_kick) = next_kick
            .iter()
            .copied()
            .enumerate()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("n >= 1");
        let dt = dt_spike.min(dt_kick).max(0.0);
        for (p, w) in psi.iter_mut().zip(&omega) {
            *p += w * dt;
        }
        next_kick.iter_mut().for_each(|t| *t -= dt);
        if averaging {
            t_avg += dt;
        }
        if dt_kick < dt_spike {
            // An external pulse: a diagonal Jacobian on the kicked neuron's row.
            let i = kicked;
            let weight = drive.map_or(0.0, |d| d.weight);
            let tan = psi[i].tan();
            let jumped = tan + weight / sqrt_eta[i];
            let gp = (1.0 + tan * tan) / (1.0 + jumped * jumped);
            psi[i] = jumped.atan();
            if averaging {
                log_det += gp.ln();
            }
            q[i * k..(i + 1) * k].iter_mut().for_each(|v| *v *= gp);
            next_kick[i] = next_interval(i);
            continue;
        }
        event += 1;
        psi[j] = -FRAC_PI_2;
        for s in net.post_ptr[j]..net.post_ptr[j + 1] {
            let i = net.post[s] as usize;
            let cij = net.weight[s] / sqrt_eta[i];
            let tan = psi[i].tan();
            let jumped = tan + cij;
            // g'(ψ) = sec²ψ / (1 + (tan ψ + c)²) = (1 + tan²ψ) / (1 + (tan ψ + c)²).
            let gp = (1.0 + tan * tan) / (1.0 + jumped * jumped);
            psi[i] = jumped.atan();
            if averaging {
                log_det += gp.ln();
            }
            let ratio = omega[i] / omega[j];
            for u in 0..k {
                q[i * k + u] = gp * q[i * k + u] + ratio * (1.0 - gp) * q[j * k + u];
            }
        }
        since_qr += 1;
        if since_qr == c.qr_every || event == c.n_transient + c.n_spikes {
            since_qr = 0;
            let m = Mat::from_fn(n, k, |r, s| q[r * k + s]);
            let qr = m.qr();
            let r = qr.thin_R();
            if averaging {
                for s in 0..k {
                    log_sum[s] += r[(s, s)].abs().ln();
                }
            }
            let qq = qr.compute_thin_Q();
            for row in 0..n {
                for s in 0..k {
                    q[row * k + s] = qq[(row, s)];
                }
            }
            if !log_sum.iter().all(|v| v.is_finite()) {
                return Err(RangeError {
                    field: "n_spikes".into(),
                    value: event.to_string(),
                    expected: "a run whose tangent vectors stay finite".into(),
                });
            }
        }
    }
    let seconds = t_avg * 1e-3;
    let mut exponents: Vec<f64> = log_sum.iter().map(|v| v / seconds).collect();
    exponents.sort_by(|a, b| b.total_cmp(a));
    let entropy_rate = exponents.iter().filter(|&&l| l > 0.0).sum();
    Ok(EventSpectrum {
        exponents,
        duration: t_avg,
        mean_rate: c.n_spikes as f64 / (n as f64 * seconds),
        log_det_rate: log_det / seconds,
        entropy_rate,
        final_phase: psi,
    })
}
