//! Adam and SGD over a flat parameter vector.

use crate::OptimizerKind;
use neurodyn_core::Real;

/// Optimiser state: the moments (Adam) or velocity (SGD) and the number of updates.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Optimizer<T> {
    /// The optimiser and its constants.
    pub kind: OptimizerKind,
    /// First moment (Adam) or velocity (SGD), one per parameter.
    pub m: Vec<T>,
    /// Second moment (Adam; empty for SGD).
    pub v: Vec<T>,
    /// Updates applied so far.
    pub t: u64,
}

impl<T: Real> Optimizer<T> {
    /// Zeroed state for `n_params` parameters.
    pub fn new(kind: OptimizerKind, n_params: usize) -> Self {
        let v = match kind {
            OptimizerKind::Adam { .. } => vec![T::ZERO; n_params],
            OptimizerKind::Sgd { .. } => Vec::new(),
        };
        Optimizer { kind, m: vec![T::ZERO; n_params], v, t: 0 }
    }

    /// Applies one update with learning rate `lr` to `params` given `grads`.
    pub fn update(&mut self, params: &mut [T], grads: &[T], lr: f64) {
        self.t += 1;
        match self.kind {
            OptimizerKind::Adam { beta1, beta2, epsilon } => {
                // Bias corrections folded into the step size (Kingma & Ba 2015, end of §2).
                let c1 = 1.0 - beta1.powi(self.t as i32);
                let c2 = 1.0 - beta2.powi(self.t as i32);
                let step = T::of(lr * c2.sqrt() / c1);
                let eps = T::of(epsilon * c2.sqrt());
                let (b1, b2) = (T::of(beta1), T::of(beta2));
                let (a1, a2) = (T::ONE - b1, T::ONE - b2);
                for (((p, g), m), v) in
                    params.iter_mut().zip(grads).zip(&mut self.m).zip(&mut self.v)
                {
                    *m = b1 * *m + a1 * *g;
                    *v = b2 * *v + a2 * *g * *g;
                    *p -= step * *m / (v.sqrt_() + eps);
                }
            }
            OptimizerKind::Sgd { momentum } => {
                let (mu, lr) = (T::of(momentum), T::of(lr));
                for ((p, g), m) in params.iter_mut().zip(grads).zip(&mut self.m) {
                    *m = mu * *m + *g;
                    *p -= lr * *m;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_first_step_moves_each_parameter_by_lr() {
        // With bias correction the first Adam step is lr · g/|g| (up to ε).
        let mut opt = Optimizer::<f64>::new(OptimizerKind::default(), 3);
        let mut p = [0.0, 0.0, 0.0];
        opt.update(&mut p, &[2.0, -0.5, 1e-3], 0.1);
        for (got, want) in p.iter().zip([-0.1, 0.1, -0.1]) {
            assert!((got - want).abs() < 1e-6, "{got} vs {want}");
        }
    }

    #[test]
    fn sgd_minimises_a_quadratic() {
        let mut opt = Optimizer::<f64>::new(OptimizerKind::Sgd { momentum: 0.5 }, 1);
        let mut p = [4.0];
        for _ in 0..200 {
            let g = [2.0 * (p[0] - 1.0)];
            opt.update(&mut p, &g, 0.1);
        }
        assert!((p[0] - 1.0).abs() < 1e-9);
    }
}
