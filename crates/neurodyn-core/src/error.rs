//! The error every config validation returns.

use thiserror::Error;

/// A config field outside its allowed range.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{field} = {value} is out of range: expected {expected}")]
pub struct RangeError {
    /// The field's path inside its config, e.g. `dale.e_fraction`.
    pub field: String,
    /// The offending value, as text.
    pub value: String,
    /// What was expected, in words.
    pub expected: String,
}

/// `Ok(())` when `ok`, otherwise a [`RangeError`] naming `field`, `value` and `expected`.
pub fn check(
    ok: bool,
    field: &str,
    value: impl ToString,
    expected: &str,
) -> Result<(), RangeError> {
    if ok {
        Ok(())
    } else {
        Err(RangeError {
            field: field.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        })
    }
}
