"""Sweeps: many runs of one base spec over a grid of fields and seeds, on a local pool of
processes or on any Dask cluster (a ``LocalCluster``, Slurm through :mod:`neurodyn.cluster`).

A sweep lives in ``<out>/<name>/``: ``sweep.toml`` (the spec), ``points/<run>-<hash>/`` (one
complete run directory per point, named by the hash of its resolved spec) and
``points.jsonl`` (one line per finished point: its parameters, metrics, claim, or error; it
grows while the sweep runs). Running a sweep again skips every complete point, resumes a
checkpointed ``.partial`` one (an interrupted training run) and starts any other again (a dead
worker's).

``python -m neurodyn.sweeps SPEC [--scheduler ADDRESS]`` runs a sweep from the shell (what
``neurodyn sweep --scheduler`` calls).
"""

from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures.process import BrokenProcessPool
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import numpy.typing as npt

from . import _neurodyn
from .errors import SpecError
from .runs import SpecLike, _source


def _run_point(base_text: str, base_file: str, base_dir: str, points_dir: str, dir_name: str,
               overrides_json: str, threads: int) -> str:
    """Run one point (in a worker process): the complete run directory's path. A partial
    point resumes from its checkpoint if it has one (an interrupted run), else starts over (a
    dead worker's)."""
    done = Path(points_dir) / dir_name
    if (done / "metrics.json").is_file():
        return str(done)
    return _neurodyn.run_spec(base_text, base_file, base_dir, points_dir, overrides_json, threads,
                              ["neurodyn.sweep", dir_name], dir_name)


