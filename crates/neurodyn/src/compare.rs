//! Networks of different architectures trained on one task, compared (Maheswaranathan,
//! Williams, Golub, Ganguli & Sussillo 2019): their fixed-point *topology* — how many stable
//! points, which memories they hold, and which pairs of memories index-1 saddles connect — and
//! their *geometry* — SVCCA, linear CKA and Procrustes distance between hidden states on one
//! common held-out batch. The paper's finding: geometry is individual (it depends on the
//! architecture), topology is universal.
//!
//! Fixed points are labelled by the signs of the network's readout there (`+−+` for a 3-bit
//! flip-flop memory), so labels mean the same thing in every network.

use crate::StudyResult;
use crate::kinds::{Context, Figure, Kind, Limits, MemoryEstimate, Prepared, Study};
use crate::rnn::{Analysis, analyse, train, trainer};
use neurodyn_analysis::fixed_points::unstable_manifold_ends;
use neurodyn_analysis::similarity::{linear_cka, procrustes_distance, svcca};
use neurodyn_io::IoError;
use neurodyn_io::npz::Array;
use neurodyn_io::spec::SpecError;
use neurodyn_io::spec::{CompareSpec, RnnSpec as Spec};
use neurodyn_models::rnn::Rnn;
use neurodyn_train::evaluate;
use std::collections::BTreeSet;
use std::ops::ControlFlow;
use std::path::Path;

/// The `compare` kind: specs with a `[compare]` table.
pub struct CompareKind;

impl Kind for CompareKind {
    fn name(&self) -> &'static str {
        "compare"
    }
    fn table(&self) -> &'static str {
        "compare"
    }
    fn prepare(
        &self,
        text: &str,
        file: &str,
        base: &Path,
        limits: &Limits,
    ) -> Result<Box<dyn Prepared>, SpecError> {
        let spec = neurodyn_io::spec::compare::parse(text, file, base)?;
        // Members train one after the other: the largest one bounds the memory.
        let largest = spec
            .networks
            .iter()
            .map(crate::rnn::memory)
            .max_by(|a, b| a.total().total_cmp(&b.total()))
            .unwrap_or_default();
        let mut m = MemoryEstimate::new();
        m.add("compare.specs", largest.total(), 1.0);
        m.check(limits, text, file)?;
        Ok(Box::new(Study {
            name: spec.name.clone(),
            resolved: spec.to_toml(),
            description: format!("comparison of {} networks", spec.networks.len()),
            npz: "comparison.npz",
            run,
            spec,
        }))
    }
    fn figures(
        &self,
        dir: &Path,
        _: &str,
        metrics: &serde_json::Value,
    ) -> Result<Vec<Figure>, IoError> {
        Ok(neurodyn_report::compare::figures(dir, metrics)?.into_iter().map(Figure::from).collect())
    }
}

/// `metrics.json` of a comparison.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompareMetrics {
    /// The run's name.
    pub name: String,
    /// `compare`.
    pub study: String,
    /// Each network.
    pub networks: Vec<NetworkMetrics>,
    /// Each pair of networks.
    pub pairs: Vec<PairMetrics>,
    /// Every pair has the same topology.
    pub all_topologies_equal: bool,
    /// Extremes over networks and pairs.
    pub summary: CompareSummary,
    /// Trials of the common held-out batch [1].
    pub n_heldout_trials: usize,
    /// The paper's statement.
    pub paper: String,
}

/// One compared network.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct NetworkMetrics {
    /// Its spec's name.
    pub name: String,
    /// `vanilla`, `gru` or `lstm`.
    pub cell: String,
    /// Hidden units [1].
    pub n_hidden: usize,
    /// Last training loss.
    pub final_training_loss: f64,
    /// Held-out NMSE on the common batch [1].
    pub heldout_nmse: f64,
    /// Fixed points by number of unstable modes (index 0: stable) [1].
    pub fixed_points_by_unstable_modes: Vec<usize>,
    /// Readout-sign labels of the stable points.
    pub stable_labels: Vec<String>,
    /// Label pairs joined by index-1 saddles (`a~b`).
    pub saddle_edges: Vec<String>,
    /// Edges between labels that differ in one sign [1].
    pub edges_between_labels_one_sign_apart: usize,
}

/// Two compared networks.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PairMetrics {
    /// First network.
    pub a: String,
    /// Second network.
    pub b: String,
    /// SVCCA similarity [1].
    pub svcca: f64,
    /// Linear CKA [1].
    pub linear_cka: f64,
    /// Procrustes distance [1].
    pub procrustes_distance: f64,
    /// Same memories and same saddle edges.
    pub same_topology: bool,
    /// Jaccard index of the saddle edges [1].
    pub edge_jaccard: f64,
}

/// Extremes over the networks and pairs of a comparison.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompareSummary {
    /// Fewest stable memories of any network [1].
    pub min_stable_memories: usize,
    /// Fewest saddle edges between labels one sign apart [1].
    pub min_edges_between_labels_one_sign_apart: usize,
    /// Largest SVCCA between two networks [1].
    pub max_pairwise_svcca: f64,
    /// Largest linear CKA between two networks [1].
    pub max_pairwise_linear_cka: f64,
}

