"""The tour in python/README.md runs as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import REPO


def test_python_readme_tour_runs(tmp_path: Path) -> None:
    text = (REPO / "python" / "README.md").read_text()
    tour = re.search(r"```python\n(.*?)```", text, re.S)
    assert tour is not None
    (tmp_path / "examples").symlink_to(REPO / "examples")
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(tour.group(1), "python/README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    assert (tmp_path / "sim.nwb").is_file() and any((tmp_path / "runs").iterdir())