def _row(dir_name: str, params: dict[str, Any], path: Path | None, error: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {"point": dir_name, "params": params}
    if path is not None:
        metrics = json.loads((path / "metrics.json").read_text("utf-8"))
        row.update(status="done", claim=metrics.pop("claim", None), metrics=metrics)
    else:
        row.update(status="failed", error=error)
    return row


class _Bar:
    """A one-line progress report on stderr: done / pending (queued or running) / failed, ETA."""

    def __init__(self, total: int, skipped: int, quiet: bool) -> None:
        self.total, self.done, self.failed, self.quiet = total, skipped, 0, quiet
        self.start, self.todo = time.monotonic(), total - skipped

    def update(self, running: int) -> None:
        if self.quiet:
            return
        finished = self.done + self.failed
        elapsed = time.monotonic() - self.start
        new = finished - (self.total - self.todo)
        eta = f"{elapsed / new * (self.total - finished):.0f} s" if new > 0 else "?"
        sys.stderr.write(f"\rsweep: {self.done}/{self.total} done, {running} pending, "
                         f"{self.failed} failed, ETA {eta}   ")
        sys.stderr.flush()

    def close(self) -> None:
        if not self.quiet:
            sys.stderr.write("\n")


def sweep(spec: SpecLike, out: str | os.PathLike[str] = "runs", executor: Any = None,
          workers: int | None = None, threads: int = 1, quiet: bool = False) -> "Sweep":
    """Run every point of a sweep spec (a ``[sweep]`` table; see ``examples/sweeps/``).

    Parameters
    ----------
    spec : path, TOML string or dict
    out : path
        The sweep's directory is ``out/<name>``; running again skips complete points.
    executor : None, a ``dask.distributed.Client``, or a ``concurrent.futures.Executor``
        Where points run. None: a local pool of ``workers`` processes (default: every core).
        A Dask client runs them on its cluster (``Client(LocalCluster(...))``,
        ``Client("tcp://scheduler:8786")``, :func:`neurodyn.cluster.slurm`); a point whose
        worker dies is re-run elsewhere by Dask.
    threads : int
        neurodyn's threads per point (match your workers' cores).
    quiet : bool
        No progress line.

    Returns
    -------
    Sweep
        The table of points (also readable later with :func:`load_sweep`).

    Raises
    ------
    SpecError
        Before anything runs, if any point does not validate.
    """
    text, label, base = _source(spec)
    name, base_text, base_file, base_dir, points = _neurodyn.sweep_points(text, label, base)
    root = Path(out) / name
    points_dir = root / "points"
    points_dir.mkdir(parents=True, exist_ok=True)
    spec_file = root / "sweep.toml"
    if spec_file.exists() and spec_file.read_text("utf-8") != text:
        raise SpecError(f"{root}: a different sweep with the same name is there; rename this one",
                        "name")
    spec_file.write_text(text, "utf-8")
    log = root / "points.jsonl"
    logged = set()
    if log.is_file():
        for line in log.read_text("utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("status") == "done":
                    logged.add(row["point"])
    todo = []
    with log.open("a", encoding="utf-8") as sink:
        def record(row: dict[str, Any]) -> None:
            sink.write(json.dumps(row) + "\n")
            sink.flush()

        for dir_name, params_json, overrides_json, _kind in points:  # noqa: B007
            if (points_dir / dir_name / "metrics.json").is_file():
                if dir_name not in logged:
                    record(_row(dir_name, json.loads(params_json), points_dir / dir_name, None))
            else:
                todo.append((dir_name, params_json, overrides_json))
        bar = _Bar(len(points), len(points) - len(todo), quiet)
        try:
            # A local pool whose worker process dies breaks with every pending point: those
            # are run again on a new pool (at most 3 times), as Dask re-runs a dead worker's.
            for attempt in range(4):
                if not todo:
                    break
                submit, close = _executor(executor, workers)
                broken = []
                try:
                    futures = {
                        submit(_run_point, base_text, base_file, base_dir, str(points_dir), d, o,
                               threads): (d, p, o)
                        for d, p, o in todo
                    }
                    pending = set(futures)
                    bar.update(len(pending))
                    while pending:
                        finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                        for f in finished:
                            dir_name, params_json, overrides_json = futures[f]
                            try:
                                path: Path | None = Path(f.result())
                                error = None
                            except BrokenProcessPool as e:
                                if attempt < 3:
                                    broken.append((dir_name, params_json, overrides_json))
                                    continue
                                path, error = None, f"{type(e).__name__}: {e}"
                            except Exception as e:  # a point's failure is recorded, not fatal
                                path, error = None, f"{type(e).__name__}: {e}"
                            if path is None:
                                bar.failed += 1
                            else:
                                bar.done += 1
                            record(_row(dir_name, json.loads(params_json), path, error))
                        bar.update(len(pending))
                finally:
                    close()
                todo = broken
        finally:
            bar.close()
    _neurodyn.finish_sweep(str(root))
    return load_sweep(root)


def _executor(executor: Any, workers: int | None) -> tuple[Callable[..., Any], Callable[[], None]]:
    """(submit, close) for a Dask client, a concurrent.futures executor, or a new local pool."""
    if executor is None:
        # spawn: a fresh interpreter per worker (forking a process that holds thread pools is
        # unsafe).
        pool = cf.ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1,
                                      mp_context=multiprocessing.get_context("spawn"))
        return pool.submit, lambda: pool.shutdown(wait=True, cancel_futures=True)
    try:
        from distributed import Client
    except ImportError:  # Dask is the optional extra neurodyn[distributed]
        Client = ()  # type: ignore[assignment,misc]
    if isinstance(executor, Client):
        # Dask: pure=False so that a re-submitted sweep re-runs what is not on disk.
        ex = executor.get_executor(pure=False)
        return ex.submit, lambda: None
    if isinstance(executor, cf.Executor):
        return executor.submit, lambda: None
    raise SpecError("executor: None, a dask.distributed.Client or a concurrent.futures.Executor",
                    "executor")


class Sweep:
    """A sweep's table of points: ``columns`` maps ``point``, ``status``, each swept field,
    each scalar metric (dotted: ``fixed_points.stable``) and ``claim.holds`` to a numpy
    array, one entry per point (NaN / None where a point has no such value)."""

    def __init__(self, path: Path, rows: list[dict[str, Any]]) -> None:
        self.path, self.rows = path, rows
        summary = path / "metrics.json"
        #: The sweep's summary (``metrics.json``: claim fractions, metric ranges) once finished.
        self.summary: dict[str, Any] = json.loads(summary.read_text("utf-8")) if summary.is_file() else {}
        #: The population claim of the sweep spec's ``[reproduce]`` table, checked on the summary.
        self.claim: dict[str, Any] | None = self.summary.get("claim")
        names: list[str] = ["point", "status"]
        flat_rows = []
        for r in rows:
            flat: dict[str, Any] = {"point": r["point"], "status": r["status"]}
            flat.update(r.get("params", {}))
            _flatten(r.get("metrics") or {}, "", flat)
            claim = r.get("claim")
            flat["claim.holds"] = None if claim is None else bool(claim["holds"])
            flat_rows.append(flat)
            names.extend(k for k in flat if k not in names)
        self.columns: dict[str, npt.NDArray[Any]] = {}
        for k in names:
            values = [f.get(k) for f in flat_rows]
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) or v is None for v in values) \
                    and any(v is not None for v in values):
                self.columns[k] = np.array([np.nan if v is None else v for v in values], dtype=float)
            else:
                self.columns[k] = np.array(values, dtype=object)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, column: str) -> npt.NDArray[Any]:
        return self.columns[column]

    @property
    def failed(self) -> list[dict[str, Any]]:
        """The failed points with their errors."""
        return [r for r in self.rows if r["status"] != "done"]

    def to_pandas(self) -> Any:
        """The table as a pandas DataFrame (pandas must be installed)."""
        import pandas as pd
        return pd.DataFrame(self.columns)

    def __repr__(self) -> str:
        return f"Sweep({str(self.path)!r}, {len(self)} points, {len(self.failed)} failed)"


