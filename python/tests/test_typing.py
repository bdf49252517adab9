"""Types: `mypy --strict` passes on the package, its examples and these tests, and fails on a
deliberately wrong use (typecheck/wrong_use.py), line by line."""
from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
PYTHON_DIR = HERE.parent

pytestmark = pytest.mark.skipif(shutil.which("mypy") is None and not os.environ.get("TABAGENT_MYPY"),
                                reason="mypy is not installed (apt install mypy)")


def run_mypy(*paths: str) -> subprocess.CompletedProcess[str]:
    mypy = os.environ.get("TABAGENT_MYPY") or shutil.which("mypy") or "mypy"
    env = dict(os.environ, MYPYPATH=str(HERE))
    # The interpreter that runs the tests knows where tabagent_cache is installed.
    return subprocess.run([mypy, "--strict", "--python-executable", sys.executable, "--no-incremental",
                           "--cache-dir", os.devnull, *paths], capture_output=True, text=True, env=env,
                          cwd=PYTHON_DIR, timeout=600)


def test_strict_passes_on_the_examples_and_tests() -> None:
    out = run_mypy("examples", "tests")
    assert out.returncode == 0, out.stdout + out.stderr


def test_strict_fails_on_every_wrong_use() -> None:
    source = (PYTHON_DIR / "typecheck" / "wrong_use.py").read_text().splitlines()
    wanted = {i + 1 for i, line in enumerate(source) if "  # error:" in line}
    out = run_mypy("typecheck/wrong_use.py")
    assert out.returncode == 1, out.stdout + out.stderr
    flagged = {int(line.split(":")[1]) for line in out.stdout.splitlines() if ": error:" in line}
    assert wanted and wanted <= flagged, (sorted(wanted), out.stdout)
