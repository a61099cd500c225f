//! Seeded data sets for feed-forward learning-dynamics studies: inputs and targets as
//! row-major `examples × channels` arrays, a training set and a held-out test set.
//!
//! - [`LinearTeacher`]: `y = T x + ε` with a teacher `T = U diag(s) Vᵀ` of chosen singular
//!   values (Saxe, McClelland & Ganguli 2013, arXiv:1312.6120; Lampinen & Ganguli 2019,
//!   arXiv:1809.10374); inputs whitened (`Xᵀ X / P = I` exactly) or Gaussian.
//! - [`Hierarchy`]: items at the leaves of a binary tree whose features diffuse down the tree,
//!   each flipping sign with a small probability per branch (Saxe, McClelland & Ganguli 2019,
//!   arXiv:1810.10531); inputs are one-hot items scaled by `√P` so `Xᵀ X / P = I`.
//! - [`Mixture`]: Gaussian clusters, one per class, with one-hot targets (classification).
//! - [`Shapes`]: small rendered images of circles, squares and triangles with random position,
//!   size and rotation — an image manifold of known intrinsic dimension (4; 3 for circles) —
//!   labelled by shape (Recanatesi et al. 2019, arXiv:1906.00443, use natural images; this is
//!   their laptop-scale stand-in).

use faer::Mat;
use neurodyn_core::{RangeError, check, rng};
use rand::RngExt;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// A supervised data set, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Input channels.
    pub n_in: usize,
    /// Output channels.
    pub n_out: usize,
    /// Training examples `P`.
    pub n_train: usize,
    /// Held-out examples.
    pub n_test: usize,
    /// `P × n_in`.
    pub x_train: Vec<f64>,
    /// `P × n_out`.
    pub y_train: Vec<f64>,
    /// `n_test × n_in`.
    pub x_test: Vec<f64>,
    /// `n_test × n_out`, noise-free targets where the generator has a teacher.
    pub y_test: Vec<f64>,
}

impl Dataset {
    /// The input–output correlation `Σ_yx = Yᵀ X / P` of the training set (`n_out × n_in`).
    pub fn input_output_correlation(&self) -> Mat<f64> {
        let p = self.n_train as f64;
        let (x, y) = (&self.x_train, &self.y_train);
        Mat::from_fn(self.n_out, self.n_in, |i, j| {
            (0..self.n_train).map(|m| y[m * self.n_out + i] * x[m * self.n_in + j]).sum::<f64>() / p
        })
    }
}

fn gaussian(rows: usize, cols: usize, seed: u64, stream: &str) -> Mat<f64> {
    let mut r = rng::stream(seed, stream, 0);
    Mat::from_fn(rows, cols, |_, _| StandardNormal.sample(&mut r))
}

/// `rows × cols` (`rows ≥ cols`) with orthonormal columns, Haar-distributed.
fn orthonormal_columns(rows: usize, cols: usize, seed: u64, stream: &str) -> Mat<f64> {
    let qr = gaussian(rows, cols, seed, stream).qr();
    let r = qr.thin_R();
    let signs: Vec<f64> = (0..cols).map(|i| if r[(i, i)] < 0.0 { -1.0 } else { 1.0 }).collect();
    let q = qr.compute_thin_Q();
    Mat::from_fn(rows, cols, |i, j| q[(i, j)] * signs[j])
}

fn row_major(m: &Mat<f64>) -> Vec<f64> {
    (0..m.nrows()).flat_map(|i| (0..m.ncols()).map(move |j| m[(i, j)])).collect()
}

/// A data set as a spec names it: `{ teacher = {…} }`, `{ hierarchy = {…} }` or
/// `{ mixture = {…} }`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Data {
    /// A linear teacher with a chosen spectrum.
    Teacher(LinearTeacher),
    /// Items at the leaves of a binary tree with diffusing features.
    Hierarchy(Hierarchy),
    /// Gaussian clusters, one per class.
    Mixture(Mixture),
    /// Rendered shapes labelled by shape.
    Shapes(Shapes),
}

