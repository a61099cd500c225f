//! One time step of each cell, forward and backward, on a batch.
//!
//! All buffers are row-major, one row per trial. Shapes (`N` hidden units, `S` state length,
//! `G` gate rows, `C` cache length): `h_prev`, `next`, `d_next`, `d_prev`: `B × S`;
//! `xp` (input projection incl. `b_x`), `dgh`, `dgx`: `B × G`; `cache`: `B × C`.
//!
//! The backward step is the vector–Jacobian product of the forward step: given `d_next =
//! ∂L/∂h_{t+1}` it writes `d_prev = ∂L/∂h_t` and the gradients with respect to the gate
//! pre-activations on the recurrent side (`dgh`, for `W_h`) and the input side (`dgx`, for
//! `W_x` and `b_x`; the same as `dgh` except in the GRU, where the reset gate multiplies the
//! recurrent term only).

use super::{Activation, CellKind, Rnn};
use faer::{Accum, MatRef};
use neurodyn_core::mat::{gemm, strided, strided_mut, view, view_mut};
use neurodyn_core::Real;

#[inline(always)]
fn activate<T: Real>(act: Activation, u: T) -> T {
    match act {
        Activation::Tanh => u.tanh_(),
        Activation::Relu => u.max_(T::ZERO),
        Activation::Softplus => u.softplus(),
    }
}

/// `φ'(u)` written in terms of `a = φ(u)`.
#[inline(always)]
fn activation_slope<T: Real>(act: Activation, a: T) -> T {
    match act {
        Activation::Tanh => T::ONE - a * a,
        Activation::Relu => {
            if a > T::ZERO {
                T::ONE
            } else {
                T::ZERO
            }
        }
        // softplus' = σ(u) = 1 − e^{−a}
        Activation::Softplus => T::ONE - (-a).exp_(),
    }
}

/// `next = F(h_prev)`; `cache` receives what [`backward_step`] needs.
pub(super) fn forward_step<T: Real>(
    rnn: &Rnn<T>,
    w_h: MatRef<'_, T>,
    h_prev: &[T],
    xp: &[T],
    next: &mut [T],
    cache: &mut [T],
) {
    let c = &rnn.config;
    let n = c.n_hidden;
    let s = rnn.state_len();
    let g = rnn.gates();
    let batch = h_prev.len() / s;
    let h = strided(h_prev, batch, n, s);
    match c.cell {
        CellKind::Vanilla => {
            // cache = W_x x + b_x + W_h h, then a = φ(cache).
            cache[..batch * n].copy_from_slice(&xp[..batch * n]);
            gemm(view_mut(cache, batch, n), Accum::Add, h, w_h.transpose());
            let alpha = T::of(c.alpha);
            let keep = T::ONE - alpha;
            let act = c.activation;
            for (k, u) in cache[..batch * n].iter_mut().enumerate() {
                let a = activate(act, *u);
                *u = a;
                next[k] = keep * h_prev[k] + alpha * a;
            }
        }
        CellKind::Gru => {
            // cache[:, 0..3N] = W_h h, then per unit: r, z, n, and W_hn h + b_hn.
            let cw = 4 * n;
            gemm(strided_mut(cache, batch, g, cw), Accum::Replace, h, w_h.transpose());
            let b_h = &rnn.params[rnn.layout.b_h.clone()];
            for b in 0..batch {
                let row = &mut cache[b * cw..(b + 1) * cw];
                let x = &xp[b * g..(b + 1) * g];
                for j in 0..n {
                    let ghn = row[2 * n + j] + b_h[2 * n + j];
                    let r = (x[j] + row[j] + b_h[j]).sigmoid();
                    let z = (x[n + j] + row[n + j] + b_h[n + j]).sigmoid();
                    let nn = (x[2 * n + j] + r * ghn).tanh_();
                    row[j] = r;
                    row[n + j] = z;
                    row[2 * n + j] = nn;
                    row[3 * n + j] = ghn;
                    next[b * s + j] = (T::ONE - z) * nn + z * h_prev[b * s + j];
                }
            }
        }
        CellKind::Lstm => {
            // cache[:, 0..4N] = W_x x + b_x + W_h h, then i, f, g, o and tanh(c').
            let cw = 5 * n;
            for b in 0..batch {
                cache[b * cw..b * cw + g].copy_from_slice(&xp[b * g..(b + 1) * g]);
            }
            gemm(strided_mut(cache, batch, g, cw), Accum::Add, h, w_h.transpose());
            for b in 0..batch {
                let row = &mut cache[b * cw..(b + 1) * cw];
                for j in 0..n {
                    let i = row[j].sigmoid();
                    let f = row[n + j].sigmoid();
                    let gg = row[2 * n + j].tanh_();
                    let o = row[3 * n + j].sigmoid();
                    let c_new = f * h_prev[b * s + n + j] + i * gg;
                    let tc = c_new.tanh_();
                    row[j] = i;
                    row[n + j] = f;
                    row[2 * n + j] = gg;
                    row[3 * n + j] = o;
                    row[4 * n + j] = tc;
                    next[b * s + j] = o * tc;
                    next[b * s + n + j] = c_new;
                }
            }
        }
    }
}

