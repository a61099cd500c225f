//! neurodyn's CUBA network against Brian2's (tests/golden/brian2_cuba): rates and ISI
//! irregularity must fall within Brian2's seed-to-seed spread.

use neurodyn::analysis::spikes::isi_cv;
use neurodyn::io::npz::read_f64;
use neurodyn::io::spec::{read_spec, spiking};
use std::path::Path;

/// `[mean_rate, mean_cv, rate_q10, rate_q50, rate_q90, cv_q10, cv_q50, cv_q90]`, as the
/// generator computes them (quantiles by linear interpolation, NumPy's default).
fn stats(trains: &[Vec<f64>]) -> [f64; 8] {
    let rates: Vec<f64> = trains.iter().map(|t| t.len() as f64).collect(); // 1 s
    let cvs: Vec<f64> = trains.iter().map(|t| isi_cv(t)).filter(|c| c.is_finite()).collect();
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let q = |v: &[f64], p: f64| {
        let mut s = v.to_vec();
        s.sort_by(f64::total_cmp);
        let x = p * (s.len() - 1) as f64;
        let (lo, hi) = (x.floor() as usize, x.ceil() as usize);
        s[lo] + (s[hi] - s[lo]) * (x - lo as f64)
    };
    [
        mean(&rates),
        mean(&cvs),
        q(&rates, 0.1),
        q(&rates, 0.5),
        q(&rates, 0.9),
        q(&cvs, 0.1),
        q(&cvs, 0.5),
        q(&cvs, 0.9),
    ]
}

#[test]
fn cuba_statistics_fall_within_brian2_seed_spread() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let golden = root.join("tests/golden/brian2_cuba/data.npz");
    let cuba = root.join("examples/spiking/cuba.toml");
    let mut spec = spiking::parse(&read_spec(&cuba).unwrap(), "cuba.toml", &root).unwrap();
    let columns =
        ["mean_rate", "mean_cv", "rate_q10", "rate_q50", "rate_q90", "cv_q10", "cv_q50", "cv_q90"];
    let seeds = [1u64, 2, 3, 4];
    let mut ours = vec![Vec::new(); 2];
    for &seed in &seeds {
        spec.seed = seed;
        let (mut net, mut rec) = neurodyn::spiking::build(&spec).unwrap();
        neurodyn::spiking::simulate(&spec, &mut net, &mut rec, &mut |_| true).unwrap();
        for (m, o) in ours.iter_mut().enumerate() {
            o.push(stats(&neurodyn::spiking::spike_trains(&net, &rec, m)));
        }
    }
    let mut report = Vec::new();
    let mut ok = true;
    for (m, pop) in ["exc", "inh"].iter().enumerate() {
        let (shape, data) = read_f64(&golden, pop).unwrap();
        let (n_seeds, n_cols) = (shape[0], shape[1]);
        for c in 0..n_cols {
            let brian: Vec<f64> = (0..n_seeds).map(|s| data[s * n_cols + c]).collect();
            let b_mean = brian.iter().sum::<f64>() / n_seeds as f64;
            let b_sd = (brian.iter().map(|x| (x - b_mean).powi(2)).sum::<f64>()
                / (n_seeds - 1) as f64)
                .sqrt();
            let nd: Vec<f64> = ours[m].iter().map(|s| s[c]).collect();
            let nd_mean = nd.iter().sum::<f64>() / nd.len() as f64;
            // The mean of our seeds must sit within three of Brian2's seed-to-seed standard
            // deviations of Brian2's mean (plus 1% for quantiles of discrete counts).
            let tol = 3.0 * b_sd + 0.01 * b_mean.abs();
            let pass = (nd_mean - b_mean).abs() <= tol;
            ok &= pass;
            report.push(format!(
                "{pop}.{:<9} brian2 {b_mean:8.4} ± {b_sd:.4}  neurodyn {nd_mean:8.4}  {}",
                columns[c],
                if pass { "ok" } else { "OUTSIDE" }
            ));
        }
    }
    assert!(ok, "CUBA statistics differ from Brian2's:\n{}", report.join("\n"));
}
