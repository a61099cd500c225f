//! Circle maps against closed forms: the rigid rotation (λ = 0, ρ = ω), the doubling map
//! (λ = ln 2), the sine map's 0/1 Arnold tongue (edge at Ω = K/2π, λ at the locked point) and
//! the tabulated-PRC map against the same map in closed form.

use neurodyn_analysis::circle_map::{Doubling, PrcMap, Rotation, SineCircle, orbit};
use std::f64::consts::{LN_2, TAU};

#[test]
fn a_rigid_rotation_has_zero_exponent_and_its_own_rotation_number() {
    for omega in [0.0, 0.25, (5f64.sqrt() - 1.0) / 2.0, 0.9] {
        let o = orbit(&Rotation { omega }, 0.3, 10, 100_000, 0);
        assert_eq!(o.lyapunov, 0.0);
        assert!((o.rotation_number - omega).abs() < 1e-9, "ω {omega}: ρ {}", o.rotation_number);
    }
}

#[test]
fn the_doubling_map_has_exponent_ln_2() {
    let o = orbit(&Doubling, 0.1234, 0, 10_000, 0);
    assert!((o.lyapunov - LN_2).abs() < 1e-12, "λ {}", o.lyapunov);
}

#[test]
fn the_sine_map_locks_inside_the_zero_tongue_with_the_fixed_points_exponent() {
    // Fixed points of θ + Ω − (K/2π) sin 2πθ exist iff 2πΩ ≤ K; the stable one has
    // cos 2πθ* = +√(1 − (2πΩ/K)²), so λ = ln|1 − √(K² − (2πΩ)²)| and ρ = 0.
    let k = 0.8;
    for omega in [0.02, 0.06, 0.12] {
        let o = orbit(&SineCircle { omega, k }, 0.0, 2_000, 10_000, 0);
        let lambda = (1.0 - (k * k - (TAU * omega).powi(2)).sqrt()).abs().ln();
        assert!(o.rotation_number.abs() < 1e-3, "Ω {omega}: ρ {}", o.rotation_number);
        assert!((o.lyapunov - lambda).abs() < 1e-9, "Ω {omega}: λ {} vs {lambda}", o.lyapunov);
    }
    // Just past the tongue's edge Ω = K/2π ≈ 0.1273 the orbit drifts: ρ > 0, λ ≈ 0.
    let o = orbit(&SineCircle { omega: 0.135, k }, 0.0, 2_000, 100_000, 0);
    assert!(o.rotation_number > 1e-3, "ρ {}", o.rotation_number);
    assert!(o.lyapunov.abs() < 1e-2, "λ {}", o.lyapunov);
}

#[test]
fn the_sine_maps_rotation_number_is_a_devils_staircase() {
    // Below K = 1 the map is a homeomorphism: ρ(Ω) is continuous and non-decreasing, equals Ω
    // at K = 0 and has a plateau at 1/2 around Ω = 1/2.
    let mut last = -1.0;
    for i in 0..=100 {
        let omega = i as f64 / 100.0;
        let rho = orbit(&SineCircle { omega, k: 0.9 }, 0.0, 500, 5_000, 0).rotation_number;
        assert!(rho >= last - 1e-3, "Ω {omega}: ρ {rho} after {last}");
        last = rho;
        let free = orbit(&SineCircle { omega, k: 0.0 }, 0.0, 0, 1_000, 0).rotation_number;
        assert!((free - omega).abs() < 1e-9);
    }
    for omega in [0.48, 0.5, 0.52] {
        let rho = orbit(&SineCircle { omega, k: 0.9 }, 0.0, 2_000, 10_000, 0).rotation_number;
        assert!((rho - 0.5).abs() < 1e-3, "Ω {omega}: ρ {rho}");
    }
}

#[test]
fn a_strongly_nonlinear_sine_map_is_chaotic() {
    // For K ≫ 1 the invariant density is nearly uniform and ⟨ln|1 − K cos 2πθ|⟩ = ln(K/2).
    let o = orbit(&SineCircle { omega: 0.1, k: 10.0 }, 0.1, 1_000, 200_000, 0);
    assert!((o.lyapunov - (5f64).ln()).abs() < 0.05, "λ {}", o.lyapunov);
}

#[test]
fn a_tabulated_prc_map_matches_the_same_map_in_closed_form() {
    let (omega, k) = (0.3, 0.7);
    let m = 400;
    let prc: Vec<f64> = (0..m).map(|i| -k / TAU * (TAU * i as f64 / m as f64).sin()).collect();
    let table = PrcMap { prc, shift: omega };
    let exact = SineCircle { omega, k };
    for i in 0..1000 {
        let th = i as f64 / 1000.0 + 1e-4;
        use neurodyn_analysis::circle_map::CircleMap;
        assert!((table.lift(th) - exact.lift(th)).abs() < 1e-7, "F({th})");
        assert!((table.derivative(th) - exact.derivative(th)).abs() < 1e-4, "F'({th})");
    }
    let a = orbit(&table, 0.0, 1_000, 20_000, 0);
    let b = orbit(&exact, 0.0, 1_000, 20_000, 0);
    assert!((a.rotation_number - b.rotation_number).abs() < 1e-4);
    assert!((a.lyapunov - b.lyapunov).abs() < 1e-3, "{} vs {}", a.lyapunov, b.lyapunov);
}

#[test]
fn the_tail_keeps_the_last_phases() {
    let o = orbit(&Rotation { omega: 0.25 }, 0.0, 0, 8, 3);
    assert_eq!(o.tail.len(), 3);
    assert!((o.tail[2] - 0.0).abs() < 1e-12 && (o.tail[0] - 0.5).abs() < 1e-12, "{:?}", o.tail);
}
