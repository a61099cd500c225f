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
use neurodyn_core::Real;
use neurodyn_core::mat::{gemm, strided, strided_mut, view, view_mut};

/// `u ← φ(u)` over a slice, one loop per nonlinearity so that each vectorises.
fn activate_in_place<T: Real>(act: Activation, u: &mut [T]) {
    match act {
        Activation::Tanh => tanh_in_place(u),
        Activation::Relu => u.iter_mut().for_each(|v| *v = v.max_(T::ZERO)),
        Activation::Softplus => u.iter_mut().for_each(|v| *v = v.softplus()),
    }
}

/// `out ← φ'(u)` written in terms of `a = φ(u)`.
fn slope_in_place<T: Real>(act: Activation, a: &[T], out: &mut [T]) {
    let pairs = out.iter_mut().zip(a);
    match act {
        Activation::Tanh => pairs.for_each(|(o, a)| *o = T::ONE - *a * *a),
        Activation::Relu => {
            pairs.for_each(|(o, a)| *o = if *a > T::ZERO { T::ONE } else { T::ZERO })
        }
        // softplus' = σ(u) = 1 − e^{−a}
        Activation::Softplus => pairs.for_each(|(o, a)| *o = T::ONE - (-*a).exp_()),
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
            // cache = W_h h, then a = φ(cache + W_x x + b_x).
            gemm(view_mut(cache, batch, n), Accum::Replace, h, w_h.transpose());
            let rows = batch * n;
            let (cache, xp) = (&mut cache[..rows], &xp[..rows]);
            // The elementwise passes compiled for the widest SIMD the CPU has (same operations,
            // same order: the same bits at every level).
            pulp::Arch::new().dispatch(
                #[inline(always)]
                || cache.iter_mut().zip(xp).for_each(|(u, x)| *u += *x),
            );
            activate_in_place(c.activation, cache);
            let alpha = T::of(c.alpha);
            let keep = T::ONE - alpha;
            let (next, h_prev) = (&mut next[..rows], &h_prev[..rows]);
            pulp::Arch::new().dispatch(
                #[inline(always)]
                || {
                    for ((next, h), a) in next.iter_mut().zip(h_prev).zip(cache.iter()) {
                        *next = keep * *h + alpha * *a;
                    }
                },
            );
        }
        CellKind::Gru => {
            // cache[:, 0..3N] = W_h h, then per unit: r, z, n, and W_hn h + b_hn.
            let cw = 4 * n;
            gemm(strided_mut(cache, batch, g, cw), Accum::Replace, h, w_h.transpose());
            let b_h = &rnn.params[rnn.layout.b_h.clone()];
            let (bh_r, bh_z, bh_n) = (&b_h[..n], &b_h[n..2 * n], &b_h[2 * n..3 * n]);
            for b in 0..batch {
                let (r, rest) = cache[b * cw..(b + 1) * cw].split_at_mut(n);
                let (z, rest) = rest.split_at_mut(n);
                let (nn, ghn) = rest.split_at_mut(n);
                let x = &xp[b * g..(b + 1) * g];
                let (x_r, x_z, x_n) = (&x[..n], &x[n..2 * n], &x[2 * n..]);
                let h = &h_prev[b * s..b * s + n];
                let out = &mut next[b * s..b * s + n];
                // Simple passes over exact-length rows vectorise; one fused loop did not.
                // On entry r, z, nn hold W_h{r,z,n} h; they are overwritten by the gates.
                add3(r, x_r, bh_r);
                add3(z, x_z, bh_z);
                sigmoid_in_place(r);
                sigmoid_in_place(z);
                for (((g, nn), bh), (x, r)) in
                    ghn.iter_mut().zip(nn.iter_mut()).zip(bh_n).zip(x_n.iter().zip(r.iter()))
                {
                    *g = *nn + *bh;
                    *nn = *x + *r * *g;
                }
                tanh_in_place(nn);
                for (((o, z), n), h) in out.iter_mut().zip(z.iter()).zip(nn.iter()).zip(h) {
                    *o = (T::ONE - *z) * *n + *z * *h;
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
                let (i, rest) = cache[b * cw..(b + 1) * cw].split_at_mut(n);
                let (f, rest) = rest.split_at_mut(n);
                let (gg, rest) = rest.split_at_mut(n);
                let (o, tc) = rest.split_at_mut(n);
                let (h_out, c_out) = next[b * s..(b + 1) * s].split_at_mut(n);
                let c_prev = &h_prev[b * s + n..(b + 1) * s];
                sigmoid_in_place(i);
                sigmoid_in_place(f);
                tanh_in_place(gg);
                sigmoid_in_place(o);
                for ((((c_new, f), c), i), g) in
                    c_out.iter_mut().zip(f.iter()).zip(c_prev).zip(i.iter()).zip(gg.iter())
                {
                    *c_new = *f * *c + *i * *g;
                }
                tc.copy_from_slice(c_out);
                tanh_in_place(tc);
                for ((h, o), t) in h_out.iter_mut().zip(o.iter()).zip(tc.iter()) {
                    *h = *o * *t;
                }
            }
        }
    }
}

/// `acc ← acc + a + b`, elementwise.
fn add3<T: Real>(acc: &mut [T], a: &[T], b: &[T]) {
    for ((v, a), b) in acc.iter_mut().zip(a).zip(b) {
        *v += *a + *b;
    }
}

