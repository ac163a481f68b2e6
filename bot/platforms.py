"""The platforms this bot knows, one line each.

Each entry is a package with a ``NAME`` and a ``configured(settings) -> Platform | None``
(and, where users type commands, ``command_format(settings)``) that imports nothing heavy: a platform whose settings are missing is never imported further, so a
server without Teams never loads the Bot Framework SDK. Adding a platform is a new
package implementing ``bot.platform.Platform`` and one line here (README, "How it is built").
"""

from __future__ import annotations

import importlib
from types import ModuleType

from bot.platform import Platform
from bot.settings import Settings

PLATFORMS: tuple[str, ...] = (
    "bot.console",
    "bot.slack",
    "bot.teams",
)


def _modules() -> list[ModuleType]:
    return [importlib.import_module(module) for module in PLATFORMS]


def config_names() -> tuple[str, ...]:
    """The platform names ``config/`` may key links, member ids and team targets by: every
    listed platform's ``NAME``, but for one that says it is never keyed there
    (``KEYED_IN_CONFIG = False``: the console, whose conversation is an account id)."""
    return tuple(module.NAME for module in _modules() if getattr(module, "KEYED_IN_CONFIG", True))


def command_formats(settings: Settings) -> dict[str, str]:
    """How a user types a command on each platform that has commands (its package's
    ``command_format``), for the handlers to show."""
    return {module.NAME: module.command_format(settings) for module in _modules() if hasattr(module, "command_format")}


def configured(settings: Settings) -> list[Platform]:
    """The platforms ``settings`` switch on, in the order listed."""
    found: list[Platform] = []
    for module in _modules():
        platform = module.configured(settings)
        if platform is not None:
            found.append(platform)
    return found


def names(settings: Settings) -> frozenset[str]:
    """The names of the platforms ``settings`` switch on (where the bot can post)."""
    return frozenset(platform.name for platform in configured(settings))
