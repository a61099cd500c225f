//! Mean-field theory of leaky integrate-and-fire neurons driven by many small inputs (the
//! diffusion approximation; Brunel 2000, J. Comput. Neurosci. 8:183): the stationary rate of
//! one neuron with input mean `μ` and standard deviation `σ` (Siegert's formula), and the
//! self-consistent rate of a sparse network of excitatory and inhibitory such neurons with
//! delta synapses. Units: mV and ms in, Hz out.

/// A LIF neuron with delta synapses, in Brunel's notation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Lif {
    /// Membrane time constant `τ` [ms].
    pub tau_m: f64,
    /// Refractory period `τ_rp` [ms].
    pub t_ref: f64,
    /// Threshold `θ` [mV] (rest at 0).
    pub v_th: f64,
    /// Reset `V_r` [mV].
    pub v_reset: f64,
}

/// Stationary rate [Hz] of `neuron` under white-noise input of mean `mu` [mV] and standard
/// deviation `sigma` [mV] (Siegert):
/// `1/ν = τ_rp + τ √π ∫_{(V_r−μ)/σ}^{(θ−μ)/σ} e^{u²} (1 + erf u) du`.
pub fn siegert_rate(neuron: &Lif, mu: f64, sigma: f64) -> f64 {
    let (a, b) = ((neuron.v_reset - mu) / sigma, (neuron.v_th - mu) / sigma);
    // e^{u²}(1 + erf u) = erfcx(−u), finite where e^{u²} alone overflows.
    let n = 2 * ((20.0 * (b - a)).ceil() as usize).clamp(100, 10_000);
    let integral = simpson(|u| erfcx(-u), a, b, n);
    1000.0 / (neuron.t_ref + neuron.tau_m * std::f64::consts::PI.sqrt() * integral)
}

/// A Brunel (2000) network: `C_E` excitatory inputs of weight `J`, `γ C_E` inhibitory ones of
/// weight `−g J`, and `C_E` external Poisson inputs of weight `J` at `nu_ext` [Hz].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BrunelNetwork {
    /// The neuron.
    pub neuron: Lif,
    /// Excitatory in-degree `C_E` [1].
    pub c_e: f64,
    /// Ratio of inhibitory to excitatory in-degree `γ` [1].
    pub gamma: f64,
    /// Relative inhibitory strength `g` [1].
    pub g: f64,
    /// Synaptic weight `J` [mV].
    pub j: f64,
    /// External rate per input [Hz].
    pub nu_ext: f64,
}

impl BrunelNetwork {
    /// Input mean and standard deviation [mV] at network rate `nu` [Hz]:
    /// `μ = C_E J τ (ν_ext + ν (1 − γ g))`, `σ² = C_E J² τ (ν_ext + ν (1 + γ g²))`.
    pub fn input(&self, nu: f64) -> (f64, f64) {
        let tau = self.neuron.tau_m / 1000.0;
        let mu = self.c_e * self.j * tau * (self.nu_ext + nu * (1.0 - self.gamma * self.g));
        let var = self.c_e
            * self.j
            * self.j
            * tau
            * (self.nu_ext + nu * (1.0 + self.gamma * self.g * self.g));
        (mu, var.sqrt())
    }

    /// The self-consistent rate `ν = φ(μ(ν), σ(ν))` [Hz], by bisection on `[0, 1/τ_rp)`: with
    /// inhibition dominating (`γ g > 1`) the right side falls as `ν` grows, so the solution is
    /// unique.
    pub fn self_consistent_rate(&self) -> f64 {
        let f = |nu: f64| {
            let (mu, sigma) = self.input(nu);
            siegert_rate(&self.neuron, mu, sigma) - nu
        };
        let (mut lo, mut hi) = (0.0, 1000.0 / self.neuron.t_ref);
        for _ in 0..60 {
            let mid = 0.5 * (lo + hi);
            if f(mid) > 0.0 { lo = mid } else { hi = mid }
        }
        0.5 * (lo + hi)
    }
}

