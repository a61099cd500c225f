//! Decompositions of neural data (one module per method: config, algorithm, result).
//!
//! - [`amp`]: Bayes-optimal AMP for rank-1 spiked matrices and order-3 tensors, its state
//!   evolution and regimes, rank-1 ALS;
//! - [`cnmf`]: convolutive NMF (motifs of length L) by MU (with the seqNMF penalty) or HALS;
//! - [`cp`]: CP decomposition of order-3 tensors by ALS, with masks;
//! - [`nmf`]: non-negative matrix factorisation by multiplicative updates or HALS, with masks;
//! - [`factor_match_score`]: similarity of two sets of factors up to permutation.
//!
//! Data are row-major `f64` matrices. A mask marks observed entries (`true`); unobserved entries
//! are ignored by the fit — never zero-filled — and their values (even NaN) do not matter.

pub mod amp;
pub mod cnmf;
pub mod cp;
pub mod nmf;

/// The mask as 0/1 weights and the data with unobserved entries replaced by 0 (never read as
/// data: every use multiplies by the weight or skips weight-0 entries).
pub(crate) fn masked(x: &[f64], mask: Option<&[bool]>) -> (Vec<f64>, Vec<f64>) {
    let observed = |t: usize| mask.is_none_or(|m| m[t]);
    let weights = (0..x.len()).map(|t| if observed(t) { 1.0 } else { 0.0 }).collect();
    let data = (0..x.len()).map(|t| if observed(t) { x[t] } else { 0.0 }).collect();
    (weights, data)
}

/// Pairwise products of the columns of `f` (`n × k`, row-major): `n × k(k+1)/2`, column `(s, u)`
/// for `s ≤ u` in row-major upper-triangle order holding `f[:, s] ∗ f[:, u]`. The mask times
/// these (or their Khatri–Rao product) gives every row's weighted Gram `Σ_j M_ij f_j f_jᵀ` at
/// once, as one matrix product, packed by [`unpack_gram`].
pub(crate) fn column_pairs(f: &[f64], n: usize, k: usize) -> Vec<f64> {
    let pairs = k * (k + 1) / 2;
    let mut out = Vec::with_capacity(n * pairs);
    for row in f.chunks_exact(k).take(n) {
        for s in 0..k {
            out.extend(row[s..].iter().map(|v| row[s] * v));
        }
    }
    out
}

/// The full symmetric `k × k` matrix (row-major, into `out`) from its upper triangle packed as
/// [`column_pairs`] orders it.
pub(crate) fn unpack_gram(packed: &[f64], k: usize, out: &mut [f64]) {
    let mut t = 0;
    for s in 0..k {
        for u in s..k {
            out[s * k + u] = packed[t];
            out[u * k + s] = packed[t];
            t += 1;
        }
    }
}

/// One exact coordinate pass of non-negative least squares `min_{f ≥ 0} ½ fᵀGf − mᵀf` over
/// the entries of `f` in order: `f_s ← max(0, f_s + (m_s − (Gf)_s) / G_ss)`, skipping
/// coordinates with `G_ss = 0` (no observation informs them). The HALS update of one row.
pub(crate) fn hals_row(f: &mut [f64], gram: &[f64], m: &[f64]) {
    let k = f.len();
    for s in 0..k {
        let g = &gram[s * k..(s + 1) * k];
        if g[s] > 0.0 {
            let gf: f64 = g.iter().zip(f.iter()).map(|(a, b)| a * b).sum();
            f[s] = (f[s] + (m[s] - gf) / g[s]).max(0.0);
        }
    }
}

/// Appends `loss` to the history; true when its relative decrease over the previous value is at
/// most `tol` (the stopping rule shared by every iterative fit here).
pub(crate) fn record_and_check(history: &mut Vec<f64>, loss: f64, tol: f64) -> bool {
    let prev = *history.last().unwrap_or(&loss);
    history.push(loss);
    prev - loss <= tol * prev.max(f64::MIN_POSITIVE)
}

/// Factor match score of two sets of `k` factors given as matrices with one factor per column
/// (`rows × k`, row-major): the mean absolute cosine similarity of matched columns, maximised
/// over permutations (exhaustively for `k ≤ 8`, greedily above). 1 = identical up to order and
/// scale.
pub fn factor_match_score(a: &[f64], b: &[f64], rows: usize, k: usize) -> f64 {
    let col = |m: &[f64], j: usize| -> Vec<f64> { (0..rows).map(|i| m[i * k + j]).collect() };
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt().max(f64::MIN_POSITIVE);
    let cos: Vec<f64> = (0..k)
        .flat_map(|i| {
            let ai = col(a, i);
            (0..k).map(move |j| {
                let bj = col(b, j);
                (ai.iter().zip(&bj).map(|(x, y)| x * y).sum::<f64>() / (norm(&ai) * norm(&bj)))
                    .abs()
            })
        })
        .collect();
    let best = if k <= 8 { best_permutation(&cos, k) } else { greedy_matching(&cos, k) };
    best / k as f64
}

/// Largest sum of `cos[i][σ(i)]` over permutations σ (Heap-free recursion over unused columns).
fn best_permutation(cos: &[f64], k: usize) -> f64 {
    fn go(cos: &[f64], k: usize, row: usize, used: &mut [bool]) -> f64 {
        if row == k {
            return 0.0;
        }
        let mut best = f64::NEG_INFINITY;
        for j in 0..k {
            if !used[j] {
                used[j] = true;
                best = best.max(cos[row * k + j] + go(cos, k, row + 1, used));
                used[j] = false;
            }
        }
        best
    }
    go(cos, k, 0, &mut vec![false; k])
}

fn greedy_matching(cos: &[f64], k: usize) -> f64 {
    let mut pairs: Vec<(usize, usize)> = (0..k).flat_map(|i| (0..k).map(move |j| (i, j))).collect();
    pairs.sort_by(|p, q| cos[q.0 * k + q.1].total_cmp(&cos[p.0 * k + p.1]));
    let (mut rows, mut cols) = (vec![false; k], vec![false; k]);
    let mut sum = 0.0;
    for (i, j) in pairs {
        if !rows[i] && !cols[j] {
            rows[i] = true;
            cols[j] = true;
            sum += cos[i * k + j];
        }
    }
    sum
}
