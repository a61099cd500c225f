//! # neurodyn-io
//!
//! Everything neurodyn reads or writes, and the only library crate that touches the filesystem:
//!
//! - [`spec`]: experiment specs in TOML — parsed, validated once, and written back resolved
//!   (every default filled in). Bad input becomes a [`spec::SpecError`] that names the file,
//!   line, column, field and what was expected;
//! - [`claim`]: checked claims, a paper's result against a run's measurement;
//! - [`npz`]: named `f64`/`i32` arrays in NumPy's `.npz` format;
//! - [`run_dir`]: run directories written under a temporary name and renamed when complete,
//!   never overwriting an earlier run; checkpoints; manifests.
//!
//! ```
//! use neurodyn_io::spec::{DEMO_SPEC, REPRODUCE_TABLE, apply_overrides, rnn};
//! // The demo spec is also a reproduction: its [reproduce] table is the registry's, not the
//! // RNN schema's, so it is taken out before the kind parses the rest.
//! let text = apply_overrides(DEMO_SPEC, "demo.toml", &[], &[REPRODUCE_TABLE]).unwrap();
//! let spec = rnn::parse(&text, "demo.toml").unwrap();
//! assert_eq!(spec.name, "flipflop_3bit");
//! ```
#![deny(missing_docs)]

pub mod claim;
mod location;
pub mod npz;
pub mod run_dir;
pub mod spec;

use std::path::PathBuf;
use thiserror::Error;

/// A failure to read or write a file.
#[derive(Debug, Error)]
pub enum IoError {
    /// The operating system refused. (The I/O error is part of the message, not a separate
    /// cause, so that error chains print it once.)
    #[error("{path}: {}", os_message(error))]
    Os {
        /// The file or directory.
        path: PathBuf,
        /// What went wrong.
        error: std::io::Error,
    },
    /// A file exists but its content is not what neurodyn wrote.
    #[error("{path}: {message}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

/// The OS's words without the "(os error N)" suffix, and what the common cases mean here.
fn os_message(e: &std::io::Error) -> String {
    use std::io::ErrorKind as K;
    let plain = e.to_string();
    let plain = plain.split(" (os error").next().unwrap_or(&plain).to_string();
    match e.kind() {
        K::StorageFull => format!("{plain}: the disk is full; free space or choose another --out"),
        K::ReadOnlyFilesystem | K::PermissionDenied => {
            format!("{plain}: choose a folder you can write to (--out)")
        }
        _ => plain,
    }
}

impl IoError {
    pub(crate) fn os(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> IoError {
        let path = path.into();
        move |error| IoError::Os { path, error }
    }

    /// A [`IoError::Format`] for `path`.
    pub fn format(path: impl Into<PathBuf>, message: impl ToString) -> IoError {
        IoError::Format { path: path.into(), message: message.to_string() }
    }
}
