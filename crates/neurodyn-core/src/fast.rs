//! Vectorisable approximations of `exp`, `tanh` and the logistic function for `f32`.
//!
//! Rust's scalar `f32::tanh` calls libm once per element and does not vectorise; in a leaky RNN of
//! 128 units it costs as much as all the matrix products of a training step. These versions use
//! only `+ − × ÷`, `min`/`max`, `copysign` and integer bit operations, which LLVM turns into SIMD
//! code on baseline x86-64 (SSE2) and AArch64.
//!
//! Method (the textbook one, our own coefficients): `e^x = 2^n · e^r` with `n = round(x·log₂e)`
//! and `r = x − n·ln 2 ∈ [−ln2/2, ln2/2]`; `e^r` is its degree-7 Taylor polynomial, whose
//! truncation error `|r|⁸/8! · e^{|r|} < 1.9e-9` lies below `f32` resolution; `2^n` is built
//! in the exponent bits. Then `tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1))` and
//! `σ(x) = 1/(1 + e^{−x})`.
//!
//! Error bounds (checked by the tests of this module on a dense grid):
//! `|exp_f32(x) / e^x − 1| < 5e-7`, `|tanh_f32(x) − tanh x| < 3e-7`,
//! `|sigmoid_f32(x) − σ(x)| < 2e-7`.

/// Rounds to nearest when added then subtracted (1.5 · 2²³): valid for |x| < 2²².
const ROUND_MAGIC: f32 = 12_582_912.0;

/// `e^x` for `x ∈ [−87, 88]` (clamped outside), relative error below 5e-7.
#[inline(always)]
pub fn exp_f32(x: f32) -> f32 {
    let x = x.clamp(-87.0, 88.0);
    let t = x * std::f32::consts::LOG2_E;
    let shifted = t + ROUND_MAGIC;
    let n = shifted - ROUND_MAGIC;
    // Two-term ln 2 (Cody–Waite) keeps r accurate: ln2 = LN2_HI + LN2_LO.
    const LN2_HI: f32 = 0.693_145_75;
    const LN2_LO: f32 = 1.428_606_8e-6;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Horner form of Σ_{k=0}^{7} r^k / k!
    let p = 1.0 / 5040.0;
    let p = p * r + 1.0 / 720.0;
    let p = p * r + 1.0 / 120.0;
    let p = p * r + 1.0 / 24.0;
    let p = p * r + 1.0 / 6.0;
    let p = p * r + 0.5;
    let p = p * r + 1.0;
    let p = p * r + 1.0;
    // The low bits of `shifted` hold n as an integer offset from ROUND_MAGIC's bit pattern.
    let n_int = shifted.to_bits().wrapping_sub(ROUND_MAGIC.to_bits());
    let scale = f32::from_bits(n_int.wrapping_add(127) << 23);
    p * scale
}

/// Rounds to nearest when added then subtracted (1.5 · 2⁵²): valid for |x| < 2⁵¹.
const ROUND_MAGIC_F64: f64 = 6_755_399_441_055_744.0;

/// `e^x` in `f64` for `x ∈ [−708, 709]` (clamped outside), relative error below 1e-15.
///
/// Same method as [`exp_f32`] with a two-term `ln 2` in double precision and the degree-13
/// Taylor polynomial of `e^r`, `|r| ≤ ln2/2`, truncation error `|r|¹⁴/14! < 5e-18`. Used where a
/// model needs one exponential per neuron per step (conductance and escape-noise neurons):
/// unlike `f64::exp` it vectorises.
#[inline(always)]
pub fn exp_f64(x: f64) -> f64 {
    let x = x.clamp(-708.0, 709.0);
    let shifted = x * std::f64::consts::LOG2_E + ROUND_MAGIC_F64;
    let n = shifted - ROUND_MAGIC_F64;
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    let r = (x - n * LN2_HI) - n * LN2_LO;
    // Estrin's scheme: independent pairs, then powers of r², so the dependency chain is
    // 5 multiply-adds long instead of Horner's 13 (it vectorises and pipelines better).
    let c = &INV_FACTORIALS;
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let q01 = c[0] + c[1] * r;
    let q23 = c[2] + c[3] * r;
    let q45 = c[4] + c[5] * r;
    let q67 = c[6] + c[7] * r;
    let q89 = c[8] + c[9] * r;
    let q1011 = c[10] + c[11] * r;
    let q1213 = c[12] + c[13] * r;
    let low = (q01 + q23 * r2) + (q45 + q67 * r2) * r4;
    let high = (q89 + q1011 * r2) + q1213 * r4;
    let p = low + high * r8;
    let n_int = shifted.to_bits().wrapping_sub(ROUND_MAGIC_F64.to_bits());
    p * f64::from_bits(n_int.wrapping_add(1023) << 52)
}