/// The fixed-point topology of one network.
#[derive(Clone, Debug, PartialEq)]
pub struct Topology {
    /// Number of fixed points by number of unstable modes (index 0 = stable).
    pub counts_by_index: Vec<usize>,
    /// Readout-sign labels of the stable points, sorted.
    pub stable: Vec<String>,
    /// Pairs of labels joined by an index-1 saddle's unstable manifold, sorted.
    pub edges: BTreeSet<(String, String)>,
}

/// The sign pattern of the readout at state `h`.
pub fn label(rnn: &Rnn<f64>, h: &[f64]) -> String {
    let n = rnn.config().n_hidden;
    let mut out = vec![0.0; rnn.config().n_output];
    rnn.readout(neurodyn_core::mat::view(&h[..n], 1, n), &mut out);
    out.iter().map(|y| if *y > 0.0 { '+' } else { '-' }).collect()
}

/// The topology of a trained network's fixed points under its spec's fixed-point input.
pub fn topology(spec: &Spec, analysis: &Analysis) -> Topology {
    let rnn = &analysis.rnn;
    let input = spec.fixed_points.input_for(rnn.config().n_input);
    let points = &analysis.fixed_points.points;
    let max_index = points.iter().map(|p| p.n_unstable).max().unwrap_or(0);
    let mut counts_by_index = vec![0; max_index + 1];
    points.iter().for_each(|p| counts_by_index[p.n_unstable] += 1);
    let mut stable: Vec<String> =
        points.iter().filter(|p| p.n_unstable == 0).map(|p| label(rnn, &p.state)).collect();
    stable.sort();
    let mut edges = BTreeSet::new();
    for p in points.iter().filter(|p| p.n_unstable == 1) {
        if let Some([a, b]) = unstable_manifold_ends(rnn, &p.state, &input, 1e-3, 5000) {
            let (la, lb) = (label(rnn, &a), label(rnn, &b));
            if la != lb {
                edges.insert(if la < lb { (la, lb) } else { (lb, la) });
            }
        }
    }
    Topology { counts_by_index, stable, edges }
}

/// Searches again from the midpoint of every pair of stable points — where the saddles that
/// separate memories lie — and merges in the new points found (farther than `dedup_tol` from every
/// known one), so that the topology does not depend on the random starts having hit them.
pub fn add_saddles_between_memories(
    spec: &Spec,
    analysis: &mut Analysis,
) -> Result<(), neurodyn_analysis::fixed_points::FixedPointError> {
    let stable: Vec<&[f64]> = analysis
        .fixed_points
        .points
        .iter()
        .filter(|p| p.n_unstable == 0)
        .map(|p| p.state.as_slice())
        .collect();
    let mut starts = Vec::new();
    for (a, x) in stable.iter().enumerate() {
        for y in &stable[a + 1..] {
            starts.push(x.iter().zip(*y).map(|(u, v)| 0.5 * (u + v)).collect::<Vec<f64>>());
        }
    }
    if starts.is_empty() {
        return Ok(());
    }
    let found = neurodyn_analysis::fixed_points::find_fixed_points(
        &analysis.rnn,
        &starts,
        &spec.fixed_points,
        &|_| {},
    )?;
    analysis.fixed_points.merge(found, spec.fixed_points.dedup_tol);
    Ok(())
}