impl Data {
    /// Checks sizes; fields are named from the variant down (`teacher.n_in`).
    pub fn validate(&self) -> Result<(), RangeError> {
        let (r, name) = match self {
            Data::Teacher(t) => (t.validate(), "teacher"),
            Data::Hierarchy(h) => (h.validate(), "hierarchy"),
            Data::Mixture(m) => (m.validate(), "mixture"),
            Data::Shapes(m) => (m.validate(), "shapes"),
        };
        r.map_err(|mut e| {
            e.field = format!("{name}.{}", e.field);
            e
        })
    }

    /// `(n_in, n_out)`.
    pub fn dims(&self) -> (usize, usize) {
        match self {
            Data::Teacher(t) => (t.n_in, t.n_out),
            Data::Hierarchy(h) => (h.n_items(), h.n_features),
            Data::Mixture(m) => (m.n_in, m.n_classes),
            Data::Shapes(m) => (m.size * m.size, 3),
        }
    }

    /// Training plus held-out examples.
    pub fn n_examples(&self) -> usize {
        match self {
            Data::Teacher(t) => t.n_train + t.n_test,
            Data::Hierarchy(h) => 2 * h.n_items(),
            Data::Mixture(m) => m.n_train + m.n_test,
            Data::Shapes(m) => m.n_train + m.n_test,
        }
    }

    /// Draws the data set from stream `seed`.
    pub fn generate(&self, seed: u64) -> Result<Dataset, RangeError> {
        match self {
            Data::Teacher(t) => t.generate(seed).map(|d| d.data),
            Data::Hierarchy(h) => h.generate(seed),
            Data::Mixture(m) => m.generate(seed),
            Data::Shapes(m) => m.generate(seed),
        }
    }

    /// Training examples.
    pub fn n_train(&self) -> usize {
        match self {
            Data::Teacher(t) => t.n_train,
            Data::Hierarchy(h) => h.n_items(),
            Data::Mixture(m) => m.n_train,
            Data::Shapes(m) => m.n_train,
        }
    }
}

/// How a teacher's inputs are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Inputs {
    /// `X = √P Q` with `Q` orthonormal columns: `Xᵀ X / P = I` exactly (needs `P ≥ n_in`).
    Whitened,
    /// i.i.d. `N(0, 1)` entries.
    Gaussian,
}

/// A linear teacher `y = T x + σ ε` with `T = U diag(s) Vᵀ`, Haar `U`, `V`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearTeacher {
    /// Input channels [1].
    pub n_in: usize,
    /// Output channels [1].
    pub n_out: usize,
    /// The teacher's nonzero singular values `s_α` (its rank is their number) [1].
    pub singular_values: Vec<f64>,
    /// Training examples `P` [1].
    pub n_train: usize,
    /// Held-out examples (Gaussian inputs, noise-free targets) [1].
    #[serde(default)]
    pub n_test: usize,
    /// Output noise `σ` on the training targets [1].
    #[serde(default)]
    pub noise: f64,
    /// How training inputs are drawn.
    #[serde(default = "whitened")]
    pub inputs: Inputs,
}

fn whitened() -> Inputs {
    Inputs::Whitened
}

/// A teacher's data and the teacher itself.
#[derive(Clone, Debug, PartialEq)]
pub struct TeacherData {
    /// The examples.
    pub data: Dataset,
    /// `T` (`n_out × n_in`).
    pub teacher: Mat<f64>,
}

impl LinearTeacher {
    /// Checks sizes.
    pub fn validate(&self) -> Result<(), RangeError> {
        check(self.n_in >= 1 && self.n_in <= 100_000, "n_in", self.n_in, "between 1 and 1e5")?;
        check(self.n_out >= 1 && self.n_out <= 100_000, "n_out", self.n_out, "between 1 and 1e5")?;
        let r = self.singular_values.len();
        check(
            r >= 1 && r <= self.n_in.min(self.n_out),
            "singular_values",
            r,
            "between 1 and min(n_in, n_out) values",
        )?;
        for (i, s) in self.singular_values.iter().enumerate() {
            check(s.is_finite() && *s > 0.0, &format!("singular_values[{i}]"), s, "finite, > 0")?;
        }
        check(
            self.n_train >= 1 && self.n_train <= 10_000_000,
            "n_train",
            self.n_train,
            "between 1 and 1e7",
        )?;
        check(self.n_test <= 10_000_000, "n_test", self.n_test, "at most 1e7")?;
        check(self.noise.is_finite() && self.noise >= 0.0, "noise", self.noise, "finite, >= 0")?;
        if self.inputs == Inputs::Whitened {
            check(
                self.n_train >= self.n_in,
                "n_train",
                self.n_train,
                "at least n_in for whitened inputs",
            )?;
        }
        let cells = (self.n_train + self.n_test) as f64 * (self.n_in + self.n_out) as f64;
        check(cells <= 1e9, "n_train", self.n_train, "at most 1e9 numbers of data")
    }

