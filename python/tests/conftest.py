"""Shared fixtures: the repository root, golden data, and the CLI binary when built."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"


def cli_binary() -> Path | None:
    """The neurodyn binary: $NEURODYN_BIN, target/release/neurodyn, or on PATH."""
    for candidate in (os.environ.get("NEURODYN_BIN"), REPO / "target" / "release" / "neurodyn",
                      shutil.which("neurodyn")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.fixture
def cli() -> Path:
    binary = cli_binary()
    if binary is None:
        pytest.skip("the neurodyn binary is not built (cargo build --release)")
    return binary
