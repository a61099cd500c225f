//! Checked claims: a published result, what we measured, what the paper leads us to expect,
//! the tolerance and why it is that, and whether it holds.
//!
//! A reproduction writes one [`Claim`] into its `metrics.json` under `claim`; `neurodyn
//! reproduce` reads them back into one table. A claim is a list of [`Check`]s, each one
//! measured number against a [`Bound`]; the claim holds when every check does. A check whose
//! measured value is not finite fails.
//!
//! ```
//! use neurodyn_io::claim::{Bound, Check, Claim, Paper};
//! let paper = Paper::new("Sompolinsky, Crisanti & Sommers", 1988, None);
//! let check = Check::new(
//!     "λ_max crossing gain",
//!     1.03,
//!     Bound::Within { target: 1.0, tol: 0.1 },
//!     "finite-size shift ~ N^-1/2",
//! );
//! let claim = Claim::new(paper, "chaos begins at g = 1", vec![check]);
//! assert!(claim.holds);
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;

/// A published source.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    /// Authors as cited ("Kadmon & Ganguli").
    pub authors: String,
    /// Year of publication.
    pub year: u32,
    /// arXiv identifier (`1810.10065`), when it has one.
    #[serde(default)]
    pub arxiv: Option<String>,
}

impl Paper {
    /// A paper.
    pub fn new(authors: &str, year: u32, arxiv: Option<&str>) -> Paper {
        Paper { authors: authors.to_string(), year, arxiv: arxiv.map(String::from) }
    }
}

impl fmt::Display for Paper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.authors, self.year)?;
        if let Some(id) = &self.arxiv {
            write!(f, " (arXiv:{id})")?;
        }
        Ok(())
    }
}

/// What a measured value is expected to satisfy.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// `|measured − target| ≤ tol`.
    Within {
        /// The expected value.
        target: f64,
        /// Absolute tolerance.
        tol: f64,
    },
    /// `lo ≤ measured ≤ hi`.
    Between {
        /// Lower end.
        lo: f64,
        /// Upper end.
        hi: f64,
    },
    /// `measured > limit`.
    Above {
        /// Exclusive lower limit.
        limit: f64,
    },
    /// `measured < limit`.
    Below {
        /// Exclusive upper limit.
        limit: f64,
    },
}

impl Bound {
    /// Whether `x` satisfies the bound (never for a non-finite `x`).
    pub fn admits(&self, x: f64) -> bool {
        x.is_finite()
            && match *self {
                Bound::Within { target, tol } => (x - target).abs() <= tol,
                Bound::Between { lo, hi } => lo <= x && x <= hi,
                Bound::Above { limit } => x > limit,
                Bound::Below { limit } => x < limit,
            }
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Bound::Within { target, tol } => write!(f, "{} ± {}", sig(target), sig(tol)),
            Bound::Between { lo, hi } => write!(f, "[{}, {}]", sig(lo), sig(hi)),
            Bound::Above { limit } => write!(f, "> {}", sig(limit)),
            Bound::Below { limit } => write!(f, "< {}", sig(limit)),
        }
    }
}

/// One measured number against its bound.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Check {
    /// What was measured.
    pub quantity: String,
    /// The measured value (`null` in JSON when not finite).
    pub measured: Option<f64>,
    /// What the paper leads us to expect.
    pub expected: Bound,
    /// Why the bound is what it is (the tolerance's derivation).
    pub why: String,
    /// Whether `measured` satisfies `expected`.
    pub holds: bool,
}

impl Check {
    /// A check of `measured` against `expected`; `holds` is computed.
    pub fn new(quantity: &str, measured: f64, expected: Bound, why: &str) -> Check {
        Check {
            quantity: quantity.to_string(),
            measured: measured.is_finite().then_some(measured),
            expected,
            why: why.to_string(),
            holds: expected.admits(measured),
        }
    }
}

/// A published result checked against a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// The source.
    pub paper: Paper,
    /// The result, in a sentence.
    pub statement: String,
    /// The numbers compared.
    pub checks: Vec<Check>,
    /// Every check holds (and there is at least one).
    pub holds: bool,
}

impl Claim {
    /// A claim; it holds when it has checks and all of them hold.
    pub fn new(paper: Paper, statement: &str, checks: Vec<Check>) -> Claim {
        let holds = !checks.is_empty() && checks.iter().all(|c| c.holds);
        Claim { paper, statement: statement.to_string(), checks, holds }
    }

    /// The claim of a `metrics.json` value (its `claim` field), if it has one.
    pub fn from_metrics(metrics: &serde_json::Value) -> Option<Claim> {
        serde_json::from_value(metrics.get("claim")?.clone()).ok()
    }
}

/// `x` to four significant digits, without trailing zeros or a needless exponent.
pub fn sig(x: f64) -> String {
    if !x.is_finite() {
        return format!("{x}");
    }
    if x == 0.0 {
        return "0".into();
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-3..6).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_admit_what_they_say_and_never_nan() {
        let cases = [
            (Bound::Within { target: 1.0, tol: 0.1 }, 1.05, true),
            (Bound::Within { target: 1.0, tol: 0.1 }, 1.2, false),
            (Bound::Between { lo: 0.0, hi: 1.0 }, 1.0, true),
            (Bound::Between { lo: 0.0, hi: 1.0 }, -0.1, false),
            (Bound::Above { limit: 2.0 }, 2.0, false),
            (Bound::Below { limit: 2.0 }, 1.9, true),
        ];
        for (bound, x, expected) in cases {
            assert_eq!(bound.admits(x), expected, "{bound} with {x}");
            assert!(!bound.admits(f64::NAN), "{bound} admits NaN");
        }
    }

    #[test]
    fn a_claim_holds_only_if_every_check_does() {
        let paper = Paper::new("A", 2000, None);
        let ok = Check::new("a", 1.0, Bound::Above { limit: 0.0 }, "");
        let bad = Check::new("b", f64::NAN, Bound::Above { limit: 0.0 }, "");
        assert!(Claim::new(paper.clone(), "", vec![ok.clone()]).holds);
        assert!(!Claim::new(paper.clone(), "", vec![ok, bad]).holds);
        assert!(!Claim::new(paper, "", vec![]).holds);
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.0025123), "0.002512");
        assert_eq!(sig(1234.5678), "1235");
        assert_eq!(sig(1.5), "1.5");
        assert_eq!(sig(1.0e-7), "1.000e-7");
        assert_eq!(sig(-12.0), "-12");
    }
}