    /// Draws the teacher and the examples from stream `seed`.
    pub fn generate(&self, seed: u64) -> Result<TeacherData, RangeError> {
        self.validate()?;
        let r = self.singular_values.len();
        let u = orthonormal_columns(self.n_out, r, seed, "teacher/u");
        let v = orthonormal_columns(self.n_in, r, seed, "teacher/v");
        let teacher = Mat::from_fn(self.n_out, self.n_in, |i, j| {
            (0..r).map(|a| u[(i, a)] * self.singular_values[a] * v[(j, a)]).sum()
        });
        let p = self.n_train;
        let x = match self.inputs {
            Inputs::Whitened => {
                let mut q = orthonormal_columns(p, self.n_in, seed, "teacher/x");
                q *= faer::Scale((p as f64).sqrt());
                q
            }
            Inputs::Gaussian => gaussian(p, self.n_in, seed, "teacher/x"),
        };
        let mut y = &x * teacher.transpose();
        if self.noise > 0.0 {
            y += gaussian(p, self.n_out, seed, "teacher/noise") * faer::Scale(self.noise);
        }
        let x_test = gaussian(self.n_test, self.n_in, seed, "teacher/x_test");
        let y_test = &x_test * teacher.transpose();
        let data = Dataset {
            n_in: self.n_in,
            n_out: self.n_out,
            n_train: p,
            n_test: self.n_test,
            x_train: row_major(&x),
            y_train: row_major(&y),
            x_test: row_major(&x_test),
            y_test: row_major(&y_test),
        };
        Ok(TeacherData { data, teacher })
    }
}

/// Items at the leaves of a binary tree with `levels` levels of splits (`2^levels` items);
/// each of `n_features` features is ±1 at the root and flips sign with probability `flip` on
/// every branch down to the items.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hierarchy {
    /// Levels of binary splits: `2^levels` items [1].
    pub levels: usize,
    /// Features per item [1].
    pub n_features: usize,
    /// Probability that a feature flips sign on one branch [1].
    pub flip: f64,
}

impl Hierarchy {
    /// Items `2^levels`.
    pub fn n_items(&self) -> usize {
        1 << self.levels
    }

    /// Checks sizes.
    pub fn validate(&self) -> Result<(), RangeError> {
        check(self.levels >= 1 && self.levels <= 12, "levels", self.levels, "between 1 and 12")?;
        check(
            self.n_features >= 1 && self.n_features <= 1_000_000,
            "n_features",
            self.n_features,
            "between 1 and 1e6",
        )?;
        check(
            self.n_items() as f64 * self.n_features as f64 <= 1e9,
            "n_features",
            self.n_features,
            "at most 1e9 item features",
        )?;
        check((0.0..=0.5).contains(&self.flip), "flip", self.flip, "between 0 and 0.5")
    }

    /// Draws the features: inputs one-hot items × `√P`, targets the items' features; the test
    /// set is the training set (the items are the whole world).
    pub fn generate(&self, seed: u64) -> Result<Dataset, RangeError> {
        self.validate()?;
        let p = self.n_items();
        let f = self.n_features;
        let mut r = rng::stream(seed, "hierarchy/features", 0);
        let mut y = vec![0.0; p * f];
        for k in 0..f {
            // Node values of a complete binary tree, level by level (heap order).
            let mut nodes = vec![if r.random_bool(0.5) { 1.0 } else { -1.0 }];
            for _ in 0..self.levels {
                nodes = nodes
                    .iter()
                    .flat_map(|v| [*v, *v])
                    .map(|v: f64| if r.random_bool(self.flip) { -v } else { v })
                    .collect();
            }
            for (i, v) in nodes.iter().enumerate() {
                y[i * f + k] = *v;
            }
        }
        let scale = (p as f64).sqrt();
        let x: Vec<f64> = (0..p * p).map(|i| if i / p == i % p { scale } else { 0.0 }).collect();
        Ok(Dataset {
            n_in: p,
            n_out: f,
            n_train: p,
            n_test: p,
            x_test: x.clone(),
            y_test: y.clone(),
            x_train: x,
            y_train: y,
        })
    }
}

