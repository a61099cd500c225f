"""Dask clusters for :func:`neurodyn.sweep` (the optional extra ``neurodyn[distributed]``).

On one machine: ``neurodyn.sweep(spec, executor=local(workers=4))``. On Slurm:
``client = slurm(cores=8, memory="16GB", walltime="02:00:00", jobs=4)``, then
``neurodyn.sweep(spec, executor=client, threads=8)``. Any running Dask scheduler:
``distributed.Client("tcp://host:8786")``.
"""

from __future__ import annotations

from typing import Any

from .errors import SpecError


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ImportError("Dask needs the extra: pip install 'neurodyn[distributed]'") from None
    return distributed


def local(workers: int | None = None, **kwargs: Any) -> Any:
    """A ``Client`` on a ``LocalCluster`` of ``workers`` processes with one thread each
    (neurodyn's own ``threads`` per point then use the cores)."""
    distributed = _distributed()
    cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                       **kwargs)
    return distributed.Client(cluster)


def slurm_cluster(cores: int = 8, memory: str = "16GB", walltime: str = "01:00:00",
                  threads_per_point: int | None = None, **kwargs: Any) -> Any:
    """A ``dask_jobqueue.SLURMCluster`` whose jobs each hold ``cores`` cores, ``memory`` and
    ``walltime``, and run ``cores // threads_per_point`` Dask workers of one thread: each
    worker runs one point at a time, with ``threads_per_point`` neurodyn threads (default:
    all ``cores``, one point per job). Other arguments (``queue``, ``account``,
    ``job_extra_directives``, ``python``) go to SLURMCluster."""
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError:
        raise ImportError("Slurm needs the extra: pip install 'neurodyn[distributed]'") from None
    tpp = threads_per_point or cores
    if not (1 <= tpp <= cores):
        raise SpecError(f"threads_per_point = {tpp}: between 1 and cores = {cores}", "threads_per_point")
    extra = list(kwargs.pop("worker_extra_args", []))
    return SLURMCluster(cores=cores, processes=cores // tpp, memory=memory, walltime=walltime,
                        worker_extra_args=extra + ["--nthreads", "1"], **kwargs)


def slurm(cores: int = 8, memory: str = "16GB", walltime: str = "01:00:00", jobs: int = 1,
          threads_per_point: int | None = None, **kwargs: Any) -> Any:
    """A ``Client`` on :func:`slurm_cluster` scaled to ``jobs`` Slurm jobs."""
    distributed = _distributed()
    cluster = slurm_cluster(cores, memory, walltime, threads_per_point, **kwargs)
    cluster.scale(jobs=jobs)
    return distributed.Client(cluster)