/// `1/k!` for `k = 0..=13`.
const INV_FACTORIALS: [f64; 14] = [
    1.0,
    1.0,
    1.0 / 2.0,
    1.0 / 6.0,
    1.0 / 24.0,
    1.0 / 120.0,
    1.0 / 720.0,
    1.0 / 5040.0,
    1.0 / 40320.0,
    1.0 / 362_880.0,
    1.0 / 3_628_800.0,
    1.0 / 39_916_800.0,
    1.0 / 479_001_600.0,
    1.0 / 6_227_020_800.0,
];

/// Hyperbolic tangent, absolute error below 3e-7.
#[inline(always)]
pub fn tanh_f32(x: f32) -> f32 {
    // tanh(9) = 1 − 3e-8 rounds to 1 in f32.
    let a = x.abs().min(9.0);
    let e = exp_f32(2.0 * a);
    let t = 1.0 - 2.0 / (e + 1.0);
    // Below 2^-12 the cubic term is under 2e-12: return x itself to keep tiny inputs exact.
    let t = if a < 2.441_406_2e-4 { a } else { t };
    t.copysign(x)
}

/// Hyperbolic tangent in `f64`, absolute error below 4e-16 (relative near 0 only below
/// `2^-26`, where it returns `x`): `1 − 2/(e^{2|x|} + 1)` with [`exp_f64`], vectorisable,
/// unlike libm's `tanh` (the echo-state reservoirs' one nonlinearity per unit per step).
#[inline(always)]
pub fn tanh_f64(x: f64) -> f64 {
    // tanh(19.1) = 1 − 5e-17 rounds to 1.
    let a = x.abs().min(19.1);
    let t = 1.0 - 2.0 / (exp_f64(2.0 * a) + 1.0);
    // Below 2^-26 the cubic term is under 2^-78 of x: return x.
    let t = if a < 1.490_116_119_384_765_6e-8 { a } else { t };
    t.copysign(x)
}

/// Applies [`tanh_f64`] to a slice in place, dispatched like [`tanh_in_place`].
pub fn tanh_in_place_f64(xs: &mut [f64]) {
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || xs.iter_mut().for_each(|x| *x = tanh_f64(*x)),
    )
}

/// Logistic function `1 / (1 + e^{−x})`, absolute error below 2e-7.
#[inline(always)]
pub fn sigmoid_f32(x: f32) -> f32 {
    1.0 / (1.0 + exp_f32(-x))
}

/// Applies [`tanh_f32`] to a slice in place, compiled for the widest SIMD the CPU has
/// (AVX2 + FMA where available, chosen at run time; the loop is the same).
pub fn tanh_in_place(xs: &mut [f32]) {
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || xs.iter_mut().for_each(|x| *x = tanh_f32(*x)),
    )
}