/// Classification of Gaussian clusters: cluster `c` has a mean `m_c` with i.i.d. `N(0, d²/n_in)`
/// entries (`‖m_c‖ ≈ d`, the `separation`) and examples `m_c + ε`, `ε ~ N(0, I/n_in)` (unit
/// norm on average); cluster `c` belongs to class `c mod n_classes` (one cluster per class by
/// default; more clusters than classes give XOR-like tasks whose target structure differs
/// from the input's); targets are one-hot. Clusters are balanced.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mixture {
    /// Input channels [1].
    pub n_in: usize,
    /// Classes [1].
    pub n_classes: usize,
    /// Training examples [1].
    pub n_train: usize,
    /// Held-out examples [1].
    #[serde(default)]
    pub n_test: usize,
    /// Typical distance `d` of a cluster mean from the origin, in units of the noise norm [1].
    pub separation: f64,
    /// Clusters (default: one per class) [1].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clusters: Option<usize>,
}

impl Mixture {
    /// Checks sizes.
    pub fn validate(&self) -> Result<(), RangeError> {
        check(self.n_in >= 1 && self.n_in <= 100_000, "n_in", self.n_in, "between 1 and 1e5")?;
        check(
            self.n_classes >= 2 && self.n_classes <= 10_000,
            "n_classes",
            self.n_classes,
            "between 2 and 1e4",
        )?;
        check(
            self.n_train >= 1 && self.n_train <= 10_000_000,
            "n_train",
            self.n_train,
            "between 1 and 1e7",
        )?;
        check(self.n_test <= 10_000_000, "n_test", self.n_test, "at most 1e7")?;
        check(
            self.separation.is_finite() && self.separation >= 0.0,
            "separation",
            self.separation,
            "finite, >= 0",
        )?;
        if let Some(c) = self.clusters {
            check(
                c >= self.n_classes && c <= 100_000,
                "clusters",
                c,
                "at least n_classes, at most 1e5",
            )?;
        }
        let cells = (self.n_train + self.n_test) as f64 * (self.n_in + self.n_classes) as f64;
        check(cells <= 1e9, "n_train", self.n_train, "at most 1e9 numbers of data")
    }

    /// Draws the class means and the examples from stream `seed`.
    pub fn generate(&self, seed: u64) -> Result<Dataset, RangeError> {
        self.validate()?;
        let (n, k) = (self.n_in, self.n_classes);
        let clusters = self.clusters.unwrap_or(k);
        let scale = 1.0 / (n as f64).sqrt();
        let means =
            gaussian(clusters, n, seed, "mixture/means") * faer::Scale(self.separation * scale);
        let draw = |count: usize, stream: &str| {
            let noise = gaussian(count, n, seed, stream);
            let mut x = Vec::with_capacity(count * n);
            let mut y = vec![0.0; count * k];
            for i in 0..count {
                let c = i % clusters;
                x.extend((0..n).map(|j| means[(c, j)] + scale * noise[(i, j)]));
                y[i * k + c % k] = 1.0;
            }
            (x, y)
        };
        let (x_train, y_train) = draw(self.n_train, "mixture/train");
        let (x_test, y_test) = draw(self.n_test, "mixture/test");
        Ok(Dataset {
            n_in: n,
            n_out: k,
            n_train: self.n_train,
            n_test: self.n_test,
            x_train,
            y_train,
            x_test,
            y_test,
        })
    }
}

/// `size × size` grey-level images (row-major, values in `[0, 1]`) of one shape each — circle,
/// square or equilateral triangle, class 0, 1, 2 in turn — centred at a uniform position in
/// `[−0.35, 0.35]²` of the image's `[−1, 1]²`, of radius uniform in `[0.25, 0.5]`, rotated
/// uniformly over the shape's symmetry; edges are soft (a logistic of the signed distance over
/// half a pixel), so the images vary smoothly with the four latent factors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shapes {
    /// Image side in pixels [1].
    pub size: usize,
    /// Training images [1].
    pub n_train: usize,
    /// Held-out images [1].
    #[serde(default)]
    pub n_test: usize,
}

