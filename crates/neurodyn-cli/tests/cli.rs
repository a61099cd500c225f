//! The `neurodyn` binary end to end: bad input, atomic run directories, resume after a kill,
//! and a reduced demo.

// A test harness polling a child process may read the clock.
#![allow(clippy::disallowed_methods)]

mod common;

use common::{BIN, entries, neurodyn, scratch, stderr};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A small, fast, valid spec; tests edit one line of it.
const SMALL: &str = r#"name = "small"
seed = 3

[task.flip_flop]
n_bits = 2
n_steps = 30
p_pulse = 0.1

[model]
cell = "vanilla"
n_hidden = 16
dt = 10.0
tau = 20.0

[train]
learning_rate = 0.02
batch_size = 16
max_steps = 60
checkpoint_every = 10

[fixed_points]
n_initial = 32
init_noise_std = 0.05
learning_rate = 0.01
max_iters = 300
q_stop = 1e-10
q_candidate = 1e-3
q_threshold = 1e-10
dedup_tol = 0.05
polish = true

[evaluation]
n_trials = 16
n_plot_trials = 4
"#;

#[test]
fn bad_input_names_file_position_and_field_and_writes_nothing() {
    let dir = scratch("bad");
    // (what is replaced, by what, the field named, the line named, a phrase of the message)
    let cases: &[(&str, &str, &str, usize, &str)] = &[
        ("seed = 3", "seed = 3\nfoo = 1", "foo", 3, "unknown field"),
        ("name = \"small\"", "name = \"../escape\"", "name", 1, "not starting with '.'"),
        ("name = \"small\"", "name = \"a/b\"", "name", 1, "letters, digits"),
        ("tau = 20.0", "tau = 20.0\nbogus = 2", "model.bogus", 14, "unknown field"),
        ("n_hidden = 16", "n_hidden = \"many\"", "model.n_hidden", 11, "invalid type"),
        ("tau = 20.0", "tau = -1.0", "model.tau", 13, "expected a finite value > 0"),
        ("tau = 20.0", "tau = 5.0", "model.tau", 13, "tau >= dt"),
        ("dt = 10.0", "dt = 0.0", "model.dt", 12, "> 0"),
        ("batch_size = 16", "batch_size = 0", "train.batch_size", 17, "at least 1"),
        ("learning_rate = 0.02", "learning_rate = 0.0", "train.learning_rate", 16, "> 0"),
        ("cell = \"vanilla\"", "cell = \"transformer\"", "model.cell", 10, "unknown variant"),
        ("[task.flip_flop]", "[task.copy_task]", "task.copy_task", 4, "unknown variant"),
        ("p_pulse = 0.1", "p_pulse = 1.5", "task.flip_flop.p_pulse", 7, "probability"),
        (
            "n_plot_trials = 4",
            "n_plot_trials = 40",
            "evaluation.n_plot_trials",
            34,
            "between 1 and n_trials",
        ),
        ("max_iters = 300", "max_iters = 300.5", "fixed_points.max_iters", 25, "invalid type"),
    ];
    assert_bad_input(SMALL, cases, &dir);
}

/// Each case edits `base` (replacing `from` by `to`); `check` and `run` must exit 2 naming the
/// file and line, the field and a phrase of the message, and write nothing.
fn assert_bad_input(base: &str, cases: &[(&str, &str, &str, usize, &str)], dir: &Path) {
    for (k, (from, to, field, line, phrase)) in cases.iter().enumerate() {
        assert!(base.contains(from), "case {k}: {from:?} not in the base spec");
        let spec = dir.join(format!("case{k}.toml"));
        std::fs::write(&spec, base.replacen(from, to, 1)).unwrap();
        let out = dir.join(format!("out{k}"));
        for args in [
            vec!["check", spec.to_str().unwrap()],
            vec!["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap()],
        ] {
            let o = neurodyn(&args);
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(2), "case {k} ({to}): {err}");
            let location = format!("{}:{line}:", spec.display());
            assert!(err.contains(&location), "case {k}: expected {location} in: {err}");
            assert!(
                err.contains(&format!("field `{field}`")),
                "case {k}: expected field `{field}` in: {err}"
            );
            assert!(err.contains(phrase), "case {k}: expected {phrase:?} in: {err}");
            assert!(!err.contains("panicked"), "case {k}: {err}");
        }
        assert!(entries(&out).is_empty(), "case {k}: something was written: {:?}", entries(&out));
    }
}

const SPIKING: &str = r#"name = "tiny_spiking"
seed = 2

[simulation]
dt = 0.1
duration = 200.0
max_delay = 2.0

[populations.exc]
n = 80
neuron = { model = "lif_psc_exp", preset = "vogels_abbott_2005_cuba" }
init.v_m = { uniform = [-60.0, -50.0] }

[populations.inh]
n = 20
neuron = { model = "lif_psc_exp", preset = "vogels_abbott_2005_cuba" }

