"""Errors raised by neurodyn."""

from __future__ import annotations


class SpecError(ValueError):
    """Bad input: a spec, an argument or an array that neurodyn refuses before running.

    Parameters
    ----------
    message : str
        What is wrong and what was expected.
    field : str or None
        The dotted path of the offending field (``"model.n_hidden"``, ``"rank"``, ``"X"``),
        when known.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
