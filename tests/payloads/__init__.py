"""Payloads as the platforms send them, kept as test data; where each comes from is in README.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def load(name: str) -> Any:
    """A fresh copy of ``tests/payloads/<name>`` (callers may change it)."""
    return json.loads((HERE / name).read_text(encoding="utf-8"))
