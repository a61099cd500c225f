//! Specs: one TOML file says what to build, run and dissect.
//!
//! Each run kind has its schema in its own module here — [`rnn`] (`[task]`, `[model]`,
//! `[train]`), [`spiking`] (`[populations]`), [`decomp`] (`[method]`), [`chaos`], [`amp`] and
//! [`compare`], and [`sweep`] (a base spec and the fields to vary) — parsed into a typed value and validated once. Unknown keys, wrong types,
//! unknown names and out-of-range values are refused with a [`SpecError`] naming the file,
//! line, column and field. Which kind a spec is, and what runs it, is the facade's registry
//! (`neurodyn::kinds`); this module knows only the schemas and the rules every spec shares:
//! the schema version, a safe `name`, and [`apply_overrides`] of dotted fields.

use crate::location::{line_col, locate, path_at};
use neurodyn_core::RangeError;
use std::fmt;
use std::path::Path;

pub mod amp;
pub mod chaos;
pub mod compare;
pub mod decomp;
pub mod rnn;
pub mod spiking;
pub mod sweep;
pub use amp::AmpSpec;
pub use chaos::ChaosSpec;
pub use compare::CompareSpec;
pub use decomp::DecompSpec;
pub use rnn::RnnSpec;
pub use spiking::SpikingSpec;

/// The spec format version written into every resolved spec and manifest.
pub const SCHEMA_VERSION: u32 = 1;

/// A table any spec may carry besides its kind's: `[reproduce]`, the published claim the spec
/// checks (read by `neurodyn::kinds`). Kinds never see it.
pub const REPRODUCE_TABLE: &str = "reproduce";

/// The built-in default experiment run by `neurodyn demo`: the 3-bit flip-flop.
pub const DEMO_SPEC: &str = include_str!("../../../../examples/rnn/flipflop.toml");

/// [`SCHEMA_VERSION`], as a serde default.
pub fn schema_version() -> u32 {
    SCHEMA_VERSION
}

