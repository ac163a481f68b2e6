"""Finding the ecosystem's own checkers (promtool, docker-compose, ...) for the deploy tests.

A developer without one gets a skip that names the Debian package; CI (``CI=true``)
installs them (``.ci/run``), so there a missing tool fails the test instead of hiding it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def need(tool: str, package: str) -> str:
    """The path of ``tool``; skips the calling test without it (fails it in CI)."""
    found = shutil.which(tool)
    if found:
        return found
    reason = f"{tool} not found (Debian package {package!r})"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true: .ci/run installs it, the check must run", pytrace=False)
    pytest.skip(reason)


def run(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run a checker with no network needed and its output kept for the assertion message."""
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
