"""The platforms this bot knows, one line each.

Each entry is a package with a ``configured(settings) -> Platform | None`` that imports
nothing heavy: a platform whose settings are missing is never imported further, so a
server without Teams never loads the Bot Framework SDK. Adding a platform is a new
package implementing ``bot.platform.Platform`` and one line here (README, "How it is built").
"""

from __future__ import annotations

import importlib

from bot.platform import Platform
from bot.settings import Settings

PLATFORMS: tuple[str, ...] = (
    "bot.console",
    "bot.slack",
    "bot.teams",
)


def configured(settings: Settings) -> list[Platform]:
    """The platforms ``settings`` switch on, in the order listed."""
    found: list[Platform] = []
    for module in PLATFORMS:
        platform = importlib.import_module(module).configured(settings)
        if platform is not None:
            found.append(platform)
    return found


def names(settings: Settings) -> frozenset[str]:
    """The names of the platforms ``settings`` switch on (where the bot can post)."""
    return frozenset(platform.name for platform in configured(settings))
