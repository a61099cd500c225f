//! Configuration of a rate RNN: plain values, validated once by [`RnnConfig::build`].

use neurodyn_core::{RangeError, check};
use serde::{Deserialize, Serialize};

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
        RnnConfig {
            cell: CellKind::Gru,
            alpha: 1.0,
            ..Self::leaky_tanh(n_input, n_hidden, n_output, 1.0)
        }
    }

    /// An LSTM with the given sizes.
    pub fn lstm(n_input: usize, n_hidden: usize, n_output: usize) -> Self {
        RnnConfig {
            cell: CellKind::Lstm,
            alpha: 1.0,
            ..Self::leaky_tanh(n_input, n_hidden, n_output, 1.0)
        }
    }

    /// Checks every field; the error names the first field out of range.
    pub fn validate(&self) -> Result<(), RangeError> {
        check(self.n_input > 0, "n_input", self.n_input, "at least 1")?;
        check(self.n_hidden > 0, "n_hidden", self.n_hidden, "at least 1")?;
        check(self.n_output > 0, "n_output", self.n_output, "at least 1")?;
        check(
            self.alpha > 0.0 && self.alpha <= 1.0,
            "alpha",
            self.alpha,
            "0 < alpha <= 1 (alpha = dt/tau)",
        )?;
        let gated = self.cell != CellKind::Vanilla;
        check(
            !gated || self.alpha == 1.0,
            "alpha",
            self.alpha,
            "1 for gated cells (GRU and LSTM have no leak)",
        )?;
        check(
            self.init_gain.is_finite() && self.init_gain >= 0.0,
            "init_gain",
            self.init_gain,
            "a finite value >= 0",
        )?;
        let p = self.connection_prob;
        check(p > 0.0 && p <= 1.0, "connection_prob", p, "0 < connection_prob <= 1")?;
        if let Some(d) = self.dale {
            check(
                d.e_fraction > 0.0 && d.e_fraction < 1.0,
                "dale.e_fraction",
                d.e_fraction,
                "0 < e_fraction < 1",
            )?;
        }
        Ok(())
    }
}
