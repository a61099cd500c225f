//! The elliptic burster's vector field, burst cycle and kicked-flow exponent, and the circle
//! map with jumps, against what is known of them.

use faer::Mat;
use neurodyn_analysis::circle_map::{JumpPrcMap, orbit};
use neurodyn_analysis::elliptic_burster::{EllipticBurster, kicked_lyapunov};
use neurodyn_core::VectorField;

const B: EllipticBurster = EllipticBurster { omega: 3.0, mu: 0.05, a: 0.5 };

#[test]
fn the_jacobian_is_the_derivative_of_the_field() {
    let s = [0.7, -0.4, 0.3];
    let mut jac = Mat::<f64>::zeros(3, 3);
    B.df(&s, &[], jac.as_mut());
    let h = 1e-6;
    for j in 0..3 {
        let (mut p, mut m) = (s, s);
        p[j] += h;
        m[j] -= h;
        let (mut fp, mut fm) = ([0.0; 3], [0.0; 3]);
        B.f(&p, &[], &mut fp);
        B.f(&m, &[], &mut fm);
        for i in 0..3 {
            let fd = (fp[i] - fm[i]) / (2.0 * h);
            assert!((jac[(i, j)] - fd).abs() < 1e-8, "∂f{i}/∂x{j}: {} vs {fd}", jac[(i, j)]);
        }
    }
}

#[test]
fn the_burst_cycle_is_periodic_and_unkicked_its_exponent_is_zero() {
    let cycle = B.cycle(0.02, 400.0).expect("a burster");
    // Quiescence: u climbs from the fold (−1) at μa = 0.025 and the slow passage holds the rest
    // as long past the Hopf point (0) as before it, ≈ 2/0.025 = 80; the burst, with u falling at
    // μ(|z|² − a) ≈ 0.05 · 1.4 back to −1 from there, adds about 25.
    assert!(cycle.period > 95.0 && cycle.period < 140.0, "T₀ = {}", cycle.period);
    // Periodic: one period on, the state is back where it started.
    let (a, b) = (cycle.states[0], *cycle.states.last().unwrap());
    assert!((a[2] - b[2]).abs() < 1e-2, "u: {a:?} vs {b:?}");
    // No kick: the flow's largest exponent on a stable limit cycle is 0 (the neutral direction
    // along the orbit), per period here.
    let l = kicked_lyapunov(&B, 0.0, cycle.period, 0.02, cycle.at(0.3), 5, 40);
    assert!(l.abs() < 0.02, "{l}");
}

#[test]
fn the_jump_map_counts_slopes_and_not_its_jumps() {
    // Z linear with slope s on [0, 1) and one jump: λ = ln|1 + s| on every orbit, the jump
    // interval taking its neighbour's slope.
    let m = 400;
    let s = -0.5;
    let prc: Vec<f64> =
        (0..m).map(|i| s * i as f64 / m as f64 + if i >= 200 { 0.3 } else { 0.0 }).collect();
    let map = JumpPrcMap { prc, shift: 0.37, jump: 0.05 };
    let o = orbit(&map, 0.1, 100, 5000, 0);
    assert!((o.lyapunov - (1.0f64 + s).ln()).abs() < 1e-9, "{}", o.lyapunov);
    // A constant response is a rigid rotation: λ = 0, ρ = shift + Z.
    let map = JumpPrcMap { prc: vec![0.1; m], shift: 0.25, jump: 0.05 };
    let o = orbit(&map, 0.0, 0, 1000, 0);
    assert!(o.lyapunov.abs() < 1e-12 && (o.rotation_number - 0.35).abs() < 1e-12, "{o:?}");
}

#[test]
fn the_kicked_map_spectrum_leads_with_the_tangent_vectors_exponent() {
    // Two computations of the kicked flow's largest exponent: a tangent vector integrated
    // alongside (kicked_lyapunov) and the QR method on the kick-to-kick map with its exact
    // Jacobian. The spectrum's sum is the mean log-determinant, checked in tests/lyapunov.rs.
    use neurodyn_analysis::elliptic_burster::KickedBurster;
    use neurodyn_analysis::lyapunov::{LyapunovConfig, lyapunov_spectrum};
    let cycle = B.cycle(0.02, 400.0).expect("a burster");
    for (amp, ratio) in [(0.1, 0.7), (0.2, 1.5)] {
        let period = ratio * cycle.period;
        let steps = (period / 0.02).round() as usize;
        let map = KickedBurster { field: B, amplitude: amp, dt: 0.02, steps };
        let cfg = LyapunovConfig {
            n_exponents: 3,
            n_transient: 20,
            n_steps: 100,
            qr_every: 1,
            n_segments: 4,
        };
        let spectrum = lyapunov_spectrum(&map, &cycle.at(0.1), &[], &cfg).unwrap();
        let tangent = kicked_lyapunov(&B, amp, period, 0.02, cycle.at(0.1), 20, 100);
        assert!(
            (spectrum.exponents[0] - tangent).abs() < 1e-6 * tangent.abs().max(1.0),
            "A = {amp}, T/T₀ = {ratio}: {:?} vs {tangent}",
            spectrum.exponents
        );
    }
}