def _flatten(value: Mapping[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for k, v in value.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            _flatten(v, key + ".", out)
        elif isinstance(v, (int, float, str, bool)) or v is None:
            out[key] = v


def load_sweep(path: str | os.PathLike[str]) -> Sweep:
    """Read a sweep's ``points.jsonl`` (also while it runs): the latest line of every point."""
    root = Path(path)
    log = root / "points.jsonl"
    if not log.is_file():
        raise SpecError(f"{root}: not a sweep directory (no points.jsonl)", "path")
    latest: dict[str, dict[str, Any]] = {}
    for line in log.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            latest[row["point"]] = row
    return Sweep(root, list(latest.values()))


def _main(argv: list[str] | None = None) -> int:
    """``python -m neurodyn.sweeps SPEC --scheduler ADDRESS``: what ``neurodyn sweep
    --scheduler`` runs. Exit 0 done, 1 a point failed, 2 bad input, 3 Dask missing."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m neurodyn.sweeps",
                                     description="Run a sweep spec on a local pool or a Dask cluster.")
    parser.add_argument("spec")
    parser.add_argument("--out", default="runs")
    parser.add_argument("--scheduler", help="address of a running Dask scheduler")
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    client = None
    if args.scheduler:
        try:
            from distributed import Client
        except ImportError:
            print("error: the Dask path needs pip install 'neurodyn[distributed]'", file=sys.stderr)
            return 3
        try:
            client = Client(args.scheduler, timeout="10s")
        except OSError as e:
            print(f"error: --scheduler {args.scheduler}: cannot connect: {e}", file=sys.stderr)
            return 2
    try:
        table = sweep(args.spec, out=args.out, executor=client, workers=args.workers,
                      threads=args.threads, quiet=args.quiet)
    except SpecError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        if client is not None:
            client.close()
    print(table.path)
    if table.claim is not None and not args.quiet:
        print(f"claim: {'holds' if table.claim['holds'] else 'DOES NOT HOLD'}", file=sys.stderr)
    return 1 if table.failed else 0


if __name__ == "__main__":
    sys.exit(_main())
