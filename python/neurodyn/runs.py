"""Runs from specs: the same registry, run skeleton and run directories as the CLI."""

from __future__ import annotations

import html
import json
import os
import sys
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np
import numpy.typing as npt

from . import _neurodyn
from .errors import SpecError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SpecLike = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def _source(spec: SpecLike) -> tuple[str, str, str]:
    """(TOML text, label for errors, base folder for relative paths) of a spec."""
    if isinstance(spec, Mapping):
        text = _neurodyn.toml_from_json(json.dumps(spec))
        return text, "<dict spec>", os.getcwd()
    if isinstance(spec, os.PathLike) or (
        isinstance(spec, str) and "\n" not in spec and "=" not in spec
    ):
        path = Path(spec)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise SpecError(f"{path}: cannot read the spec ({e.strerror})", None) from None
        return text, str(path), str(path.resolve().parent)
    if isinstance(spec, str):
        return spec, "<string spec>", os.getcwd()
    raise SpecError(f"spec: a path, a TOML string or a dict, not {type(spec).__name__}", "spec")


def _overrides(seed: int | None, overrides: Mapping[str, Any] | None) -> str | None:
    merged: dict[str, Any] = dict(overrides or {})
    if seed is not None:
        if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
            raise SpecError(f"seed = {seed!r}: a non-negative integer", "seed")
        merged["seed"] = seed
    return json.dumps(merged) if merged else None


def check(spec: SpecLike, overrides: Mapping[str, Any] | None = None) -> str:
    """Validate a spec as ``neurodyn check`` does, allocating nothing large.

    Returns
    -------
    str
        ``"<kind>: <description>"``.

    Raises
    ------
    SpecError
        Naming the file, line and field of the first problem.
    """
    text, label, base = _source(spec)
    kind, describe = _neurodyn.check_spec(text, label, base, _overrides(None, overrides))
    return f"{kind}: {describe}"