fn sigmoid_in_place<T: Real>(xs: &mut [T]) {
    T::sigmoid_slice(xs);
}

fn tanh_in_place<T: Real>(xs: &mut [T]) {
    T::tanh_slice(xs);
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
            let rows = batch * n;
            if c.activation == Activation::Tanh {
                // One pass, compiled for the widest SIMD the CPU has: the same operations in
                // the same order as the two-pass path below, so the same bits.
                let (dgh, d_prev, d_next, a) =
                    (&mut dgh[..rows], &mut d_prev[..rows], &d_next[..rows], &cache[..rows]);
                pulp::Arch::new().dispatch(
                    #[inline(always)]
                    || {
                        for (((dg, dp), dn), a) in
                            dgh.iter_mut().zip(d_prev.iter_mut()).zip(d_next).zip(a)
                        {
                            *dg = (T::ONE - *a * *a) * (alpha * *dn);
                            *dp = keep * *dn;
                        }
                    },
                );
            } else {
                slope_in_place(c.activation, &cache[..rows], &mut dgh[..rows]);
                for ((dg, dp), dn) in
                    dgh[..rows].iter_mut().zip(&mut d_prev[..rows]).zip(&d_next[..rows])
                {
                    *dg *= alpha * *dn;
                    *dp = keep * *dn;
                }
            }
        }
        CellKind::Gru => {
            let dgx = dgx.expect("the GRU backward step writes dgx");
            let cw = 4 * n;
            for b in 0..batch {
                let row = &cache[b * cw..(b + 1) * cw];
                let (r, z, nn, ghn) =
                    (&row[..n], &row[n..2 * n], &row[2 * n..3 * n], &row[3 * n..]);
                let (x_r, rest) = dgx[b * g..(b + 1) * g].split_at_mut(n);
                let (x_z, x_n) = rest.split_at_mut(n);
                let (h_r, rest) = dgh[b * g..(b + 1) * g].split_at_mut(n);
                let (h_z, h_n) = rest.split_at_mut(n);
                let h = &h_prev[b * s..b * s + n];
                let dh = &d_next[b * s..b * s + n];
                let dp = &mut d_prev[b * s..b * s + n];
                let (r, z, nn, ghn) = (&r[..n], &z[..n], &nn[..n], &ghn[..n]);
                let (x_r, x_z, x_n, h_r, h_z, h_n) = (
                    &mut x_r[..n],
                    &mut x_z[..n],
                    &mut x_n[..n],
                    &mut h_r[..n],
                    &mut h_z[..n],
                    &mut h_n[..n],
                );
                for j in 0..n {
                    let dpre_n = dh[j] * (T::ONE - z[j]) * (T::ONE - nn[j] * nn[j]);
                    let dpre_z = dh[j] * (h[j] - nn[j]) * z[j] * (T::ONE - z[j]);
                    let dpre_r = dpre_n * ghn[j] * r[j] * (T::ONE - r[j]);
                    x_r[j] = dpre_r;
                    x_z[j] = dpre_z;
                    x_n[j] = dpre_n;
                    h_r[j] = dpre_r;
                    h_z[j] = dpre_z;
                    h_n[j] = dpre_n * r[j];
                    dp[j] = dh[j] * z[j];
                }
            }
        }
        CellKind::Lstm => {
            let cw = 5 * n;
            for b in 0..batch {
                let row = &cache[b * cw..(b + 1) * cw];
                let (i, f, gg, o, tc) = (
                    &row[..n],
                    &row[n..2 * n],
                    &row[2 * n..3 * n],
                    &row[3 * n..4 * n],
                    &row[4 * n..],
                );
                let (d_i, rest) = dgh[b * g..(b + 1) * g].split_at_mut(n);
                let (d_f, rest) = rest.split_at_mut(n);
                let (d_g, d_o) = rest.split_at_mut(n);
                let (dh, dc_next) = d_next[b * s..(b + 1) * s].split_at(n);
                let c_prev = &h_prev[b * s + n..(b + 1) * s];
                let (dh_prev, dc_prev) = d_prev[b * s..(b + 1) * s].split_at_mut(n);
                let (i, f, gg, o, tc) = (&i[..n], &f[..n], &gg[..n], &o[..n], &tc[..n]);
                let (d_i, d_f, d_g, d_o) =
                    (&mut d_i[..n], &mut d_f[..n], &mut d_g[..n], &mut d_o[..n]);
                let (dh, dc_next, c_prev, dh_prev, dc_prev) =
                    (&dh[..n], &dc_next[..n], &c_prev[..n], &mut dh_prev[..n], &mut dc_prev[..n]);
                for j in 0..n {
                    let dc = dc_next[j] + dh[j] * o[j] * (T::ONE - tc[j] * tc[j]);
                    d_i[j] = dc * gg[j] * i[j] * (T::ONE - i[j]);
                    d_f[j] = dc * c_prev[j] * f[j] * (T::ONE - f[j]);
                    d_g[j] = dc * i[j] * (T::ONE - gg[j] * gg[j]);
                    d_o[j] = dh[j] * tc[j] * o[j] * (T::ONE - o[j]);
                    dh_prev[j] = T::ZERO;
                    dc_prev[j] = dc * f[j];
                }
            }
        }
    }
    // Through the recurrent product: d_prev[:, :N] += dgh · W_h.
    gemm(strided_mut(d_prev, batch, n, s), Accum::Add, view(dgh, batch, g), w_h);
}
