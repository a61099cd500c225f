"""Interop with NWB (pynwb, the extra ``neurodyn[nwb]``) and Neo (``neurodyn[neo]``).

NWB stores spike times in seconds, neurodyn in milliseconds; the conversions here do the
scaling. Binned arrays are spike counts, ready for :mod:`neurodyn.decomp`.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import numpy.typing as npt

from .errors import SpecError

if TYPE_CHECKING:
    from .network import SimResult


def _pynwb() -> Any:
    try:
        import pynwb
    except ImportError:
        raise ImportError("NWB needs pynwb: pip install 'neurodyn[nwb]'") from None
    return pynwb


def write_nwb(result: "SimResult", path: str | os.PathLike[str],
              session_description: str = "neurodyn simulation", identifier: str | None = None) -> None:
    """Write a simulation's spikes as the units table of a new NWB file at ``path``."""
    pynwb = _pynwb()
    nwb = pynwb.NWBFile(session_description=session_description,
                        identifier=identifier or str(uuid.uuid4()),
                        session_start_time=datetime.now(timezone.utc))
    nwb.add_unit_column("population", "neurodyn population of the unit")
    nwb.add_unit_column("neuron", "index of the unit within its population")
    for pop in result.spikes:
        for j, train in enumerate(result.spike_trains(pop)):
            nwb.add_unit(spike_times=np.asarray(train) * 1e-3, population=pop, neuron=j)
    with pynwb.NWBHDF5IO(os.fspath(path), "w") as io:
        io.write(nwb)


def from_nwb(path: str | os.PathLike[str], bin_ms: float = 10.0, by_trial: bool = False,
             duration_ms: float | None = None, units: Sequence[int] | None = None,
             population: str | None = None) -> npt.NDArray[np.float64]:
    """Spike counts of an NWB file's units table.

    Parameters
    ----------
    bin_ms : float
        Bin width [ms].
    by_trial : bool
        Cut by the file's trials table into ``(trial, neuron, time)``, each trial from its
        ``start_time`` for the shortest trial's length; otherwise ``(neuron, time)`` from 0.
    duration_ms : float, optional
        Length binned (default: up to the last spike, or the shortest trial).
    units : sequence of int, optional
        Rows of the units table to keep, in this order (default: all).
    population : str, optional
        Keep the units whose ``population`` column (files written by neurodyn) is this.
    """
    pynwb = _pynwb()
    if not bin_ms > 0:
        raise SpecError(f"bin_ms = {bin_ms}: > 0", "bin_ms")
    with pynwb.NWBHDF5IO(os.fspath(path), "r") as io:
        nwb = io.read()
        if nwb.units is None or len(nwb.units) == 0:
            raise SpecError(f"{path}: no units table", "units")
        # Seconds to ms, rounded to 1 ps so that times on a bin edge stay on it.
        rows = list(range(len(nwb.units))) if units is None else [int(i) for i in units]
        if population is not None:
            if "population" not in nwb.units.colnames:
                raise SpecError(f"{path}: the units table has no population column", "population")
            column = nwb.units["population"][:]
            rows = [i for i in rows if column[i] == population]
            if not rows:
                raise SpecError(f"{path}: no units of population {population!r}", "population")
        trains = [np.round(np.asarray(nwb.units["spike_times"][i], dtype=float) * 1e3, 9)
                  for i in rows]
        if by_trial:
            if nwb.trials is None or len(nwb.trials) == 0:
                raise SpecError(f"{path}: no trials table (use by_trial=False)", "by_trial")
            starts = np.round(np.asarray(nwb.trials["start_time"][:], dtype=float) * 1e3, 9)
            stops = np.round(np.asarray(nwb.trials["stop_time"][:], dtype=float) * 1e3, 9)
    if not by_trial:
        last = max((t.max() for t in trains if t.size), default=0.0)
        length = duration_ms if duration_ms is not None else last + bin_ms
        edges = np.arange(0.0, length + 1e-9 * bin_ms, bin_ms)
        return np.stack([_counts(t, edges) for t in trains])
    length = duration_ms if duration_ms is not None else float(np.min(stops - starts))
    n_bins = int(np.floor(length / bin_ms + 1e-9))
    out = np.zeros((len(starts), len(trains), n_bins))
    for k, s in enumerate(starts):
        edges = np.round(s + bin_ms * np.arange(n_bins + 1), 9)
        for j, t in enumerate(trains):
            out[k, j] = _counts(t, edges)
    return out


def _counts(times: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Spike counts in the half-open bins ``[edges[i], edges[i+1])`` (np.histogram closes
    its last bin, which would count a spike on a trial's end in that trial)."""
    n_bins = len(edges) - 1
    idx = np.searchsorted(edges, times, side="right") - 1
    idx = idx[(idx >= 0) & (idx < n_bins)]
    return np.bincount(idx, minlength=n_bins).astype(np.float64)


def to_neo(result: "SimResult") -> Any:
    """A ``neo.Block`` with one ``Segment`` of ``SpikeTrain`` objects (ms), one per neuron."""
    try:
        import neo
        import quantities as pq
    except ImportError:
        raise ImportError("Neo needs neo: pip install 'neurodyn[neo]'") from None
    block = neo.Block(name="neurodyn simulation")
    segment = neo.Segment(name="simulation")
    block.segments.append(segment)
    for pop in result.spikes:
        for j, train in enumerate(result.spike_trains(pop)):
            st = neo.SpikeTrain(np.asarray(train) * pq.ms, t_start=0.0 * pq.ms,
                                t_stop=max(result.duration, float(np.max(train, initial=0.0))) * pq.ms,
                                name=f"{pop}[{j}]")
            st.annotate(population=pop, neuron=j)
            segment.spiketrains.append(st)
    return block
