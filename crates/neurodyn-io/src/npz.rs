//! Named arrays in NumPy's `.npz` format (an uncompressed zip of `.npy` files).

use crate::IoError;
use ndarray::{ArrayD, IxDyn};
use ndarray_npy::{NpzReader, NpzWriter};
use std::fs::File;
use std::path::Path;

/// One named array: shape and row-major data.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Array {
    /// Floating-point data.
    F64(Vec<usize>, Vec<f64>),
    /// Integer data (labels, counts, codes).
    I32(Vec<usize>, Vec<i32>),
}

impl Array {
    /// A float array of the given shape; panics if `data` does not fill it exactly.
    pub fn f64(shape: &[usize], data: Vec<f64>) -> Self {
        assert_eq!(
            shape.iter().product::<usize>(),
            data.len(),
            "array shape {shape:?} does not match {} values",
            data.len()
        );
        Array::F64(shape.to_vec(), data)
    }

    /// An integer array of the given shape; panics if `data` does not fill it exactly.
    pub fn i32(shape: &[usize], data: Vec<i32>) -> Self {
        assert_eq!(
            shape.iter().product::<usize>(),
            data.len(),
            "array shape {shape:?} does not match {} values",
            data.len()
        );
        Array::I32(shape.to_vec(), data)
    }

    /// Shape of the array.
    pub fn shape(&self) -> &[usize] {
        match self {
            Array::F64(s, _) | Array::I32(s, _) => s,
        }
    }

    /// The data as `f64`.
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            Array::F64(_, d) => d.clone(),
            Array::I32(_, d) => d.iter().map(|&v| v as f64).collect(),
        }
    }
}

/// A file that keeps the first I/O error instead of returning it, so that the zip writer on
/// top of it finishes normally (a zip writer dropped after a failed write prints to stderr)
/// and the error reaches the caller as the operating system's, e.g. a full disk.
struct Recording {
    file: File,
    error: Option<std::io::Error>,
}

impl std::io::Write for Recording {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.error.is_none()
            && let Err(e) = self.file.write_all(buf)
        {
            self.error = Some(e);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if self.error.is_none()
            && let Err(e) = self.file.flush()
        {
            self.error = Some(e);
        }
        Ok(())
    }
}

impl std::io::Seek for Recording {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        self.file.seek(pos)
    }
}

/// Writes `arrays` to `path` as an `.npz` archive.
pub fn write(path: &Path, arrays: &[(&str, Array)]) -> Result<(), IoError> {
    let file = File::create(path).map_err(IoError::os(path))?;
    let mut npz = NpzWriter::new(Recording { file, error: None });
    let mut failed = None;
    for (name, array) in arrays {
        let result = match array {
            Array::F64(shape, data) => npz.add_array(*name, &to_nd(shape, data.clone(), path)?),
            Array::I32(shape, data) => npz.add_array(*name, &to_nd(shape, data.clone(), path)?),
        };
        if let Err(e) = result {
            failed = Some(IoError::format(path, format!("writing array `{name}`: {e}")));
            break;
        }
    }
    let finished = npz.finish();
    let recording = match finished {
        Ok(r) => r,
        Err(e) => return Err(failed.unwrap_or_else(|| IoError::format(path, e))),
    };
    if let Some(e) = recording.error {
        return Err(IoError::os(path)(e));
    }
    if let Some(e) = failed {
        return Err(e);
    }
    recording.file.sync_all().map_err(IoError::os(path))
}

fn to_nd<T>(shape: &[usize], data: Vec<T>, path: &Path) -> Result<ArrayD<T>, IoError> {
    ArrayD::from_shape_vec(IxDyn(shape), data).map_err(|e| IoError::format(path, e))
}

/// Reads the array `name` from the `.npz` at `path`, as `f64` whichever type was stored.
pub fn read(path: &Path, name: &str) -> Result<Array, IoError> {
    let file = File::open(path).map_err(IoError::os(path))?;
    let mut npz = NpzReader::new(file).map_err(|e| IoError::format(path, e))?;
    let entry = format!("{name}.npy");
    if let Ok(a) = npz.by_name::<ndarray::OwnedRepr<f64>, IxDyn>(&entry) {
        return Ok(Array::F64(a.shape().to_vec(), a.iter().copied().collect()));
    }
    if let Ok(a) = npz.by_name::<ndarray::OwnedRepr<i32>, IxDyn>(&entry) {
        return Ok(Array::I32(a.shape().to_vec(), a.iter().copied().collect()));
    }
    // NumPy's default integer is int64: accepted when every value fits in 32 bits.
    match npz.by_name::<ndarray::OwnedRepr<i64>, IxDyn>(&entry) {
        Ok(a) => {
            let data: Option<Vec<i32>> = a.iter().map(|&v| i32::try_from(v).ok()).collect();
            let data = data.ok_or_else(|| {
                IoError::format(
                    path,
                    format!("array `{name}`: int64 values beyond the 32-bit range"),
                )
            })?;
            Ok(Array::I32(a.shape().to_vec(), data))
        }
        Err(e) => Err(IoError::format(path, format!("array `{name}`: {e}"))),
    }
}

/// Reads the float array `name` from the `.npz` at `path`.
pub fn read_f64(path: &Path, name: &str) -> Result<(Vec<usize>, Vec<f64>), IoError> {
    let a = read(path, name)?;
    Ok((a.shape().to_vec(), a.to_f64()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_round_trip() {
        let dir = std::env::temp_dir().join(format!("neurodyn-npz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.npz");
        let a = Array::f64(&[2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.5]);
        let b = Array::i32(&[3], vec![0, 1, 2]);
        write(&path, &[("a", a.clone()), ("b", b.clone())]).unwrap();
        assert_eq!(read(&path, "a").unwrap(), a);
        assert_eq!(read(&path, "b").unwrap(), b);
        assert!(read(&path, "c").is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
