//! Records the git commit and rustc version of the build for run manifests.
use std::process::Command;

fn main() {
    let run = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    if let Some(commit) = run("git", &["rev-parse", "--short=12", "HEAD"]) {
        println!("cargo:rustc-env=NEURODYN_GIT_COMMIT={commit}");
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    if let Some(version) = run(&rustc, &["--version"]) {
        println!("cargo:rustc-env=NEURODYN_RUSTC={version}");
    }
    println!("cargo:rerun-if-changed=../../.git/HEAD");
    println!("cargo:rerun-if-changed=../../.git/refs");
}
