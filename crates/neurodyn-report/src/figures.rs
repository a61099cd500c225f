//! The figures of an RNN run, built from the arrays in its run directory.

use crate::Fig;
use crate::svg::{Marker, Plot, stack};
use neurodyn_io::IoError;
use neurodyn_io::npz::read_f64;
use std::path::Path;

/// Colours of the stability classes: stable, saddle, unstable.
const CLASS_COLORS: [&str; 3] = ["#111111", "#d62728", "#1f77b4"];
const CLASS_NAMES: [&str; 3] = ["stable", "saddle", "unstable"];
const CLASS_MARKERS: [Marker; 3] = [Marker::Dot, Marker::Cross, Marker::Square];
const CHANNEL_COLORS: [&str; 6] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2"];

/// Training loss per step, log scale.
pub fn loss_curve(loss: &[f64]) -> String {
    let steps: Vec<f64> = (1..=loss.len()).map(|k| k as f64).collect();
    let mut p = Plot::new("Training loss", "step", "loss (log10)").log_y();
    p.line(&steps, loss, "#1f77b4", 1.2);
    p.to_svg()
}

/// A `[t][b][c]` array with its shape.
pub struct Seq<'a> {
    /// Data.
    pub data: &'a [f64],
    /// Time steps.
    pub n_steps: usize,
    /// Trials.
    pub batch: usize,
    /// Channels.
    pub channels: usize,
}

impl Seq<'_> {
    fn trace(&self, b: usize, c: usize) -> Vec<f64> {
        (0..self.n_steps).map(|t| self.data[(t * self.batch + b) * self.channels + c]).collect()
    }
}

/// One panel per output channel for trial `b`: inputs, target (where scored) and output.
pub fn example_trial(
    inputs: &Seq<'_>,
    targets: &Seq<'_>,
    mask: &Seq<'_>,
    outputs: &Seq<'_>,
    b: usize,
) -> String {
    let t: Vec<f64> = (0..targets.n_steps).map(|k| k as f64).collect();
    let panels: Vec<Plot> = (0..targets.channels)
        .map(|c| {
            let mut p = Plot::new(&format!("Trial {b}: output {c}"), "time step", "value")
                .with_size(640.0, 200.0);
            for i in 0..inputs.channels {
                if inputs.channels == targets.channels && i != c {
                    continue;
                }
                p.line(&t, &inputs.trace(b, i), "#bbbbbb", 1.0);
            }
            let scored: Vec<f64> = targets
                .trace(b, c)
                .iter()
                .zip(mask.trace(b, c))
                .map(|(y, m)| if m > 0.0 { *y } else { f64::NAN })
                .collect();
            p.dashed(&t, &scored, "#111111", 1.5);
            p.line(&t, &outputs.trace(b, c), CHANNEL_COLORS[c % CHANNEL_COLORS.len()], 1.5);
            p.legend("input", "#bbbbbb", None).legend("target", "#111111", None).legend(
                "output",
                CHANNEL_COLORS[c % 6],
                None,
            );
            p
        })
        .collect();
    stack(&panels)
}

/// Oblique projection of 3-D points to the page: azimuth 40°, elevation 25°.
fn project(p: [f64; 3]) -> (f64, f64) {
    let (az, el) = (40f64.to_radians(), 25f64.to_radians());
    let x = p[0] * az.cos() - p[1] * az.sin();
    let depth = p[0] * az.sin() + p[1] * az.cos();
    let y = p[2] * el.cos() - depth * el.sin();
    (x, y)
}

/// Held-out trajectories in the top-3 PCs (`states_pcs`: `[t][b][3]`) with the fixed points
/// (`points_pcs`: `[k][3]`) marked by stability code.
pub fn state_space(
    states_pcs: &Seq<'_>,
    n_trials: usize,
    points_pcs: &[f64],
    stability: &[i32],
) -> String {
    let k = states_pcs.channels.min(3);
    let get = |v: &[f64]| [v[0], if k > 1 { v[1] } else { 0.0 }, if k > 2 { v[2] } else { 0.0 }];
    let mut p = Plot::new("State space: top 3 PCs, fixed points by stability", "", "")
        .equal_aspect()
        .hide_axes()
        .with_size(640.0, 520.0);
    // Axes from the data's lower corner, one per PC, labelled.
    let all: Vec<[f64; 3]> = states_pcs.data.chunks_exact(states_pcs.channels).map(get).collect();
    let lo = [0, 1, 2].map(|d| all.iter().map(|v| v[d]).fold(f64::INFINITY, f64::min));
    let hi = [0, 1, 2].map(|d| all.iter().map(|v| v[d]).fold(f64::NEG_INFINITY, f64::max));
    for d in 0..k {
        let mut end = lo;
        end[d] = hi[d];
        let (a, b) = (project(lo), project(end));
        p.line(&[a.0, b.0], &[a.1, b.1], "#888888", 1.0);
        p.points(&[b.0], &[b.1], "#888888", Marker::Dot, 2.0);
    }
    for b in 0..n_trials.min(states_pcs.batch) {
        let (xs, ys): (Vec<f64>, Vec<f64>) = (0..states_pcs.n_steps)
            .map(|t| {
                let i = (t * states_pcs.batch + b) * states_pcs.channels;
                project(get(&states_pcs.data[i..i + states_pcs.channels]))
            })
            .unzip();
        p.faint(&xs, &ys, CHANNEL_COLORS[b % CHANNEL_COLORS.len()], 0.45);
    }
    for class in 0..3 {
        let (xs, ys): (Vec<f64>, Vec<f64>) = points_pcs
            .chunks_exact(states_pcs.channels.max(1))
            .zip(stability)
            .filter(|(_, s)| **s == class as i32)
            .map(|(v, _)| project(get(v)))
            .unzip();
        p.points(&xs, &ys, CLASS_COLORS[class], CLASS_MARKERS[class], 4.5);
        p.legend(
            &format!("{} ({})", CLASS_NAMES[class], xs.len()),
            CLASS_COLORS[class],
            Some(CLASS_MARKERS[class]),
        );
    }
    p.legend("PC axes (grey)", "#888888", None);
    p.to_svg()
}

