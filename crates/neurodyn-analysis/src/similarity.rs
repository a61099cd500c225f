//! Representational similarity between two sets of responses to the same `n` conditions:
//! `X` (`n × p`) and `Y` (`n × q`), row-major, rows paired.
//!
//! - [`cca`]: canonical correlations (Hotelling 1936), via the singular values of `Q_xᵀ Q_y`
//!   for thin QR factors of the centred data;
//! - [`svcca`]: CCA after keeping the top principal directions of each side (Raghu et al. 2017);
//! - [`linear_cka`], [`rbf_cka`]: centred kernel alignment (Kornblith et al. 2019);
//! - [`procrustes_distance`]: the orthogonal Procrustes shape distance between centred,
//!   unit-norm configurations (Williams, Kunz, Kornblith & Linderman 2021).

use faer::Mat;
use neurodyn_core::mat::gemm;

/// Centred copy of a `rows × cols` matrix (column means removed), as a faer matrix.
fn centred(data: &[f64], rows: usize, cols: usize) -> Mat<f64> {
    crate::columns::centred(data, rows, cols).0
}

fn product_t(a: &Mat<f64>, b: &Mat<f64>) -> Mat<f64> {
    let mut out = Mat::zeros(a.ncols(), b.ncols());
    gemm(out.as_mut(), faer::Accum::Replace, a.transpose(), b.as_ref());
    out
}

fn frobenius_sq(m: &Mat<f64>) -> f64 {
    m.col_iter().map(|c| c.iter().map(|v| v * v).sum::<f64>()).sum()
}

/// Pearson's correlation coefficient of two equally long samples (NaN when either is
/// constant).
pub fn pearson(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "pearson: samples of different lengths");
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

/// Canonical correlations of `x` (`n × p`) and `y` (`n × q`), descending; `min(p, q)` values
/// (requires `n > p, q` and full column rank).
pub fn cca(x: &[f64], y: &[f64], n: usize) -> Vec<f64> {
    let (p, q) = (x.len() / n, y.len() / n);
    let qx = centred(x, n, p).qr().compute_thin_Q();
    let qy = centred(y, n, q).qr().compute_thin_Q();
    let mut s = product_t(&qx, &qy).singular_values().unwrap_or_default();
    s.iter_mut().for_each(|v| *v = v.clamp(0.0, 1.0));
    s.sort_by(|a, b| b.total_cmp(a));
    s
}

/// Projection of centred data on its top principal directions explaining `variance_kept` of
/// the variance (`n × k`, row-major).
fn top_components(data: &[f64], n: usize, variance_kept: f64) -> (Vec<f64>, usize) {
    let cols = data.len() / n;
    let c = centred(data, n, cols);
    let Ok(svd) = c.thin_svd() else { return (Vec::new(), 0) };
    let s: Vec<f64> = (0..svd.S().dim()).map(|i| svd.S()[i]).collect();
    let total: f64 = s.iter().map(|v| v * v).sum();
    let mut acc = 0.0;
    let mut k = 0;
    while k < s.len() && acc < variance_kept * total {
        acc += s[k] * s[k];
        k += 1;
    }
    let u = svd.U();
    let s = &s;
    let out = (0..n).flat_map(|i| (0..k).map(move |j| u[(i, j)] * s[j])).collect();
    (out, k)
}

/// SVCCA: mean canonical correlation after reducing each side to the principal directions that
/// explain `variance_kept` (e.g. 0.99) of its variance.
pub fn svcca(x: &[f64], y: &[f64], n: usize, variance_kept: f64) -> f64 {
    let (xr, kx) = top_components(x, n, variance_kept);
    let (yr, ky) = top_components(y, n, variance_kept);
    if kx == 0 || ky == 0 {
        return f64::NAN;
    }
    let rho = cca(&xr, &yr, n);
    rho.iter().sum::<f64>() / rho.len() as f64
}

/// Linear CKA: `‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F)` on column-centred data.
pub fn linear_cka(x: &[f64], y: &[f64], n: usize) -> f64 {
    let (cx, cy) = (centred(x, n, x.len() / n), centred(y, n, y.len() / n));
    let cross = frobenius_sq(&product_t(&cy, &cx));
    cross / (frobenius_sq(&product_t(&cx, &cx)).sqrt() * frobenius_sq(&product_t(&cy, &cy)).sqrt())
}

/// A similarity measure between two response matrices, for [`pairwise`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Measure {
    /// [`svcca`] keeping the principal directions that explain this fraction of the variance.
    Svcca(f64),
    /// [`linear_cka`].
    LinearCka,
}

/// What [`pairwise`] keeps of one response matrix: its orthonormal SVCCA basis, or its centred
/// data and `‖XᵀX‖_F`.
enum Reduced {
    Basis(Mat<f64>),
    Centred(Mat<f64>, f64),
}

fn reduce(x: &[f64], n: usize, measure: Measure) -> Option<Reduced> {
    let c = centred(x, n, x.len() / n);
    match measure {
        Measure::Svcca(variance_kept) => {
            // The top-k reduced data U_k S_k span the columns of U_k, which is orthonormal
            // and centred: the CCA of two reduced sets is the singular values of U_xᵀ U_y.
            let svd = c.thin_svd().ok()?;
            let s: Vec<f64> = (0..svd.S().dim()).map(|i| svd.S()[i]).collect();
            let total: f64 = s.iter().map(|v| v * v).sum();
            let (mut acc, mut k) = (0.0, 0);
            while k < s.len() && acc < variance_kept * total {
                acc += s[k] * s[k];
                k += 1;
            }
            (k > 0).then(|| Reduced::Basis(svd.U().subcols(0, k).to_owned()))
        }
        Measure::LinearCka => {
            let norm = frobenius_sq(&product_t(&c, &c)).sqrt();
            Some(Reduced::Centred(c, norm))
        }
    }
}

