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


def test_the_app_and_the_turn_pipeline_name_no_platform():
    """Platforms are plug-ins (``bot.platforms`` lists them): the composition root, the
    pipeline and the protocol never name one, nor import one."""
    for module in ("app.py", "pipeline.py", "platform.py", "services.py", "delivery.py"):
        source = (ROOT / "bot" / module).read_text(encoding="utf-8")
        tree = ast.parse(source)
        strings = {node.value.casefold() for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
        assert not {"slack", "teams", "/slack/events", "/api/messages"} & strings, module
        imported = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        assert not any(name.startswith(("bot.slack", "bot.teams", "bot.console")) for name in imported), module


def test_every_listed_platform_is_a_package_with_a_light_entry():
    """``configured(settings)`` is all ``bot.platforms`` needs; a platform whose settings
    are missing is not imported further (no SDK loaded for nothing)."""
    import subprocess
    import sys

    from bot.platforms import PLATFORMS

    code = ("import sys; from bot.settings import Settings; from bot.platforms import configured; "
            "found = configured(Settings()); "
            "print(sorted(p.name for p in found), sorted(m for m in sys.modules if m.startswith(('slack_bolt', 'botbuilder'))))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "['console'] []"
    assert len(PLATFORMS) == len(set(PLATFORMS)) >= 3


def test_config_and_command_formats_come_from_the_listed_platforms():
    """``config/`` accepts the names of the platforms the bot has (not the console's,
    which it never keys), and each platform says how its commands are typed."""
    from bot.platforms import command_formats, config_names
    from bot.settings import Settings

    assert config_names() == ("slack", "teams")
    formats = command_formats(Settings(slack_command="/onboard"))
    assert formats == {"slack": "`/onboard {words}`", "teams": "**{words}**"}
