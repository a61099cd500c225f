"""The hand-written stubs match the extension module, and the package type-checks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import REPO


def test_stubtest_agrees_with_the_extension_module() -> None:
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy.stubtest", "neurodyn._neurodyn"],
                          capture_output=True, text=True, cwd=REPO / "python" / "tests")
    assert done.returncode == 0, done.stdout + done.stderr


def test_package_type_checks() -> None:
    pytest.importorskip("mypy")
    done = subprocess.run([sys.executable, "-m", "mypy", "--ignore-missing-imports", "-p", "neurodyn"],
                          capture_output=True, text=True, cwd=REPO / "python" / "tests")
    assert done.returncode == 0, done.stdout + done.stderr