/// Vector–Jacobian product of [`forward_step`]: from `d_next` to `d_prev`, `dgh` and `dgx`.
///
/// `dgx` is only written for the GRU; for the other cells it equals `dgh`.
pub(super) fn backward_step<T: Real>(
    rnn: &Rnn<T>,
    w_h: MatRef<'_, T>,
    h_prev: &[T],
    cache: &[T],
    d_next: &[T],
    dgh: &mut [T],
    dgx: Option<&mut [T]>,
    d_prev: &mut [T],
) {
    let c = &rnn.config;
    let n = c.n_hidden;
    let s = rnn.state_len();
    let g = rnn.gates();
    let batch = h_prev.len() / s;
    match c.cell {
        CellKind::Vanilla => {
            let alpha = T::of(c.alpha);
            let keep = T::ONE - alpha;
            let act = c.activation;
            for k in 0..batch * n {
                dgh[k] = alpha * d_next[k] * activation_slope(act, cache[k]);
                d_prev[k] = keep * d_next[k];
            }
        }
        CellKind::Gru => {
            let dgx = dgx.expect("the GRU backward step writes dgx");
            let cw = 4 * n;
            for b in 0..batch {
                let row = &cache[b * cw..(b + 1) * cw];
                for j in 0..n {
                    let (r, z, nn, ghn) = (row[j], row[n + j], row[2 * n + j], row[3 * n + j]);
                    let dh = d_next[b * s + j];
                    let dpre_n = dh * (T::ONE - z) * (T::ONE - nn * nn);
                    let dpre_z = dh * (h_prev[b * s + j] - nn) * z * (T::ONE - z);
                    let dpre_r = dpre_n * ghn * r * (T::ONE - r);
                    let (x, hh) = (&mut dgx[b * g..(b + 1) * g], &mut dgh[b * g..(b + 1) * g]);
                    x[j] = dpre_r;
                    x[n + j] = dpre_z;
                    x[2 * n + j] = dpre_n;
                    hh[j] = dpre_r;
                    hh[n + j] = dpre_z;
                    hh[2 * n + j] = dpre_n * r;
                    d_prev[b * s + j] = dh * z;
                }
            }
        }
        CellKind::Lstm => {
            let cw = 5 * n;
            for b in 0..batch {
                let row = &cache[b * cw..(b + 1) * cw];
                let d = &mut dgh[b * g..(b + 1) * g];
                for j in 0..n {
                    let (i, f, gg, o, tc) = (row[j], row[n + j], row[2 * n + j], row[3 * n + j], row[4 * n + j]);
                    let dh = d_next[b * s + j];
                    let dc = d_next[b * s + n + j] + dh * o * (T::ONE - tc * tc);
                    d[j] = dc * gg * i * (T::ONE - i);
                    d[n + j] = dc * h_prev[b * s + n + j] * f * (T::ONE - f);
                    d[2 * n + j] = dc * i * (T::ONE - gg * gg);
                    d[3 * n + j] = dh * tc * o * (T::ONE - o);
                    d_prev[b * s + j] = T::ZERO;
                    d_prev[b * s + n + j] = dc * f;
                }
            }
        }
    }
    // Through the recurrent product: d_prev[:, :N] += dgh · W_h.
    gemm(strided_mut(d_prev, batch, n, s), Accum::Add, view(dgh, batch, g), w_h);
}