/// Trains every member spec (one checkpointed unit each: its trained state), finds its fixed
/// points, and compares topologies and geometries.
pub fn run(spec: &CompareSpec, ctx: &mut Context<'_>) -> Result<StudyResult, String> {
    let k = spec.networks.len();
    let mut nets = Vec::new();
    for (i, member) in spec.networks.iter().enumerate() {
        let trained = ctx.unit(&format!("network{i}"), || {
            let mut t = trainer(member);
            train(member, &mut t, &mut |_| ControlFlow::Continue(()));
            Ok(t.checkpoint())
        })?;
        let mut t = trainer(member);
        t.restore(&trained);
        let mut analysis = analyse(member, &t.rnn, &|_| {}).map_err(|e| e.to_string())?;
        add_saddles_between_memories(member, &mut analysis).map_err(|e| e.to_string())?;
        let topo = topology(member, &analysis);
        nets.push((member, analysis, topo, t.history.loss.last().copied().unwrap_or(f64::NAN)));
        ctx.cases_done(i + 1, k);
    }
    // One held-out batch for all: the task is the same (checked when the spec was read).
    let task = spec.networks[0].task.task();
    let hidden: Vec<(usize, Vec<f64>)> = nets
        .iter()
        .map(|(_, a, _, _)| {
            let e = evaluate(&a.rnn, task, spec.seed, spec.compare.n_trials);
            let (s, n) = (a.rnn.state_len(), a.rnn.config().n_hidden);
            // States h_1 … h_T of every trial, hidden part only: rows are (time, trial).
            let rows = e.states.len() / s - e.batch.batch;
            let h: Vec<f64> = e.states[e.batch.batch * s..]
                .chunks_exact(s)
                .flat_map(|row| row[..n].iter().copied())
                .collect();
            debug_assert_eq!(h.len(), rows * n);
            (n, h)
        })
        .collect();
    let rows = hidden[0].1.len() / hidden[0].0;
    let (mut svcca_m, mut cka_m, mut procrustes_m) =
        (vec![1.0; k * k], vec![1.0; k * k], vec![0.0; k * k]);
    let (mut same_topology, mut jaccard) = (vec![1.0; k * k], vec![1.0; k * k]);
    let mut pairs = Vec::new();
    for a in 0..k {
        for b in a + 1..k {
            let (x, y) = (&hidden[a].1, &hidden[b].1);
            let s = svcca(x, y, rows, spec.compare.svcca_variance);
            let c = linear_cka(x, y, rows);
            // Procrustes compares equally wide configurations: pad the narrower with zeros.
            let width = hidden[a].0.max(hidden[b].0);
            let pad = |(n, h): &(usize, Vec<f64>)| -> Vec<f64> {
                h.chunks_exact(*n)
                    .flat_map(|row| row.iter().copied().chain(std::iter::repeat_n(0.0, width - n)))
                    .collect()
            };
            let p = procrustes_distance(&pad(&hidden[a]), &pad(&hidden[b]), rows).0;
            let (ta, tb) = (&nets[a].2, &nets[b].2);
            let union = ta.edges.union(&tb.edges).count();
            let j = if union == 0 {
                1.0
            } else {
                ta.edges.intersection(&tb.edges).count() as f64 / union as f64
            };
            let same = ta.stable == tb.stable && ta.edges == tb.edges;
            for (m, v) in [
                (&mut svcca_m, s),
                (&mut cka_m, c),
                (&mut procrustes_m, p),
                (&mut same_topology, if same { 1.0 } else { 0.0 }),
                (&mut jaccard, j),
            ] {
                m[a * k + b] = v;
                m[b * k + a] = v;
            }
            pairs.push(PairMetrics {
                a: nets[a].0.name.clone(),
                b: nets[b].0.name.clone(),
                svcca: s,
                linear_cka: c,
                procrustes_distance: p,
                same_topology: same,
                edge_jaccard: j,
            });
        }
    }
    let networks: Vec<NetworkMetrics> = nets
        .iter()
        .map(|(m, a, t, loss)| NetworkMetrics {
            name: m.name.clone(),
            cell: format!("{:?}", a.rnn.config().cell).to_lowercase(),
            n_hidden: a.rnn.config().n_hidden,
            final_training_loss: *loss,
            heldout_nmse: a.evaluation.score.nmse,
            fixed_points_by_unstable_modes: t.counts_by_index.clone(),
            stable_labels: t.stable.clone(),
            saddle_edges: t.edges.iter().map(|(x, y)| format!("{x}~{y}")).collect(),
            // For flip-flop memories: saddles should join memories one bit apart.
            edges_between_labels_one_sign_apart: t
                .edges
                .iter()
                .filter(|(x, y)| x.chars().zip(y.chars()).filter(|(a, b)| a != b).count() == 1)
                .count(),
        })
        .collect();
    let off_diagonal =
        |m: &[f64]| (0..k * k).filter(|q| q / k != q % k).map(|q| m[q]).fold(f64::NAN, f64::max);
    let summary = CompareSummary {
        min_stable_memories: networks.iter().map(|n| n.stable_labels.len()).min().unwrap_or(0),
        min_edges_between_labels_one_sign_apart: networks
            .iter()
            .map(|n| n.edges_between_labels_one_sign_apart)
            .min()
            .unwrap_or(0),
        max_pairwise_svcca: off_diagonal(&svcca_m),
        max_pairwise_linear_cka: off_diagonal(&cka_m),
    };
    let metrics = CompareMetrics {
        name: spec.name.clone(),
        study: "compare".into(),
        all_topologies_equal: (0..k).all(|b| same_topology[b] == 1.0),
        networks,
        pairs,
        summary,
        n_heldout_trials: spec.compare.n_trials,
        paper: "Maheswaranathan et al. (2019, arXiv:1907.08549): networks of different architectures trained on one task differ in representational geometry (CCA) but share one fixed-point topology".into(),
    };
    let metrics = serde_json::to_value(metrics).expect("metrics serialise");
    let matrix = |v: Vec<f64>| Array::f64(&[k, k], v);
    let arrays = vec![
        ("svcca".into(), matrix(svcca_m)),
        ("linear_cka".into(), matrix(cka_m)),
        ("procrustes_distance".into(), matrix(procrustes_m)),
        ("same_topology".into(), matrix(same_topology)),
        ("edge_jaccard".into(), matrix(jaccard)),
    ];
    Ok(StudyResult { arrays, metrics })
}
