//! Unit checkpoints keep every bit of what they save, and refuse what they did not write.

use neurodyn_io::run_dir::{self, RunDir};

#[test]
fn unit_checkpoints_keep_every_bit_and_refuse_other_files() {
    let out = std::env::temp_dir().join(format!("neurodyn-io-units-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&out);
    let dir = RunDir::create_named(&out, "run").unwrap();
    let value: (Vec<f64>, Option<String>, u64) =
        (vec![f64::NAN, -0.0, f64::INFINITY, 1e-310, 0.1 + 0.2], Some("x".into()), u64::MAX);
    run_dir::save_unit(&dir, "case0", &value).unwrap();
    assert!(run_dir::has_checkpoint(dir.path()));
    let back: (Vec<f64>, Option<String>, u64) =
        run_dir::load_unit(dir.path(), "case0").unwrap().unwrap();
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&back.0), bits(&value.0));
    assert_eq!((back.1, back.2), (value.1, value.2));
    // Missing: None. Not ours: an error naming the file.
    assert!(run_dir::load_unit::<u64>(dir.path(), "case1").unwrap().is_none());
    std::fs::write(dir.path().join("checkpoints/case1.bin"), [0xff; 3]).unwrap();
    let err = run_dir::load_unit::<(Vec<f64>, String)>(dir.path(), "case1").unwrap_err();
    assert!(err.to_string().contains("case1.bin"), "{err}");
    run_dir::remove_units(&dir).unwrap();
    assert!(!run_dir::has_checkpoint(dir.path()));
    let _ = std::fs::remove_dir_all(&out);
}
