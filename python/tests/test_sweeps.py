"""Sweeps: local pool and Dask give the serial results point for point, re-runs skip complete
points, a killed worker's point is re-run, Slurm job scripts carry the request."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import neurodyn as nd
from conftest import REPO

BASE = {
    "name": "tiny",
    "seed": 1,
    "task": {"flip_flop": {"n_bits": 1, "n_steps": 20, "p_pulse": 0.1}},
    "model": {"cell": "vanilla", "n_hidden": 8, "dt": 1.0, "tau": 2.0},
    "train": {"learning_rate": 0.01, "batch_size": 8, "max_steps": 30},
    "fixed_points": {"n_initial": 8, "init_noise_std": 0.1, "learning_rate": 0.01, "max_iters": 100,
                     "q_stop": 1e-10, "q_candidate": 1e-4, "q_threshold": 1e-8, "dedup_tol": 0.05,
                     "polish": True},
}


def spec(name: str = "tiny_sweep", max_steps: int = 30) -> dict[str, Any]:
    base = json.loads(json.dumps(BASE))
    base["train"]["max_steps"] = max_steps
    return {"name": name, "sweep": {"base": base, "seeds": 4, "grid": {"model.n_hidden": [8, 12]}}}


def arrays(run: Path) -> dict[str, bytes]:
    out = {}
    for f in sorted(run.glob("*.npz")):
        with np.load(f) as z:
            out.update({f"{f.stem}/{k}": z[k].tobytes() for k in z.files})
    return out


def _wait(condition: Any, seconds: float, every: float = 0.05) -> bool:
    """Polls ``condition()`` until it is true or ``seconds`` have passed; its last value."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(every)
    return bool(condition())


def metrics(run: Path) -> dict[str, Any]:
    m = json.loads((run / "metrics.json").read_text())
    return {k: v for k, v in m.items() if not k.endswith("seconds")}


@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        yield c


def test_dask_sweep_equals_the_serial_sweep(tmp_path: Path, client) -> None:
    from distributed import get_task_stream
    with get_task_stream(client) as stream:
        parallel = nd.sweep(spec(), out=tmp_path / "dask", executor=client, quiet=True)
    serial = nd.sweep(spec(), out=tmp_path / "serial", executor=cf.ThreadPoolExecutor(1), quiet=True)
    assert len(parallel) == len(serial) == 8 and not parallel.failed
    assert sorted(parallel["point"]) == sorted(serial["point"])
    for point in parallel["point"]:
        a, b = parallel.path / "points" / point, serial.path / "points" / point
        assert arrays(a) == arrays(b) and arrays(a)
        assert metrics(a) == metrics(b)
    workers = {t["worker"] for t in stream.data}
    assert len(workers) == 2, workers
    assert not list((tmp_path / "dask").rglob("*.partial"))
    np.testing.assert_array_equal(np.sort(parallel["seed"]), [1, 1, 2, 2, 3, 3, 4, 4])
    assert set(parallel["model.n_hidden"].tolist()) == {8.0, 12.0}
    assert "heldout_nmse" in parallel.columns


def test_rerun_skips_complete_points(tmp_path: Path) -> None:
    first = nd.sweep(spec(), out=tmp_path, executor=cf.ThreadPoolExecutor(2), quiet=True)

    class Refuses(cf.ThreadPoolExecutor):
        def submit(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            raise AssertionError("a complete point was submitted again")

    again = nd.sweep(spec(), out=tmp_path, executor=Refuses(1), quiet=True)
    assert again["point"].tolist() == first["point"].tolist()
    assert len((first.path / "points.jsonl").read_text().splitlines()) == 8
    report = (first.path / "report.html").read_text()
    assert "Claims by swept value" in report and "heldout_nmse vs model.n_hidden" in report
    assert (first.path / "figures" / "heldout_nmse_vs_model_n_hidden.svg").is_file()
    # A partial point (a dead worker's) is run again; the others are skipped.
    victim = first.path / "points" / first["point"][3]
    victim.rename(victim.with_name(f".{victim.name}.partial"))
    third = nd.sweep(spec(), out=tmp_path, executor=cf.ThreadPoolExecutor(1), quiet=True)
    assert (victim / "metrics.json").is_file() and not third.failed
    assert not list(first.path.rglob("*.partial"))


def test_killed_worker_point_is_rerun(tmp_path: Path, client) -> None:
    slow = spec("slow_sweep", max_steps=3000)
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(
        sweep=nd.sweep(slow, out=tmp_path, executor=client, quiet=True)))
    thread.start()
    points = tmp_path / "slow_sweep" / "points"
    assert _wait(lambda: list(points.glob(".*.partial")), 60), "no point started"
    pids = client.run(os.getpid)
    os.kill(next(iter(pids.values())), signal.SIGKILL)
    thread.join(timeout=600)
    sweep = result["sweep"]
    assert len(sweep) == 8 and not sweep.failed, sweep.failed
    assert not list(points.glob(".*.partial"))


