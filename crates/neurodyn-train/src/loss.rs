//! The masked mean squared error and its gradient.

use neurodyn_core::Real;

/// Value and normalisation of a masked MSE.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MaskedMse {
    /// `Σ m (y − t)² / Σ m`.
    pub mse: f64,
    /// `Σ m (y − t)² / Σ m (t − t̄)²`, with `t̄` the masked mean of each output channel.
    pub nmse: f64,
    /// `Σ m`, the number of scored entries.
    pub n_scored: f64,
}

/// Masked MSE of `outputs` against `targets` (all `rows × n_output`); when `grad` is given it
/// receives `∂mse/∂y = 2 m (y − t) / Σ m`.
pub fn masked_mse<T: Real>(
    outputs: &[T],
    targets: &[T],
    mask: &[T],
    n_output: usize,
    grad: Option<&mut [T]>,
) -> MaskedMse {
    let (sse, n_scored) = squared_error(outputs, targets, mask, grad);
    let mse = sse / n_scored.max(1.0);
    // Target variance per channel for the normalisation (row by row: no index arithmetic per
    // entry; the same terms in the same order).
    let rows = || targets.chunks_exact(n_output).zip(mask.chunks_exact(n_output));
    let mut sums = vec![(0.0, 0.0); n_output];
    for (t, m) in rows() {
        for ((s, t), m) in sums.iter_mut().zip(t).zip(m) {
            s.0 += m.to_f64() * t.to_f64();
            s.1 += m.to_f64();
        }
    }
    let means: Vec<f64> = sums.iter().map(|(sum, count)| sum / count.max(1.0)).collect();
    let mut var = 0.0;
    for (t, m) in rows() {
        for ((mean, t), m) in means.iter().zip(t).zip(m) {
            let d = t.to_f64() - mean;
            var += m.to_f64() * d * d;
        }
    }
    MaskedMse { mse, nmse: if var > 0.0 { sse / var } else { f64::NAN }, n_scored }
}

/// [`masked_mse`]'s `mse` alone, with the same gradient: what a training step needs (no
/// normalisation pass).
pub fn masked_mse_value<T: Real>(
    outputs: &[T],
    targets: &[T],
    mask: &[T],
    grad: Option<&mut [T]>,
) -> f64 {
    let (sse, n_scored) = squared_error(outputs, targets, mask, grad);
    sse / n_scored.max(1.0)
}

/// `(Σ m (y − t)², Σ m)`, and the gradient `2 m (y − t) / Σ m` into `grad` when given.
fn squared_error<T: Real>(
    outputs: &[T],
    targets: &[T],
    mask: &[T],
    grad: Option<&mut [T]>,
) -> (f64, f64) {
    let n_scored: f64 = mask.iter().map(|m| m.to_f64()).sum();
    let denom = n_scored.max(1.0);
    let mut sse = 0.0;
    for ((y, t), m) in outputs.iter().zip(targets).zip(mask) {
        let e = (*y - *t).to_f64();
        sse += m.to_f64() * e * e;
    }
    if let Some(grad) = grad {
        let scale = T::of(2.0 / denom);
        for (((g, y), t), m) in grad.iter_mut().zip(outputs).zip(targets).zip(mask) {
            *g = scale * *m * (*y - *t);
        }
    }
    (sse, n_scored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradient_matches_central_differences() {
        let y = [0.3f64, -0.2, 0.9, 0.1];
        let t = [1.0, -1.0, 1.0, 0.0];
        let m = [1.0, 0.0, 1.0, 1.0];
        let mut g = [0.0; 4];
        masked_mse(&y, &t, &m, 2, Some(&mut g));
        for k in 0..4 {
            let (mut up, mut down) = (y, y);
            up[k] += 1e-6;
            down[k] -= 1e-6;
            let fd = (masked_mse(&up, &t, &m, 2, None).mse
                - masked_mse(&down, &t, &m, 2, None).mse)
                / 2e-6;
            assert!((fd - g[k]).abs() < 1e-9, "entry {k}: {fd} vs {}", g[k]);
        }
    }

    #[test]
    fn predicting_the_channel_mean_gives_nmse_one() {
        let t = [1.0f64, 3.0, -1.0, 5.0];
        let y = [0.0, 4.0, 0.0, 4.0];
        let r = masked_mse(&y, &t, &[1.0; 4], 2, None);
        assert!((r.nmse - 1.0).abs() < 1e-12);
    }
}