[projections.ee]
pre = "exc"
post = "exc"
rule.fixed_probability = { p = 0.1 }
weight = 16.2
delay = 1.0

[projections.ie]
pre = "inh"
post = "exc"
rule.fixed_indegree = { k = 5 }
weight = -90.0

[populations.burst]
n = 5
neuron = { model = "izhikevich", preset = "chattering" }
"#;

#[test]
fn bad_spiking_input_names_file_position_and_field_and_writes_nothing() {
    let dir = scratch("bad_spiking");
    let cases: &[(&str, &str, &str, usize, &str)] = &[
        (
            "model = \"lif_psc_exp\", preset",
            "model = \"lif_psx\", preset",
            "populations.exc.neuron.model",
            11,
            "lif_psc_exp",
        ),
        (
            "preset = \"vogels_abbott_2005_cuba\" }\ninit",
            "preset = \"vogels_abbott_2005_cuba\", tau = 3.0 }\ninit",
            "populations.exc.neuron.tau",
            11,
            "tau_m",
        ),
        (
            "preset = \"vogels_abbott_2005_cuba\" }\ninit",
            "preset = \"vogels_abbott_2005_cuba\", tau_m = -1.0 }\ninit",
            "populations.exc.neuron.tau_m",
            11,
            "> 0",
        ),
        (
            "model = \"lif_psc_exp\", preset",
            "model = \"izhikevich\", preset",
            "populations.exc.neuron.preset",
            11,
            "regular_spiking",
        ),
        ("dt = 0.1", "dt = 2.0", "simulation.dt", 5, "dt <= 1 ms"),
        // Less than one step once panicked computing the metrics of no steps.
        ("duration = 200.0", "duration = 0.04", "simulation.duration", 6, "at least one time step"),
        ("p = 0.1", "p = 1.5", "projections.ee.rule.fixed_probability.p", 21, "[0, 1]"),
        ("delay = 1.0", "delay = 3.0", "projections.ee.delay", 23, "max_delay"),
        (
            "pre = \"inh\"",
            "pre = \"interneurons\"",
            "projections.ie.pre",
            26,
            "defined under [populations]: one of burst, exc, inh",
        ),
        ("k = 5", "k = 50", "projections.ie.rule.fixed_indegree.k", 28, "at most 20"),
        ("\nn = 20\n", "\nn = \"twenty\"\n", "populations.inh.n", 15, "invalid type"),
    ];
    assert_bad_input(SPIKING, cases, &dir);
}

