"""The one-way import rule (bot -> handlers -> cards.model), checked by import-linter."""

from __future__ import annotations

import re
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


PLATFORM_NAMES = re.compile(r"slack|teams", re.IGNORECASE)
"""The platforms the bot has today: the domain knows a platform by an opaque name only
(links, member ids and targets are keyed by it in ``config/``), so none is written there,
not even in a comment or docstring (which would soon describe a branch again)."""


def platform_names_in(text: str) -> list[tuple[int, str]]:
    """(line number, line) of each line of ``text`` that names a platform, in any case
    and inside any identifier (``slack_channel``, ``TeamsTarget``) or string."""
    return [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1) if PLATFORM_NAMES.search(line)]


def test_the_platform_name_check_finds_names_in_code_strings_and_comments():
    sample = 'if turn.platform == "slack":\nclass TeamsTarget:\n# the App Home (SLACK)\nteam = "onboarding"\n'
    assert [number for number, _ in platform_names_in(sample)] == [1, 2, 3]


def test_handlers_never_name_a_platform():
    """Every file under handlers/ (code, comments, docstrings, data): a platform's name
    there means the domain branches on it, or soon will. User-facing words live in
    config/locales/, which this does not read."""
    offenders = [f"{path.relative_to(ROOT)}:{number}: {line}"
                 for path in sorted((ROOT / "handlers").rglob("*")) if path.is_file() and "__pycache__" not in path.parts
                 for number, line in platform_names_in(path.read_text(encoding="utf-8"))]
    assert offenders == []
