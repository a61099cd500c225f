//! The scalar trait shared by `f32` and `f64`.

use std::fmt::{Debug, Display};
use std::iter::Sum;
use std::ops::{Add, AddAssign, Div, DivAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// A real scalar: `f32` for fast training, `f64` for gradient checks and analysis.
///
/// It extends faer's `RealField` so that matrices of either type go through the same GEMM.
pub trait Real:
    faer::traits::RealField
    + Copy
    + Send
    + Sync
    + Debug
    + Display
    + Default
    + PartialOrd
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Div<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + DivAssign
    + Sum
    + 'static
{
    /// Additive identity.
    const ZERO: Self;
    /// Multiplicative identity.
    const ONE: Self;
    /// Whether `tanh`/`sigmoid` use the fast approximations of [`crate::fast`] for this type.
    const FAST_TRANSCENDENTALS: bool;
    /// Converts from `f64`, rounding when `Self` is `f32`.
    fn of(x: f64) -> Self;
    /// Converts to `f64` exactly.
    fn to_f64(self) -> f64;
    /// Hyperbolic tangent; the fast approximation for `f32`, the libm one for `f64`.
    fn tanh_(self) -> Self;
    /// Logistic function `1 / (1 + e^{-x})`; fast for `f32`.
    fn sigmoid(self) -> Self;
    /// [`Real::tanh_`] over a slice, in place.
    fn tanh_slice(xs: &mut [Self]) {
        xs.iter_mut().for_each(|x| *x = x.tanh_());
    }
    /// [`Real::sigmoid`] over a slice, in place.
    fn sigmoid_slice(xs: &mut [Self]) {
        xs.iter_mut().for_each(|x| *x = x.sigmoid());
    }
    /// `ln(1 + e^x)` computed without overflow.
    fn softplus(self) -> Self;
    /// Exponential.
    fn exp_(self) -> Self;
    /// Square root.
    fn sqrt_(self) -> Self;
    /// Absolute value.
    fn abs_(self) -> Self;
    /// Larger of two values.
    fn max_(self, other: Self) -> Self;
    /// Smaller of two values.
    fn min_(self, other: Self) -> Self;
    /// Whether the value is neither infinite nor NaN.
    fn is_finite_(self) -> bool;
}

impl Real for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const FAST_TRANSCENDENTALS: bool = true;
    #[inline(always)]
    fn of(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn tanh_(self) -> Self {
        crate::fast::tanh_f32(self)
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        crate::fast::sigmoid_f32(self)
    }
    fn tanh_slice(xs: &mut [Self]) {
        crate::fast::tanh_in_place(xs);
    }
    fn sigmoid_slice(xs: &mut [Self]) {
        crate::fast::sigmoid_in_place(xs);
    }
    #[inline(always)]
    fn softplus(self) -> Self {
        (self as f64).softplus() as f32
    }
    #[inline(always)]
    fn exp_(self) -> Self {
        self.exp()
    }
    #[inline(always)]
    fn sqrt_(self) -> Self {
        self.sqrt()
    }
    #[inline(always)]
    fn abs_(self) -> Self {
        self.abs()
    }
    #[inline(always)]
    fn max_(self, other: Self) -> Self {
        self.max(other)
    }
    #[inline(always)]
    fn min_(self, other: Self) -> Self {
        self.min(other)
    }
    #[inline(always)]
    fn is_finite_(self) -> bool {
        self.is_finite()
    }
}

impl Real for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    const FAST_TRANSCENDENTALS: bool = false;
    #[inline(always)]
    fn of(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    // The transcendentals are the `libm` crate's (musl's algorithms, < 1 ulp), compiled into
    // our code: glibc's, called right after faer's AVX-512 GEMM, cost ~200 ns each on our
    // machines (SSE/VEX state transitions inside its FMA variants) against 16 ns.
    #[inline(always)]
    fn tanh_(self) -> Self {
        libm::tanh(self)
    }
    #[inline(always)]
    fn sigmoid(self) -> Self {
        if self >= 0.0 {
            1.0 / (1.0 + libm::exp(-self))
        } else {
            let e = libm::exp(self);
            e / (1.0 + e)
        }
    }
    #[inline(always)]
    fn softplus(self) -> Self {
        // ln(1 + e^x) = max(x, 0) + ln(1 + e^{-|x|})
        self.max(0.0) + libm::log1p(libm::exp(-self.abs()))
    }
    #[inline(always)]
    fn exp_(self) -> Self {
        libm::exp(self)
    }
    #[inline(always)]
    fn sqrt_(self) -> Self {
        self.sqrt()
    }
    #[inline(always)]
    fn abs_(self) -> Self {
        self.abs()
    }
    #[inline(always)]
    fn max_(self, other: Self) -> Self {
        self.max(other)
    }
    #[inline(always)]
    fn min_(self, other: Self) -> Self {
        self.min(other)
    }
    #[inline(always)]
    fn is_finite_(self) -> bool {
        self.is_finite()
    }
}
