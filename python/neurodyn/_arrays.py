"""Array conversion: float64, C-contiguous, copied only when it is not already so."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import SpecError


def f64(a: Any, name: str) -> npt.NDArray[np.float64]:
    """``a`` as a C-contiguous float64 array (no copy when it already is one)."""
    try:
        return np.ascontiguousarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise SpecError(f"{name}: not convertible to a float64 array ({e})", name) from None
