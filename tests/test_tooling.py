"""The linters the code is held to: ruff and mypy, configured in pyproject.toml, on the
bot's own code. A finding fails the suite, so none can pile up unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ["bot", "handlers", "cards"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff_finds_nothing():
    result = run("ruff", "check", "--no-cache", *CODE)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow  # about ten seconds of CPU without its cache
def test_mypy_finds_nothing():
    result = run("mypy", *CODE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout


def test_the_checks_can_fail(tmp_path):
    """Each tool, run the same way on a file with one finding of each kind, reports it:
    a configuration that silenced everything would make the two tests above pass for nothing."""
    bad = tmp_path / "bad.py"
    bad.write_text("import os\n\n\ndef f(x: int) -> str:\n    return x\n")
    ruff = run("ruff", "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"), str(bad))
    assert ruff.returncode != 0 and "F401" in ruff.stdout
    mypy = run("mypy", "--config-file", str(ROOT / "pyproject.toml"), "--no-incremental", str(bad))
    assert mypy.returncode != 0 and "Incompatible return value" in mypy.stdout