/// The `k × k` matrix (row-major) of `measure` between every pair of `k` response matrices,
/// each `n × p_i` row-major with rows paired across sets (e.g. the hidden states of many
/// networks on one common batch). Each set is reduced once (its SVD or its centring), so a
/// population of networks costs `k` reductions and `k(k−1)/2` small products; pairs run in
/// parallel on the caller's rayon pool. Equal to calling [`svcca`] or [`linear_cka`] on
/// every pair (to rounding). A set that cannot be reduced (no variance) gives `NaN` entries.
pub fn pairwise(sets: &[&[f64]], n: usize, measure: Measure) -> Vec<f64> {
    use rayon::prelude::*;
    let k = sets.len();
    let reduced: Vec<Option<Reduced>> = sets.par_iter().map(|x| reduce(x, n, measure)).collect();
    let pairs: Vec<(usize, usize)> = (0..k).flat_map(|a| (a + 1..k).map(move |b| (a, b))).collect();
    let values: Vec<f64> = pairs
        .par_iter()
        .map(|&(a, b)| match (&reduced[a], &reduced[b]) {
            (Some(Reduced::Basis(x)), Some(Reduced::Basis(y))) => {
                let s = product_t(x, y).singular_values().unwrap_or_default();
                s.iter().map(|v| v.clamp(0.0, 1.0)).sum::<f64>() / s.len().max(1) as f64
            }
            (Some(Reduced::Centred(x, nx)), Some(Reduced::Centred(y, ny))) => {
                frobenius_sq(&product_t(y, x)) / (nx * ny)
            }
            _ => f64::NAN,
        })
        .collect();
    let mut out = vec![1.0; k * k];
    for (&(a, b), v) in pairs.iter().zip(values) {
        out[a * k + b] = v;
        out[b * k + a] = v;
    }
    for (a, r) in reduced.iter().enumerate() {
        if r.is_none() {
            out[a * k + a] = f64::NAN;
        }
    }
    out
}

/// Centred Gaussian Gram matrix `H K H`, bandwidth `σ = sigma_factor × median pairwise distance`.
fn centred_rbf_gram(data: &[f64], n: usize, sigma_factor: f64) -> Mat<f64> {
    let d = data.len() / n;
    let sq = Mat::from_fn(n, n, |i, j| {
        data[i * d..(i + 1) * d]
            .iter()
            .zip(&data[j * d..(j + 1) * d])
            .map(|(a, b)| (a - b) * (a - b))
            .sum::<f64>()
    });
    let mut dists: Vec<f64> = (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .map(|(i, j)| sq[(i, j)].sqrt())
        .collect();
    let mid = dists.len() / 2;
    let median =
        if dists.is_empty() { 1.0 } else { *dists.select_nth_unstable_by(mid, f64::total_cmp).1 };
    let sigma = (sigma_factor * median).max(f64::MIN_POSITIVE);
    let k = Mat::from_fn(n, n, |i, j| (-sq[(i, j)] / (2.0 * sigma * sigma)).exp());
    let row: Vec<f64> = (0..n).map(|i| (0..n).map(|j| k[(i, j)]).sum::<f64>() / n as f64).collect();
    let all = row.iter().sum::<f64>() / n as f64;
    Mat::from_fn(n, n, |i, j| k[(i, j)] - row[i] - row[j] + all)
}

/// RBF CKA with bandwidths `sigma_factor × median distance` on each side (Kornblith et al. use
/// 0.2–0.8): `⟨K̃, L̃⟩ / (‖K̃‖ ‖L̃‖)` with `K̃ = HKH`.
pub fn rbf_cka(x: &[f64], y: &[f64], n: usize, sigma_factor: f64) -> f64 {
    let (k, l) = (centred_rbf_gram(x, n, sigma_factor), centred_rbf_gram(y, n, sigma_factor));
    let dot: f64 =
        (0..n).flat_map(|i| (0..n).map(move |j| (i, j))).map(|(i, j)| k[(i, j)] * l[(i, j)]).sum();
    dot / (frobenius_sq(&k).sqrt() * frobenius_sq(&l).sqrt())
}

/// Orthogonal Procrustes distance between configurations with the same number of columns
/// (pad the narrower with zeros first): after centring and scaling each to unit Frobenius norm,
/// `min_Q ‖X − Y Q‖_F = √(2 − 2‖XᵀY‖_*)` over orthogonal `Q`. Returns that Euclidean distance
/// and the angular one `arccos ‖XᵀY‖_*` (a metric; Williams et al. 2021).
pub fn procrustes_distance(x: &[f64], y: &[f64], n: usize) -> (f64, f64) {
    let cols = x.len() / n;
    assert_eq!(y.len(), n * cols, "procrustes_distance needs equally wide configurations");
    let normalised = |d: &[f64]| {
        let c = centred(d, n, cols);
        let norm = frobenius_sq(&c).sqrt().max(f64::MIN_POSITIVE);
        Mat::from_fn(n, cols, |i, j| c[(i, j)] / norm)
    };
    let (cx, cy) = (normalised(x), normalised(y));
    let nuclear: f64 =
        product_t(&cx, &cy).singular_values().unwrap_or_default().iter().sum::<f64>().min(1.0);
    ((2.0 - 2.0 * nuclear).max(0.0).sqrt(), nuclear.acos())
}
