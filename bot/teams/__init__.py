"""Microsoft Teams: the platform package (``bot.platform.Platform``).

This package is the only code that imports ``botbuilder`` / ``botframework`` (the SDK is
archived upstream, so replacing it touches this package alone). The modules that work
around the SDK are small and each says why: ``authentication`` (the SDK's token
validators with an async key source, ``keys``), ``tokens`` (outbound bearer tokens),
``connector`` (the Bot Connector without msrest's per-turn client) and ``invoke`` (the
invoke response's shape); tests/bot/test_teams_sdk.py fails if the SDK changes under
them. ``platform`` mounts ``POST /api/messages``; ``bot`` turns activities into neutral
turns and shows responses; ``activity`` and ``gate`` read activities; ``messages``
builds them (the cards themselves: ``cards.teams``); ``state`` keeps conversation
references and open forms; ``notifier`` posts for the outbox; ``package`` writes the
Teams app package. Importing this package imports none of them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.teams.platform import TeamsPlatform

NAME = "teams"
"""This platform's name: in turns, metrics, store keys, and the keys of ``config/``
(links, member ids, team targets)."""


def command_format(settings: Settings) -> str:
    """How a user types a command here, for the handlers to show: the words alone, in bold
    (card markdown has no inline code, and a message to the bot needs no command name)."""
    return "**{words}**"


def configured(settings: Settings) -> TeamsPlatform | None:
    """Teams, when an app id is set (or ``TEAMS_DEV_NO_AUTH=1`` for the Emulator)."""
    if not settings.teams_enabled:
        return None
    from bot.teams.platform import TeamsPlatform

    return TeamsPlatform(settings)