#[test]
fn a_spiking_run_writes_spikes_metrics_and_figures() {
    let dir = scratch("spiking_run");
    let spec = dir.join("tiny.toml");
    std::fs::write(&spec, SPIKING).unwrap();
    let out = dir.join("out");
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    for f in [
        "spec.toml",
        "manifest.json",
        "metrics.json",
        "spikes.npz",
        "report.html",
        "figures/raster.svg",
        "figures/rates.svg",
        "figures/isi_cv_histogram.svg",
    ] {
        assert!(run.join(f).exists(), "{f} missing");
    }
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    for key in ["sim_seconds", "build_seconds", "synaptic_events"] {
        assert!(metrics[key].as_f64().is_some(), "metrics.{key} missing: {metrics}");
    }
    // E_L = −49 mV lies above threshold: the unconnected inhibitory cells fire tonically.
    let inh = &metrics["populations"]["inh"];
    assert!(inh["mean_rate_hz"].as_f64().unwrap() > 1.0, "{metrics}");
    assert!(inh.get("mean_isi_cv").is_some() && inh.get("fano_factor_100ms").is_some());
    // The resolved spec runs again to the same spikes (every parameter written out).
    let resolved = std::fs::read_to_string(run.join("spec.toml")).unwrap();
    assert!(resolved.contains("tau_syn_in = 10.0"), "{resolved}");
    let o2 = neurodyn(&[
        "run",
        run.join("spec.toml").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    let run2 = PathBuf::from(String::from_utf8_lossy(&o2.stdout).trim());
    assert_ne!(run, run2, "never overwrites");
    assert_eq!(
        std::fs::read(run.join("spikes.npz")).unwrap(),
        std::fs::read(run2.join("spikes.npz")).unwrap()
    );
}

#[test]
fn unreadable_or_malformed_specs_exit_2() {
    let dir = scratch("unreadable");
    let o = neurodyn(&[
        "run",
        dir.join("missing.toml").to_str().unwrap(),
        "--out",
        dir.join("out").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("missing.toml") && stderr(&o).contains("cannot read"),
        "{}",
        stderr(&o)
    );
    let bad = dir.join("syntax.toml");
    std::fs::write(&bad, "name = \"x\"\n[model\ncell = 1\n").unwrap();
    let o = neurodyn(&["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("syntax.toml:2:"), "{}", stderr(&o));
    assert!(!dir.join("out").exists());
}

#[test]
fn a_failed_run_stays_partial_and_exits_1() {
    // SGD with a huge step diverges within a few steps.
    let dir = scratch("diverge");
    let spec = dir.join("diverge.toml");
    let text = SMALL.replacen(
        "learning_rate = 0.02",
        "learning_rate = 1e30\noptimizer = { sgd = { momentum = 0.0 } }\nclip_grad_norm = 0.0",
        1,
    );
    std::fs::write(&spec, text).unwrap();
    let out = dir.join("out");
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("diverged"), "{}", stderr(&o));
    let names = entries(&out);
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(names[0].starts_with(".small-") && names[0].ends_with(".partial"), "{names:?}");
}

#[test]
fn adam_with_learning_rate_1e3_stops_within_a_few_steps_naming_the_step_and_block() {
    // Adam moves every weight by ~1e3 a step: the loss grows huge but stays finite for a long
    // time, so a NaN check alone would train to the end on garbage.
    let dir = scratch("lr1e3");
    let spec = dir.join("lr.toml");
    std::fs::write(&spec, SMALL.replacen("learning_rate = 0.02", "learning_rate = 1e3", 1))
        .unwrap();
    let out = dir.join("out");
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    let step: usize = e
        .split("training diverged at step ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no step in: {e}"));
    assert!(step <= 3, "{e}");
    assert!(
        e.contains("the gradient of ") && e.contains("lower train.learning_rate (now 1000"),
        "{e}"
    );
    assert!(entries(&out).iter().all(|n| n.ends_with(".partial")), "{:?}", entries(&out));
}

fn run_small(spec: &Path, out: &Path) -> PathBuf {
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
}

fn params(run: &Path) -> Vec<u8> {
    // model.npz is written deterministically from the parameters: compare the arrays' bytes.
    std::fs::read(run.join("model.npz")).unwrap()
}

#[test]
fn a_killed_run_resumes_to_the_same_weights_and_never_overwrites() {
    let dir = scratch("resume");
    let spec = dir.join("long.toml");
    std::fs::write(&spec, SMALL.replacen("max_steps = 60", "max_steps = 3000", 1)).unwrap();

    let reference = run_small(&spec, &dir.join("reference"));

    // Start the same run, kill it once a checkpoint exists.
    let out = dir.join("killed");
    let mut child = Command::new(BIN)
        .args(["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let partial = loop {
        let found =
            entries(&out).into_iter().find(|n| n.ends_with(".partial")).map(|n| out.join(n));
        if let Some(p) = found.filter(|p| p.join("checkpoint.npz").exists()) {
            break p;
        }
        assert!(std::time::Instant::now() < deadline, "no checkpoint appeared");
        assert!(child.try_wait().unwrap().is_none(), "the run finished before it could be killed");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        entries(&out).iter().all(|n| n.starts_with('.')),
        "a killed run looks complete: {:?}",
        entries(&out)
    );

    let o = neurodyn(&["run", "--resume", partial.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let resumed = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert!(resumed.is_dir() && !partial.exists());
    assert_eq!(
        params(&resumed),
        params(&reference),
        "resumed weights differ from the uninterrupted run"
    );

    // A complete run cannot be resumed, and nothing is overwritten.
    let o = neurodyn(&["run", "--resume", resumed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already complete"), "{}", stderr(&o));
}

#[test]
fn reduced_demo_writes_a_complete_run_directory() {
    let dir = scratch("e2e");
    let spec = dir.join("small.toml");
    std::fs::write(&spec, SMALL.replacen("max_steps = 60", "max_steps = 400", 1)).unwrap();
    let out = dir.join("runs");
    let run = run_small(&spec, &out);
    let name = run.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("small-") && !name.starts_with('.'), "{name}");
    for f in [
        "spec.toml",
        "manifest.json",
        "metrics.json",
        "model.npz",
        "training.npz",
        "trajectories.npz",
        "fixed_points.npz",
        "report.html",
    ] {
        assert!(run.join(f).is_file(), "{f} missing");
    }
    for f in ["loss.svg", "example_trial.svg", "state_space.svg", "eigenvalues.svg"] {
        assert!(run.join("figures").join(f).is_file(), "figures/{f} missing");
    }
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    for key in ["final_loss", "heldout_nmse", "train_seconds"] {
        assert!(metrics[key].as_f64().is_some(), "metrics.{key} missing: {metrics}");
    }
    for key in ["stable", "saddle", "unstable"] {
        assert!(
            metrics["fixed_points"][key].as_u64().is_some(),
            "metrics.fixed_points.{key} missing"
        );
    }
    // 400 steps on 2 bits: the network has learned something and has stable memories.
    assert!(metrics["heldout_nmse"].as_f64().unwrap() < 0.5, "{metrics}");
    assert!(metrics["fixed_points"]["stable"].as_u64().unwrap() >= 2, "{metrics}");
    // The resolved spec carries every default and the seed; it parses back.
    let resolved = std::fs::read_to_string(run.join("spec.toml")).unwrap();
    assert!(
        resolved.contains("seed = 3")
            && resolved.contains("schema_version = 1")
            && resolved.contains("init_gain")
    );
    let o = neurodyn(&["check", run.join("spec.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The report is self-contained.
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("<svg") && !html.contains("src=\"http") && !html.contains("<script"));
    // Re-rendering works on the finished directory; a second run never reuses its name.
    assert_eq!(neurodyn(&["report", run.to_str().unwrap()]).status.code(), Some(0));
    let again = run_small(&spec, &out);
    assert_ne!(again, run);
    assert_eq!(entries(&out).len(), 2);
}

#[test]
fn seed_flag_is_recorded_in_the_resolved_spec() {
    let dir = scratch("seed");
    let spec = dir.join("s.toml");
    std::fs::write(&spec, SMALL.replacen("max_steps = 60", "max_steps = 5", 1)).unwrap();
    let o = neurodyn(&[
        "run",
        spec.to_str().unwrap(),
        "--out",
        dir.join("o").to_str().unwrap(),
        "--seed",
        "77",
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert!(std::fs::read_to_string(run.join("spec.toml")).unwrap().contains("seed = 77"));
}

const DECOMP: &str = r#"name = "tiny_decomp"
seed = 3

[data]
path = "data.npz"

[method.nmf]
rank = 2
algorithm = "hals"
max_iters = 50
"#;

/// Writes `data.npz` with array `x` (and `mask` if given) into `dir`.
fn write_npz(dir: &Path, shape: &[usize], x: Vec<f64>, mask: Option<Vec<i32>>) {
    use neurodyn::io::npz::{Array, write};
    let mut arrays = vec![("x", Array::f64(shape, x))];
    if let Some(m) = mask {
        arrays.push(("mask", Array::i32(&[m.len()], m)));
    }
    write(&dir.join("data.npz"), &arrays).unwrap();
}

#[test]
fn decomposition_runs_from_npz_and_bad_data_exit_2() {
    let dir = scratch("decomp");
    let spec = dir.join("spec.toml");
    let out = dir.join("out");
    let good: Vec<f64> = (0..60).map(|q| ((q % 7) * (q % 5)) as f64).collect();
    // (data, mask, spec edit, phrase): each must exit 2 naming the problem, writing nothing.
    let mut bad_nan = good.clone();
    bad_nan[4] = f64::NAN;
    let mut negative = good.clone();
    negative[9] = -1.0;
    // (shape, data, mask, spec edit, phrase)
    type Case<'a> = (Vec<usize>, Vec<f64>, Option<Vec<i32>>, &'a str, &'a str);
    let cases: Vec<Case> = vec![
        (vec![6, 10], negative, None, "", "non-negative"),
        (vec![6, 10], bad_nan.clone(), None, "", "NaN at flat index 4"),
        (vec![6, 10], good.clone(), None, "rank = 2", "rank = 7"),
        (vec![6, 10], good.clone(), Some(vec![1; 5]), "[data]\n", "mask"),
        (vec![0, 10], Vec::new(), None, "", "empty"),
        (vec![60], good.clone(), None, "", "2 axes"),
        (vec![6, 10], good.clone(), None, "[selection]", "selection.ranks"),
    ];
    for (k, (shape, x, mask, edit, phrase)) in cases.into_iter().enumerate() {
        write_npz(&dir, &shape, x, mask);
        let text = match edit {
            "rank = 2" => DECOMP.replace("rank = 2", "rank = 7"),
            "[data]\n" => DECOMP.replace("[data]\n", "[data]\nmask_array = \"mask\"\n"),
            // A rank listed twice once panicked writing the selection arrays.
            "[selection]" => format!("{DECOMP}\n[selection]\nranks = [1, 1, 2]\n"),
            _ => DECOMP.to_string(),
        };
        std::fs::write(&spec, text).unwrap();
        let o =
            neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "case {k}: {err}");
        let want = if phrase == "rank = 7" { "rank 7 is larger" } else { phrase };
        assert!(err.contains(want), "case {k}: expected {want:?} in: {err}");
        assert!(entries(&out).is_empty(), "case {k}: something was written");
    }
    // NaN entries masked on request: the run completes and writes factors, metrics, figures.
    write_npz(&dir, &[6, 10], bad_nan, None);
    std::fs::write(&spec, DECOMP.replace("[data]\n", "[data]\nnan = \"mask\"\n")).unwrap();
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    for f in
        ["factors.npz", "metrics.json", "report.html", "figures/loss.svg", "figures/components.svg"]
    {
        assert!(run.join(f).exists(), "{f} missing");
    }
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    assert!(metrics["relative_error"].as_f64().unwrap() < 0.5, "{metrics}");
    let (rel, sq) = (
        metrics["relative_error"].as_f64().unwrap(),
        metrics["squared_relative_error"].as_f64().unwrap(),
    );
    assert!((rel * rel - sq).abs() < 1e-12, "{metrics}");
    // The resolved spec names the data absolutely: it runs again from another folder.
    let moved = scratch("decomp-moved");
    std::fs::copy(run.join("spec.toml"), moved.join("spec.toml")).unwrap();
    let o = neurodyn(&[
        "run",
        moved.join("spec.toml").to_str().unwrap(),
        "--out",
        moved.join("out").to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let again = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert_eq!(
        std::fs::read(again.join("factors.npz")).unwrap(),
        std::fs::read(run.join("factors.npz")).unwrap(),
        "the same factors from the resolved spec"
    );
}

#[test]
fn chaos_studies_run_and_compare_with_their_paper() {
    let dir = scratch("chaos");
    let out = dir.join("out");
    let tanh = "name = \"sweep\"\n[chaos.tanh_gain_sweep]\nsizes = [60]\ngains = [0.5, 3.0]\nn_transient = 100\nn_steps = 400\n";
    let theta = "name = \"theta\"\n[chaos.theta_balanced]\nsizes = [30, 60]\nin_degree = 5\nspikes_per_neuron = 30\ndrive = { rate_hz = 100.0, weight = 0.5 }\n";
    let driven = "name = \"driven\"\n[chaos.theta_driven]\nsizes = [30]\nin_degree = 5\ntransient = 5.0\nduration = 30.0\ntrials = 4\n";
    let deep = "name = \"deep\"\n[chaos.deep_jacobian]\nwidth = 30\ndepths = [2, 4]\nsamples = 3\n[[chaos.deep_jacobian.cases]]\nnonlinearity = \"tanh\"\nweights = \"orthogonal\"\nsigma_w = 1.05\n[[chaos.deep_jacobian.cases]]\nnonlinearity = \"relu\"\nweights = \"gaussian\"\nsigma_w = 1.4\n";
    for (file, text, figure, key) in [
        ("tanh.toml", tanh, "figures/lambda_vs_gain.svg", "largest_size"),
        ("theta.toml", theta, "figures/spectra.svg", "relative_spread_of_positive_fraction"),
        ("driven.toml", driven, "figures/reliability_rasters.svg", "min_extrapolation_over_bound"),
        ("deep.toml", deep, "figures/spread_vs_depth.svg", "largest_deviation_in_standard_errors"),
    ] {
        let spec = dir.join(file);
        std::fs::write(&spec, text).unwrap();
        let o =
            neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let run = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        assert!(run.join(figure).exists() && run.join("chaos.npz").exists(), "{file}");
        let metrics: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap())
                .unwrap();
        assert!(metrics.get(key).is_some() && metrics["paper"].is_string(), "{metrics}");
        if file == "theta.toml" {
            assert!(run.join("figures/driven_spectra.svg").exists());
            assert!(metrics["driven"]["still_chaotic"].is_boolean(), "{metrics}");
        }
        if key == "largest_size" {
            // Stable at g = 0.5, chaotic at g = 3: the sweep brackets a crossing.
            let g = metrics[key]["zero_crossing_gain"].as_f64().unwrap_or(f64::NAN);
            assert!(g > 0.5 && g < 3.0, "{metrics}");
        }
    }
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, tanh.replace("gains = [0.5, 3.0]", "gains = [-1.0]")).unwrap();
    let o = neurodyn(&["run", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chaos.tanh_gain_sweep.gains"), "{}", stderr(&o));
    std::fs::write(&bad, driven.replace("trials = 4", "trials = 4\ndt = 0.5")).unwrap();
    let o = neurodyn(&["run", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chaos.theta_driven.dt"), "{}", stderr(&o));
    // Word bins finer than the time step (spike times live on its grid) or too coarse for ten
    // bins in the analysed time are refused before anything runs.
    for (extra, field) in [
        ("bin = 0.001", "chaos.theta_driven.bin"),
        ("word_sensitivity = [[1e-6, 4]]", "chaos.theta_driven.word_sensitivity"),
        ("word_sensitivity = [[5.0, 2]]", "chaos.theta_driven.word_sensitivity"),
    ] {
        std::fs::write(&bad, driven.replace("trials = 4", &format!("trials = 4\n{extra}")))
            .unwrap();
        let o = neurodyn(&["check", bad.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{extra}");
        assert!(stderr(&o).contains(field), "{extra}: {}", stderr(&o));
    }
    std::fs::write(&bad, deep.replace("sigma_w = 1.4", "sigma_w = -1.4")).unwrap();
    let o = neurodyn(&["run", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chaos.deep_jacobian.cases[1].sigma_w"), "{}", stderr(&o));
}

#[test]
fn amp_study_compares_amp_with_als_below_its_threshold() {
    let dir = scratch("amp");
    let out = dir.join("out");
    let text = "name = \"amp\"\nseed = 2\n[amp]\norder = 2\nn = 300\nprior = \"gaussian\"\nprior_mean = 1.0\nsnrs = [0.1, 2.0]\ntrials = 2\niters = 30\n";
    let spec = dir.join("amp.toml");
    std::fs::write(&spec, text).unwrap();
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert!(run.join("figures/amp_vs_als.svg").exists() && run.join("amp.npz").exists());
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    // λ = 0.1 is below ALS's threshold 1/E[x²]² = 0.25: ALS finds nothing, AMP uses the prior.
    assert_eq!(m["als_threshold_snr"].as_f64(), Some(0.25));
    let (amp, als) =
        (m["amp_rescaled_mse"][0].as_f64().unwrap(), m["als_rescaled_mse"][0].as_f64().unwrap());
    assert!(amp < 0.8 * als, "AMP {amp}, ALS {als}");
    // AMP's own error follows its state evolution within finite-size noise.
    let (own, se) =
        (m["amp_mse"][1].as_f64().unwrap(), m["state_evolution_mse"][1].as_f64().unwrap());
    assert!((own - se).abs() < 0.05, "AMP {own}, state evolution {se}");
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, text.replace("order = 2", "order = 3")).unwrap();
    let o = neurodyn(&["run", bad.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("amp.prior_mean"), "{}", stderr(&o));
}

#[test]
fn comparison_trains_each_network_and_compares_topology_and_geometry() {
    let dir = scratch("compare");
    let out = dir.join("out");
    std::fs::write(dir.join("a.toml"), SMALL).unwrap();
    let gru = SMALL.replacen("name = \"small\"", "name = \"small_gru\"", 1).replacen(
        "cell = \"vanilla\"\nn_hidden = 16\ndt = 10.0\ntau = 20.0",
        "cell = \"gru\"\nn_hidden = 12\ndt = 10.0\ntau = 10.0",
        1,
    );
    std::fs::write(dir.join("b.toml"), &gru).unwrap();
    let spec = dir.join("cmp.toml");
    std::fs::write(
        &spec,
        "name = \"cmp\"\n[compare]\nspecs = [\"a.toml\", \"b.toml\"]\nn_trials = 8\n",
    )
    .unwrap();
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert!(run.join("figures/comparison.svg").exists() && run.join("comparison.npz").exists());
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["networks"].as_array().unwrap().len(), 2, "{m}");
    let pair = &m["pairs"][0];
    for key in ["svcca", "linear_cka"] {
        let v = pair[key].as_f64().unwrap();
        assert!((0.0..=1.0 + 1e-9).contains(&v), "{key} = {v}");
    }
    assert_eq!(m["networks"][1]["cell"], "gru");
    // The resolved spec holds both members inline and runs again as it is.
    let resolved = std::fs::read_to_string(run.join("spec.toml")).unwrap();
    assert!(resolved.contains("[[networks]]") && !resolved.contains("a.toml"), "{resolved}");
    let o = neurodyn(&["check", run.join("spec.toml").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Members on different tasks are refused, naming the field.
    std::fs::write(dir.join("b.toml"), gru.replacen("n_bits = 2", "n_bits = 3", 1)).unwrap();
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("compare.specs"), "{}", stderr(&o));
}

#[test]
fn tanh_sweep_runs_on_a_given_network_and_refuses_a_misshapen_one() {
    use neurodyn::io::npz::{Array, write};
    let dir = scratch("tanh_network");
    let out = dir.join("out");
    // W = 0.5 I: every exponent is log 0.5 at h = 0 (tanh'(0) = 1), the trajectory stays at 0.
    let n = 4;
    let w: Vec<f64> = (0..n * n).map(|k| if k % (n + 1) == 0 { 0.5 } else { 0.0 }).collect();
    write(
        &dir.join("net.npz"),
        &[("w", Array::f64(&[n, n], w)), ("h0", Array::f64(&[n], vec![0.0; n]))],
    )
    .unwrap();
    let text = "name = \"given\"\n[chaos.tanh_gain_sweep]\nsizes = [4]\ngains = [1.0]\nn_transient = 0\nn_steps = 100\nn_exponents = 4\nnetwork = \"net.npz\"\n";
    let spec = dir.join("spec.toml");
    std::fs::write(&spec, text).unwrap();
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let run = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    let lam = m["sizes"][0]["lambda_max_per_step"][0].as_f64().unwrap();
    assert!((lam - 0.5f64.ln()).abs() < 1e-12, "{lam}");
    std::fs::write(
        &spec,
        text.replace("sizes = [4]", "sizes = [5]").replace("n_exponents = 4", "n_exponents = 5"),
    )
    .unwrap();
    let o = neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("chaos.tanh_gain_sweep.network"), "{}", stderr(&o));
}

/// Every spec under `examples/` passes `check`, and every reproduction among them says so.
#[test]
fn every_example_passes_check() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut specs = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|e| e == "toml") {
                specs.push(p);
            }
        }
    }
    assert!(specs.len() >= 15, "{specs:?}");
    for spec in &specs {
        let o = neurodyn(&["check", spec.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{}: {}", spec.display(), stderr(&o));
        let text = std::fs::read_to_string(spec).unwrap();
        let says = String::from_utf8_lossy(&o.stdout).contains("reproduces a published claim");
        assert_eq!(says, text.contains("[reproduce]"), "{}", spec.display());
    }
}

/// A run that could not fit in memory is refused by `check` (and `run`) from its estimate,
/// naming the field, before anything is allocated: a planted decomposition of rank 10⁹ once
/// aborted the process trying to allocate 240 GB.
#[test]
fn regression_huge_planted_rank_is_refused_from_the_memory_estimate() {
    let dir = scratch("memory");
    let spec = dir.join("huge.toml");
    let text = "name = \"huge\"\n[data.planted]\nkind = \"cp\"\nshape = [30, 40, 50]\nrank = 1000000000\n[method.cp]\nrank = 3\n";
    std::fs::write(&spec, text).unwrap();
    for args in [vec!["check"], vec!["run", "--out", dir.join("out").to_str().unwrap()]] {
        let mut args = args.clone();
        args.push(spec.to_str().unwrap());
        let o = neurodyn(&args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let e = stderr(&o);
        assert!(e.contains("data.planted.rank") && e.contains("GiB of memory"), "{e}");
        assert!(e.contains("huge.toml:5:"), "located in the file: {e}");
    }
    assert!(!dir.join("out").exists());
}

/// `reproduce --quick` runs a reproduction, prints its claim in the table and writes the
/// claim into metrics.json; a spec with a malformed `[reproduce]` table is refused.
#[test]
fn reproduce_runs_a_reproduction_and_tabulates_its_claim() {
    let dir = scratch("reproduce");
    let spec = dir.join("repro.toml");
    let text = SMALL.to_string()
        + r#"
[reproduce]
paper = { authors = "Nobody", year = 2000 }
statement = "the loss goes down"
checks = [{ quantity = "final loss", metric = "final_loss", expected = { below = { limit = 1e9 } }, why = "any finite loss" }]
quick = { "train.max_steps" = 4 }
"#;
    std::fs::write(&spec, &text).unwrap();
    let out = dir.join("out");
    let o =
        neurodyn(&["reproduce", "--quick", spec.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("| repro | Nobody 2000 | the loss goes down |"), "{table}");
    assert!(table.contains("**yes**"), "{table}");
    let run = std::fs::read_dir(&out).unwrap().next().unwrap().unwrap().path();
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(metrics["claim"]["holds"], true, "{metrics}");
    assert!(std::fs::read_to_string(run.join("spec.toml")).unwrap().contains("max_steps = 4"));
    // A claim that cannot hold fails the full run (exit 1) and is marked in the table.
    std::fs::write(
        &spec,
        text.replace("limit = 1e9", "limit = -1.0")
            .replace("quick = { \"train.max_steps\" = 4 }", ""),
    )
    .unwrap();
    let o = neurodyn(&["reproduce", spec.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("**no** ✗"));
    std::fs::write(&spec, text.replace("statement", "statment")).unwrap();
    let o = neurodyn(&["check", spec.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("reproduce"), "{}", stderr(&o));
}

/// The `dimensionality` kind: a flat 3-D subspace has linear and intrinsic dimension 3; the
/// same latent points curved through cosine features keep intrinsic dimension ≈ 3 while the
/// participation ratio grows; a 1-D array is refused naming the field.
#[test]
fn dimensionality_tells_linear_from_intrinsic_dimension() {
    use neurodyn::io::npz::{Array, write};
    let dir = scratch("dimensionality");
    let out = dir.join("out");
    let flat = "name = \"flat\"\n[dimensionality]\nplanted = { dim = 3, ambient = 30, n = 1500 }\nmax_points = 1500\n";
    let mut measured = Vec::new();
    for (file, text) in [
        ("flat.toml", flat.to_string()),
        ("curved.toml", flat.replace("n = 1500 }", "n = 1500, curved = true }")),
    ] {
        let spec = dir.join(file);
        std::fs::write(&spec, &text).unwrap();
        let o =
            neurodyn(&["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let run = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
        assert!(run.join("figures/variance.svg").exists() && run.join("report.html").exists());
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(run.join("metrics.json")).unwrap())
                .unwrap();
        measured.push(m);
    }
    let get = |m: &serde_json::Value, k: &str| m[k].as_f64().unwrap();
    // Flat: exactly 3 non-zero covariance eigenvalues, so 90 % needs at most 3 components.
    assert!(get(&measured[0], "components_for_90_percent_variance") <= 3.0, "{}", measured[0]);
    for m in &measured {
        for k in ["two_nn", "levina_bickel"] {
            assert!((get(m, k) - 3.0).abs() < 0.5, "{k}: {m}");
        }
    }
    assert!(
        get(&measured[1], "participation_ratio") > 2.0 * get(&measured[0], "participation_ratio")
    );
    write(&dir.join("bad.npz"), &[("x", Array::f64(&[30], vec![0.0; 30]))]).unwrap();
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "name = \"bad\"\n[dimensionality]\npath = \"bad.npz\"\n").unwrap();
    let o = neurodyn(&["check", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("dimensionality.array"), "{}", stderr(&o));
}

/// Waits for a `.partial` run under `out` (with `file` in it, if given) while `child` runs.
fn wait_for_partial(out: &Path, file: Option<&str>, child: &mut std::process::Child) -> PathBuf {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let found = entries(out).into_iter().find(|n| n.ends_with(".partial")).map(|n| out.join(n));
        if let Some(p) = found.filter(|p| file.is_none_or(|f| p.join(f).exists())) {
            return p;
        }
        assert!(std::time::Instant::now() < deadline, "no partial run appeared");
        assert!(child.try_wait().unwrap().is_none(), "the run finished before the signal");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn send_sigterm(child: &std::process::Child) {
    let ok = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    assert!(ok.success());
}

/// SIGTERM (what Slurm sends before killing a job) stops a training run at the next step with
/// a checkpoint, exit 143, the run still `.partial`, and the resume command printed; resuming
/// gives the same weights as a run never interrupted.
#[test]
fn sigterm_checkpoints_a_training_run_that_resumes_to_the_same_weights() {
    let dir = scratch("sigterm-train");
    let spec = dir.join("long.toml");
    std::fs::write(&spec, SMALL.replacen("max_steps = 60", "max_steps = 3000", 1)).unwrap();
    let reference = run_small(&spec, &dir.join("reference"));
    let out = dir.join("stopped");
    let mut child = Command::new(BIN)
        .args(["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let partial = wait_for_partial(&out, Some("checkpoint.npz"), &mut child);
    send_sigterm(&child);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
    assert!(stderr(&o).contains("neurodyn run --resume"), "{}", stderr(&o));
    assert!(entries(&out).iter().all(|n| n.starts_with('.')), "{:?}", entries(&out));
    let o = neurodyn(&["run", "--resume", partial.to_str().unwrap(), "--quiet"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let resumed = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim());
    assert_eq!(params(&resumed), params(&reference), "resumed weights differ");
}

/// A spec is read once, so it may come from a pipe (`/dev/stdin`, a shell's `<(…)`): it used
/// to be read twice, the second read finding the pipe empty.
#[test]
fn a_spec_can_come_from_a_pipe() {
    use std::io::Write;
    let mut child = Command::new(BIN)
        .args(["check", "/dev/stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(SMALL.as_bytes()).unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("ok (rnn run"), "{o:?}");
}

/// Without `--quiet`, the first signal is acknowledged at once: the run says it is finishing
/// its current step to save it, and that a second signal quits.
#[test]
fn the_first_signal_is_acknowledged_before_the_step_finishes() {
    let dir = scratch("signal-notice");
    let spec = dir.join("long.toml");
    std::fs::write(&spec, SMALL.replacen("max_steps = 60", "max_steps = 3000", 1)).unwrap();
    let out = dir.join("out");
    let o = Command::new(BIN)
        .args(["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .env("NEURODYN_FAULT", "0 TERM")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(143), "{}", stderr(&o));
    let err = stderr(&o);
    let (notice, resume) = (err.find("stopping:"), err.find("neurodyn run --resume"));
    assert!(notice.is_some() && notice < resume, "{err}");
    assert!(err.contains("second Ctrl-C quits at once"), "{err}");
}

/// SIGTERM from outside stops a long spiking run within 1000 steps: it saves the network's
/// state, exits 143 and stays partial (`resume.rs` checks that resuming gives the same bits).
#[test]
fn sigterm_checkpoints_a_long_spiking_run_leaving_it_partial() {
    let dir = scratch("sigterm-spiking");
    let cuba = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/spiking/cuba.toml");
    let text = std::fs::read_to_string(cuba).unwrap();
    let spec = dir.join("long.toml");
    std::fs::write(&spec, text.replace("duration = 1000.0", "duration = 600000.0")).unwrap();
    let out = dir.join("out");
    let mut child = Command::new(BIN)
        .args(["run", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "--quiet"])
        .spawn()
        .unwrap();
    let partial = wait_for_partial(&out, None, &mut child);
    send_sigterm(&child);
    assert_eq!(child.wait().unwrap().code(), Some(143));
    assert!(entries(&out).iter().all(|n| n.starts_with('.')), "{:?}", entries(&out));
    assert!(partial.join("checkpoints/network.bin").is_file(), "the state was saved");
}