/// Jacobian eigenvalues of every fixed point in the complex plane, with the unit circle.
pub fn eigenvalues(re: &[f64], im: &[f64], dim: usize, stability: &[i32]) -> String {
    let mut p = Plot::new("Jacobian eigenvalues at the fixed points", "Re λ", "Im λ")
        .equal_aspect()
        .with_size(520.0, 480.0);
    p.circle(0.0, 0.0, 1.0, "#888888");
    // Unstable first, stable last: the memories' eigenvalues stay visible on top.
    for class in (0..3).rev() {
        let mut xs = Vec::new();
        let mut ys = Vec::new();
        for (k, s) in stability.iter().enumerate() {
            if *s == class as i32 {
                xs.extend_from_slice(&re[k * dim..(k + 1) * dim]);
                ys.extend_from_slice(&im[k * dim..(k + 1) * dim]);
            }
        }
        p.points(&xs, &ys, CLASS_COLORS[class], Marker::Ring, 2.5);
        p.legend(
            &format!("at {} points", CLASS_NAMES[class]),
            CLASS_COLORS[class],
            Some(Marker::Ring),
        );
    }
    p.to_svg()
}

/// Loss, an example trial, the state space with fixed points (the first `n_plot` held-out
/// trials), and Jacobian eigenvalues of an RNN run.
pub fn rnn_run(dir: &Path, n_plot: usize) -> Result<Vec<Fig>, IoError> {
    let mut figures: Vec<Fig> = Vec::new();

    let (_, loss) = read_f64(&dir.join("training.npz"), "loss")?;
    figures.push(("loss.svg".into(), loss_curve(&loss), "Training loss."));

    let traj = dir.join("trajectories.npz");
    let (shape, inputs) = read_f64(&traj, "inputs")?;
    let (oshape, targets) = read_f64(&traj, "targets")?;
    let (_, mask) = read_f64(&traj, "mask")?;
    let (_, outputs) = read_f64(&traj, "outputs")?;
    figures.push((
        "example_trial.svg".into(),
        example_trial(
            &seq(&inputs, &shape),
            &seq(&targets, &oshape),
            &seq(&mask, &oshape),
            &seq(&outputs, &oshape),
            0,
        ),
        "A held-out trial: inputs (grey), target where scored (dashed) and the network's output.",
    ));

    let fp = dir.join("fixed_points.npz");
    let (_, stability) = read_f64(&fp, "stability")?;
    let stability: Vec<i32> = stability.iter().map(|&s| s as i32).collect();
    let (eshape, re) = read_f64(&fp, "eigenvalues_re")?;
    let (_, im) = read_f64(&fp, "eigenvalues_im")?;
    if let (Ok((pshape, pcs)), Ok((_, points_pcs))) =
        (read_f64(&traj, "states_pcs"), read_f64(&fp, "points_pcs"))
    {
        figures.push((
            "state_space.svg".into(),
            state_space(&seq(&pcs, &pshape), n_plot, &points_pcs, &stability),
            "Held-out trajectories projected on their top three principal components, with the fixed points (dot: stable, cross: saddle, square: unstable).",
        ));
    }
    let dim = eshape.get(1).copied().unwrap_or(0);
    figures.push((
        "eigenvalues.svg".into(),
        eigenvalues(&re, &im, dim, &stability),
        "Eigenvalues of the state Jacobian at every fixed point; the dashed line is the unit circle (|λ| = 1).",
    ));

    Ok(figures)
}

/// A `[t][b][c]` array of the given shape.
fn seq<'a>(data: &'a [f64], shape: &[usize]) -> Seq<'a> {
    Seq { data, n_steps: shape[0], batch: shape[1], channels: shape[2] }
}

/// The figures of a population run (`population.npz`): every member's loss curve, and the
/// members' held-out NMSE against their stable fixed points (when searched).
pub fn population_run(dir: &Path) -> Result<Vec<Fig>, IoError> {
    let path = dir.join("population.npz");
    let (shape, loss) = read_f64(&path, "loss")?;
    let (k, steps) = (shape[0], shape.get(1).copied().unwrap_or(0));
    let mut p =
        Plot::new(&format!("Training loss of {k} networks"), "step", "loss (log10)").log_y();
    for m in 0..k {
        let row = &loss[m * steps..(m + 1) * steps];
        let n = row.iter().take_while(|v| v.is_finite()).count();
        let xs: Vec<f64> = (1..=n).map(|s| s as f64).collect();
        p.faint(&xs, &row[..n], "#1f77b4", (8.0 / k as f64).clamp(0.05, 0.8));
    }
    let mut figures: Vec<Fig> = vec![(
        "population_loss.svg".into(),
        p.to_svg(),
        "Training loss of every member (one faint line each).",
    )];
    let (_, nmse) = read_f64(&path, "heldout_nmse")?;
    let (_, counts) = read_f64(&path, "fixed_point_counts")?;
    let stable: Vec<f64> = (0..k).map(|m| counts[3 * m]).collect();
    let mut q = Plot::new("Members", "held-out NMSE", "stable fixed points");
    q.points(&nmse, &stable, "#111111", Marker::Dot, 3.0);
    figures.push((
        "population_members.svg".into(),
        q.to_svg(),
        "Each member's held-out NMSE and number of stable fixed points (0 when not searched).",
    ));
    Ok(figures)
}
