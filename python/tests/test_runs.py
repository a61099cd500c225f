"""Runs from Python are the CLI's runs; bad specs raise SpecError naming the field."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

import neurodyn as nd
from conftest import REPO

SMALL_RNN = (REPO / "examples" / "rnn" / "flipflop.toml").read_text().replace(
    "max_steps = 2000", "max_steps = 40").replace("n_initial = 512", "n_initial = 16").replace(
    "max_iters = 3000", "max_iters = 200").replace("n_hidden = 64", "n_hidden = 16")


def without_timings(metrics: object) -> object:
    """Metrics without wall times (keys ending in ``seconds``): everything else is computed."""
    if isinstance(metrics, dict):
        return {k: without_timings(v) for k, v in metrics.items() if not k.endswith("seconds")}
    if isinstance(metrics, list):
        return [without_timings(v) for v in metrics]
    return metrics


def arrays_of(run: Path) -> dict[str, dict[str, np.ndarray]]:
    out = {}
    for f in sorted(run.glob("*.npz")):
        with np.load(f) as z:
            out[f.stem] = {k: z[k] for k in z.files}
    return out


SMALL_CRITICALITY = (REPO / "examples" / "theory" / "criticality.toml").read_text().replace(
    "depth = 100", "depth = 20").replace("width = 256", "width = 32").replace(
    "widths = [64, 128, 256], depth = 16, draws = 400", "widths = [16, 32], depth = 8, draws = 50")


@pytest.mark.parametrize("spec", ["rnn", "decomp", "deep_linear", "criticality"])
def test_run_equals_cli_bit_for_bit(tmp_path: Path, cli: Path, spec: str) -> None:
    if spec in ("rnn", "criticality"):
        path = tmp_path / "small.toml"
        path.write_text(SMALL_RNN if spec == "rnn" else SMALL_CRITICALITY)
    elif spec == "deep_linear":
        path = REPO / "examples" / "theory" / "saxe_2019_semantic.toml"
    else:
        path = REPO / "examples" / "decomp" / "nmf_planted.toml"
    done = subprocess.run([str(cli), "run", str(path), "--out", str(tmp_path / "cli"), "--quiet",
                           "--seed", "7", "--threads", "2"], capture_output=True, text=True, check=True)
    cli_run = Path(done.stdout.strip())
    py_run = nd.run(path, out=tmp_path / "py", seed=7, threads=1)
    assert py_run.kind == json.loads((cli_run / "manifest.json").read_text())["kind"]
    assert (py_run.path / "spec.toml").read_text() == (cli_run / "spec.toml").read_text()
    cli_metrics = json.loads((cli_run / "metrics.json").read_text())
    assert without_timings(py_run.metrics) == without_timings(cli_metrics)
    a, b = arrays_of(py_run.path), arrays_of(cli_run)
    assert a.keys() == b.keys() and a
    for f in a:
        assert a[f].keys() == b[f].keys()
        for k in a[f]:
            assert a[f][k].dtype == b[f][k].dtype and a[f][k].tobytes() == b[f][k].tobytes(), (f, k)


def test_run_from_dict_and_overrides(tmp_path: Path) -> None:
    import tomllib
    spec = tomllib.loads(SMALL_RNN)
    del spec["reproduce"]
    run = nd.run(spec, out=tmp_path, overrides={"train.max_steps": 5, "name": "from_dict"})
    assert run.kind == "rnn" and run.path.name.startswith("from_dict-")
    assert run.spec["train"]["max_steps"] == 5
    assert run.claim is None
    assert len(run.metrics["training"]["loss"] if "training" in run.metrics else run.arrays("training")["loss"]) == 5
    again = nd.load_run(run.path)
    assert again.metrics == run.metrics and "model" in again.files
    html = run._repr_html_()
    assert "from_dict" in html and "report" in html


def test_spec_errors_name_the_field(tmp_path: Path) -> None:
    with pytest.raises(nd.SpecError) as e:
        nd.run(SMALL_RNN.replace("n_hidden = 16", "n_hidden = 0"), out=tmp_path)
    assert e.value.field == "model.n_hidden" and "n_hidden" in str(e.value)
    assert isinstance(e.value, ValueError)
    with pytest.raises(nd.SpecError) as e:
        nd.run(SMALL_RNN, out=tmp_path, overrides={"train.learning_rate": -1.0})
    assert e.value.field == "train.learning_rate"
    with pytest.raises(nd.SpecError):
        nd.run(tmp_path / "missing.toml", out=tmp_path)
    with pytest.raises(nd.SpecError) as e:
        nd.run(SMALL_RNN, out=tmp_path, seed=-1)
    assert e.value.field == "seed"
    # Nothing was written by the refused runs.
    assert not any(tmp_path.iterdir())


def test_check_describes_without_running() -> None:
    described = nd.check(REPO / "examples" / "rnn" / "flipflop.toml")
    assert described.startswith("rnn: ")


def test_reproduce_quick_one_spec(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = REPO / "examples" / "chaos" / "pennington_2017.toml"
    rows = nd.reproduce(quick=True, paths=[spec], out=tmp_path)
    assert len(rows) == 1 and rows[0]["error"] is None
    run, claim = rows[0]["run"], rows[0]["claim"]
    assert run is not None and run.claim == claim and run.holds is claim["holds"]
    assert {"paper", "statement", "checks", "holds"} <= claim.keys()
    assert "| pennington_2017 |" in capsys.readouterr().out