def run(
    spec: SpecLike,
    out: str | os.PathLike[str] = "runs",
    seed: int | None = None,
    threads: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> "Run":
    """Run a spec to a complete run directory, exactly as ``neurodyn run`` does.

    Parameters
    ----------
    spec : path, TOML string or dict
        The spec (see ``examples/``). A dict is the spec's tables as nested dicts.
    out : path, default "runs"
        Folder in which the run directory is created (never overwritten).
    seed : int, optional
        Overrides the spec's ``seed`` (as ``--seed``).
    threads : int, optional
        Worker threads (default: every core). Results do not depend on it.
    overrides : dict, optional
        Dotted field names to values, e.g. ``{"model.n_hidden": 64}``.

    Returns
    -------
    Run
        The complete run.

    Raises
    ------
    SpecError
        Bad input, before anything is written.
    KeyboardInterrupt
        On Ctrl-C; the run stays a ``.partial`` directory (RNN training saves a checkpoint).
    """
    text, label, base = _source(spec)
    command = ["neurodyn.run", label]
    path = _neurodyn.run_spec(
        text, label, base, os.fspath(out), _overrides(seed, overrides), threads, command
    )
    return Run(path)


def load_run(path: str | os.PathLike[str]) -> "Run":
    """Open a complete run directory."""
    return Run(path)


class Run:
    """A complete run directory: its spec, metrics, claim and arrays.

    Attributes
    ----------
    path : pathlib.Path
    kind : str
        The run kind (``rnn``, ``spiking``, ``decomp``, ``chaos``, ``amp``, ``compare``,
        ``dimensionality``).
    spec : dict
        The resolved spec (what ran, with every default filled in).
    metrics : dict
        ``metrics.json``.
    claim : dict or None
        The checked claim (paper, checks with measured and expected values, ``holds``), when
        the spec reproduces a published result.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if (self.path / "points.jsonl").is_file():
            raise SpecError(f"{self.path}: a sweep directory; open it with neurodyn.load_sweep", "path")
        if not (self.path / "metrics.json").is_file():
            partial = self.path.name.startswith(".") and self.path.name.endswith(".partial")
            why = "an interrupted run (resume it with the CLI)" if partial else "not a run directory"
            raise SpecError(f"{self.path}: {why} (no metrics.json)", "path")
        self.spec: dict[str, Any] = tomllib.loads((self.path / "spec.toml").read_text("utf-8"))
        self.metrics: dict[str, Any] = json.loads((self.path / "metrics.json").read_text("utf-8"))
        manifest = self.path / "manifest.json"
        self.manifest: dict[str, Any] = (
            json.loads(manifest.read_text("utf-8")) if manifest.is_file() else {}
        )
        self.kind: str = self.manifest.get("kind", "")
        self.claim: dict[str, Any] | None = self.metrics.get("claim")

    @property
    def files(self) -> list[str]:
        """Names of the run's array files (for :meth:`arrays`)."""
        return sorted(p.stem for p in self.path.glob("*.npz"))

    def arrays(self, name: str) -> dict[str, npt.NDArray[Any]]:
        """The arrays of ``<name>.npz`` (see :attr:`files`), loaded into memory."""
        file = self.path / f"{name}.npz"
        if not file.is_file():
            raise SpecError(f"{self.path}: no {name}.npz (this run has {self.files})", "name")
        with np.load(file) as z:
            return {k: z[k] for k in z.files}

    @property
    def holds(self) -> bool | None:
        """Whether the claim holds (None without a claim)."""
        return None if self.claim is None else bool(self.claim["holds"])

    def __repr__(self) -> str:
        claim = "" if self.claim is None else f", holds={self.holds}"
        return f"Run({str(self.path)!r}, kind={self.kind!r}{claim})"

    def _repr_html_(self) -> str:
        e = html.escape
        rows = []
        if self.claim is not None:
            c = self.claim
            verdict = "holds" if c["holds"] else "does NOT hold"
            rows.append(f"<p><b>Claim ({e(str(c.get('paper', '')))}):</b> {e(c.get('statement', ''))} "
                        f"— <b>{verdict}</b></p><table><tr><th>quantity</th><th>measured</th>"
                        "<th>expected</th><th>holds</th></tr>")
            for k in c.get("checks", []):
                rows.append(
                    f"<tr><td>{e(str(k.get('quantity')))}</td><td>{e(str(k.get('measured')))}</td>"
                    f"<td>{e(json.dumps(k.get('expected')))}</td><td>{'✓' if k.get('holds') else '✗'}</td></tr>"
                )
            rows.append("</table>")
        scalars = [(k, v) for k, v in self.metrics.items() if isinstance(v, (int, float, str, bool))]
        if scalars:
            rows.append("<table>" + "".join(
                f"<tr><td>{e(k)}</td><td>{e(f'{v:.4g}' if isinstance(v, float) else str(v))}</td></tr>"
                for k, v in scalars[:20]) + "</table>")
        report = self.path / "report.html"
        return (f"<div><b>neurodyn run</b> <code>{e(self.path.name)}</code> ({e(self.kind)}) — "
                f"<a href=\"{e(report.as_uri() if report.is_absolute() else str(report))}\">report</a>"
                + "".join(rows) + "</div>")


def reproduce(
    quick: bool = False,
    paths: list[str | os.PathLike[str]] | None = None,
    out: str | os.PathLike[str] = "runs",
    threads: int | None = None,
    seed: int | None = None,
) -> list[dict[str, Any]]:
    """Run every reproduction (spec with a ``[reproduce]`` table), as ``neurodyn reproduce``.

    Prints the claims table in Markdown and returns one dict per reproduction: ``spec``,
    ``run`` (a :class:`Run`, or None if it failed), ``claim``, ``error``, ``seconds``.
    """
    if paths is None:
        paths = ["examples"]
    table, rows = _neurodyn.reproduce([os.fspath(p) for p in paths], quick, os.fspath(out), threads, seed)
    print(table)
    result = []
    for spec, run_path, claim_or_error, seconds in rows:
        ok = run_path is not None
        result.append({
            "spec": spec,
            "run": Run(run_path) if run_path is not None else None,
            "claim": json.loads(claim_or_error) if ok and claim_or_error else None,
            "error": None if ok else claim_or_error,
            "seconds": seconds,
        })
    return result