def test_slurm_job_script_carries_the_request() -> None:
    pytest.importorskip("dask_jobqueue")
    cluster = nd.cluster.slurm_cluster(cores=16, memory="32GB", walltime="03:30:00",
                                       threads_per_point=4, queue="compute",
                                       scheduler_options={"dashboard_address": None})
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    assert "#SBATCH --cpus-per-task=16" in script
    assert "#SBATCH --mem=30G" in script  # dask-jobqueue writes GiB: 32 GB = 29.8 GiB
    assert "#SBATCH -t 03:30:00" in script
    # Four one-thread workers (click keeps the last --nthreads) of 4 neurodyn threads each.
    assert "--nworkers 4" in script and script.rstrip().endswith("--nthreads 1")


def test_sweep_errors_name_the_field(tmp_path: Path) -> None:
    bad = spec()
    bad["sweep"]["grid"]["model.n_hidden"] = [8, 0]
    with pytest.raises(nd.SpecError) as e:
        nd.sweep(bad, out=tmp_path)
    assert e.value.field == "model.n_hidden" and "sweep point" in str(e.value)
    bad = spec()
    bad["sweep"]["zip"] = [["model.n_hidden", "seed"]]
    with pytest.raises(nd.SpecError) as e:
        nd.sweep(bad, out=tmp_path)
    assert e.value.field == "sweep.zip[0]"
    assert not any(tmp_path.iterdir())