impl Shapes {
    /// Checks sizes.
    pub fn validate(&self) -> Result<(), RangeError> {
        check(self.size >= 4 && self.size <= 256, "size", self.size, "between 4 and 256")?;
        check(
            self.n_train >= 3 && self.n_train <= 1_000_000,
            "n_train",
            self.n_train,
            "between 3 and 1e6",
        )?;
        check(self.n_test <= 1_000_000, "n_test", self.n_test, "at most 1e6")?;
        let cells = (self.n_train + self.n_test) as f64 * (self.size * self.size) as f64;
        check(cells <= 1e9, "n_train", self.n_train, "at most 1e9 pixels in all")
    }

    /// One image of `class` with centre `(cx, cy)`, radius `r` and rotation `theta`.
    pub fn render(&self, class: usize, cx: f64, cy: f64, r: f64, theta: f64) -> Vec<f64> {
        let n = self.size;
        let pixel = 2.0 / n as f64;
        let (sin, cos) = theta.sin_cos();
        let mut img = Vec::with_capacity(n * n);
        for i in 0..n {
            for j in 0..n {
                let (x, y) =
                    (-1.0 + (j as f64 + 0.5) * pixel - cx, 1.0 - (i as f64 + 0.5) * pixel - cy);
                let (u, v) = (cos * x + sin * y, -sin * x + cos * y);
                let d = match class {
                    0 => (u * u + v * v).sqrt() - r,
                    1 => u.abs().max(v.abs()) - r / std::f64::consts::SQRT_2,
                    _ => {
                        (0..3)
                            .map(|k| {
                                let a = std::f64::consts::FRAC_PI_2
                                    + k as f64 * 2.0 * std::f64::consts::PI / 3.0;
                                u * a.cos() + v * a.sin()
                            })
                            .fold(f64::NEG_INFINITY, f64::max)
                            - r / 2.0
                    }
                };
                img.push(1.0 / (1.0 + (d / (0.5 * pixel)).exp()));
            }
        }
        img
    }

    fn draw(&self, count: usize, seed: u64, stream: &str) -> (Vec<f64>, Vec<f64>) {
        let mut r = rng::stream(seed, stream, 0);
        let (mut x, mut y) =
            (Vec::with_capacity(count * self.size * self.size), vec![0.0; count * 3]);
        for i in 0..count {
            let class = i % 3;
            let symmetry = [1.0, 4.0, 3.0][class];
            let (cx, cy) = (r.random_range(-0.35..0.35), r.random_range(-0.35..0.35));
            let radius = r.random_range(0.25..0.5);
            let theta = r.random_range(0.0..2.0 * std::f64::consts::PI / symmetry);
            x.extend(self.render(class, cx, cy, radius, theta));
            y[i * 3 + class] = 1.0;
        }
        (x, y)
    }

