"""Where policy and platform knowledge may not go back to: the delivery loop leases,
sends, retries, backs off and parks; which card, which state, which conversation
reference is decided elsewhere (``handlers.notifications``, each platform's notifier)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_delivery_loop_names_no_platform_state_or_card():
    source = (ROOT / "bot" / "delivery.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    named = {"slack", "teams", "console", "open", "acknowledged", "resolved", "team", "requester", "reminder", "digest"}
    assert strings & named == set()
    assert not any("teams:ref" in s or "esc:" in s for s in strings)
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported.isdisjoint({"handlers.escalations", "handlers.escalation_records", "handlers.insights.digest", "cards.model"})