def test_cli_check_validates_every_point(cli: Path) -> None:
    done = subprocess.run([str(cli), "check", str(REPO / "examples" / "sweeps" / "flipflop_cells.toml")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "9 points of kind rnn" in done.stdout
    done = subprocess.run([str(cli), "run", str(REPO / "examples" / "sweeps" / "flipflop_cells.toml")],
                          capture_output=True, text=True)
    assert done.returncode == 2 and "neurodyn sweep" in done.stderr


def test_cli_sweep_equals_python_sweep_and_skips(tmp_path: Path, cli: Path) -> None:
    path = tmp_path / "tiny_sweep.toml"
    path.write_text(nd._neurodyn.toml_from_json(json.dumps(spec())))
    python = nd.sweep(path, out=tmp_path / "py", executor=cf.ThreadPoolExecutor(1), quiet=True)
    run = lambda: subprocess.run([str(cli), "sweep", str(path), "--out", str(tmp_path / "cli"),  # noqa: E731
                                  "--workers", "2", "--quiet"], capture_output=True, text=True)
    done = run()
    assert done.returncode == 0, done.stderr
    table = nd.load_sweep(done.stdout.strip())
    assert sorted(table["point"]) == sorted(python["point"]) and not table.failed
    for point in python["point"]:
        assert arrays(table.path / "points" / point) == arrays(python.path / "points" / point)
    assert run().returncode == 0
    assert len((table.path / "points.jsonl").read_text().splitlines()) == 8


def test_population_claim_is_checked_on_the_summary(tmp_path: Path) -> None:
    s = spec("claimed_sweep")
    s["reproduce"] = {
        "paper": {"authors": "Nobody", "year": 2026},
        "statement": "every point trains",
        "checks": [{"quantity": "points done", "metric": "done", "expected": {"between": {"lo": 8, "hi": 8}},
                    "why": "all eight"},
                   {"quantity": "worst mean NMSE by size", "metric": "metrics.heldout_nmse.max",
                    "expected": {"below": {"limit": 1e9}}, "why": "finite"}],
    }
    table = nd.sweep(s, out=tmp_path, executor=cf.ThreadPoolExecutor(2), quiet=True)
    assert table.summary["points"] == 8 and table.summary["failed"] == 0
    assert set(table.summary["metrics"]["heldout_nmse"]) == {"mean", "std", "min", "max", "n"}
    by_size = table.summary["metrics_by"]["model/n_hidden"]
    assert set(by_size) == {"8", "12"} and by_size["8"]["heldout_nmse"]["n"] == 4
    assert table.claim is not None and table.claim["holds"] is True
    assert "every point trains" in (table.path / "report.html").read_text()
    with pytest.raises(nd.SpecError):
        nd.load_run(table.path)


def test_population_geometry_is_compared_embedded_and_tested(tmp_path: Path) -> None:
    s = spec("geometry_sweep")
    s["sweep"]["seeds"] = 3
    s["sweep"]["grid"] = {"model.cell": ["vanilla", "gru"], "model.tau": [2.0, 1.0]}
    s["sweep"]["zip"] = [["model.cell", "model.tau"]]
    s["sweep"]["overrides"] = {"evaluation.seed": 99, "evaluation.n_trials": 6, "evaluation.n_plot_trials": 2}
    s["sweep"]["geometry"] = {"array": "trajectories.npz:states", "group_by": "model.cell",
                              "permutations": 99}
    table = nd.sweep(s, out=tmp_path, executor=cf.ThreadPoolExecutor(2), quiet=True)
    g = table.summary["geometry"]
    assert g["groups"] == ["gru", "vanilla"] and len(g["points"]) == 6 and g["rows"] == 21 * 6
    assert -1 <= g["silhouette"] <= 1 and 0.01 <= g["permutation_p"] <= 1
    with np.load(table.path / "geometry.npz") as z:
        similarity, mds, group = z["similarity"], z["mds"], z["group"]
    assert similarity.shape == (6, 6) and mds.shape == (6, 2)
    np.testing.assert_array_equal(group, [0, 0, 0, 1, 1, 1])
    # Every entry is SVCCA of the two points' states, computed here from their arrays.
    states = []
    for point in g["points"]:
        with np.load(table.path / "points" / point / "trajectories.npz") as z:
            states.append(z["states"].reshape(-1, z["states"].shape[-1]))
    for a in range(6):
        for b in range(a + 1, 6):
            assert abs(similarity[a, b] - nd.analysis.svcca(states[a], states[b])) < 1e-9
    # MDS distances reproduce 1 − similarity where the embedding is faithful: at least the
    # ordering of the farthest pair.
    d = np.linalg.norm(mds[:, None] - mds[None], axis=-1)
    far = np.unravel_index(np.argmax(1 - similarity), similarity.shape)
    assert d[far] >= 0.5 * d.max()
    assert "MDS of 1 − svcca" in (table.path / "figures" / "geometry_mds.svg").read_text()
    bad = spec("bad_geometry")
    bad["sweep"]["geometry"] = {"array": "trajectories.npz:states", "group_by": "model.cell"}
    with pytest.raises(nd.SpecError) as e:
        nd.sweep(bad, out=tmp_path / "bad")
    assert e.value.field == "sweep.geometry.group_by"


def test_local_pool_reruns_a_killed_workers_points(tmp_path: Path) -> None:
    slow = spec("local_kill", max_steps=3000)
    result: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: result.update(
        sweep=nd.sweep(slow, out=tmp_path, workers=2, quiet=True)))
    thread.start()
    points = tmp_path / "local_kill" / "points"
    assert _wait(lambda: list(points.glob(".*.partial")), 120), "no point started"
    # The pool's workers (not its resource tracker) run multiprocessing.spawn.spawn_main.
    children = subprocess.run(["pgrep", "-P", str(os.getpid()), "-f", "spawn_main"],
                              capture_output=True, text=True).stdout.split()
    assert children, "no pool worker found"
    os.kill(int(children[-1]), signal.SIGKILL)
    thread.join(timeout=600)
    sweep = result["sweep"]
    assert len(sweep) == 8 and not sweep.failed, sweep.failed
    assert not list(points.glob(".*.partial"))


def _cli_sweep(cli: Path, path: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([str(cli), "sweep", str(path), "--out", str(out), "--quiet", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _workers(parent: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(parent), "-f", "--", "--point"],
                           capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def test_cli_workers_are_processes_and_a_killed_ones_point_runs_again(tmp_path: Path,
                                                                       cli: Path) -> None:
    path = tmp_path / "cli_kill.toml"
    path.write_text(nd._neurodyn.toml_from_json(json.dumps(spec("cli_kill", max_steps=3000))))
    proc = _cli_sweep(cli, path, tmp_path, "--workers", "2")
    points = tmp_path / "cli_kill" / "points"
    workers: list[int] = []

    def running() -> bool:
        # Keep the workers seen while a point was running: asking again later can fall
        # between one point's end and the next one's start.
        found = _workers(proc.pid)
        if found and list(points.glob(".*.partial")):
            workers[:] = found
        return bool(workers)

    _wait(running, 120)
    assert workers, "no worker process found"
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err
    table = nd.load_sweep(out.strip())
    assert len(table) == 8 and not table.failed, table.failed
    assert not list(points.glob(".*.partial"))


def test_cli_sweep_stopped_by_ctrl_c_resumes_bit_for_bit(tmp_path: Path, cli: Path) -> None:
    s = spec("cli_stop", max_steps=3000)
    s["sweep"]["seeds"] = 1
    s["sweep"]["base"]["train"]["checkpoint_every"] = 50
    path = tmp_path / "cli_stop.toml"
    path.write_text(nd._neurodyn.toml_from_json(json.dumps(s)))
    proc = _cli_sweep(cli, path, tmp_path / "stopped", "--workers", "2")
    points = tmp_path / "stopped" / "cli_stop" / "points"
    assert _wait(lambda: list(points.glob(".*.partial/checkpoint.npz")), 120, every=0.02), \
        "no checkpoint written"
    os.killpg(proc.pid, signal.SIGINT)  # as Ctrl-C does: the sweep and its workers
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "run the same `neurodyn sweep` again" in err
    partial = list(points.glob(".*.partial"))
    assert partial and all((p / "checkpoint.npz").is_file() for p in partial)
    interrupted = {p.name[1:-len(".partial")] for p in partial}
    # Continued once by the CLI and once (a copy) by Python: both resume the checkpoints.
    shutil.copytree(tmp_path / "stopped", tmp_path / "stopped_py")
    done = subprocess.run([str(cli), "sweep", str(path), "--out", str(tmp_path / "stopped"), "--quiet"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    by_cli = nd.load_sweep(done.stdout.strip())
    by_python = nd.sweep(path, out=tmp_path / "stopped_py", executor=cf.ThreadPoolExecutor(2),
                         quiet=True)
    whole = nd.sweep(s, out=tmp_path / "whole", executor=cf.ThreadPoolExecutor(1), quiet=True)
    assert len(whole) == 2
    for resumed in (by_cli, by_python):
        assert sorted(resumed["point"]) == sorted(whole["point"])
        for point in whole["point"]:
            assert arrays(resumed.path / "points" / point) == arrays(whole.path / "points" / point)
            manifest = json.loads((resumed.path / "points" / point / "manifest.json").read_text())
            assert manifest["resumed"] == (point in interrupted), point
        assert not list((resumed.path / "points").glob(".*.partial"))


def test_cli_sweep_on_a_dask_scheduler(tmp_path: Path, cli: Path, client) -> None:
    path = tmp_path / "tiny_sweep.toml"
    path.write_text(nd._neurodyn.toml_from_json(json.dumps(spec())))
    env = {**os.environ, "NEURODYN_PYTHON": sys.executable}
    done = subprocess.run([str(cli), "sweep", str(path), "--out", str(tmp_path / "dask"), "--quiet",
                           "--scheduler", client.scheduler.address], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 0, done.stderr
    table = nd.load_sweep(done.stdout.strip())
    assert len(table) == 8 and not table.failed
    serial = nd.sweep(spec(), out=tmp_path / "serial", executor=cf.ThreadPoolExecutor(1), quiet=True)
    for point in serial["point"]:
        assert arrays(table.path / "points" / point) == arrays(serial.path / "points" / point)
    bad = subprocess.run([str(cli), "sweep", str(path), "--out", str(tmp_path / "x"), "--quiet",
                          "--scheduler", "tcp://127.0.0.1:9"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "cannot connect" in bad.stderr, bad.stderr
