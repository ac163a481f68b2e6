"""The one-way import rule (bot -> handlers -> cards.model), checked by import-linter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_handlers_never_import_a_platform_or_infrastructure_library():
    """A plain-text check as well, so a lazy import inside a function is caught too."""
    banned = ("slack_bolt", "slack_sdk", "botbuilder", "botframework", "redis", "aiohttp")
    offenders = []
    for path in (ROOT / "handlers").rglob("*.py"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("import ", "from ")) and stripped.split()[1].split(".")[0] in banned:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {stripped}")
    assert offenders == []