/// `erf(x) = 2/√π ∫₀ˣ e^{−t²} dt`, by composite Simpson (1e-13 for |x| ≤ 6; ±1 beyond).
pub fn erf(x: f64) -> f64 {
    if x.abs() > 6.0 {
        return x.signum();
    }
    // Steps of at most 0.002: Simpson's error (h⁴/180 · max|f⁗| · x) stays below 1e-13.
    let n = 2 * ((250.0 * x.abs()).ceil() as usize).max(1);
    2.0 / std::f64::consts::PI.sqrt() * simpson(|t| (-t * t).exp(), 0.0, x, n)
}

/// The scaled complementary error function `erfcx(x) = e^{x²} (1 − erf x)`: directly below
/// x = 3, by its continued fraction `1/√π · 1/(x + ½/(x + 1/(x + 3/2/(x + …))))` above
/// (80 terms: converged to double precision there).
pub fn erfcx(x: f64) -> f64 {
    if x < 3.0 {
        return (x * x).exp() * (1.0 - erf(x));
    }
    let mut tail = x;
    for k in (1..=80).rev() {
        tail = x + 0.5 * k as f64 / tail;
    }
    1.0 / (std::f64::consts::PI.sqrt() * tail)
}

fn simpson(f: impl Fn(f64) -> f64, a: f64, b: f64, n: usize) -> f64 {
    let h = (b - a) / n as f64;
    let mut s = f(a) + f(b);
    for i in 1..n {
        s += f(a + i as f64 * h) * if i % 2 == 1 { 4.0 } else { 2.0 };
    }
    s * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEURON: Lif = Lif { tau_m: 20.0, t_ref: 2.0, v_th: 20.0, v_reset: 10.0 };

    #[test]
    fn erf_matches_known_values() {
        // erf(0.5), erf(1), erf(2) to 15 digits (Abramowitz & Stegun table 7.1).
        for (x, e) in [
            (0.5, 0.520_499_877_813_047),
            (1.0, 0.842_700_792_949_715),
            (2.0, 0.995_322_265_018_953),
        ] {
            assert!((erf(x) - e).abs() < 1e-12 && (erf(-x) + e).abs() < 1e-12, "{x}");
        }
    }

    #[test]
    fn erfcx_is_continuous_at_its_switch_and_tends_to_its_asymptote() {
        let (below, above) = (erfcx(3.0 - 1e-9), erfcx(3.0));
        assert!((below - above).abs() < 1e-9, "{below} vs {above}");
        let x = 1e4;
        assert!((erfcx(x) * x * std::f64::consts::PI.sqrt() - 1.0).abs() < 1e-8);
    }

    #[test]
    fn siegert_tends_to_the_noiseless_lif_rate() {
        // σ → 0 with μ above threshold: the deterministic period τ_rp + τ ln((μ − V_r)/(μ − θ)).
        let mu: f64 = 30.0;
        let exact = 1000.0 / (2.0 + 20.0 * ((mu - 10.0) / (mu - 20.0)).ln());
        let rate = siegert_rate(&NEURON, mu, 0.05);
        assert!((rate - exact).abs() / exact < 1e-3, "{rate} vs {exact}");
        // Far below threshold with little noise: essentially silent.
        assert!(siegert_rate(&NEURON, 5.0, 1.0) < 1e-6);
    }

    #[test]
    fn brunel_rate_is_self_consistent() {
        // Brunel 2000 model A at g = 5, ν_ext = 2 ν_thr with C_E = 800 (examples/spiking/brunel_2000.toml).
        let net =
            BrunelNetwork { neuron: NEURON, c_e: 800.0, gamma: 0.25, g: 5.0, j: 0.1, nu_ext: 25.0 };
        let nu = net.self_consistent_rate();
        let (mu, sigma) = net.input(nu);
        assert!((siegert_rate(&NEURON, mu, sigma) - nu).abs() < 1e-6);
        assert!((nu - 43.23).abs() < 0.01, "{nu}");
        assert!(mu > 20.0 && sigma > 6.0, "mean-driven at this point: μ {mu}, σ {sigma}");
    }
}
