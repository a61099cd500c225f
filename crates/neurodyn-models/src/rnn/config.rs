//! Configuration of a rate RNN: plain values, validated once by [`RnnConfig::build`].

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The recurrent cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellKind {
    /// Leaky rate RNN / discretised CTRNN: `h ← (1−α)h + α·φ(W h + U x + b)`, `α = dt/τ`.
    Vanilla,
    /// Gated recurrent unit (Cho et al. 2014) in the "reset after" convention of cuDNN and
    /// PyTorch `nn.GRU`: `n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))`. Cho et al. apply the
    /// reset gate before the product (`W_hn (r ⊙ h)`); the two are different models of equal
    /// capacity. `h ← (1−z) ⊙ n + z ⊙ h`.
    Gru,
    /// Long short-term memory (Hochreiter & Schmidhuber 1997) with a forget gate (Gers,
    /// Schmidhuber & Cummins 2000), gates in PyTorch's order `i, f, g, o`; the state is `(h, c)`.
    Lstm,
}

impl CellKind {
    /// Number of gate blocks of size `n_hidden` in the recurrent weight matrix.
    pub fn n_gates(self) -> usize {
        match self {
            CellKind::Vanilla => 1,
            CellKind::Gru => 3,
            CellKind::Lstm => 4,
        }
    }

    /// Length of the state vector for `n_hidden` units: `(h, c)` for the LSTM, `h` otherwise.
    pub fn state_len(self, n_hidden: usize) -> usize {
        match self {
            CellKind::Lstm => 2 * n_hidden,
            _ => n_hidden,
        }
    }
}

/// The rate nonlinearity `φ` of the vanilla cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activation {
    /// `tanh(u)`.
    Tanh,
    /// `max(u, 0)`.
    Relu,
    /// `ln(1 + eᵘ)`.
    Softplus,
}

/// Sign-constrained recurrent weights after Song, Yang & Wang (2016): `W = |W_raw| · D`, where
/// `D = diag(±1)` marks each presynaptic unit excitatory (+1) or inhibitory (−1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct DaleConfig {
    /// Fraction of units that are excitatory, the first `round(e_fraction · n_hidden)` units
    /// (Song et al. use 0.8) [1].
    pub e_fraction: f64,
}

/// Configuration of a rate RNN with a linear readout `y = W_out h + b_out`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RnnConfig {
    /// Recurrent cell.
    pub cell: CellKind,
    /// Input dimension `n_input` [1].
    pub n_input: usize,
    /// Number of hidden units `n_hidden` [1].
    pub n_hidden: usize,
    /// Readout dimension `n_output` [1].
    pub n_output: usize,
    /// Leak `α = dt/τ ∈ (0, 1]` of the vanilla cell (1 = no leak) [1].
    pub alpha: f64,
    /// Nonlinearity of the vanilla cell.
    pub activation: Activation,
    /// Spectral scale `g` of the initial recurrent weights, `W_ij ~ N(0, g²/n_hidden)` for the
    /// vanilla cell (Sompolinsky et al. 1988); ignored by GRU/LSTM, which use PyTorch's
    /// `U(−1/√n, 1/√n)` [1].
    pub init_gain: f64,
    /// Optional Dale's-law sign constraint on the recurrent weights.
    pub dale: Option<DaleConfig>,
    /// Probability that a recurrent connection exists in the fixed random connectivity mask
    /// (1 = dense) [1].
    pub connection_prob: f64,
}

/// An invalid [`RnnConfig`].
#[derive(Debug, Error, PartialEq)]
pub enum ConfigError {
    /// A field outside its allowed range.
    #[error("{field} = {value} is out of range: expected {expected}")]
    OutOfRange {
        /// The field name.
        field: &'static str,
        /// The offending value, as written.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
}

impl RnnConfig {
    /// A dense leaky tanh RNN with `α = alpha` and initial gain 0.9.
    pub fn leaky_tanh(n_input: usize, n_hidden: usize, n_output: usize, alpha: f64) -> Self {
        RnnConfig {
            cell: CellKind::Vanilla,
            n_input,
            n_hidden,
            n_output,
            alpha,
            activation: Activation::Tanh,
            init_gain: 0.9,
            dale: None,
            connection_prob: 1.0,
        }
    }

    /// A GRU with the given sizes.
    pub fn gru(n_input: usize, n_hidden: usize, n_output: usize) -> Self {
        RnnConfig { cell: CellKind::Gru, alpha: 1.0, ..Self::leaky_tanh(n_input, n_hidden, n_output, 1.0) }
    }

    /// An LSTM with the given sizes.
    pub fn lstm(n_input: usize, n_hidden: usize, n_output: usize) -> Self {
        RnnConfig { cell: CellKind::Lstm, alpha: 1.0, ..Self::leaky_tanh(n_input, n_hidden, n_output, 1.0) }
    }

    /// Checks every field; the error names the first field out of range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |field, value: String, expected| Err(ConfigError::OutOfRange { field, value, expected });
        if self.n_input == 0 {
            return bad("n_input", "0".into(), "at least 1");
        }
        if self.n_hidden == 0 {
            return bad("n_hidden", "0".into(), "at least 1");
        }
        if self.n_output == 0 {
            return bad("n_output", "0".into(), "at least 1");
        }
        if !(self.alpha > 0.0 && self.alpha <= 1.0) {
            return bad("alpha", self.alpha.to_string(), "0 < alpha <= 1 (alpha = dt/tau)");
        }
        if self.cell != CellKind::Vanilla && self.alpha != 1.0 {
            return bad("alpha", self.alpha.to_string(), "1 for gated cells (GRU and LSTM have no leak)");
        }
        if !(self.init_gain.is_finite() && self.init_gain >= 0.0) {
            return bad("init_gain", self.init_gain.to_string(), "a finite value >= 0");
        }
        if !(self.connection_prob > 0.0 && self.connection_prob <= 1.0) {
            return bad("connection_prob", self.connection_prob.to_string(), "0 < connection_prob <= 1");
        }
        if let Some(d) = self.dale
            && !(d.e_fraction > 0.0 && d.e_fraction < 1.0)
        {
            return bad("dale.e_fraction", d.e_fraction.to_string(), "0 < e_fraction < 1");
        }
        Ok(())
    }
}