    /// Draws the images.
    pub fn generate(&self, seed: u64) -> Result<Dataset, RangeError> {
        self.validate()?;
        let (x_train, y_train) = self.draw(self.n_train, seed, "shapes/train");
        let (x_test, y_test) = self.draw(self.n_test, seed, "shapes/test");
        Ok(Dataset {
            n_in: self.size * self.size,
            n_out: 3,
            n_train: self.n_train,
            n_test: self.n_test,
            x_train,
            y_train,
            x_test,
            y_test,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn teacher_has_its_spectrum_and_whitened_inputs_are_white() {
        let t = LinearTeacher {
            n_in: 12,
            n_out: 9,
            singular_values: vec![5.0, 3.0, 2.0, 1.0],
            n_train: 40,
            n_test: 10,
            noise: 0.0,
            inputs: Inputs::Whitened,
        };
        let d = t.generate(3).unwrap();
        let s = d.teacher.singular_values().unwrap();
        for (a, b) in s.iter().zip([5.0, 3.0, 2.0, 1.0, 0.0]) {
            assert!((a - b).abs() < 1e-12, "{s:?}");
        }
        let x = neurodyn_core::mat::view(&d.data.x_train, 40, 12);
        let c = x.transpose() * x * faer::Scale(1.0 / 40.0);
        for i in 0..12 {
            for j in 0..12 {
                assert!((c[(i, j)] - f64::from(i == j)).abs() < 1e-12);
            }
        }
        // Noise-free and whitened: Σ_yx is the teacher.
        let syx = d.data.input_output_correlation();
        assert!((&syx - &d.teacher).norm_max() < 1e-12);
    }

    #[test]
    fn hierarchy_covariance_decays_with_tree_distance() {
        // Two items whose lowest common ancestor is d levels up share a feature with
        // probability that both paths flip an even number of times: E[y_i y_j] = (1 − 2ε)^{2d}.
        let h = Hierarchy { levels: 3, n_features: 40_000, flip: 0.1 };
        let d = h.generate(1).unwrap();
        let f = h.n_features;
        let corr = |i: usize, j: usize| {
            (0..f).map(|k| d.y_train[i * f + k] * d.y_train[j * f + k]).sum::<f64>() / f as f64
        };
        for (j, up) in [(1, 1), (2, 2), (4, 3), (7, 3)] {
            let expected = 0.8f64.powi(2 * up);
            // Standard error ≤ 1/√40 000 = 0.005.
            assert!(
                (corr(0, j) - expected).abs() < 0.025,
                "items 0,{j}: {} vs {expected}",
                corr(0, j)
            );
        }
        assert_eq!(d.x_train[0], 8f64.sqrt());
    }

    #[test]
    fn shapes_have_the_expected_area_and_vary_smoothly() {
        let s = Shapes { size: 64, n_train: 3, n_test: 0 };
        let pixel_area = (2.0f64 / 64.0).powi(2);
        let area = |img: &[f64]| img.iter().sum::<f64>() * pixel_area;
        // Circle of radius r: π r²; square of half-diagonal r: 2 r²; triangle of inradius r/2:
        // 3√3 (r/2)².
        let r = 0.4;
        for (class, expected) in [
            (0, std::f64::consts::PI * r * r),
            (1, 2.0 * r * r),
            (2, 3.0 * 3f64.sqrt() * (r / 2.0) * (r / 2.0)),
        ] {
            let a = area(&s.render(class, 0.1, -0.05, r, 0.3));
            // The polygons' distance is the largest half-plane distance, which is below the true
            // distance beyond a corner: their soft edges add a little area there (2 % at 64 px).
            assert!((a / expected - 1.0).abs() < 0.03, "class {class}: {a} vs {expected}");
        }
        // Soft edges: a small shift changes the image by a proportionally small amount.
        let (a, b) = (s.render(1, 0.0, 0.0, r, 0.2), s.render(1, 0.001, 0.0, r, 0.2));
        let diff: f64 = a.iter().zip(&b).map(|(p, q)| (p - q).abs()).sum::<f64>() * pixel_area;
        // Area swept ≈ shift × height of the square's horizontal extent (≈ 2 · 0.4/√2 · …).
        assert!(diff > 0.0 && diff < 0.002, "{diff}");
    }

    #[test]
    fn mixture_examples_scatter_around_their_class_means() {
        let m = Mixture {
            n_in: 50,
            n_classes: 3,
            n_train: 3000,
            n_test: 30,
            separation: 2.0,
            clusters: None,
        };
        let d = m.generate(4).unwrap();
        // Class-conditional means from 1000 examples each: the noise averages out to ~1/√1000.
        let mean = |c: usize| -> Vec<f64> {
            let mut v = vec![0.0; 50];
            for i in (c..3000).step_by(3) {
                assert_eq!(d.y_train[i * 3 + c], 1.0);
                v.iter_mut()
                    .zip(&d.x_train[i * 50..(i + 1) * 50])
                    .for_each(|(a, b)| *a += b / 1000.0);
            }
            v
        };
        let (m0, m1) = (mean(0), mean(1));
        let dist: f64 = m0.iter().zip(&m1).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
        // ‖m_0 − m_1‖ ≈ d √2 for independent means (χ with 50 dof: within ~15 %).
        assert!((dist / (2.0 * 2f64.sqrt()) - 1.0).abs() < 0.25, "{dist}");
        let noise: f64 = d.x_train[..50].iter().zip(&m0).map(|(a, b)| (a - b).powi(2)).sum();
        assert!((noise - 1.0).abs() < 0.6, "{noise}");
    }
}