/// A spec that could not be read, with where and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    /// The file (or a label for an embedded spec).
    pub file: String,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// Dotted path of the offending field, when known.
    pub field: Option<String>,
    /// What is wrong and what was expected.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some((line, col)) = self.position {
            write!(f, ":{line}:{col}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": field `{field}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SpecError {}

/// The text of a spec file and its label for errors.
fn read(path: &Path) -> Result<(String, String), SpecError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SpecError {
        file: file.clone(),
        position: None,
        field: None,
        message: format!("cannot read the spec: {e}"),
    })?;
    Ok((text, file))
}

/// A validation error (its field a dotted path in `text`) located in the spec.
pub fn range_error(text: &str, file: &str, e: RangeError) -> SpecError {
    SpecError {
        file: file.to_string(),
        position: locate(text, &e.field).map(|s| line_col(text, s.start)),
        field: Some(e.field),
        message: format!("{} is not accepted: expected {}", e.value, e.expected),
    }
}

/// A TOML or serde error located in `text`.
pub fn serde_error(text: &str, file: &str, e: toml::de::Error) -> SpecError {
    let span = e.span();
    SpecError {
        file: file.to_string(),
        position: span.clone().map(|s| line_col(text, s.start)),
        field: span.and_then(|s| path_at(text, s)),
        message: e.message().trim().to_string(),
    }
}

/// A list of 1 to 1000 values at `field`, each accepted by `ok` (`expected` says what is):
/// errors name the list or the value's index (`field[i]`).
pub fn check_values(
    values: &[f64],
    field: &str,
    ok: impl Fn(f64) -> bool,
    expected: &str,
) -> Result<(), RangeError> {
    neurodyn_core::check(
        !values.is_empty() && values.len() <= 1000,
        field,
        format!("{} values", values.len()),
        "between 1 and 1000 values",
    )?;
    for (i, &x) in values.iter().enumerate() {
        neurodyn_core::check(ok(x), &format!("{field}[{i}]"), x, expected)?;
    }
    Ok(())
}

/// The name becomes a directory name: keep it to one safe path component.
pub fn check_name(name: &str) -> Result<(), RangeError> {
    let safe = !name.is_empty()
        && !name.starts_with('.')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    let rule = "letters, digits, '_', '-' and '.', not starting with '.'";
    neurodyn_core::check(safe, "name", format!("{name:?}"), rule)
}

/// The names of a list's entries (networks, points) become keys of `metrics.json` that claims
/// address by dotted path: each must be letters, digits and '_', and unique. `field` is the
/// list's path (`deep_linear.networks`); the error names the entry (`….networks[2].name`).
pub fn check_keys<'a>(
    field: &str,
    names: impl IntoIterator<Item = &'a str>,
) -> Result<(), RangeError> {
    let mut seen = Vec::new();
    for (i, name) in names.into_iter().enumerate() {
        let ok = !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !seen.contains(&name);
        let rule = "unique; letters, digits and '_'";
        neurodyn_core::check(ok, &format!("{field}[{i}].name"), format!("{name:?}"), rule)?;
        seen.push(name);
    }
    Ok(())
}

/// `path` against `base` when relative, as a string (for resolved specs).
pub(crate) fn absolute(base: &Path, path: &str) -> String {
    let joined = base.join(path);
    std::path::absolute(&joined).unwrap_or(joined).display().to_string()
}

/// Reads a spec file's text; errors name the file.
pub fn read_spec(path: &Path) -> Result<String, SpecError> {
    read(path).map(|(text, _)| text)
}

/// A spec nested in another at `field`, given as a file path (relative to `base`) or an
/// inline table: its text, the label its errors carry (the file, or `file [field]`) and the
/// folder its own relative paths resolve from. Used by sweeps (`sweep.base`) and by kinds that
/// run a network from another spec (`conditioning.network`).
pub fn nested(
    value: &toml::Value,
    text: &str,
    file: &str,
    base: &Path,
    field: &str,
) -> Result<(String, String, std::path::PathBuf), SpecError> {
    let error = |message: String| SpecError {
        file: file.to_string(),
        position: locate_field(text, field),
        field: Some(field.to_string()),
        message,
    };
    match value {
        toml::Value::String(path) => {
            let path = base.join(path);
            let nested = read_spec(&path)?;
            let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
            Ok((nested, path.display().to_string(), dir))
        }
        toml::Value::Table(t) => {
            let nested = toml::to_string(t).map_err(|e| error(format!("cannot write it: {e}")))?;
            Ok((nested, format!("{file} [{field}]"), base.to_path_buf()))
        }
        _ => Err(error("a spec file path or an inline table".into())),
    }
}

/// A TOML value set at a dotted path of a spec (`"model.n_hidden" = 128`).
pub type Override = (String, toml::Value);

/// The spec text with each dotted field set to its value (tables created as needed) and the
/// top-level tables in `remove` taken out; the text is returned unchanged when there is
/// nothing to do, so error positions stay those of the file.
pub fn apply_overrides(
    text: &str,
    file: &str,
    overrides: &[Override],
    remove: &[&str],
) -> Result<String, SpecError> {
    let mut table: toml::Table = toml::from_str(text).map_err(|e| serde_error(text, file, e))?;
    let removed = remove.iter().filter(|k| table.remove(**k).is_some()).count();
    if overrides.is_empty() && removed == 0 {
        return Ok(text.to_string());
    }
    for (path, value) in overrides {
        let parts: Vec<&str> = path.split('.').collect();
        let bad = |message: String| SpecError {
            file: file.to_string(),
            position: None,
            field: Some(path.clone()),
            message,
        };
        if parts.iter().any(|p| p.is_empty()) {
            return Err(bad("an override needs a dotted field path like `model.n_hidden`".into()));
        }
        let mut at = &mut table;
        for (i, part) in parts[..parts.len() - 1].iter().enumerate() {
            let entry = at
                .entry(part.to_string())
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            at = match entry {
                toml::Value::Table(t) => t,
                other => {
                    return Err(bad(format!(
                        "`{}` is a {}, not a table, so it has no field `{}`",
                        parts[..=i].join("."),
                        other.type_str(),
                        parts[i + 1]
                    )));
                }
            };
        }
        at.insert(parts[parts.len() - 1].to_string(), value.clone());
    }
    Ok(toml::to_string(&table).expect("a TOML table serialises"))
}

/// Re-locates an error of rewritten text (see [`apply_overrides`]) in the original file: its
/// field is looked up there; a field only an override set has no position.
pub fn relocate(mut e: SpecError, original: &str) -> SpecError {
    e.position = e.field.as_deref().and_then(|f| locate_field(original, f));
    e
}

/// The names of the top-level tables of a spec text (empty if it is not TOML).
pub fn top_level_keys(text: &str) -> Vec<String> {
    toml::de::DeTable::parse(text)
        .map(|t| t.get_ref().iter().map(|(k, _)| k.get_ref().to_string()).collect())
        .unwrap_or_default()
}

/// 1-based line and column of the field at a dotted path of `text` (or of its deepest
/// existing ancestor).
pub fn locate_field(text: &str, field: &str) -> Option<(usize, usize)> {
    locate(text, field).map(|s| line_col(text, s.start))
}

/// The dotted path of the field at a byte span of `text`.
pub fn field_at(text: &str, span: std::ops::Range<usize>) -> Option<String> {
    path_at(text, span)
}
