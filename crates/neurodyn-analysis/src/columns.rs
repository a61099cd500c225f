//! Column statistics of row-major `rows × cols` data, shared by the analyses that centre it.

use faer::Mat;

/// The column means, accumulated row by row (the order of a column's sum is its rows', so the
/// result does not depend on the traversal).
pub(crate) fn means(data: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    let mut m = vec![0.0; cols];
    data.chunks_exact(cols).for_each(|r| m.iter_mut().zip(r).for_each(|(a, v)| *a += v));
    m.iter_mut().for_each(|a| *a /= rows as f64);
    m
}

/// A centred copy (column means removed) as a faer matrix, and the means.
pub(crate) fn centred(data: &[f64], rows: usize, cols: usize) -> (Mat<f64>, Vec<f64>) {
    let m = means(data, rows, cols);
    (Mat::from_fn(rows, cols, |i, j| data[i * cols + j] - m[j]), m)
}
