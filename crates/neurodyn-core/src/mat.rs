//! Row-major matrix views over slices, and a single-threaded GEMM.
//!
//! All neurodyn batches are row-major (one row per trial). These helpers are the one place that
//! turns slices into faer views.
//!
//! faer 0.24.4's `MatMut::from_row_major_slice_with_stride_mut` builds a column-major view (it
//! passes row stride 1 and column stride `row_stride`), so [`strided_mut`] builds the transpose
//! of a column-major view instead; `regression_faer_row_major_stride_mut` pins the behaviour.

use crate::Real;
use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

/// Row-major `rows × cols` view of the start of a slice.
pub fn view<T>(s: &[T], rows: usize, cols: usize) -> MatRef<'_, T> {
    MatRef::from_row_major_slice(&s[..rows * cols], rows, cols)
}

/// Mutable row-major `rows × cols` view of the start of a slice.
pub fn view_mut<T>(s: &mut [T], rows: usize, cols: usize) -> MatMut<'_, T> {
    MatMut::from_row_major_slice_mut(&mut s[..rows * cols], rows, cols)
}

/// Row-major `rows × cols` view whose rows start `stride` elements apart.
pub fn strided<T>(s: &[T], rows: usize, cols: usize, stride: usize) -> MatRef<'_, T> {
    let len = if rows == 0 { 0 } else { (rows - 1) * stride + cols };
    MatRef::from_column_major_slice_with_stride(&s[..len], cols, rows, stride).transpose()
}

/// Mutable row-major `rows × cols` view whose rows start `stride` elements apart.
pub fn strided_mut<T>(s: &mut [T], rows: usize, cols: usize, stride: usize) -> MatMut<'_, T> {
    let len = if rows == 0 { 0 } else { (rows - 1) * stride + cols };
    MatMut::from_column_major_slice_with_stride_mut(&mut s[..len], cols, rows, stride)
        .transpose_mut()
}

/// Makes faer's own parallelism sequential for the whole process. faer's operators and
/// factorisations (`*`, `determinant`, `svd`, `partial_piv_lu`, …) otherwise split their
/// work over the global rayon pool, and their sums then depend on the thread count; neurodyn
/// parallelises explicitly (rayon over fixed chunks) and promises the same bits on any number
/// of threads. The command line and the Python module call this at start; a Rust program
/// that wants the same promise calls it too.
pub fn sequential_faer() {
    faer::set_global_parallelism(Par::Seq);
}

/// `dst (+)= a · b` on one thread, so that results never depend on the number of threads.
pub fn gemm<T: Real>(dst: MatMut<'_, T>, accum: Accum, a: MatRef<'_, T>, b: MatRef<'_, T>) {
    matmul(dst, accum, a, b, T::ONE, Par::Seq);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_faer_row_major_stride_mut() {
        // A 2 × 2 window with row stride 3 over [0 1 2 / 3 4 5]: element (1, 0) is s[3].
        let mut s = [0.0f64, 1.0, 2.0, 3.0, 4.0, 5.0];
        let m = strided_mut(&mut s, 2, 2, 3);
        assert_eq!((m[(0, 1)], m[(1, 0)], m[(1, 1)]), (1.0, 3.0, 4.0));
        let r = strided(&s, 2, 2, 3);
        assert_eq!((r[(0, 1)], r[(1, 0)], r[(1, 1)]), (1.0, 3.0, 4.0));
    }

    #[test]
    fn gemm_into_strided_window_leaves_the_rest_untouched() {
        // C[:, 0..2] += A · B with C 2 × 3 row-major; column 2 must not change.
        let a = [1.0f64, 2.0, 3.0, 4.0];
        let b = [1.0f64, 0.0, 0.0, 1.0];
        let mut c = [0.0f64, 0.0, 9.0, 0.0, 0.0, 9.0];
        gemm(strided_mut(&mut c, 2, 2, 3), Accum::Add, view(&a, 2, 2), view(&b, 2, 2));
        assert_eq!(c, [1.0, 2.0, 9.0, 3.0, 4.0, 9.0]);
    }
}