/// Applies [`sigmoid_f32`] to a slice in place, dispatched like [`tanh_in_place`].
pub fn sigmoid_in_place(xs: &mut [f32]) {
    pulp::Arch::new().dispatch(
        #[inline(always)]
        || xs.iter_mut().for_each(|x| *x = sigmoid_f32(*x)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> impl Iterator<Item = f32> {
        (-2_000_000..=2_000_000)
            .map(|i| i as f32 * 1e-5)
            .chain((-400..=400).map(|i| i as f32 * 0.25))
    }

    #[test]
    fn exp_relative_error_below_bound() {
        let worst = (-8700..=8800)
            .map(|i| i as f32 * 0.01)
            .map(|x| ((exp_f32(x) as f64) / (x as f64).exp() - 1.0).abs())
            .fold(0.0, f64::max);
        assert!(worst < 5e-7, "worst relative error {worst:e}");
    }

    #[test]
    fn every_simd_level_gives_the_same_bits() {
        // Invariant 2: the dispatched loops (AVX-512 where the CPU has it, else AVX2, else
        // baseline) agree bit for bit with each other and with the scalar function, since they
        // use the same IEEE operations in the same order (no fused multiply-adds).
        let xs: Vec<f32> = grid().step_by(7).collect();
        let scalar: Vec<[u32; 2]> =
            xs.iter().map(|&x| [tanh_f32(x).to_bits(), sigmoid_f32(x).to_bits()]).collect();
        let run = |xs: &[f32]| -> Vec<[u32; 2]> {
            let (mut t, mut s) = (xs.to_vec(), xs.to_vec());
            tanh_in_place(&mut t);
            sigmoid_in_place(&mut s);
            t.iter().zip(&s).map(|(a, b)| [a.to_bits(), b.to_bits()]).collect()
        };
        assert_eq!(run(&xs), scalar, "dispatched (widest level)");
        #[cfg(target_arch = "x86_64")]
        {
            use pulp::x86::{V3, V4};
            if let Some(v3) = V3::try_new() {
                assert_eq!(v3.vectorize(|| run_scalar_loops(&xs)), scalar, "AVX2");
            }
            if let Some(v4) = V4::try_new() {
                assert_eq!(v4.vectorize(|| run_scalar_loops(&xs)), scalar, "AVX-512");
            }
        }
        let xd: Vec<f64> = xs.iter().map(|&x| f64::from(x) * 1.7).collect();
        let mut td = xd.clone();
        tanh_in_place_f64(&mut td);
        assert!(td.iter().zip(&xd).all(|(a, &x)| a.to_bits() == tanh_f64(x).to_bits()));
    }

    /// The element loops of the dispatched functions, to be compiled inside one SIMD level.
    #[inline(always)]
    fn run_scalar_loops(xs: &[f32]) -> Vec<[u32; 2]> {
        xs.iter().map(|&x| [tanh_f32(x).to_bits(), sigmoid_f32(x).to_bits()]).collect()
    }

    #[test]
    fn tanh_absolute_error_below_bound() {
        let worst =
            grid().map(|x| (tanh_f32(x) as f64 - (x as f64).tanh()).abs()).fold(0.0, f64::max);
        assert!(worst < 3e-7, "worst absolute error {worst:e}");
    }

    #[test]
    fn tanh_is_odd_and_saturates() {
        for x in [0.0f32, 1e-30, 0.3, 2.0, 8.9, 20.0, f32::MAX] {
            assert_eq!(tanh_f32(-x), -tanh_f32(x));
        }
        assert!(1.0 - tanh_f32(30.0) <= f32::EPSILON / 2.0);
        assert_eq!(tanh_f32(1e-30), 1e-30);
    }

    #[test]
    fn slice_versions_equal_the_scalar_ones() {
        let xs: Vec<f32> = grid().step_by(997).collect();
        let (mut t, mut s) = (xs.clone(), xs.clone());
        tanh_in_place(&mut t);
        sigmoid_in_place(&mut s);
        for (k, x) in xs.iter().enumerate() {
            // FMA contraction may differ from the scalar build in the last bit.
            assert!((t[k] - tanh_f32(*x)).abs() <= 2.0 * f32::EPSILON, "tanh({x})");
            assert!((s[k] - sigmoid_f32(*x)).abs() <= 2.0 * f32::EPSILON, "sigmoid({x})");
        }
    }

    #[test]
    fn sigmoid_absolute_error_below_bound() {
        let worst = grid()
            .map(|x| (sigmoid_f32(x) as f64 - 1.0 / (1.0 + (-(x as f64)).exp())).abs())
            .fold(0.0, f64::max);
        assert!(worst < 2e-7, "worst absolute error {worst:e}");
    }

    #[test]
    fn tanh_f64_absolute_error_below_bound() {
        let mut worst = 0.0f64;
        let mut x = -25.0;
        while x < 25.0 {
            for v in [x, x * 1e-6, x * 1e-9] {
                worst = worst.max((tanh_f64(v) - v.tanh()).abs());
            }
            x += 0.000_713;
        }
        assert!(worst < 4e-16, "worst absolute error {worst:e}");
        for v in [0.0, 1e-300, 1e-9, 0.7, 19.0, 40.0, f64::MAX] {
            assert_eq!(tanh_f64(-v), -tanh_f64(v));
        }
        assert_eq!(tanh_f64(1e-9), 1e-9);
        assert_eq!(tanh_f64(40.0), 1.0);
        let mut xs: Vec<f64> = (0..1000).map(|i| (i as f64 - 500.0) * 0.037).collect();
        let scalar: Vec<f64> = xs.iter().map(|&v| tanh_f64(v)).collect();
        tanh_in_place_f64(&mut xs);
        for (a, b) in xs.iter().zip(&scalar) {
            assert!((a - b).abs() <= 2.0 * f64::EPSILON);
        }
    }

    #[test]
    fn exp_f64_is_accurate_to_a_few_ulp() {
        let mut worst = 0.0f64;
        let mut x = -708.0;
        while x < 709.0 {
            worst = worst.max((exp_f64(x) / x.exp() - 1.0).abs());
            x += 0.01237;
        }
        assert!(worst < 1e-15, "worst relative error {worst:e}");
        assert_eq!(exp_f64(0.0), 1.0);
    }
}
